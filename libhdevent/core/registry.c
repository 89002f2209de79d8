/*
 * The registry: writer functions. Each one checks everything before it allocates, allocates
 * everything before it changes anything, and publishes at most one new snapshot; a failure at
 * any step leaves the registry exactly as it was (no tag used up, nothing lost, nothing leaked).
 */
#include "internal/engine.h"

/* ---- raw code ------------------------------------------------------------------------- */

static bool needs_ret(const uint8_t *code, uint32_t size)
{
    return code[size - 1] != 0xC3;
}

static enum hd_status code_check(const struct hd_engine *e, const uint8_t *code, uint32_t size,
                                 enum hd_status empty)
{
    if (!code || size == 0)
        return empty;
    if (!e->ops.exec_alloc)
        return HD_ERR_NOT_SUPPORTED;
    if ((uint64_t)size + needs_ret(code, size) > HD_CODE_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    return HD_OK;
}

/* Copy code into executable memory, with a RET appended when it does not end in one. */
static enum hd_status code_load(struct hd_engine *e, const uint8_t *code, uint32_t size,
                                struct hd_code *out)
{
    const uint8_t *src = code;
    uint8_t *tmp = NULL;
    uint32_t total = size;
    bool ok;

    if (needs_ret(code, size)) {
        total = size + 1;
        tmp = hd_alloc(e, total);
        if (!tmp)
            return HD_ERR_NO_MEMORY;
        hd_memcpy(tmp, code, size);
        tmp[size] = 0xC3;
        src = tmp;
    }
    ok = e->ops.exec_alloc(e->ops.user, src, total, &out->exec);
    hd_free(e, tmp);
    if (!ok)
        return HD_ERR_NO_MEMORY;
    out->size = total;
    return HD_OK;
}

static void code_unload(struct hd_engine *e, struct hd_code *code)
{
    if (code->exec)
        e->ops.exec_free(e->ops.user, code->exec, code->size);
}

/* ---- actions -------------------------------------------------------------------------- */

static enum hd_status action_check(const struct hd_engine *e, const struct hd_action_desc *a)
{
    if (a->buffer_size > HD_BUFFER_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    switch (a->type) {
    case HD_ACTION_BREAK:
        return HD_OK;
    case HD_ACTION_SCRIPT:
        return HD_ERR_SCRIPT_NOT_SUPPORTED;
    case HD_ACTION_CODE:
        return code_check(e, a->code, a->code_size, HD_ERR_EMPTY_CODE);
    case HD_ACTION_NATIVE:
        return a->fn ? HD_OK : HD_ERR_EMPTY_CODE;
    }
    return HD_ERR_INVALID_ACTION_TYPE;
}

static void action_free(struct hd_engine *e, struct hd_action *a)
{
    code_unload(e, &a->code);
    hd_free(e, a->buffers);
    hd_free(e, a);
}

static enum hd_status action_create(struct hd_engine *e, const struct hd_action_desc *d,
                                    struct hd_action **out)
{
    struct hd_action *a = hd_zalloc(e, sizeof(*a));
    if (!a)
        return HD_ERR_NO_MEMORY;
    a->type = d->type;
    a->immediate = d->immediate;
    a->fn = d->fn;
    a->user = d->user;
    if (d->buffer_size && (d->type == HD_ACTION_CODE || d->type == HD_ACTION_NATIVE)) {
        /* One zeroed buffer per core: cores never race on it (HyperDbg shares one). */
        a->buffer_size = d->buffer_size;
        a->buffer_stride = hd_align_up(d->buffer_size, HD_CACHELINE); /* no shared lines */
        a->buffers = hd_zalloc(e, (size_t)a->buffer_stride * e->core_count);
        if (!a->buffers) {
            action_free(e, a);
            return HD_ERR_NO_MEMORY;
        }
    }
    if (d->type == HD_ACTION_CODE) {
        enum hd_status st = code_load(e, d->code, d->code_size, &a->code);
        if (HD_FAILED(st)) {
            action_free(e, a);
            return st;
        }
    }
    *out = a;
    return HD_OK;
}

/*
 * Growing an array of pointers without touching the old one: the caller installs the copy,
 * and on a later failure puts the old array back, so a failed writer call leaves every
 * allocation as it found it.
 */
HD_STATIC_ASSERT(sizeof(struct hd_event *) == sizeof(void *) &&
                     sizeof(struct hd_action *) == sizeof(void *),
                 "grow_prepare copies arrays of object pointers as void *");

struct hd_growth {
    void *old;              /* the array before; freed on commit */
    void *grown;            /* the larger copy, or NULL when there was room */
    uint32_t old_capacity;
};

static enum hd_status grow_prepare(struct hd_engine *e, const void *items, uint32_t count,
                                   uint32_t capacity, uint32_t need, struct hd_growth *g,
                                   uint32_t *new_capacity)
{
    uint32_t cap = capacity ? capacity : 4;
    g->old = (void *)(uintptr_t)items;
    g->old_capacity = capacity;
    g->grown = NULL;
    *new_capacity = capacity;
    if (need <= capacity)
        return HD_OK;
    while (cap < need)
        cap *= 2;
    g->grown = hd_alloc(e, (size_t)cap * sizeof(void *));
    if (!g->grown)
        return HD_ERR_NO_MEMORY;
    if (count)
        hd_memcpy(g->grown, items, (size_t)count * sizeof(void *));
    *new_capacity = cap;
    return HD_OK;
}

/* The writer call succeeded: the old array goes. */
static void grow_commit(struct hd_engine *e, struct hd_growth *g)
{
    if (g->grown)
        hd_free(e, g->old);
}

/* The writer call failed: the copy goes (the caller restores the old array and capacity). */
static void grow_rollback(struct hd_engine *e, struct hd_growth *g)
{
    hd_free(e, g->grown);
}

/* ---- events --------------------------------------------------------------------------- */

static enum hd_status event_check(const struct hd_engine *e, const struct hd_event_desc *d)
{
    const struct hd_condition_desc *c = &d->condition;

