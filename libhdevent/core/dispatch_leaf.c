/* SPDX-License-Identifier: MIT */
/*
 * The usual exit's walks when its events are leaves (hd_snap_entry.leaf): raw code that needs
 * no trampoline (code_leaf.c) as condition and actions, no buffer — what HyperDbg's commands
 * with custom code and a raw condition usually make. Such a record is nothing but direct
 * calls and two counters, so the walk keeps its few values in registers across the calls
 * and counts the verdict in place: a smaller frame than hd__walk()
 * (internal/dispatch_entry.h), which also carries the trampoline, buffers, messages and
 * filters (issue 16). From a record of any other kind on, the list runs out of line, as
 * hd__walk() would run it. One command alone (hd_snap_entry.one) runs in a frame smaller
 * still, by either entry form (hd__dispatch_command_*).
 *
 * Same context as dispatch.c: VMX root, interrupts off, no allocation, no lock, no locked
 * instruction.
 */
#include "internal/dispatch.h"

static enum hd_status run_rest(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_entry *en,
                               uint32_t n, bool release) __attribute__((__noinline__));
static void run_other(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                      struct hd_verdict *verdict, const struct hd_snap_entry *en);

/*
 * The walk, inlined into the two entries below with @release a constant. While records are
 * leaves the loop makes no call but into their code, which (Windows x64 convention) keeps
 * rdi and rsi too, so the walk's state stays in registers; at the first record of another
 * kind the rest of the list goes to run_rest() (a tail call).
 */
static inline __attribute__((__always_inline__)) enum hd_status
walk_leaves(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
            struct hd_verdict *verdict, const struct hd_snap_list *l, bool release)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);
    struct hd_guest_regs *regs = vcpu->regs;
    size_t line = (size_t)vcpu->core * HD_COUNTER_STRIDE; /* hd__counters_at(), hoisted */
    uint32_t fired = 0; /* counted here, stored once: a store per event made K = 10 bimodal */

    for (uint32_t n = l->count; n; n--, en = hd_snap_entry_next(en)) {
        struct hd_counters *counters = (struct hd_counters *)(void *)((uint8_t *)en->counters +
                                                                       line);
        const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);

        if (HD_UNLIKELY(!en->leaf)) {
            verdict->fired += fired;
            return run_rest(e, vcpu, context, verdict, en, n, release);
        }
        if (en->condition != HD_SNAP_COND_NONE &&
            !hd__arch_call_leaf(en->cond.code, (uintptr_t)regs, (uintptr_t)context, 0)) {
            hd__dispatch_bump(&counters->condition_false); /* S6: no action runs */
            continue;
        }
        hd__dispatch_bump(&counters->held);
        for (uint32_t i = en->action_count; i; i--, a++) /* S7; no buffer: S18 cannot apply */
            hd__arch_call_leaf(a->run.code, 0, (uintptr_t)regs, (uintptr_t)context);
        fired++;
        if (en->short_circuit) /* S12: any event that fired, not the last one */
            verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
    }
    verdict->fired += fired;
    if (release)
        hd__dispatch_release(e, &e->cores[vcpu->core]);
    return HD_OK;
}

/*
 * What one command makes (hd__dispatch_one_command()): `!vmcall … code {…}` or `script {…}`
 * whose script is a fast-path filter, with or without a condition that needs no trampoline
 * — the most common sets of all (P1, S_filter; issue 16). Its run is inlined into six small
 * functions, by entry form and @shape (a constant), so each keeps live across its calls only
 * what later steps need: the end of the hold is one pointer the entry hands down (@hold_end:
 * hd__dispatch_hold_seq(), NULL under IPI grace periods), and the verdict, which the code
 * cannot see, is written before the action runs. Without a condition the two-call form
 * saves no register at all (with the inline leaf call, internal/arch.h, rsi and rdi carry
 * what it keeps), where the leaf walk saves several. @verdict: zeroed by the entry. The pass
 * is an ordinary exit's pre pass, so a filter's event_sc(1) counts as a hook's
 * short-circuit (S12), as in hd__walk().
 */
enum one_shape {
    ONE_CODE,      /* HD_SNAP_ONE_CODE without a condition */
    ONE_COND_CODE, /* HD_SNAP_ONE_CODE with a leaf condition */
    ONE_FILTER,    /* HD_SNAP_ONE_FILTER, with a leaf condition or none */
};

static inline __attribute__((__always_inline__)) void
run_one(const struct hd_engine *e, const struct hd_snap_entry *en, struct hd_vcpu *vcpu,
        void *context, struct hd_verdict *verdict, enum one_shape shape)
{
    const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);
    bool cond = shape == ONE_COND_CODE || (shape == ONE_FILTER && en->condition);
    /* From the checked record (hd__exit_core()), before any code runs: whatever a hook does
     * to the record, this core's line is the one written. */
    struct hd_counters *counters = hd__counters_at(en->counters, vcpu->core);

    /* The registers' address is read again after a call rather than kept: the record is
     * live anyway, and one value less across the calls keeps the frame small. */
    if (cond &&
        !hd__arch_call_leaf(en->cond.code, (uintptr_t)vcpu->regs, (uintptr_t)context, 0)) {
        hd__dispatch_bump(&counters->condition_false); /* S6: no action runs */
        return;
    }
    hd__dispatch_bump(&counters->held);
    verdict->fired = 1;
    if (en->short_circuit) /* S12 */
        verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
    if (shape == ONE_FILTER) { /* its compares, right here */
        if (hd__script_filter(a->run.script, (const uint64_t *)(const void *)vcpu->regs,
                              hd__dispatch_pid(e, vcpu), vcpu->core))
            verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
        return;
    }
    /* no buffer: S18 cannot apply */
    hd__arch_call_leaf(a->run.code, 0, (uintptr_t)vcpu->regs, (uintptr_t)context);
}

