/* Tests of the vocabulary (src/vocabulary.c) against docs/vocabulary.md: its
 * layout and names, the signature, and the duration, velocity and meter
 * rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parts.h"
#include "status.h"
#include "vocabulary.h"

static void test_vocabulary_has_the_documented_families_and_size(void)
{
    static const struct {
        PnlFamily family;
        int count;
    } expected[] = {
        {PNL_FAMILY_PAD, 1},    {PNL_FAMILY_START, 1}, {PNL_FAMILY_END, 1},
        {PNL_FAMILY_COMPOSER, 27}, {PNL_FAMILY_BAR, 1}, {PNL_FAMILY_METER, 60},
        {PNL_FAMILY_POS, 192},  {PNL_FAMILY_PITCH, 88}, {PNL_FAMILY_VEL, 16},
        {PNL_FAMILY_DUR, 41},   {PNL_FAMILY_SOURCE, 2}, {PNL_FAMILY_DENSITY, 5},
        {PNL_FAMILY_PART, 6},
    };
    int next_id = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        CHECK(pnl_family_base(expected[i].family) == next_id,
              "family %d should start at id %d, starts at %d", (int)expected[i].family, next_id,
              pnl_family_base(expected[i].family));
        CHECK(pnl_family_count(expected[i].family) == expected[i].count,
              "family %d should hold %d tokens, holds %d", (int)expected[i].family,
              expected[i].count, pnl_family_count(expected[i].family));
        next_id += expected[i].count;
    }
    CHECK(pnl_vocab_size() == next_id && next_id == 441, "vocabulary size %d, expected 441",
          pnl_vocab_size());
}

static void test_every_token_name_maps_back_to_its_id(void)
{
    char name[PNL_TOKEN_NAME_MAX];
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        int length = pnl_token_name(token, name, sizeof name);
        CHECK(length > 0, "token %d has no name", token);
        CHECK(pnl_token_from_name(name) == token, "name %s of token %d maps to %d", name, token,
              pnl_token_from_name(name));
    }
    CHECK(pnl_token_name(PNL_VOCAB_SIZE, name, sizeof name) < 0, "id %d should have no name",
          PNL_VOCAB_SIZE);
    CHECK(pnl_token_from_name("PITCH_20") < 0, "PITCH_20 is below A0 and should not exist");
    CHECK(pnl_token_from_name("PITCH_109") < 0, "PITCH_109 is above C8 and should not exist");
    CHECK(pnl_token_from_name("DUR_13") < 0, "DUR_13 is not in the duration table");
    CHECK(pnl_token_from_name("METER_9_4") < 0, "9/4 is longer than 8 quarter notes");
    CHECK(pnl_token_from_name("POS_07") < 0, "POS_07 is not a canonical name");
    CHECK(pnl_token_from_name("COMPOSER_nobody") < 0, "COMPOSER_nobody should not exist");
}

static void test_named_tokens_sit_where_the_documentation_puts_them(void)
{
    char name[PNL_TOKEN_NAME_MAX];
    static const struct {
        int token;
        const char *name;
    } expected[] = {
        {0, "PAD"}, {1, "START"}, {2, "END"}, {3, "COMPOSER_albeniz"},
        {29, "COMPOSER_romantic"}, {30, "BAR"}, {31, "METER_1_2"}, {34, "METER_4_2"},
        {35, "METER_1_4"}, {42, "METER_8_4"}, {43, "METER_1_8"}, {59, "METER_1_16"},
        {90, "METER_32_16"}, {91, "POS_0"}, {282, "POS_191"}, {283, "PITCH_21"},
        {370, "PITCH_108"}, {371, "VEL_0"}, {386, "VEL_15"}, {387, "DUR_1"}, {427, "DUR_384"},
        {428, "SOURCE_performed"}, {430, "DENSITY_sparse"}, {434, "DENSITY_very_busy"},
        {435, "PART_piano"}, {436, "PART_violin_1"}, {437, "PART_violin_2"},
        {438, "PART_viola"}, {439, "PART_cello"}, {440, "PART_melody"},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        pnl_token_name(expected[i].token, name, sizeof name);
        CHECK(!strcmp(name, expected[i].name), "token %d is %s, expected %s", expected[i].token,
              name, expected[i].name);
    }
}

static void test_signature_is_fnv1a_of_the_names_each_with_a_newline(void)
{
    /* Recomputed here byte by byte, after checking the FNV-1a 64 constants
     * on a published value (FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c). */
    uint64_t hash = 0xcbf29ce484222325ULL;
    const char *a = "a";
    char name[PNL_TOKEN_NAME_MAX];
    uint64_t known = 0xcbf29ce484222325ULL;
    for (const char *c = a; *c; c++)
        known = (known ^ (unsigned char)*c) * 0x100000001b3ULL;
    CHECK(known == 0xaf63dc4c8601ec8cULL, "FNV-1a 64 of \"a\" is %016llx",
          (unsigned long long)known);
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        pnl_token_name(token, name, sizeof name);
        for (const char *c = name; *c; c++)
            hash = (hash ^ (unsigned char)*c) * 0x100000001b3ULL;
        hash = (hash ^ '\n') * 0x100000001b3ULL;
    }
    CHECK(hash == pnl_vocab_signature(), "signature %016llx, recomputed %016llx",
          (unsigned long long)pnl_vocab_signature(), (unsigned long long)hash);
}

