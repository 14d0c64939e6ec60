/* Pianola's LV2 glue: the descriptors, instantiation, ports and run().
 *
 * run() reads the ports, follows the host transport, plays MIDI in through
 * the piano (capturing it when asked), schedules the timeline's notes into
 * FluidSynth and MIDI out at exact frames, and asks the worker for more
 * music a couple of bars ahead of the playhead. It allocates nothing, takes
 * no locks, logs nothing and touches no files: everything slow goes to the
 * worker (worker.c), and state save and restore live in state.c. When to
 * compose and where to cut is lookahead.c's to say; what the notify port
 * carries (MIDI out, the UI's messages) is notify.c's.
 *
 * The same code is both of the bundle's plugins (variant.h): the piano, and
 * Pianola (MIDI), which has no synth and no audio ports, sends the same
 * notes to MIDI out and passes MIDI in through to it, where the piano
 * plays it. */
#include "pianola.h"

#include <lv2/atom/util.h>
#include <lv2/options/options.h>
#include <lv2/state/state.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "worker.h"

/* ---------------------------------------------------------------- ports */

/* A control's value, clamped to its range in the port table (ports.h); its
 * default while the host has connected nothing there or sends no number. */
static float port_value(const Pianola *self, int index)
{
    const PnlControlSpec *spec = pnl_control_spec(index);
    const float *port = self->controls[index];
    if (!port || !isfinite(*port))
        return (float)spec->default_value;
    float value = *port, low = (float)spec->minimum, high = (float)spec->maximum;
    return value < low ? low : value > high ? high : value;
}

/* The Composer port indexes the loaded model's choices (the last for a
 * number past them); a restored composer the model lists elsewhere holds
 * while the port keeps its saved number. */
static int32_t composer_choice(Pianola *self)
{
    int32_t choice = (int32_t)lrintf(port_value(self, PNL_PORT_COMPOSER));
    PnlComposerPin *pin = &self->composer_pin;
    if (pin->active && choice != pin->port_choice)
        pin->active = 0;
    if (pin->active)
        choice = pin->choice;
    int count = self->model.choice_count ? self->model.choice_count : PNL_COMPOSER_CHOICE_COUNT;
    return choice < count ? choice : count - 1;
}

static void read_ports(Pianola *self)
{
    self->wanted.composer_choice = composer_choice(self);
    self->wanted.temperature = port_value(self, PNL_PORT_TEMPERATURE);
    self->wanted.top_p = port_value(self, PNL_PORT_TOP_P);
    self->wanted.seed = (uint32_t)lrintf(port_value(self, PNL_PORT_SEED));
    self->wanted.key_choice = (int32_t)lrintf(port_value(self, PNL_PORT_KEY));
    self->wanted.register_lowest = (int32_t)lrintf(port_value(self, PNL_PORT_REGISTER_LOWEST));
    self->wanted.register_highest = (int32_t)lrintf(port_value(self, PNL_PORT_REGISTER_HIGHEST));
    self->wanted.dynamics = (int32_t)lrintf(port_value(self, PNL_PORT_DYNAMICS));
    self->wanted.density = (int32_t)lrintf(port_value(self, PNL_PORT_DENSITY));
    self->wanted.ensemble = (int32_t)lrintf(port_value(self, PNL_PORT_ENSEMBLE));
    self->wanted.bar_ticks = pnl_transport_bar_ticks(&self->transport);
    self->wanted.beat_ticks = pnl_transport_beat_ticks(&self->transport);
    self->humanize_velocity = port_value(self, PNL_PORT_HUMANIZE_VELOCITY);
    self->humanize_timing = port_value(self, PNL_PORT_HUMANIZE_TIMING);
    int32_t melody_instrument = (int32_t)lrintf(port_value(self, PNL_PORT_MELODY_INSTRUMENT));
    if (melody_instrument != self->melody_instrument && self->playback.synth)
        /* Its notes now end on the new channel: end the old one's. */
        pnl_synth_control(self->playback.synth,
                          pnl_synth_channel(PNL_PART_MELODY, self->melody_instrument), 123, 0);
    self->melody_instrument = melody_instrument;
    const PnlControlSpec *volume = pnl_control_spec(PNL_PORT_VOLUME);
    float volume_db = port_value(self, PNL_PORT_VOLUME);
    /* The bottom of the range is silence. */
    self->target_gain =
        volume_db <= (float)volume->minimum ? 0.0f : powf(10.0f, volume_db / 20.0f);
    pnl_transport_set_internal_bpm(&self->transport, port_value(self, PNL_PORT_TEMPO));
}