    if (d->stage < HD_STAGE_PRE || d->stage > HD_STAGE_ALL)
        return HD_ERR_INVALID_STAGE;
    if (d->short_circuit && d->stage != HD_STAGE_PRE)
        return HD_ERR_SC_WITH_POST; /* S13 */
    if (d->core != HD_ALL && d->core >= e->core_count)
        return HD_ERR_INVALID_CORE;
    switch (c->kind) {
    case HD_CONDITION_NONE:
        break;
    case HD_CONDITION_RAW:
        HD_CHECK(code_check(e, c->code, c->code_size, HD_ERR_INVALID_CONDITION));
        break;
    case HD_CONDITION_NATIVE:
        if (!c->fn)
            return HD_ERR_INVALID_CONDITION;
        break;
    default:
        return HD_ERR_INVALID_CONDITION;
    }
    if (d->action_count > HD_EVENT_MAX_ACTIONS)
        return HD_ERR_TOO_MANY_ACTIONS;
    if (d->action_count && !d->actions)
        return HD_ERR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < d->action_count; i++)
        HD_CHECK(action_check(e, &d->actions[i]));
    return HD_OK;
}

void hd_event_free(struct hd_engine *e, struct hd_event *ev)
{
    for (uint32_t i = 0; i < ev->action_count; i++)
        action_free(e, ev->actions[i]);
    hd_free(e, ev->actions);
    code_unload(e, &ev->condition_code);
    hd_free(e, ev->command);
    hd_free(e, ev->counters_raw);
    hd_free(e, ev);
}

static size_t text_length(const char *s, size_t max)
{
    size_t n = 0;
    while (s && n < max && s[n])
        n++;
    return n;
}

static enum hd_status event_create(struct hd_engine *e, const struct hd_event_desc *d,
                                   uint64_t tag, struct hd_event **out)
{
    size_t command_len = text_length(d->command, HD_COMMAND_MAX_BYTES);
    enum hd_status st = HD_ERR_NO_MEMORY;
    struct hd_event *ev = hd_zalloc(e, sizeof(*ev));

    if (!ev)
        return HD_ERR_NO_MEMORY;
    ev->tag = tag;
    ev->pid = d->pid;
    ev->core = d->core;
    ev->stage = d->stage;
    ev->short_circuit = d->short_circuit;
    ev->enabled = d->enabled;
    ev->condition = d->condition.kind;
    ev->condition_fn = d->condition.fn;
    ev->condition_user = d->condition.user;

    ev->counters_raw = hd_zalloc(e, (size_t)e->core_count * sizeof(struct hd_counter_line) +
                                        HD_CACHELINE);
    ev->command = hd_alloc(e, command_len + 1);
    if (!ev->counters_raw || !ev->command)
        goto fail;
    ev->counters = (struct hd_counter_line *)hd_align_up((uintptr_t)ev->counters_raw,
                                                         HD_CACHELINE);
    if (command_len)
        hd_memcpy(ev->command, d->command, command_len);
    ev->command[command_len] = '\0';

    if (ev->condition == HD_CONDITION_RAW) {
        st = code_load(e, d->condition.code, d->condition.code_size, &ev->condition_code);
        if (HD_FAILED(st))
            goto fail;
    }
    if (d->action_count) {
        ev->actions = hd_alloc(e, (size_t)d->action_count * sizeof(*ev->actions));
        st = ev->actions ? HD_OK : HD_ERR_NO_MEMORY;
        if (HD_FAILED(st))
            goto fail;
        ev->action_capacity = d->action_count;
    }
    for (uint32_t i = 0; i < d->action_count; i++) {
        st = action_create(e, &d->actions[i], &ev->actions[i]);
        if (HD_FAILED(st))
            goto fail;
        ev->action_count++;
    }
    *out = ev;
    return HD_OK;

fail:
    hd_event_free(e, ev);
    return st;
}

/* Position of the first event whose tag is >= @tag (tags ascend in the registry). */
static uint32_t lower_bound(const struct hd_registry *reg, uint64_t tag)
{
    uint32_t lo = 0, hi = reg->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (reg->events[mid]->tag < tag)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of @tag in the registry, or -1. */
static int64_t event_index(const struct hd_registry *reg, uint64_t tag)
{
    uint32_t i = lower_bound(reg, tag);
    return i < reg->count && reg->events[i]->tag == tag ? (int64_t)i : -1;
}

/* Build a snapshot of @mode and publish it; @free_events ride on the retired one. */
static enum hd_status republish(struct hd_engine *e, enum hd_build_mode mode,
                                struct hd_event *free_events)
{
    struct hd_snapshot *next;
    HD_CHECK(hd_snapshot_build(e, mode, &next));
    hd_snapshot_publish(e, next, free_events);
    return HD_OK;
}

/* ---- public writer functions ---------------------------------------------------------- */

enum hd_status hd_event_register(struct hd_engine *engine, const struct hd_event_desc *desc,
                                 uint64_t *tag_out)
{
    struct hd_engine *e = engine;
    struct hd_registry *reg;
    struct hd_growth growth;
    struct hd_event *ev = NULL;
    uint32_t capacity;
    uint64_t tag;
    enum hd_status st;

    if (!e || !desc)
        return HD_ERR_INVALID_ARGUMENT;
    reg = &e->registry;
    hd_writer_lock(e);
    tag = desc->tag ? desc->tag : reg->next_tag;
    st = event_check(e, desc);
    if (HD_SUCCESS(st) && (tag < HD_TAG_BASE || (desc->tag && tag == HD_TAG_ALL)))
        st = HD_ERR_INVALID_TAG;
    else if (HD_SUCCESS(st) && tag < reg->next_tag)
        st = HD_ERR_TAG_IN_USE; /* S19: never reused, always ascending */
    else if (HD_SUCCESS(st) && tag == HD_TAG_ALL)
        st = HD_ERR_TAGS_EXHAUSTED;
    if (HD_FAILED(st))
        goto out;
    st = grow_prepare(e, reg->events, reg->count, reg->capacity, reg->count + 1, &growth,
                      &capacity);
    if (HD_SUCCESS(st))
        st = event_create(e, desc, tag, &ev);
    if (HD_FAILED(st)) {
        grow_rollback(e, &growth);
        goto out;
    }
    if (growth.grown)
        reg->events = growth.grown;
    reg->capacity = capacity;
    reg->events[reg->count++] = ev;
    if (ev->enabled)
        st = republish(e, HD_BUILD_ENABLED, NULL);
    if (HD_FAILED(st)) {
        reg->count--;
        reg->events = growth.old;
        reg->capacity = growth.old_capacity;
        grow_rollback(e, &growth);
        hd_event_free(e, ev);
        goto out;
    }
    grow_commit(e, &growth);
    if (tag_out)
        *tag_out = tag;
    reg->next_tag = tag + 1;
out:
    if (HD_FAILED(st))
        hd_log_refusal(e, "event registration refused", 0, st);
    hd_writer_unlock(e);
    return st;
}

enum hd_status hd_action_add(struct hd_engine *engine, uint64_t tag,
                             const struct hd_action_desc *action)
{
    struct hd_engine *e = engine;
    struct hd_growth growth;
    struct hd_event *ev;
    struct hd_action *a = NULL;
    uint32_t capacity;
    enum hd_status st;
    int64_t i;

    if (!e || !action)
        return HD_ERR_INVALID_ARGUMENT;
    hd_writer_lock(e);
    i = event_index(&e->registry, tag);
    st = i < 0 ? HD_ERR_NO_SUCH_EVENT : action_check(e, action);
    if (HD_FAILED(st))
        goto out;
    ev = e->registry.events[i];
    if (ev->action_count >= HD_EVENT_MAX_ACTIONS) {
        st = HD_ERR_TOO_MANY_ACTIONS;
        goto out;
    }
    st = grow_prepare(e, ev->actions, ev->action_count, ev->action_capacity,
                      ev->action_count + 1, &growth, &capacity);
    if (HD_SUCCESS(st))
        st = action_create(e, action, &a);
    if (HD_FAILED(st)) {
        grow_rollback(e, &growth);
        goto out;
    }
    if (growth.grown)
        ev->actions = growth.grown;
    ev->action_capacity = capacity;
    ev->actions[ev->action_count++] = a;
    if (ev->enabled)
        st = republish(e, HD_BUILD_ENABLED, NULL);
    if (HD_FAILED(st)) {
        ev->action_count--;
        ev->actions = growth.old;
        ev->action_capacity = growth.old_capacity;
        grow_rollback(e, &growth);
        action_free(e, a);
        goto out;
    }
    grow_commit(e, &growth);
out:
    if (HD_FAILED(st))
        hd_log_refusal(e, "action refused for event", tag, st);
    hd_writer_unlock(e);
    return st;
}

static enum hd_status set_enabled(struct hd_engine *e, uint64_t tag, bool enabled)
{
    struct hd_registry *reg;
    enum hd_status st = HD_OK;

    if (!e)
        return HD_ERR_INVALID_ARGUMENT;
    reg = &e->registry;
    hd_writer_lock(e);
    if (tag == HD_TAG_ALL) {
        st = republish(e, enabled ? HD_BUILD_ALL : HD_BUILD_NONE, NULL);
        for (uint32_t i = 0; HD_SUCCESS(st) && i < reg->count; i++)
            reg->events[i]->enabled = enabled;
    } else {
        int64_t i = event_index(reg, tag);
        if (i < 0) {
            st = HD_ERR_NO_SUCH_EVENT;
        } else if (reg->events[i]->enabled != enabled) {
            reg->events[i]->enabled = enabled;
            st = republish(e, HD_BUILD_ENABLED, NULL);
            if (HD_FAILED(st))
                reg->events[i]->enabled = !enabled;
        }
    }
    if (HD_FAILED(st))
        hd_log_refusal(e, enabled ? "enable refused for event" : "disable refused for event",
                       tag, st);
    hd_writer_unlock(e);
    return st;
}

enum hd_status hd_event_enable(struct hd_engine *engine, uint64_t tag)
{
    return set_enabled(engine, tag, true);
}

enum hd_status hd_event_disable(struct hd_engine *engine, uint64_t tag)
{
    return set_enabled(engine, tag, false);
}

/*
 * A cleared event that no published snapshot holds may still be held by a retired one: it
 * rides on the newest retired snapshot (freed after all older ones), or goes at once if none.
 */
static void free_unpublished(struct hd_engine *e, struct hd_event *ev)
{
    if (!e->retired_tail) {
        hd_event_free(e, ev);
        return;
    }
    ev->free_next = e->retired_tail->free_events;
    e->retired_tail->free_events = ev;
}

enum hd_status hd_event_clear(struct hd_engine *engine, uint64_t tag)
{
    struct hd_engine *e = engine;
    struct hd_registry *reg;
    enum hd_status st = HD_OK;

    if (!e)
        return HD_ERR_INVALID_ARGUMENT;
    reg = &e->registry;
    hd_writer_lock(e);
    if (tag == HD_TAG_ALL) {
        struct hd_event *list = NULL;
        if (reg->count) {
            for (uint32_t i = 0; i < reg->count; i++) {
                reg->events[i]->free_next = list;
                list = reg->events[i];
            }
            st = republish(e, HD_BUILD_NONE, list);
            if (HD_SUCCESS(st))
                reg->count = 0;
        }
    } else {
        int64_t i = event_index(reg, tag);
        struct hd_event *ev;
        if (i < 0) {
            st = HD_ERR_NO_SUCH_EVENT;
            goto out;
        }
        ev = reg->events[i];
        if (ev->enabled) {
            ev->enabled = false;
            st = republish(e, HD_BUILD_ENABLED, NULL);
            if (HD_FAILED(st)) {
                ev->enabled = true;
                goto out;
            }
        }
        reg->count--;
        for (uint32_t k = (uint32_t)i; k < reg->count; k++)
            reg->events[k] = reg->events[k + 1];
        free_unpublished(e, ev);
    }
out:
    if (HD_FAILED(st))
        hd_log_refusal(e, "clear refused for event", tag, st);
    hd_writer_unlock(e);
    return st;
}

/* ---- queries -------------------------------------------------------------------------- */

static void describe(const struct hd_event *ev, struct hd_event_info *info)
{
    info->tag = ev->tag;
    info->pid = ev->pid;
    info->core = ev->core;
    info->stage = ev->stage;
    info->short_circuit = ev->short_circuit;
    info->enabled = ev->enabled;
    info->condition = ev->condition;
    info->action_count = ev->action_count;
    info->command = ev->command;
}

enum hd_status hd_event_query(struct hd_engine *engine, uint64_t tag,
                              struct hd_event_info *info)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;
    if (!engine || !info)
        return HD_ERR_INVALID_ARGUMENT;
    hd_writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        describe(engine->registry.events[i], info);
        st = HD_OK;
    }
    hd_writer_unlock(engine);
    return st;
}

