/*
 * asm_encode.c — one instruction as written to a request Zydis's encoder takes, and the
 * final bytes once it is placed.
 *
 * Intel syntax leaves things to the assembler that Zydis's request spells out, so each
 * instruction is tried in a few forms (variants), each encoded and decoded back:
 *
 *   - an EVEX instruction carries its write mask as the operand after the first (k0: none);
 *     it is added when a decorator asks for EVEX, or when the form without it does not encode;
 *   - `rep` before cmps/scas is repe, as assemblers read it (and `repe` before movs/stos is rep);
 *   - a register in an imm8[7:4] (VEX/XOP is4) is marked when the plain form does not encode;
 *   - a memory operand written without `byte ptr` & co. is tried at every size Zydis uses:
 *     one that fits is taken; several with a size word between them are an error that names
 *     them (`dec [rax]`: say byte/word/dword/qword ptr); sizes no word names (fxsave's 512)
 *     are taken as they come, the shortest encoding first;
 *   - a branch to a label or a number is sized for a rel8 and a rel32 (asm_layout.c picks);
 *   - `movabs` is encoded with a value that needs 64 bits, then the real value is written
 *     over it: Zydis otherwise picks mov's shortest form.
 *
 * A form counts only if it decodes back to the instruction asked for (asm_verify.c) and is far
 * exactly when `far` was written. When none does, asm_diagnose.c says why.
 */
#include "asm_internal.h"
#include "code_zydis.h"

#include <stdio.h>
#include <string.h>

/* Sizes (bytes) a memory operand takes in Zydis's tables: first those with a size word, then
 * those without one (bndldx 24, fnstenv 14/28, fnsave 94/108, fxsave 512, xsave 576). */
static const uint16_t named_sizes[] = {1, 2, 4, 8, 16, 32, 64, 10, 6};
static const uint16_t unnamed_sizes[] = {14, 24, 28, 94, 108, 512, 576};

#define PLACEHOLDER_64 0x8000000000000000ull

static ZydisInstructionAttributes segment_prefix(ZydisRegister seg)
{
    switch (seg) {
    case ZYDIS_REGISTER_ES: return ZYDIS_ATTRIB_HAS_SEGMENT_ES;
    case ZYDIS_REGISTER_CS: return ZYDIS_ATTRIB_HAS_SEGMENT_CS;
    case ZYDIS_REGISTER_SS: return ZYDIS_ATTRIB_HAS_SEGMENT_SS;
    case ZYDIS_REGISTER_DS: return ZYDIS_ATTRIB_HAS_SEGMENT_DS;
    case ZYDIS_REGISTER_FS: return ZYDIS_ATTRIB_HAS_SEGMENT_FS;
    case ZYDIS_REGISTER_GS: return ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    default: return 0;
    }
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
        e->imm.u = op->target ? 0 : op->value;
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
        if (s->ops[i].kind == HD__ASM_OP_IMM && v->zero_imm)
            r->operands[n].imm.u = 0;
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

/* The operand movabs gives 64 bits: the immediate, or an address without registers. */
static int movabs_operand(const ZydisEncoderRequest *r)
{
    for (int i = 0; i < r->operand_count; i++) {
        const ZydisEncoderOperand *o = &r->operands[i];
        if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE ||
            (o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.base == ZYDIS_REGISTER_NONE &&
             o->mem.index == ZYDIS_REGISTER_NONE))
            return i;
    }
    return -1;
}

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
    int mo = s->movabs ? movabs_operand(&r) : -1;
    uint64_t value = 0;

    why[0] = '\0';
    /* Zydis takes an immediate as a signed value of the operand's size: 0xDD for al is -0x23.
     * The request compared below keeps the value as written. */
    for (int i = 0; imm_ext && s->target_op < 0 && i < r.operand_count; i++)
        if (r.operands[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && i != s->target_op)
            r.operands[i].imm.u = sign_extend(r.operands[i].imm.u);
    if (s->movabs) {
        if (mo < 0)
            return false;
        /* A value no shorter form holds makes Zydis pick the 64-bit one. */
        if (r.operands[mo].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            value = r.operands[mo].imm.u;
            r.operands[mo].imm.u = PLACEHOLDER_64;
        } else {
            value = (uint64_t)r.operands[mo].mem.displacement;
            r.operands[mo].mem.displacement = (ZyanI64)PLACEHOLDER_64;
        }
    }
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, out, &n)))
        return false;
    if (s->movabs) {
        struct hd_zydis_insn d;
        if (!ZYAN_SUCCESS(hd_zydis_decode(out, n, 0, &d)))
            return false;
        bool imm = want->operands[mo].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
        uint8_t size = imm ? d.insn.raw.imm[0].size : d.insn.raw.disp.size;
        uint8_t at = imm ? d.insn.raw.imm[0].offset : d.insn.raw.disp.offset;
        if (size != 64 || at + 8u > n)
            return false;
        for (int k = 0; k < 8; k++)
            out[at + k] = (uint8_t)(value >> (8 * k));
    }
    *len = (uint8_t)n;
    return hd__asm_verify(want, s->far, out, n, why, cap);
}

