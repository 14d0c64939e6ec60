/* One transformer step in plain C, written for one core (see transformer.h).
 *
 * For the token t at position p (its slot in the ring: p mod context):
 *   x = token_embedding[t] + composer_embedding[c]
 *   each block: q, k, v = qkv(LayerNorm1(x)); k, v go to the cache's slot;
 *               each head h: w = softmax(q.k_j / sqrt(head_dim) - slope_h (p - p_j))
 *               over the window's keys j; x += out(sum_j w_j v_j);
 *               x += down(GELU(up(LayerNorm2(x))))
 *   logits = output(LayerNorm(x))
 * GELU is PyTorch's tanh form, tanh and exp in Pianola's own arithmetic
 * (portable_math.h), so the same bits come out on every machine, as for
 * the LSTM. */
#include "transformer.h"

#include "portable_math.h" /* also keeps clang from fusing a*b+c here */
#include "dense.h"
#include "quantized.h"
#include "status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_BLOCK = PNL_QUANTIZED_ROW_BLOCK };

/* A matrix packed in row blocks (as in src/lstm.c): float32 weights, or
 * int8 codes when `quantized`. */
typedef struct {
    int columns, rows, rows_padded;
    float *weights;
    int quantized;
    PnlQuantizedMatrix codes;
} Packed;

typedef struct {
    float *norm1_weight, *norm1_bias, *norm2_weight, *norm2_bias;
    Packed qkv, out, up, down;
    float *qkv_bias, *out_bias, *up_bias, *down_bias; /* padded to the rows */
} Block;

struct PnlTransformer {
    int vocab_size, composer_count, dimension, head_count, head_size, layer_count, context,
        feed_forward;
    int slots; /* context rounded up to ROW_BLOCK: the cache's rows */
    float norm_eps;
    PnlPrecision precision;
    float activation_scale; /* int8: an input scaled into [-1, 1] is coded at this */
    float *token_embedding;    /* V x dimension */
    float *composer_embedding; /* K x dimension */
    float *slopes;             /* per head */
    Block blocks[PNL_WEIGHTS_MAX_LAYERS];
    float *norm_weight, *norm_bias;
    Packed output;
    float *output_bias;
    float *zeros; /* int8: a zero bias as long as the longest product */
};

struct PnlTransformerState {
    const PnlTransformer *transformer;
    int64_t position; /* tokens fed since the reset */
    /* Per layer: keys dimension-major (dimension x slots), values
     * slot-major (slots x dimension). Slots past the filled ones are read
     * by whole blocks of ROW_BLOCK and their scores never used. */
    float *keys, *values;
    float *x, *normed, *qkv, *mixed, *projected, *hidden, *scores, *scaled, *logits;
    int16_t *codes; /* int8: the scaled input's codes (one spare for an odd width) */
};


/* The attention's loops. Like pnl_dense_matvec (src/dense.c), each keeps a fixed number of
 * accumulators and adds into them in a fixed order, so GCC vectorises them
 * at -O2 (its cheap cost model takes only loops of a known count) and every
 * sum comes out the same at any vector width. */

enum { VALUE_LANES = 8 };

/* scores[j] = sum over the head's dimensions d of query[d] keys[d][j], for
 * whole blocks of ROW_BLOCK slots up to `filled` (keys dimension-major,
 * `slots` a row). */
VECTOR_CLONES static void head_scores(const float *restrict keys, const float *restrict query,
                                      int first, int size, int slots, int filled,
                                      float *restrict scores)
{
    for (int block = 0; block < filled; block += ROW_BLOCK) {
        float sums[ROW_BLOCK];
        for (int k = 0; k < ROW_BLOCK; k++)
            sums[k] = 0.0f;
        for (int d = first; d < first + size; d++) {
            const float *restrict row = keys + (size_t)d * (size_t)slots + block;
            const float factor = query[d];
            for (int k = 0; k < ROW_BLOCK; k++)
                sums[k] += factor * row[k];
        }
        for (int k = 0; k < ROW_BLOCK; k++)
            scores[block + k] = sums[k];
    }
}

