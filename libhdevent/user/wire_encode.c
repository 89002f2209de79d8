/* SPDX-License-Identifier: MIT */
/*
 * wire_encode.c — descriptors into HyperDbg's IOCTL buffers (user mode).
 *
 * Fields are written byte by byte as little-endian at the offsets wire.h pins, so the bytes
 * are the same whatever the host's byte order and whether user mode is 32- or 64-bit. The
 * fields the kernel ignores (list link, command pointer, Options[1..5], padding)
 * are 0; Options[0] carries the script step budget, ScriptBufferPointer the instruction count.
 */
#include <stdlib.h>
#include <string.h>

#include <hdevent/wire_encode.h>

#include "../core/internal/le.h"

static bool tag_valid(uint64_t tag)
{
    return tag >= HD_TAG_BASE && tag != HD_TAG_ALL;
}

/* The condition bytes to send, or an error for what the wire cannot carry. */
static enum hd_status condition_bytes(const struct hd_condition_desc *c, const uint8_t **code,
                                      uint32_t *size)
{
    *code = NULL;
    *size = 0;
    switch (c->kind) {
    case HD_CONDITION_NONE:
        return HD_OK;
    case HD_CONDITION_RAW:
        if (!c->code || !c->code_size)
            return HD_ERR_INVALID_CONDITION;
        *code = c->code;
        *size = c->code_size;
        return HD_OK;
    case HD_CONDITION_NATIVE:
        return HD_ERR_NOT_ENCODABLE;
    }
    return HD_ERR_INVALID_CONDITION;
}

/* Bytes of the action's buffer and its payload, or an error. */
static enum hd_status action_payload(const struct hd_action_desc *a, const uint8_t **payload,
                                     uint32_t *size)
{
    *payload = NULL;
    *size = 0;
    switch (a->type) {
    case HD_ACTION_BREAK:
        return HD_OK;
    case HD_ACTION_CODE:
        if (!a->code || !a->code_size)
            return HD_ERR_EMPTY_CODE;
        *payload = a->code;
        *size = a->code_size;
        return HD_OK;
    case HD_ACTION_SCRIPT:
        if (!a->script || !a->script_size)
            return HD_ERR_EMPTY_CODE;
        *payload = a->script;
        *size = a->script_size;
        return HD_OK;
    case HD_ACTION_NATIVE:
        return HD_ERR_NOT_ENCODABLE;
    }
    return HD_ERR_INVALID_ACTION_TYPE;
}

/* Write the event buffer at @out (HD_WIRE_EVENT_SIZE + cond_size bytes). */
static void put_event(uint8_t *out, const struct hd_event_desc *d, uint64_t tag,
                      const uint8_t *cond, uint32_t cond_size)
{
    memset(out, 0, HD_WIRE_EVENT_SIZE);
    hd__le_wr32(out, 16, d->core);
    hd__le_wr32(out, 20, d->pid);
    out[24] = d->enabled ? 1 : 0;
    out[25] = d->short_circuit ? 1 : 0;
    hd__le_wr32(out, 28, (uint32_t)d->stage);
    out[32] = d->output_count ? 1 : 0; /* HasCustomOutput, then OutputSourceTags */
    for (uint32_t i = 0; i < d->output_count && i < HD_EVENT_MAX_OUTPUTS; i++)
        hd__le_wr64(out, 40 + 8 * i, d->outputs[i]);
    hd__le_wr32(out, 80, d->action_count);
    hd__le_wr64(out, 88, tag);
    hd__le_wr32(out, 96, HD_WIRE_EVENT_VMCALL);
    hd__le_wr64(out, 104, d->script_steps); /* Options[0] */
    /* Options[1..5]: hdevent's extension (wire.h HD_WIRE_EXT_*), 0 when unused as HyperDbg's */
    hd__le_wr64(out, 112, (d->nr_filter ? HD_WIRE_EXT_NR : 0u) |
                              (d->deny == HD_DENY_UD    ? HD_WIRE_EXT_DENY_UD
                               : d->deny == HD_DENY_RAX ? HD_WIRE_EXT_DENY_RAX
                                                        : 0u));
    hd__le_wr64(out, 120, d->nr_filter ? d->nr_first : 0);
    hd__le_wr64(out, 128, d->nr_filter ? d->nr_last : 0);
    hd__le_wr64(out, 136, d->deny == HD_DENY_RAX ? d->deny_rax : 0);
    hd__le_wr64(out, 144, d->max_hits);
    hd__le_wr32(out, 160, cond_size);
    if (cond_size)
        memcpy(out + HD_WIRE_EVENT_SIZE, cond, cond_size);
}

