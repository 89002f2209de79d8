/* SPDX-License-Identifier: MIT */
/*
 * The index of `nr` events (snapshot.h): built from the registry in one sweep whenever one of
 * them comes, goes or changes, and shared by every publication until then. Events without
 * `nr` never touch it, and it never touches theirs.
 *
 * The sweep: the numbers where some range starts or ends cut the number line into elementary
 * segments; walking them in order, an "active" set in tag order holds the events covering the
 * segment at hand (an event enters at its first number and leaves past its last). Each
 * segment with events gets their buckets — grouped by (core, pid) key, each key's pre and post
 * lists in tag order (S8) — and goes to the hash when it is one number wide, to the sorted
 * ranges otherwise. Where ranges overlap, a segment's lists hold every event covering it, so
 * an exit still finds all its events with one lookup; the cost is records: k events all
 * overlapping make up to 2k segments of up to k records each, so the records are capped at
 * HD_NR_RECORDS_PER_EVENT per event plus HD_NR_RECORDS_FREE (docs/semantics.md, S22): a
 * registration past it fails with HD_ERR_BUDGET_EXCEEDED before the index is built.
 *
 * Two passes of the same sweep: the first counts (segments, buckets), the second builds into
 * one node sized by the first. The tree is private until published; a failure frees what was
 * built and changes nothing.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"

/* The records the index may hold: an average overlap of 64, and 65,536 whatever the count. */
#define HD_NR_RECORDS_PER_EVENT 64u
#define HD_NR_RECORDS_FREE 65536u

/* An included `nr` event: its range and its place in the registry (tag order). */
struct nr_item {
    uint64_t first;
    uint64_t last;
    uint32_t index;
};

struct nr_build {
    struct hd_engine *e;
    struct nr_item *by_first;   /* sorted by first, then tag */
    uint64_t *cuts;             /* sorted, distinct: where segments start */
    uint32_t n, cut_count;
    uint32_t *active, active_count; /* item positions in by_first, in tag order */
    const struct hd_event **scratch;
    uint32_t *keyed;            /* active positions sorted by key (then tag) */
    /* counts of pass one */
    uint32_t points, ranges, buckets;
    uint64_t records, record_cap;
    uint64_t point_min, point_max;
    /* pass two */
    struct hd_snap_nr_table *t;
    struct hd_snap_nr_point *point_at;
    struct hd_snap_nr_range *range_at;
    uintptr_t *dense_at;
    uint8_t *seg_at;
};

static const struct hd_event *item_event(const struct nr_build *b, uint32_t pos)
{
    return hd__registry_event(&b->e->registry, b->by_first[pos].index);
}

static uint64_t item_key(const struct nr_build *b, uint32_t pos)
{
    const struct hd_event *ev = item_event(b, pos);
    return hd_snap_key(ev->core, ev->pid);
}

/* ---- sorting (no libc: insertion into place for the small sets, merge for the big) ---- */

static bool first_before(const struct nr_item *a, const struct nr_item *b)
{
    return a->first != b->first ? a->first < b->first : a->index < b->index;
}

static struct nr_item *sort_by_first(struct nr_item *a, struct nr_item *tmp, uint32_t n)
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = n - lo > width ? lo + width : n;
            uint32_t hi = n - mid > width ? mid + width : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = first_before(&a[j], &a[i]) ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        struct nr_item *swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

static void sort_u64(uint64_t *a, uint64_t *tmp, uint32_t n, uint64_t **out)
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = n - lo > width ? lo + width : n;
            uint32_t hi = n - mid > width ? mid + width : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        uint64_t *swap = a;
        a = tmp;
        tmp = swap;
    }
    *out = a;
}

/* ---- the sweep --------------------------------------------------------------------------- */

/* Enter the events starting at @start (by_first from *@next on), leave those ending before. */
static void active_step(struct nr_build *b, uint64_t start, uint32_t *next)
{
    uint32_t kept = 0;

    for (uint32_t i = 0; i < b->active_count; i++)
        if (b->by_first[b->active[i]].last >= start)
            b->active[kept++] = b->active[i];
    b->active_count = kept;
    for (; *next < b->n && b->by_first[*next].first == start; (*next)++) {
        uint32_t at = b->active_count++; /* insert in tag order */
        while (at > 0 && b->by_first[b->active[at - 1]].index > b->by_first[*next].index) {
            b->active[at] = b->active[at - 1];
            at--;
        }
        b->active[at] = *next;
    }
}

