/* SPDX-License-Identifier: MIT */
/*
 * command_internal.h — shared by the command parser's files (lexer, numbers, hex bodies,
 * !vmcall, events). Not installed.
 */
#ifndef HDEVENT_USER_COMMAND_INTERNAL_H
#define HDEVENT_USER_COMMAND_INTERNAL_H

#include <hdevent/command.h>

#include "text.h"

/** A token: a word (a run without blanks or braces) or a whole `{…}` group, braces included. */
struct cmd_token {
    const char *p;
    uint32_t len;
    bool brace;
};

/** Lexer over one command text. */
struct cmd_lexer {
    const char *text; /* start of the command: columns count from here */
    size_t len;
    size_t pos;
};

/** Result of hd__cmd_number(). */
enum cmd_num {
    CMD_NUM_OK,
    CMD_NUM_BAD,   /* a character that is not a digit of the base */
    CMD_NUM_EMPTY, /* no digits (empty, only backticks, or a prefix alone) */
    CMD_NUM_RANGE, /* digits fine, value above the field's maximum */
};

/* ---- lexer (command_lex.c) ---- */

bool hd__cmd_is_blank(char c);

/**
 * Next token into @p tok. @return HD_OK; HD_EMPTY at the end; HD_ERR_INVALID_ARGUMENT with
 * @p err filled for an unmatched '}', an unterminated '{' or a string left open in a body.
 */
enum hd_status hd__cmd_next(struct cmd_lexer *lx, struct cmd_token *tok,
                        struct hd_command_error *err);

/** True if @p tok is a word equal to @p kw, ignoring ASCII case. */
bool hd__cmd_is(const struct cmd_token *tok, const char *kw);

/** True if the @p n bytes at @p p start with @p kw (lowercase), ignoring ASCII case. */
bool hd__cmd_starts_with(const char *p, size_t n, const char *kw);

/** 1-based column of @p p in the lexer's text. */
uint32_t hd__cmd_column(const struct cmd_lexer *lx, const char *p);

/**
 * Fill @p err (may be NULL) for the @p len bytes at @p p with a printf-style message.
 * @return HD_ERR_INVALID_ARGUMENT, so callers `return hd__cmd_fail(...)`.
 */
enum hd_status hd__cmd_fail(const struct cmd_lexer *lx, struct hd_command_error *err, const char *p,
                        size_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/** hd__cmd_fail() for a whole token. */
#define cmd_fail_tok(lx, err, tok, ...) hd__cmd_fail((lx), (err), (tok)->p, (tok)->len, __VA_ARGS__)

/** Fill @p err for an allocation failure. @return HD_ERR_NO_MEMORY. */
enum hd_status hd__cmd_no_memory(struct hd_command_error *err);

/**
 * Parse a HyperDbg number: hex by default; `0x`/`x`/`\x` hex and `0n`/`n`/`\n` decimal
 * prefixes in either case; backticks ignored anywhere; the whole token; at most @p max.
 */
enum cmd_num hd__cmd_number(const char *p, size_t len, uint64_t max, uint64_t *out);

/**
 * Fail for a number token that hd__cmd_number() refused with @p why (@p max: the bound it was
 * given); @p expected is the sentence saying what the field takes ("a pid is a hex number …").
 */
enum hd_status hd__cmd_fail_number(const struct cmd_lexer *lx, struct hd_command_error *err,
                               const struct cmd_token *tok, enum cmd_num why, uint64_t max,
                               const char *expected);

/* ---- hex bodies (command_hex.c) ---- */

/**
 * Decode the `{hex}` body @p brace of option @p what ("condition", "code") into a fresh
 * malloc'd buffer ending in RET. @return HD_OK, or an error with @p err filled.
 */
enum hd_status hd__cmd_hex_body(const struct cmd_lexer *lx, const struct cmd_token *brace,
                            const char *what, uint8_t **code, uint32_t *size,
                            struct hd_command_error *err);

/* ---- asm bodies (asm_command.c; not in HDEVENT_NO_ZYDIS builds) ---- */

/**
 * Assemble the `asm` body @p brace (the `{…}` token) of option @p what ("condition", "code")
 * into a fresh malloc'd buffer ending in RET. Errors point into the body: their column is
 * the command's. @return HD_OK, or an error with @p err filled.
 */
enum hd_status hd__asm_command_body(const struct cmd_lexer *lx, const struct cmd_token *brace,
                                    const char *what, uint8_t **code, uint32_t *size,
                                    struct hd_command_error *err);

/* ---- commands (command_vmcall.c, command_events.c): the rest after the first word ---- */

enum hd_status hd__cmd_parse_vmcall(struct cmd_lexer *lx, struct hd_command *out,
                                struct hd_command_error *err);
enum hd_status hd__cmd_parse_events(struct cmd_lexer *lx, struct hd_command *out,
                                struct hd_command_error *err);

#endif /* HDEVENT_USER_COMMAND_INTERNAL_H */
