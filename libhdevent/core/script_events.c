/* SPDX-License-Identifier: MIT */
/*
 * event_enable / event_disable / event_clear from scripts. A script runs on the dispatch path,
 * where no writer may run (writers allocate, lock and may wait for other cores), so a request
 * is only queued there, on the core's own queue, and applied afterwards by a writer:
 * hd_engine_run_deferred(), which the host backend calls after every exit and the device
 * entry points (hd_wire_device_ioctl, hd_wire_read_messages*) call before each request. The
 * exit that asked never sees the change — its snapshot is fixed for its pre and post pass
 * (S16) — and clearing the running event is therefore safe: it is freed after a grace period
 * like any clear (S5).
 */
#include "internal/engine.h"
#include "internal/script.h"

bool hd__script_defer(struct hd_engine *e, uint32_t core, uint8_t op, uint64_t tag)
{
    struct hd_script_pending *q = &e->script->pending[core];
    uint32_t head = q->head;

    if (head - hd_load_acquire(&q->tail) >= HD_SCRIPT_PENDING)
        return false;
    q->op[head % HD_SCRIPT_PENDING] = op;
    q->tag[head % HD_SCRIPT_PENDING] = tag;
    hd_store_release(&q->head, head + 1);
    return true;
}

/* Take @core's waiting requests (at most HD_SCRIPT_PENDING) under the writer lock. */
static uint32_t take(struct hd_engine *e, uint32_t core, uint8_t *ops, uint64_t *tags)
{
    struct hd_script_pending *q;
    uint32_t n = 0, tail, head;

    hd__writer_lock(e);
    if (e->script) {
        q = &e->script->pending[core];
        tail = q->tail;
        head = hd_load_acquire(&q->head);
        for (; tail != head; tail++, n++) {
            ops[n] = q->op[tail % HD_SCRIPT_PENDING];
            tags[n] = q->tag[tail % HD_SCRIPT_PENDING];
        }
        hd_store_release(&q->tail, tail);
    }
    hd__writer_unlock(e);
    return n;
}

static void apply(struct hd_engine *e, uint8_t op, uint64_t tag)
{
    static const char *const what[] = {"script event_enable", "script event_disable",
                                       "script event_clear"};
    enum hd_status st;

    if (tag > HD_TAG_MAX || tag < HD_TAG_BASE) {
        hd__log_refusal(e, what[op], 0, HD_ERR_NO_SUCH_EVENT); /* an ID no event can have */
        return;
    }
    if (op == HD_SCRIPT_EVENT_ENABLE)
        st = hd_event_enable(e, tag);
    else if (op == HD_SCRIPT_EVENT_DISABLE)
        st = hd_event_disable(e, tag);
    else
        st = hd_event_clear(e, tag);
    (void)st; /* a refusal is logged by the writer itself (no such event, no memory) */
}

uint32_t hd_engine_run_deferred(struct hd_engine *engine)
{
    uint8_t ops[HD_SCRIPT_PENDING];
    uint64_t tags[HD_SCRIPT_PENDING];
    uint32_t applied = 0;

    if (!engine || !hd_load_acquire(&engine->script))
        return 0;
    for (uint32_t c = 0; c < engine->core_count; c++) {
        uint32_t n = take(engine, c, ops, tags);
        for (uint32_t i = 0; i < n; i++)
            apply(engine, ops[i], tags[i]);
        applied += n;
    }
    return applied;
}
