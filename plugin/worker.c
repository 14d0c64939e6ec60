/* Worker jobs; see worker.h. */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "humanize.h"
#include "model.h"
#include "vocabulary.h"

void pnl_restored_state_free(PnlRestoredState *state)
{
    if (!state)
        return;
    free(state->notes);
    free(state);
}

int pnl_timeline_jobs_idle(const Pianola *self)
{
    return atomic_load_explicit(&((Pianola *)self)->jobs.completed, memory_order_acquire) ==
           self->jobs.scheduled;
}

int pnl_wait_for_timeline_jobs(const Pianola *self)
{
    /* The worker writes the timeline itself before it counts a job done,
     * so once the counts meet the notes are readable. */
    const struct timespec pause = {0, 200000}; /* 0.2 ms */
    for (int waited = 0; waited < 5 * 5000; waited++) {
        if (pnl_timeline_jobs_idle(self))
            return 1;
        nanosleep(&pause, NULL);
    }
    return pnl_timeline_jobs_idle(self);
}

int pnl_schedule_timeline_job(Pianola *self, const void *job, uint32_t size)
{
    /* Counted before scheduling: a synchronous worker completes the job
     * inside schedule_work(). */
    self->jobs.scheduled++;
    LV2_Worker_Schedule *schedule = self->host.schedule;
    if (schedule->schedule_work(schedule->handle, size, job) != LV2_WORKER_SUCCESS) {
        self->jobs.scheduled--;
        return -1;
    }
    return 0;
}

static void reply_message(LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle handle,
                          const char *text)
{
    PnlMessageReply reply = {.type = PNL_REPLY_MESSAGE};
    snprintf(reply.text, sizeof reply.text, "%s", text);
    respond(handle, sizeof reply, &reply);
}

static void job_finished(Pianola *self)
{
    atomic_fetch_add_explicit(&self->jobs.completed, 1, memory_order_release);
}

static void load_soundfont(Pianola *self, const char *path, LV2_Worker_Respond_Function respond,
                           LV2_Worker_Respond_Handle handle)
{
    char message[PNL_MESSAGE_SIZE] = "";
    PnlSynth *synth = pnl_synth_new(path, self->host.sample_rate, pnl_synth_outputs(self),
                                    message, sizeof message);
    if (!synth) {
        lv2_log_error(&self->host.logger, "Pianola: %s; keeping the SoundFont in use\n", message);
        reply_message(respond, handle, message);
        return;
    }
    PnlSynthMessage reply = {.type = PNL_REPLY_SYNTH, .synth = synth};
    if (respond(handle, sizeof reply, &reply) != LV2_WORKER_SUCCESS)
        pnl_synth_free(synth);
}

void pnl_bundled_model_path(const Pianola *self, const char *file, char *path, size_t size)
{
    size_t length = strlen(self->host.bundle_path);
    snprintf(path, size, "%s%smodels/%s", self->host.bundle_path,
             length && self->host.bundle_path[length - 1] == '/' ? "" : "/", file);
}

PnlModelInfo *pnl_model_info_new(const PnlEngine *engine, const char *path, int bundled)
{
    PnlModelInfo *info = calloc(1, sizeof *info);
    if (!info)
        return NULL;
    snprintf(info->path, sizeof info->path, "%s", path);
    info->bundled = bundled;
    const PnlModel *model = pnl_engine_model(engine);
    int count = pnl_model_choice_count(model);
    info->choice_count = count < PNL_COMPOSER_MAX_CHOICES ? count : PNL_COMPOSER_MAX_CHOICES;
    for (int c = 0; c < info->choice_count; c++) {
        snprintf(info->names[c], sizeof info->names[c], "%s", pnl_model_choice_name(model, c));
        snprintf(info->labels[c], sizeof info->labels[c], "%s", pnl_model_choice_label(model, c));
    }
    return info;
}

/* Whether two paths name one file. A host may save the SoundFont's path as
 * a link of its own (Ardour keeps one in the session folder): restoring
 * that must not load the piano in use a second time (a second or more for
 * a General MIDI SoundFont, and the swap would cut the notes sounding). */
static int same_file(const char *path, const char *other)
{
    struct stat file, other_file;
    if (!strcmp(path, other))
        return 1;
    return stat(path, &file) == 0 && stat(other, &other_file) == 0 &&
           file.st_dev == other_file.st_dev && file.st_ino == other_file.st_ino;
}

/* Loads and checks the model at `path` ("" = the bundled one) and makes it
 * the engine's; the one in use keeps composing when it cannot be (the log
 * and the UI say why). Returns 0 when loaded, else -1 with the reason in
 * message. */
