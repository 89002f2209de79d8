/* SPDX-License-Identifier: MIT */
/*
 * script_expr.c — expressions into trees, with C's precedence and left associativity:
 *
 *     ||   &&   |   ^   &   == !=   < > <= >=   << >>   + -   * / %   unary - + ~ !
 *
 * and the operands: numbers (hex by default, 0x 0n 0o 0y), locals, .globals, @registers,
 * $pseudo-registers, (parentheses) and calls. Names are resolved here; code is made from the
 * trees in script_gen.c.
 */
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"

#define SC_DEPTH_MAX 200u

/* ---- the node arena ------------------------------------------------------------------- */

struct sc_chunk {
    struct sc_chunk *next;
    uint32_t used, size;
    _Alignas(16) uint8_t bytes[];
};

void *hd__sc_alloc(struct sc *c, size_t n)
{
    struct sc_chunk *k = c->arena;
    n = (n + 15) & ~(size_t)15;
    if (!k || k->size - k->used < n) {
        size_t size = n > 16384 ? n : 16384;
        k = malloc(sizeof(*k) + size);
        if (!k)
            hd__sc_no_memory(c);
        k->next = c->arena;
        k->used = 0;
        k->size = (uint32_t)size;
        c->arena = k;
    }
    k->used += (uint32_t)n;
    return k->bytes + k->used - n;
}

void hd__sc_arena_free(struct sc *c)
{
    while (c->arena) {
        struct sc_chunk *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
}

struct sc_node *hd__sc_node(struct sc *c, enum sc_node_kind kind, uint32_t pos, uint32_t len)
{
    struct sc_node *n = hd__sc_alloc(c, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    n->len = len;
    return n;
}

/* ---- numbers and names ------------------------------------------------------------------ */

static int digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return 99;
}

static bool all_hex(const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != '`' && digit(p[i]) > 15)
            return false;
    return true;
}

bool hd__sc_is_name(const struct sc *c, const struct sc_token *t)
{
    const char *p = c->text + t->pos;
    return t->kind == TK_WORD && (digit(p[0]) > 9 || p[0] == '_') && !all_hex(p, t->len) &&
           !memchr(p, '`', t->len); /* backticks belong to numbers only */
}

/* The base a number's prefix gives (0x 0n 0o 0y, either case), and its length. */
static uint32_t base_of(const char *p, uint32_t n, uint32_t *skip)
{
    *skip = 0;
    if (n >= 2 && p[0] == '0') {
        switch (p[1] | 0x20) {
        case 'x': *skip = 2; return 16;
        case 'n': *skip = 2; return 10;
        case 'o': *skip = 2; return 8;
        case 'y': *skip = 2; return 2;
        default: break;
        }
    }
    return 16; /* HyperDbg: hex by default */
}

bool hd__sc_number(struct sc *c, const struct sc_token *t, uint64_t *v)
{
    const char *p = c->text + t->pos;
    uint32_t skip, base, digits = 0;
    uint64_t value = 0;

    if (t->kind != TK_WORD || (digit(p[0]) > 9 && !all_hex(p, t->len)))
        return false; /* a name */
    base = base_of(p, t->len, &skip);
    for (uint32_t i = skip; i < t->len; i++) {
        int d = digit(p[i]);
        if (p[i] == '`')
            continue; /* HyperDbg ignores backticks: fffff800`4ed6f010 */
        if (d >= (int)base)
            hd__sc_fail(c, t->pos, t->len,
                        "'%.*s' is not a number: digits are hex by default, 0x hex, 0n decimal, "
                        "0o octal, 0y binary",
                        (int)t->len, p);
        if (value > (UINT64_MAX - (uint64_t)d) / base)
            hd__sc_fail(c, t->pos, t->len, "'%.*s' does not fit in 64 bits", (int)t->len, p);
        value = value * base + (uint64_t)d;
        digits++;
    }
    if (!digits)
        hd__sc_fail(c, t->pos, t->len, "'%.*s' has no digits after its prefix", (int)t->len, p);
    *v = value;
    return true;
}

int hd__sc_local(struct sc *c, const struct sc_token *t, bool create)
{
    for (uint32_t i = 0; i < c->nlocals; i++)
        if (c->locals[i].len == t->len &&
            memcmp(c->text + c->locals[i].pos, c->text + t->pos, t->len) == 0)
            return (int)i;
    if (!create)
        return -1;
    if (c->nlocals == c->caplocals) {
        uint32_t cap = c->caplocals ? c->caplocals * 2 : 16;
        struct sc_local *g = realloc(c->locals, cap * sizeof(*g));
        if (!g)
            hd__sc_no_memory(c);
        c->locals = g;
        c->caplocals = cap;
    }
    c->locals[c->nlocals] = (struct sc_local){t->pos, t->len};
    return (int)c->nlocals++;
}

