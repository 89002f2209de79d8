/* SPDX-License-Identifier: MIT */
/*
 * hdevent/host.h — the host backend (USER MODE ONLY: libc, pthreads, mmap).
 *
 * The test platform Bareflank calls it: the same backend contract a kernel implements, with
 * state a test can steer. Simulated vCPUs let a test or a plugin author set core, pid, CPL
 * and registers and take a VMCALL exit exactly as a VMX exit handler would — pre pass,
 * default handling, post pass, RIP advance — on any thread. Break actions and allocations
 * are recorded; allocation failures can be injected.
 *
 *     struct hd_host *host;   struct hd_engine *engine;
 *     hd_host_create(NULL, &host);
 *     hd_engine_create(hd_host_ops(host), NULL, &engine);
 *     ... hd_event_register(engine, &desc, &tag) ...
 *     struct hd_guest_regs regs = { .rdx = 0x1000 };
 *     struct hd_vcpu vcpu;
 *     hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);     // core 1, pid 0x490
 *     struct hd_exit exit;
 *     hd_host_vmcall(host, engine, &vcpu, &exit);
 */
#ifndef HDEVENT_HOST_H
#define HDEVENT_HOST_H

#include "hdevent.h"

HD_EXTERN_C_BEGIN

struct hd_host;

/** Simulated cores when hd_host_config.cores is 0. */
#define HD_HOST_CORES_DEFAULT 4u

/**
 * Host backend settings; NULL means the defaults. Start from hd_host_config_init(), or from
 * zero: a zero member means its default, so `{.log_to_stderr = true}` alone is a complete
 * config (docs/c-api.md, "Structs you fill in").
 */
struct hd_host_config {
    /** Simulated cores (hd_backend_ops.core_count; hd_engine_create() refuses more than
     *  HD_CORES_MAX). 0: the default, HD_HOST_CORES_DEFAULT (4). */
    uint32_t cores;
    /** Print the engine's log lines on stderr. Default false. */
    bool log_to_stderr;
    /**
     * Called after each action the dispatcher ran, in run order, with `action_user`
     * (hd_backend_ops.on_action): what `hdevent run` prints as {"type":"action",...}.
     * Default NULL: actions are not traced and cost nothing extra.
     */
    void (*on_action)(void *user, const struct hd_action_info *info);
    void *action_user;
    /**
     * How long, in milliseconds of wall-clock time, an exit's hooks may run before the host
     * stops the raw code running then and abandons the exit (HD_ERR_HOOK_TIMEOUT). 0: the
     * default, HD_HOST_DEFAULT_TIME_LIMIT_MS; HD_HOST_NO_TIME_LIMIT: none.
     */
    uint32_t time_limit_ms;
    /**
     * Let a fault in a hook take the process down, as it would without the host (a debugger
     * then stops where the code faulted), and run no timer. Default false: contained.
     */
    bool no_containment;
    /**
     * Grace periods without a fence in each exit: the host gives the engine
     * hd_backend_ops.barrier_every_core, made with Linux's membarrier
     * (MEMBARRIER_CMD_PRIVATE_EXPEDITED, registered here), so an armed exit marks its core
     * with plain stores and every writer call that retires a snapshot costs one membarrier.
     * Only for a process that may make that system call whenever a writer function runs (a
     * seccomp filter that forbids it would break grace periods). Ignored where the kernel
     * lacks it. Default false: each armed exit executes MFENCE.
     */
    bool membarrier;
    /**
     * The register holding the hypercall number `nr` events are routed by
     * (hd_backend_ops.nr_register): HD_NR_REGISTER_DEFAULT (rcx) or HD_NR_REGISTER(i), such
     * as HD_NR_REGISTER(HD_GUEST_REG_RAX) for KVM-style guests (`hdevent run --nr-reg rax`).
     */
    uint32_t nr_register;
};

/** The time limit of an exit's hooks when hd_host_config.time_limit_ms is 0: one second. */
#define HD_HOST_DEFAULT_TIME_LIMIT_MS 1000u
/** hd_host_config.time_limit_ms: no time limit. */
#define HD_HOST_NO_TIME_LIMIT 0xFFFFFFFFu

/** Set every member of @p config to its default (the same host as a NULL or zeroed config). */
HD_API void hd_host_config_init(struct hd_host_config *config);

/** Create a host backend. @return HD_OK, HD_ERR_INVALID_ARGUMENT (@p out NULL), HD_ERR_NO_MEMORY. */
HD_API enum hd_status hd_host_create(const struct hd_host_config *config, struct hd_host **out);

/** Free the host backend. Destroy engines using it first. NULL is ignored. */
HD_API void hd_host_destroy(struct hd_host *host);

/** The backend ops to pass to hd_engine_create(); valid while the host lives. */
HD_API const struct hd_backend_ops *hd_host_ops(struct hd_host *host);

/**
 * Prepare a vCPU record for a VMCALL from CPL 0 at a fixed RIP, instruction length 3.
 * Change cpl, rip or the registers afterwards as the test needs.
 */
HD_API void hd_host_vcpu_init(struct hd_vcpu *vcpu, struct hd_guest_regs *regs, uint32_t core,
                              uint32_t pid);

