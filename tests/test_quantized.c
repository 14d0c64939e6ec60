/* The int8 product (src/quantized.c) against a double-precision reading of
 * what it promises, written here: per-row weight codes, 16-bit activation
 * codes, exact sums. Its kernels must agree bit for bit, sums at the largest
 * codes must not overflow, and padding must weigh nothing. */
#include "check.h"
#include "quantized.h"
#include "status.h"

#include <math.h>
#include <stdint.h>

enum { BLOCK = PNL_QUANTIZED_ROW_BLOCK };

static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

/* A rows x columns matrix, row-major, and the same packed as src/lstm.c
 * packs it (row blocks, column j's block weights contiguous). */
typedef struct {
    int rows, rows_padded, columns;
    float *row_major, *packed;
} TestMatrix;

static TestMatrix test_matrix(int rows, int columns, uint64_t seed)
{
    TestMatrix m = {rows, (rows + BLOCK - 1) / BLOCK * BLOCK, columns, NULL, NULL};
    m.row_major = calloc((size_t)rows * (size_t)columns + 1, sizeof(float));
    m.packed = calloc((size_t)m.rows_padded * (size_t)columns + 1, sizeof(float));
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < columns; j++) {
            /* Rows of different magnitudes, so each gets its own scale. */
            float w = (float)((uniform(&seed) - 0.5) * (1 + r % 7));
            m.row_major[(size_t)r * columns + j] = w;
            m.packed[(size_t)(r / BLOCK * BLOCK) * columns + (size_t)j * BLOCK + r % BLOCK] = w;
        }
    return m;
}

static void test_matrix_free(TestMatrix *m)
{
    free(m->row_major);
    free(m->packed);
}

/* The documented product, in double: each weight rounded to the nearest
 * of 255 steps of its row's largest magnitude, each input to 1/scale. */
static double reference_row(const TestMatrix *m, int row, const float *input, double scale,
                            double bias)
{
    const float *w = m->row_major + (size_t)row * m->columns;
    double largest = 0;
    for (int j = 0; j < m->columns; j++)
        largest = fabs(w[j]) > largest ? fabs(w[j]) : largest;
    double step = largest > 0 ? (double)(float)(largest / 127.0f) : 1.0;
    double sum = 0;
    for (int j = 0; j < m->columns; j++) {
        double x = input[j] > 1 ? 1 : input[j] < -1 ? -1 : input[j];
        sum += round(w[j] / step) * step * (nearbyint(x * scale) / scale);
    }
    return bias + sum;
}

static void test_product_is_the_documented_sum_for_every_shape(void)
{
    static const int shapes[][2] = {{1, 1}, {5, 2}, {32, 3}, {40, 31}, {100, 360},
                                    {1440, 720}, {64, 721}, {33, 1000}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], columns = shapes[s][1];
        TestMatrix m = test_matrix(rows, columns, 7 + s);
        float scale = pnl_quantized_activation_scale(columns);
        PnlQuantizedMatrix q;
        CHECK(pnl_quantized_matrix_new(&q, m.packed, columns, m.rows_padded, scale) == PNL_OK,
              "out of memory");
        float *input = calloc((size_t)columns + 1, sizeof(float));
        int16_t *codes = calloc((size_t)columns + 1, sizeof(int16_t));
        float *bias = calloc((size_t)m.rows_padded, sizeof(float));
        float *out = calloc((size_t)m.rows_padded, sizeof(float));
        uint64_t seed = 99 + s;
        for (int j = 0; j < columns; j++)
            input[j] = (float)(uniform(&seed) * 2.2 - 1.1); /* some beyond [-1, 1] */
        for (int r = 0; r < m.rows_padded; r++)
            bias[r] = (float)(r % 5) - 2.0f;
        pnl_quantize_activations(input, columns, scale, codes);
        pnl_quantized_product(&q, bias, codes, 0, m.rows_padded, out);
        for (int r = 0; r < rows; r++) {
            double expected = reference_row(&m, r, input, scale, bias[r]);
            double tolerance = 1e-5 * (1 + fabs(expected));
            CHECK(fabs(out[r] - expected) <= tolerance,
                  "%d x %d, row %d: %.9g, expected %.9g", rows, columns, r, out[r], expected);
        }
        for (int r = rows; r < m.rows_padded; r++)
            CHECK(out[r] == bias[r], "padding row %d gave %g, not its bias", r, out[r]);
        free(input);
        free(codes);
        free(bias);
        free(out);
        pnl_quantized_matrix_free(&q);
        test_matrix_free(&m);
    }
}

/* Every kernel this CPU runs against the portable one. */
static void test_kernels_agree_bit_for_bit(void)
{
    printf("# kernels here:");
    for (int kernel = 0; kernel < PNL_KERNEL_COUNT; kernel++)
        if (pnl_quantized_kernel_available(kernel))
            printf(" %s", pnl_quantized_kernel_name(kernel));
    printf("\n");
    TestMatrix m = test_matrix(1440, 721, 5);
    float scale = pnl_quantized_activation_scale(721);
    PnlQuantizedMatrix q;
    CHECK(pnl_quantized_matrix_new(&q, m.packed, 721, m.rows_padded, scale) == PNL_OK,
          "out of memory");
    int16_t codes[722];
    float bias[1440], portable[1440], fast[1440], part[1440];
    uint64_t seed = 11;
    for (int j = 0; j < 722; j++)
        codes[j] = (int16_t)(uniform(&seed) * 2 * scale - scale);
    for (int r = 0; r < 1440; r++)
        bias[r] = (float)uniform(&seed);
    q.kernel = PNL_KERNEL_PORTABLE;
    pnl_quantized_product(&q, bias, codes, 0, 1440, portable);
    for (int kernel = 1; kernel < PNL_KERNEL_COUNT; kernel++) {
        if (!pnl_quantized_kernel_available(kernel))
            continue;
        q.kernel = kernel;
        pnl_quantized_product(&q, bias, codes, 0, 1440, fast);
        CHECK(memcmp(fast, portable, sizeof fast) == 0, "the %s kernel differs from plain C",
              pnl_quantized_kernel_name(kernel));
        /* A range of blocks gives the same rows as the whole product. */
        memcpy(part, portable, sizeof part);
        part[64] = part[95] = -1.0f;
        pnl_quantized_product(&q, bias, codes, 64, BLOCK, part);
        CHECK(memcmp(part, portable, sizeof part) == 0,
              "%s: rows 64..95 alone differ from the whole", pnl_quantized_kernel_name(kernel));
    }
    pnl_quantized_matrix_free(&q);
    test_matrix_free(&m);
}

