/*
 * What the files of hdevent's own IOCTLs (wire_device.c, wire_selftest.c, wire_messages.c)
 * share. Little-endian field access: IOCTL buffers may be unaligned (a user's buffer, a
 * SystemBuffer at any offset), so fields are read and written byte by byte.
 */
#ifndef HDEVENT_INTERNAL_WIRE_H
#define HDEVENT_INTERNAL_WIRE_H

#include <hdevent/wire.h>

struct hd_engine;

/* "wire: <what> rejected: 0xC000101A <sentence>" on the backend's log (writer context). */
void hd__wire_log_rejection(struct hd_engine *e, const char *what, uint32_t code);

/* HD_IOCTL_SELFTEST_VMCALL; @out holds HD_WIRE_SELFTEST_RESULT_SIZE bytes. Returns bytes written. */
size_t hd__wire_selftest_run(struct hd_engine *e, const struct hd_wire_caller *caller,
                        const void *in, size_t in_len, void *out);

static inline uint32_t hd_wire_rd32(const uint8_t *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static inline uint64_t hd_wire_rd64(const uint8_t *b, size_t off)
{
    return (uint64_t)hd_wire_rd32(b, off) | (uint64_t)hd_wire_rd32(b, off + 4) << 32;
}

static inline void hd_wire_wr32(uint8_t *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void hd_wire_wr64(uint8_t *b, size_t off, uint64_t v)
{
    hd_wire_wr32(b, off, (uint32_t)v);
    hd_wire_wr32(b, off + 4, (uint32_t)(v >> 32));
}

#endif /* HDEVENT_INTERNAL_WIRE_H */
