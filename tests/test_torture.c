/* Torture runs: the Pianola bundle driven through lilv the way no sane
 * host would, to show it survives what a host, a session or a person can
 * throw at it in any order.
 *
 * Every cycle is a different block size (1 to 8192 frames, odd ones
 * included, from a seeded generator), at sample rates from 22050 to
 * 192000 Hz. The host transport rolls at tempi from 20 to 400 BPM, jumps
 * back and forward, stops (speed 0), runs backwards (negative speed) and
 * sends fields that make no sense; controls are set to NaN, +-infinity
 * and values beyond their ranges; capture is toggled every cycle while
 * MIDI notes (and MIDI that is not notes) come in; the engine restarts
 * now and then. The plugin must never crash, its audio must stay finite,
 * MIDI out must be well formed (frames inside the block and in order),
 * and whenever the transport has stopped, every note-on sent on MIDI out
 * has had its note-off: none is left hanging into a recording.
 *
 * The cycles come in bouts of 20 to 60: in a capture bout capture toggles
 * every cycle, in a playing bout it stays off (unless a hostile value hits
 * it), so the transport also stops while Pianola's own notes sound.
 *
 * The bundle composes: the built bundle with its trained model when there
 * is one, else a copy with a small random model (tests/plugin_fixture.h).
 * Each run prints what it exercised. By hand: `test_torture CYCLES [NAME]`
 * runs longer (or only the tests whose name holds NAME), and
 * PIANOLA_TORTURE_VERBOSE=1 prints every cycle's events and MIDI out. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "plugin_fixture.h"

enum { MAX_BLOCK = 8192 };

static char bundle[1024];
static const char *bundle_kind = "";

/* A seeded generator (splitmix64): the same torture on every run (with a
 * synchronous worker; a threaded one adds its own timing). */
typedef struct {
    uint64_t state;
} Dice;

