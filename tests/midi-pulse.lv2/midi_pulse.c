/* MIDI pulse: the smallest instrument with a MIDI output, for telling a
 * host's faults from Pianola's (tests/soak.py --plugin urn:pianola:test:midi-pulse).
 * Every cycle it sends a note-on at a third of the block and its note-off at
 * two thirds, in time order, and writes silence to its two audio outputs:
 * nothing else. A host that misbehaves with it misbehaves by itself. */
#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/urid/urid.h>
#include <stdlib.h>
#include <string.h>

#define MIDI_PULSE_URI "urn:pianola:test:midi-pulse"

/* The ports Pianola has, less the controls: MIDI in (ignored), MIDI out,
 * stereo audio out. */
enum { PORT_MIDI_IN = 0, PORT_MIDI_OUT = 1, PORT_LEFT = 2, PORT_RIGHT = 3 };

typedef struct {
    LV2_Atom_Sequence *midi_out;
    float *audio[2];
    LV2_URID midi_event;
    LV2_Atom_Forge forge;
    uint8_t pitch;
} MidiPulse;

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    (void)descriptor, (void)rate, (void)bundle;
    LV2_URID_Map *map = NULL;
    for (int i = 0; features && features[i]; i++)
        if (!strcmp(features[i]->URI, LV2_URID__map))
            map = features[i]->data;
    if (!map)
        return NULL;
    MidiPulse *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->midi_event = map->map(map->handle, LV2_MIDI__MidiEvent);
    lv2_atom_forge_init(&self->forge, map);
    self->pitch = 60;
    return self;
}

static void connect_port(LV2_Handle instance, uint32_t port, void *data)
{
    MidiPulse *self = instance;
    if (port == PORT_MIDI_OUT)
        self->midi_out = data;
    else if (port == PORT_LEFT || port == PORT_RIGHT)
        self->audio[port - PORT_LEFT] = data;
}

static void send(MidiPulse *self, uint32_t frame, uint8_t status, uint8_t velocity)
{
    const uint8_t message[3] = {status, self->pitch, velocity};
    if (lv2_atom_forge_frame_time(&self->forge, frame) &&
        lv2_atom_forge_atom(&self->forge, 3, self->midi_event))
        lv2_atom_forge_write(&self->forge, message, 3);
}

static void run(LV2_Handle instance, uint32_t frames)
{
    MidiPulse *self = instance;
    for (int channel = 0; channel < 2; channel++)
        if (self->audio[channel])
            memset(self->audio[channel], 0, frames * sizeof(float));
    if (!self->midi_out)
        return;
    uint32_t capacity = self->midi_out->atom.size;
    LV2_Atom_Forge_Frame sequence;
    lv2_atom_forge_set_buffer(&self->forge, (uint8_t *)self->midi_out, capacity);
    if (!lv2_atom_forge_sequence_head(&self->forge, &sequence, 0))
        return;
    if (frames >= 3) {
        send(self, frames / 3, 0x90, 80);
        send(self, 2 * frames / 3, 0x80, 0);
        self->pitch = (uint8_t)(60 + (self->pitch - 60 + 1) % 24);
    }
    lv2_atom_forge_pop(&self->forge, &sequence);
}

static void cleanup(LV2_Handle instance)
{
    free(instance);
}

static const LV2_Descriptor descriptor = {
    MIDI_PULSE_URI, instantiate, connect_port, NULL, run, NULL, cleanup, NULL};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
