/* pianola-generate: compose a piece in a composer's style to a MIDI file.
 *
 *   pianola-generate [--composer NAME | --model FILE] [--temperature T]
 *                    [--top-p P] [--seed N] [--bars N] [--tempo BPM]
 *                    [--meter N/D] [--prompt IN.mid] -o OUT.mid
 *
 * The generator (src/generator.c) starts from silence (in a key the seed
 * chooses), or replays the prompt's notes through the network and continues
 * them in the prompt's key; the output holds
 * the prompt followed by --bars new bars. The same arguments give the same
 * bytes. */
#include "../plugin/ports.h"
#include "cli.h"
#include "codec.h"
#include "generator.h"
#include "key.h"
#include "midifile.h"
#include "model.h"
#include "model_path.h"
#include "score.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *program = "pianola-generate";

enum { MESSAGE_SIZE = 4096, PATH_SIZE = 4096 };

static const char *const composer_names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};

/* The options the plugin has as controls take their ranges and defaults from
 * its port table (plugin/ports.h): the same settings compose the same way in
 * both. */
static void usage(FILE *stream)
{
    const PnlControlSpec *temperature = pnl_control_spec(PNL_PORT_TEMPERATURE);
    const PnlControlSpec *top_p = pnl_control_spec(PNL_PORT_TOP_P);
    const PnlControlSpec *seed = pnl_control_spec(PNL_PORT_SEED);
    const PnlControlSpec *tempo = pnl_control_spec(PNL_PORT_TEMPO);
    fprintf(stream,
            "Usage: %s [--composer NAME | --model FILE] [options] -o OUT.mid\n"
            "\n"
            "Composes piano music in a composer's style with Pianola's network and writes it\n"
            "as a MIDI file. The same arguments always give the same file.\n"
            "\n"
            "Options:\n"
            "  -o, --output OUT.mid    the MIDI file to write (required)\n"
            "  -c, --composer NAME     ",
            program);
    for (int choice = 0; choice < PNL_COMPOSER_CHOICE_COUNT; choice++)
        fprintf(stream, "%s, ", composer_names[choice]);
    fprintf(stream,
            "...\n"
            "                          (any composer the model knows) [%s]\n"
            "  -m, --model FILE        the weights file [$PIANOLA_MODEL, else the bundled\n"
            "                          pianola.pnm]\n"
            "  -t, --temperature T     %.10g = always the most likely token; higher is bolder,\n"
            "                          up to %.10g [%.10g]\n"
            "  -p, --top-p P           keep only the likeliest tokens adding up to P,\n"
            "                          %.10g .. %.10g [%.10g]\n"
            "  -s, --seed N            random seed, %.10g .. %.10g [%.10g]\n"
            "  -b, --bars N            bars to compose (after the prompt, if any) [16]\n"
            "      --tempo BPM         tempo written to the file, %.10g .. %.10g [%.10g]\n"
            "      --meter N/D         keep to this meter [the model chooses]\n"
            "      --prompt IN.mid     a phrase to continue (it opens the output)\n"
            "      --precision P       float32 or int8 (faster, slightly different\n"
            "                          music) [float32]\n"
            "  -q, --quiet             print nothing on success\n"
            "  -h, --help              show this help\n",
            composer_names[(int)pnl_control_spec(PNL_PORT_COMPOSER)->default_value],
            temperature->minimum, temperature->maximum, temperature->default_value,
            top_p->minimum, top_p->maximum, top_p->default_value, seed->minimum, seed->maximum,
            seed->default_value, tempo->minimum, tempo->maximum, tempo->default_value);
}

#define die(...) pnl_cli_fail(program, __VA_ARGS__)

static int parse_double(const char *text, double low, double high, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end || !(value >= low && value <= high))
        return -1;
    *out = value;
    return 0;
}

static int parse_integer(const char *text, long long low, long long high, long long *out)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || end == text || *end || value < low || value > high)
        return -1;
    *out = value;
    return 0;
}

/* Token storage for the whole piece; the tool may allocate as it goes. */
typedef struct {
    uint16_t *tokens;
    size_t count, capacity;
} Tokens;

static int push(Tokens *list, int token)
{
    if (list->count == list->capacity) {
        size_t grown = list->capacity ? list->capacity * 2 : 4096;
        uint16_t *larger = realloc(list->tokens, grown * sizeof *larger);
        if (!larger)
            return -1;
        list->tokens = larger;
        list->capacity = grown;
    }
    list->tokens[list->count++] = (uint16_t)token;
    return 0;
}

