/* Pianola (parts), the piano plugin with a stereo output per part
 * (plugin/variant.h), driven through lilv beside the piano as a host would,
 * with the bundled networks: every ensemble's parts each sound on their own
 * pair and nowhere else, the pairs sum to the piano plugin's one output
 * sample for sample (up to float rounding) through tempo changes, a stop, a
 * locate, a re-roll and a volume change, the MIDI out is the piano's, solo
 * piano is the piano's output on the piano pair, the 192 kHz path holds
 * the same, and a key played on MIDI in sounds on the pair of the part it
 * plays. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_fixture.h"
#include "../plugin/variant.h"

enum { MAX_BLOCK = 4096, PAIRS = PNL_PART_COUNT };
enum { SOLO_PIANO = 0, VIOLIN_PIANO = 1, CELLO_PIANO = 2, STRING_QUARTET = 3, MELODY_PIANO = 4 };

static const char *const pair_symbols[2 * PAIRS] = {
#define PART_AUDIO_SYMBOL(id, index, symbol, part, side) symbol,
    PNL_PART_AUDIO_PORTS(PART_AUDIO_SYMBOL)
#undef PART_AUDIO_SYMBOL
};

/* What the two plugins played: the piano's mix, the parts' pairs and each
 * plugin's MIDI out, counted. */
typedef struct {
    double mix_energy, pair_energy[2 * PAIRS];
    double worst_difference; /* |mix - sum of the pairs|, the largest */
    double peak;             /* the mix's largest |sample| */
    long frames;
    int midi_differs, piano_events, parts_events;
} Comparison;

static uint32_t block_frames(int block)
{
    static const uint32_t sizes[] = {512, 333, 1024, 64, 4096, 7, 2048, 900};
    return sizes[block % (int)(sizeof sizes / sizeof sizes[0])];
}

static PnlLv2Host *host_for(const char *uri, double rate, int ensemble, uint32_t seed,
                            char *message, size_t size)
{
    char bundle[1024];
    PnlLv2Host *host = fixture_host_of(uri, fixture_built_bundle(bundle, sizeof bundle), rate,
                                       MAX_BLOCK, PNL_WORKER_SYNC, message, size);
    if (!host)
        return NULL;
    pnl_lv2host_set_control(host, "ensemble", (float)ensemble);
    pnl_lv2host_set_control(host, "seed", (float)seed);
    pnl_lv2host_set_control(host, "composer", 0.0f);
    return host;
}

/* The host's part of a cycle, the same for both plugins: host time at
 * 120 BPM, then 97; a stop, a locate back, a re-roll and the volume down. */
static void host_cycle(PnlLv2Host *host, int block, double *beat, double rate)
{
    int stopped = block >= 330 && block < 350;
    double bpm = block >= 200 ? 97.0 : 120.0;
    if (block == 380)
        *beat = 8.0;
    pnl_lv2host_set_control(host, "reroll", block >= 260 && block < 263 ? 1.0f : 0.0f);
    pnl_lv2host_set_control(host, "volume", block >= 300 ? -7.5f : 0.0f);
    int64_t bar = (int64_t)floor(*beat / 4.0);
    pnl_lv2host_queue_position(host, 0, bpm, 4, 4, bar, *beat - 4.0 * bar, stopped ? 0.0 : 1.0);
    if (!stopped)
        *beat += block_frames(block) * bpm / 60.0 / rate;
}

/* Plays `blocks` cycles of the same session on the piano and the parts
 * plugin side by side, cycle by cycle, and compares them. */
