/* SPDX-License-Identifier: MIT */
/*
 * Snapshots: the immutable index of the enabled events that dispatch reads (dispatch.c),
 * changed by writers (snapshot_*.c). Everything dispatch touches of an event lives here,
 * copied at build time, so the hot path never follows a pointer to an event object.
 *
 * A snapshot is a small persistent tree, reached from one word (e->current_word):
 *
 *   word ──► shard: hash buckets, one per (core filter, pid filter) key
 *        or► root: 2^r shard words, when there are many keys (the hash's top bits pick one)
 *   bucket ──► list of the key's pre-pass events, list of its post-pass events
 *   list: a header, then the event records in tag order (= registration order, S8) — or,
 *         when long, a table of chunks of records
 *
 * Nothing reachable from a published word is ever written again. A writer copies the path it
 * changes — one or two lists, the shard holding their bucket, the root — shares everything
 * else with the current snapshot, and publishes the new word with one release store, so a
 * writer's cost does not grow with events on other keys, and an exit that loaded a word sees
 * exactly that snapshot through its pre and post pass (S16). The replaced nodes are retired
 * and freed after a grace period (snapshot_retire.c).
 *
 * For the usual few events the tree is as flat as a single array: the word leads straight to
 * the one shard, the bucket straight to a list whose first cache line holds the header, the
 * first event's hot fields and its first action's: a cold exit with one matching event reads
 * the engine's line, the bucket, that line, the counters and the code. Flatter still are the
 * direct lists below: the one key's list copied behind the word, and, when every event is
 * bound to a core with any pid, each core's list copied for that core (hd_core.word).
 */
#ifndef HDEVENT_INTERNAL_SNAPSHOT_H
#define HDEVENT_INTERNAL_SNAPSHOT_H

#include "event.h"

/* ---- records ----------------------------------------------------------------------- */

/* How dispatch runs a condition (hd_snap_entry.condition). */
enum hd_snap_cond {
    HD_SNAP_COND_NONE,     /* no condition: the actions run */
    HD_SNAP_COND_LEAF,     /* raw code that needs no trampoline (code_leaf.c): called directly */
    HD_SNAP_COND_RAW,      /* raw code through the trampoline (arch.h) */
    HD_SNAP_COND_NATIVE,   /* a C function */
};

/*
 * How dispatch runs an action (hd_snap_action.type); raw code first, so one compare finds
 * it, then the kinds the raw-code walk also runs itself (up to HD_SNAP_ACTION_FILTER).
 */
enum hd_snap_action_kind {
    HD_SNAP_ACTION_LEAF,   /* raw code that needs no trampoline: called directly */
    HD_SNAP_ACTION_CODE,   /* raw code through the trampoline */
    HD_SNAP_ACTION_FILTER, /* a script that is a fast-path filter and nothing else (fast_only) */
    HD_SNAP_ACTION_SCRIPT,
    HD_SNAP_ACTION_NATIVE,
    HD_SNAP_ACTION_BREAK,
};

/* One action as dispatch runs it; the fields the raw-code path reads come first. */
struct hd_snap_action {
    union {
        void *code;             /* HD_SNAP_ACTION_LEAF, _CODE: executable copy */
        hd_action_fn fn;        /* HD_SNAP_ACTION_NATIVE */
        const struct hd_script *script; /* HD_SNAP_ACTION_SCRIPT: the loaded program */
    } run;
    uint8_t type;               /* enum hd_snap_action_kind */
    bool immediate;
    uint16_t reserved_;
    uint32_t buffer_size;       /* per core; 0 when there is no buffer */
    uint8_t *buffers;           /* core c's buffer: buffers + c * (size rounded up to lines) */
    void *user;
};

/*
 * One event in one list, immediately followed by its action_count hd_snap_action records:
 * an event and its actions are read from adjacent bytes.
 */
/* hd_snap_entry.one: raw, no condition or a leaf one, and one action that is ... */
#define HD_SNAP_ONE_CODE 1u   /* ... a leaf without a buffer: `!vmcall … code {…}` */
#define HD_SNAP_ONE_FILTER 2u /* ... a fast-path filter script: `!vmcall … script {…}` */

