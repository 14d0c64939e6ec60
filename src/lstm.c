/* One LSTM step in plain C, written for one core (see lstm.h for the layout).
 *
 * PyTorch's cell, for gate rows in the order i, f, g, o:
 *   gates = W_ih x + b_ih + W_hh h + b_hh
 *   c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = sigmoid(o) tanh(c')
 * and logits = W_out h_top + b_out.
 *
 * Every matrix-vector product goes through pnl_dense_matvec(): the matrix is
 * stored as blocks of ROW_BLOCK output rows, and within a block column j's
 * ROW_BLOCK weights are contiguous. The inner loop multiplies them by one
 * input value and adds into ROW_BLOCK accumulators: no reduction across
 * lanes, so the compiler vectorises it without reassociating sums, and each
 * output is summed in the same order (bias, then j = 0, 1, ...) whatever the
 * vector width. Together with no fused multiply-adds and an exp of Pianola's
 * own (portable_math.h), a model gives the same logits, bit for bit, from a
 * portable -O2 build, a -march=native one or clang's, and generation with a
 * seed is the same on every x86-64 machine (tests/test_lstm.c pins it).
 *
 * With PNL_PRECISION_INT8 the matrices are held as 8-bit codes with a scale
 * per row and h as 16-bit codes, multiplied in exact integer sums
 * (quantized.c); tables, biases and the cell stay float32. */
#include "lstm.h"

#include "portable_math.h" /* also keeps clang from fusing a*b+c here */
#include "dense.h"
#include "quantized.h"
#include "status.h"
#include "vocabulary.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per block: 32 accumulators are 8 SSE registers or 4 AVX ones, enough
 * independent sums to hide the add latency (16 measured the same). The int8
 * product blocks its rows the same way. */
enum { ROW_BLOCK = PNL_QUANTIZED_ROW_BLOCK };

/* A matrix packed in row blocks: float32 weights, or int8 codes
 * (PNL_PRECISION_INT8, when `quantized` is set). */
typedef struct {
    float *weights;
    int quantized;
    PnlQuantizedMatrix codes;
} Packed;

typedef struct {
    int input_size;    /* columns of W_ih in the file: E for layer 0, H above */
    int columns;       /* columns in the packed matrix: H for layer 0, 2H above */
    Packed matrix;     /* blocks over [input | h] (layer 0: h only) */
    float *bias;       /* b_ih + b_hh, 4H; layer 0 keeps it in composer_table */
} Layer;

struct PnlLstm {
    int vocab_size, composer_count, embedding_size, hidden_size, layer_count;
    PnlPrecision precision;
    float activation_scale; /* int8: h's codes are h x this */
    int gate_rows;       /* 4H, padded to ROW_BLOCK */
    int output_rows;     /* V, padded to ROW_BLOCK */
    float *token_table;    /* V x gate_rows: W_ih0 . token_embedding[v] */
    float *composer_table; /* K x gate_rows: W_ih0 . composer_embedding[k] + b_ih0 + b_hh0 */
    /* A density-conditioned network's (PNL_WEIGHTS_FLAG_DENSITY), else NULL:
     * (PNL_DENSITY_COUNT + 2) x gate_rows, W_ih0 . density_embedding[d] for
     * d = 0..PNL_DENSITY_COUNT, then the mean of the steps' rows (1..COUNT),
     * from which an asked step is heard more clearly (pnl_lstm_state_ask_density). */
    float *density_table;
    /* A parts-conditioned network's (PNL_WEIGHTS_FLAG_PARTS), else NULL:
     * PNL_PART_TOKEN_COUNT x gate_rows, W_ih0 . part_embedding[r]. */
    float *part_table;
    Layer layers[PNL_WEIGHTS_MAX_LAYERS];
    Packed output;         /* blocks over h_top */
    float *output_bias;    /* output_rows */
};

