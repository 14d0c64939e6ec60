/* Pianola's event vocabulary and codec (docs/vocabulary.md is the contract):
 * token names and ids, the grammar every piece obeys, and the conversion
 * between a score in grid ticks and tokens. The grammar and the decoder step
 * without allocating, so the plugin's worker can run them token by token. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "status.h"

/* The corpus folders, then the Romantic blend that training assigns to some
 * Brahms, Schumann and Rachmaninoff pieces. The order is part of the
 * vocabulary (and so of its signature). */
static const char *const composer_names[PNL_COMPOSER_COUNT] = {
    "albeniz", "bach", "balakirev", "beethoven", "borodin", "brahms", "burgmueller",
    "chopin", "christmas", "clementi", "debussy", "godowsky", "granados", "grieg",
    "haydn", "liszt", "mendelssohn", "moszkowski", "mozart", "mussorgsky",
    "rachmaninoff", "ravel", "schubert", "schumann", "sinding", "tchaikovsky",
    "romantic",
};

/* Every written value is exact (see the table in docs/vocabulary.md); the
 * spacing grows roughly geometrically so a performed length is never more
 * than about 9% from its token (262 ticks, between 240 and 288). */
static const uint16_t duration_ticks[PNL_DUR_COUNT] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 22, 24, 28, 32, 36,
    40, 44, 48, 54, 60, 66, 72, 84, 96, 108, 120, 132, 144, 168, 192, 216, 240,
    288, 336, 384,
};

/* Meters by denominator: n/2 for n = 1..4, n/4 for 1..8, n/8 for 1..16 and
 * n/16 for 1..32, i.e. every bar of at most 8 quarter notes. */
static const struct {
    int denominator;
    int max_numerator;
    int first_index;
} meter_groups[] = {
    {2, 4, 0},
    {4, 8, 4},
    {8, 16, 12},
    {16, 32, 28},
};

enum { METER_GROUP_COUNT = sizeof meter_groups / sizeof meter_groups[0] };

static const struct {
    const char *prefix;
    PnlFamily family;
} family_prefixes[] = {
    {"COMPOSER_", PNL_FAMILY_COMPOSER}, {"METER_", PNL_FAMILY_METER},
    {"POS_", PNL_FAMILY_POS},           {"PITCH_", PNL_FAMILY_PITCH},
    {"VEL_", PNL_FAMILY_VEL},           {"DUR_", PNL_FAMILY_DUR},
};

/* ---- The vocabulary ---------------------------------------------------- */

int pnl_vocab_size(void)
{
    return PNL_VOCAB_SIZE;
}

int pnl_family_base(PnlFamily family)
{
    switch (family) {
    case PNL_FAMILY_PAD: return PNL_TOKEN_PAD;
    case PNL_FAMILY_START: return PNL_TOKEN_START;
    case PNL_FAMILY_END: return PNL_TOKEN_END;
    case PNL_FAMILY_COMPOSER: return PNL_TOKEN_COMPOSER_BASE;
    case PNL_FAMILY_BAR: return PNL_TOKEN_BAR;
    case PNL_FAMILY_METER: return PNL_TOKEN_METER_BASE;
    case PNL_FAMILY_POS: return PNL_TOKEN_POS_BASE;
    case PNL_FAMILY_PITCH: return PNL_TOKEN_PITCH_BASE;
    case PNL_FAMILY_VEL: return PNL_TOKEN_VEL_BASE;
    case PNL_FAMILY_DUR: return PNL_TOKEN_DUR_BASE;
    default: return PNL_EINVAL;
    }
}

int pnl_family_count(PnlFamily family)
{
    switch (family) {
    case PNL_FAMILY_PAD:
    case PNL_FAMILY_START:
    case PNL_FAMILY_END:
    case PNL_FAMILY_BAR: return 1;
    case PNL_FAMILY_COMPOSER: return PNL_COMPOSER_COUNT;
    case PNL_FAMILY_METER: return PNL_METER_COUNT;
    case PNL_FAMILY_POS: return PNL_POS_COUNT;
    case PNL_FAMILY_PITCH: return PNL_PITCH_COUNT;
    case PNL_FAMILY_VEL: return PNL_VEL_COUNT;
    case PNL_FAMILY_DUR: return PNL_DUR_COUNT;
    default: return 0;
    }
}

