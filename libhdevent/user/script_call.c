/* SPDX-License-Identifier: MIT */
/*
 * script_call.c — the functions a script may call, their arguments, and their code. Anything
 * else is a compile error that names the function (HyperDbg has more; hdevent takes these).
 */
#include <stdio.h>
#include <string.h>

#include "script_internal.h"

enum fn {
    F_PRINTF, F_PRINT, F_EVENT_SC, F_EVENT_ENABLE, F_EVENT_DISABLE, F_EVENT_CLEAR,
    F_POI, F_DB, F_DW, F_DD, F_DQ, F_EB, F_ED, F_EQ, F_CHECK_ADDRESS,
    F_XINC, F_XDEC, F_XCHG, F_XCMPXCHG, F_RDTSC,
};

static const struct {
    const char *name;
    uint8_t min, max;  /* arguments */
    bool value;        /* has a value (usable in an expression) */
    bool global;       /* the first argument is a .global */
    uint8_t width;     /* memory functions: log2 of the bytes */
} fns[] = {
    [F_PRINTF] = {"printf", 1, 1 + HD_SCRIPT_PRINTF_ARGS_MAX, false, false, 0},
    [F_PRINT] = {"print", 1, 1, false, false, 0},
    [F_EVENT_SC] = {"event_sc", 1, 1, false, false, 0},
    [F_EVENT_ENABLE] = {"event_enable", 1, 1, false, false, 0},
    [F_EVENT_DISABLE] = {"event_disable", 1, 1, false, false, 0},
    [F_EVENT_CLEAR] = {"event_clear", 1, 1, false, false, 0},
    [F_POI] = {"poi", 1, 1, true, false, 3},
    [F_DB] = {"db", 1, 1, true, false, 0},
    [F_DW] = {"dw", 1, 1, true, false, 1},
    [F_DD] = {"dd", 1, 1, true, false, 2},
    [F_DQ] = {"dq", 1, 1, true, false, 3},
    [F_EB] = {"eb", 2, 2, true, false, 0},
    [F_ED] = {"ed", 2, 2, true, false, 2},
    [F_EQ] = {"eq", 2, 2, true, false, 3},
    [F_CHECK_ADDRESS] = {"check_address", 1, 1, true, false, 0},
    [F_XINC] = {"interlocked_increment", 1, 1, true, true, 0},
    [F_XDEC] = {"interlocked_decrement", 1, 1, true, true, 0},
    [F_XCHG] = {"interlocked_exchange", 2, 2, true, true, 0},
    [F_XCMPXCHG] = {"interlocked_compare_exchange", 3, 3, true, true, 0},
    [F_RDTSC] = {"rdtsc", 0, 0, true, false, 0},
};

#define FUNCTIONS                                                                              \
    "printf, print, event_sc, event_enable, event_disable, event_clear, poi, db, dw, dd, dq, " \
    "eb, ed, eq, check_address, interlocked_* and rdtsc"

int hd__sc_function(const struct sc *c, const struct sc_token *t)
{
    for (int i = 0; i < (int)(sizeof(fns) / sizeof(fns[0])); i++)
        if (strlen(fns[i].name) == t->len && memcmp(fns[i].name, c->text + t->pos, t->len) == 0)
            return i;
    return -1;
}

/* ---- printf formats --------------------------------------------------------------------- */

/* The conversion at @p (after '%'): its length, or 0 when it is none of ours. */
static uint32_t conversion(const char *p, const char *end, bool *takes_arg)
{
    static const char *const convs[] = {"llx", "llX", "llu", "lld", "x", "X", "u", "d", "c", "p"};
    *takes_arg = true;
    if (p < end && *p == '%') {
        *takes_arg = false;
        return 1;
    }
    for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
        size_t n = strlen(convs[i]);
        if ((size_t)(end - p) >= n && memcmp(p, convs[i], n) == 0)
            return (uint32_t)n;
    }
    return 0;
}

/* Decode the literal @lit (quotes included) into @out (at most its length), checking every
 * conversion; @return the bytes and *count the conversions that take an argument. */
