/* The int8 matrix-vector product (see quantized.h).
 *
 * Why 16-bit activations: the product then runs as integer pairwise
 * multiply-adds (16 per AVX2 instruction, against 8 float products that
 * each need the weight widened and converted first), and an integer sum is
 * exact, so the kernels need no fixed summation order to agree. 2^14 steps
 * over [-1, 1] put h within 3e-5 of its float value, far inside the
 * weights' own 8-bit rounding. */
#include "quantized.h"

#include "portable_math.h" /* keeps clang from fusing the scaling's a*b+c */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PNL_HAVE_X86_KERNELS 1 /* AVX2 and AVX-512, picked at run time */
#endif

enum { ROW_BLOCK = PNL_QUANTIZED_ROW_BLOCK, ALIGN_BYTES = 64, LARGEST_CODE = 127 };

float pnl_quantized_activation_scale(int columns)
{
    const int64_t largest_sum = INT32_MAX;
    int64_t padded = columns < 2 ? 2 : columns + columns % 2;
    float scale = 16384.0f;
    while (scale > 1.0f && padded * LARGEST_CODE * (int64_t)scale > largest_sum)
        scale *= 0.5f;
    return scale;
}

int pnl_quantized_kernel_available(PnlQuantizedKernel kernel)
{
    switch (kernel) {
    case PNL_KERNEL_PORTABLE:
        return 1;
#ifdef PNL_HAVE_X86_KERNELS
    case PNL_KERNEL_SSE2:
        return 1; /* part of x86-64 */
    case PNL_KERNEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case PNL_KERNEL_AVX512:
        /* Also false where the system does not save the AVX-512 registers
         * (libgcc checks XCR0), and under valgrind, which hides AVX-512. */
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    default:
        return 0;
    }
}

const char *pnl_quantized_kernel_name(PnlQuantizedKernel kernel)
{
    static const char *const names[PNL_KERNEL_COUNT] = {"portable", "sse2", "avx2", "avx512"};
    return kernel >= 0 && kernel < PNL_KERNEL_COUNT ? names[kernel] : "unknown";
}

PnlQuantizedKernel pnl_quantized_best_kernel(void)
{
    const char *forced = getenv("PIANOLA_INT8_KERNEL");
    for (int kernel = 0; forced && kernel < PNL_KERNEL_COUNT; kernel++)
        if (strcmp(forced, pnl_quantized_kernel_name(kernel)) == 0 &&
            pnl_quantized_kernel_available(kernel))
            return kernel;
    for (int kernel = PNL_KERNEL_COUNT - 1; kernel > PNL_KERNEL_PORTABLE; kernel--)
        if (pnl_quantized_kernel_available(kernel))
            return kernel;
    return PNL_KERNEL_PORTABLE;
}

int pnl_quantized_matrix_new(PnlQuantizedMatrix *matrix, const float *packed, int columns,
                             int rows_padded, float activation_scale)
{
    memset(matrix, 0, sizeof *matrix);
    matrix->rows_padded = rows_padded;
    matrix->column_pairs = (columns + 1) / 2;
    matrix->kernel = pnl_quantized_best_kernel();
    size_t code_bytes = (size_t)rows_padded * (size_t)matrix->column_pairs * 2;
    size_t scale_bytes = (size_t)(rows_padded > 0 ? rows_padded : 1) * sizeof(float);
    matrix->codes = aligned_alloc(ALIGN_BYTES, (code_bytes + ALIGN_BYTES - 1) / ALIGN_BYTES *
                                                   ALIGN_BYTES + ALIGN_BYTES);
    matrix->row_scales = aligned_alloc(ALIGN_BYTES, (scale_bytes + ALIGN_BYTES - 1) /
                                                        ALIGN_BYTES * ALIGN_BYTES);
    if (!matrix->codes || !matrix->row_scales) {
        pnl_quantized_matrix_free(matrix);
        return PNL_ENOMEM;
    }
    memset(matrix->codes, 0, code_bytes); /* the padding column weighs nothing */
    for (int row = 0; row < rows_padded; row++) {
        int block = row / ROW_BLOCK * ROW_BLOCK, lane = row % ROW_BLOCK;
        const float *weights = packed + (size_t)block * (size_t)columns + (size_t)lane;
        float largest = 0.0f;
        for (int j = 0; j < columns; j++) {
            float magnitude = fabsf(weights[(size_t)j * ROW_BLOCK]);
            largest = magnitude > largest ? magnitude : largest;
        }
        float scale = largest > 0.0f ? largest / (float)LARGEST_CODE : 1.0f;
        matrix->row_scales[row] = scale / activation_scale;
        int8_t *codes = matrix->codes + (size_t)block * (size_t)matrix->column_pairs * 2;
        for (int j = 0; j < columns; j++) {
            float code = roundf(weights[(size_t)j * ROW_BLOCK] / scale);
            code = code > LARGEST_CODE ? LARGEST_CODE : code < -LARGEST_CODE ? -LARGEST_CODE : code;
            codes[(size_t)(j / 2) * 2 * ROW_BLOCK + (size_t)lane * 2 + (size_t)(j % 2)] =
                (int8_t)code;
        }
    }
    return PNL_OK;
}

