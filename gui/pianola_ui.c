/* Pianola's plugin window: an LV2 ui:X11UI drawn with cairo, no toolkit, so
 * any host that embeds X11 (Ardour, Carla, jalv through suil) can show it.
 *
 * Data flow: the host calls port_event with control values and with the atom
 * messages the DSP writes on its notify port (notes, the playhead, the
 * capture state, messages); the UI keeps that state, and every idle call it
 * handles its X events and repaints when something changed, into an image
 * surface first and then onto the window in one copy (no flicker). The
 * person's gestures go back through write_function only: control values to
 * their ports, and the UiOn/UiOff atom messages to the control port so the
 * DSP reports notes only while a window is open.
 *
 * The composer pills are the loaded model's choices, which the DSP sends
 * (pianola:Composers) with the one composing; the model row shows the
 * file that composes (the bundled ensemble network for an ensemble while
 * the session has the bundled model), and a click on it asks the host for
 * a file dialog on the pianola:model property (ui:requestValue), as hosts
 * offer for the SoundFont.
 *
 * One window for the bundle's three plugins (plugin/variant.h): it keeps
 * its port values by the table's indices (ports.h) and maps them to and
 * from the host's, which differ for Pianola (MIDI) and Pianola (parts)
 * (the parts plugin looks as the piano does); the MIDI plugin has no
 * SoundFont to show, so the line under the roll says where its notes go,
 * and no Melody instrument, so no knob for it.
 *
 * Keyboard: the window never takes the focus on its own; a click into the
 * seed field borrows it to type a number and Enter, Escape or a click
 * elsewhere gives it back to whoever had it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The LV2 headers before Xlib's: Xlib defines Bool, a field of the atom forge. */
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/options/options.h>
#include <lv2/ui/ui.h>
#include <lv2/urid/urid.h>

#include "../plugin/ports.h"
#include "../plugin/uris.h"
#include "../plugin/variant.h"
#include "../src/engine.h"  /* the bundled models' files */
#include "../src/weights.h" /* PNL_WEIGHTS_LABEL_BYTES: a display name's size */

#include <X11/Xlib.h>
#include <X11/Xresource.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <cairo-xlib.h>
#include <cairo.h>

#include "layout.h"
#include "piano_roll.h"
#include "widgets.h"

/* What each knob controls, and its caption; the range and the default are
 * the port's (plugin/ports.h). */
typedef struct {
    int port;
    const char *label;
} KnobSpec;

static const KnobSpec knob_specs[PNL_KNOB_COUNT] = {
    [PNL_KNOB_TEMPERATURE] = {PNL_PORT_TEMPERATURE, "Temperature"},
    [PNL_KNOB_TOP_P] = {PNL_PORT_TOP_P, "Top-p"},
    [PNL_KNOB_HUMANIZE_VELOCITY] = {PNL_PORT_HUMANIZE_VELOCITY, "Velocity"},
    [PNL_KNOB_HUMANIZE_TIMING] = {PNL_PORT_HUMANIZE_TIMING, "Timing"},
    [PNL_KNOB_KEY] = {PNL_PORT_KEY, "Key"},
    [PNL_KNOB_REGISTER_LOWEST] = {PNL_PORT_REGISTER_LOWEST, "Lowest"},
    [PNL_KNOB_REGISTER_HIGHEST] = {PNL_PORT_REGISTER_HIGHEST, "Highest"},
    [PNL_KNOB_DYNAMICS] = {PNL_PORT_DYNAMICS, "Dynamics"},
    [PNL_KNOB_DENSITY] = {PNL_PORT_DENSITY, "Density"},
    [PNL_KNOB_ENSEMBLE] = {PNL_PORT_ENSEMBLE, "Ensemble"},
    [PNL_KNOB_PROMPT_PART] = {PNL_PORT_PROMPT_PART, "Capture plays"},
    [PNL_KNOB_MELODY_INSTRUMENT] = {PNL_PORT_MELODY_INSTRUMENT, "Melody"},
};

/* Each Ensemble choice's parts (src/parts.h), for the roll's legend and to
 * know when the melody's instrument is heard. */
#define ENSEMBLE_PARTS(name, label, parts) parts,
static const PnlPartSet ensemble_parts[PNL_ENSEMBLE_CHOICE_COUNT] = {
    PNL_ENSEMBLE_CHOICES(ENSEMBLE_PARTS)};
#undef ENSEMBLE_PARTS

static const char *const builtin_labels[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)};

static const double double_click_seconds = 0.4;
static const double reroll_hold_seconds = 0.15; /* long enough for the DSP to see the 1 */
static const double longest_extrapolation_seconds = 1.0;
static const double frame_seconds = 1.0 / 30.0; /* enough for a scrolling roll */
static const int largest_surface_px = 4096; /* 64 MiB of frame at most */

typedef enum {
    TARGET_NONE = 0,
    TARGET_COMPOSER,     /* + index, up to PNL_UI_COMPOSER_SEGMENTS */
    TARGET_KNOB = 48,    /* + PnlKnobId */
    TARGET_CAPTURE = 64,
    TARGET_GENERATE,
    TARGET_REROLL,
    TARGET_SEED,
    TARGET_TEMPO,
    TARGET_MODEL
} Target;

/* One open window. Every field lives on the host's UI thread: LV2 calls
 * instantiate, port_event, idle and cleanup there, so nothing is shared. */
typedef struct {
    LV2UI_Write_Function write;
    LV2UI_Controller controller;
    PnlVariant variant; /* which plugin this window is for */
    const LV2UI_Resize *host_resize;
    const LV2UI_Request_Value *request_value; /* the host's file dialog, if it has one */
    LV2_URID_Map *map;
    PnlUris uris;
    LV2_Atom_Forge forge;

    Display *display;
    Window parent, window;
    Visual *visual;
    int width, height; /* device pixels */
    double scale;
    PnlUiLayout layout;
    cairo_surface_t *window_surface; /* the X window */
    cairo_surface_t *frame;          /* where each frame is drawn, then copied */
    int exposed, dirty;
    int window_gone; /* destroyed with the host's window: touch it no more */
    double last_paint_seconds;

    float ports[PNL_PORT_COUNT]; /* by table port, not the host's index */

    int capture_state, capture_notes; /* from pianola:Capture */

    /* The last pianola:Playhead, and when it came; between messages the
     * playhead is extrapolated at its bpm while the music moves. */
    int have_playhead, rolling, host_time;
    double playhead_beats, bpm, beats_per_bar, playhead_seconds;

    PnlPianoRoll roll;
    char message[256];
    char soundfont[256];
    /* The model in use (its file's name) and its composers, from the DSP;
     * the built-in ones until it says. choice_from_dsp is the choice it
     * composes (-1: show the port's value), which differs from the port's
     * where a restored session's composer moved in the model's list. */
    char model[256];
    /* Whether the model in use is the bundle's own (bundled_model, the
     * file pnl_bundled_model_path names), as until the DSP says. */
    int model_bundled;
    char *bundled_model;
    int composer_count;
    char composer_labels[PNL_UI_COMPOSER_SEGMENTS][PNL_WEIGHTS_LABEL_BYTES + 1];
    int choice_from_dsp;

    /* The gesture in progress. */
    int hovered, pressed;
    double drag_start_y, drag_start_value;
    int last_click_target;
    double last_click_seconds;
    double reroll_release_seconds; /* > 0: write the re-roll trigger back to 0 then */

    int seed_editing;
    char seed_text[12];
    Window focus_before;
    int focus_revert_before;
} PianolaUi;

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec * 1e-9;
}

