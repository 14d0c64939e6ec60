/* Pianola's ports: the one table of them, shared by the DSP (plugin/), the
 * window (gui/), the command-line programs (tools/) and the build, which
 * writes the control ports of the plugin's TTL from it (ttl/control_ports.c).
 * Changing a range or a default here changes it everywhere; CONTRIBUTING.md
 * says how to add a control.
 *
 * Header only, with no LV2 in it. */
#ifndef PIANOLA_PORTS_H
#define PIANOLA_PORTS_H

#include <stddef.h>

#include "../src/composers.h"
#include "../src/parts.h"
#include "../src/steering.h"

/* The ports that carry streams: MIDI and messages in and out, and audio.
 * Their TTL (buffer types, what they support) is written out in
 * ttl/pianola.ttl.in, at these indices, before the control ports.
 *
 *   X(ID, index, symbol) */
#define PNL_STREAM_PORTS(X)                                                                       \
    /* atom: MIDI, time:Position, patch:Set, UI messages */                                       \
    X(CONTROL_IN, 0, "control")                                                                   \
    /* atom: MIDI of the notes played, notifications for the UI */                                \
    X(NOTIFY_OUT, 1, "notify")                                                                    \
    X(AUDIO_LEFT, 2, "out_left")                                                                  \
    X(AUDIO_RIGHT, 3, "out_right")

/* What a control is, and so its lv2:portProperty set in the TTL. */
typedef enum {
    PNL_CONTROL_FLOAT,       /* any value in the range */
    PNL_CONTROL_INTEGER,     /* lv2:integer */
    PNL_CONTROL_TOGGLE,      /* lv2:integer, lv2:toggled: 0 or 1 */
    PNL_CONTROL_TRIGGER,     /* a toggle that acts on its rising edge (pprop:trigger) */
    PNL_CONTROL_ENUMERATION, /* lv2:integer, lv2:enumeration: one of its choices */
    PNL_CONTROL_FREEWHEEL    /* lv2:freeWheeling, set by the host, not a person */
} PnlControlKind;

typedef enum {
    PNL_UNIT_NONE,
    PNL_UNIT_COEF,
    PNL_UNIT_BPM,
    PNL_UNIT_DB,
    PNL_UNIT_MIDI_NOTE
} PnlControlUnit;

/* The control ports, after the stream ports, in index order. The plugin
 * clamps each value to [minimum, maximum] and reads the default where the
 * host has not connected the port or sends no number.
 *
 *   X(ID, index, symbol, name, minimum, default, maximum, kind, unit, comment)
 * An empty comment writes none. An enumeration's choices are listed by
 * pnl_control_choice_name() below: the composers (src/composers.h), the
 * keys, the dynamics and the densities (src/steering.h), the ensembles and
 * the melody instruments (src/parts.h). The seed's maximum is 2^24 - 1:
 * every integer up to it is exact in a float. */
