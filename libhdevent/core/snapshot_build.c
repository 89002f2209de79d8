/* SPDX-License-Identifier: MIT */
/*
 * Rebuilding a snapshot from the registry in one pass, bottom up: enable-all, disable-all,
 * clear-all, and a change that moves the geometry (more or fewer shards). The events a build
 * includes, sorted by (hash, key, tag), make each list once, each shard once and the root
 * once: O(N log N) for the sort, O(N) for the rest. Building it as N single changes copied a
 * shard and the root per event, seconds for 65,536 events under the writer lock.
 *
 * Sorting by the hash groups the keys by root slot whatever the root's size (a slot is the
 * hash's top bits), and sorting by tag within a key keeps each list in registration order
 * (S8). The tree is private until published, so a failure frees what was built and changes
 * nothing.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"

/* One included event: its key, the key's hash, and its position in the registry (tag order). */
struct item {
    uint64_t key;
    uint32_t hash;
    uint32_t index;
};

struct build {
    struct hd_engine *e;
    const struct item *items;
    const struct hd_event **scratch; /* one list's events at a time */
    struct hd_index index;
};

static bool included(const struct hd_event *ev, enum hd_build_mode mode)
{
    return mode == HD_BUILD_ALL || (mode == HD_BUILD_ENABLED && ev->enabled);
}

static bool item_before(const struct item *a, const struct item *b)
{
    if (a->hash != b->hash)
        return a->hash < b->hash;
    if (a->key != b->key)
        return a->key < b->key;
    return a->index < b->index;
}

/* Bottom-up merge sort of @n items (no recursion, no libc); @tmp holds @n items too.
 * @return where the sorted items are: @a or @tmp. */
static struct item *sort_items(struct item *a, struct item *tmp, uint32_t n)
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = n - lo > width ? lo + width : n;
            uint32_t hi = n - mid > width ? mid + width : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = item_before(&a[j], &a[i]) ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        struct item *swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* The events of one key (items [from, to)) in one pass, as a new list (NULL: none). */
static enum hd_status key_list(struct build *b, uint32_t from, uint32_t to, bool post,
                               const struct hd_snap_list **out)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < to; i++) {
        const struct hd_event *ev = hd__registry_event(&b->e->registry, b->items[i].index);
        if (post ? hd__in_post(ev) : hd__in_pre(ev))
            b->scratch[n++] = ev;
    }
    return hd__list_build(b->e, b->scratch, n, out);
}

/* The end of the key group that starts at @from. */
static uint32_t key_end(const struct item *items, uint32_t from, uint32_t to)
{
    uint32_t i = from + 1;
    while (i < to && items[i].key == items[from].key)
        i++;
    return i;
}

/* One shard holding the keys of items [from, to) (one root slot's, or all of them). */
static enum hd_status shard_build(struct build *b, uint32_t from, uint32_t to, uintptr_t *out)
{
    uint32_t keys = 0, log2;
    uintptr_t shard;
    void *node;

    for (uint32_t i = from; i < to; i = key_end(b->items, i, to))
        keys++;
    *out = hd__empty_shard_word();
    if (!keys)
        return HD_OK;
    log2 = hd__shard_log2_for(keys);
    node = hd__node_alloc(b->e, HD_NODE_SHARD, sizeof(struct hd_snap_bucket) << log2,
                          HD_SNAP_ALIGN);
    if (!node)
        return HD_ERR_NO_MEMORY;
    hd__node_of(node)->entries = keys;
    shard = hd_snap_word(node, log2, 0, false);
    for (uint32_t i = from, end; i < to; i = end) {
        const struct hd_snap_list *pre = NULL, *post = NULL;
        const struct hd_event *first = hd__registry_event(&b->e->registry, b->items[i].index);
        enum hd_status st;
        end = key_end(b->items, i, to);
        st = key_list(b, i, end, false, &pre);
        if (HD_SUCCESS(st))
            st = key_list(b, i, end, true, &post);
        if (HD_FAILED(st)) {
            hd__node_free(b->e, pre);
            hd__free_tree(b->e, shard); /* the lists put so far go with it */
            return st;
        }
        hd__shard_put(b->e, shard, b->items[i].key, pre, post);
        hd__index_count_key(&b->index, first, +1);
    }
    *out = shard;
    return HD_OK;
}

/* The root size for @keys keys: HD_SHARD_KEYS per shard. */
static uint32_t shards_log2_for(uint32_t keys)
{
    uint32_t log2 = 0;
    while (log2 < 24 && (HD_SHARD_KEYS << log2) < keys)
        log2++;
    return log2;
}

