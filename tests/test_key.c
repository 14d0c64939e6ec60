/* Key finding (src/key.c): the Krumhansl-Schmuckler estimate names the keys
 * of plain scales and cadences, major and minor, in common and rare keys;
 * the frame shift carries each to C major / A minor; the fitted shift keeps
 * music on the piano; a seed chooses among all twelve keys; tokens move
 * exactly as training moves them. */
#include "check.h"
#include "codec.h"
#include "key.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

#include <stdint.h>

/* Semitones of the major scale and of the harmonic minor scale. */
static const int major_steps[7] = {0, 2, 4, 5, 7, 9, 11};
static const int minor_steps[7] = {0, 2, 3, 5, 7, 8, 11};

/* A scale up and down from `tonic` (a MIDI note number), quarter notes, then a
 * I-V-I cadence in the bass (tonic, dominant, tonic, each a half note). */
static void add_scale_and_cadence(PnlKeyHistogram *histogram, int tonic, int minor)
{
    const int *steps = minor ? minor_steps : major_steps;
    for (int i = 0; i < 7; i++)
        pnl_key_histogram_add(histogram, tonic + steps[i], 24);
    pnl_key_histogram_add(histogram, tonic + 12, 48);
    for (int i = 6; i >= 0; i--)
        pnl_key_histogram_add(histogram, tonic + steps[i], 24);
    pnl_key_histogram_add(histogram, tonic - 12, 48);
    pnl_key_histogram_add(histogram, tonic - 5, 48);
    pnl_key_histogram_add(histogram, tonic - 12, 96);
}

static void test_scales_name_their_keys(void)
{
    for (int tonic = 0; tonic < 12; tonic++) {
        for (int minor = 0; minor <= 1; minor++) {
            PnlKeyHistogram histogram;
            PnlKey key;
            pnl_key_histogram_clear(&histogram);
            add_scale_and_cadence(&histogram, 60 + tonic, minor);
            CHECK(pnl_key_estimate(&histogram, &key) == 1, "no key for a scale");
            CHECK(key.tonic == tonic && key.minor == minor,
                  "%s %s found as %s %s (r = %.3f)", pnl_key_tonic_name(tonic),
                  minor ? "minor" : "major", pnl_key_tonic_name(key.tonic),
                  key.minor ? "minor" : "major", key.correlation);
            CHECK(key.correlation > 0.7, "correlation %.3f for a plain scale", key.correlation);
        }
    }
}

