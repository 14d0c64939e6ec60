/* Capture: a phrase played on MIDI in while capture is on becomes the
 * prompt, lands on the host grid, and the model continues it from the next
 * grid step. With the trained model, the continuation keeps the phrase's
 * key, in common keys and rare ones alike: its pitch-class histogram
 * correlates better with the phrase's key profile than with the key a
 * tritone away (Krumhansl-Kessler profiles), and most of its notes are in
 * the phrase's scale. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>

#include "capture.h"
#include "check.h"
#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 480, MAX_NOTES = 8192 };
static const double BPM = 120.0;
#define FRAMES_PER_BEAT (RATE * 60.0 / BPM)

typedef struct {
    int64_t frame;
    uint8_t bytes[3];
} Input;

typedef struct {
    int pitch, origin;
    double onset_beats;
    int after_capture; /* notified after capture ended */
} Noted;

typedef struct {
    Noted notes[MAX_NOTES];
    int count;
    int pitch_classes[12]; /* note-ons on MIDI out after the capture */
} Heard;

static void collect(PnlLv2Host *host, Heard *heard, int64_t frame, int64_t after_frame)
{
    const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
    LV2_ATOM_SEQUENCE_FOREACH (sequence, event) {
        FixtureNote note;
        if (heard->count < MAX_NOTES && fixture_read_note(host, event, &note))
            heard->notes[heard->count++] =
                (Noted){note.pitch, note.origin, note.onset_beats, frame >= after_frame};
    }
    const PnlHostMidi *midi;
    size_t count = pnl_lv2host_midi(host, &midi);
    for (size_t i = 0; i < count; i++)
        if (PIANOLA_TEST_NOTE_ON(&midi[i]) && frame + midi[i].frame >= after_frame)
            heard->pitch_classes[midi[i].bytes[1] % 12]++;
}

/* Plays a phrase (quarter notes from bar 1, beat 0) with capture on from
 * bar 1 to capture_off_beat, then listens until end_beat. */
static int perform(PnlLv2Host *host, const int *phrase, int phrase_length,
                   double capture_off_beat, double end_beat, Heard *heard)
{
    Input inputs[256];
    int input_count = 0;
    for (int i = 0; i < phrase_length && input_count < 254; i++) {
        int64_t on = (int64_t)((4.0 + i) * FRAMES_PER_BEAT) + 37; /* a little late, as played */
        inputs[input_count++] = (Input){on, {0x90, (uint8_t)phrase[i], 80}};
        inputs[input_count++] = (Input){on + (int64_t)(0.8 * FRAMES_PER_BEAT),
                                        {0x80, (uint8_t)phrase[i], 0}};
    }
    int next_input = 0;
    int64_t capture_on = (int64_t)(4.0 * FRAMES_PER_BEAT) - BLOCK;
    int64_t capture_off = (int64_t)(capture_off_beat * FRAMES_PER_BEAT);
    float left[BLOCK], right[BLOCK];
    for (int64_t frame = 0; frame < end_beat * FRAMES_PER_BEAT; frame += BLOCK) {
        double beat = frame / FRAMES_PER_BEAT;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        while (next_input < input_count && inputs[next_input].frame < frame + BLOCK) {
            int64_t at = inputs[next_input].frame - frame;
            pnl_lv2host_queue_midi(host, (uint32_t)(at < 0 ? 0 : at), inputs[next_input].bytes, 3);
            next_input++;
        }
        pnl_lv2host_set_control(host, "capture",
                                frame >= capture_on && frame < capture_off ? 1.0f : 0.0f);
        if (pnl_lv2host_run(host, BLOCK, left, right) != 0)
            return -1;
        collect(host, heard, frame, capture_off);
    }
    return 0;
}

static void test_played_onsets_snap_to_the_grid(void)
{
    CHECK(pnl_capture_snap_onset(97.0) == 96, "97 ticks should snap to 96, got %d",
          pnl_capture_snap_onset(97.0));
    CHECK(pnl_capture_snap_onset(8.6) == 8, "8.6 ticks is nearest the triplet 8, got %d",
          pnl_capture_snap_onset(8.6));
    CHECK(pnl_capture_snap_onset(-3.0) == 0, "negative ticks should snap to 0");
    CHECK(pnl_capture_next_step(96.5) == 102, "the step after 96.5 is 102, got %d",
          pnl_capture_next_step(96.5));
    PnlTimelineNote storage[4];
    PnlCapture capture;
    pnl_capture_init(&capture, storage, 4);
    pnl_capture_note_on(&capture, 64, 90, 24.4);
    pnl_capture_note_on(&capture, 60, 90, 23.9);
    pnl_capture_note_off(&capture, 60, 47.0);
    uint32_t count = pnl_capture_end(&capture, 60.0);
    CHECK(count == 2, "expected 2 notes, got %u", count);
    CHECK(storage[0].pitch == 60 && storage[1].pitch == 64 && storage[0].onset_ticks == 24,
          "expected a chord C-E at tick 24 sorted low to high, got %d@%d %d@%d", storage[0].pitch,
          storage[0].onset_ticks, storage[1].pitch, storage[1].onset_ticks);
    CHECK(storage[0].duration_ticks == 23 && storage[1].duration_ticks == 36,
          "expected durations 23 and 36 ticks, got %d and %d", storage[0].duration_ticks,
          storage[1].duration_ticks);
}

