/* Capture of a played phrase against the host grid; see capture.h. */
#include "capture.h"

#include <math.h>
#include <string.h>

enum { SIXTEENTH_TICKS = 6, TRIPLET_EIGHTH_TICKS = 8, SHORTEST_TICKS = 3 };

void pnl_capture_init(PnlCapture *capture, PnlTimelineNote *storage, uint32_t capacity)
{
    memset(capture, 0, sizeof *capture);
    capture->notes = storage;
    capture->capacity = capacity;
    pnl_capture_begin(capture);
}

void pnl_capture_begin(PnlCapture *capture)
{
    capture->count = 0;
    capture->dropped = 0;
    for (int pitch = 0; pitch < 128; pitch++)
        capture->held_index[pitch] = -1;
}

int32_t pnl_capture_snap_onset(double ticks)
{
    if (!(ticks > 0.0))
        return 0;
    if (ticks > 2e9)
        ticks = 2e9;
    double sixteenth = round(ticks / SIXTEENTH_TICKS) * SIXTEENTH_TICKS;
    double triplet = round(ticks / TRIPLET_EIGHTH_TICKS) * TRIPLET_EIGHTH_TICKS;
    double snapped = fabs(triplet - ticks) < fabs(sixteenth - ticks) ? triplet : sixteenth;
    return (int32_t)snapped;
}

int32_t pnl_capture_next_step(double ticks)
{
    if (!(ticks > 0.0))
        return 0;
    if (ticks > 2e9)
        ticks = 2e9;
    return (int32_t)(ceil(ticks / SIXTEENTH_TICKS - 1e-9) * SIXTEENTH_TICKS);
}

static void finish_note(PnlCapture *capture, uint8_t pitch, double ticks)
{
    int32_t index = capture->held_index[pitch];
    if (index < 0)
        return;
    capture->held_index[pitch] = -1;
    PnlTimelineNote *note = &capture->notes[index];
    double played_ticks = ticks - capture->held_onset_ticks[pitch];
    double duration = round(played_ticks);
    if (!(duration >= SHORTEST_TICKS))
        duration = SHORTEST_TICKS;
    if (duration > 16 * 24)
        duration = 16 * 24;
    note->duration_ticks = (int32_t)duration;
}

void pnl_capture_note_on(PnlCapture *capture, uint8_t pitch, uint8_t velocity, double ticks)
{
    if (pitch > 127 || velocity == 0)
        return;
    finish_note(capture, pitch, ticks);
    if (capture->count >= capture->capacity) {
        capture->dropped++;
        return;
    }
    capture->notes[capture->count] = (PnlTimelineNote){
        .onset_ticks = pnl_capture_snap_onset(ticks), .duration_ticks = SHORTEST_TICKS,
        .pitch = pitch, .velocity = velocity > 127 ? 127 : velocity,
        .origin = PNL_ORIGIN_PROMPT};
    capture->held_index[pitch] = (int32_t)capture->count;
    capture->held_onset_ticks[pitch] = ticks;
    capture->count++;
}

void pnl_capture_note_off(PnlCapture *capture, uint8_t pitch, double ticks)
{
    if (pitch <= 127)
        finish_note(capture, pitch, ticks);
}

static int note_before(const PnlTimelineNote *a, const PnlTimelineNote *b)
{
    if (a->onset_ticks != b->onset_ticks)
        return a->onset_ticks < b->onset_ticks;
    return a->pitch < b->pitch;
}

uint32_t pnl_capture_end(PnlCapture *capture, double ticks)
{
    for (int pitch = 0; pitch < 128; pitch++)
        finish_note(capture, (uint8_t)pitch, ticks);
    /* Snapping can swap neighbours; insertion sort is linear on the nearly
     * sorted order notes are played in. */
    PnlTimelineNote *notes = capture->notes;
    for (uint32_t i = 1; i < capture->count; i++) {
        PnlTimelineNote note = notes[i];
        uint32_t j = i;
        while (j > 0 && note_before(&note, &notes[j - 1])) {
            notes[j] = notes[j - 1];
            j--;
        }
        notes[j] = note;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < capture->count; i++) {
        if (kept > 0 && notes[kept - 1].onset_ticks == notes[i].onset_ticks &&
            notes[kept - 1].pitch == notes[i].pitch)
            continue;
        notes[kept++] = notes[i];
    }
    capture->count = kept;
    return kept;
}
