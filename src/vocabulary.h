/* Pianola's vocabulary: the one language every part speaks
 * (docs/vocabulary.md is the contract). A piece of piano music in musical
 * time becomes a sequence of small integer tokens -- START, COMPOSER_x, the
 * kind of source (SOURCE_performed or SOURCE_engraved), then bars of BAR,
 * METER_n_d, the bar's DENSITY_x (in density mode), POS_p and notes spelled
 * PITCH_k VEL_v DUR_t, then END; a piece for an ensemble declares its
 * roles (PART_x, parts.h) after COMPOSER and names one before each group
 * of an onset's notes -- and
 * this file names them: their ids and families, the composers,
 * meters, velocity levels and durations the tokens stand for, and the
 * signature that weights files carry to prove they were trained on it.
 *
 * Time is counted in grid ticks of 1/24 of a quarter note. The score
 * (score.h), the grammar (grammar.h) and the codec (codec.h) build on it. */
#ifndef PIANOLA_VOCABULARY_H
#define PIANOLA_VOCABULARY_H

#include <stddef.h>
#include <stdint.h>

enum {
    PNL_TICKS_PER_QUARTER = 24,
    PNL_MAX_BAR_TICKS = 192,   /* 8 quarter notes */
    PNL_LOWEST_PITCH = 21,     /* A0, the piano's lowest key */
    PNL_HIGHEST_PITCH = 108,   /* C8, its highest */
    PNL_VELOCITY_LEVELS = 16,
    PNL_MAX_DURATION_TICKS = 384, /* 16 beats */
    /* The longest piece the codec reads or writes: 20000 bars of 4/4, about
     * eleven hours at 120 BPM. It bounds the bare bars a file with an absurd
     * length could make us write. */
    PNL_MAX_PIECE_TICKS = 20000 * 4 * 24,
    PNL_TOKEN_NAME_MAX = 32
};

/* Token families in id order, and the first id and size of each. */
typedef enum {
    PNL_FAMILY_PAD,
    PNL_FAMILY_START,
    PNL_FAMILY_END,
    PNL_FAMILY_COMPOSER,
    PNL_FAMILY_BAR,
    PNL_FAMILY_METER,
    PNL_FAMILY_POS,
    PNL_FAMILY_PITCH,
    PNL_FAMILY_VEL,
    PNL_FAMILY_DUR,
    PNL_FAMILY_SOURCE,  /* added after the others, so their ids stayed */
    PNL_FAMILY_DENSITY, /* added after SOURCE, so every older id stayed */
    PNL_FAMILY_PART,    /* last: an ensemble's roles (parts.h), after DENSITY */
    PNL_FAMILY_COUNT,
    PNL_FAMILY_NONE = -1
} PnlFamily;

enum {
    PNL_COMPOSER_COUNT = 27,
    PNL_METER_COUNT = 60,
    PNL_POS_COUNT = PNL_MAX_BAR_TICKS,
    PNL_PITCH_COUNT = PNL_HIGHEST_PITCH - PNL_LOWEST_PITCH + 1,
    PNL_VEL_COUNT = PNL_VELOCITY_LEVELS,
    PNL_DUR_COUNT = 41,
    PNL_SOURCE_COUNT = 2,
    PNL_DENSITY_COUNT = 5,
    PNL_PART_TOKEN_COUNT = 6, /* PNL_PART_COUNT (parts.h) */

    PNL_TOKEN_PAD = 0,
    PNL_TOKEN_START = 1,
    PNL_TOKEN_END = 2,
    PNL_TOKEN_COMPOSER_BASE = 3,
    PNL_TOKEN_BAR = PNL_TOKEN_COMPOSER_BASE + PNL_COMPOSER_COUNT,
    PNL_TOKEN_METER_BASE = PNL_TOKEN_BAR + 1,
    PNL_TOKEN_POS_BASE = PNL_TOKEN_METER_BASE + PNL_METER_COUNT,
    PNL_TOKEN_PITCH_BASE = PNL_TOKEN_POS_BASE + PNL_POS_COUNT,
    PNL_TOKEN_VEL_BASE = PNL_TOKEN_PITCH_BASE + PNL_PITCH_COUNT,
    PNL_TOKEN_DUR_BASE = PNL_TOKEN_VEL_BASE + PNL_VEL_COUNT,
    PNL_TOKEN_SOURCE_BASE = PNL_TOKEN_DUR_BASE + PNL_DUR_COUNT,
    PNL_TOKEN_DENSITY_BASE = PNL_TOKEN_SOURCE_BASE + PNL_SOURCE_COUNT,
    PNL_TOKEN_PART_BASE = PNL_TOKEN_DENSITY_BASE + PNL_DENSITY_COUNT,
    PNL_VOCAB_SIZE = PNL_TOKEN_PART_BASE + PNL_PART_TOKEN_COUNT,
    /* The vocabulary before the DENSITY family: a model trained on it
     * (the bundled one until it is retrained) is still read, and composes
     * without density tokens (docs/vocabulary.md, "Density"). */
    PNL_VOCAB_SIZE_BEFORE_DENSITY = PNL_TOKEN_DENSITY_BASE,
    /* The vocabulary before the PART family: a piano model with the
     * DENSITY family. It composes solo piano: the sampler never offers it
     * a token beyond its own vocabulary, so never a PART. */
    PNL_VOCAB_SIZE_BEFORE_PARTS = PNL_TOKEN_PART_BASE
};

