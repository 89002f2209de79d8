/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/device.h — the hdevent tool's door to a loaded kernel backend.
 *
 * Two implementations: device_posix.c (Linux: open/ioctl with struct hd_linux_ioctl, read,
 * poll, sched_setaffinity) and device_win32.c (CreateFile, DeviceIoControl,
 * SetThreadAffinityMask). The device subcommands (device_cli.h) use only this interface.
 * Every failing call writes a sentence (what failed and why, the OS error included) into
 * @p err.
 */
#ifndef HDEVENT_CLI_DEVICE_H
#define HDEVENT_CLI_DEVICE_H

#include <stddef.h>
#include <stdint.h>

struct cli_device;

/** The default device path: "/dev/hdevent" on Linux, "\\\\.\\hdevent" on Windows. */
const char *device_default_path(void);

/** Open the device at @p path. @return 0 with *out set; -1 (err filled). */
int device_open(const char *path, struct cli_device **out, char *err, size_t err_size);

/** Close it (registered events stay). NULL is ignored. */
void device_close(struct cli_device *dev);

/**
 * Send IOCTL @p code (HD_IOCTL_*) with @p in / @p out; *returned receives the bytes the
 * kernel wrote. A wire rejection is a success here: its code is in the output.
 * @return 0; DEVICE_UNKNOWN_REQUEST when the device does not serve @p code (an older module
 *         or driver: Linux ENOTTY, Windows ERROR_INVALID_FUNCTION); -1 when the OS call
 *         failed otherwise (output too small, ...). err is filled on both.
 */
#define DEVICE_UNKNOWN_REQUEST (-2)
int device_ioctl(struct cli_device *dev, uint32_t code, const void *in, size_t in_len, void *out,
                 size_t out_len, size_t *returned, char *err, size_t err_size);

/**
 * Take queued messages as records (struct hd_wire_message + text, wire.h) into @p out; never
 * blocks. *got = 0 when none is queued. Linux: read(); Windows: HD_IOCTL_READ_MESSAGES.
 * @return 0; -1 (err filled).
 */
int device_read(struct cli_device *dev, void *out, size_t out_len, size_t *got, char *err,
                size_t err_size);

/**
 * Wait up to @p timeout_ms for a message to be queued (Linux: poll; Windows may just sleep).
 * @return 1 readable, 0 timeout, -1 error (err filled).
 */
int device_wait(struct cli_device *dev, int timeout_ms, char *err, size_t err_size);

/** Sleep about @p ms milliseconds (a signal may end it early): `record --follow` polls. */
void device_sleep_ms(unsigned ms);

/** The number of logical processors configured, at least 1 (`record` names it for replay). */
uint32_t device_core_count(void);

/**
 * Pin the calling thread to logical processor @p core, so a self-test IOCTL runs there.
 * @return 0; -1 (err filled: no such core, not allowed).
 */
int device_pin_core(uint32_t core, char *err, size_t err_size);

/** How many cores device_pin_core() can name (0 .. this - 1): a larger core= is a usage error. */
uint32_t device_core_count_max(void);

#endif /* HDEVENT_CLI_DEVICE_H */
