/*
 * hdevent/types.h — the one place that knows which world we are compiled in.
 *
 * Linux kernel code is built with -nostdinc, so <stdint.h> does not exist there and its
 * uint64_t differs from the kernel's own (unsigned long vs unsigned long long). Every other
 * file includes this header and never a type header of its own.
 */
#ifndef HDEVENT_TYPES_H
#define HDEVENT_TYPES_H

#if defined(__KERNEL__) && defined(__linux__)
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#if defined(__cplusplus)
#define HD_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define HD_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/** Pid or core value meaning "every pid" / "every core" (HyperDbg's 0xFFFFFFFF). */
#define HD_ALL 0xFFFFFFFFu

#endif /* HDEVENT_TYPES_H */