struct hd_snap_entry {
    uint8_t condition;          /* enum hd_snap_cond */
    bool short_circuit;
    uint16_t action_count;      /* <= HD_EVENT_MAX_ACTIONS */
    bool raw;                   /* raw code and filters only: no native hook, no script run
                                 * in the VM, no break action, no extra (internal/dispatch.h) */
    uint8_t extra;              /* HD_EVENT_EXTRA_*: max_hits, deny (the general path) */
    bool leaf;                  /* raw, no condition or a leaf one, and only leaf actions
                                 * without a buffer: nothing to run but direct calls */
    uint8_t one;                /* HD_SNAP_ONE_*: what one command makes, run alone in a
                                 * frame of its own (dispatch_leaf.c), or 0 */
    union {
        void *code;                               /* HD_SNAP_COND_LEAF, _RAW */
        const struct hd_native_condition *native; /* HD_SNAP_COND_NATIVE: in the event */
    } cond;
    struct hd_counters *counters;
    uint64_t tag;               /* ascending along a list: the merge key of lists (S8) */
};

/* A list: this header, then either its records (chunks == 1) or chunk references. */
struct hd_snap_list {
    uint32_t count;             /* records in the list, > 0 */
    uint32_t chunks;            /* 1: records follow; else hd_snap_chunk refs follow */
};

/* A run of a long list's records (immutable, shared by the list versions that hold it). */
struct hd_snap_chunk {
    const struct hd_snap_entry *first;
    uint32_t count;             /* records, > 0 */
    uint32_t bytes;
};

HD__STATIC_ASSERT(sizeof(struct hd_snap_entry) == 32, "entry record size");
HD__STATIC_ASSERT(sizeof(struct hd_snap_action) == 32, "action record size");
HD__STATIC_ASSERT(sizeof(struct hd_snap_list) + sizeof(struct hd_snap_entry) +
                         offsetof(struct hd_snap_action, user) <=
                     HD_CACHELINE,
                 "a list's header, first event and first action's hot fields share one line");
HD__STATIC_ASSERT(offsetof(struct hd_snap_action, buffers) == 16,
                 "an action without a buffer is read from its first 16 bytes");
HD__STATIC_ASSERT(sizeof(struct hd_snap_chunk) == 16, "chunk reference size");

static inline const struct hd_snap_entry *hd_snap_entry_next(const struct hd_snap_entry *en)
{
    return (const struct hd_snap_entry *)((const uint8_t *)(en + 1) +
                                          (size_t)en->action_count *
                                              sizeof(struct hd_snap_action));
}

static inline uint32_t hd_snap_record_bytes(uint32_t action_count)
{
    return (uint32_t)(sizeof(struct hd_snap_entry) +
                      (size_t)action_count * sizeof(struct hd_snap_action));
}

/* The records of a one-chunk list. */
static inline const struct hd_snap_entry *hd_snap_list_records(const struct hd_snap_list *l)
{
    return (const struct hd_snap_entry *)(l + 1);
}

/* The chunk references of a longer list. */
static inline const struct hd_snap_chunk *hd_snap_list_chunks(const struct hd_snap_list *l)
{
    return (const struct hd_snap_chunk *)(l + 1);
}

/* ---- shards and the word ------------------------------------------------------------ */

/* A key's lists; a bucket with neither is empty (shards are rebuilt, never holed). */
struct hd_snap_bucket {
    uint64_t key;                   /* core filter << 32 | pid filter */
    const struct hd_snap_list *pre; /* NULL: no event of this key runs in the pre pass */
    const struct hd_snap_list *post;
};

