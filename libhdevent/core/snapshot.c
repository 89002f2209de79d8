/* SPDX-License-Identifier: MIT */
/*
 * Snapshots, the writer side (snapshot.h has the layout dispatch reads): a change to one
 * event copies the path from the word to its lists — one shard, the root if there is one,
 * the lists (snapshot_list.c) — and publishes the new word with one release store; a rebuild
 * makes a whole new tree. What the new snapshot no longer reaches is retired
 * (snapshot_retire.c).
 *
 * Geometry: one shard while there are few keys; past HD_SHARD_KEYS_MAX keys per shard on
 * average a rebuild spreads them over a root of 2^r shards (HD_SHARD_KEYS keys each), and a
 * rebuild shrinks it again below HD_SHARD_KEYS_MIN. Every shard is sized for its own keys at
 * a load factor of at most 1/2, so probes stay short; a change copies one shard, a few
 * kilobytes, whatever the number of keys.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"


/* ---- nodes ----------------------------------------------------------------------------- */

/* Every empty shard is this one: no allocation for an empty snapshot or an empty part. */
static const struct hd_snap_bucket empty_shard[2] __attribute__((__aligned__(HD_SNAP_ALIGN)));

uintptr_t hd__empty_shard_word(void)
{
    return hd_snap_word(empty_shard, 1, 0, false);
}

bool hd__is_empty_shard(uintptr_t shard_word)
{
    return hd_snap_node(shard_word) == (const void *)empty_shard;
}

/* A node's body, not a word: compared whole (a list body is aligned to 64 bytes only, so
 * masking its low bits could make a neighbour of the sentinel look like it). */
bool hd__is_empty_shard_body(const void *body)
{
    return body == (const void *)empty_shard;
}

/* A node with its header zeroed and filled, its body as the allocator left it. */
static void *node_new(struct hd_engine *e, enum hd_node_kind kind, size_t size, size_t align)
{
    size_t total = sizeof(struct hd_node) + align + size;
    uint8_t *raw;
    struct hd_node *n;

    if (size > 0xFFFFFFFFu - sizeof(struct hd_node) - align)
        return NULL;
    raw = hd__alloc(e, total);
    if (!raw)
        return NULL;
    n = (struct hd_node *)hd_align_up((uintptr_t)raw + sizeof(struct hd_node), align) - 1;
    hd_memset(n, 0, sizeof(*n));
    n->raw = raw;
    n->kind = kind;
    n->bytes = (uint32_t)total;
    return hd__node_body(n);
}

void *hd__node_alloc(struct hd_engine *e, enum hd_node_kind kind, size_t size, size_t align)
{
    void *body = node_new(e, kind, size, align);
    if (body)
        hd_memset(body, 0, size);
    return body;
}

/* A writer's copy of a node it changes in one place: one memcpy, nothing zeroed or redone. */
void *hd__node_copy(struct hd_engine *e, enum hd_node_kind kind, const void *src, size_t size,
                    size_t align)
{
    void *body = node_new(e, kind, size, align);
    if (body)
        hd_memcpy(body, src, size);
    return body;
}

void hd__node_free(struct hd_engine *e, const void *body)
{
    struct hd_node *n;

    if (!body || hd__is_empty_shard_body(body))
        return;
    n = hd__node_of(body);
    if (n->kind == HD_NODE_NR_TABLE)
        hd__nr_table_free_lists(e, body);
    if (n->kind == HD_NODE_LIST && ((const struct hd_snap_list *)body)->chunks > 1) {
        const struct hd_snap_list *l = body;
        for (uint32_t i = 0; i < l->chunks; i++) {
            struct hd_node *c = hd__node_of(hd_snap_list_chunks(l)[i].first);
            if (--c->refs == 0)
                hd__free(e, c->raw);
        }
    }
    hd__free(e, n->raw);
}

/* ---- shards and roots ----------------------------------------------------------------- */

