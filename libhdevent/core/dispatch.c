/*
 * The hot path: one VMCALL exit, from the entry a backend calls down to the hooks it runs.
 *
 * Read top to bottom: the entries — hd_dispatch_vmcall_exit(), the one every in-tree backend
 * uses, then the two-call form for hypervisors that handle the VMCALL themselves, then the
 * end of an exit whose hook a backend stopped (hd_dispatch_vmcall_abandon) — then the
 * exit's frame (the own-hypercall decision, holding and releasing a snapshot), one pass (the
 * lookup and the list walk), one event, and the rare paths last.
 *
 * Runs in VMX root on any core, concurrently, with interrupts off. No allocation, no lock, no
 * locked instruction, no SIMD (the core is built with -mgeneral-regs-only). The cost does not
 * grow with events that cannot match: hash probes find the lists for (this core, this pid),
 * (this core, any pid), (any core, this pid) and (any core, any pid) — only for the key shapes
 * some event has, usually one — each already in registration order, and a merge of at most
 * four lists runs the events oldest first (S8). The lists hold copies of the events' hot
 * fields (internal/snapshot.h), so dispatch never follows a pointer to an event or action.
 *
 * Shape of the code: the ordinary exit (one key shape, not the hypervisor's own call) runs in
 * one function with no call but those into the hooks; the merge, the own-hypercall copy,
 * native hooks, break actions, messages and tracing are out of line.
 */
#include "internal/arch.h"
#include "internal/engine.h"

/* One pass over one exit. */
struct hd_pass {
    struct hd_engine *e;
    struct hd_core *core;
    const struct hd_vcpu *vcpu;   /* what hooks see (its regs are the protected copy if any) */
    struct hd_guest_regs *regs;   /* what hooks write: the guest's, or the protected copy */
    const struct hd_guest_regs *guest; /* the guest's registers */
    void *context;
    uint32_t core_index;          /* the exit's core, checked at entry: read per event/action */
    enum hd_stage stage;          /* HD_STAGE_PRE or HD_STAGE_POST */
    bool protected_call;
    struct hd_verdict *verdict;
};

/* Where one list of a pass stands: the record at hand, and what is left of its run/chunks. */
struct hd_cursor {
    const struct hd_snap_entry *en;
    uint32_t left;                      /* records left in this run, en included */
    const struct hd_snap_chunk *chunk;  /* the chunks after this run */
    uint32_t chunks;
};

/* The matching lists of one pass, when events have more than one key shape. */
struct hd_lists {
    struct hd_cursor at[4];
    uint32_t count;
};

static struct hd_core *exit_core(struct hd_engine *e, const struct hd_vcpu *vcpu);
static bool decide_protected(struct hd_engine *e, struct hd_vcpu *vcpu,
                             struct hd_verdict *verdict);
static uintptr_t snapshot_hold(struct hd_engine *e, struct hd_core *core);
static void snapshot_release(const struct hd_engine *e, struct hd_core *core);
static void post_pending_end(struct hd_core *core);
static inline bool run_pass(struct hd_engine *e, struct hd_core *core, uintptr_t word,
                            struct hd_vcpu *vcpu, uint32_t core_index, void *context,
                            enum hd_stage stage, bool protected_call,
                            struct hd_verdict *verdict) __attribute__((__always_inline__));
static bool pre_pass_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                          void *context, bool protected_call, struct hd_verdict *verdict,
                          uintptr_t *word) __attribute__((__noinline__));

/* ---- the entries ---------------------------------------------------------------------- */

/*
 * The whole exit in one call, so the snapshot the pre pass found and the own-hypercall
 * decision are locals that live exactly as long as the exit: nothing is left on the core
 * between the passes, and the snapshot stays alive across the default handling (writers wait
 * for this core: snapshot_hold) without the caller having to promise anything.
 */
enum hd_status hd_dispatch_vmcall_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                       hd_vmcall_handler handle, void *user,
                                       struct hd_exit *out)
{
    struct hd_core *core;
    uint32_t core_index;
    uintptr_t word = 0;
    bool protected_call, post = false;

