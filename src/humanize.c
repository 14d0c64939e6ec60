/* Humanization rules; see humanize.h. Each rule gives a velocity change (in
 * MIDI velocity steps, roughly 0.3-0.5 dB each in a General MIDI piano) and
 * an onset deviation in milliseconds; their sum is clamped to the bounds in
 * humanize.h. */
#include "humanize.h"

#include <math.h>

#include "hash.h"
#include "parts.h"

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

/* How one part's instrument is shaded. The piano's numbers are the rules
 * above; a bowed string (and the melody part, which a sustained instrument
 * plays: oboe, flute, clarinet, voice or a string) differs in three ways.
 *
 * - No chord spread and no early top note: a double stop is one bow stroke
 *   across two strings, so its notes start together. The piano's melody
 *   lead is mostly an artifact of its hammers (a louder key's hammer reaches
 *   the string sooner; Goebl 2001, above), which a bow does not have.
 * - Half the metric accent: a piano's accent is a louder attack that decays
 *   anyway, while a held string or wind tone keeps its level for the whole
 *   note, so the same velocity step sounds like a dynamic change lasting
 *   the note rather than an accent; string players mark the downbeat with
 *   the bow stroke more than with loudness. Half keeps the metre audible
 *   without the pumping the full accent gives sustained notes.
 * - A smaller lead in loudness for the top note of a double stop: the
 *   player can only favour one string by leaning the bow towards it. */
typedef struct {
    double accent_scale;  /* times metric_accent_velocity */
    double lead_velocity; /* the top note of the part's chord, louder by */
    double lead_ms;       /* and early by */
    double spread_ms;     /* the other notes, bottom to top, late by up to */
    int one_attack;       /* every note of the part gets the same onset deviation */
} PartRules;

static const PartRules piano_rules = {
    .accent_scale = 1.0, .lead_velocity = 8.0, .lead_ms = 20.0, .spread_ms = 6.0, .one_attack = 0};
static const PartRules sustained_rules = {
    .accent_scale = 0.5, .lead_velocity = 4.0, .lead_ms = 0.0, .spread_ms = 0.0, .one_attack = 1};

/* The random streams of a part: each player drifts on their own. The
 * piano's are 1 to 4, as they were before parts, so solo piano is shaded
 * as it always was. */
enum { STREAM_VELOCITY = 1, STREAM_TIMING, STREAM_NOTE_VELOCITY, STREAM_NOTE_TIMING };

static uint64_t part_stream(uint8_t part, int stream)
{
    return 4u * (uint64_t)part + (uint64_t)stream;
}

/* Shades the notes of `part` among notes[0..count), which share one onset;
 * the part's notes come low to high. */
static void shade_part(const PnlHumanizeStyle *style, uint8_t part, PnlTimelineNote *notes,
                       int count)
{
    const PartRules *rules = part == PNL_PART_PIANO ? &piano_rules : &sustained_rules;
    int part_count = 0;
    for (int i = 0; i < count; i++)
        part_count += notes[i].part == part;
    int32_t onset = notes[0].onset_ticks;
    uint64_t seed = style->seed;

    double shared_velocity = rules->accent_scale * metric_accent_velocity(style, onset);
    double shared_deviation_ms = 0.0;
    phrase_arch(style, onset, &shared_velocity, &shared_deviation_ms);
    /* The player's wandering touch and timing: +-5 velocity steps, +-8 ms. */
    shared_velocity +=
        5.0 * smooth_noise(seed, part_stream(part, STREAM_VELOCITY), onset, style->beat_ticks);
    shared_deviation_ms +=
        8.0 * smooth_noise(seed, part_stream(part, STREAM_TIMING), onset, style->beat_ticks);
    uint64_t onset_bits = (uint64_t)(uint32_t)onset << 8;
    if (rules->one_attack) /* one bow: one small error for the part, +-3 ms */
        shared_deviation_ms +=
            3.0 * signed_unit(seed, part_stream(part, STREAM_NOTE_TIMING), onset_bits);

    int rank = 0;
    for (int i = 0; i < count; i++) {
        PnlTimelineNote *note = &notes[i];
        if (note->part != part)
            continue;
        double velocity = shared_velocity + high_loud_velocity(note->pitch);
        double deviation_ms = shared_deviation_ms;
        int is_top = rank == part_count - 1;
        if (part_count >= 2 && is_top) {
            /* Melodic lead: the melody note of a chord comes about 20 ms
             * early and louder (Palmer, "On the assignment of structure in
             * music performance", Music Perception 14, 1996: 20-30 ms;
             * KTH "melodic sync"). Within the part only: another player's
             * higher note does not make the pianist's top note less of a
             * melody. */
            deviation_ms -= rules->lead_ms;
            velocity += rules->lead_velocity;
        } else if (part_count >= 2 && rules->spread_ms > 0.0) {
            /* Chord spread: the other notes are not struck at one instant;
             * a few ms from the bottom up, as in measured performances
             * (Goebl, "Melody lead in piano performance", JASA 110, 2001). */
            deviation_ms += rules->spread_ms * (double)rank / (double)(part_count - 1);
        }
        /* Each finger's own small error: +-3 velocity steps, +-3 ms. */
        uint64_t where = onset_bits | note->pitch;
        velocity += 3.0 * signed_unit(seed, part_stream(part, STREAM_NOTE_VELOCITY), where);
        if (!rules->one_attack)
            deviation_ms += 3.0 * signed_unit(seed, part_stream(part, STREAM_NOTE_TIMING), where);

        note->velocity_shape =
            (int8_t)lrint(clamp_float(velocity, PNL_HUMANIZE_MAX_VELOCITY_CHANGE));
        note->timing_shape_ms = clamp_float(deviation_ms, PNL_HUMANIZE_MAX_DEVIATION_MS);
        rank++;
    }
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
    /* Each part once, at its first note. */
    for (int i = 0; i < count; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = notes[j].part == notes[i].part;
        if (!seen)
            shade_part(&safe, notes[i].part, notes, count);
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
