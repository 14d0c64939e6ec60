/* Shared by the plugin tests: a bundle to test with and a host on it.
 *
 * The tests that need composed notes must not depend on how well the
 * bundled model is trained (it may not exist yet): they run a copy of the
 * built bundle (symbolic links) whose models/pianola.pnm is a small LSTM
 * with seeded random weights. Its music is nonsense, but grammatical, and
 * it exercises every path the trained model does. A bundle with a small
 * random transformer instead runs the same tests on the other network. */
#ifndef PIANOLA_TESTS_PLUGIN_FIXTURE_H
#define PIANOLA_TESTS_PLUGIN_FIXTURE_H

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "../plugin/uris.h"
#include "composers.h"
#include "lv2host.h"
#include "random_model.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

#define PIANOLA_TEST_URI PIANOLA_URI
#define PIANOLA_TEST_MIDI_URI PIANOLA_MIDI_URI
#define PIANOLA_TEST_NOTE_ON(midi) (((midi)->bytes[0] & 0xf0) == 0x90 && (midi)->bytes[2] > 0)
#define PIANOLA_TEST_NOTE_OFF(midi) \
    (((midi)->bytes[0] & 0xf0) == 0x80 || (((midi)->bytes[0] & 0xf0) == 0x90 && (midi)->bytes[2] == 0))

static inline const char *fixture_built_bundle(char *path, size_t size)
{
    const char *build = getenv("PIANOLA_BUILD");
    snprintf(path, size, "%s/pianola.lv2", build && *build ? build : "build");
    return path;
}

/* A deterministic pseudo-normal number for the random weights. */
static inline float fixture_gaussian(uint64_t *state)
{
    double sum = 0.0;
    for (int i = 0; i < 4; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        sum += (double)(*state >> 11) / (double)(1ull << 53);
    }
    return (float)((sum - 2.0) * 1.7320508);
}

/* Writes a small random LSTM whose composers are the plugin's choices. */
static inline int fixture_write_random_model(const char *path, char *message, size_t size)
{
    PnlWeights *weights = pnl_weights_new_lstm(pnl_vocab_signature(), (uint32_t)pnl_vocab_size(),
                                               PNL_COMPOSER_CHOICE_COUNT, 32, 48, 1);
    uint64_t state = 0x5eed;
    for (uint32_t t = 0; weights && t < weights->tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        for (size_t i = 0; i < tensor->count; i++)
            tensor->data[i] = 0.4f * fixture_gaussian(&state);
    }
    return random_model_save(weights, path, message, size);
}

/* Writes a small random transformer (2 layers of 32, 4 heads) whose window
 * of 64 tokens is full within two bars, so its cache slides in any test. */
static inline int fixture_write_random_transformer(const char *path, char *message, size_t size)
{
    PnlWeights *weights = pnl_weights_new_transformer(
        pnl_vocab_signature(), (uint32_t)pnl_vocab_size(), PNL_COMPOSER_CHOICE_COUNT, 32, 4, 2,
        64, 64);
    uint64_t state = 0x7f0e;
    for (uint32_t t = 0; weights && t < weights->tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        if (strcmp(tensor->name, "alibi_slopes") == 0)
            continue; /* as training sets them */
        int norm = strstr(tensor->name, "norm") != NULL;
        for (size_t i = 0; i < tensor->count; i++)
            tensor->data[i] = (norm ? tensor->data[i] : 0.0f) + 0.4f * fixture_gaussian(&state);
    }
    return random_model_save(weights, path, message, size);
}

/* A copy of the built bundle (links) with a random model of the
 * architecture (PNL_ARCH_LSTM or PNL_ARCH_TRANSFORMER), under dir. */
static inline int fixture_make_random_bundle_of(const char *dir, uint32_t architecture,
                                                char *bundle, size_t bundle_size, char *message,
                                                size_t size)
{
    char built[1024], path[2048], target[2048];
    fixture_built_bundle(built, sizeof built);
    snprintf(bundle, bundle_size, "%s/pianola.lv2", dir);
    mkdir(dir, 0755);
    mkdir(bundle, 0755);
    snprintf(path, sizeof path, "%s/models", bundle);
    mkdir(path, 0755);
    DIR *folder = opendir(built);
    if (!folder) {
        snprintf(message, size, "cannot open the built bundle %.200s", built);
        return PNL_EIO;
    }
    struct dirent *entry;
    while ((entry = readdir(folder))) {
        if (entry->d_name[0] == '.' || !strcmp(entry->d_name, "models"))
            continue;
        snprintf(target, sizeof target, "%s/%s", built, entry->d_name);
        snprintf(path, sizeof path, "%s/%s", bundle, entry->d_name);
        unlink(path);
        if (symlink(target, path) != 0) {
            closedir(folder);
            snprintf(message, size, "cannot link %.200s", path);
            return PNL_EIO;
        }
    }
    closedir(folder);
    snprintf(path, sizeof path, "%s/models/pianola.pnm", bundle);
    if (architecture == PNL_ARCH_TRANSFORMER)
        return fixture_write_random_transformer(path, message, size);
    return fixture_write_random_model(path, message, size);
}