struct PnlLstmState {
    const PnlLstm *lstm;
    /* h of every layer, contiguous, so [h_{l-1} | h_l] is one input vector. */
    float *hidden;
    int16_t *hidden_codes; /* int8: hidden as codes, laid out alike */
    float *cell;
    float *gates;  /* gate_rows pre-activations */
    float *layer0_bias; /* gate_rows: this step's token and composer rows summed */
    float *logits; /* output_rows */
    /* The density row in force: 0 before any DENSITY token, else 1 + the
     * step of the last one fed. */
    int density_row;
    /* The row of the step a player asked for (0: none), heard `guidance`
     * times as far from the steps' mean as the network learned it. */
    int asked_density_row;
    float density_guidance;
    /* Bit r set once role r's PART token has been read (a parts-conditioned
     * network's), and those roles' part_table rows summed, in role order. */
    unsigned parts_heard;
    float *parts_sum; /* gate_rows, or NULL */
};

/* The cell's loops vectorise only with their body inlined. */
#if defined(__GNUC__)
#define ALWAYS_INLINE __attribute__((always_inline))
#else
#define ALWAYS_INLINE
#endif

/* The product over the float input or, for an int8 matrix, its codes. */
static void product(const Packed *matrix, const float *bias, const float *input,
                    const int16_t *input_codes, int columns, int rows_padded, float *out)
{
    if (matrix->quantized)
        pnl_quantized_product(&matrix->codes, bias, input_codes, 0, rows_padded, out);
    else
        pnl_dense_matvec(matrix->weights, bias, input, columns, rows_padded, out);
}

/* The output layer for the row blocks holding an allowed token only: the
 * sampler never looks at the others. Each computed row is summed exactly as
 * in the full product. */
static void product_allowed(const Packed *matrix, const float *bias, const float *input,
                            const int16_t *input_codes, int columns, int rows_padded, int rows,
                            const uint8_t *allowed, float *out)
{
    for (int block = 0; block < rows_padded; block += ROW_BLOCK) {
        int wanted = 0;
        for (int r = block; r < block + ROW_BLOCK && r < rows && !wanted; r++)
            wanted = allowed[r];
        if (!wanted)
            continue;
        if (matrix->quantized)
            pnl_quantized_product(&matrix->codes, bias, input_codes, block, ROW_BLOCK, out);
        else
            pnl_dense_matvec(matrix->weights + (size_t)block * (size_t)columns, bias + block,
                           input, columns, ROW_BLOCK, out + block);
    }
}

/* Replaces a packed float32 matrix by int8 codes (quantized.h). */
static int quantize(Packed *matrix, int columns, int rows_padded, float activation_scale)
{
    int status = pnl_quantized_matrix_new(&matrix->codes, matrix->weights, columns, rows_padded,
                                          activation_scale);
    if (status != PNL_OK)
        return status;
    matrix->quantized = 1;
    free(matrix->weights);
    matrix->weights = NULL;
    return PNL_OK;
}

static void packed_free(Packed *matrix)
{
    free(matrix->weights);
    pnl_quantized_matrix_free(&matrix->codes);
}

/* Packs `rows` rows of `width` values from `source` (row-major, row stride
 * source_stride) into columns [first_column, first_column + width) of a
 * packed matrix of `columns` columns. Padding rows past `rows` stay zero. */
static void pack_rows(float *packed, int columns, int first_column, const float *source,
                      int rows, int width, int source_stride)
{
    for (int r = 0; r < rows; r++) {
        int block = r / ROW_BLOCK * ROW_BLOCK, lane = r % ROW_BLOCK;
        float *base = packed + (size_t)block * (size_t)columns;
        for (int j = 0; j < width; j++)
            base[(size_t)(first_column + j) * ROW_BLOCK + lane] =
                source[(size_t)r * source_stride + j];
    }
}

/* sigmoid and tanh on Pianola's own exp (portable_math.h), so the cell
 * gives the same bits on every machine (see the top). */
static inline float sigmoid(float x)
{
    return 1.0f / (1.0f + pnl_exp_portable(-x));
}

/* tanh x = 2 sigmoid(2x) - 1: absolute error about 1e-7 near 0, which is
 * what matters for the cell (parity is held to 1e-4 absolute). */
static inline float tanh_portable(float x)
{
    return 2.0f * sigmoid(2.0f * x) - 1.0f;
}

void pnl_lstm_free(PnlLstm *lstm)
{
    if (!lstm)
        return;
    free(lstm->token_table);
    free(lstm->composer_table);
    free(lstm->density_table);
    free(lstm->part_table);
    for (int l = 0; l < PNL_WEIGHTS_MAX_LAYERS; l++) {
        packed_free(&lstm->layers[l].matrix);
        free(lstm->layers[l].bias);
    }
    packed_free(&lstm->output);
    free(lstm->output_bias);
    free(lstm);
}