PnlFamily pnl_token_family(int token)
{
    if (token < 0 || token >= PNL_VOCAB_SIZE)
        return PNL_FAMILY_NONE;
    if (token >= PNL_TOKEN_DUR_BASE) return PNL_FAMILY_DUR;
    if (token >= PNL_TOKEN_VEL_BASE) return PNL_FAMILY_VEL;
    if (token >= PNL_TOKEN_PITCH_BASE) return PNL_FAMILY_PITCH;
    if (token >= PNL_TOKEN_POS_BASE) return PNL_FAMILY_POS;
    if (token >= PNL_TOKEN_METER_BASE) return PNL_FAMILY_METER;
    if (token == PNL_TOKEN_BAR) return PNL_FAMILY_BAR;
    if (token >= PNL_TOKEN_COMPOSER_BASE) return PNL_FAMILY_COMPOSER;
    return (PnlFamily)token; /* PAD, START, END are their own families */
}

int pnl_token_offset(int token)
{
    PnlFamily family = pnl_token_family(token);
    if (family == PNL_FAMILY_NONE)
        return PNL_ERANGE;
    return token - pnl_family_base(family);
}

static void meter_of_index(int index, int *numerator, int *denominator)
{
    for (int g = METER_GROUP_COUNT - 1; g >= 0; g--) {
        if (index >= meter_groups[g].first_index) {
            *numerator = index - meter_groups[g].first_index + 1;
            *denominator = meter_groups[g].denominator;
            return;
        }
    }
}

int pnl_token_name(int token, char *name, size_t size)
{
    int offset = pnl_token_offset(token);
    int length;
    int numerator, denominator;
    if (offset < 0)
        return PNL_ERANGE;
    switch (pnl_token_family(token)) {
    case PNL_FAMILY_PAD: length = snprintf(name, size, "PAD"); break;
    case PNL_FAMILY_START: length = snprintf(name, size, "START"); break;
    case PNL_FAMILY_END: length = snprintf(name, size, "END"); break;
    case PNL_FAMILY_BAR: length = snprintf(name, size, "BAR"); break;
    case PNL_FAMILY_COMPOSER:
        length = snprintf(name, size, "COMPOSER_%s", composer_names[offset]);
        break;
    case PNL_FAMILY_METER:
        meter_of_index(offset, &numerator, &denominator);
        length = snprintf(name, size, "METER_%d_%d", numerator, denominator);
        break;
    case PNL_FAMILY_POS: length = snprintf(name, size, "POS_%d", offset); break;
    case PNL_FAMILY_PITCH:
        length = snprintf(name, size, "PITCH_%d", offset + PNL_LOWEST_KEY);
        break;
    case PNL_FAMILY_VEL: length = snprintf(name, size, "VEL_%d", offset); break;
    case PNL_FAMILY_DUR:
        length = snprintf(name, size, "DUR_%d", duration_ticks[offset]);
        break;
    default: return PNL_ERANGE;
    }
    return length < 0 || (size_t)length >= size ? PNL_ERANGE : length;
}

/* Parses a decimal number that is the whole of `text`; -1 if it is not one. */
static int parse_number(const char *text)
{
    int value = 0;
    if (!*text || (text[0] == '0' && text[1]))
        return -1;
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || value > 100000)
            return -1;
        value = value * 10 + (*text - '0');
    }
    return value;
}

