/* The weights loader refuses every damaged, mismatched or hostile file with a
 * message naming the file and the fault, and reads valid ones exactly.
 *
 * Each bad case starts from a small valid model, breaks one thing (fixing the
 * CRC afterwards where the point is to reach a later check), is written to
 * bad-weights/<what-is-wrong>.pnm in the build directory and loaded from
 * there. The message each case must give is in the table. Every case is made
 * from an LSTM and again from a transformer (bad-weights/transformer-*.pnm),
 * whose own header fields have cases of their own. */
#include "check.h"
#include "lstm.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

static const uint64_t test_signature = 0x0123456789abcdefULL;

/* A deterministic generator for test weights (splitmix64). */
static float random_weight(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1 << 24) - 0.5);
}

/* Where the composer names begin in the file the breakers below break: the
 * header, and a transformer's own fields after it. */
static size_t names_at = PNL_WEIGHTS_HEADER_BYTES;

static PnlWeights *small_model_of(uint32_t architecture)
{
    PnlWeights *weights = architecture == PNL_ARCH_TRANSFORMER
                              ? pnl_weights_new_transformer(test_signature, 21, 3, 8, 2, 2, 16, 12)
                              : pnl_weights_new_lstm(test_signature, 21, 3, 8, 12, 2);
    uint64_t seed = 42;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = random_weight(&seed);
    snprintf(weights->composer_names[0], sizeof weights->composer_names[0], "mozart");
    return weights;
}

static PnlWeights *small_model(void)
{
    return small_model_of(PNL_ARCH_LSTM);
}

static uint8_t *encode(const PnlWeights *weights, size_t *size)
{
    *size = pnl_weights_encode(weights, NULL, 0);
    uint8_t *bytes = malloc(*size);
    pnl_weights_encode(weights, bytes, *size);
    return bytes;
}

static void put_u32(uint8_t *p, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(value >> (8 * i));
}

static void fix_crc(uint8_t *bytes, size_t size)
{
    put_u32(bytes + size - 4, pnl_crc32(bytes, size - 4));
}

static void test_crc32_matches_zlib(void)
{
    /* zlib.crc32(b"123456789") == 0xCBF43926, the standard check value. */
    uint32_t crc = pnl_crc32((const uint8_t *)"123456789", 9);
    CHECK(crc == 0xCBF43926u, "expected CRC 0xcbf43926, got 0x%08x", crc);
}

static void test_saved_model_loads_back_exactly(void)
{
    PnlWeights *weights = small_model();
    char message[512] = "";
    const char *path = "weights-roundtrip.pnm";
    int status = pnl_weights_save(weights, path, message, sizeof message);
    CHECK(status == PNL_OK, "saving failed: %s", message);
    PnlWeights *loaded = NULL;
    status = pnl_weights_load(path, test_signature, 21, &loaded, message, sizeof message);
    CHECK(status == PNL_OK && loaded, "loading failed (%d): %s", status, message);
    CHECK(loaded->vocab_size == 21 && loaded->composer_count == 3 &&
              loaded->embedding_size == 8 && loaded->hidden_size == 12 &&
              loaded->layer_count == 2 && loaded->tensor_count == 12,
          "sizes differ after loading: V %u K %u E %u H %u L %u T %u", loaded->vocab_size,
          loaded->composer_count, loaded->embedding_size, loaded->hidden_size,
          loaded->layer_count, loaded->tensor_count);
    CHECK(strcmp(loaded->composer_names[0], "mozart") == 0 &&
              strcmp(loaded->composer_names[2], "composer2") == 0,
          "composer names differ: \"%s\", \"%s\"", loaded->composer_names[0],
          loaded->composer_names[2]);
    for (uint32_t t = 0; t < weights->tensor_count; t++) {
        const PnlTensor *a = &weights->tensors[t], *b = &loaded->tensors[t];
        CHECK(strcmp(a->name, b->name) == 0 && a->count == b->count, "tensor %u differs", t);
        CHECK(memcmp(a->data, b->data, a->count * sizeof(float)) == 0,
              "tensor %s's values differ after loading", a->name);
    }
    CHECK(pnl_weights_tensor(loaded, "lstm.1.weight_hh") != NULL &&
              pnl_weights_tensor(loaded, "lstm.2.weight_hh") == NULL,
          "tensor lookup by name is wrong");
    pnl_weights_free(loaded);
    pnl_weights_free(weights);
}

static void test_missing_file_names_the_file(void)
{
    PnlWeights *loaded = NULL;
    char message[512] = "";
    int status = pnl_weights_load("no-such-dir/none.pnm", test_signature, 0, &loaded, message,
                                  sizeof message);
    CHECK(status == PNL_EIO && !loaded, "expected PNL_EIO, got %d", status);
    CHECK(strstr(message, "no-such-dir/none.pnm: cannot open"), "message was \"%s\"", message);
}

