/* The grammar's state machine and the decoder on top of it; see
 * grammar.h. Nothing here allocates. */
#include "grammar.h"

#include <string.h>

#include "parts.h"
#include "status.h"

enum {
    STATE_START,       /* nothing yet: START */
    STATE_COMPOSER,    /* START seen: COMPOSER */
    STATE_FIRST_BAR,   /* COMPOSER seen: SOURCE, PART or BAR */
    STATE_SOURCE_SEEN, /* SOURCE seen: PART or BAR */
    STATE_PARTS,       /* a role declared: a later role, or BAR */
    STATE_METER,       /* BAR seen: the bar's METER */
    STATE_DENSITY,     /* METER seen in density mode: the bar's DENSITY */
    STATE_BAR_BODY,    /* METER (DENSITY) or a whole note seen: PITCH (after a note), POS,
                          BAR, END */
    STATE_GROUP,       /* POS seen in an ensemble piece: the group's PART */
    STATE_PITCH,       /* POS (solo) or a group's PART seen: PITCH */
    STATE_VEL,         /* PITCH seen: VEL */
    STATE_DUR,         /* VEL seen: DUR */
    STATE_FINISHED     /* END seen: nothing */
};

void pnl_grammar_reset(PnlGrammar *grammar)
{
    grammar->state = STATE_START;
    grammar->composer = -1;
    grammar->source = -1;
    grammar->meter_token = -1;
    grammar->density_bars = 0;
    grammar->density_step = -1;
    grammar->bar_start_ticks = 0;
    grammar->bar_ticks = 0;
    grammar->bar_count = 0;
    grammar->position = -1;
    grammar->last_pitch = -1;
    grammar->note_pitch = -1;
    grammar->parts = 0;
    grammar->part = -1;
    grammar->range_shift = 0;
    memset(grammar->key_sounding_until_ticks, 0, sizeof grammar->key_sounding_until_ticks);
    memset(grammar->part_sounding_until_ticks, 0, sizeof grammar->part_sounding_until_ticks);
}

int pnl_grammar_note_part(const PnlGrammar *grammar)
{
    return grammar->parts && grammar->part >= 0 ? grammar->part : PNL_PART_PIANO;
}

/* Notes of this onset already spelled count, since each DUR takes a slot. */
int pnl_grammar_part_has_voice(const PnlGrammar *grammar, int part, int64_t onset_ticks)
{
    int voices = pnl_part_role(part)->voices, sounding = 0;
    if (voices == PNL_PART_UNLIMITED)
        return 1;
    for (int v = 0; v < voices; v++)
        sounding += grammar->part_sounding_until_ticks[part][v] > onset_ticks;
    return sounding < voices;
}

/* Whether an onset at `position` of the current bar could hold a note: some
 * declared role has a voice free there. */
static int onset_has_voice(const PnlGrammar *grammar, int position)
{
    int64_t onset = grammar->bar_start_ticks + position;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if ((grammar->parts >> part & 1u) && pnl_grammar_part_has_voice(grammar, part, onset))
            return 1;
    return 0;
}

/* Whether `part` may open the next group of the current onset: declared,
 * after the onset's groups so far, and with a voice free. */
static int group_may_open(const PnlGrammar *grammar, int part)
{
    return (grammar->parts >> part & 1u) && part > grammar->part &&
           pnl_grammar_part_has_voice(grammar, part, pnl_grammar_onset_ticks(grammar));
}

/* Whether `pitch` may be the next note of the current group: above the
 * group's last, in its role's range as it sounds (past the range shift),
 * with a voice free. */
static int pitch_fits(const PnlGrammar *grammar, int pitch)
{
    int part = pnl_grammar_note_part(grammar);
    int sounding = grammar->parts ? pitch + grammar->range_shift : pitch;
    return pitch > grammar->last_pitch && pnl_part_in_range(part, sounding) &&
           (!grammar->parts ||
            pnl_grammar_part_has_voice(grammar, part, pnl_grammar_onset_ticks(grammar)));
}

