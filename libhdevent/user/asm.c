/* SPDX-License-Identifier: MIT */
/*
 * asm.c — the assembler's entry points (hdevent/asm.h): the text is split into statements at
 * `;` and newlines (not inside strings), each statement is parsed (asm_parse.c), labels are
 * bound (asm_layout.c), each instruction's form is chosen (asm_encode.c), then everything is
 * placed and encoded (asm_layout.c). The first error stops it; nothing is left allocated.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include "asm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------------------- */

enum hd_status hd__asm_fail(struct hd__asm *a, uint32_t off, uint32_t len, const char *fmt, ...)
{
    struct hd_asm_error *err = a->err;
    va_list ap;
    uint32_t line = 1, start = 0;

    if (!err)
        return HD_ERR_INVALID_ARGUMENT;
    memset(err, 0, sizeof(*err));
    for (uint32_t i = 0; i < off && i < a->len; i++)
        if (a->text[i] == '\n') {
            line++;
            start = i + 1;
        }
    err->line = line;
    err->column = off - start + 1;
    err->offset = off;
    err->length = len;
    hd__error_token(err->token, sizeof(err->token), a->text + off, len);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return HD_ERR_INVALID_ARGUMENT;
}

enum hd_status hd__asm_no_memory(struct hd__asm *a)
{
    if (a->err) {
        memset(a->err, 0, sizeof(*a->err));
        snprintf(a->err->message, sizeof(a->err->message), "out of memory");
    }
    return HD_ERR_NO_MEMORY;
}

enum hd_status hd__asm_grow(struct hd__asm *a, void **p, uint32_t *cap, uint32_t need,
                            size_t elem)
{
    uint32_t n = *cap ? *cap : 16;
    void *q;

    if (need <= *cap)
        return HD_OK;
    while (n < need)
        n *= 2;
    q = realloc(*p, (size_t)n * elem);
    if (!q)
        return hd__asm_no_memory(a);
    *p = q;
    *cap = n;
    return HD_OK;
}

/* An error that has no place (a NULL argument). */
static enum hd_status fail_plain(struct hd_asm_error *err, const char *message)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message), "%s", message);
    }
    return HD_ERR_INVALID_ARGUMENT;
}

/* ---- statements --------------------------------------------------------------------------- */

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The statement [b, e) on @p line whose line starts at @p line_start, blanks trimmed. */
static enum hd_status statement(struct hd__asm *a, uint32_t b, uint32_t e, uint32_t line,
                                uint32_t line_start)
{
    struct hd__asm_span span;

    while (b < e && blank(a->text[b]))
        b++;
    while (e > b && blank(a->text[e - 1]))
        e--;
    if (b == e)
        return HD_OK;
    span.off = b;
    span.len = e - b;
    return hd__asm_parse_stmt(a, span, line, b - line_start + 1);
}

/* Statements end at ';' and newlines; a string runs to its closing quote or its line's end
 * (the lexer reports one left open). */
static enum hd_status split(struct hd__asm *a)
{
    uint32_t start = 0, line = 1, line_start = 0, stmt_line = 1, stmt_line_start = 0;
    char quote = 0;

    for (uint32_t i = 0; i <= a->len; i++) {
        char c = i < a->len ? a->text[i] : '\n';
        if (quote && c != '\n') {
            if (c == '\\' && i + 1 < a->len && a->text[i + 1] != '\n')
                i++;
            else if (c == quote)
                quote = 0;
            continue;
        }
        quote = 0;
        if (c == '"' || c == '\'') {
            quote = c;
            continue;
        }
        if (c != ';' && c != '\n')
            continue;
        HD_CHECK(statement(a, start, i, stmt_line, stmt_line_start));
        start = i + 1;
        if (c == '\n') {
            line++;
            line_start = i + 1;
        }
        stmt_line = line;
        stmt_line_start = line_start;
    }
    return HD_OK;
}

/* ---- entry points ------------------------------------------------------------------------- */

static void release(struct hd__asm *a)
{
    free(a->stmts);
    free(a->labels);
    free(a->data);
}

