/* SPDX-License-Identifier: MIT */
/*
 * hdevent read [--follow] [--timeout MS] [--sink NAME=KIND:TARGET]... [--flush-ms MS]: take
 * the messages queued by a loaded kernel backend's actions (docs/cli.md): custom code's
 * buffers (the C string at their start), scripts' printf (their text, exactly) and scripts'
 * run errors (`script_error`); with --sink, the messages of events with `output {…}` go to
 * their sinks (docs/output.md). The sinks are POSIX (files, sockets, dlopen): the Windows
 * build of the tool has no --sink.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include "cli.h"
#include "device_cli.h"

#if !defined(_WIN32)
#define READ_SINKS 1
#include "sink.h"

#include <signal.h>
#endif

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

#if defined(READ_SINKS)
/* --sink: the router, and the output tags of the events seen (tags are never reused, so a
 * tag's outputs never change while it exists). */
#define OUTPUTS_CACHED 256u
struct read_routes {
    struct cli_device *dev;
    struct sink_router sinks;
    struct {
        uint64_t tag;
        uint32_t count;
        uint64_t tags[HD_EVENT_MAX_OUTPUTS];
    } cache[OUTPUTS_CACHED];
    uint32_t next_slot;
};

/* The outputs of event @p tag (asked of the device once). @return how many (0: none). */
static uint32_t outputs_of(struct read_routes *rt, uint64_t tag, const uint64_t **tags)
{
    uint32_t slot = rt->next_slot;

    for (uint32_t i = 0; i < OUTPUTS_CACHED; i++)
        if (rt->cache[i].tag == tag) {
            *tags = rt->cache[i].tags;
            return rt->cache[i].count;
        }
    rt->next_slot = (slot + 1) % OUTPUTS_CACHED;
    rt->cache[slot].tag = tag;
    rt->cache[slot].count = 0;
    if (dev_event_outputs(rt->dev, tag, rt->cache[slot].tags, &rt->cache[slot].count) < 0)
        rt->cache[slot].tag = 0; /* printed; asked again next time */
    *tags = rt->cache[slot].tags;
    return rt->cache[slot].count;
}
#else
struct read_routes; /* no sinks in this build */
#endif

/* Print the records in @p b, or send them to the sinks their events name (@p rt, NULL
 * without --sink); @return messages taken, or -1 (printed). */
static long print_records(const uint8_t *b, size_t n, bool text, struct read_routes *rt)
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
        struct cli_message cm = {.tag = m.tag, .core = m.core, .text = body, .len = text_len,
                                 .size = m.size,
                                 .immediate = (m.flags & HD_WIRE_MESSAGE_IMMEDIATE) != 0,
                                 .truncated = (m.flags & HD_WIRE_MESSAGE_TRUNCATED) != 0};
#if defined(READ_SINKS)
        const uint64_t *tags;
        if (rt && rt->sinks.count) {
            uint32_t k = outputs_of(rt, m.tag, &tags);
            if (cli_message_route(&rt->sinks, tags, k, &cm))
                continue;
        }
#else
        (void)rt;
#endif
        if (text) {
            printf("message from event %" PRIu64 " on core %" PRIu32 ": \"", HD_EVENT_ID(m.tag),
                   m.core);
            cli_text_escaped(stdout, body, text_len); /* a printf's newline shown as \n */
            printf("\"%s\n", (m.flags & HD_WIRE_MESSAGE_TRUNCATED) ? " (truncated)" : "");
        } else {
            cli_message_json(stdout, &cm);
        }
    }
    fflush(stdout);
    return count;
}

static int read_main(int argc, char **argv);

enum { OPT_FOLLOW = CLI_LONG_ONLY, OPT_TIMEOUT, OPT_SINK, OPT_FLUSH_MS };

#if defined(READ_SINKS)
#define READ_SINK_SYNOPSIS " [--sink NAME=KIND:TARGET]...\n       [--flush-ms MS]"
#define READ_SINK_HELP                                                                         \
    "      --sink NAME=KIND:TARGET\n"                                                         \
    "                         send the messages of events with output {NAME} to\n"           \
    "                         file:PATH, fifo:PATH, unix:PATH, tcp:HOST:PORT or\n"           \
    "                         module:LIB.so, one JSON line each (repeatable)\n"              \
    "      --flush-ms MS      let sink messages wait up to MS milliseconds to be\n"          \
    "                         written together (hex unless 0n; default 0: at once)\n"
#define READ_SINK_LONG                                                                         \
    {"sink", required_argument, NULL, OPT_SINK},                                               \
        {"flush-ms", required_argument, NULL, OPT_FLUSH_MS},
#else
#define READ_SINK_SYNOPSIS ""
#define READ_SINK_HELP ""
#define READ_SINK_LONG
#endif

