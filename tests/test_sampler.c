/* The sampler draws only what the mask allows, follows the softmax at its
 * temperature, keeps to the nucleus, takes the best guess at temperature 0,
 * and repeats its draws exactly for a seed while other seeds and other
 * instances go their own way. Expected distributions are computed here from
 * the logits, independently of the sampler's code. */
#include "check.h"
#include "sampler.h"
#include "status.h"
#include "vocabulary.h"

#include <math.h>
#include <stdint.h>

enum { VOCAB = 12, DRAWS = 20000 };

/* Logits whose softmax at temperature 1 is `probabilities`. */
static void logits_of(const double *probabilities, float *logits, int count)
{
    for (int i = 0; i < count; i++)
        logits[i] = probabilities[i] > 0 ? (float)log(probabilities[i]) : -INFINITY;
}

static void count_draws(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                        float temperature, float top_p, int *counts)
{
    memset(counts, 0, sizeof(int) * VOCAB);
    for (int d = 0; d < DRAWS; d++) {
        int token = pnl_sampler_sample(sampler, logits, allowed, temperature, top_p);
        if (token >= 0 && token < VOCAB)
            counts[token]++;
        else
            counts[0] = -1000000; /* poisons the check below */
    }
}

static void test_temperature_zero_takes_the_most_likely_allowed_token(void)
{
    PnlSampler *sampler = pnl_sampler_new(VOCAB, 7);
    float logits[VOCAB] = {0, 1, 5, 2, 9, 3, 5, 0, 0, 0, 0, 0};
    uint8_t allowed[VOCAB] = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1};
    PnlRng before = pnl_sampler_rng(sampler);
    int token = pnl_sampler_sample(sampler, logits, NULL, 0.0f, 0.9f);
    CHECK(token == 4, "unmasked best guess should be token 4, got %d", token);
    token = pnl_sampler_sample(sampler, logits, allowed, 0.0f, 1.0f);
    CHECK(token == 2, "with 4 masked the best guess is 2 (tied with 6, lower id), got %d", token);
    token = pnl_sampler_sample(sampler, logits, allowed, 1e-39f, 1.0f);
    CHECK(token == 2, "a vanishing temperature should act as 0 and give 2, got %d", token);
    PnlRng after = pnl_sampler_rng(sampler);
    CHECK(memcmp(&before, &after, sizeof before) == 0, "temperature 0 consumed random draws");
    pnl_sampler_free(sampler);
}

static void test_masked_tokens_are_never_drawn(void)
{
    PnlSampler *sampler = pnl_sampler_new(VOCAB, 11);
    float logits[VOCAB];
    uint8_t allowed[VOCAB];
    for (int i = 0; i < VOCAB; i++) {
        logits[i] = (float)(i % 4);
        allowed[i] = i % 3 == 1;
    }
    int counts[VOCAB];
    count_draws(sampler, logits, allowed, 2.0f, 1.0f, counts);
    for (int i = 0; i < VOCAB; i++) {
        CHECK(allowed[i] || counts[i] == 0, "masked token %d was drawn %d times", i, counts[i]);
        CHECK(!allowed[i] || counts[i] > 0, "allowed token %d was never drawn", i);
    }
    pnl_sampler_free(sampler);
}

static void test_everything_masked_is_an_error(void)
{
    PnlSampler *sampler = pnl_sampler_new(VOCAB, 1);
    float logits[VOCAB] = {0};
    uint8_t allowed[VOCAB] = {0};
    int token = pnl_sampler_sample(sampler, logits, allowed, 1.0f, 0.9f);
    CHECK(token == PNL_EINVAL, "expected PNL_EINVAL with every token masked, got %d", token);
    token = pnl_sampler_sample(sampler, logits, allowed, 0.0f, 0.9f);
    CHECK(token == PNL_EINVAL, "expected PNL_EINVAL at temperature 0 too, got %d", token);
    float nan_logits[VOCAB];
    for (int i = 0; i < VOCAB; i++)
        nan_logits[i] = NAN;
    token = pnl_sampler_sample(sampler, nan_logits, NULL, 1.0f, 1.0f);
    CHECK(token == PNL_EINVAL, "expected PNL_EINVAL when every logit is NaN, got %d", token);
    pnl_sampler_free(sampler);
}

/* A hostile model's NaN or infinite logits are forbidden, never drawn: an
 * infinite logit would otherwise win every draw, and a NaN break the sums. */
