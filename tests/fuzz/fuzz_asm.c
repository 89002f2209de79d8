/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_asm.c — libFuzzer harness for the assembler (hdevent/asm.h).
 *
 * Input: arbitrary bytes, assembled as they are (length given, so a NUL is a character the
 * assembler must refuse, not the end). Built from libhdevent/user/asm*.c and code_disasm.c
 * with ASan and UBSan, linked to Debian's shared Zydis; LeakSanitizer reports any block an
 * assembly leaves behind. Invariants checked (abort on failure):
 *
 *   accepted: at most HD_ASM_MAX_BYTES; the lines are in source order, each inside the text,
 *     their bytes back to back and adding up to the size; every instruction statement's
 *     bytes decode as exactly one instruction, and that instruction round-trips: its
 *     hd_code_disasm() text assembles to bytes that hd_code_disasm() prints the same way;
 *     assembling the text again gives the same bytes.
 *   refused: HD_ERR_INVALID_ARGUMENT, the result zeroed, a message, a place (line, column,
 *     offset and length) inside the text; hd_asm_error_format() runs on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/asm.h>
#include <hdevent/code.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_asm: invariant failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static bool is_zero(const struct hd_asm_result *r)
{
    static const struct hd_asm_result zero;
    return memcmp(r, &zero, sizeof(zero)) == 0;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A character of a name, as the assembler's lexer has it. */
static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '@';
}

/* Is the statement @p s (@p n bytes, labels first) data: db, dw, dd or dq? (Only text the
 * assembler took comes here: its statements are well formed.) */
static bool is_data(const char *s, size_t n)
{
    size_t i = 0, w;

    for (;;) {
        while (i < n && blank(s[i]))
            i++;
        size_t c;
        for (w = i; w < n && word_char(s[w]); w++)
            ;
        for (c = w; c < n && blank(s[c]); c++)
            ;
        if (c < n && s[c] == ':') { /* a label (blanks may come before its colon) */
            i = c + 1;
            continue;
        }
        if (w - i != 2 || (s[i] | 0x20) != 'd')
            return false;
        char k = (char)(s[i + 1] | 0x20);
        return k == 'b' || k == 'w' || k == 'd' || k == 'q';
    }
}

/* The instruction at the start of @p code reads back as itself. */
static void round_trip(const uint8_t *code, uint32_t size)
{
    struct hd_code_insn in, back;
    struct hd_asm_result r;

    CHECK(hd_code_disasm(code, size, 0, &in) == HD_OK);
    CHECK(in.valid && in.length == size);
    if (hd_asm_assemble(in.text, 0, &r, NULL) != HD_OK) {
        fprintf(stderr, "fuzz_asm: '%s' does not assemble back\n", in.text);
        abort();
    }
    CHECK(hd_code_disasm(r.bytes, r.size, 0, &back) == HD_OK);
    if (!back.valid || back.length != r.size || strcmp(back.text, in.text) != 0) {
        fprintf(stderr, "fuzz_asm: '%s' reads back as '%s'\n", in.text, back.text);
        abort();
    }
    hd_asm_free(&r);
}

static void check_accepted(const struct hd_asm_result *r, const char *text, size_t len)
{
    uint32_t at = 0, text_at = 0;
    struct hd_asm_result again;

    CHECK(r->size <= HD_ASM_MAX_BYTES && r->line_count >= 1);
    CHECK((r->size == 0) == (r->bytes == NULL));
    for (uint32_t i = 0; i < r->line_count; i++) {
        const struct hd_asm_line *l = &r->lines[i];
        CHECK(l->offset == at);
        CHECK(l->text_offset >= text_at && l->text_length >= 1);
        CHECK((size_t)l->text_offset + l->text_length <= len);
        CHECK(l->line >= 1 && l->column >= 1);
        at += l->size;
        text_at = l->text_offset + l->text_length;
        if (l->size && !is_data(text + l->text_offset, l->text_length))
            round_trip(r->bytes + l->offset, l->size);
    }
    CHECK(at == r->size);
    CHECK(hd_asm_assemble(text, len, &again, NULL) == HD_OK);
    CHECK(again.size == r->size && (!r->size || memcmp(again.bytes, r->bytes, r->size) == 0));
    hd_asm_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct hd_asm_result r;
    struct hd_asm_error err;
    enum hd_status st;

    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&r, 0xA5, sizeof(r));
    memset(&err, 0x5A, sizeof(err));
    st = hd_asm_assemble(text, size, &r, &err);
    if (st == HD_OK) {
        check_accepted(&r, text, size);
        hd_asm_free(&r);
        CHECK(is_zero(&r));
    } else {
        char out[1024];
        CHECK(st == HD_ERR_INVALID_ARGUMENT);
        CHECK(is_zero(&r));
        CHECK(err.message[0] != '\0' && memchr(err.message, 0, sizeof(err.message)));
        CHECK(memchr(err.token, 0, sizeof(err.token)) != NULL);
        CHECK(err.line >= 1 && err.column >= 1);
        CHECK((size_t)err.offset + err.length <= size);
        hd_asm_error_format(&err, text, size, out, sizeof(out));
        CHECK(strlen(out) < sizeof(out));
    }
    free(text);
    return 0;
}
