/* Musical statistics of a piece; see music_stats.h. */
#include "music_stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "status.h"
#include "vocabulary.h"

/* Performed timing (a humanized render, a hand-played file) moves onsets by
 * a grid tick or so (1/24 quarter, 21 ms at 120 BPM). */
enum { PERFORMED_TICKS = 1 };
/* How far back a bar may find the bar it repeats. */
enum { REPEAT_LOOKBACK_BARS = 8 };

/* The IOI classes' note values in ticks (see PNL_IOI_CLASSES). */
static const int ioi_class_ticks[PNL_IOI_CLASSES] = {3, 4, 6, 8, 12, 16, 18, 24, 36, 48, 96};
static const char *const ioi_class_names[PNL_IOI_CLASSES] = {
    "1/32",  "1/16 triplet", "1/16", "1/8 triplet", "1/8",  "1/4 triplet",
    "dotted 1/8", "1/4", "dotted 1/4", "1/2", "whole or longer"};

typedef struct {
    int64_t start_ticks;
    int32_t length_ticks;
    uint8_t numerator, denominator;
    size_t first_onset, onset_count; /* its onsets (clusters) */
} Bar;

/* One onset: the notes struck together, a spread chord included. */
typedef struct {
    int64_t at_ticks;  /* the onset of its middle note (upper median) */
    size_t first_note, note_count;
    int top_key;
    size_t first_key;  /* its keys, low to high, in the keys array */
} Onset;

typedef struct {
    Bar *bars;
    size_t bar_count;
    Onset *onsets;
    size_t onset_count;
    uint8_t *keys;       /* each onset's keys, sorted */
    int32_t *sounding;   /* notes sounding at each tick */
    double *values;      /* scratch for percentiles */
} Work;

int pnl_meter_beat_ticks(int numerator, int denominator)
{
    int note_ticks = 4 * PNL_TICKS_PER_QUARTER / denominator;
    int compound = denominator >= 8 && numerator >= 6 && numerator % 3 == 0;
    return compound ? 3 * note_ticks : note_ticks;
}

const char *pnl_ioi_class_name(int ioi_class)
{
    return ioi_class >= 0 && ioi_class < PNL_IOI_CLASSES ? ioi_class_names[ioi_class] : "";
}

static int ioi_class_of(int64_t ticks)
{
    int best = 0;
    double best_distance = INFINITY;
    for (int c = 0; c < PNL_IOI_CLASSES; c++) {
        double distance = fabs(log((double)ticks / ioi_class_ticks[c]));
        if (distance < best_distance - 1e-12) {
            best = c;
            best_distance = distance;
        }
    }
    return best;
}

double pnl_histogram_overlap(const double *a, const double *b, int bins)
{
    double sum_a = 0.0, sum_b = 0.0, overlap = 0.0;
    for (int i = 0; i < bins; i++) {
        sum_a += a[i];
        sum_b += b[i];
    }
    if (!(sum_a > 0.0) || !(sum_b > 0.0))
        return NAN;
    for (int i = 0; i < bins; i++)
        overlap += fmin(a[i] / sum_a, b[i] / sum_b);
    return overlap;
}

static void free_work(Work *work)
{
    free(work->bars);
    free(work->onsets);
    free(work->keys);
    free(work->sounding);
    free(work->values);
}

/* Bars from tick 0 to the bar of the last onset, or `bar_limit` bars, by
 * the codec's rule: a meter change takes effect at the first bar line at or
 * after it. */
static int lay_bars(const PnlScore *score, int numerator, int denominator, size_t bar_limit,
                    Work *work)
{
    int64_t last_onset = score->notes[score->note_count - 1].onset_ticks;
    int64_t start = 0;
    size_t capacity = 0, next_meter = 0;
    while (bar_limit ? work->bar_count < bar_limit : start <= last_onset) {
        while (next_meter < score->meter_count && score->meters[next_meter].at_ticks <= start) {
            numerator = score->meters[next_meter].numerator;
            denominator = score->meters[next_meter].denominator;
            next_meter++;
        }
        if (work->bar_count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            Bar *grown = realloc(work->bars, capacity * sizeof *grown);
            if (!grown)
                return PNL_ENOMEM;
            work->bars = grown;
        }
        Bar *bar = &work->bars[work->bar_count++];
        bar->start_ticks = start;
        bar->length_ticks = pnl_meter_bar_ticks(numerator, denominator);
        bar->numerator = (uint8_t)numerator;
        bar->denominator = (uint8_t)denominator;
        bar->first_onset = 0;
        bar->onset_count = 0;
        start += bar->length_ticks;
    }
    return PNL_OK;
}

