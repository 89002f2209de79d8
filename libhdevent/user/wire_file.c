/* SPDX-License-Identifier: MIT */
/*
 * wire_file.c — FILE format: the IOCTL buffers of one event, back to back (user mode).
 *
 * Splitting trusts nothing: a FILE is as untrusted as an IOCTL buffer. Each structure must be
 * there in full before its size fields are read, and each announced size is checked against
 * what is left of the FILE in 64-bit arithmetic before the walk moves on.
 */
#include <string.h>

#include <hdevent/wire_encode.h>

#include "../core/internal/le.h"

/* Size of the buffer at @b, announced by its header, checked against @left bytes. */
static uint32_t span_size(const uint8_t *b, size_t left, bool event, size_t *size)
{
    uint64_t total;

    if (left < (event ? HD_WIRE_EVENT_SIZE : HD_WIRE_ACTION_SIZE))
        return HD_WIRE_ERR_TRUNCATED;
    if (event)
        total = (uint64_t)HD_WIRE_EVENT_SIZE + hd__le_rd32(b, 160);
    else
        total = (uint64_t)HD_WIRE_ACTION_SIZE + hd__le_rd32(b, 20) + hd__le_rd32(b, 24);
    if (total > 0xFFFFFFFFull)
        return HD_WIRE_ERR_SIZE_OVERFLOW;
    if (total > (uint64_t)left)
        return event ? HD_WIRE_ERR_CONDITION_PAST_END : HD_WIRE_ERR_PAYLOAD_PAST_END;
    *size = (size_t)total;
    return HD_WIRE_OK;
}

uint32_t hd_wire_file_split(const void *buf, size_t len, struct hd_wire_file *out)
{
    const uint8_t *b = buf;
    size_t at = 0, size = 0;
    uint32_t code;

    if (!out || (!b && len))
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    code = span_size(b, len, true, &size);
    if (code != HD_WIRE_OK)
        return code; /* error_index and error_offset 0: the event buffer */
    out->event = (struct hd_wire_span){b, size, 0};
    out->count_of_actions = hd__le_rd32(b, 80);
    if (out->count_of_actions > HD_EVENT_MAX_ACTIONS)
        return HD_WIRE_ERR_TOO_MANY_ACTIONS; /* what the kernel would say of this event */
    /* Exactly CountOfActions action buffers follow: what is left after them is not one. */
    at = size;
    while (at < len && out->action_count < out->count_of_actions) {
        out->error_index = out->action_count + 1;
        out->error_offset = at;
        code = span_size(b + at, len - at, false, &size);
        if (code != HD_WIRE_OK)
            return code;
        out->actions[out->action_count++] = (struct hd_wire_span){b + at, size, at};
        at += size;
    }
    if (at < len) {
        out->error_index = out->action_count + 1;
        out->error_offset = at;
        return HD_WIRE_ERR_TRAILING_BYTES;
    }
    out->error_index = 0;
    out->error_offset = 0;
    if (out->action_count != out->count_of_actions)
        return HD_WIRE_ERR_ACTION_COUNT_MISMATCH; /* fewer buffers than the event says: 0 */
    return HD_WIRE_OK;
}

uint32_t hd_wire_file_decode(const void *buf, size_t len, uint32_t core_count,
                             struct hd_wire_file_decoded *out)
{
    struct hd_wire_file *f;
    uint32_t code;

    if (!out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    f = &out->file;
    code = hd_wire_file_split(buf, len, f);
    if (code != HD_WIRE_OK) {
        out->error_index = f->error_index;
        out->error_offset = f->error_offset;
        return code;
    }
    code = hd_wire_decode_event(f->event.data, f->event.size, core_count, &out->event);
    if (code != HD_WIRE_OK)
        return code;
    for (uint32_t i = 0; i < f->action_count; i++) {
        uint64_t tag = 0;
        code = hd_wire_decode_action(f->actions[i].data, f->actions[i].size, &tag,
                                     &out->actions[i]);
        if (code == HD_WIRE_OK && tag != out->event.tag)
            code = HD_WIRE_ERR_TAG_NOT_EXISTS; /* the kernel would not find its event */
        if (code != HD_WIRE_OK) {
            out->error_index = i + 1;
            out->error_offset = f->actions[i].offset;
            return code;
        }
    }
    out->event.actions = f->action_count ? out->actions : NULL;
    out->event.action_count = f->action_count;
    return HD_WIRE_OK;
}
