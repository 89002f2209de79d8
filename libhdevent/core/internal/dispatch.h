/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's parts (dispatch.c, dispatch_exit.c, dispatch_leaf.c, dispatch_lists.c,
 * dispatch_hooks.c, through internal/dispatch_entry.h for the entries): one pass over an
 * exit, and one event as every pass runs it. Only those files include this.
 *
 * hd__dispatch_event() and hd__dispatch_raw_event() are inlined wherever events are run —
 * the one-list walk of the ordinary exit (hd__walk()), the leaf walk (dispatch_leaf.c), the
 * chunk walk and the merge (dispatch_lists.c) — so an exit with raw-code
 * events makes no call but those into the code; what a raw-code event never needs (native
 * hooks, break and script actions, messages, tracing) is out of line in dispatch_hooks.c.
 */
#ifndef HDEVENT_INTERNAL_DISPATCH_H
#define HDEVENT_INTERNAL_DISPATCH_H

#include "arch.h"
#include "engine.h"
#include "script.h"

/* One pass over one exit. */
struct hd_pass {
    struct hd_engine *e;
    struct hd_core *core;
    const struct hd_vcpu *vcpu;   /* what hooks see (its regs are the protected copy if any) */
    struct hd_guest_regs *regs;   /* what hooks write: the guest's, or the protected copy */
    const struct hd_guest_regs *guest; /* the guest's registers */
    void *context;
    uint32_t core_index;          /* the exit's core, checked at entry: read per event/action */
    enum hd_stage stage;          /* HD_STAGE_PRE or HD_STAGE_POST */
    bool protected_call;
    uint64_t nr;                  /* the hypercall number as the pre pass saw it (`nr` events) */
    struct hd_verdict *verdict;
    struct hd_exit_record *record; /* the exit's record while recording (recorder.c), or NULL */
};

/* What a lookup found for one exit: the key's pre and post lists (NULL: none). */
struct hd_found {
    const struct hd_snap_list *pre;
    const struct hd_snap_list *post;
};

/* A lookup's answer (in .pre) for events of more than one key shape: merge their lists. */
#define HD_LOOKUP_MERGE ((const struct hd_snap_list *)(uintptr_t)1)

/* The lists of @key in the snapshot @word, in either of its forms (snapshot.h). */
static inline __attribute__((__always_inline__)) struct hd_found
hd__dispatch_find(const struct hd_engine *e, uintptr_t word, uint64_t key)
{
    struct hd_found f = {NULL, NULL};

    if (hd_snap_is_direct(word)) {
        const struct hd_snap_direct *d = (const struct hd_snap_direct *)hd_snap_node(word);
        if (d->key == key)
            f.pre = &d->list;
    } else {
        const struct hd_snap_bucket *b = hd_snap_find(word, e->hash_mult, key, NULL);
        if (b) {
            f.pre = b->pre;
            f.post = b->post;
        }
    }
    return f;
}

/*
 * The end of an exit's hold on its snapshot (internal/dispatch_entry.h: hd__snapshot_hold).
 * With counter grace periods the core's sequence goes even (quiescent); with IPI ones the
 * exit made no mark. A walk that keeps few values across its calls takes the end as one
 * pointer first (hd__dispatch_hold_seq(), NULL under IPI) and ends it later (..._hold_end()).
 */
static inline uint64_t *hd__dispatch_hold_seq(const struct hd_engine *e,
                                              struct hd_core *core)
{
    return e->grace != HD_GRACE_IPI ? &core->seq : NULL;
}

static inline void hd__dispatch_hold_end(uint64_t *seq)
{
    if (seq)
        hd_store_release(seq, *seq + 1); /* even: quiescent */
}

static inline void hd__dispatch_release(const struct hd_engine *e, struct hd_core *core)
{
    hd__dispatch_hold_end(hd__dispatch_hold_seq(e, core));
}

/* Run the handling of the one-call form (S12: when no event short-circuited it). */
static inline void hd__dispatch_handle(const struct hd_exit_call *call, struct hd_vcpu *vcpu)
{
    call->out->default_handled = true;
    if (call->handle)
        call->handle(call->user, vcpu);
    else
        hd_vmcall_default(call->user, vcpu); /* a direct call: no function address, no GOT */
}

