/* SPDX-License-Identifier: MIT */
/*
 * hd_command_format(): a parsed command back to text, in canonical form (lower-case
 * keywords, 0x numbers, options in a fixed order, defaults left out, code as spaced hex with
 * the RET the parser appended). Parsing the result gives the same command: the conformance
 * tests check that round trip for every example.
 */
#include <hdevent/command.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *p;
    size_t cap, len;
    bool overflow;
};

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->overflow = true;
    else
        o->len += (size_t)n;
}

static void put_hex(struct out *o, const char *keyword, const uint8_t *b, uint32_t n)
{
    put(o, " %s {", keyword);
    for (uint32_t i = 0; i < n; i++)
        put(o, i ? " %02X" : "%02X", b[i]);
    put(o, "}");
}

static void put_body(struct out *o, const char *keyword, const struct hd_command_body *b,
                     bool file)
{
    put(o, file ? " %s {file:%s}" : " %s {%s}", keyword, b->text);
}

static void format_vmcall(const struct hd_command *c, struct out *o)
{
    const struct hd_event_desc *e = &c->event;

    put(o, "!vmcall");
    if (e->pid != HD_ALL)
        put(o, " pid 0x%X", e->pid);
    if (e->core != HD_ALL)
        put(o, " core 0x%X", e->core);
    if (!c->immediate)
        put(o, " imm no");
    if (e->short_circuit)
        put(o, " sc on");
    if (e->stage != HD_STAGE_PRE)
        put(o, " stage %s", e->stage == HD_STAGE_POST ? "post" : "all");
    if (c->buffer_size)
        put(o, " buffer 0x%X", c->buffer_size);
    if (c->steps)
        put(o, " steps 0x%X", c->steps);
    if (c->flags & HD_COMMAND_ASM_CONDITION)
        put_body(o, "asm condition", &c->asm_condition, false);
    else if (e->condition.kind == HD_CONDITION_RAW)
        put_hex(o, "condition", e->condition.code, e->condition.code_size);
    /* Code and script in action order: that order is what runs. */
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        if (a->type == HD_ACTION_CODE && (c->flags & HD_COMMAND_ASM_CODE))
            put_body(o, "asm code", &c->asm_code, false);
        else if (a->type == HD_ACTION_CODE)
            put_hex(o, "code", a->code, a->code_size);
        else if (a->type == HD_ACTION_SCRIPT)
            put_body(o, "script", &c->script, c->flags & HD_COMMAND_SCRIPT_FILE);
    }
    if (c->output_count) {
        put(o, " output {");
        for (uint32_t i = 0; i < c->output_count; i++)
            put(o, i ? ", %s" : "%s", c->outputs[i]);
        put(o, "}");
    }
    /* hdevent's extension */
    if (e->nr_filter && e->nr_first == e->nr_last)
        put(o, " nr 0x%llX", (unsigned long long)e->nr_first);
    else if (e->nr_filter)
        put(o, " nr 0x%llX-0x%llX", (unsigned long long)e->nr_first,
            (unsigned long long)e->nr_last);
    if (e->deny == HD_DENY_UD)
        put(o, " deny ud");
    else if (e->deny == HD_DENY_RAX)
        put(o, " deny rax=0x%llX", (unsigned long long)e->deny_rax);
    if (e->max_hits)
        put(o, " max_hits 0x%llX", (unsigned long long)e->max_hits);
}

enum hd_status hd_command_format(const struct hd_command *cmd, char *out, size_t cap)
{
    struct out o = {out, cap, 0, false};
    static const char *const verb[] = {
        [HD_COMMAND_EVENTS_ENABLE] = "e",
        [HD_COMMAND_EVENTS_DISABLE] = "d",
        [HD_COMMAND_EVENTS_CLEAR] = "c",
    };

    if (!cmd || !out || cap == 0)
        return HD_ERR_INVALID_ARGUMENT;
    out[0] = 0;
    switch (cmd->kind) {
    case HD_COMMAND_VMCALL:
        format_vmcall(cmd, &o);
        break;
    case HD_COMMAND_EVENTS_LIST:
        put(&o, "events");
        break;
    case HD_COMMAND_EVENTS_ENABLE:
    case HD_COMMAND_EVENTS_DISABLE:
    case HD_COMMAND_EVENTS_CLEAR:
        if (cmd->id == HD_TAG_ALL)
            put(&o, "events %s all", verb[cmd->kind]);
        else
            put(&o, "events %s 0x%llX", verb[cmd->kind], (unsigned long long)cmd->id);
        break;
    case HD_COMMAND_EVENTS_SC:
        put(&o, "events sc %s", cmd->sc_on ? "on" : "off");
        break;
    default:
        return HD_ERR_INVALID_ARGUMENT;
    }
    if (o.overflow) {
        out[0] = 0;
        return HD_ERR_BUFFER_TOO_SMALL;
    }
    /* Spaced hex takes 3 characters a byte where `{9090}` took 2: a command near the length
     * limit can print longer than the parser takes. Refuse rather than break the round trip. */
    if (o.len > HD_COMMAND_TEXT_MAX) {
        out[0] = 0;
        return HD_ERR_TOO_LARGE;
    }
    return HD_OK;
}
