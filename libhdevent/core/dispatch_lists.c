/* SPDX-License-Identifier: MIT */
/*
 * The passes that are not one short list (dispatch.c runs that one itself): a list long
 * enough to be chunked; events of several key shapes, whose lists — (this core, this pid),
 * (this core, any pid), (any core, this pid), (any core, any pid), at most four — are merged
 * by tag so every event runs once, oldest first (S8); and the hypervisor's own hypercall,
 * whose hooks work on a copy of the registers (S14).
 */
#include "internal/dispatch.h"

/* Where one list of a pass stands: the record at hand, and what is left of its run/chunks. */
struct hd_cursor {
    const struct hd_snap_entry *en;
    const struct hd_snap_chunk *chunk;  /* the chunks after this run */
    uint32_t left;                      /* records left in this run, en included */
    uint32_t chunks;
};

/* The matching lists of one pass: one per key shape, and with `nr` events as many again
 * from the number's segment (its buckets that take this exit: at most the four keys). */
struct hd_lists {
    struct hd_cursor at[8];
    uint32_t count;
};

void hd__dispatch_other_event(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              enum hd_stage stage, struct hd_verdict *verdict,
                              const struct hd_snap_entry *en)
{
    struct hd_pass p = {
        .e = e, .core = &e->cores[vcpu->core], .vcpu = vcpu, .regs = vcpu->regs,
        .guest = vcpu->regs, .context = context, .core_index = vcpu->core, .stage = stage,
        .protected_call = false, .verdict = verdict,
    };
    hd__dispatch_pid(e, vcpu); /* its hooks see the record */
    hd__dispatch_event(&p, en);
}

void hd__dispatch_list(struct hd_pass *p, const struct hd_snap_list *l)
{
    const struct hd_snap_chunk *c = hd_snap_list_chunks(l);

    if (l->chunks == 1) {
        const struct hd_snap_entry *en = hd_snap_list_records(l);
        for (uint32_t count = l->count; count; count--, en = hd_snap_entry_next(en))
            hd__dispatch_event(p, en);
        return;
    }
    for (uint32_t k = 0; k < l->chunks; k++, c++) {
        const struct hd_snap_entry *en = c->first;
        for (uint32_t count = c->count; count; count--, en = hd_snap_entry_next(en))
            hd__dispatch_event(p, en);
    }
}

static void cursor_start(struct hd_cursor *c, const struct hd_snap_list *l)
{
    if (l->chunks == 1) {
        c->en = hd_snap_list_records(l);
        c->left = l->count;
        c->chunks = 0;
    } else {
        c->chunk = hd_snap_list_chunks(l);
        c->en = c->chunk->first;
        c->left = c->chunk->count;
        c->chunk++;
        c->chunks = l->chunks - 1;
    }
}

/* Step past the record at hand; false when the list is done. */
static bool cursor_next(struct hd_cursor *c)
{
    if (--c->left) {
        c->en = hd_snap_entry_next(c->en);
        return true;
    }
    if (!c->chunks)
        return false;
    c->en = c->chunk->first;
    c->left = c->chunk->count;
    c->chunk++;
    c->chunks--;
    return true;
}

/* The key of key shape @shape (bit 1: core is all, bit 0: pid is all) for this exit. */
static uint64_t shape_key(uint32_t shape, uint32_t core, uint32_t pid)
{
    return hd_snap_key(shape & 2u ? HD_ALL : core, shape & 1u ? HD_ALL : pid);
}

/* Add a bucket's list for the pass; returns whether it has a post list. */
static bool collect_bucket(const struct hd_snap_list *pre, const struct hd_snap_list *post,
                           bool want_post, struct hd_lists *out)
{
    const struct hd_snap_list *l = want_post ? post : pre;
    if (l)
        cursor_start(&out->at[out->count++], l);
    return post != NULL;
}

/* Collect the pre or post lists for (core, pid) in the key tree or direct list @word;
 * returns whether any post list exists. */
