/* The piano roll: the notes the DSP reports (pianola:Note messages), kept in
 * a fixed ring so memory stays bounded however long the session runs, and
 * drawn as a window of the last bars and the lookahead around the playhead.
 * Prompt, generated and live notes each have their colour; velocity is the
 * shade. */
#ifndef PIANOLA_GUI_PIANO_ROLL_H
#define PIANOLA_GUI_PIANO_ROLL_H

#include <cairo.h>

#include "layout.h"

typedef struct {
    double onset_beats;
    double duration_beats;
    unsigned char pitch;
    unsigned char velocity;
    unsigned char origin; /* PnlNoteOrigin */
    unsigned char stored; /* 0: an empty or forgotten slot */
} PnlRollNote;

/* Four bars of dense piano music hold a few hundred notes; the ring keeps a
 * few minutes of history beyond the window, then overwrites the oldest. */
enum { PNL_ROLL_CAPACITY = 2048 };

typedef struct {
    PnlRollNote notes[PNL_ROLL_CAPACITY];
    unsigned next; /* the slot the next note overwrites */
} PnlPianoRoll;

void pnl_piano_roll_clear(PnlPianoRoll *roll);

/* Stores a note; the same note sent again replaces the one held. Returns
 * 0, or -1 for a note that makes no sense (it is dropped). */
int pnl_piano_roll_add(PnlPianoRoll *roll, int pitch, int velocity, double onset_beats,
                       double duration_beats, int origin);

/* The DSP cut its timeline (pianola:Cut): forgets the composed and prompt
 * notes from from_beats on, which the notes that follow replace. Notes
 * played live stay. */
void pnl_piano_roll_cut(PnlPianoRoll *roll, double from_beats);

/* Forgets every note of one origin (a new capture replaces the prompt). */
void pnl_piano_roll_forget_origin(PnlPianoRoll *roll, int origin);

/* The pitch rows shown for the window from_beats..to_beats: C2..C6, widened
 * by whole octaves to hold every note in the window, within A0..C8. */
void pnl_piano_roll_pitch_range(const PnlPianoRoll *roll, double from_beats,
                                double to_beats, int *lowest, int *highest);

/* Draws the roll panel (keyboard, grid, notes, playhead) into layout->roll. */
void pnl_piano_roll_draw(cairo_t *cr, const PnlPianoRoll *roll, const PnlUiLayout *layout,
                         double playhead_beats, double beats_per_bar, int have_playhead);

#endif