#define PNL_CONTROL_TABLE(X)                                                                      \
    X(COMPOSER, 4, "composer", "Composer", 0, 0, PNL_COMPOSER_MAX_CHOICES - 1,                    \
      PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE, "")                                                 \
    X(TEMPERATURE, 5, "temperature", "Temperature", 0.0, 0.9, 2.0, PNL_CONTROL_FLOAT,             \
      PNL_UNIT_COEF, "0 plays the model's best guess; higher is more adventurous")                \
    X(TOP_P, 6, "top_p", "Top-p", 0.05, 0.95, 1.0, PNL_CONTROL_FLOAT, PNL_UNIT_COEF,              \
      "Nucleus size: the share of probability the sampler draws from")                           \
    X(HUMANIZE_VELOCITY, 7, "humanize_velocity", "Humanize velocity", 0.0, 0.5, 1.0,              \
      PNL_CONTROL_FLOAT, PNL_UNIT_COEF,                                                           \
      "0 plays the composed velocities exactly; 1 shades them fully (phrase arch, metric "        \
      "accent, melody, high-loud)")                                                               \
    X(HUMANIZE_TIMING, 8, "humanize_timing", "Humanize timing", 0.0, 0.5, 1.0,                    \
      PNL_CONTROL_FLOAT, PNL_UNIT_COEF,                                                           \
      "0 plays exactly on the grid; 1 moves onsets by up to 30 ms (melody lead, chord spread, "   \
      "phrase arch)")                                                                             \
    X(GENERATE, 9, "generate", "Generate", 0, 1, 1, PNL_CONTROL_TOGGLE, PNL_UNIT_NONE,            \
      "Compose and play while the transport rolls")                                               \
    X(CAPTURE, 10, "capture", "Capture", 0, 0, 1, PNL_CONTROL_TOGGLE, PNL_UNIT_NONE,              \
      "While on, MIDI in is recorded; when turned off, the phrase becomes the prompt and "        \
      "Pianola continues it")                                                                     \
    X(REROLL, 11, "reroll", "Re-roll", 0, 0, 1, PNL_CONTROL_TRIGGER, PNL_UNIT_NONE,               \
      "Compose again from the playhead on")                                                       \
    X(SEED, 12, "seed", "Seed", 0, 1, 16777215, PNL_CONTROL_INTEGER, PNL_UNIT_NONE, "")           \
    X(TEMPO, 13, "tempo", "Tempo", 20.0, 120.0, 400.0, PNL_CONTROL_FLOAT, PNL_UNIT_BPM,           \
      "Used when the host sends no time")                                                         \
    X(VOLUME, 14, "volume", "Volume", -60.0, 0.0, 12.0, PNL_CONTROL_FLOAT, PNL_UNIT_DB, "")       \
    /* Exporting, the host runs Pianola faster than real time: run() then                    */   \
    /* waits for the bar being composed, so every export has every note.                     */   \
    X(FREEWHEEL, 15, "freewheel", "Freewheeling", 0, 0, 1, PNL_CONTROL_FREEWHEEL, PNL_UNIT_NONE,  \
      "")                                                                                         \
    X(KEY, 16, "key", "Key", 0, 0, PNL_KEY_CHOICE_COUNT - 1, PNL_CONTROL_ENUMERATION,             \
      PNL_UNIT_NONE,                                                                              \
      "Automatic takes a captured phrase's key, else the seed's; a set key is kept, and a "       \
      "captured phrase is continued in it")                                                       \
    X(REGISTER_LOWEST, 17, "register_lowest", "Lowest key", 21, 21, 108, PNL_CONTROL_INTEGER,     \
      PNL_UNIT_MIDI_NOTE, "No note below it is composed (21 = A0, the whole keyboard)")           \
    X(REGISTER_HIGHEST, 18, "register_highest", "Highest key", 21, 108, 108,                      \
      PNL_CONTROL_INTEGER, PNL_UNIT_MIDI_NOTE,                                                    \
      "No note above it is composed (108 = C8, the whole keyboard); the register is at least "    \
      "an octave wide")                                                                           \
    X(DYNAMICS, 19, "dynamics", "Dynamics", 0, 0, PNL_DYNAMICS_CHOICE_COUNT - 1,                  \
      PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE,                                                     \
      "As composed, or an overall level from pp to ff that the composed loudness leans to")      \
    X(DENSITY, 20, "density", "Density", 0, 0, PNL_DENSITY_CHOICE_COUNT - 1,                      \
      PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE,                                                     \
      "Automatic lets the network choose each bar's density; a step from sparse to very busy "    \
      "is asked of it in every bar (a model trained with density tokens)")                       \
    X(ENSEMBLE, 21, "ensemble", "Ensemble", 0, 0, PNL_ENSEMBLE_CHOICE_COUNT - 1,                  \
      PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE,                                                     \
      "The instruments composed for, each part on a MIDI channel of its own (a model trained "    \
      "with the chamber corpus' parts)")                                                          \
    X(MELODY_INSTRUMENT, 22, "melody_instrument", "Melody instrument", 0, 0,                      \
      PNL_MELODY_INSTRUMENT_COUNT - 1, PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE,                    \
      "The instrument that plays the melody of Melody and piano")                                \
    X(PROMPT_PART, 23, "prompt_part", "Capture plays", 0, 0, PNL_PROMPT_PART_CHOICE_COUNT - 1,   \
      PNL_CONTROL_ENUMERATION, PNL_UNIT_NONE,                                                     \
      "Which part of an ensemble a captured phrase becomes: the piano, or the top part (the "     \
      "first violin, the cello, the melody)")

/* Pianola (parts)'s audio (plugin/variant.h): a stereo pair per role, in
 * role order (src/parts.h), so a host records each part to a track of its
 * own. After the control ports (PNL_PART_AUDIO_FIRST, below), so the piano
 * plugin's indices stay and a control added to the table moves them on.
 *
 *   X(ID, index, symbol, part, side: 0 left, 1 right) */
