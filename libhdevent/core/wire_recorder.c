/* SPDX-License-Identifier: MIT */
/*
 * HD_IOCTL_RECORDER (wire_device.h, docs/wire.md): switch the flight recorder and take its
 * records, as many as fit after the header, each laid out as struct hd_exit_record in
 * little-endian. A record is taken off its ring once written to the output.
 */
#include "internal/engine.h"
#include "internal/le.h"
#include "internal/wire.h"

enum { RH_STATUS = 0, RH_COUNT = 4, RH_RECORDING = 8, RH_DROPPED = 16 };

static void write_regs(uint8_t *p, const struct hd_guest_regs *r)
{
    const uint64_t *v = (const uint64_t *)(const void *)r;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        hd__le_wr64(p, 8u * i, v[i]);
}

static void write_record(uint8_t *p, const struct hd_exit_record *r)
{
    hd_memset(p, 0, HD_WIRE_RECORD_SIZE);
    write_regs(p, &r->before);
    write_regs(p + 128, &r->after);
    hd__le_wr64(p, 256, r->rip);
    hd__le_wr32(p, 264, r->sequence);
    hd__le_wr32(p, 268, r->core);
    hd__le_wr32(p, 272, r->pid);
    hd__le_wr32(p, 276, r->insn_len);
    p[280] = r->cpl;
    p[281] = r->flags;
    hd__le_wr32(p, 284, r->fired_count);
    for (uint32_t i = 0; i < HD_RECORD_FIRED_MAX; i++)
        hd__le_wr64(p, 288 + 8u * i, i < r->fired_count ? r->fired[i] : 0);
}

size_t hd__wire_recorder(struct hd_engine *e, const void *in, size_t in_len, void *out,
                         size_t out_len)
{
    uint8_t h[HD_WIRE_RECORDER_HEADER_SIZE] = {0};
    uint8_t *b = out;
    uint32_t code = HD_WIRE_SUCCESS, op = 0, count = 0;
    size_t room = (out_len - HD_WIRE_RECORDER_HEADER_SIZE) / HD_WIRE_RECORD_SIZE;
    uint64_t dropped = 0;
    struct hd_exit_record r;

    if (!in || in_len < HD_WIRE_RECORDER_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRUNCATED;
    else if (in_len > HD_WIRE_RECORDER_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRAILING_BYTES;
    else if ((op = hd__le_rd32(in, 0)) > HD_WIRE_RECORDER_OFF || hd__le_rd32(in, 4) != 0)
        code = HD_WIRE_ERR_INVALID_ARGUMENT; /* read before the output (maybe `in`) is written */
    if (code == (uint32_t)HD_WIRE_SUCCESS && op != HD_WIRE_RECORDER_READ &&
        HD_FAILED(hd_recorder_set(e, op == HD_WIRE_RECORDER_ON)))
        code = HD_WIRE_ERR_INTERNAL; /* no memory for the rings: recording stays off */
    if (code == (uint32_t)HD_WIRE_SUCCESS) {
        while (count < room && hd_recorder_read(e, &r) == HD_OK) {
            write_record(b + HD_WIRE_RECORDER_HEADER_SIZE + (size_t)count * HD_WIRE_RECORD_SIZE,
                         &r);
            count++;
        }
        for (uint32_t c = 0; c < e->core_count; c++) {
            struct hd_recorder_stats st;
            if (hd_recorder_stats(e, c, &st) == HD_OK)
                dropped += st.dropped;
        }
    } else {
        hd__wire_log_rejection(e, "recorder", code);
    }
    hd__le_wr32(h, RH_STATUS, code);
    hd__le_wr32(h, RH_COUNT, count);
    hd__le_wr32(h, RH_RECORDING, hd_recorder_on(e) ? 1u : 0u);
    hd__le_wr64(h, RH_DROPPED, dropped);
    hd_memcpy(b, h, sizeof(h));
    return HD_WIRE_RECORDER_HEADER_SIZE + (size_t)count * HD_WIRE_RECORD_SIZE;
}
