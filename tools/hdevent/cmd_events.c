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

/* What the kernel keeps of an event besides the list entry. */
struct entry_extra {
    const char *command; /* "" when it keeps none */
    uint64_t tags[HD_EVENT_MAX_OUTPUTS];
    uint32_t tag_count;  /* its output source tags (`output {…}`) */
    struct hd_event_info ext; /* nr, deny, max_hits: zero when the device cannot say */
};

/* hdevent's own options and, under max_hits, the runs taken. */
static void print_extension(const struct hd_event_info *x, bool text)
{
    cli_print_extension(text, x->nr_filter, x->nr_first, x->nr_last, x->deny, x->deny_rax,
                        x->max_hits);
    if (x->max_hits && text)
        printf(", runs %" PRIu64 "%s", x->runs, x->spent ? ", spent" : "");
    else if (x->max_hits)
        printf(",\"runs\":%" PRIu64 ",\"spent\":%s", x->runs, x->spent ? "true" : "false");
}

/* One listed event; the command text made safe for a terminal, or a JSON string. */
static void print_entry(const struct hd_wire_list_entry *e, const struct entry_extra *x,
                        bool text)
{
    const char *command = x->command;

    if (text) {
        printf("%" PRIu64 " (%s) core 0x%" PRIx32 " pid 0x%" PRIx32 " stage %s sc %s "
               "condition %s actions %" PRIu32 " hits %" PRIu64,
               HD_EVENT_ID(e->tag), e->enabled ? "enabled" : "disabled", e->core, e->pid,
               cli_stage_name((enum hd_stage)e->stage), e->short_circuit ? "on" : "off",
               condition_name(e->condition), e->action_count, e->hits);
        for (uint32_t i = 0; i < x->tag_count; i++)
            printf("%s0x%" PRIx64, i ? "," : " output tags ", x->tags[i]);
        print_extension(&x->ext, true);
        if (command[0]) {
            printf(": ");
            cli_text_safe(stdout, command, strlen(command), false);
        }
        printf("\n");
        return;
    }
    printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
           "\",\"enabled\":%s,\"command\":",
           HD_EVENT_ID(e->tag), e->tag, e->enabled ? "true" : "false");
    cli_json_string(stdout, command);
    if (x->tag_count) {
        printf(",\"output_tags\":[");
        for (uint32_t i = 0; i < x->tag_count; i++)
            printf("%s\"0x%" PRIx64 "\"", i ? "," : "", x->tags[i]);
        printf("]");
    }
    printf(",\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32
           "\",\"stage\":\"%s\",\"short_circuit\":%s,\"condition\":\"%s\","
           "\"actions\":%" PRIu32 ",\"hits\":%" PRIu64,
           e->core, e->pid, cli_stage_name((enum hd_stage)e->stage),
           e->short_circuit ? "true" : "false", condition_name(e->condition), e->action_count,
           e->hits);
    print_extension(&x->ext, false);
    printf("}\n");
}

static int list_all(struct cli_device *dev, bool text)
{
    static uint8_t page[HD_WIRE_LIST_HEADER_SIZE + 64 * HD_WIRE_LIST_ENTRY_SIZE];
    static char command[HD_COMMAND_MAX_BYTES + 1];
    uint64_t after = 0;
    unsigned n = 0;

    for (;;) {
        struct hd_wire_list_header h;
        long got = dev_list_page(dev, after, page, sizeof(page), &h);
        if (got < 0)
            return 1;
        for (uint32_t i = 0; i < h.count; i++) {
            struct hd_wire_list_entry e;
            uint32_t bad = hd_wire_decode_list_entry(page, (size_t)got, i, &e);
            int have;
            if (bad != HD_WIRE_OK)
                return dev_reply_fail("event list", bad);
            struct entry_extra x = {.command = command};
            have = dev_event_command_get(dev, e.tag, command, sizeof(command));
            if (have > 0)
                have = dev_event_outputs(dev, e.tag, x.tags, &x.tag_count);
            if (have > 0 && dev_event_extension(dev, e.tag, &x.ext) < 0)
                have = -1; /* 0 (an older module, or cleared since): the entry without them */
            if (have < 0)
                return 1;
            if (have == 0)
                continue; /* cleared since the list was taken */
            print_entry(&e, &x, text);
            n++;
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
        "Without words, list the events the kernel holds: their fields, hits and command\n"
        "text (which `hdevent add` gives the kernel). `e`, `d` and `c` enable, disable and\n"
        "clear one event, by ID, or all of them: HyperDbg's `events` command, sent through\n"
        "the modify IOCTL. IDs are hex unless prefixed 0n.",
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