static int load_model(Pianola *self, const char *path, int recompose,
                      LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle handle,
                      char *message, size_t message_size)
{
    char bundled[PNL_PATH_SIZE + 32];
    pnl_bundled_model_path(self, PNL_BUNDLED_PIANO_MODEL, bundled, sizeof bundled);
    const char *file = path[0] ? path : bundled;
    int is_bundled = !path[0] || same_file(path, bundled);
    /* 8-bit weights, as at instantiation (pianola.c says why). */
    PnlEngine *engine = pnl_engine_new(file, PNL_PRECISION_INT8, message, message_size);
    if (!engine)
        return -1;
    PnlModelInfo *info = pnl_model_info_new(engine, file, is_bundled);
    if (!info) {
        pnl_engine_free(engine);
        snprintf(message, message_size, "%.200s: out of memory", file);
        return -1;
    }
    pnl_engine_free(self->worker.engine);
    self->worker.engine = engine;
    snprintf(self->worker.model_path, sizeof self->worker.model_path, "%s", file);
    self->worker.model_bundled = is_bundled;
    self->worker.density_note_logged = 0;
    self->worker.compose_note[0] = '\0';
    atomic_store_explicit(&self->worker.has_engine, 1, memory_order_release);
    PnlModelMessage reply = {.type = PNL_REPLY_MODEL, .model = info, .recompose = recompose};
    if (respond(handle, sizeof reply, &reply) != LV2_WORKER_SUCCESS)
        free(info);
    return 0;
}

/* A model a person chose (the property, from the UI or the host). */
static void choose_model(Pianola *self, const char *path, LV2_Worker_Respond_Function respond,
                         LV2_Worker_Respond_Handle handle)
{
    char message[PNL_MESSAGE_SIZE] = "";
    if (load_model(self, path, 1, respond, handle, message, sizeof message) != 0) {
        lv2_log_error(&self->host.logger, "Pianola: %s; keeping the model in use\n", message);
        char text[PNL_MESSAGE_SIZE];
        snprintf(text, sizeof text, "%.200s; keeping the model in use", message);
        reply_message(respond, handle, text);
    }
}

/* The index of the choice called `name` in the engine's model, or -1. */
static int32_t find_choice(const PnlEngine *engine, const char *name)
{
    const PnlModel *model = pnl_engine_model(engine);
    for (int c = 0; c < pnl_model_choice_count(model); c++)
        if (!strcmp(pnl_model_choice_name(model, c), name))
            return c;
    return -1;
}

/* A restored session's model: the one it saved, else the bundled one with
 * a message saying why (a file moved, deleted or broken since). Then its
 * composer, by name, where the model's list holds it at another index. */
static void restore_model(Pianola *self, PnlRestoredState *state, PnlComposerPin *pin,
                          LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle handle)
{
    char message[PNL_MESSAGE_SIZE] = "";
    const char *wanted = state->model_path;
    int in_use = wanted[0] ? self->worker.engine && same_file(wanted, self->worker.model_path)
                           : self->worker.model_bundled;
    if (!in_use && load_model(self, wanted, 0, respond, handle, message, sizeof message) != 0) {
        char text[PNL_MESSAGE_SIZE];
        if (!self->worker.model_bundled) {
            char fallback[PNL_MESSAGE_SIZE] = "";
            if (load_model(self, "", 0, respond, handle, fallback, sizeof fallback) != 0)
                lv2_log_error(&self->host.logger, "Pianola: %s\n", fallback);
        }
        lv2_log_warning(&self->host.logger,
                        "Pianola: the session's model could not be loaded: %s; composing "
                        "with the bundled model instead\n", message);
        snprintf(text, sizeof text, "the session's model could not be loaded: %.150s; "
                 "composing with the bundled model", message);
        reply_message(respond, handle, text);
    }
    if (!self->worker.engine || !state->has_settings || !state->composer_name[0])
        return;
    int32_t found = find_choice(self->worker.engine, state->composer_name);
    if (found < 0) {
        const PnlModel *model = pnl_engine_model(self->worker.engine);
        int count = pnl_model_choice_count(model), saved = state->settings.composer_choice;
        char text[PNL_MESSAGE_SIZE];
        snprintf(text, sizeof text, "the session's composer \"%s\" is not in this model; "
                 "composing as %s", state->composer_name,
                 pnl_model_choice_label(model, saved < count ? saved : count - 1));
        lv2_log_warning(&self->host.logger, "Pianola: %s\n", text);
        reply_message(respond, handle, text);
    } else if (found != state->settings.composer_choice) {
        *pin = (PnlComposerPin){.active = 1, .port_choice = state->settings.composer_choice,
                                .choice = found};
        state->settings.composer_choice = found;
    }
}

