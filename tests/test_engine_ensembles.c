/* An ensemble composed through the engine (src/engine.h), as the plugin's
 * worker and pianola-generate compose it, bar by bar, with small LSTMs of
 * random weights and the whole vocabulary (PART tokens included): one that
 * hears the music as written and one that hears it moved into C major / A
 * minor (a key-normalized network, whose key shift the parts' ranges must
 * survive). A random network goes wherever the grammar's mask lets it, so
 * every rule of the parts is tried. For every ensemble and 40 seeds, 8
 * bars each:
 * - every note is of a role the ensemble declares, in its range;
 * - no string part ever sounds more than two notes at once, the melody
 *   more than one (sounding intervals, notes held over bar lines counted);
 * - the same settings compose the same notes again, resuming from a cut,
 *   and in an engine that only hears the first bars' notes (the parts are
 *   kept through the memory the timeline is encoded into);
 * - solo piano (ensemble 0) composes what the engine composed before it
 *   knew ensembles, and a model trained without the PART tokens composes
 *   solo piano for an ensemble, saying so.
 * The figures (notes per role, the most each sounded at once) are printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "hash.h"
#include "parts.h"
#include "random_model.h"
#include "status.h"
#include "vocabulary.h"

enum {
    BARS = 8,
    BAR_TICKS = 96,
    SEEDS = 40,
    MODELS = 2, /* as written, key-normalized */
    BAR_NOTES = 4096
};

static const char *const model_kinds[MODELS] = {"as written", "key-normalized"};
static char model_paths[MODELS][256];
/* Models of the vocabularies before the PART tokens: the bundled model's
 * (before the DENSITY tokens too) and the one just before PART. */
enum { PIANO_MODELS = 2 };
static const int piano_vocab_sizes[PIANO_MODELS] = {PNL_VOCAB_SIZE_BEFORE_DENSITY,
                                                    PNL_VOCAB_SIZE_BEFORE_PARTS};
static char piano_model_paths[PIANO_MODELS][256];

static PnlComposeSettings settings_of(int ensemble, uint32_t seed)
{
    return (PnlComposeSettings){.composer_choice = pnl_engine_composer_choice("mozart"),
                                .temperature = 1.0f,
                                .top_p = 1.0f,
                                .seed = seed,
                                .bar_ticks = BAR_TICKS,
                                .beat_ticks = 24,
                                .ensemble = ensemble};
}

/* A timeline: notes in onset order. */
typedef struct {
    PnlTimelineNote *notes;
    uint32_t count, capacity;
} Piece;

/* Composes bars [first_bar, BARS) after piece's notes, as the worker does,
 * one bar at a time, appending to the piece. The last message that came
 * with PNL_OK goes to `note`. */
static int compose_bars(PnlEngine *engine, const PnlComposeSettings *settings, Piece *piece,
                        int first_bar, char *message, size_t size, char *note, size_t note_size)
{
    static PnlTimelineNote bar_notes[BAR_NOTES];
    for (int bar = first_bar; bar < BARS; bar++) {
        uint32_t made = 0;
        message[0] = '\0';
        if (pnl_engine_compose(engine, settings, piece->notes, piece->count, bar * BAR_TICKS,
                               (bar + 1) * BAR_TICKS, bar_notes, BAR_NOTES, &made, message,
                               size) != PNL_OK)
            return -1;
        if (note && message[0])
            snprintf(note, note_size, "%s", message);
        if (piece->count + made > piece->capacity) {
            uint32_t capacity = 2 * (piece->count + made);
            PnlTimelineNote *grown = realloc(piece->notes, capacity * sizeof *grown);
            if (!grown) {
                snprintf(message, size, "out of memory");
                return -1;
            }
            piece->notes = grown;
            piece->capacity = capacity;
        }
        if (made) /* a silent bar may find the piece still without notes */
            memcpy(piece->notes + piece->count, bar_notes, made * sizeof *bar_notes);
        piece->count += made;
    }
    return 0;
}

