/* Bad files through the plugin, driven through lilv as a host would: a
 * bundle whose model is truncated, made for another vocabulary, hostile
 * or missing; a model set through the pianola:model property that is
 * truncated, for another vocabulary, no model at all, a folder or missing;
 * a SoundFont set by patch:Set that is missing or corrupt
 * (tests/fixtures/bad-soundfonts/); a saved state from an older version,
 * garbled, or pointing at a SoundFont that is gone or corrupt
 * (tests/fixtures/bad-states/), or at a model that vanished after the
 * session was saved. In every case the host survives, the plugin says
 * through the host's log which file is wrong and how, it plays silence (no
 * model: no composing, the piano still answers MIDI in), keeps the model or
 * the SoundFont in use, or falls back to the bundled model, and its audio
 * stays finite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "check.h"
#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 512, LOG_LINES = 16 };
static const double BPM = 120.0;
#define FRAMES_PER_BEAT (RATE * 60.0 / BPM)
#define SOUNDFONT_PROPERTY PIANOLA__soundfont
#define DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

static char random_bundle[1024];
static char random_bundle_model[1200]; /* its models/pianola.pnm */

typedef struct {
    char lines[LOG_LINES][600];
    int count;
} Log;

static void record_log(void *data, const char *level, const char *text)
{
    Log *log = data;
    if (log->count < LOG_LINES)
        snprintf(log->lines[log->count++], sizeof log->lines[0], "%s: %s", level, text);
}

/* The log line holding every one of the given words, or NULL. */
static const char *log_line_with(const Log *log, const char *word, const char *other,
                                 const char *third)
{
    for (int i = 0; i < log->count; i++)
        if (strstr(log->lines[i], word) && (!other || strstr(log->lines[i], other)) &&
            (!third || strstr(log->lines[i], third)))
            return log->lines[i];
    return NULL;
}

static const char *all_lines(const Log *log)
{
    static char text[LOG_LINES * 600];
    text[0] = '\0';
    for (int i = 0; i < log->count; i++)
        strncat(text, log->lines[i], sizeof text - strlen(text) - 1);
    return log->count ? text : "(nothing logged)\n";
}

static PnlLv2Host *logged_host(const char *bundle, Log *log, char *message, size_t size)
{
    PnlLv2HostOptions options = {.plugin_uri = PIANOLA_TEST_URI,
                                 .bundle_path = bundle,
                                 .sample_rate = RATE,
                                 .max_block = BLOCK,
                                 .worker_mode = PNL_WORKER_SYNC,
                                 .log = record_log,
                                 .log_data = log};
    PnlLv2Host *host = pnl_lv2host_new(&options, message, size);
    if (host)
        pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    return host;
}

/* What came out of some blocks. */
typedef struct {
    int note_ons;
    double peak;
    int finite;
    char ui_text[600];  /* the last pianola:Message for the UI */
    char ui_path[1024]; /* the last SoundFont path announced */
    char model_path[1024]; /* the last model path announced */
    int choice_count;      /* the last pianola:Composers: how many labels */
    int choice;            /* and the choice composing */
    char last_label[80];
    uint64_t notes_hash;   /* of every MIDI note-on: frame, pitch, velocity */
} Heard;

static void read_composers(PnlLv2Host *host, const LV2_Atom_Object *object, Heard *heard)
{
    const LV2_Atom *labels = NULL, *choice = NULL;
    lv2_atom_object_get(object, pnl_lv2host_map(host, PIANOLA__labels), &labels,
                        pnl_lv2host_map(host, PIANOLA__choice), &choice, 0);
    if (!labels || labels->type != pnl_lv2host_map(host, LV2_ATOM__Tuple) || !choice)
        return;
    heard->choice = ((const LV2_Atom_Int *)choice)->body;
    heard->choice_count = 0;
    LV2_ATOM_TUPLE_FOREACH ((const LV2_Atom_Tuple *)labels, label) {
        heard->choice_count++;
        snprintf(heard->last_label, sizeof heard->last_label, "%.*s", (int)label->size,
                 (const char *)LV2_ATOM_BODY_CONST(label));
    }
}