#define PNL_PART_AUDIO_PORTS(X)                                                                   \
    X(PIANO_LEFT, PNL_PART_AUDIO_FIRST + 0, "piano_left", PNL_PART_PIANO, 0)                      \
    X(PIANO_RIGHT, PNL_PART_AUDIO_FIRST + 1, "piano_right", PNL_PART_PIANO, 1)                    \
    X(VIOLIN_1_LEFT, PNL_PART_AUDIO_FIRST + 2, "violin_1_left", PNL_PART_VIOLIN_1, 0)             \
    X(VIOLIN_1_RIGHT, PNL_PART_AUDIO_FIRST + 3, "violin_1_right", PNL_PART_VIOLIN_1, 1)           \
    X(VIOLIN_2_LEFT, PNL_PART_AUDIO_FIRST + 4, "violin_2_left", PNL_PART_VIOLIN_2, 0)             \
    X(VIOLIN_2_RIGHT, PNL_PART_AUDIO_FIRST + 5, "violin_2_right", PNL_PART_VIOLIN_2, 1)           \
    X(VIOLA_LEFT, PNL_PART_AUDIO_FIRST + 6, "viola_left", PNL_PART_VIOLA, 0)                      \
    X(VIOLA_RIGHT, PNL_PART_AUDIO_FIRST + 7, "viola_right", PNL_PART_VIOLA, 1)                    \
    X(CELLO_LEFT, PNL_PART_AUDIO_FIRST + 8, "cello_left", PNL_PART_CELLO, 0)                      \
    X(CELLO_RIGHT, PNL_PART_AUDIO_FIRST + 9, "cello_right", PNL_PART_CELLO, 1)                    \
    X(MELODY_LEFT, PNL_PART_AUDIO_FIRST + 10, "melody_left", PNL_PART_MELODY, 0)                  \
    X(MELODY_RIGHT, PNL_PART_AUDIO_FIRST + 11, "melody_right", PNL_PART_MELODY, 1)

/* Rows a build adds from its command line, from index PNL_EXTRA_PORT_FIRST
 * on: the test build of tests/check_dummy_control.c adds one, to show that
 * every consumer takes a new control from the table. Empty otherwise. */
#ifndef PNL_EXTRA_CONTROL_PORTS
#define PNL_EXTRA_CONTROL_PORTS(X)
#endif

/* Every control port: the table's, then any a build adds. */
#define PNL_CONTROL_PORTS(X) PNL_CONTROL_TABLE(X) PNL_EXTRA_CONTROL_PORTS(X)

#define PNL_PORT_ONE(...) +1
enum {
    PNL_PART_AUDIO_FIRST = 0 PNL_STREAM_PORTS(PNL_PORT_ONE) PNL_CONTROL_TABLE(PNL_PORT_ONE),
    PNL_EXTRA_PORT_FIRST = PNL_PART_AUDIO_FIRST PNL_PART_AUDIO_PORTS(PNL_PORT_ONE)
};
#undef PNL_PORT_ONE

#define PNL_PORT_ENUMERATOR(id, index, ...) PNL_PORT_##id = index,

typedef enum {
    PNL_STREAM_PORTS(PNL_PORT_ENUMERATOR)
    PNL_CONTROL_TABLE(PNL_PORT_ENUMERATOR)
    PNL_PART_AUDIO_PORTS(PNL_PORT_ENUMERATOR)
    PNL_EXTRA_CONTROL_PORTS(PNL_PORT_ENUMERATOR)
    PNL_PORT_COUNT
} PnlPortIndex;

#undef PNL_PORT_ENUMERATOR

/* The audio port of a part's side (0 left, 1 right) in Pianola (parts). */
static inline int pnl_part_audio_port(int part, int side)
{
    _Static_assert(PNL_PORT_MELODY_RIGHT - PNL_PORT_PIANO_LEFT + 1 == 2 * PNL_PART_COUNT,
                   "a stereo pair for every role");
    return PNL_PORT_PIANO_LEFT + 2 * part + side;
}

#define PNL_PART_AUDIO_IN_ROLE_ORDER(id, index, symbol, part, side)                               \
    _Static_assert(index == PNL_PORT_PIANO_LEFT + 2 * (part) + (side), symbol " in role order");
PNL_PART_AUDIO_PORTS(PNL_PART_AUDIO_IN_ROLE_ORDER)
#undef PNL_PART_AUDIO_IN_ROLE_ORDER

static inline int pnl_port_is_part_audio(int port)
{
    return port >= PNL_PORT_PIANO_LEFT && port <= PNL_PORT_MELODY_RIGHT;
}

/* One control's row of the table. */
typedef struct {
    const char *symbol;
    const char *name;
    double minimum, default_value, maximum;
    PnlControlKind kind;
    PnlControlUnit unit;
    const char *comment;
} PnlControlSpec;

