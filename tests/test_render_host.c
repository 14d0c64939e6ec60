/* The offline host behind pianola-render, checked against an instrument
 * that is not Pianola: Ardour's ACE Fluid Synth (from Debian's ardour
 * package, in /usr/lib/lv2). It loads its SoundFont on the worker, so a
 * patch:Set, the synchronous worker and a MIDI note must together give
 * sound, and twice the same input must give the same samples. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render_host.h"
#include "status.h"

#define FLUID_URI "urn:ardour:a-fluidsynth"
#define FLUID_SF2_PROPERTY "urn:ardour:a-fluidsynth:sf2file"
#define SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"
/* Loaded from its bundle: LV2_PATH names the build tree, whose other folders
 * lilv would each report as a broken bundle. */
#define FLUID_BUNDLE "/usr/lib/lv2/a-fluidsynth.lv2"

enum { RATE = 48000, BLOCK = 256, BLOCKS = 200 };

typedef struct {
    int errors;
    char last[256];
} LogCount;

static void count_log(void *data, const char *level, const char *text)
{
    LogCount *log = data;
    if (strcmp(level, "error") == 0) {
        log->errors++;
        snprintf(log->last, sizeof log->last, "%s", text);
    }
}

/* Renders BLOCKS blocks: the SoundFont is set in the first, middle C is
 * struck in block 20 (the synchronous worker has loaded the font by then)
 * and released in block 120. Returns the peak, or -1 on a host error. */
static double render_note(float *audio, LogCount *log, char *message, size_t size)
{
    PnlRenderHost *host = pnl_render_host_new(FLUID_URI, FLUID_BUNDLE, RATE, BLOCK, count_log, log,
                                              message, size);
    if (!host)
        return -1;
    log->errors = 0;
    float left[BLOCK], right[BLOCK];
    PnlRenderMidi midi[64];
    size_t midi_count;
    double peak = 0;
    for (int block = 0; block < BLOCKS; block++) {
        int status = PNL_OK;
        if (block == 0)
            status = pnl_render_host_queue_path(host, 0, FLUID_SF2_PROPERTY, SOUNDFONT);
        if (block == 20)
            status = pnl_render_host_queue_midi(host, 17, (const uint8_t[]){0x90, 60, 100}, 3);
        if (block == 120)
            status = pnl_render_host_queue_midi(host, 3, (const uint8_t[]){0x80, 60, 0}, 3);
        if (status == PNL_OK)
            status = pnl_render_host_run(host, BLOCK, left, right, midi, 64, &midi_count,
                                         message, size);
        if (status != PNL_OK) {
            pnl_render_host_free(host);
            return -1;
        }
        for (int frame = 0; frame < BLOCK; frame++) {
            audio[(block * BLOCK + frame) * 2] = left[frame];
            audio[(block * BLOCK + frame) * 2 + 1] = right[frame];
            if (fabs(left[frame]) > peak)
                peak = fabs(left[frame]);
        }
    }
    pnl_render_host_free(host);
    return peak;
}

static void test_host_plays_a_worker_loaded_soundfont(void)
{
    static float first[BLOCKS * BLOCK * 2], second[BLOCKS * BLOCK * 2];
    char message[512] = "";
    LogCount log = {0};
    double peak = render_note(first, &log, message, sizeof message);
    CHECK(peak >= 0, "expected ACE Fluid Synth to load and run, got: %s", message);
    CHECK(log.errors == 0, "expected no errors from the plugin, got %d (last: %s)", log.errors,
          log.last);
    CHECK(peak > 0.01, "expected middle C to sound once the worker loaded %s, peak %g",
          SOUNDFONT, peak);
    double before_note = 0;
    for (int index = 0; index < (20 * BLOCK + 17) * 2; index++)
        before_note = fmax(before_note, fabs(first[index]));
    /* FluidSynth's idle output is not exactly zero (about 3e-8 here). */
    CHECK(before_note < 1e-5, "expected silence before the note-on, peak %g", before_note);

    double peak_again = render_note(second, &log, message, sizeof message);
    CHECK(peak_again >= 0, "the second run failed: %s", message);
    size_t differing = 0;
    for (size_t index = 0; index < sizeof first / sizeof first[0]; index++)
        differing += first[index] != second[index];
    CHECK(differing == 0, "expected the same samples from the same input, %zu differ",
          differing);
}

static void test_unknown_plugin_is_refused_with_its_uri(void)
{
    char message[512] = "";
    PnlRenderHost *host = pnl_render_host_new("urn:pianola:no-such-plugin", FLUID_BUNDLE, RATE, BLOCK,
                                              NULL, NULL, message, sizeof message);
    CHECK(host == NULL, "expected no host for a plugin that does not exist");
    CHECK(strstr(message, "urn:pianola:no-such-plugin") != NULL,
          "expected the message to name the URI, got '%s'", message);
}

static void test_events_out_of_frame_order_are_refused(void)
{
    char message[512] = "";
    PnlRenderHost *host = pnl_render_host_new(FLUID_URI, FLUID_BUNDLE, RATE, BLOCK, NULL, NULL,
                                              message, sizeof message);
    CHECK(host != NULL, "expected ACE Fluid Synth to load: %s", message);
    int first = pnl_render_host_queue_midi(host, 100, (const uint8_t[]){0x90, 60, 100}, 3);
    int earlier = pnl_render_host_queue_midi(host, 50, (const uint8_t[]){0x80, 60, 0}, 3);
    int past_block = pnl_render_host_queue_midi(host, BLOCK, (const uint8_t[]){0x80, 60, 0}, 3);
    pnl_render_host_free(host);
    CHECK(first == PNL_OK, "expected the first event to be queued, got %d", first);
    CHECK(earlier == PNL_EINVAL, "expected an earlier frame to be refused, got %d", earlier);
    CHECK(past_block == PNL_EINVAL, "expected a frame past the block to be refused, got %d",
          past_block);
}

int main(void)
{
    /* FluidSynth's libinstpatch registers GLib types once per process: if
     * the plugin's library is unloaded and loaded again, registering them
     * again fails and the next instance hangs. A host that stays loaded for
     * the whole run keeps the library in memory (real hosts do the same). */
    char message[512] = "";
    PnlRenderHost *keep_loaded = pnl_render_host_new(FLUID_URI, FLUID_BUNDLE, RATE, BLOCK, NULL, NULL,
                                                     message, sizeof message);
    if (!keep_loaded)
        printf("FAIL main: ACE Fluid Synth does not load: %s\n", message);
    RUN_TEST(test_host_plays_a_worker_loaded_soundfont);
    RUN_TEST(test_unknown_plugin_is_refused_with_its_uri);
    RUN_TEST(test_events_out_of_frame_order_are_refused);
    pnl_render_host_free(keep_loaded);
    if (!keep_loaded)
        return 1;
    CHECK_EXIT();
}
