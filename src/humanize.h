/* Humanization: how a pianist would shade the timeline's exact notes.
 *
 * The worker computes, when it writes an onset's notes to the timeline, each
 * note's velocity change and onset deviation at full strength (amount 1);
 * run() scales them by the two humanize ports, so turning a knob acts at
 * once and an amount of 0 plays the timeline exactly.
 *
 * The shaping follows the KTH rule system for music performance (Friberg,
 * Bresin and Sundberg, "Overview of the KTH rule system for musical
 * performance", Advances in Cognitive Psychology 2, 2006), in a bounded form
 * that keeps every note within PNL_HUMANIZE_MAX_DEVIATION_MS of its grid
 * time, plus a seeded, correlated random deviation. Everything is a pure
 * function of the seed and the notes, so a replay or an export shades the
 * same notes the same way.
 *
 * In an ensemble each part is shaded on its own, as its player would: the
 * piano by the rules above, over its own notes only (a violin above it does
 * not take its melody lead), exactly as solo piano; the strings and the
 * melody part with no chord spread and no early top note (a double stop
 * starts together), half the metric accent, and a drift of their own. The
 * phrase arch is the ensemble's, shared by every part. humanize.c says
 * why. */
#ifndef PIANOLA_HUMANIZE_H
#define PIANOLA_HUMANIZE_H

#include <stdint.h>

#include "timeline.h"

/* The largest onset deviation at amount 1, either way, in milliseconds. */
#define PNL_HUMANIZE_MAX_DEVIATION_MS 30.0f
/* The largest velocity change at amount 1, either way. */
enum { PNL_HUMANIZE_MAX_VELOCITY_CHANGE = 24 };

typedef struct {
    uint64_t seed;
    int32_t bar_ticks;    /* length of a bar in grid ticks (96 for 4/4) */
    int32_t beat_ticks;   /* the meter's beat (24 for x/4, 12 for x/8) */
    int32_t phrase_bars;  /* phrase length for the arch, typically 4 */
} PnlHumanizeStyle;

/* Shades one onset: notes[0..count) share onset_ticks, each part's notes
 * low to high (parts may be mixed, as when the whole onset is sorted by
 * pitch). Fills velocity_shape and timing_shape_ms by each note's part. */
void pnl_humanize_onset(const PnlHumanizeStyle *style, PnlTimelineNote *notes, int count);

/* The velocity and onset a note is played with at the given amounts
 * (0..1; out-of-range values are clamped). */
uint8_t pnl_humanize_velocity(const PnlTimelineNote *note, float amount);
float pnl_humanize_deviation_ms(const PnlTimelineNote *note, float amount);

/* Legato: how long a note of a bowed or sung part sounds past its written
 * end at the given timing amount, so one note still sounds as the next
 * begins, as a player connects notes under a bow or a breath (the piano's
 * notes end as written: its pedal and release do that). At most this many
 * milliseconds at amount 1. */
#define PNL_HUMANIZE_LEGATO_MS 40.0f
float pnl_humanize_legato_ms(const PnlTimelineNote *note, float amount);

#endif
