/* The saved state's bytes (plugin/state_encoding.c), directly: notes and
 * settings written in the documented little-endian layout (the expected
 * bytes are spelled out here by hand), read back the same, and damaged or
 * foreign bytes refused or dropped with a reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "composers.h"
#include "state_encoding.h"
#include "status.h"
#include "steering.h"
#include "uris.h"

static void test_a_note_is_written_in_the_documented_layout(void)
{
    PnlTimelineNote note = {.onset_ticks = 0x01020304, .duration_ticks = 12, .pitch = 60,
                            .velocity = 100, .origin = PNL_ORIGIN_PROMPT,
                            .velocity_shape = -3, .timing_shape_ms = 1.5f,
                            .model_velocity = 77, .part = PNL_PART_CELLO};
    static const uint8_t expected[34] = {
        'P', 'N', 'T', 'L', 3, 0, 0, 0, 0x80, 1, 0, 0, 1, 0, 0, 0, /* horizon 384, 1 note */
        4, 3, 2, 1, 12, 0, 0, 0, 60, 100, 1, 0xfd, 0, 0, 0xc0, 0x3f, /* 1.5f: 0x3fc00000 */
        77, 4};
    size_t size = 0;
    uint8_t *bytes = pnl_state_encode_notes(&note, 1, 384, &size);
    CHECK(bytes, "out of memory");
    int same = size == sizeof expected && !memcmp(bytes, expected, size);
    int first_difference = -1;
    for (size_t i = 0; i < size && i < sizeof expected && first_difference < 0; i++)
        if (bytes[i] != expected[i])
            first_difference = (int)i;
    free(bytes);
    CHECK(same, "expected 34 bytes as documented, got %zu differing first at byte %d", size,
          first_difference);
}

static void test_notes_read_back_as_written(void)
{
    PnlTimelineNote notes[3] = {
        {.onset_ticks = 0, .duration_ticks = 6, .pitch = 21, .velocity = 1},
        {.onset_ticks = 0, .duration_ticks = 96, .pitch = 108, .velocity = 127,
         .origin = PNL_ORIGIN_PROMPT, .velocity_shape = 12, .timing_shape_ms = -7.25f},
        {.onset_ticks = 1000000, .duration_ticks = 1, .pitch = 64, .velocity = 64,
         .velocity_shape = -128, .timing_shape_ms = 30.0f, .model_velocity = 85,
         .part = PNL_PART_MELODY}};
    size_t size = 0;
    uint8_t *bytes = pnl_state_encode_notes(notes, 3, 1000096, &size);
    CHECK(bytes, "out of memory");
    uint32_t count = 0;
    int32_t horizon = 0;
    char message[128] = "";
    PnlTimelineNote *read =
        pnl_state_decode_notes(bytes, size, 16, &count, &horizon, message, sizeof message);
    free(bytes);
    CHECK(read, "the notes were refused: %s", message);
    int same = count == 3 && !memcmp(read, notes, sizeof notes);
    free(read);
    CHECK(same && horizon == 1000096, "expected the 3 notes and horizon 1000096 back, got %u "
          "notes (%s) and horizon %d", count, same ? "the same" : "differing", horizon);
}

static void test_notes_of_format_1_are_read_without_a_model_velocity(void)
{
    /* One note as format 1 wrote it: 16 bytes, no model velocity. */
    static const uint8_t saved[32] = {
        'P', 'N', 'T', 'L', 1, 0, 0, 0, 0x80, 1, 0, 0, 1, 0, 0, 0,
        4, 3, 2, 1, 12, 0, 0, 0, 60, 100, 1, 0xfd, 0, 0, 0xc0, 0x3f};
    uint32_t count = 0;
    int32_t horizon = 0;
    char message[128] = "";
    PnlTimelineNote *read =
        pnl_state_decode_notes(saved, sizeof saved, 4, &count, &horizon, message, sizeof message);
    CHECK(read, "format 1 was refused: %s", message);
    int as_saved = count == 1 && read[0].onset_ticks == 0x01020304 && read[0].pitch == 60 &&
                   read[0].velocity == 100 && read[0].velocity_shape == -3 &&
                   read[0].timing_shape_ms == 1.5f && read[0].model_velocity == 0;
    free(read);
    /* The horizon (384) is raised to the note's onset. */
    CHECK(as_saved && horizon == 0x01020304, "expected the note at 0x01020304 (60, velocity "
          "100, no model velocity) and the horizon there, got %u notes, horizon %d", count,
          horizon);
}

