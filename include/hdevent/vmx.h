/* SPDX-License-Identifier: MIT */
/*
 * hdevent/vmx.h — the shared VMX layer every ring-0 backend links (Linux module, Windows
 * driver, bare-metal image); its sources are backends/vmx/, compiled into the kernel image
 * with the core (no host library holds it). Freestanding: no OS calls; the OS comes in
 * through struct hd_vmx_glue.
 *
 * Model ("blue pill"): hd_vmx_cpu_start() turns the code running on the calling core into a
 * guest. The guest state is the current state (CR0/CR3/CR4, GDTR/IDTR, segments, EFER, RSP,
 * RIP just after the VMLAUNCH), so the call returns HD_OK in VMX non-root operation and the
 * caller carries on as before. The host side runs only in the exit handler, on its own stack,
 * with the kernel's address space (host CR3 = glue.host_cr3(), else the CR3 at start).
 *
 * On exit 18 (VMCALL) the layer fills struct hd_vcpu and calls hd_dispatch_vmcall_exit():
 * the pre pass, the default handling (glue.vmcall_default, NULL: hd_vmcall_default) unless
 * short-circuited, the post pass when asked; then it advances RIP with hd_vmx_rip_advance()
 * — the one function that does (SDM 26.3 / Xen's update_guest_eip). docs/backends/vmx.md has
 * the whole story.
 *
 * A hypervisor that has its own exit handler does not need this layer: it can call
 * hd_dispatch_vmcall() itself (include/hdevent/dispatch.h).
 */
#ifndef HDEVENT_VMX_H
#define HDEVENT_VMX_H

#include "backend.h"
#include "dispatch.h"
#include "engine.h"
#include "status.h"
#include "types.h"
#include "vcpu.h"

HD_EXTERN_C_BEGIN

/** Version of struct hd_vmx_glue this header describes (2: host_cr3 appended). */
#define HD_VMX_GLUE_VERSION 2u

/** Basic exit reasons the layer knows by name (SDM Vol. 3D, Appendix C). */
#define HD_VMX_EXIT_REASON_MAX 70u

/**
 * rcx of the layer's own hypercall that ends VMX operation on the calling core (with the
 * backend's own-hypercall magic in r10/r11/r12, from CPL 0). hd_vmx_cpu_stop() issues it.
 */
#define HD_VMX_HYPERCALL_VMXOFF 0x4844564D584F4646ull /* "HDVMXOFF" */

struct hd_vmx_cpu;

/** An exit the layer could not handle, as glue.fatal receives it. */
struct hd_vmx_exit {
    /** Full exit reason field (bit 31: VM-entry failure). */
    uint32_t reason;
    /** VM-instruction error (after a failed VMRESUME), else 0. */
    uint32_t instruction_error;
    uint64_t qualification;
    uint64_t guest_rip;
    /** Guest GPRs as saved by the exit stub (NULL for a failed VMLAUNCH/VMRESUME). */
    const struct hd_guest_regs *regs;
    /** Short English description ("triple fault", "VMRESUME failed", ...). */
    const char *what;
};

/** What an OS provides. Fill with hd_vmx_glue_init(), then set members. */
struct hd_vmx_glue {
    uint32_t size;    /**< sizeof(struct hd_vmx_glue) as the backend was compiled */
    uint32_t version; /**< HD_VMX_GLUE_VERSION */
    void *user;       /**< first argument of every op */

    /** Required, writer context: @p pages zeroed 4 KiB pages, physically contiguous,
     *  never paged out, mapped writable (the host stack lives here too). NULL on failure. */
    void *(*page_alloc)(void *user, size_t pages);
    /** Required: free what page_alloc returned. */
    void (*page_free)(void *user, void *va, size_t pages);
    /** Required: physical address of memory from page_alloc. */
    uint64_t (*virt_to_phys)(void *user, const void *va);

    /* The members below run in VMX root, in the exit handler: interrupts off, no sleeping,
     * no locks that a guest-side holder could keep. */

