/* Tests of the grammar and the decoder (src/grammar.c) against
 * docs/vocabulary.md: well-formed pieces pass, malformed ones are refused at
 * the right token, the mask agrees with the rules, and notes come out on the
 * grid. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grammar_feed.h"
#include "grammar.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

static int random_below(uint64_t *state, int limit)
{
    return (int)(next_random(state) % (uint64_t)limit);
}

static void test_grammar_accepts_a_well_formed_piece(void)
{
    PnlGrammar grammar;
    int refused;
    pnl_grammar_reset(&grammar);
    refused = FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_3_4", "POS_0",
                   "PITCH_48", "VEL_8", "DUR_24", "PITCH_60", "VEL_9", "DUR_12", "POS_71",
                   "PITCH_50", "VEL_3", "DUR_1", "BAR", "METER_3_4", "BAR", "METER_2_4", "POS_47",
                   "PITCH_21",
                   "VEL_0", "DUR_384", "PITCH_108", "VEL_15", "DUR_6", "END");
    CHECK(refused < 0, "token %d of a well-formed piece was refused", refused);
    CHECK(pnl_grammar_finished(&grammar), "the grammar should be finished after END");
    CHECK(pnl_grammar_bar_start_ticks(&grammar) == 144,
          "the third bar (after two of 3/4) starts at 144, grammar says %lld",
          (long long)pnl_grammar_bar_start_ticks(&grammar));
    CHECK(pnl_grammar_bar_ticks(&grammar) == 48 && pnl_grammar_position(&grammar) == 47 &&
              pnl_grammar_onset_ticks(&grammar) == 191,
          "expected a 2/4 bar of 48 ticks with the onset at 47 (tick 191), got %d, %d, %lld",
          pnl_grammar_bar_ticks(&grammar), pnl_grammar_position(&grammar),
          (long long)pnl_grammar_onset_ticks(&grammar));
}

/* In density mode exactly one DENSITY token follows every METER, and
 * nothing else may; without it no DENSITY token is ever allowed. */
static void test_density_mode_wants_one_density_token_after_each_meter(void)
{
    PnlGrammar grammar;
    uint8_t mask[PNL_VOCAB_SIZE];
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_density(&grammar, 1);
    int refused = FEED(&grammar, "START", "COMPOSER_brahms", "SOURCE_performed", "BAR",
                       "METER_3_4", "DENSITY_light", "POS_0", "PITCH_48", "VEL_8", "DUR_24",
                       "BAR", "METER_3_4", "DENSITY_sparse", "BAR", "METER_2_4",
                       "DENSITY_very_busy", "POS_12", "PITCH_60", "VEL_3", "DUR_6", "END");
    CHECK(refused < 0, "token %d of a well-formed density piece was refused", refused);
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_density(&grammar, 1);
    FEED(&grammar, "START", "COMPOSER_brahms", "BAR", "METER_4_4");
    int allowed = pnl_grammar_mask(&grammar, mask);
    CHECK(allowed == PNL_DENSITY_COUNT && mask[pnl_token_density(0)] &&
              mask[pnl_token_density(PNL_DENSITY_COUNT - 1)],
          "after METER only the %d DENSITY tokens may come, the mask allows %d",
          PNL_DENSITY_COUNT, allowed);
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pos(0)) &&
              !pnl_grammar_allows(&grammar, PNL_TOKEN_BAR),
          "a bar in density mode may not go on without its DENSITY token");
    CHECK(FEED(&grammar, "DENSITY_busy") < 0 && grammar.density_step == 3,
          "DENSITY_busy was refused or not kept (step %d)", grammar.density_step);
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_density(0)),
          "a second DENSITY token in one bar was allowed");

    pnl_grammar_reset(&grammar);
    FEED(&grammar, "START", "COMPOSER_brahms", "BAR", "METER_4_4");
    pnl_grammar_mask(&grammar, mask);
    for (int step = 0; step < PNL_DENSITY_COUNT; step++)
        CHECK(!mask[pnl_token_density(step)] && !pnl_grammar_allows(&grammar, pnl_token_density(step)),
              "without density mode DENSITY step %d was allowed", step);
    CHECK(pnl_grammar_allows(&grammar, pnl_token_pos(0)), "a plain bar's onset was refused");
}