static PnlEngine *engine_of(const char *path, char *message, size_t size)
{
    return pnl_engine_new(path, PNL_PRECISION_INT8, message, size);
}

/* The pieces every test reads: [model][ensemble][seed]. */
static Piece *pieces;
static int pieces_ready;

static Piece *piece_of(int model, int ensemble, int seed)
{
    return &pieces[(model * pnl_ensemble_count() + ensemble) * SEEDS + seed];
}

static void compose_every_piece(void)
{
    char message[512] = "";
    int ensembles = pnl_ensemble_count();
    pieces = calloc((size_t)MODELS * (size_t)ensembles * SEEDS, sizeof *pieces);
    CHECK(pieces, "out of memory");
    for (int model = 0; model < MODELS; model++) {
        PnlEngine *engine = engine_of(model_paths[model], message, sizeof message);
        CHECK(engine, "loading the %s model: %s", model_kinds[model], message);
        for (int ensemble = 0; ensemble < ensembles; ensemble++) {
            for (int seed = 0; seed < SEEDS; seed++) {
                PnlComposeSettings settings = settings_of(ensemble, (uint32_t)seed + 1);
                Piece *piece = piece_of(model, ensemble, seed);
                pnl_engine_forget(engine, 0);
                if (compose_bars(engine, &settings, piece, 0, message, sizeof message, NULL, 0)) {
                    pnl_engine_free(engine);
                    CHECK(0, "%s model, %s, seed %d: composing failed: %s", model_kinds[model],
                          pnl_ensemble(ensemble)->name, seed + 1, message);
                }
            }
        }
        pnl_engine_free(engine);
    }
    pieces_ready = 1;
}

/* The most notes of `part` that sound at once in the piece, where each
 * sounds over [onset, onset + duration): the most at any note's onset. */
static int most_sounding(const Piece *piece, int part, int32_t *at_ticks)
{
    int most = 0;
    for (uint32_t i = 0; i < piece->count; i++) {
        if (piece->notes[i].part != part)
            continue;
        int32_t onset = piece->notes[i].onset_ticks;
        int sounding = 0;
        for (uint32_t j = 0; j < piece->count; j++)
            sounding += piece->notes[j].part == part && piece->notes[j].onset_ticks <= onset &&
                        piece->notes[j].onset_ticks + piece->notes[j].duration_ticks > onset;
        if (sounding > most) {
            most = sounding;
            *at_ticks = onset;
        }
    }
    return most;
}

static void test_every_note_is_of_a_declared_role_in_its_range(void)
{
    CHECK(pieces_ready, "the pieces were not composed");
    for (int model = 0; model < MODELS; model++) {
        for (int ensemble = 0; ensemble < pnl_ensemble_count(); ensemble++) {
            const PnlEnsemble *chosen = pnl_ensemble(ensemble);
            PnlPartSet declared = chosen->parts ? chosen->parts : 1u << PNL_PART_PIANO;
            long notes[PNL_PART_COUNT] = {0};
            for (int seed = 0; seed < SEEDS; seed++) {
                const Piece *piece = piece_of(model, ensemble, seed);
                for (uint32_t i = 0; i < piece->count; i++) {
                    const PnlTimelineNote *note = &piece->notes[i];
                    CHECK(note->part < PNL_PART_COUNT && (declared >> note->part & 1u),
                          "%s model, %s, seed %d: a note (pitch %d at tick %d) of part %d, "
                          "which the ensemble does not declare",
                          model_kinds[model], chosen->name, seed + 1, note->pitch,
                          note->onset_ticks, note->part);
                    const PnlPartRole *role = pnl_part_role(note->part);
                    CHECK(pnl_part_in_range(note->part, note->pitch),
                          "%s model, %s, seed %d: %s plays pitch %d at tick %d, outside "
                          "%d..%d",
                          model_kinds[model], chosen->name, seed + 1, role->label, note->pitch,
                          note->onset_ticks, role->lowest, role->highest);
                    notes[note->part]++;
                }
            }
            printf("# %s model, %s:", model_kinds[model], chosen->name);
            for (int part = 0; part < PNL_PART_COUNT; part++)
                if (declared >> part & 1u)
                    printf(" %s %ld notes", pnl_part_role(part)->name, notes[part]);
            printf(" (%d seeds x %d bars)\n", SEEDS, BARS);
            /* Not a vacuous pass: the random network plays every role. */
            for (int part = 0; part < PNL_PART_COUNT; part++)
                CHECK(!(declared >> part & 1u) || notes[part] >= SEEDS,
                      "%s model, %s: %s played only %ld notes in %d pieces", model_kinds[model],
                      chosen->name, pnl_part_role(part)->name, notes[part], SEEDS);
        }
    }
}

