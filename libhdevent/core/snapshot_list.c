/* SPDX-License-Identifier: MIT */
/*
 * Lists of a snapshot (snapshot.h): the records of one key's events for one pass, in tag
 * order, and how a writer makes the next version of a list for one event's change.
 *
 * A short list is one node: its header, then the records. A long one is a table of chunks of
 * at most HD_CHUNK_RECORDS records; a new version copies only the chunk the change falls in
 * (or adds a chunk when appending to a full one) and shares every other chunk with the old
 * version. Appending — what registration does — thus costs one chunk and the table, whatever
 * the list's length; nothing here depends on other keys' lists.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"

/* A chunk holds at most this many records or bytes (but always at least one record). */
#define HD_CHUNK_RECORDS 64u
#define HD_CHUNK_BYTES (16u * 1024u)

/* ---- records ----------------------------------------------------------------------- */

static uint32_t event_record_bytes(const struct hd_event *ev)
{
    return hd_snap_record_bytes(ev->actions.count);
}

/* How dispatch runs @a: raw code that needs no trampoline (code_leaf.c) is called directly. */
static uint8_t action_kind(const struct hd_action *a)
{
    switch (a->type) {
    case HD_ACTION_CODE:
        return a->code.leaf ? HD_SNAP_ACTION_LEAF : HD_SNAP_ACTION_CODE;
    case HD_ACTION_SCRIPT: /* a filter alone runs as its compares, in the raw-code walk too */
        return a->script->fast_only ? HD_SNAP_ACTION_FILTER : HD_SNAP_ACTION_SCRIPT;
    case HD_ACTION_NATIVE:
        return HD_SNAP_ACTION_NATIVE;
    default:
        return HD_SNAP_ACTION_BREAK;
    }
}

static uint8_t condition_kind(const struct hd_event *ev)
{
    switch (ev->condition) {
    case HD_CONDITION_RAW:
        return ev->condition_code.leaf ? HD_SNAP_COND_LEAF : HD_SNAP_COND_RAW;
    case HD_CONDITION_NATIVE:
        return HD_SNAP_COND_NATIVE;
    default:
        return HD_SNAP_COND_NONE;
    }
}

/* Copy what dispatch reads of @ev and its actions: it never follows a pointer to them. */
static void record_fill(struct hd_snap_entry *en, const struct hd_event *ev)
{
    struct hd_snap_action *acts = (struct hd_snap_action *)(en + 1);

    en->condition = condition_kind(ev);
    en->short_circuit = ev->short_circuit;
    en->action_count = (uint16_t)ev->actions.count;
    en->extra = ev->extra;
    en->raw = en->condition != HD_SNAP_COND_NATIVE && !ev->extra;
    if (ev->condition == HD_CONDITION_NATIVE)
        en->cond.native = &ev->native;
    else
        en->cond.code = ev->condition_code.exec;
    en->counters = ev->counters;
    en->tag = ev->tag;
    for (uint32_t i = 0; i < ev->actions.count; i++) {
        const struct hd_action *a = hd__event_action(ev, i);
        acts[i].type = action_kind(a);
        en->raw = en->raw && acts[i].type <= HD_SNAP_ACTION_FILTER;
        acts[i].immediate = a->immediate;
        acts[i].buffer_size = a->buffers ? a->buffer_size : 0;
        acts[i].buffers = a->buffers;
        if (a->type == HD_ACTION_NATIVE)
            acts[i].run.fn = a->fn;
        else if (a->type == HD_ACTION_SCRIPT)
            acts[i].run.script = a->script;
        else
            acts[i].run.code = a->code.exec;
        acts[i].user = a->user;
    }
    en->leaf = en->raw && en->condition <= HD_SNAP_COND_LEAF;
    for (uint32_t i = 0; i < ev->actions.count; i++)
        en->leaf = en->leaf && acts[i].type == HD_SNAP_ACTION_LEAF && !acts[i].buffer_size;
    en->one = 0; /* one command: one action, a condition that needs no trampoline or none */
    if (en->raw && en->condition <= HD_SNAP_COND_LEAF && ev->actions.count == 1)
        en->one = en->leaf                                 ? HD_SNAP_ONE_CODE
                  : acts[0].type == HD_SNAP_ACTION_FILTER ? HD_SNAP_ONE_FILTER
                                                          : 0;
}