/* The active set ordered by key, tag order kept within a key (insertion: stable). @return
 * the number of distinct keys. */
static uint32_t group_by_key(struct nr_build *b)
{
    uint32_t keys = 0;

    for (uint32_t i = 0; i < b->active_count; i++) {
        uint32_t at = i;
        uint64_t key = item_key(b, b->active[i]);
        while (at > 0 && item_key(b, b->keyed[at - 1]) > key) {
            b->keyed[at] = b->keyed[at - 1];
            at--;
        }
        b->keyed[at] = b->active[i];
    }
    for (uint32_t i = 0; i < b->active_count; i++)
        keys += i == 0 || item_key(b, b->keyed[i]) != item_key(b, b->keyed[i - 1]);
    return keys;
}

/* The lists of keyed[from, to) (one key) for one pass. */
static enum hd_status key_list(struct nr_build *b, uint32_t from, uint32_t to, bool post,
                               const struct hd_snap_list **out)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < to; i++) {
        const struct hd_event *ev = item_event(b, b->keyed[i]);
        if (post ? hd__in_post(ev) : hd__in_pre(ev))
            b->scratch[n++] = ev;
    }
    return hd__list_build(b->e, b->scratch, n, out);
}

static void seg_free(struct hd_engine *e, const struct hd_snap_nr_seg *seg)
{
    for (uint32_t k = 0; seg && k < seg->count; k++) {
        hd__node_free(e, seg->buckets[k].pre);
        hd__node_free(e, seg->buckets[k].post);
    }
}

/* Build the segment of the active set at b->seg_at (pass two). */
static enum hd_status segment_build(struct nr_build *b, uint32_t keys,
                                    const struct hd_snap_nr_seg **out)
{
    struct hd_snap_nr_seg *seg = (struct hd_snap_nr_seg *)(void *)b->seg_at;
    enum hd_status st = HD_OK;

    seg->count = 0;
    *out = seg;
    b->seg_at += sizeof(*seg) + (size_t)keys * sizeof(struct hd_snap_bucket);
    for (uint32_t i = 0, end; i < b->active_count && HD_SUCCESS(st); i = end) {
        struct hd_snap_bucket *bk = &seg->buckets[seg->count];
        uint64_t key = item_key(b, b->keyed[i]);
        for (end = i + 1; end < b->active_count && item_key(b, b->keyed[end]) == key; end++)
            ;
        bk->key = key;
        bk->pre = bk->post = NULL;
        st = key_list(b, i, end, false, &bk->pre);
        if (HD_SUCCESS(st))
            st = key_list(b, i, end, true, &bk->post);
        if (HD_FAILED(st)) {
            hd__node_free(b->e, bk->pre);
            break;
        }
        seg->count++; /* a half-built segment frees the buckets it counts (table_free) */
    }
    return st;
}

static void point_put(struct nr_build *b, uint64_t nr, uintptr_t slot)
{
    struct hd_snap_nr_point *p = b->point_at;
    uint32_t mask = (1u << b->t->log2) - 1u, i = hd_snap_hash(b->e->hash_mult, nr) & mask;

    if (b->dense_at) {
        b->dense_at[nr - b->t->base] = slot;
        return;
    }
    while (p[i].slot)
        i = (i + 1) & mask;
    p[i].nr = nr;
    p[i].slot = slot;
}

/* The slot word of a built segment (snapshot.h): its pre list itself when that is all. */
static uintptr_t slot_of(const struct hd_snap_nr_seg *seg)
{
    const struct hd_snap_bucket *b = &seg->buckets[0];
    if (seg->count == 1 && b->key == hd_snap_key(HD_ALL, HD_ALL) && b->pre && !b->post)
        return (uintptr_t)b->pre | HD_SNAP_NR_PLAIN;
    return (uintptr_t)seg;
}

/* One sweep over the segments: counting (@build false) or building. */
static enum hd_status sweep(struct nr_build *b, bool build)
{
    uint32_t next = 0;

