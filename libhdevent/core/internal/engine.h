/*
 * The engine's private structures, shared by the core's files and nobody else.
 *
 * Three kinds of memory, with three owners:
 *   - writer state (struct hd_registry): the events in tag order, their enabled flags and
 *     action lists; touched only by writers under the backend's lock;
 *   - snapshots (struct hd_snapshot): immutable indexes of the enabled events, built by a
 *     writer and published with one release store; the only thing dispatch reads;
 *   - per-core state (struct hd_core): written by the dispatching core alone.
 * Event and action objects are shared by the registry and the snapshots that point at them;
 * a cleared event is freed together with the last snapshot that could still point at it.
 */
#ifndef HDEVENT_INTERNAL_ENGINE_H
#define HDEVENT_INTERNAL_ENGINE_H

#include <hdevent/hdevent.h>

#include "compiler.h"

/* ---- objects ------------------------------------------------------------------------- */

/* Per-core counters of one event, one cache line each so cores never share a written line. */
struct hd_counter_line {
    uint64_t hits;
    uint64_t condition_false;
    uint8_t pad_[HD_CACHELINE - 2 * sizeof(uint64_t)];
};

/* Executable copy of raw code (RET appended when missing). */
struct hd_code {
    void *exec;
    uint32_t size;
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
};

struct hd_event {
    uint64_t tag;
    uint32_t pid;
    uint32_t core;
    enum hd_stage stage;
    bool short_circuit;
    enum hd_condition_kind condition;
    struct hd_code condition_code; /* HD_CONDITION_RAW */
    hd_condition_fn condition_fn;  /* HD_CONDITION_NATIVE */
    void *condition_user;
    struct hd_counter_line *counters; /* [core count], cache-line aligned inside counters_raw */
    void *counters_raw;
    char *command;                    /* NUL-terminated copy, never NULL */

    /* Writer state: never read by dispatch. */
    bool enabled;
    struct hd_action **actions;       /* in order */
    uint32_t action_count;
    uint32_t action_capacity;
    struct hd_event *free_next;       /* on a retired snapshot's free list */
};

/* ---- snapshots ----------------------------------------------------------------------- */

/*
 * A snapshot is flat: a bucket leads straight to its events' hot fields, copied from the
 * event and action objects when the snapshot is built (those objects never change after
 * registration; every change publishes a new snapshot). A cold exit with one matching event
 * thus misses on the engine's line, the bucket, one record, the counter line and the code —
 * not also on a snapshot header, an index, the entry, the event, its action list and action.
 */

/* One action as dispatch runs it. */
struct hd_snap_action {
    uint8_t type;               /* enum hd_action_type */
    bool immediate;
    uint32_t buffer_size;       /* per core; 0 when there is no buffer */
    uint8_t *buffers;           /* core c's buffer: buffers + c * stride; NULL if none */
    union {
        void *code;             /* HD_ACTION_CODE: executable copy */
        hd_action_fn fn;        /* HD_ACTION_NATIVE */
    } run;
    void *user;
};

/*
 * One event in one list, immediately followed by its action_count hd_snap_action records:
 * an event and its actions are read from adjacent bytes. What the raw-code path reads (order
 * .. counters, and the first action's type, buffers and code) lies in the first 64 bytes,
 * one line, since every list starts on a line.
 */
struct hd_snap_entry {
    uint32_t order;             /* registration order: the merge key of the lists (S8) */
    uint8_t condition;          /* enum hd_condition_kind */
    bool short_circuit;
    uint16_t action_count;      /* <= HD_EVENT_MAX_ACTIONS */
    union {
        void *code;             /* HD_CONDITION_RAW */
        hd_condition_fn fn;     /* HD_CONDITION_NATIVE */
    } cond;
    struct hd_counter_line *counters;
    uint64_t tag;
    void *condition_user;
};
HD_STATIC_ASSERT(sizeof(struct hd_snap_entry) == 40, "entry + first action: 72 bytes");
HD_STATIC_ASSERT(sizeof(struct hd_snap_action) == 32, "action record size");

static inline const struct hd_snap_entry *hd_snap_entry_next(const struct hd_snap_entry *en)
{
    return (const struct hd_snap_entry *)((const uint8_t *)(en + 1) +
                                          (size_t)en->action_count *
                                              sizeof(struct hd_snap_action));
}

