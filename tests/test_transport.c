/* The transport (plugin/transport.c), directly: the playhead in grid ticks
 * (24 a quarter note) from the internal tempo or the host's time:Position,
 * no drift over long runs of odd blocks, host rounding absorbed, locates
 * and stops told apart, meters, and nonsense made sane. Expected positions
 * are worked out here from tempo, rate and frames. */
#include <math.h>

#include "check.h"
#include "transport.h"

enum { RATE = 48000 };

static PnlPositionUpdate position(double bpm, double beats_per_bar, int beat_unit, int64_t bar,
                                  double bar_beat, double speed)
{
    return (PnlPositionUpdate){.has_bpm = 1, .bpm = bpm, .has_beats_per_bar = 1,
                               .beats_per_bar = beats_per_bar, .has_beat_unit = 1,
                               .beat_unit = beat_unit, .has_bar = 1, .bar = bar,
                               .has_bar_beat = 1, .bar_beat = bar_beat, .has_speed = 1,
                               .speed = speed};
}

static void test_free_running_it_moves_at_the_internal_tempo_without_drift(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 90.0);
    /* Ten minutes at 90 BPM in blocks of 37 frames: 900 beats exactly. */
    uint64_t frames = 0, total = (uint64_t)RATE * 600;
    while (frames < total) {
        uint32_t block = total - frames < 37 ? (uint32_t)(total - frames) : 37;
        pnl_transport_advance(&transport, block);
        frames += block;
    }
    double ticks = pnl_transport_ticks(&transport);
    CHECK(!transport.host_time && pnl_transport_rolling(&transport),
          "expected a free-running, rolling transport");
    CHECK(fabs(ticks - 900.0 * 24) < 1e-6, "expected 21600 ticks after ten minutes, got %.9f",
          ticks);
}

static void test_a_new_internal_tempo_keeps_the_playhead_where_it_is(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    pnl_transport_advance(&transport, RATE); /* two beats */
    pnl_transport_set_internal_bpm(&transport, 60.0);
    double at_change = pnl_transport_ticks(&transport);
    pnl_transport_advance(&transport, RATE); /* one beat at 60 */
    double after = pnl_transport_ticks(&transport);
    CHECK(fabs(at_change - 48.0) < 1e-9 && fabs(after - 72.0) < 1e-9,
          "expected 48 ticks at the change and 72 a second later, got %g and %g", at_change,
          after);
}

static void test_a_host_position_places_the_playhead_on_its_bar_and_beat(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    PnlPositionUpdate update = position(120.0, 4.0, 4, 3, 1.5, 1.0);
    PnlTransportChange change = pnl_transport_apply(&transport, &update);
    double ticks = pnl_transport_ticks(&transport);
    CHECK(change == PNL_TRANSPORT_JUMPED, "expected the first position to be a jump");
    CHECK(fabs(ticks - (3 * 4 + 1.5) * 24) < 1e-9, "expected 324 ticks at bar 3 beat 1.5, got %g",
          ticks);
    /* The internal tempo no longer counts. */
    pnl_transport_set_internal_bpm(&transport, 60.0);
    CHECK(transport.host_time && transport.bpm == 120.0,
          "expected the host's 120 BPM to stand, got %g", transport.bpm);
}

static void test_positions_rounded_by_the_host_keep_the_playhead_exact(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    PnlPositionUpdate update = position(120.0, 4.0, 4, 0, 0.0, 1.0);
    pnl_transport_apply(&transport, &update);
    /* 1001 blocks of 512 frames: beat 21.354..., sent rounded down to
     * Ardour's 1/1920 of a beat. */
    uint64_t frames = 0;
    for (int block = 0; block < 1001; block++) {
        pnl_transport_advance(&transport, 512);
        frames += 512;
        double beat = frames / 24000.0;
        double rounded = floor(beat * 1920.0) / 1920.0;
        int64_t bar = (int64_t)floor(rounded / 4.0);
        update = position(120.0, 4.0, 4, bar, rounded - 4.0 * bar, 1.0);
        PnlTransportChange change = pnl_transport_apply(&transport, &update);
        CHECK(change == PNL_TRANSPORT_CONTINUES, "block %d: a rounded position was a jump",
              block);
    }
    double expected = frames / 24000.0 * 24.0;
    double ticks = pnl_transport_ticks(&transport);
    CHECK(fabs(ticks - expected) < 1e-6, "expected the exact playhead %.9f, got %.9f", expected,
          ticks);
}

/* Ardour 7.3 in 6/8: barBeat is the eighth's number plus the ticks into it
 * over a quarter note's 1920, so its fraction runs 0 .. 0.5 and jumps. Its
 * time:frame is exact: the playhead must go by that, at the tempo. */
