/* Musical statistics (src/music_stats.c) on small scores written by hand,
 * whose figures are counted here on paper: silent beats and bars, density,
 * polyphony, register, dynamics, the two histograms and their overlap, key
 * clarity, repetition, meters and the bars a render is measured over. */
#include "check.h"
#include "music_stats.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { QUARTER = PNL_TICKS_PER_QUARTER, BAR_4_4 = 4 * QUARTER };

static int near(double value, double expected)
{
    return fabs(value - expected) < 1e-9;
}

static void add(PnlScore *score, int64_t onset, int32_t duration, int pitch, int velocity)
{
    PnlNote note = {onset, duration, (uint8_t)pitch, (uint8_t)velocity, 0, 0};
    pnl_score_add_note(score, note);
}

static int measure(PnlScore *score, size_t bars, PnlMusicStats *stats)
{
    PnlMusicStatsSettings settings = {4, 4, bars};
    pnl_score_normalize(score, NULL);
    return pnl_music_stats(score, &settings, stats);
}

static void test_every_bar_ending_in_a_silent_beat_counts(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Four bars of 4/4, a quarter note on each of beats 1-3, the fourth silent. */
    for (int bar = 0; bar < 4; bar++)
        for (int beat = 0; beat < 3; beat++)
            add(&score, bar * BAR_4_4 + beat * QUARTER, QUARTER, 60 + beat, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 4 && stats.beats == 16, "%zu bars, %zu beats; expected 4 and 16",
          stats.bars, stats.beats);
    CHECK(near(stats.silent_last_beat_share, 1.0), "silent last beats: %g of the bars, not 1",
          stats.silent_last_beat_share);
    CHECK(near(stats.silent_beat_share, 0.25), "silent beats: %g, not 0.25",
          stats.silent_beat_share);
    CHECK(near(stats.notes_per_beat, 0.75), "notes per beat %g, not 12/16",
          stats.notes_per_beat);
    pnl_score_free(&score);
}

static void test_a_note_held_into_the_last_beat_keeps_it_sounding(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Half notes on beats 1 and 3: every beat sounds. */
    for (int bar = 0; bar < 2; bar++) {
        add(&score, bar * BAR_4_4, 2 * QUARTER, 60, 64);
        add(&score, bar * BAR_4_4 + 2 * QUARTER, 2 * QUARTER, 64, 64);
    }
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(near(stats.silent_last_beat_share, 0.0) && near(stats.silent_beat_share, 0.0),
          "silent last beats %g, silent beats %g; expected none", stats.silent_last_beat_share,
          stats.silent_beat_share);
    pnl_score_free(&score);
}

