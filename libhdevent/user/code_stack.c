/* SPDX-License-Identifier: MIT */
/*
 * The stack tracker (code_check.h): hd__code_track_stack() follows one function from its
 * entry over every path and knows, before each instruction:
 *
 *   - the depth: how many bytes rsp is below its value at the function's entry (the return
 *     address is at depth 0); paths that meet must agree on it;
 *   - which general registers hold a stack address, and at which depth (mov rbp, rsp;
 *     lea rax, [rsp+8]; add rbp, 16), so that leave, mov rsp, rbp and writes through rbp are
 *     followed as exactly as writes through rsp (code_check.h, HD__NOT_STACK).
 *
 * Each instruction's effect comes from code_classify.c. What the tracker refuses:
 *   - an rsp write it cannot follow (mov rsp, rax from an unknown rax; and rsp, -16; xchg):
 *     the depth is lost, the path is not followed further;
 *   - rsp above its entry value (the return address popped or dropped), or more than
 *     HD_CODE_STACK_MAX bytes below it;
 *   - a ret at a depth other than 0, or two paths meeting at different depths;
 *   - a write through a stack address to the return address, above it (the caller's frame;
 *     function 0 may use the HD_CODE_SHADOW_BYTES of shadow space the trampoline gives),
 *     more than HD_CODE_STACK_MAX bytes below it, or at an offset it cannot bound (an index
 *     register, rep, a bit offset, an XSAVE area, a register whose depth was lost);
 * and warns when a stack address leaves the registers it follows (stored to memory, changed
 * by arithmetic it does not model, passed to or returned from a subroutine), since writes
 * through the copy would go unchecked.
 *
 * Where paths meet with different values, a register becomes a stack address at a depth the
 * tracker lost (HD__ANY_DEPTH): writes through it are refused, copies of it warned about. A
 * register only changes that way once, so each instruction is followed at most 17 times: the
 * walk ends on loops too.
 */
#include "code_check.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const gpr_name[HD__GPR_COUNT] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

static bool is_known(int32_t depth)
{
    return depth != HD__NOT_STACK && depth != HD__ANY_DEPTH;
}

/* Bit per register that holds a stack address (rsp always does). */
static uint16_t tracked(const struct hd__code_state *st)
{
    uint16_t mask = 1u << HD__GPR_RSP;
    for (unsigned r = 0; r < HD__GPR_COUNT; r++)
        if (r != HD__GPR_RSP && st->reg[r] != HD__NOT_STACK)
            mask |= (uint16_t)(1u << r);
    return mask;
}

static const char *first_name(uint16_t mask)
{
    for (unsigned r = 0; r < HD__GPR_COUNT; r++)
        if (mask & (1u << r))
            return gpr_name[r];
    return "?";
}

static int32_t depth_of(const struct hd__code_state *st, uint8_t r)
{
    return r == HD__GPR_RSP ? st->depth : st->reg[r];
}

/* A register's depth after adding @p delta bytes to it (still somewhere when absurd). */
static int32_t moved(int32_t depth, int64_t delta)
{
    int64_t d = (int64_t)depth - delta;
    if (!is_known(depth))
        return depth;
    return d < -(1 << 30) || d > (1 << 30) ? HD__ANY_DEPTH : (int32_t)d;
}

/* ---- findings ---------------------------------------------------------------------------- */

static void note(struct hd__code_ctx *c, enum hd_code_finding_kind kind, bool error, uint32_t i,
                 const char *what, const char *detail)
{
    struct hd_code_finding *f = hd__code_finding(c, kind, error, i);
    if (f)
        hd__code_message(f, "%s at 0x%X %s%s", f->instruction,
                 c->insn[i].offset, what, detail);
}

static void escape(struct hd__code_ctx *c, uint32_t i, uint16_t regs, const char *how)
{
    char detail[96];
    snprintf(detail, sizeof(detail), " (%s): writes through it are not checked",
             first_name(regs));
    note(c, HD_CODE_STACK_ESCAPE, false, i, how, detail);
}

/* ---- one instruction --------------------------------------------------------------------- */