void pnl_grammar_set_range_shift(PnlGrammar *grammar, int semitones)
{
    grammar->range_shift = semitones;
}

void pnl_grammar_set_density(PnlGrammar *grammar, int density_bars)
{
    grammar->density_bars = density_bars != 0;
}

int pnl_grammar_density_of(const uint16_t *tokens, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (pnl_token_family(tokens[i]) == PNL_FAMILY_DENSITY)
            return 1;
    return 0;
}

int pnl_grammar_allows(const PnlGrammar *grammar, int token)
{
    PnlFamily family = pnl_token_family(token);
    int offset = pnl_token_offset(token);
    int bar_may_end = grammar->state == STATE_BAR_BODY;
    switch (family) {
    case PNL_FAMILY_START: return grammar->state == STATE_START;
    case PNL_FAMILY_COMPOSER: return grammar->state == STATE_COMPOSER;
    case PNL_FAMILY_SOURCE: return grammar->state == STATE_FIRST_BAR;
    case PNL_FAMILY_BAR:
        return grammar->state == STATE_FIRST_BAR || grammar->state == STATE_SOURCE_SEEN ||
               grammar->state == STATE_PARTS || bar_may_end;
    case PNL_FAMILY_PART:
        if (grammar->state == STATE_FIRST_BAR || grammar->state == STATE_SOURCE_SEEN ||
            grammar->state == STATE_PARTS)
            return offset > grammar->part; /* declared once each, in role order */
        return (grammar->state == STATE_GROUP ||
                (grammar->state == STATE_BAR_BODY && grammar->parts && grammar->position >= 0)) &&
               group_may_open(grammar, offset);
    case PNL_FAMILY_END: return bar_may_end;
    case PNL_FAMILY_METER: return grammar->state == STATE_METER;
    case PNL_FAMILY_DENSITY: return grammar->state == STATE_DENSITY;
    case PNL_FAMILY_POS:
        return bar_may_end && offset > grammar->position && offset < grammar->bar_ticks &&
               (!grammar->parts || onset_has_voice(grammar, offset));
    case PNL_FAMILY_PITCH:
        return (grammar->state == STATE_PITCH ||
                (grammar->state == STATE_BAR_BODY && grammar->position >= 0)) &&
               pitch_fits(grammar, offset + PNL_LOWEST_PITCH);
    case PNL_FAMILY_VEL: return grammar->state == STATE_VEL;
    case PNL_FAMILY_DUR: return grammar->state == STATE_DUR;
    default: return 0; /* PAD never appears in a piece */
    }
}

static int fill(uint8_t *mask, int first, int count)
{
    if (count <= 0)
        return 0;
    memset(mask + first, 1, (size_t)count);
    return count;
}

