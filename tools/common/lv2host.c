/* The in-process LV2 host for tests and benchmarks; see lv2host.h. */
#include "lv2host.h"

#include <lilv/lilv.h>
#include <math.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/presets/presets.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <pthread.h>
#include <semaphore.h>
#include <sord/sord.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

enum {
    ATOM_IN_BYTES = 64 * 1024,
    ATOM_OUT_BYTES = 256 * 1024,
    RING_BYTES = 1 << 18,
    MAX_MIDI_OUT = 8192,
    MAX_RESPONSE_BYTES = 64 * 1024
};

/* A single-producer single-consumer queue of sized messages, lock-free, so
 * a plugin's schedule_work() in run() never takes a lock. */
typedef struct {
    uint8_t bytes[RING_BYTES];
    _Atomic size_t write_total, read_total;
} Ring;

static int ring_write(Ring *ring, const void *data, uint32_t size)
{
    size_t write = atomic_load_explicit(&ring->write_total, memory_order_relaxed);
    size_t read = atomic_load_explicit(&ring->read_total, memory_order_acquire);
    if (RING_BYTES - (write - read) < size + sizeof size)
        return -1;
    const uint8_t *parts[2] = {(const uint8_t *)&size, data};
    size_t sizes[2] = {sizeof size, size};
    size_t offset = write;
    for (int part = 0; part < 2; part++)
        for (size_t i = 0; i < sizes[part]; i++)
            ring->bytes[offset++ % RING_BYTES] = parts[part][i];
    atomic_store_explicit(&ring->write_total, write + sizeof size + size, memory_order_release);
    return 0;
}

static int ring_read(Ring *ring, void *data, uint32_t capacity, uint32_t *size)
{
    size_t read = atomic_load_explicit(&ring->read_total, memory_order_relaxed);
    size_t write = atomic_load_explicit(&ring->write_total, memory_order_acquire);
    if (write == read)
        return 0;
    uint8_t *size_bytes = (uint8_t *)size;
    for (size_t i = 0; i < sizeof *size; i++)
        size_bytes[i] = ring->bytes[(read + i) % RING_BYTES];
    uint32_t copy = *size < capacity ? *size : capacity;
    for (size_t i = 0; i < copy; i++)
        ((uint8_t *)data)[i] = ring->bytes[(read + sizeof *size + i) % RING_BYTES];
    atomic_store_explicit(&ring->read_total, read + sizeof *size + *size, memory_order_release);
    return 1;
}

typedef struct {
    char **uris;
    uint32_t count, capacity;
    pthread_mutex_t lock; /* the UI-less host maps from its own threads only */
} UridTable;

typedef enum { PORT_OTHER, PORT_CONTROL_IN, PORT_CONTROL_OUT, PORT_AUDIO_OUT, PORT_AUDIO_IN,
               PORT_ATOM_IN, PORT_ATOM_OUT } PortRole;

typedef struct {
    PortRole role;
    char symbol[64];
    float value;
    float *audio;
} Port;

struct PnlLv2Host {
    PnlLv2HostOptions options;
    LilvWorld *world;
    const LilvPlugin *plugin;
    LilvInstance *instance;
    UridTable urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Log_Log log;
    LV2_Worker_Schedule schedule;
    LV2_Options_Option option_list[6];
    int32_t min_block, max_block, sequence_size;
    float sample_rate_value;
    LV2_Feature map_feature, unmap_feature, log_feature, schedule_feature, options_feature;
    const LV2_Feature *features[6];
    const LV2_Worker_Interface *worker;

    Port *ports;
    uint32_t port_count;
    int audio_out[2];
    LV2_Atom_Sequence *atom_in;
    LV2_Atom_Sequence *atom_out;
    LV2_Atom_Forge forge;
    LV2_Atom_Forge_Frame sequence_frame;
    uint32_t last_queued_frame;
    PnlHostMidi midi_out[MAX_MIDI_OUT];
    size_t midi_out_count;
    float *scratch_audio;

