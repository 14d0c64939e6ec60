/* Fuzz target: the plugin's run() fed fuzzed atom messages and control
 * values, and its state restore fed fuzzed saved values.
 * PIANOLA_FUZZ_PLUGIN: tools/fuzz.sh links plugin/ and FluidSynth into it.
 *
 * A host guarantees well-formed atom containers (a sequence whose events
 * and object properties fit their sizes), so the input is read as a script
 * that builds well-formed ones with fuzzed contents: MIDI of any length and
 * status, time:Position objects whose fields have any type and value (NaN,
 * infinities, negative speed, absurd bars), patch:Set with odd properties
 * and values, patch:Get, the UI's on/off messages and atoms of unknown
 * types; between cycles any control port may be set to any float and the
 * block size changes. A script may begin with a state restore whose saved
 * values (timeline, format 1's prompt, settings, SoundFont path, version)
 * have any type, size and bytes. After each cycle the audio must be finite.
 *
 * One instance serves the whole run (instantiating loads the General MIDI
 * SoundFont, about a second), so an input starts where the last one left
 * off; each input begins with deactivate/activate. The bundle path is an
 * empty folder: no model is loaded, which keeps a cycle cheap, so the
 * generator itself is out of reach here (fuzz_weights covers its loading).
 * SoundFont paths are kept under a folder that does not exist, so the
 * worker refuses them without reading a file. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include "ports.h"
#include "uris.h"

const LV2_Descriptor *lv2_descriptor(uint32_t index);

/* Blocks of up to 1024 frames: rendering them is most of what a cycle costs,
 * and blocks of 1 to 8192 frames are test_torture's subject; here the time
 * goes to the messages. */
enum { MAX_BLOCK = 1024, NOTIFY_BYTES = 1 << 16, CONTROL_BYTES = 1 << 14, MAX_URIS = 256,
       MAX_RESPONSES = 64, MAX_CYCLES = 48 };

/* The harness's host: one per process. */
typedef struct {
    char *uris[MAX_URIS];
    int uri_count;
    LV2_URID_Map map;
    LV2_Worker_Schedule schedule;
    LV2_Log_Log log;
    const LV2_Descriptor *descriptor;
    LV2_Handle instance;
    const LV2_Worker_Interface *worker;
    const LV2_State_Interface *state;
    void *responses[MAX_RESPONSES];
    uint32_t response_sizes[MAX_RESPONSES];
    int response_count;
    float controls[PNL_PORT_COUNT];
    float left[MAX_BLOCK], right[MAX_BLOCK];
    uint64_t control_storage[CONTROL_BYTES / 8];
    uint64_t notify_storage[NOTIFY_BYTES / 8];
} Host;

static Host host;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    Host *self = handle;
    for (int i = 0; i < self->uri_count; i++)
        if (!strcmp(self->uris[i], uri))
            return (LV2_URID)i + 1;
    if (self->uri_count == MAX_URIS)
        abort();
    self->uris[self->uri_count] = strdup(uri);
    return (LV2_URID)++self->uri_count;
}

static LV2_URID urid(const char *uri)
{
    return map_uri(&host, uri);
}

/* The plugin's log messages go to stderr only with PIANOLA_FUZZ_VERBOSE set
 * (when replaying one input by hand); printing them would slow fuzzing. */
static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args)
{
    (void)handle;
    (void)type;
    if (!getenv("PIANOLA_FUZZ_VERBOSE"))
        return 0;
    return vfprintf(stderr, format, args);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *format, ...)
{
    va_list args;
    int written;
    va_start(args, format);
    written = log_vprintf(handle, type, format, args);
    va_end(args);
    return written;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    Host *self = handle;
    if (self->response_count == MAX_RESPONSES)
        return LV2_WORKER_ERR_NO_SPACE;
    self->responses[self->response_count] = malloc(size ? size : 1);
    if (!self->responses[self->response_count])
        return LV2_WORKER_ERR_NO_SPACE;
    memcpy(self->responses[self->response_count], data, size);
    self->response_sizes[self->response_count++] = size;
    return LV2_WORKER_SUCCESS;
}

