/* The lookahead policy: when to compose and where to cut the timeline.
 *
 * The timeline is composed a bar per worker job, PNL_LOOKAHEAD_BARS ahead
 * of the playhead. A changed setting or a re-roll regenerates from the
 * first beat no sounding note can reach; a captured phrase replaces the
 * timeline from where the capture began and is continued from the grid
 * step after it ended; a restored state resumes at its horizon.
 *
 * Pure decisions on plain values (no LV2, no threads, nothing allocated):
 * run() asks, then does what it says (cuts the timeline, schedules the
 * jobs). PnlLookahead is run()'s alone. */
#ifndef PIANOLA_LOOKAHEAD_H
#define PIANOLA_LOOKAHEAD_H

#include <stdint.h>

#include "engine.h"
#include "timeline.h"
#include "transport.h"

enum {
    PNL_LOOKAHEAD_BARS = 2 /* compose this far ahead of the playhead */
};

typedef struct {
    PnlComposeSettings composing; /* what the timeline is composed with */
    int have_composing;           /* composing is valid (else: take the wanted) */
    int regenerate_pending;       /* a setting changed or a re-roll: cut and recompose */
    int32_t compose_from_ticks;   /* the next bar job starts here (the timeline's horizon) */
} PnlLookahead;

/* One bar (or the rest of one) to compose: onsets in [from, until). */
typedef struct {
    PnlComposeSettings settings;
    int32_t from_ticks;
    int32_t until_ticks;
} PnlBarJob;

void pnl_lookahead_init(PnlLookahead *lookahead);

/* Whether two settings compose the same music. */
int pnl_lookahead_same_settings(const PnlComposeSettings *a, const PnlComposeSettings *b);

/* Where a regeneration starts: stopped, the playhead (rounded up to a
 * tick); rolling, the next beat that no humanized onset of the music now
 * playing can reach. */
int32_t pnl_lookahead_regeneration_point(const PnlTransport *transport);

/* A re-roll: new music from the playhead on, even with the same settings. */
void pnl_lookahead_reroll(PnlLookahead *lookahead);

/* Compares this cycle's wanted settings with what the timeline is composed
 * with. Returns 1 with *cut_ticks when the timeline must be cut there and
 * composed again (a setting changed or a re-roll; never while capturing,
 * which waits); the lookahead composes with the wanted settings from then. */
int pnl_lookahead_follow_settings(PnlLookahead *lookahead, const PnlComposeSettings *wanted,
                                  int capturing, const PnlTransport *transport,
                                  int32_t *cut_ticks);

/* The timeline was cut at ticks: composing resumes there at the latest. */
void pnl_lookahead_cut(PnlLookahead *lookahead, int32_t ticks);

/* The next bar to compose, if the timeline reaches less than
 * PNL_LOOKAHEAD_BARS bars past the playhead: 1 and *job, else 0. */
int pnl_lookahead_next_job(const PnlLookahead *lookahead, const PnlTransport *transport,
                           PnlBarJob *job);
/* The job went to the worker: the next one starts where it ends. */
void pnl_lookahead_job_scheduled(PnlLookahead *lookahead, const PnlBarJob *job);

/* Where a captured phrase cuts the timeline: where the capture began, on
 * the capture grid, or at its first note if that came earlier (first_note
 * NULL: the phrase is empty). */
int32_t pnl_lookahead_prompt_cut(double capture_start_ticks, const PnlTimelineNote *first_note);
/* The captured phrase, cut in at pnl_lookahead_prompt_cut(), becomes the
 * prompt: the model continues it from the grid step after the capture
 * ended (returned), with the wanted settings, to the next bar line
 * (compose_from_ticks after the call), where bar jobs resume. */
int32_t pnl_lookahead_take_prompt(PnlLookahead *lookahead, const PnlComposeSettings *wanted,
                                  double capture_end_ticks);

/* A restored state: composing resumes at its horizon with the settings it
 * was composed with (has_settings 0: with whatever the ports say next). */
void pnl_lookahead_restored(PnlLookahead *lookahead, const PnlComposeSettings *settings,
                            int has_settings, int32_t horizon_ticks);

#endif
