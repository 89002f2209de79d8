/* SPDX-License-Identifier: MIT */
/*
 * lib.c — what a freestanding image needs and the core may import (memcpy, memset,
 * memcmp), the console (Bochs' port 0xE9 hack), the static arena and the way out.
 */
#include "bm.h"

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

void bm_putc(char c) { __asm__ volatile("outb %0, $0xE9" : : "a"(c)); }

void bm_puts(const char *s)
{
    while (*s)
        bm_putc(*s++);
}

void bm_hex(uint64_t v)
{
    int s = 60;
    bm_puts("0x");
    while (s > 0 && !((v >> s) & 0xF))
        s -= 4;
    for (; s >= 0; s -= 4)
        bm_putc("0123456789abcdef"[(v >> s) & 0xF]);
}

/* Bytes as two lower-case hex digits each, nothing between: how the recorder dump carries
 * bytes that are not the image's own (registers, command text) onto the log. */
void bm_hex_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        bm_putc("0123456789abcdef"[b[i] >> 4]);
        bm_putc("0123456789abcdef"[b[i] & 0xF]);
    }
}

void bm_dec(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = 0;
    do
        b[--i] = (char)('0' + v % 10);
    while (v /= 10);
    bm_puts(&b[i]);
}

/* The arena: 2 MiB of .bss handed out front to back. Nothing is ever given back: the image
 * registers a fixed set of events once, so a free list would be dead code. bm_arena_used
 * shows what the run took. */
#define BM_ARENA_BYTES (2u << 20)
static uint8_t bm_arena[BM_ARENA_BYTES] __attribute__((aligned(4096)));
static size_t bm_arena_used;

void *bm_arena_alloc(size_t size, size_t align)
{
    size_t at = (bm_arena_used + align - 1) & ~(align - 1);
    if (at > BM_ARENA_BYTES || size > BM_ARENA_BYTES - at)
        return NULL;
    bm_arena_used = at + size;
    memset(bm_arena + at, 0, size);
    return bm_arena + at;
}

/* Bochs' magic breakpoint (xchg bx, bx) drops into its debugger, which reads `quit` from the
 * rc file the runner gives it: a clean exit with status 0. */
void bm_shutdown(void)
{
    for (;;)
        __asm__ volatile("xchg %%bx, %%bx; cli; hlt" : : : "memory");
}
