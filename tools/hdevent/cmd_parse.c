/* SPDX-License-Identifier: MIT */
/*
 * hdevent parse [-t] [-s] '<command>' | - | -f FILE: the event and actions a command makes,
 * its canonical text, a disassembly of every raw buffer, and for `asm` bodies which source
 * statement made which bytes (docs/cli.md).
 */
#include "cli.h"

#include <hdevent/asm.h>
#include <hdevent/code.h>
#include <hdevent/command.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One line per instruction: JSON {"type":"insn",...} or "    +0x00  48 8B 59 10   mov ...". */
static void print_disasm(const char *buffer, int action, const uint8_t *code, uint32_t size,
                         bool text)
{
    struct hd_code_insn insn;

    for (uint32_t off = 0; hd_code_disasm(code, size, off, &insn) == HD_OK; off += insn.length) {
        if (text) {
            char hex[64] = "";
            size_t n = 0;
            for (uint32_t i = 0; i < insn.length && n + 4 < sizeof(hex); i++)
                n += (size_t)snprintf(hex + n, sizeof(hex) - n, "%s%02X", i ? " " : "",
                                      code[off + i]);
            printf("    +0x%04" PRIX32 "  %-30s %s\n", off, hex, insn.text);
            continue;
        }
        printf("{\"type\":\"insn\",\"buffer\":\"%s\",", buffer);
        if (action >= 0)
            printf("\"action\":%d,", action);
        printf("\"offset\":%" PRIu32 ",\"bytes\":\"", off);
        cli_hex_bytes(stdout, code + off, insn.length);
        printf("\",\"valid\":%s,\"text\":", insn.valid ? "true" : "false");
        cli_json_string(stdout, insn.text);
        printf("}\n");
    }
}

