/* SPDX-License-Identifier: MIT */
/*
 * Retiring snapshot nodes and cleared events, and freeing them once no core can read them.
 *
 * Proof that no core still reads a node: each core keeps a sequence number that the
 * dispatcher makes odd while it holds a snapshot and even when it lets go (plain stores by
 * the owning core, no read-modify-write; dispatch.c). Sealing a batch records every core's
 * number after a full fence; the batch is free once each recorded number was even (the core
 * held nothing) or has moved (the exit that might have read an old node is over). Between
 * making its number odd and loading the snapshot word a core needs a store-load barrier
 * (Dekker's pattern): without one, x86 may let the load pass the store, and a writer could
 * see "outside" while the core reads the old snapshot. Either the dispatcher executes it
 * (MFENCE, HD_GRACE_FENCE), or — when the backend has barrier_every_core (HD_GRACE_BARRIER)
 * — the writer makes every core execute one after publishing and before reading the
 * numbers: a core whose barrier came after its odd store has that store visible to the
 * writer; a core whose barrier came before it loads the snapshot after the barrier and so
 * sees the new word (the asymmetric fence of userspace RCU's membarrier flavour).
 *
 * A backend with run_on_every_core proves grace periods by IPI instead: its dispatcher
 * touches the numbers only when a two-call exit keeps a snapshot between its passes, and the
 * IPI reads each core's number where it runs. Those IPIs are batched: a batch is sealed once
 * it holds HD_RETIRE_BATCH_OPS writer calls or HD_RETIRE_BATCH_BYTES bytes, or when
 * hd_engine_reclaim() asks. Batches are freed oldest first.
 */
#include "internal/engine.h"
#include "internal/snapshot_nodes.h"

#if defined(HD_TSAN)
uint32_t hd__tsan_fence_word;
#endif

/* An IPI-mode batch is sealed once it holds this many writer calls or bytes. */
#define HD_RETIRE_BATCH_OPS 64u
#define HD_RETIRE_BATCH_BYTES (1024u * 1024u)

struct hd_retire_batch {
    struct hd_retire_batch *next;
    struct hd_node *nodes;      /* retired nodes, linked through their headers */
    struct hd_event *events;    /* cleared events, linked by free_next */
    size_t bytes;
    uint32_t ops;               /* writer calls that retired into it */
    bool sealed;                /* seq[] holds every core's number */
    uint64_t seq[];             /* [core count] */
};

static void seal(struct hd_engine *e, struct hd_retire_batch *b);

static void batch_free(struct hd_engine *e, struct hd_retire_batch *b)
{
    while (b->nodes) {
        struct hd_node *n = b->nodes;
        b->nodes = n->next;
        hd__node_free(e, hd__node_body(n));
    }
    while (b->events) {
        struct hd_event *ev = b->events;
        b->events = ev->free_next;
        hd__event_free(e, ev);
    }
    hd__free(e, b);
}

static struct hd_retire_batch *open_batch(const struct hd_engine *e)
{
    struct hd_retire_batch *t = e->retire_tail;
    return t && !t->sealed ? t : NULL;
}

enum hd_status hd__retire_begin(struct hd_engine *e)
{
    struct hd_retire_batch *b;

    if (open_batch(e))
        return HD_OK;
    b = hd__zalloc(e, sizeof(*b) + (size_t)e->core_count * sizeof(uint64_t));
    if (!b)
        return HD_ERR_NO_MEMORY;
    if (e->retire_tail)
        e->retire_tail->next = b;
    else
        e->retire_head = b;
    e->retire_tail = b;
    return HD_OK;
}

void hd__retire_node(struct hd_engine *e, const void *body)
{
    struct hd_retire_batch *b = open_batch(e);
    struct hd_node *n = hd__node_of(body);

    if (hd__is_empty_shard_body(body))
        return;
    n->next = b->nodes;
    b->nodes = n;
    b->bytes += n->bytes;
}

void hd__retire_event(struct hd_engine *e, struct hd_event *ev)
{
    struct hd_retire_batch *b = open_batch(e);
    ev->free_next = b->events;
    b->events = ev;
    b->bytes += hd__event_bytes(e, ev); /* code and buffers count toward sealing it */
}

/*
 * A disabled event is in no published snapshot, but nodes retired before it was disabled
 * may still hold its records: it goes with the newest batch (freed after every older one),
 * sealed or not, or at once when nothing waits. Never allocates.
 */
void hd__retire_unpublished_event(struct hd_engine *e, struct hd_event *ev)
{
    struct hd_retire_batch *b = e->retire_tail;

    if (!b) {
        hd__event_free(e, ev);
        return;
    }
    ev->free_next = b->events;
    b->events = ev;
    if (!b->sealed) {
        /* A writer call of its own (it went through no hd__retire_end): count it, so that
         * with IPI grace periods its memory does not wait for 63 other calls. */
        b->bytes += hd__event_bytes(e, ev);
        b->ops++;
        if (b->ops >= HD_RETIRE_BATCH_OPS || b->bytes >= HD_RETIRE_BATCH_BYTES)
            seal(e, b);
    }
}

bool hd__retired_code_owner(const struct hd_engine *e, uintptr_t address,
                            struct hd_code_owner *out)
{
    for (const struct hd_retire_batch *b = e->retire_head; b; b = b->next)
        for (const struct hd_event *ev = b->events; ev; ev = ev->free_next)
            if (hd__event_code_owner(ev, address, out))
                return true;
    return false;
}

