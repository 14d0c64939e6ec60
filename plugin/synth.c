/* FluidSynth as Pianola's piano; see synth.h.
 *
 * FluidSynth renders in internal blocks of 64 frames, and a note-on,
 * note-off or controller change takes effect at the start of the next block
 * it has not rendered yet. run() splits rendering at the frame of each, so
 * nothing is late by more than that block; the MIDI out port carries the
 * exact frames. */
#include "synth.h"

#include <dlfcn.h>
#include <fluidsynth.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double fluidsynth_highest_rate = 96000.0;

enum {
    /* A synth with a pair per part renders a pair per MIDI channel (an
     * audio group, in FluidSynth's words): channel c and its live channel
     * 16 + c into group c, which pnl_synth_new maps to c's part. */
    GROUPS = PNL_SYNTH_LIVE_BASE,
    MAX_OUTPUTS = 2 * PNL_PART_COUNT
};

struct PnlSynth {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    char soundfont_path[1024];
    /* 2 (the mix) or MAX_OUTPUTS (a pair per part, PNL_SYNTH_PER_PART). */
    int outputs;
    /* Per part: FluidSynth's pairs, one per group, and the part each
     * group's pair joins (-1: none, channel 10's drums and unused ones). */
    float *groups[2 * GROUPS];
    int group_part[GROUPS];
    /* Upsampling when the host runs faster than FluidSynth can. */
    unsigned oversampling;  /* host frames per synth frame, >= 1 */
    unsigned phase;         /* host frames since the current synth frame */
    float previous[MAX_OUTPUTS], current[MAX_OUTPUTS];
    uint64_t synth_frames; /* rendered so far: where FluidSynth's block grid falls */
    float *scratch[MAX_OUTPUTS]; /* PNL_SYNTH_MAX_BLOCK + 1 each, `outputs` of them */
};

void pnl_synth_free(PnlSynth *synth)
{
    if (!synth)
        return;
    if (synth->synth)
        delete_fluid_synth(synth->synth);
    if (synth->settings)
        delete_fluid_settings(synth->settings);
    for (int output = 0; output < MAX_OUTPUTS; output++)
        free(synth->scratch[output]);
    for (int buffer = 0; buffer < 2 * GROUPS; buffer++)
        free(synth->groups[buffer]);
    free(synth);
}

/* Which part's pair each group joins: a part's channel, the melody's
 * instruments' channels and their live channels (16 + c, in group c). */
static void map_groups_to_parts(PnlSynth *synth)
{
    for (int group = 0; group < GROUPS; group++)
        synth->group_part[group] = -1;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        for (int choice = 0; choice < PNL_MELODY_INSTRUMENT_COUNT; choice++)
            synth->group_part[pnl_synth_channel(part, choice) % GROUPS] = part;
}

const char *pnl_synth_soundfont_path(const PnlSynth *synth)
{
    return synth->soundfont_path;
}

static int looks_like_soundfont(const char *path, char *message, size_t message_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(message, message_size, "%s: cannot open the SoundFont", path);
        return 0;
    }
    unsigned char header[12];
    size_t got = fread(header, 1, sizeof header, file);
    fclose(file);
    if (got < sizeof header || memcmp(header, "RIFF", 4) != 0 ||
        memcmp(header + 8, "sfbk", 4) != 0) {
        snprintf(message, message_size,
                 "%s: not a SoundFont (no RIFF sfbk header); expected a .sf2 or .sf3 file", path);
        return 0;
    }
    return 1;
}

/* FluidSynth brings libinstpatch, which registers GLib types that can never
 * be unregistered: if the host unloads Pianola (closing the last instance)
 * and loads it again, the reloaded library deadlocks in ipatch_init(). So
 * the libraries stay resident once loaded (the handles are kept on
 * purpose). */
