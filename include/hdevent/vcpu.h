/* SPDX-License-Identifier: MIT */
/*
 * hdevent/vcpu.h — the per-exit record a backend fills before it calls the dispatcher.
 *
 * One record per VM exit, usually on the exit handler's stack. The backend owns it; the
 * dispatcher reads the inputs and sets the flags it documents. Its registers are the ones
 * the exit stub saved: hooks change the guest by writing through `regs`.
 */
#ifndef HDEVENT_VCPU_H
#define HDEVENT_VCPU_H

#include "regs.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/** Set by the dispatcher: this VMCALL is the hypervisor's own hypercall (S14). */
#define HD_VCPU_PROTECTED 0x1u
/**
 * Set by the backend: `pid` is not filled in. The dispatcher asks hd_backend_ops.current_pid
 * (which must then be set; without it the pid is 0) when something needs the pid — a pid filter in the lookup, a hook
 * that can see the record (native, script or break) — stores it in `pid` and clears the
 * flag. Events of raw code on keys without a pid filter never need it, so their exits skip
 * the OS call, as HyperDbg asks for the pid only for events that filter on it.
 */
#define HD_VCPU_PID_LAZY 0x2u

/** What the backend knows about the VMCALL exit being handled. */
struct hd_vcpu {
    /** Guest GPRs saved by the exit stub, GUEST_REGS layout. Must not be NULL. */
    struct hd_guest_regs *regs;
    /** Guest RIP of the VMCALL instruction (the VMCS guest RIP at exit). */
    uint64_t rip;
    /** VM-exit instruction length (3 for VMCALL); the backend advances RIP by it. */
    uint32_t insn_len;
    /** Index of the logical processor taking the exit; below the engine's core count. */
    uint32_t core;
    /** Current process id as the backend sees it (Linux: tgid; Windows: process id); not
     *  read with HD_VCPU_PID_LAZY until the dispatcher fills it in. */
    uint32_t pid;
    /** Guest CPL, from the SS access rights' DPL (0 kernel … 3 user). */
    uint8_t cpl;
    /** HD_VCPU_* flags; the dispatcher sets HD_VCPU_PROTECTED. Backends pass 0 or
     *  HD_VCPU_PID_LAZY in. */
    uint8_t flags;
    uint8_t reserved_[2];
    /** Backend's per-vCPU data, handed through to hooks untouched (hvpp's per-vCPU user data). */
    void *backend_data;
};

HD_EXTERN_C_END

#endif /* HDEVENT_VCPU_H */
