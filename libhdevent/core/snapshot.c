/*
 * Snapshots: the immutable index dispatch reads, and their safe retirement.
 *
 * Publishing is one release store of e->current. Freeing the old snapshot needs proof that no
 * core still reads it. Each core keeps a sequence number that the dispatcher makes odd when an
 * exit starts and even when it ends (plain stores by the owning core, no read-modify-write).
 * After publishing, the writer issues a full fence and records every core's number; the old
 * snapshot is free once each recorded number was even (the core was outside) or has moved
 * (the exit that might have read the old pointer is over). The dispatcher fences between
 * making its number odd and loading e->current (Dekker's pattern): without that, x86 may let
 * the load pass the store, and a writer could see "outside" while the core reads the old set.
 *
 * A backend with run_on_every_core proves grace periods by IPI instead (reclaim below): its
 * dispatcher never touches the sequence numbers, so its exits pay no fence (dispatch.c).
 *
 * Retired snapshots are reclaimed oldest first; a cleared event rides on the snapshot retired
 * when it was cleared, which is freed only after every older one — so after every snapshot
 * that could have pointed at the event.
 */
#include "internal/engine.h"

#if defined(HD_TSAN)
uint32_t hd_tsan_fence_word;
#endif

static size_t align8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

static bool included(const struct hd_event *ev, enum hd_build_mode mode)
{
    return mode == HD_BUILD_ALL || (mode == HD_BUILD_ENABLED && ev->enabled);
}

static struct hd_snap_bucket *bucket_for(struct hd_snap_bucket *buckets, uint32_t mask,
                                         uint64_t key)
{
    uint32_t i = hd_snap_probe(buckets, mask, key);
    buckets[i].key = key;
    return &buckets[i];
}

enum hd_status hd_snapshot_build(struct hd_engine *e, enum hd_build_mode mode,
                                 struct hd_snapshot **out)
{
    const struct hd_registry *reg = &e->registry;
    uint32_t n = 0, nbuckets = 2, nindex = 0;
    size_t nactions = 0, off_entries, off_buckets, off_seq, off_actions, off_index, total;
    struct hd_snapshot *s;
    struct hd_snap_entry *entries;
    struct hd_snap_bucket *buckets;
    struct hd_action **actions;
    uint32_t *index;

    for (uint32_t i = 0; i < reg->count; i++) {
        const struct hd_event *ev = reg->events[i];
        if (!included(ev, mode))
            continue;
        n++;
        nactions += ev->action_count;
        nindex += ev->stage == HD_STAGE_ALL ? 2u : 1u;
    }
    while (nbuckets < 2u * n) /* load factor <= 1/2 keeps probes short */
        nbuckets <<= 1;

    off_entries = align8(sizeof(*s));
    off_buckets = off_entries + align8((size_t)n * sizeof(*entries));
    off_seq = off_buckets + align8((size_t)nbuckets * sizeof(*buckets));
    off_actions = off_seq + (size_t)e->core_count * sizeof(uint64_t);
    off_index = off_actions + nactions * sizeof(*actions);
    total = off_index + (size_t)nindex * sizeof(*index);

    s = hd_zalloc(e, total);
    if (!s)
        return HD_ERR_NO_MEMORY;
    entries = (struct hd_snap_entry *)((uint8_t *)s + off_entries);
    buckets = (struct hd_snap_bucket *)((uint8_t *)s + off_buckets);
    s->retire_seq = (uint64_t *)((uint8_t *)s + off_seq);
    actions = (struct hd_action **)((uint8_t *)s + off_actions);
    index = (uint32_t *)((uint8_t *)s + off_index);

    /* Pass 1: entries in registration order, and how many each bucket's lists hold. */
    n = 0;
    for (uint32_t i = 0; i < reg->count; i++) {
        struct hd_event *ev = reg->events[i];
        struct hd_snap_bucket *b;
        if (!included(ev, mode))
            continue;
        entries[n].event = ev;
        entries[n].actions = actions;
        entries[n].action_count = ev->action_count;
        for (uint32_t a = 0; a < ev->action_count; a++)
            *actions++ = ev->actions[a];
        b = bucket_for(buckets, nbuckets - 1, hd_snap_key(ev->core, ev->pid));
        s->key_shapes |= hd_snap_shape(ev->core, ev->pid);
        b->pre_count += ev->stage != HD_STAGE_POST;
        b->post_count += ev->stage != HD_STAGE_PRE;
        n++;
    }

