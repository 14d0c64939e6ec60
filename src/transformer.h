/* The transformer that predicts Pianola's next token, run one token at a
 * time with a key-value cache (architecture 2 of docs/weights-format.md;
 * train/transformer.py is its PyTorch twin).
 *
 * Pre-norm blocks of causal self-attention and a GELU MLP over the sum of
 * the token's and the composer's embeddings; positions enter only as ALiBi's
 * bias, -slope_h x distance. Each token attends to itself and the
 * context - 1 tokens before it: a sliding window. The cache is a ring of
 * `context` slots per layer, allocated with the state; once full, each new
 * token's keys and values overwrite the oldest slot. Since a score depends
 * on the distance alone, nothing cached is ever recomputed, and the logits
 * are exactly those of PyTorch's banded mask over the whole sequence.
 *
 * Building one (pnl_transformer_new) repacks the matrices into the row
 * blocks every product here streams through (same sums in the same order at
 * any vector width, as in src/lstm.c), so a model gives the same bits on
 * every x86-64 machine. Keys are cached dimension-major, so a head's scores
 * over the window are multiply-adds along the slots, which vectorise
 * without reordering any sum; values are slot-major, for the same reason.
 *
 * The model is read-only after building and may be shared; a state holds
 * the cache and all scratch, allocated once. A step allocates nothing; its
 * work grows with the filled part of the window and is bounded by the full
 * one. With PNL_PRECISION_INT8 the matrices are 8-bit codes with a scale
 * per row (src/quantized.c); each input vector is scaled by its largest
 * magnitude into [-1, 1] first (activations here are not bounded as an
 * LSTM's are), embeddings, norms, biases and attention stay float32. */
#ifndef PIANOLA_TRANSFORMER_H
#define PIANOLA_TRANSFORMER_H

#include "weights.h"

#include <stddef.h>
#include <stdint.h>

typedef struct PnlTransformer PnlTransformer;
typedef struct PnlTransformerState PnlTransformerState;

/* Builds the network from checked weights (architecture
 * PNL_ARCH_TRANSFORMER) with its matrices at `precision`. */
int pnl_transformer_new(const PnlWeights *weights, PnlPrecision precision,
                        PnlTransformer **out, char *message, size_t message_size);
void pnl_transformer_free(PnlTransformer *transformer);

int pnl_transformer_context_length(const PnlTransformer *transformer);

/* An empty window. NULL when out of memory. */
PnlTransformerState *pnl_transformer_state_new(const PnlTransformer *transformer);
void pnl_transformer_state_free(PnlTransformerState *state);
void pnl_transformer_state_reset(PnlTransformerState *state);
/* Copies the position and the filled part of the cache. */
void pnl_transformer_state_copy(PnlTransformerState *to, const PnlTransformerState *from);
/* Bytes a state holds (the cache and its scratch). */
size_t pnl_transformer_state_bytes(const PnlTransformer *transformer);
/* Tokens in the window now: min(tokens fed, context). */
int pnl_transformer_state_filled(const PnlTransformerState *state);

/* Feeds `token` under `composer` and returns the vocab_size logits for the
 * next token, valid until the next step on this state; with `allowed`
 * (vocab_size flags) only the row blocks holding an allowed token are
 * computed, bit for bit as without. The caller keeps token and composer in
 * range. */
const float *pnl_transformer_step(const PnlTransformer *transformer,
                                  PnlTransformerState *state, int token, int composer,
                                  const uint8_t *allowed);
/* The same step without the output layer (priming). */
void pnl_transformer_advance(const PnlTransformer *transformer, PnlTransformerState *state,
                             int token, int composer);

/* What one step costs with `filled` tokens in the window after it (1 ..
 * context): floating-point operations, bytes of weights and tables read,
 * and bytes of cache read. */
double pnl_transformer_flops_per_step(const PnlTransformer *transformer, int filled);
double pnl_transformer_weight_bytes_per_step(const PnlTransformer *transformer);
double pnl_transformer_cache_bytes_per_step(const PnlTransformer *transformer, int filled);

#endif