/* ---- registers and pseudo-registers ------------------------------------------------------ */

int hd__sc_register(const struct sc *c, const struct sc_token *t, uint32_t *view)
{
    const char *name = c->text + t->pos + 1;
    uint32_t n = t->len - 1;

    if (n == 3 && memcmp(name, "rip", 3) == 0)
        return -2;
    for (uint32_t v = 0; v < 5; v++)
        for (uint32_t r = 0; r < (v == 4 ? 4u : 16u); r++) /* high bytes: ah, ch, dh, bh */
            if (strlen(hd__script_views[v][r]) == n &&
                memcmp(hd__script_views[v][r], name, n) == 0) {
                *view = v;
                return (int)r;
            }
    return -1;
}

static const char *const pseudo_names[HD_SCRIPT_PSEUDO_COUNT] = {
    "context", "pid", "tid", "core", "ip", "buffer", "event_id", "event_tag", "event_stage",
};

static int pseudo(const struct sc *c, const struct sc_token *t)
{
    for (int i = 0; i < (int)HD_SCRIPT_PSEUDO_COUNT; i++)
        if (strlen(pseudo_names[i]) == t->len - 1 &&
            memcmp(pseudo_names[i], c->text + t->pos + 1, t->len - 1) == 0)
            return i;
    return -1;
}

uint32_t hd__sc_global(struct sc *c, const struct sc_token *t)
{
    uint32_t n = t->len - 1;
    const char *name = c->text + t->pos + 1;

    if (n > HD_SCRIPT_NAME_MAX)
        hd__sc_fail(c, t->pos, t->len, "global name longer than %u characters",
                    HD_SCRIPT_NAME_MAX);
    for (uint32_t g = 0; g < c->nglobals; g++)
        if (strlen(c->strings + c->globals[g]) == n &&
            memcmp(c->strings + c->globals[g], name, n) == 0)
            return g;
    if (c->nglobals == HD_SCRIPT_GLOBALS_MAX)
        hd__sc_fail(c, t->pos, t->len, "more than %u globals in one script",
                    HD_SCRIPT_GLOBALS_MAX);
    c->globals[c->nglobals] = hd__sc_string(c, name, n, t->pos, t->len);
    return c->nglobals++;
}

/* ---- operands ---------------------------------------------------------------------------- */

static struct sc_node *operand_word(struct sc *c)
{
    struct sc_token t = c->tok, next = hd__sc_peek(c);
    struct sc_node *n;
    int local;

    /* A word before '(' is a call (db, dd: hex digits, but functions); else a number or a
     * local. */
    if (next.kind == TK_PUNCT && next.punct == P_LPAREN) {
        hd__sc_next(c);
        return hd__sc_call(c, hd__sc_function(c, &t), &t);
    }
    n = hd__sc_node(c, N_NUM, t.pos, t.len);
    if (hd__sc_number(c, &t, &n->v)) {
        hd__sc_next(c);
        return n;
    }
    if (!hd__sc_is_name(c, &t))
        sc_fail_tok(c, "'%.*s' is neither a number nor a name", (int)t.len, c->text + t.pos);
    local = hd__sc_local(c, &t, false);
    if (local < 0)
        sc_fail_tok(c, "unknown name '%.*s': a local is made by assigning to it first "
                       "(%.*s = ...;), a global is .name, a register @name",
                    (int)t.len, c->text + t.pos, (int)t.len, c->text + t.pos);
    n->kind = N_LOCAL;
    n->index = (uint32_t)local;
    hd__sc_next(c);
    return n;
}

static struct sc_node *operand(struct sc *c)
{
    struct sc_token t = c->tok;
    struct sc_node *n = hd__sc_node(c, N_NUM, t.pos, t.len);
    int r;

