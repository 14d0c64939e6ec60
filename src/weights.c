/* Reading, checking and writing Pianola weights files (docs/weights-format.md).
 *
 * The reader trusts nothing: the header's sizes are range-checked before any
 * arithmetic, the file's expected length is computed from them in 64 bits and
 * compared with the real length before a tensor is touched, and every tensor
 * header is compared with what the architecture needs. A file that passes is
 * exactly the shape the engine will index, so stepping needs no checks. */
#include "weights.h"

#include "byte_order.h"
#include "status.h"
#include "vocabulary.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const uint8_t weights_magic[8] = {'P', 'I', 'A', 'N', 'O', 'L', 'A', '\0'};

/* The architecture's tensors, in file order: at most the transformer's. */
enum { TRANSFORMER_BLOCK_TENSORS = 12,
       MAX_TENSORS = 7 + TRANSFORMER_BLOCK_TENSORS * PNL_WEIGHTS_MAX_LAYERS };

typedef struct {
    char name[PNL_WEIGHTS_NAME_BYTES + 1];
    int rank;
    uint32_t dims[PNL_WEIGHTS_MAX_RANK];
} TensorSpec;

static int fail(char *message, size_t message_size, int code, const char *name,
                const char *format, ...)
{
    if (message && message_size) {
        int used = snprintf(message, message_size, "%s: ", name ? name : "(weights)");
        if (used >= 0 && (size_t)used < message_size) {
            va_list args;
            va_start(args, format);
            vsnprintf(message + used, message_size - (size_t)used, format, args);
            va_end(args);
        }
    }
    return code;
}

uint32_t pnl_crc32(const uint8_t *bytes, size_t size)
{
    /* The table is rebuilt per call (2048 shifts, nothing next to hashing a
     * model) so no static state is needed. */
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; i++)
        crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static void spec_set(TensorSpec *spec, const char *name, int rank, uint32_t d0, uint32_t d1)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->name, sizeof spec->name, "%s", name);
    spec->rank = rank;
    spec->dims[0] = d0;
    spec->dims[1] = d1;
}

/* The LSTM's tensor list for these sizes (docs/weights-format.md). */
static int lstm_specs(uint32_t vocab, uint32_t composers, uint32_t embedding, uint32_t hidden,
                      uint32_t layers, uint32_t flags, TensorSpec *specs)
{
    int n = 0;
    spec_set(&specs[n++], "token_embedding", 2, vocab, embedding);
    spec_set(&specs[n++], "composer_embedding", 2, composers, embedding);
    if (flags & PNL_WEIGHTS_FLAG_DENSITY)
        spec_set(&specs[n++], "density_embedding", 2, PNL_DENSITY_COUNT + 1, embedding);
    if (flags & PNL_WEIGHTS_FLAG_PARTS)
        spec_set(&specs[n++], "part_embedding", 2, PNL_PART_TOKEN_COUNT, embedding);
    for (uint32_t layer = 0; layer < layers; layer++) {
        char name[PNL_WEIGHTS_NAME_BYTES + 1];
        uint32_t input = layer == 0 ? embedding : hidden;
        snprintf(name, sizeof name, "lstm.%u.weight_ih", layer);
        spec_set(&specs[n++], name, 2, 4 * hidden, input);
        snprintf(name, sizeof name, "lstm.%u.weight_hh", layer);
        spec_set(&specs[n++], name, 2, 4 * hidden, hidden);
        snprintf(name, sizeof name, "lstm.%u.bias_ih", layer);
        spec_set(&specs[n++], name, 1, 4 * hidden, 0);
        snprintf(name, sizeof name, "lstm.%u.bias_hh", layer);
        spec_set(&specs[n++], name, 1, 4 * hidden, 0);
    }
    spec_set(&specs[n++], "output.weight", 2, vocab, hidden);
    spec_set(&specs[n++], "output.bias", 1, vocab, 0);
    return n;
}

/* The transformer's (architecture 2): `dimension` wide, `feed_forward` in
 * each block's MLP. */
static int transformer_specs(uint32_t vocab, uint32_t composers, uint32_t dimension,
                             uint32_t feed_forward, uint32_t heads, uint32_t layers,
                             TensorSpec *specs)
{
    static const struct {
        const char *name;
        int rows; /* 0: a vector of `columns` */
        int columns;
    } block[TRANSFORMER_BLOCK_TENSORS] = {
        /* rows and columns in units: 1 = dimension, 2 = feed-forward, 3 = 3 x dimension */
        {"norm1.weight", 0, 1},         {"norm1.bias", 0, 1},
        {"attention.qkv.weight", 3, 1}, {"attention.qkv.bias", 0, 3},
        {"attention.out.weight", 1, 1}, {"attention.out.bias", 0, 1},
        {"norm2.weight", 0, 1},         {"norm2.bias", 0, 1},
        {"mlp.up.weight", 2, 1},        {"mlp.up.bias", 0, 2},
        {"mlp.down.weight", 1, 2},      {"mlp.down.bias", 0, 1},
    };
    const uint32_t unit[4] = {0, dimension, feed_forward, 3 * dimension};
    int n = 0;
    spec_set(&specs[n++], "token_embedding", 2, vocab, dimension);
    spec_set(&specs[n++], "composer_embedding", 2, composers, dimension);
    spec_set(&specs[n++], "alibi_slopes", 1, heads, 0);
    for (uint32_t layer = 0; layer < layers; layer++) {
        for (int t = 0; t < TRANSFORMER_BLOCK_TENSORS; t++) {
            char name[PNL_WEIGHTS_NAME_BYTES + 1];
            snprintf(name, sizeof name, "blocks.%u.%s", layer, block[t].name);
            if (block[t].rows)
                spec_set(&specs[n++], name, 2, unit[block[t].rows], unit[block[t].columns]);
            else
                spec_set(&specs[n++], name, 1, unit[block[t].columns], 0);
        }
    }
    spec_set(&specs[n++], "norm.weight", 1, dimension, 0);
    spec_set(&specs[n++], "norm.bias", 1, dimension, 0);
    spec_set(&specs[n++], "output.weight", 2, vocab, dimension);
    spec_set(&specs[n++], "output.bias", 1, vocab, 0);
    return n;
}