/* The worker runs at once, as hosts do when they export. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
    Host *self = handle;
    return self->worker->work(self->instance, respond, self, size, data);
}

static void deliver_responses(void)
{
    for (int i = 0; i < host.response_count; i++) {
        host.worker->work_response(host.instance, host.response_sizes[i], host.responses[i]);
        free(host.responses[i]);
    }
    host.response_count = 0;
}

static void set_up(void)
{
    static LV2_Feature map_feature, schedule_feature, log_feature;
    static const LV2_Feature *features[4];
    static const float defaults[PNL_PORT_COUNT] = {
        [PNL_PORT_COMPOSER] = 0, [PNL_PORT_TEMPERATURE] = 0.8f, [PNL_PORT_TOP_P] = 0.95f,
        [PNL_PORT_HUMANIZE_VELOCITY] = 0.5f, [PNL_PORT_HUMANIZE_TIMING] = 0.5f,
        [PNL_PORT_GENERATE] = 1, [PNL_PORT_SEED] = 1, [PNL_PORT_TEMPO] = 120,
        [PNL_PORT_VOLUME] = 0};
    const char *bundle = "/tmp/pianola-fuzz-empty-bundle/";
    host.map = (LV2_URID_Map){&host, map_uri};
    host.schedule = (LV2_Worker_Schedule){&host, schedule_work};
    host.log = (LV2_Log_Log){&host, log_printf, log_vprintf};
    map_feature = (LV2_Feature){LV2_URID__map, &host.map};
    schedule_feature = (LV2_Feature){LV2_WORKER__schedule, &host.schedule};
    log_feature = (LV2_Feature){LV2_LOG__log, &host.log};
    features[0] = &map_feature;
    features[1] = &schedule_feature;
    features[2] = &log_feature;
    features[3] = NULL;
    host.descriptor = lv2_descriptor(0);
    if (!host.descriptor)
        abort();
    host.instance = host.descriptor->instantiate(host.descriptor, 48000.0, bundle, features);
    if (!host.instance)
        abort();
    host.worker = host.descriptor->extension_data(LV2_WORKER__interface);
    host.state = host.descriptor->extension_data(LV2_STATE__interface);
    if (!host.worker || !host.state)
        abort();
    memcpy(host.controls, defaults, sizeof defaults);
    host.descriptor->connect_port(host.instance, PNL_PORT_CONTROL_IN, host.control_storage);
    host.descriptor->connect_port(host.instance, PNL_PORT_NOTIFY_OUT, host.notify_storage);
    host.descriptor->connect_port(host.instance, PNL_PORT_AUDIO_LEFT, host.left);
    host.descriptor->connect_port(host.instance, PNL_PORT_AUDIO_RIGHT, host.right);
    for (int port = PNL_PORT_COMPOSER; port < PNL_PORT_COUNT; port++)
        host.descriptor->connect_port(host.instance, (uint32_t)port, &host.controls[port]);
    host.descriptor->activate(host.instance);
}

/* ---- Reading the script ------------------------------------------------ */

typedef struct {
    const uint8_t *bytes;
    size_t size, at;
} Script;

static uint32_t take(Script *script, int count)
{
    uint32_t value = 0;
    for (int i = 0; i < count; i++)
        value = value << 8 | (script->at < script->size ? script->bytes[script->at++] : 0);
    return value;
}

static int finished(const Script *script)
{
    return script->at >= script->size;
}

