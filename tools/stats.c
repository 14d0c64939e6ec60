/* pianola-stats: musical figures of composed MIDI files beside the same
 * figures of a composer's own pieces in the corpus, or of an ensemble's
 * parts beside the same parts in the chamber corpus.
 *
 *   pianola-stats --composer NAME [--meter N/D] [--corpus DIR] [--tsv]
 *                 [--histograms] [FILE.mid...]
 *   pianola-stats --ensemble NAME [--composer NAME] [--meter N/D]
 *                 [--tracks NAMES] [--corpus DIR] [--tsv] [FILE.mid...]
 *
 * Every file, composed or from the corpus, is read by the MIDI reader
 * (src/midifile.h) and measured by src/music_stats.h; the corpus pieces
 * are the catalog's rows of that composer (tools/common/catalog.h). Figures
 * that depend on bars and beats compare with the composer's pieces in the
 * files' meter; the others with all of the composer's pieces. One row per
 * figure: the mean over the composed files, the mean over the corpus pieces
 * and their range (docs/music-stats.md).
 *
 * With --ensemble, each file's tracks are parts by their names (the names
 * pnl_midi_write gives them, parts.h) or by --tracks, as the catalog names
 * a corpus piece's instruments; the corpus pieces are the catalog's
 * rows whose `instruments` are that ensemble's parts, and the figures are
 * each part's (src/music_stats.h, pnl_music_stats_parts). */
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "midifile.h"
#include "music_stats.h"
#include "parts.h"
#include "score.h"
#include "status.h"
#include "tokenize.h"
#include "vocabulary.h"

static const char *program = "pianola-stats";

enum { MESSAGE_SIZE = 4096 + 2 * 8192, PATH_SIZE = 4096 };

#define die(...) pnl_cli_fail(program, __VA_ARGS__)

typedef enum {
    FIGURE_FIELD,       /* a double of PnlMusicStats */
    FIGURE_IOI_OVERLAP, /* overlap of the piece's histogram with the corpus's */
    FIGURE_PITCH_CLASS_OVERLAP,
    FIGURE_IOI_SHARE,   /* one bin of the piece's normalized histogram */
    FIGURE_PITCH_CLASS_SHARE
} FigureKind;

typedef struct {
    const char *id;    /* the --tsv name */
    const char *label; /* the table's */
    const char *help;  /* one line for --help */
    FigureKind kind;
    size_t field;      /* FIGURE_FIELD: offsetof(PnlMusicStats, ...) */
    int by_meter;      /* compared with the corpus pieces in the files' meter only */
    double scale;      /* 100 for a share shown in % */
    int decimals;
} Figure;

#define FIELD(name) FIGURE_FIELD, offsetof(PnlMusicStats, name)

static const Figure figures[] = {
    {"silent_last_beat_bars_pct", "bars whose last beat is silent, %",
     "bars in which nothing sounds anywhere in the last beat", FIELD(silent_last_beat_share), 1,
     100, 1},
    {"silent_beats_pct", "beats with nothing sounding, %", "beats in which nothing sounds",
     FIELD(silent_beat_share), 1, 100, 1},
    {"notes_per_beat", "notes per beat", "notes struck, over the beats from first bar to last",
     FIELD(notes_per_beat), 1, 1, 2},
    {"polyphony", "polyphony (notes sounding at an onset)",
     "notes sounding at an onset (struck there or still held), mean over onsets",
     FIELD(polyphony), 0, 1, 2},
    {"lowest_pitch", "lowest pitch (MIDI)", "the piece's lowest note (60 is middle C)",
     FIELD(lowest), 0, 1, 1},
    {"highest_pitch", "highest pitch (MIDI)", "the piece's highest note", FIELD(highest), 0, 1, 1},
    {"pitch_span_5_95", "pitch span, 5th-95th percentile, semitones",
     "the range of the middle 90% of the notes", FIELD(pitch_span_5_95), 0, 1, 1},
    {"register_drift", "register drift, semitones",
     "semitones between the mean keys of a piece's first and last quarters",
     FIELD(register_drift), 0, 1, 1},
    {"velocity_mean", "velocity mean", "MIDI velocity 1..127, mean over the notes",
     FIELD(velocity_mean), 0, 1, 1},
    {"velocity_sd", "velocity standard deviation", "the spread of velocity within a piece",
     FIELD(velocity_sd), 0, 1, 1},
    {"ioi_overlap", "inter-onset intervals, overlap with corpus",
     "overlap with the corpus's intervals between onsets: sum of smaller shares", FIGURE_IOI_OVERLAP, 0, 1, 1, 2},
    {"pitch_class_overlap", "pitch classes, overlap with corpus",
     "the same for pitch classes, each piece moved to C major / A minor",
     FIGURE_PITCH_CLASS_OVERLAP, 0, 0, 1, 2},
    {"key_clarity", "key clarity",
     "correlation with the best of the 24 Krumhansl-Kessler key profiles",
     FIELD(key_clarity), 0, 1, 2},
    {"rhythm_repeat_within_8_pct", "rhythm repeats one of the 8 bars before, %",
     "bars whose onset positions are those of one of the 8 bars before",
     FIELD(rhythm_repeat_within_8), 1, 100, 1},
    {"melody_repeat_within_8_pct", "melody repeats one of the 8 bars before, %",
     "bars whose top-voice keys are those of one of the 8 bars before",
     FIELD(melody_repeat_within_8), 1, 100, 1},
    {"intervals_repeat_within_8_pct", "melodic intervals repeat one of the 8 bars before, %",
     "the same for the top voice's intervals: a sequence counts (2+ onsets)",
     FIELD(intervals_repeat_within_8), 1, 100, 1},
    {"rhythm_repeat_at_8_pct", "rhythm repeats the bar 8 bars before, %",
     "bars whose onset positions are those of the bar exactly 8 bars before",
     FIELD(rhythm_repeat_at_8), 1, 100, 1},
    {"rhythm_repeat_at_16_pct", "rhythm repeats the bar 16 bars before, %",
     "the same 16 bars before", FIELD(rhythm_repeat_at_16), 1, 100, 1},
    {"melody_repeat_at_8_pct", "melody repeats the bar 8 bars before, %",
     "bars whose top-voice keys are those of the bar exactly 8 bars before",
     FIELD(melody_repeat_at_8), 1, 100, 1},
    {"melody_repeat_at_16_pct", "melody repeats the bar 16 bars before, %",
     "the same 16 bars before", FIELD(melody_repeat_at_16), 1, 100, 1},
    {"longest_verbatim_run_bars", "longest run of one bar repeated verbatim, bars",
     "most bars in a row that are one bar played again (1: none repeated)",
     FIELD(longest_verbatim_run), 1, 1, 1},
};
enum { FIGURE_COUNT = sizeof figures / sizeof figures[0] };

