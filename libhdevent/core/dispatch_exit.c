/* SPDX-License-Identifier: MIT */
/*
 * The one-call form, hd_dispatch_vmcall_exit(): the entry every in-tree backend uses (the
 * shared VMX layer calls it on exit 18). The pre pass, the handling unless short-circuited
 * (S12) and the post pass in one call, so the snapshot the pre pass found and the
 * own-hypercall decision are locals that live exactly as long as the exit; the handling's
 * three words wait on the core's own line (hd_core.exit_call), so the entry needs no frame.
 *
 * Read top to bottom: the entry; the slow way (its own predicate, an own hypercall, a
 * pending two-call exit, recording); the usual exit — the unfiltered event found with no
 * frame (exit_held), a keyed direct list or a core's own tested with none (exit_direct),
 * one key shape or a plain `nr` list probed with no call
 * (exit_find_known, exit_find_pid when the pid is to be asked for), any other set
 * (exit_lookup), and what runs the list found (exit_list, exit_walk; exit_handled when no
 * event takes the exit); the general passes. What both forms share is
 * internal/dispatch_entry.h. Same context as dispatch.c: VMX root, interrupts off, no
 * allocation, no lock, no locked instruction, no SIMD.
 */
#include "internal/dispatch_entry.h"

static enum hd_status exit_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                                void *context, const struct hd_exit_call *call)
    __attribute__((__noinline__));