static uint64_t spec_count(const TensorSpec *spec)
{
    uint64_t count = 1;
    for (int d = 0; d < spec->rank; d++)
        count *= spec->dims[d]; /* dims are <= 4 * 8192 or 65536, rank <= 2: no overflow */
    return count;
}

static uint64_t spec_bytes(const TensorSpec *spec)
{
    return PNL_WEIGHTS_NAME_BYTES + 4 + 4 * (uint64_t)spec->rank + 4 * spec_count(spec);
}

static void format_dims(const uint32_t *dims, int rank, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int d = 0; d < rank && used < size; d++) {
        int n = snprintf(text + used, size - used, d ? " x %u" : "%u", dims[d]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int check_range(const char *what, uint32_t value, uint32_t limit, const char *name,
                       char *message, size_t message_size)
{
    if (value < 1 || value > limit)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "%s %u is outside 1..%u: not a model Pianola can run", what, value, limit);
    return PNL_OK;
}

/* A stored name field: printable ASCII, then zeros to the end of the field. */
static int read_name(const uint8_t *field, char *name_out)
{
    int length = 0;
    while (length < PNL_WEIGHTS_NAME_BYTES && field[length] != 0) {
        if (field[length] < 0x20 || field[length] > 0x7E)
            return -1;
        length++;
    }
    for (int i = length; i < PNL_WEIGHTS_NAME_BYTES; i++)
        if (field[i] != 0)
            return -1;
    memcpy(name_out, field, (size_t)length);
    name_out[length] = '\0';
    return length;
}

void pnl_weights_free(PnlWeights *weights)
{
    if (!weights)
        return;
    if (weights->tensors)
        for (uint32_t t = 0; t < weights->tensor_count; t++)
            free(weights->tensors[t].data);
    free(weights->tensors);
    free(weights->composer_names);
    free(weights->composer_openers);
    free(weights->choice_classes);
    free(weights->choice_labels);
    free(weights);
}

/* Allocates a weights object with tensors laid out per specs, zero-filled. */
static PnlWeights *weights_alloc(const TensorSpec *specs, int tensor_count,
                                 uint32_t composer_count)
{
    PnlWeights *weights = calloc(1, sizeof *weights);
    if (!weights)
        return NULL;
    weights->composer_names = calloc(composer_count, sizeof *weights->composer_names);
    weights->composer_openers = calloc(composer_count, sizeof *weights->composer_openers);
    weights->tensors = calloc((size_t)tensor_count, sizeof *weights->tensors);
    if (!weights->composer_names || !weights->composer_openers || !weights->tensors) {
        pnl_weights_free(weights);
        return NULL;
    }
    for (uint32_t k = 0; k < composer_count; k++)
        weights->composer_openers[k] = k;
    weights->tensor_count = (uint32_t)tensor_count;
    for (int t = 0; t < tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        memcpy(tensor->name, specs[t].name, sizeof tensor->name);
        tensor->rank = specs[t].rank;
        memcpy(tensor->dims, specs[t].dims, sizeof tensor->dims);
        tensor->count = (size_t)spec_count(&specs[t]);
        tensor->data = calloc(tensor->count, sizeof(float));
        if (!tensor->data) {
            pnl_weights_free(weights);
            return NULL;
        }
    }
    return weights;
}

/* The bytes of the choices section for K classes and M choices: K
 * openers, the count, then each choice's class and label. */
static uint64_t choices_bytes(uint32_t composers, uint32_t choices)
{
    return 4 * (uint64_t)composers + 4 + (4 + (uint64_t)PNL_WEIGHTS_LABEL_BYTES) * choices;
}

/* The length of a UTF-8 sequence starting with `lead` that is a character
 * other than a control one, or 0. Shortest forms only, no surrogates, at
 * most U+10FFFF (RFC 3629). */
static size_t utf8_character(const uint8_t *text, size_t left)
{
    uint8_t lead = text[0];
    if (lead < 0x80)
        return lead >= 0x20 && lead != 0x7F;
    size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (!length || length > left)
        return 0;
    for (size_t i = 1; i < length; i++)
        if ((text[i] & 0xC0) != 0x80)
            return 0;
    uint8_t second = text[1];
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
        (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F))
        return 0; /* overlong, a surrogate, or past U+10FFFF */
    if (lead == 0xC2 && second <= 0x9F)
        return 0; /* C1 controls, U+0080..U+009F */
    return length;
}

