/* SPDX-License-Identifier: MIT */
/*
 * asm_diagnose.c — why an instruction does not encode. Zydis's encoder only says "no form
 * matches", so the instruction is tried again with one thing changed at a time, and the
 * first change that makes it encode names the mistake:
 *
 *   - registers and sized memory brought to one size: an operand size mismatch
 *     ('mov rax, bl': rax is 64-bit, bl is 8-bit);
 *   - immediates made 0: an immediate too large for its operand;
 *   - prefixes left out: a prefix that instruction does not take;
 *   - the other branch width: `short` or `near` that the branch does not have.
 *
 * Otherwise the operands are listed by kind (r64, m32, imm, xmm, ...), which says what
 * was written, since the forms an instruction has are Zydis's.
 */
#include "asm_internal.h"

#include <stdio.h>
#include <string.h>

static unsigned gpr_bits(ZydisRegister r)
{
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8: return 8;
    case ZYDIS_REGCLASS_GPR16: return 16;
    case ZYDIS_REGCLASS_GPR32: return 32;
    case ZYDIS_REGCLASS_GPR64: return 64;
    default: return 0;
    }
}

/* @p r as a general-purpose register of @p bits (rax -> eax), or NONE. */
static ZydisRegister gpr_resize(ZydisRegister r, unsigned bits)
{
    static const ZydisRegisterClass cls[] = {ZYDIS_REGCLASS_GPR8, ZYDIS_REGCLASS_GPR16,
                                             ZYDIS_REGCLASS_GPR32, ZYDIS_REGCLASS_GPR64};
    ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    int id = ZydisRegisterGetId(big);
    unsigned k = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;

    if (id < 0 || ZydisRegisterGetClass(big) != ZYDIS_REGCLASS_GPR64)
        return ZYDIS_REGISTER_NONE;
    /* In the 8-bit class ids 4..7 are ah..bh, and spl..dil, r8b..r15b come after them. */
    if (bits == 8 && id >= 4)
        return ZydisRegisterEncode(cls[k], (ZyanU8)(id + 4));
    return ZydisRegisterEncode(cls[k], (ZyanU8)id);
}

/* The bits of operand @p i when it has a size to compare (a GPR, or memory with a size). */
static unsigned operand_bits(const struct hd__asm_operand *op)
{
    if (op->kind == HD__ASM_OP_REG)
        return gpr_bits(op->reg);
    if (op->kind == HD__ASM_OP_MEM)
        return 8u * op->size;
    return 0;
}

/* Two operands of different sizes that one common size makes encodable. */
static bool size_mismatch(const struct hd__asm_stmt *s, const struct hd__asm_variant *base,
                          int *first, int *other)
{
    struct hd__asm_stmt t = *s;
    struct hd__asm_variant v = *base;
    unsigned want = 0;

    *first = *other = -1;
    for (int i = 0; i < s->op_count; i++) {
        unsigned b = operand_bits(&s->ops[i]);
        if (!b)
            continue;
        if (*first < 0) {
            *first = i;
            want = b;
        } else if (b != want && *other < 0) {
            *other = i;
        }
    }
    if (*other < 0)
        return false;
    for (int i = 0; i < s->op_count; i++) {
        if (s->ops[i].kind == HD__ASM_OP_REG && gpr_bits(s->ops[i].reg)) {
            v.regs[i] = gpr_resize(s->ops[i].reg, want);
            if (v.regs[i] == ZYDIS_REGISTER_NONE)
                return false;
        } else if (s->ops[i].kind == HD__ASM_OP_MEM && s->ops[i].size) {
            t.ops[i].size = (uint16_t)(want / 8);
        }
    }
    return hd__asm_encodes(&t, &v);
}

static const char *reg_kind(ZydisRegister r)
{
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8: return "r8";
    case ZYDIS_REGCLASS_GPR16: return "r16";
    case ZYDIS_REGCLASS_GPR32: return "r32";
    case ZYDIS_REGCLASS_GPR64: return "r64";
    case ZYDIS_REGCLASS_X87: return "st";
    case ZYDIS_REGCLASS_MMX: return "mm";
    case ZYDIS_REGCLASS_XMM: return "xmm";
    case ZYDIS_REGCLASS_YMM: return "ymm";
    case ZYDIS_REGCLASS_ZMM: return "zmm";
    case ZYDIS_REGCLASS_TMM: return "tmm";
    case ZYDIS_REGCLASS_SEGMENT: return "sreg";
    case ZYDIS_REGCLASS_CONTROL: return "cr";
    case ZYDIS_REGCLASS_DEBUG: return "dr";
    case ZYDIS_REGCLASS_MASK: return "k";
    case ZYDIS_REGCLASS_BOUND: return "bnd";
    default: return ZydisRegisterGetString(r);
    }
}

