/* SPDX-License-Identifier: MIT */
/*
 * The host backend: the backend contract over libc, pthreads and mmap, with state a test can
 * steer (Bareflank's test platform idea). Nothing here knows about events; it serves the
 * engine and simulates the exit handler around hd_dispatch_vmcall().
 */
#define _GNU_SOURCE
#include "host_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HD_HOST_BREAKS_KEPT 4096u

/* The largest region of simulated guest memory (hd_host_memory_map). */
#define HD_HOST_MEMORY_MAX (16u << 20)

/* ---- allocation accounting and failure injection -------------------------------------- */

bool hd__host_allocation_call(struct hd_host *h)
{
    bool fail;
    pthread_mutex_lock(&h->state_lock);
    fail = h->fail_at >= 0 && (int64_t)h->calls == h->fail_at;
    if (fail)
        h->fail_at = -1;
    h->calls++;
    if (!fail)
        h->live++;
    pthread_mutex_unlock(&h->state_lock);
    return fail;
}

void hd__host_allocation_gone(struct hd_host *h)
{
    pthread_mutex_lock(&h->state_lock);
    h->live--;
    pthread_mutex_unlock(&h->state_lock);
}

static void *host_alloc(void *user, size_t size)
{
    struct hd_host *h = user;
    void *p;
    if (hd__host_allocation_call(h))
        return NULL;
    p = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!p)
        hd__host_allocation_gone(h);
    return p;
}

static void host_free(void *user, void *ptr)
{
    free(ptr);
    hd__host_allocation_gone(user);
}

/* ---- the other ops ------------------------------------------------------------------- */

static uint32_t host_core_count(void *user)
{
    return ((struct hd_host *)user)->cores;
}

static uint32_t host_current_pid(void *user)
{
    (void)user;
    return (uint32_t)getpid();
}

/* The snapshot hash's key (backend.h): from the kernel's pool, else the clock and ASLR. */
static uint64_t host_hash_seed(void *user)
{
    uint64_t seed = 0;
    (void)user;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        seed = (uint64_t)t.tv_nsec ^ (uint64_t)t.tv_sec << 30 ^ (uint64_t)(uintptr_t)&seed;
    }
    return seed;
}

/*
 * Grace periods without a fence per exit (backend.h, barrier_every_core): every thread of the
 * process that runs on a CPU executes a full barrier before this returns (the kernel's IPIs;
 * a thread that is not running passed a context switch, which implies one).
 */
static void host_barrier_every_core(void *user)
{
    (void)user;
    /* Once registered, the command fails only when the kernel cannot allocate its CPU mask
     * (ENOMEM). Returning without the barrier would let the engine free a snapshot a
     * dispatcher still reads, so wait for memory instead; anything else is a broken promise
     * of the kernel's, and the process stops rather than risk a use after free. */
    while (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        if (errno != ENOMEM && errno != EINTR) {
            fprintf(stderr, "hdevent: membarrier failed (%s): cannot end a grace period\n",
                    strerror(errno));
            abort();
        }
        sched_yield();
    }
}

/* Can this process use host_barrier_every_core? Registers it (once per process suffices). */
static bool host_membarrier_ready(void)
{
    long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
           syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static void host_log(void *user, enum hd_log_level level, const char *message)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct hd_host *h = user;
    if (h->log_to_stderr)
        fprintf(stderr, "hdevent %s: %s\n", (unsigned)level < 4 ? names[level] : "?", message);
}

static void host_on_action(void *user, const struct hd_action_info *info)
{
    struct hd_host *h = user;
    h->on_action(h->action_user, info);
}