    hd_memset(out, 0, sizeof(*out));
    core = exit_core(e, vcpu);
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU; /* nothing ran: the backend answers the VMCALL itself */
    /* Kept from the checked record: the post pass indexes per-core state with it, whatever a
     * handler does to the record (dispatch.h: it must leave regs and core alone). */
    core_index = vcpu->core;
    protected_call = decide_protected(e, vcpu, &out->pre);
    if (HD_UNLIKELY(hd_load_relaxed(&e->armed) || core->post_pending))
        post = pre_pass_slow(e, core, vcpu, context, protected_call, &out->pre, &word);

    if (!(out->pre.flags & HD_VERDICT_SHORT_CIRCUIT)) { /* S12: skipped, RIP still advances */
        if (handle)
            handle(user, vcpu);
        else
            hd_vmcall_default(user, vcpu); /* a direct call: no function address, no GOT */
        out->default_handled = true;
    }
    if (post) { /* S10: the post pass runs on the VMCALL set the pre pass found */
        out->pre.flags |= HD_VERDICT_POST;
        run_pass(e, core, word, vcpu, core_index, context, HD_STAGE_POST, protected_call,
                 &out->post);
        out->post_ran = true;
    }
    if (word)
        snapshot_release(e, core);
    return HD_OK;
}

/*
 * The two-call form: the pre pass. When it sets HD_VERDICT_POST the core keeps the snapshot
 * (and the own-hypercall decision) for hd_dispatch_vmcall_post(), and marks itself as holding
 * it in both grace-period modes, since the caller may run with interrupts on in between: a
 * writer's IPI then proves nothing about this core, and reclaim waits for the post pass.
 */
enum hd_status hd_dispatch_vmcall(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  struct hd_verdict *verdict)
{
    struct hd_core *core = exit_core(e, vcpu);
    uintptr_t word = 0;
    bool protected_call;

    verdict->flags = 0;
    verdict->fired = 0;
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    protected_call = decide_protected(e, vcpu, verdict);
    if (HD_LIKELY(!hd_load_relaxed(&e->armed) && !core->post_pending))
        return HD_OK; /* S1: nothing enabled, nothing runs */
    if (pre_pass_slow(e, core, vcpu, context, protected_call, verdict, &word)) {
        verdict->flags |= HD_VERDICT_POST;
        core->exit_word = word;
        core->exit_protected = protected_call;
        core->post_pending = true;
        if (e->ipi_grace) /* the counter path made seq odd already (snapshot_hold) */
            hd_store_release(&core->seq, core->seq + 1);
        return HD_OK;
    }
    if (word)
        snapshot_release(e, core);
    return HD_OK;
}

/* The two-call form: the post pass, on the core and the set of the pre pass that asked. */
enum hd_status hd_dispatch_vmcall_post(struct hd_engine *e, struct hd_vcpu *vcpu,
                                       void *context, struct hd_verdict *verdict)
{
    struct hd_core *core = exit_core(e, vcpu);

    verdict->flags = 0;
    verdict->fired = 0;
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (!core->post_pending)
        return HD_ERR_NO_PRE_PASS;
    run_pass(e, core, core->exit_word, vcpu, vcpu->core, context, HD_STAGE_POST,
             core->exit_protected, verdict);
    post_pending_end(core);
    return HD_OK;
}

/* The two-call form's error path: end a pending exit without its post pass. */
enum hd_status hd_dispatch_vmcall_end(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    struct hd_core *core = exit_core(e, vcpu);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (core->post_pending)
        post_pending_end(core);
    return HD_OK;
}

/*
 * A backend stopped a hook that never returned: the exit's frames are gone, its hold is not.
 * Ends it as the exit itself would have: a pending two-call exit as hd_dispatch_vmcall_end()
 * does, an exit of either form holding its snapshot under counter grace periods (sequence
 * odd, snapshot_hold) as snapshot_release() does. Under IPI grace periods an exit makes no
 * mark unless a post pass is pending, so there is nothing else to end.
 */
