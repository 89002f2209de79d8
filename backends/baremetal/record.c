/* SPDX-License-Identifier: MIT */
/*
 * record.c — the image's recording window (BM_HC_RECORD): the engine's flight recorder
 * switched on around a few guest VMCALLs, then written on port 0xE9 as a recorder dump, which
 * the host's `hdevent record --from LOG` turns into a scenario `hdevent run` replays
 * (docs/backends/baremetal.md, docs/cli.md#a-recorder-dump):
 *
 *   recorder-dump cores=0x1
 *   recorder-event tag=0x1000000 enabled=0x1 text=<the command text, hex>     (each event)
 *   recorder-reply <one HD_IOCTL_RECORDER reply, hex>                         (one or more)
 *   recorder-end
 *
 * The replies are what the device request writes (wire_recorder.c, the one place for that
 * format), taken through hd_wire_device_ioctl() as a kernel's IOCTL handler would. Registers
 * and command text reach the log only as hex digits.
 */
#include "bm.h"

#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include "internal/le.h"

bool bm_shared_default;

/* A reply holds this many records; more are taken by further requests (READ). */
#define DUMP_RECORDS 16u

static uint8_t reply[HD_WIRE_RECORDER_HEADER_SIZE + DUMP_RECORDS * HD_WIRE_RECORD_SIZE];

/* One recorder request. @return the records in `reply`, or -1 when it was refused. */
static int64_t recorder(uint32_t op, size_t *written)
{
    uint8_t in[HD_WIRE_RECORDER_REQUEST_SIZE] = {0};

    hd__le_wr32(in, 0, op);
    *written = 0;
    if (hd_wire_device_ioctl(bm_engine, NULL, HD_IOCTL_RECORDER, in, sizeof(in), reply,
                             sizeof(reply), written) != HD_OK ||
        *written < HD_WIRE_RECORDER_HEADER_SIZE ||
        hd__le_rd32(reply, 0) != (uint32_t)HD_WIRE_SUCCESS)
        return -1;
    return hd__le_rd32(reply, 4);
}

/* Every registered event, in tag order, with the text the engine keeps (main.c gave it). */
static void dump_events(void)
{
    static char text[HD_COMMAND_MAX_BYTES + 1];
    struct hd_event_info info;
    uint64_t after = 0;
    size_t len;

    while (hd_event_next(bm_engine, after, &info) == HD_OK) {
        after = info.tag;
        if (hd_event_command(bm_engine, info.tag, text, sizeof(text), &len) != HD_OK)
            continue; /* cannot happen: one core, and the image clears nothing */
        bm_puts("recorder-event tag=");
        bm_hex(info.tag);
        bm_puts(" enabled=");
        bm_hex(info.enabled);
        bm_puts(" text=");
        bm_hex_bytes(text, len < sizeof(text) - 1 ? len : sizeof(text) - 1);
        bm_putc('\n');
    }
}

/* Close the window: recording off, the dump written. @return records dumped, or ~0. */
static uint64_t close_window(void)
{
    uint64_t total = 0;
    size_t written;
    int64_t n = recorder(HD_WIRE_RECORDER_OFF, &written);

    bm_shared_default = false;
    if (n < 0)
        return ~0ull;
    bm_puts("recorder-dump cores=");
    bm_hex(hd_engine_core_count(bm_engine));
    bm_putc('\n');
    dump_events();
    for (;;) {
        bm_puts("recorder-reply ");
        bm_hex_bytes(reply, written);
        bm_putc('\n');
        total += (uint64_t)n;
        if (n < (int64_t)DUMP_RECORDS || (n = recorder(HD_WIRE_RECORDER_READ, &written)) <= 0)
            break; /* a reply with room left: the rings are empty */
    }
    if (n < 0)
        return ~0ull; /* no recorder-end: the host refuses the dump as cut short */
    bm_puts("recorder-end\n");
    /* This exit's own record is written after its handling, so into the ring after the dump:
     * the image opens one window, and nobody reads that record. */
    return total;
}

uint64_t bm_record_window(bool open)
{
    size_t written;

    if (!open)
        return close_window();
    /* The rings are new (or empty): a record taken here would be one the dump misses. */
    if (recorder(HD_WIRE_RECORDER_ON, &written) != 0)
        return ~0ull;
    bm_shared_default = true;
    return (uint32_t)HD_WIRE_SUCCESS;
}