    LV2_URID atom_Sequence, atom_Path, atom_Chunk, midi_MidiEvent, time_Position, time_bar,
        time_barBeat, time_beatUnit, time_beatsPerBar, time_beatsPerMinute, time_speed,
        patch_Set, patch_property, patch_value, atom_Int, atom_Float, param_sampleRate,
        bufsz_minBlockLength, bufsz_maxBlockLength, bufsz_nominalBlockLength,
        bufsz_sequenceSize, log_Error, log_Warning, log_Note, log_Trace;

    /* The worker. */
    int in_run;
    Ring requests, responses;
    _Atomic uint64_t jobs_requested, jobs_done;
    sem_t wake;
    pthread_t thread;
    int thread_running;
    _Atomic int stopping;
    uint8_t *job_buffer, *response_buffer;
};

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    UridTable *table = handle;
    pthread_mutex_lock(&table->lock);
    for (uint32_t i = 0; i < table->count; i++) {
        if (!strcmp(table->uris[i], uri)) {
            pthread_mutex_unlock(&table->lock);
            return i + 1;
        }
    }
    if (table->count == table->capacity) {
        uint32_t capacity = table->capacity ? table->capacity * 2 : 256;
        char **grown = realloc(table->uris, capacity * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&table->lock);
            return 0;
        }
        table->uris = grown;
        table->capacity = capacity;
    }
    table->uris[table->count] = strdup(uri);
    LV2_URID urid = table->uris[table->count] ? ++table->count : 0;
    pthread_mutex_unlock(&table->lock);
    return urid;
}

static const char *unmap_urid(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    UridTable *table = handle;
    pthread_mutex_lock(&table->lock);
    const char *uri = urid >= 1 && urid <= table->count ? table->uris[urid - 1] : NULL;
    pthread_mutex_unlock(&table->lock);
    return uri;
}

uint32_t pnl_lv2host_map(PnlLv2Host *host, const char *uri)
{
    return map_uri(&host->urids, uri);
}

const char *pnl_lv2host_unmap(PnlLv2Host *host, uint32_t urid)
{
    return unmap_urid(&host->urids, urid);
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args)
{
    PnlLv2Host *host = handle;
    char text[1024];
    vsnprintf(text, sizeof text, format, args);
    const char *level = type == host->log_Error     ? "error"
                        : type == host->log_Warning ? "warning"
                        : type == host->log_Note    ? "note"
                                                    : "trace";
    if (host->options.log)
        host->options.log(host->options.log_data, level, text);
    else if (type == host->log_Error || type == host->log_Warning)
        fprintf(stderr, "%s: %s", level, text);
    return (int)strlen(text);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int length = log_vprintf(handle, type, format, args);
    va_end(args);
    return length;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size,
                                 const void *data)
{
    PnlLv2Host *host = handle;
    return ring_write(&host->responses, data, size) == 0 ? LV2_WORKER_SUCCESS
                                                         : LV2_WORKER_ERR_NO_SPACE;
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
    PnlLv2Host *host = handle;
    if (!host->worker)
        return LV2_WORKER_ERR_UNKNOWN;
    if (host->options.worker_mode == PNL_WORKER_SYNC) {
        int was_in_run = host->in_run;
        if (was_in_run && host->options.around_run)
            host->options.around_run(host->options.around_run_data, 0);
        LV2_Worker_Status status = host->worker->work(lilv_instance_get_handle(host->instance),
                                                      respond, host, size, data);
        if (was_in_run && host->options.around_run)
            host->options.around_run(host->options.around_run_data, 1);
        return status;
    }
    if (ring_write(&host->requests, data, size) != 0)
        return LV2_WORKER_ERR_NO_SPACE;
    atomic_fetch_add_explicit(&host->jobs_requested, 1, memory_order_release);
    sem_post(&host->wake);
    return LV2_WORKER_SUCCESS;
}

