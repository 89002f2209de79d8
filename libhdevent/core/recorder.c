/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder (recorder.h): per-core rings of exit records. One producer per ring
 * (its core, in dispatch) and one reader (hd_recorder_read, under the writer lock), so, as
 * with the message queues, free-running counters published with release stores and no
 * locked instruction. Unlike them a full ring overwrites its oldest record — the newest
 * exits are the ones a user wants — so the reader copies a record and then checks that the
 * producer had not yet started to overwrite it; a copy that lost the race is dropped.
 */
#include "internal/engine.h"

static uint32_t round_up_pow2(uint32_t v)
{
    uint32_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

enum hd_status hd__record_alloc(struct hd_engine *e, uint32_t slots)
{
    size_t per_core;
    uint8_t *rings;

    if (e->records_raw)
        return HD_OK;
    slots = round_up_pow2(slots + 1); /* one more: the slot being written is not kept */
    per_core = (size_t)slots * sizeof(struct hd_exit_record);
    e->records_raw = hd__alloc(e, per_core * e->core_count + HD_CACHELINE);
    if (!e->records_raw)
        return HD_ERR_NO_MEMORY;
    rings = (uint8_t *)hd_align_up((uintptr_t)e->records_raw, HD_CACHELINE);
    e->record_slots = slots;
    for (uint32_t c = 0; c < e->core_count; c++)
        e->cores[c].records = (struct hd_exit_record *)(void *)(rings + per_core * c);
    return HD_OK;
}

struct hd_exit_record *hd__record_begin(struct hd_engine *e, struct hd_core *core,
                                        const struct hd_vcpu *vcpu)
{
    uint32_t head = core->record_head;
    struct hd_exit_record *rec = &core->records[head & (e->record_slots - 1)];

    rec->before = *vcpu->regs;
    rec->rip = vcpu->rip;
    rec->sequence = head;
    rec->core = vcpu->core;
    rec->insn_len = vcpu->insn_len;
    rec->cpl = vcpu->cpl;
    rec->fired_count = 0;
    return rec;
}

/* The record's HD_RECORD_* flags from a pre pass verdict. */
static uint8_t record_flags(uint32_t pre, bool post_ran, bool default_handled)
{
    uint8_t flags = 0;

    if (pre & HD_VERDICT_SHORT_CIRCUIT)
        flags |= HD_RECORD_SHORT_CIRCUIT;
    if (post_ran)
        flags |= HD_RECORD_POST_RAN;
    if (pre & HD_VERDICT_PROTECTED)
        flags |= HD_RECORD_PROTECTED;
    if (default_handled)
        flags |= HD_RECORD_DEFAULT_HANDLED;
    if (pre & HD_VERDICT_DENY_UD)
        flags |= HD_RECORD_DENY_UD;
    return flags;
}

/* The core's record at record_head is whole: the reader may take it. */
static void publish(struct hd_core *core)
{
    hd_store_release(&core->record_head, core->record_head + 1); /* the reader sees it whole */
}

void hd__record_end(struct hd_core *core, struct hd_exit_record *rec,
                    const struct hd_vcpu *vcpu, const struct hd_exit *out)
{
    rec->after = *vcpu->regs;
    rec->pid = vcpu->pid; /* resolved by then whenever a hook or the lookup needed it */
    rec->flags = record_flags(out->pre.flags, out->post_ran, out->default_handled);
    rec->reserved_ = 0;
    publish(core);
}

/*
 * A two-call pre pass is done: what it knows goes into the record now. The backend runs its
 * handling unless the pass short-circuited it (S12), so that is what DEFAULT_HANDLED says.
 */
void hd__record_leave_open(struct hd_core *core, struct hd_exit_record *rec,
                           const struct hd_vcpu *vcpu, uint32_t pre_flags)
{
    rec->pid = vcpu->pid;
    rec->flags = record_flags(pre_flags, false, !(pre_flags & HD_VERDICT_SHORT_CIRCUIT));
    rec->reserved_ = 0;
    core->record_open = true;
}

void hd__record_close(struct hd_engine *e, struct hd_core *core,
                      const struct hd_guest_regs *after, bool post_ran)
{
    struct hd_exit_record *rec = hd__record_open(e, core);

    if (after) {
        rec->after = *after;
    } else {
        hd_memset(&rec->after, 0, sizeof(rec->after));
        rec->flags |= HD_RECORD_AFTER_UNKNOWN;
    }
    if (post_ran)
        rec->flags |= HD_RECORD_POST_RAN;
    core->record_open = false;
    publish(core);
}

enum hd_status hd_recorder_set(struct hd_engine *engine, bool on)
{
    enum hd_status st = HD_OK;

    if (!engine)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    if (on)
        st = hd__record_alloc(engine, HD_RECORD_SLOTS_DEFAULT);
    if (!HD_FAILED(st))
        hd_store_release(&engine->recording, (uint8_t)(on ? 1 : 0));
    hd__writer_unlock(engine);
    return st;
}

bool hd_recorder_on(const struct hd_engine *engine)
{
    return engine && hd_load_relaxed(&engine->recording) != 0;
}

/* Copy @core's oldest record into @out if it is still whole; false when none is. */
static bool take(struct hd_engine *e, struct hd_core *core, struct hd_exit_record *out)
{
    for (;;) {
        uint32_t head = hd_load_acquire(&core->record_head);
        uint32_t tail = core->record_tail;

        if (head == tail)
            return false;
        if (head - tail > e->record_slots - 1) { /* overwritten before we came */
            core->record_dropped += head - tail - (e->record_slots - 1);
            tail = head - (e->record_slots - 1);
        }
        hd_memcpy(out, &core->records[tail & (e->record_slots - 1)], sizeof(*out));
        /* The producer writes the slot of position head before it publishes head + 1, so
         * the copy is whole if head had not reached tail + slots (the position that reuses
         * this slot) when the copy ended — which is why a ring keeps slots - 1 records and
         * the check above skips to them. x86 keeps loads in order,
         * so only the compiler must not move the copy past the load of head. */
        __asm__ __volatile__("" ::: "memory");
        head = hd_load_acquire(&core->record_head);
        if (head - tail < e->record_slots) {
            hd_store_release(&core->record_tail, tail + 1);
            return true;
        }
        core->record_dropped++; /* lost the race: this one is gone, try the next */
        hd_store_release(&core->record_tail, tail + 1);
    }
}

enum hd_status hd_recorder_read(struct hd_engine *engine, struct hd_exit_record *out)
{
    enum hd_status st = HD_EMPTY;

    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    hd__writer_lock(engine);
    for (uint32_t i = 0; engine->records_raw && i < engine->core_count; i++) {
        uint32_t c = (engine->record_cursor + i) % engine->core_count;
        if (take(engine, &engine->cores[c], out)) {
            engine->record_cursor = (c + 1) % engine->core_count;
            st = HD_OK;
            break;
        }
    }
    hd__writer_unlock(engine);
    return st;
}

enum hd_status hd_recorder_stats(struct hd_engine *engine, uint32_t core,
                                 struct hd_recorder_stats *out)
{
    struct hd_core *c;
    uint32_t head, queued;

    if (!engine || !out)
        return HD_ERR_INVALID_ARGUMENT;
    if (core >= engine->core_count)
        return HD_ERR_INVALID_CORE;
    c = &engine->cores[core];
    hd__writer_lock(engine); /* the tail and the drop count are the reader's */
    head = hd_load_acquire(&c->record_head);
    queued = head - c->record_tail;
    out->dropped = c->record_dropped;
    if (engine->record_slots && queued > engine->record_slots - 1) {
        out->dropped += queued - (engine->record_slots - 1);
        queued = engine->record_slots - 1;
    }
    out->queued = queued;
    out->recorded = head;
    hd__writer_unlock(engine);
    return HD_OK;
}
