/* The weights file (.pnm): what training exports and the engine runs.
 *
 * docs/weights-format.md is the contract. Loading reads the whole file,
 * checks every field against the bytes it has (sizes that overflow, a tensor
 * running past the end, names and shapes other than the architecture's, the
 * CRC-32, the codec signature) and refuses anything else with a message naming
 * the file and what is wrong. Loading allocates; nothing here runs on an audio
 * thread. The network code (src/lstm.c) repacks the tensors into its own
 * layout, so a PnlWeights is usually freed right after the model is built.
 *
 * The writer exists so tests and fuzzers can build files, valid or broken,
 * without Python. */
#ifndef PIANOLA_WEIGHTS_H
#define PIANOLA_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

enum {
    PNL_WEIGHTS_VERSION = 2,  /* version 1 files (no flags field) are read too */
    PNL_ARCH_LSTM = 1,
    PNL_ARCH_TRANSFORMER = 2, /* src/transformer.c */
    PNL_WEIGHTS_NAME_BYTES = 32,
    PNL_WEIGHTS_HEADER_BYTES = 52, /* 48 in version 1 */
    /* Architecture 2's own fields after the header: heads, context, epsilon. */
    PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES = 12,
    /* Flags (version 2): the network composes in C major / A minor and
     * expects music moved into that frame (src/key.h). */
    PNL_WEIGHTS_FLAG_KEY_FRAME = 1,
    /* The file declares the composers a person chooses from, with their
     * display names, and which class opens each class's pieces (the
     * composer choices section, docs/weights-format.md). */
    PNL_WEIGHTS_FLAG_CHOICES = 2,
    /* An LSTM that hears the density step in force at every step: its
     * density_embedding follows composer_embedding (docs/weights-format.md,
     * "Density conditioning"); its vocabulary holds the DENSITY family. */
    PNL_WEIGHTS_FLAG_DENSITY = 4,
    /* An LSTM that hears the parts in force (every role whose PART token it
     * has read) at every step: its part_embedding follows the density's (or
     * the composers') embedding (docs/weights-format.md, "Parts
     * conditioning"); its vocabulary holds the PART family. */
    PNL_WEIGHTS_FLAG_PARTS = 8,
    PNL_WEIGHTS_KNOWN_FLAGS = PNL_WEIGHTS_FLAG_KEY_FRAME | PNL_WEIGHTS_FLAG_CHOICES |
                              PNL_WEIGHTS_FLAG_DENSITY | PNL_WEIGHTS_FLAG_PARTS,
    /* A choice's display name: UTF-8, zero-padded to this many bytes. */
    PNL_WEIGHTS_LABEL_BYTES = 64,
    PNL_WEIGHTS_MAX_RANK = 4,

    /* What a sane model stays within; anything beyond is refused before a
     * byte is allocated for it. */
    PNL_WEIGHTS_MAX_VOCAB = 65536,
    PNL_WEIGHTS_MAX_COMPOSERS = 1024,
    PNL_WEIGHTS_MAX_CHOICES = 32, /* the plugin's Composer port holds 0..31 */
    PNL_WEIGHTS_MAX_WIDTH = 8192, /* embedding and hidden sizes */
    PNL_WEIGHTS_MAX_LAYERS = 16,
    PNL_WEIGHTS_MAX_CONTEXT = 16384 /* a transformer's window, in tokens */
};

/* The most a transformer's key-value cache may hold, in floats (2 x layers
 * x context x dimension): 256 MB per sequence. */
#define PNL_WEIGHTS_MAX_CACHE_FLOATS ((uint64_t)1 << 26)

/* Files over this size are refused without being read (the bundled ones are
 * a few MB; the issue caps them at 8 MB). */
#define PNL_WEIGHTS_MAX_FILE_BYTES ((uint64_t)1 << 30)

/* The largest weight magnitude accepted. Trained models stay far below it
 * (the bundled one within 4.5); a hostile file's huge finite weights (1e30)
 * would make a gate's sum inf - inf = NaN and the logits NaN. Within this
 * bound and PNL_WEIGHTS_MAX_WIDTH no sum the network forms can leave
 * float's range: a gate adds at most 2 x 8192 products of 1e4 x 1e4, about
 * 1.6e12, and the hidden state stays within [-1, 1]. */
#define PNL_WEIGHTS_MAX_MAGNITUDE 1e4f

/* How an engine holds the big matrices once loaded. Files are always
 * float32; INT8 quantizes each matrix row to 8 bits with its own scale at
 * load time (a quarter of the bytes per step; logits within about 0.1 of
 * float32's, bits per note within 0.01; see docs/engine.md). Embedding
 * tables and biases stay float32. */
typedef enum {
    PNL_PRECISION_FLOAT32 = 0,
    PNL_PRECISION_INT8 = 1
} PnlPrecision;

typedef struct {
    char name[PNL_WEIGHTS_NAME_BYTES + 1];
    int rank;
    uint32_t dims[PNL_WEIGHTS_MAX_RANK];
    size_t count; /* product of dims */
    float *data;  /* count values, row-major, host byte order */
} PnlTensor;

