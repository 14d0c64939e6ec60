/* Tests of the grammar's ensemble rules (src/grammar.c, src/parts.c against
 * docs/vocabulary.md, "Ensembles"): roles declared once each in role order,
 * every group of an onset a declared role in ascending order, each pitch in
 * its role's range, a string never sounding more than two notes nor the
 * melody more than one, held notes included; and random walks that follow
 * the mask never write an impossible part, for every ensemble. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grammar_feed.h"
#include "grammar.h"
#include "parts.h"
#include "status.h"
#include "vocabulary.h"

static int allows(const PnlGrammar *grammar, const char *name)
{
    return pnl_grammar_allows(grammar, pnl_token_from_name(name));
}

static void test_roles_are_declared_once_each_in_role_order(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    int refused = FEED(&grammar, "START", "COMPOSER_haydn", "SOURCE_engraved", "PART_violin_1",
                       "PART_violin_2", "PART_viola", "PART_cello", "BAR", "METER_4_4");
    CHECK(refused < 0, "token %d of a quartet's header was refused", refused);
    CHECK(grammar.parts == (1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_VIOLIN_2 |
                            1u << PNL_PART_VIOLA | 1u << PNL_PART_CELLO),
          "the declared roles are %#x", grammar.parts);
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "PART_cello", "PART_violin_1") == 3,
          "a role declared after a later one should be refused");
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "PART_piano", "PART_piano") == 3,
          "a role declared twice should be refused");
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "PART_piano", "SOURCE_engraved") == 3,
          "SOURCE after the roles should be refused");
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_4_4", "PART_piano") == 4,
          "a role declared after the first bar should be refused");
    /* Solo piano declares nothing and reads as ever: POS then PITCH. */
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_4_4", "POS_0", "PITCH_60",
               "VEL_5", "DUR_24") < 0 && grammar.parts == 0 &&
              !allows(&grammar, "PART_piano"),
          "a solo piece should take notes without PART and never a PART in a bar");
}

static void test_groups_name_declared_roles_in_ascending_order(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_beethoven", "PART_piano", "PART_cello", "BAR",
               "METER_4_4", "POS_0") < 0,
          "the cello sonata's opening was refused");
    CHECK(!allows(&grammar, "PITCH_60"), "a note must name its group's role first");
    CHECK(!allows(&grammar, "PART_violin_1"), "an undeclared role was allowed");
    CHECK(FEED(&grammar, "PART_piano", "PITCH_60", "VEL_5", "DUR_24", "PITCH_64", "VEL_5",
               "DUR_24", "PART_cello", "PITCH_48", "VEL_5", "DUR_24") < 0,
          "the piano's chord then the cello's note was refused");
    CHECK(!allows(&grammar, "PART_piano") && !allows(&grammar, "PART_cello"),
          "a role may not come again, nor an earlier one, within an onset");
    CHECK(!allows(&grammar, "PITCH_48") && allows(&grammar, "PITCH_55"),
          "pitches ascend within a group");
    CHECK(FEED(&grammar, "POS_24", "PART_cello", "PITCH_43", "VEL_4", "DUR_12") < 0,
          "a new onset may open with any declared role");
}

static void test_each_pitch_lies_in_its_roles_range(void)
{
    static const struct {
        const char *part, *lowest_ok, *below, *highest_ok, *above;
    } ranges[] = {
        {"PART_violin_1", "PITCH_55", "PITCH_54", "PITCH_103", "PITCH_104"},
        {"PART_viola", "PITCH_48", "PITCH_47", "PITCH_88", "PITCH_89"},
        {"PART_cello", "PITCH_36", "PITCH_35", "PITCH_88", "PITCH_89"},
        {"PART_melody", "PITCH_55", "PITCH_54", "PITCH_82", "PITCH_83"},
        {"PART_piano", "PITCH_21", NULL, "PITCH_108", NULL},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        PnlGrammar grammar;
        pnl_grammar_reset(&grammar);
        CHECK(FEED(&grammar, "START", "COMPOSER_bach", ranges[r].part, "BAR", "METER_4_4",
                   "POS_0", ranges[r].part) < 0,
              "%s alone was refused", ranges[r].part);
        CHECK(allows(&grammar, ranges[r].lowest_ok) && allows(&grammar, ranges[r].highest_ok),
              "%s should play %s and %s", ranges[r].part, ranges[r].lowest_ok,
              ranges[r].highest_ok);
        CHECK(!ranges[r].below || !allows(&grammar, ranges[r].below),
              "%s should not play %s", ranges[r].part, ranges[r].below);
        CHECK(!ranges[r].above || !allows(&grammar, ranges[r].above),
              "%s should not play %s", ranges[r].part, ranges[r].above);
    }
}

