/* The grammar every piece obeys, and the decoder that reads notes off it
 * token by token (docs/vocabulary.md, "Grammar").
 *
 * The grammar is a small state machine: it says which tokens may come next
 * (the sampler masks the network's choices with it, so decoding can never
 * run backwards in time, leave its bar or strike a pitch twice in a chord) and
 * where the piece stands (bar, meter, onset). In a piece for an ensemble it
 * also keeps each part in its instrument's range and polyphony (parts.h),
 * so a sampled string part is always playable. The decoder follows it and
 * completes a note at each DUR. Neither allocates, so the plugin's worker
 * can run them one token at a time. */
#ifndef PIANOLA_GRAMMAR_H
#define PIANOLA_GRAMMAR_H

#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "vocabulary.h"

typedef struct {
    int state;               /* private */
    int composer;            /* -1 until COMPOSER */
    int source;              /* PnlSourceKind, -1 until (and without) SOURCE */
    int meter_token;         /* current meter, -1 before the first */
    /* Density mode: 1 when every bar's METER is followed by exactly one
     * DENSITY token (pnl_grammar_set_density), 0 when no bar has one. */
    int density_bars;
    int density_step;        /* the current bar's DENSITY step, -1 without one */
    int64_t bar_start_ticks; /* of the current bar */
    int bar_ticks;           /* length of the current bar */
    int bar_count;           /* BAR tokens seen */
    int position;            /* of the current onset, -1 before one in this bar */
    int last_pitch;          /* pitch of the last note of this onset, -1 before one */
    int note_pitch;          /* the note being spelled (PITCH seen, DUR due) */
    /* The roles the piece declared (PART tokens after COMPOSER/SOURCE); 0
     * for solo piano. */
    PnlPartSet parts;
    /* The role of the current group of notes in this onset, or (before
     * the first bar) the last role declared; -1 before one. In a solo
     * piece it stays -1 and every note is the piano's. */
    int part;
    /* Where the notes of each limited role (a string, the melody) end, one
     * slot per note it may sound at once (0 when free): a new note of the
     * role may come only while fewer than its `voices` still sound. */
    int64_t part_sounding_until_ticks[PNL_PART_COUNT][PNL_PART_MAX_VOICES];
    /* Semitones the music sounds above its PITCH tokens: a key-normalized
     * network spells its notes in C major / A minor, and a role's range
     * holds for the sounding pitch (pnl_grammar_set_range_shift). 0 for
     * tokens as written. */
    int range_shift;
    /* Where each key's last note ends (0 before one): a key struck again
     * cuts its note short, on a piano as in a MIDI file, so a long note
     * sounds only until the same key's next onset. */
    int64_t key_sounding_until_ticks[PNL_PITCH_COUNT];
} PnlGrammar;

/* Resets to the start of a piece, without density tokens. */
void pnl_grammar_reset(PnlGrammar *grammar);
/* Density mode on (1) or off (0), from the next bar on: a caller sets it
 * right after a reset, for a model or a token file with the DENSITY
 * family. */
void pnl_grammar_set_density(PnlGrammar *grammar, int density_bars);
/* The sounding pitch of a PITCH token is `semitones` above it (-11..11):
 * set right after a reset by a generator whose network hears the music
 * moved into its key frame, so an ensemble's parts keep their ranges as
 * they sound. Solo piano is not affected. */
void pnl_grammar_set_range_shift(PnlGrammar *grammar, int semitones);
/* Whether `part` may begin another note at `onset_ticks`: fewer of its
 * notes than it sounds at once still sound there (always for the piano). */
int pnl_grammar_part_has_voice(const PnlGrammar *grammar, int part, int64_t onset_ticks);
/* The density mode of a whole token sequence: 1 if it holds any DENSITY
 * token (then every bar must have one), else 0. */
int pnl_grammar_density_of(const uint16_t *tokens, size_t count);
/* The role of the note being spelled or last completed: the current
 * group's part, PNL_PART_PIANO in a solo piece. */
int pnl_grammar_note_part(const PnlGrammar *grammar);
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
/* 1 when a note sounds somewhere in the last `tail_ticks` of the current
 * bar past its first tick (a note of this bar or one held into it), or when
 * no bar with a meter is open; 0 when a BAR now would leave that tail of the bar silent. The
 * generator asks it before letting a bar end (generator.h). */
int pnl_grammar_bar_tail_sounds(const PnlGrammar *grammar, int tail_ticks);

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

#endif