    b->active_count = 0;
    for (uint32_t c = 0; c < b->cut_count; c++) {
        uint64_t first = b->cuts[c];
        uint64_t last = c + 1 < b->cut_count ? b->cuts[c + 1] - 1 : ~(uint64_t)0;
        const struct hd_snap_nr_seg *seg;
        uint32_t keys;

        active_step(b, first, &next);
        if (!b->active_count)
            continue;
        for (uint32_t i = 0; i < b->active_count; i++) /* the segment ends where one does */
            if (b->by_first[b->active[i]].last < last)
                last = b->by_first[b->active[i]].last;
        keys = group_by_key(b);
        if (!build) {
            b->records += b->active_count;
            if (b->records > b->record_cap) /* checked as it grows: the time stays bounded */
                return HD_ERR_BUDGET_EXCEEDED;
            b->buckets += keys;
            *(first == last ? &b->points : &b->ranges) += 1;
            if (first == last && (b->points == 1 || first < b->point_min))
                b->point_min = first;
            if (first == last && (b->points == 1 || first > b->point_max))
                b->point_max = first;
            continue;
        }
        enum hd_status st = segment_build(b, keys, &seg);
        if (HD_FAILED(st)) {
            seg_free(b->e, seg); /* in neither the hash nor the ranges yet */
            return st;
        }
        b->t->seg_count++;
        if (first == last) {
            point_put(b, first, slot_of(seg));
        } else {
            b->range_at[b->t->range_count].first = first;
            b->range_at[b->t->range_count].last = last;
            b->range_at[b->t->range_count++].slot = slot_of(seg);
        }
    }
    return HD_OK;
}

/* ---- the table --------------------------------------------------------------------------- */

void hd__nr_table_free_lists(struct hd_engine *e, const struct hd_snap_nr_table *t)
{
    const uint8_t *at = t->segs;
    for (uint32_t i = 0; i < t->seg_count; i++) {
        const struct hd_snap_nr_seg *seg = (const struct hd_snap_nr_seg *)(const void *)at;
        seg_free(e, seg);
        at += sizeof(*seg) + (size_t)seg->count * sizeof(struct hd_snap_bucket);
    }
}

/* The cut points of the items: every first, and every last + 1 that exists. */
static enum hd_status cuts_make(struct nr_build *b, uint64_t *raw, uint64_t *tmp)
{
    uint32_t m = 0, distinct = 0;
    uint64_t *sorted;

    for (uint32_t i = 0; i < b->n; i++) {
        raw[m++] = b->by_first[i].first;
        if (b->by_first[i].last != ~(uint64_t)0)
            raw[m++] = b->by_first[i].last + 1;
    }
    sort_u64(raw, tmp, m, &sorted);
    for (uint32_t i = 0; i < m; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            sorted[distinct++] = sorted[i];
    b->cuts = sorted;
    b->cut_count = distinct;
    return HD_OK;
}

/*
 * The numbers of one-number segments lie close together (at most 4 slots a number, 64 K
 * slots in all): index a dense table by number - base, no hash. Hypercall numbers usually
 * are small integers.
 */
static bool dense_fits(const struct nr_build *b)
{
    uint64_t span = b->point_max - b->point_min;
    return b->points && span < 65536u && span < 4u * (uint64_t)b->points + 64u;
}

static enum hd_status table_make(struct nr_build *b, uint32_t events)
{
    bool dense = dense_fits(b);
    uint32_t log2 = dense ? 1u : hd__shard_log2_for(b->points);
    uint64_t span = dense ? b->point_max - b->point_min + 1u : 0;
    size_t points = sizeof(struct hd_snap_nr_point) << log2;
    size_t slots = sizeof(uintptr_t) * (size_t)span;
    size_t ranges = sizeof(struct hd_snap_nr_range) * (size_t)b->ranges;
    size_t segs = sizeof(struct hd_snap_nr_seg) * (size_t)(b->points + b->ranges) +
                  sizeof(struct hd_snap_bucket) * (size_t)b->buckets;
    uint8_t *body = hd__node_alloc(b->e, HD_NODE_NR_TABLE,
                                   sizeof(struct hd_snap_nr_table) + points + slots + ranges +
                                       segs,
                                   HD_CACHELINE);
    enum hd_status st;