/* A key-normalized network spells the music in C major / A minor: with
 * the music 5 semitones above its tokens, the violin's G3 (55) is spelled
 * PITCH_50, so the range moves with the tokens; solo piano is left as it
 * was (the generator keeps its shifted notes on the keyboard). */
static void test_a_range_holds_for_the_sounding_pitch_past_a_key_shift(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_range_shift(&grammar, 5);
    CHECK(FEED(&grammar, "START", "COMPOSER_bach", "PART_violin_1", "BAR", "METER_4_4",
               "POS_0", "PART_violin_1") < 0,
          "the violin's group was refused");
    CHECK(!allows(&grammar, "PITCH_49") && allows(&grammar, "PITCH_50") &&
              allows(&grammar, "PITCH_98") && !allows(&grammar, "PITCH_99"),
          "moved up 5, the violin's G3..G7 should be PITCH_50..PITCH_98");
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_range_shift(&grammar, -7);
    CHECK(FEED(&grammar, "START", "COMPOSER_bach", "PART_cello", "BAR", "METER_4_4", "POS_0",
               "PART_cello") < 0,
          "the cello's group was refused");
    CHECK(!allows(&grammar, "PITCH_42") && allows(&grammar, "PITCH_43") &&
              allows(&grammar, "PITCH_95") && !allows(&grammar, "PITCH_96"),
          "moved down 7, the cello's C2..E6 should be PITCH_43..PITCH_95");
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_range_shift(&grammar, 11);
    CHECK(FEED(&grammar, "START", "COMPOSER_bach", "BAR", "METER_4_4", "POS_0", "PITCH_21",
               "VEL_5", "DUR_6", "PITCH_108") < 0,
          "solo piano should keep every key whatever the shift");
}

static void test_a_string_sounds_two_notes_at_most_held_notes_included(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_bach", "PART_violin_1", "PART_cello", "BAR",
               "METER_4_4", "POS_0", "PART_violin_1", "PITCH_55", "VEL_5", "DUR_48", "PITCH_62",
               "VEL_5", "DUR_24") < 0,
          "a double stop was refused");
    CHECK(!allows(&grammar, "PITCH_70"), "a triple stop was allowed");
    /* At 12 both notes still sound: the violin has no voice free there,
     * and an onset where only the violin could play... the cello can. */
    CHECK(FEED(&grammar, "POS_12") < 0 && !allows(&grammar, "PART_violin_1") &&
              allows(&grammar, "PART_cello"),
          "at tick 12 the violin's two held notes should leave it no voice, the cello its own");
    CHECK(FEED(&grammar, "PART_cello", "PITCH_36", "VEL_5", "DUR_12") < 0,
          "the cello's note was refused");
    /* At 24 the shorter note has ended: one voice is free, not two. */
    CHECK(FEED(&grammar, "POS_24", "PART_violin_1", "PITCH_67", "VEL_5", "DUR_6") < 0,
          "one new violin note beside a held one was refused");
    CHECK(!allows(&grammar, "PITCH_69"), "a third sounding violin note was allowed");
    /* At 48 both have ended. */
    CHECK(FEED(&grammar, "POS_48", "PART_violin_1", "PITCH_57", "VEL_5", "DUR_6", "PITCH_64",
               "VEL_5", "DUR_6") < 0,
          "a double stop after the held notes ended was refused");

    /* The melody sings one note at a time. */
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_brahms", "PART_piano", "PART_melody", "BAR",
               "METER_3_4", "POS_0", "PART_melody", "PITCH_67", "VEL_5", "DUR_24") < 0,
          "a song's first note was refused");
    CHECK(!allows(&grammar, "PITCH_72"), "a second melody note at once was allowed");
    CHECK(FEED(&grammar, "POS_6", "PART_piano", "PITCH_48", "VEL_5", "DUR_6") < 0 &&
              !allows(&grammar, "PART_melody"),
          "while the melody's note sounds only the piano may play");
}

/* The ensembles of the plugin, and ones data may bring (solo violin, violin
 * and viola, a piano trio): random walks of many seeds that take any token
 * the mask allows never write a note out of range nor more notes at once
 * than a role sounds, and the mask never runs dry. */
