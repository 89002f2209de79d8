/* SPDX-License-Identifier: MIT */
/*
 * Little-endian fields of wire buffers, the one copy: IOCTL buffers may be unaligned (a user's
 * buffer, a SystemBuffer at any offset) and their layout is little-endian whatever reads it,
 * so fields are read and written byte by byte. Freestanding, header-only; the user library
 * and the bare-metal image use it too.
 */
#ifndef HDEVENT_INTERNAL_LE_H
#define HDEVENT_INTERNAL_LE_H

#include <hdevent/types.h>

static inline uint32_t hd__le_rd32(const uint8_t *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static inline uint64_t hd__le_rd64(const uint8_t *b, size_t off)
{
    return (uint64_t)hd__le_rd32(b, off) | (uint64_t)hd__le_rd32(b, off + 4) << 32;
}

static inline void hd__le_wr32(uint8_t *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void hd__le_wr64(uint8_t *b, size_t off, uint64_t v)
{
    hd__le_wr32(b, off, (uint32_t)v);
    hd__le_wr32(b, off + 4, (uint32_t)(v >> 32));
}

#endif /* HDEVENT_INTERNAL_LE_H */
