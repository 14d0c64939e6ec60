/* Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/:
 * small valid inputs the fuzzers mutate from (bad inputs come from
 * tests/fixtures/bad-midi/). Run once when the formats change:
 *
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -Isrc $(pkg-config --cflags smf) \
 *       tests/fuzz/make_seeds.c src/[a-z]*.c $(pkg-config --libs smf) -lm -o /tmp/make_seeds
 *   /tmp/make_seeds tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "midifile.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

static int write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, size, file) != size) {
        fprintf(stderr, "%s: cannot write\n", path);
        if (file)
            fclose(file);
        return 1;
    }
    return fclose(file) != 0;
}

/* A few bars in 3/4 then 6/8, with chords, triplets, long notes and the
 * keyboard's ends. */
static void make_score(PnlScore *score)
{
    static const struct { int onset, duration, pitch, velocity; } notes[] = {
        {0, 24, 60, 80},  {0, 72, 48, 60},  {24, 8, 64, 90},  {32, 8, 67, 90},
        {40, 8, 72, 100}, {48, 24, 21, 30}, {48, 24, 108, 127}, {72, 36, 62, 70},
        {108, 12, 65, 70}, {120, 384, 36, 50}, {144, 6, 79, 110}, {150, 3, 81, 1},
    };
    size_t i;
    pnl_score_init(score);
    pnl_score_add_meter(score, (PnlMeterChange){0, 3, 4});
    pnl_score_add_meter(score, (PnlMeterChange){144, 6, 8});
    for (i = 0; i < sizeof notes / sizeof notes[0]; i++)
        pnl_score_add_note(score, (PnlNote){notes[i].onset, notes[i].duration,
                                            (uint8_t)notes[i].pitch, (uint8_t)notes[i].velocity, 0, 0});
    pnl_score_normalize(score, NULL);
}

int main(int argc, char **argv)
{
    char path[4096], message[512];
    PnlScore score;
    uint16_t tokens[4096];
    uint8_t little[2 * 4096];
    size_t count = 0, i, size;
    PnlWeights *weights;
    uint8_t *bytes;
    int failed = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
        return 2;
    }
    make_score(&score);

    snprintf(path, sizeof path, "%s/fuzz_midifile/written-by-pianola.mid", argv[1]);
    if (pnl_midi_write(path, &score, 96.0, message, sizeof message) != PNL_OK) {
        fprintf(stderr, "%s\n", message);
        failed = 1;
    }

    if (pnl_encode(&score, 5, tokens, 4096, &count, message, sizeof message) != PNL_OK) {
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    for (i = 0; i < count; i++) {
        little[2 * i] = (uint8_t)(tokens[i] & 0xff);
        little[2 * i + 1] = (uint8_t)(tokens[i] >> 8);
    }
    snprintf(path, sizeof path, "%s/fuzz_tokens/encoded-piece.bin", argv[1]);
    failed |= write_bytes(path, little, 2 * count);
    snprintf(path, sizeof path, "%s/fuzz_tokens/piece-without-end.bin", argv[1]);
    failed |= write_bytes(path, little, 2 * (count - 1));

    weights = pnl_weights_new_lstm(pnl_vocab_signature(), PNL_VOCAB_SIZE, 2, 4, 4, 1);
    if (!weights)
        return 1;
    for (i = 0; i < weights->tensor_count; i++) {
        size_t k;
        for (k = 0; k < weights->tensors[i].count; k++)
            weights->tensors[i].data[k] = (float)((k * 37 + i) % 17) / 17.0f - 0.5f;
    }
    size = pnl_weights_encode(weights, NULL, 0);
    bytes = malloc(size);
    if (!bytes)
        return 1;
    pnl_weights_encode(weights, bytes, size);
    snprintf(path, sizeof path, "%s/fuzz_weights/tiny-lstm.pnm", argv[1]);
    failed |= write_bytes(path, bytes, size);
    free(bytes);

    /* The same with a composer choices section: a class added in training
     * (class 1, opening as class 0) and UTF-8 display names, whose bytes
     * the fuzzer mutates. */
    {
        static const uint32_t classes[] = {1, 0};
        static const char *const labels[] = {"\xc3\x89rik Satie", "Mozart"};
        weights->composer_openers[1] = 0;
        if (pnl_weights_set_choices(weights, 2, classes, labels) != 0)
            return 1;
    }
    size = pnl_weights_encode(weights, NULL, 0);
    bytes = malloc(size);
    if (!bytes)
        return 1;
    pnl_weights_encode(weights, bytes, size);
    snprintf(path, sizeof path, "%s/fuzz_weights/tiny-lstm-with-choices.pnm", argv[1]);
    failed |= write_bytes(path, bytes, size);
    free(bytes);
    pnl_weights_free(weights);

    /* A transformer of two blocks of 8 whose window of 4 tokens slides
     * within the target's few steps. */
    weights = pnl_weights_new_transformer(pnl_vocab_signature(), PNL_VOCAB_SIZE, 2, 8, 2, 2, 4,
                                          12);
    if (!weights)
        return 1;
    for (i = 0; i < weights->tensor_count; i++) {
        size_t k;
        if (strcmp(weights->tensors[i].name, "alibi_slopes") == 0)
            continue;
        for (k = 0; k < weights->tensors[i].count; k++)
            weights->tensors[i].data[k] += (float)((k * 37 + i) % 17) / 17.0f - 0.5f;
    }
    size = pnl_weights_encode(weights, NULL, 0);
    bytes = malloc(size);
    if (!bytes)
        return 1;
    pnl_weights_encode(weights, bytes, size);
    snprintf(path, sizeof path, "%s/fuzz_weights/tiny-transformer.pnm", argv[1]);
    failed |= write_bytes(path, bytes, size);
    free(bytes);
    pnl_weights_free(weights);

    weights = pnl_weights_new_lstm(pnl_vocab_signature(), 3, 1, 1, 1, 2);
    if (!weights)
        return 1;
    size = pnl_weights_encode(weights, NULL, 0);
    bytes = malloc(size);
    if (!bytes)
        return 1;
    pnl_weights_encode(weights, bytes, size);
    snprintf(path, sizeof path, "%s/fuzz_weights/two-layers-vocab-3.pnm", argv[1]);
    failed |= write_bytes(path, bytes, size);
    free(bytes);
    pnl_weights_free(weights);

    pnl_score_free(&score);
    return failed;
}
