/*
 * The hot path: hd_dispatch_vmcall() and its post pass.
 *
 * Runs in VMX root on any core, concurrently, with interrupts off. No allocation, no lock, no
 * locked instruction, no SIMD (the core is built with -mgeneral-regs-only). The cost does not
 * grow with events that cannot match: four hash probes find the lists for (this core, this
 * pid), (this core, any pid), (any core, this pid) and (any core, any pid), each already in
 * registration order, and a merge of at most four lists runs the events oldest first (S8).
 */
#include "internal/arch.h"
#include "internal/engine.h"

/* The matching lists of one pass. */
struct hd_lists {
    const uint32_t *next[4];
    uint32_t left[4];
    uint32_t count;
};

/* One pass over one exit. */
struct hd_pass {
    struct hd_engine *e;
    struct hd_core *core;
    const struct hd_vcpu *vcpu;   /* what hooks see (its regs are the protected copy if any) */
    struct hd_guest_regs *regs;   /* what hooks write: the guest's, or the protected copy */
    const struct hd_guest_regs *guest; /* the guest's registers */
    void *context;
    enum hd_stage stage;          /* HD_STAGE_PRE or HD_STAGE_POST */
    bool protected_call;
    struct hd_verdict *verdict;
};

static const struct hd_snap_bucket *find(const struct hd_snapshot *s, uint64_t key)
{
    const struct hd_snap_bucket *b = &s->buckets[hd_snap_probe(s->buckets, s->bucket_mask, key)];
    return b->pre_count + b->post_count ? b : NULL;
}

/* Collect the pre or post lists for (core, pid); returns whether any post list exists. */
static bool collect(const struct hd_snapshot *s, uint32_t core, uint32_t pid, bool post,
                    struct hd_lists *out)
{
    /* In shape-bit order: bit k of s->key_shapes says whether keys[k] can exist. */
    const uint64_t keys[4] = {
        hd_snap_key(core, pid), hd_snap_key(core, HD_ALL),
        hd_snap_key(HD_ALL, pid), hd_snap_key(HD_ALL, HD_ALL),
    };
    bool any_post = false;

    out->count = 0;
    for (uint32_t k = 0; k < 4; k++) {
        const struct hd_snap_bucket *b;
        uint32_t first, count;
        if (!(s->key_shapes & (1u << k)))
            continue;
        if (pid == HD_ALL && (k == 0 || k == 2))
            continue; /* same key as the one after it */
        b = find(s, keys[k]);
        if (!b)
            continue;
        any_post |= b->post_count != 0;
        first = post ? b->post_first : b->pre_first;
        count = post ? b->post_count : b->pre_count;
        if (count) {
            out->next[out->count] = s->index + first;
            out->left[out->count] = count;
            out->count++;
        }
    }
    return any_post;
}

static void bump(uint64_t *counter)
{
    /* Only this core writes its counter line: a load and a store, never a locked add. */
    hd_store_relaxed(counter, hd_load_relaxed(counter) + 1);
}

/* S18: a returned pointer inside this core's buffer makes the rest of the buffer a message. */
static void deliver(struct hd_pass *p, const struct hd_event *ev, const struct hd_action *a,
                    const uint8_t *buffer, const void *returned)
{
    uintptr_t r = (uintptr_t)returned, start = (uintptr_t)buffer;
    if (!r || !buffer || r < start || r - start >= a->buffer_size)
        return;
    hd_message_push(p->e, p->core, ev->tag, a->immediate, (const uint8_t *)returned,
                    (uint32_t)(a->buffer_size - (r - start)));
}

/*
 * What native hooks receive. Built only when the event has one: an event made of raw code
 * (everything HyperDbg's commands make) never pays for filling these 72 bytes.
 */
static void hook_fill(struct hd_hook *hook, const struct hd_pass *p, const struct hd_event *ev)
{
    *hook = (struct hd_hook){
        .regs = p->regs,
        .context = p->context,
        .vcpu = p->vcpu,
        .tag = ev->tag,
        .stage = p->stage,
        .user = ev->condition_user,
    };
}

