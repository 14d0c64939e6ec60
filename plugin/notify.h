/* The notify port: the MIDI of the notes Pianola plays, and the DSP's side
 * of the protocol with its UI (plugin/uris.h): note, playhead, capture,
 * message and cut notifications, the SoundFont and the model in use, and
 * the model's composer choices.
 *
 * Runs in run() only (the worker's replies reach it through
 * work_response(), which the host calls in the audio thread too). It
 * forges into the host's buffer and allocates nothing. While no UI is
 * open it forges MIDI alone and remembers only how far the timeline has
 * been sent, so a UI that opens hears of the notes from a few bars back. */
#ifndef PIANOLA_NOTIFY_H
#define PIANOLA_NOTIFY_H

#include <lv2/atom/forge.h>
#include <lv2/urid/urid.h>
#include <stdint.h>

#include "timeline.h"
#include "weights.h"
#include "transport.h"
#include "uris.h"

enum { PNL_MESSAGE_SIZE = 256 };

typedef struct {
    const PnlUris *uris;
    double playhead_interval_frames; /* how often the playhead is sent */
    LV2_Atom_Forge forge;
    LV2_Atom_Forge_Frame sequence;
    int open; /* the host gave a buffer and the sequence is started */

    int ui_open;                  /* between pianola:UiOn and UiOff */
    uint32_t sent_count;          /* timeline notes sent to the UI */
    int cut_pending;              /* the UI is yet to hear of a cut at cut_ticks */
    int32_t cut_ticks;
    uint64_t frames_since_playhead;
    int capture_state_sent;       /* the last PnlCaptureState sent, -1 none */
    uint32_t capture_notes_sent;
    double live_onset_ticks[128]; /* when each live note began */
    char message[PNL_MESSAGE_SIZE]; /* a message waiting for the UI */
    int message_pending;
    int soundfont_pending;        /* the UI is yet to hear of the SoundFont */
    int model_pending;            /* ... of the model and its composers */
    int32_t choice_sent;          /* the composer choice last sent, -1 none */
} PnlNotify;

/* What the UI is shown of the rest of the instance, each cycle. */
typedef struct {
    const PnlTransport *transport;
    const PnlTimeline *timeline;
    PnlCaptureState capture_state;
    uint32_t capture_notes;
    const char *soundfont_path;
    /* The model in use: its path and its choices' labels (none while
     * there is no model), and the choice composing now. */
    const char *model_path;
    int choice_count;
    const char (*choice_labels)[PNL_WEIGHTS_LABEL_BYTES + 1];
    int32_t composer_choice;
} PnlNotifyView;

void pnl_notify_init(PnlNotify *notify, LV2_URID_Map *map, const PnlUris *uris,
                     double sample_rate);

/* A cycle's notifications go between begin (with the port's buffer, whose
 * atom size the host set to its capacity; NULL for none) and end. */
void pnl_notify_begin(PnlNotify *notify, LV2_Atom_Sequence *port);
void pnl_notify_end(PnlNotify *notify, uint32_t frames, const PnlNotifyView *view);

/* A MIDI message on the port (the notes played, for recording). */
void pnl_notify_midi(PnlNotify *notify, uint32_t frame, uint8_t status, uint8_t data1,
                     uint8_t data2);
/* A message from MIDI in, passed through as it came (the MIDI plugin's
 * thru): channel messages only, of their proper length; others are dropped. */
void pnl_notify_midi_thru(PnlNotify *notify, uint32_t frame, const uint8_t *message,
                          uint32_t size);

/* A note played on MIDI in began or ended; it goes to the UI when it
 * ends, as a live note (PNL_ORIGIN_LIVE). */
void pnl_notify_live_note_on(PnlNotify *notify, uint8_t pitch, double now_ticks);
void pnl_notify_live_note_off(PnlNotify *notify, uint32_t frame, uint8_t pitch,
                              double now_ticks, const PnlTransport *transport);

/* Text for the UI to show (a load error or warning), sent at the cycle's end. */
void pnl_notify_message(PnlNotify *notify, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* The SoundFont in use changed or was asked for (patch:Get). */
void pnl_notify_soundfont(PnlNotify *notify);
/* The model in use changed or was asked for: its path and its composers. */
void pnl_notify_model(PnlNotify *notify);

/* The UI opened: it hears of everything again, and of the timeline's
 * notes from resend_from (an index into the timeline) on. */
void pnl_notify_ui_on(PnlNotify *notify, uint32_t resend_from);
void pnl_notify_ui_off(PnlNotify *notify);

/* The timeline was cut at ticks and holds notes_left notes now. */
void pnl_notify_cut(PnlNotify *notify, int32_t ticks, uint32_t notes_left);
/* The timeline was replaced (a restored state): send it all again. */
void pnl_notify_resend_timeline(PnlNotify *notify);

#endif