int pnl_token_from_name(const char *name)
{
    static const char *const singles[] = {"PAD", "START", "END", "BAR"};
    static const int single_ids[] = {PNL_TOKEN_PAD, PNL_TOKEN_START, PNL_TOKEN_END,
                                     PNL_TOKEN_BAR};
    if (!name)
        return PNL_EINVAL;
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++)
        if (!strcmp(name, singles[i]))
            return single_ids[i];
    for (size_t i = 0; i < sizeof family_prefixes / sizeof family_prefixes[0]; i++) {
        size_t prefix_length = strlen(family_prefixes[i].prefix);
        const char *rest = name + prefix_length;
        int token = PNL_EINVAL;
        if (strncmp(name, family_prefixes[i].prefix, prefix_length))
            continue;
        switch (family_prefixes[i].family) {
        case PNL_FAMILY_COMPOSER: {
            int composer = pnl_composer_index(rest);
            token = composer < 0 ? PNL_EINVAL : pnl_token_composer(composer);
            break;
        }
        case PNL_FAMILY_METER: {
            const char *separator = strchr(rest, '_');
            char numerator_text[8];
            if (!separator || separator - rest >= (long)sizeof numerator_text)
                return PNL_EINVAL;
            memcpy(numerator_text, rest, (size_t)(separator - rest));
            numerator_text[separator - rest] = '\0';
            token = pnl_token_meter(parse_number(numerator_text), parse_number(separator + 1));
            break;
        }
        case PNL_FAMILY_POS: token = pnl_token_pos(parse_number(rest)); break;
        case PNL_FAMILY_PITCH: token = pnl_token_pitch(parse_number(rest)); break;
        case PNL_FAMILY_VEL: token = pnl_token_vel(parse_number(rest)); break;
        case PNL_FAMILY_DUR: {
            int ticks = parse_number(rest);
            for (int d = 0; d < PNL_DUR_COUNT; d++)
                if (duration_ticks[d] == ticks)
                    token = pnl_token_dur(d);
            break;
        }
        default: break;
        }
        return token < 0 ? PNL_EINVAL : token;
    }
    return PNL_EINVAL;
}

uint64_t pnl_vocab_signature(void)
{
    uint64_t hash = PNL_FNV1A_START;
    char name[PNL_TOKEN_NAME_MAX];
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        int length = pnl_token_name(token, name, sizeof name);
        hash = pnl_fnv1a_add(hash, name, (size_t)length);
        hash = pnl_fnv1a_add(hash, "\n", 1);
    }
    return hash;
}

int pnl_composer_count(void)
{
    return PNL_COMPOSER_COUNT;
}

const char *pnl_composer_name(int composer)
{
    return composer >= 0 && composer < PNL_COMPOSER_COUNT ? composer_names[composer] : NULL;
}

int pnl_composer_index(const char *name)
{
    for (int i = 0; name && i < PNL_COMPOSER_COUNT; i++)
        if (!strcmp(name, composer_names[i]))
            return i;
    return PNL_EINVAL;
}

int pnl_token_composer(int composer)
{
    return composer >= 0 && composer < PNL_COMPOSER_COUNT ? PNL_TOKEN_COMPOSER_BASE + composer
                                                          : PNL_ERANGE;
}

int pnl_token_pitch(int key)
{
    return key >= PNL_LOWEST_KEY && key <= PNL_HIGHEST_KEY
               ? PNL_TOKEN_PITCH_BASE + key - PNL_LOWEST_KEY
               : PNL_ERANGE;
}

int pnl_token_pos(int position)
{
    return position >= 0 && position < PNL_POS_COUNT ? PNL_TOKEN_POS_BASE + position : PNL_ERANGE;
}

int pnl_token_vel(int level)
{
    return level >= 0 && level < PNL_VEL_COUNT ? PNL_TOKEN_VEL_BASE + level : PNL_ERANGE;
}

int pnl_token_dur(int index)
{
    return index >= 0 && index < PNL_DUR_COUNT ? PNL_TOKEN_DUR_BASE + index : PNL_ERANGE;
}

int pnl_token_meter(int numerator, int denominator)
{
    for (int g = 0; g < METER_GROUP_COUNT; g++)
        if (meter_groups[g].denominator == denominator && numerator >= 1 &&
            numerator <= meter_groups[g].max_numerator)
            return PNL_TOKEN_METER_BASE + meter_groups[g].first_index + numerator - 1;
    return PNL_ERANGE;
}