/* An ensemble's figures, each for one part (PnlPartStats). */
typedef enum {
    PART_FIGURE_FIELD,              /* a double of PnlPartStats */
    PART_FIGURE_PITCH_OVERLAP,      /* overlap of the piece's histogram with the corpus's */
    PART_FIGURE_BEAT_NOTES_OVERLAP
} PartFigureKind;

typedef struct {
    const char *id, *label, *help;
    PartFigureKind kind;
    size_t field;      /* PART_FIGURE_FIELD: offsetof(PnlPartStats, ...) */
    int by_meter;
    double scale;
    int decimals;
} PartFigure;

#define PART_FIELD(name) PART_FIGURE_FIELD, offsetof(PnlPartStats, name)

static const PartFigure part_figures[] = {
    {"notes_per_beat", "notes per beat", "notes the part strikes, over the piece's beats",
     PART_FIELD(notes_per_beat), 1, 1, 2},
    {"sounding_beats_pct", "beats it sounds in, %",
     "beats in which a note of the part sounds, struck there or held",
     PART_FIELD(sounding_beat_share), 1, 100, 1},
    {"lowest_pitch", "lowest pitch (MIDI)", "the part's lowest note (60 is middle C)",
     PART_FIELD(lowest), 0, 1, 1},
    {"pitch_5th_percentile", "5th percentile pitch (MIDI)",
     "the key 5% of the part's notes lie below (nearest rank)", PART_FIELD(pitch_5), 0, 1, 1},
    {"pitch_95th_percentile", "95th percentile pitch (MIDI)",
     "the key 5% of the part's notes lie above", PART_FIELD(pitch_95), 0, 1, 1},
    {"highest_pitch", "highest pitch (MIDI)", "the part's highest note", PART_FIELD(highest),
     0, 1, 1},
    {"pitch_overlap", "pitches, overlap with corpus",
     "overlap of the part's keys with the corpus part's: sum of smaller shares",
     PART_FIGURE_PITCH_OVERLAP, 0, 0, 1, 2},
    {"beat_notes_overlap", "notes per beat, overlap with corpus",
     "the same for the beats by notes struck in them: 0, 1, 2, ... 16 or more",
     PART_FIGURE_BEAT_NOTES_OVERLAP, 0, 1, 1, 2},
};
enum { PART_FIGURE_COUNT = sizeof part_figures / sizeof part_figures[0] };

static void usage(FILE *stream)
{
    fprintf(stream,
            "Usage: %s --composer NAME [OPTION]... [FILE.mid...]\n"
            "       %s --ensemble NAME [--composer NAME] [OPTION]... [FILE.mid...]\n"
            "\n"
            "Measures composed MIDI files and sets each figure beside the same figure of\n"
            "the composer's own pieces in the corpus: the mean over the files, the mean\n"
            "over the corpus pieces and their range (lowest-highest piece). Figures of bars\n"
            "and beats (marked * below) compare with the pieces in the files' meter only,\n"
            "the others with all of the composer's pieces. With no files, the corpus alone.\n"
            "\n"
            "Options:\n"
            "  -c, --composer NAME   whose corpus pieces to compare with (the catalog's\n"
            "                        composer column: mozart, brahms, schumann...)\n"
            "      --ensemble NAME   each part of an ensemble beside the same part in the\n"
            "                        chamber corpus (see below): string_quartet,\n"
            "                        violin_piano, cello_piano, melody_piano; solo_piano\n"
            "                        is the piano figures [solo_piano]\n"
            "      --meter N/D       the meter of files without a time signature [4/4];\n"
            "                        a file's own time signatures win\n"
            "      --bars N          measure the first N bars of each file, silent ones\n"
            "                        included, and nothing after them (what pianola-render\n"
            "                        --bars N composed: the note it cuts at the stop may\n"
            "                        fall in the bar after) [from the bar of the first onset\n"
            "                        to the bar of the last]\n"
            "      --tracks NAMES    with --ensemble: the files' tracks with notes are\n"
            "                        these instruments, named as the catalog's instruments\n"
            "                        column names them (\"violin;piano;piano\": a corpus\n"
            "                        piece) [their track names]\n"
            "      --corpus DIR      the corpus folder, with its catalog.tsv\n"
            "                        [$PIANOLA_CORPUS, else ../shared/corpus; with\n"
            "                        --ensemble, that folder's name with -chamber added]\n"
            "      --tsv             tab-separated output for programs: figure, generated,\n"
            "                        corpus_mean, corpus_min, corpus_max, corpus_pieces,\n"
            "                        generated_files, generated_min, generated_max\n"
            "      --histograms      add a row per bin of the two histograms (share, %%)\n"
            "  -h, --help            show this help\n"
            "\n"
            "To absorb performed timing, onsets a grid step (1/24 quarter) apart count as\n"
            "one onset, and a beat's first and last step do not count when asking whether\n"
            "it is silent. The beat is the meter's (a dotted quarter in 6/8).\n"
            "\n"
            "Figures (--tsv names; * compared with the corpus pieces in the files' meter):\n",
            program, program);
    for (int f = 0; f < FIGURE_COUNT; f++)
        fprintf(stream, "  %s%s\n      %s\n", figures[f].id, figures[f].by_meter ? " *" : "",
                figures[f].help);
    fprintf(stream,
            "  ioi_share_<value>_pct *\n"
            "      share of the intervals between onsets nearest that value (--histograms)\n"
            "  pitch_class_<degree>_pct\n"
            "      share of the notes on that pitch class in C major / A minor (--histograms)\n");
    fprintf(stream,
            "\n"
            "With --ensemble, a file's tracks are its parts by their names (Piano, Violin I,\n"
            "Violin II, Viola, Cello, Melody: as pianola-generate --ensemble writes them; a\n"
            "file with no such name is one piano), and the corpus pieces are the chamber\n"
            "catalog's rows whose instruments are the ensemble's parts: the composer's where\n"
            "it has some (--composer), else all. A part a file lacks is reported missing\n"
            "from it. Figures per part (--tsv adds a first column, part, and a last one,\n"
            "files_without_part; * compared with the pieces in the files' meter, or with all\n"
            "when none is in it):\n");
    for (int f = 0; f < PART_FIGURE_COUNT; f++)
        fprintf(stream, "  %s%s\n      %s\n", part_figures[f].id,
                part_figures[f].by_meter ? " *" : "", part_figures[f].help);
}

