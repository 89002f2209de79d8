/* SPDX-License-Identifier: MIT */
/*
 * What the device subcommands share (device_cli.h): options, opening the device, the requests
 * they send and the error records they print.
 */
#include "cli.h"
#include "device_cli.h"

#include <hdevent/command.h>
#include <hdevent/dispatch.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static bool text_out; /* --text of the running subcommand */

void dev_opts_init(struct dev_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->device = device_default_path();
}

bool dev_common_option(int c, struct dev_opts *o)
{
    if (c == 'd')
        o->device = optarg;
    else if (c == 't')
        cli_set_text(text_out = o->text = true);
    else
        return false;
    return true;
}

int dev_open(const struct dev_opts *o, struct cli_device **dev)
{
    char err[512];
    if (device_open(o->device, dev, err, sizeof(err)) != 0)
        return cli_fail("device", err);
    return 0;
}

/* A wire rejection: {"type":"error","error":NAME,"code":"0xc...","request":...,"message":...}. */
int dev_wire_fail(const char *request, uint32_t code)
{
    char what[256];
    snprintf(what, sizeof(what), "%s: %s (0x%08" PRIX32 ")", request, hd_wire_error_str(code),
             code);
    if (text_out) {
        fprintf(cli_diag("error"), "%s\n", what);
        return 1;
    }
    printf("{\"type\":\"error\",\"error\":\"%s\",\"code\":\"0x%" PRIx32 "\",\"request\":",
           hd_wire_error_name(code), code);
    cli_json_string(stdout, request);
    printf(",\"message\":");
    cli_json_string(stdout, what);
    printf("}\n");
    return 1;
}

/* A reply the decoders refused: the device is not speaking our format. */
int dev_reply_fail(const char *request, uint32_t code)
{
    char what[256];
    snprintf(what, sizeof(what), "the kernel's %s reply was refused: %s", request,
             hd_wire_error_str(code));
    return cli_fail("device", what);
}

