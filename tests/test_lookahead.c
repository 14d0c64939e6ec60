/* The lookahead policy (plugin/lookahead.c), directly: bar jobs two bars
 * ahead of the playhead, a changed setting or a re-roll cut at the first
 * beat no humanized note can reach (and not while capturing), a captured
 * phrase cut in where it began and continued at the next bar, a restored
 * state resumed at its horizon. The expected ticks are worked out here from
 * the grid (24 ticks a quarter note) and the humanizer's 30 ms bound. */
#include <math.h>

#include "check.h"
#include "lookahead.h"
#include "uris.h"

enum { RATE = 48000, BEAT = 24, BAR = 96 };

static PnlComposeSettings settings_4_4(uint32_t seed)
{
    return (PnlComposeSettings){.composer_choice = 0, .temperature = 0.9f, .top_p = 0.95f,
                                .seed = seed, .bar_ticks = BAR, .beat_ticks = BEAT};
}

/* A host transport at 120 BPM in 4/4, rolling or stopped, at `beats`. */
static PnlTransport transport_at(double beats, int rolling)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    PnlPositionUpdate update = {.has_bpm = 1, .bpm = 120.0, .has_beats_per_bar = 1,
                                .beats_per_bar = 4.0, .has_beat_unit = 1, .beat_unit = 4,
                                .has_speed = 1, .speed = rolling ? 1.0 : 0.0, .has_bar = 1,
                                .bar = (int64_t)floor(beats / 4.0), .has_bar_beat = 1};
    update.bar_beat = beats - 4.0 * (double)update.bar;
    pnl_transport_apply(&transport, &update);
    return transport;
}

/* A lookahead composing `settings` whose timeline reaches compose_from. */
static PnlLookahead composing(const PnlComposeSettings *settings, int32_t compose_from)
{
    PnlLookahead lookahead;
    pnl_lookahead_init(&lookahead);
    PnlTransport transport = transport_at(0, 1);
    int32_t cut;
    pnl_lookahead_follow_settings(&lookahead, settings, 0, &transport, &cut);
    lookahead.compose_from_ticks = compose_from;
    return lookahead;
}

static void test_the_first_settings_are_taken_without_a_cut(void)
{
    PnlLookahead lookahead;
    pnl_lookahead_init(&lookahead);
    PnlComposeSettings wanted = settings_4_4(1);
    PnlTransport transport = transport_at(10, 1);
    int32_t cut = -1;
    int must_cut = pnl_lookahead_follow_settings(&lookahead, &wanted, 0, &transport, &cut);
    CHECK(!must_cut && cut == -1, "expected no cut for the first settings, got %d at %d",
          must_cut, cut);
    CHECK(lookahead.have_composing && pnl_lookahead_same_settings(&lookahead.composing, &wanted),
          "expected the wanted settings taken");
}

static void test_bar_jobs_keep_two_bars_ahead_of_the_playhead_a_bar_each(void)
{
    PnlComposeSettings settings = settings_4_4(1);
    PnlLookahead lookahead = composing(&settings, 0);
    PnlTransport start = transport_at(0, 1);
    PnlBarJob jobs[4];
    int count = 0;
    while (count < 4 && pnl_lookahead_next_job(&lookahead, &start, &jobs[count]))
        pnl_lookahead_job_scheduled(&lookahead, &jobs[count++]);
    CHECK(count == 2 && jobs[0].from_ticks == 0 && jobs[0].until_ticks == BAR &&
              jobs[1].from_ticks == BAR && jobs[1].until_ticks == 2 * BAR,
          "expected bars [0, 96) and [96, 192) at the start, got %d jobs", count);
    /* A little into the first bar, the third is due. */
    PnlTransport later = transport_at(0.25, 1);
    PnlBarJob next;
    int due = pnl_lookahead_next_job(&lookahead, &later, &next);
    CHECK(due && next.from_ticks == 2 * BAR && next.until_ticks == 3 * BAR &&
              next.settings.seed == 1,
          "expected bar [192, 288) due at beat 0.25, got %d: [%d, %d)", due, next.from_ticks,
          next.until_ticks);
}

