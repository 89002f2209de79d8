/* SPDX-License-Identifier: MIT */
/*
 * The hot path: one VMCALL exit, from the entry a backend calls down to the events it runs.
 *
 * Read top to bottom: the entries — the two-call form for hypervisors that handle the VMCALL
 * themselves, the end of an exit whose hook a backend stopped (hd_dispatch_vmcall_abandon),
 * and the own-hypercall decision for exits that skip dispatch — then the two-call pre pass.
 * The one-call form every in-tree backend uses is dispatch_exit.c; what both forms share
 * (the record's checks, holding a snapshot, one pass) is internal/dispatch_entry.h; the
 * lookup and one event are internal/dispatch.h; the walk of leaf events is dispatch_leaf.c;
 * the merge of several lists, long lists and own hypercalls are dispatch_lists.c; native
 * hooks, break and script actions, messages and tracing are dispatch_hooks.c.
 *
 * Runs in VMX root on any core, concurrently, with interrupts off. No allocation, no lock, no
 * locked instruction, no SIMD (the core is built with -mgeneral-regs-only). The cost does not
 * grow with events that cannot match: a hash probe finds the list of (this core, this pid),
 * (this core, any pid), (any core, this pid) or (any core, any pid) — only for the key
 * shapes some event has, usually one — in registration order. A set of one key is a direct
 * list, whose key is one compare; so is each core's part of a set whose events are all bound
 * to cores with any pid (hd_core.word). The lists hold copies of the events' hot fields
 * (internal/snapshot.h), so dispatch never follows a pointer to an event.
 *
 * Shape of the code: an entry checks the record and, when an event may match on this core
 * (hd_core.may_match), holds the snapshot and jumps (a tail call: no frame of its own) to the
 * function that looks the events up; for the usual set (a direct list) that test needs no
 * frame either, and the walk is one more tail call, with no call but those into the hooks.
 * Exit handlers that test hd_vmcall_armed() first (the backends do) call nothing at all
 * while no event is enabled.
 */
#include "internal/dispatch_entry.h"

static enum hd_status pre_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                               void *context, struct hd_verdict *verdict)
    __attribute__((__noinline__));
static enum hd_status pre_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
    __attribute__((__noinline__));