static int compare(int ensemble, uint32_t seed, double rate, int blocks, Comparison *out,
                   char *message, size_t size)
{
    *out = (Comparison){0};
    PnlLv2Host *piano = host_for(PIANOLA_URI, rate, ensemble, seed, message, size);
    PnlLv2Host *parts = piano ? host_for(PIANOLA_PARTS_URI, rate, ensemble, seed, message, size)
                              : NULL;
    if (!piano || !parts) {
        pnl_lv2host_free(piano);
        return -1;
    }
    static float left[MAX_BLOCK], right[MAX_BLOCK];
    double piano_beat = 0.0, parts_beat = 0.0;
    for (int block = 0; block < blocks; block++) {
        uint32_t frames = block_frames(block);
        host_cycle(piano, block, &piano_beat, rate);
        host_cycle(parts, block, &parts_beat, rate);
        pnl_lv2host_run(piano, frames, left, right);
        pnl_lv2host_run(parts, frames, NULL, NULL);
        const float *pair[2 * PAIRS];
        for (int output = 0; output < 2 * PAIRS; output++)
            if (!(pair[output] = pnl_lv2host_audio(parts, pair_symbols[output]))) {
                snprintf(message, size, "Pianola (parts) has no output '%s'",
                         pair_symbols[output]);
                pnl_lv2host_free(piano);
                pnl_lv2host_free(parts);
                return -1;
            }
        for (uint32_t frame = 0; frame < frames; frame++) {
            const float mix[2] = {left[frame], right[frame]};
            for (int side = 0; side < 2; side++) {
                double sum = 0.0;
                for (int part = 0; part < PAIRS; part++) {
                    float sample = pair[2 * part + side][frame];
                    sum += sample;
                    out->pair_energy[2 * part + side] += (double)sample * sample;
                }
                double difference = fabs(sum - mix[side]);
                if (difference > out->worst_difference)
                    out->worst_difference = difference;
                if (fabs(mix[side]) > out->peak)
                    out->peak = fabs(mix[side]);
                out->mix_energy += (double)mix[side] * mix[side];
            }
        }
        out->frames += frames;
        const PnlHostMidi *piano_midi, *parts_midi;
        size_t piano_count = pnl_lv2host_midi(piano, &piano_midi);
        size_t parts_count = pnl_lv2host_midi(parts, &parts_midi);
        out->piano_events += (int)piano_count;
        out->parts_events += (int)parts_count;
        if (piano_count != parts_count ||
            (piano_count && memcmp(piano_midi, parts_midi, piano_count * sizeof *piano_midi)))
            out->midi_differs = 1;
    }
    pnl_lv2host_free(piano);
    pnl_lv2host_free(parts);
    return 0;
}

static double pair_rms(const Comparison *comparison, int part)
{
    return sqrt((comparison->pair_energy[2 * part] + comparison->pair_energy[2 * part + 1]) /
                (2.0 * (double)comparison->frames));
}

/* Every ensemble: its parts' pairs sound, the others are silent, and the
 * pairs sum to the piano's output. About 12 s a session. */
static void test_each_part_sounds_on_its_pair_and_they_sum_to_the_mix(void)
{
    for (int ensemble = 0; ensemble < pnl_ensemble_count(); ensemble++) {
        const PnlEnsemble *which = pnl_ensemble(ensemble);
        PnlPartSet parts = which->parts ? which->parts : PNL_PART_BIT(PNL_PART_PIANO);
        char message[1024] = "";
        Comparison result;
        CHECK(compare(ensemble, 5, 48000.0, 520, &result, message, sizeof message) == 0,
              "%s: %s", which->name, message);
        double mix_rms = sqrt(result.mix_energy / (2.0 * (double)result.frames));
        printf("# %-15s mix rms %.4f, worst |mix - sum of pairs| %.2g (peak %.3f);", which->name,
               mix_rms, result.worst_difference, result.peak);
        for (int part = 0; part < PAIRS; part++)
            printf(" %s %.4f", pnl_part_role(part)->name, pair_rms(&result, part));
        printf("\n");
        CHECK(result.piano_events > 40, "%s: %d MIDI events, expected a session's music",
              which->name, result.piano_events);
        CHECK(!result.midi_differs, "%s: MIDI out differs from the piano's (%d events against "
              "%d)", which->name, result.parts_events, result.piano_events);
        CHECK(result.worst_difference <= 1e-5 * (result.peak > 1.0 ? result.peak : 1.0),
              "%s: the pairs sum to the mix only within %g", which->name,
              result.worst_difference);
        for (int part = 0; part < PAIRS; part++) {
            int plays = (parts & PNL_PART_BIT(part)) != 0;
            double rms = pair_rms(&result, part);
            CHECK(plays ? rms > 1e-3 : rms == 0.0, "%s: the %s pair has rms %g, expected %s",
                  which->name, pnl_part_role(part)->label, rms, plays ? "its part" : "silence");
        }
    }
}

