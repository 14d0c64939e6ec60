/* Tests of the event codec (src/events.c) against docs/vocabulary.md: the
 * vocabulary's layout and names, duration, velocity and meter rules, the
 * grammar, and encode/decode as inverses on generated pieces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "status.h"

/* A small deterministic PRNG for generated pieces (xorshift64*). */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dULL;
}

static int random_below(uint64_t *state, int limit)
{
    return (int)(next_random(state) % (uint64_t)limit);
}

static void test_vocabulary_has_the_documented_families_and_size(void)
{
    static const struct {
        PnlFamily family;
        int count;
    } expected[] = {
        {PNL_FAMILY_PAD, 1},    {PNL_FAMILY_START, 1}, {PNL_FAMILY_END, 1},
        {PNL_FAMILY_COMPOSER, 27}, {PNL_FAMILY_BAR, 1}, {PNL_FAMILY_METER, 60},
        {PNL_FAMILY_POS, 192},  {PNL_FAMILY_PITCH, 88}, {PNL_FAMILY_VEL, 16},
        {PNL_FAMILY_DUR, 41},
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
    CHECK(pnl_vocab_size() == next_id && next_id == 428, "vocabulary size %d, expected 428",
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

/* Feeds names to a grammar; returns the index of the first refused token, or
 * -1 if all were accepted. */
static int feed(PnlGrammar *grammar, const char *const *names, int count)
{
    for (int i = 0; i < count; i++) {
        int token = pnl_token_from_name(names[i]);
        if (token < 0 || pnl_grammar_advance(grammar, token) != PNL_OK)
            return i;
    }
    return -1;
}

#define FEED(grammar, ...)                                                   \
    feed(grammar, (const char *const[]){__VA_ARGS__},                         \
         (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

static void test_grammar_accepts_a_well_formed_piece(void)
{
    PnlGrammar grammar;
    int refused;
    pnl_grammar_reset(&grammar);
    refused = FEED(&grammar, "START", "COMPOSER_mozart", "BAR", "METER_3_4", "POS_0",
                   "PITCH_48", "VEL_8", "DUR_24", "PITCH_60", "VEL_9", "DUR_12", "POS_71",
                   "PITCH_50", "VEL_3", "DUR_1", "BAR", "BAR", "METER_2_4", "POS_47", "PITCH_21",
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

static void test_grammar_refuses_malformed_sequences(void)
{
    static const struct {
        const char *why;
        const char *names[8];
        int count;
    } cases[] = {
        {"a piece must begin with START", {"BAR"}, 1},
        {"START must be followed by a composer", {"START", "BAR"}, 2},
        {"the composer must be followed by BAR", {"START", "COMPOSER_bach", "METER_4_4"}, 3},
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
    static const char *const follow_ups[] = {NULL, NULL, NULL, NULL, NULL, NULL, "POS_6",
                                             NULL, NULL, NULL, "METER_3_4", NULL, NULL};
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

static void test_grammar_refuses_chords_that_are_not_ascending_and_repeated_meters(void)
{
    PnlGrammar grammar;
    pnl_grammar_reset(&grammar);
    CHECK(FEED(&grammar, "START", "COMPOSER_liszt", "BAR", "METER_4_4", "POS_0", "PITCH_64",
               "VEL_3", "DUR_6") < 0,
          "prefix refused");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pitch(64)), "the same key twice in a chord");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_pitch(60)), "a lower key after a higher one");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_pitch(65)), "a higher key should be allowed");
    CHECK(FEED(&grammar, "BAR") < 0, "BAR after a note refused");
    CHECK(!pnl_grammar_allows(&grammar, pnl_token_meter(4, 4)),
          "a meter equal to the current one is no change");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_meter(3, 4)), "a meter change after BAR");
    CHECK(pnl_grammar_advance(&grammar, PNL_TOKEN_PAD) == PNL_EINVAL,
          "advance should refuse PAD");
    CHECK(pnl_grammar_allows(&grammar, pnl_token_pos(0)), "the refused PAD changed the state");
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
          "first note: onset %lld key %d velocity %d duration %d", (long long)notes[0].onset_ticks,
          notes[0].pitch, notes[0].velocity, notes[0].duration_ticks);
    CHECK(notes[1].onset_ticks == 0 && notes[1].pitch == 64 && notes[1].velocity == 125 &&
              notes[1].duration_ticks == 72,
          "second note: onset %lld key %d velocity %d duration %d",
          (long long)notes[1].onset_ticks, notes[1].pitch, notes[1].velocity,
          notes[1].duration_ticks);
    /* Bar 2 starts after one bar of 3/4 (72 ticks); POS_36 is 36 ticks in. */
    CHECK(notes[2].onset_ticks == 108 && notes[2].pitch == 67 && notes[2].velocity == 5 &&
              notes[2].duration_ticks == 9,
          "third note: onset %lld key %d velocity %d duration %d",
          (long long)notes[2].onset_ticks, notes[2].pitch, notes[2].velocity,
          notes[2].duration_ticks);
    CHECK(pnl_decoder_push(&decoder, PNL_TOKEN_BAR, &note) == PNL_EINVAL,
          "nothing may follow END");
}