/*
 * What one command makes, when @l is that (hd_snap_entry.one, HD_SNAP_ONE_*: dispatch_leaf.c,
 * hd__dispatch_command_*, _filter_*): one record, `!vmcall … code {…}` or `script {…}` with
 * a fast-path filter, with or without a condition that needs no trampoline; else 0.
 */
static inline uint32_t hd__dispatch_one_command(const struct hd_snap_list *l)
{
    return l->count == 1 ? hd_snap_list_records(l)->one : 0;
}

/* ---- out of line (dispatch_leaf.c, dispatch_lists.c, dispatch_hooks.c) ------------------ */

/*
 * The usual pre pass's walk of one short list @l (internal/dispatch_entry.h: hd__walkable())
 * that starts with a leaf record (hd_snap_entry.leaf), counted into @verdict: _pre then ends
 * the hold (the two-call form tail-calls it), _exit does not (the one-call form runs the
 * handling first).
 */
enum hd_status hd__dispatch_leaf_pre(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                     struct hd_verdict *verdict, const struct hd_snap_list *l)
    __attribute__((__noinline__));
/*
 * The list of one command (hd__dispatch_one_command()), run in a frame of its own by the
 * entry form, its action and whether it has a condition; each ends the hold, the one-call
 * form's after the handling. @hold_end: the entry's hd__dispatch_hold_seq(), handed down
 * because the entry had the core at hand.
 */
enum hd_status hd__dispatch_command_pre(struct hd_engine *e, struct hd_vcpu *vcpu,
                                        void *context, struct hd_verdict *verdict,
                                        const struct hd_snap_list *l, uint64_t *hold_end)
    __attribute__((__noinline__));
enum hd_status hd__dispatch_command_cond_pre(struct hd_engine *e, struct hd_vcpu *vcpu,
                                             void *context, struct hd_verdict *verdict,
                                             const struct hd_snap_list *l, uint64_t *hold_end)
    __attribute__((__noinline__));
enum hd_status hd__dispatch_filter_pre(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                       struct hd_verdict *verdict, const struct hd_snap_list *l,
                                       uint64_t *hold_end)
    __attribute__((__noinline__));
enum hd_status hd__dispatch_command_exit(struct hd_engine *e, struct hd_vcpu *vcpu,
                                         void *context, const struct hd_exit_call *call,
                                         const struct hd_snap_list *l, uint64_t *hold_end)
    __attribute__((__noinline__));
enum hd_status hd__dispatch_command_cond_exit(struct hd_engine *e, struct hd_vcpu *vcpu,
                                              void *context, const struct hd_exit_call *call,
                                              const struct hd_snap_list *l, uint64_t *hold_end)
    __attribute__((__noinline__));
enum hd_status hd__dispatch_filter_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                                        const struct hd_exit_call *call,
                                        const struct hd_snap_list *l, uint64_t *hold_end)
    __attribute__((__noinline__));
void hd__dispatch_leaf_exit(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                            struct hd_verdict *verdict, const struct hd_snap_list *l)
    __attribute__((__noinline__));

/*
 * max_hits: take one of the event's runs, across all cores, with the dispatch path's only
 * locked instruction. @return false when all were taken (the event is spent: it does not run).
 */
bool hd__dispatch_gate(struct hd_pass *p, const struct hd_snap_entry *en)
    __attribute__((__noinline__));

/* deny ud / deny rax: the event's verdict, once it ran (never on own hypercalls, S14). */
void hd__dispatch_deny(struct hd_pass *p, const struct hd_snap_entry *en)
    __attribute__((__noinline__));


/*
 * Every event of one list, by the general path (a long one chunk by chunk). Out of line so
 * that the entries' frames do not hold a struct hd_hook on the way to the merge's and the
 * protected copy's (the stack bound of docs/c-api.md).
 */
void hd__dispatch_list(struct hd_pass *p, const struct hd_snap_list *l)
    __attribute__((__noinline__));

/*
 * The pass when events have more than one key shape, or the call is the hypervisor's own:
 * probe each shape's key, merge the lists by tag (S8), and for an own hypercall run the hooks
 * on a copy of the registers (S14). @return whether the set holds post events for this exit.
 */
bool hd__dispatch_lists(struct hd_pass *p, uintptr_t word) __attribute__((__noinline__));

/* What native hooks receive; built only when an event has one. */
void hd__dispatch_hook_fill(struct hd_hook *hook, const struct hd_pass *p,
                            const struct hd_snap_entry *en);