/* ---- the runs of a list ------------------------------------------------------------------ */

/*
 * A list seen as runs of records: the chunk table of a long list, or one run for a short
 * one (a stack copy, so both look alike).
 */
struct runs {
    const struct hd_snap_chunk *at;
    uint32_t count;
    struct hd_snap_chunk one;
};

static uint32_t bytes_of(const struct hd_snap_entry *en, uint32_t count)
{
    const uint8_t *start = (const uint8_t *)en;
    while (count--)
        en = hd_snap_entry_next(en);
    return (uint32_t)((const uint8_t *)en - start);
}

static void runs_of(const struct hd_snap_list *l, struct runs *r)
{
    if (!l) {
        r->at = NULL;
        r->count = 0;
    } else if (l->chunks == 1) {
        r->one.first = hd_snap_list_records(l);
        r->one.count = l->count;
        r->one.bytes = bytes_of(r->one.first, l->count);
        r->at = &r->one;
        r->count = 1;
    } else {
        r->at = hd_snap_list_chunks(l);
        r->count = l->chunks;
    }
}

static const struct hd_snap_entry *run_last(const struct hd_snap_chunk *c)
{
    const struct hd_snap_entry *en = c->first;
    for (uint32_t i = 1; i < c->count; i++)
        en = hd_snap_entry_next(en);
    return en;
}

/* The run @tag falls in: the last one whose first record's tag is not above it (else 0). */
static uint32_t run_for(const struct runs *r, uint64_t tag)
{
    uint32_t lo = 0, hi = r->count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->at[mid].first->tag <= tag)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/*
 * The records of @run with @change applied for @ev, into a new buffer (@out, @count, @bytes;
 * @out NULL when empty). @run may be NULL: then the result is @ev's record alone.
 */
static enum hd_status run_changed(struct hd_engine *e, const struct hd_snap_chunk *run,
                                  const struct hd_event *ev, enum hd_index_change change,
                                  uint8_t **out, uint32_t *count, uint32_t *bytes)
{
    uint32_t rec = event_record_bytes(ev), max = (run ? run->bytes : 0) + rec;
    const struct hd_snap_entry *en = run ? run->first : NULL;
    uint32_t left = run ? run->count : 0;
    bool placed = change == HD_INDEX_REMOVE;
    uint8_t *buf = hd__alloc(e, max), *at = buf;

    *out = NULL;
    *count = 0;
    *bytes = 0;
    if (!buf)
        return HD_ERR_NO_MEMORY;
    for (; left; left--, en = hd_snap_entry_next(en)) {
        uint32_t size = hd_snap_record_bytes(en->action_count);
        if (!placed && change == HD_INDEX_ADD && en->tag > ev->tag) {
            record_fill((struct hd_snap_entry *)at, ev); /* S8: in tag order */
            at += rec;
            placed = true;
        }
        if (en->tag == ev->tag && change != HD_INDEX_ADD) {
            if (change == HD_INDEX_REPLACE) {
                record_fill((struct hd_snap_entry *)at, ev);
                at += rec;
            }
            continue; /* removed, or replaced by the new record */
        }
        hd_memcpy(at, en, size);
        at += size;
    }
    if (!placed && change == HD_INDEX_ADD) {
        record_fill((struct hd_snap_entry *)at, ev);
        at += rec;
    }
    *bytes = (uint32_t)(at - buf);
    for (const uint8_t *p = buf; p < at; p = (const uint8_t *)hd_snap_entry_next(
                                             (const struct hd_snap_entry *)p))
        (*count)++;
    if (!*count) {
        hd__free(e, buf);
        return HD_OK;
    }
    *out = buf;
    return HD_OK;
}