/* Writes the mean of the density steps' rows (1..PNL_DENSITY_COUNT) into
 * the row after them. */
static void average_density_steps(float *table, int gate_rows)
{
    float *mean = table + (size_t)(PNL_DENSITY_COUNT + 1) * (size_t)gate_rows;
    for (int r = 0; r < gate_rows; r++) {
        double sum = 0.0;
        for (int step = 1; step <= PNL_DENSITY_COUNT; step++)
            sum += table[(size_t)step * (size_t)gate_rows + (size_t)r];
        mean[r] = (float)(sum / PNL_DENSITY_COUNT);
    }
}

/* table[row] = W_ih0 . embedding[row] (+ bias when given), rows x gate_rows,
 * summed in column order like every other product here. */
static void project_embeddings(const float *embedding, int rows, const PnlTensor *weight_ih,
                               const float *bias, int gate_rows, float *table)
{
    int hidden4 = (int)weight_ih->dims[0], input = (int)weight_ih->dims[1];
    for (int row = 0; row < rows; row++) {
        const float *x = embedding + (size_t)row * input;
        float *out = table + (size_t)row * gate_rows;
        for (int r = 0; r < hidden4; r++) {
            const float *w = weight_ih->data + (size_t)r * input;
            float sum = bias ? bias[r] : 0.0f;
            for (int j = 0; j < input; j++)
                sum += w[j] * x[j];
            out[r] = sum;
        }
    }
}

int pnl_lstm_new(const PnlWeights *weights, PnlLstm **out, char *message, size_t message_size)
{
    return pnl_lstm_new_with_precision(weights, PNL_PRECISION_FLOAT32, out, message,
                                       message_size);
}

