/* Real-time safety of run(): this program interposes malloc, calloc,
 * realloc, free, pthread_mutex_lock and the file-opening calls (open,
 * open64, fopen, fopen64), forwarding each to the C library through
 * dlsym(RTLD_NEXT) and counting the calls made while the calling thread is
 * inside the plugin's audio thread (run() and the worker responses, which
 * LV2 also delivers there). The plugin is driven hard for the whole run:
 * host transport with stops and locates, block sizes from 1 to 8192 changing
 * every cycle, MIDI in, capture on and off, re-rolls, knob changes, a
 * SoundFont change and a missing SoundFont, with the worker on its own
 * thread as in a live host. Expected: zero calls from inside run(). The
 * same for Pianola (MIDI), which shares the code but for the synth, over
 * fewer cycles: its SoundFont message is refused, and MIDI in passes
 * through to MIDI out. And a transformer's steps (the worker's work), past
 * its window's end, with copies and resets between: no calls at all. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "check.h"
#include "model.h"
#include "plugin_fixture.h"

enum { CALL_MALLOC, CALL_CALLOC, CALL_REALLOC, CALL_FREE, CALL_MUTEX, CALL_OPEN, CALL_KINDS };
static const char *const call_names[CALL_KINDS] = {"malloc", "calloc", "realloc", "free",
                                                  "pthread_mutex_lock", "open"};
static _Atomic long calls_in_run[CALL_KINDS];
static _Thread_local int in_run;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);

/* dlsym() itself may calloc before real_calloc is known: serve that from
 * a small static arena. */
static unsigned char bootstrap_arena[8192];
static size_t bootstrap_used;
static _Thread_local int resolving;

static _Atomic int offender_reported;

/* The first offender's stack goes to stderr, to say who it was. */
static void note_call(int kind)
{
    if (!in_run)
        return;
    atomic_fetch_add(&calls_in_run[kind], 1);
    if (!atomic_exchange(&offender_reported, 1)) {
        in_run = 0;
        void *frames[24];
        int depth = backtrace(frames, 24);
        fprintf(stderr, "%s called inside run():\n", call_names[kind]);
        backtrace_symbols_fd(frames, depth, 2);
        in_run = 1;
    }
}

static void resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = 1;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_open = dlsym(RTLD_NEXT, "open");
    real_open64 = dlsym(RTLD_NEXT, "open64");
    real_fopen = dlsym(RTLD_NEXT, "fopen");
    real_fopen64 = dlsym(RTLD_NEXT, "fopen64");
    resolving = 0;
}

static int from_bootstrap(const void *pointer)
{
    return (const unsigned char *)pointer >= bootstrap_arena &&
           (const unsigned char *)pointer < bootstrap_arena + sizeof bootstrap_arena;
}

void *malloc(size_t size)
{
    resolve();
    note_call(CALL_MALLOC);
    return real_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    if (!real_calloc) {
        resolve();
        if (!real_calloc) {
            size_t bytes = (count * size + 15) & ~(size_t)15;
            if (bootstrap_used + bytes > sizeof bootstrap_arena)
                return NULL;
            void *pointer = bootstrap_arena + bootstrap_used;
            bootstrap_used += bytes;
            return pointer; /* static memory is already zero */
        }
    }
    note_call(CALL_CALLOC);
    return real_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    resolve();
    note_call(CALL_REALLOC);
    return real_realloc(pointer, size);
}

void free(void *pointer)
{
    if (from_bootstrap(pointer))
        return;
    resolve();
    note_call(CALL_FREE);
    real_free(pointer);
}

int pthread_mutex_lock(pthread_mutex_t *mutex)
{
    resolve();
    note_call(CALL_MUTEX);
    return real_mutex_lock(mutex);
}

