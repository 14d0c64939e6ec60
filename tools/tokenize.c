/* pianola-tokenize: the corpus to token files for training, and token files
 * back to MIDI.
 *
 *   pianola-tokenize [--catalog FILE] [--density] [--instruments LIST]
 *                    [--other-composer NAME] CORPUS_DIR -o OUT_DIR
 *   pianola-tokenize --encode IN.mid [--composer NAME] [--source KIND] [--density]
 *                    [--tracks NAMES [--instruments LIST]] -o OUT.tok
 *   pianola-tokenize --decode IN.tok [--tempo BPM] -o OUT.mid
 *   pianola-tokenize --print IN.tok|IN.mid [--bars N]
 *   pianola-tokenize --notes IN.tok
 *   pianola-tokenize --vocab OUT.tsv
 *   pianola-tokenize --demo [CORPUS_DIR]
 *
 * The corpus run writes OUT_DIR/<source>/<composer>/<name>.tok (little-endian
 * uint16 token ids, START..END), OUT_DIR/manifest.tsv and OUT_DIR/vocab.tsv,
 * and splits train/validation by work (see choose_validation_works). A
 * catalog with an `instruments` column (the chamber corpus) is read as
 * ensembles: each sounding track is the role its instrument names. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "byte_order.h"
#include "catalog.h"
#include "cli.h"
#include "codec.h"
#include "composers.h"
#include "grammar.h"
#include "hash.h"
#include "key.h"
#include "midifile.h"
#include "parts.h"
#include "score.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

enum { MESSAGE_SIZE = 16384, DETAIL_SIZE = 1024 };

/* The composers the plugin offers (src/composers.h): those of the corpus
 * always get validation works, so training can stop on their loss. The
 * first, the plugin's default, is --encode's. */
static const char *const offered_composers[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};
static const char *const offered_labels[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)};
static const PnlBlendRole offered_blend_roles[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_BLEND)};
/* Share of each composer's notes held out for validation. */
static const double validation_share = 0.10;

static const char *program = "pianola-tokenize";

static void usage(FILE *stream)
{
    fprintf(stream,
            "Usage: %s [--catalog FILE] [--density] [--instruments LIST] [--other-composer NAME]\n"
            "          CORPUS_DIR -o OUT_DIR\n"
            "       %s --encode IN.mid [--composer NAME] [--source KIND] [--density]\n"
            "          [--tracks NAMES [--instruments LIST]] -o OUT.tok\n"
            "       %s --decode IN.tok [--tempo BPM] -o OUT.mid\n"
            "       %s --print IN.tok|IN.mid [--bars N]\n"
            "       %s --notes IN.tok\n"
            "       %s --vocab OUT.tsv\n"
            "       %s --demo [CORPUS_DIR]   (default $PIANOLA_CORPUS, else ../shared/corpus)\n"
            "       %s --composers\n"
            "       %s --parts | --ensembles\n"
            "\n"
            "Turns MIDI files into Pianola's tokens (docs/vocabulary.md) and back.\n"
            "\n"
            "With a corpus folder, reads its catalog.tsv (columns source, composer, file,\n"
            "work), writes one token file per piece to OUT_DIR/<source>/<composer>/,\n"
            "OUT_DIR/manifest.tsv and OUT_DIR/vocab.tsv, and splits the pieces into train\n"
            "and validation by work (about 10%% of each composer's notes held out).\n"
            "\n"
            "Options:\n"
            "  -o, --output PATH     where to write (a folder for a corpus, else a file)\n"
            "      --catalog FILE    the catalog to read [CORPUS_DIR/catalog.tsv]\n"
            "      --encode IN.mid   tokenize one MIDI file\n"
            "      --composer NAME   the composer token for --encode [%s]\n"
            "      --source KIND     the source token for --encode and --print: performed\n"
            "                        (a pianist's dynamics) or engraved (printed ones)\n"
            "                        [performed]; the corpus run takes it from the catalog\n"
            "      --density         write each bar's DENSITY token after its METER (the\n"
            "                        corpus run, --encode and --print): the training data of\n"
            "                        a model with the Density control\n"
            "      --instruments LIST  of an ensemble corpus (a catalog with an instruments\n"
            "                        column) or --tracks: keep only these instruments, e.g.\n"
            "                        'piano' (the songs' piano staves, as solo piano pieces)\n"
            "                        or 'piano,voice'; pieces left without one are skipped\n"
            "      --tracks NAMES    for --encode and --print: the file is an ensemble's, its\n"
            "                        sounding tracks these instruments, as the catalog names\n"
            "                        them ('violin;violin;viola;cello', 'voice;piano;piano')\n"
            "      --other-composer NAME  the composer token of a piece whose composer is not\n"
            "                        in the vocabulary (else it is skipped); the manifest\n"
            "                        keeps the catalog's name in catalog_composer\n"
            "      --decode IN.tok   write a token file as a MIDI file\n"
            "      --tempo BPM       tempo of the decoded MIDI file [120]\n"
            "      --print FILE      print a token or MIDI file's tokens, one bar a line\n"
            "      --bars N          with --print: only the first N bars\n"
            "      --notes IN.tok    print the notes a token file decodes to, one a line:\n"
            "                        bar, position in the bar (ticks), pitch, velocity,\n"
            "                        duration (ticks), and an ensemble's part\n"
            "      --vocab OUT.tsv   write the vocabulary (vocab.tsv) alone\n"
            "      --demo            tokenize Mozart's K. 545 from the corpus, print its first\n"
            "                        bars and write them back as pianola-demo.mid\n"
            "      --composers       list the composers the plugin offers, as a table:\n"
            "                        composer, label, blend (source: its pieces also teach\n"
            "                        the blend; class: the blend itself; -: neither)\n"
            "      --parts           list the roles of an ensemble as a table: part, label,\n"
            "                        GM program, lowest and highest pitch, notes at once\n"
            "                        (0: any), from src/parts.c, for training\n"
            "      --ensembles       list the plugin's ensembles: ensemble, label, parts\n"
            "  -h, --help            show this help\n",
            program, program, program, program, program, program, program, program,
            program, offered_composers[0]);
}

