/* pianola-render: runs the real Pianola plugin through lilv, offline, and
 * writes what it plays to a WAV file (and its MIDI out to a MIDI file).
 *
 * It is a host the way an exporting DAW is one: a simulated transport rolls
 * from bar 1 for --bars bars at --tempo and --meter, sending time:Position to
 * the plugin through the in-process host of tools/common/lv2host.h, whose
 * worker runs synchronously, so the same arguments give byte-identical
 * files. With --prompt, the phrase is played into MIDI in with
 * capture on (generation off), capture goes off at the first bar line after
 * it, and generation takes over from there: Pianola continues the phrase.
 * After the last bar the transport stops and --tail seconds more are
 * rendered, so the last notes ring out. */
#define _DEFAULT_SOURCE /* realpath() */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../plugin/ports.h"
#include "../plugin/uris.h"
#include "model.h"
#include "score.h"
#include "vocabulary.h"
#include "midifile.h"
#include "lv2host.h"
#include "render_midi.h"
#include "status.h"

static const char program_name[] = "pianola-render";

enum {
    BLOCK_FRAMES = 512,
    MAX_BARS = 10000,
    SAMPLE_RATE_MIN = 22050,
    SAMPLE_RATE_MAX = 192000
};

typedef struct {
    const char *output_wav;
    const char *output_midi;
    const char *prompt_midi;
    const char *soundfont;
    const char *model;        /* a .pnm file for the plugin's model property */
    const char *composer;     /* --composer, found among the model's choices */
    const char *input_state;  /* a saved state (Turtle) to start from */
    const char *output_state; /* the plugin's state at the end, as Turtle */
    /* The controls the options set, by port (plugin/ports.h); NAN leaves the
     * plugin's default. The tempo control is always the transport's tempo. */
    double controls[PNL_PORT_COUNT];
    long bars;
    double beats_per_minute;
    int beats_per_bar;
    int beat_unit;
    double tail_seconds;
    long sample_rate;
    int bit_depth;           /* 16, 24 or 32 (float) */
} RenderOptions;

/* ---- Messages --------------------------------------------------------------- */

static _Noreturn void fail_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void fail_usage(const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, " (see %s --help)\n", program_name);
    exit(2);
}

/* ---- Control options -------------------------------------------------------- */

/* Every control a person sets, except the toggles that the render itself
 * drives, is an option named for its port symbol (top_p: --top-p), with the
 * port's range and default: a control added to plugin/ports.h is an option
 * here too. */
static int is_control_option(int port)
{
    const PnlControlSpec *spec = pnl_control_spec(port);
    return spec && (spec->kind == PNL_CONTROL_FLOAT || spec->kind == PNL_CONTROL_INTEGER ||
                    spec->kind == PNL_CONTROL_ENUMERATION);
}

static void control_option_name(int port, char *name, size_t size)
{
    snprintf(name, size, "%s", pnl_control_spec(port)->symbol);
    for (char *c = name; *c; c++)
        if (*c == '_')
            *c = '-';
}

static const char *control_value_name(const PnlControlSpec *spec)
{
    if (spec->kind == PNL_CONTROL_ENUMERATION)
        return "NAME";
    if (spec->unit == PNL_UNIT_BPM)
        return "BPM";
    if (spec->unit == PNL_UNIT_DB)
        return "DB";
    return spec->kind == PNL_CONTROL_INTEGER ? "N" : "X";
}

/* Prints `text` from column `indent`, in lines of at most 79 characters;
 * `column` is where the cursor stands now. */