/*
 * Index bucket for one (core filter, pid filter) pair: the records of the events with exactly
 * that pair, in registration order, split by pass; each list is a byte offset from the
 * bucket array + a count. A key with no event in either list does not exist, so
 * pre_count + post_count == 0 marks an empty bucket.
 */
struct hd_snap_bucket {
    uint64_t key; /* core filter << 32 | pid filter */
    uint32_t pre_off, pre_count;
    uint32_t post_off, post_count;
};

/*
 * What dispatch loads to find a snapshot: one word, the address of its bucket array (aligned
 * to HD_SNAP_ALIGN) with the key shapes in bits 0-3 and log2(bucket count) in bits 4-8. One
 * load gives everything the probe needs, so a cold exit goes engine line -> bucket -> record
 * without a header line in between, and a reader can never pair one snapshot's buckets with
 * another's mask. The lists follow the buckets in the same allocation.
 */
#define HD_SNAP_ALIGN 512u

struct hd_snap_view {
    const struct hd_snap_bucket *buckets;
    uint32_t mask;
    uint32_t shapes; /* bit (core is all) << 1 | (pid is all): which key shapes exist */
};

static inline uintptr_t hd_snap_word(const struct hd_snap_bucket *buckets, uint32_t log2_buckets,
                                     uint32_t shapes)
{
    return (uintptr_t)buckets | (uintptr_t)log2_buckets << 4 | shapes;
}

static inline struct hd_snap_view hd_snap_view(uintptr_t word)
{
    struct hd_snap_view v = {
        .buckets = (const struct hd_snap_bucket *)(word & ~(uintptr_t)(HD_SNAP_ALIGN - 1)),
        .mask = (1u << ((word >> 4) & 31u)) - 1u,
        .shapes = (uint32_t)word & 15u,
    };
    return v;
}

struct hd_snapshot {
    uintptr_t word;                   /* what e->current_word holds while this is current */
    uint32_t entry_count;

    /* Writer state: retirement. */
    struct hd_snapshot *retired_next;
    uint64_t *retire_seq;             /* [core count]: each core's dispatch sequence at retire */
    bool seq_taken;                   /* retire_seq is filled (IPI mode: by the next broadcast) */
    struct hd_event *free_events;     /* cleared events to free with this snapshot */
};

/* ---- per-core state -------------------------------------------------------------------- */

/* Written by the dispatching core only (plus the reader's tail on its own line). */
struct hd_core {
    /*
     * Dispatch sequence: odd while the core holds a snapshot — with counter grace periods
     * during every armed exit (pre pass until the end of the post pass), with IPI grace
     * periods only while a two-call exit waits for its post pass — even otherwise. Writers
     * wait for it to move before freeing what it may use (snapshot.c).
     */
    uint64_t seq;
    uintptr_t exit_word;                    /* the pre pass's set, for the post pass */
    bool post_pending;
    bool exit_protected;                    /* the pre pass's own-hypercall verdict */
    uint32_t ring_head;                     /* next slot the producer writes */
    uint64_t ring_dropped;                  /* S20 */
    uint8_t *ring;                          /* slots of this core's message queue */
    /* Next slot the reader takes: written by the reader, so on a line of its own. */
    _Alignas(HD_CACHELINE) uint32_t ring_tail;
};
HD_STATIC_ASSERT(sizeof(struct hd_core) == 2 * HD_CACHELINE, "hd_core is two cache lines");

/* Message slot header; the payload follows it. */
struct hd_msg_slot {
    uint64_t tag;
    uint32_t size;       /* full size of the message */
    uint32_t stored;     /* bytes stored in the slot */
    uint8_t immediate;
    uint8_t pad_[7];
};

/* ---- engine --------------------------------------------------------------------------- */

struct hd_registry {
    struct hd_event **events; /* tag order */
    uint32_t count;
    uint32_t capacity;
    uint64_t next_tag;
};