typedef struct {
    uint32_t version;
    uint32_t architecture;
    uint64_t signature; /* the codec signature the model was trained for */
    uint32_t vocab_size;
    uint32_t composer_count;
    uint32_t embedding_size;
    uint32_t hidden_size;
    uint32_t layer_count;
    uint32_t flags; /* PNL_WEIGHTS_FLAG_*; 0 for a version 1 file */
    /* Architecture 2 only (0 otherwise): embedding_size is the model
     * dimension, hidden_size the feed-forward width. */
    uint32_t head_count;
    uint32_t context_length; /* positions each token attends to, itself included */
    float norm_eps;          /* layer normalisation's epsilon */
    char (*composer_names)[PNL_WEIGHTS_NAME_BYTES + 1]; /* composer_count names */
    /* composer_count entries: the class whose COMPOSER_ token of the
     * vocabulary opens class k's pieces. A class of the vocabulary opens its
     * own; a composer a person added in training (`train own`) borrows the
     * token of the class it started from. Each k itself without the
     * choices section. */
    uint32_t *composer_openers;
    /* The choices section (PNL_WEIGHTS_FLAG_CHOICES): choice_count choices
     * in menu order, each a class and its display name (UTF-8). 0 and NULL
     * without it: the file's reader then offers the built-in choices
     * (src/composers.h). */
    uint32_t choice_count;
    uint32_t *choice_classes;
    char (*choice_labels)[PNL_WEIGHTS_LABEL_BYTES + 1];
    uint32_t tensor_count;
    PnlTensor *tensors;
} PnlWeights;

/* Reads and checks `path`. `expected_signature` is the running codec's
 * signature; `expected_vocab_size` its vocabulary size (0 = accept any, for
 * tools that only inspect a file). Against this codec's own signature, a
 * model of the vocabulary before the DENSITY family is accepted too
 * (pnl_vocab_accepts): its size is then the smaller one. On failure returns
 * a negative PNL_E code, leaves *out NULL and writes "path: what is wrong"
 * into message. */
int pnl_weights_load(const char *path, uint64_t expected_signature,
                     uint32_t expected_vocab_size, PnlWeights **out, char *message,
                     size_t message_size);

/* The same checks on bytes already in memory; `name` stands for the file in
 * messages. Never reads outside bytes[0, size). */
int pnl_weights_parse(const uint8_t *bytes, size_t size, const char *name,
                      uint64_t expected_signature, uint32_t expected_vocab_size,
                      PnlWeights **out, char *message, size_t message_size);

void pnl_weights_free(PnlWeights *weights);

/* The tensor called `name`, or NULL. */
const PnlTensor *pnl_weights_tensor(const PnlWeights *weights, const char *name);

/* A new LSTM weights object with every tensor of the architecture allocated,
 * correctly named and shaped and filled with zeros; composer names are
 * "composer<k>" until the caller renames them, each class opens its own
 * pieces, and there is no choices section. NULL when out of memory or the
 * sizes are outside the limits above. */
PnlWeights *pnl_weights_new_lstm(uint64_t signature, uint32_t vocab_size,
                                 uint32_t composer_count, uint32_t embedding_size,
                                 uint32_t hidden_size, uint32_t layer_count);

/* The same for a transformer (docs/weights-format.md, architecture 2):
 * norm weights 1, everything else 0, alibi_slopes as training sets them. */
PnlWeights *pnl_weights_new_transformer(uint64_t signature, uint32_t vocab_size,
                                        uint32_t composer_count, uint32_t dimension,
                                        uint32_t head_count, uint32_t layer_count,
                                        uint32_t context_length, uint32_t feed_forward);

/* Gives `weights` a choices section of `count` choices (classes and UTF-8
 * labels, copied) and sets PNL_WEIGHTS_FLAG_CHOICES; count 0 removes it.
 * Does not check them (the reader does): tests write broken ones too.
 * PNL_ENOMEM or PNL_EINVAL (count over the limit). */
int pnl_weights_set_choices(PnlWeights *weights, uint32_t count, const uint32_t *classes,
                            const char *const *labels);

/* Checks a display name as the reader does: 1..PNL_WEIGHTS_LABEL_BYTES
 * bytes of valid UTF-8 (shortest forms, no surrogates), no control
 * characters (C0, DEL, C1). Returns 0 or a static text saying what is wrong. */
const char *pnl_weights_label_problem(const uint8_t *label, size_t length);

/* The file's bytes: writes at most `capacity` bytes into `bytes` (which may be
 * NULL when capacity is 0) and returns the full size the file needs. */
size_t pnl_weights_encode(const PnlWeights *weights, uint8_t *bytes, size_t capacity);

int pnl_weights_save(const PnlWeights *weights, const char *path, char *message,
                     size_t message_size);

/* CRC-32 of IEEE 802.3, as zlib's crc32(0, bytes, size). */
uint32_t pnl_crc32(const uint8_t *bytes, size_t size);

#endif
