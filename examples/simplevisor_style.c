/* SPDX-License-Identifier: MIT */
/*
 * simplevisor_style.c — hdevent on the VMCALL exit of a SimpleVisor-style hypervisor, in C.
 *
 * SimpleVisor (ionescu007/SimpleVisor) keeps the guest's registers in a CONTEXT its exit stub
 * captured, reads the VMCS into a per-exit SHV_VP_STATE, switches on the exit reason, and on
 * the way out writes RIP, RSP and RFLAGS back. This is that shape with hdevent in the VMCALL
 * case, following docs/c-api.md ("Embedding in your hypervisor"): hd_vmcall_armed() first (no
 * event enabled: no record, no pid, no dispatch), the guest's rsp goes in and
 * comes back out through the VMCS, hooks run through hd_dispatch_vmcall_exit() with the
 * hypervisor's own handling as the callback, and RIP is advanced by the one function that
 * also clears RF and STI/MOV-SS blocking and owes a single-step #DB.
 *
 * No VMX here: __vmx_vmread/__vmx_vmwrite work on a VMCS in memory, and the host backend
 * serves the engine (its ops, with this hypervisor's own-hypercall test). Everything that
 * touches hdevent is what a real exit handler writes. ctest example.simplevisor_style runs it.
 */
#include <stdio.h>
#include <string.h>

#include <hdevent/host.h>

/* ---- a VMCS in memory (the real encodings, SDM Vol. 3D Appendix B) ------------------------ */

enum {
    VMCS_GUEST_RIP = 0x681E, VMCS_GUEST_RSP = 0x681C, VMCS_GUEST_RFLAGS = 0x6820,
    VMCS_GUEST_INTERRUPTIBILITY = 0x4824, VMCS_GUEST_PENDING_DBG = 0x6822,
    VMCS_GUEST_SS_AR = 0x4818, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INSTRUCTION_LENGTH = 0x440C,
};
#define EXIT_REASON_VMCALL 18
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)
#define BLOCKING_BY_STI 0x1ull
#define BLOCKING_BY_MOV_SS 0x2ull
#define PENDING_DBG_BS (1ull << 14)

static struct { unsigned field; uint64_t value; } vmcs[8] = {
    {VMCS_GUEST_RIP, 0}, {VMCS_GUEST_RSP, 0}, {VMCS_GUEST_RFLAGS, 0},
    {VMCS_GUEST_INTERRUPTIBILITY, 0}, {VMCS_GUEST_PENDING_DBG, 0}, {VMCS_GUEST_SS_AR, 0},
    {VMCS_EXIT_REASON, 0}, {VMCS_EXIT_INSTRUCTION_LENGTH, 0},
};

static uint64_t *vmcs_field(unsigned field)
{
    for (size_t i = 0; i < sizeof(vmcs) / sizeof(vmcs[0]); i++)
        if (vmcs[i].field == field)
            return &vmcs[i].value;
    return NULL;
}
static void __vmx_vmread(unsigned field, uint64_t *value) { *value = *vmcs_field(field); }
static void __vmx_vmwrite(unsigned field, uint64_t value) { *vmcs_field(field) = value; }

/* ---- SimpleVisor's per-exit state --------------------------------------------------------- */

/* CONTEXT's integer registers come in GUEST_REGS order; their Rsp is the stub's, not the
 * guest's (the guest's is in the VMCS). */
typedef struct _SHV_CONTEXT {
    uint64_t Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15;
} SHV_CONTEXT;

typedef struct _SHV_VP_STATE {
    SHV_CONTEXT *VpRegs;
    uint64_t GuestRip, GuestRsp, GuestEFlags;
    uint16_t ExitReason;
    uint8_t ExitVm;
    uint32_t Cpu; /* dense index, below the engine's core count */
    uint32_t Pid;
} SHV_VP_STATE;

#define SHV_MAGIC 0x53485621ull /* "SHV!": SimpleVisor's own hypercall, in rcx, from CPL 0 */

static struct hd_engine *g_engine;

/* The hypervisor's own hypercall (S14): hooks see it, cannot change it or short-circuit it. */
static bool shv_is_own_hypercall(void *user, const struct hd_vcpu *vcpu)
{
    (void)user;
    return vcpu->cpl == 0 && vcpu->regs->rcx == SHV_MAGIC;
}

/* SimpleVisor's VMCALL handling, run unless a hook short-circuited the VMCALL. */
static void shv_default_vmcall(void *user, struct hd_vcpu *vcpu)
{
    SHV_VP_STATE *vp = user;
    if (vcpu->flags & HD_VCPU_PROTECTED) {
        vp->ExitVm = 1; /* SimpleVisor's "leave VMX" hypercall */
        vcpu->regs->rax = 0;
    } else {
        vcpu->regs->rax = HD_VMCALL_ENOSYS;
    }
}

