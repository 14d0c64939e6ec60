/* pianola-score: how likely a model finds a piece of music.
 *
 *   pianola-score [--composer NAME | --model FILE] FILE.mid...
 *
 * Each file is read and encoded as the tokenizer does (src/tokenize.h),
 * then run through the network token by token; every token after the
 * COMPOSER token is scored, as the training's evaluation does
 * (train/evaluate.py), with no grammar mask; for a key-normalized network,
 * the piece is first moved to C major / A minor. A network that knows the
 * ensembles' parts reads a file whose tracks are named for parts (as
 * pianola-generate --ensemble writes them) as that ensemble. One
 * line per file gives the negative log-likelihood per token (nats and bits)
 * and bits per note (a piece's bits over its notes); the last line is
 * `mean bits_per_note: X`, the mean over the files that have notes.
 *
 * `--dump-logits` prints the network's logits at every step instead (for the
 * PyTorch parity test), and `--codec` the codec's signature and size. */
#include "cli.h"
#include "composers.h"
#include "midifile.h"
#include "model.h"
#include "model_path.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *program = "pianola-score";

enum { MESSAGE_SIZE = 4096, PATH_SIZE = 4096 };

/* The composers the plugin offers; the first is its default, and this one's. */
static const char *const offered_composers[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};

static void usage(FILE *stream)
{
    fprintf(stream,
            "Usage: %s [--composer NAME | --model FILE] FILE.mid...\n"
            "\n"
            "Scores MIDI files under a Pianola model: for each file, the negative\n"
            "log-likelihood per token (nats and bits) and bits per note, then the mean\n"
            "bits per note over the files.\n"
            "\n"
            "Options:\n"
            "  -c, --composer NAME     the composer to condition on [%s]\n"
            "  -m, --model FILE        the weights file [$PIANOLA_MODEL, else the bundled\n"
            "                          pianola.pnm]\n"
            "      --precision P       float32 (PyTorch's logits) or int8 (a quarter of the\n"
            "                          bytes, logits within about 0.1) [float32]\n"
            "      --dump-logits       print every step's input token and logits instead\n"
            "      --max-tokens N      with --dump-logits: at most N steps (tokens) per file\n"
            "                          (--max-events is an older name for it)\n"
            "      --codec             print the codec's signature and vocabulary size\n"
            "  -h, --help              show this help\n",
            program, offered_composers[0]);
}

#define die(...) pnl_cli_fail(program, __VA_ARGS__)