/** The RIP hd_host_vcpu_init() gives a simulated VMCALL. */
#define HD_HOST_VCPU_RIP 0x401000ull

/**
 * Take a VMCALL exit on vcpu->core through hd_dispatch_vmcall_exit() — pre pass, the default
 * handling (hd_vmcall_default() unless replaced) unless short-circuited, post pass if asked
 * for — then rip += insn_len, then hd_engine_run_deferred() (the event requests of the exit's
 * scripts). Thread-safe for different cores. @p exit may be NULL. With no event enabled
 * (hd_vmcall_armed() false) and a valid record, the exit skips the dispatcher, as a VMX exit
 * handler does: hd_vmcall_own(), the handling, rip += insn_len (a handler of yours under
 * containment still runs through the dispatcher, inside the containment window).
 *
 * Hooks are contained (unless hd_host_config.no_containment): a fault while the exit runs
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, or SIGSYS from a seccomp filter that traps a
 * system call) stops the hook that faulted, and so does raw code still running when the time
 * limit passes. The exit is then abandoned where it stood (hd_dispatch_vmcall_abandon()):
 * what ran before stays done, nothing after runs — no further hook, no default handling, no
 * post pass — RIP is not advanced, and @p exit holds what the passes had filled in. RIP is
 * not advanced either when the verdict has HD_VERDICT_DENY_UD (`deny ud`: the VMCALL faults).
 * hd_host_fault_get() says what happened. Signals outside an exit keep their own handling:
 * the host's handler passes them to the one it found installed, or to the default action.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT; HD_ERR_BAD_VCPU (nothing ran, RIP unchanged);
 *         HD_ERR_HOOK_FAULTED; HD_ERR_HOOK_TIMEOUT.
 */
HD_API enum hd_status hd_host_vmcall(struct hd_host *host, struct hd_engine *engine,
                                     struct hd_vcpu *vcpu, struct hd_exit *exit);

/**
 * Replace the default VMCALL handling, hd_vmcall_default() (dispatch.h): the hypervisor's own
 * hypercalls get rax = 0, every other VMCALL rax = HD_VMCALL_ENOSYS. NULL restores it.
 */
HD_API void hd_host_set_vmcall_handler(struct hd_host *host, hd_vmcall_handler fn, void *user);

/** One recorded break action (S17). */
struct hd_host_break {
    uint64_t tag;
    uint32_t core;
    uint32_t pid;
    uint32_t stage;
    uint64_t rip;
    /** Registers as the hooks saw them (on a protected call, the hooks' discarded copy). */
    struct hd_guest_regs regs;
};

/** Break actions recorded so far (all of them are counted; the first 4096 are kept, in records
 *  made at the first break: without memory for them a break is counted, not kept). */
HD_API uint32_t hd_host_break_count(struct hd_host *host);

/** Copy the @p index-th recorded break. @return false past the end of the kept records. */
HD_API bool hd_host_break_get(struct hd_host *host, uint32_t index, struct hd_host_break *out);

/** Forget the recorded breaks. */
HD_API void hd_host_break_reset(struct hd_host *host);

/** A hook the host stopped: what hd_host_vmcall() returned HD_ERR_HOOK_* for. */
struct hd_host_fault {
    /** HD_ERR_HOOK_FAULTED or HD_ERR_HOOK_TIMEOUT. */
    enum hd_status status;
    /** SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP or SIGSYS; for a timeout, the timer's signal. */
    int signal;
    /** The signal's si_code (SEGV_MAPERR, ILL_ILLOPN, SYS_SECCOMP, ...; SI_TIMER). */
    int code;
    /** SIGSYS: the system call a seccomp filter refused; otherwise -1. */
    int syscall;
    /** SIGSYS: its ABI as an AUDIT_ARCH_* value (x86-64, or i386 for `int 0x80`); else 0. */
    uint32_t syscall_arch;
    /**
     * The signal's si_addr: the address accessed (SIGSEGV, SIGBUS), the instruction (SIGILL,
     * SIGFPE), the instruction after it (SIGTRAP, SIGSYS); 0 for a timeout.
     */
    uint64_t address;
    /** Where the hook was stopped. */
    uint64_t rip;
    /** The exit's core and pid. */
    uint32_t core;
    uint32_t pid;
    /** rip lies in raw code the host made executable (a wild jump leaves it false). */
    bool in_code;
    /** in_code, and the engine named the code: `owner` says whose it is. */
    bool named;
    struct hd_code_owner owner;
};

/**
 * The last hook stopped on @p core (each core keeps its own, until the next one).
 * @return false when no hook was stopped on that core, or @p core is out of range.
 */
HD_API bool hd_host_fault_get(struct hd_host *host, uint32_t core, struct hd_host_fault *out);

/** Hooks stopped so far, on every core. */
HD_API uint64_t hd_host_fault_count(struct hd_host *host);

