/* SPDX-License-Identifier: MIT */
/*
 * script_compile.c — the compiler's entry points (script.h): compile text or a file, free a
 * program. Every error longjmps back here, where everything allocated is freed: a failed
 * compile leaves nothing behind.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"

static void release(struct sc *c)
{
    hd__sc_arena_free(c);
    free(c->code);
    free(c->consts);
    free(c->strings);
    free(c->locals);
}

static enum hd_status fail_plain(struct hd_script_error *err, enum hd_status st, const char *msg)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message), "%s", msg);
    }
    return st;
}

enum hd_status hd_script_compile_n(const char *text, size_t length, struct hd_script_program *out,
                                   struct hd_script_error *err)
{
    struct sc *c;
    enum hd_status st;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!text || !out)
        return fail_plain(err, HD_ERR_INVALID_ARGUMENT, "no script text or no program to fill");
    if (length > HD_SCRIPT_TEXT_MAX)
        return fail_plain(err, HD_ERR_SCRIPT_COMPILE, "script longer than 1048576 bytes");
    c = calloc(1, sizeof(*c));
    if (!c)
        return fail_plain(err, HD_ERR_NO_MEMORY, "out of memory while compiling the script");
    c->text = text;
    c->len = (uint32_t)length;
    c->err = err;
    if (setjmp(c->fail) == 0) {
        const char *nul = memchr(text, '\0', length);
        if (nul)
            hd__sc_fail(c, (uint32_t)(nul - text), 1, "a NUL byte in the script: it must be text");
        hd__sc_program(c);
        st = hd__sc_finish(c, out);
        /* The compiler's own check: whatever it writes, the kernel's verifier must take. */
        if (hd_script_verify(out->code, out->size, NULL) != HD_OK) {
            hd_script_program_free(out);
            st = fail_plain(err, HD_ERR_SCRIPT_COMPILE,
                            "internal error: the compiled bytecode does not verify");
        }
    } else {
        st = c->status;
        hd_script_program_free(out);
    }
    release(c);
    free(c);
    return st;
}

enum hd_status hd_script_compile(const char *text, struct hd_script_program *out,
                                 struct hd_script_error *err)
{
    if (!text)
        return hd_script_compile_n(NULL, 0, out, err);
    return hd_script_compile_n(text, strnlen(text, (size_t)HD_SCRIPT_TEXT_MAX + 1), out, err);
}

enum hd_status hd_script_compile_file(const char *path, struct hd_script_program *out,
                                      struct hd_script_error *err)
{
    char msg[256];
    FILE *f;
    char *text;
    size_t n;
    enum hd_status st;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!path || !out)
        return fail_plain(err, HD_ERR_INVALID_ARGUMENT, "no path or no program to fill");
    f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, sizeof(msg), "cannot read the script file %.180s: %s", path,
                 strerror(errno));
        return fail_plain(err, HD_ERR_INVALID_ARGUMENT, msg);
    }
    text = malloc((size_t)HD_SCRIPT_TEXT_MAX + 1);
    if (!text) {
        fclose(f);
        return fail_plain(err, HD_ERR_NO_MEMORY, "out of memory while reading the script");
    }
    n = fread(text, 1, (size_t)HD_SCRIPT_TEXT_MAX + 1, f);
    st = ferror(f) ? HD_ERR_INVALID_ARGUMENT : HD_OK;
    fclose(f);
    if (st != HD_OK) {
        snprintf(msg, sizeof(msg), "cannot read the script file %.180s", path);
        st = fail_plain(err, st, msg);
    } else {
        st = hd_script_compile_n(text, n, out, err); /* over the limit: refused there */
    }
    free(text);
    return st;
}

void hd_script_program_free(struct hd_script_program *prog)
{
    if (!prog)
        return;
    free(prog->code);
    memset(prog, 0, sizeof(*prog));
}