#define die(...) pnl_cli_fail(program, __VA_ARGS__)

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec * 1e-9;
}

/* mkdir -p of the folder that will hold `path` (with `include_last` the
 * path itself). */
static int make_folders(const char *path, int include_last)
{
    char buffer[4096];
    size_t length = strlen(path);
    if (length >= sizeof buffer)
        return -1;
    memcpy(buffer, path, length + 1);
    if (!include_last) {
        char *slash = strrchr(buffer, '/');
        if (!slash)
            return 0;
        *slash = '\0';
    }
    for (char *at = buffer + 1; ; at++) {
        if (*at == '/' || *at == '\0') {
            char saved = *at;
            *at = '\0';
            if (mkdir(buffer, 0777) && errno != EEXIST)
                return -1;
            *at = saved;
            if (!saved)
                break;
        }
    }
    return 0;
}

/* ---- Tokens of one piece -------------------------------------------------- */

/* A piece's tokens as written, with its key (src/tokenize.h). With
 * `instruments` (the catalog's names of its sounding tracks) the file is an
 * ensemble's, its tracks the roles they name, less those not in `keep`
 * (a comma-separated list; NULL keeps all). */
static int tokenize_file(const char *path, int composer, PnlSourceKind source,
                         int density_bars, const char *instruments, const char *keep,
                         PnlTokenized *out, char *message)
{
    PnlTokenizeOptions options = {.composer = composer, .with_source = 1, .source = source,
                                  .density_bars = density_bars, .key = PNL_TOKENS_AS_WRITTEN};
    if (instruments && pnl_tokenize_parts_of_instruments(instruments, keep, &options, message,
                                                         MESSAGE_SIZE)) {
        char reason[DETAIL_SIZE];
        snprintf(reason, sizeof reason, "%s", message);
        snprintf(message, MESSAGE_SIZE, "%s: %s", path, reason);
        return PNL_EINVAL;
    }
    return pnl_tokenize_midi_file(path, &options, out, message, MESSAGE_SIZE);
}

/* The roles of a piece, as the manifest lists them: "violin_1,cello,piano"
 * in role order, "piano" for solo piano. */
static void parts_name(PnlPartSet parts, char *name, size_t size)
{
    size_t length = 0;
    name[0] = '\0';
    if (!parts)
        parts = 1u << PNL_PART_PIANO;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if (parts >> part & 1u && length < size)
            length += (size_t)snprintf(name + length, size - length, "%s%s", length ? "," : "",
                                       pnl_part_role(part)->name);
}

static int write_tokens(const char *path, const uint16_t *tokens, size_t count)
{
    FILE *file;
    uint8_t *bytes = malloc(2 * count + 1);
    int ok;
    if (!bytes)
        return -1;
    for (size_t i = 0; i < count; i++)
        pnl_write_le16(bytes + 2 * i, tokens[i]);
    file = fopen(path, "wb");
    ok = file && fwrite(bytes, 2, count, file) == count;
    if (file && fclose(file))
        ok = 0;
    free(bytes);
    return ok ? 0 : -1;
}

/* Reads a token file; returns its tokens (malloc'd) or NULL with a message. */
static uint16_t *read_tokens(const char *path, size_t *count, char *message)
{
    FILE *file = fopen(path, "rb");
    uint8_t *bytes;
    uint16_t *tokens;
    long size;
    if (!file) {
        snprintf(message, MESSAGE_SIZE, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET)) {
        fclose(file);
        snprintf(message, MESSAGE_SIZE, "%s: cannot read", path);
        return NULL;
    }
    if (size % 2) {
        fclose(file);
        snprintf(message, MESSAGE_SIZE, "%s: %ld bytes is not a whole number of 16-bit tokens",
                 path, size);
        return NULL;
    }
    bytes = malloc((size_t)size + 1);
    tokens = malloc((size_t)size / 2 * sizeof *tokens + 1);
    if (!bytes || !tokens || fread(bytes, 1, (size_t)size, file) != (size_t)size) {
        fclose(file);
        free(bytes);
        free(tokens);
        snprintf(message, MESSAGE_SIZE, "%s: cannot read", path);
        return NULL;
    }
    fclose(file);
    *count = (size_t)size / 2;
    for (size_t i = 0; i < *count; i++) {
        tokens[i] = pnl_read_le16(bytes + 2 * i);
        if (tokens[i] >= PNL_VOCAB_SIZE) {
            snprintf(message, MESSAGE_SIZE, "%s: token %zu has id %u, outside the vocabulary of %d",
                     path, i, tokens[i], PNL_VOCAB_SIZE);
            free(bytes);
            free(tokens);
            return NULL;
        }
    }
    free(bytes);
    return tokens;
}

