/* SPDX-License-Identifier: MIT */
/*
 * hdevent/backend.h — what a backend provides to the core.
 *
 * Like SQLite's sqlite3_vfs, the struct starts with its size and version and only ever
 * grows at the end: a backend built against an older header keeps working, and the core
 * treats every member past `size` as NULL. Members marked "optional" may be NULL.
 *
 * Members called on the dispatch path: `on_break`, `is_own_hypercall`, `on_action`, and, from
 * scripts only, `read_memory`, `write_memory` and `current_tid`. `hash_seed` runs once, in
 * hd_engine_create(). Everything else runs in writer context (register, enable, …), where
 * sleeping is allowed.
 */
#ifndef HDEVENT_BACKEND_H
#define HDEVENT_BACKEND_H

#include "types.h"
#include "vcpu.h"

HD_EXTERN_C_BEGIN

/** Version of struct hd_backend_ops this header describes. */
#define HD_BACKEND_OPS_VERSION 5u

/** Log levels passed to hd_backend_ops.log. */
enum hd_log_level {
    HD_LOG_ERROR = 0,
    HD_LOG_WARN = 1,
    HD_LOG_INFO = 2,
    HD_LOG_DEBUG = 3,
};

/** What a break action hands the backend (S17). */
struct hd_break_info {
    /** Tag of the event whose break action ran. */
    uint64_t tag;
    /** The pass: HD_STAGE_PRE or HD_STAGE_POST. */
    uint32_t stage;
    /** The exit being handled; its regs are the guest's (or the protected copy). */
    const struct hd_vcpu *vcpu;
    const struct hd_guest_regs *regs;
};

/** What the dispatcher tells hd_backend_ops.on_action after each action it ran. */
struct hd_action_info {
    /** Tag of the event the action belongs to. */
    uint64_t tag;
    /** The action's index in its event, in run order (S7). */
    uint32_t index;
    /** Its enum hd_action_type: break, code, native ("callback"); or HD_ACTION_INFO_DENY. */
    uint32_t type;
    /** The pass: HD_STAGE_PRE or HD_STAGE_POST. */
    uint32_t stage;
    /** The exit being handled. */
    const struct hd_vcpu *vcpu;
};

/**
 * hd_action_info.type of an event's `deny` verdict (hdevent's extension), reported after the
 * event's actions as one more, with index = the event's action count.
 */
#define HD_ACTION_INFO_DENY 4u

/** Services a backend provides. Fill with hd_backend_ops_init(), then set members. */
struct hd_backend_ops {
    /** sizeof(struct hd_backend_ops) as the backend was compiled. */
    uint32_t size;
    /** HD_BACKEND_OPS_VERSION as the backend was compiled. */
    uint32_t version;
    /** Handed back as the first argument of every op. */
    void *user;

    /** Required. Allocate @p size bytes, 16-byte aligned, or return NULL. Writer context. */
    void *(*alloc)(void *user, size_t size);
    /** Required. Free memory from alloc (never NULL). */
    void (*free)(void *user, void *ptr);

    /**
     * Optional: without it raw conditions and custom code are refused (HD_ERR_NOT_SUPPORTED).
     * Copy @p size bytes of code into memory the CPU may execute and nobody may write
     * afterwards (W^X), and return it in *out. Return false on failure.
     */
    bool (*exec_alloc)(void *user, const void *code, size_t size, void **out);
    /** Optional (required with exec_alloc). Release memory from exec_alloc. */
    void (*exec_free)(void *user, void *code, size_t size);

    /** Required. Logical processors the engine serves; vCPU core indexes are below this. */
    uint32_t (*core_count)(void *user);

    /**
     * Optional. Pid of the current process, for backends' helpers that fill vCPU records
     * and for the script engine. The dispatcher itself uses hd_vcpu.pid.
     */
    uint32_t (*current_pid)(void *user);

    /** Optional. Log a line (no trailing newline). Writer context only. */
    void (*log)(void *user, enum hd_log_level level, const char *message);

