/* The instruments: one FluidSynth per instance with a SoundFont loaded, a
 * channel for each part of an ensemble.
 *
 * pnl_synth_new() and pnl_synth_free() load and free, so they run on the
 * worker (or at instantiation); everything else runs in run(), which owns
 * the synth once the worker hands it over. Only one thread calls into a
 * synth at a time (the worker before the hand-over, run() after it, the
 * worker again to free it once run() has let go), with the worker's queues
 * ordering them, so FluidSynth's own API lock is off (synth.threadsafe-api 0).
 *
 * FluidSynth runs at most at 96 kHz; above that the synth runs at an
 * integer fraction of the host rate and is upsampled (linear interpolation,
 * one synth frame of latency), so 176.4 and 192 kHz hosts work. */
#ifndef PIANOLA_SYNTH_H
#define PIANOLA_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "../src/parts.h"

enum {
    /* Notes played on MIDI in sound on channels of their own, apart from the
     * parts' (pnl_synth_channel), so a live note never ends a composed one:
     * channel PNL_SYNTH_LIVE_BASE + c holds channel c's instrument, centred
     * (pnl_synth_live_channel). */
    PNL_SYNTH_LIVE_BASE = 16,
    PNL_SYNTH_CHANNELS = 2 * PNL_SYNTH_LIVE_BASE,
    PNL_SYNTH_MAX_BLOCK = 8192
};

#define PNL_DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

typedef struct PnlSynth PnlSynth;

/* What a synth renders: one stereo mix (the piano plugin), or a stereo pair
 * per part (Pianola (parts), plugin/variant.h), each part panned as its
 * player sits, so the pairs sum to the mix. */
typedef enum { PNL_SYNTH_MIX, PNL_SYNTH_PER_PART } PnlSynthOutputs;

/* Loads the SoundFont and warms the synth up: the piano (program 0) on the
 * piano part's channel, each other part's General MIDI program on its
 * channel, panned as the players sit (parts.h), and each again on its live
 * channel. NULL with a
 * message naming the file and the problem when it cannot; a synth and a
 * message when the SoundFont lacks a part's instrument (that part then
 * plays on the piano). */
PnlSynth *pnl_synth_new(const char *soundfont_path, double sample_rate, PnlSynthOutputs outputs,
                        char *message, size_t message_size);
void pnl_synth_free(PnlSynth *synth);
const char *pnl_synth_soundfont_path(const PnlSynth *synth);

/* The channel a part's notes play on: the part's own MIDI channel
 * (pnl_part_channel), but the melody's is the one of its chosen instrument
 * (a PNL_MELODY_INSTRUMENT_CHOICES index). The melody's instruments each
 * wait on a channel of their own, so choosing one in run() only sends its
 * notes elsewhere (selecting a program reads samples from disk, which run()
 * must not). The first is the melody role's own channel; channel 10 (index
 * 9) stays General MIDI's drums. Any thread. */
static inline int pnl_synth_channel(int part, int melody_instrument)
{
    static const int melody_channels[] = {PNL_PART_MELODY, 6, 7, 8, 10, 11};
    _Static_assert(sizeof melody_channels / sizeof *melody_channels ==
                       PNL_MELODY_INSTRUMENT_COUNT,
                   "a channel for every melody instrument");
    _Static_assert(PNL_PART_COUNT <= 6 && PNL_SYNTH_LIVE_BASE > 11, "channels in use apart");
    if (part != PNL_PART_MELODY)
        return pnl_part_channel(part);
    return melody_channels[melody_instrument >= 0 &&
                                   melody_instrument < PNL_MELODY_INSTRUMENT_COUNT
                               ? melody_instrument
                               : 0];
}

/* The channel a note played on the keyboard sounds on: the instrument of
 * the part a captured phrase would become (pnl_ensemble_prompt_part: the
 * piano, or the first violin, the cello, the melody's chosen instrument),
 * so the player hears the part they play. Any thread. */
static inline int pnl_synth_live_channel(int part, int melody_instrument)
{
    return PNL_SYNTH_LIVE_BASE + pnl_synth_channel(part, melody_instrument);
}

void pnl_synth_note_on(PnlSynth *synth, int channel, int pitch, int velocity);
void pnl_synth_note_off(PnlSynth *synth, int channel, int pitch);
/* A MIDI control change (sustain pedal, all notes off) on a channel. */
void pnl_synth_control(PnlSynth *synth, int channel, int controller, int value);
/* Ends every voice at once, releases skipped (deactivate). */
void pnl_synth_silence(PnlSynth *synth);
/* Starts FluidSynth's grid of internal blocks (64 frames, where notes and
 * controller changes take effect) at the next frame rendered, if nothing sounds: the notes from
 * here on then fall the same whatever the synth rendered before, so a render
 * from a locate gives the same audio however the host's cycles fell until
 * then. The rest of a block of silence is skipped; with a voice sounding
 * that would click, so nothing changes. */
void pnl_synth_align_blocks(PnlSynth *synth);
/* Renders frames (at most PNL_SYNTH_MAX_BLOCK) into the outputs the synth
 * was made with: out[0] and out[1] for PNL_SYNTH_MIX, else a pair per part
 * (out[2 * part] left, out[2 * part + 1] right). */
void pnl_synth_render(PnlSynth *synth, float *const *out, uint32_t frames);

#endif