static void test_random_walks_never_write_an_impossible_part(void)
{
    enum { SEEDS = 60, STEPS = 1500, MAX_NOTES = 1500 };
    PnlPartSet sets[16];
    int set_count = 0;
    for (int e = 1; e < pnl_ensemble_count(); e++)
        sets[set_count++] = pnl_ensemble(e)->parts;
    sets[set_count++] = 1u << PNL_PART_VIOLIN_1;
    sets[set_count++] = 1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_VIOLA;
    sets[set_count++] = 1u << PNL_PART_PIANO | 1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_CELLO;
    static PnlNote notes[MAX_NOTES];
    uint8_t mask[PNL_VOCAB_SIZE];
    int total_notes = 0, string_notes = 0, double_stops = 0;
    for (int s = 0; s < set_count; s++) {
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            uint64_t random = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)s;
            PnlDecoder decoder;
            PnlNote note;
            int note_count = 0;
            pnl_decoder_reset(&decoder);
            pnl_grammar_set_density(&decoder.grammar, (int)(seed % 2));
            pnl_decoder_push(&decoder, PNL_TOKEN_START, &note);
            pnl_decoder_push(&decoder, pnl_token_composer((int)(seed % PNL_COMPOSER_COUNT)), &note);
            for (int part = 0; part < PNL_PART_COUNT; part++)
                if (sets[s] >> part & 1u)
                    CHECK(pnl_decoder_push(&decoder, pnl_token_part(part), &note) == 0,
                          "declaring role %d was refused", part);
            /* The header ends here: the walk may not declare more roles. */
            CHECK(pnl_decoder_push(&decoder, PNL_TOKEN_BAR, &note) == 0, "BAR was refused");
            for (int step = 0; step < STEPS && note_count < MAX_NOTES; step++) {
                int allowed = pnl_grammar_mask(&decoder.grammar, mask), chosen = -1;
                mask[PNL_TOKEN_END] = 0;
                CHECK(allowed > 0, "the mask ran dry (set %#x, seed %llu, step %d)", sets[s],
                      (unsigned long long)seed, step);
                /* Notes more often than bars, so parts fill up. */
                int pick = (int)(next_random(&random) % (uint64_t)PNL_VOCAB_SIZE);
                for (int i = 0; i < PNL_VOCAB_SIZE && chosen < 0; i++) {
                    int token = (pick + i) % PNL_VOCAB_SIZE;
                    if (mask[token] && (token != PNL_TOKEN_BAR || next_random(&random) % 8 == 0))
                        chosen = token;
                }
                if (chosen < 0)
                    chosen = PNL_TOKEN_BAR;
                CHECK(pnl_grammar_allows(&decoder.grammar, chosen),
                      "the mask allowed token %d, which the grammar refuses", chosen);
                int status = pnl_decoder_push(&decoder, chosen, &note);
                CHECK(status >= 0, "token %d from the mask was refused", chosen);
                if (status == 1)
                    notes[note_count++] = note;
            }
            for (int i = 0; i < note_count; i++) {
                const PnlPartRole *role = pnl_part_role(notes[i].part);
                CHECK(sets[s] >> notes[i].part & 1u, "a note of the undeclared role %d",
                      notes[i].part);
                CHECK(pnl_part_in_range(notes[i].part, notes[i].pitch),
                      "%s plays pitch %d, outside %d..%d (set %#x, seed %llu)", role->name,
                      notes[i].pitch, role->lowest, role->highest, sets[s],
                      (unsigned long long)seed);
                if (role->voices == PNL_PART_UNLIMITED)
                    continue;
                int sounding = 0;
                for (int j = 0; j < note_count; j++)
                    sounding += notes[j].part == notes[i].part &&
                                notes[j].onset_ticks <= notes[i].onset_ticks &&
                                notes[j].onset_ticks + notes[j].duration_ticks >
                                    notes[i].onset_ticks;
                CHECK(sounding <= role->voices,
                      "%s sounds %d notes at tick %lld, at most %d (set %#x, seed %llu)",
                      role->name, sounding, (long long)notes[i].onset_ticks, role->voices,
                      sets[s], (unsigned long long)seed);
                string_notes += notes[i].part != PNL_PART_MELODY;
                double_stops += sounding == 2;
            }
            total_notes += note_count;
        }
    }
    printf("    %d notes over %d ensembles x %d seeds; %d string notes, %d of them beside "
           "another of their part\n",
           total_notes, set_count, SEEDS, string_notes, double_stops);
    CHECK(string_notes > 10000 && double_stops > 1000,
          "the walks should write many string notes and double stops, wrote %d and %d",
          string_notes, double_stops);
}

int main(void)
{
    RUN_TEST(test_roles_are_declared_once_each_in_role_order);
    RUN_TEST(test_groups_name_declared_roles_in_ascending_order);
    RUN_TEST(test_each_pitch_lies_in_its_roles_range);
    RUN_TEST(test_a_range_holds_for_the_sounding_pitch_past_a_key_shift);
    RUN_TEST(test_a_string_sounds_two_notes_at_most_held_notes_included);
    RUN_TEST(test_random_walks_never_write_an_impossible_part);
    CHECK_EXIT();
}