static void test_non_finite_logits_are_never_drawn(void)
{
    PnlSampler *sampler = pnl_sampler_new(VOCAB, 5);
    float logits[VOCAB] = {NAN, 1, INFINITY, 2, -INFINITY, 0.5f, NAN, 3, INFINITY, 1, -NAN, 2};
    const int finite[VOCAB] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    static const float temperatures[] = {0.0f, 0.5f, 1.0f, 2.0f};
    static const float top_ps[] = {1.0f, 0.9f, 0.3f, 0.0f};
    for (int t = 0; t < 4; t++) {
        for (int p = 0; p < 4; p++) {
            int counts[VOCAB];
            count_draws(sampler, logits, NULL, temperatures[t], top_ps[p], counts);
            for (int i = 0; i < VOCAB; i++)
                CHECK(counts[i] >= 0 && (finite[i] || counts[i] == 0),
                      "temperature %.1f top_p %.1f: token %d (logit %g) drawn %d times",
                      temperatures[t], top_ps[p], i, logits[i], counts[i]);
        }
    }
    int token = pnl_sampler_sample(sampler, logits, NULL, 0.0f, 1.0f);
    CHECK(token == 7, "the best finite logit is token 7's, got %d", token);
    /* Only non-finite logits left allowed: no token, an error. */
    uint8_t allowed[VOCAB];
    for (int i = 0; i < VOCAB; i++)
        allowed[i] = !finite[i];
    for (int t = 0; t < 2; t++) {
        token = pnl_sampler_sample(sampler, logits, allowed, t ? 1.0f : 0.0f, 0.9f);
        CHECK(token == PNL_EINVAL,
              "temperature %d: expected PNL_EINVAL with only non-finite logits allowed, got %d",
              t, token);
    }
    pnl_sampler_free(sampler);
}

static void test_draws_follow_the_softmax_at_the_temperature(void)
{
    static const double p[VOCAB] = {0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01, 0, 0};
    float logits[VOCAB];
    logits_of(p, logits, VOCAB);
    for (int pass = 0; pass < 2; pass++) {
        float temperature = pass ? 2.0f : 1.0f;
        double expected[VOCAB], total = 0;
        for (int i = 0; i < VOCAB; i++)
            total += expected[i] = p[i] > 0 ? pow(p[i], 1.0 / temperature) : 0;
        PnlSampler *sampler = pnl_sampler_new(VOCAB, 1234 + pass);
        int counts[VOCAB];
        count_draws(sampler, logits, NULL, temperature, 1.0f, counts);
        for (int i = 0; i < VOCAB; i++) {
            double share = (double)counts[i] / DRAWS, want = expected[i] / total;
            /* five standard deviations of a binomial share */
            double tolerance = 5 * sqrt(want * (1 - want) / DRAWS) + 1e-9;
            CHECK(fabs(share - want) <= tolerance,
                  "temperature %.1f: token %d drawn %.4f of the time, expected %.4f +- %.4f",
                  temperature, i, share, want, tolerance);
        }
        pnl_sampler_free(sampler);
    }
}

