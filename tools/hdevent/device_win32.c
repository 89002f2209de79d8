/* SPDX-License-Identifier: MIT */
/*
 * device.h on Windows: \\.\hdevent through CreateFile and DeviceIoControl.
 *
 * Messages come by HD_IOCTL_READ_MESSAGES (the driver serves no IRP_MJ_READ), and the driver
 * has no event to wait on, so device_wait() polls that IOCTL's cheap empty answer every
 * 10 ms. Errors carry Windows' own message for GetLastError().
 */
#ifdef _WIN32

#include "device.h"

#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

struct cli_device {
    HANDLE handle;
    /* A record read ahead by device_wait(), handed out by the next device_read(). */
    uint8_t *pending;
    size_t pending_len;
};

/* "<what>: <Windows' sentence> (error N)" into err. */
static void win_error(char *err, size_t err_size, const char *what)
{
    DWORD code = GetLastError();
    char text[256] = "";
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), text,
                             (DWORD)sizeof(text), NULL);

    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = 0;
    snprintf(err, err_size, "%s: %s (error %lu)", what, n ? text : "unknown error",
             (unsigned long)code);
}

const char *device_default_path(void)
{
    return "\\\\.\\hdevent";
}

int device_open(const char *path, struct cli_device **out, char *err, size_t err_size)
{
    struct cli_device *dev = calloc(1, sizeof(*dev));
    char what[300];

    if (!dev) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    dev->handle = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    if (dev->handle == INVALID_HANDLE_VALUE) {
        snprintf(what, sizeof(what), "cannot open %s (is hdevent.sys loaded?)", path);
        win_error(err, err_size, what);
        free(dev);
        return -1;
    }
    *out = dev;
    return 0;
}

void device_close(struct cli_device *dev)
{
    if (!dev)
        return;
    CloseHandle(dev->handle);
    free(dev->pending);
    free(dev);
}

int device_ioctl(struct cli_device *dev, uint32_t code, const void *in, size_t in_len, void *out,
                 size_t out_len, size_t *returned, char *err, size_t err_size)
{
    DWORD got = 0;
    char what[64];

    *returned = 0;
    if (in_len > MAXDWORD || out_len > MAXDWORD) {
        snprintf(err, err_size, "IOCTL 0x%06lX: buffer larger than 4 GiB", (unsigned long)code);
        return -1;
    }
    /* DeviceIoControl's input pointer is not const; METHOD_BUFFERED copies it, never writes. */
    if (!DeviceIoControl(dev->handle, code, (void *)(uintptr_t)in, (DWORD)in_len, out,
                         (DWORD)out_len, &got, NULL)) {
        bool unknown = GetLastError() == ERROR_INVALID_FUNCTION;
        snprintf(what, sizeof(what), "IOCTL 0x%06lX", (unsigned long)code);
        win_error(err, err_size, what);
        return unknown ? DEVICE_UNKNOWN_REQUEST : -1;
    }
    if (got > out_len) { /* never trust a length the other side wrote */
        snprintf(err, err_size, "IOCTL 0x%06lX: the driver reports %lu bytes written into %lu",
                 (unsigned long)code, (unsigned long)got, (unsigned long)out_len);
        return -1;
    }
    *returned = got;
    return 0;
}

int device_read(struct cli_device *dev, void *out, size_t out_len, size_t *got, char *err,
                size_t err_size)
{
    if (dev->pending) {
        /* device_wait() took these records off the queue: hand them over first. */
        if (out_len < dev->pending_len) {
            snprintf(err, err_size, "read: %zu bytes of messages waiting, buffer holds %zu",
                     dev->pending_len, out_len);
            return -1;
        }
        memcpy(out, dev->pending, dev->pending_len);
        *got = dev->pending_len;
        free(dev->pending);
        dev->pending = NULL;
        dev->pending_len = 0;
        return 0;
    }
    return device_ioctl(dev, HD_IOCTL_READ_MESSAGES, NULL, 0, out, out_len, got, err, err_size);
}

int device_wait(struct cli_device *dev, int timeout_ms, char *err, size_t err_size)
{
    /* Reading is the only way to look; what is read is kept for the next device_read(). */
    enum { CAP = 64 * 1024 };
    DWORD start = GetTickCount();
    uint8_t *buf;

    if (dev->pending)
        return 1;
    buf = malloc(CAP);
    if (!buf) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (;;) {
        size_t got = 0;
        if (device_ioctl(dev, HD_IOCTL_READ_MESSAGES, NULL, 0, buf, CAP, &got, err, err_size)) {
            free(buf);
            return -1;
        }
        if (got) {
            dev->pending = buf;
            dev->pending_len = got;
            return 1;
        }
        if (timeout_ms >= 0 && GetTickCount() - start >= (DWORD)timeout_ms) {
            free(buf);
            return 0;
        }
        Sleep(10);
    }
}

uint32_t device_core_count_max(void)
{
    return 64; /* one affinity mask: processor group 0 */
}

int device_pin_core(uint32_t core, char *err, size_t err_size)
{
    /* One processor group (64 logical processors) is what SetThreadAffinityMask reaches. */
    if (core >= 64) {
        snprintf(err, err_size, "core %lu: this tool pins only to cores 0..63 (group 0)",
                 (unsigned long)core);
        return -1;
    }
    if (!SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << core)) {
        char what[64];
        snprintf(what, sizeof(what), "cannot pin to core %lu", (unsigned long)core);
        win_error(err, err_size, what);
        return -1;
    }
    return 0;
}

void device_sleep_ms(unsigned ms)
{
    Sleep(ms);
}

uint32_t device_core_count(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors ? (uint32_t)si.dwNumberOfProcessors : 1;
}

#endif /* _WIN32 */
