/* SPDX-License-Identifier: MIT */
/*
 * libhdevent/user/text.h — small text helpers the command parser and the assembler share.
 */
#ifndef HDEVENT_USER_TEXT_H
#define HDEVENT_USER_TEXT_H

#include <stddef.h>
#include <string.h>

/* The value of hex digit @p c (either case), or -1. */
static inline int hd__hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Copy the @p len bytes at @p p into an error's token field of @p cap bytes (cap > 4, zeroed
 * by the caller): control bytes become blanks, so a token is safe to print, and a token too
 * long for the field is cut and ends in "...".
 */
static inline void hd__error_token(char *dst, size_t cap, const char *p, size_t len)
{
    size_t keep = len > cap - 1 ? cap - 4 : len; /* room for "..." */

    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)p[i];
        dst[i] = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
    }
    if (keep < len)
        memcpy(dst + keep, "...", 4);
}

#endif /* HDEVENT_USER_TEXT_H */
