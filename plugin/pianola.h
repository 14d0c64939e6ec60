/* One Pianola instance: what run(), the worker and state share, and which
 * thread writes each part. pianola.c is the LV2 glue (descriptor, ports,
 * run()); notify.c the notify port (MIDI out, the UI's messages); worker.c
 * the jobs run() hands to the host's worker thread; state.c save and
 * restore. */
#ifndef PIANOLA_PLUGIN_H
#define PIANOLA_PLUGIN_H

#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/worker/worker.h>
#include <stdatomic.h>
#include <stdint.h>

#include "capture.h"
#include "composer.h"
#include "lookahead.h"
#include "notify.h"
#include "ports.h"
#include "scheduler.h"
#include "synth.h"
#include "timeline.h"
#include "transport.h"
#include "uris.h"

enum {
    PNL_PATH_SIZE = 1024,
    PNL_CAPTURE_CAPACITY = 4096,  /* notes in one captured phrase */
    PNL_COMPOSE_CAPACITY = 2048,  /* notes one job may compose */
    PNL_MAX_EVENTS = 512,         /* scheduled events per segment */
    PNL_SYNC_JOBS_PER_CYCLE = 8,  /* bars composed per cycle by a synchronous worker */
    PNL_CONTROL_IN_BYTES = 65536  /* the control port's rsz:minimumSize */
};

/* A restored state on its way from restore() to the worker (through run()).
 * Its prompt is among its notes (PNL_ORIGIN_PROMPT). */
typedef struct {
    PnlTimelineNote *notes;
    uint32_t note_count;
    int32_t horizon_ticks;
    PnlComposeSettings settings; /* what the timeline was composed with */
    int has_settings;
    char soundfont_path[PNL_PATH_SIZE];
} PnlRestoredState;

typedef struct {
    /* Host features and constants (instantiate). */
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Logger logger;
    PnlUris uris;
    char bundle_path[PNL_PATH_SIZE];
    double sample_rate;

    /* Ports (connect_port). */
    const LV2_Atom_Sequence *control_in;
    LV2_Atom_Sequence *notify_out;
    float *audio_out[2];
    const float *controls[PNL_PORT_COUNT];

    /* --- run() only ------------------------------------------------- */
    PnlNotify notify; /* the notify port: MIDI out and the UI's messages */
    PnlSynth *synth; /* handed over by the worker in work_response() */
    PnlTransport transport;
    PnlScheduler scheduler;
    int activated_cycle;     /* first cycle after activate() */
    float gain, target_gain; /* volume, smoothed */
    float last_reroll;
    int generate;
    float humanize_velocity, humanize_timing;
    PnlComposeSettings wanted;   /* from the ports this cycle */
    PnlLookahead lookahead;      /* when to compose, where to cut */
    uint32_t jobs_scheduled;     /* timeline jobs handed to the worker */
    int restore_in_flight;       /* a RESTORE job's reply has not come yet */
    int capture_port_on;
    int capturing;
    double capture_start_ticks;
    int capture_handover_pending; /* a captured phrase waits for the worker */
    double capture_end_ticks;
    int capture_buffer;           /* which of capture_storage run() records into */
    /* The prompt is the timeline's PNL_ORIGIN_PROMPT notes, and nothing
     * else holds it; this is where its first note is, -1 when the timeline
     * holds none (none captured, or cut away since). */
    int32_t prompt_onset_ticks;
    PnlCapture capture;
    PnlTimelineNote *capture_storage[2];
    PnlScheduledEvent events[PNL_MAX_EVENTS];
    /* control_in copied to 8-byte alignment when a host hands it over
     * misaligned (aligned_control_in() in pianola.c). */
    uint64_t aligned_control_in[PNL_CONTROL_IN_BYTES / sizeof(uint64_t)];

    /* --- shared ----------------------------------------------------- */
    /* Writer: the worker (appends, publishes); run() truncates only when
     * jobs_completed == jobs_scheduled, i.e. while the worker is idle. */
    PnlTimeline *timeline;
    /* Incremented by the worker (release) after each timeline job. */
    _Atomic uint32_t jobs_completed;
    /* restore() leaves a state here; run() takes it (exchange) for the worker. */
    _Atomic(PnlRestoredState *) pending_restore;
    /* The SoundFont in use (written by run() on hand-over, read by save()). */
    char soundfont_path[PNL_PATH_SIZE];

    /* --- the worker only -------------------------------------------- */
    PnlComposer *composer;
    PnlTimelineNote *compose_buffer;
    /* Settings the timeline was last composed with (for save()). */
    PnlComposeSettings saved_settings;
    _Atomic int has_saved_settings;
} Pianola;

#endif
