/* SPDX-License-Identifier: MIT */
/*
 * The hot path: one VMCALL exit, from the entry a backend calls down to the events it runs.
 *
 * Read top to bottom: the entries — hd_dispatch_vmcall_exit(), the one every in-tree backend
 * uses, then the two-call form for hypervisors that handle the VMCALL themselves, the end of
 * an exit whose hook a backend stopped (hd_dispatch_vmcall_abandon), and the own-hypercall
 * decision for exits that skip dispatch — then the armed exit (holding and releasing a
 * snapshot), and one pass: the walk of one list. The lookup and one event are
 * internal/dispatch.h; the walk of leaf events is dispatch_leaf.c; the merge of several
 * lists, long lists and own hypercalls are dispatch_lists.c; native hooks, break and script
 * actions, messages and tracing are dispatch_hooks.c.
 *
 * Runs in VMX root on any core, concurrently, with interrupts off. No allocation, no lock, no
 * locked instruction, no SIMD (the core is built with -mgeneral-regs-only). The cost does not
 * grow with events that cannot match: a hash probe finds the list of (this core, this pid),
 * (this core, any pid), (any core, this pid) or (any core, any pid) — only for the key
 * shapes some event has, usually one — in registration order. The lists hold copies of the
 * events' hot fields (internal/snapshot.h), so dispatch never follows a pointer to an event.
 *
 * Shape of the code: an entry checks the record and, when an event may match on this core
 * (hd_core.may_match), holds the snapshot and jumps (a tail call: no frame of its own) to the
 * function that looks the events up; for the usual set (a direct list) that test needs no
 * frame either, and the walk is one more tail call, with no call but those into the hooks.
 * Exit handlers that test hd_vmcall_armed() first (the backends do) call nothing at all
 * while no event is enabled.
 */
#include "internal/dispatch.h"

static bool plain_exit(const struct hd_engine *e, const struct hd_core *core,
                       struct hd_vcpu *vcpu) __attribute__((__always_inline__));
static uintptr_t snapshot_hold(struct hd_engine *e, struct hd_core *core, const uint8_t *armed)
    __attribute__((__always_inline__));
static bool walkable(struct hd_found f) __attribute__((__always_inline__));
static enum hd_status exit_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                                void *context, const struct hd_exit_call *call)
    __attribute__((__noinline__));
static enum hd_status exit_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status exit_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status exit_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status exit_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                    const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status pre_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                               void *context, struct hd_verdict *verdict)
    __attribute__((__noinline__));
static enum hd_status pre_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status pre_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status pre_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status pre_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_list *l)
    __attribute__((__noinline__));
static bool decide_protected(const struct hd_engine *e, struct hd_vcpu *vcpu,
                             struct hd_verdict *verdict) __attribute__((__always_inline__));
static void post_pending_end(struct hd_core *core);
static void exit_pending_end(struct hd_engine *e, struct hd_core *core);
static enum hd_status pre_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                   struct hd_verdict *verdict, uintptr_t word)
    __attribute__((__noinline__));
static void pre_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                       struct hd_verdict *verdict, uintptr_t word,
                       struct hd_exit_record *record) __attribute__((__always_inline__));
static void walk(struct hd_engine *e, struct hd_vcpu *vcpu, uint32_t core_index, void *context,
                 enum hd_stage stage, struct hd_verdict *verdict, const struct hd_snap_list *l)
    __attribute__((__always_inline__));
static bool run_pass(struct hd_engine *e, uintptr_t word, struct hd_vcpu *vcpu,
                     uint32_t core_index, void *context, enum hd_stage stage,
                     bool protected_call, uint64_t nr, struct hd_verdict *verdict,
                     struct hd_exit_record *record) __attribute__((__always_inline__));
static void exit_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                        const struct hd_exit_call *call, uintptr_t word,
                        struct hd_exit_record *record) __attribute__((__always_inline__));

