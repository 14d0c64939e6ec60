/* Pianola (MIDI), the bundle's second plugin (plugin/variant.h), driven
 * through lilv beside the piano as a host would: what it is (a MIDI plugin
 * with no audio, no volume and no FluidSynth), that its MIDI out is the
 * piano's frame by frame over a session with humanization, tempo changes,
 * a stop, a locate, re-rolls and changed settings, that a state moves
 * between the two, that the presets apply to it as to the piano, that a bad
 * value on any of its ports is clamped as the piano clamps it, and that
 * MIDI in passes through to MIDI out. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/presets/presets.h>

#include "check.h"
#include "plugin_fixture.h"
#include "../plugin/variant.h"

enum { RATE = 48000, MAX_BLOCK = 8192, MAX_EVENTS = 40000 };

static char random_bundle[1024];

/* A MIDI event on MIDI out: the block it came in, its frame there, its bytes. */
typedef struct {
    int block;
    uint32_t frame;
    uint8_t size, bytes[3];
} Event;

typedef struct {
    Event events[MAX_EVENTS];
    int count;
    int overflow;
} Recording;

static Recording *new_recording(void)
{
    return calloc(1, sizeof(Recording));
}

static void record_block(PnlLv2Host *host, int block, Recording *recording)
{
    const PnlHostMidi *midi;
    size_t count = pnl_lv2host_midi(host, &midi);
    for (size_t i = 0; i < count; i++) {
        if (recording->count == MAX_EVENTS) {
            recording->overflow = 1;
            return;
        }
        Event *event = &recording->events[recording->count++];
        *event = (Event){.block = block, .frame = midi[i].frame, .size = midi[i].size};
        memcpy(event->bytes, midi[i].bytes, midi[i].size);
    }
}

static int is_note_on(const Event *event)
{
    return event->size == 3 && (event->bytes[0] & 0xf0) == 0x90 && event->bytes[2] > 0;
}

static int note_ons(const Recording *recording)
{
    int ons = 0;
    for (int i = 0; i < recording->count; i++)
        ons += is_note_on(&recording->events[i]);
    return ons;
}

/* 1 when both hold the same events at the same blocks and frames; else 0,
 * with the first difference in `why`. */
