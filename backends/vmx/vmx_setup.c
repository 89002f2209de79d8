/* SPDX-License-Identifier: MIT */
/*
 * vmx_setup.c — VMX support check, per-core regions, VMXON, VMCS, VMLAUNCH, VMXOFF.
 *
 * The VMCS is filled from the state the core runs in now (a "blue pill"): after VMLAUNCH the
 * caller continues as the guest. References: SDM Vol. 3C ch. 24 (VMCS), 26 (VM entry checks),
 * Appendix A (capability MSRs).
 */
#include "vmx_arch.h"
#include "vmx_internal.h"

#define PAGE 4096u

/* ---- logging (no libc: a tiny hex formatter) --------------------------------------------- */

void hd_vmx_log2(struct hd_vmx_cpu *cpu, const char *what, uint64_t value)
{
    uint32_t slot = cpu->log_count;
    char *line;
    size_t n = 0;
    static const char pre[] = "vmx: ";

    if (!cpu->glue.log)
        return;
    if (slot >= HD_VMX_LOG_LINES) {
        __atomic_store_n(&cpu->log_count, slot + 1, __ATOMIC_RELEASE); /* counted, dropped */
        return;
    }
    line = cpu->log[slot];
    for (size_t i = 0; pre[i]; i++)
        line[n++] = pre[i];
    for (size_t i = 0; what[i] && n < HD_VMX_LOG_BYTES - 20; i++)
        line[n++] = what[i];
    line[n++] = '0';
    line[n++] = 'x';
    for (int s = 60; s >= 0; s -= 4)
        line[n++] = "0123456789abcdef"[(value >> s) & 0xF];
    line[n] = '\0';
    /* Publish after the text: a flusher on another core reads count with acquire. */
    __atomic_store_n(&cpu->log_count, slot + 1, __ATOMIC_RELEASE);
}

void hd_vmx_cpu_log_flush(struct hd_vmx_cpu *cpu)
{
    uint32_t count, kept;

    if (!cpu || !cpu->glue.log)
        return;
    count = __atomic_load_n(&cpu->log_count, __ATOMIC_ACQUIRE);
    kept = count < HD_VMX_LOG_LINES ? count : HD_VMX_LOG_LINES;
    for (; cpu->log_printed < kept; cpu->log_printed++)
        cpu->glue.log(cpu->glue.user, cpu->log[cpu->log_printed]);
    if (count > HD_VMX_LOG_LINES && cpu->log_printed < count) {
        char msg[64];
        static const char pre[] = "vmx: later log lines dropped: 0x";
        size_t n = 0;
        uint32_t dropped = count - HD_VMX_LOG_LINES;
        for (size_t i = 0; pre[i]; i++)
            msg[n++] = pre[i];
        for (int s = 28; s >= 0; s -= 4)
            msg[n++] = "0123456789abcdef"[(dropped >> s) & 0xF];
        msg[n] = '\0';
        cpu->glue.log(cpu->glue.user, msg);
        cpu->log_printed = count;
    }
}

void hd_vmx_fatal(struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *exit)
{
    cpu->glue.fatal(cpu->glue.user, cpu, exit);
    /* The glue must not return; if it does, resuming would run a guest in an unknown state. */
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- support ----------------------------------------------------------------------------- */

enum hd_status hd_vmx_supported(void)
{
    uint32_t r[4];
    uint64_t fc;

    hd_cpuid(1, 0, r);
    if (!(r[2] & (1u << 5)))
        return HD_ERR_NOT_SUPPORTED;
    fc = hd_rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCKED)) {
        /* Firmware left it open: allow VMXON outside SMX and lock, as firmware would. */
        fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
        hd_wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    }
    return (fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX) ? HD_OK : HD_ERR_NOT_SUPPORTED;
}

/* ---- per-core memory --------------------------------------------------------------------- */

