/* SPDX-License-Identifier: MIT */
/*
 * hd_wire_ioctl: the one place a kernel backend's IOCTL handler hands its buffers to.
 *
 * Order of work for every request: check that the output can hold the result (else do
 * nothing), read and validate all of the input, apply it with one engine writer call (which
 * changes nothing when it fails), and only then write the output. That order is what makes
 * METHOD_BUFFERED safe, where input and output are the same SystemBuffer, and what makes a
 * rejected request leave the engine exactly as it was.
 */
#include "internal/engine.h"
#include "internal/wire.h"

/* ---- requests ---------------------------------------------------------------------------- */

/* DEBUGGER_EVENT_AND_ACTION_RESULT: IsSuccessful, then Error (0 on success, as HyperDbg). */
static size_t write_result(void *out, uint32_t code)
{
    uint8_t r[HD_WIRE_RESULT_SIZE] = {0};
    r[0] = code == HD_WIRE_OK;
    hd__le_wr32(r, 4, code);
    hd_memcpy(out, r, sizeof(r));
    return sizeof(r);
}

static size_t register_event(struct hd_engine *e, const void *in, size_t in_len, void *out)
{
    struct hd_event_desc desc;
    uint32_t code = hd_wire_decode_event(in, in_len, hd_engine_core_count(e), &desc);

    if (code == HD_WIRE_OK)
        code = hd_wire_error_from_status(hd_event_register(e, &desc, NULL));
    else
        hd__wire_log_rejection(e, "register event", code);
    return write_result(out, code); /* desc pointed into `in`: it is no longer used */
}

static size_t add_action(struct hd_engine *e, const void *in, size_t in_len, void *out)
{
    struct hd_action_desc action;
    uint64_t tag = 0;
    uint32_t code = hd_wire_decode_action(in, in_len, &tag, &action);

    if (code == HD_WIRE_OK)
        code = hd_wire_error_from_status(hd_action_add(e, tag, &action));
    else
        hd__wire_log_rejection(e, "add action", code);
    return write_result(out, code);
}

static uint32_t apply_modify(struct hd_engine *e, uint64_t tag, uint32_t type, uint8_t *enabled)
{
    struct hd_event_info info;
    enum hd_status st;

    switch (type) {
    case HD_WIRE_MODIFY_QUERY:
        st = hd_event_query(e, tag, &info);
        if (HD_SUCCESS(st))
            *enabled = info.enabled;
        break;
    case HD_WIRE_MODIFY_ENABLE:
        st = hd_event_enable(e, tag);
        break;
    case HD_WIRE_MODIFY_DISABLE:
        st = hd_event_disable(e, tag);
        break;
    default:
        st = hd_event_clear(e, tag);
        break;
    }
    if (st == HD_ERR_NO_SUCH_EVENT)
        return HD_WIRE_ERR_MODIFY_INVALID_TAG; /* HyperDbg's modify code, not 0xC0000000 */
    return HD_FAILED(st) ? hd_wire_error_from_status(st) : HD_WIRE_SUCCESS;
}

/* DEBUGGER_MODIFY_EVENTS is in/out: the input comes back with KernelStatus (and IsEnabled). */
static size_t modify_events(struct hd_engine *e, const void *in, size_t in_len, void *out)
{
    uint8_t m[HD_WIRE_MODIFY_SIZE] = {0};
    uint64_t tag = 0;
    uint32_t type = 0;
    uint32_t code = hd_wire_decode_modify(in, in_len, &tag, &type);

    if (in)
        hd_memcpy(m, in, in_len < sizeof(m) ? in_len : sizeof(m));
    if (code == HD_WIRE_OK)
        code = apply_modify(e, tag, type, &m[20]);
    else
        hd__wire_log_rejection(e, "modify events", code);
    hd__le_wr64(m, 8, code);
    hd_memcpy(out, m, sizeof(m));
    return sizeof(m);
}

/*
 * Flush: HyperDbg marks every unread message as read. The same here: the messages queued when
 * the request starts are taken off and dropped. The count is bounded by what was queued at
 * the start, so cores that keep producing cannot keep the flush going.
 */
static size_t flush_buffers(struct hd_engine *e, void *out)
{
    uint8_t f[HD_WIRE_FLUSH_SIZE] = {0};
    struct hd_message_stats stats;
    struct hd_message_info info;
    uint64_t queued = 0;
    uint32_t flushed = 0;

    for (uint32_t c = 0; c < hd_engine_core_count(e); c++)
        if (HD_SUCCESS(hd_message_stats(e, c, &stats)))
            queued += stats.queued;
    while (flushed < queued && hd_message_read(e, &info, NULL, 0) == HD_OK)
        flushed++;
    hd__le_wr32(f, 0, HD_WIRE_SUCCESS);
    hd__le_wr32(f, 4, flushed); /* every hdevent message comes from VMX root */
    hd__le_wr32(f, 8, 0);
    hd_memcpy(out, f, sizeof(f));
    return sizeof(f);
}

enum hd_status hd_wire_ioctl(struct hd_engine *engine, uint32_t code, const void *in,
                             size_t in_len, void *out, size_t out_len, size_t *written)
{
    size_t need, n;

    if (written)
        *written = 0;
    if (!engine)
        return HD_ERR_INVALID_ARGUMENT;
    switch (code) {
    case HD_IOCTL_REGISTER_EVENT:
    case HD_IOCTL_ADD_ACTION:
        need = HD_WIRE_RESULT_SIZE;
        break;
    case HD_IOCTL_MODIFY_EVENTS:
        need = HD_WIRE_MODIFY_SIZE;
        break;
    case HD_IOCTL_FLUSH_BUFFERS:
        need = HD_WIRE_FLUSH_SIZE;
        break;
    default:
        return HD_ERR_UNKNOWN_IOCTL;
    }
    if (!out || out_len < need)
        return HD_ERR_BUFFER_TOO_SMALL; /* checked first: nothing is done without a reply */

    switch (code) {
    case HD_IOCTL_REGISTER_EVENT:
        n = register_event(engine, in, in_len, out);
        break;
    case HD_IOCTL_ADD_ACTION:
        n = add_action(engine, in, in_len, out);
        break;
    case HD_IOCTL_MODIFY_EVENTS:
        n = modify_events(engine, in, in_len, out);
        break;
    default:
        n = flush_buffers(engine, out);
        break;
    }
    if (written)
        *written = n;
    return HD_OK;
}
