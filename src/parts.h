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
