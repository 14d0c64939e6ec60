/* The composing engine (src/engine.h) is one: pianola-generate composes
 * the notes the plugin plays. The plugin runs in the lilv host with the
 * random-weights bundle (tests/plugin_fixture.h) at humanization 0, its
 * timeline is read from its saved state, and pianola-generate, given the
 * same settings (and the same prompt, re-roll), must write the same notes:
 * onsets, durations, pitches and velocities.
 *
 * Its memory is the timeline's: resuming from a snapshot (a locate, a
 * re-roll, a changed setting), or from nothing but the notes (a restored
 * session), composes what composing straight through does. The same holds
 * with a transformer in the bundle, whose window slides within two bars:
 * the plugin and pianola-generate run whichever network the file holds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine.h"
#include "midifile.h"
#include "plugin_fixture.h"
#include "score.h"
#include "state_encoding.h"
#include "timeline.h"

enum { RATE = 48000, BLOCK = 480, BAR_TICKS = 96, MAX_STORED = 65536 };
static const double BPM = 120.0;
#define FRAMES_PER_BEAT (RATE * 60.0 / BPM)

/* The bundle the tests run: the random LSTM's, or for the transformer's
 * tests (with_transformer) the random transformer's. */
static char random_bundle[1024];
static char lstm_bundle[1024], transformer_bundle[1024];

typedef struct {
    uint32_t seed;
    int composer;        /* a choice index */
    int bars;            /* compared: bars 1..bars */
    int reroll_bar;      /* re-roll so that new music starts at this bar (1 = first), 0 none */
    int prompt;          /* capture a phrase in bars 2..4 first */
    int change_bar;      /* the composer becomes change_composer from this bar, 0 never */
    int change_composer;
    /* The steering controls set, and the same as pianola-generate's
     * options; NULL: the defaults. */
    const struct Steering *steering;
} Case;

typedef struct Steering {
    float key, register_lowest, register_highest, dynamics, density;
    const char *options;
} Steering;

/* A phrase played with capture on from the start: quarter notes from
 * beat 4, each 0.8 beats long; capture ends at beat 15.9, so the music
 * continues from the next grid step, the bar line at beat 16. */
static const int phrase[] = {60, 64, 67, 72, 71, 67, 65, 62, 60, 64, 67, 65};
enum { PHRASE_LENGTH = 12 };
static const double CAPTURE_OFF_BEAT = 15.9;

static PnlLv2Host *case_host(const Case *c, char *message, size_t size)
{
    PnlLv2Host *host = fixture_host(random_bundle, RATE, 8192, PNL_WORKER_SYNC, message, size);
    if (!host)
        return NULL;
    pnl_lv2host_set_control(host, "seed", (float)c->seed);
    pnl_lv2host_set_control(host, "composer", (float)c->composer);
    pnl_lv2host_set_control(host, "humanize_velocity", 0.0f);
    pnl_lv2host_set_control(host, "humanize_timing", 0.0f);
    if (c->steering) {
        pnl_lv2host_set_control(host, "key", c->steering->key);
        pnl_lv2host_set_control(host, "register_lowest", c->steering->register_lowest);
        pnl_lv2host_set_control(host, "register_highest", c->steering->register_highest);
        pnl_lv2host_set_control(host, "dynamics", c->steering->dynamics);
        pnl_lv2host_set_control(host, "density", c->steering->density);
    }
    return host;
}

/* Rolls the transport over [from_beat, to_beat), playing the case's
 * phrase with capture on and pressing re-roll where it says. */
