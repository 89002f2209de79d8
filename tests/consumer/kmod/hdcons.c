/* SPDX-License-Identifier: MIT */
/*
 * A kernel module of somebody else's, built out of tree against the installed hdevent: a
 * backend of its own (kmalloc, a mutex, the CPU count), a native hook, and one synthetic VMCALL
 * exit through hd_dispatch_vmcall_exit() with interrupts off, as an exit handler would take it.
 * tests/consumer/kmod/run.sh builds it twice: with the core compiled from the installed sources
 * (hdevent-core.mk) and with the installed prebuilt libhdevent_core_kernel.a.
 */
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include <hdevent/hdevent.h>

static DEFINE_MUTEX(hdcons_lock);
static struct hd_engine *hdcons_engine;

static void *hdcons_alloc(void *user, size_t size)
{
    return kmalloc(size < 16 ? 16 : size, GFP_KERNEL); /* 16-byte aligned from 16 bytes up */
}

static void hdcons_free(void *user, void *ptr)
{
    kfree(ptr);
}

static uint32_t hdcons_cores(void *user)
{
    return nr_cpu_ids;
}

static void hdcons_mutex_lock(void *user)
{
    mutex_lock(&hdcons_lock);
}

static void hdcons_mutex_unlock(void *user)
{
    mutex_unlock(&hdcons_lock);
}

static void *hdcons_answer(struct hd_hook *hook)
{
    if (hook->regs->rcx == 0x7001) {
        hook->regs->rax = 42;
        hook->short_circuit = true;
    }
    return NULL;
}

static int __init hdcons_init(void)
{
    struct hd_backend_ops ops;
    struct hd_event_desc ev;
    struct hd_action_desc act;
    struct hd_guest_regs regs = {.rcx = 0x7001};
    struct hd_vcpu v = {.regs = &regs, .insn_len = 3};
    struct hd_exit x;
    unsigned long irq;
    enum hd_status st;

    hd_backend_ops_init(&ops);
    ops.alloc = hdcons_alloc;
    ops.free = hdcons_free;
    ops.core_count = hdcons_cores;
    ops.lock = hdcons_mutex_lock;
    ops.unlock = hdcons_mutex_unlock;
    st = hd_engine_create(&ops, NULL, &hdcons_engine);
    if (st != HD_OK)
        return -ENOMEM;
    hd_event_desc_init(&ev);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = hdcons_answer;
    ev.actions = &act;
    ev.action_count = 1;
    st = hd_event_register(hdcons_engine, &ev, NULL);
    if (st == HD_OK) {
        local_irq_save(irq);
        v.core = smp_processor_id();
        st = hd_dispatch_vmcall_exit(hdcons_engine, &v, NULL, NULL, NULL, &x);
        local_irq_restore(irq);
    }
    pr_info("hdcons: %s, rax %llu\n", hd_status_name(st), (unsigned long long)regs.rax);
    if (st != HD_OK || regs.rax != 42) {
        hd_engine_destroy(hdcons_engine);
        return -EINVAL;
    }
    return 0;
}

static void __exit hdcons_exit(void)
{
    hd_engine_destroy(hdcons_engine);
}

module_init(hdcons_init);
module_exit(hdcons_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("hdevent consumer test: the installed core in an out-of-tree module");
