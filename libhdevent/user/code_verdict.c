/* SPDX-License-Identifier: MIT */
/*
 * hd__code_verdict() (code_check.h): whether one decoded instruction has a place in VMX root
 * code at all — forbidden (always an error), privileged or hostile, FPU/SIMD state use, or an
 * indirect branch (warnings unless strict).
 *
 * FPU/SIMD state use is read from Zydis's operand registers (hidden ones included), ISA
 * extension and ISA set, not from a list of mnemonics.
 */
#include "code_check.h"

/* ---- forbidden: the code would leave other than by its ret ------------------------------- */

static const char *forbidden_reason(const struct hd_zydis_insn *d)
{
    if (hd__code_branch_osize(d))
        return "has an operand-size prefix (66): AMD processors then use a 16-bit operand size "
               "and truncate RIP, Intel ones do not";
    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_RET:
        if (hd__code_far(d))
            return "is a far return: it loads CS from the stack";
        if (d->insn.mnemonic != ZYDIS_MNEMONIC_RET)
            return "returns from an interrupt: it loads RIP, CS, RFLAGS, RSP and SS from the "
                   "stack";
        if (d->insn.operand_count_visible > 0)
            return "pops more than its return address: the caller's stack would be off";
        return NULL;
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_UNCOND_BR:
        return hd__code_far(d) ? "is a far branch: it loads CS" : NULL;
    case ZYDIS_CATEGORY_SYSCALL:
        return "enters the operating system's system-call handler from VMX root";
    case ZYDIS_CATEGORY_SYSRET:
        return "returns to user mode from inside the exit handler";
    case ZYDIS_CATEGORY_INTERRUPT:
        return "raises an interrupt in VMX root, where the host's IDT handles it";
    default:
        break;
    }
    /* 0F 0D with a register operand: Zydis (after Intel's XED) reads a NOP, processors that
     * implement 0F 0D as PREFETCHW raise #UD. Found by fuzz_code_validate. */
    if (d->insn.meta.isa_set == ZYDIS_ISA_SET_PREFETCH_NOP &&
        d->insn.meta.category == ZYDIS_CATEGORY_WIDENOP)
        return "is 0F 0D with a register operand, which processors with PREFETCHW refuse (#UD)";
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
        return "raises #UD (invalid opcode) in VMX root";
    case ZYDIS_MNEMONIC_UIRET:
        return "returns from a user interrupt: it loads RIP, RFLAGS and RSP from the stack";
    default:
        return NULL;
    }
}

/* ---- privileged: acts on the host -------------------------------------------------------- */

static const char *hostile_mnemonic(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_MWAIT:
    case ZYDIS_MNEMONIC_MONITOR:
        return "stops the core, which runs the exit handler with interrupts off";
    case ZYDIS_MNEMONIC_CLI:
    case ZYDIS_MNEMONIC_STI:
        return "changes the interrupt flag of the exit handler";
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ:
        return "loads RFLAGS, which can change the exit handler's IF, TF, AC and IOPL";
    case ZYDIS_MNEMONIC_SWAPGS:
        return "switches the GS base of the host";
    case ZYDIS_MNEMONIC_VMCALL:
    case ZYDIS_MNEMONIC_VMLAUNCH:
    case ZYDIS_MNEMONIC_VMRESUME:
    case ZYDIS_MNEMONIC_VMXOFF:
    case ZYDIS_MNEMONIC_VMXON:
    case ZYDIS_MNEMONIC_VMCLEAR:
    case ZYDIS_MNEMONIC_VMPTRLD:
    case ZYDIS_MNEMONIC_VMPTRST:
    case ZYDIS_MNEMONIC_VMREAD:
    case ZYDIS_MNEMONIC_VMWRITE:
    case ZYDIS_MNEMONIC_VMFUNC:
    case ZYDIS_MNEMONIC_INVEPT:
    case ZYDIS_MNEMONIC_INVVPID:
        return "is a VMX instruction: in VMX root it acts on the hypervisor itself";
    case ZYDIS_MNEMONIC_WRMSR:
    case ZYDIS_MNEMONIC_RDMSR:
        return "accesses an MSR of the host, not the guest";
    case ZYDIS_MNEMONIC_LGDT:
    case ZYDIS_MNEMONIC_LIDT:
    case ZYDIS_MNEMONIC_LLDT:
    case ZYDIS_MNEMONIC_LTR:
        return "replaces a descriptor table of the host";
    case ZYDIS_MNEMONIC_IN:
    case ZYDIS_MNEMONIC_INSB:
    case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW:
    case ZYDIS_MNEMONIC_OUTSD:
        return "does port I/O from the host";
    case ZYDIS_MNEMONIC_INVD:
        return "discards the caches without writing them back";
    case ZYDIS_MNEMONIC_XSETBV:
    case ZYDIS_MNEMONIC_CLTS:
    case ZYDIS_MNEMONIC_LMSW:
        return "changes the host's control state";
    default:
        return NULL;
    }
}

