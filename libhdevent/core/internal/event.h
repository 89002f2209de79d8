/* SPDX-License-Identifier: MIT */
/*
 * Event and action objects: what registration makes of a descriptor, and how it is freed.
 *
 * The objects never change once registered, apart from the writer state at the end of struct
 * hd_event (its enabled flag, its action list): every change publishes a new snapshot, and
 * dispatch reads only the snapshots' copies of the hot fields (snapshot.h). An object lives
 * until the last snapshot that could point at it is reclaimed (snapshot.c).
 */
#ifndef HDEVENT_INTERNAL_EVENT_H
#define HDEVENT_INTERNAL_EVENT_H

#include <hdevent/event.h>

#include "alloc.h"

struct hd_script;

/*
 * One event's counters on one core. An evaluation bumps exactly one of the two, after its
 * condition returned (a condition returns before either is known): hits are their sum
 * (hd_event_counters()), so a reader never sees more false conditions than hits, and a false
 * condition costs one store. Core c's are HD_COUNTER_STRIDE * c bytes after core 0's: each
 * core has a run of lines of its own in a block, which HD_COUNTER_SLOTS events share, one
 * after another (counters.c), so no two dispatching cores write one line.
 */
struct hd_counters {
    uint64_t held;            /* the condition held, or there was none */
    uint64_t condition_false; /* it returned 0 (S6) */
};

#define HD_COUNTER_LINES 4u /* lines per core in a block */
#define HD_COUNTER_STRIDE (HD_COUNTER_LINES * HD_CACHELINE)
#define HD_COUNTER_SLOTS (HD_COUNTER_STRIDE / sizeof(struct hd_counters)) /* events a block */
HD__STATIC_ASSERT((HD_COUNTER_STRIDE & (HD_COUNTER_STRIDE - 1u)) == 0,
                 "a power of two: hd__event_shared() masks with it, counters.c aligns to it");

static inline struct hd_counters *hd__counters_at(struct hd_counters *core0, uint32_t core)
{
    return (struct hd_counters *)(void *)((uint8_t *)core0 + (size_t)core * HD_COUNTER_STRIDE);
}

/*
 * One line per event with `max_hits` or `deny` (hd_snap_entry.extra), in its block of
 * counters after every core's run (counters.c, hd__event_shared()): what dispatch reads of
 * them, and the one counter every core writes — the runs of a max_hits event, taken with a
 * locked add (the only one on the dispatch path, and only for these events).
 */
struct hd_event_shared {
    uint64_t runs;              /* locked adds: runs taken, counting those refused past max */
    uint64_t max_hits;          /* 0: no limit */
    uint64_t deny_rax;          /* HD_DENY_RAX: the value */
    uint32_t deny;              /* enum hd_deny */
    uint8_t pad_[HD_CACHELINE - 3 * sizeof(uint64_t) - sizeof(uint32_t)];
};
HD__STATIC_ASSERT(sizeof(struct hd_event_shared) == HD_CACHELINE, "one line");

/* A native condition and its user pointer (the snapshot's records point here: cold path). */
struct hd_native_condition {
    hd_condition_fn fn;
    void *user;
};

/* Executable copy of raw code (RET appended when missing). */
struct hd_code {
    void *exec;
    uint32_t size;
    bool leaf;       /* hd__code_is_leaf(): dispatch may call it without the trampoline */
};

struct hd_action {
    enum hd_action_type type;
    bool immediate;
    uint32_t buffer_size;       /* per core */
    uint32_t buffer_stride;     /* buffer_size rounded up to whole cache lines */
    uint8_t *buffers;           /* core c's buffer: buffers + c * buffer_stride; NULL if none */
    struct hd_code code;        /* HD_ACTION_CODE */
    hd_action_fn fn;            /* HD_ACTION_NATIVE */
    void *user;
    struct hd_script *script;   /* HD_ACTION_SCRIPT */
};

struct hd_event {
    uint64_t tag;
    uint32_t pid;
    uint32_t core;
    enum hd_stage stage;
    bool short_circuit;
    enum hd_condition_kind condition;
    uint32_t script_steps;            /* hd_event_desc.script_steps, for every script action */
    struct hd_code condition_code; /* HD_CONDITION_RAW */
    struct hd_native_condition native; /* HD_CONDITION_NATIVE: what snapshots point at */
    struct hd_counters *counters;     /* core 0's (hd__counters_at()): a slot of
                                       * counter_block; with extra set its block also holds
                                       * the event's hd_event_shared line */
    struct hd_counter_block *counter_block; /* counters.c */
    char *command;                    /* NUL-terminated copy, never NULL; the output tags
                                       * follow it (hd__event_outputs) */
    uint32_t command_length;          /* its length, NUL excluded */
    bool nr_filter;                   /* `nr`: indexed by number (snapshot_nr.c) */
    uint8_t extra;                    /* HD_EVENT_EXTRA_*: the shared line follows counters */
    uint64_t nr_first, nr_last;

