/* A MIDI file to tokens; see tokenize.h. */
#include "tokenize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Gives each note its track's role, leaves out the notes of tracks left
 * out, and declares the roles that remain (none when only the piano
 * does: a plain piano piece). Then fits the parts to their instruments. */
static void assign_parts(PnlScore *score, const PnlTokenizeOptions *options, PnlTokenized *out)
{
    PnlPartSet parts = 0;
    size_t kept = 0;
    for (size_t i = 0; i < score->note_count; i++) {
        PnlNote note = score->notes[i];
        int part = note.track < options->track_count ? options->track_parts[note.track] : -1;
        if (part < 0) {
            out->notes_left_out++;
            continue;
        }
        note.part = (uint8_t)part;
        /* From here the part tells instruments apart: a piano's two staves
         * striking one pitch together are one note, as for the piano. */
        note.track = 0;
        parts |= 1u << part;
        score->notes[kept++] = note;
    }
    score->note_count = kept;
    score->parts = parts == 1u << PNL_PART_PIANO ? 0 : parts;
    /* Sorted again by part within each onset; a piano's staves striking
     * one pitch together merge here, as the piano reader merges them. */
    PnlDropCounts dropped;
    pnl_score_normalize(score, &dropped);
    out->stats.dropped_duplicates += dropped.duplicates;
    pnl_score_make_playable(score, &out->playable);
    out->parts = score->parts;
    out->stats.notes_kept = score->note_count;
}

int pnl_tokenize_parts_of_instruments(const char *instruments, const char *keep,
                                      PnlTokenizeOptions *options, char *message,
                                      size_t message_size)
{
    static const struct {
        const char *instrument;
        PnlPart first, second; /* the role of its first track, and of a second one */
    } names[] = {
        {"piano", PNL_PART_PIANO, PNL_PART_PIANO}, /* two staves, one piano */
        {"violin", PNL_PART_VIOLIN_1, PNL_PART_VIOLIN_2},
        {"viola", PNL_PART_VIOLA, PNL_PART_COUNT},
        {"cello", PNL_PART_CELLO, PNL_PART_COUNT},
        {"voice", PNL_PART_MELODY, PNL_PART_COUNT},
    };
    enum { NAMES = sizeof names / sizeof names[0] };
    int seen[NAMES] = {0};
    const char *at = instruments;
    options->track_count = 0;
    while (at && *at) {
        size_t length = strcspn(at, ";");
        int n = 0;
        for (; n < NAMES; n++)
            if (strlen(names[n].instrument) == length && !strncmp(at, names[n].instrument, length))
                break;
        if (n == NAMES || options->track_count == PNL_TOKENIZE_MAX_TRACKS) {
            snprintf(message, message_size, "the instrument '%.*s' has no role (parts.h)",
                     (int)length, at);
            return PNL_EINVAL;
        }
        /* The piano's staves are all the piano; a violin's second track is
         * the second violin; any further track of an instrument has no role. */
        int part = names[n].first == PNL_PART_PIANO ? (int)PNL_PART_PIANO
                   : seen[n] == 0                  ? (int)names[n].first
                   : seen[n] == 1                  ? (int)names[n].second
                                                   : (int)PNL_PART_COUNT;
        if (part == PNL_PART_COUNT) {
            snprintf(message, message_size, "one %s track more than the roles hold (%s)",
                     names[n].instrument, instruments);
            return PNL_EINVAL;
        }
        seen[n]++;
        int kept = !keep;
        for (const char *k = keep; k && *k && !kept;) {
            size_t keep_length = strcspn(k, ",");
            kept = keep_length == length && !strncmp(k, at, length);
            k += keep_length + (k[keep_length] == ',');
        }
        options->track_parts[options->track_count++] = (int8_t)(kept ? part : -1);
        at += length + (at[length] == ';');
    }
    return PNL_OK;
}

int pnl_tokenize_midi_file(const char *path, const PnlTokenizeOptions *options,
                           PnlTokenized *out, char *message, size_t message_size)
{
    PnlScore score;
    out->tokens = NULL;
    out->count = 0;
    out->key = (PnlKey){0, 0, 0.0};
    out->key_shift = 0;
    out->parts = 0;
    out->playable = (PnlPlayableCounts){0, 0, 0, 0, 0};
    out->notes_left_out = 0;
    pnl_score_init(&score);
    int status = options->track_count > 0
                     ? pnl_midi_read_tracks(path, &score, &out->stats, message, message_size)
                     : pnl_midi_read(path, &score, &out->stats, message, message_size);
    if (status == PNL_OK && options->track_count > 0)
        assign_parts(&score, options, out);
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