uint32_t hd__shard_log2_for(uint32_t keys)
{
    uint32_t log2 = 1;
    while ((1u << log2) < 2u * keys) /* load factor <= 1/2 keeps probes short */
        log2++;
    return log2;
}

void hd__shard_put(const struct hd_engine *e, uintptr_t shard, uint64_t key,
                   const struct hd_snap_list *pre, const struct hd_snap_list *post)
{
    struct hd_snap_bucket *b = (struct hd_snap_bucket *)hd_snap_probe(
        shard, hd_snap_hash(e->hash_mult, key), key, NULL);
    b->key = key;
    b->pre = pre;
    b->post = post;
}

/*
 * Take @key's bucket out of a private shard, keeping every other key where its probe finds
 * it: the buckets after it in its run move back into the hole when their home bucket does
 * not lie between the hole and them (backward-shift deletion; Knuth, TAOCP vol. 3, 6.4,
 * Algorithm R), so no empty bucket ever lands between a key and its home.
 */
static void shard_remove(const struct hd_engine *e, uintptr_t shard, uint64_t key)
{
    struct hd_snap_bucket *b = (struct hd_snap_bucket *)hd_snap_node(shard);
    uint32_t mask = (1u << hd_snap_log2(shard)) - 1u;
    uint32_t hole = (uint32_t)(hd_snap_probe(shard, hd_snap_hash(e->hash_mult, key), key,
                                             NULL) - b);

    for (uint32_t j = (hole + 1) & mask; b[j].pre || b[j].post; j = (j + 1) & mask) {
        uint32_t home = hd_snap_hash(e->hash_mult, b[j].key) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) { /* home at or before the hole */
            b[hole] = b[j];
            hole = j;
        }
    }
    b[hole] = (struct hd_snap_bucket){0, NULL, NULL};
}

/*
 * @old's buckets with @key's set to (@pre, @post) — removed when both are NULL — as a new
 * shard word; the empty shard when nothing is left. 0 when out of memory. While the shard
 * keeps its size the copy is one memcpy and one put or removal, so a change costs the same
 * whatever the other keys; a new size rehashes every key.
 */
static uintptr_t shard_with(struct hd_engine *e, uintptr_t old, uint64_t key,
                            const struct hd_snap_list *pre, const struct hd_snap_list *post)
{
    const struct hd_snap_bucket *ob = hd_snap_node(old);
    uint32_t n = 1u << hd_snap_log2(old), keys = 0, log2;
    bool had = false;
    uintptr_t shard;
    void *node;

    if (!hd__is_empty_shard(old))
        keys = hd__node_of(ob)->entries;
    had = hd__is_empty_shard(old) ? false : (hd_snap_find(old, e->hash_mult, key, NULL) != NULL);
    keys = keys - had + (pre || post);
    if (!keys)
        return hd__empty_shard_word();
    log2 = hd__shard_log2_for(keys);
    if (!hd__is_empty_shard(old) && log2 == hd_snap_log2(old)) {
        node = hd__node_copy(e, HD_NODE_SHARD, ob, sizeof(struct hd_snap_bucket) << log2,
                             HD_SNAP_ALIGN);
        if (!node)
            return 0;
        hd__node_of(node)->entries = keys;
        shard = hd_snap_word(node, log2, 0, false);
        if (pre || post)
            hd__shard_put(e, shard, key, pre, post);
        else if (had)
            shard_remove(e, shard, key);
        return shard;
    }
    node = hd__node_alloc(e, HD_NODE_SHARD, sizeof(struct hd_snap_bucket) << log2,
                          HD_SNAP_ALIGN);
    if (!node)
        return 0;
    hd__node_of(node)->entries = keys;
    shard = hd_snap_word(node, log2, 0, false);
    for (uint32_t i = 0; i < n; i++)
        if ((ob[i].pre || ob[i].post) && ob[i].key != key)
            hd__shard_put(e, shard, ob[i].key, ob[i].pre, ob[i].post);
    if (pre || post)
        hd__shard_put(e, shard, key, pre, post);
    return shard;
}

