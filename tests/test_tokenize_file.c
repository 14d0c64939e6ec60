/* A MIDI file to tokens (src/tokenize.c), the one path the tokenizer,
 * pianola-score and pianola-generate's prompt share: the tokens are the
 * codec's for the file's score, the key-frame tokens are those moved down
 * by the key shift (D major: 2 semitones), a prompt leaves out what the
 * shift would carry off the piano, a prompt without notes takes the seed's
 * key, and a missing file is named. Files are written with the MIDI writer
 * into the test's working folder. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "key.h"
#include "midifile.h"
#include "score.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

enum { MESSAGE_SIZE = 1024 };

static const int d_major[8] = {62, 64, 66, 67, 69, 71, 73, 74};

/* The D major scale up in quarter notes, twice; with `extremes`, A0 and C8
 * as short notes too (a phrase spanning the whole keyboard). */
static int write_d_major(const char *path, int extremes, char *message)
{
    PnlScore score;
    int status = PNL_OK;
    pnl_score_init(&score);
    for (int i = 0; i < 16 && status == PNL_OK; i++)
        status = pnl_score_add_note(&score, (PnlNote){i * 24, 24, (uint8_t)d_major[i % 8], 64, 0, 0});
    if (extremes && status == PNL_OK)
        status = pnl_score_add_note(&score, (PnlNote){0, 6, PNL_LOWEST_PITCH, 64, 0, 0});
    if (extremes && status == PNL_OK)
        status = pnl_score_add_note(&score, (PnlNote){24, 6, PNL_HIGHEST_PITCH, 64, 0, 0});
    pnl_score_normalize(&score, NULL);
    if (status == PNL_OK)
        status = pnl_midi_write(path, &score, 120.0, message, MESSAGE_SIZE);
    pnl_score_free(&score);
    return status;
}

static int count_pitch(const PnlTokenized *tokenized, int key)
{
    int found = 0;
    for (size_t i = 0; i < tokenized->count; i++)
        found += tokenized->tokens[i] == pnl_token_pitch(key);
    return found;
}

