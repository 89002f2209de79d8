/*
 * hdevent — the command-line tool. Subcommands so far (docs/cli.md):
 *
 *   hdevent encode '<command>' -o FILE [--tag HEX]   the IOCTL buffers a command makes
 *   hdevent decode [--text] [--cores N] FILE         validate and show them, as the kernel would
 *
 * Output is one JSON object per line (for programs), or plain text with --text. `parse`,
 * `disasm`, `run` and the device subcommands come with the command-language and backend
 * issues.
 */
#define _GNU_SOURCE
#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX (64u * 1024u * 1024u) /* far above any valid FILE: 1 + 256 actions of 64 KiB */

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void hex_bytes(FILE *out, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%02X", i ? " " : "", p[i]);
}

static int usage(void)
{
    fputs("usage: hdevent encode '<command>' -o FILE [--tag HEX]\n"
          "       hdevent decode [--text] [--cores N] FILE\n"
          "see docs/cli.md\n",
          stderr);
    return 2;
}

/* A usage or input error for people and programs alike: one JSON line on stdout. */
static int fail(const char *what, const char *message)
{
    printf("{\"type\":\"error\",\"error\":");
    json_string(stdout, what);
    printf(",\"message\":");
    json_string(stdout, message);
    printf("}\n");
    return 1;
}

/* ---- encode ---------------------------------------------------------------------------- */

static int cmd_encode(int argc, char **argv)
{
    const char *text = NULL, *path = NULL;
    uint64_t tag = HD_TAG_BASE;
    struct hd_command cmd;
    struct hd_command_error err;
    uint8_t *buf = NULL;
    size_t len = 0;
    enum hd_status st;
    char line[1024];
    FILE *f;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strcmp(argv[i], "--tag") && i + 1 < argc) {
            char *end;
            errno = 0;
            tag = strtoull(argv[++i], &end, 16);
            if (errno || *end || tag < HD_TAG_BASE || tag == HD_TAG_ALL)
                return fail("usage", "--tag takes a hex tag from 0x1000000 (ID 0) upward");
        } else if (!text && argv[i][0] != '-') {
            text = argv[i];
        } else {
            return usage();
        }
    }
    if (!text || !path)
        return usage();

    st = hd_command_parse(text, &cmd, &err);
    if (st == HD_OK && cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return fail("usage", "only !vmcall commands make event buffers; events e|d|c go "
                             "through the modify IOCTL");
    }
    if (st == HD_OK)
        st = hd_command_check_supported(&cmd, &err);
    if (st != HD_OK) {
        hd_command_error_format(&err, text, line, sizeof(line));
        hd_command_free(&cmd);
        printf("{\"type\":\"error\",\"error\":\"%s\",\"column\":%" PRIu32 ",\"message\":",
               hd_status_name(st), err.column);
        json_string(stdout, line);
        printf("}\n");
        return 1;
    }
    st = hd_wire_encode_file(&cmd.event, tag, &buf, &len);
    if (st != HD_OK) {
        hd_command_free(&cmd);
        return fail(hd_status_name(st), hd_status_str(st));
    }
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        snprintf(line, sizeof(line), "cannot write %s: %s", path, strerror(errno));
        free(buf);
        hd_command_free(&cmd);
        return fail("io", line);
    }
    printf("{\"type\":\"encoded\",\"file\":");
    json_string(stdout, path);
    printf(",\"bytes\":%zu,\"tag\":\"0x%" PRIx64 "\",\"actions\":%" PRIu32 "}\n", len, tag,
           cmd.event.action_count);
    free(buf);
    hd_command_free(&cmd);
    return 0;
}

/* ---- decode ---------------------------------------------------------------------------- */

static const char *stage_name(enum hd_stage s)
{
    return s == HD_STAGE_PRE ? "pre" : s == HD_STAGE_POST ? "post" : "all";
}

static const char *action_name(enum hd_action_type t)
{
    switch (t) {
    case HD_ACTION_BREAK:
        return "break";
    case HD_ACTION_SCRIPT:
        return "script";
    case HD_ACTION_CODE:
        return "code";
    case HD_ACTION_NATIVE:
        return "native";
    }
    return "?";
}

