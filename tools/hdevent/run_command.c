/* SPDX-License-Identifier: MIT */
/*
 * `hdevent run`: a scenario's command lines (run.h). Each travels the route a kernel's
 * would: parsed and validated (cli_command_load), encoded to HyperDbg's IOCTL buffers, handed
 * to hd_wire_ioctl(), which decodes, validates and registers them as a kernel backend does.
 * The tool keeps each event's command text, as HyperDbg's user mode does: the wire carries
 * none, and `events` lists it.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "cli.h"
#include "run.h"

#include <hdevent/command.h>
#include <hdevent/engine.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Send one IOCTL; on a rejection print the wire code and return false. */
static bool send(struct run_sim *s, uint32_t code, const void *in, size_t len, uint8_t *out,
                 size_t out_len, const char *what)
{
    size_t written = 0;
    enum hd_status st = hd_wire_ioctl(s->engine, code, in, len, out, out_len, &written);
    uint32_t wire;
    char msg[512];

    if (st != HD_OK) {
        snprintf(msg, sizeof(msg), "%s: %s", what, hd_status_str(st));
        cli_fail(hd_status_name(st), msg);
        return false;
    }
    wire = code == HD_IOCTL_MODIFY_EVENTS ? (uint32_t)((uint64_t)out[8] | (uint64_t)out[9] << 8 |
                                                       (uint64_t)out[10] << 16 |
                                                       (uint64_t)out[11] << 24)
                                          : (uint32_t)(out[4] | out[5] << 8 | out[6] << 16 |
                                                       (uint32_t)out[7] << 24);
    if (wire == HD_WIRE_OK || wire == HD_WIRE_SUCCESS)
        return true;
    snprintf(msg, sizeof(msg), "%s rejected by the kernel entry point: 0x%08" PRIX32 " %s", what,
             wire, hd_wire_error_str(wire));
    if (s->text) {
        fprintf(cli_diag("error"), "%s\n", msg);
        return false;
    }
    printf("{\"type\":\"error\",");
    cli_json_where();
    printf("\"error\":\"%s\",\"code\":\"0x%" PRIx32 "\",\"message\":", hd_wire_error_name(wire),
           wire);
    cli_json_string(stdout, msg);
    printf("}\n");
    return false;
}

static void print_event(struct run_sim *s, uint64_t tag, const char *text)
{
    struct hd_event_info info;

    if (hd_event_query(s->engine, tag, &info) != HD_OK)
        return;
    if (s->text) {
        printf("event %" PRIu64 " registered (tag 0x%" PRIx64 ", %s): ", HD_EVENT_ID(tag), tag,
               info.enabled ? "enabled" : "disabled");
        cli_text_safe(stdout, text, strlen(text), false); /* the scenario's bytes */
        printf("\n");
        return;
    }
    printf("{\"type\":\"event\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\",\"pid\":\"0x%" PRIx32
           "\",\"core\":\"0x%" PRIx32 "\",\"stage\":\"%s\",\"short_circuit\":%s,\"enabled\":%s,"
           "\"actions\":%" PRIu32 ",\"command\":",
           HD_EVENT_ID(tag), tag, info.pid, info.core, cli_stage_name(info.stage),
           info.short_circuit ? "true" : "false", info.enabled ? "true" : "false",
           info.action_count);
    cli_json_string(stdout, text);
    cli_print_extension(false, info.nr_filter, info.nr_first, info.nr_last, info.deny,
                        info.deny_rax, info.max_hits);
    printf("}\n");
}

static bool remember(struct run_sim *s, uint64_t tag, const char *text)
{
    uint64_t id = HD_EVENT_ID(tag);
    if (id >= s->command_count) {
        uint64_t n = id + 16;
        char **grown = realloc(s->commands, n * sizeof(*grown));
        if (!grown)
            return false;
        memset(grown + s->command_count, 0, (n - s->command_count) * sizeof(*grown));
        s->commands = grown;
        s->command_count = n;
    }
    s->commands[id] = strdup(text);
    return s->commands[id] != NULL;
}

