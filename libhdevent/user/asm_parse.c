/* SPDX-License-Identifier: MIT */
/*
 * asm_parse.c — one assembly statement:
 *
 *   statement = { label ":" } [ { prefix } mnemonic [ "far" | "short" | "near" ]
 *                                [ operand { "," operand } ] | data ]
 *   operand   = [ size [ "ptr" ] ] [ segment ":" ] "[" address "]" { decorator }
 *             | register { decorator } | number-expression | label
 *   address   = term { ("+" | "-") term }, a term being a register, register "*" scale,
 *               scale "*" register, a number, or (with rip) a label
 *   data      = ("db" | "dw" | "dd" | "dq") value { "," value }, db also taking strings
 *
 * Nothing is looked up here but names: what an instruction's operands mean is Zydis's
 * business (asm_encode.c).
 */
#include "asm_internal.h"

#include <string.h>

#define EXPECT_OPERAND                                                                         \
    "expected an operand: a register, memory ([rbx+0x10], qword ptr [rdx+0x40]), a number or " \
    "a label"
#define EXPECT_STATEMENT                                                                       \
    "expected an instruction Zydis knows (mov, jz, ...), a prefix (lock, rep, repne, ...), "  \
    "data (db, dw, dd, dq) or a label (name:)"
#define EXPECT_DECORATOR                                                                       \
    "expected {k1}..{k7}, {z}, {1to2}..{1to32}, {rn-sae}, {rd-sae}, {ru-sae}, {rz-sae} or "   \
    "{sae} (Knights Corner MVEX decorators are not supported)"

static struct hd__asm_span tok_to(const struct hd__asm_lexer *lx, uint32_t start)
{
    struct hd__asm_span s = {start, lx->last_end > start ? lx->last_end - start : 0};
    return s;
}

/* ---- decorators: {k1} {z} {1to8} {rn-sae} {sae} ------------------------------------------ */

static bool decorator_is(const char *p, uint32_t n, const char *name)
{
    return strlen(name) == n && memcmp(p, name, n) == 0;
}

static enum hd_status set_decorator(struct hd__asm *a, struct hd__asm_stmt *s, int opi,
                                    struct hd__asm_span span, const char *p, uint32_t n)
{
    static const char *const roundings[] = {"rn-sae", "rd-sae", "ru-sae", "rz-sae"};
    static const ZydisRoundingMode rmode[] = {ZYDIS_ROUNDING_MODE_RN, ZYDIS_ROUNDING_MODE_RD,
                                              ZYDIS_ROUNDING_MODE_RU, ZYDIS_ROUNDING_MODE_RZ};
    static const char *const bcast[] = {"1to2", "1to4", "1to8", "1to16", "1to32", "1to64"};
    ZydisRegister k = hd__asm_register(p, n);

    s->evex = true;
    if (k != ZYDIS_REGISTER_NONE && ZydisRegisterGetClass(k) == ZYDIS_REGCLASS_MASK &&
        k != ZYDIS_REGISTER_K0) {
        if (opi != 0 || s->mask != ZYDIS_REGISTER_NONE)
            return hd__asm_fail_span(a, span, "a write mask goes once, on the first operand: "
                                              "vaddps zmm0 {k1}, zmm1, zmm2");
        s->mask = k;
        return HD_OK;
    }
    if (decorator_is(p, n, "z")) {
        if (opi != 0 || s->zeroing)
            return hd__asm_fail_span(a, span, "{z} goes once, on the first operand, after its "
                                              "mask: vaddps zmm0 {k1} {z}, zmm1, zmm2");
        s->zeroing = true;
        return HD_OK;
    }
    for (int i = 0; i < 6; i++) {
        if (!decorator_is(p, n, bcast[i]))
            continue;
        if (opi < 0 || s->ops[opi].kind != HD__ASM_OP_MEM || s->broadcast)
            return hd__asm_fail_span(a, span, "a broadcast goes once, on a memory operand: "
                                              "dword ptr [rax] {1to16}");
        s->broadcast = (ZydisBroadcastMode)(ZYDIS_BROADCAST_MODE_1_TO_2 + i);
        return HD_OK;
    }
    for (int i = 0; i < 4; i++) {
        if (!decorator_is(p, n, roundings[i]))
            continue;
        if (s->rounding || s->sae)
            return hd__asm_fail_span(a, span, "one rounding or {sae} per instruction");
        s->rounding = rmode[i];
        s->sae = true;
        return HD_OK;
    }
    if (decorator_is(p, n, "sae")) {
        if (s->rounding || s->sae)
            return hd__asm_fail_span(a, span, "one rounding or {sae} per instruction");
        s->sae = true;
        return HD_OK;
    }
    return hd__asm_fail_span(a, span, "unknown decorator: " EXPECT_DECORATOR);
}