static void keep_fluidsynth_resident(void)
{
    static const char *const libraries[] = {"libfluidsynth.so.3", "libinstpatch-1.0.so.2"};
    for (size_t i = 0; i < sizeof libraries / sizeof *libraries; i++)
        (void)dlopen(libraries[i], RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* Bank 0's program on a channel, panned. */
static int select_program(PnlSynth *synth, int font, int channel, int program, int pan)
{
    if (fluid_synth_program_select(synth->synth, channel, font, 0, program) != FLUID_OK &&
        fluid_synth_program_change(synth->synth, channel, program) != FLUID_OK)
        return 0;
    fluid_synth_cc(synth->synth, channel, 10, pan);
    return 1;
}

/* A part's instrument on its channel, panned as its player sits, and on its
 * live channel, centred as the player at the keyboard. */
static int select_part_program(PnlSynth *synth, int font, int channel, int program, int pan)
{
    return select_program(synth, font, channel, program, pan) &&
           select_program(synth, font, PNL_SYNTH_LIVE_BASE + channel, program, 64);
}

/* The piano on its part's channel; every other part's General MIDI program
 * on its channel; each also on its live channel. A SoundFont without the
 * piano is refused; one without a string or melody instrument plays that
 * part on the piano, and message says so (the SoundFont still loads). */
static int select_instruments(PnlSynth *synth, int font, char *message, size_t message_size)
{
    const PnlPartRole *piano = pnl_part_role(PNL_PART_PIANO);
    if (!select_part_program(synth, font, pnl_part_channel(PNL_PART_PIANO), piano->program,
                             piano->pan)) {
        snprintf(message, message_size, "%s: the SoundFont has no instrument at bank 0, "
                 "program 0", synth->soundfont_path);
        return 0;
    }
    for (int part = PNL_PART_PIANO + 1; part < PNL_PART_COUNT; part++) {
        const PnlPartRole *role = pnl_part_role(part);
        for (int choice = 0; choice < (part == PNL_PART_MELODY ? PNL_MELODY_INSTRUMENT_COUNT : 1);
             choice++) {
            int channel = pnl_synth_channel(part, choice);
            int program = part == PNL_PART_MELODY ? pnl_melody_instrument_program(choice)
                                                  : role->program;
            if (select_part_program(synth, font, channel, program, role->pan))
                continue;
            select_part_program(synth, font, channel, piano->program, role->pan);
            size_t used = strlen(message);
            if (used + 1 < message_size)
                snprintf(message + used, message_size - used,
                         "%s%s: the SoundFont has no General MIDI program %d; the %s plays "
                         "on the piano",
                         used ? "; " : "", synth->soundfont_path, program + 1, role->label);
        }
    }
    return 1;
}

PnlSynth *pnl_synth_new(const char *soundfont_path, double sample_rate, PnlSynthOutputs outputs,
                        char *message, size_t message_size)
{
    keep_fluidsynth_resident();
    if (!soundfont_path || !*soundfont_path)
        soundfont_path = PNL_DEFAULT_SOUNDFONT;
    if (strlen(soundfont_path) >= sizeof ((PnlSynth *)0)->soundfont_path) {
        snprintf(message, message_size, "SoundFont path too long (%zu bytes)",
                 strlen(soundfont_path));
        return NULL;
    }
    if (!looks_like_soundfont(soundfont_path, message, message_size))
        return NULL;
    if (!(sample_rate >= 8000.0 && sample_rate <= 768000.0)) {
        snprintf(message, message_size, "unsupported sample rate %g Hz", sample_rate);
        return NULL;
    }

    PnlSynth *synth = calloc(1, sizeof *synth);
    if (!synth) {
        snprintf(message, message_size, "out of memory creating the synth");
        return NULL;
    }
    snprintf(synth->soundfont_path, sizeof synth->soundfont_path, "%s", soundfont_path);
    synth->oversampling = (unsigned)ceil(sample_rate / fluidsynth_highest_rate);
    synth->outputs = outputs == PNL_SYNTH_PER_PART ? MAX_OUTPUTS : 2;
    for (int output = 0; output < synth->outputs; output++)
        if (!(synth->scratch[output] = calloc(PNL_SYNTH_MAX_BLOCK + 1, sizeof(float))))
            goto out_of_memory;
    if (outputs == PNL_SYNTH_PER_PART) {
        for (int buffer = 0; buffer < 2 * GROUPS; buffer++)
            if (!(synth->groups[buffer] = calloc(PNL_SYNTH_MAX_BLOCK + 1, sizeof(float))))
                goto out_of_memory;
        map_groups_to_parts(synth);
    }
    synth->settings = new_fluid_settings();
    if (!synth->settings)
        goto out_of_memory;

    fluid_settings_t *settings = synth->settings;
    fluid_settings_setnum(settings, "synth.sample-rate", sample_rate / synth->oversampling);
    /* One thread at a time calls the synth (see synth.h). */
    fluid_settings_setint(settings, "synth.threadsafe-api", 0);
    /* No helper threads in run(): render on the calling thread. */
    fluid_settings_setint(settings, "synth.cpu-cores", 1);
    /* Ample for a sustained piano: a dense Romantic texture with long
     * releases rarely needs more than 100 voices (stereo samples take two). */
    fluid_settings_setint(settings, "synth.polyphony", 256);
    /* Only the piano's samples are read (at program selection, on the
     * worker); the other 127 instruments stay on disk. */
    fluid_settings_setint(settings, "synth.dynamic-sample-loading", 1);
    /* Debian builds FluidSynth with OpenMP and its effects stage opens a
     * parallel region (allocating in libgomp) every block: no FluidSynth
     * effects in run(). The piano is dry; hosts have better reverbs. */
    fluid_settings_setint(settings, "synth.reverb.active", 0);
    fluid_settings_setint(settings, "synth.chorus.active", 0);
    fluid_settings_setnum(settings, "synth.gain", 0.5);
    fluid_settings_setint(settings, "synth.verbose", 0);
    fluid_settings_setint(settings, "synth.midi-channels", PNL_SYNTH_CHANNELS);
    if (outputs == PNL_SYNTH_PER_PART) {
        fluid_settings_setint(settings, "synth.audio-channels", GROUPS);
        fluid_settings_setint(settings, "synth.audio-groups", GROUPS);
    }

    synth->synth = new_fluid_synth(settings);
    if (!synth->synth)
        goto out_of_memory;
    int font = fluid_synth_sfload(synth->synth, soundfont_path, 1);
    if (font == FLUID_FAILED) {
        snprintf(message, message_size, "%s: FluidSynth could not load this SoundFont",
                 soundfont_path);
        pnl_synth_free(synth);
        return NULL;
    }
    if (!select_instruments(synth, font, message, message_size)) {
        pnl_synth_free(synth);
        return NULL;
    }

    /* Warm-up: play every instrument's pitches once and render, so their
     * samples and the synth's buffers are touched here, not in the first
     * run(). */
    for (int channel = 0; channel < 16; channel++) {
        if (channel == 9)
            continue;
        for (int pitch = 21; pitch <= 108; pitch++)
            fluid_synth_noteon(synth->synth, channel, pitch, 64);
        for (int block = 0; block < 2; block++)
            fluid_synth_write_float(synth->synth, 512, synth->scratch[0], 0, 1,
                                    synth->scratch[1], 0, 1);
        fluid_synth_all_sounds_off(synth->synth, -1);
    }
    for (int block = 0; block < 2; block++)
        fluid_synth_write_float(synth->synth, 512, synth->scratch[0], 0, 1,
                                synth->scratch[1], 0, 1);
    return synth;

out_of_memory:
    snprintf(message, message_size, "out of memory creating the synth");
    pnl_synth_free(synth);
    return NULL;
}

static int valid_key(int channel, int pitch)
{
    return channel >= 0 && channel < PNL_SYNTH_CHANNELS && pitch >= 0 && pitch <= 127;
}

void pnl_synth_note_on(PnlSynth *synth, int channel, int pitch, int velocity)
{
    if (valid_key(channel, pitch) && velocity >= 1 && velocity <= 127)
        fluid_synth_noteon(synth->synth, channel, pitch, velocity);
}

void pnl_synth_note_off(PnlSynth *synth, int channel, int pitch)
{
    if (valid_key(channel, pitch))
        fluid_synth_noteoff(synth->synth, channel, pitch);
}

void pnl_synth_control(PnlSynth *synth, int channel, int controller, int value)
{
    if (channel >= 0 && channel < PNL_SYNTH_CHANNELS && controller >= 0 && controller < 120 &&
        value >= 0 && value <= 127)
        fluid_synth_cc(synth->synth, channel, controller, value);
    else if (channel >= 0 && channel < PNL_SYNTH_CHANNELS &&
             (controller == 120 || controller == 123))
        fluid_synth_all_notes_off(synth->synth, channel);
}

void pnl_synth_silence(PnlSynth *synth)
{
    fluid_synth_all_sounds_off(synth->synth, -1);
}

/* Synthesizes frames into the synth's outputs: the mix into out[0] and
 * out[1], or a pair per part (out[2 * part], out[2 * part + 1]).
 * fluid_synth_process() adds into the buffers, so they are cleared first. */
static void write_frames(PnlSynth *synth, float *const *out, uint32_t frames)
{
    for (int output = 0; output < synth->outputs; output++)
        memset(out[output], 0, frames * sizeof *out[output]);
    if (synth->outputs == 2) {
        float *mix[2] = {out[0], out[1]};
        fluid_synth_process(synth->synth, (int)frames, 0, NULL, 2, mix);
    } else {
        for (int buffer = 0; buffer < 2 * GROUPS; buffer++)
            memset(synth->groups[buffer], 0, frames * sizeof(float));
        fluid_synth_process(synth->synth, (int)frames, 0, NULL, 2 * GROUPS, synth->groups);
        for (int group = 0; group < GROUPS; group++) {
            int part = synth->group_part[group];
            for (int side = 0; part >= 0 && side < 2; side++) {
                const float *from = synth->groups[2 * group + side];
                float *to = out[2 * part + side];
                for (uint32_t frame = 0; frame < frames; frame++)
                    to[frame] += from[frame];
            }
        }
    }
    synth->synth_frames += frames;
}

void pnl_synth_align_blocks(PnlSynth *synth)
{
    int block = fluid_synth_get_internal_bufsize(synth->synth);
    if (block <= 0 || block > PNL_SYNTH_MAX_BLOCK ||
        fluid_synth_get_active_voice_count(synth->synth) > 0)
        return;
    uint32_t rest = (uint32_t)((block - synth->synth_frames % (uint64_t)block) % (uint64_t)block);
    if (rest)
        write_frames(synth, synth->scratch, rest);
    synth->phase = 0;
    memset(synth->previous, 0, sizeof synth->previous);
    memset(synth->current, 0, sizeof synth->current);
}

void pnl_synth_render(PnlSynth *synth, float *const *out, uint32_t frames)
{
    if (frames > PNL_SYNTH_MAX_BLOCK)
        frames = PNL_SYNTH_MAX_BLOCK;
    unsigned factor = synth->oversampling;
    if (factor == 1) {
        write_frames(synth, out, frames);
        return;
    }
    /* Synth frames that start within this block. */
    uint32_t needed = 0;
    for (uint32_t frame = 0, phase = synth->phase; frame < frames; frame++) {
        if (phase == 0)
            needed++;
        phase = (phase + 1) % factor;
    }
    if (needed)
        write_frames(synth, synth->scratch, needed);
    uint32_t next = 0;
    for (uint32_t frame = 0; frame < frames; frame++) {
        if (synth->phase == 0) {
            for (int output = 0; output < synth->outputs; output++) {
                synth->previous[output] = synth->current[output];
                synth->current[output] = synth->scratch[output][next];
            }
            next++;
        }
        float weight = (float)synth->phase / (float)factor;
        for (int output = 0; output < synth->outputs; output++)
            out[output][frame] = synth->previous[output] +
                                 (synth->current[output] - synth->previous[output]) * weight;
        synth->phase = (synth->phase + 1) % factor;
    }
}
