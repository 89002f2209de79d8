/* SPDX-License-Identifier: MIT */
/*
 * Compiler and memory-model primitives of the core: the only place that knows which compiler
 * builds us. The core uses GCC/Clang builtins; an MSVC port supplies the same macros here.
 */
#ifndef HDEVENT_INTERNAL_COMPILER_H
#define HDEVENT_INTERNAL_COMPILER_H

#include <hdevent/types.h>

/* memcpy/memset/memcmp are the only symbols the core may import (checked by nm -u). */
#define hd_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define hd_memset(d, c, n) __builtin_memset((d), (c), (n))
#define hd_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))

#define HD_LIKELY(x) __builtin_expect(!!(x), 1)
#define HD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HD_CACHELINE 64u

/* Plain loads and stores with C11 ordering; none of them is a read-modify-write. */
#define hd_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define hd_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define hd_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define hd_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * The one locked instruction the dispatch path may execute: the runs of a `max_hits` event,
 * counted across cores (hd__dispatch_gate, dispatch_hooks.c: only for events that ask).
 */
#define hd_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/*
 * Store-load barrier for the dispatcher's "I am inside" mark (see snapshot_retire.c). GCC emits
 * `lock or [rsp], 0` for a seq_cst fence, and the dispatch path must not execute a locked
 * instruction, so x86-64 uses MFENCE itself. The writer side may use a locked instruction.
 *
 * ThreadSanitizer neither understands inline assembly nor models fences (GCC refuses
 * atomic_thread_fence under -fsanitize=thread), so its builds turn both barriers into a
 * seq_cst read-modify-write of one shared word, which TSan does model: those builds alone
 * trade the no-locked-instruction rule for a race detector that sees the real ordering.
 */
#if defined(__SANITIZE_THREAD__)
#define HD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HD_TSAN 1
#endif
#endif

#if defined(HD_TSAN)
extern uint32_t hd__tsan_fence_word; /* defined in snapshot_retire.c */
#define hd_fence_store_load() ((void)__atomic_fetch_add(&hd__tsan_fence_word, 0, __ATOMIC_SEQ_CST))
#define hd_fence_full() ((void)__atomic_fetch_add(&hd__tsan_fence_word, 0, __ATOMIC_SEQ_CST))
#elif defined(__x86_64__)
#define hd_fence_store_load() __asm__ __volatile__("mfence" ::: "memory")
#define hd_fence_full() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
#error "hdevent core: store-load fence not defined for this architecture"
#endif

/* @p v rounded up to a multiple of @p a (a power of two). */
#define hd_align_up(v, a) (((v) + ((a)-1)) & ~(__typeof__(v))((a)-1))

#define HD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HDEVENT_INTERNAL_COMPILER_H */
