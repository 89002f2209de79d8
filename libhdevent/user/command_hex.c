/* SPDX-License-Identifier: MIT */
/*
 * command_hex.c — `condition {hex}` and `code {hex}` bodies.
 *
 * HyperDbg takes `{9090}`, `{0x9090}` and `{\x90\x90}` but refuses the spaced `{90 90 90}` its
 * own docs use; hdevent takes all of them. The body is split into words at blanks (spaces,
 * tabs, newlines). A word is one or more groups of hex digits: the first may start with `0x`
 * or `\x`, each further one starts with `\x`. Each group is read as bytes written left to
 * right; a group with an odd number of digits gets a leading 0, so `{123}` is 01 23 and
 * `{90 9 90}` is 90 09 90. A RET (0xC3) is appended unless the last byte already is one.
 */
#include <stdlib.h>
#include <string.h>

#include "command_internal.h"

static bool is_x_prefix(const char *p, size_t avail)
{
    return avail >= 2 && (p[0] == '0' || p[0] == '\\') && (p[1] == 'x' || p[1] == 'X');
}

/* Append the bytes of the @p n hex digits at @p d (odd count: leading 0) to buf. */
static size_t emit_group(const char *d, size_t n, uint8_t *buf, size_t count)
{
    size_t i = 0;
    if (n % 2) {
        buf[count++] = (uint8_t)hd__hex_digit(d[0]);
        i = 1;
    }
    for (; i < n; i += 2)
        buf[count++] = (uint8_t)(hd__hex_digit(d[i]) << 4 | hd__hex_digit(d[i + 1]));
    return count;
}

enum hd_status hd__cmd_hex_body(const struct cmd_lexer *lx, const struct cmd_token *brace,
                            const char *what, uint8_t **code, uint32_t *size,
                            struct hd_command_error *err)
{
    const char *b = brace->p + 1;
    size_t n = brace->len - 2, i = 0, count = 0;
    uint8_t *buf = malloc(n + 2); /* a digit makes at most one byte; + RET */

    if (!buf)
        return hd__cmd_no_memory(err);
    while (i < n) {
        size_t s, e, j;
        while (i < n && hd__cmd_is_blank(b[i]))
            i++;
        if (i >= n)
            break;
        for (s = i, e = i; e < n && !hd__cmd_is_blank(b[e]); e++)
            ;
        i = e;
        j = is_x_prefix(b + s, e - s) ? s + 2 : s;
        for (;;) {
            size_t d0 = j;
            while (j < e && hd__hex_digit(b[j]) >= 0)
                j++;
            if (j == d0 && j == e) {
                free(buf);
                return hd__cmd_fail(lx, err, b + s, e - s,
                                "a '0x' or '\\x' prefix without hex digits: %s {...} takes hex "
                                "bytes such as {90 90 90}, {0x9090} or {\\x90\\x90}",
                                what);
            }
            if (j == d0)
                break; /* not a digit: reported below */
            count = emit_group(b + d0, j - d0, buf, count);
            if (j == e)
                break;
            if (!(b[j] == '\\' && j + 1 < e && (b[j + 1] == 'x' || b[j + 1] == 'X')))
                break;
            j += 2;
        }
        if (j != e) {
            free(buf);
            return hd__cmd_fail(lx, err, b + s, e - s,
                            "not hex bytes: %s {...} takes hex bytes such as {90 90 90}, "
                            "{0x9090} or {\\x90\\x90}; assembly goes in asm %s {...}",
                            what, what);
        }
    }
    if (count == 0) {
        free(buf);
        return cmd_fail_tok(lx, err, brace,
                            "empty body: %s {...} takes hex bytes such as {90 90 90}", what);
    }
    if (buf[count - 1] != 0xC3)
        buf[count++] = 0xC3;
    if (count > HD_CODE_MAX_BYTES) {
        free(buf);
        return cmd_fail_tok(lx, err, brace,
                            "too long: %s {...} holds at most %u bytes, the appended RET included",
                            what, HD_CODE_MAX_BYTES);
    }
    *code = buf;
    *size = (uint32_t)count;
    return HD_OK;
}
