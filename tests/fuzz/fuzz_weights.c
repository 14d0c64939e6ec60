/* Fuzz target: the weights loader (src/weights.h) and the network built from
 * what it accepts.
 *
 * Bytes -> pnl_weights_parse (the checks pnl_weights_load runs on a file's
 * bytes); whatever it accepts must be a consistent object (each tensor's
 * count its dims' product, composer names terminated), must encode back to
 * the same bytes, and, for the codec's own vocabulary, must build its
 * network, an LSTM or a transformer (float32 and int8), that steps a few
 * tokens to finite-or-not but in-bounds logits. The parse runs twice: with the codec's signature and vocabulary,
 * as the plugin loads, and with "accept any vocabulary", as inspecting
 * tools do.
 *
 * A mutated file almost never keeps its CRC-32, which would stop every input
 * at the checksum; so the bytes are parsed once as they are and once with
 * the last four bytes replaced by the CRC of the rest, which lets the
 * fuzzer reach every check after it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"
#include "model.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

static void check(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fuzz_weights: %s\n", what);
        abort();
    }
}

static void check_object(const PnlWeights *weights, const uint8_t *bytes, size_t size)
{
    uint32_t t, k;
    size_t encoded_size;
    uint8_t *encoded;
    for (t = 0; t < weights->tensor_count; t++) {
        const PnlTensor *tensor = &weights->tensors[t];
        size_t product = 1;
        int d;
        check(tensor->rank >= 1 && tensor->rank <= PNL_WEIGHTS_MAX_RANK, "a tensor has a bad rank");
        for (d = 0; d < tensor->rank; d++)
            product *= tensor->dims[d];
        check(product == tensor->count, "a tensor's count is not its dims' product");
        check(memchr(tensor->name, '\0', sizeof tensor->name) != NULL, "a tensor name is unterminated");
        /* Touch the first and last values: ASan reports a short buffer. */
        if (tensor->count) {
            volatile float first = tensor->data[0], last = tensor->data[tensor->count - 1];
            (void)first;
            (void)last;
        }
    }
    for (k = 0; k < weights->composer_count; k++) {
        check(memchr(weights->composer_names[k], '\0', PNL_WEIGHTS_NAME_BYTES + 1) != NULL,
              "a composer name is unterminated");
        check(weights->composer_openers[k] < weights->composer_count &&
                  weights->composer_openers[weights->composer_openers[k]] ==
                      weights->composer_openers[k],
              "a composer opens as a class out of range or one that borrows");
    }
    check((weights->choice_count != 0) == ((weights->flags & PNL_WEIGHTS_FLAG_CHOICES) != 0) &&
              weights->choice_count <= PNL_WEIGHTS_MAX_CHOICES &&
              weights->choice_count <= weights->composer_count,
          "the choice count disagrees with the flags or the limits");
    for (k = 0; k < weights->choice_count; k++) {
        const char *label = weights->choice_labels[k];
        check(weights->choice_classes[k] < weights->composer_count,
              "a choice names a composer out of range");
        check(memchr(label, '\0', PNL_WEIGHTS_LABEL_BYTES + 1) != NULL,
              "a choice's label is unterminated");
        check(pnl_weights_label_problem((const uint8_t *)label, strlen(label)) == NULL,
              "an accepted label fails the label check (not UTF-8 or a control character)");
    }
    encoded_size = pnl_weights_encode(weights, NULL, 0);
    check(encoded_size == size, "an accepted file encodes to another size");
    encoded = malloc(encoded_size);
    if (encoded) {
        check(pnl_weights_encode(weights, encoded, encoded_size) == encoded_size,
              "pnl_weights_encode wrote another size than it announced");
        check(memcmp(encoded, bytes, size) == 0, "an accepted file encodes to other bytes");
        free(encoded);
    }
}

/* Builds and steps the network at `precision` (the plugin composes with
 * int8, the programs default to float32). */