static enum hd_status run(struct hd__asm *a, struct hd_asm_result *out)
{
    uint8_t *bytes = NULL;

    HD_CHECK(split(a));
    if (a->stmt_count == 0)
        return hd__asm_fail(a, 0, 0, "no instruction: the text is empty");
    HD_CHECK(hd__asm_bind_labels(a));
    for (uint32_t i = 0; i < a->stmt_count; i++)
        if (a->stmts[i].kind == HD__ASM_STMT_INSN)
            HD_CHECK(hd__asm_resolve(a, &a->stmts[i]));
    HD_CHECK(hd__asm_place(a, &bytes));
    out->lines = calloc(a->stmt_count, sizeof(*out->lines));
    if (!out->lines) {
        free(bytes);
        return hd__asm_no_memory(a);
    }
    for (uint32_t i = 0; i < a->stmt_count; i++) {
        const struct hd__asm_stmt *s = &a->stmts[i];
        struct hd_asm_line *l = &out->lines[i];
        l->line = s->line;
        l->column = s->column;
        l->text_offset = s->text.off;
        l->text_length = s->text.len;
        l->offset = s->offset;
        l->size = s->size;
    }
    out->line_count = a->stmt_count;
    out->size = a->total;
    if (a->total) {
        out->bytes = bytes;
    } else {
        free(bytes);
    }
    return HD_OK;
}

enum hd_status hd_asm_assemble(const char *text, size_t len, struct hd_asm_result *out,
                               struct hd_asm_error *err)
{
    struct hd__asm a;
    enum hd_status st;

    if (!out)
        return fail_plain(err, "no struct hd_asm_result to fill");
    memset(out, 0, sizeof(*out));
    if (!text)
        return fail_plain(err, "no assembly text");
    if (len == 0)
        len = strnlen(text, (size_t)HD_ASM_TEXT_MAX + 1);
    if (len > HD_ASM_TEXT_MAX)
        return fail_plain(err, "assembly text longer than 1 MiB");
    memset(&a, 0, sizeof(a));
    a.text = text;
    a.len = (uint32_t)len;
    a.err = err;
    st = run(&a, out);
    release(&a);
    if (st != HD_OK)
        hd_asm_free(out);
    return st;
}

void hd_asm_free(struct hd_asm_result *result)
{
    if (!result)
        return;
    free(result->bytes);
    free(result->lines);
    memset(result, 0, sizeof(*result));
}

/* ---- formatting --------------------------------------------------------------------------- */

void hd_asm_error_format(const struct hd_asm_error *err, const char *text, size_t len,
                         char *out, size_t cap)
{
    size_t n = 0;

    if (!out || cap == 0)
        return;
    out[0] = '\0';
    if (!err)
        return;
#define PUT(...)                                                                               \
    do {                                                                                       \
        if (n < cap)                                                                           \
            n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__);                              \
    } while (0)
    if (err->line)
        PUT("line %u, column %u: ", (unsigned)err->line, (unsigned)err->column);
    if (err->token[0])
        PUT("'%.*s': ", (int)sizeof(err->token), err->token);
    PUT("%.*s", (int)sizeof(err->message), err->message);
    if (text && err->line) {
        if (len == 0)
            len = strnlen(text, (size_t)HD_ASM_TEXT_MAX + 1);
        size_t off = err->offset < len ? err->offset : len, start, end, shown, carets;
        for (start = off; start > 0 && text[start - 1] != '\n'; start--)
            ;
        for (end = off; end < len && text[end] != '\n'; end++)
            ;
        for (shown = end; shown > start && text[shown - 1] == '\r'; shown--)
            ;
        PUT("\n%.*s\n", (int)(shown - start), text + start);
        for (size_t i = start; i < off; i++)
            PUT("%c", text[i] == '\t' ? '\t' : ' ');
        carets = err->length ? err->length : 1;
        if (off + carets > shown)
            carets = shown > off ? shown - off : 1;
        for (size_t i = 0; i < carets; i++)
            PUT("^");
    }
#undef PUT
    if (n >= cap)
        out[cap - 1] = '\0';
}
