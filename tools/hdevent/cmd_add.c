/*
 * hdevent add [--strict] '<!vmcall command>': register an event and its actions on a loaded
 * kernel backend (docs/cli.md).
 *
 * Tags: the kernel accepts a new event only with a tag above every tag it has given out
 * (HyperDbg's numbering, S19). `add` asks HD_IOCTL_LIST_EVENTS for next_tag and registers with
 * it; when another client registered in between, the kernel answers HD_WIRE_ERR_TAG_IN_USE
 * and `add` asks again (a few times). The event is registered disabled and enabled only after
 * its last action is in, so no exit ever runs it with half of its actions; if an action is
 * refused, the event is cleared again and nothing stays behind.
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

#define ADD_ATTEMPTS 8

/* Register the event disabled, with the next free tag; @return the tag, 0 on failure (printed). */
static uint64_t register_event(struct cli_device *dev, struct hd_event_desc *event)
{
    uint8_t page[HD_WIRE_LIST_HEADER_SIZE];
    struct hd_wire_list_header h;
    bool enabled = event->enabled;
    uint64_t result = 0;
    int attempt;

    event->enabled = false; /* enabled once every action is in */
    for (attempt = 0; attempt < ADD_ATTEMPTS; attempt++) {
        uint8_t *buf;
        size_t len;
        int64_t code;
        uint64_t tag;
        enum hd_status st;

        if (dev_list_page(dev, HD_TAG_ALL, page, sizeof(page), &h) < 0)
            break;
        tag = h.next_tag;
        st = hd_wire_encode_event(event, tag, &buf, &len);
        if (st != HD_OK) {
            cli_fail(hd_status_name(st), hd_status_str(st));
            break;
        }
        code = dev_send_result(dev, HD_IOCTL_REGISTER_EVENT, buf, len);
        free(buf);
        if (code == HD_WIRE_ERR_TAG_IN_USE)
            continue; /* another client took it: ask again */
        if (code == HD_WIRE_OK)
            result = tag;
        else if (code >= 0)
            dev_wire_fail("register event", (uint32_t)code);
        break;
    }
    if (attempt == ADD_ATTEMPTS)
        cli_fail("busy", "other clients kept taking the next tag; nothing was registered, "
                         "try again");
    event->enabled = enabled;
    return result;
}

static int add_actions(struct cli_device *dev, const struct hd_event_desc *event, uint64_t tag)
{
    for (uint32_t i = 0; i < event->action_count; i++) {
        uint8_t *buf;
        size_t len;
        int64_t code;
        enum hd_status st = hd_wire_encode_action(&event->actions[i], tag, &buf, &len);

        if (st != HD_OK)
            return cli_fail(hd_status_name(st), hd_status_str(st));
        code = dev_send_result(dev, HD_IOCTL_ADD_ACTION, buf, len);
        free(buf);
        if (code < 0)
            return 1;
        if (code != HD_WIRE_OK)
            return dev_wire_fail("add action", (uint32_t)code);
    }
    return 0;
}

int cmd_add(int argc, char **argv)
{
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    uint64_t tag;
    int rc = dev_parse_opts(argc, argv, &o);

    if (rc || o.argc != 1)
        return rc ? rc : cli_usage();
    if (cli_command_load(o.argv[0], o.strict, o.text, &cmd) != 0)
        return 1;
    if (cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return cli_fail("usage", "add takes a !vmcall command; use `hdevent events ...` for "
                                 "events commands");
    }
    if (dev_open(&o, &dev)) {
        hd_command_free(&cmd);
        return 1;
    }
    tag = register_event(dev, &cmd.event);
    rc = tag ? add_actions(dev, &cmd.event, tag) : 1;
    if (tag && rc == 0 && cmd.event.enabled &&
        dev_send_modify(dev, tag, HD_WIRE_MODIFY_ENABLE, NULL) != HD_WIRE_SUCCESS)
        rc = cli_fail("device", "the event was registered but could not be enabled");
    if (tag && rc != 0)
        dev_send_modify(dev, tag, HD_WIRE_MODIFY_CLEAR, NULL); /* leave nothing half-made behind */
    else if (tag && o.text)
        printf("event %" PRIu64 " added (tag 0x%" PRIx64 ", %" PRIu32 " action%s)\n",
               HD_EVENT_ID(tag), tag, cmd.event.action_count,
               cmd.event.action_count == 1 ? "" : "s");
    else if (tag)
        printf("{\"type\":\"added\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
               "\",\"actions\":%" PRIu32 ",\"enabled\":%s}\n",
               HD_EVENT_ID(tag), tag, cmd.event.action_count,
               cmd.event.enabled ? "true" : "false");
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}
