/* Transport: where the host's playhead is, in grid ticks (24 per quarter
 * note), and how fast it moves. Follows time:Position (bpm, bar, barBeat,
 * beatsPerBar, beatUnit, speed) and extrapolates between updates from an
 * anchor (a position and an integer frame count since it), so long runs
 * accumulate no rounding. With no host time it runs free on the internal
 * tempo in 4/4, as in jalv without a transport. Runs in run(). */
#ifndef PIANOLA_TRANSPORT_H
#define PIANOLA_TRANSPORT_H

#include <stdint.h>

typedef struct {
    double sample_rate;
    int host_time;         /* a time:Position has arrived */
    double bpm;            /* host beats per minute, > 0 */
    double beats_per_bar;  /* > 0 */
    int beat_unit;         /* 1, 2, 4, 8, 16 */
    double speed;          /* 1 rolling, 0 stopped */
    double anchor_ticks;   /* the playhead at the anchor */
    uint64_t frames_since_anchor;
    /* The host's own sample position (time:frame) at its last position,
     * and the frames played since: while the host's frames run on
     * unbroken, its bar and beat add nothing the extrapolation lacks. */
    int has_host_frame;
    double host_frame;
    double frames_since_position;
} PnlTransport;

/* What one time:Position said; has_* flags for the fields it carried. */
typedef struct {
    int has_bpm, has_bar, has_bar_beat, has_beats_per_bar, has_beat_unit, has_speed, has_frame;
    double bpm, bar_beat, beats_per_bar, speed;
    double frame; /* time:frame: the host's sample position */
    int64_t bar;
    int beat_unit;
} PnlPositionUpdate;

typedef enum {
    PNL_TRANSPORT_CONTINUES = 0, /* same place, maybe a new tempo */
    PNL_TRANSPORT_JUMPED = 1     /* a locate: sounding notes must end */
} PnlTransportChange;

void pnl_transport_init(PnlTransport *transport, double sample_rate, double internal_bpm);
double pnl_transport_ticks(const PnlTransport *transport);
int pnl_transport_rolling(const PnlTransport *transport);
/* Grid ticks the playhead moves per frame while rolling (0 when stopped). */
double pnl_transport_ticks_per_frame(const PnlTransport *transport);
/* Quarter-note ticks per millisecond at the current tempo. */
double pnl_transport_ticks_per_ms(const PnlTransport *transport);
/* Bar length and the meter's beat in grid ticks. */
int32_t pnl_transport_bar_ticks(const PnlTransport *transport);
int32_t pnl_transport_beat_ticks(const PnlTransport *transport);
/* Quarter notes per minute (the tempo the UI shows). */
double pnl_transport_quarter_bpm(const PnlTransport *transport);

void pnl_transport_advance(PnlTransport *transport, uint32_t frames);
/* The internal tempo port; ignored once the host sends time. */
void pnl_transport_set_internal_bpm(PnlTransport *transport, double bpm);
PnlTransportChange pnl_transport_apply(PnlTransport *transport, const PnlPositionUpdate *update);

#endif
