/* SPDX-License-Identifier: MIT */
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

/* One record being read: where it goes, and who passes it on. */
struct reading {
    uint8_t *at;            /* the record's header in the scratch buffer */
    size_t offset;          /* its offset in the read */
    uint32_t capacity;      /* text bytes it may hold */
    size_t size;            /* set by finish: header + text + padding */
    hd_wire_deliver_fn deliver;
    void *user;
};

/* hd__message_take's accept: the text is in place; write the header, zero the padding (no
 * stale kernel bytes reach user mode) and hand the record on before its message is taken. */
static bool finish(void *arg, const struct hd_message_info *info)
{
    struct reading *r = arg;
    uint32_t length = info->size < r->capacity ? info->size : r->capacity;
    uint32_t flags = (info->immediate ? HD_WIRE_MESSAGE_IMMEDIATE : 0) |
                     (info->truncated ? HD_WIRE_MESSAGE_TRUNCATED : 0) |
                     (info->kind == HD_MESSAGE_PRINT ? HD_WIRE_MESSAGE_PRINT : 0) |
                     (info->kind == HD_MESSAGE_SCRIPT_ERROR ? HD_WIRE_MESSAGE_SCRIPT_ERROR : 0);

    hd__le_wr64(r->at, MSG_TAG, info->tag);
    hd__le_wr32(r->at, MSG_CORE, info->core);
    hd__le_wr32(r->at, MSG_SIZE, info->size);
    hd__le_wr32(r->at, MSG_LENGTH, length);
    hd__le_wr32(r->at, MSG_FLAGS, flags);
    r->size = record_bytes(length);
    hd_memset(r->at + HD_WIRE_MESSAGE_HEADER_SIZE + length, 0,
              r->size - HD_WIRE_MESSAGE_HEADER_SIZE - length);
    return !r->deliver || r->deliver(r->user, r->at, r->size, r->offset);
}

enum hd_status hd_wire_read_messages_to(struct hd_engine *engine, void *scratch, size_t len,
                                        hd_wire_deliver_fn deliver, void *user, size_t *written)
{
    uint8_t *b = scratch;
    size_t used = 0;
    enum hd_status st = HD_OK;

    if (written)
        *written = 0;
    if (!engine || !scratch)
        return HD_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_MESSAGE_READ_MIN) {
        hd__wire_log_rejection(engine, "read messages", HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL);
        return HD_ERR_BUFFER_TOO_SMALL;
    }
    hd_engine_run_deferred(engine); /* a reader's call is writer context: scripts' requests */
    for (;;) {
        size_t left = len - used;
        struct hd_message_info info;
        struct reading r = {b + used, used, 0, 0, deliver, user};

        if (left >= record_bytes(engine->message_max))
            r.capacity = engine->message_max;
        else if (used == 0)
            r.capacity = (uint32_t)((left - HD_WIRE_MESSAGE_HEADER_SIZE) & ~(size_t)7); /* cut */
        else
            break;
        st = hd__message_take(engine, &info, b + used + HD_WIRE_MESSAGE_HEADER_SIZE, r.capacity,
                              finish, &r);
        if (st != HD_OK)
            break;
        used += r.size;
    }
    if (written)
        *written = used;
    if (used)
        return HD_OK;
    return st == HD_ERR_BUFFER_TOO_SMALL ? HD_ERR_INVALID_ARGUMENT : HD_EMPTY;
}

enum hd_status hd_wire_read_messages(struct hd_engine *engine, void *out, size_t out_len,
                                     size_t *written)
{
    return hd_wire_read_messages_to(engine, out, out_len, NULL, NULL, written);
}