static void connect_port(LV2_Handle instance, uint32_t host_index, void *data)
{
    Pianola *self = instance;
    int port = pnl_variant_port(self->host.variant, host_index);
    switch (port) {
    case PNL_PORT_CONTROL_IN:
        self->io.control_in = data;
        break;
    case PNL_PORT_NOTIFY_OUT:
        self->io.notify_out = data;
        break;
    case PNL_PORT_AUDIO_LEFT:
        self->io.audio_out[0] = data;
        break;
    case PNL_PORT_AUDIO_RIGHT:
        self->io.audio_out[1] = data;
        break;
    default:
        if (pnl_port_is_part_audio(port))
            self->io.audio_out[port - PNL_PORT_PIANO_LEFT] = data;
        else if (port >= 0)
            self->controls[port] = data;
        break;
    }
}

/* -------------------------------------------------------- note messages */

static void apply_note_message(Pianola *self, uint32_t frame, const PnlNoteMessage *message)
{
    PnlSynth *synth = self->playback.synth;
    int synth_channel = pnl_synth_channel(message->part, self->melody_instrument);
    uint8_t midi_channel = (uint8_t)pnl_part_channel(message->part);
    if (message->type == PNL_NOTE_ON) {
        if (synth)
            pnl_synth_note_on(synth, synth_channel, message->pitch, message->velocity);
        pnl_notify_midi(&self->notify, frame, 0x90 | midi_channel, message->pitch,
                        message->velocity);
    } else {
        if (synth)
            pnl_synth_note_off(synth, synth_channel, message->pitch);
        pnl_notify_midi(&self->notify, frame, 0x80 | midi_channel, message->pitch, 0);
    }
}

static void apply_note_messages(Pianola *self, uint32_t frame, int count)
{
    const PnlNoteMessage *messages = self->playback.note_messages;
    for (int i = 0; i < count; i++)
        apply_note_message(self, frame + messages[i].frame, &messages[i]);
}

static void release_all(Pianola *self, uint32_t frame)
{
    PnlPlayback *playback = &self->playback;
    apply_note_messages(self, frame,
                        pnl_scheduler_release_all(&playback->scheduler, 0,
                                                  playback->note_messages, PNL_MAX_NOTE_MESSAGES));
}

static void locate(Pianola *self, uint32_t frame)
{
    PnlPlayback *playback = &self->playback;
    if (playback->synth)
        pnl_synth_align_blocks(playback->synth);
    int count = pnl_scheduler_locate(&playback->scheduler, self->timeline,
                                     pnl_transport_ticks(&self->transport), 0,
                                     playback->note_messages, PNL_MAX_NOTE_MESSAGES);
    apply_note_messages(self, frame, count);
}

/* The audio outputs: the piano's stereo mix, the parts plugin's pair per
 * part, none for the MIDI plugin. */
static int audio_output_count(const Pianola *self)
{
    switch (self->host.variant) {
    case PNL_VARIANT_PIANO: return 2;
    case PNL_VARIANT_PARTS: return 2 * PNL_PART_COUNT;
    default: return 0;
    }
}

static int has_sound(const Pianola *self)
{
    return audio_output_count(self) > 0;
}

/* Renders [*rendered, until) of this cycle's audio (the MIDI plugin has none). */
static void render_to(Pianola *self, uint32_t *rendered, uint32_t until)
{
    int outputs = audio_output_count(self);
    if (!outputs) {
        if (*rendered < until)
            *rendered = until;
        return;
    }
    while (*rendered < until) {
        uint32_t frames = until - *rendered;
        if (frames > PNL_SYNTH_MAX_BLOCK)
            frames = PNL_SYNTH_MAX_BLOCK;
        float *out[2 * PNL_PART_COUNT];
        for (int output = 0; output < outputs; output++)
            out[output] = self->io.audio_out[output] + *rendered;
        /* The synth renders the outputs it was made for (pnl_synth_outputs). */
        if (self->playback.synth)
            pnl_synth_render(self->playback.synth, out, frames);
        else
            for (int output = 0; output < outputs; output++)
                memset(out[output], 0, frames * sizeof *out[output]);
        *rendered += frames;
    }
}

static int playing_timeline(const Pianola *self)
{
    return self->playback.generate && !self->capture.active &&
           pnl_transport_rolling(&self->transport);
}

/* Plays the stretch [*position, until) of this cycle at a constant tempo. */
static void play_segment(Pianola *self, uint32_t *position, uint32_t *rendered, uint32_t until)
{
    if (*position < until) {
        uint32_t frames = until - *position;
        if (playing_timeline(self)) {
            PnlSegment segment = {
                .start_ticks = pnl_transport_ticks(&self->transport),
                .ticks_per_frame = pnl_transport_ticks_per_frame(&self->transport),
                .frames = frames,
                .ticks_per_ms = pnl_transport_ticks_per_ms(&self->transport),
                .humanize_velocity = self->humanize_velocity,
                .humanize_timing = self->humanize_timing};
            int count = pnl_scheduler_segment(&self->playback.scheduler, self->timeline, &segment,
                                              self->playback.note_messages,
                                              PNL_MAX_NOTE_MESSAGES);
            for (int i = 0; i < count; i++) {
                uint32_t frame = *position + self->playback.note_messages[i].frame;
                render_to(self, rendered, frame);
                apply_note_message(self, frame, &self->playback.note_messages[i]);
            }
            /* More notes than fit (hundreds in one block) wait for the
             * next stretch, which starts them on its first frame. */
        }
        pnl_transport_advance(&self->transport, frames);
        *position += frames;
    }
    render_to(self, rendered, until);
}