static int roll(PnlLv2Host *host, const Case *c, double from_beat, double to_beat,
                char *message, size_t size)
{
    /* The regeneration point after a re-roll half a beat before a bar
     * line, with nothing humanized, is that bar line. */
    double reroll_beat = c->reroll_bar ? 4.0 * (c->reroll_bar - 1) - 0.5 : -1.0;
    float left[BLOCK], right[BLOCK];
    for (int64_t frame = (int64_t)(from_beat * FRAMES_PER_BEAT);
         frame < to_beat * FRAMES_PER_BEAT; frame += BLOCK) {
        double beat = frame / FRAMES_PER_BEAT;
        int64_t bar = (int64_t)floor(beat / 4.0);
        pnl_lv2host_queue_position(host, 0, BPM, 4, 4, bar, beat - 4.0 * bar, 1.0);
        if (c->prompt) {
            for (int i = 0; i < PHRASE_LENGTH; i++) {
                int64_t on = (int64_t)((4.0 + i) * FRAMES_PER_BEAT) + 37;
                int64_t off = on + (int64_t)(0.8 * FRAMES_PER_BEAT);
                uint8_t note_on[3] = {0x90, (uint8_t)phrase[i], (uint8_t)(60 + 3 * i)};
                uint8_t note_off[3] = {0x80, (uint8_t)phrase[i], 0};
                if (on >= frame && on < frame + BLOCK)
                    pnl_lv2host_queue_midi(host, (uint32_t)(on - frame), note_on, 3);
                if (off >= frame && off < frame + BLOCK)
                    pnl_lv2host_queue_midi(host, (uint32_t)(off - frame), note_off, 3);
            }
            pnl_lv2host_set_control(host, "capture", beat < CAPTURE_OFF_BEAT ? 1.0f : 0.0f);
        }
        int rerolling = reroll_beat >= 0 && beat >= reroll_beat &&
                        beat < reroll_beat + BLOCK / FRAMES_PER_BEAT;
        if (c->change_bar && beat >= 4.0 * (c->change_bar - 1) - 0.5)
            pnl_lv2host_set_control(host, "composer", (float)c->change_composer);
        pnl_lv2host_set_control(host, "reroll", rerolling ? 1.0f : 0.0f);
        if (pnl_lv2host_run(host, BLOCK, left, right) != 0) {
            snprintf(message, size, "the host failed at frame %lld", (long long)frame);
            return -1;
        }
    }
    return 0;
}

/* The timeline of a plugin's saved state (malloc'd). */
static PnlTimelineNote *saved_timeline(PnlLv2Host *host, uint32_t *count, char *message,
                                       size_t size)
{
    char *turtle = pnl_lv2host_save_state(host);
    if (!turtle) {
        snprintf(message, size, "saving the state failed");
        return NULL;
    }
    static uint8_t bytes[16 + 17 * MAX_STORED];
    long length = fixture_turtle_base64_value(turtle, "pianola#timeline>", bytes, sizeof bytes);
    free(turtle);
    int32_t horizon = 0;
    PnlTimelineNote *notes =
        length > 0 ? pnl_state_decode_notes(bytes, (size_t)length, MAX_STORED, count, &horizon,
                                            message, size)
                   : NULL;
    if (length <= 0)
        snprintf(message, size, "the saved state holds no timeline");
    return notes;
}

/* Plays the case on the plugin and returns its saved timeline (malloc'd). */
static PnlTimelineNote *plugin_notes(const Case *c, uint32_t *count, char *message, size_t size)
{
    PnlLv2Host *host = case_host(c, message, size);
    if (!host)
        return NULL;
    PnlTimelineNote *notes = roll(host, c, 0.0, 4.0 * c->bars + 1.0, message, size) == 0
                                 ? saved_timeline(host, count, message, size)
                                 : NULL;
    pnl_lv2host_free(host);
    return notes;
}

/* The prompt notes of a timeline as a MIDI file, for --prompt. */
static int write_prompt(const PnlTimelineNote *notes, uint32_t count, const char *path,
                        char *message, size_t size)
{
    PnlScore score;
    pnl_score_init(&score);
    int status = pnl_score_add_meter(&score, (PnlMeterChange){0, 4, 4});
    for (uint32_t i = 0; i < count && status == PNL_OK; i++)
        if (notes[i].origin == PNL_ORIGIN_PROMPT)
            status = pnl_score_add_note(&score, (PnlNote){notes[i].onset_ticks,
                                                          notes[i].duration_ticks,
                                                          notes[i].pitch, notes[i].velocity, 0, 0});
    if (status == PNL_OK)
        status = pnl_midi_write(path, &score, BPM, message, size);
    pnl_score_free(&score);
    return status;
}

