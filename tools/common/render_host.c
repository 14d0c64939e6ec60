/* The offline LV2 host behind pianola-render (see render_host.h): lilv loads
 * the plugin; this file supplies the features an instrument needs (URID map,
 * a synchronous worker, log, options), one atom sequence in and one out, and
 * runs it block by block. Nothing here is real-time: it renders to files. */
#include "render_host.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

enum {
    ATOM_BUFFER_BYTES = 256 * 1024,  /* each way, per block */
    WORKER_QUEUE_BYTES = 1024 * 1024,
    MAX_WORKER_ROUNDS = 1024,        /* responses that schedule more work */
    MAX_URIDS = 4096
};

typedef enum { PORT_IGNORED, PORT_CONTROL_IN, PORT_CONTROL_OUT, PORT_AUDIO_OUT,
               PORT_AUDIO_IN, PORT_ATOM_IN, PORT_ATOM_OUT } PortRole;

typedef struct {
    char **uris; /* index + 1 is the URID */
    uint32_t count;
} UridTable;

typedef struct {
    LV2_URID atom_Path, atom_Sequence, atom_Chunk, atom_Int, atom_Float, atom_Double,
        atom_Long, atom_Object, atom_URID, midi_MidiEvent, time_Position, time_bar,
        time_barBeat, time_beatUnit, time_beatsPerBar, time_beatsPerMinute, time_frame,
        time_speed, patch_Set, patch_property, patch_value, log_Error, log_Warning,
        log_Note, log_Trace, param_sampleRate, bufsz_minBlockLength, bufsz_maxBlockLength,
        bufsz_nominalBlockLength, bufsz_sequenceSize;
} HostUrids;

struct PnlRenderHost {
    LilvWorld *world;
    const LilvPlugin *plugin;
    LilvInstance *instance;
    char *bundle_path;
    uint32_t max_block_frames;
    int32_t min_block_option, block_length_option, sequence_size_option;
    float sample_rate_option;

    UridTable urid_table;
    HostUrids urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Log_Log log;
    PnlRenderLogSink log_sink;
    void *log_data;
    LV2_Worker_Schedule schedule;
    LV2_Options_Option options[6];
    LV2_Feature map_feature, unmap_feature, log_feature, schedule_feature, options_feature,
        bounded_feature;
    const LV2_Feature *features[7];
    const LV2_Worker_Interface *worker;

    /* Worker responses waiting for the end of run(): [uint32 size][bytes]... */
    uint8_t *responses;
    size_t response_bytes;
    int response_overflow;
    int in_work;

    uint32_t port_count;
    PortRole *roles;
    float *controls;     /* a value per port; only control ports use theirs */
    float *minimums, *maximums, *defaults;
    uint32_t atom_in_port, atom_out_port, audio_out_ports[2], audio_out_count;
    float *scratch_audio; /* unused audio inputs and extra outputs */

    LV2_Atom_Sequence *atom_in, *atom_out;
    LV2_Atom_Forge forge;
    LV2_Atom_Forge_Frame sequence_frame;
    int sequence_open; /* events were queued for the next block */
    uint32_t last_queued_frame;
    int forge_overflow;
};

/* ---- URIDs ---------------------------------------------------------------- */

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    UridTable *table = handle;
    for (uint32_t index = 0; index < table->count; index++) {
        if (strcmp(table->uris[index], uri) == 0)
            return index + 1;
    }
    if (table->count == MAX_URIDS)
        return 0;
    char *copy = strdup(uri);
    if (!copy)
        return 0;
    table->uris[table->count++] = copy;
    return table->count;
}

static const char *unmap_urid(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    const UridTable *table = handle;
    return urid >= 1 && urid <= table->count ? table->uris[urid - 1] : NULL;
}

