/* pianola-generate --ensemble as a user runs it: with a model that learned
 * the PART tokens (a small random one), the MIDI file it writes has one
 * track per part, named for it, with its General MIDI program on a channel
 * of its own, read back through libsmf itself and track by track through
 * the MIDI reader; the bundled model, trained before the PART tokens,
 * composes solo piano for a string quartet and says why; a name outside
 * the table is a clear error, and --help lists every ensemble. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <smf.h>

#include "check.h"
#include "midifile.h"
#include "parts.h"
#include "random_model.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

static char build[1024], source[1024], model[256];

/* Runs pianola-generate with `arguments`, its stderr into `stderr_path`;
 * returns its exit status (-1 if it could not run). */
static int generate(const char *arguments, const char *stderr_path)
{
    char command[4096];
    snprintf(command, sizeof command, "%s/pianola-generate %s 2>%s", build, arguments,
             stderr_path);
    int status = system(command);
    return status == -1 ? -1 : WEXITSTATUS(status);
}

/* The text of a (small) file, malloc'd; NULL if it cannot be read. */
static char *file_text(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = calloc(1, 1 << 20);
    size_t length = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
    fclose(file);
    if (size)
        *size = length;
    return text;
}

static void test_each_part_of_violin_and_piano_is_a_named_track_with_its_program(void)
{
    char arguments[1024];
    snprintf(arguments, sizeof arguments,
             "-q --model %s --ensemble violin_piano --bars 8 --seed 5 -o generate-ensemble.mid",
             model);
    int status = generate(arguments, "generate-ensemble.err");
    char *errors = file_text("generate-ensemble.err", NULL);
    CHECK(status == 0, "pianola-generate exited with %d: %s", status, errors ? errors : "");
    CHECK(errors && !errors[0], "a model with the PART tokens left a message: %s", errors);
    free(errors);

    /* As libsmf reads it: a tempo track, then the piano's and the violin's,
     * in role order. */
    static const int parts[] = {PNL_PART_PIANO, PNL_PART_VIOLIN_1};
    smf_t *smf = smf_load("generate-ensemble.mid");
    CHECK(smf, "libsmf could not read the written file");
    int format = smf->format, tracks = smf->number_of_tracks;
    if (format != 1 || tracks != 3)
        smf_delete(smf);
    CHECK(format == 1 && tracks == 3,
          "expected format 1 with a tempo track and the 2 parts, got format %d with %d tracks",
          format, tracks);
    int channels[2];
    for (int t = 0; t < 2; t++) {
        const PnlPartRole *role = pnl_part_role(parts[t]);
        smf_track_t *track = smf_get_track_by_number(smf, t + 2);
        smf_event_t *event;
        char *name = NULL;
        int program = -1, program_channel = -1, notes = 0, other_channels = 0;
        while ((event = smf_track_get_next_event(track))) {
            const unsigned char *midi = event->midi_buffer;
            if (midi[0] == 0xff && midi[1] == 0x03 && !name)
                name = smf_event_extract_text(event);
            else if ((midi[0] & 0xf0) == 0xc0 && program < 0) {
                program = midi[1];
                program_channel = midi[0] & 0x0f;
            } else if ((midi[0] & 0xf0) == 0x90 || (midi[0] & 0xf0) == 0x80) {
                notes += (midi[0] & 0xf0) == 0x90 && midi[2] > 0;
                other_channels += (midi[0] & 0x0f) != program_channel;
            }
        }
        int named = name && !strcmp(name, role->label);
        printf("# track %d: '%s', program %d on channel %d, %d notes\n", t + 2,
               name ? name : "(no name)", program, program_channel + 1, notes);
        free(name);
        channels[t] = program_channel;
        if (!named || program != role->program || notes == 0 || other_channels)
            smf_delete(smf);
        CHECK(named, "track %d is not named '%s'", t + 2, role->label);
        CHECK(program == role->program,
              "%s: program %d, expected %d", role->label, program, role->program);
        CHECK(notes > 0 && !other_channels,
              "%s: %d notes, %d note events off the program's channel %d", role->label, notes,
              other_channels, program_channel + 1);
    }
    smf_delete(smf);
    CHECK(channels[0] == pnl_part_channel(parts[0]) && channels[1] == pnl_part_channel(parts[1]),
          "the parts play on channels %d and %d, expected their roles' %d and %d",
          channels[0] + 1, channels[1] + 1, pnl_part_channel(parts[0]) + 1,
          pnl_part_channel(parts[1]) + 1);

    /* Read back track by track: the violin's notes lie in its range. */
    PnlScore score;
    pnl_score_init(&score);
    char message[512] = "";
    status = pnl_midi_read_tracks("generate-ensemble.mid", &score, NULL, message,
                                  sizeof message);
    int outside = -1, per_track[2] = {0, 0};
    for (size_t i = 0; status == PNL_OK && i < score.note_count; i++) {
        const PnlNote *note = &score.notes[i];
        per_track[note->track < 2 ? note->track : 1]++;
        if (note->track > 1 || !pnl_part_in_range(parts[note->track], note->pitch))
            outside = (int)i;
    }
    int pitch = outside >= 0 ? score.notes[outside].pitch : 0;
    pnl_score_free(&score);
    CHECK(status == PNL_OK, "reading back track by track: %s", message);
    CHECK(outside < 0, "note %d (pitch %d) lies outside its track's part", outside, pitch);
    CHECK(per_track[0] > 0 && per_track[1] > 0, "read back %d piano and %d violin notes",
          per_track[0], per_track[1]);
    unlink("generate-ensemble.mid");
    unlink("generate-ensemble.err");
}

