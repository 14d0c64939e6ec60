/* The piano vocabulary stays a subset of the ensemble one: tokenizing a
 * piano corpus piece today gives, byte for byte, the token file the codec
 * wrote before the PART family (tests/fixtures/piano-tokens, written by the
 * 435-token pianola-tokenize), with and without density, for an engraved
 * and a performed piece (the latter with its sustain pedal resolved). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "check.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

static void check_unchanged(const char *corpus_file, const char *composer, PnlSourceKind source,
                            int density_bars, const char *fixture)
{
    char path[2048], fixture_path[2048], message[1024] = "";
    unsigned char expected[65536];
    snprintf(path, sizeof path, "%s/%s", check_env("PIANOLA_CORPUS", "../../shared/corpus"),
             corpus_file);
    snprintf(fixture_path, sizeof fixture_path, "%s/tests/fixtures/piano-tokens/%s",
             check_env("PIANOLA_SRC", ".."), fixture);
    FILE *file = fopen(fixture_path, "rb");
    CHECK(file, "%s: cannot open", fixture_path);
    size_t size = fread(expected, 1, sizeof expected, file);
    fclose(file);
    PnlTokenizeOptions options = {.composer = pnl_composer_index(composer), .with_source = 1,
                                  .source = source, .density_bars = density_bars,
                                  .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized tokenized;
    CHECK(pnl_tokenize_midi_file(path, &options, &tokenized, message, sizeof message) == PNL_OK,
          "%s", message);
    int same = tokenized.count * 2 == size;
    for (size_t i = 0; same && i < tokenized.count; i++)
        same = tokenized.tokens[i] == pnl_read_le16(expected + 2 * i);
    size_t count = tokenized.count;
    pnl_tokenized_free(&tokenized);
    CHECK(same, "%s: %zu tokens that differ from the %zu the piano codec wrote (%s)",
          corpus_file, count, size / 2, fixture);
}

static void test_an_engraved_piece_tokenizes_as_before(void)
{
    check_unchanged("mutopia/mozart/KV545_K545-1.mid", "mozart", PNL_SOURCE_ENGRAVED, 0,
                    "KV545_K545-1.tok");
}

static void test_an_engraved_piece_in_density_mode_tokenizes_as_before(void)
{
    check_unchanged("mutopia/mozart/KV545_K545-1.mid", "mozart", PNL_SOURCE_ENGRAVED, 1,
                    "KV545_K545-1.density.tok");
}

static void test_a_performed_piece_with_pedal_tokenizes_as_before(void)
{
    check_unchanged("piano-midi.de/schumann/scn15_1.mid", "schumann", PNL_SOURCE_PERFORMED, 0,
                    "scn15_1.tok");
}

int main(void)
{
    RUN_TEST(test_an_engraved_piece_tokenizes_as_before);
    RUN_TEST(test_an_engraved_piece_in_density_mode_tokenizes_as_before);
    RUN_TEST(test_a_performed_piece_with_pedal_tokenizes_as_before);
    CHECK_EXIT();
}
