/* SPDX-License-Identifier: MIT */
/*
 * What both entry forms share (dispatch.c: the two-call form and the entries' ends;
 * dispatch_exit.c: the one-call form): the checks of the record, the short way's test, the
 * own-hypercall decision, holding and releasing a snapshot, and one pass — the walk of one
 * list or the general path. Everything here is inlined into the entries' functions, so each
 * keeps its own frame as small as what it calls for. Only those two files include this.
 */
#ifndef HDEVENT_INTERNAL_DISPATCH_ENTRY_H
#define HDEVENT_INTERNAL_DISPATCH_ENTRY_H

#include "dispatch.h"

/* ---- the exit's frame ------------------------------------------------------------------- */

static inline __attribute__((__always_inline__)) struct hd_core *
hd__exit_core(struct hd_engine *e, const struct hd_vcpu *vcpu)
{
    struct hd_core *core;

    if (HD_UNLIKELY(vcpu->core >= e->core_count || !vcpu->regs))
        return NULL;
    core = &e->cores[vcpu->core];
    if (!core) /* never: the cores are an allocation */
        __builtin_unreachable(); /* so the callers' test of the result goes */
    return core;
}

/*
 * The exits the entries take the short way: the backend gave neither its own predicate
 * (S14/S15: hd__decide_protected() decides on the slow path) nor an action trace (the general
 * path traces), the default predicate says no, recording is off (the recorder's one cost
 * when off: those bytes are one load from the engine line every exit reads: slow_way) and no
 * two-call exit was left pending on this core, with its post pass or its record (which the
 * slow way closes before this exit could give it its registers: recording may have gone off
 * since). So the short way's walks never trace.
 */
static inline __attribute__((__always_inline__)) bool
hd__plain_exit(const struct hd_engine *e, const struct hd_core *core, struct hd_vcpu *vcpu)
{
    if (hd_load_relaxed(&e->slow_way) || core->post_pending || core->record_open ||
        hd_hypercall_is_hyperdbg(vcpu))
        return false;
    hd__vcpu_mark_own(vcpu, false);
    return true;
}

/*
 * S14/S15: the one place that decides whether this VMCALL is the hypervisor's own. Made once
 * per exit, before any hook runs (hooks cannot talk their way into or out of it), and told to
 * the backend in vcpu->flags and to the caller in the verdict.
 */
static inline __attribute__((__always_inline__)) bool
hd__decide_protected(const struct hd_engine *e, struct hd_vcpu *vcpu, struct hd_verdict *verdict)
{
    bool own;

    if (e->is_own_hypercall) {
        hd__dispatch_pid(e, vcpu); /* the backend's predicate sees the whole record */
        own = e->is_own_hypercall(e->user, vcpu);
    } else {
        own = hd_hypercall_is_hyperdbg(vcpu);
    }
    hd__vcpu_mark_own(vcpu, own); /* as hd_vmcall_own() marks it inline (dispatch.h) */
    if (HD_UNLIKELY(own))
        verdict->flags |= HD_VERDICT_PROTECTED;
    return own;
}

/*
 * Take the current snapshot for this exit; 0 when no event is enabled (S1: nothing runs).
 * @armed: the engine's `armed`, or on the short way (hd__plain_exit()) the core's may_match,
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
static inline __attribute__((__always_inline__)) uintptr_t
hd__snapshot_hold(struct hd_engine *e, struct hd_core *core, const uint8_t *armed)
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

/*
 * The core's own direct list (hd_core.word) when the held snapshot @word is a tree whose
 * events are all bound to a core with any pid (HD_SNAP_SHAPES_CORE, snapshot.c: core_word()),
 * else 0. The engine's word comes first on every exit: it is on the line the entry reads
 * anyway, so a cold exit of any other set loads its list while the core's line is still on
 * its way.
 *
 * Why the copy is safe to run although it may belong to another publication than @word:
 * it is read after the hold began, and writers retire a copy only after the store that
 * replaces it, so a grace period covers it (as @word); every publication of another shape
 * stores 0 before the next per-core word is published, so a copy is never older than the
 * set before @word's; and the exit runs the copy alone — this core's whole list in one set,
 * the old one or a newer one (S16).
 */
static inline uintptr_t hd__core_own_word(const struct hd_engine *e, const struct hd_vcpu *vcpu,
                                          uintptr_t word)
{
    if (hd_snap_shapes(word) != HD_SNAP_SHAPES_CORE) /* nor the `nr` form: no shape bits */
        return 0;
    return hd_load_acquire(&e->cores[vcpu->core].word);
}

/* A two-call exit's post pass ran or was given up: the core holds nothing any more. */
static inline void hd__post_pending_end(struct hd_core *core)
{
    core->post_pending = false;
    core->exit_word = 0;
    hd_store_release(&core->seq, core->seq + 1); /* even, in every mode */
}

/*
 * A new exit on a core whose last two-call exit the backend did not end: its post pass is
 * given up, and its record (recorder.h) published without the registers after it.
 */
static inline void hd__exit_pending_end(struct hd_engine *e, struct hd_core *core)
{
    if (core->post_pending)
        hd__post_pending_end(core);
    if (HD_UNLIKELY(core->record_open))
        hd__record_close(e, core, NULL, false);
}

/* ---- one pass ---------------------------------------------------------------------------- */

/*
 * The usual pre pass: one short list, no post list to keep the set for (and no tracing: the
 * short way's engines have no on_action). It runs as hd__walk(); anything else as hd__run_pass().
 */
static inline __attribute__((__always_inline__)) bool hd__walkable(struct hd_found f)
{
    return f.pre && f.pre != HD_LOOKUP_MERGE && !f.post && f.pre->chunks == 1;
}

/*
 * The walk of one list whose events are raw code (the usual list: everything HyperDbg's
 * commands make), with the pass's state in registers; an event that is not raw code goes
 * through the general path (hd__dispatch_other_event). Never for the hypervisor's own calls.
 */
static inline __attribute__((__always_inline__)) void
hd__walk(struct hd_engine *e, struct hd_vcpu *vcpu, uint32_t core_index, void *context,
         enum hd_stage stage, struct hd_verdict *verdict, const struct hd_snap_list *l)
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
            hd__dispatch_other_event(e, vcpu, context, stage, verdict, en);
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
static inline __attribute__((__always_inline__)) bool
hd__run_pass(struct hd_engine *e, uintptr_t word, struct hd_vcpu *vcpu, uint32_t core_index,
             void *context, enum hd_stage stage, bool protected_call, uint64_t nr,
             struct hd_verdict *verdict, struct hd_exit_record *record)
{
    struct hd_pass p = {
        .e = e, .core = &e->cores[core_index], .vcpu = vcpu, .regs = vcpu->regs,
        .guest = vcpu->regs, .context = context, .core_index = core_index, .stage = stage,
        .protected_call = protected_call, .nr = nr, .verdict = verdict, .record = record,
    };

    hd__dispatch_pid(e, vcpu); /* hooks of any kind may run, and see the record */
    return hd__dispatch_found(&p, word, hd__dispatch_lookup(e, word, core_index, vcpu, &p.nr));
}

#endif /* HDEVENT_INTERNAL_DISPATCH_ENTRY_H */
