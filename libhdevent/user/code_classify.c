/* SPDX-License-Identifier: MIT */
/*
 * hd__code_classify() (code_check.h): what one decoded instruction does to control flow, rsp,
 * the general registers and memory, for the control-flow graph and the stack tracker.
 *
 * It reads Zydis's operands, hidden ones included (push writes [rsp] and rsp, stos writes
 * [rdi] through rdi, call writes rip, rsp and [rsp]), and its category; mnemonics only pick
 * out the few forms the tracker follows exactly (mov, lea, add, sub, inc, dec, and, enter,
 * leave). Whether the instruction belongs in VMX root at all is code_verdict.c's question.
 */
#include "code_check.h"

#include <string.h>

/* ---- registers and operands -------------------------------------------------------------- */

static uint8_t gpr_of(ZydisRegister r)
{
    ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    if (full >= ZYDIS_REGISTER_RAX && full <= ZYDIS_REGISTER_R15)
        return (uint8_t)(full - ZYDIS_REGISTER_RAX);
    return HD__GPR_NONE;
}

/* The full 64-bit register (rsp, not esp): the forms the tracker follows exactly. */
static uint8_t gpr64_of(ZydisRegister r)
{
    return r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15 ? (uint8_t)(r - ZYDIS_REGISTER_RAX)
                                                              : HD__GPR_NONE;
}

static bool is_visible(const ZydisDecodedOperand *op)
{
    return op->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN;
}

/* push/pop/call/ret/enter/leave: rsp and the stack slot are their stack op's, not operands. */
static bool moves_rsp_itself(const struct hd_zydis_insn *d)
{
    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_PUSH:
    case ZYDIS_CATEGORY_POP:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
        return true;
    default:
        return d->insn.mnemonic == ZYDIS_MNEMONIC_ENTER || d->insn.mnemonic == ZYDIS_MNEMONIC_LEAVE;
    }
}

/* A hidden operand that is the instruction's own stack traffic (rsp, [rsp], leave's rbp). */
static bool is_own_stack_operand(const struct hd_zydis_insn *d, const ZydisDecodedOperand *op)
{
    if (is_visible(op) || !moves_rsp_itself(d))
        return false;
    if (op->type == ZYDIS_OPERAND_TYPE_REGISTER)
        return op->reg.value == ZYDIS_REGISTER_RSP || op->reg.value == ZYDIS_REGISTER_RBP;
    return op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
           (op->mem.base == ZYDIS_REGISTER_RSP || op->mem.base == ZYDIS_REGISTER_RBP);
}

/* A hidden register that addresses one of the instruction's memory operands (stos's rdi):
 * read as an address, not as a value. */
static bool is_hidden_address(const struct hd_zydis_insn *d, const ZydisDecodedOperand *op)
{
    if (is_visible(op))
        return false;
    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        const ZydisDecodedOperand *m = &d->ops[i];
        if (m->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (m->mem.base == op->reg.value || m->mem.index == op->reg.value))
            return true;
    }
    return false;
}

/* The bytes an instruction reaches through its memory operand are not the operand's: a rep
 * string instruction repeats rcx times; bts/btr/btc [mem], reg address the bit anywhere from
 * [mem]; the XSAVE area's size depends on XCR0, not on the encoding. */
static bool reaches_beyond_operand(const struct hd_zydis_insn *d)
{
    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_STRINGOP:
    case ZYDIS_CATEGORY_IOSTRINGOP:
        return d->insn.attributes &
               (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
    case ZYDIS_CATEGORY_XSAVE:
    case ZYDIS_CATEGORY_XSAVEOPT:
        return true;
    default:
        break;
    }
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_BT:
    case ZYDIS_MNEMONIC_BTS:
    case ZYDIS_MNEMONIC_BTR:
    case ZYDIS_MNEMONIC_BTC:
        return d->ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
    default:
        return false;
    }
}

static void add_mem(const struct hd_zydis_insn *d, const ZydisDecodedOperand *op,
                    struct hd__code_insn *out)
{
    struct hd__code_mem *m;

    if (out->mem_count >= HD__CODE_MEM_MAX)
        return; /* no x86 instruction has more */
    m = &out->mem[out->mem_count++];
    /* A 32-bit base (esp) truncates the address, which is still the stack's where the stack
     * is below 4 GiB (a bare-metal image); fs: and gs: add a base that may be 0. Both are
     * checked like [rsp]. */
    m->base = gpr_of(op->mem.base);
    m->unbounded = op->mem.index != ZYDIS_REGISTER_NONE || reaches_beyond_operand(d);
    m->write = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
    m->size = op->size >= 8 ? op->size / 8u : 1u;
    m->disp = op->mem.disp.value;
}

/* A write of an 8- or 16-bit register keeps the rest of the 64-bit one (32-bit writes clear
 * the upper half). */