static double playhead(const Pianola *self)
{
    return pnl_transport_ticks(&self->transport);
}

/* The live channel of the part a phrase played now would become: the
 * player hears the instrument they play for. */
static int live_channel(const Pianola *self)
{
    const PnlEnsemble *ensemble = pnl_ensemble(self->wanted.ensemble);
    int part = pnl_ensemble_prompt_part(ensemble ? ensemble->parts : 0,
                                        (int)lrintf(port_value(self, PNL_PORT_PROMPT_PART)));
    return pnl_synth_live_channel(part, self->melody_instrument);
}

static void handle_midi(Pianola *self, uint32_t frame, const uint8_t *message, uint32_t size)
{
    if (size < 1)
        return;
    /* The MIDI plugin's player hears what they play on the host's
     * instrument after it, as the piano plays it here. */
    if (!has_sound(self))
        pnl_notify_midi_thru(&self->notify, frame, message, size);
    uint8_t status = message[0] & 0xf0;
    if ((status == 0x90 || status == 0x80) && size >= 3) {
        uint8_t pitch = message[1] & 0x7f, velocity = message[2] & 0x7f;
        int on = status == 0x90 && velocity > 0;
        if (on) {
            /* Its note-off ends it there, whatever is chosen meanwhile. */
            self->live_channels[pitch] = (uint8_t)live_channel(self);
            if (self->playback.synth)
                pnl_synth_note_on(self->playback.synth, self->live_channels[pitch], pitch,
                                  velocity);
            pnl_notify_live_note_on(&self->notify, pitch, playhead(self));
            if (self->capture.active && pnl_transport_rolling(&self->transport))
                pnl_capture_note_on(&self->capture.recorder, pitch, velocity, playhead(self));
        } else {
            if (self->playback.synth)
                pnl_synth_note_off(self->playback.synth, self->live_channels[pitch], pitch);
            if (self->capture.active)
                pnl_capture_note_off(&self->capture.recorder, pitch, playhead(self));
            pnl_notify_live_note_off(&self->notify, frame, pitch, playhead(self),
                                     &self->transport);
        }
    } else if (status == 0xb0 && size >= 3 && self->playback.synth) {
        /* The pedal holds every live instrument, as the notes it holds may
         * sound on any of them. */
        for (int channel = PNL_SYNTH_LIVE_BASE; channel < PNL_SYNTH_CHANNELS; channel++)
            pnl_synth_control(self->playback.synth, channel, message[1] & 0x7f,
                              message[2] & 0x7f);
    }
}

/* A number atom of any of the types hosts use for time:Position fields. */
static int read_number(const PnlUris *uris, const LV2_Atom *atom, double *value)
{
    if (!atom)
        return 0;
    if (atom->type == uris->atom_Float && atom->size >= sizeof(float))
        *value = ((const LV2_Atom_Float *)atom)->body;
    else if (atom->type == uris->atom_Double && atom->size >= sizeof(double))
        *value = ((const LV2_Atom_Double *)atom)->body;
    else if (atom->type == uris->atom_Long && atom->size >= sizeof(int64_t))
        *value = (double)((const LV2_Atom_Long *)atom)->body;
    else if (atom->type == uris->atom_Int && atom->size >= sizeof(int32_t))
        *value = ((const LV2_Atom_Int *)atom)->body;
    else
        return 0;
    return isfinite(*value);
}

static void handle_position(Pianola *self, uint32_t frame, const LV2_Atom_Object *object)
{
    const PnlUris *uris = &self->host.uris;
    const LV2_Atom *bar = NULL, *bar_beat = NULL, *beats_per_bar = NULL, *bpm = NULL,
                   *beat_unit = NULL, *speed = NULL, *host_frame = NULL;
    lv2_atom_object_get(object, uris->time_bar, &bar, uris->time_barBeat, &bar_beat,
                        uris->time_beatsPerBar, &beats_per_bar, uris->time_beatsPerMinute, &bpm,
                        uris->time_beatUnit, &beat_unit, uris->time_speed, &speed,
                        uris->time_frame, &host_frame, 0);
    PnlPositionUpdate update = {0};
    double bar_number = 0.0, unit = 4.0;
    update.has_bar = read_number(uris, bar, &bar_number) && fabs(bar_number) < 1e8;
    update.bar = update.has_bar ? (int64_t)bar_number : 0;
    update.has_bar_beat = read_number(uris, bar_beat, &update.bar_beat);
    update.has_beats_per_bar = read_number(uris, beats_per_bar, &update.beats_per_bar);
    update.has_bpm = read_number(uris, bpm, &update.bpm);
    update.has_speed = read_number(uris, speed, &update.speed);
    update.has_frame = read_number(uris, host_frame, &update.frame) && fabs(update.frame) < 1e15;
    update.has_beat_unit = read_number(uris, beat_unit, &unit) && fabs(unit) < 1e3;
    update.beat_unit = update.has_beat_unit ? (int)unit : 4;

    int was_rolling = pnl_transport_rolling(&self->transport);
    PnlTransportChange change = pnl_transport_apply(&self->transport, &update);
    int rolling = pnl_transport_rolling(&self->transport);
    if (was_rolling && !rolling) {
        /* Transport stop: every sounding note ends here. */
        release_all(self, frame);
    } else if (rolling && (change == PNL_TRANSPORT_JUMPED || !was_rolling)) {
        locate(self, frame);
    }
}

