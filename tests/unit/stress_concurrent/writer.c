/* SPDX-License-Identifier: MIT */
/*
 * The writer of test_stress_concurrent.c: one thread registering, enabling, disabling, adding
 * actions to and clearing events while the dispatchers run, keeping a model of what it
 * registered (struct writer). Before a call that lets an event run it marks the event's block
 * enabled; after a call that stops it, disabled or cleared — each with the number of the op,
 * published in g_op once the op is complete, so a hook can tell whether its exit began after
 * the event was stopped (hooks.c, check_block).
 */
#include <stdio.h>
#include <stdlib.h>

#include "stress_concurrent.h"

/* Every block ever handed to the engine; freed after the join. */
struct block **g_blocks;
size_t g_block_count, g_block_capacity;

static struct block *new_block(struct writer *w, uint64_t tag)
{
    struct block *b = calloc(1, sizeof(*b));
    if (!b)
        abort();
    b->magic = MAGIC;
    b->tag = tag;
    if (g_block_count == g_block_capacity) {
        g_block_capacity = g_block_capacity ? g_block_capacity * 2 : 1024;
        g_blocks = realloc(g_blocks, g_block_capacity * sizeof(*g_blocks));
        if (!g_blocks)
            abort();
    }
    g_blocks[g_block_count++] = b;
    (void)w;
    return b;
}

static void set_state(struct block *b, uint64_t op, enum block_state st)
{
    __atomic_store_n(&b->state, op << 2 | st, __ATOMIC_RELEASE);
}

/* The op just made is complete: publish its number (after any state update it implies). */
static void op_done(struct writer *w)
{
    w->ops++;
    __atomic_store_n(&g_op, w->ops, __ATOMIC_RELEASE);
}

static bool do_register(struct writer *w)
{
    uint64_t r = xorshift(&w->rng), tag = 0;
    uint64_t op = w->ops + 1;
    struct churned *c = &w->ev[w->count];
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    uint32_t n = 0;
    enum hd_status st;

    hd_event_desc_init(&d);
    d.core = (r & 7) < 4 ? (uint32_t)(r & 3) : HD_ALL;
    d.pid = (r >> 3 & 7) < 4 ? PIDS[r >> 6 & 3] : HD_ALL;
    d.stage = (enum hd_stage)(1 + (r >> 8) % 3);
    d.short_circuit = d.stage == HD_STAGE_PRE && (r >> 10 & 7) == 0;
    d.enabled = (r >> 13 & 7) != 0;
    d.command = (r >> 16 & 1) ? "!vmcall stress" : NULL;
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = churn_condition;

    c->block = new_block(w, w->next_tag);
    d.condition.user = c->block;
    hd_action_desc_init(&a[n], HD_ACTION_NATIVE);
    a[n].fn = churn_action;
    a[n].user = c->block;
    n++;
    hd_action_desc_init(&a[n], HD_ACTION_CODE);
    if (r >> 17 & 1) {
        a[n].code = RAW_BUFFERED;
        a[n].code_size = sizeof(RAW_BUFFERED);
        a[n].buffer_size = 8u << (r >> 18 & 3);
        c->block->buffered_code = true;
    } else {
        a[n].code = RAW_NULL;
        a[n].code_size = sizeof(RAW_NULL);
    }
    n++;
    if ((r >> 20 & 15) == 0) {
        hd_action_desc_init(&a[n], HD_ACTION_BREAK);
        c->block->has_break = true;
        n++;
    }
    d.actions = a;
    d.action_count = n;

    /* Enabled: say so before the event can run; disabled: it must never run until enabled. */
    set_state(c->block, op, d.enabled ? ST_ENABLED : ST_DISABLED);
    st = hd_event_register(g_engine, &d, &tag);
    WCHECK(st == HD_OK, "register: %s", hd_status_name(st));
    WCHECK(tag == w->next_tag, "register: tag %#llx, expected %#llx (S19)",
           (unsigned long long)tag, (unsigned long long)w->next_tag);
    w->next_tag++;
    c->tag = tag;
    c->enabled = d.enabled;
    c->actions = n;
    c->stage = d.stage;
    c->core = d.core;
    c->pid = d.pid;
    c->sc = d.short_circuit;
    w->count++;
    w->registers++;
    op_done(w);
    return true;
}

/* A registration that must be refused: no tag used, nothing changed. */
static bool do_reject(struct writer *w)
{
    struct hd_event_desc d;
    uint64_t tag = 0;
    enum hd_status st;
    hd_event_desc_init(&d);
    d.stage = HD_STAGE_POST;
    d.short_circuit = true; /* S13 */
    st = hd_event_register(g_engine, &d, &tag);
    WCHECK(st == HD_ERR_SC_WITH_POST, "sc with post: %s", hd_status_name(st));
    w->rejects++;
    op_done(w);
    return true;
}

