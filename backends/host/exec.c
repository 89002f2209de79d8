/* SPDX-License-Identifier: MIT */
/*
 * The host backend's executable memory (hd_backend_ops.exec_alloc/exec_free): raw code packed
 * into shared pages, the shape of hdevent.ko's arena (backends/linux-kmod/kmod_exec.c).
 *
 * Why packed: one mapping per buffer put each event's code on a page of its own, so an exit
 * that ran 200 buffers touched 200 pages (more than the L1 iTLB holds) where HyperDbg's code
 * sits in one arena; and a process may hold only vm.max_map_count (65,530) mappings.
 *
 * W^X without a writable mapping. The code lives in a memfd, grown in chunks; each chunk is
 * mapped once, read+execute (MAP_SHARED), and that view is what the code runs from. Bytes go
 * in with pwritev() on the memfd: the kernel copies them into the file's pages, which the
 * view shows. So no mapping of this process is ever writable, let alone writable and
 * executable; mprotect could not do it here anyway (a page holds the code of other events
 * that other threads may be running, so it can never be made writable itself), and a
 * short-lived read+write view of the pages (hdevent.ko's vmap alias) would cost a mapping, a
 * page fault and an unmapping with its TLB shootdown per write, where pwritev is one system
 * call. The blocks written are ones no thread runs (new, or freed after the engine's grace
 * period), and x86 keeps its instruction caches coherent with stores to the same physical
 * line, whichever virtual address (here the kernel's) made them; the SDM's cross-modifying
 * code protocol (8.1.3) asks more only of a processor that may be fetching those very bytes,
 * and the engine publishes code to the dispatchers only after exec_alloc returned.
 *
 * The chunks are cut in 64-byte blocks (a bitmap per chunk, first fit from the lowest block
 * that may be free), each buffer starting on a block: 16-byte aligned as the trampoline wants,
 * and consecutive small buffers on consecutive lines of one page. A buffer's blocks after its
 * code are INT3, and freed blocks (and those of a buffer whose write failed) are written back
 * to INT3: a stale call traps (and is contained) rather than running whatever was there.
 * Only when that write fails too (the file cannot take it) do the old bytes stay, where no
 * buffer points, until the next buffer's write replaces them. A chunk whose blocks are all
 * free stays mapped, its pages kept, until the host is destroyed; its blocks serve the next
 * buffers.
 *
 * Every buffer is entered in the region table (contain.c) before exec_alloc returns, as the
 * time limit knows raw code by it. The arena's state is under state_lock; the writes happen
 * outside it, on blocks the writer has reserved.
 *
 * A fork: the child's views would be the parent's memfd (MAP_SHARED), so whatever either
 * process then wrote would change the other's code. So the parent copies every chunk of
 * every live host into anonymous memory just before it forks (pthread_atfork: written, then
 * made read+execute), with every host's state_lock held so that no arena changes meanwhile;
 * the child moves each copy over its chunk's view with mremap, which swaps the mapping whole,
 * and starts a memfd of its own for what it registers next; the parent drops its copies.
 * The copy is taken before the fork because the parent goes on at once: a child copying its
 * view after the fork could already see the parent's next writes. The copies are never
 * written or allocated from again (a block the child frees there stays as it was). The bytes
 * of a write another thread of the parent was making outside the lock belong to a buffer no
 * one in the child will ever get.
 */
#define _GNU_SOURCE
#include "host_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MFD_EXEC /* Linux 6.3: say that the memfd will be mapped executable */
#define MFD_EXEC 0x0010u
#endif

#define EXEC_BLOCK HD_HOST_EXEC_BLOCK
#define EXEC_CHUNK (256u << 10) /* 4,096 blocks: ~3,000 small buffers per chunk */
#define EXEC_MAX (64u << 20)    /* a buffer larger than this is refused */
#define INT3 0xCC

static uint8_t int3_run[1024]; /* INT3s to write from (filled once, read only after) */

/* ---- forks ------------------------------------------------------------------------------ */