/* The core's state, or NULL for a record dispatch must refuse (nothing may run then). */
static inline struct hd_core *exit_core(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    if (HD_UNLIKELY(vcpu->core >= e->core_count || !vcpu->regs))
        return NULL;
    return &e->cores[vcpu->core];
}

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
    const struct hd_exit_call call = {handle, user, out};
    struct hd_core *core;
    uintptr_t word;

    hd_memset(out, 0, sizeof(*out));
    core = exit_core(e, vcpu);
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU; /* nothing ran: the backend answers the VMCALL itself */
    if (HD_UNLIKELY(!plain_exit(e, core, vcpu)))
        return exit_slow(e, core, vcpu, context, &call);
    word = snapshot_hold(e, core, &core->may_match);
    if (word)
        return exit_held(e, vcpu, context, &call, word);
    out->default_handled = true;
    if (handle)
        handle(user, vcpu);
    else
        hd_vmcall_default(user, vcpu); /* a direct call: no function address, no GOT */
    return HD_OK;
}

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
    struct hd_core *core = exit_core(e, vcpu);
    uintptr_t word;

    verdict->flags = 0;
    verdict->fired = 0;
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (HD_UNLIKELY(!plain_exit(e, core, vcpu)))
        return pre_slow(e, core, vcpu, context, verdict);
    word = snapshot_hold(e, core, &core->may_match);
    if (!word)
        return HD_OK; /* S1: nothing enabled (on this core), nothing runs */
    return pre_held(e, vcpu, context, verdict, word); /* a tail call: no frame here */
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
    run_pass(e, core->exit_word, vcpu, vcpu->core, context, HD_STAGE_POST, core->exit_protected,
             core->exit_nr, verdict, hd__record_open(e, core));
    post_pending_end(core);
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
    struct hd_core *core = exit_core(e, vcpu);

    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU;
    if (core->post_pending)
        post_pending_end(core);
    if (core->record_open)
        hd__record_close(e, core, vcpu->regs, false);
    return HD_OK;
}