/* The engine that composes with these settings: the session's, but the
 * bundle's ensemble network for an ensemble while the session composes
 * with the bundled piano model (engine.h). It is loaded here, on the
 * worker, the first time an ensemble is asked for; when it cannot be, the
 * log says so once and the piano model composes (solo piano). */
static PnlEngine *composing_engine(Pianola *self, const PnlComposeSettings *settings)
{
    PnlWorkerSide *worker = &self->worker;
    if (!settings->ensemble || !worker->model_bundled || !worker->engine)
        return worker->engine;
    if (!worker->ensemble_engine && !worker->ensemble_engine_failed) {
        char path[PNL_PATH_SIZE + 32], message[PNL_MESSAGE_SIZE] = "";
        pnl_bundled_model_path(self, pnl_bundled_model_for(settings->ensemble), path,
                               sizeof path);
        worker->ensemble_engine = pnl_engine_new(path, PNL_PRECISION_INT8, message, sizeof message);
        if (!worker->ensemble_engine) {
            lv2_log_error(&self->host.logger, "Pianola: %s; the ensembles play solo piano\n",
                          message);
            worker->ensemble_engine_failed = 1;
        }
    }
    return worker->ensemble_engine ? worker->ensemble_engine : worker->engine;
}

/* The timeline from `ticks` on was rewritten: every engine forgets it. */
static void forget_from(Pianola *self, int32_t ticks)
{
    if (self->worker.engine)
        pnl_engine_forget(self->worker.engine, ticks);
    if (self->worker.ensemble_engine)
        pnl_engine_forget(self->worker.ensemble_engine, ticks);
}

/* Appends notes an onset at a time, humanizing each onset as it is
 * complete. */
static int append_humanized(Pianola *self, const PnlComposeSettings *settings,
                            PnlTimelineNote *notes, uint32_t count)
{
    PnlHumanizeStyle style = {.seed = ((uint64_t)settings->seed << 32) ^ 0x5049414e4f4c41ull,
                              .bar_ticks = settings->bar_ticks,
                              .beat_ticks = settings->beat_ticks,
                              .phrase_bars = 4};
    uint32_t start = 0;
    while (start < count) {
        uint32_t end = start + 1;
        while (end < count && notes[end].onset_ticks == notes[start].onset_ticks)
            end++;
        pnl_humanize_onset(&style, &notes[start], (int)(end - start));
        for (uint32_t i = start; i < end; i++) {
            int status = pnl_timeline_append(self->timeline, &notes[i]);
            if (status != 0)
                return status;
        }
        start = end;
    }
    return 0;
}

static void compose(Pianola *self, const PnlComposeSettings *settings, int32_t from_ticks,
                    int32_t until_ticks, LV2_Worker_Respond_Function respond,
                    LV2_Worker_Respond_Handle handle)
{
    if (self->worker.engine && settings->density != PNL_DENSITY_AUTOMATIC &&
        !self->worker.density_note_logged &&
        !pnl_vocab_has_density(pnl_model_vocab_size(pnl_engine_model(self->worker.engine)))) {
        /* Nothing fakes a density by leaving notes out: the model was
         * trained before the DENSITY tokens, so it composes as it would. */
        lv2_log_note(&self->host.logger,
                     "Pianola: %s was trained without density tokens; the Density control "
                     "has no effect with it\n",
                     self->worker.model_path);
        self->worker.density_note_logged = 1;
    }
    PnlEngine *engine = composing_engine(self, settings);
    if (engine && until_ticks > from_ticks) {
        uint32_t context_count = pnl_timeline_find(self->timeline, from_ticks);
        uint32_t count = 0;
        char message[PNL_MESSAGE_SIZE] = "";
        int status = pnl_engine_compose(engine, settings,
                                        pnl_timeline_notes(self->timeline), context_count,
                                        from_ticks, until_ticks, self->worker.compose_buffer,
                                        PNL_COMPOSE_CAPACITY, &count, message, sizeof message);
        if (status != 0) {
            lv2_log_error(&self->host.logger, "Pianola: composing failed: %s\n", message);
            reply_message(respond, handle, message);
        } else if (append_humanized(self, settings, self->worker.compose_buffer, count) != 0) {
            reply_message(respond, handle, "the timeline is full; not composing further");
        } else if (strcmp(message, self->worker.compose_note) != 0) {
            /* Said once, not every bar, and again when it changes. */
            if (message[0]) {
                lv2_log_note(&self->host.logger, "Pianola: %s\n", message);
                reply_message(respond, handle, message);
            }
            snprintf(self->worker.compose_note, sizeof self->worker.compose_note, "%s", message);
        }
    }
    self->worker.saved_settings = *settings;
    if (engine)
        self->worker.saved_memory_from_ticks = pnl_engine_memory_from(engine);
    atomic_store_explicit(&self->worker.has_saved_settings, 1, memory_order_release);
    pnl_timeline_publish(self->timeline, until_ticks);
}