static void test_no_string_sounds_more_than_two_notes_nor_the_melody_more_than_one(void)
{
    CHECK(pieces_ready, "the pieces were not composed");
    for (int model = 0; model < MODELS; model++) {
        for (int ensemble = 1; ensemble < pnl_ensemble_count(); ensemble++) {
            const PnlEnsemble *chosen = pnl_ensemble(ensemble);
            int most_seen[PNL_PART_COUNT] = {0};
            for (int part = 0; part < PNL_PART_COUNT; part++) {
                const PnlPartRole *role = pnl_part_role(part);
                if (!(chosen->parts >> part & 1u) || role->voices == PNL_PART_UNLIMITED)
                    continue;
                for (int seed = 0; seed < SEEDS; seed++) {
                    int32_t at = 0;
                    int most = most_sounding(piece_of(model, ensemble, seed), part, &at);
                    CHECK(most <= role->voices,
                          "%s model, %s, seed %d: %s sounds %d notes at once at tick %d (at "
                          "most %d)",
                          model_kinds[model], chosen->name, seed + 1, role->label, most, at,
                          role->voices);
                    if (most > most_seen[part])
                        most_seen[part] = most;
                }
                printf("# %s model, %s: %s sounds at most %d at once\n", model_kinds[model],
                       chosen->name, role->name, most_seen[part]);
                /* The limit was reached, so it was what held the part. */
                CHECK(most_seen[part] == role->voices,
                      "%s model, %s: %s never sounded %d notes at once in %d pieces",
                      model_kinds[model], chosen->name, role->name, role->voices, SEEDS);
            }
        }
    }
}

static int same_notes(const Piece *a, const Piece *b, uint32_t *differ)
{
    uint32_t i = 0;
    for (; i < a->count && i < b->count; i++) {
        const PnlTimelineNote *x = &a->notes[i], *y = &b->notes[i];
        if (x->onset_ticks != y->onset_ticks || x->duration_ticks != y->duration_ticks ||
            x->pitch != y->pitch || x->velocity != y->velocity || x->part != y->part ||
            x->origin != y->origin)
            break;
    }
    *differ = i;
    return i == a->count && i == b->count;
}

enum { CUT_BAR = 4, SEEDS_AGAIN = 10 };

/* Composes `first`'s settings again, three ways, into `again`; returns
 * NULL when each gave first's notes, else how they differed (in message). */