/*
 * A backend stopped a hook that never returned: the exit's frames are gone, its hold is not.
 * Ends it as the exit itself would have: a pending two-call exit as hd_dispatch_vmcall_end()
 * does, an exit of either form holding its snapshot under counter grace periods (sequence
 * odd, snapshot_hold) as hd__dispatch_release() does. Under IPI grace periods an exit makes no
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
        post_pending_end(core);
    else if (hd_load_relaxed(&core->seq) & 1u)
        hd__dispatch_release(e, core);
    return HD_OK;
}

/* The decision dispatch makes, for an exit handler that skipped it (hd_vmcall_armed()). */
bool hd_vmcall_own(const struct hd_engine *e, struct hd_vcpu *vcpu)
{
    struct hd_verdict unused = {0, 0};
    return decide_protected(e, vcpu, &unused);
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

/* ---- the exit's frame ------------------------------------------------------------------- */

/*
 * The exits the entries take the short way: the backend gave neither its own predicate
 * (S14/S15: decide_protected() decides on the slow path) nor an action trace (the general
 * path traces), the default predicate says no, recording is off (the recorder's one cost
 * when off: those bytes are one load from the engine line every exit reads: slow_way) and no
 * two-call exit was left pending on this core, with its post pass or its record (which the
 * slow way closes before this exit could give it its registers: recording may have gone off
 * since). So the short way's walks never trace.
 */
static inline bool plain_exit(const struct hd_engine *e, const struct hd_core *core,
                              struct hd_vcpu *vcpu)
{
    if (hd_load_relaxed(&e->slow_way) || core->post_pending || core->record_open ||
        hd_hypercall_is_hyperdbg(vcpu))
        return false;
    vcpu->flags &= (uint8_t)~HD_VCPU_PROTECTED;
    return true;
}

/*
 * S14/S15: the one place that decides whether this VMCALL is the hypervisor's own. Made once
 * per exit, before any hook runs (hooks cannot talk their way into or out of it), and told to
 * the backend in vcpu->flags and to the caller in the verdict.
 */
static inline bool decide_protected(const struct hd_engine *e, struct hd_vcpu *vcpu,
                                    struct hd_verdict *verdict)
{
    bool own;

    if (e->is_own_hypercall) {
        hd__dispatch_pid(e, vcpu); /* the backend's predicate sees the whole record */
        own = e->is_own_hypercall(e->user, vcpu);
    } else {
        own = hd_hypercall_is_hyperdbg(vcpu);
    }
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
 * @armed: the engine's `armed`, or on the short way (plain_exit()) the core's may_match,
 * which is off also while every enabled event names other cores: such an exit leaves here,
 * before it marks the core or loads the snapshot (issue 16). The slow ways test the engine's
 * byte, so a recording engine still records every armed exit.
 *
 * Grace periods (snapshot_retire.c): with per-core counters the core's sequence is odd while it
 * holds a snapshot. Between that store and the snapshot load x86 may reorder (Dekker's
 * pattern), so either the exit fences (HD_GRACE_FENCE: MFENCE, 30-45 cycles, more than the
 * rest of a one-event exit) or the writer makes every core execute a barrier before it reads
 * the counters (HD_GRACE_BARRIER: two plain stores per exit). A backend with
 * run_on_every_core proves grace periods by IPI instead (HD_GRACE_IPI) — dispatch runs with
 * interrupts off, so the IPI waits for the exit to end — and its exits touch no counter. The
 * mode is fixed at engine creation, so these branches always go one way.
 */
static inline uintptr_t snapshot_hold(struct hd_engine *e, struct hd_core *core,
                                      const uint8_t *armed)
{
    uintptr_t word;

    /* acquire: may_match is set after the word is published (hd__snapshot_publish) */
    if (!hd_load_acquire(armed))
        return 0;
    if (e->grace != HD_GRACE_IPI) {
        hd_store_relaxed(&core->seq, core->seq + 1); /* odd: holds a snapshot */
        if (e->grace == HD_GRACE_FENCE)
            hd_fence_store_load();
    }
    word = hd_load_acquire(&e->current_word);
    if (!word) /* never: an empty set is a word of its own (hd__snapshot_init) */
        __builtin_unreachable(); /* so the callers' test of the result goes */
    return word;
}

/* A two-call exit's post pass ran or was given up: the core holds nothing any more. */
static void post_pending_end(struct hd_core *core)
{
    core->post_pending = false;
    core->exit_word = 0;
    hd_store_release(&core->seq, core->seq + 1); /* even, in every mode */
}

/*
 * A new exit on a core whose last two-call exit the backend did not end: its post pass is
 * given up, and its record (recorder.h) published without the registers after it.
 */
static void exit_pending_end(struct hd_engine *e, struct hd_core *core)
{
    if (core->post_pending)
        post_pending_end(core);
    if (HD_UNLIKELY(core->record_open))
        hd__record_close(e, core, NULL, false);
}

/* The one-call form off the short way: its own predicate, an own hypercall, a pending exit. */
static enum hd_status exit_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                                void *context, const struct hd_exit_call *call)
{
    bool protected_call = decide_protected(e, vcpu, &call->out->pre);
    uintptr_t word;

    exit_pending_end(e, core);
    word = snapshot_hold(e, core, &e->armed);
    if (word) {
        struct hd_found f;
        /* acquire: the rings hd_recorder_set() published before the flag (a plain load) */
        if (HD_UNLIKELY(hd_load_acquire(&e->recording) && core->records))
            return exit_recorded(e, vcpu, context, call, word);
        f = hd__dispatch_lookup(e, word, vcpu->core, vcpu, NULL);
        if (protected_call || f.pre || f.post)
            return exit_run(e, vcpu, context, call, word);
        hd__dispatch_release(e, core);
    }
    hd__dispatch_handle(call, vcpu);
    return HD_OK;
}

/*
 * The one-call exit holding snapshot @word. The usual event, unfiltered and made by one
 * `!vmcall … code {…}` (hd__dispatch_leaf_one()), is found here with no call and so no frame
 * and runs in the leaf walk's small frame (a tail call); every other set goes to exit_find().
 */
static enum hd_status exit_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);

    if (HD_LIKELY(hd_snap_is_direct(word)) && d->key == hd_snap_key(HD_ALL, HD_ALL) &&
        hd__dispatch_leaf_one(&d->list))
        return hd_snap_list_records(&d->list)->condition == HD_SNAP_COND_NONE
                   ? hd__dispatch_leaf_one_exit(e, vcpu, context, call, &d->list)
                   : hd__dispatch_leaf_one_cond_exit(e, vcpu, context, call, &d->list);
    return exit_find(e, vcpu, context, call, word);
}

/*
 * exit_held() for a set in any form: the lookup, and the usual exit — the walk of one short
 * list (walkable()), the handling, the end of the hold — in one frame; anything else goes on
 * to exit_run().
 */
static enum hd_status exit_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word)
{
    uint32_t core_index = vcpu->core;
    struct hd_found f = hd__dispatch_lookup(e, word, core_index, vcpu, NULL);

    if (walkable(f)) {
        if (hd_snap_list_records(f.pre)->leaf)
            hd__dispatch_leaf_exit(e, vcpu, context, &call->out->pre, f.pre);
        else
            walk(e, vcpu, core_index, context, HD_STAGE_PRE, &call->out->pre, f.pre);
        if (!(call->out->pre.flags & HD_VERDICT_SHORT_CIRCUIT))
            hd__dispatch_handle(call, vcpu); /* S12: skipped, RIP still advances */
        hd__dispatch_release(e, &e->cores[core_index]);
        return HD_OK;
    }
    if (f.pre || f.post)
        return exit_run(e, vcpu, context, call, word);
    hd__dispatch_release(e, &e->cores[core_index]); /* no event of this exit's keys: S1 here */
    hd__dispatch_handle(call, vcpu);
    return HD_OK;
}

