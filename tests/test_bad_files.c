/* Bad files through the plugin, driven through lilv as a host would: a
 * bundle whose model is truncated, made for another vocabulary, hostile
 * or missing; a SoundFont set by patch:Set that is missing or corrupt
 * (tests/fixtures/bad-soundfonts/); a saved state from an older version,
 * garbled, or pointing at a SoundFont that is gone or corrupt
 * (tests/fixtures/bad-states/). In every case the host
 * survives, the plugin says through the host's log which file is wrong
 * and how, it plays silence (no model: no composing, the piano still
 * answers MIDI in) or keeps the default SoundFont, and its audio stays
 * finite. */
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
} Heard;

static void read_notify(PnlLv2Host *host, Heard *heard)
{
    const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
    LV2_ATOM_SEQUENCE_FOREACH (sequence, event)
        fixture_read_ui_event(host, event, heard->ui_text, sizeof heard->ui_text,
                              heard->ui_path, sizeof heard->ui_path);
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
        for (size_t i = 0; i < count; i++)
            heard->note_ons += PIANOLA_TEST_NOTE_ON(&midi[i]);
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

int main(void)
{
    char message[256] = "";
    if (fixture_make_random_bundle("bad-files-bundle", random_bundle, sizeof random_bundle,
                                   message, sizeof message) != 0) {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    RUN_TEST(test_a_bad_model_is_named_and_the_plugin_composes_nothing);
    RUN_TEST(test_a_bad_soundfont_is_named_and_the_default_plays_on);
    RUN_TEST(test_a_bad_state_is_named_and_the_plugin_carries_on);
    CHECK_EXIT();
}