static void map_host_urids(PnlRenderHost *host)
{
    HostUrids *u = &host->urids;
    LV2_URID_Map *m = &host->map;
    u->atom_Path = m->map(m->handle, LV2_ATOM__Path);
    u->atom_Sequence = m->map(m->handle, LV2_ATOM__Sequence);
    u->atom_Chunk = m->map(m->handle, LV2_ATOM__Chunk);
    u->atom_Int = m->map(m->handle, LV2_ATOM__Int);
    u->atom_Float = m->map(m->handle, LV2_ATOM__Float);
    u->atom_Double = m->map(m->handle, LV2_ATOM__Double);
    u->atom_Long = m->map(m->handle, LV2_ATOM__Long);
    u->atom_Object = m->map(m->handle, LV2_ATOM__Object);
    u->atom_URID = m->map(m->handle, LV2_ATOM__URID);
    u->midi_MidiEvent = m->map(m->handle, LV2_MIDI__MidiEvent);
    u->time_Position = m->map(m->handle, LV2_TIME__Position);
    u->time_bar = m->map(m->handle, LV2_TIME__bar);
    u->time_barBeat = m->map(m->handle, LV2_TIME__barBeat);
    u->time_beatUnit = m->map(m->handle, LV2_TIME__beatUnit);
    u->time_beatsPerBar = m->map(m->handle, LV2_TIME__beatsPerBar);
    u->time_beatsPerMinute = m->map(m->handle, LV2_TIME__beatsPerMinute);
    u->time_frame = m->map(m->handle, LV2_TIME__frame);
    u->time_speed = m->map(m->handle, LV2_TIME__speed);
    u->patch_Set = m->map(m->handle, LV2_PATCH__Set);
    u->patch_property = m->map(m->handle, LV2_PATCH__property);
    u->patch_value = m->map(m->handle, LV2_PATCH__value);
    u->log_Error = m->map(m->handle, LV2_LOG__Error);
    u->log_Warning = m->map(m->handle, LV2_LOG__Warning);
    u->log_Note = m->map(m->handle, LV2_LOG__Note);
    u->log_Trace = m->map(m->handle, LV2_LOG__Trace);
    u->param_sampleRate = m->map(m->handle, LV2_PARAMETERS__sampleRate);
    u->bufsz_minBlockLength = m->map(m->handle, LV2_BUF_SIZE__minBlockLength);
    u->bufsz_maxBlockLength = m->map(m->handle, LV2_BUF_SIZE__maxBlockLength);
    u->bufsz_nominalBlockLength = m->map(m->handle, LV2_BUF_SIZE__nominalBlockLength);
    u->bufsz_sequenceSize = m->map(m->handle, LV2_BUF_SIZE__sequenceSize);
}

/* ---- Log ------------------------------------------------------------------ */

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args)
{
    PnlRenderHost *host = handle;
    char text[1024];
    int length = vsnprintf(text, sizeof text, format, args);
    if (!host->log_sink)
        return length;
    size_t end = strlen(text);
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        text[--end] = '\0';
    const char *level = type == host->urids.log_Error     ? "error"
                        : type == host->urids.log_Warning ? "warning"
                        : type == host->urids.log_Trace   ? "trace"
                                                          : "note";
    host->log_sink(host->log_data, level, text);
    return length;
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int length = log_vprintf(handle, type, format, args);
    va_end(args);
    return length;
}

/* ---- The synchronous worker ------------------------------------------------ */

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size,
                                 const void *data)
{
    PnlRenderHost *host = handle;
    if (host->response_bytes + sizeof(uint32_t) + size > WORKER_QUEUE_BYTES) {
        host->response_overflow = 1;
        return LV2_WORKER_ERR_NO_SPACE;
    }
    memcpy(host->responses + host->response_bytes, &size, sizeof size);
    memcpy(host->responses + host->response_bytes + sizeof size, data, size);
    host->response_bytes += sizeof size + size;
    return LV2_WORKER_SUCCESS;
}

/* Exporting hosts run the job at once, on the rendering thread, and deliver
 * its responses after run() returns: no thread timing can change the music. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
    PnlRenderHost *host = handle;
    if (!host->worker || host->in_work)
        return LV2_WORKER_ERR_UNKNOWN;
    host->in_work = 1;
    LV2_Worker_Status status = host->worker->work(lilv_instance_get_handle(host->instance),
                                                  respond, host, size, data);
    host->in_work = 0;
    return status;
}

/* Delivers the queued responses; a response may schedule more work, whose
 * responses are delivered in turn. */