    /**
     * Optional, dispatch path. A break action ran (S17): enter the debugger, count it,
     * record it — the backend decides. NULL: break actions only set HD_VERDICT_BREAK.
     */
    void (*on_break)(void *user, const struct hd_break_info *info);

    /**
     * Optional, dispatch path (scripts: poi, db, dw, dd, dq, check_address). Read @p size
     * (1, 2, 4 or 8) bytes of guest memory at @p address into @p out without faulting; false
     * if any byte is unreadable. NULL: every such read fails (HD_ERR_SCRIPT_MEMORY; for
     * check_address, 0), except inside the action's own pre-allocated buffer.
     */
    bool (*read_memory)(void *user, uint64_t address, void *out, size_t size);

    /**
     * Optional. Run @p fn on every core and return when all have. Writers call it to make
     * every core pass a quiescent point so retired snapshots are freed at once; without it
     * they are freed later, once every core's dispatch counter has moved.
     * Set it only if fn cannot run on a core while that core is inside an exit: interrupts
     * stay off from the pre pass to the end of the post pass and fn arrives by IPI. Then
     * `lock` must not disable interrupts either, or a core spinning on it never takes the IPI.
     */
    void (*run_on_every_core)(void *user, void (*fn)(void *arg, uint32_t core), void *arg);

    /**
     * Optional. Serialize writers (register, enable, disable, clear, message reads).
     * NULL: the caller promises never to call writer functions concurrently.
     */
    void (*lock)(void *user);
    void (*unlock)(void *user);

    /**
     * Optional, dispatch path. Is this VMCALL the hypervisor's own hypercall (S14)?
     * NULL: hd_hypercall_is_hyperdbg() — HyperDbg's magic in r10/r11/r12 from CPL 0, tested
     * inline on the dispatcher's short way. With a predicate every exit takes the general
     * path (the predicate sees the whole record, the pid asked for first).
     */
    bool (*is_own_hypercall)(void *user, const struct hd_vcpu *vcpu);

    /* ---- version 2 ---- */

    /**
     * Optional, dispatch path. Called after each action ran, in run order: a trace for
     * simulators and tests (the host backend forwards it to hd_host_config.on_action).
     * Leave it NULL in a kernel: with a trace every exit takes the general path.
     */
    void (*on_action)(void *user, const struct hd_action_info *info);

    /* ---- version 3 ---- */

    /**
     * Optional, dispatch path (scripts: eb, ed, eq). Write @p size (1, 4 or 8) bytes from
     * @p in to guest memory at @p address without faulting; false (and nothing written) if
     * any byte is not writable. NULL: every script write fails with HD_ERR_SCRIPT_MEMORY,
     * except inside the action's own pre-allocated buffer.
     */
    bool (*write_memory)(void *user, uint64_t address, const void *in, size_t size);

    /**
     * Optional, dispatch path (scripts: $tid). The thread the exit on @p vcpu came from.
     * NULL: $tid is 0.
     */
    uint64_t (*current_tid)(void *user, const struct hd_vcpu *vcpu);

    /* ---- version 4 ---- */

    /**
     * Optional, writer context; ignored when run_on_every_core is set. Return only once every
     * core that may be inside an exit has executed a full memory barrier (or passed through
     * something that implies one, such as a context switch) since the call began: Linux user
     * space has membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), a kernel an IPI that does
     * nothing. Writers call it once per snapshot they retire, between publishing the new one
     * and reading the cores' dispatch counters. With it, an exit marks itself with plain
     * stores and no fence: each armed exit is about 40 cycles cheaper, each writer call
     * dearer by the barrier. NULL: every armed exit executes MFENCE instead.
     */
    void (*barrier_every_core)(void *user);

    /**
     * Optional, called once by hd_engine_create(). 64 bits the caller of the writer
     * functions cannot predict (the kernel's random pool, getrandom, RDRAND): the key of
     * the engine's snapshot hash, so that nobody who registers events can pick (core, pid)
     * filters that all land in one bucket and slow every exit's lookup. NULL: the core
     * derives it from the TSC and the engine's address.
     */
    uint64_t (*hash_seed)(void *user);

