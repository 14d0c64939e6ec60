/* Making an ensemble score playable by its instruments, as a player would
 * read a part that asks too much (docs/vocabulary.md, "Ensembles").
 *
 * The chamber corpus's parts sometimes break what the grammar lets a role
 * do (parts.h): a triple or quadruple stop that a violinist spreads, a
 * legato line whose notes overlap in the file, a note below the lowest
 * string. The encoder writes only what the grammar reads, so the tokenizer
 * fits such a score first, deterministically, and counts every change. */
#ifndef PIANOLA_PLAYABLE_H
#define PIANOLA_PLAYABLE_H

#include <stddef.h>

#include "score.h"

typedef struct {
    size_t out_of_range;   /* notes outside their role's range, dropped */
    size_t undeclared;     /* notes of a role the score does not declare, dropped */
    size_t chord_notes;    /* inner notes of a chord too big for the role, dropped */
    size_t overlaps_cut;   /* notes ended early by a later note of their part */
    size_t restruck;       /* notes ended where their part strikes their pitch again */
} PnlPlayableCounts;

/* Fits a normalized score with parts to its roles, in place:
 *  - a note outside its role's range, or of an undeclared role, is dropped;
 *  - a note still sounding where its part strikes its pitch again ends
 *    there, as the piano reader ends a key struck again (midifile.h): a
 *    part's channel sounds one note of a pitch, so the MIDI file says the
 *    same as the tokens;
 *  - an onset's group of more notes than the role sounds at once keeps its
 *    highest and lowest (a single-voice role its highest): a spread chord's
 *    outer voices, the ones a listener follows;
 *  - a limited role's durations are snapped to the vocabulary's, and a new
 *    note ends the part's earlier notes still sounding when the role's
 *    limit would be passed (those that would end soonest first, the lower
 *    pitch on a tie), at the new onset: a legato overlap becomes a plain
 *    legato.
 * A score without parts (solo piano) is left as it is. `counts` (may be
 * NULL) receives what changed, added to what it holds. */
void pnl_score_make_playable(PnlScore *score, PnlPlayableCounts *counts);

#endif
