/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_same.h — "are these two parsed commands the same command?",
 * shared by the conformance runner, the allocation-failure test and the fuzz harness.
 *
 * Two commands are the same when every field a user or the engine can see is equal: kind,
 * flags, the event (filters, stage, short-circuit, enabled, tag, condition bytes, every
 * action's type, flags, buffer and bytes), imm, buffer, the asm and script texts, the output
 * names, the events fields. Left out on purpose: event.command (a copy of each command's own
 * text) and the bodies' columns (where each text put its keyword): they describe the text, not
 * the command. Pointers are compared by what they point at.
 *
 * Static inline only: each program that includes it uses it, nothing to link.
 */
#ifndef HDEVENT_TESTS_CONFORMANCE_COMMAND_SAME_H
#define HDEVENT_TESTS_CONFORMANCE_COMMAND_SAME_H

#include <string.h>

#include <hdevent/command.h>

static inline bool cs_bytes_same(const void *a, uint32_t na, const void *b, uint32_t nb)
{
    if (na != nb || (a == NULL) != (b == NULL))
        return false;
    return na == 0 || memcmp(a, b, na) == 0;
}

static inline bool cs_body_same(const struct hd_command_body *a, const struct hd_command_body *b)
{
    if ((a->text == NULL) != (b->text == NULL) || a->length != b->length)
        return false;
    return !a->text || (strlen(a->text) == a->length && strcmp(a->text, b->text) == 0);
}

/** NULL when @p a and @p b are the same command, else the name of the first field that differs. */
static inline const char *cs_command_diff(const struct hd_command *a, const struct hd_command *b)
{
    const struct hd_event_desc *x = &a->event, *y = &b->event;

    if (a->kind != b->kind)
        return "kind";
    if (a->flags != b->flags)
        return "flags";
    if (x->pid != y->pid || x->core != y->core)
        return "event.pid/core";
    if (x->stage != y->stage || x->short_circuit != y->short_circuit || x->enabled != y->enabled)
        return "event.stage/short_circuit/enabled";
    if (x->tag != y->tag)
        return "event.tag";
    if (x->condition.kind != y->condition.kind ||
        !cs_bytes_same(x->condition.code, x->condition.code_size, y->condition.code,
                       y->condition.code_size) ||
        x->condition.fn != y->condition.fn || x->condition.user != y->condition.user)
        return "event.condition";
    if (x->action_count != y->action_count || (x->actions == NULL) != (y->actions == NULL))
        return "event.action_count";
    for (uint32_t i = 0; i < x->action_count; i++) {
        const struct hd_action_desc *p = &x->actions[i], *q = &y->actions[i];
        if (p->type != q->type || p->immediate != q->immediate ||
            p->buffer_size != q->buffer_size || p->fn != q->fn || p->user != q->user)
            return "event.actions[].type/immediate/buffer_size";
        if (!cs_bytes_same(p->code, p->code_size, q->code, q->code_size))
            return "event.actions[].code";
        if (!cs_bytes_same(p->script, p->script_size, q->script, q->script_size))
            return "event.actions[].script";
    }
    if ((x->command == NULL) != (y->command == NULL))
        return "event.command (presence)";
    if (a->immediate != b->immediate || a->buffer_size != b->buffer_size)
        return "immediate/buffer_size";
    if (a->steps != b->steps || x->script_steps != y->script_steps)
        return "steps";
    if (!cs_bytes_same(a->script_program.code, a->script_program.size, b->script_program.code,
                       b->script_program.size))
        return "script_program";
    if (!cs_body_same(&a->asm_condition, &b->asm_condition))
        return "asm_condition";
    if (!cs_body_same(&a->asm_code, &b->asm_code))
        return "asm_code";
    if (!cs_body_same(&a->script, &b->script))
        return "script";
    if (a->output_count != b->output_count || a->output_count > HD_COMMAND_MAX_OUTPUTS)
        return "output_count";
    for (uint32_t i = 0; i < a->output_count; i++)
        if (strncmp(a->outputs[i], b->outputs[i], HD_COMMAND_OUTPUT_NAME_BYTES) != 0)
            return "outputs[]";
    if (a->id != b->id || a->tag != b->tag || a->sc_on != b->sc_on)
        return "id/tag/sc_on";
    return NULL;
}

#endif /* HDEVENT_TESTS_CONFORMANCE_COMMAND_SAME_H */