const char *pnl_weights_label_problem(const uint8_t *label, size_t length)
{
    if (length == 0)
        return "is empty";
    if (length > PNL_WEIGHTS_LABEL_BYTES)
        return "is longer than 64 bytes";
    for (size_t at = 0; at < length;) {
        if (label[at] < 0x20 || label[at] == 0x7F)
            return "holds a control character";
        size_t step = utf8_character(label + at, length - at);
        if (!step)
            return "is not valid UTF-8 text (or holds a control character)";
        at += step;
    }
    return NULL;
}

/* A stored label field: its text, then zeros to the end of the field.
 * Returns its length, or -1 with *problem set. */
static int read_label(const uint8_t *field, char *label_out, const char **problem)
{
    size_t length = 0;
    while (length < PNL_WEIGHTS_LABEL_BYTES && field[length] != 0)
        length++;
    for (size_t i = length; i < PNL_WEIGHTS_LABEL_BYTES; i++)
        if (field[i] != 0) {
            *problem = "has bytes after its end (not zero-padded)";
            return -1;
        }
    if ((*problem = pnl_weights_label_problem(field, length)) != NULL)
        return -1;
    memcpy(label_out, field, length);
    label_out[length] = '\0';
    return (int)length;
}

/* Reads and checks the choices section at bytes[offset...], which the
 * length check has shown to be inside the file. */
static int read_choices(PnlWeights *weights, const uint8_t *bytes, size_t offset,
                        const char *name, char *message, size_t message_size)
{
    uint32_t composers = weights->composer_count;
    for (uint32_t k = 0; k < composers; k++, offset += 4) {
        uint32_t opener = pnl_read_le32(bytes + offset);
        if (opener >= composers)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "composer %u opens its pieces as class %u, but there are %u", k, opener,
                        composers);
        weights->composer_openers[k] = opener;
    }
    for (uint32_t k = 0; k < composers; k++) {
        uint32_t opener = weights->composer_openers[k];
        if (weights->composer_openers[opener] != opener)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "composer %u opens its pieces as class %u, which borrows another's", k,
                        opener);
        for (uint32_t other = 0; other < k; other++)
            if (!strcmp(weights->composer_names[k], weights->composer_names[other]))
                return fail(message, message_size, PNL_EFORMAT, name,
                            "two composers are called \"%s\"", weights->composer_names[k]);
    }
    uint32_t count = weights->choice_count; /* read and range-checked by the caller */
    offset += 4;
    weights->choice_classes = calloc(count, sizeof *weights->choice_classes);
    weights->choice_labels = calloc(count, sizeof *weights->choice_labels);
    if (!weights->choice_classes || !weights->choice_labels)
        return fail(message, message_size, PNL_ENOMEM, name, "out of memory");
    for (uint32_t c = 0; c < count; c++) {
        uint32_t class_index = pnl_read_le32(bytes + offset);
        if (class_index >= composers)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "choice %u is composer %u, but there are %u", c, class_index, composers);
        const char *problem = NULL;
        if (read_label(bytes + offset + 4, weights->choice_labels[c], &problem) < 0)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "the display name of choice %u (at byte %zu) %s", c, offset + 4,
                        problem);
        for (uint32_t other = 0; other < c; other++) {
            if (weights->choice_classes[other] == class_index)
                return fail(message, message_size, PNL_EFORMAT, name,
                            "choices %u and %u are both composer %u", other, c, class_index);
            if (!strcmp(weights->choice_labels[other], weights->choice_labels[c]))
                return fail(message, message_size, PNL_EFORMAT, name,
                            "choices %u and %u are both called \"%s\"", other, c,
                            weights->choice_labels[c]);
        }
        weights->choice_classes[c] = class_index;
        offset += 4 + PNL_WEIGHTS_LABEL_BYTES;
    }
    return PNL_OK;
}

/* The fixed header's length: version 2 added the flags field. */
static size_t header_bytes(uint32_t version)
{
    return version == 1 ? PNL_WEIGHTS_HEADER_BYTES - 4 : PNL_WEIGHTS_HEADER_BYTES;
}

/* The architecture's own fields, right after the fixed header. */
static size_t architecture_field_bytes(uint32_t architecture)
{
    return architecture == PNL_ARCH_TRANSFORMER ? PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES : 0;
}