static int deliver_responses(PnlRenderHost *host, char *message, size_t message_size)
{
    LV2_Handle handle = lilv_instance_get_handle(host->instance);
    uint8_t *batch = NULL;
    int rounds = 0;
    while (host->response_bytes > 0) {
        if (++rounds > MAX_WORKER_ROUNDS) {
            snprintf(message, message_size, "the plugin's worker keeps scheduling work after "
                     "%d rounds of responses", MAX_WORKER_ROUNDS);
            free(batch);
            return PNL_ERANGE;
        }
        size_t batch_bytes = host->response_bytes;
        if (!batch && !(batch = malloc(WORKER_QUEUE_BYTES))) {
            snprintf(message, message_size, "out of memory for the worker's responses");
            return PNL_ENOMEM;
        }
        memcpy(batch, host->responses, batch_bytes);
        host->response_bytes = 0;
        for (size_t offset = 0; offset < batch_bytes;) {
            uint32_t size;
            memcpy(&size, batch + offset, sizeof size);
            if (host->worker->work_response)
                host->worker->work_response(handle, size, batch + offset + sizeof size);
            offset += sizeof size + size;
        }
    }
    free(batch);
    if (host->worker && host->worker->end_run)
        host->worker->end_run(handle);
    if (host->response_overflow) {
        host->response_overflow = 0;
        snprintf(message, message_size, "the plugin's worker responded with more than %d bytes "
                 "in one block", WORKER_QUEUE_BYTES);
        return PNL_ENOMEM;
    }
    return PNL_OK;
}

/* ---- Loading ---------------------------------------------------------------- */

static void set_features(PnlRenderHost *host, double sample_rate)
{
    host->map = (LV2_URID_Map){&host->urid_table, map_uri};
    host->unmap = (LV2_URID_Unmap){&host->urid_table, unmap_urid};
    map_host_urids(host);
    host->log = (LV2_Log_Log){host, log_printf, log_vprintf};
    host->schedule = (LV2_Worker_Schedule){host, schedule_work};

    const HostUrids *u = &host->urids;
    host->sample_rate_option = (float)sample_rate;
    host->min_block_option = 1; /* the last block of a render is shorter */
    host->block_length_option = (int32_t)host->max_block_frames;
    host->sequence_size_option = ATOM_BUFFER_BYTES;
    LV2_Options_Option *o = host->options;
    o[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->param_sampleRate, sizeof(float),
                                u->atom_Float, &host->sample_rate_option};
    o[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_minBlockLength,
                                sizeof(int32_t), u->atom_Int, &host->min_block_option};
    o[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_maxBlockLength,
                                sizeof(int32_t), u->atom_Int, &host->block_length_option};
    o[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_nominalBlockLength,
                                sizeof(int32_t), u->atom_Int, &host->block_length_option};
    o[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, u->bufsz_sequenceSize,
                                sizeof(int32_t), u->atom_Int, &host->sequence_size_option};
    o[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};

    host->map_feature = (LV2_Feature){LV2_URID__map, &host->map};
    host->unmap_feature = (LV2_Feature){LV2_URID__unmap, &host->unmap};
    host->log_feature = (LV2_Feature){LV2_LOG__log, &host->log};
    host->schedule_feature = (LV2_Feature){LV2_WORKER__schedule, &host->schedule};
    host->options_feature = (LV2_Feature){LV2_OPTIONS__options, host->options};
    host->bounded_feature = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    host->features[0] = &host->map_feature;
    host->features[1] = &host->unmap_feature;
    host->features[2] = &host->log_feature;
    host->features[3] = &host->schedule_feature;
    host->features[4] = &host->options_feature;
    host->features[5] = &host->bounded_feature;
    host->features[6] = NULL;
}

static int feature_supported(const PnlRenderHost *host, const char *uri)
{
    for (int index = 0; host->features[index]; index++) {
        if (strcmp(host->features[index]->URI, uri) == 0)
            return 1;
    }
    return 0;
}

