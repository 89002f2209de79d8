/* SPDX-License-Identifier: MIT */
/*
 * What hd_code_validate()'s files share (libhdevent/user/code_*.c, user mode only):
 *
 *   code_validate.c  the entry point, findings, the linear sweep and branch targets;
 *   code_classify.c  one Zydis decode -> what the instruction does to control flow, rsp, the
 *                    general registers and memory (struct hd__code_insn);
 *   code_verdict.c   whether it has a place in VMX root at all (forbidden, privileged,
 *                    FPU/SIMD state, indirect branch);
 *   code_flow.c      the control-flow graph: functions (offset 0 and every direct call
 *                    target), loops, paths off the end, the call graph (recursion, stack use);
 *   code_stack.c     the stack tracker: rsp's depth and the registers that hold stack
 *                    addresses, on every path of one function.
 */
#ifndef HDEVENT_USER_CODE_CHECK_H
#define HDEVENT_USER_CODE_CHECK_H

#include "code_zydis.h"

#include <hdevent/code.h>

#include <stdbool.h>
#include <stdint.h>

/* General registers by encoding number (rax 0 ... r15 15); HD__GPR_NONE: not one of them. */
#define HD__GPR_COUNT 16u
#define HD__GPR_RSP 4u
#define HD__GPR_RBP 5u
#define HD__GPR_NONE 0xFFu

/* How control leaves an instruction. */
enum hd__code_flow {
    HD__FLOW_NEXT,          /* falls through */
    HD__FLOW_RET,           /* near ret without immediate: the end of a good path */
    HD__FLOW_JUMP,          /* direct jmp: the target only */
    HD__FLOW_BRANCH,        /* jcc, loop, jrcxz, xbegin: the target and the fall-through */
    HD__FLOW_CALL,          /* direct near call: a subroutine, then the fall-through */
    HD__FLOW_INDIRECT_JUMP, /* the path ends: its target is unknown */
    HD__FLOW_INDIRECT_CALL, /* assumed to come back: the fall-through */
    HD__FLOW_STOP,          /* forbidden and never falls through (retf, iret, ud2, far jmp) */
};

/* What an instruction does to rsp (calls and returns are their flow's business). */
enum hd__code_stack_op {
    HD__STACK_NONE,
    HD__STACK_PUSH,      /* rsp -= imm: push, pushf */
    HD__STACK_POP,       /* rsp += imm: pop, popf */
    HD__STACK_ADD,       /* rsp += imm: add/sub rsp, imm */
    HD__STACK_COPY,      /* rsp = src + imm: mov rsp, src; lea rsp, [src+imm] */
    HD__STACK_ENTER,     /* push rbp; rbp = rsp; (nesting); rsp -= imm */
    HD__STACK_LEAVE,     /* rsp = rbp; pop rbp */
    HD__STACK_UNTRACKED, /* any other write of rsp: the depth is lost */
};

/* A memory operand whose address may be on the stack. */
struct hd__code_mem {
    uint8_t base;   /* general base register (esp counts as rsp), or HD__GPR_NONE (none, rip) */
    bool unbounded; /* an index register or a rep prefix: which bytes it reaches is unknown */
    bool write;
    uint32_t size;  /* bytes */
    int64_t disp;
};

#define HD__CODE_MEM_MAX 3u

/* One instruction as the flow and stack analysis see it. */
struct hd__code_insn {
    uint32_t offset;
    uint8_t length;
    uint8_t flow;       /* enum hd__code_flow */
    uint8_t stack_op;   /* enum hd__code_stack_op */
    uint8_t stack_src;  /* HD__STACK_COPY: the source register */
    uint8_t copy_dst;   /* dst = copy_src + copy_imm (mov, lea, add/sub imm), or HD__GPR_NONE */
    uint8_t copy_src;
    uint8_t level;      /* enter's nesting level */
    uint8_t mem_count;
    bool mem_after_pop; /* pop [mem]: the address uses rsp after the pop */
    bool stores;        /* writes memory or a register other than a GPR, flags or rip */
    uint16_t reads;     /* GPRs read as values (not as addresses), bit per GPR */
    uint16_t writes;    /* GPRs written, other than by the copy */
    int64_t stack_imm;  /* PUSH/POP: bytes; ADD: rsp delta; COPY: displacement; ENTER: size */
    int64_t copy_imm;
    int64_t target;     /* JUMP, BRANCH, CALL: offset from the buffer's start (may be < 0) */
    struct hd__code_mem mem[HD__CODE_MEM_MAX];
};

/* Everything one hd_code_validate() call works on. */
struct hd__code_ctx {
    const uint8_t *code;
    uint32_t size;
    bool strict;
    struct hd_code_report *report;
    struct hd__code_insn *insn; /* the linear sweep, `count` instructions */
    uint32_t count;
    uint32_t *index_of;         /* per byte offset: instruction index + 1, 0 inside one */
    uint32_t *reported;         /* per instruction: a bit per finding kind already counted */
};

/* ---- decode helpers ---------------------------------------------------------------------- */

