/* SPDX-License-Identifier: MIT */
/*
 * hdevent asm [-t] '<text>' | - | -f FILE: assemble Intel-syntax x86-64 (hdevent/asm.h,
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
    printf("\",\"size\":%" PRIu32 ",\"statements\":[", r->size);
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
    if (text_out) { /* the message quotes the text: made safe */
        cli_text_safe_str(cli_diag("error"), msg);
        fputc('\n', stderr);
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

static int asm_main(int argc, char **argv);

const struct cli_spec cli_asm = {
    .name = "asm",
    .summary = "assemble Intel-syntax x86-64 into bytes",
    .synopsis = "[-t] '<assembly>' | - | -f FILE",
    .description =
        "Assemble Intel-syntax x86-64 (docs/asm.md): statements separated by ; or newlines,\n"
        "labels, numbers decimal unless 0x... or ...h. The output is one JSON object: the\n"
        "bytes, their size and each statement's line, offset, bytes and text. Unlike a\n"
        "command body, nothing is appended: no RET.",
    .options = "  -t, --text             one line: the bytes as `code {...}` takes them;\n"
               "                         errors on stderr\n"
               "  -f, --file FILE        read the assembly from FILE\n",
    .examples = "  hdevent asm 'xor eax, eax; inc eax; ret'\n"
                "  printf 'top:\\n  dec rcx\\n  jnz top\\n  ret\\n' | hdevent asm --text -\n",
    .shortopts = "tf:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"file", required_argument, NULL, 'f'},
                                        {0}},
    .main = asm_main,
};

static int asm_main(int argc, char **argv)
{
    struct cli_text_args in;
    bool text_out;
    char *text;
    size_t len;
    struct hd_asm_result r;
    struct hd_asm_error err;
    enum hd_status st;
    int rc;

    /* One byte past the limit is read, so that the assembler refuses it with its message. */
    if (!cli_text_args(&cli_asm, argc, argv, (size_t)HD_ASM_TEXT_MAX + 1, "the assembly",
                          "the assembly as one operand", &in))
        return in.status;
    text = in.input;
    len = in.len;
    text_out = in.text;
    /* len 0 is "strlen" to hd_asm_assemble, which then finds the text empty: an error. */
    st = hd_asm_assemble(text, len, &r, &err);
    if (st != HD_OK) {
        rc = reject(&err, st, text, len, text_out);
    } else {
        if (text_out) {
            cli_hex_bytes(stdout, r.bytes, r.size);
            printf("\n");
        } else {
            print_json(&r, text);
        }
        hd_asm_free(&r);
        rc = 0;
    }
    free(text);
    return rc;
}
