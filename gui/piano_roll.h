/* The piano roll: the notes the DSP reports (pianola:Note messages), kept in
 * a fixed ring so memory stays bounded however long the session runs, and
 * drawn as a window of the last bars and the lookahead around the playhead.
 * The piano's prompt, composed and live notes each have their colour, and
 * each other part of an ensemble its own (widgets.h); velocity is the
 * shade. */
#ifndef PIANOLA_GUI_PIANO_ROLL_H
#define PIANOLA_GUI_PIANO_ROLL_H

#include <cairo.h>

#include "../src/parts.h"
#include "layout.h"

typedef struct {
    double onset_beats;
    double duration_beats;
    unsigned char pitch;
    unsigned char velocity;
    unsigned char origin; /* PnlNoteOrigin */
    unsigned char part;   /* PnlPart (src/parts.h): 0, the piano, for solo piano */
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

/* Stores a note of a part; the same note sent again replaces the one held
 * (two parts in unison are two notes). Returns 0, or -1 for a note that
 * makes no sense (it is dropped). */
int pnl_piano_roll_add(PnlPianoRoll *roll, int pitch, int velocity, double onset_beats,
                       double duration_beats, int origin, int part);

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

/* What the legend in the roll's corner names: the ensemble's parts (0:
 * solo piano, whose legend names the origins alone) and what the melody
 * part is called (the instrument playing it). */
typedef struct {
    PnlPartSet parts;
    const char *melody_name;
} PnlRollLegend;

/* Draws the roll panel (keyboard, grid, notes, playhead, legend) into
 * layout->roll. Returns the legend's left edge, for a line beside it. */
double pnl_piano_roll_draw(cairo_t *cr, const PnlPianoRoll *roll, const PnlUiLayout *layout,
                           double playhead_beats, double beats_per_bar, int have_playhead,
                           const PnlRollLegend *legend);

#endif
