/* SPDX-License-Identifier: MIT */
/*
 * script_lex.c — the script compiler's tokens and its error reports.
 *
 * Tokens: words ([A-Za-z0-9_] and backticks: keywords, numbers, locals, function names — the
 * parser tells them apart), `.global`, `@register`, `$pseudo`, "strings" (escapes \n \t \\ \"),
 * operators (longest match) and punctuation. Blanks and comments (`//` to the end of the line,
 * and block comments from slash-star to star-slash) separate tokens.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "script_internal.h"

/* ---- errors ---------------------------------------------------------------------------- */

_Noreturn void hd__sc_fail(struct sc *c, uint32_t pos, uint32_t len, const char *fmt, ...)
{
    struct hd_script_error *e = c->err;
    va_list ap;

    c->status = HD_ERR_SCRIPT_COMPILE;
    if (e) {
        uint32_t line = 1, start = 0;
        memset(e, 0, sizeof(*e));
        for (uint32_t i = 0; i < pos && i < c->len; i++)
            if (c->text[i] == '\n') {
                line++;
                start = i + 1;
            }
        e->line = line;
        e->column = pos - start + 1;
        e->offset = pos;
        e->length = len;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
    }
    longjmp(c->fail, 1);
}

_Noreturn void hd__sc_no_memory(struct sc *c)
{
    c->status = HD_ERR_NO_MEMORY;
    if (c->err) {
        memset(c->err, 0, sizeof(*c->err));
        snprintf(c->err->message, sizeof(c->err->message),
                 "out of memory while compiling the script");
    }
    longjmp(c->fail, 1);
}

/* ---- characters ---------------------------------------------------------------------- */

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '`';
}

/* Skip blanks and comments from c->pos. */
static void skip(struct sc *c)
{
    for (;;) {
        while (c->pos < c->len && blank(c->text[c->pos]))
            c->pos++;
        if (c->pos + 1 >= c->len || c->text[c->pos] != '/')
            return;
        if (c->text[c->pos + 1] == '/') {
            while (c->pos < c->len && c->text[c->pos] != '\n')
                c->pos++;
        } else if (c->text[c->pos + 1] == '*') {
            uint32_t start = c->pos;
            c->pos += 2;
            while (c->pos + 1 < c->len && !(c->text[c->pos] == '*' && c->text[c->pos + 1] == '/'))
                c->pos++;
            if (c->pos + 1 >= c->len)
                hd__sc_fail(c, start, 2, "unterminated comment: a /* comment ends with */");
            c->pos += 2;
        } else {
            return;
        }
    }
}

/* ---- tokens ---------------------------------------------------------------------------- */

static const struct {
    const char *text;
    enum sc_punct p;
} puncts[] = {
    /* Longest first: "<<=" before "<<" before "<". */
    {"<<=", P_SHL_ASSIGN}, {">>=", P_SHR_ASSIGN}, {"<<", P_SHL}, {">>", P_SHR},
    {"<=", P_LE},          {">=", P_GE},          {"==", P_EQ},  {"!=", P_NE},
    {"&&", P_ANDAND},      {"||", P_OROR},        {"++", P_INC}, {"--", P_DEC},
    {"+=", P_ADD_ASSIGN},  {"-=", P_SUB_ASSIGN},  {"*=", P_MUL_ASSIGN},
    {"/=", P_DIV_ASSIGN},  {"%=", P_MOD_ASSIGN},  {"&=", P_AND_ASSIGN},
    {"^=", P_XOR_ASSIGN},  {"|=", P_OR_ASSIGN},   {"(", P_LPAREN}, {")", P_RPAREN},
    {"{", P_LBRACE},       {"}", P_RBRACE},       {";", P_SEMI},   {",", P_COMMA},
    {"+", P_PLUS},         {"-", P_MINUS},        {"*", P_STAR},   {"/", P_SLASH},
    {"%", P_PERCENT},      {"&", P_AMP},          {"^", P_CARET},  {"|", P_PIPE},
    {"~", P_TILDE},        {"!", P_BANG},         {"<", P_LT},     {">", P_GT},
    {"=", P_ASSIGN},
};

