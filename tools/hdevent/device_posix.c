/* SPDX-License-Identifier: MIT */
/*
 * device.h on Linux: /dev/hdevent through open, ioctl (struct hd_linux_ioctl), read and poll;
 * sched_setaffinity pins the self-test to a core. Every failure names the call and errno.
 */
#ifndef _WIN32

#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */

#include "device.h"

#include <hdevent/device_linux.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct cli_device {
    int fd;
    char path[256];
};

const char *device_default_path(void)
{
    return HD_LINUX_DEVICE_PATH;
}

int device_open(const char *path, struct cli_device **out, char *err, size_t err_size)
{
    struct cli_device *d = calloc(1, sizeof(*d));

    if (!d) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    d->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (d->fd < 0) {
        snprintf(err, err_size, "cannot open %s: %s%s", path, strerror(errno),
                 errno == ENOENT ? " (is the hdevent module loaded? insmod hdevent.ko)" : "");
        free(d);
        return -1;
    }
    snprintf(d->path, sizeof(d->path), "%s", path);
    *out = d;
    return 0;
}

void device_close(struct cli_device *dev)
{
    if (!dev)
        return;
    close(dev->fd);
    free(dev);
}

int device_ioctl(struct cli_device *dev, uint32_t code, const void *in, size_t in_len, void *out,
                 size_t out_len, size_t *returned, char *err, size_t err_size)
{
    struct hd_linux_ioctl a;

    memset(&a, 0, sizeof(a));
    a.in_ptr = (uint64_t)(uintptr_t)in;
    a.out_ptr = (uint64_t)(uintptr_t)out;
    a.in_len = (uint32_t)in_len;
    a.out_len = (uint32_t)out_len;
    *returned = 0;
    if (in_len > HD_LINUX_IOCTL_MAX || out_len > HD_LINUX_IOCTL_MAX) {
        snprintf(err, err_size, "ioctl 0x%X: buffer above %u bytes", code, HD_LINUX_IOCTL_MAX);
        return -1;
    }
    if (ioctl(dev->fd, (unsigned long)code, &a) != 0) {
        int e = errno;
        snprintf(err, err_size, "ioctl 0x%X on %s: %s", code, dev->path, strerror(e));
        return e == ENOTTY ? DEVICE_UNKNOWN_REQUEST : -1;
    }
    if (a.returned > out_len) { /* never trust a length the other side wrote */
        snprintf(err, err_size, "ioctl 0x%X: the kernel reports %u bytes written into %zu",
                 code, (unsigned)a.returned, out_len);
        return -1;
    }
    *returned = a.returned;
    return 0;
}

int device_read(struct cli_device *dev, void *out, size_t out_len, size_t *got, char *err,
                size_t err_size)
{
    ssize_t n = read(dev->fd, out, out_len);

    *got = 0;
    if (n < 0 && errno == EAGAIN)
        return 0; /* nothing queued (the descriptor is non-blocking) */
    if (n < 0) {
        snprintf(err, err_size, "read %s: %s", dev->path, strerror(errno));
        return -1;
    }
    if ((size_t)n > out_len) {
        snprintf(err, err_size, "read %s: %zd bytes into %zu", dev->path, n, out_len);
        return -1;
    }
    *got = (size_t)n;
    return 0;
}

int device_wait(struct cli_device *dev, int timeout_ms, char *err, size_t err_size)
{
    struct pollfd p = {.fd = dev->fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);

    if (n < 0) {
        if (errno == EINTR)
            return 0;
        snprintf(err, err_size, "poll %s: %s", dev->path, strerror(errno));
        return -1;
    }
    return n > 0 && (p.revents & POLLIN) ? 1 : 0;
}

uint32_t device_core_count_max(void)
{
    return CPU_SETSIZE;
}

int device_pin_core(uint32_t core, char *err, size_t err_size)
{
    cpu_set_t set;

    if (core >= CPU_SETSIZE) {
        snprintf(err, err_size, "core %u: above the %d cores sched_setaffinity can name", core,
                 CPU_SETSIZE);
        return -1;
    }
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        snprintf(err, err_size, "cannot pin to core %u: %s%s", core, strerror(errno),
                 errno == EINVAL ? " (no such online core)" : "");
        return -1;
    }
    return 0;
}

#endif /* !_WIN32 */

void device_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

uint32_t device_core_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? (uint32_t)n : 1;
}
