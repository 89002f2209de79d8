/* SPDX-License-Identifier: MIT */
/*
 * Event and action objects (internal/event.h): the checks a descriptor passes before anything
 * is allocated, and the making and freeing of what registration keeps — executable copies of
 * raw code, loaded scripts, per-core counters and buffers, the command text.
 */
#include "internal/arch.h"
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
        tmp = hd__alloc(e, total);
        if (!tmp)
            return HD_ERR_NO_MEMORY;
        hd_memcpy(tmp, code, size);
        tmp[size] = 0xC3;
        src = tmp;
    }
    ok = e->ops.exec_alloc(e->ops.user, src, total, &out->exec);
    out->leaf = ok && hd__code_is_leaf(src, total); /* dispatch may skip the trampoline */
    hd__free(e, tmp);
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

static bool code_holds(const struct hd_code *code, uintptr_t address)
{
    return code->exec && address - (uintptr_t)code->exec < code->size;
}

bool hd__event_code_owner(const struct hd_event *ev, uintptr_t address,
                          struct hd_code_owner *out)
{
    const struct hd_code *found = NULL;
    int32_t action = -1;

    if (ev->condition == HD_CONDITION_RAW && code_holds(&ev->condition_code, address))
        found = &ev->condition_code;
    for (uint32_t i = 0; !found && i < ev->actions.count; i++) {
        const struct hd_action *a = hd__event_action(ev, i);
        if (a->type == HD_ACTION_CODE && code_holds(&a->code, address)) {
            found = &a->code;
            action = (int32_t)i;
        }
    }
    if (!found)
        return false;
    out->tag = ev->tag;
    out->action = action;
    out->offset = (uint32_t)(address - (uintptr_t)found->exec);
    out->size = found->size;
    return true;
}

/* ---- the budget ---------------------------------------------------------------------- */

static uint64_t code_cost(const uint8_t *code, uint32_t size)
{
    return code && size ? (uint64_t)size + needs_ret(code, size) : 0;
}

static uint64_t buffer_cost(const struct hd_engine *e, uint32_t size)
{
    return (uint64_t)hd_align_up(size, HD_CACHELINE) * e->core_count;
}

/* Actions that get a pre-allocated buffer per core. */
static bool buffered(enum hd_action_type type)
{
    return type == HD_ACTION_CODE || type == HD_ACTION_NATIVE || type == HD_ACTION_SCRIPT;
}

/* A checked script's bytes and its per-core slots (the header's slot count, verified). */
static void script_cost(const struct hd_engine *e, const struct hd_action_desc *d,
                        struct hd_budget *cost)
{
    const uint8_t *b = d->script;
    struct hd_script_info info = {.slot_count = (uint32_t)(b[HD_SCRIPT_H_SLOTS] |
                                                           b[HD_SCRIPT_H_SLOTS + 1] << 8)};
    cost->code_bytes += d->script_size;
    cost->buffer_bytes += hd__script_scratch_bytes(&info, e->core_count);
}

void hd__action_cost(const struct hd_engine *e, const struct hd_action_desc *d,
                     struct hd_budget *cost)
{
    cost->actions += 1;
    if (d->type == HD_ACTION_CODE)
        cost->code_bytes += code_cost(d->code, d->code_size);
    if (d->type == HD_ACTION_SCRIPT)
        script_cost(e, d, cost);
    if (buffered(d->type) && d->buffer_size)
        cost->buffer_bytes += buffer_cost(e, d->buffer_size);
}

void hd__event_cost(const struct hd_engine *e, const struct hd_event_desc *d,
                    struct hd_budget *cost)
{
    *cost = (struct hd_budget){.events = 1};
    if (d->condition.kind == HD_CONDITION_RAW)
        cost->code_bytes += code_cost(d->condition.code, d->condition.code_size);
    for (uint32_t i = 0; i < d->action_count; i++)
        hd__action_cost(e, &d->actions[i], cost);
}

static bool fits(const struct hd_budget *used, const struct hd_budget *cost,
                 const struct hd_budget *limit)
{
    return used->events + cost->events <= limit->events &&
           used->actions + cost->actions <= limit->actions &&
           used->code_bytes + cost->code_bytes <= limit->code_bytes &&
           used->buffer_bytes + cost->buffer_bytes <= limit->buffer_bytes;
}

enum hd_status hd__budget_admit(struct hd_engine *e, const struct hd_budget *cost)
{
    if (fits(&e->used, cost, &e->limit))
        return HD_OK;
    hd__snapshot_reclaim(e, false); /* cleared events still waiting may be free by now */
    return fits(&e->used, cost, &e->limit) ? HD_OK : HD_ERR_BUDGET_EXCEEDED;
}

/* Objects charge what they hold when made and give it back when freed. */
static void charge(struct hd_engine *e, uint64_t events, uint64_t actions, uint64_t code,
                   uint64_t buffers, bool give_back)
{
    uint64_t sign = give_back ? (uint64_t)-1 : 1; /* unsigned wrap: exact, never below 0 */
    e->used.events += sign * events;
    e->used.actions += sign * actions;
    e->used.code_bytes += sign * code;
    e->used.buffer_bytes += sign * buffers;
}

