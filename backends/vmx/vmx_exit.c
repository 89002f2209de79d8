/* SPDX-License-Identifier: MIT */
/*
 * vmx_exit.c — the exit handler: one table indexed by basic exit reason (KVM style), one
 * function that advances RIP (Xen's update_guest_eip), and the VMCALL path into the core.
 *
 * Only exits the guest can cause with our controls are handled; every other one goes to the
 * glue's fatal op. Nothing is resumed that the layer does not understand.
 */
#include "vmx_arch.h"
#include "vmx_internal.h"

enum {
    EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTERRUPT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
    EXIT_SIPI = 4, EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12,
    EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_VMCALL = 18,
    EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21, EXIT_VMPTRST = 22,
    EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26, EXIT_VMXON = 27,
    EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29, EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32,
    EXIT_INVALID_GUEST_STATE = 33, EXIT_MSR_LOADING = 34, EXIT_MWAIT = 36, EXIT_MTF = 37,
    EXIT_MONITOR = 39, EXIT_PAUSE = 40, EXIT_MACHINE_CHECK = 41, EXIT_EPT_VIOLATION = 48,
    EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50, EXIT_RDTSCP = 51, EXIT_INVVPID = 53,
    EXIT_WBINVD = 54, EXIT_XSETBV = 55, EXIT_INVPCID = 58, EXIT_VMFUNC = 59,
};

