/* SPDX-License-Identifier: MIT */
/*
 * hdevent/device_linux.h — how user mode passes IOCTL buffers to /dev/hdevent on Linux.
 *
 * Windows' DeviceIoControl carries an input buffer, an output buffer and their lengths, and
 * returns the bytes written. A Linux ioctl carries one pointer, so the Linux module takes the
 * same request codes (HD_IOCTL_* from wire.h, used as the ioctl command number unchanged) with
 * a pointer to this descriptor. The buffers themselves are exactly the Windows ones.
 *
 * ioctl() returns 0 when the kernel wrote a result (a rejection included: its wire code is in
 * the result), and -1 with errno: ENOTTY unknown code; EINVAL output smaller than the result,
 * reserved field not 0; E2BIG input or output above HD_LINUX_IOCTL_MAX; EFAULT a bad pointer;
 * ENOMEM. Freestanding-safe (the module includes it too).
 */
#ifndef HDEVENT_DEVICE_LINUX_H
#define HDEVENT_DEVICE_LINUX_H

#include "types.h"

HD_EXTERN_C_BEGIN

/** The device node the module creates. */
#define HD_LINUX_DEVICE_PATH "/dev/hdevent"

/** Largest in_len or out_len the module copies (1 MiB; any valid request is far below). */
#define HD_LINUX_IOCTL_MAX (1024u * 1024u)

/** The ioctl argument: where the buffers are and how long. 32 bytes, same on 32-bit callers. */
struct hd_linux_ioctl {
    uint64_t in_ptr;   /**< 0: user pointer to the input (may be 0 with in_len 0) */
    uint64_t out_ptr;  /**< 8: user pointer to the output */
    uint32_t in_len;   /**< 16: input bytes */
    uint32_t out_len;  /**< 20: output capacity in bytes */
    uint32_t returned; /**< 24: out: bytes the kernel wrote to out_ptr */
    uint32_t reserved; /**< 28: must be 0 */
};

HD__STATIC_ASSERT(sizeof(struct hd_linux_ioctl) == 32, "hd_linux_ioctl is 32 bytes");

HD_EXTERN_C_END

#endif /* HDEVENT_DEVICE_LINUX_H */
