/* SPDX-License-Identifier: MIT */
/*
 * Per-core message queues (S18, S20): single producer (the core, in dispatch), single consumer
 * (hd_message_read, serialized by the writer lock). Head and tail are free-running counters
 * published with release stores, so neither side needs a locked instruction. A full queue
 * drops the new message and counts it; nothing queued is ever overwritten (HyperDbg
 * overwrites unread messages).
 */
#include "internal/engine.h"

static struct hd_msg_slot *slot_at(const struct hd_engine *e, const struct hd_core *core,
                                   uint32_t position)
{
    return (struct hd_msg_slot *)(core->ring +
                                  (size_t)(position & (e->message_slots - 1)) * e->slot_bytes);
}

uint8_t *hd__message_begin(struct hd_engine *e, struct hd_core *core)
{
    uint32_t head = core->ring_head;

    if (head - hd_load_acquire(&core->ring_tail) >= e->message_slots) {
        hd_store_relaxed(&core->ring_dropped, core->ring_dropped + 1);
        return NULL;
    }
    return (uint8_t *)(slot_at(e, core, head) + 1);
}

void hd__message_commit(struct hd_engine *e, struct hd_core *core, uint64_t tag, bool immediate,
                        uint8_t kind, enum hd_status status, uint32_t size)
{
    uint32_t head = core->ring_head;
    struct hd_msg_slot *slot = slot_at(e, core, head);

    slot->tag = tag;
    slot->size = size;
    slot->stored = size < e->message_max ? size : e->message_max;
    slot->immediate = immediate;
    slot->kind = kind;
    slot->status = (int32_t)status;
    hd_store_release(&core->ring_head, head + 1); /* the reader sees the payload with it */
}

void hd__message_push(struct hd_engine *e, struct hd_core *core, uint64_t tag, bool immediate,
                     const uint8_t *data, uint32_t size)
{
    uint8_t *payload = hd__message_begin(e, core);

    if (!payload)
        return;
    hd_memcpy(payload, data, size < e->message_max ? size : e->message_max);
    hd__message_commit(e, core, tag, immediate, HD_MESSAGE_BUFFER, HD_OK, size);
}

enum hd_status hd_message_read(struct hd_engine *engine, struct hd_message_info *info,
                               void *data, uint32_t capacity)
{
    if (!engine || !info || (!data && capacity))
        return HD_ERR_INVALID_ARGUMENT;
    return hd__message_take(engine, info, data, capacity, NULL, NULL);
}

enum hd_status hd__message_take(struct hd_engine *e, struct hd_message_info *info, void *data,
                                uint32_t capacity, hd__message_accept_fn accept, void *user)
{
    enum hd_status st = HD_EMPTY;

    hd__writer_lock(e);
    for (uint32_t i = 0; i < e->core_count; i++) {
        uint32_t c = (e->read_cursor + i) % e->core_count;
        struct hd_core *core = &e->cores[c];
        uint32_t tail = core->ring_tail;
        const struct hd_msg_slot *slot;
        uint32_t copy;

        if (hd_load_acquire(&core->ring_head) == tail)
            continue;
        slot = slot_at(e, core, tail);
        copy = slot->stored < capacity ? slot->stored : capacity;
        info->tag = slot->tag;
        info->core = c;
        info->size = slot->size;
        info->immediate = slot->immediate != 0;
        info->truncated = copy < slot->size;
        info->kind = slot->kind;
        info->status = (enum hd_status)slot->status;
        if (copy)
            hd_memcpy(data, slot + 1, copy);
        if (accept && !accept(user, info)) {
            st = HD_ERR_BUFFER_TOO_SMALL; /* not taken: the caller could not pass it on */
            break;
        }
        hd_store_release(&core->ring_tail, tail + 1);
        e->read_cursor = (c + 1) % e->core_count; /* next read starts at the next core */
        st = HD_OK;
        break;
    }
    hd__writer_unlock(e);
    return st;
}

enum hd_status hd_message_stats(struct hd_engine *engine, uint32_t core,
                                struct hd_message_stats *out)
{
    const struct hd_core *c;
    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    if (core >= engine->core_count)
        return HD_ERR_INVALID_CORE;
    c = &engine->cores[core];
    {
        /* Tail first: the head read after it can only be further on, so no wrap-around. */
        uint32_t tail = hd_load_acquire(&c->ring_tail);
        out->queued = hd_load_acquire(&c->ring_head) - tail;
    }
    out->dropped = hd_load_relaxed(&c->ring_dropped);
    return HD_OK;
}
