/* SPDX-License-Identifier: MIT */
/*
 * asm_request.c — one form of an instruction as a Zydis encoder request, and its bytes.
 *
 * Zydis's encoder picks the shortest encoding of a request. Twice that is not the encoding
 * wanted, and the assembler steers it with a stand-in value that only the wanted form holds,
 * then writes the real value over the stand-in's bytes:
 *
 *   - `movabs`: mov's 64-bit immediate (REX.W B8+r) or 64-bit address (A0-A3) form; the
 *     stand-in 0x8000000000000000 fits no shorter form.
 *   - an absolute address that a sign-extended disp32 holds (`mov rax, gs:[0x188]`): the
 *     ModRM/SIB form every assembler writes (65 48 8B 04 25 88 01 00 00); Zydis would pick
 *     the moffs form with an address-size override (65 67 48 A1 88 01 00 00), a byte shorter
 *     for al/ax/eax/rax. The stand-in -0x80000000 is no 32-bit unsigned moffs.
 *
 * And once: Zydis 4.0 writes mov to and from control and debug registers with ModRM.mod 00
 * (0F 22 18 for mov cr3, rax); the CPU ignores mod there, every assembler writes 11
 * (0F 22 D8), and so does this file. Whatever is done, the bytes are decoded back and compared
 * with the request (asm_verify.c).
 */
#include "asm_internal.h"
#include "code_zydis.h"

#include <string.h>

#define MOVABS_STAND_IN 0x8000000000000000ull
#define DISP32_STAND_IN (-0x80000000ll)

/* fs: and gs:, the overrides 64-bit mode honours (asm_parse.c refuses the others). */
static ZydisInstructionAttributes segment_prefix(ZydisRegister seg)
{
    return seg == ZYDIS_REGISTER_FS   ? ZYDIS_ATTRIB_HAS_SEGMENT_FS
           : seg == ZYDIS_REGISTER_GS ? ZYDIS_ATTRIB_HAS_SEGMENT_GS
                                      : 0;
}

static void convert_operand(const struct hd__asm_operand *op, const struct hd__asm_variant *v,
                            ZydisEncoderOperand *e, ZydisEncoderRequest *r)
{
    memset(e, 0, sizeof(*e));
    switch (op->kind) {
    case HD__ASM_OP_REG:
        e->type = ZYDIS_OPERAND_TYPE_REGISTER;
        e->reg.value = op->reg;
        break;
    case HD__ASM_OP_MEM:
        e->type = ZYDIS_OPERAND_TYPE_MEMORY;
        e->mem.base = op->base;
        e->mem.index = op->index;
        e->mem.scale = op->index != ZYDIS_REGISTER_NONE && !(v->no_scale && !op->scale_written)
                           ? op->scale
                           : 0;
        e->mem.displacement = (ZyanI64)op->value;
        e->mem.size = op->size ? op->size : v->size;
        r->prefixes |= segment_prefix(op->segment);
        break;
    case HD__ASM_OP_IMM:
        e->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
        e->imm.u = op->target || v->zero_imm ? 0 : op->value;
        break;
    case HD__ASM_OP_LABEL:
        e->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
        break;
    }
}

bool hd__asm_build(const struct hd__asm_stmt *s, const struct hd__asm_variant *v,
                   ZydisEncoderRequest *r, int8_t *index_of)
{
    uint8_t n = 0;

    memset(r, 0, sizeof(*r));
    r->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    /* MVEX (Knights Corner) never: no CPU that runs a hypervisor has it. */
    r->allowed_encodings = ZYDIS_ENCODABLE_ENCODING_LEGACY | ZYDIS_ENCODABLE_ENCODING_3DNOW |
                           ZYDIS_ENCODABLE_ENCODING_XOP | ZYDIS_ENCODABLE_ENCODING_VEX |
                           ZYDIS_ENCODABLE_ENCODING_EVEX;
    r->mnemonic = s->mnemonic;
    r->prefixes = v->no_prefixes ? 0 : v->prefixes;
    if (s->far)
        r->branch_type = ZYDIS_BRANCH_TYPE_FAR;
    else if (v->width && !v->untyped)
        r->branch_type = v->width == 8 ? ZYDIS_BRANCH_TYPE_SHORT : ZYDIS_BRANCH_TYPE_NEAR;
    if (!v->untyped)
        r->branch_width = v->width == 8    ? ZYDIS_BRANCH_WIDTH_8
                          : v->width == 32 ? ZYDIS_BRANCH_WIDTH_32
                                           : ZYDIS_BRANCH_WIDTH_NONE;
    r->evex.broadcast = s->broadcast;
    r->evex.rounding = s->rounding;
    r->evex.sae = s->sae;
    r->evex.zeroing_mask = s->zeroing;
    if (s->op_count + (v->mask ? 1 : 0) > ZYDIS_ENCODER_MAX_OPERANDS)
        return false;
    for (uint8_t i = 0; i < s->op_count; i++) {
        if (v->mask && i == 1)
            n++; /* the mask's place */
        convert_operand(&s->ops[i], v, &r->operands[n], r);
        if (s->ops[i].kind == HD__ASM_OP_REG && v->regs[i] != ZYDIS_REGISTER_NONE)
            r->operands[n].reg.value = v->regs[i];
        if (index_of)
            index_of[i] = (int8_t)n;
        n++;
    }
    if (v->mask) {
        uint8_t at = s->op_count >= 1 ? 1 : 0;
        r->operands[at].type = ZYDIS_OPERAND_TYPE_REGISTER;
        r->operands[at].reg.value = s->mask != ZYDIS_REGISTER_NONE ? s->mask : ZYDIS_REGISTER_K0;
        if (s->op_count <= 1)
            n++;
    }
    if (v->is4 >= 0 && v->is4 < n && r->operands[v->is4].type == ZYDIS_OPERAND_TYPE_REGISTER)
        r->operands[v->is4].reg.is4 = ZYAN_TRUE;
    r->operand_count = n;
    return true;
}