int pnl_grammar_mask(const PnlGrammar *grammar, uint8_t *mask)
{
    int allowed = 0;
    memset(mask, 0, PNL_VOCAB_SIZE);
    if (grammar->parts || grammar->state == STATE_PARTS) {
        /* An ensemble piece: ranges and voices make the choices depend on
         * each token, so every token is asked (a few hundred cheap tests). */
        for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
            mask[token] = (uint8_t)pnl_grammar_allows(grammar, token);
            allowed += mask[token];
        }
        return allowed;
    }
    switch (grammar->state) {
    case STATE_START: allowed = fill(mask, PNL_TOKEN_START, 1); break;
    case STATE_COMPOSER:
        allowed = fill(mask, PNL_TOKEN_COMPOSER_BASE, PNL_COMPOSER_COUNT);
        break;
    case STATE_FIRST_BAR:
        allowed = fill(mask, PNL_TOKEN_BAR, 1) +
                  fill(mask, PNL_TOKEN_SOURCE_BASE, PNL_SOURCE_COUNT) +
                  fill(mask, PNL_TOKEN_PART_BASE, PNL_PART_TOKEN_COUNT);
        break;
    case STATE_SOURCE_SEEN:
        allowed = fill(mask, PNL_TOKEN_BAR, 1) + fill(mask, PNL_TOKEN_PART_BASE,
                                                      PNL_PART_TOKEN_COUNT);
        break;
    case STATE_METER: allowed = fill(mask, PNL_TOKEN_METER_BASE, PNL_METER_COUNT); break;
    case STATE_DENSITY:
        allowed = fill(mask, PNL_TOKEN_DENSITY_BASE, PNL_DENSITY_COUNT);
        break;
    case STATE_BAR_BODY: {
        int first_position = grammar->position + 1;
        allowed += fill(mask, PNL_TOKEN_BAR, 1);
        allowed += fill(mask, PNL_TOKEN_END, 1);
        allowed += fill(mask, PNL_TOKEN_POS_BASE + first_position,
                        grammar->bar_ticks - first_position);
        if (grammar->position >= 0) {
            int first_pitch = grammar->last_pitch + 1;
            if (first_pitch < PNL_LOWEST_PITCH)
                first_pitch = PNL_LOWEST_PITCH;
            allowed += fill(mask, PNL_TOKEN_PITCH_BASE + first_pitch - PNL_LOWEST_PITCH,
                            PNL_HIGHEST_PITCH + 1 - first_pitch);
        }
        break;
    }
    case STATE_PITCH: allowed = fill(mask, PNL_TOKEN_PITCH_BASE, PNL_PITCH_COUNT); break;
    case STATE_VEL: allowed = fill(mask, PNL_TOKEN_VEL_BASE, PNL_VEL_COUNT); break;
    case STATE_DUR: allowed = fill(mask, PNL_TOKEN_DUR_BASE, PNL_DUR_COUNT); break;
    default: break;
    }
    return allowed;
}

int pnl_grammar_advance(PnlGrammar *grammar, int token)
{
    int offset;
    if (!pnl_grammar_allows(grammar, token))
        return PNL_EINVAL;
    offset = pnl_token_offset(token);
    switch (pnl_token_family(token)) {
    case PNL_FAMILY_START: grammar->state = STATE_COMPOSER; break;
    case PNL_FAMILY_COMPOSER:
        grammar->composer = offset;
        grammar->state = STATE_FIRST_BAR;
        break;
    case PNL_FAMILY_SOURCE:
        grammar->source = offset;
        grammar->state = STATE_SOURCE_SEEN;
        break;
    case PNL_FAMILY_PART:
        if (grammar->state == STATE_GROUP || grammar->state == STATE_BAR_BODY) {
            grammar->last_pitch = -1; /* a new group: its pitches ascend afresh */
            grammar->state = STATE_PITCH;
        } else {
            grammar->parts |= 1u << offset;
            grammar->state = STATE_PARTS;
        }
        grammar->part = offset;
        break;
    case PNL_FAMILY_BAR:
        grammar->part = -1;
        if (grammar->bar_count > 0)
            grammar->bar_start_ticks += grammar->bar_ticks;
        grammar->bar_count++;
        grammar->position = -1;
        grammar->last_pitch = -1;
        grammar->density_step = -1;
        grammar->state = STATE_METER;
        break;
    case PNL_FAMILY_METER: {
        int numerator = 0, denominator = 1;
        pnl_token_meter_of(token, &numerator, &denominator);
        grammar->meter_token = token;
        grammar->bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
        grammar->state = grammar->density_bars ? STATE_DENSITY : STATE_BAR_BODY;
        break;
    }
    case PNL_FAMILY_DENSITY:
        grammar->density_step = offset;
        grammar->state = STATE_BAR_BODY;
        break;
    case PNL_FAMILY_POS:
        grammar->position = offset;
        grammar->last_pitch = -1;
        grammar->part = -1;
        grammar->state = grammar->parts ? STATE_GROUP : STATE_PITCH;
        break;
    case PNL_FAMILY_PITCH:
        grammar->last_pitch = offset + PNL_LOWEST_PITCH;
        grammar->note_pitch = grammar->last_pitch;
        grammar->state = STATE_VEL;
        break;
    case PNL_FAMILY_VEL: grammar->state = STATE_DUR; break;
    case PNL_FAMILY_DUR: {
        int64_t end = grammar->bar_start_ticks + grammar->position + pnl_duration_ticks(offset);
        grammar->key_sounding_until_ticks[grammar->note_pitch - PNL_LOWEST_PITCH] = end;
        if (grammar->parts) {
            int part = pnl_grammar_note_part(grammar);
            int voices = pnl_part_role(part)->voices;
            int64_t *slots = grammar->part_sounding_until_ticks[part];
            int64_t onset = pnl_grammar_onset_ticks(grammar);
            /* A free slot exists: PITCH was allowed only with a voice free. */
            for (int v = 0; v < voices; v++)
                if (slots[v] <= onset) {
                    slots[v] = end;
                    break;
                }
        }
        grammar->state = STATE_BAR_BODY;
        break;
    }
    case PNL_FAMILY_END: grammar->state = STATE_FINISHED; break;
    default: return PNL_EINVAL;
    }
    return PNL_OK;
}