/* ---- choosing the form ---------------------------------------------------------------------- */

static bool has_sizeless_memory(const struct hd__asm_stmt *s)
{
    for (uint8_t i = 0; i < s->op_count; i++)
        if (s->ops[i].kind == HD__ASM_OP_MEM && s->ops[i].size == 0)
            return true;
    return false;
}

/* Encode form @p v of @p s; *len its length. */
static bool try_variant(const struct hd__asm_stmt *s, const struct hd__asm_variant *v,
                        uint8_t *len, struct hd__asm_attempt *last)
{
    ZydisEncoderRequest r;
    uint8_t out[ZYDIS_MAX_INSTRUCTION_LENGTH];
    char why[sizeof(last->why)];

    if (!hd__asm_build(s, v, &r, NULL))
        return false;
    if (hd__asm_encode_request(s, &r, v->imm_ext, out, len, why, sizeof(why)))
        return true;
    if (why[0] && last) {
        last->encoded_other = true;
        memcpy(last->why, why, sizeof(why));
    }
    return false;
}

bool hd__asm_encodes(const struct hd__asm_stmt *s, const struct hd__asm_variant *v)
{
    struct hd__asm_variant w = *v;
    uint8_t len;

    for (int ext = 0; ext < 2; ext++) {
        w.imm_ext = ext;
        if (s->target_op < 0 && try_variant(s, &w, &len, NULL))
            return true;
        for (w.width = 8; s->target_op >= 0 && w.width <= 32; w.width = (uint8_t)(w.width + 24))
            if (try_variant(s, &w, &len, NULL))
                return true;
    }
    return false;
}

/* A memory operand without a size: every size that encodes, then the rule at the top. */
static enum hd_status choose_size(struct hd__asm *a, struct hd__asm_stmt *s,
                                  struct hd__asm_variant *v, struct hd__asm_attempt *last,
                                  bool *found)
{
    uint16_t named[sizeof(named_sizes) / sizeof(named_sizes[0])], best = 0;
    unsigned nn = 0;
    uint8_t best_len = 0xFF, len;

    for (size_t i = 0; i < sizeof(named_sizes) / sizeof(named_sizes[0]); i++) {
        v->size = named_sizes[i];
        if (try_variant(s, v, &len, last))
            named[nn++] = named_sizes[i];
    }
    for (size_t i = 0; i < sizeof(unnamed_sizes) / sizeof(unnamed_sizes[0]); i++) {
        v->size = unnamed_sizes[i];
        if (try_variant(s, v, &len, last) && len < best_len) {
            best = unnamed_sizes[i];
            best_len = len;
        }
    }
    if (nn >= 2) {
        char list[128] = "";
        size_t k = 0;
        for (unsigned i = 0; i < nn && k < sizeof(list); i++)
            k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s ptr",
                                  i == 0 ? "" : i + 1 == nn ? " or " : ", ",
                                  hd__asm_size_name(named[i]));
        return hd__asm_fail_span(a, s->body, "ambiguous operand size: say %s", list);
    }
    if (!best && nn == 1)
        best = named[0];
    *found = best != 0;
    if (*found) {
        v->size = best;
        *found = try_variant(s, v, &len, last);
        s->size = len;
    }
    return HD_OK;
}