/* Runs pianola-generate for the case and reads its notes back. */
static int generate_notes(const Case *c, const char *prompt_path, PnlScore *score,
                          char *message, size_t size)
{
    char build[1024], command[4096], reroll[64] = "", prompt[1200] = "", output[256];
    const char *built = getenv("PIANOLA_BUILD");
    snprintf(build, sizeof build, "%s", built && *built ? built : "build");
    snprintf(output, sizeof output, "engine-test-%u.mid", c->seed);
    if (c->reroll_bar)
        snprintf(reroll, sizeof reroll, "--reroll %d", c->reroll_bar);
    if (prompt_path)
        snprintf(prompt, sizeof prompt, "--prompt %s", prompt_path);
    int prompt_bars = prompt_path ? 4 : 0;
    snprintf(command, sizeof command,
             "%s/pianola-generate -q --model %s/models/pianola.pnm --composer %s --seed %u "
             "--bars %d --meter 4/4 %s %s %s -o %s",
             build, random_bundle, pnl_engine_composer_name(c->composer), c->seed,
             c->bars - prompt_bars, reroll, prompt, c->steering ? c->steering->options : "",
             output);
    if (system(command) != 0) {
        snprintf(message, size, "pianola-generate failed (%.300s)", command);
        return -1;
    }
    return pnl_midi_read(output, score, NULL, message, size);
}

/* A note's length as a MIDI file holds it: up to the next onset of its
 * pitch, where the file's note-off and note-on meet. */
static int32_t sounding_ticks(const PnlTimelineNote *notes, uint32_t count, uint32_t i,
                              int64_t end)
{
    for (uint32_t j = i + 1; j < count && notes[j].onset_ticks < end; j++)
        if (notes[j].pitch == notes[i].pitch &&
            notes[j].onset_ticks < notes[i].onset_ticks + notes[i].duration_ticks)
            return notes[j].onset_ticks - notes[i].onset_ticks;
    return notes[i].duration_ticks;
}

static void check_case(const Case *c)
{
    char message[512] = "";
    uint32_t count = 0;
    PnlTimelineNote *played = plugin_notes(c, &count, message, sizeof message);
    CHECK(played, "seed %u: the plugin's timeline: %s", c->seed, message);
    const char *prompt_path = c->prompt ? "engine-test-prompt.mid" : NULL;
    if (prompt_path && write_prompt(played, count, prompt_path, message, sizeof message)) {
        free(played);
        CHECK(0, "writing the prompt: %s", message);
    }
    PnlScore generated;
    pnl_score_init(&generated);
    int status = generate_notes(c, prompt_path, &generated, message, sizeof message);
    int64_t end = (int64_t)c->bars * BAR_TICKS;
    uint32_t compared = 0, prompt_notes = 0;
    int differ = -1;
    size_t g = 0;
    for (uint32_t i = 0; status == PNL_OK && i < count && played[i].onset_ticks < end; i++) {
        prompt_notes += played[i].origin == PNL_ORIGIN_PROMPT;
        const PnlNote *note = g < generated.note_count ? &generated.notes[g] : NULL;
        if (!note || note->onset_ticks != played[i].onset_ticks ||
            note->pitch != played[i].pitch || note->velocity != played[i].velocity ||
            note->duration_ticks != sounding_ticks(played, count, i, end)) {
            differ = (int)i;
            break;
        }
        g++;
        compared++;
    }
    if (differ < 0 && status == PNL_OK && g != generated.note_count)
        differ = (int)compared;
    char detail[256] = "";
    if (differ >= 0 && (uint32_t)differ < count && (size_t)differ < generated.note_count)
        snprintf(detail, sizeof detail,
                 "plugin %d@%d (%d ticks, velocity %d), generate %d@%lld (%d ticks, velocity %d)",
                 played[differ].pitch, played[differ].onset_ticks, played[differ].duration_ticks,
                 played[differ].velocity, generated.notes[differ].pitch,
                 (long long)generated.notes[differ].onset_ticks,
                 generated.notes[differ].duration_ticks, generated.notes[differ].velocity);
    free(played);
    size_t generated_count = generated.note_count;
    pnl_score_free(&generated);
    CHECK(status == PNL_OK, "seed %u: pianola-generate: %s", c->seed, message);
    CHECK(differ < 0, "seed %u: note %d differs (%u the same before it; generate wrote %zu): "
          "%s", c->seed, differ, compared, generated_count, detail);
    CHECK(compared > 8 * (uint32_t)c->bars / 2, "seed %u: only %u notes in %d bars", c->seed,
          compared, c->bars);
    CHECK(!c->prompt || prompt_notes == PHRASE_LENGTH,
          "seed %u: expected the %d captured notes among them, found %u", c->seed,
          PHRASE_LENGTH, prompt_notes);
}

