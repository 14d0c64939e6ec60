/* The architecture switch behind model.h (one case per engine), and the
 * composers a model offers. */
#include "model.h"

#include "composers.h"
#include "lstm.h"
#include "status.h"
#include "transformer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct PnlModel {
    uint32_t architecture;
    int vocab_size;
    int composer_count;
    int key_frame;
    char (*composer_names)[PNL_WEIGHTS_NAME_BYTES + 1];
    uint32_t *composer_openers;
    /* The choices: the file's own, or the built-in ones (composers.h) for
     * a file without them, each a class name (which the model may lack)
     * and a label. */
    int choice_count;
    char choice_names[PNL_WEIGHTS_MAX_CHOICES][PNL_WEIGHTS_NAME_BYTES + 1];
    char choice_labels[PNL_WEIGHTS_MAX_CHOICES][PNL_WEIGHTS_LABEL_BYTES + 1];
    PnlLstm *lstm;
    PnlTransformer *transformer;
};

static const char *const builtin_names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};
static const char *const builtin_labels[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)};

static void copy_choices(PnlModel *model, const PnlWeights *weights)
{
    if (weights->choice_count) {
        model->choice_count = (int)weights->choice_count;
        for (uint32_t c = 0; c < weights->choice_count; c++) {
            memcpy(model->choice_names[c], weights->composer_names[weights->choice_classes[c]],
                   sizeof model->choice_names[c]);
            memcpy(model->choice_labels[c], weights->choice_labels[c],
                   sizeof model->choice_labels[c]);
        }
        return;
    }
    model->choice_count = PNL_COMPOSER_CHOICE_COUNT;
    for (int c = 0; c < PNL_COMPOSER_CHOICE_COUNT; c++) {
        snprintf(model->choice_names[c], sizeof model->choice_names[c], "%s", builtin_names[c]);
        snprintf(model->choice_labels[c], sizeof model->choice_labels[c], "%s",
                 builtin_labels[c]);
    }
}

struct PnlModelState {
    const PnlModel *model;
    PnlLstmState *lstm;
    PnlTransformerState *transformer;
};

int pnl_model_new(const PnlWeights *weights, PnlModel **out, char *message, size_t message_size)
{
    return pnl_model_new_with_precision(weights, PNL_PRECISION_FLOAT32, out, message,
                                        message_size);
}

int pnl_model_new_with_precision(const PnlWeights *weights, PnlPrecision precision,
                                 PnlModel **out, char *message, size_t message_size)
{
    *out = NULL;
    PnlModel *model = calloc(1, sizeof *model);
    if (!model) {
        snprintf(message, message_size, "out of memory building the model");
        return PNL_ENOMEM;
    }
    model->architecture = weights->architecture;
    model->vocab_size = (int)weights->vocab_size;
    model->composer_count = (int)weights->composer_count;
    model->key_frame = (weights->flags & PNL_WEIGHTS_FLAG_KEY_FRAME) != 0;
    model->composer_names = calloc(weights->composer_count, sizeof *model->composer_names);
    model->composer_openers = calloc(weights->composer_count, sizeof *model->composer_openers);
    if (!model->composer_names || !model->composer_openers) {
        pnl_model_free(model);
        snprintf(message, message_size, "out of memory building the model");
        return PNL_ENOMEM;
    }
    memcpy(model->composer_names, weights->composer_names,
           weights->composer_count * sizeof *model->composer_names);
    memcpy(model->composer_openers, weights->composer_openers,
           weights->composer_count * sizeof *model->composer_openers);
    copy_choices(model, weights);
    int status;
    switch (weights->architecture) {
    case PNL_ARCH_LSTM:
        status = pnl_lstm_new_with_precision(weights, precision, &model->lstm, message,
                                             message_size);
        break;
    case PNL_ARCH_TRANSFORMER:
        status = pnl_transformer_new(weights, precision, &model->transformer, message,
                                     message_size);
        break;
    default:
        snprintf(message, message_size, "no engine for architecture %u", weights->architecture);
        status = PNL_EMISMATCH;
        break;
    }
    if (status != PNL_OK) {
        pnl_model_free(model);
        return status;
    }
    *out = model;
    return PNL_OK;
}