int pnl_weights_parse(const uint8_t *bytes, size_t size, const char *name,
                      uint64_t expected_signature, uint32_t expected_vocab_size,
                      PnlWeights **out, char *message, size_t message_size)
{
    *out = NULL;
    if (size < header_bytes(1))
        return fail(message, message_size, PNL_EFORMAT, name,
                    "truncated at byte %zu of at least %zu (the header alone)", size,
                    header_bytes(1));
    if (memcmp(bytes, weights_magic, sizeof weights_magic) != 0)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "not a Pianola weights file (it does not start with \"PIANOLA\\0\")");

    uint32_t version = pnl_read_le32(bytes + 8);
    uint32_t architecture = pnl_read_le32(bytes + 12);
    uint64_t signature = pnl_read_le64(bytes + 16);
    uint32_t vocab = pnl_read_le32(bytes + 24);
    uint32_t composers = pnl_read_le32(bytes + 28);
    uint32_t embedding = pnl_read_le32(bytes + 32);
    uint32_t hidden = pnl_read_le32(bytes + 36);
    uint32_t layers = pnl_read_le32(bytes + 40);
    uint32_t tensor_count = pnl_read_le32(bytes + 44);

    if (version != 1 && version != PNL_WEIGHTS_VERSION)
        return fail(message, message_size, PNL_EMISMATCH, name,
                    "format version %u, but this Pianola reads versions 1 to %d", version,
                    PNL_WEIGHTS_VERSION);
    size_t header = header_bytes(version);
    if (size < header)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "truncated at byte %zu of at least %zu (the header alone)", size, header);
    uint32_t flags = version >= 2 ? pnl_read_le32(bytes + 48) : 0;
    if (flags & ~(uint32_t)PNL_WEIGHTS_KNOWN_FLAGS)
        return fail(message, message_size, PNL_EMISMATCH, name,
                    "flags 0x%x name features this Pianola does not know", flags);
    if (architecture != PNL_ARCH_LSTM && architecture != PNL_ARCH_TRANSFORMER)
        return fail(message, message_size, PNL_EFORMAT, name, "unknown architecture %u",
                    architecture);
    if ((flags & PNL_WEIGHTS_FLAG_DENSITY) && architecture != PNL_ARCH_LSTM)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "density conditioning (flag 0x%x) in a network that is not an LSTM",
                    (unsigned)PNL_WEIGHTS_FLAG_DENSITY);
    if ((flags & PNL_WEIGHTS_FLAG_DENSITY) && !pnl_vocab_has_density((int)vocab))
        return fail(message, message_size, PNL_EFORMAT, name,
                    "density conditioning in a vocabulary of %u tokens, without the DENSITY "
                    "tokens", vocab);
    if ((flags & PNL_WEIGHTS_FLAG_PARTS) && architecture != PNL_ARCH_LSTM)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "parts conditioning (flag 0x%x) in a network that is not an LSTM",
                    (unsigned)PNL_WEIGHTS_FLAG_PARTS);
    if ((flags & PNL_WEIGHTS_FLAG_PARTS) && !pnl_vocab_has_parts((int)vocab))
        return fail(message, message_size, PNL_EFORMAT, name,
                    "parts conditioning in a vocabulary of %u tokens, without the PART tokens",
                    vocab);
    uint32_t heads = 0, context = 0;
    float norm_eps = 0.0f;
    if (architecture == PNL_ARCH_TRANSFORMER) {
        if (version < 2)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "a transformer in a version %u file (transformers begin with 2)",
                        version);
        if (size < header + PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "truncated at byte %zu of at least %zu (the header alone)", size,
                        header + PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES);
        heads = pnl_read_le32(bytes + header);
        context = pnl_read_le32(bytes + header + 4);
        norm_eps = pnl_read_le_f32(bytes + header + 8);
        header += PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES;
    }

    int status;
    if ((status = check_range("vocabulary size", vocab, PNL_WEIGHTS_MAX_VOCAB, name, message,
                              message_size)) ||
        (status = check_range("composer count", composers, PNL_WEIGHTS_MAX_COMPOSERS, name,
                              message, message_size)) ||
        (status = check_range("embedding size", embedding, PNL_WEIGHTS_MAX_WIDTH, name, message,
                              message_size)) ||
        (status = check_range("hidden size", hidden, PNL_WEIGHTS_MAX_WIDTH, name, message,
                              message_size)) ||
        (status = check_range("layer count", layers, PNL_WEIGHTS_MAX_LAYERS, name, message,
                              message_size)))
        return status;
    if (architecture == PNL_ARCH_TRANSFORMER) {
        if ((status = check_range("head count", heads, embedding, name, message,
                                  message_size)) ||
            (status = check_range("context length", context, PNL_WEIGHTS_MAX_CONTEXT, name,
                                  message, message_size)))
            return status;
        if (embedding % heads != 0)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "dimension %u is not a multiple of its %u heads", embedding, heads);
        if (!(norm_eps > 0.0f && norm_eps <= 1.0f))
            return fail(message, message_size, PNL_EFORMAT, name,
                        "layer-norm epsilon %g is outside (0, 1]", (double)norm_eps);
        uint64_t cache = 2 * (uint64_t)layers * context * embedding;
        if (cache > PNL_WEIGHTS_MAX_CACHE_FLOATS)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "a key-value cache of %llu floats, more than the %llu Pianola allows",
                        (unsigned long long)cache,
                        (unsigned long long)PNL_WEIGHTS_MAX_CACHE_FLOATS);
    }

    TensorSpec specs[MAX_TENSORS];
    int spec_total = architecture == PNL_ARCH_TRANSFORMER
                         ? transformer_specs(vocab, composers, embedding, hidden, heads, layers,
                                             specs)
                         : lstm_specs(vocab, composers, embedding, hidden, layers, flags, specs);
    if (tensor_count != (uint32_t)spec_total)
        return fail(message, message_size, PNL_EFORMAT, name, "%u tensors, but a %u-layer %s has %d",
                    tensor_count, layers,
                    architecture == PNL_ARCH_TRANSFORMER ? "transformer" : "LSTM", spec_total);

    /* The choices section's size hangs on its count, which lies after the
     * names and the openers. */
    uint32_t choices = 0;
    if (flags & PNL_WEIGHTS_FLAG_CHOICES) {
        uint64_t count_at = header + (uint64_t)(PNL_WEIGHTS_NAME_BYTES + 4) * composers;
        if ((uint64_t)size < count_at + 4)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "truncated at byte %zu, before the count of composer choices at %llu",
                        size, (unsigned long long)count_at);
        choices = pnl_read_le32(bytes + count_at);
        uint32_t limit = composers < PNL_WEIGHTS_MAX_CHOICES ? composers : PNL_WEIGHTS_MAX_CHOICES;
        if (choices < 1 || choices > limit)
            return fail(message, message_size, PNL_EFORMAT, name,
                        "%u composer choices, outside 1..%u (at most one a composer, and %d)",
                        choices, limit, PNL_WEIGHTS_MAX_CHOICES);
    }

    /* Every size above is range-checked, so this sum stays far below 2^64. */
    uint64_t expected_size = header + (uint64_t)PNL_WEIGHTS_NAME_BYTES * composers + 4;
    if (flags & PNL_WEIGHTS_FLAG_CHOICES)
        expected_size += choices_bytes(composers, choices);
    for (int t = 0; t < spec_total; t++)
        expected_size += spec_bytes(&specs[t]);
    if (expected_size > PNL_WEIGHTS_MAX_FILE_BYTES)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "the header describes a %llu-byte model, more than the %llu Pianola accepts",
                    (unsigned long long)expected_size,
                    (unsigned long long)PNL_WEIGHTS_MAX_FILE_BYTES);
    if ((uint64_t)size < expected_size)
        return fail(message, message_size, PNL_EFORMAT, name, "truncated at byte %zu of %llu",
                    size, (unsigned long long)expected_size);
    if ((uint64_t)size > expected_size)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "%zu bytes, but its header describes %llu: extra bytes after the checksum",
                    size, (unsigned long long)expected_size);

    uint32_t stored_crc = pnl_read_le32(bytes + size - 4);
    uint32_t computed_crc = pnl_crc32(bytes, size - 4);
    if (stored_crc != computed_crc)
        return fail(message, message_size, PNL_EFORMAT, name,
                    "checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt",
                    stored_crc, computed_crc);

    /* A model trained before the DENSITY family reads as it did: its
     * vocabulary is the codec's first tokens (src/vocabulary.h). */
    int earlier_codec = expected_signature == pnl_vocab_signature() &&
                        (!expected_vocab_size || expected_vocab_size == PNL_VOCAB_SIZE) &&
                        vocab != PNL_VOCAB_SIZE && pnl_vocab_accepts(signature, vocab);
    if (signature != expected_signature && !earlier_codec)
        return fail(message, message_size, PNL_EMISMATCH, name,
                    "codec signature 0x%016llx, but this Pianola's codec is 0x%016llx: the "
                    "model was trained for another vocabulary",
                    (unsigned long long)signature, (unsigned long long)expected_signature);
    if (expected_vocab_size && vocab != expected_vocab_size && !earlier_codec)
        return fail(message, message_size, PNL_EMISMATCH, name,
                    "vocabulary of %u tokens, but this Pianola's codec has %u", vocab,
                    expected_vocab_size);

    PnlWeights *weights = weights_alloc(specs, spec_total, composers);
    if (!weights)
        return fail(message, message_size, PNL_ENOMEM, name,
                    "out of memory for a %llu-byte model", (unsigned long long)expected_size);
    weights->version = version;
    weights->architecture = architecture;
    weights->signature = signature;
    weights->vocab_size = vocab;
    weights->composer_count = composers;
    weights->embedding_size = embedding;
    weights->hidden_size = hidden;
    weights->layer_count = layers;
    weights->flags = flags;
    weights->head_count = heads;
    weights->context_length = context;
    weights->norm_eps = norm_eps;

    size_t offset = header;
    for (uint32_t k = 0; k < composers; k++, offset += PNL_WEIGHTS_NAME_BYTES) {
        if (read_name(bytes + offset, weights->composer_names[k]) <= 0) {
            pnl_weights_free(weights);
            return fail(message, message_size, PNL_EFORMAT, name,
                        "composer name %u (at byte %zu) is empty or not zero-padded ASCII", k,
                        offset);
        }
    }
    if (flags & PNL_WEIGHTS_FLAG_CHOICES) {
        weights->choice_count = choices;
        if ((status = read_choices(weights, bytes, offset, name, message, message_size))) {
            pnl_weights_free(weights);
            return status;
        }
        offset += (size_t)choices_bytes(composers, choices);
    }

    for (int t = 0; t < spec_total; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        const TensorSpec *spec = &specs[t];
        char stored_name[PNL_WEIGHTS_NAME_BYTES + 1];
        /* The length check above guarantees each header and its data lie
         * inside the file as long as they match the spec, which is checked
         * before the data is read. */
        if (read_name(bytes + offset, stored_name) < 0 || strcmp(stored_name, spec->name) != 0) {
            pnl_weights_free(weights);
            return fail(message, message_size, PNL_EFORMAT, name,
                        "tensor %d (at byte %zu) should be \"%s\" but is named \"%.32s\"", t,
                        offset, spec->name,
                        read_name(bytes + offset, stored_name) < 0 ? "(not ASCII)" : stored_name);
        }
        offset += PNL_WEIGHTS_NAME_BYTES;
        uint32_t rank = pnl_read_le32(bytes + offset);
        offset += 4;
        int same_shape = rank == (uint32_t)spec->rank;
        uint32_t dims[PNL_WEIGHTS_MAX_RANK] = {0};
        for (uint32_t d = 0; same_shape && d < rank; d++)
            dims[d] = pnl_read_le32(bytes + offset + 4 * d);
        for (uint32_t d = 0; same_shape && d < rank; d++)
            same_shape = dims[d] == spec->dims[d];
        if (!same_shape) {
            char want[64], have[64];
            format_dims(spec->dims, spec->rank, want, sizeof want);
            if (rank == (uint32_t)spec->rank)
                format_dims(dims, (int)rank, have, sizeof have);
            else
                snprintf(have, sizeof have, "of rank %u", rank);
            pnl_weights_free(weights);
            return fail(message, message_size, PNL_EFORMAT, name,
                        "tensor \"%s\" has shape %s, but the header's sizes need %s", spec->name,
                        have, want);
        }
        offset += 4 * rank;
        for (size_t i = 0; i < tensor->count; i++, offset += 4) {
            float value = pnl_read_le_f32(bytes + offset);
            if (!isfinite(value)) {
                pnl_weights_free(weights);
                return fail(message, message_size, PNL_EFORMAT, name,
                            "tensor \"%s\" holds a non-finite value at index %zu", spec->name, i);
            }
            if (fabsf(value) > PNL_WEIGHTS_MAX_MAGNITUDE) {
                pnl_weights_free(weights);
                return fail(message, message_size, PNL_EFORMAT, name,
                            "tensor \"%s\" holds %g at index %zu, beyond the %g a model may "
                            "hold (a hostile or broken file)", spec->name, (double)value, i,
                            (double)PNL_WEIGHTS_MAX_MAGNITUDE);
            }
            tensor->data[i] = value;
        }
    }
    *out = weights;
    return PNL_OK;
}