/*
 * A word designates a shard or a root: the node's address (aligned to HD_SNAP_ALIGN) with
 * the key shapes in bits 0-3 (engine word only), log2 of the node's entries in bits 4-8 and
 * HD_SNAP_ROOT in bit 9. One load gives everything the probe needs.
 *
 * The word dispatch reads (e->current_word) may instead designate a direct list: when the
 * snapshot holds one key, whose events all run in the pre pass (the usual few events: all
 * unfiltered, or all on one pid or one core), the writer publishes a copy of that key's list
 * with the key in front (struct hd_snap_direct, aligned to HD_SNAP_ALIGN) and bits 4-9 clear.
 * Dispatch then compares one key and walks the records: no hash, no bucket, one dependent
 * load less from a cold cache. When every event is bound to a core and takes any pid, each
 * core has at most one key, and each core's word (hd_core.word) designates a direct list of
 * its own in the same form, which the exit reads once the engine's word says the set is of
 * that shape (snapshot.c: core_word()).
 */
#define HD_SNAP_ALIGN 1024u
#define HD_SNAP_ROOT 0x200u
#define HD_SNAP_FORM_BITS 0x3F0u  /* log2 and root: all clear for a direct list */

/* A direct list: its key, its header, its records, all from the node's first cache line. */
struct hd_snap_direct {
    uint64_t key;
    struct hd_snap_list list;       /* one chunk; hd_snap_list_records() follow */
};

HD__STATIC_ASSERT(sizeof(struct hd_snap_direct) + sizeof(struct hd_snap_entry) +
                         offsetof(struct hd_snap_action, buffers) <=
                     HD_CACHELINE,
                 "a direct list's key, first event and first action's code share one line");

static inline bool hd_snap_is_direct(uintptr_t word)
{
    return (word & HD_SNAP_FORM_BITS) == 0 && (word & 15u) != 0;
}

static inline uintptr_t hd_snap_word(const void *node, uint32_t log2_entries, uint32_t shapes,
                                     bool root)
{
    return (uintptr_t)node | (uintptr_t)log2_entries << 4 | shapes | (root ? HD_SNAP_ROOT : 0);
}

static inline const void *hd_snap_node(uintptr_t word)
{
    return (const void *)(word & ~(uintptr_t)(HD_SNAP_ALIGN - 1));
}

static inline uint32_t hd_snap_log2(uintptr_t word)
{
    return (uint32_t)(word >> 4) & 31u;
}

static inline uint32_t hd_snap_shapes(uintptr_t word)
{
    return (uint32_t)word & 15u;
}

static inline uint64_t hd_snap_key(uint32_t core, uint32_t pid)
{
    return (uint64_t)core << 32 | pid;
}

/* Bit k set: some event's key has shape k = (core is all) << 1 | (pid is all). */
static inline uint32_t hd_snap_shape(uint32_t core, uint32_t pid)
{
    return 1u << ((core == HD_ALL) << 1 | (pid == HD_ALL));
}

/* The shapes whose key filters on the pid (pid is not all): shapes 0 and 2. */
#define HD_SNAP_SHAPES_PID 0x5u

/* The shapes of a set whose every event is bound to one core and takes any pid: shape 1. */
#define HD_SNAP_SHAPES_CORE 0x2u

/*
 * The key hashed with the engine's own odd key (e->hash_mult, fixed at creation from a value
 * the registering side cannot predict): a root takes the hash's top bits, a shard the low
 * ones. A fixed multiplier would let whoever registers events pick pids that all land in one
 * bucket, so that a probe for any pid there walks them all. One multiply-shift round is not
 * enough for linear probing: pids built to collide under one multiplier form a near
 * arithmetic progression, and about 1 random key in 40 still clustered them (probe runs of
 * 7 to 96 in test_snapshot_hash_flood); two rounds with a fold between them gave none in
 * 1,000 keys. The cost is one multiply on a lookup of two keys or more (a one-key snapshot's
 * direct list hashes nothing).
 */
static inline uint32_t hd_snap_hash(uint64_t mult, uint64_t key)
{
    uint64_t h = key * mult;
    h ^= h >> 32;
    return (uint32_t)((h * mult) >> 32);
}

/* The shard word of @key in a root word: the hash's top bits index the root. */
static inline uintptr_t hd_snap_shard_of(uintptr_t word, uint32_t hash)
{
    const uintptr_t *root = (const uintptr_t *)hd_snap_node(word);
    return root[hash >> (32u - hd_snap_log2(word))];
}