/* ---- talking to the DSP ------------------------------------------------ */

static void write_port(PianolaUi *ui, int port, float value)
{
    ui->ports[port] = value;
    ui->dirty = 1;
    int host_index = pnl_variant_host_index(ui->variant, port);
    if (host_index >= 0)
        ui->write(ui->controller, (uint32_t)host_index, sizeof value, 0, &value);
}

static void send_message(PianolaUi *ui, LV2_URID kind)
{
    uint8_t buffer[64];
    lv2_atom_forge_set_buffer(&ui->forge, buffer, sizeof buffer);
    LV2_Atom_Forge_Frame frame;
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(&ui->forge, &frame, 0, kind);
    LV2_Atom *message = ref ? (LV2_Atom *)lv2_atom_forge_deref(&ui->forge, ref) : NULL;
    lv2_atom_forge_pop(&ui->forge, &frame);
    if (message)
        ui->write(ui->controller,
                  (uint32_t)pnl_variant_host_index(ui->variant, PNL_PORT_CONTROL_IN),
                  lv2_atom_total_size(message),
                  ui->uris.atom_eventTransfer, message);
}

/* A number from any numeric atom; NAN for anything else or nothing. */
static double atom_number(const PianolaUi *ui, const LV2_Atom *atom)
{
    if (!atom)
        return NAN;
    if (atom->type == ui->uris.atom_Int && atom->size >= sizeof(int32_t))
        return ((const LV2_Atom_Int *)atom)->body;
    if (atom->type == ui->uris.atom_Long && atom->size >= sizeof(int64_t))
        return (double)((const LV2_Atom_Long *)atom)->body;
    if (atom->type == ui->uris.atom_Float && atom->size >= sizeof(float))
        return ((const LV2_Atom_Float *)atom)->body;
    if (atom->type == ui->uris.atom_Double && atom->size >= sizeof(double))
        return ((const LV2_Atom_Double *)atom)->body;
    if (atom->type == ui->uris.atom_Bool && atom->size >= sizeof(int32_t))
        return ((const LV2_Atom_Bool *)atom)->body ? 1.0 : 0.0;
    return NAN;
}

/* Copies a String or Path atom's text, which need not be terminated. */
static void atom_text(const LV2_Atom *atom, char *text, size_t capacity)
{
    size_t length = atom->size;
    const char *body = (const char *)LV2_ATOM_BODY_CONST(atom);
    if (length > 0 && body[length - 1] == '\0')
        length--;
    if (length >= capacity)
        length = capacity - 1;
    memcpy(text, body, length);
    text[length] = '\0';
}

static void receive_note(PianolaUi *ui, const LV2_Atom_Object *object)
{
    const LV2_Atom *pitch = NULL, *velocity = NULL, *onset = NULL, *duration = NULL,
                   *origin = NULL, *part = NULL;
    lv2_atom_object_get(object, ui->uris.pianola_pitch, &pitch, ui->uris.pianola_velocity, &velocity,
                        ui->uris.pianola_onsetBeats, &onset, ui->uris.pianola_durationBeats, &duration,
                        ui->uris.pianola_origin, &origin, ui->uris.pianola_part, &part, 0);
    double pitch_value = atom_number(ui, pitch), velocity_value = atom_number(ui, velocity);
    double onset_value = atom_number(ui, onset), duration_value = atom_number(ui, duration);
    double origin_value = origin ? atom_number(ui, origin) : PNL_ORIGIN_GENERATED;
    /* A note without a part is the piano's, as every note of solo piano. */
    double part_value = part ? atom_number(ui, part) : PNL_PART_PIANO;
    if (isnan(pitch_value) || isnan(velocity_value) || isnan(onset_value) ||
        isnan(duration_value) || isnan(origin_value) || isnan(part_value))
        return;
    pnl_piano_roll_add(&ui->roll, (int)pitch_value, (int)velocity_value, onset_value,
                       duration_value, (int)origin_value, (int)part_value);
}

/* Returns whether anything shown changed: a stopped transport keeps
 * reporting the same place, and that must not cost a repaint each time. */
static int receive_playhead(PianolaUi *ui, const LV2_Atom_Object *object)
{
    const LV2_Atom *beats = NULL, *bpm = NULL, *beats_per_bar = NULL, *host_time = NULL;
    lv2_atom_object_get(object, ui->uris.pianola_beats, &beats, ui->uris.pianola_bpm, &bpm,
                        ui->uris.pianola_beatsPerBar, &beats_per_bar, ui->uris.pianola_hostTime, &host_time,
                        0);
    double beats_value = atom_number(ui, beats);
    if (!isfinite(beats_value))
        return 0;
    double bpm_value = atom_number(ui, bpm);
    double beats_per_bar_value = atom_number(ui, beats_per_bar);
    int was_rolling = ui->rolling, had_playhead = ui->have_playhead;
    double previous_beats = ui->playhead_beats, previous_bpm = ui->bpm;
    double previous_beats_per_bar = ui->beats_per_bar;
    int previous_host_time = ui->host_time;

    /* Moving only if this message is past the last one: a stopped transport
     * repeats its position, and a locate jumps; neither should drift. */
    ui->rolling = ui->have_playhead && beats_value > ui->playhead_beats &&
                  beats_value - ui->playhead_beats < 8.0;
    ui->playhead_beats = beats_value;
    if (isfinite(bpm_value) && bpm_value > 0 && bpm_value < 1000)
        ui->bpm = bpm_value;
    if (isfinite(beats_per_bar_value) && beats_per_bar_value >= 1 && beats_per_bar_value <= 32)
        ui->beats_per_bar = beats_per_bar_value;
    if (host_time)
        ui->host_time = atom_number(ui, host_time) > 0.5;
    ui->have_playhead = 1;
    ui->playhead_seconds = now_seconds();
    return !had_playhead || ui->rolling || was_rolling || beats_value != previous_beats ||
           ui->bpm != previous_bpm || ui->beats_per_bar != previous_beats_per_bar ||
           ui->host_time != previous_host_time;
}

static void receive_capture(PianolaUi *ui, const LV2_Atom_Object *object)
{
    const LV2_Atom *state = NULL, *notes = NULL;
    lv2_atom_object_get(object, ui->uris.pianola_captureState, &state, ui->uris.pianola_captureNotes, &notes,
                        0);
    double state_value = atom_number(ui, state), notes_value = atom_number(ui, notes);
    if (!(state_value >= PNL_CAPTURE_OFF && state_value <= PNL_CAPTURE_PROMPT_SET))
        return;
    int previous = ui->capture_state;
    ui->capture_state = (int)state_value;
    ui->capture_notes = notes_value >= 0 && notes_value < 1e6 ? (int)notes_value : 0;
    /* A new capture replaces the prompt: stop showing the old one. */
    if (ui->capture_state == PNL_CAPTURE_ARMED && previous != PNL_CAPTURE_ARMED)
        pnl_piano_roll_forget_origin(&ui->roll, PNL_ORIGIN_PROMPT);
}

