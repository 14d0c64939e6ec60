/* A score: a piece of piano music, or of an ensemble's parts, in musical
 * time, as notes in grid ticks and meter changes. The MIDI reader (midifile.h) fills one, the codec
 * (codec.h) turns one into tokens and back, and the MIDI writer writes one.
 * The arrays grow as notes are added, so a score is built off the audio
 * thread. */
#ifndef PIANOLA_SCORE_H
#define PIANOLA_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "parts.h"
#include "vocabulary.h"

typedef struct {
    int64_t onset_ticks;    /* from the start of the piece */
    int32_t duration_ticks; /* >= 1; the sounding length, before snapping */
    uint8_t pitch;          /* MIDI note number */
    uint8_t velocity;       /* MIDI 1..127 */
    uint8_t part;           /* its role (PnlPart); PNL_PART_PIANO in a solo piece */
    /* The sounding track of the MIDI file it was read from track by track
     * (pnl_midi_read_tracks), counted from 0 over the tracks that hold
     * notes (the catalog's `instruments` name them in this order); 0 for
     * notes read as one piano or not read from a file. */
    uint8_t track;
} PnlNote;

/* A time signature from `at_ticks` on; it takes effect at the first bar line
 * at or after that tick. Numerator/denominator are a meter of the table. */
typedef struct {
    int64_t at_ticks;
    uint8_t numerator;
    uint8_t denominator;
} PnlMeterChange;

/* Notes sorted by onset, part, then pitch (see pnl_score_normalize) and
 * meter changes by tick. The arrays grow as notes are added (not
 * real-time). */
typedef struct {
    /* The roles the piece declares (PART tokens); 0 for solo piano, whose
     * notes are all PNL_PART_PIANO and which is written without PART. */
    PnlPartSet parts;
    PnlNote *notes;
    size_t note_count;
    size_t note_capacity;
    PnlMeterChange *meters;
    size_t meter_count;
    size_t meter_capacity;
} PnlScore;

void pnl_score_init(PnlScore *score);
void pnl_score_free(PnlScore *score);
void pnl_score_clear(PnlScore *score);
int pnl_score_add_note(PnlScore *score, PnlNote note);
int pnl_score_add_meter(PnlScore *score, PnlMeterChange meter);

/* What pnl_score_normalize removed. */
typedef struct {
    size_t out_of_range;  /* pitches outside A0..C8 */
    size_t duplicates;    /* a pitch struck again at the same grid position */
} PnlDropCounts;

/* Sorts notes by onset, part, then pitch (stable), drops pitches outside
 * A0..C8 and a second note of a pitch at one onset in one part and track
 * (the tracks of a file read track by track are told apart), clamps
 * velocity to 1..127 and duration to >= 1, and sorts the meter changes.
 * `dropped` may be NULL. */
void pnl_score_normalize(PnlScore *score, PnlDropCounts *dropped);

/* 1 if `a` comes before `b` in a normalized score: by onset, part, then
 * pitch. */
int pnl_note_before(const PnlNote *a, const PnlNote *b);

#endif