static void run_network(const PnlWeights *weights, PnlPrecision precision, const uint8_t *bytes,
                        size_t size)
{
    char message[512];
    PnlLstm *lstm = NULL;
    PnlLstmState *state;
    int vocab, composers, step;
    if (pnl_lstm_new_with_precision(weights, precision, &lstm, message, sizeof message) !=
        PNL_OK) {
        check(message[0] != '\0', "pnl_lstm_new failed without a message");
        return;
    }
    vocab = pnl_lstm_vocab_size(lstm);
    composers = pnl_lstm_composer_count(lstm);
    check(vocab > 0 && composers > 0, "a built network has no vocabulary or composers");
    state = pnl_lstm_state_new(lstm);
    if (state) {
        for (step = 0; step < 4; step++) {
            uint8_t seed = size ? bytes[(size_t)step * 7919u % size] : 0;
            const float *logits = pnl_lstm_step(lstm, state, seed % vocab, seed % composers);
            volatile float last = logits[vocab - 1];
            (void)last;
        }
        pnl_lstm_state_free(state);
    }
    pnl_lstm_free(lstm);
}

/* The same through the model interface, for a transformer: more steps than
 * a small window holds, a copy and a reset among them. */
static void run_model(const PnlWeights *weights, PnlPrecision precision, const uint8_t *bytes,
                      size_t size)
{
    char message[512];
    PnlModel *model = NULL;
    PnlModelState *state, *copy;
    int vocab, composers, step;
    if (pnl_model_new_with_precision(weights, precision, &model, message, sizeof message) !=
        PNL_OK) {
        check(message[0] != '\0', "pnl_model_new failed without a message");
        return;
    }
    vocab = pnl_model_vocab_size(model);
    composers = pnl_model_composer_count(model);
    check(vocab > 0 && composers > 0, "a built network has no vocabulary or composers");
    state = pnl_model_state_new(model);
    copy = pnl_model_state_new(model);
    if (state && copy) {
        for (step = 0; step < 12; step++) {
            uint8_t seed = size ? bytes[(size_t)step * 7919u % size] : 0;
            const float *logits = pnl_model_step(model, state, seed % vocab, seed % composers);
            volatile float last = logits[vocab - 1];
            (void)last;
            if (step == 6)
                pnl_model_state_copy(copy, state);
        }
        pnl_model_state_reset(copy);
        pnl_model_advance(model, copy, 0, 0);
    }
    pnl_model_state_free(state);
    pnl_model_state_free(copy);
    pnl_model_free(model);
}

static void parse_twice(const uint8_t *bytes, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    uint8_t *sealed;
    uint32_t crc;
    parse_twice(bytes, size);
    if (size < 4)
        return 0;
    sealed = malloc(size);
    if (!sealed)
        return 0;
    memcpy(sealed, bytes, size);
    crc = pnl_crc32(sealed, size - 4);
    sealed[size - 4] = (uint8_t)crc;
    sealed[size - 3] = (uint8_t)(crc >> 8);
    sealed[size - 2] = (uint8_t)(crc >> 16);
    sealed[size - 1] = (uint8_t)(crc >> 24);
    parse_twice(sealed, size);
    free(sealed);
    return 0;
}

static void parse_twice(const uint8_t *bytes, size_t size)
{
    char message[512];
    PnlWeights *weights = NULL;
    int status;

    message[0] = '\0';
    status = pnl_weights_parse(bytes, size, "fuzz.pnm", pnl_vocab_signature(), PNL_VOCAB_SIZE,
                               &weights, message, sizeof message);
    if (status == PNL_OK) {
        check(weights != NULL, "pnl_weights_parse succeeded without an object");
        check_object(weights, bytes, size);
        if (weights->architecture == PNL_ARCH_LSTM) {
            run_network(weights, PNL_PRECISION_FLOAT32, bytes, size);
            run_network(weights, PNL_PRECISION_INT8, bytes, size);
        } else if (weights->architecture == PNL_ARCH_TRANSFORMER) {
            run_model(weights, PNL_PRECISION_FLOAT32, bytes, size);
            run_model(weights, PNL_PRECISION_INT8, bytes, size);
        }
        pnl_weights_free(weights);
    } else {
        check(status < 0 && weights == NULL, "a refused file left an object or a positive status");
        check(message[0] != '\0', "pnl_weights_parse refused a file without a message");
    }

    weights = NULL;
    message[0] = '\0';
    status = pnl_weights_parse(bytes, size, "fuzz.pnm", pnl_vocab_signature(), 0, &weights,
                               message, sizeof message);
    if (status == PNL_OK) {
        check_object(weights, bytes, size);
        pnl_weights_free(weights);
    } else {
        check(weights == NULL && message[0] != '\0', "a refused file left an object or no message");
    }
}