/* A model file chosen through the property: loaded and checked on the
 * worker; the one in use plays on until it has passed. */
static void set_model(Pianola *self, const LV2_Atom *value)
{
    const PnlUris *uris = &self->host.uris;
    if ((value->type != uris->atom_Path && value->type != uris->atom_String) ||
        value->size == 0 || value->size >= PNL_PATH_SIZE ||
        *(const char *)LV2_ATOM_BODY_CONST(value) == '\0') {
        pnl_notify_message(&self->notify,
                           "the model path must be a file path shorter than %d bytes",
                           PNL_PATH_SIZE);
        return;
    }
    PnlLoadModelJob job = {.type = PNL_JOB_LOAD_MODEL};
    memcpy(job.path, LV2_ATOM_BODY_CONST(value), value->size);
    job.path[value->size] = '\0';
    self->host.schedule->schedule_work(self->host.schedule->handle, sizeof job, &job);
}

static void handle_patch_set(Pianola *self, const LV2_Atom_Object *object)
{
    const PnlUris *uris = &self->host.uris;
    const LV2_Atom *property = NULL, *value = NULL;
    lv2_atom_object_get(object, uris->patch_property, &property, uris->patch_value, &value, 0);
    if (!property || property->type != uris->atom_URID || !value)
        return;
    if (((const LV2_Atom_URID *)property)->body == uris->pianola_model) {
        set_model(self, value);
        return;
    }
    if (((const LV2_Atom_URID *)property)->body != uris->pianola_soundfont)
        return;
    if (!has_sound(self)) {
        pnl_notify_message(&self->notify, "Pianola (MIDI) plays no SoundFont: its notes go to "
                                          "the instrument after it");
        return;
    }
    /* An empty path names no file (it is not a way back to the default). */
    if ((value->type != uris->atom_Path && value->type != uris->atom_String) ||
        value->size == 0 || value->size >= PNL_PATH_SIZE ||
        *(const char *)LV2_ATOM_BODY_CONST(value) == '\0') {
        pnl_notify_message(&self->notify,
                           "the SoundFont path must be a file path shorter than %d bytes",
                           PNL_PATH_SIZE);
        return;
    }
    PnlLoadSoundfontJob job = {.type = PNL_JOB_LOAD_SOUNDFONT};
    memcpy(job.path, LV2_ATOM_BODY_CONST(value), value->size);
    job.path[value->size] = '\0';
    self->host.schedule->schedule_work(self->host.schedule->handle, sizeof job, &job);
}

static void handle_object(Pianola *self, uint32_t frame, const LV2_Atom_Object *object)
{
    const PnlUris *uris = &self->host.uris;
    if (object->body.otype == uris->time_Position)
        handle_position(self, frame, object);
    else if (object->body.otype == uris->patch_Set)
        handle_patch_set(self, object);
    else if (object->body.otype == uris->patch_Get) {
        pnl_notify_soundfont(&self->notify);
        pnl_notify_model(&self->notify);
    }
    else if (object->body.otype == uris->pianola_UiOn) {
        /* Resend the notes from a few bars back onwards. */
        double from = playhead(self) - 8.0 * pnl_transport_bar_ticks(&self->transport);
        pnl_notify_ui_on(&self->notify, pnl_timeline_find(self->timeline, from));
    } else if (object->body.otype == uris->pianola_UiOff)
        pnl_notify_ui_off(&self->notify);
}

/* ------------------------------------------------------- timeline upkeep */

static void truncate_timeline(Pianola *self, int32_t ticks)
{
    pnl_timeline_truncate(self->timeline, ticks);
    uint32_t count = pnl_timeline_count(self->timeline);
    pnl_scheduler_timeline_truncated(&self->playback.scheduler, count);
    pnl_notify_cut(&self->notify, ticks, count);
    pnl_lookahead_cut(&self->lookahead, ticks);
    if (ticks <= self->capture.prompt_onset_ticks)
        self->capture.prompt_onset_ticks = -1;
}