static int load_world(PnlRenderHost *host, const char *plugin_uri, const char *bundle_dir,
                      char *message, size_t message_size)
{
    host->world = lilv_world_new();
    if (!host->world) {
        snprintf(message, message_size, "lilv could not create a world");
        return PNL_ENOMEM;
    }
    if (bundle_dir) {
        size_t length = strlen(bundle_dir);
        char *directory = malloc(length + 2);
        if (!directory)
            return PNL_ENOMEM;
        memcpy(directory, bundle_dir, length + 1);
        if (length == 0 || directory[length - 1] != '/')
            strcat(directory, "/");
        LilvNode *bundle = lilv_new_file_uri(host->world, NULL, directory);
        free(directory);
        lilv_world_load_bundle(host->world, bundle);
        lilv_node_free(bundle);
    } else {
        lilv_world_load_all(host->world);
    }

    LilvNode *uri = lilv_new_uri(host->world, plugin_uri);
    host->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(host->world), uri);
    lilv_node_free(uri);
    if (!host->plugin) {
        const char *path = getenv("LV2_PATH");
        snprintf(message, message_size, "no LV2 plugin <%s> in %s", plugin_uri,
                 bundle_dir ? bundle_dir
                 : path     ? path
                            : "~/.lv2, /usr/local/lib/lv2 or /usr/lib/lv2 (LV2_PATH is unset)");
        return PNL_EIO;
    }
    char *bundle_path = lilv_file_uri_parse(
        lilv_node_as_uri(lilv_plugin_get_bundle_uri(host->plugin)), NULL);
    host->bundle_path = bundle_path ? strdup(bundle_path) : strdup("?");
    lilv_free(bundle_path);

    LilvNodes *required = lilv_plugin_get_required_features(host->plugin);
    int status = PNL_OK;
    LILV_FOREACH (nodes, it, required) {
        const char *feature = lilv_node_as_uri(lilv_nodes_get(required, it));
        if (!feature_supported(host, feature)) {
            snprintf(message, message_size, "%s needs the LV2 feature <%s>, which this host "
                     "lacks", plugin_uri, feature);
            status = PNL_EMISMATCH;
            break;
        }
    }
    lilv_nodes_free(required);
    return status;
}

static int classify_ports(PnlRenderHost *host, const char *plugin_uri, char *message,
                          size_t message_size)
{
    LilvWorld *world = host->world;
    LilvNode *input = lilv_new_uri(world, LV2_CORE__InputPort);
    LilvNode *output = lilv_new_uri(world, LV2_CORE__OutputPort);
    LilvNode *audio = lilv_new_uri(world, LV2_CORE__AudioPort);
    LilvNode *control = lilv_new_uri(world, LV2_CORE__ControlPort);
    LilvNode *atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
    LilvNode *optional = lilv_new_uri(world, LV2_CORE__connectionOptional);

    host->port_count = lilv_plugin_get_num_ports(host->plugin);
    uint32_t count = host->port_count;
    host->roles = calloc(count, sizeof *host->roles);
    host->controls = calloc(count, sizeof(float));
    host->minimums = calloc(count, sizeof(float));
    host->maximums = calloc(count, sizeof(float));
    host->defaults = calloc(count, sizeof(float));
    int status = PNL_OK;
    if (!host->roles || !host->controls || !host->minimums || !host->maximums ||
        !host->defaults) {
        snprintf(message, message_size, "out of memory for %u ports", count);
        status = PNL_ENOMEM;
        goto done;
    }
    lilv_plugin_get_port_ranges_float(host->plugin, host->minimums, host->maximums,
                                      host->defaults);
    host->atom_in_port = host->atom_out_port = UINT32_MAX;
    for (uint32_t index = 0; index < count && status == PNL_OK; index++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(host->plugin, index);
        int is_input = lilv_port_is_a(host->plugin, port, input);
        int is_output = lilv_port_is_a(host->plugin, port, output);
        PortRole role = PORT_IGNORED;
        if (lilv_port_is_a(host->plugin, port, control)) {
            role = is_input ? PORT_CONTROL_IN : PORT_CONTROL_OUT;
            host->controls[index] = host->defaults[index] == host->defaults[index]
                                        ? host->defaults[index]
                                        : host->minimums[index];
        } else if (lilv_port_is_a(host->plugin, port, audio)) {
            role = is_output ? PORT_AUDIO_OUT : PORT_AUDIO_IN;
            if (is_output && host->audio_out_count < 2)
                host->audio_out_ports[host->audio_out_count++] = index;
        } else if (lilv_port_is_a(host->plugin, port, atom) && is_input &&
                   host->atom_in_port == UINT32_MAX) {
            role = PORT_ATOM_IN;
            host->atom_in_port = index;
        } else if (lilv_port_is_a(host->plugin, port, atom) && is_output &&
                   host->atom_out_port == UINT32_MAX) {
            role = PORT_ATOM_OUT;
            host->atom_out_port = index;
        } else if (!lilv_port_has_property(host->plugin, port, optional)) {
            snprintf(message, message_size, "%s: port %u (%s) is of a kind this host cannot "
                     "connect", plugin_uri, index,
                     lilv_node_as_string(lilv_port_get_symbol(host->plugin, port)));
            status = PNL_EMISMATCH;
        }
        host->roles[index] = role;
    }
    if (status == PNL_OK && host->audio_out_count == 0) {
        snprintf(message, message_size, "%s has no audio output", plugin_uri);
        status = PNL_EMISMATCH;
    }
done:
    lilv_node_free(input);
    lilv_node_free(output);
    lilv_node_free(audio);
    lilv_node_free(control);
    lilv_node_free(atom);
    lilv_node_free(optional);
    return status;
}