/* patch:Set of the SoundFont or the model: the file's name is shown. */
static void receive_path(PianolaUi *ui, const LV2_Atom_Object *object)
{
    const LV2_Atom *property = NULL, *value = NULL;
    lv2_atom_object_get(object, ui->uris.patch_property, &property, ui->uris.patch_value,
                        &value, 0);
    if (!property || property->type != ui->forge.URID || !value ||
        (value->type != ui->uris.atom_Path && value->type != ui->uris.atom_String))
        return;
    LV2_URID key = ((const LV2_Atom_URID *)property)->body;
    char *shown = key == ui->uris.pianola_soundfont ? ui->soundfont
                  : key == ui->uris.pianola_model   ? ui->model
                                                    : NULL;
    if (!shown)
        return;
    char path[sizeof ui->soundfont];
    atom_text(value, path, sizeof path);
    const char *name = strrchr(path, '/');
    snprintf(shown, sizeof ui->soundfont, "%s", name ? name + 1 : path);
    if (shown == ui->model) {
        struct stat file, bundled;
        ui->model_bundled = ui->bundled_model && stat(path, &file) == 0 &&
                            stat(ui->bundled_model, &bundled) == 0 &&
                            file.st_dev == bundled.st_dev && file.st_ino == bundled.st_ino;
    }
}

static void use_builtin_composers(PianolaUi *ui)
{
    ui->composer_count = PNL_COMPOSER_CHOICE_COUNT;
    for (int c = 0; c < PNL_COMPOSER_CHOICE_COUNT; c++)
        snprintf(ui->composer_labels[c], sizeof ui->composer_labels[c], "%s", builtin_labels[c]);
    ui->choice_from_dsp = -1;
}

/* pianola:Composers: the model's choices, in the Composer port's order. */
static void receive_composers(PianolaUi *ui, const LV2_Atom_Object *object)
{
    const LV2_Atom *labels = NULL, *choice = NULL;
    lv2_atom_object_get(object, ui->uris.pianola_labels, &labels, ui->uris.pianola_choice,
                        &choice, 0);
    if (!labels || labels->type != ui->uris.atom_Tuple)
        return;
    int count = 0;
    LV2_ATOM_TUPLE_FOREACH ((const LV2_Atom_Tuple *)labels, label) {
        if (count == PNL_UI_COMPOSER_SEGMENTS || label->type != ui->uris.atom_String)
            break;
        atom_text(label, ui->composer_labels[count], sizeof ui->composer_labels[count]);
        count++;
    }
    if (count == 0) {
        use_builtin_composers(ui);
        return;
    }
    ui->composer_count = count;
    ui->choice_from_dsp = choice && choice->type == ui->uris.atom_Int &&
                                  ((const LV2_Atom_Int *)choice)->body >= 0 &&
                                  ((const LV2_Atom_Int *)choice)->body < count
                              ? ((const LV2_Atom_Int *)choice)->body
                              : -1;
    pnl_ui_layout_composers(&ui->layout, ui->composer_count);
}

/* The pill lit: the DSP's choice, else the port's (the last for a number
 * past the list, as the DSP reads it). */
static int shown_composer(const PianolaUi *ui)
{
    if (ui->choice_from_dsp >= 0)
        return ui->choice_from_dsp;
    int choice = (int)lrintf(ui->ports[PNL_PORT_COMPOSER]);
    return choice < 0 ? 0 : choice < ui->composer_count ? choice : ui->composer_count - 1;
}

/* A click on the model row: the host's file dialog for the property, where
 * it offers one (it then sets the property, and the DSP says which model
 * plays); else where to find it. */
static void choose_model(PianolaUi *ui)
{
    if (ui->request_value &&
        ui->request_value->request(ui->request_value->handle, ui->uris.pianola_model,
                                   ui->uris.atom_Path, NULL) == LV2UI_REQUEST_VALUE_SUCCESS)
        return;
    snprintf(ui->message, sizeof ui->message,
             "this host gives the window no file dialog: choose the model among the plugin's "
             "properties (Model)");
    ui->dirty = 1;
}

static void receive_atom(PianolaUi *ui, uint32_t buffer_size, const void *buffer)
{
    const LV2_Atom *atom = (const LV2_Atom *)buffer;
    if (buffer_size < sizeof(LV2_Atom) || buffer_size < lv2_atom_total_size(atom))
        return;
    if ((atom->type != ui->uris.atom_Object && atom->type != ui->uris.atom_Blank) ||
        atom->size < sizeof(LV2_Atom_Object_Body))
        return;
    const LV2_Atom_Object *object = (const LV2_Atom_Object *)atom;
    LV2_URID kind = object->body.otype;
    if (kind == ui->uris.pianola_Note) {
        receive_note(ui, object);
    } else if (kind == ui->uris.pianola_Playhead) {
        if (!receive_playhead(ui, object))
            return;
    } else if (kind == ui->uris.pianola_Capture) {
        receive_capture(ui, object);
    } else if (kind == ui->uris.pianola_Cut) {
        const LV2_Atom *onset = NULL;
        lv2_atom_object_get(object, ui->uris.pianola_onsetBeats, &onset, 0);
        pnl_piano_roll_cut(&ui->roll, atom_number(ui, onset));
    } else if (kind == ui->uris.pianola_Message) {
        const LV2_Atom *text = NULL;
        lv2_atom_object_get(object, ui->uris.pianola_text, &text, 0);
        if (text && text->type == ui->uris.atom_String)
            atom_text(text, ui->message, sizeof ui->message);
    } else if (kind == ui->uris.patch_Set) {
        receive_path(ui, object);
    } else if (kind == ui->uris.pianola_Composers) {
        receive_composers(ui, object);
    } else {
        return;
    }
    ui->dirty = 1;
}

/* ---- state shown ------------------------------------------------------- */

static double current_playhead_beats(const PianolaUi *ui, double now)
{
    if (!ui->have_playhead)
        return 0.0;
    if (!ui->rolling)
        return ui->playhead_beats;
    double elapsed = now - ui->playhead_seconds;
    if (elapsed < 0)
        elapsed = 0;
    if (elapsed > longest_extrapolation_seconds)
        elapsed = longest_extrapolation_seconds;
    return ui->playhead_beats + elapsed * ui->bpm / 60.0;
}

/* The capture button follows the port at once (the person just clicked) and
 * the DSP's notification for what it cannot know (notes so far, a prompt). */
static int shown_capture_state(const PianolaUi *ui)
{
    int on = ui->ports[PNL_PORT_CAPTURE] > 0.5f;
    if (on)
        return ui->capture_state == PNL_CAPTURE_RECORDING ? PNL_CAPTURE_RECORDING
                                                          : PNL_CAPTURE_ARMED;
    if (ui->capture_state == PNL_CAPTURE_PROMPT_SET ||
        (ui->capture_state == PNL_CAPTURE_RECORDING && ui->capture_notes > 0))
        return PNL_CAPTURE_PROMPT_SET;
    return PNL_CAPTURE_OFF;
}

static double knob_normalised(const PianolaUi *ui, int knob)
{
    const PnlControlSpec *spec = pnl_control_spec(knob_specs[knob].port);
    return (ui->ports[knob_specs[knob].port] - spec->minimum) / (spec->maximum - spec->minimum);
}

/* The Ensemble choice in use, within the port's range. */
static int shown_ensemble(const PianolaUi *ui)
{
    int choice = (int)lrintf(ui->ports[PNL_PORT_ENSEMBLE]);
    return choice < 0 ? 0 : choice < PNL_ENSEMBLE_CHOICE_COUNT ? choice
                                                               : PNL_ENSEMBLE_CHOICE_COUNT - 1;
}

/* The file that composes: the session's model, but the bundled ensemble
 * network for an ensemble while that is the bundled piano model (the
 * engine's rule, pnl_bundled_model_for). */
