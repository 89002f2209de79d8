/*
 * Engine lifetime, the backend ops copy and the writer-side helpers every core file uses.
 */
#include "internal/engine.h"

#define HD_DEFAULT_MESSAGE_SLOTS 64u
#define HD_DEFAULT_MESSAGE_MAX 512u

void *hd_alloc(struct hd_engine *e, size_t size)
{
    return e->ops.alloc(e->ops.user, size);
}

void *hd_zalloc(struct hd_engine *e, size_t size)
{
    void *p = hd_alloc(e, size);
    if (p)
        hd_memset(p, 0, size);
    return p;
}

void hd_free(struct hd_engine *e, void *p)
{
    if (p)
        e->ops.free(e->ops.user, p);
}

const char *hd_format_hex(char out[19], uint64_t value, unsigned min_digits)
{
    size_t k = 2;
    out[0] = '0';
    out[1] = 'x';
    for (int shift = 60; shift >= 0; shift -= 4)
        if (value >> shift || (unsigned)shift < 4 * min_digits || shift == 0)
            out[k++] = "0123456789ABCDEF"[(value >> shift) & 0xFu];
    out[k] = '\0';
    return out;
}

/* Join @p parts (NULL-terminated) into one line for the backend's log, without libc. */
void hd_log_parts(struct hd_engine *e, enum hd_log_level level, const char *const *parts)
{
    char line[256];
    size_t n = 0;

    if (!e->ops.log)
        return;
    for (; *parts; parts++)
        for (const char *p = *parts; *p && n + 1 < sizeof(line); p++)
            line[n++] = *p;
    line[n] = '\0';
    e->ops.log(e->ops.user, level, line);
}

/* "<what> 0x<tag>: <status sentence>" (no tag for registration, which has none yet). */
void hd_log_refusal(struct hd_engine *e, const char *what, uint64_t tag, enum hd_status st)
{
    char hex[19];
    const char *parts[] = {what, tag ? " " : "", tag ? hd_format_hex(hex, tag, 1) : "", ": ",
                           hd_status_str(st), NULL};
    hd_log_parts(e, HD_LOG_WARN, parts);
}

void hd_writer_lock(struct hd_engine *e)
{
    if (e->ops.lock)
        e->ops.lock(e->ops.user);
}

void hd_writer_unlock(struct hd_engine *e)
{
    if (e->ops.unlock)
        e->ops.unlock(e->ops.user);
}

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
    if (!src || src->version < 1 || src->size < HD_BACKEND_OPS_V1_SIZE)
        return HD_ERR_BAD_OPS;
    hd_memset(dst, 0, sizeof(*dst));
    hd_memcpy(dst, src, src->size < sizeof(*dst) ? src->size : sizeof(*dst));
    dst->size = sizeof(*dst);
    dst->version = HD_BACKEND_OPS_VERSION;
    if (!dst->alloc || !dst->free || !dst->core_count)
        return HD_ERR_BAD_OPS;
    if (!dst->exec_alloc != !dst->exec_free || !dst->lock != !dst->unlock)
        return HD_ERR_BAD_OPS;
    return HD_OK;
}

enum hd_status hd_engine_create(const struct hd_backend_ops *ops,
                                const struct hd_engine_config *config, struct hd_engine **out)
{
    struct hd_backend_ops copy;
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
    slots = config && config->message_slots ? config->message_slots : HD_DEFAULT_MESSAGE_SLOTS;
    max = config && config->message_max_bytes ? config->message_max_bytes
                                              : HD_DEFAULT_MESSAGE_MAX;
    if (slots > HD_MESSAGE_SLOTS_MAX || max > HD_MESSAGE_BYTES_MAX)
        return HD_ERR_INVALID_ARGUMENT;

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
    e->ipi_grace = copy.run_on_every_core != NULL;
    e->core_count = cores;
    e->message_slots = round_up_pow2(slots);
    e->message_max = max;
    e->slot_bytes = (uint32_t)hd_align_up(sizeof(struct hd_msg_slot) + max, (size_t)8);
    e->registry.next_tag = HD_TAG_BASE;

    st = HD_ERR_NO_MEMORY;
    e->cores_raw = hd_zalloc(e, (size_t)cores * sizeof(struct hd_core) + HD_CACHELINE);
    if (!e->cores_raw)
        goto fail;
    e->cores = (struct hd_core *)hd_align_up((uintptr_t)e->cores_raw, HD_CACHELINE);
    /* Whole cache lines per core: one core's producer writes never share a line with another's. */
    ring_bytes = hd_align_up((size_t)e->message_slots * e->slot_bytes, (size_t)HD_CACHELINE);
    e->rings = hd_alloc(e, ring_bytes * cores);
    if (!e->rings)
        goto fail;
    for (uint32_t c = 0; c < cores; c++)
        e->cores[c].ring = (uint8_t *)e->rings + ring_bytes * c;

    /* Dispatch never sees a NULL snapshot: an empty one stands for "no event enabled". */
    {
        struct hd_snapshot *empty;
        st = hd_snapshot_build(e, HD_BUILD_NONE, &empty);
        if (HD_FAILED(st))
            goto fail;
        e->current = empty;
        e->current_word = empty->word;
    }
    *out = e;
    return HD_OK;

fail:
    hd_free(e, e->rings);
    hd_free(e, e->cores_raw);
    hd_free(e, e->raw);
    return st;
}

void hd_engine_destroy(struct hd_engine *engine)
{
    struct hd_engine *e = engine;
    if (!e)
        return;
    /* No core dispatches any more (the contract), so every retired snapshot can go now. */
    hd_snapshot_reclaim(e, true);
    for (uint32_t i = 0; i < e->registry.count; i++)
        hd_event_free(e, e->registry.events[i]);
    hd_free(e, e->registry.events);
    hd_snapshot_free(e, e->current);
    hd_free(e, e->rings);
    hd_free(e, e->cores_raw);
    hd_free(e, e->raw);
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
    hd_writer_lock(engine);
    left = hd_snapshot_reclaim(engine, false);
    hd_writer_unlock(engine);
    return left;
}
