/* SPDX-License-Identifier: MIT */
/*
 * hdevent add [-s] '<!vmcall command>' | - | -f FILE: register an event and its actions on a loaded
 * kernel backend (docs/cli.md).
 *
 * Tags: the kernel accepts a new event only with a tag above every tag it has given out
 * (HyperDbg's numbering, S19). `add` asks HD_IOCTL_LIST_EVENTS for next_tag and registers with
 * it; when another client registered in between, the kernel answers HD_WIRE_ERR_TAG_IN_USE
 * and `add` asks again (a few times). The event is registered disabled and enabled only after
 * its last action is in, so no exit ever runs it with half of its actions; its command text
 * goes in before it is enabled too (HD_IOCTL_EVENT_COMMAND: HyperDbg's wire has no place for
 * it). If an action or the text is refused, the event is cleared again and nothing stays.
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

/* The device keeps the command text (HD_IOCTL_EVENT_COMMAND) for `events` and `record`, up
 * to HD_COMMAND_MAX_BYTES as the engine does; a longer one (a long script) is not sent, and a
 * module from before command text keeps none: the event works the same, its `added` record
 * says "command_kept":false. */
static bool keeps_text(const struct hd_event_desc *event)
{
    return event->command && strlen(event->command) <= HD_COMMAND_MAX_BYTES;
}

static int add_main(int argc, char **argv);

const struct cli_spec cli_add = {
    .name = "add",
    .summary = "register a !vmcall event on a loaded kernel backend",
    .synopsis = "[-t] [-s] [-d PATH] '<!vmcall command>' | - | -f FILE",
    .description =
        "Parse and validate a !vmcall command as `encode` does, then register the event and\n"
        "its actions with the next free tag, and give the kernel the command text (`events`\n"
        "and `record` show it). The event is registered disabled and enabled once all of\n"
        "this is in; if a part is refused, it is cleared again.",
    .options = "  -s, --strict           a validation warning is an error\n"
               "  -f, --file FILE        read the command from FILE\n" DEV_COMMON_HELP,
    .examples = "  hdevent add '!vmcall pid 490 core 1 sc on'\n"
                "  hdevent add -f hook.txt\n",
    .shortopts = "sf:" DEV_COMMON_SHORT,
    .longopts = (const struct option[]){{"strict", no_argument, NULL, 's'},
                                        {"file", required_argument, NULL, 'f'},
                                        DEV_COMMON_LONG,
                                        {0}},
    .main = add_main,
};

static void print_added(uint64_t tag, const struct hd_event_desc *event, bool kept, bool text)
{
    const char *why = keeps_text(event) ? "the kernel predates command text"
                                        : "it is longer than 4096 bytes";
    if (text)
        printf("event %" PRIu64 " added (tag 0x%" PRIx64 ", %" PRIu32 " action%s)%s%s\n",
               HD_EVENT_ID(tag), tag, event->action_count, event->action_count == 1 ? "" : "s",
               kept ? "" : "; its command text is not kept: ", kept ? "" : why);
    else
        printf("{\"type\":\"added\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
               "\",\"actions\":%" PRIu32 ",\"enabled\":%s%s}\n",
               HD_EVENT_ID(tag), tag, event->action_count, event->enabled ? "true" : "false",
               kept ? "" : ",\"command_kept\":false");
}

static int add_main(int argc, char **argv)
{
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    struct cli_getopt g;
    const char *file = NULL;
    bool strict = false;
    char *input;
    size_t len;
    uint64_t tag;
    bool kept;
    int c, rc;

    dev_opts_init(&o);
    cli_getopt_init(&g, &cli_add, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 's')
            strict = true;
        else if (c == 'f')
            file = optarg;
        else if (!dev_common_option(c, &o))
            return g.status;
    }
    if (argc - optind > 1)
        return cli_usage_error("takes one command (quote it): '%s' is one too many",
                               argv[optind + 1]);
    rc = cli_input_text(optind < argc ? argv[optind] : NULL, file, HD_COMMAND_TEXT_MAX,
                        "a !vmcall command", &input, &len);
    if (rc)
        return rc;
    rc = cli_command_load(input, strict, o.text, &cmd);
    free(input);
    if (rc)
        return 1;
    if (cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return cli_usage_error("takes a !vmcall command; `hdevent events ...` takes the "
                               "events commands");
    }
    if (dev_open(&o, &dev)) {
        hd_command_free(&cmd);
        return 1;
    }
    tag = register_event(dev, &cmd.event);
    rc = tag ? add_actions(dev, &cmd.event, tag) : 1;
    kept = tag && rc == 0 && keeps_text(&cmd.event);
    if (kept) {
        rc = dev_event_command_set(dev, tag, cmd.event.command, strlen(cmd.event.command));
        kept = rc == 0;
        rc = rc == 2 ? 0 : rc; /* an older module keeps no text: the event works the same */
    }
    if (tag && rc == 0 && cmd.event.enabled &&
        dev_send_modify(dev, tag, HD_WIRE_MODIFY_ENABLE, NULL) != HD_WIRE_SUCCESS)
        rc = cli_fail("device", "the event was registered but could not be enabled");
    if (tag && rc != 0)
        dev_send_modify(dev, tag, HD_WIRE_MODIFY_CLEAR, NULL); /* leave nothing half-made behind */
    else if (tag)
        print_added(tag, &cmd.event, kept, o.text);
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}
