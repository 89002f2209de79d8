/* SPDX-License-Identifier: MIT */
/*
 * asm_encode.c — which form of an instruction to encode, and its final bytes once placed.
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
 *   - immediates are given to Zydis as written, then sign-extended (Zydis reads 0xDD for al
 *     as a signed value that does not fit; -0x23 does);
 *   - an index written without a scale is tried with scale 0 (MPX's bndldx/bndstx);
 *   - a branch to a label or a number is sized for a rel8 and a rel32 (asm_layout.c picks).
 *
 * A form is one request (asm_request.c, which also steers Zydis to movabs and to the ModRM
 * form of absolute addresses).
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
    /* A sign-extended immediate that decodes as another value was the wrong reading of what
     * was written (0xFFFFFFF8 for rax is not -8): no encoder mistake to report. */
    if (why[0] && last && !v->imm_ext) {
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
        if (s->target_op < 0 || v->width) {
            if (try_variant(s, &w, &len, NULL))
                return true;
            continue;
        }
        for (w.width = 8; w.width <= 32; w.width = (uint8_t)(w.width + 24))
            if (try_variant(s, &w, &len, NULL))
                return true;
        w.width = 0;
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

/* Form @p v without a branch type (xbegin), if Zydis encodes it with a rel32. */
static bool untyped_rel32(const struct hd__asm_stmt *s, const struct hd__asm_variant *v,
                          uint8_t *len)
{
    ZydisEncoderRequest r;
    struct hd_zydis_insn d;
    uint8_t out[ZYDIS_MAX_INSTRUCTION_LENGTH];
    char why[160];

    return hd__asm_build(s, v, &r, NULL) &&
           hd__asm_encode_request(s, &r, v->imm_ext, out, len, why, sizeof(why)) &&
           ZYAN_SUCCESS(hd__zydis_decode(out, *len, 0, &d)) && d.insn.raw.imm[0].size == 32;
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
        if (!untyped_rel32(s, v, &s->size32))
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
        !ZYAN_SUCCESS(hd__zydis_decode(out, n, 0, &d)))
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

    if (s->far && last >= 0 && s->ops[last].kind == HD__ASM_OP_LABEL)
        return hd__asm_fail_span(a, s->body, "a far branch takes its target from memory: "
                                             "%s far fword ptr [rax]", mn);
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