static float take_float(Script *script)
{
    uint32_t bits = take(script, 4);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* ---- State restore --------------------------------------------------------- */

enum { SAVED_KEYS = 5 };

typedef struct {
    LV2_URID keys[SAVED_KEYS];
    LV2_URID types[SAVED_KEYS];
    const void *values[SAVED_KEYS];
    size_t sizes[SAVED_KEYS];
    char path[512];
} SavedState;

static const void *retrieve(LV2_State_Handle handle, uint32_t key, size_t *size, uint32_t *type,
                            uint32_t *flags)
{
    const SavedState *saved = handle;
    for (int i = 0; i < SAVED_KEYS; i++) {
        if (saved->keys[i] == key && saved->values[i]) {
            *size = saved->sizes[i];
            *type = saved->types[i];
            *flags = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;
            return saved->values[i];
        }
    }
    return NULL;
}

static void restore(Script *script)
{
    static const char *key_uris[SAVED_KEYS] = {PIANOLA__stateVersion, PIANOLA__timeline,
                                               PIANOLA__prompt, PIANOLA__settings,
                                               PIANOLA__soundfont};
    const char *right_types[SAVED_KEYS] = {LV2_ATOM__Int, PIANOLA__TimelineNotes,
                                           PIANOLA__TimelineNotes, PIANOLA__settings,
                                           LV2_ATOM__Path};
    const char *other_types[4] = {LV2_ATOM__Int, LV2_ATOM__String, LV2_ATOM__Chunk,
                                  PIANOLA__TimelineNotes};
    SavedState saved;
    memset(&saved, 0, sizeof saved);
    for (int i = 0; i < SAVED_KEYS; i++) {
        uint32_t choice = take(script, 1);
        size_t size = take(script, 2) % 4096;
        saved.keys[i] = urid(key_uris[i]);
        if (choice % 4 == 3)
            continue; /* not saved */
        saved.types[i] = urid(choice % 4 < 2 ? right_types[i] : other_types[choice / 4 % 4]);
        if (size > script->size - script->at)
            size = script->size - script->at;
        if (i == SAVED_KEYS - 1) {
            /* A path under a folder that does not exist, terminated or not. */
            int length = snprintf(saved.path, sizeof saved.path, "/nonexistent-pianola-fuzz/");
            size_t tail = size < sizeof saved.path - (size_t)length - 1
                              ? size : sizeof saved.path - (size_t)length - 1;
            memcpy(saved.path + length, script->bytes + script->at, tail);
            saved.values[i] = saved.path;
            saved.sizes[i] = (size_t)length + tail + (choice & 0x10 ? 0 : 1);
            script->at += tail;
            continue;
        }
        /* A copy of exactly `size` bytes, so reading past it is caught. */
        void *copy = malloc(size ? size : 1);
        if (!copy)
            abort();
        memcpy(copy, script->bytes + script->at, size);
        script->at += size;
        saved.values[i] = copy;
        saved.sizes[i] = size;
    }
    host.state->restore(host.instance, retrieve, &saved, 0, NULL);
    for (int i = 0; i < SAVED_KEYS - 1; i++)
        free((void *)saved.values[i]);
}

/* ---- Atom messages ---------------------------------------------------------- */

static void forge_number(LV2_Atom_Forge *forge, Script *script)
{
    uint32_t type = take(script, 1) % 6;
    uint64_t bits = (uint64_t)take(script, 4) << 32 | take(script, 4);
    double value;
    float single;
    memcpy(&value, &bits, sizeof value);
    memcpy(&single, &bits, sizeof single);
    switch (type) {
    case 0: lv2_atom_forge_float(forge, single); break;
    case 1: lv2_atom_forge_double(forge, value); break;
    case 2: lv2_atom_forge_long(forge, (int64_t)bits); break;
    case 3: lv2_atom_forge_int(forge, (int32_t)bits); break;
    case 4: lv2_atom_forge_float(forge, (float)(int16_t)bits / 16.0f); break; /* plausible */
    default: lv2_atom_forge_string(forge, "120", 3); break;
    }
}

static void forge_event(LV2_Atom_Forge *forge, Script *script, uint32_t block)
{
    static const char *position_keys[] = {LV2_TIME__bar, LV2_TIME__barBeat,
                                          LV2_TIME__beatsPerBar, LV2_TIME__beatsPerMinute,
                                          LV2_TIME__beatUnit, LV2_TIME__speed, LV2_TIME__frame};
    static const char *object_types[] = {LV2_PATCH__Get, PIANOLA__UiOn, PIANOLA__UiOff,
                                         LV2_TIME__Position, LV2_PATCH__Set, LV2_ATOM__Blank};
    LV2_Atom_Forge_Frame frame;
    uint32_t kind = take(script, 1);
    uint32_t time = take(script, 2) % (block + 1);
    lv2_atom_forge_frame_time(forge, time);
    switch (kind % 6) {
    case 0:
    case 1: { /* MIDI of 0..4 bytes */
        uint8_t midi[4];
        uint32_t size = kind / 6 % 5;
        for (uint32_t i = 0; i < size; i++)
            midi[i] = (uint8_t)take(script, 1);
        lv2_atom_forge_atom(forge, size, urid(LV2_MIDI__MidiEvent));
        lv2_atom_forge_write(forge, midi, size);
        break;
    }
    case 2: { /* time:Position */
        uint32_t count = kind / 6 % 8;
        lv2_atom_forge_object(forge, &frame, 0, urid(LV2_TIME__Position));
        for (uint32_t i = 0; i < count; i++) {
            lv2_atom_forge_key(forge, urid(position_keys[take(script, 1) % 7]));
            forge_number(forge, script);
        }
        lv2_atom_forge_pop(forge, &frame);
        break;
    }
    case 3: { /* patch:Set of the SoundFont or of something else */
        uint32_t choice = take(script, 1);
        char path[64];
        int length = snprintf(path, sizeof path, "/nonexistent-pianola-fuzz/%08x.sf2",
                              (unsigned)take(script, 4));
        lv2_atom_forge_object(forge, &frame, 0, urid(LV2_PATCH__Set));
        if (choice & 1) {
            lv2_atom_forge_key(forge, urid(LV2_PATCH__property));
            lv2_atom_forge_urid(forge, urid(choice & 2 ? PIANOLA__soundfont : LV2_TIME__bar));
        }
        if (choice & 4) {
            lv2_atom_forge_key(forge, urid(LV2_PATCH__value));
            if (choice & 8)
                lv2_atom_forge_path(forge, path, (uint32_t)length);
            else if (choice & 16)
                lv2_atom_forge_string(forge, "", 0);
            else
                forge_number(forge, script);
        }
        lv2_atom_forge_pop(forge, &frame);
        break;
    }
    case 4: /* an object of another kind, empty */
        lv2_atom_forge_object(forge, &frame, 0, urid(object_types[kind / 6 % 6]));
        lv2_atom_forge_pop(forge, &frame);
        break;
    default: { /* an atom of a type the plugin does not know */
        uint8_t body[16];
        uint32_t size = kind / 6 % 17;
        for (uint32_t i = 0; i < size; i++)
            body[i] = (uint8_t)take(script, 1);
        lv2_atom_forge_atom(forge, size, urid(kind & 0x80 ? LV2_ATOM__Chunk : LV2_ATOM__Int));
        lv2_atom_forge_write(forge, body, size);
        break;
    }
    }
}

static void run_cycle(Script *script)
{
    LV2_Atom_Forge forge;
    LV2_Atom_Forge_Frame sequence;
    uint32_t header = take(script, 1);
    uint32_t block = 1 + take(script, 2) % MAX_BLOCK;
    if (header & 1) {
        uint32_t port = PNL_PORT_COMPOSER + take(script, 1) % (PNL_PORT_COUNT - PNL_PORT_COMPOSER);
        host.controls[port] = take_float(script);
    }
    lv2_atom_forge_init(&forge, &host.map);
    lv2_atom_forge_set_buffer(&forge, (uint8_t *)host.control_storage, CONTROL_BYTES);
    lv2_atom_forge_sequence_head(&forge, &sequence, 0);
    for (uint32_t i = 0; i < header / 2 % 8 && !finished(script); i++)
        forge_event(&forge, script, block);
    lv2_atom_forge_pop(&forge, &sequence);

    LV2_Atom_Sequence *notify = (LV2_Atom_Sequence *)host.notify_storage;
    notify->atom.type = urid(LV2_ATOM__Chunk);
    notify->atom.size = NOTIFY_BYTES - sizeof(LV2_Atom);
    host.descriptor->run(host.instance, block);
    deliver_responses();
    float peak = 0.0f;
    for (uint32_t frame = 0; frame < block; frame++) {
        if (!isfinite(host.left[frame]) || !isfinite(host.right[frame])) {
            fprintf(stderr, "fuzz_plugin: audio not finite at frame %u\n", frame);
            abort();
        }
        peak = fmaxf(peak, fmaxf(fabsf(host.left[frame]), fabsf(host.right[frame])));
    }
    if (getenv("PIANOLA_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_plugin: cycle of %u frames, peak %g\n", block, peak);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    Script script = {bytes, size, 0};
    if (!host.instance)
        set_up();
    host.descriptor->deactivate(host.instance);
    host.descriptor->activate(host.instance);
    if (take(&script, 1) & 1)
        restore(&script);
    for (int cycle = 0; cycle < MAX_CYCLES && !finished(&script); cycle++)
        run_cycle(&script);
    return 0;
}