static void *worker_thread(void *data)
{
    PnlLv2Host *host = data;
    for (;;) {
        sem_wait(&host->wake);
        uint32_t size = 0;
        while (ring_read(&host->requests, host->job_buffer, MAX_RESPONSE_BYTES, &size)) {
            if (host->options.worker_delay_us) {
                struct timespec delay = {host->options.worker_delay_us / 1000000,
                                         (long)(host->options.worker_delay_us % 1000000) * 1000};
                nanosleep(&delay, NULL);
            }
            host->worker->work(lilv_instance_get_handle(host->instance), respond, host, size,
                               host->job_buffer);
            atomic_fetch_add_explicit(&host->jobs_done, 1, memory_order_release);
        }
        if (atomic_load(&host->stopping))
            return NULL;
    }
}

static void deliver_responses(PnlLv2Host *host)
{
    uint32_t size = 0;
    while (host->worker &&
           ring_read(&host->responses, host->response_buffer, MAX_RESPONSE_BYTES, &size))
        host->worker->work_response(lilv_instance_get_handle(host->instance), size,
                                    host->response_buffer);
}

void pnl_lv2host_wait_for_worker(PnlLv2Host *host)
{
    if (host->options.worker_mode == PNL_WORKER_THREADED) {
        for (int round = 0; round < 4; round++) {
            while (atomic_load_explicit(&host->jobs_done, memory_order_acquire) <
                   atomic_load_explicit(&host->jobs_requested, memory_order_acquire))
                nanosleep(&(struct timespec){0, 200000}, NULL);
            deliver_responses(host); /* may schedule more (freeing a synth) */
        }
    } else {
        deliver_responses(host);
    }
}

static void reset_input(PnlLv2Host *host)
{
    lv2_atom_forge_set_buffer(&host->forge, (uint8_t *)host->atom_in, ATOM_IN_BYTES);
    lv2_atom_forge_sequence_head(&host->forge, &host->sequence_frame, 0);
    host->last_queued_frame = 0;
}

static void map_host_uris(PnlLv2Host *host)
{
    LV2_URID_Map *map = &host->map;
    host->atom_Sequence = map->map(map->handle, LV2_ATOM__Sequence);
    host->atom_Path = map->map(map->handle, LV2_ATOM__Path);
    host->atom_Chunk = map->map(map->handle, LV2_ATOM__Chunk);
    host->atom_Int = map->map(map->handle, LV2_ATOM__Int);
    host->atom_Float = map->map(map->handle, LV2_ATOM__Float);
    host->midi_MidiEvent = map->map(map->handle, LV2_MIDI__MidiEvent);
    host->time_Position = map->map(map->handle, LV2_TIME__Position);
    host->time_bar = map->map(map->handle, LV2_TIME__bar);
    host->time_barBeat = map->map(map->handle, LV2_TIME__barBeat);
    host->time_beatUnit = map->map(map->handle, LV2_TIME__beatUnit);
    host->time_beatsPerBar = map->map(map->handle, LV2_TIME__beatsPerBar);
    host->time_beatsPerMinute = map->map(map->handle, LV2_TIME__beatsPerMinute);
    host->time_speed = map->map(map->handle, LV2_TIME__speed);
    host->patch_Set = map->map(map->handle, LV2_PATCH__Set);
    host->patch_property = map->map(map->handle, LV2_PATCH__property);
    host->patch_value = map->map(map->handle, LV2_PATCH__value);
    host->param_sampleRate = map->map(map->handle, LV2_PARAMETERS__sampleRate);
    host->bufsz_minBlockLength = map->map(map->handle, LV2_BUF_SIZE__minBlockLength);
    host->bufsz_maxBlockLength = map->map(map->handle, LV2_BUF_SIZE__maxBlockLength);
    host->bufsz_nominalBlockLength = map->map(map->handle, LV2_BUF_SIZE__nominalBlockLength);
    host->bufsz_sequenceSize = map->map(map->handle, LV2_BUF_SIZE__sequenceSize);
    host->log_Error = map->map(map->handle, LV2_LOG__Error);
    host->log_Warning = map->map(map->handle, LV2_LOG__Warning);
    host->log_Note = map->map(map->handle, LV2_LOG__Note);
    host->log_Trace = map->map(map->handle, LV2_LOG__Trace);
}