/* A random canonical piece: what the encoder would write for some score
 * (notes end right after the last bar holding an onset). */
static size_t generate_piece(uint64_t *random, uint16_t *tokens, size_t capacity, int bars)
{
    PnlGrammar grammar;
    uint8_t mask[PNL_VOCAB_SIZE];
    size_t count = 0;
    int allowed_ids[PNL_VOCAB_SIZE];
    pnl_grammar_reset(&grammar);
    while (count + 2 < capacity) {
        int n = 0, token;
        pnl_grammar_mask(&grammar, mask);
        for (int id = 0; id < PNL_VOCAB_SIZE; id++)
            if (mask[id] && id != PNL_TOKEN_END)
                allowed_ids[n++] = id;
        token = allowed_ids[random_below(random, n)];
        /* Bars of notes, not long runs of bar lines. */
        if ((token == PNL_TOKEN_BAR || pnl_token_family(token) == PNL_FAMILY_METER) &&
            random_below(random, 6))
            token = allowed_ids[random_below(random, n)];
        if (pnl_token_family(token) == PNL_FAMILY_DUR && grammar.bar_count >= bars) {
            pnl_grammar_advance(&grammar, token);
            tokens[count++] = (uint16_t)token;
            break;
        }
        pnl_grammar_advance(&grammar, token);
        tokens[count++] = (uint16_t)token;
    }
    tokens[count++] = PNL_TOKEN_END;
    return count;
}

static void test_decode_then_encode_is_the_identity_on_generated_pieces(void)
{
    static uint16_t tokens[20000], again[20000];
    char message[256];
    uint64_t random = 99;
    PnlScore score;
    pnl_score_init(&score);
    for (int piece = 0; piece < 200; piece++) {
        size_t count = generate_piece(&random, tokens, 20000, 1 + piece % 40), again_count = 0;
        int composer = -1, status;
        /* Ends on a note, so the sequence is canonical if it has one. */
        if (pnl_token_family(tokens[count - 2]) != PNL_FAMILY_DUR)
            continue;
        status = pnl_decode(tokens, count, &score, &composer, message, sizeof message);
        CHECK(status == PNL_OK, "piece %d: decode failed: %s", piece, message);
        status = pnl_encode(&score, composer, again, 20000, &again_count, message, sizeof message);
        CHECK(status == PNL_OK, "piece %d: encode failed: %s", piece, message);
        CHECK(again_count == count, "piece %d: %zu tokens became %zu", piece, count, again_count);
        for (size_t i = 0; i < count; i++)
            CHECK(again[i] == tokens[i], "piece %d: token %zu was %d, came back %d", piece, i,
                  tokens[i], again[i]);
    }
    pnl_score_free(&score);
}

static void test_encode_reports_the_size_it_needs(void)
{
    PnlScore score;
    PnlNote note = {30, 12, 60, 64};
    uint16_t tokens[8];
    size_t count = 0;
    char message[256];
    pnl_score_init(&score);
    pnl_score_add_note(&score, note);
    CHECK(pnl_encode(&score, 0, NULL, 0, &count, message, sizeof message) == PNL_ENOMEM,
          "asking for the size should return PNL_ENOMEM");
    /* START COMPOSER BAR METER POS PITCH VEL DUR END */
    CHECK(count == 9, "a one-note piece needs 9 tokens, encode says %zu", count);
    CHECK(pnl_encode(&score, 0, tokens, 8, &count, message, sizeof message) == PNL_ENOMEM,
          "8 tokens of room should not be enough");
    CHECK(pnl_encode(&score, 99, tokens, 8, &count, message, sizeof message) == PNL_EINVAL,
          "composer 99 should be refused");
    pnl_score_free(&score);
}

static void test_encode_places_meter_changes_at_the_next_bar_line(void)
{
    PnlScore score;
    PnlNote notes[] = {{0, 24, 60, 64}, {100, 24, 62, 64}, {250, 24, 64, 64}};
    PnlMeterChange meters[] = {{0, 3, 4}, {80, 2, 4}};
    uint16_t tokens[64];
    size_t count = 0;
    char message[256], names[512] = "";
    pnl_score_init(&score);
    for (size_t i = 0; i < 3; i++)
        pnl_score_add_note(&score, notes[i]);
    for (size_t i = 0; i < 2; i++)
        pnl_score_add_meter(&score, meters[i]);
    CHECK(pnl_encode(&score, pnl_composer_index("bach"), tokens, 64, &count, message,
                     sizeof message) == PNL_OK,
          "encode failed: %s", message);
    for (size_t i = 0; i < count; i++) {
        char name[PNL_TOKEN_NAME_MAX];
        pnl_token_name(tokens[i], name, sizeof name);
        strcat(names, i ? " " : "");
        strcat(names, name);
    }
    /* 3/4 bars at 0 and 72; the change at 80 waits for the bar line at 144;
     * 2/4 bars at 144, 192, 240. */
    CHECK(!strcmp(names, "START COMPOSER_bach BAR METER_3_4 POS_0 PITCH_60 VEL_7 DUR_24 BAR "
                         "POS_28 PITCH_62 VEL_7 DUR_24 BAR METER_2_4 BAR BAR POS_10 PITCH_64 "
                         "VEL_7 DUR_24 END"),
          "got %s", names);
    pnl_score_free(&score);
}

