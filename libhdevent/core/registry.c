/* SPDX-License-Identifier: MIT */
/*
 * The registry: tags, the writer functions of engine.h, and the queries. Each writer checks
 * everything before it allocates, allocates everything before it changes anything, and
 * publishes at most one new snapshot; a failure at any step leaves the registry exactly as it
 * was (no tag used up, nothing lost, nothing leaked). The objects themselves are event.c's,
 * the snapshots snapshot.c's.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"

/* ---- lookup and publication ------------------------------------------------------------ */

/* Position of the first event whose tag is >= @tag (tags ascend in the registry). */
static uint32_t lower_bound(const struct hd_registry *reg, uint64_t tag)
{
    uint32_t lo = 0, hi = reg->events.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hd__registry_event(reg, mid)->tag < tag)
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
    return i < reg->events.count && hd__registry_event(reg, i)->tag == tag ? (int64_t)i : -1;
}

/*
 * The one sequence of every writer that adds an object: append it to @list and, when @ev is
 * enabled, publish a snapshot with @ev's records changed by @change. On failure @list is as
 * it was and the caller still owns @item.
 */
static enum hd_status append_and_publish(struct hd_engine *e, struct hd_ptrs *list, void *item,
                                         const struct hd_event *ev, enum hd_index_change change)
{
    struct hd_ptrs before;
    enum hd_status st = hd__ptrs_append(e, list, item, &before);

    if (HD_SUCCESS(st) && ev->enabled)
        st = hd__snapshot_change(e, ev, change, NULL);
    if (HD_FAILED(st)) {
        hd__ptrs_undo(e, list, &before);
        return st;
    }
    hd__ptrs_commit(e, list, &before);
    return HD_OK;
}

/* ---- tags ------------------------------------------------------------------------------- */

/*
 * S19: the tag a registration gets, checked: given ones must be valid, above every tag given
 * out, and at most HD_TAG_SKIP_MAX above the next free one, so that no single request can use
 * up the 32-bit numbering; it lasts 4 billion registrations.
 */
static enum hd_status tag_for(const struct hd_registry *reg, uint64_t given, uint64_t *tag)
{
    *tag = given ? given : reg->next_tag;
    if (*tag < HD_TAG_BASE || (given && given > HD_TAG_MAX))
        return HD_ERR_INVALID_TAG;
    if (*tag < reg->next_tag)
        return HD_ERR_TAG_IN_USE; /* never reused, always ascending */
    if (*tag > HD_TAG_MAX)
        return HD_ERR_TAGS_EXHAUSTED;
    if (given && given - reg->next_tag > HD_TAG_SKIP_MAX)
        return HD_ERR_INVALID_TAG;
    return HD_OK;
}

/* ---- writers ---------------------------------------------------------------------------- */

enum hd_status hd_event_register(struct hd_engine *engine, const struct hd_event_desc *desc,
                                 uint64_t *tag_out)
{
    struct hd_engine *e = engine;
    struct hd_event *ev = NULL;
    uint64_t tag = 0;
    enum hd_status st;

    if (!e || !desc)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(e);
    st = hd__event_check(e, desc);
    if (HD_SUCCESS(st)) {
        struct hd_budget cost;
        hd__event_cost(e, desc, &cost);
        st = hd__budget_admit(e, &cost);
    }
    if (HD_SUCCESS(st))
        st = tag_for(&e->registry, desc->tag, &tag);
    if (HD_SUCCESS(st))
        st = hd__event_create(e, desc, tag, &ev);
    if (HD_SUCCESS(st)) {
        st = append_and_publish(e, &e->registry.events, ev, ev, HD_INDEX_ADD);
        if (HD_FAILED(st))
            hd__event_free(e, ev);
    }
    if (HD_SUCCESS(st)) {
        e->registry.next_tag = tag + 1;
        if (tag_out)
            *tag_out = tag;
    } else {
        hd__log_refusal(e, "event registration refused", 0, st);
    }
    hd__script_state_settle(e, HD_SUCCESS(st));
    hd__writer_unlock(e);
    return st;
}

