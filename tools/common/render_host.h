/* A minimal offline LV2 host for pianola-render: it loads one plugin through
 * lilv, runs it block by block on the caller's thread, feeds its atom input
 * (MIDI, time:Position, patch:Set) and collects its audio and the MIDI it
 * sends. The worker runs synchronously inside run(), as hosts do when they
 * export, so the same input gives the same output, bit for bit.
 *
 * The plugin is found by URI: in the bundle `bundle_dir` if one is given,
 * else on LV2_PATH (lilv's default path when it is unset: ~/.lv2,
 * /usr/local/lib/lv2, /usr/lib/lv2). */
#ifndef PIANOLA_RENDER_HOST_H
#define PIANOLA_RENDER_HOST_H

#include <stddef.h>
#include <stdint.h>

typedef struct PnlRenderHost PnlRenderHost;

/* One MIDI message the plugin sent, `frame` frames into its block. */
typedef struct {
    uint32_t frame;
    uint8_t size;     /* 1..3 */
    uint8_t bytes[3];
} PnlRenderMidi;

/* Where the plugin's log messages go (it is called on the rendering thread,
 * from inside run() or a worker job). `level` is "error", "warning", "note"
 * or "trace". */
typedef void (*PnlRenderLogSink)(void *data, const char *level, const char *text);

/* Loads and instantiates the plugin at `sample_rate`, for blocks of at most
 * `max_block_frames`. Every control input starts at its default. Returns NULL
 * and fills `message` when the plugin cannot be found or instantiated, or
 * needs a feature this host lacks. */
PnlRenderHost *pnl_render_host_new(const char *plugin_uri, const char *bundle_dir,
                                   double sample_rate, uint32_t max_block_frames,
                                   PnlRenderLogSink log_sink, void *log_data, char *message,
                                   size_t message_size);
void pnl_render_host_free(PnlRenderHost *host);

/* The bundle the plugin was loaded from, as a file path. */
const char *pnl_render_host_bundle_path(const PnlRenderHost *host);

/* A control input's range and default; PNL_EINVAL if `port` is not one. */
int pnl_render_host_control_range(const PnlRenderHost *host, uint32_t port, float *minimum,
                                  float *maximum, float *default_value);
/* Sets a control input for the following blocks. */
int pnl_render_host_set_control(PnlRenderHost *host, uint32_t port, float value);

/* Events for the next block, in frame order (PNL_EINVAL if `frame` is before
 * the last one queued or past the block; PNL_ENOMEM if the input buffer is
 * full). */
int pnl_render_host_queue_midi(PnlRenderHost *host, uint32_t frame, const uint8_t *bytes,
                               uint32_t size);
/* A time:Position: the transport at `frame` of the next block. */
int pnl_render_host_queue_position(PnlRenderHost *host, uint32_t frame, double beats_per_minute,
                                   int beats_per_bar, int beat_unit, int64_t bar,
                                   double bar_beat, double speed, int64_t timeline_frame);
/* A patch:Set of `property_uri` to an atom:Path. */
int pnl_render_host_queue_path(PnlRenderHost *host, uint32_t frame, const char *property_uri,
                               const char *path);

/* Runs one block of `frames` (<= max_block_frames): delivers the queued
 * events, writes the first two audio outputs into `left` and `right`, and
 * stores up to `midi_capacity` of the MIDI messages the plugin sent in `midi`
 * (`*midi_count` receives how many; PNL_ENOMEM if there were more). Worker
 * jobs scheduled in the block run before it returns. */
int pnl_render_host_run(PnlRenderHost *host, uint32_t frames, float *left, float *right,
                        PnlRenderMidi *midi, size_t midi_capacity, size_t *midi_count,
                        char *message, size_t message_size);

#endif
