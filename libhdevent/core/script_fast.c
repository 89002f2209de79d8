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
 * compare of the chain or out of it. The filter writes t and d as the VM would and charges the
 * same steps, so a run takes exactly the same path and leaves the same slots either way; a
 * program of any other shape simply runs in the VM from instruction 0.
 */
#include "internal/engine.h"
#include "internal/script.h"

#define SIGN 0x8000000000000000ull

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
    uint64_t u = k ^ SIGN; /* signed order as unsigned order */
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
static bool next_of(struct hd_script *s, uint32_t count, uint32_t chain_end, uint32_t from,
                    uint32_t pc, uint8_t *next)
{
    if (pc < chain_end) {
        if (pc % 3 || pc <= from)
            return false;
        *next = (uint8_t)(pc / 3);
        return true;
    }
    for (uint32_t x = 0; x < s->fast_count; x++)
        if (s->fast_exits[x] == pc) {
            *next = (uint8_t)(count + x);
            return true;
        }
    s->fast_exits[s->fast_count] = pc;
    *next = (uint8_t)(count + s->fast_count++);
    return true;
}

void hd__script_fast_build(struct hd_script *s)
{
    uint32_t count = 0, end;

    s->fast_count = 0;
    while (count < HD_SCRIPT_FAST_TERMS && term_at(s, 3 * count))
        count++;
    /* Equivalence needs the VM's budget for the whole chain and the END after it (steps 1
     * would stop the VM early). */
    if (!count || s->steps <= 3 * count)
        return;
    end = 3 * count;
    for (uint32_t k = 0; k < count; k++) { /* fast_count counts exits while building */
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
        if (!next_of(s, count, end, 3 * k, c[2].d, &taken) ||
            !next_of(s, count, end, 3 * k, 3 * k + 3, &fall)) {
            s->fast_count = 0;
            return;
        }
        t->next[jump_when] = taken;
        t->next[!jump_when] = fall;
    }
    /* From here on fast_count is the number of terms; the exits stay in fast_exits. */
    s->fast_count = count;
}

uint32_t hd__script_fast_run(const struct hd_script *s, const struct hd_script_run *r,
                             uint64_t *slots, uint32_t *steps)
{
    const uint64_t *regs = (const uint64_t *)(const void *)r->regs;
    uint32_t n = s->fast_count, i = 0;

    do {
        const struct hd_fast_term *t = &s->fast[i];
        uint64_t v = t->src < 16 ? regs[t->src]
                     : t->src == HD_SCRIPT_FAST_PID ? r->vcpu->pid
                                                    : r->vcpu->core;
        uint32_t holds = (((v ^ SIGN) - t->lo) <= t->span) ^ t->invert;
        slots[t->value_slot] = v;
        slots[t->result_slot] = holds;
        i = t->next[holds];
        *steps -= 3; /* never below 0: the budget covers the whole chain (fast_build) */
    } while (i < n);
    return s->fast_exits[i - n];
}
