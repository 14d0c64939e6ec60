/* A next-token network behind one interface, whatever its architecture.
 *
 * The generator, pianola-score and the plugin's worker talk to a PnlModel:
 * load a weights file (checked against the running codec), then step a
 * PnlModelState token by token and read the logits. The file says which
 * engine runs it: the LSTM (src/lstm.c) or the transformer
 * (src/transformer.c), a case each in the switches of model.c; nothing
 * outside it tells them apart. A model is read-only after loading, so
 * instances may share one; each owns its states. */
#ifndef PIANOLA_MODEL_H
#define PIANOLA_MODEL_H

#include "weights.h"

#include <stddef.h>
#include <stdint.h>

typedef struct PnlModel PnlModel;
typedef struct PnlModelState PnlModelState;

/* Loads and checks `path` against the codec's signature and vocabulary size;
 * on failure *out is NULL and message says "path: what is wrong". */
int pnl_model_load(const char *path, uint64_t expected_signature, uint32_t expected_vocab_size,
                   PnlModel **out, char *message, size_t message_size);
/* Builds a model from weights already in memory (the caller keeps them). */
int pnl_model_new(const PnlWeights *weights, PnlModel **out, char *message,
                  size_t message_size);
/* The same two with the big matrices held at `precision` (weights.h);
 * the ones above are PNL_PRECISION_FLOAT32, PyTorch's logits. */
int pnl_model_load_with_precision(const char *path, uint64_t expected_signature,
                                  uint32_t expected_vocab_size, PnlPrecision precision,
                                  PnlModel **out, char *message, size_t message_size);
int pnl_model_new_with_precision(const PnlWeights *weights, PnlPrecision precision,
                                 PnlModel **out, char *message, size_t message_size);
void pnl_model_free(PnlModel *model);

uint32_t pnl_model_architecture(const PnlModel *model);
int pnl_model_vocab_size(const PnlModel *model);
int pnl_model_composer_count(const PnlModel *model);
/* 1 if the network composes in C major / A minor (PNL_WEIGHTS_FLAG_KEY_FRAME):
 * music goes in moved to that frame and comes out moved back (src/key.h). */
int pnl_model_key_frame(const PnlModel *model);
const char *pnl_model_composer_name(const PnlModel *model, int composer);
/* The index of the composer called `name`, or -1. */
int pnl_model_find_composer(const PnlModel *model, const char *name);
/* The vocabulary class whose COMPOSER_ token opens the composer's pieces:
 * its own name, or for a composer added in training the one it borrows
 * (docs/weights-format.md); NULL out of range. */
const char *pnl_model_composer_opener(const PnlModel *model, int composer);

/* The composers a person chooses from, in menu order: the plugin's
 * Composer port is an index into them. A file that declares none offers
 * the built-in ones (src/composers.h), whichever of them it has. Each
 * choice is a composer name (which a file without choices may lack) and
 * a display name (UTF-8). NULL out of range. */
int pnl_model_choice_count(const PnlModel *model);
const char *pnl_model_choice_name(const PnlModel *model, int choice);
const char *pnl_model_choice_label(const PnlModel *model, int choice);
/* The choice whose composer name is `name`, else whose display name is
 * (ASCII letters in any case), else -1. */
int pnl_model_find_choice(const PnlModel *model, const char *name);

/* Cost of one step, for benchmarks: FLOPs and bytes of weights read (a
 * transformer's FLOPs at a full window). */
double pnl_model_flops_per_step(const PnlModel *model);
double pnl_model_weight_bytes_per_step(const PnlModel *model);
/* The same with `filled` tokens in a transformer's window, and the bytes of
 * its cache a step reads (0 for the LSTM, whose state is a few vectors). */
double pnl_model_flops_per_step_at(const PnlModel *model, int filled);
double pnl_model_state_bytes_per_step_at(const PnlModel *model, int filled);
/* A transformer's window in tokens; 0 for a recurrent network. */
int pnl_model_context_length(const PnlModel *model);
/* The memory one PnlModelState holds, for callers that keep many (the
 * engine's snapshots). */
size_t pnl_model_state_bytes(const PnlModel *model);

/* The recurrent state of one sequence: allocated here once, never after. */
PnlModelState *pnl_model_state_new(const PnlModel *model);
void pnl_model_state_free(PnlModelState *state);
/* Back to the start of a sequence. */
void pnl_model_state_reset(PnlModelState *state);
/* Makes `to` continue exactly where `from` is (same model). */
void pnl_model_state_copy(PnlModelState *to, const PnlModelState *from);
/* The density step a player asked for, heard `guidance` times as clearly
 * as a density-conditioned LSTM learned it (pnl_lstm_state_ask_density);
 * -1 for none. Other networks ignore it. */
void pnl_model_state_ask_density(PnlModelState *state, int step, float guidance);
/* Tokens in a transformer's window now (0 for the LSTM). */
int pnl_model_state_filled(const PnlModelState *state);

/* Feeds one token; returns vocab_size logits for the next, valid until the
 * next step on this state. Allocation-free, fixed work. The caller keeps
 * token and composer in range. */
const float *pnl_model_step(const PnlModel *model, PnlModelState *state, int token,
                            int composer);

/* As pnl_model_step, computing only the logits of `allowed` tokens
 * (vocab_size flags, 1 = wanted), bit for bit the same; the others are
 * stale. The generator passes the grammar's mask. */
const float *pnl_model_step_allowed(const PnlModel *model, PnlModelState *state, int token,
                                    int composer, const uint8_t *allowed);

/* Feeds one token without computing logits (priming): the state moves on
 * exactly as with pnl_model_step. */
void pnl_model_advance(const PnlModel *model, PnlModelState *state, int token, int composer);

#endif