static int compare_keys(const void *a, const void *b)
{
    return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* Groups notes into onsets (a note within PERFORMED_TICKS of an onset's
 * first note joins it) and files each onset under its bar. */
static int gather_onsets(const PnlScore *score, Work *work)
{
    work->onsets = malloc(score->note_count * sizeof *work->onsets);
    work->keys = malloc(score->note_count);
    if (!work->onsets || !work->keys)
        return PNL_ENOMEM;
    size_t bar = 0;
    for (size_t i = 0; i < score->note_count;) {
        size_t end = i + 1;
        while (end < score->note_count &&
               score->notes[end].onset_ticks - score->notes[i].onset_ticks <= PERFORMED_TICKS)
            end++;
        Onset *onset = &work->onsets[work->onset_count];
        onset->first_note = i;
        onset->note_count = end - i;
        onset->at_ticks = score->notes[i + (end - i) / 2].onset_ticks;
        onset->first_key = i;
        onset->top_key = 0;
        for (size_t n = i; n < end; n++) {
            work->keys[n] = score->notes[n].pitch;
            if (score->notes[n].pitch > onset->top_key)
                onset->top_key = score->notes[n].pitch;
        }
        qsort(work->keys + i, end - i, 1, compare_keys);
        while (bar + 1 < work->bar_count && work->bars[bar + 1].start_ticks <= onset->at_ticks)
            bar++;
        if (work->bars[bar].onset_count == 0)
            work->bars[bar].first_onset = work->onset_count;
        work->bars[bar].onset_count++;
        work->onset_count++;
        i = end;
    }
    return PNL_OK;
}

/* How many notes of `part` (every note when -1) sound during each tick, to
 * the end of the last bar or of the last note; NULL when out of memory. */
static int32_t *sounding_of(const PnlScore *score, const Work *work, int part)
{
    int64_t length = 0;
    for (size_t i = 0; i < score->note_count; i++) {
        int64_t end = score->notes[i].onset_ticks + score->notes[i].duration_ticks;
        if (end > length)
            length = end;
    }
    const Bar *last = &work->bars[work->bar_count - 1];
    if (last->start_ticks + last->length_ticks > length)
        length = last->start_ticks + last->length_ticks;
    int32_t *sounding = calloc((size_t)length + 1, sizeof *sounding);
    if (!sounding)
        return NULL;
    for (size_t i = 0; i < score->note_count; i++) {
        if (part >= 0 && score->notes[i].part != part)
            continue;
        sounding[score->notes[i].onset_ticks]++;
        sounding[score->notes[i].onset_ticks + score->notes[i].duration_ticks]--;
    }
    for (int64_t t = 1; t <= length; t++)
        sounding[t] += sounding[t - 1];
    return sounding;
}

/* sounding[t]: how many notes sound during tick t. */
static int count_sounding(const PnlScore *score, Work *work)
{
    work->sounding = sounding_of(score, work, -1);
    return work->sounding ? PNL_OK : PNL_ENOMEM;
}

/* Whether nothing sounds in [start, end), its first and last tick aside. */
static int silent(const int32_t *sounding, int64_t start, int64_t end)
{
    if (end - start > 2 * PERFORMED_TICKS) {
        start += PERFORMED_TICKS;
        end -= PERFORMED_TICKS;
    }
    for (int64_t t = start; t < end; t++)
        if (sounding[t] > 0)
            return 0;
    return 1;
}

static void count_beats(const Work *work, size_t first_bar, PnlMusicStats *stats)
{
    size_t silent_beats = 0, silent_last_beats = 0;
    for (size_t b = first_bar; b < work->bar_count; b++) {
        const Bar *bar = &work->bars[b];
        int beat = pnl_meter_beat_ticks(bar->numerator, bar->denominator);
        int64_t end = bar->start_ticks + bar->length_ticks;
        for (int64_t start = bar->start_ticks; start < end; start += beat) {
            int64_t beat_end = start + beat < end ? start + beat : end;
            int is_silent = silent(work->sounding, start, beat_end);
            stats->beats++;
            silent_beats += is_silent;
            if (beat_end == end)
                silent_last_beats += is_silent;
        }
        stats->bars++;
    }
    stats->silent_beat_share = (double)silent_beats / (double)stats->beats;
    stats->silent_last_beat_share = (double)silent_last_beats / (double)stats->bars;
}

/* The meter of most bars (the first of them on a tie). */
static void main_meter(const Work *work, size_t first_bar, int *numerator, int *denominator)
{
    size_t bars_in[PNL_METER_COUNT] = {0};
    size_t first_in[PNL_METER_COUNT];
    for (size_t b = first_bar; b < work->bar_count; b++) {
        int meter = pnl_token_meter(work->bars[b].numerator, work->bars[b].denominator) -
                    PNL_TOKEN_METER_BASE;
        if (bars_in[meter]++ == 0)
            first_in[meter] = b;
    }
    size_t best_bars = 0, best_first = 0;
    for (int meter = 0; meter < PNL_METER_COUNT; meter++) {
        if (bars_in[meter] > best_bars ||
            (bars_in[meter] && bars_in[meter] == best_bars && first_in[meter] < best_first)) {
            best_bars = bars_in[meter];
            best_first = first_in[meter];
        }
    }
    *numerator = work->bars[best_first].numerator;
    *denominator = work->bars[best_first].denominator;
}

static void measure_onsets(const PnlScore *score, const Work *work, PnlMusicStats *stats)
{
    double sounding_sum = 0.0;
    for (size_t o = 0; o < work->onset_count; o++) {
        const Onset *onset = &work->onsets[o];
        /* The notes struck at it, and those held into it from before: still
         * sounding a grid tick after its first note, which a legato note
         * overlapping the next by performed timing is not. sounding[] at
         * that tick counts the onset's own notes that last past it too. */
        int64_t after = score->notes[onset->first_note].onset_ticks + PERFORMED_TICKS;
        size_t own_sounding = 0;
        for (size_t n = onset->first_note; n < onset->first_note + onset->note_count; n++)
            own_sounding += score->notes[n].onset_ticks + score->notes[n].duration_ticks > after;
        sounding_sum += (double)onset->note_count + (double)work->sounding[after] -
                        (double)own_sounding;
        if (o + 1 < work->onset_count) {
            int64_t interval = work->onsets[o + 1].at_ticks - onset->at_ticks;
            if (interval > 0)
                stats->ioi_histogram[ioi_class_of(interval)] += 1.0;
        }
    }
    stats->polyphony = sounding_sum / (double)work->onset_count;
}

static int same_rhythm(const Work *work, const Bar *a, const Bar *b)
{
    if (a->onset_count != b->onset_count || a->onset_count == 0)
        return 0;
    for (size_t i = 0; i < a->onset_count; i++) {
        int64_t at_a = work->onsets[a->first_onset + i].at_ticks - a->start_ticks;
        int64_t at_b = work->onsets[b->first_onset + i].at_ticks - b->start_ticks;
        if (llabs(at_a - at_b) > PERFORMED_TICKS)
            return 0;
    }
    return 1;
}

static int same_melody(const Work *work, const Bar *a, const Bar *b)
{
    if (a->onset_count != b->onset_count || a->onset_count == 0)
        return 0;
    for (size_t i = 0; i < a->onset_count; i++)
        if (work->onsets[a->first_onset + i].top_key != work->onsets[b->first_onset + i].top_key)
            return 0;
    return 1;
}

static int same_intervals(const Work *work, const Bar *a, const Bar *b)
{
    if (a->onset_count != b->onset_count || a->onset_count < 2)
        return 0;
    for (size_t i = 1; i < a->onset_count; i++) {
        const Onset *a_onsets = &work->onsets[a->first_onset];
        const Onset *b_onsets = &work->onsets[b->first_onset];
        if (a_onsets[i].top_key - a_onsets[i - 1].top_key !=
            b_onsets[i].top_key - b_onsets[i - 1].top_key)
            return 0;
    }
    return 1;
}

static int same_notes(const Work *work, const Bar *a, const Bar *b)
{
    if (!same_rhythm(work, a, b))
        return 0;
    for (size_t i = 0; i < a->onset_count; i++) {
        const Onset *x = &work->onsets[a->first_onset + i];
        const Onset *y = &work->onsets[b->first_onset + i];
        if (x->note_count != y->note_count ||
            memcmp(work->keys + x->first_key, work->keys + y->first_key, x->note_count))
            return 0;
    }
    return 1;
}

typedef int (*SameBars)(const Work *work, const Bar *a, const Bar *b);

/* The share of bars (those `eligible` holds, with a bar before them) that
 * are the same as one of the `lookback` bars before (distance 0), or as
 * the bar exactly `distance` before. */
static double repeat_share(const Work *work, size_t first_bar, SameBars same,
                           size_t min_onsets, size_t distance)
{
    size_t eligible = 0, repeated = 0;
    for (size_t b = first_bar + 1; b < work->bar_count; b++) {
        const Bar *bar = &work->bars[b];
        if (bar->onset_count < min_onsets)
            continue;
        if (distance) {
            if (b < first_bar + distance)
                continue;
            eligible++;
            repeated += same(work, bar, &work->bars[b - distance]) != 0;
            continue;
        }
        eligible++;
        size_t from = b >= first_bar + REPEAT_LOOKBACK_BARS ? b - REPEAT_LOOKBACK_BARS : first_bar;
        for (size_t o = from; o < b; o++)
            if (same(work, bar, &work->bars[o])) {
                repeated++;
                break;
            }
    }
    return eligible ? (double)repeated / (double)eligible : NAN;
}

static double longest_verbatim_run(const Work *work, size_t first_bar)
{
    size_t longest = 0, run = 0;
    for (size_t b = first_bar; b < work->bar_count; b++) {
        const Bar *bar = &work->bars[b];
        if (bar->onset_count == 0)
            run = 0;
        else if (run > 0 && same_notes(work, bar, &work->bars[b - 1]))
            run++;
        else
            run = 1;
        if (run > longest)
            longest = run;
    }
    return longest ? (double)longest : NAN;
}

static int compare_doubles(const void *a_pointer, const void *b_pointer)
{
    double a = *(const double *)a_pointer, b = *(const double *)b_pointer;
    return (a > b) - (a < b);
}

static double nearest_rank(const double *sorted, size_t count, double quantile)
{
    return sorted[(size_t)floor(quantile * (double)(count - 1) + 0.5)];
}

static int measure_keys(const PnlScore *score, Work *work, PnlMusicStats *stats)
{
    size_t count = score->note_count;
    double sum = 0.0, squares = 0.0;
    work->values = malloc(count * sizeof *work->values);
    if (!work->values)
        return PNL_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        work->values[i] = score->notes[i].pitch;
        sum += score->notes[i].velocity;
    }
    stats->velocity_mean = sum / (double)count;
    for (size_t i = 0; i < count; i++) {
        double deviation = score->notes[i].velocity - stats->velocity_mean;
        squares += deviation * deviation;
    }
    stats->velocity_sd = sqrt(squares / (double)count);

    /* Register drift: the first and last quarter of the time from the
     * first onset to the last. */
    int64_t first = score->notes[0].onset_ticks;
    int64_t span = score->notes[count - 1].onset_ticks - first;
    if (span > 0) {
        double early_sum = 0.0, late_sum = 0.0;
        size_t early = 0, late = 0;
        for (size_t i = 0; i < count; i++) {
            int64_t at = score->notes[i].onset_ticks - first;
            if (4 * at < span) {
                early_sum += score->notes[i].pitch;
                early++;
            }
            if (4 * at >= 3 * span) {
                late_sum += score->notes[i].pitch;
                late++;
            }
        }
        stats->register_drift = fabs(late_sum / (double)late - early_sum / (double)early);
    }

    qsort(work->values, count, sizeof *work->values, compare_doubles);
    stats->lowest = work->values[0];
    stats->highest = work->values[count - 1];
    stats->pitch_span_5_95 =
        nearest_rank(work->values, count, 0.95) - nearest_rank(work->values, count, 0.05);

    PnlKey key;
    pnl_key_of_notes(score->notes, count, &key);
    stats->key_clarity = key.correlation;
    int shift = pnl_key_frame_shift(&key);
    for (size_t i = 0; i < count; i++)
        stats->pitch_class_histogram[((score->notes[i].pitch - shift) % 12 + 12) % 12] += 1.0;
    return PNL_OK;
}

