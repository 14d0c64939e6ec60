/* The C LSTM computes what the weights file's formula says (the PyTorch
 * parity is tests/test_parity.py; this one checks against a plain
 * double-precision reading of docs/weights-format.md written here), for sizes
 * that do and do not fill the engine's row blocks, and its state behaves:
 * reset starts over, copy continues identically, composers differ. */
#include "check.h"
#include "model.h"
#include "quantized.h"
#include "status.h"
#include "weights.h"

#include <math.h>
#include <stdint.h>

/* See test_int8_logits_have_the_same_bits_with_every_kernel. */
#define PINNED_INT8_HASH 0xb962a4db7dfac6f4ULL

static float random_weight(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1 << 24) - 0.5);
}

static PnlWeights *random_model(uint32_t vocab, uint32_t composers, uint32_t embedding,
                                uint32_t hidden, uint32_t layers, uint64_t seed)
{
    PnlWeights *weights = pnl_weights_new_lstm(1, vocab, composers, embedding, hidden, layers);
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = random_weight(&seed);
    return weights;
}

/* The formula of docs/weights-format.md in double precision. */
typedef struct {
    const PnlWeights *weights;
    double h[4][64], c[4][64];
    double logits[512];
} Reference;

static const float *tensor(const PnlWeights *weights, const char *format, int layer)
{
    char name[64];
    snprintf(name, sizeof name, format, layer);
    return pnl_weights_tensor(weights, name)->data;
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static void reference_step(Reference *ref, int token, int composer)
{
    const PnlWeights *w = ref->weights;
    int E = (int)w->embedding_size, H = (int)w->hidden_size, V = (int)w->vocab_size;
    double input[64];
    const float *tokens = tensor(w, "token_embedding", 0);
    const float *composers = tensor(w, "composer_embedding", 0);
    for (int e = 0; e < E; e++)
        input[e] = (double)tokens[token * E + e] + composers[composer * E + e];
    int input_size = E;
    for (int l = 0; l < (int)w->layer_count; l++) {
        const float *wih = tensor(w, "lstm.%d.weight_ih", l);
        const float *whh = tensor(w, "lstm.%d.weight_hh", l);
        const float *bih = tensor(w, "lstm.%d.bias_ih", l);
        const float *bhh = tensor(w, "lstm.%d.bias_hh", l);
        double gates[256];
        for (int r = 0; r < 4 * H; r++) {
            double sum = (double)bih[r] + bhh[r];
            for (int j = 0; j < input_size; j++)
                sum += (double)wih[r * input_size + j] * input[j];
            for (int j = 0; j < H; j++)
                sum += (double)whh[r * H + j] * ref->h[l][j];
            gates[r] = sum;
        }
        for (int u = 0; u < H; u++) {
            double c = sigmoid(gates[H + u]) * ref->c[l][u] +
                       sigmoid(gates[u]) * tanh(gates[2 * H + u]);
            ref->c[l][u] = c;
            ref->h[l][u] = sigmoid(gates[3 * H + u]) * tanh(c);
        }
        memcpy(input, ref->h[l], sizeof(double) * (size_t)H);
        input_size = H;
    }
    const float *wout = tensor(w, "output.weight", 0);
    const float *bout = tensor(w, "output.bias", 0);
    for (int v = 0; v < V; v++) {
        double sum = bout[v];
        for (int j = 0; j < H; j++)
            sum += (double)wout[v * H + j] * input[j];
        ref->logits[v] = sum;
    }
}

static double compare_run(uint32_t vocab, uint32_t embedding, uint32_t hidden, uint32_t layers,
                          int steps, int *failed_step)
{
    PnlWeights *weights = random_model(vocab, 3, embedding, hidden, layers, vocab * 7 + hidden);
    PnlModel *model = NULL;
    char message[256];
    if (pnl_model_new(weights, &model, message, sizeof message) != PNL_OK) {
        *failed_step = -1;
        pnl_weights_free(weights);
        return INFINITY;
    }
    PnlModelState *state = pnl_model_state_new(model);
    Reference *ref = calloc(1, sizeof *ref);
    ref->weights = weights;
    uint64_t draws = 99;
    double worst = 0;
    *failed_step = -2;
    for (int step = 0; step < steps; step++) {
        int token = (int)((random_weight(&draws) + 0.5f) * (float)vocab) % (int)vocab;
        int composer = step % 3;
        const float *logits = pnl_model_step(model, state, token, composer);
        reference_step(ref, token, composer);
        for (uint32_t v = 0; v < vocab; v++) {
            double error = fabs((double)logits[v] - ref->logits[v]);
            if (!(error <= worst))
                worst = error;
        }
    }
    free(ref);
    pnl_model_state_free(state);
    pnl_model_free(model);
    pnl_weights_free(weights);
    return worst;
}

static void test_step_matches_the_formula_when_sizes_fill_blocks(void)
{
    int failed_step;
    double worst = compare_run(32, 16, 16, 2, 60, &failed_step);
    CHECK(worst < 1e-5, "largest logit error %.3g over 60 steps, expected < 1e-5", worst);
}

static void test_step_matches_the_formula_for_ragged_sizes(void)
{
    int failed_step;
    double worst = compare_run(21, 7, 13, 3, 60, &failed_step);
    CHECK(worst < 1e-5, "largest logit error %.3g over 60 steps, expected < 1e-5", worst);
    worst = compare_run(431, 5, 1, 1, 20, &failed_step);
    CHECK(worst < 1e-5, "hidden size 1: largest logit error %.3g, expected < 1e-5", worst);
}

static void test_state_reset_copy_and_advance_repeat_a_sequence_exactly(void)
{
    PnlWeights *weights = random_model(40, 2, 8, 24, 2, 5);
    PnlModel *model = NULL;
    char message[256];
    CHECK(pnl_model_new(weights, &model, message, sizeof message) == PNL_OK, "%s", message);
    PnlModelState *first = pnl_model_state_new(model), *second = pnl_model_state_new(model);
    float after_three[40], again[40];
    for (int t = 0; t < 3; t++)
        pnl_model_step(model, first, t + 1, 1);
    pnl_model_state_copy(second, first);
    memcpy(after_three, pnl_model_step(model, first, 9, 1), sizeof after_three);
    memcpy(again, pnl_model_step(model, second, 9, 1), sizeof again);
    CHECK(memcmp(after_three, again, sizeof again) == 0,
          "a copied state gave different logits for the same token");
    pnl_model_state_reset(second);
    for (int t = 0; t < 3; t++)
        pnl_model_step(model, second, t + 1, 1);
    memcpy(again, pnl_model_step(model, second, 9, 1), sizeof again);
    CHECK(memcmp(after_three, again, sizeof again) == 0,
          "a reset state replaying the sequence gave different logits");
    pnl_model_state_reset(second);
    for (int t = 0; t < 3; t++)
        pnl_model_advance(model, second, t + 1, 1);
    memcpy(again, pnl_model_step(model, second, 9, 1), sizeof again);
    CHECK(memcmp(after_three, again, sizeof again) == 0,
          "advancing without logits left a different state than stepping");
    pnl_model_state_reset(second);
    for (int t = 0; t < 3; t++)
        pnl_model_step(model, second, t + 1, 0);
    memcpy(again, pnl_model_step(model, second, 9, 0), sizeof again);
    CHECK(memcmp(after_three, again, sizeof again) != 0,
          "another composer gave the very same logits");
    pnl_model_state_free(first);
    pnl_model_state_free(second);
    pnl_model_free(model);
    pnl_weights_free(weights);
}

static void test_step_with_a_mask_gives_the_allowed_logits_bit_for_bit(void)
{
    PnlWeights *weights = random_model(200, 2, 8, 24, 2, 8);
    PnlModel *model = NULL;
    char message[256];
    CHECK(pnl_model_new(weights, &model, message, sizeof message) == PNL_OK, "%s", message);
    PnlModelState *full = pnl_model_state_new(model), *masked = pnl_model_state_new(model);
    uint8_t allowed[200];
    for (int step = 0; step < 50; step++) {
        /* a different narrow window of allowed tokens each step */
        for (int v = 0; v < 200; v++)
            allowed[v] = v >= (step * 13) % 180 && v < (step * 13) % 180 + 3 + step % 17;
        const float *x = pnl_model_step(model, full, step * 7 % 200, step % 2);
        const float *y = pnl_model_step_allowed(model, masked, step * 7 % 200, step % 2, allowed);
        for (int v = 0; v < 200; v++)
            CHECK(!allowed[v] || memcmp(&x[v], &y[v], sizeof x[v]) == 0,
                  "step %d: allowed token %d has logit %.9g with the mask, %.9g without", step,
                  v, y[v], x[v]);
    }
    pnl_model_state_free(full);
    pnl_model_state_free(masked);
    pnl_model_free(model);
    pnl_weights_free(weights);
}

/* The model the hash tests step: 2 layers of 384, vocabulary 431. */
static PnlWeights *hash_test_weights(void)
{
    PnlWeights *weights = pnl_weights_new_lstm(1, 431, 5, 128, 384, 2);
    uint64_t seed = 3;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            weights->tensors[t].data[i] =
                (float)((int64_t)(seed >> 40) - (1 << 23)) / (1 << 23) * 0.2f;
        }
    return weights;
}