static void test_directories_and_devices_are_refused_without_reading(void)
{
    static const char *const paths[] = {".", "/dev/zero"};
    for (int i = 0; i < 2; i++) {
        PnlWeights *loaded = NULL;
        char message[512] = "", want[128];
        int status = pnl_weights_load(paths[i], test_signature, 0, &loaded, message,
                                      sizeof message);
        snprintf(want, sizeof want, "%s: not a regular file", paths[i]);
        CHECK(status == PNL_EIO && !loaded && strcmp(message, want) == 0,
              "expected \"%s\" (PNL_EIO), got %d \"%s\"", want, status, message);
    }
}

static void check_truncations(uint32_t architecture)
{
    PnlWeights *weights = small_model_of(architecture);
    const size_t header = PNL_WEIGHTS_HEADER_BYTES +
                          (architecture == PNL_ARCH_TRANSFORMER
                               ? PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES : 0);
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    int cuts = 0;
    for (size_t cut = 0; cut < size; cut += cut < 64 ? 1 : 97, cuts++) {
        PnlWeights *loaded = NULL;
        char message[512] = "", want[128];
        /* A copy of exactly `cut` bytes, so a sanitizer sees any read past it. */
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, bytes, cut);
        int status = pnl_weights_parse(copy, cut, "cut.pnm", test_signature, 0, &loaded, message,
                                       sizeof message);
        free(copy);
        CHECK(status == PNL_EFORMAT && !loaded,
              "a file cut at byte %zu of %zu gave status %d (%s)", cut, size, status, message);
        if (cut >= header)
            snprintf(want, sizeof want, "cut.pnm: truncated at byte %zu of %zu", cut, size);
        else
            snprintf(want, sizeof want, "cut.pnm: truncated at byte %zu of at least %zu", cut,
                     cut < PNL_WEIGHTS_HEADER_BYTES - 4 ? (size_t)PNL_WEIGHTS_HEADER_BYTES - 4
                     : cut < PNL_WEIGHTS_HEADER_BYTES ? (size_t)PNL_WEIGHTS_HEADER_BYTES
                                                      : header);
        CHECK(strstr(message, want), "cut at %zu: expected \"%s\", got \"%s\"", cut, want,
              message);
    }
    CHECK(cuts > 40, "only %d cuts tried", cuts);
    free(bytes);
    pnl_weights_free(weights);
}

static void test_file_truncated_anywhere_is_refused_with_its_length(void)
{
    check_truncations(PNL_ARCH_LSTM);
    check_truncations(PNL_ARCH_TRANSFORMER);
}

static void check_flips(uint32_t architecture)
{
    PnlWeights *weights = small_model_of(architecture);
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    for (size_t at = 0; at < size; at++) {
        for (int pattern = 0; pattern < 2; pattern++) {
            uint8_t flip = pattern ? 0xFF : (uint8_t)(1u << (at % 8));
            bytes[at] ^= flip;
            PnlWeights *loaded = NULL;
            char message[512] = "";
            int status = pnl_weights_parse(bytes, size, "flipped.pnm", test_signature, 0, &loaded,
                                           message, sizeof message);
            bytes[at] ^= flip;
            CHECK(status < 0 && !loaded, "flipping byte %zu with 0x%02x was accepted", at, flip);
            CHECK(strncmp(message, "flipped.pnm: ", 13) == 0 && strlen(message) > 20,
                  "byte %zu: message \"%s\" does not name the file and the fault", at, message);
        }
    }
    free(bytes);
    pnl_weights_free(weights);
}

static void test_every_flipped_byte_is_refused(void)
{
    check_flips(PNL_ARCH_LSTM);
    check_flips(PNL_ARCH_TRANSFORMER);
}

typedef void (*Breaker)(uint8_t *bytes, size_t *size);

static void wrong_magic(uint8_t *b, size_t *n)
{
    memcpy(b, "MThd\0\0\0\6", 8);
    (void)n;
}
static void wrong_version(uint8_t *b, size_t *n)
{
    put_u32(b + 8, 3);
    fix_crc(b, *n);
}
/* An LSTM's bytes labelled a transformer: its first composer name is read
 * as the head count. */