static void clear(PnlMusicStats *stats)
{
    memset(stats, 0, sizeof *stats);
    double *figures[] = {
        &stats->silent_last_beat_share, &stats->silent_beat_share, &stats->notes_per_beat,
        &stats->polyphony, &stats->lowest, &stats->highest, &stats->pitch_span_5_95,
        &stats->register_drift, &stats->velocity_mean, &stats->velocity_sd,
        &stats->key_clarity, &stats->rhythm_repeat_within_8, &stats->melody_repeat_within_8,
        &stats->intervals_repeat_within_8, &stats->rhythm_repeat_at_8,
        &stats->rhythm_repeat_at_16, &stats->melody_repeat_at_8, &stats->melody_repeat_at_16,
        &stats->longest_verbatim_run,
    };
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        *figures[i] = NAN;
}

/* The meter bars start in: the settings', 4/4 for 0/0. Returns PNL_EINVAL
 * for a meter off the table. */
static int starting_meter(const PnlMusicStatsSettings *settings, int *numerator,
                          int *denominator)
{
    *numerator = settings->numerator;
    *denominator = settings->denominator;
    if (*numerator == 0 && *denominator == 0) {
        *numerator = 4;
        *denominator = 4;
    }
    return pnl_token_meter(*numerator, *denominator) < 0 ? PNL_EINVAL : PNL_OK;
}