static enum hd_status exit_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word,
                                uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status exit_direct(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  const struct hd_exit_call *call, uintptr_t word,
                                  uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status exit_find_known(struct hd_engine *e, struct hd_vcpu *vcpu,
                                      void *context, const struct hd_exit_call *call,
                                      uintptr_t word, uint64_t *hold_end)
    __attribute__((__noinline__));
static enum hd_status exit_find_pid(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                    const struct hd_exit_call *call, uintptr_t word,
                                    uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status exit_lookup(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  const struct hd_exit_call *call, uintptr_t word,
                                  uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status exit_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, const struct hd_snap_list *l,
                                uint64_t *hold_end) __attribute__((__noinline__));
static enum hd_status exit_handled(const struct hd_exit_call *call, struct hd_vcpu *vcpu)
    __attribute__((__noinline__));
static enum hd_status exit_run(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static enum hd_status exit_recorded(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                    const struct hd_exit_call *call, uintptr_t word)
    __attribute__((__noinline__));
static void exit_passes(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                        const struct hd_exit_call *call, uintptr_t word,
                        struct hd_exit_record *record) __attribute__((__always_inline__));

/* The handling, for the steps of this exit after the entry (hd_core.exit_call). */
static inline void exit_call_keep(struct hd_core *core, hd_vmcall_handler handle, void *user,
                                  struct hd_exit *out)
{
    core->exit_call.handle = handle;
    core->exit_call.user = user;
    core->exit_call.out = out;
}

/*
 * The whole exit in one call, so the snapshot the pre pass found and the own-hypercall
 * decision are locals that live exactly as long as the exit: nothing the next exit could
 * take for its own is left on the core between the passes (the handling's three words in
 * hd_core.exit_call are overwritten before they are read again), and the snapshot stays
 * alive across the default handling (writers wait for this core: hd__snapshot_hold) without
 * the caller having to promise anything.
 */
enum hd_status hd_dispatch_vmcall_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                       hd_vmcall_handler handle, void *user,
                                       struct hd_exit *out)
{
    struct hd_core *core;
    uintptr_t word;

    hd_memset(out, 0, sizeof(*out));
    core = hd__exit_core(e, vcpu);
    if (HD_UNLIKELY(!core))
        return HD_ERR_BAD_VCPU; /* nothing ran: the backend answers the VMCALL itself */
    if (HD_UNLIKELY(!hd__plain_exit(e, core, vcpu))) {
        exit_call_keep(core, handle, user, out);
        return exit_slow(e, core, vcpu, context, &core->exit_call);
    }
    word = hd__snapshot_hold(e, core, &core->may_match);
    if (word) { /* a tail call: no frame here */
        exit_call_keep(core, handle, user, out);
        return exit_held(e, vcpu, context, &core->exit_call, word, hd__dispatch_hold_seq(e, core));
    }
    out->default_handled = true;
    if (handle)
        handle(user, vcpu);
    else
        hd_vmcall_default(user, vcpu); /* a direct call: no function address, no GOT */
    return HD_OK;
}

/* The one-call form off the short way: its own predicate, an own hypercall, a pending exit. */
static enum hd_status exit_slow(struct hd_engine *e, struct hd_core *core, struct hd_vcpu *vcpu,
                                void *context, const struct hd_exit_call *call)
{
    bool protected_call = hd__decide_protected(e, vcpu, &call->out->pre);
    uintptr_t word;

    hd__exit_pending_end(e, core);
    word = hd__snapshot_hold(e, core, &e->armed);
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
 * The one-call exit's walk of the one short list @l (hd__walkable()), the handling and the end
 * of the hold (@hold_end: hd__dispatch_hold_seq()), by tail call: one command in a frame of its
 * own (hd__dispatch_command_*, _filter_*), any other list by exit_walk().
 */
static inline enum hd_status exit_list(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                       const struct hd_exit_call *call,
                                       const struct hd_snap_list *l, uint64_t *hold_end)
{
    switch (hd__dispatch_one_command(l)) { /* one `!vmcall … code {…}` (P1) or filter */
    case HD_SNAP_ONE_CODE:
        return hd_snap_list_records(l)->condition == HD_SNAP_COND_NONE
                   ? hd__dispatch_command_exit(e, vcpu, context, call, l, hold_end)
                   : hd__dispatch_command_cond_exit(e, vcpu, context, call, l, hold_end);
    case HD_SNAP_ONE_FILTER:
        return hd__dispatch_filter_exit(e, vcpu, context, call, l, hold_end);
    default:
        break;
    }
    return exit_walk(e, vcpu, context, call, l, hold_end);
}

/*
 * The one-call exit holding snapshot @word. The usual event, unfiltered (a direct list of
 * the key that takes every exit), is found here with no call and so no frame; a direct list
 * of another key — one key's filter — goes to exit_direct(), and so does a tree whose
 * events are all bound to cores, with this core's own direct list (hd__core_own_word()) when
 * it has one. A set in another form goes to exit_find_pid() when its key filters on a pid the
 * record does not hold yet (HD_VCPU_PID_LAZY: the VMX layer's exits, unless its glue reads
 * the record afterwards), which asks for it in a frame of its own; every other to
 * exit_find_known(). @hold_end: the entry's hd__dispatch_hold_seq(), which it had the core
 * to compute, handed down.
 */
static enum hd_status exit_held(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, uintptr_t word,
                                uint64_t *hold_end)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);
    uintptr_t own;

    if (HD_LIKELY(hd_snap_is_direct(word))) {
        if (HD_LIKELY(d->key == hd_snap_key(HD_ALL, HD_ALL)))
            return exit_list(e, vcpu, context, call, &d->list, hold_end);
        return exit_direct(e, vcpu, context, call, word, hold_end);
    }
    own = hd__core_own_word(e, vcpu, word);
    if (own) /* a direct list */
        return exit_direct(e, vcpu, context, call, own, hold_end);
    return hd__dispatch_needs_pid(word, vcpu)
               ? exit_find_pid(e, vcpu, context, call, word, hold_end)
               : exit_find_known(e, vcpu, context, call, word, hold_end);
}

/*
 * exit_held() for a direct list whose key filters (its own function, so that the usual
 * event's path keeps its registers): the one key of the set, or this core's own list (whose
 * key, (this core, any pid), always takes the exit). Its key is tested with no call, then
 * the walk, or the handling when the key does not take the exit, by tail call; a pid to be
 * asked for first goes to exit_find_pid().
 */
static enum hd_status exit_direct(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  const struct hd_exit_call *call, uintptr_t word,
                                  uint64_t *hold_end)
{
    const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);

    if ((uint32_t)d->key != HD_ALL && (vcpu->flags & HD_VCPU_PID_LAZY)) /* a pid to ask for */
        return exit_find_pid(e, vcpu, context, call, word, hold_end);
    if (!hd_snap_key_takes(d->key, vcpu->core, vcpu->pid)) {
        hd__dispatch_hold_end(hold_end); /* no event of this exit's key: S1 here */
        return exit_handled(call, vcpu);
    }
    return exit_list(e, vcpu, context, call, &d->list, hold_end);
}

