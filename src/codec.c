/* Whole pieces: a normalized score to tokens and tokens to a score; see
 * codec.h. The decoder (grammar.h) does the reading, so a piece decodes
 * here exactly as the plugin decodes it token by token. */
#include "codec.h"

#include <stdint.h>
#include <stdio.h>

#include "grammar.h"
#include "status.h"

typedef struct {
    uint16_t *tokens;
    size_t capacity;
    size_t count;
    /* An ensemble piece is followed by the grammar as it is written, so a
     * part that breaks its role's rules is refused here, with the token,
     * and never reaches a token file. Solo piano goes without. */
    PnlGrammar *grammar;
    size_t refused_at; /* the first token the grammar refused; SIZE_MAX if none */
} Emitter;

static void emit(Emitter *out, int token)
{
    if (out->tokens && out->count < out->capacity)
        out->tokens[out->count] = (uint16_t)token;
    if (out->grammar && out->refused_at == SIZE_MAX &&
        pnl_grammar_advance(out->grammar, token) != PNL_OK)
        out->refused_at = out->count;
    out->count++;
}

static int check_score(const PnlScore *score, char *message, size_t message_size)
{
    if (score->parts >> PNL_PART_COUNT) {
        snprintf(message, message_size, "the score declares a role beyond the %d of parts.h",
                 PNL_PART_COUNT);
        return PNL_EINVAL;
    }
    for (size_t i = 0; i < score->note_count; i++) {
        const PnlNote *note = &score->notes[i];
        int part_ok = score->parts ? (score->parts >> note->part & 1u) &&
                                         pnl_part_in_range(note->part, note->pitch)
                                   : note->part == PNL_PART_PIANO;
        if (!part_ok) {
            snprintf(message, message_size,
                     "note %zu (pitch %d at tick %lld) belongs to part %d, which the score "
                     "does not declare or whose range it leaves: make it playable first",
                     i, note->pitch, (long long)note->onset_ticks, note->part);
            return PNL_EINVAL;
        }
        if (note->pitch < PNL_LOWEST_PITCH || note->pitch > PNL_HIGHEST_PITCH ||
            note->onset_ticks < 0 || note->duration_ticks < 1 || note->velocity < 1 ||
            note->velocity > 127 || (i > 0 && !pnl_note_before(&score->notes[i - 1], note))) {
            snprintf(message, message_size,
                     "note %zu (pitch %d at tick %lld) is out of order or range: "
                     "normalize the score first",
                     i, note->pitch, (long long)note->onset_ticks);
            return PNL_EINVAL;
        }
        if (note->onset_ticks > PNL_MAX_PIECE_TICKS) {
            snprintf(message, message_size,
                     "a note at tick %lld lies beyond the longest piece (%d ticks)",
                     (long long)note->onset_ticks, PNL_MAX_PIECE_TICKS);
            return PNL_ERANGE;
        }
    }
    for (size_t i = 0; i < score->meter_count; i++) {
        const PnlMeterChange *meter = &score->meters[i];
        if (pnl_token_meter(meter->numerator, meter->denominator) < 0 ||
            (i > 0 && meter->at_ticks < score->meters[i - 1].at_ticks)) {
            snprintf(message, message_size, "meter change %zu (%d/%d at tick %lld) is %s", i,
                     meter->numerator, meter->denominator, (long long)meter->at_ticks,
                     pnl_token_meter(meter->numerator, meter->denominator) < 0
                         ? "not in the vocabulary"
                         : "out of order");
            return PNL_EINVAL;
        }
    }
    return PNL_OK;
}

int pnl_encode(const PnlScore *score, int composer, uint16_t *tokens, size_t capacity,
               size_t *count, char *message, size_t message_size)
{
    return pnl_encode_piece(score, composer, -1, 0, tokens, capacity, count, message,
                            message_size);
}