/* Lays the bars of a score with notes, keeps the notes that fall in them
 * (`measured`, a view of `score`'s notes) and gathers those into onsets;
 * `first_bar` is the first bar measured: that of the first onset, or bar 1
 * when a number of bars is given. `measured` is left without notes when
 * none falls in the bars. */
static int lay_out(const PnlScore *score, const PnlMusicStatsSettings *settings, int numerator,
                   int denominator, Work *work, PnlScore *measured, size_t *first_bar)
{
    int status = lay_bars(score, numerator, denominator, settings->bars, work);
    if (status)
        return status;
    /* The notes of those bars (the score is sorted by onset). */
    *measured = *score;
    const Bar *last_bar = &work->bars[work->bar_count - 1];
    while (measured->note_count > 0 &&
           measured->notes[measured->note_count - 1].onset_ticks >=
               last_bar->start_ticks + last_bar->length_ticks)
        measured->note_count--;
    if (measured->note_count == 0)
        return PNL_OK;
    status = gather_onsets(measured, work);
    if (status)
        return status;
    *first_bar = 0;
    while (!settings->bars && work->bars[*first_bar].onset_count == 0)
        (*first_bar)++;
    return PNL_OK;
}

/* What both measures do first: the meter bars start in, and for a score
 * with notes in the bars, the bars laid out and the measured notes
 * gathered. Returns PNL_EINVAL for a meter off the table (nothing written),
 * else fills *numerator and *denominator and returns PNL_OK or an error of
 * the layout; *measured has notes only when there is something to measure
 * (and then `work` is to be freed). */