/* Writes through a stack address: not to the return address, not above the function's own
 * frame (function 0: above its shadow space), not at an unbounded offset, not further below
 * the return address than the stack it may use (which the deepest write counts towards, as
 * the deepest rsp does). */
static void check_writes(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn,
                         uint32_t i, const struct hd__code_state *st)
{
    const struct hd__code_insn *in = &c->insn[i];
    int64_t limit = fn == 0 ? 8 + (int64_t)HD_CODE_SHADOW_BYTES : 8;

    for (unsigned k = 0; k < in->mem_count; k++) {
        const struct hd__code_mem *m = &in->mem[k];
        int32_t base;
        int64_t lo, hi;

        if (!m->write || m->base == HD__GPR_NONE ||
            (base = depth_of(st, m->base)) == HD__NOT_STACK)
            continue;
        lo = m->disp - base; /* relative to rsp at entry: the return address is [0, 8) */
        hi = lo + m->size;
        if (base == HD__ANY_DEPTH)
            note(c, HD_CODE_STACK_WRITE, true, i,
                 "writes through a stack address whose depth the validator lost",
                 " (paths that meet disagree on it): it could reach the return address");
        else if (m->unbounded)
            note(c, HD_CODE_STACK_WRITE, true, i,
                 "writes the stack at an offset the validator cannot bound", " (index register, "
                 "rep, bit offset, XSAVE area): it could reach the return address");
        else if (hi > 0 && lo < 8)
            note(c, HD_CODE_STACK_WRITE, true, i, "overwrites the return address", "");
        else if (lo < -(int64_t)HD_CODE_STACK_MAX)
            note(c, HD_CODE_STACK_WRITE, true, i, "writes further below the return address",
                 " than the stack the code may use (HD_CODE_STACK_MAX, 4096 bytes)");
        else if (hi > limit)
            note(c, HD_CODE_STACK_WRITE, true, i, "writes above the return address",
                 fn == 0 ? ", into the caller's frame (only the 32 bytes of shadow space above "
                           "it belong to the code)"
                         : ", into its caller's frame (a subroutine owns nothing above its "
                           "return address)");
        else if (lo < 0 && -lo > (int64_t)g->fn[fn].max_depth)
            g->fn[fn].max_depth = (uint32_t)-lo;
    }
}

/* rsp after the instruction; false: the path cannot be followed further. */
static bool apply_stack_op(struct hd__code_ctx *c, uint32_t i, struct hd__code_state *st)
{
    const struct hd__code_insn *in = &c->insn[i];
    int32_t src;

    switch (in->stack_op) {
    case HD__STACK_PUSH:
        st->depth = moved(st->depth, -in->stack_imm);
        break;
    case HD__STACK_POP:
        st->depth = moved(st->depth, in->stack_imm);
        break;
    case HD__STACK_ADD:
        st->depth = moved(st->depth, in->stack_imm);
        break;
    case HD__STACK_COPY:
        if (!is_known(src = depth_of(st, in->stack_src))) {
            note(c, HD_CODE_STACK_UNTRACKED, true, i,
                 "loads rsp from a register that holds no stack address the validator knows",
                 "");
            return false;
        }
        st->depth = moved(src, in->stack_imm);
        break;
    case HD__STACK_ENTER:
        if (st->reg[HD__GPR_RBP] != HD__NOT_STACK || in->level > 0)
            escape(c, i, 1u << HD__GPR_RBP, "stores a stack address on the stack");
        st->depth = moved(st->depth, -8);
        st->reg[HD__GPR_RBP] = st->depth;
        st->depth = moved(st->depth, -8 * (int64_t)in->level - in->stack_imm);
        break;
    case HD__STACK_LEAVE:
        if (!is_known(st->reg[HD__GPR_RBP])) {
            note(c, HD_CODE_STACK_UNTRACKED, true, i,
                 "loads rsp from rbp, which holds no stack address the validator knows", "");
            return false;
        }
        st->depth = moved(st->reg[HD__GPR_RBP], 8);
        st->reg[HD__GPR_RBP] = HD__NOT_STACK;
        break;
    case HD__STACK_UNTRACKED:
        note(c, HD_CODE_STACK_UNTRACKED, true, i,
             "writes rsp in a way the validator cannot follow", ": the stack depth is lost");
        return false;
    default:
        return true;
    }
    if (!is_known(st->depth) || st->depth < 0) {
        note(c, HD_CODE_STACK_RANGE, true, i,
             "moves rsp above its value at entry", ": the return address is popped or dropped");
        return false;
    }
    if (st->depth > (int32_t)HD_CODE_STACK_MAX) {
        char detail[64];
        snprintf(detail, sizeof(detail), " (%d bytes, at most %u)", st->depth,
                 HD_CODE_STACK_MAX);
        note(c, HD_CODE_STACK_RANGE, true, i, "takes too much stack", detail);
        return false;
    }
    return true;
}