/* A copy of the built bundle (links) with a random LSTM, under dir. */
static inline int fixture_make_random_bundle(const char *dir, char *bundle, size_t bundle_size,
                                             char *message, size_t size)
{
    return fixture_make_random_bundle_of(dir, PNL_ARCH_LSTM, bundle, bundle_size, message, size);
}

/* A host on one of the bundle's plugins (PIANOLA_TEST_URI, the piano, or
 * PIANOLA_TEST_MIDI_URI). */
static inline PnlLv2Host *fixture_host_of(const char *plugin_uri, const char *bundle, double rate,
                                          uint32_t max_block, PnlWorkerMode mode, char *message,
                                          size_t size)
{
    PnlLv2HostOptions options = {.plugin_uri = plugin_uri,
                                 .bundle_path = bundle,
                                 .sample_rate = rate,
                                 .max_block = max_block,
                                 .worker_mode = mode};
    return pnl_lv2host_new(&options, message, size);
}

static inline PnlLv2Host *fixture_host(const char *bundle, double rate, uint32_t max_block,
                                       PnlWorkerMode mode, char *message, size_t size)
{
    return fixture_host_of(PIANOLA_TEST_URI, bundle, rate, max_block, mode, message, size);
}

/* A pianola:Note notification on the notify port, read into its pitch,
 * onset (beats) and origin (PnlNoteOrigin); 0 for any other event. */
typedef struct {
    int pitch;
    double onset_beats;
    int origin;
} FixtureNote;

static inline int fixture_read_note(PnlLv2Host *host, const LV2_Atom_Event *event,
                                    FixtureNote *note)
{
    const LV2_Atom_Object *object = (const LV2_Atom_Object *)&event->body;
    if (event->body.type != pnl_lv2host_map(host, LV2_ATOM__Object) ||
        object->body.otype != pnl_lv2host_map(host, PIANOLA__Note))
        return 0;
    const LV2_Atom *pitch = NULL, *onset = NULL, *origin = NULL;
    lv2_atom_object_get(object, pnl_lv2host_map(host, PIANOLA__pitch), &pitch,
                        pnl_lv2host_map(host, PIANOLA__onsetBeats), &onset,
                        pnl_lv2host_map(host, PIANOLA__origin), &origin, 0);
    if (!pitch || !onset || !origin)
        return 0;
    *note = (FixtureNote){((const LV2_Atom_Int *)pitch)->body,
                          ((const LV2_Atom_Double *)onset)->body,
                          ((const LV2_Atom_Int *)origin)->body};
    return 1;
}

/* What the plugin tells its UI on the notify port: a pianola:Message's
 * text goes to `text`, a patch:Set's value (the SoundFont path in use) to
 * `path` (either may be NULL). Returns 1 for a message, 2 for a path, 0 for
 * any other event. */
static inline int fixture_read_ui_event(PnlLv2Host *host, const LV2_Atom_Event *event,
                                        char *text, size_t text_size, char *path,
                                        size_t path_size)
{
    const LV2_Atom_Object *object = (const LV2_Atom_Object *)&event->body;
    if (event->body.type != pnl_lv2host_map(host, LV2_ATOM__Object))
        return 0;
    const LV2_Atom *value = NULL;
    if (object->body.otype == pnl_lv2host_map(host, PIANOLA__Message)) {
        lv2_atom_object_get(object, pnl_lv2host_map(host, PIANOLA__text), &value,
                            0);
        if (value && text)
            snprintf(text, text_size, "%.*s", (int)value->size,
                     (const char *)LV2_ATOM_BODY_CONST(value));
        return 1;
    }
    if (object->body.otype == pnl_lv2host_map(host, LV2_PATCH__Set)) {
        const LV2_Atom *property = NULL;
        lv2_atom_object_get(object, pnl_lv2host_map(host, LV2_PATCH__value), &value,
                            pnl_lv2host_map(host, LV2_PATCH__property), &property, 0);
        /* The model's path is another property (test_plugin_model.c). */
        if (property && property->type == pnl_lv2host_map(host, LV2_ATOM__URID) &&
            ((const LV2_Atom_URID *)property)->body == pnl_lv2host_map(host, PIANOLA__model))
            return 3;
        if (value && path)
            snprintf(path, path_size, "%.*s", (int)value->size,
                     (const char *)LV2_ATOM_BODY_CONST(value));
        return 2;
    }
    return 0;
}

/* Decodes the base64 rdf:value after `key` in a saved state's Turtle into
 * bytes (at most capacity); returns how many, or -1. */
static inline long fixture_turtle_base64_value(const char *turtle, const char *key,
                                               uint8_t *bytes, size_t capacity)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *value = strstr(turtle, key);
    value = value ? strstr(value, "rdf:value \"") : NULL;
    if (!value)
        return -1;
    value += strlen("rdf:value ");
    while (*value == '"')
        value++;
    uint32_t bits = 0;
    int bit_count = 0;
    size_t size = 0;
    for (; *value && *value != '"' && *value != '='; value++) {
        const char *digit = strchr(alphabet, *value);
        if (!digit || !*value)
            continue; /* line breaks in a long string */
        bits = bits << 6 | (uint32_t)(digit - alphabet);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            if (size == capacity)
                return -1;
            bytes[size++] = (uint8_t)(bits >> bit_count);
        }
    }
    return (long)size;
}

#endif
