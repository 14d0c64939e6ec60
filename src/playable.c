/* Fitting an ensemble score to its roles; see playable.h. */
#include "playable.h"

#include "parts.h"
#include "vocabulary.h"

/* The longest duration of the vocabulary that is at most `ticks` (>= 1):
 * a cut note must end by the new onset once snapped, not a grid step
 * after it. Every length of 1..12 ticks is a token, so one always fits. */
static int duration_at_most(int64_t ticks)
{
    int best = pnl_duration_ticks(0);
    for (int d = 0; d < PNL_DUR_COUNT; d++)
        if (pnl_duration_ticks(d) <= ticks)
            best = pnl_duration_ticks(d);
    return best;
}

static int64_t end_of(const PnlNote *note)
{
    return note->onset_ticks + note->duration_ticks;
}

/* Drops notes out of range or of undeclared roles, and the inner notes of
 * chords too big for their role; keeps the order. */
static void drop_unplayable(PnlScore *score, PnlPlayableCounts *counts)
{
    size_t kept = 0;
    for (size_t first = 0; first < score->note_count;) {
        /* One group: the notes of one part at one onset, pitches ascending. */
        size_t last = first;
        while (last + 1 < score->note_count &&
               score->notes[last + 1].onset_ticks == score->notes[first].onset_ticks &&
               score->notes[last + 1].part == score->notes[first].part)
            last++;
        int part = score->notes[first].part;
        const PnlPartRole *role = pnl_part_role(part);
        size_t lowest = SIZE_MAX, highest = SIZE_MAX, in_range = 0;
        for (size_t i = first; i <= last; i++) {
            if (!role || !(score->parts >> part & 1u)) {
                counts->undeclared++;
                continue;
            }
            if (!pnl_part_in_range(part, score->notes[i].pitch)) {
                counts->out_of_range++;
                continue;
            }
            if (lowest == SIZE_MAX)
                lowest = i;
            highest = i;
            in_range++;
        }
        for (size_t i = first; i <= last && in_range; i++) {
            if (!pnl_part_in_range(part, score->notes[i].pitch) || !(score->parts >> part & 1u))
                continue;
            int keep = role->voices == PNL_PART_UNLIMITED || in_range <= role->voices ||
                       i == highest || (role->voices >= 2 && i == lowest);
            if (keep)
                score->notes[kept++] = score->notes[i];
            else
                counts->chord_notes++;
        }
        first = last + 1;
    }
    score->note_count = kept;
}

/* Ends a note where its part strikes its pitch again (the score is in
 * onset order). */
static void end_notes_struck_again(PnlScore *score, PnlPlayableCounts *counts)
{
    size_t last[PNL_PART_COUNT][128];
    for (int part = 0; part < PNL_PART_COUNT; part++)
        for (int pitch = 0; pitch < 128; pitch++)
            last[part][pitch] = SIZE_MAX;
    for (size_t i = 0; i < score->note_count; i++) {
        const PnlNote *note = &score->notes[i];
        size_t *previous = &last[note->part][note->pitch & 127];
        if (*previous != SIZE_MAX) {
            PnlNote *held = &score->notes[*previous];
            if (end_of(held) > note->onset_ticks && held->onset_ticks < note->onset_ticks) {
                held->duration_ticks = (int32_t)(note->onset_ticks - held->onset_ticks);
                counts->restruck++;
            }
        }
        *previous = i;
    }
}

/* Ends earlier notes of each limited part where a new onset would pass
 * its limit. `sounding[part]` holds the indices of its notes still
 * sounding, at most its voices. */
static void cut_overlaps(PnlScore *score, PnlPlayableCounts *counts)
{
    size_t sounding[PNL_PART_COUNT][PNL_PART_MAX_VOICES];
    int sounding_count[PNL_PART_COUNT] = {0};
    for (size_t first = 0; first < score->note_count;) {
        size_t last = first;
        int64_t onset = score->notes[first].onset_ticks;
        int part = score->notes[first].part;
        int voices = pnl_part_role(part)->voices;
        while (last + 1 < score->note_count && score->notes[last + 1].onset_ticks == onset &&
               score->notes[last + 1].part == part)
            last++;
        if (voices != PNL_PART_UNLIMITED) {
            size_t *held = sounding[part];
            int group = (int)(last - first + 1), count = 0;
            for (int h = 0; h < sounding_count[part]; h++)
                if (end_of(&score->notes[held[h]]) > onset)
                    held[count++] = held[h];
            while (count + group > voices) {
                /* End the note that would end soonest (the lower on a tie). */
                int soonest = 0;
                for (int h = 1; h < count; h++) {
                    const PnlNote *a = &score->notes[held[h]], *b = &score->notes[held[soonest]];
                    if (end_of(a) < end_of(b) || (end_of(a) == end_of(b) && a->pitch < b->pitch))
                        soonest = h;
                }
                PnlNote *cut = &score->notes[held[soonest]];
                cut->duration_ticks = duration_at_most(onset - cut->onset_ticks);
                counts->overlaps_cut++;
                held[soonest] = held[--count];
            }
            for (size_t i = first; i <= last; i++) {
                PnlNote *note = &score->notes[i];
                note->duration_ticks = pnl_duration_ticks(pnl_duration_index(note->duration_ticks));
                held[count++] = i;
            }
            sounding_count[part] = count;
        }
        first = last + 1;
    }
}

void pnl_score_make_playable(PnlScore *score, PnlPlayableCounts *counts)
{
    PnlPlayableCounts local = {0, 0, 0, 0, 0};
    if (!counts)
        counts = &local;
    if (!score->parts)
        return;
    drop_unplayable(score, counts);
    end_notes_struck_again(score, counts);
    cut_overlaps(score, counts);
}