static void upkeep_timeline(Pianola *self)
{
    if (!pnl_timeline_jobs_idle(self) || self->jobs.restore_in_flight)
        return;

    PnlRestoredState *restored =
        atomic_exchange_explicit(&self->pending_restore, NULL, memory_order_acq_rel);
    if (restored) {
        truncate_timeline(self, 0);
        pnl_notify_resend_timeline(&self->notify);
        PnlRestoreJob job = {.type = PNL_JOB_RESTORE, .state = restored};
        if (pnl_schedule_timeline_job(self, &job, sizeof job) == 0) {
            self->jobs.restore_in_flight = 1;
            self->playback.scheduler.cursor = 0;
            return;
        }
        /* The queue is full: try again next cycle. */
        atomic_store_explicit(&self->pending_restore, restored, memory_order_release);
        return;
    }

    if (self->capture.handover_pending) {
        self->capture.handover_pending = 0;
        const PnlCapture *recorder = &self->capture.recorder;
        const PnlTimelineNote *first = recorder->count ? &recorder->notes[0] : NULL;
        int32_t cut_ticks = pnl_lookahead_prompt_cut(self->capture.start_ticks, first);
        truncate_timeline(self, cut_ticks);
        int32_t continue_ticks =
            pnl_lookahead_take_prompt(&self->lookahead, &self->wanted, self->capture.end_ticks);
        PnlPromptJob job = {.type = PNL_JOB_SET_PROMPT, .settings = self->lookahead.composing,
                            .buffer = self->capture.buffer, .note_count = recorder->count,
                            .cut_ticks = cut_ticks,
                            .continue_ticks = continue_ticks,
                            .until_ticks = self->lookahead.compose_from_ticks,
                            .prompt_part = (int32_t)lrintf(port_value(self, PNL_PORT_PROMPT_PART))};
        self->capture.prompt_onset_ticks = first ? first->onset_ticks : -1;
        if (pnl_schedule_timeline_job(self, &job, sizeof job) == 0) {
            self->capture.buffer ^= 1;
            pnl_capture_init(&self->capture.recorder, self->capture_storage[self->capture.buffer],
                             PNL_CAPTURE_CAPACITY);
        } else {
            self->capture.handover_pending = 1;
        }
        return;
    }

    int32_t cut_ticks;
    if (pnl_lookahead_follow_settings(&self->lookahead, &self->wanted, self->capture.active,
                                      &self->transport, &cut_ticks))
        truncate_timeline(self, cut_ticks);

    if (!atomic_load_explicit(&self->worker.has_engine, memory_order_acquire) ||
        !self->playback.generate || self->capture.active)
        return;
    PnlBarJob bar;
    for (int job_count = 0; job_count < PNL_SYNC_JOBS_PER_CYCLE &&
                            pnl_lookahead_next_job(&self->lookahead, &self->transport, &bar);
         job_count++) {
        PnlComposeJob job = {.type = PNL_JOB_COMPOSE, .settings = bar.settings,
                             .from_ticks = bar.from_ticks, .until_ticks = bar.until_ticks};
        if (pnl_schedule_timeline_job(self, &job, sizeof job) != 0)
            return;
        pnl_lookahead_job_scheduled(&self->lookahead, &bar);
        /* A threaded worker is still composing: one job at a time. */
        if (!pnl_timeline_jobs_idle(self))
            return;
    }
}

/* Exporting, the host waits for run(): every bar the lookahead wants now is
 * composed before the cycle plays, a threaded worker's too, whether it took
 * the job in a cycle before or is given it now for this very cycle (the
 * export's first bar, after the host's pre-roll). So every export of a
 * session has the same notes at the same frames, however busy the machine.
 * A worker that does not answer costs a few seconds, not the export. */
static void upkeep_timeline_exporting(Pianola *self)
{
    for (int round = 0; round < PNL_EXPORT_UPKEEP_ROUNDS; round++) {
        if (!pnl_wait_for_timeline_jobs(self))
            return;
        uint32_t scheduled = self->jobs.scheduled;
        upkeep_timeline(self);
        if (self->jobs.scheduled == scheduled)
            return;
    }
    pnl_wait_for_timeline_jobs(self);
}

