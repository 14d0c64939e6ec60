/* Worker jobs; see worker.h. */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "humanize.h"

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
    PnlSynth *synth = pnl_synth_new(path, self->host.sample_rate, message, sizeof message);
    if (!synth) {
        lv2_log_error(&self->host.logger, "Pianola: %s; keeping the SoundFont in use\n", message);
        reply_message(respond, handle, message);
        return;
    }
    PnlSynthMessage reply = {.type = PNL_REPLY_SYNTH, .synth = synth};
    if (respond(handle, sizeof reply, &reply) != LV2_WORKER_SUCCESS)
        pnl_synth_free(synth);
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
    if (self->worker.engine && until_ticks > from_ticks) {
        uint32_t context_count = pnl_timeline_find(self->timeline, from_ticks);
        uint32_t count = 0;
        char message[PNL_MESSAGE_SIZE] = "";
        int status = pnl_engine_compose(self->worker.engine, settings,
                                        pnl_timeline_notes(self->timeline), context_count,
                                        from_ticks, until_ticks, self->worker.compose_buffer,
                                        PNL_COMPOSE_CAPACITY, &count, message, sizeof message);
        if (status != 0) {
            lv2_log_error(&self->host.logger, "Pianola: composing failed: %s\n", message);
            reply_message(respond, handle, message);
        } else if (append_humanized(self, settings, self->worker.compose_buffer, count) != 0) {
            reply_message(respond, handle, "the timeline is full; not composing further");
        }
    }
    self->worker.saved_settings = *settings;
    if (self->worker.engine)
        self->worker.saved_memory_from_ticks = pnl_engine_memory_from(self->worker.engine);
    atomic_store_explicit(&self->worker.has_saved_settings, 1, memory_order_release);
    pnl_timeline_publish(self->timeline, until_ticks);
}

static void set_prompt(Pianola *self, const PnlPromptJob *job, LV2_Worker_Respond_Function respond,
                       LV2_Worker_Respond_Handle handle)
{
    /* The phrase goes into the timeline, its one home: run() records the
     * next capture into the other buffer. */
    const PnlTimelineNote *captured = self->capture_storage[job->buffer & 1];
    if (self->worker.engine)
        pnl_engine_forget(self->worker.engine, job->cut_ticks);
    uint32_t count = job->note_count < PNL_CAPTURE_CAPACITY ? job->note_count
                                                            : PNL_CAPTURE_CAPACITY;
    for (uint32_t i = 0; i < count; i++) {
        PnlTimelineNote note = captured[i];
        note.velocity_shape = 0; /* played by a person: already human */
        note.timing_shape_ms = 0.0f;
        if (pnl_timeline_append(self->timeline, &note) != 0)
            break;
    }
    pnl_timeline_publish(self->timeline, job->continue_ticks);
    compose(self, &job->settings, job->continue_ticks, job->until_ticks, respond, handle);
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

static void restore(Pianola *self, PnlRestoredState *state, LV2_Worker_Respond_Function respond,
                    LV2_Worker_Respond_Handle handle)
{
    int32_t prompt_onset_ticks = -1;
    /* The engine hears the restored notes anew when it composes on, from
     * where its memory began when the state was saved. */
    if (self->worker.engine)
        pnl_engine_restore_memory(self->worker.engine, &state->settings,
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
    if (self->host.variant == PNL_VARIANT_PIANO && state->soundfont_path[0] &&
        !same_file(state->soundfont_path, self->soundfont_path))
        load_soundfont(self, state->soundfont_path, respond, handle);
    PnlRestoredReply reply = {.type = PNL_REPLY_RESTORED, .settings = state->settings,
                              .has_settings = state->has_settings,
                              .horizon_ticks = state->horizon_ticks,
                              .prompt_onset_ticks = prompt_onset_ticks};
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
        pnl_notify_resend_timeline(&self->notify);
        self->jobs.restore_in_flight = 0;
        return LV2_WORKER_SUCCESS;
    }
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
}