static const char *compose_again(const char *path, const PnlComposeSettings *settings,
                                 const Piece *first, Piece *again, char *message, size_t size)
{
    uint32_t differ = 0;
    const char *failed = NULL;
    /* In an engine of its own. */
    PnlEngine *engine = engine_of(path, message, size);
    if (!engine)
        return "loading the model";
    again->count = 0;
    if (compose_bars(engine, settings, again, 0, message, size, NULL, 0))
        failed = "composing";
    else if (!same_notes(first, again, &differ))
        failed = "a second engine";
    /* Cut at bar CUT_BAR + 1 and composed again from there (resuming from
     * the engine's snapshot). */
    uint32_t kept = 0;
    while (kept < again->count && again->notes[kept].onset_ticks < CUT_BAR * BAR_TICKS)
        kept++;
    if (!failed) {
        again->count = kept;
        pnl_engine_forget(engine, CUT_BAR * BAR_TICKS);
        if (compose_bars(engine, settings, again, CUT_BAR, message, size, NULL, 0))
            failed = "composing after the cut";
        else if (!same_notes(first, again, &differ))
            failed = "resuming after a cut";
    }
    pnl_engine_free(engine);
    /* A new engine that knows the bars before the cut only as notes. */
    if (!failed) {
        engine = engine_of(path, message, size);
        if (!engine)
            return "loading the model";
        again->count = kept;
        if (compose_bars(engine, settings, again, CUT_BAR, message, size, NULL, 0))
            failed = "composing after hearing the notes";
        else if (!same_notes(first, again, &differ))
            failed = "an engine hearing the first bars from their notes";
        pnl_engine_free(engine);
    }
    if (failed && strncmp(failed, "composing", 9) && strncmp(failed, "loading", 7))
        snprintf(message, size, "composed other notes from note %u on (of %u)", differ,
                 first->count);
    return failed;
}

/* The same settings compose the same notes: in an engine of its own, after
 * a cut at bar 5 (resuming from the engine's snapshot), and in a new engine
 * that hears bars 1-4 from their notes alone. */
static void test_the_same_settings_compose_the_same_notes(void)
{
    CHECK(pieces_ready, "the pieces were not composed");
    char message[512] = "";
    static Piece again;
    for (int model = 0; model < MODELS; model++) {
        for (int ensemble = 0; ensemble < pnl_ensemble_count(); ensemble++) {
            for (int seed = 0; seed < SEEDS_AGAIN; seed++) {
                PnlComposeSettings settings = settings_of(ensemble, (uint32_t)seed + 1);
                const char *failed =
                    compose_again(model_paths[model], &settings, piece_of(model, ensemble, seed),
                                  &again, message, sizeof message);
                CHECK(!failed, "%s model, %s, seed %d: %s: %s", model_kinds[model],
                      pnl_ensemble(ensemble)->name, seed + 1, failed, message);
            }
        }
    }
    free(again.notes);
}

/* A register a role cannot reach leaves that role silent and the others
 * composing (a role opened with no key to play would stop the network);
 * one that no role reaches leaves the bars silent. */
static void test_a_register_out_of_a_roles_range_leaves_it_silent(void)
{
    static const struct {
        const char *ensemble;
        int lowest, highest;
        PnlPartSet silent; /* roles the register misses */
    } cases[] = {
        {"violin_piano", 21, 45, 1u << PNL_PART_VIOLIN_1},
        {"melody_piano", 90, 108, 1u << PNL_PART_MELODY},
        {"string_quartet", 90, 108, 1u << PNL_PART_VIOLA | 1u << PNL_PART_CELLO},
        {"string_quartet", 21, 33,
         1u << PNL_PART_VIOLIN_1 | 1u << PNL_PART_VIOLIN_2 | 1u << PNL_PART_VIOLA |
             1u << PNL_PART_CELLO},
    };
    char message[512] = "";
    for (int model = 0; model < MODELS; model++) {
        PnlEngine *engine = engine_of(model_paths[model], message, sizeof message);
        CHECK(engine, "loading the model: %s", message);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            long played = 0;
            for (uint32_t seed = 1; seed <= 10; seed++) {
                PnlComposeSettings settings =
                    settings_of(pnl_ensemble_index(cases[c].ensemble), seed);
                settings.register_lowest = cases[c].lowest;
                settings.register_highest = cases[c].highest;
                Piece piece = {NULL, 0, 0};
                pnl_engine_forget(engine, 0);
                int status = compose_bars(engine, &settings, &piece, 0, message, sizeof message,
                                          NULL, 0);
                int wrong = -1;
                for (uint32_t i = 0; status == 0 && i < piece.count && wrong < 0; i++)
                    if ((cases[c].silent >> piece.notes[i].part & 1u) ||
                        piece.notes[i].pitch < cases[c].lowest ||
                        piece.notes[i].pitch > cases[c].highest)
                        wrong = (int)i;
                PnlTimelineNote odd = wrong >= 0 ? piece.notes[wrong] : (PnlTimelineNote){0};
                played += piece.count;
                free(piece.notes);
                if (status || wrong >= 0)
                    pnl_engine_free(engine);
                CHECK(status == 0, "%s model, %s in %d..%d, seed %u: composing failed: %s",
                      model_kinds[model], cases[c].ensemble, cases[c].lowest, cases[c].highest,
                      seed, message);
                CHECK(wrong < 0,
                      "%s model, %s in %d..%d, seed %u: part %d plays pitch %d at tick %d",
                      model_kinds[model], cases[c].ensemble, cases[c].lowest, cases[c].highest,
                      seed, odd.part, odd.pitch, odd.onset_ticks);
            }
            printf("# %s model, %s in %d..%d: %ld notes in 10 pieces\n", model_kinds[model],
                   cases[c].ensemble, cases[c].lowest, cases[c].highest, played);
        }
        pnl_engine_free(engine);
    }
}

