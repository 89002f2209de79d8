/* SPDX-License-Identifier: MIT */
/*
 * memcpy, memset and memcmp for the driver, in general-purpose registers only.
 *
 * The core imports exactly these three, and some of its calls sit on the dispatch path (the
 * protected register copy, message bytes). ntoskrnl's own versions may use XMM registers,
 * whose guest values a VMX exit stub does not save: defining them here keeps every byte the
 * exit handler runs away from SIMD state, and keeps the driver's import table to real kernel
 * services. `rep movsb`/`rep stosb` are the fast path on every CPU with ERMSB (Ivy Bridge on).
 * Built with -fno-builtin -fno-tree-loop-distribute-patterns so that GCC cannot turn the
 * memcmp loop back into a call to itself.
 */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;

    __asm__ __volatile__("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;

    __asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    return 0;
}
