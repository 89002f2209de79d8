/*
 * hdevent asm [--text] '<text>' | -: assemble Intel-syntax x86-64 (hdevent/asm.h,
 * docs/asm.md). JSON by default: one object with the bytes and, per statement, its line,
 * offset, bytes and text. --text: exactly one line on stdout, the bytes as spaced upper-case
 * hex (what `code {…}` takes), and errors on stderr. Exit status 1 on an error. No RET is
 * appended here: only command bodies get one.
 */
#include "cli.h"

#include <hdevent/asm.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void print_json(const struct hd_asm_result *r, const char *text)
{
    printf("{\"type\":\"asm\",\"bytes\":\"");
    cli_hex_bytes(stdout, r->bytes, r->size);
    printf("\",\"size\":%" PRIu32 ",\"lines\":[", r->size);
    for (uint32_t i = 0; i < r->line_count; i++) {
        const struct hd_asm_line *l = &r->lines[i];
        printf("%s{\"line\":%" PRIu32 ",\"offset\":%" PRIu32 ",\"bytes\":\"", i ? "," : "",
               l->line, l->offset);
        cli_hex_bytes(stdout, r->bytes + l->offset, l->size);
        printf("\",\"text\":");
        cli_json_bytes(stdout, (const uint8_t *)text + l->text_offset, l->text_length);
        printf("}");
    }
    printf("]}\n");
}

static int reject(const struct hd_asm_error *err, enum hd_status st, const char *text,
                  size_t len, bool text_out)
{
    char msg[1024];

    hd_asm_error_format(err, text, len, msg, sizeof(msg));
    if (text_out) {
        fprintf(stderr, "error: %s\n", msg);
        return 1;
    }
    printf("{\"type\":\"error\",\"error\":\"%s\",\"line\":%" PRIu32 ",\"column\":%" PRIu32
           ",\"token\":",
           hd_status_name(st), err->line, err->column);
    cli_json_string(stdout, err->token);
    printf(",\"message\":");
    cli_json_string(stdout, msg);
    printf("}\n");
    return 1;
}

int cmd_asm(int argc, char **argv)
{
    bool text_out = false;
    const char *arg = NULL;
    char *text = NULL;
    size_t len;
    struct hd_asm_result r;
    struct hd_asm_error err;
    enum hd_status st;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text"))
            text_out = true;
        else if (!arg && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
            arg = argv[i];
        else
            return cli_usage();
    }
    if (!arg)
        return cli_usage();
    if (!strcmp(arg, "-")) {
        char why[256];
        uint8_t *buf;
        if (cli_read_file("-", (size_t)HD_ASM_TEXT_MAX + 1, &buf, &len, why, sizeof(why)) != 0) {
            if (text_out)
                return fprintf(stderr, "error: %s\n", why), 1;
            return cli_fail("io", why);
        }
        text = (char *)buf;
    } else {
        len = strlen(arg);
    }
    const char *src = text ? text : arg;
    /* len 0 is "strlen" to hd_asm_assemble, which then finds the text empty: an error. A NUL
     * inside stdin's text is a character it refuses. */
    st = hd_asm_assemble(src, len, &r, &err);
    if (st != HD_OK) {
        rc = reject(&err, st, src, len, text_out);
    } else {
        if (text_out) {
            cli_hex_bytes(stdout, r.bytes, r.size);
            printf("\n");
        } else {
            print_json(&r, src);
        }
        hd_asm_free(&r);
        rc = 0;
    }
    free(text);
    return rc;
}