uintptr_t *hd__root_new(struct hd_engine *e, uint32_t log2, const uintptr_t *copy,
                        uintptr_t fill)
{
    size_t size = sizeof(uintptr_t) << log2;
    uintptr_t *root = copy ? hd__node_copy(e, HD_NODE_ROOT, copy, size, HD_SNAP_ALIGN)
                           : hd__node_alloc(e, HD_NODE_ROOT, size, HD_SNAP_ALIGN);
    if (!root)
        return NULL;
    hd__node_of(root)->entries = 1u << log2;
    for (uint32_t i = 0; !copy && i < 1u << log2; i++)
        root[i] = fill;
    return root;
}

/* ---- one change on a tree ---------------------------------------------------------------- */

/* A tree being changed: its word and counts, and what the change replaced. */
struct tree {
    uintptr_t word;                 /* with the key shapes in bits 0-3 */
    struct hd_index index;
    const void *replaced[4];        /* old lists, shard, root: retire or free */
};

/*
 * Apply @change for @ev to @t, copying the path to its lists. On failure @t is unchanged and
 * nothing is left allocated; on success t->replaced lists what the old tree held there.
 */
static enum hd_status tree_change(struct hd_engine *e, struct tree *t, const struct hd_event *ev,
                                  enum hd_index_change change)
{
    uint64_t key = hd_snap_key(ev->core, ev->pid);
    uint32_t hash = hd_snap_hash(e->hash_mult, key);
    bool rooted = (t->word & HD_SNAP_ROOT) != 0;
    uintptr_t shard = rooted ? hd_snap_shard_of(t->word, hash) : t->word & ~(uintptr_t)15;
    const struct hd_snap_bucket *b = hd_snap_find(shard, e->hash_mult, key, NULL);
    const struct hd_snap_list *pre = b ? b->pre : NULL, *post = b ? b->post : NULL;
    const struct hd_snap_list *new_pre = pre, *new_post = post;
    uintptr_t new_shard;
    uintptr_t *root = NULL;
    enum hd_status st = HD_OK;

    if (hd__in_pre(ev))
        st = hd__list_splice(e, pre, ev, change, &new_pre);
    if (HD_SUCCESS(st) && hd__in_post(ev))
        st = hd__list_splice(e, post, ev, change, &new_post);
    new_shard = HD_SUCCESS(st) ? shard_with(e, shard, key, new_pre, new_post) : 0;
    if (new_shard && rooted) {
        uint32_t log2 = hd_snap_log2(t->word);
        root = hd__root_new(e, log2, hd_snap_node(t->word), 0);
        if (root)
            root[hash >> (32u - log2)] = new_shard;
    }
    if (!new_shard || (rooted && !root)) {
        if (new_shard)
            hd__node_free(e, hd_snap_node(new_shard));
        if (new_pre != pre)
            hd__node_free(e, new_pre);
        if (new_post != post)
            hd__node_free(e, new_post);
        return HD_FAILED(st) ? st : HD_ERR_NO_MEMORY;
    }

    t->replaced[0] = new_pre != pre ? pre : NULL;
    t->replaced[1] = new_post != post ? post : NULL;
    t->replaced[2] = hd_snap_node(shard);
    t->replaced[3] = rooted ? hd_snap_node(t->word) : NULL;
    if (!b && (new_pre || new_post))
        hd__index_count_key(&t->index, ev, +1);
    else if (b && !new_pre && !new_post)
        hd__index_count_key(&t->index, ev, -1);
    t->index.events += change == HD_INDEX_ADD ? 1u : change == HD_INDEX_REMOVE ? (uint32_t)-1 : 0;
    t->word = rooted ? hd_snap_word(root, hd_snap_log2(t->word), hd__index_shapes(&t->index), true)
                     : new_shard | hd__index_shapes(&t->index);
    return HD_OK;
}

/* ---- publishing ------------------------------------------------------------------------ */