/* The bytes of one listing line, cut to 30 columns. */
static void listing_hex(const uint8_t *p, uint32_t n, char *out, size_t cap)
{
    size_t k = 0;
    uint32_t shown = n > 10 ? 9 : n;

    out[0] = '\0';
    for (uint32_t i = 0; i < shown && k + 4 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%02X", i ? " " : "", p[i]);
    if (shown < n)
        snprintf(out + k, cap - k, " ...");
}

/* An asm body: each source statement and the bytes it made (the parser assembled the same
 * text into @p code, so assembling it again gives the same lines), then the RET the parser
 * appended, if it did. JSON {"type":"source",...} lines; text lines "line N  +0x0000  ...". */
static void print_source(const char *buffer, int action, const struct hd_command_body *body,
                         const uint8_t *code, uint32_t size, bool text)
{
    struct hd_asm_result r;
    char hex[40];

    if (hd_asm_assemble(body->text, body->length, &r, NULL) != HD_OK)
        return;
    for (uint32_t i = 0; i < r.line_count; i++) {
        const struct hd_asm_line *l = &r.lines[i];
        const char *src = body->text + l->text_offset;
        if (text) {
            listing_hex(code + l->offset, l->size, hex, sizeof(hex));
            printf("    line %-3" PRIu32 " +0x%04" PRIX32 "  %-30s ", l->line, l->offset, hex);
            cli_text_safe(stdout, src, l->text_length, false);
            printf("\n");
            continue;
        }
        printf("{\"type\":\"source\",\"buffer\":\"%s\",", buffer);
        if (action >= 0)
            printf("\"action\":%d,", action);
        printf("\"line\":%" PRIu32 ",\"offset\":%" PRIu32 ",\"bytes\":\"", l->line, l->offset);
        cli_hex_bytes(stdout, code + l->offset, l->size);
        printf("\",\"text\":");
        cli_json_bytes(stdout, (const uint8_t *)src, l->text_length);
        printf("}\n");
    }
    if (text && r.size < size)
        printf("             +0x%04" PRIX32 "  %-30s (ret appended)\n", r.size, "C3");
    hd_asm_free(&r);
}

static const char *kind_name(enum hd_command_kind k)
{
    switch (k) {
    case HD_COMMAND_VMCALL:
        return "vmcall";
    case HD_COMMAND_EVENTS_LIST:
        return "events-list";
    case HD_COMMAND_EVENTS_ENABLE:
        return "events-enable";
    case HD_COMMAND_EVENTS_DISABLE:
        return "events-disable";
    case HD_COMMAND_EVENTS_CLEAR:
        return "events-clear";
    case HD_COMMAND_EVENTS_SC:
        return "events-sc";
    }
    return "?";
}

static void print_event(const struct hd_command *c, bool text)
{
    const struct hd_event_desc *e = &c->event;

    if (text) {
        printf("event: pid %s%.0" PRIX32 ", core %s%.0" PRIX32 ", stage %s, sc %s, imm %s, "
               "buffer %" PRIu32,
               e->pid == HD_ALL ? "all" : "0x", e->pid == HD_ALL ? 0 : e->pid,
               e->core == HD_ALL ? "all" : "0x", e->core == HD_ALL ? 0 : e->core,
               cli_stage_name(e->stage), e->short_circuit ? "on" : "off",
               c->immediate ? "yes" : "no", c->buffer_size);
        if (c->steps)
            printf(", steps %" PRIu32, c->steps);
        cli_print_extension(true, e->nr_filter, e->nr_first, e->nr_last, e->deny, e->deny_rax,
                            e->max_hits);
        printf("\n");
    } else {
        printf("{\"type\":\"event\",\"pid\":\"0x%" PRIx32 "\",\"core\":\"0x%" PRIx32
               "\",\"stage\":\"%s\",\"short_circuit\":%s,\"immediate\":%s,"
               "\"buffer_size\":%" PRIu32 ",\"condition\":\"%s\"",
               e->pid, e->core, cli_stage_name(e->stage), e->short_circuit ? "true" : "false",
               c->immediate ? "true" : "false", c->buffer_size,
               (c->flags & HD_COMMAND_ASM_CONDITION)     ? "asm"
               : e->condition.kind == HD_CONDITION_RAW ? "raw"
                                                        : "none");
        if (c->steps)
            printf(",\"steps\":%" PRIu32, c->steps);
        cli_print_extension(false, e->nr_filter, e->nr_first, e->nr_last, e->deny, e->deny_rax,
                            e->max_hits);
        printf(",\"actions\":%" PRIu32 ",\"outputs\":[", e->action_count);
        for (uint32_t i = 0; i < c->output_count; i++) {
            if (i)
                putchar(',');
            cli_json_string(stdout, c->outputs[i]);
        }
        printf("]}\n");
    }
    if (e->condition.kind == HD_CONDITION_RAW) {
        bool is_asm = c->flags & HD_COMMAND_ASM_CONDITION;
        if (text)
            printf("  condition (%" PRIu32 " bytes)%s:\n", e->condition.code_size,
                   is_asm ? ", assembled" : "");
        if (is_asm)
            print_source("condition", -1, &c->asm_condition, e->condition.code,
                         e->condition.code_size, text);
        if (!is_asm || !text)
            print_disasm("condition", -1, e->condition.code, e->condition.code_size, text);
    }
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        bool is_asm = a->type == HD_ACTION_CODE && (c->flags & HD_COMMAND_ASM_CODE);
        const char *body = a->type == HD_ACTION_SCRIPT ? c->script.text
                           : is_asm                    ? c->asm_code.text
                                                       : NULL;
        if (text) {
            printf("  action %" PRIu32 ": %s", i, cli_action_name(a->type));
            if (a->type == HD_ACTION_CODE)
                printf(" (%" PRIu32 " bytes)%s", a->code_size, is_asm ? ", assembled" : "");
            if (a->type == HD_ACTION_SCRIPT) { /* its text as given: made safe */
                bool file = c->flags & HD_COMMAND_SCRIPT_FILE;
                printf(file ? ", file " : ", {");
                cli_text_safe(stdout, body, strlen(body), false);
                printf(file ? "" : "}");
            }
            printf("\n");
        } else {
            printf("{\"type\":\"action\",\"index\":%" PRIu32 ",\"kind\":\"%s\",\"immediate\":%s,"
                   "\"buffer_size\":%" PRIu32,
                   i, cli_action_name(a->type), a->immediate ? "true" : "false", a->buffer_size);
            if (body) {
                printf((c->flags & HD_COMMAND_SCRIPT_FILE) && !is_asm ? ",\"file\":"
                       : is_asm                                       ? ",\"asm\":"
                                                                      : ",\"script\":");
                cli_json_string(stdout, body);
            }
            printf("}\n");
        }
        if (is_asm)
            print_source("code", (int)i, &c->asm_code, a->code, a->code_size, text);
        if (a->type == HD_ACTION_CODE && (!is_asm || !text))
            print_disasm("code", (int)i, a->code, a->code_size, text);
        if (a->type == HD_ACTION_SCRIPT && a->script)
            cli_script_listing(a->script, a->script_size, (int)i, text);
    }
}