/* Break, native and script actions: out of the raw-code path's way. */
void hd__dispatch_other_action(struct hd_pass *p, const struct hd_snap_entry *en,
                               const struct hd_snap_action *a, uint8_t *buffer,
                               struct hd_hook *hook, bool *hooked) __attribute__((__noinline__));

/* S18: a returned pointer inside this core's buffer makes the rest of the buffer a message. */
void hd__dispatch_deliver(struct hd_engine *e, uint32_t core_index,
                          const struct hd_snap_entry *en, const struct hd_snap_action *a,
                          const uint8_t *buffer, const void *returned)
    __attribute__((__noinline__));

/*
 * One event of any kind by the general path, for a walk that met an event that is not raw
 * code (not on the hypervisor's own call: the walk is not used for those).
 */
void hd__dispatch_other_event(struct hd_engine *e, struct hd_vcpu *vcpu, void *context,
                              enum hd_stage stage, struct hd_verdict *verdict,
                              const struct hd_snap_entry *en) __attribute__((__noinline__));

/* The on_action trace (simulators, tests): off in kernels. */
void hd__dispatch_trace(const struct hd_pass *p, const struct hd_snap_entry *en,
                        const struct hd_snap_action *a, uint32_t index)
    __attribute__((__noinline__));

/* HD_VCPU_PID_LAZY: ask the backend for the pid, store it in the record (vcpu.h). */
uint32_t hd__dispatch_ask_pid(const struct hd_engine *e, struct hd_vcpu *vcpu)
    __attribute__((__noinline__));

/* The exit's pid, asked for the first time it is needed (HD_VCPU_PID_LAZY). */
static inline uint32_t hd__dispatch_pid(const struct hd_engine *e, struct hd_vcpu *vcpu)
{
    return (vcpu->flags & HD_VCPU_PID_LAZY) ? hd__dispatch_ask_pid(e, vcpu) : vcpu->pid;
}

/* The lists of the key of shape @shape (bit 1: core is all, bit 0: pid is all) that takes an
 * exit of @core_index and @pid (unused when the shape does not filter on it). */
static inline __attribute__((__always_inline__)) struct hd_found
hd__dispatch_find_shape(const struct hd_engine *e, uintptr_t word, uint32_t shape,
                        uint32_t core_index, uint32_t pid)
{
    return hd__dispatch_find(e, word, hd_snap_key(shape & 2u ? HD_ALL : core_index,
                                                  shape & 1u ? HD_ALL : pid));
}

/* The `nr` form's usual answer: @slot's plain pre list, when no other event exists; else
 * NULL. */
static inline const struct hd_snap_list *hd__dispatch_nr_plain(const struct hd_snap_nr *w,
                                                               uintptr_t slot)
{
    return (slot & HD_SNAP_NR_PLAIN) && !hd_snap_shapes(w->inner)
               ? (const struct hd_snap_list *)(slot - HD_SNAP_NR_PLAIN)
               : NULL;
}

/*
 * The lists of this exit in the `nr` form's word @word (snapshot.h): the number's plain pre
 * list when no other event exists (the usual `nr` set: events on numbers, no core or pid
 * filter); one bucket that takes this exit, likewise; the other events alone when no `nr`
 * event names @nr (*@inner: look them up as without `nr`); anything else merges.
 */
static inline __attribute__((__always_inline__)) struct hd_found
hd__dispatch_nr_find(const struct hd_engine *e, uintptr_t word, uint32_t core_index,
                     struct hd_vcpu *vcpu, uint64_t nr, uintptr_t *inner)
{
    const struct hd_snap_nr *w = (const struct hd_snap_nr *)hd_snap_node(word);
    uintptr_t slot = hd_snap_nr_find(w, nr);
    struct hd_found none = {NULL, NULL}, merge = {HD_LOOKUP_MERGE, NULL};
    const struct hd_snap_list *plain = hd__dispatch_nr_plain(w, slot);
    const struct hd_snap_nr_seg *seg;
    const struct hd_snap_bucket *b;
    uint32_t kc, kp;