static void test_generate_composes_what_the_plugin_plays(void)
{
    static const Case cases[] = {{1, 0, 8, 0, 0, 0, 0, NULL},
                                 {2, 1, 8, 0, 0, 0, 0, NULL},
                                 {77, 3, 8, 0, 0, 0, 0, NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_case(&cases[i]);
        if (check_failed)
            return;
    }
}

static void test_generate_steers_as_the_plugin_does(void)
{
    /* F# minor, C3..C6, ff, very busy; then Bb major, the whole keyboard,
     * pp, sparse after a captured phrase (the fixture's network has the
     * DENSITY tokens, so each bar's is forced). */
    static const Steering loud = {14, 48, 84, 6, 5,
                                  "--key F#m --register-lowest 48 --register-highest 84 "
                                  "--dynamics ff --density very-busy"};
    static const Steering soft = {21, 21, 108, 1, 1, "--key Bb --dynamics pp --density sparse"};
    static const Case cases[] = {{3, 2, 8, 0, 0, 0, 0, &loud}, {9, 0, 10, 0, 1, 0, 0, &soft}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_case(&cases[i]);
        if (check_failed)
            return;
    }
}

static void test_generate_rerolls_as_the_plugin_does(void)
{
    static const Case c = {5, 2, 10, 6, 0, 0, 0, NULL};
    check_case(&c);
}

static void test_generate_continues_a_prompt_as_the_plugin_does(void)
{
    static const Case c = {9, 0, 10, 0, 1, 0, 0, NULL};
    check_case(&c);
}

/* ----------------------------------------------------------- the memory */

enum { MAX_PIECE = 8192 };

typedef struct {
    PnlTimelineNote notes[MAX_PIECE];
    uint32_t count;
} Piece;

/* Notes of a piece before ticks, as a new piece's start. */
static void keep_before(Piece *piece, const Piece *from, int32_t ticks)
{
    piece->count = 0;
    for (uint32_t i = 0; i < from->count && from->notes[i].onset_ticks < ticks; i++)
        piece->notes[piece->count++] = from->notes[i];
}

/* Composes [from, until) stretch by stretch (to each bar line) onto piece. */
static int compose_onto(PnlEngine *engine, const PnlComposeSettings *settings, Piece *piece,
                        int32_t from, int32_t until, char *message, size_t size)
{
    while (from < until) {
        int32_t line = (from / BAR_TICKS + 1) * BAR_TICKS;
        uint32_t count = 0;
        int status = pnl_engine_compose(engine, settings, piece->notes, piece->count, from, line,
                                        piece->notes + piece->count, MAX_PIECE - piece->count,
                                        &count, message, size);
        if (status != PNL_OK)
            return status;
        piece->count += count;
        from = line;
    }
    return PNL_OK;
}

static int same_notes(const Piece *a, const Piece *b, int32_t from, char *why, size_t size)
{
    uint32_t i = 0, j = 0;
    while (i < a->count && a->notes[i].onset_ticks < from)
        i++;
    while (j < b->count && b->notes[j].onset_ticks < from)
        j++;
    int compared = 0;
    for (; i < a->count && j < b->count; i++, j++, compared++) {
        const PnlTimelineNote *x = &a->notes[i], *y = &b->notes[j];
        if (x->onset_ticks != y->onset_ticks || x->pitch != y->pitch ||
            x->velocity != y->velocity || x->duration_ticks != y->duration_ticks) {
            snprintf(why, size, "note %d after tick %d: %d@%d against %d@%d", compared, from,
                     x->pitch, x->onset_ticks, y->pitch, y->onset_ticks);
            return -1;
        }
    }
    if (i != a->count || j != b->count) {
        snprintf(why, size, "%u and %u notes after tick %d", a->count - (i - compared),
                 b->count - (j - compared), from);
        return -1;
    }
    return compared;
}

static PnlEngine *random_engine(char *message, size_t size)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/models/pianola.pnm", random_bundle);
    return pnl_engine_new(path, PNL_PRECISION_INT8, message, size);
}