static void set_prompt(Pianola *self, const PnlPromptJob *job, LV2_Worker_Respond_Function respond,
                       LV2_Worker_Respond_Handle handle)
{
    /* The phrase goes into the timeline, its one home: run() records the
     * next capture into the other buffer. */
    const PnlTimelineNote *captured = self->capture_storage[job->buffer & 1];
    forget_from(self, job->cut_ticks);
    uint32_t count = job->note_count < PNL_CAPTURE_CAPACITY ? job->note_count
                                                            : PNL_CAPTURE_CAPACITY;
    PnlEngine *engine = composing_engine(self, &job->settings);
    int part = engine ? pnl_ensemble_prompt_part(pnl_engine_parts(engine, &job->settings),
                                                 job->prompt_part)
                      : PNL_PART_PIANO;
    for (uint32_t i = 0; i < count; i++) {
        PnlTimelineNote note = captured[i];
        note.part = (uint8_t)part;
        note.velocity_shape = 0; /* played by a person: already human */
        note.timing_shape_ms = 0.0f;
        if (pnl_timeline_append(self->timeline, &note) != 0)
            break;
    }
    pnl_timeline_publish(self->timeline, job->continue_ticks);
    compose(self, &job->settings, job->continue_ticks, job->until_ticks, respond, handle);
}

static void restore(Pianola *self, PnlRestoredState *state, LV2_Worker_Respond_Function respond,
                    LV2_Worker_Respond_Handle handle)
{
    int32_t prompt_onset_ticks = -1;
    PnlComposerPin pin = {0};
    restore_model(self, state, &pin, respond, handle);
    /* The engine hears the restored notes anew when it composes on, from
     * where its memory began when the state was saved. */
    forget_from(self, 0);
    PnlEngine *engine = composing_engine(self, &state->settings);
    if (engine)
        pnl_engine_restore_memory(engine, &state->settings,
                                  state->has_settings ? state->memory_from_ticks : -1);
    for (uint32_t i = 0; i < state->note_count; i++) {
        if (pnl_timeline_append(self->timeline, &state->notes[i]) != 0) {
            reply_message(respond, handle, "the saved timeline is longer than fits; cut short");
            break;
        }
        if (state->notes[i].origin == PNL_ORIGIN_PROMPT && prompt_onset_ticks < 0)
            prompt_onset_ticks = state->notes[i].onset_ticks;
    }
    pnl_timeline_publish(self->timeline, state->horizon_ticks);
    if (state->has_settings) {
        self->worker.saved_settings = state->settings;
        self->worker.saved_memory_from_ticks =
            state->memory_from_ticks > 0 ? state->memory_from_ticks : 0;
        atomic_store_explicit(&self->worker.has_saved_settings, 1, memory_order_release);
    }
    /* The MIDI plugin has no piano: a state the piano saved plays on
     * without its SoundFont there. */
    if (pnl_variant_has_sound(self->host.variant) && state->soundfont_path[0] &&
        !same_file(state->soundfont_path, self->soundfont_path))
        load_soundfont(self, state->soundfont_path, respond, handle);
    PnlRestoredReply reply = {.type = PNL_REPLY_RESTORED, .settings = state->settings,
                              .has_settings = state->has_settings,
                              .horizon_ticks = state->horizon_ticks,
                              .prompt_onset_ticks = prompt_onset_ticks,
                              .composer_pin = pin};
    respond(handle, sizeof reply, &reply);
    pnl_restored_state_free(state);
}

