/*
 * hd_code_validate(): what raw code must satisfy before it is sent to a kernel
 * (hdevent/code.h). Three passes over the buffer:
 *
 *   1. a linear sweep decodes every byte (truncated or invalid bytes stop it) and reports
 *      privileged and indirect-branch instructions;
 *   2. every direct branch must land on an instruction start inside the buffer;
 *   3. from offset 0, following fall-through and direct branches, no path may fall off the
 *      end: HyperDbg's stub calls the bytes and expects them to return.
 */
#include "code_zydis.h"

#include <hdevent/code.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How control leaves an instruction. */
enum flow {
    FLOW_NEXT,      /* falls through */
    FLOW_RET,       /* returns to the caller: the end of a good path */
    FLOW_JUMP,      /* direct unconditional jump: only the target */
    FLOW_BRANCH,    /* direct conditional branch or call: target and fall-through */
    FLOW_STOP,      /* leaves for good (indirect jump, far jump, iret, ud2, ...) */
};

struct insn_info {
    uint32_t offset;
    uint8_t length;
    uint8_t flow;
    bool reached;
    int64_t target; /* FLOW_JUMP, FLOW_BRANCH */
};

struct state {
    const uint8_t *code;
    uint32_t size;
    uint32_t flags;
    struct hd_code_report *report;
};

/* ---- findings ---------------------------------------------------------------------------- */

static void finding(struct state *s, enum hd_code_finding_kind kind, bool error, uint32_t offset,
                    const char *instruction, const char *fmt, ...)
{
    struct hd_code_report *r = s->report;
    va_list ap;

    if (error)
        r->errors++;
    else
        r->warnings++;
    if (r->finding_count >= HD_CODE_FINDINGS_MAX)
        return;
    struct hd_code_finding *f = &r->findings[r->finding_count++];
    f->kind = kind;
    f->error = error;
    f->offset = offset;
    snprintf(f->instruction, sizeof(f->instruction), "%s", instruction);
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
}

/* Up to 8 bytes from @p offset as "48 8B 59 ..." for bytes that do not decode. */
static void bytes_text(const struct state *s, uint32_t offset, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = offset; i < s->size && i < offset + 8 && n + 4 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%02X", i > offset ? " " : "", s->code[i]);
    if (s->size > offset + 8 && n + 4 < cap)
        snprintf(buf + n, cap - n, " ...");
}

/* ---- pass 1: what each instruction is ------------------------------------------------------ */

/* Why an instruction has no place in VMX root code, or NULL. The sentence completes
 * "<mnemonic> ...". */
static const char *hostile_reason(const struct hd_zydis_insn *d)
{
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_MWAIT:
    case ZYDIS_MNEMONIC_MONITOR:
        return "stops the core, which runs the exit handler with interrupts off";
    case ZYDIS_MNEMONIC_CLI:
    case ZYDIS_MNEMONIC_STI:
        return "changes the interrupt flag of the exit handler";
    case ZYDIS_MNEMONIC_INT:
    case ZYDIS_MNEMONIC_INT1:
    case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INTO:
        return "raises an interrupt in VMX root, where the host's IDT handles it";
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
        return "raises #UD in VMX root";
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_SYSCALL:
    case ZYDIS_MNEMONIC_SYSRET:
    case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
    case ZYDIS_MNEMONIC_SWAPGS:
        return "switches privilege level or stack from inside the exit handler";
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
        break;
    }
    for (unsigned i = 0; i < d->insn.operand_count_visible; i++) {
        const ZydisDecodedOperand *op = &d->ops[i];
        if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        ZydisRegisterClass c = ZydisRegisterGetClass(op->reg.value);
        if (c == ZYDIS_REGCLASS_CONTROL)
            return "accesses a control register of the host, not the guest";
        if (c == ZYDIS_REGCLASS_DEBUG)
            return "accesses a debug register of the host, not the guest";
    }
    if (d->insn.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
        return "is privileged (CPL 0 only) and acts on the host in VMX root";
    return NULL;
}

