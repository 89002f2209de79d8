/* SPDX-License-Identifier: MIT */
/*
 * tests/alloc_wrap.h — counting, and optionally failing, malloc/calloc/realloc/free through
 * link-time wrappers (-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free), so tests
 * watch the user-mode parser's allocations with no hook in the library. Works under ASan and
 * TSan: the wrappers sit in front of the sanitizer's own allocator.
 *
 * It defines the wrappers: include it in exactly one file of a test program.
 *   alloc_wrap_live      blocks allocated through the wrappers and not yet freed
 *   alloc_wrap_calls     allocation calls since the last alloc_wrap_reset()
 *   alloc_wrap_fail_at   the index (counted like alloc_wrap_calls) of the one call to fail;
 *                        ALLOC_WRAP_NEVER (the default) fails none
 */
#ifndef HDEVENT_TESTS_ALLOC_WRAP_H
#define HDEVENT_TESTS_ALLOC_WRAP_H

#include <stdbool.h>
#include <stddef.h>

#define ALLOC_WRAP_NEVER ((unsigned long)-1)

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static long alloc_wrap_live;
static unsigned long alloc_wrap_calls;
static unsigned long alloc_wrap_fail_at = ALLOC_WRAP_NEVER;

/* Count the call; true when it is the one to fail. */
static bool alloc_wrap_fail_now(void)
{
    return alloc_wrap_calls++ == alloc_wrap_fail_at;
}

void *__wrap_malloc(size_t n)
{
    void *p = alloc_wrap_fail_now() ? NULL : __real_malloc(n);
    alloc_wrap_live += p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = alloc_wrap_fail_now() ? NULL : __real_calloc(n, size);
    alloc_wrap_live += p != NULL;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    void *q;
    if (alloc_wrap_fail_now())
        return NULL; /* p stays valid, as with a real failure */
    q = __real_realloc(p, n);
    if (!p && q)
        alloc_wrap_live++;
    else if (p && n == 0 && !q)
        alloc_wrap_live--;
    return q;
}

void __wrap_free(void *p)
{
    alloc_wrap_live -= p != NULL;
    __real_free(p);
}

#endif /* HDEVENT_TESTS_ALLOC_WRAP_H */