    switch (t.kind) {
    case TK_WORD:
        return operand_word(c);
    case TK_GLOBAL:
        n->kind = N_GLOBAL;
        n->index = hd__sc_global(c, &t);
        break;
    case TK_REG:
        r = hd__sc_register(c, &t, &n->view);
        if (r == -1)
            sc_fail_tok(c, "unknown register '%.*s': registers are @rax ... @r15, their views "
                           "@eax @ax @al @ah ... @r8d @r8w @r8l, and @rip",
                        (int)t.len, c->text + t.pos);
        n->kind = r == -2 ? N_PSEUDO : N_REG;
        n->index = r == -2 ? (uint32_t)HD_SCRIPT_PSEUDO_IP : (uint32_t)r;
        break;
    case TK_PSEUDO:
        r = pseudo(c, &t);
        if (r < 0)
            sc_fail_tok(c, "unknown pseudo-register '%.*s': they are $context $pid $tid $core "
                           "$ip $buffer $event_id $event_tag $event_stage",
                        (int)t.len, c->text + t.pos);
        n->kind = N_PSEUDO;
        n->index = (uint32_t)r;
        break;
    case TK_STRING:
        sc_fail_tok(c, "a string is only a printf format (its first argument)");
    case TK_EOF:
        hd__sc_fail(c, t.pos, 0, "expected a value before the end of the script");
    default:
        if (!hd__sc_is(c, P_LPAREN))
            sc_fail_tok(c, "expected a value: a number, a name, .global, @register, "
                           "$pseudo-register, a call or ( ... )");
        hd__sc_next(c);
        n = hd__sc_expr(c);
        hd__sc_expect(c, P_RPAREN, ")");
        return n;
    }
    hd__sc_next(c);
    return n;
}

static struct sc_node *unary(struct sc *c)
{
    struct sc_node *n;
    uint32_t op;

    if (++c->depth > SC_DEPTH_MAX)
        sc_fail_tok(c, "expression nested more than %u deep", SC_DEPTH_MAX);
    if (hd__sc_is(c, P_MINUS) || hd__sc_is(c, P_TILDE) || hd__sc_is(c, P_BANG)) {
        op = hd__sc_is(c, P_MINUS) ? HD_SOP_NEG : hd__sc_is(c, P_TILDE) ? HD_SOP_NOT : HD_SOP_LNOT;
        n = hd__sc_node(c, N_UNARY, c->tok.pos, c->tok.len);
        n->op = op;
        hd__sc_next(c);
        n->l = unary(c);
    } else if (hd__sc_is(c, P_PLUS)) {
        hd__sc_next(c);
        n = unary(c);
    } else {
        n = operand(c);
    }
    c->depth--;
    return n;
}

/* ---- binary operators, by precedence ------------------------------------------------------ */

static const struct {
    enum sc_punct p;
    uint32_t level; /* 0 binds loosest (||) */
    uint32_t op;
} binops[] = {
    {P_OROR, 0, 0},          {P_ANDAND, 1, 0},        {P_PIPE, 2, HD_SOP_OR},
    {P_CARET, 3, HD_SOP_XOR}, {P_AMP, 4, HD_SOP_AND},  {P_EQ, 5, HD_SOP_EQ},
    {P_NE, 5, HD_SOP_NE},     {P_LT, 6, HD_SOP_LT},    {P_GT, 6, HD_SOP_GT},
    {P_LE, 6, HD_SOP_LE},     {P_GE, 6, HD_SOP_GE},    {P_SHL, 7, HD_SOP_SHL},
    {P_SHR, 7, HD_SOP_SHR},   {P_PLUS, 8, HD_SOP_ADD}, {P_MINUS, 8, HD_SOP_SUB},
    {P_STAR, 9, HD_SOP_MUL},  {P_SLASH, 9, HD_SOP_DIV}, {P_PERCENT, 9, HD_SOP_MOD},
};
#define LEVELS 10u

static int binop_at(const struct sc *c, uint32_t level)
{
    if (c->tok.kind != TK_PUNCT)
        return -1;
    for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
        if (binops[i].p == c->tok.punct && binops[i].level == level)
            return (int)i;
    return -1;
}

static struct sc_node *binary(struct sc *c, uint32_t level)
{
    struct sc_node *l = level + 1 < LEVELS ? binary(c, level + 1) : unary(c);
    int i;

    while ((i = binop_at(c, level)) >= 0) {
        struct sc_node *n = hd__sc_node(c, N_BINARY, c->tok.pos, c->tok.len);
        n->kind = binops[i].p == P_OROR ? N_OR : binops[i].p == P_ANDAND ? N_AND : N_BINARY;
        n->op = binops[i].op;
        hd__sc_next(c);
        n->l = l;
        n->r = level + 1 < LEVELS ? binary(c, level + 1) : unary(c);
        l = n;
    }
    return l;
}

struct sc_node *hd__sc_expr(struct sc *c)
{
    struct sc_node *n;
    if (++c->depth > SC_DEPTH_MAX)
        sc_fail_tok(c, "expression nested more than %u deep", SC_DEPTH_MAX);
    n = binary(c, 0);
    c->depth--;
    return n;
}