/* One IOCTL whose result is DEBUGGER_EVENT_AND_ACTION_RESULT: @return its code, or -1 (printed). */
int64_t dev_send_result(struct cli_device *dev, uint32_t code, const void *in, size_t len)
{
    uint8_t out[HD_WIRE_RESULT_SIZE];
    struct hd_wire_result r;
    size_t got = 0;
    uint32_t bad;
    char err[512];

    if (device_ioctl(dev, code, in, len, out, sizeof(out), &got, err, sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if ((bad = hd_wire_decode_result(out, got, &r)) != HD_WIRE_OK)
        return dev_reply_fail("result", bad), -1;
    return r.error;
}

/* Modify request: @return its KernelStatus, or -1 (OS error, printed). */
int64_t dev_send_modify(struct cli_device *dev, uint64_t tag, uint32_t type, bool *enabled)
{
    uint8_t m[HD_WIRE_MODIFY_SIZE];
    struct hd_wire_modify r;
    size_t got = 0;
    uint32_t bad;
    char err[512];

    hd_wire_encode_modify(tag, type, m);
    if (device_ioctl(dev, HD_IOCTL_MODIFY_EVENTS, m, sizeof(m), m, sizeof(m), &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if ((bad = hd_wire_decode_modify_reply(m, got, &r)) != HD_WIRE_OK)
        return dev_reply_fail("modify", bad), -1;
    if (enabled)
        *enabled = r.is_enabled != 0;
    return (int64_t)(uint32_t)r.kernel_status;
}

/* LIST_EVENTS after @after into @out, its header in @h; @return bytes, or -1 (printed). */
long dev_list_page(struct cli_device *dev, uint64_t after, uint8_t *out, size_t out_len,
                      struct hd_wire_list_header *h)
{
    struct hd_wire_list_request rq = {.after_tag = after};
    size_t got = 0;
    uint32_t bad;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_LIST_EVENTS, &rq, sizeof(rq), out, out_len, &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if ((bad = hd_wire_decode_list(out, got, h)) != HD_WIRE_OK)
        return dev_reply_fail("event list", bad), -1;
    if (h->kernel_status != HD_WIRE_SUCCESS)
        return dev_wire_fail("list events", h->kernel_status), -1;
    return (long)got;
}

int dev_event_outputs(struct cli_device *dev, uint64_t tag, uint64_t *tags, uint32_t *count)
{
    struct hd_wire_list_request rq = {.after_tag = tag};
    uint8_t out[HD_WIRE_EVENT_OUTPUTS_SIZE];
    struct hd_wire_event_outputs r;
    size_t got = 0;
    uint32_t bad;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_EVENT_OUTPUTS, &rq, sizeof(rq), out, sizeof(out), &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    bad = hd_wire_decode_event_outputs(out, got, &r);
    if (bad != HD_WIRE_OK)
        return dev_reply_fail("event outputs", bad), -1;
    if (r.kernel_status != (uint32_t)HD_WIRE_SUCCESS)
        return 0; /* cleared since: its messages have no outputs any more */
    memcpy(tags, r.tags, sizeof(uint64_t) * r.count);
    *count = r.count;
    return 1;
}

/*
 * EVENT_COMMAND: one request (header + @text for a set) and its decoded reply. @return 1 done
 * (a get's text in @out_text); 0 the event is gone (get); 2 the device predates command text
 * (a module or driver without HD_IOCTL_EVENT_COMMAND: nothing kept, a get gives ""); -1 an
 * error (printed).
 */
static int event_command(struct cli_device *dev, uint64_t tag, uint32_t op, const char *text,
                         size_t len, char *out_text, size_t out_size)
{
    uint8_t *in = malloc(HD_WIRE_EVENT_COMMAND_SIZE + len);
    uint8_t *out = malloc(HD_WIRE_EVENT_COMMAND_REPLY_SIZE + HD_COMMAND_MAX_BYTES + 1);
    struct hd_wire_event_command_reply r;
    const char *got_text = NULL;
    size_t got = 0;
    uint32_t bad;
    char err[512];
    int rc = -1, io;

    if (out_text && out_size)
        out_text[0] = '\0';
    if (!in || !out) {
        cli_fail("memory", "out of memory");
        goto done;
    }
    for (int i = 0; i < 8; i++)
        in[i] = (uint8_t)(tag >> 8 * i);
    for (int i = 0; i < 4; i++) {
        in[8 + i] = (uint8_t)(op >> 8 * i);
        in[12 + i] = (uint8_t)(len >> 8 * i);
    }
    if (len)
        memcpy(in + HD_WIRE_EVENT_COMMAND_SIZE, text, len);
    io = device_ioctl(dev, HD_IOCTL_EVENT_COMMAND, in, HD_WIRE_EVENT_COMMAND_SIZE + len, out,
                      HD_WIRE_EVENT_COMMAND_REPLY_SIZE + HD_COMMAND_MAX_BYTES + 1, &got, err,
                      sizeof(err));
    if (io == DEVICE_UNKNOWN_REQUEST) {
        rc = 2;
        goto done;
    }
    if (io != 0) {
        cli_fail("device", err);
        goto done;
    }
    bad = hd_wire_decode_event_command_reply(out, got, &r,
                                             op == HD_WIRE_COMMAND_GET ? &got_text : NULL);
    if (bad != HD_WIRE_OK) {
        dev_reply_fail("event command", bad);
        goto done;
    }
    if (r.kernel_status == HD_WIRE_ERR_TAG_NOT_EXISTS && op == HD_WIRE_COMMAND_GET) {
        rc = 0;
    } else if (r.kernel_status != HD_WIRE_SUCCESS) {
        dev_wire_fail(op == HD_WIRE_COMMAND_GET ? "get event command" : "set event command",
                      r.kernel_status);
    } else {
        if (out_text)
            snprintf(out_text, out_size, "%s", got_text ? got_text : "");
        rc = 1;
    }
done:
    free(in);
    free(out);
    return rc;
}

int dev_event_command_set(struct cli_device *dev, uint64_t tag, const char *text, size_t len)
{
    int rc = event_command(dev, tag, HD_WIRE_COMMAND_SET, text, len, NULL, 0);
    return rc == 1 ? 0 : rc == 2 ? 2 : 1;
}

int dev_event_command_get(struct cli_device *dev, uint64_t tag, char *text, size_t size)
{
    int rc = event_command(dev, tag, HD_WIRE_COMMAND_GET, NULL, 0, text, size);
    return rc == 2 ? 1 : rc; /* an older device: no text, "" */
}

int dev_event_extension(struct cli_device *dev, uint64_t tag, struct hd_event_info *info)
{
    struct hd_wire_list_request rq = {.after_tag = tag};
    uint8_t out[HD_WIRE_EVENT_EXTENSION_SIZE];
    struct hd_wire_event_extension r;
    size_t got = 0;
    uint32_t bad;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_EVENT_EXTENSION, &rq, sizeof(rq), out, sizeof(out), &got, err,
                     sizeof(err)) != 0)
        return 0; /* an older module, or no right to ask: the list goes on without it */
    bad = hd_wire_decode_event_extension(out, got, &r);
    if (bad != HD_WIRE_OK)
        return dev_reply_fail("event extension", bad), -1;
    if (r.kernel_status != (uint32_t)HD_WIRE_SUCCESS)
        return 0; /* cleared since */
    info->nr_filter = (r.flags & HD_WIRE_EVENT_EXT_NR) != 0;
    info->nr_first = r.nr_first;
    info->nr_last = r.nr_last;
    info->deny = r.flags & HD_WIRE_EVENT_EXT_DENY_UD    ? HD_DENY_UD
                 : r.flags & HD_WIRE_EVENT_EXT_DENY_RAX ? HD_DENY_RAX
                                                        : HD_DENY_NONE;
    info->deny_rax = r.deny_rax;
    info->max_hits = r.max_hits;
    info->runs = r.runs;
    info->spent = (r.flags & HD_WIRE_EVENT_EXT_SPENT) != 0;
    return 1;
}