static void test_a_changed_setting_cuts_at_the_first_beat_no_humanized_note_reaches(void)
{
    /* At 120 BPM a tick is 1/48 of a second: 30 ms is 1.44 ticks, plus a
     * tick of margin. On beat 16 exactly, the next beat (17) is clear; at
     * beat 16.95 a note on beat 17 may already sound, so beat 18. */
    static const struct {
        double beats;
        int32_t cut;
    } cases[] = {{16.0, 17 * BEAT}, {16.95, 18 * BEAT}, {16.5, 17 * BEAT}};
    for (int c = 0; c < 3; c++) {
        PnlComposeSettings settings = settings_4_4(1), changed = settings_4_4(1);
        changed.temperature = 1.4f;
        PnlLookahead lookahead = composing(&settings, 20 * BEAT);
        PnlTransport transport = transport_at(cases[c].beats, 1);
        int32_t cut = -1;
        int must_cut = pnl_lookahead_follow_settings(&lookahead, &changed, 0, &transport, &cut);
        CHECK(must_cut && cut == cases[c].cut, "at beat %g: expected a cut at tick %d, got %d at %d",
              cases[c].beats, cases[c].cut, must_cut, cut);
        pnl_lookahead_cut(&lookahead, cut);
        PnlBarJob job;
        int due = pnl_lookahead_next_job(&lookahead, &transport, &job);
        CHECK(due && job.from_ticks == cut && job.until_ticks == 5 * BAR &&
                  job.settings.temperature == 1.4f,
              "expected the rest of bar 5 composed first with the new temperature, got %d: "
              "[%d, %d) at %g", due, job.from_ticks, job.until_ticks, job.settings.temperature);
    }
}

static void test_stopped_the_new_music_starts_at_the_playhead(void)
{
    PnlComposeSettings settings = settings_4_4(1), changed = settings_4_4(2);
    PnlLookahead lookahead = composing(&settings, 20 * BEAT);
    PnlTransport transport = transport_at(100.3 / BEAT, 0);
    int32_t cut = -1;
    int must_cut = pnl_lookahead_follow_settings(&lookahead, &changed, 0, &transport, &cut);
    CHECK(must_cut && cut == 101, "expected a cut at the playhead's next tick (101), got %d at %d",
          must_cut, cut);
}

static void test_a_change_while_capturing_waits_for_the_capture_to_end(void)
{
    PnlComposeSettings settings = settings_4_4(1), changed = settings_4_4(3);
    PnlLookahead lookahead = composing(&settings, 8 * BEAT);
    PnlTransport transport = transport_at(4, 1);
    int32_t cut = -1;
    int while_capturing = pnl_lookahead_follow_settings(&lookahead, &changed, 1, &transport, &cut);
    int after = pnl_lookahead_follow_settings(&lookahead, &changed, 0, &transport, &cut);
    CHECK(!while_capturing && after && cut == 5 * BEAT,
          "expected no cut while capturing, then one at beat 5; got %d, then %d at %d",
          while_capturing, after, cut);
}

static void test_a_reroll_regenerates_with_the_same_settings(void)
{
    PnlComposeSettings settings = settings_4_4(1);
    PnlLookahead lookahead = composing(&settings, 12 * BEAT);
    PnlTransport transport = transport_at(8, 1);
    int32_t cut = -1;
    int unchanged = pnl_lookahead_follow_settings(&lookahead, &settings, 0, &transport, &cut);
    pnl_lookahead_reroll(&lookahead);
    int rerolled = pnl_lookahead_follow_settings(&lookahead, &settings, 0, &transport, &cut);
    int again = pnl_lookahead_follow_settings(&lookahead, &settings, 0, &transport, &cut);
    CHECK(!unchanged && rerolled && cut == 9 * BEAT && !again,
          "expected one cut at beat 9 for the re-roll alone; got %d, %d at %d, %d", unchanged,
          rerolled, cut, again);
}