/*
 * A direct list (snapshot.h) of bucket @b's events, when they all run in the pre pass, from
 * one chunk; else 0 (also when the copy cannot be allocated: the direct form only saves time).
 */
static uintptr_t direct_copy(struct hd_engine *e, const struct hd_snap_bucket *b,
                             uint32_t shapes)
{
    const struct hd_snap_entry *en;
    struct hd_snap_direct *d;
    uint32_t bytes;

    if (b->post || !b->pre || b->pre->chunks != 1)
        return 0;
    en = hd_snap_list_records(b->pre);
    for (uint32_t k = 0; k < b->pre->count; k++)
        en = hd_snap_entry_next(en);
    bytes = (uint32_t)((const uint8_t *)en - (const uint8_t *)hd_snap_list_records(b->pre));
    d = hd__node_alloc(e, HD_NODE_DIRECT, sizeof(*d) + bytes, HD_SNAP_ALIGN);
    if (!d)
        return 0;
    d->key = b->key;
    d->list = *b->pre;
    hd_memcpy(&d->list + 1, hd_snap_list_records(b->pre), bytes);
    return hd_snap_word(d, 0, shapes, false);
}

/*
 * The word dispatch reads for the tree @word (snapshot.h): a direct list when the tree holds
 * one key whose events all run in the pre pass, from one chunk; else the tree itself.
 */
static uintptr_t dispatch_word(struct hd_engine *e, uintptr_t word, const struct hd_index *index)
{
    const struct hd_snap_bucket *b = hd_snap_node(word);
    uint32_t i, n;
    uintptr_t direct;

    if (index->keys != 1 || (word & HD_SNAP_ROOT))
        return word;
    for (i = 0, n = 1u << hd_snap_log2(word); i < n && !b[i].pre && !b[i].post; i++)
        ;
    direct = i < n ? direct_copy(e, &b[i], hd_snap_shapes(word)) : 0;
    return direct ? direct : word;
}

/*
 * What an exit on core @c may find (hd_core.may_match) and the core's own direct list
 * (hd_core.word, 0: none), for the published word @now:
 *   - a direct list (one key): it may find an event on the one core its key names, or on
 *     every core; no list of its own (the engine's word is that list);
 *   - a tree whose events are all bound to a core and take any pid (HD_SNAP_SHAPES_CORE: the
 *     usual per-core hooks): each core has at most one key, (c, any pid), whose list is
 *     copied into a direct list of the core's own, so the exit compares one key as with one
 *     event, whatever the events on the other cores; a core without a key leaves at
 *     may_match; a key with post events or a long list, or a copy that cannot be allocated,
 *     leaves the core to the tree;
 *   - any other form (several shapes, the `nr` form): the tree, on every core.
 * @old_word: the core's own list so far, kept when its key did not change (@changed: the
 * core of the change's key, HD_ALL when any may have changed).
 */
static uintptr_t core_word(struct hd_engine *e, uint32_t c, uintptr_t now, uintptr_t old_word,
                           uint32_t changed, uint8_t *may_match)
{
    const struct hd_snap_bucket *b;

    *may_match = 1;
    if (hd_snap_is_direct(now)) {
        uint32_t only = (uint32_t)(((const struct hd_snap_direct *)hd_snap_node(now))->key >> 32);
        *may_match = only == HD_ALL || only == c;
        return 0;
    }
    if (hd_snap_shapes(now) != HD_SNAP_SHAPES_CORE) /* nor the `nr` form: no shape bits */
        return 0;
    if (old_word && changed != HD_ALL && changed != c)
        return old_word; /* its key's list is the one it copied */
    b = hd_snap_find(now, e->hash_mult, hd_snap_key(c, HD_ALL), NULL);
    if (!b) {
        *may_match = 0;
        return 0;
    }
    return direct_copy(e, b, HD_SNAP_SHAPES_CORE);
}

