/* SPDX-License-Identifier: MIT */
/*
 * The writer side of snapshots (snapshot.c, snapshot_list.c, snapshot_retire.c): the nodes a
 * snapshot is made of, how they are allocated, shared, retired and freed. Dispatch never
 * includes this: it reads the nodes through snapshot.h and knows nothing of their headers.
 */
#ifndef HDEVENT_INTERNAL_SNAPSHOT_NODES_H
#define HDEVENT_INTERNAL_SNAPSHOT_NODES_H

#include "engine.h"
#include "snapshot.h"

/* ---- nodes ------------------------------------------------------------------------- */

enum hd_node_kind {
    HD_NODE_SHARD, /* hd_snap_bucket[2^log2] */
    HD_NODE_ROOT,  /* uintptr_t shard words [2^log2] */
    HD_NODE_LIST,  /* hd_snap_list + records or chunk refs */
    HD_NODE_CHUNK, /* records of a long list */
    HD_NODE_DIRECT, /* hd_snap_direct + records: the published copy of a one-key snapshot */
    HD_NODE_NR_TABLE, /* hd_snap_nr_table + points, ranges, segments; owns their lists */
    HD_NODE_NR_WRAP,  /* hd_snap_nr: the published word while there are `nr` events */
};

/*
 * Writer-only header in front of every node, in the same block; the node itself starts at an
 * aligned address right after it, so dispatch never reads a header's line for a node it reads.
 */
struct hd_node {
    void *raw;              /* what hd__alloc returned */
    struct hd_node *next;   /* on a retire batch, or a list of fresh nodes */
    uint32_t kind;          /* enum hd_node_kind */
    uint32_t refs;          /* chunks: list nodes that hold it; other nodes: unused */
    uint32_t entries;       /* shard: keys held; root: shards (2^log2) */
    uint32_t bytes;         /* the block's size, for retire accounting */
};

/* The node a header belongs to, and back. */
static inline void *hd__node_body(struct hd_node *n)
{
    return n + 1;
}

static inline struct hd_node *hd__node_of(const void *body)
{
    return (struct hd_node *)body - 1;
}

/*
 * A zeroed node of @size bytes whose body is aligned to @align (a power of two >= 16).
 * @return the body, or NULL when out of memory.
 */
void *hd__node_alloc(struct hd_engine *e, enum hd_node_kind kind, size_t size, size_t align);
/* hd__node_alloc() whose body is a copy of @size bytes at @src (not zeroed first). */
void *hd__node_copy(struct hd_engine *e, enum hd_node_kind kind, const void *src, size_t size,
                    size_t align);

/*
 * Free a node now: a list also drops its hold on its chunks (a chunk goes with the last list
 * holding it). The shared empty shard is never freed.
 */
void hd__node_free(struct hd_engine *e, const void *body);

/* The shard an empty snapshot (and an empty part of a root) uses: static, never freed. */
uintptr_t hd__empty_shard_word(void);
bool hd__is_empty_shard(uintptr_t shard_word);
bool hd__is_empty_shard_body(const void *body);

/* ---- geometry, shards and publishing (snapshot.c) -------------------------------------- */

#define HD_SHARD_KEYS 256u      /* keys per shard a rebuild aims at */
#define HD_SHARD_KEYS_MAX 512u  /* above this on average, a rebuild adds shards */
#define HD_SHARD_KEYS_MIN 64u   /* below this on average (more than one shard), fewer */

/* log2 of the buckets a shard of @keys keys gets: a load factor of at most 1/2. */
uint32_t hd__shard_log2_for(uint32_t keys);
/* Put (@key, @pre, @post) in the shard @shard is a word of (a private one: no reader yet). */
void hd__shard_put(const struct hd_engine *e, uintptr_t shard, uint64_t key,
                   const struct hd_snap_list *pre, const struct hd_snap_list *post);
/* A root of 2^@log2 shard words, copied from @copy or each @fill; NULL when out of memory. */
uintptr_t *hd__root_new(struct hd_engine *e, uint32_t log2, const uintptr_t *copy,
                        uintptr_t fill);
/*
 * Make @word the current snapshot (one release store) with @index its counts, and @nr the
 * `nr` index (NULL: none; @wrap then NULL too, else a node from hd__nr_wrap_alloc), then
 * each core's word (hd_core.word). What the old words alone reached (their direct copies,
 * the wrapper) is retired. @changed: the core filter of the one key the change touched,
 * HD_ALL when any key may have changed (a rebuild, `nr` events).
 */