struct hd_engine {
    /*
     * Read on every dispatch, and nothing else: one cache line (the engine is placed at a
     * line boundary), so a cold exit misses once here. The ops members are copies of the
     * backend's, taken at creation.
     */
    uint32_t armed;                   /* a snapshot with at least one event is published */
    uint32_t core_count;
    uintptr_t current_word;           /* hd_snap_word() of the current snapshot */
    struct hd_core *cores;
    void *user;                       /* ops.user */
    bool (*is_own_hypercall)(void *user, const struct hd_vcpu *vcpu);
    void (*on_break)(void *user, const struct hd_break_info *info);
    void (*on_action)(void *user, const struct hd_action_info *info);
    bool ipi_grace;                   /* ops.run_on_every_core is set: see dispatch.c */

    /* Read when a hook delivers a message, or a native hook reads the engine. */
    _Alignas(HD_CACHELINE) uint32_t message_slots; /* power of two */
    uint32_t slot_bytes;              /* header + message_max, 8-aligned */
    uint32_t message_max;
    struct hd_backend_ops ops;        /* copy; members past the backend's size are NULL */

    /* Writer state. */
    struct hd_snapshot *current;      /* the snapshot current_word designates */
    void *raw;                        /* the allocation the engine is placed in */
    void *cores_raw;
    void *rings;
    struct hd_registry registry;
    struct hd_snapshot *retired_head; /* oldest first */
    struct hd_snapshot *retired_tail;
    uint32_t read_cursor;             /* next core hd_message_read looks at */
};

HD_STATIC_ASSERT(offsetof(struct hd_engine, ipi_grace) < HD_CACHELINE,
                 "the engine's dispatch-read fields fit one cache line");

/* ---- helpers shared between the core's files ----------------------------------------- */

void *hd_alloc(struct hd_engine *e, size_t size);
void *hd_zalloc(struct hd_engine *e, size_t size);
void hd_free(struct hd_engine *e, void *p);
void hd_log_refusal(struct hd_engine *e, const char *what, uint64_t tag, enum hd_status st);
void hd_log_parts(struct hd_engine *e, enum hd_log_level level, const char *const *parts);
/* "0x" and @value in upper-case hex, at least @min_digits digits; returns @out. */
const char *hd_format_hex(char out[19], uint64_t value, unsigned min_digits);
void hd_writer_lock(struct hd_engine *e);
void hd_writer_unlock(struct hd_engine *e);

/* snapshot.c */

/* Which events a new snapshot holds. */
enum hd_build_mode {
    HD_BUILD_ENABLED,  /* the events whose enabled flag is set */
    HD_BUILD_ALL,      /* every registered event (enable all) */
    HD_BUILD_NONE,     /* none (disable all, clear all) */
};

/* Index bucket of a key; shared by the builder and the dispatcher so they agree. */
static inline uint32_t hd_snap_hash(uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (uint32_t)(h >> 32);
}

/*
 * Linear probe: the bucket holding @key, or the empty bucket where it would go. The builder
 * and the dispatcher must walk the same sequence, so this is the only probe.
 */
static inline uint32_t hd_snap_probe(const struct hd_snap_bucket *buckets, uint32_t mask,
                                     uint64_t key)
{
    uint32_t i = hd_snap_hash(key) & mask;
    while (buckets[i].pre_count + buckets[i].post_count != 0 && buckets[i].key != key)
        i = (i + 1) & mask;
    return i;
}

static inline uint64_t hd_snap_key(uint32_t core, uint32_t pid)
{
    return (uint64_t)core << 32 | pid;
}

static inline uint32_t hd_snap_shape(uint32_t core, uint32_t pid)
{
    return 1u << ((core == HD_ALL) << 1 | (pid == HD_ALL));
}

enum hd_status hd_snapshot_build(struct hd_engine *e, enum hd_build_mode mode,
                                 struct hd_snapshot **out);
void hd_snapshot_publish(struct hd_engine *e, struct hd_snapshot *next,
                         struct hd_event *free_events);
void hd_snapshot_free(struct hd_engine *e, struct hd_snapshot *snap);
uint32_t hd_snapshot_reclaim(struct hd_engine *e, bool force);

/* registry.c */
void hd_event_free(struct hd_engine *e, struct hd_event *ev);

/* message.c */
void hd_message_push(struct hd_engine *e, struct hd_core *core, uint64_t tag, bool immediate,
                     const uint8_t *data, uint32_t size);

#endif /* HDEVENT_INTERNAL_ENGINE_H */