    *inner = 0;
    if (!slot) {
        *inner = w->inner; /* the caller looks the other events up as without `nr` */
        return none;
    }
    if (HD_LIKELY(plain))
        return (struct hd_found){plain, NULL};
    if (hd_snap_shapes(w->inner))
        return merge;
    seg = (const struct hd_snap_nr_seg *)slot;
    if (seg->count != 1)
        return merge;
    b = &seg->buckets[0];
    kc = (uint32_t)(b->key >> 32);
    kp = (uint32_t)b->key;
    if ((kc != HD_ALL && kc != core_index) ||
        (kp != HD_ALL && kp != hd__dispatch_pid(e, vcpu)))
        return none;
    return (struct hd_found){b->pre, b->post};
}

/* The number an exit's `nr` events are looked up by: read once, before any hook runs, and
 * kept for the post pass (the default handling may change the register: rax for KVM). */
static inline uint64_t hd__dispatch_nr(uintptr_t word, const struct hd_vcpu *vcpu)
{
    return hd_snap_is_nr(word)
               ? hd_snap_nr_number((const struct hd_snap_nr *)hd_snap_node(word), vcpu->regs)
               : 0;
}

/*
 * The lists of this exit's key when the events have one key shape (the usual case: all on
 * one core, all for one pid, or all unfiltered); .pre = HD_LOOKUP_MERGE when they have
 * several; both NULL when no event can match. The pid is asked for only when the shape
 * filters on it (HD_VCPU_PID_LAZY).
 */
static inline __attribute__((__always_inline__)) struct hd_found
hd__dispatch_lookup_keys(const struct hd_engine *e, uintptr_t word, uint32_t core_index,
                         struct hd_vcpu *vcpu)
{
    uint32_t shapes = hd_snap_shapes(word), shape;
    struct hd_found none = {NULL, NULL}, merge = {HD_LOOKUP_MERGE, NULL};

    if (HD_UNLIKELY(shapes & (shapes - 1)))
        return merge;
    if (!shapes)
        return none; /* an empty set, published after the armed test */
    shape = (uint32_t)__builtin_ctz(shapes);
    return hd__dispatch_find_shape(e, word, shape, core_index,
                                   shape & 1u ? HD_ALL : hd__dispatch_pid(e, vcpu));
}

/*
 * hd__dispatch_lookup_keys(), and the `nr` form (snapshot.h): its word has no key shape
 * bits, so it turns off where an empty set does, and the lookup of an engine without `nr`
 * events is the same instructions as before they existed. @nr: the number the pre pass read
 * (the post pass's), or NULL to read it from the registers now.
 */
static inline __attribute__((__always_inline__)) struct hd_found
hd__dispatch_lookup(const struct hd_engine *e, uintptr_t word, uint32_t core_index,
                    struct hd_vcpu *vcpu, const uint64_t *nr)
{
    uint32_t shapes = hd_snap_shapes(word);
    struct hd_found merge = {HD_LOOKUP_MERGE, NULL}, f;
    uintptr_t inner;

    if (HD_UNLIKELY(shapes & (shapes - 1)))
        return merge;
    if (HD_LIKELY(shapes) || !hd_snap_is_nr(word))
        return hd__dispatch_lookup_keys(e, word, core_index, vcpu);
    f = hd__dispatch_nr_find(e, word, core_index, vcpu,
                             nr ? *nr
                                : hd_snap_nr_number((const struct hd_snap_nr *)hd_snap_node(word),
                                                    vcpu->regs),
                             &inner);
    return inner ? hd__dispatch_lookup_keys(e, inner, core_index, vcpu) : f;
}


/*
 * The lookup of the usual set, with no call of its own: events of one key shape, whose pid
 * the record holds when the shape filters on one (the caller asks for a lazy pid first:
 * hd__dispatch_needs_pid()); or the `nr` form's plain list of the exit's number, with no
 * other event. @return false for any other set (several
 * shapes, any other `nr` case, an empty set), which hd__dispatch_lookup() takes, in a frame;
 * else *@f is the answer (both NULL: no event can match).
 */
static inline __attribute__((__always_inline__)) bool
hd__dispatch_lookup_plain(const struct hd_engine *e, uintptr_t word, const struct hd_vcpu *vcpu,
                          struct hd_found *f)
{
    uint32_t shapes = hd_snap_shapes(word);

    if (HD_UNLIKELY(!shapes)) { /* the `nr` form, or an empty set */
        const struct hd_snap_nr *w = (const struct hd_snap_nr *)hd_snap_node(word);
        if (!hd_snap_is_nr(word))
            return false;
        f->pre = hd__dispatch_nr_plain(w, hd_snap_nr_find(w, hd_snap_nr_number(w, vcpu->regs)));
        f->post = NULL;
        return f->pre != NULL;
    }
    if (HD_UNLIKELY(shapes & (shapes - 1)))
        return false;
    *f = hd__dispatch_find_shape(e, word, (uint32_t)__builtin_ctz(shapes), vcpu->core,
                                 vcpu->pid);
    return true;
}