enum hd_status hd_dispatch_vmcall_abandon(struct hd_engine *e, uint32_t core_index)
{
    struct hd_core *core;

    if (!e)
        return HD_ERR_INVALID_ARGUMENT;
    if (core_index >= e->core_count)
        return HD_ERR_INVALID_CORE;
    core = &e->cores[core_index];
    if (core->post_pending)
        post_pending_end(core);
    else if (hd_load_relaxed(&core->seq) & 1u)
        snapshot_release(e, core);
    return HD_OK;
}

/*
 * The default handling with nothing underneath (dispatch.h): the hypervisor's own hypercall
 * succeeds, any other VMCALL gets KVM's answer to an unknown hypercall.
 */
void hd_vmcall_default(void *user, struct hd_vcpu *vcpu)
{
    (void)user;
    vcpu->regs->rax = (vcpu->flags & HD_VCPU_PROTECTED) ? 0 : HD_VMCALL_ENOSYS;
}

/* ---- the exit's frame ------------------------------------------------------------------ */

/* The core's state, or NULL for a record dispatch must refuse (nothing may run then). */
static struct hd_core *exit_core(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    if (HD_UNLIKELY(vcpu->core >= e->core_count || !vcpu->regs))
        return NULL;
    return &e->cores[vcpu->core];
}

/*
 * S14/S15: the one place that decides whether this VMCALL is the hypervisor's own. Made once
 * per exit, before any hook runs (hooks cannot talk their way into or out of it), and told to
 * the backend in vcpu->flags and to the caller in the verdict.
 */
static bool decide_protected(struct hd_engine *e, struct hd_vcpu *vcpu,
                             struct hd_verdict *verdict)
{
    bool own = e->is_own_hypercall ? e->is_own_hypercall(e->user, vcpu)
                                   : hd_hypercall_is_hyperdbg(vcpu);
    if (HD_UNLIKELY(own)) {
        vcpu->flags |= HD_VCPU_PROTECTED;
        verdict->flags |= HD_VERDICT_PROTECTED;
    } else {
        vcpu->flags &= (uint8_t)~HD_VCPU_PROTECTED;
    }
    return own;
}

/*
 * Take the current snapshot for this exit; 0 when no event is enabled (S1: nothing runs).
 *
 * Grace periods (snapshot_retire.c): with per-core counters the core's sequence is odd while it
 * holds a snapshot, and a fence orders that store before the snapshot load (Dekker's
 * pattern: without it x86 may let the load pass the store, and a writer could see "outside"
 * while the core reads the old set). A backend with run_on_every_core proves grace periods by
 * IPI instead — dispatch runs with interrupts off, so the IPI waits for the exit to end — and
 * its exits skip the store and, above all, the MFENCE (30-45 cycles, more than the rest of a
 * no-match exit). ipi_grace is fixed at engine creation, so the branch always goes one way.
 */
static uintptr_t snapshot_hold(struct hd_engine *e, struct hd_core *core)
{
    if (!hd_load_relaxed(&e->armed))
        return 0;
    if (!e->ipi_grace) {
        hd_store_relaxed(&core->seq, core->seq + 1); /* odd: holds a snapshot */
        hd_fence_store_load();
    }
    return hd_load_acquire(&e->current_word);
}

static void snapshot_release(const struct hd_engine *e, struct hd_core *core)
{
    if (!e->ipi_grace)
        hd_store_release(&core->seq, core->seq + 1); /* even: quiescent */
}

/* A two-call exit's post pass ran or was given up: the core holds nothing any more. */
static void post_pending_end(struct hd_core *core)
{
    core->post_pending = false;
    core->exit_word = 0;
    hd_store_release(&core->seq, core->seq + 1); /* even, in both modes */
}