/* Every node reachable from @word, each handed to @fn once (lists and chunks via the lists). */
static void walk_tree(struct hd_engine *e, uintptr_t word, void (*fn)(struct hd_engine *,
                                                                    const void *))
{
    uint32_t n = 1u << hd_snap_log2(word);

    if (word & HD_SNAP_ROOT) {
        const uintptr_t *root = hd_snap_node(word);
        for (uint32_t i = 0; i < n; i++)
            walk_tree(e, root[i], fn);
        fn(e, root);
        return;
    }
    if (hd__is_empty_shard(word))
        return;
    for (uint32_t i = 0; i < n; i++) {
        const struct hd_snap_bucket *b = (const struct hd_snap_bucket *)hd_snap_node(word) + i;
        if (b->pre)
            fn(e, b->pre);
        if (b->post)
            fn(e, b->post);
    }
    fn(e, hd_snap_node(word));
}

/* Static callbacks: the address of a global function would be taken through the GOT in a
 * position-independent build, an import a kernel link does not resolve. */
static void retire_one(struct hd_engine *e, const void *body)
{
    hd__retire_node(e, body);
}

static void free_one(struct hd_engine *e, const void *body)
{
    hd__node_free(e, body);
}

void hd__retire_tree(struct hd_engine *e, uintptr_t word)
{
    walk_tree(e, word, retire_one);
}

void hd__free_tree(struct hd_engine *e, uintptr_t word)
{
    walk_tree(e, word, free_one);
}

/* ---- grace periods ----------------------------------------------------------------------- */

/*
 * Runs on @core by IPI, so outside any exit of that core that keeps interrupts off: its
 * number is even then, unless a two-call exit left a post pass pending (dispatch.c), and
 * that exit's snapshot must wait until the number moves.
 */
struct take_seq {
    struct hd_engine *e;
    struct hd_retire_batch *b;
};

static void take_seq_on_core(void *arg, uint32_t core)
{
    const struct take_seq *t = arg;
    t->b->seq[core] = hd_load_relaxed(&t->e->cores[core].seq); /* this core's own store */
}

static void seal(struct hd_engine *e, struct hd_retire_batch *b)
{
    if (e->grace == HD_GRACE_IPI) {
        struct take_seq t = {e, b};
        e->ops.run_on_every_core(e->ops.user, take_seq_on_core, &t);
    } else {
        /* Order the publication before reading the cores' numbers (see the top). */
        hd_fence_full();
        if (e->grace == HD_GRACE_BARRIER)
            e->ops.barrier_every_core(e->ops.user);
        for (uint32_t c = 0; c < e->core_count; c++)
            b->seq[c] = hd_load_acquire(&e->cores[c].seq);
    }
    b->sealed = true;
}

static bool grace_passed(const struct hd_engine *e, const struct hd_retire_batch *b)
{
    for (uint32_t c = 0; c < e->core_count; c++) {
        uint64_t then = b->seq[c];
        if ((then & 1u) && hd_load_acquire(&e->cores[c].seq) == then)
            return false; /* that core still holds what it held at the seal */
    }
    return true;
}

static bool is_empty(const struct hd_retire_batch *b)
{
    return !b->nodes && !b->events;
}

/* Free the sealed batches whose grace period has passed, oldest first; an open batch that
 * holds nothing goes too once it is the oldest. @return the batches left holding something. */
static uint32_t free_passed(struct hd_engine *e, bool force)
{
    uint32_t left = 0;

    for (;;) {
        struct hd_retire_batch *b = e->retire_head;
        if (!b || (b->sealed ? !force && !grace_passed(e, b) : !is_empty(b)))
            break;
        e->retire_head = b->next;
        if (!e->retire_head)
            e->retire_tail = NULL;
        batch_free(e, b);
    }
    for (const struct hd_retire_batch *b = e->retire_head; b; b = b->next)
        left += !is_empty(b);
    return left;
}

/* Unlink and free the open batch when nothing was retired into it. */
static void drop_if_empty(struct hd_engine *e)
{
    struct hd_retire_batch *b = open_batch(e), **link = &e->retire_head, *prev = NULL;

    if (!b || !is_empty(b))
        return;
    while (*link != b) {
        prev = *link;
        link = &(*link)->next;
    }
    *link = NULL;
    e->retire_tail = prev;
    hd__free(e, b);
}

void hd__retire_cancel(struct hd_engine *e)
{
    drop_if_empty(e);
}

void hd__retire_end(struct hd_engine *e)
{
    struct hd_retire_batch *b = open_batch(e);

    drop_if_empty(e);
    b = open_batch(e);
    if (b && !is_empty(b)) {
        b->ops++;
        if (e->grace != HD_GRACE_IPI || b->ops >= HD_RETIRE_BATCH_OPS ||
            b->bytes >= HD_RETIRE_BATCH_BYTES)
            seal(e, b);
    }
    free_passed(e, false);
}

uint32_t hd__snapshot_reclaim(struct hd_engine *e, bool force)
{
    struct hd_retire_batch *b = open_batch(e);

    if (b && !is_empty(b)) {
        if (force)
            b->sealed = true; /* no core dispatches any more: nothing to wait for */
        else
            seal(e, b);
    }
    return free_passed(e, force);
}
