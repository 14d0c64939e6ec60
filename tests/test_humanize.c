/* Humanization: amount 0 is the exact timeline, deviations stay within
 * the stated bound, the rules point the right way (melody lead, metric
 * accent, high-loud), and the shading is a function of the seed. In an
 * ensemble the piano is shaded as it was alone, and the strings by their
 * own rules (a double stop together, a softer accent, their own drift). */
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

/* Shapes of piano onsets as Pianola gave them before it had parts, which
 * solo piano must keep: the same seed and notes play the same. Pitches are
 * 40 + 9 i + (case % 5). */
static const struct {
    uint64_t seed;
    int32_t onset;
    int count;
    int8_t velocity_shape[6];
    float timing_shape_ms[6];
} piano_before_parts[] = {
    {1ull, 0, 1, {0}, {11.2526226f}},
    {1ull, 0, 3, {1, -1, 7}, {7.16804886f, 10.0354214f, -8.53507614f}},
    {2ull, 24, 2, {-1, 8}, {12.7378922f, -8.02514648f}},
    {3ull, 48, 4, {-3, -4, 2, 10}, {6.46471453f, 6.71943951f, 13.2661619f, -13.0052557f}},
    {4ull, 18, 3, {-3, -3, 4}, {10.8578653f, 14.608593f, -11.1215477f}},
    {5ull, 30, 1, {-7}, {11.749815f}},
    {6ull, 288, 5, {11, 10, 10, 12, 24},
     {7.57390261f, 8.74856949f, 13.5073042f, 14.0563679f, -10.6384687f}},
    {7ull, 396, 2, {-7, 1}, {12.1870899f, -8.47580814f}},
    {77ull, 744, 3, {-4, -5, 9}, {6.65222883f, 14.4162207f, -8.79115391f}},
    {9ull, 120, 2, {1, 10}, {1.17513275f, -18.8737144f}},
    {22598542972374081ull, 1446, 4, {-4, -1, 3, 10},
     {2.05690241f, 2.19413543f, 7.37650108f, -20.0235291f}},
    {123456789ull, 3216, 6, {10, 11, 9, 11, 18, 24},
     {5.96859407f, 9.65447807f, 10.2312994f, 9.62548351f, 12.9105387f, -11.2031879f}},
};

static void test_a_piano_onset_is_shaded_as_before_parts(void)
{
    int cases = (int)(sizeof piano_before_parts / sizeof piano_before_parts[0]);
    for (int c = 0; c < cases; c++) {
        PnlHumanizeStyle style = {.seed = piano_before_parts[c].seed, .bar_ticks = 96,
                                  .beat_ticks = 24, .phrase_bars = 4};
        PnlTimelineNote notes[6];
        int count = piano_before_parts[c].count;
        for (int i = 0; i < count; i++)
            notes[i] = (PnlTimelineNote){.onset_ticks = piano_before_parts[c].onset,
                                         .duration_ticks = 12,
                                         .pitch = (uint8_t)(40 + 9 * i + c % 5), .velocity = 64};
        pnl_humanize_onset(&style, notes, count);
        for (int i = 0; i < count; i++) {
            CHECK(notes[i].velocity_shape == piano_before_parts[c].velocity_shape[i] &&
                      notes[i].timing_shape_ms == piano_before_parts[c].timing_shape_ms[i],
                  "case %d note %d: expected velocity %+d and %.9g ms as before, got %+d and "
                  "%.9g ms",
                  c, i, piano_before_parts[c].velocity_shape[i],
                  (double)piano_before_parts[c].timing_shape_ms[i], notes[i].velocity_shape,
                  (double)notes[i].timing_shape_ms);
        }
    }
}

static PnlTimelineNote played(int32_t onset, int pitch, PnlPart part)
{
    return (PnlTimelineNote){.onset_ticks = onset, .duration_ticks = 24, .pitch = (uint8_t)pitch,
                             .velocity = 64, .part = (uint8_t)part};
}

