/* SPDX-License-Identifier: MIT */
/*
 * asm_lex.c — the tokens of one assembly statement.
 *
 * Numbers follow the assemblers people know, not the command language: `31` is decimal,
 * `0x1F` and `1Fh` are hex (an h-suffixed number starts with a digit, as in MASM: `0FFh`, not
 * `FFh`, which is a name). The command language reads `pid 10` as 0x10 because HyperDbg does;
 * inside `asm {…}` the text is assembly, and assembly reads 10 as ten (docs/asm.md).
 */
#include "asm_internal.h"

#include <string.h>

#define EXPECT_NUMBER "numbers are decimal (31), 0x hex (0x1F) or h-suffixed hex (1Fh)"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '@';
}

static bool is_word_char(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9');
}

/* Read the digits p[0..n) in @p base. @return 0, 1 (not a digit of the base), 2 (overflow). */
static int read_digits(const char *p, uint32_t n, unsigned base, uint64_t *out)
{
    uint64_t v = 0;

    for (uint32_t i = 0; i < n; i++) {
        int d = hd__hex_digit(p[i]);
        if (d < 0 || (unsigned)d >= base)
            return 1;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return 2;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* A token that starts with a digit: decimal, 0x… or …h. */
static enum hd_status lex_number(struct hd__asm_lexer *lx, struct hd__asm_tok *tok)
{
    struct hd__asm *a = lx->a;
    const char *p = a->text + tok->span.off;
    uint32_t n = tok->span.len;
    int r;

    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        r = read_digits(p + 2, n - 2, 16, &tok->value);
    else if (n > 1 && (p[n - 1] == 'h' || p[n - 1] == 'H'))
        r = read_digits(p, n - 1, 16, &tok->value);
    else
        r = read_digits(p, n, 10, &tok->value);
    if (r == 2)
        return hd__asm_fail_span(a, tok->span, "number does not fit in 64 bits");
    if (r)
        return hd__asm_fail_span(a, tok->span, "not a number: " EXPECT_NUMBER);
    return HD_OK;
}

static enum hd_status lex_string(struct hd__asm_lexer *lx, struct hd__asm_tok *tok)
{
    const char *t = lx->a->text;
    char q = t[lx->pos];
    uint32_t i = lx->pos + 1;

    while (i < lx->end && t[i] != q) {
        if (t[i] == '\\' && i + 1 < lx->end)
            i++;
        i++;
    }
    if (i >= lx->end)
        return hd__asm_fail(lx->a, lx->pos, lx->end - lx->pos,
                            "string without its closing %c (a string ends on its line)", q);
    tok->kind = HD__ASM_TOK_STRING;
    tok->span.len = i + 1 - lx->pos;
    lx->pos = i + 1;
    return HD_OK;
}

static enum hd_status lex(struct hd__asm_lexer *lx, struct hd__asm_tok *tok)
{
    const char *t = lx->a->text;
    char c;

    while (lx->pos < lx->end && is_blank(t[lx->pos]))
        lx->pos++;
    memset(tok, 0, sizeof(*tok));
    tok->span.off = lx->pos;
    if (lx->pos >= lx->end) {
        tok->kind = HD__ASM_TOK_END;
        return HD_OK;
    }
    c = t[lx->pos];
    if (c == '"' || c == '\'')
        return lex_string(lx, tok);
    if (strchr(",[]+-*:{}", c)) {
        tok->kind = HD__ASM_TOK_PUNCT;
        tok->punct = c;
        tok->span.len = 1;
        lx->pos++;
        return HD_OK;
    }
    if (!is_word_char(c))
        return hd__asm_fail(lx->a, lx->pos, 1,
                            "unexpected character: an instruction is a mnemonic and operands "
                            "separated by commas");
    while (lx->pos < lx->end && is_word_char(t[lx->pos]))
        lx->pos++;
    /* st(0) .. st(7): MASM's and GAS's names for Zydis's st0 .. st7, one word. */
    if (lx->pos - tok->span.off == 2 && (c | 0x20) == 's' && (t[tok->span.off + 1] | 0x20) == 't' &&
        lx->pos + 3 <= lx->end && t[lx->pos] == '(' && t[lx->pos + 1] >= '0' &&
        t[lx->pos + 1] <= '7' && t[lx->pos + 2] == ')')
        lx->pos += 3;
    tok->span.len = lx->pos - tok->span.off;
    if (is_word_start(c)) {
        tok->kind = HD__ASM_TOK_WORD;
        return HD_OK;
    }
    tok->kind = HD__ASM_TOK_NUMBER;
    return lex_number(lx, tok);
}

enum hd_status hd__asm_next(struct hd__asm_lexer *lx, struct hd__asm_tok *tok)
{
    if (lx->has_peeked) {
        *tok = lx->peeked;
        lx->has_peeked = false;
    } else {
        HD_CHECK(lex(lx, tok));
    }
    if (tok->kind != HD__ASM_TOK_END)
        lx->last_end = tok->span.off + tok->span.len;
    return HD_OK;
}

enum hd_status hd__asm_peek(struct hd__asm_lexer *lx, struct hd__asm_tok *tok)
{
    if (!lx->has_peeked) {
        HD_CHECK(lex(lx, &lx->peeked));
        lx->has_peeked = true;
    }
    *tok = lx->peeked;
    return HD_OK;
}

bool hd__asm_is_punct(const struct hd__asm_tok *tok, char c)
{
    return tok->kind == HD__ASM_TOK_PUNCT && tok->punct == c;
}

bool hd__asm_is_word(const struct hd__asm *a, const struct hd__asm_tok *tok, const char *kw)
{
    size_t n = strlen(kw);

    if (tok->kind != HD__ASM_TOK_WORD || tok->span.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = a->text[tok->span.off + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != kw[i])
            return false;
    }
    return true;
}

enum hd_status hd__asm_string(struct hd__asm *a, const struct hd__asm_tok *tok, uint8_t *out,
                              uint32_t *n)
{
    const char *p = a->text + tok->span.off;
    uint32_t len = tok->span.len, k = 0;

    for (uint32_t i = 1; i + 1 < len; i++) {
        char c = p[i];
        if (c != '\\') {
            out[k++] = (uint8_t)c;
            continue;
        }
        c = p[++i];
        switch (c) {
        case 'n': out[k++] = '\n'; break;
        case 't': out[k++] = '\t'; break;
        case 'r': out[k++] = '\r'; break;
        case '0': out[k++] = 0; break;
        case '\\': case '"': case '\'': out[k++] = (uint8_t)c; break;
        case 'x': {
            int hi = i + 1 + 1 < len ? hd__hex_digit(p[i + 1]) : -1;
            int lo = i + 2 + 1 < len ? hd__hex_digit(p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return hd__asm_fail(a, tok->span.off + i - 1, 2,
                                    "\\x takes two hex digits (\\x0A)");
            out[k++] = (uint8_t)(hi << 4 | lo);
            i += 2;
            break;
        }
        default:
            return hd__asm_fail(a, tok->span.off + i - 1, 2,
                                "unknown escape: strings take \\n \\t \\r \\0 \\\\ \\\" \\' "
                                "and \\xNN");
        }
    }
    *n = k;
    return HD_OK;
}