/* The '{' at @p open was just read: read up to '}' and apply what is inside, to operand
 * @p opi, or (-1) written where an operand goes: `zmm2, {rn-sae}`, as GAS writes rounding. */
static enum hd_status parse_decorator(struct hd__asm_lexer *lx, struct hd__asm_stmt *s, int opi,
                                      const struct hd__asm_tok *open)
{
    struct hd__asm *a = lx->a;
    uint32_t i = lx->pos, b, e;

    while (i < lx->end && a->text[i] != '}' && a->text[i] != '{')
        i++;
    if (i >= lx->end || a->text[i] != '}')
        return hd__asm_fail(a, open->span.off, i - open->span.off,
                            "decorator without its closing }: " EXPECT_DECORATOR);
    struct hd__asm_span span = {open->span.off, i + 1 - open->span.off};
    for (b = lx->pos; b < i && (a->text[b] == ' ' || a->text[b] == '\t'); b++)
        ;
    for (e = i; e > b && (a->text[e - 1] == ' ' || a->text[e - 1] == '\t'); e--)
        ;
    char low[16];
    uint32_t n = e - b;
    if (n == 0 || n >= sizeof(low))
        return hd__asm_fail_span(a, span, "unknown decorator: " EXPECT_DECORATOR);
    for (uint32_t k = 0; k < n; k++) {
        char c = a->text[b + k];
        low[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    lx->pos = i + 1;
    lx->last_end = i + 1;
    return set_decorator(a, s, opi, span, low, n);
}

/* ---- memory: [base + index*scale + disp], [rip + label] ------------------------------------ */

static enum hd_status add_register(struct hd__asm_lexer *lx, struct hd__asm_operand *op,
                                   const struct hd__asm_tok *t, ZydisRegister reg, bool neg)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok star, sc;

    if (neg)
        return hd__asm_fail_span(a, t->span, "a register cannot be subtracted in an address");
    HD_CHECK(hd__asm_peek(lx, &star));
    if (hd__asm_is_punct(&star, '*')) {
        HD_CHECK(hd__asm_next(lx, &star));
        HD_CHECK(hd__asm_next(lx, &sc));
        if (sc.kind != HD__ASM_TOK_NUMBER)
            return hd__asm_fail_span(a, sc.span, "expected a scale (1, 2, 4 or 8) after *");
        if (op->index != ZYDIS_REGISTER_NONE)
            return hd__asm_fail_span(a, t->span, "an address takes one index register");
        if (sc.value != 1 && sc.value != 2 && sc.value != 4 && sc.value != 8)
            return hd__asm_fail_span(a, sc.span, "a scale is 1, 2, 4 or 8");
        op->index = reg;
        op->scale = (uint8_t)sc.value;
        op->scale_written = true;
    } else if (op->base == ZYDIS_REGISTER_NONE) {
        op->base = reg;
    } else if (op->index == ZYDIS_REGISTER_NONE) {
        op->index = reg;
        op->scale = 1;
    } else {
        return hd__asm_fail_span(a, t->span, "too many registers: an address takes a base and "
                                             "an index register");
    }
    return HD_OK;
}

/* One term of an address, @p t its first token, @p neg whether a '-' came before it. */
static enum hd_status address_term(struct hd__asm_lexer *lx, struct hd__asm_operand *op,
                                   const struct hd__asm_tok *t, bool neg)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok star, r;

    if (t->kind == HD__ASM_TOK_WORD) {
        ZydisRegister reg = hd__asm_register(a->text + t->span.off, t->span.len);
        if (reg != ZYDIS_REGISTER_NONE)
            return add_register(lx, op, t, reg, neg);
        if (hd__asm_reserved(a->text + t->span.off, t->span.len))
            return hd__asm_fail_span(a, t->span, "not allowed inside [...]: an address is "
                                                 "base + index*scale + displacement");
        if (op->ref.len || neg)
            return hd__asm_fail_span(a, t->span, "an address takes one label, added: "
                                                 "[rip+name]");
        op->ref = t->span;
        return HD_OK;
    }
    if (t->kind != HD__ASM_TOK_NUMBER)
        return hd__asm_fail_span(a, t->span, "expected a register, a number or a label "
                                             "inside [...]");
    HD_CHECK(hd__asm_peek(lx, &star));
    if (!hd__asm_is_punct(&star, '*')) {
        op->value += neg ? (uint64_t)0 - t->value : t->value;
        return HD_OK;
    }
    HD_CHECK(hd__asm_next(lx, &star));
    HD_CHECK(hd__asm_next(lx, &r));
    ZydisRegister reg = r.kind == HD__ASM_TOK_WORD
                            ? hd__asm_register(a->text + r.span.off, r.span.len)
                            : ZYDIS_REGISTER_NONE;
    if (reg == ZYDIS_REGISTER_NONE)
        return hd__asm_fail_span(a, r.span, "expected an index register after the scale");
    if (neg)
        return hd__asm_fail_span(a, r.span, "a register cannot be subtracted in an address");
    if (op->index != ZYDIS_REGISTER_NONE)
        return hd__asm_fail_span(a, r.span, "an address takes one index register");
    if (t->value != 1 && t->value != 2 && t->value != 4 && t->value != 8)
        return hd__asm_fail_span(a, t->span, "a scale is 1, 2, 4 or 8");
    op->index = reg;
    op->scale = (uint8_t)t->value;
    op->scale_written = true;
    return HD_OK;
}