int pnl_model_load(const char *path, uint64_t expected_signature, uint32_t expected_vocab_size,
                   PnlModel **out, char *message, size_t message_size)
{
    return pnl_model_load_with_precision(path, expected_signature, expected_vocab_size,
                                         PNL_PRECISION_FLOAT32, out, message, message_size);
}

int pnl_model_load_with_precision(const char *path, uint64_t expected_signature,
                                  uint32_t expected_vocab_size, PnlPrecision precision,
                                  PnlModel **out, char *message, size_t message_size)
{
    PnlWeights *weights;
    *out = NULL;
    int status = pnl_weights_load(path, expected_signature, expected_vocab_size, &weights,
                                  message, message_size);
    if (status != PNL_OK)
        return status;
    char reason[256];
    status = pnl_model_new_with_precision(weights, precision, out, reason, sizeof reason);
    if (status != PNL_OK)
        snprintf(message, message_size, "%s: %s", path, reason);
    pnl_weights_free(weights);
    return status;
}

void pnl_model_free(PnlModel *model)
{
    if (!model)
        return;
    pnl_lstm_free(model->lstm);
    pnl_transformer_free(model->transformer);
    free(model->composer_names);
    free(model->composer_openers);
    free(model);
}

uint32_t pnl_model_architecture(const PnlModel *model)
{
    return model->architecture;
}

int pnl_model_vocab_size(const PnlModel *model)
{
    return model->vocab_size;
}

int pnl_model_key_frame(const PnlModel *model)
{
    return model->key_frame;
}

int pnl_model_composer_count(const PnlModel *model)
{
    return model->composer_count;
}

const char *pnl_model_composer_name(const PnlModel *model, int composer)
{
    if (composer < 0 || composer >= model->composer_count)
        return NULL;
    return model->composer_names[composer];
}

int pnl_model_find_composer(const PnlModel *model, const char *name)
{
    for (int k = 0; k < model->composer_count; k++)
        if (strcmp(model->composer_names[k], name) == 0)
            return k;
    return -1;
}

const char *pnl_model_composer_opener(const PnlModel *model, int composer)
{
    if (composer < 0 || composer >= model->composer_count)
        return NULL;
    return model->composer_names[model->composer_openers[composer]];
}

int pnl_model_choice_count(const PnlModel *model)
{
    return model->choice_count;
}

const char *pnl_model_choice_name(const PnlModel *model, int choice)
{
    return choice >= 0 && choice < model->choice_count ? model->choice_names[choice] : NULL;
}

const char *pnl_model_choice_label(const PnlModel *model, int choice)
{
    return choice >= 0 && choice < model->choice_count ? model->choice_labels[choice] : NULL;
}

/* ASCII letters compare without case: "satie" finds the label "Satie". */
static int same_words(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

int pnl_model_find_choice(const PnlModel *model, const char *name)
{
    for (int c = 0; c < model->choice_count; c++)
        if (!strcmp(model->choice_names[c], name))
            return c;
    for (int c = 0; c < model->choice_count; c++)
        if (same_words(model->choice_labels[c], name))
            return c;
    return -1;
}

double pnl_model_flops_per_step(const PnlModel *model)
{
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        return pnl_lstm_flops_per_step(model->lstm);
    case PNL_ARCH_TRANSFORMER:
        return pnl_transformer_flops_per_step(model->transformer,
                                              pnl_transformer_context_length(model->transformer));
    default:
        return 0;
    }
}

double pnl_model_flops_per_step_at(const PnlModel *model, int filled)
{
    if (model->architecture == PNL_ARCH_TRANSFORMER)
        return pnl_transformer_flops_per_step(model->transformer, filled);
    return pnl_model_flops_per_step(model);
}

double pnl_model_state_bytes_per_step_at(const PnlModel *model, int filled)
{
    if (model->architecture == PNL_ARCH_TRANSFORMER)
        return pnl_transformer_cache_bytes_per_step(model->transformer, filled);
    return 0;
}

