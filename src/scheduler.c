/* The scheduler: timeline notes to sample-accurate messages; see scheduler.h.
 *
 * Humanized onsets may come up to PNL_HUMANIZE_MAX_DEVIATION_MS before their
 * grid time, so a segment looks that far past its end; notes are marked done
 * in a small window above the cursor because a later note may be performed
 * before an earlier one (a chord's melody lead). */
#include "scheduler.h"

#include <math.h>
#include <string.h>

#include "humanize.h"

void pnl_scheduler_init(PnlScheduler *scheduler)
{
    memset(scheduler, 0, sizeof *scheduler);
    scheduler->floor_ticks = -INFINITY;
}

static int is_done(const PnlScheduler *scheduler, uint32_t index)
{
    uint32_t bit = index % PNL_SCHEDULER_WINDOW;
    return (int)((scheduler->done_bits[bit / 64] >> (bit % 64)) & 1u);
}

static void set_done(PnlScheduler *scheduler, uint32_t index, int done)
{
    uint32_t bit = index % PNL_SCHEDULER_WINDOW;
    uint64_t mask = (uint64_t)1 << (bit % 64);
    if (done)
        scheduler->done_bits[bit / 64] |= mask;
    else
        scheduler->done_bits[bit / 64] &= ~mask;
}

/* The first frame at or after a tick; a millionth of a frame of tolerance
 * absorbs rounding in the tick arithmetic, so a note exactly on a frame
 * stays on it. */
static double unclamped_frame(const PnlSegment *segment, double ticks)
{
    return ceil((ticks - segment->start_ticks) / segment->ticks_per_frame - 1e-6);
}

/* Whether a tick falls in this segment, by the same rounding as its frame
 * (a note a hair before the segment's end in ticks may still belong to the
 * next segment's first frame). */
static int before_end(const PnlSegment *segment, double ticks)
{
    return unclamped_frame(segment, ticks) < (double)segment->frames;
}

static uint32_t frame_of(const PnlSegment *segment, double ticks)
{
    double frame = unclamped_frame(segment, ticks);
    if (!(frame > 0.0))
        return 0;
    if (frame >= (double)segment->frames)
        return segment->frames ? segment->frames - 1 : 0;
    return (uint32_t)frame;
}

static int voice_of(const PnlTimelineNote *note)
{
    return (note->part < PNL_PART_COUNT ? note->part : 0) * 128 + (note->pitch & 0x7f);
}

/* The note-off of a sounding voice, which then no longer sounds. */
static PnlNoteMessage end_voice(PnlScheduler *scheduler, int voice, uint32_t frame)
{
    scheduler->sounding[voice] = 0;
    scheduler->sounding_count--;
    return (PnlNoteMessage){.frame = frame, .type = PNL_NOTE_OFF, .pitch = (uint8_t)(voice % 128),
                            .part = (uint8_t)(voice / 128),
                            .origin = scheduler->sounding_origin[voice]};
}

int pnl_scheduler_release_all(PnlScheduler *scheduler, uint32_t frame,
                              PnlNoteMessage *messages, int max_messages)
{
    int count = 0;
    for (int voice = 0; voice < PNL_SCHEDULER_VOICES && count < max_messages &&
                        scheduler->sounding_count > 0;
         voice++)
        if (scheduler->sounding[voice])
            messages[count++] = end_voice(scheduler, voice, frame);
    return count;
}

int pnl_scheduler_locate(PnlScheduler *scheduler, const PnlTimeline *timeline, double ticks,
                         uint32_t frame, PnlNoteMessage *messages, int max_messages)
{
    int count = pnl_scheduler_release_all(scheduler, frame, messages, max_messages);
    /* Notes whose grid onset lies within the largest early deviation of the
     * new position may still be due; the floor skips the ones performed
     * before it. The deviation in ticks is unknown until the next segment's
     * tempo, so the search starts a generous beat earlier. */
    double search_from = ticks - PNL_TICKS_PER_QUARTER;
    scheduler->cursor = pnl_timeline_find(timeline, search_from);
    memset(scheduler->done_bits, 0, sizeof scheduler->done_bits);
    scheduler->floor_ticks = ticks;
    return count;
}

void pnl_scheduler_timeline_truncated(PnlScheduler *scheduler, uint32_t count)
{
    if (scheduler->cursor > count)
        scheduler->cursor = count;
    for (uint32_t index = count; index < scheduler->cursor + PNL_SCHEDULER_WINDOW; index++)
        set_done(scheduler, index, 0);
}

static double performed_ticks(const PnlTimelineNote *note, const PnlSegment *segment)
{
    double deviation_ms = pnl_humanize_deviation_ms(note, segment->humanize_timing);
    return (double)note->onset_ticks + deviation_ms * segment->ticks_per_ms;
}

