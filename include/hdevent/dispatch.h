/* SPDX-License-Identifier: MIT */
/*
 * hdevent/dispatch.h — the hot path: what a VMX exit handler calls on exit reason 18.
 *
 * An exit handler makes one call per VMCALL exit, after one inline test:
 *
 *     struct hd_vcpu v = { .regs = saved, .rip = rip, .insn_len = len, .core = cpu, .cpl = cpl };
 *     struct hd_exit x;
 *     if (!hd_vmcall_armed(engine)) {            // no event enabled: nothing could run
 *         hd_vmcall_own(engine, &v);             // is it our own hypercall? (S14)
 *         my_vmcall(me, &v);
 *     } else {
 *         v.pid = current_pid();                 // only now: the lookup needs it
 *         if (HD_FAILED(hd_dispatch_vmcall_exit(engine, &v, NULL, my_vmcall, me, &x)))
 *             my_vmcall(me, &v);                 // record refused: nothing ran
 *     }
 *     advance_rip(&v);                           // even when short-circuited
 *
 * (only a VMCALL that my_vmcall refuses with a fault keeps its RIP: docs/c-api.md, "Embedding
 * in your hypervisor").
 *
 * which runs the pre pass, the backend's default handling (my_vmcall; NULL means
 * hd_vmcall_default) unless an event short-circuited it, and the post pass when a post or
 * all event matched. A hypervisor whose exit handler cannot hand its VMCALL handling over as
 * a callback uses the two-call form instead (hd_dispatch_vmcall, then
 * hd_dispatch_vmcall_post when HD_VERDICT_POST is set); it behaves the same.
 *
 * Every call runs on the exit's core with interrupts off, concurrently with other cores and
 * with writers. None blocks, allocates, takes a lock or executes a locked instruction.
 * Only one exit per core may be in flight at a time (the hardware guarantees it; a simulator
 * must too: an exit made from inside a hook names another core).
 */
#ifndef HDEVENT_DISPATCH_H
#define HDEVENT_DISPATCH_H

#include "backend.h"
#include "engine.h"
#include "status.h"
#include "types.h"
#include "vcpu.h"

HD_EXTERN_C_BEGIN

/** Skip the backend's default VMCALL handling; RIP is still advanced (S12). */
#define HD_VERDICT_SHORT_CIRCUIT 0x1u
/** Call hd_dispatch_vmcall_post() after the default handling. */
#define HD_VERDICT_POST 0x2u
/** At least one break action ran in this pass (S17). */
#define HD_VERDICT_BREAK 0x4u
/** The VMCALL is the hypervisor's own: hooks' register changes were discarded (S14). */
#define HD_VERDICT_PROTECTED 0x8u
/**
 * An event with `deny ud` fired (hdevent's extension; never on own hypercalls): inject #UD
 * into the guest and leave RIP on the VMCALL. Set together with HD_VERDICT_SHORT_CIRCUIT, so
 * a backend that does not know this bit skips the default handling and advances RIP.
 */
#define HD_VERDICT_DENY_UD 0x10u

/* ---------------------------------------------------------------------------------------- */
/* Before filling the record                                                                */
/* ---------------------------------------------------------------------------------------- */

/**
 * The start of every engine, which exit handlers read inline (hd_vmcall_armed(),
 * hd_vmcall_own()). Its layout is ABI: `armed` stays the engine's first byte and `hooked` its
 * fourth. Read it, never write it.
 */
struct hd_engine_head {
    /** Non-zero while a snapshot with at least one enabled event is published. Only writers
     *  change it, so the line it sits on is read-mostly. */
    uint8_t armed;
    uint8_t reserved_[2];
    /** Non-zero when the backend gave an own-hypercall predicate or an action trace (fixed
     *  at creation): hd_vmcall_own() then asks the library. */
    uint8_t hooked;
};

/**
 * Is any VMCALL event enabled? One load from a line only writers change: what HyperDbg's exit
 * handler tests before it calls into its event code, and as cheap. An exit handler calls it
 * first; while it is false no hook can run (S1), so the handler may answer the VMCALL itself
 * without filling the whole record or calling the dispatcher (hd_vmcall_own() still tells it
 * whether the call is its own). A writer enabling an event on another core races with the
 * exit either way; the event then runs from the next exit on. With the two-call form, a pre
 * pass that set HD_VERDICT_POST must still be followed by hd_dispatch_vmcall_post() or
 * hd_dispatch_vmcall_end() (a skipped exit does not end it). @p engine must not be NULL.
 */