static uint32_t format(struct sc *c, const struct sc_node *lit, char *out, uint32_t *count)
{
    const char *p = c->text + lit->pos + 1, *end = c->text + lit->pos + lit->len - 1;
    uint32_t n = 0;

    *count = 0;
    while (p < end) {
        if (*p == '\\') { /* the lexer checked: \n \t \\ \" */
            out[n++] = p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : p[1];
            p += 2;
        } else if (*p == '%') {
            bool arg;
            uint32_t len = conversion(p + 1, end, &arg);
            if (!len)
                hd__sc_fail(c, (uint32_t)(p - c->text), p + 1 < end ? 2 : 1,
                            "unknown printf conversion: printf takes %%llx %%llX %%llu %%lld "
                            "%%x %%X %%u %%d %%c %%p and %%%%, without flags or widths");
            memcpy(out + n, p, len + 1);
            n += len + 1;
            p += len + 1;
            *count += arg;
        } else {
            out[n++] = *p++;
        }
    }
    return n;
}

/* ---- parsing a call ------------------------------------------------------------------------ */

struct sc_node *hd__sc_call(struct sc *c, int f, const struct sc_token *t)
{
    struct sc_node *n = hd__sc_node(c, N_CALL, t->pos, t->len), *args[1 + 8];
    uint32_t count = 0;

    if (f < 0)
        hd__sc_fail(c, t->pos, t->len, "unknown function '%.*s': a script may call " FUNCTIONS,
                    (int)t->len, c->text + t->pos);
    n->index = (uint32_t)f;
    hd__sc_expect(c, P_LPAREN, "(");
    while (!hd__sc_is(c, P_RPAREN)) {
        if (count == fns[f].max)
            sc_fail_tok(c, "%s takes %s%u argument%s%s", fns[f].name,
                        fns[f].min == fns[f].max ? "" : "at most ", fns[f].max - (f == F_PRINTF),
                        fns[f].max - (f == F_PRINTF) == 1 ? "" : "s",
                        f == F_PRINTF ? " after its format" : "");
        if (count == 0 && f == F_PRINTF) {
            if (c->tok.kind != TK_STRING)
                sc_fail_tok(c, "printf's first argument is its format, a \"string\"");
            args[count++] = hd__sc_node(c, N_STRING, c->tok.pos, c->tok.len);
            hd__sc_next(c);
        } else {
            args[count++] = hd__sc_expr(c);
        }
        if (!hd__sc_is(c, P_COMMA))
            break;
        hd__sc_next(c);
    }
    if (count < fns[f].min)
        sc_fail_tok(c, "%s takes %u argument%s", fns[f].name, fns[f].min,
                    fns[f].min == 1 ? "" : "s");
    hd__sc_expect(c, P_RPAREN, ")");
    if (fns[f].global && args[0]->kind != N_GLOBAL)
        hd__sc_fail(c, args[0]->pos, args[0]->len, "%s works on a global: %s(.name%s)",
                    fns[f].name, fns[f].name, count > 1 ? ", ..." : "");
    n->nargs = count;
    n->args = hd__sc_alloc(c, count * sizeof(*args) + 1);
    memcpy(n->args, args, count * sizeof(*args));
    return n;
}

/* ---- code -------------------------------------------------------------------------------- */

/* Put the values of @args (@n of them) into @n consecutive temporaries; @return the first's
 * number (untagged). */
static uint32_t gen_run(struct sc *c, struct sc_node *const *args, uint32_t n)
{
    uint32_t first = c->temps;
    for (uint32_t i = 0; i < n; i++)
        hd__sc_temp(c);
    for (uint32_t i = 0; i < n; i++)
        hd__sc_move(c, SC_TEMP | (first + i), hd__sc_gen(c, args[i]));
    return first;
}

static void release_run(struct sc *c, uint32_t first, uint32_t n)
{
    while (n--)
        hd__sc_temp_free(c, SC_TEMP | (first + n));
}

static void gen_printf(struct sc *c, const struct sc_node *n)
{
    const struct sc_node *lit = n->args[0];
    uint32_t count = 1, len, off, first;
    char *text;

    if (n->index == F_PRINT) { /* print(x) is printf("%llx\n", x) */
        off = hd__sc_string(c, "%llx\n", 5, n->pos, n->len);
        first = gen_run(c, n->args, 1);
    } else {
        text = hd__sc_alloc(c, lit->len);
        len = format(c, lit, text, &count);
        if (count != n->nargs - 1)
            hd__sc_fail(c, lit->pos, lit->len,
                        "the format has %u conversion%s but %u argument%s follow%s it", count,
                        count == 1 ? "" : "s", n->nargs - 1, n->nargs == 2 ? "" : "s",
                        n->nargs == 2 ? "s" : "");
        off = hd__sc_string(c, text, len, lit->pos, lit->len);
        first = count ? gen_run(c, n->args + 1, count) : 0;
    }
    hd__sc_emit(c, HD_SOP_PRINTF, 0, off, count ? SC_TEMP | first : 0, count);
    release_run(c, first, count);
}

