/* Steering the music; see steering.h. */
#include "steering.h"

#include <math.h>
#include <string.h>

#include "vocabulary.h"

_Static_assert(PNL_DENSITY_CHOICE_COUNT == PNL_DENSITY_COUNT + 1,
               "a Density choice for Automatic and one for each DENSITY step");

/* Krumhansl & Kessler's profiles (as in key.c): how well each scale degree
 * fits a key, index 0 the tonic. */
static const double major_profile[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                         2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
static const double minor_profile[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                         2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

/* The velocity each marking stands for, pp 32 to ff 112, a step of 16 (as
 * notation programs play the markings, e.g. Finale's and Logic's). */
static const int dynamics_velocity[PNL_DYNAMICS_CHOICE_COUNT] = {0, 32, 48, 64, 80, 96, 112};

/* How far a set key's mode leans the network's pitches, in logits per
 * standard deviation of the key's profile (the tonic gets +2.3, the
 * semitone above it -1.0). Measured over Mozart, Schumann and Rachmaninoff,
 * seeds 1-3, 16 bars: at 0 the network chooses the mode (Mozart's music
 * set in A minor came out in C major in every seed, Rachmaninoff's set in
 * C major in A minor), at 0.5 every major key and 8 of 9 pieces in each
 * minor one were found in their key, at 1 all of them (tests/test_steering.c);
 * 2 flattened the music onto the tonic triad (correlations fell from
 * 0.88-0.95 to 0.76-0.86). */
static const double mode_lean = 1.0;

int pnl_steering_key_of_choice(int choice, PnlKey *key)
{
    if (choice <= PNL_KEY_AUTOMATIC || choice >= PNL_KEY_CHOICE_COUNT)
        return 0;
    key->tonic = (choice - 1) / 2;
    key->minor = (choice - 1) % 2;
    key->correlation = 1.0;
    return 1;
}

void pnl_steering_register(int lowest, int highest, int *register_lowest,
                           int *register_highest)
{
    lowest = lowest <= 0 ? PNL_LOWEST_PITCH : lowest;
    highest = highest <= 0 ? PNL_HIGHEST_PITCH : highest;
    if (lowest > highest) {
        int swap = lowest;
        lowest = highest;
        highest = swap;
    }
    lowest = lowest < PNL_LOWEST_PITCH ? PNL_LOWEST_PITCH : lowest;
    highest = highest > PNL_HIGHEST_PITCH ? PNL_HIGHEST_PITCH : highest;
    if (highest - lowest < PNL_REGISTER_MIN_SPAN) {
        highest = lowest + PNL_REGISTER_MIN_SPAN;
        if (highest > PNL_HIGHEST_PITCH) {
            highest = PNL_HIGHEST_PITCH;
            lowest = highest - PNL_REGISTER_MIN_SPAN;
        }
    }
    *register_lowest = lowest;
    *register_highest = highest;
}

void pnl_steering_mask(const PnlSteering *steering, int key_shift, uint8_t *mask)
{
    int lowest = steering->lowest_pitch > PNL_LOWEST_PITCH ? steering->lowest_pitch
                                                            : PNL_LOWEST_PITCH;
    int highest = steering->highest_pitch > 0 && steering->highest_pitch < PNL_HIGHEST_PITCH
                      ? steering->highest_pitch
                      : PNL_HIGHEST_PITCH;
    /* A frame pitch sounds key_shift semitones higher. */
    for (int frame = PNL_LOWEST_PITCH; frame <= PNL_HIGHEST_PITCH; frame++)
        if (frame + key_shift < lowest || frame + key_shift > highest)
            mask[pnl_token_pitch(frame)] = 0;
    int forced = pnl_token_density(steering->density - 1);
    if (steering->density > PNL_DENSITY_AUTOMATIC && forced >= 0 && mask[forced]) {
        /* The network is conditioned on the step, as it learned each bar's
         * density from the corpus; nothing is deleted afterwards. */
        memset(mask + PNL_TOKEN_DENSITY_BASE, 0, PNL_DENSITY_COUNT);
        mask[forced] = 1;
    }
}

int pnl_steering_leans(const PnlSteering *steering)
{
    return steering->mode != PNL_MODE_FREE;
}

void pnl_steering_lean(const PnlSteering *steering, const uint8_t *mask, float *logits)
{
    if (steering->mode != PNL_MODE_FREE) {
        /* In the network's frame the major key is C, the minor one A. */
        int minor = steering->mode == PNL_MODE_MINOR;
        const double *profile = minor ? minor_profile : major_profile;
        int tonic = minor ? 9 : 0;
        double mean = 0.0, squares = 0.0;
        for (int i = 0; i < 12; i++)
            mean += profile[i] / 12.0;
        for (int i = 0; i < 12; i++)
            squares += (profile[i] - mean) * (profile[i] - mean) / 12.0;
        double weight = mode_lean / sqrt(squares);
        for (int pitch = PNL_LOWEST_PITCH; pitch <= PNL_HIGHEST_PITCH; pitch++) {
            int token = pnl_token_pitch(pitch);
            if (mask[token])
                logits[token] += (float)(weight * (profile[(pitch - tonic + 120) % 12] - mean));
        }
    }
}

int pnl_steering_dynamics_velocity(int dynamics, int velocity)
{
    if (dynamics <= PNL_DYNAMICS_AS_COMPOSED || dynamics >= PNL_DYNAMICS_CHOICE_COUNT)
        return velocity;
    int shifted = velocity + dynamics_velocity[dynamics] - PNL_TYPICAL_VELOCITY;
    return shifted < PNL_SOFTEST_VELOCITY ? PNL_SOFTEST_VELOCITY : shifted > 127 ? 127 : shifted;
}