static void lstm_labelled_transformer(uint8_t *b, size_t *n)
{
    put_u32(b + 12, 2);
    fix_crc(b, *n);
}
static void unknown_architecture(uint8_t *b, size_t *n)
{
    put_u32(b + 12, 77);
    fix_crc(b, *n);
}
static void wrong_signature(uint8_t *b, size_t *n)
{
    b[16] ^= 1;
    fix_crc(b, *n);
}
static void zero_vocabulary(uint8_t *b, size_t *n)
{
    put_u32(b + 24, 0);
    (void)n;
}
static void absurd_vocabulary(uint8_t *b, size_t *n)
{
    put_u32(b + 24, 0xFFFFFFFFu);
    (void)n;
}
static void absurd_composer_count(uint8_t *b, size_t *n)
{
    put_u32(b + 28, 0x80000000u);
    (void)n;
}
static void absurd_layer_count(uint8_t *b, size_t *n)
{
    put_u32(b + 40, 1000000);
    (void)n;
}
static void model_of_many_gigabytes(uint8_t *b, size_t *n)
{
    put_u32(b + 32, 8192);
    put_u32(b + 36, 8192);
    put_u32(b + 40, 16);
    put_u32(b + 44, b[12] == PNL_ARCH_TRANSFORMER ? 7 + 12 * 16 : 4 + 4 * 16);
    (void)n;
}
static void wrong_tensor_count(uint8_t *b, size_t *n)
{
    put_u32(b + 44, 13);
    fix_crc(b, *n);
}
static void tensor_count_overflowing(uint8_t *b, size_t *n)
{
    put_u32(b + 44, 0xFFFFFFFFu);
    (void)n;
}
static void trailing_bytes(uint8_t *b, size_t *n)
{
    memset(b + *n, 0, 16);
    *n += 16;
    fix_crc(b, *n);
}
static void composer_name_not_ascii(uint8_t *b, size_t *n)
{
    b[names_at + 32 + 3] = 0xC3;
    fix_crc(b, *n);
}
static void composer_name_empty(uint8_t *b, size_t *n)
{
    memset(b + names_at, 0, 32);
    fix_crc(b, *n);
}
/* The first tensor header starts after three composer names. */
static void first_tensor_renamed(uint8_t *b, size_t *n)
{
    memcpy(b + names_at + 96, "token_embeddinX", 15);
    fix_crc(b, *n);
}
static void first_tensor_transposed(uint8_t *b, size_t *n)
{
    size_t dims = names_at + 96 + 32 + 4;
    put_u32(b + dims, 8);
    put_u32(b + dims + 4, 21);
    fix_crc(b, *n);
}
static void first_tensor_rank_absurd(uint8_t *b, size_t *n)
{
    put_u32(b + names_at + 96 + 32, 0xFFFFFFF0u);
    fix_crc(b, *n);
}
static void weight_is_nan(uint8_t *b, size_t *n)
{
    put_u32(b + names_at + 96 + 32 + 4 + 8 + 4 * 5, 0x7FC00000u);
    fix_crc(b, *n);
}
static void weight_is_infinite(uint8_t *b, size_t *n)
{
    put_u32(b + *n - 8, 0xFF800000u);
    fix_crc(b, *n);
}
/* Finite but absurd: the fuzz finding's 1e30 made a gate's sum NaN. */
static void weight_is_huge(uint8_t *b, size_t *n)
{
    put_u32(b + names_at + 96 + 32 + 4 + 8 + 4 * 5, 0x7149F2CAu); /* 1e30 */
    fix_crc(b, *n);
}
static void weight_just_beyond_the_bound(uint8_t *b, size_t *n)
{
    put_u32(b + *n - 8, 0xC61C4400u); /* -10001 */
    fix_crc(b, *n);
}

/* A transformer's own fields, at 52: heads, context, epsilon. */
static void heads_zero(uint8_t *b, size_t *n)
{
    put_u32(b + 52, 0);
    fix_crc(b, *n);
}
static void heads_not_dividing_the_dimension(uint8_t *b, size_t *n)
{
    put_u32(b + 52, 3);
    fix_crc(b, *n);
}
static void context_zero(uint8_t *b, size_t *n)
{
    put_u32(b + 56, 0);
    fix_crc(b, *n);
}
static void context_absurd(uint8_t *b, size_t *n)
{
    put_u32(b + 56, 0x7FFFFFFFu);
    fix_crc(b, *n);
}
static void cache_of_gigabytes(uint8_t *b, size_t *n)
{
    put_u32(b + 32, 4096); /* dimension */
    put_u32(b + 40, 16);   /* layers */
    put_u32(b + 56, 16384);
    (void)n;
}
static void norm_eps_nan(uint8_t *b, size_t *n)
{
    put_u32(b + 60, 0x7FC00000u);
    fix_crc(b, *n);
}
static void norm_eps_zero(uint8_t *b, size_t *n)
{
    put_u32(b + 60, 0);
    fix_crc(b, *n);
}
/* The density flag on a network that cannot have it: the small LSTM's
 * vocabulary of 21 tokens lacks the DENSITY family; a transformer has no
 * density_embedding at all. */
static void density_flag_set(uint8_t *b, size_t *n)
{
    put_u32(b + 48, PNL_WEIGHTS_FLAG_DENSITY);
    fix_crc(b, *n);
}
/* The parts flag likewise: the small vocabulary lacks the PART family; a
 * transformer has no part_embedding. */
static void parts_flag_set(uint8_t *b, size_t *n)
{
    put_u32(b + 48, PNL_WEIGHTS_FLAG_PARTS);
    fix_crc(b, *n);
}
static void transformer_in_version_1(uint8_t *b, size_t *n)
{
    put_u32(b + 8, 1);
    fix_crc(b, *n);
}