static void test_performed_timing_does_not_fill_a_silent_beat(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Beat 1 of bar 1 ends a tick late, bar 2's downbeat comes a tick early
     * (and a note on beat 3 ends the piece in bar 2): beats 2-4 of bar 1
     * still count as silent. */
    add(&score, 0, QUARTER + 1, 60, 64);
    add(&score, BAR_4_4 - 1, BAR_4_4, 60, 64);
    add(&score, BAR_4_4 + 2 * QUARTER, QUARTER, 64, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 2, "%zu bars, not 2", stats.bars);
    CHECK(near(stats.silent_beat_share, 3.0 / 8.0), "silent beats %g, not 3/8",
          stats.silent_beat_share);
    CHECK(near(stats.silent_last_beat_share, 0.5), "silent last beats %g, not 1/2",
          stats.silent_last_beat_share);
    /* Two ticks early is music, not timing: bar 1's last beat sounds. */
    pnl_score_clear(&score);
    add(&score, 0, QUARTER, 60, 64);
    add(&score, BAR_4_4 - 2, BAR_4_4, 60, 64);
    add(&score, BAR_4_4 + 2 * QUARTER, QUARTER, 64, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(near(stats.silent_beat_share, 2.0 / 8.0) && near(stats.silent_last_beat_share, 0.0),
          "silent beats %g, silent last beats %g; not 2/8 and none", stats.silent_beat_share,
          stats.silent_last_beat_share);
    pnl_score_free(&score);
}

static void test_polyphony_counts_struck_and_held_notes(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* A whole note, then a three-note chord on beat 2 (4 sounding), its
     * notes spread over two ticks as a pianist plays them: one onset. */
    add(&score, 0, BAR_4_4, 48, 64);
    add(&score, QUARTER, QUARTER, 60, 64);
    add(&score, QUARTER, QUARTER, 64, 64);
    add(&score, QUARTER + 1, QUARTER, 67, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.onsets == 2, "%zu onsets; the spread chord is one", stats.onsets);
    CHECK(near(stats.polyphony, (1.0 + 4.0) / 2.0), "polyphony %g, not 2.5", stats.polyphony);
    /* A melody played legato, each note overlapping the next by a tick:
     * one note sounds at each onset. */
    pnl_score_clear(&score);
    for (int i = 0; i < 8; i++)
        add(&score, i * QUARTER / 2, QUARTER / 2 + 1, 60 + i, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(near(stats.polyphony, 1.0), "legato polyphony %g, not 1", stats.polyphony);
    pnl_score_free(&score);
}

static void test_register_and_velocity(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Twenty quarter notes, keys 60..79, velocities 60 and 80 in turn. */
    for (int i = 0; i < 20; i++)
        add(&score, i * QUARTER, QUARTER, 60 + i, i % 2 ? 80 : 60);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(near(stats.lowest, 60) && near(stats.highest, 79), "range %g..%g, not 60..79",
          stats.lowest, stats.highest);
    /* Nearest ranks of 20 keys: the 2nd (61) and the 19th (78). */
    CHECK(near(stats.pitch_span_5_95, 17), "5-95%% span %g, not 17", stats.pitch_span_5_95);
    /* Onsets 0..19 quarters: the first quarter is onsets 0..4 (keys 60-64,
     * mean 62), the last 15..19 (keys 75-79, mean 77). */
    CHECK(near(stats.register_drift, 15), "drift %g, not 15", stats.register_drift);
    CHECK(near(stats.velocity_mean, 70) && near(stats.velocity_sd, 10),
          "velocity %g sd %g, not 70 sd 10", stats.velocity_mean, stats.velocity_sd);
    pnl_score_free(&score);
}

static void test_histograms_and_overlap(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* D major: eighth notes of the scale; moved to C major, white keys only. */
    static const int steps[7] = {0, 2, 4, 5, 7, 9, 11};
    for (int i = 0; i < 16; i++)
        add(&score, i * QUARTER / 2, QUARTER / 2, 62 + steps[i % 7], 64);
    add(&score, 8 * QUARTER, 2 * QUARTER, 50, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    double intervals = 0.0;
    for (int c = 0; c < PNL_IOI_CLASSES; c++)
        intervals += stats.ioi_histogram[c];
    CHECK(near(intervals, 16.0), "%g intervals between 17 onsets", intervals);
    CHECK(!strcmp(pnl_ioi_class_name(4), "1/8") && near(stats.ioi_histogram[4], 16.0),
          "eighths counted %g times as %s", stats.ioi_histogram[4], pnl_ioi_class_name(4));
    static const int black_keys[5] = {1, 3, 6, 8, 10};
    for (int i = 0; i < 5; i++)
        CHECK(stats.pitch_class_histogram[black_keys[i]] == 0.0,
              "pitch class %d holds %g notes of D major moved to C", black_keys[i],
              stats.pitch_class_histogram[black_keys[i]]);
    CHECK(stats.pitch_class_histogram[0] == 4.0, "%g notes on the tonic, not 3 + the bass",
          stats.pitch_class_histogram[0]);
    CHECK(stats.key_clarity > 0.7 && stats.key_clarity <= 1.0, "key clarity %g of a scale",
          stats.key_clarity);

    double a[4] = {1, 1, 0, 0}, b[4] = {0, 0, 3, 3}, c[4] = {2, 2, 2, 2};
    CHECK(near(pnl_histogram_overlap(a, a, 4), 1.0), "a histogram overlaps itself wholly");
    CHECK(near(pnl_histogram_overlap(a, b, 4), 0.0), "disjoint histograms overlap");
    CHECK(near(pnl_histogram_overlap(a, c, 4), 0.5), "overlap %g, not 0.5",
          pnl_histogram_overlap(a, c, 4));
    double empty[4] = {0, 0, 0, 0};
    CHECK(isnan(pnl_histogram_overlap(a, empty, 4)), "an empty histogram overlaps");
    pnl_score_free(&score);
}

/* A bar of four quarter notes, keys from `keys`, in bar `bar`. */
static void add_bar(PnlScore *score, int bar, const int *keys, const int *positions)
{
    for (int i = 0; i < 4; i++)
        add(score, bar * BAR_4_4 + positions[i], QUARTER, keys[i], 64);
}

static void test_repetition(void)
{
    PnlScore score;
    PnlMusicStats stats;
    static const int straight[4] = {0, 24, 48, 72}, dotted[4] = {0, 36, 48, 72};
    static const int theme[4] = {60, 62, 64, 65}, up_a_step[4] = {62, 64, 66, 67};
    pnl_score_init(&score);
    /* Bars 1-3 the theme (a run of three verbatim), bar 4 the theme a step
     * up, bars 5-16 new melodies in a dotted rhythm, bar 17 the theme again,
     * bar 18 bar 10's rhythm with new keys. */
    for (int bar = 0; bar < 3; bar++)
        add_bar(&score, bar, theme, straight);
    add_bar(&score, 3, up_a_step, straight);
    for (int bar = 4; bar < 16; bar++) {
        int keys[4] = {40 + 2 * bar, 41 + 2 * bar, 40 + 2 * bar, 43 + 3 * bar};
        add_bar(&score, bar, keys, dotted);
    }
    add_bar(&score, 16, theme, straight);
    {
        int keys[4] = {70, 71, 72, 73};
        add_bar(&score, 17, keys, dotted);
    }
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 18, "%zu bars, not 18", stats.bars);
    /* Of bars 2-18 (17), the rhythm repeats in all but bar 5 (the first
     * dotted one) and bar 17 (the theme's last straight bar is bar 4). */
    CHECK(near(stats.rhythm_repeat_within_8, 15.0 / 17.0), "rhythm repeats %g, not 15/17",
          stats.rhythm_repeat_within_8);
    /* Melody: bars 2 and 3 only. */
    CHECK(near(stats.melody_repeat_within_8, 2.0 / 17.0), "melody repeats %g, not 2/17",
          stats.melody_repeat_within_8);
    /* Intervals: bars 2, 3 and 4 (the theme a step up, intervals 2 2 1). The
     * dotted bars go +1 -1 and +3+3*bar-... all differ. */
    CHECK(near(stats.intervals_repeat_within_8, 3.0 / 17.0), "intervals repeat %g, not 3/17",
          stats.intervals_repeat_within_8);
    /* Bars 9-18 (10) against 8 before: bars 9-12 are dotted against 1-4
     * straight (no), 13-16 dotted against 5-8 dotted (yes), 17 straight
     * against 9 dotted (no), 18 dotted against 10 dotted (yes). */
    CHECK(near(stats.rhythm_repeat_at_8, 5.0 / 10.0), "rhythm at 8: %g, not 5/10",
          stats.rhythm_repeat_at_8);
    /* Bars 17 and 18 against bars 1 and 2: the theme repeats, bar 18 not. */
    CHECK(near(stats.rhythm_repeat_at_16, 1.0 / 2.0) && near(stats.melody_repeat_at_16, 0.5),
          "at 16: rhythm %g, melody %g, not 1/2 and 1/2", stats.rhythm_repeat_at_16,
          stats.melody_repeat_at_16);
    CHECK(near(stats.melody_repeat_at_8, 0.0), "melody at 8: %g", stats.melody_repeat_at_8);
    CHECK(near(stats.longest_verbatim_run, 3.0), "longest verbatim run %g, not 3",
          stats.longest_verbatim_run);
    pnl_score_free(&score);
}

static void test_meters_set_the_beat(void)
{
    CHECK(pnl_meter_beat_ticks(4, 4) == 24 && pnl_meter_beat_ticks(3, 4) == 24 &&
              pnl_meter_beat_ticks(2, 2) == 48 && pnl_meter_beat_ticks(6, 8) == 36 &&
              pnl_meter_beat_ticks(12, 8) == 36 && pnl_meter_beat_ticks(3, 8) == 12 &&
              pnl_meter_beat_ticks(5, 8) == 12,
          "beats of 4/4 3/4 2/2 6/8 12/8 3/8 5/8: %d %d %d %d %d %d %d",
          pnl_meter_beat_ticks(4, 4), pnl_meter_beat_ticks(3, 4), pnl_meter_beat_ticks(2, 2),
          pnl_meter_beat_ticks(6, 8), pnl_meter_beat_ticks(12, 8), pnl_meter_beat_ticks(3, 8),
          pnl_meter_beat_ticks(5, 8));
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Two full bars of 3/4, then 6/8 from tick 100 (inside bar 2, so from
     * bar 3 on), three bars of it: a dotted quarter on each first beat. */
    pnl_score_add_meter(&score, (PnlMeterChange){0, 3, 4});
    pnl_score_add_meter(&score, (PnlMeterChange){100, 6, 8});
    add(&score, 0, 3 * QUARTER, 60, 64);
    add(&score, 72, 3 * QUARTER, 60, 64);
    for (int bar = 0; bar < 3; bar++)
        add(&score, 144 + bar * 72, 36, 62, 64);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 5 && stats.beats == 2 * 3 + 3 * 2, "%zu bars, %zu beats; not 5, 12",
          stats.bars, stats.beats);
    CHECK(stats.numerator == 6 && stats.denominator == 8, "mostly in %d/%d, not 6/8",
          stats.numerator, stats.denominator);
    CHECK(near(stats.silent_last_beat_share, 3.0 / 5.0), "silent last beats %g, not 3/5",
          stats.silent_last_beat_share);
    pnl_score_free(&score);
}

static void test_a_render_is_measured_over_its_bars(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    /* Bar 1 silent, bar 2 a whole note, bar 3 silent, then the note a
     * render cuts at its stop on bar 4's downbeat. */
    add(&score, BAR_4_4, BAR_4_4, 60, 64);
    add(&score, 3 * BAR_4_4, 1, 62, 64);
    CHECK(measure(&score, 3, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 3 && stats.notes == 1, "%zu bars and %zu notes, not 3 and 1",
          stats.bars, stats.notes);
    CHECK(near(stats.silent_last_beat_share, 2.0 / 3.0), "silent last beats %g, not 2/3",
          stats.silent_last_beat_share);
    /* Without a bar count: from the first onset's bar to the last's. */
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 3 && stats.notes == 2, "%zu bars and %zu notes, not 3 and 2",
          stats.bars, stats.notes);
    pnl_score_free(&score);
}

static void test_an_empty_score_tells_nothing(void)
{
    PnlScore score;
    PnlMusicStats stats;
    pnl_score_init(&score);
    CHECK(measure(&score, 0, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.notes == 0 && isnan(stats.notes_per_beat) && isnan(stats.key_clarity),
          "an empty score has figures");
    PnlMusicStatsSettings bad = {5, 3, 0};
    CHECK(pnl_music_stats(&score, &bad, &stats) == PNL_EINVAL, "5/3 accepted as a meter");
    pnl_score_free(&score);
}

int main(void)
{
    RUN_TEST(test_every_bar_ending_in_a_silent_beat_counts);
    RUN_TEST(test_a_note_held_into_the_last_beat_keeps_it_sounding);
    RUN_TEST(test_performed_timing_does_not_fill_a_silent_beat);
    RUN_TEST(test_polyphony_counts_struck_and_held_notes);
    RUN_TEST(test_register_and_velocity);
    RUN_TEST(test_histograms_and_overlap);
    RUN_TEST(test_repetition);
    RUN_TEST(test_meters_set_the_beat);
    RUN_TEST(test_a_render_is_measured_over_its_bars);
    RUN_TEST(test_an_empty_score_tells_nothing);
    CHECK_EXIT();
}