PnlRenderHost *pnl_render_host_new(const char *plugin_uri, const char *bundle_dir,
                                   double sample_rate, uint32_t max_block_frames,
                                   PnlRenderLogSink log_sink, void *log_data, char *message,
                                   size_t message_size)
{
    PnlRenderHost *host = calloc(1, sizeof *host);
    if (!host) {
        snprintf(message, message_size, "out of memory for the LV2 host");
        return NULL;
    }
    host->max_block_frames = max_block_frames;
    host->log_sink = log_sink;
    host->log_data = log_data;
    host->urid_table.uris = calloc(MAX_URIDS, sizeof(char *));
    host->responses = malloc(WORKER_QUEUE_BYTES);
    host->atom_in = aligned_alloc(8, ATOM_BUFFER_BYTES);
    host->atom_out = aligned_alloc(8, ATOM_BUFFER_BYTES);
    host->scratch_audio = calloc(max_block_frames, sizeof(float));
    if (!host->urid_table.uris || !host->responses || !host->atom_in || !host->atom_out ||
        !host->scratch_audio) {
        snprintf(message, message_size, "out of memory for the LV2 host's buffers");
        pnl_render_host_free(host);
        return NULL;
    }
    set_features(host, sample_rate);
    if (load_world(host, plugin_uri, bundle_dir, message, message_size) != PNL_OK ||
        classify_ports(host, plugin_uri, message, message_size) != PNL_OK) {
        pnl_render_host_free(host);
        return NULL;
    }
    host->instance = lilv_plugin_instantiate(host->plugin, sample_rate, host->features);
    if (!host->instance) {
        snprintf(message, message_size, "%s (from %s) failed to instantiate at %.0f Hz",
                 plugin_uri, host->bundle_path, sample_rate);
        pnl_render_host_free(host);
        return NULL;
    }
    host->worker = lilv_instance_get_extension_data(host->instance, LV2_WORKER__interface);

    for (uint32_t index = 0; index < host->port_count; index++) {
        void *buffer = NULL;
        switch (host->roles[index]) {
        case PORT_CONTROL_IN:
        case PORT_CONTROL_OUT: buffer = &host->controls[index]; break;
        case PORT_ATOM_IN: buffer = host->atom_in; break;
        case PORT_ATOM_OUT: buffer = host->atom_out; break;
        case PORT_AUDIO_IN:
        case PORT_AUDIO_OUT: buffer = host->scratch_audio; break;
        case PORT_IGNORED: break;
        }
        lilv_instance_connect_port(host->instance, index, buffer);
    }
    lv2_atom_forge_init(&host->forge, &host->map);
    host->atom_in->atom.size = sizeof(LV2_Atom_Sequence_Body);
    host->atom_in->atom.type = host->urids.atom_Sequence;
    host->atom_in->body.unit = 0;
    host->atom_in->body.pad = 0;
    lilv_instance_activate(host->instance);
    return host;
}