static const char *const exit_names[HD_VMX_EXIT_REASON_MAX + 1] = {
    [EXIT_EXCEPTION_NMI] = "exception or NMI", [EXIT_EXTERNAL_INTERRUPT] = "external interrupt",
    [EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT signal", [EXIT_SIPI] = "SIPI",
    [EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
    [EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC",
    [EXIT_RDTSC] = "RDTSC", [EXIT_VMCALL] = "VMCALL", [EXIT_VMCLEAR] = "VMCLEAR",
    [EXIT_VMLAUNCH] = "VMLAUNCH", [EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST",
    [EXIT_VMREAD] = "VMREAD", [EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE",
    [EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON", [EXIT_CR_ACCESS] = "CR access",
    [EXIT_DR_ACCESS] = "DR access", [EXIT_IO] = "I/O instruction", [EXIT_RDMSR] = "RDMSR",
    [EXIT_WRMSR] = "WRMSR", [EXIT_INVALID_GUEST_STATE] = "VM entry: invalid guest state",
    [EXIT_MSR_LOADING] = "VM entry: MSR loading", [EXIT_MWAIT] = "MWAIT",
    [EXIT_MTF] = "monitor trap flag", [EXIT_MONITOR] = "MONITOR", [EXIT_PAUSE] = "PAUSE",
    [EXIT_MACHINE_CHECK] = "VM entry: machine check", [EXIT_EPT_VIOLATION] = "EPT violation",
    [EXIT_EPT_MISCONFIG] = "EPT misconfiguration", [EXIT_INVEPT] = "INVEPT",
    [EXIT_RDTSCP] = "RDTSCP", [EXIT_INVVPID] = "INVVPID", [EXIT_WBINVD] = "WBINVD",
    [EXIT_XSETBV] = "XSETBV", [EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC",
};

const char *hd_vmx_exit_reason_name(uint32_t reason)
{
    const char *n = reason <= HD_VMX_EXIT_REASON_MAX ? exit_names[reason] : NULL;
    return n ? n : "unknown";
}

/* ---- guest helpers ----------------------------------------------------------------------- */

void hd_vmx_rip_advance(void)
{
    uint64_t rflags = hd_vmread(GUEST_RFLAGS);
    uint64_t intr = hd_vmread(GUEST_INTERRUPTIBILITY);
    uint64_t rip = hd_vmread(GUEST_RIP) + hd_vmread(VM_EXIT_INSTRUCTION_LEN);

    /* Outside 64-bit mode (CS.L = 0: compatibility mode) EIP wraps at 4 GiB, as Xen does. */
    if (!(hd_vmread(GUEST_CS_AR) & SEG_AR_L))
        rip = (uint32_t)rip;
    hd_vmwrite(GUEST_RIP, rip);
    /* The instruction completed: RF is cleared and STI / MOV SS blocking ends (SDM 25.1.3). */
    if (rflags & RFLAGS_RF)
        hd_vmwrite(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
    if (intr & (INTR_BLOCKING_STI | INTR_BLOCKING_MOV_SS))
        hd_vmwrite(GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)(INTR_BLOCKING_STI | INTR_BLOCKING_MOV_SS));
    /* Single-stepping guest: the emulated instruction owes it a #DB (pending BS, SDM 24.4.2). */
    if (rflags & RFLAGS_TF)
        hd_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, hd_vmread(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}

/* Fault the instruction: RIP stays, the guest's handler sees the exception. */
static int inject(uint32_t vector, bool has_code, uint32_t code)
{
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    if (has_code) {
        info |= INTR_INFO_DELIVER_CODE;
        hd_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, code);
    }
    hd_vmwrite(VM_ENTRY_INTR_INFO, info);
    return HD_VMX_RESUME;
}

static int inject_gp(void) { return inject(VECTOR_GP, true, 0); }

/* ---- handlers ---------------------------------------------------------------------------- */

typedef int (*exit_fn)(struct hd_vmx_cpu *cpu, struct hd_guest_regs *regs);

static int exit_cpuid(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    uint32_t out[4];
    (void)cpu;
    hd_cpuid((uint32_t)r->rax, (uint32_t)r->rcx, out);
    if ((uint32_t)r->rax == 1)
        out[2] &= ~(1u << 5); /* hide VMX: a nested VMXON would only get #UD */
    r->rax = out[0];
    r->rbx = out[1];
    r->rcx = out[2];
    r->rdx = out[3];
    hd_vmx_rip_advance();
    return HD_VMX_RESUME;
}

static int exit_invd(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    (void)cpu;
    (void)r;
    /* Dropping dirty lines would lose the host's data too: write back instead (as Xen does). */
    __asm__ volatile("wbinvd" : : : "memory");
    hd_vmx_rip_advance();
    return HD_VMX_RESUME;
}

static int exit_vmx_insn(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    (void)cpu;
    (void)r;
    return inject(VECTOR_UD, false, 0); /* no nested VMX: CPUID.1:ECX.VMX is hidden too */
}

/* RDMSR/WRMSR exit only for MSRs outside both bitmap ranges: no architectural MSR lives there
 * that we could forward safely, so the guest gets the #GP(0) an unknown MSR gets. */
static int exit_msr(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    (void)r;
    hd_vmx_log2(cpu, "RDMSR/WRMSR outside the bitmap ranges, #GP injected; MSR ", (uint32_t)r->rcx);
    return inject_gp();
}

static int exit_xsetbv(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    uint32_t leaf_d[4];
    uint64_t value = (r->rdx << 32) | (uint32_t)r->rax;
    (void)cpu;
    hd_cpuid(0xD, 0, leaf_d);
    /* The checks XSETBV makes (SDM Vol. 2): XCR0 only, x87 on, AVX needs SSE, supported bits. */
    if ((uint32_t)r->rcx != 0 || !(value & 1) || ((value & 4) && !(value & 2)) ||
        (value & ~(((uint64_t)leaf_d[3] << 32) | leaf_d[0])))
        return inject_gp();
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
    hd_vmx_rip_advance();
    return HD_VMX_RESUME;
}

/* CR access (SDM table 27-3). Only CR4.VMXE is masked, so in practice: MOV to CR4 changing
 * VMXE, and CR3 accesses on CPUs that cannot turn CR3 exiting off. */
static int exit_cr(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    uint64_t q = hd_vmread(EXIT_QUALIFICATION);
    unsigned cr = q & 0xF, type = (q >> 4) & 3, gpr = (q >> 8) & 0xF;
    uint64_t *reg = hd_guest_reg(r, gpr); /* the qualification's GPR order is GUEST_REGS order */
    uint64_t v = *reg;

    if (type == 0 && cr == 4) {
        uint64_t real = v | cpu->cr4_fixed0 | CR4_VMXE;
        if (real & ~cpu->cr4_fixed1)
            return inject_gp();
        hd_vmwrite(GUEST_CR4, real);
        hd_vmwrite(CR4_READ_SHADOW, v);
    } else if (type == 0 && cr == 0) {
        uint64_t real = v | cpu->cr0_fixed0;
        if (real & ~cpu->cr0_fixed1)
            return inject_gp();
        hd_vmwrite(GUEST_CR0, real);
        hd_vmwrite(CR0_READ_SHADOW, v);
    } else if (type == 0 && cr == 3) {
        hd_vmwrite(GUEST_CR3, v & ~(1ull << 63)); /* bit 63: PCID no-flush hint, not address */
    } else if (type == 1 && cr == 3) {
        *reg = hd_vmread(GUEST_CR3);
    } else if (type == 2) { /* CLTS */
        hd_vmwrite(GUEST_CR0, hd_vmread(GUEST_CR0) & ~8ull);
    } else if (type == 3) { /* LMSW: low 4 bits, and it cannot clear PE */
        uint64_t cr0 = hd_vmread(GUEST_CR0);
        uint64_t src = (q >> 16) & 0xF;
        hd_vmwrite(GUEST_CR0, (cr0 & ~0xEull) | src | (cr0 & 1));
    } else {
        struct hd_vmx_exit ex = {.reason = EXIT_CR_ACCESS, .qualification = q,
                                 .guest_rip = hd_vmread(GUEST_RIP), .regs = r,
                                 .what = "CR access the layer does not emulate"};
        hd_vmx_fatal(cpu, &ex);
    }
    hd_vmx_rip_advance();
    return HD_VMX_RESUME;
}

/* ---- VMCALL: the reason this layer exists ------------------------------------------------- */

/* After the layer's VMXOFF hypercall: leave VMX operation and return into the guest's
 * context natively. The stub pops the guest GPRs and IRETQs through the frame we build. */
static int vmx_leave(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    uint64_t *frame = (uint64_t *)(uintptr_t)(cpu->host_rsp + 8);
    struct hd_dtr gdtr = {(uint16_t)hd_vmread(GUEST_GDTR_LIMIT), hd_vmread(GUEST_GDTR_BASE)};
    struct hd_dtr idtr = {(uint16_t)hd_vmread(GUEST_IDTR_LIMIT), hd_vmread(GUEST_IDTR_BASE)};
    uint64_t cr3 = hd_vmread(GUEST_CR3), cr4 = hd_vmread(GUEST_CR4);
    uint64_t fs = hd_vmread(GUEST_FS_BASE), gs = hd_vmread(GUEST_GS_BASE);
    uint64_t dr7 = hd_vmread(GUEST_DR7), debugctl = hd_vmread(GUEST_IA32_DEBUGCTL);

    frame[0] = hd_vmread(GUEST_RIP); /* already advanced past the VMCALL */
    frame[1] = hd_vmread(GUEST_CS_SELECTOR);
    frame[2] = hd_vmread(GUEST_RFLAGS);
    frame[3] = hd_vmread(GUEST_RSP);
    frame[4] = hd_vmread(GUEST_SS_SELECTOR);
    r->rax = HD_OK;

    hd_vmclear(cpu->vmcs_pa);
    hd_vmxoff();
    cpu->launched = false;
    cpu->vmx_on = false;
    /* A VM exit set the GDTR/IDTR limits to 0xFFFF, the host CR3/FS/GS, DR7 to 0x400 and
     * IA32_DEBUGCTL to 0: give the guest's back (SDM 27.5.1, 27.5.2). The host stack must be
     * mapped in the guest's CR3 (kernel memory). TR keeps limit 0x67: the glue reloads it. */
    hd_write_cr3(cr3);
    hd_lgdt(&gdtr);
    hd_lidt(&idtr);
    hd_wrmsr(MSR_IA32_FS_BASE, fs);
    hd_wrmsr(MSR_IA32_GS_BASE, gs);
    hd_write_dr7(dr7);
    hd_wrmsr(MSR_IA32_DEBUGCTL, debugctl);
    hd_write_cr4(cr4 & ~CR4_VMXE);
    return HD_VMX_LEAVE;
}

/* The default handling of a VMCALL no event short-circuited: the layer's own VMXOFF
 * hypercall, else the glue's (NULL: the default every in-tree backend shares). */
struct vmcall_handling {
    struct hd_vmx_cpu *cpu;
    bool leave;
};

static void vmcall_default(void *user, struct hd_vcpu *v)
{
    struct vmcall_handling *h = user;

    /* Own hypercalls are protected: no hook can have changed rcx or short-circuited. */
    if ((v->flags & HD_VCPU_PROTECTED) && v->regs->rcx == HD_VMX_HYPERCALL_VMXOFF)
        h->leave = true;
    else if (h->cpu->glue.vmcall_default)
        h->cpu->glue.vmcall_default(h->cpu->glue.user, h->cpu, v);
    else
        hd_vmcall_default(NULL, v);
}

static int exit_vmcall(struct hd_vmx_cpu *cpu, struct hd_guest_regs *r)
{
    struct hd_vcpu v = {0};
    struct vmcall_handling h = {cpu, false};
    struct hd_exit x = {0};
    enum hd_status st;

    v.regs = r;
    v.rip = hd_vmread(GUEST_RIP);
    v.insn_len = (uint32_t)hd_vmread(VM_EXIT_INSTRUCTION_LEN);
    v.core = cpu->core;
    v.cpl = (uint8_t)((hd_vmread(GUEST_SS_AR) >> 5) & 3); /* SS.DPL is the CPL (SDM 5.5) */
    v.backend_data = cpu;

    /* The pid is asked for here only when the glue's vmcall_done reads the record
     * (hdevent.ko's exit record in debugfs); otherwise it stays lazy: the engine asks for it
     * when an event filters on it or a backend's own-hypercall predicate runs, as HyperDbg
     * asks only for pid-filtered events. */
    if (cpu->glue.vmcall_done && cpu->glue.current_pid)
        v.pid = cpu->glue.current_pid(cpu->glue.user, cpu);
    else
        v.flags |= HD_VCPU_PID_LAZY;
    if (!hd_vmcall_armed(cpu->engine)) {
        /* No event enabled: no hook can run, so no dispatch, as HyperDbg's handler tests its
         * flag. Only the own-hypercall decision is still needed (S14). */
        if (hd_vmcall_own(cpu->engine, &v))
            x.pre.flags = HD_VERDICT_PROTECTED;
        x.default_handled = true;
        vmcall_default(&h, &v);
    } else {
        /* Pre pass, default handling unless short-circuited, post pass: the core's sequence. */
        st = hd_dispatch_vmcall_exit(cpu->engine, &v, NULL, vmcall_default, &h, &x);
        if (HD_FAILED(st)) {
            hd_vmx_log2(cpu, "hd_dispatch_vmcall refused the exit; status ",
                        (uint64_t)(int64_t)st);
            vmcall_default(&h, &v); /* nothing ran: the VMCALL is still answered */
        }
    }
    if (cpu->glue.vmcall_done)
        cpu->glue.vmcall_done(cpu->glue.user, cpu, &v, x.pre.flags | x.post.flags,
                              x.pre.fired + x.post.fired);
    if (x.pre.flags & HD_VERDICT_DENY_UD) /* `deny ud`: the VMCALL faults (never an own call) */
        return inject(VECTOR_UD, false, 0);
    hd_vmx_rip_advance(); /* short-circuited or not (S12) */
    return h.leave ? vmx_leave(cpu, r) : HD_VMX_RESUME;
}

static const exit_fn exit_table[HD_VMX_EXIT_REASON_MAX + 1] = {
    [EXIT_CPUID] = exit_cpuid,       [EXIT_INVD] = exit_invd,
    [EXIT_VMCALL] = exit_vmcall,     [EXIT_CR_ACCESS] = exit_cr,
    [EXIT_RDMSR] = exit_msr,         [EXIT_WRMSR] = exit_msr,
    [EXIT_XSETBV] = exit_xsetbv,     [EXIT_GETSEC] = exit_vmx_insn,
    [EXIT_VMCLEAR] = exit_vmx_insn,  [EXIT_VMLAUNCH] = exit_vmx_insn,
    [EXIT_VMPTRLD] = exit_vmx_insn,  [EXIT_VMPTRST] = exit_vmx_insn,
    [EXIT_VMREAD] = exit_vmx_insn,   [EXIT_VMRESUME] = exit_vmx_insn,
    [EXIT_VMWRITE] = exit_vmx_insn,  [EXIT_VMXOFF] = exit_vmx_insn,
    [EXIT_VMXON] = exit_vmx_insn,    [EXIT_INVEPT] = exit_vmx_insn,
    [EXIT_INVVPID] = exit_vmx_insn,  [EXIT_VMFUNC] = exit_vmx_insn,
};

int hd_vmx_exit_handler(struct hd_guest_regs *regs, struct hd_vmx_cpu *cpu)
{
    uint32_t reason = (uint32_t)hd_vmread(VM_EXIT_REASON);
    uint32_t basic = reason & 0xFFFFu;
    uint64_t rsp = hd_vmread(GUEST_RSP);
    exit_fn fn = basic <= HD_VMX_EXIT_REASON_MAX && !(reason & (1u << 31)) ? exit_table[basic] : NULL;
    int rc;

    if (basic <= HD_VMX_EXIT_REASON_MAX)
        cpu->exits[basic]++;
    if (!fn) {
        struct hd_vmx_exit ex = {.reason = reason, .qualification = hd_vmread(EXIT_QUALIFICATION),
                                 .guest_rip = hd_vmread(GUEST_RIP), .regs = regs,
                                 .what = hd_vmx_exit_reason_name(basic)};
        hd_vmx_fatal(cpu, &ex);
    }
    /* The stub's rsp slot: hooks and CR emulation see (and may set) the real guest RSP. */
    regs->rsp = rsp;
    rc = fn(cpu, regs);
    if (rc == HD_VMX_RESUME && regs->rsp != rsp)
        hd_vmwrite(GUEST_RSP, regs->rsp);
    return rc;
}

void hd_vmx_resume_failed(struct hd_vmx_cpu *cpu)
{
    struct hd_vmx_exit ex = {.instruction_error = (uint32_t)hd_vmread(VM_INSTRUCTION_ERROR),
                             .guest_rip = hd_vmread(GUEST_RIP), .what = "VMRESUME failed"};
    hd_vmx_fatal(cpu, &ex);
}
