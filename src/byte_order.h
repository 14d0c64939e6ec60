/* Little-endian integers and floats in byte buffers, whatever the machine's
 * own order: the layout of weights files (docs/weights-format.md), of the
 * plugin's saved state and of token files (uint16 ids). Floats travel as
 * their IEEE-754 bits. Header-only: each is a few shifts. */
#ifndef PIANOLA_BYTE_ORDER_H
#define PIANOLA_BYTE_ORDER_H

#include <stdint.h>
#include <string.h>

static inline uint16_t pnl_read_le16(const uint8_t *bytes)
{
    return (uint16_t)(bytes[0] | bytes[1] << 8);
}

static inline void pnl_write_le16(uint8_t *bytes, uint16_t value)
{
    bytes[0] = (uint8_t)(value & 0xff);
    bytes[1] = (uint8_t)(value >> 8);
}

static inline uint32_t pnl_read_le32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

static inline void pnl_write_le32(uint8_t *bytes, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        bytes[i] = (uint8_t)(value >> (8 * i));
}

static inline uint64_t pnl_read_le64(const uint8_t *bytes)
{
    return (uint64_t)pnl_read_le32(bytes) | (uint64_t)pnl_read_le32(bytes + 4) << 32;
}

static inline void pnl_write_le64(uint8_t *bytes, uint64_t value)
{
    pnl_write_le32(bytes, (uint32_t)value);
    pnl_write_le32(bytes + 4, (uint32_t)(value >> 32));
}

static inline float pnl_read_le_f32(const uint8_t *bytes)
{
    uint32_t bits = pnl_read_le32(bytes);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline void pnl_write_le_f32(uint8_t *bytes, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    pnl_write_le32(bytes, bits);
}

#endif
