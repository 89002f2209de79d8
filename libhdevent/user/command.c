/* SPDX-License-Identifier: MIT */
/*
 * command.c — the command parser's entry points: parse, free, the "supported here" check and
 * the error formatter. The grammar lives in command_vmcall.c and command_events.c.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_internal.h"

enum hd_status hd_command_parse(const char *text, struct hd_command *out,
                                struct hd_command_error *err)
{
    struct cmd_lexer lx;
    struct cmd_token first;
    enum hd_status st;
    size_t len;

    if (!out)
        return hd__cmd_fail(NULL, err, "", 0, "no struct hd_command to fill");
    memset(out, 0, sizeof(*out));
    if (!text)
        return hd__cmd_fail(NULL, err, "", 0, "no command text");
    len = strnlen(text, (size_t)HD_COMMAND_TEXT_MAX + 1);
    if (len > HD_COMMAND_TEXT_MAX)
        return hd__cmd_fail(NULL, err, "", 0, "command longer than %u bytes", HD_COMMAND_TEXT_MAX);

    lx.text = text;
    lx.len = len;
    lx.pos = 0;
    st = hd__cmd_next(&lx, &first, err);
    if (st == HD_EMPTY)
        return hd__cmd_fail(&lx, err, text + len, 0,
                        "empty command: expected !vmcall [options] or events [e|d|c ID|all]");
    if (st != HD_OK)
        return st;
    if (hd__cmd_is(&first, "!vmcall"))
        st = hd__cmd_parse_vmcall(&lx, out, err);
    else if (hd__cmd_is(&first, "events"))
        st = hd__cmd_parse_events(&lx, out, err);
    else if (hd__cmd_is(&first, "vmcall"))
        st = cmd_fail_tok(&lx, err, &first, "unknown command: the event command is !vmcall");
    else
        st = cmd_fail_tok(&lx, err, &first,
                          "unknown command: expected !vmcall [options] or events [e|d|c ID|all]");
    if (st != HD_OK)
        hd_command_free(out); /* a failed parse leaves nothing allocated */
    return st;
}

void hd_command_free(struct hd_command *cmd)
{
    if (!cmd)
        return;
    if (cmd->event.actions) {
        struct hd_action_desc *a = (struct hd_action_desc *)cmd->event.actions;
        for (uint32_t i = 0; i < cmd->event.action_count; i++)
            if (a[i].type == HD_ACTION_CODE)
                free((void *)a[i].code); /* script actions point at cmd->script_program */
        free(a);
    }
    free((void *)cmd->event.condition.code);
    free((void *)cmd->event.command);
    free(cmd->asm_condition.text);
    free(cmd->asm_code.text);
    free(cmd->script.text);
    hd_script_program_free(&cmd->script_program);
    memset(cmd, 0, sizeof(*cmd));
}

/* The command's script action (a command makes at most one). */
static struct hd_action_desc *script_action(struct hd_command *cmd)
{
    struct hd_action_desc *a = (struct hd_action_desc *)cmd->event.actions;
    for (uint32_t i = 0; a && i < cmd->event.action_count; i++)
        if (a[i].type == HD_ACTION_SCRIPT)
            return &a[i];
    return NULL;
}

/* The script action that `script {file:PATH}` left without bytes, or NULL: nothing to load. */
static struct hd_action_desc *unloaded_script_file(struct hd_command *cmd)
{
    struct hd_action_desc *a = script_action(cmd);

    if (cmd->kind != HD_COMMAND_VMCALL || !(cmd->flags & HD_COMMAND_SCRIPT_FILE) || !a ||
        cmd->script_program.code)
        return NULL;
    return a;
}

/* The file's script compiled (@st, @se): point the action at it, or fill @err. */
static enum hd_status script_loaded(struct hd_command *cmd, struct hd_action_desc *a,
                                    enum hd_status st, const struct hd_script_error *se,
                                    struct hd_command_error *err)
{
    if (st == HD_OK) {
        a->script = cmd->script_program.code;
        a->script_size = cmd->script_program.size;
        return HD_OK;
    }
    if (err) {
        memset(err, 0, sizeof(*err));
        err->column = cmd->script.column;
        err->length = 6;
        snprintf(err->token, sizeof(err->token), "script");
        if (se->line) { /* the path cut short: it must not push the message out */
            int n = snprintf(err->message, sizeof(err->message), "line %u, column %u of %.*s: ",
                             se->line, se->column, 60, cmd->script.text);
            size_t used = n > 0 ? (size_t)n : 0;
            size_t len = strnlen(se->message, sizeof(err->message) - 1 - used);
            memcpy(err->message + used, se->message, len);
            err->message[used + len] = 0;
        } else {
            snprintf(err->message, sizeof(err->message), "%.*s", 250, se->message);
        }
        err->script_line = se->line;
        err->script_column = se->column;
    }
    return st;
}

enum hd_status hd_command_load_script(struct hd_command *cmd, struct hd_command_error *err)
{
    struct hd_script_error se;
    struct hd_action_desc *a;

    if (!cmd)
        return hd__cmd_fail(NULL, err, "", 0, "no command");
    a = unloaded_script_file(cmd);
    if (!a)
        return HD_OK;
    return script_loaded(cmd, a, hd_script_compile_file(cmd->script.text, &cmd->script_program,
                                                        &se),
                         &se, err);
}

