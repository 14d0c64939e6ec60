/* What the benchmarks measure a step against: this thread's CPU time, the
 * core's peak FLOP rate and the streaming read bandwidth of a buffer as
 * large as what a step reads (the roofline), and the random weights they
 * build models from. Shared by tests/bench_lstm.c and
 * tests/bench_transformer.c. */
#ifndef PIANOLA_TESTS_ROOFLINE_H
#define PIANOLA_TESTS_ROOFLINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* This thread's CPU time: the machine is shared (training runs on the other
 * core), and time spent descheduled is not the engine's. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static float random_weight(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1 << 24) - 0.5) * 0.2f;
}

/* ---- Peak FLOP rate ------------------------------------------------------- */

enum { ACCUMULATORS = 12, PEAK_ROUNDS = 4000000 };

/* Twelve independent multiply-add chains in registers, enough to cover the
 * latency of two FMA units. */
#define DEFINE_PEAK(name, lanes, attributes)                                          \
    typedef float name##_vector __attribute__((vector_size(4 * lanes)));            \
    attributes static double name(void)                                               \
    {                                                                                 \
        name##_vector scale, offset, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11; \
        for (int l = 0; l < lanes; l++) {                                             \
            scale[l] = 0.999999f;                                                     \
            offset[l] = 1e-7f;                                                        \
        }                                                                             \
        /* Distinct starting values, so no two chains can be merged. */             \
        a0 = offset * 1, a1 = offset * 2, a2 = offset * 3, a3 = offset * 4;           \
        a4 = offset * 5, a5 = offset * 6, a6 = offset * 7, a7 = offset * 8;           \
        a8 = offset * 9, a9 = offset * 10, a10 = offset * 11, a11 = offset * 12;      \
        double start = now_seconds();                                                 \
        for (long round = 0; round < PEAK_ROUNDS; round++) {                          \
            a0 = a0 * scale + offset;                                                 \
            a1 = a1 * scale + offset;                                                 \
            a2 = a2 * scale + offset;                                                 \
            a3 = a3 * scale + offset;                                                 \
            a4 = a4 * scale + offset;                                                 \
            a5 = a5 * scale + offset;                                                 \
            a6 = a6 * scale + offset;                                                 \
            a7 = a7 * scale + offset;                                                 \
            a8 = a8 * scale + offset;                                                 \
            a9 = a9 * scale + offset;                                                 \
            a10 = a10 * scale + offset;                                               \
            a11 = a11 * scale + offset;                                               \
        }                                                                             \
        double seconds = now_seconds() - start;                                       \
        name##_vector sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11; \
        if (sum[0] == 12345.0f)                                                       \
            puts("");                                                                 \
        return 2.0 * lanes * ACCUMULATORS * (double)PEAK_ROUNDS / seconds;            \
    }

/* What the portable build's instructions reach (SSE: 4 lanes, no FMA). */
DEFINE_PEAK(peak_build, 4, )
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* What the core reaches with AVX2 and fused multiply-adds. */
DEFINE_PEAK(peak_avx2_fma, 8, __attribute__((target("avx2,fma"), optimize("fp-contract=fast"))))
/* And with AVX-512, the widest this core may have. */
DEFINE_PEAK(peak_avx512, 16, __attribute__((target("avx512f"), optimize("fp-contract=fast"))))
#endif

/* ---- Streaming read bandwidth --------------------------------------------- */

typedef float stream_vector __attribute__((vector_size(16)));

static double stream_bandwidth(size_t bytes, double minimum_seconds)
{
    size_t count = bytes / sizeof(stream_vector);
    stream_vector *data = aligned_alloc(64, count * sizeof(stream_vector));
    for (size_t i = 0; i < count; i++)
        for (int l = 0; l < 4; l++)
            data[i][l] = (float)(i & 7);
    double best = 1e30, total = 0;
    stream_vector sums[8] = {{0}};
    for (int pass = 0; pass < 1000 && (pass < 3 || total < minimum_seconds); pass++) {
        double start = now_seconds();
        for (size_t i = 0; i + 8 <= count; i += 8)
            for (int k = 0; k < 8; k++)
                sums[k] += data[i + k];
        double seconds = now_seconds() - start;
        total += seconds;
        if (pass > 0 && seconds < best) /* the first pass warms the caches */
            best = seconds;
    }
    float sink = 0;
    for (int k = 0; k < 8; k++)
        sink += sums[k][0];
    if (sink == 12345.0f)
        puts("");
    free(data);
    return (double)(count * sizeof(stream_vector)) / best;
}

#endif