void hd_vmx_glue_init(struct hd_vmx_glue *glue)
{
    __builtin_memset(glue, 0, sizeof(*glue));
    glue->size = sizeof(*glue);
    glue->version = HD_VMX_GLUE_VERSION;
}

enum hd_status hd_vmx_cpu_create(const struct hd_vmx_glue *glue, struct hd_engine *engine,
                                 uint32_t core, struct hd_vmx_cpu **out)
{
    struct hd_vmx_glue copy;
    struct hd_vmx_cpu *cpu;

    if (!glue || !engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    *out = NULL;
    /* The backend ops' copy rule: members past an older glue's size are NULL. */
    if (glue->version < 1 || !hd_versioned_copy(&copy, sizeof(copy), glue, HD_VMX_GLUE_V1_SIZE) ||
        !copy.page_alloc || !copy.page_free || !copy.virt_to_phys || !copy.fatal)
        return HD_ERR_BAD_OPS;
    copy.size = sizeof(copy);
    copy.version = HD_VMX_GLUE_VERSION;
    glue = &copy;
    if (core >= hd_engine_core_count(engine))
        return HD_ERR_INVALID_CORE;
    HD__STATIC_ASSERT(sizeof(struct hd_vmx_cpu) <= PAGE, "hd_vmx_cpu fits a page");
    cpu = glue->page_alloc(glue->user, 1);
    if (!cpu)
        return HD_ERR_NO_MEMORY;
    cpu->glue = copy;
    cpu->engine = engine;
    cpu->core = core;
    cpu->vmxon = glue->page_alloc(glue->user, 1);
    cpu->vmcs = glue->page_alloc(glue->user, 1);
    cpu->msr_bitmap = glue->page_alloc(glue->user, 1); /* all zero: no MSR in range exits */
    cpu->stack = glue->page_alloc(glue->user, HD_VMX_STACK_PAGES);
    if (!cpu->vmxon || !cpu->vmcs || !cpu->msr_bitmap || !cpu->stack) {
        hd_vmx_cpu_destroy(cpu);
        return HD_ERR_NO_MEMORY;
    }
    cpu->vmxon_pa = glue->virt_to_phys(glue->user, cpu->vmxon);
    cpu->vmcs_pa = glue->virt_to_phys(glue->user, cpu->vmcs);
    cpu->msr_bitmap_pa = glue->virt_to_phys(glue->user, cpu->msr_bitmap);
    cpu->host_rsp = (uint64_t)(uintptr_t)cpu->stack + (uint64_t)HD_VMX_STACK_PAGES * PAGE -
                    HD_VMX_STACK_TOP_RESERVED;
    *(struct hd_vmx_cpu **)(uintptr_t)cpu->host_rsp = cpu; /* the stub finds us here */
    *out = cpu;
    return HD_OK;
}

void hd_vmx_cpu_destroy(struct hd_vmx_cpu *cpu)
{
    struct hd_vmx_glue g;
    if (!cpu)
        return;
    g = cpu->glue;
    if (cpu->stack)
        g.page_free(g.user, cpu->stack, HD_VMX_STACK_PAGES);
    if (cpu->msr_bitmap)
        g.page_free(g.user, cpu->msr_bitmap, 1);
    if (cpu->vmcs)
        g.page_free(g.user, cpu->vmcs, 1);
    if (cpu->vmxon)
        g.page_free(g.user, cpu->vmxon, 1);
    g.page_free(g.user, cpu, 1);
}

uint64_t hd_vmx_cpu_exits(const struct hd_vmx_cpu *cpu, uint32_t reason)
{
    return reason <= HD_VMX_EXIT_REASON_MAX ? cpu->exits[reason] : 0;
}

uint32_t hd_vmx_cpu_core(const struct hd_vmx_cpu *cpu) { return cpu->core; }

uint64_t hd_vmx_guest_read(uint32_t field) { return hd_vmread(field); }

/* ---- VMCS -------------------------------------------------------------------------------- */

/* A control as the capability MSR allows it: allowed-0 bits (low half) forced on, bits the
 * allowed-1 half (high half) lacks forced off (SDM A.3-A.5). */
static uint32_t ctl_adjust(uint32_t msr, uint32_t wanted)
{
    uint64_t cap = hd_rdmsr(msr);
    return (wanted | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

/* Base of the descriptor @p sel in the GDT (16-byte system descriptors for TSS/LDT). */
static uint64_t gdt_base_of(uint64_t gdt, uint16_t sel, bool system)
{
    const uint8_t *d = (const uint8_t *)(uintptr_t)(gdt + (sel & ~7u));
    uint64_t base;
    if ((sel & ~7u) == 0)
        return 0;
    base = (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24;
    if (system)
        base |= (uint64_t)(d[8] | d[9] << 8 | d[10] << 16 | (uint32_t)d[11] << 24) << 32;
    return base;
}

struct vmcs_writer {
    struct hd_vmx_cpu *cpu;
    uint32_t failed_field; /* first field whose VMWRITE failed, or ~0 */
};

static void w(struct vmcs_writer *vw, uint32_t field, uint64_t value)
{
    if (hd_vmwrite(field, value) != 0 && vw->failed_field == ~0u)
        vw->failed_field = field;
}

/* Guest segment @p i (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS, 6 LDTR, 7 TR): the four VMCS
 * encodings step by 2 in that order. */
static void guest_seg(struct vmcs_writer *vw, unsigned i, uint16_t sel, uint64_t base)
{
    uint32_t ar = hd_seg_ar(sel);
    w(vw, GUEST_ES_SELECTOR + 2 * i, sel);
    w(vw, GUEST_ES_LIMIT + 2 * i, (ar & 0x10000u) ? 0 : hd_seg_limit(sel));
    w(vw, GUEST_ES_AR + 2 * i, ar);
    w(vw, GUEST_ES_BASE + 2 * i, base);
}

static void vmcs_fill(struct vmcs_writer *vw, struct hd_vmx_cpu *cpu)
{
    struct hd_dtr gdtr, idtr;
    uint64_t efer = hd_rdmsr(MSR_IA32_EFER);
    uint64_t basic = hd_rdmsr(MSR_IA32_VMX_BASIC);
    bool true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;
    uint32_t pin, proc, proc2, exit_ctl, entry;
    uint16_t tr = hd_read_tr(), ldtr = hd_read_ldtr();

    hd_sgdt(&gdtr);
    hd_sidt(&idtr);

    /* Controls: only what a transparent layer needs. MSR bitmaps (all zero) keep RDMSR/WRMSR
     * in the covered ranges from exiting; RDTSCP, INVPCID and XSAVES stay usable (without the
     * secondary bits they raise #UD in the guest: Linux uses all three). */
    pin = ctl_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS, 0);
    proc = ctl_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                      PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY);
    proc2 = (proc & PROC_ACTIVATE_SECONDARY)
                ? ctl_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
                             PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES)
                : 0;
    exit_ctl = ctl_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
                          EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
                              EXIT_SAVE_DEBUG_CONTROLS);
    /* Debug controls saved on exit and loaded on entry: GUEST_DR7 / GUEST_IA32_DEBUGCTL then
     * always hold the guest's values, which vmx_leave() puts back after VMXOFF. */
    entry = ctl_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
                       ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CONTROLS);
    if (!(exit_ctl & EXIT_HOST_ADDR_SPACE_SIZE) || !(entry & ENTRY_IA32E_MODE_GUEST)) {
        hd_vmx_log2(cpu, "no 64-bit host/guest controls; exit ctls ", exit_ctl);
        vw->failed_field = VM_EXIT_CONTROLS;
        return;
    }

    w(vw, PIN_BASED_VM_EXEC_CONTROL, pin);
    w(vw, CPU_BASED_VM_EXEC_CONTROL, proc);
    if (proc & PROC_ACTIVATE_SECONDARY)
        w(vw, SECONDARY_VM_EXEC_CONTROL, proc2);
    /* Enabled XSAVES consults the XSS-exiting bitmap (SDM 25.1.3): written, not left to the
     * VMCS region's unspecified contents; 0 = XSAVES/XRSTORS never exit. */
    if (proc2 & PROC2_ENABLE_XSAVES)
        w(vw, XSS_EXIT_BITMAP, 0);
    w(vw, VM_EXIT_CONTROLS, exit_ctl);
    w(vw, VM_ENTRY_CONTROLS, entry);
    w(vw, EXCEPTION_BITMAP, 0);
    w(vw, CR3_TARGET_COUNT, 0);
    w(vw, VM_EXIT_MSR_STORE_COUNT, 0);
    w(vw, VM_EXIT_MSR_LOAD_COUNT, 0);
    w(vw, VM_ENTRY_MSR_LOAD_COUNT, 0);
    w(vw, VM_ENTRY_INTR_INFO, 0);
    w(vw, MSR_BITMAP, cpu->msr_bitmap_pa);
    w(vw, VMCS_LINK_POINTER, ~0ull); /* no shadow VMCS; anything else fails VM entry */

    /* CR4.VMXE belongs to the host: masked, and the guest reads it as it was before VMXON. */
    w(vw, CR0_GUEST_HOST_MASK, 0);
    w(vw, CR0_READ_SHADOW, hd_read_cr0());
    w(vw, CR4_GUEST_HOST_MASK, CR4_VMXE);
    w(vw, CR4_READ_SHADOW, hd_read_cr4() & ~CR4_VMXE);

    /* Host: where exits land. Selectors with RPL and TI clear (SDM 26.2.3). */
    w(vw, HOST_CR0, hd_read_cr0());
    /* The CR3 live now belongs to whatever process runs this code (insmod, the target of an
     * IPI or DPC): when it exits its page tables are freed. A kernel backend supplies page
     * tables that live as long as the layer does (glue.host_cr3); bare metal has one CR3. */
    w(vw, HOST_CR3, cpu->glue.host_cr3 ? cpu->glue.host_cr3(cpu->glue.user) : hd_read_cr3());
    w(vw, HOST_CR4, hd_read_cr4());
    w(vw, HOST_CS_SELECTOR, hd_read_cs() & 0xF8u);
    w(vw, HOST_SS_SELECTOR, hd_read_ss() & 0xF8u);
    w(vw, HOST_DS_SELECTOR, hd_read_ds() & 0xF8u);
    w(vw, HOST_ES_SELECTOR, hd_read_es() & 0xF8u);
    w(vw, HOST_FS_SELECTOR, hd_read_fs() & 0xF8u);
    w(vw, HOST_GS_SELECTOR, hd_read_gs() & 0xF8u);
    w(vw, HOST_TR_SELECTOR, tr & 0xF8u); /* must not be 0: the backend loads a TSS */
    w(vw, HOST_FS_BASE, hd_rdmsr(MSR_IA32_FS_BASE));
    w(vw, HOST_GS_BASE, hd_rdmsr(MSR_IA32_GS_BASE));
    w(vw, HOST_TR_BASE, gdt_base_of(gdtr.base, tr, true));
    w(vw, HOST_GDTR_BASE, gdtr.base);
    w(vw, HOST_IDTR_BASE, idtr.base);
    w(vw, HOST_SYSENTER_CS, hd_rdmsr(MSR_IA32_SYSENTER_CS));
    w(vw, HOST_SYSENTER_ESP, hd_rdmsr(MSR_IA32_SYSENTER_ESP));
    w(vw, HOST_SYSENTER_EIP, hd_rdmsr(MSR_IA32_SYSENTER_EIP));
    if (exit_ctl & EXIT_LOAD_EFER)
        w(vw, HOST_IA32_EFER, efer);
    w(vw, HOST_RSP, cpu->host_rsp);
    w(vw, HOST_RIP, (uint64_t)(uintptr_t)hd_vmx_arch_exit_stub);

    /* Guest: the state we run in now. RSP, RIP and RFLAGS are written by the launch stub. */
    w(vw, GUEST_CR0, hd_read_cr0());
    w(vw, GUEST_CR3, hd_read_cr3());
    w(vw, GUEST_CR4, hd_read_cr4());
    w(vw, GUEST_DR7, hd_read_dr7());
    guest_seg(vw, 0, hd_read_es(), 0);
    guest_seg(vw, 1, hd_read_cs(), 0);
    guest_seg(vw, 2, hd_read_ss(), 0);
    guest_seg(vw, 3, hd_read_ds(), 0);
    guest_seg(vw, 4, hd_read_fs(), hd_rdmsr(MSR_IA32_FS_BASE));
    guest_seg(vw, 5, hd_read_gs(), hd_rdmsr(MSR_IA32_GS_BASE));
    guest_seg(vw, 6, ldtr, gdt_base_of(gdtr.base, ldtr, true));
    guest_seg(vw, 7, tr, gdt_base_of(gdtr.base, tr, true));
    w(vw, GUEST_GDTR_BASE, gdtr.base);
    w(vw, GUEST_GDTR_LIMIT, gdtr.limit);
    w(vw, GUEST_IDTR_BASE, idtr.base);
    w(vw, GUEST_IDTR_LIMIT, idtr.limit);
    w(vw, GUEST_IA32_DEBUGCTL, hd_rdmsr(MSR_IA32_DEBUGCTL));
    if (entry & ENTRY_LOAD_EFER)
        w(vw, GUEST_IA32_EFER, efer);
    w(vw, GUEST_SYSENTER_CS, hd_rdmsr(MSR_IA32_SYSENTER_CS));
    w(vw, GUEST_SYSENTER_ESP, hd_rdmsr(MSR_IA32_SYSENTER_ESP));
    w(vw, GUEST_SYSENTER_EIP, hd_rdmsr(MSR_IA32_SYSENTER_EIP));
    w(vw, GUEST_INTERRUPTIBILITY, 0);
    w(vw, GUEST_ACTIVITY_STATE, 0);
    w(vw, GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

enum hd_status hd_vmx_cpu_on(struct hd_vmx_cpu *cpu)
{
    uint64_t basic, cr0, cr4;
    struct vmcs_writer vw = {cpu, ~0u};
    int rc;

    if (!cpu || cpu->vmx_on)
        return HD_ERR_INVALID_ARGUMENT;
    if (hd_vmx_supported() != HD_OK) {
        hd_vmx_log2(cpu, "VMX not supported or disabled by firmware; CPUID.1 ecx bit 5 / FC ",
                    hd_rdmsr(MSR_IA32_FEATURE_CONTROL));
        return HD_ERR_NOT_SUPPORTED;
    }
    cpu->cr0_fixed0 = hd_rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    cpu->cr0_fixed1 = hd_rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    cpu->cr4_fixed0 = hd_rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    cpu->cr4_fixed1 = hd_rdmsr(MSR_IA32_VMX_CR4_FIXED1);

    /* CR0/CR4 must hold the fixed-1 bits and none outside fixed-1 (SDM A.7, A.8). Only set
     * what is required; a required bit we may not set (PG, PE, NE are already on in long
     * mode) or a set bit the CPU refuses means this state cannot enter VMX operation. */
    cr0 = hd_read_cr0() | cpu->cr0_fixed0;
    cr4 = hd_read_cr4() | cpu->cr4_fixed0 | CR4_VMXE;
    if ((cr0 & ~cpu->cr0_fixed1) || (cr4 & ~cpu->cr4_fixed1)) {
        hd_vmx_log2(cpu, "CR0/CR4 cannot take the VMX fixed bits; CR4 ", cr4);
        return HD_ERR_NOT_SUPPORTED;
    }
    hd_write_cr0(cr0);
    hd_write_cr4(cr4);

    /* VMXON region and VMCS start with the revision ID (IA32_VMX_BASIC bits 30:0). */
    basic = hd_rdmsr(MSR_IA32_VMX_BASIC);
    *(uint32_t *)cpu->vmxon = (uint32_t)basic & 0x7FFFFFFFu;
    *(uint32_t *)cpu->vmcs = (uint32_t)basic & 0x7FFFFFFFu;
    if ((rc = hd_vmxon(cpu->vmxon_pa)) != 0) {
        hd_vmx_log2(cpu, "VMXON failed; status ", (uint64_t)rc);
        hd_write_cr4(cr4 & ~CR4_VMXE);
        return HD_ERR_NOT_SUPPORTED;
    }
    cpu->vmx_on = true;
    if ((rc = hd_vmclear(cpu->vmcs_pa)) != 0 || (rc = hd_vmptrld(cpu->vmcs_pa)) != 0) {
        hd_vmx_log2(cpu, "VMCLEAR/VMPTRLD failed; status ", (uint64_t)rc);
        hd_vmx_cpu_off(cpu);
        return HD_ERR_NOT_SUPPORTED;
    }
    vmcs_fill(&vw, cpu);
    if (vw.failed_field != ~0u) {
        hd_vmx_log2(cpu, "VMCS setup failed at field ", vw.failed_field);
        hd_vmx_cpu_off(cpu);
        return HD_ERR_NOT_SUPPORTED;
    }
    return HD_OK;
}

enum hd_status hd_vmx_cpu_start(struct hd_vmx_cpu *cpu)
{
    int rc;
    if (!cpu || !cpu->vmx_on || cpu->launched)
        return HD_ERR_INVALID_ARGUMENT;
    cpu->launched = true; /* set before: on success we come back as the guest */
    rc = hd_vmx_arch_launch();
    if (rc == 0)
        return HD_OK;
    cpu->launched = false;
    hd_vmx_log2(cpu, "VMLAUNCH failed; VM-instruction error ",
                rc == 2 ? hd_vmread(VM_INSTRUCTION_ERROR) : 0xFFFFFFFFull);
    return HD_ERR_NOT_SUPPORTED;
}

void hd_vmx_cpu_off(struct hd_vmx_cpu *cpu)
{
    if (!cpu || !cpu->vmx_on || cpu->launched)
        return;
    hd_vmclear(cpu->vmcs_pa);
    hd_vmxoff();
    hd_write_cr4(hd_read_cr4() & ~CR4_VMXE);
    cpu->vmx_on = false;
}

enum hd_status hd_vmx_cpu_enter(struct hd_vmx_cpu *cpu)
{
    enum hd_status st = hd_vmx_cpu_on(cpu);

    if (st != HD_OK)
        return st;
    st = hd_vmx_cpu_start(cpu);
    if (st != HD_OK)
        hd_vmx_cpu_off(cpu); /* not launched: leave VMX operation again */
    return st;
}

enum hd_status hd_vmx_cpu_stop(void)
{
    /* HyperDbg's own-hypercall magic: the dispatcher marks the call protected, so no hook
     * can change rcx or short-circuit it. rax comes back HD_OK when VMX operation ended. */
    register uint64_t r10 __asm__("r10") = HD_HYPERDBG_MAGIC_R10;
    register uint64_t r11 __asm__("r11") = HD_HYPERDBG_MAGIC_R11;
    register uint64_t r12 __asm__("r12") = HD_HYPERDBG_MAGIC_R12;
    uint64_t rax = (uint64_t)(int64_t)HD_ERR_NOT_SUPPORTED;
    uint64_t rcx = HD_VMX_HYPERCALL_VMXOFF;
    __asm__ volatile("vmcall"
                     : "+a"(rax), "+c"(rcx), "+r"(r10), "+r"(r11), "+r"(r12)
                     :
                     : "rdx", "rbx", "rsi", "rdi", "r8", "r9", "r13", "r14", "r15", "memory", "cc");
    return (enum hd_status)(int64_t)rax;
}