/* ---- the new version ---------------------------------------------------------------- */

static bool fits_one_node(uint32_t count, uint32_t bytes)
{
    return count == 1 || (count <= HD_CHUNK_RECORDS && bytes <= HD_CHUNK_BYTES);
}

/* A short list holding @before's runs, then @mid (@mid_bytes), then @after's runs. */
static const struct hd_snap_list *one_node(struct hd_engine *e, const struct runs *r,
                                           uint32_t t, uint32_t skip, const uint8_t *mid,
                                           uint32_t mid_bytes, uint32_t count, uint32_t bytes)
{
    struct hd_snap_list *l = hd__node_alloc(e, HD_NODE_LIST, sizeof(*l) + bytes, HD_CACHELINE);
    uint8_t *at;

    if (!l)
        return NULL;
    l->count = count;
    l->chunks = 1;
    at = (uint8_t *)(l + 1);
    for (uint32_t i = 0; i < r->count; i++) {
        if (i == t) {
            hd_memcpy(at, mid, mid_bytes);
            at += mid_bytes;
        }
        if (i >= t && i < t + skip)
            continue;
        hd_memcpy(at, r->at[i].first, r->at[i].bytes);
        at += r->at[i].bytes;
    }
    if (t >= r->count) /* appended as a run of its own */
        hd_memcpy(at, mid, mid_bytes);
    return l;
}

/* Cut @records into chunk nodes of at most HD_CHUNK_RECORDS records / HD_CHUNK_BYTES bytes,
 * written to @refs from index 0; @return how many, 0 when out of memory (none left over). */
static uint32_t cut_chunks(struct hd_engine *e, const uint8_t *records, uint32_t count,
                           struct hd_snap_chunk *refs)
{
    const struct hd_snap_entry *en = (const struct hd_snap_entry *)records;
    uint32_t made = 0;

    while (count) {
        const struct hd_snap_entry *start = en;
        uint32_t n = 0, bytes = 0;
        void *body;
        while (n < count && n < HD_CHUNK_RECORDS) {
            uint32_t size = hd_snap_record_bytes(en->action_count);
            if (n && bytes + size > HD_CHUNK_BYTES)
                break;
            bytes += size;
            n++;
            en = hd_snap_entry_next(en);
        }
        body = hd__node_alloc(e, HD_NODE_CHUNK, bytes, HD_CACHELINE);
        if (!body) {
            while (made)
                hd__node_free(e, refs[--made].first);
            return 0;
        }
        hd_memcpy(body, start, bytes);
        hd__node_of(body)->refs = 1; /* held by the list being made */
        refs[made++] = (struct hd_snap_chunk){body, n, bytes};
        count -= n;
    }
    return made;
}

/* A long list: @r's chunks shared, with runs t .. t+skip-1 replaced by chunks of @mid. */
static const struct hd_snap_list *chunked(struct hd_engine *e, const struct runs *r, uint32_t t,
                                          uint32_t skip, const uint8_t *mid, uint32_t mid_count,
                                          uint32_t count, bool shared)
{
    uint32_t most = r->count - skip + mid_count; /* mid cuts into at most mid_count chunks */
    struct hd_snap_list *l = hd__node_alloc(e, HD_NODE_LIST,
                                            sizeof(*l) + (size_t)most * sizeof(struct hd_snap_chunk),
                                            HD_CACHELINE);
    struct hd_snap_chunk *refs;
    uint32_t n = 0, made;

    if (!l)
        return NULL;
    refs = (struct hd_snap_chunk *)(l + 1);
    for (uint32_t i = 0; i < t && i < r->count; i++)
        refs[n++] = r->at[i];
    made = mid_count ? cut_chunks(e, mid, mid_count, refs + n) : 0;
    if (mid_count && !made) {
        hd__node_free(e, l); /* chunks == 0: no hold on any chunk yet */
        return NULL;
    }
    n += made;
    for (uint32_t i = t + skip; i < r->count; i++)
        refs[n++] = r->at[i];
    /* Only now that nothing can fail: the new list holds the chunks it shares. */
    for (uint32_t i = 0; i < n; i++)
        if (shared && (i < t || i >= t + made))
            hd__node_of(refs[i].first)->refs++;
    l->count = count;
    l->chunks = n;
    return l;
}

