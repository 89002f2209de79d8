/* SPDX-License-Identifier: MIT */
/*
 * script_gen.c — code for expression trees: values into slots, conditions into jumps.
 *
 * Temporaries are a stack (allocated and released in LIFO order); an operator's result takes
 * the lowest temporary among its operands, so an expression needs as many slots as it is
 * deep. Constants fold (except a division or modulo by a constant 0, which must fail at run
 * time as the language says); a constant left of a commutative or comparable operator moves
 * right, so `1234 == @rax` compiles as `@rax == 1234` — the shape the fast path recognises:
 *
 *     ldr t, @rax ; eq t, t, #1234 ; jz t, else
 */
#include "script_internal.h"

static bool is_temp(struct sc_val v)
{
    return !v.is_const && (v.slot & SC_TEMP);
}

void hd__sc_release(struct sc *c, struct sc_val v)
{
    if (is_temp(v))
        hd__sc_temp_free(c, v.slot);
}

uint32_t hd__sc_slot(struct sc *c, struct sc_val v)
{
    uint32_t t;
    if (!v.is_const)
        return v.slot;
    t = hd__sc_temp(c);
    hd__sc_emit(c, HD_SOP_LDK, 0, t, hd__sc_const(c, v.k), 0);
    return t;
}

void hd__sc_move(struct sc *c, uint32_t dest, struct sc_val v)
{
    if (v.is_const) {
        hd__sc_emit(c, HD_SOP_LDK, 0, dest, hd__sc_const(c, v.k), 0);
        return;
    }
    if (v.slot == dest)
        return;
    if (is_temp(v) && v.def >= 0 && (uint32_t)v.def + 1 == hd__sc_here(c) &&
        c->code[v.def].d == v.slot)
        c->code[v.def].d = dest; /* the last instruction computes straight into place */
    else
        hd__sc_emit(c, HD_SOP_MOV, 0, dest, v.slot, 0);
    hd__sc_release(c, v);
}

/* ---- folding -------------------------------------------------------------------------------- */

static uint64_t fold(uint32_t op, uint64_t a, uint64_t b)
{
    switch (op) {
    case HD_SOP_ADD: return a + b;
    case HD_SOP_SUB: return a - b;
    case HD_SOP_MUL: return a * b;
    case HD_SOP_DIV: return a / b;
    case HD_SOP_MOD: return a % b;
    case HD_SOP_SHL: return a << (b & 63);
    case HD_SOP_SHR: return a >> (b & 63);
    case HD_SOP_AND: return a & b;
    case HD_SOP_OR: return a | b;
    case HD_SOP_XOR: return a ^ b;
    case HD_SOP_EQ: return a == b;
    case HD_SOP_NE: return a != b;
    case HD_SOP_LT: return (int64_t)a < (int64_t)b;
    case HD_SOP_GT: return (int64_t)a > (int64_t)b;
    case HD_SOP_LE: return (int64_t)a <= (int64_t)b;
    case HD_SOP_GE: return (int64_t)a >= (int64_t)b;
    case HD_SOP_NEG: return 0 - a;
    case HD_SOP_NOT: return ~a;
    default: return !a; /* LNOT */
    }
}

/* The operator with its operands swapped, or 0 when there is none (SUB, DIV, shifts…). */
static uint32_t mirror(uint32_t op)
{
    switch (op) {
    case HD_SOP_ADD: case HD_SOP_MUL: case HD_SOP_AND: case HD_SOP_OR: case HD_SOP_XOR:
    case HD_SOP_EQ: case HD_SOP_NE:
        return op;
    case HD_SOP_LT: return HD_SOP_GT;
    case HD_SOP_GT: return HD_SOP_LT;
    case HD_SOP_LE: return HD_SOP_GE;
    case HD_SOP_GE: return HD_SOP_LE;
    default: return 0;
    }
}

/* ---- values ------------------------------------------------------------------------------ */

/* Where a result goes: the lowest temporary of the operands (the other one is released: it
 * is the top of the stack), or a new one. */
static uint32_t result_slot(struct sc *c, struct sc_val a, struct sc_val b)
{
    bool at = is_temp(a), bt = is_temp(b);
    if (at && bt) {
        uint32_t lo = a.slot < b.slot ? a.slot : b.slot, hi = a.slot ^ b.slot ^ lo;
        hd__sc_temp_free(c, hi);
        return lo;
    }
    if (at)
        return a.slot;
    if (bt)
        return b.slot;
    return hd__sc_temp(c);
}

static struct sc_val gen_binary(struct sc *c, const struct sc_node *n)
{
    struct sc_val l = hd__sc_gen(c, n->l), r = hd__sc_gen(c, n->r), out = {.def = -1};
    uint32_t op = n->op;