/* The DENSITY family came last, so a model of the vocabulary before it
 * (the same names, 430 of them) is still read; nothing else is. */
static void test_the_vocabulary_before_density_is_still_accepted(void)
{
    CHECK(PNL_VOCAB_SIZE_BEFORE_DENSITY == 430 &&
              pnl_family_base(PNL_FAMILY_DENSITY) == PNL_VOCAB_SIZE_BEFORE_DENSITY,
          "the DENSITY family should start at id 430, the end of the older vocabulary");
    CHECK(pnl_vocab_accepts(pnl_vocab_prefix_signature(430), 430), "the older vocabulary is refused");
    CHECK(pnl_vocab_accepts(pnl_vocab_signature(), PNL_VOCAB_SIZE), "the vocabulary is refused");
    CHECK(!pnl_vocab_accepts(pnl_vocab_prefix_signature(431), 431) &&
              !pnl_vocab_accepts(pnl_vocab_prefix_signature(430), PNL_VOCAB_SIZE) &&
              !pnl_vocab_accepts(pnl_vocab_signature(), 430),
          "a vocabulary of another size or signature should be refused");
    CHECK(!pnl_vocab_has_density(430) && pnl_vocab_has_density(PNL_VOCAB_SIZE),
          "only the whole vocabulary has the DENSITY family");
}

/* The PART family came after DENSITY: the piano vocabularies before it are
 * its prefixes, with the very signatures their models carry. The figures
 * are those the codec had before PART (pianola-tokenize --vocab of the
 * 435-token codec, and of the 430-token one the bundled model names). */
static void test_the_piano_vocabularies_are_prefixes_with_their_old_signatures(void)
{
    CHECK(PNL_VOCAB_SIZE_BEFORE_PARTS == 435 &&
              pnl_family_base(PNL_FAMILY_PART) == PNL_VOCAB_SIZE_BEFORE_PARTS,
          "the PART family should start at id 435, after DENSITY");
    CHECK(pnl_vocab_prefix_signature(435) == 0xfccbe1855b2d1a04ULL,
          "the 435-token prefix's signature is %016llx, the density codec's was fccbe1855b2d1a04",
          (unsigned long long)pnl_vocab_prefix_signature(435));
    CHECK(pnl_vocab_prefix_signature(430) == 0xa3bc432c6feefe17ULL,
          "the 430-token prefix's signature is %016llx, the bundled model's codec's was "
          "a3bc432c6feefe17",
          (unsigned long long)pnl_vocab_prefix_signature(430));
    CHECK(pnl_vocab_accepts(0xfccbe1855b2d1a04ULL, 435) &&
              pnl_vocab_accepts(0xa3bc432c6feefe17ULL, 430),
          "a piano model of 435 or 430 tokens should be accepted");
    CHECK(!pnl_vocab_accepts(0xfccbe1855b2d1a04ULL, 430) &&
              !pnl_vocab_accepts(pnl_vocab_prefix_signature(436), 436) &&
              !pnl_vocab_accepts(pnl_vocab_prefix_signature(440), 440),
          "a vocabulary of another known size's signature, or a partial PART family, should "
          "be refused");
    CHECK(pnl_vocab_is_known_size(430) && pnl_vocab_is_known_size(435) &&
              pnl_vocab_is_known_size(441) && !pnl_vocab_is_known_size(436),
          "the known sizes are 430, 435 and 441");
    CHECK(!pnl_vocab_has_parts(435) && pnl_vocab_has_parts(PNL_VOCAB_SIZE),
          "only the whole vocabulary has the PART family");
}