/* A fingerprint of the notes as the plugin plays them (onset, duration,
 * pitch, velocity), FNV-1a. */
static uint64_t fingerprint(const Piece *piece)
{
    uint64_t hash = PNL_FNV1A_START;
    for (uint32_t i = 0; i < piece->count; i++) {
        const PnlTimelineNote *note = &piece->notes[i];
        int32_t fields[4] = {note->onset_ticks, note->duration_ticks, note->pitch,
                             note->velocity};
        hash = pnl_fnv1a_add(hash, fields, sizeof fields);
    }
    return hash;
}

/* Solo piano is what the engine composed before it knew ensembles: these
 * fingerprints were taken with the engine as it was then (commit b7f1446,
 * its sources built on their own with this file's models, settings and bar
 * by bar composing; seeds 1-4), and every note is the piano's. */
static void test_solo_piano_composes_what_it_did_before_ensembles(void)
{
    CHECK(pieces_ready, "the pieces were not composed");
    static const uint64_t before[MODELS][4] = {
        {0x61382fccbd041f70ULL, 0x9600bae5b32b36b9ULL, 0xb571099a7089904bULL,
         0x9ad403de7ca245a5ULL},
        {0x8ada352d276b5f4fULL, 0x31f14aea165ae535ULL, 0x5b3fdd7e4d4539dbULL,
         0xbff1fe4616faab85ULL},
    };
    for (int model = 0; model < MODELS; model++) {
        for (int seed = 0; seed < 4; seed++) {
            const Piece *piece = piece_of(model, 0, seed);
            uint64_t now = fingerprint(piece);
            printf("# %s model, solo piano, seed %d: %u notes, fingerprint 0x%016llx\n",
                   model_kinds[model], seed + 1, piece->count, (unsigned long long)now);
            CHECK(now == before[model][seed],
                  "%s model, solo piano, seed %d: fingerprint 0x%016llx, before ensembles "
                  "0x%016llx",
                  model_kinds[model], seed + 1, (unsigned long long)now,
                  (unsigned long long)before[model][seed]);
            for (uint32_t i = 0; i < piece->count; i++)
                CHECK(piece->notes[i].part == PNL_PART_PIANO, "note %u is of part %d", i,
                      piece->notes[i].part);
        }
    }
}

/* A model trained before the PART tokens (of the bundled model's
 * vocabulary, or the one just before PART) asked for a string quartet
 * composes solo piano, the same notes as when asked for it, and says why. */
