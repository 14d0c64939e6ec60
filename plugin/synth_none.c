/* No piano: synth.h for the MIDI plugin's binary (pianola_midi.so), which is
 * built from the piano's sources with this file in place of synth.c, so it
 * neither links nor loads FluidSynth (and what FluidSynth brings: GLib,
 * libinstpatch, audio drivers). The MIDI plugin never asks for a synth
 * (variant.h); should anything ask, there is none to give. */
#include "synth.h"

#include <stdio.h>

PnlSynth *pnl_synth_new(const char *soundfont_path, double sample_rate, PnlSynthOutputs outputs,
                        char *message, size_t message_size)
{
    (void)soundfont_path;
    (void)sample_rate;
    (void)outputs;
    snprintf(message, message_size, "Pianola (MIDI) has no piano to play a SoundFont on");
    return NULL;
}

void pnl_synth_free(PnlSynth *synth)
{
    (void)synth;
}

const char *pnl_synth_soundfont_path(const PnlSynth *synth)
{
    (void)synth;
    return "";
}

void pnl_synth_note_on(PnlSynth *synth, int channel, int pitch, int velocity)
{
    (void)synth, (void)channel, (void)pitch, (void)velocity;
}

void pnl_synth_note_off(PnlSynth *synth, int channel, int pitch)
{
    (void)synth, (void)channel, (void)pitch;
}

void pnl_synth_control(PnlSynth *synth, int channel, int controller, int value)
{
    (void)synth, (void)channel, (void)controller, (void)value;
}

void pnl_synth_silence(PnlSynth *synth)
{
    (void)synth;
}

void pnl_synth_align_blocks(PnlSynth *synth)
{
    (void)synth;
}

void pnl_synth_render(PnlSynth *synth, float *const *out, uint32_t frames)
{
    (void)synth, (void)out, (void)frames;
}
