/* SPDX-License-Identifier: MIT */
/*
 * hdevent/asm.h — an Intel-syntax x86-64 assembler on Zydis's encoder (USER MODE ONLY: libc,
 * malloc, Zydis).
 *
 * It turns the text of HyperDbg's `asm code {…}` / `asm condition {…}` bodies into bytes, and
 * nothing is vendored for it: every mnemonic and register name is looked up in Zydis's own
 * tables, Zydis encodes each instruction, and every instruction it encodes is decoded back by
 * Zydis and compared with what was asked; a difference is an error, never silently different
 * bytes. The language (statements, labels, operands, numbers, data, relaxation) and every
 * error are in docs/asm.md.
 *
 *     struct hd_asm_result r;
 *     struct hd_asm_error err;
 *     char msg[512];
 *     if (hd_asm_assemble("xor eax, eax; ret", 0, &r, &err) != HD_OK) {
 *         hd_asm_error_format(&err, text, 0, msg, sizeof(msg));   // place, message, caret
 *         ...
 *     } else {
 *         ... r.bytes, r.size: 31 C0 C3; r.lines[i]: which source statement made which bytes
 *         hd_asm_free(&r);
 *     }
 *
 * No RET is appended here: command bodies get one from the command parser (hdevent/command.h).
 */
#ifndef HDEVENT_ASM_H
#define HDEVENT_ASM_H

#include "event.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Most bytes one text may assemble to: the bound raw code has (HD_CODE_MAX_BYTES). */
#define HD_ASM_MAX_BYTES HD_CODE_MAX_BYTES
/** Longest source text accepted, in bytes (the command parser's own limit). */
#define HD_ASM_TEXT_MAX (1024u * 1024u)

/** Why a text was refused, and where. */
struct hd_asm_error {
    /** 1-based line of the offending token; 0 when the error has no place (NULL text). */
    uint32_t line;
    /** 1-based column in that line, in bytes. */
    uint32_t column;
    /** Byte offset of the token in the text (callers that embed the text, such as the
     *  command parser, turn it into their own column). */
    uint32_t offset;
    /** Length of the token in bytes (it may be longer than `token` keeps). */
    uint32_t length;
    /** The offending token (a mnemonic, an operand, a label, or the whole statement, as in
     *  'mov rax, bl'), NUL-terminated; cut with "..." past 63 bytes, control characters shown
     *  as spaces. Empty when the error has no token. */
    char token[64];
    /** The sentence: what is wrong and what was expected, e.g. "operand size mismatch: rax is
     *  64-bit, bl is 8-bit". No place or token in it: see hd_asm_error_format(). */
    char message[256];
};

/** One statement of the source and the bytes it made. */
struct hd_asm_line {
    /** 1-based source line and column where the statement starts (labels included). */
    uint32_t line;
    uint32_t column;
    /** The statement in the source text: byte offset and length, blanks around it removed,
     *  labels included (`done: ret`); a label alone on its line is a statement of 0 bytes. */
    uint32_t text_offset;
    uint32_t text_length;
    /** Where its bytes start in hd_asm_result.bytes, and how many. */
    uint32_t offset;
    uint32_t size;
};

/** What hd_asm_assemble() made. Everything is owned: release it with hd_asm_free(). */
struct hd_asm_result {
    /** The machine code, @p size bytes (NULL when the text holds only labels). */
    uint8_t *bytes;
    uint32_t size;
    /** One entry per statement, in source order. */
    struct hd_asm_line *lines;
    uint32_t line_count;
};

/* ---------------------------------------------------------------------------------------- */
/* Functions                                                                                */
/* ---------------------------------------------------------------------------------------- */

/**
 * Assemble @p text: Intel-syntax x86-64 (64-bit mode), statements separated by `;` or
 * newlines, labels `name:`, data `db`/`dw`/`dd`/`dq`; numbers are decimal unless written
 * `0x…` or `…h` (hex); code starts at offset 0, which is what a numeric branch target
 * (`jz 0x12`, as `hdevent disasm` prints it) is relative to. See docs/asm.md.
 * @param text the source; it need not be NUL-terminated when @p len is given.
 * @param len  bytes of @p text, or 0 to take strlen(text).
 * @param out  filled on success; on failure zeroed, with nothing allocated.
 * @param err  filled on failure (may be NULL); untouched on success.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT for a NULL @p text / @p out or any error in the text
 *         (err says which and where), an empty text included; HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_asm_assemble(const char *text, size_t len, struct hd_asm_result *out,
                                      struct hd_asm_error *err);

/** Free what @p result owns and zero it. A zeroed or already freed result and NULL are ignored. */
HD_API void hd_asm_free(struct hd_asm_result *result);

/**
 * Format @p err for people into @p out (at most @p cap bytes, always NUL-terminated when
 * @p cap > 0, cut if too small):
 *
 *     line 1, column 1: 'mov rax, bl': operand size mismatch: rax is 64-bit, bl is 8-bit
 *     mov rax, bl
 *     ^^^^^^^^^^^
 *
 * The first line is the error; then the source line holding it and a caret under the token.
 * With @p text NULL, or an error without a place, only the first line. @p len is the length
 * of @p text, or 0 for strlen. No trailing newline.
 */
HD_API void hd_asm_error_format(const struct hd_asm_error *err, const char *text, size_t len,
                                char *out, size_t cap);

HD_EXTERN_C_END

#endif /* HDEVENT_ASM_H */