static bool keeps_old_value(const ZydisDecodedOperand *op)
{
    return ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, op->reg.value) < 32;
}

/* Reads, writes, stores and memory operands, from every operand but the instruction's own
 * stack traffic. A write of rsp found here is one no stack op describes: untracked. */
static void scan_operands(const struct hd_zydis_insn *d, struct hd__code_insn *out)
{
    /* clzero zeroes the cache line that holds [rax]; Zydis lists rax alone, no memory. */
    if (d->insn.meta.category == ZYDIS_CATEGORY_CLZERO) {
        out->mem[out->mem_count++] = (struct hd__code_mem){
            .base = 0 /* rax */, .unbounded = true, .write = true, .size = 64};
        out->stores = true;
    }
    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        const ZydisDecodedOperand *op = &d->ops[i];
        bool reads = op->actions & ZYDIS_OPERAND_ACTION_MASK_READ;
        bool writes = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;

        if (is_own_stack_operand(d, op))
            continue;
        if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
            /* lea: the address is the value. */
            uint8_t b = gpr_of(op->mem.base), x = gpr_of(op->mem.index);
            if (b != HD__GPR_NONE)
                out->reads |= (uint16_t)(1u << b);
            if (x != HD__GPR_NONE)
                out->reads |= (uint16_t)(1u << x);
        } else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            add_mem(d, op, out);
            if (writes)
                out->stores = true;
        } else if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
            uint8_t g = gpr_of(op->reg.value);
            ZydisRegisterClass cls = ZydisRegisterGetClass(op->reg.value);
            if (g == HD__GPR_NONE) {
                if (writes && cls != ZYDIS_REGCLASS_FLAGS && cls != ZYDIS_REGCLASS_IP)
                    out->stores = true;
                continue;
            }
            if (writes && g == HD__GPR_RSP)
                out->stack_op = HD__STACK_UNTRACKED;
            else if (writes)
                out->writes |= (uint16_t)(1u << g);
            /* What an 8- or 16-bit write (mov al, 1) or a conditional one (cmovz) leaves of
             * the old value is still in the register: as good as read. */
            if (writes && (keeps_old_value(op) || (op->actions & ZYDIS_OPERAND_ACTION_CONDWRITE)))
                reads = true;
            if (reads && !is_hidden_address(d, op))
                out->reads |= (uint16_t)(1u << g);
        }
    }
}

/* ---- the forms the tracker follows ------------------------------------------------------- */

/* Bytes a push or pop moves rsp by: the size of its stack slot (2 with a 66 prefix). */
static int64_t slot_bytes(const struct hd_zydis_insn *d)
{
    for (unsigned i = 0; i < d->insn.operand_count; i++) {
        const ZydisDecodedOperand *op = &d->ops[i];
        if (!is_visible(op) && op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            op->mem.base == ZYDIS_REGISTER_RSP)
            return op->size / 8;
    }
    return 8;
}

/* mov r64, r64; lea r64, [r64+disp]; add/sub r64, imm; inc/dec r64: dst = src + imm,
 * exactly. */
static bool copy_form(const struct hd_zydis_insn *d, uint8_t *dst, uint8_t *src, int64_t *imm)
{
    const ZydisDecodedOperand *a = &d->ops[0], *b = &d->ops[1];

    if (d->insn.operand_count_visible == 0 || a->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        (*dst = gpr64_of(a->reg.value)) == HD__GPR_NONE ||
        (d->insn.attributes & ZYDIS_ATTRIB_HAS_LOCK))
        return false;
    if (d->insn.operand_count_visible == 1) {
        *src = *dst;
        *imm = d->insn.mnemonic == ZYDIS_MNEMONIC_INC ? 1 : -1;
        return d->insn.mnemonic == ZYDIS_MNEMONIC_INC || d->insn.mnemonic == ZYDIS_MNEMONIC_DEC;
    }
    if (d->insn.operand_count_visible != 2)
        return false;
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        *imm = 0;
        return b->type == ZYDIS_OPERAND_TYPE_REGISTER &&
               (*src = gpr64_of(b->reg.value)) != HD__GPR_NONE;
    case ZYDIS_MNEMONIC_LEA:
        *imm = b->mem.disp.value;
        return b->mem.index == ZYDIS_REGISTER_NONE && d->insn.address_width == 64 &&
               (*src = gpr64_of(b->mem.base)) != HD__GPR_NONE;
    case ZYDIS_MNEMONIC_ADD:
    case ZYDIS_MNEMONIC_SUB:
        if (b->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return false;
        *src = *dst;
        *imm = d->insn.mnemonic == ZYDIS_MNEMONIC_ADD ? b->imm.value.s : -b->imm.value.s;
        return true;
    default:
        return false;
    }
}

/* and r32/r64, imm with 0 <= imm <= 0xFFFF: a small number, never a stack address (rsp & 15).
 * Not and al, 15: the other 56 bits stay. */
