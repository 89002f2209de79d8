/*
 * Snapshots: the immutable index dispatch reads, and their safe retirement.
 *
 * Publishing is one release store of e->current_word (engine.h: the snapshot's bucket array
 * with its mask and key shapes in the low bits). Freeing the old snapshot needs proof that no
 * core still reads it. Each core keeps a sequence number that the dispatcher makes odd when an
 * exit starts and even when it ends (plain stores by the owning core, no read-modify-write).
 * After publishing, the writer issues a full fence and records every core's number; the old
 * snapshot is free once each recorded number was even (the core was outside) or has moved
 * (the exit that might have read the old pointer is over). The dispatcher fences between
 * making its number odd and loading e->current_word (Dekker's pattern): without that, x86 may
 * let the load pass the store, and a writer could see "outside" while the core reads the old
 * set.
 *
 * A backend with run_on_every_core proves grace periods by IPI instead (reclaim below): its
 * dispatcher touches the sequence numbers only when a two-call exit keeps a snapshot between
 * its passes, so its exits pay no store and no fence (dispatch.c).
 *
 * Retired snapshots are reclaimed oldest first; a cleared event rides on the snapshot retired
 * when it was cleared, which is freed only after every older one — so after every snapshot
 * that could have pointed at the event.
 */
#include "internal/engine.h"

#if defined(HD_TSAN)
uint32_t hd_tsan_fence_word;
#endif

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

static uint32_t record_size(const struct hd_event *ev)
{
    return (uint32_t)(sizeof(struct hd_snap_entry) +
                      (size_t)ev->actions.count * sizeof(struct hd_snap_action));
}

/* Copy what dispatch reads of @ev and its actions: it never follows a pointer to them. */
static void record_fill(struct hd_snap_entry *en, const struct hd_event *ev, uint32_t order)
{
    struct hd_snap_action *acts = (struct hd_snap_action *)(en + 1);

    en->order = order;
    en->condition = (uint8_t)ev->condition;
    en->short_circuit = ev->short_circuit;
    en->action_count = (uint16_t)ev->actions.count;
    if (ev->condition == HD_CONDITION_NATIVE)
        en->cond.fn = ev->condition_fn;
    else
        en->cond.code = ev->condition_code.exec;
    en->counters = ev->counters;
    en->tag = ev->tag;
    en->condition_user = ev->condition_user;
    for (uint32_t i = 0; i < ev->actions.count; i++) {
        const struct hd_action *a = hd__event_action(ev, i);
        acts[i].type = (uint8_t)a->type;
        acts[i].immediate = a->immediate;
        acts[i].buffer_size = a->buffers ? a->buffer_size : 0;
        acts[i].buffers = a->buffers;
        if (a->type == HD_ACTION_NATIVE)
            acts[i].run.fn = a->fn;
        else
            acts[i].run.code = a->code.exec;
        acts[i].user = a->user;
    }
}

/* Lists start on a cache line: an exit with one matching event reads one line of it. */
static uint32_t line_up(uint32_t n)
{
    return (n + (HD_CACHELINE - 1)) & ~(HD_CACHELINE - 1);
}

/* What one walk over the events does to each list an event is on. */
enum list_step {
    STEP_COUNT,  /* count the event and its bytes (the bytes kept in *_off for now) */
    STEP_FILL,   /* copy its record to the list's fill cursor (*_off) and advance it */
    STEP_REWIND, /* step the cursor back: after the fill it points past the list */
};

/*
 * Walk the events @mode selects in registration order (the order dispatch runs them, S8) and
 * do @step to each of their lists: pre, post, or both for stage all. Returns the key shapes.
 */
static uint32_t walk_lists(const struct hd_registry *reg, enum hd_build_mode mode,
                           struct hd_snap_bucket *buckets, uint32_t mask, enum list_step step)
{
    uint32_t order = 0, shapes = 0;

    for (uint32_t i = 0; i < reg->events.count; i++) {
        const struct hd_event *ev = hd__registry_event(reg, i);
        uint32_t size = record_size(ev);
        struct hd_snap_bucket *b;
        if (!included(ev, mode))
            continue;
        b = bucket_for(buckets, mask, hd_snap_key(ev->core, ev->pid));
        shapes |= hd_snap_shape(ev->core, ev->pid);
        for (unsigned post = 0; post < 2; post++) {
            uint32_t *count = post ? &b->post_count : &b->pre_count;
            uint32_t *off = post ? &b->post_off : &b->pre_off;
            if (ev->stage == (post ? HD_STAGE_PRE : HD_STAGE_POST))
                continue;
            if (step == STEP_COUNT) {
                (*count)++;
                *off += size;
            } else if (step == STEP_FILL) {
                record_fill((struct hd_snap_entry *)((uint8_t *)buckets + *off), ev, order);
                *off += size;
            } else {
                *off -= size;
            }
        }
        order++;
    }
    return shapes;
}

/* Lay the lists out one after another from @cursor, each on a line: *_off becomes where the
 * list starts (STEP_COUNT left its byte count there). */
static void layout_lists(struct hd_snap_bucket *buckets, uint32_t nbuckets, uint32_t cursor)
{
    for (uint32_t i = 0; i < nbuckets; i++) {
        uint32_t pre_bytes = buckets[i].pre_off, post_bytes = buckets[i].post_off;
        buckets[i].pre_off = cursor;
        cursor += line_up(pre_bytes);
        buckets[i].post_off = cursor;
        cursor += line_up(post_bytes);
    }
}

