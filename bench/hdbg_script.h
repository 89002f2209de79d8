/* SPDX-License-Identifier: MIT */
/*
 * hdbg-script: a clean-room re-creation of how HyperDbg runs a script action, written from
 * facts about its script engine (no HyperDbg code), the baseline of the S_* scenarios:
 *
 *   - the compiled script is a flat stream of symbols, four 64-bit fields each (type, length,
 *     variable type, value), laid out tree-like: an operator symbol ("semantic rule") followed
 *     by its operand symbols (numbers, registers, pseudo-registers, temporaries), then its
 *     destination; a string (printf's format) is stored inline, over as many symbols as it
 *     needs;
 *   - the run loop calls the executor once per operator — one non-inlined call that reads the
 *     operator, switches on it, and fetches each operand through a get-value routine that
 *     switches on the operand's type (registers through a switch on the register's id);
 *     jumps set the stream index; the stream ends where the symbols end;
 *   - before each run the core's stack buffer (256 64-bit entries, where temporaries live) is
 *     zeroed;
 *   - event_sc sets a per-core flag the dispatcher reads after the actions;
 *   - printf walks its format, formats each conversion into a final buffer and hands the text
 *     to the logging routine, which takes a spinlock (a locked exchange), copies the message
 *     into a ring of message slots and releases it.
 *
 * The streams built here are the shortest a compiler could emit for each benchmark script
 * (charitable to hdbg: HyperDbg's own compiler emits more for && and if).
 */
#ifndef HDEVENT_BENCH_HDBG_SCRIPT_H
#define HDEVENT_BENCH_HDBG_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdevent/regs.h>

struct hdbg_symbol {
    uint64_t type;
    uint64_t len;
    uint64_t variable_type;
    uint64_t value;
};

/* The benchmark's scripts, as hdevent's script text has them (script.c compiles the text for
 * hdevent and builds the stream for hdbg). */
enum hdbg_script_kind {
    HDBG_SCRIPT_FILTER, /* if (@rax == 1234 && $pid == 4) { event_sc(1); } */
    HDBG_SCRIPT_PRINTF, /* printf("rax=%llx rbx=%llx\n", @rax, @rbx); */
    HDBG_SCRIPT_EMPTY,  /* nothing: an action that runs no statement */
};

/* Symbols of @kind's stream written to @out (at most @cap); 0 when @cap is too small. */
uint32_t hdbg_script_build(enum hdbg_script_kind kind, struct hdbg_symbol *out, uint32_t cap);

/* What one run sees besides the guest's registers: the action's tag and the event's context. */
struct hdbg_script_ctx {
    uint64_t tag;
    void *context;
};

/* Run @count symbols of @code for one script action on core 0 (the benchmark's core).
 * Returns false when the stream is malformed (the run stops, as HyperDbg's does). */
bool hdbg_script_run(const struct hdbg_symbol *code, uint32_t count, struct hd_guest_regs *regs,
                     const struct hdbg_script_ctx *ctx);

/* The per-core short-circuit flag event_sc sets; the dispatcher reads and clears it. */
extern bool hdbg_script_short_circuit;

/* The newest logged message, NUL-terminated into @out (for the benchmark's checks); its tag. */
uint64_t hdbg_log_last(char *out, size_t cap);

#endif /* HDEVENT_BENCH_HDBG_SCRIPT_H */
