/* How fast one LSTM step runs on one core, and how close that is to what
 * this machine allows (the roofline).
 *
 * The model is --model FILE, else the bundled models/pianola.pnm, else a
 * random model of the training default's size (2 layers, hidden 384,
 * embedding 128, the codec's vocabulary). The roofline is
 *   max(FLOPs per token / peak FLOP rate, weight bytes per token / bandwidth)
 * with the peak measured by an FMA loop on one core and the bandwidth by a
 * streaming read of a buffer as large as the weights a step reads (so from
 * the cache level they live in), plus a DRAM-sized read for reference.
 *
 * The same model held at int8 (PNL_PRECISION_INT8) is timed too, against
 * its own roofline (a quarter of the matrix bytes).
 *
 * Output: "name: value unit" lines. `--step-only` prints only lstm_step_c
 * and lstm_step_c_int8 (tests/bench_lstm.py runs it on PyTorch's weights for
 * the speedup). */
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
#include <sys/stat.h>
#include <time.h>

#include "roofline.h"

/* ---- The model -------------------------------------------------------------- */

static PnlModel *bench_model(const char *path, PnlPrecision precision, char *description,
                             size_t size)
{
    char message[512];
    PnlModel *model = NULL;
    if (path) {
        if (pnl_model_load_with_precision(path, pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                          precision, &model, message,
                                          sizeof message) != PNL_OK) {
            fprintf(stderr, "bench_lstm: %s\n", message);
            return NULL;
        }
        snprintf(description, size, "%s", path);
        return model;
    }
    PnlWeights *weights =
        pnl_weights_new_lstm(pnl_vocab_signature(), PNL_VOCAB_SIZE, 5, 128, 384, 2);
    snprintf(weights->composer_names[0], sizeof weights->composer_names[0], "mozart");
    uint64_t seed = 1;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = random_weight(&seed);
    if (pnl_model_new_with_precision(weights, precision, &model, message, sizeof message) !=
        PNL_OK)
        fprintf(stderr, "bench_lstm: %s\n", message);
    pnl_weights_free(weights);
    snprintf(description, size, "random, 2 layers, hidden 384, embedding 128");
    return model;
}

/* Median microseconds per step over batches of steps on a sequence of
 * tokens that cycles through the vocabulary; *best gets the fastest batch
 * (what the step costs when nothing else runs on the machine's caches). */
static double step_microseconds(const PnlModel *model, double *best)
{
    enum { BATCHES = 9, STEPS = 300 };
    PnlModelState *state = pnl_model_state_new(model);
    int vocab = pnl_model_vocab_size(model);
    double batches[BATCHES];
    float sink = 0;
    for (int warm = 0; warm < 100; warm++)
        sink += pnl_model_step(model, state, warm % vocab, 0)[0];
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
    *best = batches[0];
    return batches[BATCHES / 2];
}

/* Microseconds per composed token: network step over the grammar's allowed
 * logits, mask and draw, as the plugin's worker composes. */
