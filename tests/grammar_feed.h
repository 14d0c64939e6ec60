/* What the grammar's tests share: a small deterministic PRNG for random
 * walks (xorshift64*), and feeding a grammar token names. */
#ifndef PIANOLA_TESTS_GRAMMAR_FEED_H
#define PIANOLA_TESTS_GRAMMAR_FEED_H

#include <stdint.h>

#include "grammar.h"
#include "status.h"
#include "vocabulary.h"

static inline uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dULL;
}

/* Feeds names to a grammar; returns the index of the first refused token, or
 * -1 if all were accepted. */
static inline int feed(PnlGrammar *grammar, const char *const *names, int count)
{
    for (int i = 0; i < count; i++) {
        int token = pnl_token_from_name(names[i]);
        if (token < 0 || pnl_grammar_advance(grammar, token) != PNL_OK)
            return i;
    }
    return -1;
}

#define FEED(grammar, ...)                                                   \
    feed(grammar, (const char *const[]){__VA_ARGS__},                         \
         (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

#endif