static void read_notify(PnlLv2Host *host, Heard *heard)
{
    const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
    LV2_ATOM_SEQUENCE_FOREACH (sequence, event) {
        const LV2_Atom_Object *object = (const LV2_Atom_Object *)&event->body;
        if (fixture_read_ui_event(host, event, heard->ui_text, sizeof heard->ui_text,
                                  heard->ui_path, sizeof heard->ui_path) == 3) {
            const LV2_Atom *value = NULL;
            lv2_atom_object_get(object, pnl_lv2host_map(host, LV2_PATCH__value), &value, 0);
            if (value)
                snprintf(heard->model_path, sizeof heard->model_path, "%.*s", (int)value->size,
                         (const char *)LV2_ATOM_BODY_CONST(value));
        } else if (event->body.type == pnl_lv2host_map(host, LV2_ATOM__Object) &&
                   object->body.otype == pnl_lv2host_map(host, PIANOLA__Composers)) {
            read_composers(host, object, heard);
        }
    }
}

/* Runs `beats` with the host transport rolling from beat 0 (a position at
 * every block, as Ardour sends); a middle C on MIDI in at the start when
 * `play_c` is set. */
static void play(PnlLv2Host *host, double beats, int play_c, Heard *heard)
{
    static float left[BLOCK], right[BLOCK];
    heard->finite = 1;
    int64_t frames = (int64_t)(beats * FRAMES_PER_BEAT);
    for (int64_t done = 0; done < frames; done += BLOCK) {
        double beat = done / FRAMES_PER_BEAT;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        if (play_c && done == 0)
            pnl_lv2host_queue_midi(host, 1, (const uint8_t[]){0x90, 60, 100}, 3);
        pnl_lv2host_run(host, BLOCK, left, right);
        pnl_lv2host_wait_for_worker(host);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        for (size_t i = 0; i < count; i++) {
            heard->note_ons += PIANOLA_TEST_NOTE_ON(&midi[i]);
            if (PIANOLA_TEST_NOTE_ON(&midi[i]))
                heard->notes_hash = (heard->notes_hash ^ ((uint64_t)(done + midi[i].frame) << 16 ^
                                                          (uint64_t)midi[i].bytes[1] << 8 ^
                                                          midi[i].bytes[2])) *
                                    0x100000001b3ull;
        }
        for (int i = 0; i < BLOCK; i++) {
            heard->finite &= isfinite(left[i]) && isfinite(right[i]);
            heard->peak = fmax(heard->peak, fmax(fabs(left[i]), fabs(right[i])));
        }
        read_notify(host, heard);
    }
}

static const char *source_path(const char *relative, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", check_env("PIANOLA_SRC", ".."), relative);
    return path;
}

/* ------------------------------------------------------------- models */

/* Each case damages a copy of the random-model bundle's model, an LSTM or
 * a transformer: the architecture the damage writes too. */
typedef int (*Damage)(const char *model, char *message, size_t size);
static uint32_t damaged_architecture = PNL_ARCH_LSTM;

static int truncate_to_half(const char *model, char *message, size_t size)
{
    struct stat info;
    if (stat(model, &info) != 0 || truncate(model, info.st_size / 2) != 0) {
        snprintf(message, size, "cannot truncate %s", model);
        return -1;
    }
    return 0;
}

static int write_model(const char *model, uint64_t signature, uint32_t vocab, float weight,
                       char *message, size_t size)
{
    PnlWeights *weights = damaged_architecture == PNL_ARCH_TRANSFORMER
                              ? pnl_weights_new_transformer(signature, vocab, 5, 16, 2, 1, 32, 16)
                              : pnl_weights_new_lstm(signature, vocab, 5, 16, 16, 1);
    if (!weights) {
        snprintf(message, size, "out of memory");
        return -1;
    }
    uint64_t state = 3;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = weight * fixture_gaussian(&state);
    int status = pnl_weights_save(weights, model, message, size);
    pnl_weights_free(weights);
    return status;
}

static int another_vocabulary(const char *model, char *message, size_t size)
{
    return write_model(model, pnl_vocab_signature() ^ 0x5a5a, (uint32_t)pnl_vocab_size(), 0.3f,
                       message, size);
}

static int another_vocabulary_size(const char *model, char *message, size_t size)
{
    return write_model(model, pnl_vocab_signature(), (uint32_t)pnl_vocab_size() + 7, 0.3f,
                       message, size);
}

