/*
 * The hot path: hd_dispatch_vmcall() and its post pass.
 *
 * Runs in VMX root on any core, concurrently, with interrupts off. No allocation, no lock, no
 * locked instruction, no SIMD (the core is built with -mgeneral-regs-only). The cost does not
 * grow with events that cannot match: hash probes find the lists for (this core, this pid),
 * (this core, any pid), (any core, this pid) and (any core, any pid) — only for the key shapes
 * some event has, usually one — each already in registration order, and a merge of at most
 * four lists runs the events oldest first (S8). The lists hold copies of the events' hot
 * fields (engine.h), so dispatch never follows a pointer to an event or action object.
 *
 * Shape of the code: the ordinary exit (one key shape, not the hypervisor's own call) runs in
 * one function with no call but those into the hooks; the merge, the own-hypercall copy,
 * native hooks, break actions, messages and tracing are out of line.
 */
#include "internal/arch.h"
#include "internal/engine.h"

/* The matching lists of one pass: each a run of records in the snapshot (engine.h). */
struct hd_lists {
    const struct hd_snap_entry *next[4];
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
    uint32_t core_index;          /* vcpu->core, kept here: read once per event and action */
    enum hd_stage stage;          /* HD_STAGE_PRE or HD_STAGE_POST */
    bool protected_call;
    struct hd_verdict *verdict;
};

/* The bucket of a key in @s, or NULL when no event has that key. */
static inline const struct hd_snap_bucket *find(const struct hd_snap_view *s, uint32_t shape,
                                                uint32_t core, uint32_t pid)
{
    const struct hd_snap_bucket *b;
    b = &s->buckets[hd_snap_probe(s->buckets, s->mask,
                                  hd_snap_key(shape & 2u ? HD_ALL : core,
                                              shape & 1u ? HD_ALL : pid))];
    return b->pre_count | b->post_count ? b : NULL;
}

/* The first record of a bucket's pre or post list. */
static inline const struct hd_snap_entry *list_at(const struct hd_snap_view *s, uint32_t off)
{
    return (const struct hd_snap_entry *)((const uint8_t *)s->buckets + off);
}

/*
 * Collect the pre or post lists for (core, pid) when events have more than one key shape;
 * returns whether any post list exists. Out of line: one shape (see run_stage) is the usual
 * case.
 */
__attribute__((__noinline__)) static bool collect(const struct hd_snap_view *s, uint32_t core,
                                                  uint32_t pid, bool post,
                                                  struct hd_lists *out)
{
    bool any_post = false;