/* FNV-1a over the bits of 500 steps of logits. */
static uint64_t logits_hash(const PnlModel *model)
{
    PnlModelState *state = pnl_model_state_new(model);
    uint64_t hash = 1469598103934665603ULL;
    for (int step = 0; step < 500; step++) {
        const float *logits = pnl_model_step(model, state, (step * 37) % 431, step % 5);
        for (int v = 0; v < 431; v++) {
            uint32_t bits;
            memcpy(&bits, &logits[v], sizeof bits);
            hash = (hash ^ bits) * 1099511628211ULL;
        }
    }
    pnl_model_state_free(state);
    return hash;
}

/* The bits of the logits depend on neither the vector width nor the CPU
 * (src/lstm.c sums in a fixed order, never fuses a multiply-add, and has its
 * own exp), so a model composes the same music on every machine. This hash
 * of 500 steps of logits was taken from an SSE2 build, an AVX2 one and a
 * clang -march=native (AVX-512) one, which agreed. */
static void test_logits_have_the_same_bits_on_every_machine(void)
{
    PnlWeights *weights = hash_test_weights();
    PnlModel *model = NULL;
    char message[256];
    CHECK(pnl_model_new(weights, &model, message, sizeof message) == PNL_OK, "%s", message);
    uint64_t hash = logits_hash(model);
    CHECK(hash == 0x955adbb13acd3084ULL,
          "logits hash to %016llx, expected 955adbb13acd3084: this build rounds differently",
          (unsigned long long)hash);
    pnl_model_free(model);
    pnl_weights_free(weights);
}