static void test_top_p_keeps_only_the_nucleus(void)
{
    static const double p[VOCAB] = {0.05, 0.3, 0.1, 0.5, 0.05, 0, 0, 0, 0, 0, 0, 0};
    float logits[VOCAB];
    logits_of(p, logits, VOCAB);
    /* Sorted: 3 (0.5), 1 (0.3), 2 (0.1), ... 0.5 < 0.75 <= 0.8: the nucleus
     * of 0.75 is {3, 1}, renormalised to 0.625 and 0.375. */
    PnlSampler *sampler = pnl_sampler_new(VOCAB, 99);
    int counts[VOCAB];
    count_draws(sampler, logits, NULL, 1.0f, 0.75f, counts);
    for (int i = 0; i < VOCAB; i++)
        CHECK(i == 1 || i == 3 || counts[i] == 0, "token %d outside the nucleus drawn %d times",
              i, counts[i]);
    double share = (double)counts[3] / DRAWS;
    CHECK(fabs(share - 0.625) < 0.02, "token 3 drawn %.4f of the time, expected 0.625", share);
    /* 0.85 needs the third token too. With token 3 masked the rest
     * renormalises to 1: 0.6, 2: 0.2, 0: 0.1, 4: 0.1, so 1 alone is the
     * nucleus of 0.55. */
    count_draws(sampler, logits, NULL, 1.0f, 0.85f, counts);
    CHECK(counts[2] > 0 && counts[0] == 0 && counts[4] == 0,
          "top-p 0.85: expected {3, 1, 2}, got counts 0:%d 2:%d 4:%d", counts[0], counts[2],
          counts[4]);
    uint8_t allowed[VOCAB] = {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    count_draws(sampler, logits, allowed, 1.0f, 0.55f, counts);
    CHECK(counts[1] == DRAWS, "masked nucleus of 0.55 should be token 1 alone, got %d of %d",
          counts[1], DRAWS);
    count_draws(sampler, logits, NULL, 1.0f, 0.0f, counts);
    CHECK(counts[3] == DRAWS, "top-p 0 should keep only the most likely token, got %d of %d",
          counts[3], DRAWS);
    pnl_sampler_free(sampler);
}

static void test_same_seed_repeats_and_other_seeds_differ(void)
{
    float logits[VOCAB];
    for (int i = 0; i < VOCAB; i++)
        logits[i] = (float)(i % 5) * 0.3f;
    PnlSampler *first = pnl_sampler_new(VOCAB, 42), *second = pnl_sampler_new(VOCAB, 42),
               *other = pnl_sampler_new(VOCAB, 43);
    int same = 1, differs = 0;
    for (int d = 0; d < 200; d++) {
        int a = pnl_sampler_sample(first, logits, NULL, 1.0f, 0.95f);
        /* an unrelated instance drawing in between must not disturb `second` */
        pnl_sampler_sample(other, logits, NULL, 1.0f, 0.95f);
        int b = pnl_sampler_sample(second, logits, NULL, 1.0f, 0.95f);
        same &= a == b;
    }
    CHECK(same, "two samplers seeded 42 drew different tokens");
    pnl_sampler_seed(first, 42);
    pnl_sampler_seed(other, 43);
    for (int d = 0; d < 200; d++)
        differs += pnl_sampler_sample(first, logits, NULL, 1.0f, 0.95f) !=
                   pnl_sampler_sample(other, logits, NULL, 1.0f, 0.95f);
    CHECK(differs > 50, "seeds 42 and 43 agreed on %d of 200 draws", 200 - differs);
    PnlRng saved = pnl_sampler_rng(first);
    int again[20], replay[20];
    for (int d = 0; d < 20; d++)
        again[d] = pnl_sampler_sample(first, logits, NULL, 1.0f, 0.95f);
    pnl_sampler_set_rng(first, saved);
    for (int d = 0; d < 20; d++)
        replay[d] = pnl_sampler_sample(first, logits, NULL, 1.0f, 0.95f);
    CHECK(memcmp(again, replay, sizeof again) == 0, "restoring the saved generator did not replay");
    pnl_sampler_free(first);
    pnl_sampler_free(second);
    pnl_sampler_free(other);
}

static void test_uniform_draws_cover_the_unit_interval(void)
{
    PnlRng rng;
    pnl_rng_seed(&rng, 0);
    double sum = 0, low = 1, high = 0;
    for (int i = 0; i < 100000; i++) {
        double u = pnl_rng_uniform(&rng);
        CHECK(u >= 0.0 && u < 1.0, "draw %d is %.17g, outside [0, 1)", i, u);
        sum += u;
        low = u < low ? u : low;
        high = u > high ? u : high;
    }
    CHECK(fabs(sum / 100000 - 0.5) < 0.005 && low < 1e-3 && high > 1 - 1e-3,
          "mean %.4f, min %.5f, max %.5f: not uniform", sum / 100000, low, high);
}

/* After a note at POS_48 of a 4/4 bar: the bar line at 0.09, the next
 * onset at 0.81 spread over the 47 positions left (the likeliest 0.06), a
 * chord's next key at 0.10 over 20 keys. */
static void after_a_note(float *logits, uint8_t *allowed)
{
    double p[PNL_VOCAB_SIZE] = {0};
    p[PNL_TOKEN_BAR] = 0.09;
    for (int position = 49; position < 96; position++)
        p[pnl_token_pos(position)] = position == 72 ? 0.06 : 0.75 / 46;
    for (int key = 60; key < 80; key++)
        p[pnl_token_pitch(key)] = 0.10 / 20;
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        allowed[token] = p[token] > 0;
        logits[token] = p[token] > 0 ? (float)log(p[token]) : -3.0f;
    }
}

