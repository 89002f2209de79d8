/* SPDX-License-Identifier: MIT */
/*
 * cli_command_parse() and cli_command_load(): the one route from command text to a command
 * the tool shows, encodes or registers: parse, validate its raw code, check it is supported
 * (cli.h).
 */
#include "cli.h"

#include <hdevent/command.h>
#ifndef HDEVENT_NO_ZYDIS
#include <hdevent/code.h>
#endif

#include <inttypes.h>
#include <string.h>

/* Columns a byte takes once cli_text_safe() has written it: 1, or 4 for \xNN. */
static size_t safe_width(unsigned char c)
{
    return c >= 0x20 && c < 0x7F ? 1 : 4;
}

/* The line of @text that holds @err's column, made safe, and a caret under the token, placed
 * by the width each byte takes once escaped (the library's own caret line counts a byte as a
 * column and would point elsewhere once \xNN widened the bytes before it). */
static void print_where(FILE *out, const char *text, const struct hd_command_error *err)
{
    size_t len = strlen(text), off = err->column - 1, start, end, pad = 0, carets = 0;

    if (off > len)
        off = len;
    for (start = off; start > 0 && text[start - 1] != '\n'; start--)
        ;
    for (end = off; end < len && text[end] != '\n'; end++)
        ;
    while (end > start && text[end - 1] == '\r')
        end--;
    fputc('\n', out);
    cli_text_safe(out, text + start, end - start, false);
    fputc('\n', out);
    for (size_t i = start; i < off && i < end; i++)
        pad += safe_width((unsigned char)text[i]);
    for (size_t i = off; i < end && i < off + (err->length ? err->length : 1); i++)
        carets += safe_width((unsigned char)text[i]);
    fprintf(out, "%*s", (int)pad, "");
    for (size_t i = 0; i < (carets ? carets : 1); i++)
        fputc('^', out);
}

int cli_command_reject(const char *text, enum hd_status st, const struct hd_command_error *err,
                       bool text_out)
{
    char line[1024];

    if (text_out) { /* the message, the command, a caret: the command's bytes made safe */
        FILE *out = cli_diag("error");
        hd_command_error_format(err, NULL, line, sizeof(line));
        cli_text_safe_str(out, line);
        if (text && err->column)
            print_where(out, text, err);
        fputc('\n', out);
        return 1;
    }
    hd_command_error_format(err, text, line, sizeof(line));
    printf("{\"type\":\"error\",");
    cli_json_where();
    printf("\"error\":\"%s\"", hd_status_name(st));
    if (err->column) /* none when the error has no place in the text */
        printf(",\"column\":%" PRIu32, err->column);
    if (err->script_line) /* where inside the script, as well as in the command */
        printf(",\"script_line\":%" PRIu32 ",\"script_column\":%" PRIu32, err->script_line,
               err->script_column);
    printf(",\"message\":");
    cli_json_string(stdout, line);
    printf("}\n");
    return 1;
}

#ifndef HDEVENT_NO_ZYDIS
uint32_t cli_code_report(const char *buffer, int action, const uint8_t *code, uint32_t size,
                         bool strict, bool text_out)
{
    struct hd_code_report r;
    enum hd_status st = hd_code_validate(code, size, strict ? HD_CODE_STRICT : 0, &r);

    if (st != HD_OK && st != HD_ERR_INVALID_CODE) {
        cli_fail(hd_status_name(st), hd_status_str(st));
        return 1;
    }
    for (uint32_t i = 0; i < r.finding_count; i++) {
        const struct hd_code_finding *f = &r.findings[i];
        const char *type = f->error ? "error" : "warning";
        if (text_out) {
            FILE *out = cli_diag(type);
            fprintf(out, "%s", buffer);
            if (action >= 0)
                fprintf(out, " (action %d)", action);
            fprintf(out, " +0x%" PRIX32 ": ", f->offset);
            cli_text_safe_str(out, f->message);
            fputc('\n', out);
            continue;
        }
        printf("{\"type\":\"%s\",", type);
        cli_json_where();
        if (f->error)
            printf("\"error\":\"HD_ERR_INVALID_CODE\",");
        printf("\"buffer\":\"%s\",", buffer);
        if (action >= 0)
            printf("\"action\":%d,", action);
        printf("\"finding\":\"%s\",\"offset\":%" PRIu32 ",\"instruction\":",
               hd_code_finding_name(f->kind), f->offset);
        cli_json_string(stdout, f->instruction);
        printf(",\"message\":");
        cli_json_string(stdout, f->message);
        printf("}\n");
    }
    if (r.errors + r.warnings > r.finding_count) {
        uint32_t more = r.errors + r.warnings - r.finding_count;
        if (text_out) {
            fprintf(cli_diag("note"), "%s: %" PRIu32 " more finding(s) not shown\n", buffer,
                    more);
        } else {
            printf("{\"type\":\"note\",");
            cli_json_where();
            printf("\"buffer\":\"%s\",\"message\":\"%" PRIu32 " more finding(s) not shown\"}\n",
                   buffer, more);
        }
    }
    return r.errors;
}
#endif

static cli_script_loader script_loader; /* NULL: hd_command_load_script() */

void cli_set_script_loader(cli_script_loader loader)
{
    script_loader = loader;
}

int cli_command_parse(const char *text, bool strict, bool text_out, struct hd_command *cmd)
{
    struct hd_command_error err;
    enum hd_status st = hd_command_parse(text, cmd, &err);

    if (st != HD_OK)
        return cli_command_reject(text, st, &err, text_out);
    /* script {file:PATH}: the tool reads files */
    st = script_loader ? script_loader(cmd, &err) : hd_command_load_script(cmd, &err);
    if (st != HD_OK) {
        hd_command_free(cmd);
        return cli_command_reject(text, st, &err, text_out);
    }
#ifndef HDEVENT_NO_ZYDIS
    if (cmd->kind == HD_COMMAND_VMCALL) {
        const struct hd_event_desc *e = &cmd->event;
        uint32_t errors = 0;

        /* Hex and assembled bodies alike; only a build without the assembler leaves an asm
         * body without bytes (NULL: nothing to validate, hd_command_check_supported refuses). */
        if (e->condition.kind == HD_CONDITION_RAW && e->condition.code)
            errors += cli_code_report("condition", -1, e->condition.code,
                                      e->condition.code_size, strict, text_out);
        for (uint32_t i = 0; i < e->action_count; i++)
            if (e->actions[i].type == HD_ACTION_CODE && e->actions[i].code)
                errors += cli_code_report("code", (int)i, e->actions[i].code,
                                          e->actions[i].code_size, strict, text_out);
        if (errors) {
            hd_command_free(cmd);
            return 1;
        }
    }
#else
    (void)strict;
#endif
    return 0;
}

int cli_command_load(const char *text, bool strict, bool text_out, struct hd_command *cmd)
{
    struct hd_command_error err;
    enum hd_status st;

    if (cli_command_parse(text, strict, text_out, cmd) != 0)
        return 1;
    st = hd_command_check_supported(cmd, &err);
    if (st != HD_OK) {
        hd_command_free(cmd);
        return cli_command_reject(text, st, &err, text_out);
    }
    return 0;
}