/*
 * Everything the pre pass does once an event is enabled (or a two-call exit was left
 * pending); returns whether a post pass is owed and the snapshot held in *word. Out of line,
 * so that the disarmed exit stays a short path that saves almost no register.
 */
static bool pre_pass_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                          void *context, bool protected_call, struct hd_verdict *verdict,
                          uintptr_t *word)
{
    if (HD_UNLIKELY(core->post_pending))
        post_pending_end(core); /* the backend skipped the post pass of its last exit */
    *word = snapshot_hold(e, core);
    if (!*word)
        return false;
    /* S10/S12: a post pass over the VMCALL set, unless short-circuited. */
    return run_pass(e, core, *word, vcpu, vcpu->core, context, HD_STAGE_PRE, protected_call,
                    verdict) &&
           !(verdict->flags & HD_VERDICT_SHORT_CIRCUIT);
}

/* ---- one pass ---------------------------------------------------------------------------- */

static inline uint64_t shape_key(uint32_t shape, uint32_t core, uint32_t pid);
static inline void run_list(struct hd_pass *p, const struct hd_snap_list *l)
    __attribute__((__always_inline__));
static bool collect(uintptr_t word, uint32_t core, uint32_t pid, bool post,
                    struct hd_lists *out) __attribute__((__noinline__));
static void run_lists(struct hd_pass *p, struct hd_lists *l) __attribute__((__noinline__));
static void run_protected(struct hd_pass *p, struct hd_lists *l, const struct hd_vcpu *vcpu)
    __attribute__((__noinline__));

/* Find and run one pass's events; returns whether the set holds post events for this exit. */
static inline bool run_pass(struct hd_engine *e, struct hd_core *core, uintptr_t word,
                            struct hd_vcpu *vcpu, uint32_t core_index, void *context,
                            enum hd_stage stage, bool protected_call, struct hd_verdict *verdict)
{
    struct hd_lists lists;
    struct hd_pass p = {
        .e = e, .core = core, .vcpu = vcpu, .regs = vcpu->regs, .guest = vcpu->regs,
        .context = context, .core_index = core_index, .stage = stage,
        .protected_call = protected_call, .verdict = verdict,
    };
    uint32_t shapes = hd_snap_shapes(word);
    bool post;

    if (HD_UNLIKELY(protected_call))
        verdict->flags |= HD_VERDICT_PROTECTED;
    if (HD_LIKELY(!(shapes & (shapes - 1)) && !protected_call)) {
        /* One key shape (or none): one probe, one list, nothing to merge. */
        const struct hd_snap_bucket *b;
        const struct hd_snap_list *l;
        if (!shapes)
            return false; /* an empty set, published after the armed test */
        b = hd_snap_find(word, shape_key((uint32_t)__builtin_ctz(shapes), core_index, vcpu->pid));
        if (!b)
            return false;
        l = stage == HD_STAGE_POST ? b->post : b->pre;
        if (l)
            run_list(&p, l);
        return b->post != NULL;
    }
    post = collect(word, core_index, vcpu->pid, stage == HD_STAGE_POST, &lists);
    if (protected_call) {
        if (lists.count)
            run_protected(&p, &lists, vcpu);
    } else if (lists.count) {
        run_lists(&p, &lists);
    }
    return post;
}

/* The key of key shape @shape (bit 1: core is all, bit 0: pid is all) for this exit. */
static inline uint64_t shape_key(uint32_t shape, uint32_t core, uint32_t pid)
{
    return hd_snap_key(shape & 2u ? HD_ALL : core, shape & 1u ? HD_ALL : pid);
}

/* ---- one event ----------------------------------------------------------------------- */

static inline void run_event(struct hd_pass *p, const struct hd_snap_entry *en)
    __attribute__((__always_inline__));

static void run_chunks(struct hd_pass *p, const struct hd_snap_list *l)
    __attribute__((__noinline__));

