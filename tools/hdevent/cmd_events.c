/*
 * hdevent events [e|d|c ID|all]: list the events of a loaded kernel backend, or enable,
 * disable or clear them (docs/cli.md).
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

static const char *condition_name(uint8_t kind)
{
    return kind == HD_CONDITION_RAW ? "raw" : kind == HD_CONDITION_NATIVE ? "native" : "none";
}

static int list_all(struct cli_device *dev, bool text)
{
    static uint8_t page[HD_WIRE_LIST_HEADER_SIZE + 64 * HD_WIRE_LIST_ENTRY_SIZE];
    uint64_t after = 0;
    unsigned n = 0;

    for (;;) {
        struct hd_wire_list_header h;
        long got = dev_list_page(dev, after, page, sizeof(page), &h);
        if (got < 0)
            return 1;
        for (uint32_t i = 0; i < h.count; i++, n++) {
            struct hd_wire_list_entry e;
            uint32_t bad = hd_wire_decode_list_entry(page, (size_t)got, i, &e);
            if (bad != HD_WIRE_OK)
                return dev_reply_fail("event list", bad);
            if (text) {
                printf("%" PRIu64 " (%s) core 0x%" PRIx32 " pid 0x%" PRIx32 " stage %s sc %s "
                       "condition %s actions %" PRIu32 " hits %" PRIu64 "\n",
                       HD_EVENT_ID(e.tag), e.enabled ? "enabled" : "disabled", e.core, e.pid,
                       cli_stage_name((enum hd_stage)e.stage), e.short_circuit ? "on" : "off",
                       condition_name(e.condition), e.action_count, e.hits);
                continue;
            }
            printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
                   "\",\"enabled\":%s,\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32
                   "\",\"stage\":\"%s\",\"short_circuit\":%s,\"condition\":\"%s\","
                   "\"actions\":%" PRIu32 ",\"hits\":%" PRIu64 "}\n",
                   HD_EVENT_ID(e.tag), e.tag, e.enabled ? "true" : "false", e.core, e.pid,
                   cli_stage_name((enum hd_stage)e.stage), e.short_circuit ? "true" : "false",
                   condition_name(e.condition), e.action_count, e.hits);
        }
        if (!h.more)
            break;
        after = h.last_tag;
    }
    if (text && n == 0)
        printf("no events\n");
    return 0;
}

int cmd_events(int argc, char **argv)
{
    static const char *verbs[] = {"query", "enable", "disable", "clear"};
    static const char *done[] = {"queried", "enabled", "disabled", "cleared"};
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    char text[128];
    uint32_t type;
    int64_t code;
    int rc = dev_parse_opts(argc, argv, &o);

    if (rc || o.argc > 2)
        return rc ? rc : cli_usage();
    /* The parser knows `events e|d|c ID|all` and its errors: hand it the same words. */
    snprintf(text, sizeof(text), "events%s%s%s%s", o.argc ? " " : "", o.argc ? o.argv[0] : "",
             o.argc > 1 ? " " : "", o.argc > 1 ? o.argv[1] : "");
    if (cli_command_load(text, false, o.text, &cmd) != 0)
        return 1;
    switch (cmd.kind) {
    case HD_COMMAND_EVENTS_LIST:
        type = HD_WIRE_MODIFY_QUERY;
        break;
    case HD_COMMAND_EVENTS_ENABLE:
        type = HD_WIRE_MODIFY_ENABLE;
        break;
    case HD_COMMAND_EVENTS_DISABLE:
        type = HD_WIRE_MODIFY_DISABLE;
        break;
    case HD_COMMAND_EVENTS_CLEAR:
        type = HD_WIRE_MODIFY_CLEAR;
        break;
    default:
        hd_command_free(&cmd);
        return cli_fail("usage", "events sc on|off changes the event a debugger is paused in; "
                                 "use sc on in the !vmcall command");
    }
    if (dev_open(&o, &dev)) {
        hd_command_free(&cmd);
        return 1;
    }
    if (type == HD_WIRE_MODIFY_QUERY) {
        rc = list_all(dev, o.text);
    } else {
        code = dev_send_modify(dev, cmd.tag, type, NULL);
        rc = code == HD_WIRE_SUCCESS ? 0 : 1;
        if (code >= 0 && code != HD_WIRE_SUCCESS)
            dev_wire_fail(verbs[type], (uint32_t)code);
        else if (code == HD_WIRE_SUCCESS && o.text && cmd.tag == HD_TAG_ALL)
            printf("%s every event\n", done[type]);
        else if (code == HD_WIRE_SUCCESS && o.text)
            printf("%s event %" PRIu64 "\n", done[type], cmd.id);
        else if (code == HD_WIRE_SUCCESS && cmd.tag == HD_TAG_ALL)
            printf("{\"type\":\"modified\",\"action\":\"%s\",\"id\":\"all\"}\n", verbs[type]);
        else if (code == HD_WIRE_SUCCESS)
            printf("{\"type\":\"modified\",\"action\":\"%s\",\"id\":%" PRIu64 "}\n",
                   verbs[type], cmd.id);
    }
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}
