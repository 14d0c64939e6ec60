/* The bundle's three plugins, built from one DSP (plugin/) and one UI (gui/):
 *
 *   Pianola (urn:pianola:pianola) plays its notes on FluidSynth (one stereo
 *   audio out) and sends them on MIDI out.
 *   Pianola (parts) (urn:pianola:pianola-parts) is the same instrument with
 *   a stereo out per part (ports.h, PNL_PART_AUDIO_PORTS) in place of the
 *   one mix, so a host records each part of an ensemble to its own track.
 *   Pianola (MIDI) (urn:pianola:pianola-midi) sends the same notes on MIDI
 *   out only, for an instrument of the host's: no audio, no FluidSynth.
 *
 * Each has the ports of the table (ports.h) that are its own: the piano
 * every one but the parts' audio, the parts plugin every one but the mix,
 * the MIDI plugin none of the sound (audio, volume, the melody's
 * instrument). LV2 numbers a plugin's ports from 0 without gaps, so a
 * plugin's ports are the table's renumbered; the code always speaks of
 * table ports (PnlPortIndex), and these functions give the index a host
 * uses for one, and back. A control added to the table reaches every
 * plugin.
 *
 * Header only, with no LV2 in it (the URIs are in uris.h). */
#ifndef PIANOLA_VARIANT_H
#define PIANOLA_VARIANT_H

#include <stdint.h>

#include "ports.h"

typedef enum {
    PNL_VARIANT_PIANO = 0,
    PNL_VARIANT_MIDI = 1,
    PNL_VARIANT_PARTS = 2,
    PNL_VARIANT_COUNT
} PnlVariant;

/* Whether the plugin plays its notes itself (a synth, audio outputs). */
static inline int pnl_variant_has_sound(PnlVariant variant)
{
    return variant != PNL_VARIANT_MIDI;
}

/* Whether a table port belongs to the sound alone. */
static inline int pnl_port_is_sound(int port)
{
    return port == PNL_PORT_AUDIO_LEFT || port == PNL_PORT_AUDIO_RIGHT ||
           port == PNL_PORT_VOLUME || port == PNL_PORT_MELODY_INSTRUMENT ||
           pnl_port_is_part_audio(port);
}

static inline int pnl_variant_has_port(PnlVariant variant, int port)
{
    if (port < 0 || port >= PNL_PORT_COUNT)
        return 0;
    switch (variant) {
    case PNL_VARIANT_PIANO: return !pnl_port_is_part_audio(port);
    case PNL_VARIANT_PARTS: return port != PNL_PORT_AUDIO_LEFT && port != PNL_PORT_AUDIO_RIGHT;
    case PNL_VARIANT_MIDI: return !pnl_port_is_sound(port);
    default: return 0;
    }
}

/* How many ports the plugin has. */
static inline int pnl_variant_port_count(PnlVariant variant)
{
    int count = 0;
    for (int port = 0; port < PNL_PORT_COUNT; port++)
        count += pnl_variant_has_port(variant, port);
    return count;
}

/* The index a host uses for table port `port`; -1 where the plugin lacks it. */
static inline int pnl_variant_host_index(PnlVariant variant, int port)
{
    if (!pnl_variant_has_port(variant, port))
        return -1;
    int index = 0;
    for (int before = 0; before < port; before++)
        index += pnl_variant_has_port(variant, before);
    return index;
}

/* The table port at a host's index; -1 for none. */
static inline int pnl_variant_port(PnlVariant variant, uint32_t host_index)
{
    for (int port = 0; port < PNL_PORT_COUNT; port++)
        if (pnl_variant_has_port(variant, port) && host_index-- == 0)
            return port;
    return -1;
}

#endif