static void ShvVmxHandleVmcall(SHV_VP_STATE *vp)
{
    struct hd_guest_regs regs;
    struct hd_vcpu v;
    struct hd_exit x;
    uint64_t len, ss_ar, stub_rsp = vp->VpRegs->Rsp;

    /* The same order: a copy, then the guest's rsp from the VMCS into the rsp slot. */
    memcpy(&regs, &vp->VpRegs->Rax, sizeof(regs));
    regs.rsp = vp->GuestRsp;
    __vmx_vmread(VMCS_EXIT_INSTRUCTION_LENGTH, &len);
    __vmx_vmread(VMCS_GUEST_SS_AR, &ss_ar);
    memset(&v, 0, sizeof(v));
    v.regs = &regs;
    v.rip = vp->GuestRip;
    v.insn_len = (uint32_t)len;
    v.core = vp->Cpu;
    v.cpl = (uint8_t)((ss_ar >> 5) & 3); /* SS.DPL is the CPL */
    v.backend_data = vp;
    if (!hd_vmcall_armed(g_engine)) {
        /* No event enabled: nothing could run. Decide whether the call is ours (S14), answer
         * it, and skip the pid and the dispatcher, as HyperDbg's handler tests its flag. */
        hd_vmcall_own(g_engine, &v);
        shv_default_vmcall(vp, &v);
    } else {
        v.pid = vp->Pid; /* only now: the lookup may need it */
        if (HD_FAILED(hd_dispatch_vmcall_exit(g_engine, &v, NULL, shv_default_vmcall, vp, &x)))
            shv_default_vmcall(vp, &v); /* the record was refused: nothing ran, answer it */
    }

    /* Hooks' writes reach the guest: the GPRs through the context, rsp through the VMCS. */
    memcpy(&vp->VpRegs->Rax, &regs, sizeof(regs));
    vp->VpRegs->Rsp = stub_rsp; /* the stub's own slot stays the stub's */
    vp->GuestRsp = regs.rsp;
}

/* The VMCALL completed: RIP past it, RF and STI/MOV-SS blocking cleared, the single-step #DB
 * a TF guest is owed (SDM 25.1.3, 27.3.3; what hd_vmx_rip_advance() does). */
static void ShvAdvanceRip(SHV_VP_STATE *vp)
{
    uint64_t len, intr, pending;

    __vmx_vmread(VMCS_EXIT_INSTRUCTION_LENGTH, &len);
    vp->GuestRip += len;
    vp->GuestEFlags &= ~RFLAGS_RF;
    __vmx_vmread(VMCS_GUEST_INTERRUPTIBILITY, &intr);
    __vmx_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(BLOCKING_BY_STI | BLOCKING_BY_MOV_SS));
    if (vp->GuestEFlags & RFLAGS_TF) {
        __vmx_vmread(VMCS_GUEST_PENDING_DBG, &pending);
        __vmx_vmwrite(VMCS_GUEST_PENDING_DBG, pending | PENDING_DBG_BS);
    }
}

/* SimpleVisor's exit entry: VMCS into the state, the reason's handler, state back into the VMCS. */
static void ShvVmxEntryHandler(SHV_CONTEXT *ctx, uint32_t cpu, uint32_t pid)
{
    SHV_VP_STATE vp;
    uint64_t reason;

    memset(&vp, 0, sizeof(vp));
    vp.VpRegs = ctx;
    vp.Cpu = cpu;
    vp.Pid = pid;
    __vmx_vmread(VMCS_GUEST_RIP, &vp.GuestRip);
    __vmx_vmread(VMCS_GUEST_RSP, &vp.GuestRsp);
    __vmx_vmread(VMCS_GUEST_RFLAGS, &vp.GuestEFlags);
    __vmx_vmread(VMCS_EXIT_REASON, &reason);
    vp.ExitReason = (uint16_t)reason;
    switch (vp.ExitReason) {
    case EXIT_REASON_VMCALL:
        ShvVmxHandleVmcall(&vp);
        break;
    default:
        break;
    }
    ShvAdvanceRip(&vp); /* SimpleVisor completes every exit it handles */
    __vmx_vmwrite(VMCS_GUEST_RIP, vp.GuestRip);
    __vmx_vmwrite(VMCS_GUEST_RSP, vp.GuestRsp);
    __vmx_vmwrite(VMCS_GUEST_RFLAGS, vp.GuestEFlags);
    if (vp.ExitVm)
        printf("  (the hypervisor's own hypercall: SimpleVisor would leave VMX here)\n");
}

/* ---- the plugin: hooks registered through the C API -------------------------------------- */

/* rcx 0x7002: make room for 16 bytes on the guest stack and report where (a hook moving rsp). */
static void *make_room(struct hd_hook *hook)
{
    if (hook->regs->rcx == 0x7002) {
        hook->regs->rsp -= 0x10;
        hook->regs->rax = hook->regs->rsp;
        hook->short_circuit = true;
    }
    return NULL;
}

/* ---- taking exits ----------------------------------------------------------------------- */

static int failures;