/* Whether hd__dispatch_lookup_plain() needs the pid asked for first (HD_VCPU_PID_LAZY). */
static inline bool hd__dispatch_needs_pid(uintptr_t word, const struct hd_vcpu *vcpu)
{
    /* Not marked unlikely: the VMX layer leaves the pid to the dispatcher on every exit
     * unless its glue reads the record afterwards. */
    return (vcpu->flags & HD_VCPU_PID_LAZY) && (hd_snap_shapes(word) & HD_SNAP_SHAPES_PID);
}

/* ---- one event ----------------------------------------------------------------------- */

static inline void hd__dispatch_bump(uint64_t *counter)
{
    /* Only this core writes its counter line: a load and a store, never a locked add. */
    hd_store_relaxed(counter, hd_load_relaxed(counter) + 1);
}

/*
 * One event: its condition, then its actions in order (S6, S7), counted on this core's line.
 * Inlined into each walk: with the lookup, the walk and this in one function, an exit with a
 * raw-code event makes no call but those into the code.
 */
static inline __attribute__((__always_inline__)) void
hd__dispatch_event(struct hd_pass *p, const struct hd_snap_entry *en)
{
    struct hd_counters *counters = hd__counters_at(en->counters, p->core_index);
    const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);
    struct hd_hook hook;
    bool hooked = false; /* hook is filled */

    if (HD_UNLIKELY(p->protected_call))
        *p->regs = *p->guest; /* S14: every event sees the real values, not earlier edits */
    if (en->condition != HD_SNAP_COND_NONE) {
        uint64_t holds;
        if (HD_LIKELY(en->condition == HD_SNAP_COND_LEAF)) {
            holds = hd__arch_call_leaf(en->cond.code, (uintptr_t)p->regs,
                                      (uintptr_t)p->context, 0);
        } else if (en->condition == HD_SNAP_COND_RAW) {
            holds = hd__arch_call_raw(en->cond.code, (uintptr_t)p->regs, (uintptr_t)p->context,
                                     0);
        } else {
            hd__dispatch_hook_fill(&hook, p, en);
            hooked = true;
            holds = en->cond.native->fn(&hook);
        }
        if (!holds) {
            hd__dispatch_bump(&counters->condition_false); /* S6: no action runs */
            return;
        }
    }
    hd__dispatch_bump(&counters->held);
    if (HD_UNLIKELY(en->extra & HD_EVENT_EXTRA_LIMIT) && !hd__dispatch_gate(p, en))
        return; /* max_hits: spent */
    p->verdict->fired++;
    if (HD_UNLIKELY(p->record != NULL))
        hd__record_fired(p->record, en->tag);

    for (uint32_t i = 0; i < en->action_count; i++, a++) { /* S7: in the order given */
        /* Per-core buffers, each rounded up to whole lines (event.c): no shared lines. */
        uint8_t *buffer = a->buffer_size ? a->buffers + (size_t)p->core_index *
                                                            hd_align_up(a->buffer_size, HD_CACHELINE)
                                         : NULL;
        if (HD_LIKELY(a->type <= HD_SNAP_ACTION_CODE)) {
            const void *returned =
                (const void *)(uintptr_t)(a->type == HD_SNAP_ACTION_LEAF
                                              ? hd__arch_call_leaf(a->run.code, (uintptr_t)buffer,
                                                                  (uintptr_t)p->regs,
                                                                  (uintptr_t)p->context)
                                              : hd__arch_call_raw(a->run.code, (uintptr_t)buffer,
                                                                 (uintptr_t)p->regs,
                                                                 (uintptr_t)p->context));
            if (returned && buffer)
                hd__dispatch_deliver(p->e, p->core_index, en, a, buffer, returned);
        } else {
            hd__dispatch_other_action(p, en, a, buffer, &hook, &hooked);
        }
        if (HD_UNLIKELY(p->e->on_action != NULL))
            hd__dispatch_trace(p, en, a, i);
    }

    if (HD_UNLIKELY(en->extra & HD_EVENT_EXTRA_DENY))
        hd__dispatch_deny(p, en);
    /* S12: any event that fired may short-circuit (OR, not last writer); S14: never own calls. */
    if ((en->short_circuit || (hooked && hook.short_circuit)) && p->stage == HD_STAGE_PRE &&
        !p->protected_call)
        p->verdict->flags |= HD_VERDICT_SHORT_CIRCUIT;
}