int pnl_model_context_length(const PnlModel *model)
{
    if (model->architecture == PNL_ARCH_TRANSFORMER)
        return pnl_transformer_context_length(model->transformer);
    return 0;
}

size_t pnl_model_state_bytes(const PnlModel *model)
{
    if (model->architecture == PNL_ARCH_TRANSFORMER)
        return sizeof(PnlModelState) + pnl_transformer_state_bytes(model->transformer);
    /* The LSTM's: h, c and their codes, gate and logit scratch (lstm.c). */
    return sizeof(PnlModelState) + pnl_lstm_state_bytes(model->lstm);
}

int pnl_model_state_filled(const PnlModelState *state)
{
    if (state->model->architecture == PNL_ARCH_TRANSFORMER)
        return pnl_transformer_state_filled(state->transformer);
    return 0;
}

double pnl_model_weight_bytes_per_step(const PnlModel *model)
{
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        return pnl_lstm_weight_bytes_per_step(model->lstm);
    case PNL_ARCH_TRANSFORMER:
        return pnl_transformer_weight_bytes_per_step(model->transformer);
    default:
        return 0;
    }
}

PnlModelState *pnl_model_state_new(const PnlModel *model)
{
    PnlModelState *state = calloc(1, sizeof *state);
    if (!state)
        return NULL;
    state->model = model;
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        state->lstm = pnl_lstm_state_new(model->lstm);
        if (!state->lstm) {
            free(state);
            return NULL;
        }
        break;
    case PNL_ARCH_TRANSFORMER:
        state->transformer = pnl_transformer_state_new(model->transformer);
        if (!state->transformer) {
            free(state);
            return NULL;
        }
        break;
    default:
        free(state);
        return NULL;
    }
    return state;
}

void pnl_model_state_free(PnlModelState *state)
{
    if (!state)
        return;
    pnl_lstm_state_free(state->lstm);
    pnl_transformer_state_free(state->transformer);
    free(state);
}

void pnl_model_state_reset(PnlModelState *state)
{
    switch (state->model->architecture) {
    case PNL_ARCH_LSTM:
        pnl_lstm_state_reset(state->lstm);
        break;
    case PNL_ARCH_TRANSFORMER:
        pnl_transformer_state_reset(state->transformer);
        break;
    default:
        break;
    }
}

void pnl_model_state_ask_density(PnlModelState *state, int step, float guidance)
{
    if (state->model->architecture == PNL_ARCH_LSTM)
        pnl_lstm_state_ask_density(state->lstm, step, guidance);
}

void pnl_model_state_copy(PnlModelState *to, const PnlModelState *from)
{
    switch (from->model->architecture) {
    case PNL_ARCH_LSTM:
        pnl_lstm_state_copy(to->lstm, from->lstm);
        break;
    case PNL_ARCH_TRANSFORMER:
        pnl_transformer_state_copy(to->transformer, from->transformer);
        break;
    default:
        break;
    }
}

const float *pnl_model_step(const PnlModel *model, PnlModelState *state, int token,
                            int composer)
{
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        return pnl_lstm_step(model->lstm, state->lstm, token, composer);
    case PNL_ARCH_TRANSFORMER:
        return pnl_transformer_step(model->transformer, state->transformer, token, composer,
                                    NULL);
    default:
        return NULL;
    }
}

void pnl_model_advance(const PnlModel *model, PnlModelState *state, int token, int composer)
{
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        pnl_lstm_advance(model->lstm, state->lstm, token, composer);
        break;
    case PNL_ARCH_TRANSFORMER:
        pnl_transformer_advance(model->transformer, state->transformer, token, composer);
        break;
    default:
        break;
    }
}

const float *pnl_model_step_allowed(const PnlModel *model, PnlModelState *state, int token,
                                    int composer, const uint8_t *allowed)
{
    switch (model->architecture) {
    case PNL_ARCH_LSTM:
        return pnl_lstm_step_allowed(model->lstm, state->lstm, token, composer, allowed);
    case PNL_ARCH_TRANSFORMER:
        return pnl_transformer_step(model->transformer, state->transformer, token, composer,
                                    allowed);
    default:
        return NULL;
    }
}
