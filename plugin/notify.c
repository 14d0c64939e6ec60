/* The notify port; see notify.h. */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A UI redraws its playhead at about this rate, extrapolating between. */
static const double playhead_messages_per_second = 30.0;
/* Timeline notes forged a cycle at most, so a long timeline sent to a UI
 * that opened late does not fill the port. */
enum { NOTES_PER_CYCLE = 64 };

void pnl_notify_init(PnlNotify *notify, LV2_URID_Map *map, const PnlUris *uris,
                     double sample_rate)
{
    memset(notify, 0, sizeof *notify);
    notify->uris = uris;
    notify->playhead_interval_frames = sample_rate / playhead_messages_per_second;
    notify->capture_state_sent = -1;
    notify->choice_sent = -1;
    lv2_atom_forge_init(&notify->forge, map);
}

void pnl_notify_begin(PnlNotify *notify, LV2_Atom_Sequence *port)
{
    notify->open = 0;
    lv2_atom_forge_set_buffer(&notify->forge, NULL, 0);
    if (port && port->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
        lv2_atom_forge_set_buffer(&notify->forge, (uint8_t *)port, port->atom.size);
        notify->open = lv2_atom_forge_sequence_head(&notify->forge, &notify->sequence, 0) != 0;
    }
}

static void forge_midi(PnlNotify *notify, uint32_t frame, const uint8_t *message, uint32_t size)
{
    if (!lv2_atom_forge_frame_time(&notify->forge, frame))
        return;
    if (!lv2_atom_forge_atom(&notify->forge, size, notify->uris->midi_MidiEvent))
        return;
    lv2_atom_forge_write(&notify->forge, message, size);
}

void pnl_notify_midi(PnlNotify *notify, uint32_t frame, uint8_t status, uint8_t data1,
                     uint8_t data2)
{
    const uint8_t message[3] = {status, data1, data2};
    forge_midi(notify, frame, message, 3);
}

void pnl_notify_midi_thru(PnlNotify *notify, uint32_t frame, const uint8_t *message,
                          uint32_t size)
{
    if (size < 1 || message[0] < 0x80 || message[0] >= 0xf0)
        return;
    /* Program change and channel pressure carry one data byte, the rest two. */
    uint8_t kind = message[0] & 0xf0;
    uint32_t length = kind == 0xc0 || kind == 0xd0 ? 2 : 3;
    if (size != length || (message[1] & 0x80) || (length == 3 && (message[2] & 0x80)))
        return;
    forge_midi(notify, frame, message, length);
}

/* Timeline ticks in the host's beats (the meter's beat, as the UI counts). */
static double host_beats(const PnlTransport *transport, double ticks)
{
    return ticks / pnl_transport_beat_ticks(transport);
}

static void forge_note(PnlNotify *notify, uint32_t frame, int pitch, int velocity,
                       double onset_ticks, double duration_ticks, PnlNoteOrigin origin,
                       int part, const PnlTransport *transport)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->pianola_Note))
        return;
    lv2_atom_forge_key(forge, uris->pianola_pitch);
    lv2_atom_forge_int(forge, pitch);
    lv2_atom_forge_key(forge, uris->pianola_velocity);
    lv2_atom_forge_int(forge, velocity);
    lv2_atom_forge_key(forge, uris->pianola_onsetBeats);
    lv2_atom_forge_double(forge, host_beats(transport, onset_ticks));
    lv2_atom_forge_key(forge, uris->pianola_durationBeats);
    lv2_atom_forge_double(forge, host_beats(transport, duration_ticks));
    lv2_atom_forge_key(forge, uris->pianola_origin);
    lv2_atom_forge_int(forge, (int32_t)origin);
    lv2_atom_forge_key(forge, uris->pianola_part);
    lv2_atom_forge_int(forge, (int32_t)part);
    lv2_atom_forge_pop(forge, &object);
}

void pnl_notify_live_note_on(PnlNotify *notify, uint8_t pitch, double now_ticks)
{
    notify->live_onset_ticks[pitch & 0x7f] = now_ticks;
}