int open(const char *path, int flags, ...)
{
    resolve();
    note_call(CALL_OPEN);
    va_list args;
    va_start(args, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(args, int) : 0;
    va_end(args);
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    resolve();
    note_call(CALL_OPEN);
    va_list args;
    va_start(args, flags);
    mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(args, int) : 0;
    va_end(args);
    return real_open64(path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    resolve();
    note_call(CALL_OPEN);
    return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    resolve();
    note_call(CALL_OPEN);
    return real_fopen64(path, mode);
}

enum { RATE = 48000 };

/* A reproducible block size between 1 and 8192, odd ones included. */
static uint32_t next_block(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t pick = (uint32_t)(*state >> 33);
    switch (pick % 4) {
    case 0: return 1 + pick % 16;
    case 1: return 1 + pick % 8192;
    case 2: return 64u << (pick % 7);
    default: return 1 + pick % 1024;
    }
}

static long total_calls(void)
{
    long total = 0;
    for (int kind = 0; kind < CALL_KINDS; kind++)
        total += atomic_load(&calls_in_run[kind]);
    return total;
}

/* The instrument under test sees its host run it: the flag covers run()
 * and the worker responses delivered with it. */
static void run_block(PnlLv2Host *host, uint32_t frames, float *left, float *right)
{
    in_run = 1;
    pnl_lv2host_run(host, frames, left, right);
    in_run = 0;
}

static char bundle_dir[1024];

/* Drives the plugin hard for `cycles` cycles (see above), and fails the
 * test if run() made a single call. */
static void drive_plugin(const char *plugin_uri, int cycles)
{
    char message[256] = "";
    for (int kind = 0; kind < CALL_KINDS; kind++)
        atomic_store(&calls_in_run[kind], 0);
    PnlLv2Host *host = fixture_host_of(plugin_uri, bundle_dir, RATE, 8192, PNL_WORKER_THREADED,
                                       message, sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    static float left[8192], right[8192];
    uint64_t random_state = 42;
    double frames_per_beat = RATE * 60.0 / 132.0;
    int64_t position = 0;
    double seconds = 0;
    int midi_sent = 0, notes_out = 0;
    for (int cycle = 0; cycle < cycles; cycle++) {
        uint32_t frames = next_block(&random_state);
        double speed = (cycle / 700) % 5 == 4 ? 0.0 : 1.0; /* stops now and then */
        if (cycle % 1500 == 1499)
            position = 0; /* locate back */
        double beat = position / frames_per_beat;
        int64_t bar = (int64_t)(beat / 3.0);
        pnl_lv2host_queue_position(host, 0, 132.0, 3, 4, bar, beat - 3.0 * bar, speed);
        if (cycle % 37 == 5 && frames > 2) {
            uint8_t pitch = (uint8_t)(48 + cycle % 24);
            pnl_lv2host_queue_midi(host, 1, (const uint8_t[]){0x90, pitch, 90}, 3);
            pnl_lv2host_queue_midi(host, frames - 1, (const uint8_t[]){0x80, pitch, 0}, 3);
            midi_sent++;
        }
        if (cycle == 3000)
            pnl_lv2host_queue_path(host, 0, PIANOLA__soundfont,
                                   "/usr/share/sounds/sf2/FluidR3_GM.sf2");
        if (cycle == 3500)
            pnl_lv2host_queue_path(host, 0, PIANOLA__soundfont,
                                   "/nonexistent/missing.sf2");
        pnl_lv2host_set_control(host, "capture", (cycle / 400) % 4 == 1 ? 1.0f : 0.0f);
        pnl_lv2host_set_control(host, "reroll", cycle % 900 == 450 ? 1.0f : 0.0f);
        pnl_lv2host_set_control(host, "temperature", cycle % 1200 < 600 ? 0.9f : 1.1f);
        pnl_lv2host_set_control(host, "humanize_timing", (float)(cycle % 10) / 9.0f);
        if (cycle == 5000)
            pnl_lv2host_set_control(host, "volume", NAN);
        run_block(host, frames, left, right);
        const PnlHostMidi *midi;
        size_t count = pnl_lv2host_midi(host, &midi);
        for (size_t i = 0; i < count; i++)
            notes_out += PIANOLA_TEST_NOTE_ON(&midi[i]);
        for (uint32_t i = 0; i < frames; i++)
            if (!isfinite(left[i]) || !isfinite(right[i])) {
                pnl_lv2host_free(host);
                CHECK(0, "audio not finite at cycle %d", cycle);
            }
        if (speed > 0)
            position += frames;
        seconds += (double)frames / RATE;
        if (cycle % 200 == 0)
            pnl_lv2host_wait_for_worker(host); /* let the worker keep up, as it would live */
    }
    pnl_lv2host_free(host);
    printf("%s: %.0f s of audio in %d cycles of 1..8192 frames, %d MIDI notes in, %d out; "
           "calls inside run(): malloc %ld, calloc %ld, realloc %ld, free %ld, "
           "pthread_mutex_lock %ld, open %ld\n",
           plugin_uri, seconds, cycles, midi_sent, notes_out,
           atomic_load(&calls_in_run[CALL_MALLOC]),
           atomic_load(&calls_in_run[CALL_CALLOC]), atomic_load(&calls_in_run[CALL_REALLOC]),
           atomic_load(&calls_in_run[CALL_FREE]), atomic_load(&calls_in_run[CALL_MUTEX]),
           atomic_load(&calls_in_run[CALL_OPEN]));
    /* The MIDI plugin passes the notes in through to MIDI out as well. */
    int composed_out = notes_out - (strcmp(plugin_uri, PIANOLA_TEST_MIDI_URI) ? 0 : midi_sent);
    CHECK(composed_out > 50, "expected the plugin to play, %d note-ons of its own",
          composed_out);
    CHECK(total_calls() == 0, "expected no calls from inside run(), got %ld", total_calls());
}

static void test_run_never_allocates_locks_or_opens_files(void)
{
    char message[256] = "";
    CHECK(fixture_make_random_bundle("rt-safety-bundle", bundle_dir, sizeof bundle_dir, message,
                                     sizeof message) == 0, "setup: %s", message);
    drive_plugin(PIANOLA_TEST_URI, 6000);
}

static void test_the_midi_plugins_run_never_allocates_locks_or_opens_files(void)
{
    CHECK(bundle_dir[0], "no bundle: the piano's test sets it up");
    drive_plugin(PIANOLA_TEST_MIDI_URI, 3000);
}

/* The interposer must see calls, or a zero above would prove nothing. */
static void test_the_interposer_counts_calls(void)
{
    long before = total_calls();
    void *(*volatile allocate)(size_t) = malloc;
    void (*volatile release)(void *) = free;
    int reported = atomic_exchange(&offender_reported, 1);
    in_run = 1;
    release(allocate(16));
    in_run = 0;
    atomic_store(&offender_reported, reported);
    long counted = total_calls() - before;
    for (int kind = 0; kind < CALL_KINDS; kind++)
        atomic_store(&calls_in_run[kind], 0);
    CHECK(counted == 2, "expected malloc and free counted, got %ld", counted);
    (void)call_names;
}

/* The key-value cache is allocated with the state: stepping, masking,
 * copying and resetting touch only that memory. */
static void test_transformer_steps_never_allocate(void)
{
    PnlWeights *weights = pnl_weights_new_transformer(pnl_vocab_signature(),
                                                      (uint32_t)pnl_vocab_size(), 2, 32, 4, 2,
                                                      64, 64);
    CHECK(weights, "no weights");
    uint64_t seed = 5;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            if (strcmp(weights->tensors[t].name, "alibi_slopes") != 0)
                weights->tensors[t].data[i] += 0.3f * fixture_gaussian(&seed);
    for (int precision = 0; precision < 2; precision++) {
        PnlModel *model = NULL;
        char message[256];
        int status = pnl_model_new_with_precision(weights, (PnlPrecision)precision, &model,
                                                  message, sizeof message);
        PnlModelState *state = model ? pnl_model_state_new(model) : NULL;
        PnlModelState *copy = model ? pnl_model_state_new(model) : NULL;
        CHECK(status == PNL_OK && state && copy, "no model: %s", message);
        static uint8_t allowed[PNL_VOCAB_SIZE];
        for (int v = 0; v < PNL_VOCAB_SIZE; v++)
            allowed[v] = v % 3 == 0;
        long before = total_calls();
        float sink = 0.0f;
        in_run = 1;
        for (int step = 0; step < 200; step++) {
            int token = (step * 13) % PNL_VOCAB_SIZE;
            sink += pnl_model_step(model, state, token, step % 2)[0];
            sink += pnl_model_step_allowed(model, copy, token, 1, allowed)[3];
            pnl_model_advance(model, copy, token, 0);
            if (step % 50 == 49)
                pnl_model_state_copy(copy, state);
            if (step == 150)
                pnl_model_state_reset(state);
        }
        in_run = 0;
        long counted = total_calls() - before;
        pnl_model_state_free(state);
        pnl_model_state_free(copy);
        pnl_model_free(model);
        CHECK(isfinite(sink), "non-finite logits");
        CHECK(counted == 0, "%s: expected no allocation while stepping, got %ld calls",
              precision ? "int8" : "float32", counted);
    }
    pnl_weights_free(weights);
}

int main(void)
{
    RUN_TEST(test_the_interposer_counts_calls);
    RUN_TEST(test_transformer_steps_never_allocate);
    RUN_TEST(test_run_never_allocates_locks_or_opens_files);
    RUN_TEST(test_the_midi_plugins_run_never_allocates_locks_or_opens_files);
    CHECK_EXIT();
}
