/* The parts of an ensemble: what each role of a piece may play
 * (docs/vocabulary.md, "Ensembles").
 *
 * A piece for several instruments declares its roles with PART tokens after
 * COMPOSER (and SOURCE); every onset then names the role of each group of
 * notes. This table is the one place that says what a role is: its token
 * name, the General MIDI program the MIDI writer gives it, its range and
 * how many notes it may sound at once. The grammar masks with it, the
 * encoder fits data to it, the tokenizer maps tracks to it and the MIDI
 * writer names tracks from it. An ensemble is only a set of roles, so a
 * piano trio (violin_1, cello, piano) needs data, not code. */
#ifndef PIANOLA_PARTS_H
#define PIANOLA_PARTS_H

#include <stdint.h>

/* Roles in token order; the order is part of the vocabulary, and groups of
 * an onset come in it. The piano is role 0, so a note of a solo piece (and
 * a zeroed note) is a piano note. */
typedef enum {
    PNL_PART_PIANO,
    PNL_PART_VIOLIN_1,
    PNL_PART_VIOLIN_2,
    PNL_PART_VIOLA,
    PNL_PART_CELLO,
    PNL_PART_MELODY, /* a song's voice line; the plugin lets a chosen instrument play it */
    PNL_PART_COUNT
} PnlPart;

enum {
    /* Notes a string sounds at once: two strings bowed together, a double
     * stop. The grammar keeps this many end times per limited role. */
    PNL_PART_MAX_VOICES = 2,
    /* A role's `voices` when it is not limited (the piano). */
    PNL_PART_UNLIMITED = 0
};

typedef struct {
    const char *name;  /* the token's suffix: PART_<name> */
    const char *label; /* the MIDI track's name: "Violin I" */
    uint8_t program;   /* General MIDI program, 0-based: 0 piano, 40 violin */
    uint8_t lowest, highest; /* MIDI pitches, inclusive */
    uint8_t voices;    /* notes it may sound at once; PNL_PART_UNLIMITED for the piano */
    uint8_t pan;       /* MIDI pan (0 left, 64 centre, 127 right), as the players sit */
} PnlPartRole;

/* The role's row, or NULL outside 0..PNL_PART_COUNT-1. */
const PnlPartRole *pnl_part_role(int part);
/* The role named `name` ("violin_1"), or -1. */
int pnl_part_index(const char *name);
/* Whether `pitch` lies in the role's range. */
int pnl_part_in_range(int part, int pitch);

/* A set of roles, bit `part` for each (1u << PNL_PART_VIOLIN_1 | ...).
 * The empty set is solo piano, written without PART tokens. */
typedef uint32_t PnlPartSet;

/* The ensembles the plugin offers, in the order of its Ensemble port:
 * X(name, label, parts). Solo piano first, as the port's default. */
#define PNL_PART_BIT(part) (1u << (part))
#define PNL_ENSEMBLE_CHOICES(X)                                                                   \
    X("solo_piano", "Solo piano", 0u)                                                             \
    X("violin_piano", "Violin and piano",                                                         \
      PNL_PART_BIT(PNL_PART_VIOLIN_1) | PNL_PART_BIT(PNL_PART_PIANO))                             \
    X("cello_piano", "Cello and piano", PNL_PART_BIT(PNL_PART_CELLO) | PNL_PART_BIT(PNL_PART_PIANO)) \
    X("string_quartet", "String quartet",                                                         \
      PNL_PART_BIT(PNL_PART_VIOLIN_1) | PNL_PART_BIT(PNL_PART_VIOLIN_2) |                         \
          PNL_PART_BIT(PNL_PART_VIOLA) | PNL_PART_BIT(PNL_PART_CELLO))                            \
    X("melody_piano", "Melody and piano",                                                         \
      PNL_PART_BIT(PNL_PART_MELODY) | PNL_PART_BIT(PNL_PART_PIANO))

/* The instruments that may play a melody part (the songs' voice line), in
 * the order of the plugin's Melody port: X(name, label, General MIDI
 * program, 0-based). The oboe first, as MuseScore wrote the voice lines. */
#define PNL_MELODY_INSTRUMENT_CHOICES(X)                                                          \
    X("oboe", "Oboe", 68) X("violin", "Violin", 40) X("flute", "Flute", 73)                       \
    X("clarinet", "Clarinet", 71) X("cello", "Cello", 42) X("voice", "Voice", 53)

/* Who plays a phrase played on the keyboard (a captured or given prompt):
 * the piano where the ensemble has one (a pianist's phrase, continued by
 * the piano and joined by the others), or its top part (the first violin,
 * the cello of Cello and piano, the melody), which a keyboard melody suits;
 * X(name, label). An ensemble without a piano always gives the top part. */
#define PNL_PROMPT_PART_CHOICES(X) X("piano", "The piano") X("top", "The top part")
enum { PNL_PROMPT_PART_PIANO, PNL_PROMPT_PART_TOP };

#define PNL_PART_CHOICE_NAME(name, label, value) name,
#define PNL_PART_CHOICE_LABEL(name, label, value) label,
#define PNL_PART_CHOICE_ONE(name, label, value) +1

#define PNL_PROMPT_CHOICE_ONE(name, label) +1
enum {
    PNL_PROMPT_PART_CHOICE_COUNT = 0 PNL_PROMPT_PART_CHOICES(PNL_PROMPT_CHOICE_ONE),
    PNL_ENSEMBLE_CHOICE_COUNT = 0 PNL_ENSEMBLE_CHOICES(PNL_PART_CHOICE_ONE),
    PNL_MELODY_INSTRUMENT_COUNT = 0 PNL_MELODY_INSTRUMENT_CHOICES(PNL_PART_CHOICE_ONE)
};

/* The General MIDI program (0-based) of the index-th melody instrument;
 * the first one's for an index out of range. */
int pnl_melody_instrument_program(int index);

/* The MIDI channel (0-based) a role's notes go out on, from the plugin and
 * in a written MIDI file: the role's own, whatever the ensemble, so a
 * host's track set to a channel always records the same instrument:
 * piano 1, violin I 2, violin II 3, viola 4, cello 5, melody 6 (1-based). */
static inline int pnl_part_channel(int part)
{
    return part >= 0 && part < PNL_PART_COUNT ? part : 0;
}


/* The role a phrase played on the keyboard takes in an ensemble of these
 * roles, by a PNL_PROMPT_PART_CHOICES index. */
int pnl_ensemble_prompt_part(PnlPartSet parts, int choice);

/* The ensembles the plugin offers, by name, with their roles. */
typedef struct {
    const char *name;  /* "violin_piano" */
    const char *label; /* "Violin and piano" */
    PnlPartSet parts;  /* 0: solo piano, no PART tokens */
} PnlEnsemble;

int pnl_ensemble_count(void);
/* The index-th ensemble (0 is solo piano), or NULL. */
const PnlEnsemble *pnl_ensemble(int index);
/* The ensemble named `name`, or -1. */
int pnl_ensemble_index(const char *name);

#endif