void pnl_render_host_free(PnlRenderHost *host)
{
    if (!host)
        return;
    if (host->instance) {
        lilv_instance_deactivate(host->instance);
        lilv_instance_free(host->instance);
    }
    if (host->world)
        lilv_world_free(host->world);
    for (uint32_t index = 0; index < host->urid_table.count; index++)
        free(host->urid_table.uris[index]);
    free(host->urid_table.uris);
    free(host->responses);
    free(host->atom_in);
    free(host->atom_out);
    free(host->scratch_audio);
    free(host->roles);
    free(host->controls);
    free(host->minimums);
    free(host->maximums);
    free(host->defaults);
    free(host->bundle_path);
    free(host);
}

const char *pnl_render_host_bundle_path(const PnlRenderHost *host)
{
    return host->bundle_path;
}

/* ---- Controls and events --------------------------------------------------- */

int pnl_render_host_control_range(const PnlRenderHost *host, uint32_t port, float *minimum,
                                  float *maximum, float *default_value)
{
    if (port >= host->port_count || host->roles[port] != PORT_CONTROL_IN)
        return PNL_EINVAL;
    *minimum = host->minimums[port];
    *maximum = host->maximums[port];
    *default_value = host->defaults[port];
    return PNL_OK;
}

int pnl_render_host_set_control(PnlRenderHost *host, uint32_t port, float value)
{
    if (port >= host->port_count || host->roles[port] != PORT_CONTROL_IN)
        return PNL_EINVAL;
    host->controls[port] = value;
    return PNL_OK;
}

/* The input sequence is forged lazily: the first event of a block opens it. */
static int begin_event(PnlRenderHost *host, uint32_t frame)
{
    if (host->atom_in_port == UINT32_MAX || frame >= host->max_block_frames)
        return PNL_EINVAL;
    if (!host->sequence_open) {
        lv2_atom_forge_set_buffer(&host->forge, (uint8_t *)host->atom_in, ATOM_BUFFER_BYTES);
        if (!lv2_atom_forge_sequence_head(&host->forge, &host->sequence_frame, 0))
            return PNL_ENOMEM;
        host->sequence_open = 1;
        host->last_queued_frame = 0;
    }
    if (frame < host->last_queued_frame)
        return PNL_EINVAL;
    host->last_queued_frame = frame;
    if (!lv2_atom_forge_frame_time(&host->forge, frame)) {
        host->forge_overflow = 1;
        return PNL_ENOMEM;
    }
    return PNL_OK;
}

static int end_event(PnlRenderHost *host, LV2_Atom_Forge_Ref written)
{
    if (!written) {
        host->forge_overflow = 1;
        return PNL_ENOMEM;
    }
    return PNL_OK;
}

int pnl_render_host_queue_midi(PnlRenderHost *host, uint32_t frame, const uint8_t *bytes,
                               uint32_t size)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_atom(&host->forge, size, host->urids.midi_MidiEvent);
    if (ref)
        ref = lv2_atom_forge_write(&host->forge, bytes, size);
    return end_event(host, ref);
}

int pnl_render_host_queue_position(PnlRenderHost *host, uint32_t frame, double beats_per_minute,
                                   int beats_per_bar, int beat_unit, int64_t bar,
                                   double bar_beat, double speed, int64_t timeline_frame)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    const HostUrids *u = &host->urids;
    LV2_Atom_Forge *forge = &host->forge;
    LV2_Atom_Forge_Frame object;
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &object, 0, u->time_Position);
    ref = ref && lv2_atom_forge_key(forge, u->time_frame) &&
          lv2_atom_forge_long(forge, timeline_frame);
    ref = ref && lv2_atom_forge_key(forge, u->time_speed) &&
          lv2_atom_forge_float(forge, (float)speed);
    ref = ref && lv2_atom_forge_key(forge, u->time_bar) && lv2_atom_forge_long(forge, bar);
    ref = ref && lv2_atom_forge_key(forge, u->time_barBeat) &&
          lv2_atom_forge_float(forge, (float)bar_beat);
    ref = ref && lv2_atom_forge_key(forge, u->time_beatUnit) &&
          lv2_atom_forge_int(forge, beat_unit);
    ref = ref && lv2_atom_forge_key(forge, u->time_beatsPerBar) &&
          lv2_atom_forge_float(forge, (float)beats_per_bar);
    ref = ref && lv2_atom_forge_key(forge, u->time_beatsPerMinute) &&
          lv2_atom_forge_float(forge, (float)beats_per_minute);
    if (ref)
        lv2_atom_forge_pop(forge, &object);
    return end_event(host, ref);
}

