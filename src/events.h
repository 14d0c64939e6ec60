/* Pianola's event vocabulary and codec: the one language every part speaks
 * (docs/vocabulary.md is the contract). A piece of piano music in musical time
 * -- a score of notes and meter changes -- becomes a sequence of small integer
 * tokens and back. The tokenizer writes these tokens for training; the sampler
 * masks the network's choices with the grammar below; the plugin decodes the
 * accepted tokens into notes on its timeline.
 *
 * Time is counted in grid ticks of 1/24 of a quarter note. */
#ifndef PIANOLA_EVENTS_H
#define PIANOLA_EVENTS_H

#include <stddef.h>
#include <stdint.h>

enum {
    PNL_TICKS_PER_QUARTER = 24,
    PNL_MAX_BAR_TICKS = 192,   /* 8 quarter notes */
    PNL_LOWEST_KEY = 21,       /* A0 */
    PNL_HIGHEST_KEY = 108,     /* C8 */
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
    PNL_FAMILY_NONE = -1
} PnlFamily;

enum {
    PNL_COMPOSER_COUNT = 27,
    PNL_METER_COUNT = 60,
    PNL_POS_COUNT = PNL_MAX_BAR_TICKS,
    PNL_PITCH_COUNT = PNL_HIGHEST_KEY - PNL_LOWEST_KEY + 1,
    PNL_VEL_COUNT = PNL_VELOCITY_LEVELS,
    PNL_DUR_COUNT = 41,

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
    PNL_VOCAB_SIZE = PNL_TOKEN_DUR_BASE + PNL_DUR_COUNT
};

/* ---- The vocabulary ---------------------------------------------------- */

int pnl_vocab_size(void);
/* 64-bit FNV-1a over every token name in id order, each followed by '\n'. */
uint64_t pnl_vocab_signature(void);
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

int pnl_token_pitch(int key);     /* PITCH_<key>, key in 21..108, else PNL_ERANGE */
int pnl_token_pos(int position);  /* POS_<p>, p in 0..191 */
int pnl_token_vel(int level);     /* VEL_<v>, v in 0..15 */
int pnl_token_dur(int index);     /* DUR_<t> for the index-th duration */
int pnl_token_meter(int numerator, int denominator); /* PNL_ERANGE off the table */

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

/* ---- Scores ------------------------------------------------------------- */

typedef struct {
    int64_t onset_ticks;    /* from the start of the piece */
    int32_t duration_ticks; /* >= 1; the sounding length, before snapping */
    uint8_t pitch;          /* MIDI key */
    uint8_t velocity;       /* MIDI 1..127 */
} PnlNote;

/* A time signature from `at_ticks` on; it takes effect at the first bar line
 * at or after that tick. Numerator/denominator are a meter of the table. */
typedef struct {
    int64_t at_ticks;
    uint8_t numerator;
    uint8_t denominator;
} PnlMeterChange;

/* Notes sorted by onset then pitch (see pnl_score_normalize) and meter
 * changes by tick. The arrays grow as notes are added (not real-time). */
typedef struct {
    PnlNote *notes;
    size_t note_count;
    size_t note_capacity;
    PnlMeterChange *meters;
    size_t meter_count;
    size_t meter_capacity;
} PnlScore;

void pnl_score_init(PnlScore *score);
void pnl_score_free(PnlScore *score);
void pnl_score_clear(PnlScore *score);
int pnl_score_add_note(PnlScore *score, PnlNote note);
int pnl_score_add_meter(PnlScore *score, PnlMeterChange meter);

/* What pnl_score_normalize removed. */
typedef struct {
    size_t out_of_range;  /* keys outside A0..C8 */
    size_t duplicates;    /* a key struck again at the same grid position */
} PnlDropCounts;

/* Sorts notes by onset then pitch (stable), drops keys outside A0..C8 and a
 * second note on a key at one onset, clamps velocity to 1..127 and duration
 * to >= 1, and sorts the meter changes. `dropped` may be NULL. */
void pnl_score_normalize(PnlScore *score, PnlDropCounts *dropped);

/* ---- Grammar: which token may come next ----------------------------------- */

typedef struct {
    int state;               /* private */
    int composer;            /* -1 until COMPOSER */
    int meter_token;         /* current meter, -1 before the first */
    int64_t bar_start_ticks; /* of the current bar */
    int bar_ticks;           /* length of the current bar */
    int bar_count;           /* BAR tokens seen */
    int position;            /* of the current onset, -1 before one in this bar */
    int last_pitch;          /* key of the last note of this onset, -1 before one */
    int note_pitch;          /* the note being spelled (PITCH seen, DUR due) */
} PnlGrammar;

void pnl_grammar_reset(PnlGrammar *grammar);
/* 1 if `token` may come next, 0 if not. */
int pnl_grammar_allows(const PnlGrammar *grammar, int token);
/* mask[id] = 1 for every token that may come next, 0 for the rest
 * (PNL_VOCAB_SIZE bytes). Returns how many are allowed. */
int pnl_grammar_mask(const PnlGrammar *grammar, uint8_t *mask);
/* Accepts `token`: PNL_OK, or PNL_EINVAL (state unchanged) if not allowed. */
int pnl_grammar_advance(PnlGrammar *grammar, int token);
/* 1 once END was accepted. */
int pnl_grammar_finished(const PnlGrammar *grammar);
/* Where the piece stands: the current bar's first tick and length (0 before
 * its meter is known) and the current onset's position in it (-1 before
 * one). The fields of PnlGrammar say the same and may be read directly. */
int64_t pnl_grammar_bar_start_ticks(const PnlGrammar *grammar);
int pnl_grammar_bar_ticks(const PnlGrammar *grammar);
int pnl_grammar_position(const PnlGrammar *grammar);
/* Tick of the current onset from the start of the piece (-1 before one). */
int64_t pnl_grammar_onset_ticks(const PnlGrammar *grammar);

/* ---- Decoding token by token ----------------------------------------------- */

typedef struct {
    PnlGrammar grammar;
    int velocity_level; /* of the note being spelled */
} PnlDecoder;

void pnl_decoder_reset(PnlDecoder *decoder);
/* Accepts one token. Returns 1 and fills `note` when the token completes a
 * note (its DUR), 0 when it does not, PNL_EINVAL if the grammar forbids it
 * (the decoder is then unchanged). Never allocates. */
int pnl_decoder_push(PnlDecoder *decoder, int token, PnlNote *note);

/* ---- Whole pieces ---------------------------------------------------------- */

/* Encodes a normalized score as START COMPOSER bars END into `tokens`.
 * `*count` receives the number of tokens the piece needs; if that is more
 * than `capacity` (or `tokens` is NULL) nothing is complete and the call
 * returns PNL_ENOMEM, so a caller can ask for the size first. Returns
 * PNL_EINVAL for an unnormalized score or unknown composer, PNL_ERANGE for a
 * piece longer than PNL_MAX_PIECE_TICKS. */
int pnl_encode(const PnlScore *score, int composer, uint16_t *tokens, size_t capacity,
               size_t *count, char *message, size_t message_size);

/* Decodes a token sequence (START ... END; END may be missing) into `score`
 * (cleared first). `composer` may be NULL. Fails with PNL_EINVAL naming the
 * first token the grammar forbids. */
int pnl_decode(const uint16_t *tokens, size_t count, PnlScore *score, int *composer,
               char *message, size_t message_size);

#endif