/*
 * Linear probe in a shard: the bucket holding @key, or the empty bucket where it would go.
 * The builder and the dispatcher must walk the same sequence, so this is the only probe.
 * @steps, when not NULL, counts the buckets looked at (the tests' flooding check; dispatch
 * passes NULL and the count compiles away).
 */
static inline const struct hd_snap_bucket *hd_snap_probe(uintptr_t shard, uint32_t hash,
                                                         uint64_t key, uint32_t *steps)
{
    const struct hd_snap_bucket *b = (const struct hd_snap_bucket *)hd_snap_node(shard);
    uint32_t mask = (1u << hd_snap_log2(shard)) - 1u, i = hash & mask;
    if (steps)
        ++*steps;
    while ((b[i].pre || b[i].post) && b[i].key != key) {
        i = (i + 1) & mask;
        if (steps)
            ++*steps;
    }
    return &b[i];
}

/* The bucket of @key in the snapshot @word, or NULL when no event has that key. */
static inline const struct hd_snap_bucket *hd_snap_find(uintptr_t word, uint64_t mult,
                                                        uint64_t key, uint32_t *steps)
{
    uint32_t hash = hd_snap_hash(mult, key);
    const struct hd_snap_bucket *b = hd_snap_probe(
        word & HD_SNAP_ROOT ? hd_snap_shard_of(word, hash) : word, hash, key, steps);
    return b->pre || b->post ? b : NULL;
}

/* ---- hypercall numbers (`nr`, snapshot_nr.c) ------------------------------------------ */

/*
 * Events with `nr` stay out of the key tree: they are indexed by the number first. The
 * numbers their ranges name are cut into disjoint segments (where ranges overlap, a segment
 * holds every event that covers it); each segment holds its events' buckets — one per
 * (core, pid) key, as a shard's, with the key's pre and post lists in tag order.
 * Segments of one number are found in O(1): by index into a dense table when the numbers lie
 * close together (the usual hypercall numbers: small integers), else by a hash of the
 * number; wider ones by a binary search of the sorted ranges (O(log R) in the R of them).
 *
 * A segment is reached through a slot word: 0 for none; the segment's address; or, for the
 * usual segment — one bucket, every core and pid, no post list — the address of its pre
 * list with bit 0 set (lists are cache-line aligned), so that the lookup goes straight to
 * the records.
 *
 * While there are `nr` events the word dispatch reads designates an hd_snap_nr node: its
 * address with HD_SNAP_ROOT set, log2 0 and no key shape bits — a form no tree word has (a
 * root has log2 >= 1). The ordinary lookup meets it only where it tests for an empty set
 * (no shape bits), so an engine without `nr` events pays nothing for it (dispatch.c).
 */
struct hd_snap_nr_seg {
    uint32_t count;                 /* buckets, > 0 */
    uint32_t reserved_;
    struct hd_snap_bucket buckets[]; /* distinct keys */
};

#define HD_SNAP_NR_PLAIN 1u         /* slot bit 0: the slot is a plain pre list */

/* A one-number segment in the hash (slot 0: an empty place). */
struct hd_snap_nr_point {
    uint64_t nr;
    uintptr_t slot;
};

/* A wider segment [first, last]; sorted by first, disjoint. */
struct hd_snap_nr_range {
    uint64_t first;
    uint64_t last;
    uintptr_t slot;
};

/* The index of the `nr` events (one node, its lists apart): rebuilt when they change. */
struct hd_snap_nr_table {
    uint32_t log2;                  /* points: 2^log2 places, at most half full (not dense) */
    uint32_t range_count;
    uint32_t events;                /* `nr` events it holds */
    uint32_t seg_count;             /* segments, back to back from segs */
    const uint8_t *segs;
    const struct hd_snap_nr_point *points;
    const struct hd_snap_nr_range *ranges;
    const uintptr_t *dense;         /* NULL, or slots of base .. base + span - 1 */
    uint64_t base;
    uint64_t span;
};

/*
 * What dispatch reads while there are `nr` events: the dispatch word of the other events
 * (a tree or a direct list, empty shard when none) and where the number's events are.
 * Made anew at every publication (one line), so the table is shared and only this small
 * node follows the other events' changes.
 */
