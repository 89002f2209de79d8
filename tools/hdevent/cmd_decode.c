/*
 * hdevent decode [--text] [--cores N] FILE: validate IOCTL buffers as the kernel would and
 * show what they hold (docs/cli.md, docs/wire.md).
 */
#include "cli.h"

#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX (64u * 1024u * 1024u) /* far above any valid FILE: 1 + 256 actions of 64 KiB */

/* The instruction count of a decoded (so verified) script action. */
static uint32_t script_insns(const struct hd_action_desc *a)
{
    struct hd_script_info info;
    hd_script_verify(a->script, a->script_size, &info);
    return info.insn_count;
}

static void print_json(const struct hd_wire_file_decoded *d, size_t len)
{
    const struct hd_event_desc *e = &d->event;
    printf("{\"type\":\"event\",\"tag\":\"0x%" PRIx64 "\",\"id\":%" PRIu64
           ",\"pid\":\"0x%" PRIx32 "\",\"core\":\"0x%" PRIx32 "\",\"stage\":\"%s\","
           "\"short_circuit\":%s,\"enabled\":%s,\"bytes\":%zu,\"condition\":",
           e->tag, HD_EVENT_ID(e->tag), e->pid, e->core, cli_stage_name(e->stage),
           e->short_circuit ? "true" : "false", e->enabled ? "true" : "false", len);
    if (e->condition.kind == HD_CONDITION_RAW) {
        fputc('"', stdout);
        cli_hex_bytes(stdout, e->condition.code, e->condition.code_size);
        fputc('"', stdout);
    } else {
        fputs("null", stdout);
    }
    if (e->script_steps)
        printf(",\"steps\":%" PRIu32, e->script_steps);
    printf(",\"action_count\":%" PRIu32 "}\n", e->action_count);
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        printf("{\"type\":\"action\",\"event\":\"0x%" PRIx64 "\",\"index\":%" PRIu32
               ",\"kind\":\"%s\",\"immediate\":%s,\"buffer\":%" PRIu32 ",\"code\":",
               e->tag, i, cli_action_name(a->type), a->immediate ? "true" : "false",
               a->buffer_size);
        if (a->type == HD_ACTION_CODE) {
            fputc('"', stdout);
            cli_hex_bytes(stdout, a->code, a->code_size);
            fputc('"', stdout);
        } else {
            fputs("null", stdout);
        }
        if (a->type == HD_ACTION_SCRIPT) /* verified by the decoder: the header is sound */
            printf(",\"script_bytes\":%" PRIu32 ",\"instructions\":%" PRIu32, a->script_size,
                   script_insns(a));
        printf("}\n");
    }
}

static void print_text(const struct hd_wire_file_decoded *d, size_t len)
{
    const struct hd_event_desc *e = &d->event;
    printf("event %" PRIu64 " (tag 0x%" PRIx64 "), %zu bytes: pid 0x%" PRIx32 " core 0x%" PRIx32
           " stage %s sc %s %s",
           HD_EVENT_ID(e->tag), e->tag, len, e->pid, e->core, cli_stage_name(e->stage),
           e->short_circuit ? "on" : "off", e->enabled ? "enabled" : "disabled");
    if (e->script_steps)
        printf(" steps %" PRIu32, e->script_steps);
    printf("\n");
    if (e->condition.kind == HD_CONDITION_RAW) {
        printf("  condition (%" PRIu32 " bytes): ", e->condition.code_size);
        cli_hex_bytes(stdout, e->condition.code, e->condition.code_size);
        printf("\n");
    }
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        printf("  action %" PRIu32 ": %s, imm %s, buffer %" PRIu32, i, cli_action_name(a->type),
               a->immediate ? "yes" : "no", a->buffer_size);
        if (a->type == HD_ACTION_CODE) {
            printf(", code (%" PRIu32 " bytes): ", a->code_size);
            cli_hex_bytes(stdout, a->code, a->code_size);
        }
        if (a->type == HD_ACTION_SCRIPT)
            printf(", script (%" PRIu32 " bytes, %" PRIu32 " instructions)", a->script_size,
                   script_insns(a));
        printf("\n");
    }
}

int cmd_decode(int argc, char **argv)
{
    const char *path = NULL;
    bool text = false;
    uint32_t cores = 0;
    struct hd_wire_file_decoded *d;
    uint8_t *buf;
    size_t len = 0;
    uint32_t code;
    char line[512];

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text")) {
            text = true;
            cli_set_text(true);
        } else if (!strcmp(argv[i], "--cores") && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 0);
            if (*end || n == 0 || n > HD_CORES_MAX)
                return cli_fail("usage", "--cores takes the target's core count, 1 to 4096");
            cores = (uint32_t)n;
        } else if (!path && argv[i][0] != '-') {
            path = argv[i];
        } else {
            return cli_usage();
        }
    }
    if (!path)
        return cli_usage();
    if (cli_read_file(path, FILE_MAX, &buf, &len, line, sizeof(line)) != 0)
        return cli_fail("io", line);

    d = malloc(sizeof(*d));
    if (!d) {
        free(buf);
        return cli_fail("io", "out of memory");
    }
    /* Without --cores, CoreId is not range-checked: the kernel checks it against its own. */
    code = hd_wire_file_decode(buf, len, cores, d);
    if (code != HD_WIRE_OK) {
        const char *where = d->error_index ? "action buffer" : "event buffer";
        if (text) {
            printf("rejected: 0x%08" PRIX32 " %s: %s (%s %" PRIu32 " at offset %zu)\n", code,
                   hd_wire_error_name(code), hd_wire_error_str(code), where, d->error_index,
                   d->error_offset);
        } else {
            printf("{\"type\":\"error\",\"error\":\"0x%08" PRIX32 "\",\"name\":\"%s\","
                   "\"buffer\":\"%s\",\"index\":%" PRIu32 ",\"offset\":%zu,\"message\":",
                   code, hd_wire_error_name(code), where, d->error_index, d->error_offset);
            cli_json_string(stdout, hd_wire_error_str(code));
            printf("}\n");
        }
        free(d);
        free(buf);
        return 1;
    }
    if (text)
        print_text(d, len);
    else
        print_json(d, len);
    free(d);
    free(buf);
    return 0;
}

