/* A MIDI file to tokens; see tokenize.h. */
#include "tokenize.h"

#include <stdio.h>
#include <stdlib.h>

#include "codec.h"
#include "score.h"
#include "status.h"

enum { REASON_SIZE = 1024 };

/* The prompt's key, from its notes as played; notes that the shift would
 * move off the network's keyboard are then left out. */
static void fit_prompt_to_key_frame(PnlScore *score, uint64_t seed, PnlTokenized *out)
{
    PnlKeyHistogram histogram;
    pnl_key_histogram_clear(&histogram);
    for (size_t i = 0; i < score->note_count; i++)
        pnl_key_histogram_add(&histogram, score->notes[i].pitch, score->notes[i].duration_ticks);
    pnl_key_estimate(&histogram, &out->key);
    out->key_shift = pnl_key_shift_of_prompt_or_seed(&histogram, seed);
    size_t kept = 0;
    for (size_t i = 0; i < score->note_count; i++)
        if (pnl_key_shift_keeps_on_piano(score->notes[i].pitch, out->key_shift))
            score->notes[kept++] = score->notes[i];
    score->note_count = kept;
}

static int encode(const char *path, const PnlScore *score, int composer, int source,
                  int density_bars, PnlTokenized *out, char *message, size_t message_size)
{
    char reason[REASON_SIZE] = "";
    size_t needed = 0;
    /* The first call only measures the piece. */
    int status = pnl_encode_piece(score, composer, source, density_bars, NULL, 0, &needed,
                                  reason, sizeof reason);
    if (status == PNL_ENOMEM) {
        out->tokens = malloc((needed ? needed : 1) * sizeof *out->tokens);
        if (out->tokens)
            status = pnl_encode_piece(score, composer, source, density_bars, out->tokens,
                                      needed, &out->count, reason, sizeof reason);
        else
            snprintf(reason, sizeof reason, "out of memory");
    }
    if (status != PNL_OK)
        snprintf(message, message_size, "%s: %s", path, reason);
    return status;
}

int pnl_tokenize_midi_file(const char *path, const PnlTokenizeOptions *options,
                           PnlTokenized *out, char *message, size_t message_size)
{
    PnlScore score;
    out->tokens = NULL;
    out->count = 0;
    out->key = (PnlKey){0, 0, 0.0};
    out->key_shift = 0;
    pnl_score_init(&score);
    int status = pnl_midi_read(path, &score, &out->stats, message, message_size);
    if (status == PNL_OK) {
        if (options->key == PNL_TOKENS_PROMPT_FOR_KEY_FRAME)
            fit_prompt_to_key_frame(&score, options->seed, out);
        int source = options->with_source ? (int)options->source : -1;
        status = encode(path, &score, options->composer, source, options->density_bars, out,
                        message, message_size);
    }
    pnl_score_free(&score);
    if (status != PNL_OK) {
        pnl_tokenized_free(out);
        return status;
    }
    if (options->key != PNL_TOKENS_PROMPT_FOR_KEY_FRAME) {
        PnlKeyHistogram histogram;
        pnl_key_histogram_clear(&histogram);
        pnl_key_histogram_add_tokens(&histogram, out->tokens, out->count);
        out->key_shift = pnl_key_shift(&histogram, &out->key);
        if (options->key == PNL_TOKENS_IN_KEY_FRAME)
            pnl_key_move_tokens(out->tokens, out->count, -out->key_shift);
    }
    return PNL_OK;
}

void pnl_tokenized_free(PnlTokenized *tokenized)
{
    free(tokenized->tokens);
    tokenized->tokens = NULL;
    tokenized->count = 0;
}