int pnl_velocity_level(int midi_velocity)
{
    if (midi_velocity < 1)
        midi_velocity = 1;
    if (midi_velocity > 127)
        midi_velocity = 127;
    return (midi_velocity - 1) / 8;
}

int pnl_velocity_of_level(int level)
{
    if (level < 0)
        level = 0;
    if (level >= PNL_VELOCITY_LEVELS)
        level = PNL_VELOCITY_LEVELS - 1;
    return 8 * level + 5;
}

int pnl_duration_ticks(int index)
{
    return index >= 0 && index < PNL_DUR_COUNT ? duration_ticks[index] : PNL_ERANGE;
}

int pnl_duration_index(int64_t ticks)
{
    if (ticks <= duration_ticks[0])
        return 0;
    for (int i = 0; i + 1 < PNL_DUR_COUNT; i++) {
        int64_t shorter = duration_ticks[i], longer = duration_ticks[i + 1];
        if (ticks <= longer) {
            /* Nearest on a log scale: compare ticks/shorter with longer/ticks. */
            return ticks * ticks <= shorter * longer ? i : i + 1;
        }
    }
    return PNL_DUR_COUNT - 1;
}

int pnl_meter_bar_ticks(int numerator, int denominator)
{
    if (numerator < 1 || denominator < 1)
        return PNL_ERANGE;
    return numerator * 4 * PNL_TICKS_PER_QUARTER / denominator;
}

/* Splits n/d into the fewest equal bars of the same denominator that fit in
 * PNL_MAX_BAR_TICKS (9/4 -> 3/4); 0 if only one-beat bars would. */
static int split_numerator(int numerator, int denominator)
{
    for (int parts = 2; parts < numerator; parts++)
        if (numerator % parts == 0 &&
            pnl_meter_bar_ticks(numerator / parts, denominator) <= PNL_MAX_BAR_TICKS)
            return numerator / parts;
    return 0;
}

int pnl_meter_map(int numerator, int denominator_exponent, int *out_numerator,
                  int *out_denominator)
{
    int denominator;
    if (numerator < 1 || denominator_exponent < 0 || denominator_exponent > 30)
        return PNL_ERANGE;
    denominator = 1 << denominator_exponent;
    if (denominator == 1) {
        numerator *= 2;
        denominator = 2;
    }
    while (denominator > 16) {
        numerator = numerator / 2 + numerator % 2; /* nearest, halves up, at least 1 */
        denominator /= 2;
    }
    if (pnl_meter_bar_ticks(numerator, denominator) > PNL_MAX_BAR_TICKS) {
        int split = split_numerator(numerator, denominator);
        if (!split && denominator < 16) {
            /* A prime numerator: 11/4 is two bars of 11/8. */
            split = split_numerator(numerator * 2, denominator * 2);
            if (split)
                denominator *= 2;
        }
        numerator = split ? split : 1;
    }
    *out_numerator = numerator;
    *out_denominator = denominator;
    return PNL_OK;
}

/* ---- Scores ------------------------------------------------------------- */

void pnl_score_init(PnlScore *score)
{
    memset(score, 0, sizeof *score);
}

void pnl_score_free(PnlScore *score)
{
    free(score->notes);
    free(score->meters);
    pnl_score_init(score);
}

void pnl_score_clear(PnlScore *score)
{
    score->note_count = 0;
    score->meter_count = 0;
}

static int grow(void **items, size_t *capacity, size_t count, size_t item_size)
{
    size_t new_capacity;
    void *grown;
    if (count < *capacity)
        return PNL_OK;
    new_capacity = *capacity ? *capacity * 2 : 256;
    grown = realloc(*items, new_capacity * item_size);
    if (!grown)
        return PNL_ENOMEM;
    *items = grown;
    *capacity = new_capacity;
    return PNL_OK;
}

int pnl_score_add_note(PnlScore *score, PnlNote note)
{
    if (grow((void **)&score->notes, &score->note_capacity, score->note_count, sizeof note))
        return PNL_ENOMEM;
    score->notes[score->note_count++] = note;
    return PNL_OK;
}

