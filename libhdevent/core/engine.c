/* SPDX-License-Identifier: MIT */
/*
 * Engine lifetime: the backend ops copy, the per-core state and message rings, the first
 * (empty) snapshot, and tearing it all down.
 */
#include "internal/engine.h"


static uint32_t round_up_pow2(uint32_t v)
{
    uint32_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

/*
 * Copy what the backend gave, as far as it reaches: members past its `size` stay NULL, so a
 * backend compiled against an older header keeps working (SQLite's iVersion idea).
 */
static enum hd_status copy_ops(struct hd_backend_ops *dst, const struct hd_backend_ops *src)
{
    if (!src || src->version < 1 ||
        !hd_versioned_copy(dst, sizeof(*dst), src, HD_BACKEND_OPS_V1_SIZE))
        return HD_ERR_BAD_OPS;
    dst->size = sizeof(*dst);
    dst->version = HD_BACKEND_OPS_VERSION;
    if (!dst->alloc || !dst->free || !dst->core_count)
        return HD_ERR_BAD_OPS;
    if (!dst->exec_alloc != !dst->exec_free || !dst->lock != !dst->unlock)
        return HD_ERR_BAD_OPS;
    if (dst->nr_register > HD_NR_REGISTER(HD_GUEST_REG_COUNT - 1))
        return HD_ERR_BAD_OPS;
    return HD_OK;
}

/*
 * The key of the engine's snapshot hash (snapshot.h): odd, so that multiplying by it is a
 * bijection, and unknown to whoever registers events. From the backend when it has a source
 * of randomness, else from the TSC and the engine's address (ASLR), mixed by SplitMix64's
 * finalizer so that nearby inputs give unrelated keys.
 */
static uint64_t hash_mult_for(const struct hd_backend_ops *ops, const struct hd_engine *e)
{
    uint64_t x = ops->hash_seed ? ops->hash_seed(ops->user)
                                : __builtin_ia32_rdtsc() ^ (uint64_t)(uintptr_t)e;
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (x ^ (x >> 31)) | 1u;
}

/* The budget of @config; a zero member (or no config) takes the default. */
static void budget_from(const struct hd_engine_config *c, struct hd_budget *b)
{
    b->events = c && c->max_events ? c->max_events : HD_BUDGET_EVENTS_DEFAULT;
    b->actions = c && c->max_actions ? c->max_actions : HD_BUDGET_ACTIONS_DEFAULT;
    b->code_bytes = c && c->max_code_bytes ? c->max_code_bytes : HD_BUDGET_CODE_BYTES_DEFAULT;
    b->buffer_bytes = c && c->max_buffer_bytes ? c->max_buffer_bytes
                                                : HD_BUDGET_BUFFER_BYTES_DEFAULT;
}

enum hd_status hd_engine_create(const struct hd_backend_ops *ops,
                                const struct hd_engine_config *config, struct hd_engine **out)
{
    struct hd_backend_ops copy;
    struct hd_budget limit;
    struct hd_engine *e;
    void *raw;
    uint32_t cores, slots, max;
    size_t ring_bytes;
    enum hd_status st;

    if (!out)
        return HD_ERR_INVALID_ARGUMENT;
    *out = NULL;
    HD_CHECK(copy_ops(&copy, ops));

    cores = copy.core_count(copy.user);
    if (cores == 0 || cores > HD_CORES_MAX)
        return HD_ERR_BAD_OPS;
    slots = config && config->message_slots ? config->message_slots : HD_MESSAGE_SLOTS_DEFAULT;
    max = config && config->message_max_bytes ? config->message_max_bytes
                                              : HD_MESSAGE_BYTES_DEFAULT;
    if (slots > HD_MESSAGE_SLOTS_MAX || max > HD_MESSAGE_BYTES_MAX ||
        (config && config->script_globals > HD_SCRIPT_GLOBALS_LIMIT) ||
        (config && config->record_slots > HD_RECORD_SLOTS_MAX))
        return HD_ERR_INVALID_ARGUMENT;
    budget_from(config, &limit);
    if (limit.events > HD_BUDGET_EVENTS_MAX)
        return HD_ERR_INVALID_ARGUMENT; /* 2^30 keys would overflow the shard geometry */

    /* Placed at a line boundary: dispatch reads exactly the engine's first line. */
    raw = copy.alloc(copy.user, sizeof(*e) + HD_CACHELINE);
    if (!raw)
        return HD_ERR_NO_MEMORY;
    e = (struct hd_engine *)hd_align_up((uintptr_t)raw, HD_CACHELINE);
    hd_memset(e, 0, sizeof(*e));
    e->raw = raw;
    e->ops = copy;
    e->user = copy.user;
    e->is_own_hypercall = copy.is_own_hypercall;
    e->on_break = copy.on_break;
    e->on_action = copy.on_action;
    e->hooked = copy.is_own_hypercall || copy.on_action;
    e->grace = copy.run_on_every_core    ? HD_GRACE_IPI
               : copy.barrier_every_core ? HD_GRACE_BARRIER
                                         : HD_GRACE_FENCE;
    e->hash_mult = hash_mult_for(&copy, e);
    e->nr_reg = copy.nr_register ? copy.nr_register - 1u : HD_GUEST_REG_RCX;
    e->core_count = cores;
    e->message_slots = round_up_pow2(slots);
    e->message_max = max;
    e->slot_bytes = (uint32_t)hd_align_up(sizeof(struct hd_msg_slot) + max, (size_t)8);
    e->registry.next_tag = HD_TAG_BASE;
    e->limit = limit;
    e->script_globals = config && config->script_globals ? config->script_globals
                                                         : HD_SCRIPT_GLOBALS_DEFAULT;

    st = HD_ERR_NO_MEMORY;
    e->cores_raw = hd__zalloc(e, (size_t)cores * sizeof(struct hd_core) + HD_CACHELINE);
    if (!e->cores_raw)
        goto fail;
    e->cores = (struct hd_core *)hd_align_up((uintptr_t)e->cores_raw, HD_CACHELINE);
    /* Whole cache lines per core: one core's producer writes never share a line with another's. */
    ring_bytes = hd_align_up((size_t)e->message_slots * e->slot_bytes, (size_t)HD_CACHELINE);
    e->rings = hd__alloc(e, ring_bytes * cores);
    if (!e->rings)
        goto fail;
    for (uint32_t c = 0; c < cores; c++)
        e->cores[c].ring = (uint8_t *)e->rings + ring_bytes * c;

    if (config && config->record_slots) { /* recording on from the start (recorder.h) */
        st = hd__record_alloc(e, config->record_slots);
        if (HD_FAILED(st))
            goto fail;
        e->recording = 1;
    }

    /* Dispatch never sees a NULL snapshot: an empty one stands for "no event enabled". */
    st = hd__snapshot_init(e);
    if (HD_FAILED(st))
        goto fail;
    *out = e;
    return HD_OK;

fail:
    hd__free(e, e->records_raw);
    hd__free(e, e->rings);
    hd__free(e, e->cores_raw);
    hd__free(e, e->raw);
    return st;
}

void hd_engine_destroy(struct hd_engine *engine)
{
    struct hd_engine *e = engine;
    if (!e)
        return;
    /* No core dispatches any more (the contract), so everything retired can go now. */
    hd__snapshot_destroy(e);
    for (uint32_t i = 0; i < e->registry.events.count; i++)
        hd__event_free(e, hd__registry_event(&e->registry, i));
    hd__free(e, e->registry.events.at);
    hd__script_state_free(e);
    hd__free(e, e->records_raw);
    hd__free(e, e->rings);
    hd__free(e, e->cores_raw);
    hd__free(e, e->raw);
}

uint32_t hd_engine_core_count(const struct hd_engine *engine)
{
    return engine ? engine->core_count : 0;
}

uint32_t hd_engine_reclaim(struct hd_engine *engine)
{
    uint32_t left;
    if (!engine)
        return 0;
    hd__writer_lock(engine);
    left = hd__snapshot_reclaim(engine, false);
    hd__writer_unlock(engine);
    return left;
}
