/* CPU cost of Pianola's run() against Ardour's ACE Fluid Synth
 * (urn:ardour:a-fluidsynth) playing the same notes: Pianola composes 64
 * bars at 120 BPM (48 kHz, 256-frame blocks, humanized), its MIDI out is
 * recorded, and ACE Fluid Synth is fed that MIDI at the same frames, with
 * its reverb and chorus off like Pianola's dry piano. Thread CPU time is
 * summed over run() only (a synchronous worker job inside run() is not
 * counted: a live host runs it on another thread), and the slowest single
 * run() is reported against the block's real-time budget. Pianola (parts)
 * plays the same session too: its run() renders a stereo pair per part.
 * Prints "name: value unit" lines. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 256, BARS = 64, MAX_MIDI = 200000, WARMUP_BLOCKS = 200 };
static const double BPM = 120.0;

typedef struct {
    double cpu_seconds, block_cpu, worst_block_seconds, worst_block_cpu;
    long blocks, worst_block_index;
    double block_wall, started_cpu, started_wall;
} Meter;

static double now(clockid_t clock)
{
    struct timespec time;
    clock_gettime(clock, &time);
    return time.tv_sec + time.tv_nsec * 1e-9;
}

static void around_run(void *data, int entering)
{
    Meter *meter = data;
    if (entering) {
        meter->started_cpu = now(CLOCK_THREAD_CPUTIME_ID);
        meter->started_wall = now(CLOCK_MONOTONIC);
    } else {
        meter->block_cpu += now(CLOCK_THREAD_CPUTIME_ID) - meter->started_cpu;
        meter->block_wall += now(CLOCK_MONOTONIC) - meter->started_wall;
    }
}

static void end_block(Meter *meter, int counted)
{
    if (counted) {
        meter->cpu_seconds += meter->block_cpu;
        if (meter->block_wall > meter->worst_block_seconds)
            meter->worst_block_seconds = meter->block_wall;
        if (meter->block_cpu > meter->worst_block_cpu) {
            meter->worst_block_cpu = meter->block_cpu;
            meter->worst_block_index = meter->blocks;
        }
        meter->blocks++;
    }
    meter->block_cpu = meter->block_wall = 0;
}

typedef struct {
    int64_t frame;
    uint8_t bytes[3];
} Midi;

enum { LOCATE_BARS = 100, LOCATE_MAX_BLOCKS = 4000 };

/* A locate LOCATE_BARS bars into an empty timeline, rolling (a user jumping
 * ahead, or an export starting there): the CPU time, worker included (it runs
 * synchronously here), until the first note sounds at the playhead. Returns
 * the seconds, or a negative value when no note came. */
static double locate_seconds(PnlLv2HostOptions options)
{
    char message[256] = "";
    options.around_run = NULL;
    PnlLv2Host *host = pnl_lv2host_new(&options, message, sizeof message);
    if (!host) {
        fprintf(stderr, "bench_plugin: %s\n", message);
        return -1;
    }
    static float left[BLOCK], right[BLOCK];
    double frames_per_beat = RATE * 60.0 / BPM, started = now(CLOCK_PROCESS_CPUTIME_ID);
    double seconds = -1;
    for (int block = 0; block < LOCATE_MAX_BLOCKS && seconds < 0; block++) {
        double beat = LOCATE_BARS * 4.0 + block * (double)BLOCK / frames_per_beat;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        pnl_lv2host_run(host, BLOCK, left, right);
        const PnlHostMidi *out;
        size_t count = pnl_lv2host_midi(host, &out);
        for (size_t i = 0; i < count; i++)
            if (PIANOLA_TEST_NOTE_ON(&out[i]))
                seconds = now(CLOCK_PROCESS_CPUTIME_ID) - started;
    }
    pnl_lv2host_free(host);
    return seconds;
}

static int quiet_log_errors;
static void log_quietly(void *data, const char *level, const char *text)
{
    (void)data;
    if (!strcmp(level, "error")) {
        quiet_log_errors++;
        fprintf(stderr, "%s: %s", level, text);
    }
}

/* Plays BARS bars at BPM on host time, block by block, into meter; the
 * MIDI out goes into midi (up to MAX_MIDI) where midi is not NULL. */
static void play_bars(PnlLv2Host *host, Meter *meter, Midi *midi, int *midi_count)
{
    static float left[BLOCK], right[BLOCK];
    double frames_per_beat = RATE * 60.0 / BPM;
    int64_t total_frames = (int64_t)(BARS * 4 * frames_per_beat);
    for (int64_t frame = 0; frame < total_frames; frame += BLOCK) {
        double beat = frame / frames_per_beat;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        pnl_lv2host_run(host, BLOCK, left, right);
        end_block(meter, 1);
        const PnlHostMidi *out;
        size_t count = pnl_lv2host_midi(host, &out);
        for (size_t i = 0; midi && i < count && *midi_count < MAX_MIDI; i++)
            midi[(*midi_count)++] = (Midi){frame + out[i].frame,
                                           {out[i].bytes[0], out[i].bytes[1], out[i].bytes[2]}};
    }
}