/* Capture and generate toggles, re-roll trigger: edges act once. */
static void read_switches(Pianola *self, uint32_t frame)
{
    int generate = port_value(self, PNL_PORT_GENERATE) > 0.5f;
    if (generate != self->playback.generate) {
        self->playback.generate = generate;
        if (!generate)
            release_all(self, frame);
        else if (pnl_transport_rolling(&self->transport))
            locate(self, frame);
    }
    float reroll = port_value(self, PNL_PORT_REROLL);
    if (reroll > 0.5f && self->playback.last_reroll <= 0.5f) {
        self->wanted.variation++;
        pnl_lookahead_reroll(&self->lookahead);
    }
    self->playback.last_reroll = reroll;

    int capture = port_value(self, PNL_PORT_CAPTURE) > 0.5f;
    if (capture && !self->capture.port_on) {
        /* Capture on: Pianola falls silent and listens. */
        self->capture.active = 1;
        self->capture.start_ticks = playhead(self);
        pnl_capture_begin(&self->capture.recorder);
        release_all(self, frame);
    } else if (!capture && self->capture.port_on && self->capture.active) {
        self->capture.active = 0;
        self->capture.end_ticks = playhead(self);
        if (pnl_capture_end(&self->capture.recorder, self->capture.end_ticks) > 0)
            self->capture.handover_pending = 1;
        if (pnl_transport_rolling(&self->transport))
            locate(self, frame);
    }
    self->capture.port_on = capture;
}

/* What the UI is told of capture: listening, or a captured phrase waiting
 * for the worker or already the prompt. */
static PnlCaptureState capture_state(const Pianola *self)
{
    if (self->capture.active)
        return self->capture.recorder.count ? PNL_CAPTURE_RECORDING : PNL_CAPTURE_ARMED;
    return self->capture.prompt_onset_ticks >= 0 || self->capture.handover_pending
               ? PNL_CAPTURE_PROMPT_SET
               : PNL_CAPTURE_OFF;
}

/* jalv 1.6.6 (Debian 12's) and hosts with a copy of its event buffer hand
 * over atom sequences 4 bytes off the 8-byte alignment that LV2_Atom_Event
 * (an int64_t time) needs: reading events there is undefined behaviour, and
 * a fault on CPUs that trap misaligned 64-bit loads. Such a sequence is
 * copied first, as many whole events as fit. */
static const LV2_Atom_Sequence *aligned_control_in(Pianola *self)
{
    const LV2_Atom_Sequence *in = self->io.control_in;
    if (!in || ((uintptr_t)in & 7) == 0)
        return in;
    const uint8_t *events = (const uint8_t *)(in + 1);
    uint64_t events_size = in->atom.size > sizeof(LV2_Atom_Sequence_Body)
                               ? in->atom.size - sizeof(LV2_Atom_Sequence_Body) : 0;
    const uint64_t room = sizeof self->io.aligned_control_in - sizeof(LV2_Atom_Sequence);
    uint64_t kept = 0;
    while (kept + sizeof(LV2_Atom_Event) <= events_size) {
        uint32_t body_size;
        memcpy(&body_size, events + kept + offsetof(LV2_Atom_Event, body.size), sizeof body_size);
        uint64_t event_size = sizeof(LV2_Atom_Event) + (uint64_t)body_size;
        if (kept + event_size > events_size || kept + event_size > room)
            break;
        kept += (event_size + 7) & ~(uint64_t)7;
    }
    if (kept > events_size)
        kept = events_size; /* the last event's padding */
    LV2_Atom_Sequence *copy = (LV2_Atom_Sequence *)self->io.aligned_control_in;
    memcpy(copy, in, sizeof(LV2_Atom_Sequence) + kept);
    copy->atom.size = (uint32_t)(sizeof(LV2_Atom_Sequence_Body) + kept);
    return copy;
}

/* Volume, ramped across the cycle so a change never clicks; every output
 * the same ramp, so the parts' pairs sum to the piano plugin's mix. */
static void apply_volume(Pianola *self, uint32_t sample_count)
{
    float step = (self->target_gain - self->playback.gain) / (sample_count ? sample_count : 1);
    for (int pair = 0; pair < audio_output_count(self); pair += 2) {
        float gain = self->playback.gain;
        float *out_left = self->io.audio_out[pair], *out_right = self->io.audio_out[pair + 1];
        for (uint32_t frame = 0; frame < sample_count; frame++) {
            gain += step;
            float left = out_left[frame] * gain, right = out_right[frame] * gain;
            out_left[frame] = isfinite(left) ? left : 0.0f;
            out_right[frame] = isfinite(right) ? right : 0.0f;
        }
    }
    self->playback.gain = self->target_gain;
}

