/* SPDX-License-Identifier: MIT */
/*
 * The hd side: an engine on the host backend holding a world's events, with every allocation
 * it makes recorded so that the dram cache state can clflush all of it.
 */
#ifndef HDEVENT_BENCH_HD_SIDE_H
#define HDEVENT_BENCH_HD_SIDE_H

#include <stdbool.h>
#include <stddef.h>

#include <hdevent/hdevent.h>
#include <hdevent/host.h>

#include "world.h"

struct hd_region {
    const void *p; /* NULL: empty slot */
    size_t size;
};

typedef void (*hd_side_ipi_fn)(void *user, void (*fn)(void *arg, uint32_t core), void *arg);

struct hd_side {
    struct hd_host *host;
    struct hd_engine *engine;
    const struct hd_backend_ops *inner; /* the host backend's ops */
    struct hd_backend_ops ops;          /* the inner ops, allocations recorded */
    struct hd_region *regions;          /* open addressing on p, linear probing */
    size_t capacity, count;
    bool tracking_failed;               /* the record could not grow: flushes are partial */
    hd_side_ipi_fn ipi;                 /* NULL: the host backend's grace periods */
    void *ipi_user;
};

/*
 * Register @w's events (disabled, then all enabled at once: one snapshot build).
 * @ipi non-NULL: the engine gets it as run_on_every_core, as a kernel backend gives its
 * IPI broadcast; it must run fn on every simulated core outside dispatch (see mc.c).
 */
bool hd_side_build(const struct world *w, hd_side_ipi_fn ipi, void *ipi_user,
                   struct hd_side *out);
void hd_side_destroy(struct hd_side *s);
/* clflush every live allocation of the engine (events, snapshots, code, per-core state). */
void hd_side_flush(const struct hd_side *s);
/* Take every queued message (what scripts printed), outside any timed region. */
void hd_side_drain(struct hd_engine *e);

/* The record an exit handler fills once the armed test said yes. */
static inline void hd_side_fill(struct hd_vcpu *v, struct hd_guest_regs *regs)
{
    v->regs = regs;
    v->rip = HD_HOST_VCPU_RIP;
    v->insn_len = 3;
    v->core = bench_os_core();
    v->cpl = 0;
    v->flags = HD_VCPU_PID_LAZY;
}

/*
 * One VMCALL exit as a VMX exit handler makes it (dispatch.h): the inline armed test (what
 * hdbg's exit handler does with its global flag), then fill the record and dispatch the pre
 * pass. The pid is left to the dispatcher (HD_VCPU_PID_LAZY: it asks the "OS" through the
 * engine's current_pid op when an event needs it), as hdbg asks only for pid-filtered events.
 */
static inline uint32_t hd_side_exit(struct hd_engine *e, struct hd_vcpu *v,
                                    struct hd_guest_regs *regs)
{
    struct hd_verdict verdict;
    if (!hd_vmcall_armed(e))
        return 0;
    hd_side_fill(v, regs);
    hd_dispatch_vmcall(e, v, NULL, &verdict);
    return verdict.fired;
}

/* hd_side_exit() by the one-call form with the default handling (--entry exit, world.h). */
static inline uint32_t hd_side_exit_handled(struct hd_engine *e, struct hd_vcpu *v,
                                            struct hd_guest_regs *regs)
{
    struct hd_exit x;
    if (!hd_vmcall_armed(e)) { /* what the shared VMX layer does (vmx_exit.c) */
        v->regs = regs;
        v->cpl = 0;
        v->flags = HD_VCPU_PID_LAZY;
        hd_vmcall_own(e, v); /* S14: the own-hypercall decision the handling reads */
        hd_vmcall_default(NULL, v);
        return 0;
    }
    hd_side_fill(v, regs);
    hd_dispatch_vmcall_exit(e, v, NULL, NULL, NULL, &x);
    return x.pre.fired;
}

#endif /* HDEVENT_BENCH_HD_SIDE_H */