/* Notes of the track of `part` (in role order among `parts`) before tick `before`. */
static int notes_before(const char *path, PnlPartSet parts, int part, int64_t before)
{
    PnlScore score;
    pnl_score_init(&score);
    char message[512] = "";
    int track = 0, count = 0;
    for (int p = 0; p < part; p++)
        track += (int)(parts >> p & 1u);
    if (pnl_midi_read_tracks(path, &score, NULL, message, sizeof message) != PNL_OK)
        count = -1;
    for (size_t i = 0; count >= 0 && i < score.note_count; i++)
        count += score.notes[i].track == track && score.notes[i].onset_ticks < before;
    pnl_score_free(&score);
    return count;
}

static void test_a_prompt_plays_the_piano_or_the_top_part_as_asked(void)
{
    /* Four quarter notes in the cello's range: the prompt ends at tick 96. */
    PnlScore prompt;
    pnl_score_init(&prompt);
    static const uint8_t pitches[] = {48, 52, 55, 60};
    for (int i = 0; i < 4; i++)
        pnl_score_add_note(&prompt, (PnlNote){.onset_ticks = 24 * i, .duration_ticks = 24,
                                              .pitch = pitches[i], .velocity = 80});
    char message[512] = "", arguments[2048];
    CHECK(pnl_midi_write("prompt-part.mid", &prompt, 120.0, message, sizeof message) == PNL_OK,
          "writing the prompt: %s", message);
    pnl_score_free(&prompt);
    PnlPartSet parts = pnl_ensemble(pnl_ensemble_index("cello_piano"))->parts;
    int piano_notes[2], cello_notes[2];
    for (int top = 0; top < 2; top++) {
        snprintf(arguments, sizeof arguments,
                 "-q --model %s --ensemble cello_piano --prompt prompt-part.mid %s --bars 2 "
                 "--seed 4 -o prompt-part-out.mid", model, top ? "--prompt-part top" : "");
        CHECK(generate(arguments, "prompt-part.err") == 0, "pianola-generate %s failed",
              arguments);
        piano_notes[top] = notes_before("prompt-part-out.mid", parts, PNL_PART_PIANO, 96);
        cello_notes[top] = notes_before("prompt-part-out.mid", parts, PNL_PART_CELLO, 96);
    }
    unlink("prompt-part.mid");
    unlink("prompt-part-out.mid");
    unlink("prompt-part.err");
    CHECK(piano_notes[0] == 4 && cello_notes[0] == 0,
          "by default the prompt should be the piano's: %d piano, %d cello notes in it",
          piano_notes[0], cello_notes[0]);
    CHECK(piano_notes[1] == 0 && cello_notes[1] == 4,
          "--prompt-part top should give it to the cello: %d piano, %d cello notes in it",
          piano_notes[1], cello_notes[1]);
}