/* The value a call computes goes to a new temporary. */
static struct sc_val result(struct sc *c, uint32_t op, uint32_t a, uint32_t b)
{
    struct sc_val v = {.slot = hd__sc_temp(c)};
    v.def = hd__sc_emit(c, op, 0, v.slot, a, b);
    return v;
}

/* One argument as a slot, released again once the caller has emitted its instruction. */
static struct sc_val arg(struct sc *c, const struct sc_node *n, uint32_t *slot)
{
    struct sc_val v = hd__sc_gen(c, n);
    if (v.is_const) {
        uint64_t k = v.k;
        v = (struct sc_val){.slot = hd__sc_temp(c), .def = -1};
        hd__sc_emit(c, HD_SOP_LDK, 0, v.slot, hd__sc_const(c, k), 0);
    }
    *slot = v.slot;
    return v;
}

static struct sc_val gen_memory(struct sc *c, const struct sc_node *n, uint32_t f)
{
    uint32_t addr, value;
    struct sc_val a = arg(c, n->args[0], &addr), v;

    if (f == F_EB || f == F_ED || f == F_EQ) {
        v = arg(c, n->args[1], &value);
        hd__sc_emit(c, HD_SOP_WRMEM, 0, fns[f].width, addr, value);
        hd__sc_release(c, v);
        hd__sc_release(c, a);
        return (struct sc_val){.is_const = true, .k = 1, .def = -1}; /* a write that returns
                                                                       * succeeded */
    }
    hd__sc_release(c, a); /* the result may take the address's temporary */
    if (f == F_CHECK_ADDRESS)
        return result(c, HD_SOP_CHKADDR, addr, 0);
    return result(c, HD_SOP_RDMEM, addr, fns[f].width);
}

static struct sc_val gen_interlocked(struct sc *c, const struct sc_node *n, uint32_t f)
{
    uint32_t g = n->args[0]->index, first;
    struct sc_val v;

    if (f == F_XINC || f == F_XDEC)
        return result(c, f == F_XINC ? HD_SOP_XINC : HD_SOP_XDEC, g, 0);
    first = gen_run(c, n->args + 1, n->nargs - 1); /* exchange (, comparand): consecutive */
    release_run(c, first, n->nargs - 1);          /* the result may reuse the first */
    v = (struct sc_val){.slot = hd__sc_temp(c)};
    v.def = hd__sc_emit(c, f == F_XCHG ? HD_SOP_XCHG : HD_SOP_XCMPXCHG, 0, v.slot, g,
                        SC_TEMP | first);
    return v;
}

struct sc_val hd__sc_gen_call(struct sc *c, const struct sc_node *n, bool want)
{
    uint32_t f = n->index, slot;
    struct sc_val v = {.is_const = true, .def = -1};

    if (want && !fns[f].value)
        hd__sc_fail(c, n->pos, n->len, "%s returns no value: call it as a statement",
                    fns[f].name);
    switch (f) {
    case F_PRINTF:
    case F_PRINT:
        gen_printf(c, n);
        return v;
    case F_EVENT_SC:
    case F_EVENT_ENABLE:
    case F_EVENT_DISABLE:
    case F_EVENT_CLEAR:
        v = arg(c, n->args[0], &slot);
        if (f == F_EVENT_SC)
            hd__sc_emit(c, HD_SOP_EVSC, 0, 0, slot, 0);
        else
            hd__sc_emit(c, HD_SOP_EVENT, 0, 0, slot,
                        f == F_EVENT_ENABLE    ? HD_SCRIPT_EVENT_ENABLE
                        : f == F_EVENT_DISABLE ? HD_SCRIPT_EVENT_DISABLE
                                               : HD_SCRIPT_EVENT_CLEAR);
        hd__sc_release(c, v);
        return (struct sc_val){.is_const = true, .def = -1};
    case F_XINC:
    case F_XDEC:
    case F_XCHG:
    case F_XCMPXCHG:
        return gen_interlocked(c, n, f);
    case F_RDTSC:
        return result(c, HD_SOP_RDTSC, 0, 0);
    default:
        return gen_memory(c, n, f);
    }
}