/* ---- actions -------------------------------------------------------------------------- */

enum hd_status hd__action_check(const struct hd_engine *e, const struct hd_action_desc *a)
{
    if (a->buffer_size > HD_BUFFER_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    switch (a->type) {
    case HD_ACTION_BREAK:
        return HD_OK;
    case HD_ACTION_SCRIPT:
        if (!a->script || !a->script_size)
            return HD_ERR_EMPTY_CODE;
        return hd_script_verify(a->script, a->script_size, NULL);
    case HD_ACTION_CODE:
        return code_check(e, a->code, a->code_size, HD_ERR_EMPTY_CODE);
    case HD_ACTION_NATIVE:
        return a->fn ? HD_OK : HD_ERR_EMPTY_CODE;
    }
    return HD_ERR_INVALID_ACTION_TYPE;
}

void hd__action_free(struct hd_engine *e, struct hd_action *a)
{
    charge(e, 0, 1, a->code.exec ? a->code.size : 0,
           a->buffers ? (uint64_t)a->buffer_stride * e->core_count : 0, true);
    if (a->script)
        charge(e, 0, 0, a->script->bytes, a->script->scratch_bytes, true);
    hd__script_free(e, a->script);
    code_unload(e, &a->code);
    hd__free(e, a->buffers);
    hd__free(e, a);
}

enum hd_status hd__action_create(struct hd_engine *e, const struct hd_action_desc *d,
                                 uint32_t script_steps, struct hd_action **out)
{
    struct hd_action *a = hd__zalloc(e, sizeof(*a));
    if (!a)
        return HD_ERR_NO_MEMORY;
    charge(e, 0, 1, 0, 0, false); /* the rest is charged as it is made: free gives back all */
    a->type = d->type;
    a->immediate = d->immediate;
    a->fn = d->fn;
    a->user = d->user;
    if (d->buffer_size && buffered(d->type)) {
        /* One zeroed buffer per core: cores never race on it (HyperDbg shares one). */
        a->buffer_size = d->buffer_size;
        a->buffer_stride = hd_align_up(d->buffer_size, HD_CACHELINE); /* no shared lines */
        a->buffers = hd__zalloc(e, (size_t)a->buffer_stride * e->core_count);
        if (!a->buffers) {
            hd__action_free(e, a);
            return HD_ERR_NO_MEMORY;
        }
        charge(e, 0, 0, 0, (uint64_t)a->buffer_stride * e->core_count, false);
    }
    if (d->type == HD_ACTION_CODE) {
        enum hd_status st = code_load(e, d->code, d->code_size, &a->code);
        if (HD_FAILED(st)) {
            hd__action_free(e, a);
            return st;
        }
        charge(e, 0, 0, a->code.size, 0, false);
    }
    if (d->type == HD_ACTION_SCRIPT) {
        enum hd_status st = hd__script_load(e, d->script, d->script_size, script_steps,
                                            &a->script);
        if (HD_FAILED(st)) {
            hd__action_free(e, a);
            return st;
        }
        charge(e, 0, 0, a->script->bytes, a->script->scratch_bytes, false);
    }
    *out = a;
    return HD_OK;
}

/* ---- events --------------------------------------------------------------------------- */

enum hd_status hd__event_check(const struct hd_engine *e, const struct hd_event_desc *d)
{
    const struct hd_condition_desc *c = &d->condition;

