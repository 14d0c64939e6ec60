/* Tests of the MIDI reader and writer (src/midifile.c): hand-built files
 * with known answers (sustain pedal, running status, tracks, PPQ rounding,
 * time signatures), the bad-input fixtures and every truncation of a real
 * file, and tokens -> MIDI -> tokens as the identity on generated pieces and
 * on every corpus file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "codec.h"
#include "grammar.h"
#include "midifile.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

/* ---- Building small MIDI files in memory -------------------------------- */

typedef struct {
    unsigned char bytes[4096];
    size_t length;
} Buffer;

static void add(Buffer *buffer, const unsigned char *data, size_t length)
{
    memcpy(buffer->bytes + buffer->length, data, length);
    buffer->length += length;
}

static void add_u32(Buffer *buffer, uint32_t value)
{
    unsigned char data[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
                             (unsigned char)(value >> 8), (unsigned char)value};
    add(buffer, data, 4);
}

static void add_header(Buffer *buffer, int format, int tracks, int ppq)
{
    unsigned char fields[6] = {0, (unsigned char)format, 0, (unsigned char)tracks,
                               (unsigned char)(ppq >> 8), (unsigned char)ppq};
    add(buffer, (const unsigned char *)"MThd", 4);
    add_u32(buffer, 6);
    add(buffer, fields, 6);
}

/* A track from a string of hex bytes (deltas included), ended for you. */
static void add_track(Buffer *buffer, const char *hex)
{
    unsigned char body[1024];
    size_t length = 0;
    unsigned value;
    int used;
    while (sscanf(hex, " %2x%n", &value, &used) == 1) {
        body[length++] = (unsigned char)value;
        hex += used;
    }
    body[length++] = 0x00;
    body[length++] = 0xff;
    body[length++] = 0x2f;
    body[length++] = 0x00;
    add(buffer, (const unsigned char *)"MTrk", 4);
    add_u32(buffer, (uint32_t)length);
    add(buffer, body, length);
}

static const PnlNote *find_note(const PnlScore *score, int64_t onset, int pitch)
{
    for (size_t i = 0; i < score->note_count; i++)
        if (score->notes[i].onset_ticks == onset && score->notes[i].pitch == pitch)
            return &score->notes[i];
    return NULL;
}

/* ---- Reading known files ------------------------------------------------ */

