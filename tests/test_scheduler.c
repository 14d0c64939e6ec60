/* The scheduler: note-ons at exact frames, note-offs before note-ons at a
 * shared frame, humanized onsets in performed order, every sounding note
 * ended on release, and no replays after a locate. */
#include <math.h>

#include "check.h"
#include "humanize.h"
#include "scheduler.h"

/* 120 BPM at 48 kHz: a tick (1/24 beat) is 1000 frames. */
static PnlSegment segment_at(double start_ticks, uint32_t frames, float timing)
{
    return (PnlSegment){.start_ticks = start_ticks, .ticks_per_frame = 0.001, .frames = frames,
                        .ticks_per_ms = 0.048, .humanize_velocity = 0.0f,
                        .humanize_timing = timing};
}

static PnlTimeline *timeline_of(const PnlTimelineNote *notes, int count)
{
    PnlTimeline *timeline = pnl_timeline_new(64);
    for (int i = 0; i < count; i++)
        pnl_timeline_append(timeline, &notes[i]);
    pnl_timeline_publish(timeline, 10000);
    return timeline;
}

static void test_note_ons_land_on_their_frames(void)
{
    PnlTimelineNote notes[] = {{.onset_ticks = 3, .duration_ticks = 2, .pitch = 60, .velocity = 70},
                               {.onset_ticks = 5, .duration_ticks = 6, .pitch = 60, .velocity = 80}};
    PnlTimeline *timeline = timeline_of(notes, 2);
    PnlScheduler scheduler;
    pnl_scheduler_init(&scheduler);
    PnlNoteMessage messages[16];
    PnlSegment segment = segment_at(0.0, 8192, 0.0f);
    int count = pnl_scheduler_segment(&scheduler, timeline, &segment, messages, 16);
    pnl_timeline_free(timeline);
    CHECK(count == 3, "expected on, off, on; got %d messages", count);
    CHECK(messages[0].type == PNL_NOTE_ON && messages[0].frame == 3000,
          "expected the first note-on at frame 3000, got type %d at %u", messages[0].type,
          messages[0].frame);
    CHECK(messages[1].type == PNL_NOTE_OFF && messages[1].frame == 5000 &&
              messages[2].type == PNL_NOTE_ON && messages[2].frame == 5000,
          "expected the off before the re-struck on at frame 5000, got %d@%u %d@%u",
          messages[1].type, messages[1].frame, messages[2].type, messages[2].frame);
}

static void test_melody_lead_plays_the_top_note_first(void)
{
    PnlTimelineNote chord[] = {{.onset_ticks = 96, .duration_ticks = 24, .pitch = 48, .velocity = 60},
                               {.onset_ticks = 96, .duration_ticks = 24, .pitch = 55, .velocity = 60},
                               {.onset_ticks = 96, .duration_ticks = 24, .pitch = 76, .velocity = 60}};
    PnlHumanizeStyle style = {.seed = 1, .bar_ticks = 96, .beat_ticks = 24, .phrase_bars = 4};
    pnl_humanize_onset(&style, chord, 3);
    PnlTimeline *timeline = timeline_of(chord, 3);
    PnlScheduler scheduler;
    pnl_scheduler_init(&scheduler);
    PnlNoteMessage messages[16];
    int count = 0;
    /* Small segments, as with small host blocks. */
    for (double start = 80.0; start < 120.0; start += 0.5) {
        PnlSegment segment = segment_at(start, 500, 1.0f);
        int got = pnl_scheduler_segment(&scheduler, timeline, &segment, messages + count,
                                        16 - count);
        for (int i = count; i < count + got; i++)
            messages[i].frame += (uint32_t)((start - 80.0) * 1000.0);
        count += got;
    }
    pnl_timeline_free(timeline);
    CHECK(count >= 3 && messages[0].pitch == 76,
          "expected the melody note (76) first, got %d messages, first pitch %d", count,
          count ? messages[0].pitch : -1);
    double lead_ms = 0;
    for (int i = 1; i < count; i++)
        if (messages[i].pitch == 48 && messages[i].type == PNL_NOTE_ON)
            lead_ms = (messages[i].frame - messages[0].frame) / 48.0;
    CHECK(lead_ms > 10.0 && lead_ms < 40.0, "expected a lead of 10-40 ms over the bass, got %.1f",
          lead_ms);
}

static void test_release_ends_every_sounding_note_and_locate_never_replays(void)
{
    PnlTimelineNote notes[] = {{.onset_ticks = 0, .duration_ticks = 96, .pitch = 60, .velocity = 70},
                               {.onset_ticks = 0, .duration_ticks = 96, .pitch = 64, .velocity = 70},
                               {.onset_ticks = 24, .duration_ticks = 96, .pitch = 67, .velocity = 70}};
    PnlTimeline *timeline = timeline_of(notes, 3);
    PnlScheduler scheduler;
    pnl_scheduler_init(&scheduler);
    PnlNoteMessage messages[16];
    PnlSegment segment = segment_at(0.0, 30000, 0.0f);
    int ons = pnl_scheduler_segment(&scheduler, timeline, &segment, messages, 16);
    int offs = pnl_scheduler_release_all(&scheduler, 7, messages, 16);
    int all_at_seven = 1;
    for (int i = 0; i < offs; i++)
        all_at_seven &= messages[i].frame == 7 && messages[i].type == PNL_NOTE_OFF;
    pnl_scheduler_locate(&scheduler, timeline, 12.0, 0, messages, 16);
    segment = segment_at(12.0, 30000, 0.0f);
    int after_locate = pnl_scheduler_segment(&scheduler, timeline, &segment, messages, 16);
    pnl_timeline_free(timeline);
    CHECK(ons == 3 && offs == 3 && all_at_seven,
          "expected 3 note-ons then 3 note-offs at frame 7, got %d and %d", ons, offs);
    CHECK(after_locate == 1 && messages[0].pitch == 67,
          "after locating to tick 12, expected only the note at tick 24, got %d messages",
          after_locate);
}