/* A branch: its lengths with a rel8 and a rel32; it starts short when it can. */
static bool choose_widths(struct hd__asm_stmt *s, struct hd__asm_variant *v,
                          struct hd__asm_attempt *last)
{
    s->size8 = s->size32 = 0;
    v->width = 8;
    if (s->forced_width != 32 && !try_variant(s, v, &s->size8, last))
        s->size8 = 0;
    v->width = 32;
    if (s->forced_width != 8 && !try_variant(s, v, &s->size32, last))
        s->size32 = 0;
    /* xbegin is no branch to Zydis's encoder: no type, no width, and only a rel32. */
    if (!s->size8 && !s->size32 && s->forced_width != 8) {
        v->untyped = true;
        if (!try_variant(s, v, &s->size32, last))
            s->size32 = 0;
    }
    s->width = s->size8 ? 8 : 32;
    s->size = s->size8 ? s->size8 : s->size32;
    return s->size != 0;
}

/* Is operand @p i of @p s a branch target (jmp, jcc, call, loop, jrcxz, xbegin, ...)? Zydis
 * says, by marking the immediate there as relative when the form is encoded and decoded. */
static bool is_relative(const struct hd__asm_stmt *s, int i)
{
    struct hd__asm_variant v;
    ZydisEncoderRequest r;
    struct hd_zydis_insn d;
    int8_t idx[HD__ASM_MAX_OPS];
    uint8_t out[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize n = sizeof(out);

    memset(&v, 0, sizeof(v));
    v.is4 = -1;
    if (!hd__asm_build(s, &v, &r, idx))
        return false;
    r.operands[idx[i]].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    r.operands[idx[i]].imm.u = 0;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&r, out, &n)) ||
        !ZYAN_SUCCESS(hd_zydis_decode(out, n, 0, &d)))
        return false;
    return d.insn.operand_count_visible > idx[i] &&
           d.ops[idx[i]].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && d.ops[idx[i]].imm.is_relative;
}

/* Which operand is a branch target (the last, when it is a number or a label), which a
 * [rip+label]; labels anywhere else are errors. */
static enum hd_status classify(struct hd__asm *a, struct hd__asm_stmt *s)
{
    const char *mn = ZydisMnemonicGetString(s->mnemonic);
    int last = s->op_count - 1;
    bool rel = false;

    if (last >= 0 && (s->ops[last].kind == HD__ASM_OP_LABEL || s->ops[last].kind == HD__ASM_OP_IMM))
        rel = is_relative(s, last);
    for (uint8_t i = 0; i < s->op_count; i++) {
        if (s->ops[i].kind == HD__ASM_OP_LABEL && !(rel && i == last))
            return hd__asm_fail_span(a, s->ops[i].span,
                                     "a label is the target of a branch (jmp, jz, call, loop, "
                                     "...) or an address [rip+label]; %s takes no label here",
                                     mn);
        if (s->ops[i].kind == HD__ASM_OP_MEM && s->ops[i].ref.len)
            s->riprel_op = (int8_t)i;
    }
    if (rel) {
        s->target_op = (int8_t)last;
        s->ops[last].target = true;
        if (s->far)
            return hd__asm_fail_span(a, s->body, "a far branch takes its target from memory: "
                                                 "%s far fword ptr [rax]", mn);
    } else if (s->forced_width) {
        return hd__asm_fail_span(a, s->mnem, "short and near go before the target of a "
                                             "branch: jmp short done");
    }
    return HD_OK;
}

static bool has_immediate(const struct hd__asm_stmt *s)
{
    for (uint8_t i = 0; i < s->op_count; i++)
        if (s->ops[i].kind == HD__ASM_OP_IMM && !s->ops[i].target)
            return true;
    return false;
}

/* Form @p v of @p s, with its branch widths or memory size chosen. */
static enum hd_status try_form(struct hd__asm *a, struct hd__asm_stmt *s,
                               struct hd__asm_variant *v, struct hd__asm_attempt *last,
                               bool *found)
{
    uint8_t len;

    *found = false;
    if (s->target_op >= 0)
        *found = choose_widths(s, v, last);
    else if (has_sizeless_memory(s))
        return choose_size(a, s, v, last, found);
    else if ((*found = try_variant(s, v, &len, last)))
        s->size = len;
    return HD_OK;
}

static bool has_implicit_scale(const struct hd__asm_stmt *s)
{
    for (uint8_t i = 0; i < s->op_count; i++)
        if (s->ops[i].kind == HD__ASM_OP_MEM && s->ops[i].index != ZYDIS_REGISTER_NONE &&
            !s->ops[i].scale_written)
            return true;
    return false;
}

