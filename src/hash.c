/* SplitMix64 and FNV-1a; see hash.h. */
#include "hash.h"

#include <string.h>

uint64_t pnl_splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t pnl_splitmix64(uint64_t value)
{
    return pnl_splitmix64_next(&value);
}

uint64_t pnl_fnv1a_add(uint64_t hash, const void *bytes, size_t size)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ byte[i]) * 0x100000001b3ULL;
    return hash;
}

uint64_t pnl_fnv1a_string(const char *text)
{
    return pnl_fnv1a_add(PNL_FNV1A_START, text, strlen(text));
}
