/* Key finding; see key.h. */
#include "key.h"

#include <math.h>

#include "grammar.h"
#include "hash.h"

/* Krumhansl & Kessler (1982): how well each scale degree fits the key, from
 * listeners' ratings; index 0 is the tonic. */
static const double major_profile[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                         2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
static const double minor_profile[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                         2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

enum { longest_weighed_ticks = 2 * PNL_TICKS_PER_QUARTER };

void pnl_key_histogram_clear(PnlKeyHistogram *histogram)
{
    for (int i = 0; i < 12; i++)
        histogram->weight[i] = 0.0;
    histogram->note_count = 0;
    histogram->lowest = 0;
    histogram->highest = 0;
}

void pnl_key_histogram_add(PnlKeyHistogram *histogram, int pitch, int32_t duration_ticks)
{
    if (pitch < 0 || pitch > 127)
        return;
    int32_t weight = duration_ticks < 1 ? 1 : duration_ticks;
    if (weight > longest_weighed_ticks)
        weight = longest_weighed_ticks;
    histogram->weight[pitch % 12] += weight;
    if (histogram->note_count == 0 || pitch < histogram->lowest)
        histogram->lowest = pitch;
    if (histogram->note_count == 0 || pitch > histogram->highest)
        histogram->highest = pitch;
    histogram->note_count++;
}

void pnl_key_histogram_add_tokens(PnlKeyHistogram *histogram, const uint16_t *tokens,
                                  size_t count)
{
    PnlDecoder decoder;
    PnlNote note;
    pnl_decoder_reset(&decoder);
    pnl_grammar_set_density(&decoder.grammar, pnl_grammar_density_of(tokens, count));
    for (size_t i = 0; i < count && tokens[i] != PNL_TOKEN_END; i++) {
        int status = pnl_decoder_push(&decoder, tokens[i], &note);
        if (status < 0)
            break;
        if (status == 1)
            pnl_key_histogram_add(histogram, note.pitch, note.duration_ticks);
    }
}

static double mean_of(const double *values)
{
    double sum = 0.0;
    for (int i = 0; i < 12; i++)
        sum += values[i];
    return sum / 12.0;
}

/* Pearson correlation of the histogram with a profile rotated to `tonic`. */
static double correlation(const double *histogram, const double *profile, int tonic)
{
    double histogram_mean = mean_of(histogram);
    double profile_mean = mean_of(profile);
    double products = 0.0, histogram_squares = 0.0, profile_squares = 0.0;
    for (int pitch_class = 0; pitch_class < 12; pitch_class++) {
        double h = histogram[pitch_class] - histogram_mean;
        double p = profile[(pitch_class - tonic + 12) % 12] - profile_mean;
        products += h * p;
        histogram_squares += h * h;
        profile_squares += p * p;
    }
    if (histogram_squares <= 0.0)
        return 0.0;
    return products / sqrt(histogram_squares * profile_squares);
}

int pnl_key_estimate(const PnlKeyHistogram *histogram, PnlKey *key)
{
    key->tonic = 0;
    key->minor = 0;
    key->correlation = 0.0;
    if (histogram->note_count == 0)
        return 0;
    double best = -2.0;
    for (int tonic = 0; tonic < 12; tonic++) {
        for (int minor = 0; minor <= 1; minor++) {
            double r = correlation(histogram->weight, minor ? minor_profile : major_profile,
                                   tonic);
            if (r > best) {
                best = r;
                key->tonic = tonic;
                key->minor = minor;
                key->correlation = r;
            }
        }
    }
    return 1;
}

int pnl_key_of_notes(const PnlNote *notes, size_t count, PnlKey *key)
{
    PnlKeyHistogram histogram;
    pnl_key_histogram_clear(&histogram);
    for (size_t i = 0; i < count; i++)
        pnl_key_histogram_add(&histogram, notes[i].pitch, notes[i].duration_ticks);
    return pnl_key_estimate(&histogram, key);
}

int pnl_key_frame_shift(const PnlKey *key)
{
    /* A minor key shares its signature with the major key a minor third up. */
    int signature = (key->tonic + (key->minor ? 3 : 0)) % 12;
    return signature >= 6 ? signature - 12 : signature;
}

int pnl_key_fit_shift(int shift, int lowest, int highest)
{
    int best = shift;
    int best_distance = -1;
    for (int candidate = shift - 24; candidate <= shift + 24; candidate += 12) {
        if (lowest - candidate < PNL_LOWEST_PITCH || highest - candidate > PNL_HIGHEST_PITCH)
            continue;
        int distance = candidate > shift ? candidate - shift : shift - candidate;
        if (best_distance < 0 || distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

int pnl_key_shift(const PnlKeyHistogram *histogram, PnlKey *key)
{
    PnlKey found;
    if (!pnl_key_estimate(histogram, &found)) {
        if (key)
            *key = found;
        return 0;
    }
    if (key)
        *key = found;
    return pnl_key_fit_shift(pnl_key_frame_shift(&found), histogram->lowest, histogram->highest);
}

int pnl_key_shift_keeps_on_piano(int pitch, int shift)
{
    return pitch - shift >= PNL_LOWEST_PITCH && pitch - shift <= PNL_HIGHEST_PITCH;
}

void pnl_key_move_tokens(uint16_t *tokens, size_t count, int semitones)
{
    for (size_t i = 0; i < count; i++) {
        if (pnl_token_family(tokens[i]) != PNL_FAMILY_PITCH)
            continue;
        int pitch = PNL_LOWEST_PITCH + pnl_token_offset(tokens[i]) + semitones;
        pitch = pitch < PNL_LOWEST_PITCH    ? PNL_LOWEST_PITCH
                : pitch > PNL_HIGHEST_PITCH ? PNL_HIGHEST_PITCH
                                            : pitch;
        tokens[i] = (uint16_t)pnl_token_pitch(pitch);
    }
}

int pnl_key_shift_of_seed(uint64_t seed)
{
    /* Hashed, so neighbouring seeds land in unrelated keys. */
    return (int)(pnl_splitmix64(seed) % 12) - 6;
}

int pnl_key_shift_of_prompt_or_seed(const PnlKeyHistogram *prompt, uint64_t seed)
{
    return prompt->note_count > 0 ? pnl_key_shift(prompt, NULL) : pnl_key_shift_of_seed(seed);
}

const char *pnl_key_tonic_name(int tonic)
{
    static const char *const names[12] = {"C",   "C-sharp", "D",       "E-flat",
                                          "E",   "F",       "F-sharp", "G",
                                          "A-flat", "A",    "B-flat",  "B"};
    return names[((tonic % 12) + 12) % 12];
}