    out->count = 0;
    /* Only the key shapes some event has (bit k: core is all << 1 | pid is all). */
    for (uint32_t shapes = s->shapes; shapes; shapes &= shapes - 1) {
        uint32_t k = (uint32_t)__builtin_ctz(shapes), count;
        const struct hd_snap_bucket *b;
        if (pid == HD_ALL && !(k & 1u))
            continue; /* same key as the pid-is-all shape after it */
        b = find(s, k, core, pid);
        if (!b)
            continue;
        any_post |= b->post_count != 0;
        count = post ? b->post_count : b->pre_count;
        if (count) {
            out->next[out->count] = list_at(s, post ? b->post_off : b->pre_off);
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
__attribute__((__noinline__)) static void deliver(struct hd_pass *p,
                                                  const struct hd_snap_entry *en,
                                                  const struct hd_snap_action *a,
                                                  const uint8_t *buffer, const void *returned)
{
    uintptr_t r = (uintptr_t)returned, start = (uintptr_t)buffer;
    if (r < start || r - start >= a->buffer_size)
        return;
    hd_message_push(p->e, p->core, en->tag, a->immediate, (const uint8_t *)returned,
                    (uint32_t)(a->buffer_size - (r - start)));
}

/*
 * What native hooks receive. Built only when the event has one: an event made of raw code
 * (everything HyperDbg's commands make) never pays for filling these 72 bytes.
 */
static void hook_fill(struct hd_hook *hook, const struct hd_pass *p,
                      const struct hd_snap_entry *en)
{
    *hook = (struct hd_hook){
        .regs = p->regs,
        .context = p->context,
        .vcpu = p->vcpu,
        .tag = en->tag,
        .stage = p->stage,
        .user = en->condition_user,
    };
}

/* Break and native actions: out of the raw-code path's way. */
__attribute__((__noinline__)) static void run_other_action(struct hd_pass *p,
                                                           const struct hd_snap_entry *en,
                                                           const struct hd_snap_action *a,
                                                           uint8_t *buffer,
                                                           struct hd_hook *hook, bool *hooked)
{
    switch (a->type) {
    case HD_ACTION_BREAK:
        p->verdict->flags |= HD_VERDICT_BREAK;
        if (p->e->on_break) {
            const struct hd_break_info info = {
                .tag = en->tag, .stage = p->stage, .vcpu = p->vcpu, .regs = p->regs,
            };
            p->e->on_break(p->e->user, &info);
        }
        break;
    case HD_ACTION_NATIVE:
        if (!*hooked) {
            hook_fill(hook, p, en);
            *hooked = true;
        }
        hook->buffer = buffer;
        hook->buffer_size = a->buffer_size;
        hook->user = a->user;
        {
            const void *returned = a->run.fn(hook);
            if (returned && buffer)
                deliver(p, en, a, buffer, returned);
        }
        break;
    default: /* HD_ACTION_SCRIPT: refused at registration until the script engine lands */
        break;
    }
}

/* The on_action trace (simulators, tests): off in kernels, so out of line. */
__attribute__((__noinline__)) static void trace_action(const struct hd_pass *p,
                                                       const struct hd_snap_entry *en,
                                                       const struct hd_snap_action *a,
                                                       uint32_t index)
{
    const struct hd_action_info info = {
        .tag = en->tag, .index = index, .type = (enum hd_action_type)a->type,
        .stage = p->stage, .vcpu = p->vcpu,
    };
    p->e->on_action(p->e->user, &info);
}

/*
 * Inlined into the pass: with the lookup, the list walk and this in one function, an exit
 * with one raw-code event makes no call but the two into the code (each level of calls
 * cost 12 pushes and pops, as much as the code call itself).
 */
__attribute__((__always_inline__)) static inline void run_event(struct hd_pass *p,
                                                                const struct hd_snap_entry *en)
{
    struct hd_counter_line *counters = &en->counters[p->core_index];
    const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);
    struct hd_hook hook;
    bool hooked = false; /* hook is filled */

    if (HD_UNLIKELY(p->protected_call))
        *p->regs = *p->guest; /* S14: every event sees the real values, not earlier edits */
    bump(&counters->hits);
    if (en->condition != HD_CONDITION_NONE) {
        uint64_t holds;
        if (HD_LIKELY(en->condition == HD_CONDITION_RAW)) {
            holds = hd_arch_call_raw(en->cond.code, (uintptr_t)p->regs, (uintptr_t)p->context,
                                     0);
        } else {
            hook_fill(&hook, p, en);
            hooked = true;
            holds = en->cond.fn(&hook);
        }
        if (!holds) {
            bump(&counters->condition_false); /* S6: none of its actions run */
            return;
        }
    }
    p->verdict->fired++;

    for (uint32_t i = 0; i < en->action_count; i++, a++) { /* S7: in the order given */
        /* Per-core buffers, each rounded up to whole lines (registry.c): no shared lines. */
        uint8_t *buffer = a->buffers ? a->buffers + (size_t)p->core_index *
                                                        hd_align_up(a->buffer_size, HD_CACHELINE)
                                     : NULL;
        if (HD_LIKELY(a->type == HD_ACTION_CODE)) {
            const void *returned = (const void *)(uintptr_t)hd_arch_call_raw(
                a->run.code, (uintptr_t)buffer, (uintptr_t)p->regs, (uintptr_t)p->context);
            if (returned && buffer)
                deliver(p, en, a, buffer, returned);
        } else {
            run_other_action(p, en, a, buffer, &hook, &hooked);
        }
        if (HD_UNLIKELY(p->e->on_action != NULL))
            trace_action(p, en, a, i);
    }

    /* S12: any event that fired may short-circuit (OR, not last writer); S14: never own calls. */
    if ((en->short_circuit || (hooked && hook.short_circuit)) && p->stage == HD_STAGE_PRE &&
        !p->protected_call)
        p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
}

/* One list, in order: the usual case (one key shape matches), nothing to merge. */
__attribute__((__always_inline__)) static inline void run_list(struct hd_pass *p,
                                                               const struct hd_snap_entry *en,
                                                               uint32_t count)
{
    for (; count; count--, en = hd_snap_entry_next(en))
        run_event(p, en);
}

/* Merge the lists by registration order: every matching event once, oldest first. */
__attribute__((__noinline__)) static void run_lists(struct hd_pass *p, struct hd_lists *l)
{
    if (l->count == 1) {
        run_list(p, l->next[0], l->left[0]);
        return;
    }
    while (l->count) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < l->count; k++)
            if (l->next[k]->order < l->next[best]->order)
                best = k;
        run_event(p, l->next[best]);
        l->next[best] = hd_snap_entry_next(l->next[best]);
        if (--l->left[best] == 0) {
            l->count--;
            l->next[best] = l->next[l->count];
            l->left[best] = l->left[l->count];
        }
    }
}

