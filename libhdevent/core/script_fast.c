/* SPDX-License-Identifier: MIT */
/*
 * The fast path: a script that starts with a filter — compares of a register, $pid or $core
 * against constants joined by && and || (`if (@rax == 1234 && $pid == 4) {…}`) — has that
 * filter recognised at registration and run as a few fixed range tests, with no interpreter
 * dispatch; the VM starts where the filter decides (often the END: nothing else runs).
 *
 * The compiler (libhdevent/user) emits each compare of a condition as three instructions:
 *
 *     ldr t, @reg  (64 bits)  |  ldp t, $pid | $core
 *     <eq|ne|lt|gt|le|ge> d, t, #k          (HD_SCRIPT_K)
 *     jz|jnz d, target
 *
 * and a chain of them, from instruction 0, is the filter: each jump goes forward to a later
 * compare of the chain or out of it. The filter computes every compare (none has a side
 * effect), and a table made here maps which of them hold to where the chain goes and which
 * compares the VM would have run; it writes their t and d as the VM would and charges the same
 * steps, so a run takes exactly the same path and leaves the same slots either way. Where the
 * chain goes, an END or event_sc(k) is done here too: `if (@rax == 1234) { event_sc(1); }`
 * never enters the interpreter. A program of any other shape simply runs in the VM from
 * instruction 0.
 */
#include "internal/engine.h"
#include "internal/script.h"

/* Is instruction @pc the start of a compare (three instructions) of the chain? */
static bool term_at(const struct hd_script *s, uint32_t pc)
{
    const struct hd_sinsn *c = s->code + pc;

    if (pc + 3 > s->insn_count)
        return false;
    if (!((c[0].op == HD_SOP_LDR && c[0].b == HD_SCRIPT_VIEW_64) ||
          (c[0].op == HD_SOP_LDP &&
           (c[0].a == HD_SCRIPT_PSEUDO_PID || c[0].a == HD_SCRIPT_PSEUDO_CORE))))
        return false;
    if (c[1].op < HD_SOP_EQ || c[1].op > HD_SOP_GE || !(c[1].flags & HD_SCRIPT_K) ||
        c[1].a != c[0].d)
        return false;
    return (c[2].op == HD_SOP_JZ || c[2].op == HD_SOP_JNZ) && c[2].a == c[1].d;
}

/* The range test of `value OP k` (see struct hd_fast_term). */
static void term_range(struct hd_fast_term *t, uint32_t op, uint64_t k)
{
    uint64_t u = k ^ HD_FAST_SIGN; /* signed order as unsigned order */
    bool never = (op == HD_SOP_LT && u == 0) || (op == HD_SOP_GT && u == ~0ull);

    t->invert = op == HD_SOP_NE;
    switch (op) {
    case HD_SOP_EQ:
    case HD_SOP_NE:
        t->lo = u, t->span = 0;
        break;
    case HD_SOP_LT:
        t->lo = 0, t->span = u - 1;
        break;
    case HD_SOP_LE:
        t->lo = 0, t->span = u;
        break;
    case HD_SOP_GT:
        t->lo = u + 1, t->span = ~0ull - (u + 1);
        break;
    default: /* GE */
        t->lo = u, t->span = ~0ull - u;
        break;
    }
    if (never) { /* an empty range: "always" inverted */
        t->lo = 0, t->span = ~0ull;
        t->invert = 1;
    }
}

/* Where a jump to @pc leads, as a next[] value: a later term, or an exit (added if new).
 * @return false when @pc lands inside the chain other than on a later term. */
static bool next_of(struct hd_script *s, uint32_t *exits, uint32_t count, uint32_t chain_end,
                    uint32_t from, uint32_t pc, uint8_t *next)
{
    if (pc < chain_end) {
        if (pc % 3 || pc <= from)
            return false;
        *next = (uint8_t)(pc / 3);
        return true;
    }
    for (uint32_t x = 0; x < *exits; x++)
        if (s->fast_exits[x].pc == pc) {
            *next = (uint8_t)(count + x);
            return true;
        }
    s->fast_exits[*exits] = (struct hd_fast_exit){.pc = pc, .tail = HD_FAST_RUN};
    *next = (uint8_t)(count + (*exits)++);
    return true;
}