static enum hd_status pre_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status pre_direct(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                 struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
    __attribute__((__noinline__));
static enum hd_status pre_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
    __attribute__((__noinline__));
static enum hd_status pre_find_pid(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                   struct hd_verdict *verdict, uintptr_t word,
                                   uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status pre_find_known(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                     struct hd_verdict *verdict, uintptr_t word,
                                     uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status pre_lookup(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                 struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
    __attribute__((__noinline__));
static enum hd_status pre_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_list *l)
    __attribute__((__noinline__));
static enum hd_status pre_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                   struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static void pre_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                       struct hd_verdict *verdict, uintptr_t word,
                       struct hd_exit_record *record) __attribute__((__always_inline__));

/* ---- the entries ---------------------------------------------------------------------- */

/*
 * The two-call form: the pre pass. When it sets HD_VERDICT_POST the core keeps the snapshot
 * (and the own-hypercall decision) for hd_dispatch_vmcall_post(), and marks itself as holding
 * it in every grace-period mode, since the caller may run with interrupts on in between: a
 * writer's IPI then proves nothing about this core, and reclaim waits for the post pass.
 *
 * Until it has found events it makes no call, so an exit whose lookup finds nothing needs no
 * frame; with events it jumps (a tail call) to the function that runs them.
 */
enum hd_status hd_dispatch_vmcall(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  struct hd_verdict *verdict)
{
    struct hd_core *core = hd__exit_core(e, vcpu);
    uintptr_t word;

    verdict->flags = 0;
    verdict->fired = 0;
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (HD_UNLIKELY(!hd__plain_exit(e, core, vcpu)))
        return pre_slow(e, core, vcpu, context, verdict);
    word = hd__snapshot_hold(e, core, &core->may_match);
    if (!word)
        return HD_OK; /* S1: nothing enabled (on this core), nothing runs */
    /* a tail call: no frame here */
    return pre_held(e, vcpu, context, verdict, word, hd__dispatch_hold_seq(e, core));
}

/* The two-call form: the post pass, on the core and the set of the pre pass that asked. */
enum hd_status hd_dispatch_vmcall_post(struct hd_engine *e, struct hd_vcpu *vcpu,
                                       void *context, struct hd_verdict *verdict)
{
    struct hd_core *core = hd__exit_core(e, vcpu);

    verdict->flags = 0;
    verdict->fired = 0;
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (!core->post_pending)
        return HD_ERR_NO_PRE_PASS;
    hd__run_pass(e, core->exit_word, vcpu, vcpu->core, context, HD_STAGE_POST,
                 core->exit_protected, core->exit_nr, verdict, hd__record_open(e, core));
    hd__post_pending_end(core);
    if (HD_UNLIKELY(core->record_open))
        hd__record_close(e, core, vcpu->regs, true);
    return HD_OK;
}

/*
 * The two-call form's end of an exit without a post pass: the error path of one that asked
 * for it, and, while recording, the one call that knows the registers after the handling.
 */
enum hd_status hd_dispatch_vmcall_end(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    struct hd_core *core = hd__exit_core(e, vcpu);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (core->post_pending)
        hd__post_pending_end(core);
    if (core->record_open)
        hd__record_close(e, core, vcpu->regs, false);
    return HD_OK;
}

/*
 * A backend stopped a hook that never returned: the exit's frames are gone, its hold is not.
 * Ends it as the exit itself would have: a pending two-call exit as hd_dispatch_vmcall_end()
 * does, an exit of either form holding its snapshot under counter grace periods (sequence
 * odd, hd__snapshot_hold) as hd__dispatch_release() does. Under IPI grace periods an exit makes no
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
    core->record_open = false; /* an abandoned exit is not recorded (recorder.h) */
    if (core->post_pending)
        hd__post_pending_end(core);
    else if (hd_load_relaxed(&core->seq) & 1u)
        hd__dispatch_release(e, core);
    return HD_OK;
}

/*
 * The decision dispatch makes, for an exit handler that skipped it (hd_vmcall_armed()). The
 * header's macro of the same name inlines the default predicate's case; the parentheses
 * define the function itself.
 */
bool(hd_vmcall_own)(const struct hd_engine *e, struct hd_vcpu *vcpu)
{
    struct hd_verdict unused = {0, 0};
    return hd__decide_protected(e, vcpu, &unused);
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

/* The two-call pre pass off the short way: its own predicate, an own hypercall, a pending exit. */
static enum hd_status pre_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                               void *context, struct hd_verdict *verdict)
{
    bool protected_call = hd__decide_protected(e, vcpu, verdict);
    struct hd_found f;
    uintptr_t word;

    hd__exit_pending_end(e, core);
    word = hd__snapshot_hold(e, core, &e->armed);
    if (!word)
        return HD_OK;
    /* acquire: the rings hd_recorder_set() published before the flag (a plain load) */
    if (HD_UNLIKELY(hd_load_acquire(&e->recording) && core->records))
        return pre_recorded(e, vcpu, context, verdict, word);
    f = hd__dispatch_lookup(e, word, vcpu->core, vcpu, NULL);
    if (protected_call || f.pre || f.post)
        return pre_run(e, vcpu, context, verdict, word);
    hd__dispatch_release(e, core);
    return HD_OK;
}

/*
 * The walk of the two-call pre pass's one short list @l (hd__walkable()) and the end of the
 * hold (@hold_end: hd__dispatch_hold_seq()), by tail call: one command in a frame of its own
 * (hd__dispatch_command_*, _filter_*), a list that starts with a leaf record by
 * hd__dispatch_leaf_pre(), any other by pre_walk().
 */
static inline enum hd_status pre_list(struct hd_engine *e, struct hd_vcpu *vcpu,
                                      void *context, struct hd_verdict *verdict,
                                      const struct hd_snap_list *l, uint64_t *hold_end)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);

    switch (hd__dispatch_one_command(l)) { /* one `!vmcall … code {…}` (P1) or filter */
    case HD_SNAP_ONE_CODE:
        return en->condition == HD_SNAP_COND_NONE
                   ? hd__dispatch_command_pre(e, vcpu, context, verdict, l, hold_end)
                   : hd__dispatch_command_cond_pre(e, vcpu, context, verdict, l, hold_end);
    case HD_SNAP_ONE_FILTER:
        return hd__dispatch_filter_pre(e, vcpu, context, verdict, l, hold_end);
    default:
        break;
    }
    return en->leaf ? hd__dispatch_leaf_pre(e, vcpu, context, verdict, l)
                    : pre_walk(e, vcpu, context, verdict, l);
}