int pnl_weights_load(const char *path, uint64_t expected_signature,
                     uint32_t expected_vocab_size, PnlWeights **out, char *message,
                     size_t message_size)
{
    *out = NULL;
    FILE *file = fopen(path, "rb");
    if (!file)
        return fail(message, message_size, PNL_EIO, path, "cannot open: %s", strerror(errno));
    /* A directory, a device or a pipe is not a model, and /dev/zero would
     * be read up to the size limit. */
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(file);
        return fail(message, message_size, PNL_EIO, path, "not a regular file");
    }
    if ((uint64_t)info.st_size > PNL_WEIGHTS_MAX_FILE_BYTES) {
        fclose(file);
        return fail(message, message_size, PNL_EFORMAT, path,
                    "%lld bytes, more than the %llu Pianola accepts for a model",
                    (long long)info.st_size, (unsigned long long)PNL_WEIGHTS_MAX_FILE_BYTES);
    }
    uint8_t *bytes = NULL;
    size_t size = 0, capacity = 0;
    int status = PNL_OK;
    for (;;) {
        if (size == capacity) {
            if (capacity >= PNL_WEIGHTS_MAX_FILE_BYTES) {
                status = fail(message, message_size, PNL_EFORMAT, path,
                              "larger than the %llu bytes Pianola accepts for a model",
                              (unsigned long long)PNL_WEIGHTS_MAX_FILE_BYTES);
                break;
            }
            size_t grown = capacity ? capacity * 2 : (size_t)1 << 20;
            uint8_t *larger = realloc(bytes, grown);
            if (!larger) {
                status = fail(message, message_size, PNL_ENOMEM, path, "out of memory reading it");
                break;
            }
            bytes = larger;
            capacity = grown;
        }
        size_t got = fread(bytes + size, 1, capacity - size, file);
        size += got;
        if (got == 0) {
            if (ferror(file))
                status = fail(message, message_size, PNL_EIO, path, "read error: %s",
                              strerror(errno));
            break;
        }
    }
    fclose(file);
    if (status == PNL_OK)
        status = pnl_weights_parse(bytes, size, path, expected_signature, expected_vocab_size,
                                   out, message, message_size);
    free(bytes);
    return status;
}