/* ---- stand-ins -------------------------------------------------------------------------------- */

/* What a stand-in replaced: the value, where it sits in the request, how wide it must be. */
struct stand_in {
    int op;        /* request operand, or -1: none */
    bool imm;      /* an immediate (else a displacement) */
    uint8_t bits;  /* the width the encoding must give it: 64 or 32 */
    uint64_t value;
};

static bool absolute(const ZydisEncoderOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.base == ZYDIS_REGISTER_NONE &&
           o->mem.index == ZYDIS_REGISTER_NONE;
}

static struct stand_in put_stand_in(const struct hd__asm_stmt *s, ZydisEncoderRequest *r)
{
    struct stand_in si = {-1, false, 0, 0};

    for (int i = 0; i < r->operand_count; i++) {
        ZydisEncoderOperand *o = &r->operands[i];
        if (s->movabs && (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE || absolute(o))) {
            si = (struct stand_in){i, o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE, 64, 0};
            si.value = si.imm ? o->imm.u : (uint64_t)o->mem.displacement;
            if (si.imm)
                o->imm.u = MOVABS_STAND_IN;
            else
                o->mem.displacement = (ZyanI64)MOVABS_STAND_IN;
            return si;
        }
        if (!s->movabs && absolute(o) && o->mem.displacement == (int32_t)o->mem.displacement) {
            si = (struct stand_in){i, false, 32, (uint64_t)o->mem.displacement};
            o->mem.displacement = DISP32_STAND_IN;
            return si;
        }
    }
    return si;
}

/* Write the real value over the stand-in. @return false if the encoding is not the form the
 * stand-in was to force. */
static bool take_out_stand_in(const struct stand_in *si, const struct hd_zydis_insn *d,
                              uint8_t *out, size_t n)
{
    uint8_t size = si->imm ? d->insn.raw.imm[0].size : d->insn.raw.disp.size;
    uint8_t at = si->imm ? d->insn.raw.imm[0].offset : d->insn.raw.disp.offset;

    if (size != si->bits || at + si->bits / 8u > n)
        return false;
    for (unsigned k = 0; k < si->bits / 8u; k++)
        out[at + k] = (uint8_t)(si->value >> (8 * k));
    return true;
}

/* ModRM.mod 11 for mov to and from CR/DR (Zydis 4.0 writes 00, which the CPU ignores). */
static void canonical_modrm(const struct hd_zydis_insn *d, uint8_t *out)
{
    for (unsigned i = 0; i < d->insn.operand_count_visible; i++) {
        ZydisRegisterClass c;
        if (d->ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        c = ZydisRegisterGetClass(d->ops[i].reg.value);
        if ((c == ZYDIS_REGCLASS_CONTROL || c == ZYDIS_REGCLASS_DEBUG) &&
            (d->insn.attributes & ZYDIS_ATTRIB_HAS_MODRM) && d->insn.raw.modrm.mod != 3)
            out[d->insn.raw.modrm.offset] |= 0xC0;
    }
}

/* ---- encoding --------------------------------------------------------------------------------- */

/* @p v sign-extended from the smallest of 8, 16, 32 bits that holds it, when its top bit
 * there is set (0xDD -> -0x23); else @p v. */
static uint64_t sign_extend(uint64_t v)
{
    for (unsigned bits = 8; bits <= 32; bits *= 2) {
        if (v >> bits)
            continue;
        return v >> (bits - 1) & 1 ? v | ~(((uint64_t)1 << bits) - 1) : v;
    }
    return v;
}

bool hd__asm_encode_request(const struct hd__asm_stmt *s, const ZydisEncoderRequest *want,
                            bool imm_ext, uint8_t *out, uint8_t *len, char *why, size_t cap)
{
    ZydisEncoderRequest r = *want;
    ZyanUSize n = ZYDIS_MAX_INSTRUCTION_LENGTH;
    struct hd_zydis_insn d;
    struct stand_in si;

    why[0] = '\0';
    /* Zydis takes an immediate as a signed value of the operand's size: 0xDD for al is -0x23.
     * The request compared below keeps the value as written. */
    for (int i = 0; imm_ext && s->target_op < 0 && i < r.operand_count; i++)
        if (r.operands[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            r.operands[i].imm.u = sign_extend(r.operands[i].imm.u);
    si = put_stand_in(s, &r);
    if (s->movabs && si.op < 0)
        return false;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, out, &n))) {
        if (si.op < 0 || s->movabs)
            return false;
        /* No ModRM form takes the address: let Zydis choose, as asked. */
        r.operands[si.op].mem.displacement = (ZyanI64)si.value;
        si.op = -1;
        n = ZYDIS_MAX_INSTRUCTION_LENGTH;
        if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, out, &n)))
            return false;
    }
    if (!ZYAN_SUCCESS(hd__zydis_decode(out, n, 0, &d)))
        return false;
    if (si.op >= 0 && !take_out_stand_in(&si, &d, out, n))
        return false;
    canonical_modrm(&d, out);
    *len = (uint8_t)n;
    return hd__asm_verify(want, s->far, out, n, why, cap);
}
