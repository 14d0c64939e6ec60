/* The score container: notes and meter changes in grid ticks, and the
 * normal form the codec needs; see score.h. */
#include "score.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

void pnl_score_init(PnlScore *score)
{
    memset(score, 0, sizeof *score);
}

void pnl_score_free(PnlScore *score)
{
    free(score->notes);
    free(score->meters);
    pnl_score_init(score);
}

void pnl_score_clear(PnlScore *score)
{
    score->note_count = 0;
    score->meter_count = 0;
    score->parts = 0;
}

static int grow(void **items, size_t *capacity, size_t count, size_t item_size)
{
    size_t new_capacity;
    void *grown;
    if (count < *capacity)
        return PNL_OK;
    new_capacity = *capacity ? *capacity * 2 : 256;
    grown = realloc(*items, new_capacity * item_size);
    if (!grown)
        return PNL_ENOMEM;
    *items = grown;
    *capacity = new_capacity;
    return PNL_OK;
}

int pnl_score_add_note(PnlScore *score, PnlNote note)
{
    if (grow((void **)&score->notes, &score->note_capacity, score->note_count, sizeof note))
        return PNL_ENOMEM;
    score->notes[score->note_count++] = note;
    return PNL_OK;
}

int pnl_score_add_meter(PnlScore *score, PnlMeterChange meter)
{
    if (grow((void **)&score->meters, &score->meter_capacity, score->meter_count, sizeof meter))
        return PNL_ENOMEM;
    score->meters[score->meter_count++] = meter;
    return PNL_OK;
}

int pnl_note_before(const PnlNote *a, const PnlNote *b)
{
    if (a->onset_ticks != b->onset_ticks)
        return a->onset_ticks < b->onset_ticks;
    if (a->part != b->part)
        return a->part < b->part;
    return a->pitch < b->pitch;
}

/* Stable insertion sort, fast on the nearly sorted lists MIDI files give;
 * falls back to a merge for anything else. */
static void sort_notes(PnlNote *notes, size_t count)
{
    PnlNote *scratch;
    size_t width;
    size_t out_of_order = 0;
    for (size_t i = 1; i < count; i++)
        out_of_order += pnl_note_before(&notes[i], &notes[i - 1]);
    if (!out_of_order)
        return;
    scratch = malloc(count * sizeof *scratch);
    if (!scratch) {
        for (size_t i = 1; i < count; i++) {
            PnlNote note = notes[i];
            size_t j = i;
            for (; j > 0 && pnl_note_before(&note, &notes[j - 1]); j--)
                notes[j] = notes[j - 1];
            notes[j] = note;
        }
        return;
    }
    for (width = 1; width < count; width *= 2) {
        for (size_t left = 0; left < count; left += 2 * width) {
            size_t middle = left + width < count ? left + width : count;
            size_t right = left + 2 * width < count ? left + 2 * width : count;
            size_t a = left, b = middle, out = left;
            while (a < middle && b < right)
                scratch[out++] = pnl_note_before(&notes[b], &notes[a]) ? notes[b++] : notes[a++];
            while (a < middle)
                scratch[out++] = notes[a++];
            while (b < right)
                scratch[out++] = notes[b++];
        }
        memcpy(notes, scratch, count * sizeof *notes);
    }
    free(scratch);
}

void pnl_score_normalize(PnlScore *score, PnlDropCounts *dropped)
{
    PnlDropCounts counts = {0, 0};
    size_t kept = 0;
    sort_notes(score->notes, score->note_count);
    for (size_t i = 0; i < score->note_count; i++) {
        PnlNote note = score->notes[i];
        if (note.pitch < PNL_LOWEST_PITCH || note.pitch > PNL_HIGHEST_PITCH ||
            note.onset_ticks < 0) {
            counts.out_of_range++;
            continue;
        }
        if (note.velocity < 1)
            note.velocity = 1;
        if (note.velocity > 127)
            note.velocity = 127;
        if (note.duration_ticks < 1)
            note.duration_ticks = 1;
        /* The notes of one onset, part and pitch are adjacent; among them
         * look for one of the same track. */
        PnlNote *first = NULL;
        for (size_t k = kept; k-- > 0 && score->notes[k].onset_ticks == note.onset_ticks &&
                              score->notes[k].part == note.part &&
                              score->notes[k].pitch == note.pitch;)
            if (score->notes[k].track == note.track)
                first = &score->notes[k];
        if (first) {
            /* The pitch struck twice within half a grid step by one
             * instrument: one note that sounds as long as either. */
            if (note.duration_ticks > first->duration_ticks)
                first->duration_ticks = note.duration_ticks;
            counts.duplicates++;
            continue;
        }
        score->notes[kept++] = note;
    }
    score->note_count = kept;
    /* Meter changes: few, insertion sort keeps equal ticks in file order. */
    for (size_t i = 1; i < score->meter_count; i++) {
        PnlMeterChange meter = score->meters[i];
        size_t j = i;
        for (; j > 0 && score->meters[j - 1].at_ticks > meter.at_ticks; j--)
            score->meters[j] = score->meters[j - 1];
        score->meters[j] = meter;
    }
    if (dropped)
        *dropped = counts;
}