static void test_resuming_from_a_snapshot_composes_what_straight_through_does(void)
{
    char message[256] = "", why[256] = "";
    static Piece straight, resumed, reloaded;
    PnlComposeSettings settings = {.composer_choice = 1, .temperature = 0.9f, .top_p = 0.95f,
                                   .seed = 21, .bar_ticks = BAR_TICKS, .beat_ticks = 24};
    PnlEngine *engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    straight.count = 0;
    int status = compose_onto(engine, &settings, &straight, 0, 16 * BAR_TICKS, message,
                              sizeof message);
    /* A locate back to bar 9, cutting there: the same engine resumes from
     * its snapshot of that bar line. */
    keep_before(&resumed, &straight, 8 * BAR_TICKS);
    pnl_engine_forget(engine, 8 * BAR_TICKS);
    if (status == PNL_OK)
        status = compose_onto(engine, &settings, &resumed, 8 * BAR_TICKS, 16 * BAR_TICKS,
                              message, sizeof message);
    int resumed_same = same_notes(&straight, &resumed, 8 * BAR_TICKS, why, sizeof why);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(resumed_same > 16, "resumed at bar 9, expected the notes composed straight through: "
          "%s", why);

    /* An engine with no memory (a session reloaded) hears the notes
     * before bar 9 and goes on the same. */
    engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    keep_before(&reloaded, &straight, 8 * BAR_TICKS);
    status = compose_onto(engine, &settings, &reloaded, 8 * BAR_TICKS, 16 * BAR_TICKS, message,
                          sizeof message);
    int reloaded_same = same_notes(&straight, &reloaded, 8 * BAR_TICKS, why, sizeof why);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(reloaded_same > 16, "from the notes alone, expected the notes composed straight "
          "through: %s", why);
}

static void test_memory_after_a_midbar_reroll_is_the_timelines(void)
{
    char message[256] = "", why[256] = "";
    static Piece piece, reloaded;
    PnlComposeSettings settings = {.composer_choice = 0, .temperature = 1.0f, .top_p = 0.9f,
                                   .seed = 8, .bar_ticks = BAR_TICKS, .beat_ticks = 24};
    PnlEngine *engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    piece.count = 0;
    int status = compose_onto(engine, &settings, &piece, 0, 8 * BAR_TICKS, message,
                              sizeof message);
    /* A re-roll on the second beat of bar 4, then a changed temperature
     * from bar 6: cut, and composed on from snapshots. */
    int32_t cuts[2] = {3 * BAR_TICKS + 24, 5 * BAR_TICKS};
    for (int k = 0; k < 2 && status == PNL_OK; k++) {
        Piece *kept = &reloaded;
        keep_before(kept, &piece, cuts[k]);
        piece = *kept;
        if (k == 0)
            settings.variation++;
        else
            settings.temperature = 0.7f;
        pnl_engine_forget(engine, cuts[k]);
        status = compose_onto(engine, &settings, &piece, cuts[k], 8 * BAR_TICKS, message,
                              sizeof message);
    }
    if (status == PNL_OK)
        status = compose_onto(engine, &settings, &piece, 8 * BAR_TICKS, 12 * BAR_TICKS, message,
                              sizeof message);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);

    engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    keep_before(&reloaded, &piece, 8 * BAR_TICKS);
    status = compose_onto(engine, &settings, &reloaded, 8 * BAR_TICKS, 12 * BAR_TICKS, message,
                          sizeof message);
    int same = same_notes(&piece, &reloaded, 8 * BAR_TICKS, why, sizeof why);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(same > 8, "expected bars 9-12 the same from the notes alone: %s", why);
}