static void print_wrapped(const char *text, int column, int indent)
{
    while (*text) {
        size_t word = strcspn(text, " ");
        if (column > indent && column + 1 + (int)word > 79) {
            printf("\n%*s", indent, "");
            column = indent;
        } else if (column > indent) {
            putchar(' ');
            column++;
        } else if (column < indent) {
            printf("%*s", indent - column, "");
            column = indent;
        }
        printf("%.*s", (int)word, text);
        column += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    putchar('\n');
}

static void print_control_options(void)
{
    enum { DESCRIPTION_COLUMN = 31 };
    for (int port = 0; port < PNL_PORT_COUNT; port++) {
        if (!is_control_option(port))
            continue;
        const PnlControlSpec *spec = pnl_control_spec(port);
        char name[64], description[512];
        control_option_name(port, name, sizeof name);
        int column = printf("      --%s %s", name, control_value_name(spec));
        if (spec->kind == PNL_CONTROL_ENUMERATION) {
            int used = 0, count = pnl_control_choice_count(port);
            for (int choice = 0; choice < count; choice++)
                used += snprintf(description + used, sizeof description - (size_t)used, "%s%s",
                                 choice == 0 ? "" : choice + 1 < count ? ", " : " or ",
                                 pnl_control_choice_name(port, choice));
            snprintf(description + used, sizeof description - (size_t)used, " [%s]%s%s%s",
                     pnl_control_choice_name(port, (int)spec->default_value),
                     port == PNL_PORT_COMPOSER ? "; with --model, that model's composers, by "
                                                 "name or display name" : "",
                     spec->comment[0] ? ". " : "", spec->comment);
        } else {
            /* The render's host always sends time: its tempo is the tempo control's. */
            const char *comment = port == PNL_PORT_TEMPO ? "The transport's tempo, which the "
                                                           "plugin follows" : spec->comment;
            snprintf(description, sizeof description, "%s, %.10g .. %.10g [%.10g]%s%s",
                     spec->name, spec->minimum, spec->maximum, spec->default_value,
                     comment[0] ? ". " : "", comment);
        }
        print_wrapped(description, column, DESCRIPTION_COLUMN);
    }
}

static void print_help(void)
{
    printf("Usage: %s [OPTION]... -o OUT.wav\n"
           "Render Pianola, the composing piano plugin, offline: a simulated transport rolls\n"
           "for --bars bars while the plugin composes, and its audio goes to OUT.wav.\n"
           "The same arguments give byte-identical files.\n"
           "\n"
           "  -o, --output FILE            the WAV file to write (required)\n"
           "      --midi FILE              also write the notes played (the prompt's and\n"
           "                               Pianola's) as a MIDI file\n"
           "      --prompt FILE.mid        a phrase to continue: played with capture on,\n"
           "                               then Pianola continues it from the next bar\n"
           "      --soundfont FILE         a .sf2/.sf3 SoundFont instead of the default piano\n"
           "      --model FILE             a .pnm model (python3 -m train own) instead of\n"
           "                               the bundled one, set through the plugin's model\n"
           "                               property as a host sets it\n"
           "      --restore-state FILE.ttl start from a state --save-state wrote (its timeline\n"
           "                               plays, and composing goes on after it with its\n"
           "                               model and composer; options given override its\n"
           "                               controls)\n"
           "      --save-state FILE.ttl    also write the plugin's state at the end (its\n"
           "                               timeline, the captured prompt, its settings) as\n"
           "                               an LV2 state in Turtle, as a host would save it\n"
           "\n"
           "The plugin's controls (its defaults in brackets):\n",
           program_name);
    print_control_options();
    printf("\n"
           "The transport and the file:\n"
           "      --bars N                 length in bars, including the prompt [16]\n"
           "      --meter N/D              beats per bar / beat unit [4/4]\n"
           "      --tail SECONDS           rendered after the transport stops [2]\n"
           "      --sample-rate HZ         [48000]\n"
           "      --bit-depth 16|24|32     WAV samples; 32 is float [24]\n"
           "  -h, --help                   show this help and exit\n"
           "\n"
           "The plugin (%s) is found on LV2_PATH if it is set, else beside this\n"
           "program (the build tree), else in ~/.lv2, /usr/local/lib/lv2 or /usr/lib/lv2.\n",
           PIANOLA_URI);
}

/* ---- Options ------------------------------------------------------------------ */

static double parse_number(const char *option, const char *text, double minimum, double maximum)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(value))
        fail_usage("%s: expected a number, got '%s'", option, text);
    if (value < minimum || value > maximum)
        fail_usage("%s: %s is outside %g .. %g", option, text, minimum, maximum);
    return value;
}

static long parse_integer(const char *option, const char *text, long minimum, long maximum)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0')
        fail_usage("%s: expected a whole number, got '%s'", option, text);
    if (value < minimum || value > maximum)
        fail_usage("%s: %s is outside %ld .. %ld", option, text, minimum, maximum);
    return value;
}

static void parse_meter(const char *text, RenderOptions *options)
{
    int numerator = 0, denominator = 0;
    char trailing = 0;
    if (sscanf(text, "%d/%d%c", &numerator, &denominator, &trailing) != 2 || numerator < 1 ||
        numerator > 32 || denominator < 1 || denominator > 32 ||
        (denominator & (denominator - 1)) != 0)
        fail_usage("--meter: expected N/D with N from 1 to 32 and D a power of two up to 32, "
                   "got '%s'", text);
    options->beats_per_bar = numerator;
    options->beat_unit = denominator;
}