static void test_grammar_takes_the_kind_of_source_after_the_composer(void)
{
    PnlGrammar grammar;
    uint8_t mask[PNL_VOCAB_SIZE];
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_schumann") < 0, "the opening was refused");
    pnl_grammar_mask(&grammar, mask);
    CHECK(mask[PNL_TOKEN_BAR] && mask[pnl_token_source(PNL_SOURCE_PERFORMED)] &&
              mask[pnl_token_source(PNL_SOURCE_ENGRAVED)],
          "after the composer come BAR or a SOURCE token");
    CHECK(FEED(&grammar, "SOURCE_engraved", "BAR", "METER_4_4", "POS_0", "PITCH_60", "VEL_8",
               "DUR_24", "END") < 0,
          "a piece with its kind of source was refused");
    CHECK(grammar.source == PNL_SOURCE_ENGRAVED && grammar.composer == 23,
          "the grammar should know Schumann (23) and engraved (1), has %d and %d",
          grammar.composer, grammar.source);
    CHECK(pnl_token_from_name("SOURCE_performed") == pnl_token_source(PNL_SOURCE_PERFORMED) &&
              pnl_token_from_name("SOURCE_printed") < 0,
          "SOURCE names should map to their tokens and no others");
}

static void test_grammar_refuses_malformed_sequences(void)
{
    static const struct {
        const char *why;
        const char *names[8];
        int count;
    } cases[] = {
        {"a piece must begin with START", {"BAR"}, 1},
        {"START must be followed by a composer", {"START", "BAR"}, 2},
        {"the composer must be followed by SOURCE or BAR",
         {"START", "COMPOSER_bach", "METER_4_4"}, 3},
        {"SOURCE must be followed by BAR",
         {"START", "COMPOSER_bach", "SOURCE_engraved", "SOURCE_performed"}, 4},
        {"SOURCE may only follow the composer",
         {"START", "COMPOSER_bach", "BAR", "METER_4_4", "SOURCE_performed"}, 5},
        {"the first bar needs a meter", {"START", "COMPOSER_bach", "BAR", "POS_0"}, 4},
        {"END may not come before the first bar",
         {"START", "COMPOSER_bach", "END"}, 3},
        {"a position must lie inside the bar",
         {"START", "COMPOSER_bach", "BAR", "METER_2_4", "POS_48"}, 5},
        {"positions must increase",
         {"START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_12", "PITCH_60", "VEL_1", "DUR_6"},
         8},
        {"a position needs a note", {"START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_12",
                                     "POS_13"}, 6},
        {"a pitch needs a velocity",
         {"START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_0", "PITCH_60", "DUR_6"}, 7},
        {"a velocity needs a duration",
         {"START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_0", "PITCH_60", "VEL_3", "BAR"}, 8},
        {"a meter change may only follow BAR",
         {"START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_0", "PITCH_60", "VEL_3", "DUR_6"},
         8},
        {"PAD never appears in a piece", {"START", "PAD"}, 2},
        {"a second START", {"START", "COMPOSER_bach", "BAR", "METER_4_4", "START"}, 5},
    };
    static const char *const follow_ups[] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                             NULL, "POS_6", NULL, NULL, NULL, "METER_3_4",
                                             NULL, NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PnlGrammar grammar;
        int refused;
        pnl_grammar_reset(&grammar);
        refused = feed(&grammar, cases[i].names, cases[i].count);
        if (follow_ups[i]) {
            CHECK(refused < 0, "%s: the prefix should be accepted (token %d refused)",
                  cases[i].why, refused);
            refused = feed(&grammar, &follow_ups[i], 1) < 0 ? -1 : cases[i].count;
        }
        CHECK(refused == (follow_ups[i] ? cases[i].count : cases[i].count - 1),
              "%s: expected the last token refused, got %d", cases[i].why, refused);
    }
}

