/* SPDX-License-Identifier: MIT */
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

/*
 * HD_API marks the library's functions. The libraries are compiled with -fvisibility=hidden
 * and their internals (named hd__*) are made local before they are installed, so `nm` of an
 * installed library shows exactly the functions the headers declare with HD_API.
 */
#if defined(__GNUC__) && !defined(_WIN32)
#define HD_API __attribute__((__visibility__("default")))
#else
#define HD_API
#endif

/* C linkage for C++ includers: every public header wraps its declarations in these. */
#if defined(__cplusplus)
#define HD_EXTERN_C_BEGIN extern "C" {
#define HD_EXTERN_C_END }
#else
#define HD_EXTERN_C_BEGIN
#define HD_EXTERN_C_END
#endif

/* Not API: the layout checks of the public headers and of the library's own files. */
#if defined(__cplusplus)
#define HD__STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define HD__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/** Pid or core value meaning "every pid" / "every core" (HyperDbg's 0xFFFFFFFF). */
#define HD_ALL 0xFFFFFFFFu

#endif /* HDEVENT_TYPES_H */