const PnlTensor *pnl_weights_tensor(const PnlWeights *weights, const char *name)
{
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        if (strcmp(weights->tensors[t].name, name) == 0)
            return &weights->tensors[t];
    return NULL;
}

PnlWeights *pnl_weights_new_lstm(uint64_t signature, uint32_t vocab_size,
                                 uint32_t composer_count, uint32_t embedding_size,
                                 uint32_t hidden_size, uint32_t layer_count)
{
    if (vocab_size < 1 || vocab_size > PNL_WEIGHTS_MAX_VOCAB || composer_count < 1 ||
        composer_count > PNL_WEIGHTS_MAX_COMPOSERS || embedding_size < 1 ||
        embedding_size > PNL_WEIGHTS_MAX_WIDTH || hidden_size < 1 ||
        hidden_size > PNL_WEIGHTS_MAX_WIDTH || layer_count < 1 ||
        layer_count > PNL_WEIGHTS_MAX_LAYERS)
        return NULL;
    TensorSpec specs[MAX_TENSORS];
    int count = lstm_specs(vocab_size, composer_count, embedding_size, hidden_size, layer_count,
                           0, specs);
    PnlWeights *weights = weights_alloc(specs, count, composer_count);
    if (!weights)
        return NULL;
    weights->version = PNL_WEIGHTS_VERSION;
    weights->architecture = PNL_ARCH_LSTM;
    weights->signature = signature;
    weights->vocab_size = vocab_size;
    weights->composer_count = composer_count;
    weights->embedding_size = embedding_size;
    weights->hidden_size = hidden_size;
    weights->layer_count = layer_count;
    for (uint32_t k = 0; k < composer_count; k++)
        snprintf(weights->composer_names[k], sizeof weights->composer_names[k], "composer%u", k);
    return weights;
}