static enum hd_status parse_address(struct hd__asm_lexer *lx, struct hd__asm_operand *op,
                                    uint32_t start)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok t;
    bool neg = false, term = true;

    op->kind = HD__ASM_OP_MEM;
    for (;;) {
        HD_CHECK(hd__asm_next(lx, &t));
        if (t.kind == HD__ASM_TOK_END)
            return hd__asm_fail(a, start, lx->last_end - start, "address without its closing ]");
        if (term && (hd__asm_is_punct(&t, '+') || hd__asm_is_punct(&t, '-'))) {
            neg ^= hd__asm_is_punct(&t, '-');
            continue;
        }
        if (term) {
            HD_CHECK(address_term(lx, op, &t, neg));
            term = false;
            neg = false;
        } else if (hd__asm_is_punct(&t, ']')) {
            break;
        } else if (hd__asm_is_punct(&t, '+') || hd__asm_is_punct(&t, '-')) {
            term = true;
            neg = hd__asm_is_punct(&t, '-');
        } else {
            return hd__asm_fail_span(a, t.span, "expected +, - or ] in the address");
        }
    }
    if (op->base == ZYDIS_REGISTER_NONE && op->index == ZYDIS_REGISTER_NONE && op->ref.len == 0 &&
        term)
        return hd__asm_fail(a, start, lx->last_end - start, "empty address: [base + index*scale "
                                                            "+ displacement]");
    bool rip = op->base == ZYDIS_REGISTER_RIP || op->base == ZYDIS_REGISTER_EIP;
    if (op->ref.len && (!rip || op->index != ZYDIS_REGISTER_NONE))
        return hd__asm_fail_span(a, op->ref, "a label in an address needs rip: [rip+name] (where "
                                             "the code will run is not known when it is "
                                             "assembled)");
    if (op->index == ZYDIS_REGISTER_RIP || op->index == ZYDIS_REGISTER_EIP ||
        (rip && op->index != ZYDIS_REGISTER_NONE))
        return hd__asm_fail(a, start, lx->last_end - start,
                            "rip-relative addresses take no index register");
    return HD_OK;
}

/* ---- operands ------------------------------------------------------------------------------- */

/* A number, or numbers added and subtracted (`-8`, `0x10+4`), starting with @p t. */
static enum hd_status parse_value(struct hd__asm_lexer *lx, struct hd__asm_tok t, uint64_t *out)
{
    struct hd__asm *a = lx->a;
    uint64_t v = 0;
    bool neg = false;

    for (;;) {
        while (hd__asm_is_punct(&t, '+') || hd__asm_is_punct(&t, '-')) {
            neg ^= hd__asm_is_punct(&t, '-');
            HD_CHECK(hd__asm_next(lx, &t));
        }
        if (t.kind != HD__ASM_TOK_NUMBER)
            return hd__asm_fail_span(a, t.span, "expected a number");
        v += neg ? (uint64_t)0 - t.value : t.value;
        neg = false;
        HD_CHECK(hd__asm_peek(lx, &t));
        if (!hd__asm_is_punct(&t, '+') && !hd__asm_is_punct(&t, '-'))
            break;
        HD_CHECK(hd__asm_next(lx, &t));
    }
    *out = v;
    return HD_OK;
}