/* scores[j] = e^(scores[j] - largest), in place, by whole blocks. */
VECTOR_CLONES static void exponentials(float *restrict scores, float largest, int filled)
{
    for (int block = 0; block < filled; block += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++)
            scores[block + k] = pnl_exp_portable(scores[block + k] - largest);
}

/* out[d] = scale x sum_j weights[j] values[j][first + d] over the filled
 * slots (values slot-major, `dimension` floats a slot), VALUE_LANES
 * dimensions at a time and the rest one by one, each summed in slot order. */
VECTOR_CLONES static void head_values(const float *restrict values, const float *restrict weights,
                                      float scale, int first, int size, int dimension,
                                      int filled, float *restrict out)
{
    int d = 0;
    for (; d + VALUE_LANES <= size; d += VALUE_LANES) {
        float sums[VALUE_LANES];
        for (int k = 0; k < VALUE_LANES; k++)
            sums[k] = 0.0f;
        for (int j = 0; j < filled; j++) {
            const float *restrict slot = values + (size_t)j * (size_t)dimension + first + d;
            const float weight = weights[j];
            for (int k = 0; k < VALUE_LANES; k++)
                sums[k] += weight * slot[k];
        }
        for (int k = 0; k < VALUE_LANES; k++)
            out[d + k] = sums[k] * scale;
    }
    for (; d < size; d++) {
        float sum = 0.0f;
        for (int j = 0; j < filled; j++)
            sum += weights[j] * values[(size_t)j * (size_t)dimension + first + d];
        out[d] = sum * scale;
    }
}

/* The int8 products read an input scaled into [-1, 1] by its largest
 * magnitude; the sums are scaled back once per row. */
static void product_rows(const PnlTransformer *transformer, PnlTransformerState *state,
                         const Packed *matrix, const float *bias, const float *input,
                         int first_row, int rows, float *out, float input_scale)
{
    if (!matrix->quantized) {
        pnl_dense_matvec(matrix->weights + (size_t)first_row * (size_t)matrix->columns,
                           bias + first_row, input, matrix->columns, rows, out + first_row);
        return;
    }
    pnl_quantized_product(&matrix->codes, transformer->zeros, state->codes, first_row, rows,
                          out);
    for (int r = first_row; r < first_row + rows; r++)
        out[r] = bias[r] + input_scale * out[r];
}

/* Codes of `input` for an int8 product; returns the scale to undo. */
static float quantize_input(const PnlTransformer *transformer, PnlTransformerState *state,
                            const float *input, int count)
{
    float largest = 0.0f;
    for (int j = 0; j < count; j++) {
        float magnitude = fabsf(input[j]);
        largest = magnitude > largest ? magnitude : largest;
    }
    float inverse = largest > 0.0f ? 1.0f / largest : 0.0f;
    for (int j = 0; j < count; j++)
        state->scaled[j] = input[j] * inverse;
    pnl_quantize_activations(state->scaled, count, transformer->activation_scale, state->codes);
    return largest;
}

static void product(const PnlTransformer *transformer, PnlTransformerState *state,
                    const Packed *matrix, const float *bias, const float *input, float *out)
{
    float scale = matrix->quantized
                      ? quantize_input(transformer, state, input, matrix->columns)
                      : 1.0f;
    product_rows(transformer, state, matrix, bias, input, 0, matrix->rows_padded, out, scale);
}

static void pack(Packed *matrix, const PnlTensor *tensor)
{
    const int rows = (int)tensor->dims[0], columns = (int)tensor->dims[1];
    for (int r = 0; r < rows; r++) {
        int block = r / ROW_BLOCK * ROW_BLOCK, lane = r % ROW_BLOCK;
        float *base = matrix->weights + (size_t)block * (size_t)columns;
        for (int j = 0; j < columns; j++)
            base[(size_t)j * ROW_BLOCK + lane] = tensor->data[(size_t)r * columns + j];
    }
}

