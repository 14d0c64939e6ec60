/* Fuzz target: token streams through the grammar and the incremental
 * decoder (src/grammar.h), as the sampler and the plugin's timeline use them.
 *
 * The input is read as little-endian 16-bit token ids; every fourth id is
 * also tried as a wild int (negative, or past the vocabulary) first, since
 * the grammar must refuse those rather than index a table with them. For
 * each token the grammar's mask, pnl_grammar_allows and pnl_decoder_push
 * must agree, a refused token must leave the decoder unchanged, and a note
 * the decoder completes must be a playable one. The whole stream then goes
 * through pnl_decode, and the token-name functions are checked on each id. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "grammar.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

static void check(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fuzz_tokens: %s\n", what);
        abort();
    }
}

static void check_name(int token)
{
    char name[PNL_TOKEN_NAME_MAX];
    int length = pnl_token_name(token, name, sizeof name);
    if (token < 0 || token >= PNL_VOCAB_SIZE) {
        check(length < 0, "pnl_token_name named a token outside the vocabulary");
        check(pnl_token_family(token) == PNL_FAMILY_NONE, "a token outside the vocabulary has a family");
        return;
    }
    check(length > 0 && (size_t)length < sizeof name, "pnl_token_name failed on a vocabulary id");
    check(pnl_token_from_name(name) == token, "a token's name does not map back to it");
    check(pnl_token_family(token) != PNL_FAMILY_NONE, "a vocabulary id has no family");
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    static const int wild[] = {-1, -32768, PNL_VOCAB_SIZE, PNL_VOCAB_SIZE + 1, 65535, 1 << 30,
                               -(1 << 30), INT32_MIN + 1};
    size_t count = size / 2, i;
    uint16_t *tokens = malloc((count ? count : 1) * sizeof *tokens);
    uint8_t mask[PNL_VOCAB_SIZE];
    PnlDecoder decoder;
    PnlScore score;
    char message[256];
    int composer;
    if (!tokens)
        return 0;
    pnl_decoder_reset(&decoder);
    for (i = 0; i < count; i++) {
        int token = bytes[2 * i] | bytes[2 * i + 1] << 8;
        int allowed_count = pnl_grammar_mask(&decoder.grammar, mask);
        int allowed, pushed, n;
        PnlDecoder before = decoder;
        PnlNote note;
        tokens[i] = (uint16_t)token;

        if (i % 4 == 3) {
            int odd = wild[token % (int)(sizeof wild / sizeof wild[0])];
            check(!pnl_grammar_allows(&decoder.grammar, odd), "the grammar allows a wild id");
            check(pnl_decoder_push(&decoder, odd, &note) == PNL_EINVAL,
                  "the decoder accepted a wild id");
            check(memcmp(&before, &decoder, sizeof decoder) == 0,
                  "a refused wild id changed the decoder");
            check_name(odd);
        }
        /* Keep most tokens inside the vocabulary so streams get somewhere. */
        if (token >= PNL_VOCAB_SIZE && token < 0x8000)
            token %= PNL_VOCAB_SIZE;
        check_name(token);

        for (n = 0; n < PNL_VOCAB_SIZE; n++)
            allowed_count -= mask[n] != 0;
        check(allowed_count == 0, "pnl_grammar_mask's count differs from its mask");
        check(pnl_grammar_finished(&decoder.grammar) ||
                  pnl_grammar_mask(&decoder.grammar, mask) > 0,
              "the grammar allows nothing before END");
        check(!pnl_grammar_finished(&decoder.grammar) ||
                  pnl_grammar_mask(&decoder.grammar, mask) == 0,
              "the grammar allows tokens after END");

        allowed = pnl_grammar_allows(&decoder.grammar, token);
        check(token < 0 || token >= PNL_VOCAB_SIZE || allowed == mask[token],
              "pnl_grammar_allows disagrees with pnl_grammar_mask");
        pushed = pnl_decoder_push(&decoder, token, &note);
        if (!allowed) {
            check(pushed == PNL_EINVAL, "the decoder accepted a token the grammar forbids");
            check(memcmp(&before, &decoder, sizeof decoder) == 0,
                  "a refused token changed the decoder");
            continue;
        }
        check(pushed == 0 || pushed == 1, "the decoder returned an odd status for a legal token");
        if (pushed == 1) {
            check(note.pitch >= PNL_LOWEST_PITCH && note.pitch <= PNL_HIGHEST_PITCH,
                  "a decoded note is off the keyboard");
            check(note.velocity >= 1 && note.velocity <= 127, "a decoded note has a bad velocity");
            check(note.duration_ticks >= 1 && note.duration_ticks <= PNL_MAX_DURATION_TICKS,
                  "a decoded note has a bad duration");
            check(note.onset_ticks >= 0, "a decoded note starts before the piece");
        }
        check(pnl_grammar_onset_ticks(&decoder.grammar) >= -1, "the onset ran before the piece");
    }

    pnl_score_init(&score);
    if (pnl_decode(tokens, count, &score, &composer, message, sizeof message) == PNL_OK) {
        size_t needed = 0;
        for (i = 0; i < score.note_count; i++)
            check(score.notes[i].pitch >= PNL_LOWEST_PITCH &&
                      score.notes[i].pitch <= PNL_HIGHEST_PITCH,
                  "pnl_decode produced a note off the keyboard");
        /* Whatever decodes must encode again (under its own composer, or
         * the first when the stream named none). */
        if (composer < 0)
            composer = 0;
        {
            int status = pnl_encode(&score, composer, NULL, 0, &needed, message, sizeof message);
            check(status == PNL_ENOMEM || status == PNL_ERANGE,
                  "a decoded score could not be encoded");
        }
    } else {
        check(message[0] != '\0', "pnl_decode failed without a message");
    }
    pnl_score_free(&score);
    free(tokens);
    return 0;
}