static void test_grammar_refuses_chords_that_are_not_ascending_and_bars_without_a_meter(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_liszt", "BAR", "METER_4_4", "POS_0", "PITCH_64",
               "VEL_3", "DUR_6") < 0,
          "prefix refused");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pitch(64)), "the same pitch twice in a chord");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pitch(60)), "a lower pitch after a higher one");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_pitch(65)), "a higher pitch should be allowed");
    CHECK(FEED(&grammar, "BAR") < 0, "BAR after a note refused");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_meter(4, 4)) &&
              pnl_grammar_allows(&grammar, pnl_token_meter(3, 4)),
          "every bar names its meter, the same or another");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pos(0)) &&
              !pnl_grammar_allows(&grammar, PNL_TOKEN_BAR) &&
              !pnl_grammar_allows(&grammar, PNL_TOKEN_END),
          "nothing but the meter may follow BAR");
    CHECK(pnl_grammar_advance(&grammar, PNL_TOKEN_PAD) == PNL_EINVAL,
          "advance should refuse PAD");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_meter(2, 4)) &&
              !pnl_grammar_allows(&grammar, pnl_token_pos(0)),
          "the refused PAD changed the state");
}

/* Walks the grammar by random choices among the allowed tokens; checks at
 * every step that the mask and allows() agree and that something is always
 * allowed. Never chooses END, so it shows a piece can go on forever. */
static void test_grammar_mask_agrees_with_allows_and_never_runs_dry(void)
{
    PnlGrammar grammar;
    uint8_t mask[PNL_VOCAB_SIZE];
    uint64_t random = 12345;
    int allowed_ids[PNL_VOCAB_SIZE];
    pnl_grammar_reset(&grammar);
    for (int step = 0; step < 50000; step++) {
        int allowed = pnl_grammar_mask(&grammar, mask);
        int count = 0;
        for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
            CHECK(mask[token] == pnl_grammar_allows(&grammar, token),
                  "step %d: mask says %d for token %d, allows says %d", step, mask[token], token,
                  pnl_grammar_allows(&grammar, token));
            if (mask[token] && token != PNL_TOKEN_END)
                allowed_ids[count++] = token;
        }
        CHECK(allowed == count + mask[PNL_TOKEN_END], "step %d: mask counted %d, holds %d", step,
              allowed, count + mask[PNL_TOKEN_END]);
        CHECK(count > 0, "step %d: nothing but END is allowed", step);
        /* Favour notes over bar lines so bars fill up. */
        int token = allowed_ids[random_below(&random, count)];
        if (token == PNL_TOKEN_BAR && random_below(&random, 8))
            token = allowed_ids[random_below(&random, count)];
        CHECK(pnl_grammar_advance(&grammar, token) == PNL_OK, "step %d: advance refused %d",
              step, token);
    }
    CHECK(grammar.bar_count > 100, "the walk should have crossed many bars, crossed %d",
          grammar.bar_count);
}

static void test_decoder_turns_tokens_into_notes_on_the_grid(void)
{
    static const char *const names[] = {
        "START", "COMPOSER_mozart", "BAR", "METER_3_4", "POS_0", "PITCH_60", "VEL_8", "DUR_24",
        "PITCH_64", "VEL_15", "DUR_72", "BAR", "METER_6_8", "POS_36", "PITCH_67", "VEL_0",
        "DUR_9", "END"};
    PnlDecoder decoder;
    PnlNote notes[3], note;
    int note_count = 0;
    pnl_decoder_reset(&decoder);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int status = pnl_decoder_push(&decoder, pnl_token_from_name(names[i]), &note);
        CHECK(status >= 0, "token %zu (%s) refused", i, names[i]);
        if (status == 1) {
            CHECK(note_count < 3, "more than three notes");
            notes[note_count++] = note;
        }
    }
    CHECK(note_count == 3, "expected 3 notes, got %d", note_count);
    CHECK(notes[0].onset_ticks == 0 && notes[0].pitch == 60 && notes[0].velocity == 69 &&
              notes[0].duration_ticks == 24,
          "first note: onset %lld pitch %d velocity %d duration %d", (long long)notes[0].onset_ticks,
          notes[0].pitch, notes[0].velocity, notes[0].duration_ticks);
    CHECK(notes[1].onset_ticks == 0 && notes[1].pitch == 64 && notes[1].velocity == 125 &&
              notes[1].duration_ticks == 72,
          "second note: onset %lld pitch %d velocity %d duration %d",
          (long long)notes[1].onset_ticks, notes[1].pitch, notes[1].velocity,
          notes[1].duration_ticks);
    /* Bar 2 starts after one bar of 3/4 (72 ticks); POS_36 is 36 ticks in. */
    CHECK(notes[2].onset_ticks == 108 && notes[2].pitch == 67 && notes[2].velocity == 5 &&
              notes[2].duration_ticks == 9,
          "third note: onset %lld pitch %d velocity %d duration %d",
          (long long)notes[2].onset_ticks, notes[2].pitch, notes[2].velocity,
          notes[2].duration_ticks);
    CHECK(pnl_decoder_push(&decoder, PNL_TOKEN_BAR, &note) == PNL_EINVAL,
          "nothing may follow END");
}

