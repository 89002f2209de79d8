/*
 * hdevent parse [--text] [--strict] '<command>': the event and actions a command makes, its
 * canonical text, a disassembly of every raw buffer, and for `asm` bodies which source
 * statement made which bytes (docs/cli.md).
 */
#include "cli.h"

#include <hdevent/asm.h>
#include <hdevent/code.h>
#include <hdevent/command.h>

#include <inttypes.h>
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
            printf("    line %-3" PRIu32 " +0x%04" PRIX32 "  %-30s %.*s\n", l->line, l->offset,
                   hex, (int)l->text_length, src);
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
        printf("\n");
    } else {
        printf("{\"type\":\"event\",\"pid\":\"0x%" PRIx32 "\",\"core\":\"0x%" PRIx32
               "\",\"stage\":\"%s\",\"short_circuit\":%s,\"immediate\":%s,\"buffer\":%" PRIu32
               ",\"condition\":",
               e->pid, e->core, cli_stage_name(e->stage), e->short_circuit ? "true" : "false",
               c->immediate ? "true" : "false", c->buffer_size);
        if (c->flags & HD_COMMAND_ASM_CONDITION)
            printf("\"asm\"");
        else if (e->condition.kind == HD_CONDITION_RAW)
            printf("\"raw\"");
        else
            printf("null");
        if (c->steps)
            printf(",\"steps\":%" PRIu32, c->steps);
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
            if (a->type == HD_ACTION_SCRIPT)
                printf((c->flags & HD_COMMAND_SCRIPT_FILE) ? ", file %s" : ", {%s}", body);
            printf("\n");
        } else {
            printf("{\"type\":\"action\",\"index\":%" PRIu32 ",\"kind\":\"%s\",\"immediate\":%s,"
                   "\"buffer\":%" PRIu32,
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

int cmd_parse(int argc, char **argv)
{
    const char *text_arg = NULL;
    bool text = false, strict = false;
    struct hd_command cmd;
    struct hd_command_error err;
    char canonical[8192];

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text"))
            cli_set_text(text = true);
        else if (!strcmp(argv[i], "--strict"))
            strict = true;
        else if (!text_arg && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
            text_arg = argv[i];
        else
            return cli_usage();
    }
    if (!text_arg)
        return cli_usage();
    if (cli_command_parse(text_arg, strict, text, &cmd) != 0)
        return 1;
    if (hd_command_format(&cmd, canonical, sizeof(canonical)) != HD_OK)
        snprintf(canonical, sizeof(canonical), "(longer than %zu bytes)", sizeof(canonical));
    if (text) {
        printf("%s\n", canonical);
    } else {
        printf("{\"type\":\"command\",\"kind\":\"%s\",\"canonical\":", kind_name(cmd.kind));
        cli_json_string(stdout, canonical);
        if (cmd.kind >= HD_COMMAND_EVENTS_ENABLE && cmd.kind <= HD_COMMAND_EVENTS_CLEAR) {
            if (cmd.id == HD_TAG_ALL)
                printf(",\"id\":\"all\",\"tag\":\"0x%" PRIx64 "\"", cmd.tag);
            else
                printf(",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\"", cmd.id, cmd.tag);
        } else if (cmd.kind == HD_COMMAND_EVENTS_SC) {
            printf(",\"sc\":%s", cmd.sc_on ? "true" : "false");
        }
        printf("}\n");
    }
    if (cmd.kind == HD_COMMAND_VMCALL)
        print_event(&cmd, text);
    /* What registration would refuse (asm bodies in a build without Zydis): say so, do not
     * fail. */
    if (hd_command_check_supported(&cmd, &err) != HD_OK) {
        if (text)
            printf("note: cannot be registered yet: %s\n", err.message);
        else {
            printf("{\"type\":\"note\",\"registrable\":false,\"message\":");
            cli_json_string(stdout, err.message);
            printf("}\n");
        }
    }
    hd_command_free(&cmd);
    return 0;
}