static int same_midi(const Recording *a, const Recording *b, char *why, size_t size)
{
    for (int i = 0; i < a->count || i < b->count; i++) {
        if (i >= a->count || i >= b->count) {
            snprintf(why, size, "%d events against %d; the first %d agree", a->count, b->count,
                     i);
            return 0;
        }
        const Event *x = &a->events[i], *y = &b->events[i];
        if (x->block != y->block || x->frame != y->frame || x->size != y->size ||
            memcmp(x->bytes, y->bytes, x->size) != 0) {
            snprintf(why, size,
                     "event %d: block %d frame %u %02x %02x %02x against block %d frame %u "
                     "%02x %02x %02x", i, x->block, x->frame, x->bytes[0], x->bytes[1],
                     x->bytes[2], y->block, y->frame, y->bytes[0], y->bytes[1], y->bytes[2]);
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------- a session */

/* What a host does to the plugin over a session, the same for both
 * plugins: block sizes that change every cycle, a host transport that
 * changes tempo, stops, rolls again and locates back, and a person who
 * changes the temperature, re-rolls and picks another composer. */
typedef struct {
    int use_host_time;
    int blocks;
    uint32_t seed;
    float humanize;
    /* A control held at a value every cycle, over what the session sets
     * (its symbol, or NULL for none). */
    const char *held_symbol;
    float held_value;
} Session;

static uint32_t block_frames(int block)
{
    static const uint32_t sizes[] = {512, 333, 1024, 64, 4096, 7, 2048, 900};
    return sizes[block % (int)(sizeof sizes / sizeof sizes[0])];
}

static PnlLv2Host *session_host(const char *uri, const Session *session, char *message,
                                size_t size)
{
    PnlLv2Host *host = fixture_host_of(uri, random_bundle, RATE, MAX_BLOCK, PNL_WORKER_SYNC,
                                       message, size);
    if (!host)
        return NULL;
    pnl_lv2host_set_control(host, "seed", (float)session->seed);
    pnl_lv2host_set_control(host, "humanize_velocity", session->humanize);
    pnl_lv2host_set_control(host, "humanize_timing", session->humanize);
    return host;
}

static void play_session(PnlLv2Host *host, const Session *session, Recording *recording)
{
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    double beat = 0.0, bpm = 120.0;
    for (int block = 0; block < session->blocks; block++) {
        uint32_t frames = block_frames(block);
        /* About 1100 frames a block: 90 blocks are 2 s, a bar at 120 BPM. */
        int stopped = block >= 1200 && block < 1300;
        if (block == 800)
            bpm = 97.0;
        if (block == 1400)
            beat = 16.0; /* locate back to bar 5 */
        if (block == 400)
            pnl_lv2host_set_control(host, "temperature", 1.2f);
        pnl_lv2host_set_control(host, "reroll", block >= 1000 && block < 1004 ? 1.0f : 0.0f);
        if (block == 1600)
            pnl_lv2host_set_control(host, "composer", 3.0f);
        if (session->held_symbol)
            pnl_lv2host_set_control(host, session->held_symbol, session->held_value);
        if (session->use_host_time) {
            int64_t bar = (int64_t)floor(beat / 4.0);
            pnl_lv2host_queue_position(host, 0, bpm, 4, 4, bar, beat - 4.0 * bar,
                                       stopped ? 0.0 : 1.0);
        }
        pnl_lv2host_run(host, frames, left, right);
        record_block(host, block, recording);
        if (!stopped)
            beat += frames * bpm / 60.0 / RATE;
    }
}

/* Plays the session on both plugins; the recordings are the caller's. */
static int play_both(const Session *session, Recording *piano, Recording *midi, char *message,
                     size_t size)
{
    PnlLv2Host *piano_host = session_host(PIANOLA_TEST_URI, session, message, size);
    if (!piano_host)
        return -1;
    play_session(piano_host, session, piano);
    pnl_lv2host_free(piano_host);
    PnlLv2Host *midi_host = session_host(PIANOLA_TEST_MIDI_URI, session, message, size);
    if (!midi_host)
        return -1;
    play_session(midi_host, session, midi);
    pnl_lv2host_free(midi_host);
    return 0;
}

/* ------------------------------------------------------------- tests */

static void test_the_bundle_with_every_plugin_passes_lv2_validate(void)
{
    char bundle[1024], command[2200];
    fixture_built_bundle(bundle, sizeof bundle);
    snprintf(command, sizeof command,
             "lv2_validate %s/*.ttl > lv2_validate_midi.log 2>&1", bundle);
    int status = system(command);
    CHECK(status == 0, "lv2_validate exited with %d (see lv2_validate_midi.log in the build dir)",
          status);
    FILE *log = fopen("lv2_validate_midi.log", "r");
    CHECK(log, "no lv2_validate_midi.log");
    char line[512], problem[512] = "";
    int found_zero = 0;
    while (fgets(line, sizeof line, log)) {
        found_zero |= strstr(line, "Found 0 errors") != NULL;
        if (!problem[0] && (strstr(line, "error:") || strstr(line, "warning:")))
            snprintf(problem, sizeof problem, "%s", line);
    }
    fclose(log);
    CHECK(found_zero, "lv2_validate did not report \"Found 0 errors\"");
    CHECK(!problem[0], "lv2_validate printed: %s", problem);

    /* lv2_validate reads on past Turtle that does not parse (an undefined
     * prefix drops the statements that use it, "Found 0 errors"): every
     * file must also parse cleanly on its own. */
    snprintf(command, sizeof command,
             "for file in %s/*.ttl; do sordi \"$file\" > /dev/null 2>> sordi_midi.log || "
             "echo \"sordi failed on $file\" >> sordi_midi.log; done", bundle);
    remove("sordi_midi.log");
    status = system(command);
    FILE *parsed = fopen("sordi_midi.log", "r");
    line[0] = '\0';
    if (parsed) {
        if (!fgets(line, sizeof line, parsed))
            line[0] = '\0';
        fclose(parsed);
    }
    CHECK(status == 0 && !line[0], "a TTL file of the bundle does not parse: %s", line);
}

/* Through lilv, as a host sees it. */
static void test_it_is_a_midi_plugin_with_no_audio_and_the_tables_ports(void)
{
    LilvWorld *world = lilv_world_new();
    lilv_world_load_all(world);
    LilvNode *uri = lilv_new_uri(world, PIANOLA_MIDI_URI);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
    lilv_node_free(uri);
    char problem[512] = "";
    if (!plugin) {
        snprintf(problem, sizeof problem, "lilv finds no %s on LV2_PATH=%s", PIANOLA_MIDI_URI,
                 check_env("LV2_PATH", "(unset)"));
    } else {
        LilvNode *midi_class = lilv_new_uri(world, LV2_CORE_PREFIX "MIDIPlugin");
        LilvNode *audio = lilv_new_uri(world, LV2_CORE__AudioPort);
        LilvNode *output = lilv_new_uri(world, LV2_CORE__OutputPort);
        LilvNode *midi_event = lilv_new_uri(world, LV2_MIDI__MidiEvent);
        const LilvNode *class_uri = lilv_plugin_class_get_uri(lilv_plugin_get_class(plugin));
        uint32_t ports = lilv_plugin_get_num_ports(plugin);
        if (!lilv_node_equals(class_uri, midi_class))
            snprintf(problem, sizeof problem, "its class is %s, not lv2:MIDIPlugin",
                     lilv_node_as_uri(class_uri));
        else if (lilv_plugin_get_num_ports_of_class(plugin, audio, NULL) != 0)
            snprintf(problem, sizeof problem, "it has audio ports");
        else if ((int)ports != pnl_variant_port_count(PNL_VARIANT_MIDI))
            snprintf(problem, sizeof problem, "expected %d ports, the TTL has %u",
                     pnl_variant_port_count(PNL_VARIANT_MIDI), ports);
        for (int port = 0; !problem[0] && port < PNL_PORT_COUNT; port++) {
            int index = pnl_variant_host_index(PNL_VARIANT_MIDI, port);
            if (index < 0)
                continue;
            const LilvPort *lilv_port = lilv_plugin_get_port_by_index(plugin, (uint32_t)index);
            const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, lilv_port));
            const PnlControlSpec *spec = pnl_control_spec(port);
            if (spec && strcmp(symbol, spec->symbol))
                snprintf(problem, sizeof problem, "port %d: expected '%s', the TTL has '%s'",
                         index, spec->symbol, symbol);
        }
        const LilvPort *notify =
            lilv_plugin_get_port_by_index(plugin, (uint32_t)pnl_variant_host_index(
                                                      PNL_VARIANT_MIDI, PNL_PORT_NOTIFY_OUT));
        if (!problem[0] && !(notify && lilv_port_is_a(plugin, notify, output) &&
                             lilv_port_supports_event(plugin, notify, midi_event)))
            snprintf(problem, sizeof problem, "no MIDI output at the notify port");
        LilvNode *volume = lilv_new_string(world, pnl_control_spec(PNL_PORT_VOLUME)->symbol);
        if (!problem[0] && lilv_plugin_get_port_by_symbol(plugin, volume))
            snprintf(problem, sizeof problem, "it has a volume port");
        lilv_node_free(volume);
        lilv_node_free(midi_class);
        lilv_node_free(audio);
        lilv_node_free(output);
        lilv_node_free(midi_event);
    }
    lilv_world_free(world);
    CHECK(!problem[0], "%s", problem);
}

static void test_its_binary_needs_no_fluidsynth(void)
{
    char bundle[1024], command[1200], line[512];
    fixture_built_bundle(bundle, sizeof bundle);
    /* The piano's binary is the check's control: ldd must see FluidSynth there. */
    const char *binaries[] = {"pianola_midi.so", "pianola.so"};
    int links_fluidsynth[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        snprintf(command, sizeof command, "ldd %s/%s 2>&1", bundle, binaries[i]);
        FILE *ldd = popen(command, "r");
        CHECK(ldd, "cannot run ldd");
        int libraries = 0, with_fluidsynth = 0;
        while (fgets(line, sizeof line, ldd)) {
            libraries += strstr(line, "=>") != NULL;
            with_fluidsynth |= strstr(line, "libfluidsynth") != NULL;
        }
        int status = pclose(ldd);
        CHECK(status == 0 && libraries > 0, "ldd %s failed (%d)", binaries[i], status);
        links_fluidsynth[i] = with_fluidsynth;
    }
    CHECK(links_fluidsynth[1], "ldd did not show pianola.so's FluidSynth: the check would "
                               "prove nothing");
    CHECK(!links_fluidsynth[0], "pianola_midi.so links FluidSynth");
}

static void test_midi_out_equals_the_pianos_frame_by_frame(void)
{
    char message[256] = "", why[256] = "";
    Session session = {.use_host_time = 1, .blocks = 2000, .seed = 7, .humanize = 0.8f};
    Recording *piano = new_recording(), *midi = new_recording();
    int status = play_both(&session, piano, midi, message, sizeof message);
    int same = status == 0 && same_midi(piano, midi, why, sizeof why);
    int ons = note_ons(piano), overflow = piano->overflow || midi->overflow;
    int ons_on_grid = 0, ons_off_grid = 0;
    for (int i = 0; i < piano->count; i++)
        if (is_note_on(&piano->events[i]))
            *(piano->events[i].frame % 64 == 0 ? &ons_on_grid : &ons_off_grid) += 1;
    free(piano);
    free(midi);
    CHECK(status == 0, "no host: %s", message);
    CHECK(!overflow, "more than %d events", MAX_EVENTS);
    CHECK(ons >= 100, "expected a session's music, %d note-ons", ons);
    /* Humanized timing puts most onsets off any block grid. */
    CHECK(ons_off_grid > ons / 2, "expected humanized onsets, %d of %d on a 64-frame grid",
          ons_on_grid, ons);
    CHECK(same, "MIDI out differs from the piano's: %s", why);
    printf("# %d note-ons, the same on both plugins, frame by frame\n", ons);
}

static void test_on_the_internal_tempo_too(void)
{
    char message[256] = "", why[256] = "";
    Session session = {.use_host_time = 0, .blocks = 700, .seed = 12, .humanize = 0.5f};
    Recording *piano = new_recording(), *midi = new_recording();
    int status = play_both(&session, piano, midi, message, sizeof message);
    int same = status == 0 && same_midi(piano, midi, why, sizeof why);
    int ons = note_ons(piano);
    free(piano);
    free(midi);
    CHECK(status == 0, "no host: %s", message);
    CHECK(ons >= 50, "expected music without host time, %d note-ons", ons);
    CHECK(same, "MIDI out differs from the piano's: %s", why);
}

/* A state the piano saved plays on in the MIDI plugin with the notes the
 * piano plays on with, and back. */
static void test_a_state_moves_between_the_plugins(void)
{
    const char *from[] = {PIANOLA_TEST_URI, PIANOLA_TEST_MIDI_URI};
    const char *to[] = {PIANOLA_TEST_MIDI_URI, PIANOLA_TEST_URI};
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    const double frames_per_beat = RATE / 2.0;
    for (int direction = 0; direction < 2; direction++) {
        char message[256] = "", why[256] = "";
        Session session = {.seed = 21, .humanize = 0.7f};
        PnlLv2Host *original = session_host(from[direction], &session, message, sizeof message);
        CHECK(original, "no host: %s", message);
        int64_t frame = 0, bars = (int64_t)(16 * frames_per_beat);
        int block = 0;
        for (; frame < bars; frame += 512, block++) {
            double beat = frame / frames_per_beat;
            int64_t bar = (int64_t)floor(beat / 4.0);
            pnl_lv2host_queue_position(original, 0, 120.0, 4, 4, bar, beat - 4.0 * bar, 1.0);
            pnl_lv2host_run(original, 512, left, right);
        }
        char *state = pnl_lv2host_save_state(original);
        CHECK(state, "saving the state failed");
        PnlLv2Host *restored = session_host(to[direction], &(Session){.seed = 999}, message,
                                            sizeof message);
        CHECK(restored, "no host: %s", message);
        int status = pnl_lv2host_restore_state(restored, state);
        free(state);
        CHECK(status == 0, "restoring failed (%d)", status);
        Recording *continued = new_recording(), *carried = new_recording();
        for (int64_t end = frame + bars; frame < end; frame += 512, block++) {
            double beat = frame / frames_per_beat;
            int64_t bar = (int64_t)floor(beat / 4.0);
            PnlLv2Host *hosts[2] = {original, restored};
            Recording *recordings[2] = {continued, carried};
            for (int i = 0; i < 2; i++) {
                pnl_lv2host_queue_position(hosts[i], 0, 120.0, 4, 4, bar, beat - 4.0 * bar, 1.0);
                pnl_lv2host_run(hosts[i], 512, left, right);
                record_block(hosts[i], block, recordings[i]);
            }
        }
        pnl_lv2host_free(original);
        pnl_lv2host_free(restored);
        /* Note-ons only: the original ends notes it began before the save. */
        Recording *ons[2] = {continued, carried};
        for (int i = 0; i < 2; i++) {
            int kept = 0;
            for (int e = 0; e < ons[i]->count; e++)
                if (is_note_on(&ons[i]->events[e]))
                    ons[i]->events[kept++] = ons[i]->events[e];
            ons[i]->count = kept;
        }
        int same = same_midi(continued, carried, why, sizeof why), count = continued->count;
        free(continued);
        free(carried);
        CHECK(count >= 20, "%s to %s: expected music after the restore, %d note-ons",
              from[direction], to[direction], count);
        CHECK(same, "%s to %s: the restored plugin plays otherwise: %s", from[direction],
              to[direction], why);
    }
}

/* The presets a host lists for a plugin (lilv, as hosts find them), as
 * their URIs' ends after "preset:", sorted, comma-separated. */
static void related_presets(LilvWorld *world, const char *plugin_uri, char *list, size_t size)
{
    list[0] = '\0';
    LilvNode *uri = lilv_new_uri(world, plugin_uri);
    const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
    lilv_node_free(uri);
    if (!plugin)
        return;
    LilvNode *preset_class = lilv_new_uri(world, LV2_PRESETS__Preset);
    LilvNodes *presets = lilv_plugin_get_related(plugin, preset_class);
    char names[16][64];
    int count = 0;
    LILV_FOREACH (nodes, i, presets) {
        const char *name = strstr(lilv_node_as_uri(lilv_nodes_get(presets, i)), "preset:");
        if (name && count < 16)
            snprintf(names[count++], sizeof names[0], "%s", name + strlen("preset:"));
    }
    lilv_nodes_free(presets);
    lilv_node_free(preset_class);
    for (int a = 0; a < count; a++)
        for (int b = a + 1; b < count; b++)
            if (strcmp(names[a], names[b]) > 0) {
                char swap[64];
                memcpy(swap, names[a], sizeof swap);
                memcpy(names[a], names[b], sizeof swap);
                memcpy(names[b], swap, sizeof swap);
            }
    for (int i = 0; i < count; i++)
        snprintf(list + strlen(list), size - strlen(list), "%s%s", i ? "," : "", names[i]);
}

/* The presets set only controls every plugin has: a host lists the same
 * ones for each (Pianola (parts) too), and each gives both the same MIDI
 * out. */
static void test_the_presets_apply_to_it_as_to_the_piano(void)
{
    LilvWorld *world = lilv_world_new();
    lilv_world_load_all(world);
    char piano_presets[512], midi_presets[512], parts_presets[512];
    related_presets(world, PIANOLA_URI, piano_presets, sizeof piano_presets);
    related_presets(world, PIANOLA_MIDI_URI, midi_presets, sizeof midi_presets);
    related_presets(world, PIANOLA_PARTS_URI, parts_presets, sizeof parts_presets);
    lilv_world_free(world);
    CHECK(piano_presets[0] && !strcmp(piano_presets, midi_presets),
          "expected the piano's presets (%s) listed for the MIDI plugin too, got '%s'",
          piano_presets, midi_presets);
    CHECK(!strcmp(piano_presets, parts_presets),
          "expected the piano's presets (%s) listed for Pianola (parts) too, got '%s'",
          piano_presets, parts_presets);
    char list[512], *name = NULL, *rest = NULL;
    snprintf(list, sizeof list, "%s", piano_presets);
    int presets = 0, with_music = 0;
    for (name = strtok_r(list, ",", &rest); name; name = strtok_r(NULL, ",", &rest)) {
        char uri[128], message[256] = "", why[256] = "";
        snprintf(uri, sizeof uri, "urn:pianola:preset:%s", name);
        Session session = {.use_host_time = 1, .blocks = 400, .seed = 3};
        Recording *runs[2] = {new_recording(), new_recording()};
        const char *uris[2] = {PIANOLA_TEST_URI, PIANOLA_TEST_MIDI_URI};
        int status = 0;
        for (int run = 0; run < 2 && status == 0; run++) {
            PnlLv2Host *host = session_host(uris[run], &session, message, sizeof message);
            status = host ? pnl_lv2host_apply_preset(host, uri) : -1;
            if (status == 0)
                play_session(host, &session, runs[run]);
            if (host)
                pnl_lv2host_free(host);
        }
        int same = status == 0 && same_midi(runs[0], runs[1], why, sizeof why);
        with_music += note_ons(runs[0]) > 0;
        free(runs[0]);
        free(runs[1]);
        CHECK(status == 0, "preset %s: %s (status %d)", name, message, status);
        CHECK(same, "preset %s: MIDI out differs from the piano's: %s", name, why);
        presets++;
    }
    CHECK(presets >= 4 && with_music == presets, "expected music from each of the presets, %d "
          "of %d", with_music, presets);
}

/* What a control's value becomes once clamped to the table's range; NaN
 * and the infinities are no number, which reads as the default
 * (plugin/ports.h). */
static float clamped(const PnlControlSpec *spec, float value)
{
    if (!isfinite(value))
        return (float)spec->default_value;
    return value < spec->minimum ? (float)spec->minimum
           : value > spec->maximum ? (float)spec->maximum : value;
}

/* Every control the MIDI plugin has, set to each bad value: its MIDI out
 * is the piano's with the same bad value, and its own with the value
 * clamped by hand. */
static void test_bad_values_on_every_port_are_clamped_as_the_piano_clamps_them(void)
{
    const float bad[] = {NAN, INFINITY, -INFINITY, 1e9f, -1e9f};
    int cases = 0, checked_music = 0;
    for (int port = 0; port < PNL_PORT_COUNT; port++) {
        const PnlControlSpec *spec = pnl_control_spec(port);
        if (!spec || !pnl_variant_has_port(PNL_VARIANT_MIDI, port))
            continue;
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            char message[256] = "", why[256] = "";
            Session session = {.use_host_time = port != PNL_PORT_TEMPO, .blocks = 400,
                               .seed = 5, .humanize = 0.6f, .held_symbol = spec->symbol};
            Recording *runs[3] = {new_recording(), new_recording(), new_recording()};
            const char *uris[3] = {PIANOLA_TEST_URI, PIANOLA_TEST_MIDI_URI,
                                   PIANOLA_TEST_MIDI_URI};
            float values[3] = {bad[b], bad[b], clamped(spec, bad[b])};
            int status = 0;
            for (int run = 0; run < 3 && status == 0; run++) {
                PnlLv2Host *host = session_host(uris[run], &session, message, sizeof message);
                if (!host) {
                    status = -1;
                    break;
                }
                session.held_value = values[run];
                play_session(host, &session, runs[run]);
                pnl_lv2host_free(host);
            }
            int as_piano = status == 0 && same_midi(runs[0], runs[1], why, sizeof why);
            char why_clamped[256] = "";
            int as_clamped =
                status == 0 && same_midi(runs[1], runs[2], why_clamped, sizeof why_clamped);
            checked_music += note_ons(runs[0]) > 0;
            for (int run = 0; run < 3; run++)
                free(runs[run]);
            CHECK(status == 0, "no host: %s", message);
            CHECK(as_piano, "%s = %g: MIDI out differs from the piano's: %s", spec->symbol,
                  bad[b], why);
            CHECK(as_clamped, "%s = %g: MIDI out differs from %s = %g: %s", spec->symbol,
                  bad[b], spec->symbol, values[2], why_clamped);
            cases++;
        }
    }
    CHECK(cases >= 5 * 10, "expected every control checked, %d cases", cases);
    /* Capture or generate held off are silent; the rest play. */
    CHECK(checked_music > cases / 2, "expected music in most cases, %d of %d", checked_music,
          cases);
    printf("# %d bad values on %d controls, each clamped as the piano clamps it\n", cases,
           cases / 5);
}