enum hd_status hd_snapshot_build(struct hd_engine *e, enum hd_build_mode mode,
                                 struct hd_snapshot **out)
{
    const struct hd_registry *reg = &e->registry;
    uint32_t n = 0, nbuckets = 2, log2_buckets = 1, shapes;
    size_t rec_bytes = 0, total;
    struct hd_snapshot *s;
    struct hd_snap_bucket *buckets;
    uint8_t *records;

    for (uint32_t i = 0; i < reg->events.count; i++) {
        const struct hd_event *ev = hd__registry_event(reg, i);
        if (!included(ev, mode))
            continue;
        n++;
        rec_bytes += (size_t)record_size(ev) * (ev->stage == HD_STAGE_ALL ? 2u : 1u);
    }
    while (nbuckets < 2u * n) { /* load factor <= 1/2 keeps probes short */
        nbuckets <<= 1;
        log2_buckets++;
    }

    /*
     * [header][retire_seq] .. [buckets, HD_SNAP_ALIGN-aligned] .. [lists, each on a line].
     * A list's offset from the buckets must fit 32 bits.
     */
    if ((size_t)nbuckets * sizeof(*buckets) + HD_CACHELINE + rec_bytes +
            (size_t)2 * n * HD_CACHELINE >= 0xFFFFFFFFu)
        return HD_ERR_NO_MEMORY;
    total = sizeof(*s) + (size_t)e->core_count * sizeof(uint64_t) + HD_SNAP_ALIGN +
            (size_t)nbuckets * sizeof(*buckets) + HD_CACHELINE + rec_bytes +
            (size_t)2 * n * HD_CACHELINE;
    s = hd_zalloc(e, total);
    if (!s)
        return HD_ERR_NO_MEMORY;
    s->retire_seq = (uint64_t *)(s + 1);
    buckets = (struct hd_snap_bucket *)hd_align_up((uintptr_t)(s->retire_seq + e->core_count),
                                                   HD_SNAP_ALIGN);
    records = (uint8_t *)hd_align_up((uintptr_t)(buckets + nbuckets), HD_CACHELINE);

    shapes = walk_lists(reg, mode, buckets, nbuckets - 1, STEP_COUNT);
    layout_lists(buckets, nbuckets, (uint32_t)(records - (uint8_t *)buckets));
    walk_lists(reg, mode, buckets, nbuckets - 1, STEP_FILL);
    walk_lists(reg, mode, buckets, nbuckets - 1, STEP_REWIND);

    s->entry_count = n;
    s->word = hd_snap_word(buckets, log2_buckets, shapes);
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
    struct hd_snapshot *old = e->current;

    e->current = next; /* writers only */
    hd_store_release(&e->current_word, next->word);
    hd_store_relaxed(&e->armed, next->entry_count != 0);

    /*
     * Order the publication before reading the cores' sequence numbers (see the top). With
     * IPI grace periods the numbers are read by the IPI itself, on each core (reclaim).
     */
    old->seq_taken = !e->ipi_grace;
    if (old->seq_taken) {
        hd_fence_full();
        for (uint32_t c = 0; c < e->core_count; c++)
            old->retire_seq[c] = hd_load_acquire(&e->cores[c].seq);
    }
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

/*
 * Runs on @core by IPI, so outside any exit of that core that keeps interrupts off: its
 * sequence is even then, unless a two-call exit left a post pass pending (dispatch.c), and
 * that exit's snapshot must wait until the number moves.
 */
static void take_seq_on_core(void *arg, uint32_t core)
{
    struct hd_engine *e = arg;
    uint64_t seq = hd_load_relaxed(&e->cores[core].seq); /* this core's own store */
    for (struct hd_snapshot *s = e->retired_head; s; s = s->retired_next)
        if (!s->seq_taken)
            s->retire_seq[core] = seq;
}

uint32_t hd_snapshot_reclaim(struct hd_engine *e, bool force)
{
    uint32_t left = 0;

    /*
     * A backend whose run_on_every_core returns only after each core ran the function outside
     * dispatch (an IPI to cores that dispatch with interrupts off) gives a grace period at
     * once, for every core but one holding a two-call exit's snapshot across the default
     * handling; the IPI reads each core's number where it runs.
     */
    if (!force && e->ipi_grace && e->retired_tail && !e->retired_tail->seq_taken) {
        e->ops.run_on_every_core(e->ops.user, take_seq_on_core, e);
        for (struct hd_snapshot *s = e->retired_head; s; s = s->retired_next)
            s->seq_taken = true;
    }
    while (e->retired_head && (force || grace_passed(e, e->retired_head))) {
        struct hd_snapshot *s = e->retired_head;
        e->retired_head = s->retired_next;
        while (s->free_events) {
            struct hd_event *ev = s->free_events;
            s->free_events = ev->free_next;
            hd__event_free(e, ev);
        }
        hd_snapshot_free(e, s);
    }
    if (!e->retired_head)
        e->retired_tail = NULL;
    for (const struct hd_snapshot *s = e->retired_head; s; s = s->retired_next)
        left++;
    return left;
}