static void setup_features(PnlLv2Host *host)
{
    host->map = (LV2_URID_Map){&host->urids, map_uri};
    host->unmap = (LV2_URID_Unmap){&host->urids, unmap_urid};
    host->log = (LV2_Log_Log){host, log_printf, log_vprintf};
    host->schedule = (LV2_Worker_Schedule){host, schedule_work};
    map_host_uris(host);
    host->min_block = 1;
    host->max_block = (int32_t)host->options.max_block;
    host->sequence_size = ATOM_OUT_BYTES;
    host->sample_rate_value = (float)host->options.sample_rate;
    LV2_Options_Option *option = host->option_list;
    option[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, host->param_sampleRate,
                                     sizeof(float), host->atom_Float, &host->sample_rate_value};
    option[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, host->bufsz_minBlockLength,
                                     sizeof(int32_t), host->atom_Int, &host->min_block};
    option[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, host->bufsz_maxBlockLength,
                                     sizeof(int32_t), host->atom_Int, &host->max_block};
    option[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, host->bufsz_nominalBlockLength,
                                     sizeof(int32_t), host->atom_Int, &host->max_block};
    option[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, host->bufsz_sequenceSize,
                                     sizeof(int32_t), host->atom_Int, &host->sequence_size};
    option[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    host->map_feature = (LV2_Feature){LV2_URID__map, &host->map};
    host->unmap_feature = (LV2_Feature){LV2_URID__unmap, &host->unmap};
    host->log_feature = (LV2_Feature){LV2_LOG__log, &host->log};
    host->schedule_feature = (LV2_Feature){LV2_WORKER__schedule, &host->schedule};
    host->options_feature = (LV2_Feature){LV2_OPTIONS__options, host->option_list};
    host->features[0] = &host->map_feature;
    host->features[1] = &host->unmap_feature;
    host->features[2] = &host->log_feature;
    host->features[3] = &host->schedule_feature;
    host->features[4] = &host->options_feature;
    host->features[5] = NULL;
}

static int setup_ports(PnlLv2Host *host, char *message, size_t message_size)
{
    LilvWorld *world = host->world;
    LilvNode *input = lilv_new_uri(world, LV2_CORE__InputPort);
    LilvNode *output = lilv_new_uri(world, LV2_CORE__OutputPort);
    LilvNode *control = lilv_new_uri(world, LV2_CORE__ControlPort);
    LilvNode *audio = lilv_new_uri(world, LV2_CORE__AudioPort);
    LilvNode *atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
    host->port_count = lilv_plugin_get_num_ports(host->plugin);
    host->ports = calloc(host->port_count, sizeof *host->ports);
    float *defaults = calloc(host->port_count, sizeof *defaults);
    host->atom_in = calloc(1, ATOM_IN_BYTES);
    host->atom_out = calloc(1, ATOM_OUT_BYTES);
    host->scratch_audio = calloc(host->options.max_block, sizeof(float));
    int status = PNL_OK;
    if (!host->ports || !defaults || !host->atom_in || !host->atom_out || !host->scratch_audio) {
        snprintf(message, message_size, "out of memory");
        status = PNL_ENOMEM;
        goto done;
    }
    lilv_plugin_get_port_ranges_float(host->plugin, NULL, NULL, defaults);
    host->audio_out[0] = host->audio_out[1] = -1;
    for (uint32_t index = 0; index < host->port_count; index++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(host->plugin, index);
        Port *slot = &host->ports[index];
        snprintf(slot->symbol, sizeof slot->symbol, "%s",
                 lilv_node_as_string(lilv_port_get_symbol(host->plugin, port)));
        int is_input = lilv_port_is_a(host->plugin, port, input);
        int is_output = lilv_port_is_a(host->plugin, port, output);
        if (lilv_port_is_a(host->plugin, port, control)) {
            slot->role = is_input ? PORT_CONTROL_IN : PORT_CONTROL_OUT;
            slot->value = isnan(defaults[index]) ? 0.0f : defaults[index];
            lilv_instance_connect_port(host->instance, index, &slot->value);
        } else if (lilv_port_is_a(host->plugin, port, audio)) {
            slot->role = is_output ? PORT_AUDIO_OUT : PORT_AUDIO_IN;
            slot->audio = calloc(host->options.max_block, sizeof(float));
            if (!slot->audio) {
                status = PNL_ENOMEM;
                goto done;
            }
            if (is_output) {
                if (host->audio_out[0] < 0)
                    host->audio_out[0] = (int)index;
                else if (host->audio_out[1] < 0)
                    host->audio_out[1] = (int)index;
            }
            lilv_instance_connect_port(host->instance, index, slot->audio);
        } else if (lilv_port_is_a(host->plugin, port, atom)) {
            slot->role = is_input ? PORT_ATOM_IN : PORT_ATOM_OUT;
            lilv_instance_connect_port(host->instance, index,
                                       is_input ? (void *)host->atom_in : (void *)host->atom_out);
        } else {
            lilv_instance_connect_port(host->instance, index, NULL);
        }
        (void)is_output;
    }
done:
    free(defaults);
    lilv_node_free(input);
    lilv_node_free(output);
    lilv_node_free(control);
    lilv_node_free(audio);
    lilv_node_free(atom);
    return status;
}

PnlLv2Host *pnl_lv2host_new(const PnlLv2HostOptions *options, char *message, size_t message_size)
{
    PnlLv2Host *host = calloc(1, sizeof *host);
    if (!host) {
        snprintf(message, message_size, "out of memory");
        return NULL;
    }
    host->options = *options;
    if (!host->options.max_block)
        host->options.max_block = 8192;
    pthread_mutex_init(&host->urids.lock, NULL);
    host->job_buffer = malloc(MAX_RESPONSE_BYTES);
    host->response_buffer = malloc(MAX_RESPONSE_BYTES);
    host->world = lilv_world_new();
    if (!host->job_buffer || !host->response_buffer || !host->world) {
        snprintf(message, message_size, "out of memory");
        pnl_lv2host_free(host);
        return NULL;
    }
    if (options->bundle_path) {
        char path[4096];
        size_t length = strlen(options->bundle_path);
        snprintf(path, sizeof path, "%s%s", options->bundle_path,
                 length && options->bundle_path[length - 1] == '/' ? "" : "/");
        lilv_world_load_specifications(host->world);
        lilv_world_load_plugin_classes(host->world);
        LilvNode *bundle = lilv_new_file_uri(host->world, NULL, path);
        lilv_world_load_bundle(host->world, bundle);
        lilv_node_free(bundle);
    } else {
        lilv_world_load_all(host->world);
    }
    LilvNode *uri = lilv_new_uri(host->world, options->plugin_uri);
    host->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(host->world), uri);
    lilv_node_free(uri);
    if (!host->plugin) {
        snprintf(message, message_size, "%s: no such plugin %s", options->plugin_uri,
                 options->bundle_path ? options->bundle_path : "on LV2_PATH");
        pnl_lv2host_free(host);
        return NULL;
    }
    setup_features(host);
    host->instance = lilv_plugin_instantiate(host->plugin, options->sample_rate, host->features);
    if (!host->instance) {
        snprintf(message, message_size, "%s: instantiation failed", options->plugin_uri);
        pnl_lv2host_free(host);
        return NULL;
    }
    host->worker = lilv_instance_get_extension_data(host->instance, LV2_WORKER__interface);
    lv2_atom_forge_init(&host->forge, &host->map);
    if (setup_ports(host, message, message_size) != PNL_OK) {
        pnl_lv2host_free(host);
        return NULL;
    }
    if (options->worker_mode == PNL_WORKER_THREADED) {
        sem_init(&host->wake, 0, 0);
        if (pthread_create(&host->thread, NULL, worker_thread, host) != 0) {
            snprintf(message, message_size, "cannot start the worker thread");
            sem_destroy(&host->wake);
            pnl_lv2host_free(host);
            return NULL;
        }
        host->thread_running = 1;
    }
    reset_input(host);
    lilv_instance_activate(host->instance);
    return host;
}

