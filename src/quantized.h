/* The int8 matrix-vector product of the reduced-precision network
 * (PNL_PRECISION_INT8): 8-bit weights with a scale per row, times 16-bit
 * activations with one power-of-two scale, summed exactly in 32-bit
 * integers and scaled to float once per row.
 *
 * Integer sums do not depend on their order, so every kernel (portable C,
 * SSE2, AVX2, AVX-512) and every way of splitting a product gives the same bits; the
 * activation scale is chosen so no sum can overflow. The LSTM's activations
 * (h) lie in [-1, 1], which is what the codes are made for. Internal to
 * src/ (src/lstm.c); the tests drive it directly. */
#ifndef PIANOLA_QUANTIZED_H
#define PIANOLA_QUANTIZED_H

#include <stddef.h>
#include <stdint.h>

/* Output rows per block; the float packing in src/lstm.c uses the same. */
enum { PNL_QUANTIZED_ROW_BLOCK = 32 };

typedef enum {
    PNL_KERNEL_PORTABLE = 0, /* plain C, any machine */
    PNL_KERNEL_SSE2 = 1,     /* any x86-64: 8 products per instruction */
    PNL_KERNEL_AVX2 = 2,     /* x86-64 with AVX2: 16 */
    PNL_KERNEL_AVX512 = 3,   /* x86-64 with AVX-512 F and BW: 32 */
    PNL_KERNEL_COUNT = 4
} PnlQuantizedKernel;

/* A matrix as blocks of PNL_QUANTIZED_ROW_BLOCK rows; within a block, column
 * pair p (columns 2p and 2p + 1) holds each row's two codes side by side,
 * which is the order a 16-bit pairwise multiply-add reads them in. An odd
 * column count is padded with a zero column. */
typedef struct {
    int rows_padded, column_pairs;
    int8_t *codes;
    float *row_scales; /* per row: its weight scale over the activation scale */
    PnlQuantizedKernel kernel;
} PnlQuantizedMatrix;

/* The activation scale for vectors of up to `columns` values in [-1, 1]:
 * the largest power of two up to 2^14 with which columns x 127 x scale
 * stays within int32, so no sum can overflow. */
float pnl_quantized_activation_scale(int columns);

/* Whether this CPU (and this build) runs `kernel`. */
int pnl_quantized_kernel_available(PnlQuantizedKernel kernel);
/* "portable", "sse2", "avx2" or "avx512". */
const char *pnl_quantized_kernel_name(PnlQuantizedKernel kernel);
/* The fastest kernel this CPU runs, unless PIANOLA_INT8_KERNEL names
 * another one it runs (a diagnostic: every kernel gives the same bits). */
PnlQuantizedKernel pnl_quantized_best_kernel(void);

/* Quantizes a float matrix packed as src/lstm.c packs it (blocks of
 * PNL_QUANTIZED_ROW_BLOCK rows, column j's block weights contiguous):
 * symmetric per row, the row's largest magnitude maps to 127, rounded to
 * nearest. PNL_OK or PNL_ENOMEM. */
int pnl_quantized_matrix_new(PnlQuantizedMatrix *matrix, const float *packed, int columns,
                             int rows_padded, float activation_scale);
void pnl_quantized_matrix_free(PnlQuantizedMatrix *matrix);

/* Codes of `count` activations (clamped to [-1, 1]; NaN counts as 0) at
 * `activation_scale`, rounded to nearest, ties to even. */
void pnl_quantize_activations(const float *values, int count, float activation_scale,
                              int16_t *codes);

/* out[r] = bias[r] + row_scales[r] x sum_j codes[r][j] input[j], for the
 * `rows` rows (a multiple of the block) from `first_row` (a multiple of the
 * block). `input` holds column_pairs x 2 codes; a padding column's code is
 * read but weighs nothing. */
void pnl_quantized_product(const PnlQuantizedMatrix *matrix, const float *bias,
                           const int16_t *input, int first_row, int rows, float *out);

#endif
