/* A small in-process LV2 host built on lilv, for Pianola's tests and
 * benchmarks: it loads a plugin by URI (from a given bundle or LV2_PATH),
 * supplies urid:map/unmap, work:schedule, log:log and options, connects
 * every port, feeds the atom input (MIDI, time:Position, patch:Set, bare
 * objects), runs blocks, collects the first two audio outputs and the MIDI
 * the plugin sends, and saves and restores state (as Turtle text, so a
 * state can move between instances and hosts).
 *
 * The worker runs either synchronously inside run(), as hosts do when they
 * export, or on its own thread with lock-free queues, as live hosts do;
 * responses are delivered after each run(). A callback around every run()
 * lets a test know when the plugin is inside its audio thread (the
 * real-time-safety test counts allocations there); a synchronous worker job
 * is not counted as inside run(). */
#ifndef PIANOLA_LV2HOST_H
#define PIANOLA_LV2HOST_H

#include <stddef.h>
#include <stdint.h>

typedef struct PnlLv2Host PnlLv2Host;

typedef enum { PNL_WORKER_SYNC = 0, PNL_WORKER_THREADED = 1 } PnlWorkerMode;

typedef struct {
    const char *plugin_uri;
    const char *bundle_path; /* a bundle directory to load, or NULL for LV2_PATH */
    double sample_rate;
    uint32_t max_block;      /* the largest block run() will get */
    PnlWorkerMode worker_mode;
    /* Threaded worker only: each job starts this many microseconds late, as
     * on a busy machine (tests). */
    unsigned worker_delay_us;
    /* Called for each log message; NULL prints errors and warnings to stderr. */
    void (*log)(void *data, const char *level, const char *text);
    void *log_data;
    /* Called with entering = 1 just before run() and 0 just after. */
    void (*around_run)(void *data, int entering);
    void *around_run_data;
} PnlLv2HostOptions;

typedef struct {
    uint32_t frame;
    uint8_t size;
    uint8_t bytes[3];
} PnlHostMidi;

PnlLv2Host *pnl_lv2host_new(const PnlLv2HostOptions *options, char *message, size_t message_size);
void pnl_lv2host_free(PnlLv2Host *host);

/* Control inputs by symbol; PNL_EINVAL for an unknown symbol. */
int pnl_lv2host_set_control(PnlLv2Host *host, const char *symbol, float value);
float pnl_lv2host_control(const PnlLv2Host *host, const char *symbol);

/* Events for the next block, in frame order. */
int pnl_lv2host_queue_midi(PnlLv2Host *host, uint32_t frame, const uint8_t *bytes, uint32_t size);
int pnl_lv2host_queue_position(PnlLv2Host *host, uint32_t frame, double beats_per_minute,
                               double beats_per_bar, int beat_unit, int64_t bar,
                               double bar_beat, double speed);
int pnl_lv2host_queue_path(PnlLv2Host *host, uint32_t frame, const char *property_uri,
                           const char *path);
/* An atom:Object with no properties (e.g. pianola:UiOn). */
int pnl_lv2host_queue_object(PnlLv2Host *host, uint32_t frame, const char *type_uri);

/* Runs one block (frames <= max_block); left/right may be NULL. */
int pnl_lv2host_run(PnlLv2Host *host, uint32_t frames, float *left, float *right);
/* The last block's buffer of the audio output `symbol` ("violin_1_left"),
 * or NULL where the plugin has no such audio output. */
const float *pnl_lv2host_audio(const PnlLv2Host *host, const char *symbol);
/* The MIDI the plugin sent in the last block. */
size_t pnl_lv2host_midi(const PnlLv2Host *host, const PnlHostMidi **events);
/* The notify port's whole sequence from the last block (an LV2_Atom_Sequence). */
const void *pnl_lv2host_notify(const PnlLv2Host *host);

/* Deactivates and activates the instance again (as a host does when its
 * engine restarts or the plugin is bypassed). */
void pnl_lv2host_restart(PnlLv2Host *host);

/* Threaded worker: waits until every scheduled job is done, then delivers
 * the responses (as the next run() would). */
void pnl_lv2host_wait_for_worker(PnlLv2Host *host);

/* State as Turtle text (malloc'd; free with free()), and back; restoring
 * returns PNL_EFORMAT, touching nothing, for text that does not parse or
 * names no pset:Preset. */
char *pnl_lv2host_save_state(PnlLv2Host *host);
int pnl_lv2host_restore_state(PnlLv2Host *host, const char *turtle);
/* Applies a preset by its URI; PNL_EINVAL when there is none. */
int pnl_lv2host_apply_preset(PnlLv2Host *host, const char *preset_uri);

uint32_t pnl_lv2host_map(PnlLv2Host *host, const char *uri);
const char *pnl_lv2host_unmap(PnlLv2Host *host, uint32_t urid);

#endif
