/* The composition on the host timeline; see timeline.h for the threading
 * contract. */
#include "timeline.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "status.h"

struct PnlTimeline {
    PnlTimelineNote *notes;
    uint32_t capacity;
    /* Written by the writer only; the reader loads them with acquire. */
    _Atomic uint32_t published_count;
    _Atomic int32_t horizon_ticks;
    /* The writer's own cursor: notes [published_count, written_count) are
     * being prepared. */
    uint32_t written_count;
};

PnlTimeline *pnl_timeline_new(uint32_t capacity)
{
    if (capacity == 0)
        return NULL;
    PnlTimeline *timeline = calloc(1, sizeof *timeline);
    if (!timeline)
        return NULL;
    timeline->notes = calloc(capacity, sizeof *timeline->notes);
    if (!timeline->notes) {
        free(timeline);
        return NULL;
    }
    timeline->capacity = capacity;
    atomic_init(&timeline->published_count, 0);
    atomic_init(&timeline->horizon_ticks, 0);
    return timeline;
}

void pnl_timeline_free(PnlTimeline *timeline)
{
    if (!timeline)
        return;
    free(timeline->notes);
    free(timeline);
}

uint32_t pnl_timeline_capacity(const PnlTimeline *timeline)
{
    return timeline->capacity;
}

uint32_t pnl_timeline_count(const PnlTimeline *timeline)
{
    return atomic_load_explicit(&((PnlTimeline *)timeline)->published_count,
                                memory_order_acquire);
}

int32_t pnl_timeline_horizon_ticks(const PnlTimeline *timeline)
{
    return atomic_load_explicit(&((PnlTimeline *)timeline)->horizon_ticks,
                                memory_order_acquire);
}

const PnlTimelineNote *pnl_timeline_notes(const PnlTimeline *timeline)
{
    return timeline->notes;
}

uint32_t pnl_timeline_find(const PnlTimeline *timeline, double ticks)
{
    uint32_t low = 0, high = pnl_timeline_count(timeline);
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if ((double)timeline->notes[middle].onset_ticks < ticks)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

int pnl_timeline_append(PnlTimeline *timeline, const PnlTimelineNote *note)
{
    if (note->duration_ticks < 1 || note->pitch > 127 || note->velocity < 1 ||
        note->velocity > 127 || note->onset_ticks < 0)
        return PNL_EINVAL;
    if (timeline->written_count > 0 &&
        timeline->notes[timeline->written_count - 1].onset_ticks > note->onset_ticks)
        return PNL_EINVAL;
    if (timeline->written_count >= timeline->capacity)
        return PNL_ENOMEM;
    timeline->notes[timeline->written_count++] = *note;
    return PNL_OK;
}

void pnl_timeline_publish(PnlTimeline *timeline, int32_t horizon_ticks)
{
    atomic_store_explicit(&timeline->published_count, timeline->written_count,
                          memory_order_release);
    if (horizon_ticks > atomic_load_explicit(&timeline->horizon_ticks, memory_order_relaxed))
        atomic_store_explicit(&timeline->horizon_ticks, horizon_ticks, memory_order_release);
}

void pnl_timeline_truncate(PnlTimeline *timeline, int32_t ticks)
{
    uint32_t low = 0, high = timeline->written_count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (timeline->notes[middle].onset_ticks < ticks)
            low = middle + 1;
        else
            high = middle;
    }
    timeline->written_count = low;
    if (atomic_load_explicit(&timeline->published_count, memory_order_relaxed) > low)
        atomic_store_explicit(&timeline->published_count, low, memory_order_release);
    atomic_store_explicit(&timeline->horizon_ticks, ticks < 0 ? 0 : ticks,
                          memory_order_release);
}

uint32_t pnl_timeline_pending_count(const PnlTimeline *timeline)
{
    return timeline->written_count;
}

void pnl_timeline_clear(PnlTimeline *timeline)
{
    pnl_timeline_truncate(timeline, 0);
}