struct hd_snap_nr {
    uintptr_t inner;                /* never this form itself */
    const uintptr_t *dense;         /* the table's */
    uint64_t base;
    uint64_t span;
    uint32_t reg;                   /* the number's register: index into hd_guest_regs */
    uint32_t log2;
    uint64_t mult;                  /* the engine's hash key */
    const struct hd_snap_nr_point *points;
    const struct hd_snap_nr_range *ranges;
    uint32_t range_count;
};

static inline bool hd_snap_is_nr(uintptr_t word)
{
    return (word & HD_SNAP_FORM_BITS) == HD_SNAP_ROOT;
}

/* The number this exit's `nr` events are looked up by. */
static inline uint64_t hd_snap_nr_number(const struct hd_snap_nr *w, const void *regs)
{
    return ((const uint64_t *)regs)[w->reg];
}

/* The slot of the segment holding @nr (0 when no event names it): the dense table or the
 * hash, then the ranges. */
static inline uintptr_t hd_snap_nr_find(const struct hd_snap_nr *w, uint64_t nr)
{
    uint32_t lo = 0, hi = w->range_count;

    if (w->dense) {
        if (nr - w->base < w->span && w->dense[nr - w->base])
            return w->dense[nr - w->base];
    } else {
        uint32_t mask = (1u << w->log2) - 1u, i = hd_snap_hash(w->mult, nr) & mask;
        const struct hd_snap_nr_point *p = w->points;
        while (p[i].slot) {
            if (p[i].nr == nr)
                return p[i].slot;
            i = (i + 1) & mask;
        }
    }
    while (lo < hi) { /* the first range ending at or above nr */
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->ranges[mid].last < nr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->range_count && w->ranges[lo].first <= nr ? w->ranges[lo].slot : 0;
}

/* Does a bucket's key (core filter << 32 | pid filter) take an exit of @core and @pid? */
static inline bool hd_snap_key_takes(uint64_t key, uint32_t core, uint32_t pid)
{
    uint32_t kc = (uint32_t)(key >> 32), kp = (uint32_t)key;
    return (kc == HD_ALL || kc == core) && (kp == HD_ALL || kp == pid);
}

/* ---- the writer side (snapshot_*.c) ---------------------------------------------------- */

/* Which events a rebuilt snapshot holds. */
enum hd_build_mode {
    HD_BUILD_ENABLED,  /* the events whose enabled flag is set */
    HD_BUILD_ALL,      /* every registered event (enable all) */
    HD_BUILD_NONE,     /* none (disable all, clear all) */
};

/* What an incremental change does to one event's place in the current snapshot. */
enum hd_index_change {
    HD_INDEX_ADD,      /* the event (enabled now) enters its lists */
    HD_INDEX_REMOVE,   /* the event (disabled or cleared) leaves them */
    HD_INDEX_REPLACE,  /* the event's record changed (an action was added) */
};

/* The first snapshot of an engine: empty. */
enum hd_status hd__snapshot_init(struct hd_engine *e);

/*
 * Publish a snapshot that differs from the current one in @ev's records only, copying just
 * the path to them. @free_event, if not NULL, is freed once no core can still read the old
 * snapshot. On failure nothing changed (and @free_event was not taken).
 */
enum hd_status hd__snapshot_change(struct hd_engine *e, const struct hd_event *ev,
                                   enum hd_index_change change, struct hd_event *free_event);

/* Publish a snapshot rebuilt from the registry as @mode selects; @free_events (linked by
 * free_next) are freed with the old one. On failure nothing changed. */
enum hd_status hd__snapshot_rebuild(struct hd_engine *e, enum hd_build_mode mode,
                                    struct hd_event *free_events);

/*
 * Free retired nodes and events no core can still read (all of them with @force: no core
 * dispatches any more). @return how many retire batches are left waiting.
 */
uint32_t hd__snapshot_reclaim(struct hd_engine *e, bool force);

/* Free the current snapshot and everything retired (engine teardown: no core dispatches). */
void hd__snapshot_destroy(struct hd_engine *e);

#endif /* HDEVENT_INTERNAL_SNAPSHOT_H */
