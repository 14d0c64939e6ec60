/* Tests of ensemble scores in the codec (src/codec.c) and of making them
 * playable (src/playable.c), against docs/vocabulary.md, "Ensembles": an
 * ensemble score round-trips through tokens, parts and all; the encoder
 * refuses a part its instrument cannot play; and the fixes (a triple stop,
 * a legato overlap, a note out of range, a chord for the melody) are the
 * ones a player would make, and are counted. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "parts.h"
#include "playable.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"

#define BIT(part) (1u << (part))

static PnlNote note_of(int64_t onset, int duration, int pitch, int part)
{
    return (PnlNote){onset, duration, (uint8_t)pitch, 80, (uint8_t)part, 0};
}

static void build(PnlScore *score, PnlPartSet parts, const PnlNote *notes, size_t count)
{
    pnl_score_init(score);
    score->parts = parts;
    for (size_t i = 0; i < count; i++)
        pnl_score_add_note(score, notes[i]);
    pnl_score_normalize(score, NULL);
}

static void test_an_ensemble_score_round_trips_parts_and_all(void)
{
    /* A piano trio's bar: a violin double stop, the cello, the piano's
     * chord, the violin and the piano on one pitch at once (a unison the
     * piano reader would merge), and a rest for the violin. */
    const PnlNote notes[] = {
        note_of(0, 24, 67, PNL_PART_VIOLIN_1), note_of(0, 48, 60, PNL_PART_VIOLIN_1),
        note_of(0, 96, 36, PNL_PART_CELLO),    note_of(0, 12, 60, PNL_PART_PIANO),
        note_of(0, 12, 64, PNL_PART_PIANO),    note_of(24, 24, 72, PNL_PART_VIOLIN_1),
        note_of(24, 12, 72, PNL_PART_PIANO),   note_of(60, 36, 43, PNL_PART_CELLO),
        note_of(96, 6, 79, PNL_PART_VIOLIN_1), note_of(120, 72, 48, PNL_PART_PIANO),
    };
    PnlScore score, decoded;
    uint16_t tokens[256], again[256];
    size_t count = 0, count_again = 0;
    char message[256] = "";
    int composer = -1;
    build(&score, BIT(PNL_PART_PIANO) | BIT(PNL_PART_VIOLIN_1) | BIT(PNL_PART_CELLO), notes,
          sizeof notes / sizeof notes[0]);
    CHECK(score.note_count == 10, "normalizing kept %zu of 10 notes (the unison is two notes)",
          score.note_count);
    int status = pnl_encode_piece(&score, pnl_composer_index("brahms"), PNL_SOURCE_ENGRAVED, 0,
                                  tokens, 256, &count, message, sizeof message);
    CHECK(status == PNL_OK, "encoding failed: %s", message);
    CHECK(tokens[3] == pnl_token_part(PNL_PART_PIANO) &&
              tokens[4] == pnl_token_part(PNL_PART_VIOLIN_1) &&
              tokens[5] == pnl_token_part(PNL_PART_CELLO) && tokens[6] == PNL_TOKEN_BAR,
          "the roles should be declared in role order after SOURCE");
    pnl_score_init(&decoded);
    status = pnl_decode(tokens, count, &decoded, &composer, message, sizeof message);
    CHECK(status == PNL_OK, "decoding failed: %s", message);
    CHECK(decoded.parts == score.parts, "decoded parts %#x, encoded %#x", decoded.parts,
          score.parts);
    CHECK(decoded.note_count == score.note_count, "decoded %zu notes of %zu", decoded.note_count,
          score.note_count);
    for (size_t i = 0; i < score.note_count; i++) {
        const PnlNote *a = &score.notes[i], *b = &decoded.notes[i];
        CHECK(a->onset_ticks == b->onset_ticks && a->duration_ticks == b->duration_ticks &&
                  a->pitch == b->pitch && a->part == b->part,
              "note %zu: pitch %d part %d at %lld for %d came back as pitch %d part %d at %lld "
              "for %d",
              i, a->pitch, a->part, (long long)a->onset_ticks, a->duration_ticks, b->pitch,
              b->part, (long long)b->onset_ticks, b->duration_ticks);
    }
    status = pnl_encode_piece(&decoded, composer, PNL_SOURCE_ENGRAVED, 0, again, 256,
                              &count_again, message, sizeof message);
    CHECK(status == PNL_OK && count_again == count && !memcmp(tokens, again, count * 2),
          "re-encoding the decoded score gave other tokens");
    /* In density mode the bar's DENSITY counts every part's notes: 10 in a
     * 4/4 bar is 2.5 per beat, sparse; the decoded score is the same. */
    status = pnl_encode_piece(&score, composer, -1, 1, again, 256, &count_again, message,
                              sizeof message);
    CHECK(status == PNL_OK && again[5] == PNL_TOKEN_BAR &&
              again[7] == pnl_token_density(pnl_density_step(10, 96)),
          "density mode with parts: %s", message);
    pnl_score_free(&decoded);
    pnl_score_init(&decoded);
    CHECK(pnl_decode(again, count_again, &decoded, NULL, message, sizeof message) == PNL_OK &&
              decoded.note_count == score.note_count,
          "the density-mode ensemble piece did not decode: %s", message);
    pnl_score_free(&decoded);
    pnl_score_free(&score);
}

