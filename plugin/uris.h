/* The protocol between Pianola's DSP (plugin/) and its UI (gui/): the URIs
 * both speak, the one table of URIDs each instance maps, and the named
 * values of the integer fields. The DSP forges its side in plugin/notify.c.
 * Messages between the DSP and the UI, all atom:Objects:
 *
 * UI -> DSP
 *   pianola:UiOn, pianola:UiOff      the UI opened / closed; the DSP forges note
 *                                    notifications only while one is open, and
 *                                    answers UiOn with its state (status, recent notes)
 *   patch:Set pianola:soundfont      an atom:Path to a .sf2/.sf3 (also from the host)
 *   patch:Set pianola:model          an atom:Path to a .pnm model (also from the host)
 *   patch:Get                        ask for the properties (the SoundFont and model paths)
 *
 * DSP -> UI (on the notify port, beside the MIDI of the notes played)
 *   pianola:Note      pianola:pitch (Int), pianola:velocity (Int),
 *                     pianola:onsetBeats, pianola:durationBeats (Double, on the
 *                     host timeline), pianola:origin (Int, PnlNoteOrigin,
 *                     src/timeline.h), pianola:part (Int, PnlPart,
 *                     src/parts.h: the ensemble's role playing it; 0, the
 *                     piano, where absent)
 *   pianola:Playhead  pianola:beats (Double), pianola:bpm (Double),
 *                     pianola:beatsPerBar (Double), pianola:hostTime (Bool)
 *   pianola:Capture   pianola:captureState (Int, PnlCaptureState),
 *                     pianola:captureNotes (Int)
 *   pianola:Message   pianola:text (String): a load error or warning to show
 *   pianola:Cut       pianola:onsetBeats (Double): the timeline was cut there
 *                     (re-roll, a changed setting, a new prompt, a restored
 *                     state); its notes from there on are gone, and the notes
 *                     that follow replace them
 *   patch:Set pianola:soundfont      the SoundFont in use
 *   patch:Set pianola:model          the model in use (the bundled one's path by default)
 *   pianola:Composers pianola:labels (Tuple of String): the loaded model's
 *                     composer choices, the Composer port's values in order;
 *                     pianola:choice (Int): the one composing now (the port's
 *                     value, or the restored composer's where a model's list
 *                     moved it)
 */
#ifndef PIANOLA_URIS_H
#define PIANOLA_URIS_H

#include <lv2/atom/atom.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#include "../src/timeline.h" /* PnlNoteOrigin */

#define PIANOLA_URI "urn:pianola:pianola"
/* The MIDI-only plugin (variant.h); it speaks the same protocol, whose URIs
 * below stay in the piano's namespace, and shares the UI. */
#define PIANOLA_MIDI_URI "urn:pianola:pianola-midi"
/* The piano plugin with a stereo out per part (variant.h); the same
 * protocol too. */
#define PIANOLA_PARTS_URI "urn:pianola:pianola-parts"
#define PIANOLA_UI_URI PIANOLA_URI "#ui"
#define PIANOLA__ PIANOLA_URI "#"

#define PIANOLA__soundfont PIANOLA__ "soundfont"
#define PIANOLA__model PIANOLA__ "model"
#define PIANOLA__Composers PIANOLA__ "Composers"
#define PIANOLA__labels PIANOLA__ "labels"
#define PIANOLA__choice PIANOLA__ "choice"
#define PIANOLA__UiOn PIANOLA__ "UiOn"
#define PIANOLA__UiOff PIANOLA__ "UiOff"
#define PIANOLA__Note PIANOLA__ "Note"
#define PIANOLA__Playhead PIANOLA__ "Playhead"
#define PIANOLA__Capture PIANOLA__ "Capture"
#define PIANOLA__Message PIANOLA__ "Message"
#define PIANOLA__Cut PIANOLA__ "Cut"
#define PIANOLA__pitch PIANOLA__ "pitch"
#define PIANOLA__velocity PIANOLA__ "velocity"
#define PIANOLA__onsetBeats PIANOLA__ "onsetBeats"
#define PIANOLA__durationBeats PIANOLA__ "durationBeats"
#define PIANOLA__origin PIANOLA__ "origin"
#define PIANOLA__part PIANOLA__ "part"
#define PIANOLA__beats PIANOLA__ "beats"
#define PIANOLA__bpm PIANOLA__ "bpm"
#define PIANOLA__beatsPerBar PIANOLA__ "beatsPerBar"
#define PIANOLA__hostTime PIANOLA__ "hostTime"
#define PIANOLA__captureState PIANOLA__ "captureState"
#define PIANOLA__captureNotes PIANOLA__ "captureNotes"
#define PIANOLA__text PIANOLA__ "text"

typedef enum {
    PNL_CAPTURE_OFF = 0,
    PNL_CAPTURE_ARMED = 1,     /* capture on, no note played yet */
    PNL_CAPTURE_RECORDING = 2, /* capture on, captureNotes notes so far */
    PNL_CAPTURE_PROMPT_SET = 3 /* capture off, a captured phrase is the prompt */
} PnlCaptureState;