/* The player hears what they play on the instrument after the plugin, as
 * the piano plays it: MIDI in comes out on MIDI out at its frame, while
 * capturing too; the piano plays it instead, so its MIDI out has none. */
static void test_midi_in_passes_through_to_midi_out(void)
{
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    const uint8_t messages[][3] = {{0x90, 60, 100}, {0xb0, 64, 127}, {0xe0, 0, 80},
                                   {0x80, 60, 0},   {0xb0, 64, 0},   {0x91, 67, 70}};
    const uint32_t frames[] = {3, 40, 41, 300, 301, 511};
    const char *uris[] = {PIANOLA_TEST_MIDI_URI, PIANOLA_TEST_URI};
    for (int plugin = 0; plugin < 2; plugin++) {
        char message[256] = "";
        PnlLv2Host *host = session_host(uris[plugin], &(Session){.seed = 1}, message,
                                        sizeof message);
        CHECK(host, "no host: %s", message);
        pnl_lv2host_set_control(host, "capture", 1.0f);
        int passed = 0, any = 0;
        for (int block = 0; block < 8; block++) {
            double beat = block * 512 / (RATE / 2.0);
            pnl_lv2host_queue_position(host, 0, 120.0, 4, 4, 0, beat, 1.0);
            for (int i = 0; i < 6; i++)
                pnl_lv2host_queue_midi(host, frames[i], messages[i], 3);
            pnl_lv2host_run(host, 512, left, right);
            const PnlHostMidi *midi;
            size_t count = pnl_lv2host_midi(host, &midi);
            any += (int)count;
            for (size_t e = 0; e < count; e++)
                for (int i = 0; i < 6; i++)
                    passed += midi[e].frame == frames[i] && midi[e].size == 3 &&
                              !memcmp(midi[e].bytes, messages[i], 3);
        }
        pnl_lv2host_free(host);
        if (plugin == 0)
            CHECK(passed == 6 * 8 && any == 6 * 8,
                  "expected the %d messages in, passed through at their frames and nothing "
                  "else while capturing; %d of %d events matched", 6 * 8, passed, any);
        else
            CHECK(any == 0, "the piano's MIDI out carried %d events of MIDI in", any);
    }
}