void pnl_quantized_matrix_free(PnlQuantizedMatrix *matrix)
{
    free(matrix->codes);
    free(matrix->row_scales);
    matrix->codes = NULL;
    matrix->row_scales = NULL;
}

void pnl_quantize_activations(const float *values, int count, float activation_scale,
                              int16_t *codes)
{
    /* Adding 1.5 x 2^23 rounds to an integer (ties to even) in plain float
     * arithmetic, which vectorises where roundf would be a call. */
    const float shifter = 12582912.0f;
    for (int i = 0; i < count; i++) {
        float value = values[i];
        value = value < 1.0f ? value : 1.0f;
        value = value > -1.0f ? value : -1.0f;
        value = values[i] == values[i] ? value : 0.0f;
        codes[i] = (int16_t)((value * activation_scale + shifter) - shifter);
    }
}

/* The ROW_BLOCK sums of one block. */
static void block_sums_portable(const int8_t *codes, const int16_t *input, int column_pairs,
                                int32_t *sums)
{
    for (int k = 0; k < ROW_BLOCK; k++)
        sums[k] = 0;
    for (int p = 0; p < column_pairs; p++) {
        const int32_t first = input[2 * p], second = input[2 * p + 1];
        const int8_t *pair = codes + (size_t)p * 2 * ROW_BLOCK;
        for (int k = 0; k < ROW_BLOCK; k++)
            sums[k] += pair[2 * k] * first + pair[2 * k + 1] * second;
    }
}

#ifdef PNL_HAVE_X86_KERNELS
/* Column pair p's two input codes as one 32-bit value: what a pairwise
 * multiply-add broadcasts to every row. */
static inline int32_t pair_of_inputs(const int16_t *input, int p)
{
    int32_t both;
    memcpy(&both, input + 2 * p, sizeof both);
    return both;
}

/* The same with SSE2's pmaddwd, which every x86-64 has: each 32-bit lane
 * gets one row's two products of a column pair. SSE2 has no sign extension,
 * so a byte goes to the top of a 16-bit lane and shifts back down. */
static void block_sums_sse2(const int8_t *codes, const int16_t *input, int column_pairs,
                            int32_t *sums)
{
    __m128i rows[ROW_BLOCK / 4];
    for (int q = 0; q < ROW_BLOCK / 4; q++)
        rows[q] = _mm_setzero_si128();
    for (int p = 0; p < column_pairs; p++) {
        const __m128i inputs = _mm_set1_epi32(pair_of_inputs(input, p));
        const __m128i *pair = (const __m128i *)(codes + (size_t)p * 2 * ROW_BLOCK);
        for (int q = 0; q < ROW_BLOCK / 8; q++) {
            const __m128i eight_rows = _mm_loadu_si128(pair + q);
            const __m128i low = _mm_srai_epi16(_mm_unpacklo_epi8(eight_rows, eight_rows), 8);
            const __m128i high = _mm_srai_epi16(_mm_unpackhi_epi8(eight_rows, eight_rows), 8);
            rows[2 * q] = _mm_add_epi32(rows[2 * q], _mm_madd_epi16(low, inputs));
            rows[2 * q + 1] = _mm_add_epi32(rows[2 * q + 1], _mm_madd_epi16(high, inputs));
        }
    }
    for (int q = 0; q < ROW_BLOCK / 4; q++)
        _mm_storeu_si128((__m128i *)(sums + 4 * q), rows[q]);
}

/* sums + the products of 8 rows' codes of a column pair (16 bytes, each
 * row's two side by side) with the pair's two inputs, in every 32-bit lane:
 * the codes widened to int16, then vpmaddwd. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
add_products_of_8_rows(__m256i sums, const int8_t *codes, __m256i inputs)
{
    __m256i widened = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)codes));
    return _mm256_add_epi32(sums, _mm256_madd_epi16(widened, inputs));
}

/* The same for 16 rows (32 bytes) on 512-bit registers. */
__attribute__((target("avx512f,avx512bw"), always_inline)) static inline __m512i
add_products_of_16_rows(__m512i sums, const int8_t *codes, __m512i inputs)
{
    __m512i widened = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)codes));
    return _mm512_add_epi32(sums, _mm512_madd_epi16(widened, inputs));
}

/* The block's sums with AVX2: four registers of 8 rows (named, not an
 * array, which GCC would keep in memory). */
