/* Tests of writing an ensemble's score as MIDI (src/midifile.c, docs/
 * vocabulary.md "Ensembles"): one track per part, named, with its program,
 * each on its own channel, read back through libsmf itself; and reading the
 * file track by track gives the parts back. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <smf.h>

#include "check.h"
#include "midifile.h"
#include "parts.h"
#include "score.h"
#include "status.h"

static void trio(PnlScore *score)
{
    static const struct {
        int64_t onset;
        int duration, pitch, part;
    } notes[] = {
        {0, 24, 60, PNL_PART_PIANO},     {0, 24, 64, PNL_PART_PIANO},
        {0, 48, 67, PNL_PART_VIOLIN_1},  {0, 48, 60, PNL_PART_VIOLIN_1},
        {0, 96, 36, PNL_PART_CELLO},     {24, 24, 60, PNL_PART_PIANO},
        {48, 24, 72, PNL_PART_VIOLIN_1}, {96, 48, 43, PNL_PART_CELLO},
    };
    pnl_score_init(score);
    score->parts = 1u << PNL_PART_PIANO | 1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_CELLO;
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        pnl_score_add_note(score, (PnlNote){notes[i].onset, notes[i].duration,
                                            (uint8_t)notes[i].pitch, 80,
                                            (uint8_t)notes[i].part, 0});
    pnl_score_normalize(score, NULL);
}

static void test_each_part_gets_a_named_track_its_program_and_a_channel(void)
{
    static const struct {
        const char *name;
        int program, channel, notes;
    } expected[] = {{"Piano", 0, 0, 3}, {"Violin I", 40, 1, 3}, {"Cello", 42, 4, 2}}; /* the roles' channels */
    char path[256], message[512] = "";
    PnlScore score;
    snprintf(path, sizeof path, "/tmp/pianola-test-parts-%d.mid", (int)getpid());
    trio(&score);
    CHECK(pnl_midi_write(path, &score, 100.0, message, sizeof message) == PNL_OK,
          "writing failed: %s", message);
    smf_t *smf = smf_load(path);
    CHECK(smf, "libsmf could not read the written file");
    CHECK(smf->format == 1 && smf->number_of_tracks == 4,
          "expected format 1 with a tempo track and 3 parts, got format %d with %d tracks",
          smf->format, smf->number_of_tracks);
    for (int t = 0; t < 3; t++) {
        smf_track_t *track = smf_get_track_by_number(smf, t + 2);
        smf_event_t *event;
        char *name = NULL;
        int program = -1, program_channel = -1, notes = 0, other_channels = 0;
        while ((event = smf_track_get_next_event(track))) {
            const unsigned char *midi = event->midi_buffer;
            if (midi[0] == 0xff && midi[1] == 0x03 && !name)
                name = smf_event_extract_text(event);
            else if ((midi[0] & 0xf0) == 0xc0) {
                program = midi[1];
                program_channel = midi[0] & 0x0f;
            } else if ((midi[0] & 0xf0) == 0x90 || (midi[0] & 0xf0) == 0x80) {
                notes += (midi[0] & 0xf0) == 0x90;
                other_channels += (midi[0] & 0x0f) != expected[t].channel;
            }
        }
        CHECK(name && !strcmp(name, expected[t].name), "track %d is named '%s', expected '%s'",
              t + 2, name ? name : "(nothing)", expected[t].name);
        free(name);
        CHECK(program == expected[t].program && program_channel == expected[t].channel,
              "%s: program %d on channel %d, expected %d on %d", expected[t].name, program,
              program_channel, expected[t].program, expected[t].channel);
        CHECK(notes == expected[t].notes && !other_channels,
              "%s: %d notes (expected %d), %d events on another channel", expected[t].name,
              notes, expected[t].notes, other_channels);
    }
    smf_delete(smf);

    /* Read back track by track: the piano's C4 and the violin's C4 at tick
     * 0 are two notes, and each track's notes are its part's. */
    PnlScore read;
    pnl_score_init(&read);
    CHECK(pnl_midi_read_tracks(path, &read, NULL, message, sizeof message) == PNL_OK,
          "reading back failed: %s", message);
    CHECK(read.note_count == score.note_count, "read back %zu notes of %zu", read.note_count,
          score.note_count);
    static const int part_of_track[] = {PNL_PART_PIANO, PNL_PART_VIOLIN_1, PNL_PART_CELLO};
    for (size_t i = 0; i < read.note_count; i++)
        read.notes[i].part = (uint8_t)part_of_track[read.notes[i].track];
    pnl_score_normalize(&read, NULL);
    for (size_t i = 0; i < read.note_count; i++)
        CHECK(read.notes[i].pitch == score.notes[i].pitch &&
                  read.notes[i].part == score.notes[i].part &&
                  read.notes[i].onset_ticks == score.notes[i].onset_ticks &&
                  read.notes[i].duration_ticks == score.notes[i].duration_ticks,
              "note %zu came back as pitch %d of part %d", i, read.notes[i].pitch,
              read.notes[i].part);
    pnl_score_free(&read);
    pnl_score_free(&score);
    unlink(path);
}

/* Every role at once: one channel each, 1..6 in role order, none shared
 * (General MIDI's drum channel 10 would come only with a tenth part). */
static void test_every_part_has_a_channel_of_its_own(void)
{
    char path[256], message[512] = "";
    PnlScore score;
    pnl_score_init(&score);
    score.parts = (1u << PNL_PART_COUNT) - 1;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        pnl_score_add_note(&score, (PnlNote){part * 24, 24, (uint8_t)(60 + part), 80,
                                             (uint8_t)part, 0});
    pnl_score_normalize(&score, NULL);
    snprintf(path, sizeof path, "/tmp/pianola-test-parts-all-%d.mid", (int)getpid());
    CHECK(pnl_midi_write(path, &score, 120.0, message, sizeof message) == PNL_OK,
          "writing failed: %s", message);
    smf_t *smf = smf_load(path);
    CHECK(smf && smf->number_of_tracks == 1 + PNL_PART_COUNT, "expected %d tracks",
          1 + PNL_PART_COUNT);
    int seen[16] = {0};
    smf_event_t *event;
    while ((event = smf_get_next_event(smf)))
        if ((event->midi_buffer[0] & 0xf0) == 0x90)
            seen[event->midi_buffer[0] & 0x0f]++;
    smf_delete(smf);
    for (int channel = 0; channel < 16; channel++)
        CHECK(seen[channel] == (channel < PNL_PART_COUNT),
              "channel %d has %d notes; each of the first %d should have one", channel + 1,
              seen[channel], PNL_PART_COUNT);
    pnl_score_free(&score);
    unlink(path);
}

int main(void)
{
    RUN_TEST(test_each_part_gets_a_named_track_its_program_and_a_channel);
    RUN_TEST(test_every_part_has_a_channel_of_its_own);
    CHECK_EXIT();
}