static int packed_new(Packed *matrix, const PnlTensor *tensor, PnlPrecision precision,
                      float activation_scale)
{
    matrix->rows = (int)tensor->dims[0];
    matrix->columns = (int)tensor->dims[1];
    matrix->rows_padded = pnl_dense_round_up(matrix->rows, ROW_BLOCK);
    matrix->weights = pnl_dense_alloc_floats((size_t)matrix->rows_padded * (size_t)matrix->columns);
    if (!matrix->weights)
        return PNL_ENOMEM;
    pack(matrix, tensor);
    if (precision != PNL_PRECISION_INT8)
        return PNL_OK;
    int status = pnl_quantized_matrix_new(&matrix->codes, matrix->weights, matrix->columns,
                                          matrix->rows_padded, activation_scale);
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

/* A copy of a vector tensor, zero-padded to `length`. */
static float *vector_copy(const PnlTensor *tensor, int length)
{
    float *copy = pnl_dense_alloc_floats((size_t)length);
    if (copy)
        memcpy(copy, tensor->data, tensor->count * sizeof(float));
    return copy;
}

void pnl_transformer_free(PnlTransformer *transformer)
{
    if (!transformer)
        return;
    free(transformer->token_embedding);
    free(transformer->composer_embedding);
    free(transformer->slopes);
    for (int l = 0; l < PNL_WEIGHTS_MAX_LAYERS; l++) {
        Block *block = &transformer->blocks[l];
        free(block->norm1_weight);
        free(block->norm1_bias);
        free(block->norm2_weight);
        free(block->norm2_bias);
        packed_free(&block->qkv);
        packed_free(&block->out);
        packed_free(&block->up);
        packed_free(&block->down);
        free(block->qkv_bias);
        free(block->out_bias);
        free(block->up_bias);
        free(block->down_bias);
    }
    free(transformer->norm_weight);
    free(transformer->norm_bias);
    packed_free(&transformer->output);
    free(transformer->output_bias);
    free(transformer->zeros);
    free(transformer);
}

static const PnlTensor *block_tensor(const PnlWeights *weights, int layer, const char *part)
{
    char name[PNL_WEIGHTS_NAME_BYTES + 1];
    snprintf(name, sizeof name, "blocks.%d.%s", layer, part);
    return pnl_weights_tensor(weights, name);
}

static int build_block(const PnlWeights *weights, PnlTransformer *transformer, int layer)
{
    Block *block = &transformer->blocks[layer];
    const PnlTensor *t[12];
    static const char *const parts[12] = {
        "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        "attention.qkv.weight", "attention.out.weight", "mlp.up.weight", "mlp.down.weight",
        "attention.qkv.bias", "attention.out.bias", "mlp.up.bias", "mlp.down.bias"};
    for (int i = 0; i < 12; i++)
        if (!(t[i] = block_tensor(weights, layer, parts[i])))
            return PNL_EFORMAT;
    const int dimension = transformer->dimension;
    block->norm1_weight = vector_copy(t[0], dimension);
    block->norm1_bias = vector_copy(t[1], dimension);
    block->norm2_weight = vector_copy(t[2], dimension);
    block->norm2_bias = vector_copy(t[3], dimension);
    Packed *matrices[4] = {&block->qkv, &block->out, &block->up, &block->down};
    float **biases[4] = {&block->qkv_bias, &block->out_bias, &block->up_bias, &block->down_bias};
    for (int m = 0; m < 4; m++) {
        int status = packed_new(matrices[m], t[4 + m], transformer->precision,
                                transformer->activation_scale);
        if (status != PNL_OK)
            return status;
        if (!(*biases[m] = vector_copy(t[8 + m], matrices[m]->rows_padded)))
            return PNL_ENOMEM;
    }
    if (!block->norm1_weight || !block->norm1_bias || !block->norm2_weight || !block->norm2_bias)
        return PNL_ENOMEM;
    return PNL_OK;
}

int pnl_transformer_new(const PnlWeights *weights, PnlPrecision precision,
                        PnlTransformer **out, char *message, size_t message_size)
{
    *out = NULL;
    if (precision != PNL_PRECISION_FLOAT32 && precision != PNL_PRECISION_INT8) {
        snprintf(message, message_size, "unknown precision %d", (int)precision);
        return PNL_EINVAL;
    }
    if (weights->architecture != PNL_ARCH_TRANSFORMER) {
        snprintf(message, message_size, "the weights are not a transformer (architecture %u)",
                 weights->architecture);
        return PNL_EINVAL;
    }
    PnlTransformer *transformer = calloc(1, sizeof *transformer);
    if (!transformer) {
        snprintf(message, message_size, "out of memory building the transformer");
        return PNL_ENOMEM;
    }
    transformer->vocab_size = (int)weights->vocab_size;
    transformer->composer_count = (int)weights->composer_count;
    transformer->dimension = (int)weights->embedding_size;
    transformer->feed_forward = (int)weights->hidden_size;
    transformer->layer_count = (int)weights->layer_count;
    transformer->head_count = (int)weights->head_count;
    transformer->head_size = transformer->dimension / transformer->head_count;
    transformer->context = (int)weights->context_length;
    transformer->slots = pnl_dense_round_up(transformer->context, ROW_BLOCK);
    transformer->norm_eps = weights->norm_eps;
    transformer->precision = precision;
    int widest = transformer->dimension > transformer->feed_forward ? transformer->dimension
                                                                    : transformer->feed_forward;
    transformer->activation_scale = pnl_quantized_activation_scale(widest);

    const PnlTensor *token = pnl_weights_tensor(weights, "token_embedding");
    const PnlTensor *composer = pnl_weights_tensor(weights, "composer_embedding");
    const PnlTensor *slopes = pnl_weights_tensor(weights, "alibi_slopes");
    const PnlTensor *norm_weight = pnl_weights_tensor(weights, "norm.weight");
    const PnlTensor *norm_bias = pnl_weights_tensor(weights, "norm.bias");
    const PnlTensor *output = pnl_weights_tensor(weights, "output.weight");
    const PnlTensor *output_bias = pnl_weights_tensor(weights, "output.bias");
    int status = PNL_OK;
    if (!token || !composer || !slopes || !norm_weight || !norm_bias || !output ||
        !output_bias) {
        status = PNL_EFORMAT;
    } else {
        transformer->token_embedding = vector_copy(token, (int)token->count);
        transformer->composer_embedding = vector_copy(composer, (int)composer->count);
        transformer->slopes = vector_copy(slopes, transformer->head_count);
        transformer->norm_weight = vector_copy(norm_weight, transformer->dimension);
        transformer->norm_bias = vector_copy(norm_bias, transformer->dimension);
        if (!transformer->token_embedding || !transformer->composer_embedding ||
            !transformer->slopes || !transformer->norm_weight || !transformer->norm_bias)
            status = PNL_ENOMEM;
    }
    for (int l = 0; status == PNL_OK && l < transformer->layer_count; l++)
        status = build_block(weights, transformer, l);
    if (status == PNL_OK)
        status = packed_new(&transformer->output, output, precision,
                            transformer->activation_scale);
    if (status == PNL_OK) {
        transformer->output_bias = vector_copy(output_bias, transformer->output.rows_padded);
        int longest = pnl_dense_round_up(3 * transformer->dimension, ROW_BLOCK);
        if (transformer->output.rows_padded > longest)
            longest = transformer->output.rows_padded;
        if (pnl_dense_round_up(transformer->feed_forward, ROW_BLOCK) > longest)
            longest = pnl_dense_round_up(transformer->feed_forward, ROW_BLOCK);
        transformer->zeros = pnl_dense_alloc_floats((size_t)longest);
        if (!transformer->output_bias || !transformer->zeros)
            status = PNL_ENOMEM;
    }
    if (status != PNL_OK) {
        snprintf(message, message_size, status == PNL_ENOMEM
                                            ? "out of memory building the transformer"
                                            : "the weights lack a tensor the transformer needs");
        pnl_transformer_free(transformer);
        return status;
    }
    *out = transformer;
    return PNL_OK;
}

int pnl_transformer_context_length(const PnlTransformer *transformer)
{
    return transformer->context;
}

static size_t cache_floats(const PnlTransformer *transformer)
{
    return (size_t)transformer->layer_count * (size_t)transformer->slots *
           (size_t)transformer->dimension;
}

void pnl_transformer_state_free(PnlTransformerState *state)
{
    if (!state)
        return;
    free(state->keys);
    free(state->values);
    free(state->x);
    free(state->normed);
    free(state->qkv);
    free(state->mixed);
    free(state->projected);
    free(state->hidden);
    free(state->scores);
    free(state->scaled);
    free(state->logits);
    free(state->codes);
    free(state);
}

/* The scratch vectors' lengths, for the allocation and its size. */
static void scratch_lengths(const PnlTransformer *transformer, size_t lengths[9])
{
    size_t dimension_padded = (size_t)pnl_dense_round_up(transformer->dimension, ROW_BLOCK);
    size_t widest = (size_t)(transformer->dimension > transformer->feed_forward
                                 ? transformer->dimension
                                 : transformer->feed_forward);
    lengths[0] = (size_t)transformer->dimension;                      /* x */
    lengths[1] = (size_t)transformer->dimension;                      /* normed */
    lengths[2] = (size_t)pnl_dense_round_up(3 * transformer->dimension, ROW_BLOCK); /* qkv */
    lengths[3] = (size_t)transformer->dimension;                      /* mixed */
    lengths[4] = dimension_padded;                                    /* projected */
    lengths[5] = (size_t)pnl_dense_round_up(transformer->feed_forward, ROW_BLOCK); /* hidden */
    lengths[6] = (size_t)transformer->slots;                          /* scores */
    lengths[7] = widest;                                              /* scaled */
    lengths[8] = (size_t)transformer->output.rows_padded;             /* logits */
}

PnlTransformerState *pnl_transformer_state_new(const PnlTransformer *transformer)
{
    PnlTransformerState *state = calloc(1, sizeof *state);
    if (!state)
        return NULL;
    state->transformer = transformer;
    size_t lengths[9];
    scratch_lengths(transformer, lengths);
    state->keys = pnl_dense_alloc_floats(cache_floats(transformer));
    state->values = pnl_dense_alloc_floats(cache_floats(transformer));
    float **scratch[9] = {&state->x,         &state->normed, &state->qkv,
                          &state->mixed,     &state->projected, &state->hidden,
                          &state->scores,    &state->scaled, &state->logits};
    int missing = !state->keys || !state->values;
    for (int i = 0; i < 9; i++)
        missing |= !(*scratch[i] = pnl_dense_alloc_floats(lengths[i]));
    state->codes = calloc(lengths[7] + 1, sizeof(int16_t));
    if (missing || !state->codes) {
        pnl_transformer_state_free(state);
        return NULL;
    }
    return state;
}

size_t pnl_transformer_state_bytes(const PnlTransformer *transformer)
{
    size_t lengths[9], floats = 2 * cache_floats(transformer);
    scratch_lengths(transformer, lengths);
    for (int i = 0; i < 9; i++)
        floats += lengths[i];
    return sizeof(PnlTransformerState) + floats * sizeof(float) +
           (lengths[7] + 1) * sizeof(int16_t);
}

void pnl_transformer_state_reset(PnlTransformerState *state)
{
    /* Slots past the filled part are never read, so the cache need not be
     * cleared. */
    state->position = 0;
}

int pnl_transformer_state_filled(const PnlTransformerState *state)
{
    int64_t context = state->transformer->context;
    return (int)(state->position < context ? state->position : context);
}

void pnl_transformer_state_copy(PnlTransformerState *to, const PnlTransformerState *from)
{
    const PnlTransformer *transformer = from->transformer;
    const size_t context = (size_t)transformer->context, slots = (size_t)transformer->slots,
                 dimension = (size_t)transformer->dimension,
                 filled = (size_t)pnl_transformer_state_filled(from);
    to->position = from->position;
    if (filled == context) {
        memcpy(to->keys, from->keys, cache_floats(transformer) * sizeof(float));
        memcpy(to->values, from->values, cache_floats(transformer) * sizeof(float));
        return;
    }
    for (int l = 0; l < transformer->layer_count; l++) {
        size_t layer = (size_t)l * slots * dimension;
        for (size_t d = 0; d < dimension; d++)
            memcpy(to->keys + layer + d * slots, from->keys + layer + d * slots,
                   filled * sizeof(float));
        memcpy(to->values + layer, from->values + layer, filled * dimension * sizeof(float));
    }
}

/* PyTorch's LayerNorm: (x - mean) / sqrt(var + eps) x weight + bias, the
 * variance the biased one. Sums in double, in index order. */
static void layer_norm(const float *x, const float *weight, const float *bias, int count,
                       float eps, float *out)
{
    double sum = 0.0;
    for (int i = 0; i < count; i++)
        sum += x[i];
    float mean = (float)(sum / count);
    double squares = 0.0;
    for (int i = 0; i < count; i++) {
        double centred = (double)(x[i] - mean);
        squares += centred * centred;
    }
    float inverse = 1.0f / sqrtf((float)(squares / count) + eps);
    for (int i = 0; i < count; i++)
        out[i] = (x[i] - mean) * inverse * weight[i] + bias[i];
}

/* GELU, tanh form: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), with
 * tanh y = 1 - 2 / (e^(2y) + 1). */
static void gelu(float *values, int count)
{
    for (int i = 0; i < count; i++) {
        float x = values[i];
        float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        float tanh_inner = 1.0f - 2.0f / (pnl_exp_portable(2.0f * inner) + 1.0f);
        values[i] = 0.5f * x * (1.0f + tanh_inner);
    }
}

/* One head's attention over the window's `filled` slots, `newest` the slot
 * just written: scores along the slots, softmax, then the values' sum. */
static void attend(const PnlTransformer *transformer, PnlTransformerState *state,
                   const float *keys, const float *values, const float *query, int head,
                   int filled, int newest, float *mixed)
{
    const int context = transformer->context, size = transformer->head_size,
              first = head * size;
    float *scores = state->scores;
    head_scores(keys, query, first, size, transformer->slots, filled, scores);
    const float scale = 1.0f / sqrtf((float)size), slope = transformer->slopes[head];
    /* Slots up to the newest are its distance back; those after it (a full
     * ring) hold the oldest tokens. */
    for (int j = 0; j <= newest && j < filled; j++)
        scores[j] = scores[j] * scale - slope * (float)(newest - j);
    for (int j = newest + 1; j < filled; j++)
        scores[j] = scores[j] * scale - slope * (float)(newest - j + context);
    float largest = -INFINITY;
    for (int j = 0; j < filled; j++)
        largest = scores[j] > largest ? scores[j] : largest;
    exponentials(scores, largest, filled);
    float total = 0.0f;
    for (int j = 0; j < filled; j++)
        total += scores[j];
    head_values(values, scores, 1.0f / total, first, size, transformer->dimension, filled,
                mixed + first);
}

void pnl_transformer_advance(const PnlTransformer *transformer, PnlTransformerState *state,
                             int token, int composer)
{
    const int dimension = transformer->dimension, context = transformer->context,
              slots = transformer->slots;
    const int slot = (int)(state->position % context);
    state->position++;
    const int filled = pnl_transformer_state_filled(state);
    const float *token_row = transformer->token_embedding + (size_t)token * (size_t)dimension;
    const float *composer_row =
        transformer->composer_embedding + (size_t)composer * (size_t)dimension;
    float *x = state->x;
    for (int i = 0; i < dimension; i++)
        x[i] = token_row[i] + composer_row[i];

    for (int l = 0; l < transformer->layer_count; l++) {
        const Block *block = &transformer->blocks[l];
        float *keys = state->keys + (size_t)l * (size_t)slots * (size_t)dimension;
        float *values = state->values + (size_t)l * (size_t)slots * (size_t)dimension;
        layer_norm(x, block->norm1_weight, block->norm1_bias, dimension, transformer->norm_eps,
                   state->normed);
        product(transformer, state, &block->qkv, block->qkv_bias, state->normed, state->qkv);
        const float *key = state->qkv + dimension, *value = state->qkv + 2 * dimension;
        for (int d = 0; d < dimension; d++)
            keys[(size_t)d * (size_t)slots + (size_t)slot] = key[d];
        memcpy(values + (size_t)slot * (size_t)dimension, value,
               (size_t)dimension * sizeof(float));
        for (int h = 0; h < transformer->head_count; h++)
            attend(transformer, state, keys, values, state->qkv, h, filled, slot,
                   state->mixed);
        product(transformer, state, &block->out, block->out_bias, state->mixed,
                state->projected);
        for (int i = 0; i < dimension; i++)
            x[i] += state->projected[i];
        layer_norm(x, block->norm2_weight, block->norm2_bias, dimension, transformer->norm_eps,
                   state->normed);
        product(transformer, state, &block->up, block->up_bias, state->normed, state->hidden);
        gelu(state->hidden, transformer->feed_forward);
        product(transformer, state, &block->down, block->down_bias, state->hidden,
                state->projected);
        for (int i = 0; i < dimension; i++)
            x[i] += state->projected[i];
    }
    layer_norm(x, transformer->norm_weight, transformer->norm_bias, dimension,
               transformer->norm_eps, state->normed);
}

const float *pnl_transformer_step(const PnlTransformer *transformer,
                                  PnlTransformerState *state, int token, int composer,
                                  const uint8_t *allowed)
{
    pnl_transformer_advance(transformer, state, token, composer);
    const Packed *output = &transformer->output;
    if (!allowed) {
        product(transformer, state, output, transformer->output_bias, state->normed,
                state->logits);
        return state->logits;
    }
    /* Only the row blocks holding an allowed token: the sampler reads no
     * other, and each computed row is summed as in the full product. */
    float scale = output->quantized
                      ? quantize_input(transformer, state, state->normed, output->columns)
                      : 1.0f;
    for (int block = 0; block < output->rows_padded; block += ROW_BLOCK) {
        int wanted = 0;
        for (int r = block; r < block + ROW_BLOCK && r < transformer->vocab_size && !wanted; r++)
            wanted = allowed[r];
        if (wanted)
            product_rows(transformer, state, output, transformer->output_bias, state->normed,
                         block, ROW_BLOCK, state->logits, scale);
    }
    return state->logits;
}

double pnl_transformer_flops_per_step(const PnlTransformer *transformer, int filled)
{
    /* A multiply-add counts two; norms, GELU and softmax are left out. */
    double dimension = transformer->dimension, feed_forward = transformer->feed_forward;
    double matrices = 3 * dimension * dimension + dimension * dimension +
                      2 * dimension * feed_forward;
    double attention = 2.0 * filled * dimension; /* scores and the values' sum */
    return transformer->layer_count * 2.0 * (matrices + attention) +
           2.0 * transformer->vocab_size * dimension;
}

double pnl_transformer_weight_bytes_per_step(const PnlTransformer *transformer)
{
    double matrix_bytes = transformer->precision == PNL_PRECISION_INT8 ? 1.0 : sizeof(float);
    double dimension = transformer->dimension, feed_forward = transformer->feed_forward;
    double matrices = 0, floats = 2 * dimension; /* the two embedding rows */
    for (int l = 0; l < transformer->layer_count; l++) {
        const Block *block = &transformer->blocks[l];
        matrices += (double)block->qkv.rows_padded * dimension +
                    (double)block->out.rows_padded * dimension +
                    (double)block->up.rows_padded * dimension +
                    (double)block->down.rows_padded * feed_forward;
        floats += 4 * dimension + block->qkv.rows_padded + block->out.rows_padded +
                  block->up.rows_padded + block->down.rows_padded;
        if (transformer->precision == PNL_PRECISION_INT8)
            floats += block->qkv.rows_padded + block->out.rows_padded + block->up.rows_padded +
                      block->down.rows_padded; /* row scales */
    }
    matrices += (double)transformer->output.rows_padded * dimension;
    floats += 2 * dimension + transformer->output.rows_padded *
                                  (transformer->precision == PNL_PRECISION_INT8 ? 2.0 : 1.0);
    return floats * sizeof(float) + matrices * matrix_bytes;
}

double pnl_transformer_cache_bytes_per_step(const PnlTransformer *transformer, int filled)
{
    return 2.0 * transformer->layer_count * filled * transformer->dimension * sizeof(float);
}