static bool collect_keys(const struct hd_engine *e, uintptr_t word, uint32_t core, uint32_t pid,
                         bool post, struct hd_lists *out)
{
    bool any_post = false;

    /* Only the key shapes some event has (bit k: core is all << 1 | pid is all). */
    for (uint32_t shapes = hd_snap_shapes(word); shapes; shapes &= shapes - 1) {
        uint32_t k = (uint32_t)__builtin_ctz(shapes);
        struct hd_found f;
        const struct hd_snap_list *l;
        if (pid == HD_ALL && !(k & 1u))
            continue; /* same key as the pid-is-all shape after it */
        f = hd__dispatch_find(e, word, shape_key(k, core, pid));
        any_post |= f.post != NULL;
        l = post ? f.post : f.pre;
        if (l)
            cursor_start(&out->at[out->count++], l);
    }
    return any_post;
}

/* Every list of this exit: the key tree's, and in the `nr` form the number's segment's. */
static bool collect(const struct hd_engine *e, uintptr_t word, uint32_t core, uint32_t pid,
                    uint64_t nr, bool post, struct hd_lists *out)
{
    const struct hd_snap_nr *w;
    const struct hd_snap_nr_seg *seg;
    uintptr_t slot;
    bool any_post;

    out->count = 0;
    if (!hd_snap_is_nr(word))
        return collect_keys(e, word, core, pid, post, out);
    w = (const struct hd_snap_nr *)hd_snap_node(word);
    any_post = collect_keys(e, w->inner, core, pid, post, out);
    slot = hd_snap_nr_find(w, nr);
    if (slot & HD_SNAP_NR_PLAIN) /* one bucket of every core and pid, pre only */
        return collect_bucket((const struct hd_snap_list *)(slot - HD_SNAP_NR_PLAIN), NULL,
                              post, out) || any_post;
    seg = (const struct hd_snap_nr_seg *)slot;
    for (uint32_t k = 0; seg && k < seg->count; k++) /* distinct keys: no event twice */
        if (hd_snap_key_takes(seg->buckets[k].key, core, pid))
            any_post |= collect_bucket(seg->buckets[k].pre, seg->buckets[k].post, post, out);
    return any_post;
}

/* Merge the lists by tag, which is registration order: every event once, oldest first (S8). */
static __attribute__((__noinline__)) void run_lists(struct hd_pass *p, struct hd_lists *l)
{
    while (l->count) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < l->count; k++)
            if (l->at[k].en->tag < l->at[best].en->tag)
                best = k;
        hd__dispatch_event(p, l->at[best].en);
        if (!cursor_next(&l->at[best]))
            l->at[best] = l->at[--l->count];
    }
}

/*
 * The hypervisor's own hypercall: the hooks work on a copy of the registers (and a vCPU view
 * pointing at it), refreshed for each event, so whatever they write is discarded (S14). The
 * view has no backend_data: through it a hook could reach the backend's own state (the VMX
 * layer's points at the real guest frame) and trigger or suppress the call after all. Its
 * 200 bytes of stack stay off the ordinary exit's frame.
 */
static __attribute__((__noinline__)) void run_protected(struct hd_pass *p, struct hd_lists *l)
{
    struct hd_guest_regs copy;
    struct hd_vcpu view = *p->vcpu;
    view.regs = &copy;
    view.backend_data = NULL;
    p->regs = &copy;
    p->vcpu = &view;
    run_lists(p, l);
}

bool hd__dispatch_lists(struct hd_pass *p, uintptr_t word)
{
    struct hd_lists lists;
    bool post = collect(p->e, word, p->core_index, p->vcpu->pid, p->nr,
                        p->stage == HD_STAGE_POST, &lists);

    if (lists.count) {
        if (p->protected_call)
            run_protected(p, &lists);
        else
            run_lists(p, &lists);
    }
    return post;
}
