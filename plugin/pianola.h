/* One Pianola instance: what run(), the worker and state share, and which
 * thread writes each part. pianola.c is the LV2 glue (descriptor, ports,
 * run()); notify.c the notify port (MIDI out, the UI's messages); worker.c
 * the jobs run() hands to the host's worker thread; state.c save and
 * restore.
 *
 * The instance is grouped by owner: host (constant after instantiate), io
 * and the controls (connect_port, then run()), run()'s own parts (playback,
 * capture, lookahead, notify; work_response() runs in the audio thread and
 * touches them too), the shared part (timeline, jobs, capture_storage,
 * pending_restore, soundfont_path, model, each with how it is shared), and
 * the worker's (the composing engine; the settings save() reads). */
#ifndef PIANOLA_PLUGIN_H
#define PIANOLA_PLUGIN_H

#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/worker/worker.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "capture.h"
#include "lookahead.h"
#include "notify.h"
#include "ports.h"
#include "scheduler.h"
#include "synth.h"
#include "timeline.h"
#include "transport.h"
#include "uris.h"
#include "variant.h"

enum {
    PNL_PATH_SIZE = 1024,
    PNL_CAPTURE_CAPACITY = 4096,  /* notes in one captured phrase */
    PNL_COMPOSE_CAPACITY = 2048,  /* notes one job may compose */
    PNL_MAX_NOTE_MESSAGES = 512,  /* scheduled note-ons and note-offs per segment */
    PNL_SYNC_JOBS_PER_CYCLE = 8,  /* bars composed per cycle by a synchronous worker */
    PNL_EXPORT_UPKEEP_ROUNDS = 16, /* exporting: schedule-and-wait rounds per cycle */
    PNL_CONTROL_IN_BYTES = 65536  /* the control port's rsz:minimumSize */
};

/* The model in use as run(), save() and the UI see it: its path and its
 * composer choices (names and labels), copied from the engine when the
 * worker loads a model. Built in work(), copied into the instance in
 * work_response() (bounded, no allocation) and freed by a later worker
 * job, so save() never reads one being freed. */
typedef struct {
    char path[PNL_PATH_SIZE];
    int bundled; /* the bundle's own models/pianola.pnm */
    int choice_count;
    char names[PNL_COMPOSER_MAX_CHOICES][PNL_WEIGHTS_NAME_BYTES + 1];
    char labels[PNL_COMPOSER_MAX_CHOICES][PNL_WEIGHTS_LABEL_BYTES + 1];
} PnlModelInfo;

/* A restored composer whose model lists it at another index than the one
 * saved: while the Composer port keeps the saved value, it means this
 * choice (the host restores the port's number, the state the name). */
typedef struct {
    int active;
    int32_t port_choice;
    int32_t choice;
} PnlComposerPin;

/* A restored state on its way from restore() to the worker (through run()).
 * Its prompt is among its notes (PNL_ORIGIN_PROMPT). */
typedef struct {
    PnlTimelineNote *notes;
    uint32_t note_count;
    int32_t horizon_ticks;
    PnlComposeSettings settings; /* what the timeline was composed with */
    int has_settings;
    int32_t memory_from_ticks;   /* where the engine's memory began, -1 not saved */
    char soundfont_path[PNL_PATH_SIZE];
    /* The model the session composed with ("" = the bundled one) and the
     * chosen composer's name ("" = not saved: the settings' index holds). */
    char model_path[PNL_PATH_SIZE];
    char composer_name[PNL_WEIGHTS_NAME_BYTES + 1];
} PnlRestoredState;

/* Host features and constants: written by instantiate(), read by every
 * thread after. */
typedef struct {
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Logger logger;
    PnlUris uris;
    char bundle_path[PNL_PATH_SIZE];
    double sample_rate;
    /* Which plugin this instance is (variant.h): the MIDI one has no synth,
     * no audio ports and no volume, and passes MIDI in through to MIDI out;
     * the parts one has a stereo pair per part in place of the one mix. */
    PnlVariant variant;
} PnlHostContext;

/* The atom and audio port buffers: connect_port() sets them, run() uses
 * them (the host never calls the two at once). */
typedef struct {
    const LV2_Atom_Sequence *control_in;
    LV2_Atom_Sequence *notify_out;
    /* The piano's mix in the first two; the parts plugin's pairs, part by
     * part (left, right), in all of them (ports.h, PNL_PART_AUDIO_PORTS).
     * None in the MIDI plugin. */
    float *audio_out[2 * PNL_PART_COUNT];
    /* control_in copied to 8-byte alignment when a host hands it over
     * misaligned (aligned_control_in() in pianola.c). */
    uint64_t aligned_control_in[PNL_CONTROL_IN_BYTES / sizeof(uint64_t)];
} PnlPortBuffers;

/* Playing: the piano, the scheduler and the switches that start and stop
 * them. run() only (work_response(), which hands a new synth over, runs in
 * the audio thread too). */
typedef struct {
    PnlSynth *synth; /* handed over by the worker in work_response() */
    PnlScheduler scheduler;
    PnlNoteMessage note_messages[PNL_MAX_NOTE_MESSAGES];
    int activated_cycle; /* first cycle after activate() */
    float gain;          /* volume now, ramping to target_gain */
    int generate;        /* the generate toggle */
    float last_reroll;   /* the re-roll trigger's last value, for its edge */
} PnlPlayback;