    if (d->stage < HD_STAGE_PRE || d->stage > HD_STAGE_ALL)
        return HD_ERR_INVALID_STAGE;
    if (d->short_circuit && d->stage != HD_STAGE_PRE)
        return HD_ERR_SC_WITH_POST; /* S13 */
    if (d->script_steps > HD_SCRIPT_STEPS_MAX)
        return HD_ERR_SCRIPT_BUDGET;
    if (d->core != HD_ALL && d->core >= e->core_count)
        return HD_ERR_INVALID_CORE;
    if (d->output_count > HD_EVENT_MAX_OUTPUTS)
        return HD_ERR_INVALID_ARGUMENT;
    if (d->nr_filter && d->nr_first > d->nr_last)
        return HD_ERR_INVALID_ARGUMENT;
    if (d->deny != HD_DENY_NONE && d->deny != HD_DENY_UD && d->deny != HD_DENY_RAX)
        return HD_ERR_INVALID_ARGUMENT;
    if (d->deny != HD_DENY_NONE && d->stage != HD_STAGE_PRE)
        return HD_ERR_SC_WITH_POST; /* a verdict on the VMCALL, as sc on: S13 */
    for (uint32_t i = 0; i < d->output_count; i++) /* distinct and non-zero: a tag per name */
        for (uint32_t j = 0; j <= i; j++)
            if (d->outputs[i] == 0 || (j < i && d->outputs[j] == d->outputs[i]))
                return HD_ERR_INVALID_ARGUMENT;
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
        HD_CHECK(hd__action_check(e, &d->actions[i]));
    return HD_OK;
}

size_t hd__event_bytes(const struct hd_engine *e, const struct hd_event *ev)
{
    size_t bytes = ev->condition_code.size;
    for (uint32_t i = 0; i < ev->actions.count; i++) {
        const struct hd_action *a = hd__event_action(ev, i);
        bytes += a->code.size;
        if (a->buffers)
            bytes += (size_t)a->buffer_stride * e->core_count;
    }
    return bytes;
}

void hd__event_free(struct hd_engine *e, struct hd_event *ev)
{
    charge(e, 1, 0, ev->condition_code.exec ? ev->condition_code.size : 0, 0, true);
    for (uint32_t i = 0; i < ev->actions.count; i++)
        hd__action_free(e, ev->actions.at[i]);
    hd__free(e, ev->actions.at);
    code_unload(e, &ev->condition_code);
    hd__free(e, ev->command);
    if (ev->counter_block)
        hd__counters_give(e, ev);
    hd__free(e, ev);
}

static size_t text_length(const char *s, size_t max)
{
    size_t n = 0;
    while (s && n < max && s[n])
        n++;
    return n;
}

/* The command text and the output tags behind it in one block (hd__event_outputs()). */
static char *command_block(struct hd_engine *e, const char *text, size_t len,
                           const uint64_t *outputs, uint32_t output_count)
{
    size_t outputs_at = (len + 1u + 7u) & ~(size_t)7u; /* hd__event_outputs() */
    char *block = hd__alloc(e, output_count ? outputs_at + 8u * output_count : len + 1);

    if (!block)
        return NULL;
    if (len)
        hd_memcpy(block, text, len);
    block[len] = '\0';
    if (output_count)
        hd_memcpy(block + outputs_at, outputs, 8u * output_count);
    return block;
}

enum hd_status hd__event_set_command(struct hd_engine *e, struct hd_event *ev, const char *text,
                                     size_t len)
{
    char *block = command_block(e, text, len, hd__event_outputs(ev), ev->output_count);

    if (!block)
        return HD_ERR_NO_MEMORY;
    hd__free(e, ev->command); /* read under the writer lock only, never by dispatch */
    ev->command = block;
    ev->command_length = (uint32_t)len;
    return HD_OK;
}

enum hd_status hd__event_create(struct hd_engine *e, const struct hd_event_desc *d,
                                uint64_t tag, struct hd_event **out)
{
    size_t command_len = text_length(d->command, HD_COMMAND_MAX_BYTES);
    enum hd_status st = HD_ERR_NO_MEMORY;
    struct hd_event *ev = hd__zalloc(e, sizeof(*ev));

    if (!ev)
        return HD_ERR_NO_MEMORY;
    charge(e, 1, 0, 0, 0, false);
    ev->tag = tag;
    ev->pid = d->pid;
    ev->core = d->core;
    ev->stage = d->stage;
    ev->short_circuit = d->short_circuit;
    ev->enabled = d->enabled;
    ev->script_steps = d->script_steps;
    ev->condition = d->condition.kind;
    ev->native.fn = d->condition.fn;
    ev->native.user = d->condition.user;

    ev->nr_filter = d->nr_filter;
    ev->nr_first = d->nr_filter ? d->nr_first : 0;
    ev->nr_last = d->nr_filter ? d->nr_last : 0;
    ev->extra = (uint8_t)((d->max_hits ? HD_EVENT_EXTRA_LIMIT : 0u) |
                          (d->deny != HD_DENY_NONE ? HD_EVENT_EXTRA_DENY : 0u));

    if (HD_FAILED(hd__counters_take(e, ev)))
        goto fail;
    ev->command = command_block(e, d->command, command_len, d->outputs, d->output_count);
    if (!ev->command)
        goto fail;
    if (ev->extra) {
        struct hd_event_shared *sh = hd__event_shared(ev->counters, e->core_count);
        sh->max_hits = d->max_hits;
        sh->deny = (uint32_t)d->deny;
        sh->deny_rax = d->deny_rax;
    }
    ev->command_length = (uint32_t)command_len;
    ev->output_count = (uint8_t)d->output_count;

    if (ev->condition == HD_CONDITION_RAW) {
        st = code_load(e, d->condition.code, d->condition.code_size, &ev->condition_code);
        if (HD_FAILED(st))
            goto fail;
        charge(e, 0, 0, ev->condition_code.size, 0, false);
    }
    if (d->action_count) {
        ev->actions.at = hd__alloc(e, (size_t)d->action_count * sizeof(void *));
        st = ev->actions.at ? HD_OK : HD_ERR_NO_MEMORY;
        if (HD_FAILED(st))
            goto fail;
        ev->actions.capacity = d->action_count;
    }
    for (uint32_t i = 0; i < d->action_count; i++) {
        struct hd_action *a;
        st = hd__action_create(e, &d->actions[i], d->script_steps, &a);
        if (HD_FAILED(st))
            goto fail;
        ev->actions.at[ev->actions.count++] = a;
    }
    *out = ev;
    return HD_OK;

fail:
    hd__event_free(e, ev);
    return st;
}
