/* Tests of the little-endian helpers (src/byte_order.h): the bytes land
 * least significant first whatever the machine, and read back as written;
 * a float travels as its IEEE-754 bits (1.0f is 0x3f800000). */
#include <stdint.h>
#include <string.h>

#include "byte_order.h"
#include "check.h"

static void test_integers_are_written_least_significant_byte_first(void)
{
    uint8_t bytes[8];
    static const uint8_t expected[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    pnl_write_le64(bytes, 0x0102030405060708ULL);
    CHECK(memcmp(bytes, expected, 8) == 0, "64 bits: bytes %02x %02x ... %02x", bytes[0],
          bytes[1], bytes[7]);
    pnl_write_le32(bytes, 0x0a0b0c0du);
    CHECK(bytes[0] == 0x0d && bytes[1] == 0x0c && bytes[2] == 0x0b && bytes[3] == 0x0a,
          "32 bits: bytes %02x %02x %02x %02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    pnl_write_le16(bytes, 0x01abu);
    CHECK(bytes[0] == 0xab && bytes[1] == 0x01, "16 bits: bytes %02x %02x", bytes[0], bytes[1]);
}

static void test_what_is_written_reads_back(void)
{
    uint8_t bytes[8];
    static const uint64_t values[] = {0, 1, 0xffffffffffffffffULL, 0x8000000000000001ULL,
                                      0x0123456789abcdefULL};
    for (int i = 0; i < 5; i++) {
        pnl_write_le64(bytes, values[i]);
        CHECK(pnl_read_le64(bytes) == values[i], "64 bits: %016llx came back %016llx",
              (unsigned long long)values[i], (unsigned long long)pnl_read_le64(bytes));
        pnl_write_le32(bytes, (uint32_t)values[i]);
        CHECK(pnl_read_le32(bytes) == (uint32_t)values[i], "32 bits: %08x came back %08x",
              (unsigned)(uint32_t)values[i], (unsigned)pnl_read_le32(bytes));
        pnl_write_le16(bytes, (uint16_t)values[i]);
        CHECK(pnl_read_le16(bytes) == (uint16_t)values[i], "16 bits: %04x came back %04x",
              (unsigned)(uint16_t)values[i], (unsigned)pnl_read_le16(bytes));
    }
}

static void test_floats_travel_as_their_bits(void)
{
    uint8_t bytes[4];
    pnl_write_le_f32(bytes, 1.0f);
    CHECK(pnl_read_le32(bytes) == 0x3f800000u, "1.0f written as %08x",
          (unsigned)pnl_read_le32(bytes));
    pnl_write_le_f32(bytes, -0.15625f);
    CHECK(pnl_read_le_f32(bytes) == -0.15625f, "-0.15625f came back %g",
          (double)pnl_read_le_f32(bytes));
}

int main(void)
{
    RUN_TEST(test_integers_are_written_least_significant_byte_first);
    RUN_TEST(test_what_is_written_reads_back);
    RUN_TEST(test_floats_travel_as_their_bits);
    CHECK_EXIT();
}