/* Capturing MIDI in as the prompt: run() only. The notes are recorded into
 * the shared capture_storage and handed to the worker in a SET_PROMPT job. */
typedef struct {
    int port_on;          /* the capture toggle's last value, for its edges */
    int active;           /* listening: Pianola is silent and records */
    double start_ticks;   /* where the capture began */
    double end_ticks;     /* and ended */
    int handover_pending; /* a captured phrase waits for the worker */
    int buffer;           /* which of capture_storage the recorder writes */
    PnlCapture recorder;
    /* The prompt is the timeline's PNL_ORIGIN_PROMPT notes, and nothing
     * else holds it; this is where its first note is, -1 when the timeline
     * holds none (none captured, or cut away since). */
    int32_t prompt_onset_ticks;
} PnlCaptureSide;

/* Timeline jobs in flight between run() and the worker (worker.c). */
typedef struct {
    uint32_t scheduled;        /* run() only: jobs handed to the worker */
    _Atomic uint32_t completed; /* the worker increments it (release) after each */
    int restore_in_flight;      /* run() only: a RESTORE job's reply has not come yet */
} PnlTimelineJobs;

/* The composing side: the worker only, but for what save() reads. */
typedef struct {
    /* The worker swaps it when it loads a model, and frees the old one
     * there; run() only asks whether there is one, through has_engine
     * (release by the worker, acquire by run()). */
    PnlEngine *engine;
    _Atomic int has_engine;
    /* The bundle's ensemble network, for an ensemble while the bundled
     * piano model is the session's (worker.c, composing_engine); loaded on
     * the worker when first asked for. Worker only. */
    PnlEngine *ensemble_engine;
    int ensemble_engine_failed;
    /* The engine's model file, and whether it is the bundled one. */
    char model_path[PNL_PATH_SIZE + 32]; /* the bundle's path, and models/pianola.pnm */
    int model_bundled;
    /* Whether the host's log was told that this engine's model ignores a
     * set Density (trained without density tokens): once a model. Worker
     * only. */
    int density_note_logged;
    /* The engine's last note about composing (the model lacks the chosen
     * composer or the ensemble's parts), logged once until it changes. */
    char compose_note[PNL_MESSAGE_SIZE];
    PnlTimelineNote *compose_buffer;
    /* Settings the timeline was last composed with: the worker writes them,
     * then sets has_saved_settings (release); save() reads it (acquire). */
    PnlComposeSettings saved_settings;
    int32_t saved_memory_from_ticks; /* pnl_engine_memory_from() with them */
    _Atomic int has_saved_settings;
} PnlWorkerSide;

typedef struct {
    PnlHostContext host;
    PnlPortBuffers io;

    /* --- run() only ------------------------------------------------- */
    /* The control ports (connect_port) and what read_ports() makes of them
     * each cycle. */
    const float *controls[PNL_PORT_COUNT];
    PnlComposeSettings wanted; /* the settings the ports ask for */
    float humanize_velocity, humanize_timing;
    /* The melody part's instrument (a PNL_MELODY_INSTRUMENT_CHOICES index):
     * which synth channel its notes play on (pnl_synth_channel). */
    int32_t melody_instrument;
    /* The live channel each key's last note-on on MIDI in sounds on. */
    uint8_t live_channels[128];
    float target_gain;         /* the volume port as a gain */
    PnlTransport transport;    /* the host's playhead, or the internal tempo */

    PnlPlayback playback;
    PnlCaptureSide capture;
    PnlLookahead lookahead; /* when to compose, where to cut */
    PnlNotify notify;       /* the notify port: MIDI out and the UI's messages */

    /* --- shared ----------------------------------------------------- */
    /* Writer: the worker (appends, publishes); run() truncates only when no
     * job is in flight (jobs.completed == jobs.scheduled), i.e. while the
     * worker is idle. save() reads what is published. */
    PnlTimeline *timeline;
    PnlTimelineJobs jobs;
    /* run() records into one (capture.buffer) while a SET_PROMPT job hands
     * the other to the worker, which appends it to the timeline. */
    PnlTimelineNote *capture_storage[2];
    /* restore() leaves a state here; run() takes it (exchange) for the worker. */
    _Atomic(PnlRestoredState *) pending_restore;
    /* The SoundFont in use (written by run() on hand-over, read by save()
     * and by a RESTORE job). */
    char soundfont_path[PNL_PATH_SIZE];
    /* The model in use (choice_count 0: none): instantiate() sets the
     * first, run() copies in the worker's in work_response(); save() reads
     * it, as it reads soundfont_path. */
    PnlModelInfo model;
    PnlComposerPin composer_pin; /* run() only (set by a RESTORED reply) */

    /* --- the worker only -------------------------------------------- */
    PnlWorkerSide worker;
} Pianola;

/* What this plugin's synths render (synth.h): a pair per part for the
 * parts plugin, else the mix. Any thread. */
static inline PnlSynthOutputs pnl_synth_outputs(const Pianola *self)
{
    return self->host.variant == PNL_VARIANT_PARTS ? PNL_SYNTH_PER_PART : PNL_SYNTH_MIX;
}

#endif