typedef struct {
    const char *name;
    Breaker breaker;
    int status;
    const char *says;             /* in an LSTM's file */
    const char *transformer_says; /* NULL: the same; "": not a case for a transformer */
} BadCase;

static void check_bad_cases(const BadCase *cases, size_t count, uint32_t architecture,
                            const char *prefix)
{
    PnlWeights *weights = small_model_of(architecture);
    size_t size;
    uint8_t *valid = encode(weights, &size);
    names_at = PNL_WEIGHTS_HEADER_BYTES +
               (architecture == PNL_ARCH_TRANSFORMER ? PNL_WEIGHTS_TRANSFORMER_FIELD_BYTES : 0);
    mkdir("bad-weights", 0777);
    for (size_t c = 0; c < count; c++) {
        const char *says = cases[c].says;
        if (architecture == PNL_ARCH_TRANSFORMER && cases[c].transformer_says)
            says = cases[c].transformer_says;
        if (!*says)
            continue;
        uint8_t *bytes = calloc(1, size + 64);
        size_t length = size;
        memcpy(bytes, valid, size);
        if (cases[c].breaker)
            cases[c].breaker(bytes, &length);
        else
            bytes[length - 1] ^= 0x10;
        char path[256], message[512] = "";
        snprintf(path, sizeof path, "bad-weights/%s%s.pnm", prefix, cases[c].name);
        FILE *file = fopen(path, "wb");
        CHECK(file, "cannot write %s", path);
        fwrite(bytes, 1, length, file);
        fclose(file);
        free(bytes);
        PnlWeights *loaded = NULL;
        int status = pnl_weights_load(path, test_signature, 0, &loaded, message, sizeof message);
        CHECK(status == cases[c].status && !loaded, "%s: expected status %d, got %d (%s)", path,
              cases[c].status, status, message);
        CHECK(strncmp(message, path, strlen(path)) == 0 && strstr(message, says),
              "%s: expected a message naming the file and saying \"%s\", got \"%s\"", path,
              says, message);
    }
    names_at = PNL_WEIGHTS_HEADER_BYTES;
    free(valid);
    pnl_weights_free(weights);
}

static void test_each_bad_file_is_refused_with_what_is_wrong(void)
{
    static const BadCase cases[] = {
        {"wrong-magic", wrong_magic, PNL_EFORMAT, "not a Pianola weights file", NULL},
        {"wrong-version", wrong_version, PNL_EMISMATCH, "format version 3", NULL},
        {"lstm-labelled-transformer", lstm_labelled_transformer, PNL_EFORMAT,
         "head count 1635413869 is outside 1..8", ""},
        {"unknown-architecture", unknown_architecture, PNL_EFORMAT, "unknown architecture 77", NULL},
        {"wrong-signature", wrong_signature, PNL_EMISMATCH, "codec signature 0x0123456789abcdee", NULL},
        {"zero-vocabulary", zero_vocabulary, PNL_EFORMAT, "vocabulary size 0 is outside", NULL},
        {"absurd-vocabulary", absurd_vocabulary, PNL_EFORMAT, "vocabulary size 4294967295", NULL},
        {"absurd-composer-count", absurd_composer_count, PNL_EFORMAT, "composer count 2147483648", NULL},
        {"absurd-layer-count", absurd_layer_count, PNL_EFORMAT, "layer count 1000000", NULL},
        {"model-of-many-gigabytes", model_of_many_gigabytes, PNL_EFORMAT, "more than the", NULL},
        {"wrong-tensor-count", wrong_tensor_count, PNL_EFORMAT,
         "13 tensors, but a 2-layer LSTM has 12", "13 tensors, but a 2-layer transformer has 31"},
        {"tensor-count-overflowing", tensor_count_overflowing, PNL_EFORMAT, "4294967295 tensors", NULL},
        {"trailing-bytes", trailing_bytes, PNL_EFORMAT, "extra bytes after the checksum", NULL},
        {"composer-name-not-ascii", composer_name_not_ascii, PNL_EFORMAT, "composer name 1", NULL},
        {"composer-name-empty", composer_name_empty, PNL_EFORMAT, "composer name 0", NULL},
        {"first-tensor-renamed", first_tensor_renamed, PNL_EFORMAT,
         "should be \"token_embedding\" but is named \"token_embeddinX\"", NULL},
        {"first-tensor-transposed", first_tensor_transposed, PNL_EFORMAT,
         "\"token_embedding\" has shape 8 x 21, but the header's sizes need 21 x 8", NULL},
        {"first-tensor-rank-absurd", first_tensor_rank_absurd, PNL_EFORMAT, "of rank 4294967280", NULL},
        {"weight-is-nan", weight_is_nan, PNL_EFORMAT,
         "\"token_embedding\" holds a non-finite value at index 5", NULL},
        {"weight-is-infinite", weight_is_infinite, PNL_EFORMAT,
         "\"output.bias\" holds a non-finite value at index 20", NULL},
        {"weight-is-huge", weight_is_huge, PNL_EFORMAT,
         "\"token_embedding\" holds 1e+30 at index 5, beyond the 10000 a model may hold", NULL},
        {"weight-just-beyond-the-bound", weight_just_beyond_the_bound, PNL_EFORMAT,
         "\"output.bias\" holds -10001 at index 20, beyond the 10000", NULL},
        {"checksum-wrong", NULL, PNL_EFORMAT, "checksum mismatch", NULL},
        {"density-flag-without-density-tokens", density_flag_set, PNL_EFORMAT,
         "density conditioning in a vocabulary of 21 tokens, without the DENSITY tokens",
         "density conditioning (flag 0x4) in a network that is not an LSTM"},
        {"parts-flag-without-part-tokens", parts_flag_set, PNL_EFORMAT,
         "parts conditioning in a vocabulary of 21 tokens, without the PART tokens",
         "parts conditioning (flag 0x8) in a network that is not an LSTM"},
    };
    static const BadCase transformer_cases[] = {
        {"heads-zero", heads_zero, PNL_EFORMAT, "head count 0 is outside 1..8", NULL},
        {"heads-not-dividing-the-dimension", heads_not_dividing_the_dimension, PNL_EFORMAT,
         "dimension 8 is not a multiple of its 3 heads", NULL},
        {"context-zero", context_zero, PNL_EFORMAT, "context length 0 is outside 1..16384", NULL},
        {"context-absurd", context_absurd, PNL_EFORMAT, "context length 2147483647", NULL},
        {"cache-of-gigabytes", cache_of_gigabytes, PNL_EFORMAT,
         "a key-value cache of 2147483648 floats, more than the 67108864", NULL},
        {"norm-eps-nan", norm_eps_nan, PNL_EFORMAT, "layer-norm epsilon nan is outside (0, 1]", NULL},
        {"norm-eps-zero", norm_eps_zero, PNL_EFORMAT, "layer-norm epsilon 0 is outside (0, 1]", NULL},
        {"in-version-1", transformer_in_version_1, PNL_EFORMAT,
         "a transformer in a version 1 file", NULL},
    };
    size_t count = sizeof cases / sizeof cases[0];
    check_bad_cases(cases, count, PNL_ARCH_LSTM, "");
    check_bad_cases(cases, count, PNL_ARCH_TRANSFORMER, "transformer-");
    check_bad_cases(transformer_cases, sizeof transformer_cases / sizeof transformer_cases[0],
                    PNL_ARCH_TRANSFORMER, "transformer-");
}

