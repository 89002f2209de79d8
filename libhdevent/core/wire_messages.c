/*
 * Message records for user mode: Linux read() on /dev/hdevent and HD_IOCTL_READ_MESSAGES
 * (Windows) both return these bytes, so one client decodes both.
 *
 * A message is taken off its queue only when its whole record fits in what is left of the
 * output; the engine's message_max_bytes bounds every record, so "fits" is known before the
 * take. Only the first record of a call may be cut short, when the caller's whole buffer is
 * smaller than one record: then the message is still consumed (and flagged truncated), so a
 * reader with a tiny buffer still makes progress instead of reading the same message forever.
 */
#include "internal/engine.h"
#include "internal/wire.h"

enum { MSG_TAG = 0, MSG_CORE = 8, MSG_SIZE = 12, MSG_LENGTH = 16, MSG_FLAGS = 20 };

static size_t record_bytes(uint32_t text)
{
    return HD_WIRE_MESSAGE_HEADER_SIZE + hd_align_up((size_t)text, (size_t)8);
}

enum hd_status hd_wire_read_messages(struct hd_engine *engine, void *out, size_t out_len,
                                     size_t *written)
{
    uint8_t *b = out;
    size_t used = 0;

    if (written)
        *written = 0;
    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    if (out_len < HD_WIRE_MESSAGE_READ_MIN) {
        hd__wire_log_rejection(engine, "read messages", HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL);
        return HD_ERR_BUFFER_TOO_SMALL;
    }
    for (;;) {
        size_t left = out_len - used, capacity;
        struct hd_message_info info;
        uint32_t length, flags;

        if (left >= record_bytes(engine->message_max))
            capacity = engine->message_max;
        else if (used == 0)
            capacity = (left - HD_WIRE_MESSAGE_HEADER_SIZE) & ~(size_t)7; /* first: cut short */
        else
            break;
        if (hd_message_read(engine, &info, b + used + HD_WIRE_MESSAGE_HEADER_SIZE,
                            (uint32_t)capacity) != HD_OK)
            break;
        length = info.size < capacity ? info.size : (uint32_t)capacity;
        flags = (info.immediate ? HD_WIRE_MESSAGE_IMMEDIATE : 0) |
                (info.truncated ? HD_WIRE_MESSAGE_TRUNCATED : 0);
        hd__le_wr64(b + used, MSG_TAG, info.tag);
        hd__le_wr32(b + used, MSG_CORE, info.core);
        hd__le_wr32(b + used, MSG_SIZE, info.size);
        hd__le_wr32(b + used, MSG_LENGTH, length);
        hd__le_wr32(b + used, MSG_FLAGS, flags);
        /* Zero the padding: no stale kernel bytes reach user mode. */
        hd_memset(b + used + HD_WIRE_MESSAGE_HEADER_SIZE + length, 0,
                  record_bytes(length) - HD_WIRE_MESSAGE_HEADER_SIZE - length);
        used += record_bytes(length);
    }
    if (written)
        *written = used;
    return used ? HD_OK : HD_EMPTY;
}