const struct cli_spec cli_read = {
    .name = "read",
    .summary = "take the messages queued by a loaded kernel backend's actions",
    .synopsis = "[-t] [-d PATH] [--follow [--timeout MS]]" READ_SINK_SYNOPSIS,
    .description =
        "Take every queued message: custom code's buffer (the C string at its start), a\n"
        "script's printf (its text, exactly) or a script's run error (`script_error`).\n"
        "Text for people shows every byte outside printable ASCII as \\xNN."
#if defined(READ_SINKS)
        " With --sink,\n"
        "the messages of an event with output {NAME} go to NAME's sink as JSON lines\n"
        "(docs/output.md); SIGHUP reopens file sinks."
#endif
        ,
    .options = "      --follow           keep waiting for messages\n"
               "      --timeout MS       with --follow: stop after MS milliseconds without\n"
               "                         one (hex unless 0n)\n" READ_SINK_HELP DEV_COMMON_HELP,
    .examples = "  hdevent read\n"
                "  hdevent read --follow --timeout 0n500\n"
#if defined(READ_SINKS)
                "  hdevent read --follow --sink log=file:/var/log/hdevent.log\n"
#endif
    ,
    .shortopts = DEV_COMMON_SHORT,
    .longopts = (const struct option[]){{"follow", no_argument, NULL, OPT_FOLLOW},
                                        {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                        READ_SINK_LONG DEV_COMMON_LONG,
                                        {0}},
    .main = read_main,
};

#if defined(READ_SINKS)
static volatile sig_atomic_t hangup;

static void on_hangup(int sig)
{
    (void)sig;
    hangup = 1;
}

/* With --sink: SIGHUP reopens file sinks (log rotation; it interrupts the wait, no
 * SA_RESTART), and a FIFO or socket whose reader left is EPIPE, reported, not SIGPIPE.
 * Without one SIGHUP keeps its default: a reader whose terminal hung up ends (and lets go of
 * the device) as it always did. */
static void catch_hangup(const struct sink_router *sinks)
{
    struct sigaction sa;

    if (!sinks->count)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_hangup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* --sink and --flush-ms; @return -1 when @p c is neither, else 0 or a usage error's status. */
static int sink_option(struct read_routes *rt, int c)
{
    char err[600];
    uint64_t n;

    if (c == OPT_SINK) {
        if (!sink_add(&rt->sinks, optarg, err, sizeof(err)))
            return cli_usage_error("--sink '%s': %s", optarg, err);
        return 0;
    }
    if (c == OPT_FLUSH_MS) {
        if (hd_command_number(optarg, strlen(optarg), 3600000u, &n) != HD_OK)
            return cli_usage_error("--flush-ms %s: milliseconds, 0 to 0n3600000, hex unless "
                                   "prefixed 0n", optarg);
        rt->sinks.flush_ms = (uint32_t)n;
        return 0;
    }
    return -1;
}
#endif

/*
 * Read until the queue is empty (without --follow) or, with --follow, until an error or
 * --timeout MS without a message. With sinks the wait also ends for SIGHUP (reopen the
 * files) and when a buffered message is due (--flush-ms). @return the exit status.
 */
static int read_loop(struct cli_device *dev, uint8_t *buf, bool follow, int timeout_ms,
                     bool text, struct read_routes *rt, long *total)
{
    char err[512];
#if defined(READ_SINKS)
    uint64_t last_ms = sink_clock_ms();
#endif

    for (;;) {
        size_t got = 0;
        long k;
        int w, wait_ms = timeout_ms;

        if (device_read(dev, buf, READ_BYTES, &got, err, sizeof(err)) != 0)
            return cli_fail("device", err);
        k = print_records(buf, got, text, rt);
        if (k < 0)
            return 1;
        *total += k;
#if defined(READ_SINKS)
        if (hangup) {
            hangup = 0;
            sink_router_reopen(&rt->sinks);
        }
        int due = sink_router_tick(&rt->sinks);
        if (got)
            last_ms = sink_clock_ms();
#endif
        if (got)
            continue; /* drain before waiting */
        if (!follow)
            return 0;
#if defined(READ_SINKS)
        if (timeout_ms >= 0) {
            uint64_t idle = sink_clock_ms() - last_ms;
            if (idle >= (uint64_t)timeout_ms)
                return 0; /* --timeout without a message */
            wait_ms = (int)((uint64_t)timeout_ms - idle);
        }
        if (due >= 0 && (wait_ms < 0 || due < wait_ms))
            wait_ms = due; /* --flush-ms: wake up to write what waits */
#endif
        w = device_wait(dev, wait_ms, err, sizeof(err));
        if (w < 0)
            return cli_fail("device", err);
#if !defined(READ_SINKS)
        if (w == 0)
            return 0; /* --timeout without a message */
#endif
    }
}

static int read_main(int argc, char **argv)
{
#if defined(READ_SINKS)
    static struct read_routes routes;
    struct read_routes *rt = &routes;
#else
    struct read_routes *rt = NULL;
#endif
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct cli_getopt g;
    bool follow = false;
    int timeout_ms = -1; /* --follow: stop after this long without a message; -1 = never */
    uint64_t n;
    uint8_t *buf;
    long total = 0;
    int c, rc = 0;

    dev_opts_init(&o);
#if defined(READ_SINKS)
    sink_router_init(&rt->sinks);
#endif
    cli_getopt_init(&g, &cli_read, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == OPT_FOLLOW) {
            follow = true;
        } else if (c == OPT_TIMEOUT) {
            if (hd_command_number(optarg, strlen(optarg), INT_MAX, &n) != HD_OK)
                return cli_usage_error("--timeout %s: milliseconds, hex unless prefixed 0n",
                                       optarg);
            timeout_ms = (int)n;
#if defined(READ_SINKS)
        } else if ((rc = sink_option(rt, c)) >= 0) {
            if (rc)
                return rc;
#endif
        } else if (!dev_common_option(c, &o)) {
            return g.status;
        }
    }
    rc = 0;
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
#if defined(READ_SINKS)
    rt->dev = dev;
    catch_hangup(&rt->sinks);
    sink_router_open(&rt->sinks);
#endif
    rc = read_loop(dev, buf, follow, timeout_ms, o.text, rt, &total);
    if (rc == 0 && o.text && total == 0)
        printf("no messages\n");
#if defined(READ_SINKS)
    sink_router_close(&rt->sinks); /* written before the counts say what was */
    sink_router_report(&rt->sinks, stdout, o.text);
#endif
    device_close(dev);
    free(buf);
    return rc;
}
