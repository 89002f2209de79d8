/* SPDX-License-Identifier: MIT */
/*
 * The backend ops of hdevent.ko: how the core gets memory, a lock, the log and "run on every
 * core" from Linux; executable memory is kmod_exec.c's. All of them run in writer context
 * (process context, may sleep). The dispatch-path ops (on_break, is_own_hypercall) stay NULL:
 * the core reports breaks in the verdict and uses HyperDbg's hypercall magic.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "kmod_internal.h"

static DEFINE_MUTEX(hd_kmod_writer_lock);

/* ---- memory ---------------------------------------------------------------------------- */

/*
 * The core wants 16-byte alignment. kmalloc objects of 16 bytes and more are aligned to at
 * least 16 on x86-64 (every kmalloc cache size from 16 up is a multiple of 16, slabs are
 * page aligned); vmalloc, which kvmalloc falls back to for large blocks, is page aligned.
 */
static void *kmod_alloc(void *user, size_t size)
{
    (void)user;
    return kvmalloc(size < 16 ? 16 : size, GFP_KERNEL);
}

static void kmod_free(void *user, void *ptr)
{
    (void)user;
    kvfree(ptr);
}

/* ---- everything else ---------------------------------------------------------------------- */

static uint32_t kmod_core_count(void *user)
{
    (void)user;
    return nr_cpu_ids; /* possible CPUs: smp_processor_id() is always below it */
}

static uint32_t kmod_current_pid(void *user)
{
    (void)user;
    return task_tgid_nr(current); /* the process, as HyperDbg's pid filter means it */
}

/* The snapshot hash's key: unknown to the user who registers events (backend.h). */
static uint64_t kmod_hash_seed(void *user)
{
    (void)user;
    return get_random_u64();
}

void hd_kmod_log(enum hd_log_level level, const char *message)
{
    switch (level) {
    case HD_LOG_ERROR:
        pr_err("hdevent: %s\n", message);
        break;
    case HD_LOG_WARN:
        pr_warn("hdevent: %s\n", message);
        break;
    case HD_LOG_INFO:
        pr_info("hdevent: %s\n", message);
        break;
    default:
        pr_debug("hdevent: %s\n", message);
        break;
    }
}

static void kmod_log(void *user, enum hd_log_level level, const char *message)
{
    (void)user;
    hd_kmod_log(level, message);
}

struct every_core_call {
    void (*fn)(void *arg, uint32_t core);
    void *arg;
};

static void every_core_ipi(void *info)
{
    struct every_core_call *c = info;
    c->fn(c->arg, smp_processor_id());
}

/*
 * on_each_cpu waits until every online CPU ran the function from an IPI, and dispatch runs
 * with interrupts off (VM exits; the self-test disables them): so a CPU that took the IPI is
 * outside dispatch, which is what the core needs to free retired snapshots at once.
 */
static void kmod_run_on_every_core(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    struct every_core_call c = {fn, arg};
    (void)user;
    on_each_cpu(every_core_ipi, &c, 1);
}

static void kmod_lock(void *user)
{
    (void)user;
    mutex_lock(&hd_kmod_writer_lock);
}

static void kmod_unlock(void *user)
{
    (void)user;
    mutex_unlock(&hd_kmod_writer_lock);
}

void hd_kmod_ops_init(struct hd_backend_ops *ops)
{
    hd_backend_ops_init(ops);
    ops->alloc = kmod_alloc;
    ops->free = kmod_free;
    ops->exec_alloc = hd_kmod_exec_alloc;
    ops->exec_free = hd_kmod_exec_free;
    ops->core_count = kmod_core_count;
    ops->current_pid = kmod_current_pid;
    ops->log = kmod_log;
    ops->run_on_every_core = kmod_run_on_every_core;
    ops->hash_seed = kmod_hash_seed;
    ops->lock = kmod_lock;
    ops->unlock = kmod_unlock;
}
