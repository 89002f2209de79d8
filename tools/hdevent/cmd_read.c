/*
 * hdevent read [--follow] [--timeout MS]: take the messages queued by a loaded kernel
 * backend's actions (docs/cli.md): custom code's buffers (the C string at their start),
 * scripts' printf (their text, exactly) and scripts' run errors (`script_error`).
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

#define READ_BYTES (64u * 1024u)

/* Bytes before the first NUL in the first @p max bytes (strnlen is POSIX, not C11). */
static size_t text_length(const uint8_t *p, size_t max)
{
    const uint8_t *nul = memchr(p, 0, max);
    return nul ? (size_t)(nul - p) : max;
}

/* A script's run error: the record's text is "HD_ERR_SCRIPT_...: what (instruction N)". */
static void print_script_error(const struct hd_wire_message *m, const uint8_t *body, bool text)
{
    const uint8_t *colon = memchr(body, ':', m->length);
    size_t name_len = colon ? (size_t)(colon - body) : 0;
    size_t skip = colon && name_len + 2 <= m->length ? name_len + 2 : 0;

    if (text) { /* the record's bytes came from the kernel: made safe */
        printf("script of event %" PRIu64 " stopped on core %" PRIu32 ": ", HD_EVENT_ID(m->tag),
               m->core);
        cli_text_safe(stdout, (const char *)body, m->length, false);
        printf("\n");
        return;
    }
    printf("{\"type\":\"script_error\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
           "\",\"core\":\"0x%" PRIx32 "\",\"error\":",
           HD_EVENT_ID(m->tag), m->tag, m->core);
    cli_json_bytes(stdout, body, name_len);
    printf(",\"message\":");
    cli_json_bytes(stdout, body + skip, m->length - skip);
    printf("}\n");
}

/* Print the records in @p b; @return messages printed, or -1 (printed). */
static long print_records(const uint8_t *b, size_t n, bool text)
{
    long count = 0;

    for (size_t off = 0, rec; off < n; off += rec, count++) {
        struct hd_wire_message m;
        const uint8_t *body;
        size_t text_len;
        uint32_t bad = hd_wire_decode_message(b + off, n - off, &m, &body, &rec);

        if (bad != HD_WIRE_OK)
            return dev_reply_fail("message record", bad), -1;
        if (m.flags & HD_WIRE_MESSAGE_SCRIPT_ERROR) {
            print_script_error(&m, body, text);
            continue;
        }
        /* Custom code hands back a buffer; what people read is the C string at its start.
         * A script's printf is its text, exactly. */
        text_len = (m.flags & HD_WIRE_MESSAGE_PRINT) ? m.length : text_length(body, m.length);
        if (text) {
            printf("message from event %" PRIu64 " on core %" PRIu32 ": \"", HD_EVENT_ID(m.tag),
                   m.core);
            cli_text_escaped(stdout, body, text_len); /* a printf's newline shown as \n */
            printf("\"%s\n", (m.flags & HD_WIRE_MESSAGE_TRUNCATED) ? " (truncated)" : "");
        } else {
            printf("{\"type\":\"message\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
                   "\",\"core\":\"0x%" PRIx32 "\",\"text\":",
                   HD_EVENT_ID(m.tag), m.tag, m.core);
            cli_json_bytes(stdout, body, text_len);
            printf(",\"size\":%" PRIu32 ",\"immediate\":%s,\"truncated\":%s}\n", m.size,
                   (m.flags & HD_WIRE_MESSAGE_IMMEDIATE) ? "true" : "false",
                   (m.flags & HD_WIRE_MESSAGE_TRUNCATED) ? "true" : "false");
        }
    }
    fflush(stdout);
    return count;
}

static int read_main(int argc, char **argv);

enum { OPT_FOLLOW = CLI_LONG_ONLY, OPT_TIMEOUT };

const struct cli_spec cli_read = {
    .name = "read",
    .summary = "take the messages queued by a loaded kernel backend's actions",
    .synopsis = "[-t] [-d PATH] [--follow [--timeout MS]]",
    .description =
        "Take every queued message: custom code's buffer (the C string at its start), a\n"
        "script's printf (its text, exactly) or a script's run error (`script_error`).\n"
        "Text for people shows every byte outside printable ASCII as \\xNN.",
    .options = "      --follow           keep waiting for messages\n"
               "      --timeout MS       with --follow: stop after MS milliseconds without\n"
               "                         one (hex unless 0n)\n" DEV_COMMON_HELP,
    .examples = "  hdevent read\n"
                "  hdevent read --follow --timeout 0n500\n",
    .shortopts = DEV_COMMON_SHORT,
    .longopts = (const struct option[]){{"follow", no_argument, NULL, OPT_FOLLOW},
                                        {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                        DEV_COMMON_LONG,
                                        {0}},
    .main = read_main,
};

static int read_main(int argc, char **argv)
{
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct cli_getopt g;
    bool follow = false;
    int timeout_ms = -1; /* --follow: stop after this long without a message; -1 = never */
    uint64_t n;
    uint8_t *buf;
    long total = 0;
    char err[512];
    int c, rc = 0;

    dev_opts_init(&o);
    cli_getopt_init(&g, &cli_read, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == OPT_FOLLOW) {
            follow = true;
        } else if (c == OPT_TIMEOUT) {
            if (hd_command_number(optarg, strlen(optarg), INT_MAX, &n) != HD_OK)
                return cli_usage_error("--timeout %s: milliseconds, hex unless prefixed 0n",
                                       optarg);
            timeout_ms = (int)n;
        } else if (!dev_common_option(c, &o)) {
            return g.status;
        }
    }
    if (optind < argc)
        return cli_usage_error("takes no operand: '%s'", argv[optind]);
    if (timeout_ms >= 0 && !follow)
        return cli_usage_error("--timeout goes with --follow");
    buf = malloc(READ_BYTES);
    if (!buf)
        return cli_fail("memory", "out of memory");
    if (dev_open(&o, &dev)) {
        free(buf);
        return 1;
    }
    for (;;) {
        size_t got = 0;
        long k;
        int w;

        if (device_read(dev, buf, READ_BYTES, &got, err, sizeof(err)) != 0) {
            rc = cli_fail("device", err);
            break;
        }
        k = print_records(buf, got, o.text);
        if (k < 0) {
            rc = 1;
            break;
        }
        total += k;
        if (got)
            continue; /* drain before waiting */
        if (!follow)
            break;
        w = device_wait(dev, timeout_ms, err, sizeof(err));
        if (w < 0)
            rc = cli_fail("device", err);
        if (w <= 0)
            break; /* error, or --timeout without a message */
    }
    if (rc == 0 && o.text && total == 0)
        printf("no messages\n");
    device_close(dev);
    free(buf);
    return rc;
}