int main(int argc, char **argv)
{
    const PnlControlSpec *temperature_spec = pnl_control_spec(PNL_PORT_TEMPERATURE);
    const PnlControlSpec *top_p_spec = pnl_control_spec(PNL_PORT_TOP_P);
    const PnlControlSpec *seed_spec = pnl_control_spec(PNL_PORT_SEED);
    const PnlControlSpec *tempo_spec = pnl_control_spec(PNL_PORT_TEMPO);
    const char *output = NULL, *model_path = NULL, *prompt_path = NULL;
    const char *composer =
        composer_names[(int)pnl_control_spec(PNL_PORT_COMPOSER)->default_value];
    double temperature = temperature_spec->default_value, top_p = top_p_spec->default_value;
    double tempo = tempo_spec->default_value;
    long long seed = (long long)seed_spec->default_value, bars = 16;
    int meter_numerator = 0, meter_denominator = 0, quiet = 0;
    PnlPrecision precision = PNL_PRECISION_FLOAT32;
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},  {"composer", required_argument, NULL, 'c'},
        {"model", required_argument, NULL, 'm'},   {"temperature", required_argument, NULL, 't'},
        {"top-p", required_argument, NULL, 'p'},   {"seed", required_argument, NULL, 's'},
        {"bars", required_argument, NULL, 'b'},    {"tempo", required_argument, NULL, 'T'},
        {"meter", required_argument, NULL, 'M'},   {"prompt", required_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"precision", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int option;
    opterr = 0;
    while ((option = getopt_long(argc, argv, ":o:c:m:t:p:s:b:qh", options, NULL)) != -1) {
        switch (option) {
        case 'o': output = optarg; break;
        case 'c': composer = optarg; break;
        case 'm': model_path = optarg; break;
        case 'P': prompt_path = optarg; break;
        case 'q': quiet = 1; break;
        case 'R':
            if (strcmp(optarg, "float32") == 0)
                precision = PNL_PRECISION_FLOAT32;
            else if (strcmp(optarg, "int8") == 0)
                precision = PNL_PRECISION_INT8;
            else
                return die("--precision wants float32 or int8, not \"%s\"", optarg);
            break;
        case 't':
            if (parse_double(optarg, temperature_spec->minimum, temperature_spec->maximum,
                             &temperature))
                return die("--temperature wants a number from %.10g to %.10g, not \"%s\"",
                           temperature_spec->minimum, temperature_spec->maximum, optarg);
            break;
        case 'p':
            if (parse_double(optarg, top_p_spec->minimum, top_p_spec->maximum, &top_p))
                return die("--top-p wants a number from %.10g to %.10g, not \"%s\"",
                           top_p_spec->minimum, top_p_spec->maximum, optarg);
            break;
        case 's':
            if (parse_integer(optarg, (long long)seed_spec->minimum,
                              (long long)seed_spec->maximum, &seed))
                return die("--seed wants a whole number from %.10g to %.10g, not \"%s\"",
                           seed_spec->minimum, seed_spec->maximum, optarg);
            break;
        case 'b':
            if (parse_integer(optarg, 1, 10000, &bars))
                return die("--bars wants a whole number from 1 to 10000, not \"%s\"", optarg);
            break;
        case 'T':
            if (parse_double(optarg, tempo_spec->minimum, tempo_spec->maximum, &tempo))
                return die("--tempo wants beats per minute from %.10g to %.10g, not \"%s\"",
                           tempo_spec->minimum, tempo_spec->maximum, optarg);
            break;
        case 'M': {
            char extra;
            if (sscanf(optarg, "%d/%d%c", &meter_numerator, &meter_denominator, &extra) != 2 ||
                pnl_token_meter(meter_numerator, meter_denominator) < 0)
                return die("--meter wants a meter such as 4/4, 3/4 or 6/8, not \"%s\"", optarg);
            break;
        }
        case 'h': usage(stdout); return 0;
        case ':': return die("%s needs a value (see --help)", argv[optind - 1]);
        default: return die("unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return die("unexpected argument \"%s\" (see --help)", argv[optind]);
    if (!output)
        return die("no output file: give -o OUT.mid (see --help)");
    /* libsmf reads the file back after writing it, and aborts on a pipe or
     * a terminal: only regular files (new or existing) are written. */
    struct stat output_info;
    if (stat(output, &output_info) == 0 && !S_ISREG(output_info.st_mode))
        return die("%s: not a regular file; give a path to write the MIDI file to", output);

    char found[PATH_SIZE];
    if (!model_path) {
        if (pnl_find_bundled_model(found, sizeof found) != 0)
            return die("no model found: give --model FILE or set PIANOLA_MODEL");
        model_path = found;
    }
    char message[MESSAGE_SIZE];
    PnlModel *model = NULL;
    if (pnl_model_load_with_precision(model_path, pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                      precision, &model, message, sizeof message) != PNL_OK)
        return die("%s", message);
    if (pnl_model_find_composer(model, composer) < 0 || pnl_composer_index(composer) < 0) {
        char known[1024] = "";
        for (int k = 0; k < pnl_model_composer_count(model); k++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s", k ? " " : "",
                     pnl_model_composer_name(model, k));
        }
        pnl_model_free(model);
        return die("no composer \"%s\" in %s; it knows: %s", composer, model_path, known);
    }

    PnlGenerator *generator = pnl_generator_new(model, message, sizeof message);
    if (!generator) {
        pnl_model_free(model);
        return die("%s: %s", model_path, message);
    }
    PnlScore score;
    pnl_score_init(&score);
    Tokens piece = {NULL, 0, 0};
    PnlTokenized prompt = {0};
    int exit_code = 0;
    int codec_composer = pnl_composer_index(composer);
    /* The prompt's key, or one the seed chooses (src/key.h). */
    int key_shift = pnl_key_shift_of_seed((uint64_t)seed);
    if (prompt_path) {
        PnlTokenizeOptions prompt_options = {
            .composer = codec_composer,
            .key = pnl_model_key_frame(model) ? PNL_TOKENS_PROMPT_FOR_KEY_FRAME
                                              : PNL_TOKENS_AS_WRITTEN,
            .seed = (uint64_t)seed};
        if (pnl_tokenize_midi_file(prompt_path, &prompt_options, &prompt, message,
                                   sizeof message) != PNL_OK) {
            exit_code = die("%s", message);
            goto done;
        }
        key_shift = prompt.key_shift;
    }
    PnlGeneratorSettings settings = {
        .composer = composer,
        .temperature = (float)temperature,
        .top_p = (float)top_p,
        .seed = (uint64_t)seed,
        .meter_numerator = meter_numerator,
        .meter_denominator = meter_denominator,
        .key_shift = key_shift};
    if (pnl_generator_start(generator, &settings, message, sizeof message) != PNL_OK) {
        exit_code = die("%s", message);
        goto done;
    }
    push(&piece, PNL_TOKEN_START);
    push(&piece, pnl_token_composer(codec_composer));
    for (size_t i = 0; i < prompt.count && prompt.tokens[i] != PNL_TOKEN_END; i++) {
        if (pnl_generator_feed(generator, prompt.tokens[i], NULL) < 0) {
            exit_code = die("%s: token %zu of its encoding cannot be fed", prompt_path, i);
            goto done;
        }
        if (i >= 2 && push(&piece, prompt.tokens[i]) != 0) {
            exit_code = die("out of memory");
            goto done;
        }
    }

    /* Compose until bar (prompt bars + bars + 1) begins: every bar before
     * it is complete. */
    PnlGeneratorPosition position;
    int status;
    pnl_generator_position(generator, &position);
    int last_bar = position.bar_count + (int)bars;
    while (position.bar_count <= last_bar) {
        int token;
        status = pnl_generator_next(generator, &token, NULL);
        if (status < 0 || push(&piece, token) != 0) {
            exit_code = die("composing stopped at token %zu (status %d)", piece.count, status);
            goto done;
        }
        pnl_generator_position(generator, &position);
    }
    /* The BAR that began the bar after the last is left out. */
    piece.count--;
    push(&piece, PNL_TOKEN_END);

    if (pnl_decode(piece.tokens, piece.count, &score, NULL, message, sizeof message) != PNL_OK) {
        exit_code = die("the composed tokens do not decode: %s", message);
        goto done;
    }
    if (pnl_midi_write(output, &score, tempo, message, sizeof message) != PNL_OK) {
        exit_code = die("%s", message);
        goto done;
    }
    if (!quiet)
        printf("%s: %d bars, %zu notes, %zu tokens (%s, temperature %g, top-p %g, seed %lld)\n",
               output, last_bar, score.note_count, piece.count, composer, temperature, top_p,
               seed);
done:
    pnl_score_free(&score);
    pnl_tokenized_free(&prompt);
    free(piece.tokens);
    pnl_generator_free(generator);
    pnl_model_free(model);
    return exit_code;
}