/* Register one !vmcall: event buffer, then one add-action buffer per action. */
static bool add_vmcall(struct run_sim *s, const struct hd_command *cmd, const char *text)
{
    uint64_t tag = s->next_tag;
    uint8_t result[HD_WIRE_RESULT_SIZE], modify[HD_WIRE_MODIFY_SIZE];
    uint8_t *buf = NULL;
    size_t len = 0;
    bool ok;

    if (hd_wire_encode_event(&cmd->event, tag, &buf, &len) != HD_OK)
        return cli_fail("HD_ERR_NO_MEMORY", "out of memory encoding the event"), false;
    ok = send(s, HD_IOCTL_REGISTER_EVENT, buf, len, result, sizeof(result), "register event");
    free(buf);
    if (!ok)
        return false;
    s->next_tag++; /* the kernel used the tag: never offer it again */
    for (uint32_t i = 0; ok && i < cmd->event.action_count; i++) {
        if (hd_wire_encode_action(&cmd->event.actions[i], tag, &buf, &len) != HD_OK) {
            cli_fail("HD_ERR_NO_MEMORY", "out of memory encoding an action");
            ok = false;
            break;
        }
        ok = send(s, HD_IOCTL_ADD_ACTION, buf, len, result, sizeof(result), "add action");
        free(buf);
    }
    if (!ok || !remember(s, tag, text)) {
        /* HyperDbg's user mode would leave a half-built event behind; a bad command must
         * register nothing, so take it away again. */
        hd_wire_encode_modify(tag, HD_WIRE_MODIFY_CLEAR, modify);
        hd_wire_ioctl(s->engine, HD_IOCTL_MODIFY_EVENTS, modify, sizeof(modify), modify,
                      sizeof(modify), NULL);
        return false;
    }
    print_event(s, tag, text);
    return true;
}

static void list_events(struct run_sim *s)
{
    struct hd_event_info info;
    uint64_t after = 0;
    unsigned n = 0;

    while (hd_event_next(s->engine, after, &info) == HD_OK) {
        uint64_t id = HD_EVENT_ID(info.tag);
        const char *text = id < s->command_count && s->commands[id] ? s->commands[id] : "";
        after = info.tag;
        n++;
        if (s->text) {
            printf("%" PRIu64 " (%s) ", id, info.enabled ? "enabled" : "disabled");
            cli_text_safe(stdout, text, strlen(text), false);
            if (info.max_hits) /* max_hits: how far the event got */
                printf(" [runs %" PRIu64 " of %" PRIu64 "%s]", info.runs, info.max_hits,
                       info.spent ? ", spent" : "");
            printf("\n");
            continue;
        }
        printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\",\"enabled\":%s,"
               "\"command\":",
               id, info.tag, info.enabled ? "true" : "false");
        cli_json_string(stdout, text);
        cli_print_extension(false, info.nr_filter, info.nr_first, info.nr_last, info.deny,
                            info.deny_rax, info.max_hits);
        if (info.max_hits)
            printf(",\"runs\":%" PRIu64 ",\"spent\":%s", info.runs,
                   info.spent ? "true" : "false");
        printf("}\n");
    }
    if (s->text && n == 0)
        printf("no events\n");
}

static bool modify(struct run_sim *s, const struct hd_command *cmd)
{
    static const struct {
        uint32_t wire;
        const char *verb, *done;
    } how[] = {
        [HD_COMMAND_EVENTS_ENABLE] = {HD_WIRE_MODIFY_ENABLE, "enable", "enabled"},
        [HD_COMMAND_EVENTS_DISABLE] = {HD_WIRE_MODIFY_DISABLE, "disable", "disabled"},
        [HD_COMMAND_EVENTS_CLEAR] = {HD_WIRE_MODIFY_CLEAR, "clear", "cleared"},
    };
    uint8_t m[HD_WIRE_MODIFY_SIZE];

    hd_wire_encode_modify(cmd->tag, how[cmd->kind].wire, m);
    if (!send(s, HD_IOCTL_MODIFY_EVENTS, m, sizeof(m), m, sizeof(m), how[cmd->kind].verb))
        return false;
    if (s->text) {
        if (cmd->tag == HD_TAG_ALL)
            printf("all events %s\n", how[cmd->kind].done);
        else
            printf("event %" PRIu64 " %s\n", cmd->id, how[cmd->kind].done);
    } else {
        printf("{\"type\":\"modified\",\"change\":\"%s\",", how[cmd->kind].verb);
        if (cmd->tag == HD_TAG_ALL)
            printf("\"all\":true}\n");
        else
            printf("\"id\":%" PRIu64 "}\n", cmd->id);
    }
    return true;
}

bool run_command(struct run_sim *s, const char *text)
{
    struct hd_command cmd;
    bool ok = true;

    if (cli_command_load(text, s->strict, s->text, &cmd) != 0)
        return false;
    switch (cmd.kind) {
    case HD_COMMAND_VMCALL:
        ok = add_vmcall(s, &cmd, text);
        break;
    case HD_COMMAND_EVENTS_LIST:
        list_events(s);
        break;
    case HD_COMMAND_EVENTS_ENABLE:
    case HD_COMMAND_EVENTS_DISABLE:
    case HD_COMMAND_EVENTS_CLEAR:
        ok = modify(s, &cmd);
        break;
    case HD_COMMAND_EVENTS_SC:
        ok = !cli_fail("scenario", "events sc on|off changes the event being handled while "
                                   "the debugger is paused in it; the simulator never pauses "
                                   "(use sc on in the !vmcall command)");
        break;
    }
    hd_command_free(&cmd);
    return ok;
}