static void test_sustain_pedal_extends_notes_until_it_lifts_or_the_key_is_struck_again(void)
{
    /* PPQ 96 (4 file ticks per grid tick). C4 held 0..48, pedal down at 24,
     * E4 48..60 under the pedal, C4 struck again at 144 under the pedal and
     * released at 160, pedal up at 192. */
    Buffer file = {{0}, 0};
    PnlScore score;
    PnlMidiReadStats stats;
    char message[512];
    const PnlNote *note;
    add_header(&file, 0, 1, 96);
    add_track(&file, "00 90 3c 50  18 b0 40 7f  18 80 3c 40  00 90 40 50  0c 80 40 40"
                     "  54 90 3c 60  10 80 3c 40  20 b0 40 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "pedal.mid", &score, &stats, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(score.note_count == 3, "expected 3 notes, got %zu", score.note_count);
    note = find_note(&score, 0, 60);
    CHECK(note && note->duration_ticks == 36,
          "C4 sustained by the pedal should sound until struck again at grid 36, sounds %d",
          note ? note->duration_ticks : -1);
    note = find_note(&score, 12, 64);
    CHECK(note && note->duration_ticks == 36,
          "E4 released under the pedal should sound until it lifts (grid 48), sounds %d",
          note ? note->duration_ticks : -1);
    note = find_note(&score, 36, 60);
    CHECK(note && note->duration_ticks == 12, "the second C4 should end at the pedal, got %d",
          note ? note->duration_ticks : -1);
    CHECK(note && note->velocity == 0x60, "velocity %d, expected 96", note ? note->velocity : -1);
    pnl_score_free(&score);
}

static void test_running_status_and_note_on_with_velocity_zero_end_notes(void)
{
    Buffer file = {{0}, 0};
    PnlScore score;
    char message[512];
    const PnlNote *note;
    add_header(&file, 0, 1, 24);
    /* 90 3c 40, then running status: 3c 00 (off), 3e 40, 3e 00 */
    add_track(&file, "00 90 3c 40  0c 3c 00  00 3e 40  06 3e 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "running.mid", &score, NULL, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(score.note_count == 2, "expected 2 notes, got %zu", score.note_count);
    note = find_note(&score, 12, 62);
    CHECK(note && note->duration_ticks == 6, "D4 at 12 for 6 ticks expected");
    note = find_note(&score, 0, 60);
    CHECK(note && note->duration_ticks == 12, "C4 at 0 for 12 ticks expected");
    pnl_score_free(&score);
}

static void test_format_one_tracks_merge_with_pedal_in_its_own_track(void)
{
    /* Track 1: 3/4 and a tempo (ignored for positions). Track 2: right hand.
     * Track 3: left hand on the same pitch as the right, overlapping.
     * Track 4: pedal. PPQ 480. */
    Buffer file = {{0}, 0};
    PnlScore score;
    PnlMidiReadStats stats;
    char message[512];
    const PnlNote *note;
    add_header(&file, 1, 4, 480);
    add_track(&file, "00 ff 58 04 03 02 18 08  00 ff 51 03 07 a1 20  83 60 ff 51 03 0f 42 40");
    add_track(&file, "00 90 48 40  83 60 80 48 00  00 90 4c 40  83 60 80 4c 00");
    add_track(&file, "00 90 30 30  87 40 80 30 00  00 90 48 30  83 60 80 48 00");
    add_track(&file, "81 70 b0 40 7f  8f 00 b0 40 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "tracks.mid", &score, &stats, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(stats.format == 1 && stats.ticks_per_quarter == 480, "format %d PPQ %d", stats.format,
          stats.ticks_per_quarter);
    CHECK(score.note_count == 4, "expected 4 notes, got %zu", score.note_count);
    CHECK(score.meter_count == 1 && score.meters[0].numerator == 3 &&
              score.meters[0].denominator == 4 && score.meters[0].at_ticks == 0,
          "expected 3/4 at 0");
    /* C5 (track 2) 0..480 released under the pedal (down at 240, up at
     * 2160): sounds until C5 is struck again in track 3 at 960. */
    note = find_note(&score, 0, 72);
    CHECK(note && note->duration_ticks == 48, "C5 should sound 48 ticks, sounds %d",
          note ? note->duration_ticks : -1);
    note = find_note(&score, 24, 76);
    CHECK(note && note->duration_ticks == 84, "E5 should sound to the pedal (84), sounds %d",
          note ? note->duration_ticks : -1);
    note = find_note(&score, 0, 48);
    CHECK(note && note->duration_ticks == 108, "C3 should sound to the pedal (108), sounds %d",
          note ? note->duration_ticks : -1);
    note = find_note(&score, 48, 72);
    CHECK(note && note->duration_ticks == 60, "the second C5 should sound to the pedal (60), %d",
          note ? note->duration_ticks : -1);
    pnl_score_free(&score);
}

static void test_positions_round_to_the_nearest_grid_tick(void)
{
    /* PPQ 384: 16 file ticks per grid tick. Onsets 7 -> 0, 8 -> 1 (half
     * rounds up), 392 -> 25 (24.5 rounds up), 376 -> 24 (23.5 up). */
    Buffer file = {{0}, 0};
    PnlScore score;
    char message[512];
    add_header(&file, 0, 1, 384);
    add_track(&file, "07 90 3c 40  01 90 3e 40  82 70 90 40 40  10 90 41 40  10 80 3c 00"
                     "  00 80 3e 00  00 80 40 00  00 80 41 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "grid.mid", &score, NULL, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(find_note(&score, 0, 60), "tick 7 should round to grid 0");
    CHECK(find_note(&score, 1, 62), "tick 8 should round to grid 1");
    CHECK(find_note(&score, 24, 64), "tick 376 should round to grid 24");
    CHECK(find_note(&score, 25, 65), "tick 392 should round to grid 25");
    pnl_score_free(&score);
}

static void test_keys_off_the_piano_are_dropped_and_a_repeated_key_merged(void)
{
    Buffer file = {{0}, 0};
    PnlScore score;
    PnlMidiReadStats stats;
    char message[512];
    add_header(&file, 0, 1, 480);
    /* pitches 10 and 120 are off the piano; C4 struck twice 5 ticks apart. */
    add_track(&file, "00 90 0a 40  00 90 78 40  00 90 3c 40  05 80 3c 00  00 90 3c 50"
                     "  83 60 80 3c 00  00 80 0a 00  00 80 78 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "range.mid", &score, &stats, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(stats.notes_in_file == 4, "4 note-ons in the file, counted %zu", stats.notes_in_file);
    CHECK(stats.dropped_out_of_range == 2, "2 pitches off the piano, counted %zu",
          stats.dropped_out_of_range);
    CHECK(stats.dropped_duplicates == 1, "1 repeated pitch, counted %zu", stats.dropped_duplicates);
    CHECK(score.note_count == 1 && score.notes[0].pitch == 60 &&
              score.notes[0].duration_ticks == 24 && score.notes[0].velocity == 0x40,
          "one C4 of 24 ticks at velocity 64 expected");
    pnl_score_free(&score);
}

static void test_time_signatures_map_to_the_table_and_absurd_ones_are_ignored(void)
{
    Buffer file = {{0}, 0};
    PnlScore score;
    PnlMidiReadStats stats;
    char message[512];
    add_header(&file, 0, 1, 24);
    /* 9/4 at 0, a 0/4 and a 3/2^40 (absurd: ignored), 6/8 at 108. */
    add_track(&file, "00 ff 58 04 09 02 18 08  00 ff 58 04 00 02 18 08  00 ff 58 04 03 28 18 08"
                     "  00 90 3c 40  6c ff 58 04 06 03 18 08  00 80 3c 00");
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(file.bytes, file.length, "meters.mid", &score, &stats, message,
                               sizeof message) == PNL_OK,
          "read failed: %s", message);
    CHECK(stats.ignored_meta == 2, "2 impossible time signatures should be ignored, %zu were",
          stats.ignored_meta);
    CHECK(score.meter_count == 2, "expected 2 meter changes, got %zu", score.meter_count);
    CHECK(score.meters[0].numerator == 3 && score.meters[0].denominator == 4,
          "9/4 should read as 3/4, read as %d/%d", score.meters[0].numerator,
          score.meters[0].denominator);
    CHECK(score.meters[1].at_ticks == 108 && score.meters[1].numerator == 6 &&
              score.meters[1].denominator == 8,
          "6/8 at 108 expected");
    pnl_score_free(&score);
}

/* ---- Bad input ------------------------------------------------------------ */

static void test_every_bad_fixture_gives_an_error_naming_the_file(void)
{
    char folder[4096], path[8192], message[1024];
    DIR *directory;
    struct dirent *entry;
    int fixtures = 0;
    PnlScore score;
    snprintf(folder, sizeof folder, "%s/tests/fixtures/bad-midi",
             check_env("PIANOLA_SRC", ".."));
    directory = opendir(folder);
    CHECK(directory, "cannot open %s", folder);
    pnl_score_init(&score);
    while ((entry = readdir(directory))) {
        size_t length = strlen(entry->d_name);
        int status;
        if (length < 4 || strcmp(entry->d_name + length - 4, ".mid"))
            continue;
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        message[0] = '\0';
        status = pnl_midi_read(path, &score, NULL, message, sizeof message);
        if (status >= 0 || !strstr(message, path) || strchr(message, '\n') ||
            strlen(message) < strlen(path) + 8) {
            closedir(directory);
            pnl_score_free(&score);
            CHECK(0, "%s: expected an error naming the file, got status %d and '%s'",
                  entry->d_name, status, message);
        }
        fixtures++;
    }
    closedir(directory);
    pnl_score_free(&score);
    CHECK(fixtures >= 12, "expected at least 12 bad fixtures, found %d", fixtures);
}

static unsigned char *load_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    unsigned char *bytes;
    long length;
    if (!file)
        return NULL;
    fseek(file, 0, SEEK_END);
    length = ftell(file);
    fseek(file, 0, SEEK_SET);
    bytes = malloc((size_t)length + 1);
    if (bytes && fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        free(bytes);
        bytes = NULL;
    }
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

static void test_every_truncation_of_a_real_file_is_an_error(void)
{
    char path[4096], message[1024];
    size_t size = 0;
    unsigned char *bytes;
    PnlScore score;
    snprintf(path, sizeof path, "%s/mutopia/brahms/O39_waltz-op39-10.mid",
             check_env("PIANOLA_CORPUS", "../../shared/corpus"));
    bytes = load_file(path, &size);
    CHECK(bytes && size > 1000, "cannot read %s", path);
    pnl_score_init(&score);
    CHECK(pnl_midi_read_memory(bytes, size, "whole.mid", &score, NULL, message, sizeof message) ==
              PNL_OK,
          "the whole file should read: %s", message);
    for (size_t cut = 0; cut < size; cut++) {
        int status = pnl_midi_read_memory(bytes, cut, "cut.mid", &score, NULL, message,
                                          sizeof message);
        if (status >= 0 || strncmp(message, "cut.mid: ", 9)) {
            free(bytes);
            pnl_score_free(&score);
            CHECK(0, "the file cut at byte %zu of %zu should fail naming it, got %d '%s'", cut,
                  size, status, message);
        }
    }
    free(bytes);
    pnl_score_free(&score);
}

static void test_damaged_bytes_never_crash_the_reader(void)
{
    char path[4096], message[1024];
    size_t size = 0;
    unsigned char *bytes, *damaged;
    uint64_t random = 7;
    PnlScore score;
    int errors = 0, reads = 0;
    snprintf(path, sizeof path, "%s/mutopia/mozart/KV331_KV331_1_1_tema.mid",
             check_env("PIANOLA_CORPUS", "../../shared/corpus"));
    bytes = load_file(path, &size);
    CHECK(bytes, "cannot read %s", path);
    damaged = malloc(size);
    pnl_score_init(&score);
    for (int round = 0; round < 3000; round++) {
        memcpy(damaged, bytes, size);
        for (int flips = 1 + round % 4; flips > 0; flips--) {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            damaged[random % size] = (unsigned char)(random >> 32);
        }
        if (pnl_midi_read_memory(damaged, size, "damaged.mid", &score, NULL, message,
                                 sizeof message) < 0)
            errors++;
        else
            reads++;
    }
    free(bytes);
    free(damaged);
    pnl_score_free(&score);
    /* Reaching here is the test; both outcomes must occur for it to mean
     * anything. */
    CHECK(errors > 0 && reads > 0, "expected some damaged files to read and some to fail, got "
                                   "%d reads and %d errors",
          reads, errors);
}

/* ---- Writing, and the round trips ----------------------------------------- */

static int tokens_of_file(const char *path, uint16_t **tokens, size_t *count, char *message,
                          size_t message_size)
{
    PnlScore score;
    int status;
    pnl_score_init(&score);
    status = pnl_midi_read(path, &score, NULL, message, message_size);
    if (!status) {
        status = pnl_encode(&score, 0, NULL, 0, count, message, message_size);
        *tokens = malloc(*count * sizeof **tokens);
        status = pnl_encode(&score, 0, *tokens, *count, count, message, message_size);
    }
    pnl_score_free(&score);
    return status;
}

static void test_the_writer_makes_a_format_zero_file_at_ppq_480_with_the_tempo(void)
{
    char path[256], message[512];
    PnlScore score;
    PnlNote note = {24, 12, 60, 100, 0, 0};
    size_t size = 0;
    unsigned char *bytes;
    static const unsigned char tempo_120[] = {0xff, 0x51, 0x03, 0x07, 0xa1, 0x20};
    int found_tempo = 0;
    snprintf(path, sizeof path, "/tmp/pianola-test-writer-%d.mid", (int)getpid());
    pnl_score_init(&score);
    pnl_score_add_note(&score, note);
    CHECK(pnl_midi_write(path, &score, 120.0, message, sizeof message) == PNL_OK,
          "write failed: %s", message);
    bytes = load_file(path, &size);
    remove(path);
    CHECK(bytes && size > 22, "nothing written");
    CHECK(!memcmp(bytes, "MThd\0\0\0\x06\0\0\0\x01\x01\xe0", 14),
          "header should say format 0, 1 track, PPQ 480");
    for (size_t i = 0; i + sizeof tempo_120 <= size; i++)
        found_tempo |= !memcmp(bytes + i, tempo_120, sizeof tempo_120);
    free(bytes);
    CHECK(found_tempo, "no tempo event of 500000 us per quarter (120 BPM)");
    CHECK(pnl_midi_write("/nonexistent-folder/x.mid", &score, 120.0, message, sizeof message) ==
                  PNL_EIO &&
              strstr(message, "/nonexistent-folder/x.mid"),
          "writing into a missing folder should fail naming the file, got '%s'", message);
    CHECK(pnl_midi_write(path, &score, 0.0, message, sizeof message) == PNL_EINVAL,
          "a tempo of 0 should be refused");
    /* A caller's absurd length must not overflow libsmf's int pulses (it
     * asserts on negative times). */
    score.notes[0].duration_ticks = INT32_MAX;
    CHECK(pnl_midi_write(path, &score, 120.0, message, sizeof message) == PNL_OK,
          "a note of INT32_MAX ticks should be written, cut to the longest piece: %s", message);
    remove(path);
    {
        PnlMeterChange meter = {INT64_MAX / 2, 3, 4};
        pnl_score_add_meter(&score, meter);
        CHECK(pnl_midi_write(path, &score, 120.0, message, sizeof message) == PNL_EINVAL,
              "a meter change far past the longest piece should be refused");
    }
    pnl_score_free(&score);
}

/* Tokens -> score -> MIDI file -> score -> tokens; returns 1 if identical. */
static int survives_midi(const uint16_t *tokens, size_t count, const char *path, char *why,
                         size_t why_size)
{
    PnlScore score;
    char message[512];
    int composer = 0, same = 1;
    uint16_t *again = NULL;
    size_t again_count = 0;
    pnl_score_init(&score);
    if (pnl_decode(tokens, count, &score, &composer, message, sizeof message) ||
        pnl_midi_write(path, &score, 97.0, message, sizeof message)) {
        snprintf(why, why_size, "%s", message);
        pnl_score_free(&score);
        return 0;
    }
    pnl_score_free(&score);
    if (tokens_of_file(path, &again, &again_count, message, sizeof message)) {
        snprintf(why, why_size, "%s", message);
        free(again);
        return 0;
    }
    /* The composer is not in a MIDI file: compare the rest. */
    if (again_count != count) {
        snprintf(why, why_size, "%zu tokens came back as %zu", count, again_count);
        same = 0;
    }
    for (size_t i = 2; same && i < count; i++)
        if (again[i] != tokens[i]) {
            char a[PNL_TOKEN_NAME_MAX], b[PNL_TOKEN_NAME_MAX];
            pnl_token_name(tokens[i], a, sizeof a);
            pnl_token_name(again[i], b, sizeof b);
            snprintf(why, why_size, "token %zu was %s, came back %s", i, a, b);
            same = 0;
        }
    free(again);
    return same;
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A random piece as the encoder writes it: random meters, onsets and
 * chords; no note still sounding when its pitch is struck again (the MIDI
 * file could not hold that). */
static int random_piece(uint64_t *random, uint16_t **tokens, size_t *count)
{
    PnlScore score;
    char message[256];
    int64_t tick = 0;
    int notes = 20 + (int)(next_random(random) % 400);
    pnl_score_init(&score);
    for (int m = 0; m < 3; m++) {
        PnlMeterChange meter;
        int numerator, denominator;
        pnl_meter_map(1 + (int)(next_random(random) % 12), 1 + (int)(next_random(random) % 3),
                      &numerator, &denominator);
        meter.at_ticks = m == 0 ? 0 : (int64_t)(next_random(random) % 2000);
        meter.numerator = (uint8_t)numerator;
        meter.denominator = (uint8_t)denominator;
        pnl_score_add_meter(&score, meter);
    }
    for (int i = 0; i < notes; i++) {
        PnlNote note;
        tick += (int64_t)(next_random(random) % 3 == 0 ? next_random(random) % 40 : 0);
        note.onset_ticks = tick;
        note.pitch = (uint8_t)(PNL_LOWEST_PITCH + next_random(random) % PNL_PITCH_COUNT);
        note.velocity = (uint8_t)(1 + next_random(random) % 127);
        note.duration_ticks = pnl_duration_ticks((int)(next_random(random) % PNL_DUR_COUNT));
        pnl_score_add_note(&score, note);
    }
    pnl_score_normalize(&score, NULL);
    {
        PnlMeterChange first = score.meters[0];
        for (size_t i = 1; i < score.meter_count; i++)
            if (score.meters[i].at_ticks == 0)
                score.meters[i].at_ticks = 1;
        score.meters[0] = first;
    }
    /* Shorten a note to a written length that ends before its pitch returns. */
    for (size_t i = 0; i < score.note_count; i++)
        for (size_t j = i + 1; j < score.note_count; j++)
            if (score.notes[j].pitch == score.notes[i].pitch) {
                int64_t gap = score.notes[j].onset_ticks - score.notes[i].onset_ticks;
                int index = PNL_DUR_COUNT - 1;
                while (index > 0 && pnl_duration_ticks(index) > gap)
                    index--;
                if (score.notes[i].duration_ticks > gap)
                    score.notes[i].duration_ticks = pnl_duration_ticks(index);
                break;
            }
    pnl_encode(&score, 0, NULL, 0, count, message, sizeof message);
    *tokens = malloc(*count * sizeof **tokens);
    int status = pnl_encode(&score, 0, *tokens, *count, count, message, sizeof message);
    pnl_score_free(&score);
    return status;
}

static void test_tokens_to_midi_to_tokens_is_the_identity_on_generated_pieces(void)
{
    char path[256], why[512];
    uint64_t random = 2024;
    snprintf(path, sizeof path, "/tmp/pianola-test-generated-%d.mid", (int)getpid());
    for (int piece = 0; piece < 100; piece++) {
        uint16_t *tokens = NULL;
        size_t count = 0;
        int same;
        CHECK(random_piece(&random, &tokens, &count) == PNL_OK, "piece %d did not encode", piece);
        same = survives_midi(tokens, count, path, why, sizeof why);
        free(tokens);
        if (!same)
            remove(path);
        CHECK(same, "generated piece %d: %s", piece, why);
    }
    remove(path);
}

/* Walks a piece through the grammar; returns the index of the first token it
 * refuses or the mask leaves out, or -1. */
static long grammar_refusal(const uint16_t *tokens, size_t count)
{
    PnlGrammar grammar;
    uint8_t mask[PNL_VOCAB_SIZE];
    pnl_grammar_reset(&grammar);
    for (size_t i = 0; i < count; i++) {
        pnl_grammar_mask(&grammar, mask);
        if (!mask[tokens[i]] || pnl_grammar_advance(&grammar, tokens[i]) != PNL_OK)
            return (long)i;
    }
    return pnl_grammar_finished(&grammar) ? -1 : (long)count;
}

static void test_every_corpus_file_obeys_the_grammar_and_survives_midi_unchanged(void)
{
    char catalog_path[4096], line[8192], path[8192], out[256], why[512], message[1024];
    const char *corpus = check_env("PIANOLA_CORPUS", "../../shared/corpus");
    FILE *catalog;
    int files = 0, failures = 0;
    char first_failure[1024] = "";
    snprintf(catalog_path, sizeof catalog_path, "%s/catalog.tsv", corpus);
    snprintf(out, sizeof out, "/tmp/pianola-test-corpus-%d.mid", (int)getpid());
    catalog = fopen(catalog_path, "r");
    CHECK(catalog, "cannot open %s", catalog_path);
    CHECK(fgets(line, sizeof line, catalog), "empty catalog");
    while (fgets(line, sizeof line, catalog)) {
        /* the third column is the file */
        char *file = strchr(line, '\t'), *end;
        uint16_t *tokens = NULL;
        size_t count = 0;
        if (!file || !(file = strchr(file + 1, '\t')) || !(end = strchr(++file, '\t')))
            continue;
        *end = '\0';
        snprintf(path, sizeof path, "%s/%s", corpus, file);
        if (tokens_of_file(path, &tokens, &count, message, sizeof message)) {
            free(tokens);
            fclose(catalog);
            CHECK(0, "%s", message);
        }
        if (grammar_refusal(tokens, count) >= 0) {
            if (!failures++)
                snprintf(first_failure, sizeof first_failure,
                         "%s: the grammar refuses token %ld", file, grammar_refusal(tokens, count));
        } else if (!survives_midi(tokens, count, out, why, sizeof why)) {
            if (!failures++)
                snprintf(first_failure, sizeof first_failure, "%s: %s", file, why);
        }
        free(tokens);
        files++;
    }
    fclose(catalog);
    remove(out);
    printf("    %d corpus files, %d refused by the grammar or changed by a round trip through "
           "MIDI\n",
           files, failures);
    CHECK(files >= 383, "expected the whole corpus (383 files), read %d", files);
    CHECK(failures == 0, "%d files changed, first: %s", failures, first_failure);
}

int main(void)
{
    RUN_TEST(test_sustain_pedal_extends_notes_until_it_lifts_or_the_key_is_struck_again);
    RUN_TEST(test_running_status_and_note_on_with_velocity_zero_end_notes);
    RUN_TEST(test_format_one_tracks_merge_with_pedal_in_its_own_track);
    RUN_TEST(test_positions_round_to_the_nearest_grid_tick);
    RUN_TEST(test_keys_off_the_piano_are_dropped_and_a_repeated_key_merged);
    RUN_TEST(test_time_signatures_map_to_the_table_and_absurd_ones_are_ignored);
    RUN_TEST(test_every_bad_fixture_gives_an_error_naming_the_file);
    RUN_TEST(test_every_truncation_of_a_real_file_is_an_error);
    RUN_TEST(test_damaged_bytes_never_crash_the_reader);
    RUN_TEST(test_the_writer_makes_a_format_zero_file_at_ppq_480_with_the_tempo);
    RUN_TEST(test_tokens_to_midi_to_tokens_is_the_identity_on_generated_pieces);
    RUN_TEST(test_every_corpus_file_obeys_the_grammar_and_survives_midi_unchanged);
    CHECK_EXIT();
}
