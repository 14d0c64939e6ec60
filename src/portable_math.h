/* exp in plain float arithmetic, for the engine's sums that must give the
 * same bits on every machine (src/lstm.c's gates, src/sampler.c's weights).
 *
 * libm will not do: glibc picks an FMA or a plain variant of expf and exp
 * by CPU, and the two need not round alike, so one seed could compose
 * different music on two machines. Internal to src/; not part of the API. */
#ifndef PIANOLA_PORTABLE_MATH_H
#define PIANOLA_PORTABLE_MATH_H

#include <stdint.h>
#include <string.h>

#ifdef __clang__
/* a*b+c stays two roundings, as GCC keeps it in ISO C mode. */
#pragma STDC FP_CONTRACT OFF
#endif

/* e^x with a relative error of about 1e-7; x is clamped to [-87, 88], so
 * the result is a normal float from 1.6e-38 to 1.7e38. Range reduction
 * e^x = 2^n e^r, |r| <= ln 2 / 2, with ln 2 split in two for exactness, then
 * the degree-5 polynomial of Cephes' expf (S. L. Moshier). */
static inline float pnl_exp_portable(float x)
{
    /* Written so that NaN (every comparison with it false) lands on -87:
     * a hostile weights file can make a gate's sum inf - inf. */
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    /* Adding 1.5 * 2^23 rounds x / ln 2 to an integer, held in the low bits. */
    const float shifter = 12582912.0f;
    float shifted = x * 1.44269504088896341f + shifter;
    float n = shifted - shifter;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    int32_t shifted_bits;
    memcpy(&shifted_bits, &shifted, sizeof shifted_bits);
    int32_t power_bits = (shifted_bits - 0x4B400000 + 127) * (1 << 23); /* 2^n, n in -126..127 */
    float power;
    memcpy(&power, &power_bits, sizeof power);
    return e * power;
}

#endif
