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
#include "parts.h"
#include "playable.h"

enum { PNL_TOKENIZE_MAX_TRACKS = 32 };

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
    /* An ensemble's file (track_count > 0): each sounding track is its own
     * instrument (pnl_midi_read_tracks), and its notes take the role
     * track_parts[track] (PnlPart), or are left out where it is -1. A
     * piece whose kept roles are the piano alone is written as solo piano,
     * without PART tokens; any other is made playable (playable.h) and
     * declares its roles. With track_count 0 the file is one piano, as
     * the piano corpus is read. */
    int8_t track_parts[PNL_TOKENIZE_MAX_TRACKS];
    int track_count;
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
    PnlPartSet parts;           /* the roles the piece declares; 0 for solo piano */
    PnlPlayableCounts playable; /* what making an ensemble playable changed */
    size_t notes_left_out;      /* notes of tracks left out (track_parts -1) */
} PnlTokenized;

/* The roles of a file's sounding tracks from the corpus catalog's
 * `instruments` column ("violin;violin;viola;cello", one name per sounding
 * track): the first violin is violin_1 and the second violin_2, a piano's
 * staves (two tracks) are all the piano, the voice is the melody. `keep`
 * (NULL for all) is a comma-separated list of the instruments to keep
 * ("piano", "piano,voice"); tracks of the others get -1. Fills
 * options->track_parts and track_count. Returns PNL_OK, or PNL_EINVAL with
 * `message` saying which instrument has no role (a third violin, a
 * flute). */
int pnl_tokenize_parts_of_instruments(const char *instruments, const char *keep,
                                      PnlTokenizeOptions *options, char *message,
                                      size_t message_size);

/* Reads and encodes the MIDI file at `path`. Returns PNL_OK, or the
 * reader's or the codec's error with `message` naming the file and what is
 * wrong (`out` then holds no tokens). */
int pnl_tokenize_midi_file(const char *path, const PnlTokenizeOptions *options,
                           PnlTokenized *out, char *message, size_t message_size);

void pnl_tokenized_free(PnlTokenized *tokenized);

#endif
