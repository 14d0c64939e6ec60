/* Tests of tokenizing the chamber corpus (src/tokenize.c, tools/tokenize.c;
 * docs/vocabulary.md, "Ensembles") on its real files: a string quartet's
 * tracks become its four roles (the catalog's instruments trusted over the
 * programs, which call the viola a cello), every note playable; a song's
 * piano staves alone are a plain solo-piano piece; the catalog's
 * instrument lists map to roles, or say why not; and an ensemble's tokens
 * survive a round trip through MIDI. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "codec.h"
#include "midifile.h"
#include "parts.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

enum { MESSAGE_SIZE = 1024 };

static void chamber_path(char *path, size_t size, const char *file)
{
    char source[1024];
    snprintf(source, sizeof source, "%s", check_env("PIANOLA_SRC", ".."));
    snprintf(path, size, "%s/%s/%s", source, "../shared/corpus-chamber", file);
}

static void test_instrument_lists_map_to_roles(void)
{
    PnlTokenizeOptions options = {.composer = 0};
    char message[MESSAGE_SIZE] = "";
    CHECK(pnl_tokenize_parts_of_instruments("violin;violin;viola;cello", NULL, &options, message,
                                            sizeof message) == PNL_OK &&
              options.track_count == 4 && options.track_parts[0] == PNL_PART_VIOLIN_1 &&
              options.track_parts[1] == PNL_PART_VIOLIN_2 &&
              options.track_parts[2] == PNL_PART_VIOLA && options.track_parts[3] == PNL_PART_CELLO,
          "a quartet's tracks should be violin_1, violin_2, viola, cello: %s", message);
    CHECK(pnl_tokenize_parts_of_instruments("voice;piano;piano", NULL, &options, message,
                                            sizeof message) == PNL_OK &&
              options.track_parts[0] == PNL_PART_MELODY &&
              options.track_parts[1] == PNL_PART_PIANO && options.track_parts[2] == PNL_PART_PIANO,
          "a song's tracks should be the melody and the piano's two staves");
    CHECK(pnl_tokenize_parts_of_instruments("voice;piano;piano", "piano", &options, message,
                                            sizeof message) == PNL_OK &&
              options.track_parts[0] == -1 && options.track_parts[1] == PNL_PART_PIANO,
          "keeping the piano should leave the voice out");
    CHECK(pnl_tokenize_parts_of_instruments("violin;viola", "viola,violin", &options, message,
                                            sizeof message) == PNL_OK &&
              options.track_parts[0] == PNL_PART_VIOLIN_1 && options.track_parts[1] == PNL_PART_VIOLA,
          "violin and viola should be violin_1 and viola");
    CHECK(pnl_tokenize_parts_of_instruments("violin;violin;violin", NULL, &options, message,
                                            sizeof message) == PNL_EINVAL &&
              strstr(message, "violin"),
          "a third violin has no role and should be refused, naming it: '%s'", message);
    CHECK(pnl_tokenize_parts_of_instruments("flute;piano;piano", NULL, &options, message,
                                            sizeof message) == PNL_EINVAL &&
              strstr(message, "flute"),
          "a flute has no role and should be refused, naming it: '%s'", message);
}

/* Mozart K. 421/ii from Mutopia: its programs read 40;40;42;42 (the viola
 * staff asks for a cello sound), its instruments violin;violin;viola;cello. */
