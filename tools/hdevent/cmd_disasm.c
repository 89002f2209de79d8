/* SPDX-License-Identifier: MIT */
/*
 * hdevent disasm [-t] [-s] <hex> | - | -f FILE: Zydis disassembly of raw code given as hex (the
 * forms a `code {...}` body takes), then the validation findings; exit status 1 when there is
 * an error (docs/cli.md).
 */
#include "cli.h"

#include <hdevent/code.h>
#include <hdevent/command.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int disasm_main(int argc, char **argv);

#define WRAP_BEFORE "!vmcall code {"
#define WRAP_LENGTH (sizeof(WRAP_BEFORE "}") - 1)

const struct cli_spec cli_disasm = {
    .name = "disasm",
    .summary = "disassemble and validate raw code given as hex",
    .synopsis = "[-t] [-s] <hex> | - | -f FILE",
    .description =
        "Disassemble raw code given the way a `code {...}` body takes it (spaces optional,\n"
        "0x and \\x forms, a RET appended when missing), then report what validation finds.\n"
        "Exit status 1 when validation finds an error.",
    .options = "  -t, --text             text for people; diagnostics on stderr\n"
               "  -s, --strict           a validation warning is an error\n"
               "  -f, --file FILE        read the hex from FILE\n",
    .examples = "  hdevent disasm '0f01c1'\n"
                "  hdevent disasm --text '48 8B 5A 40 48 81 FB 48 44 42 47'\n"
                "  xxd -p code.bin | hdevent disasm -\n",
    .shortopts = "tsf:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"strict", no_argument, NULL, 's'},
                                        {"file", required_argument, NULL, 'f'},
                                        {0}},
    .main = disasm_main,
};

static int disasm_main(int argc, char **argv)
{
    struct cli_text_args in;
    bool text, strict;
    char *hex, *command;
    struct hd_command cmd;
    struct hd_command_error err;
    const struct hd_action_desc *a;
    enum hd_status st;
    uint32_t errors;
    size_t n;

    if (!cli_text_args(&cli_disasm, argc, argv, HD_COMMAND_TEXT_MAX - WRAP_LENGTH, "the hex",
                          "the hex as one operand", &in))
        return in.status;
    hex = in.input;
    n = in.len;
    text = in.text;
    strict = in.strict;
    /* The bytes go through the command parser's own hex rules (spaces, 0x/\x, odd digit
     * counts, RET appended), so `disasm` shows exactly what `code {...}` would run. A brace
     * would end that body and add options of its own ('90} condition {FA'): refused here. */
    const char *brace = strpbrk(hex, "{}");
    if (brace || hex[strspn(hex, " \t\r\n")] == '\0') {
        struct hd_command_error e = {.column = brace ? (uint32_t)(brace - hex) + 1 : 0,
                                     .length = brace ? 1 : 0};
        if (brace)
            e.token[0] = *brace;
        snprintf(e.message, sizeof(e.message), "%s",
                 brace ? "not hex: give the bytes of a code {...} body without the braces"
                       : "no hex bytes: give raw code such as '90 90 90'");
        cli_command_reject(hex, HD_ERR_INVALID_ARGUMENT, &e, text);
        free(hex);
        return 1;
    }
    command = malloc(n + WRAP_LENGTH + 1);
    if (!command) {
        free(hex);
        return cli_fail("io", "out of memory");
    }
    snprintf(command, n + WRAP_LENGTH + 1, WRAP_BEFORE "%s}", hex);
    st = hd_command_parse(command, &cmd, &err);
    free(command);
    if (st != HD_OK) {
        /* Columns count from the hex itself, not from the command built around it. */
        const uint32_t before = (uint32_t)sizeof(WRAP_BEFORE) - 1;
        err.column = err.column > before ? err.column - before : 0;
        cli_command_reject(hex, st, &err, text);
        free(hex);
        return 1;
    }
    free(hex);
    a = &cmd.event.actions[0];
    for (uint32_t off = 0; off < a->code_size;) {
        struct hd_code_insn insn;
        hd_code_disasm(a->code, a->code_size, off, &insn);
        if (text) {
            printf("+0x%04" PRIX32 "  ", off);
            for (uint32_t i = 0; i < 10; i++)
                printf(i < insn.length ? "%02X " : "   ", i < insn.length ? a->code[off + i] : 0);
            printf("%s\n", insn.text);
        } else {
            printf("{\"type\":\"insn\",\"offset\":%" PRIu32 ",\"bytes\":\"", off);
            cli_hex_bytes(stdout, a->code + off, insn.length);
            printf("\",\"valid\":%s,\"text\":", insn.valid ? "true" : "false");
            cli_json_string(stdout, insn.text);
            printf("}\n");
        }
        off += insn.length;
    }
    errors = cli_code_report("code", -1, a->code, a->code_size, strict, text);
    hd_command_free(&cmd);
    return errors ? 1 : 0;
}