static void test_the_encoder_refuses_a_part_its_instrument_cannot_play(void)
{
    const PnlNote triple[] = {note_of(0, 24, 55, PNL_PART_VIOLIN_1),
                              note_of(0, 24, 62, PNL_PART_VIOLIN_1),
                              note_of(0, 24, 71, PNL_PART_VIOLIN_1)};
    const PnlNote low[] = {note_of(0, 24, 50, PNL_PART_VIOLIN_1)};
    const PnlNote undeclared[] = {note_of(0, 24, 60, PNL_PART_VIOLA)};
    PnlScore score;
    uint16_t tokens[64];
    size_t count = 0;
    char message[256] = "";
    build(&score, BIT(PNL_PART_VIOLIN_1), triple, 3);
    CHECK(pnl_encode(&score, 0, tokens, 64, &count, message, sizeof message) == PNL_EINVAL &&
              strstr(message, "playable"),
          "a triple stop should be refused, saying to make it playable; got '%s'", message);
    pnl_score_free(&score);
    build(&score, BIT(PNL_PART_VIOLIN_1), low, 1);
    CHECK(pnl_encode(&score, 0, tokens, 64, &count, message, sizeof message) == PNL_EINVAL,
          "a violin note below G3 should be refused");
    pnl_score_free(&score);
    build(&score, BIT(PNL_PART_VIOLIN_1), undeclared, 1);
    CHECK(pnl_encode(&score, 0, tokens, 64, &count, message, sizeof message) == PNL_EINVAL,
          "a note of an undeclared role should be refused");
    pnl_score_free(&score);
}

static int has_note(const PnlScore *score, int64_t onset, int pitch, int part, int duration)
{
    for (size_t i = 0; i < score->note_count; i++)
        if (score->notes[i].onset_ticks == onset && score->notes[i].pitch == pitch &&
            score->notes[i].part == part &&
            (duration < 0 || score->notes[i].duration_ticks == duration))
            return 1;
    return 0;
}