static void run(LV2_Handle instance, uint32_t sample_count)
{
    Pianola *self = instance;
    for (int output = 0; output < audio_output_count(self); output++)
        if (!self->io.audio_out[output])
            return;

    pnl_notify_begin(&self->notify, self->io.notify_out);

    uint32_t variation = self->wanted.variation;
    read_ports(self);
    self->wanted.variation = variation;
    read_switches(self, 0);
    if (self->playback.activated_cycle) {
        /* Notes cut off by deactivate() get their note-offs on MIDI out in
         * the first cycle after: a recording host sees none left hanging. */
        self->playback.activated_cycle = 0;
        release_all(self, 0);
        if (pnl_transport_rolling(&self->transport))
            locate(self, 0);
    }
    /* An export is not real time: rather than play a bar short, wait for
     * the worker (upkeep_timeline_exporting). */
    if (port_value(self, PNL_PORT_FREEWHEEL) > 0.5f)
        upkeep_timeline_exporting(self);
    else
        upkeep_timeline(self);

    uint32_t position = 0, rendered = 0;
    const LV2_Atom_Sequence *control_in = aligned_control_in(self);
    if (control_in) {
        LV2_ATOM_SEQUENCE_FOREACH (control_in, event) {
            int64_t time = event->time.frames;
            uint32_t frame = time < 0 ? 0 : time > sample_count ? sample_count : (uint32_t)time;
            if (frame < position)
                frame = position;
            play_segment(self, &position, &rendered, frame);
            render_to(self, &rendered, frame);
            if (event->body.type == self->host.uris.midi_MidiEvent)
                handle_midi(self, frame, LV2_ATOM_BODY_CONST(&event->body), event->body.size);
            else if ((event->body.type == self->host.uris.atom_Object ||
                      event->body.type == self->host.uris.atom_Blank) &&
                     event->body.size >= sizeof(LV2_Atom_Object_Body))
                handle_object(self, frame, (const LV2_Atom_Object *)&event->body);
        }
    }
    play_segment(self, &position, &rendered, sample_count);

    if (has_sound(self))
        apply_volume(self, sample_count);

    PnlNotifyView view = {.transport = &self->transport,
                          .timeline = self->timeline,
                          .capture_state = capture_state(self),
                          .capture_notes = self->capture.recorder.count,
                          .soundfont_path = self->soundfont_path,
                          .model_path = self->model.path,
                          .choice_count = self->model.choice_count,
                          .choice_labels = self->model.labels,
                          .composer_choice = self->wanted.composer_choice};
    pnl_notify_end(&self->notify, sample_count, &view);
}

/* ------------------------------------------------------------ lifecycle */

static void cleanup(LV2_Handle instance)
{
    Pianola *self = instance;
    pnl_synth_free(self->playback.synth);
    pnl_engine_free(self->worker.engine);
    pnl_engine_free(self->worker.ensemble_engine);
    pnl_timeline_free(self->timeline);
    pnl_restored_state_free(atomic_load(&self->pending_restore));
    free(self->capture_storage[0]);
    free(self->capture_storage[1]);
    free(self->worker.compose_buffer);
    free(self);
}

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate,
                              const char *bundle_path, const LV2_Feature *const *features)
{
    Pianola *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host.variant = !strcmp(descriptor->URI, PIANOLA_MIDI_URI)    ? PNL_VARIANT_MIDI
                         : !strcmp(descriptor->URI, PIANOLA_PARTS_URI) ? PNL_VARIANT_PARTS
                                                                       : PNL_VARIANT_PIANO;
    LV2_Log_Log *log = NULL;
    for (int i = 0; features && features[i]; i++) {
        if (!strcmp(features[i]->URI, LV2_URID__map))
            self->host.map = features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_WORKER__schedule))
            self->host.schedule = features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_LOG__log))
            log = features[i]->data;
    }
    lv2_log_logger_init(&self->host.logger, self->host.map, log);
    if (!self->host.map || !self->host.schedule) {
        lv2_log_error(&self->host.logger, "Pianola: the host lacks %s\n",
                      !self->host.map ? "urid:map" : "work:schedule");
        free(self);
        return NULL;
    }
    if (!(rate >= 8000.0 && rate <= 768000.0)) {
        lv2_log_error(&self->host.logger, "Pianola: unsupported sample rate %g Hz\n", rate);
        free(self);
        return NULL;
    }
    pnl_map_uris(self->host.map, &self->host.uris);
    pnl_notify_init(&self->notify, self->host.map, &self->host.uris, rate);
    snprintf(self->host.bundle_path, sizeof self->host.bundle_path, "%s",
             bundle_path ? bundle_path : "");
    self->host.sample_rate = rate;
    memset(self->live_channels, PNL_SYNTH_LIVE_BASE, sizeof self->live_channels);

    self->timeline = pnl_timeline_new(PNL_TIMELINE_DEFAULT_CAPACITY);
    self->capture_storage[0] = calloc(PNL_CAPTURE_CAPACITY, sizeof(PnlTimelineNote));
    self->capture_storage[1] = calloc(PNL_CAPTURE_CAPACITY, sizeof(PnlTimelineNote));
    self->worker.compose_buffer = calloc(PNL_COMPOSE_CAPACITY, sizeof(PnlTimelineNote));
    if (!self->timeline || !self->capture_storage[0] || !self->capture_storage[1] ||
        !self->worker.compose_buffer) {
        lv2_log_error(&self->host.logger, "Pianola: out of memory\n");
        cleanup(self);
        return NULL;
    }
    pnl_capture_init(&self->capture.recorder, self->capture_storage[0], PNL_CAPTURE_CAPACITY);
    atomic_init(&self->jobs.completed, 0);
    atomic_init(&self->pending_restore, NULL);
    atomic_init(&self->worker.has_saved_settings, 0);

    char message[PNL_MESSAGE_SIZE] = "";
    /* 8-bit weights: a network step reads a quarter of the bytes, which is
     * what bounds its speed (docs/engine.md), and composing is most of the
     * worker's time; the music stays the network's (logits within ~0.1). */
    char model_path[PNL_PATH_SIZE + 32];
    pnl_bundled_model_path(self, PNL_BUNDLED_PIANO_MODEL, model_path, sizeof model_path);
    self->worker.engine =
        pnl_engine_new(model_path, PNL_PRECISION_INT8, message, sizeof message);
    atomic_init(&self->worker.has_engine, self->worker.engine != NULL);
    snprintf(self->worker.model_path, sizeof self->worker.model_path, "%s", model_path);
    self->worker.model_bundled = 1;
    if (self->worker.engine) {
        PnlModelInfo *info = pnl_model_info_new(self->worker.engine, model_path, 1);
        if (!info) {
            lv2_log_error(&self->host.logger, "Pianola: out of memory\n");
            cleanup(self);
            return NULL;
        }
        self->model = *info;
        free(info);
    }
    if (!self->worker.engine) {
        /* Say what that means for the user, not only what the file is. */
        lv2_log_warning(&self->host.logger, "Pianola: %s; composing is off (MIDI in still plays)\n",
                        message);
        pnl_notify_message(&self->notify, "%s; composing is off", message);
    }
    /* The default piano is ready from the first cycle (instantiation may
     * load); a SoundFont chosen later or restored loads on the worker. */
    if (has_sound(self)) {
        self->playback.synth =
            pnl_synth_new(PNL_DEFAULT_SOUNDFONT, rate, pnl_synth_outputs(self), message,
                          sizeof message);
        if (self->playback.synth) {
            snprintf(self->soundfont_path, sizeof self->soundfont_path, "%s",
                     PNL_DEFAULT_SOUNDFONT);
        } else {
            lv2_log_error(&self->host.logger, "Pianola: %s; silent until a SoundFont is set\n",
                          message);
            pnl_notify_message(&self->notify, "%s", message);
        }
    }

    pnl_transport_init(&self->transport, rate, 120.0);
    pnl_lookahead_init(&self->lookahead);
    pnl_scheduler_init(&self->playback.scheduler);
    self->playback.generate = 1;
    self->capture.prompt_onset_ticks = -1;
    self->playback.gain = self->target_gain = 1.0f;
    return self;
}