/* Write the action buffer at @out (HD_WIRE_ACTION_SIZE + size bytes). */
static void put_action(uint8_t *out, const struct hd_action_desc *a, uint64_t tag,
                       const uint8_t *payload, uint32_t size)
{
    memset(out, 0, HD_WIRE_ACTION_SIZE);
    hd__le_wr64(out, 0, tag);
    hd__le_wr32(out, 8, (uint32_t)a->type);
    out[12] = a->immediate ? 1 : 0;
    hd__le_wr32(out, 16, a->buffer_size);
    hd__le_wr32(out, a->type == HD_ACTION_SCRIPT ? 24 : 20, size);
    if (a->type == HD_ACTION_SCRIPT && size >= HD_SCRIPT_H_INSNS + 4) /* ScriptBufferPointer */
        hd__le_wr32(out, 28, hd__le_rd32(payload, HD_SCRIPT_H_INSNS));
    if (size)
        memcpy(out + HD_WIRE_ACTION_SIZE, payload, size);
}

enum hd_status hd_wire_encode_event(const struct hd_event_desc *desc, uint64_t tag, uint8_t **buf,
                                    size_t *len)
{
    const uint8_t *cond;
    uint32_t cond_size;
    uint8_t *out;

    if (!desc || !buf || !len)
        return HD_ERR_INVALID_ARGUMENT;
    *buf = NULL;
    *len = 0;
    if (!tag)
        tag = desc->tag;
    if (!tag_valid(tag))
        return HD_ERR_INVALID_TAG;
    if (desc->output_count > HD_EVENT_MAX_OUTPUTS)
        return HD_ERR_INVALID_ARGUMENT;
    if ((desc->nr_filter && desc->nr_first > desc->nr_last) ||
        (desc->deny != HD_DENY_NONE && desc->deny != HD_DENY_UD && desc->deny != HD_DENY_RAX))
        return HD_ERR_INVALID_ARGUMENT;
    HD_CHECK(condition_bytes(&desc->condition, &cond, &cond_size));
    out = malloc((size_t)HD_WIRE_EVENT_SIZE + cond_size);
    if (!out)
        return HD_ERR_NO_MEMORY;
    put_event(out, desc, tag, cond, cond_size);
    *buf = out;
    *len = (size_t)HD_WIRE_EVENT_SIZE + cond_size;
    return HD_OK;
}

enum hd_status hd_wire_encode_action(const struct hd_action_desc *action, uint64_t tag,
                                     uint8_t **buf, size_t *len)
{
    const uint8_t *payload;
    uint32_t size;
    uint8_t *out;

    if (!action || !buf || !len)
        return HD_ERR_INVALID_ARGUMENT;
    *buf = NULL;
    *len = 0;
    if (!tag_valid(tag))
        return HD_ERR_INVALID_TAG;
    HD_CHECK(action_payload(action, &payload, &size));
    out = malloc((size_t)HD_WIRE_ACTION_SIZE + size);
    if (!out)
        return HD_ERR_NO_MEMORY;
    put_action(out, action, tag, payload, size);
    *buf = out;
    *len = (size_t)HD_WIRE_ACTION_SIZE + size;
    return HD_OK;
}

void hd_wire_encode_modify(uint64_t tag, uint32_t type, uint8_t out[HD_WIRE_MODIFY_SIZE])
{
    memset(out, 0, HD_WIRE_MODIFY_SIZE);
    hd__le_wr64(out, 0, tag);
    hd__le_wr32(out, 16, type);
}

enum hd_status hd_wire_encode_file(const struct hd_event_desc *desc, uint64_t tag, uint8_t **buf,
                                   size_t *len)
{
    const uint8_t *cond, *payload;
    uint32_t cond_size, size;
    size_t total, at;
    uint8_t *out;

    if (!desc || !buf || !len || (desc->action_count && !desc->actions))
        return HD_ERR_INVALID_ARGUMENT;
    *buf = NULL;
    *len = 0;
    if (!tag)
        tag = desc->tag;
    if (!tag_valid(tag))
        return HD_ERR_INVALID_TAG;
    if (desc->action_count > HD_EVENT_MAX_ACTIONS)
        return HD_ERR_TOO_MANY_ACTIONS;
    HD_CHECK(condition_bytes(&desc->condition, &cond, &cond_size));
    total = (size_t)HD_WIRE_EVENT_SIZE + cond_size;
    for (uint32_t i = 0; i < desc->action_count; i++) {
        HD_CHECK(action_payload(&desc->actions[i], &payload, &size));
        total += (size_t)HD_WIRE_ACTION_SIZE + size;
    }
    out = malloc(total);
    if (!out)
        return HD_ERR_NO_MEMORY;
    put_event(out, desc, tag, cond, cond_size);
    at = (size_t)HD_WIRE_EVENT_SIZE + cond_size;
    for (uint32_t i = 0; i < desc->action_count; i++) {
        (void)action_payload(&desc->actions[i], &payload, &size); /* checked above */
        put_action(out + at, &desc->actions[i], tag, payload, size);
        at += (size_t)HD_WIRE_ACTION_SIZE + size;
    }
    *buf = out;
    *len = total;
    return HD_OK;
}
