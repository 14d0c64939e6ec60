/* The keyboard on MIDI in plays the instrument of the part a captured
 * phrase would become (the Ensemble and Capture plays controls): a player
 * playing the first violin's phrase hears a violin, one playing the piano's
 * hears the piano; a key's note-off ends the note where its note-on
 * started it, whatever is chosen in between. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_fixture.h"

enum { RATE = 48000, BLOCK = 480, PITCH = 67 };
enum { SOLO_PIANO = 0, VIOLIN_PIANO = 1, CELLO_PIANO = 2, STRING_QUARTET = 3 };
enum { PLAYS_PIANO = 0, PLAYS_TOP = 1 };

typedef struct {
    float *left, *right;
    int frames;
} Take;

static void take_free(Take *take)
{
    free(take->left);
    free(take->right);
}

/* Root mean square of both channels over [from, to) seconds. */
static double rms(const Take *take, double from, double to)
{
    int first = (int)(from * RATE), last = (int)(to * RATE);
    double sum = 0;
    for (int i = first; i < last && i < take->frames; i++)
        sum += take->left[i] * take->left[i] + take->right[i] * take->right[i];
    return sqrt(sum / (2.0 * (last - first)));
}

static double difference(const Take *a, const Take *b)
{
    double sum = 0;
    for (int i = 0; i < a->frames && i < b->frames; i++)
        sum += fabs(a->left[i] - b->left[i]) + fabs(a->right[i] - b->right[i]);
    return sum;
}

/* G4 held for `hold` seconds, then released, in a fresh instance (nothing
 * composed) with the ensemble and prompt part given; `switch_to` >= 0
 * changes the ensemble to it while the key is held. Records 3.5 s. */
static void play_key(Take *out, int ensemble, int prompt_part, double hold, int switch_to)
{
    char bundle[1024], message[1024];
    PnlLv2HostOptions options = {.plugin_uri = PIANOLA_TEST_URI,
                                 .bundle_path = fixture_built_bundle(bundle, sizeof bundle),
                                 .sample_rate = RATE, .max_block = BLOCK,
                                 .worker_mode = PNL_WORKER_SYNC};
    Take take = {calloc(RATE * 4, sizeof(float)), calloc(RATE * 4, sizeof(float)), 0};
    *out = take;
    PnlLv2Host *host = pnl_lv2host_new(&options, message, sizeof message);
    CHECK(host && take.left && take.right, "no host: %s", message);
    pnl_lv2host_set_control(host, "generate", 0);
    pnl_lv2host_set_control(host, "ensemble", (float)ensemble);
    pnl_lv2host_set_control(host, "prompt_part", (float)prompt_part);
    int release_block = (int)(hold * RATE / BLOCK);
    for (int block = 0; (block + 1) * BLOCK <= (int)(3.5 * RATE); block++) {
        if (block == 0)
            pnl_lv2host_queue_midi(host, 0, (const uint8_t[]){0x90, PITCH, 100}, 3);
        if (block == release_block / 2 && switch_to >= 0)
            pnl_lv2host_set_control(host, "ensemble", (float)switch_to);
        if (block == release_block)
            pnl_lv2host_queue_midi(host, 0, (const uint8_t[]){0x80, PITCH, 0}, 3);
        pnl_lv2host_run(host, BLOCK, take.left + take.frames, take.right + take.frames);
        take.frames += BLOCK;
    }
    pnl_lv2host_free(host);
    *out = take;
}

static void test_the_keyboard_sounds_the_part_it_plays(void)
{
    Take piano;
    play_key(&piano, SOLO_PIANO, PLAYS_TOP, 2.0, -1);
    Take duo_piano;
    play_key(&duo_piano, VIOLIN_PIANO, PLAYS_PIANO, 2.0, -1);
    Take duo_violin;
    play_key(&duo_violin, VIOLIN_PIANO, PLAYS_TOP, 2.0, -1);
    Take quartet;
    play_key(&quartet, STRING_QUARTET, PLAYS_PIANO, 2.0, -1);
    Take cello;
    play_key(&cello, CELLO_PIANO, PLAYS_TOP, 2.0, -1);
    CHECK(rms(&piano, 0.05, 0.5) > 1e-3 && rms(&duo_violin, 0.3, 1.0) > 1e-3 &&
              rms(&cello, 0.3, 1.0) > 1e-3,
          "silent: piano %g, violin %g, cello %g", rms(&piano, 0.05, 0.5),
          rms(&duo_violin, 0.3, 1.0), rms(&cello, 0.3, 1.0));
    /* The same instrument on the same live channel: the same samples. */
    CHECK(difference(&piano, &duo_piano) == 0.0,
          "the piano's phrase in Violin and piano should sound the piano, as solo piano does");
    CHECK(difference(&duo_violin, &quartet) == 0.0,
          "a quartet (which has no piano) gives the keyboard its first violin, as the duo's "
          "top part does");
    /* Other instruments: other sounds. A bowed note holds its level where
     * the piano's dies away. */
    double total = 0;
    for (int i = 0; i < piano.frames; i++)
        total += fabs(piano.left[i]) + fabs(piano.right[i]);
    CHECK(difference(&piano, &duo_violin) > 0.5 * total &&
              difference(&piano, &cello) > 0.5 * total &&
              difference(&duo_violin, &cello) > 0.5 * total,
          "piano, violin and cello sound alike");
    double piano_holds = rms(&piano, 1.5, 1.9) / rms(&piano, 0.05, 0.5);
    double violin_holds = rms(&duo_violin, 1.5, 1.9) / rms(&duo_violin, 0.3, 0.7);
    printf("# level at 1.5-1.9 s over the start's: piano %.3f, violin %.3f\n", piano_holds,
           violin_holds);
    CHECK(violin_holds > 2.0 * piano_holds,
          "the violin should hold its note (%.3f) where the piano decays (%.3f)", violin_holds,
          piano_holds);
    take_free(&piano);
    take_free(&duo_piano);
    take_free(&duo_violin);
    take_free(&quartet);
    take_free(&cello);
}

static void test_a_key_ends_where_it_began(void)
{
    /* The violin's key is released after the ensemble became solo piano:
     * the violin's note still ends. */
    Take switched;
    play_key(&switched, STRING_QUARTET, PLAYS_TOP, 1.5, SOLO_PIANO);
    Take kept;
    play_key(&kept, STRING_QUARTET, PLAYS_TOP, 1.5, -1);
    double held = rms(&kept, 1.0, 1.4);
    printf("# after the release: %.5f (ensemble changed), %.5f (kept), held %.5f\n",
           rms(&switched, 2.8, 3.4), rms(&kept, 2.8, 3.4), held);
    CHECK(held > 1e-3, "the violin is silent while held: %g", held);
    CHECK(rms(&switched, 2.8, 3.4) < 0.05 * held,
          "the violin rings on after its key was released (%g against %g held): its note-off "
          "went elsewhere",
          rms(&switched, 2.8, 3.4), held);
    CHECK(difference(&switched, &kept) == 0.0,
          "changing the ensemble while a key is held changed its note");
    take_free(&switched);
    take_free(&kept);
}

int main(void)
{
    RUN_TEST(test_the_keyboard_sounds_the_part_it_plays);
    RUN_TEST(test_a_key_ends_where_it_began);
    CHECK_EXIT();
}
