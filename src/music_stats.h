/* Musical statistics of a piece: the figures pianola-stats sets beside a
 * composer's corpus to tell whether composed music holds together -- bars
 * that end in silence, density, polyphony, register, dynamics, rhythm and
 * pitch-class distributions, key clarity and repetition -- and, for an
 * ensemble's piece, each part's density, range and share of beats played
 * (docs/music-stats.md says what each means and why).
 *
 * A piece is a score as the MIDI reader gives it (midifile.h): notes in
 * grid ticks of 1/24 quarter note, bars counted from tick 0 by its meter
 * changes, as the codec counts them. Figures are read from performed files
 * too (the plugin's humanized output, hand-played corpus files), so two
 * allowances absorb performed timing: onsets one grid tick apart (a spread
 * chord) count as one onset, and a beat's first and last tick do not count
 * when asking whether anything sounds in it. Off the audio thread: it
 * allocates. */
#ifndef PIANOLA_MUSIC_STATS_H
#define PIANOLA_MUSIC_STATS_H

#include <stddef.h>

#include "score.h"

/* Inter-onset intervals are sorted into note values: the nearest, on a
 * logarithmic scale, of 1/32, 1/16 triplet, 1/16, 1/8 triplet, 1/8, 1/4
 * triplet, dotted 1/8, 1/4, dotted 1/4, 1/2 and whole (or longer). */
enum { PNL_IOI_CLASSES = 11 };

typedef struct {
    /* The meter the piece is mostly in (the one of most bars). */
    int numerator, denominator;
    size_t bars, beats, notes, onsets;

    /* Each figure is NAN when the piece cannot tell it (no notes, fewer
     * than two onsets, no bar with a bar before it...). Shares are 0..1. */
    double silent_last_beat_share; /* of bars, whose last beat is silent */
    double silent_beat_share;      /* of beats */
    double notes_per_beat;
    double polyphony;              /* notes sounding at an onset, mean */
    double lowest, highest;        /* MIDI keys */
    double pitch_span_5_95;        /* semitones between the 5th and 95th percentiles */
    double register_drift;         /* |mean key of the last quarter - of the first| */
    double velocity_mean, velocity_sd;
    double key_clarity;            /* correlation with the best of 24 key profiles */

    /* Shares of bars with onsets whose rhythm (onset positions), melody
     * (top-voice keys) or melodic shape (top-voice intervals; bars of two
     * onsets or more) equals that of one of the 8 bars before, or of the
     * bar exactly 8 or 16 bars before. */
    double rhythm_repeat_within_8, melody_repeat_within_8, intervals_repeat_within_8;
    double rhythm_repeat_at_8, rhythm_repeat_at_16;
    double melody_repeat_at_8, melody_repeat_at_16;
    /* The most bars in a row that are one bar played again and again
     * (onset positions and keys alike; silent bars do not count); 1 when
     * no bar is repeated straight away. */
    double longest_verbatim_run;

    /* Counts, not normalized. Pitch classes are moved into C major / A
     * minor by the piece's estimated key (as a key-normalized network
     * sees them), so pieces in different keys compare. */
    double ioi_histogram[PNL_IOI_CLASSES];
    double pitch_class_histogram[12];
} PnlMusicStats;

typedef struct {
    /* The meter of a score without meter changes (0/0: 4/4, as the reader
     * assumes); a score's own meters win. */
    int numerator, denominator;
    /* 0: bars run from the bar of the first onset to the bar of the last.
     * N: the first N bars from tick 0, silent ones included, and nothing
     * after them (a render's N bars, less a note cut at its stop). */
    size_t bars;
} PnlMusicStatsSettings;

/* The figures of a normalized score; `settings` may be NULL. Returns
 * PNL_OK, PNL_EINVAL for a meter off the table, PNL_ENOMEM. */
int pnl_music_stats(const PnlScore *score, const PnlMusicStatsSettings *settings,
                    PnlMusicStats *stats);

/* Beats are sorted by the notes a part strikes in them: 0, 1, ... 15, and
 * 16 or more (a piano's sixteenth-note chords of four). */
enum { PNL_BEAT_NOTE_CLASSES = 17, PNL_MIDI_KEYS = 128 };

/* The figures of one part of an ensemble's piece, over the bars of the
 * whole piece (all its parts): a part that rests for a page still counts
 * those beats. */
typedef struct {
    size_t notes; /* 0: the part plays nothing in the bars measured */
    /* NAN when the part has no notes. */
    double notes_per_beat;
    double sounding_beat_share;   /* beats in which a note of it sounds, struck or held */
    double lowest, highest;       /* MIDI keys */
    double pitch_5, pitch_95;     /* the 5th and 95th percentile keys (nearest rank) */
    /* Counts, not normalized: notes per MIDI key, and beats by the notes
     * struck in them (PNL_BEAT_NOTE_CLASSES). */
    double pitch_histogram[PNL_MIDI_KEYS];
    double beat_notes_histogram[PNL_BEAT_NOTE_CLASSES];
} PnlPartStats;

typedef struct {
    int numerator, denominator; /* the meter of most bars, as PnlMusicStats's */
    size_t bars, beats;
    PnlPartStats parts[PNL_PART_COUNT]; /* by role (PnlPart) */
} PnlPartsStats;

/* The figures of each part of a normalized score whose notes carry their
 * roles (note.part); `settings` may be NULL. Bars are laid as for
 * pnl_music_stats. Returns PNL_OK, PNL_EINVAL for a meter off the table,
 * PNL_ENOMEM. */
int pnl_music_stats_parts(const PnlScore *score, const PnlMusicStatsSettings *settings,
                          PnlPartsStats *stats);

/* The beat of a meter in ticks: the dotted beat of compound meters (6/8,
 * 9/8, 12/8, 6/16...), the denominator's note value otherwise. */
int pnl_meter_beat_ticks(int numerator, int denominator);

/* The overlap of two histograms, each normalized to sum 1: the sum over
 * bins of the smaller share. 1 for the same shape, 0 for disjoint ones;
 * NAN when either is empty. */
double pnl_histogram_overlap(const double *a, const double *b, int bins);

/* A class's note value for tables: "1/16", "1/8 triplet"... */
const char *pnl_ioi_class_name(int ioi_class);

#endif