/* The state after instruction @p i, from the state before it. false: the path ends here. */
static bool step(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn, uint32_t i,
                 struct hd__code_state *st)
{
    const struct hd__code_insn *in = &c->insn[i];
    uint16_t leaked = in->reads & tracked(st);
    int32_t copy = in->copy_dst != HD__GPR_NONE ? moved(depth_of(st, in->copy_src), in->copy_imm)
                                                : HD__NOT_STACK;

    if (leaked && (in->stores || in->writes))
        escape(c, i, leaked, "copies a stack address where the validator does not follow it");
    if (!in->mem_after_pop)
        check_writes(c, g, fn, i, st);
    if (!apply_stack_op(c, i, st))
        return false;
    if (in->mem_after_pop)
        check_writes(c, g, fn, i, st);
    for (unsigned r = 0; r < HD__GPR_COUNT; r++)
        if (in->writes & (1u << r))
            st->reg[r] = HD__NOT_STACK;
    if (in->copy_dst != HD__GPR_NONE)
        st->reg[in->copy_dst] = copy;
    if (st->depth > (int32_t)g->fn[fn].max_depth)
        g->fn[fn].max_depth = (uint32_t)st->depth;
    return true;
}

/* ---- calls and returns ------------------------------------------------------------------- */

static void forget_registers(struct hd__code_state *st)
{
    for (unsigned r = 0; r < HD__GPR_COUNT; r++)
        st->reg[r] = HD__NOT_STACK;
}

/* The function that starts at instruction @p t: found before, or a new one. -1: too many. */
static int64_t function_at(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t site,
                           uint32_t t)
{
    if (g->fn_at[t])
        return g->fn_at[t] - 1;
    if (g->fn_count > HD_CODE_SUBROUTINES_MAX) {
        char detail[64];
        snprintf(detail, sizeof(detail), " (at most %u)", HD_CODE_SUBROUTINES_MAX);
        note(c, HD_CODE_TOO_COMPLEX, true, site, "calls one subroutine too many", detail);
        return -1;
    }
    g->fn[g->fn_count] = (struct hd__code_fn){.entry = t};
    g->fn_at[t] = (int32_t)++g->fn_count;
    return g->fn_count - 1;
}

/* A direct call: the callee is a function of its own; the caller goes on at the same depth
 * with every other register forgotten. false: out of memory. */
static bool call(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn, uint32_t i,
                 struct hd__code_state *st)
{
    int64_t t = hd__code_index(c, c->insn[i].target), callee;
    uint16_t regs = tracked(st) & (uint16_t)~(1u << HD__GPR_RSP);

    if (regs)
        escape(c, i, regs, "passes a stack address to a subroutine, which does not follow it");
    if (t < 0 || g->stepped[i] == fn + 1 || (callee = function_at(c, g, i, (uint32_t)t)) < 0)
        goto out; /* a bad target is check_targets()'s finding; a call is recorded once */
    if (g->call_count == g->call_cap) {
        uint32_t cap = g->call_cap ? 2 * g->call_cap : 16;
        struct hd__code_call *p = realloc(g->calls, cap * sizeof(*p));
        if (!p)
            return false;
        g->calls = p;
        g->call_cap = cap;
    }
    g->calls[g->call_count++] =
        (struct hd__code_call){.site = i, .depth = (uint32_t)st->depth, .callee = (uint32_t)callee};
    g->fn[fn].call_count++;
out:
    forget_registers(st);
    return true;
}

