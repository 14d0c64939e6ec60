/* Tests of SplitMix64 and FNV-1a (src/hash.c) against published values:
 * the first SplitMix64 outputs from seed 1234567 (Vigna's reference code,
 * as its ports test them) and FNV-1a 64 of "", "a" and "foobar" (the FNV
 * authors' test vectors). Seeds, keys, humanization and the vocabulary's
 * signature all rest on these bits. */
#include <stdint.h>

#include "check.h"
#include "hash.h"

static void test_splitmix64_gives_the_reference_sequence(void)
{
    static const uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL,
                                        9817491932198370423ULL, 4593380528125082431ULL,
                                        16408922859458223821ULL};
    uint64_t state = 1234567;
    for (int i = 0; i < 5; i++) {
        uint64_t value = pnl_splitmix64_next(&state);
        CHECK(value == expected[i], "output %d from seed 1234567: expected %llu, got %llu", i,
              (unsigned long long)expected[i], (unsigned long long)value);
    }
}

static void test_splitmix64_of_a_value_is_the_first_output_from_it(void)
{
    for (uint64_t value = 0; value < 1000; value += 37) {
        uint64_t state = value;
        uint64_t first = pnl_splitmix64_next(&state);
        CHECK(pnl_splitmix64(value) == first, "value %llu: hash %llu, first output %llu",
              (unsigned long long)value, (unsigned long long)pnl_splitmix64(value),
              (unsigned long long)first);
    }
}

static void test_fnv1a_gives_the_published_values(void)
{
    static const struct {
        const char *text;
        uint64_t hash;
    } vectors[] = {
        {"", 0xcbf29ce484222325ULL},
        {"a", 0xaf63dc4c8601ec8cULL},
        {"foobar", 0x85944171f73967e8ULL},
    };
    for (int i = 0; i < 3; i++)
        CHECK(pnl_fnv1a_string(vectors[i].text) == vectors[i].hash,
              "FNV-1a of \"%s\": expected %016llx, got %016llx", vectors[i].text,
              (unsigned long long)vectors[i].hash,
              (unsigned long long)pnl_fnv1a_string(vectors[i].text));
}

static void test_fnv1a_continues_across_pieces(void)
{
    uint64_t in_pieces = pnl_fnv1a_add(PNL_FNV1A_START, "foo", 3);
    in_pieces = pnl_fnv1a_add(in_pieces, "bar", 3);
    CHECK(in_pieces == pnl_fnv1a_string("foobar"),
          "\"foo\" then \"bar\" gave %016llx, \"foobar\" %016llx",
          (unsigned long long)in_pieces, (unsigned long long)pnl_fnv1a_string("foobar"));
}

int main(void)
{
    RUN_TEST(test_splitmix64_gives_the_reference_sequence);
    RUN_TEST(test_splitmix64_of_a_value_is_the_first_output_from_it);
    RUN_TEST(test_fnv1a_gives_the_published_values);
    RUN_TEST(test_fnv1a_continues_across_pieces);
    CHECK_EXIT();
}
