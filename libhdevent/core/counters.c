/* SPDX-License-Identifier: MIT */
/*
 * Per-core event counters, packed (internal/event.h: struct hd_counters). An event's
 * counters on one core are 16 bytes; a block gives each core one cache line and cuts it in
 * HD_COUNTERS_PER_LINE slots, so events registered one after another share their lines on
 * each core: a core writes only its own lines (no line is written by two cores), an exit
 * that runs K events writes K / 4 lines where it wrote K, and counters cost 16 bytes per
 * event and core where a line each cost 64.
 *
 * Events with `max_hits` or `deny` keep lines of their own, the shared line after them
 * (hd__event_shared()). Writer context only (the writer lock, or engine creation and
 * destruction): a slot is given back when its event is freed, after every core has left the
 * snapshots that held it, so no exit can be writing it when it is zeroed for its next event.
 */
#include "internal/engine.h"

struct hd_counter_block {
    struct hd_counter_block *prev, *next; /* on the engine's list of blocks with a free slot */
    void *raw;                            /* the allocation */
    uint8_t used;                         /* a bit per slot */
    _Alignas(HD_CACHELINE) struct hd_counters lines[]; /* core c's line: HD_COUNTERS_PER_LINE
                                                         * slots from lines + c * PER_LINE */
};

#define ALL_USED ((1u << HD_COUNTERS_PER_LINE) - 1u)

static void partial_push(struct hd_engine *e, struct hd_counter_block *b)
{
    b->prev = NULL;
    b->next = e->counters_partial;
    if (b->next)
        b->next->prev = b;
    e->counters_partial = b;
}

static void partial_remove(struct hd_engine *e, struct hd_counter_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        e->counters_partial = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

static struct hd_counter_block *block_new(struct hd_engine *e)
{
    size_t bytes = sizeof(struct hd_counter_block) + (size_t)e->core_count * HD_CACHELINE;
    void *raw = hd__alloc(e, bytes + HD_CACHELINE);
    struct hd_counter_block *b;

    if (!raw)
        return NULL;
    b = (struct hd_counter_block *)hd_align_up((uintptr_t)raw, HD_CACHELINE);
    b->raw = raw;
    b->used = 0;
    partial_push(e, b);
    return b;
}

enum hd_status hd__counters_take(struct hd_engine *e, struct hd_event *ev)
{
    struct hd_counter_block *b = e->counters_partial ? e->counters_partial : block_new(e);
    uint32_t slot = 0;

    if (!b)
        return HD_ERR_NO_MEMORY;
    while (b->used & (1u << slot))
        slot++;
    b->used |= (uint8_t)(1u << slot);
    if (b->used == ALL_USED)
        partial_remove(e, b);
    ev->counters = &b->lines[slot];
    ev->counter_block = b;
    for (uint32_t c = 0; c < e->core_count; c++) /* the slot's last event counted here */
        *hd__counters_at(ev->counters, c) = (struct hd_counters){0, 0};
    return HD_OK;
}

void hd__counters_give(struct hd_engine *e, struct hd_event *ev)
{
    struct hd_counter_block *b = ev->counter_block;
    uint32_t slot = (uint32_t)(ev->counters - b->lines);

    if (b->used == ALL_USED)
        partial_push(e, b);
    b->used &= (uint8_t)~(1u << slot);
    if (!b->used) {
        partial_remove(e, b);
        hd__free(e, b->raw);
    }
    ev->counters = NULL;
    ev->counter_block = NULL;
}
