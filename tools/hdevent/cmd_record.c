/* SPDX-License-Identifier: MIT */
/*
 * hdevent record [--follow [--timeout MS]] [--stop] [-o FILE]: the device's flight recorder
 * (HD_IOCTL_RECORDER) as a scenario that `hdevent run FILE` replays on the host (docs/cli.md).
 *
 * The scenario starts with the commands of the registered events, their text as the kernel
 * keeps it (`hdevent add` gave it: HD_IOCTL_EVENT_COMMAND), each followed by `events d N` when
 * the event is disabled; then each recorded exit as a `vmcall` line and an `expect` line,
 * written by record_scenario.c as `run --record` writes them. The replay numbers its events
 * from 0 in the order of the commands, so the fired tags are renumbered the same way (the
 * device's IDs may have gaps: cleared events keep their numbers). The list is taken once, at
 * the start: an event added while `--follow` runs is not in the recording.
 */
#include "cli.h"
#include "device_cli.h"
#include "record_scenario.h"

#include <hdevent/command.h>
#include <hdevent/dispatch.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_PER_READ 64u
#define POLL_MS 50u

enum { OPT_FOLLOW = CLI_LONG_ONLY, OPT_TIMEOUT, OPT_STOP };

/* The events written at the start: the device tag of the replay's event i. */
struct recording {
    FILE *out;
    uint64_t *tags;
    uint32_t count;
    uint64_t exits;
    uint64_t dropped_at_start;
    bool have_dropped;
    uint64_t dropped;
    bool recording; /* after the last request */
};

static int record_main(int argc, char **argv);

const struct cli_spec cli_record = {
    .name = "record",
    .summary = "record the exits of a loaded kernel backend as a scenario run replays",
    .synopsis = "[-t] [-d PATH] [--follow [--timeout MS]] [--stop] [-o FILE]",
    .description =
        "Switch the kernel's flight recorder on and write a scenario: the commands of the\n"
        "registered events (their text, as `events` lists it), then each exit recorded so\n"
        "far as a `vmcall` line (the registers before) and an `expect` line (what the exit\n"
        "did), so that `hdevent run FILE` replays the recording on the host and reports\n"
        "every difference. Recording stays on for the next `record` unless --stop.\n"
        "Without -o the scenario goes to stdout; with it, a `recorded` record does.",
    .options = "  -o, --output FILE      write the scenario to FILE\n"
               "      --follow           keep taking exits until SIGINT or SIGTERM\n"
               "      --timeout MS       with --follow: stop after about MS milliseconds\n"
               "                         (hex unless prefixed 0n)\n"
               "      --stop             switch recording off at the end\n" DEV_COMMON_HELP,
    .examples = "  hdevent record -o /dev/null                 # switch recording on\n"
                "  hdevent record --stop -o run1.scenario\n"
                "  hdevent record --follow -o run2.scenario    # until Ctrl-C\n",
    .shortopts = "o:" DEV_COMMON_SHORT,
    .longopts = (const struct option[]){{"output", required_argument, NULL, 'o'},
                                        {"follow", no_argument, NULL, OPT_FOLLOW},
                                        {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                        {"stop", no_argument, NULL, OPT_STOP},
                                        DEV_COMMON_LONG,
                                        {0}},
    .main = record_main,
};

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
    (void)sig;
    stop_asked = 1;
}