static const char *composing_model_name(const PianolaUi *ui)
{
    if (ui->model_bundled)
        return pnl_bundled_model_for(shown_ensemble(ui));
    return ui->model[0] ? ui->model : PNL_BUNDLED_PIANO_MODEL;
}

/* Whether Capture plays has a choice to make: whether the two choices give
 * a captured phrase different parts (pnl_ensemble_prompt_part, the engine's
 * rule), only so in an ensemble with the piano and another part. */
static int capture_part_chosen(const PianolaUi *ui)
{
    PnlPartSet parts = ensemble_parts[shown_ensemble(ui)];
    return pnl_ensemble_prompt_part(parts, PNL_PROMPT_PART_PIANO) !=
           pnl_ensemble_prompt_part(parts, PNL_PROMPT_PART_TOP);
}

static void knob_value_text(const PianolaUi *ui, int knob, char *text, size_t capacity)
{
    float value = ui->ports[knob_specs[knob].port];
    switch (knob) {
    case PNL_KNOB_TEMPERATURE:
        if (value <= 0.0f)
            snprintf(text, capacity, "best guess");
        else
            snprintf(text, capacity, "%.2f", value);
        break;
    case PNL_KNOB_TOP_P:
        snprintf(text, capacity, "%.2f", value);
        break;
    case PNL_KNOB_KEY:
    case PNL_KNOB_DYNAMICS:
    case PNL_KNOB_DENSITY:
    case PNL_KNOB_ENSEMBLE:
    case PNL_KNOB_PROMPT_PART:
    case PNL_KNOB_MELODY_INSTRUMENT: {
        int port = knob_specs[knob].port;
        int choice = (int)lrintf(value);
        if (knob == PNL_KNOB_PROMPT_PART && !capture_part_chosen(ui))
            choice = pnl_ensemble_prompt_part(ensemble_parts[shown_ensemble(ui)], choice) ==
                             PNL_PART_PIANO
                         ? PNL_PROMPT_PART_PIANO
                         : PNL_PROMPT_PART_TOP; /* the part it will be, whatever the port says */
        const char *label = pnl_control_choice_label(port, choice);
        snprintf(text, capacity, "%s", label ? label : "");
        break;
    }
    case PNL_KNOB_REGISTER_LOWEST:
    case PNL_KNOB_REGISTER_HIGHEST: {
        /* A key's name, C4 the middle C (MIDI 60). */
        static const char *const names[12] = {"C", "C#", "D", "Eb", "E", "F",
                                              "F#", "G", "Ab", "A", "Bb", "B"};
        int pitch = (int)lrintf(value);
        snprintf(text, capacity, "%s%d", names[((pitch % 12) + 12) % 12], pitch / 12 - 1);
        break;
    }
    default:
        snprintf(text, capacity, "%d %%", (int)lrintf(value * 100.0f));
        break;
    }
}

/* Whether the window has a knob for the plugin it serves: Pianola (MIDI)
 * has no Melody instrument port, its melody going out on MIDI only. */
static int knob_shown(const PianolaUi *ui, int knob)
{
    return pnl_variant_has_port(ui->variant, knob_specs[knob].port);
}

/* ---- drawing ----------------------------------------------------------- */

static void draw_group_caption(cairo_t *cr, PnlRect first, PnlRect last, double scale,
                               const char *caption)
{
    double left = first.x + 8 * scale, right = last.x + last.width - 8 * scale;
    double centre = (left + right) / 2, y = first.y + 1 * scale;
    double width = pnl_draw_text(cr, caption, centre, y, 9 * scale, PNL_ALIGN_CENTRE,
                                 pnl_color_text_dim, 0);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, pnl_color_panel_edge, 1.0);
    cairo_move_to(cr, left, y - 3 * scale);
    cairo_line_to(cr, centre - width / 2 - 6 * scale, y - 3 * scale);
    cairo_move_to(cr, centre + width / 2 + 6 * scale, y - 3 * scale);
    cairo_line_to(cr, right, y - 3 * scale);
    cairo_stroke(cr);
}

/* A line of text at the roll's foot, on a dark backing so notes under it
 * do not hide it, kept clear of the legend, which begins at legend_left. */
static void draw_footer(cairo_t *cr, const PnlUiLayout *layout, const char *text,
                        PnlColor color, double legend_left)
{
    double scale = layout->scale;
    double x = layout->notes.x + 6 * scale;
    double baseline = layout->notes.y + layout->notes.height - 8 * scale;
    double room = legend_left - 12 * scale - x;
    if (room <= 0)
        return;
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 10.5 * scale);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    double width = fmin(extents.x_advance + 10 * scale, room);
    cairo_save(cr);
    pnl_rounded_rect(cr, pnl_rect(x, baseline - 13 * scale, width, 18 * scale), 4 * scale);
    pnl_set_color(cr, pnl_color_background, 0.85);
    cairo_fill_preserve(cr);
    cairo_clip(cr);
    pnl_draw_text(cr, text, x + 5 * scale, baseline, 10.5 * scale, PNL_ALIGN_LEFT, color, 0);
    cairo_restore(cr);
}