int pnl_lstm_new_with_precision(const PnlWeights *weights, PnlPrecision precision, PnlLstm **out,
                                char *message, size_t message_size)
{
    *out = NULL;
    if (precision != PNL_PRECISION_FLOAT32 && precision != PNL_PRECISION_INT8) {
        snprintf(message, message_size, "unknown precision %d", (int)precision);
        return PNL_EINVAL;
    }
    if (weights->architecture != PNL_ARCH_LSTM) {
        snprintf(message, message_size, "the weights are not an LSTM (architecture %u)",
                 weights->architecture);
        return PNL_EINVAL;
    }
    PnlLstm *lstm = calloc(1, sizeof *lstm);
    if (!lstm)
        goto out_of_memory;
    const int vocab = (int)weights->vocab_size, hidden = (int)weights->hidden_size;
    lstm->vocab_size = vocab;
    lstm->precision = precision;
    lstm->composer_count = (int)weights->composer_count;
    lstm->embedding_size = (int)weights->embedding_size;
    lstm->hidden_size = hidden;
    lstm->layer_count = (int)weights->layer_count;
    lstm->gate_rows = pnl_dense_round_up(4 * hidden, ROW_BLOCK);
    lstm->output_rows = pnl_dense_round_up(vocab, ROW_BLOCK);
    /* One scale for every product: the widest input is [h_{l-1} | h_l]. */
    lstm->activation_scale = pnl_quantized_activation_scale(2 * hidden);

    const PnlTensor *token_embedding = pnl_weights_tensor(weights, "token_embedding");
    const PnlTensor *composer_embedding = pnl_weights_tensor(weights, "composer_embedding");
    const PnlTensor *density_embedding = pnl_weights_tensor(weights, "density_embedding");
    const PnlTensor *part_embedding = pnl_weights_tensor(weights, "part_embedding");
    const PnlTensor *output_weight = pnl_weights_tensor(weights, "output.weight");
    const PnlTensor *output_bias = pnl_weights_tensor(weights, "output.bias");
    const int density = (weights->flags & PNL_WEIGHTS_FLAG_DENSITY) != 0;
    const int parts = (weights->flags & PNL_WEIGHTS_FLAG_PARTS) != 0;
    if (!token_embedding || !composer_embedding || !output_weight || !output_bias ||
        (density && !density_embedding) || (parts && !part_embedding)) {
        snprintf(message, message_size, "the weights lack a tensor the LSTM needs");
        pnl_lstm_free(lstm);
        return PNL_EFORMAT;
    }

    float *summed_bias = pnl_dense_alloc_floats((size_t)lstm->gate_rows);
    if (!summed_bias)
        goto out_of_memory;
    for (int l = 0; l < lstm->layer_count; l++) {
        char name[4][PNL_WEIGHTS_NAME_BYTES + 1];
        snprintf(name[0], sizeof name[0], "lstm.%d.weight_ih", l);
        snprintf(name[1], sizeof name[1], "lstm.%d.weight_hh", l);
        snprintf(name[2], sizeof name[2], "lstm.%d.bias_ih", l);
        snprintf(name[3], sizeof name[3], "lstm.%d.bias_hh", l);
        const PnlTensor *weight_ih = pnl_weights_tensor(weights, name[0]);
        const PnlTensor *weight_hh = pnl_weights_tensor(weights, name[1]);
        const PnlTensor *bias_ih = pnl_weights_tensor(weights, name[2]);
        const PnlTensor *bias_hh = pnl_weights_tensor(weights, name[3]);
        if (!weight_ih || !weight_hh || !bias_ih || !bias_hh) {
            snprintf(message, message_size, "the weights lack layer %d of the LSTM", l);
            free(summed_bias);
            pnl_lstm_free(lstm);
            return PNL_EFORMAT;
        }
        Layer *layer = &lstm->layers[l];
        layer->input_size = (int)weight_ih->dims[1];
        layer->columns = l == 0 ? hidden : layer->input_size + hidden;
        layer->matrix.weights =
            pnl_dense_alloc_floats((size_t)lstm->gate_rows * (size_t)layer->columns);
        if (!layer->matrix.weights) {
            free(summed_bias);
            goto out_of_memory;
        }
        for (int r = 0; r < 4 * hidden; r++)
            summed_bias[r] = bias_ih->data[r] + bias_hh->data[r];
        if (l == 0) {
            pack_rows(layer->matrix.weights, layer->columns, 0, weight_hh->data, 4 * hidden,
                      hidden, hidden);
            lstm->token_table = pnl_dense_alloc_floats((size_t)vocab * (size_t)lstm->gate_rows);
            lstm->composer_table =
                pnl_dense_alloc_floats((size_t)lstm->composer_count * (size_t)lstm->gate_rows);
            if (density)
                lstm->density_table = pnl_dense_alloc_floats((size_t)(PNL_DENSITY_COUNT + 2) *
                                                             (size_t)lstm->gate_rows);
            if (parts)
                lstm->part_table = pnl_dense_alloc_floats((size_t)PNL_PART_TOKEN_COUNT *
                                                          (size_t)lstm->gate_rows);
            if (!lstm->token_table || !lstm->composer_table ||
                (density && !lstm->density_table) || (parts && !lstm->part_table)) {
                free(summed_bias);
                goto out_of_memory;
            }
            if (parts)
                project_embeddings(part_embedding->data, PNL_PART_TOKEN_COUNT, weight_ih, NULL,
                                   lstm->gate_rows, lstm->part_table);
            if (density) {
                project_embeddings(density_embedding->data, PNL_DENSITY_COUNT + 1, weight_ih,
                                   NULL, lstm->gate_rows, lstm->density_table);
                average_density_steps(lstm->density_table, lstm->gate_rows);
            }
            project_embeddings(token_embedding->data, vocab, weight_ih, NULL, lstm->gate_rows,
                               lstm->token_table);
            project_embeddings(composer_embedding->data, lstm->composer_count, weight_ih,
                               summed_bias, lstm->gate_rows, lstm->composer_table);
        } else {
            pack_rows(layer->matrix.weights, layer->columns, 0, weight_ih->data, 4 * hidden,
                      layer->input_size, layer->input_size);
            pack_rows(layer->matrix.weights, layer->columns, layer->input_size, weight_hh->data,
                      4 * hidden, hidden, hidden);
            layer->bias = pnl_dense_alloc_floats((size_t)lstm->gate_rows);
            if (!layer->bias) {
                free(summed_bias);
                goto out_of_memory;
            }
            memcpy(layer->bias, summed_bias, sizeof(float) * 4 * (size_t)hidden);
        }
        if (precision == PNL_PRECISION_INT8 &&
            quantize(&layer->matrix, layer->columns, lstm->gate_rows, lstm->activation_scale) !=
                PNL_OK) {
            free(summed_bias);
            goto out_of_memory;
        }
    }
    free(summed_bias);

    lstm->output.weights = pnl_dense_alloc_floats((size_t)lstm->output_rows * (size_t)hidden);
    lstm->output_bias = pnl_dense_alloc_floats((size_t)lstm->output_rows);
    if (!lstm->output.weights || !lstm->output_bias)
        goto out_of_memory;
    pack_rows(lstm->output.weights, hidden, 0, output_weight->data, vocab, hidden, hidden);
    memcpy(lstm->output_bias, output_bias->data, sizeof(float) * (size_t)vocab);
    if (precision == PNL_PRECISION_INT8 &&
        quantize(&lstm->output, hidden, lstm->output_rows, lstm->activation_scale) != PNL_OK)
        goto out_of_memory;
    *out = lstm;
    return PNL_OK;

out_of_memory:
    pnl_lstm_free(lstm);
    snprintf(message, message_size, "out of memory building the LSTM");
    return PNL_ENOMEM;
}