PnlWeights *pnl_weights_new_transformer(uint64_t signature, uint32_t vocab_size,
                                        uint32_t composer_count, uint32_t dimension,
                                        uint32_t head_count, uint32_t layer_count,
                                        uint32_t context_length, uint32_t feed_forward)
{
    if (vocab_size < 1 || vocab_size > PNL_WEIGHTS_MAX_VOCAB || composer_count < 1 ||
        composer_count > PNL_WEIGHTS_MAX_COMPOSERS || dimension < 1 ||
        dimension > PNL_WEIGHTS_MAX_WIDTH || feed_forward < 1 ||
        feed_forward > PNL_WEIGHTS_MAX_WIDTH || layer_count < 1 ||
        layer_count > PNL_WEIGHTS_MAX_LAYERS || head_count < 1 || dimension % head_count != 0 ||
        context_length < 1 || context_length > PNL_WEIGHTS_MAX_CONTEXT ||
        2 * (uint64_t)layer_count * context_length * dimension > PNL_WEIGHTS_MAX_CACHE_FLOATS)
        return NULL;
    TensorSpec specs[MAX_TENSORS];
    int count = transformer_specs(vocab_size, composer_count, dimension, feed_forward,
                                  head_count, layer_count, specs);
    PnlWeights *weights = weights_alloc(specs, count, composer_count);
    if (!weights)
        return NULL;
    weights->version = PNL_WEIGHTS_VERSION;
    weights->architecture = PNL_ARCH_TRANSFORMER;
    weights->signature = signature;
    weights->vocab_size = vocab_size;
    weights->composer_count = composer_count;
    weights->embedding_size = dimension;
    weights->hidden_size = feed_forward;
    weights->layer_count = layer_count;
    weights->head_count = head_count;
    weights->context_length = context_length;
    weights->norm_eps = 1e-5f;
    for (uint32_t k = 0; k < composer_count; k++)
        snprintf(weights->composer_names[k], sizeof weights->composer_names[k], "composer%u", k);
    for (uint32_t t = 0; t < weights->tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        size_t length = strlen(tensor->name);
        if (length > 7 && strcmp(tensor->name + length - 7, ".weight") == 0 &&
            strstr(tensor->name, "norm"))
            for (size_t i = 0; i < tensor->count; i++)
                tensor->data[i] = 1.0f;
        if (strcmp(tensor->name, "alibi_slopes") == 0)
            for (uint32_t h = 0; h < head_count; h++)
                tensor->data[h] = (float)pow(2.0, -8.0 * (h + 1) / head_count);
    }
    return weights;
}

