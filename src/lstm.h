/* The LSTM that predicts Pianola's next token, run one token at a time.
 *
 * Building one (pnl_lstm_new) repacks the PyTorch tensors of a weights file
 * into the layout the step streams through: each layer's [W_ih | W_hh] fused
 * into one matrix over [input | h], its two biases summed, rows interleaved in
 * blocks so the inner loop is a plain multiply-add over a block of gate rows
 * (vectorised by the compiler at -O2, and the same sums, in the same order,
 * at any vector width). The first layer's input weights are folded into
 * per-token and per-composer tables (W_ih . embedding), so a step reads one
 * row of each instead of the whole W_ih.
 *
 * The model is read-only after building and may be shared; all mutable data
 * (h, c, gate scratch, logits) is in a PnlLstmState, allocated once.
 * pnl_lstm_step allocates nothing and does a fixed amount of work. */
#ifndef PIANOLA_LSTM_H
#define PIANOLA_LSTM_H

#include "weights.h"

#include <stddef.h>
#include <stdint.h>

typedef struct PnlLstm PnlLstm;
typedef struct PnlLstmState PnlLstmState;

/* Builds the network from checked weights (architecture PNL_ARCH_LSTM),
 * float32 throughout: PyTorch's logits within rounding. */
int pnl_lstm_new(const PnlWeights *weights, PnlLstm **out, char *message, size_t message_size);
/* The same with the matrices held at `precision`. */
int pnl_lstm_new_with_precision(const PnlWeights *weights, PnlPrecision precision, PnlLstm **out,
                                char *message, size_t message_size);
void pnl_lstm_free(PnlLstm *lstm);

int pnl_lstm_vocab_size(const PnlLstm *lstm);
int pnl_lstm_composer_count(const PnlLstm *lstm);

/* A zeroed state (h = c = 0, as PyTorch starts a sequence). NULL when out
 * of memory. */
PnlLstmState *pnl_lstm_state_new(const PnlLstm *lstm);
void pnl_lstm_state_free(PnlLstmState *state);
void pnl_lstm_state_reset(PnlLstmState *state);
/* Copies h and c (not scratch) between states of the same network. */
void pnl_lstm_state_copy(PnlLstmState *to, const PnlLstmState *from);
/* The density step a player asked for (0..PNL_DENSITY_COUNT - 1; -1 or a
 * guidance that is not positive: none). While that step is in force, a
 * density-conditioned network hears its row `guidance` times as far from
 * the mean of the steps' rows as it learned it (1: as learned); every other
 * row, and a network without the conditioning, is as trained. The state
 * keeps it through resets and copies. */
void pnl_lstm_state_ask_density(PnlLstmState *state, int step, float guidance);
/* Bytes a state holds (h, c, their codes and the step's scratch). */
size_t pnl_lstm_state_bytes(const PnlLstm *lstm);

/* Feeds `token` under `composer` and returns the vocab_size logits for the
 * next token, valid until the next step on this state. The caller guarantees
 * 0 <= token < vocab_size and 0 <= composer < composer_count. */
const float *pnl_lstm_step(const PnlLstm *lstm, PnlLstmState *state, int token, int composer);

/* The same, computing the logits of `allowed` tokens (vocab_size flags)
 * only, bit for bit as pnl_lstm_step does; the others are left stale. */
const float *pnl_lstm_step_allowed(const PnlLstm *lstm, PnlLstmState *state, int token,
                                   int composer, const uint8_t *allowed);

/* The same step without the output layer: for tokens whose prediction
 * nobody reads (priming with a prompt), about a tenth cheaper. */
void pnl_lstm_advance(const PnlLstm *lstm, PnlLstmState *state, int token, int composer);

/* What one step costs, for the roofline: floating-point operations and the
 * bytes of weights and tables it reads. */
double pnl_lstm_flops_per_step(const PnlLstm *lstm);
double pnl_lstm_weight_bytes_per_step(const PnlLstm *lstm);

#endif
