/* SPDX-License-Identifier: MIT */
/*
 * The engine's private structures, shared by the core's files and nobody else.
 *
 * Three kinds of memory, with three owners:
 *   - writer state (struct hd_registry): the events in tag order, their enabled flags and
 *     action lists; touched only by writers under the backend's lock;
 *   - snapshots (snapshot.h): immutable indexes of the enabled events, changed by a writer
 *     by copying the path to what changed and published with one release store; the only
 *     thing dispatch reads;
 *   - per-core state (struct hd_core): written by the dispatching core alone.
 * Event and action objects are shared by the registry and the snapshots that point at them;
 * a cleared event is freed once no core can still read a snapshot that pointed at it.
 */
#ifndef HDEVENT_INTERNAL_ENGINE_H
#define HDEVENT_INTERNAL_ENGINE_H

#include <hdevent/hdevent.h>

#include "script.h"
#include "snapshot.h"

/* ---- per-core state -------------------------------------------------------------------- */

/* The one-call form's handling (hd_dispatch_vmcall_exit()), handed to its runners in one
 * pointer. */
struct hd_exit_call {
    hd_vmcall_handler handle;
    void *user;
    struct hd_exit *out;
};

/*
 * Three lines. The first is what every exit reads and what other CPUs read too: writers
 * (seq, may_match, word) and the message and record readers (ring_head, record_head). The
 * second is the core's own, which no other CPU reads: what one exit hands to a later step of
 * itself. The third is the reader's.
 */
struct hd_core {
    /*
     * Dispatch sequence: odd while the core holds a snapshot — with counter grace periods
     * during every armed exit (pre pass until the end of the post pass), with IPI grace
     * periods only while a two-call exit waits for its post pass — even otherwise. Writers
     * wait for it to move before freeing what it may use (snapshot_retire.c).
     */
    uint64_t seq;
    bool post_pending;
    bool exit_protected;                    /* the pre pass's own-hypercall verdict */
    /*
     * Non-zero when an enabled event may match an exit on this core: the published set has
     * an event on every core, one on this one, or a form the writer does not look into
     * (snapshot.c: core_word()). Written by writers, after the words, only when it changes;
     * the entries' short way tests it instead of the engine's `armed`, so an exit on a core
     * no event names leaves before it holds a snapshot.
     */
    uint8_t may_match;
    bool record_open;                       /* recorder.c: a two-call exit's record, unended */
    uint32_t ring_head;                     /* next slot the producer writes */
    /*
     * This core's own direct list, or 0: when every enabled event is bound to a core and
     * takes any pid, the copy of this core's one key's list (snapshot.c: core_word()), which
     * an exit reads once the engine's word says the set is of that shape
     * (hd__core_own_word()): it finds its events as a one-key set's, with no hash and no
     * bucket, however many events the other cores have. Written by writers after the engine's
     * word and before may_match, only when it changes; read after the core's hold began, so
     * a grace period covers the list.
     */
    uintptr_t word;
    uint64_t ring_dropped;                  /* S20 */
    uint8_t *ring;                          /* slots of this core's message queue */
    uint32_t record_head;                   /* recorder.c: next record the core writes */
    struct hd_exit_record *records;         /* recorder.c: this core's ring, NULL: none yet */
    /*
     * The one-call exit in flight (dispatch_exit.c): the handling and the caller's struct
     * hd_exit, kept here rather than in the entry's frame, which then needs none and jumps to
     * the walk. Written only by an exit that holds a snapshot or takes the slow way, on a
     * line no other CPU reads; the next such exit overwrites it (one exit per core is in
     * flight: dispatch.h), and nothing reads it between exits.
     */
    _Alignas(HD_CACHELINE) struct hd_exit_call exit_call;
    uintptr_t exit_word;                    /* the pre pass's set, for the post pass */
    uint64_t exit_nr;                       /* the pre pass's hypercall number, for the post */
    /* Next slot the reader takes: written by the reader, so on a line of its own. */
    _Alignas(HD_CACHELINE) uint32_t ring_tail;
    uint32_t record_tail;                   /* next record the reader takes */
    uint64_t record_dropped;                /* records overwritten before they were read */
};
HD__STATIC_ASSERT(offsetof(struct hd_core, exit_call) == HD_CACHELINE &&
                      offsetof(struct hd_core, ring_tail) == 2 * HD_CACHELINE,
                  "hd_core: the shared line, the core's own, the reader's");
HD__STATIC_ASSERT(sizeof(struct hd_core) == 3 * HD_CACHELINE, "hd_core is three cache lines");