__attribute__((target("avx2"))) static void block_sums_avx2(const int8_t *codes,
                                                            const int16_t *input,
                                                            int column_pairs, int32_t *sums)
{
    __m256i rows_0_7 = _mm256_setzero_si256(), rows_8_15 = _mm256_setzero_si256();
    __m256i rows_16_23 = _mm256_setzero_si256(), rows_24_31 = _mm256_setzero_si256();
    for (int p = 0; p < column_pairs; p++) {
        const __m256i inputs = _mm256_set1_epi32(pair_of_inputs(input, p));
        const int8_t *pair = codes + (size_t)p * 2 * ROW_BLOCK;
        rows_0_7 = add_products_of_8_rows(rows_0_7, pair, inputs);
        rows_8_15 = add_products_of_8_rows(rows_8_15, pair + 16, inputs);
        rows_16_23 = add_products_of_8_rows(rows_16_23, pair + 32, inputs);
        rows_24_31 = add_products_of_8_rows(rows_24_31, pair + 48, inputs);
    }
    _mm256_storeu_si256((__m256i *)sums, rows_0_7);
    _mm256_storeu_si256((__m256i *)(sums + 8), rows_8_15);
    _mm256_storeu_si256((__m256i *)(sums + 16), rows_16_23);
    _mm256_storeu_si256((__m256i *)(sums + 24), rows_24_31);
}

/* The block's sums with AVX-512: a column pair's 32 rows are two registers,
 * and two pairs a turn, each into sums of its own, keep four in flight. */
__attribute__((target("avx512f,avx512bw"))) static void block_sums_avx512(const int8_t *codes,
                                                                         const int16_t *input,
                                                                         int column_pairs,
                                                                         int32_t *sums)
{
    __m512i rows_0_15 = _mm512_setzero_si512(), rows_16_31 = _mm512_setzero_si512();
    __m512i odd_pairs_rows_0_15 = _mm512_setzero_si512();
    __m512i odd_pairs_rows_16_31 = _mm512_setzero_si512();
    int p = 0;
    for (; p + 1 < column_pairs; p += 2) {
        const __m512i inputs = _mm512_set1_epi32(pair_of_inputs(input, p));
        const __m512i next_inputs = _mm512_set1_epi32(pair_of_inputs(input, p + 1));
        const int8_t *pair = codes + (size_t)p * 2 * ROW_BLOCK;
        rows_0_15 = add_products_of_16_rows(rows_0_15, pair, inputs);
        rows_16_31 = add_products_of_16_rows(rows_16_31, pair + 32, inputs);
        odd_pairs_rows_0_15 = add_products_of_16_rows(odd_pairs_rows_0_15, pair + 64, next_inputs);
        odd_pairs_rows_16_31 =
            add_products_of_16_rows(odd_pairs_rows_16_31, pair + 96, next_inputs);
    }
    if (p < column_pairs) {
        const __m512i inputs = _mm512_set1_epi32(pair_of_inputs(input, p));
        const int8_t *pair = codes + (size_t)p * 2 * ROW_BLOCK;
        rows_0_15 = add_products_of_16_rows(rows_0_15, pair, inputs);
        rows_16_31 = add_products_of_16_rows(rows_16_31, pair + 32, inputs);
    }
    _mm512_storeu_si512(sums, _mm512_add_epi32(rows_0_15, odd_pairs_rows_0_15));
    _mm512_storeu_si512(sums + 16, _mm512_add_epi32(rows_16_31, odd_pairs_rows_16_31));
}
#endif

void pnl_quantized_product(const PnlQuantizedMatrix *matrix, const float *bias,
                           const int16_t *input, int first_row, int rows, float *out)
{
    int32_t sums[ROW_BLOCK];
    const size_t block_bytes = (size_t)matrix->column_pairs * 2 * ROW_BLOCK;
    for (int block = first_row; block < first_row + rows; block += ROW_BLOCK) {
        const int8_t *codes = matrix->codes + (size_t)(block / ROW_BLOCK) * block_bytes;
        switch (matrix->kernel) {
#ifdef PNL_HAVE_X86_KERNELS
        case PNL_KERNEL_AVX512:
            block_sums_avx512(codes, input, matrix->column_pairs, sums);
            break;
        case PNL_KERNEL_AVX2:
            block_sums_avx2(codes, input, matrix->column_pairs, sums);
            break;
        case PNL_KERNEL_SSE2:
            block_sums_sse2(codes, input, matrix->column_pairs, sums);
            break;
#endif
        default:
            block_sums_portable(codes, input, matrix->column_pairs, sums);
        }
        for (int k = 0; k < ROW_BLOCK; k++)
            out[block + k] = bias[block + k] + matrix->row_scales[block + k] * (float)sums[k];
    }
}