static void test_frame_shift_reaches_the_key_signature(void)
{
    struct {
        int tonic, minor, shift;
    } cases[] = {{0, 0, 0},  {9, 1, 0},  {7, 0, -5}, {2, 0, 2}, {11, 1, 2},
                 {3, 0, 3},  {0, 1, 3},  {6, 0, -6}, {3, 1, -6}, {5, 0, 5},
                 {10, 0, -2}, {4, 1, -5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PnlKey key = {cases[i].tonic, cases[i].minor, 1.0};
        int shift = pnl_key_frame_shift(&key);
        CHECK(shift == cases[i].shift, "%s %s: shift %d, expected %d",
              pnl_key_tonic_name(key.tonic), key.minor ? "minor" : "major", shift,
              cases[i].shift);
    }
}

static void test_fitted_shift_keeps_music_on_the_piano(void)
{
    /* Middle register: the shift itself. */
    CHECK(pnl_key_fit_shift(3, 48, 84) == 3, "middle register moved by octaves");
    CHECK(pnl_key_fit_shift(-6, 48, 84) == -6, "middle register moved by octaves");
    /* Music down to A0 cannot move down... */
    int fitted = pnl_key_fit_shift(5, 21, 90);
    CHECK(fitted == -7, "shift 5 from 21..90 would pass A0: expected -7, got %d", fitted);
    CHECK(pnl_key_fit_shift(-5, 21, 90) == -5, "moving 21..90 up 5 fits");
    fitted = pnl_key_fit_shift(5, 40, 108);
    CHECK(fitted == 5, "shift 5 from 40..108 moves down: expected 5, got %d", fitted);
    /* ...nor music up to C8 move up. */
    fitted = pnl_key_fit_shift(-3, 40, 108);
    CHECK(fitted == 9, "shift -3 from 40..108 would pass C8: expected 9, got %d", fitted);
    /* Music spanning the whole keyboard keeps the shift (clamped later). */
    CHECK(pnl_key_fit_shift(4, 21, 108) == 4, "the whole keyboard");
}

static void test_an_empty_histogram_has_no_key(void)
{
    PnlKeyHistogram histogram;
    PnlKey key;
    pnl_key_histogram_clear(&histogram);
    CHECK(pnl_key_estimate(&histogram, &key) == 0, "a key from no notes");
    CHECK(key.tonic == 0 && key.minor == 0, "no notes should leave C major");
    CHECK(pnl_key_shift(&histogram, NULL) == 0, "a shift from no notes");
    /* Out-of-range pitches are ignored, not indexed. */
    pnl_key_histogram_add(&histogram, -3, 24);
    pnl_key_histogram_add(&histogram, 200, 24);
    CHECK(histogram.note_count == 0, "pitches outside MIDI counted");
}

static void test_tokens_give_the_same_key_as_notes(void)
{
    /* B-flat minor, encoded with the codec, found from its tokens. */
    PnlScore score;
    pnl_score_init(&score);
    pnl_score_add_meter(&score, (PnlMeterChange){0, 4, 4});
    int64_t tick = 0;
    for (int i = 0; i < 7; i++, tick += 24)
        pnl_score_add_note(&score, (PnlNote){tick, 24, (uint8_t)(58 + minor_steps[i]), 80, 0, 0});
    pnl_score_add_note(&score, (PnlNote){tick, 96, 46, 80, 0, 0});
    pnl_score_add_note(&score, (PnlNote){tick, 96, 53, 80, 0, 0});
    pnl_score_normalize(&score, NULL);
    uint16_t tokens[256];
    size_t count = 0;
    CHECK(pnl_encode(&score, 0, tokens, 256, &count, NULL, 0) == PNL_OK, "encoding failed");
    PnlKeyHistogram histogram;
    PnlKey from_tokens, from_notes;
    pnl_key_histogram_clear(&histogram);
    pnl_key_histogram_add_tokens(&histogram, tokens, count);
    CHECK(histogram.note_count == score.note_count, "%zu notes from tokens, %zu in the score",
          histogram.note_count, score.note_count);
    CHECK(histogram.lowest == 46 && histogram.highest == 69, "range %d..%d",
          histogram.lowest, histogram.highest);
    int shift = pnl_key_shift(&histogram, &from_tokens);
    pnl_key_of_notes(score.notes, score.note_count, &from_notes);
    CHECK(from_tokens.tonic == 10 && from_tokens.minor, "B-flat minor found as %s %s",
          pnl_key_tonic_name(from_tokens.tonic), from_tokens.minor ? "minor" : "major");
    CHECK(from_notes.tonic == from_tokens.tonic && from_notes.minor == from_tokens.minor,
          "notes and tokens disagree");
    CHECK(shift == 1, "B-flat minor (D-flat major's signature) shift %d, expected 1", shift);

    /* Moved into the frame, the passage is in A minor. */
    pnl_key_move_tokens(tokens, count, -shift);
    pnl_key_histogram_clear(&histogram);
    pnl_key_histogram_add_tokens(&histogram, tokens, count);
    PnlKey moved;
    CHECK(pnl_key_shift(&histogram, &moved) == 0, "moved passage still shifted");
    CHECK(moved.tonic == 9 && moved.minor, "moved passage in %s %s",
          pnl_key_tonic_name(moved.tonic), moved.minor ? "minor" : "major");
    pnl_score_free(&score);
}

static void test_moving_tokens_clamps_at_the_keyboard_ends(void)
{
    uint16_t tokens[3] = {(uint16_t)pnl_token_pitch(22), (uint16_t)pnl_token_pos(0),
                          (uint16_t)pnl_token_pitch(107)};
    pnl_key_move_tokens(tokens, 3, -3);
    CHECK(tokens[0] == pnl_token_pitch(21), "A#0 - 3 should clamp at A0");
    CHECK(tokens[1] == pnl_token_pos(0), "a POS token moved");
    CHECK(tokens[2] == pnl_token_pitch(104), "B7 - 3 should be G#7");
    pnl_key_move_tokens(tokens, 3, 6);
    CHECK(tokens[2] == pnl_token_pitch(108), "G#7 + 6 should clamp at C8");
}

static void test_seeds_choose_every_key(void)
{
    int seen[12] = {0};
    for (uint64_t seed = 0; seed < 240; seed++) {
        int shift = pnl_key_shift_of_seed(seed);
        CHECK(shift >= -6 && shift <= 5, "seed %llu: shift %d", (unsigned long long)seed, shift);
        CHECK(shift == pnl_key_shift_of_seed(seed), "the same seed, another key");
        seen[shift + 6]++;
    }
    for (int i = 0; i < 12; i++)
        CHECK(seen[i] >= 8, "shift %d chosen by only %d of 240 seeds", i - 6, seen[i]);
}

static void test_a_piece_takes_its_prompt_key_else_the_seed_key(void)
{
    PnlKeyHistogram prompt;
    pnl_key_histogram_clear(&prompt);
    for (uint64_t seed = 0; seed < 12; seed++)
        CHECK(pnl_key_shift_of_prompt_or_seed(&prompt, seed) == pnl_key_shift_of_seed(seed),
              "seed %llu without a prompt: shift %d, the seed's is %d", (unsigned long long)seed,
              pnl_key_shift_of_prompt_or_seed(&prompt, seed), pnl_key_shift_of_seed(seed));
    add_scale_and_cadence(&prompt, 62, 0); /* D major: 2 semitones above C major */
    for (uint64_t seed = 0; seed < 12; seed++)
        CHECK(pnl_key_shift_of_prompt_or_seed(&prompt, seed) == 2,
              "seed %llu with a D major prompt: shift %d, expected 2", (unsigned long long)seed,
              pnl_key_shift_of_prompt_or_seed(&prompt, seed));
}

int main(void)
{
    RUN_TEST(test_scales_name_their_keys);
    RUN_TEST(test_frame_shift_reaches_the_key_signature);
    RUN_TEST(test_fitted_shift_keeps_music_on_the_piano);
    RUN_TEST(test_an_empty_histogram_has_no_key);
    RUN_TEST(test_tokens_give_the_same_key_as_notes);
    RUN_TEST(test_moving_tokens_clamps_at_the_keyboard_ends);
    RUN_TEST(test_seeds_choose_every_key);
    RUN_TEST(test_a_piece_takes_its_prompt_key_else_the_seed_key);
    CHECK_EXIT();
}