static void run_event(struct hd_pass *p, const struct hd_snap_entry *entry)
{
    const struct hd_event *ev = entry->event;
    struct hd_counter_line *counters = &ev->counters[p->vcpu->core];
    struct hd_hook hook;
    bool hooked = false; /* hook is filled */

    if (p->protected_call)
        *p->regs = *p->guest; /* S14: every event sees the real values, not earlier edits */
    bump(&counters->hits);
    if (ev->condition != HD_CONDITION_NONE) {
        uint64_t holds;
        if (ev->condition == HD_CONDITION_RAW) {
            holds = hd_arch_call_raw(ev->condition_code.exec, (uintptr_t)p->regs,
                                     (uintptr_t)p->context, 0);
        } else {
            hook_fill(&hook, p, ev);
            hooked = true;
            holds = ev->condition_fn(&hook);
        }
        if (!holds) {
            bump(&counters->condition_false); /* S6: none of its actions run */
            return;
        }
    }
    p->verdict->fired++;

    for (uint32_t i = 0; i < entry->action_count; i++) { /* S7: in the order given */
        const struct hd_action *a = entry->actions[i];
        uint8_t *buffer = a->buffers ? a->buffers + (size_t)p->vcpu->core * a->buffer_stride
                                     : NULL;
        switch (a->type) {
        case HD_ACTION_BREAK:
            p->verdict->flags |= HD_VERDICT_BREAK;
            if (p->e->ops.on_break) {
                const struct hd_break_info info = {
                    .tag = ev->tag, .stage = p->stage, .vcpu = p->vcpu, .regs = p->regs,
                };
                p->e->ops.on_break(p->e->ops.user, &info);
            }
            break;
        case HD_ACTION_CODE:
            deliver(p, ev, a, buffer,
                    (const void *)(uintptr_t)hd_arch_call_raw(a->code.exec, (uintptr_t)buffer,
                                                              (uintptr_t)p->regs,
                                                              (uintptr_t)p->context));
            break;
        case HD_ACTION_NATIVE:
            if (!hooked) {
                hook_fill(&hook, p, ev);
                hooked = true;
            }
            hook.buffer = buffer;
            hook.buffer_size = buffer ? a->buffer_size : 0;
            hook.user = a->user;
            deliver(p, ev, a, buffer, a->fn(&hook));
            break;
        case HD_ACTION_SCRIPT: /* refused at registration until the script engine lands */
            break;
        }
        if (p->e->ops.on_action) {
            const struct hd_action_info info = {
                .tag = ev->tag, .index = i, .type = a->type, .stage = p->stage, .vcpu = p->vcpu,
            };
            p->e->ops.on_action(p->e->ops.user, &info);
        }
    }

    /* S12: any event that fired may short-circuit (OR, not last writer); S14: never own calls. */
    if ((ev->short_circuit || (hooked && hook.short_circuit)) && p->stage == HD_STAGE_PRE &&
        !p->protected_call)
        p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
}

/* Merge the lists by entry number: every matching event once, oldest first. */
static void run_lists(struct hd_pass *p, const struct hd_snapshot *s, struct hd_lists *l)
{
    if (l->count == 1) { /* the usual case: one key shape matches, nothing to merge */
        for (uint32_t i = 0; i < l->left[0]; i++)
            run_event(p, &s->entries[l->next[0][i]]);
        return;
    }
    while (l->count) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < l->count; k++)
            if (*l->next[k] < *l->next[best])
                best = k;
        run_event(p, &s->entries[*l->next[best]]);
        l->next[best]++;
        if (--l->left[best] == 0) {
            l->count--;
            l->next[best] = l->next[l->count];
            l->left[best] = l->left[l->count];
        }
    }
}

/*
 * Run one pass. On the hypervisor's own hypercall the hooks work on a copy of the registers
 * (and a vCPU view pointing at it), refreshed for each event, so whatever they write is
 * discarded (S14).
 */
static void run_pass(struct hd_pass *p, const struct hd_snapshot *s, struct hd_lists *l,
                     struct hd_vcpu *vcpu)
{
    p->guest = vcpu->regs;
    if (p->protected_call) {
        struct hd_guest_regs copy;
        struct hd_vcpu view = *vcpu;
        view.regs = &copy;
        p->regs = &copy;
        p->vcpu = &view;
        run_lists(p, s, l);
        p->vcpu = vcpu;
        p->regs = vcpu->regs;
        return;
    }
    run_lists(p, s, l);
}

/*
 * A backend with run_on_every_core gives grace periods by IPI (snapshot.c never reads the
 * counters then), so its exits skip the per-core counter and, above all, the store-load fence
 * in front of the snapshot load: MFENCE costs 30-45 cycles, more than the rest of a
 * no-match exit. Fixed at engine creation, so the branch always goes the same way.
 */
static bool ipi_grace(const struct hd_engine *e)
{
    return e->ops.run_on_every_core != NULL;
}

static void exit_end(const struct hd_engine *e, struct hd_core *core)
{
    core->post_pending = false;
    core->exit_snapshot = NULL;
    if (!ipi_grace(e))
        hd_store_release(&core->seq, core->seq + 1); /* even: outside, quiescent */
}