size_t pnl_weights_encode(const PnlWeights *weights, uint8_t *bytes, size_t capacity)
{
    size_t header =
        header_bytes(weights->version) + architecture_field_bytes(weights->architecture);
    int has_choices = weights->version >= 2 && (weights->flags & PNL_WEIGHTS_FLAG_CHOICES);
    size_t total = header + (size_t)PNL_WEIGHTS_NAME_BYTES * weights->composer_count + 4;
    if (has_choices)
        total += (size_t)choices_bytes(weights->composer_count, weights->choice_count);
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        total += PNL_WEIGHTS_NAME_BYTES + 4 + 4 * (size_t)weights->tensors[t].rank +
                 4 * weights->tensors[t].count;
    if (!bytes || capacity < total)
        return total;

    memcpy(bytes, weights_magic, sizeof weights_magic);
    pnl_write_le32(bytes + 8, weights->version);
    pnl_write_le32(bytes + 12, weights->architecture);
    pnl_write_le64(bytes + 16, weights->signature);
    pnl_write_le32(bytes + 24, weights->vocab_size);
    pnl_write_le32(bytes + 28, weights->composer_count);
    pnl_write_le32(bytes + 32, weights->embedding_size);
    pnl_write_le32(bytes + 36, weights->hidden_size);
    pnl_write_le32(bytes + 40, weights->layer_count);
    pnl_write_le32(bytes + 44, weights->tensor_count);
    if (weights->version >= 2)
        pnl_write_le32(bytes + 48, weights->flags);
    if (weights->architecture == PNL_ARCH_TRANSFORMER) {
        size_t fields = header_bytes(weights->version);
        pnl_write_le32(bytes + fields, weights->head_count);
        pnl_write_le32(bytes + fields + 4, weights->context_length);
        pnl_write_le_f32(bytes + fields + 8, weights->norm_eps);
    }
    size_t offset = header;
    for (uint32_t k = 0; k < weights->composer_count; k++, offset += PNL_WEIGHTS_NAME_BYTES) {
        memset(bytes + offset, 0, PNL_WEIGHTS_NAME_BYTES);
        memcpy(bytes + offset, weights->composer_names[k],
               strnlen(weights->composer_names[k], PNL_WEIGHTS_NAME_BYTES));
    }
    if (has_choices) {
        for (uint32_t k = 0; k < weights->composer_count; k++, offset += 4)
            pnl_write_le32(bytes + offset, weights->composer_openers[k]);
        pnl_write_le32(bytes + offset, weights->choice_count);
        offset += 4;
        for (uint32_t c = 0; c < weights->choice_count; c++) {
            pnl_write_le32(bytes + offset, weights->choice_classes[c]);
            memset(bytes + offset + 4, 0, PNL_WEIGHTS_LABEL_BYTES);
            memcpy(bytes + offset + 4, weights->choice_labels[c],
                   strnlen(weights->choice_labels[c], PNL_WEIGHTS_LABEL_BYTES));
            offset += 4 + PNL_WEIGHTS_LABEL_BYTES;
        }
    }
    for (uint32_t t = 0; t < weights->tensor_count; t++) {
        const PnlTensor *tensor = &weights->tensors[t];
        memset(bytes + offset, 0, PNL_WEIGHTS_NAME_BYTES);
        memcpy(bytes + offset, tensor->name, strnlen(tensor->name, PNL_WEIGHTS_NAME_BYTES));
        offset += PNL_WEIGHTS_NAME_BYTES;
        pnl_write_le32(bytes + offset, (uint32_t)tensor->rank);
        offset += 4;
        for (int d = 0; d < tensor->rank; d++, offset += 4)
            pnl_write_le32(bytes + offset, tensor->dims[d]);
        for (size_t i = 0; i < tensor->count; i++, offset += 4)
            pnl_write_le_f32(bytes + offset, tensor->data[i]);
    }
    pnl_write_le32(bytes + offset, pnl_crc32(bytes, offset));
    return total;
}

int pnl_weights_set_choices(PnlWeights *weights, uint32_t count, const uint32_t *classes,
                            const char *const *labels)
{
    if (count > PNL_WEIGHTS_MAX_CHOICES)
        return PNL_EINVAL;
    free(weights->choice_classes);
    free(weights->choice_labels);
    weights->choice_classes = NULL;
    weights->choice_labels = NULL;
    weights->choice_count = 0;
    weights->flags &= ~(uint32_t)PNL_WEIGHTS_FLAG_CHOICES;
    if (count == 0)
        return PNL_OK;
    weights->choice_classes = calloc(count, sizeof *weights->choice_classes);
    weights->choice_labels = calloc(count, sizeof *weights->choice_labels);
    if (!weights->choice_classes || !weights->choice_labels)
        return PNL_ENOMEM;
    for (uint32_t c = 0; c < count; c++) {
        weights->choice_classes[c] = classes[c];
        snprintf(weights->choice_labels[c], sizeof weights->choice_labels[c], "%s", labels[c]);
    }
    weights->choice_count = count;
    weights->flags |= PNL_WEIGHTS_FLAG_CHOICES;
    return PNL_OK;
}

int pnl_weights_save(const PnlWeights *weights, const char *path, char *message,
                     size_t message_size)
{
    size_t size = pnl_weights_encode(weights, NULL, 0);
    uint8_t *bytes = malloc(size);
    if (!bytes)
        return fail(message, message_size, PNL_ENOMEM, path, "out of memory encoding the model");
    pnl_weights_encode(weights, bytes, size);
    FILE *file = fopen(path, "wb");
    int status = PNL_OK;
    if (!file) {
        status = fail(message, message_size, PNL_EIO, path, "cannot create: %s", strerror(errno));
    } else {
        if (fwrite(bytes, 1, size, file) != size)
            status = fail(message, message_size, PNL_EIO, path, "write error: %s",
                          strerror(errno));
        if (fclose(file) != 0 && status == PNL_OK)
            status = fail(message, message_size, PNL_EIO, path, "write error: %s",
                          strerror(errno));
    }
    free(bytes);
    return status;
}