/* One list, in order: the usual case (one key shape matches), nothing to merge. */
static inline void run_list(struct hd_pass *p, const struct hd_snap_list *l)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);

    if (HD_UNLIKELY(l->chunks != 1)) {
        run_chunks(p, l); /* a long list: chunk by chunk */
        return;
    }
    for (uint32_t count = l->count; count; count--, en = hd_snap_entry_next(en))
        run_event(p, en);
}

static void bump(uint64_t *counter)
{
    /* Only this core writes its counter line: a load and a store, never a locked add. */
    hd_store_relaxed(counter, hd_load_relaxed(counter) + 1);
}

static void hook_fill(struct hd_hook *hook, const struct hd_pass *p,
                      const struct hd_snap_entry *en);
static void run_other_action(struct hd_pass *p, const struct hd_snap_entry *en,
                             const struct hd_snap_action *a, uint8_t *buffer,
                             struct hd_hook *hook, bool *hooked) __attribute__((__noinline__));
static void deliver(struct hd_pass *p, const struct hd_snap_entry *en,
                    const struct hd_snap_action *a, const uint8_t *buffer, const void *returned)
    __attribute__((__noinline__));
static void trace_action(const struct hd_pass *p, const struct hd_snap_entry *en,
                         const struct hd_snap_action *a, uint32_t index)
    __attribute__((__noinline__));

/*
 * Inlined into the pass: with the lookup, the list walk and this in one function, an exit
 * with one raw-code event makes no call but the two into the code (each level of calls
 * cost 12 pushes and pops, as much as the code call itself).
 */
