/* Humanization rules; see humanize.h. Each rule gives a velocity change (in
 * MIDI velocity steps, roughly 0.3-0.5 dB each in a General MIDI piano) and
 * an onset deviation in milliseconds; their sum is clamped to the bounds in
 * humanize.h. */
#include "humanize.h"

#include <math.h>

#include "hash.h"

static const double pi = 3.14159265358979323846;

/* Uniform in [-1, 1) from a seed, a stream name and an index: a stateless
 * hash, so a note's randomness depends only on the seed and where the note
 * is, never on what was played before. */
static double signed_unit(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t bits =
        pnl_splitmix64(seed ^ pnl_splitmix64(stream * 0x632be59bd9b4e019ull + index));
    return (double)(bits >> 11) / (double)(1ull << 52) - 1.0;
}

/* Correlated deviation: random values at every beat, joined by cosine
 * interpolation, so neighbouring notes drift together the way a player's
 * timing and touch wander, instead of jittering independently. */
static double smooth_noise(uint64_t seed, uint64_t stream, int32_t onset_ticks,
                           int32_t beat_ticks)
{
    int32_t beat = onset_ticks / beat_ticks;
    double fraction = (double)(onset_ticks % beat_ticks) / beat_ticks;
    double weight = 0.5 - 0.5 * cos(pi * fraction);
    double before = signed_unit(seed, stream, (uint64_t)beat);
    double after = signed_unit(seed, stream, (uint64_t)beat + 1);
    return before + (after - before) * weight;
}

/* Metrical accent (KTH "beat stress"): the downbeat strongest, then the
 * middle of an even bar, then other beats; off-beats a little softer. */
static double metric_accent_velocity(const PnlHumanizeStyle *style, int32_t onset_ticks)
{
    int32_t in_bar = onset_ticks % style->bar_ticks;
    if (in_bar == 0)
        return 6.0;
    int32_t beats_per_bar = style->bar_ticks / style->beat_ticks;
    if (in_bar % style->beat_ticks == 0) {
        if (beats_per_bar % 2 == 0 && in_bar == style->bar_ticks / 2)
            return 3.0;
        return 1.0;
    }
    return -2.0;
}

/* Phrase arch (KTH "phrase arch", after Todd's model of phrase-level
 * dynamics and tempo, 1992): louder towards the middle of a phrase, softer
 * and held back at its ends. Bounded here: +-6 velocity steps, and onsets
 * up to 10 ms late around the phrase boundary (the final lengthening a
 * listener hears as breathing). */
static void phrase_arch(const PnlHumanizeStyle *style, int32_t onset_ticks,
                        double *velocity, double *deviation_ms)
{
    int32_t phrase_ticks = style->bar_ticks * (style->phrase_bars > 0 ? style->phrase_bars : 4);
    double position = (double)(onset_ticks % phrase_ticks) / phrase_ticks;
    double arch = sin(pi * position);
    *velocity += -6.0 + 12.0 * arch;
    *deviation_ms += 10.0 * (1.0 - arch) * (1.0 - arch);
}

/* High-loud (KTH "high loud"): the sound level rises with pitch, about
 * 3 dB per octave in the rule; here about 2 velocity steps per octave
 * around middle C. */
static double high_loud_velocity(uint8_t pitch)
{
    return 2.0 * ((double)pitch - 60.0) / 12.0;
}

static float clamp_float(double value, double limit)
{
    if (value > limit)
        return (float)limit;
    if (value < -limit)
        return (float)-limit;
    return (float)value;
}

void pnl_humanize_onset(const PnlHumanizeStyle *style, PnlTimelineNote *notes, int count)
{
    if (count <= 0)
        return;
    PnlHumanizeStyle safe = *style;
    if (safe.bar_ticks <= 0)
        safe.bar_ticks = 4 * PNL_TICKS_PER_QUARTER;
    if (safe.beat_ticks <= 0 || safe.beat_ticks > safe.bar_ticks)
        safe.beat_ticks = PNL_TICKS_PER_QUARTER;
    int32_t onset = notes[0].onset_ticks;

    double shared_velocity = metric_accent_velocity(&safe, onset);
    double shared_deviation_ms = 0.0;
    phrase_arch(&safe, onset, &shared_velocity, &shared_deviation_ms);
    /* The player's wandering touch and timing: +-5 velocity steps, +-8 ms. */
    shared_velocity += 5.0 * smooth_noise(safe.seed, 1, onset, safe.beat_ticks);
    shared_deviation_ms += 8.0 * smooth_noise(safe.seed, 2, onset, safe.beat_ticks);

    for (int i = 0; i < count; i++) {
        PnlTimelineNote *note = &notes[i];
        double velocity = shared_velocity + high_loud_velocity(note->pitch);
        double deviation_ms = shared_deviation_ms;
        int is_top = i == count - 1;
        if (count >= 2 && is_top) {
            /* Melodic lead: the melody note of a chord comes about 20 ms
             * early and louder (Palmer, "On the assignment of structure in
             * music performance", Music Perception 14, 1996: 20-30 ms;
             * KTH "melodic sync"). */
            deviation_ms -= 20.0;
            velocity += 8.0;
        } else if (count >= 2) {
            /* Chord spread: the other notes are not struck at one instant;
             * a few ms from the bottom up, as in measured performances
             * (Goebl, "Melody lead in piano performance", JASA 110, 2001). */
            deviation_ms += 6.0 * (double)i / (double)(count - 1);
        }
        /* Each finger's own small error: +-3 velocity steps, +-3 ms. */
        uint64_t where = ((uint64_t)(uint32_t)onset << 8) | note->pitch;
        velocity += 3.0 * signed_unit(safe.seed, 3, where);
        deviation_ms += 3.0 * signed_unit(safe.seed, 4, where);

        note->velocity_shape =
            (int8_t)lrint(clamp_float(velocity, PNL_HUMANIZE_MAX_VELOCITY_CHANGE));
        note->timing_shape_ms = clamp_float(deviation_ms, PNL_HUMANIZE_MAX_DEVIATION_MS);
    }
}

static float clamp_amount(float amount)
{
    if (!(amount > 0.0f)) /* also NaN */
        return 0.0f;
    return amount > 1.0f ? 1.0f : amount;
}

uint8_t pnl_humanize_velocity(const PnlTimelineNote *note, float amount)
{
    long velocity = note->velocity + lrintf(clamp_amount(amount) * note->velocity_shape);
    if (velocity < 1)
        velocity = 1;
    if (velocity > 127)
        velocity = 127;
    return (uint8_t)velocity;
}

float pnl_humanize_deviation_ms(const PnlTimelineNote *note, float amount)
{
    float deviation = clamp_amount(amount) * note->timing_shape_ms;
    if (deviation > PNL_HUMANIZE_MAX_DEVIATION_MS)
        return PNL_HUMANIZE_MAX_DEVIATION_MS;
    if (deviation < -PNL_HUMANIZE_MAX_DEVIATION_MS)
        return -PNL_HUMANIZE_MAX_DEVIATION_MS;
    return deviation;
}

float pnl_humanize_legato_ms(const PnlTimelineNote *note, float amount)
{
    return note->part == PNL_PART_PIANO ? 0.0f : clamp_amount(amount) * PNL_HUMANIZE_LEGATO_MS;
}