int pnl_lstm_vocab_size(const PnlLstm *lstm)
{
    return lstm->vocab_size;
}

int pnl_lstm_composer_count(const PnlLstm *lstm)
{
    return lstm->composer_count;
}

void pnl_lstm_state_free(PnlLstmState *state)
{
    if (!state)
        return;
    free(state->hidden);
    free(state->hidden_codes);
    free(state->cell);
    free(state->gates);
    free(state->layer0_bias);
    free(state->logits);
    free(state->parts_sum);
    free(state);
}

PnlLstmState *pnl_lstm_state_new(const PnlLstm *lstm)
{
    PnlLstmState *state = calloc(1, sizeof *state);
    if (!state)
        return NULL;
    state->density_guidance = 1.0f;
    size_t units = (size_t)lstm->layer_count * (size_t)lstm->hidden_size;
    state->lstm = lstm;
    state->hidden = pnl_dense_alloc_floats(units);
    /* One code past the end: a product over an odd column count reads it
     * (with a zero weight). */
    state->hidden_codes = calloc(units + 1, sizeof(int16_t));
    state->cell = pnl_dense_alloc_floats(units);
    state->gates = pnl_dense_alloc_floats((size_t)lstm->gate_rows);
    state->layer0_bias = pnl_dense_alloc_floats((size_t)lstm->gate_rows);
    state->logits = pnl_dense_alloc_floats((size_t)lstm->output_rows);
    if (lstm->part_table)
        state->parts_sum = pnl_dense_alloc_floats((size_t)lstm->gate_rows);
    if (!state->hidden || !state->hidden_codes || !state->cell || !state->gates ||
        !state->layer0_bias || !state->logits || (lstm->part_table && !state->parts_sum)) {
        pnl_lstm_state_free(state);
        return NULL;
    }
    return state;
}

size_t pnl_lstm_state_bytes(const PnlLstm *lstm)
{
    size_t units = (size_t)lstm->layer_count * (size_t)lstm->hidden_size;
    size_t floats = 2 * units + (lstm->part_table ? 3 : 2) * (size_t)lstm->gate_rows +
                    (size_t)lstm->output_rows;
    return sizeof(PnlLstmState) + floats * sizeof(float) + (units + 1) * sizeof(int16_t);
}

void pnl_lstm_state_reset(PnlLstmState *state)
{
    size_t units = (size_t)state->lstm->layer_count * (size_t)state->lstm->hidden_size;
    memset(state->hidden, 0, units * sizeof(float));
    memset(state->hidden_codes, 0, units * sizeof(int16_t));
    memset(state->cell, 0, units * sizeof(float));
    state->density_row = 0;
    state->parts_heard = 0;
}

void pnl_lstm_state_copy(PnlLstmState *to, const PnlLstmState *from)
{
    size_t units = (size_t)from->lstm->layer_count * (size_t)from->lstm->hidden_size;
    memcpy(to->hidden, from->hidden, units * sizeof(float));
    memcpy(to->hidden_codes, from->hidden_codes, units * sizeof(int16_t));
    memcpy(to->cell, from->cell, units * sizeof(float));
    to->density_row = from->density_row;
    to->asked_density_row = from->asked_density_row;
    to->density_guidance = from->density_guidance;
    to->parts_heard = from->parts_heard;
    if (from->parts_sum)
        memcpy(to->parts_sum, from->parts_sum, sizeof(float) * (size_t)from->lstm->gate_rows);
}