/* Above FluidSynth's 96 kHz the synth runs at half the rate and each pair
 * is upsampled as the mix is. */
static void test_at_192_khz_the_pairs_still_sum_to_the_mix(void)
{
    char message[1024] = "";
    Comparison result;
    CHECK(compare(VIOLIN_PIANO, 9, 192000.0, 300, &result, message, sizeof message) == 0, "%s",
          message);
    printf("# violin_piano at 192 kHz: worst |mix - sum of pairs| %.2g (peak %.3f), piano %.4f, "
           "violin %.4f\n", result.worst_difference, result.peak,
           pair_rms(&result, PNL_PART_PIANO), pair_rms(&result, PNL_PART_VIOLIN_1));
    CHECK(result.worst_difference <= 1e-5, "the pairs sum to the mix only within %g",
          result.worst_difference);
    CHECK(pair_rms(&result, PNL_PART_PIANO) > 1e-3 && pair_rms(&result, PNL_PART_VIOLIN_1) > 1e-3,
          "expected the piano and the violin to sound");
    CHECK(!result.midi_differs, "MIDI out differs from the piano's");
}

/* A key held on MIDI in, nothing composed: heard on the pair of the part a
 * captured phrase would become, silent on the others. */
static void test_a_key_played_sounds_on_its_parts_pair(void)
{
    static const struct {
        int ensemble, prompt_part, part;
    } cases[] = {{SOLO_PIANO, 0, PNL_PART_PIANO},
                 {VIOLIN_PIANO, 1, PNL_PART_VIOLIN_1},
                 {CELLO_PIANO, 1, PNL_PART_CELLO},
                 {MELODY_PIANO, 1, PNL_PART_MELODY},
                 {VIOLIN_PIANO, 0, PNL_PART_PIANO}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char message[1024] = "";
        PnlLv2Host *host = host_for(PIANOLA_PARTS_URI, 48000.0, cases[i].ensemble, 1, message,
                                    sizeof message);
        CHECK(host, "no host: %s", message);
        pnl_lv2host_set_control(host, "generate", 0.0f);
        pnl_lv2host_set_control(host, "prompt_part", (float)cases[i].prompt_part);
        double energy[PAIRS] = {0};
        for (int block = 0; block < 100; block++) {
            if (block == 0)
                pnl_lv2host_queue_midi(host, 0, (const uint8_t[]){0x90, 62, 100}, 3);
            pnl_lv2host_run(host, 480, NULL, NULL);
            for (int part = 0; part < PAIRS; part++)
                for (int side = 0; side < 2; side++) {
                    const float *pair = pnl_lv2host_audio(host, pair_symbols[2 * part + side]);
                    for (int frame = 0; frame < 480; frame++)
                        energy[part] += (double)pair[frame] * pair[frame];
                }
        }
        pnl_lv2host_free(host);
        for (int part = 0; part < PAIRS; part++)
            CHECK(part == cases[i].part ? energy[part] > 1.0 : energy[part] == 0.0,
                  "case %zu: the %s pair holds energy %g", i, pnl_part_role(part)->label,
                  energy[part]);
        printf("# %s, a key played: on the %s pair (energy %.1f) alone\n",
               pnl_ensemble(cases[i].ensemble)->name, pnl_part_role(cases[i].part)->label,
               energy[cases[i].part]);
    }
}

int main(void)
{
    RUN_TEST(test_each_part_sounds_on_its_pair_and_they_sum_to_the_mix);
    RUN_TEST(test_at_192_khz_the_pairs_still_sum_to_the_mix);
    RUN_TEST(test_a_key_played_sounds_on_its_parts_pair);
    CHECK_EXIT();
}
