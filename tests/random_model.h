/* What the ensemble tests share: a small LSTM with seeded random weights
 * written to a file, as the engine and pianola-generate load models. Its
 * music is nonsense, but a random network goes wherever the grammar's mask
 * lets it, so every rule of the grammar is tried. */
#ifndef PIANOLA_TESTS_RANDOM_MODEL_H
#define PIANOLA_TESTS_RANDOM_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "composers.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

/* A deterministic number in [-0.5, 0.5) (splitmix64's mix). */
static inline float random_model_weight(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1 << 24) - 0.5);
}

/* Names the composers of `weights` (a random network just filled; NULL
 * when it could not be made) after the plugin's choices, saves them to
 * `path` and frees them. */
static inline int random_model_save(PnlWeights *weights, const char *path, char *message,
                                    size_t size)
{
    static const char *const names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};
    if (!weights) {
        snprintf(message, size, "out of memory");
        return PNL_ENOMEM;
    }
    for (int i = 0; i < PNL_COMPOSER_CHOICE_COUNT; i++)
        snprintf(weights->composer_names[i], sizeof weights->composer_names[i], "%s", names[i]);
    int status = pnl_weights_save(weights, path, message, size);
    pnl_weights_free(weights);
    return status;
}

/* Writes a small random LSTM (16-wide embeddings, 2 layers of 32) of the
 * first `vocab_size` tokens of the vocabulary, whose composers are the
 * plugin's choices, with the weights file's `flags`
 * (PNL_WEIGHTS_FLAG_KEY_FRAME: a key-normalized network). Weights in
 * [-1, 1): peaked enough for a varied piece. */
static inline int random_model_write(const char *path, int vocab_size, uint32_t flags,
                                     char *message, size_t size)
{
    PnlWeights *weights =
        pnl_weights_new_lstm(pnl_vocab_prefix_signature(vocab_size), (uint32_t)vocab_size,
                             PNL_COMPOSER_CHOICE_COUNT, 16, 32, 2);
    uint64_t state = 2024;
    for (uint32_t t = 0; weights && t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = 2.0f * random_model_weight(&state);
    if (weights)
        weights->flags = flags;
    return random_model_save(weights, path, message, size);
}

#endif