/*
 * Tell each core whether an exit there may find an event (hd_core.may_match) and which list
 * of its own it reads (hd_core.word), after @now was published: a core that turns on sees
 * its list once it sees its byte (release). A core whose byte is stale races with this
 * writer, as any exit does with a change on another core (the event runs from its next exit
 * on). Only what changes is written: the line is the one the core's exits write their
 * sequence on. A core's own list that is replaced is retired with the rest. For a set of
 * per-core lists, a change copies the list of the core of its key (every core's for a
 * rebuild) and probes again each core that has no copy (no key, a key with post events or a
 * long list, a copy that could not be allocated: tried again here); for any other set, a
 * test per core, as before.
 */
static void publish_cores(struct hd_engine *e, uintptr_t now, bool armed, uint32_t changed)
{
    for (uint32_t c = 0; c < e->core_count; c++) {
        struct hd_core *core = &e->cores[c];
        uintptr_t old_word = hd_load_relaxed(&core->word);
        uint8_t on = 0;
        uintptr_t word = armed ? core_word(e, c, now, old_word, changed, &on) : 0;

        if (word != old_word)
            hd_store_release(&core->word, word);
        if (hd_load_relaxed(&core->may_match) != on)
            hd_store_release(&core->may_match, on);
        if (old_word && word != old_word)
            hd__retire_node(e, hd_snap_node(old_word));
    }
}

/*
 * Every publication goes through here: writers have opened a retire batch (or, for the first
 * snapshot, nothing was published before), so the direct copies the old words may designate
 * are retired with the rest. @changed: the core filter of the one key the change touched,
 * HD_ALL when any may have changed (a rebuild, `nr` events).
 */
void hd__snapshot_publish(struct hd_engine *e, uintptr_t word, const struct hd_index *index,
                          const struct hd_snap_nr_table *nr, void *wrap, uint32_t changed)
{
    uintptr_t old = e->current_word, now = dispatch_word(e, word, index);

    if (nr)
        now = hd__nr_wrap(e, wrap, nr, now);
    e->index = *index;
    e->tree_word = word;
    e->nr_table = nr;
    hd_store_release(&e->current_word, now);
    hd_store_relaxed(&e->armed, (uint8_t)(index->events != 0));
    publish_cores(e, now, index->events != 0, changed);
    if (old && hd_snap_is_nr(old)) { /* the wrapper, and the direct copy it may lead to */
        uintptr_t inner = ((const struct hd_snap_nr *)hd_snap_node(old))->inner;
        hd__retire_node(e, hd_snap_node(old));
        old = inner;
    }
    if (old && hd_snap_is_direct(old))
        hd__retire_node(e, hd_snap_node(old));
}

/* The wrapper a publication needs while there are `nr` events (@nr not NULL), or NULL. */
static enum hd_status wrap_for(struct hd_engine *e, const struct hd_snap_nr_table *nr,
                               void **wrap)
{
    *wrap = nr ? hd__nr_wrap_alloc(e) : NULL;
    return nr && !*wrap ? HD_ERR_NO_MEMORY : HD_OK;
}

static void publish(struct hd_engine *e, const struct tree *t, void *wrap, uint32_t changed)
{
    hd__snapshot_publish(e, t->word, &t->index, e->nr_table, wrap, changed);
}

/*
 * A change of an `nr` event: the other events' tree stays as it is, the `nr` index is built
 * anew from the registry (the event's enabled flag already says where it goes).
 */
static enum hd_status nr_change(struct hd_engine *e, enum hd_index_change change,
                                struct hd_event *free_event)
{
    const struct hd_snap_nr_table *old = e->nr_table, *nr;
    struct hd_index index = e->index;
    void *wrap;
    enum hd_status st;

