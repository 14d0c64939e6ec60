/* The timeline: appends invisible until published, onset order enforced,
 * truncation for regenerating, and capacity for an hour of dense music. */
#include "check.h"
#include "status.h"
#include "timeline.h"

static PnlTimelineNote note_at(int32_t onset, uint8_t pitch)
{
    return (PnlTimelineNote){.onset_ticks = onset, .duration_ticks = 12, .pitch = pitch,
                             .velocity = 64};
}

static void test_appended_notes_are_invisible_until_published(void)
{
    PnlTimeline *timeline = pnl_timeline_new(16);
    CHECK(timeline, "no timeline");
    PnlTimelineNote note = note_at(24, 60);
    int status = pnl_timeline_append(timeline, &note);
    uint32_t before = pnl_timeline_count(timeline);
    pnl_timeline_publish(timeline, 96);
    uint32_t after = pnl_timeline_count(timeline);
    int32_t horizon = pnl_timeline_horizon_ticks(timeline);
    pnl_timeline_free(timeline);
    CHECK(status == PNL_OK, "append failed: %d", status);
    CHECK(before == 0 && after == 1, "expected 0 then 1 visible notes, got %u then %u", before,
          after);
    CHECK(horizon == 96, "expected the horizon at 96, got %d", horizon);
}

static void test_notes_must_not_go_back_in_time(void)
{
    PnlTimeline *timeline = pnl_timeline_new(16);
    PnlTimelineNote later = note_at(48, 60), earlier = note_at(24, 62), bad = note_at(60, 60);
    bad.velocity = 0;
    int first = pnl_timeline_append(timeline, &later);
    int second = pnl_timeline_append(timeline, &earlier);
    int third = pnl_timeline_append(timeline, &bad);
    pnl_timeline_free(timeline);
    CHECK(first == PNL_OK && second == PNL_EINVAL && third == PNL_EINVAL,
          "expected ok, refused, refused; got %d %d %d", first, second, third);
}

static void test_truncation_drops_notes_from_a_tick_on(void)
{
    PnlTimeline *timeline = pnl_timeline_new(16);
    for (int i = 0; i < 8; i++) {
        PnlTimelineNote note = note_at(i * 24, (uint8_t)(60 + i));
        pnl_timeline_append(timeline, &note);
    }
    pnl_timeline_publish(timeline, 192);
    pnl_timeline_truncate(timeline, 100);
    uint32_t count = pnl_timeline_count(timeline);
    int32_t horizon = pnl_timeline_horizon_ticks(timeline);
    uint32_t found = pnl_timeline_find(timeline, 48.0);
    PnlTimelineNote next = note_at(120, 70);
    int status = pnl_timeline_append(timeline, &next);
    pnl_timeline_free(timeline);
    CHECK(count == 5, "expected the 5 notes before tick 100 kept, got %u", count);
    CHECK(horizon == 100, "expected the horizon back at 100, got %d", horizon);
    CHECK(found == 2, "expected the note at tick 48 at index 2, got %u", found);
    CHECK(status == PNL_OK, "appending after the cut failed");
}

static void test_capacity_holds_an_hour_of_dense_music(void)
{
    /* An hour at 120 BPM is 7200 beats; 16 notes a beat is dense piano. */
    uint32_t needed = 7200 * 16;
    PnlTimeline *timeline = pnl_timeline_new(PNL_TIMELINE_DEFAULT_CAPACITY);
    CHECK(timeline, "no timeline");
    uint32_t appended = 0;
    for (uint32_t i = 0; i < needed; i++) {
        /* Four-note chords on every sixteenth. */
        PnlTimelineNote note = note_at((int32_t)(i / 4 * 6), (uint8_t)(40 + i % 48));
        if (pnl_timeline_append(timeline, &note) == PNL_OK)
            appended++;
    }
    pnl_timeline_free(timeline);
    CHECK(appended == needed, "expected %u notes to fit, %u did", needed, appended);
}

int main(void)
{
    RUN_TEST(test_appended_notes_are_invisible_until_published);
    RUN_TEST(test_notes_must_not_go_back_in_time);
    RUN_TEST(test_truncation_drops_notes_from_a_tick_on);
    RUN_TEST(test_capacity_holds_an_hour_of_dense_music);
    CHECK_EXIT();
}