static bool do_set(struct writer *w, uint32_t i, bool enable)
{
    struct churned *c = &w->ev[i];
    uint64_t op = w->ops + 1;
    enum hd_status st;
    if (enable) {
        set_state(c->block, op, ST_ENABLED);
        st = hd_event_enable(g_engine, c->tag);
        w->enables++;
    } else {
        st = hd_event_disable(g_engine, c->tag);
        if (st == HD_OK)
            set_state(c->block, op, ST_DISABLED);
        w->disables++;
    }
    WCHECK(st == HD_OK, "%s %#llx: %s", enable ? "enable" : "disable",
           (unsigned long long)c->tag, hd_status_name(st));
    c->enabled = enable;
    op_done(w);
    return true;
}

static bool do_clear(struct writer *w, uint32_t i)
{
    struct churned *c = &w->ev[i];
    struct hd_event_info info;
    enum hd_status st = hd_event_clear(g_engine, c->tag);
    WCHECK(st == HD_OK, "clear %#llx: %s", (unsigned long long)c->tag, hd_status_name(st));
    set_state(c->block, w->ops + 1, ST_CLEARED);
    st = hd_event_query(g_engine, c->tag, &info);
    WCHECK(st == HD_ERR_NO_SUCH_EVENT, "query after clear: %s", hd_status_name(st));
    w->ev[i] = w->ev[--w->count]; /* order in the model does not matter */
    w->clears++;
    op_done(w);
    return true;
}

static bool do_add(struct writer *w, uint32_t i)
{
    struct churned *c = &w->ev[i];
    struct hd_action_desc a;
    enum hd_status st;
    if (xorshift(&w->rng) & 1) {
        hd_action_desc_init(&a, HD_ACTION_NATIVE);
        a.fn = added_action;
        a.user = c->block;
        c->block->native_adds++;
    } else {
        hd_action_desc_init(&a, HD_ACTION_CODE);
        a.code = RAW_NULL;
        a.code_size = sizeof(RAW_NULL);
    }
    st = hd_action_add(g_engine, c->tag, &a);
    WCHECK(st == HD_OK, "add action to %#llx: %s", (unsigned long long)c->tag,
           hd_status_name(st));
    c->actions++;
    w->adds++;
    op_done(w);
    return true;
}

static bool do_enable_all(struct writer *w)
{
    uint64_t op = w->ops + 1;
    enum hd_status st;
    for (uint32_t i = 0; i < w->count; i++)
        set_state(w->ev[i].block, op, ST_ENABLED);
    st = hd_event_enable(g_engine, HD_TAG_ALL);
    WCHECK(st == HD_OK, "enable all: %s", hd_status_name(st));
    for (uint32_t i = 0; i < w->count; i++)
        w->ev[i].enabled = true;
    w->enable_alls++;
    op_done(w);
    return true;
}

static bool writer_step(struct writer *w)
{
    uint64_t r = xorshift(&w->rng);
    uint32_t pick = (uint32_t)(r >> 32);
    uint32_t kind = (uint32_t)(r % 1000);

    /* Keep the registry bounded and never empty for long. */
    if (w->count < 4 || (kind < 300 && w->count < MAX_EVENTS - 1))
        return do_register(w);
    if (w->count >= MAX_EVENTS - 1 && kind < 300)
        kind = 300 + kind % 400; /* full: clear instead */
    if (kind < 540)
        return do_clear(w, pick % w->count);
    if (kind < 680)
        return do_set(w, pick % w->count, true);
    if (kind < 840)
        return do_set(w, pick % w->count, false);
    if (kind < 920) {
        uint32_t i = pick % w->count;
        return w->ev[i].actions < MAX_ACTIONS ? do_add(w, i) : do_clear(w, i);
    }
    if (kind < 935)
        return do_enable_all(w);
    if (kind < 940) {
        /* "Clear all" of the churned events. HD_TAG_ALL would also clear (and disable-all
         * would also disable) the permanent event, which the counters need intact. */
        w->clear_alls++;
        while (w->count)
            if (!do_clear(w, w->count - 1))
                return false;
        return true;
    }
    if (kind < 950)
        return do_reject(w);
    if (kind < 970) {
        read_messages(w, 64);
        return true;
    }
    if (kind < 980)
        return read_counters(w, pick);
    if (kind < 990) {
        hd_engine_reclaim(g_engine);
        return true;
    }
    return walk_registry(w);
}

void *writer_thread(void *arg)
{
    struct writer *w = arg;
    while (w->ops < w->ops_target)
        if (!writer_step(w))
            return (void *)1;
    return walk_registry(w) ? NULL : (void *)1;
}