static const int c_major_phrase[] = {60, 64, 67, 72, 71, 67, 65, 62, 60, 64, 67, 65, 64, 62, 60, 55};

static void test_a_captured_phrase_becomes_the_prompt_and_is_continued(void)
{
    char bundle[1024], message[256] = "";
    CHECK(fixture_make_random_bundle("capture-test-bundle", bundle, sizeof bundle, message,
                                     sizeof message) == 0, "setup: %s", message);
    PnlLv2Host *host = fixture_host(bundle, RATE, 8192, PNL_WORKER_SYNC, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    Heard *heard = calloc(1, sizeof *heard);
    double off_beat = 4.0 + 16.0 + 0.3; /* just after the phrase: 4 bars of quarters */
    int status = perform(host, c_major_phrase, 16, off_beat, off_beat + 12.0, heard);
    pnl_lv2host_free(host);
    int prompt_found = 0, prompt_on_grid = 1, generated_after = 0, generated_early = 0;
    double first_step = pnl_capture_next_step(off_beat * 24.0) / 24.0;
    for (int i = 0; i < heard->count; i++) {
        const Noted *note = &heard->notes[i];
        if (note->origin == PNL_ORIGIN_PROMPT) {
            int index = (int)lround(note->onset_beats - 4.0);
            if (index >= 0 && index < 16 && c_major_phrase[index] == note->pitch)
                prompt_found++;
            if (fabs(note->onset_beats - lround(note->onset_beats)) > 1e-9)
                prompt_on_grid = 0;
        } else if (note->origin == PNL_ORIGIN_GENERATED && note->after_capture) {
            /* (Notes composed ahead before the capture were replaced.) */
            if (note->onset_beats + 1e-9 < first_step)
                generated_early++;
            else
                generated_after++;
        }
    }
    free(heard);
    CHECK(status == 0, "the host failed");
    CHECK(prompt_found == 16, "expected the 16 played notes as prompt notes on the timeline, "
          "found %d", prompt_found);
    CHECK(prompt_on_grid, "expected the played notes snapped onto beats");
    CHECK(generated_early == 0, "%d composed notes start before the step after capture (%.2f)",
          generated_early, first_step);
    CHECK(generated_after > 0, "nothing composed after the capture");
}

/* Krumhansl and Kessler (1982) probe-tone profiles, tonic first. */
static const double major_profile[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                         2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
static const double minor_profile[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                         2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

static double key_correlation(const int *histogram, const double *profile, int tonic)
{
    double mean_h = 0, mean_p = 0;
    for (int i = 0; i < 12; i++) {
        mean_h += histogram[i] / 12.0;
        mean_p += profile[i] / 12.0;
    }
    double covariance = 0, var_h = 0, var_p = 0;
    for (int pc = 0; pc < 12; pc++) {
        double h = histogram[pc] - mean_h, p = profile[(pc - tonic + 12) % 12] - mean_p;
        covariance += h * p;
        var_h += h * h;
        var_p += p * p;
    }
    return var_h > 0 ? covariance / sqrt(var_h * var_p) : 0.0;
}

static int trained_model_present(char *bundle, size_t size)
{
    char path[1200];
    fixture_built_bundle(bundle, size);
    snprintf(path, sizeof path, "%s/models/pianola.pnm", bundle);
    FILE *file = fopen(path, "rb");
    if (file)
        fclose(file);
    return file != NULL;
}

/* Pitch classes of a key's scale: major, or minor with both sixths and
 * sevenths (natural and harmonic/melodic). */
static int in_scale(int pitch_class, int tonic, int minor)
{
    static const int major[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
    static const int minor_all[12] = {1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1};
    return (minor ? minor_all : major)[(pitch_class - tonic + 12) % 12];
}

static void continue_phrase(const int *phrase, int length, int tonic, int minor,
                            const char *key, const char *other_key)
{
    const double *profile = minor ? minor_profile : major_profile;
    int other_tonic = (tonic + 6) % 12;
    char bundle[1024], message[256] = "";
    trained_model_present(bundle, sizeof bundle);
    int total[12] = {0};
    for (int seed = 1; seed <= 3; seed++) {
        PnlLv2Host *host = fixture_host(bundle, RATE, 8192, PNL_WORKER_SYNC, message,
                                        sizeof message);
        CHECK(host, "no host: %s", message);
        pnl_lv2host_set_control(host, "seed", (float)seed);
        pnl_lv2host_set_control(host, "temperature", 0.8f);
        Heard *heard = calloc(1, sizeof *heard);
        double off_beat = 4.0 + length + 0.3;
        int status = perform(host, phrase, length, off_beat, off_beat + 32.0, heard);
        pnl_lv2host_free(host);
        for (int pc = 0; pc < 12; pc++)
            total[pc] += heard->pitch_classes[pc];
        free(heard);
        CHECK(status == 0, "the host failed");
    }
    int notes = 0, scale_notes = 0;
    for (int pc = 0; pc < 12; pc++) {
        notes += total[pc];
        scale_notes += in_scale(pc, tonic, minor) ? total[pc] : 0;
    }
    double in_key = key_correlation(total, profile, tonic);
    double tritone = key_correlation(total, profile, other_tonic);
    double share = notes ? (double)scale_notes / notes : 0.0;
    printf("continuation of a %s phrase: %d notes, %.0f%% in its scale; correlation with %s "
           "%.3f, with %s %.3f\n", key, notes, 100.0 * share, key, in_key, other_key, tritone);
    CHECK(notes >= 20, "expected a continuation of at least 20 notes, got %d", notes);
    CHECK(in_key > tritone, "expected the continuation closer to %s (%.3f) than to %s (%.3f)", key,
          in_key, other_key, tritone);
    /* A scale holds 7 (major) or 9 (minor, both forms) of the 12 classes:
     * music that ignored the key would have 58% or 75% of its notes in it. */
    double needed = minor ? 0.9 : 0.8;
    CHECK(share >= needed, "only %.0f%% of the continuation in the %s scale (at least %.0f%% "
          "expected)", 100.0 * share, key, 100.0 * needed);
}

static void test_a_c_major_phrase_is_continued_in_c_major(void)
{
    continue_phrase(c_major_phrase, 16, 0, 0, "C major", "F-sharp major");
}

static const int a_minor_phrase[] = {57, 60, 64, 69, 68, 64, 62, 59,
                                     57, 60, 64, 62, 60, 59, 57, 52};

static void test_an_a_minor_phrase_is_continued_in_a_minor(void)
{
    continue_phrase(a_minor_phrase, 16, 9, 1, "A minor", "E-flat minor");
}

/* Keys the corpus seldom uses: a key prior favouring C, F and G cannot
 * pass these. */
static void test_an_f_sharp_major_phrase_is_continued_in_f_sharp_major(void)
{
    int phrase[16];
    for (int i = 0; i < 16; i++)
        phrase[i] = c_major_phrase[i] + 6;
    continue_phrase(phrase, 16, 6, 0, "F-sharp major", "C major");
}

static void test_an_e_flat_minor_phrase_is_continued_in_e_flat_minor(void)
{
    int phrase[16];
    for (int i = 0; i < 16; i++)
        phrase[i] = a_minor_phrase[i] + 6;
    continue_phrase(phrase, 16, 3, 1, "E-flat minor", "A minor");
}

int main(void)
{
    RUN_TEST(test_played_onsets_snap_to_the_grid);
    RUN_TEST(test_a_captured_phrase_becomes_the_prompt_and_is_continued);
    char bundle[1024];
    if (!trained_model_present(bundle, sizeof bundle)) {
        printf("SKIP test_a_c_major_phrase_is_continued_in_c_major and the other key tests: "
               "%s/models/pianola.pnm does not exist (the trained model is not in this "
               "build)\n", bundle);
    } else {
        RUN_TEST(test_a_c_major_phrase_is_continued_in_c_major);
        RUN_TEST(test_an_a_minor_phrase_is_continued_in_a_minor);
        RUN_TEST(test_an_f_sharp_major_phrase_is_continued_in_f_sharp_major);
        RUN_TEST(test_an_e_flat_minor_phrase_is_continued_in_e_flat_minor);
    }
    CHECK_EXIT();
}