static int huge_weights(const char *model, char *message, size_t size)
{
    return write_model(model, pnl_vocab_signature(), (uint32_t)pnl_vocab_size(), 1e30f, message,
                       size);
}

static int remove_model(const char *model, char *message, size_t size)
{
    if (unlink(model) != 0) {
        snprintf(message, size, "cannot remove %s", model);
        return -1;
    }
    return 0;
}

static int folder_for_model(const char *model, char *message, size_t size)
{
    if (unlink(model) != 0 || mkdir(model, 0755) != 0) {
        snprintf(message, size, "cannot make %s a folder", model);
        return -1;
    }
    return 0;
}

static void check_bad_models(uint32_t architecture, const char *prefix)
{
    static const struct {
        const char *name;
        Damage damage;
        const char *says;
    } cases[] = {
        {"truncated-model", truncate_to_half, "truncated at byte"},
        {"model-for-another-vocabulary", another_vocabulary,
         "the model was trained for another vocabulary"},
        {"model-of-another-vocabulary-size", another_vocabulary_size, "vocabulary of"},
        {"model-with-huge-weights", huge_weights, "beyond the 10000 a model may hold"},
        {"missing-model", remove_model, "cannot open: No such file or directory"},
        {"folder-in-place-of-the-model", folder_for_model, "not a regular file"},
    };
    mkdir("bad-files", 0755);
    damaged_architecture = architecture;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char folder[256], bundle[1024], model[1200], message[256] = "";
        snprintf(folder, sizeof folder, "bad-files/%s%s", prefix, cases[c].name);
        snprintf(model, sizeof model, "%s/pianola.lv2/models/pianola.pnm", folder);
        rmdir(model); /* a folder left by an earlier run */
        CHECK(fixture_make_random_bundle_of(folder, architecture, bundle, sizeof bundle, message,
                                            sizeof message) == 0,
              "%s: %s", cases[c].name, message);
        CHECK(cases[c].damage(model, message, sizeof message) == 0, "%s: %s", cases[c].name,
              message);
        Log log = {0};
        PnlLv2Host *host = logged_host(bundle, &log, message, sizeof message);
        CHECK(host, "%s: the host could not load the plugin: %s", cases[c].name, message);
        Heard composed = {0}, answered = {0};
        play(host, 8, 0, &composed);
        play(host, 2, 1, &answered);
        pnl_lv2host_free(host);
        CHECK(log_line_with(&log, "warning: Pianola: ", model, cases[c].says) &&
                  log_line_with(&log, model, "composing is off", NULL),
              "%s: expected a warning naming %s, saying \"%s\" and that composing is off; the "
              "log had:\n%s", cases[c].name, model, cases[c].says, all_lines(&log));
        CHECK(strstr(composed.ui_text, model) && strstr(composed.ui_text, cases[c].says),
              "%s: expected the UI told about %s, got \"%s\"", cases[c].name, model,
              composed.ui_text);
        CHECK(composed.finite && answered.finite, "%s: audio not finite", cases[c].name);
        CHECK(composed.note_ons == 0 && composed.peak < 1e-4,
              "%s: expected silence without a model, %d note-ons, peak %g", cases[c].name,
              composed.note_ons, composed.peak);
        CHECK(answered.peak > 0.01, "%s: expected MIDI in to play the piano still, peak %g",
              cases[c].name, answered.peak);
    }
}

static void test_a_bad_model_is_named_and_the_plugin_composes_nothing(void)
{
    check_bad_models(PNL_ARCH_LSTM, "");
    check_bad_models(PNL_ARCH_TRANSFORMER, "transformer-");
    damaged_architecture = PNL_ARCH_LSTM;
}

/* --------------------------------------------------------- SoundFonts */

