/* Worker jobs: everything slow or allocating that run() needs done. run()
 * sends small typed messages through the host's work:schedule; work() does
 * the job on the host's worker thread (or inline, when a host exporting
 * runs the worker synchronously), and work_response() hands results back
 * to run().
 *
 * Ownership moves through the messages: a new synth is built in work(),
 * swapped in by work_response(), and the old one goes back in a FREE_SYNTH
 * job, so run() never frees. A model is loaded and checked in work(), and
 * the engine swapped there (the worker is its only user); what run() and
 * save() see of it (PnlModelInfo) comes back in a reply, is copied into the
 * instance, and goes back in a FREE_MODEL_INFO job. Timeline jobs only
 * append (timeline.h); run() does every truncation itself, between jobs, so
 * it never sees a half-written timeline. */
#ifndef PIANOLA_WORKER_H
#define PIANOLA_WORKER_H

#include "pianola.h"

typedef enum {
    PNL_JOB_LOAD_SOUNDFONT = 1,
    PNL_JOB_FREE_SYNTH = 2,
    PNL_JOB_COMPOSE = 3,
    PNL_JOB_SET_PROMPT = 4,
    PNL_JOB_RESTORE = 5,
    PNL_JOB_LOAD_MODEL = 6,
    PNL_JOB_FREE_MODEL_INFO = 7,
    PNL_REPLY_SYNTH = 101,
    PNL_REPLY_MESSAGE = 102,
    PNL_REPLY_RESTORED = 103,
    PNL_REPLY_MODEL = 104
} PnlMessageType;

typedef struct {
    uint32_t type;
    char path[PNL_PATH_SIZE]; /* "" = the bundled model */
} PnlLoadModelJob;

typedef struct {
    uint32_t type;
    PnlModelInfo *model;
    /* A model a person chose: what is composed from the playhead on is
     * composed again by it. 0 for a restored session's, which composed
     * the restored timeline. */
    int recompose;
} PnlModelMessage; /* FREE_MODEL_INFO and REPLY_MODEL */

typedef struct {
    uint32_t type;
    char path[PNL_PATH_SIZE];
} PnlLoadSoundfontJob;

typedef struct {
    uint32_t type;
    PnlSynth *synth;
} PnlSynthMessage; /* FREE_SYNTH and REPLY_SYNTH */

typedef struct {
    uint32_t type;
    PnlComposeSettings settings;
    int32_t from_ticks;
    int32_t until_ticks;
} PnlComposeJob;

typedef struct {
    uint32_t type;
    PnlComposeSettings settings;
    int buffer;             /* which capture storage holds the phrase */
    uint32_t note_count;
    int32_t cut_ticks;      /* where run() cut the timeline for the phrase */
    int32_t continue_ticks; /* the model starts here */
    int32_t until_ticks;    /* and composes up to here (the next bar line) */
    int32_t prompt_part;    /* who plays it: a PNL_PROMPT_PART_CHOICES index */
} PnlPromptJob;

typedef struct {
    uint32_t type;
    PnlRestoredState *state;
} PnlRestoreJob;

typedef struct {
    uint32_t type;
    char text[PNL_MESSAGE_SIZE];
} PnlMessageReply;

typedef struct {
    uint32_t type;
    PnlComposeSettings settings;
    int has_settings;
    int32_t horizon_ticks;
    int32_t prompt_onset_ticks; /* the restored prompt's first note, -1 none */
    PnlComposerPin composer_pin;
} PnlRestoredReply;

LV2_Worker_Status pnl_work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                           LV2_Worker_Respond_Handle handle, uint32_t size, const void *data);
LV2_Worker_Status pnl_work_response(LV2_Handle instance, uint32_t size, const void *data);

/* From run(): true when no timeline job is in flight (the worker is not
 * writing the timeline, so run() may truncate it). */
int pnl_timeline_jobs_idle(const Pianola *self);
/* Freewheeling (an export) only, never in real time: waits, up to a few
 * seconds, for a threaded worker to finish the timeline jobs in flight, so
 * the notes are there before the host plays past them however busy the
 * machine is. Returns 1 if the jobs finished. */
int pnl_wait_for_timeline_jobs(const Pianola *self);
/* From run(): hands a timeline job to the worker; 0 on success. */
int pnl_schedule_timeline_job(Pianola *self, const void *job, uint32_t size);

void pnl_restored_state_free(PnlRestoredState *state);

/* The bundle's models/<file> (PNL_BUNDLED_PIANO_MODEL, ...). */
void pnl_bundled_model_path(const Pianola *self, const char *file, char *path, size_t size);
/* What run() and save() see of the engine's model at `path`; NULL when out
 * of memory. */
PnlModelInfo *pnl_model_info_new(const PnlEngine *engine, const char *path, int bundled);

#endif