int pnl_score_add_meter(PnlScore *score, PnlMeterChange meter)
{
    if (grow((void **)&score->meters, &score->meter_capacity, score->meter_count, sizeof meter))
        return PNL_ENOMEM;
    score->meters[score->meter_count++] = meter;
    return PNL_OK;
}

static int note_before(const PnlNote *a, const PnlNote *b)
{
    return a->onset_ticks < b->onset_ticks ||
           (a->onset_ticks == b->onset_ticks && a->pitch < b->pitch);
}

/* Stable insertion sort, fast on the nearly sorted lists MIDI files give;
 * falls back to a merge for anything else. */
static void sort_notes(PnlNote *notes, size_t count)
{
    PnlNote *scratch;
    size_t width;
    size_t out_of_order = 0;
    for (size_t i = 1; i < count; i++)
        out_of_order += note_before(&notes[i], &notes[i - 1]);
    if (!out_of_order)
        return;
    scratch = malloc(count * sizeof *scratch);
    if (!scratch) {
        for (size_t i = 1; i < count; i++) {
            PnlNote note = notes[i];
            size_t j = i;
            for (; j > 0 && note_before(&note, &notes[j - 1]); j--)
                notes[j] = notes[j - 1];
            notes[j] = note;
        }
        return;
    }
    for (width = 1; width < count; width *= 2) {
        for (size_t left = 0; left < count; left += 2 * width) {
            size_t middle = left + width < count ? left + width : count;
            size_t right = left + 2 * width < count ? left + 2 * width : count;
            size_t a = left, b = middle, out = left;
            while (a < middle && b < right)
                scratch[out++] = note_before(&notes[b], &notes[a]) ? notes[b++] : notes[a++];
            while (a < middle)
                scratch[out++] = notes[a++];
            while (b < right)
                scratch[out++] = notes[b++];
        }
        memcpy(notes, scratch, count * sizeof *notes);
    }
    free(scratch);
}

void pnl_score_normalize(PnlScore *score, PnlDropCounts *dropped)
{
    PnlDropCounts counts = {0, 0};
    size_t kept = 0;
    sort_notes(score->notes, score->note_count);
    for (size_t i = 0; i < score->note_count; i++) {
        PnlNote note = score->notes[i];
        if (note.pitch < PNL_LOWEST_KEY || note.pitch > PNL_HIGHEST_KEY || note.onset_ticks < 0) {
            counts.out_of_range++;
            continue;
        }
        if (note.velocity < 1)
            note.velocity = 1;
        if (note.velocity > 127)
            note.velocity = 127;
        if (note.duration_ticks < 1)
            note.duration_ticks = 1;
        if (kept > 0 && score->notes[kept - 1].onset_ticks == note.onset_ticks &&
            score->notes[kept - 1].pitch == note.pitch) {
            /* The key struck twice within half a grid step: one note that
             * sounds as long as either. */
            PnlNote *first = &score->notes[kept - 1];
            if (note.duration_ticks > first->duration_ticks)
                first->duration_ticks = note.duration_ticks;
            counts.duplicates++;
            continue;
        }
        score->notes[kept++] = note;
    }
    score->note_count = kept;
    /* Meter changes: few, insertion sort keeps equal ticks in file order. */
    for (size_t i = 1; i < score->meter_count; i++) {
        PnlMeterChange meter = score->meters[i];
        size_t j = i;
        for (; j > 0 && score->meters[j - 1].at_ticks > meter.at_ticks; j--)
            score->meters[j] = score->meters[j - 1];
        score->meters[j] = meter;
    }
    if (dropped)
        *dropped = counts;
}

/* ---- Grammar -------------------------------------------------------------- */

enum {
    STATE_START,       /* nothing yet: START */
    STATE_COMPOSER,    /* START seen: COMPOSER */
    STATE_FIRST_BAR,   /* COMPOSER seen: BAR */
    STATE_FIRST_METER, /* the first BAR seen: METER */
    STATE_BAR_OPEN,    /* a later BAR seen: METER (a change), POS, BAR, END */
    STATE_BAR_BODY,    /* METER or a whole note seen: PITCH (after a note), POS, BAR, END */
    STATE_PITCH,       /* POS seen: PITCH */
    STATE_VEL,         /* PITCH seen: VEL */
    STATE_DUR,         /* VEL seen: DUR */
    STATE_FINISHED     /* END seen: nothing */
};