/*
 * The two-call pre pass holding snapshot @word. The usual event, unfiltered (a direct list of
 * the key that takes every exit: snapshot.h), is found here with no call and so no frame,
 * and the walk is a tail call; a direct list of another key — one key's filter — goes to
 * pre_direct(), every other form of set to pre_find(). @hold_end: the entry's
 * hd__dispatch_hold_seq(), which it had the core to compute, handed down to the walks that
 * end the hold.
 */
static enum hd_status pre_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);

    if (HD_UNLIKELY(!hd_snap_is_direct(word)))
        return pre_find(e, vcpu, context, verdict, word, hold_end);
    if (HD_LIKELY(d->key == hd_snap_key(HD_ALL, HD_ALL)))
        return pre_list(e, vcpu, context, verdict, &d->list, hold_end); /* the usual event */
    return pre_direct(e, vcpu, context, verdict, word, hold_end);
}

/*
 * A direct list whose key filters: the one key of the set, or this core's own list when
 * every event is bound to a core (pre_find(); its key, (this core, any pid), then always
 * takes the exit). Its key is tested with no call, then the walk by tail call; a key on a
 * pid the record does not hold yet (HD_VCPU_PID_LAZY) goes to pre_find_pid().
 */
static enum hd_status pre_direct(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                 struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);

    if ((uint32_t)d->key != HD_ALL && (vcpu->flags & HD_VCPU_PID_LAZY)) /* a pid to ask for */
        return pre_find_pid(e, vcpu, context, verdict, word, hold_end);
    if (!hd_snap_key_takes(d->key, vcpu->core, vcpu->pid)) {
        hd__dispatch_hold_end(hold_end); /* no event of this exit's key: S1 */
        return HD_OK;
    }
    return pre_list(e, vcpu, context, verdict, &d->list, hold_end);
}

/*
 * pre_held() for a set in another form. A tree of events all bound to cores with any pid
 * goes to pre_direct() with this core's own direct list (hd__core_own_word()), when it has
 * one. A key on a pid the record does not hold yet (HD_VCPU_PID_LAZY: the VMX layer's exits,
 * unless its glue reads the record afterwards) goes to pre_find_pid(), which asks for it in
 * a frame of its own; any other exit goes straight on to the probe (pre_find_known()). The test is a function of its own, with no
 * frame, so that neither pre_held()'s registers for the usual event nor the probe's are
 * spent on it.
 */
static enum hd_status pre_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
{
    uintptr_t own = hd__core_own_word(e, vcpu, word);

    if (own) /* a direct list of this core's key */
        return pre_direct(e, vcpu, context, verdict, own, hold_end);
    return hd__dispatch_needs_pid(word, vcpu)
               ? pre_find_pid(e, vcpu, context, verdict, word, hold_end)
               : pre_find_known(e, vcpu, context, verdict, word, hold_end);
}

/*
 * The usual set of another form (hd__dispatch_lookup_plain(): one key shape, or a plain `nr`
 * list), with the pid the key needs in the record: probed with no call (saving a few
 * registers, not the six of the general lookup's frame), then the walk by tail call; any
 * other set goes to pre_lookup().
 */
static inline __attribute__((__always_inline__)) enum hd_status
pre_probe(struct hd_engine *e, struct hd_vcpu *vcpu, void *context, struct hd_verdict *verdict,
          uintptr_t word, uint64_t *hold_end)
{
    struct hd_found f;

    if (HD_UNLIKELY(!hd__dispatch_lookup_plain(e, word, vcpu, &f)))
        return pre_lookup(e, vcpu, context, verdict, word, hold_end);
    if (HD_LIKELY(hd__walkable(f)))
        return pre_list(e, vcpu, context, verdict, f.pre, hold_end);
    if (f.pre || f.post)
        return pre_run(e, vcpu, context, verdict, word);
    hd__dispatch_hold_end(hold_end); /* no event of this exit's key: S1 */
    return HD_OK;
}

