/* SPDX-License-Identifier: MIT */
/*
 * The script engine's private parts (script_*.c): the loaded form of a program, the fast-path
 * filter, the run a dispatch hands the VM, and the engine-wide state scripts share (globals,
 * deferred event requests). The bytecode format itself is public: script_bytecode.h.
 */
#ifndef HDEVENT_INTERNAL_SCRIPT_H
#define HDEVENT_INTERNAL_SCRIPT_H

#include <hdevent/script_bytecode.h>

#include "alloc.h"

struct hd_engine;
struct hd_core;
struct hd_vcpu;
struct hd_guest_regs;

/* ---- the loaded program ------------------------------------------------------------------ */

/* One instruction, decoded from the wire's little-endian bytes; global operands already point
 * at the engine's slots. */
struct hd_sinsn {
    uint8_t op;
    uint8_t flags;
    uint16_t d, a, b;
};
HD__STATIC_ASSERT(sizeof(struct hd_sinsn) == 8, "an instruction is 8 bytes");

/* Most compares the fast path takes (a chain of `@reg OP imm`, `$pid OP imm`, `$core OP imm`
 * joined by && and ||). */
#define HD_SCRIPT_FAST_TERMS 8u
/* Sources of a fast term past the 16 registers. */
#define HD_SCRIPT_FAST_PID 16u
#define HD_SCRIPT_FAST_CORE 17u

/*
 * One compare of the fast path, as a range test: with u = value ^ 2^63 (signed order as
 * unsigned order), the compare holds when ((u - lo) <= span) ^ invert. Every ==, !=, <, >,
 * <=, >= against a constant is one such test: no branch on the operator.
 */
#define HD_FAST_SIGN 0x8000000000000000ull

struct hd_fast_term {
    uint64_t lo;
    uint64_t span;
    uint8_t src;          /* 0..15 a register, HD_SCRIPT_FAST_PID, HD_SCRIPT_FAST_CORE */
    uint8_t invert;
    uint16_t value_slot;  /* what the VM would have written: the loaded value … */
    uint16_t result_slot; /* … and the compare's 0 or 1 */
};

/* What follows a decided filter. */
enum hd_fast_tail {
    HD_FAST_RUN, /* the VM goes on from pc */
    HD_FAST_END, /* an END: the run is over */
    HD_FAST_SC,  /* `ldk t, #k; evsc t; end` (event_sc(k)): slot t = k, short-circuit if k */
};

/* A fast_table entry: the exit (bits 0-7), the terms run (bits 8-15), their steps (16-31). */
#define HD_FAST_DECISION(exit, ran, steps) ((uint32_t)(exit) | (uint32_t)(ran) << 8 | \
                                            (uint32_t)(steps) << 16)

/* One way out of the filter. */
struct hd_fast_exit {
    uint32_t pc;
    uint8_t tail;   /* enum hd_fast_tail */
    uint16_t slot;  /* HD_FAST_SC: t … */
    uint64_t k;     /* … and k */
};

/* A loaded script: one per action, immutable once published. */
struct hd_script {
    /* Read by every run. */
    const struct hd_sinsn *code;
    const uint64_t *consts;
    uint64_t *globals;         /* the engine's values (engine slots, never moved) */
    uint8_t *scratch;          /* core c's slots: scratch + c * stride */
    uint32_t stride;
    uint32_t steps;            /* instructions a run may execute */
    uint16_t local_count;      /* slots zeroed at the start of a run */
    uint16_t slot_count;
    uint32_t insn_count;
    uint32_t fast_count;       /* 0: no fast path */
    const char *strings;
    uint32_t string_bytes;
    struct hd_fast_term fast[HD_SCRIPT_FAST_TERMS];
    struct hd_fast_exit fast_exits[HD_SCRIPT_FAST_TERMS + 1]; /* where a decided filter goes */
    /* By the mask of the compares that hold (bit k: term k; every term is computed, none has
     * a side effect): which exit the chain takes, which terms the VM would have run, and
     * their steps (HD_FAST_DECISION). Only the first 1 << fast_count entries are used. */
    uint32_t fast_table[1u << HD_SCRIPT_FAST_TERMS];
    /* Every exit is an END or event_sc(k): the filter is the whole program, the VM never runs,
     * and its slots are never read (each run writes them before anything could): a run is
     * the compares and one bit of fast_sc (by mask: the run short-circuits). */
    bool fast_only;
    uint64_t fast_sc[(1u << HD_SCRIPT_FAST_TERMS) / 64];

    /* Writer side. */
    void *raw;                 /* the block holding this, the code, constants and strings */
    void *scratch_raw;
    uint64_t bytes;            /* bytecode size, charged as code bytes */
    uint64_t scratch_bytes;    /* charged as buffer bytes */
};

/* ---- engine-wide state ------------------------------------------------------------------- */

/* Requests a core's scripts make (event_enable/disable/clear), applied after the dispatch. */
#define HD_SCRIPT_PENDING 16u