/* "r64, m32, imm": the operands by kind. */
static void kinds(const struct hd__asm_stmt *s, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    for (int i = 0; i < s->op_count && n < cap; i++) {
        const struct hd__asm_operand *op = &s->ops[i];
        char k[16];
        if (op->kind == HD__ASM_OP_REG)
            snprintf(k, sizeof(k), "%s", reg_kind(op->reg));
        else if (op->kind == HD__ASM_OP_MEM && op->size)
            snprintf(k, sizeof(k), "m%u", 8u * op->size);
        else if (op->kind == HD__ASM_OP_MEM)
            snprintf(k, sizeof(k), "m");
        else if (op->kind == HD__ASM_OP_IMM && !op->target)
            snprintf(k, sizeof(k), "imm");
        else
            snprintf(k, sizeof(k), "label");
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", k);
    }
}

static enum hd_status fail_size(struct hd__asm *a, const struct hd__asm_stmt *s, int i, int j)
{
    const struct hd__asm_operand *x = &s->ops[i], *y = &s->ops[j];
    return hd__asm_fail_span(a, s->body, "operand size mismatch: %.*s is %u-bit, %.*s is %u-bit",
                             (int)x->span.len, a->text + x->span.off, operand_bits(x),
                             (int)y->span.len, a->text + y->span.off, operand_bits(y));
}

static bool has_immediate(const struct hd__asm_stmt *s)
{
    for (int i = 0; i < s->op_count; i++)
        if (s->ops[i].kind == HD__ASM_OP_IMM && !s->ops[i].target)
            return true;
    return false;
}

static enum hd_status fail_immediate(struct hd__asm *a, const struct hd__asm_stmt *s)
{
    const struct hd__asm_operand *imm = NULL;
    unsigned bits = 0;

    for (int i = 0; i < s->op_count; i++) {
        if (s->ops[i].kind == HD__ASM_OP_IMM && !s->ops[i].target && !imm)
            imm = &s->ops[i];
        else if (!bits)
            bits = operand_bits(&s->ops[i]);
    }
    if (bits == 64)
        return hd__asm_fail_span(a, imm->span,
                                 "immediate does not fit: 64-bit operations take a 32-bit "
                                 "immediate, sign-extended (-0x80000000 to 0x7FFFFFFF); "
                                 "movabs loads any 64-bit value into a register");
    if (bits)
        return hd__asm_fail_span(a, imm->span, "immediate does not fit in %u bits", bits);
    return hd__asm_fail_span(a, imm->span, "immediate too large for %s",
                             ZydisMnemonicGetString(s->mnemonic));
}

enum hd_status hd__asm_diagnose(struct hd__asm *a, const struct hd__asm_stmt *s,
                                const struct hd__asm_attempt *last)
{
    const char *mn = ZydisMnemonicGetString(s->mnemonic);
    struct hd__asm_variant v;
    char list[96];
    int i, j;

    if (last->encoded_other)
        return hd__asm_fail_span(a, s->body, "Zydis encodes this as another instruction: %s",
                                 last->why);
    if (s->movabs)
        return hd__asm_fail_span(a, s->body,
                                 "movabs takes a 64-bit register and a number (movabs rax, "
                                 "0x1122334455667788), or al/ax/eax/rax and an address "
                                 "without registers (movabs rax, [0x1122334455667788])");
    if (s->target_op >= 0 && s->forced_width) {
        memset(&v, 0, sizeof(v));
        v.is4 = -1;
        v.prefixes = s->prefixes;
        v.width = s->forced_width == 8 ? 32 : 8;
        if (hd__asm_encodes(s, &v))
            return hd__asm_fail_span(a, s->mnem, "%s has no %s form", mn,
                                     s->forced_width == 8 ? "short (rel8)" : "near (rel32)");
    }
    for (int mask = s->evex ? 1 : 0; mask < 2; mask++) {
        memset(&v, 0, sizeof(v));
        v.mask = mask;
        v.is4 = -1;
        v.prefixes = s->prefixes;
        v.size = 8;
        if (size_mismatch(s, &v, &i, &j))
            return fail_size(a, s, i, j);
        v.zero_imm = true;
        if (has_immediate(s) && hd__asm_encodes(s, &v))
            return fail_immediate(a, s);
        v.zero_imm = false;
        v.no_prefixes = true;
        if (s->prefixes && hd__asm_encodes(s, &v))
            return hd__asm_fail_span(a, s->body, "%s does not take this prefix", mn);
    }
    for (i = 0; i < s->op_count; i++) {
        const struct hd__asm_operand *op = &s->ops[i];
        if (op->kind == HD__ASM_OP_MEM && op->base != ZYDIS_REGISTER_NONE &&
            op->base != ZYDIS_REGISTER_RIP && (int64_t)op->value != (int32_t)op->value)
            return hd__asm_fail_span(a, op->span, "displacement does not fit in 32 bits");
        if (op->kind == HD__ASM_OP_MEM && ZydisRegisterGetId(op->index) == 4 &&
            gpr_bits(op->index))
            return hd__asm_fail_span(a, op->span, "%s cannot be an index register",
                                     ZydisRegisterGetString(op->index));
    }
    kinds(s, list, sizeof(list));
    if (!s->op_count)
        return hd__asm_fail_span(a, s->body, "%s needs operands", mn);
    return hd__asm_fail_span(a, s->body, "no form of %s takes these operands (%s)", mn, list);
}