static inline void run_event(struct hd_pass *p, const struct hd_snap_entry *en)
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
            holds = hd__arch_call_raw(en->cond.code, (uintptr_t)p->regs, (uintptr_t)p->context,
                                     0);
        } else {
            hook_fill(&hook, p, en);
            hooked = true;
            holds = en->cond.native->fn(&hook);
        }
        if (!holds) {
            bump(&counters->condition_false); /* S6: none of its actions run */
            return;
        }
    }
    p->verdict->fired++;

    for (uint32_t i = 0; i < en->action_count; i++, a++) { /* S7: in the order given */
        /* Per-core buffers, each rounded up to whole lines (event.c): no shared lines. */
        uint8_t *buffer = a->buffers ? a->buffers + (size_t)p->core_index *
                                                        hd_align_up(a->buffer_size, HD_CACHELINE)
                                     : NULL;
        if (HD_LIKELY(a->type == HD_ACTION_CODE)) {
            const void *returned = (const void *)(uintptr_t)hd__arch_call_raw(
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

/* ---- the rare paths ------------------------------------------------------------------ */

/* A long list, chunk by chunk. */
static void run_chunks(struct hd_pass *p, const struct hd_snap_list *l)
{
    const struct hd_snap_chunk *c = hd_snap_list_chunks(l);

    for (uint32_t k = 0; k < l->chunks; k++, c++) {
        const struct hd_snap_entry *en = c->first;
        for (uint32_t count = c->count; count; count--, en = hd_snap_entry_next(en))
            run_event(p, en);
    }
}

static void cursor_start(struct hd_cursor *c, const struct hd_snap_list *l)
{
    if (l->chunks == 1) {
        c->en = hd_snap_list_records(l);
        c->left = l->count;
        c->chunks = 0;
    } else {
        c->chunk = hd_snap_list_chunks(l);
        c->en = c->chunk->first;
        c->left = c->chunk->count;
        c->chunk++;
        c->chunks = l->chunks - 1;
    }
}

/* Step past the record at hand; false when the list is done. */
static bool cursor_next(struct hd_cursor *c)
{
    if (--c->left) {
        c->en = hd_snap_entry_next(c->en);
        return true;
    }
    if (!c->chunks)
        return false;
    c->en = c->chunk->first;
    c->left = c->chunk->count;
    c->chunk++;
    c->chunks--;
    return true;
}

/*
 * Collect the pre or post lists for (core, pid) when events have more than one key shape;
 * returns whether any post list exists.
 */
static bool collect(uintptr_t word, uint32_t core, uint32_t pid, bool post,
                    struct hd_lists *out)
{
    bool any_post = false;

    out->count = 0;
    /* Only the key shapes some event has (bit k: core is all << 1 | pid is all). */
    for (uint32_t shapes = hd_snap_shapes(word); shapes; shapes &= shapes - 1) {
        uint32_t k = (uint32_t)__builtin_ctz(shapes);
        const struct hd_snap_bucket *b;
        const struct hd_snap_list *l;
        if (pid == HD_ALL && !(k & 1u))
            continue; /* same key as the pid-is-all shape after it */
        b = hd_snap_find(word, shape_key(k, core, pid));
        if (!b)
            continue;
        any_post |= b->post != NULL;
        l = post ? b->post : b->pre;
        if (l)
            cursor_start(&out->at[out->count++], l);
    }
    return any_post;
}

/* Merge the lists by tag, which is registration order: every event once, oldest first (S8). */
static void run_lists(struct hd_pass *p, struct hd_lists *l)
{
    while (l->count) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < l->count; k++)
            if (l->at[k].en->tag < l->at[best].en->tag)
                best = k;
        run_event(p, l->at[best].en);
        if (!cursor_next(&l->at[best]))
            l->at[best] = l->at[--l->count];
    }
}

/*
 * The hypervisor's own hypercall: the hooks work on a copy of the registers (and a vCPU view
 * pointing at it), refreshed for each event, so whatever they write is discarded (S14). The
 * view has no backend_data: through it a hook could reach the backend's own state (the VMX
 * layer's points at the real guest frame) and trigger or suppress the call after all. Out of
 * line: its 200 bytes of stack stay off the ordinary exit's frame.
 */
static void run_protected(struct hd_pass *p, struct hd_lists *l, const struct hd_vcpu *vcpu)
{
    struct hd_guest_regs copy;
    struct hd_vcpu view = *vcpu;
    view.regs = &copy;
    view.backend_data = NULL;
    p->regs = &copy;
    p->vcpu = &view;
    run_lists(p, l);
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
        .user = en->condition == HD_CONDITION_NATIVE ? en->cond.native->user : NULL,
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

/* Break, native and script actions: out of the raw-code path's way. */
static void run_other_action(struct hd_pass *p, const struct hd_snap_entry *en,
                             const struct hd_snap_action *a, uint8_t *buffer,
                             struct hd_hook *hook, bool *hooked)
{
    const struct hd_script *s = a->run.script;

    switch (a->type) {
    case HD_ACTION_SCRIPT: /* a filter and nothing else runs as its compares, right here */
        if ((s->fast_only ? hd__script_filter(s, (const uint64_t *)(const void *)p->regs,
                                              p->vcpu->pid, p->core_index)
                          : run_script(p, en, a, buffer)) &&
            p->stage == HD_STAGE_PRE && !p->protected_call) /* judged as a hook's (S12, S14) */
            p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
        break;
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
    default:
        break;
    }
}

/* S18: a returned pointer inside this core's buffer makes the rest of the buffer a message. */
static void deliver(struct hd_pass *p, const struct hd_snap_entry *en,
                    const struct hd_snap_action *a, const uint8_t *buffer, const void *returned)
{
    uintptr_t r = (uintptr_t)returned, start = (uintptr_t)buffer;
    if (r < start || r - start >= a->buffer_size)
        return;
    hd__message_push(p->e, p->core, en->tag, a->immediate, (const uint8_t *)returned,
                    (uint32_t)(a->buffer_size - (r - start)));
}

/* The on_action trace (simulators, tests): off in kernels, so out of line. */
static void trace_action(const struct hd_pass *p, const struct hd_snap_entry *en,
                         const struct hd_snap_action *a, uint32_t index)
{
    const struct hd_action_info info = {
        .tag = en->tag, .index = index, .type = (enum hd_action_type)a->type,
        .stage = p->stage, .vcpu = p->vcpu,
    };
    p->e->on_action(p->e->user, &info);
}