/* The row of control port `port`, or NULL for a stream port or an index
 * outside the table. */
static inline const PnlControlSpec *pnl_control_spec(int port)
{
#define PNL_CONTROL_ROW(id, index, symbol, name, minimum, default_value, maximum, kind, unit,     \
                        comment)                                                                  \
    [index] = {symbol, name, minimum, default_value, maximum, kind, unit, comment},
    static const PnlControlSpec specs[PNL_PORT_COUNT] = {PNL_CONTROL_PORTS(PNL_CONTROL_ROW)};
#undef PNL_CONTROL_ROW
    return port >= 0 && port < PNL_PORT_COUNT && specs[port].symbol ? &specs[port] : NULL;
}

/* The choices of enumeration port `port`: how many, and each one's name
 * (a command line's word) and label (a host's menu); 0 and NULL for a port
 * that is not an enumeration or a choice out of range. */
static inline int pnl_control_choice_count(int port)
{
    switch (port) {
    case PNL_PORT_COMPOSER: return PNL_COMPOSER_CHOICE_COUNT;
    case PNL_PORT_KEY: return PNL_KEY_CHOICE_COUNT;
    case PNL_PORT_DYNAMICS: return PNL_DYNAMICS_CHOICE_COUNT;
    case PNL_PORT_DENSITY: return PNL_DENSITY_CHOICE_COUNT;
    case PNL_PORT_ENSEMBLE: return PNL_ENSEMBLE_CHOICE_COUNT;
    case PNL_PORT_MELODY_INSTRUMENT: return PNL_MELODY_INSTRUMENT_COUNT;
    case PNL_PORT_PROMPT_PART: return PNL_PROMPT_PART_CHOICE_COUNT;
    default: return 0;
    }
}

static inline const char *pnl_control_choice_text(int port, int choice, int label)
{
    static const char *const composers[][PNL_COMPOSER_CHOICE_COUNT] = {
        {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)}, {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)}};
    static const char *const keys[][PNL_KEY_CHOICE_COUNT] = {
        {PNL_KEY_CHOICES(PNL_CHOICE_NAME)}, {PNL_KEY_CHOICES(PNL_CHOICE_LABEL)}};
    static const char *const dynamics[][PNL_DYNAMICS_CHOICE_COUNT] = {
        {PNL_DYNAMICS_CHOICES(PNL_CHOICE_NAME)}, {PNL_DYNAMICS_CHOICES(PNL_CHOICE_LABEL)}};
    static const char *const densities[][PNL_DENSITY_CHOICE_COUNT] = {
        {PNL_DENSITY_CHOICES(PNL_CHOICE_NAME)}, {PNL_DENSITY_CHOICES(PNL_CHOICE_LABEL)}};
    static const char *const ensembles[][PNL_ENSEMBLE_CHOICE_COUNT] = {
        {PNL_ENSEMBLE_CHOICES(PNL_PART_CHOICE_NAME)},
        {PNL_ENSEMBLE_CHOICES(PNL_PART_CHOICE_LABEL)}};
    static const char *const melody_instruments[][PNL_MELODY_INSTRUMENT_COUNT] = {
        {PNL_MELODY_INSTRUMENT_CHOICES(PNL_PART_CHOICE_NAME)},
        {PNL_MELODY_INSTRUMENT_CHOICES(PNL_PART_CHOICE_LABEL)}};
    static const char *const prompt_parts[][PNL_PROMPT_PART_CHOICE_COUNT] = {
        {PNL_PROMPT_PART_CHOICES(PNL_CHOICE_NAME)}, {PNL_PROMPT_PART_CHOICES(PNL_CHOICE_LABEL)}};
    if (choice < 0 || choice >= pnl_control_choice_count(port))
        return NULL;
    switch (port) {
    case PNL_PORT_COMPOSER: return composers[!!label][choice];
    case PNL_PORT_KEY: return keys[!!label][choice];
    case PNL_PORT_DYNAMICS: return dynamics[!!label][choice];
    case PNL_PORT_DENSITY: return densities[!!label][choice];
    case PNL_PORT_ENSEMBLE: return ensembles[!!label][choice];
    case PNL_PORT_MELODY_INSTRUMENT: return melody_instruments[!!label][choice];
    case PNL_PORT_PROMPT_PART: return prompt_parts[!!label][choice];
    default: return NULL;
    }
}

static inline const char *pnl_control_choice_name(int port, int choice)
{
    return pnl_control_choice_text(port, choice, 0);
}

static inline const char *pnl_control_choice_label(int port, int choice)
{
    return pnl_control_choice_text(port, choice, 1);
}

#endif
