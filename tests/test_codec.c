/* Tests of the codec (src/codec.c): encode and decode are inverses on
 * generated pieces, encode says the size it needs, places meter changes at
 * bar lines and refuses what it cannot write, and decode names what is
 * wrong with a sequence. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "grammar.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

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
        /* The grammar lets a piece name its kind of source or not. */
        int source = pnl_token_family(tokens[2]) == PNL_FAMILY_SOURCE
                         ? pnl_token_offset(tokens[2])
                         : -1;
        status = pnl_encode_piece(&score, composer, source, 0, again, 20000, &again_count,
                                  message, sizeof message);
        CHECK(status == PNL_OK, "piece %d: encode failed: %s", piece, message);
        CHECK(again_count == count, "piece %d: %zu tokens became %zu", piece, count, again_count);
        for (size_t i = 0; i < count; i++)
            CHECK(again[i] == tokens[i], "piece %d: token %zu was %d, came back %d", piece, i,
                  tokens[i], again[i]);
    }
    pnl_score_free(&score);
}

/* Density mode: each bar's METER is followed by the DENSITY step of its
 * notes per beat, counted here from the plain tokens; taking the DENSITY
 * tokens out gives the plain piece back, and decoding the density piece
 * gives the same score, which encodes to the same density tokens. */
static void test_density_tokens_follow_each_meter_and_round_trip(void)
{
    static uint16_t tokens[20000], dense[24000], again[24000];
    char message[256];
    uint64_t random = 7;
    int pieces = 0, bars_seen = 0, steps_seen[PNL_DENSITY_COUNT] = {0};
    PnlScore score, dense_score;
    pnl_score_init(&score);
    pnl_score_init(&dense_score);
    for (int piece = 0; piece < 200; piece++) {
        size_t count = generate_piece(&random, tokens, 20000, 1 + piece % 40);
        size_t dense_count = 0, again_count = 0;
        int composer = -1;
        if (pnl_token_family(tokens[count - 2]) != PNL_FAMILY_DUR)
            continue;
        pieces++;
        CHECK(pnl_decode(tokens, count, &score, &composer, message, sizeof message) == PNL_OK,
              "piece %d: decode failed: %s", piece, message);
        int source = pnl_token_family(tokens[2]) == PNL_FAMILY_SOURCE
                         ? pnl_token_offset(tokens[2])
                         : -1;
        CHECK(pnl_encode_piece(&score, composer, source, 1, dense, 24000, &dense_count, message,
                               sizeof message) == PNL_OK,
              "piece %d: density encode failed: %s", piece, message);
        /* Walk both: the dense piece is the plain one with one DENSITY
         * token after each METER, the step of the bar's PITCH tokens. */
        size_t plain_at = 0;
        for (size_t i = 0; i < dense_count; i++) {
            if (pnl_token_family(dense[i]) != PNL_FAMILY_DENSITY) {
                CHECK(plain_at < count && dense[i] == tokens[plain_at],
                      "piece %d: dense token %zu is %d, the plain piece has %d there", piece, i,
                      dense[i], plain_at < count ? tokens[plain_at] : -1);
                plain_at++;
                continue;
            }
            CHECK(i > 0 && pnl_token_family(dense[i - 1]) == PNL_FAMILY_METER,
                  "piece %d: DENSITY at %zu does not follow a METER", piece, i);
            int numerator = 0, denominator = 1, notes = 0;
            pnl_token_meter_of(dense[i - 1], &numerator, &denominator);
            for (size_t j = i + 1; j < dense_count && dense[j] != PNL_TOKEN_BAR &&
                                   dense[j] != PNL_TOKEN_END;
                 j++)
                notes += pnl_token_family(dense[j]) == PNL_FAMILY_PITCH;
            int bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
            int expected = 0;
            /* The documented lower edges, in notes per beat. */
            static const double edges[] = {0.0, 3.25, 4.5, 6.0, 8.0};
            for (int step = 0; step < PNL_DENSITY_COUNT; step++)
                if ((double)notes / ((double)bar_ticks / PNL_TICKS_PER_QUARTER) >= edges[step])
                    expected = step;
            CHECK(pnl_token_offset(dense[i]) == expected,
                  "piece %d: a bar of %d notes in %d/%d has DENSITY step %d, expected %d", piece,
                  notes, numerator, denominator, pnl_token_offset(dense[i]), expected);
            steps_seen[expected]++;
            bars_seen++;
        }
        CHECK(plain_at == count, "piece %d: %zu of %zu plain tokens found", piece, plain_at,
              count);
        CHECK(pnl_decode(dense, dense_count, &dense_score, NULL, message, sizeof message) ==
                  PNL_OK,
              "piece %d: the density piece does not decode: %s", piece, message);
        CHECK(dense_score.note_count == score.note_count &&
                  dense_score.meter_count == score.meter_count &&
                  !memcmp(dense_score.notes, score.notes, score.note_count * sizeof(PnlNote)),
              "piece %d: the density piece decodes to other notes", piece);
        CHECK(pnl_encode_piece(&dense_score, composer, source, 1, again, 24000, &again_count,
                               message, sizeof message) == PNL_OK &&
                  again_count == dense_count &&
                  !memcmp(again, dense, dense_count * sizeof(uint16_t)),
              "piece %d: the density piece does not encode back to itself", piece);
    }
    CHECK(pieces > 50 && bars_seen > 500, "only %d pieces, %d bars", pieces, bars_seen);
    for (int step = 0; step < PNL_DENSITY_COUNT; step++)
        CHECK(steps_seen[step] > 0, "no bar of DENSITY step %d among %d", step, bars_seen);
    pnl_score_free(&score);
    pnl_score_free(&dense_score);
}

static void test_encode_reports_the_size_it_needs(void)
{
    PnlScore score;
    PnlNote note = {30, 12, 60, 64, 0, 0};
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
    PnlNote notes[] = {{0, 24, 60, 64, 0, 0}, {100, 24, 62, 64, 0, 0}, {250, 24, 64, 64, 0, 0}};
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
                         "METER_3_4 POS_28 PITCH_62 VEL_7 DUR_24 BAR METER_2_4 BAR METER_2_4 "
                         "BAR METER_2_4 POS_10 PITCH_64 VEL_7 DUR_24 END"),
          "got %s", names);
    pnl_score_free(&score);
}

static void test_encode_refuses_a_piece_longer_than_the_longest_it_writes(void)
{
    PnlScore score;
    PnlNote note = {(int64_t)PNL_MAX_PIECE_TICKS + 1, 12, 60, 64, 0, 0};
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

int main(void)
{
    RUN_TEST(test_decode_then_encode_is_the_identity_on_generated_pieces);
    RUN_TEST(test_density_tokens_follow_each_meter_and_round_trip);
    RUN_TEST(test_encode_reports_the_size_it_needs);
    RUN_TEST(test_encode_places_meter_changes_at_the_next_bar_line);
    RUN_TEST(test_encode_refuses_a_piece_longer_than_the_longest_it_writes);
    RUN_TEST(test_decode_names_what_is_wrong_with_a_sequence);
    CHECK_EXIT();
}