static void test_a_model_without_parts_composes_solo_piano_and_says_so(void)
{
    for (int model = 0; model < PIANO_MODELS; model++) {
        char message[512] = "", note[512] = "", solo_note[512] = "";
        Piece quartet = {NULL, 0, 0}, solo = {NULL, 0, 0};
        PnlEngine *engine = engine_of(piano_model_paths[model], message, sizeof message);
        CHECK(engine, "loading the model of %d tokens: %s", piano_vocab_sizes[model], message);
        PnlComposeSettings asked = settings_of(pnl_ensemble_index("string_quartet"), 3);
        PnlComposeSettings piano = settings_of(0, 3);
        int status = compose_bars(engine, &asked, &quartet, 0, message, sizeof message, note,
                                  sizeof note);
        PnlPartSet parts = pnl_engine_parts(engine, &asked);
        pnl_engine_forget(engine, 0);
        if (status == 0)
            status = compose_bars(engine, &piano, &solo, 0, message, sizeof message, solo_note,
                                  sizeof solo_note);
        pnl_engine_free(engine);
        uint32_t differ = 0;
        int same = same_notes(&quartet, &solo, &differ);
        uint32_t quartet_count = quartet.count, solo_count = solo.count;
        free(quartet.notes);
        free(solo.notes);
        CHECK(status == 0, "composing failed: %s", message);
        printf("# %d tokens: %s\n", piano_vocab_sizes[model], note);
        CHECK(strstr(note, "solo piano") && strstr(note, "PART"),
              "%d tokens: expected a message that the model lacks the PART tokens and "
              "composes solo piano, got \"%s\"",
              piano_vocab_sizes[model], note);
        CHECK(!solo_note[0], "solo piano left a message: \"%s\"", solo_note);
        CHECK(parts == 0, "pnl_engine_parts says 0x%x, not solo piano", parts);
        CHECK(quartet_count > 0 && same,
              "%d tokens: the quartet asked of a piano model differs from its solo piano from "
              "note %u on (%u and %u notes)",
              piano_vocab_sizes[model], differ, quartet_count, solo_count);
    }
}

int main(void)
{
    char message[512] = "";
    for (int model = 0; model < MODELS; model++) {
        snprintf(model_paths[model], sizeof model_paths[model], "engine-ensembles-%d-%d.pnm",
                 (int)getpid(), model);
        if (random_model_write(model_paths[model], PNL_VOCAB_SIZE,
                        model ? PNL_WEIGHTS_FLAG_KEY_FRAME : 0, message, sizeof message)) {
            printf("FAIL writing the model: %s\n", message);
            return 1;
        }
    }
    for (int model = 0; model < PIANO_MODELS; model++) {
        snprintf(piano_model_paths[model], sizeof piano_model_paths[model],
                 "engine-ensembles-%d-piano-%d.pnm", (int)getpid(), piano_vocab_sizes[model]);
        if (random_model_write(piano_model_paths[model], piano_vocab_sizes[model],
                        PNL_WEIGHTS_FLAG_KEY_FRAME, message, sizeof message)) {
            printf("FAIL writing the piano model: %s\n", message);
            return 1;
        }
    }
    RUN_TEST(compose_every_piece);
    RUN_TEST(test_every_note_is_of_a_declared_role_in_its_range);
    RUN_TEST(test_no_string_sounds_more_than_two_notes_nor_the_melody_more_than_one);
    RUN_TEST(test_the_same_settings_compose_the_same_notes);
    RUN_TEST(test_a_register_out_of_a_roles_range_leaves_it_silent);
    RUN_TEST(test_solo_piano_composes_what_it_did_before_ensembles);
    RUN_TEST(test_a_model_without_parts_composes_solo_piano_and_says_so);
    for (int model = 0; model < MODELS; model++)
        unlink(model_paths[model]);
    for (int model = 0; model < PIANO_MODELS; model++)
        unlink(piano_model_paths[model]);
    for (int i = 0; pieces && i < MODELS * pnl_ensemble_count() * SEEDS; i++)
        free(pieces[i].notes);
    free(pieces);
    CHECK_EXIT();
}