int pnl_encode_piece(const PnlScore *score, int composer, int source, int density_bars,
                     uint16_t *tokens, size_t capacity, size_t *count, char *message,
                     size_t message_size)
{
    PnlGrammar grammar;
    Emitter out = {tokens, capacity, 0, score->parts ? &grammar : NULL, SIZE_MAX};
    int meter_token = -1;
    int next_meter_token = pnl_token_meter(4, 4); /* 4/4 when the score says nothing */
    size_t next_meter = 0, next_note = 0;
    int64_t bar_start = 0;
    int status;
    *count = 0;
    if (composer < 0 || composer >= PNL_COMPOSER_COUNT) {
        snprintf(message, message_size, "composer %d is not in the vocabulary", composer);
        return PNL_EINVAL;
    }
    if (source != -1 && pnl_token_source((PnlSourceKind)source) < 0) {
        snprintf(message, message_size, "source kind %d is not in the vocabulary", source);
        return PNL_EINVAL;
    }
    status = check_score(score, message, message_size);
    if (status)
        return status;
    pnl_grammar_reset(&grammar);
    pnl_grammar_set_density(&grammar, density_bars);

    emit(&out, PNL_TOKEN_START);
    emit(&out, pnl_token_composer(composer));
    if (source != -1)
        emit(&out, pnl_token_source((PnlSourceKind)source));
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if (score->parts >> part & 1u)
            emit(&out, pnl_token_part(part));
    do {
        int bar_ticks;
        /* A meter change takes effect at the first bar line at or after it. */
        while (next_meter < score->meter_count && score->meters[next_meter].at_ticks <= bar_start) {
            next_meter_token = pnl_token_meter(score->meters[next_meter].numerator,
                                               score->meters[next_meter].denominator);
            next_meter++;
        }
        /* Every bar names its meter, so the network reads the bar's length
         * where it decides how to fill it (docs/music-diagnosis.md). */
        emit(&out, PNL_TOKEN_BAR);
        emit(&out, next_meter_token);
        meter_token = next_meter_token;
        {
            int numerator = 0, denominator = 1;
            pnl_token_meter_of(meter_token, &numerator, &denominator);
            bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
        }
        if (density_bars) {
            /* The encoder has the whole score: the bar's notes are counted
             * before they are written. */
            int notes = 0;
            for (size_t i = next_note;
                 i < score->note_count && score->notes[i].onset_ticks < bar_start + bar_ticks;
                 i++)
                notes++;
            emit(&out, pnl_token_density(pnl_density_step(notes, bar_ticks)));
        }
        while (next_note < score->note_count &&
               score->notes[next_note].onset_ticks < bar_start + bar_ticks) {
            int64_t onset = score->notes[next_note].onset_ticks;
            emit(&out, pnl_token_pos((int)(onset - bar_start)));
            for (; next_note < score->note_count && score->notes[next_note].onset_ticks == onset;
                 next_note++) {
                const PnlNote *note = &score->notes[next_note];
                /* In an ensemble each part's group of the onset opens with
                 * its role (notes come sorted by part). */
                if (score->parts && (next_note == 0 || score->notes[next_note - 1].onset_ticks !=
                                                           onset ||
                                     score->notes[next_note - 1].part != note->part))
                    emit(&out, pnl_token_part(note->part));
                emit(&out, pnl_token_pitch(note->pitch));
                emit(&out, pnl_token_vel(pnl_velocity_level(note->velocity)));
                emit(&out, pnl_token_dur(pnl_duration_index(note->duration_ticks)));
            }
        }
        bar_start += bar_ticks;
    } while (next_note < score->note_count);
    emit(&out, PNL_TOKEN_END);

    *count = out.count;
    if (out.refused_at != SIZE_MAX) {
        snprintf(message, message_size,
                 "token %zu breaks a part's range or polyphony (a string sounds at most 2 "
                 "notes, the melody 1): make the score playable first (playable.h)",
                 out.refused_at);
        return PNL_EINVAL;
    }
    if (!tokens || out.count > capacity) {
        snprintf(message, message_size, "the piece needs %zu tokens, the buffer holds %zu",
                 out.count, tokens ? capacity : 0);
        return PNL_ENOMEM;
    }
    return PNL_OK;
}

int pnl_decode(const uint16_t *tokens, size_t count, PnlScore *score, int *composer,
               char *message, size_t message_size)
{
    PnlDecoder decoder;
    pnl_decoder_reset(&decoder);
    pnl_grammar_set_density(&decoder.grammar, pnl_grammar_density_of(tokens, count));
    pnl_score_clear(score);
    for (size_t i = 0; i < count; i++) {
        PnlNote note;
        int status = pnl_decoder_push(&decoder, tokens[i], &note);
        if (status < 0) {
            char name[PNL_TOKEN_NAME_MAX] = "?", previous[PNL_TOKEN_NAME_MAX] = "the beginning";
            if (pnl_token_name(tokens[i], name, sizeof name) < 0)
                snprintf(name, sizeof name, "id %d", tokens[i]);
            if (i > 0 && pnl_token_name(tokens[i - 1], previous, sizeof previous) < 0)
                snprintf(previous, sizeof previous, "id %d", tokens[i - 1]);
            snprintf(message, message_size, "token %zu (%s) may not follow %s", i, name,
                     previous);
            return PNL_EINVAL;
        }
        if (pnl_grammar_finished(&decoder.grammar) && i + 1 < count) {
            snprintf(message, message_size, "token %zu follows END", i + 1);
            return PNL_EINVAL;
        }
        if (status == 1 && pnl_score_add_note(score, note))
            goto no_memory;
        if (pnl_token_family(tokens[i]) == PNL_FAMILY_METER) {
            PnlMeterChange meter;
            int numerator = 0, denominator = 1;
            pnl_token_meter_of(tokens[i], &numerator, &denominator);
            meter.at_ticks = decoder.grammar.bar_start_ticks;
            meter.numerator = (uint8_t)numerator;
            meter.denominator = (uint8_t)denominator;
            /* Every bar names its meter; the score keeps only the changes. */
            const PnlMeterChange *last =
                score->meter_count ? &score->meters[score->meter_count - 1] : NULL;
            int restated = last && last->numerator == meter.numerator &&
                           last->denominator == meter.denominator;
            if (!restated && pnl_score_add_meter(score, meter))
                goto no_memory;
        }
    }
    score->parts = decoder.grammar.parts;
    if (composer)
        *composer = decoder.grammar.composer;
    return PNL_OK;

no_memory:
    snprintf(message, message_size, "out of memory decoding %zu tokens", count);
    return PNL_ENOMEM;
}
