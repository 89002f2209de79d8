/* SPDX-License-Identifier: MIT */
/*
 * vmx_internal.h — private to backends/vmx: the per-core state and what the C files and the
 * exit stub share.
 */
#ifndef HD_VMX_INTERNAL_H
#define HD_VMX_INTERNAL_H

#include <hdevent/vmx.h>

/* Host stack: 8 pages. Its top holds, from host RSP up: the hd_vmx_cpu pointer, then the
 * IRETQ frame (RIP, CS, RFLAGS, RSP, SS) the stub uses to return to the guest's context after
 * VMXOFF. Host RSP stays 16-byte aligned, so the 16 pushes of the stub keep it aligned. */
#define HD_VMX_STACK_PAGES 8u
#define HD_VMX_STACK_TOP_RESERVED 64u

/* Per-core log buffer (see struct hd_vmx_cpu). */
#define HD_VMX_LOG_LINES 8u
#define HD_VMX_LOG_BYTES 128u

/* What the C exit handler tells the stub. */
#define HD_VMX_RESUME 0
#define HD_VMX_LEAVE 1

struct hd_vmx_cpu {
    struct hd_vmx_glue glue;
    struct hd_engine *engine;
    uint32_t core;
    bool vmx_on;
    bool launched;
    void *vmxon;
    void *vmcs;
    void *msr_bitmap;
    void *stack;
    uint64_t vmxon_pa;
    uint64_t vmcs_pa;
    uint64_t msr_bitmap_pa;
    uint64_t host_rsp;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t exits[HD_VMX_EXIT_REASON_MAX + 1];
    /* Log lines of this core: written only by it (VMX root, or the start IPI/DPC, where an OS
     * print could spin on a lock the interrupted context holds), printed later by
     * hd_vmx_cpu_log_flush(). Never wraps: slots past HD_VMX_LOG_LINES are counted, dropped. */
    uint32_t log_count;   /* lines written (release-stored after the slot is filled) */
    uint32_t log_printed; /* lines handed to glue.log (flusher only) */
    char log[HD_VMX_LOG_LINES][HD_VMX_LOG_BYTES];
};

/* vmx_stub.S */
int hd_vmx_arch_launch(void);
void hd_vmx_arch_exit_stub(void);

/* vmx_exit.c: called by the stub with the saved guest GPRs. */
int hd_vmx_exit_handler(struct hd_guest_regs *regs, struct hd_vmx_cpu *cpu);
/* vmx_exit.c: called by the stub when VMRESUME fails; does not return. */
void hd_vmx_resume_failed(struct hd_vmx_cpu *cpu);

/* vmx_setup.c: log helper usable in VMX root ("vmx: <a><hex>", into the core's buffer), and
 * the fatal path. */
void hd_vmx_log2(struct hd_vmx_cpu *cpu, const char *what, uint64_t value);
void hd_vmx_fatal(struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *exit);

#endif /* HD_VMX_INTERNAL_H */