/* What kind of source a piece's velocities come from: a pianist's
 * performance, or printed dynamics rendered by an engraving program (one
 * level for long stretches). The network learns both and composes
 * "performed" unless asked otherwise. */
typedef enum {
    PNL_SOURCE_PERFORMED,
    PNL_SOURCE_ENGRAVED
} PnlSourceKind;

int pnl_vocab_size(void);
/* 64-bit FNV-1a over every token name in id order, each followed by '\n'. */
uint64_t pnl_vocab_signature(void);
/* The signature of the first `count` tokens alone (count in 1..size). */
uint64_t pnl_vocab_prefix_signature(int count);
/* Whether a model's vocabulary (its signature and size) is one this codec
 * reads: the whole vocabulary, or one of the earlier ones it begins with
 * (before the DENSITY family, before the PART family). */
int pnl_vocab_accepts(uint64_t signature, uint32_t size);
/* Whether `size` is the size of a vocabulary this codec reads (the whole
 * one or an earlier prefix of it). */
int pnl_vocab_is_known_size(int size);
/* Whether a vocabulary of `size` tokens holds the PART family, so a model
 * reading it can compose ensembles. */
int pnl_vocab_has_parts(int size);
/* Whether a vocabulary of `size` tokens holds the DENSITY family, so the
 * model reading it writes a DENSITY token after each bar's METER. */
int pnl_vocab_has_density(int size);
/* Writes the token's name ("PITCH_60") into `name` (at least
 * PNL_TOKEN_NAME_MAX bytes); returns its length, or PNL_ERANGE. */
int pnl_token_name(int token, char *name, size_t size);
/* The id of a token name, or PNL_EINVAL if no token has that name. */
int pnl_token_from_name(const char *name);
PnlFamily pnl_token_family(int token);
/* The first id of a family and its number of tokens. */
int pnl_family_base(PnlFamily family);
int pnl_family_count(PnlFamily family);
/* A token's index within its family (PITCH_21 -> 0, POS_12 -> 12). */
int pnl_token_offset(int token);

int pnl_composer_count(void);
const char *pnl_composer_name(int composer); /* NULL outside 0..count-1 */
int pnl_composer_index(const char *name);    /* PNL_EINVAL if unknown */
int pnl_token_composer(int composer);        /* COMPOSER_<name> */

int pnl_token_source(PnlSourceKind kind); /* SOURCE_<kind>, else PNL_ERANGE */
const char *pnl_source_name(PnlSourceKind kind); /* "performed", "engraved"; NULL else */
int pnl_source_index(const char *name);          /* PNL_EINVAL if unknown */

/* Density steps: how many notes a bar holds per beat (a quarter note),
 * in bins measured over the corpus (docs/vocabulary.md). Step 0 is the
 * sparsest. */
int pnl_token_density(int step);       /* DENSITY_<name>, step 0..4, else PNL_ERANGE */
const char *pnl_density_name(int step); /* "sparse" .. "very_busy"; NULL else */
/* The step of a bar of bar_ticks ticks holding `notes` notes. */
int pnl_density_step(int notes, int bar_ticks);
/* The step's target: the mean notes per beat of the corpus bars in it. */
double pnl_density_target(int step);
/* The fewest notes per beat of a bar in the step (0 for the first). */
double pnl_density_lower_edge(int step);

int pnl_token_pitch(int pitch);   /* PITCH_<pitch>, pitch in 21..108, else PNL_ERANGE */
int pnl_token_pos(int position);  /* POS_<p>, p in 0..191 */
int pnl_token_vel(int level);     /* VEL_<v>, v in 0..15 */
int pnl_token_dur(int index);     /* DUR_<t> for the index-th duration */
int pnl_token_meter(int numerator, int denominator); /* PNL_ERANGE off the table */
int pnl_token_part(int part);     /* PART_<role> for a role of parts.h, else PNL_ERANGE */

/* Velocity: MIDI 1..127 to a level 0..15 and the level back (8v+5). */
int pnl_velocity_level(int midi_velocity);
int pnl_velocity_of_level(int level);

/* Durations: the index-th representable length in ticks, and the index a
 * length snaps to (nearest on a logarithmic scale, ties to the shorter;
 * anything from 384 ticks up is 384). */
int pnl_duration_ticks(int index);
int pnl_duration_index(int64_t ticks);

/* Meters. Bar length in ticks of n/d (d a power of two). */
int pnl_meter_bar_ticks(int numerator, int denominator);
/* Maps any MIDI time signature (numerator >= 1, denominator a power of two,
 * given as its exponent as in the file: 2 means a quarter) to a meter of the
 * table that keeps the bar lines where they are, as docs/vocabulary.md says.
 * Returns PNL_OK, or PNL_ERANGE for a numerator of 0 or an exponent > 30. */
int pnl_meter_map(int numerator, int denominator_exponent, int *out_numerator,
                  int *out_denominator);
/* The meter a METER token stands for: PNL_OK, or PNL_ERANGE (and nothing
 * written) for any other token. */
int pnl_token_meter_of(int token, int *numerator, int *denominator);

#endif