/* The commands of the registered events, in tag order. @return 0, or 1 (printed). */
static int write_commands(struct cli_device *dev, struct recording *rec)
{
    static uint8_t page[HD_WIRE_LIST_HEADER_SIZE + 64 * HD_WIRE_LIST_ENTRY_SIZE];
    char *text = malloc(HD_COMMAND_MAX_BYTES + 1);
    uint64_t after = 0;
    int rc = 1;

    if (!text)
        return cli_fail("memory", "out of memory");
    for (;;) {
        struct hd_wire_list_header h;
        long got = dev_list_page(dev, after, page, sizeof(page), &h);
        if (got < 0)
            goto done;
        for (uint32_t i = 0; i < h.count; i++) {
            struct hd_wire_list_entry e;
            uint32_t bad = hd_wire_decode_list_entry(page, (size_t)got, i, &e);
            int have;
            if (bad != HD_WIRE_OK) {
                dev_reply_fail("event list", bad);
                goto done;
            }
            have = dev_event_command_get(dev, e.tag, text, HD_COMMAND_MAX_BYTES + 1);
            if (have < 0)
                goto done;
            if (have == 0)
                continue; /* cleared since the list was taken */
            if (!text[0]) {
                fprintf(rec->out, "# event %" PRIu64 " has no command text on the device (not "
                                  "added by hdevent add, or longer than 4096 bytes): its "
                                  "exits name it as event ?\n", HD_EVENT_ID(e.tag));
                continue;
            }
            uint64_t *tags = realloc(rec->tags, (rec->count + 1) * sizeof(*tags));
            if (!tags) {
                cli_fail("memory", "out of memory");
                goto done;
            }
            rec->tags = tags;
            rec->tags[rec->count] = e.tag;
            record_write_command(rec->out, text);
            if (!e.enabled)
                fprintf(rec->out, "events d 0n%" PRIu32 "\n", rec->count);
            rec->count++;
        }
        if (!h.more)
            break;
        after = h.last_tag;
    }
    rc = 0;
done:
    free(text);
    return rc;
}

/* The replay's ID of device tag @p tag: its place among the commands written. */
static bool replay_tag(const struct recording *rec, uint64_t *tag)
{
    for (uint32_t i = 0; i < rec->count; i++)
        if (rec->tags[i] == *tag) {
            *tag = HD_TAG_BASE + i;
            return true;
        }
    return false;
}

/* One recorder request: @p op, then every record of its reply written. @return the number
 * of records (a full reply means more may wait), or -1 (printed). */
static long take(struct cli_device *dev, uint32_t op, struct recording *rec)
{
    static uint8_t out[HD_WIRE_RECORDER_HEADER_SIZE + RECORDS_PER_READ * HD_WIRE_RECORD_SIZE];
    uint8_t in[HD_WIRE_RECORDER_REQUEST_SIZE] = {(uint8_t)op};
    struct hd_wire_recorder_header h;
    size_t got = 0;
    uint32_t bad;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_RECORDER, in, sizeof(in), out, sizeof(out), &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if ((bad = hd_wire_decode_recorder(out, got, &h)) != HD_WIRE_OK)
        return dev_reply_fail("recorder", bad), -1;
    if (h.kernel_status != HD_WIRE_SUCCESS)
        return dev_wire_fail("recorder", h.kernel_status), -1;
    if (!rec->have_dropped)
        rec->dropped_at_start = h.dropped, rec->have_dropped = true;
    rec->dropped = h.dropped - rec->dropped_at_start;
    rec->recording = h.recording != 0;
    for (uint32_t i = 0; i < h.count; i++) {
        struct hd_exit_record r;
        bool known = true;
        if ((bad = hd_wire_decode_record(out, got, i, &r)) != HD_WIRE_OK)
            return dev_reply_fail("exit record", bad), -1;
        for (uint32_t k = 0; k < r.fired_count && k < HD_RECORD_FIRED_MAX; k++)
            known = replay_tag(rec, &r.fired[k]) && known;
        if (!known)
            fprintf(rec->out, "# the next exit ran an event without command text here: its "
                              "expect line names the device's ID\n");
        record_write_exit(rec->out, &r);
        rec->exits++;
    }
    fflush(rec->out);
    return (long)h.count;
}

/* Take until a reply is not full; with --follow, poll until a signal or the time is up. The
 * first request switches recording on; with --stop the last one switches it off (and takes
 * what the cores wrote meanwhile). */
