/* SPDX-License-Identifier: MIT */
/*
 * asm_verify.c — every instruction the assembler encodes is decoded back by Zydis and turned
 * into a request again (ZydisEncoderDecodedInstructionToEncoderRequest); that request must be
 * the one asked for. An encoder bug, or an encoding that means something else, becomes an
 * error instead of different bytes.
 *
 * What is compared: the mnemonic; every operand (register; base, index, scale, displacement
 * and size of memory; the value of an immediate within the operand's size, and a branch's
 * displacement exactly); the prefixes a request can ask for; the EVEX broadcast, rounding,
 * SAE and zeroing; far or not. Not compared: which of equivalent encodings was picked (that
 * is the encoder's choice) and the is4 marks (an encoding detail of VEX/XOP operands).
 */
#include "asm_internal.h"
#include "code_zydis.h"

#include <stdio.h>

static bool same_imm(const ZydisEncoderOperand *w, const ZydisEncoderOperand *g,
                     const ZydisDecodedOperand *d, unsigned operand_width)
{
    /* A signed immediate is sign-extended to the operation's size (83 /0 ib in a 32-bit add
     * is a 32-bit value); others are as wide as they are. */
    unsigned bits = d->imm.is_signed && operand_width > d->size ? operand_width : d->size;
    uint64_t mask, hi;

    if (d->imm.is_relative)
        return w->imm.s == g->imm.s;
    if (bits >= 64 || bits == 0)
        return w->imm.u == g->imm.u;
    /* Within that size, written zero- or sign-extended: -8 and 0xFFFFFFF8 are both the
     * 32-bit immediate 0xFFFFFFF8. */
    mask = ((uint64_t)1 << bits) - 1;
    hi = w->imm.u & ~mask;
    if ((w->imm.u & mask) != (g->imm.u & mask))
        return false;
    return hi == 0 || (hi == ~mask && (w->imm.u >> (bits - 1) & 1));
}

static bool same_operand(const ZydisEncoderOperand *w, const ZydisEncoderOperand *g,
                         const ZydisDecodedOperand *d, unsigned operand_width, char *why,
                         size_t cap, int i)
{
    if (w->type != g->type) {
        snprintf(why, cap, "operand %d is of another kind", i + 1);
        return false;
    }
    switch (w->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        if (w->reg.value == g->reg.value)
            return true;
        snprintf(why, cap, "operand %d is %s, not %s", i + 1, ZydisRegisterGetString(g->reg.value),
                 ZydisRegisterGetString(w->reg.value));
        return false;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (w->mem.base == g->mem.base && w->mem.index == g->mem.index &&
            (w->mem.index == ZYDIS_REGISTER_NONE || w->mem.scale == g->mem.scale) &&
            w->mem.displacement == g->mem.displacement && w->mem.size == g->mem.size)
            return true;
        snprintf(why, cap, "operand %d addresses [%s+%s*%u%+lld] (%u bytes)", i + 1,
                 ZydisRegisterGetString(g->mem.base), ZydisRegisterGetString(g->mem.index),
                 g->mem.scale, (long long)g->mem.displacement, g->mem.size);
        return false;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        if (same_imm(w, g, d, operand_width))
            return true;
        snprintf(why, cap, "operand %d is 0x%llX", i + 1, (unsigned long long)g->imm.u);
        return false;
    default:
        snprintf(why, cap, "operand %d is of a kind the assembler does not write", i + 1);
        return false;
    }
}

bool hd__asm_verify(const ZydisEncoderRequest *want, bool far, const uint8_t *bytes,
                    size_t len, char *why, size_t cap)
{
    struct hd_zydis_insn d;
    ZydisEncoderRequest got;

    if (!ZYAN_SUCCESS(hd__zydis_decode(bytes, len, 0, &d)) || d.insn.length != len) {
        snprintf(why, cap, "the %zu bytes do not decode as one instruction", len);
        return false;
    }
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
            &d.insn, d.ops, d.insn.operand_count_visible, &got))) {
        snprintf(why, cap, "Zydis cannot describe what the bytes decode to");
        return false;
    }
    if (got.mnemonic != want->mnemonic) {
        snprintf(why, cap, "the bytes decode as %s", ZydisMnemonicGetString(got.mnemonic));
        return false;
    }
    if (got.operand_count != want->operand_count) {
        snprintf(why, cap, "the bytes decode with %u operands, not %u", got.operand_count,
                 want->operand_count);
        return false;
    }
    for (int i = 0; i < want->operand_count; i++)
        if (!same_operand(&want->operands[i], &got.operands[i], &d.ops[i],
                          d.insn.operand_width, why, cap, i))
            return false;
    if ((want->prefixes ^ got.prefixes) & ZYDIS_ENCODABLE_PREFIXES) {
        snprintf(why, cap, "the bytes decode with other prefixes");
        return false;
    }
    if (want->evex.broadcast != got.evex.broadcast || want->evex.rounding != got.evex.rounding ||
        !want->evex.sae != !got.evex.sae || !want->evex.zeroing_mask != !got.evex.zeroing_mask) {
        snprintf(why, cap, "the bytes decode with other EVEX decorators");
        return false;
    }
    if ((d.insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) != far) {
        snprintf(why, cap, far ? "the bytes decode as a near branch" : "the bytes decode as a "
                                                                       "far branch");
        return false;
    }
    return true;
}