void pnl_lstm_state_ask_density(PnlLstmState *state, int step, float guidance)
{
    int asked = step >= 0 && step < PNL_DENSITY_COUNT && isfinite(guidance) && guidance > 0.0f;
    state->asked_density_row = asked ? step + 1 : 0;
    state->density_guidance = asked ? guidance : 1.0f;
}

/* Role `part`'s PART token read: the heard roles' rows summed anew, in role
 * order, so a set of roles gives the same sum whatever order it came in. */
static void hear_part(const PnlLstm *lstm, PnlLstmState *state, int part)
{
    unsigned heard = state->parts_heard | (1u << part);
    if (heard == state->parts_heard)
        return;
    state->parts_heard = heard;
    const int gate_rows = lstm->gate_rows;
    memset(state->parts_sum, 0, sizeof(float) * (size_t)gate_rows);
    for (int role = 0; role < PNL_PART_TOKEN_COUNT; role++) {
        if (!(heard & (1u << role)))
            continue;
        const float *row = lstm->part_table + (size_t)role * (size_t)gate_rows;
        for (int r = 0; r < gate_rows; r++)
            state->parts_sum[r] += row[r];
    }
}

/* The cell update of units [first, end) from gate pre-activations (i, f, g,
 * o blocks of H from `gates`). */
ALWAYS_INLINE static inline void update_units(const float *restrict gates, int hidden,
                                              int first, int end, float *restrict h,
                                              float *restrict c)
{
    const float *in = gates, *forget = gates + hidden, *candidate = gates + 2 * hidden,
                *outg = gates + 3 * hidden;
    for (int u = first; u < end; u++) {
        float cell = sigmoid(forget[u]) * c[u] + sigmoid(in[u]) * tanh_portable(candidate[u]);
        c[u] = cell;
        h[u] = sigmoid(outg[u]) * tanh_portable(cell);
    }
}

/* Eight units at a time: a count the compiler vectorises at -O2 (the
 * exponentials are most of the cell's cost). Each unit's arithmetic is the
 * same in every lane and in the tail, so the bits do not change. */
VECTOR_CLONES static void update_cell(const float *restrict gates, int hidden,
                                      float *restrict h, float *restrict c)
{
    enum { UNITS_AT_ONCE = 8 };
    int first = 0;
    for (; first + UNITS_AT_ONCE <= hidden; first += UNITS_AT_ONCE)
        update_units(gates, hidden, first, first + UNITS_AT_ONCE, h, c);
    update_units(gates, hidden, first, hidden, h, c);
}

/* One layer's cell update; an int8 network also keeps h's codes for the
 * next products. */
static void update_layer(const PnlLstm *lstm, PnlLstmState *state, int layer)
{
    const size_t offset = (size_t)layer * (size_t)lstm->hidden_size;
    update_cell(state->gates, lstm->hidden_size, state->hidden + offset, state->cell + offset);
    if (lstm->precision == PNL_PRECISION_INT8)
        pnl_quantize_activations(state->hidden + offset, lstm->hidden_size,
                                 lstm->activation_scale, state->hidden_codes + offset);
}