enum hd_status hd_command_load_script_text(struct hd_command *cmd, const char *text,
                                           size_t length, struct hd_command_error *err)
{
    struct hd_script_error se;
    struct hd_action_desc *a;

    if (!cmd || (!text && length))
        return hd__cmd_fail(NULL, err, "", 0, "no command or no text");
    a = unloaded_script_file(cmd);
    if (!a)
        return HD_OK;
    return script_loaded(cmd, a,
                         hd_script_compile_n(text ? text : "", length, &cmd->script_program,
                                             &se),
                         &se, err);
}

static enum hd_status unsupported(struct hd_command_error *err, enum hd_status st,
                                  uint32_t column, const char *token, const char *message)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        err->column = column;
        err->length = (uint32_t)strlen(token);
        snprintf(err->token, sizeof(err->token), "%s", token);
        snprintf(err->message, sizeof(err->message), "%s", message);
    }
    return st;
}

/* The code action of @p cmd, or NULL. */
static const struct hd_action_desc *code_action(const struct hd_command *cmd)
{
    for (uint32_t i = 0; i < cmd->event.action_count; i++)
        if (cmd->event.actions[i].type == HD_ACTION_CODE)
            return &cmd->event.actions[i];
    return NULL;
}

enum hd_status hd_command_check_supported(const struct hd_command *cmd,
                                          struct hd_command_error *err)
{
    const struct hd_action_desc *code;

    if (!cmd)
        return hd__cmd_fail(NULL, err, "", 0, "no command");
    if (cmd->kind != HD_COMMAND_VMCALL)
        return HD_OK;
    /* asm bodies have bytes, except in builds without Zydis (HDEVENT_NO_ZYDIS). */
    if ((cmd->flags & HD_COMMAND_ASM_CONDITION) && !cmd->event.condition.code)
        return unsupported(err, HD_ERR_NOT_SUPPORTED, cmd->asm_condition.column, "asm condition",
                           "this build has no assembler (it was built without Zydis): give "
                           "the condition as hex bytes, condition {...}");
    code = code_action(cmd);
    if ((cmd->flags & HD_COMMAND_ASM_CODE) && code && !code->code)
        return unsupported(err, HD_ERR_NOT_SUPPORTED, cmd->asm_code.column, "asm code",
                           "this build has no assembler (it was built without Zydis): give "
                           "the code as hex bytes, code {...}");
    if ((cmd->flags & HD_COMMAND_SCRIPT_FILE) && !cmd->script_program.code)
        return unsupported(err, HD_ERR_NOT_SUPPORTED, cmd->script.column, "script",
                           "the script file is not read yet: hd_command_load_script() reads "
                           "and compiles it");
    return HD_OK;
}

/* ---- formatting ------------------------------------------------------------------------ */

struct sink {
    char *out;
    size_t cap, n;
};

static void put(struct sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->n + 1 < s->cap)
            s->out[s->n++] = p[i];
    }
}

static void puts_(struct sink *s, const char *p)
{
    put(s, p, strlen(p));
}

void hd_command_error_format(const struct hd_command_error *err, const char *text, char *out,
                             size_t cap)
{
    struct sink s = {out, cap, 0};
    char num[32];

    if (!out || cap == 0)
        return;
    if (!err) {
        out[0] = '\0';
        return;
    }
    if (err->column) {
        snprintf(num, sizeof(num), "column %u: ", (unsigned)err->column);
        puts_(&s, num);
    }
    if (err->token[0]) {
        puts_(&s, "'");
        put(&s, err->token, strnlen(err->token, sizeof(err->token)));
        puts_(&s, "': ");
    }
    put(&s, err->message, strnlen(err->message, sizeof(err->message)));

    if (text && err->column) {
        size_t len = strnlen(text, (size_t)HD_COMMAND_TEXT_MAX + 1);
        size_t off = err->column - 1, start, end, carets = err->length ? err->length : 1;
        if (off > len)
            off = len;
        for (start = off; start > 0 && text[start - 1] != '\n'; start--)
            ;
        for (end = off; end < len && text[end] != '\n'; end++)
            ;
        size_t shown = end;
        while (shown > start && text[shown - 1] == '\r')
            shown--;
        puts_(&s, "\n");
        put(&s, text + start, shown - start);
        puts_(&s, "\n");
        for (size_t i = start; i < off; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c == '\t')
                puts_(&s, "\t");
            else if ((c & 0xC0) != 0x80) /* one column per UTF-8 character */
                puts_(&s, " ");
        }
        if (off + carets > shown)
            carets = shown > off ? shown - off : 1;
        for (size_t i = 0; i < carets; i++)
            puts_(&s, "^");
    }
    out[s.n] = '\0';
}

enum hd_status hd_command_number(const char *text, size_t len, uint64_t max, uint64_t *out)
{
    if (!text || !out)
        return HD_ERR_INVALID_ARGUMENT;
    switch (hd__cmd_number(text, len, max, out)) {
    case CMD_NUM_OK:
        return HD_OK;
    case CMD_NUM_RANGE:
        return HD_ERR_TOO_LARGE;
    default:
        return HD_ERR_INVALID_ARGUMENT;
    }
}

/* ---- output names ------------------------------------------------------------------------ */

size_t hd_output_name_check(const char *name, size_t len)
{
    if (!name || len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || i + 1 >= HD_COMMAND_OUTPUT_NAME_BYTES)
            return i;
    }
    return len;
}

uint64_t hd_output_tag(const char *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bits */

    for (size_t i = 0; name && i < len; i++) {
        h ^= (uint8_t)name[i];
        h *= 0x100000001b3ull;
    }
    return h ? h : 1; /* 0 means "no tag" on the wire */
}