/* Does the instruction read or write an x87, MMX, SSE/AVX or mask register (hidden operands
 * included)? In VMX root those hold the guest's values, and neither the exit stubs nor
 * HyperDbg's save them: code that uses them corrupts the guest. */
static bool uses_simd(const struct hd_zydis_insn *d)
{
    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        ZydisRegisterClass c;
        if (d->ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        c = ZydisRegisterGetClass(d->ops[i].reg.value);
        if (c == ZYDIS_REGCLASS_X87 || c == ZYDIS_REGCLASS_MMX || c == ZYDIS_REGCLASS_XMM ||
            c == ZYDIS_REGCLASS_YMM || c == ZYDIS_REGCLASS_ZMM || c == ZYDIS_REGCLASS_MASK)
            return true;
    }
    return false;
}

static bool has_relative_target(const struct hd_zydis_insn *d)
{
    return d->insn.operand_count_visible > 0 && d->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
           d->ops[0].imm.is_relative;
}

static enum flow classify(const struct hd_zydis_insn *d)
{
    bool direct = has_relative_target(d);

    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_RET:
        return FLOW_RET;
    case ZYDIS_CATEGORY_UNCOND_BR:
        return direct ? FLOW_JUMP : FLOW_STOP;
    case ZYDIS_CATEGORY_COND_BR:
        return FLOW_BRANCH; /* always relative in 64-bit mode */
    case ZYDIS_CATEGORY_CALL:
        return direct ? FLOW_BRANCH : FLOW_NEXT; /* an indirect call comes back */
    default:
        break;
    }
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_SYSRET:
    case ZYDIS_MNEMONIC_SYSEXIT:
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
        return FLOW_STOP;
    default:
        /* Loops (loop, jrcxz) and xbegin are relative too: target and fall-through. */
        return direct ? FLOW_BRANCH : FLOW_NEXT;
    }
}

static bool sweep(struct state *s, struct insn_info *info, uint32_t *count)
{
    bool strict = s->flags & HD_CODE_STRICT;
    uint32_t n = 0;

    for (uint32_t off = 0; off < s->size;) {
        struct hd_zydis_insn d;
        char text[96], bytes[40];
        ZyanStatus st = hd__zydis_decode(s->code, s->size, off, &d);

        if (!ZYAN_SUCCESS(st)) {
            bytes_text(s, off, bytes, sizeof(bytes));
            if (st == ZYDIS_STATUS_NO_MORE_DATA)
                finding(s, HD_CODE_TRUNCATED, true, off, bytes,
                        "the instruction at 0x%X needs more bytes than the %u left in the "
                        "buffer",
                        off, s->size - off);
            else
                finding(s, HD_CODE_INVALID, true, off, bytes,
                        "the bytes at 0x%X are not a valid x86-64 instruction", off);
            return false;
        }
        hd__zydis_format(&d, off, text, sizeof(text));
        const char *why = hostile_reason(&d);
        if (why)
            finding(s, HD_CODE_PRIVILEGED, strict, off, text, "%s at 0x%X %s", text, off, why);
        else if (uses_simd(&d))
            finding(s, HD_CODE_SIMD, strict, off, text,
                    "%s at 0x%X uses FPU/SIMD registers, which hold the guest's values in VMX "
                    "root and are not saved around raw code",
                    text, off);
        info[n].offset = off;
        info[n].length = d.insn.length;
        info[n].flow = (uint8_t)classify(&d);
        info[n].reached = false;
        info[n].target = 0;
        if (info[n].flow == FLOW_JUMP || info[n].flow == FLOW_BRANCH) {
            ZyanU64 target = 0;
            /* Runtime address 0: the target comes out as an offset, possibly "negative". */
            ZydisCalcAbsoluteAddress(&d.insn, &d.ops[0], off, &target);
            info[n].target = (int64_t)target;
        } else if (info[n].flow == FLOW_STOP && d.insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR) {
            finding(s, HD_CODE_INDIRECT_BRANCH, false, off, text,
                    "%s at 0x%X is an indirect jump: its target cannot be checked", text, off);
        } else if (d.insn.meta.category == ZYDIS_CATEGORY_CALL && !has_relative_target(&d)) {
            finding(s, HD_CODE_INDIRECT_BRANCH, false, off, text,
                    "%s at 0x%X is an indirect call: its target cannot be checked", text, off);
        }
        n++;
        off += d.insn.length;
    }
    *count = n;
    return true;
}