static void print_json(const struct hd_wire_file_decoded *d, size_t len)
{
    const struct hd_event_desc *e = &d->event;
    printf("{\"type\":\"event\",\"tag\":\"0x%" PRIx64 "\",\"id\":%" PRIu64
           ",\"pid\":\"0x%" PRIx32 "\",\"core\":\"0x%" PRIx32 "\",\"stage\":\"%s\","
           "\"short_circuit\":%s,\"enabled\":%s,\"bytes\":%zu,\"condition\":",
           e->tag, HD_EVENT_ID(e->tag), e->pid, e->core, stage_name(e->stage),
           e->short_circuit ? "true" : "false", e->enabled ? "true" : "false", len);
    if (e->condition.kind == HD_CONDITION_RAW) {
        fputc('"', stdout);
        hex_bytes(stdout, e->condition.code, e->condition.code_size);
        fputc('"', stdout);
    } else {
        fputs("null", stdout);
    }
    printf(",\"action_count\":%" PRIu32 "}\n", e->action_count);
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        printf("{\"type\":\"action\",\"event\":\"0x%" PRIx64 "\",\"index\":%" PRIu32
               ",\"kind\":\"%s\",\"immediate\":%s,\"buffer\":%" PRIu32 ",\"code\":",
               e->tag, i, action_name(a->type), a->immediate ? "true" : "false",
               a->buffer_size);
        if (a->type == HD_ACTION_CODE) {
            fputc('"', stdout);
            hex_bytes(stdout, a->code, a->code_size);
            fputc('"', stdout);
        } else {
            fputs("null", stdout);
        }
        printf("}\n");
    }
}

static void print_text(const struct hd_wire_file_decoded *d, size_t len)
{
    const struct hd_event_desc *e = &d->event;
    printf("event %" PRIu64 " (tag 0x%" PRIx64 "), %zu bytes: pid 0x%" PRIx32 " core 0x%" PRIx32
           " stage %s sc %s %s\n",
           HD_EVENT_ID(e->tag), e->tag, len, e->pid, e->core, stage_name(e->stage),
           e->short_circuit ? "on" : "off", e->enabled ? "enabled" : "disabled");
    if (e->condition.kind == HD_CONDITION_RAW) {
        printf("  condition (%" PRIu32 " bytes): ", e->condition.code_size);
        hex_bytes(stdout, e->condition.code, e->condition.code_size);
        printf("\n");
    }
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        printf("  action %" PRIu32 ": %s, imm %s, buffer %" PRIu32, i, action_name(a->type),
               a->immediate ? "yes" : "no", a->buffer_size);
        if (a->type == HD_ACTION_CODE) {
            printf(", code (%" PRIu32 " bytes): ", a->code_size);
            hex_bytes(stdout, a->code, a->code_size);
        }
        printf("\n");
    }
}

static int cmd_decode(int argc, char **argv)
{
    const char *path = NULL;
    bool text = false;
    uint32_t cores = 0;
    struct hd_wire_file_decoded *d;
    uint8_t *buf;
    size_t len = 0, cap = 4096;
    uint32_t code;
    char line[512];
    FILE *f;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text")) {
            text = true;
        } else if (!strcmp(argv[i], "--cores") && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 0);
            if (*end || n == 0 || n > HD_CORES_MAX)
                return fail("usage", "--cores takes the target's core count, 1 to 4096");
            cores = (uint32_t)n;
        } else if (!path && argv[i][0] != '-') {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (!path)
        return usage();
    f = fopen(path, "rb");
    if (!f) {
        snprintf(line, sizeof(line), "cannot open %s: %s", path, strerror(errno));
        return fail("io", line);
    }
    buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap || cap >= FILE_MAX)
            break;
        uint8_t *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return fail("io", "out of memory reading the file");
    if (len >= FILE_MAX) {
        free(buf);
        return fail("io", "file larger than any valid set of IOCTL buffers (64 MiB)");
    }

    d = malloc(sizeof(*d));
    if (!d) {
        free(buf);
        return fail("io", "out of memory");
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
            json_string(stdout, hd_wire_error_str(code));
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

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "encode"))
        return cmd_encode(argc - 2, argv + 2);
    if (!strcmp(argv[1], "decode"))
        return cmd_decode(argc - 2, argv + 2);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return 0;
    }
    fprintf(stderr, "hdevent: unknown subcommand '%s'\n", argv[1]);
    return usage();
}