enum hd_status hd__list_splice(struct hd_engine *e, const struct hd_snap_list *old,
                               const struct hd_event *ev, enum hd_index_change change,
                               const struct hd_snap_list **out)
{
    struct runs r;
    uint32_t t = 0, skip = 0, mid_count, mid_bytes, count, bytes = 0;
    uint8_t *mid;
    const struct hd_snap_list *l;
    enum hd_status st;

    *out = NULL;
    runs_of(old, &r);
    if (r.count) {
        const struct hd_snap_chunk *last = &r.at[r.count - 1];
        t = run_for(&r, ev->tag);
        skip = 1;
        /* Appending to a full last chunk of a long list starts a chunk of its own. */
        if (change == HD_INDEX_ADD && r.count > 1 && t == r.count - 1 &&
            run_last(last)->tag < ev->tag &&
            (last->count >= HD_CHUNK_RECORDS ||
             last->bytes + event_record_bytes(ev) > HD_CHUNK_BYTES)) {
            t = r.count;
            skip = 0;
        }
    }
    st = run_changed(e, skip ? &r.at[t] : NULL, ev, change, &mid, &mid_count, &mid_bytes);
    if (HD_FAILED(st))
        return st;
    count = mid_count;
    for (uint32_t i = 0; i < r.count; i++)
        if (i < t || i >= t + skip) {
            count += r.at[i].count;
            bytes += r.at[i].bytes;
        }
    bytes += mid_bytes;
    if (!count) {
        hd__free(e, mid);
        return HD_OK; /* the last record left: no list */
    }
    if (fits_one_node(count, bytes))
        l = one_node(e, &r, t, skip, mid, mid_bytes, count, bytes);
    else
        l = chunked(e, &r, t, skip, mid, mid_count, count, old && old->chunks > 1);
    hd__free(e, mid);
    if (!l)
        return HD_ERR_NO_MEMORY;
    *out = l;
    return HD_OK;
}

enum hd_status hd__list_build(struct hd_engine *e, const struct hd_event *const *events,
                              uint32_t n, const struct hd_snap_list **out)
{
    const struct runs none = {NULL, 0, {NULL, 0, 0}};
    uint64_t total = 0;
    uint32_t bytes;
    const struct hd_snap_list *l;
    uint8_t *records, *at;

    *out = NULL;
    if (!n)
        return HD_OK;
    for (uint32_t i = 0; i < n; i++)
        total += event_record_bytes(events[i]);
    if (total > 0xFFFFFFFFu - sizeof(struct hd_snap_list))
        return HD_ERR_NO_MEMORY; /* a list's byte counts are 32-bit */
    bytes = (uint32_t)total;
    records = hd__alloc(e, bytes);
    if (!records)
        return HD_ERR_NO_MEMORY;
    at = records;
    for (uint32_t i = 0; i < n; i++) {
        record_fill((struct hd_snap_entry *)at, events[i]);
        at += event_record_bytes(events[i]);
    }
    /* The same two shapes a splice makes, with nothing before or after the new records. */
    if (fits_one_node(n, bytes))
        l = one_node(e, &none, 0, 0, records, bytes, n, bytes);
    else
        l = chunked(e, &none, 0, 0, records, n, n, false);
    hd__free(e, records);
    if (!l)
        return HD_ERR_NO_MEMORY;
    *out = l;
    return HD_OK;
}