static void test_notes_of_format_2_are_the_pianos_and_a_part_past_the_roles_is_dropped(void)
{
    /* One note as format 2 wrote it: 17 bytes, no part. Then two of format
     * 3: a cello's, and one of a part no Pianola has. */
    static const uint8_t saved_2[33] = {
        'P', 'N', 'T', 'L', 2, 0, 0, 0, 0x80, 1, 0, 0, 1, 0, 0, 0,
        0, 1, 0, 0, 12, 0, 0, 0, 60, 100, 1, 0xfd, 0, 0, 0xc0, 0x3f, 77};
    static const uint8_t saved_3[52] = {
        'P', 'N', 'T', 'L', 3, 0, 0, 0, 0x80, 1, 0, 0, 2, 0, 0, 0,
        0, 1, 0, 0, 12, 0, 0, 0, 48, 90, 0, 0, 0, 0, 0, 0, 0, PNL_PART_CELLO,
        0, 1, 0, 0, 12, 0, 0, 0, 72, 90, 0, 0, 0, 0, 0, 0, 0, PNL_PART_COUNT};
    uint32_t count_2 = 0, count_3 = 0;
    int32_t horizon = 0;
    char message[128] = "";
    PnlTimelineNote *read_2 = pnl_state_decode_notes(saved_2, sizeof saved_2, 4, &count_2,
                                                     &horizon, message, sizeof message);
    PnlTimelineNote *read_3 = pnl_state_decode_notes(saved_3, sizeof saved_3, 4, &count_3,
                                                     &horizon, message, sizeof message);
    int piano = read_2 && count_2 == 1 && read_2[0].model_velocity == 77 &&
                read_2[0].part == PNL_PART_PIANO;
    int cello = read_3 && count_3 == 1 && read_3[0].pitch == 48 &&
                read_3[0].part == PNL_PART_CELLO;
    free(read_2);
    free(read_3);
    CHECK(piano, "expected format 2's note back as the piano's, with its model velocity");
    CHECK(cello, "expected the cello's note of format 3 kept and the note of part %d dropped, "
          "got %u notes", PNL_PART_COUNT, count_3);
}