typedef struct {
    char *path;
    PnlMusicStats stats;
    int in_meter; /* corpus: in the files' meter */
} Piece;

typedef struct {
    Piece *pieces;
    size_t count;
} Pieces;

static void free_pieces(Pieces *pieces)
{
    for (size_t i = 0; i < pieces->count; i++)
        free(pieces->pieces[i].path);
    free(pieces->pieces);
}

/* Reads and measures one file. */
static int measure_file(const char *path, const PnlMusicStatsSettings *settings, Pieces *pieces,
                        char *message)
{
    PnlScore score;
    Piece *piece;
    int status;
    Piece *grown = realloc(pieces->pieces, (pieces->count + 1) * sizeof *grown);
    if (!grown) {
        snprintf(message, MESSAGE_SIZE, "out of memory");
        return PNL_ENOMEM;
    }
    pieces->pieces = grown;
    piece = &pieces->pieces[pieces->count];
    memset(piece, 0, sizeof *piece);
    pnl_score_init(&score);
    status = pnl_midi_read(path, &score, NULL, message, MESSAGE_SIZE);
    if (!status) {
        status = pnl_music_stats(&score, settings, &piece->stats);
        if (status)
            snprintf(message, MESSAGE_SIZE, "%s: cannot measure it (out of memory)", path);
        else if (piece->stats.notes == 0) {
            snprintf(message, MESSAGE_SIZE, "%s: has no notes%s", path,
                     settings->bars ? " in the bars measured" : "");
            status = PNL_EINVAL;
        }
    }
    pnl_score_free(&score);
    if (status)
        return status;
    piece->path = strdup(path);
    if (!piece->path) {
        snprintf(message, MESSAGE_SIZE, "out of memory");
        return PNL_ENOMEM;
    }
    pieces->count++;
    return PNL_OK;
}

/* The corpus's pooled histograms, which each piece's is compared with. */
typedef struct {
    double ioi[PNL_IOI_CLASSES];          /* the pieces in the files' meter */
    double pitch_class[12];               /* all of the composer's pieces */
} Pooled;

static double figure_of(const Figure *figure, int bin, const PnlMusicStats *stats,
                        const Pooled *pooled)
{
    double value, sum = 0.0;
    switch (figure->kind) {
    case FIGURE_FIELD:
        value = *(const double *)((const char *)stats + figure->field);
        break;
    case FIGURE_IOI_OVERLAP:
        value = pnl_histogram_overlap(stats->ioi_histogram, pooled->ioi, PNL_IOI_CLASSES);
        break;
    case FIGURE_PITCH_CLASS_OVERLAP:
        value = pnl_histogram_overlap(stats->pitch_class_histogram, pooled->pitch_class, 12);
        break;
    case FIGURE_IOI_SHARE:
        for (int i = 0; i < PNL_IOI_CLASSES; i++)
            sum += stats->ioi_histogram[i];
        value = sum > 0.0 ? stats->ioi_histogram[bin] / sum : NAN;
        break;
    case FIGURE_PITCH_CLASS_SHARE:
        for (int i = 0; i < 12; i++)
            sum += stats->pitch_class_histogram[i];
        value = sum > 0.0 ? stats->pitch_class_histogram[bin] / sum : NAN;
        break;
    default:
        value = NAN;
    }
    return value * figure->scale;
}

typedef struct {
    double mean, min, max;
    size_t count; /* pieces that tell the figure */
} Summary;

static Summary summarize(const Figure *figure, int bin, const Pieces *pieces, int corpus,
                         const Pooled *pooled)
{
    Summary summary = {NAN, NAN, NAN, 0};
    double sum = 0.0;
    for (size_t i = 0; i < pieces->count; i++) {
        const Piece *piece = &pieces->pieces[i];
        if (corpus && figure->by_meter && !piece->in_meter)
            continue;
        double value = figure_of(figure, bin, &piece->stats, pooled);
        if (isnan(value))
            continue;
        if (summary.count == 0 || value < summary.min)
            summary.min = value;
        if (summary.count == 0 || value > summary.max)
            summary.max = value;
        sum += value;
        summary.count++;
    }
    if (summary.count)
        summary.mean = sum / (double)summary.count;
    return summary;
}

typedef struct {
    int tsv;
    size_t label_width;
} Output;

static void print_number(char *text, size_t size, double value, int decimals)
{
    if (isnan(value))
        snprintf(text, size, "-");
    else
        snprintf(text, size, "%.*f", decimals, value);
}

