/* The URIs Pianola speaks, and the mapped URIDs each instance (DSP or UI)
 * keeps. Messages between the DSP and the UI, all atom:Objects:
 *
 * UI -> DSP
 *   pianola:UiOn, pianola:UiOff      the UI opened / closed; the DSP forges note
 *                                    notifications only while one is open, and
 *                                    answers UiOn with its state (status, recent notes)
 *   patch:Set pianola:soundfont      an atom:Path to a .sf2/.sf3 (also from the host)
 *   patch:Get                        ask for the properties (the SoundFont path)
 *
 * DSP -> UI (on the notify port, beside the MIDI of the notes played)
 *   pianola:Note      pianola:pitch (Int), pianola:velocity (Int),
 *                     pianola:onsetBeats, pianola:durationBeats (Double, on the
 *                     host timeline), pianola:origin (Int, PnlNoteOrigin)
 *   pianola:Playhead  pianola:beats (Double), pianola:bpm (Double),
 *                     pianola:beatsPerBar (Double), pianola:hostTime (Bool)
 *   pianola:Capture   pianola:captureState (Int, PnlCaptureState),
 *                     pianola:captureNotes (Int)
 *   pianola:Message   pianola:text (String): a load error or warning to show
 *   patch:Set pianola:soundfont      the SoundFont in use
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

#define PIANOLA_URI "urn:pianola:pianola"
#define PIANOLA_UI_URI PIANOLA_URI "#ui"
#define PIANOLA__ PIANOLA_URI "#"

#define PIANOLA__soundfont PIANOLA__ "soundfont"
#define PIANOLA__UiOn PIANOLA__ "UiOn"
#define PIANOLA__UiOff PIANOLA__ "UiOff"
#define PIANOLA__Note PIANOLA__ "Note"
#define PIANOLA__Playhead PIANOLA__ "Playhead"
#define PIANOLA__Capture PIANOLA__ "Capture"
#define PIANOLA__Message PIANOLA__ "Message"
#define PIANOLA__pitch PIANOLA__ "pitch"
#define PIANOLA__velocity PIANOLA__ "velocity"
#define PIANOLA__onsetBeats PIANOLA__ "onsetBeats"
#define PIANOLA__durationBeats PIANOLA__ "durationBeats"
#define PIANOLA__origin PIANOLA__ "origin"
#define PIANOLA__beats PIANOLA__ "beats"
#define PIANOLA__bpm PIANOLA__ "bpm"
#define PIANOLA__beatsPerBar PIANOLA__ "beatsPerBar"
#define PIANOLA__hostTime PIANOLA__ "hostTime"
#define PIANOLA__captureState PIANOLA__ "captureState"
#define PIANOLA__captureNotes PIANOLA__ "captureNotes"
#define PIANOLA__text PIANOLA__ "text"

typedef enum {
    PNL_ORIGIN_GENERATED = 0,
    PNL_ORIGIN_PROMPT = 1, /* captured, and now the model's prompt */
    PNL_ORIGIN_LIVE = 2    /* played on MIDI in right now */
} PnlNoteOrigin;

typedef enum {
    PNL_CAPTURE_OFF = 0,
    PNL_CAPTURE_ARMED = 1,     /* capture on, no note played yet */
    PNL_CAPTURE_RECORDING = 2, /* capture on, captureNotes notes so far */
    PNL_CAPTURE_PROMPT_SET = 3 /* capture off, a captured phrase is the prompt */
} PnlCaptureState;
#endif
