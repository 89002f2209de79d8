/* SPDX-License-Identifier: MIT */
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
            struct hd_event_info x = {0}; /* hdevent's own options, when the device says */
            if (dev_event_extension(dev, e.tag, &x) < 0)
                return 1;
            if (text) {
                printf("%" PRIu64 " (%s) core 0x%" PRIx32 " pid 0x%" PRIx32 " stage %s sc %s "
                       "condition %s actions %" PRIu32 " hits %" PRIu64,
                       HD_EVENT_ID(e.tag), e.enabled ? "enabled" : "disabled", e.core, e.pid,
                       cli_stage_name((enum hd_stage)e.stage), e.short_circuit ? "on" : "off",
                       condition_name(e.condition), e.action_count, e.hits);
                cli_print_extension(true, x.nr_filter, x.nr_first, x.nr_last, x.deny,
                                    x.deny_rax, x.max_hits);
                if (x.max_hits)
                    printf(", runs %" PRIu64 "%s", x.runs, x.spent ? ", spent" : "");
                printf("\n");
                continue;
            }
            printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
                   "\",\"enabled\":%s,\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32
                   "\",\"stage\":\"%s\",\"short_circuit\":%s,\"condition\":\"%s\","
                   "\"actions\":%" PRIu32 ",\"hits\":%" PRIu64,
                   HD_EVENT_ID(e.tag), e.tag, e.enabled ? "true" : "false", e.core, e.pid,
                   cli_stage_name((enum hd_stage)e.stage), e.short_circuit ? "true" : "false",
                   condition_name(e.condition), e.action_count, e.hits);
            cli_print_extension(false, x.nr_filter, x.nr_first, x.nr_last, x.deny, x.deny_rax,
                                x.max_hits);
            if (x.max_hits)
                printf(",\"runs\":%" PRIu64 ",\"spent\":%s", x.runs, x.spent ? "true" : "false");
            printf("}\n");
        }
        if (!h.more)
            break;
        after = h.last_tag;
    }
    if (text && n == 0)
        printf("no events\n");
    return 0;
}

static int events_main(int argc, char **argv);

const struct cli_spec cli_events = {
    .name = "events",
    .summary = "list, enable, disable or clear the events of a loaded kernel backend",
    .synopsis = "[-t] [-d PATH] [e|d|c ID|all]",
    .description =
        "Without words, list the events the kernel holds (it keeps no command text: the\n"
        "list shows their fields and hits). `e`, `d` and `c` enable, disable and clear one\n"
        "event, by ID, or all of them: HyperDbg's `events` command, sent through the modify\n"
        "IOCTL. IDs are hex unless prefixed 0n.",
    .options = DEV_COMMON_HELP,
    .examples = "  hdevent events --text\n"
                "  hdevent events d 0\n"
                "  hdevent events c all\n",
    .shortopts = DEV_COMMON_SHORT,
    .longopts = (const struct option[]){DEV_COMMON_LONG, {0}},
    .main = events_main,
};

/* The words as HyperDbg's `events` command: the parser knows its forms and errors, which
 * are usage errors here. @return 0 with *cmd filled (free it), or 2 (printed). */
static int words_to_command(char **words, int n, struct hd_command *cmd)
{
    struct hd_command_error err;
    char text[160];
    enum hd_status st;

    if (n > 2)
        return cli_usage_error("takes at most two words, e|d|c and ID|all: '%s' is one too "
                               "many", words[2]);
    /* Whole words or none: a cut ID would name another event (0...01 cut to 0...0). */
    if (snprintf(text, sizeof(text), "events%s%s%s%s", n ? " " : "", n ? words[0] : "",
                 n > 1 ? " " : "", n > 1 ? words[1] : "") >= (int)sizeof(text))
        return cli_usage_error("'%.40s...': too long for an events command (at most %u "
                               "characters)", n > 1 && strlen(words[1]) > strlen(words[0])
                               ? words[1] : words[0],
                               (unsigned)(sizeof(text) - sizeof("events  ")));
    st = hd_command_parse(text, cmd, &err);
    if (st != HD_OK && err.token[0])
        return cli_usage_error("'%s': %s", err.token, err.message);
    if (st != HD_OK)
        return cli_usage_error("%s", err.message);
    if (cmd->kind == HD_COMMAND_EVENTS_SC) {
        hd_command_free(cmd);
        return cli_usage_error("events sc on|off changes the event a debugger is paused in; "
                               "use sc on in the !vmcall command");
    }
    return 0;
}

static void print_modified(const struct hd_command *cmd, uint32_t type, bool text)
{
    static const char *verbs[] = {"query", "enable", "disable", "clear"};
    static const char *done[] = {"queried", "enabled", "disabled", "cleared"};

    if (text && cmd->tag == HD_TAG_ALL)
        printf("%s every event\n", done[type]);
    else if (text)
        printf("%s event %" PRIu64 "\n", done[type], cmd->id);
    else if (cmd->tag == HD_TAG_ALL)
        printf("{\"type\":\"modified\",\"change\":\"%s\",\"all\":true}\n", verbs[type]);
    else
        printf("{\"type\":\"modified\",\"change\":\"%s\",\"id\":%" PRIu64 "}\n", verbs[type],
               cmd->id);
}

static int events_main(int argc, char **argv)
{
    static const char *verbs[] = {"query", "enable", "disable", "clear"};
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    struct cli_getopt g;
    uint32_t type;
    int64_t code;
    int c, rc;

    dev_opts_init(&o);
    cli_getopt_init(&g, &cli_events, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1)
        if (!dev_common_option(c, &o))
            return g.status;
    rc = words_to_command(argv + optind, argc - optind, &cmd);
    if (rc)
        return rc;
    type = cmd.kind == HD_COMMAND_EVENTS_ENABLE    ? HD_WIRE_MODIFY_ENABLE
           : cmd.kind == HD_COMMAND_EVENTS_DISABLE ? HD_WIRE_MODIFY_DISABLE
           : cmd.kind == HD_COMMAND_EVENTS_CLEAR   ? HD_WIRE_MODIFY_CLEAR
                                                   : HD_WIRE_MODIFY_QUERY;
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
        else if (code == HD_WIRE_SUCCESS)
            print_modified(&cmd, type, o.text);
    }
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}