static void test_grammar_knows_whether_the_end_of_a_bar_sounds(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 24), "before any bar nothing can end silent");
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_4_4") < 0, "refused");
    CHECK(!pnl_grammar_bar_tail_sounds(&grammar, 24), "an empty 4/4 bar ends silent");
    CHECK(FEED(&grammar, "POS_48", "PITCH_60", "VEL_8", "DUR_24") < 0, "refused");
    CHECK(!pnl_grammar_bar_tail_sounds(&grammar, 24),
          "a quarter note on beat 3 leaves beat 4 silent");
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 48), "but not the last two beats");
    CHECK(FEED(&grammar, "PITCH_64", "VEL_8", "DUR_28") < 0, "refused");
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 24),
          "a note held 4 ticks into beat 4 sounds in it");
    CHECK(FEED(&grammar, "BAR", "METER_4_4", "POS_90", "PITCH_60", "VEL_8", "DUR_48") < 0,
          "refused");
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 24), "a note from the bar's last beat sounds");
    CHECK(FEED(&grammar, "BAR", "METER_4_4") < 0, "refused");
    CHECK(!pnl_grammar_bar_tail_sounds(&grammar, 24), "a note held 42 ticks into a bar");
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 56) && !pnl_grammar_bar_tail_sounds(&grammar, 55),
          "sounds in its first 42 ticks, not after (and a tail's first tick does not count)");
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_4_4", "POS_71", "PITCH_60",
               "VEL_8", "DUR_2") < 0,
          "refused");
    CHECK(!pnl_grammar_bar_tail_sounds(&grammar, 24),
          "a note reaching only the first tick of beat 4 leaves it silent");
    CHECK(FEED(&grammar, "PITCH_62", "VEL_8", "DUR_3") < 0, "refused");
    CHECK(pnl_grammar_bar_tail_sounds(&grammar, 24), "one reaching its second tick sounds in it");
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_4_4", "POS_0", "PITCH_60",
               "VEL_8", "DUR_96", "POS_24", "PITCH_60", "VEL_8", "DUR_12") < 0,
          "refused");
    CHECK(!pnl_grammar_bar_tail_sounds(&grammar, 24),
          "a whole note struck again on beat 2 stops there: beat 4 is silent");
}

int main(void)
{
    RUN_TEST(test_grammar_accepts_a_well_formed_piece);
    RUN_TEST(test_grammar_takes_the_kind_of_source_after_the_composer);
    RUN_TEST(test_grammar_refuses_malformed_sequences);
    RUN_TEST(test_grammar_refuses_chords_that_are_not_ascending_and_bars_without_a_meter);
    RUN_TEST(test_grammar_mask_agrees_with_allows_and_never_runs_dry);
    RUN_TEST(test_decoder_turns_tokens_into_notes_on_the_grid);
    RUN_TEST(test_grammar_knows_whether_the_end_of_a_bar_sounds);
    RUN_TEST(test_density_mode_wants_one_density_token_after_each_meter);
    CHECK_EXIT();
}