/* One role table: the token names, the ranges the issue gives (violin
 * from G3, viola from C3, cello from C2) and the voices. */
static void test_the_roles_have_their_ranges_and_voices(void)
{
    static const struct {
        const char *name;
        int lowest, voices, program;
    } expected[] = {
        {"piano", 21, PNL_PART_UNLIMITED, 0}, {"violin_1", 55, 2, 40}, {"violin_2", 55, 2, 40},
        {"viola", 48, 2, 41},                 {"cello", 36, 2, 42},     {"melody", 55, 1, 68},
    };
    char name[PNL_TOKEN_NAME_MAX], token_name[PNL_TOKEN_NAME_MAX];
    for (int part = 0; part < PNL_PART_COUNT; part++) {
        const PnlPartRole *role = pnl_part_role(part);
        CHECK(role && !strcmp(role->name, expected[part].name) &&
                  role->lowest == expected[part].lowest && role->voices == expected[part].voices &&
                  role->program == expected[part].program,
              "role %d should be %s from %d, %d voices, program %d", part, expected[part].name,
              expected[part].lowest, expected[part].voices, expected[part].program);
        snprintf(name, sizeof name, "PART_%s", expected[part].name);
        pnl_token_name(pnl_token_part(part), token_name, sizeof token_name);
        CHECK(!strcmp(name, token_name), "role %d's token is %s, expected %s", part, token_name,
              name);
        CHECK(pnl_part_index(expected[part].name) == part, "%s is not role %d",
              expected[part].name, part);
    }
    CHECK(pnl_part_role(PNL_PART_PIANO)->highest == 108 && pnl_part_in_range(PNL_PART_CELLO, 36) &&
              !pnl_part_in_range(PNL_PART_CELLO, 35) && !pnl_part_in_range(PNL_PART_VIOLIN_1, 54),
          "the ranges' ends are wrong");
    CHECK(pnl_ensemble_count() == 5 && pnl_ensemble(0)->parts == 0 &&
              pnl_ensemble(pnl_ensemble_index("string_quartet"))->parts ==
                  (1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_VIOLIN_2 | 1u << PNL_PART_VIOLA |
                   1u << PNL_PART_CELLO) &&
              pnl_ensemble(pnl_ensemble_index("melody_piano"))->parts ==
                  (1u << PNL_PART_MELODY | 1u << PNL_PART_PIANO),
          "the ensembles should be solo piano (no parts), ..., string quartet, melody and piano");
    /* A played phrase: the piano's where there is one, else (or asked) the top part's. */
    PnlPartSet quartet = pnl_ensemble(pnl_ensemble_index("string_quartet"))->parts,
               cello = pnl_ensemble(pnl_ensemble_index("cello_piano"))->parts;
    CHECK(pnl_ensemble_prompt_part(0, PNL_PROMPT_PART_TOP) == PNL_PART_PIANO &&
              pnl_ensemble_prompt_part(cello, PNL_PROMPT_PART_PIANO) == PNL_PART_PIANO &&
              pnl_ensemble_prompt_part(cello, PNL_PROMPT_PART_TOP) == PNL_PART_CELLO &&
              pnl_ensemble_prompt_part(quartet, PNL_PROMPT_PART_PIANO) == PNL_PART_VIOLIN_1,
          "a phrase should be solo piano's piano, Cello and piano's piano or cello as asked, "
          "and the quartet's first violin");
}