/* A new voice (here another composer) hears only the 16 bars
 * before where it starts; a restored session told where that memory began
 * hears from there and goes on as the uninterrupted engine. */
static void test_a_new_voice_hears_from_16_bars_back_also_when_restored(void)
{
    char message[256] = "", why[256] = "";
    static Piece piece, reloaded;
    PnlComposeSettings settings = {.composer_choice = 2, .temperature = 0.9f, .top_p = 0.95f,
                                   .seed = 30, .bar_ticks = BAR_TICKS, .beat_ticks = 24};
    PnlEngine *engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    piece.count = 0;
    int status = compose_onto(engine, &settings, &piece, 0, 24 * BAR_TICKS, message,
                              sizeof message);
    int32_t before = pnl_engine_memory_from(engine);
    keep_before(&reloaded, &piece, 20 * BAR_TICKS);
    piece = reloaded;
    settings.composer_choice = 3;
    pnl_engine_forget(engine, 20 * BAR_TICKS);
    if (status == PNL_OK)
        status = compose_onto(engine, &settings, &piece, 20 * BAR_TICKS, 24 * BAR_TICKS, message,
                              sizeof message);
    int32_t after = pnl_engine_memory_from(engine);
    if (status == PNL_OK)
        status = compose_onto(engine, &settings, &piece, 24 * BAR_TICKS, 28 * BAR_TICKS, message,
                              sizeof message);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(before == 0 && after == 4 * BAR_TICKS,
          "expected the memory from tick 0, then from bar 5 (tick %d) after the new composer "
          "at bar 21; got %d and %d", 4 * BAR_TICKS, before, after);

    engine = random_engine(message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    pnl_engine_restore_memory(engine, &settings, after);
    keep_before(&reloaded, &piece, 24 * BAR_TICKS);
    status = compose_onto(engine, &settings, &reloaded, 24 * BAR_TICKS, 28 * BAR_TICKS, message,
                          sizeof message);
    int same = same_notes(&piece, &reloaded, 24 * BAR_TICKS, why, sizeof why);
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(same > 8, "expected bars 25-28 the same after a restore: %s", why);
}

/* The plugin saved after 8 bars (a phrase captured, a re-roll at bar 7)
 * and restored into a new instance composes bars 9-16 as the instance
 * that went on. */
static void check_restored_continues(const Case *c, int saved_bar)
{
    char message[256] = "", why[256] = "";
    static Piece going_on, restored_piece;
    double saved_beat = 4.0 * saved_bar, end_beat = 4.0 * c->bars + 1.0;
    PnlLv2Host *host = case_host(c, message, sizeof message);
    CHECK(host, "no host: %s", message);
    int status = roll(host, c, 0.0, saved_beat, message, sizeof message);
    char *state = status == 0 ? pnl_lv2host_save_state(host) : NULL;
    if (state)
        status = roll(host, c, saved_beat, end_beat, message, sizeof message);
    uint32_t count = 0;
    PnlTimelineNote *notes = state && status == 0 ? saved_timeline(host, &count, message,
                                                                    sizeof message)
                                                  : NULL;
    pnl_lv2host_free(host);
    CHECK(notes, "the uninterrupted instance: %s", message);
    going_on.count = 0;
    for (uint32_t i = 0;
         i < count && i < MAX_PIECE && notes[i].onset_ticks < c->bars * BAR_TICKS; i++)
        going_on.notes[going_on.count++] = notes[i];
    free(notes);

    const char *memory = strstr(state, "pianola#memoryFrom>");
    memory = memory ? strpbrk(memory, "0123456789") : NULL; /* > "384"^^xsd:int */
    int memory_from = memory ? atoi(memory) : -1;
    int expected_from = c->change_bar ? (c->change_bar - 1 - 16) * BAR_TICKS : 0;
    if (memory_from != expected_from)
        free(state);
    CHECK(memory_from == expected_from,
          "expected pianola:memoryFrom %d in the state, read %d", expected_from, memory_from);
    /* The host restores the controls with the state. */
    host = case_host(&(Case){999, 0, c->bars, 0, 0, 0, 0, NULL}, message, sizeof message);
    CHECK(host, "no host: %s", message);
    status = pnl_lv2host_restore_state(host, state);
    free(state);
    if (status == 0)
        status = roll(host, &(Case){c->seed, 0, c->bars, 0, 0, 0, 0, NULL}, saved_beat, end_beat,
                      message, sizeof message);
    notes = status == 0 ? saved_timeline(host, &count, message, sizeof message) : NULL;
    pnl_lv2host_free(host);
    CHECK(notes, "the restored instance: %s", message);
    restored_piece.count = 0;
    for (uint32_t i = 0;
         i < count && i < MAX_PIECE && notes[i].onset_ticks < c->bars * BAR_TICKS; i++)
        restored_piece.notes[restored_piece.count++] = notes[i];
    free(notes);
    int same = same_notes(&going_on, &restored_piece, 0, why, sizeof why);
    CHECK(same > 4 * c->bars, "expected the restored instance's %d bars note for note: %s",
          c->bars, why);
}

static void test_a_restored_state_continues_as_the_uninterrupted_one(void)
{
    static const Case c = {13, 1, 16, 7, 1, 0, 0, NULL};
    check_restored_continues(&c, 8);
}

/* The composer changed at bar 21, so the memory begins at bar 5: the
 * saved state says so, and the restored instance composes on as the
 * uninterrupted one. */
static void test_a_restored_state_hears_from_where_its_memory_began(void)
{
    static const Case c = {17, 0, 28, 0, 0, 21, 3, NULL};
    check_restored_continues(&c, 24);
}

/* A transformer whose state is megabytes (a window of 8,192 tokens: 8.4 MB)
 * keeps only as many snapshots as the engine's budget holds (8, the older
 * thinned as it goes), and resuming from those, after 40 bars, at bar 31
 * and again at bar 9, still composes what straight through does. */
static void test_a_large_transformer_resumes_from_its_few_snapshots(void)
{
    static const char *const names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};
    char message[256] = "", why[256] = "";
    const char *path = "engine-large-transformer.pnm";
    PnlWeights *weights = pnl_weights_new_transformer(
        pnl_vocab_signature(), (uint32_t)pnl_vocab_size(), PNL_COMPOSER_CHOICE_COUNT, 64, 4, 2,
        8192, 128);
    CHECK(weights, "no weights");
    for (int i = 0; i < PNL_COMPOSER_CHOICE_COUNT; i++)
        snprintf(weights->composer_names[i], sizeof weights->composer_names[i], "%s", names[i]);
    uint64_t seed = 0x1a29e;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        if (strcmp(weights->tensors[t].name, "alibi_slopes") != 0)
            for (size_t i = 0; i < weights->tensors[t].count; i++)
                weights->tensors[t].data[i] += 0.4f * fixture_gaussian(&seed);
    int status = pnl_weights_save(weights, path, message, sizeof message);
    pnl_weights_free(weights);
    CHECK(status == PNL_OK, "%s", message);

    static Piece straight, resumed;
    PnlComposeSettings settings = {.composer_choice = 0, .temperature = 0.9f, .top_p = 0.95f,
                                   .seed = 44, .bar_ticks = BAR_TICKS, .beat_ticks = 24};
    PnlEngine *engine = pnl_engine_new(path, PNL_PRECISION_INT8, message, sizeof message);
    CHECK(engine, "no engine: %s", message);
    straight.count = 0;
    status = compose_onto(engine, &settings, &straight, 0, 40 * BAR_TICKS, message,
                          sizeof message);
    int same[2] = {0, 0};
    const int32_t cuts[2] = {30 * BAR_TICKS, 8 * BAR_TICKS};
    for (int k = 0; k < 2 && status == PNL_OK; k++) {
        keep_before(&resumed, &straight, cuts[k]);
        pnl_engine_forget(engine, cuts[k]);
        status = compose_onto(engine, &settings, &resumed, cuts[k], 40 * BAR_TICKS, message,
                              sizeof message);
        same[k] = same_notes(&straight, &resumed, cuts[k], why, sizeof why);
        if (same[k] <= 0)
            break;
    }
    pnl_engine_free(engine);
    CHECK(status == PNL_OK, "composing failed: %s", message);
    CHECK(same[0] > 20 && same[1] > 60,
          "resumed at bar 31 (%d notes alike) and bar 9 (%d), expected the notes composed "
          "straight through: %s", same[0], same[1], why);
}