static void print_row(const Output *output, const char *id, const char *label,
                      const Figure *figure, int bin, const Pieces *generated,
                      const Pieces *corpus, const Pooled *pooled)
{
    Summary made = summarize(figure, bin, generated, 0, pooled);
    Summary known = summarize(figure, bin, corpus, 1, pooled);
    char made_text[32], mean_text[32], min_text[32], max_text[32], range_text[80];
    if (output->tsv) {
        /* Full precision for programs; "nan" where no piece tells it. */
        printf("%s\t%.6g\t%.6g\t%.6g\t%.6g\t%zu\t%zu\t%.6g\t%.6g\n", id, made.mean, known.mean,
               known.min, known.max, known.count, made.count, made.min, made.max);
        return;
    }
    print_number(made_text, sizeof made_text, made.mean, figure->decimals);
    print_number(mean_text, sizeof mean_text, known.mean, figure->decimals);
    print_number(min_text, sizeof min_text, known.min, figure->decimals);
    print_number(max_text, sizeof max_text, known.max, figure->decimals);
    if (known.count)
        snprintf(range_text, sizeof range_text, "%s-%s", min_text, max_text);
    else
        snprintf(range_text, sizeof range_text, "-");
    char marked[160];
    snprintf(marked, sizeof marked, "%s%s", label, figure->by_meter ? " *" : "");
    printf("| %-*s | %9s | %11s | %13s | %6zu |\n", (int)output->label_width, marked,
           generated->count ? made_text : "", mean_text, range_text, known.count);
}

static void print_table(const Output *output, int histograms, const Pieces *generated,
                        const Pieces *corpus, const Pooled *pooled)
{
    char id[64], label[128];
    if (output->tsv)
        printf("figure\tgenerated\tcorpus_mean\tcorpus_min\tcorpus_max\tcorpus_pieces\t"
               "generated_files\tgenerated_min\tgenerated_max\n");
    else
        printf("| %-*s | %9s | %11s | %13s | %6s |\n|%.*s|----------:|------------:|"
               "--------------:|-------:|\n",
               (int)output->label_width, "figure", "generated", "corpus mean", "corpus range",
               "pieces", (int)output->label_width + 2,
               "----------------------------------------------------------------------------");
    for (int f = 0; f < FIGURE_COUNT; f++)
        print_row(output, figures[f].id, figures[f].label, &figures[f], 0, generated, corpus,
                  pooled);
    if (!histograms)
        return;
    static const char *const degrees[12] = {"C", "C#", "D", "D#", "E", "F",
                                            "F#", "G", "G#", "A", "A#", "B"};
    for (int bin = 0; bin < PNL_IOI_CLASSES; bin++) {
        const Figure share = {NULL, NULL, NULL, FIGURE_IOI_SHARE, 0, 1, 100, 1};
        const char *name = pnl_ioi_class_name(bin);
        size_t at = snprintf(id, sizeof id, "ioi_share_");
        for (const char *c = name; *c && at + 5 < sizeof id; c++)
            id[at++] = *c == ' ' || *c == '/' ? '_' : *c;
        snprintf(id + at, sizeof id - at, "_pct");
        snprintf(label, sizeof label, "intervals between onsets of %s, %%", name);
        print_row(output, id, label, &share, bin, generated, corpus, pooled);
    }
    for (int bin = 0; bin < 12; bin++) {
        const Figure share = {NULL, NULL, NULL, FIGURE_PITCH_CLASS_SHARE, 0, 0, 100, 1};
        snprintf(id, sizeof id, "pitch_class_%s_pct", degrees[bin]);
        snprintf(label, sizeof label, "notes on %s (in C major / A minor), %%", degrees[bin]);
        print_row(output, id, label, &share, bin, generated, corpus, pooled);
    }
}

/* ---- Ensembles ----------------------------------------------------------- */

typedef struct {
    char *path;
    PnlPartsStats stats;
    int in_meter; /* corpus: in the files' meter */
} PartsPiece;

typedef struct {
    PartsPiece *pieces;
    size_t count;
} PartsPieces;

static void free_parts_pieces(PartsPieces *pieces)
{
    for (size_t i = 0; i < pieces->count; i++)
        free(pieces->pieces[i].path);
    free(pieces->pieces);
}

/* Reads a file track by track and measures each part of `ensemble`: its
 * tracks' roles are `track_parts`, or, for a composed file (NULL), those
 * their names give. Notes of a track with no role, or of a role the
 * ensemble has not, are left out and counted in left_out[role]
 * (left_out[PNL_PART_COUNT] for no role). */
static int measure_parts_file(const char *path, const int8_t *track_parts, int track_count,
                              PnlPartSet ensemble, const PnlMusicStatsSettings *settings,
                              PartsPieces *pieces, size_t *left_out, char *message)
{
    int8_t named_parts[PNL_TOKENIZE_MAX_TRACKS];
    PnlScore score;
    PartsPiece *grown = realloc(pieces->pieces, (pieces->count + 1) * sizeof *grown);
    if (!grown) {
        snprintf(message, MESSAGE_SIZE, "out of memory");
        return PNL_ENOMEM;
    }
    pieces->pieces = grown;
    PartsPiece *piece = &pieces->pieces[pieces->count];
    memset(piece, 0, sizeof *piece);
    pnl_score_init(&score);
    int status = pnl_midi_read_tracks(path, &score, NULL, message, MESSAGE_SIZE);
    if (!status && !track_parts) {
        status = pnl_midi_track_parts(path, named_parts, PNL_TOKENIZE_MAX_TRACKS, &track_count,
                                      message, MESSAGE_SIZE);
        track_parts = named_parts;
    }
    if (!status) {
        size_t kept = 0;
        for (size_t i = 0; i < score.note_count; i++) {
            PnlNote note = score.notes[i];
            int part = note.track < track_count ? track_parts[note.track] : -1;
            if (part < 0 || !(ensemble >> part & 1u)) {
                left_out[part < 0 ? PNL_PART_COUNT : part]++;
                continue;
            }
            /* The part now tells instruments apart: a piano's two staves
             * striking one pitch together are one note, as the tokenizer
             * reads them. */
            note.part = (uint8_t)part;
            note.track = 0;
            score.notes[kept++] = note;
        }
        score.note_count = kept;
        score.parts = ensemble;
        pnl_score_normalize(&score, NULL);
        status = pnl_music_stats_parts(&score, settings, &piece->stats);
        if (status)
            snprintf(message, MESSAGE_SIZE, "%s: cannot measure it (out of memory)", path);
    }
    pnl_score_free(&score);
    if (status)
        return status;
    piece->path = strdup(path);
    if (!piece->path) {
        snprintf(message, MESSAGE_SIZE, "out of memory");
        return PNL_ENOMEM;
    }
    pieces->count++;
    return PNL_OK;
}