static int parse_main(int argc, char **argv);

const struct cli_spec cli_parse = {
    .name = "parse",
    .summary = "the event and actions a HyperDbg command makes, with disassembly",
    .synopsis = "[-t] [-s] '<command>' | - | -f FILE",
    .description =
        "Parse one HyperDbg command (!vmcall ..., events ...) and show what it makes: its\n"
        "canonical text, the event, each action, the disassembly of every raw buffer, the\n"
        "source lines of asm bodies and the bytecode of scripts. Raw code is validated as\n"
        "every subcommand that takes a command validates it. `-` reads the command from\n"
        "stdin; a command may span lines.",
    .options = "  -t, --text             text for people; diagnostics on stderr\n"
               "  -s, --strict           a validation warning is an error\n"
               "  -f, --file FILE        read the command from FILE\n",
    .examples = "  hdevent parse '!vmcall pid 0n1168 core 2 code {90 90 90}'\n"
                "  hdevent parse --text '!vmcall asm code {nop; ret}'\n"
                "  hdevent parse -f command.txt\n",
    .shortopts = "tsf:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"strict", no_argument, NULL, 's'},
                                        {"file", required_argument, NULL, 'f'},
                                        {0}},
    .main = parse_main,
};

static void print_command(const struct hd_command *cmd, const char *canonical, bool text)
{
    if (text) {
        cli_text_safe(stdout, canonical, strlen(canonical), false);
        printf("\n");
        return;
    }
    printf("{\"type\":\"command\",\"kind\":\"%s\",\"canonical\":", kind_name(cmd->kind));
    cli_json_string(stdout, canonical);
    if (cmd->kind >= HD_COMMAND_EVENTS_ENABLE && cmd->kind <= HD_COMMAND_EVENTS_CLEAR) {
        if (cmd->id == HD_TAG_ALL)
            printf(",\"all\":true");
        else
            printf(",\"id\":%" PRIu64, cmd->id);
        printf(",\"tag\":\"0x%" PRIx64 "\"", cmd->tag);
    } else if (cmd->kind == HD_COMMAND_EVENTS_SC) {
        printf(",\"short_circuit\":%s", cmd->sc_on ? "true" : "false");
    }
    printf("}\n");
}

static int parse_main(int argc, char **argv)
{
    struct cli_text_args in;
    bool text, strict;
    struct hd_command cmd;
    struct hd_command_error err;
    char *canonical, *input;
    const char *canonical_note = NULL;

    if (!cli_text_args(&cli_parse, argc, argv, HD_COMMAND_TEXT_MAX, "a command", "one command",
                          &in))
        return in.status;
    input = in.input;
    text = in.text;
    strict = in.strict;
    if (cli_command_parse(input, strict, text, &cmd) != 0) {
        free(input);
        return 1;
    }
    /* The canonical text can outgrow what was typed (a {9090} body gains spaces): room for
     * the most a command may be, else say why there is none. */
    canonical = malloc((size_t)HD_COMMAND_TEXT_MAX + 1);
    if (!canonical || hd_command_format(&cmd, canonical, (size_t)HD_COMMAND_TEXT_MAX + 1) != HD_OK)
        canonical_note = "(none: longer than a command may be)";
    print_command(&cmd, canonical_note ? canonical_note : canonical, text);
    free(canonical);
    if (cmd.kind == HD_COMMAND_VMCALL)
        print_event(&cmd, text);
    /* What registration would refuse (asm bodies in a build without Zydis): say so, do not
     * fail. */
    if (hd_command_check_supported(&cmd, &err) != HD_OK) {
        if (text) {
            cli_text_safe_str(cli_diag("note"), "cannot be registered yet: ");
            cli_text_safe_str(stderr, err.message);
            fputc('\n', stderr);
        } else {
            printf("{\"type\":\"note\",\"registrable\":false,\"message\":");
            cli_json_string(stdout, err.message);
            printf("}\n");
        }
    }
    hd_command_free(&cmd);
    free(input);
    return 0;
}
