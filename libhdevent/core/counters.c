/* SPDX-License-Identifier: MIT */
/*
 * Per-core event counters, packed (internal/event.h: struct hd_counters). An event's
 * counters on one core are 16 bytes. A block gives each core HD_COUNTER_LINES lines in a row
 * and cuts them in HD_COUNTER_SLOTS slots, one per event; core c's run starts
 * HD_COUNTER_STRIDE * c bytes after core 0's. So no two dispatching cores write one line (the
 * writer zeroes a slot on every core's line only when it hands the slot out), and on each
 * core the counters of events registered one after another — while nothing is freed, as a
 * freed slot is taken again first — lie 16 bytes apart: an exit
 * that runs K of them writes K / 4 lines, in ascending order — which the prefetchers follow
 * from DRAM as they followed one line per event at one stride — and counters cost 16 bytes
 * per event and core where a line each cost 64.
 *
 * Events with `max_hits` or `deny` take their slots from blocks of their own, which after
 * the cores' runs hold one line per slot: the line every core reads, and max_hits counts on
 * with a locked add (hd__event_shared() finds it from the slot). The slots start on a
 * HD_COUNTER_STRIDE boundary for that, with the block's header in the line before them.
 *
 * Writer context only (the writer lock, or engine creation and destruction): a slot is given
 * back when its event is freed, after every core has left the snapshots that held it, so no
 * exit can be writing it when it is zeroed for its next event.
 */
#include "internal/engine.h"

struct hd_counter_block {
    struct hd_counter_block *prev, *next; /* on the engine's list of blocks with a free slot */
    void *raw;                            /* the allocation */
    uint32_t used;                        /* a bit per slot */
    bool extra;                           /* shared lines follow the runs */
    _Alignas(HD_CACHELINE) struct hd_counters slots[]; /* core c's slot s:
                                                         * slots[c * HD_COUNTER_SLOTS + s] */
};

HD__STATIC_ASSERT(HD_COUNTER_SLOTS <= 32, "a bit per slot in `used`");
HD__STATIC_ASSERT(offsetof(struct hd_counter_block, slots) == HD_CACHELINE, "one header line");
#define ALL_USED ((uint32_t)(((uint64_t)1 << HD_COUNTER_SLOTS) - 1u))

static void partial_push(struct hd_engine *e, struct hd_counter_block *b)
{
    struct hd_counter_block **head = &e->counters_partial[b->extra];
    b->prev = NULL;
    b->next = *head;
    if (b->next)
        b->next->prev = b;
    *head = b;
}

static void partial_remove(struct hd_engine *e, struct hd_counter_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        e->counters_partial[b->extra] = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

static struct hd_counter_block *block_new(struct hd_engine *e, bool extra)
{
    size_t runs = (size_t)e->core_count * HD_COUNTER_STRIDE;
    size_t shared = extra ? HD_COUNTER_SLOTS * sizeof(struct hd_event_shared) : 0;
    /* the header line, room to move the slots to a stride boundary, the runs, shared lines */
    uint8_t *raw = hd__alloc(e, HD_CACHELINE + HD_COUNTER_STRIDE + runs + shared);
    struct hd_counter_block *b;

    if (!raw)
        return NULL;
    b = (struct hd_counter_block *)(hd_align_up((uintptr_t)raw + HD_CACHELINE,
                                                HD_COUNTER_STRIDE) -
                                    HD_CACHELINE);
    b->raw = raw;
    b->used = 0;
    b->extra = extra;
    partial_push(e, b);
    return b;
}

enum hd_status hd__counters_take(struct hd_engine *e, struct hd_event *ev)
{
    bool extra = ev->extra != 0;
    struct hd_counter_block *b = e->counters_partial[extra];
    uint32_t slot = 0;

    if (!b && !(b = block_new(e, extra)))
        return HD_ERR_NO_MEMORY;
    while (b->used & (1u << slot)) /* the lowest free: events in a row get slots in a row */
        slot++;
    b->used |= 1u << slot;
    if (b->used == ALL_USED)
        partial_remove(e, b);
    ev->counters = &b->slots[slot];
    ev->counter_block = b;
    for (uint32_t c = 0; c < e->core_count; c++) /* the slot's last event counted here */
        *hd__counters_at(ev->counters, c) = (struct hd_counters){0, 0};
    if (extra)
        hd_memset(hd__event_shared(ev->counters, e->core_count), 0,
                  sizeof(struct hd_event_shared));
    return HD_OK;
}

void hd__counters_give(struct hd_engine *e, struct hd_event *ev)
{
    struct hd_counter_block *b = ev->counter_block;
    uint32_t slot = (uint32_t)(ev->counters - b->slots);

    if (b->used == ALL_USED)
        partial_push(e, b);
    b->used &= ~(1u << slot);
    if (!b->used) {
        partial_remove(e, b);
        hd__free(e, b->raw);
    }
    ev->counters = NULL;
    ev->counter_block = NULL;
}
