/* SPDX-License-Identifier: MIT */
/*
 * The control-flow graph of swept code (code_check.h), entry point hd__code_check_flow() at
 * the end. Functions are offset 0 and every target of a direct call inside the buffer; each
 * is analysed on its own, as if called with an empty stack:
 *
 *   walk_cfg()            a depth-first walk from its entry over fall-throughs and direct
 *                         branches (a call's edge is its fall-through: the callee is its own
 *                         function): an edge back to an instruction on the walk's path is a
 *                         loop; a fall-through past the last instruction runs off the end;
 *   hd__code_track_stack() (code_stack.c) the stack depth on every path, which finds the
 *                         calls, and so the next functions;
 *   walk_calls()          then, over the call graph: a cycle is recursion; the deepest stack
 *                         with callees may not pass HD_CODE_STACK_MAX.
 *
 * Every function walk and every call-graph walk visits successors in one fixed order, so the
 * findings, and which edge of a cycle is called the loop, are the same on every run.
 */
#include "code_check.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- one function's graph ---------------------------------------------------------------- */

struct walk {
    uint32_t *gen;   /* per instruction: function number + 1 of the walk that reached it */
    uint8_t *grey;   /* per instruction: on the walk's current path */
    uint32_t *stack; /* the path: instruction indices */
    uint8_t *cursor; /* per path entry: successors already followed */
};

/* Successors of instruction @p i inside its function; a fall-through past the end is reported. */
static unsigned successors(struct hd__code_ctx *c, uint32_t i, uint32_t next[2])
{
    const struct hd__code_insn *in = &c->insn[i];
    unsigned n = 0;
    int64_t t;

    switch (in->flow) {
    case HD__FLOW_NEXT:
    case HD__FLOW_BRANCH:
    case HD__FLOW_CALL:
    case HD__FLOW_INDIRECT_CALL:
        if (i + 1 < c->count) {
            next[n++] = i + 1;
        } else {
            struct hd_code_finding *f = hd__code_finding(c, HD_CODE_RUNS_OFF_END, true, i);
            if (f)
                hd__code_message(f,
                         "execution continues past the end of the buffer after %s at 0x%X: "
                         "the code must end in a return",
                         f->instruction, in->offset);
        }
        break;
    default:
        break;
    }
    if (in->flow == HD__FLOW_BRANCH || in->flow == HD__FLOW_JUMP) {
        t = hd__code_index(c, in->target);
        if (t >= 0) /* a bad target is check_targets()'s finding */
            next[n++] = (uint32_t)t;
    }
    return n;
}

static void loop_finding(struct hd__code_ctx *c, uint32_t from, uint32_t to)
{
    struct hd_code_finding *f = hd__code_finding(c, HD_CODE_LOOP, false, from);
    if (f)
        hd__code_message(f,
                 "%s at 0x%X goes back to 0x%X: a loop, which the validator cannot prove ends",
                 f->instruction, c->insn[from].offset, c->insn[to].offset);
}

static void walk_cfg(struct hd__code_ctx *c, struct walk *w, uint32_t fn, uint32_t entry)
{
    uint32_t top = 0, cur = fn + 1;

    w->gen[entry] = cur;
    w->grey[entry] = 1;
    w->stack[top] = entry;
    w->cursor[top++] = 0;
    while (top) {
        uint32_t i = w->stack[top - 1], next[2];
        unsigned n = successors(c, i, next), k = w->cursor[top - 1];

        if (k >= n) { /* every successor done: leave the path */
            w->grey[i] = 0;
            top--;
            continue;
        }
        w->cursor[top - 1] = (uint8_t)(k + 1);
        if (w->gen[next[k]] != cur) {
            w->gen[next[k]] = cur;
            w->grey[next[k]] = 1;
            w->stack[top] = next[k];
            w->cursor[top++] = 0;
        } else if (w->grey[next[k]]) {
            loop_finding(c, i, next[k]);
        }
    }
}

/* ---- the call graph ---------------------------------------------------------------------- */

static void call_finding(struct hd__code_ctx *c, enum hd_code_finding_kind kind,
                         const struct hd__code_call *call, uint64_t need)
{
    struct hd_code_finding *f = hd__code_finding(c, kind, true, call->site);
    if (!f)
        return;
    if (kind == HD_CODE_RECURSION)
        hd__code_message(f,
                 "%s at 0x%X calls a subroutine that is already running (recursion): the stack "
                 "it needs has no bound",
                 f->instruction, c->insn[call->site].offset);
    else
        hd__code_message(f,
                 "%s at 0x%X needs %llu bytes of stack with the subroutines it calls, more than "
                 "the %u allowed",
                 f->instruction, c->insn[call->site].offset, (unsigned long long)need,
                 HD_CODE_STACK_MAX);
}

/* The deepest stack of function @p f with its callees; reports recursion and overflow at the
 * call where it happens. At most HD_CODE_SUBROUTINES_MAX + 1 frames of recursion. */
static uint32_t walk_calls(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t f)
{
    struct hd__code_fn *fn = &g->fn[f];
    uint64_t total = fn->max_depth;

    if (fn->color == 2)
        return fn->total;
    fn->color = 1;
    for (uint32_t k = fn->first_call; k < fn->first_call + fn->call_count; k++) {
        const struct hd__code_call *call = &g->calls[k];
        uint64_t callee, need;

        if (g->fn[call->callee].color == 1) {
            call_finding(c, HD_CODE_RECURSION, call, 0);
            continue;
        }
        callee = walk_calls(c, g, call->callee);
        need = call->depth + 8u + callee;
        if (need > HD_CODE_STACK_MAX && callee <= HD_CODE_STACK_MAX)
            call_finding(c, HD_CODE_STACK_RANGE, call, need);
        if (need > total)
            total = need;
    }
    fn->color = 2;
    fn->total = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    return fn->total;
}

/* ---- entry ------------------------------------------------------------------------------- */

bool hd__code_check_flow(struct hd__code_ctx *c)
{
    struct hd__code_graph g = {.fn_count = 1};
    struct walk w;
    size_t n = c->count;
    bool ok = false;

    w.gen = calloc(n, sizeof(*w.gen));
    w.grey = calloc(n, 1);
    w.stack = malloc(n * sizeof(*w.stack));
    w.cursor = malloc(n);
    g.fn_at = calloc(n, sizeof(*g.fn_at));
    g.in = malloc(n * sizeof(*g.in));
    g.seen = calloc(n, sizeof(*g.seen));
    g.stepped = calloc(n, sizeof(*g.stepped));
    g.work = malloc(n * sizeof(*g.work));
    g.queued = calloc(n, 1);
    if (w.gen && w.grey && w.stack && w.cursor && g.fn_at && g.in && g.seen && g.stepped &&
        g.work && g.queued) {
        g.fn_at[0] = 1; /* function 0 at offset 0 */
        ok = true;
        /* hd__code_track_stack() appends the functions it finds: fn_count grows. */
        for (uint32_t f = 0; ok && f < g.fn_count; f++) {
            walk_cfg(c, &w, f, g.fn[f].entry);
            ok = hd__code_track_stack(c, &g, f);
        }
        if (ok)
            walk_calls(c, &g, 0);
    }
    free(w.gen);
    free(w.grey);
    free(w.stack);
    free(w.cursor);
    free(g.fn_at);
    free(g.in);
    free(g.seen);
    free(g.stepped);
    free(g.work);
    free(g.queued);
    free(g.calls);
    return ok;
}