static void test_vocabulary_other_than_the_codec_is_refused(void)
{
    PnlWeights *weights = small_model();
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    PnlWeights *loaded = NULL;
    char message[512] = "";
    int status = pnl_weights_parse(bytes, size, "m.pnm", test_signature, 431, &loaded, message,
                                   sizeof message);
    CHECK(status == PNL_EMISMATCH && !loaded, "expected PNL_EMISMATCH, got %d", status);
    CHECK(strstr(message, "vocabulary of 21 tokens, but this Pianola's codec has 431"),
          "message was \"%s\"", message);
    free(bytes);
    pnl_weights_free(weights);
}

/* Version 2 carries flags (the key frame); version 1 files, without the
 * field, still load, and flags this Pianola does not know are refused. */
static void test_flags_and_version_1_files(void)
{
    PnlWeights *weights = small_model();
    weights->flags = PNL_WEIGHTS_FLAG_KEY_FRAME;
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    PnlWeights *loaded = NULL;
    char message[512] = "";
    CHECK(pnl_weights_parse(bytes, size, "v2.pnm", test_signature, 0, &loaded, message,
                            sizeof message) == PNL_OK, "%s", message);
    CHECK(loaded->version == 2 && loaded->flags == PNL_WEIGHTS_FLAG_KEY_FRAME,
          "version %u flags %u", loaded->version, loaded->flags);
    pnl_weights_free(loaded);
    free(bytes);

    weights->version = 1;
    weights->flags = 0;
    bytes = encode(weights, &size);
    CHECK(pnl_weights_parse(bytes, size, "v1.pnm", test_signature, 0, &loaded, message,
                            sizeof message) == PNL_OK, "%s", message);
    CHECK(loaded->version == 1 && loaded->flags == 0 &&
              strcmp(loaded->composer_names[0], "mozart") == 0 &&
              loaded->tensors[0].data[0] == weights->tensors[0].data[0],
          "a version 1 file read wrongly");
    pnl_weights_free(loaded);
    free(bytes);

    weights->version = 2;
    weights->flags = 16; /* bits 0 to 3 are known */
    bytes = encode(weights, &size);
    int status = pnl_weights_parse(bytes, size, "future.pnm", test_signature, 0, &loaded,
                                   message, sizeof message);
    CHECK(status == PNL_EMISMATCH && !loaded && strstr(message, "flags 0x10"),
          "unknown flags: status %d \"%s\"", status, message);
    free(bytes);
    pnl_weights_free(weights);
}