/* One core's queue: single producer (the core, in dispatch), single consumer (a writer under
 * the lock). Free-running counters, release/acquire, no locked instruction. */
struct hd_script_pending {
    uint32_t head;
    uint8_t op[HD_SCRIPT_PENDING];
    uint64_t tag[HD_SCRIPT_PENDING];
    _Alignas(HD_CACHELINE) uint32_t tail;
};

/* Made at the first script registration, freed with the engine (never moved before). */
struct hd_script_state {
    uint64_t *values;          /* the globals: capacity u64, zero at start */
    char (*names)[HD_SCRIPT_NAME_MAX + 1];
    uint32_t count;            /* names bound */
    uint32_t capacity;
    struct hd_script_pending *pending; /* [core count], line-aligned inside pending_raw */
    void *pending_raw;
    uint32_t users;            /* loaded scripts */
    bool kept;                 /* a registration with a script succeeded: lives with the engine */
};

/* ---- what one run sees (filled by dispatch) ---------------------------------------------- */

struct hd_script_run {
    struct hd_engine *e;
    struct hd_core *core;
    struct hd_guest_regs *regs;  /* what writes go to: the guest's, or the protected copy */
    const struct hd_vcpu *vcpu;
    void *context;
    uint64_t tag;
    uint8_t *buffer;             /* this core's pre-allocated buffer, or NULL */
    uint32_t buffer_size;
    uint32_t core_index;
    uint32_t stage;              /* HD_STAGE_PRE or HD_STAGE_POST */
    bool immediate;
};

/* ---- functions ---------------------------------------------------------------------------- */

/* script_load.c: verify @code and make the loaded script (globals bound, per-core slots).
 * Writer context. On failure nothing is left allocated and no global name stays bound. */
enum hd_status hd__script_load(struct hd_engine *e, const void *code, uint32_t size,
                               uint32_t steps, struct hd_script **out);
void hd__script_free(struct hd_engine *e, struct hd_script *s);
/* Bytes of per-core slots a verified program needs on @cores cores (the budget's view). */
uint64_t hd__script_scratch_bytes(const struct hd_script_info *info, uint32_t cores);
/* Free the engine-wide state (engine teardown). */
void hd__script_state_free(struct hd_engine *e);
/* A writer call ends: on success the state (if any) stays for the engine's life; after a
 * failure, a state this call made for scripts it then gave up goes again (changes nothing). */
void hd__script_state_settle(struct hd_engine *e, bool success);

/* script_fast.c: recognise the fast-path filter at the start of @s (sets fast_count). The
 * VM (script_vm.c) runs it, or dispatch runs hd__script_filter() when fast_only. */
void hd__script_fast_build(struct hd_script *s);

/* The mask of the fast path's compares that hold (bit k: term k). */
static inline uint32_t hd__script_fast_holds(const struct hd_script *s, const uint64_t *regs,
                                             uint32_t pid, uint32_t core, uint64_t *values)
{
    uint32_t holds = 0;
    for (uint32_t k = 0; k < s->fast_count; k++) {
        const struct hd_fast_term *t = &s->fast[k];
        uint64_t v = t->src < 16 ? regs[t->src] : t->src == HD_SCRIPT_FAST_PID ? pid : core;
        if (values)
            values[k] = v;
        holds |= (uint32_t)((((v ^ HD_FAST_SIGN) - t->lo) <= t->span) ^ t->invert) << k;
    }
    return holds;
}

/* A whole run of a fast_only script (what dispatch calls instead of hd__script_run): whether
 * it short-circuits. No slot, no step: nothing could observe them. */
static inline bool hd__script_filter(const struct hd_script *s, const uint64_t *regs,
                                     uint32_t pid, uint32_t core)
{
    uint32_t holds = hd__script_fast_holds(s, regs, pid, core, NULL);
    return (s->fast_sc[holds / 64] >> (holds % 64)) & 1;
}

/* script_vm.c: one run of @s. @return true when it asked to short-circuit (event_sc). */
bool hd__script_run(const struct hd_script *s, const struct hd_script_run *r);

/* script_format.c: printf formats, the one parser of the verifier and the VM. */
/* Conversions in the NUL-terminated format at @fmt (at most @max bytes read), or -1 when a
 * '%' starts none of ours or the NUL is missing. */
int32_t hd__script_format_count(const char *fmt, size_t max);
/* Write the format with @args into @out (@cap bytes); @return the full length, which may be
 * more than @cap (the rest is cut). */
uint32_t hd__script_format(char *out, uint32_t cap, const char *fmt, const uint64_t *args);
/* Unsigned decimal of @v into @out (21 bytes); @return the length. */
uint32_t hd__script_decimal(char *out, uint64_t v);

/* script_events.c: queue an event request from a run; false when the core's queue is full. */
bool hd__script_defer(struct hd_engine *e, uint32_t core, uint8_t op, uint64_t tag);

#endif /* HDEVENT_INTERNAL_SCRIPT_H */
