/* The vocabulary: token names and ids, and the composers, meters,
 * velocities and durations they stand for; see vocabulary.h. */
#include "vocabulary.h"

#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "parts.h"
#include "status.h"

_Static_assert((int)PNL_PART_TOKEN_COUNT == (int)PNL_PART_COUNT, "one PART token per role of parts.h");

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
    {"SOURCE_", PNL_FAMILY_SOURCE},     {"DENSITY_", PNL_FAMILY_DENSITY},
    {"PART_", PNL_FAMILY_PART},
};

static const char *const source_names[PNL_SOURCE_COUNT] = {"performed", "engraved"};

/* The density steps, sparsest first. A bar's step is found from its notes
 * per beat (a quarter note) by the lower edges below, in quarters of a note
 * per beat: 3.25, 4.5, 6 and 8 notes per beat, near the quintiles of the
 * 51,133 bars of the corpus (pianola-tokenize over ../shared/corpus; 18.3%,
 * 20.7%, 18.9%, 20.6% and 21.5% of its bars fall in the steps). A step's
 * target is the mean notes per beat of the corpus bars in it. */
static const char *const density_names[PNL_DENSITY_COUNT] = {"sparse", "light", "moderate",
                                                            "busy", "very_busy"};
static const int density_lower_edge_quarters[PNL_DENSITY_COUNT] = {0, 13, 18, 24, 32};
static const double density_targets[PNL_DENSITY_COUNT] = {2.19, 3.84, 5.05, 6.61, 10.27};

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
    case PNL_FAMILY_SOURCE: return PNL_TOKEN_SOURCE_BASE;
    case PNL_FAMILY_DENSITY: return PNL_TOKEN_DENSITY_BASE;
    case PNL_FAMILY_PART: return PNL_TOKEN_PART_BASE;
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
    case PNL_FAMILY_SOURCE: return PNL_SOURCE_COUNT;
    case PNL_FAMILY_DENSITY: return PNL_DENSITY_COUNT;
    case PNL_FAMILY_PART: return PNL_PART_TOKEN_COUNT;
    default: return 0;
    }
}

PnlFamily pnl_token_family(int token)
{
    if (token < 0 || token >= PNL_VOCAB_SIZE)
        return PNL_FAMILY_NONE;
    if (token >= PNL_TOKEN_PART_BASE) return PNL_FAMILY_PART;
    if (token >= PNL_TOKEN_DENSITY_BASE) return PNL_FAMILY_DENSITY;
    if (token >= PNL_TOKEN_SOURCE_BASE) return PNL_FAMILY_SOURCE;
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
        length = snprintf(name, size, "PITCH_%d", offset + PNL_LOWEST_PITCH);
        break;
    case PNL_FAMILY_VEL: length = snprintf(name, size, "VEL_%d", offset); break;
    case PNL_FAMILY_DUR:
        length = snprintf(name, size, "DUR_%d", duration_ticks[offset]);
        break;
    case PNL_FAMILY_SOURCE:
        length = snprintf(name, size, "SOURCE_%s", source_names[offset]);
        break;
    case PNL_FAMILY_DENSITY:
        length = snprintf(name, size, "DENSITY_%s", density_names[offset]);
        break;
    case PNL_FAMILY_PART:
        length = snprintf(name, size, "PART_%s", pnl_part_role(offset)->name);
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
        case PNL_FAMILY_SOURCE: {
            int kind = pnl_source_index(rest);
            token = kind < 0 ? PNL_EINVAL : pnl_token_source((PnlSourceKind)kind);
            break;
        }
        case PNL_FAMILY_DENSITY:
            for (int step = 0; step < PNL_DENSITY_COUNT; step++)
                if (!strcmp(rest, density_names[step]))
                    token = pnl_token_density(step);
            break;
        case PNL_FAMILY_PART: token = pnl_token_part(pnl_part_index(rest)); break;
        default: break;
        }
        return token < 0 ? PNL_EINVAL : token;
    }
    return PNL_EINVAL;
}

