/* pianola-generate: compose a piece in a composer's style to a MIDI file.
 *
 *   pianola-generate [--composer NAME] [--model FILE] [--temperature T]
 *                    [--top-p P] [--seed N] [--bars N] [--tempo BPM]
 *                    [--meter N/D] [--prompt IN.mid] [--reroll BAR]...
 *                    [--key NAME] [--register-lowest N] [--register-highest N]
 *                    [--prompt-part piano|top]
 *                    [--dynamics NAME] [--density NAME] [--ensemble NAME]
 *                    -o OUT.mid
 *
 * It composes through the plugin's engine (src/engine.h), bar by bar on a
 * timeline as the plugin's worker does, with the plugin's settings: the
 * same composer, temperature, top-p, seed, meter, prompt, key, register,
 * dynamics and density give the notes the plugin plays (at humanization 0), and
 * --reroll BAR the ones it plays
 * after its re-roll trigger, pressed so that the new music starts at that
 * bar. A prompt's notes open the piece, and the music continues them from
 * the grid step after the last one ends, as after a capture. --ensemble
 * composes for an ensemble's instruments (parts.h), and the file holds one
 * track per part, named, with its program on a channel of its own. The
 * same arguments give the same bytes. */
#include "../plugin/ports.h"
#include "capture.h"
#include "cli.h"
#include "engine.h"
#include "midifile.h"
#include "model.h"
#include "model_path.h"
#include "parts.h"
#include "score.h"
#include "status.h"
#include "timeline.h"
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

enum { MESSAGE_SIZE = 4096, PATH_SIZE = 4096, PNL_COMPOSE_NOTES = 2048 };

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
    const PnlControlSpec *lowest = pnl_control_spec(PNL_PORT_REGISTER_LOWEST);
    const PnlControlSpec *highest = pnl_control_spec(PNL_PORT_REGISTER_HIGHEST);
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
            "                          (the model's choices: its composers' names or display\n"
            "                          names; the bundled model's are these) [%s]\n"
            "  -m, --model FILE        the weights file [$PIANOLA_MODEL, else the bundled\n"
            "                          pianola.pnm; with --ensemble, the bundled\n"
            "                          ensembles.pnm]\n"
            "  -t, --temperature T     %.10g = always the most likely token; higher is bolder,\n"
            "                          up to %.10g [%.10g]\n"
            "  -p, --top-p P           keep only the likeliest tokens adding up to P,\n"
            "                          %.10g .. %.10g [%.10g]\n"
            "  -s, --seed N            random seed, %.10g .. %.10g [%.10g]\n"
            "  -b, --bars N            bars to compose (after the prompt, if any) [16]\n"
            "      --tempo BPM         tempo written to the file, %.10g .. %.10g [%.10g]\n"
            "      --meter N/D         the meter, as a host's time signature [4/4]\n"
            "      --prompt IN.mid     a phrase to continue (it opens the output)\n"
            "      --key NAME          auto (the prompt's key, else the seed's) or a key: C,\n"
            "                          Cm, C#, C#m, D, ... Bb, Bbm, B, Bm (a prompt is\n"
            "                          continued in it) [auto]\n"
            "      --register-lowest N, --register-highest N\n"
            "                          the lowest and highest key composed, MIDI notes\n"
            "                          %.10g .. %.10g, at least an octave apart [%.10g, %.10g]\n"
            "      --dynamics NAME     natural (as composed), pp, p, mp, mf, f or ff [natural]\n"
            "      --density NAME      auto (the network chooses each bar's), sparse, light,\n"
            "                          moderate, busy or very-busy; a model trained without\n"
            "                          density tokens ignores it [auto]\n"
            "      --ensemble NAME     the instruments composed for, each part a track of\n"
            "                          the file with its name and instrument (a model\n"
            "                          trained without ensembles composes solo piano):\n"
            "                         ",
            composer_names[(int)pnl_control_spec(PNL_PORT_COMPOSER)->default_value],
            temperature->minimum, temperature->maximum, temperature->default_value,
            top_p->minimum, top_p->maximum, top_p->default_value, seed->minimum, seed->maximum,
            seed->default_value, tempo->minimum, tempo->maximum, tempo->default_value,
            lowest->minimum, lowest->maximum, lowest->default_value, highest->default_value);
    int column = 25;
    for (int ensemble = 0; ensemble < pnl_ensemble_count(); ensemble++) {
        const char *name = pnl_ensemble(ensemble)->name;
        int last = ensemble + 1 == pnl_ensemble_count();
        if (column + 1 + (int)strlen(name) + 1 > 80) {
            fprintf(stream, "\n                         ");
            column = 25;
        }
        column += fprintf(stream, " %s%s", name, last ? "" : ",");
    }
    fprintf(stream,
            " [%s]\n"
            "      --prompt-part WHO   who plays the --prompt phrase in an ensemble: piano\n"
            "                          or top (its top part; an ensemble without a piano\n"
            "                          always gives it the top part) [piano]\n"
            "      --reroll BAR        new music from bar BAR on (1 is the first), as the\n"
            "                          plugin's re-roll; may be given again\n"
            "      --precision P       int8 (the plugin's) or float32 (the trained\n"
            "                          network's own numbers, slower) [int8]\n"
            "  -q, --quiet             print nothing on success\n"
            "  -h, --help              show this help\n",
            pnl_ensemble(0)->name);
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