static double generated_token_microseconds(const PnlModel *model)
{
    char message[256];
    PnlGenerator *generator = pnl_generator_new(model, message, sizeof message);
    PnlGeneratorSettings settings = {"mozart", 1.0f, 0.95f, 1, 4, 4, 0, {0},
                                         PNL_SOURCE_PERFORMED};
    if (!generator || pnl_generator_start(generator, &settings, message, sizeof message)) {
        fprintf(stderr, "bench_lstm: %s\n", message);
        pnl_generator_free(generator);
        return 0;
    }
    enum { TOKENS = 1500 };
    double start = now_seconds();
    for (int t = 0; t < TOKENS; t++)
        pnl_generator_next(generator, NULL, NULL);
    double microseconds = (now_seconds() - start) / TOKENS * 1e6;
    pnl_generator_free(generator);
    return microseconds;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int step_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--step-only") == 0)
            step_only = 1;
        else {
            fprintf(stderr, "usage: bench_lstm [--model FILE] [--step-only]\n");
            return 2;
        }
    }
    char bundled[4096];
    struct stat info;
    snprintf(bundled, sizeof bundled, "%s/models/pianola.pnm",
             getenv("PIANOLA_SRC") ? getenv("PIANOLA_SRC") : "..");
    if (!path && stat(bundled, &info) == 0)
        path = bundled;

    char description[4200];
    PnlModel *model = bench_model(path, PNL_PRECISION_FLOAT32, description, sizeof description);
    PnlModel *quantized = bench_model(path, PNL_PRECISION_INT8, description, sizeof description);
    if (!model || !quantized)
        return 1;
    double best, quantized_best;
    double microseconds = step_microseconds(model, &best);
    double quantized_microseconds = step_microseconds(quantized, &quantized_best);
    printf("lstm_step_c: %.1f us\n", microseconds);
    printf("lstm_step_c_int8: %.1f us\n", quantized_microseconds);
    if (step_only) {
        pnl_model_free(model);
        pnl_model_free(quantized);
        return 0;
    }
    printf("# model: %s\n", description);
    printf("lstm_step_c_fastest_batch: %.1f us\n", best);
    printf("tokens_per_second_c: %.0f tokens/s\n", 1e6 / microseconds);

    double flops = pnl_model_flops_per_step(model);
    double bytes = pnl_model_weight_bytes_per_step(model);
    printf("flops_per_token: %.2f MFLOP\n", flops / 1e6);
    printf("weight_bytes_per_token: %.2f MB\n", bytes / 1e6);
    double peak = peak_build();
    printf("peak_flops_portable_sse: %.1f GFLOP/s\n", peak / 1e9);
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        double fma = peak_avx2_fma();
        printf("peak_flops_avx2_fma: %.1f GFLOP/s\n", fma / 1e9);
        if (fma > peak)
            peak = fma;
    }
    if (__builtin_cpu_supports("avx512f")) {
        double wide = peak_avx512();
        printf("peak_flops_avx512: %.1f GFLOP/s\n", wide / 1e9);
        if (wide > peak)
            peak = wide;
    }
#endif
    double bandwidth = stream_bandwidth((size_t)bytes, 0.3);
    double dram = stream_bandwidth((size_t)256 << 20, 0.5);
    printf("read_bandwidth_at_model_size: %.1f GB/s\n", bandwidth / 1e9);
    printf("read_bandwidth_256MB: %.1f GB/s\n", dram / 1e9);
    double compute_us = flops / peak * 1e6, memory_us = bytes / bandwidth * 1e6;
    double roofline_us = compute_us > memory_us ? compute_us : memory_us;
    printf("roofline_compute: %.1f us\n", compute_us);
    printf("roofline_memory: %.1f us\n", memory_us);
    printf("roofline_step: %.1f us\n", roofline_us);
    printf("achieved_gflops: %.2f GFLOP/s\n", flops / microseconds / 1e3);
    printf("achieved_bandwidth: %.1f GB/s\n", bytes / microseconds / 1e3);
    printf("roofline_fraction: %.2f\n", roofline_us / microseconds);
    printf("times_roofline: %.2f x\n", microseconds / roofline_us);

    printf("generated_token_c: %.1f us\n", generated_token_microseconds(model));
    printf("generated_token_c_int8: %.1f us\n", generated_token_microseconds(quantized));

    double quantized_bytes = pnl_model_weight_bytes_per_step(quantized);
    double quantized_bandwidth = stream_bandwidth((size_t)quantized_bytes, 0.3);
    double quantized_memory_us = quantized_bytes / quantized_bandwidth * 1e6;
    double quantized_roofline_us = compute_us > quantized_memory_us ? compute_us : quantized_memory_us;
    printf("lstm_step_c_int8_fastest_batch: %.1f us\n", quantized_best);
    printf("tokens_per_second_c_int8: %.0f tokens/s\n", 1e6 / quantized_microseconds);
    printf("weight_bytes_per_token_int8: %.2f MB\n", quantized_bytes / 1e6);
    printf("read_bandwidth_at_int8_size: %.1f GB/s\n", quantized_bandwidth / 1e9);
    printf("roofline_step_int8: %.1f us\n", quantized_roofline_us);
    printf("times_roofline_int8: %.2f x\n", quantized_microseconds / quantized_roofline_us);
    pnl_model_free(quantized);
    pnl_model_free(model);
    return 0;
}