/* The int8 network's sums are exact integers, so its kernels (plain C,
 * AVX2, AVX-512) give the same bits, and so does every machine: the hash is
 * pinned as for float32, and each kernel this CPU runs must reproduce it
 * (chosen through PIANOLA_INT8_KERNEL). */
static void test_int8_logits_have_the_same_bits_with_every_kernel(void)
{
    PnlWeights *weights = hash_test_weights();
    printf("# int8 kernel chosen on this CPU: %s\n",
           pnl_quantized_kernel_name(pnl_quantized_best_kernel()));
    for (int kernel = 0; kernel < PNL_KERNEL_COUNT; kernel++) {
        if (!pnl_quantized_kernel_available(kernel))
            continue;
        PnlModel *model = NULL;
        char message[256];
        setenv("PIANOLA_INT8_KERNEL", pnl_quantized_kernel_name(kernel), 1);
        int status = pnl_model_new_with_precision(weights, PNL_PRECISION_INT8, &model, message,
                                                  sizeof message);
        unsetenv("PIANOLA_INT8_KERNEL");
        CHECK(status == PNL_OK, "%s", message);
        uint64_t hash = logits_hash(model);
        pnl_model_free(model);
        CHECK(hash == PINNED_INT8_HASH,
              "int8 logits hash to %016llx with the %s kernel, expected %016llx",
              (unsigned long long)hash, pnl_quantized_kernel_name(kernel),
              (unsigned long long)PINNED_INT8_HASH);
    }
    pnl_weights_free(weights);
}