/* The whole tree of the sorted items; 0 in *@word when out of memory (nothing left). */
static enum hd_status tree_build(struct build *b, uint32_t n, uintptr_t *word)
{
    uint32_t keys = 0, log2;
    uintptr_t *root;
    enum hd_status st = HD_OK;

    for (uint32_t i = 0; i < n; i = key_end(b->items, i, n))
        keys++;
    log2 = shards_log2_for(keys);
    if (!log2) {
        uintptr_t shard;
        HD_CHECK(shard_build(b, 0, n, &shard));
        *word = shard | hd__index_shapes(&b->index);
        return HD_OK;
    }
    root = hd__root_new(b->e, log2, NULL, hd__empty_shard_word());
    if (!root)
        return HD_ERR_NO_MEMORY;
    for (uint32_t i = 0, slot = 0; slot < 1u << log2 && HD_SUCCESS(st); slot++) {
        uint32_t from = i;
        while (i < n && b->items[i].hash >> (32u - log2) == slot)
            i++;
        st = shard_build(b, from, i, &root[slot]);
    }
    *word = hd_snap_word(root, log2, hd__index_shapes(&b->index), true);
    if (HD_FAILED(st))
        hd__free_tree(b->e, *word); /* unbuilt slots hold the static empty shard */
    return st;
}

/* The included events as items, sorted; @return the sorted array (in @items or @tmp). */
static const struct item *gather(struct hd_engine *e, enum hd_build_mode mode, struct item *items,
                                 struct item *tmp, uint32_t *n)
{
    const struct hd_registry *reg = &e->registry;

    *n = 0;
    for (uint32_t i = 0; i < reg->events.count; i++) {
        const struct hd_event *ev = hd__registry_event(reg, i);
        uint64_t key = hd_snap_key(ev->core, ev->pid);
        if (included(ev, mode) && !ev->nr_filter) /* `nr` events: snapshot_nr.c */
            items[(*n)++] = (struct item){key, hd_snap_hash(e->hash_mult, key), i};
    }
    return sort_items(items, tmp, *n);
}

enum hd_status hd__snapshot_rebuild(struct hd_engine *e, enum hd_build_mode mode,
                                    struct hd_event *free_events)
{
    uint32_t count = mode == HD_BUILD_NONE ? 0 : e->registry.events.count, n = 0;
    struct item *items = NULL, *tmp = NULL;
    struct build b = {.e = e};
    uintptr_t word = hd__empty_shard_word();
    const struct hd_snap_nr_table *old_nr = e->nr_table, *nr = NULL;
    void *wrap = NULL;
    bool built;
    enum hd_status st;

    HD_CHECK(hd__retire_begin(e));
    if (count) {
        items = hd__alloc(e, (size_t)count * sizeof(*items));
        tmp = hd__alloc(e, (size_t)count * sizeof(*tmp));
        b.scratch = hd__alloc(e, (size_t)count * sizeof(*b.scratch));
    }
    st = count && (!items || !tmp || !b.scratch) ? HD_ERR_NO_MEMORY : HD_OK;
    if (HD_SUCCESS(st) && count) {
        b.items = gather(e, mode, items, tmp, &n);
        b.index.events = n;
        st = tree_build(&b, n, &word);
    }
    hd__free(e, items);
    hd__free(e, tmp);
    hd__free(e, (void *)b.scratch);
    built = HD_SUCCESS(st);
    if (built)
        st = hd__nr_table_build(e, mode, &nr);
    if (HD_SUCCESS(st) && nr) {
        wrap = hd__nr_wrap_alloc(e);
        st = wrap ? HD_OK : HD_ERR_NO_MEMORY;
    }
    if (HD_FAILED(st)) {
        hd__node_free(e, nr);
        if (built) /* tree_build frees its own on failure; the empty shard stays */
            hd__free_tree(e, word);
        hd__retire_cancel(e);
        return st;
    }
    b.index.events += nr ? nr->events : 0;
    hd__retire_tree(e, e->tree_word);
    if (old_nr)
        hd__retire_node(e, old_nr);
    hd__snapshot_publish(e, word, &b.index, nr, wrap, HD_ALL);
    while (free_events) {
        struct hd_event *ev = free_events;
        free_events = ev->free_next;
        hd__retire_event(e, ev);
    }
    hd__retire_end(e);
    return HD_OK;
}