static void test_a_bad_soundfont_is_named_and_the_default_plays_on(void)
{
    static const struct {
        const char *file; /* under tests/fixtures/bad-soundfonts/, or a path */
        const char *says;
    } cases[] = {
        {"not-a-soundfont.sf2", "not a SoundFont (no RIFF sfbk header)"},
        {"riff-sfbk-header-only.sf2", "FluidSynth could not load this SoundFont"},
        {"chunk-size-past-the-end.sf2", "FluidSynth could not load this SoundFont"},
        {"truncated-in-sample-data.sf2", "FluidSynth could not load this SoundFont"},
        {"/nonexistent/piano.sf2", "cannot open the SoundFont"},
        {"/", "not a SoundFont (no RIFF sfbk header)"},
    };
    char bundle[1024];
    fixture_built_bundle(bundle, sizeof bundle);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[1200], relative[256], message[256] = "";
        if (cases[c].file[0] == '/') {
            snprintf(path, sizeof path, "%s", cases[c].file);
        } else {
            snprintf(relative, sizeof relative, "tests/fixtures/bad-soundfonts/%s",
                     cases[c].file);
            source_path(relative, path, sizeof path);
            CHECK(access(path, R_OK) == 0, "the fixture %s is missing", path);
        }
        Log log = {0};
        PnlLv2Host *host = logged_host(bundle, &log, message, sizeof message);
        CHECK(host, "no host: %s", message);
        pnl_lv2host_set_control(host, "generate", 0);
        Heard before = {0}, after = {0};
        play(host, 1, 0, &before);
        pnl_lv2host_queue_path(host, 0, SOUNDFONT_PROPERTY, path);
        play(host, 1, 0, &after);
        pnl_lv2host_queue_object(host, 0, LV2_PATCH__Get);
        play(host, 2, 1, &after);
        pnl_lv2host_free(host);
        CHECK(log_line_with(&log, "error: Pianola: ", path, cases[c].says) &&
                  log_line_with(&log, path, "keeping the SoundFont in use", NULL),
              "%s: expected an error naming the file, saying \"%s\" and that the SoundFont in "
              "use stays; the log had:\n%s", cases[c].file, cases[c].says, all_lines(&log));
        CHECK(strstr(after.ui_text, path), "%s: expected the UI told, got \"%s\"",
              cases[c].file, after.ui_text);
        CHECK(!strcmp(after.ui_path, DEFAULT_SOUNDFONT),
              "%s: expected the default SoundFont still in use, patch:Get said \"%s\"",
              cases[c].file, after.ui_path);
        CHECK(after.finite && after.peak > 0.01,
              "%s: expected the default piano to answer MIDI in, finite %d, peak %g",
              cases[c].file, after.finite, after.peak);
    }
}

/* -------------------------------------------------------- saved state */

/* A fixture's whole text (malloc'd), or NULL. */
static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = malloc(64 * 1024);
    if (text)
        text[fread(text, 1, 64 * 1024 - 1, file)] = '\0';
    fclose(file);
    return text;
}