static void draw_frame(PianolaUi *ui, cairo_t *cr, double now)
{
    const PnlUiLayout *layout = &ui->layout;
    double scale = layout->scale;
    pnl_set_color(cr, pnl_color_background, 1.0);
    cairo_paint(cr);

    /* Header: the name, the composer, the tempo. */
    cairo_select_font_face(cr, "serif", CAIRO_FONT_SLANT_ITALIC, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 26 * scale);
    pnl_set_color(cr, pnl_color_text, 1.0);
    cairo_move_to(cr, 18 * scale, 39 * scale);
    cairo_show_text(cr, "Pianola");
    double name_end_x, name_end_y;
    cairo_get_current_point(cr, &name_end_x, &name_end_y);
    cairo_new_path(cr);
    cairo_arc(cr, name_end_x + 4 * scale, 37 * scale, 2.5 * scale, 0, 6.2832);
    pnl_set_color(cr, pnl_color_accent, 1.0);
    cairo_fill(cr);

    int hovered_composer = ui->hovered >= TARGET_COMPOSER &&
                                   ui->hovered < TARGET_COMPOSER + ui->composer_count
                               ? ui->hovered - TARGET_COMPOSER
                               : -1;
    const char *labels[PNL_UI_COMPOSER_SEGMENTS];
    for (int c = 0; c < ui->composer_count; c++)
        labels[c] = ui->composer_labels[c];
    pnl_draw_composer_selector(cr, layout->composer, ui->composer_count, labels,
                               shown_composer(ui), hovered_composer, scale);
    pnl_draw_model_row(cr, layout->model, scale, composing_model_name(ui),
                       ui->hovered == TARGET_MODEL);

    double playhead = current_playhead_beats(ui, now);
    int host_time = ui->have_playhead && ui->host_time;
    /* The internal tempo is the port's, shown at once while it is dragged. */
    double bpm = host_time ? ui->bpm : ui->ports[PNL_PORT_TEMPO];
    if (!host_time && (ui->hovered == TARGET_TEMPO || ui->pressed == TARGET_TEMPO)) {
        pnl_rounded_rect(cr, layout->tempo, 6 * scale);
        pnl_set_color(cr, pnl_color_text, 0.05);
        cairo_fill(cr);
    }
    pnl_draw_tempo(cr, layout->tempo, scale, bpm, host_time, ui->have_playhead, playhead,
                   ui->beats_per_bar);

    /* The roll, its legend naming the ensemble's parts, with the SoundFont
     * and any message from the DSP under it. The melody goes by its
     * instrument's name where this plugin plays it. */
    char melody_name[32] = "";
    if (pnl_variant_has_port(ui->variant, PNL_PORT_MELODY_INSTRUMENT)) {
        const char *label = pnl_control_choice_label(
            PNL_PORT_MELODY_INSTRUMENT, (int)lrintf(ui->ports[PNL_PORT_MELODY_INSTRUMENT]));
        for (size_t i = 0; label && label[i] && i + 1 < sizeof melody_name; i++)
            melody_name[i] = (char)(label[i] >= 'A' && label[i] <= 'Z' ? label[i] + 32 : label[i]);
    }
    PnlRollLegend legend = {ensemble_parts[shown_ensemble(ui)], melody_name};
    double legend_left = pnl_piano_roll_draw(cr, &ui->roll, layout, playhead,
                                             ui->beats_per_bar, ui->have_playhead, &legend);
    if (ui->message[0]) {
        draw_footer(cr, layout, ui->message, pnl_color_live, legend_left);
    } else if (ui->variant == PNL_VARIANT_MIDI) {
        draw_footer(cr, layout, "MIDI out  to the instrument after Pianola", pnl_color_text_dim,
                    legend_left);
    } else if (ui->soundfont[0]) {
        char line[300];
        snprintf(line, sizeof line, "SoundFont  %s", ui->soundfont);
        draw_footer(cr, layout, line, pnl_color_text_dim, legend_left);
    }
    if (ui->ports[PNL_PORT_GENERATE] <= 0.5f) {
        PnlRect notes = layout->notes;
        double playhead_x = notes.x + pnl_roll_playhead_fraction * notes.width;
        pnl_draw_text(cr, "composing paused", (playhead_x + notes.x + notes.width) / 2,
                      notes.y + notes.height / 2, 12 * scale, PNL_ALIGN_CENTRE,
                      pnl_color_text_dim, 0);
    }
    if (!ui->have_playhead) {
        PnlRect notes = layout->notes;
        double playhead_x = notes.x + pnl_roll_playhead_fraction * notes.width;
        pnl_draw_text(cr, "waiting for the transport", (notes.x + playhead_x) / 2,
                      notes.y + notes.height / 2, 12 * scale, PNL_ALIGN_CENTRE,
                      pnl_color_text_dim, 0);
    }

    /* Controls. */
    pnl_draw_capture_button(cr, layout->capture, scale, shown_capture_state(ui),
                            ui->capture_notes, ui->hovered == TARGET_CAPTURE);
    pnl_draw_toggle_button(cr, layout->generate, scale, "Compose", "on", "off",
                           ui->ports[PNL_PORT_GENERATE] > 0.5f, ui->hovered == TARGET_GENERATE);
    pnl_draw_reroll_button(cr, layout->reroll, scale, ui->ports[PNL_PORT_REROLL] > 0.5f,
                           ui->hovered == TARGET_REROLL);
    draw_group_caption(cr, layout->knob[PNL_KNOB_TEMPERATURE], layout->knob[PNL_KNOB_TOP_P],
                       scale, "model");
    draw_group_caption(cr, layout->knob[PNL_KNOB_HUMANIZE_VELOCITY],
                       layout->knob[PNL_KNOB_HUMANIZE_TIMING], scale, "humanize");
    draw_group_caption(cr, layout->knob[PNL_KNOB_KEY], layout->knob[PNL_KNOB_DENSITY], scale,
                       "steer");
    draw_group_caption(cr, layout->knob[PNL_KNOB_ENSEMBLE],
                       layout->knob[knob_shown(ui, PNL_KNOB_MELODY_INSTRUMENT)
                                        ? PNL_KNOB_MELODY_INSTRUMENT
                                        : PNL_KNOB_PROMPT_PART],
                       scale, "ensemble");
    /* The melody's instrument is heard in Melody and piano only, and the
     * captured phrase has a part to choose only in an ensemble with the
     * piano: faint otherwise, and still there to choose beforehand. */
    int melody_heard = (ensemble_parts[shown_ensemble(ui)] & PNL_PART_BIT(PNL_PART_MELODY)) != 0;
    for (int knob = 0; knob < PNL_KNOB_COUNT; knob++) {
        if (!knob_shown(ui, knob))
            continue;
        char value[32];
        knob_value_text(ui, knob, value, sizeof value);
        int idle = (knob == PNL_KNOB_MELODY_INSTRUMENT && !melody_heard) ||
                   (knob == PNL_KNOB_PROMPT_PART && !capture_part_chosen(ui));
        int faint = idle && ui->hovered != TARGET_KNOB + knob && ui->pressed != TARGET_KNOB + knob;
        if (faint)
            cairo_push_group(cr);
        pnl_draw_knob(cr, layout->knob[knob], scale, knob_specs[knob].label, value,
                      knob_normalised(ui, knob), ui->hovered == TARGET_KNOB + knob,
                      ui->pressed == TARGET_KNOB + knob);
        if (faint) {
            cairo_pop_group_to_source(cr);
            cairo_paint_with_alpha(cr, 0.45);
        }
    }
    char seed[16];
    if (ui->seed_editing)
        snprintf(seed, sizeof seed, "%s", ui->seed_text);
    else
        snprintf(seed, sizeof seed, "%ld", lrintf(ui->ports[PNL_PORT_SEED]));
    pnl_draw_seed_field(cr, layout->seed_cell, layout->seed, scale, seed, ui->seed_editing,
                        ui->hovered == TARGET_SEED);
}

