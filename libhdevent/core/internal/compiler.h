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
 * Store-load barrier for the dispatcher's "I am inside" mark (see snapshot.c). GCC emits
 * `lock or [rsp], 0` for a seq_cst fence, and the dispatch path must not execute a locked
 * instruction, so x86-64 uses MFENCE itself. ThreadSanitizer does not understand inline
 * assembly, so its builds take the C11 fence it can model.
 */
#if defined(__SANITIZE_THREAD__)
#define hd_fence_store_load() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define hd_fence_store_load() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#endif
#ifndef hd_fence_store_load
#if defined(__x86_64__)
#define hd_fence_store_load() __asm__ __volatile__("mfence" ::: "memory")
#else
#error "hdevent core: store-load fence not defined for this architecture"
#endif
#endif

/* Writer-side full fence: locked instructions are fine off the dispatch path. */
#define hd_fence_full() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define HD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HDEVENT_INTERNAL_COMPILER_H */
