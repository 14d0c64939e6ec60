/* The transformer engine (src/transformer.c) behind the model interface:
 * its window slides as documented, a copied or reset state goes on as it
 * should, the masked step computes the allowed logits bit for bit, the int8
 * matrices stay within their stated tolerance of float32, and a state's
 * memory is what the engine budgets. PyTorch parity (1e-4 over 1,024 steps)
 * is tests/test_parity.py's. */
#include "check.h"
#include "model.h"
#include "status.h"
#include "weights.h"

#include <math.h>
#include <stdint.h>

enum { VOCAB = 50, COMPOSERS = 3, CONTEXT = 16 };

static float gaussian(uint64_t *state)
{
    double sum = 0.0;
    for (int i = 0; i < 4; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        sum += (double)(*state >> 11) / (double)(1ull << 53);
    }
    return (float)((sum - 2.0) * 1.7320508);
}

/* A random transformer of `layers` blocks (dimension 24, 4 heads, window
 * CONTEXT), weights of a trained network's spread. */
static PnlModel *random_model(uint32_t layers, PnlPrecision precision)
{
    PnlWeights *weights =
        pnl_weights_new_transformer(0x1234, VOCAB, COMPOSERS, 24, 4, layers, CONTEXT, 40);
    uint64_t seed = 99 + layers;
    for (uint32_t t = 0; t < weights->tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        if (strcmp(tensor->name, "alibi_slopes") == 0)
            continue;
        int norm = strstr(tensor->name, "norm") != NULL;
        for (size_t i = 0; i < tensor->count; i++)
            tensor->data[i] = (norm ? tensor->data[i] : 0.0f) + 0.3f * gaussian(&seed);
    }
    PnlModel *model = NULL;
    char message[256];
    if (pnl_model_new_with_precision(weights, precision, &model, message, sizeof message))
        printf("# %s\n", message);
    pnl_weights_free(weights);
    return model;
}

static int token_at(int step)
{
    return (step * 7 + step / 3) % VOCAB;
}

static float largest_difference(const float *a, const float *b, int count)
{
    float worst = 0.0f;
    for (int i = 0; i < count; i++)
        worst = fabsf(a[i] - b[i]) > worst ? fabsf(a[i] - b[i]) : worst;
    return worst;
}

/* With one block a key and a value depend on their token alone, so past
 * the window the logits are those of a fresh state fed just the window's
 * tokens: nothing older is heard, and the ring holds the window in order. */
static void test_a_full_window_hears_only_its_last_tokens(void)
{
    PnlModel *model = random_model(1, PNL_PRECISION_FLOAT32);
    CHECK(model, "no model");
    CHECK(pnl_model_context_length(model) == CONTEXT, "context %d",
          pnl_model_context_length(model));
    PnlModelState *long_state = pnl_model_state_new(model), *fresh = pnl_model_state_new(model);
    float sliding[VOCAB], window_only[VOCAB];
    float worst = 0.0f;
    for (int end = CONTEXT; end < 3 * CONTEXT + 5; end++) {
        pnl_model_state_reset(long_state);
        for (int step = 0; step < end; step++)
            memcpy(sliding, pnl_model_step(model, long_state, token_at(step), 1), sizeof sliding);
        pnl_model_state_reset(fresh);
        for (int step = end - CONTEXT; step < end; step++)
            memcpy(window_only, pnl_model_step(model, fresh, token_at(step), 1),
                   sizeof window_only);
        float difference = largest_difference(sliding, window_only, VOCAB);
        worst = difference > worst ? difference : worst;
        CHECK(pnl_model_state_filled(long_state) == CONTEXT, "%d tokens in the window",
              pnl_model_state_filled(long_state));
    }
    /* Only the order of the softmax's sums differs (the ring starts
     * anywhere). */
    CHECK(worst < 1e-5f, "after more tokens than the window, logits differ from the window's "
          "alone by %g", (double)worst);
    /* And with one token more than the window heard, the oldest one counts. */
    pnl_model_state_reset(fresh);
    for (int step = 0; step <= CONTEXT; step++)
        memcpy(window_only, pnl_model_step(model, fresh, token_at(step == 0 ? 3 : step), 1),
               sizeof window_only);
    pnl_model_state_reset(long_state);
    for (int step = 0; step <= CONTEXT; step++)
        memcpy(sliding, pnl_model_step(model, long_state, token_at(step), 1), sizeof sliding);
    CHECK(largest_difference(sliding, window_only, VOCAB) < 1e-5f,
          "a token that slid out of the window still changes the logits");
    pnl_model_state_free(long_state);
    pnl_model_state_free(fresh);
    pnl_model_free(model);
}

/* A copy taken while the window fills and one taken when it is full go on
 * bit for bit as the original; a reset starts afresh. */
static void test_copied_and_reset_states_go_on_exactly(void)
{
    PnlModel *model = random_model(2, PNL_PRECISION_FLOAT32);
    CHECK(model, "no model");
    PnlModelState *state = pnl_model_state_new(model), *copy = pnl_model_state_new(model),
                  *fresh = pnl_model_state_new(model);
    float original[VOCAB];
    for (int at = 5; at <= 2 * CONTEXT + 3; at += CONTEXT + 1) {
        pnl_model_state_reset(state);
        for (int step = 0; step < at; step++)
            pnl_model_advance(model, state, token_at(step), 2);
        /* A copy over a state that heard something else. */
        for (int step = 0; step < 2 * CONTEXT; step++)
            pnl_model_advance(model, copy, token_at(step + 11), 0);
        pnl_model_state_copy(copy, state);
        for (int step = at; step < at + 2 * CONTEXT; step++) {
            memcpy(original, pnl_model_step(model, state, token_at(step), 2), sizeof original);
            const float *copied = pnl_model_step(model, copy, token_at(step), 2);
            CHECK(memcmp(original, copied, sizeof original) == 0,
                  "copied after %d tokens: logits differ at step %d", at, step);
        }
    }
    pnl_model_state_reset(state);
    for (int step = 0; step < 20; step++) {
        memcpy(original, pnl_model_step(model, state, token_at(step), 1), sizeof original);
        const float *again = pnl_model_step(model, fresh, token_at(step), 1);
        CHECK(memcmp(original, again, sizeof original) == 0,
              "a reset state and a new one differ at step %d", step);
    }
    pnl_model_state_free(state);
    pnl_model_state_free(copy);
    pnl_model_state_free(fresh);
    pnl_model_free(model);
}