/* What hd__dispatch_raw_event() reports, as bits: no local's address is taken, so the walk
 * keeps everything in registers (and an ASan build gives its frame no poisoned redzone). */
#define HD_RAW_FIRED 1u /* its condition held, or it had none */
#define HD_RAW_SC 2u    /* a filter said event_sc(1) */

/*
 * One event made of raw code and fast-path script filters alone (hd_snap_entry.raw): what
 * hd__dispatch_event() does for it, with nothing but scalars, so that a walk of such events
 * keeps its state in registers. Only for an ordinary exit's pre pass (not the hypervisor's
 * own call), so a filter's event_sc(1) counts as a hook's short-circuit (S12).
 * @return HD_RAW_* bits.
 */
static inline __attribute__((__always_inline__)) uint32_t
hd__dispatch_raw_event(struct hd_engine *e, uint32_t core_index, struct hd_vcpu *vcpu,
                       struct hd_guest_regs *regs, void *context,
                       const struct hd_snap_entry *en)
{
    uint32_t result = HD_RAW_FIRED;

    struct hd_counters *counters = hd__counters_at(en->counters, core_index);
    const struct hd_snap_action *a = (const struct hd_snap_action *)(en + 1);

    if (en->condition != HD_SNAP_COND_NONE &&
        !(HD_LIKELY(en->condition == HD_SNAP_COND_LEAF)
              ? hd__arch_call_leaf(en->cond.code, (uintptr_t)regs, (uintptr_t)context, 0)
              : hd__arch_call_raw(en->cond.code, (uintptr_t)regs, (uintptr_t)context, 0))) {
        hd__dispatch_bump(&counters->condition_false); /* S6: no action runs */
        return 0;
    }
    hd__dispatch_bump(&counters->held);
    for (uint32_t i = en->action_count; i; i--, a++) { /* S7: in the order given */
        uint8_t *buffer = a->buffer_size ? a->buffers + (size_t)core_index *
                                                            hd_align_up(a->buffer_size, HD_CACHELINE)
                                         : NULL;
        const void *returned;
        if (HD_UNLIKELY(a->type == HD_SNAP_ACTION_FILTER)) { /* its compares, right here */
            if (hd__script_filter(a->run.script, (const uint64_t *)(const void *)regs,
                                  hd__dispatch_pid(e, vcpu), core_index))
                result |= HD_RAW_SC; /* judged as a hook's short-circuit (S12) */
            continue;
        }
        returned = (const void *)(uintptr_t)(
            HD_LIKELY(a->type == HD_SNAP_ACTION_LEAF)
                ? hd__arch_call_leaf(a->run.code, (uintptr_t)buffer, (uintptr_t)regs,
                                     (uintptr_t)context)
                : hd__arch_call_raw(a->run.code, (uintptr_t)buffer, (uintptr_t)regs,
                                    (uintptr_t)context));
        if (HD_UNLIKELY(returned && buffer))
            hd__dispatch_deliver(e, core_index, en, a, buffer, returned);
    }
    return result;
}

/*
 * Run the pass's events found in @f (or, for HD_LOOKUP_MERGE, of every key shape, merged —
 * also for the hypervisor's own call, whose hooks work on a copy). @return whether the set
 * holds post events for this exit. The general path: every kind of event, tracing, chunks.
 */
static inline __attribute__((__always_inline__)) bool
hd__dispatch_found(struct hd_pass *p, uintptr_t word, struct hd_found f)
{
    const struct hd_snap_list *l;

    if (HD_UNLIKELY(f.pre == HD_LOOKUP_MERGE || p->protected_call)) {
        if (p->protected_call)
            p->verdict->flags |= HD_VERDICT_PROTECTED;
        return hd__dispatch_lists(p, word);
    }
    l = p->stage == HD_STAGE_POST ? f.post : f.pre;
    if (l)
        hd__dispatch_list(p, l);
    return f.post != NULL;
}

#endif /* HDEVENT_INTERNAL_DISPATCH_H */