/* Find and run one pass's events; returns whether the set holds post events for this exit. */
static bool run_stage(struct hd_engine *e, struct hd_core *core, const struct hd_snapshot *s,
                      struct hd_vcpu *vcpu, void *context, enum hd_stage stage,
                      bool protected_call, struct hd_verdict *verdict)
{
    struct hd_lists lists;
    bool post = collect(s, vcpu->core, vcpu->pid, stage == HD_STAGE_POST, &lists);
    struct hd_pass p = {
        .e = e, .core = core, .vcpu = vcpu, .regs = vcpu->regs, .context = context,
        .stage = stage, .protected_call = protected_call, .verdict = verdict,
    };
    if (protected_call)
        verdict->flags |= HD_VERDICT_PROTECTED;
    run_pass(&p, s, &lists, vcpu);
    return post;
}

/* Checks shared by every dispatch entry; the core's state, or NULL for a bad record. */
static struct hd_core *exit_core(struct hd_engine *e, const struct hd_vcpu *vcpu,
                                 struct hd_verdict *verdict)
{
    if (verdict) {
        verdict->flags = 0;
        verdict->fired = 0;
    }
    if (HD_UNLIKELY(vcpu->core >= e->core_count || !vcpu->regs))
        return NULL;
    return &e->cores[vcpu->core];
}

/*
 * Everything but the disarmed exit: kept out of line so that hd_dispatch_vmcall's own path
 * (no event enabled, nothing pending, the default own-hypercall test) is a leaf function
 * that saves no register.
 */
__attribute__((__noinline__)) static enum hd_status
dispatch_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu, void *context,
              struct hd_verdict *verdict)
{
    const struct hd_snapshot *s;
    bool protected_call = e->ops.is_own_hypercall ? e->ops.is_own_hypercall(e->ops.user, vcpu)
                                                  : hd_hypercall_is_hyperdbg(vcpu);

    vcpu->flags = (uint8_t)(protected_call ? vcpu->flags | HD_VCPU_PROTECTED
                                           : vcpu->flags & ~HD_VCPU_PROTECTED);
    if (HD_UNLIKELY(core->post_pending))
        exit_end(e, core); /* the backend skipped the post pass of the last exit */

    if (!hd_load_relaxed(&e->armed)) {
        if (protected_call)
            verdict->flags |= HD_VERDICT_PROTECTED;
        return HD_OK; /* S1: nothing enabled, nothing runs */
    }

    if (!ipi_grace(e)) {
        hd_store_relaxed(&core->seq, core->seq + 1); /* odd: inside */
        hd_fence_store_load();
    }
    s = hd_load_acquire(&e->current);

    /* S10/S12: a post pass over the VMCALL set, unless short-circuited. */
    if (run_stage(e, core, s, vcpu, context, HD_STAGE_PRE, protected_call, verdict) &&
        !(verdict->flags & HD_VERDICT_SHORT_CIRCUIT)) {
        verdict->flags |= HD_VERDICT_POST;
        core->exit_snapshot = s;
        core->exit_protected = protected_call; /* not vcpu->flags: backends may rebuild it */
        core->post_pending = true;            /* seq stays odd until the post pass ends */
        return HD_OK;
    }
    exit_end(e, core);
    return HD_OK;
}

enum hd_status hd_dispatch_vmcall(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  struct hd_verdict *verdict)
{
    struct hd_core *core = exit_core(e, vcpu, verdict);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (HD_UNLIKELY(hd_load_relaxed(&e->armed) || core->post_pending || e->ops.is_own_hypercall))
        return dispatch_slow(e, core, vcpu, context, verdict);

    /* S1: nothing enabled, nothing pending; S14 still marks the hypervisor's own calls. */
    if (hd_hypercall_is_hyperdbg(vcpu)) {
        vcpu->flags |= HD_VCPU_PROTECTED;
        verdict->flags |= HD_VERDICT_PROTECTED;
    } else {
        vcpu->flags &= (uint8_t)~HD_VCPU_PROTECTED;
    }
    return HD_OK;
}

enum hd_status hd_dispatch_vmcall_post(struct hd_engine *e, struct hd_vcpu *vcpu,
                                       void *context, struct hd_verdict *verdict)
{
    struct hd_core *core = exit_core(e, vcpu, verdict);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (!core->post_pending)
        return HD_ERR_NO_PRE_PASS;
    run_stage(e, core, core->exit_snapshot, vcpu, context, HD_STAGE_POST, core->exit_protected,
              verdict);
    exit_end(e, core);
    return HD_OK;
}

enum hd_status hd_dispatch_vmcall_end(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    struct hd_core *core = exit_core(e, vcpu, NULL);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (core->post_pending)
        exit_end(e, core);
    return HD_OK;
}