static uint64_t dice_next(Dice *dice)
{
    uint64_t z = (dice->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t roll(Dice *dice, uint32_t n)
{
    return (uint32_t)(dice_next(dice) % n);
}

static double uniform(Dice *dice, double low, double high)
{
    return low + (high - low) * (double)(dice_next(dice) >> 11) * 0x1.0p-53;
}

/* Mostly small blocks (as live hosts use), some large (as exports do). */
static uint32_t block_size(Dice *dice)
{
    switch (roll(dice, 16)) {
    case 0:
        return 1 + roll(dice, 3);
    case 1:
        return MAX_BLOCK - roll(dice, 2);
    case 2:
    case 3:
    case 4:
    case 5:
        return 1 + roll(dice, 64);
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
        return 65 + roll(dice, 960);
    case 12:
    case 13:
    case 14:
        return 1025 + roll(dice, 3072);
    default:
        return 4097 + roll(dice, MAX_BLOCK - 4096);
    }
}

/* What the torture did, and what it found. */
typedef struct {
    long cycles, frames, restarts, jumps, tempo_changes, stops, stops_with_notes, reverses,
        nonsense_positions, hostile_controls, midi_in, capture_toggles, note_ons, note_offs;
    long min_block, max_block;
    double peak;
    int log_errors;
    char first_error[300];
    char failure[300]; /* the first broken promise; empty while all is well */
} Figures;

/* The host's transport, as it sends it. `speed` is the last finite speed
 * sent: the plugin ignores a speed that is not a number. */
typedef struct {
    double beats, bpm, beats_per_bar, speed;
    int beat_unit;
} HostTransport;

typedef struct {
    PnlLv2Host *host;
    double rate;
    Dice dice;
    HostTransport transport;
    int capture_bout, bout_cycles_left;
    int capture_on;
    uint32_t stop_frame; /* where the transport stopped this cycle; UINT32_MAX: it did not */
    int held[128];     /* MIDI in notes held down */
    int sounding[128]; /* note-ons on MIDI out without their note-off yet */
    Figures *figures;
} Torture;

static void on_log(void *data, const char *level, const char *text)
{
    Figures *figures = data;
    if (!strcmp(level, "error")) {
        if (!figures->log_errors++)
            snprintf(figures->first_error, sizeof figures->first_error, "%s", text);
    }
}

static void fail(Torture *torture, const char *format, double a, double b)
{
    Figures *figures = torture->figures;
    if (figures->failure[0])
        return;
    char what[200];
    snprintf(what, sizeof what, format, a, b);
    snprintf(figures->failure, sizeof figures->failure, "%.0f Hz, cycle %ld: %s", torture->rate,
             figures->cycles, what);
}

/* ------------------------------------------------------------ controls */

static const struct {
    const char *symbol;
    float low, high;
    int recomposes; /* changing it recomposes from the playhead (costly) */
} controls[] = {
    {"composer", 0, 4, 1},          {"temperature", 0, 2, 1},
    {"top_p", 0.05f, 1, 1},         {"seed", 0, 16777215, 1},
    {"reroll", 0, 1, 1},            {"humanize_velocity", 0, 1, 0},
    {"humanize_timing", 0, 1, 0},   {"generate", 0, 1, 0},
    {"tempo", 20, 400, 0},          {"volume", -60, 12, 0},
    {"freewheel", 0, 1, 0},         {"capture", 0, 1, 0},
    {"key", 0, 24, 1},              {"register_lowest", 21, 108, 1},
    {"register_highest", 21, 108, 1}, {"dynamics", 0, 6, 1},
    {"density", 0, 5, 1},
};
enum { CONTROL_COUNT = sizeof controls / sizeof controls[0] };

static float hostile_value(Dice *dice, float low, float high)
{
    switch (roll(dice, 10)) {
    case 0:
        return NAN;
    case 1:
        return INFINITY;
    case 2:
        return -INFINITY;
    case 3:
        return -1e30f;
    case 4:
        return 1e30f;
    case 5:
        return low - 1.0f - (float)roll(dice, 100);
    case 6:
        return high + 1.0f + (float)roll(dice, 100);
    case 7:
        return low;
    case 8:
        return high;
    default:
        return (float)uniform(dice, low, high);
    }
}

/* One control a cycle; those that recompose less often, so a trained
 * model's composing keeps within the test's time. */
static void set_hostile_control(Torture *torture)
{
    int which = (int)roll(&torture->dice, CONTROL_COUNT);
    if (controls[which].recomposes && roll(&torture->dice, 8) != 0)
        return;
    if (!strcmp(controls[which].symbol, "capture") && roll(&torture->dice, 4) != 0)
        return;
    pnl_lv2host_set_control(torture->host, controls[which].symbol,
                            hostile_value(&torture->dice, controls[which].low,
                                          controls[which].high));
    torture->figures->hostile_controls++;
}

/* Reasonable values again, so the torture keeps composing and playing
 * (generate on, audible) between bouts of nonsense. */
static void calm_controls(PnlLv2Host *host)
{
    pnl_lv2host_set_control(host, "generate", 1);
    pnl_lv2host_set_control(host, "volume", 0);
    pnl_lv2host_set_control(host, "freewheel", 0);
    pnl_lv2host_set_control(host, "temperature", 0.9f);
    pnl_lv2host_set_control(host, "top_p", 0.95f);
    pnl_lv2host_set_control(host, "composer", 0);
}

/* ---------------------------------------------------------- the events */

typedef enum {
    EVENT_NOTE_ON,
    EVENT_NOTE_OFF,
    EVENT_OTHER_MIDI,
    EVENT_JUMP,
    EVENT_TEMPO,
    EVENT_STOP,
    EVENT_REVERSE,
    EVENT_START,
    EVENT_NONSENSE_POSITION
} EventKind;

typedef struct {
    uint32_t frame;
    EventKind kind;
} PlannedEvent;

static int by_frame(const void *a, const void *b)
{
    const PlannedEvent *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame ? 1 : (int)x->kind - (int)y->kind;
}

static void send_position(Torture *torture, uint32_t frame)
{
    const HostTransport *transport = &torture->transport;
    int64_t bar = (int64_t)floor(transport->beats / transport->beats_per_bar);
    pnl_lv2host_queue_position(torture->host, frame, transport->bpm, transport->beats_per_bar,
                               transport->beat_unit, bar,
                               transport->beats - (double)bar * transport->beats_per_bar,
                               transport->speed);
}

/* Moves the host's playhead to `frame` of the block from `*at`. */
static void host_advance(Torture *torture, uint32_t *at, uint32_t frame)
{
    HostTransport *transport = &torture->transport;
    if (frame > *at && transport->speed > 0)
        transport->beats += (frame - *at) * transport->speed * transport->bpm / 60.0 /
                            torture->rate;
    *at = frame;
}

static void queue_midi(Torture *torture, uint32_t frame, EventKind kind)
{
    Dice *dice = &torture->dice;
    uint8_t bytes[3];
    uint32_t size = 3;
    if (kind == EVENT_NOTE_ON) {
        int pitch = 21 + (int)roll(dice, 88);
        bytes[0] = (uint8_t)(0x90 | roll(dice, 16));
        bytes[1] = (uint8_t)pitch;
        bytes[2] = (uint8_t)(1 + roll(dice, 127));
        torture->held[pitch] = 1;
    } else if (kind == EVENT_NOTE_OFF) {
        int pitch = 21 + (int)roll(dice, 88);
        for (int p = 0; p < 128; p++)
            if (torture->held[p])
                pitch = p;
        torture->held[pitch] = 0;
        bytes[0] = roll(dice, 2) ? 0x80 : 0x90; /* note-on of velocity 0 is an off too */
        bytes[1] = (uint8_t)pitch;
        bytes[2] = 0;
    } else {
        /* Sustain pedal, all notes off, pitch bend, a lone status byte, a
         * running-status data pair, bytes with their high bit set. */
        static const uint8_t others[][3] = {{0xB0, 64, 127}, {0xB0, 64, 0}, {0xB0, 123, 0},
                                            {0xE0, 0, 64},   {0xF8, 0, 0},  {0x40, 100, 0},
                                            {0x90, 200, 255}};
        static const uint32_t sizes[] = {3, 3, 3, 3, 1, 2, 3};
        int which = (int)roll(dice, 7);
        memcpy(bytes, others[which], 3);
        size = sizes[which];
    }
    pnl_lv2host_queue_midi(torture->host, frame, bytes, size);
    torture->figures->midi_in++;
}

static void queue_transport_event(Torture *torture, uint32_t frame, EventKind kind)
{
    HostTransport *transport = &torture->transport;
    Dice *dice = &torture->dice;
    Figures *figures = torture->figures;
    switch (kind) {
    case EVENT_JUMP: {
        /* Back anywhere, or forward a few bars: a jump far ahead makes the
         * plugin compose every bar in between. */
        double bar = floor(transport->beats / transport->beats_per_bar);
        double to = roll(dice, 2) ? uniform(dice, 0, bar) : bar + uniform(dice, 0, 6);
        transport->beats = floor(to) * transport->beats_per_bar +
                           (roll(dice, 2) ? 0.0 : uniform(dice, 0, transport->beats_per_bar));
        figures->jumps++;
        break;
    }
    case EVENT_TEMPO:
        transport->bpm = roll(dice, 4) ? uniform(dice, 20, 400) : roll(dice, 2) ? 20 : 400;
        if (roll(dice, 3) == 0) {
            static const double meters[] = {2, 3, 4, 5, 7, 12};
            transport->beats_per_bar = meters[roll(dice, 6)];
            transport->beat_unit = roll(dice, 2) ? 4 : 8;
        }
        figures->tempo_changes++;
        break;
    case EVENT_STOP:
        transport->speed = 0.0;
        break;
    case EVENT_REVERSE:
        transport->speed = roll(dice, 2) ? -1.0 : -0.5;
        figures->reverses++;
        break;
    case EVENT_START:
        transport->speed = roll(dice, 4) ? 1.0 : roll(dice, 2) ? 0.5 : 2.0;
        break;
    default: {
        /* A position no host should send: no usable number in it, or
         * numbers far out of range. The speed is always NaN (ignored). */
        static const double bpms[] = {NAN, 0, -120, 1e9, INFINITY};
        static const double bars_per[] = {NAN, 0, -4, 1e6, 64.5};
        static const int units[] = {0, 3, -8, 1000, 4};
        static const int64_t bars[] = {-5, 1000000000, 50000000, INT64_MAX, 0};
        static const double bar_beats[] = {NAN, -3, 1e9, INFINITY, 0.5};
        pnl_lv2host_queue_position(torture->host, frame, bpms[roll(dice, 5)],
                                   bars_per[roll(dice, 5)], units[roll(dice, 5)],
                                   bars[roll(dice, 5)], bar_beats[roll(dice, 5)], NAN);
        figures->nonsense_positions++;
        return;
    }
    }
    send_position(torture, frame);
}

static int sounding_total(const Torture *torture)
{
    int total = 0;
    for (int pitch = 0; pitch < 128; pitch++)
        total += torture->sounding[pitch];
    return total;
}

static EventKind transport_event(Torture *torture)
{
    const HostTransport *transport = &torture->transport;
    Dice *dice = &torture->dice;
    if (!(transport->speed > 0))
        return roll(dice, 4) ? EVENT_START : roll(dice, 2) ? EVENT_JUMP : EVENT_REVERSE;
    /* Stopping while notes sound is what the hanging-note check needs. */
    if (sounding_total(torture) > 0 && roll(dice, 2))
        return roll(dice, 4) ? EVENT_STOP : EVENT_REVERSE;
    switch (roll(dice, 8)) {
    case 0:
    case 1:
        return EVENT_JUMP;
    case 2:
    case 3:
        return EVENT_TEMPO;
    case 4:
    case 5:
        return EVENT_STOP;
    case 6:
        return EVENT_REVERSE;
    default:
        return EVENT_NONSENSE_POSITION;
    }
}

/* ---------------------------------------------------------- one cycle */

/* Follows MIDI out: which notes sound, and how many sounded when the
 * transport stopped. */
static void follow_midi_out(Torture *torture, uint32_t frames, int *sounding_at_stop)
{
    Figures *figures = torture->figures;
    const PnlHostMidi *midi;
    size_t count = pnl_lv2host_midi(torture->host, &midi);
    if (getenv("PIANOLA_TORTURE_VERBOSE")) {
        printf("cycle %ld: %u frames, speed %g, capture %d, MIDI out:", figures->cycles, frames,
               torture->transport.speed, torture->capture_on);
        for (size_t i = 0; i < count; i++)
            printf(" %u:%02x/%d/%d", midi[i].frame, midi[i].bytes[0], midi[i].bytes[1],
                   midi[i].bytes[2]);
        printf("\n");
    }
    uint32_t last_frame = 0;
    *sounding_at_stop = -1;
    for (size_t i = 0; i < count; i++) {
        if (midi[i].frame >= frames || midi[i].frame < last_frame)
            fail(torture, "MIDI out at frame %.0f, after frame %.0f or outside the block",
                 midi[i].frame, last_frame);
        last_frame = midi[i].frame;
        if (*sounding_at_stop < 0 && midi[i].frame >= torture->stop_frame)
            *sounding_at_stop = sounding_total(torture);
        int pitch = midi[i].bytes[1];
        if (midi[i].size != 3 || pitch > 127 || midi[i].bytes[2] > 127) {
            fail(torture, "malformed MIDI out (status byte %.0f, size %.0f)", midi[i].bytes[0],
                 midi[i].size);
            continue;
        }
        if (PIANOLA_TEST_NOTE_ON(&midi[i])) {
            figures->note_ons++;
            torture->sounding[pitch]++;
        } else if (PIANOLA_TEST_NOTE_OFF(&midi[i])) {
            figures->note_offs++;
            if (torture->sounding[pitch] > 0)
                torture->sounding[pitch]--;
        }
    }
    if (*sounding_at_stop < 0 && torture->stop_frame != UINT32_MAX)
        *sounding_at_stop = sounding_total(torture);
}

static void check_output(Torture *torture, uint32_t frames, const float *left,
                         const float *right)
{
    Figures *figures = torture->figures;
    for (uint32_t i = 0; i < frames; i++) {
        if (!isfinite(left[i]) || !isfinite(right[i])) {
            fail(torture, "audio not finite at frame %.0f of %.0f", i, frames);
            break;
        }
        double magnitude = fmax(fabs(left[i]), fabs(right[i]));
        if (magnitude > figures->peak)
            figures->peak = magnitude;
    }
    int sounding_at_stop;
    follow_midi_out(torture, frames, &sounding_at_stop);
    if (torture->stop_frame != UINT32_MAX) {
        figures->stops++;
        figures->stops_with_notes += sounding_at_stop > 0;
    }
    /* Stopped (or running backwards, which Pianola treats as stopped):
     * every note-on has had its note-off. */
    if (!(torture->transport.speed > 0)) {
        int hanging = sounding_total(torture), example = -1;
        for (int pitch = 0; pitch < 128; pitch++)
            if (torture->sounding[pitch])
                example = pitch;
        if (hanging)
            fail(torture, "transport stopped, %.0f notes left hanging (pitch %.0f among them)",
                 hanging, example);
    }
}

static void run_cycle(Torture *torture, float *left, float *right)
{
    Figures *figures = torture->figures;
    Dice *dice = &torture->dice;
    uint32_t frames = block_size(dice);
    if (roll(dice, 97) == 0) {
        pnl_lv2host_restart(torture->host);
        figures->restarts++;
    }

    if (torture->bout_cycles_left-- <= 0) {
        torture->capture_bout = !torture->capture_bout;
        torture->bout_cycles_left = 20 + (int)roll(dice, 41);
    }
    torture->capture_on = torture->capture_bout ? !torture->capture_on : 0;
    pnl_lv2host_set_control(torture->host, "capture", (float)torture->capture_on);
    figures->capture_toggles += torture->capture_bout;
    if (roll(dice, 6) == 0)
        calm_controls(torture->host);
    set_hostile_control(torture);

    PlannedEvent events[8];
    int count = 0;
    int midi_events = (int)roll(dice, 4);
    for (int i = 0; i < midi_events; i++)
        events[count++] = (PlannedEvent){roll(dice, frames),
                                         roll(dice, 3) == 0   ? EVENT_OTHER_MIDI
                                         : roll(dice, 2) == 0 ? EVENT_NOTE_OFF
                                                              : EVENT_NOTE_ON};
    if (roll(dice, sounding_total(torture) > 0 ? 3 : 5) == 0)
        events[count++] = (PlannedEvent){roll(dice, frames), transport_event(torture)};
    qsort(events, (size_t)count, sizeof *events, by_frame);

    /* As Ardour does: where the transport is, at the start of most blocks. */
    if (roll(dice, 8) != 0)
        send_position(torture, 0);
    torture->stop_frame = UINT32_MAX;
    uint32_t at = 0;
    for (int i = 0; i < count; i++) {
        host_advance(torture, &at, events[i].frame);
        if (getenv("PIANOLA_TORTURE_VERBOSE"))
            printf("  event %d at frame %u\n", (int)events[i].kind, events[i].frame);
        int was_rolling = torture->transport.speed > 0;
        if (events[i].kind <= EVENT_OTHER_MIDI)
            queue_midi(torture, events[i].frame, events[i].kind);
        else
            queue_transport_event(torture, events[i].frame, events[i].kind);
        if (was_rolling && !(torture->transport.speed > 0))
            torture->stop_frame = events[i].frame;
    }
    host_advance(torture, &at, frames);

    pnl_lv2host_run(torture->host, frames, left, right);
    check_output(torture, frames, left, right);
    figures->cycles++;
    figures->frames += frames;
    if (frames < figures->min_block)
        figures->min_block = frames;
    if (frames > figures->max_block)
        figures->max_block = frames;
}

/* Runs `cycles` cycles at `rate`; 0 with figures->failure set when a
 * promise broke. */
static int torture_of(const char *plugin_uri, double rate, PnlWorkerMode mode, int cycles,
                      uint64_t seed, Figures *figures, char *message, size_t size)
{
    PnlLv2HostOptions options = {.plugin_uri = plugin_uri,
                                 .bundle_path = bundle,
                                 .sample_rate = rate,
                                 .max_block = MAX_BLOCK,
                                 .worker_mode = mode,
                                 .log = on_log,
                                 .log_data = figures};
    Torture torture = {.rate = rate,
                       .dice = {seed},
                       .transport = {.beats = 0, .bpm = 120, .beats_per_bar = 4, .speed = 1,
                                     .beat_unit = 4},
                       .stop_frame = UINT32_MAX,
                       .figures = figures};
    torture.host = pnl_lv2host_new(&options, message, size);
    if (!torture.host)
        return 0;
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    pnl_lv2host_set_control(torture.host, "seed", (float)(seed % 1000));
    pnl_lv2host_queue_object(torture.host, 0, PIANOLA__UiOn);
    for (int cycle = 0; cycle < cycles && !figures->failure[0]; cycle++) {
        run_cycle(&torture, left, right);
        /* A live host runs in real time, which gives its worker thread
         * time to compose: mostly, not always. */
        if (mode == PNL_WORKER_THREADED && roll(&torture.dice, 4) != 0)
            pnl_lv2host_wait_for_worker(torture.host);
        if (roll(&torture.dice, 150) == 0)
            pnl_lv2host_queue_object(torture.host, 0,
                                     roll(&torture.dice, 2) ? PIANOLA__UiOff
                                                            : PIANOLA__UiOn);
    }
    /* The end of a session: the transport stops, nothing may hang. */
    if (!figures->failure[0]) {
        torture.stop_frame = torture.transport.speed > 0 ? 0 : UINT32_MAX;
        torture.transport.speed = 0;
        send_position(&torture, 0);
        pnl_lv2host_run(torture.host, 256, left, right);
        check_output(&torture, 256, left, right);
    }
    pnl_lv2host_free(torture.host);
    return 1;
}

static int torture_at(double rate, PnlWorkerMode mode, int cycles, uint64_t seed,
                      Figures *figures, char *message, size_t size)
{
    return torture_of(PIANOLA_TEST_URI, rate, mode, cycles, seed, figures, message, size);
}

static double cpu_seconds(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static void add_figures(Figures *total, const Figures *part)
{
    total->cycles += part->cycles, total->frames += part->frames;
    total->stops += part->stops, total->stops_with_notes += part->stops_with_notes;
    total->note_ons += part->note_ons;
}

static void print_figures(const char *what, const Figures *figures, double seconds)
{
    printf("%s: %ld cycles, %ld frames (blocks %ld..%ld), %ld restarts, %ld jumps, "
           "%ld tempo/meter changes, %ld stops (%ld with notes sounding), %ld reverses, "
           "%ld nonsense positions, %ld hostile controls, %ld capture toggles, %ld MIDI in, "
           "%ld note-ons and %ld note-offs out, peak %.3f, %.1f s CPU\n",
           what, figures->cycles, figures->frames, figures->min_block, figures->max_block,
           figures->restarts, figures->jumps, figures->tempo_changes, figures->stops,
           figures->stops_with_notes, figures->reverses, figures->nonsense_positions,
           figures->hostile_controls, figures->capture_toggles, figures->midi_in,
           figures->note_ons, figures->note_offs, figures->peak, seconds);
}

static int cycles_per_rate = 350;

/* One torture run of `plugin_uri` at `rate` (synchronous worker), its
 * figures printed under `label` and its promises checked. */
static void torture_rate(const char *plugin_uri, const char *label, double rate, int cycles,
                         uint64_t seed, Figures *figures)
{
    char message[256] = "", what[128];
    double start = cpu_seconds();
    int ran = torture_of(plugin_uri, rate, PNL_WORKER_SYNC, cycles, seed, figures, message,
                         sizeof message);
    CHECK(ran, "no host at %g Hz: %s", rate, message);
    snprintf(what, sizeof what, "%s, %s%.0f Hz, synchronous worker", bundle_kind, label, rate);
    print_figures(what, figures, cpu_seconds() - start);
    CHECK(!figures->failure[0], "%s", figures->failure);
    CHECK(figures->log_errors == 0, "%g Hz: the plugin logged %d errors, the first: %s", rate,
          figures->log_errors, figures->first_error);
}

static void test_every_rate_survives_varying_blocks_and_hostile_hosts(void)
{
    static const double rates[] = {22050, 44100, 48000, 88200, 96000, 192000};
    Figures total = {0};
    for (int r = 0; r < 6; r++) {
        Figures figures = {.min_block = MAX_BLOCK};
        torture_rate(PIANOLA_TEST_URI, "", rates[r], cycles_per_rate, 1000 + (uint64_t)r,
                     &figures);
        if (check_failed)
            return;
        CHECK(figures.note_ons > 0 && figures.peak > 0.001,
              "%g Hz: expected music through the torture, %ld note-ons, peak %g", rates[r],
              figures.note_ons, figures.peak);
        add_figures(&total, &figures);
    }
    /* Proof the hanging-note check had something to check. */
    CHECK(total.stops_with_notes >= 6,
          "only %ld of %ld stops came with notes sounding: the check of hanging notes was "
          "barely exercised", total.stops_with_notes, total.stops);
}

static void test_a_threaded_worker_survives_the_same(void)
{
    Figures figures = {.min_block = MAX_BLOCK};
    char message[256] = "";
    double start = cpu_seconds();
    int ran = torture_at(48000, PNL_WORKER_THREADED, cycles_per_rate, 77, &figures, message,
                         sizeof message);
    CHECK(ran, "no host: %s", message);
    char what[64];
    snprintf(what, sizeof what, "%s, 48000 Hz, threaded worker", bundle_kind);
    print_figures(what, &figures, cpu_seconds() - start);
    CHECK(!figures.failure[0], "%s", figures.failure);
    CHECK(figures.log_errors == 0, "the plugin logged %d errors, the first: %s",
          figures.log_errors, figures.first_error);
    CHECK(figures.note_ons > 0, "expected music through the torture, %ld note-ons",
          figures.note_ons);
}

/* Pianola (parts): the same DSP with a pair per part (the torture reads
 * the piano's pair, where every ensemble's piano, and solo piano, plays),
 * at a rate FluidSynth runs at and one it is upsampled to. */
static void test_the_parts_plugin_survives_the_same(void)
{
    static const double rates[] = {44100, 192000};
    for (int r = 0; r < 2; r++) {
        Figures figures = {.min_block = MAX_BLOCK};
        torture_rate(PIANOLA_PARTS_URI, "Pianola (parts), ", rates[r], cycles_per_rate / 2,
                     3000 + (uint64_t)r, &figures);
        if (check_failed)
            return;
        CHECK(figures.note_ons > 0, "%g Hz: expected music through the torture, %ld note-ons",
              rates[r], figures.note_ons);
    }
}

int main(int argc, char **argv)
{
    /* Optional arguments: cycles per run (longer runs by hand), and which
     * test to run. */
    if (argc > 1 && atoi(argv[1]) > 0)
        cycles_per_rate = atoi(argv[1]);
    char model[1200], message[256] = "";
    fixture_built_bundle(bundle, sizeof bundle);
    snprintf(model, sizeof model, "%s/models/pianola.pnm", bundle);
    FILE *probe = fopen(model, "rb");
    if (probe) {
        fclose(probe);
        bundle_kind = "bundled model";
    } else if (fixture_make_random_bundle("torture-test-bundle", bundle, sizeof bundle, message,
                                          sizeof message) == 0) {
        bundle_kind = "random model";
    } else {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    const char *only = argc > 2 ? argv[2] : NULL; /* and a part of a test's name */
    if (!only || strstr("test_every_rate_survives_varying_blocks_and_hostile_hosts", only))
        RUN_TEST(test_every_rate_survives_varying_blocks_and_hostile_hosts);
    if (!only || strstr("test_a_threaded_worker_survives_the_same", only))
        RUN_TEST(test_a_threaded_worker_survives_the_same);
    if (!only || strstr("test_the_parts_plugin_survives_the_same", only))
        RUN_TEST(test_the_parts_plugin_survives_the_same);
    CHECK_EXIT();
}
