/* Transport following and extrapolation; see transport.h. */
#include "transport.h"

#include <math.h>

#include "timeline.h"

static const double lowest_bpm = 1.0, highest_bpm = 1000.0;
/* Shuttling hosts send a few times normal speed; a speed past this is no
 * speed a playhead can follow (and 1e308 frames a frame would overflow the
 * playhead into infinity and NaN). */
static const double highest_speed = 100.0;

static double sane(double value, double low, double high, double fallback)
{
    if (!isfinite(value))
        return fallback;
    return value < low ? low : value > high ? high : value;
}

static int sane_beat_unit(int unit)
{
    return unit == 1 || unit == 2 || unit == 4 || unit == 8 || unit == 16 || unit == 32 ? unit : 4;
}

void pnl_transport_init(PnlTransport *transport, double sample_rate, double internal_bpm)
{
    *transport = (PnlTransport){.sample_rate = sample_rate > 0 ? sample_rate : 48000.0,
                                .bpm = sane(internal_bpm, lowest_bpm, highest_bpm, 120.0),
                                .beats_per_bar = 4.0,
                                .beat_unit = 4,
                                .speed = 1.0};
}

double pnl_transport_ticks(const PnlTransport *transport)
{
    return transport->anchor_ticks +
           (double)transport->frames_since_anchor * pnl_transport_ticks_per_frame(transport);
}

int pnl_transport_rolling(const PnlTransport *transport)
{
    return transport->speed > 0.0;
}

/* The coarsest beat division a host's position may be rounded to (hosts
 * count 480, 960 or 1920 ticks a beat). */
static const double host_ticks_per_beat = 480.0;

static double ticks_per_host_beat(const PnlTransport *transport)
{
    return 4.0 * PNL_TICKS_PER_QUARTER / transport->beat_unit;
}

double pnl_transport_ticks_per_frame(const PnlTransport *transport)
{
    if (!(transport->speed > 0.0))
        return 0.0;
    return transport->speed * transport->bpm / 60.0 * ticks_per_host_beat(transport) /
           transport->sample_rate;
}

double pnl_transport_ticks_per_ms(const PnlTransport *transport)
{
    return transport->bpm / 60000.0 * ticks_per_host_beat(transport);
}

int32_t pnl_transport_bar_ticks(const PnlTransport *transport)
{
    long ticks = lrint(transport->beats_per_bar * ticks_per_host_beat(transport));
    return ticks < 1 ? 1 : ticks > 8 * PNL_TICKS_PER_QUARTER ? 8 * PNL_TICKS_PER_QUARTER
                                                               : (int32_t)ticks;
}

int32_t pnl_transport_beat_ticks(const PnlTransport *transport)
{
    return (int32_t)lrint(ticks_per_host_beat(transport));
}

double pnl_transport_quarter_bpm(const PnlTransport *transport)
{
    return transport->bpm * 4.0 / transport->beat_unit;
}

static void reanchor(PnlTransport *transport, double ticks)
{
    transport->anchor_ticks = ticks;
    transport->frames_since_anchor = 0;
}

void pnl_transport_advance(PnlTransport *transport, uint32_t frames)
{
    if (pnl_transport_rolling(transport)) {
        transport->frames_since_anchor += frames;
        transport->frames_since_position += frames * transport->speed;
    }
}

/* Whether the host's sample position says it played on from its last
 * position without a locate. Ardour 7.3 scales barBeat's fraction to
 * quarter notes whatever the beat unit (in 6/8 it runs from 0 to 0.5 in
 * each eighth, then jumps), so its bar and beat alone would drag the
 * playhead back every cycle and jump it at every beat; its frames are
 * exact. */
static int host_played_on(const PnlTransport *transport, const PnlPositionUpdate *update,
                          int was_rolling, double old_speed)
{
    return update->has_frame && transport->has_host_frame && was_rolling &&
           transport->speed == old_speed &&
           fabs(update->frame - (transport->host_frame + transport->frames_since_position)) <=
               1.0;
}

void pnl_transport_set_internal_bpm(PnlTransport *transport, double bpm)
{
    if (transport->host_time)
        return;
    bpm = sane(bpm, lowest_bpm, highest_bpm, 120.0);
    if (bpm == transport->bpm)
        return;
    reanchor(transport, pnl_transport_ticks(transport));
    transport->bpm = bpm;
}

PnlTransportChange pnl_transport_apply(PnlTransport *transport, const PnlPositionUpdate *update)
{
    double here = pnl_transport_ticks(transport);
    int was_rolling = pnl_transport_rolling(transport);
    double old_speed = transport->speed;
    int first = !transport->host_time;
    transport->host_time = 1;
    /* Tempo and meter change the slope from here on, not the position. */
    reanchor(transport, here);
    if (update->has_bpm)
        transport->bpm = sane(update->bpm, lowest_bpm, highest_bpm, transport->bpm);
    if (update->has_beats_per_bar)
        transport->beats_per_bar = sane(update->beats_per_bar, 1.0, 64.0, 4.0);
    if (update->has_beat_unit)
        transport->beat_unit = sane_beat_unit(update->beat_unit);
    if (update->has_speed)
        transport->speed = sane(update->speed, -highest_speed, highest_speed, 0.0);
    int played_on = host_played_on(transport, update, was_rolling, old_speed);
    transport->has_host_frame = update->has_frame && isfinite(update->frame);
    transport->host_frame = transport->has_host_frame ? update->frame : 0.0;
    transport->frames_since_position = 0.0;
    if (!(update->has_bar || update->has_bar_beat) || played_on)
        return PNL_TRANSPORT_CONTINUES;

    double bar = update->has_bar ? (double)update->bar : floor(here / pnl_transport_bar_ticks(transport));
    double bar_beat = update->has_bar_beat ? sane(update->bar_beat, 0.0, 64.0, 0.0) : 0.0;
    double host_ticks = (bar * transport->beats_per_bar + bar_beat) * ticks_per_host_beat(transport);
    if (!isfinite(host_ticks) || host_ticks < 0.0 || host_ticks > 2e9)
        host_ticks = 0.0;
    double difference = fabs(host_ticks - here);
    double ticks_per_frame = transport->bpm / 60.0 * ticks_per_host_beat(transport) /
                             transport->sample_rate;
    /* Hosts send barBeat rounded: to their own tick (Ardour to 1/1920 of a
     * beat, 12.5 frames at 120 BPM), and as a float. Where the cycles of a
     * render fall decides which way each rounds, so following every such
     * step would move notes by a few frames from one export to the next.
     * Within that rounding of where we already are, the exact extrapolation
     * stands. */
    double rounding = ticks_per_host_beat(transport) / host_ticks_per_beat + ticks_per_frame;
    if (!first && difference <= rounding)
        return PNL_TRANSPORT_CONTINUES;
    reanchor(transport, host_ticks);
    /* Small corrections (clock drift, rounding) move the playhead without
     * ending notes; a real locate (more than a grid tick) is a jump. */
    if (first || difference > 1.0 || !was_rolling)
        return PNL_TRANSPORT_JUMPED;
    return PNL_TRANSPORT_CONTINUES;
}
