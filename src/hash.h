/* The two small hashes Pianola uses, each written once.
 *
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014; the constants of Vigna's reference code) turns a
 * 64-bit value into 64 well-mixed bits: it seeds the sampler's xoshiro256**,
 * gives neighbouring seeds unrelated keys, gives each humanized note its own
 * randomness and each composed stretch its own seed.
 *
 * FNV-1a (64-bit, Fowler, Noll and Vo) hashes bytes: the vocabulary's
 * signature (docs/vocabulary.md), which weights files carry, and the
 * tokenizer's fixed order of works for the validation split.
 *
 * Both are part of file formats and of "the same seed gives the same notes":
 * changing either changes saved sessions, weights files and the music. */
#ifndef PIANOLA_HASH_H
#define PIANOLA_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Advances `*state` by SplitMix64's increment and returns the mix of the
 * new state: successive calls give the SplitMix64 sequence. */
uint64_t pnl_splitmix64_next(uint64_t *state);

/* The first SplitMix64 output from state `value`: a stateless hash, for
 * randomness that depends only on where it is asked for. */
uint64_t pnl_splitmix64(uint64_t value);

/* FNV-1a's starting value (the offset basis). */
#define PNL_FNV1A_START 0xcbf29ce484222325ULL

/* Continues an FNV-1a hash with `size` bytes; start from PNL_FNV1A_START. */
uint64_t pnl_fnv1a_add(uint64_t hash, const void *bytes, size_t size);

/* FNV-1a of a string's bytes (without its terminating zero). */
uint64_t pnl_fnv1a_string(const char *text);

#endif