static void test_a_soundfont_sent_to_it_is_refused_with_a_message(void)
{
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    char message[256] = "", text[256] = "", path[256] = "";
    PnlLv2Host *host = session_host(PIANOLA_TEST_MIDI_URI, &(Session){.seed = 1}, message,
                                    sizeof message);
    CHECK(host, "no host: %s", message);
    pnl_lv2host_queue_object(host, 0, PIANOLA__UiOn);
    pnl_lv2host_queue_path(host, 0, PIANOLA__soundfont, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    for (int block = 0; block < 4; block++) {
        pnl_lv2host_run(host, 512, left, right);
        const LV2_Atom_Sequence *sequence = pnl_lv2host_notify(host);
        LV2_ATOM_SEQUENCE_FOREACH (sequence, event)
            fixture_read_ui_event(host, event, text, sizeof text, path, sizeof path);
    }
    pnl_lv2host_free(host);
    CHECK(strstr(text, "no SoundFont"), "expected a message that it plays no SoundFont, got '%s'",
          text);
    CHECK(!path[0], "expected no SoundFont in use, it reports '%s'", path);
}

/* An optional argument runs only the tests whose names contain it. */
#define RUN(test)                                                                                 \
    if (!only || strstr(#test, only))                                                            \
    RUN_TEST(test)

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    char message[256] = "";
    if (fixture_make_random_bundle("midi-plugin-test-bundle", random_bundle,
                                   sizeof random_bundle, message, sizeof message) != 0) {
        printf("FAIL setup: %s\n", message);
        return 1;
    }
    RUN(test_the_bundle_with_every_plugin_passes_lv2_validate);
    RUN(test_it_is_a_midi_plugin_with_no_audio_and_the_tables_ports);
    RUN(test_its_binary_needs_no_fluidsynth);
    RUN(test_midi_out_equals_the_pianos_frame_by_frame);
    RUN(test_on_the_internal_tempo_too);
    RUN(test_a_state_moves_between_the_plugins);
    RUN(test_the_presets_apply_to_it_as_to_the_piano);
    RUN(test_bad_values_on_every_port_are_clamped_as_the_piano_clamps_them);
    RUN(test_midi_in_passes_through_to_midi_out);
    RUN(test_a_soundfont_sent_to_it_is_refused_with_a_message);
    CHECK_EXIT();
}
