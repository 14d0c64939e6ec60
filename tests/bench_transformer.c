/* How fast a transformer step runs on one core at an empty and at a full
 * window, what it costs (FLOPs, bytes of weights and of cache), and how
 * close that is to the roofline at a full window (tests/roofline.h).
 *
 * The model is --model FILE (tests/bench_transformer.py exports one from
 * PyTorch and runs this on it), or with --random a random transformer made
 * here: 4 blocks of 192, 4 heads, feed-forward 768, a window of 1,024
 * tokens, the codec's vocabulary (2.0M parameters, 7.9 MB as a file). With
 * neither (as `./waf bench` runs every bench_ program) it only says so,
 * since the Python benchmark prints these figures. Both float32 and int8
 * are timed.
 *
 * "Empty" is the mean of the first 32 steps after a reset (1 to 32 tokens
 * in the window), "full" steps on a window already holding `context`
 * tokens. Output: "name: value unit" lines, every name starting with
 * transformer_. */
#define _GNU_SOURCE
#include "generator.h"
#include "model.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roofline.h"

enum { EMPTY_STEPS = 32 };

static PnlModel *bench_model(const char *path, PnlPrecision precision, char *description,
                             size_t size)
{
    char message[512];
    PnlModel *model = NULL;
    if (path) {
        if (pnl_model_load_with_precision(path, pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                          precision, &model, message,
                                          sizeof message) != PNL_OK) {
            fprintf(stderr, "bench_transformer: %s\n", message);
            return NULL;
        }
        snprintf(description, size, "%s", path);
        return model;
    }
    PnlWeights *weights = pnl_weights_new_transformer(pnl_vocab_signature(), PNL_VOCAB_SIZE, 5,
                                                      192, 4, 4, 1024, 768);
    snprintf(weights->composer_names[0], sizeof weights->composer_names[0], "mozart");
    uint64_t seed = 1;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        if (strcmp(weights->tensors[t].name, "alibi_slopes") != 0)
            for (size_t i = 0; i < weights->tensors[t].count; i++)
                weights->tensors[t].data[i] += random_weight(&seed);
    if (pnl_model_new_with_precision(weights, precision, &model, message, sizeof message) !=
        PNL_OK)
        fprintf(stderr, "bench_transformer: %s\n", message);
    pnl_weights_free(weights);
    snprintf(description, size, "random, 4 blocks of 192, 4 heads, feed-forward 768, "
                                "context 1024");
    return model;
}

/* Median microseconds per step of the first EMPTY_STEPS after a reset. */
static double empty_microseconds(const PnlModel *model)
{
    enum { ROUNDS = 41 };
    PnlModelState *state = pnl_model_state_new(model);
    int vocab = pnl_model_vocab_size(model);
    double rounds[ROUNDS];
    float sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        pnl_model_state_reset(state);
        double start = now_seconds();
        for (int s = 0; s < EMPTY_STEPS; s++)
            sink += pnl_model_step(model, state, (s * 37 + r) % vocab, 0)[s % vocab];
        rounds[r] = (now_seconds() - start) / EMPTY_STEPS * 1e6;
    }
    if (sink == 12345.0f)
        puts("");
    pnl_model_state_free(state);
    qsort(rounds, ROUNDS, sizeof rounds[0], compare_doubles);
    return rounds[ROUNDS / 2];
}

/* Median microseconds per step over batches on a full window. */
static double full_microseconds(const PnlModel *model)
{
    enum { BATCHES = 7, STEPS = 200 };
    PnlModelState *state = pnl_model_state_new(model);
    int vocab = pnl_model_vocab_size(model), context = pnl_model_context_length(model);
    double batches[BATCHES];
    float sink = 0;
    for (int warm = 0; warm < context; warm++)
        pnl_model_advance(model, state, warm % vocab, 0);
    for (int b = 0; b < BATCHES; b++) {
        double start = now_seconds();
        for (int s = 0; s < STEPS; s++)
            sink += pnl_model_step(model, state, (s * 37) % vocab, 0)[s % vocab];
        batches[b] = (now_seconds() - start) / STEPS * 1e6;
    }
    if (sink == 12345.0f)
        puts("");
    pnl_model_state_free(state);
    qsort(batches, BATCHES, sizeof batches[0], compare_doubles);
    return batches[BATCHES / 2];
}

/* Microseconds per composed token from a start: step over the grammar's
 * allowed logits, mask and draw, the window filling and then sliding. */