/* A direct branch: its first operand is relative to the next instruction. */
static inline bool hd__code_relative_target(const struct hd_zydis_insn *d)
{
    return d->insn.operand_count_visible > 0 && d->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
           d->ops[0].imm.is_relative;
}

/* retf, far jmp, far call: they load CS. */
static inline bool hd__code_far(const struct hd_zydis_insn *d)
{
    return d->insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
}

/* A near branch with 66: Intel ignores the prefix in 64-bit mode, AMD gives it a 16-bit
 * operand size (a rel16 displacement, RIP truncated to 16 bits, a 2-byte return address), so
 * the two disagree on where it goes. */
static inline bool hd__code_branch_osize(const struct hd_zydis_insn *d)
{
    switch (d->insn.meta.category) {
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_COND_BR:
        return (d->insn.attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE) != 0;
    default:
        return false;
    }
}

/* ---- code_classify.c --------------------------------------------------------------------- */

/* Fill @p out from the decode of the instruction at @p offset. */
void hd__code_classify(const struct hd_zydis_insn *d, uint32_t offset, struct hd__code_insn *out);

/* ---- code_verdict.c ---------------------------------------------------------------------- */

/*
 * Whether the instruction has a place in VMX root code at all: NULL, or the end of the
 * sentence "<instruction> at 0x<offset> ..." with *kind set to HD_CODE_FORBIDDEN (always an
 * error), HD_CODE_PRIVILEGED, HD_CODE_SIMD or HD_CODE_INDIRECT_BRANCH (warnings unless strict).
 */
const char *hd__code_verdict(const struct hd_zydis_insn *d, enum hd_code_finding_kind *kind);

/* ---- code_validate.c --------------------------------------------------------------------- */

/*
 * Count a finding about instruction @p index (once per instruction and kind: a second call
 * returns NULL and counts nothing). Returns the slot to write the message into, with
 * `instruction` filled in, or NULL when the report is full or it was counted before.
 * @p error false: a warning, which HD_CODE_STRICT makes an error.
 */
struct hd_code_finding *hd__code_finding(struct hd__code_ctx *c, enum hd_code_finding_kind kind,
                                        bool error, uint32_t index);

/* Write @p f's message (printf-style; cut to fit, as every message may be). */
void hd__code_message(struct hd_code_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Index of the instruction starting at @p offset, or -1 (outside, or inside an instruction). */
int64_t hd__code_index(const struct hd__code_ctx *c, int64_t offset);

/* ---- code_flow.c ------------------------------------------------------------------------- */

/* The control-flow and stack analysis of the swept code. false: out of memory. */
bool hd__code_check_flow(struct hd__code_ctx *c);

/* ---- code_stack.c ------------------------------------------------------------------------ */

/* A direct call the tracker met: the call graph's edges. */
struct hd__code_call {
    uint32_t site;   /* instruction index of the call */
    uint32_t depth;  /* bytes on the stack (below the caller's entry) before the call */
    uint32_t callee; /* function number */
};

/* What the tracker knows of a register besides rsp: a stack address at a known depth (the
 * value), a stack address at a depth it lost where paths met (HD__ANY_DEPTH), or no stack
 * address (HD__NOT_STACK: a value made otherwise, as far as the tracker can tell). */
#define HD__NOT_STACK INT32_MIN
#define HD__ANY_DEPTH (INT32_MIN + 1)

/* What the tracker knows before an instruction. */
struct hd__code_state {
    int32_t depth;              /* bytes rsp is below its value at the function's entry */
    int32_t reg[HD__GPR_COUNT]; /* see HD__NOT_STACK (rsp's entry unused) */
};

/* One function: offset 0, or the target of a direct call. */
struct hd__code_fn {
    uint32_t entry;     /* instruction index */
    uint32_t max_depth; /* deepest rsp reached inside, callees not counted */
    uint32_t total;     /* deepest with its callees (code_flow.c) */
    uint32_t first_call, call_count; /* its calls in hd__code_graph.calls */
    uint8_t color;      /* call-graph walk: 0 new, 1 on the walk's path, 2 done */
};

/* The functions and calls found so far, and the tracker's scratch space (one per instruction,
 * reused by each function). */
struct hd__code_graph {
    struct hd__code_fn fn[HD_CODE_SUBROUTINES_MAX + 1];
    uint32_t fn_count;
    struct hd__code_call *calls;
    uint32_t call_count, call_cap;
    int32_t *fn_at;           /* per instruction: function number + 1 whose entry it is, or 0 */
    struct hd__code_state *in; /* per instruction: the state on entry */
    uint32_t *seen;           /* per instruction: function number + 1 whose walk reached it */
    uint32_t *stepped;        /* per instruction: function number + 1 that followed it once */
    uint32_t *work;           /* worklist of instruction indices */
    uint8_t *queued;
};

/* Follow rsp and the stack-address registers on every path of function @p fn, reporting
 * what is wrong and recording its calls (new functions are appended). false: out of memory. */
bool hd__code_track_stack(struct hd__code_ctx *c, struct hd__code_graph *g, uint32_t fn);

#endif /* HDEVENT_USER_CODE_CHECK_H */