int main(void)
{
    char bundle[1024], message[256] = "";
    char model[1200];
    fixture_built_bundle(bundle, sizeof bundle);
    snprintf(model, sizeof model, "%s/models/pianola.pnm", bundle);
    FILE *probe = fopen(model, "rb");
    if (probe)
        fclose(probe);
    else if (fixture_make_random_bundle("bench-bundle", bundle, sizeof bundle, message,
                                        sizeof message) != 0) {
        fprintf(stderr, "bench_plugin: %s\n", message);
        return 1;
    }

    Midi *midi = calloc(MAX_MIDI, sizeof *midi);
    int midi_count = 0;
    Meter pianola = {0}, parts = {0}, ace = {0};
    double frames_per_beat = RATE * 60.0 / BPM;
    int64_t total_frames = (int64_t)(BARS * 4 * frames_per_beat);
    static float left[BLOCK], right[BLOCK];

    PnlLv2HostOptions options = {.plugin_uri = PIANOLA_TEST_URI, .bundle_path = bundle,
                                 .sample_rate = RATE, .max_block = BLOCK,
                                 .worker_mode = PNL_WORKER_SYNC, .log = log_quietly,
                                 .around_run = around_run, .around_run_data = &pianola};
    PnlLv2Host *host = pnl_lv2host_new(&options, message, sizeof message);
    if (!host) {
        fprintf(stderr, "bench_plugin: %s\n", message);
        return 1;
    }
    double locate_cpu = locate_seconds(options);
    double worker_cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
    play_bars(host, &pianola, midi, &midi_count);
    double process_cpu = now(CLOCK_PROCESS_CPUTIME_ID) - worker_cpu_start;
    pnl_lv2host_free(host);

    options.plugin_uri = PIANOLA_PARTS_URI;
    options.around_run_data = &parts;
    host = pnl_lv2host_new(&options, message, sizeof message);
    if (!host) {
        fprintf(stderr, "bench_plugin: %s\n", message);
        return 1;
    }
    play_bars(host, &parts, NULL, NULL);
    pnl_lv2host_free(host);

    options.plugin_uri = "urn:ardour:a-fluidsynth";
    options.bundle_path = "/usr/lib/lv2/a-fluidsynth.lv2";
    options.around_run_data = &ace;
    host = pnl_lv2host_new(&options, message, sizeof message);
    if (!host) {
        printf("a_fluidsynth: unavailable (%s)\n", message);
        return 0;
    }
    pnl_lv2host_set_control(host, "rev_enable", 0);
    pnl_lv2host_set_control(host, "chorus_enable", 0);
    pnl_lv2host_queue_path(host, 0, "urn:ardour:a-fluidsynth:sf2file",
                           "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    for (int block = 0; block < WARMUP_BLOCKS; block++) {
        pnl_lv2host_run(host, BLOCK, left, right);
        end_block(&ace, 0);
    }
    int next = 0;
    for (int64_t frame = 0; frame < total_frames; frame += BLOCK) {
        while (next < midi_count && midi[next].frame < frame + BLOCK) {
            /* ACE Fluid Synth plays channel 1 (index 0) like Pianola's MIDI out. */
            pnl_lv2host_queue_midi(host, (uint32_t)(midi[next].frame - frame), midi[next].bytes, 3);
            next++;
        }
        pnl_lv2host_run(host, BLOCK, left, right);
        end_block(&ace, 1);
    }
    pnl_lv2host_free(host);
    free(midi);

    double audio_seconds = (double)total_frames / RATE;
    double budget_us = BLOCK * 1e6 / RATE;
    printf("plugin_audio_seconds: %.0f s\n", audio_seconds);
    printf("plugin_midi_events: %d events\n", midi_count);
    printf("pianola_run_cpu: %.2f ms per s of audio\n", 1000.0 * pianola.cpu_seconds / audio_seconds);
    printf("pianola_parts_run_cpu: %.2f ms per s of audio (a stereo pair per part)\n",
           1000.0 * parts.cpu_seconds / audio_seconds);
    printf("pianola_parts_worst_run_cpu: %.0f us (block %ld)\n", parts.worst_block_cpu * 1e6,
           parts.worst_block_index);
    printf("a_fluidsynth_run_cpu: %.2f ms per s of audio\n", 1000.0 * ace.cpu_seconds / audio_seconds);
    printf("pianola_vs_a_fluidsynth: %.2f x\n",
           ace.cpu_seconds > 0 ? pianola.cpu_seconds / ace.cpu_seconds : 0.0);
    printf("pianola_worst_run_cpu: %.0f us (block %ld; budget %.0f us)\n",
           pianola.worst_block_cpu * 1e6, pianola.worst_block_index, budget_us);
    printf("pianola_worst_run_wall: %.0f us\n", pianola.worst_block_seconds * 1e6);
    printf("a_fluidsynth_worst_run_cpu: %.0f us (block %ld)\n", ace.worst_block_cpu * 1e6,
           ace.worst_block_index);
    printf("a_fluidsynth_worst_run_wall: %.0f us\n", ace.worst_block_seconds * 1e6);
    printf("pianola_composing_cpu: %.2f ms per bar (worker, not in run)\n",
           1000.0 * (process_cpu - pianola.cpu_seconds) / BARS);
    if (locate_cpu >= 0)
        printf("pianola_locate_%d_bars: %.2f s (CPU until the first note at the playhead)\n",
               LOCATE_BARS, locate_cpu);
    else
        printf("pianola_locate_%d_bars: no note within %d blocks\n", LOCATE_BARS,
               LOCATE_MAX_BLOCKS);
    return quiet_log_errors ? 1 : 0;
}