/* The corpus's pooled histograms of each part, which each piece's is
 * compared with. */
typedef struct {
    double pitch[PNL_PART_COUNT][PNL_MIDI_KEYS];                /* all its pieces */
    double beat_notes[PNL_PART_COUNT][PNL_BEAT_NOTE_CLASSES];  /* those in the files' meter */
} PooledParts;

static double part_figure_of(const PartFigure *figure, int part, const PnlPartsStats *stats,
                             const PooledParts *pooled)
{
    const PnlPartStats *figures = &stats->parts[part];
    double value;
    switch (figure->kind) {
    case PART_FIGURE_FIELD:
        value = *(const double *)((const char *)figures + figure->field);
        break;
    case PART_FIGURE_PITCH_OVERLAP:
        value = pnl_histogram_overlap(figures->pitch_histogram, pooled->pitch[part],
                                      PNL_MIDI_KEYS);
        break;
    case PART_FIGURE_BEAT_NOTES_OVERLAP:
        value = pnl_histogram_overlap(figures->beat_notes_histogram, pooled->beat_notes[part],
                                      PNL_BEAT_NOTE_CLASSES);
        break;
    default:
        value = NAN;
    }
    return value * figure->scale;
}

static Summary summarize_part(const PartFigure *figure, int part, const PartsPieces *pieces,
                              int corpus, const PooledParts *pooled)
{
    Summary summary = {NAN, NAN, NAN, 0};
    double sum = 0.0;
    for (size_t i = 0; i < pieces->count; i++) {
        const PartsPiece *piece = &pieces->pieces[i];
        if (corpus && figure->by_meter && !piece->in_meter)
            continue;
        double value = part_figure_of(figure, part, &piece->stats, pooled);
        if (isnan(value))
            continue;
        if (summary.count == 0 || value < summary.min)
            summary.min = value;
        if (summary.count == 0 || value > summary.max)
            summary.max = value;
        sum += value;
        summary.count++;
    }
    if (summary.count)
        summary.mean = sum / (double)summary.count;
    return summary;
}

static void print_parts_table(int tsv, PnlPartSet ensemble, const PartsPieces *generated,
                              const PartsPieces *corpus, const PooledParts *pooled)
{
    size_t part_width = strlen("part"), figure_width = 0;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if (ensemble >> part & 1u && strlen(pnl_part_role(part)->label) > part_width)
            part_width = strlen(pnl_part_role(part)->label);
    for (int f = 0; f < PART_FIGURE_COUNT; f++)
        if (strlen(part_figures[f].label) + 2 > figure_width)
            figure_width = strlen(part_figures[f].label) + 2;
    static const char dashes[] = "----------------------------------------------------------";
    if (tsv)
        printf("part\tfigure\tgenerated\tcorpus_mean\tcorpus_min\tcorpus_max\tcorpus_pieces\t"
               "generated_files\tgenerated_min\tgenerated_max\tfiles_without_part\n");
    else
        printf("| %-*s | %-*s | %9s | %11s | %13s | %6s |\n|%.*s|%.*s|----------:|"
               "------------:|--------------:|-------:|\n",
               (int)part_width, "part", (int)figure_width, "figure", "generated",
               "corpus mean", "corpus range", "pieces", (int)part_width + 2, dashes,
               (int)figure_width + 2, dashes);
    for (int part = 0; part < PNL_PART_COUNT; part++) {
        if (!(ensemble >> part & 1u))
            continue;
        const PnlPartRole *role = pnl_part_role(part);
        size_t without = 0;
        for (size_t i = 0; i < generated->count; i++)
            without += generated->pieces[i].stats.parts[part].notes == 0;
        for (int f = 0; f < PART_FIGURE_COUNT; f++) {
            const PartFigure *figure = &part_figures[f];
            Summary made = summarize_part(figure, part, generated, 0, pooled);
            Summary known = summarize_part(figure, part, corpus, 1, pooled);
            if (tsv) {
                printf("%s\t%s\t%.6g\t%.6g\t%.6g\t%.6g\t%zu\t%zu\t%.6g\t%.6g\t%zu\n", role->name,
                       figure->id, made.mean, known.mean, known.min, known.max, known.count,
                       made.count, made.min, made.max, without);
                continue;
            }
            char made_text[32], mean_text[32], min_text[32], max_text[32], range_text[80];
            char marked[160];
            print_number(made_text, sizeof made_text, made.mean, figure->decimals);
            print_number(mean_text, sizeof mean_text, known.mean, figure->decimals);
            print_number(min_text, sizeof min_text, known.min, figure->decimals);
            print_number(max_text, sizeof max_text, known.max, figure->decimals);
            if (known.count)
                snprintf(range_text, sizeof range_text, "%s-%s", min_text, max_text);
            else
                snprintf(range_text, sizeof range_text, "-");
            snprintf(marked, sizeof marked, "%s%s", figure->label, figure->by_meter ? " *" : "");
            printf("| %-*s | %-*s | %9s | %11s | %13s | %6zu |\n", (int)part_width,
                   f == 0 ? role->label : "", (int)figure_width, marked,
                   !generated->count           ? ""
                   : without == generated->count ? "missing"
                                                 : made_text,
                   mean_text, range_text, known.count);
        }
    }
}

/* The ensemble's corpus pieces: the catalog's rows whose instruments are
 * its parts, and of those the composer's when it has any. */
