/* SPDX-License-Identifier: MIT */
/*
 * HD_IOCTL_EVENT_COMMAND (wire_device.h, docs/wire.md): an event's command text. HyperDbg's
 * register buffer carries no text, so a kernel event has none until `hdevent add` sends it
 * here right after registering; `hdevent events` and `hdevent record` read it back. The
 * engine keeps it as it keeps a host event's (hd_event_set_command, hd_event_command).
 *
 * Input is read whole before the first output byte is written (METHOD_BUFFERED).
 */
#include "internal/engine.h"
#include "internal/le.h"
#include "internal/wire.h"

enum { EC_TAG = 0, EC_OP = 8, EC_LENGTH = 12, ER_STATUS = 0, ER_LENGTH = 4 };

/* The request's header against @in_len: a wire code. */
static uint32_t check_request(const uint8_t *in, size_t in_len, uint32_t *op, uint32_t *length)
{
    if (!in || in_len < HD_WIRE_EVENT_COMMAND_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    *op = hd__le_rd32(in, EC_OP);
    *length = hd__le_rd32(in, EC_LENGTH);
    if (*op == HD_WIRE_COMMAND_GET && *length != 0)
        return HD_WIRE_ERR_COMMAND_OP;
    if (*op != HD_WIRE_COMMAND_GET && *op != HD_WIRE_COMMAND_SET)
        return HD_WIRE_ERR_COMMAND_OP;
    if (*length > HD_COMMAND_MAX_BYTES)
        return HD_WIRE_ERR_COMMAND_TEXT;
    if (in_len - HD_WIRE_EVENT_COMMAND_SIZE < *length)
        return HD_WIRE_ERR_TRUNCATED;
    if (in_len - HD_WIRE_EVENT_COMMAND_SIZE > *length)
        return HD_WIRE_ERR_TRAILING_BYTES;
    return HD_WIRE_SUCCESS;
}

size_t hd__wire_event_command(struct hd_engine *e, const void *in, size_t in_len, void *out,
                              size_t out_len)
{
    uint8_t *b = out;
    uint32_t op = 0, length = 0;
    uint32_t code = check_request(in, in_len, &op, &length);
    uint64_t tag = code == (uint32_t)HD_WIRE_SUCCESS ? hd__le_rd64(in, EC_TAG) : 0;
    size_t full = 0, written = HD_WIRE_EVENT_COMMAND_REPLY_SIZE;
    enum hd_status st;

    if (code == (uint32_t)HD_WIRE_SUCCESS && op == HD_WIRE_COMMAND_SET) {
        const char *text = (const char *)in + HD_WIRE_EVENT_COMMAND_SIZE; /* in is not NULL */
        st = hd_event_set_command(e, tag, text, length);
        code = HD_SUCCESS(st)                  ? (uint32_t)HD_WIRE_SUCCESS
               : st == HD_ERR_INVALID_ARGUMENT ? (uint32_t)HD_WIRE_ERR_COMMAND_TEXT /* a NUL */
                                               : hd_wire_error_from_status(st);
        full = length;
    } else if (code == (uint32_t)HD_WIRE_SUCCESS) {
        /* get: the text after the reply header, NUL-terminated, cut to what fits */
        size_t room = out_len - HD_WIRE_EVENT_COMMAND_REPLY_SIZE;
        st = hd_event_command(e, tag, (char *)b + HD_WIRE_EVENT_COMMAND_REPLY_SIZE, room, &full);
        code = HD_SUCCESS(st) ? (uint32_t)HD_WIRE_SUCCESS : hd_wire_error_from_status(st);
        if (code == (uint32_t)HD_WIRE_SUCCESS && room)
            written += (full < room ? full : room - 1) + 1;
    }
    if (code != (uint32_t)HD_WIRE_SUCCESS) {
        hd__wire_log_rejection(e, "event command", code);
        full = 0;
    }
    hd__le_wr32(b, ER_STATUS, code);
    hd__le_wr32(b, ER_LENGTH, (uint32_t)full);
    return written;
}