/* Every weight at the bound, with random signs: accepted, and the network
 * (float32 and 8-bit) gives finite logits step after step. */
static void test_weights_at_the_bound_keep_the_logits_finite(void)
{
    PnlWeights *weights = pnl_weights_new_lstm(test_signature, 21, 3, 64, 64, 2);
    uint64_t seed = 7;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] =
                random_weight(&seed) < 0 ? -PNL_WEIGHTS_MAX_MAGNITUDE : PNL_WEIGHTS_MAX_MAGNITUDE;
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    pnl_weights_free(weights);
    PnlWeights *loaded = NULL;
    char message[512] = "";
    int status = pnl_weights_parse(bytes, size, "bound.pnm", test_signature, 0, &loaded, message,
                                   sizeof message);
    free(bytes);
    CHECK(status == PNL_OK, "weights of magnitude %g were refused: %s",
          (double)PNL_WEIGHTS_MAX_MAGNITUDE, message);
    for (int precision = 0; precision < 2; precision++) {
        PnlLstm *lstm = NULL;
        status = pnl_lstm_new_with_precision(loaded, (PnlPrecision)precision, &lstm, message,
                                             sizeof message);
        CHECK(status == PNL_OK, "no network: %s", message);
        PnlLstmState *state = pnl_lstm_state_new(lstm);
        int bad_step = -1, bad_token = -1;
        for (int step = 0; step < 300 && bad_step < 0; step++) {
            const float *logits = pnl_lstm_step(lstm, state, (step * 7) % 21, step % 3);
            for (int token = 0; token < 21 && bad_step < 0; token++)
                if (!isfinite(logits[token]))
                    bad_step = step, bad_token = token;
        }
        pnl_lstm_state_free(state);
        pnl_lstm_free(lstm);
        CHECK(bad_step < 0, "%s: logit %d not finite at step %d", precision ? "int8" : "float32",
              bad_token, bad_step);
    }
    pnl_weights_free(loaded);
}

/* The fuzzer's file (its CRC sealed, as the fuzz target does): refused
 * with the reason, so its NaN logits never reach the sampler. */
static void test_the_huge_weights_fuzz_finding_is_refused(void)
{
    char path[1024];
    snprintf(path, sizeof path,
             "%s/tests/fuzz/reproducers/fuzz_weights/huge-finite-weights-nan-gate-exp-overflow.pnm",
             check_env("PIANOLA_SRC", ".."));
    FILE *file = fopen(path, "rb");
    CHECK(file, "cannot open %s", path);
    uint8_t *bytes = malloc(1 << 16);
    size_t size = fread(bytes, 1, 1 << 16, file);
    fclose(file);
    CHECK(size > 24 && size < (1 << 16), "%s: unexpected size %zu", path, size);
    /* Signed for this codec, as the fuzz target signs every input: the
     * finding is about the weights, whatever the vocabulary is today. */
    uint64_t signature = pnl_vocab_signature();
    for (int byte = 0; byte < 8; byte++)
        bytes[16 + byte] = (uint8_t)(signature >> (8 * byte));
    fix_crc(bytes, size);
    PnlWeights *loaded = NULL;
    char message[512] = "";
    int status = pnl_weights_parse(bytes, size, "huge.pnm", pnl_vocab_signature(), 0, &loaded,
                                   message, sizeof message);
    free(bytes);
    CHECK(status == PNL_EFORMAT && !loaded && strstr(message, "huge.pnm: tensor") &&
              strstr(message, "beyond the 10000 a model may hold"),
          "expected the huge weights refused, got %d \"%s\"", status, message);
}

/* A small model declaring two choices: Mozart, and a composer added in
 * training ("Érik Satie", class 2) whose pieces open as Mozart's. Its
 * choices section lies after the three names: openers at 148, the count at
 * 160, choice 0 at 164 (class, then its label at 168), choice 1 at 232. */
enum { OPENERS_AT = PNL_WEIGHTS_HEADER_BYTES + 96, CHOICE_COUNT_AT = OPENERS_AT + 12,
       CHOICE0_AT = CHOICE_COUNT_AT + 4, CHOICE1_AT = CHOICE0_AT + 4 + PNL_WEIGHTS_LABEL_BYTES };

static PnlWeights *model_with_choices(void)
{
    PnlWeights *weights = small_model();
    snprintf(weights->composer_names[2], sizeof weights->composer_names[2], "satie");
    weights->composer_openers[2] = 0;
    static const uint32_t classes[] = {0, 2};
    static const char *const labels[] = {"Mozart", "\xc3\x89rik Satie"};
    pnl_weights_set_choices(weights, 2, classes, labels);
    return weights;
}