static void test_a_bad_state_is_named_and_the_plugin_carries_on(void)
{
    char corrupt_soundfont[1200], corrupt_state[2000];
    source_path("tests/fixtures/bad-soundfonts/truncated-in-sample-data.sf2", corrupt_soundfont,
                sizeof corrupt_soundfont);
    /* Built here: a saved path must be absolute, and the fixture's is not
     * known in advance. */
    snprintf(corrupt_state, sizeof corrupt_state,
             "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
             "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
             "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
             "<urn:pianola:bad-state> a pset:Preset ;\n"
             "  lv2:appliesTo <urn:pianola:pianola> ;\n"
             "  state:state [ <urn:pianola:pianola#soundfont> <file://%s> ] .\n",
             corrupt_soundfont);
    const struct {
        const char *file; /* under tests/fixtures/bad-states/; NULL: corrupt_state */
        const char *says[3]; /* each in one log line */
        int parses;
    } cases[] = {
        {"older-version.ttl",
         {"state of version 0", "saved timeline ignored: notes of format version 0", NULL}, 1},
        {"garbled-values.ttl",
         {"saved timeline ignored: not Pianola notes", "saved settings ignored: 3 bytes", NULL},
         1},
        {"settings-out-of-range.ttl", {"saved settings out of range", NULL, NULL}, 1},
        {"values-of-the-wrong-types.ttl",
         {"saved timeline ignored: not stored as pianola:TimelineNotes",
          "saved SoundFont ignored", NULL},
         1},
        {"soundfont-that-is-gone.ttl",
         {"/nonexistent/saved-piano.sf2: cannot open the SoundFont",
          "keeping the SoundFont in use", NULL},
         1},
        {NULL, {corrupt_soundfont, "FluidSynth could not load this SoundFont", NULL}, 1},
        {"not-turtle.ttl", {NULL, NULL, NULL}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[1200], relative[256], message[256] = "";
        const char *name = cases[c].file ? cases[c].file : "state with a corrupt SoundFont";
        char *turtle = NULL;
        if (cases[c].file) {
            snprintf(relative, sizeof relative, "tests/fixtures/bad-states/%s", cases[c].file);
            turtle = read_text(source_path(relative, path, sizeof path));
            CHECK(turtle, "cannot read the fixture %s", path);
        }
        Log log = {0};
        PnlLv2Host *host = logged_host(random_bundle, &log, message, sizeof message);
        CHECK(host, "no host: %s", message);
        pnl_lv2host_set_control(host, "seed", 5);
        int status = pnl_lv2host_restore_state(host, turtle ? turtle : corrupt_state);
        free(turtle);
        Heard heard = {0}, answered = {0};
        play(host, 16, 0, &heard);
        pnl_lv2host_queue_object(host, 0, LV2_PATCH__Get);
        play(host, 2, 1, &answered);
        pnl_lv2host_free(host);
        CHECK((status == 0) == cases[c].parses, "%s: the host %s the state (status %d)", name,
              cases[c].parses ? "could not parse" : "accepted", status);
        for (int w = 0; w < 3 && cases[c].says[w]; w++)
            CHECK(log_line_with(&log, "Pianola: ", cases[c].says[w], NULL),
                  "%s: expected a log line saying \"%s\"; the log had:\n%s", name,
                  cases[c].says[w], all_lines(&log));
        CHECK(heard.finite && answered.finite, "%s: audio not finite", name);
        CHECK(heard.note_ons >= 8, "%s: expected the plugin to compose on, %d note-ons in 4 bars",
              name, heard.note_ons);
        CHECK(!strcmp(answered.ui_path, DEFAULT_SOUNDFONT) && answered.peak > 0.01,
              "%s: expected the default SoundFont in use and playing, \"%s\", peak %g", name,
              answered.ui_path, answered.peak);
    }
}

/* ------------------------------------------------ models by property */

/* A model of one's own: a random LSTM of the plugin's composers and one
 * more, "test_own" (opening as Mozart), offered last as "Tëst Own". */
static int write_own_model(const char *path, uint64_t seed, int own_first, char *message,
                           size_t size)
{
    static const char *const names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME) "test_own"};
    static const char *const labels[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)
                                         "T\xc3\xabst Own"};
    enum { COUNT = PNL_COMPOSER_CHOICE_COUNT + 1 };
    PnlWeights *weights = pnl_weights_new_lstm(pnl_vocab_signature(),
                                               (uint32_t)pnl_vocab_size(), COUNT, 32, 48, 1);
    if (!weights) {
        snprintf(message, size, "out of memory");
        return -1;
    }
    uint32_t classes[COUNT];
    const char *choice_labels[COUNT];
    for (int k = 0; k < COUNT; k++) {
        snprintf(weights->composer_names[k], sizeof weights->composer_names[k], "%s", names[k]);
        /* own_first: the same model, its list reordered (the own class first) */
        int shifted = own_first ? (k + COUNT - 1) % COUNT : k;
        classes[k] = (uint32_t)shifted;
        choice_labels[k] = labels[shifted];
    }
    weights->composer_openers[COUNT - 1] = 0;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = 0.4f * fixture_gaussian(&seed);
    int status = pnl_weights_set_choices(weights, COUNT, classes, choice_labels);
    if (status == 0)
        status = pnl_weights_save(weights, path, message, size);
    pnl_weights_free(weights);
    return status;
}

static int copy_truncated(const char *from, const char *to, char *message, size_t size)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int status = in && out ? 0 : -1;
    if (status == 0) {
        fseek(in, 0, SEEK_END);
        long half = ftell(in) / 2;
        fseek(in, 0, SEEK_SET);
        for (long i = 0; i < half; i++)
            fputc(fgetc(in), out);
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    if (status)
        snprintf(message, size, "cannot copy %s to %s", from, to);
    return status;
}

/* Loads the own model through the property (generate off, as a person
 * picks it before playing), then plays 8 beats; then, when `bad` is set,
 * the bad file through the property, and 8 beats more. */