/* Runs a test on the transformer's bundle. */
static void with_transformer(void (*test)(void))
{
    snprintf(random_bundle, sizeof random_bundle, "%s", transformer_bundle);
    test();
    snprintf(random_bundle, sizeof random_bundle, "%s", lstm_bundle);
}

static void test_a_transformer_composes_in_generate_what_the_plugin_plays(void)
{
    with_transformer(test_generate_composes_what_the_plugin_plays);
}

static void test_a_transformer_continues_a_prompt_as_the_plugin_does(void)
{
    with_transformer(test_generate_continues_a_prompt_as_the_plugin_does);
}

static void test_a_transformer_resumes_from_a_snapshot_as_straight_through(void)
{
    with_transformer(test_resuming_from_a_snapshot_composes_what_straight_through_does);
}

static void test_a_transformer_remembers_the_timeline_after_a_midbar_reroll(void)
{
    with_transformer(test_memory_after_a_midbar_reroll_is_the_timelines);
}

static void test_a_restored_transformer_continues_as_the_uninterrupted_one(void)
{
    with_transformer(test_a_restored_state_continues_as_the_uninterrupted_one);
}

int main(void)
{
    char message[256] = "";
    if (fixture_make_random_bundle("engine-test-bundle", lstm_bundle, sizeof lstm_bundle,
                                   message, sizeof message) != 0 ||
        fixture_make_random_bundle_of("engine-test-transformer-bundle", PNL_ARCH_TRANSFORMER,
                                      transformer_bundle, sizeof transformer_bundle, message,
                                      sizeof message) != 0) {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    snprintf(random_bundle, sizeof random_bundle, "%s", lstm_bundle);
    RUN_TEST(test_generate_composes_what_the_plugin_plays);
    RUN_TEST(test_generate_steers_as_the_plugin_does);
    RUN_TEST(test_generate_rerolls_as_the_plugin_does);
    RUN_TEST(test_generate_continues_a_prompt_as_the_plugin_does);
    RUN_TEST(test_resuming_from_a_snapshot_composes_what_straight_through_does);
    RUN_TEST(test_memory_after_a_midbar_reroll_is_the_timelines);
    RUN_TEST(test_a_new_voice_hears_from_16_bars_back_also_when_restored);
    RUN_TEST(test_a_restored_state_continues_as_the_uninterrupted_one);
    RUN_TEST(test_a_restored_state_hears_from_where_its_memory_began);
    RUN_TEST(test_a_transformer_composes_in_generate_what_the_plugin_plays);
    RUN_TEST(test_a_transformer_continues_a_prompt_as_the_plugin_does);
    RUN_TEST(test_a_transformer_resumes_from_a_snapshot_as_straight_through);
    RUN_TEST(test_a_transformer_remembers_the_timeline_after_a_midbar_reroll);
    RUN_TEST(test_a_restored_transformer_continues_as_the_uninterrupted_one);
    RUN_TEST(test_a_large_transformer_resumes_from_its_few_snapshots);
    CHECK_EXIT();
}