void pnl_grammar_reset(PnlGrammar *grammar)
{
    grammar->state = STATE_START;
    grammar->composer = -1;
    grammar->meter_token = -1;
    grammar->bar_start_ticks = 0;
    grammar->bar_ticks = 0;
    grammar->bar_count = 0;
    grammar->position = -1;
    grammar->last_pitch = -1;
    grammar->note_pitch = -1;
}

int pnl_grammar_allows(const PnlGrammar *grammar, int token)
{
    PnlFamily family = pnl_token_family(token);
    int offset = pnl_token_offset(token);
    int bar_may_end = grammar->state == STATE_BAR_OPEN || grammar->state == STATE_BAR_BODY;
    switch (family) {
    case PNL_FAMILY_START: return grammar->state == STATE_START;
    case PNL_FAMILY_COMPOSER: return grammar->state == STATE_COMPOSER;
    case PNL_FAMILY_BAR: return grammar->state == STATE_FIRST_BAR || bar_may_end;
    case PNL_FAMILY_END: return bar_may_end;
    case PNL_FAMILY_METER:
        return grammar->state == STATE_FIRST_METER ||
               (grammar->state == STATE_BAR_OPEN && token != grammar->meter_token);
    case PNL_FAMILY_POS:
        return bar_may_end && offset > grammar->position && offset < grammar->bar_ticks;
    case PNL_FAMILY_PITCH:
        return grammar->state == STATE_PITCH ||
               (grammar->state == STATE_BAR_BODY && grammar->position >= 0 &&
                offset + PNL_LOWEST_KEY > grammar->last_pitch);
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
    switch (grammar->state) {
    case STATE_START: allowed = fill(mask, PNL_TOKEN_START, 1); break;
    case STATE_COMPOSER:
        allowed = fill(mask, PNL_TOKEN_COMPOSER_BASE, PNL_COMPOSER_COUNT);
        break;
    case STATE_FIRST_BAR: allowed = fill(mask, PNL_TOKEN_BAR, 1); break;
    case STATE_FIRST_METER: allowed = fill(mask, PNL_TOKEN_METER_BASE, PNL_METER_COUNT); break;
    case STATE_BAR_OPEN:
    case STATE_BAR_BODY: {
        int first_position = grammar->position + 1;
        allowed += fill(mask, PNL_TOKEN_BAR, 1);
        allowed += fill(mask, PNL_TOKEN_END, 1);
        allowed += fill(mask, PNL_TOKEN_POS_BASE + first_position,
                        grammar->bar_ticks - first_position);
        if (grammar->state == STATE_BAR_OPEN) {
            allowed += fill(mask, PNL_TOKEN_METER_BASE, PNL_METER_COUNT);
            mask[grammar->meter_token] = 0;
            allowed--;
        } else if (grammar->position >= 0) {
            int first_key = grammar->last_pitch + 1;
            if (first_key < PNL_LOWEST_KEY)
                first_key = PNL_LOWEST_KEY;
            allowed += fill(mask, PNL_TOKEN_PITCH_BASE + first_key - PNL_LOWEST_KEY,
                            PNL_HIGHEST_KEY + 1 - first_key);
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
    case PNL_FAMILY_BAR:
        if (grammar->bar_count > 0)
            grammar->bar_start_ticks += grammar->bar_ticks;
        grammar->bar_count++;
        grammar->position = -1;
        grammar->last_pitch = -1;
        grammar->state = grammar->bar_count == 1 ? STATE_FIRST_METER : STATE_BAR_OPEN;
        break;
    case PNL_FAMILY_METER: {
        int numerator = 0, denominator = 1;
        meter_of_index(offset, &numerator, &denominator);
        grammar->meter_token = token;
        grammar->bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
        grammar->state = STATE_BAR_BODY;
        break;
    }
    case PNL_FAMILY_POS:
        grammar->position = offset;
        grammar->last_pitch = -1;
        grammar->state = STATE_PITCH;
        break;
    case PNL_FAMILY_PITCH:
        grammar->last_pitch = offset + PNL_LOWEST_KEY;
        grammar->note_pitch = grammar->last_pitch;
        grammar->state = STATE_VEL;
        break;
    case PNL_FAMILY_VEL: grammar->state = STATE_DUR; break;
    case PNL_FAMILY_DUR: grammar->state = STATE_BAR_BODY; break;
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
        note->duration_ticks = duration_ticks[pnl_token_offset(token)];
        note->pitch = (uint8_t)decoder->grammar.note_pitch;
        note->velocity = (uint8_t)pnl_velocity_of_level(decoder->velocity_level);
        return 1;
    default: return 0;
    }
}

/* ---- Whole pieces ---------------------------------------------------------- */

typedef struct {
    uint16_t *tokens;
    size_t capacity;
    size_t count;
} Emitter;

static void emit(Emitter *out, int token)
{
    if (out->tokens && out->count < out->capacity)
        out->tokens[out->count] = (uint16_t)token;
    out->count++;
}

static int check_score(const PnlScore *score, char *message, size_t message_size)
{
    for (size_t i = 0; i < score->note_count; i++) {
        const PnlNote *note = &score->notes[i];
        if (note->pitch < PNL_LOWEST_KEY || note->pitch > PNL_HIGHEST_KEY ||
            note->onset_ticks < 0 || note->duration_ticks < 1 || note->velocity < 1 ||
            note->velocity > 127 || (i > 0 && !note_before(&score->notes[i - 1], note))) {
            snprintf(message, message_size,
                     "note %zu (key %d at tick %lld) is out of order or range: "
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
    Emitter out = {tokens, capacity, 0};
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
    status = check_score(score, message, message_size);
    if (status)
        return status;

    emit(&out, PNL_TOKEN_START);
    emit(&out, pnl_token_composer(composer));
    do {
        int bar_ticks;
        /* A meter change takes effect at the first bar line at or after it. */
        while (next_meter < score->meter_count && score->meters[next_meter].at_ticks <= bar_start) {
            next_meter_token = pnl_token_meter(score->meters[next_meter].numerator,
                                               score->meters[next_meter].denominator);
            next_meter++;
        }
        emit(&out, PNL_TOKEN_BAR);
        if (next_meter_token != meter_token) {
            emit(&out, next_meter_token);
            meter_token = next_meter_token;
        }
        {
            int numerator = 0, denominator = 1;
            meter_of_index(meter_token - PNL_TOKEN_METER_BASE, &numerator, &denominator);
            bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
        }
        while (next_note < score->note_count &&
               score->notes[next_note].onset_ticks < bar_start + bar_ticks) {
            int64_t onset = score->notes[next_note].onset_ticks;
            emit(&out, pnl_token_pos((int)(onset - bar_start)));
            for (; next_note < score->note_count && score->notes[next_note].onset_ticks == onset;
                 next_note++) {
                const PnlNote *note = &score->notes[next_note];
                emit(&out, pnl_token_pitch(note->pitch));
                emit(&out, pnl_token_vel(pnl_velocity_level(note->velocity)));
                emit(&out, pnl_token_dur(pnl_duration_index(note->duration_ticks)));
            }
        }
        bar_start += bar_ticks;
    } while (next_note < score->note_count);
    emit(&out, PNL_TOKEN_END);

    *count = out.count;
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
            meter_of_index(pnl_token_offset(tokens[i]), &numerator, &denominator);
            meter.at_ticks = decoder.grammar.bar_start_ticks;
            meter.numerator = (uint8_t)numerator;
            meter.denominator = (uint8_t)denominator;
            if (pnl_score_add_meter(score, meter))
                goto no_memory;
        }
    }
    if (composer)
        *composer = decoder.grammar.composer;
    return PNL_OK;

no_memory:
    snprintf(message, message_size, "out of memory decoding %zu tokens", count);
    return PNL_ENOMEM;
}