void pnl_lv2host_free(PnlLv2Host *host)
{
    if (!host)
        return;
    if (host->instance)
        lilv_instance_deactivate(host->instance);
    if (host->thread_running) {
        pnl_lv2host_wait_for_worker(host);
        atomic_store(&host->stopping, 1);
        sem_post(&host->wake);
        pthread_join(host->thread, NULL);
        sem_destroy(&host->wake);
    }
    if (host->instance)
        lilv_instance_free(host->instance);
    for (uint32_t i = 0; host->ports && i < host->port_count; i++)
        free(host->ports[i].audio);
    free(host->ports);
    free(host->atom_in);
    free(host->atom_out);
    free(host->scratch_audio);
    free(host->job_buffer);
    free(host->response_buffer);
    if (host->world)
        lilv_world_free(host->world);
    for (uint32_t i = 0; i < host->urids.count; i++)
        free(host->urids.uris[i]);
    free(host->urids.uris);
    pthread_mutex_destroy(&host->urids.lock);
    free(host);
}

static Port *find_control(const PnlLv2Host *host, const char *symbol)
{
    for (uint32_t i = 0; i < host->port_count; i++)
        if (host->ports[i].role == PORT_CONTROL_IN && !strcmp(host->ports[i].symbol, symbol))
            return &host->ports[i];
    return NULL;
}