static void host_on_break(void *user, const struct hd_break_info *info)
{
    struct hd_host *h = user;
    pthread_mutex_lock(&h->state_lock);
    /* The records are made at the first break: most hosts never see one, and 4096 of them
     * are 640 KiB to zero (a fuzzer makes a host per input). Without memory the break is
     * still counted, only not kept. */
    if (!h->breaks)
        h->breaks = calloc(HD_HOST_BREAKS_KEPT, sizeof(*h->breaks));
    if (h->breaks && h->break_count < HD_HOST_BREAKS_KEPT) {
        struct hd_host_break *b = &h->breaks[h->break_count];
        b->tag = info->tag;
        b->core = info->vcpu->core;
        b->pid = info->vcpu->pid;
        b->stage = info->stage;
        b->rip = info->vcpu->rip;
        b->regs = *info->regs;
    }
    h->break_count++;
    pthread_mutex_unlock(&h->state_lock);
}

/* ---- simulated guest memory ------------------------------------------------------------ */

/* The bytes for [address, address + size) inside one region, or NULL. Under state_lock. */
static uint8_t *region_bytes(struct hd_host *h, uint64_t address, size_t size)
{
    for (unsigned i = 0; i < HD_HOST_MEMORY_REGIONS; i++) {
        struct host_region *r = &h->memory[i];
        if (r->bytes && address >= r->address && size <= r->size &&
            address - r->address <= r->size - size)
            return r->bytes + (address - r->address);
    }
    return NULL;
}

/*
 * Simulated guests share our address space and there is no safe probe of it, so guest memory
 * is only what hd_host_memory_map() made: everything else is unreadable, as an unmapped page
 * would be.
 */
static bool host_read_memory(void *user, uint64_t address, void *out, size_t size)
{
    struct hd_host *h = user;
    uint8_t *p;
    pthread_mutex_lock(&h->state_lock);
    p = region_bytes(h, address, size);
    if (p)
        memcpy(out, p, size);
    pthread_mutex_unlock(&h->state_lock);
    return p != NULL;
}

static bool host_write_memory(void *user, uint64_t address, const void *in, size_t size)
{
    struct hd_host *h = user;
    uint8_t *p;
    pthread_mutex_lock(&h->state_lock);
    p = region_bytes(h, address, size);
    if (p)
        memcpy(p, in, size);
    pthread_mutex_unlock(&h->state_lock);
    return p != NULL;
}

enum hd_status hd_host_memory_map(struct hd_host *host, uint64_t address, size_t size,
                                  const void *init)
{
    enum hd_status st = HD_ERR_TOO_LARGE;

    if (!host || !size || address + (size - 1) < address)
        return HD_ERR_INVALID_ARGUMENT;
    if (size > HD_HOST_MEMORY_MAX)
        return HD_ERR_TOO_LARGE;
    pthread_mutex_lock(&host->state_lock);
    for (unsigned i = 0; i < HD_HOST_MEMORY_REGIONS; i++) {
        const struct host_region *r = &host->memory[i];
        if (r->bytes && address <= r->address + (r->size - 1) &&
            r->address <= address + (size - 1)) {
            st = HD_ERR_INVALID_ARGUMENT; /* overlaps a region */
            break;
        }
    }
    for (unsigned i = 0; st == HD_ERR_TOO_LARGE && i < HD_HOST_MEMORY_REGIONS; i++) {
        struct host_region *r = &host->memory[i];
        if (r->bytes)
            continue;
        r->bytes = calloc(1, size);
        if (!r->bytes) {
            st = HD_ERR_NO_MEMORY;
            break;
        }
        if (init)
            memcpy(r->bytes, init, size);
        r->address = address;
        r->size = size;
        st = HD_OK;
    }
    pthread_mutex_unlock(&host->state_lock);
    return st;
}

void *hd_host_memory(struct hd_host *host, uint64_t address, size_t size)
{
    void *p;
    if (!host || !size)
        return NULL;
    pthread_mutex_lock(&host->state_lock);
    p = region_bytes(host, address, size);
    pthread_mutex_unlock(&host->state_lock);
    return p;
}

static void host_lock(void *user)
{
    pthread_mutex_lock(&((struct hd_host *)user)->writer_lock);
}

