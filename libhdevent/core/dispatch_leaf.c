/* SPDX-License-Identifier: MIT */
/*
 * The usual exit's walk when its events are leaves (hd_snap_entry.leaf): raw code that needs
 * no trampoline (code_leaf.c) as condition and actions, no buffer — what HyperDbg's commands
 * with custom code and a raw condition usually make. Such a record is nothing but direct
 * calls and two counters, so the walk keeps only a few values across the calls and counts
 * the verdict in place: a smaller frame than dispatch.c's walk(), which also carries the
 * trampoline, buffers, messages and filters (issue 16). A record of any other kind in the
 * same list runs out of line, as walk() would run it.
 *
 * Same context as dispatch.c: VMX root, interrupts off, no allocation, no lock, no locked
 * instruction.
 */
#include "internal/dispatch.h"

static void run_other(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                      struct hd_verdict *verdict, const struct hd_snap_entry *en)
    __attribute__((__noinline__));

enum hd_status hd__dispatch_leaf(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                 struct hd_verdict *verdict, const struct hd_snap_list *l,
                                 bool release)
{
    const struct hd_snap_entry *en = hd_snap_list_records(l);
    struct hd_guest_regs *regs = vcpu->regs;
    uint32_t core_index = vcpu->core;

    for (uint32_t n = l->count; n; n--, en = hd_snap_entry_next(en)) {
        struct hd_counter_line *counters = &en->counters[core_index];
        const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);

        if (HD_UNLIKELY(!en->leaf)) {
            run_other(e, vcpu, context, verdict, en);
            continue;
        }
        hd__dispatch_bump(&counters->hits);
        if (en->condition != HD_SNAP_COND_NONE &&
            !hd__arch_call_leaf(en->cond.code, (uintptr_t)regs, (uintptr_t)context, 0)) {
            hd__dispatch_bump_after_hits(&counters->condition_false); /* S6: no action runs */
            continue;
        }
        for (uint32_t i = en->action_count; i; i--, a++) /* S7; no buffer: S18 cannot apply */
            hd__arch_call_leaf(a->run.code, 0, (uintptr_t)regs, (uintptr_t)context);
        verdict->fired++;
        if (en->short_circuit) /* S12: any event that fired, not the last one */
            verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
    }
    if (release)
        hd__dispatch_release(e, &e->cores[core_index]);
    return HD_OK;
}

/* A record that is not a leaf, as dispatch.c's walk() runs it (the pre pass, S12). */
static void run_other(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                      struct hd_verdict *verdict, const struct hd_snap_entry *en)
{
    uint32_t r;

    if (!en->raw) {
        hd__dispatch_one(e, vcpu, context, HD_STAGE_PRE, verdict, en);
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