int pnl_lv2host_set_control(PnlLv2Host *host, const char *symbol, float value)
{
    Port *port = find_control(host, symbol);
    if (!port)
        return PNL_EINVAL;
    port->value = value;
    return PNL_OK;
}

float pnl_lv2host_control(const PnlLv2Host *host, const char *symbol)
{
    Port *port = find_control(host, symbol);
    return port ? port->value : 0.0f;
}

static int begin_event(PnlLv2Host *host, uint32_t frame)
{
    if (frame < host->last_queued_frame)
        return PNL_EINVAL;
    host->last_queued_frame = frame;
    return lv2_atom_forge_frame_time(&host->forge, frame) ? PNL_OK : PNL_ENOMEM;
}

int pnl_lv2host_queue_midi(PnlLv2Host *host, uint32_t frame, const uint8_t *bytes, uint32_t size)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    if (!lv2_atom_forge_atom(&host->forge, size, host->midi_MidiEvent) ||
        !lv2_atom_forge_write(&host->forge, bytes, size))
        return PNL_ENOMEM;
    return PNL_OK;
}

int pnl_lv2host_queue_position(PnlLv2Host *host, uint32_t frame, double beats_per_minute,
                               double beats_per_bar, int beat_unit, int64_t bar,
                               double bar_beat, double speed)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    LV2_Atom_Forge *forge = &host->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_object(forge, &object, 0, host->time_Position))
        return PNL_ENOMEM;
    lv2_atom_forge_key(forge, host->time_bar);
    lv2_atom_forge_long(forge, bar);
    lv2_atom_forge_key(forge, host->time_barBeat);
    lv2_atom_forge_float(forge, (float)bar_beat);
    lv2_atom_forge_key(forge, host->time_beatUnit);
    lv2_atom_forge_int(forge, beat_unit);
    lv2_atom_forge_key(forge, host->time_beatsPerBar);
    lv2_atom_forge_float(forge, (float)beats_per_bar);
    lv2_atom_forge_key(forge, host->time_beatsPerMinute);
    lv2_atom_forge_float(forge, (float)beats_per_minute);
    lv2_atom_forge_key(forge, host->time_speed);
    if (!lv2_atom_forge_float(forge, (float)speed))
        return PNL_ENOMEM;
    lv2_atom_forge_pop(forge, &object);
    return PNL_OK;
}