/* log(sum(exp(logits))) in double, stable. */
static double log_sum_exp(const float *logits, int count)
{
    float top = logits[0];
    for (int i = 1; i < count; i++)
        if (logits[i] > top)
            top = logits[i];
    double sum = 0;
    for (int i = 0; i < count; i++)
        sum += exp((double)logits[i] - (double)top);
    return (double)top + log(sum);
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *composer = offered_composers[0];
    int dump_logits = 0, print_codec = 0;
    PnlPrecision precision = PNL_PRECISION_FLOAT32;
    long max_tokens = -1;
    static const struct option options[] = {
        {"composer", required_argument, NULL, 'c'}, {"model", required_argument, NULL, 'm'},
        {"dump-logits", no_argument, NULL, 'D'},    {"max-tokens", required_argument, NULL, 'N'},
        {"codec", no_argument, NULL, 'C'},          {"help", no_argument, NULL, 'h'},
        {"precision", required_argument, NULL, 'R'},
        {"max-events", required_argument, NULL, 'N'}, /* --max-tokens's older name */
        {NULL, 0, NULL, 0},
    };
    int option, option_index = 0;
    opterr = 0;
    while ((option = getopt_long(argc, argv, ":c:m:h", options, &option_index)) != -1) {
        switch (option) {
        case 'c': composer = optarg; break;
        case 'm': model_path = optarg; break;
        case 'D': dump_logits = 1; break;
        case 'C': print_codec = 1; break;
        case 'R':
            if (strcmp(optarg, "float32") == 0)
                precision = PNL_PRECISION_FLOAT32;
            else if (strcmp(optarg, "int8") == 0)
                precision = PNL_PRECISION_INT8;
            else
                return die("--precision wants float32 or int8, not \"%s\"", optarg);
            break;
        case 'N': {
            char *end;
            errno = 0;
            max_tokens = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || max_tokens < 1)
                return die("--%s wants a whole number >= 1, not \"%s\"", options[option_index].name,
                           optarg);
            break;
        }
        case 'h': usage(stdout); return 0;
        case ':': return die("%s needs a value (see --help)", argv[optind - 1]);
        default: return die("unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (print_codec) {
        printf("signature %016llx\nvocab_size %d\n", (unsigned long long)pnl_vocab_signature(),
               PNL_VOCAB_SIZE);
        return 0;
    }
    if (optind >= argc)
        return die("no MIDI files to score (see --help)");

    char found[PATH_SIZE];
    if (!model_path) {
        if (pnl_find_bundled_model(PNL_BUNDLED_PIANO_MODEL, found, sizeof found) != 0)
            return die("no model found: give --model FILE or set PIANOLA_MODEL");
        model_path = found;
    }
    char message[MESSAGE_SIZE];
    PnlModel *model = NULL;
    if (pnl_model_load_with_precision(model_path, pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                      precision, &model, message, sizeof message) != PNL_OK)
        return die("%s", message);
    int model_composer = pnl_model_find_composer(model, composer);
    int codec_composer = pnl_composer_index(composer);
    if (model_composer < 0 || codec_composer < 0) {
        pnl_model_free(model);
        return die("no composer \"%s\" in %s", composer, model_path);
    }
    /* A model trained before the DENSITY tokens has fewer logits, and
     * reads pieces without them. */
    int vocab_size = pnl_model_vocab_size(model);
    PnlModelState *state = pnl_model_state_new(model);
    if (!state) {
        pnl_model_free(model);
        return die("out of memory");
    }

    int failures = 0, scored = 0;
    double sum_bits_per_note = 0;
    for (int f = optind; f < argc; f++) {
        const char *path = argv[f];
        /* A key-normalized network learned every piece in C major / A
         * minor: score this one there too, as training's evaluation does. */
        PnlTokenizeOptions tokenize_options = {
            .composer = codec_composer,
            .density_bars = pnl_vocab_has_density(vocab_size),
            .key = pnl_model_key_frame(model) ? PNL_TOKENS_IN_KEY_FRAME : PNL_TOKENS_AS_WRITTEN};
        /* An ensemble's file (pianola-generate --ensemble), for a network
         * that knows the parts: each track is the part its name says. Any
         * other file is one piano, read as the piano corpus is. */
        if (pnl_vocab_has_parts(vocab_size)) {
            int8_t parts[PNL_TOKENIZE_MAX_TRACKS];
            int tracks = 0, ensemble = 0;
            if (pnl_midi_track_parts(path, parts, PNL_TOKENIZE_MAX_TRACKS, &tracks, message,
                                     sizeof message) != PNL_OK) {
                fprintf(stderr, "%s: %s\n", program, message);
                failures++;
                continue;
            }
            for (int t = 0; t < tracks; t++)
                ensemble |= parts[t] != PNL_PART_PIANO;
            if (ensemble) {
                memcpy(tokenize_options.track_parts, parts, sizeof parts);
                tokenize_options.track_count = tracks;
            }
        }
        PnlTokenized tokenized;
        if (pnl_tokenize_midi_file(path, &tokenize_options, &tokenized, message,
                                   sizeof message) != PNL_OK) {
            fprintf(stderr, "%s: %s\n", program, message);
            failures++;
            continue;
        }
        const uint16_t *tokens = tokenized.tokens;
        size_t count = tokenized.count;
        pnl_model_state_reset(state);
        if (dump_logits) {
            printf("# %s: %zu tokens, composer %s\n", path, count, composer);
            for (size_t t = 0; t < count && (max_tokens < 0 || (long)t < max_tokens); t++) {
                const float *logits = pnl_model_step(model, state, tokens[t], model_composer);
                printf("%zu %u", t, tokens[t]);
                for (int v = 0; v < vocab_size; v++)
                    printf(" %.9g", logits[v]);
                putchar('\n');
            }
            pnl_tokenized_free(&tokenized);
            continue;
        }
        double nats = 0;
        size_t scored_tokens = 0, notes = 0;
        for (size_t t = 0; t + 1 < count; t++) {
            const float *logits = pnl_model_step(model, state, tokens[t], model_composer);
            if (t >= 1) { /* the token after COMPOSER onwards */
                nats += log_sum_exp(logits, vocab_size) - (double)logits[tokens[t + 1]];
                scored_tokens++;
                notes += pnl_token_family(tokens[t + 1]) == PNL_FAMILY_PITCH;
            }
        }
        pnl_tokenized_free(&tokenized);
        double bits = nats / log(2.0);
        double bits_per_note = notes ? bits / (double)notes : 0;
        printf("%s: %zu tokens, %zu notes, %.4f nats/token, %.4f bits/token, "
               "%.4f bits/note\n",
               path, scored_tokens, notes, scored_tokens ? nats / (double)scored_tokens : 0,
               scored_tokens ? bits / (double)scored_tokens : 0, bits_per_note);
        if (notes) {
            sum_bits_per_note += bits_per_note;
            scored++;
        }
    }
    if (!dump_logits && scored)
        printf("mean bits_per_note: %.4f\n", sum_bits_per_note / scored);
    pnl_model_state_free(state);
    pnl_model_free(model);
    return failures ? 1 : 0;
}
