/* The SoundFont property: a missing or corrupt file is refused with a
 * clear message to the host log and to the UI while the piano in use keeps
 * playing; a good one is loaded on the worker and swapped in; patch:Get
 * answers with the path in use, and the path is saved in the state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "check.h"
#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 512 };
#define SOUNDFONT_PROPERTY PIANOLA__soundfont
#define DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

typedef struct {
    char errors[4][512];
    int error_count;
} Log;

static void record_log(void *data, const char *level, const char *text)
{
    Log *log = data;
    if (!strcmp(level, "error") && log->error_count < 4)
        snprintf(log->errors[log->error_count++], sizeof log->errors[0], "%s", text);
}

/* Runs blocks and returns the peak; fills ui_text with a pianola:Message
 * and ui_path with a patch:Set of the SoundFont, when they come. */
static double run_blocks(PnlLv2Host *host, int blocks, int note, char *ui_text, char *ui_path)
{
    static float left[BLOCK], right[BLOCK];
    double peak = 0;
    for (int block = 0; block < blocks; block++) {
        if (note && block == 0)
            pnl_lv2host_queue_midi(host, 0, (const uint8_t[]){0x90, 60, 100}, 3);
        pnl_lv2host_run(host, BLOCK, left, right);
        pnl_lv2host_wait_for_worker(host);
        for (int i = 0; i < BLOCK; i++)
            peak = fmax(peak, fabs(left[i]));
        const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
        LV2_ATOM_SEQUENCE_FOREACH (sequence, event)
            fixture_read_ui_event(host, event, ui_text, 512, ui_path, 1024);
    }
    return peak;
}

static PnlLv2Host *new_host(Log *log, char *message, size_t size)
{
    char bundle[1024];
    PnlLv2HostOptions options = {.plugin_uri = PIANOLA_TEST_URI,
                                 .bundle_path = fixture_built_bundle(bundle, sizeof bundle),
                                 .sample_rate = RATE, .max_block = BLOCK,
                                 .worker_mode = PNL_WORKER_THREADED,
                                 .log = record_log, .log_data = log};
    PnlLv2Host *host = pnl_lv2host_new(&options, message, size);
    if (host) {
        pnl_lv2host_set_control(host, "generate", 0);
        pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    }
    return host;
}