static void test_composer_choices_load_back_exactly(void)
{
    PnlWeights *weights = model_with_choices();
    size_t size;
    uint8_t *bytes = encode(weights, &size);
    pnl_weights_free(weights);
    PnlWeights *loaded = NULL;
    char message[512] = "";
    int status = pnl_weights_parse(bytes, size, "choices.pnm", test_signature, 21, &loaded,
                                   message, sizeof message);
    free(bytes);
    CHECK(status == PNL_OK && loaded, "expected the file with choices to load, got %d \"%s\"",
          status, message);
    CHECK(loaded->flags == PNL_WEIGHTS_FLAG_CHOICES && loaded->choice_count == 2 &&
              loaded->choice_classes[0] == 0 && loaded->choice_classes[1] == 2 &&
              !strcmp(loaded->choice_labels[0], "Mozart") &&
              !strcmp(loaded->choice_labels[1], "\xc3\x89rik Satie") &&
              loaded->composer_openers[0] == 0 && loaded->composer_openers[1] == 1 &&
              loaded->composer_openers[2] == 0,
          "expected flags 2, choices 0 \"Mozart\" and 2 \"Érik Satie\", openers 0 1 0; got flags "
          "%u, %u choices, openers %u %u %u", loaded->flags, loaded->choice_count,
          loaded->composer_openers[0], loaded->composer_openers[1], loaded->composer_openers[2]);
    pnl_weights_free(loaded);
}

static void label_set(uint8_t *b, size_t at, const char *text, size_t length)
{
    memset(b + at, 0, PNL_WEIGHTS_LABEL_BYTES);
    memcpy(b + at, text, length);
}
static void choice_label_not_utf8(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Satie \xff", 7);
    fix_crc(b, *n);
}
static void choice_label_overlong_utf8(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Sati\xc1\xa5", 6); /* 'e' in two bytes */
    fix_crc(b, *n);
}
static void choice_label_surrogate(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Satie \xed\xa0\x80", 9);
    fix_crc(b, *n);
}
static void choice_label_cut_character(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Satie \xe2\x80", 8);
    fix_crc(b, *n);
}
static void choice_label_newline(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Satie\nrm -rf", 12);
    fix_crc(b, *n);
}
static void choice_label_c1_control(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Satie\xc2\x9b", 7);
    fix_crc(b, *n);
}
static void choice_label_empty(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "", 0);
    fix_crc(b, *n);
}
static void choice_label_not_zero_padded(uint8_t *b, size_t *n)
{
    b[CHOICE1_AT + 4 + PNL_WEIGHTS_LABEL_BYTES - 1] = 'x';
    fix_crc(b, *n);
}
static void choice_labels_alike(uint8_t *b, size_t *n)
{
    label_set(b, CHOICE1_AT + 4, "Mozart", 6);
    fix_crc(b, *n);
}
static void choice_class_out_of_range(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE1_AT, 3);
    fix_crc(b, *n);
}
static void choice_class_twice(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE1_AT, 0);
    fix_crc(b, *n);
}
static void choice_count_zero(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE_COUNT_AT, 0);
    fix_crc(b, *n);
}
static void choice_count_over_composers(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE_COUNT_AT, 4);
    fix_crc(b, *n);
}
static void choice_count_absurd(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE_COUNT_AT, 0xFFFFFFFFu);
    fix_crc(b, *n);
}
static void choice_count_one_more(uint8_t *b, size_t *n)
{
    put_u32(b + CHOICE_COUNT_AT, 3); /* the file holds two */
    fix_crc(b, *n);
}
static void opener_out_of_range(uint8_t *b, size_t *n)
{
    put_u32(b + OPENERS_AT + 8, 7);
    fix_crc(b, *n);
}
static void opener_borrowed_twice(uint8_t *b, size_t *n)
{
    put_u32(b + OPENERS_AT, 2); /* mozart opens as satie, which opens as mozart */
    fix_crc(b, *n);
}
static void composer_names_alike(uint8_t *b, size_t *n)
{
    memcpy(b + PNL_WEIGHTS_HEADER_BYTES + 64, "mozart\0\0", 8);
    fix_crc(b, *n);
}
static void choices_flag_without_section(uint8_t *b, size_t *n)
{
    /* The section removed, the flag kept: the tensors are read as choices. */
    size_t section = CHOICE1_AT + 4 + PNL_WEIGHTS_LABEL_BYTES - OPENERS_AT;
    memmove(b + OPENERS_AT, b + OPENERS_AT + section, *n - OPENERS_AT - section);
    *n -= section;
    fix_crc(b, *n);
}
static void truncated_before_choice_count(uint8_t *b, size_t *n)
{
    (void)b;
    *n = CHOICE_COUNT_AT + 2;
}