static bool masks_to_small_number(const struct hd_zydis_insn *d)
{
    return d->insn.mnemonic == ZYDIS_MNEMONIC_AND && d->insn.operand_count_visible == 2 &&
           d->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && !keeps_old_value(&d->ops[0]) &&
           d->ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && d->ops[1].imm.value.s >= 0 &&
           d->ops[1].imm.value.s <= 0xFFFF;
}

static void stack_form(const struct hd_zydis_insn *d, struct hd__code_insn *out)
{
    uint8_t dst, src;
    int64_t imm;

    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_PUSH:
        out->stack_op = HD__STACK_PUSH;
        out->stack_imm = slot_bytes(d);
        out->stores = true;
        return;
    case ZYDIS_CATEGORY_POP:
        if (out->stack_op != HD__STACK_UNTRACKED) { /* pop rsp stays untracked */
            out->stack_op = HD__STACK_POP;
            out->stack_imm = slot_bytes(d);
            out->mem_after_pop = true;
        }
        return;
    default:
        break;
    }
    if (d->insn.mnemonic == ZYDIS_MNEMONIC_ENTER) {
        out->stack_op = HD__STACK_ENTER;
        out->stack_imm = (int64_t)d->ops[0].imm.value.u;
        out->level = (uint8_t)(d->ops[1].imm.value.u & 31u);
    } else if (d->insn.mnemonic == ZYDIS_MNEMONIC_LEAVE) {
        out->stack_op = HD__STACK_LEAVE;
    } else if (masks_to_small_number(d)) {
        out->reads = 0; /* the register is still written: unknown afterwards */
    } else if (copy_form(d, &dst, &src, &imm)) {
        /* The copy describes the whole effect: nothing else is read or written. */
        out->reads = 0;
        out->writes = 0;
        if (dst == HD__GPR_RSP && src == HD__GPR_RSP && d->insn.mnemonic != ZYDIS_MNEMONIC_MOV) {
            /* add/sub/lea/inc/dec rsp */
            out->stack_op = HD__STACK_ADD;
            out->stack_imm = imm;
        } else if (dst == HD__GPR_RSP) {
            out->stack_op = HD__STACK_COPY;
            out->stack_src = src;
            out->stack_imm = imm;
        } else {
            out->copy_dst = dst;
            out->copy_src = src;
            out->copy_imm = imm;
        }
    }
}

/* ---- control flow ------------------------------------------------------------------------ */

static enum hd__code_flow flow_of(const struct hd_zydis_insn *d)
{
    bool direct = hd__code_relative_target(d);

    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_RET:
        return hd__code_far(d) || hd__code_branch_osize(d) || d->insn.operand_count_visible > 0 ||
                       d->insn.mnemonic != ZYDIS_MNEMONIC_RET
                   ? HD__FLOW_STOP
                   : HD__FLOW_RET;
    case ZYDIS_CATEGORY_UNCOND_BR:
        return hd__code_far(d) ? HD__FLOW_STOP : direct ? HD__FLOW_JUMP : HD__FLOW_INDIRECT_JUMP;
    case ZYDIS_CATEGORY_CALL:
        return hd__code_far(d) ? HD__FLOW_STOP : direct ? HD__FLOW_CALL : HD__FLOW_INDIRECT_CALL;
    case ZYDIS_CATEGORY_SYSRET:
        return HD__FLOW_STOP;
    default:
        break;
    }
    switch (d->insn.mnemonic) {
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_UIRET:
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
        return HD__FLOW_STOP;
    default:
        /* jcc, loop, jrcxz, xbegin: relative, with a fall-through. */
        return direct ? HD__FLOW_BRANCH : HD__FLOW_NEXT;
    }
}

void hd__code_classify(const struct hd_zydis_insn *d, uint32_t offset, struct hd__code_insn *out)
{
    enum hd_code_finding_kind kind;
    const char *why = hd__code_verdict(d, &kind);

    memset(out, 0, sizeof(*out));
    out->offset = offset;
    out->length = d->insn.length;
    out->flow = (uint8_t)flow_of(d);
    out->copy_dst = out->copy_src = out->stack_src = HD__GPR_NONE;
    if (out->flow == HD__FLOW_JUMP || out->flow == HD__FLOW_BRANCH || out->flow == HD__FLOW_CALL) {
        ZyanU64 target = 0;
        /* Runtime address 0: the target comes out as an offset, possibly "negative". */
        ZydisCalcAbsoluteAddress(&d->insn, &d->ops[0], offset, &target);
        out->target = (int64_t)target;
    }
    /* A forbidden instruction is an error already; its stack traffic (int n, iret, syscall)
     * would only add noise. */
    if (why && kind == HD_CODE_FORBIDDEN)
        return;
    scan_operands(d, out);
    stack_form(d, out);
}