static void check_refused(const char *path, const char *expected_words)
{
    Log log = {0};
    char message[256] = "", ui_text[512] = "", ui_path[1024] = "";
    PnlLv2Host *host = new_host(&log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    run_blocks(host, 2, 0, NULL, NULL);
    pnl_lv2host_queue_path(host, 0, SOUNDFONT_PROPERTY, path);
    run_blocks(host, 4, 0, ui_text, NULL);
    pnl_lv2host_queue_object(host, 0, LV2_PATCH__Get);
    double peak = run_blocks(host, 20, 1, NULL, ui_path);
    pnl_lv2host_free(host);
    CHECK(log.error_count == 1 && strstr(log.errors[0], path) &&
              strstr(log.errors[0], expected_words),
          "expected one log error naming %s and saying \"%s\", got %d: %s", path, expected_words,
          log.error_count, log.error_count ? log.errors[0] : "");
    CHECK(strstr(ui_text, path), "expected a pianola:Message for the UI naming %s, got \"%s\"",
          path, ui_text);
    CHECK(!strcmp(ui_path, DEFAULT_SOUNDFONT), "expected the default SoundFont still in use, "
          "patch:Get answered \"%s\"", ui_path);
    CHECK(peak > 0.01, "expected the piano in use to keep playing, peak %g", peak);
}

static void test_a_missing_soundfont_is_refused_and_the_piano_plays_on(void)
{
    check_refused("/nonexistent/piano.sf2", "cannot open");
}

static void test_a_corrupt_soundfont_is_refused_and_the_piano_plays_on(void)
{
    const char *path = "corrupt-piano.sf2";
    FILE *file = fopen(path, "wb");
    CHECK(file, "cannot write %s", path);
    static const char bytes[64] = "RIFF\x38\0\0\0sfbkLIST\xff\xff\0\0garbage, not a SoundFont";
    fwrite(bytes, 1, sizeof bytes, file);
    fclose(file);
    char absolute[1200];
    const char *build = getenv("PIANOLA_BUILD");
    snprintf(absolute, sizeof absolute, "%s/%s", build && *build ? build : ".", path);
    check_refused(absolute, "could not load");
}

/* An empty path names no file: the UI is told so and nothing is loaded
 * (the piano in use is not loaded again, nor its notes cut). */
static void test_an_empty_path_is_refused(void)
{
    Log log = {0};
    char message[256] = "", ui_text[512] = "", ui_path[1024] = "";
    PnlLv2Host *host = new_host(&log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    double before = run_blocks(host, 4, 1, NULL, NULL);
    pnl_lv2host_queue_path(host, 0, SOUNDFONT_PROPERTY, "");
    double after = run_blocks(host, 8, 0, ui_text, ui_path);
    pnl_lv2host_free(host);
    CHECK(strstr(ui_text, "SoundFont path must be a file path"),
          "expected the UI told the path is no file path, got \"%s\"", ui_text);
    CHECK(ui_path[0] == '\0', "expected no SoundFont swapped in, the UI was told of \"%s\"",
          ui_path);
    CHECK(log.error_count == 0, "unexpected error: %s", log.errors[0]);
    CHECK(before > 0.01 && after > 0.25 * before,
          "expected the held note to sound on, peak %g before, %g after", before, after);
}

/* Links `name` in the working folder (the build folder) to the default
 * SoundFont and writes the link's absolute path; 0 on success. */
static int link_default_soundfont(const char *name, char *absolute, size_t size)
{
    char here[1024];
    unlink(name);
    if (symlink(DEFAULT_SOUNDFONT, name) != 0 || !getcwd(here, sizeof here))
        return -1;
    snprintf(absolute, size, "%s/%s", here, name);
    return 0;
}

static void test_a_new_soundfont_is_loaded_and_saved_in_the_state(void)
{
    /* The same SoundFont through a link: a different path to load. */
    char absolute[1200], message[256] = "", ui_path[1024] = "";
    CHECK(link_default_soundfont("piano-link.sf2", absolute, sizeof absolute) == 0,
          "cannot link piano-link.sf2");
    Log log = {0};
    PnlLv2Host *host = new_host(&log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_queue_path(host, 0, SOUNDFONT_PROPERTY, absolute);
    run_blocks(host, 6, 0, NULL, ui_path);
    double peak = run_blocks(host, 20, 1, NULL, NULL);
    char *state = pnl_lv2host_save_state(host);
    pnl_lv2host_free(host);
    CHECK(log.error_count == 0, "unexpected error: %s", log.errors[0]);
    CHECK(!strcmp(ui_path, absolute), "expected the UI told of %s, got \"%s\"", absolute, ui_path);
    CHECK(peak > 0.01, "expected the new piano to play, peak %g", peak);
    /* lilv's state:mapPath canonicalizes the link to its target. */
    CHECK(state && strstr(state, "pianola#soundfont> <file:///usr/share/sounds/sf2/FluidR3_GM.sf2>"),
          "expected the state to hold the SoundFont path:\n%s", state ? state : "(none)");
    free(state);
}

/* A host may save the SoundFont's path as a link of its own (Ardour keeps
 * one in the session folder). Restoring such a state keeps the piano in
 * use: no second load, and a note held across the restore sounds on. */
static void test_a_state_naming_the_soundfont_in_use_through_a_link_loads_nothing(void)
{
    char absolute[1200], message[256] = "", ui_path[1024] = "";
    CHECK(link_default_soundfont("session-piano-link.sf2", absolute, sizeof absolute) == 0,
          "cannot link session-piano-link.sf2");
    Log log = {0};
    PnlLv2Host *host = new_host(&log, message, sizeof message);
    CHECK(host, "no host: %s", message);
    run_blocks(host, 2, 0, NULL, NULL);
    char *state = pnl_lv2host_save_state(host);
    const char *saved_uri = "<file://" DEFAULT_SOUNDFONT ">";
    char *found = state ? strstr(state, saved_uri) : NULL;
    CHECK(found, "expected the state to hold %s:\n%s", saved_uri, state ? state : "(none)");
    /* The same state, the SoundFont named through the link. */
    size_t size = strlen(state) + strlen(absolute) + 16;
    char *linked = malloc(size);
    snprintf(linked, size, "%.*s<file://%s>%s", (int)(found - state), state, absolute,
             found + strlen(saved_uri));
    free(state);
    double before = run_blocks(host, 4, 1, NULL, NULL);
    int status = pnl_lv2host_restore_state(host, linked);
    free(linked);
    double after = run_blocks(host, 8, 0, NULL, ui_path);
    pnl_lv2host_free(host);
    CHECK(status == 0, "the host could not restore the state (%d)", status);
    CHECK(log.error_count == 0, "unexpected error: %s", log.errors[0]);
    CHECK(ui_path[0] == '\0', "expected no new SoundFont swapped in, the UI was told of \"%s\"",
          ui_path);
    CHECK(before > 0.01 && after > 0.25 * before,
          "expected the held note to sound on across the restore, peak %g before, %g after",
          before, after);
}

int main(void)
{
    RUN_TEST(test_a_missing_soundfont_is_refused_and_the_piano_plays_on);
    RUN_TEST(test_a_corrupt_soundfont_is_refused_and_the_piano_plays_on);
    RUN_TEST(test_an_empty_path_is_refused);
    RUN_TEST(test_a_new_soundfont_is_loaded_and_saved_in_the_state);
    RUN_TEST(test_a_state_naming_the_soundfont_in_use_through_a_link_loads_nothing);
    CHECK_EXIT();
}