enum hd_status hd_action_add(struct hd_engine *engine, uint64_t tag,
                             const struct hd_action_desc *action)
{
    struct hd_engine *e = engine;
    struct hd_event *ev = NULL;
    struct hd_action *a = NULL;
    enum hd_status st;
    int64_t i;

    if (!e || !action)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(e);
    i = event_index(&e->registry, tag);
    st = i < 0 ? HD_ERR_NO_SUCH_EVENT : hd__action_check(e, action);
    if (HD_SUCCESS(st)) {
        ev = hd__registry_event(&e->registry, (uint32_t)i);
        if (ev->actions.count >= HD_EVENT_MAX_ACTIONS)
            st = HD_ERR_TOO_MANY_ACTIONS;
    }
    if (HD_SUCCESS(st)) {
        struct hd_budget cost = {0, 0, 0, 0};
        hd__action_cost(e, action, &cost);
        st = hd__budget_admit(e, &cost);
    }
    if (HD_SUCCESS(st))
        st = hd__action_create(e, action, ev->script_steps, &a);
    if (HD_SUCCESS(st)) {
        st = append_and_publish(e, &ev->actions, a, ev, HD_INDEX_REPLACE);
        if (HD_FAILED(st))
            hd__action_free(e, a);
    }
    if (HD_FAILED(st))
        hd__log_refusal(e, "action refused for event", tag, st);
    hd__script_state_settle(e, HD_SUCCESS(st));
    hd__writer_unlock(e);
    return st;
}

static enum hd_status set_enabled(struct hd_engine *e, uint64_t tag, bool enabled)
{
    struct hd_registry *reg;
    enum hd_status st = HD_OK;

    if (!e)
        return HD_ERR_INVALID_ARGUMENT;
    reg = &e->registry;
    hd__writer_lock(e);
    if (tag == HD_TAG_ALL) {
        st = hd__snapshot_rebuild(e, enabled ? HD_BUILD_ALL : HD_BUILD_NONE, NULL);
        for (uint32_t i = 0; HD_SUCCESS(st) && i < reg->events.count; i++)
            hd__registry_event(reg, i)->enabled = enabled;
    } else {
        int64_t i = event_index(reg, tag);
        struct hd_event *ev = i < 0 ? NULL : hd__registry_event(reg, (uint32_t)i);
        if (!ev) {
            st = HD_ERR_NO_SUCH_EVENT;
        } else if (ev->enabled != enabled) {
            ev->enabled = enabled;
            st = hd__snapshot_change(e, ev, enabled ? HD_INDEX_ADD : HD_INDEX_REMOVE, NULL);
            if (HD_FAILED(st))
                ev->enabled = !enabled;
        }
    }
    if (HD_FAILED(st))
        hd__log_refusal(e, enabled ? "enable refused for event" : "disable refused for event",
                       tag, st);
    hd__writer_unlock(e);
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

static enum hd_status clear_all(struct hd_engine *e)
{
    struct hd_registry *reg = &e->registry;
    struct hd_event *list = NULL;

    if (!reg->events.count)
        return HD_OK;
    for (uint32_t i = 0; i < reg->events.count; i++) {
        struct hd_event *ev = hd__registry_event(reg, i);
        ev->free_next = list;
        list = ev;
    }
    HD_CHECK(hd__snapshot_rebuild(e, HD_BUILD_NONE, list));
    reg->events.count = 0;
    return HD_OK;
}

/*
 * An enabled event leaves the snapshot and rides on the retired nodes; a disabled one may
 * still be held by a retired snapshot, so it waits for the same grace period (S5).
 */
static enum hd_status clear_one(struct hd_engine *e, uint64_t tag)
{
    struct hd_registry *reg = &e->registry;
    int64_t i = event_index(reg, tag);
    struct hd_event *ev;

    if (i < 0)
        return HD_ERR_NO_SUCH_EVENT;
    ev = hd__registry_event(reg, (uint32_t)i);
    if (ev->enabled) {
        enum hd_status st;
        ev->enabled = false;
        st = hd__snapshot_change(e, ev, HD_INDEX_REMOVE, ev);
        if (HD_FAILED(st)) {
            ev->enabled = true;
            return st;
        }
    } else {
        hd__retire_unpublished_event(e, ev);
    }
    hd__ptrs_remove(&reg->events, (uint32_t)i);
    return HD_OK;
}

enum hd_status hd_event_clear(struct hd_engine *engine, uint64_t tag)
{
    enum hd_status st;

    if (!engine)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    st = tag == HD_TAG_ALL ? clear_all(engine) : clear_one(engine, tag);
    if (HD_FAILED(st))
        hd__log_refusal(engine, "clear refused for event", tag, st);
    hd__writer_unlock(engine);
    return st;
}

/* ---- queries -------------------------------------------------------------------------- */

static void describe(const struct hd_event *ev, uint32_t core_count,
                     struct hd_event_info *info)
{
    info->tag = ev->tag;
    info->pid = ev->pid;
    info->core = ev->core;
    info->stage = ev->stage;
    info->short_circuit = ev->short_circuit;
    info->enabled = ev->enabled;
    info->condition = ev->condition;
    info->action_count = ev->actions.count;
    info->command_length = ev->command_length;
    info->nr_filter = ev->nr_filter;
    info->nr_first = ev->nr_first;
    info->nr_last = ev->nr_last;
    info->deny = HD_DENY_NONE;
    info->deny_rax = info->max_hits = info->runs = 0;
    info->spent = false;
    if (ev->extra) {
        const struct hd_event_shared *sh = hd__event_shared(ev->counters, core_count);
        uint64_t runs = hd_load_relaxed(&sh->runs);
        info->deny = (enum hd_deny)sh->deny;
        info->deny_rax = sh->deny_rax;
        info->max_hits = sh->max_hits;
        info->runs = sh->max_hits && runs > sh->max_hits ? sh->max_hits : runs;
        info->spent = sh->max_hits && runs >= sh->max_hits;
    }
}

enum hd_status hd_event_command(struct hd_engine *engine, uint64_t tag, char *buf, size_t size,
                                size_t *length)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;