/* A "string" at c->pos: escapes checked, ends at the closing quote on the same line. */
static void string_token(struct sc *c)
{
    uint32_t start = c->pos;

    for (c->pos++; c->pos < c->len && c->text[c->pos] != '"'; c->pos++) {
        char ch = c->text[c->pos];
        if (ch == '\n')
            break;
        if (ch == '\\') {
            char e = c->pos + 1 < c->len ? c->text[c->pos + 1] : '\0';
            if (e != 'n' && e != 't' && e != '\\' && e != '"')
                hd__sc_fail(c, c->pos, e ? 2 : 1,
                            "unknown escape in a string: strings take \\n \\t \\\\ and \\\"");
            c->pos++;
        }
    }
    if (c->pos >= c->len || c->text[c->pos] != '"')
        hd__sc_fail(c, start, c->pos - start,
                    "unterminated string: a \" string ends with \" on the same line");
    c->pos++;
}

/* A "." "@" or "$" name at c->pos. */
static void sigil_token(struct sc *c, enum sc_tok kind)
{
    uint32_t start = c->pos++;
    while (c->pos < c->len && word_char(c->text[c->pos]) && c->text[c->pos] != '`')
        c->pos++;
    if (c->pos == start + 1)
        hd__sc_fail(c, start, 1, "'%c' must be followed by a name: %s", c->text[start],
                    kind == TK_GLOBAL  ? "a global is .name"
                    : kind == TK_REG ? "a register is @rax, @eax, @al, ..."
                                     : "a pseudo-register is $pid, $core, $context, ...");
}

void hd__sc_next(struct sc *c)
{
    char ch;

    skip(c);
    c->tok.pos = c->pos;
    c->tok.kind = TK_EOF;
    if (c->pos >= c->len) {
        c->tok.len = 0;
        return;
    }
    ch = c->text[c->pos];
    if (word_char(ch)) {
        c->tok.kind = TK_WORD;
        while (c->pos < c->len && word_char(c->text[c->pos]))
            c->pos++;
    } else if (ch == '.' || ch == '@' || ch == '$') {
        c->tok.kind = ch == '.' ? TK_GLOBAL : ch == '@' ? TK_REG : TK_PSEUDO;
        sigil_token(c, c->tok.kind);
    } else if (ch == '"') {
        c->tok.kind = TK_STRING;
        string_token(c);
    } else {
        for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
            size_t n = strlen(puncts[i].text);
            if (c->len - c->pos >= n && memcmp(c->text + c->pos, puncts[i].text, n) == 0) {
                c->tok.kind = TK_PUNCT;
                c->tok.punct = puncts[i].p;
                c->pos += (uint32_t)n;
                break;
            }
        }
        if (c->tok.kind != TK_PUNCT) {
            unsigned char u = (unsigned char)ch;
            if (u >= 0x20 && u < 0x7F)
                hd__sc_fail(c, c->pos, 1, "unexpected character '%c'", ch);
            hd__sc_fail(c, c->pos, 1, "unexpected byte 0x%02X: scripts are ASCII text", u);
        }
    }
    c->tok.len = c->pos - c->tok.pos;
}

bool hd__sc_is(const struct sc *c, enum sc_punct p)
{
    return c->tok.kind == TK_PUNCT && c->tok.punct == p;
}

bool hd__sc_word(const struct sc *c, const char *w)
{
    size_t n = strlen(w);
    return c->tok.kind == TK_WORD && c->tok.len == n && memcmp(c->text + c->tok.pos, w, n) == 0;
}

void hd__sc_expect(struct sc *c, enum sc_punct p, const char *what)
{
    if (!hd__sc_is(c, p)) {
        if (c->tok.kind == TK_EOF)
            hd__sc_fail(c, c->tok.pos, 0, "expected '%s' before the end of the script", what);
        sc_fail_tok(c, "expected '%s' here", what);
    }
    hd__sc_next(c);
}

struct sc_token hd__sc_peek(struct sc *c)
{
    uint32_t pos = c->pos;
    struct sc_token tok = c->tok, next;
    hd__sc_next(c);
    next = c->tok;
    c->pos = pos;
    c->tok = tok;
    return next;
}