/*
 * The usual set of another form (hd__dispatch_lookup_plain(): one key shape, or a plain `nr`
 * list), with the pid the key needs in the record: probed with no call (saving a few
 * registers, not the six of the general lookup's frame), then the walk, or the handling when
 * no event takes the exit, by tail call; any other set goes to exit_lookup().
 */
static inline __attribute__((__always_inline__)) enum hd_status
exit_probe(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
           const struct hd_exit_call *call, uintptr_t word, uint64_t *hold_end)
{
    struct hd_found f;

    if (HD_UNLIKELY(!hd__dispatch_lookup_plain(e, word, vcpu, &f)))
        return exit_lookup(e, vcpu, context, call, word, hold_end);
    if (HD_LIKELY(hd__walkable(f)))
        return exit_list(e, vcpu, context, call, f.pre, hold_end);
    if (f.pre || f.post)
        return exit_run(e, vcpu, context, call, word);
    hd__dispatch_hold_end(hold_end); /* no event of this exit's key: S1 here */
    return exit_handled(call, vcpu);
}

/* exit_probe() where the record holds the pid: the probe's saved registers are pushed here. */
static enum hd_status exit_find_known(struct hd_engine *e, struct hd_vcpu *vcpu,
                                      void *context, const struct hd_exit_call *call,
                                      uintptr_t word, uint64_t *hold_end)
{
    return exit_probe(e, vcpu, context, call, word, hold_end);
}

/* exit_probe() with the pid asked for first: the only call on the way, so the frame is here. */
static enum hd_status exit_find_pid(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                    const struct hd_exit_call *call, uintptr_t word,
                                    uint64_t *hold_end)
{
    hd__dispatch_ask_pid(e, vcpu);
    return exit_probe(e, vcpu, context, call, word, hold_end);
}

/* The handling alone, for a tail call: no event took the exit. */
static enum hd_status exit_handled(const struct hd_exit_call *call, struct hd_vcpu *vcpu)
{
    hd__dispatch_handle(call, vcpu);
    return HD_OK;
}

/* exit_list()'s walk of a list that is not one command, the handling, the end of the hold. */
static enum hd_status exit_walk(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                const struct hd_exit_call *call, const struct hd_snap_list *l,
                                uint64_t *hold_end)
{
    if (hd_snap_list_records(l)->leaf)
        hd__dispatch_leaf_exit(e, vcpu, context, &call->out->pre, l);
    else
        hd__walk(e, vcpu, vcpu->core, context, HD_STAGE_PRE, &call->out->pre, l);
    if (!(call->out->pre.flags & HD_VERDICT_SHORT_CIRCUIT))
        hd__dispatch_handle(call, vcpu); /* S12: skipped, RIP still advances */
    hd__dispatch_hold_end(hold_end);
    return HD_OK;
}

/* exit_probe() for a set in any form: the general lookup, then exit_list() or exit_run(). */
static enum hd_status exit_lookup(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                  const struct hd_exit_call *call, uintptr_t word,
                                  uint64_t *hold_end)
{
    struct hd_found f = hd__dispatch_lookup(e, word, vcpu->core, vcpu, NULL);

    if (hd__walkable(f))
        return exit_list(e, vcpu, context, call, f.pre, hold_end);
    if (f.pre || f.post)
        return exit_run(e, vcpu, context, call, word);
    hd__dispatch_hold_end(hold_end); /* no event of this exit's keys: S1 here */
    return exit_handled(call, vcpu);
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
    bool post = hd__run_pass(e, word, vcpu, core_index, context, HD_STAGE_PRE, protected_call,
                             nr, &out->pre, record);

    if (out->pre.flags & HD_VERDICT_SHORT_CIRCUIT)
        post = false; /* S12: no default handling, no post pass; RIP still advances */
    else
        hd__dispatch_handle(call, vcpu);
    if (post) { /* S10: the post pass runs on the VMCALL set the pre pass found */
        out->pre.flags |= HD_VERDICT_POST;
        hd__run_pass(e, word, vcpu, core_index, context, HD_STAGE_POST, protected_call, nr,
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