static int parse_choice(int port, const char *option, const char *text)
{
    char known[512] = "";
    for (int index = 0; index < pnl_control_choice_count(port); index++) {
        if (strcmp(text, pnl_control_choice_name(port, index)) == 0)
            return index;
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", index ? ", " : "",
                 pnl_control_choice_name(port, index));
    }
    fail_usage("%s: '%s' is not one of %s", option, text, known);
}

static double parse_control(int port, const char *text)
{
    const PnlControlSpec *spec = pnl_control_spec(port);
    char option[64] = "--";
    control_option_name(port, option + 2, sizeof option - 2);
    if (spec->kind == PNL_CONTROL_ENUMERATION)
        return parse_choice(port, option, text);
    if (spec->kind == PNL_CONTROL_INTEGER)
        return (double)parse_integer(option, text, (long)spec->minimum, (long)spec->maximum);
    return parse_number(option, text, spec->minimum, spec->maximum);
}

static void parse_options(int argc, char **argv, RenderOptions *options)
{
    /* The control options take the values OPT_CONTROL + port. */
    enum { OPT_MIDI = 256, OPT_BARS, OPT_METER, OPT_PROMPT, OPT_SOUNDFONT, OPT_TAIL,
           OPT_SAMPLE_RATE, OPT_BIT_DEPTH, OPT_SAVE_STATE, OPT_MODEL, OPT_RESTORE_STATE,
           OPT_CONTROL = 512 };
    static const struct option fixed_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"midi", required_argument, NULL, OPT_MIDI},
        {"bars", required_argument, NULL, OPT_BARS},
        {"meter", required_argument, NULL, OPT_METER},
        {"prompt", required_argument, NULL, OPT_PROMPT},
        {"soundfont", required_argument, NULL, OPT_SOUNDFONT},
        {"tail", required_argument, NULL, OPT_TAIL},
        {"sample-rate", required_argument, NULL, OPT_SAMPLE_RATE},
        {"bit-depth", required_argument, NULL, OPT_BIT_DEPTH},
        {"save-state", required_argument, NULL, OPT_SAVE_STATE},
        {"model", required_argument, NULL, OPT_MODEL},
        {"restore-state", required_argument, NULL, OPT_RESTORE_STATE},
        {"help", no_argument, NULL, 'h'}};
    enum { FIXED_COUNT = sizeof fixed_options / sizeof fixed_options[0] };
    char control_names[PNL_PORT_COUNT][64];
    struct option long_options[FIXED_COUNT + PNL_PORT_COUNT + 1];
    int option_count = 0;
    for (; option_count < FIXED_COUNT; option_count++)
        long_options[option_count] = fixed_options[option_count];
    for (int port = 0; port < PNL_PORT_COUNT; port++) {
        if (!is_control_option(port))
            continue;
        control_option_name(port, control_names[port], sizeof control_names[port]);
        long_options[option_count++] =
            (struct option){control_names[port], required_argument, NULL, OPT_CONTROL + port};
    }
    long_options[option_count] = (struct option){NULL, 0, NULL, 0};

    *options = (RenderOptions){.bars = 16, .beats_per_bar = 4, .beat_unit = 4,
                               .tail_seconds = 2, .sample_rate = 48000, .bit_depth = 24};
    for (int port = 0; port < PNL_PORT_COUNT; port++)
        options->controls[port] = NAN;
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
        if (option == OPT_CONTROL + PNL_PORT_COMPOSER) {
            options->composer = optarg; /* the model's, known once it is read */
            continue;
        }
        if (option >= OPT_CONTROL && option < OPT_CONTROL + PNL_PORT_COUNT) {
            options->controls[option - OPT_CONTROL] = parse_control(option - OPT_CONTROL, optarg);
            continue;
        }
        switch (option) {
        case 'o': options->output_wav = optarg; break;
        case OPT_MIDI: options->output_midi = optarg; break;
        case OPT_BARS: options->bars = parse_integer("--bars", optarg, 1, MAX_BARS); break;
        case OPT_METER: parse_meter(optarg, options); break;
        case OPT_PROMPT: options->prompt_midi = optarg; break;
        case OPT_SOUNDFONT: options->soundfont = optarg; break;
        case OPT_SAVE_STATE: options->output_state = optarg; break;
        case OPT_MODEL: options->model = optarg; break;
        case OPT_RESTORE_STATE: options->input_state = optarg; break;
        case OPT_TAIL: options->tail_seconds = parse_number("--tail", optarg, 0, 60); break;
        case OPT_SAMPLE_RATE:
            options->sample_rate = parse_integer("--sample-rate", optarg, SAMPLE_RATE_MIN,
                                                 SAMPLE_RATE_MAX);
            break;
        case OPT_BIT_DEPTH:
            options->bit_depth = (int)parse_integer("--bit-depth", optarg, 16, 32);
            if (options->bit_depth != 16 && options->bit_depth != 24 && options->bit_depth != 32)
                fail_usage("--bit-depth: expected 16, 24 or 32, got '%s'", optarg);
            break;
        case 'h': print_help(); exit(0);
        case ':': fail_usage("%s needs a value", argv[optind - 1]);
        default:
            if (optopt)
                fail_usage("unknown option '-%c'", optopt);
            fail_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        fail_usage("unexpected argument '%s'", argv[optind]);
    if (!options->output_wav)
        fail_usage("no output file: give -o OUT.wav");
    /* The transport rolls at the tempo control's value. */
    if (isnan(options->controls[PNL_PORT_TEMPO]))
        options->controls[PNL_PORT_TEMPO] = pnl_control_spec(PNL_PORT_TEMPO)->default_value;
    options->beats_per_minute = options->controls[PNL_PORT_TEMPO];
    if (options->composer && !options->model)
        options->controls[PNL_PORT_COMPOSER] =
            parse_choice(PNL_PORT_COMPOSER, "--composer", options->composer);
}