void pnl_notify_live_note_off(PnlNotify *notify, uint32_t frame, uint8_t pitch,
                              double now_ticks, const PnlTransport *transport)
{
    if (!notify->ui_open)
        return;
    double onset = notify->live_onset_ticks[pitch & 0x7f];
    /* Played now; once captured it comes back from the timeline as a
     * prompt note. */
    forge_note(notify, frame, pitch, 0, onset, now_ticks - onset, PNL_ORIGIN_LIVE,
               PNL_PART_PIANO, transport);
}

void pnl_notify_message(PnlNotify *notify, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(notify->message, sizeof notify->message, format, arguments);
    va_end(arguments);
    notify->message_pending = 1;
}

void pnl_notify_soundfont(PnlNotify *notify)
{
    notify->soundfont_pending = 1;
}

void pnl_notify_model(PnlNotify *notify)
{
    notify->model_pending = 1;
}

void pnl_notify_ui_on(PnlNotify *notify, uint32_t resend_from)
{
    notify->ui_open = 1;
    notify->soundfont_pending = 1;
    notify->model_pending = 1;
    notify->capture_state_sent = -1;
    /* The playhead at once, not a 30th of a second later. */
    notify->frames_since_playhead = (uint64_t)notify->playhead_interval_frames + 1;
    notify->sent_count = resend_from;
}

void pnl_notify_ui_off(PnlNotify *notify)
{
    notify->ui_open = 0;
}

void pnl_notify_cut(PnlNotify *notify, int32_t ticks, uint32_t notes_left)
{
    if (notify->sent_count > notes_left)
        notify->sent_count = notes_left;
    if (!notify->cut_pending || ticks < notify->cut_ticks)
        notify->cut_ticks = ticks;
    notify->cut_pending = 1;
}

void pnl_notify_resend_timeline(PnlNotify *notify)
{
    notify->sent_count = 0;
}

static void forge_text(PnlNotify *notify, uint32_t frame, const char *text)
{
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, notify->uris->pianola_Message))
        return;
    lv2_atom_forge_key(forge, notify->uris->pianola_text);
    lv2_atom_forge_string(forge, text, (uint32_t)strlen(text));
    lv2_atom_forge_pop(forge, &object);
}

static void forge_path(PnlNotify *notify, uint32_t frame, LV2_URID property, const char *path)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->patch_Set))
        return;
    lv2_atom_forge_key(forge, uris->patch_property);
    lv2_atom_forge_urid(forge, property);
    lv2_atom_forge_key(forge, uris->patch_value);
    lv2_atom_forge_path(forge, path, (uint32_t)strlen(path));
    lv2_atom_forge_pop(forge, &object);
}

/* The model's composer choices, the Composer port's values in order. */
static void forge_composers(PnlNotify *notify, uint32_t frame, const PnlNotifyView *view)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object, tuple;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->pianola_Composers))
        return;
    lv2_atom_forge_key(forge, uris->pianola_choice);
    lv2_atom_forge_int(forge, view->composer_choice);
    lv2_atom_forge_key(forge, uris->pianola_labels);
    if (!lv2_atom_forge_tuple(forge, &tuple)) {
        lv2_atom_forge_pop(forge, &object);
        return;
    }
    for (int c = 0; c < view->choice_count; c++)
        lv2_atom_forge_string(forge, view->choice_labels[c],
                              (uint32_t)strlen(view->choice_labels[c]));
    lv2_atom_forge_pop(forge, &tuple);
    lv2_atom_forge_pop(forge, &object);
    notify->choice_sent = view->composer_choice;
}

static void forge_capture(PnlNotify *notify, uint32_t frame, PnlCaptureState state,
                          uint32_t notes)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->pianola_Capture))
        return;
    lv2_atom_forge_key(forge, uris->pianola_captureState);
    lv2_atom_forge_int(forge, (int32_t)state);
    lv2_atom_forge_key(forge, uris->pianola_captureNotes);
    lv2_atom_forge_int(forge, (int32_t)notes);
    lv2_atom_forge_pop(forge, &object);
    notify->capture_state_sent = (int)state;
    notify->capture_notes_sent = notes;
}