static void paint(PianolaUi *ui)
{
    if (!ui->frame || !ui->window_surface || ui->window_gone)
        return;
    double now = now_seconds();
    cairo_t *cr = cairo_create(ui->frame);
    draw_frame(ui, cr, now);
    cairo_destroy(cr);
    cairo_surface_flush(ui->frame);

    cr = cairo_create(ui->window_surface);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_surface(cr, ui->frame, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(ui->window_surface);
    XSync(ui->display, False);
    ui->dirty = 0;
    ui->last_paint_seconds = now;
}

static void set_size(PianolaUi *ui, int width, int height)
{
    if (width < 1)
        width = 1;
    if (height < 1)
        height = 1;
    if (width == ui->width && height == ui->height && ui->frame)
        return;
    ui->width = width;
    ui->height = height;
    int surface_width = width < largest_surface_px ? width : largest_surface_px;
    int surface_height = height < largest_surface_px ? height : largest_surface_px;
    if (ui->frame)
        cairo_surface_destroy(ui->frame);
    ui->frame = cairo_image_surface_create(CAIRO_FORMAT_RGB24, surface_width, surface_height);
    if (cairo_surface_status(ui->frame) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(ui->frame);
        ui->frame = NULL;
    }
    if (ui->window_surface)
        cairo_xlib_surface_set_size(ui->window_surface, surface_width, surface_height);
    pnl_ui_layout_compute(&ui->layout, width, height, ui->scale);
    pnl_ui_layout_composers(&ui->layout, ui->composer_count);
    ui->dirty = 1;
}

/* ---- gestures ---------------------------------------------------------- */

static int target_at(const PianolaUi *ui, double x, double y)
{
    const PnlUiLayout *layout = &ui->layout;
    for (int i = 0; i < ui->composer_count; i++)
        if (pnl_rect_contains(layout->composer[i], x, y))
            return TARGET_COMPOSER + i;
    if (pnl_rect_contains(layout->model, x, y))
        return TARGET_MODEL;
    for (int knob = 0; knob < PNL_KNOB_COUNT; knob++)
        if (knob_shown(ui, knob) && pnl_rect_contains(layout->knob[knob], x, y))
            return TARGET_KNOB + knob;
    if (pnl_rect_contains(layout->capture, x, y))
        return TARGET_CAPTURE;
    if (pnl_rect_contains(layout->generate, x, y))
        return TARGET_GENERATE;
    if (pnl_rect_contains(layout->reroll, x, y))
        return TARGET_REROLL;
    if (pnl_rect_contains(layout->seed, x, y))
        return TARGET_SEED;
    if (pnl_rect_contains(layout->tempo, x, y))
        return TARGET_TEMPO;
    return TARGET_NONE;
}

/* `value` within the port's range. */
static double clamp_to_port(int port, double value)
{
    const PnlControlSpec *spec = pnl_control_spec(port);
    return value < spec->minimum ? spec->minimum : value > spec->maximum ? spec->maximum : value;
}

static void set_knob(PianolaUi *ui, int knob, double value)
{
    int port = knob_specs[knob].port;
    value = clamp_to_port(port, value);
    /* Keys, registers, dynamics, densities and ensembles are whole choices. */
    if (pnl_control_spec(port)->kind != PNL_CONTROL_FLOAT)
        value = floor(value + 0.5);
    write_port(ui, port, (float)value);
}

static void set_seed(PianolaUi *ui, double seed)
{
    write_port(ui, PNL_PORT_SEED, (float)floor(clamp_to_port(PNL_PORT_SEED, seed)));
}

static void set_tempo(PianolaUi *ui, double bpm)
{
    bpm = clamp_to_port(PNL_PORT_TEMPO, bpm);
    write_port(ui, PNL_PORT_TEMPO, (float)(floor(bpm * 2 + 0.5) / 2));
}

static void begin_seed_edit(PianolaUi *ui)
{
    if (ui->seed_editing)
        return;
    ui->seed_editing = 1;
    ui->seed_text[0] = '\0';
    /* Borrow the keyboard focus, remembering whose it was. */
    XGetInputFocus(ui->display, &ui->focus_before, &ui->focus_revert_before);
    XWindowAttributes attributes;
    if (XGetWindowAttributes(ui->display, ui->window, &attributes) &&
        attributes.map_state == IsViewable)
        XSetInputFocus(ui->display, ui->window, RevertToParent, CurrentTime);
    ui->dirty = 1;
}

/* Whether `window` holds ours: such a window is still there and viewable
 * while ours is, so handing it the focus cannot fail. */
static int is_ancestor(PianolaUi *ui, Window window)
{
    Window current = ui->window;
    for (int depth = 0; depth < 64 && current; depth++) {
        Window root, parent, *children = NULL;
        unsigned count = 0;
        if (!XQueryTree(ui->display, current, &root, &parent, &children, &count))
            return 0;
        if (children)
            XFree(children);
        if (parent == window)
            return 1;
        if (parent == root)
            return 0;
        current = parent;
    }
    return 0;
}

static void end_seed_edit(PianolaUi *ui, int commit)
{
    if (!ui->seed_editing)
        return;
    ui->seed_editing = 0;
    if (commit && ui->seed_text[0])
        set_seed(ui, strtod(ui->seed_text, NULL));
    Window focus;
    int revert;
    XGetInputFocus(ui->display, &focus, &revert);
    if (focus == ui->window && !ui->window_gone) {
        /* Back to whoever had it, if that window surely still takes it;
         * otherwise to the host's window we live in. */
        Window back = ui->focus_before;
        if (back == None || back == PointerRoot || back == ui->window || !is_ancestor(ui, back))
            back = ui->parent;
        XSetInputFocus(ui->display, back, RevertToParent, CurrentTime);
    }
    ui->dirty = 1;
}

static void press(PianolaUi *ui, const XButtonEvent *event)
{
    int target = target_at(ui, event->x, event->y);
    if (ui->seed_editing && target != TARGET_SEED)
        end_seed_edit(ui, 1);

    if (event->button == Button4 || event->button == Button5) {
        double steps = event->button == Button4 ? 1.0 : -1.0;
        if (target >= TARGET_KNOB && target < TARGET_KNOB + PNL_KNOB_COUNT) {
            int port = knob_specs[target - TARGET_KNOB].port;
            const PnlControlSpec *spec = pnl_control_spec(port);
            double fine = event->state & ShiftMask ? 0.2 : 1.0;
            /* A whole choice a notch for keys, registers, dynamics, densities and
             * ensembles. */
            double notch = spec->kind == PNL_CONTROL_FLOAT
                               ? fine * (spec->maximum - spec->minimum) / 50
                               : 1.0;
            set_knob(ui, target - TARGET_KNOB, ui->ports[port] + steps * notch);
        } else if (target == TARGET_SEED) {
            end_seed_edit(ui, 0);
            set_seed(ui, ui->ports[PNL_PORT_SEED] + steps);
        } else if (target == TARGET_TEMPO && !(ui->have_playhead && ui->host_time)) {
            set_tempo(ui, ui->ports[PNL_PORT_TEMPO] + steps);
        } else if (target >= TARGET_COMPOSER &&
                   target < TARGET_COMPOSER + ui->composer_count) {
            int next = shown_composer(ui) - (int)steps;
            if (next >= 0 && next < ui->composer_count) {
                ui->choice_from_dsp = -1;
                write_port(ui, PNL_PORT_COMPOSER, (float)next);
            }
        }
        return;
    }
    if (event->button != Button1)
        return;

    double now = now_seconds();
    int double_click = target == ui->last_click_target &&
                       now - ui->last_click_seconds < double_click_seconds;
    ui->last_click_target = target;
    ui->last_click_seconds = double_click ? 0 : now;

    if (target >= TARGET_COMPOSER && target < TARGET_COMPOSER + ui->composer_count) {
        ui->choice_from_dsp = -1;
        write_port(ui, PNL_PORT_COMPOSER, (float)(target - TARGET_COMPOSER));
    } else if (target == TARGET_MODEL) {
        choose_model(ui);
    } else if (target >= TARGET_KNOB && target < TARGET_KNOB + PNL_KNOB_COUNT) {
        int knob = target - TARGET_KNOB;
        if (double_click) {
            set_knob(ui, knob, pnl_control_spec(knob_specs[knob].port)->default_value);
        } else {
            ui->pressed = target;
            ui->drag_start_y = event->y;
            ui->drag_start_value = ui->ports[knob_specs[knob].port];
        }
    } else if (target == TARGET_TEMPO && !(ui->have_playhead && ui->host_time)) {
        ui->pressed = target;
        ui->drag_start_y = event->y;
        ui->drag_start_value = ui->ports[PNL_PORT_TEMPO];
    } else if (target == TARGET_CAPTURE) {
        write_port(ui, PNL_PORT_CAPTURE, ui->ports[PNL_PORT_CAPTURE] > 0.5f ? 0.0f : 1.0f);
    } else if (target == TARGET_GENERATE) {
        write_port(ui, PNL_PORT_GENERATE, ui->ports[PNL_PORT_GENERATE] > 0.5f ? 0.0f : 1.0f);
    } else if (target == TARGET_REROLL) {
        /* A trigger: 1 now, 0 a little later so the DSP sees a whole pulse
         * even when the host applies both writes in one cycle otherwise. */
        write_port(ui, PNL_PORT_REROLL, 1.0f);
        ui->reroll_release_seconds = now + reroll_hold_seconds;
    } else if (target == TARGET_SEED) {
        begin_seed_edit(ui);
    }
    ui->dirty = 1;
}

static void drag(PianolaUi *ui, const XMotionEvent *event)
{
    double travel = (ui->drag_start_y - event->y) / (160.0 * ui->scale);
    if (event->state & ShiftMask)
        travel *= 0.2;
    if (ui->pressed >= TARGET_KNOB && ui->pressed < TARGET_KNOB + PNL_KNOB_COUNT) {
        const PnlControlSpec *spec = pnl_control_spec(knob_specs[ui->pressed - TARGET_KNOB].port);
        set_knob(ui, ui->pressed - TARGET_KNOB,
                 ui->drag_start_value + travel * (spec->maximum - spec->minimum));
    } else if (ui->pressed == TARGET_TEMPO) {
        set_tempo(ui, ui->drag_start_value + travel * 100.0);
    }
}

static void key(PianolaUi *ui, XKeyEvent *event)
{
    if (!ui->seed_editing)
        return;
    char typed[8] = {0};
    KeySym symbol = NoSymbol;
    XLookupString(event, typed, sizeof typed - 1, &symbol, NULL);
    size_t length = strlen(ui->seed_text);
    if (symbol == XK_Return || symbol == XK_KP_Enter) {
        end_seed_edit(ui, 1);
    } else if (symbol == XK_Escape) {
        end_seed_edit(ui, 0);
    } else if (symbol == XK_BackSpace) {
        if (length > 0)
            ui->seed_text[length - 1] = '\0';
    } else if (typed[0] >= '0' && typed[0] <= '9' && typed[1] == '\0') {
        if (length + 1 < sizeof ui->seed_text && length < 8) {
            ui->seed_text[length] = typed[0];
            ui->seed_text[length + 1] = '\0';
        }
    }
    ui->dirty = 1;
}

static void handle_event(PianolaUi *ui, XEvent *event)
{
    switch (event->type) {
    case Expose:
        ui->exposed = 1;
        ui->dirty = 1;
        break;
    case UnmapNotify:
        ui->exposed = 0;
        break;
    case DestroyNotify:
        if (event->xdestroywindow.window == ui->window) {
            ui->window_gone = 1;
            ui->exposed = 0;
        }
        break;
    case ConfigureNotify:
        set_size(ui, event->xconfigure.width, event->xconfigure.height);
        break;
    case ButtonPress:
        press(ui, &event->xbutton);
        break;
    case ButtonRelease:
        if (event->xbutton.button == Button1 && ui->pressed) {
            ui->pressed = TARGET_NONE;
            ui->dirty = 1;
        }
        break;
    case MotionNotify: {
        if (ui->pressed) {
            drag(ui, &event->xmotion);
            break;
        }
        int target = target_at(ui, event->xmotion.x, event->xmotion.y);
        if (target != ui->hovered) {
            ui->hovered = target;
            ui->dirty = 1;
        }
        break;
    }
    case LeaveNotify:
        if (ui->hovered) {
            ui->hovered = TARGET_NONE;
            ui->dirty = 1;
        }
        break;
    case KeyPress:
        key(ui, &event->xkey);
        break;
    case FocusOut:
        if (ui->seed_editing && event->xfocus.mode == NotifyNormal &&
            event->xfocus.detail != NotifyInferior)
            end_seed_edit(ui, 1);
        break;
    default:
        break;
    }
}

/* ---- the LV2 UI -------------------------------------------------------- */

static double hidpi_scale(Display *display, const LV2_Feature *const *features,
                          LV2_URID_Map *map)
{
    /* The host's word first (ui:scaleFactor), then GDK_SCALE as GTK hosts
     * use it, then the desktop's Xft.dpi against the 96 dpi baseline. */
    const LV2_Options_Option *options = NULL;
    for (int i = 0; features[i]; i++)
        if (!strcmp(features[i]->URI, LV2_OPTIONS__options))
            options = (const LV2_Options_Option *)features[i]->data;
    if (options) {
        LV2_URID scale_factor = map->map(map->handle, LV2_UI__scaleFactor);
        LV2_URID atom_float = map->map(map->handle, LV2_ATOM__Float);
        for (; options->key; options++)
            if (options->key == scale_factor && options->type == atom_float && options->value) {
                float value = *(const float *)options->value;
                if (value >= 0.5f && value <= 4.0f)
                    return value;
            }
    }
    const char *gdk_scale = getenv("GDK_SCALE");
    if (gdk_scale && *gdk_scale) {
        double value = strtod(gdk_scale, NULL);
        if (value >= 1.0 && value <= 4.0)
            return value;
    }
    double scale = 1.0;
    char *resources = XResourceManagerString(display);
    if (resources) {
        XrmInitialize();
        XrmDatabase database = XrmGetStringDatabase(resources);
        char *type = NULL;
        XrmValue value;
        if (database && XrmGetResource(database, "Xft.dpi", "String", &type, &value) &&
            value.addr) {
            double dpi = strtod(value.addr, NULL);
            if (dpi >= 120.0 && dpi <= 384.0)
                scale = dpi / 96.0;
        }
        if (database)
            XrmDestroyDatabase(database);
    }
    return scale;
}

static void cleanup(LV2UI_Handle handle)
{
    PianolaUi *ui = (PianolaUi *)handle;
    if (!ui)
        return;
    send_message(ui, ui->uris.pianola_UiOff);
    if (ui->frame)
        cairo_surface_destroy(ui->frame);
    if (ui->window_surface)
        cairo_surface_destroy(ui->window_surface);
    if (ui->display) {
        /* The host may have destroyed its window, and ours with it, before
         * calling cleanup: the news is in our queue once we sync. */
        XSync(ui->display, False);
        while (XPending(ui->display) > 0) {
            XEvent event;
            XNextEvent(ui->display, &event);
            if (event.type == DestroyNotify && event.xdestroywindow.window == ui->window)
                ui->window_gone = 1;
        }
        if (ui->window && !ui->window_gone)
            XDestroyWindow(ui->display, ui->window);
        XCloseDisplay(ui->display);
    }
    free(ui->bundled_model);
    free(ui);
}

static LV2UI_Handle instantiate(const LV2UI_Descriptor *descriptor, const char *plugin_uri,
                                const char *bundle_path, LV2UI_Write_Function write_function,
                                LV2UI_Controller controller, LV2UI_Widget *widget,
                                const LV2_Feature *const *features)
{
    (void)descriptor;
    if (!plugin_uri || !write_function || !features)
        return NULL;
    PnlVariant variant;
    if (!strcmp(plugin_uri, PIANOLA_URI))
        variant = PNL_VARIANT_PIANO;
    else if (!strcmp(plugin_uri, PIANOLA_MIDI_URI))
        variant = PNL_VARIANT_MIDI;
    else if (!strcmp(plugin_uri, PIANOLA_PARTS_URI))
        variant = PNL_VARIANT_PARTS;
    else
        return NULL;
    PianolaUi *ui = (PianolaUi *)calloc(1, sizeof *ui);
    if (!ui)
        return NULL;
    ui->variant = variant;
    ui->write = write_function;
    ui->controller = controller;
    void *parent = NULL;
    for (int i = 0; features[i]; i++) {
        if (!strcmp(features[i]->URI, LV2_URID__map))
            ui->map = (LV2_URID_Map *)features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_UI__parent))
            parent = features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_UI__resize))
            ui->host_resize = (const LV2UI_Resize *)features[i]->data;
        else if (!strcmp(features[i]->URI, LV2_UI__requestValue))
            ui->request_value = (const LV2UI_Request_Value *)features[i]->data;
    }
    if (!ui->map || !parent) {
        free(ui);
        return NULL;
    }
    pnl_map_uris(ui->map, &ui->uris);
    lv2_atom_forge_init(&ui->forge, ui->map);
    /* Port values shown before the host sends any (it normally sends all at once). */
    for (int port = 0; port < PNL_PORT_COUNT; port++)
        ui->ports[port] = pnl_control_spec(port) ? (float)pnl_control_spec(port)->default_value
                                                  : 0.0f;
    ui->bpm = pnl_control_spec(PNL_PORT_TEMPO)->default_value;
    ui->beats_per_bar = 4.0;
    pnl_piano_roll_clear(&ui->roll);
    use_builtin_composers(ui);

    ui->display = XOpenDisplay(NULL);
    if (!ui->display) {
        free(ui);
        return NULL;
    }
    ui->parent = (Window)(uintptr_t)parent;
    ui->scale = hidpi_scale(ui->display, features, ui->map);
    int width = (int)lrint(PNL_UI_DEFAULT_WIDTH * ui->scale);
    int height = (int)lrint(PNL_UI_DEFAULT_HEIGHT * ui->scale);

    int screen = DefaultScreen(ui->display);
    XSetWindowAttributes attributes;
    memset(&attributes, 0, sizeof attributes);
    /* No background: the server never clears the window, every expose is
     * painted whole from the frame, so nothing flickers. */
    attributes.background_pixmap = None;
    /* The host's window may have another depth (suil's GTK wrapper uses a
     * 32-bit visual): a border pixel and colormap of our own visual make
     * the child legal whatever the parent's. */
    attributes.border_pixel = 0;
    attributes.colormap = DefaultColormap(ui->display, screen);
    attributes.event_mask = ExposureMask | StructureNotifyMask | ButtonPressMask |
                            ButtonReleaseMask | PointerMotionMask | LeaveWindowMask |
                            KeyPressMask | FocusChangeMask;
    ui->visual = DefaultVisual(ui->display, screen);
    ui->window = XCreateWindow(ui->display, ui->parent, 0, 0, (unsigned)width, (unsigned)height,
                               0, DefaultDepth(ui->display, screen), InputOutput, ui->visual,
                               CWBackPixmap | CWBorderPixel | CWColormap | CWEventMask,
                               &attributes);

    /* Hosts that wrap X11 windows (suil) read the size hints. */
    XSizeHints *hints = XAllocSizeHints();
    if (hints) {
        hints->flags = PMinSize | PBaseSize;
        hints->min_width = hints->base_width = width;
        hints->min_height = (int)lrint(PNL_UI_MIN_HEIGHT * ui->scale);
        hints->base_height = height;
        XSetWMNormalHints(ui->display, ui->window, hints);
        XFree(hints);
    }
    static const char *const window_names[PNL_VARIANT_COUNT] = {
        [PNL_VARIANT_PIANO] = "Pianola", [PNL_VARIANT_MIDI] = "Pianola (MIDI)",
        [PNL_VARIANT_PARTS] = "Pianola (parts)"};
    XStoreName(ui->display, ui->window, window_names[variant]);

    ui->window_surface = cairo_xlib_surface_create(ui->display, ui->window, ui->visual, width,
                                                   height);
    set_size(ui, width, height);
    XMapRaised(ui->display, ui->window);
    /* The host's own connection looks the window up as soon as we return:
     * it must exist in the server by then, not just in our output buffer. */
    XSync(ui->display, False);
    if (ui->host_resize)
        ui->host_resize->ui_resize(ui->host_resize->handle, width, height);

    /* Where the DSP finds the bundled piano model (pnl_bundled_model_path). */
    if (bundle_path && bundle_path[0]) {
        size_t length = strlen(bundle_path) + sizeof "/models/" + sizeof PNL_BUNDLED_PIANO_MODEL;
        ui->bundled_model = malloc(length);
        if (ui->bundled_model)
            snprintf(ui->bundled_model, length, "%s/models/%s", bundle_path,
                     PNL_BUNDLED_PIANO_MODEL);
    }
    ui->model_bundled = 1;

    *widget = (LV2UI_Widget)(uintptr_t)ui->window;
    send_message(ui, ui->uris.pianola_UiOn);
    return ui;
}