/**
 * Set up the calling thread to take contained exits now rather than at its first
 * hd_host_vmcall(): its alternate signal stack (when it has none), its timer, the signal
 * handlers. For a program that then restricts its own system calls (`hdevent run`'s
 * seccomp filter): afterwards an exit needs only rt_sigaction, timer_settime and
 * rt_sigreturn. The thread's timer and stack are freed when it exits.
 * @return HD_OK; HD_ERR_NOT_SUPPORTED when containment is off or a piece could not be set
 *         up (faults are still contained when only the timer or the stack is missing).
 */
HD_API enum hd_status hd_host_contain_prepare(struct hd_host *host);

/**
 * The descriptor of the memfd that holds @p host's raw code (exec_alloc packs the code of
 * many events into its pages: docs/host-backend.md), made now with its first chunk if it was
 * not yet. For a program that then restricts its own system calls (`hdevent run`'s seccomp
 * filter): raw code registered afterwards needs `pwritev` on this descriptor (the code is
 * written with it), and `ftruncate` of it and a read+execute MAP_SHARED `mmap` of it when a
 * chunk is added; hd_host_destroy() closes it (`close`). The host owns the descriptor.
 * @return the descriptor; -1 when @p host is NULL, when the memfd could not be made (errno),
 * or when the kernel refused it and the host gives each buffer pages of its own instead
 * (hd_host_exec_own_pages()).
 */
HD_API int hd_host_exec_fd(struct hd_host *host);

/**
 * Does @p host give each raw-code buffer pages of its own? It does when the kernel refused
 * an executable memfd before the first buffer (vm.memfd_noexec = 2 on Linux 6.3 and later,
 * a seccomp filter, a noexec mount: docs/host-backend.md); hd_host_exec_fd() finds out. A
 * buffer is then an anonymous mapping written read+write and made read+execute with
 * `mprotect`, which a program that restricts its system calls must allow.
 * @return true when it does; false when it packs code in its memfd, or @p host is NULL.
 */
HD_API bool hd_host_exec_own_pages(struct hd_host *host);

/** Most regions of simulated guest memory a host backend holds. */
#define HD_HOST_MEMORY_REGIONS 16u

/**
 * Simulated guest memory, what scripts' poi, db, dw, dd, dq, eb, ed, eq and check_address
 * reach through the read_memory and write_memory ops: @p size bytes (at most 16 MiB) at guest
 * address @p address, filled from @p init (NULL: zeros). The host owns the bytes until it is
 * destroyed. Addresses outside every region are unreadable and unwritable, as an unmapped
 * page would be (the simulated guest shares the host's address space: nothing else is safe).
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT (size 0, the range wraps or overlaps a region);
 *         HD_ERR_TOO_LARGE (above 16 MiB, or HD_HOST_MEMORY_REGIONS regions already);
 *         HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_host_memory_map(struct hd_host *host, uint64_t address, size_t size,
                                         const void *init);

/**
 * The bytes of simulated guest memory at [@p address, @p address + @p size), when one region
 * holds them all; NULL otherwise. For tests that look at what a script wrote.
 */
HD_API void *hd_host_memory(struct hd_host *host, uint64_t address, size_t size);

/** Blocks from alloc plus regions from exec_alloc not yet freed. */
HD_API uint64_t hd_host_live_allocations(struct hd_host *host);

/** Calls to alloc and exec_alloc so far (failed ones included). */
HD_API uint64_t hd_host_allocation_calls(struct hd_host *host);

/**
 * Make the allocation @p n calls from now fail (0 = the very next one), once; -1 disables.
 * Counts alloc and exec_alloc calls alike.
 */
HD_API void hd_host_fail_allocation(struct hd_host *host, int64_t n);

/**
 * Read the next exit of a recording: the scenario `hdevent record` writes on a kernel backend
 * (or `hdevent run --record` on the host), for a plugin's test that drives the recorded exits
 * through hd_host_vmcall() against its own hooks (docs/host-backend.md). An exit is a `vmcall`
 * line (core, pid, cpl, the registers before) and the `expect` line after it (fired IDs as
 * tags HD_TAG_BASE + ID, fired_count, short_circuit, and every register after — or
 * `after=unknown` for a two-call exit whose registers after were not recorded, recorder.h);
 * commands, comments and blank lines are skipped.
 * @param text the recording, NUL-terminated.
 * @param pos where to read from (start at 0); moved past what was read.
 * @param line lines read so far (start at 0): on an error, the line that is wrong.
 * @param out the exit: before, after, core, pid, cpl, fired_count, fired, flags
 *        (HD_RECORD_SHORT_CIRCUIT, HD_RECORD_AFTER_UNKNOWN: then `after` is 0); insn_len 3,
 *        the rest 0.
 * @param why what is wrong, on an error ("line N: ..."); may be NULL.
 * @return HD_OK; HD_EMPTY at the end; HD_ERR_INVALID_ARGUMENT for a malformed exit (a word
 *         not key=value, a number out of range, an expect line that misses a register, names
 *         one with after=unknown, or has no vmcall line before it) or a NULL pointer.
 */
HD_API enum hd_status hd_host_recording_next(const char *text, size_t *pos, uint32_t *line,
                                             struct hd_exit_record *out, char *why,
                                             size_t why_size);

HD_EXTERN_C_END

#endif /* HDEVENT_HOST_H */