static void test_a_host_whose_frames_run_on_moves_the_playhead_at_its_tempo(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    const double eighths_per_minute = 132.0;
    uint64_t frames = 0;
    for (int block = 0; block < 600; block++) {
        double eighths = frames / (double)RATE * eighths_per_minute / 60.0;
        double quarter_ticks = floor((eighths - floor(eighths)) * 960.0);
        double in_bar = fmod(floor(eighths), 6.0);
        PnlPositionUpdate update =
            position(eighths_per_minute, 6.0, 8, (int64_t)(floor(eighths) / 6.0),
                     in_bar + quarter_ticks / 1920.0, 1.0);
        update.has_frame = 1;
        update.frame = (double)frames;
        PnlTransportChange change = pnl_transport_apply(&transport, &update);
        CHECK(block == 0 || change == PNL_TRANSPORT_CONTINUES,
              "block %d: the host played on, but its position was taken for a locate", block);
        pnl_transport_advance(&transport, 1024);
        frames += 1024;
    }
    double expected = frames / (double)RATE * eighths_per_minute / 60.0 * 12.0;
    double ticks = pnl_transport_ticks(&transport);
    CHECK(fabs(ticks - expected) < 1e-6, "expected the playhead at %.6f ticks (the tempo's), "
          "got %.6f", expected, ticks);

    /* A locate moves the frames too: then the bar and beat are where to go. */
    PnlPositionUpdate located = position(eighths_per_minute, 6.0, 8, 40, 0.0, 1.0);
    located.has_frame = 1;
    located.frame = 1e7;
    CHECK(pnl_transport_apply(&transport, &located) == PNL_TRANSPORT_JUMPED,
          "a jump in the host's frames should be a locate");
    CHECK(fabs(pnl_transport_ticks(&transport) - 40 * 72.0) < 1e-9,
          "expected the playhead at bar 40 (2880 ticks), got %.3f",
          pnl_transport_ticks(&transport));
}

static void test_a_locate_is_a_jump_and_a_stop_holds_the_playhead(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    PnlPositionUpdate update = position(120.0, 4.0, 4, 0, 0.0, 1.0);
    pnl_transport_apply(&transport, &update);
    pnl_transport_advance(&transport, 24000);
    update = position(120.0, 4.0, 4, 10, 0.0, 1.0);
    PnlTransportChange located = pnl_transport_apply(&transport, &update);
    CHECK(located == PNL_TRANSPORT_JUMPED && fabs(pnl_transport_ticks(&transport) - 960.0) < 1e-9,
          "expected a jump to bar 10 (960 ticks), got %d at %g", located,
          pnl_transport_ticks(&transport));
    update = position(120.0, 4.0, 4, 10, 0.0, 0.0);
    pnl_transport_apply(&transport, &update);
    pnl_transport_advance(&transport, 48000);
    CHECK(!pnl_transport_rolling(&transport) && pnl_transport_ticks(&transport) == 960.0 &&
              pnl_transport_ticks_per_frame(&transport) == 0.0,
          "expected a stopped transport to stay at 960 ticks, got %g",
          pnl_transport_ticks(&transport));
}

static void test_the_meter_sets_the_bar_and_beat_in_ticks(void)
{
    static const struct {
        double beats_per_bar;
        int beat_unit;
        int32_t bar_ticks, beat_ticks;
    } meters[] = {{4, 4, 96, 24}, {3, 4, 72, 24}, {6, 8, 72, 12}, {2, 2, 96, 48}, {7, 8, 84, 12}};
    for (int m = 0; m < 5; m++) {
        PnlTransport transport;
        pnl_transport_init(&transport, RATE, 120.0);
        PnlPositionUpdate update =
            position(120.0, meters[m].beats_per_bar, meters[m].beat_unit, 0, 0.0, 1.0);
        pnl_transport_apply(&transport, &update);
        CHECK(pnl_transport_bar_ticks(&transport) == meters[m].bar_ticks &&
                  pnl_transport_beat_ticks(&transport) == meters[m].beat_ticks,
              "%g/%d: expected bars of %d ticks and beats of %d, got %d and %d",
              meters[m].beats_per_bar, meters[m].beat_unit, meters[m].bar_ticks,
              meters[m].beat_ticks, pnl_transport_bar_ticks(&transport),
              pnl_transport_beat_ticks(&transport));
    }
}

static void test_nonsense_from_the_host_is_made_sane(void)
{
    PnlTransport transport;
    pnl_transport_init(&transport, RATE, 120.0);
    PnlPositionUpdate update = position(NAN, INFINITY, 3, 0, NAN, 1e308);
    pnl_transport_apply(&transport, &update);
    pnl_transport_advance(&transport, 4800);
    double ticks = pnl_transport_ticks(&transport);
    CHECK(transport.bpm == 120.0 && transport.beats_per_bar == 4.0 && transport.beat_unit == 4 &&
              transport.speed == 100.0,
          "expected 120 BPM, 4/4 and speed 100 kept or clamped; got %g BPM, %g/%d, speed %g",
          transport.bpm, transport.beats_per_bar, transport.beat_unit, transport.speed);
    CHECK(isfinite(ticks) && fabs(ticks - 480.0) < 1e-6,
          "expected 480 ticks after 0.1 s at speed 100, got %g", ticks);
    update = position(120.0, 4.0, 4, INT64_MAX / 2, 0.0, 1.0);
    pnl_transport_apply(&transport, &update);
    CHECK(pnl_transport_ticks(&transport) == 0.0,
          "expected a bar past the timeline's end to place the playhead at 0, got %g",
          pnl_transport_ticks(&transport));
}

int main(void)
{
    RUN_TEST(test_free_running_it_moves_at_the_internal_tempo_without_drift);
    RUN_TEST(test_a_new_internal_tempo_keeps_the_playhead_where_it_is);
    RUN_TEST(test_a_host_position_places_the_playhead_on_its_bar_and_beat);
    RUN_TEST(test_positions_rounded_by_the_host_keep_the_playhead_exact);
    RUN_TEST(test_a_host_whose_frames_run_on_moves_the_playhead_at_its_tempo);
    RUN_TEST(test_a_locate_is_a_jump_and_a_stop_holds_the_playhead);
    RUN_TEST(test_the_meter_sets_the_bar_and_beat_in_ticks);
    RUN_TEST(test_nonsense_from_the_host_is_made_sane);
    CHECK_EXIT();
}