static int write_vocabulary(const char *path)
{
    FILE *file = fopen(path, "w");
    char name[PNL_TOKEN_NAME_MAX];
    if (!file)
        return -1;
    fprintf(file, "# pianola vocabulary signature %016llx\n",
            (unsigned long long)pnl_vocab_signature());
    /* The earlier vocabularies, each a start of this one, that weights
     * files may still carry: training exports to them (export --solo-piano)
     * with the codec's own signature of each. */
    const int earlier[] = {PNL_VOCAB_SIZE_BEFORE_DENSITY, PNL_VOCAB_SIZE_BEFORE_PARTS};
    for (size_t i = 0; i < sizeof earlier / sizeof earlier[0]; i++)
        fprintf(file, "# earlier vocabulary of %d tokens %016llx\n", earlier[i],
                (unsigned long long)pnl_vocab_prefix_signature(earlier[i]));
    /* Where each DENSITY step begins, for training's synthetic pieces
     * (train/synthetic.py), which write the step of a bar they make. */
    fprintf(file, "# density lower edges in notes per beat");
    for (int step = 0; step < PNL_DENSITY_COUNT; step++)
        fprintf(file, " %g", pnl_density_lower_edge(step));
    fprintf(file, "\n");
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        pnl_token_name(token, name, sizeof name);
        fprintf(file, "%d\t%s\n", token, name);
    }
    return fclose(file) ? -1 : 0;
}

/* Prints tokens as names, one bar to a line (at most `bars` bars if > 0). */
static void print_tokens(FILE *stream, const uint16_t *tokens, size_t count, int bars)
{
    int bar = 0;
    char name[PNL_TOKEN_NAME_MAX];
    for (size_t i = 0; i < count; i++) {
        int family = pnl_token_family(tokens[i]);
        if (family == PNL_FAMILY_BAR || family == PNL_FAMILY_END) {
            if (bars > 0 && bar == bars) {
                fputs("\n...\n", stream);
                return;
            }
            fputc('\n', stream);
            bar += family == PNL_FAMILY_BAR;
        } else if (family == PNL_FAMILY_POS && i > 0) {
            fputs("  ", stream);
        } else if (i > 0) {
            fputc(' ', stream);
        }
        pnl_token_name(tokens[i], name, sizeof name);
        fputs(name, stream);
    }
    fputc('\n', stream);
}

/* ---- The catalog and the split ------------------------------------------- */

typedef struct {
    const char *source, *composer, *file, *work; /* the catalog's row */
    const char *instruments; /* the catalog's, NULL for a piano corpus */
    int composer_token;      /* the COMPOSER the piece is written with */
    PnlPartSet parts;        /* the roles it declares; 0 for solo piano */
    int skipped;             /* none of its instruments kept (--instruments) */
    char *tokens_path; /* relative to the output folder */
    size_t notes, notes_in_file, token_count;
    PnlKey key;
    int frame_shift; /* semitones the piece lies above the normalized key */
    int validation;
    int failed;
} Piece;

typedef struct {
    PnlCatalog rows;
    Piece *pieces; /* one per row */
    size_t count;
} Catalog;

static void free_catalog(Catalog *catalog)
{
    for (size_t i = 0; i < catalog->count; i++)
        free(catalog->pieces[i].tokens_path);
    free(catalog->pieces);
    pnl_catalog_free(&catalog->rows);
}