int pnl_lv2host_queue_path(PnlLv2Host *host, uint32_t frame, const char *property_uri,
                           const char *path)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    LV2_Atom_Forge *forge = &host->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_object(forge, &object, 0, host->patch_Set))
        return PNL_ENOMEM;
    lv2_atom_forge_key(forge, host->patch_property);
    lv2_atom_forge_urid(forge, pnl_lv2host_map(host, property_uri));
    lv2_atom_forge_key(forge, host->patch_value);
    if (!lv2_atom_forge_path(forge, path, (uint32_t)strlen(path) + 1))
        return PNL_ENOMEM;
    lv2_atom_forge_pop(forge, &object);
    return PNL_OK;
}

int pnl_lv2host_queue_object(PnlLv2Host *host, uint32_t frame, const char *type_uri)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_object(&host->forge, &object, 0, pnl_lv2host_map(host, type_uri)))
        return PNL_ENOMEM;
    lv2_atom_forge_pop(&host->forge, &object);
    return PNL_OK;
}

int pnl_lv2host_run(PnlLv2Host *host, uint32_t frames, float *left, float *right)
{
    if (frames > host->options.max_block)
        return PNL_EINVAL;
    deliver_responses(host);
    lv2_atom_forge_pop(&host->forge, &host->sequence_frame);
    host->atom_out->atom.type = 0;
    host->atom_out->atom.size = ATOM_OUT_BYTES - sizeof(LV2_Atom);

    host->in_run = 1;
    if (host->options.around_run)
        host->options.around_run(host->options.around_run_data, 1);
    lilv_instance_run(host->instance, frames);
    if (host->options.around_run)
        host->options.around_run(host->options.around_run_data, 0);
    host->in_run = 0;

    reset_input(host);
    deliver_responses(host);

    host->midi_out_count = 0;
    if (host->atom_out->atom.type == host->atom_Sequence) {
        LV2_ATOM_SEQUENCE_FOREACH (host->atom_out, event) {
            if (event->body.type != host->midi_MidiEvent || event->body.size > 3 ||
                host->midi_out_count >= MAX_MIDI_OUT)
                continue;
            PnlHostMidi *midi = &host->midi_out[host->midi_out_count++];
            midi->frame = (uint32_t)event->time.frames;
            midi->size = (uint8_t)event->body.size;
            memcpy(midi->bytes, LV2_ATOM_BODY_CONST(&event->body), event->body.size);
        }
    }
    float *outputs[2] = {left, right};
    for (int channel = 0; channel < 2; channel++) {
        int index = host->audio_out[channel];
        if (outputs[channel] && index >= 0)
            memcpy(outputs[channel], host->ports[index].audio, frames * sizeof(float));
    }
    return PNL_OK;
}

void pnl_lv2host_restart(PnlLv2Host *host)
{
    lilv_instance_deactivate(host->instance);
    pnl_lv2host_wait_for_worker(host);
    lilv_instance_activate(host->instance);
}

const float *pnl_lv2host_audio(const PnlLv2Host *host, const char *symbol)
{
    for (uint32_t index = 0; index < host->port_count; index++)
        if (host->ports[index].role == PORT_AUDIO_OUT && !strcmp(host->ports[index].symbol, symbol))
            return host->ports[index].audio;
    return NULL;
}

size_t pnl_lv2host_midi(const PnlLv2Host *host, const PnlHostMidi **events)
{
    *events = host->midi_out;
    return host->midi_out_count;
}

const void *pnl_lv2host_notify(const PnlLv2Host *host)
{
    return host->atom_out;
}

static const void *get_port_value(const char *symbol, void *data, uint32_t *size, uint32_t *type)
{
    PnlLv2Host *host = data;
    Port *port = find_control(host, symbol);
    if (!port)
        return NULL;
    *size = sizeof(float);
    *type = pnl_lv2host_map(host, LV2_ATOM__Float);
    return &port->value;
}

