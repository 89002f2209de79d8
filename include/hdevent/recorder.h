/* SPDX-License-Identifier: MIT */
/*
 * hdevent/recorder.h — the flight recorder: a per-core ring of the exits an armed engine
 * dispatched, each with the registers before and after, so a recording made on a real machine
 * can be replayed against the same events on the host (issue 19).
 *
 * Recording is on from creation when hd_engine_config.record_slots is not 0, and switched at
 * run time by hd_recorder_set(). Off, it costs the hot path one predictable branch on the
 * engine line dispatch already reads. On, every exit of the one-call form
 * (hd_dispatch_vmcall_exit, the one every in-tree backend uses) of an armed engine writes one
 * record into its core's ring, in place: no allocation, lock or locked instruction. A full
 * ring overwrites its oldest record; the reader counts what it lost (hd_recorder_stats).
 *
 * Exits of the two-call form (hd_dispatch_vmcall, then _post or _end) are recorded too, but
 * only the call that ends an exit knows the registers after it: the post pass when it runs,
 * else hd_dispatch_vmcall_end(), which a backend that records calls at the end of every exit.
 * An exit that nothing ended is published when the core's next exit starts, marked
 * HD_RECORD_AFTER_UNKNOWN (its `after` registers zero). An exit stopped by
 * hd_dispatch_vmcall_abandon() is not recorded, in either form.
 */
#ifndef HDEVENT_RECORDER_H
#define HDEVENT_RECORDER_H

#include "regs.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

struct hd_engine;

/** Records each core's ring holds when hd_recorder_set() allocates it (no record_slots). */
#define HD_RECORD_SLOTS_DEFAULT 255u
/** Largest hd_engine_config.record_slots. */
#define HD_RECORD_SLOTS_MAX 65535u
/** Tags of fired events a record keeps; fired_count says how many fired in all. */
#define HD_RECORD_FIRED_MAX 8u

/** hd_exit_record.flags */
#define HD_RECORD_SHORT_CIRCUIT 0x1u /**< an event short-circuited the handling (S12) */
#define HD_RECORD_POST_RAN 0x2u      /**< the post pass ran (S10) */
#define HD_RECORD_PROTECTED 0x4u     /**< the hypervisor's own hypercall (S14) */
#define HD_RECORD_DEFAULT_HANDLED 0x8u /**< the exit's handler ran */
#define HD_RECORD_DENY_UD 0x10u        /**< an event said `deny ud`: #UD, RIP not advanced */
/** A two-call exit that neither a post pass nor hd_dispatch_vmcall_end() ended: the registers
 *  after it are not known (`after` is zero). */
#define HD_RECORD_AFTER_UNKNOWN 0x20u
/** Every HD_RECORD_* flag; a record with any other bit is malformed. */
#define HD_RECORD_FLAGS_ALL                                                                    \
    (HD_RECORD_SHORT_CIRCUIT | HD_RECORD_POST_RAN | HD_RECORD_PROTECTED |                      \
     HD_RECORD_DEFAULT_HANDLED | HD_RECORD_DENY_UD | HD_RECORD_AFTER_UNKNOWN)

/** One recorded exit. */
struct hd_exit_record {
    /** Guest registers as the exit arrived. */
    struct hd_guest_regs before;
    /** Guest registers when dispatch returned (hooks and handler done; RIP not advanced);
     *  zero with HD_RECORD_AFTER_UNKNOWN. */
    struct hd_guest_regs after;
    /** Guest RIP of the VMCALL. */
    uint64_t rip;
    /** This core's record number: a gap between two records of a core is what was lost. */
    uint32_t sequence;
    uint32_t core;
    uint32_t pid;
    /** VM-exit instruction length. */
    uint32_t insn_len;
    uint8_t cpl;
    /** HD_RECORD_* bits. */
    uint8_t flags;
    uint16_t reserved_;
    /** Events that fired, pre and post pass together (may exceed HD_RECORD_FIRED_MAX). */
    uint32_t fired_count;
    /** The first min(fired_count, HD_RECORD_FIRED_MAX) of their tags, in the order they ran. */
    uint64_t fired[HD_RECORD_FIRED_MAX];
};

/**
 * Switch recording on or off. On allocates the rings (HD_RECORD_SLOTS_DEFAULT records a core)
 * the first time, unless the engine was created with record_slots; off keeps them (a core may
 * still be writing its last record) until hd_engine_destroy(). Writer context.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT; HD_ERR_NO_MEMORY (recording stays off).
 */
HD_API enum hd_status hd_recorder_set(struct hd_engine *engine, bool on);

/** Whether recording is on. */
HD_API bool hd_recorder_on(const struct hd_engine *engine);

/**
 * Take the oldest record of the next core that has one (cores in turn, as hd_message_read).
 * Records a core overwrote before they were read are skipped and counted as dropped.
 * Writer context (takes the backend's lock).
 * @return HD_OK; HD_EMPTY when no ring holds a record; HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_recorder_read(struct hd_engine *engine, struct hd_exit_record *out);

/** A core's recorder counts. */
struct hd_recorder_stats {
    /** Records waiting in the ring (at most its size). */
    uint32_t queued;
    /** Records written since the engine was created, modulo 2^32. */
    uint64_t recorded;
    /** Records overwritten before the reader took them. */
    uint64_t dropped;
};

/** Counts of @p core's ring. @return HD_OK; HD_ERR_INVALID_CORE; HD_ERR_INVALID_ARGUMENT. */
HD_API enum hd_status hd_recorder_stats(struct hd_engine *engine, uint32_t core,
                                        struct hd_recorder_stats *out);

HD__STATIC_ASSERT(sizeof(struct hd_exit_record) == 352, "a record is HD_WIRE_RECORD_SIZE bytes");
HD__STATIC_ASSERT(offsetof(struct hd_exit_record, rip) == 256, "record.rip");
HD__STATIC_ASSERT(offsetof(struct hd_exit_record, sequence) == 264, "record.sequence");
HD__STATIC_ASSERT(offsetof(struct hd_exit_record, cpl) == 280, "record.cpl");
HD__STATIC_ASSERT(offsetof(struct hd_exit_record, fired_count) == 284, "record.fired_count");
HD__STATIC_ASSERT(offsetof(struct hd_exit_record, fired) == 288, "record.fired");

HD_EXTERN_C_END

#endif /* HDEVENT_RECORDER_H */