/* --composer among the choices of --model, read as the plugin will read it
 * (so a file it would refuse is refused here first, with the same reason). */
static int resolve_model_composer(RenderOptions *options, char *message, size_t message_size)
{
    PnlModel *model = NULL;
    char reason[512] = "";
    int status = pnl_model_load(options->model, pnl_vocab_signature(),
                                (uint32_t)pnl_vocab_size(), &model, reason, sizeof reason);
    if (status != PNL_OK) {
        snprintf(message, message_size, "--model %s", reason);
        return status;
    }
    if (options->composer) {
        int choice = pnl_model_find_choice(model, options->composer);
        if (choice < 0) {
            int used = snprintf(message, message_size, "--composer: '%s' is not one of %s's: ",
                                options->composer, options->model);
            for (int c = 0; c < pnl_model_choice_count(model) && used >= 0 &&
                            (size_t)used < message_size; c++)
                used += snprintf(message + used, message_size - (size_t)used, "%s%s (%s)",
                                 c ? ", " : "", pnl_model_choice_name(model, c),
                                 pnl_model_choice_label(model, c));
            pnl_model_free(model);
            return PNL_EINVAL;
        }
        options->controls[PNL_PORT_COMPOSER] = choice;
    }
    pnl_model_free(model);
    return PNL_OK;
}

static int restore_state(PnlLv2Host *host, const char *path, char *message, size_t message_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(message, message_size, "--restore-state %s: %s", path, strerror(errno));
        return PNL_EIO;
    }
    size_t capacity = 1 << 16, size = 0;
    char *text = malloc(capacity + 1);
    for (size_t got; text && (got = fread(text + size, 1, capacity - size, file)) > 0;) {
        size += got;
        if (size == capacity) {
            char *larger = realloc(text, 2 * capacity + 1);
            if (!larger) {
                free(text);
                text = NULL;
                break;
            }
            text = larger;
            capacity *= 2;
        }
    }
    fclose(file);
    if (!text) {
        snprintf(message, message_size, "--restore-state %s: out of memory", path);
        return PNL_ENOMEM;
    }
    text[size] = '\0';
    int status = pnl_lv2host_restore_state(host, text);
    free(text);
    if (status != PNL_OK)
        snprintf(message, message_size, "--restore-state %s: not an LV2 state in Turtle", path);
    return status;
}

/* ---- Files the options name ------------------------------------------------------ */

static int require_readable_file(const char *option, const char *path, char *message,
                                 size_t message_size)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        snprintf(message, message_size, "%s %s: %s", option, path, strerror(errno));
        return PNL_EIO;
    }
    if (!S_ISREG(info.st_mode)) {
        snprintf(message, message_size, "%s %s: not a regular file", option, path);
        return PNL_EIO;
    }
    if (access(path, R_OK) != 0) {
        snprintf(message, message_size, "%s %s: %s", option, path, strerror(errno));
        return PNL_EIO;
    }
    return PNL_OK;
}

/* The bundle beside this program when it runs from the build tree, or NULL
 * to search LV2_PATH or lilv's default path. An explicit LV2_PATH wins. */
static char *build_tree_bundle(void)
{
    if (getenv("LV2_PATH"))
        return NULL;
    char executable[4096];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0)
        return NULL;
    executable[length] = '\0';
    char *slash = strrchr(executable, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    size_t size = strlen(executable) + sizeof "/pianola.lv2/manifest.ttl";
    char *bundle = malloc(size);
    if (!bundle)
        return NULL;
    snprintf(bundle, size, "%s/pianola.lv2/manifest.ttl", executable);
    if (access(bundle, R_OK) != 0) {
        free(bundle);
        return NULL;
    }
    *strrchr(bundle, '/') = '\0';
    return bundle;
}

