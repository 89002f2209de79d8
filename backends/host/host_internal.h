/* SPDX-License-Identifier: MIT */
/*
 * The host backend's private state, shared by host.c (the backend ops and the simulated exit)
 * and contain.c (faults and time limits of hooks: signals, timers, the raw-code regions a
 * signal handler may look at). Nobody else includes it.
 */
#ifndef HDEVENT_HOST_INTERNAL_H
#define HDEVENT_HOST_INTERNAL_H

#include <hdevent/host.h>

#include <pthread.h>
#include <stdatomic.h>

/*
 * Where raw code lives, readable from a signal handler on any thread: slots of {start, end}
 * in chunks that are never freed or moved while the host lives, set and cleared with atomic
 * stores by writers (under state_lock) and scanned without a lock by the time-limit handler.
 * A slot read mid-change can only concern a region that is being made or freed, and the code
 * a thread is running is neither (its exit holds the event), so such a race cannot make the
 * handler take code for raw code or the reverse.
 */
#define HD_HOST_REGION_CHUNK 1024u

struct hd_host_region {
    _Atomic(uintptr_t) start;
    _Atomic(uintptr_t) end; /* 0: free slot */
};

struct hd_host_region_chunk {
    struct hd_host_region slot[HD_HOST_REGION_CHUNK];
    _Atomic(struct hd_host_region_chunk *) next;
};

struct hd_host_regions {
    _Atomic(struct hd_host_region_chunk *) head;  /* what the handler walks */
    struct hd_host_region_chunk **chunks;         /* writers: slot i is in chunks[i / CHUNK] */
    uint32_t chunk_count;
    uint32_t used;                                /* slots ever handed out */
    uint32_t *free;                               /* freed slots, reused first */
    uint32_t free_count, free_cap;
};

/*
 * The host's executable memory (exec.c): a memfd grown in chunks, each mapped once
 * read+execute and cut in HD_HOST_EXEC_BLOCK-byte blocks; or, when the kernel will not map
 * a memfd executable, pages of its own for each buffer (exec_pages.c). Under state_lock.
 */
#define HD_HOST_EXEC_BLOCK 64u

struct hd_host_exec_chunk {
    uint8_t *code;      /* the read+execute view */
    size_t offset;      /* where the chunk starts in the memfd */
    uint32_t blocks;
    uint32_t used;      /* blocks in use */
    uint32_t hint;      /* no free block lies below it */
    bool inherited;     /* from before a fork: the child's own copy, read+execute, never
                         * written or allocated from (exec.c) */
    uint64_t *bitmap;   /* one bit per block, 1: in use */
    uint32_t *slot;     /* [block]: the region-table slot of the buffer starting there */
    void *fork_copy;    /* during a fork: the chunk's bytes, read+execute (exec.c) */
};

struct hd_host_exec {
    int fd;             /* the memfd; -1 until the first chunk or hd_host_exec_fd() */
    bool own_pages;     /* the kernel refused the memfd or its read+execute mapping before
                         * any chunk was made: every buffer gets pages of its own */
    size_t file_size;   /* the memfd's length: the chunks end to end */
    struct hd_host_exec_chunk *chunks;
    uint32_t chunk_count, chunk_cap;
    struct hd_host *next_host, *prev_host; /* every live host, for a fork (exec.c) */
};

/* A region of simulated guest memory (hd_host_memory_map). */
struct host_region {
    uint64_t address;
    size_t size;
    uint8_t *bytes; /* NULL: a free entry */
};

struct hd_host {
    struct hd_backend_ops ops;
    uint32_t cores;
    bool log_to_stderr;
    bool contain;                  /* !config.no_containment */
    uint32_t time_limit_ms;        /* 0: none */
    uint64_t serial;               /* tells hosts apart, even one made where another was */
    void (*on_action)(void *user, const struct hd_action_info *info);
    void *action_user;
    hd_vmcall_handler vmcall;
    void *vmcall_user;

    pthread_mutex_t writer_lock;   /* the engine's writer lock */
    pthread_mutex_t state_lock;    /* breaks, faults, regions and allocation accounting */
    struct hd_host_break *breaks;  /* the first HD_HOST_BREAKS_KEPT */
    uint32_t break_count;
    uint64_t live;
    uint64_t calls;
    int64_t fail_at;               /* calls value at which to fail once; -1: never */

    struct hd_host_exec exec;      /* raw code's memory, under state_lock */
    struct hd_host_regions regions;
    _Atomic(uint32_t) code_regions; /* live regions: no raw code, no timer to arm */
    struct hd_host_fault *faults;  /* [cores]: the last fault contained on each core */
    bool *faulted;                 /* [cores]: faults[c] holds one */
    uint64_t fault_count;
    struct host_region memory[HD_HOST_MEMORY_REGIONS]; /* guest memory, under state_lock */
};

/* A counter the exits of any thread update, read under the same lock. */
static inline uint64_t hd__host_read_locked(struct hd_host *host, const uint64_t *counter)
{
    uint64_t n;
    pthread_mutex_lock(&host->state_lock);
    n = *counter;
    pthread_mutex_unlock(&host->state_lock);
    return n;
}

/* ---- host.c: allocation accounting and failure injection, under state_lock ----------- */

/* Count an allocation call; true if this one must fail (it is then not counted live). */
bool hd__host_allocation_call(struct hd_host *h);
/* An allocation counted live is gone (freed, or failed after being counted). */
void hd__host_allocation_gone(struct hd_host *h);

/* ---- exec.c: hd_backend_ops.exec_alloc/exec_free ---------------------------------------- */

void hd__host_exec_init(struct hd_host *h);
bool hd__host_exec_alloc(void *user, const void *code, size_t size, void **out);
void hd__host_exec_free(void *user, void *code, size_t size);
void hd__host_exec_destroy(struct hd_host *h);
/* exec_pages.c: a buffer on pages of its own (exec.own_pages); no lock held. */
bool hd__host_exec_pages_alloc(struct hd_host *h, const void *code, size_t size, void **out);
void hd__host_exec_pages_free(struct hd_host *h, void *code);

/* ---- contain.c ------------------------------------------------------------------------- */

/*
 * A region of raw code was made or is about to be freed (state_lock held). Add returns the
 * slot to hand back to remove, or UINT32_MAX when the table could not grow (the region is
 * then simply not known to the time limit: a run in it is not stopped).
 */
uint32_t hd__host_region_add(struct hd_host *h, uintptr_t start, size_t size);
void hd__host_region_remove(struct hd_host *h, uint32_t slot);
void hd__host_regions_free(struct hd_host *h);

/*
 * hd_host_vmcall's exit with its hooks contained: hd_dispatch_vmcall_exit() inside the
 * window where a fault or the time limit brings the thread back here. @return HD_OK, a
 * dispatch failure, HD_ERR_HOOK_FAULTED or HD_ERR_HOOK_TIMEOUT (the exit abandoned, its
 * fault recorded for hd_host_fault_get()).
 */
enum hd_status hd__host_exit_contained(struct hd_host *h, struct hd_engine *engine,
                                       struct hd_vcpu *vcpu, struct hd_exit *exit);

#endif /* HDEVENT_HOST_INTERNAL_H */