/* What the VM does at an exit, when it is short enough to do here: an END, or event_sc(k)
 * (`ldk t, #k; evsc t; end`) when the budget left after the chain covers its three steps. */
static void classify_exit(const struct hd_script *s, struct hd_fast_exit *x, uint32_t count)
{
    const struct hd_sinsn *c = s->code + x->pc;

    if (c[0].op == HD_SOP_END) {
        x->tail = HD_FAST_END;
    } else if (x->pc + 3 <= s->insn_count && c[0].op == HD_SOP_LDK &&
               c[1].op == HD_SOP_EVSC && c[1].a == c[0].d && c[2].op == HD_SOP_END &&
               s->steps >= 3 * count + 3) {
        x->tail = HD_FAST_SC;
        x->slot = c[0].d;
        x->k = s->consts[c[0].a];
    }
}

/* Fill fast_table: walk the chain once for every mask of results. */
static void build_table(struct hd_script *s, uint32_t count, uint8_t next[][2])
{
    for (uint32_t mask = 0; mask < (1u << count); mask++) {
        const struct hd_fast_exit *x;
        uint32_t i = 0, ran = 0, steps = 0;
        while (i < count) {
            ran |= 1u << i;
            steps += 3;
            i = next[i][(mask >> i) & 1];
        }
        s->fast_table[mask] = HD_FAST_DECISION(i - count, ran, steps);
        x = &s->fast_exits[i - count];
        if (x->tail == HD_FAST_SC && x->k)
            s->fast_sc[mask / 64] |= 1ull << (mask % 64);
    }
}

void hd__script_fast_build(struct hd_script *s)
{
    uint8_t next[HD_SCRIPT_FAST_TERMS][2];
    uint32_t count = 0, end, exits = 0;

    s->fast_count = 0;
    s->fast_only = false;
    for (uint32_t w = 0; w < sizeof(s->fast_sc) / sizeof(s->fast_sc[0]); w++)
        s->fast_sc[w] = 0;
    while (count < HD_SCRIPT_FAST_TERMS && term_at(s, 3 * count))
        count++;
    /* Equivalence needs the VM's budget for the whole chain and the END after it (steps 1
     * would stop the VM early). */
    if (!count || s->steps <= 3 * count)
        return;
    end = 3 * count;
    for (uint32_t k = 0; k < count; k++) {
        const struct hd_sinsn *c = s->code + 3 * k;
        struct hd_fast_term *t = &s->fast[k];
        bool jump_when = c[2].op == HD_SOP_JNZ; /* the jump is taken when the compare is this */
        uint8_t taken, fall;
        t->src = (uint8_t)(c[0].op == HD_SOP_LDR ? c[0].a
                           : c[0].a == HD_SCRIPT_PSEUDO_PID ? HD_SCRIPT_FAST_PID
                                                             : HD_SCRIPT_FAST_CORE);
        t->value_slot = c[0].d;
        t->result_slot = c[1].d;
        term_range(t, c[1].op, s->consts[c[1].b]);
        if (!next_of(s, &exits, count, end, 3 * k, c[2].d, &taken) ||
            !next_of(s, &exits, count, end, 3 * k, 3 * k + 3, &fall))
            return;
        next[k][jump_when] = taken;
        next[k][!jump_when] = fall;
    }
    s->fast_only = true;
    for (uint32_t x = 0; x < exits; x++) {
        classify_exit(s, &s->fast_exits[x], count);
        s->fast_only = s->fast_only && s->fast_exits[x].tail != HD_FAST_RUN;
    }
    build_table(s, count, next);
    s->fast_count = count;
}
