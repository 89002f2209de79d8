/* SPDX-License-Identifier: MIT */
/*
 * What an event of raw code never needs, out of the hot path's way (internal/dispatch.h):
 * native hooks and what they receive, break and script actions, the message a custom code's
 * returned pointer makes (S18), and the on_action trace.
 */
#include "internal/dispatch.h"

uint32_t hd__dispatch_ask_pid(const struct hd_engine *e, struct hd_vcpu *vcpu)
{
    /* Without current_pid (the flag's contract broken) the pid is 0, never what the caller
     * left in the field. */
    vcpu->pid = e->ops.current_pid ? e->ops.current_pid(e->ops.user) : 0;
    vcpu->flags &= (uint8_t)~HD_VCPU_PID_LAZY;
    return vcpu->pid;
}

/*
 * What native hooks receive. Built only when the event has one: an event made of raw code
 * (everything HyperDbg's commands make) never pays for filling these 72 bytes.
 */
void hd__dispatch_hook_fill(struct hd_hook *hook, const struct hd_pass *p,
                            const struct hd_snap_entry *en)
{
    *hook = (struct hd_hook){
        .regs = p->regs,
        .context = p->context,
        .vcpu = p->vcpu,
        .tag = en->tag,
        .stage = p->stage,
        .user = en->condition == HD_SNAP_COND_NATIVE ? en->cond.native->user : NULL,
    };
}

/* A script action in the VM (script_vm.c): whether it asked to short-circuit. */
static bool run_script(struct hd_pass *p, const struct hd_snap_entry *en,
                       const struct hd_snap_action *a, uint8_t *buffer)
{
    const struct hd_script_run run = {
        .e = p->e, .core = p->core, .regs = p->regs, .vcpu = p->vcpu, .context = p->context,
        .tag = en->tag, .buffer = buffer, .buffer_size = a->buffer_size,
        .core_index = p->core_index, .stage = p->stage, .immediate = a->immediate,
    };
    return hd__script_run(a->run.script, &run);
}

void hd__dispatch_other_action(struct hd_pass *p, const struct hd_snap_entry *en,
                               const struct hd_snap_action *a, uint8_t *buffer,
                               struct hd_hook *hook, bool *hooked)
{
    const struct hd_script *s = a->run.script;

    switch (a->type) {
    case HD_SNAP_ACTION_FILTER: /* a filter and nothing else runs as its compares, right here */
    case HD_SNAP_ACTION_SCRIPT:
        if ((s->fast_only ? hd__script_filter(s, (const uint64_t *)(const void *)p->regs,
                                              p->vcpu->pid, p->core_index)
                          : run_script(p, en, a, buffer)) &&
            p->stage == HD_STAGE_PRE && !p->protected_call) /* judged as a hook's (S12, S14) */
            p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
        break;
    case HD_SNAP_ACTION_BREAK:
        p->verdict->flags |= HD_VERDICT_BREAK;
        if (p->e->on_break) {
            const struct hd_break_info info = {
                .tag = en->tag, .stage = p->stage, .vcpu = p->vcpu, .regs = p->regs,
            };
            p->e->on_break(p->e->user, &info);
        }
        break;
    case HD_SNAP_ACTION_NATIVE:
        if (!*hooked) {
            hd__dispatch_hook_fill(hook, p, en);
            *hooked = true;
        }
        hook->buffer = buffer;
        hook->buffer_size = a->buffer_size;
        hook->user = a->user;
        {
            const void *returned = a->run.fn(hook);
            if (returned && buffer)
                hd__dispatch_deliver(p->e, p->core_index, en, a, buffer, returned);
        }
        break;
    default:
        break;
    }
}

void hd__dispatch_deliver(struct hd_engine *e, uint32_t core_index,
                          const struct hd_snap_entry *en, const struct hd_snap_action *a,
                          const uint8_t *buffer, const void *returned)
{
    uintptr_t r = (uintptr_t)returned, start = (uintptr_t)buffer;
    if (r < start || r - start >= a->buffer_size)
        return;
    hd__message_push(e, &e->cores[core_index], en->tag, a->immediate, (const uint8_t *)returned,
                    (uint32_t)(a->buffer_size - (r - start)));
}

/* The public type of an action record (the trace speaks the API's language). */
static enum hd_action_type public_type(uint8_t kind)
{
    switch (kind) {
    case HD_SNAP_ACTION_LEAF:
    case HD_SNAP_ACTION_CODE:
        return HD_ACTION_CODE;
    case HD_SNAP_ACTION_FILTER:
    case HD_SNAP_ACTION_SCRIPT:
        return HD_ACTION_SCRIPT;
    case HD_SNAP_ACTION_NATIVE:
        return HD_ACTION_NATIVE;
    default:
        return HD_ACTION_BREAK;
    }
}

void hd__dispatch_trace(const struct hd_pass *p, const struct hd_snap_entry *en,
                        const struct hd_snap_action *a, uint32_t index)
{
    const struct hd_action_info info = {
        .tag = en->tag, .index = index, .type = public_type(a->type),
        .stage = p->stage, .vcpu = p->vcpu,
    };
    p->e->on_action(p->e->user, &info);
}

/* ---- hdevent's extension: max_hits and deny (hd_snap_entry.extra) ----------------------- */

/* "max_hits N reached" into @out (message_max bytes at least 32: engine.c); its length. */
static uint32_t spent_text(char *out, uint32_t capacity, uint64_t n)
{
    static const char head[] = "max_hits ", tail[] = " reached";
    char digits[20];
    uint32_t d = 0, len = 0;

    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    for (uint32_t i = 0; head[i] && len < capacity; i++)
        out[len++] = head[i];
    while (d && len < capacity)
        out[len++] = digits[--d];
    for (uint32_t i = 0; tail[i] && len < capacity; i++)
        out[len++] = tail[i];
    return len;
}

bool hd__dispatch_gate(struct hd_pass *p, const struct hd_snap_entry *en)
{
    struct hd_event_shared *sh = hd__event_shared(en->counters, p->e->core_count);
    /* The dispatch path's one locked instruction (compiler.h): exactly max_hits callers, on
     * whatever cores, get a number below it. Past it the count still grows (it is 64-bit). */
    uint64_t taken = hd_fetch_add_relaxed(&sh->runs, 1);
    uint8_t *slot;

    if (taken >= sh->max_hits)
        return false;
    if (taken + 1 == sh->max_hits && (slot = hd__message_begin(p->e, p->core)) != NULL) {
        uint32_t n = spent_text((char *)slot, p->e->message_max, sh->max_hits);
        hd__message_commit(p->e, p->core, en->tag, true, HD_MESSAGE_SPENT, HD_OK, n);
    }
    return true;
}

void hd__dispatch_deny(struct hd_pass *p, const struct hd_snap_entry *en)
{
    const struct hd_event_shared *sh = hd__event_shared(en->counters, p->e->core_count);

    if (p->protected_call || p->stage != HD_STAGE_PRE || sh->deny == HD_DENY_NONE)
        return; /* S14: the hypervisor's own call is never denied; deny is a pre verdict */
    p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
    if (sh->deny == HD_DENY_UD)
        p->verdict->flags |= HD_VERDICT_DENY_UD;
    else
        p->regs->rax = sh->deny_rax;
    if (p->e->on_action) { /* the trace shows the verdict as the event's last step */
        const struct hd_action_info info = {
            .tag = en->tag, .index = en->action_count, .type = HD_ACTION_INFO_DENY,
            .stage = p->stage, .vcpu = p->vcpu,
        };
        p->e->on_action(p->e->user, &info);
    }
}
