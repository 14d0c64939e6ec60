/* A MIDI file as the tokens a network reads: read (midifile.h), encoded
 * (codec.h) and, where the network learned every piece in one key, its key
 * found and dealt with (key.h). The tokenizer writes training data this
 * way, pianola-score scores files this way and pianola-generate reads its
 * prompt this way, so the three cannot drift apart. Not for the audio
 * thread: it reads a file and allocates. */
#ifndef PIANOLA_TOKENIZE_H
#define PIANOLA_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "midifile.h"

/* What becomes of the music's key. */
typedef enum {
    /* The tokens as the file is written: training data (the tokenizer
     * records the key shift beside them, and training moves them). */
    PNL_TOKENS_AS_WRITTEN,
    /* Moved down by the key shift into C major / A minor, where a
     * key-normalized network (pnl_model_key_frame) learned every piece:
     * scoring a file under such a network. */
    PNL_TOKENS_IN_KEY_FRAME,
    /* A prompt for a key-normalized network: the tokens as written (the
     * generator moves them itself, by the key shift it is given), less
     * the notes that moving them into the frame would carry off the piano
     * (a prompt spanning nearly all 88 keys). */
    PNL_TOKENS_PROMPT_FOR_KEY_FRAME
} PnlTokensKey;

typedef struct {
    int composer;     /* the codec's index (pnl_composer_index), for COMPOSER */
    /* With `with_source`, a SOURCE token of this kind follows COMPOSER, as
     * in training pieces; prompts go without (the generator gives its own). */
    int with_source;
    PnlSourceKind source;
    /* With `density_bars`, each bar's DENSITY token follows its METER (the
     * training pieces of a model with the DENSITY family, and prompts for
     * one). */
    int density_bars;
    PnlTokensKey key;
    /* PNL_TOKENS_PROMPT_FOR_KEY_FRAME: the key of a file without notes
     * (pnl_key_shift_of_prompt_or_seed). */
    uint64_t seed;
} PnlTokenizeOptions;

typedef struct {
    uint16_t *tokens; /* START ... END; free with pnl_tokenized_free */
    size_t count;
    PnlMidiReadStats stats;
    PnlKey key;       /* the music's key (C major when it has no notes) */
    /* Semitones from C major / A minor up to the music (pnl_key_shift).
     * A piece's is estimated from its tokens, as the tokenizer records it
     * for training; a prompt's from its notes as played, as the plugin
     * estimates a captured phrase's, and the seed's when it has none. */
    int key_shift;
} PnlTokenized;

/* Reads and encodes the MIDI file at `path`. Returns PNL_OK, or the
 * reader's or the codec's error with `message` naming the file and what is
 * wrong (`out` then holds no tokens). */
int pnl_tokenize_midi_file(const char *path, const PnlTokenizeOptions *options,
                           PnlTokenized *out, char *message, size_t message_size);

void pnl_tokenized_free(PnlTokenized *tokenized);

#endif