enum hd_status hd_event_next(struct hd_engine *engine, uint64_t after_tag,
                             struct hd_event_info *info)
{
    const struct hd_registry *reg;
    enum hd_status st = HD_EMPTY;
    uint32_t i;
    if (!engine || !info)
        return HD_ERR_INVALID_ARGUMENT;
    if (after_tag == HD_TAG_ALL)
        return HD_EMPTY;
    reg = &engine->registry;
    hd_writer_lock(engine);
    i = lower_bound(reg, after_tag + 1);
    if (i < reg->count) {
        describe(reg->events[i], info);
        st = HD_OK;
    }
    hd_writer_unlock(engine);
    return st;
}

enum hd_status hd_event_counters(struct hd_engine *engine, uint64_t tag, uint32_t core,
                                 struct hd_event_counters *out)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;
    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    if (core != HD_ALL && core >= engine->core_count)
        return HD_ERR_INVALID_CORE;
    hd_writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        const struct hd_event *ev = engine->registry.events[i];
        out->hits = 0;
        out->condition_false = 0;
        for (uint32_t c = 0; c < engine->core_count; c++) {
            if (core != HD_ALL && c != core)
                continue;
            out->hits += hd_load_relaxed(&ev->counters[c].hits);
            out->condition_false += hd_load_relaxed(&ev->counters[c].condition_false);
        }
        st = HD_OK;
    }
    hd_writer_unlock(engine);
    return st;
}