static int begin_measure(const PnlScore *score, const PnlMusicStatsSettings *settings,
                         int *numerator, int *denominator, Work *work, PnlScore *measured,
                         size_t *first_bar)
{
    static const PnlMusicStatsSettings defaults = {4, 4, 0};
    int meter_numerator, meter_denominator;
    if (!settings)
        settings = &defaults;
    memset(work, 0, sizeof *work);
    *measured = *score;
    measured->note_count = 0;
    *first_bar = 0;
    if (starting_meter(settings, &meter_numerator, &meter_denominator))
        return PNL_EINVAL;
    *numerator = meter_numerator;
    *denominator = meter_denominator;
    if (score->note_count == 0)
        return PNL_OK;
    int status = lay_out(score, settings, meter_numerator, meter_denominator, work, measured,
                         first_bar);
    if (status || measured->note_count == 0) {
        free_work(work);
        measured->note_count = 0;
    }
    return status;
}

int pnl_music_stats(const PnlScore *score, const PnlMusicStatsSettings *settings,
                    PnlMusicStats *stats)
{
    Work work;
    PnlScore measured;
    size_t first_bar;
    clear(stats);
    int status = begin_measure(score, settings, &stats->numerator, &stats->denominator, &work,
                               &measured, &first_bar);
    if (status || measured.note_count == 0)
        return status;
    score = &measured;
    status = count_sounding(score, &work);
    if (!status)
        status = measure_keys(score, &work, stats);
    if (status) {
        free_work(&work);
        return status;
    }
    main_meter(&work, first_bar, &stats->numerator, &stats->denominator);
    count_beats(&work, first_bar, stats);
    stats->notes = score->note_count;
    stats->onsets = work.onset_count;
    stats->notes_per_beat = (double)score->note_count / (double)stats->beats;
    measure_onsets(score, &work, stats);

    stats->rhythm_repeat_within_8 = repeat_share(&work, first_bar, same_rhythm, 1, 0);
    stats->melody_repeat_within_8 = repeat_share(&work, first_bar, same_melody, 1, 0);
    stats->intervals_repeat_within_8 = repeat_share(&work, first_bar, same_intervals, 2, 0);
    stats->rhythm_repeat_at_8 = repeat_share(&work, first_bar, same_rhythm, 1, 8);
    stats->rhythm_repeat_at_16 = repeat_share(&work, first_bar, same_rhythm, 1, 16);
    stats->melody_repeat_at_8 = repeat_share(&work, first_bar, same_melody, 1, 8);
    stats->melody_repeat_at_16 = repeat_share(&work, first_bar, same_melody, 1, 16);
    stats->longest_verbatim_run = longest_verbatim_run(&work, first_bar);
    free_work(&work);
    return PNL_OK;
}

