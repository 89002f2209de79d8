/* SPDX-License-Identifier: MIT */
/*
 * Executable memory for raw conditions and custom code (hd_backend_ops.exec_alloc/exec_free).
 *
 * Linux 6.1 exports no route to executable memory: set_memory_x, module_alloc and
 * __vmalloc_node_range are not exported, and vmap() clears the execute permission of whatever
 * protection it is given (pgprot_nx since 5.8: a PAGE_KERNEL_ROX vmap faults on the first
 * instruction fetch). What a module does own is its text: executable, read-only after load.
 * So the code runs from an arena inside the module's text (kmod_arena.S) and is written through
 * a second mapping of the same pages, made with vmap(PAGE_KERNEL): read-write and NX. That
 * alias exists only while exec_alloc/exec_free write (vmap, write, vunmap, then
 * vm_unmap_aliases() so no CPU keeps a lazily-unmapped writable TLB entry): no permanent
 * writable view of executable code. No address is writable and executable at once
 * (CONFIG_DEBUG_WX holds).
 *
 * The arena is cut in 64-byte blocks (a bitmap, first fit) under its own mutex; exec_alloc and
 * exec_free run in writer context. Each buffer starts with ENDBR64 (F3 0F 1E FA): on kernels
 * with IBT an indirect call must land on one; elsewhere it is a NOP. The code moves as a whole,
 * so its relative branches (kept inside it by the validator) still land where they should.
 * After writing, every CPU takes an IPI: returning from it is serializing, which is what
 * Intel's cross-modifying-code rule asks of a CPU that may run the new bytes (SDM 8.1.3).
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>

#include "kmod_internal.h"

extern u8 hd_kmod_exec_arena[];
extern u8 hd_kmod_exec_arena_end[];

#define EXEC_BLOCK 64u

static const u8 hd_kmod_endbr64[4] = {0xF3, 0x0F, 0x1E, 0xFA};
static DEFINE_MUTEX(exec_lock);
static struct page **exec_pages; /* the arena's pages, for the short-lived RW alias */
static unsigned int exec_npages;
static unsigned long *exec_used; /* one bit per block */
static unsigned long exec_blocks;

int hd_kmod_exec_init(void)
{
    size_t bytes = hd_kmod_exec_arena_end - hd_kmod_exec_arena;
    unsigned int n = bytes / PAGE_SIZE, i;

    if (!PAGE_ALIGNED(hd_kmod_exec_arena) || !n)
        return -EINVAL;
    exec_pages = kcalloc(n, sizeof(*exec_pages), GFP_KERNEL);
    if (!exec_pages)
        return -ENOMEM;
    for (i = 0; i < n; i++)
        if (!(exec_pages[i] = vmalloc_to_page(hd_kmod_exec_arena + (size_t)i * PAGE_SIZE)))
            goto fail;
    exec_npages = n;
    exec_blocks = bytes / EXEC_BLOCK;
    exec_used = bitmap_zalloc(exec_blocks, GFP_KERNEL);
    if (!exec_used)
        goto fail;
    return 0;
fail:
    kfree(exec_pages);
    exec_pages = NULL;
    exec_npages = 0;
    return i < n ? -EINVAL : -ENOMEM;
}

void hd_kmod_exec_exit(void)
{
    bitmap_free(exec_used);
    kfree(exec_pages);
    exec_used = NULL;
    exec_pages = NULL;
    exec_npages = 0;
}

/*
 * Write @p len bytes at arena offset @p off: @p src, or @p fill when src is NULL. Maps a
 * read-write NX alias of just the pages concerned, writes, and unmaps it (writer context).
 * @return false when vmap failed (nothing written).
 */
static bool exec_write(size_t off, const void *src, int fill, size_t len)
{
    unsigned int first = off / PAGE_SIZE, last = (off + len - 1) / PAGE_SIZE;
    u8 *alias = vmap(exec_pages + first, last - first + 1, VM_MAP, PAGE_KERNEL);

    if (!alias)
        return false;
    if (src)
        memcpy(alias + off % PAGE_SIZE, src, len);
    else
        memset(alias + off % PAGE_SIZE, fill, len);
    vunmap(alias);
    vm_unmap_aliases(); /* vunmap defers the TLB flush: purge it now */
    return true;
}

/* Bytes of arena in use, for the load message and leak checks. */
size_t hd_kmod_exec_used_bytes(void)
{
    size_t n;
    mutex_lock(&exec_lock);
    n = exec_used ? (size_t)bitmap_weight(exec_used, exec_blocks) * EXEC_BLOCK : 0;
    mutex_unlock(&exec_lock);
    return n;
}

size_t hd_kmod_exec_arena_bytes(void)
{
    return hd_kmod_exec_arena_end - hd_kmod_exec_arena;
}

static unsigned long blocks_for(size_t size)
{
    return DIV_ROUND_UP(size + sizeof(hd_kmod_endbr64), EXEC_BLOCK);
}

static void serialize_cpu(void *info)
{
    (void)info; /* the IPI's return (IRET) serializes this CPU */
}

bool hd_kmod_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    unsigned long want = blocks_for(size), at;
    size_t off;
    u8 *buf;

    (void)user;
    if (!exec_pages || size > hd_kmod_exec_arena_bytes())
        return false;
    mutex_lock(&exec_lock);
    at = bitmap_find_next_zero_area(exec_used, exec_blocks, 0, want, 0);
    if (at >= exec_blocks) {
        mutex_unlock(&exec_lock);
        pr_warn_ratelimited("hdevent: executable arena full (%zu KiB): raw code of %zu bytes "
                            "refused\n", hd_kmod_exec_arena_bytes() / 1024, size);
        return false;
    }
    bitmap_set(exec_used, at, want);
    mutex_unlock(&exec_lock);
    off = at * EXEC_BLOCK;
    /* One write: ENDBR64 then the code (the alias is mapped once per call). */
    buf = kmalloc(sizeof(hd_kmod_endbr64) + size, GFP_KERNEL);
    if (buf) {
        memcpy(buf, hd_kmod_endbr64, sizeof(hd_kmod_endbr64));
        memcpy(buf + sizeof(hd_kmod_endbr64), code, size);
    }
    if (!buf || !exec_write(off, buf, 0, sizeof(hd_kmod_endbr64) + size)) {
        kfree(buf);
        mutex_lock(&exec_lock);
        bitmap_clear(exec_used, at, want);
        mutex_unlock(&exec_lock);
        return false;
    }
    kfree(buf);
    on_each_cpu(serialize_cpu, NULL, 1);
    *out = hd_kmod_exec_arena + off;
    return true;
}

void hd_kmod_exec_free(void *user, void *code, size_t size)
{
    unsigned long at = ((u8 *)code - hd_kmod_exec_arena) / EXEC_BLOCK, n = blocks_for(size);

    (void)user;
    if (WARN_ON_ONCE((u8 *)code < hd_kmod_exec_arena || at + n > exec_blocks))
        return;
    /* Back to INT3. If the alias cannot be mapped the stale bytes stay, unreachable: the
     * blocks are only reused through exec_write, which overwrites them. */
    if (!exec_write(at * EXEC_BLOCK, NULL, 0xCC, n * EXEC_BLOCK))
        pr_warn_ratelimited("hdevent: could not map the arena to clear freed raw code\n");
    mutex_lock(&exec_lock);
    bitmap_clear(exec_used, at, n);
    mutex_unlock(&exec_lock);
}