/* Message slot header; the payload follows it. */
struct hd_msg_slot {
    uint64_t tag;
    uint32_t size;       /* full size of the message */
    uint32_t stored;     /* bytes stored in the slot */
    uint8_t immediate;
    uint8_t kind;        /* enum hd_message_kind */
    uint8_t pad_[2];
    int32_t status;      /* HD_MESSAGE_SCRIPT_ERROR: the status */
};
HD__STATIC_ASSERT(sizeof(struct hd_msg_slot) == 24, "message slot header");

/* ---- engine --------------------------------------------------------------------------- */

/* Writer state of the current snapshot: counts the incremental changes keep up to date. */
struct hd_index {
    uint32_t keys;            /* keys with a bucket, over every shard */
    uint32_t shape_keys[4];   /* of those, keys of each shape (hd_snap_shape) */
    uint32_t events;          /* events in the snapshot: armed while not 0 */
};

struct hd_retire_batch;       /* snapshot_retire.c */

/* Writer state: every registered event, enabled or not. */
struct hd_registry {
    struct hd_ptrs events;    /* struct hd_event *, in tag order */
    uint64_t next_tag;        /* S19: the lowest tag registration accepts */
};

static inline struct hd_event *hd__registry_event(const struct hd_registry *reg, uint32_t i)
{
    return (struct hd_event *)reg->events.at[i];
}

/* How writers know a core no longer reads a retired snapshot (snapshot_retire.c). */
enum hd_grace {
    /* Per-core sequence numbers; each armed exit fences between marking itself and loading
     * the snapshot (MFENCE: the backend offers nothing better). */
    HD_GRACE_FENCE = 0,
    /* Per-core sequence numbers without the fence: writers make every core execute a
     * barrier instead (ops.barrier_every_core, e.g. Linux membarrier). */
    HD_GRACE_BARRIER = 1,
    /* An IPI to every core (ops.run_on_every_core): exits touch no sequence number. */
    HD_GRACE_IPI = 2,
};

struct hd_engine {
    /*
     * Read on every dispatch, and nothing else: one cache line (the engine is placed at a
     * line boundary), so a cold exit misses once here. `armed` is the first byte: the public
     * hd_vmcall_armed() (dispatch.h) reads it inline. The ops members are copies of the
     * backend's, taken at creation.
     */
    uint8_t armed;                    /* a snapshot with at least one event is published */
    uint8_t grace;                    /* enum hd_grace, fixed at creation */
    /*
     * What sends every exit the slow way (internal/dispatch_entry.h: hd__plain_exit()), both
     * tested by the short way with one load of slow_way: recording on (recorder.c: exits are
     * recorded), or a backend's own-hypercall predicate or action trace (hooked, fixed at
     * creation). A writer stores `recording` alone, a byte; the short way's 16-bit relaxed
     * load of both relies on what GCC, Clang and MSVC do on x86-64 (a plain, single-copy
     * atomic load of an aligned word), as the kernels' READ_ONCE of a union would.
     */
    union {
        struct {
            uint8_t recording;
            uint8_t hooked;
        };
        uint16_t slow_way;
    };
    uint32_t core_count;
    uintptr_t current_word;           /* the current snapshot, as dispatch reads it first
                                       * (snapshot.h; then hd_core.word for per-core sets) */
    struct hd_core *cores;
    uint64_t hash_mult;               /* the snapshot hash's key (odd, per engine: snapshot.h) */
    void *user;                       /* ops.user */
    bool (*is_own_hypercall)(void *user, const struct hd_vcpu *vcpu);
    void (*on_action)(void *user, const struct hd_action_info *info);
    void (*on_break)(void *user, const struct hd_break_info *info);

    /* Read when a hook delivers a message, or a native hook reads the engine. */
    _Alignas(HD_CACHELINE) uint32_t message_slots; /* power of two */
    uint32_t slot_bytes;              /* header + message_max, 8-aligned */
    uint32_t message_max;
    struct hd_backend_ops ops;        /* copy; members past the backend's size are NULL */