/*
 * The one-call form in general: the pre pass over the snapshot @word (held), the handling
 * unless short-circuited (S12), the post pass when the set has post events for this exit
 * (S10), then the end of the hold. @record: the exit's record while recording, or NULL.
 */
static inline void exit_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               const struct hd_exit_call *call, uintptr_t word,
                               struct hd_exit_record *record)
{
    /* Kept from the checked record: the post pass indexes per-core state with it, whatever a
     * handler does to the record (dispatch.h: it must leave regs and core alone). */
    uint32_t core_index = vcpu->core;
    struct hd_exit *out = call->out;
    bool protected_call = (out->pre.flags & HD_VERDICT_PROTECTED) != 0;
    uint64_t nr = hd__dispatch_nr(word, vcpu); /* before any hook or the handling */
    bool post = run_pass(e, word, vcpu, core_index, context, HD_STAGE_PRE, protected_call, nr,
                         &out->pre, record);

    if (out->pre.flags & HD_VERDICT_SHORT_CIRCUIT)
        post = false; /* S12: no default handling, no post pass; RIP still advances */
    else
        hd__dispatch_handle(call, vcpu);
    if (post) { /* S10: the post pass runs on the VMCALL set the pre pass found */
        out->pre.flags |= HD_VERDICT_POST;
        run_pass(e, word, vcpu, core_index, context, HD_STAGE_POST, protected_call, nr,
                 &out->post, record);
        out->post_ran = true;
    }
    hd__dispatch_release(e, &e->cores[core_index]);
}

static enum hd_status exit_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               const struct hd_exit_call *call, uintptr_t word)
{
    exit_passes(e, vcpu, context, call, word, NULL);
    return HD_OK;
}

/*
 * A one-call exit while recording (recorder.h): exit_run()'s passes between the start of the
 * core's next record, written in place in its ring (the registers as they came), and its end
 * (the registers as they leave, the verdict); the passes add the tags of the events that fire.
 */
static enum hd_status exit_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                    const struct hd_exit_call *call, uintptr_t word)
{
    struct hd_core *core = &e->cores[vcpu->core];
    struct hd_exit_record *rec = hd__record_begin(e, core, vcpu);

    hd__dispatch_pid(e, vcpu); /* the record names the process even when no event asks */
    exit_passes(e, vcpu, context, call, word, rec);
    hd__record_end(core, rec, vcpu, call->out);
    return HD_OK;
}

/* The two-call pre pass off the short way: its own predicate, an own hypercall, a pending exit. */
static enum hd_status pre_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                               void *context, struct hd_verdict *verdict)
{
    bool protected_call = decide_protected(e, vcpu, verdict);
    struct hd_found f;
    uintptr_t word;

    exit_pending_end(e, core);
    word = snapshot_hold(e, core, &e->armed);
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
 * The walk of the two-call pre pass's one short list @l (walkable()) and the end of the hold,
 * by tail call: one leaf record with one action in a frame of its own
 * (hd__dispatch_leaf_one_*), a list that starts with a leaf record by
 * hd__dispatch_leaf_pre(), any other by pre_walk().
 */
static inline enum hd_status pre_list(struct hd_engine *e, struct hd_vcpu *vcpu,
                                      void *context, struct hd_verdict *verdict,
                                      const struct hd_snap_list *l)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);

    if (hd__dispatch_leaf_one(l)) /* one `!vmcall … code {…}` (P1) */
        return en->condition == HD_SNAP_COND_NONE
                   ? hd__dispatch_leaf_one_pre(e, vcpu, context, verdict, l)
                   : hd__dispatch_leaf_one_cond_pre(e, vcpu, context, verdict, l);
    return en->leaf ? hd__dispatch_leaf_pre(e, vcpu, context, verdict, l)
                    : pre_walk(e, vcpu, context, verdict, l);
}

/*
 * The two-call pre pass holding snapshot @word. The usual few events are a direct list (one
 * key: snapshot.h): its key is tested here, with no call and so no frame, and the walk is a
 * tail call. A key on a pid the record does not hold yet (HD_VCPU_PID_LAZY), and every other
 * form of set, go to pre_find().
 */