static void expect(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static void guest_vmcall(SHV_CONTEXT *ctx, uint64_t rip, uint64_t rsp, uint64_t rflags,
                         uint64_t intr, unsigned cpl)
{
    __vmx_vmwrite(VMCS_GUEST_RIP, rip);
    __vmx_vmwrite(VMCS_GUEST_RSP, rsp);
    __vmx_vmwrite(VMCS_GUEST_RFLAGS, rflags);
    __vmx_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr);
    __vmx_vmwrite(VMCS_GUEST_PENDING_DBG, 0);
    __vmx_vmwrite(VMCS_GUEST_SS_AR, cpl == 3 ? 0xF3 : 0x93);
    __vmx_vmwrite(VMCS_EXIT_REASON, EXIT_REASON_VMCALL);
    __vmx_vmwrite(VMCS_EXIT_INSTRUCTION_LENGTH, 3);
    ShvVmxEntryHandler(ctx, 1, 0x490);
}

int main(void)
{
    static const uint8_t doc_code[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                       0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                       0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};
    struct hd_host_config config;
    struct hd_host *host;
    struct hd_backend_ops ops;
    struct hd_event_desc ev;
    struct hd_action_desc act[2];
    SHV_CONTEXT ctx;
    uint64_t rip, rsp, pending, intr;

    hd_host_config_init(&config);
    config.cores = 2;
    if (hd_host_create(&config, &host) != HD_OK)
        return 1;
    ops = *hd_host_ops(host); /* copied by the engine; ops.user (the host) outlives it */
    ops.is_own_hypercall = shv_is_own_hypercall;
    if (hd_engine_create(&ops, NULL, &g_engine) != HD_OK)
        return 1;
    /* No event yet: the exit handler's hd_vmcall_armed() test skips the dispatcher, and the
     * hypervisor's own hypercall is still recognised as its own (hd_vmcall_own). */
    memset(&ctx, 0, sizeof(ctx));
    ctx.Rcx = SHV_MAGIC;
    guest_vmcall(&ctx, 0x401000, 0x7FF000, 0x202, 0, 0);
    expect(ctx.Rax == 0, "no event: the own hypercall answered as the hypervisor's (rax 0)");
    memset(&ctx, 0, sizeof(ctx));
    guest_vmcall(&ctx, 0x401000, 0x7FF000, 0x202, 0, 3);
    expect(ctx.Rax == HD_VMCALL_ENOSYS, "no event: any other VMCALL gets rax -1000");

    hd_event_desc_init(&ev); /* !vmcall pid 490 code {HyperDbg's doc code} + a native hook */
    ev.pid = 0x490;
    hd_action_desc_init(&act[0], HD_ACTION_CODE);
    act[0].code = doc_code;
    act[0].code_size = sizeof(doc_code);
    hd_action_desc_init(&act[1], HD_ACTION_NATIVE);
    act[1].fn = make_room;
    ev.actions = act;
    ev.action_count = 2;
    if (hd_event_register(g_engine, &ev, NULL) != HD_OK)
        return 1;

    memset(&ctx, 0, sizeof(ctx));
    ctx.R8 = 0x47424448; /* 'HDBG' */
    guest_vmcall(&ctx, 0x401000, 0x7FF000, 0x202 | RFLAGS_RF, BLOCKING_BY_STI, 0);
    __vmx_vmread(VMCS_GUEST_RIP, &rip);
    __vmx_vmread(VMCS_GUEST_INTERRUPTIBILITY, &intr);
    expect(ctx.R8 == 0x32424448, "HyperDbg's doc code ran: r8 'HDBG' became 'HDB2'");
    expect(ctx.Rax == HD_VMCALL_ENOSYS, "SimpleVisor's handling ran after it: rax -1000");
    expect(rip == 0x401003 && intr == 0, "RIP advanced by 3, STI blocking cleared");

    memset(&ctx, 0, sizeof(ctx));
    ctx.Rcx = 0x7002;
    guest_vmcall(&ctx, 0x401000, 0x7FF000, 0x202 | RFLAGS_TF, 0, 3);
    __vmx_vmread(VMCS_GUEST_RSP, &rsp);
    __vmx_vmread(VMCS_GUEST_PENDING_DBG, &pending);
    expect(rsp == 0x7FEFF0 && ctx.Rax == 0x7FEFF0, "a hook's rsp write reached the VMCS");
    expect(pending & PENDING_DBG_BS, "a single-stepping guest is owed its #DB");

    memset(&ctx, 0, sizeof(ctx));
    ctx.Rcx = SHV_MAGIC;
    guest_vmcall(&ctx, 0x401000, 0x7FF000, 0x202, 0, 0);
    expect(ctx.Rax == 0 && ctx.Rcx == SHV_MAGIC, "the hypervisor's own hypercall: hooks saw it, "
                                                 "changed nothing, SimpleVisor handled it");

    hd_engine_destroy(g_engine);
    hd_host_destroy(host);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
