/* The codec: a whole score to tokens and tokens back to a score
 * (docs/vocabulary.md). The tokenizer writes training data with it, the
 * plugin and pianola-generate encode prompts with it, and composed pieces
 * are decoded by it. */
#ifndef PIANOLA_CODEC_H
#define PIANOLA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "vocabulary.h"

/* Encodes a normalized score as START COMPOSER bars END into `tokens`. A
 * score with parts (score->parts) declares them after COMPOSER (and
 * SOURCE) and groups each onset's notes by part; its notes must keep their
 * roles' ranges and polyphony in snapped durations (pnl_score_make_playable,
 * playable.h, makes them so), else PNL_EINVAL names the first token that
 * breaks them.
 * `*count` receives the number of tokens the piece needs; if that is more
 * than `capacity` (or `tokens` is NULL) nothing is complete and the call
 * returns PNL_ENOMEM, so a caller can ask for the size first. Returns
 * PNL_EINVAL for an unnormalized score or unknown composer, PNL_ERANGE for a
 * piece longer than PNL_MAX_PIECE_TICKS. */
int pnl_encode(const PnlScore *score, int composer, uint16_t *tokens, size_t capacity,
               size_t *count, char *message, size_t message_size);

/* The same with the piece's kind of source after COMPOSER: START COMPOSER
 * SOURCE bars END, as training pieces are written. `source` is a
 * PnlSourceKind, or -1 for none. With `density_bars` 1, every bar's METER
 * is followed by the bar's DENSITY token, the step of its notes per beat
 * (pnl_density_step); with source -1 and density_bars 0 this is pnl_encode. */
int pnl_encode_piece(const PnlScore *score, int composer, int source, int density_bars,
                     uint16_t *tokens, size_t capacity, size_t *count, char *message,
                     size_t message_size);

/* Decodes a token sequence (START ... END; END may be missing) into `score`
 * (cleared first), with its declared parts and each note's part.
 * `composer` may be NULL. A sequence holding any DENSITY
 * token is read in density mode (every bar must then have one); DENSITY
 * tokens carry no notes. Fails with PNL_EINVAL naming the first token the
 * grammar forbids. */
int pnl_decode(const uint16_t *tokens, size_t count, PnlScore *score, int *composer,
               char *message, size_t message_size);

#endif