static void set_port_value(const char *symbol, void *data, const void *value, uint32_t size,
                           uint32_t type)
{
    PnlLv2Host *host = data;
    Port *port = find_control(host, symbol);
    if (!port || size < sizeof(float))
        return;
    if (type == pnl_lv2host_map(host, LV2_ATOM__Float))
        port->value = *(const float *)value;
    else if (type == pnl_lv2host_map(host, LV2_ATOM__Double) && size >= sizeof(double))
        port->value = (float)*(const double *)value;
    else if (type == pnl_lv2host_map(host, LV2_ATOM__Int))
        port->value = (float)*(const int32_t *)value;
}

char *pnl_lv2host_save_state(PnlLv2Host *host)
{
    LilvState *state = lilv_state_new_from_instance(
        host->plugin, host->instance, &host->map, NULL, NULL, NULL, NULL, get_port_value, host,
        LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, host->features);
    if (!state)
        return NULL;
    char *text = lilv_state_to_string(host->world, &host->map, &host->unmap, state,
                                      "urn:pianola:test-state", NULL);
    lilv_state_free(state);
    return text;
}

static SerdStatus quiet(void *handle, const SerdError *error)
{
    (void)handle;
    return error->status;
}

/* lilv 0.24 dereferences a null subject when the text does not parse or
 * names no pset:Preset (lilv_state_new_from_string), so the host reads it
 * first, with the prefixes lilv sets and lilv_state_to_string leaves out. */
static int parses_as_a_state(const char *turtle)
{
    static const char *const prefixes[][2] = {
        {"atom", "http://lv2plug.in/ns/ext/atom#"}, {"lv2", "http://lv2plug.in/ns/lv2core#"},
        {"pset", "http://lv2plug.in/ns/ext/presets#"},
        {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
        {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
        {"state", "http://lv2plug.in/ns/ext/state#"},
        {"xsd", "http://www.w3.org/2001/XMLSchema#"}};
    SordWorld *world = sord_world_new();
    SordModel *model = sord_new(world, SORD_SPO, false);
    SerdEnv *env = serd_env_new(NULL);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        serd_env_set_prefix_from_strings(env, (const uint8_t *)prefixes[i][0],
                                         (const uint8_t *)prefixes[i][1]);
    SerdReader *reader = sord_new_reader(model, env, SERD_TURTLE, NULL);
    serd_reader_set_error_sink(reader, quiet, NULL);
    SerdStatus status = serd_reader_read_string(reader, (const uint8_t *)turtle);
    SordNode *type =
        sord_new_uri(world, (const uint8_t *)"http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
    SordNode *preset = sord_new_uri(world, (const uint8_t *)LV2_PRESETS__Preset);
    int found = status == SERD_SUCCESS && sord_ask(model, NULL, type, preset, NULL);
    sord_node_free(world, type);
    sord_node_free(world, preset);
    serd_reader_free(reader);
    serd_env_free(env);
    sord_free(model);
    sord_world_free(world);
    return found;
}

int pnl_lv2host_restore_state(PnlLv2Host *host, const char *turtle)
{
    if (!turtle || !parses_as_a_state(turtle))
        return PNL_EFORMAT;
    LilvState *state = lilv_state_new_from_string(host->world, &host->map, turtle);
    if (!state)
        return PNL_EFORMAT;
    lilv_state_restore(state, host->instance, set_port_value, host, 0, host->features);
    lilv_state_free(state);
    return PNL_OK;
}

int pnl_lv2host_apply_preset(PnlLv2Host *host, const char *preset_uri)
{
    LilvNode *preset = lilv_new_uri(host->world, preset_uri);
    lilv_world_load_resource(host->world, preset);
    LilvState *state = lilv_state_new_from_world(host->world, &host->map, preset);
    lilv_node_free(preset);
    if (!state)
        return PNL_EINVAL;
    lilv_state_restore(state, host->instance, set_port_value, host, 0, host->features);
    lilv_state_free(state);
    return PNL_OK;
}