    if (l.is_const && r.is_const && !((op == HD_SOP_DIV || op == HD_SOP_MOD) && r.k == 0))
        return (struct sc_val){.is_const = true, .k = fold(op, l.k, r.k), .def = -1};
    if (l.is_const && !r.is_const && mirror(op)) {
        struct sc_val t = l;
        l = r;
        r = t;
        op = mirror(op);
    } else if (l.is_const) {
        l = (struct sc_val){.slot = hd__sc_slot(c, l), .def = -1};
    }
    out.slot = result_slot(c, l, r);
    out.def = hd__sc_emit(c, op, r.is_const ? HD_SCRIPT_K : 0, out.slot, l.slot,
                          r.is_const ? hd__sc_const(c, r.k) : r.slot);
    return out;
}

static struct sc_val gen_unary(struct sc *c, const struct sc_node *n)
{
    struct sc_val v = hd__sc_gen(c, n->l), out = {.def = -1};
    if (v.is_const)
        return (struct sc_val){.is_const = true, .k = fold(n->op, v.k, 0), .def = -1};
    out.slot = is_temp(v) ? v.slot : hd__sc_temp(c);
    out.def = hd__sc_emit(c, n->op, 0, out.slot, v.slot, 0);
    return out;
}

/* a && b, a || b as values: 1 or 0, the right side evaluated only when it decides. */
static struct sc_val gen_logical(struct sc *c, const struct sc_node *n)
{
    struct sc_val out = {.slot = hd__sc_temp(c), .def = -1};
    uint32_t no = hd__sc_gen_jump(c, n, false), end;

    hd__sc_emit(c, HD_SOP_LDK, 0, out.slot, hd__sc_const(c, 1), 0);
    end = hd__sc_jump(c, HD_SOP_JMP, 0, SC_NONE);
    hd__sc_patch(c, no, hd__sc_here(c));
    hd__sc_emit(c, HD_SOP_LDK, 0, out.slot, hd__sc_const(c, 0), 0);
    hd__sc_patch(c, end, hd__sc_here(c));
    return out;
}

/* A load into a new temporary. */
static struct sc_val load(struct sc *c, uint32_t op, uint32_t a, uint32_t b)
{
    struct sc_val v = {.slot = hd__sc_temp(c)};
    v.def = hd__sc_emit(c, op, 0, v.slot, a, b);
    return v;
}

struct sc_val hd__sc_gen(struct sc *c, const struct sc_node *n)
{
    switch (n->kind) {
    case N_NUM:
        return (struct sc_val){.is_const = true, .k = n->v, .def = -1};
    case N_LOCAL:
        return (struct sc_val){.slot = n->index, .def = -1};
    case N_GLOBAL:
        return load(c, HD_SOP_LDG, n->index, 0);
    case N_REG:
        return load(c, HD_SOP_LDR, n->index, n->view);
    case N_PSEUDO:
        return load(c, HD_SOP_LDP, n->index, 0);
    case N_UNARY:
        return gen_unary(c, n);
    case N_BINARY:
        return gen_binary(c, n);
    case N_AND:
    case N_OR:
        return gen_logical(c, n);
    case N_CALL:
        return hd__sc_gen_call(c, n, true);
    default: /* N_STRING: the parser allows it as printf's format only */
        hd__sc_fail(c, n->pos, n->len, "a string is only a printf format");
    }
}

/* ---- conditions -------------------------------------------------------------------------- */

uint32_t hd__sc_gen_jump(struct sc *c, const struct sc_node *n, bool when)
{
    uint32_t a, b;
    struct sc_val v;

    if (n->kind == N_UNARY && n->op == HD_SOP_LNOT)
        return hd__sc_gen_jump(c, n->l, !when);
    if (n->kind == N_AND || n->kind == N_OR) {
        bool and = n->kind == N_AND;
        if (when != and) { /* and: jump when false; or: jump when true — both sides jump */
            a = hd__sc_gen_jump(c, n->l, when); /* left first: two statements, in order */
            b = hd__sc_gen_jump(c, n->r, when);
            return hd__sc_merge(c, a, b);
        }
        a = hd__sc_gen_jump(c, n->l, !when); /* the left side decides alone: skip the right */
        b = hd__sc_gen_jump(c, n->r, when);
        hd__sc_patch(c, a, hd__sc_here(c));
        return b;
    }
    v = hd__sc_gen(c, n);
    if (v.is_const)
        return (v.k != 0) == when ? hd__sc_jump(c, HD_SOP_JMP, 0, SC_NONE) : SC_NONE;
    a = hd__sc_jump(c, when ? HD_SOP_JNZ : HD_SOP_JZ, v.slot, SC_NONE);
    hd__sc_release(c, v);
    return a;
}

void hd__sc_store(struct sc *c, const struct sc_node *target, struct sc_val v)
{
    uint32_t slot;

    if (target->kind == N_LOCAL) {
        hd__sc_move(c, target->index, v);
        return;
    }
    slot = hd__sc_slot(c, v);
    hd__sc_emit(c, target->kind == N_REG ? HD_SOP_STR : HD_SOP_STG, 0, target->index, slot, 0);
    if (v.is_const)
        hd__sc_temp_free(c, slot);
    else
        hd__sc_release(c, v);
}