static void clear_parts(PnlPartsStats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (int part = 0; part < PNL_PART_COUNT; part++) {
        PnlPartStats *figures = &stats->parts[part];
        figures->notes_per_beat = figures->sounding_beat_share = NAN;
        figures->lowest = figures->highest = figures->pitch_5 = figures->pitch_95 = NAN;
    }
}

/* One part's figures over the bars from `first_bar` on; the part has
 * notes. `keys` is scratch for as many keys as the score has notes. */
static int measure_part(const PnlScore *score, const Work *work, size_t first_bar, int part,
                        double *keys, PnlPartStats *figures)
{
    int32_t *sounding = sounding_of(score, work, part);
    if (!sounding)
        return PNL_ENOMEM;
    size_t beats = 0, sounding_beats = 0, next_note = 0;
    for (size_t b = first_bar; b < work->bar_count; b++) {
        const Bar *bar = &work->bars[b];
        int beat = pnl_meter_beat_ticks(bar->numerator, bar->denominator);
        int64_t end = bar->start_ticks + bar->length_ticks;
        for (int64_t start = bar->start_ticks; start < end; start += beat) {
            int64_t beat_end = start + beat < end ? start + beat : end;
            size_t struck = 0;
            /* A note struck before the first beat measured (a spread chord
             * across its bar line) counts in it. */
            for (; next_note < score->note_count &&
                   score->notes[next_note].onset_ticks < beat_end;
                 next_note++)
                struck += score->notes[next_note].part == part;
            figures->beat_notes_histogram[struck < PNL_BEAT_NOTE_CLASSES
                                              ? struck
                                              : PNL_BEAT_NOTE_CLASSES - 1] += 1.0;
            sounding_beats += !silent(sounding, start, beat_end);
            beats++;
        }
    }
    free(sounding);
    size_t count = 0;
    for (size_t i = 0; i < score->note_count; i++)
        if (score->notes[i].part == part) {
            keys[count++] = score->notes[i].pitch;
            figures->pitch_histogram[score->notes[i].pitch] += 1.0;
        }
    qsort(keys, count, sizeof *keys, compare_doubles);
    figures->notes = count;
    figures->notes_per_beat = (double)count / (double)beats;
    figures->sounding_beat_share = (double)sounding_beats / (double)beats;
    figures->lowest = keys[0];
    figures->highest = keys[count - 1];
    figures->pitch_5 = nearest_rank(keys, count, 0.05);
    figures->pitch_95 = nearest_rank(keys, count, 0.95);
    return PNL_OK;
}

int pnl_music_stats_parts(const PnlScore *score, const PnlMusicStatsSettings *settings,
                          PnlPartsStats *stats)
{
    Work work;
    PnlScore measured;
    size_t first_bar;
    clear_parts(stats);
    int status = begin_measure(score, settings, &stats->numerator, &stats->denominator, &work,
                               &measured, &first_bar);
    if (status || measured.note_count == 0)
        return status;
    main_meter(&work, first_bar, &stats->numerator, &stats->denominator);
    for (size_t b = first_bar; b < work.bar_count; b++) {
        const Bar *bar = &work.bars[b];
        int beat = pnl_meter_beat_ticks(bar->numerator, bar->denominator);
        stats->beats += (size_t)((bar->length_ticks + beat - 1) / beat);
        stats->bars++;
    }
    int has_notes[PNL_PART_COUNT] = {0};
    for (size_t i = 0; i < measured.note_count; i++)
        if (measured.notes[i].part < PNL_PART_COUNT)
            has_notes[measured.notes[i].part] = 1;
    work.values = malloc(measured.note_count * sizeof *work.values);
    status = work.values ? PNL_OK : PNL_ENOMEM;
    for (int part = 0; part < PNL_PART_COUNT && !status; part++)
        if (has_notes[part])
            status = measure_part(&measured, &work, first_bar, part, work.values,
                                  &stats->parts[part]);
    free_work(&work);
    return status;
}