typedef struct {
    size_t *rows;
    int8_t (*track_parts)[PNL_TOKENIZE_MAX_TRACKS];
    int *track_counts;
    size_t count;
    int composer_has_none; /* a composer was named and has none: all are taken */
} EnsembleRows;

static int ensemble_rows(const PnlCatalog *catalog, PnlPartSet ensemble, const char *composer,
                         EnsembleRows *rows)
{
    memset(rows, 0, sizeof *rows);
    rows->rows = malloc((catalog->count + 1) * sizeof *rows->rows);
    rows->track_parts = malloc((catalog->count + 1) * sizeof *rows->track_parts);
    rows->track_counts = malloc((catalog->count + 1) * sizeof *rows->track_counts);
    if (!rows->rows || !rows->track_parts || !rows->track_counts)
        return PNL_ENOMEM;
    size_t of_composer = 0;
    for (int pass = 0; pass < 2; pass++) {
        /* Pass 0 counts the composer's; pass 1 takes them, or all. */
        rows->count = 0;
        for (size_t i = 0; i < catalog->count; i++) {
            const PnlCatalogPiece *row = &catalog->pieces[i];
            PnlTokenizeOptions options;
            char reason[256];
            PnlPartSet parts = 0;
            if (!row->instruments)
                continue;
            memset(&options, 0, sizeof options);
            if (pnl_tokenize_parts_of_instruments(row->instruments, NULL, &options, reason,
                                                  sizeof reason))
                continue; /* an instrument with no role: no ensemble's */
            for (int t = 0; t < options.track_count; t++)
                parts |= 1u << options.track_parts[t];
            if (parts != ensemble)
                continue;
            int composers = composer && !strcmp(row->composer, composer);
            if (pass == 0) {
                of_composer += (size_t)composers;
                continue;
            }
            if (composer && of_composer && !composers)
                continue;
            rows->rows[rows->count] = i;
            memcpy(rows->track_parts[rows->count], options.track_parts,
                   sizeof options.track_parts);
            rows->track_counts[rows->count] = options.track_count;
            rows->count++;
        }
    }
    rows->composer_has_none = composer && !of_composer;
    return PNL_OK;
}

static void free_ensemble_rows(EnsembleRows *rows)
{
    free(rows->rows);
    free(rows->track_parts);
    free(rows->track_counts);
}

typedef struct {
    const char *composer; /* NULL: every composer's pieces */
    const char *corpus;
    int numerator, denominator;
    size_t bars;
    int tsv;
    const char *tracks; /* the files' sounding tracks as the catalog names them, or NULL */
} EnsembleRequest;

/* Each part of the ensemble in the files beside the same part in the
 * corpus pieces for it. Returns the exit status. */