void pnl_lstm_advance(const PnlLstm *lstm, PnlLstmState *state, int token, int composer)
{
    const int hidden = lstm->hidden_size, gate_rows = lstm->gate_rows;

    /* Layer 0: the token's and composer's projected embeddings (the latter
     * with both biases), the density step's where the network hears one and
     * the heard parts' where it hears them, are the starting sums; W_hh h is
     * added on top. */
    const float *token_row = lstm->token_table + (size_t)token * (size_t)gate_rows;
    const float *composer_row = lstm->composer_table + (size_t)composer * (size_t)gate_rows;
    float *layer0_bias = state->layer0_bias;
    for (int r = 0; r < gate_rows; r++)
        layer0_bias[r] = token_row[r] + composer_row[r];
    if (lstm->density_table) {
        if (pnl_token_family(token) == PNL_FAMILY_DENSITY)
            state->density_row = pnl_token_offset(token) + 1;
        const float *density_row =
            lstm->density_table + (size_t)state->density_row * (size_t)gate_rows;
        if (state->density_row != 0 && state->density_row == state->asked_density_row) {
            const float *mean =
                lstm->density_table + (size_t)(PNL_DENSITY_COUNT + 1) * (size_t)gate_rows;
            const float guidance = state->density_guidance;
            for (int r = 0; r < gate_rows; r++)
                layer0_bias[r] += mean[r] + guidance * (density_row[r] - mean[r]);
        } else {
            for (int r = 0; r < gate_rows; r++)
                layer0_bias[r] += density_row[r];
        }
    }
    if (lstm->part_table) {
        if (pnl_token_family(token) == PNL_FAMILY_PART)
            hear_part(lstm, state, pnl_token_offset(token));
        if (state->parts_heard)
            for (int r = 0; r < gate_rows; r++)
                layer0_bias[r] += state->parts_sum[r];
    }
    product(&lstm->layers[0].matrix, layer0_bias, state->hidden, state->hidden_codes, hidden,
            gate_rows, state->gates);
    update_layer(lstm, state, 0);

    for (int l = 1; l < lstm->layer_count; l++) {
        const Layer *layer = &lstm->layers[l];
        /* [h_{l-1} (this step's) | h_l (last step's)] are adjacent. */
        const size_t below = (size_t)(l - 1) * (size_t)hidden;
        product(&layer->matrix, layer->bias, state->hidden + below, state->hidden_codes + below,
                layer->columns, gate_rows, state->gates);
        update_layer(lstm, state, l);
    }
}

const float *pnl_lstm_step(const PnlLstm *lstm, PnlLstmState *state, int token, int composer)
{
    return pnl_lstm_step_allowed(lstm, state, token, composer, NULL);
}

const float *pnl_lstm_step_allowed(const PnlLstm *lstm, PnlLstmState *state, int token,
                                   int composer, const uint8_t *allowed)
{
    pnl_lstm_advance(lstm, state, token, composer);
    const int hidden = lstm->hidden_size;
    const size_t top = (size_t)(lstm->layer_count - 1) * (size_t)hidden;
    if (allowed)
        product_allowed(&lstm->output, lstm->output_bias, state->hidden + top,
                        state->hidden_codes + top, hidden, lstm->output_rows, lstm->vocab_size,
                        allowed, state->logits);
    else
        product(&lstm->output, lstm->output_bias, state->hidden + top, state->hidden_codes + top,
                hidden, lstm->output_rows, state->logits);
    return state->logits;
}

double pnl_lstm_flops_per_step(const PnlLstm *lstm)
{
    /* A multiply-add counts two; the pointwise cell work (a few dozen
     * operations per unit with the exponentials) is left out. */
    double hidden = lstm->hidden_size, flops = 2.0 * 4 * hidden * hidden + 4 * hidden;
    for (int l = 1; l < lstm->layer_count; l++)
        flops += 2.0 * 4 * hidden * lstm->layers[l].columns;
    return flops + 2.0 * lstm->vocab_size * hidden;
}

double pnl_lstm_weight_bytes_per_step(const PnlLstm *lstm)
{
    /* Matrices at their precision (int8 adds a scale per row); one token
     * row, one composer row (a density row and the parts' sum too where
     * there are) and the biases in float32. */
    double matrix_bytes = lstm->precision == PNL_PRECISION_INT8 ? 1.0 : (double)sizeof(float);
    double tables = 2.0 + (lstm->density_table ? 1.0 : 0.0) + (lstm->part_table ? 1.0 : 0.0);
    double floats = tables * lstm->gate_rows, matrices = 0;
    for (int l = 0; l < lstm->layer_count; l++) {
        matrices += (double)lstm->gate_rows * lstm->layers[l].columns;
        floats += l ? lstm->gate_rows : 0;
        floats += lstm->precision == PNL_PRECISION_INT8 ? lstm->gate_rows : 0;
    }
    matrices += (double)lstm->output_rows * lstm->hidden_size;
    floats += lstm->output_rows * (lstm->precision == PNL_PRECISION_INT8 ? 2.0 : 1.0);
    return floats * sizeof(float) + matrices * matrix_bytes;
}
