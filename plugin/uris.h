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
 *   pianola:Cut       pianola:onsetBeats (Double): the timeline was cut there
 *                     (re-roll, a changed setting, a new prompt, a restored
 *                     state); its notes from there on are gone, and the notes
 *                     that follow replace them
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
#define PIANOLA__Cut PIANOLA__ "Cut"
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
/* State keys (plugin/state.c). */
#define PIANOLA__stateVersion PIANOLA__ "stateVersion"
#define PIANOLA__timeline PIANOLA__ "timeline"
#define PIANOLA__prompt PIANOLA__ "prompt"
#define PIANOLA__seed PIANOLA__ "seed"
#define PIANOLA__settings PIANOLA__ "settings"
#define PIANOLA__TimelineNotes PIANOLA__ "TimelineNotes"

/* Every URID an instance (DSP or UI) uses, mapped once at instantiation. */
typedef struct {
    LV2_URID atom_Blank;
    LV2_URID atom_Bool;
    LV2_URID atom_Chunk;
    LV2_URID atom_Double;
    LV2_URID atom_Float;
    LV2_URID atom_Int;
    LV2_URID atom_Long;
    LV2_URID atom_Object;
    LV2_URID atom_Path;
    LV2_URID atom_Sequence;
    LV2_URID atom_String;
    LV2_URID atom_URID;
    LV2_URID atom_eventTransfer;
    LV2_URID midi_MidiEvent;
    LV2_URID patch_Get;
    LV2_URID patch_Set;
    LV2_URID patch_property;
    LV2_URID patch_value;
    LV2_URID time_Position;
    LV2_URID time_bar;
    LV2_URID time_barBeat;
    LV2_URID time_beatUnit;
    LV2_URID time_beatsPerBar;
    LV2_URID time_beatsPerMinute;
    LV2_URID time_frame;
    LV2_URID time_speed;
    LV2_URID log_Error;
    LV2_URID log_Note;
    LV2_URID log_Trace;
    LV2_URID log_Warning;
    LV2_URID pianola_soundfont;
    LV2_URID pianola_UiOn;
    LV2_URID pianola_UiOff;
    LV2_URID pianola_Note;
    LV2_URID pianola_Playhead;
    LV2_URID pianola_Capture;
    LV2_URID pianola_Message;
    LV2_URID pianola_Cut;
    LV2_URID pianola_pitch;
    LV2_URID pianola_velocity;
    LV2_URID pianola_onsetBeats;
    LV2_URID pianola_durationBeats;
    LV2_URID pianola_origin;
    LV2_URID pianola_beats;
    LV2_URID pianola_bpm;
    LV2_URID pianola_beatsPerBar;
    LV2_URID pianola_hostTime;
    LV2_URID pianola_captureState;
    LV2_URID pianola_captureNotes;
    LV2_URID pianola_text;
    LV2_URID pianola_stateVersion;
    LV2_URID pianola_timeline;
    LV2_URID pianola_prompt;
    LV2_URID pianola_seed;
    LV2_URID pianola_settings;
    LV2_URID pianola_TimelineNotes;
} PnlUris;

static inline void pnl_map_uris(LV2_URID_Map *map, PnlUris *uris)
{
    LV2_URID_Map_Handle handle = map->handle;
    uris->atom_Blank = map->map(handle, LV2_ATOM__Blank);
    uris->atom_Bool = map->map(handle, LV2_ATOM__Bool);
    uris->atom_Chunk = map->map(handle, LV2_ATOM__Chunk);
    uris->atom_Double = map->map(handle, LV2_ATOM__Double);
    uris->atom_Float = map->map(handle, LV2_ATOM__Float);
    uris->atom_Int = map->map(handle, LV2_ATOM__Int);
    uris->atom_Long = map->map(handle, LV2_ATOM__Long);
    uris->atom_Object = map->map(handle, LV2_ATOM__Object);
    uris->atom_Path = map->map(handle, LV2_ATOM__Path);
    uris->atom_Sequence = map->map(handle, LV2_ATOM__Sequence);
    uris->atom_String = map->map(handle, LV2_ATOM__String);
    uris->atom_URID = map->map(handle, LV2_ATOM__URID);
    uris->atom_eventTransfer = map->map(handle, LV2_ATOM__eventTransfer);
    uris->midi_MidiEvent = map->map(handle, LV2_MIDI__MidiEvent);
    uris->patch_Get = map->map(handle, LV2_PATCH__Get);
    uris->patch_Set = map->map(handle, LV2_PATCH__Set);
    uris->patch_property = map->map(handle, LV2_PATCH__property);
    uris->patch_value = map->map(handle, LV2_PATCH__value);
    uris->time_Position = map->map(handle, LV2_TIME__Position);
    uris->time_bar = map->map(handle, LV2_TIME__bar);
    uris->time_barBeat = map->map(handle, LV2_TIME__barBeat);
    uris->time_beatUnit = map->map(handle, LV2_TIME__beatUnit);
    uris->time_beatsPerBar = map->map(handle, LV2_TIME__beatsPerBar);
    uris->time_beatsPerMinute = map->map(handle, LV2_TIME__beatsPerMinute);
    uris->time_frame = map->map(handle, LV2_TIME__frame);
    uris->time_speed = map->map(handle, LV2_TIME__speed);
    uris->log_Error = map->map(handle, LV2_LOG__Error);
    uris->log_Note = map->map(handle, LV2_LOG__Note);
    uris->log_Trace = map->map(handle, LV2_LOG__Trace);
    uris->log_Warning = map->map(handle, LV2_LOG__Warning);
    uris->pianola_soundfont = map->map(handle, PIANOLA__soundfont);
    uris->pianola_UiOn = map->map(handle, PIANOLA__UiOn);
    uris->pianola_UiOff = map->map(handle, PIANOLA__UiOff);
    uris->pianola_Note = map->map(handle, PIANOLA__Note);
    uris->pianola_Playhead = map->map(handle, PIANOLA__Playhead);
    uris->pianola_Capture = map->map(handle, PIANOLA__Capture);
    uris->pianola_Message = map->map(handle, PIANOLA__Message);
    uris->pianola_Cut = map->map(handle, PIANOLA__Cut);
    uris->pianola_pitch = map->map(handle, PIANOLA__pitch);
    uris->pianola_velocity = map->map(handle, PIANOLA__velocity);
    uris->pianola_onsetBeats = map->map(handle, PIANOLA__onsetBeats);
    uris->pianola_durationBeats = map->map(handle, PIANOLA__durationBeats);
    uris->pianola_origin = map->map(handle, PIANOLA__origin);
    uris->pianola_beats = map->map(handle, PIANOLA__beats);
    uris->pianola_bpm = map->map(handle, PIANOLA__bpm);
    uris->pianola_beatsPerBar = map->map(handle, PIANOLA__beatsPerBar);
    uris->pianola_hostTime = map->map(handle, PIANOLA__hostTime);
    uris->pianola_captureState = map->map(handle, PIANOLA__captureState);
    uris->pianola_captureNotes = map->map(handle, PIANOLA__captureNotes);
    uris->pianola_text = map->map(handle, PIANOLA__text);
    uris->pianola_stateVersion = map->map(handle, PIANOLA__stateVersion);
    uris->pianola_timeline = map->map(handle, PIANOLA__timeline);
    uris->pianola_prompt = map->map(handle, PIANOLA__prompt);
    uris->pianola_seed = map->map(handle, PIANOLA__seed);
    uris->pianola_settings = map->map(handle, PIANOLA__settings);
    uris->pianola_TimelineNotes = map->map(handle, PIANOLA__TimelineNotes);
}
#endif
