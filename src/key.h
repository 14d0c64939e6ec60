/* The key of a passage of notes, and the transposition that carries it into
 * the frame a key-normalized network composes in.
 *
 * A key-normalized network learned every piece moved to C major / A minor
 * (the key signature without sharps or flats). To continue a player's
 * phrase, Pianola finds the phrase's key, moves the phrase into that frame,
 * lets the network continue it there and moves the continuation back. The
 * tokenizer records the same transposition for every piece it writes, so
 * training, evaluation and the plugin all agree on it.
 *
 * The key is the Krumhansl-Schmuckler estimate: the correlation of the
 * passage's duration-weighted pitch-class histogram with the Krumhansl-Kessler
 * profile of each of the 24 major and minor keys. Pure functions: nothing
 * here allocates, so the plugin may call them anywhere. */
#ifndef PIANOLA_KEY_H
#define PIANOLA_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "score.h"

typedef struct {
    int tonic;          /* pitch class 0..11 (0 = C) */
    int minor;          /* 1 for a minor key */
    double correlation; /* of the histogram with the key's profile, -1..1 */
} PnlKey;

/* Accumulates notes into a pitch-class histogram: each note weighs its
 * duration in ticks, capped at a half note so a pedal point does not
 * outweigh a melody. It keeps the lowest and highest key too. */
typedef struct {
    double weight[12];
    size_t note_count;
    int lowest, highest; /* keys struck; 0 while empty */
} PnlKeyHistogram;

void pnl_key_histogram_clear(PnlKeyHistogram *histogram);
void pnl_key_histogram_add(PnlKeyHistogram *histogram, int pitch, int32_t duration_ticks);
/* Adds the notes of an encoded passage (START ... as the codec writes it;
 * it stops at END or at the first token the grammar forbids). */
void pnl_key_histogram_add_tokens(PnlKeyHistogram *histogram, const uint16_t *tokens,
                                  size_t count);

/* The best-correlated key. Returns 0 and leaves *key at C major when the
 * histogram is empty (no key can be told), 1 otherwise. Ties go to the
 * first key in the order C major, C minor, C# major, ... */
int pnl_key_estimate(const PnlKeyHistogram *histogram, PnlKey *key);
int pnl_key_of_notes(const PnlNote *notes, size_t count, PnlKey *key);

/* The semitones, in -6..5, from the normalized frame (C major, A minor) up
 * to the key's signature: 2 for D major and for B minor, -5 for G major... */
int pnl_key_frame_shift(const PnlKey *key);

/* The transposition to use for music spanning keys lowest..highest: the
 * shift congruent to `shift` modulo 12 nearest to it such that moving the
 * music by -shift keeps it on the piano (A0..C8). Returns `shift` itself
 * when no octave choice fits. */
int pnl_key_fit_shift(int shift, int lowest, int highest);

/* All of the above: the key shift of the histogram's music (its frame
 * shift, fitted to its range), 0 for an empty histogram. `key` (may be
 * NULL) receives the key. */
int pnl_key_shift(const PnlKeyHistogram *histogram, PnlKey *key);

/* 1 if the key `pitch`, moved down by `shift` into the network's frame,
 * stays on the piano (A0..C8). */
int pnl_key_shift_keeps_on_piano(int pitch, int shift);

/* Moves the PITCH tokens of an encoded passage by `semitones` in place
 * (clamped at A0 and C8; fit the shift first so nothing is clamped). */
void pnl_key_move_tokens(uint16_t *tokens, size_t count, int semitones);

/* The key shift of a piece composed from silence: one of the twelve keys
 * (-6..5 semitones above C major / A minor), chosen by the seed. */
int pnl_key_shift_of_seed(uint64_t seed);

/* The key a piece is composed in: its prompt's key shift (pnl_key_shift)
 * when the prompt has notes, otherwise the seed's. Never estimated from
 * composed music, so the key cannot wander from one stretch to the next.
 * The plugin (a captured phrase) and pianola-generate (--prompt) both
 * choose it here, so the same phrase and seed give the same key. */
int pnl_key_shift_of_prompt_or_seed(const PnlKeyHistogram *prompt, uint64_t seed);

/* A key's name for messages: "E-flat minor". */
const char *pnl_key_tonic_name(int tonic);

#endif
