/* SPDX-License-Identifier: MIT */
/*
 * hdevent decode [-t] [-c N] FILE|-: validate IOCTL buffers as the kernel would and
 * show what they hold (docs/cli.md, docs/wire.md).
 */
#include "cli.h"

#include <hdevent/command.h>
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
    bool raw = e->condition.kind == HD_CONDITION_RAW;

    printf("{\"type\":\"event\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\",\"pid\":\"0x%" PRIx32
           "\",\"core\":\"0x%" PRIx32 "\",\"stage\":\"%s\",\"short_circuit\":%s,\"enabled\":%s,"
           "\"size\":%zu,\"condition\":\"%s\"",
           HD_EVENT_ID(e->tag), e->tag, e->pid, e->core, cli_stage_name(e->stage),
           e->short_circuit ? "true" : "false", e->enabled ? "true" : "false", len,
           raw ? "raw" : "none");
    if (raw) {
        printf(",\"condition_bytes\":\"");
        cli_hex_bytes(stdout, e->condition.code, e->condition.code_size);
        printf("\"");
    }
    if (e->script_steps)
        printf(",\"steps\":%" PRIu32, e->script_steps);
    if (e->output_count) { /* OutputSourceTags: hashes of the names (hd_output_tag) */
        printf(",\"output_tags\":[");
        for (uint32_t i = 0; i < e->output_count; i++)
            printf("%s\"0x%" PRIx64 "\"", i ? "," : "", e->outputs[i]);
        printf("]");
    }
    cli_print_extension(false, e->nr_filter, e->nr_first, e->nr_last, e->deny, e->deny_rax,
                        e->max_hits);
    printf(",\"actions\":%" PRIu32 "}\n", e->action_count);
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        printf("{\"type\":\"action\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
               "\",\"index\":%" PRIu32 ",\"kind\":\"%s\",\"immediate\":%s,\"buffer_size\":%" PRIu32,
               HD_EVENT_ID(e->tag), e->tag, i, cli_action_name(a->type),
               a->immediate ? "true" : "false", a->buffer_size);
        if (a->type == HD_ACTION_CODE) {
            printf(",\"size\":%" PRIu32 ",\"bytes\":\"", a->code_size);
            cli_hex_bytes(stdout, a->code, a->code_size);
            printf("\"");
        }
        if (a->type == HD_ACTION_SCRIPT) /* verified by the decoder: the header is sound */
            printf(",\"size\":%" PRIu32 ",\"instructions\":%" PRIu32, a->script_size,
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
    for (uint32_t i = 0; i < e->output_count; i++)
        printf("%s0x%" PRIx64, i ? ", " : " output tags ", e->outputs[i]);
    cli_print_extension(true, e->nr_filter, e->nr_first, e->nr_last, e->deny, e->deny_rax,
                        e->max_hits);
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

static int decode_main(int argc, char **argv);

const struct cli_spec cli_decode = {
    .name = "decode",
    .summary = "validate IOCTL buffers as the kernel would and show what they hold",
    .synopsis = "[-t] [-c N] FILE|-",
    .description =
        "Split FILE (`-`: stdin) into its buffers and run each through the kernel's own\n"
        "decoders: every size against the real length, every enum and flag in range, each\n"
        "action's tag equal to the event's. A rejected FILE exits 1 with HyperDbg's error\n"
        "code, the buffer at fault and its offset.",
    .options = "  -c, --cores N          also check CoreId against a target with N cores\n"
               "                         (hex unless 0n)\n"
               "  -t, --text             text for people; diagnostics on stderr\n",
    .examples = "  hdevent decode ev.bin\n"
                "  hdevent encode '!vmcall code {90}' -o - | hdevent decode --text -\n",
    .shortopts = "tc:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"cores", required_argument, NULL, 'c'},
                                        {0}},
    .main = decode_main,
};

static void print_rejection(const struct hd_wire_file_decoded *d, uint32_t code, bool text)
{
    const char *where = d->error_index ? "action" : "event";

    if (text) {
        fprintf(cli_diag("error"), "%s (0x%08" PRIX32 "): %s (%s buffer %" PRIu32
                " at offset %zu)\n", hd_wire_error_name(code), code, hd_wire_error_str(code),
                where, d->error_index, d->error_offset);
        return;
    }
    printf("{\"type\":\"error\",\"error\":\"%s\",\"code\":\"0x%" PRIx32 "\",\"buffer\":\"%s\","
           "\"index\":%" PRIu32 ",\"offset\":%zu,\"message\":",
           hd_wire_error_name(code), code, where, d->error_index, d->error_offset);
    cli_json_string(stdout, hd_wire_error_str(code));
    printf("}\n");
}

static int decode_main(int argc, char **argv)
{
    bool text = false;
    uint32_t cores = 0;
    struct hd_wire_file_decoded *d;
    struct cli_getopt g;
    uint8_t *buf;
    size_t len = 0;
    uint64_t n;
    uint32_t code;
    char line[512];
    int c;

    cli_getopt_init(&g, &cli_decode, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 't') {
            cli_set_text(text = true);
        } else if (c == 'c') {
            if (hd_command_number(optarg, strlen(optarg), HD_CORES_MAX, &n) != HD_OK || n == 0)
                return cli_usage_error("--cores %s: the target's core count is 1 to 0n4096, "
                                       "hex unless prefixed 0n", optarg);
            cores = (uint32_t)n;
        } else {
            return g.status;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(argc == optind ? "expects a FILE of IOCTL buffers (- for stdin)"
                                              : "takes one FILE");
    if (cli_read_file(argv[optind], FILE_MAX, &buf, &len, line, sizeof(line)) != 0)
        return cli_fail("io", line);

    d = malloc(sizeof(*d));
    if (!d) {
        free(buf);
        return cli_fail("io", "out of memory");
    }
    /* Without --cores, CoreId is not range-checked: the kernel checks it against its own. */
    code = hd_wire_file_decode(buf, len, cores, d);
    if (code != HD_WIRE_OK)
        print_rejection(d, code, text);
    else if (text)
        print_text(d, len);
    else
        print_json(d, len);
    free(d);
    free(buf);
    return code != HD_WIRE_OK;
}