    /* Writer state. */
    void *raw;                        /* the allocation the engine is placed in */
    void *cores_raw;
    void *rings;
    uintptr_t tree_word;              /* the current snapshot's tree (snapshot.c) */
    struct hd_registry registry;
    struct hd_index index;            /* what the current snapshot holds (snapshot.c) */
    struct hd_budget used;            /* what live objects hold: charged and freed in event.c */
    struct hd_budget limit;           /* hd_engine_config's budget */
    struct hd_counter_block *counters_partial[2]; /* counters.c: blocks with a free slot,
                                                   * [1] those with shared lines (extra) */
    struct hd_retire_batch *retire_head; /* oldest first; the tail may be open */
    struct hd_retire_batch *retire_tail;
    uint32_t read_cursor;             /* next core hd_message_read looks at */
    uint32_t record_slots;            /* recorder.c: records a core's ring holds (power of 2) */
    uint32_t record_cursor;           /* next core hd_recorder_read looks at */
    void *records_raw;                /* recorder.c: every core's ring, one allocation */
    uint32_t nr_reg;                  /* the hypercall number's register (ops.nr_register) */
    const struct hd_snap_nr_table *nr_table; /* the current `nr` index (snapshot_nr.c), or NULL */
    uint32_t script_globals;          /* hd_engine_config.script_globals */
    struct hd_script_state *script;   /* NULL until the first script action (script_load.c) */
};

HD__STATIC_ASSERT(offsetof(struct hd_engine, armed) == offsetof(struct hd_engine_head, armed),
                 "hd_vmcall_armed() reads the engine's first byte");
HD__STATIC_ASSERT(offsetof(struct hd_engine, hooked) == offsetof(struct hd_engine_head, hooked),
                 "hd_vmcall_own() reads `hooked` inline");
HD__STATIC_ASSERT(offsetof(struct hd_engine, on_break) + sizeof(void *) <= HD_CACHELINE,
                 "the engine's dispatch-read fields fit one cache line");

/*
 * message.c: the one reader of the queues. Copy the next message (cores in turn, as
 * hd_message_read documents) into @data and take it off its queue — unless @accept, called
 * after the copy under the writer lock, says no: then the message stays queued and the call
 * returns HD_ERR_BUFFER_TOO_SMALL. A reader whose copy onward can fail (a user buffer) takes a
 * message only once it is safely where it goes.
 */
typedef bool (*hd__message_accept_fn)(void *user, const struct hd_message_info *info);
enum hd_status hd__message_take(struct hd_engine *e, struct hd_message_info *info, void *data,
                                uint32_t capacity, hd__message_accept_fn accept, void *user);

/* message.c: queue a message on @core's ring (dispatch path; drops it when full, S20). */
void hd__message_push(struct hd_engine *e, struct hd_core *core, uint64_t tag, bool immediate,
                     const uint8_t *data, uint32_t size);

/*
 * message.c, for messages written in place (script printf): the payload of @core's next free
 * slot, message_max bytes, or NULL when the queue is full (the message is then dropped and
 * counted, S20). Dispatch path; the one producer of the core's ring.
 */
uint8_t *hd__message_begin(struct hd_engine *e, struct hd_core *core);
/* Queue the message begun on @core: @size bytes meant, the first min(size, message_max)
 * written. */
void hd__message_commit(struct hd_engine *e, struct hd_core *core, uint64_t tag, bool immediate,
                        uint8_t kind, enum hd_status status, uint32_t size);

/*
 * recorder.c, for dispatch (recording on): start @core's next record — the exit as it
 * arrives — in place in its ring; finish it when the exit is done. Dispatch path.
 */
struct hd_exit_record *hd__record_begin(struct hd_engine *e, struct hd_core *core,
                                        const struct hd_vcpu *vcpu);
void hd__record_end(struct hd_core *core, struct hd_exit_record *rec,
                    const struct hd_vcpu *vcpu, const struct hd_exit *out);
/*
 * The two-call form (recorder.h): the pre pass leaves its record open (the verdict of the
 * pass, @pre_flags, in it); the call that ends the exit closes it with the registers after
 * (@after), or the core's next exit with NULL: after unknown. The open record is the slot of
 * the core's record_head, which only closing publishes.
 */
void hd__record_leave_open(struct hd_core *core, struct hd_exit_record *rec,
                           const struct hd_vcpu *vcpu, uint32_t pre_flags);
static inline struct hd_exit_record *hd__record_open(const struct hd_engine *e,
                                                     const struct hd_core *core)
{
    return core->record_open ? &core->records[core->record_head & (e->record_slots - 1)] : NULL;
}
void hd__record_close(struct hd_engine *e, struct hd_core *core,
                      const struct hd_guest_regs *after, bool post_ran);
/* An event fired in a recorded exit (internal/dispatch.h). */
static inline void hd__record_fired(struct hd_exit_record *rec, uint64_t tag)
{
    if (rec->fired_count < HD_RECORD_FIRED_MAX)
        rec->fired[rec->fired_count] = tag;
    rec->fired_count++;
}
/* recorder.c: the rings of @slots records a core (engine creation, or hd_recorder_set). */
enum hd_status hd__record_alloc(struct hd_engine *e, uint32_t slots);

#endif /* HDEVENT_INTERNAL_ENGINE_H */