/* `qword ptr`, `gs:` and the '[' of a memory operand, @p t the first token. */
static enum hd_status parse_memory(struct hd__asm_lexer *lx, struct hd__asm_operand *op,
                                   struct hd__asm_tok t)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok next;
    uint32_t start = t.span.off;

    op->size = hd__asm_size_word(a->text + t.span.off, t.span.len);
    if (op->size) {
        HD_CHECK(hd__asm_peek(lx, &next));
        if (hd__asm_is_word(a, &next, "ptr"))
            HD_CHECK(hd__asm_next(lx, &next));
        HD_CHECK(hd__asm_next(lx, &t));
    }
    if (t.kind == HD__ASM_TOK_WORD) {
        ZydisRegister seg = hd__asm_register(a->text + t.span.off, t.span.len);
        HD_CHECK(hd__asm_peek(lx, &next));
        if (seg != ZYDIS_REGISTER_NONE && ZydisRegisterGetClass(seg) == ZYDIS_REGCLASS_SEGMENT &&
            hd__asm_is_punct(&next, ':')) {
            if (seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS)
                return hd__asm_fail_span(a, t.span, "64-bit mode ignores cs:, ds:, es: and ss: "
                                                    "(only fs: and gs: move an address): "
                                                    "leave it out");
            op->segment = seg;
            HD_CHECK(hd__asm_next(lx, &next));
            HD_CHECK(hd__asm_next(lx, &t));
        }
    }
    if (!hd__asm_is_punct(&t, '['))
        return hd__asm_fail(a, start, (t.kind == HD__ASM_TOK_END ? lx->last_end : t.span.off +
                                       t.span.len) - start,
                            "expected a memory operand [...] after the size or segment: "
                            "qword ptr gs:[0x188]");
    return parse_address(lx, op, start);
}

static enum hd_status parse_operand(struct hd__asm_lexer *lx, struct hd__asm_stmt *s, int i)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_operand *op = &s->ops[i];
    struct hd__asm_tok t, next;

    memset(op, 0, sizeof(*op));
    op->label = -1;
    HD_CHECK(hd__asm_next(lx, &t));
    uint32_t start = t.span.off;
    const char *w = a->text + t.span.off;
    ZydisRegister reg = t.kind == HD__ASM_TOK_WORD ? hd__asm_register(w, t.span.len)
                                                   : ZYDIS_REGISTER_NONE;
    HD_CHECK(hd__asm_peek(lx, &next));
    if (hd__asm_is_punct(&t, '[') || (t.kind == HD__ASM_TOK_WORD && hd__asm_size_word(w, t.span.len)) ||
        (reg != ZYDIS_REGISTER_NONE && hd__asm_is_punct(&next, ':'))) {
        HD_CHECK(parse_memory(lx, op, t));
    } else if (reg != ZYDIS_REGISTER_NONE) {
        op->kind = HD__ASM_OP_REG;
        op->reg = reg;
    } else if (t.kind == HD__ASM_TOK_WORD && !hd__asm_reserved(w, t.span.len)) {
        if (hd__asm_is_punct(&next, '+') || hd__asm_is_punct(&next, '-'))
            return hd__asm_fail_span(a, next.span, "a branch goes to a label, not to a label "
                                                   "plus an offset");
        op->kind = HD__ASM_OP_LABEL;
        op->ref = t.span;
    } else if (t.kind == HD__ASM_TOK_NUMBER || hd__asm_is_punct(&t, '+') ||
               hd__asm_is_punct(&t, '-')) {
        op->kind = HD__ASM_OP_IMM;
        HD_CHECK(parse_value(lx, t, &op->value));
    } else {
        return hd__asm_fail(a, t.span.off, t.span.len, EXPECT_OPERAND);
    }
    op->span = tok_to(lx, start);
    for (;;) {
        HD_CHECK(hd__asm_peek(lx, &t));
        if (!hd__asm_is_punct(&t, '{'))
            return HD_OK;
        HD_CHECK(hd__asm_next(lx, &t));
        HD_CHECK(parse_decorator(lx, s, i, &t));
    }
}

/* ---- data: db dw dd dq ---------------------------------------------------------------------- */