static int take_all(struct cli_device *dev, bool follow, long timeout_ms, bool stop,
                    struct recording *rec)
{
    uint32_t op = HD_WIRE_RECORDER_ON;
    long waited = 0;

    for (;;) {
        bool done = !follow || stop_asked || (timeout_ms >= 0 && waited >= timeout_ms);
        long n = take(dev, done && stop ? HD_WIRE_RECORDER_OFF : op, rec);
        if (n < 0)
            return 1;
        op = HD_WIRE_RECORDER_READ;
        if (n == (long)RECORDS_PER_READ)
            continue; /* more may be waiting */
        if (done)
            return 0;
        device_sleep_ms(POLL_MS);
        waited += POLL_MS;
    }
}

static int report(const struct recording *rec, const char *path, bool text)
{
    if (text) {
        printf("recorded %" PRIu64 " exit%s of %" PRIu32 " event%s to ", rec->exits,
               rec->exits == 1 ? "" : "s", rec->count, rec->count == 1 ? "" : "s");
        cli_text_safe_str(stdout, path);
        printf(" (%" PRIu64 " lost); recording is %s\n", rec->dropped,
               rec->recording ? "on" : "off");
        return 0;
    }
    printf("{\"type\":\"recorded\",\"file\":");
    cli_json_string(stdout, path);
    printf(",\"events\":%" PRIu32 ",\"exits\":%" PRIu64 ",\"lost\":%" PRIu64
           ",\"recording\":%s}\n", rec->count, rec->exits, rec->dropped,
           rec->recording ? "true" : "false");
    return 0;
}

static int record_main(int argc, char **argv)
{
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct cli_getopt g;
    struct recording rec;
    const char *path = NULL;
    bool follow = false, stop = false;
    long timeout_ms = -1;
    uint64_t n;
    int c, rc;

    memset(&rec, 0, sizeof(rec));
    dev_opts_init(&o);
    cli_getopt_init(&g, &cli_record, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 'o')
            path = optarg;
        else if (c == OPT_FOLLOW)
            follow = true;
        else if (c == OPT_STOP)
            stop = true;
        else if (c == OPT_TIMEOUT) {
            if (hd_command_number(optarg, strlen(optarg), 86400000u, &n) != HD_OK)
                return cli_usage_error("--timeout %s: milliseconds, 0 to 0n86400000, hex "
                                       "unless prefixed 0n", optarg);
            timeout_ms = (long)n;
        } else if (!dev_common_option(c, &o))
            return g.status;
    }
    if (optind < argc)
        return cli_usage_error("takes no operand: '%s' (the scenario goes to -o FILE or "
                               "stdout)", argv[optind]);
    if (timeout_ms >= 0 && !follow)
        return cli_usage_error("--timeout goes with --follow");
    if (path && !strcmp(path, "-"))
        path = NULL;
    if (dev_open(&o, &dev))
        return 1;
    rec.out = path ? fopen(path, "w") : stdout;
    if (!rec.out) {
        char msg[600];
        snprintf(msg, sizeof(msg), "-o %s: cannot create the file", path);
        device_close(dev);
        return cli_fail("io", msg);
    }
    if (follow) {
        signal(SIGINT, on_stop);
        signal(SIGTERM, on_stop);
    }
    fprintf(rec.out, "# recorded by hdevent record: replay with hdevent run --cores 0n%" PRIu32
                     " FILE\n", device_core_count());
    rc = write_commands(dev, &rec);
    if (rc == 0)
        rc = take_all(dev, follow, timeout_ms, stop, &rec);
    if (rec.out != stdout) {
        bool ok = fflush(rec.out) == 0 && !ferror(rec.out);
        if (fclose(rec.out) != 0 || !ok)
            rc = cli_fail("io", "-o: writing the recording failed");
    }
    if (rc == 0 && path)
        rc = report(&rec, path, o.text);
    device_close(dev);
    free(rec.tags);
    return rc;
}