static void test_bytes_that_are_not_notes_of_this_format_are_refused(void)
{
    static const struct {
        const char *what;
        uint8_t bytes[16];
        size_t size;
        const char *message;
    } cases[] = {
        {"too short", {'P', 'N', 'T', 'L', 1}, 5, "not Pianola notes"},
        {"another magic", {'R', 'I', 'F', 'F', 1}, 16, "not Pianola notes"},
        {"format version 4", {'P', 'N', 'T', 'L', 4}, 16, "notes of format version 4"},
        {"2^32-1 notes claimed", {'P', 'N', 'T', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255},
         16, "4294967295 notes claimed in 16 bytes"},
        {"more than the capacity", {'P', 'N', 'T', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 9}, 16,
         "at most 8 fit"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint32_t count = 0;
        int32_t horizon = 0;
        char message[128] = "";
        PnlTimelineNote *notes = pnl_state_decode_notes(cases[c].bytes, cases[c].size, 8, &count,
                                                        &horizon, message, sizeof message);
        free(notes);
        CHECK(!notes && strstr(message, cases[c].message),
              "%s: expected a refusal saying \"%s\", got %s \"%s\"", cases[c].what,
              cases[c].message, notes ? "notes and" : "", message);
    }
}

static void test_malformed_notes_are_dropped_and_the_horizon_kept_past_the_last(void)
{
    PnlTimelineNote good = {.onset_ticks = 48, .duration_ticks = 12, .pitch = 60,
                            .velocity = 80};
    PnlTimelineNote notes[8];
    for (int i = 0; i < 8; i++)
        notes[i] = good;
    notes[1].duration_ticks = 0;
    notes[2].pitch = 128;
    notes[3].velocity = 0;
    notes[4].origin = PNL_ORIGIN_LIVE + 1;
    notes[5].timing_shape_ms = NAN;
    notes[6].onset_ticks = 200;
    notes[7].onset_ticks = 100; /* before the note kept last */
    size_t size = 0;
    uint8_t *bytes = pnl_state_encode_notes(notes, 8, 96, &size);
    CHECK(bytes, "out of memory");
    uint32_t count = 0;
    int32_t horizon = 0;
    char message[128] = "";
    PnlTimelineNote *read =
        pnl_state_decode_notes(bytes, size, 8, &count, &horizon, message, sizeof message);
    free(bytes);
    CHECK(read, "refused: %s", message);
    int kept_first = count >= 1 && read[0].onset_ticks == 48,
        kept_late = count >= 2 && read[1].onset_ticks == 200;
    free(read);
    CHECK(count == 2 && kept_first && kept_late && horizon == 200,
          "expected the notes at 48 and 200 kept and the horizon raised to 200, got %u notes, "
          "horizon %d", count, horizon);
}

static void test_settings_are_written_in_the_documented_layout_and_read_back(void)
{
    /* A state saved by format 1 (tests/fixtures/states/): seed 11, 4/4. */
    static const uint8_t saved[PNL_STATE_SETTINGS_SIZE_BEFORE_STEERING] = {
        0, 0, 0, 0, 0x66, 0x66, 0x66, 0x3f, 0x33, 0x33, 0x73, 0x3f, 11, 0, 0, 0,
        0, 0, 0, 0, 96, 0, 0, 0, 24, 0, 0, 0};
    PnlComposeSettings settings = {0};
    int status = pnl_state_decode_settings(saved, sizeof saved, &settings);
    CHECK(status == PNL_OK, "the fixture's settings were refused (%d)", status);
    CHECK(settings.composer_choice == 0 && settings.temperature == 0.9f &&
              settings.top_p == 0.95f && settings.seed == 11 && settings.variation == 0 &&
              settings.bar_ticks == 96 && settings.beat_ticks == 24,
          "expected composer 0, 0.9, 0.95, seed 11, re-roll 0, 96/24 ticks; got %d, %g, %g, "
          "%u, %u, %d/%d", settings.composer_choice, settings.temperature, settings.top_p,
          settings.seed, settings.variation, settings.bar_ticks, settings.beat_ticks);
    CHECK(settings.key_choice == PNL_KEY_AUTOMATIC && settings.register_lowest == 21 &&
              settings.register_highest == 108 && settings.dynamics == PNL_DYNAMICS_AS_COMPOSED,
          "expected a state from before the steering to read as Automatic, 21..108 and As "
          "composed; got key %d, %d..%d, dynamics %d", settings.key_choice,
          settings.register_lowest, settings.register_highest, settings.dynamics);
    uint8_t written[PNL_STATE_SETTINGS_SIZE];
    pnl_state_encode_settings(&settings, written);
    static const uint8_t steering[] = {0, 0, 0, 0, 21, 0, 0, 0, 108, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(!memcmp(written, saved, sizeof saved) &&
              !memcmp(written + sizeof saved, steering, sizeof steering),
          "the settings were not written back the same, with the steering's defaults after");
}

static void test_steering_settings_read_back_as_written(void)
{
    PnlComposeSettings settings = {.composer_choice = 3, .temperature = 0.5f, .top_p = 0.9f,
                                   .seed = 77, .variation = 2, .bar_ticks = 72,
                                   .beat_ticks = 24, .key_choice = 14, .register_lowest = 48,
                                   .register_highest = 84, .dynamics = 6, .density = 4,
                                   .ensemble = 3};
    uint8_t bytes[PNL_STATE_SETTINGS_SIZE];
    pnl_state_encode_settings(&settings, bytes);
    PnlComposeSettings read = {0};
    int status = pnl_state_decode_settings(bytes, sizeof bytes, &read);
    CHECK(status == PNL_OK && read.key_choice == 14 && read.register_lowest == 48 &&
              read.register_highest == 84 && read.dynamics == 6 && read.seed == 77 &&
              read.variation == 2 && read.composer_choice == 3 && read.density == 4 &&
              read.ensemble == 3,
          "expected F# minor, 48..84, ff, busy, seed 77, re-roll 2, composer 3 back; got "
          "status %d, key %d, %d..%d, dynamics %d, density %d, seed %u, re-roll %u, composer %d",
          status, read.key_choice, read.register_lowest, read.register_highest, read.dynamics,
          read.density, read.seed, read.variation, read.composer_choice);
    /* A state saved before the ensembles: its twelve fields, solo piano. */
    PnlComposeSettings solo = {0};
    CHECK(pnl_state_decode_settings(bytes, PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES, &solo) ==
                  PNL_OK &&
              solo.density == 4 && solo.ensemble == 0,
          "a state of %d bytes should read with its density and solo piano, got density %d, "
          "ensemble %d", PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES, solo.density, solo.ensemble);
    /* A state saved before the density: its eleven fields, density Automatic. */
    PnlComposeSettings older = {0};
    CHECK(pnl_state_decode_settings(bytes, PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY, &older) ==
                  PNL_OK &&
              older.dynamics == 6 && older.density == PNL_DENSITY_AUTOMATIC,
          "a state of %d bytes should read with its dynamics and an Automatic density, got "
          "dynamics %d, density %d", PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY, older.dynamics,
          older.density);
    CHECK(pnl_state_decode_settings(bytes, sizeof bytes - 1, &read) == PNL_ERANGE,
          "settings of %zu bytes were taken", sizeof bytes - 1);
}

static void test_settings_out_of_range_are_refused_and_nothing_taken(void)
{
    PnlComposeSettings good = {.composer_choice = 2, .temperature = 1.0f, .top_p = 0.9f,
                               .seed = 5, .bar_ticks = 72, .beat_ticks = 24,
                               .register_lowest = 21, .register_highest = 108};
    PnlComposeSettings bad[15];
    enum { CASES = sizeof bad / sizeof *bad };
    for (int i = 0; i < CASES; i++)
        bad[i] = good;
    bad[0].composer_choice = PNL_COMPOSER_MAX_CHOICES;
    bad[1].temperature = NAN;
    bad[2].bar_ticks = 0;
    bad[3].bar_ticks = 193;
    bad[4].beat_ticks = 96;
    bad[5].key_choice = PNL_KEY_CHOICE_COUNT;
    bad[6].key_choice = -1;
    bad[7].register_lowest = 20;
    bad[8].register_highest = 109;
    bad[9].dynamics = PNL_DYNAMICS_CHOICE_COUNT;
    bad[10].dynamics = -1;
    bad[11].density = PNL_DENSITY_CHOICE_COUNT;
    bad[12].density = -1;
    bad[13].ensemble = PNL_ENSEMBLE_CHOICE_COUNT;
    bad[14].ensemble = -1;
    for (int i = 0; i < CASES; i++) {
        uint8_t bytes[PNL_STATE_SETTINGS_SIZE];
        pnl_state_encode_settings(&bad[i], bytes);
        PnlComposeSettings read = good;
        int status = pnl_state_decode_settings(bytes, sizeof bytes, &read);
        CHECK(status == PNL_ERANGE && read.seed == 5 && read.bar_ticks == 72,
              "case %d: expected PNL_ERANGE and the settings untouched, got %d", i, status);
    }
}

int main(void)
{
    RUN_TEST(test_a_note_is_written_in_the_documented_layout);
    RUN_TEST(test_notes_read_back_as_written);
    RUN_TEST(test_notes_of_format_1_are_read_without_a_model_velocity);
    RUN_TEST(test_notes_of_format_2_are_the_pianos_and_a_part_past_the_roles_is_dropped);
    RUN_TEST(test_bytes_that_are_not_notes_of_this_format_are_refused);
    RUN_TEST(test_malformed_notes_are_dropped_and_the_horizon_kept_past_the_last);
    RUN_TEST(test_settings_are_written_in_the_documented_layout_and_read_back);
    RUN_TEST(test_steering_settings_read_back_as_written);
    RUN_TEST(test_settings_out_of_range_are_refused_and_nothing_taken);
    CHECK_EXIT();
}