/* A choice of an enumeration port by its name, or -1. */
static int parse_choice(int port, const char *text)
{
    for (int choice = 0; choice < pnl_control_choice_count(port); choice++)
        if (strcmp(text, pnl_control_choice_name(port, choice)) == 0)
            return choice;
    return -1;
}

enum { MAX_REROLLS = 64 };

/* The piece on a timeline, as the plugin holds it: the tool may grow it. */
typedef struct {
    PnlTimelineNote *notes;
    uint32_t count, capacity;
} Piece;

static int reserve(Piece *piece, uint32_t more)
{
    if (piece->count + more <= piece->capacity)
        return 0;
    uint32_t grown = piece->capacity ? piece->capacity : 4096;
    while (grown < piece->count + more)
        grown *= 2;
    PnlTimelineNote *larger = realloc(piece->notes, grown * sizeof *larger);
    if (!larger)
        return -1;
    piece->notes = larger;
    piece->capacity = grown;
    return 0;
}

/* The prompt's notes, on the grid, as the prompt of a timeline, played by
 * `part`; *end_ticks receives where its last note ends. */
static int read_prompt(const char *path, int part, Piece *piece, int64_t *end_ticks,
                       char *message, size_t message_size)
{
    PnlScore score;
    pnl_score_init(&score);
    int status = pnl_midi_read(path, &score, NULL, message, message_size);
    if (status == PNL_OK) {
        pnl_score_normalize(&score, NULL);
        status = reserve(piece, (uint32_t)score.note_count) ? PNL_ENOMEM : PNL_OK;
    }
    *end_ticks = 0;
    for (size_t i = 0; status == PNL_OK && i < score.note_count; i++) {
        const PnlNote *note = &score.notes[i];
        piece->notes[piece->count++] = (PnlTimelineNote){
            .onset_ticks = (int32_t)note->onset_ticks, .duration_ticks = note->duration_ticks,
            .pitch = note->pitch, .velocity = note->velocity, .origin = PNL_ORIGIN_PROMPT,
            .part = (uint8_t)part};
        if (note->onset_ticks + note->duration_ticks > *end_ticks)
            *end_ticks = note->onset_ticks + note->duration_ticks;
    }
    pnl_score_free(&score);
    return status;
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
    int meter_numerator = 4, meter_denominator = 4, quiet = 0;
    long long rerolls[MAX_REROLLS];
    int reroll_count = 0;
    PnlPrecision precision = PNL_PRECISION_INT8;
    int key_choice = (int)pnl_control_spec(PNL_PORT_KEY)->default_value;
    int prompt_part = (int)pnl_control_spec(PNL_PORT_PROMPT_PART)->default_value;
    int dynamics = (int)pnl_control_spec(PNL_PORT_DYNAMICS)->default_value;
    int density = (int)pnl_control_spec(PNL_PORT_DENSITY)->default_value;
    int ensemble = 0;
    long long register_lowest = (long long)pnl_control_spec(PNL_PORT_REGISTER_LOWEST)->default_value;
    long long register_highest =
        (long long)pnl_control_spec(PNL_PORT_REGISTER_HIGHEST)->default_value;
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},  {"composer", required_argument, NULL, 'c'},
        {"model", required_argument, NULL, 'm'},   {"temperature", required_argument, NULL, 't'},
        {"top-p", required_argument, NULL, 'p'},   {"seed", required_argument, NULL, 's'},
        {"bars", required_argument, NULL, 'b'},    {"tempo", required_argument, NULL, 'T'},
        {"meter", required_argument, NULL, 'M'},   {"prompt", required_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"precision", required_argument, NULL, 'R'},
        {"reroll", required_argument, NULL, 'X'},
        {"key", required_argument, NULL, 'K'},
        {"register-lowest", required_argument, NULL, 'L'},
        {"register-highest", required_argument, NULL, 'H'},
        {"dynamics", required_argument, NULL, 'D'},
        {"density", required_argument, NULL, 'Y'},
        {"ensemble", required_argument, NULL, 'E'},
        {"prompt-part", required_argument, NULL, 'W'},
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
        case 'X':
            if (reroll_count == MAX_REROLLS ||
                parse_integer(optarg, 1, 100000, &rerolls[reroll_count]))
                return die("--reroll wants a bar number from 1 to 100000, at most %d times, "
                           "not \"%s\"", MAX_REROLLS, optarg);
            reroll_count++;
            break;
        case 'K':
            if ((key_choice = parse_choice(PNL_PORT_KEY, optarg)) < 0)
                return die("--key wants auto or a key such as C, Cm, F#, Ebm, not \"%s\"",
                           optarg);
            break;
        case 'D':
            if ((dynamics = parse_choice(PNL_PORT_DYNAMICS, optarg)) < 0)
                return die("--dynamics wants natural, pp, p, mp, mf, f or ff, not \"%s\"",
                           optarg);
            break;
        case 'Y':
            if ((density = parse_choice(PNL_PORT_DENSITY, optarg)) < 0)
                return die("--density wants auto, sparse, light, moderate, busy or very-busy, "
                           "not \"%s\"", optarg);
            break;
        case 'W':
            if ((prompt_part = parse_choice(PNL_PORT_PROMPT_PART, optarg)) < 0)
                return die("--prompt-part wants piano or top, not \"%s\"", optarg);
            break;
        case 'E':
            if ((ensemble = pnl_ensemble_index(optarg)) < 0) {
                char known[256] = "";
                for (int e = 0; e < pnl_ensemble_count(); e++) {
                    size_t used = strlen(known);
                    snprintf(known + used, sizeof known - used, "%s%s", e ? ", " : "",
                             pnl_ensemble(e)->name);
                }
                return die("--ensemble wants one of %s, not \"%s\"", known, optarg);
            }
            break;
        case 'L':
        case 'H': {
            const PnlControlSpec *spec = pnl_control_spec(PNL_PORT_REGISTER_LOWEST);
            if (parse_integer(optarg, (long long)spec->minimum, (long long)spec->maximum,
                              option == 'L' ? &register_lowest : &register_highest))
                return die("--register-%s wants a MIDI note from %.10g to %.10g, not \"%s\"",
                           option == 'L' ? "lowest" : "highest", spec->minimum, spec->maximum,
                           optarg);
            break;
        }
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
        const char *file = pnl_bundled_model_for(ensemble);
        if (pnl_find_bundled_model(file, found, sizeof found) != 0)
            return die("no %s found: give --model FILE%s", file,
                       ensemble ? "" : " or set PIANOLA_MODEL");
        model_path = found;
    }
    char message[MESSAGE_SIZE] = "";
    PnlEngine *engine = pnl_engine_new(model_path, precision, message, sizeof message);
    if (!engine)
        return die("%s", message);
    /* The model names its composers (the built-in ones for a file that
     * declares none): a composer of one's own is found as the plugin's
     * menu shows it. */
    const PnlModel *model = pnl_engine_model(engine);
    int32_t choice = pnl_model_find_choice(model, composer);
    if (choice < 0) {
        char known[2048] = "";
        for (int k = 0; k < pnl_model_choice_count(model); k++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s (%s)", k ? ", " : "",
                     pnl_model_choice_name(model, k), pnl_model_choice_label(model, k));
        }
        pnl_engine_free(engine);
        return die("no composer \"%s\" in %s; its choices are: %s", composer, model_path, known);
    }

    PnlComposeSettings settings = {.composer_choice = choice,
                                   .temperature = (float)temperature,
                                   .top_p = (float)top_p,
                                   .seed = (uint32_t)seed,
                                   .key_choice = key_choice,
                                   .register_lowest = (int32_t)register_lowest,
                                   .register_highest = (int32_t)register_highest,
                                   .dynamics = dynamics,
                                   .density = density,
                                   .ensemble = ensemble};
    if (density != PNL_DENSITY_AUTOMATIC && !pnl_vocab_has_density(pnl_model_vocab_size(model)))
        fprintf(stderr,
                "pianola-generate: note: %s was trained without density tokens; --density "
                "has no effect with it\n",
                model_path);
    pnl_engine_meter_ticks(meter_numerator, meter_denominator, &settings.bar_ticks,
                           &settings.beat_ticks);
    int32_t bar_ticks = settings.bar_ticks;
    Piece piece = {NULL, 0, 0};
    PnlScore score;
    pnl_score_init(&score);
    PnlTimelineNote *composed = calloc(PNL_COMPOSE_NOTES, sizeof *composed);
    int exit_code = 0;
    int64_t prompt_end = 0;
    int noted = 0;
    if (!composed) {
        exit_code = die("out of memory");
        goto done;
    }
    if (prompt_path &&
        read_prompt(prompt_path,
                    pnl_ensemble_prompt_part(pnl_engine_parts(engine, &settings), prompt_part),
                    &piece, &prompt_end, message, sizeof message)) {
        exit_code = die("%s", message);
        goto done;
    }
    /* As after a capture: from the grid step after the prompt, to the next
     * bar line, then bar by bar. */
    int64_t from = pnl_capture_next_step((double)prompt_end);
    int64_t end = (from + bar_ticks - 1) / bar_ticks * bar_ticks + bars * bar_ticks;
    if (end > PNL_MAX_PIECE_TICKS) {
        exit_code = die("the piece would be longer than %d bars of %d/%d",
                        PNL_MAX_PIECE_TICKS / bar_ticks, meter_numerator, meter_denominator);
        goto done;
    }
    while (from < end) {
        int64_t until = (from / bar_ticks + 1) * bar_ticks;
        /* A re-roll of bar b: the variation counts the re-rolls at or before it. */
        settings.variation = 0;
        for (int r = 0; r < reroll_count; r++)
            settings.variation += (rerolls[r] - 1) * bar_ticks <= from;
        uint32_t count = 0;
        message[0] = '\0';
        if (pnl_engine_compose(engine, &settings, piece.notes, piece.count, (int32_t)from,
                               (int32_t)until, composed, PNL_COMPOSE_NOTES, &count, message,
                               sizeof message) != PNL_OK) {
            exit_code = die("composing bar %lld failed: %s", (long long)(from / bar_ticks + 1),
                            message);
            goto done;
        }
        /* What the engine tells without failing (the model lacks the
         * composer or the ensemble), once. */
        if (message[0] && !noted) {
            fprintf(stderr, "%s: note: %s\n", program, message);
            noted = 1;
        }
        if (reserve(&piece, count) != 0) {
            exit_code = die("out of memory");
            goto done;
        }
        memcpy(piece.notes + piece.count, composed, count * sizeof *composed);
        piece.count += count;
        from = until;
    }

    /* One track per part: the ensemble's (a prompt plays one of them). */
    score.parts = pnl_engine_parts(engine, &settings);
    int status = pnl_score_add_meter(
        &score, (PnlMeterChange){0, (uint8_t)meter_numerator, (uint8_t)meter_denominator});
    for (uint32_t i = 0; i < piece.count && status == PNL_OK; i++)
        status = pnl_score_add_note(&score, (PnlNote){.onset_ticks = piece.notes[i].onset_ticks,
                                                      .duration_ticks =
                                                          piece.notes[i].duration_ticks,
                                                      .pitch = piece.notes[i].pitch,
                                                      .velocity = piece.notes[i].velocity,
                                                      .part = piece.notes[i].part});
    if (status != PNL_OK) {
        exit_code = die("out of memory");
        goto done;
    }
    if (pnl_midi_write(output, &score, tempo, message, sizeof message) != PNL_OK) {
        exit_code = die("%s", message);
        goto done;
    }
    if (!quiet)
        printf("%s: %lld bars, %zu notes (%s%s%s, temperature %g, top-p %g, seed %lld)\n",
               output, (long long)(end / bar_ticks), score.note_count, composer,
               score.parts ? ", " : "", score.parts ? pnl_ensemble(ensemble)->name : "",
               temperature, top_p, seed);
done:
    pnl_score_free(&score);
    free(piece.notes);
    free(composed);
    pnl_engine_free(engine);
    return exit_code;
}