/* The grammar's mask: the allowed logits are the full step's, bit for bit,
 * in both precisions. */
static void test_a_masked_step_computes_the_allowed_logits_exactly(void)
{
    for (int precision = 0; precision < 2; precision++) {
        PnlModel *model = random_model(2, (PnlPrecision)precision);
        CHECK(model, "no model");
        PnlModelState *full = pnl_model_state_new(model), *masked = pnl_model_state_new(model);
        uint8_t allowed[VOCAB];
        float expected[VOCAB];
        for (int step = 0; step < 3 * CONTEXT; step++) {
            for (int v = 0; v < VOCAB; v++)
                allowed[v] = (v * 5 + step) % 11 == 0;
            memcpy(expected, pnl_model_step(model, full, token_at(step), 0), sizeof expected);
            const float *got =
                pnl_model_step_allowed(model, masked, token_at(step), 0, allowed);
            for (int v = 0; v < VOCAB; v++)
                CHECK(!allowed[v] || memcmp(&got[v], &expected[v], sizeof(float)) == 0,
                      "%s step %d token %d: %g, the full step gives %g",
                      precision ? "int8" : "float32", step, v, (double)got[v],
                      (double)expected[v]);
        }
        pnl_model_state_free(full);
        pnl_model_state_free(masked);
        pnl_model_free(model);
    }
}

/* The int8 matrices move the logits by at most 0.1, the LSTM's tolerance
 * (0.065 here, where they span about 8; docs/engine.md). */
static void test_int8_logits_stay_within_the_stated_tolerance(void)
{
    PnlModel *exact = random_model(2, PNL_PRECISION_FLOAT32);
    PnlModel *coded = random_model(2, PNL_PRECISION_INT8);
    CHECK(exact && coded, "no model");
    PnlModelState *a = pnl_model_state_new(exact), *b = pnl_model_state_new(coded);
    float worst = 0.0f, spread = 0.0f;
    for (int step = 0; step < 4 * CONTEXT; step++) {
        const float *x = pnl_model_step(exact, a, token_at(step), 1);
        const float *y = pnl_model_step(coded, b, token_at(step), 1);
        float difference = largest_difference(x, y, VOCAB);
        worst = difference > worst ? difference : worst;
        float low = x[0], high = x[0];
        for (int v = 1; v < VOCAB; v++) {
            low = x[v] < low ? x[v] : low;
            high = x[v] > high ? x[v] : high;
        }
        spread = high - low > spread ? high - low : spread;
    }
    printf("# int8 against float32: largest logit difference %.4f, logits spanning up to %.2f\n",
           (double)worst, (double)spread);
    CHECK(worst > 0.0f, "the int8 model gave float32's logits exactly: is it quantized?");
    CHECK(worst < 0.1f, "int8 logits differ from float32's by %g", (double)worst);
    CHECK(pnl_model_weight_bytes_per_step(coded) < 0.4 * pnl_model_weight_bytes_per_step(exact),
          "int8 reads %.0f bytes a step, float32 %.0f",
          pnl_model_weight_bytes_per_step(coded), pnl_model_weight_bytes_per_step(exact));
    pnl_model_state_free(a);
    pnl_model_state_free(b);
    pnl_model_free(exact);
    pnl_model_free(coded);
}

/* What a state holds is its cache (2 x layers x slots x dimension floats,
 * the slots the context rounded up to 32) and a little scratch; a step's
 * cost grows with the window's fill. */
static void test_state_memory_and_cost_are_the_caches(void)
{
    PnlModel *model = random_model(2, PNL_PRECISION_FLOAT32);
    CHECK(model, "no model");
    size_t slots = (CONTEXT + 31) / 32 * 32, cache = 2 * 2 * CONTEXT * 24 * sizeof(float);
    size_t held = 2 * 2 * slots * 24 * sizeof(float), bytes = pnl_model_state_bytes(model);
    CHECK(bytes >= held && bytes < held + 4096, "a state of %zu bytes for a %zu-byte cache",
          bytes, held);
    CHECK(pnl_model_flops_per_step_at(model, CONTEXT) > pnl_model_flops_per_step_at(model, 1),
          "a full window costs no more than an empty one");
    CHECK(pnl_model_state_bytes_per_step_at(model, CONTEXT) == (double)cache,
          "a full window's step reads %.0f bytes of cache, expected %zu",
          pnl_model_state_bytes_per_step_at(model, CONTEXT), cache);
    pnl_model_free(model);
}

int main(void)
{
    RUN_TEST(test_a_full_window_hears_only_its_last_tokens);
    RUN_TEST(test_copied_and_reset_states_go_on_exactly);
    RUN_TEST(test_a_masked_step_computes_the_allowed_logits_exactly);
    RUN_TEST(test_int8_logits_stay_within_the_stated_tolerance);
    RUN_TEST(test_state_memory_and_cost_are_the_caches);
    CHECK_EXIT();
}