static void test_making_parts_playable_does_what_a_player_would(void)
{
    const PnlNote notes[] = {
        /* A quadruple stop G3 D4 A4 E5: the outer two sound. */
        note_of(0, 24, 55, PNL_PART_VIOLIN_1), note_of(0, 24, 62, PNL_PART_VIOLIN_1),
        note_of(0, 24, 69, PNL_PART_VIOLIN_1), note_of(0, 24, 76, PNL_PART_VIOLIN_1),
        /* A legato cello line whose notes overlap by a 16th, under a held
         * double stop: each new note ends the one before. */
        note_of(0, 30, 48, PNL_PART_CELLO),    note_of(0, 96, 36, PNL_PART_CELLO),
        note_of(24, 30, 50, PNL_PART_CELLO),
        /* Below the violin's G string: dropped. */
        note_of(48, 12, 50, PNL_PART_VIOLIN_1),
        /* The melody's chord keeps its top; the melody's overlap is cut. */
        note_of(48, 30, 67, PNL_PART_MELODY),  note_of(48, 30, 72, PNL_PART_MELODY),
        note_of(72, 24, 74, PNL_PART_MELODY),
        /* The piano keeps everything. */
        note_of(0, 96, 40, PNL_PART_PIANO),    note_of(0, 96, 43, PNL_PART_PIANO),
        note_of(0, 96, 47, PNL_PART_PIANO),
    };
    PnlScore score;
    PnlPlayableCounts counts = {0, 0, 0, 0, 0};
    uint16_t tokens[256];
    size_t count = 0;
    char message[256] = "";
    build(&score,
          BIT(PNL_PART_PIANO) | BIT(PNL_PART_VIOLIN_1) | BIT(PNL_PART_CELLO) |
              BIT(PNL_PART_MELODY),
          notes, sizeof notes / sizeof notes[0]);
    pnl_score_make_playable(&score, &counts);
    CHECK(counts.chord_notes == 3 && counts.out_of_range == 1 && counts.undeclared == 0,
          "expected 3 inner chord notes (2 of the violin, 1 of the melody) and 1 note out of "
          "range dropped, got %zu and %zu",
          counts.chord_notes, counts.out_of_range);
    CHECK(has_note(&score, 0, 55, PNL_PART_VIOLIN_1, 24) &&
              has_note(&score, 0, 76, PNL_PART_VIOLIN_1, 24) &&
              !has_note(&score, 0, 62, PNL_PART_VIOLIN_1, -1) &&
              !has_note(&score, 0, 69, PNL_PART_VIOLIN_1, -1),
          "the quadruple stop should keep G3 and E5");
    CHECK(!has_note(&score, 48, 50, PNL_PART_VIOLIN_1, -1), "D3 on the violin should be dropped");
    /* The cello's C3 (ends at 30) ends sooner than its C2 (96): C3 is cut
     * at the new onset, 24; the C2 goes on under D3. */
    CHECK(has_note(&score, 0, 48, PNL_PART_CELLO, 24) && has_note(&score, 0, 36, PNL_PART_CELLO, 96) &&
              has_note(&score, 24, 50, PNL_PART_CELLO, 32),
          "the cello's overlapping C3 should end at 24, its C2 and D3 sound on (D3's 30 "
          "ticks snapped to 32)");
    CHECK(has_note(&score, 48, 72, PNL_PART_MELODY, 24) &&
              !has_note(&score, 48, 67, PNL_PART_MELODY, -1) &&
              has_note(&score, 72, 74, PNL_PART_MELODY, 24),
          "the melody should keep the chord's top, cut to end where its next note begins");
    CHECK(counts.overlaps_cut == 2, "2 overlaps should be cut (cello, melody), %zu were",
          counts.overlaps_cut);
    CHECK(has_note(&score, 0, 40, PNL_PART_PIANO, 96) && has_note(&score, 0, 47, PNL_PART_PIANO, 96),
          "the piano's notes should stay as they were");
    CHECK(pnl_encode(&score, 0, tokens, 256, &count, message, sizeof message) == PNL_OK,
          "the playable score should encode: %s", message);

    /* A cut that snapping would lengthen: a violin note of 100 ticks
     * overlapped at 13 ticks in, under a second held note, must end by
     * tick 13 (12, the longest duration that fits), not at 14. */
    const PnlNote odd[] = {note_of(0, 100, 60, PNL_PART_VIOLIN_1),
                           note_of(0, 200, 67, PNL_PART_VIOLIN_1),
                           note_of(13, 24, 72, PNL_PART_VIOLIN_1)};
    pnl_score_free(&score);
    build(&score, BIT(PNL_PART_VIOLIN_1), odd, 3);
    pnl_score_make_playable(&score, NULL);
    CHECK(has_note(&score, 0, 60, PNL_PART_VIOLIN_1, 12) &&
              has_note(&score, 0, 67, PNL_PART_VIOLIN_1, 192),
          "the cut note should last 12 ticks and the other keep its snapped 192");
    CHECK(pnl_encode(&score, 0, tokens, 256, &count, message, sizeof message) == PNL_OK,
          "the fitted score should encode: %s", message);
    pnl_score_free(&score);

    /* The piano's two staves strike a held pitch again: the held note ends
     * there, as the piano reader ends it, so the MIDI file agrees. */
    const PnlNote staves[] = {note_of(0, 96, 60, PNL_PART_PIANO), note_of(48, 24, 60, PNL_PART_PIANO),
                              note_of(0, 24, 72, PNL_PART_VIOLIN_1)};
    PnlPlayableCounts restruck = {0, 0, 0, 0, 0};
    pnl_score_free(&score);
    build(&score, BIT(PNL_PART_PIANO) | BIT(PNL_PART_VIOLIN_1), staves, 3);
    pnl_score_make_playable(&score, &restruck);
    CHECK(has_note(&score, 0, 60, PNL_PART_PIANO, 48) && has_note(&score, 48, 60, PNL_PART_PIANO, 24) &&
              restruck.restruck == 1,
          "the held C4 should end at 48, where it is struck again (%zu counted)",
          restruck.restruck);
    pnl_score_free(&score);

    /* Solo piano is left alone. */
    const PnlNote piano[] = {note_of(0, 24, 21, 0), note_of(0, 24, 50, 0), note_of(0, 24, 60, 0),
                             note_of(0, 24, 108, 0)};
    PnlPlayableCounts untouched = {0, 0, 0, 0, 0};
    build(&score, 0, piano, 4);
    pnl_score_make_playable(&score, &untouched);
    CHECK(score.note_count == 4 && !untouched.chord_notes && !untouched.out_of_range,
          "a solo piano score should not change");
    pnl_score_free(&score);
}

int main(void)
{
    RUN_TEST(test_an_ensemble_score_round_trips_parts_and_all);
    RUN_TEST(test_the_encoder_refuses_a_part_its_instrument_cannot_play);
    RUN_TEST(test_making_parts_playable_does_what_a_player_would);
    CHECK_EXIT();
}