/* ---- The prompt: a phrase played into MIDI in ------------------------------------- */

typedef struct {
    int64_t frame;
    uint8_t bytes[3];
} PromptMessage;

typedef struct {
    PromptMessage *messages;
    size_t count;
    int64_t capture_end_frame; /* the first bar line after the phrase */
    long bars;
} Prompt;

static int compare_prompt_messages(const void *a, const void *b)
{
    const PromptMessage *left = a, *right = b;
    if (left->frame != right->frame)
        return left->frame < right->frame ? -1 : 1;
    /* At one frame, note-offs go first so a repeated pitch sounds again. */
    int left_on = (left->bytes[0] & 0xF0) == 0x90, right_on = (right->bytes[0] & 0xF0) == 0x90;
    if (left_on != right_on)
        return left_on - right_on;
    return (int)left->bytes[1] - (int)right->bytes[1];
}

/* Reads the phrase with the codec's reader (notes on its grid) and lays it
 * out from bar 1 at the render's tempo. */
static int load_prompt(const RenderOptions *options, double frames_per_beat,
                       int64_t frames_per_bar, Prompt *prompt, char *message,
                       size_t message_size)
{
    PnlScore score;
    pnl_score_init(&score);
    int status = pnl_midi_read(options->prompt_midi, &score, NULL, message, message_size);
    if (status != PNL_OK) {
        pnl_score_free(&score);
        return status;
    }
    if (score.note_count == 0) {
        snprintf(message, message_size, "--prompt %s: the file holds no notes",
                 options->prompt_midi);
        pnl_score_free(&score);
        return PNL_EFORMAT;
    }
    prompt->messages = calloc(score.note_count * 2, sizeof *prompt->messages);
    if (!prompt->messages) {
        pnl_score_free(&score);
        snprintf(message, message_size, "out of memory for the prompt");
        return PNL_ENOMEM;
    }
    /* Grid ticks are 1/24 quarter; the render's beat is 1/beat_unit. */
    double frames_per_tick = frames_per_beat * options->beat_unit / 4.0 / PNL_TICKS_PER_QUARTER;
    int64_t end_frame = 0;
    for (size_t index = 0; index < score.note_count; index++) {
        const PnlNote *note = &score.notes[index];
        int64_t on = llround((double)note->onset_ticks * frames_per_tick);
        int64_t off = llround((double)(note->onset_ticks + note->duration_ticks) *
                              frames_per_tick);
        if (off <= on)
            off = on + 1;
        prompt->messages[prompt->count++] = (PromptMessage){on, {0x90, note->pitch,
                                                                 note->velocity}};
        prompt->messages[prompt->count++] = (PromptMessage){off, {0x80, note->pitch, 0}};
        if (off > end_frame)
            end_frame = off;
    }
    pnl_score_free(&score);
    qsort(prompt->messages, prompt->count, sizeof *prompt->messages, compare_prompt_messages);
    prompt->bars = (long)((end_frame + frames_per_bar - 1) / frames_per_bar);
    prompt->capture_end_frame = prompt->bars * frames_per_bar;
    if (prompt->bars >= options->bars) {
        snprintf(message, message_size, "--prompt %s: the phrase lasts %ld bar%s; --bars must "
                 "be at least %ld to leave room for the continuation", options->prompt_midi,
                 prompt->bars, prompt->bars == 1 ? "" : "s", prompt->bars + 1);
        return PNL_ERANGE;
    }
    return PNL_OK;
}

/* ---- Output ------------------------------------------------------------------------ */