/* Messages are made in the order they happen: before each note-on, the
 * note-offs due by then (a re-struck pitch's off first), and at the end the
 * offs still due in the segment. Sorting by frame alone, stably, keeps that
 * order within a frame, so a note that starts and ends in one frame still
 * has its note-on before its own note-off. */
static int message_before(const PnlNoteMessage *a, const PnlNoteMessage *b)
{
    return a->frame < b->frame;
}

static void sort_messages(PnlNoteMessage *messages, int count)
{
    for (int i = 1; i < count; i++) {
        PnlNoteMessage message = messages[i];
        int j = i - 1;
        while (j >= 0 && message_before(&message, &messages[j])) {
            messages[j + 1] = messages[j];
            j--;
        }
        messages[j + 1] = message;
    }
}

typedef struct {
    double ticks;
    uint32_t index;
} Candidate;

static int emit_offs_until(PnlScheduler *scheduler, const PnlSegment *segment, double until,
                           int inclusive, PnlNoteMessage *messages, int count,
                           int max_messages)
{
    for (int voice = 0; voice < PNL_SCHEDULER_VOICES && count < max_messages &&
                        scheduler->sounding_count > 0;
         voice++) {
        if (!scheduler->sounding[voice])
            continue;
        double off = scheduler->off_ticks[voice];
        if ((off < until || (inclusive && off <= until)) && before_end(segment, off))
            messages[count++] = end_voice(scheduler, voice, frame_of(segment, off));
    }
    return count;
}

int pnl_scheduler_segment(PnlScheduler *scheduler, const PnlTimeline *timeline,
                          const PnlSegment *segment, PnlNoteMessage *messages,
                          int max_messages)
{
    if (segment->frames == 0 || !(segment->ticks_per_frame > 0.0) || max_messages <= 0)
        return 0;
    const PnlTimelineNote *notes = pnl_timeline_notes(timeline);
    uint32_t note_count = pnl_timeline_count(timeline);
    double end_ticks = segment->start_ticks + segment->frames * segment->ticks_per_frame;
    double lead_ticks = PNL_HUMANIZE_MAX_DEVIATION_MS * segment->ticks_per_ms + 1e-9;

    /* Collect the note-ons performed in this segment, in performed order. */
    Candidate candidates[PNL_SCHEDULER_WINDOW];
    int candidate_count = 0;
    /* Each note-on may need an off before it (a re-struck pitch): keep room. */
    int max_ons = max_messages / 2;
    for (uint32_t index = scheduler->cursor;
         index < note_count && index - scheduler->cursor < PNL_SCHEDULER_WINDOW; index++) {
        const PnlTimelineNote *note = &notes[index];
        if ((double)note->onset_ticks - lead_ticks >= end_ticks)
            break;
        if (is_done(scheduler, index))
            continue;
        double performed = performed_ticks(note, segment);
        if (performed < scheduler->floor_ticks) {
            set_done(scheduler, index, 1);
            continue;
        }
        if (!before_end(segment, performed) || candidate_count >= max_ons)
            continue;
        int at = candidate_count++;
        while (at > 0 && candidates[at - 1].ticks > performed) {
            candidates[at] = candidates[at - 1];
            at--;
        }
        candidates[at] = (Candidate){performed, index};
    }

    int count = 0;
    for (int c = 0; c < candidate_count; c++) {
        const PnlTimelineNote *note = &notes[candidates[c].index];
        double performed = candidates[c].ticks;
        count = emit_offs_until(scheduler, segment, performed, 1, messages, count, max_messages);
        if (count + 2 > max_messages)
            break;
        uint32_t frame = frame_of(segment, performed);
        int voice = voice_of(note);
        if (scheduler->sounding[voice])
            messages[count++] = end_voice(scheduler, voice, frame);
        messages[count++] = (PnlNoteMessage){
            .frame = frame, .type = PNL_NOTE_ON, .pitch = note->pitch,
            .velocity = pnl_humanize_velocity(note, segment->humanize_velocity),
            .origin = note->origin, .part = (uint8_t)(voice / 128),
            .note_index = candidates[c].index};
        scheduler->sounding[voice] = 1;
        scheduler->sounding_origin[voice] = note->origin;
        scheduler->off_ticks[voice] =
            performed + (double)note->duration_ticks +
            pnl_humanize_legato_ms(note, segment->humanize_timing) * segment->ticks_per_ms;
        scheduler->sounding_count++;
        set_done(scheduler, candidates[c].index, 1);
    }
    while (scheduler->cursor < note_count && is_done(scheduler, scheduler->cursor)) {
        set_done(scheduler, scheduler->cursor, 0);
        scheduler->cursor++;
    }
    count = emit_offs_until(scheduler, segment, end_ticks, 0, messages, count, max_messages);
    sort_messages(messages, count);
    return count;
}
