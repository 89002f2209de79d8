/* SPDX-License-Identifier: MIT */
/*
 * hd_wire_device_ioctl: every IOCTL of a kernel device, HyperDbg's four (hd_wire_ioctl) and
 * hdevent's own seven — the self-test exit (wire_selftest.c), message records
 * (wire_messages.c), the flight recorder (wire_recorder.c), an event's command text
 * (wire_command.c), the event list, an event's output tags and its extension (nr, deny,
 * max_hits) below. Backends call this one function.
 *
 * Same order of work as hd_wire_ioctl: the output size is checked first, all input is read
 * before the first output byte is written (METHOD_BUFFERED's shared SystemBuffer).
 */
#include "internal/engine.h"
#include "internal/wire.h"

enum {
    LH_STATUS = 0, LH_COUNT = 4, LH_NEXT_TAG = 8, LH_LAST_TAG = 16, LH_MORE = 24,
    LE_TAG = 0, LE_CORE = 8, LE_PID = 12, LE_STAGE = 16, LE_ENABLED = 20, LE_SC = 21,
    LE_CONDITION = 22, LE_ACTIONS = 24, LE_HITS = 32,
};

/* The lowest tag registration accepts: above every tag given out, cleared ones included. */
static uint64_t next_tag(struct hd_engine *e)
{
    uint64_t t;
    hd__writer_lock(e);
    t = e->registry.next_tag;
    hd__writer_unlock(e);
    return t;
}

static void write_entry(struct hd_engine *e, uint8_t *p, const struct hd_event_info *info)
{
    struct hd_event_counters c = {0, 0};

    hd_memset(p, 0, HD_WIRE_LIST_ENTRY_SIZE);
    (void)hd_event_counters(e, info->tag, HD_ALL, &c); /* cleared meanwhile: 0 hits */
    hd__le_wr64(p, LE_TAG, info->tag);
    hd__le_wr32(p, LE_CORE, info->core);
    hd__le_wr32(p, LE_PID, info->pid);
    hd__le_wr32(p, LE_STAGE, (uint32_t)info->stage);
    p[LE_ENABLED] = info->enabled;
    p[LE_SC] = info->short_circuit;
    p[LE_CONDITION] = (uint8_t)info->condition;
    hd__le_wr32(p, LE_ACTIONS, info->action_count);
    hd__le_wr64(p, LE_HITS, c.hits);
}