void hd__snapshot_publish(struct hd_engine *e, uintptr_t word, const struct hd_index *index,
                          const struct hd_snap_nr_table *nr, void *wrap, uint32_t changed);

/* The lists @ev is in: the pre list unless stage post, the post list unless stage pre. */
static inline bool hd__in_pre(const struct hd_event *ev)
{
    return ev->stage != HD_STAGE_POST;
}

static inline bool hd__in_post(const struct hd_event *ev)
{
    return ev->stage != HD_STAGE_PRE;
}

/* A key of @ev's shape comes (+1) into the index or leaves it (-1). */
static inline void hd__index_count_key(struct hd_index *x, const struct hd_event *ev, int delta)
{
    x->keys += (uint32_t)delta;
    x->shape_keys[__builtin_ctz(hd_snap_shape(ev->core, ev->pid))] += (uint32_t)delta;
}

/* The key shapes an index holds, as the snapshot word's bits 0-3. */
static inline uint32_t hd__index_shapes(const struct hd_index *x)
{
    uint32_t shapes = 0;
    for (uint32_t k = 0; k < 4; k++)
        if (x->shape_keys[k])
            shapes |= 1u << k;
    return shapes;
}

/* ---- lists (snapshot_list.c) --------------------------------------------------------- */

/*
 * The list @old (NULL: empty) with @change applied for @ev, as a new node, or NULL in *@out
 * when the result is empty. @old is not touched; unchanged chunks are shared with it.
 * @return HD_OK or HD_ERR_NO_MEMORY (nothing allocated is left behind).
 */
enum hd_status hd__list_splice(struct hd_engine *e, const struct hd_snap_list *old,
                               const struct hd_event *ev, enum hd_index_change change,
                               const struct hd_snap_list **out);

/*
 * A list of the @n events @events (in tag order) as one new node, records in that order, or
 * NULL in *@out when @n is 0. @return HD_OK or HD_ERR_NO_MEMORY (nothing left allocated).
 */
enum hd_status hd__list_build(struct hd_engine *e, const struct hd_event *const *events,
                              uint32_t n, const struct hd_snap_list **out);

/* ---- `nr` events (snapshot_nr.c) ------------------------------------------------------- */

/*
 * The index of the `nr` events @mode includes, as one new node (NULL in *@out when there are
 * none). @return HD_OK or HD_ERR_NO_MEMORY (nothing left allocated).
 */
enum hd_status hd__nr_table_build(struct hd_engine *e, enum hd_build_mode mode,
                                  const struct hd_snap_nr_table **out);
/* hd__node_free of a table: the lists its segments hold. */
void hd__nr_table_free_lists(struct hd_engine *e, const struct hd_snap_nr_table *t);
/* A node for hd__nr_wrap (NULL when out of memory), and the word it makes for @t and the
 * other events' dispatch word @inner. */
void *hd__nr_wrap_alloc(struct hd_engine *e);
uintptr_t hd__nr_wrap(const struct hd_engine *e, void *node, const struct hd_snap_nr_table *t,
                      uintptr_t inner);

/* ---- retirement (snapshot_retire.c) --------------------------------------------------- */

/*
 * Writers retire what a newly published snapshot no longer reaches. A writer call opens a
 * batch before it publishes (the only allocation: retiring itself never fails), retires
 * nodes and events into it, and ends; the batch is sealed — every core's sequence recorded —
 * at once with counter grace periods, and with IPI grace periods only once it holds enough
 * (or hd_engine_reclaim asks), so a kernel does not send an IPI per writer call.
 */
enum hd_status hd__retire_begin(struct hd_engine *e);
void hd__retire_node(struct hd_engine *e, const void *body);
void hd__retire_event(struct hd_engine *e, struct hd_event *ev);
/* Without hd__retire_begin: for an event no published snapshot holds (never fails). */
void hd__retire_unpublished_event(struct hd_engine *e, struct hd_event *ev);
/* Every node of the snapshot @word (the tree walk of a rebuild or a teardown). */
void hd__retire_tree(struct hd_engine *e, uintptr_t word);
void hd__free_tree(struct hd_engine *e, uintptr_t word);
void hd__retire_end(struct hd_engine *e);
/* Cleared events not freed yet: the one whose raw code holds @address (hd__event_code_owner). */
bool hd__retired_code_owner(const struct hd_engine *e, uintptr_t address,
                            struct hd_code_owner *out);
/* A writer call that failed after hd__retire_begin: nothing it opened stays allocated. */
void hd__retire_cancel(struct hd_engine *e);

#endif /* HDEVENT_INTERNAL_SNAPSHOT_NODES_H */
