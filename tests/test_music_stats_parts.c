/* Each part's figures of an ensemble's score (src/music_stats.c,
 * pnl_music_stats_parts) on a small piano-and-violin score written by
 * hand, its figures counted here on paper: notes per beat, the beats a
 * part sounds in (a held note counting), its range and percentiles, the
 * two histograms, and a declared part with no notes. */
#include "check.h"
#include "music_stats.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { QUARTER = PNL_TICKS_PER_QUARTER, EIGHTH = QUARTER / 2, BAR_4_4 = 4 * QUARTER };

static int near(double value, double expected)
{
    return fabs(value - expected) < 1e-9;
}

static void add(PnlScore *score, int64_t onset, int32_t duration, int pitch, int part)
{
    PnlNote note = {onset, duration, (uint8_t)pitch, 64, (uint8_t)part, 0};
    pnl_score_add_note(score, note);
}

/* Two bars of 4/4, from bar `first_bar` on, for piano and violin, with a
 * cello declared that never plays:
 *   piano:  bar 1 a chord C3-E3 on each beat, bar 2 a whole-note C3;
 *   violin: bar 1 four eighths on beats 1-2, then rests; bar 2 rests, then
 *           a half note G5 on beats 3-4 (held through beat 4). */
static void duo(PnlScore *score, int first_bar)
{
    int64_t start = (int64_t)first_bar * BAR_4_4;
    pnl_score_init(score);
    score->parts = 1u << PNL_PART_PIANO | 1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_CELLO;
    for (int beat = 0; beat < 4; beat++) {
        add(score, start + beat * QUARTER, QUARTER, 48, PNL_PART_PIANO);
        add(score, start + beat * QUARTER, QUARTER, 52, PNL_PART_PIANO);
    }
    add(score, start + BAR_4_4, BAR_4_4, 48, PNL_PART_PIANO);
    static const int run[4] = {67, 69, 71, 72};
    for (int i = 0; i < 4; i++)
        add(score, start + i * EIGHTH, EIGHTH, run[i], PNL_PART_VIOLIN_1);
    add(score, start + BAR_4_4 + 2 * QUARTER, 2 * QUARTER, 79, PNL_PART_VIOLIN_1);
    pnl_score_normalize(score, NULL);
}