static SNDFILE *open_wav(const RenderOptions *options, char *message, size_t message_size)
{
    SF_INFO info = {0};
    info.samplerate = (int)options->sample_rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | (options->bit_depth == 16   ? SF_FORMAT_PCM_16
                                   : options->bit_depth == 24 ? SF_FORMAT_PCM_24
                                                              : SF_FORMAT_FLOAT);
    SNDFILE *file = sf_open(options->output_wav, SFM_WRITE, &info);
    if (!file) {
        snprintf(message, message_size, "%s: cannot write: %s", options->output_wav,
                 sf_strerror(NULL));
        return NULL;
    }
    /* A float WAV's PEAK chunk carries a time stamp: leave it out, so the
     * same arguments give the same bytes. Integer formats clip, not wrap. */
    sf_command(file, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    sf_command(file, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return file;
}

/* ---- Progress --------------------------------------------------------------------- */

typedef struct {
    int enabled;
    int last_percent;
} Progress;

static void show_progress(Progress *progress, int64_t done_frames, int64_t total_frames,
                          int64_t frames_per_bar, long bars)
{
    if (!progress->enabled)
        return;
    int percent = (int)(done_frames * 100 / total_frames);
    if (percent == progress->last_percent)
        return;
    progress->last_percent = percent;
    enum { WIDTH = 40 };
    char bar[WIDTH + 1];
    int filled = percent * WIDTH / 100;
    for (int index = 0; index < WIDTH; index++)
        bar[index] = index < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    long current_bar = (long)(done_frames / frames_per_bar) + 1;
    if (current_bar > bars)
        current_bar = bars;
    fprintf(stderr, "\rrendering [%s] %3d%%  bar %ld of %ld", bar, percent, current_bar, bars);
    if (done_frames >= total_frames)
        fprintf(stderr, "\n");
    fflush(stderr);
}

/* ---- Rendering --------------------------------------------------------------------- */

typedef struct {
    char first_error[512];
} PluginLog;

static void print_plugin_log(void *data, const char *level, const char *text)
{
    PluginLog *log = data;
    /* The first error ends the render and becomes its one-line reason. */
    if (strcmp(level, "error") == 0) {
        if (!log->first_error[0])
            snprintf(log->first_error, sizeof log->first_error, "%s", text);
    } else if (strcmp(level, "warning") == 0) {
        fprintf(stderr, "%s: %s\n", program_name, text);
    }
}

/* Sets the controls the options gave; the plugin keeps its defaults for the
 * others. Re-roll starts low, so the plugin sees no edge. */
static int set_controls(PnlLv2Host *host, const RenderOptions *options, char *message,
                        size_t message_size)
{
    for (int port = 0; port < PNL_PORT_COUNT; port++) {
        double value = port == PNL_PORT_REROLL ? 0.0 : options->controls[port];
        if (isnan(value))
            continue;
        const char *symbol = pnl_control_spec(port)->symbol;
        if (pnl_lv2host_set_control(host, symbol, (float)value) != PNL_OK) {
            snprintf(message, message_size, "the plugin has no control port '%s'", symbol);
            return PNL_EMISMATCH;
        }
    }
    return PNL_OK;
}

/* Where the transport stands at `frame` of the render, as a time:Position. */
static int queue_position(PnlLv2Host *host, const RenderOptions *options, uint32_t offset,
                          int64_t frame, double frames_per_beat, int rolling)
{
    double beats = (double)frame / frames_per_beat;
    int64_t bar = (int64_t)floor(beats / options->beats_per_bar);
    double bar_beat = beats - (double)bar * options->beats_per_bar;
    return pnl_lv2host_queue_position(host, offset, options->beats_per_minute,
                                      options->beats_per_bar, options->beat_unit, bar, bar_beat,
                                      rolling ? 1.0 : 0.0);
}

typedef struct {
    PnlLv2Host *host;
    SNDFILE *wav;
    PnlMidiRecording *midi;
    Prompt prompt;
    PluginLog log;
    double seconds; /* of audio written */
} Render;

/* The plugin's state as Turtle: what a host saves with a session, for
 * loading into a host (jalv -l, or an Ardour session's plugin state). */
static int save_state(PnlLv2Host *host, const char *path, char *message, size_t message_size)
{
    char *turtle = pnl_lv2host_save_state(host);
    if (!turtle) {
        snprintf(message, message_size, "%s: the plugin's state could not be saved", path);
        return PNL_EIO;
    }
    FILE *file = fopen(path, "w");
    int written = file && fputs(turtle, file) >= 0;
    if (file && fclose(file) != 0)
        written = 0;
    free(turtle);
    if (!written) {
        snprintf(message, message_size, "%s: %s", path, strerror(errno));
        return PNL_EIO;
    }
    return PNL_OK;
}

static int render(const RenderOptions *options, Render *job, char *message,
                  size_t message_size)
{
    double rate = (double)options->sample_rate;
    double frames_per_beat = rate * 60.0 / options->beats_per_minute;
    int64_t frames_per_bar = llround(frames_per_beat * options->beats_per_bar);
    int64_t music_frames = frames_per_bar * options->bars;
    int64_t total_frames = music_frames + llround(options->tail_seconds * rate);

    int status = PNL_OK;
    if (options->prompt_midi) {
        status = load_prompt(options, frames_per_beat, frames_per_bar, &job->prompt, message,
                             message_size);
        if (status != PNL_OK)
            return status;
    }

    char *bundle = build_tree_bundle();
    /* The worker runs synchronously, inside run(), as when a host exports. */
    PnlLv2HostOptions host_options = {.plugin_uri = PIANOLA_URI, .bundle_path = bundle,
                                      .sample_rate = rate, .max_block = BLOCK_FRAMES,
                                      .worker_mode = PNL_WORKER_SYNC, .log = print_plugin_log,
                                      .log_data = &job->log};
    job->host = pnl_lv2host_new(&host_options, message, message_size);
    free(bundle);
    if (!job->host)
        return PNL_EIO;
    /* A saved state's controls first: the options given override them. */
    if (options->input_state &&
        (status = restore_state(job->host, options->input_state, message, message_size)))
        return status;
    status = set_controls(job->host, options, message, message_size);
    if (status != PNL_OK)
        return status;
    if (options->model) {
        /* The model is loaded and checked on the worker (here, inside run(),
         * as a host exporting runs it) before anything is composed: one
         * silent cycle, stopped and not generating, carries the property. */
        status = pnl_lv2host_queue_path(job->host, 0, PIANOLA__model, options->model);
        if (status != PNL_OK) {
            snprintf(message, message_size, "--model %s: the path does not fit in one message",
                     options->model);
            return status;
        }
        pnl_lv2host_set_control(job->host, "generate", 0.0f);
        float discard[BLOCK_FRAMES];
        status = pnl_lv2host_run(job->host, BLOCK_FRAMES, discard, discard);
        if (status == PNL_OK && job->log.first_error[0]) {
            snprintf(message, message_size, "%s", job->log.first_error);
            status = PNL_EFORMAT;
        }
        if (status != PNL_OK)
            return status;
    }
    int capturing = options->prompt_midi != NULL;
    pnl_lv2host_set_control(job->host, "capture", capturing ? 1.0f : 0.0f);
    pnl_lv2host_set_control(job->host, "generate", capturing ? 0.0f : 1.0f);

    if (options->soundfont) {
        status = pnl_lv2host_queue_path(job->host, 0, PIANOLA__soundfont,
                                            options->soundfont);
        if (status != PNL_OK) {
            snprintf(message, message_size, "--soundfont %s: the path does not fit in one "
                     "message", options->soundfont);
            return status;
        }
    }

    job->wav = open_wav(options, message, message_size);
    if (!job->wav)
        return PNL_EIO;
    if (options->output_midi && !(job->midi = pnl_midi_recording_new())) {
        snprintf(message, message_size, "out of memory for the MIDI recording");
        return PNL_ENOMEM;
    }

    float *left = calloc(BLOCK_FRAMES, sizeof(float));
    float *right = calloc(BLOCK_FRAMES, sizeof(float));
    float *interleaved = calloc(BLOCK_FRAMES * 2, sizeof(float));
    if (!left || !right || !interleaved) {
        snprintf(message, message_size, "out of memory for the audio buffers");
        status = PNL_ENOMEM;
    }

    Progress progress = {isatty(STDERR_FILENO), -1};
    size_t next_prompt_message = 0;
    int was_rolling = 0;
    for (int64_t frame = 0; frame < total_frames && status == PNL_OK;) {
        /* A block ends early where something changes: capture goes off at
         * its bar line, the transport stops after the last bar. */
        int64_t block_end = frame + BLOCK_FRAMES;
        if (capturing && block_end > job->prompt.capture_end_frame)
            block_end = job->prompt.capture_end_frame;
        if (frame < music_frames && block_end > music_frames)
            block_end = music_frames;
        if (block_end > total_frames)
            block_end = total_frames;
        uint32_t block_frames = (uint32_t)(block_end - frame);

        int rolling = frame < music_frames;
        /* Exporting hosts send the position with every cycle; a stopped
         * transport is announced once. */
        if (rolling || was_rolling)
            status = queue_position(job->host, options, 0, frame, frames_per_beat, rolling);
        was_rolling = rolling;
        size_t block_prompt_first = next_prompt_message;
        while (status == PNL_OK && next_prompt_message < job->prompt.count &&
               job->prompt.messages[next_prompt_message].frame < block_end) {
            const PromptMessage *played = &job->prompt.messages[next_prompt_message++];
            status = pnl_lv2host_queue_midi(job->host, (uint32_t)(played->frame - frame),
                                            played->bytes, 3);
        }
        if (status != PNL_OK) {
            snprintf(message, message_size, "too many events for one block at frame %lld",
                     (long long)frame);
            break;
        }

        status = pnl_lv2host_run(job->host, block_frames, left, right);
        if (status != PNL_OK) {
            snprintf(message, message_size, "the plugin host refused a block of %u frames",
                     block_frames);
            break;
        }
        const PnlHostMidi *midi_out = NULL;
        size_t midi_count = pnl_lv2host_midi(job->host, &midi_out);
        if (job->log.first_error[0]) {
            snprintf(message, message_size, "%s", job->log.first_error);
            status = PNL_EFORMAT;
            break;
        }
        for (uint32_t index = 0; index < block_frames; index++) {
            interleaved[2 * index] = left[index];
            interleaved[2 * index + 1] = right[index];
        }
        if (sf_writef_float(job->wav, interleaved, block_frames) != block_frames) {
            snprintf(message, message_size, "%s: %s", options->output_wav,
                     sf_strerror(job->wav));
            status = PNL_EIO;
            break;
        }
        /* The MIDI file holds what is heard: the phrase played in (Pianola
         * does not echo its MIDI input) merged in time with what it sent. */
        size_t sent = 0, played = block_prompt_first;
        while (job->midi && status == PNL_OK && (sent < midi_count ||
                                                 played < next_prompt_message)) {
            int take_played = played < next_prompt_message &&
                              (sent == midi_count || job->prompt.messages[played].frame <=
                                                         frame + midi_out[sent].frame);
            if (take_played) {
                status = pnl_midi_recording_add(job->midi, job->prompt.messages[played].frame,
                                                job->prompt.messages[played].bytes, 3);
                played++;
            } else {
                status = pnl_midi_recording_add(job->midi, frame + midi_out[sent].frame,
                                                midi_out[sent].bytes, midi_out[sent].size);
                sent++;
            }
        }

        frame = block_end;
        if (capturing && frame >= job->prompt.capture_end_frame) {
            /* The phrase is over: it becomes the prompt, and Pianola goes on. */
            capturing = 0;
            pnl_lv2host_set_control(job->host, "capture", 0.0f);
            pnl_lv2host_set_control(job->host, "generate", 1.0f);
        }
        show_progress(&progress, frame, total_frames, frames_per_bar, options->bars);
    }
    free(left);
    free(right);
    free(interleaved);
    if (status != PNL_OK)
        return status;

    if (job->midi)
        status = pnl_midi_recording_write(job->midi, options->output_midi, rate,
                                          options->beats_per_minute, options->beats_per_bar,
                                          options->beat_unit, message, message_size);
    job->seconds = (double)total_frames / rate;
    if (status == PNL_OK && options->output_state)
        status = save_state(job->host, options->output_state, message, message_size);
    return status;
}

/* Says where the files are: the one thing a person running the demo needs. */
static void print_written(const RenderOptions *options, const Render *job)
{
    char *wav = realpath(options->output_wav, NULL);
    printf("%s: %.1f s of audio, %ld Hz, %s\n", wav ? wav : options->output_wav, job->seconds,
           options->sample_rate, options->bit_depth == 32 ? "32-bit float" :
           options->bit_depth == 24 ? "24-bit" : "16-bit");
    free(wav);
    if (job->midi) {
        char *midi = realpath(options->output_midi, NULL);
        printf("%s: %zu notes\n", midi ? midi : options->output_midi,
               pnl_midi_recording_note_ons(job->midi));
        free(midi);
    }
}

int main(int argc, char **argv)
{
    RenderOptions options;
    parse_options(argc, argv, &options);

    char message[1024] = "";
    int status = PNL_OK;
    if (options.prompt_midi)
        status = require_readable_file("--prompt", options.prompt_midi, message, sizeof message);
    if (status == PNL_OK && options.soundfont)
        status = require_readable_file("--soundfont", options.soundfont, message,
                                       sizeof message);
    if (status == PNL_OK && options.input_state)
        status = require_readable_file("--restore-state", options.input_state, message,
                                       sizeof message);
    if (status == PNL_OK && options.model)
        status = resolve_model_composer(&options, message, sizeof message);

    Render job = {0};
    if (status == PNL_OK)
        status = render(&options, &job, message, sizeof message);

    if (job.wav && sf_close(job.wav) != 0 && status == PNL_OK) {
        snprintf(message, sizeof message, "%s: could not finish the file",
                 options.output_wav);
        status = PNL_EIO;
    }
    pnl_lv2host_free(job.host);
    if (status == PNL_OK)
        print_written(&options, &job);
    pnl_midi_recording_free(job.midi);
    free(job.prompt.messages);

    if (status != PNL_OK) {
        /* No half-written output is left behind to be mistaken for a render. */
        if (job.wav)
            unlink(options.output_wav);
        fprintf(stderr, "%s: %s\n", program_name, message);
        return 1;
    }
    return 0;
}