/* Every weight at its row's largest magnitude and every input at +-1, over
 * the widest input a network may have (two layers of 8192): the exact sum
 * comes out, without overflow (the sanitizer build traps one). */
static void test_largest_sums_do_not_overflow(void)
{
    const int columns = 2 * 8192, rows = BLOCK;
    float *packed = malloc(sizeof(float) * (size_t)columns * rows);
    float *input = malloc(sizeof(float) * ((size_t)columns + 1));
    int16_t *codes = calloc((size_t)columns + 1, sizeof(int16_t));
    for (int j = 0; j < columns; j++) {
        for (int r = 0; r < rows; r++)
            packed[(size_t)j * BLOCK + r] = r % 2 ? -0.5f : 0.5f;
        input[j] = 1.0f;
    }
    float scale = pnl_quantized_activation_scale(columns);
    CHECK(scale >= 512 && (int64_t)columns * 127 * (int64_t)scale <= INT32_MAX,
          "scale %g for %d columns", scale, columns);
    CHECK(pnl_quantized_activation_scale(720) == 16384, "hidden 360 should get 2^14, got %g",
          pnl_quantized_activation_scale(720));
    PnlQuantizedMatrix q;
    CHECK(pnl_quantized_matrix_new(&q, packed, columns, rows, scale) == PNL_OK, "no memory");
    pnl_quantize_activations(input, columns, scale, codes);
    float bias[BLOCK] = {0}, out[BLOCK];
    for (int kernel = 0; kernel < PNL_KERNEL_COUNT; kernel++) {
        if (!pnl_quantized_kernel_available(kernel))
            continue;
        q.kernel = kernel;
        pnl_quantized_product(&q, bias, codes, 0, rows, out);
        for (int r = 0; r < rows; r++) {
            double expected = (r % 2 ? -0.5 : 0.5) * columns;
            CHECK(fabs(out[r] - expected) <= 1e-6 * fabs(expected),
                  "%s, row %d: %.9g, expected %.9g", pnl_quantized_kernel_name(kernel), r,
                  out[r], expected);
        }
    }
    pnl_quantized_matrix_free(&q);
    free(packed);
    free(input);
    free(codes);
}

static void test_activation_codes_round_clamp_and_drop_nan(void)
{
    const float scale = 16384.0f;
    const float values[] = {0.0f,  1.0f,          -1.0f,          1.5f,
                            -7.0f, 0.5f / 16384,  1.5f / 16384,   2.5f / 16384,
                            NAN,   -3.0f / 16384, 0.25f,          INFINITY};
    const int16_t expected[] = {0, 16384, -16384, 16384, -16384, 0, 2, 2, 0, -3, 4096, 16384};
    int16_t codes[12];
    pnl_quantize_activations(values, 12, scale, codes);
    for (int i = 0; i < 12; i++)
        CHECK(codes[i] == expected[i], "value %g became code %d, expected %d", values[i],
              codes[i], expected[i]);
}

/* An odd column count is padded with a column of zero weights, so whatever
 * the code beyond the last input is (the next layer's h), it adds nothing. */
static void test_padding_column_weighs_nothing(void)
{
    TestMatrix m = test_matrix(64, 7, 3);
    PnlQuantizedMatrix q;
    CHECK(pnl_quantized_matrix_new(&q, m.packed, 7, 64, 16384) == PNL_OK, "out of memory");
    int16_t codes[8] = {100, -2000, 16384, -16384, 7, 0, 300, 0};
    float bias[64] = {0}, quiet[64], noisy[64];
    for (int kernel = 0; kernel < PNL_KERNEL_COUNT; kernel++) {
        if (!pnl_quantized_kernel_available(kernel))
            continue;
        q.kernel = kernel;
        codes[7] = 0;
        pnl_quantized_product(&q, bias, codes, 0, 64, quiet);
        codes[7] = 32767;
        pnl_quantized_product(&q, bias, codes, 0, 64, noisy);
        CHECK(memcmp(quiet, noisy, sizeof quiet) == 0, "%s: the padding code changed the product",
              pnl_quantized_kernel_name(kernel));
    }
    pnl_quantized_matrix_free(&q);
    test_matrix_free(&m);
}

int main(void)
{
    RUN_TEST(test_product_is_the_documented_sum_for_every_shape);
    RUN_TEST(test_kernels_agree_bit_for_bit);
    RUN_TEST(test_largest_sums_do_not_overflow);
    RUN_TEST(test_activation_codes_round_clamp_and_drop_nan);
    RUN_TEST(test_padding_column_weighs_nothing);
    CHECK_EXIT();
}