/* A note on the frame where a segment ends belongs to the next segment's
 * first frame, whatever the rounding of the tick arithmetic. */
static void test_a_note_on_a_segment_boundary_starts_the_next_segment(void)
{
    PnlTimelineNote notes[] = {{.onset_ticks = 24, .duration_ticks = 6, .pitch = 60, .velocity = 70}};
    PnlTimeline *timeline = timeline_of(notes, 1);
    PnlScheduler scheduler;
    pnl_scheduler_init(&scheduler);
    PnlNoteMessage messages[8];
    double ticks_per_frame = 2.0 * 24.0 / 44100.0; /* 120 BPM at 44.1 kHz */
    int in_first = 0, first_frame = -1;
    double start = 0.0;
    for (int segment_index = 0; segment_index < 30; segment_index++) {
        PnlSegment segment = {.start_ticks = start, .ticks_per_frame = ticks_per_frame,
                              .frames = 735, .ticks_per_ms = 0.048};
        int count = pnl_scheduler_segment(&scheduler, timeline, &segment, messages, 8);
        for (int i = 0; i < count; i++)
            if (messages[i].type == PNL_NOTE_ON) {
                in_first = segment_index;
                first_frame = (int)messages[i].frame;
            }
        start += 735 * ticks_per_frame;
    }
    pnl_timeline_free(timeline);
    /* Beat 1 is frame 22050 = 30 segments of 735: segment 30 does not run,
     * so the note must not have started in segment 29's last frame. */
    CHECK(first_frame == -1, "the note on the boundary started early, in segment %d frame %d",
          in_first, first_frame);
}

static void test_parts_sound_one_pitch_apart_and_strings_play_legato(void)
{
    /* The piano and a violin both on E5; the violin's next note starts as
     * its first ends. */
    PnlTimelineNote notes[] = {
        {.onset_ticks = 0, .duration_ticks = 4, .pitch = 76, .velocity = 70},
        {.onset_ticks = 0, .duration_ticks = 2, .pitch = 76, .velocity = 70,
         .part = PNL_PART_VIOLIN_1},
        {.onset_ticks = 2, .duration_ticks = 2, .pitch = 77, .velocity = 70,
         .part = PNL_PART_VIOLIN_1}};
    PnlTimeline *timeline = timeline_of(notes, 3);
    PnlScheduler scheduler;
    pnl_scheduler_init(&scheduler);
    PnlNoteMessage messages[16];
    /* Full timing: the violin's notes sound 40 ms (1.92 ticks at 0.048 a ms,
     * 1920 frames) past their written ends. */
    PnlSegment segment = segment_at(0.0, 8192, 1.0f);
    int count = pnl_scheduler_segment(&scheduler, timeline, &segment, messages, 16);
    pnl_timeline_free(timeline);
    int piano_off = -1, violin_e_off = -1, violin_f_on = -1, ons = 0;
    for (int i = 0; i < count; i++) {
        const PnlNoteMessage *m = &messages[i];
        ons += m->type == PNL_NOTE_ON;
        if (m->type == PNL_NOTE_OFF && m->part == PNL_PART_PIANO && m->pitch == 76)
            piano_off = (int)m->frame;
        if (m->type == PNL_NOTE_OFF && m->part == PNL_PART_VIOLIN_1 && m->pitch == 76)
            violin_e_off = (int)m->frame;
        if (m->type == PNL_NOTE_ON && m->part == PNL_PART_VIOLIN_1 && m->pitch == 77)
            violin_f_on = (int)m->frame;
    }
    CHECK(ons == 3, "expected the piano's and the violin's E5 and the violin's F5 on, got %d "
          "note-ons", ons);
    CHECK(piano_off == 4000, "expected the piano's E5 to end as written at frame 4000 (the "
          "violin's E5 ending does not end it), got %d", piano_off);
    CHECK(violin_f_on == 2000 && violin_e_off == 2000 + 1920,
          "expected the violin's F5 at 2000 and its E5 held 40 ms into it (off at 3920), got "
          "on %d, off %d", violin_f_on, violin_e_off);
}

int main(void)
{
    RUN_TEST(test_note_ons_land_on_their_frames);
    RUN_TEST(test_a_note_on_a_segment_boundary_starts_the_next_segment);
    RUN_TEST(test_melody_lead_plays_the_top_note_first);
    RUN_TEST(test_release_ends_every_sounding_note_and_locate_never_replays);
    RUN_TEST(test_parts_sound_one_pitch_apart_and_strings_play_legato);
    CHECK_EXIT();
}
