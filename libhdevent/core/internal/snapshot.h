/*
 * Snapshots: the immutable indexes of the enabled events that dispatch reads (dispatch.c),
 * built and retired by writers (snapshot.c). Everything dispatch touches of an event lives
 * here, copied at build time, so the hot path never follows a pointer to an event object.
 */
#ifndef HDEVENT_INTERNAL_SNAPSHOT_H
#define HDEVENT_INTERNAL_SNAPSHOT_H

#include "event.h"

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

/* Build a snapshot of the registry's events that @mode selects (writer lock held). */
enum hd_status hd_snapshot_build(struct hd_engine *e, enum hd_build_mode mode,
                                 struct hd_snapshot **out);
/* Make @next current with one release store and retire the old one; @free_events (linked by
 * free_next) are freed together with the retired snapshot, once no core can read it. */
void hd_snapshot_publish(struct hd_engine *e, struct hd_snapshot *next,
                         struct hd_event *free_events);
void hd_snapshot_free(struct hd_engine *e, struct hd_snapshot *snap);
/* Free retired snapshots no core can still read (all of them with @force: no core
 * dispatches any more); @return how many are left waiting. */
uint32_t hd_snapshot_reclaim(struct hd_engine *e, bool force);

#endif /* HDEVENT_INTERNAL_SNAPSHOT_H */
