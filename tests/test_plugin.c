/* The Pianola bundle, driven through lilv in-process as a host would:
 * validation, MIDI in through the piano, the timeline played on the host's
 * grid (exactly, or humanized within its bound), transport stop and locate,
 * seeds, and state carried to a new instance. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>

#include "check.h"
#include "humanize.h"
#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 512, MAX_EVENTS = 20000 };
static const double BPM = 120.0;
#define FRAMES_PER_BEAT (RATE * 60.0 / BPM)

static char random_bundle[1024];

typedef struct {
    int64_t frame; /* from the host's beat 0 */
    uint8_t status, pitch, velocity;
} Event;

typedef struct {
    Event events[MAX_EVENTS];
    int count;
    /* pianola:Note notifications: where the timeline says each note is. */
    double note_onset_beats[MAX_EVENTS];
    uint8_t note_pitch[MAX_EVENTS];
    int note_count;
    /* pianola:Cut notifications, and how many notes had come before each. */
    double cut_beats[8];
    int notes_before_cut[8];
    int cut_count;
    int capture_state; /* the last pianola:Capture state (PnlCaptureState), or -1 */
    double peak;
    int finite;
} Recording;

static void collect_notes(PnlLv2Host *host, Recording *recording)
{
    const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
    LV2_ATOM_SEQUENCE_FOREACH (sequence, event) {
        const LV2_Atom_Object *object = (const LV2_Atom_Object *)&event->body;
        if (event->body.type == pnl_lv2host_map(host, LV2_ATOM__Object) &&
            object->body.otype == pnl_lv2host_map(host, PIANOLA__Cut) &&
            recording->cut_count < 8) {
            const LV2_Atom *onset = NULL;
            lv2_atom_object_get(object, pnl_lv2host_map(host, PIANOLA__onsetBeats),
                                &onset, 0);
            recording->cut_beats[recording->cut_count] =
                onset && onset->type == pnl_lv2host_map(host, LV2_ATOM__Double)
                    ? ((const LV2_Atom_Double *)onset)->body : NAN;
            recording->notes_before_cut[recording->cut_count++] = recording->note_count;
            continue;
        }
        if (event->body.type == pnl_lv2host_map(host, LV2_ATOM__Object) &&
            object->body.otype == pnl_lv2host_map(host, PIANOLA__Capture)) {
            const LV2_Atom *state = NULL;
            lv2_atom_object_get(object, pnl_lv2host_map(host, PIANOLA__captureState),
                                &state, 0);
            if (state && state->type == pnl_lv2host_map(host, LV2_ATOM__Int))
                recording->capture_state = ((const LV2_Atom_Int *)state)->body;
            continue;
        }
        FixtureNote note;
        if (recording->note_count >= MAX_EVENTS || !fixture_read_note(host, event, &note) ||
            note.origin == PNL_ORIGIN_LIVE /* not composed */)
            continue;
        recording->note_pitch[recording->note_count] = (uint8_t)note.pitch;
        recording->note_onset_beats[recording->note_count++] = note.onset_beats;
    }
}

/* Runs `frames` from host frame `start` with a host transport at 120 BPM
 * 4/4 (a time:Position at the start of each block, as Ardour sends), its
 * barBeat rounded down to 1/ticks_per_beat of a beat (Ardour: 1920) or,
 * with 0, exact. */
enum { LARGEST_BLOCK = 8192 };

/* Plays in blocks of `block` frames (at most LARGEST_BLOCK). */
static void play_blocks(PnlLv2Host *host, int64_t start, int64_t frames, Recording *recording,
                        double ticks_per_beat, int block)
{
    static float left[LARGEST_BLOCK], right[LARGEST_BLOCK];
    for (int64_t done = 0; done < frames; done += block) {
        int64_t frame = start + done;
        double beat = frame / FRAMES_PER_BEAT;
        if (ticks_per_beat > 0)
            beat = floor(beat * ticks_per_beat) / ticks_per_beat;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        pnl_lv2host_run(host, (uint32_t)block, left, right);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        for (size_t i = 0; i < count && recording->count < MAX_EVENTS; i++)
            recording->events[recording->count++] =
                (Event){frame + midi[i].frame, midi[i].bytes[0], midi[i].bytes[1], midi[i].bytes[2]};
        collect_notes(host, recording);
        for (int i = 0; i < block; i++) {
            if (!isfinite(left[i]) || !isfinite(right[i]))
                recording->finite = 0;
            double magnitude = fmax(fabs(left[i]), fabs(right[i]));
            if (magnitude > recording->peak)
                recording->peak = magnitude;
        }
    }
}

static void play_rounded(PnlLv2Host *host, int64_t start, int64_t frames, Recording *recording,
                         double ticks_per_beat)
{
    play_blocks(host, start, frames, recording, ticks_per_beat, BLOCK);
}

static void play(PnlLv2Host *host, int64_t start, int64_t frames, Recording *recording)
{
    play_rounded(host, start, frames, recording, 0);
}

static PnlLv2Host *composing_host(uint32_t seed, float humanize, char *message, size_t size)
{
    PnlLv2Host *host = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_SYNC, message, size);
    if (!host)
        return NULL;
    pnl_lv2host_set_control(host, "seed", (float)seed);
    pnl_lv2host_set_control(host, "humanize_velocity", humanize);
    pnl_lv2host_set_control(host, "humanize_timing", humanize);
    pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    return host;
}

static int event_on(const Event *event)
{
    return (event->status & 0xf0) == 0x90 && event->velocity > 0;
}

static Recording *new_recording(void)
{
    Recording *recording = calloc(1, sizeof *recording);
    recording->finite = 1;
    recording->capture_state = -1;
    return recording;
}

static int note_ons(const Recording *recording)
{
    int ons = 0;
    for (int i = 0; i < recording->count; i++)
        ons += event_on(&recording->events[i]);
    return ons;
}

static void test_bundle_passes_lv2_validate(void)
{
    char bundle[1024], command[2200];
    fixture_built_bundle(bundle, sizeof bundle);
    snprintf(command, sizeof command, "lv2_validate %s/*.ttl > lv2_validate.log 2>&1", bundle);
    int status = system(command);
    CHECK(status == 0, "lv2_validate exited with %d (see lv2_validate.log in the build dir)",
          status);
    FILE *log = fopen("lv2_validate.log", "r");
    CHECK(log, "no lv2_validate.log");
    char line[512];
    int found_zero = 0;
    while (fgets(line, sizeof line, log))
        if (strstr(line, "Found 0 errors"))
            found_zero = 1;
    fclose(log);
    CHECK(found_zero, "lv2_validate did not report \"Found 0 errors\"");
}