static void host_unlock(void *user)
{
    pthread_mutex_unlock(&((struct hd_host *)user)->writer_lock);
}

static _Atomic(uint64_t) serials;

/* ---- public ------------------------------------------------------------------------- */

void hd_host_config_init(struct hd_host_config *config)
{
    memset(config, 0, sizeof(*config));
    config->cores = HD_HOST_CORES_DEFAULT;
}

enum hd_status hd_host_create(const struct hd_host_config *config, struct hd_host **out)
{
    struct hd_host *h;
    if (!out)
        return HD_ERR_INVALID_ARGUMENT;
    *out = NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return HD_ERR_NO_MEMORY;
    pthread_mutex_init(&h->writer_lock, NULL);
    pthread_mutex_init(&h->state_lock, NULL);
    hd__host_exec_init(h);
    h->cores = config && config->cores ? config->cores : HD_HOST_CORES_DEFAULT; /* 0: default */
    h->faults = calloc(h->cores, sizeof(*h->faults));
    h->faulted = calloc(h->cores, sizeof(*h->faulted));
    if (!h->faults || !h->faulted) {
        hd_host_destroy(h);
        return HD_ERR_NO_MEMORY;
    }
    h->serial = atomic_fetch_add(&serials, 1) + 1;
    h->log_to_stderr = config && config->log_to_stderr;
    h->contain = !(config && config->no_containment);
    h->time_limit_ms = !config || config->time_limit_ms == 0 ? HD_HOST_DEFAULT_TIME_LIMIT_MS
                       : config->time_limit_ms == HD_HOST_NO_TIME_LIMIT ? 0
                                                                         : config->time_limit_ms;
    h->on_action = config ? config->on_action : NULL;
    h->action_user = config ? config->action_user : NULL;
    h->vmcall = hd_vmcall_default;
    h->fail_at = -1;

    hd_backend_ops_init(&h->ops);
    h->ops.user = h;
    h->ops.alloc = host_alloc;
    h->ops.free = host_free;
    h->ops.exec_alloc = hd__host_exec_alloc;
    h->ops.exec_free = hd__host_exec_free;
    h->ops.core_count = host_core_count;
    h->ops.current_pid = host_current_pid;
    h->ops.log = host_log;
    h->ops.hash_seed = host_hash_seed;
    h->ops.on_break = host_on_break;
    h->ops.read_memory = host_read_memory;
    h->ops.write_memory = host_write_memory;
    if (h->on_action) /* only when asked: the benchmark measures the host backend */
        h->ops.on_action = host_on_action;
    /*
     * No run_on_every_core: simulated cores are threads that may be preempted inside
     * dispatch, so running a function "on" each core proves nothing about them. The engine
     * falls back to its per-core dispatch counters; with config->membarrier (and Linux
     * 4.14+) the exits mark themselves without a fence.
     */
    if (config && config->membarrier && host_membarrier_ready())
        h->ops.barrier_every_core = host_barrier_every_core;
    h->ops.lock = host_lock;
    h->ops.unlock = host_unlock;
    h->ops.nr_register = config ? config->nr_register : HD_NR_REGISTER_DEFAULT;
    *out = h;
    return HD_OK;
}

void hd_host_destroy(struct hd_host *host)
{
    if (!host)
        return;
    hd__host_exec_destroy(host);
    hd__host_regions_free(host);
    pthread_mutex_destroy(&host->writer_lock);
    pthread_mutex_destroy(&host->state_lock);
    for (unsigned i = 0; i < HD_HOST_MEMORY_REGIONS; i++)
        free(host->memory[i].bytes);
    free(host->breaks);
    free(host->faults);
    free(host->faulted);
    free(host);
}

const struct hd_backend_ops *hd_host_ops(struct hd_host *host)
{
    return &host->ops;
}

