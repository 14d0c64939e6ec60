/* The lookahead policy; see lookahead.h. */
#include "lookahead.h"

#include <math.h>

#include "capture.h"
#include "humanize.h"

/* The timeline's ticks are int32: stay clear of the end. */
static const int32_t last_tick = 2000000000;
/* A meter of no length (never from the transport) composes in 4/4. */
enum { FALLBACK_BAR_TICKS = 96 };

void pnl_lookahead_init(PnlLookahead *lookahead)
{
    *lookahead = (PnlLookahead){0};
}

int pnl_lookahead_same_settings(const PnlComposeSettings *a, const PnlComposeSettings *b)
{
    return a->composer_choice == b->composer_choice &&
           fabsf(a->temperature - b->temperature) < 1e-4f && fabsf(a->top_p - b->top_p) < 1e-4f &&
           a->seed == b->seed && a->variation == b->variation && a->bar_ticks == b->bar_ticks &&
           a->beat_ticks == b->beat_ticks && a->key_choice == b->key_choice &&
           a->register_lowest == b->register_lowest &&
           a->register_highest == b->register_highest && a->dynamics == b->dynamics &&
           a->density == b->density && a->ensemble == b->ensemble;
}

/* A timeline position in whole ticks, within the timeline's range; a NaN
 * (no playhead a transport can reach) is the start. */
static int32_t timeline_ticks(double ticks)
{
    return ticks > 2e9 ? last_tick : ticks >= 0 ? (int32_t)ticks : 0;
}

int32_t pnl_lookahead_regeneration_point(const PnlTransport *transport)
{
    double playhead = pnl_transport_ticks(transport);
    /* Stopped, nothing is playing: the new music starts right here. */
    if (!pnl_transport_rolling(transport))
        return timeline_ticks(ceil(playhead - 1e-9));
    double margin = PNL_HUMANIZE_MAX_DEVIATION_MS * pnl_transport_ticks_per_ms(transport) + 1.0;
    int32_t beat = pnl_transport_beat_ticks(transport);
    return timeline_ticks(ceil((playhead + margin) / beat) * beat);
}

void pnl_lookahead_reroll(PnlLookahead *lookahead)
{
    lookahead->regenerate_pending = 1;
}

int pnl_lookahead_follow_settings(PnlLookahead *lookahead, const PnlComposeSettings *wanted,
                                  int capturing, const PnlTransport *transport,
                                  int32_t *cut_ticks)
{
    if (!lookahead->have_composing) {
        lookahead->composing = *wanted;
        lookahead->have_composing = 1;
    } else if (!pnl_lookahead_same_settings(wanted, &lookahead->composing)) {
        lookahead->regenerate_pending = 1;
    }
    if (!lookahead->regenerate_pending || capturing)
        return 0;
    *cut_ticks = pnl_lookahead_regeneration_point(transport);
    lookahead->composing = *wanted;
    lookahead->regenerate_pending = 0;
    return 1;
}

void pnl_lookahead_cut(PnlLookahead *lookahead, int32_t ticks)
{
    if (lookahead->compose_from_ticks > ticks)
        lookahead->compose_from_ticks = ticks;
}

int pnl_lookahead_next_job(const PnlLookahead *lookahead, const PnlTransport *transport,
                           PnlBarJob *job)
{
    int32_t bar = lookahead->composing.bar_ticks > 0 ? lookahead->composing.bar_ticks
                                                     : FALLBACK_BAR_TICKS;
    int32_t from = lookahead->compose_from_ticks;
    double target = pnl_transport_ticks(transport) + PNL_LOOKAHEAD_BARS * bar;
    if (from >= target || from > last_tick - bar)
        return 0;
    *job = (PnlBarJob){.settings = lookahead->composing,
                       .from_ticks = from,
                       .until_ticks = (from / bar + 1) * bar};
    return 1;
}

void pnl_lookahead_job_scheduled(PnlLookahead *lookahead, const PnlBarJob *job)
{
    lookahead->compose_from_ticks = job->until_ticks;
}

int32_t pnl_lookahead_prompt_cut(double capture_start_ticks, const PnlTimelineNote *first_note)
{
    int32_t cut = pnl_capture_snap_onset(capture_start_ticks);
    if (first_note && first_note->onset_ticks < cut)
        cut = first_note->onset_ticks;
    return cut;
}

int32_t pnl_lookahead_take_prompt(PnlLookahead *lookahead, const PnlComposeSettings *wanted,
                                  double capture_end_ticks)
{
    lookahead->composing = *wanted;
    lookahead->have_composing = 1;
    lookahead->regenerate_pending = 0;
    int32_t continue_ticks = pnl_capture_next_step(capture_end_ticks);
    int32_t bar = lookahead->composing.bar_ticks > 0 ? lookahead->composing.bar_ticks
                                                     : FALLBACK_BAR_TICKS;
    lookahead->compose_from_ticks = (continue_ticks / bar + 1) * bar;
    return continue_ticks;
}

void pnl_lookahead_restored(PnlLookahead *lookahead, const PnlComposeSettings *settings,
                            int has_settings, int32_t horizon_ticks)
{
    lookahead->composing = *settings;
    lookahead->have_composing = has_settings;
    lookahead->compose_from_ticks = horizon_ticks;
}