static void test_a_captured_phrase_is_cut_in_and_continued_at_the_next_bar(void)
{
    /* The capture began at tick 97 (on the sixteenth 96); the phrase's
     * first note was played early, at tick 90. */
    PnlTimelineNote early = {.onset_ticks = 90, .duration_ticks = 6, .pitch = 60,
                             .velocity = 80, .origin = PNL_ORIGIN_PROMPT};
    int32_t cut_at_start = pnl_lookahead_prompt_cut(97.0, NULL);
    int32_t cut_at_note = pnl_lookahead_prompt_cut(97.0, &early);
    CHECK(cut_at_start == 96 && cut_at_note == 90,
          "expected cuts at the capture's start (96) and at an earlier first note (90), got %d "
          "and %d", cut_at_start, cut_at_note);

    PnlComposeSettings settings = settings_4_4(1), wanted = settings_4_4(4);
    PnlLookahead lookahead = composing(&settings, 10 * BAR);
    lookahead.regenerate_pending = 1;
    pnl_lookahead_cut(&lookahead, cut_at_note);
    /* Ended at tick 250.5: the model continues on the sixteenth after (252). */
    int32_t continue_ticks = pnl_lookahead_take_prompt(&lookahead, &wanted, 250.5);
    CHECK(continue_ticks == 252 && lookahead.compose_from_ticks == 3 * BAR &&
              lookahead.composing.seed == 4 && !lookahead.regenerate_pending,
          "expected the continuation at 252, bar jobs from 288 with the wanted settings; got "
          "%d, %d, seed %u, regeneration pending %d", continue_ticks,
          lookahead.compose_from_ticks, lookahead.composing.seed, lookahead.regenerate_pending);
}

static void test_a_restored_state_resumes_at_its_horizon(void)
{
    PnlComposeSettings restored = settings_4_4(7), wanted = settings_4_4(7);
    PnlLookahead lookahead;
    pnl_lookahead_init(&lookahead);
    pnl_lookahead_restored(&lookahead, &restored, 1, 768);
    PnlTransport transport = transport_at(28, 1);
    int32_t cut = -1;
    int must_cut = pnl_lookahead_follow_settings(&lookahead, &wanted, 0, &transport, &cut);
    PnlBarJob job;
    int due = pnl_lookahead_next_job(&lookahead, &transport, &job);
    CHECK(!must_cut && due && job.from_ticks == 768 && job.until_ticks == 864,
          "expected no cut and bar [768, 864) next, got %d, %d: [%d, %d)", must_cut, due,
          job.from_ticks, job.until_ticks);
    /* Restored without settings: the ports' settings are taken, no cut. */
    pnl_lookahead_restored(&lookahead, &restored, 0, 768);
    wanted.seed = 9;
    must_cut = pnl_lookahead_follow_settings(&lookahead, &wanted, 0, &transport, &cut);
    CHECK(!must_cut && lookahead.composing.seed == 9,
          "expected a state without settings to take the ports' settings uncut (%d, seed %u)",
          must_cut, lookahead.composing.seed);
}

static void test_nothing_is_composed_past_the_timelines_last_tick(void)
{
    PnlComposeSettings settings = settings_4_4(1);
    PnlLookahead lookahead = composing(&settings, 2000000000 - 50);
    PnlTransport transport = transport_at(2e9 / BEAT, 1);
    PnlBarJob job;
    int due = pnl_lookahead_next_job(&lookahead, &transport, &job);
    CHECK(!due, "expected no job within a bar of the last tick, got [%d, %d)", job.from_ticks,
          job.until_ticks);
}

int main(void)
{
    RUN_TEST(test_the_first_settings_are_taken_without_a_cut);
    RUN_TEST(test_bar_jobs_keep_two_bars_ahead_of_the_playhead_a_bar_each);
    RUN_TEST(test_a_changed_setting_cuts_at_the_first_beat_no_humanized_note_reaches);
    RUN_TEST(test_stopped_the_new_music_starts_at_the_playhead);
    RUN_TEST(test_a_change_while_capturing_waits_for_the_capture_to_end);
    RUN_TEST(test_a_reroll_regenerates_with_the_same_settings);
    RUN_TEST(test_a_captured_phrase_is_cut_in_and_continued_at_the_next_bar);
    RUN_TEST(test_a_restored_state_resumes_at_its_horizon);
    RUN_TEST(test_nothing_is_composed_past_the_timelines_last_tick);
    CHECK_EXIT();
}