static void test_midi_in_plays_through_the_piano(void)
{
    char bundle[1024], message[256] = "";
    PnlLv2Host *host = fixture_host(fixture_built_bundle(bundle, sizeof bundle), RATE, 8192,
                                    PNL_WORKER_SYNC, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_set_control(host, "generate", 0);
    float left[BLOCK], right[BLOCK];
    double silent_peak = 0, played_peak = 0;
    for (int block = 0; block < 100; block++) {
        if (block == 10)
            pnl_lv2host_queue_midi(host, 100, (const uint8_t[]){0x90, 60, 100}, 3);
        if (block == 60)
            pnl_lv2host_queue_midi(host, 0, (const uint8_t[]){0x80, 60, 0}, 3);
        pnl_lv2host_run(host, BLOCK, left, right);
        for (int i = 0; i < BLOCK; i++) {
            double magnitude = fmax(fabs(left[i]), fabs(right[i]));
            if (!isfinite(magnitude))
                played_peak = NAN;
            if (block < 10)
                silent_peak = fmax(silent_peak, magnitude);
            else
                played_peak = fmax(played_peak, magnitude);
        }
    }
    pnl_lv2host_free(host);
    CHECK(silent_peak < 1e-4, "expected silence (below -80 dB) before the note, peak %g",
          silent_peak);
    CHECK(isfinite(played_peak) && played_peak > 0.01,
          "expected middle C on MIDI in to sound, peak %g", played_peak);
}

/* Every note-on on MIDI out must match a timeline note (from the UI
 * notifications) at its grid frame, within tolerance_frames. */
static int check_on_grid(const Recording *recording, double tolerance_frames, double *worst,
                         int *moved, char *why, size_t size)
{
    *worst = 0;
    *moved = 0;
    int ons = 0;
    for (int i = 0; i < recording->count; i++) {
        const Event *event = &recording->events[i];
        if ((event->status & 0xf0) != 0x90 || event->velocity == 0)
            continue;
        ons++;
        double best = INFINITY;
        for (int n = 0; n < recording->note_count; n++) {
            if (recording->note_pitch[n] != event->pitch)
                continue;
            double grid = recording->note_onset_beats[n] * FRAMES_PER_BEAT;
            double distance = fabs((double)event->frame - grid);
            if (distance < fabs(best))
                best = (double)event->frame - grid;
        }
        if (!(fabs(best) <= tolerance_frames)) {
            snprintf(why, size, "note-on %d at frame %lld is %g frames from its grid frame "
                     "(allowed %g)", event->pitch, (long long)event->frame, best, tolerance_frames);
            return -1;
        }
        if (fabs(best) > *worst)
            *worst = fabs(best);
        if (best != 0.0)
            (*moved)++;
    }
    return ons;
}

static void test_sixteen_bars_land_exactly_on_the_grid(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(7, 0.0f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Recording *recording = new_recording();
    play(host, 0, (int64_t)(16 * 4 * FRAMES_PER_BEAT), recording);
    pnl_lv2host_free(host);
    double worst;
    int moved;
    char why[256] = "";
    int ons = check_on_grid(recording, 0.0, &worst, &moved, why, sizeof why);
    double peak = recording->peak;
    int finite = recording->finite;
    free(recording);
    CHECK(ons >= 0, "%s", why);
    CHECK(ons >= 16, "expected at least a note a bar in 16 bars, got %d note-ons", ons);
    CHECK(finite, "audio had NaN or infinity");
    CHECK(peak > 0.01 && peak < 4.0, "expected audible, sane audio, peak %g", peak);
    printf("sixteen bars at 120 BPM: %d note-ons, all on their grid frames, peak %.3f\n", ons,
           peak);
}

/* The same with the bundle as built, its trained model included. */
static void test_the_bundled_model_plays_sixteen_bars_on_the_grid(void)
{
    char bundle[1024], model[1200], message[256] = "";
    fixture_built_bundle(bundle, sizeof bundle);
    snprintf(model, sizeof model, "%s/models/pianola.pnm", bundle);
    FILE *probe = fopen(model, "rb");
    if (!probe) {
        printf("SKIP test_the_bundled_model_plays_sixteen_bars_on_the_grid: %s does not exist\n",
               model);
        return;
    }
    fclose(probe);
    PnlLv2Host *host = fixture_host(bundle, RATE, 8192, PNL_WORKER_SYNC, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_set_control(host, "humanize_velocity", 0.0f);
    pnl_lv2host_set_control(host, "humanize_timing", 0.0f);
    pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    Recording *recording = new_recording();
    play(host, 0, (int64_t)(16 * 4 * FRAMES_PER_BEAT), recording);
    pnl_lv2host_free(host);
    double worst;
    int moved;
    char why[256] = "";
    int ons = check_on_grid(recording, 0.0, &worst, &moved, why, sizeof why);
    double peak = recording->peak;
    int finite = recording->finite;
    free(recording);
    CHECK(ons >= 0, "%s", why);
    CHECK(ons >= 16 && finite && peak > 0.01 && peak < 4.0,
          "expected music from the bundled model: %d note-ons, peak %g, finite %d", ons, peak,
          finite);
    printf("bundled model, sixteen bars at 120 BPM: %d note-ons on their grid frames, peak %.3f\n",
           ons, peak);
}

static void test_humanized_notes_stay_within_the_bound(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(7, 1.0f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Recording *recording = new_recording();
    play(host, 0, (int64_t)(16 * 4 * FRAMES_PER_BEAT), recording);
    pnl_lv2host_free(host);
    double bound_frames = PNL_HUMANIZE_MAX_DEVIATION_MS / 1000.0 * RATE + 1.0;
    double worst;
    int moved;
    char why[256] = "";
    int ons = check_on_grid(recording, bound_frames, &worst, &moved, why, sizeof why);
    free(recording);
    CHECK(ons >= 0, "%s", why);
    CHECK(ons >= 16 && moved > ons / 2,
          "expected most of %d note-ons moved off the grid by humanization, %d were", ons, moved);
    printf("humanized: %d of %d note-ons moved, worst %.1f ms (bound %.0f ms)\n", moved, ons,
           worst * 1000.0 / RATE, PNL_HUMANIZE_MAX_DEVIATION_MS);
}

static void test_transport_stop_ends_every_note_in_that_cycle(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(7, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Recording *recording = new_recording();
    int sounding[128] = {0};
    int found_sounding = 0, stop_checked = 0, leftover = -1;
    float left[BLOCK], right[BLOCK];
    /* Play until notes sound, then stop in the middle of a block. */
    for (int block = 0; block < 2000 && !stop_checked; block++) {
        int64_t frame = (int64_t)block * BLOCK;
        double beat = frame / FRAMES_PER_BEAT;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        int stopping = found_sounding && block > 200;
        if (stopping) {
            double stop_beat = (frame + 100) / FRAMES_PER_BEAT;
            pnl_lv2host_queue_position(host, 100, BPM, 4, 4, bar, stop_beat - 4.0 * bar, 0.0);
        }
        pnl_lv2host_run(host, BLOCK, left, right);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        for (size_t i = 0; i < count; i++) {
            if (PIANOLA_TEST_NOTE_ON(&midi[i]))
                sounding[midi[i].bytes[1]] = 1;
            else if (PIANOLA_TEST_NOTE_OFF(&midi[i]))
                sounding[midi[i].bytes[1]] = 0;
        }
        int now = 0;
        for (int pitch = 0; pitch < 128; pitch++)
            now += sounding[pitch];
        if (stopping) {
            leftover = now;
            stop_checked = 1;
        } else if (now > 0) {
            found_sounding = 1;
        }
    }
    pnl_lv2host_free(host);
    free(recording);
    CHECK(stop_checked, "never had a sounding note to stop");
    CHECK(leftover == 0, "expected every note off in the stop cycle, %d still sounding",
          leftover);
}

static int same_events(const Recording *a, int64_t a_offset, const Recording *b, int64_t b_offset,
                       char *why, size_t size)
{
    int a_ons = 0, b_ons = 0;
    for (int i = 0, j = 0;; i++, j++) {
        while (i < a->count && !event_on(&a->events[i]))
            i++;
        while (j < b->count && !event_on(&b->events[j]))
            j++;
        if (i >= a->count || j >= b->count) {
            if (i < a->count || j < b->count) {
                snprintf(why, size, "one has more note-ons (%d vs %d so far)", a_ons, b_ons);
                return 0;
            }
            return a_ons;
        }
        a_ons++, b_ons++;
        const Event *x = &a->events[i], *y = &b->events[j];
        if (x->frame - a_offset != y->frame - b_offset || x->pitch != y->pitch ||
            x->velocity != y->velocity) {
            snprintf(why, size, "note-on %d differs: pitch %d vel %d at %lld vs pitch %d vel %d at %lld",
                     a_ons, x->pitch, x->velocity, (long long)(x->frame - a_offset), y->pitch,
                     y->velocity, (long long)(y->frame - b_offset));
            return 0;
        }
    }
}

/* Ardour rounds barBeat down to its tick, 1/1920 of a beat (12.5 frames at
 * 120 BPM), and where the blocks fall decides how much each position is
 * rounded: the notes must still land on the frames exact positions give,
 * or two exports of one session differ. */
static void test_positions_rounded_to_the_hosts_tick_keep_notes_on_their_frames(void)
{
    char message[256] = "", why[256] = "";
    Recording *exact = new_recording(), *rounded = new_recording();
    PnlLv2Host *host = composing_host(5, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    play(host, 0, (int64_t)(8 * 4 * FRAMES_PER_BEAT), exact);
    pnl_lv2host_free(host);
    host = composing_host(5, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    play_rounded(host, 0, (int64_t)(8 * 4 * FRAMES_PER_BEAT), rounded, 1920);
    pnl_lv2host_free(host);
    int matched = same_events(exact, 0, rounded, 0, why, sizeof why);
    free(exact);
    free(rounded);
    CHECK(matched > 16, "positions rounded to 1/1920 beat: %s (matched %d)", why, matched);
}

/* Ardour runs a cycle of whatever length lands the transport on an
 * export's start, so how many frames the synth rendered before the music
 * starts differs from one export to the next. FluidSynth starts notes on its
 * own 64-frame blocks; the audio from the locate on must be the same
 * sample for sample all the same. */
static void test_audio_after_a_locate_does_not_depend_on_the_cycles_before(void)
{
    enum { FRAMES = 4 * 4 * 24000 };
    float *audio[2] = {calloc(FRAMES, sizeof(float)), calloc(FRAMES, sizeof(float))};
    float left[BLOCK], right[BLOCK];
    int ons[2] = {0, 0};
    for (int take = 0; take < 2; take++) {
        char message[256] = "";
        PnlLv2Host *host = composing_host(9, 0.5f, message, sizeof message);
        CHECK(host, "no host: %s", message);
        /* Stopped first: 3 blocks, or 3 blocks and 37 frames. */
        for (int block = 0; block < 4; block++) {
            uint32_t frames = block < 3 ? BLOCK : take ? 37 : 0;
            if (!frames)
                continue;
            pnl_lv2host_queue_position(host, 0, BPM, 4, 4, 0, 0.0, 0.0);
            pnl_lv2host_run(host, frames, left, right);
        }
        for (int64_t frame = 0; frame < FRAMES; frame += BLOCK) {
            double beat = frame / FRAMES_PER_BEAT;
            int64_t bar = (int64_t)floor(beat / 4.0);
            pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
            pnl_lv2host_run(host, BLOCK, left, right);
            memcpy(audio[take] + frame, left, BLOCK * sizeof(float));
            const PnlHostMidi *midi;
            size_t count = pnl_lv2host_midi(host, &midi);
            for (size_t i = 0; i < count; i++)
                ons[take] += (midi[i].bytes[0] & 0xf0) == 0x90 && midi[i].bytes[2] > 0;
        }
        pnl_lv2host_free(host);
    }
    int64_t first_difference = -1;
    for (int64_t frame = 0; frame < FRAMES && first_difference < 0; frame++)
        if (audio[0][frame] != audio[1][frame])
            first_difference = frame;
    free(audio[0]);
    free(audio[1]);
    CHECK(ons[0] > 16 && ons[0] == ons[1], "expected the same music twice, %d and %d note-ons",
          ons[0], ons[1]);
    CHECK(first_difference < 0, "37 more frames rendered before the locate changed the audio "
          "from frame %lld on", (long long)first_difference);
}

static void test_locate_back_replays_the_same_events(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(11, 0.7f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Recording *first = new_recording(), *again = new_recording();
    int64_t four_bars = (int64_t)(16 * FRAMES_PER_BEAT);
    play(host, 0, 2 * four_bars, first);  /* bars 0..7 */
    play(host, 0, 2 * four_bars, again);  /* located back to bar 0 */
    pnl_lv2host_free(host);
    char why[256] = "";
    int matched = same_events(first, 0, again, 0, why, sizeof why);
    free(first);
    free(again);
    CHECK(matched > 8, "expected the same note-ons after locating back: %s (matched %d)", why,
          matched);
}

static void test_a_different_seed_gives_different_music(void)
{
    char message[256] = "";
    Recording *one = new_recording(), *two = new_recording();
    PnlLv2Host *host = composing_host(1, 0.0f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    play(host, 0, (int64_t)(16 * FRAMES_PER_BEAT), one);
    pnl_lv2host_free(host);
    host = composing_host(2, 0.0f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    play(host, 0, (int64_t)(16 * FRAMES_PER_BEAT), two);
    pnl_lv2host_free(host);
    char why[256] = "";
    int matched = same_events(one, 0, two, 0, why, sizeof why);
    int ons = note_ons(one);
    free(one);
    free(two);
    CHECK(ons > 4, "seed 1 composed only %d note-ons", ons);
    CHECK(matched == 0, "seeds 1 and 2 composed the same %d note-ons", matched);
}

static void test_state_restored_into_a_new_instance_continues_identically(void)
{
    char message[256] = "";
    PnlLv2Host *original = composing_host(5, 0.6f, message, sizeof message);
    CHECK(original, "no host: %s", message);
    /* Steered, so the state holds the steering and the model's own
     * velocities beside the shifted ones (E minor, C2..C7, f, light). */
    static const struct {
        const char *symbol;
        float value;
    } steering[] = {{"key", 10}, {"register_lowest", 36}, {"register_highest", 96},
                    {"dynamics", 5}, {"density", 2}};
    for (int i = 0; i < 5; i++)
        pnl_lv2host_set_control(original, steering[i].symbol, steering[i].value);
    int64_t four_bars = (int64_t)(16 * FRAMES_PER_BEAT);
    Recording *before = new_recording(), *continued = new_recording(),
              *restored_run = new_recording();
    play(original, 0, four_bars, before);
    char *state = pnl_lv2host_save_state(original);
    play(original, four_bars, 2 * four_bars, continued);
    pnl_lv2host_free(original);
    CHECK(state, "saving the state failed");

    PnlLv2Host *restored = composing_host(999, 0.0f, message, sizeof message);
    CHECK(restored, "no host: %s", message);
    int status = pnl_lv2host_restore_state(restored, state);
    free(state);
    CHECK(status == 0, "restoring the state failed (%d)", status);
    CHECK(pnl_lv2host_control(restored, "seed") == 5.0f, "the seed port was not restored");
    for (int i = 0; i < 5; i++)
        CHECK(pnl_lv2host_control(restored, steering[i].symbol) == steering[i].value,
              "the %s port was not restored: %g, not %g", steering[i].symbol,
              pnl_lv2host_control(restored, steering[i].symbol), steering[i].value);
    play(restored, four_bars, 2 * four_bars, restored_run);
    pnl_lv2host_free(restored);
    char why[256] = "";
    int matched = same_events(continued, 0, restored_run, 0, why, sizeof why);
    free(before);
    free(continued);
    free(restored_run);
    CHECK(matched > 8, "expected the restored instance to continue identically: %s (matched %d)",
          why, matched);
}

static void test_runs_free_on_the_internal_tempo_without_host_time(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(3, 0.0f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_set_control(host, "tempo", 90.0f);
    Recording *recording = new_recording();
    float left[BLOCK], right[BLOCK];
    double frames_per_beat = RATE * 60.0 / 90.0;
    for (int64_t frame = 0; frame < 8 * 4 * frames_per_beat; frame += BLOCK) {
        pnl_lv2host_run(host, BLOCK, left, right);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        for (size_t i = 0; i < count && recording->count < MAX_EVENTS; i++)
            recording->events[recording->count++] =
                (Event){frame + midi[i].frame, midi[i].bytes[0], midi[i].bytes[1], midi[i].bytes[2]};
        collect_notes(host, recording);
    }
    pnl_lv2host_free(host);
    int ons = 0, off_grid = 0;
    for (int i = 0; i < recording->count; i++) {
        const Event *event = &recording->events[i];
        if (!event_on(event))
            continue;
        ons++;
        int matched = 0;
        for (int n = 0; n < recording->note_count && !matched; n++)
            matched = recording->note_pitch[n] == event->pitch &&
                      (int64_t)ceil(recording->note_onset_beats[n] * frames_per_beat - 1e-6) ==
                          event->frame;
        off_grid += !matched;
    }
    free(recording);
    CHECK(ons >= 8, "expected music at the internal tempo, %d note-ons", ons);
    CHECK(off_grid == 0, "%d of %d note-ons were not on the 90 BPM grid", off_grid, ons);
}

static void test_odd_blocks_and_sample_rates_play_cleanly(void)
{
    static const double rates[] = {22050, 44100, 96000, 192000};
    static float left[8192], right[8192];
    for (int r = 0; r < 4; r++) {
        char message[256] = "";
        PnlLv2Host *host =
            fixture_host(random_bundle, rates[r], 8192, PNL_WORKER_SYNC, message, sizeof message);
        CHECK(host, "no host at %g Hz: %s", rates[r], message);
        uint64_t state = 99 + r;
        int64_t frames_done = 0;
        double peak = 0;
        int finite = 1, ons = 0;
        while (frames_done < 6 * rates[r]) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t frames = 1 + (uint32_t)(state >> 33) % ((state >> 20) % 3 ? 700 : 8192);
            pnl_lv2host_run(host, frames, left, right);
            const PnlHostMidi *midi;
            size_t count = pnl_lv2host_midi(host, &midi);
            for (size_t i = 0; i < count; i++)
                ons += PIANOLA_TEST_NOTE_ON(&midi[i]);
            for (uint32_t i = 0; i < frames; i++) {
                finite &= isfinite(left[i]) && isfinite(right[i]);
                peak = fmax(peak, fabs(left[i]));
            }
            frames_done += frames;
        }
        pnl_lv2host_free(host);
        CHECK(finite, "audio not finite at %g Hz", rates[r]);
        CHECK(ons > 4 && peak > 0.01 && peak < 4.0,
              "expected music at %g Hz with blocks of 1..8192 frames: %d note-ons, peak %g",
              rates[r], ons, peak);
    }
}

static void test_the_presets_set_the_composer_and_the_steering(void)
{
    /* Key, dynamics and register as each file gives them; -1 where it gives
     * none, and the control keeps the value it had. */
    static const struct {
        const char *name;
        float composer, key, dynamics, lowest, highest;
    } presets[] = {
        {"mozart-faithful", 0, -1, -1, -1, -1},
        {"mozart-adventurous", 0, -1, -1, -1, -1},
        {"rachmaninoff-dense", 3, -1, -1, -1, -1},
        {"schumann-intimate", 2, -1, -1, -1, -1},
        {"brahms-intermezzo-in-a", 1, 19, 2, 36, 91},
        {"mozart-sonatina-in-g", 0, 15, 3, 48, 96},
        {"rachmaninoff-prelude-in-c-sharp-minor", 3, 4, 5, 21, 108},
    };
    char bundle[1024], message[256] = "", uri[128];
    PnlLv2Host *host = fixture_host(fixture_built_bundle(bundle, sizeof bundle), RATE, 8192,
                                    PNL_WORKER_SYNC, message, sizeof message);
    CHECK(host, "no host: %s", message);
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        /* Away from every preset's values, so each value seen was set. */
        static const float before[] = {4, 24, 6, 60, 72};
        pnl_lv2host_set_control(host, "composer", before[0]);
        pnl_lv2host_set_control(host, "key", before[1]);
        pnl_lv2host_set_control(host, "dynamics", before[2]);
        pnl_lv2host_set_control(host, "register_lowest", before[3]);
        pnl_lv2host_set_control(host, "register_highest", before[4]);
        snprintf(uri, sizeof uri, "urn:pianola:preset:%s", presets[i].name);
        int status = pnl_lv2host_apply_preset(host, uri);
        float got[] = {pnl_lv2host_control(host, "composer"), pnl_lv2host_control(host, "key"),
                       pnl_lv2host_control(host, "dynamics"),
                       pnl_lv2host_control(host, "register_lowest"),
                       pnl_lv2host_control(host, "register_highest")};
        float want[] = {presets[i].composer, presets[i].key, presets[i].dynamics,
                        presets[i].lowest, presets[i].highest};
        int same = status == 0;
        for (int k = 0; k < 5; k++) {
            if (want[k] < 0)
                want[k] = before[k];
            same &= got[k] == want[k];
        }
        if (!same) {
            pnl_lv2host_free(host);
            CHECK(0, "preset %s: status %d, composer/key/dynamics/lowest/highest %g %g %g %g %g "
                     "(expected %g %g %g %g %g)", presets[i].name, status, got[0], got[1],
                  got[2], got[3], got[4], want[0], want[1], want[2], want[3], want[4]);
        }
    }
    pnl_lv2host_free(host);
}

/* Splits a recording at a frame: note-ons before it, and after it. */
static void split_ons(const Recording *recording, int64_t frame, Recording *before,
                      Recording *after)
{
    for (int i = 0; i < recording->count; i++) {
        const Event *event = &recording->events[i];
        if (!event_on(event))
            continue;
        Recording *part = event->frame < frame ? before : after;
        part->events[part->count++] = *event;
    }
}

static void test_a_threaded_worker_composes_what_an_export_does(void)
{
    char message[256] = "";
    PnlLv2Host *live = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_THREADED, message,
                                    sizeof message);
    CHECK(live, "no host: %s", message);
    pnl_lv2host_set_control(live, "seed", 21);
    Recording *live_run = new_recording(), *export_run = new_recording();
    int64_t bar = (int64_t)(4 * FRAMES_PER_BEAT);
    /* As in a host: the plugin runs with the transport stopped before play,
     * and composes its lookahead meanwhile. */
    float left[BLOCK], right[BLOCK];
    for (int block = 0; block < 20; block++) {
        pnl_lv2host_queue_position(live, 0, BPM, 4, 4, 0, 0.0, 0.0);
        pnl_lv2host_run(live, BLOCK, left, right);
        pnl_lv2host_wait_for_worker(live);
    }
    for (int chunk = 0; chunk < 16; chunk++) {
        play(live, chunk * bar / 2, bar / 2, live_run);
        pnl_lv2host_wait_for_worker(live); /* a live worker keeps a bar or two ahead */
    }
    pnl_lv2host_free(live);
    PnlLv2Host *offline = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_SYNC, message,
                                       sizeof message);
    CHECK(offline, "no host: %s", message);
    pnl_lv2host_set_control(offline, "seed", 21);
    play(offline, 0, 8 * bar, export_run);
    pnl_lv2host_free(offline);
    char why[256] = "";
    int matched = same_events(live_run, 0, export_run, 0, why, sizeof why);
    free(live_run);
    free(export_run);
    CHECK(matched > 8, "expected the same notes live and exported: %s (matched %d)", why, matched);
}

/* An export from a host whose worker thread is slow (a busy machine) and
 * had a bar in hand when the export began: freewheeling, run() waits for
 * it, so the export has exactly the notes of a synchronous one. Without
 * the freewheel port the same run plays bars short, which shows the test
 * reproduces the hazard. */
static int busy_export_from(int freewheel, int stopped_blocks, int block, uint32_t seed,
                            Recording *recording, char *message, size_t size)
{
    PnlLv2HostOptions options = {.plugin_uri = PIANOLA_TEST_URI,
                                 .bundle_path = random_bundle,
                                 .sample_rate = RATE,
                                 .max_block = 8192,
                                 .worker_mode = PNL_WORKER_THREADED,
                                 .worker_delay_us = 150000};
    PnlLv2Host *host = pnl_lv2host_new(&options, message, size);
    if (!host)
        return 0;
    pnl_lv2host_set_control(host, "seed", (float)seed);
    pnl_lv2host_set_control(host, "freewheel", (float)freewheel);
    float left[BLOCK], right[BLOCK];
    for (int block = 0; block < stopped_blocks; block++) { /* stopped, a job goes out */
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, 0, 0.0, 0.0);
        pnl_lv2host_run(host, BLOCK, left, right);
    }
    play_blocks(host, 0, (int64_t)(8 * 4 * FRAMES_PER_BEAT), recording, 0, block);
    pnl_lv2host_free(host);
    return 1;
}

static int busy_export(int freewheel, Recording *recording, char *message, size_t size)
{
    return busy_export_from(freewheel, 4, BLOCK, 21, recording, message, size);
}

static void test_an_export_on_a_busy_machine_has_every_note(void)
{
    char message[256] = "";
    Recording *waited = new_recording(), *hurried = new_recording(), *sync_run = new_recording();
    PnlLv2Host *offline = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_SYNC, message,
                                       sizeof message);
    CHECK(offline, "no host: %s", message);
    pnl_lv2host_set_control(offline, "seed", 21);
    play(offline, 0, (int64_t)(8 * 4 * FRAMES_PER_BEAT), sync_run);
    pnl_lv2host_free(offline);
    CHECK(busy_export(1, waited, message, sizeof message), "no host: %s", message);
    CHECK(busy_export(0, hurried, message, sizeof message), "no host: %s", message);
    char why[256] = "", hurried_why[256] = "";
    int matched = same_events(sync_run, 0, waited, 0, why, sizeof why);
    int hurried_matched = same_events(sync_run, 0, hurried, 0, hurried_why, sizeof hurried_why);
    free(waited);
    free(hurried);
    free(sync_run);
    CHECK(matched > 8, "freewheeling on a slow worker: %s (matched %d)", why, matched);
    CHECK(hurried_matched <= 0, "without freewheeling the slow worker kept up (matched %d): the "
          "test no longer reproduces a bar composed late", hurried_matched);
}

/* The same export begun cold, in a host's large blocks: the transport rolls
 * in the first cycle, so the first bar's job goes to the slow worker in the
 * very cycle that plays its first notes (as after a host's pre-roll).
 * Freewheeling, run() waits for the jobs it gives out too, so the export
 * still has every note at its frame. Without the freewheel port the first
 * bar comes late. */
static void test_an_export_begun_cold_on_a_busy_machine_has_every_note(void)
{
    char message[256] = "";
    /* A seed whose music sounds within the first block, where the hazard is. */
    uint32_t seed = 0;
    Recording *sync_run = new_recording();
    for (uint32_t candidate = 1; candidate <= 200 && !seed; candidate++) {
        PnlLv2Host *offline = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_SYNC, message,
                                           sizeof message);
        CHECK(offline, "no host: %s", message);
        pnl_lv2host_set_control(offline, "seed", (float)candidate);
        *sync_run = (Recording){.finite = 1, .capture_state = -1};
        play_blocks(offline, 0, (int64_t)(8 * 4 * FRAMES_PER_BEAT), sync_run, 0, LARGEST_BLOCK);
        pnl_lv2host_free(offline);
        for (int i = 0; i < sync_run->count; i++)
            if (event_on(&sync_run->events[i])) {
                if (sync_run->events[i].frame < LARGEST_BLOCK)
                    seed = candidate;
                break;
            }
    }
    CHECK(seed, "no seed of 200 sounds within the first %d frames", LARGEST_BLOCK);
    Recording *waited = new_recording(), *hurried = new_recording();
    CHECK(busy_export_from(1, 0, LARGEST_BLOCK, seed, waited, message, sizeof message),
          "no host: %s", message);
    CHECK(busy_export_from(0, 0, LARGEST_BLOCK, seed, hurried, message, sizeof message),
          "no host: %s", message);
    char why[256] = "", hurried_why[256] = "";
    int matched = same_events(sync_run, 0, waited, 0, why, sizeof why);
    int hurried_matched = same_events(sync_run, 0, hurried, 0, hurried_why, sizeof hurried_why);
    int ons = note_ons(sync_run);
    free(waited);
    free(hurried);
    free(sync_run);
    CHECK(matched > 8, "freewheeling from a cold start on a slow worker (seed %u): %s (matched "
          "%d)", seed, why, matched);
    CHECK(hurried_matched <= 0, "without freewheeling the slow worker kept up (matched %d): the "
          "test no longer reproduces a first bar composed late", hurried_matched);
    printf("# begun cold (seed %u, music from the first block): %d note-ons, each at its "
           "frame\n", seed, ons);
}

static void test_a_changed_setting_or_reroll_recomposes_only_from_the_playhead(void)
{
    static const char *const changes[] = {"temperature", "reroll"};
    for (int c = 0; c < 2; c++) {
        char message[256] = "";
        int64_t bar = (int64_t)(4 * FRAMES_PER_BEAT);
        Recording *plain = new_recording(), *changed = new_recording();
        PnlLv2Host *host = composing_host(8, 0.3f, message, sizeof message);
        CHECK(host, "no host: %s", message);
        play(host, 0, 8 * bar, plain);
        pnl_lv2host_free(host);
        host = composing_host(8, 0.3f, message, sizeof message);
        CHECK(host, "no host: %s", message);
        play(host, 0, 4 * bar, changed);
        pnl_lv2host_set_control(host, changes[c], c == 0 ? 1.4f : 1.0f);
        play(host, 4 * bar, BLOCK, changed);
        pnl_lv2host_set_control(host, "reroll", 0.0f);
        play(host, 4 * bar + BLOCK, 4 * bar - BLOCK, changed);
        pnl_lv2host_free(host);
        Recording *plain_before = new_recording(), *plain_after = new_recording();
        Recording *changed_before = new_recording(), *changed_after = new_recording();
        /* The new music starts at the next beat the humanized notes allow. */
        int64_t boundary = 4 * bar + (int64_t)FRAMES_PER_BEAT;
        split_ons(plain, boundary, plain_before, plain_after);
        split_ons(changed, boundary, changed_before, changed_after);
        char why[256] = "";
        int kept = same_events(plain_before, 0, changed_before, 0, why, sizeof why);
        int same_after = same_events(plain_after, 0, changed_after, 0, why, sizeof why);
        int ons_after = changed_after->count;
        /* The UI hears of the cut, at the new music's first beat, and then
         * of the new notes from there on. */
        int plain_cuts = plain->cut_count, cuts = changed->cut_count;
        double cut_beats = cuts ? changed->cut_beats[0] : NAN;
        int notes_resent = 0;
        for (int i = cuts ? changed->notes_before_cut[0] : changed->note_count;
             i < changed->note_count; i++)
            notes_resent += changed->note_onset_beats[i] >= 17.0;
        free(plain), free(changed), free(plain_before), free(plain_after);
        free(changed_before), free(changed_after);
        CHECK(kept > 8, "%s: expected the music before the playhead kept (matched %d)",
              changes[c], kept);
        CHECK(same_after == 0 && ons_after > 4,
              "%s: expected new music after the playhead (%d note-ons, %d the same)", changes[c],
              ons_after, same_after);
        CHECK(plain_cuts == 0 && cuts == 1 && cut_beats == 17.0 && notes_resent > 4,
              "%s: expected the UI told of one cut at beat 17 and sent the new notes after it "
              "(%d cuts unchanged, %d changed, the first at %g, %d notes from it after it)",
              changes[c], plain_cuts, cuts, cut_beats, notes_resent);
    }
}

static void test_a_garbled_state_is_refused_without_harm(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(4, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    Recording *recording = new_recording();
    play(host, 0, (int64_t)(8 * FRAMES_PER_BEAT), recording);
    char *state = pnl_lv2host_save_state(host);
    pnl_lv2host_free(host);
    CHECK(state, "saving the state failed");
    /* Replace the timeline's notes with bytes that claim far more notes. */
    char *value = strstr(state, "pianola#timeline>");
    value = value ? strstr(value, "rdf:value \"") : NULL;
    CHECK(value, "no timeline in the saved state");
    /* Long base64 is written as a multi-line string. */
    int triple = !strncmp(value, "rdf:value \"\"\"", 13);
    char *body = value + (triple ? 13 : 11);
    char *end = strchr(body, '"');
    CHECK(end && end - body >= 24, "the saved timeline is not a base64 string");
    /* "PNTL", version 1, horizon 0, 2^32-1 notes, and no notes at all. */
    memcpy(body, "UE5UTAEAAAAAAAAA/////w==", 24);
    memmove(body + 24, end, strlen(end) + 1);
    host = composing_host(4, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = pnl_lv2host_restore_state(host, state);
    free(state);
    Recording *after = new_recording();
    play(host, 0, (int64_t)(8 * FRAMES_PER_BEAT), after);
    pnl_lv2host_free(host);
    int ons = note_ons(after), finite = after->finite;
    free(recording);
    free(after);
    CHECK(status == 0, "the host could not parse the state (%d)", status);
    CHECK(finite && ons > 4, "expected the plugin to compose on after a bad state (%d note-ons)",
          ons);
}

static void test_deactivate_leaves_no_note_hanging(void)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(7, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int sounding[128] = {0}, restarted = 0, leftover = -1;
    float left[BLOCK], right[BLOCK];
    for (int block = 0; block < 2000 && leftover < 0; block++) {
        int64_t frame = (int64_t)block * BLOCK;
        double beat = frame / FRAMES_PER_BEAT;
        int64_t bar = (int64_t)floor(beat / 4.0);
        int now = 0;
        for (int pitch = 0; pitch < 128; pitch++)
            now += sounding[pitch];
        if (!restarted && now > 0 && block > 100) {
            pnl_lv2host_restart(host);
            restarted = 1;
        }
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        pnl_lv2host_run(host, BLOCK, left, right);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        int sounding_before_ons = 0;
        for (size_t i = 0; i < count; i++) {
            if (PIANOLA_TEST_NOTE_OFF(&midi[i]))
                sounding[midi[i].bytes[1]] = 0;
        }
        if (restarted) {
            /* Only note-ons of this first cycle may sound now. */
            for (int pitch = 0; pitch < 128; pitch++)
                sounding_before_ons += sounding[pitch];
            leftover = sounding_before_ons;
        }
        for (size_t i = 0; i < count; i++)
            if (PIANOLA_TEST_NOTE_ON(&midi[i]))
                sounding[midi[i].bytes[1]] = 1;
    }
    pnl_lv2host_free(host);
    CHECK(restarted, "never had a sounding note to cut");
    CHECK(leftover == 0, "expected note-offs for every cut note in the first cycle after "
          "reactivation, %d left hanging", leftover);
}

/* ------------------------------------------------ states of earlier versions */

/* A fixture's file, from the source tree. */
static char *read_source_file(const char *relative)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", check_env("PIANOLA_SRC", ".."), relative);
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, file) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text)
        text[size] = '\0';
    fclose(file);
    return text;
}

static uint32_t little_u32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

/* A note of notes format 1 took 16 bytes, format 2 17, format 3 takes 18. */
enum { FIXTURE_TICKS_PER_BEAT = 24, FIXTURE_MAX_NOTES = 512, NOTE_RECORD = 18 };
static const char v1_fixture[] = "tests/fixtures/states/v1-captured-prompt-then-composed.ttl";

/* A saved state's timeline, decoded here from its Turtle. */
typedef struct {
    uint8_t bytes[16 + FIXTURE_MAX_NOTES * NOTE_RECORD];
    long size;
    uint32_t stored;
    size_t record_size;
    double horizon_beats;
} StoredTimeline;

static int read_stored_timeline(const char *turtle, StoredTimeline *timeline)
{
    timeline->size = fixture_turtle_base64_value(turtle, "pianola#timeline>", timeline->bytes,
                                                 sizeof timeline->bytes);
    if (timeline->size < 16 || memcmp(timeline->bytes, "PNTL", 4) ||
        little_u32(timeline->bytes + 4) < 1 || little_u32(timeline->bytes + 4) > 3)
        return 0;
    timeline->record_size = 15 + little_u32(timeline->bytes + 4);
    timeline->stored = little_u32(timeline->bytes + 12);
    timeline->horizon_beats = (double)little_u32(timeline->bytes + 8) / FIXTURE_TICKS_PER_BEAT;
    return timeline->size == 16 + (long)timeline->stored * (long)timeline->record_size;
}

/* Restores `turtle` into a fresh instance and checks that it plays the
 * stored notes before the horizon's last bar (the fixture's 4/4, no
 * humanization) and nothing else, with its prompt among them, and that
 * the UI hears a captured phrase is the prompt. */
static void check_plays_what_it_stored(const char *name, const char *turtle,
                                       const StoredTimeline *timeline)
{
    char message[256] = "";
    PnlLv2Host *host = composing_host(999, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = pnl_lv2host_restore_state(host, turtle);
    CHECK(status == 0, "%s: restoring failed (%d)", name, status);
    double played_beats = timeline->horizon_beats - 4.0;
    Recording *recording = new_recording();
    play(host, 0, (int64_t)(played_beats * FRAMES_PER_BEAT), recording);
    pnl_lv2host_free(host);

    int expected = 0, prompt_notes = 0, missing = 0, first_missing = -1;
    for (uint32_t i = 0; i < timeline->stored; i++) {
        const uint8_t *record = timeline->bytes + 16 + (size_t)i * timeline->record_size;
        double onset_beats = (double)little_u32(record) / FIXTURE_TICKS_PER_BEAT;
        if (onset_beats >= played_beats)
            continue;
        expected++;
        prompt_notes += record[10] == PNL_ORIGIN_PROMPT;
        int64_t frame = (int64_t)ceil(onset_beats * FRAMES_PER_BEAT - 1e-6);
        int found = 0;
        for (int e = 0; e < recording->count && !found; e++)
            found = event_on(&recording->events[e]) && recording->events[e].frame == frame &&
                    recording->events[e].pitch == record[8] &&
                    recording->events[e].velocity == record[9];
        if (!found && missing++ == 0)
            first_missing = (int)i;
    }
    int ons = note_ons(recording), capture_state = recording->capture_state;
    free(recording);
    CHECK(expected > 16 && prompt_notes == 8,
          "%s: expected over 16 notes stored before beat %g, 8 of them the prompt; read %d and "
          "%d", name, played_beats, expected, prompt_notes);
    CHECK(missing == 0 && ons == expected,
          "%s: expected the %d stored notes played at their frames, pitches and velocities; %d "
          "missing (the first: stored note %d), %d note-ons in all", name, expected, missing,
          first_missing, ons);
    CHECK(capture_state == PNL_CAPTURE_PROMPT_SET,
          "%s: expected the UI told a captured phrase is the prompt, got capture state %d", name,
          capture_state);
}

/* A session saved by state format 1 (the prompt saved twice) loads and
 * plays exactly the notes it stored. The notes expected are read from the
 * file's bytes here, not from the plugin. */
static void test_a_version_1_state_plays_the_notes_it_stored(void)
{
    char *turtle = read_source_file(v1_fixture);
    CHECK(turtle, "the fixture %s is missing", v1_fixture);
    static StoredTimeline timeline;
    int read = read_stored_timeline(turtle, &timeline);
    if (read)
        check_plays_what_it_stored("the format 1 fixture", turtle, &timeline);
    free(turtle);
    CHECK(read, "the fixture's timeline is not notes of format 1 (%ld bytes)", timeline.size);
}

/* The prompt has one home, the timeline: a state saved after restoring the
 * format 1 fixture stores the same timeline, no second copy of the prompt,
 * and plays the same. */
static void test_the_prompt_is_saved_once_in_the_timeline(void)
{
    char *fixture = read_source_file(v1_fixture);
    CHECK(fixture, "the fixture %s is missing", v1_fixture);
    static StoredTimeline stored, resaved_timeline;
    int read = read_stored_timeline(fixture, &stored);
    char message[256] = "";
    PnlLv2Host *host = composing_host(999, 0.5f, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = pnl_lv2host_restore_state(host, fixture);
    free(fixture);
    /* One cycle hands the state to the worker; two bars ahead of beat 0
     * are long composed in it, so nothing is added. */
    Recording *recording = new_recording();
    play(host, 0, BLOCK, recording);
    free(recording);
    char *resaved = pnl_lv2host_save_state(host);
    pnl_lv2host_free(host);
    CHECK(read && status == 0 && resaved, "could not restore and save the fixture (%d, %d)",
          read, status);
    /* Saved again in notes format 3: each note's 16 bytes of format 1,
     * then no model velocity and the piano's part. */
    int resaved_read = read_stored_timeline(resaved, &resaved_timeline);
    int same = resaved_read && read && resaved_timeline.stored == stored.stored &&
               !memcmp(resaved_timeline.bytes + 8, stored.bytes + 8, 8);
    for (uint32_t i = 0; same && i < stored.stored; i++) {
        const uint8_t *was = stored.bytes + 16 + i * stored.record_size;
        const uint8_t *now = resaved_timeline.bytes + 16 + i * resaved_timeline.record_size;
        same = !memcmp(now, was, 16) &&
               (resaved_timeline.record_size == 16 || (now[16] == 0 && now[17] == 0));
    }
    int second_copy = strstr(resaved, "pianola#prompt") != NULL;
    if (same && !second_copy)
        check_plays_what_it_stored("the state saved again", resaved, &resaved_timeline);
    free(resaved);
    CHECK(same, "expected the fixture's timeline saved again note for note (%u notes in %ld "
          "bytes, was %u in %ld)", resaved_timeline.stored, resaved_timeline.size, stored.stored,
          stored.size);
    CHECK(!second_copy, "expected no pianola:prompt beside the timeline");
}

/* An optional argument runs only the tests whose names contain it. */
#define RUN(test) \
    if (!only || strstr(#test, only)) \
    RUN_TEST(test)

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    char message[256] = "";
    if (fixture_make_random_bundle("plugin-test-bundle", random_bundle, sizeof random_bundle,
                                   message, sizeof message) != 0) {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    RUN(test_bundle_passes_lv2_validate);
    RUN(test_midi_in_plays_through_the_piano);
    RUN(test_sixteen_bars_land_exactly_on_the_grid);
    RUN(test_the_bundled_model_plays_sixteen_bars_on_the_grid);
    RUN(test_humanized_notes_stay_within_the_bound);
    RUN(test_transport_stop_ends_every_note_in_that_cycle);
    RUN(test_positions_rounded_to_the_hosts_tick_keep_notes_on_their_frames);
    RUN(test_audio_after_a_locate_does_not_depend_on_the_cycles_before);
    RUN(test_locate_back_replays_the_same_events);
    RUN(test_a_different_seed_gives_different_music);
    RUN(test_state_restored_into_a_new_instance_continues_identically);
    RUN(test_a_version_1_state_plays_the_notes_it_stored);
    RUN(test_the_prompt_is_saved_once_in_the_timeline);
    RUN(test_runs_free_on_the_internal_tempo_without_host_time);
    RUN(test_odd_blocks_and_sample_rates_play_cleanly);
    RUN(test_the_presets_set_the_composer_and_the_steering);
    RUN(test_a_threaded_worker_composes_what_an_export_does);
    RUN(test_an_export_on_a_busy_machine_has_every_note);
    RUN(test_an_export_begun_cold_on_a_busy_machine_has_every_note);
    RUN(test_a_changed_setting_or_reroll_recomposes_only_from_the_playhead);
    RUN(test_a_garbled_state_is_refused_without_harm);
    RUN(test_deactivate_leaves_no_note_hanging);
    CHECK_EXIT();
}