static inline __attribute__((__always_inline__)) enum hd_status
one_pre(struct hd_engine *e, struct hd_vcpu *vcpu, void *context, struct hd_verdict *verdict,
        const struct hd_snap_list *l, uint64_t *hold_end, enum one_shape shape)
{
    run_one(e, hd_snap_list_records(l), vcpu, context, verdict, shape);
    hd__dispatch_hold_end(hold_end);
    return HD_OK;
}

/* The one-call form: the handling unless short-circuited (S12), then the end of the hold. */
static inline __attribute__((__always_inline__)) enum hd_status
one_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
         const struct hd_exit_call *call, const struct hd_snap_list *l, uint64_t *hold_end,
         enum one_shape shape)
{
    run_one(e, hd_snap_list_records(l), vcpu, context, &call->out->pre, shape);
    if (!(call->out->pre.flags & HD_VERDICT_SHORT_CIRCUIT))
        hd__dispatch_handle(call, vcpu);
    hd__dispatch_hold_end(hold_end);
    return HD_OK;
}

enum hd_status hd__dispatch_command_pre(struct hd_engine *e, struct hd_vcpu *vcpu,
                                        void *context, struct hd_verdict *verdict,
                                        const struct hd_snap_list *l, uint64_t *hold_end)
{
    return one_pre(e, vcpu, context, verdict, l, hold_end, ONE_CODE);
}

enum hd_status hd__dispatch_command_cond_pre(struct hd_engine *e, struct hd_vcpu *vcpu,
                                             void *context, struct hd_verdict *verdict,
                                             const struct hd_snap_list *l, uint64_t *hold_end)
{
    return one_pre(e, vcpu, context, verdict, l, hold_end, ONE_COND_CODE);
}

enum hd_status hd__dispatch_filter_pre(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                       struct hd_verdict *verdict, const struct hd_snap_list *l,
                                       uint64_t *hold_end)
{
    return one_pre(e, vcpu, context, verdict, l, hold_end, ONE_FILTER);
}

enum hd_status hd__dispatch_command_exit(struct hd_engine *e, struct hd_vcpu *vcpu,
                                         void *context, const struct hd_exit_call *call,
                                         const struct hd_snap_list *l, uint64_t *hold_end)
{
    return one_exit(e, vcpu, context, call, l, hold_end, ONE_CODE);
}

enum hd_status hd__dispatch_command_cond_exit(struct hd_engine *e, struct hd_vcpu *vcpu,
                                              void *context, const struct hd_exit_call *call,
                                              const struct hd_snap_list *l, uint64_t *hold_end)
{
    return one_exit(e, vcpu, context, call, l, hold_end, ONE_COND_CODE);
}

enum hd_status hd__dispatch_filter_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                        const struct hd_exit_call *call,
                                        const struct hd_snap_list *l, uint64_t *hold_end)
{
    return one_exit(e, vcpu, context, call, l, hold_end, ONE_FILTER);
}

enum hd_status hd__dispatch_leaf_pre(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                     struct hd_verdict *verdict, const struct hd_snap_list *l)
{
    return walk_leaves(e, vcpu, context, verdict, l, true);
}

void hd__dispatch_leaf_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                            struct hd_verdict *verdict, const struct hd_snap_list *l)
{
    walk_leaves(e, vcpu, context, verdict, l, false);
}

/* The list from @en on (@n records), each as hd__walk() runs it; then as above. */
static enum hd_status run_rest(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                               struct hd_verdict *verdict, const struct hd_snap_entry *en,
                               uint32_t n, bool release)
{
    for (; n; n--, en = hd_snap_entry_next(en))
        run_other(e, vcpu, context, verdict, en);
    if (release)
        hd__dispatch_release(e, &e->cores[vcpu->core]);
    return HD_OK;
}

/* One record as hd__walk() runs it (the pre pass, S12). */
static void run_other(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                      struct hd_verdict *verdict, const struct hd_snap_entry *en)
{
    uint32_t r;

    if (!en->raw) {
        hd__dispatch_other_event(e, vcpu, context, HD_STAGE_PRE, verdict, en);
        return;
    }
    r = hd__dispatch_raw_event(e, vcpu->core, vcpu, vcpu->regs, context, en);
    if ((r & HD_RAW_FIRED) && en->short_circuit)
        verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
    if (r & HD_RAW_FIRED)
        verdict->fired++;
    if (r & HD_RAW_SC)
        verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
}
