/* Tests of the score container (src/score.c): normalizing sorts the notes,
 * drops pitches off the piano and merges a pitch struck twice at one onset. */
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "score.h"

static void test_normalize_sorts_and_merges_a_key_struck_twice_at_one_onset(void)
{
    PnlScore score;
    PnlNote notes[] = {{24, 6, 64, 50, 0, 0}, {0, 12, 60, 40, 0, 0}, {24, 30, 64, 90, 0, 0}, {0, 5, 10, 40, 0, 0},
                       {0, 5, 120, 40, 0, 0}};
    PnlDropCounts dropped;
    pnl_score_init(&score);
    for (size_t i = 0; i < 5; i++)
        pnl_score_add_note(&score, notes[i]);
    pnl_score_normalize(&score, &dropped);
    CHECK(score.note_count == 2, "expected 2 notes, got %zu", score.note_count);
    CHECK(dropped.out_of_range == 2 && dropped.duplicates == 1,
          "expected 2 out of range and 1 duplicate, got %zu and %zu", dropped.out_of_range,
          dropped.duplicates);
    CHECK(score.notes[0].pitch == 60 && score.notes[1].pitch == 64, "wrong order");
    CHECK(score.notes[1].velocity == 50 && score.notes[1].duration_ticks == 30,
          "the merged note keeps the first velocity (50, got %d) and the longer length (30, got "
          "%d)",
          score.notes[1].velocity, score.notes[1].duration_ticks);
    pnl_score_free(&score);
}

int main(void)
{
    RUN_TEST(test_normalize_sorts_and_merges_a_key_struck_twice_at_one_onset);
    CHECK_EXIT();
}
