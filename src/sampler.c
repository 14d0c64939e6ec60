/* Temperature, nucleus and grammar-masked sampling with a per-instance PRNG
 * (see sampler.h). The nucleus is found with a heap over the candidates, so
 * only the tokens it keeps are ordered; ties in probability are broken by
 * token id, which keeps the draws identical wherever they run. */
#include "sampler.h"

#include "hash.h"
#include "portable_math.h"
#include "status.h"
#include "vocabulary.h"

#include <math.h>
#include <stdlib.h>

struct PnlSampler {
    int vocab_size;
    PnlRng rng;
    float *weights; /* unnormalised probabilities, vocab_size */
    int *order;     /* candidate ids (heap, then the nucleus in order) */
};

void pnl_rng_seed(PnlRng *rng, uint64_t seed)
{
    /* splitmix64 never yields four zero words, the one state xoshiro
     * cannot leave. */
    for (int i = 0; i < 4; i++)
        rng->s[i] = pnl_splitmix64_next(&seed);
}

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman and Vigna). */
uint64_t pnl_rng_next(PnlRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

double pnl_rng_uniform(PnlRng *rng)
{
    return (double)(pnl_rng_next(rng) >> 11) * 0x1.0p-53;
}

PnlSampler *pnl_sampler_new(int vocab_size, uint64_t seed)
{
    if (vocab_size < 1)
        return NULL;
    PnlSampler *sampler = calloc(1, sizeof *sampler);
    if (!sampler)
        return NULL;
    sampler->vocab_size = vocab_size;
    sampler->weights = calloc((size_t)vocab_size, sizeof *sampler->weights);
    sampler->order = calloc((size_t)vocab_size, sizeof *sampler->order);
    if (!sampler->weights || !sampler->order) {
        pnl_sampler_free(sampler);
        return NULL;
    }
    pnl_rng_seed(&sampler->rng, seed);
    return sampler;
}

void pnl_sampler_free(PnlSampler *sampler)
{
    if (!sampler)
        return;
    free(sampler->weights);
    free(sampler->order);
    free(sampler);
}

void pnl_sampler_seed(PnlSampler *sampler, uint64_t seed)
{
    pnl_rng_seed(&sampler->rng, seed);
}

PnlRng pnl_sampler_rng(const PnlSampler *sampler)
{
    return sampler->rng;
}

void pnl_sampler_set_rng(PnlSampler *sampler, PnlRng rng)
{
    sampler->rng = rng;
}

/* Candidate a comes before b: more probable, or as probable and lower id. */
static int before(const float *weights, int a, int b)
{
    return weights[a] > weights[b] || (weights[a] == weights[b] && a < b);
}

static void sift_down(int *heap, int count, int at, const float *weights)
{
    for (;;) {
        int first = at, left = 2 * at + 1, right = left + 1;
        if (left < count && before(weights, heap[left], heap[first]))
            first = left;
        if (right < count && before(weights, heap[right], heap[first]))
            first = right;
        if (first == at)
            return;
        int swap = heap[at];
        heap[at] = heap[first];
        heap[first] = swap;
        at = first;
    }
}

/* Orders the most probable candidates to the front of `order` until their
 * weights reach `target`; returns how many that is (at least 1). */
static int nucleus(int *order, int count, const float *weights, double target)
{
    for (int at = count / 2 - 1; at >= 0; at--)
        sift_down(order, count, at, weights);
    /* Pop the heap's best into the back of the array, then reverse: the
     * nucleus ends up at the front, most probable first. */
    double mass = 0;
    int kept = 0, remaining = count;
    while (remaining > 0) {
        int best = order[0];
        order[0] = order[remaining - 1];
        order[remaining - 1] = best;
        remaining--;
        sift_down(order, remaining, 0, weights);
        mass += weights[best];
        kept++;
        if (mass >= target)
            break;
    }
    for (int i = 0; i < kept / 2; i++) {
        int swap = order[count - 1 - i];
        order[count - 1 - i] = order[count - kept + i];
        order[count - kept + i] = swap;
    }
    for (int i = 0; i < kept; i++)
        order[i] = order[count - kept + i];
    return kept;
}

/* Token may be drawn: allowed, finite, and of `family` unless that is
 * PNL_FAMILY_NONE. */
static int candidate(const float *logits, const uint8_t *allowed, PnlFamily family, int token)
{
    return (!allowed || allowed[token]) && isfinite(logits[token]) &&
           (family == PNL_FAMILY_NONE || pnl_token_family(token) == family);
}

/* pnl_sampler_sample among the candidates of one family (or all). */
static int sample_among(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                        PnlFamily family, float temperature, float top_p)
{
    const int vocab = sampler->vocab_size;
    int best = -1;
    for (int token = 0; token < vocab; token++) {
        if (!candidate(logits, allowed, family, token))
            continue;
        if (best < 0 || logits[token] > logits[best])
            best = token;
    }
    if (best < 0)
        return PNL_EINVAL;
    if (!(temperature > 0.0f))
        return best;

    /* Softmax numerators relative to the best logit: the best weighs 1, so
     * the sum is >= 1 and nothing underflows to an empty distribution. */
    float *weights = sampler->weights;
    int *order = sampler->order;
    int count = 0;
    double total = 0;
    const float inverse_temperature = 1.0f / temperature;
    if (!isfinite(inverse_temperature))
        return best; /* a temperature so small it is 0 */
    for (int token = 0; token < vocab; token++) {
        if (!candidate(logits, allowed, family, token))
            continue;
        /* Pianola's own exp, not libm's, so the draws are the same on every
         * machine (portable_math.h). */
        weights[token] = pnl_exp_portable((logits[token] - logits[best]) * inverse_temperature);
        total += (double)weights[token];
        order[count++] = token;
    }

    if (top_p < 1.0f && count > 1)
        count = nucleus(order, count, weights, top_p > 0.0f ? (double)top_p * total : 0.0);
    double mass = 0;
    for (int i = 0; i < count; i++)
        mass += (double)weights[order[i]];

    double point = pnl_rng_uniform(&sampler->rng) * mass;
    double running = 0;
    for (int i = 0; i < count; i++) {
        running += (double)weights[order[i]];
        if (point < running)
            return order[i];
    }
    return order[count - 1]; /* rounding left point at the very top */
}

int pnl_sampler_sample(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                       float temperature, float top_p)
{
    return sample_among(sampler, logits, allowed, PNL_FAMILY_NONE, temperature, top_p);
}

/* The natural logarithm of x > 0 in plain double arithmetic (libm's log
 * need not round alike on every machine, see portable_math.h): x = m 2^e
 * with m in [0.707, 1.414), exactly, then log m = 2 atanh((m - 1) / (m + 1))
 * by its series, whose terms fall below 1e-14 by the eighth. */
static double log_portable(double x)
{
    int exponent;
    double mantissa = frexp(x, &exponent);
    if (mantissa < 0.70710678118654752) {
        mantissa *= 2;
        exponent--;
    }
    double s = (mantissa - 1) / (mantissa + 1), s2 = s * s, term = s, sum = 0;
    for (int k = 1; k <= 15; k += 2) {
        sum += term / k;
        term *= s2;
    }
    return 2 * sum + exponent * 0.69314718055994531;
}

int pnl_sampler_sample_event(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                             float temperature, float top_p)
{
    if (sampler->vocab_size != PNL_VOCAB_SIZE)
        return PNL_EINVAL;
    /* Each family's share of the network's probability (temperature 1, no
     * nucleus), relative to the best logit so nothing underflows; a family
     * whose every token underflows still counts, with a vanishing share. */
    enum { FAMILIES = PNL_FAMILY_COUNT };
    double mass[FAMILIES] = {0};
    float best = -INFINITY;
    for (int token = 0; token < PNL_VOCAB_SIZE; token++)
        if (candidate(logits, allowed, PNL_FAMILY_NONE, token) && logits[token] > best)
            best = logits[token];
    if (!isfinite(best))
        return PNL_EINVAL;
    int families = 0;
    PnlFamily likeliest = PNL_FAMILY_NONE;
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        if (!candidate(logits, allowed, PNL_FAMILY_NONE, token))
            continue;
        PnlFamily family = pnl_token_family(token);
        families += mass[family] == 0;
        double weight = (double)pnl_exp_portable(logits[token] - best);
        mass[family] += weight > 0 ? weight : 0x1.0p-1000;
    }
    for (int f = 0; f < FAMILIES; f++)
        if (mass[f] > 0 && (likeliest == PNL_FAMILY_NONE || mass[f] > mass[likeliest]))
            likeliest = (PnlFamily)f;
    PnlFamily family = likeliest;
    const float family_temperature =
        temperature < PNL_FAMILY_TEMPERATURE_FLOOR ? PNL_FAMILY_TEMPERATURE_FLOOR : temperature;
    const float inverse_temperature = 1.0f / family_temperature;
    if (families > 1) {
        /* The shares at the temperature: each raised to 1 / temperature. */
        double weight[FAMILIES] = {0}, total = 0;
        const double top = log_portable(mass[likeliest]);
        for (int f = 0; f < FAMILIES; f++) {
            if (mass[f] == 0)
                continue;
            float exponent = (float)((log_portable(mass[f]) - top) * inverse_temperature);
            weight[f] = (double)pnl_exp_portable(exponent);
            total += weight[f];
        }
        double point = pnl_rng_uniform(&sampler->rng) * total, running = 0;
        for (int f = 0; f < FAMILIES; f++) {
            if (weight[f] == 0)
                continue;
            family = (PnlFamily)f;
            running += weight[f];
            if (point < running)
                break;
        }
    }
    return sample_among(sampler, logits, allowed, family, temperature, top_p);
}