/* ---- pass 2: branch targets ---------------------------------------------------------------- */

/* Index of the instruction starting at @p offset, or -1 (binary search: offsets ascend). */
static int64_t insn_at(const struct insn_info *info, uint32_t count, int64_t offset)
{
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((int64_t)info[mid].offset == offset)
            return mid;
        if ((int64_t)info[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void check_targets(struct state *s, const struct insn_info *info, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        const struct insn_info *in = &info[i];
        struct hd_code_insn insn;

        if (in->flow != FLOW_JUMP && in->flow != FLOW_BRANCH)
            continue;
        hd_code_disasm(s->code, s->size, in->offset, &insn);
        if (in->target < 0 || in->target >= (int64_t)s->size)
            finding(s, HD_CODE_BRANCH_OUTSIDE, true, in->offset, insn.text,
                    "%s at 0x%X leaves the %u-byte buffer (targets must be below 0x%X)",
                    insn.text, in->offset, s->size, s->size);
        else if (insn_at(info, count, in->target) < 0)
            finding(s, HD_CODE_BRANCH_MISPLACED, true, in->offset, insn.text,
                    "%s at 0x%X lands inside an instruction, not at its start", insn.text,
                    in->offset);
    }
}

/* ---- pass 3: no path runs off the end -------------------------------------------------------- */

static void check_paths(struct state *s, struct insn_info *info, uint32_t count)
{
    uint32_t *work = malloc(sizeof(*work) * (count ? count : 1));
    uint32_t top = 0;

    if (!work) {
        finding(s, HD_CODE_INVALID, true, 0, "", "out of memory while following the code");
        return;
    }
    info[0].reached = true;
    work[top++] = 0;
    while (top) {
        uint32_t i = work[--top];
        const struct insn_info *in = &info[i];
        int64_t next[2];
        unsigned nn = 0;

        if (in->flow == FLOW_NEXT || in->flow == FLOW_BRANCH) {
            if (i + 1 == count) {
                struct hd_code_insn insn;
                hd_code_disasm(s->code, s->size, in->offset, &insn);
                finding(s, HD_CODE_RUNS_OFF_END, true, in->offset, insn.text,
                        "execution continues past the end of the buffer after %s at 0x%X: "
                        "the code must end in a return",
                        insn.text, in->offset);
            } else {
                next[nn++] = i + 1;
            }
        }
        if (in->flow == FLOW_JUMP || in->flow == FLOW_BRANCH) {
            int64_t t = insn_at(info, count, in->target);
            if (t >= 0) /* a bad target is pass 2's finding */
                next[nn++] = t;
        }
        for (unsigned k = 0; k < nn; k++) {
            if (!info[next[k]].reached) {
                info[next[k]].reached = true;
                work[top++] = (uint32_t)next[k];
            }
        }
    }
    free(work);
}

/* ---- entry --------------------------------------------------------------------------------- */

enum hd_status hd_code_validate(const void *code, size_t size, uint32_t flags,
                                struct hd_code_report *report)
{
    struct state s = {code, (uint32_t)size, flags, report};
    struct insn_info *info;
    uint32_t count = 0;

    if (!report || (!code && size))
        return HD_ERR_INVALID_ARGUMENT;
    memset(report, 0, sizeof(*report));
    if (size > HD_CODE_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    if (size == 0) {
        finding(&s, HD_CODE_EMPTY, true, 0, "", "the buffer is empty: the code needs at least "
                                               "a return (C3)");
        return HD_ERR_INVALID_CODE;
    }
    /* One instruction per byte at most. */
    info = malloc(sizeof(*info) * size);
    if (!info)
        return HD_ERR_NO_MEMORY;
    if (sweep(&s, info, &count)) {
        report->instructions = count;
        check_targets(&s, info, count);
        check_paths(&s, info, count);
    }
    free(info);
    return report->errors ? HD_ERR_INVALID_CODE : HD_OK;
}
