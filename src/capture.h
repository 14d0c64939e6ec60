/* Capture: the notes a player plays on MIDI in, recorded against the host's
 * grid while the capture port is on. When capture ends they become the
 * model's prompt (and the first notes of the timeline from there on).
 *
 * Runs in run(): the storage is the caller's, preallocated; nothing here
 * allocates. Onsets snap to the nearest sixteenth or eighth-note triplet
 * (whichever is nearer, sixteenths winning ties), durations to at least a
 * 32nd; the codec snaps durations further when it encodes the prompt. */
#ifndef PIANOLA_CAPTURE_H
#define PIANOLA_CAPTURE_H

#include <stdint.h>

#include "timeline.h"

typedef struct {
    PnlTimelineNote *notes; /* caller's storage */
    uint32_t capacity;
    uint32_t count;
    int32_t held_index[128]; /* note index of a pitch held down, or -1 */
    double held_onset_ticks[128];
    uint32_t dropped; /* notes that did not fit */
} PnlCapture;

void pnl_capture_init(PnlCapture *capture, PnlTimelineNote *storage, uint32_t capacity);
/* Forgets what was recorded and starts again. */
void pnl_capture_begin(PnlCapture *capture);
/* ticks: the exact playhead (quarter-note grid ticks) of the note-on or note-off. */
void pnl_capture_note_on(PnlCapture *capture, uint8_t pitch, uint8_t velocity, double ticks);
void pnl_capture_note_off(PnlCapture *capture, uint8_t pitch, double ticks);
/* Ends held notes at ticks and leaves the notes sorted by onset, then
 * pitch, with no pitch struck twice at one onset. Returns the note count. */
uint32_t pnl_capture_end(PnlCapture *capture, double ticks);

/* Where a played onset lands on the grid. */
int32_t pnl_capture_snap_onset(double ticks);
/* The first grid step (a sixteenth) at or after ticks: where the model's
 * continuation starts. */
int32_t pnl_capture_next_step(double ticks);

#endif