static double generated_token_microseconds(const PnlModel *model, int tokens)
{
    char message[256];
    PnlGenerator *generator = pnl_generator_new(model, message, sizeof message);
    PnlGeneratorSettings settings = {"mozart", 1.0f, 0.95f, 1, 4, 4, 0, {0},
                                     PNL_SOURCE_PERFORMED};
    if (!generator || pnl_generator_start(generator, &settings, message, sizeof message)) {
        fprintf(stderr, "bench_transformer: %s\n", message);
        pnl_generator_free(generator);
        return 0;
    }
    double start = now_seconds();
    for (int t = 0; t < tokens; t++)
        pnl_generator_next(generator, NULL, NULL);
    double microseconds = (now_seconds() - start) / tokens * 1e6;
    pnl_generator_free(generator);
    return microseconds;
}

static double best_peak_flops(void)
{
    double peak = peak_build();
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        double fma = peak_avx2_fma();
        peak = fma > peak ? fma : peak;
    }
    if (__builtin_cpu_supports("avx512f")) {
        double wide = peak_avx512();
        peak = wide > peak ? wide : peak;
    }
#endif
    return peak;
}

/* The roofline at a full window and the ratio to it. */
static void print_roofline(const char *suffix, const PnlModel *model, double microseconds,
                           double peak)
{
    int context = pnl_model_context_length(model);
    double flops = pnl_model_flops_per_step_at(model, context);
    double bytes = pnl_model_weight_bytes_per_step(model) +
                   pnl_model_state_bytes_per_step_at(model, context);
    double bandwidth = stream_bandwidth((size_t)bytes, 0.3);
    double compute_us = flops / peak * 1e6, memory_us = bytes / bandwidth * 1e6;
    double roofline_us = compute_us > memory_us ? compute_us : memory_us;
    printf("transformer_read_bandwidth_at_step_size%s: %.1f GB/s\n", suffix, bandwidth / 1e9);
    printf("transformer_roofline_full%s: %.1f us (compute %.1f, memory %.1f)\n", suffix,
           roofline_us, compute_us, memory_us);
    printf("transformer_times_roofline_full%s: %.2f x\n", suffix, microseconds / roofline_us);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int random = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--random") == 0) {
            random = 1;
        } else {
            fprintf(stderr, "usage: bench_transformer --model FILE | --random\n");
            return 2;
        }
    }
    if (!path && !random) {
        printf("# bench_transformer: the figures come from tests/bench_transformer.py "
               "(--model FILE), or --random\n");
        return 0;
    }
    char description[4200];
    PnlModel *model = bench_model(path, PNL_PRECISION_FLOAT32, description, sizeof description);
    PnlModel *quantized = bench_model(path, PNL_PRECISION_INT8, description, sizeof description);
    if (!model || !quantized || pnl_model_architecture(model) != PNL_ARCH_TRANSFORMER) {
        fprintf(stderr, "bench_transformer: no transformer to time\n");
        return 1;
    }
    int context = pnl_model_context_length(model);
    printf("# model: %s\n", description);
    printf("transformer_context: %d tokens\n", context);
    printf("transformer_state_bytes: %.2f MB\n", pnl_model_state_bytes(model) / 1e6);

    double empty_us = empty_microseconds(model), full_us = full_microseconds(model);
    double empty_int8_us = empty_microseconds(quantized);
    double full_int8_us = full_microseconds(quantized);
    printf("transformer_step_empty: %.1f us\n", empty_us);
    printf("transformer_step_full: %.1f us\n", full_us);
    printf("transformer_step_empty_int8: %.1f us\n", empty_int8_us);
    printf("transformer_step_full_int8: %.1f us\n", full_int8_us);

    double middle = EMPTY_STEPS / 2.0;
    printf("transformer_flops_per_token_empty: %.2f MFLOP\n",
           pnl_model_flops_per_step_at(model, (int)middle) / 1e6);
    printf("transformer_flops_per_token_full: %.2f MFLOP\n",
           pnl_model_flops_per_step_at(model, context) / 1e6);
    printf("transformer_weight_bytes_per_token: %.2f MB\n",
           pnl_model_weight_bytes_per_step(model) / 1e6);
    printf("transformer_weight_bytes_per_token_int8: %.2f MB\n",
           pnl_model_weight_bytes_per_step(quantized) / 1e6);
    printf("transformer_cache_bytes_per_token_empty: %.3f MB\n",
           pnl_model_state_bytes_per_step_at(model, (int)middle) / 1e6);
    printf("transformer_cache_bytes_per_token_full: %.2f MB\n",
           pnl_model_state_bytes_per_step_at(model, context) / 1e6);

    double peak = best_peak_flops();
    printf("transformer_peak_flops: %.1f GFLOP/s\n", peak / 1e9);
    print_roofline("", model, full_us, peak);
    print_roofline("_int8", quantized, full_int8_us, peak);

    int tokens = context + 1000;
    printf("transformer_generated_token: %.1f us (%d tokens from a start)\n",
           generated_token_microseconds(model, tokens), tokens);
    printf("transformer_generated_token_int8: %.1f us\n",
           generated_token_microseconds(quantized, tokens));
    pnl_model_free(model);
    pnl_model_free(quantized);
    return 0;
}