uint64_t pnl_vocab_prefix_signature(int count)
{
    uint64_t hash = PNL_FNV1A_START;
    char name[PNL_TOKEN_NAME_MAX];
    for (int token = 0; token < count && token < PNL_VOCAB_SIZE; token++) {
        int length = pnl_token_name(token, name, sizeof name);
        hash = pnl_fnv1a_add(hash, name, (size_t)length);
        hash = pnl_fnv1a_add(hash, "\n", 1);
    }
    return hash;
}

uint64_t pnl_vocab_signature(void)
{
    return pnl_vocab_prefix_signature(PNL_VOCAB_SIZE);
}

int pnl_vocab_is_known_size(int size)
{
    return size == PNL_VOCAB_SIZE || size == PNL_VOCAB_SIZE_BEFORE_PARTS ||
           size == PNL_VOCAB_SIZE_BEFORE_DENSITY;
}

int pnl_vocab_accepts(uint64_t signature, uint32_t size)
{
    /* Each family was appended, so an earlier vocabulary is a prefix of
     * this one and its signature that of the prefix. */
    return size <= (uint32_t)PNL_VOCAB_SIZE && pnl_vocab_is_known_size((int)size) &&
           signature == pnl_vocab_prefix_signature((int)size);
}

int pnl_vocab_has_parts(int size)
{
    return size >= PNL_TOKEN_PART_BASE + PNL_PART_TOKEN_COUNT;
}

int pnl_vocab_has_density(int size)
{
    return size >= PNL_TOKEN_DENSITY_BASE + PNL_DENSITY_COUNT;
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

int pnl_token_source(PnlSourceKind kind)
{
    return (int)kind >= 0 && (int)kind < PNL_SOURCE_COUNT ? PNL_TOKEN_SOURCE_BASE + (int)kind
                                                          : PNL_ERANGE;
}

const char *pnl_source_name(PnlSourceKind kind)
{
    return (int)kind >= 0 && (int)kind < PNL_SOURCE_COUNT ? source_names[kind] : NULL;
}

int pnl_source_index(const char *name)
{
    for (int i = 0; name && i < PNL_SOURCE_COUNT; i++)
        if (!strcmp(name, source_names[i]))
            return i;
    return PNL_EINVAL;
}

int pnl_token_density(int step)
{
    return step >= 0 && step < PNL_DENSITY_COUNT ? PNL_TOKEN_DENSITY_BASE + step : PNL_ERANGE;
}

const char *pnl_density_name(int step)
{
    return step >= 0 && step < PNL_DENSITY_COUNT ? density_names[step] : NULL;
}

int pnl_density_step(int notes, int bar_ticks)
{
    /* notes / (bar_ticks / 24) >= edge / 4, in integers. */
    int step = 0;
    for (int s = 1; s < PNL_DENSITY_COUNT && bar_ticks > 0; s++)
        if ((int64_t)notes * 4 * PNL_TICKS_PER_QUARTER >=
            (int64_t)density_lower_edge_quarters[s] * bar_ticks)
            step = s;
    return step;
}

double pnl_density_lower_edge(int step)
{
    return step >= 0 && step < PNL_DENSITY_COUNT ? density_lower_edge_quarters[step] / 4.0 : 0.0;
}

double pnl_density_target(int step)
{
    return step >= 0 && step < PNL_DENSITY_COUNT ? density_targets[step] : 0.0;
}

int pnl_token_part(int part)
{
    return part >= 0 && part < PNL_PART_TOKEN_COUNT ? PNL_TOKEN_PART_BASE + part : PNL_ERANGE;
}

int pnl_token_pitch(int pitch)
{
    return pitch >= PNL_LOWEST_PITCH && pitch <= PNL_HIGHEST_PITCH
               ? PNL_TOKEN_PITCH_BASE + pitch - PNL_LOWEST_PITCH
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

int pnl_token_meter_of(int token, int *numerator, int *denominator)
{
    if (pnl_token_family(token) != PNL_FAMILY_METER)
        return PNL_ERANGE;
    meter_of_index(pnl_token_offset(token), numerator, denominator);
    return PNL_OK;
}