static void test_each_part_has_its_own_density_sounding_beats_and_range(void)
{
    PnlScore score;
    PnlPartsStats stats;
    PnlMusicStatsSettings settings = {4, 4, 0};
    duo(&score, 0);
    CHECK(pnl_music_stats_parts(&score, &settings, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.bars == 2 && stats.beats == 8 && stats.numerator == 4 && stats.denominator == 4,
          "%zu bars, %zu beats in %d/%d; expected 2 and 8 in 4/4", stats.bars, stats.beats,
          stats.numerator, stats.denominator);

    const PnlPartStats *piano = &stats.parts[PNL_PART_PIANO];
    CHECK(piano->notes == 9 && near(piano->notes_per_beat, 9.0 / 8.0),
          "piano: %zu notes, %g per beat; expected 9, 9/8", piano->notes, piano->notes_per_beat);
    CHECK(near(piano->sounding_beat_share, 1.0), "piano sounds in %g of the beats, not all",
          piano->sounding_beat_share);
    /* Keys 48 x5, 52 x4: nearest ranks 0 and 8 of 9. */
    CHECK(near(piano->lowest, 48) && near(piano->highest, 52) && near(piano->pitch_5, 48) &&
              near(piano->pitch_95, 52),
          "piano range %g-%g, 5th-95th %g-%g; expected 48-52 both", piano->lowest,
          piano->highest, piano->pitch_5, piano->pitch_95);
    CHECK(piano->pitch_histogram[48] == 5.0 && piano->pitch_histogram[52] == 4.0,
          "piano keys: %g C3, %g E3; expected 5 and 4", piano->pitch_histogram[48],
          piano->pitch_histogram[52]);
    /* Beats by notes struck: bar 1's four chords (2), bar 2's downbeat
     * (1), its other three beats (0). */
    CHECK(piano->beat_notes_histogram[0] == 3.0 && piano->beat_notes_histogram[1] == 1.0 &&
              piano->beat_notes_histogram[2] == 4.0,
          "piano beats with 0, 1, 2 notes: %g, %g, %g; expected 3, 1, 4",
          piano->beat_notes_histogram[0], piano->beat_notes_histogram[1],
          piano->beat_notes_histogram[2]);

    const PnlPartStats *violin = &stats.parts[PNL_PART_VIOLIN_1];
    CHECK(violin->notes == 5 && near(violin->notes_per_beat, 5.0 / 8.0),
          "violin: %zu notes, %g per beat; expected 5, 5/8", violin->notes,
          violin->notes_per_beat);
    /* Beats 1-2 of bar 1 and 3-4 of bar 2: the half note holds beat 4. */
    CHECK(near(violin->sounding_beat_share, 0.5), "violin sounds in %g of the beats, not 4/8",
          violin->sounding_beat_share);
    CHECK(near(violin->lowest, 67) && near(violin->highest, 79) && near(violin->pitch_5, 67) &&
              near(violin->pitch_95, 79),
          "violin range %g-%g, 5th-95th %g-%g; expected 67-79 both", violin->lowest,
          violin->highest, violin->pitch_5, violin->pitch_95);
    CHECK(violin->beat_notes_histogram[0] == 5.0 && violin->beat_notes_histogram[1] == 1.0 &&
              violin->beat_notes_histogram[2] == 2.0,
          "violin beats with 0, 1, 2 notes: %g, %g, %g; expected 5, 1, 2",
          violin->beat_notes_histogram[0], violin->beat_notes_histogram[1],
          violin->beat_notes_histogram[2]);
    /* Piano 3/8, 1/8, 4/8 against violin 5/8, 1/8, 2/8. */
    CHECK(near(pnl_histogram_overlap(piano->beat_notes_histogram, violin->beat_notes_histogram,
                                     PNL_BEAT_NOTE_CLASSES),
               0.75),
          "the two parts' beats overlap %g, not 3/8 + 1/8 + 2/8",
          pnl_histogram_overlap(piano->beat_notes_histogram, violin->beat_notes_histogram,
                                PNL_BEAT_NOTE_CLASSES));
    pnl_score_free(&score);
}

static void test_a_part_without_notes_tells_nothing(void)
{
    PnlScore score;
    PnlPartsStats stats;
    duo(&score, 0);
    CHECK(pnl_music_stats_parts(&score, NULL, &stats) == PNL_OK, "measuring failed");
    const PnlPartStats *cello = &stats.parts[PNL_PART_CELLO];
    CHECK(cello->notes == 0 && isnan(cello->notes_per_beat) &&
              isnan(cello->sounding_beat_share) && isnan(cello->lowest) &&
              isnan(cello->pitch_95),
          "the silent cello: %zu notes, %g per beat, sounding %g, lowest %g", cello->notes,
          cello->notes_per_beat, cello->sounding_beat_share, cello->lowest);
    double sum = 0.0;
    for (int b = 0; b < PNL_BEAT_NOTE_CLASSES; b++)
        sum += cello->beat_notes_histogram[b];
    CHECK(sum == 0.0, "the silent cello has %g beats counted", sum);
    pnl_score_free(&score);
}

static void test_bars_run_from_the_first_onset_or_over_the_bars_asked(void)
{
    PnlScore score;
    PnlPartsStats stats;
    /* The duo after an empty bar: measured from its first onset, the same. */
    duo(&score, 1);
    CHECK(pnl_music_stats_parts(&score, NULL, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.beats == 8 && near(stats.parts[PNL_PART_VIOLIN_1].sounding_beat_share, 0.5),
          "after an empty bar: %zu beats, violin sounding %g; expected 8 and 0.5", stats.beats,
          stats.parts[PNL_PART_VIOLIN_1].sounding_beat_share);
    pnl_score_free(&score);
    /* Four bars asked of the duo: the two it rests after count. */
    PnlMusicStatsSettings four_bars = {4, 4, 4};
    duo(&score, 0);
    CHECK(pnl_music_stats_parts(&score, &four_bars, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.beats == 16 && near(stats.parts[PNL_PART_PIANO].notes_per_beat, 9.0 / 16.0) &&
              near(stats.parts[PNL_PART_PIANO].sounding_beat_share, 0.5),
          "over 4 bars: %zu beats, piano %g notes per beat sounding %g; expected 16, 9/16, 1/2",
          stats.beats, stats.parts[PNL_PART_PIANO].notes_per_beat,
          stats.parts[PNL_PART_PIANO].sounding_beat_share);
    /* Three-four: the piano's bar-1 chords are 3 beats of one bar and 1 of the next. */
    PnlMusicStatsSettings three_four = {3, 4, 0};
    CHECK(pnl_music_stats_parts(&score, &three_four, &stats) == PNL_OK, "measuring failed");
    CHECK(stats.numerator == 3 && stats.beats == 9 &&
              near(stats.parts[PNL_PART_VIOLIN_1].notes_per_beat, 5.0 / 9.0),
          "in 3/4: %d/%d, %zu beats, violin %g per beat; expected 3/4, 9, 5/9",
          stats.numerator, stats.denominator, stats.beats,
          stats.parts[PNL_PART_VIOLIN_1].notes_per_beat);
    pnl_score_free(&score);
}

static void test_an_empty_score_and_a_bad_meter(void)
{
    PnlScore score;
    PnlPartsStats stats;
    PnlMusicStatsSettings bad = {5, 3, 0};
    pnl_score_init(&score);
    CHECK(pnl_music_stats_parts(&score, NULL, &stats) == PNL_OK && stats.beats == 0 &&
              stats.parts[PNL_PART_PIANO].notes == 0 &&
              isnan(stats.parts[PNL_PART_PIANO].notes_per_beat),
          "an empty score gave %zu beats, piano %g per beat", stats.beats,
          stats.parts[PNL_PART_PIANO].notes_per_beat);
    CHECK(pnl_music_stats_parts(&score, &bad, &stats) == PNL_EINVAL, "5/3 was accepted");
    pnl_score_free(&score);
}

int main(void)
{
    RUN_TEST(test_each_part_has_its_own_density_sounding_beats_and_range);
    RUN_TEST(test_a_part_without_notes_tells_nothing);
    RUN_TEST(test_bars_run_from_the_first_onset_or_over_the_bars_asked);
    RUN_TEST(test_an_empty_score_and_a_bad_meter);
    CHECK_EXIT();
}
