/* SPDX-License-Identifier: MIT */
/*
 * hdbg-sim: a clean-room re-creation of HyperDbg's VMCALL event dispatch, written from the
 * description in issue 6 (no HyperDbg code): the baseline hdevent is measured against.
 *
 *   - one doubly linked list per event type, with a sentinel; new events go in at the head,
 *     so the newest event is dispatched first;
 *   - each event is one allocation: a 184-byte node with its condition bytes right behind it;
 *   - each action is one allocation: a 96-byte node with its custom-code bytes behind it, on a
 *     second list hanging off the event;
 *   - entry: one global "armed" flag test, then an indirect call into the trigger function;
 *   - the trigger reads two globals, asks for the core number through a non-inlined call, and
 *     for each node checks enabled, core, then pid (one non-inlined "current pid" call per
 *     pid-filtered node), then the stage, then calls the condition through a stub that pushes
 *     and pops 8 registers, then walks the actions calling custom code through the same stub.
 *
 * Node memory comes from one arena that is written while building and then made read+execute
 * (W^X): the condition and custom code run where HyperDbg runs them, right behind the nodes.
 */
#ifndef HDEVENT_BENCH_HDBG_SIM_H
#define HDEVENT_BENCH_HDBG_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdevent/regs.h>

#include "world.h"

/* Event types index the list table; VMCALL is HyperDbg's wire value 21. */
#define HDBG_EVENT_TYPES 28u
#define HDBG_VMCALL 21u
#define HDBG_STAGE_PRE 1u
#define HDBG_STAGE_ALL 3u

typedef void (*hdbg_trigger_fn)(uint32_t type, uint32_t stage, struct hd_guest_regs *regs,
                                 void *context, bool *short_circuit);

/* The two entry globals a VMX exit handler reads (defined in hdbg_sim.c). */
extern volatile uint8_t hdbg_vmcall_armed;
extern hdbg_trigger_fn volatile hdbg_trigger;

struct hdbg_lists;

/* One built set of events: the arena holding every node, and how it was laid out. */
struct hdbg_set {
    uint8_t *arena;
    size_t arena_size;  /* mapped bytes */
    size_t arena_used;  /* bytes handed out (flushed for the dram cache state) */
    struct hdbg_lists *lists; /* the per-type list table, at the start of the arena */
};

/*
 * Build @w's events as HyperDbg would hold them and arm the entry. @shuffled: nodes are taken
 * from the arena in a random order (a fragmented pool), otherwise one after another.
 * Returns false (with a message on stderr) when memory cannot be mapped.
 */
bool hdbg_build(const struct world *w, bool shuffled, uint64_t seed, struct hdbg_set *out);

/* Make @s the set the trigger walks (the list table is global, as in HyperDbg). */
void hdbg_activate(const struct hdbg_set *s);

/* The VMCALL's default handling after the pre events (--entry exit): KVM's answer to an
 * unknown hypercall in rax, out of line as the hypervisor's handler is. */
void hdbg_handle_vmcall(struct hd_guest_regs *regs);

/* Unmap @s; the entry is disarmed if @s was active. */
void hdbg_destroy(struct hdbg_set *s);

/* clflush every line the trigger may read: the arena and the globals. */
void hdbg_flush(const struct hdbg_set *s);

/* The VMX exit handler's VMCALL path, pre stage: flag test, indirect call. */
static inline bool hdbg_vmcall_exit(struct hd_guest_regs *regs)
{
    bool sc = false;
    if (hdbg_vmcall_armed)
        hdbg_trigger(HDBG_VMCALL, HDBG_STAGE_PRE, regs, NULL, &sc);
    return sc;
}

/* hdbg_vmcall_exit() and the VMCALL's default handling unless short-circuited (--entry exit,
 * world.h), as HyperDbg handles the VMCALL after its pre events. */
static inline bool hdbg_vmcall_exit_handled(struct hd_guest_regs *regs)
{
    bool sc = hdbg_vmcall_exit(regs);
    if (!sc)
        hdbg_handle_vmcall(regs);
    return sc;
}

#endif /* HDEVENT_BENCH_HDBG_SIM_H */
