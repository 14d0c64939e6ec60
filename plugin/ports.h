/* Pianola's port indices, shared by the DSP (plugin/) and the UI (gui/).
 * They must match ttl/pianola.ttl.in. */
#ifndef PIANOLA_PORTS_H
#define PIANOLA_PORTS_H

typedef enum {
    PNL_PORT_CONTROL_IN = 0,   /* atom: MIDI, time:Position, patch:Set, UI messages */
    PNL_PORT_NOTIFY_OUT = 1,   /* atom: MIDI of the notes played, notifications for the UI */
    PNL_PORT_AUDIO_LEFT = 2,
    PNL_PORT_AUDIO_RIGHT = 3,
    PNL_PORT_COMPOSER = 4,          /* enumeration: index into PNL_COMPOSER_CHOICES */
    PNL_PORT_TEMPERATURE = 5,       /* 0 = always the best guess .. 2 */
    PNL_PORT_TOP_P = 6,             /* nucleus size, 0.05 .. 1 */
    PNL_PORT_HUMANIZE_VELOCITY = 7, /* 0 = the timeline's velocities exactly .. 1 */
    PNL_PORT_HUMANIZE_TIMING = 8,   /* 0 = exactly on the grid .. 1 */
    PNL_PORT_GENERATE = 9,          /* toggle: compose while the transport rolls */
    PNL_PORT_CAPTURE = 10,          /* toggle: record MIDI in as the prompt */
    PNL_PORT_REROLL = 11,           /* trigger: regenerate from the playhead on */
    PNL_PORT_SEED = 12,             /* integer */
    PNL_PORT_TEMPO = 13,            /* BPM used when the host sends no time:Position */
    PNL_PORT_VOLUME = 14,           /* dB */
    PNL_PORT_FREEWHEEL = 15,        /* lv2:freeWheeling: the host runs faster than real
                                     * time (an export); set by the host, not a person */
    PNL_PORT_COUNT
} PnlPortIndex;

/* The composer enumeration's choices, in port-value order. Each names a
 * composer class of the bundled model (see docs/vocabulary.md). */
#define PNL_COMPOSER_CHOICES { "mozart", "brahms", "schumann", "rachmaninoff", "romantic" }
enum { PNL_COMPOSER_CHOICE_COUNT = 5 };

#endif