    /* ---- version 5 ---- */

    /**
     * Optional, read once by hd_engine_create(). The guest register that holds the hypercall
     * number `nr` events are routed by (hd_event_desc.nr_filter): HD_NR_REGISTER_DEFAULT (0)
     * is rcx, where HyperDbg's own hypercalls put theirs; HD_NR_REGISTER(i) is register i of
     * struct hd_guest_regs, e.g. HD_NR_REGISTER(HD_GUEST_REG_RAX) for KVM-style guests. A
     * value above HD_NR_REGISTER(15) makes hd_engine_create() fail with HD_ERR_BAD_OPS.
     */
    uint32_t nr_register;
};

/** hd_backend_ops.nr_register: rcx, as HyperDbg's own hypercalls. */
#define HD_NR_REGISTER_DEFAULT 0u
/** hd_backend_ops.nr_register: register @p index of struct hd_guest_regs (0 rax, 1 rcx …). */
#define HD_NR_REGISTER(index) ((uint32_t)(index) + 1u)
/** Index of rax in struct hd_guest_regs (for HD_NR_REGISTER). */
#define HD_GUEST_REG_RAX 0u
/** Index of rcx in struct hd_guest_regs: the default hypercall-number register. */
#define HD_GUEST_REG_RCX 1u

/**
 * Size of version 1 of struct hd_backend_ops: the least `size` the core accepts. Fixed by
 * the last member of version 1, so it stays true when later versions append members.
 */
#define HD_BACKEND_OPS_V1_SIZE \
    (offsetof(struct hd_backend_ops, is_own_hypercall) + sizeof(void (*)(void)))

/**
 * The one copy rule of hdevent's versioned contracts (hd_backend_ops, hd_vmx_glue: `uint32_t
 * size` first): copy @p src into @p dst (@p dst_size bytes) as far as both reach, so members
 * past what the caller was compiled with are zero (NULL) and members the library does not
 * know yet are ignored. Not on any hot path; a byte loop, so it needs no libc.
 * @return false when @p src is NULL or its size is below @p min_size (the oldest layout the
 *         library accepts); @p dst is then untouched.
 */
static inline bool hd_versioned_copy(void *dst, size_t dst_size, const void *src,
                                     size_t min_size)
{
    const unsigned char *s = (const unsigned char *)src;
    unsigned char *d = (unsigned char *)dst;
    size_t n;

    if (!src || *(const uint32_t *)src < min_size)
        return false;
    n = *(const uint32_t *)src < dst_size ? *(const uint32_t *)src : dst_size;
    for (size_t i = 0; i < dst_size; i++)
        d[i] = i < n ? s[i] : 0;
    return true;
}

/** Zero @p ops and set size and version for this header. */
HD_API void hd_backend_ops_init(struct hd_backend_ops *ops);

/** HyperDbg's hypercall magic (r10, r11, r12). */
#define HD_HYPERDBG_MAGIC_R10 0x48564653ull
#define HD_HYPERDBG_MAGIC_R11 0x564D43414C4Cull
#define HD_HYPERDBG_MAGIC_R12 0x4E4F485950455256ull

/**
 * The default own-hypercall predicate: r10, r11, r12 hold HyperDbg's magic and the guest
 * is at CPL 0 (a CPL 3 caller cannot speak for the hypervisor, S15). Inline: it runs on
 * every VMCALL exit, and r10 is tested first because it alone rules out almost every call
 * (the guest is usually at CPL 0, and the registers are read anyway).
 */
static inline bool hd_hypercall_is_hyperdbg(const struct hd_vcpu *vcpu)
{
    const struct hd_guest_regs *r = vcpu->regs;
    return r->r10 == HD_HYPERDBG_MAGIC_R10 && vcpu->cpl == 0 &&
           r->r11 == HD_HYPERDBG_MAGIC_R11 && r->r12 == HD_HYPERDBG_MAGIC_R12;
}

HD_EXTERN_C_END

#endif /* HDEVENT_BACKEND_H */