static void play_with_models(PnlLv2Host *host, const char *own, const char *bad, Heard *first,
                             Heard *second)
{
    pnl_lv2host_set_control(host, "generate", 0);
    pnl_lv2host_set_control(host, "composer", PNL_COMPOSER_CHOICE_COUNT);
    pnl_lv2host_queue_path(host, 0, PIANOLA__model, own);
    play(host, 0.5, 0, first);
    pnl_lv2host_set_control(host, "generate", 1);
    play(host, 8, 0, first);
    if (bad)
        pnl_lv2host_queue_path(host, 0, PIANOLA__model, bad);
    play(host, 8, 0, second);
    pnl_lv2host_queue_object(host, 0, LV2_PATCH__Get);
    play(host, 0.5, 0, second);
}

/* A model trained before the DENSITY tokens cannot follow a set Density:
 * the host's log says so once, and the music goes on as the model
 * composes it. */
static void test_a_set_density_with_a_model_without_it_is_logged_once(void)
{
    char older[] = "bad-files/model-before-density.pnm", message[256] = "";
    mkdir("bad-files", 0755);
    PnlWeights *weights =
        pnl_weights_new_lstm(pnl_vocab_prefix_signature(PNL_VOCAB_SIZE_BEFORE_DENSITY),
                             PNL_VOCAB_SIZE_BEFORE_DENSITY, PNL_COMPOSER_COUNT, 32, 48, 1);
    CHECK(weights, "out of memory");
    uint64_t seed = 0x0d44;
    for (int k = 0; k < PNL_COMPOSER_COUNT; k++)
        snprintf(weights->composer_names[k], sizeof weights->composer_names[k], "%s",
                 pnl_composer_name(k));
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = 0.4f * fixture_gaussian(&seed);
    int saved = pnl_weights_save(weights, older, message, sizeof message);
    pnl_weights_free(weights);
    CHECK(saved == 0, "%s", message);
    Log log = {0};
    PnlLv2Host *host = logged_host(random_bundle, &log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_set_control(host, "generate", 0);
    pnl_lv2host_queue_path(host, 0, PIANOLA__model, older);
    Heard heard = {0};
    play(host, 0.5, 0, &heard);
    pnl_lv2host_set_control(host, "generate", 1);
    pnl_lv2host_set_control(host, "density", 4);
    play(host, 8, 0, &heard);
    pnl_lv2host_set_control(host, "density", 2);
    play(host, 8, 0, &heard);
    pnl_lv2host_free(host);
    int told = 0;
    for (int i = 0; i < log.count; i++)
        told += strstr(log.lines[i], "trained without density tokens") != NULL;
    CHECK(told == 1 && log_line_with(&log, "note: Pianola:", older, "Density control"),
          "expected one note naming %s and the Density control, %d came; the log had:\n%s",
          older, told, all_lines(&log));
    CHECK(heard.finite && heard.note_ons >= 8, "expected the model to compose on, %d note-ons",
          heard.note_ons);
}

static void test_a_bad_model_through_the_property_is_named_and_the_model_in_use_plays_on(void)
{
    char own[] = "bad-files/own-model.pnm", message[256] = "";
    mkdir("bad-files", 0755);
    CHECK(write_own_model(own, 0x0a11, 0, message, sizeof message) == 0, "%s", message);
    char truncated[] = "bad-files/own-model-truncated.pnm";
    CHECK(copy_truncated(own, truncated, message, sizeof message) == 0, "%s", message);
    char other_vocabulary[] = "bad-files/own-model-for-another-vocabulary.pnm";
    CHECK(write_model(other_vocabulary, pnl_vocab_signature() ^ 0x5a5a,
                      (uint32_t)pnl_vocab_size(), 0.3f, message, sizeof message) == 0,
          "%s", message);
    char not_a_model[1200], folder[] = "bad-files/a-folder.pnm";
    source_path("tests/fixtures/bad-soundfonts/not-a-soundfont.sf2", not_a_model,
                sizeof not_a_model);
    mkdir(folder, 0755);
    const struct {
        const char *path;
        const char *says;
    } cases[] = {
        {truncated, "truncated at byte"},
        {other_vocabulary, "the model was trained for another vocabulary"},
        {not_a_model, "not a Pianola weights file"},
        {folder, "not a regular file"},
        {"/nonexistent/my-style.pnm", "cannot open: No such file or directory"},
    };
    /* What the own model plays with no bad file in between: the music a
     * refused file must leave as it was. */
    Log reference_log = {0};
    PnlLv2Host *host = logged_host(random_bundle, &reference_log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Heard reference_first = {0}, reference = {0};
    play_with_models(host, own, NULL, &reference_first, &reference);
    pnl_lv2host_free(host);
    CHECK(reference_log.count == 0 && reference.note_ons >= 8 &&
              reference_first.choice_count == PNL_COMPOSER_CHOICE_COUNT + 1 &&
              reference_first.choice == PNL_COMPOSER_CHOICE_COUNT &&
              !strcmp(reference_first.last_label, "T\xc3\xabst Own") &&
              strstr(reference.model_path, own),
          "expected the own model to load quietly, offer its %d composers (the last \"Tëst "
          "Own\", chosen) and compose; got %d log lines, %d note-ons, %d labels (last \"%s\", "
          "choice %d), model \"%s\"\n%s", PNL_COMPOSER_CHOICE_COUNT + 1, reference_log.count,
          reference.note_ons, reference_first.choice_count, reference_first.last_label,
          reference_first.choice, reference.model_path, all_lines(&reference_log));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Log log = {0};
        host = logged_host(random_bundle, &log, message, sizeof message);
        CHECK(host, "no host: %s", message);
        Heard first = {0}, second = {0};
        play_with_models(host, own, cases[c].path, &first, &second);
        pnl_lv2host_free(host);
        CHECK(log_line_with(&log, "error: Pianola: ", cases[c].path, cases[c].says) &&
                  log_line_with(&log, cases[c].path, "keeping the model in use", NULL),
              "%s: expected an error naming the file, saying \"%s\" and that the model in use "
              "stays; the log had:\n%s", cases[c].path, cases[c].says, all_lines(&log));
        CHECK(strstr(second.ui_text, cases[c].path) && strstr(second.ui_text, cases[c].says),
              "%s: expected the UI told, got \"%s\"", cases[c].path, second.ui_text);
        CHECK(strstr(second.model_path, own), "%s: expected the own model still in use, "
              "patch:Get said \"%s\"", cases[c].path, second.model_path);
        CHECK(second.finite && second.note_ons == reference.note_ons &&
                  second.notes_hash == reference.notes_hash,
              "%s: expected the music of the model in use unchanged (%d note-ons, hash %016llx), "
              "got %d note-ons, hash %016llx", cases[c].path, reference.note_ons,
              (unsigned long long)reference.notes_hash, second.note_ons,
              (unsigned long long)second.notes_hash);
    }
}

/* A session saved with a model of its own whose file is gone when it is
 * opened again: the bundled model composes, and the log and the UI say so. */
static void test_a_state_whose_model_vanished_falls_back_to_the_bundled_model(void)
{
    char own[] = "bad-files/vanishing-model.pnm", message[256] = "";
    mkdir("bad-files", 0755);
    CHECK(write_own_model(own, 0x0b22, 0, message, sizeof message) == 0, "%s", message);
    Log saved_log = {0};
    PnlLv2Host *host = logged_host(random_bundle, &saved_log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Heard first = {0}, second = {0};
    play_with_models(host, own, NULL, &first, &second);
    char *turtle = pnl_lv2host_save_state(host);
    pnl_lv2host_free(host);
    CHECK(turtle && strstr(turtle, "vanishing-model.pnm") && strstr(turtle, "\"test_own\""),
          "expected the state to name the model and the composer test_own:\n%s",
          turtle ? turtle : "(none)");
    unlink(own);

    Log log = {0};
    host = logged_host(random_bundle, &log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = pnl_lv2host_restore_state(host, turtle);
    free(turtle);
    Heard restored = {0};
    play(host, 16, 0, &restored);
    pnl_lv2host_queue_object(host, 0, LV2_PATCH__Get);
    play(host, 1, 0, &restored);
    pnl_lv2host_free(host);
    CHECK(status == 0, "the state did not parse");
    CHECK(log_line_with(&log, "warning: Pianola: the session's model could not be loaded", own,
                        "cannot open") &&
              log_line_with(&log, own, "composing with the bundled model", NULL),
          "expected a warning naming %s, that it cannot be opened and that the bundled model "
          "composes; the log had:\n%s", own, all_lines(&log));
    CHECK(strstr(restored.ui_text, "the session's") && restored.ui_text[0],
          "expected the UI told, got \"%s\"", restored.ui_text);
    CHECK(strstr(restored.model_path, random_bundle_model) &&
              restored.choice_count == PNL_COMPOSER_CHOICE_COUNT,
          "expected the bundled model (%s) and its %d composers in use, got \"%s\" and %d",
          random_bundle_model, PNL_COMPOSER_CHOICE_COUNT, restored.model_path,
          restored.choice_count);
    CHECK(restored.finite && restored.note_ons >= 8,
          "expected the bundled model to compose on, %d note-ons", restored.note_ons);
}

/* A session saved with the own composer chosen (the port at 5), whose
 * model's list has changed when it is opened again (the own composer
 * first): the same composer composes on, from the same notes, while the
 * port keeps its number, and the state still names it. */
static void test_a_restored_composer_is_found_by_name_in_a_changed_list(void)
{
    char own[] = "bad-files/reordered-model.pnm", message[256] = "";
    mkdir("bad-files", 0755);
    CHECK(write_own_model(own, 0x0c33, 0, message, sizeof message) == 0, "%s", message);
    Log log = {0};
    PnlLv2Host *host = logged_host(random_bundle, &log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Heard first = {0}, second = {0};
    play_with_models(host, own, NULL, &first, &second);
    char *turtle = pnl_lv2host_save_state(host);
    pnl_lv2host_free(host);
    CHECK(turtle, "no state saved");
    /* What the session plays on with its model as it was saved. */
    host = logged_host(random_bundle, &log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_restore_state(host, turtle);
    Heard unchanged = {0};
    play(host, 16, 0, &unchanged);
    pnl_lv2host_free(host);
    /* The same composers and weights, listed in another order. */
    CHECK(write_own_model(own, 0x0c33, 1, message, sizeof message) == 0, "%s", message);
    host = logged_host(random_bundle, &log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = pnl_lv2host_restore_state(host, turtle);
    free(turtle);
    Heard restored = {0};
    play(host, 16, 0, &restored);
    turtle = pnl_lv2host_save_state(host);
    float port = pnl_lv2host_control(host, "composer");
    pnl_lv2host_free(host);
    CHECK(status == 0 && log.count == 0, "expected a quiet restore, the log had:\n%s",
          all_lines(&log));
    CHECK(port == PNL_COMPOSER_CHOICE_COUNT && restored.choice == 0 &&
              restored.choice_count == PNL_COMPOSER_CHOICE_COUNT + 1,
          "expected the port at %d meaning choice 0 of %d (the own composer, now first); got "
          "the port at %g, choice %d of %d", PNL_COMPOSER_CHOICE_COUNT,
          PNL_COMPOSER_CHOICE_COUNT + 1, port, restored.choice, restored.choice_count);
    CHECK(turtle && strstr(turtle, "\"test_own\""),
          "expected the state saved again to name test_own:\n%s", turtle ? turtle : "");
    free(turtle);
    CHECK(restored.note_ons >= 8 && restored.note_ons == unchanged.note_ons &&
              restored.notes_hash == unchanged.notes_hash,
          "expected the own composer to compose on as with the list unchanged (%d note-ons, "
          "hash %016llx), got %d note-ons, hash %016llx", unchanged.note_ons,
          (unsigned long long)unchanged.notes_hash, restored.note_ons,
          (unsigned long long)restored.notes_hash);
}

int main(void)
{
    char message[256] = "";
    if (fixture_make_random_bundle("bad-files-bundle", random_bundle, sizeof random_bundle,
                                   message, sizeof message) != 0) {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    snprintf(random_bundle_model, sizeof random_bundle_model, "%s/models/pianola.pnm",
             random_bundle);
    RUN_TEST(test_a_bad_model_is_named_and_the_plugin_composes_nothing);
    RUN_TEST(test_a_bad_soundfont_is_named_and_the_default_plays_on);
    RUN_TEST(test_a_bad_state_is_named_and_the_plugin_carries_on);
    RUN_TEST(test_a_bad_model_through_the_property_is_named_and_the_model_in_use_plays_on);
    RUN_TEST(test_a_set_density_with_a_model_without_it_is_logged_once);
    RUN_TEST(test_a_state_whose_model_vanished_falls_back_to_the_bundled_model);
    RUN_TEST(test_a_restored_composer_is_found_by_name_in_a_changed_list);
    CHECK_EXIT();
}