/* Steps by notes per quarter-note beat, lower edges 3.25, 4.5, 6 and 8. */
static void test_density_steps_follow_the_documented_edges(void)
{
    static const struct {
        int notes, bar_ticks, step;
    } cases[] = {
        {0, 96, 0},  {12, 96, 0}, {13, 96, 1}, {17, 96, 1}, {18, 96, 2},  {23, 96, 2},
        {24, 96, 3}, {31, 96, 3}, {32, 96, 4}, {90, 96, 4}, {9, 72, 0},   {10, 72, 1},
        {24, 72, 4}, {3, 24, 0},  {4, 24, 1},  {6, 24, 3},  {40, 192, 2}, {0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(pnl_density_step(cases[i].notes, cases[i].bar_ticks) == cases[i].step,
              "%d notes in %d ticks: step %d, expected %d", cases[i].notes, cases[i].bar_ticks,
              pnl_density_step(cases[i].notes, cases[i].bar_ticks), cases[i].step);
    static const char *const names[] = {"DENSITY_sparse", "DENSITY_light", "DENSITY_moderate",
                                        "DENSITY_busy", "DENSITY_very_busy"};
    char name[PNL_TOKEN_NAME_MAX];
    for (int step = 0; step < PNL_DENSITY_COUNT; step++) {
        pnl_token_name(pnl_token_density(step), name, sizeof name);
        CHECK(!strcmp(name, names[step]), "step %d is %s, expected %s", step, name, names[step]);
        CHECK(step == 0 || pnl_density_target(step) > pnl_density_target(step - 1),
              "the targets should rise with the step");
    }
}

static void test_composers_are_the_corpus_folders_and_the_romantic_blend(void)
{
    static const char *const expected[] = {"mozart", "brahms", "schumann", "rachmaninoff",
                                           "romantic", "chopin", "christmas"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        int index = pnl_composer_index(expected[i]);
        CHECK(index >= 0, "composer %s is missing", expected[i]);
        CHECK(!strcmp(pnl_composer_name(index), expected[i]), "composer %d is %s, expected %s",
              index, pnl_composer_name(index), expected[i]);
    }
    CHECK(pnl_composer_index("Mozart") < 0, "composer names are lower case");
    CHECK(pnl_composer_name(PNL_COMPOSER_COUNT) == NULL, "no composer past the last");
}

static void test_written_durations_are_exact_and_performed_ones_snap_on_a_log_scale(void)
{
    static const struct {
        int64_t ticks;
        int expected;
    } cases[] = {
        {0, 1},    {1, 1},     {3, 3},     {12, 12},  {13, 14},  {15, 16},  {100, 96},
        {102, 108}, {170, 168}, {181, 192}, {384, 384}, {385, 384}, {100000, 384}, {-5, 1},
    };
    for (int index = 0; index < PNL_DUR_COUNT; index++)
        CHECK(pnl_duration_index(pnl_duration_ticks(index)) == index,
              "duration %d ticks should be exact", pnl_duration_ticks(index));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = pnl_duration_ticks(pnl_duration_index(cases[i].ticks));
        CHECK(got == cases[i].expected, "%lld ticks should snap to %d, snapped to %d",
              (long long)cases[i].ticks, cases[i].expected, got);
    }
    /* Nearest on a log scale: 12 and 14 meet at sqrt(168) = 12.96. */
    for (int64_t ticks = 1; ticks < 400; ticks++) {
        int index = pnl_duration_index(ticks);
        double ratio = (double)pnl_duration_ticks(index) / (double)ticks;
        if (ratio < 1)
            ratio = 1 / ratio;
        CHECK(ratio <= 1.10 || ticks > 384, "%lld ticks snapped %.3f times away",
              (long long)ticks, ratio);
    }
}

static void test_velocity_has_sixteen_levels_of_eight(void)
{
    CHECK(pnl_velocity_level(1) == 0 && pnl_velocity_level(8) == 0, "1..8 should be level 0");
    CHECK(pnl_velocity_level(9) == 1, "9 should be level 1, is %d", pnl_velocity_level(9));
    CHECK(pnl_velocity_level(127) == 15, "127 should be level 15, is %d",
          pnl_velocity_level(127));
    CHECK(pnl_velocity_level(0) == 0 && pnl_velocity_level(200) == 15,
          "out-of-range velocities should clamp");
    for (int level = 0; level < 16; level++) {
        CHECK(pnl_velocity_of_level(level) == 8 * level + 5, "level %d writes %d", level,
              pnl_velocity_of_level(level));
        CHECK(pnl_velocity_level(pnl_velocity_of_level(level)) == level,
              "level %d does not survive a round trip", level);
    }
}

static void test_meters_outside_the_table_keep_their_bar_lines(void)
{
    static const struct {
        int numerator, exponent, expected_numerator, expected_denominator;
    } cases[] = {
        {4, 2, 4, 4},   {6, 3, 6, 8},   {3, 1, 3, 2},   {8, 2, 8, 4},   {9, 2, 3, 4},
        {11, 2, 11, 8}, {10, 2, 5, 4},  {12, 2, 6, 4},  {14, 2, 7, 4},  {21, 3, 7, 8},
        {17, 4, 17, 16}, {44, 5, 22, 16}, {37, 5, 19, 16}, {11, 5, 6, 16},
        {2, 0, 4, 2},   {4, 0, 4, 2},   {3, 6, 1, 16},  {37, 4, 1, 16},
    };
    int numerator, denominator;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = pnl_meter_map(cases[i].numerator, cases[i].exponent, &numerator,
                                   &denominator);
        CHECK(status == PNL_OK, "%d/2^%d should map", cases[i].numerator, cases[i].exponent);
        CHECK(numerator == cases[i].expected_numerator &&
                  denominator == cases[i].expected_denominator,
              "%d/%d should become %d/%d, became %d/%d", cases[i].numerator,
              1 << cases[i].exponent, cases[i].expected_numerator,
              cases[i].expected_denominator, numerator, denominator);
        CHECK(pnl_token_meter(numerator, denominator) >= 0, "%d/%d is not a token", numerator,
              denominator);
    }
    CHECK(pnl_meter_map(0, 2, &numerator, &denominator) == PNL_ERANGE,
          "a numerator of 0 should be refused");
    CHECK(pnl_meter_map(4, 31, &numerator, &denominator) == PNL_ERANGE,
          "a denominator of 2^31 should be refused");
}