static int ensemble_main(int ensemble_index, const EnsembleRequest *request, char **files,
                         int file_count)
{
    const PnlEnsemble *ensemble = pnl_ensemble(ensemble_index);
    char path[2 * PATH_SIZE], message[MESSAGE_SIZE];
    int numerator = request->numerator, denominator = request->denominator;
    int first_measured = -1;
    PartsPieces generated = {NULL, 0}, corpus_pieces = {NULL, 0};
    PnlCatalog catalog;
    EnsembleRows rows;
    PooledParts *pooled;
    PnlTokenizeOptions tracks;

    /* Files whose tracks are not named for their parts (a corpus piece):
     * --tracks names them as the catalog does. */
    memset(&tracks, 0, sizeof tracks);
    if (request->tracks && pnl_tokenize_parts_of_instruments(request->tracks, NULL, &tracks,
                                                             message, sizeof message))
        return die("--tracks: %s", message);

    /* The composed files, and the meter they are in. */
    for (int i = 0; i < file_count; i++) {
        PnlMusicStatsSettings settings = {request->numerator, request->denominator,
                                          request->bars};
        size_t left_out[PNL_PART_COUNT + 1] = {0};
        if (measure_parts_file(files[i], request->tracks ? tracks.track_parts : NULL,
                               tracks.track_count, ensemble->parts, &settings, &generated,
                               left_out, message)) {
            free_parts_pieces(&generated);
            return die("%s", message);
        }
        for (int part = 0; part <= PNL_PART_COUNT; part++)
            if (left_out[part])
                fprintf(stderr, "%s: %s: %zu notes of %s%s%s; left out\n", program, files[i],
                        left_out[part], part < PNL_PART_COUNT ? "the " : "",
                        part < PNL_PART_COUNT ? pnl_part_role(part)->label
                                              : "tracks of no part",
                        part < PNL_PART_COUNT ? ", not a part of the ensemble" : "");
        const PnlPartsStats *stats = &generated.pieces[generated.count - 1].stats;
        if (!stats->bars)
            continue; /* no note of the ensemble: every part missing, no meter */
        if (first_measured < 0) {
            first_measured = i;
            numerator = stats->numerator;
            denominator = stats->denominator;
        } else if (stats->numerator != numerator || stats->denominator != denominator) {
            int n = stats->numerator, d = stats->denominator;
            free_parts_pieces(&generated);
            return die("%s is in %d/%d, %s in %d/%d: give the files of one meter at a time",
                       files[i], n, d, files[first_measured], numerator, denominator);
        }
    }

    /* The corpus pieces for the ensemble. */
    snprintf(path, sizeof path, "%s/catalog.tsv", request->corpus);
    if (pnl_catalog_read(path, &catalog, message, sizeof message)) {
        free_parts_pieces(&generated);
        return die("%s", message);
    }
    if (ensemble_rows(&catalog, ensemble->parts, request->composer, &rows)) {
        free_ensemble_rows(&rows);
        pnl_catalog_free(&catalog);
        free_parts_pieces(&generated);
        return die("out of memory");
    }
    size_t in_meter = 0;
    for (size_t r = 0; r < rows.count; r++) {
        static const PnlMusicStatsSettings own_meters = {0, 0, 0};
        size_t left_out[PNL_PART_COUNT + 1] = {0};
        snprintf(path, sizeof path, "%s/%s", request->corpus, catalog.pieces[rows.rows[r]].file);
        if (measure_parts_file(path, rows.track_parts[r], rows.track_counts[r], ensemble->parts,
                               &own_meters, &corpus_pieces, left_out, message)) {
            fprintf(stderr, "%s: %s; left out\n", program, message);
            continue;
        }
        PartsPiece *piece = &corpus_pieces.pieces[corpus_pieces.count - 1];
        piece->in_meter = piece->stats.bars && piece->stats.numerator == numerator &&
                          piece->stats.denominator == denominator;
        in_meter += (size_t)piece->in_meter;
    }
    free_ensemble_rows(&rows);
    pnl_catalog_free(&catalog);
    if (!corpus_pieces.count) {
        free_parts_pieces(&generated);
        return die("%s/catalog.tsv lists no readable piece for %s (a row whose instruments "
                   "are its parts)", request->corpus, ensemble->name);
    }
    /* A small corpus may have no piece in the files' meter: the figures of
     * beats then compare with all of them, as the header says. */
    int all_meters = in_meter == 0;
    for (size_t i = 0; i < corpus_pieces.count && all_meters; i++)
        corpus_pieces.pieces[i].in_meter = 1;

    pooled = calloc(1, sizeof *pooled);
    if (!pooled) {
        free_parts_pieces(&generated);
        free_parts_pieces(&corpus_pieces);
        return die("out of memory");
    }
    for (size_t i = 0; i < corpus_pieces.count; i++) {
        const PartsPiece *piece = &corpus_pieces.pieces[i];
        for (int part = 0; part < PNL_PART_COUNT; part++) {
            const PnlPartStats *figures = &piece->stats.parts[part];
            for (int b = 0; b < PNL_MIDI_KEYS; b++)
                pooled->pitch[part][b] += figures->pitch_histogram[b];
            for (int b = 0; b < PNL_BEAT_NOTE_CLASSES && piece->in_meter; b++)
                pooled->beat_notes[part][b] += figures->beat_notes_histogram[b];
        }
    }

    if (!request->tsv) {
        char whose[160], meter[160];
        size_t bars = 0;
        for (size_t i = 0; i < generated.count; i++)
            bars += generated.pieces[i].stats.bars;
        if (!request->composer)
            snprintf(whose, sizeof whose, "every composer's");
        else if (rows.composer_has_none)
            snprintf(whose, sizeof whose, "every composer's (%s has none)", request->composer);
        else
            snprintf(whose, sizeof whose, "%s's", request->composer);
        if (all_meters)
            snprintf(meter, sizeof meter, "none of them in %d/%d, so figures marked * compare "
                     "with all", numerator, denominator);
        else
            snprintf(meter, sizeof meter, "%zu of them in %d/%d (figures marked *)", in_meter,
                     numerator, denominator);
        if (generated.count)
            printf("%s: %zu composed file%s in %d/%d (%zu bars) beside %zu corpus pieces for "
                   "it, %s; %s\n",
                   ensemble->name, generated.count, generated.count == 1 ? "" : "s", numerator,
                   denominator, bars, corpus_pieces.count, whose, meter);
        else
            printf("%s: %zu corpus pieces for it, %s; %s\n", ensemble->name,
                   corpus_pieces.count, whose, meter);
        for (int part = 0; part < PNL_PART_COUNT; part++) {
            size_t without = 0;
            if (!(ensemble->parts >> part & 1u))
                continue;
            for (size_t i = 0; i < generated.count; i++)
                without += generated.pieces[i].stats.parts[part].notes == 0;
            if (!without)
                continue;
            printf("%s: missing from %zu of %zu files:", pnl_part_role(part)->label, without,
                   generated.count);
            for (size_t i = 0; i < generated.count; i++)
                if (generated.pieces[i].stats.parts[part].notes == 0)
                    printf(" %s", generated.pieces[i].path);
            printf("\n");
        }
        printf("\n");
    }
    print_parts_table(request->tsv, ensemble->parts, &generated, &corpus_pieces, pooled);
    free(pooled);
    free_parts_pieces(&generated);
    free_parts_pieces(&corpus_pieces);
    return 0;
}

