/* The float32 pieces both networks share (src/dense.h). */
#include "dense.h"

#include <stdlib.h>
#include <string.h>

#include "quantized.h"

enum { ROW_BLOCK = PNL_QUANTIZED_ROW_BLOCK, ALIGN_BYTES = 64 };

int pnl_dense_round_up(int value, int multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

float *pnl_dense_alloc_floats(size_t count)
{
    size_t bytes = (count * sizeof(float) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
    float *memory = aligned_alloc(ALIGN_BYTES, bytes ? bytes : ALIGN_BYTES);
    if (memory)
        memset(memory, 0, bytes ? bytes : ALIGN_BYTES);
    return memory;
}

/* The clones stay static, behind the plain pnl_dense_matvec below: clang
 * resolves a target_clones function through an ifunc that only callers in
 * this file see, so the networks in other files could not link to it. */
VECTOR_CLONES static void matvec_blocked(const float *restrict packed, const float *restrict bias,
                                         const float *restrict input, int columns,
                                         int rows_padded, float *restrict out)
{
    for (int block = 0; block < rows_padded; block += ROW_BLOCK) {
        float sums[ROW_BLOCK];
        for (int k = 0; k < ROW_BLOCK; k++)
            sums[k] = bias[block + k];
        const float *weights = packed + (size_t)block * (size_t)columns;
        for (int j = 0; j < columns; j++) {
            const float value = input[j];
            const float *column = weights + (size_t)j * ROW_BLOCK;
            for (int k = 0; k < ROW_BLOCK; k++)
                sums[k] += column[k] * value;
        }
        for (int k = 0; k < ROW_BLOCK; k++)
            out[block + k] = sums[k];
    }
}

void pnl_dense_matvec(const float *restrict packed, const float *restrict bias,
                      const float *restrict input, int columns, int rows_padded,
                      float *restrict out)
{
    matvec_blocked(packed, bias, input, columns, rows_padded, out);
}
