/* SPDX-License-Identifier: MIT */
/*
 * /dev/hdevent: the misc device user mode talks to (include/hdevent/device_linux.h).
 *
 * ioctl: the command number is the IOCTL code (wire.h), the argument a struct hd_linux_ioctl
 * naming the input and output buffers. Both are copied into kernel memory (bounded by
 * HD_LINUX_IOCTL_MAX) and handed to hd_wire_device_ioctl(): this file never parses a buffer.
 * read: message records (hd_wire_read_messages), the same bytes as HD_IOCTL_READ_MESSAGES.
 * poll: readable while a message is queued.
 *
 * Messages are queued by dispatch, in VMX root with interrupts off, where waking a sleeper is
 * not allowed. So readers are woken by the self-test IOCTL (process context) and, while the
 * device is open, by a 20 ms watch that looks at the queues (lock-free counters).
 * Closing the device leaves every registered event in place.
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <hdevent/device_linux.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include "kmod_internal.h"

#define HD_KMOD_READ_MAX (64u * 1024u) /* bytes one read() takes at most */
#define HD_KMOD_WATCH_MS 20

static DECLARE_WAIT_QUEUE_HEAD(hd_kmod_readers);
static atomic_t hd_kmod_open_count = ATOMIC_INIT(0);
static void hd_kmod_watch(struct work_struct *work);
static DECLARE_DELAYED_WORK(hd_kmod_watch_work, hd_kmod_watch);

static bool messages_queued(void)
{
    struct hd_message_stats s;
    uint32_t n = hd_engine_core_count(hd_kmod_engine);

    for (uint32_t c = 0; c < n; c++)
        if (hd_message_stats(hd_kmod_engine, c, &s) == HD_OK && s.queued)
            return true;
    return false;
}

static void hd_kmod_watch(struct work_struct *work)
{
    (void)work;
    if (messages_queued())
        wake_up_interruptible(&hd_kmod_readers);
    if (atomic_read(&hd_kmod_open_count) > 0)
        schedule_delayed_work(&hd_kmod_watch_work, msecs_to_jiffies(HD_KMOD_WATCH_MS));
}

/* ---- the self-test's "run here": the calling CPU, preemption and interrupts off ---------- */

static void kmod_run_here(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    unsigned long flags;

    (void)user;
    preempt_disable();
    local_irq_save(flags); /* as a VM exit handler runs: no IPI, no other exit in between */
    fn(arg, smp_processor_id());
    local_irq_restore(flags);
    preempt_enable();
}

/* ---- file operations ---------------------------------------------------------------------- */

static int hd_kmod_open(struct inode *inode, struct file *file)
{
    (void)inode;
    (void)file;
    /* The device registers code that runs in ring 0 (raw conditions, custom code): root's
     * capability, whatever the node's mode says (docs/backends/linux.md). */
    if (!capable(CAP_SYS_ADMIN))
        return -EPERM;
    if (atomic_inc_return(&hd_kmod_open_count) == 1)
        schedule_delayed_work(&hd_kmod_watch_work, msecs_to_jiffies(HD_KMOD_WATCH_MS));
    return 0;
}

static int hd_kmod_release(struct inode *inode, struct file *file)
{
    (void)inode;
    (void)file;
    atomic_dec(&hd_kmod_open_count); /* the watch stops itself; events stay registered */
    return 0;
}