/* The forms to try, in order: without the EVEX mask first (VEX and legacy forms are
 * shorter), the prefixes as written first, no is4 mark first, a written-out scale of 1 first
 * (MPX's bndldx/bndstx take none), immediates as written first. @return how many. */
static unsigned list_variants(const struct hd__asm_stmt *s, struct hd__asm_variant *out)
{
    static const int8_t is4_forms[] = {-1, 3, 2};
    ZydisInstructionAttributes forms[2] = {s->prefixes, 0};
    unsigned nforms = 1, n = 0;

    /* rep before cmps/scas means repe, and repe before movs/stos means rep. */
    if (s->prefixes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
        forms[nforms++] = s->prefixes ^ (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE);
    for (int mask = s->evex ? 1 : 0; mask < 2; mask++)
        for (unsigned p = 0; p < nforms; p++)
            for (unsigned k = 0; k < sizeof(is4_forms); k++) {
                if (k > 0 && s->op_count + mask < 4)
                    break;
                for (int mib = 0; mib < (has_implicit_scale(s) ? 2 : 1); mib++)
                    for (int ext = 0; ext < (has_immediate(s) ? 2 : 1); ext++) {
                        struct hd__asm_variant *v = &out[n++];
                        memset(v, 0, sizeof(*v));
                        v->mask = mask;
                        v->prefixes = forms[p];
                        v->is4 = is4_forms[k];
                        v->no_scale = mib;
                        v->imm_ext = ext;
                    }
            }
    return n;
}

enum hd_status hd__asm_resolve(struct hd__asm *a, struct hd__asm_stmt *s)
{
    struct hd__asm_variant list[2 * 2 * 3 * 2 * 2];
    struct hd__asm_attempt last;
    unsigned n;

    memset(&last, 0, sizeof(last));
    HD_CHECK(classify(a, s));
    n = list_variants(s, list);
    for (unsigned i = 0; i < n; i++) {
        bool found;
        HD_CHECK(try_form(a, s, &list[i], &last, &found));
        if (found) {
            list[i].width = 0;
            s->var = list[i];
            return HD_OK;
        }
    }
    return hd__asm_diagnose(a, s, &last);
}

/* ---- the final bytes -------------------------------------------------------------------------- */

enum hd_status hd__asm_encode(struct hd__asm *a, struct hd__asm_stmt *s, uint64_t at,
                              uint64_t target, uint64_t riprel, uint8_t *out, uint8_t *len)
{
    struct hd__asm_variant v = s->var;
    ZydisEncoderRequest r;
    int8_t idx[HD__ASM_MAX_OPS];
    uint64_t next = at + s->size;
    char why[160];

    v.width = s->width;
    hd__asm_build(s, &v, &r, idx);
    if (s->target_op >= 0) {
        int64_t rel = (int64_t)(target - next), lim = s->width == 8 ? 0x7F : 0x7FFFFFFF;
        if (rel > lim || rel < -lim - 1)
            return hd__asm_fail_span(a, s->ops[s->target_op].span,
                                     "target out of reach: 0x%llX is %lld bytes away, a rel%u "
                                     "branch reaches %lld to %lld",
                                     (unsigned long long)target, (long long)rel, s->width,
                                     (long long)(-lim - 1), (long long)lim);
        r.operands[idx[s->target_op]].imm.s = rel;
    }
    if (s->riprel_op >= 0) {
        const struct hd__asm_operand *m = &s->ops[s->riprel_op];
        int64_t d = (int64_t)(riprel + m->value - next);
        if (d > 0x7FFFFFFF || d < -0x7FFFFFFF - 1)
            return hd__asm_fail_span(a, m->span, "address out of reach of a rip-relative "
                                                 "displacement (32 bits)");
        r.operands[idx[s->riprel_op]].mem.displacement = d;
    }
    if (!hd__asm_encode_request(s, &r, v.imm_ext, out, len, why, sizeof(why)))
        return hd__asm_fail_span(a, s->body, "%s%s",
                                 why[0] ? "Zydis encodes this as another instruction: " :
                                          "Zydis cannot encode this at its place",
                                 why);
    if (*len != s->size)
        return hd__asm_fail_span(a, s->body, "encoded in %u bytes where %u were laid out",
                                 *len, s->size);
    return HD_OK;
}
