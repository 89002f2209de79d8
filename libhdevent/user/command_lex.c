/* SPDX-License-Identifier: MIT */
/*
 * command_lex.c — tokens, numbers and error reports of the command parser.
 *
 * A command is a list of tokens separated by blanks: words, and `{…}` groups kept whole and
 * verbatim (HyperDbg's rule), nested braces balanced so script bodies can hold blocks.
 * A word also ends at a brace, so `code{90}` is `code` then `{90}`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "command_internal.h"

bool hd__cmd_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

uint32_t hd__cmd_column(const struct cmd_lexer *lx, const char *p)
{
    return (uint32_t)(p - lx->text) + 1;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool hd__cmd_starts_with(const char *p, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(p[i]) != kw[i])
            return false;
    return true;
}

bool hd__cmd_is(const struct cmd_token *tok, const char *kw)
{
    return !tok->brace && tok->len == strlen(kw) && hd__cmd_starts_with(tok->p, tok->len, kw);
}

enum hd_status hd__cmd_fail(const struct cmd_lexer *lx, struct hd_command_error *err, const char *p,
                        size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return HD_ERR_INVALID_ARGUMENT;
    memset(err, 0, sizeof(*err));
    err->column = lx && p ? hd__cmd_column(lx, p) : 0;
    err->length = (uint32_t)len;
    hd__error_token(err->token, sizeof(err->token), p, len);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return HD_ERR_INVALID_ARGUMENT;
}

enum hd_status hd__cmd_no_memory(struct hd_command_error *err)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message), "out of memory while parsing the command");
    }
    return HD_ERR_NO_MEMORY;
}

/* A `{…}` group starting at lx->pos. Quoted strings in it ("…", with backslash escapes) are
 * skipped, so a script's printf("}") does not close the body. */
static enum hd_status lex_brace(struct cmd_lexer *lx, struct cmd_token *tok,
                                struct hd_command_error *err)
{
    const char *t = lx->text;
    size_t start = lx->pos, quote = 0;
    unsigned long depth = 0;
    bool in_str = false;

    for (size_t i = start; i < lx->len; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\' && i + 1 < lx->len)
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            quote = i;
        } else if (c == '{') {
            depth++;
        } else if (c == '}' && --depth == 0) {
            tok->p = t + start;
            tok->len = (uint32_t)(i + 1 - start);
            tok->brace = true;
            lx->pos = i + 1;
            return HD_OK;
        }
    }
    if (in_str)
        return hd__cmd_fail(lx, err, t + quote, lx->len - quote,
                        "unterminated string: a '\"' inside a {...} body needs its closing '\"'");
    return hd__cmd_fail(lx, err, t + start, lx->len - start,
                    "unterminated '{': a body runs from '{' to its matching '}'");
}

enum hd_status hd__cmd_next(struct cmd_lexer *lx, struct cmd_token *tok,
                        struct hd_command_error *err)
{
    const char *t = lx->text;
    size_t i;

    while (lx->pos < lx->len && hd__cmd_is_blank(t[lx->pos]))
        lx->pos++;
    if (lx->pos >= lx->len)
        return HD_EMPTY;
    if (t[lx->pos] == '}')
        return hd__cmd_fail(lx, err, t + lx->pos, 1,
                        "unmatched '}': a '}' only closes a '{' body, as in code {90 90 90}");
    if (t[lx->pos] == '{')
        return lex_brace(lx, tok, err);
    for (i = lx->pos; i < lx->len && !hd__cmd_is_blank(t[i]) && t[i] != '{' && t[i] != '}'; i++)
        ;
    tok->p = t + lx->pos;
    tok->len = (uint32_t)(i - lx->pos);
    tok->brace = false;
    lx->pos = i;
    return HD_OK;
}

/* ---- numbers --------------------------------------------------------------------------- */

/* Next character of p[0..len) that is not a backtick, from *i on; -1 at the end. */
static int next_sig(const char *p, size_t len, size_t *i)
{
    while (*i < len && p[*i] == '`')
        (*i)++;
    if (*i >= len)
        return -1;
    return (unsigned char)p[(*i)++];
}

static int digit_value(int c, unsigned base)
{
    int v = -1;
    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    return (v >= 0 && (unsigned)v < base) ? v : -1;
}

enum cmd_num hd__cmd_number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    size_t i = 0, mark;
    unsigned base = 16;
    int c = next_sig(p, len, &i);
    uint64_t v = 0;
    bool range = false, any = false;

    if (c < 0)
        return CMD_NUM_EMPTY;
    if (c == '\\') {
        c = next_sig(p, len, &i);
        if (c == 'x' || c == 'X')
            base = 16;
        else if (c == 'n' || c == 'N')
            base = 10;
        else
            return c < 0 ? CMD_NUM_EMPTY : CMD_NUM_BAD;
    } else if (c == 'x' || c == 'X') {
        base = 16;
    } else if (c == 'n' || c == 'N') {
        base = 10;
    } else {
        mark = i;
        int c2 = c == '0' ? next_sig(p, len, &i) : -1;
        if (c2 == 'x' || c2 == 'X')
            base = 16;
        else if (c2 == 'n' || c2 == 'N')
            base = 10;
        else
            i = mark - 1; /* no prefix: c is the first digit (never a backtick) */
    }
    while ((c = next_sig(p, len, &i)) >= 0) {
        int d = digit_value(c, base);
        if (d < 0)
            return CMD_NUM_BAD;
        any = true;
        if ((uint64_t)d > max || v > (max - (uint64_t)d) / base)
            range = true; /* keep going: a bad digit later is the better report */
        else
            v = v * base + (uint64_t)d;
    }
    if (!any)
        return CMD_NUM_EMPTY;
    if (range)
        return CMD_NUM_RANGE;
    *out = v;
    return CMD_NUM_OK;
}

enum hd_status hd__cmd_fail_number(const struct cmd_lexer *lx, struct hd_command_error *err,
                               const struct cmd_token *tok, enum cmd_num why, uint64_t max,
                               const char *expected)
{
    if (tok->brace)
        return cmd_fail_tok(lx, err, tok, "a {...} body is not a number: %s", expected);
    switch (why) {
    case CMD_NUM_EMPTY:
        return cmd_fail_tok(lx, err, tok, "no digits: %s", expected);
    case CMD_NUM_RANGE:
        return cmd_fail_tok(lx, err, tok, "too large, the most is 0x%llX: %s",
                            (unsigned long long)max, expected);
    default:
        return cmd_fail_tok(lx, err, tok, "%s", expected);
    }
}