    if (!body)
        return HD_ERR_NO_MEMORY;
    b->t = (struct hd_snap_nr_table *)(void *)body;
    b->t->log2 = log2;
    b->t->events = events;
    b->point_at = (struct hd_snap_nr_point *)(void *)(body + sizeof(*b->t));
    b->dense_at = dense ? (uintptr_t *)(void *)((uint8_t *)b->point_at + points) : NULL;
    b->range_at = (struct hd_snap_nr_range *)(void *)((uint8_t *)b->point_at + points + slots);
    b->seg_at = (uint8_t *)b->range_at + ranges;
    b->t->points = b->point_at;
    b->t->dense = b->dense_at;
    b->t->base = dense ? b->point_min : 0;
    b->t->span = span;
    b->t->ranges = b->range_at;
    b->t->segs = b->seg_at;
    st = sweep(b, true);
    if (HD_FAILED(st)) {
        hd__node_free(b->e, b->t); /* frees the lists built so far */
        b->t = NULL;
    }
    return st;
}

enum hd_status hd__nr_table_build(struct hd_engine *e, enum hd_build_mode mode,
                                  const struct hd_snap_nr_table **out)
{
    const struct hd_registry *reg = &e->registry;
    struct nr_build b = {.e = e};
    uint32_t n = 0;
    struct nr_item *items = NULL, *tmp = NULL;
    uint64_t *raw = NULL, *tmp64 = NULL;
    enum hd_status st = HD_OK;

    *out = NULL;
    for (uint32_t i = 0; mode != HD_BUILD_NONE && i < reg->events.count; i++) {
        const struct hd_event *ev = hd__registry_event(reg, i);
        n += ev->nr_filter && (mode == HD_BUILD_ALL || ev->enabled);
    }
    if (!n)
        return HD_OK;
    b.record_cap = (uint64_t)n * HD_NR_RECORDS_PER_EVENT + HD_NR_RECORDS_FREE;
    items = hd__alloc(e, (size_t)n * sizeof(*items));
    tmp = hd__alloc(e, (size_t)n * sizeof(*tmp));
    raw = hd__alloc(e, (size_t)n * 2 * sizeof(*raw));
    tmp64 = hd__alloc(e, (size_t)n * 2 * sizeof(*tmp64));
    b.active = hd__alloc(e, (size_t)n * sizeof(*b.active));
    b.keyed = hd__alloc(e, (size_t)n * sizeof(*b.keyed));
    b.scratch = hd__alloc(e, (size_t)n * sizeof(*b.scratch));
    if (!items || !tmp || !raw || !tmp64 || !b.active || !b.keyed || !b.scratch) {
        st = HD_ERR_NO_MEMORY;
    } else {
        for (uint32_t i = 0; i < reg->events.count; i++) {
            const struct hd_event *ev = hd__registry_event(reg, i);
            if (ev->nr_filter && (mode == HD_BUILD_ALL || ev->enabled))
                items[b.n++] = (struct nr_item){ev->nr_first, ev->nr_last, i};
        }
        b.by_first = sort_by_first(items, tmp, n);
        st = cuts_make(&b, raw, tmp64);
        if (HD_SUCCESS(st))
            st = sweep(&b, false);
        if (HD_SUCCESS(st))
            st = table_make(&b, n);
    }
    hd__free(e, items);
    hd__free(e, tmp);
    hd__free(e, raw);
    hd__free(e, tmp64);
    hd__free(e, b.active);
    hd__free(e, b.keyed);
    hd__free(e, (void *)b.scratch);
    if (HD_SUCCESS(st))
        *out = b.t;
    return st;
}

/* ---- the word dispatch reads ------------------------------------------------------------- */

void *hd__nr_wrap_alloc(struct hd_engine *e)
{
    return hd__node_alloc(e, HD_NODE_NR_WRAP, sizeof(struct hd_snap_nr), HD_SNAP_ALIGN);
}

uintptr_t hd__nr_wrap(const struct hd_engine *e, void *node, const struct hd_snap_nr_table *t,
                      uintptr_t inner)
{
    struct hd_snap_nr *w = node;

    w->inner = inner;
    w->dense = t->dense;
    w->base = t->base;
    w->span = t->span;
    w->mult = e->hash_mult;
    w->reg = e->nr_reg;
    w->log2 = t->log2;
    w->points = t->points;
    w->ranges = t->ranges;
    w->range_count = t->range_count;
    return hd_snap_word(w, 0, 0, true); /* HD_SNAP_ROOT with log2 0: the nr form */
}