LV2_Worker_Status pnl_work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                           LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    Pianola *self = instance;
    if (size < sizeof(uint32_t))
        return LV2_WORKER_ERR_UNKNOWN;
    uint32_t type = *(const uint32_t *)data;
    switch (type) {
    case PNL_JOB_LOAD_SOUNDFONT:
        if (size != sizeof(PnlLoadSoundfontJob))
            return LV2_WORKER_ERR_UNKNOWN;
        load_soundfont(self, ((const PnlLoadSoundfontJob *)data)->path, respond, handle);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_FREE_SYNTH:
        if (size != sizeof(PnlSynthMessage))
            return LV2_WORKER_ERR_UNKNOWN;
        pnl_synth_free(((const PnlSynthMessage *)data)->synth);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_COMPOSE:
        if (size != sizeof(PnlComposeJob))
            return LV2_WORKER_ERR_UNKNOWN;
        {
            const PnlComposeJob *job = data;
            compose(self, &job->settings, job->from_ticks, job->until_ticks, respond, handle);
        }
        job_finished(self);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_SET_PROMPT:
        if (size != sizeof(PnlPromptJob))
            return LV2_WORKER_ERR_UNKNOWN;
        set_prompt(self, data, respond, handle);
        job_finished(self);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_RESTORE:
        if (size != sizeof(PnlRestoreJob))
            return LV2_WORKER_ERR_UNKNOWN;
        restore(self, ((const PnlRestoreJob *)data)->state, respond, handle);
        job_finished(self);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_LOAD_MODEL:
        if (size != sizeof(PnlLoadModelJob))
            return LV2_WORKER_ERR_UNKNOWN;
        choose_model(self, ((const PnlLoadModelJob *)data)->path, respond, handle);
        return LV2_WORKER_SUCCESS;
    case PNL_JOB_FREE_MODEL_INFO:
        if (size != sizeof(PnlModelMessage))
            return LV2_WORKER_ERR_UNKNOWN;
        free(((const PnlModelMessage *)data)->model);
        return LV2_WORKER_SUCCESS;
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
}

LV2_Worker_Status pnl_work_response(LV2_Handle instance, uint32_t size, const void *data)
{
    Pianola *self = instance;
    if (size < sizeof(uint32_t))
        return LV2_WORKER_ERR_UNKNOWN;
    switch (*(const uint32_t *)data) {
    case PNL_REPLY_SYNTH: {
        if (size != sizeof(PnlSynthMessage))
            return LV2_WORKER_ERR_UNKNOWN;
        PnlSynth *old = self->playback.synth;
        self->playback.synth = ((const PnlSynthMessage *)data)->synth;
        /* Copying a path in run() is bounded work; no allocation. */
        snprintf(self->soundfont_path, sizeof self->soundfont_path, "%s",
                 pnl_synth_soundfont_path(self->playback.synth));
        pnl_notify_soundfont(&self->notify);
        if (old) {
            PnlSynthMessage job = {.type = PNL_JOB_FREE_SYNTH, .synth = old};
            /* If the queue is full the old synth leaks rather than being
             * freed here, in the audio thread. */
            self->host.schedule->schedule_work(self->host.schedule->handle, sizeof job, &job);
        }
        return LV2_WORKER_SUCCESS;
    }
    case PNL_REPLY_MESSAGE:
        if (size != sizeof(PnlMessageReply))
            return LV2_WORKER_ERR_UNKNOWN;
        pnl_notify_message(&self->notify, "%s", ((const PnlMessageReply *)data)->text);
        return LV2_WORKER_SUCCESS;
    case PNL_REPLY_RESTORED: {
        if (size != sizeof(PnlRestoredReply))
            return LV2_WORKER_ERR_UNKNOWN;
        const PnlRestoredReply *reply = data;
        pnl_lookahead_restored(&self->lookahead, &reply->settings, reply->has_settings,
                               reply->horizon_ticks);
        /* The re-roll count is no port the host restores: without it the
         * restored music would differ from the wanted and be composed anew. */
        if (reply->has_settings)
            self->wanted.variation = reply->settings.variation;
        self->capture.prompt_onset_ticks = reply->prompt_onset_ticks;
        self->composer_pin = reply->composer_pin;
        pnl_notify_resend_timeline(&self->notify);
        self->jobs.restore_in_flight = 0;
        return LV2_WORKER_SUCCESS;
    }
    case PNL_REPLY_MODEL: {
        if (size != sizeof(PnlModelMessage))
            return LV2_WORKER_ERR_UNKNOWN;
        const PnlModelMessage *reply = data;
        self->model = *reply->model;
        pnl_notify_model(&self->notify);
        if (reply->recompose) {
            /* Another list: the port's number means another composer now. */
            self->composer_pin.active = 0;
            pnl_lookahead_reroll(&self->lookahead);
        }
        PnlModelMessage job = {.type = PNL_JOB_FREE_MODEL_INFO, .model = reply->model};
        /* If the queue is full it leaks rather than being freed here. */
        self->host.schedule->schedule_work(self->host.schedule->handle, sizeof job, &job);
        return LV2_WORKER_SUCCESS;
    }
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
}