/* A NULL handle is ignored here and in idle(): suil instantiates an X11 UI
 * embedded in GTK only once its socket is realized, and jalv.gtk3 may
 * deliver the plugin's messages before that, with the instance's handle
 * still NULL (the host soak met it: tests/soak.py, docs/hardening.md). */
static void port_event(LV2UI_Handle handle, uint32_t port_index, uint32_t buffer_size,
                       uint32_t format, const void *buffer)
{
    PianolaUi *ui = (PianolaUi *)handle;
    if (!ui || !buffer)
        return;
    int port = pnl_variant_port(ui->variant, port_index);
    if (format == 0) {
        if (port < 0 || buffer_size != sizeof(float))
            return;
        float value = *(const float *)buffer;
        if (!isfinite(value))
            return;
        ui->ports[port] = value;
        /* The host moved the composer: the DSP will say what it composes. */
        if (port == PNL_PORT_COMPOSER)
            ui->choice_from_dsp = -1;
        ui->dirty = 1;
    } else if (format == ui->uris.atom_eventTransfer && port == PNL_PORT_NOTIFY_OUT) {
        receive_atom(ui, buffer_size, buffer);
    }
}

static int idle(LV2UI_Handle handle)
{
    PianolaUi *ui = (PianolaUi *)handle;
    if (!ui)
        return 0;
    while (XPending(ui->display) > 0) {
        XEvent event;
        XNextEvent(ui->display, &event);
        handle_event(ui, &event);
    }
    double now = now_seconds();
    if (ui->reroll_release_seconds > 0 && now >= ui->reroll_release_seconds) {
        ui->reroll_release_seconds = 0;
        write_port(ui, PNL_PORT_REROLL, 0.0f);
    }
    if (ui->rolling && now - ui->playhead_seconds < longest_extrapolation_seconds)
        ui->dirty = 1;
    if (ui->dirty && ui->exposed && now - ui->last_paint_seconds >= frame_seconds)
        paint(ui);
    return 0;
}

static int resize(LV2UI_Feature_Handle handle, int width, int height)
{
    PianolaUi *ui = (PianolaUi *)handle;
    if (width < 1 || height < 1 || ui->window_gone)
        return 1;
    XResizeWindow(ui->display, ui->window, (unsigned)width, (unsigned)height);
    set_size(ui, width, height);
    return 0;
}

static const void *extension_data(const char *uri)
{
    static const LV2UI_Idle_Interface idle_interface = {idle};
    static const LV2UI_Resize resize_interface = {NULL, resize};
    if (!strcmp(uri, LV2_UI__idleInterface))
        return &idle_interface;
    if (!strcmp(uri, LV2_UI__resize))
        return &resize_interface;
    return NULL;
}

static const LV2UI_Descriptor descriptor = {
    PIANOLA_UI_URI, instantiate, cleanup, port_event, extension_data,
};

LV2_SYMBOL_EXPORT const LV2UI_Descriptor *lv2ui_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