    if (!engine || (!buf && size))
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        const struct hd_event *ev = hd__registry_event(&engine->registry, (uint32_t)i);
        size_t n = size && ev->command_length >= size ? size - 1 : ev->command_length;
        if (size) {
            hd_memcpy(buf, ev->command, n);
            buf[n] = '\0';
        }
        if (length)
            *length = ev->command_length;
        st = HD_OK;
    }
    hd__writer_unlock(engine);
    return st;
}

enum hd_status hd_event_set_command(struct hd_engine *engine, uint64_t tag, const char *text,
                                    size_t length)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;

    if (!engine || (!text && length))
        return HD_ERR_INVALID_ARGUMENT;
    if (length > HD_COMMAND_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    for (size_t k = 0; k < length; k++)
        if (text[k] == '\0')
            return HD_ERR_INVALID_ARGUMENT; /* hd_event_command() hands back C strings */
    hd__writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0)
        st = hd__event_set_command(engine, hd__registry_event(&engine->registry, (uint32_t)i),
                                   text, length);
    if (HD_FAILED(st))
        hd__log_refusal(engine, "command text refused for event", tag, st);
    hd__writer_unlock(engine);
    return st;
}

enum hd_status hd_event_outputs(struct hd_engine *engine, uint64_t tag,
                                uint64_t outputs[HD_EVENT_MAX_OUTPUTS], uint32_t *count)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;

    if (!engine || !outputs || !count)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        const struct hd_event *ev = hd__registry_event(&engine->registry, (uint32_t)i);
        if (ev->output_count)
            hd_memcpy(outputs, hd__event_outputs(ev), 8u * ev->output_count);
        *count = ev->output_count;
        st = HD_OK;
    }
    hd__writer_unlock(engine);
    return st;
}

enum hd_status hd_event_query(struct hd_engine *engine, uint64_t tag,
                              struct hd_event_info *info)
{
    enum hd_status st = HD_ERR_NO_SUCH_EVENT;
    int64_t i;
    if (!engine || !info)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        describe(hd__registry_event(&engine->registry, (uint32_t)i), engine->core_count, info);
        st = HD_OK;
    }
    hd__writer_unlock(engine);
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
    hd__writer_lock(engine);
    i = lower_bound(reg, after_tag + 1);
    if (i < reg->events.count) {
        describe(hd__registry_event(reg, i), engine->core_count, info);
        st = HD_OK;
    }
    hd__writer_unlock(engine);
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
    hd__writer_lock(engine);
    i = event_index(&engine->registry, tag);
    if (i >= 0) {
        const struct hd_event *ev = hd__registry_event(&engine->registry, (uint32_t)i);
        out->hits = 0;
        out->condition_false = 0;
        for (uint32_t c = 0; c < engine->core_count; c++) {
            if (core != HD_ALL && c != core)
                continue;
            /* each evaluation bumps one of the two (struct hd_counters) */
            const struct hd_counters *k = hd__counters_at(ev->counters, c);
            uint64_t condition_false = hd_load_relaxed(&k->condition_false);
            out->condition_false += condition_false;
            out->hits += hd_load_relaxed(&k->held) + condition_false;
        }
        st = HD_OK;
    }
    hd__writer_unlock(engine);
    return st;
}

/* A rare path (a backend naming the code it stopped): every event is looked at. */
enum hd_status hd_event_code_owner(struct hd_engine *engine, const void *address,
                                   struct hd_code_owner *out)
{
    const struct hd_registry *reg;
    bool found = false;

    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    reg = &engine->registry;
    hd__writer_lock(engine);
    for (uint32_t i = 0; !found && i < reg->events.count; i++)
        found = hd__event_code_owner(hd__registry_event(reg, i), (uintptr_t)address, out);
    if (!found) /* cleared while the exit ran: its code lives until the exit lets go */
        found = hd__retired_code_owner(engine, (uintptr_t)address, out);
    hd__writer_unlock(engine);
    return found ? HD_OK : HD_ERR_NO_SUCH_EVENT;
}