static enum hd_status put_data(struct hd__asm *a, const uint8_t *p, uint32_t n)
{
    HD_CHECK(hd__asm_grow(a, (void **)&a->data, &a->data_cap, a->data_size + n, 1));
    memcpy(a->data + a->data_size, p, n);
    a->data_size += n;
    return HD_OK;
}

static enum hd_status parse_data(struct hd__asm_lexer *lx, struct hd__asm_stmt *s, unsigned unit)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok t;

    s->kind = HD__ASM_STMT_DATA;
    s->data_off = a->data_size;
    for (;;) {
        HD_CHECK(hd__asm_next(lx, &t));
        if (t.kind == HD__ASM_TOK_STRING && unit == 1) {
            uint32_t n;
            /* A string decodes to at most its own length. */
            HD_CHECK(hd__asm_grow(a, (void **)&a->data, &a->data_cap,
                                  a->data_size + t.span.len, 1));
            HD_CHECK(hd__asm_string(a, &t, a->data + a->data_size, &n));
            a->data_size += n;
        } else if (t.kind == HD__ASM_TOK_NUMBER || hd__asm_is_punct(&t, '+') ||
                   hd__asm_is_punct(&t, '-')) {
            uint64_t v;
            uint8_t le[8];
            uint32_t start = t.span.off;
            HD_CHECK(parse_value(lx, t, &v));
            /* As written unsigned (0xFF), or negative and no smaller than the unit holds. */
            int64_t low = unit < 8 ? -((int64_t)1 << (8 * unit - 1)) : INT64_MIN;
            bool fits = unit == 8 || v >> (8 * unit) == 0 || ((int64_t)v < 0 && (int64_t)v >= low);
            if (!fits)
                return hd__asm_fail_span(a, tok_to(lx, start),
                                         "does not fit in %u bits: %s takes %lld to %llu", 8 * unit,
                                         unit == 1 ? "db" : unit == 2 ? "dw" : "dd", (long long)low,
                                         (unsigned long long)(((uint64_t)1 << (8 * unit)) - 1));
            for (unsigned k = 0; k < unit; k++)
                le[k] = (uint8_t)(v >> (8 * k));
            HD_CHECK(put_data(a, le, unit));
        } else {
            return hd__asm_fail_span(a, t.span, unit == 1 ? "db takes numbers and strings "
                                                            "separated by commas"
                                                          : "dw, dd and dq take numbers "
                                                            "separated by commas");
        }
        HD_CHECK(hd__asm_next(lx, &t));
        if (t.kind == HD__ASM_TOK_END)
            break;
        if (!hd__asm_is_punct(&t, ','))
            return hd__asm_fail_span(a, t.span, "expected , between values");
    }
    s->data_size = a->data_size - s->data_off;
    return HD_OK;
}

/* ---- statements ------------------------------------------------------------------------------ */

/* True when the next non-blank character is ':' (the word just read names a label). */
static bool colon_follows(const struct hd__asm_lexer *lx)
{
    uint32_t i = lx->pos;

    while (i < lx->end && (lx->a->text[i] == ' ' || lx->a->text[i] == '\t'))
        i++;
    return i < lx->end && lx->a->text[i] == ':';
}

static enum hd_status add_label(struct hd__asm_lexer *lx, const struct hd__asm_tok *t)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok colon;

    if (hd__asm_reserved(a->text + t->span.off, t->span.len))
        return hd__asm_fail_span(a, t->span, "a register or operand keyword cannot name a "
                                             "label: choose another name");
    HD_CHECK(hd__asm_grow(a, (void **)&a->labels, &a->label_cap, a->label_count + 1,
                          sizeof(*a->labels)));
    a->labels[a->label_count].name = t->span;
    a->labels[a->label_count].stmt = a->stmt_count;
    a->label_count++;
    return hd__asm_next(lx, &colon);
}

/* `far`, `short` or `near` after the mnemonic. */
static enum hd_status parse_modifier(struct hd__asm_lexer *lx, struct hd__asm_stmt *s)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok t;

    HD_CHECK(hd__asm_peek(lx, &t));
    if (hd__asm_is_word(a, &t, "far"))
        s->far = true;
    else if (hd__asm_is_word(a, &t, "short"))
        s->forced_width = 8;
    else if (hd__asm_is_word(a, &t, "near"))
        s->forced_width = 32;
    else
        return HD_OK;
    return hd__asm_next(lx, &t);
}

static enum hd_status parse_operands(struct hd__asm_lexer *lx, struct hd__asm_stmt *s)
{
    struct hd__asm *a = lx->a;
    struct hd__asm_tok t;