static void forge_playhead(PnlNotify *notify, uint32_t frame, const PnlTransport *transport)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->pianola_Playhead))
        return;
    lv2_atom_forge_key(forge, uris->pianola_beats);
    lv2_atom_forge_double(forge, host_beats(transport, pnl_transport_ticks(transport)));
    lv2_atom_forge_key(forge, uris->pianola_bpm);
    lv2_atom_forge_double(forge, transport->bpm);
    lv2_atom_forge_key(forge, uris->pianola_beatsPerBar);
    lv2_atom_forge_double(forge, transport->beats_per_bar);
    lv2_atom_forge_key(forge, uris->pianola_hostTime);
    lv2_atom_forge_bool(forge, transport->host_time);
    lv2_atom_forge_pop(forge, &object);
}

static int forge_cut(PnlNotify *notify, uint32_t frame, const PnlTransport *transport)
{
    const PnlUris *uris = notify->uris;
    LV2_Atom_Forge *forge = &notify->forge;
    LV2_Atom_Forge_Frame object;
    if (!lv2_atom_forge_frame_time(forge, frame) ||
        !lv2_atom_forge_object(forge, &object, 0, uris->pianola_Cut))
        return 0;
    lv2_atom_forge_key(forge, uris->pianola_onsetBeats);
    lv2_atom_forge_double(forge, host_beats(transport, notify->cut_ticks));
    lv2_atom_forge_pop(forge, &object);
    return 1;
}

/* Everything the UI is waiting to hear, at the cycle's last frame. */
static void notify_ui(PnlNotify *notify, uint32_t frames, const PnlNotifyView *view)
{
    uint32_t last = frames ? frames - 1 : 0;
    if (notify->message_pending) {
        forge_text(notify, last, notify->message);
        notify->message_pending = 0;
    }
    if (notify->soundfont_pending && view->soundfont_path[0]) {
        forge_path(notify, last, notify->uris->pianola_soundfont, view->soundfont_path);
        notify->soundfont_pending = 0;
    }
    if (notify->model_pending && view->choice_count) {
        forge_path(notify, last, notify->uris->pianola_model, view->model_path);
        forge_composers(notify, last, view);
        notify->model_pending = 0;
    } else if (view->choice_count && view->composer_choice != notify->choice_sent) {
        forge_composers(notify, last, view);
    }
    if ((int)view->capture_state != notify->capture_state_sent ||
        view->capture_notes != notify->capture_notes_sent)
        forge_capture(notify, last, view->capture_state, view->capture_notes);
    notify->frames_since_playhead += frames;
    if (notify->frames_since_playhead >= notify->playhead_interval_frames) {
        notify->frames_since_playhead = 0;
        forge_playhead(notify, last, view->transport);
    }
    /* A cut first, so the notes sent after it are not taken away with it. */
    if (notify->cut_pending && forge_cut(notify, last, view->transport))
        notify->cut_pending = 0;
    /* The timeline's notes, composed ahead: a bounded number per cycle. */
    uint32_t count = pnl_timeline_count(view->timeline);
    const PnlTimelineNote *notes = pnl_timeline_notes(view->timeline);
    for (int sent = 0; notify->sent_count < count && sent < NOTES_PER_CYCLE; sent++) {
        const PnlTimelineNote *note = &notes[notify->sent_count];
        forge_note(notify, last, note->pitch, note->velocity, note->onset_ticks,
                   note->duration_ticks, (PnlNoteOrigin)note->origin, note->part,
                   view->transport);
        notify->sent_count++;
    }
}

void pnl_notify_end(PnlNotify *notify, uint32_t frames, const PnlNotifyView *view)
{
    if (notify->ui_open) {
        notify_ui(notify, frames, view);
    } else {
        notify->sent_count = pnl_timeline_count(view->timeline);
        notify->cut_pending = 0;
    }
    if (notify->open)
        lv2_atom_forge_pop(&notify->forge, &notify->sequence);
}