    HD_CHECK(hd__retire_begin(e));
    st = hd__nr_table_build(e, HD_BUILD_ENABLED, &nr);
    if (HD_SUCCESS(st)) {
        st = wrap_for(e, nr, &wrap);
        if (HD_FAILED(st))
            hd__node_free(e, nr);
    }
    if (HD_FAILED(st)) {
        hd__retire_cancel(e);
        return st;
    }
    index.events += change == HD_INDEX_ADD ? 1u : change == HD_INDEX_REMOVE ? (uint32_t)-1 : 0;
    hd__snapshot_publish(e, e->tree_word, &index, nr, wrap, HD_ALL);
    if (old)
        hd__retire_node(e, old);
    if (free_event)
        hd__retire_event(e, free_event);
    hd__retire_end(e);
    return HD_OK;
}

static uint32_t shards_log2(const struct hd_engine *e)
{
    return e->tree_word & HD_SNAP_ROOT ? hd_snap_log2(e->tree_word) : 0;
}

/* Would a change of @ev leave the geometry outside its bounds (then rebuild instead)? */
static bool needs_regeometry(const struct hd_engine *e, const struct hd_event *ev,
                             enum hd_index_change change)
{
    uint32_t shards = 1u << shards_log2(e), keys = e->index.keys;
    const struct hd_snap_bucket *b =
        hd_snap_find(e->tree_word, e->hash_mult, hd_snap_key(ev->core, ev->pid), NULL);

    if (change == HD_INDEX_ADD && !b)
        keys++;
    else if (change == HD_INDEX_REMOVE && b)
        keys -= (b->pre ? b->pre->count : 0) + (b->post ? b->post->count : 0) ==
                (uint32_t)hd__in_pre(ev) + (uint32_t)hd__in_post(ev);
    return keys > HD_SHARD_KEYS_MAX * shards || (shards > 1 && keys < HD_SHARD_KEYS_MIN * shards);
}

enum hd_status hd__snapshot_change(struct hd_engine *e, const struct hd_event *ev,
                                   enum hd_index_change change, struct hd_event *free_event)
{
    struct tree t = {.word = e->tree_word, .index = e->index};
    void *wrap;
    enum hd_status st;

    if (ev->nr_filter)
        return nr_change(e, change, free_event);
    if (needs_regeometry(e, ev, change)) {
        if (free_event)
            free_event->free_next = NULL;
        return hd__snapshot_rebuild(e, HD_BUILD_ENABLED, free_event);
    }
    HD_CHECK(hd__retire_begin(e));
    st = wrap_for(e, e->nr_table, &wrap);
    if (HD_SUCCESS(st)) {
        st = tree_change(e, &t, ev, change);
        if (HD_FAILED(st))
            hd__node_free(e, wrap);
    }
    if (HD_FAILED(st)) {
        hd__retire_cancel(e);
        return st;
    }
    publish(e, &t, wrap, ev->core);
    for (unsigned i = 0; i < 4; i++)
        if (t.replaced[i])
            hd__retire_node(e, t.replaced[i]);
    if (free_event)
        hd__retire_event(e, free_event);
    hd__retire_end(e);
    return HD_OK;
}

enum hd_status hd__snapshot_init(struct hd_engine *e)
{
    struct tree t = {.word = hd__empty_shard_word()};
    publish(e, &t, NULL, HD_ALL);
    return HD_OK;
}

void hd__snapshot_destroy(struct hd_engine *e)
{
    uintptr_t now = e->current_word;

    hd__snapshot_reclaim(e, true);
    for (uint32_t c = 0; c < e->core_count; c++) {
        if (e->cores[c].word)
            hd__node_free(e, hd_snap_node(e->cores[c].word));
        e->cores[c].word = 0;
    }
    hd__free_tree(e, e->tree_word);
    if (hd_snap_is_nr(now)) {
        uintptr_t inner = ((const struct hd_snap_nr *)hd_snap_node(now))->inner;
        hd__node_free(e, hd_snap_node(now));
        now = inner;
    }
    if (hd_snap_is_direct(now))
        hd__node_free(e, hd_snap_node(now));
    hd__node_free(e, e->nr_table);
    e->nr_table = NULL;
    e->tree_word = e->current_word = hd__empty_shard_word();
}
