/*
 * hdevent disasm [--text] [--strict] <hex>: Zydis disassembly of raw code given as hex (the
 * forms a `code {...}` body takes), then the validation findings; exit status 1 when there is
 * an error (docs/cli.md).
 */
#include "cli.h"

#include <hdevent/code.h>
#include <hdevent/command.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cmd_disasm(int argc, char **argv)
{
    bool text = false, strict = false;
    const char *hex = NULL;
    char *command;
    struct hd_command cmd;
    struct hd_command_error err;
    const struct hd_action_desc *a;
    enum hd_status st;
    uint32_t errors;
    size_t n;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text"))
            cli_set_text(text = true);
        else if (!strcmp(argv[i], "--strict"))
            strict = true;
        else if (!hex)
            hex = argv[i];
        else
            return cli_usage();
    }
    if (!hex)
        return cli_usage();
    /* The bytes go through the command parser's own hex rules (spaces, 0x/\x, odd digit
     * counts, RET appended), so `disasm` shows exactly what `code {...}` would run. */
    n = strlen(hex);
    command = malloc(n + 16);
    if (!command)
        return cli_fail("io", "out of memory");
    snprintf(command, n + 16, "!vmcall code {%s}", hex);
    st = hd_command_parse(command, &cmd, &err);
    if (st != HD_OK) {
        /* Columns count from the hex itself, not from the command built around it. */
        err.column = err.column > 14 ? err.column - 14 : 0;
        cli_command_reject(hex, st, &err, text);
        free(command);
        return 1;
    }
    free(command);
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