static enum hd_status pre_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);
    uint32_t kc, kp;

    if (HD_UNLIKELY(!hd_snap_is_direct(word)))
        return pre_find(e, vcpu, context, verdict, word);
    if (HD_LIKELY(d->key == hd_snap_key(HD_ALL, HD_ALL)))
        return pre_list(e, vcpu, context, verdict, &d->list); /* no filter: the usual event */
    kc = (uint32_t)(d->key >> 32);
    kp = (uint32_t)d->key;
    if (kp != HD_ALL && (vcpu->flags & HD_VCPU_PID_LAZY))
        return pre_find(e, vcpu, context, verdict, word); /* asks for the pid */
    if ((kc != HD_ALL && kc != vcpu->core) || (kp != HD_ALL && kp != vcpu->pid)) {
        hd__dispatch_release(e, &e->cores[vcpu->core]); /* no event of this exit's key: S1 */
        return HD_OK;
    }
    return pre_list(e, vcpu, context, verdict, &d->list);
}

/* pre_held() for a set in any form: the lookup, then the walk or pre_run(). */
static enum hd_status pre_find(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, uintptr_t word)
{
    uint32_t core_index = vcpu->core;
    struct hd_found f = hd__dispatch_lookup(e, word, core_index, vcpu, NULL);

    if (walkable(f))
        return pre_list(e, vcpu, context, verdict, f.pre);
    if (f.pre || f.post)
        return pre_run(e, vcpu, context, verdict, word);
    hd__dispatch_release(e, &e->cores[core_index]);
    return HD_OK;
}

/* pre_held()'s walk of the list @l (walkable()) in general, then the end of the hold. */
static enum hd_status pre_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_list *l)
{
    uint32_t core_index = vcpu->core;

    walk(e, vcpu, core_index, context, HD_STAGE_PRE, verdict, l);
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

    if (run_pass(e, word, vcpu, core_index, context, HD_STAGE_PRE, protected_call, nr, verdict,
                 record) &&
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

/* ---- one pass ---------------------------------------------------------------------------- */

/*
 * The usual pre pass: one short list, no post list to keep the set for (and no tracing: the
 * short way's engines have no on_action). It runs as walk(); anything else as run_pass().
 */
static inline bool walkable(struct hd_found f)
{
    return f.pre && f.pre != HD_LOOKUP_MERGE && !f.post && f.pre->chunks == 1;
}

/*
 * The walk of one list whose events are raw code (the usual list: everything HyperDbg's
 * commands make), with the pass's state in registers; an event that is not raw code goes
 * through the general path (hd__dispatch_one). Never for the hypervisor's own calls.
 */
static inline void walk(struct hd_engine *e, struct hd_vcpu *vcpu, uint32_t core_index,
                        void *context, enum hd_stage stage, struct hd_verdict *verdict,
                        const struct hd_snap_list *l)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);
    struct hd_guest_regs *regs = vcpu->regs;
    uint32_t fired = 0;
    bool sc = false;

    for (uint32_t n = l->count; n; n--, en = hd_snap_entry_next(en)) {
        if (HD_LIKELY(en->raw)) {
            uint32_t r = hd__dispatch_raw_event(e, core_index, vcpu, regs, context, en);
            if (r & HD_RAW_FIRED) {
                fired++;
                sc |= en->short_circuit; /* S12: any event that fired, not the last one */
            }
            sc |= (r & HD_RAW_SC) != 0;
        } else {
            hd__dispatch_one(e, vcpu, context, stage, verdict, en);
        }
    }
    verdict->fired += fired;
    if (sc && stage == HD_STAGE_PRE)
        verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
}

/*
 * Find and run one pass's events by the general path (every kind of event, own hypercalls,
 * several key shapes, tracing, long lists); whether the set holds post events for this exit.
 */
static inline bool run_pass(struct hd_engine *e, uintptr_t word, struct hd_vcpu *vcpu,
                            uint32_t core_index, void *context, enum hd_stage stage,
                            bool protected_call, uint64_t nr, struct hd_verdict *verdict,
                            struct hd_exit_record *record)
{
    struct hd_pass p = {
        .e = e, .core = &e->cores[core_index], .vcpu = vcpu, .regs = vcpu->regs,
        .guest = vcpu->regs, .context = context, .core_index = core_index, .stage = stage,
        .protected_call = protected_call, .nr = nr, .verdict = verdict, .record = record,
    };

    hd__dispatch_pid(e, vcpu); /* hooks of any kind may run, and see the record */
    return hd__dispatch_found(&p, word, hd__dispatch_lookup(e, word, core_index, vcpu, &p.nr));
}
