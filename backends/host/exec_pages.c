/* SPDX-License-Identifier: MIT */
/*
 * Raw code on pages of its own: what the host falls back to when the kernel will not map a
 * memfd executable (exec.c) — vm.memfd_noexec = 2 (Linux 6.3 and later) refuses
 * memfd_create() without MFD_NOEXEC_SEAL, and a seccomp filter or a noexec shm mount can
 * refuse the memfd or its read+execute mapping. Each buffer gets an anonymous private
 * mapping, written while read+write and then made read+execute (never both at once), INT3
 * after the code; the mapping's first block holds what a free needs. A page or more per
 * buffer, one mapping each (vm.max_map_count bounds how many): the packed memfd is what
 * scales, this is what still works.
 */
#define _GNU_SOURCE
#include "host_internal.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct pages_head {
    size_t bytes;  /* the mapping's length */
    uint32_t slot; /* the buffer's region-table slot (contain.c) */
};

_Static_assert(sizeof(struct pages_head) <= HD_HOST_EXEC_BLOCK, "the head fits its block");

bool hd__host_exec_pages_alloc(struct hd_host *h, const void *code, size_t size, void **out)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = (HD_HOST_EXEC_BLOCK + size + page - 1) / page * page;
    uint8_t *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct pages_head *head = (struct pages_head *)(void *)map;
    uint8_t *start = map + HD_HOST_EXEC_BLOCK; /* 64-byte aligned: the trampoline's 16 */

    if (map == MAP_FAILED)
        return false;
    memset(map, 0xCC, bytes); /* INT3: a stale call traps and is contained */
    memcpy(start, code, size);
    head->bytes = bytes;
    pthread_mutex_lock(&h->state_lock);
    /* Known to the time limit before it can run (UINT32_MAX: the table could not grow). */
    head->slot = hd__host_region_add(h, (uintptr_t)start, size);
    pthread_mutex_unlock(&h->state_lock);
    if (mprotect(map, bytes, PROT_READ | PROT_EXEC) != 0) {
        pthread_mutex_lock(&h->state_lock);
        hd__host_region_remove(h, head->slot);
        pthread_mutex_unlock(&h->state_lock);
        munmap(map, bytes);
        return false;
    }
    *out = start;
    return true;
}

void hd__host_exec_pages_free(struct hd_host *h, void *code)
{
    uint8_t *map = (uint8_t *)code - HD_HOST_EXEC_BLOCK;
    const struct pages_head *head = (const struct pages_head *)(const void *)map;

    pthread_mutex_lock(&h->state_lock);
    hd__host_region_remove(h, head->slot);
    pthread_mutex_unlock(&h->state_lock);
    munmap(map, head->bytes);
}
