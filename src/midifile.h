/* Standard MIDI files in and out through libsmf: a file becomes a score in
 * grid ticks (docs/vocabulary.md, "Reading MIDI"), and a score becomes a
 * format-0 file at a given tempo. The reader checks a file's structure before
 * libsmf sees it, so a damaged or hostile file gives an error naming it and
 * saying what is wrong, never a crash. */
#ifndef PIANOLA_MIDIFILE_H
#define PIANOLA_MIDIFILE_H

#include <stddef.h>

#include "score.h"

/* What reading a file found and what it had to leave out. */
typedef struct {
    int format;                 /* 0 or 1 */
    int ticks_per_quarter;      /* the file's PPQ */
    size_t notes_in_file;       /* note-ons with a velocity, of any pitch */
    size_t notes_kept;          /* notes in the score */
    size_t dropped_out_of_range;/* pitches outside A0..C8 */
    size_t dropped_duplicates;  /* a pitch struck again at the same grid position */
    size_t unmatched_note_offs; /* note-offs with no sounding note */
    size_t ignored_meta;        /* time signatures and tempi with impossible values */
} PnlMidiReadStats;

/* The largest file the reader accepts (the biggest corpus file is ~0.3 MB). */
enum { PNL_MIDI_MAX_FILE_BYTES = 64 * 1024 * 1024 };

/* Reads a format 0 or 1 file into `score` (cleared first, normalized on
 * return). `stats` may be NULL. Errors (PNL_EIO, PNL_EFORMAT, PNL_ERANGE,
 * PNL_ENOMEM) fill `message` with the path and what is wrong. */
int pnl_midi_read(const char *path, PnlScore *score, PnlMidiReadStats *stats, char *message,
                  size_t message_size);

/* The same for a file whose tracks are separate instruments (the chamber
 * corpus): a pitch struck again ends only the note of its own track, and
 * each note's `track` says which sounding track it came from (its part is
 * left to the caller, PNL_PART_PIANO until then); one pitch struck at one
 * position in two tracks is two notes. */
int pnl_midi_read_tracks(const char *path, PnlScore *score, PnlMidiReadStats *stats,
                         char *message, size_t message_size);

/* The same as pnl_midi_read from bytes in memory; `name` is what messages
 * call them. */
int pnl_midi_read_memory(const void *bytes, size_t size, const char *name, PnlScore *score,
                         PnlMidiReadStats *stats, char *message, size_t message_size);

/* The roles of a composed file's sounding tracks, by their names (as
 * pnl_midi_write names them, "Violin I", or the roles' own, "violin_1", in
 * any case), in the order pnl_midi_read_tracks counts them (the tracks that
 * strike a note): track_parts[t] is a PnlPart, or -1 for a track named for
 * no role. A file with no track named for a role is one piano
 * (pianola-generate's solo piano, a format-0 file). Returns PNL_OK, or the
 * reader's error with `message` naming the file and what is wrong (more
 * than max_tracks tracks with notes among them). */
int pnl_midi_track_parts(const char *path, int8_t *track_parts, int max_tracks,
                         int *track_count, char *message, size_t message_size);

/* Writes a normalized score as a format-0 file: PPQ 480, one tempo event,
 * a time signature at each meter change (4/4 at the start if the score has
 * none there), program 0 (acoustic grand) and the notes on channel 0. A note
 * still sounding when its pitch is struck again ends at the new onset.
 * A score with parts is written as format 1: a track of tempo and meters,
 * then one track per declared part in role order, named for it ("Violin
 * I"), with its program (parts.h) on its role's channel
 * (pnl_part_channel: the plugin's MIDI output uses the same); a pitch
 * struck again ends only its own part's note. */
int pnl_midi_write(const char *path, const PnlScore *score, double tempo_bpm, char *message,
                   size_t message_size);

enum { PNL_MIDI_WRITE_PPQ = 480 };

#endif