int pnl_render_host_queue_path(PnlRenderHost *host, uint32_t frame, const char *property_uri,
                               const char *path)
{
    int status = begin_event(host, frame);
    if (status != PNL_OK)
        return status;
    const HostUrids *u = &host->urids;
    LV2_Atom_Forge *forge = &host->forge;
    LV2_Atom_Forge_Frame object;
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &object, 0, u->patch_Set);
    ref = ref && lv2_atom_forge_key(forge, u->patch_property) &&
          lv2_atom_forge_urid(forge, host->map.map(host->map.handle, property_uri));
    ref = ref && lv2_atom_forge_key(forge, u->patch_value) &&
          lv2_atom_forge_path(forge, path, (uint32_t)strlen(path));
    if (ref)
        lv2_atom_forge_pop(forge, &object);
    return end_event(host, ref);
}

/* ---- Running ------------------------------------------------------------------ */

int pnl_render_host_run(PnlRenderHost *host, uint32_t frames, float *left, float *right,
                        PnlRenderMidi *midi, size_t midi_capacity, size_t *midi_count,
                        char *message, size_t message_size)
{
    *midi_count = 0;
    if (frames == 0 || frames > host->max_block_frames) {
        snprintf(message, message_size, "a block of %u frames (at most %u)", frames,
                 host->max_block_frames);
        return PNL_EINVAL;
    }
    if (host->forge_overflow) {
        snprintf(message, message_size, "more events than the %d-byte input buffer holds",
                 ATOM_BUFFER_BYTES);
        return PNL_ENOMEM;
    }
    if (host->sequence_open)
        lv2_atom_forge_pop(&host->forge, &host->sequence_frame);

    host->atom_out->atom.size = ATOM_BUFFER_BYTES - sizeof(LV2_Atom);
    host->atom_out->atom.type = host->urids.atom_Chunk;
    lilv_instance_connect_port(host->instance, host->audio_out_ports[0], left);
    lilv_instance_connect_port(host->instance,
                               host->audio_out_ports[host->audio_out_count > 1 ? 1 : 0],
                               host->audio_out_count > 1 ? right : host->scratch_audio);
    lilv_instance_run(host->instance, frames);
    if (host->audio_out_count == 1)
        memcpy(right, left, frames * sizeof(float));

    /* The next block starts with an empty input sequence. */
    host->sequence_open = 0;
    host->atom_in->atom.size = sizeof(LV2_Atom_Sequence_Body);
    host->atom_in->atom.type = host->urids.atom_Sequence;

    int status = deliver_responses(host, message, message_size);
    if (status != PNL_OK)
        return status;

    if (host->atom_out_port == UINT32_MAX)
        return PNL_OK;
    if (host->atom_out->atom.type != host->urids.atom_Sequence ||
        host->atom_out->atom.size > ATOM_BUFFER_BYTES - sizeof(LV2_Atom))
        return PNL_OK; /* nothing written: the plugin left the chunk as it was */
    LV2_ATOM_SEQUENCE_FOREACH (host->atom_out, event) {
        if (event->body.type != host->urids.midi_MidiEvent || event->body.size == 0 ||
            event->body.size > 3)
            continue;
        if (*midi_count == midi_capacity) {
            snprintf(message, message_size, "the plugin sent more than %zu MIDI messages in "
                     "one block", midi_capacity);
            return PNL_ENOMEM;
        }
        PnlRenderMidi *out = &midi[(*midi_count)++];
        out->frame = event->time.frames < 0 ? 0 : (uint32_t)event->time.frames;
        out->size = (uint8_t)event->body.size;
        memcpy(out->bytes, LV2_ATOM_BODY_CONST(&event->body), event->body.size);
    }
    return PNL_OK;
}