    /** Optional: pid of the guest's current process (NULL: 0). The guest's state is
     *  readable with hd_vmx_guest_read(). */
    uint32_t (*current_pid)(void *user, struct hd_vmx_cpu *cpu);
    /** Optional: the backend's default VMCALL handling (skipped when a hook short-circuits).
     *  NULL: hd_vmcall_default() — own hypercalls get rax 0, others HD_VMCALL_ENOSYS. The
     *  layer's own VMXOFF hypercall is handled before either. */
    void (*vmcall_default)(void *user, struct hd_vmx_cpu *cpu, struct hd_vcpu *vcpu);
    /** Optional: called once per VMCALL exit after both passes and the default handling,
     *  before RIP advances: @p flags is the OR of both passes' HD_VERDICT_* bits, @p fired
     *  the events that fired in both. For statistics and tracing. */
    void (*vmcall_done)(void *user, struct hd_vmx_cpu *cpu, const struct hd_vcpu *vcpu,
                        uint32_t flags, uint32_t fired);
    /** Optional: a line of text (no newline) about something noteworthy. Called only from
     *  hd_vmx_cpu_log_flush(), in its caller's context (never in VMX root or the start
     *  IPI/DPC: the layer buffers lines per core), so it may print with the OS's printer. */
    void (*log)(void *user, const char *line);
    /** Required: an exit the layer must not resume from. Should not return (panic, bugcheck,
     *  shut down); if it does, the layer halts the core with interrupts off. */
    void (*fatal)(void *user, struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *exit);

    /* ---- version 2 ---- */

    /** Optional, called by hd_vmx_cpu_on() on each core (interrupts off): the physical
     *  address (CR3 value, PCID bits 0) of page tables that map the kernel (this layer's code,
     *  data, host stacks, the engine) and stay valid until every core has stopped. Used as
     *  HOST_CR3. NULL: the CR3 live at hd_vmx_cpu_on(), which is only safe where no process
     *  owns it (bare metal); in a kernel it is the current process's and dies with it. */
    uint64_t (*host_cr3)(void *user);
};

/**
 * Size of version 1 of struct hd_vmx_glue: the least `size` the layer accepts. A glue compiled
 * against an older header has the members past its size NULL (hd_versioned_copy()).
 */
#define HD_VMX_GLUE_V1_SIZE (offsetof(struct hd_vmx_glue, fatal) + sizeof(void (*)(void)))

/** Zero @p glue and set size and version. */
HD_API void hd_vmx_glue_init(struct hd_vmx_glue *glue);

/**
 * Does this CPU support VMX and allow VMXON (CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL)? Locks
 * IA32_FEATURE_CONTROL with "VMXON outside SMX" when firmware left it unlocked. Ring 0.
 * @return HD_OK; HD_ERR_NOT_SUPPORTED (no VMX, or disabled and locked by firmware).
 */
HD_API enum hd_status hd_vmx_supported(void);

/**
 * Allocate one core's VMXON region, VMCS, MSR bitmap and host stack (writer context).
 * @p glue is copied; @p engine receives the VMCALL exits of this core as core index @p core.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT; HD_ERR_BAD_OPS (glue version 0 or size below
 *         HD_VMX_GLUE_V1_SIZE, a required op missing); HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_vmx_cpu_create(const struct hd_vmx_glue *glue,
                                        struct hd_engine *engine, uint32_t core,
                                        struct hd_vmx_cpu **out);

/**
 * On the core @p cpu belongs to, interrupts off: set CR0/CR4 fixed bits, VMXON, and fill
 * the VMCS (controls from the capability MSRs, TRUE_* when IA32_VMX_BASIC bit 55 is set).
 * @return HD_OK; HD_ERR_NOT_SUPPORTED (no VMX, CR0/CR4 cannot take the fixed bits);
 *         HD_ERR_NOT_SUPPORTED also when VMXON, VMCLEAR, VMPTRLD or a VMWRITE
 *         failed (the core's log, printed by hd_vmx_cpu_log_flush(), has the instruction
 *         and the VM-instruction error).
 */