/* State keys (plugin/state.c). */
#define PIANOLA__stateVersion PIANOLA__ "stateVersion"
#define PIANOLA__timeline PIANOLA__ "timeline"
#define PIANOLA__seed PIANOLA__ "seed"
#define PIANOLA__settings PIANOLA__ "settings"
#define PIANOLA__memoryFrom PIANOLA__ "memoryFrom"
/* The chosen composer's name in the model (a String): a restored session
 * finds it again even where the model's list moved it. The model's path is
 * saved under pianola:model, and only when it is not the bundled one. */
#define PIANOLA__composer PIANOLA__ "composer"
/* State format 1 saved the captured prompt here a second time; it is no
 * longer read (the timeline holds it), and is named only for tests. */
#define PIANOLA__prompt PIANOLA__ "prompt"
#define PIANOLA__TimelineNotes PIANOLA__ "TimelineNotes"

/* Every URID an instance (DSP or UI) uses, mapped once at instantiation:
 * one line each, X(field, URI), from which PnlUris and pnl_map_uris() are
 * made, so a new URI is a change here alone. */
#define PNL_URI_TABLE(X) \
    X(atom_Blank, LV2_ATOM__Blank) \
    X(atom_Bool, LV2_ATOM__Bool) \
    X(atom_Chunk, LV2_ATOM__Chunk) \
    X(atom_Double, LV2_ATOM__Double) \
    X(atom_Float, LV2_ATOM__Float) \
    X(atom_Int, LV2_ATOM__Int) \
    X(atom_Long, LV2_ATOM__Long) \
    X(atom_Object, LV2_ATOM__Object) \
    X(atom_Path, LV2_ATOM__Path) \
    X(atom_Sequence, LV2_ATOM__Sequence) \
    X(atom_String, LV2_ATOM__String) \
    X(atom_Tuple, LV2_ATOM__Tuple) \
    X(atom_URID, LV2_ATOM__URID) \
    X(atom_eventTransfer, LV2_ATOM__eventTransfer) \
    X(midi_MidiEvent, LV2_MIDI__MidiEvent) \
    X(patch_Get, LV2_PATCH__Get) \
    X(patch_Set, LV2_PATCH__Set) \
    X(patch_property, LV2_PATCH__property) \
    X(patch_value, LV2_PATCH__value) \
    X(time_Position, LV2_TIME__Position) \
    X(time_bar, LV2_TIME__bar) \
    X(time_barBeat, LV2_TIME__barBeat) \
    X(time_beatUnit, LV2_TIME__beatUnit) \
    X(time_beatsPerBar, LV2_TIME__beatsPerBar) \
    X(time_beatsPerMinute, LV2_TIME__beatsPerMinute) \
    X(time_frame, LV2_TIME__frame) \
    X(time_speed, LV2_TIME__speed) \
    X(log_Error, LV2_LOG__Error) \
    X(log_Note, LV2_LOG__Note) \
    X(log_Trace, LV2_LOG__Trace) \
    X(log_Warning, LV2_LOG__Warning) \
    X(pianola_soundfont, PIANOLA__soundfont) \
    X(pianola_model, PIANOLA__model) \
    X(pianola_Composers, PIANOLA__Composers) \
    X(pianola_labels, PIANOLA__labels) \
    X(pianola_choice, PIANOLA__choice) \
    X(pianola_composer, PIANOLA__composer) \
    X(pianola_UiOn, PIANOLA__UiOn) \
    X(pianola_UiOff, PIANOLA__UiOff) \
    X(pianola_Note, PIANOLA__Note) \
    X(pianola_Playhead, PIANOLA__Playhead) \
    X(pianola_Capture, PIANOLA__Capture) \
    X(pianola_Message, PIANOLA__Message) \
    X(pianola_Cut, PIANOLA__Cut) \
    X(pianola_pitch, PIANOLA__pitch) \
    X(pianola_velocity, PIANOLA__velocity) \
    X(pianola_onsetBeats, PIANOLA__onsetBeats) \
    X(pianola_durationBeats, PIANOLA__durationBeats) \
    X(pianola_origin, PIANOLA__origin) \
    X(pianola_part, PIANOLA__part) \
    X(pianola_beats, PIANOLA__beats) \
    X(pianola_bpm, PIANOLA__bpm) \
    X(pianola_beatsPerBar, PIANOLA__beatsPerBar) \
    X(pianola_hostTime, PIANOLA__hostTime) \
    X(pianola_captureState, PIANOLA__captureState) \
    X(pianola_captureNotes, PIANOLA__captureNotes) \
    X(pianola_text, PIANOLA__text) \
    X(pianola_stateVersion, PIANOLA__stateVersion) \
    X(pianola_timeline, PIANOLA__timeline) \
    X(pianola_seed, PIANOLA__seed) \
    X(pianola_settings, PIANOLA__settings) \
    X(pianola_memoryFrom, PIANOLA__memoryFrom) \
    X(pianola_TimelineNotes, PIANOLA__TimelineNotes)

typedef struct {
#define PNL_URI_FIELD(field, uri) LV2_URID field;
    PNL_URI_TABLE(PNL_URI_FIELD)
#undef PNL_URI_FIELD
} PnlUris;

/* The one mapping, called by the DSP's instantiate() and the UI's. */
static inline void pnl_map_uris(LV2_URID_Map *map, PnlUris *uris)
{
#define PNL_URI_MAP(field, uri) uris->field = map->map(map->handle, uri);
    PNL_URI_TABLE(PNL_URI_MAP)
#undef PNL_URI_MAP
}
#endif