static void activate(LV2_Handle instance)
{
    Pianola *self = instance;
    double bpm = self->transport.host_time ? 120.0 : self->transport.bpm;
    PnlTransport previous = self->transport;
    pnl_transport_init(&self->transport, self->host.sample_rate, bpm);
    /* Keep where the host was; free-running time starts again at zero. */
    if (previous.host_time)
        self->transport = previous;
    self->playback.activated_cycle = 1;
}

static void deactivate(LV2_Handle instance)
{
    Pianola *self = instance;
    /* Every sounding note ends now; the scheduler remembers them so the
     * first cycle after activate() sends their note-offs. */
    if (self->playback.synth)
        pnl_synth_silence(self->playback.synth);
}

static const void *extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {pnl_work, pnl_work_response, NULL};
    static const LV2_State_Interface state = {pnl_state_save, pnl_state_restore};
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    return NULL;
}

static const LV2_Descriptor descriptors[PNL_VARIANT_COUNT] = {
    [PNL_VARIANT_PIANO] = {PIANOLA_URI, instantiate, connect_port, activate, run, deactivate,
                           cleanup, extension_data},
    [PNL_VARIANT_MIDI] = {PIANOLA_MIDI_URI, instantiate, connect_port, activate, run, deactivate,
                          cleanup, extension_data},
    [PNL_VARIANT_PARTS] = {PIANOLA_PARTS_URI, instantiate, connect_port, activate, run,
                           deactivate, cleanup, extension_data}};

/* pianola.so offers the two plugins with FluidSynth: the piano, then the
 * parts. pianola_midi.so, built from these sources with
 * PNL_BINARY_VARIANT=PNL_VARIANT_MIDI and without FluidSynth (synth_none.c
 * for synth.c; see the wscript), offers the MIDI plugin alone. */
#ifndef PNL_BINARY_VARIANT
#define PNL_BINARY_VARIANT PNL_VARIANT_PIANO
#endif

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    if (index == 0)
        return &descriptors[PNL_BINARY_VARIANT];
    if (index == 1 && PNL_BINARY_VARIANT == PNL_VARIANT_PIANO)
        return &descriptors[PNL_VARIANT_PARTS];
    return NULL;
}