/*
 * The hypervisor's own hypercall: the hooks work on a copy of the registers (and a vCPU view
 * pointing at it), refreshed for each event, so whatever they write is discarded (S14). Out
 * of line: its 200 bytes of stack stay off the ordinary exit's frame.
 */
__attribute__((__noinline__)) static void run_protected(struct hd_pass *p, struct hd_lists *l,
                                                        struct hd_vcpu *vcpu)
{
    struct hd_guest_regs copy;
    struct hd_vcpu view = *vcpu;
    view.regs = &copy;
    p->regs = &copy;
    p->vcpu = &view;
    run_lists(p, l);
}

/*
 * A backend with run_on_every_core gives grace periods by IPI (snapshot.c never reads the
 * counters then), so its exits skip the per-core counter and, above all, the store-load fence
 * in front of the snapshot load: MFENCE costs 30-45 cycles, more than the rest of a
 * no-match exit. Fixed at engine creation, so the branch always goes the same way.
 */
static bool ipi_grace(const struct hd_engine *e)
{
    return e->ipi_grace;
}

static void exit_end(const struct hd_engine *e, struct hd_core *core)
{
    core->post_pending = false;
    core->exit_word = 0;
    if (!ipi_grace(e))
        hd_store_release(&core->seq, core->seq + 1); /* even: outside, quiescent */
}

/* Find and run one pass's events; returns whether the set holds post events for this exit. */
__attribute__((__always_inline__)) static inline bool run_stage(
    struct hd_engine *e, struct hd_core *core, uintptr_t word, struct hd_vcpu *vcpu,
    void *context, enum hd_stage stage, bool protected_call, struct hd_verdict *verdict)
{
    const struct hd_snap_view s = hd_snap_view(word);
    struct hd_lists lists;
    struct hd_pass p = {
        .e = e, .core = core, .vcpu = vcpu, .regs = vcpu->regs, .guest = vcpu->regs,
        .context = context, .core_index = vcpu->core, .stage = stage,
        .protected_call = protected_call, .verdict = verdict,
    };
    uint32_t shapes = s.shapes;
    bool post;

    if (HD_UNLIKELY(protected_call))
        verdict->flags |= HD_VERDICT_PROTECTED;
    if (HD_LIKELY(!(shapes & (shapes - 1)) && !protected_call)) {
        /* One key shape (or none): one probe, one list, nothing to merge. */
        const struct hd_snap_bucket *b;
        uint32_t count;
        if (!shapes)
            return false; /* an empty set, published after the armed test */
        b = find(&s, (uint32_t)__builtin_ctz(shapes), vcpu->core, vcpu->pid);
        if (!b)
            return false;
        count = stage == HD_STAGE_POST ? b->post_count : b->pre_count;
        if (count)
            run_list(&p, list_at(&s, stage == HD_STAGE_POST ? b->post_off : b->pre_off), count);
        return b->post_count != 0;
    }
    post = collect(&s, vcpu->core, vcpu->pid, stage == HD_STAGE_POST, &lists);
    if (protected_call) {
        if (lists.count)
            run_protected(&p, &lists, vcpu);
    } else if (lists.count) {
        run_lists(&p, &lists);
    }
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
    uintptr_t word;
    bool protected_call = e->is_own_hypercall ? e->is_own_hypercall(e->user, vcpu)
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
    word = hd_load_acquire(&e->current_word);

    /* S10/S12: a post pass over the VMCALL set, unless short-circuited. */
    if (run_stage(e, core, word, vcpu, context, HD_STAGE_PRE, protected_call, verdict) &&
        !(verdict->flags & HD_VERDICT_SHORT_CIRCUIT)) {
        verdict->flags |= HD_VERDICT_POST;
        core->exit_word = word;
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
    if (HD_UNLIKELY(hd_load_relaxed(&e->armed) || core->post_pending || e->is_own_hypercall))
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
    run_stage(e, core, core->exit_word, vcpu, context, HD_STAGE_POST, core->exit_protected,
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
