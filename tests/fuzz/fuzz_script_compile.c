/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_script_compile.c — libFuzzer harness for the script compiler.
 *
 * Input: arbitrary bytes, compiled as script text with hd_script_compile_n() (a NUL byte in
 * them is a compile error, like any other). Seeds: tests/fuzz/seeds/script-compile/ (every
 * construct of docs/script.md), with the dictionary tests/fuzz/script.dict. Invariants
 * checked (abort on failure):
 *
 *   refused: HD_ERR_SCRIPT_COMPILE, the program zeroed, a message, and a place inside the text
 *     that agrees with itself: line = 1 + the newlines before the offset, column = the bytes
 *     from the line's start + 1, offset + length within the text.
 *   accepted: the bytecode passes hd_script_verify() with the instruction count the compiler
 *     reports; hd_script_disasm() lists it (its length query agrees with the listing); it
 *     registers and runs (script_fuzz.h, run_program(): two exits on a fresh host engine, only
 *     prints and run errors left, nothing leaked).
 *
 * Built from the user library's script*.c, the core (freestanding flags) and the host backend,
 * with ASan and UBSan; LeakSanitizer reports any block a compile leaves behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz_script_compile"
#include "script_fuzz.h"

static void check_refused(const char *text, size_t n, const struct hd_script_program *p,
                          const struct hd_script_error *e)
{
    uint32_t line = 1, column = 1;

    CHECK(p->code == NULL && p->size == 0 && p->insn_count == 0);
    CHECK(e->message[0] != '\0' && memchr(e->message, '\0', sizeof(e->message)) != NULL);
    CHECK(e->offset <= n && e->length <= n - e->offset);
    for (size_t i = 0; i < e->offset; i++) {
        if (text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    CHECK(e->line == line && e->column == column);
}

static void check_accepted(const struct hd_script_program *p)
{
    struct hd_script_info info;
    size_t length = 0, again = 0;
    char *listing;

    CHECK(p->code != NULL && p->size > 0);
    CHECK(hd_script_verify(p->code, p->size, &info) == HD_OK);
    CHECK(info.insn_count == p->insn_count);
    CHECK(hd_script_disasm(p->code, p->size, NULL, 0, &length) == HD_ERR_BUFFER_TOO_SMALL);
    listing = malloc(length + 1);
    CHECK(listing != NULL);
    CHECK(hd_script_disasm(p->code, p->size, listing, length + 1, &again) == HD_OK);
    CHECK(again == length && strlen(listing) == length);
    free(listing);
    CHECK(run_program(p->code, p->size) == HD_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hd_script_program p;
    struct hd_script_error e;
    /* A block of exactly the input's length: ASan catches a read past the text. */
    char *text = malloc(size ? size : 1);
    enum hd_status st;

    CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);
    memset(&e, 0, sizeof(e));
    st = hd_script_compile_n(text, size, &p, &e);
    if (st == HD_OK) {
        check_accepted(&p);
        hd_script_program_free(&p);
        CHECK(p.code == NULL && p.size == 0);
    } else {
        CHECK(st == HD_ERR_SCRIPT_COMPILE);
        check_refused(text, size, &p, &e);
    }
    free(text);
    return 0;
}
