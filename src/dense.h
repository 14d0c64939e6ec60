/* What the LSTM (src/lstm.c) and the transformer (src/transformer.c) share
 * for float32 arithmetic: zeroed, 64-byte aligned buffers, and the
 * matrix-vector product over row blocks of PNL_QUANTIZED_ROW_BLOCK rows
 * packed column by column. */
#ifndef PIANOLA_DENSE_H
#define PIANOLA_DENSE_H

#include <stddef.h>

/* The portable build is SSE2 only; on x86-64 a loop so marked is also
 * compiled for AVX2 and the loader picks it on CPUs that have it (an
 * ifunc). Both clones compute the same sums in the same order, so they
 * give the same bits: only the speed differs. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* `value` rounded up to a multiple of `multiple`. */
int pnl_dense_round_up(int value, int multiple);

/* `count` zeroed floats, 64-byte aligned (free()); NULL when out of memory. */
float *pnl_dense_alloc_floats(size_t count);

/* out[r] = bias[r] + sum_j matrix[r][j] input[j] for rows_padded rows (a
 * multiple of the row block), summed in column order. */
void pnl_dense_matvec(const float *restrict packed, const float *restrict bias,
                      const float *restrict input, int columns, int rows_padded,
                      float *restrict out);

#endif
