/* The composition on the host timeline: notes in musical time (grid ticks,
 * 24 per quarter note, counted from the host's beat 0), appended in onset
 * order by the generator on the LV2 worker and read by the scheduler in
 * run().
 *
 * One writer, one reader, no locks. The writer fills slots past the
 * published count and then publishes (release); the reader only touches
 * notes below the count it loaded (acquire), so it never sees a half-written
 * note. Truncation (regenerating from the playhead) is only legal while the
 * writer is idle: the plugin keeps at most one timeline job on the worker,
 * and truncates in run() between jobs (plugin/worker.c says how).
 *
 * Capacity is fixed at creation: PNL_TIMELINE_DEFAULT_CAPACITY holds more
 * than an hour of dense music (an hour at 120 BPM is 7200 beats; 262144
 * notes is 36 notes per beat). */
#ifndef PIANOLA_TIMELINE_H
#define PIANOLA_TIMELINE_H

#include <stdint.h>

#include "parts.h"      /* PnlPart */
#include "vocabulary.h" /* PNL_TICKS_PER_QUARTER */

enum { PNL_TIMELINE_DEFAULT_CAPACITY = 262144 };

/* Where a note came from: a timeline note's origin, and the pianola:origin
 * the plugin sends the UI with every note it plays (plugin/uris.h). */
typedef enum {
    PNL_ORIGIN_GENERATED = 0,
    PNL_ORIGIN_PROMPT = 1, /* captured, and now the model's prompt */
    PNL_ORIGIN_LIVE = 2    /* played on MIDI in right now (never on the timeline) */
} PnlNoteOrigin;

typedef struct {
    int32_t onset_ticks;    /* from the host's beat 0, on the grid */
    int32_t duration_ticks; /* >= 1 */
    uint8_t pitch;          /* MIDI note number, 21..108 */
    uint8_t velocity;       /* 1..127, as composed (the model's, at a Dynamics level) */
    uint8_t origin;         /* PnlNoteOrigin: generated or prompt */
    int8_t velocity_shape;  /* humanizer's velocity change at amount 1 */
    float timing_shape_ms;  /* humanizer's onset deviation at amount 1, ms */
    /* The model's own velocity where a Dynamics level shifted it (what the
     * network hears, src/engine.c); 0 where velocity is the model's or the
     * player's. */
    uint8_t model_velocity;
    /* The ensemble's role that plays it (PnlPart, parts.h): 0, the piano,
     * for every note of solo piano and for a zeroed note. */
    uint8_t part;
} PnlTimelineNote;

typedef struct PnlTimeline PnlTimeline;

/* Allocates the whole capacity (creation time only). NULL when out of memory. */
PnlTimeline *pnl_timeline_new(uint32_t capacity);
void pnl_timeline_free(PnlTimeline *timeline);
uint32_t pnl_timeline_capacity(const PnlTimeline *timeline);

/* Reader side (any thread). */
uint32_t pnl_timeline_count(const PnlTimeline *timeline);
/* Everything with onset before this has been written (the generator's horizon). */
int32_t pnl_timeline_horizon_ticks(const PnlTimeline *timeline);
const PnlTimelineNote *pnl_timeline_notes(const PnlTimeline *timeline);
/* Index of the first published note with onset_ticks >= ticks (count if none). */
uint32_t pnl_timeline_find(const PnlTimeline *timeline, double ticks);

/* Writer side (one thread at a time). Appends are invisible until published.
 * Returns PNL_ENOMEM when full, PNL_EINVAL when the note would go back in
 * time or is malformed. */
int pnl_timeline_append(PnlTimeline *timeline, const PnlTimelineNote *note);
/* Makes every appended note visible and moves the horizon (never backwards
 * except through truncate). */
void pnl_timeline_publish(PnlTimeline *timeline, int32_t horizon_ticks);
/* Drops every note with onset >= ticks, published or not, and sets the
 * horizon to ticks. Only while no reader can be inside the dropped range. */
void pnl_timeline_truncate(PnlTimeline *timeline, int32_t ticks);
/* Unpublished notes appended so far (the writer's view). */
uint32_t pnl_timeline_pending_count(const PnlTimeline *timeline);
void pnl_timeline_clear(PnlTimeline *timeline);

#endif