    /* Lay the lists out one after another, then fill them in entry (= registration) order. */
    {
        uint32_t next = 0;
        for (uint32_t i = 0; i < nbuckets; i++) {
            buckets[i].pre_first = next;
            next += buckets[i].pre_count;
            buckets[i].post_first = next;
            next += buckets[i].post_count;
        }
        for (uint32_t i = 0; i < n; i++) {
            const struct hd_event *ev = entries[i].event;
            struct hd_snap_bucket *b = bucket_for(buckets, nbuckets - 1,
                                                  hd_snap_key(ev->core, ev->pid));
            if (ev->stage != HD_STAGE_POST)
                index[b->pre_first++] = i;
            if (ev->stage != HD_STAGE_PRE)
                index[b->post_first++] = i;
        }
        /* The fill advanced each *_first past its list: step back to the list's start. */
        for (uint32_t i = 0; i < nbuckets; i++) {
            buckets[i].pre_first -= buckets[i].pre_count;
            buckets[i].post_first -= buckets[i].post_count;
        }
    }

    s->entry_count = n;
    s->bucket_mask = nbuckets - 1;
    s->entries = entries;
    s->buckets = buckets;
    s->index = index;
    *out = s;
    return HD_OK;
}

void hd_snapshot_free(struct hd_engine *e, struct hd_snapshot *snap)
{
    hd_free(e, snap);
}

void hd_snapshot_publish(struct hd_engine *e, struct hd_snapshot *next,
                         struct hd_event *free_events)
{
    struct hd_snapshot *old = (struct hd_snapshot *)e->current;

    hd_store_release(&e->current, next);
    hd_store_relaxed(&e->armed, next->entry_count != 0);

    /* Order the publication before reading the cores' sequence numbers (see the top). */
    hd_fence_full();
    for (uint32_t c = 0; c < e->core_count; c++)
        old->retire_seq[c] = hd_load_acquire(&e->cores[c].seq);
    old->free_events = free_events;
    old->retired_next = NULL;
    if (e->retired_tail)
        e->retired_tail->retired_next = old;
    else
        e->retired_head = old;
    e->retired_tail = old;
    hd_snapshot_reclaim(e, false);
}

static bool grace_passed(const struct hd_engine *e, const struct hd_snapshot *s)
{
    for (uint32_t c = 0; c < e->core_count; c++) {
        uint64_t then = s->retire_seq[c];
        if ((then & 1u) && hd_load_acquire(&e->cores[c].seq) == then)
            return false; /* that core is still inside the exit it was in */
    }
    return true;
}

static void noop_on_core(void *arg, uint32_t core)
{
    (void)arg;
    (void)core;
}

uint32_t hd_snapshot_reclaim(struct hd_engine *e, bool force)
{
    uint32_t left = 0;

    /*
     * A backend whose run_on_every_core returns only after each core ran the function outside
     * dispatch (an IPI to cores that dispatch with interrupts off) gives a grace period at once.
     */
    if (!force && e->retired_head && e->ops.run_on_every_core) {
        e->ops.run_on_every_core(e->ops.user, noop_on_core, NULL);
        force = true;
    }
    while (e->retired_head && (force || grace_passed(e, e->retired_head))) {
        struct hd_snapshot *s = e->retired_head;
        e->retired_head = s->retired_next;
        while (s->free_events) {
            struct hd_event *ev = s->free_events;
            s->free_events = ev->free_next;
            hd_event_free(e, ev);
        }
        hd_snapshot_free(e, s);
    }
    if (!e->retired_head)
        e->retired_tail = NULL;
    for (const struct hd_snapshot *s = e->retired_head; s; s = s->retired_next)
        left++;
    return left;
}