static inline bool hd_vmcall_armed(const struct hd_engine *engine)
{
    const struct hd_engine_head *head = (const struct hd_engine_head *)(const void *)engine;
#if defined(__GNUC__) || defined(__clang__)
    return __atomic_load_n(&head->armed, __ATOMIC_RELAXED) != 0;
#else
    return *(const volatile uint8_t *)&head->armed != 0;
#endif
}

/**
 * The own-hypercall decision the dispatcher makes (S14, S15: hd_backend_ops.is_own_hypercall,
 * or hd_hypercall_is_hyperdbg()), for an exit handler that skipped dispatch because
 * hd_vmcall_armed() was false: sets HD_VCPU_PROTECTED in vcpu->flags when the VMCALL is the
 * hypervisor's own and clears it otherwise, so hd_vmcall_default() and the backend's own
 * handling answer it as after a dispatch. Reads vcpu->regs and vcpu->cpl (and what the
 * backend's predicate reads). Runs in the exit handler: no allocation, no lock.
 * @return whether it is the hypervisor's own hypercall.
 *
 * A macro calls it: with the default predicate the decision is made inline (the header's
 * hd__vmcall_own_inline, one test of r10 for almost every call), as a disarmed exit then
 * makes no call into the library at all; `(hd_vmcall_own)(…)` and the function's address
 * reach the exported function, which decides the same.
 */
HD_API bool hd_vmcall_own(const struct hd_engine *engine, struct hd_vcpu *vcpu);

/* The record's mark of the own-hypercall decision (S14), wherever it is made. */
static inline void hd__vcpu_mark_own(struct hd_vcpu *vcpu, bool own)
{
    if (own)
        vcpu->flags |= HD_VCPU_PROTECTED;
    else
        vcpu->flags &= (uint8_t)~HD_VCPU_PROTECTED;
}

static inline bool hd__vmcall_own_inline(const struct hd_engine *engine, struct hd_vcpu *vcpu)
{
    const struct hd_engine_head *head = (const struct hd_engine_head *)(const void *)engine;
    bool own;

    if (head->hooked) /* fixed at creation: a plain load */
        return (hd_vmcall_own)(engine, vcpu);
    own = hd_hypercall_is_hyperdbg(vcpu);
    hd__vcpu_mark_own(vcpu, own);
    return own;
}
#define hd_vmcall_own(engine, vcpu) hd__vmcall_own_inline((engine), (vcpu))

/** What the dispatcher tells the backend after a pass. */
struct hd_verdict {
    /**
     * HD_VERDICT_* bits. No hook ran when HD_VERDICT_BREAK, _SHORT_CIRCUIT and _POST are
     * clear and `fired` is 0; HD_VERDICT_PROTECTED is set on own hypercalls regardless.
     */
    uint32_t flags;
    /** Events whose condition held (or that had none) in this pass. */
    uint32_t fired;
};

/* ---------------------------------------------------------------------------------------- */
/* One whole VMCALL exit                                                                    */
/* ---------------------------------------------------------------------------------------- */

/**
 * What the default handling puts in rax for a VMCALL that is not the hypervisor's own when
 * there is nothing underneath to forward it to: KVM's answer to an unknown hypercall,
 * -KVM_ENOSYS.
 */
#define HD_VMCALL_ENOSYS ((uint64_t)-1000)

/** A backend's default VMCALL handling, run between the passes unless short-circuited. */
typedef void (*hd_vmcall_handler)(void *user, struct hd_vcpu *vcpu);

/**
 * The default handling of every in-tree backend with nothing underneath (host simulator,
 * self-test IOCTL, the Linux and Windows exit handlers): rax = 0 for the hypervisor's own
 * hypercall (HD_VCPU_PROTECTED, set by the pre pass), else rax = HD_VMCALL_ENOSYS. @p user is
 * unused. Runs in the exit handler: no allocation, no lock.
 */
HD_API void hd_vmcall_default(void *user, struct hd_vcpu *vcpu);

/** What hd_dispatch_vmcall_exit() did. */
struct hd_exit {
    struct hd_verdict pre;  /**< verdict of the pre pass */
    struct hd_verdict post; /**< verdict of the post pass (zero when there was none) */
    bool default_handled;   /**< the handler ran (it does not when short-circuited) */
    bool post_ran;          /**< the post pass ran */
};