static void test_model_reports_its_composers(void)
{
    PnlWeights *weights = random_model(10, 3, 4, 4, 1, 1);
    snprintf(weights->composer_names[1], sizeof weights->composer_names[1], "brahms");
    PnlModel *model = NULL;
    char message[256];
    CHECK(pnl_model_new(weights, &model, message, sizeof message) == PNL_OK, "%s", message);
    CHECK(pnl_model_composer_count(model) == 3, "expected 3 composers, got %d",
          pnl_model_composer_count(model));
    CHECK(pnl_model_find_composer(model, "brahms") == 1, "brahms should be composer 1, got %d",
          pnl_model_find_composer(model, "brahms"));
    CHECK(pnl_model_find_composer(model, "liszt") == -1, "an unknown composer was found");
    CHECK(pnl_model_composer_name(model, 3) == NULL, "composer 3 of 3 has a name");
    pnl_model_free(model);
    pnl_weights_free(weights);
}

static void test_int8_model_stays_close_to_float32(void)
{
    PnlWeights *weights = random_model(431, 3, 32, 96, 2, 17);
    /* About PyTorch's initial scale (1/sqrt(H) = 0.1; the output layer larger, so
     * logits spread as a trained one's do): with much larger random weights
     * the recurrence turns chaotic and amplifies any rounding, which trained
     * networks do not do (a partly trained model: 0.016 of logits up to 9.6). */
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] *= t + 2 < weights->tensor_count ? 0.3f : 2.0f;
    PnlModel *exact = NULL, *quantized = NULL;
    char message[256];
    CHECK(pnl_model_new(weights, &exact, message, sizeof message) == PNL_OK, "%s", message);
    CHECK(pnl_model_new_with_precision(weights, PNL_PRECISION_INT8, &quantized, message,
                                       sizeof message) == PNL_OK,
          "%s", message);
    PnlModelState *a = pnl_model_state_new(exact), *b = pnl_model_state_new(quantized);
    double worst = 0, largest = 0;
    int differs = 0;
    for (int step = 0; step < 200; step++) {
        int token = (step * 37 + 11) % 431;
        const float *x = pnl_model_step(exact, a, token, step % 3);
        const float *y = pnl_model_step(quantized, b, token, step % 3);
        for (int v = 0; v < 431; v++) {
            double error = fabs((double)x[v] - y[v]);
            worst = error > worst ? error : worst;
            largest = fabs(x[v]) > largest ? fabs(x[v]) : largest;
            differs |= x[v] != y[v];
        }
    }
    printf("# int8: largest logit error %.4f over 200 steps (logits up to %.2f)\n", worst,
           largest);
    CHECK(differs, "int8 logits equal float32's exactly: the int8 path did not run");
    CHECK(worst < 0.02 * largest, "int8 logits differ by %.4f, more than 2%% of %.2f", worst,
          largest);
    double bytes_exact = pnl_model_weight_bytes_per_step(exact);
    double bytes_quantized = pnl_model_weight_bytes_per_step(quantized);
    CHECK(bytes_quantized < 0.3 * bytes_exact, "int8 reads %.0f bytes a step, float32 %.0f",
          bytes_quantized, bytes_exact);
    pnl_model_state_free(a);
    pnl_model_state_free(b);
    pnl_model_free(exact);
    pnl_model_free(quantized);
    pnl_weights_free(weights);
}

int main(void)
{
    RUN_TEST(test_step_matches_the_formula_when_sizes_fill_blocks);
    RUN_TEST(test_step_matches_the_formula_for_ragged_sizes);
    RUN_TEST(test_state_reset_copy_and_advance_repeat_a_sequence_exactly);
    RUN_TEST(test_step_with_a_mask_gives_the_allowed_logits_bit_for_bit);
    RUN_TEST(test_logits_have_the_same_bits_on_every_machine);
    RUN_TEST(test_int8_logits_have_the_same_bits_with_every_kernel);
    RUN_TEST(test_model_reports_its_composers);
    RUN_TEST(test_int8_model_stays_close_to_float32);
    CHECK_EXIT();
}