    /* Writer state: never read by dispatch. */
    bool enabled;
    uint8_t output_count;             /* hd_event_desc.outputs: in the padding, no cost */
    struct hd_ptrs actions;           /* struct hd_action *, in run order (S7) */
    struct hd_event *free_next;       /* on a retired snapshot's free list */
};

/* hd_event.extra: what the shared line after the counters holds for dispatch. */
#define HD_EVENT_EXTRA_LIMIT 1u /* max_hits */
#define HD_EVENT_EXTRA_DENY 2u  /* deny ud / deny rax */

/*
 * The shared line of an event with extra set (hd_event_shared): its block's slots start on a
 * HD_COUNTER_STRIDE boundary and are followed, after every core's run, by one line per slot
 * (counters.c), so the slot's offset in core 0's run names its line.
 */
static inline struct hd_event_shared *hd__event_shared(struct hd_counters *counters,
                                                      uint32_t core_count)
{
    uintptr_t at = (uintptr_t)counters, in_run = at & (HD_COUNTER_STRIDE - 1u);
    return (struct hd_event_shared *)(at - in_run + (uintptr_t)core_count * HD_COUNTER_STRIDE +
                                      in_run / sizeof(struct hd_counters) * HD_CACHELINE);
}

/* counters.c: a slot for @ev's counters (and with ev->extra its shared line), zeroed
 * (HD_ERR_NO_MEMORY); give it back. Writer. */
enum hd_status hd__counters_take(struct hd_engine *e, struct hd_event *ev);
void hd__counters_give(struct hd_engine *e, struct hd_event *ev);

/* The output tags of @p ev: in the command's allocation, after its NUL, 8-byte aligned, so an
 * event without `output` costs no byte more. */
static inline uint64_t *hd__event_outputs(const struct hd_event *ev)
{
    return (uint64_t *)(void *)(ev->command + ((ev->command_length + 1u + 7u) & ~(size_t)7u));
}

static inline const struct hd_action *hd__event_action(const struct hd_event *ev, uint32_t i)
{
    return (const struct hd_action *)ev->actions.at[i];
}

/* What objects hold against the engine's budget (hd_engine_config), and its limits. */
struct hd_budget {
    uint64_t events;
    uint64_t actions;
    uint64_t code_bytes;
    uint64_t buffer_bytes;
};

/* The budget a descriptor would take (its actions included). */
void hd__event_cost(const struct hd_engine *e, const struct hd_event_desc *d,
                    struct hd_budget *cost);
void hd__action_cost(const struct hd_engine *e, const struct hd_action_desc *d,
                     struct hd_budget *cost);

/*
 * Would @cost fit the budget? When not, what retired objects are already free of every core
 * is freed first and the question asked again. @return HD_OK or HD_ERR_BUDGET_EXCEEDED.
 */
enum hd_status hd__budget_admit(struct hd_engine *e, const struct hd_budget *cost);

/*
 * Checks of a descriptor against the engine (core count, code sizes, executable memory),
 * made before anything is allocated. @return HD_OK or the status hd_event_register()
 * documents.
 */
enum hd_status hd__event_check(const struct hd_engine *e, const struct hd_event_desc *d);
enum hd_status hd__action_check(const struct hd_engine *e, const struct hd_action_desc *d);

/*
 * Make the objects of a checked descriptor: code copied into executable memory, per-core
 * counters and buffers, the command text. On failure nothing is left allocated.
 */
enum hd_status hd__event_create(struct hd_engine *e, const struct hd_event_desc *d,
                                uint64_t tag, struct hd_event **out);
enum hd_status hd__action_create(struct hd_engine *e, const struct hd_action_desc *d,
                                 uint32_t script_steps, struct hd_action **out);

/* Replace @ev's command text with @len bytes of @text (checked by the caller), its output
 * tags kept. Writer lock held. @return HD_OK or HD_ERR_NO_MEMORY (the old text stays). */
enum hd_status hd__event_set_command(struct hd_engine *e, struct hd_event *ev, const char *text,
                                     size_t len);

/* Bytes an event holds beyond its object: code and per-core buffers (retire accounting). */
size_t hd__event_bytes(const struct hd_engine *e, const struct hd_event *ev);

/* Does @address lie in @ev's raw condition or one of its code actions? Fills @out if so. */
bool hd__event_code_owner(const struct hd_event *ev, uintptr_t address,
                          struct hd_code_owner *out);

/* Free an object and everything it owns (its actions, for an event). */
void hd__event_free(struct hd_engine *e, struct hd_event *ev);
void hd__action_free(struct hd_engine *e, struct hd_action *a);

#endif /* HDEVENT_INTERNAL_EVENT_H */