static void test_family_helpers_agree_with_the_names(void)
{
    char name[PNL_TOKEN_NAME_MAX];
    CHECK(pnl_token_family(-1) == PNL_FAMILY_NONE && pnl_token_family(PNL_VOCAB_SIZE) ==
                                                         PNL_FAMILY_NONE,
          "ids outside the vocabulary have no family");
    for (int pitch = PNL_LOWEST_PITCH; pitch <= PNL_HIGHEST_PITCH; pitch++) {
        int token = pnl_token_pitch(pitch);
        pnl_token_name(token, name, sizeof name);
        CHECK(pnl_token_family(token) == PNL_FAMILY_PITCH &&
                  pnl_token_offset(token) == pitch - PNL_LOWEST_PITCH && atoi(name + 6) == pitch,
              "pitch %d: token %d named %s", pitch, token, name);
    }
    for (int position = 0; position < PNL_POS_COUNT; position++) {
        int token = pnl_token_pos(position);
        CHECK(pnl_token_family(token) == PNL_FAMILY_POS && pnl_token_offset(token) == position,
              "position %d", position);
    }
    CHECK(pnl_token_pitch(20) < 0 && pnl_token_pitch(109) < 0 && pnl_token_pos(192) < 0 &&
              pnl_token_vel(16) < 0 && pnl_token_dur(41) < 0 && pnl_token_composer(27) < 0,
          "helpers should refuse values outside their family");
}

int main(void)
{
    RUN_TEST(test_vocabulary_has_the_documented_families_and_size);
    RUN_TEST(test_every_token_name_maps_back_to_its_id);
    RUN_TEST(test_named_tokens_sit_where_the_documentation_puts_them);
    RUN_TEST(test_signature_is_fnv1a_of_the_names_each_with_a_newline);
    RUN_TEST(test_the_vocabulary_before_density_is_still_accepted);
    RUN_TEST(test_the_piano_vocabularies_are_prefixes_with_their_old_signatures);
    RUN_TEST(test_the_roles_have_their_ranges_and_voices);
    RUN_TEST(test_density_steps_follow_the_documented_edges);
    RUN_TEST(test_composers_are_the_corpus_folders_and_the_romantic_blend);
    RUN_TEST(test_written_durations_are_exact_and_performed_ones_snap_on_a_log_scale);
    RUN_TEST(test_velocity_has_sixteen_levels_of_eight);
    RUN_TEST(test_meters_outside_the_table_keep_their_bar_lines);
    RUN_TEST(test_family_helpers_agree_with_the_names);
    CHECK_EXIT();
}