static void test_a_double_stop_sounds_together(void)
{
    static const PnlPart strings[] = {PNL_PART_VIOLIN_1, PNL_PART_VIOLIN_2, PNL_PART_VIOLA,
                                      PNL_PART_CELLO, PNL_PART_MELODY};
    double piano_spread_ms = 0;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        PnlHumanizeStyle style = {.seed = seed, .bar_ticks = 96, .beat_ticks = 24,
                                  .phrase_bars = 4};
        int32_t onset = 30 * (int32_t)seed;
        for (int s = 0; s < 5; s++) {
            /* The double stop over a piano chord, sorted by pitch. */
            PnlTimelineNote notes[] = {played(onset, 48, PNL_PART_PIANO),
                                       played(onset, 60, strings[s]),
                                       played(onset, 64, PNL_PART_PIANO),
                                       played(onset, 67, strings[s])};
            pnl_humanize_onset(&style, notes, 4);
            CHECK(notes[1].timing_shape_ms == notes[3].timing_shape_ms,
                  "seed %llu, part %d: expected the double stop's notes together, got %.2f and "
                  "%.2f ms",
                  (unsigned long long)seed, strings[s], (double)notes[1].timing_shape_ms,
                  (double)notes[3].timing_shape_ms);
            piano_spread_ms += notes[0].timing_shape_ms - notes[2].timing_shape_ms;
        }
    }
    /* The piano beside it still leads with its own top note. */
    CHECK(piano_spread_ms / 500 > 15.0,
          "expected the piano's top note about 20 ms ahead of its bass, got %.1f ms",
          piano_spread_ms / 500);
}

/* The downbeat's velocity over the off-beat's, 18 ticks on, for one note of
 * `part`, averaged over seeds: the metric accent, the phrase arch's small
 * change in between aside. */
static double downbeat_contrast(PnlPart part)
{
    double contrast = 0;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        PnlHumanizeStyle style = {.seed = seed, .bar_ticks = 96, .beat_ticks = 24,
                                  .phrase_bars = 4};
        int32_t downbeat = 96 * (int32_t)seed;
        PnlTimelineNote on = played(downbeat, 67, part), off = played(downbeat + 18, 67, part);
        pnl_humanize_onset(&style, &on, 1);
        pnl_humanize_onset(&style, &off, 1);
        contrast += on.velocity_shape - off.velocity_shape;
    }
    return contrast / 400;
}

static void test_a_string_downbeat_is_accented_half_as_much_as_the_piano_s(void)
{
    double piano = downbeat_contrast(PNL_PART_PIANO);
    double violin = downbeat_contrast(PNL_PART_VIOLIN_1);
    double cello = downbeat_contrast(PNL_PART_CELLO);
    /* The piano's accent is +6 on the downbeat and -2 off the beat; the
     * strings' half that, so their contrast is about 4 steps less. */
    CHECK(piano - violin > 3.0 && piano - violin < 5.0,
          "expected the violin's downbeat contrast about 4 steps below the piano's, got %.2f "
          "(piano %.2f, violin %.2f)",
          piano - violin, piano, violin);
    CHECK(piano - cello > 3.0 && piano - cello < 5.0,
          "expected the cello's downbeat contrast about 4 steps below the piano's, got %.2f "
          "(piano %.2f, cello %.2f)",
          piano - cello, piano, cello);
    CHECK(violin > 1.0, "expected the violin still to mark the downbeat, got %.2f", violin);
}