    HD_CHECK(hd__asm_peek(lx, &t));
    if (t.kind == HD__ASM_TOK_END)
        return HD_OK;
    for (;;) {
        if (hd__asm_is_punct(&t, '{') && s->op_count > 0) {
            HD_CHECK(hd__asm_next(lx, &t));
            HD_CHECK(parse_decorator(lx, s, -1, &t));
        } else if (s->op_count == HD__ASM_MAX_OPS) {
            return hd__asm_fail_span(a, t.span, "too many operands: an instruction has at "
                                                "most %d", HD__ASM_MAX_OPS);
        } else {
            HD_CHECK(parse_operand(lx, s, s->op_count));
            s->op_count++;
        }
        HD_CHECK(hd__asm_next(lx, &t));
        if (t.kind == HD__ASM_TOK_END)
            return HD_OK;
        if (!hd__asm_is_punct(&t, ','))
            return hd__asm_fail_span(a, t.span, "expected , between operands or the end of the "
                                                "instruction");
        HD_CHECK(hd__asm_peek(lx, &t));
    }
}

/* Prefixes, then the mnemonic or a data directive; @p t is the first token after the labels. */
static enum hd_status parse_instruction(struct hd__asm_lexer *lx, struct hd__asm_stmt *s,
                                        struct hd__asm_tok t)
{
    static const char *const data[] = {"db", "dw", "dd", "dq"};
    struct hd__asm *a = lx->a;
    ZydisInstructionAttributes p;

    s->body.off = t.span.off;
    s->body.len = s->text.off + s->text.len - t.span.off;
    while (t.kind == HD__ASM_TOK_WORD &&
           (p = hd__asm_prefix(a->text + t.span.off, t.span.len)) != 0) {
        if (s->prefixes & p)
            return hd__asm_fail_span(a, t.span, "prefix given twice");
        s->prefixes |= p;
        HD_CHECK(hd__asm_next(lx, &t));
        if (t.kind == HD__ASM_TOK_END)
            return hd__asm_fail_span(a, s->body, "a prefix needs an instruction after it: "
                                                 "rep stosb, lock inc qword ptr [rax]");
    }
    s->mnem = t.span;
    if (t.kind != HD__ASM_TOK_WORD)
        return hd__asm_fail_span(a, t.span, EXPECT_STATEMENT);
    for (unsigned i = 0; i < 4; i++)
        if (hd__asm_is_word(a, &t, data[i])) {
            if (s->prefixes)
                return hd__asm_fail_span(a, t.span, "data takes no prefix");
            return parse_data(lx, s, 1u << i);
        }
    s->kind = HD__ASM_STMT_INSN;
    if (hd__asm_is_word(a, &t, "retf")) {
        s->mnemonic = ZYDIS_MNEMONIC_RET;
        s->far = true;
    } else {
        s->mnemonic = hd__asm_mnemonic(a->text + t.span.off, t.span.len, &s->movabs);
    }
    if (s->mnemonic == ZYDIS_MNEMONIC_INVALID)
        return hd__asm_fail_span(a, t.span, "unknown mnemonic: " EXPECT_STATEMENT);
    HD_CHECK(parse_modifier(lx, s));
    return parse_operands(lx, s);
}

enum hd_status hd__asm_parse_stmt(struct hd__asm *a, struct hd__asm_span span, uint32_t line,
                                  uint32_t column)
{
    struct hd__asm_lexer lx = {a, span.off, span.off + span.len, span.off, {0}, false};
    struct hd__asm_stmt *s;
    struct hd__asm_tok t;

    HD_CHECK(hd__asm_grow(a, (void **)&a->stmts, &a->stmt_cap, a->stmt_count + 1,
                          sizeof(*a->stmts)));
    s = &a->stmts[a->stmt_count];
    memset(s, 0, sizeof(*s));
    s->kind = HD__ASM_STMT_LABEL;
    s->text = span;
    s->line = line;
    s->column = column;
    s->target_op = -1;
    s->riprel_op = -1;
    for (;;) {
        HD_CHECK(hd__asm_next(&lx, &t));
        if (t.kind != HD__ASM_TOK_WORD || !colon_follows(&lx))
            break;
        HD_CHECK(add_label(&lx, &t));
    }
    if (t.kind != HD__ASM_TOK_END)
        HD_CHECK(parse_instruction(&lx, s, t));
    a->stmt_count++;
    return HD_OK;
}