/* pre_probe() where the record holds the pid: the probe's saved registers are pushed here. */
static enum hd_status pre_find_known(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                     struct hd_verdict *verdict, uintptr_t word,
                                     uint64_t *hold_end)
{
    return pre_probe(e, vcpu, context, verdict, word, hold_end);
}

/* pre_probe() with the pid asked for first: the only call on the way, so the frame is here. */
static enum hd_status pre_find_pid(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                   struct hd_verdict *verdict, uintptr_t word,
                                   uint64_t *hold_end)
{
    hd__dispatch_ask_pid(e, vcpu);
    return pre_probe(e, vcpu, context, verdict, word, hold_end);
}

/* pre_probe() for a set in any form: the general lookup, then the walk or pre_run(). */
static enum hd_status pre_lookup(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                 struct hd_verdict *verdict, uintptr_t word, uint64_t *hold_end)
{
    struct hd_found f = hd__dispatch_lookup(e, word, vcpu->core, vcpu, NULL);

    if (hd__walkable(f))
        return pre_list(e, vcpu, context, verdict, f.pre, hold_end);
    if (f.pre || f.post)
        return pre_run(e, vcpu, context, verdict, word);
    hd__dispatch_hold_end(hold_end); /* no event of this exit's keys: S1 */
    return HD_OK;
}

/* pre_held()'s walk of the list @l (hd__walkable()) in general, then the end of the hold. */
static enum hd_status pre_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_list *l)
{
    uint32_t core_index = vcpu->core;

    hd__walk(e, vcpu, core_index, context, HD_STAGE_PRE, verdict, l);
    hd__dispatch_release(e, &e->cores[core_index]);
    return HD_OK;
}

/*
 * The two-call pre pass in general, over the snapshot @word (held): when the set has post
 * events for this exit, the core keeps the set for the post pass. @record: the exit's
 * record while recording, or NULL.
 */
static inline void pre_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              struct hd_verdict *verdict, uintptr_t word,
                              struct hd_exit_record *record)
{
    uint32_t core_index = vcpu->core;
    struct hd_core *core = &e->cores[core_index];
    bool protected_call = (verdict->flags & HD_VERDICT_PROTECTED) != 0;
    uint64_t nr = hd__dispatch_nr(word, vcpu); /* before any hook: kept for the post pass */

    if (hd__run_pass(e, word, vcpu, core_index, context, HD_STAGE_PRE, protected_call, nr,
                     verdict, record) &&
        !(verdict->flags & HD_VERDICT_SHORT_CIRCUIT)) {
        verdict->flags |= HD_VERDICT_POST; /* S10, S12 */
        core->exit_word = word;
        core->exit_nr = nr;
        core->exit_protected = protected_call;
        core->post_pending = true;
        if (e->grace == HD_GRACE_IPI) /* the counter modes made seq odd already */
            hd_store_release(&core->seq, core->seq + 1);
        return;
    }
    hd__dispatch_release(e, core);
}

static enum hd_status pre_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              struct hd_verdict *verdict, uintptr_t word)
{
    pre_passes(e, vcpu, context, verdict, word, NULL);
    return HD_OK;
}

/*
 * A two-call pre pass while recording (recorder.h): the core's next record starts as the
 * exit comes and stays open for the call that ends the exit — the post pass, or
 * hd_dispatch_vmcall_end() — which knows the registers after the handling.
 */
static enum hd_status pre_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                   struct hd_verdict *verdict, uintptr_t word)
{
    struct hd_core *core = &e->cores[vcpu->core];
    struct hd_exit_record *rec = hd__record_begin(e, core, vcpu);

    hd__dispatch_pid(e, vcpu); /* the record names the process even when no event asks */
    pre_passes(e, vcpu, context, verdict, word, rec);
    hd__record_leave_open(core, rec, vcpu, verdict->flags);
    return HD_OK;
}