void hd_host_vcpu_init(struct hd_vcpu *vcpu, struct hd_guest_regs *regs, uint32_t core,
                       uint32_t pid)
{
    memset(vcpu, 0, sizeof(*vcpu));
    vcpu->regs = regs;
    vcpu->rip = HD_HOST_VCPU_RIP;
    vcpu->insn_len = 3; /* VMCALL: 0F 01 C1 */
    vcpu->core = core;
    vcpu->pid = pid;
    vcpu->cpl = 0;
}

void hd_host_set_vmcall_handler(struct hd_host *host, hd_vmcall_handler fn, void *user)
{
    host->vmcall = fn ? fn : hd_vmcall_default;
    host->vmcall_user = fn ? user : NULL;
}

enum hd_status hd_host_vmcall(struct hd_host *host, struct hd_engine *engine,
                              struct hd_vcpu *vcpu, struct hd_exit *exit)
{
    struct hd_exit x;
    enum hd_status st;

    if (!host || !engine || !vcpu)
        return HD_ERR_INVALID_ARGUMENT;
    if (!hd_vmcall_armed(engine) && vcpu->regs && vcpu->core < host->cores &&
        (!host->contain || host->vmcall == hd_vmcall_default)) {
        /*
         * No event enabled: no hook can run, so the exit skips dispatch as a VMX exit handler
         * does (dispatch.h), and answers the VMCALL after the own-hypercall decision. A record
         * dispatch would refuse still goes to it (its status), and so does a handler of the
         * caller's under containment (the handler runs inside the containment window).
         */
        struct hd_exit *out = exit ? exit : &x;
        memset(out, 0, sizeof(*out));
        if (hd_vmcall_own(engine, vcpu))
            out->pre.flags = HD_VERDICT_PROTECTED;
        out->default_handled = true;
        host->vmcall(host->vmcall_user, vcpu);
        vcpu->rip += vcpu->insn_len;
        return HD_OK;
    }
    if (host->contain)
        st = hd__host_exit_contained(host, engine, vcpu, exit ? exit : &x);
    else
        st = hd_dispatch_vmcall_exit(engine, vcpu, NULL, host->vmcall, host->vmcall_user,
                                     exit ? exit : &x);
    if (HD_FAILED(st))
        return st; /* refused (nothing ran) or abandoned: the VMCALL did not retire */
    /* Short-circuited or not, the VMCALL retires — unless an event said `deny ud`: the VMCALL
     * faults, as the VMX layer injects #UD, and RIP stays on it. */
    if (!((exit ? exit : &x)->pre.flags & HD_VERDICT_DENY_UD))
        vcpu->rip += vcpu->insn_len;
    hd_engine_run_deferred(engine); /* the exit is over: scripts' event requests apply now */
    return HD_OK;
}

uint32_t hd_host_break_count(struct hd_host *host)
{
    uint32_t n;
    pthread_mutex_lock(&host->state_lock);
    n = host->break_count;
    pthread_mutex_unlock(&host->state_lock);
    return n;
}

bool hd_host_break_get(struct hd_host *host, uint32_t index, struct hd_host_break *out)
{
    bool ok;
    pthread_mutex_lock(&host->state_lock);
    ok = host->breaks && index < host->break_count && index < HD_HOST_BREAKS_KEPT;
    if (ok)
        *out = host->breaks[index];
    pthread_mutex_unlock(&host->state_lock);
    return ok;
}

void hd_host_break_reset(struct hd_host *host)
{
    pthread_mutex_lock(&host->state_lock);
    host->break_count = 0;
    pthread_mutex_unlock(&host->state_lock);
}

uint64_t hd_host_live_allocations(struct hd_host *host)
{
    return hd__host_read_locked(host, &host->live);
}

uint64_t hd_host_allocation_calls(struct hd_host *host)
{
    return hd__host_read_locked(host, &host->calls);
}

void hd_host_fail_allocation(struct hd_host *host, int64_t n)
{
    pthread_mutex_lock(&host->state_lock);
    host->fail_at = n < 0 ? -1 : (int64_t)host->calls + n;
    pthread_mutex_unlock(&host->state_lock);
}