HD_API enum hd_status hd_vmx_cpu_on(struct hd_vmx_cpu *cpu);

/**
 * VMLAUNCH with the current state as guest state. Returns HD_OK in VMX non-root operation,
 * as the guest; HD_ERR_NOT_SUPPORTED when the launch failed (the VM-instruction error is logged,
 * the core stays in VMX root operation: call hd_vmx_cpu_off()).
 */
HD_API enum hd_status hd_vmx_cpu_start(struct hd_vmx_cpu *cpu);

/**
 * From the guest, CPL 0, on a started core: ask the layer to leave VMX operation. The core
 * carries on natively after the call with the guest's registers, stack, CR3, GDTR/IDTR and
 * FS/GS bases. Uses HyperDbg's hypercall magic, which the engine's default own-hypercall
 * test recognises; a backend with its own is_own_hypercall must accept it too.
 * @return HD_OK when VMX operation ended; otherwise the VMCALL was not the layer's (it
 *         returns whatever the default handling left in rax, as an hd_status).
 */
HD_API enum hd_status hd_vmx_cpu_stop(void);

/** In VMX root, not launched (hd_vmx_cpu_start failed): VMCLEAR and VMXOFF, clear CR4.VMXE. */
HD_API void hd_vmx_cpu_off(struct hd_vmx_cpu *cpu);

/**
 * The start sequence every kernel runs on each core, interrupts off: hd_vmx_cpu_on(), then
 * hd_vmx_cpu_start(), and hd_vmx_cpu_off() again when the launch failed.
 * @return HD_OK as the guest (the core is virtualized); otherwise the core is out of VMX
 *         operation and the status is hd_vmx_cpu_on()'s or hd_vmx_cpu_start()'s.
 */
HD_API enum hd_status hd_vmx_cpu_enter(struct hd_vmx_cpu *cpu);

/**
 * Hand the log lines @p cpu buffered since the last flush to glue.log (the first
 * 8 lines per core are kept, later ones counted and reported as dropped). Call from a context
 * that may print (process context, PASSIVE_LEVEL) after hd_vmx_cpu_on/start/stop have run on
 * that core, and before hd_vmx_cpu_destroy(). Lines an exit writes concurrently are picked up
 * by the next flush. NULL ignored.
 */
HD_API void hd_vmx_cpu_log_flush(struct hd_vmx_cpu *cpu);

/** Free what hd_vmx_cpu_create() allocated (after stop/off; NULL ignored). */
HD_API void hd_vmx_cpu_destroy(struct hd_vmx_cpu *cpu);

/** Exits of basic reason @p reason this core has taken (0 past HD_VMX_EXIT_REASON_MAX). */
HD_API uint64_t hd_vmx_cpu_exits(const struct hd_vmx_cpu *cpu, uint32_t reason);

/** Core index given to hd_vmx_cpu_create(). */
HD_API uint32_t hd_vmx_cpu_core(const struct hd_vmx_cpu *cpu);

/** Name of basic exit reason @p reason ("VMCALL", "CPUID", ...; "unknown"). */
const char *hd_vmx_exit_reason_name(uint32_t reason);

/** VMREAD of any VMCS field on the current core (for glue in VMX root, e.g. GUEST_GS_BASE
 *  = 0x6810 to find the guest's per-CPU data). */
HD_API uint64_t hd_vmx_guest_read(uint32_t field);

/**
 * Advance the guest past the instruction that caused the exit: RIP += instruction length,
 * clear RFLAGS.RF and STI/MOV-SS blocking, and set a pending single-step #DB if RFLAGS.TF
 * (SDM 25.1 / 27.3.3; Xen's update_guest_eip). The only place the layer changes RIP for an
 * emulated instruction; glue code that emulates one must call it too.
 */
HD_API void hd_vmx_rip_advance(void);

HD_EXTERN_C_END

#endif /* HDEVENT_VMX_H */