static void ret(struct hd__code_ctx *c, uint32_t fn, uint32_t i, const struct hd__code_state *st)
{
    uint16_t regs = tracked(st) & (uint16_t)~(1u << HD__GPR_RSP);
    char detail[160];

    if (st->depth != 0) {
        snprintf(detail, sizeof(detail),
                 " with rsp %d bytes below its entry value: it would jump to what the code "
                 "pushed, not back to its caller",
                 st->depth);
        note(c, HD_CODE_STACK_UNBALANCED, true, i, "returns", detail);
    } else if (fn != 0 && regs) {
        escape(c, i, regs, "returns a stack address to its caller, which does not follow it");
    }
}

/* ---- the walk ---------------------------------------------------------------------------- */

/* The worklist is a min-heap of instruction indices: the walk goes through the code in
 * address order where it can, so its findings come in an order people expect. */
static void work_push(struct hd__code_graph *g, uint32_t j, uint32_t *top)
{
    uint32_t k = (*top)++;
    g->queued[j] = 1;
    while (k > 0 && g->work[(k - 1) / 2] > j) {
        g->work[k] = g->work[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    g->work[k] = j;
}

static uint32_t work_pop(struct hd__code_graph *g, uint32_t *top)
{
    uint32_t first = g->work[0], last = g->work[--*top], k = 0;

    for (;;) {
        uint32_t child = 2 * k + 1;
        if (child >= *top)
            break;
        if (child + 1 < *top && g->work[child + 1] < g->work[child])
            child++;
        if (g->work[child] >= last)
            break;
        g->work[k] = g->work[child];
        k = child;
    }
    g->work[k] = last;
    g->queued[first] = 0;
    return first;
}

static void reach(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn, uint32_t j,
                  const struct hd__code_state *st, uint32_t *top)
{
    struct hd__code_state *in = &g->in[j];
    bool changed = false;

    if (g->seen[j] != fn + 1) {
        g->seen[j] = fn + 1;
        *in = *st;
        changed = true;
    } else if (in->depth != st->depth) {
        char detail[96];
        snprintf(detail, sizeof(detail), " with %d and %d bytes on the stack", in->depth,
                 st->depth);
        note(c, HD_CODE_STACK_UNBALANCED, true, j, "is reached by paths", detail);
        return;
    } else {
        for (unsigned r = 0; r < HD__GPR_COUNT; r++)
            if (in->reg[r] != st->reg[r] && in->reg[r] != HD__ANY_DEPTH) {
                /* A stack address on one path at least: still one, somewhere. */
                in->reg[r] = HD__ANY_DEPTH;
                changed = true;
            }
    }
    if (changed && !g->queued[j])
        work_push(g, j, top);
}

bool hd__code_track_stack(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn)
{
    struct hd__code_state st = {.depth = 0};
    uint32_t top = 0;

    g->fn[fn].first_call = g->call_count;
    forget_registers(&st);
    reach(c, g, fn, g->fn[fn].entry, &st, &top);
    while (top) {
        uint32_t i = work_pop(g, &top);
        const struct hd__code_insn *in = &c->insn[i];
        int64_t t = hd__code_index(c, in->target);

        st = g->in[i];
        if (!step(c, g, fn, i, &st))
            continue;
        if (in->flow == HD__FLOW_CALL && !call(c, g, fn, i, &st))
            return false;
        g->stepped[i] = fn + 1;
        if (in->flow == HD__FLOW_INDIRECT_CALL)
            forget_registers(&st);
        if (in->flow == HD__FLOW_RET)
            ret(c, fn, i, &st);
        if ((in->flow == HD__FLOW_NEXT || in->flow == HD__FLOW_BRANCH ||
             in->flow == HD__FLOW_CALL || in->flow == HD__FLOW_INDIRECT_CALL) &&
            i + 1 < c->count)
            reach(c, g, fn, i + 1, &st, &top);
        if ((in->flow == HD__FLOW_BRANCH || in->flow == HD__FLOW_JUMP) && t >= 0)
            reach(c, g, fn, (uint32_t)t, &st, &top);
    }
    return true;
}