static void test_a_file_becomes_the_codec_tokens_of_its_score(void)
{
    char message[MESSAGE_SIZE] = "";
    const char *path = "tokenize-d-major.mid";
    CHECK(write_d_major(path, 0, message) == PNL_OK, "writing %s: %s", path, message);
    PnlScore score;
    pnl_score_init(&score);
    uint16_t expected[256];
    size_t expected_count = 0;
    CHECK(pnl_midi_read(path, &score, NULL, message, sizeof message) == PNL_OK, "%s", message);
    CHECK(pnl_encode(&score, pnl_composer_index("brahms"), expected, 256, &expected_count, message,
                     sizeof message) == PNL_OK,
          "%s", message);
    pnl_score_free(&score);

    PnlTokenizeOptions options = {.composer = pnl_composer_index("brahms"),
                                  .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized tokenized;
    CHECK(pnl_tokenize_midi_file(path, &options, &tokenized, message, sizeof message) == PNL_OK,
          "%s", message);
    CHECK(tokenized.count == expected_count &&
              !memcmp(tokenized.tokens, expected, expected_count * sizeof *expected),
          "expected the codec's %zu tokens, got %zu others", expected_count, tokenized.count);
    CHECK(tokenized.tokens[1] == pnl_token_composer(pnl_composer_index("brahms")),
          "the second token should be COMPOSER_brahms");
    CHECK(tokenized.stats.notes_kept == 16, "16 notes read, stats say %zu",
          tokenized.stats.notes_kept);
    CHECK(tokenized.key.tonic == 2 && !tokenized.key.minor && tokenized.key_shift == 2,
          "a D major scale: expected D major, shift 2; got %s %s, shift %d",
          pnl_key_tonic_name(tokenized.key.tonic), tokenized.key.minor ? "minor" : "major",
          tokenized.key_shift);
    pnl_tokenized_free(&tokenized);
    CHECK(!tokenized.tokens && !tokenized.count, "freeing should leave no tokens");
}

static void test_key_frame_tokens_are_moved_down_by_the_key_shift(void)
{
    char message[MESSAGE_SIZE] = "";
    const char *path = "tokenize-d-major.mid";
    CHECK(write_d_major(path, 0, message) == PNL_OK, "writing %s: %s", path, message);
    PnlTokenizeOptions written_options = {.composer = 0, .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenizeOptions frame_options = {.composer = 0, .key = PNL_TOKENS_IN_KEY_FRAME};
    PnlTokenized written, frame;
    CHECK(pnl_tokenize_midi_file(path, &written_options, &written, message, sizeof message) ==
              PNL_OK,
          "%s", message);
    CHECK(pnl_tokenize_midi_file(path, &frame_options, &frame, message, sizeof message) ==
              PNL_OK,
          "%s", message);
    CHECK(frame.count == written.count && frame.key_shift == 2, "%zu tokens (shift %d) for %zu",
          frame.count, frame.key_shift, written.count);
    for (size_t i = 0; i < written.count; i++) {
        int is_pitch = pnl_token_family(written.tokens[i]) == PNL_FAMILY_PITCH;
        int expected = is_pitch ? written.tokens[i] - 2 : written.tokens[i];
        CHECK(frame.tokens[i] == expected, "token %zu: expected %d, got %d", i, expected,
              frame.tokens[i]);
    }
    CHECK(count_pitch(&frame, 60) == 2 && count_pitch(&frame, 72) == 2,
          "D major lands on C major: C4 and C5 twice each");
    pnl_tokenized_free(&written);
    pnl_tokenized_free(&frame);
}

static void test_a_prompt_leaves_out_what_the_key_frame_cannot_hold(void)
{
    char message[MESSAGE_SIZE] = "";
    const char *path = "tokenize-d-major-whole-keyboard.mid";
    CHECK(write_d_major(path, 1, message) == PNL_OK, "writing %s: %s", path, message);
    PnlTokenizeOptions options = {.composer = 0, .key = PNL_TOKENS_PROMPT_FOR_KEY_FRAME,
                                  .seed = 3};
    PnlTokenized prompt;
    CHECK(pnl_tokenize_midi_file(path, &options, &prompt, message, sizeof message) == PNL_OK,
          "%s", message);
    /* No octave of the D major shift fits A0..C8 into the frame, so the
     * shift stays 2, and A0 (moved to G0) is left out; C8 (to A-sharp 7)
     * stays. The tokens stay as written: the generator moves them. */
    CHECK(prompt.key_shift == 2, "expected a shift of 2, got %d", prompt.key_shift);
    CHECK(count_pitch(&prompt, PNL_LOWEST_PITCH) == 0, "A0 should be left out");
    CHECK(count_pitch(&prompt, PNL_HIGHEST_PITCH) == 1, "C8 should stay");
    CHECK(count_pitch(&prompt, 62) == 2, "D4 should stay as written, twice");
    pnl_tokenized_free(&prompt);
}

static void test_a_prompt_without_notes_takes_the_seed_key(void)
{
    char message[MESSAGE_SIZE] = "";
    const char *path = "tokenize-silence.mid";
    PnlScore silence;
    pnl_score_init(&silence);
    CHECK(pnl_midi_write(path, &silence, 120.0, message, sizeof message) == PNL_OK, "%s",
          message);
    for (uint64_t seed = 0; seed < 12; seed++) {
        PnlTokenizeOptions options = {.composer = 0, .key = PNL_TOKENS_PROMPT_FOR_KEY_FRAME,
                                      .seed = seed};
        PnlTokenized prompt;
        CHECK(pnl_tokenize_midi_file(path, &options, &prompt, message, sizeof message) ==
                  PNL_OK,
              "%s", message);
        int shift = prompt.key_shift;
        size_t count = prompt.count;
        pnl_tokenized_free(&prompt);
        CHECK(shift == pnl_key_shift_of_seed(seed), "seed %llu: shift %d, the seed's is %d",
              (unsigned long long)seed, shift, pnl_key_shift_of_seed(seed));
        CHECK(count == 5, "START COMPOSER BAR METER END expected, got %zu tokens", count);
    }
}

static void test_a_missing_file_is_named(void)
{
    char message[MESSAGE_SIZE] = "";
    PnlTokenizeOptions options = {.composer = 0, .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized tokenized;
    int status = pnl_tokenize_midi_file("no-such-file.mid", &options, &tokenized, message,
                                        sizeof message);
    CHECK(status == PNL_EIO, "expected PNL_EIO, got %d", status);
    CHECK(strstr(message, "no-such-file.mid"), "the message should name the file: '%s'",
          message);
    CHECK(!tokenized.tokens && !tokenized.count, "a failure should leave no tokens");
}

int main(void)
{
    RUN_TEST(test_a_file_becomes_the_codec_tokens_of_its_score);
    RUN_TEST(test_key_frame_tokens_are_moved_down_by_the_key_shift);
    RUN_TEST(test_a_prompt_leaves_out_what_the_key_frame_cannot_hold);
    RUN_TEST(test_a_prompt_without_notes_takes_the_seed_key);
    RUN_TEST(test_a_missing_file_is_named);
    remove("tokenize-d-major.mid");
    remove("tokenize-d-major-whole-keyboard.mid");
    remove("tokenize-silence.mid");
    CHECK_EXIT();
}
