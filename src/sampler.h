/* Choosing the next token from the network's logits.
 *
 * Temperature scales the logits (0 = always the most likely token, the "best
 * guess"), nucleus (top-p) sampling keeps only the most likely tokens whose
 * probabilities add up to top_p, and a mask from the grammar (src/grammar.h,
 * pnl_grammar_mask) gives every impossible token probability 0, so decoding
 * can never run backwards in time, leave its bar or end a note twice.
 *
 * Every sampler owns its random generator (xoshiro256**, seeded from 64 bits
 * through splitmix64): no rand(), no shared state, the same seed gives the
 * same draws on every machine. Scratch space for one vocabulary is allocated
 * at creation; sampling allocates nothing and does O(V log V) work at most. */
#ifndef PIANOLA_SAMPLER_H
#define PIANOLA_SAMPLER_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} PnlRng;

void pnl_rng_seed(PnlRng *rng, uint64_t seed);
uint64_t pnl_rng_next(PnlRng *rng);
/* Uniform in [0, 1), 53 bits. */
double pnl_rng_uniform(PnlRng *rng);

typedef struct PnlSampler PnlSampler;

/* NULL when out of memory or vocab_size < 1. */
PnlSampler *pnl_sampler_new(int vocab_size, uint64_t seed);
void pnl_sampler_free(PnlSampler *sampler);

/* Restarts the draws from `seed`. */
void pnl_sampler_seed(PnlSampler *sampler, uint64_t seed);
/* The generator's state, to save (plugin state, snapshots) and restore. */
PnlRng pnl_sampler_rng(const PnlSampler *sampler);
void pnl_sampler_set_rng(PnlSampler *sampler, PnlRng rng);

/* Picks a token from vocab_size `logits`. `allowed` (may be NULL: all) holds
 * 1 for each token that may be chosen. temperature <= 0 picks the most
 * likely allowed token (the lowest id among equals) and draws nothing;
 * otherwise probabilities are softmax(logits / temperature) over the allowed
 * tokens, cut to the nucleus when top_p < 1 (top_p >= 1 keeps all; the
 * most likely token is always kept, so top_p <= 0 keeps only it). Logits
 * that are not finite count as disallowed. Returns the token, or PNL_EINVAL when no token is allowed. */
int pnl_sampler_sample(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                       float temperature, float top_p);

/* Below this temperature the kind of the next event is drawn at this one:
 * see pnl_sampler_sample_event. */
#define PNL_FAMILY_TEMPERATURE_FLOOR 1.0f

/* Picks the next event of Pianola's vocabulary (PNL_VOCAB_SIZE logits) in
 * two steps: first its family (BAR, POS, PITCH, ...), weighted by its share
 * of the network's probability (softmax(logits) summed over the family's
 * allowed tokens) raised to 1 / temperature, the temperature no lower than
 * PNL_FAMILY_TEMPERATURE_FLOOR; then the token within that family as
 * pnl_sampler_sample picks it, at `temperature` and `top_p`. A family is
 * drawn only where the grammar allows more than one (after a note: another
 * key of the chord, the next onset, or the bar line); elsewhere this is
 * pnl_sampler_sample, draws included.
 *
 * One temperature over all tokens at once favours whichever family holds
 * its mass in one token: BAR is a single token while the next onset's
 * probability is spread over up to 191 POS tokens and a chord's next key
 * over 88 PITCH tokens, so cooling the whole distribution ended bars early
 * and thinned chords out (at temperature 0 every Mozart bar ended with a
 * silent beat; docs/music-diagnosis.md). Cooling the choice of family
 * thins the music too: "another key of this chord?" is a yes-or-no question
 * asked after every note, and always answering with its likelier side turns
 * a chord of three keys at even odds into one key (Rachmaninoff at
 * temperature 0 played 4.2 notes a beat where his pieces have 9.5). So how
 * much happens -- how many keys a chord holds, how many onsets a bar -- keeps
 * the network's own odds below temperature 1, and the temperature says how
 * bold each chosen key, position, length and loudness is: at 0, the best
 * guess of each. Above 1 both grow bolder. At temperature 1 and top-p 1
 * the distribution is pnl_sampler_sample's. Returns PNL_EINVAL when no
 * token is allowed or the sampler's vocabulary is not the codec's. */
int pnl_sampler_sample_event(PnlSampler *sampler, const float *logits, const uint8_t *allowed,
                             float temperature, float top_p);

#endif