static void test_each_bad_choices_section_is_refused_with_what_is_wrong(void)
{
    static const struct {
        const char *name;
        Breaker breaker;
        const char *says;
    } cases[] = {
        {"choice-label-not-utf8", choice_label_not_utf8, "choice 1 (at byte 236) is not valid UTF-8"},
        {"choice-label-overlong-utf8", choice_label_overlong_utf8, "is not valid UTF-8"},
        {"choice-label-surrogate", choice_label_surrogate, "is not valid UTF-8"},
        {"choice-label-cut-character", choice_label_cut_character, "is not valid UTF-8"},
        {"choice-label-newline", choice_label_newline, "holds a control character"},
        {"choice-label-c1-control", choice_label_c1_control, "or holds a control character"},
        {"choice-label-empty", choice_label_empty, "display name of choice 1 (at byte 236) is empty"},
        {"choice-label-not-zero-padded", choice_label_not_zero_padded, "not zero-padded"},
        {"choice-labels-alike", choice_labels_alike, "choices 0 and 1 are both called \"Mozart\""},
        {"choice-class-out-of-range", choice_class_out_of_range, "choice 1 is composer 3, but there are 3"},
        {"choice-class-twice", choice_class_twice, "choices 0 and 1 are both composer 0"},
        {"choice-count-zero", choice_count_zero, "0 composer choices, outside 1..3"},
        {"choice-count-over-composers", choice_count_over_composers, "4 composer choices, outside 1..3"},
        {"choice-count-absurd", choice_count_absurd, "4294967295 composer choices"},
        {"choice-count-one-more", choice_count_one_more, "truncated at byte"},
        {"opener-out-of-range", opener_out_of_range, "composer 2 opens its pieces as class 7, but there are 3"},
        {"opener-borrowed-twice", opener_borrowed_twice, "which borrows another's"},
        {"composer-names-alike", composer_names_alike, "two composers are called \"mozart\""},
        {"choices-flag-without-section", choices_flag_without_section, "composer choices"},
        {"truncated-before-choice-count", truncated_before_choice_count,
         "before the count of composer choices"},
    };
    PnlWeights *weights = model_with_choices();
    size_t size;
    uint8_t *valid = encode(weights, &size);
    pnl_weights_free(weights);
    mkdir("bad-weights", 0777);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *bytes = calloc(1, size + 64);
        size_t length = size;
        memcpy(bytes, valid, size);
        cases[c].breaker(bytes, &length);
        char path[256];
        snprintf(path, sizeof path, "bad-weights/%s.pnm", cases[c].name);
        FILE *file = fopen(path, "wb");
        fwrite(bytes, 1, length, file);
        fclose(file);
        free(bytes);
        PnlWeights *loaded = NULL;
        char message[512] = "";
        int status = pnl_weights_load(path, test_signature, 21, &loaded, message, sizeof message);
        CHECK(status < 0 && !loaded && strstr(message, path) && strstr(message, cases[c].says),
              "%s: expected a refusal naming the file and saying \"%s\", got %d \"%s\"",
              cases[c].name, cases[c].says, status, message);
    }
    free(valid);
}

/* Every label the writer can hold goes through the check the reader runs. */
static void test_label_check_takes_text_and_refuses_the_rest(void)
{
    static const struct {
        const char *text;
        int good;
    } cases[] = {
        {"Satie", 1}, {"\xc3\x89rik Satie", 1}, {"\xe6\x97\xa5\xe6\x9c\xac", 1},
        {"\xf0\x9f\x8e\xb9 Piano", 1}, {"", 0}, {"a\tb", 0}, {"\x7f", 0}, {"\xc0\x80", 0},
        {"\xf4\x90\x80\x80", 0}, {"\xe0\x80\xaf", 0}, {"\x80", 0},
        {"0123456789012345678901234567890123456789012345678901234567890123", 1},
        {"01234567890123456789012345678901234567890123456789012345678901234", 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *problem =
            pnl_weights_label_problem((const uint8_t *)cases[c].text, strlen(cases[c].text));
        CHECK((problem == NULL) == cases[c].good, "label %zu (\"%s\"): expected %s, got %s", c,
              cases[c].text, cases[c].good ? "accepted" : "refused", problem ? problem : "accepted");
    }
}

int main(void)
{
    RUN_TEST(test_crc32_matches_zlib);
    RUN_TEST(test_saved_model_loads_back_exactly);
    RUN_TEST(test_missing_file_names_the_file);
    RUN_TEST(test_directories_and_devices_are_refused_without_reading);
    RUN_TEST(test_file_truncated_anywhere_is_refused_with_its_length);
    RUN_TEST(test_every_flipped_byte_is_refused);
    RUN_TEST(test_each_bad_file_is_refused_with_what_is_wrong);
    RUN_TEST(test_vocabulary_other_than_the_codec_is_refused);
    RUN_TEST(test_flags_and_version_1_files);
    RUN_TEST(test_weights_at_the_bound_keep_the_logits_finite);
    RUN_TEST(test_the_huge_weights_fuzz_finding_is_refused);
    RUN_TEST(test_composer_choices_load_back_exactly);
    RUN_TEST(test_each_bad_choices_section_is_refused_with_what_is_wrong);
    RUN_TEST(test_label_check_takes_text_and_refuses_the_rest);
    CHECK_EXIT();
}