static void test_the_piano_is_shaded_alike_with_or_without_a_violin(void)
{
    for (uint64_t seed = 1; seed <= 100; seed++) {
        PnlHumanizeStyle style = {.seed = seed, .bar_ticks = 96, .beat_ticks = 24,
                                  .phrase_bars = 4};
        int32_t onset = 12 * (int32_t)seed;
        PnlTimelineNote alone[] = {played(onset, 43, PNL_PART_PIANO),
                                   played(onset, 55, PNL_PART_PIANO),
                                   played(onset, 71, PNL_PART_PIANO)};
        /* A violin above the piano, and one inside its chord. */
        PnlTimelineNote above[] = {alone[0], alone[1], alone[2],
                                   played(onset, 79, PNL_PART_VIOLIN_1)};
        PnlTimelineNote inside[] = {alone[0], played(onset, 50, PNL_PART_VIOLIN_1), alone[1],
                                    played(onset, 62, PNL_PART_VIOLIN_1), alone[2]};
        pnl_humanize_onset(&style, alone, 3);
        pnl_humanize_onset(&style, above, 4);
        pnl_humanize_onset(&style, inside, 5);
        const PnlTimelineNote *piano_inside[] = {&inside[0], &inside[2], &inside[4]};
        for (int i = 0; i < 3; i++) {
            CHECK(above[i].velocity_shape == alone[i].velocity_shape &&
                      above[i].timing_shape_ms == alone[i].timing_shape_ms,
                  "seed %llu: a violin above changed piano note %d from %+d, %.2f ms to %+d, "
                  "%.2f ms",
                  (unsigned long long)seed, i, alone[i].velocity_shape,
                  (double)alone[i].timing_shape_ms, above[i].velocity_shape,
                  (double)above[i].timing_shape_ms);
            CHECK(piano_inside[i]->velocity_shape == alone[i].velocity_shape &&
                      piano_inside[i]->timing_shape_ms == alone[i].timing_shape_ms,
                  "seed %llu: a violin inside the chord changed piano note %d from %+d, %.2f ms "
                  "to %+d, %.2f ms",
                  (unsigned long long)seed, i, alone[i].velocity_shape,
                  (double)alone[i].timing_shape_ms, piano_inside[i]->velocity_shape,
                  (double)piano_inside[i]->timing_shape_ms);
        }
    }
}

static void test_each_string_player_drifts_on_their_own(void)
{
    /* Unisons, so pitch cannot tell the notes apart: only the players. */
    double apart_ms = 0;
    int onsets = 0;
    PnlHumanizeStyle style = {.seed = 3, .bar_ticks = 96, .beat_ticks = 24, .phrase_bars = 4};
    for (int32_t onset = 0; onset < 96 * 64; onset += 12, onsets++) {
        PnlTimelineNote quartet[] = {played(onset, 55, PNL_PART_VIOLA),
                                     played(onset, 55, PNL_PART_CELLO),
                                     played(onset, 67, PNL_PART_VIOLIN_1),
                                     played(onset, 67, PNL_PART_VIOLIN_2)};
        pnl_humanize_onset(&style, quartet, 4);
        apart_ms += fabs(quartet[0].timing_shape_ms - quartet[1].timing_shape_ms);
        apart_ms += fabs(quartet[2].timing_shape_ms - quartet[3].timing_shape_ms);
    }
    /* Two players' own +-3 ms errors alone would put them 2 ms apart on
     * average; their +-8 ms drifts, each its own, add to that. */
    CHECK(apart_ms / (2 * onsets) > 4.0,
          "expected players in unison about 5 ms apart on average, got %.2f ms",
          apart_ms / (2 * onsets));
}

int main(void)
{
    RUN_TEST(test_amount_zero_plays_the_timeline_exactly);
    RUN_TEST(test_deviations_stay_within_the_bound);
    RUN_TEST(test_the_rules_point_the_right_way);
    RUN_TEST(test_shading_is_a_function_of_the_seed);
    RUN_TEST(test_a_piano_onset_is_shaded_as_before_parts);
    RUN_TEST(test_a_double_stop_sounds_together);
    RUN_TEST(test_a_string_downbeat_is_accented_half_as_much_as_the_piano_s);
    RUN_TEST(test_the_piano_is_shaded_alike_with_or_without_a_violin);
    RUN_TEST(test_each_string_player_drifts_on_their_own);
    CHECK_EXIT();
}