/* Why an instruction has no place in VMX root code, or NULL. */
static const char *hostile_reason(const struct hd_zydis_insn *d)
{
    const char *why = hostile_mnemonic(d->insn.mnemonic);

    if (why)
        return why;
    if (d->insn.meta.category == ZYDIS_CATEGORY_WAITPKG)
        return "waits in the core, which runs the exit handler with interrupts off";
    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        const ZydisDecodedOperand *op = &d->ops[i];
        if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        ZydisRegisterClass c = ZydisRegisterGetClass(op->reg.value);
        if (c == ZYDIS_REGCLASS_CONTROL)
            return "accesses a control register of the host, not the guest";
        if (c == ZYDIS_REGCLASS_DEBUG)
            return "accesses a debug register of the host, not the guest";
        if (c == ZYDIS_REGCLASS_SEGMENT && (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            return "loads a segment register of the host";
    }
    if (d->insn.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
        return "is privileged (CPL 0 only) and acts on the host in VMX root";
    return NULL;
}

/* ---- FPU/SIMD state ---------------------------------------------------------------------- */

/* An x87, MMX, SSE/AVX, mask or tile register, or the x87 control words or MXCSR. */
static bool is_fpu_simd_register(ZydisRegister r)
{
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_X87:
    case ZYDIS_REGCLASS_MMX:
    case ZYDIS_REGCLASS_XMM:
    case ZYDIS_REGCLASS_YMM:
    case ZYDIS_REGCLASS_ZMM:
    case ZYDIS_REGCLASS_MASK:
    case ZYDIS_REGCLASS_TMM:
        return true;
    default:
        return r == ZYDIS_REGISTER_MXCSR || r == ZYDIS_REGISTER_X87CONTROL ||
               r == ZYDIS_REGISTER_X87STATUS || r == ZYDIS_REGISTER_X87TAG;
    }
}

/*
 * Does the instruction touch x87, MMX, SSE/AVX, mask, tile, XSAVE or MXCSR state? In VMX root
 * those hold the guest's values and neither the exit stubs nor HyperDbg save them: code that
 * uses them corrupts the guest. Three sources, none of them a list of mnemonics:
 *   - every operand register, hidden ones included (fld1 writes st0 and the status word,
 *     ldmxcsr writes MXCSR);
 *   - the ISA extension, for instructions with no register operand that still change the
 *     state (emms, femms, vzeroupper, vzeroall, fwait, ldtilecfg);
 *   - the FXSAVE/XSAVE ISA sets with a memory operand: fxsave, fxrstor, xsave*, xrstor*
 *     (xgetbv, in the XSAVE set too, only reads XCR0 into eax:edx).
 */
static bool uses_fpu_simd(const struct hd_zydis_insn *d)
{
    bool memory = false;

    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        if (d->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            is_fpu_simd_register(d->ops[i].reg.value))
            return true;
        memory |= d->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY;
    }
    switch (d->insn.meta.isa_ext) {
    case ZYDIS_ISA_EXT_X87:
    case ZYDIS_ISA_EXT_MMX:
    case ZYDIS_ISA_EXT_AMD3DNOW:
    case ZYDIS_ISA_EXT_AVX:
    case ZYDIS_ISA_EXT_AVX2:
    case ZYDIS_ISA_EXT_AVX2GATHER:
    case ZYDIS_ISA_EXT_AVX512EVEX:
    case ZYDIS_ISA_EXT_AVX512VEX:
    case ZYDIS_ISA_EXT_AVXAES:
    case ZYDIS_ISA_EXT_AVX_VNNI:
    case ZYDIS_ISA_EXT_F16C:
    case ZYDIS_ISA_EXT_FMA:
    case ZYDIS_ISA_EXT_FMA4:
    case ZYDIS_ISA_EXT_XOP:
    case ZYDIS_ISA_EXT_AMX_TILE:
    case ZYDIS_ISA_EXT_AMX_BF16:
    case ZYDIS_ISA_EXT_AMX_INT8:
        return true;
    default:
        break;
    }
    switch (d->insn.meta.isa_set) {
    case ZYDIS_ISA_SET_FXSAVE:
    case ZYDIS_ISA_SET_FXSAVE64:
    case ZYDIS_ISA_SET_XSAVE:
    case ZYDIS_ISA_SET_XSAVEC:
    case ZYDIS_ISA_SET_XSAVEOPT:
    case ZYDIS_ISA_SET_XSAVES:
        return memory;
    default:
        return false;
    }
}

/* ---- entry ------------------------------------------------------------------------------- */

const char *hd__code_verdict(const struct hd_zydis_insn *d, enum hd_code_finding_kind *kind)
{
    const char *why;

    if ((why = forbidden_reason(d))) {
        *kind = HD_CODE_FORBIDDEN;
        return why;
    }
    if ((why = hostile_reason(d))) {
        *kind = HD_CODE_PRIVILEGED;
        return why;
    }
    if (uses_fpu_simd(d)) {
        *kind = HD_CODE_SIMD;
        return "uses FPU/SIMD state (registers, MXCSR, XSAVE), which holds "
               "the guest's values in VMX root and is not saved around raw code";
    }
    if ((d->insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
         d->insn.meta.category == ZYDIS_CATEGORY_CALL) &&
        !hd__code_relative_target(d)) {
        *kind = HD_CODE_INDIRECT_BRANCH;
        return d->insn.meta.category == ZYDIS_CATEGORY_CALL
                   ? "is an indirect call: its target cannot be checked"
                   : "is an indirect jump: its target cannot be checked";
    }
    return NULL;
}
