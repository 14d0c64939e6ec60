/* Humanization: amount 0 is the exact timeline, deviations stay within
 * the stated bound, the rules point the right way (melody lead, metric
 * accent, high-loud), and the shading is a function of the seed. */
#include <math.h>

#include "check.h"
#include "humanize.h"

static void shade(uint64_t seed, int32_t onset, PnlTimelineNote *notes, int count)
{
    PnlHumanizeStyle style = {.seed = seed, .bar_ticks = 96, .beat_ticks = 24, .phrase_bars = 4};
    for (int i = 0; i < count; i++)
        notes[i] = (PnlTimelineNote){.onset_ticks = onset, .duration_ticks = 12,
                                     .pitch = (uint8_t)(48 + 7 * i), .velocity = 64};
    pnl_humanize_onset(&style, notes, count);
}

static void test_amount_zero_plays_the_timeline_exactly(void)
{
    PnlTimelineNote notes[3];
    shade(5, 30, notes, 3);
    for (int i = 0; i < 3; i++) {
        CHECK(pnl_humanize_velocity(&notes[i], 0.0f) == 64, "velocity moved at amount 0");
        CHECK(pnl_humanize_deviation_ms(&notes[i], 0.0f) == 0.0f, "onset moved at amount 0");
        CHECK(pnl_humanize_deviation_ms(&notes[i], NAN) == 0.0f, "NaN amount moved the onset");
    }
}

static void test_deviations_stay_within_the_bound(void)
{
    float worst_ms = 0;
    int worst_velocity = 0;
    for (int32_t onset = 0; onset < 96 * 200; onset += 6) {
        PnlTimelineNote notes[4];
        shade(77, onset, notes, 1 + onset / 6 % 4);
        for (int i = 0; i < 1 + onset / 6 % 4; i++) {
            worst_ms = fmaxf(worst_ms, fabsf(pnl_humanize_deviation_ms(&notes[i], 1.0f)));
            int change = abs(pnl_humanize_velocity(&notes[i], 1.0f) - 64);
            worst_velocity = change > worst_velocity ? change : worst_velocity;
        }
    }
    CHECK(worst_ms <= PNL_HUMANIZE_MAX_DEVIATION_MS, "a note moved %.1f ms (bound %.0f)",
          worst_ms, PNL_HUMANIZE_MAX_DEVIATION_MS);
    CHECK(worst_ms > 15.0f, "expected audible humanization, worst only %.1f ms", worst_ms);
    CHECK(worst_velocity <= PNL_HUMANIZE_MAX_VELOCITY_CHANGE, "velocity moved by %d",
          worst_velocity);
}

static void test_the_rules_point_the_right_way(void)
{
    double lead = 0, downbeat = 0, offbeat = 0, high = 0, low = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        PnlTimelineNote chord[3], single[1];
        shade(seed, 96 * (int32_t)seed, chord, 3);
        lead += chord[0].timing_shape_ms - chord[2].timing_shape_ms;
        shade(seed, 96 * (int32_t)seed, single, 1);
        downbeat += single[0].velocity_shape;
        shade(seed, 96 * (int32_t)seed + 18, single, 1);
        offbeat += single[0].velocity_shape;
        low += chord[0].velocity_shape;
        high += chord[1].velocity_shape; /* not the melody: only high-loud differs */
    }
    CHECK(lead / 200 > 15.0, "expected the melody about 20 ms ahead of the bass, got %.1f ms",
          lead / 200);
    CHECK(downbeat > offbeat, "expected downbeats louder than off-beats (%.0f vs %.0f)", downbeat,
          offbeat);
    CHECK(high > low, "expected higher notes louder (%.0f vs %.0f)", high, low);
}

static void test_shading_is_a_function_of_the_seed(void)
{
    PnlTimelineNote a[2], b[2], c[2];
    shade(9, 120, a, 2);
    shade(9, 120, b, 2);
    shade(10, 120, c, 2);
    CHECK(a[0].timing_shape_ms == b[0].timing_shape_ms && a[1].velocity_shape == b[1].velocity_shape,
          "the same seed shaded differently");
    CHECK(a[0].timing_shape_ms != c[0].timing_shape_ms, "seeds 9 and 10 shaded the same");
}

int main(void)
{
    RUN_TEST(test_amount_zero_plays_the_timeline_exactly);
    RUN_TEST(test_deviations_stay_within_the_bound);
    RUN_TEST(test_the_rules_point_the_right_way);
    RUN_TEST(test_shading_is_a_function_of_the_seed);
    CHECK_EXIT();
}