static int read_catalog(const char *path, Catalog *catalog, char *message)
{
    memset(catalog, 0, sizeof *catalog);
    if (pnl_catalog_read(path, &catalog->rows, message, MESSAGE_SIZE))
        return -1;
    catalog->pieces = calloc(catalog->rows.count + 1, sizeof *catalog->pieces);
    if (!catalog->pieces) {
        pnl_catalog_free(&catalog->rows);
        snprintf(message, MESSAGE_SIZE, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < catalog->rows.count; i++) {
        const PnlCatalogPiece *row = &catalog->rows.pieces[i];
        Piece *piece = &catalog->pieces[catalog->count++];
        const char *base = strrchr(row->file, '/'), *dot;
        size_t length;
        piece->source = row->source;
        piece->composer = row->composer;
        piece->file = row->file;
        piece->work = row->work;
        piece->instruments = row->instruments;
        base = base ? base + 1 : row->file;
        dot = strrchr(base, '.');
        length = dot ? (size_t)(dot - base) : strlen(base);
        piece->tokens_path = malloc(strlen(row->source) + strlen(row->composer) + length + 8);
        if (!piece->tokens_path) {
            free_catalog(catalog);
            snprintf(message, MESSAGE_SIZE, "out of memory");
            return -1;
        }
        sprintf(piece->tokens_path, "%s/%s/%.*s.tok", row->source, row->composer, (int)length,
                base);
    }
    return 0;
}

typedef struct {
    const char *work;
    const char *composer;
    size_t notes;
    uint64_t order;
} Work;

static int compare_works(const void *a_pointer, const void *b_pointer)
{
    const Work *a = a_pointer, *b = b_pointer;
    int by_composer = strcmp(a->composer, b->composer);
    if (by_composer)
        return by_composer;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return strcmp(a->work, b->work);
}

/* Chooses the validation works: for each composer with two works or more,
 * works in a fixed pseudo-random order (a hash of the work's name) join
 * validation while they keep its share of the composer's notes within 1.5
 * times the target, until the target is reached. A work is one unit, so its
 * files (both sources, every movement) land on one side together. Every
 * target composer gets at least its smallest work. Deterministic: the same
 * catalog gives the same split. */
static void choose_validation_works(Catalog *catalog)
{
    Work *works = calloc(catalog->count + 1, sizeof *works);
    size_t work_count = 0;
    if (!works)
        return;
    for (size_t i = 0; i < catalog->count; i++) {
        const Piece *piece = &catalog->pieces[i];
        size_t w = 0;
        if (piece->failed || piece->skipped)
            continue;
        for (; w < work_count; w++)
            if (!strcmp(works[w].work, piece->work))
                break;
        if (w == work_count) {
            works[w].work = piece->work;
            works[w].composer = piece->composer;
            works[w].order = pnl_fnv1a_string(piece->work);
            work_count++;
        }
        works[w].notes += piece->notes;
    }
    qsort(works, work_count, sizeof *works, compare_works);
    for (size_t first = 0; first < work_count;) {
        size_t last = first, total = 0, held_out = 0, smallest = first;
        int is_target = 0;
        while (last < work_count && !strcmp(works[last].composer, works[first].composer)) {
            total += works[last].notes;
            if (works[last].notes < works[smallest].notes)
                smallest = last;
            last++;
        }
        for (int c = 0; c < PNL_COMPOSER_CHOICE_COUNT; c++)
            is_target |= offered_blend_roles[c] != PNL_BLEND_CLASS &&
                         !strcmp(works[first].composer, offered_composers[c]);
        if (last - first >= 2) {
            double target = validation_share * (double)total;
            for (size_t w = first; w < last && (double)held_out < target; w++) {
                if ((double)(held_out + works[w].notes) <= 1.5 * target) {
                    held_out += works[w].notes;
                    works[w].order = UINT64_MAX; /* marks "validation" */
                }
            }
            if (!held_out && is_target)
                works[smallest].order = UINT64_MAX;
        }
        first = last;
    }
    for (size_t i = 0; i < catalog->count; i++)
        for (size_t w = 0; w < work_count; w++)
            if (!strcmp(works[w].work, catalog->pieces[i].work))
                catalog->pieces[i].validation = works[w].order == UINT64_MAX;
    free(works);
}

/* ---- Commands -------------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t files, notes, tokens, validation_notes, validation_tokens;
} ComposerTotals;

/* What one ensemble (a set of roles) came to, and what making its parts
 * playable changed. */
typedef struct {
    PnlPartSet parts;
    size_t files, notes, tokens, left_out;
    PnlPlayableCounts playable;
} EnsembleTotals;

/* What the corpus run is asked: the density mode, the instruments to keep
 * (NULL: all) and the composer that stands in for one outside the
 * vocabulary (NULL: such pieces are skipped). */
typedef struct {
    int density_bars;
    const char *keep;
    const char *other_composer;
} CorpusSettings;

static int tokenize_corpus(const char *corpus, const char *catalog_path,
                           const CorpusSettings *settings, const char *out_dir)
{
    char message[MESSAGE_SIZE];
    char path[4096], default_catalog[4096], roles[256];
    Catalog catalog;
    ComposerTotals totals[PNL_COMPOSER_COUNT];
    EnsembleTotals ensembles[64];
    size_t ensemble_count = 0, skipped = 0, stand_ins = 0;
    size_t files = 0, failed = 0, notes = 0, notes_in_file = 0, tokens = 0;
    size_t dropped_range = 0, dropped_duplicates = 0;
    int has_instruments = 0;
    double started = now_seconds(), seconds;
    FILE *manifest;

    if (!catalog_path) {
        snprintf(default_catalog, sizeof default_catalog, "%s/catalog.tsv", corpus);
        catalog_path = default_catalog;
    }
    if (read_catalog(catalog_path, &catalog, message))
        return die("%s", message);
    if (make_folders(out_dir, 1)) {
        free_catalog(&catalog);
        return die("%s: cannot create the folder: %s", out_dir, strerror(errno));
    }
    memset(totals, 0, sizeof totals);
    memset(ensembles, 0, sizeof ensembles);
    for (int c = 0; c < PNL_COMPOSER_COUNT; c++)
        totals[c].name = pnl_composer_name(c);
    for (size_t i = 0; i < catalog.count; i++)
        has_instruments |= catalog.pieces[i].instruments != NULL;

    for (size_t i = 0; i < catalog.count; i++) {
        Piece *piece = &catalog.pieces[i];
        int composer = pnl_composer_index(piece->composer);
        PnlTokenized tokenized;
        snprintf(path, sizeof path, "%s/%s", corpus, piece->file);
        if (composer < 0 && settings->other_composer) {
            /* The chamber corpus's Boccherini or Sitt: written under the
             * stand-in, and listed in the manifest under their own name. */
            composer = pnl_composer_index(settings->other_composer);
            stand_ins++;
        }
        if (composer < 0) {
            fprintf(stderr, "%s: %s: composer '%s' is not in the vocabulary; skipped\n", program,
                    path, piece->composer);
            piece->failed = 1;
            failed++;
            continue;
        }
        piece->composer_token = composer;
        if (tokenize_file(path, composer, pnl_catalog_source_kind(piece->source),
                          settings->density_bars, piece->instruments, settings->keep,
                          &tokenized, message)) {
            fprintf(stderr, "%s: %s; skipped\n", program, message);
            piece->failed = 1;
            failed++;
            continue;
        }
        if (piece->instruments && tokenized.stats.notes_kept == 0 && tokenized.notes_left_out) {
            /* Every instrument of the piece left out (--instruments). */
            pnl_tokenized_free(&tokenized);
            piece->skipped = 1;
            skipped++;
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", out_dir, piece->tokens_path);
        if (make_folders(path, 0) || write_tokens(path, tokenized.tokens, tokenized.count)) {
            pnl_tokenized_free(&tokenized);
            free_catalog(&catalog);
            return die("%s: cannot write: %s", path, strerror(errno));
        }
        piece->notes = tokenized.stats.notes_kept;
        piece->notes_in_file = tokenized.stats.notes_in_file;
        piece->token_count = tokenized.count;
        piece->parts = tokenized.parts;
        /* The transposition that carries the piece to C major / A minor
         * while keeping it on the piano: what a key-normalized network is
         * trained on (src/key.h). */
        piece->key = tokenized.key;
        piece->frame_shift = tokenized.key_shift;
        files++;
        notes += piece->notes;
        notes_in_file += piece->notes_in_file;
        tokens += tokenized.count;
        dropped_range += tokenized.stats.dropped_out_of_range;
        dropped_duplicates += tokenized.stats.dropped_duplicates;
        totals[composer].files++;
        totals[composer].notes += piece->notes;
        totals[composer].tokens += tokenized.count;
        {
            size_t e = 0;
            while (e < ensemble_count && ensembles[e].parts != tokenized.parts)
                e++;
            if (e == ensemble_count && ensemble_count < sizeof ensembles / sizeof ensembles[0])
                ensembles[ensemble_count++].parts = tokenized.parts;
            if (e < ensemble_count) {
                EnsembleTotals *total = &ensembles[e];
                total->files++;
                total->notes += piece->notes;
                total->tokens += tokenized.count;
                total->left_out += tokenized.notes_left_out;
                total->playable.out_of_range += tokenized.playable.out_of_range;
                total->playable.undeclared += tokenized.playable.undeclared;
                total->playable.chord_notes += tokenized.playable.chord_notes;
                total->playable.overlaps_cut += tokenized.playable.overlaps_cut;
                total->playable.restruck += tokenized.playable.restruck;
            }
        }
        pnl_tokenized_free(&tokenized);
    }
    choose_validation_works(&catalog);

    snprintf(path, sizeof path, "%s/manifest.tsv", out_dir);
    manifest = fopen(path, "w");
    if (!manifest) {
        free_catalog(&catalog);
        return die("%s: cannot write: %s", path, strerror(errno));
    }
    /* An ensemble corpus adds two columns: the roles each piece declares,
     * and the catalog's composer where the COMPOSER token stands in. */
    fprintf(manifest,
            "tokens\tsource\tcomposer\twork\tfile\tsplit\tnotes\tn_tokens\tkey\tframe_shift%s\n",
            has_instruments ? "\tparts\tcatalog_composer" : "");
    for (size_t i = 0; i < catalog.count; i++) {
        const Piece *piece = &catalog.pieces[i];
        int composer = piece->composer_token;
        if (piece->failed || piece->skipped)
            continue;
        fprintf(manifest, "%s\t%s\t%s\t%s\t%s\t%s\t%zu\t%zu\t%s %s\t%d",
                piece->tokens_path, piece->source, pnl_composer_name(composer), piece->work,
                piece->file, piece->validation ? "validation" : "train", piece->notes,
                piece->token_count, pnl_key_tonic_name(piece->key.tonic),
                piece->key.minor ? "minor" : "major", piece->frame_shift);
        if (has_instruments) {
            parts_name(piece->parts, roles, sizeof roles);
            fprintf(manifest, "\t%s\t%s", roles, piece->composer);
        }
        fputc('\n', manifest);
        if (piece->validation) {
            totals[composer].validation_notes += piece->notes;
            totals[composer].validation_tokens += piece->token_count;
        }
    }
    if (fclose(manifest)) {
        free_catalog(&catalog);
        return die("%s: cannot write", path);
    }
    snprintf(path, sizeof path, "%s/vocab.tsv", out_dir);
    if (write_vocabulary(path)) {
        free_catalog(&catalog);
        return die("%s: cannot write", path);
    }
    seconds = now_seconds() - started;

    printf("files: %zu tokenized, %zu skipped", files, failed);
    if (skipped)
        printf(", %zu without a kept instrument", skipped);
    if (stand_ins)
        printf(", %zu under COMPOSER_%s", stand_ins, settings->other_composer);
    printf("\n");
    printf("notes: %zu (%.2f%% of the %zu note-ons in the files; %zu outside A0..C8, "
           "%zu repeated pitches merged)\n",
           notes, notes_in_file ? 100.0 * (double)notes / (double)notes_in_file : 0.0,
           notes_in_file, dropped_range, dropped_duplicates);
    printf("tokens: %zu (%.3f per note)\n", tokens, notes ? (double)tokens / (double)notes : 0.0);
    printf("vocabulary: %d tokens, signature %016llx\n", PNL_VOCAB_SIZE,
           (unsigned long long)pnl_vocab_signature());
    printf("%-14s %6s %9s %10s %9s %14s\n", "composer", "files", "notes", "tokens", "tok/note",
           "validation");
    for (int c = 0; c < PNL_COMPOSER_COUNT; c++) {
        const ComposerTotals *total = &totals[c];
        if (!total->files)
            continue;
        printf("%-14s %6zu %9zu %10zu %9.3f %8zu notes (%.1f%%)\n", total->name, total->files,
               total->notes, total->tokens,
               total->notes ? (double)total->tokens / (double)total->notes : 0.0,
               total->validation_notes,
               total->notes ? 100.0 * (double)total->validation_notes / (double)total->notes
                            : 0.0);
    }
    if (has_instruments) {
        /* Notes changed to make the parts playable (src/playable.h). */
        printf("%-32s %5s %9s %10s %8s %10s %9s %9s %9s %9s\n", "parts", "files", "notes",
               "tokens", "tok/note", "left out", "range", "chord", "cut", "restruck");
        for (size_t e = 0; e < ensemble_count; e++) {
            const EnsembleTotals *total = &ensembles[e];
            parts_name(total->parts, roles, sizeof roles);
            printf("%-32s %5zu %9zu %10zu %8.3f %10zu %9zu %9zu %9zu %9zu\n", roles,
                   total->files, total->notes, total->tokens,
                   total->notes ? (double)total->tokens / (double)total->notes : 0.0,
                   total->left_out, total->playable.out_of_range, total->playable.chord_notes,
                   total->playable.overlaps_cut, total->playable.restruck);
        }
    }
    printf("speed: %.2f s, %.1f files/s\n", seconds, seconds > 0 ? (double)files / seconds : 0.0);
    free_catalog(&catalog);
    return failed ? die("%zu files could not be tokenized (see above)", failed) : 0;
}

static int encode_command(const char *input, const char *composer_name, PnlSourceKind source,
                          int density_bars, const char *tracks, const char *keep,
                          const char *output)
{
    char message[MESSAGE_SIZE];
    PnlTokenized tokenized;
    int composer = pnl_composer_index(composer_name);
    if (composer < 0)
        return die("unknown composer '%s' (see docs/vocabulary.md)", composer_name);
    if (tokenize_file(input, composer, source, density_bars, tracks, keep, &tokenized, message))
        return die("%s", message);
    if (write_tokens(output, tokenized.tokens, tokenized.count)) {
        pnl_tokenized_free(&tokenized);
        return die("%s: cannot write: %s", output, strerror(errno));
    }
    pnl_tokenized_free(&tokenized);
    return 0;
}

static int decode_command(const char *input, double tempo, const char *output)
{
    char message[MESSAGE_SIZE], detail[DETAIL_SIZE];
    size_t count = 0;
    uint16_t *tokens = read_tokens(input, &count, message);
    PnlScore score;
    int status;
    if (!tokens)
        return die("%s", message);
    pnl_score_init(&score);
    status = pnl_decode(tokens, count, &score, NULL, detail, sizeof detail);
    free(tokens);
    if (status) {
        pnl_score_free(&score);
        return die("%s: %s", input, detail);
    }
    status = pnl_midi_write(output, &score, tempo, message, sizeof message);
    pnl_score_free(&score);
    return status ? die("%s", message) : 0;
}

static int has_suffix(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && !strcmp(text + length - suffix_length, suffix);
}

static int print_command(const char *input, const char *composer_name, PnlSourceKind source,
                         int density_bars, const char *tracks, const char *keep, int bars)
{
    char message[MESSAGE_SIZE];
    if (has_suffix(input, ".mid") || has_suffix(input, ".midi") || has_suffix(input, ".MID")) {
        PnlTokenized tokenized;
        int composer = pnl_composer_index(composer_name);
        if (composer < 0)
            return die("unknown composer '%s'", composer_name);
        if (tokenize_file(input, composer, source, density_bars, tracks, keep, &tokenized,
                          message))
            return die("%s", message);
        print_tokens(stdout, tokenized.tokens, tokenized.count, bars);
        pnl_tokenized_free(&tokenized);
    } else {
        size_t count = 0;
        uint16_t *tokens = read_tokens(input, &count, message);
        if (!tokens)
            return die("%s", message);
        print_tokens(stdout, tokens, count, bars);
        free(tokens);
    }
    return 0;
}

/* The composers the plugin offers, for training (train/data.py). */
static int composers_command(void)
{
    static const char *const blend_names[] = {[PNL_BLEND_NONE] = "-",
                                              [PNL_BLEND_SOURCE] = "source",
                                              [PNL_BLEND_CLASS] = "class"};
    printf("composer\tlabel\tblend\n");
    for (int c = 0; c < PNL_COMPOSER_CHOICE_COUNT; c++)
        printf("%s\t%s\t%s\n", offered_composers[c], offered_labels[c],
               blend_names[offered_blend_roles[c]]);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The roles' table (src/parts.c), for training (train/data.py), which keeps
 * every part of a transposed piece in its instrument's range. */
static int parts_command(void)
{
    printf("part\tlabel\tprogram\tlowest\thighest\tvoices\n");
    for (int part = 0; part < PNL_PART_COUNT; part++) {
        const PnlPartRole *role = pnl_part_role(part);
        printf("%s\t%s\t%d\t%d\t%d\t%d\n", role->name, role->label, role->program,
               role->lowest, role->highest, role->voices);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The plugin's ensembles and their roles in role order, for training's
 * figures per ensemble. */
static int ensembles_command(void)
{
    printf("ensemble\tlabel\tparts\n");
    for (int i = 0; i < pnl_ensemble_count(); i++) {
        const PnlEnsemble *ensemble = pnl_ensemble(i);
        const char *separator = "";
        printf("%s\t%s\t", ensemble->name, ensemble->label);
        for (int part = 0; part < PNL_PART_COUNT; part++) {
            if (ensemble->parts & (1u << part)) {
                printf("%s%s", separator, pnl_part_role(part)->name);
                separator = ",";
            }
        }
        printf("\n");
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The notes of a token file as the codec decodes them, in token order, for
 * training's evaluation (train/codec.py), which never decodes tokens itself. */
static int notes_command(const char *input)
{
    char message[MESSAGE_SIZE], name[PNL_TOKEN_NAME_MAX];
    size_t count = 0;
    uint16_t *tokens = read_tokens(input, &count, message);
    PnlDecoder decoder;
    PnlNote note;
    if (!tokens)
        return die("%s", message);
    pnl_decoder_reset(&decoder);
    pnl_grammar_set_density(&decoder.grammar, pnl_grammar_density_of(tokens, count));
    printf("# bar\tposition\tpitch\tvelocity\tduration\n");
    for (size_t i = 0; i < count; i++) {
        int status = pnl_decoder_push(&decoder, tokens[i], &note);
        if (status < 0) {
            pnl_token_name(tokens[i], name, sizeof name);
            free(tokens);
            return die("%s: token %zu (%s) breaks the grammar", input, i, name);
        }
        if (status == 1 && !decoder.grammar.parts)
            printf("%d\t%d\t%d\t%d\t%d\n", decoder.grammar.bar_count,
                   pnl_grammar_position(&decoder.grammar), note.pitch, note.velocity,
                   (int)note.duration_ticks);
        else if (status == 1) /* an ensemble's: the part, by its name, last */
            printf("%d\t%d\t%d\t%d\t%d\t%s\n", decoder.grammar.bar_count,
                   pnl_grammar_position(&decoder.grammar), note.pitch, note.velocity,
                   (int)note.duration_ticks, pnl_part_role(note.part)->name);
    }
    free(tokens);
    return 0;
}

/* The README's first command: the codec on a real piece, both ways. */
static int demo_command(const char *corpus)
{
    static const char *const demo_file = "mutopia/mozart/KV545_K545-1.mid";
    static const char *const demo_output = "pianola-demo.mid";
    char path[4096], message[MESSAGE_SIZE], detail[MESSAGE_SIZE];
    PnlTokenized tokenized;
    PnlScore score;
    int status;
    snprintf(path, sizeof path, "%s/%s", corpus, demo_file);
    if (tokenize_file(path, pnl_composer_index("mozart"), PNL_SOURCE_ENGRAVED, 0, NULL, NULL,
                      &tokenized, message))
        return die("%s", message);
    printf("%s: %zu notes -> %zu tokens (%.2f per note)\n\nThe first four bars:\n", path,
           tokenized.stats.notes_kept, tokenized.count,
           (double)tokenized.count / (double)(tokenized.stats.notes_kept ? tokenized.stats.notes_kept : 1));
    print_tokens(stdout, tokenized.tokens, tokenized.count, 4);
    pnl_score_init(&score);
    status = pnl_decode(tokenized.tokens, tokenized.count, &score, NULL, detail, sizeof detail);
    pnl_tokenized_free(&tokenized);
    if (!status)
        status = pnl_midi_write(demo_output, &score, 120.0, detail, sizeof detail);
    if (status) {
        pnl_score_free(&score);
        return die("%s", detail);
    }
    printf("\nDecoded back to MIDI at 120 BPM: %s (%zu notes)\n", demo_output, score.note_count);
    pnl_score_free(&score);
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_CATALOG = 256, OPT_ENCODE, OPT_DECODE, OPT_COMPOSER, OPT_TEMPO, OPT_PRINT,
           OPT_BARS, OPT_DEMO, OPT_COMPOSERS, OPT_NOTES, OPT_VOCAB, OPT_SOURCE, OPT_DENSITY,
           OPT_INSTRUMENTS, OPT_TRACKS, OPT_OTHER_COMPOSER, OPT_PARTS, OPT_ENSEMBLES };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"catalog", required_argument, NULL, OPT_CATALOG},
        {"encode", required_argument, NULL, OPT_ENCODE},
        {"decode", required_argument, NULL, OPT_DECODE},
        {"composer", required_argument, NULL, OPT_COMPOSER},
        {"tempo", required_argument, NULL, OPT_TEMPO},
        {"print", required_argument, NULL, OPT_PRINT},
        {"bars", required_argument, NULL, OPT_BARS},
        {"demo", no_argument, NULL, OPT_DEMO},
        {"composers", no_argument, NULL, OPT_COMPOSERS},
        {"parts", no_argument, NULL, OPT_PARTS},
        {"ensembles", no_argument, NULL, OPT_ENSEMBLES},
        {"notes", required_argument, NULL, OPT_NOTES},
        {"vocab", required_argument, NULL, OPT_VOCAB},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"density", no_argument, NULL, OPT_DENSITY},
        {"instruments", required_argument, NULL, OPT_INSTRUMENTS},
        {"tracks", required_argument, NULL, OPT_TRACKS},
        {"other-composer", required_argument, NULL, OPT_OTHER_COMPOSER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *catalog = NULL, *encode = NULL, *decode = NULL, *print = NULL;
    const char *notes = NULL, *vocab = NULL;
    const char *keep = NULL, *tracks = NULL, *other_composer = NULL;
    const char *composer = offered_composers[0];
    PnlSourceKind source = PNL_SOURCE_PERFORMED;
    double tempo = 120.0;
    int bars = 0, demo = 0, list_composers = 0, list_parts = 0, list_ensembles = 0;
    int density_bars = 0, option;
    char *end;

    while ((option = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (option) {
        case 'o': output = optarg; break;
        case OPT_CATALOG: catalog = optarg; break;
        case OPT_ENCODE: encode = optarg; break;
        case OPT_DECODE: decode = optarg; break;
        case OPT_COMPOSER: composer = optarg; break;
        case OPT_PRINT: print = optarg; break;
        case OPT_DEMO: demo = 1; break;
        case OPT_COMPOSERS: list_composers = 1; break;
        case OPT_PARTS: list_parts = 1; break;
        case OPT_ENSEMBLES: list_ensembles = 1; break;
        case OPT_NOTES: notes = optarg; break;
        case OPT_VOCAB: vocab = optarg; break;
        case OPT_DENSITY: density_bars = 1; break;
        case OPT_INSTRUMENTS: keep = optarg; break;
        case OPT_TRACKS: tracks = optarg; break;
        case OPT_OTHER_COMPOSER:
            if (pnl_composer_index(optarg) < 0)
                return die("--other-composer: '%s' is not a composer of the vocabulary", optarg);
            other_composer = optarg;
            break;
        case OPT_SOURCE:
            if (pnl_source_index(optarg) < 0)
                return die("--source: '%s' is neither 'performed' nor 'engraved'", optarg);
            source = (PnlSourceKind)pnl_source_index(optarg);
            break;
        case OPT_TEMPO:
            tempo = strtod(optarg, &end);
            if (*end || !(tempo >= 1.0 && tempo <= 1000.0))
                return die("--tempo: '%s' is not a tempo in BPM between 1 and 1000", optarg);
            break;
        case OPT_BARS:
            bars = (int)strtol(optarg, &end, 10);
            if (*end || bars < 1)
                return die("--bars: '%s' is not a positive number", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "Try '%s --help'.\n", program);
            return 2;
        }
    }
    if (!!encode + !!decode + !!print + !!notes + !!vocab + demo + list_composers +
            list_parts + list_ensembles > 1)
        return die("--encode, --decode, --print, --notes, --vocab, --demo, --composers, "
                   "--parts and --ensembles exclude each other");
    if (list_composers || list_parts || list_ensembles) {
        if (optind < argc)
            return die("unexpected argument '%s'", argv[optind]);
        return list_composers ? composers_command()
                              : list_parts ? parts_command() : ensembles_command();
    }
    if (notes || vocab) {
        if (optind < argc)
            return die("unexpected argument '%s'", argv[optind]);
        if (notes)
            return notes_command(notes);
        return write_vocabulary(vocab) ? die("%s: cannot write: %s", vocab, strerror(errno)) : 0;
    }
    if (demo) {
        if (optind + 1 < argc)
            return die("--demo takes at most one corpus folder");
        if (optind < argc)
            return demo_command(argv[optind]);
        return demo_command(getenv("PIANOLA_CORPUS") ? getenv("PIANOLA_CORPUS")
                                                      : "../shared/corpus");
    }
    if (print) {
        if (optind < argc)
            return die("unexpected argument '%s'", argv[optind]);
        return print_command(print, composer, source, density_bars, tracks, keep, bars);
    }
    if (!output)
        return die("no output given (-o PATH); see --help");
    if (encode || decode) {
        if (optind < argc)
            return die("unexpected argument '%s'", argv[optind]);
        return encode ? encode_command(encode, composer, source, density_bars, tracks, keep,
                                       output)
                      : decode_command(decode, tempo, output);
    }
    if (optind + 1 != argc)
        return die(optind == argc ? "no corpus folder given; see --help"
                                  : "more than one corpus folder given");
    CorpusSettings settings = {density_bars, keep, other_composer};
    return tokenize_corpus(argv[optind], catalog, &settings, output);
}