/**
 * One whole VMCALL exit, the entry every in-tree backend uses: the pre pass, @p handle (NULL:
 * hd_vmcall_default) unless an event short-circuited it (S12), then the post pass when a post
 * or all event matched (S10), all on the event set the pre pass found. It does not advance
 * RIP: that stays with the backend (the VMX layer has exactly one function for it;
 * simulators add insn_len). @p handle changes the guest through vcpu->regs and must leave the
 * record's `regs` and `core` as they are. Same context rules as hd_dispatch_vmcall().
 * @param out filled in every case (zeroed first).
 * @return HD_OK; HD_ERR_BAD_VCPU when the record is refused (core out of range, regs NULL):
 *         then nothing ran, not even @p handle, and the backend decides how to answer the
 *         VMCALL. It cannot fail once the pre pass has started.
 */
HD_API enum hd_status hd_dispatch_vmcall_exit(struct hd_engine *engine, struct hd_vcpu *vcpu,
                                              void *context, hd_vmcall_handler handle, void *user,
                                              struct hd_exit *out);

/* ---------------------------------------------------------------------------------------- */
/* The two-call form                                                                        */
/* ---------------------------------------------------------------------------------------- */

/**
 * The pre pass of a VMCALL exit, for a handler that runs its own VMCALL handling between the
 * passes (otherwise use hd_dispatch_vmcall_exit()). @p context is the event context: NULL
 * for VMCALL. Sets HD_VCPU_PROTECTED in vcpu->flags for the hypervisor's own hypercalls.
 *
 * When it sets HD_VERDICT_POST the core keeps the pre pass's event set until
 * hd_dispatch_vmcall_post() or hd_dispatch_vmcall_end() on the same core: in between the
 * caller may run with interrupts on, and writers on other cores then wait for this core
 * before they free what the set points at (a cleared event stays alive for the post pass).
 * @return HD_OK; HD_ERR_BAD_VCPU (core out of range, regs NULL: nothing ran).
 */
HD_API enum hd_status hd_dispatch_vmcall(struct hd_engine *engine, struct hd_vcpu *vcpu,
                                         void *context, struct hd_verdict *verdict);

/**
 * The post pass, after the default handling; call it exactly when the pre pass set
 * HD_VERDICT_POST, on the same core. It uses the same event set as the pre pass.
 * @return HD_OK; HD_ERR_BAD_VCPU; HD_ERR_NO_PRE_PASS (no pre pass on this core asked for one:
 *         nothing ran).
 */
HD_API enum hd_status hd_dispatch_vmcall_post(struct hd_engine *engine, struct hd_vcpu *vcpu,
                                              void *context, struct hd_verdict *verdict);

/**
 * End the current exit on vcpu->core without a post pass: the error path of an exit whose pre
 * pass asked for one (until the core's exit ends, memory retired by writers cannot be freed;
 * the next pre pass on that core would end it too, but a core may take no VMCALL for a long
 * time), and, while the flight recorder is on, the call that completes the exit's record with
 * the registers after the handling (recorder.h: a backend that records calls it at the end of
 * every exit that had no post pass). Harmless when nothing is pending.
 * @return HD_OK; HD_ERR_BAD_VCPU.
 */
HD_API enum hd_status hd_dispatch_vmcall_end(struct hd_engine *engine, const struct hd_vcpu *vcpu);

/* ---------------------------------------------------------------------------------------- */
/* A hook that never returned                                                               */
/* ---------------------------------------------------------------------------------------- */

/**
 * End the exit in flight on @p core after the backend stopped a hook that did not return: a
 * fault or a time limit it contained, leaving the exit's frames behind (the host backend's
 * hd_host_vmcall() does). Such an exit still holds its event set: with counter grace periods
 * the core's sequence is odd, and a two-call exit may have its post pass pending, so writers
 * could never free what they retire, and the next exit would see the hold inverted. This
 * makes the core quiescent (sequence even, pending post pass ended). Nothing else of the exit
 * is finished: the default handling and the post pass do not run, and RIP is the backend's
 * to decide.
 *
 * Call it from the context that owns the core's exit (the thread or CPU that ran it), once
 * the hook is stopped and before the core's next exit; ask hd_event_code_owner() which event
 * it was before, while the set is still held. The ordinary exit pays nothing for it.
 * @return HD_OK, also when the core held nothing; HD_ERR_INVALID_ARGUMENT (engine NULL);
 *         HD_ERR_INVALID_CORE (@p core is not below the core count).
 */
HD_API enum hd_status hd_dispatch_vmcall_abandon(struct hd_engine *engine, uint32_t core);

HD_EXTERN_C_END

#endif /* HDEVENT_DISPATCH_H */