static void test_normalize_sorts_and_merges_a_key_struck_twice_at_one_onset(void)
{
    PnlScore score;
    PnlNote notes[] = {{24, 6, 64, 50}, {0, 12, 60, 40}, {24, 30, 64, 90}, {0, 5, 10, 40},
                       {0, 5, 120, 40}};
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

static void test_encode_refuses_a_piece_longer_than_the_longest_it_writes(void)
{
    PnlScore score;
    PnlNote note = {(int64_t)PNL_MAX_PIECE_TICKS + 1, 12, 60, 64};
    size_t count = 0;
    char message[256] = "";
    pnl_score_init(&score);
    pnl_score_add_note(&score, note);
    CHECK(pnl_encode(&score, 0, NULL, 0, &count, message, sizeof message) == PNL_ERANGE,
          "a note past %d ticks should be refused", PNL_MAX_PIECE_TICKS);
    CHECK(strstr(message, "beyond"), "the message should say why, says '%s'", message);
    pnl_score_free(&score);
}

static void test_decode_names_what_is_wrong_with_a_sequence(void)
{
    static const uint16_t after_end[] = {PNL_TOKEN_START, PNL_TOKEN_COMPOSER_BASE, PNL_TOKEN_BAR,
                                         PNL_TOKEN_METER_BASE + 7, PNL_TOKEN_END, PNL_TOKEN_BAR};
    static const uint16_t outside[] = {PNL_TOKEN_START, 5000};
    PnlScore score;
    char message[256] = "";
    pnl_score_init(&score);
    CHECK(pnl_decode(after_end, 6, &score, NULL, message, sizeof message) == PNL_EINVAL,
          "a token after END should be refused");
    CHECK(strstr(message, "token 5"), "the message should name token 5, says '%s'", message);
    CHECK(pnl_decode(outside, 2, &score, NULL, message, sizeof message) == PNL_EINVAL,
          "id 5000 should be refused");
    CHECK(strstr(message, "id 5000"), "the message should name id 5000, says '%s'", message);
    CHECK(pnl_decode(after_end, 5, &score, NULL, message, sizeof message) == PNL_OK &&
              score.note_count == 0 && score.meter_count == 1 && score.meters[0].numerator == 4 &&
              score.meters[0].denominator == 4,
          "an empty bar of 4/4 should decode to one meter and no notes: %s", message);
    pnl_score_free(&score);
}

static void test_family_helpers_agree_with_the_names(void)
{
    char name[PNL_TOKEN_NAME_MAX];
    CHECK(pnl_token_family(-1) == PNL_FAMILY_NONE && pnl_token_family(PNL_VOCAB_SIZE) ==
                                                         PNL_FAMILY_NONE,
          "ids outside the vocabulary have no family");
    for (int key = PNL_LOWEST_KEY; key <= PNL_HIGHEST_KEY; key++) {
        int token = pnl_token_pitch(key);
        pnl_token_name(token, name, sizeof name);
        CHECK(pnl_token_family(token) == PNL_FAMILY_PITCH &&
                  pnl_token_offset(token) == key - PNL_LOWEST_KEY && atoi(name + 6) == key,
              "key %d: token %d named %s", key, token, name);
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
    RUN_TEST(test_composers_are_the_corpus_folders_and_the_romantic_blend);
    RUN_TEST(test_written_durations_are_exact_and_performed_ones_snap_on_a_log_scale);
    RUN_TEST(test_velocity_has_sixteen_levels_of_eight);
    RUN_TEST(test_meters_outside_the_table_keep_their_bar_lines);
    RUN_TEST(test_grammar_accepts_a_well_formed_piece);
    RUN_TEST(test_grammar_refuses_malformed_sequences);
    RUN_TEST(test_grammar_refuses_chords_that_are_not_ascending_and_repeated_meters);
    RUN_TEST(test_grammar_mask_agrees_with_allows_and_never_runs_dry);
    RUN_TEST(test_decoder_turns_tokens_into_notes_on_the_grid);
    RUN_TEST(test_decode_then_encode_is_the_identity_on_generated_pieces);
    RUN_TEST(test_encode_reports_the_size_it_needs);
    RUN_TEST(test_encode_places_meter_changes_at_the_next_bar_line);
    RUN_TEST(test_normalize_sorts_and_merges_a_key_struck_twice_at_one_onset);
    RUN_TEST(test_encode_refuses_a_piece_longer_than_the_longest_it_writes);
    RUN_TEST(test_decode_names_what_is_wrong_with_a_sequence);
    RUN_TEST(test_family_helpers_agree_with_the_names);
    CHECK_EXIT();
}