static void test_events_keep_the_odds_of_their_family(void)
{
    enum { EVENT_DRAWS = 20000 };
    float logits[PNL_VOCAB_SIZE];
    uint8_t allowed[PNL_VOCAB_SIZE];
    after_a_note(logits, allowed);
    PnlSampler *sampler = pnl_sampler_new(PNL_VOCAB_SIZE, 5);
    CHECK(pnl_sampler_sample(sampler, logits, allowed, 0.0f, 1.0f) == PNL_TOKEN_BAR,
          "the likeliest single token should be BAR");
    const float temperatures[] = {0.0f, 0.5f, 1.0f, 1.5f};
    for (size_t t = 0; t < sizeof temperatures / sizeof *temperatures; t++) {
        /* The families' shares 0.09, 0.81, 0.10 raised to 1 / temperature,
         * the temperature at least the floor. */
        double share[3] = {0.09, 0.81, 0.10}, total = 0;
        double family_temperature = fmax(temperatures[t], PNL_FAMILY_TEMPERATURE_FLOOR);
        for (int f = 0; f < 3; f++) {
            share[f] = pow(share[f], 1.0 / family_temperature);
            total += share[f];
        }
        int bars = 0, positions = 0, keys = 0, best_position = 0;
        for (int d = 0; d < EVENT_DRAWS; d++) {
            int token = pnl_sampler_sample_event(sampler, logits, allowed, temperatures[t], 0.9f);
            CHECK(token >= 0 && allowed[token], "drew %d, which is not allowed", token);
            if (token < 0)
                break;
            bars += token == PNL_TOKEN_BAR;
            positions += pnl_token_family(token) == PNL_FAMILY_POS;
            keys += pnl_token_family(token) == PNL_FAMILY_PITCH;
            best_position += token == pnl_token_pos(72);
        }
        CHECK(fabs(bars / (double)EVENT_DRAWS - share[0] / total) < 0.01 &&
                  fabs(positions / (double)EVENT_DRAWS - share[1] / total) < 0.015 &&
                  fabs(keys / (double)EVENT_DRAWS - share[2] / total) < 0.01,
              "temperature %.1f: BAR %d, POS %d, PITCH %d of %d draws, expected %.3f %.3f %.3f",
              temperatures[t], bars, positions, keys, EVENT_DRAWS, share[0] / total,
              share[1] / total, share[2] / total);
        if (temperatures[t] == 0.0f)
            CHECK(best_position == positions, "at temperature 0 the likeliest position "
                  "should follow every onset, %d of %d did", best_position, positions);
    }
    pnl_sampler_free(sampler);
}

static void test_events_of_one_family_are_drawn_as_before(void)
{
    float logits[PNL_VOCAB_SIZE];
    uint8_t allowed[PNL_VOCAB_SIZE] = {0};
    for (int token = 0; token < PNL_VOCAB_SIZE; token++)
        logits[token] = (float)(token % 7) * 0.3f;
    for (int level = 0; level < PNL_DUR_COUNT; level++)
        allowed[PNL_TOKEN_DUR_BASE + level] = 1;
    PnlSampler *plain = pnl_sampler_new(PNL_VOCAB_SIZE, 9);
    PnlSampler *event = pnl_sampler_new(PNL_VOCAB_SIZE, 9);
    for (int d = 0; d < 500; d++) {
        float temperature = d % 3 == 0 ? 0.0f : 0.8f;
        int a = pnl_sampler_sample(plain, logits, allowed, temperature, 0.9f);
        int b = pnl_sampler_sample_event(event, logits, allowed, temperature, 0.9f);
        CHECK(a == b, "draw %d: %d against %d", d, a, b);
        if (a != b)
            break;
    }
    PnlSampler *other = pnl_sampler_new(12, 1);
    CHECK(pnl_sampler_sample_event(other, logits, NULL, 1.0f, 1.0f) == PNL_EINVAL,
          "a vocabulary that is not the codec's has no families");
    pnl_sampler_free(other);
    pnl_sampler_free(plain);
    pnl_sampler_free(event);
}

int main(void)
{
    RUN_TEST(test_temperature_zero_takes_the_most_likely_allowed_token);
    RUN_TEST(test_masked_tokens_are_never_drawn);
    RUN_TEST(test_everything_masked_is_an_error);
    RUN_TEST(test_non_finite_logits_are_never_drawn);
    RUN_TEST(test_draws_follow_the_softmax_at_the_temperature);
    RUN_TEST(test_top_p_keeps_only_the_nucleus);
    RUN_TEST(test_same_seed_repeats_and_other_seeds_differ);
    RUN_TEST(test_uniform_draws_cover_the_unit_interval);
    RUN_TEST(test_events_keep_the_odds_of_their_family);
    RUN_TEST(test_events_of_one_family_are_drawn_as_before);
    CHECK_EXIT();
}