/* HD_IOCTL_LIST_EVENTS: events after `after_tag`, as many as fit, in tag order. */
static size_t list_events(struct hd_engine *e, const void *in, size_t in_len, void *out,
                          size_t out_len)
{
    uint8_t h[HD_WIRE_LIST_HEADER_SIZE] = {0};
    uint8_t *b = out;
    uint32_t code = HD_WIRE_SUCCESS, count = 0, more = 0;
    uint64_t after = 0, last = 0;
    size_t room = (out_len - HD_WIRE_LIST_HEADER_SIZE) / HD_WIRE_LIST_ENTRY_SIZE;
    struct hd_event_info info;

    if (!in || in_len < HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRUNCATED;
    else if (in_len > HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRAILING_BYTES;
    else
        after = hd__le_rd64(in, 0); /* read before the output (which may be `in`) is written */
    if (code == (uint32_t)HD_WIRE_SUCCESS) {
        last = after;
        while (hd_event_next(e, last, &info) == HD_OK) {
            if (count == room) {
                more = 1;
                break;
            }
            write_entry(e, b + HD_WIRE_LIST_HEADER_SIZE + (size_t)count * HD_WIRE_LIST_ENTRY_SIZE,
                        &info);
            last = info.tag;
            count++;
        }
    } else {
        hd__wire_log_rejection(e, "list events", code);
    }
    hd__le_wr32(h, LH_STATUS, code);
    hd__le_wr32(h, LH_COUNT, count);
    hd__le_wr64(h, LH_NEXT_TAG, next_tag(e));
    hd__le_wr64(h, LH_LAST_TAG, last);
    hd__le_wr32(h, LH_MORE, more);
    hd_memcpy(b, h, sizeof(h));
    return HD_WIRE_LIST_HEADER_SIZE + (size_t)count * HD_WIRE_LIST_ENTRY_SIZE;
}

/* HD_IOCTL_EVENT_OUTPUTS: the output source tags event `tag` keeps (its `output {…}`). */
static size_t event_outputs(struct hd_engine *e, const void *in, size_t in_len, void *out)
{
    uint8_t r[HD_WIRE_EVENT_OUTPUTS_SIZE] = {0};
    uint64_t tags[HD_EVENT_MAX_OUTPUTS];
    uint32_t code = HD_WIRE_SUCCESS, count = 0;

    if (!in || in_len < HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRUNCATED;
    else if (in_len > HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRAILING_BYTES;
    else if (hd_event_outputs(e, hd__le_rd64(in, 0), tags, &count) != HD_OK)
        code = HD_WIRE_ERR_TAG_NOT_EXISTS;
    hd__le_wr32(r, 0, code);
    hd__le_wr32(r, 4, code == (uint32_t)HD_WIRE_SUCCESS ? count : 0);
    for (uint32_t i = 0; code == (uint32_t)HD_WIRE_SUCCESS && i < count; i++)
        hd__le_wr64(r, 8 + 8 * i, tags[i]);
    hd_memcpy(out, r, sizeof(r));
    return sizeof(r);
}

/* HD_IOCTL_EVENT_EXTENSION: event `tag`'s nr, deny and max_hits, and the runs it took. */
static size_t event_extension(struct hd_engine *e, const void *in, size_t in_len, void *out)
{
    uint8_t r[HD_WIRE_EVENT_EXTENSION_SIZE] = {0};
    struct hd_event_info info;
    uint32_t code = HD_WIRE_SUCCESS;

    if (!in || in_len < HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRUNCATED;
    else if (in_len > HD_WIRE_LIST_REQUEST_SIZE)
        code = HD_WIRE_ERR_TRAILING_BYTES;
    else if (hd_event_query(e, hd__le_rd64(in, 0), &info) != HD_OK)
        code = HD_WIRE_ERR_TAG_NOT_EXISTS;
    hd__le_wr32(r, 0, code);
    if (code == (uint32_t)HD_WIRE_SUCCESS) {
        hd__le_wr32(r, 4, (info.nr_filter ? HD_WIRE_EVENT_EXT_NR : 0u) |
                              (info.deny == HD_DENY_UD ? HD_WIRE_EVENT_EXT_DENY_UD : 0u) |
                              (info.deny == HD_DENY_RAX ? HD_WIRE_EVENT_EXT_DENY_RAX : 0u) |
                              (info.spent ? HD_WIRE_EVENT_EXT_SPENT : 0u));
        hd__le_wr64(r, 8, info.nr_first);
        hd__le_wr64(r, 16, info.nr_last);
        hd__le_wr64(r, 24, info.deny_rax);
        hd__le_wr64(r, 32, info.max_hits);
        hd__le_wr64(r, 40, info.runs);
    }
    hd_memcpy(out, r, sizeof(r));
    return sizeof(r);
}

enum hd_status hd_wire_device_ioctl(struct hd_engine *engine, const struct hd_wire_caller *caller,
                                    uint32_t code, const void *in, size_t in_len, void *out,
                                    size_t out_len, size_t *written)
{
    size_t need;

    if (written)
        *written = 0;
    if (!engine)
        return HD_ERR_INVALID_ARGUMENT;
    hd_engine_run_deferred(engine); /* what scripts asked of events since the last request */
    switch (code) {
    case HD_IOCTL_SELFTEST_VMCALL:
        need = HD_WIRE_SELFTEST_RESULT_SIZE;
        break;
    case HD_IOCTL_READ_MESSAGES:
        need = HD_WIRE_MESSAGE_READ_MIN;
        break;
    case HD_IOCTL_LIST_EVENTS:
        need = HD_WIRE_LIST_HEADER_SIZE;
        break;
    case HD_IOCTL_EVENT_OUTPUTS:
        need = HD_WIRE_EVENT_OUTPUTS_SIZE;
        break;
    case HD_IOCTL_RECORDER:
        need = HD_WIRE_RECORDER_HEADER_SIZE;
        break;
    case HD_IOCTL_EVENT_COMMAND:
        need = HD_WIRE_EVENT_COMMAND_REPLY_SIZE;
        break;
    case HD_IOCTL_EVENT_EXTENSION:
        need = HD_WIRE_EVENT_EXTENSION_SIZE;
        break;
    default:
        return hd_wire_ioctl(engine, code, in, in_len, out, out_len, written);
    }
    if (!out || out_len < need) {
        if (code == HD_IOCTL_READ_MESSAGES)
            hd__wire_log_rejection(engine, "read messages", HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL);
        return HD_ERR_BUFFER_TOO_SMALL; /* checked first: nothing is done without a reply */
    }
    switch (code) {
    case HD_IOCTL_SELFTEST_VMCALL: {
        size_t n = hd__wire_selftest_run(engine, caller, in, in_len, out);
        if (written)
            *written = n;
        return HD_OK;
    }
    case HD_IOCTL_READ_MESSAGES: {
        enum hd_status st = hd_wire_read_messages(engine, out, out_len, written);
        return HD_FAILED(st) ? st : HD_OK;
    }
    case HD_IOCTL_EVENT_OUTPUTS: {
        size_t n = event_outputs(engine, in, in_len, out);
        if (written)
            *written = n;
        return HD_OK;
    }
    case HD_IOCTL_RECORDER: {
        size_t n = hd__wire_recorder(engine, in, in_len, out, out_len);
        if (written)
            *written = n;
        return HD_OK;
    }
    case HD_IOCTL_EVENT_COMMAND: {
        size_t n = hd__wire_event_command(engine, in, in_len, out, out_len);
        if (written)
            *written = n;
        return HD_OK;
    }
    case HD_IOCTL_EVENT_EXTENSION: {
        size_t n = event_extension(engine, in, in_len, out);
        if (written)
            *written = n;
        return HD_OK;
    }
    default: {
        size_t n = list_events(engine, in, in_len, out, out_len);
        if (written)
            *written = n;
        return HD_OK;
    }
    }
}