static void test_the_bundled_model_composes_piano_for_a_quartet_and_says_so(void)
{
    char bundled[1200], arguments[2048];
    struct stat info;
    snprintf(bundled, sizeof bundled, "%s/models/pianola.pnm", source);
    CHECK(stat(bundled, &info) == 0, "no bundled model at %s", bundled);
    snprintf(arguments, sizeof arguments,
             "-q --model %s --ensemble string_quartet --bars 4 --seed 3 -o quartet.mid", bundled);
    int status = generate(arguments, "quartet.err");
    char *errors = file_text("quartet.err", NULL);
    printf("# stderr: %s", errors ? errors : "(none)\n");
    int said = errors && strstr(errors, "solo piano") && strstr(errors, "PART");
    free(errors);
    CHECK(status == 0, "pianola-generate exited with %d", status);
    CHECK(said, "expected a note that the model lacks the PART tokens and composes solo piano");
    snprintf(arguments, sizeof arguments, "-q --model %s --bars 4 --seed 3 -o piano.mid",
             bundled);
    CHECK(generate(arguments, "piano.err") == 0, "pianola-generate without --ensemble failed");
    size_t quartet_size = 0, piano_size = 0;
    char *quartet = file_text("quartet.mid", &quartet_size);
    char *piano = file_text("piano.mid", &piano_size);
    int same = quartet && piano && quartet_size == piano_size && quartet_size > 14 &&
               !memcmp(quartet, piano, quartet_size);
    int format = quartet && quartet_size > 9 ? quartet[9] : -1; /* MThd's format, low byte */
    free(quartet);
    free(piano);
    CHECK(same, "the quartet asked of the bundled model (%zu bytes) is not its solo piano "
                "(%zu bytes)", quartet_size, piano_size);
    CHECK(format == 0, "solo piano is written as format %d, not 0 (one track)", format);
    unlink("quartet.mid");
    unlink("quartet.err");
    unlink("piano.mid");
    unlink("piano.err");
}

static void test_an_unknown_ensemble_is_a_clear_error_and_help_lists_them(void)
{
    char arguments[1024];
    snprintf(arguments, sizeof arguments,
             "-q --model %s --ensemble piano_trio --bars 2 -o never.mid", model);
    int status = generate(arguments, "unknown.err");
    char *errors = file_text("unknown.err", NULL);
    struct stat info;
    int wrote = stat("never.mid", &info) == 0;
    int lines = 0;
    for (const char *c = errors; c && *c; c++)
        lines += *c == '\n';
    int clear = errors && strstr(errors, "--ensemble") && strstr(errors, "piano_trio") &&
                strstr(errors, "string_quartet");
    printf("# stderr: %s", errors ? errors : "(none)\n");
    free(errors);
    unlink("unknown.err");
    CHECK(status != 0 && !wrote, "an unknown ensemble gave status %d%s", status,
          wrote ? " and a file" : "");
    CHECK(clear && lines == 1, "expected one line naming the option, the name and the "
                               "ensembles");
    CHECK(generate("--help > generate-help.txt", "help.err") == 0, "--help failed");
    char *help = file_text("generate-help.txt", NULL);
    const char *missing = NULL;
    for (int e = 0; help && e < pnl_ensemble_count() && !missing; e++)
        if (!strstr(help, pnl_ensemble(e)->name))
            missing = pnl_ensemble(e)->name;
    int has_option = help && strstr(help, "--ensemble NAME");
    free(help);
    unlink("generate-help.txt");
    unlink("help.err");
    CHECK(has_option && !missing, "--help lacks %s", missing ? missing : "--ensemble NAME");
}

int main(void)
{
    snprintf(build, sizeof build, "%s", check_env("PIANOLA_BUILD", "."));
    snprintf(source, sizeof source, "%s", check_env("PIANOLA_SRC", ".."));
    snprintf(model, sizeof model, "generate-ensemble-%d.pnm", (int)getpid());
    char message[512] = "";
    if (random_model_write(model, PNL_VOCAB_SIZE, 0, message, sizeof message)) {
        printf("FAIL writing the model: %s\n", message);
        return 1;
    }
    RUN_TEST(test_each_part_of_violin_and_piano_is_a_named_track_with_its_program);
    RUN_TEST(test_a_prompt_plays_the_piano_or_the_top_part_as_asked);
    RUN_TEST(test_the_bundled_model_composes_piano_for_a_quartet_and_says_so);
    RUN_TEST(test_an_unknown_ensemble_is_a_clear_error_and_help_lists_them);
    unlink(model);
    CHECK_EXIT();
}
