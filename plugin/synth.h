/* The piano: one FluidSynth per instance with a SoundFont loaded.
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

enum {
    PNL_CHANNEL_TIMELINE = 0, /* notes from the timeline */
    PNL_CHANNEL_LIVE = 1,     /* notes played on MIDI in */
    PNL_SYNTH_MAX_BLOCK = 8192
};

#define PNL_DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

typedef struct PnlSynth PnlSynth;

/* Loads the SoundFont (program 0, acoustic grand piano, on the timeline and
 * live channels) and warms the synth up. NULL with a message naming the
 * file and the problem when it cannot. */
PnlSynth *pnl_synth_new(const char *soundfont_path, double sample_rate, char *message,
                        size_t message_size);
void pnl_synth_free(PnlSynth *synth);
const char *pnl_synth_soundfont_path(const PnlSynth *synth);

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
/* Renders frames (at most PNL_SYNTH_MAX_BLOCK) into left and right. */
void pnl_synth_render(PnlSynth *synth, float *left, float *right, uint32_t frames);

#endif