int pnl_grammar_finished(const PnlGrammar *grammar)
{
    return grammar->state == STATE_FINISHED;
}

int64_t pnl_grammar_bar_start_ticks(const PnlGrammar *grammar)
{
    return grammar->bar_start_ticks;
}

int pnl_grammar_bar_ticks(const PnlGrammar *grammar)
{
    return grammar->meter_token >= 0 ? grammar->bar_ticks : 0;
}

int pnl_grammar_position(const PnlGrammar *grammar)
{
    return grammar->position;
}

int64_t pnl_grammar_onset_ticks(const PnlGrammar *grammar)
{
    return grammar->position < 0 ? -1 : grammar->bar_start_ticks + grammar->position;
}

int pnl_grammar_bar_tail_sounds(const PnlGrammar *grammar, int tail_ticks)
{
    if (grammar->state != STATE_BAR_BODY || grammar->meter_token < 0)
        return 1;
    int64_t bar_end = grammar->bar_start_ticks + grammar->bar_ticks;
    /* A note that only reaches the tail's first tick leaves it silent to a
     * listener (and to pianola-stats, which absorbs a grid step of
     * performed timing at each end of a beat). */
    int64_t first_heard = bar_end - tail_ticks + (tail_ticks > 2);
    for (int key = 0; key < PNL_PITCH_COUNT; key++)
        if (grammar->key_sounding_until_ticks[key] > first_heard)
            return 1;
    return 0;
}

/* ---- Decoding token by token ----------------------------------------------- */

void pnl_decoder_reset(PnlDecoder *decoder)
{
    pnl_grammar_reset(&decoder->grammar);
    decoder->velocity_level = 0;
}

int pnl_decoder_push(PnlDecoder *decoder, int token, PnlNote *note)
{
    if (pnl_grammar_advance(&decoder->grammar, token) != PNL_OK)
        return PNL_EINVAL;
    switch (pnl_token_family(token)) {
    case PNL_FAMILY_VEL: decoder->velocity_level = pnl_token_offset(token); return 0;
    case PNL_FAMILY_DUR:
        note->onset_ticks = pnl_grammar_onset_ticks(&decoder->grammar);
        note->duration_ticks = pnl_duration_ticks(pnl_token_offset(token));
        note->pitch = (uint8_t)decoder->grammar.note_pitch;
        note->velocity = (uint8_t)pnl_velocity_of_level(decoder->velocity_level);
        note->part = (uint8_t)pnl_grammar_note_part(&decoder->grammar);
        note->track = 0;
        return 1;
    default: return 0;
    }
}