static long status_errno(enum hd_status st)
{
    switch (st) {
    case HD_ERR_UNKNOWN_IOCTL:
        return -ENOTTY;
    case HD_ERR_BUFFER_TOO_SMALL:
    case HD_ERR_INVALID_ARGUMENT:
        return -EINVAL;
    case HD_ERR_NO_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

static long hd_kmod_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
    struct hd_wire_caller caller = {
        .pid = task_tgid_nr(current), .user = NULL, .run_here = kmod_run_here};
    struct hd_linux_ioctl a;
    void *in = NULL, *out = NULL;
    size_t written = 0;
    enum hd_status st;
    long ret = 0;

    (void)file;
    /* Checked per request, not only at open: a descriptor may be inherited or passed to a
     * process without the capability. Only the event list changes nothing. */
    if (cmd != HD_IOCTL_LIST_EVENTS && !capable(CAP_SYS_ADMIN))
        return -EPERM;
    if (copy_from_user(&a, (const void __user *)arg, sizeof(a)))
        return -EFAULT;
    if (a.reserved) {
        pr_warn_ratelimited("hdevent: ioctl 0x%x refused: reserved field of the argument is "
                            "not 0\n", cmd);
        return -EINVAL;
    }
    if (a.in_len > HD_LINUX_IOCTL_MAX || a.out_len > HD_LINUX_IOCTL_MAX) {
        pr_warn_ratelimited("hdevent: ioctl 0x%x refused: in_len %u / out_len %u above %u "
                            "bytes\n", cmd, a.in_len, a.out_len, HD_LINUX_IOCTL_MAX);
        return -E2BIG;
    }
    if (a.in_len) {
        in = vmemdup_user(u64_to_user_ptr(a.in_ptr), a.in_len); /* up to 1 MiB: kvmalloc */
        if (IS_ERR(in))
            return PTR_ERR(in);
    }
    if (a.out_len) {
        out = kvzalloc(a.out_len, GFP_KERNEL); /* zeroed: no stale kernel bytes go out */
        if (!out) {
            ret = -ENOMEM;
            goto done;
        }
    }
    st = hd_wire_device_ioctl(hd_kmod_engine, &caller, cmd, in, a.in_len, out, a.out_len,
                              &written);
    if (st != HD_OK) {
        if (st == HD_ERR_UNKNOWN_IOCTL)
            pr_warn_ratelimited("hdevent: ioctl 0x%x refused: not an hdevent IOCTL code\n", cmd);
        else if (st == HD_ERR_BUFFER_TOO_SMALL)
            pr_warn_ratelimited("hdevent: ioctl 0x%x refused: output of %u bytes is too small "
                                "for its result\n", cmd, a.out_len);
        ret = status_errno(st);
        goto done;
    }
    if (written && copy_to_user(u64_to_user_ptr(a.out_ptr), out, written)) {
        ret = -EFAULT;
        goto done;
    }
    a.returned = (uint32_t)written;
    if (copy_to_user((void __user *)arg, &a, sizeof(a)))
        ret = -EFAULT;
    if (cmd == HD_IOCTL_SELFTEST_VMCALL && messages_queued())
        wake_up_interruptible(&hd_kmod_readers);
done:
    kvfree(out);
    if (!IS_ERR_OR_NULL(in))
        kvfree(in);
    return ret;
}

/* Each record goes to the reader's buffer before its message is taken (a fault leaves it). */
static bool copy_record(void *user, const void *record, size_t size, size_t offset)
{
    return copy_to_user((char __user *)user + offset, record, size) == 0;
}

static ssize_t hd_kmod_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
    size_t len = min_t(size_t, count, HD_KMOD_READ_MAX), written = 0;
    enum hd_status st;
    void *tmp;

    (void)pos;
    if (!capable(CAP_SYS_ADMIN)) /* reading takes the messages: a state change */
        return -EPERM;
    if (count < HD_WIRE_MESSAGE_READ_MIN)
        return -EINVAL;
    tmp = kvzalloc(len, GFP_KERNEL);
    if (!tmp)
        return -ENOMEM;
    for (;;) {
        st = hd_wire_read_messages_to(hd_kmod_engine, tmp, len, copy_record, buf, &written);
        if (st != HD_EMPTY)
            break;
        if (file->f_flags & O_NONBLOCK) {
            kvfree(tmp);
            return -EAGAIN;
        }
        if (wait_event_interruptible(hd_kmod_readers, messages_queued())) {
            kvfree(tmp);
            return -ERESTARTSYS;
        }
    }
    kvfree(tmp); /* HD_ERR_INVALID_ARGUMENT: the first record could not be copied, still queued */
    if (st != HD_OK)
        return st == HD_ERR_INVALID_ARGUMENT ? -EFAULT : status_errno(st);
    return (ssize_t)written;
}

static __poll_t hd_kmod_poll(struct file *file, poll_table *wait)
{
    poll_wait(file, &hd_kmod_readers, wait);
    return messages_queued() ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations hd_kmod_fops = {
    .owner = THIS_MODULE, /* an open descriptor keeps the module loaded */
    .open = hd_kmod_open,
    .release = hd_kmod_release,
    .unlocked_ioctl = hd_kmod_ioctl,
    .compat_ioctl = compat_ptr_ioctl,
    .read = hd_kmod_read,
    .poll = hd_kmod_poll,
    .llseek = noop_llseek,
};

static struct miscdevice hd_kmod_misc = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "hdevent",
    .fops = &hd_kmod_fops,
    .mode = 0600,
};

int hd_kmod_device_init(void)
{
    return misc_register(&hd_kmod_misc);
}

void hd_kmod_device_exit(void)
{
    misc_deregister(&hd_kmod_misc);
    cancel_delayed_work_sync(&hd_kmod_watch_work);
}