static int parse_meter(const char *text, int *numerator, int *denominator)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (*end != '/')
        return -1;
    long d = strtol(end + 1, &end, 10);
    if (*end || n < 1 || n > 255 || d < 1 || d > 255 || pnl_token_meter((int)n, (int)d) < 0)
        return -1;
    *numerator = (int)n;
    *denominator = (int)d;
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        OPT_METER = 256,
        OPT_BARS,
        OPT_CORPUS,
        OPT_TSV,
        OPT_HISTOGRAMS,
        OPT_ENSEMBLE,
        OPT_TRACKS
    };
    static const struct option options[] = {
        {"composer", required_argument, NULL, 'c'},
        {"meter", required_argument, NULL, OPT_METER},
        {"bars", required_argument, NULL, OPT_BARS},
        {"corpus", required_argument, NULL, OPT_CORPUS},
        {"tsv", no_argument, NULL, OPT_TSV},
        {"histograms", no_argument, NULL, OPT_HISTOGRAMS},
        {"ensemble", required_argument, NULL, OPT_ENSEMBLE},
        {"tracks", required_argument, NULL, OPT_TRACKS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *composer = NULL, *corpus_option = NULL, *tracks = NULL;
    char corpus[PATH_SIZE], path[2 * PATH_SIZE], message[MESSAGE_SIZE];
    int numerator = 4, denominator = 4, histograms = 0, ensemble = 0, option;
    size_t bars = 0;
    char *end;
    Output output = {0, 0};
    Pieces generated = {NULL, 0}, corpus_pieces = {NULL, 0};
    PnlCatalog catalog;
    Pooled pooled;

    while ((option = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (option) {
        case 'c': composer = optarg; break;
        case OPT_CORPUS: corpus_option = optarg; break;
        case OPT_TSV: output.tsv = 1; break;
        case OPT_HISTOGRAMS: histograms = 1; break;
        case OPT_TRACKS: tracks = optarg; break;
        case OPT_ENSEMBLE:
            if ((ensemble = pnl_ensemble_index(optarg)) < 0) {
                char known[256] = "";
                for (int e = 0; e < pnl_ensemble_count(); e++)
                    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                             e ? ", " : "", pnl_ensemble(e)->name);
                return die("--ensemble wants one of %s, not '%s'", known, optarg);
            }
            break;
        case OPT_METER:
            if (parse_meter(optarg, &numerator, &denominator))
                return die("--meter: '%s' is not a meter Pianola knows (N/D, such as 4/4 "
                           "or 6/8)", optarg);
            break;
        case OPT_BARS: {
            long value = strtol(optarg, &end, 10);
            if (*end || value < 1 || value > 100000)
                return die("--bars: '%s' is not a number of bars from 1 to 100000", optarg);
            bars = (size_t)value;
            break;
        }
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "Try '%s --help'.\n", program);
            return 2;
        }
    }
    if (pnl_ensemble(ensemble)->parts) {
        EnsembleRequest request = {composer, corpus, numerator, denominator,
                                   bars, output.tsv, tracks};
        if (histograms)
            return die("--histograms is for the piano figures, not an ensemble's");
        if (corpus_option)
            snprintf(corpus, sizeof corpus, "%s", corpus_option);
        else {
            pnl_default_corpus(corpus, sizeof corpus);
            while (strlen(corpus) > 1 && corpus[strlen(corpus) - 1] == '/')
                corpus[strlen(corpus) - 1] = '\0';
            snprintf(corpus + strlen(corpus), sizeof corpus - strlen(corpus), "-chamber");
        }
        return ensemble_main(ensemble, &request, argv + optind, argc - optind);
    }
    if (tracks)
        return die("--tracks names an ensemble's tracks: give --ensemble too");
    if (!composer)
        return die("no composer given (--composer NAME); see --help");
    if (corpus_option)
        snprintf(corpus, sizeof corpus, "%s", corpus_option);
    else
        pnl_default_corpus(corpus, sizeof corpus);

    /* The composed files, and the meter they are in. */
    for (int i = optind; i < argc; i++) {
        PnlMusicStatsSettings settings = {numerator, denominator, bars};
        if (measure_file(argv[i], &settings, &generated, message)) {
            free_pieces(&generated);
            return die("%s", message);
        }
        const PnlMusicStats *stats = &generated.pieces[generated.count - 1].stats;
        if (i > optind && (stats->numerator != generated.pieces[0].stats.numerator ||
                           stats->denominator != generated.pieces[0].stats.denominator)) {
            int n = stats->numerator, d = stats->denominator;
            int first_n = generated.pieces[0].stats.numerator;
            int first_d = generated.pieces[0].stats.denominator;
            free_pieces(&generated);
            return die("%s is in %d/%d, %s in %d/%d: give the files of one meter at a time",
                       argv[i], n, d, argv[optind], first_n, first_d);
        }
    }
    if (generated.count) {
        numerator = generated.pieces[0].stats.numerator;
        denominator = generated.pieces[0].stats.denominator;
    }

    /* The composer's pieces. */
    snprintf(path, sizeof path, "%s/catalog.tsv", corpus);
    if (pnl_catalog_read(path, &catalog, message, sizeof message)) {
        free_pieces(&generated);
        return die("%s", message);
    }
    size_t in_meter = 0;
    for (size_t i = 0; i < catalog.count; i++) {
        if (strcmp(catalog.pieces[i].composer, composer))
            continue;
        snprintf(path, sizeof path, "%s/%s", corpus, catalog.pieces[i].file);
        static const PnlMusicStatsSettings own_meters = {0, 0, 0};
        if (measure_file(path, &own_meters, &corpus_pieces, message)) {
            fprintf(stderr, "%s: %s; left out\n", program, message);
            continue;
        }
        Piece *piece = &corpus_pieces.pieces[corpus_pieces.count - 1];
        piece->in_meter = piece->stats.numerator == numerator &&
                          piece->stats.denominator == denominator;
        in_meter += (size_t)piece->in_meter;
    }
    pnl_catalog_free(&catalog);
    if (!corpus_pieces.count) {
        free_pieces(&generated);
        return die("%s/catalog.tsv lists no readable piece of '%s'", corpus, composer);
    }

    memset(&pooled, 0, sizeof pooled);
    for (size_t i = 0; i < corpus_pieces.count; i++) {
        const Piece *piece = &corpus_pieces.pieces[i];
        for (int b = 0; b < PNL_IOI_CLASSES && piece->in_meter; b++)
            pooled.ioi[b] += piece->stats.ioi_histogram[b];
        for (int b = 0; b < 12; b++)
            pooled.pitch_class[b] += piece->stats.pitch_class_histogram[b];
    }

    output.label_width = 0;
    for (int f = 0; f < FIGURE_COUNT; f++)
        if (strlen(figures[f].label) + 2 > output.label_width)
            output.label_width = strlen(figures[f].label) + 2;
    if (!output.tsv) {
        size_t bars = 0;
        for (size_t i = 0; i < generated.count; i++)
            bars += generated.pieces[i].stats.bars;
        if (generated.count)
            printf("%s: %zu composed file%s in %d/%d (%zu bars) beside the corpus's %zu pieces "
                   "of %s, %zu of them in %d/%d (figures marked *)\n\n",
                   composer, generated.count, generated.count == 1 ? "" : "s", numerator,
                   denominator, bars, corpus_pieces.count,
                   composer, in_meter, numerator, denominator);
        else
            printf("%s: the corpus's %zu pieces of %s, %zu of them in %d/%d (figures marked *)"
                   "\n\n",
                   composer, corpus_pieces.count, composer, in_meter, numerator, denominator);
    }
    print_table(&output, histograms, &generated, &corpus_pieces, &pooled);
    free_pieces(&generated);
    free_pieces(&corpus_pieces);
    return 0;
}