static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hd_host *hosts; /* every live host (hd_host_exec.next_host) */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* A read+execute copy of @p c's bytes, or NULL (the chunk then stays shared: host-backend.md). */
static void *chunk_copy(const struct hd_host_exec_chunk *c)
{
    size_t bytes = (size_t)c->blocks * EXEC_BLOCK;
    void *copy = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (copy == MAP_FAILED)
        return NULL;
    memcpy(copy, c->code, bytes);
    if (mprotect(copy, bytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(copy, bytes);
        return NULL;
    }
    return copy;
}

static void before_fork(void)
{
    pthread_mutex_lock(&hosts_lock);
    for (struct hd_host *h = hosts; h; h = h->exec.next_host) {
        pthread_mutex_lock(&h->state_lock);
        for (uint32_t i = 0; i < h->exec.chunk_count; i++)
            if (!h->exec.chunks[i].inherited)
                h->exec.chunks[i].fork_copy = chunk_copy(&h->exec.chunks[i]);
    }
}

static void after_fork_in_parent(void)
{
    for (struct hd_host *h = hosts; h; h = h->exec.next_host) {
        for (uint32_t i = 0; i < h->exec.chunk_count; i++) {
            struct hd_host_exec_chunk *c = &h->exec.chunks[i];
            if (c->fork_copy)
                munmap(c->fork_copy, (size_t)c->blocks * EXEC_BLOCK);
            c->fork_copy = NULL;
        }
        pthread_mutex_unlock(&h->state_lock);
    }
    pthread_mutex_unlock(&hosts_lock);
}

static void after_fork_in_child(void)
{
    for (struct hd_host *h = hosts; h; h = h->exec.next_host) {
        struct hd_host_exec *ex = &h->exec;
        for (uint32_t i = 0; i < ex->chunk_count; i++) {
            struct hd_host_exec_chunk *c = &ex->chunks[i];
            size_t bytes = (size_t)c->blocks * EXEC_BLOCK;
            if (c->fork_copy &&
                mremap(c->fork_copy, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, c->code) ==
                    MAP_FAILED)
                munmap(c->fork_copy, bytes); /* the view stays shared */
            c->fork_copy = NULL;
            c->inherited = true;
        }
        if (ex->fd >= 0)
            close(ex->fd); /* the parent's memfd: the child's next chunk makes its own */
        ex->fd = -1;
        ex->file_size = 0;
        pthread_mutex_unlock(&h->state_lock);
    }
    pthread_mutex_unlock(&hosts_lock);
}

static void watch_forks(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    memset(int3_run, INT3, sizeof(int3_run));
}

void hd__host_exec_init(struct hd_host *h)
{
    pthread_once(&fork_once, watch_forks);
    h->exec.fd = -1;
    pthread_mutex_lock(&hosts_lock);
    h->exec.next_host = hosts;
    if (hosts)
        hosts->exec.prev_host = h;
    hosts = h;
    pthread_mutex_unlock(&hosts_lock);
}

/* hd__host_exec_destroy(): off the list, so a fork no longer touches it. */
static void exec_unlist(struct hd_host *h)
{
    pthread_mutex_lock(&hosts_lock);
    if (h->exec.prev_host)
        h->exec.prev_host->exec.next_host = h->exec.next_host;
    else
        hosts = h->exec.next_host;
    if (h->exec.next_host)
        h->exec.next_host->exec.prev_host = h->exec.prev_host;
    pthread_mutex_unlock(&hosts_lock);
}

/* ---- the memfd and its chunks (state_lock held) ---------------------------------------- */

static bool exec_open(struct hd_host_exec *ex)
{
    int fd = memfd_create("hdevent-code", MFD_CLOEXEC | MFD_EXEC);

    if (fd < 0 && errno == EINVAL) /* before Linux 6.3: no MFD_EXEC, and none needed */
        fd = memfd_create("hdevent-code", MFD_CLOEXEC);
    if (fd < 0)
        return false;
    ex->fd = fd;
    ex->file_size = 0;
    return true;
}

/*
 * The kernel refuses executable memfds (errno from memfd_create or the read+execute mmap):
 * vm.memfd_noexec = 2 says EACCES, a noexec mount or a seccomp filter EACCES or EPERM.
 * Decided before the first chunk only, so a host never holds code both ways.
 */
static bool exec_refused(struct hd_host_exec *ex, int err)
{
    if (ex->chunk_count == 0 && (err == EACCES || err == EPERM)) {
        ex->own_pages = true;
        if (ex->fd >= 0)
            close(ex->fd);
        ex->fd = -1;
        ex->file_size = 0;
    }
    return false;
}

/* A new chunk of at least @p want blocks at the end of the memfd, mapped read+execute. */
static bool exec_grow(struct hd_host_exec *ex, uint32_t want)
{
    size_t bytes = ((size_t)want * EXEC_BLOCK + EXEC_CHUNK - 1) / EXEC_CHUNK * EXEC_CHUNK;
    uint32_t blocks = (uint32_t)(bytes / EXEC_BLOCK);
    struct hd_host_exec_chunk c = {.offset = ex->file_size, .blocks = blocks};
    void *view;
    int err = 0; /* the mapping's refusal, for exec_refused() */

    if (ex->fd < 0 && !exec_open(ex))
        return exec_refused(ex, errno);
    if (ex->chunk_count == ex->chunk_cap) {
        uint32_t cap = ex->chunk_cap ? 2 * ex->chunk_cap : 8;
        struct hd_host_exec_chunk *grown = realloc(ex->chunks, cap * sizeof(*grown));
        if (!grown)
            return false;
        ex->chunks = grown;
        ex->chunk_cap = cap;
    }
    c.bitmap = calloc((blocks + 63) / 64, sizeof(*c.bitmap));
    c.slot = calloc(blocks, sizeof(*c.slot));
    if (!c.bitmap || !c.slot)
        goto fail;
    /* A longer file left by a failed mmap is harmless: the next growth asks for the same. */
    if (ftruncate(ex->fd, (off_t)(ex->file_size + bytes)) != 0)
        goto fail;
    view = mmap(NULL, bytes, PROT_READ | PROT_EXEC, MAP_SHARED, ex->fd, (off_t)ex->file_size);
    if (view == MAP_FAILED) {
        err = errno;
        goto fail;
    }
    c.code = view;
    ex->chunks[ex->chunk_count++] = c;
    ex->file_size += bytes;
    return true;
fail:
    free(c.bitmap);
    free(c.slot);
    return exec_refused(ex, err);
}

static bool block_used(const struct hd_host_exec_chunk *c, uint32_t b)
{
    return c->bitmap[b / 64] >> (b % 64) & 1;
}

static void blocks_mark(struct hd_host_exec_chunk *c, uint32_t at, uint32_t n, bool used)
{
    for (uint32_t b = at; b < at + n; b++) {
        if (used)
            c->bitmap[b / 64] |= 1ull << (b % 64);
        else
            c->bitmap[b / 64] &= ~(1ull << (b % 64));
    }
    if (used) {
        c->used += n;
        if (at == c->hint)
            c->hint = at + n;
    } else {
        c->used -= n;
        if (at < c->hint)
            c->hint = at;
    }
}

/* First fit of @p want free blocks in @p c, from its hint (no free block lies below it). */
static bool chunk_find(const struct hd_host_exec_chunk *c, uint32_t want, uint32_t *at)
{
    uint32_t run = 0;

    if (c->inherited || c->blocks - c->used < want)
        return false;
    for (uint32_t b = c->hint; b < c->blocks; b++) {
        if (b % 64 == 0 && c->bitmap[b / 64] == UINT64_MAX) {
            run = 0;
            b += 63; /* a full word: 64 blocks in use */
            continue;
        }
        if (block_used(c, b)) {
            run = 0;
        } else if (++run == want) {
            *at = b + 1 - want;
            return true;
        }
    }
    return false;
}

/* Reserve @p want blocks: in a chunk that has them, else in a new one. */
static bool exec_reserve(struct hd_host_exec *ex, uint32_t want, uint32_t *chunk, uint32_t *at)
{
    for (uint32_t i = 0; i < ex->chunk_count; i++)
        if (chunk_find(&ex->chunks[i], want, at)) {
            *chunk = i;
            blocks_mark(&ex->chunks[i], *at, want, true);
            return true;
        }
    if (!exec_grow(ex, want))
        return false;
    *chunk = ex->chunk_count - 1;
    *at = 0;
    blocks_mark(&ex->chunks[*chunk], 0, want, true);
    return true;
}

/* ---- writing (no lock: the blocks are the writer's) ------------------------------------- */

/*
 * Write @p src's @p size bytes at @p offset of the memfd, INT3 after them up to @p len, with
 * pwritev: the kernel copies into the file's pages, which the read+execute views show.
 * @return false when the write failed (the bytes may be partly written: unused blocks).
 */
static bool exec_write(int fd, size_t offset, const void *src, size_t size, size_t len)
{
    size_t done = 0;

    while (done < len) {
        struct iovec iov[2];
        int n = 0;
        size_t pad_from = done > size ? done : size;
        size_t pad = len - pad_from < sizeof(int3_run) ? len - pad_from : sizeof(int3_run);
        ssize_t w;

        if (done < size)
            iov[n++] = (struct iovec){(uint8_t *)(uintptr_t)src + done, size - done};
        if (pad)
            iov[n++] = (struct iovec){int3_run, pad};
        w = pwritev(fd, iov, n, (off_t)(offset + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        done += (size_t)w;
    }
    return true;
}

/* ---- the ops ---------------------------------------------------------------------------- */

static uint32_t blocks_for(size_t size)
{
    return size ? (uint32_t)((size + EXEC_BLOCK - 1) / EXEC_BLOCK) : 1;
}

bool hd__host_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    struct hd_host *h = user;
    struct hd_host_exec *ex = &h->exec;
    uint32_t want = blocks_for(size), chunk = 0, at = 0;
    uint8_t *start = NULL;
    size_t offset = 0;
    int fd = -1;
    bool own;

    if (hd__host_allocation_call(h))
        return false;
    if (size > EXEC_MAX) {
        hd__host_allocation_gone(h);
        return false;
    }
    pthread_mutex_lock(&h->state_lock);
    if (!ex->own_pages && exec_reserve(ex, want, &chunk, &at)) {
        struct hd_host_exec_chunk *c = &ex->chunks[chunk];
        start = c->code + (size_t)at * EXEC_BLOCK;
        offset = c->offset + (size_t)at * EXEC_BLOCK;
        fd = ex->fd;
        /* Known to the time limit before it can run (UINT32_MAX: the table could not grow,
         * and a run in it is then not stopped, as host_internal.h says). */
        c->slot[at] = hd__host_region_add(h, (uintptr_t)start, size);
    }
    own = ex->own_pages; /* set by exec_reserve when the kernel refused the memfd */
    pthread_mutex_unlock(&h->state_lock);
    if (!start && own && hd__host_exec_pages_alloc(h, code, size, out))
        return true;
    if (!start) {
        hd__host_allocation_gone(h);
        return false;
    }
    if (!exec_write(fd, offset, code, size, (size_t)want * EXEC_BLOCK)) {
        /* Part of the code may be in: back to INT3 as a free would, if the file lets us. */
        exec_write(fd, offset, NULL, 0, (size_t)want * EXEC_BLOCK);
        pthread_mutex_lock(&h->state_lock);
        hd__host_region_remove(h, ex->chunks[chunk].slot[at]);
        blocks_mark(&ex->chunks[chunk], at, want, false);
        pthread_mutex_unlock(&h->state_lock);
        hd__host_allocation_gone(h);
        return false;
    }
    *out = start;
    return true;
}

void hd__host_exec_free(void *user, void *code, size_t size)
{
    struct hd_host *h = user;
    struct hd_host_exec *ex = &h->exec;
    uint32_t want = blocks_for(size), chunk, at = 0;
    bool found = false, written = false, own;
    size_t offset = 0;
    int fd = -1;

    pthread_mutex_lock(&h->state_lock);
    for (chunk = 0; chunk < ex->chunk_count; chunk++) {
        struct hd_host_exec_chunk *c = &ex->chunks[chunk];
        if ((uint8_t *)code >= c->code && (uint8_t *)code < c->code + (size_t)c->blocks *
                                                                      EXEC_BLOCK) {
            at = (uint32_t)(((uint8_t *)code - c->code) / EXEC_BLOCK);
            hd__host_region_remove(h, c->slot[at]);
            written = !c->inherited;
            offset = c->offset + (size_t)at * EXEC_BLOCK;
            fd = ex->fd;
            found = true;
            break;
        }
    }
    own = ex->own_pages;
    pthread_mutex_unlock(&h->state_lock);
    if (!found && own) { /* in no chunk: pages of its own */
        hd__host_exec_pages_free(h, code);
        hd__host_allocation_gone(h);
        return;
    }
    if (!found)
        return; /* not ours: the engine never does this, and there is nothing to free */
    /* Back to INT3 before the blocks can be handed out again. If the write fails the stale
     * bytes stay, unreachable: reuse goes through exec_write, which overwrites them. */
    if (written)
        exec_write(fd, offset, NULL, 0, (size_t)want * EXEC_BLOCK);
    pthread_mutex_lock(&h->state_lock);
    blocks_mark(&ex->chunks[chunk], at, want, false);
    pthread_mutex_unlock(&h->state_lock);
    hd__host_allocation_gone(h);
}

void hd__host_exec_destroy(struct hd_host *h)
{
    struct hd_host_exec *ex = &h->exec;

    exec_unlist(h);
    for (uint32_t i = 0; i < ex->chunk_count; i++) {
        munmap(ex->chunks[i].code, (size_t)ex->chunks[i].blocks * EXEC_BLOCK);
        free(ex->chunks[i].bitmap);
        free(ex->chunks[i].slot);
    }
    free(ex->chunks);
    if (ex->fd >= 0)
        close(ex->fd);
}

int hd_host_exec_fd(struct hd_host *host)
{
    int fd;

    if (!host)
        return -1;
    pthread_mutex_lock(&host->state_lock);
    /* The first chunk now, as a probe: the kernel may refuse the memfd or its mapping. */
    if (!host->exec.own_pages && host->exec.chunk_count == 0)
        exec_grow(&host->exec, 1);
    fd = host->exec.own_pages ? -1 : host->exec.fd;
    pthread_mutex_unlock(&host->state_lock);
    return fd;
}

bool hd_host_exec_own_pages(struct hd_host *host)
{
    bool own;

    if (!host)
        return false;
    pthread_mutex_lock(&host->state_lock);
    own = host->exec.own_pages;
    pthread_mutex_unlock(&host->state_lock);
    return own;
}