static void test_a_quartet_becomes_four_playable_parts(void)
{
    char path[2048], message[MESSAGE_SIZE] = "";
    PnlTokenizeOptions options = {.composer = pnl_composer_index("mozart"), .with_source = 1,
                                  .source = PNL_SOURCE_ENGRAVED, .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized tokenized;
    chamber_path(path, sizeof path, "string-quartet/mozart/KV421_k421-score-2.mid");
    CHECK(access(path, R_OK) == 0, "%s: the chamber corpus is missing", path);
    CHECK(pnl_tokenize_parts_of_instruments("violin;violin;viola;cello", NULL, &options, message,
                                            sizeof message) == PNL_OK,
          "%s", message);
    CHECK(pnl_tokenize_midi_file(path, &options, &tokenized, message, sizeof message) == PNL_OK,
          "tokenizing failed: %s", message);
    CHECK(tokenized.parts == (1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_VIOLIN_2 |
                              1u << PNL_PART_VIOLA | 1u << PNL_PART_CELLO),
          "the quartet declares %#x", tokenized.parts);
    CHECK(tokenized.tokens[3] == pnl_token_part(PNL_PART_VIOLIN_1) &&
              tokenized.tokens[6] == pnl_token_part(PNL_PART_CELLO),
          "the four roles should follow SOURCE");
    PnlScore score;
    pnl_score_init(&score);
    CHECK(pnl_decode(tokenized.tokens, tokenized.count, &score, NULL, message, sizeof message) ==
              PNL_OK,
          "the quartet's tokens do not decode: %s", message);
    size_t per_part[PNL_PART_COUNT] = {0};
    int lowest[PNL_PART_COUNT];
    for (int part = 0; part < PNL_PART_COUNT; part++)
        lowest[part] = 128;
    for (size_t i = 0; i < score.note_count; i++) {
        const PnlNote *note = &score.notes[i];
        per_part[note->part]++;
        if (note->pitch < lowest[note->part])
            lowest[note->part] = note->pitch;
        CHECK(pnl_part_in_range(note->part, note->pitch), "part %d plays pitch %d", note->part,
              note->pitch);
        int sounding = 0;
        for (size_t j = 0; j < score.note_count && score.notes[j].onset_ticks <= note->onset_ticks;
             j++)
            sounding += score.notes[j].part == note->part &&
                        score.notes[j].onset_ticks + score.notes[j].duration_ticks >
                            note->onset_ticks;
        CHECK(sounding <= 2, "part %d sounds %d notes at tick %lld", note->part, sounding,
              (long long)note->onset_ticks);
    }
    CHECK(score.note_count == tokenized.stats.notes_kept && score.note_count > 600,
          "decoded %zu notes, the tokenizer kept %zu (the file holds 717)", score.note_count,
          tokenized.stats.notes_kept);
    CHECK(per_part[PNL_PART_VIOLIN_1] && per_part[PNL_PART_VIOLIN_2] && per_part[PNL_PART_VIOLA] &&
              per_part[PNL_PART_CELLO],
          "every part should play");
    /* The viola track is the viola, whatever its program says: its notes
     * stay above the cello's C2..B2 register's bottom. */
    CHECK(lowest[PNL_PART_VIOLA] >= 48 && lowest[PNL_PART_CELLO] < lowest[PNL_PART_VIOLA],
          "the viola's lowest is %d, the cello's %d", lowest[PNL_PART_VIOLA],
          lowest[PNL_PART_CELLO]);
    pnl_score_free(&score);
    pnl_tokenized_free(&tokenized);
}

/* A Dichterliebe song with --instruments piano: the piano staves alone, no
 * PART token at all, every note a piano note: a piano model's training
 * piece. Its notes are those of the two piano tracks as the reader reads
 * them track by track. */
static void test_a_songs_piano_alone_is_a_solo_piano_piece(void)
{
    char path[2048], message[MESSAGE_SIZE] = "";
    PnlTokenizeOptions options = {.composer = pnl_composer_index("schumann"), .with_source = 1,
                                  .source = PNL_SOURCE_ENGRAVED, .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized tokenized;
    chamber_path(path, sizeof path, "voice-piano/schumann/Dichterliebe-Op-48_lc4976777.mid");
    CHECK(pnl_tokenize_parts_of_instruments("voice;piano;piano", "piano", &options, message,
                                            sizeof message) == PNL_OK,
          "%s", message);
    CHECK(pnl_tokenize_midi_file(path, &options, &tokenized, message, sizeof message) == PNL_OK,
          "tokenizing failed: %s", message);
    CHECK(tokenized.parts == 0, "the piano alone should declare no parts, declares %#x",
          tokenized.parts);
    for (size_t i = 0; i < tokenized.count; i++)
        CHECK(tokenized.tokens[i] < PNL_VOCAB_SIZE_BEFORE_PARTS,
              "token %zu (id %u) is beyond the piano vocabulary", i, tokenized.tokens[i]);
    PnlScore tracks;
    pnl_score_init(&tracks);
    CHECK(pnl_midi_read_tracks(path, &tracks, NULL, message, sizeof message) == PNL_OK, "%s",
          message);
    size_t voice = 0;
    for (size_t i = 0; i < tracks.note_count; i++)
        voice += tracks.notes[i].track == 0;
    CHECK(voice > 0 && tokenized.notes_left_out == voice,
          "the voice's %zu notes should be left out, %zu were", voice, tokenized.notes_left_out);
    CHECK(tokenized.stats.notes_kept > 0 && tokenized.stats.notes_kept <= tracks.note_count - voice,
          "kept %zu notes of the piano's %zu", tokenized.stats.notes_kept,
          tracks.note_count - voice);
    pnl_score_free(&tracks);
    pnl_tokenized_free(&tokenized);

    /* With the voice, the same song is melody and piano. */
    CHECK(pnl_tokenize_parts_of_instruments("voice;piano;piano", NULL, &options, message,
                                            sizeof message) == PNL_OK,
          "%s", message);
    CHECK(pnl_tokenize_midi_file(path, &options, &tokenized, message, sizeof message) == PNL_OK,
          "%s", message);
    CHECK(tokenized.parts == (1u << PNL_PART_PIANO | 1u << PNL_PART_MELODY),
          "the song should declare piano and melody, declares %#x", tokenized.parts);
    pnl_tokenized_free(&tokenized);
}

/* Tokens -> MIDI -> tokens is the identity for an ensemble as for the
 * piano: Beethoven's Op. 66 variations for cello and piano, written with a
 * track per part and read back track by track (the written file's tracks
 * come in role order: piano, then cello). */
static void test_an_ensembles_tokens_survive_midi_unchanged(void)
{
    char path[2048], written[256], message[MESSAGE_SIZE] = "";
    PnlTokenizeOptions options = {.composer = pnl_composer_index("beethoven"), .with_source = 1,
                                  .source = PNL_SOURCE_ENGRAVED, .key = PNL_TOKENS_AS_WRITTEN};
    PnlTokenized first, second;
    PnlScore score;
    chamber_path(path, sizeof path, "cello-piano/beethoven/O66_variations_opus66.mid");
    snprintf(written, sizeof written, "/tmp/pianola-test-ensemble-%d.mid", (int)getpid());
    CHECK(pnl_tokenize_parts_of_instruments("cello;piano;piano", NULL, &options, message,
                                            sizeof message) == PNL_OK &&
              pnl_tokenize_midi_file(path, &options, &first, message, sizeof message) == PNL_OK,
          "tokenizing failed: %s", message);
    pnl_score_init(&score);
    CHECK(pnl_decode(first.tokens, first.count, &score, NULL, message, sizeof message) == PNL_OK &&
              pnl_midi_write(written, &score, 120.0, message, sizeof message) == PNL_OK,
          "decoding or writing failed: %s", message);
    pnl_score_free(&score);
    CHECK(pnl_tokenize_parts_of_instruments("piano;cello", NULL, &options, message,
                                            sizeof message) == PNL_OK &&
              pnl_tokenize_midi_file(written, &options, &second, message, sizeof message) ==
                  PNL_OK,
          "reading the written file failed: %s", message);
    size_t differ = first.count;
    if (first.count == second.count)
        for (differ = 0; differ < first.count && first.tokens[differ] == second.tokens[differ];)
            differ++;
    CHECK(differ == first.count && first.count == second.count,
          "%zu tokens, %zu after MIDI; the first difference at token %zu", first.count,
          second.count, differ);
    CHECK(first.playable.restruck > 0,
          "the piece's piano strikes held pitches again (%zu times), as the fix is for",
          first.playable.restruck);
    pnl_tokenized_free(&first);
    pnl_tokenized_free(&second);
    unlink(written);
}

int main(void)
{
    RUN_TEST(test_instrument_lists_map_to_roles);
    RUN_TEST(test_a_quartet_becomes_four_playable_parts);
    RUN_TEST(test_a_songs_piano_alone_is_a_solo_piano_piece);
    RUN_TEST(test_an_ensembles_tokens_survive_midi_unchanged);
    CHECK_EXIT();
}
