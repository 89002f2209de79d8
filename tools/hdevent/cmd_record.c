/* SPDX-License-Identifier: MIT */
/*
 * hdevent record [--follow [--timeout MS]] [--stop] [-o FILE]: the device's flight recorder
 * (HD_IOCTL_RECORDER) as a scenario that `hdevent run FILE` replays on the host (docs/cli.md).
 * hdevent record --from DUMP [-o FILE]: the same scenario from a recorder dump (record_dump.h),
 * the replies a machine without a device wrote on its console (the bare-metal Bochs image).
 *
 * The scenario starts with the commands of the registered events, their text as the kernel
 * keeps it (`hdevent add` gave it: HD_IOCTL_EVENT_COMMAND), each followed by `events d N` when
 * the event is disabled; then each recorded exit as a `vmcall` line and an `expect` line,
 * written by record_scenario.c as `run --record` writes them. The replay numbers its events
 * from 0 in the order of the commands, so the fired tags are renumbered the same way (the
 * device's IDs may have gaps: cleared events keep their numbers). The list is taken at the
 * start, and again when an exit fired an event it does not hold (added while `--follow`
 * runs): the new commands are written before that exit, so the replay registers them there.
 */
#include "cli.h"
#include "device_cli.h"
#include "record_dump.h"
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

enum { OPT_FOLLOW = CLI_LONG_ONLY, OPT_TIMEOUT, OPT_STOP, OPT_FROM };

/* The events written so far: the device tag of the replay's event i. */
struct recording {
    FILE *out;
    struct cli_device *dev; /* NULL with --from */
    uint64_t *tags;
    uint32_t count;
    uint64_t *listed;       /* every tag the event list gave, with command text or not */
    uint32_t listed_count;
    uint64_t exits;
    uint64_t dropped_at_start;
    bool have_dropped;
    uint64_t dropped;
    bool recording;   /* after the last request */
    const char *from; /* the dump's name in messages (--from; stdin), NULL for the device */
};

static int record_main(int argc, char **argv);

const struct cli_spec cli_record = {
    .name = "record",
    .summary = "record the exits of a loaded kernel backend as a scenario run replays",
    .synopsis = "[-t] [-d PATH] [--follow [--timeout MS]] [--stop] [-o FILE]\n"
                "       hdevent record [-t] --from FILE [-o FILE]",
    .description =
        "Switch the kernel's flight recorder on and write a scenario: the commands of the\n"
        "registered events (their text, as `events` lists it), then each exit recorded so\n"
        "far as a `vmcall` line (the registers before) and an `expect` line (what the exit\n"
        "did), so that `hdevent run FILE` replays the recording on the host and reports\n"
        "every difference. Recording stays on for the next `record` unless --stop.\n"
        "With --from, no device: the events and exits come from a recorder dump, the\n"
        "recorder-* lines a machine wrote on its console (the bare-metal Bochs image).\n"
        "Without -o the scenario goes to stdout; with it, a `recorded` record does.",
    .options = "  -o, --output FILE      write the scenario to FILE\n"
               "      --follow           keep taking exits until SIGINT or SIGTERM\n"
               "      --timeout MS       with --follow: stop after about MS milliseconds\n"
               "                         (hex unless prefixed 0n)\n"
               "      --stop             switch recording off at the end\n"
               "      --from FILE        read a recorder dump (a console log will do; - is\n"
               "                         stdin) instead of the device\n" DEV_COMMON_HELP,
    .examples = "  hdevent record -o /dev/null                 # switch recording on\n"
                "  hdevent record --stop -o run1.scenario\n"
                "  hdevent record --follow -o run2.scenario    # until Ctrl-C\n"
                "  hdevent record --from serial.log -o run3.scenario\n",
    .shortopts = "o:" DEV_COMMON_SHORT,
    .longopts = (const struct option[]){{"output", required_argument, NULL, 'o'},
                                        {"follow", no_argument, NULL, OPT_FOLLOW},
                                        {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                        {"stop", no_argument, NULL, OPT_STOP},
                                        {"from", required_argument, NULL, OPT_FROM},
                                        DEV_COMMON_LONG,
                                        {0}},
    .main = record_main,
};

/*
 * The register Linux's hdevent.ko reads `nr` events' numbers from when it is not rcx (its
 * nr_reg parameter), for the replay line: `run` must read the same one. NULL when it is rcx,
 * or on a system without that module.
 */
static const char *module_nr_reg(void)
{
    static char name[8];
#ifdef __linux__
    static bool read;

    if (!read) {
        FILE *f = fopen("/sys/module/hdevent/parameters/nr_reg", "r");
        read = true;
        if (f && fgets(name, sizeof(name), f))
            name[strcspn(name, "\n")] = '\0';
        if (f)
            fclose(f);
        int reg = hd_guest_reg_index(name, strlen(name));
        if (reg >= 0 && (unsigned)reg != HD_GUEST_REG_RCX)
            return name;
        name[0] = '\0'; /* rcx, or not a register name: leave the line as it is */
    }
#endif
    return name[0] ? name : NULL;
}

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
    (void)sig;
    stop_asked = 1;
}

/* Whether the event list gave @p tag already; else remember it. false: out of memory too. */
static bool listed_before(struct recording *rec, uint64_t tag, bool *oom)
{
    uint64_t *grown;

    *oom = false;
    for (uint32_t i = 0; i < rec->listed_count; i++)
        if (rec->listed[i] == tag)
            return true;
    grown = realloc(rec->listed, (rec->listed_count + 1) * sizeof(*grown));
    if (!grown)
        return *oom = true, false;
    rec->listed = grown;
    rec->listed[rec->listed_count++] = tag;
    return false;
}

/* The commands of the registered events not written yet, in tag order. @return 0, or 1
 * (printed). */
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
            bool oom;
            int have;
            if (bad != HD_WIRE_OK) {
                dev_reply_fail("event list", bad);
                goto done;
            }
            if (listed_before(rec, e.tag, &oom))
                continue; /* written (or said to have no text) by an earlier listing */
            if (oom) {
                cli_fail("memory", "out of memory");
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

/* The fired tags of @p r as the replay's; false when one is not among the commands written
 * (it keeps the device's tag). */
static bool replay_tags(const struct recording *rec, struct hd_exit_record *r)
{
    bool known = true;

    for (uint32_t k = 0; k < r->fired_count && k < HD_RECORD_FIRED_MAX; k++)
        known = replay_tag(rec, &r->fired[k]) && known;
    return known;
}

/* A reply the decoders refused (@p code) or a recorder that refused the request (@p status):
 * the device's error records, or for a dump one naming the file (the line is set) and, for a
 * reply of the wrong size, @p got bytes against what its header counts. @return 1. */
static int reply_fail(const struct recording *rec, const char *what, uint32_t code,
                      uint32_t status, const uint8_t *reply, size_t got)
{
    char msg[900], size[200] = "";

    if (!rec->from)
        return code ? dev_reply_fail(what, code) : dev_wire_fail(what, status);
    if ((code == HD_WIRE_ERR_TRUNCATED || code == HD_WIRE_ERR_TRAILING_BYTES) &&
        got >= HD_WIRE_RECORDER_HEADER_SIZE) {
        uint32_t count = (uint32_t)reply[4] | (uint32_t)reply[5] << 8 |
                         (uint32_t)reply[6] << 16 | (uint32_t)reply[7] << 24;
        snprintf(size, sizeof(size), ": %zu bytes, where a header counting %" PRIu32
                 " records makes %" PRIu64, got, count,
                 HD_WIRE_RECORDER_HEADER_SIZE + (uint64_t)count * HD_WIRE_RECORD_SIZE);
    } else if (code == HD_WIRE_ERR_TRUNCATED) {
        snprintf(size, sizeof(size), ": %zu bytes, less than the %u of a header", got,
                 HD_WIRE_RECORDER_HEADER_SIZE);
    }
    if (code)
        snprintf(msg, sizeof(msg), "%s: the %s reply was refused: %s%s", rec->from, what,
                 hd_wire_error_name(code), size[0] ? size : "");
    else
        snprintf(msg, sizeof(msg), "%s: the recorder had refused its request: %s (0x%08" PRIX32
                 "): the reply holds no records", rec->from, hd_wire_error_name(status), status);
    return cli_fail("dump", msg);
}

/* Every record of one recorder reply (@p got bytes at @p out) as scenario lines. @return the
 * number of records (a full reply means more may wait), or -1 (printed). */
static long write_reply(struct recording *rec, const uint8_t *out, size_t got)
{
    struct hd_wire_recorder_header h;
    uint32_t bad;

    if ((bad = hd_wire_decode_recorder(out, got, &h)) != HD_WIRE_OK)
        return reply_fail(rec, "recorder", bad, 0, out, got), -1;
    if (h.kernel_status != HD_WIRE_SUCCESS)
        return reply_fail(rec, "recorder", 0, h.kernel_status, out, got), -1;
    if (!rec->have_dropped)
        rec->dropped_at_start = h.dropped, rec->have_dropped = true;
    rec->dropped = h.dropped - rec->dropped_at_start;
    rec->recording = h.recording != 0;
    for (uint32_t i = 0; i < h.count; i++) {
        struct hd_exit_record r;
        uint64_t device_tags[HD_RECORD_FIRED_MAX];
        bool known;
        if ((bad = hd_wire_decode_record(out, got, i, &r)) != HD_WIRE_OK)
            return reply_fail(rec, "exit record", bad, 0, out, got), -1;
        memcpy(device_tags, r.fired, sizeof(device_tags));
        known = replay_tags(rec, &r);
        if (!known && rec->dev) { /* added since the list was taken: its command goes here */
            if (write_commands(rec->dev, rec))
                return -1;
            memcpy(r.fired, device_tags, sizeof(device_tags));
            known = replay_tags(rec, &r);
        }
        if (!known)
            fprintf(rec->out, "# the next exit ran an event without command text here: its "
                              "expect line names the device's ID\n");
        record_write_exit(rec->out, &r);
        rec->exits++;
    }
    fflush(rec->out);
    return (long)h.count;
}

/* One recorder request: @p op, then every record of its reply written. @return as
 * write_reply(). */
static long take(struct cli_device *dev, uint32_t op, struct recording *rec)
{
    static uint8_t out[HD_WIRE_RECORDER_HEADER_SIZE + RECORDS_PER_READ * HD_WIRE_RECORD_SIZE];
    uint8_t in[HD_WIRE_RECORDER_REQUEST_SIZE] = {(uint8_t)op};
    size_t got = 0;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_RECORDER, in, sizeof(in), out, sizeof(out), &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    return write_reply(rec, out, got);
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

/* --from: every reply of the dump through the decoders before anything is written, so a bad
 * dump leaves no scenario behind. @return 0, or 1 (printed, with the reply's line). */
static int check_dump(const struct record_dump *d, const struct recording *rec)
{
    for (uint32_t i = 0; i < d->reply_count; i++) {
        const struct record_dump_reply *p = &d->replies[i];
        struct hd_wire_recorder_header h;
        struct hd_exit_record r;
        uint32_t bad;
        int rc = 0;

        cli_set_line(p->line);
        if ((bad = hd_wire_decode_recorder(p->bytes, p->len, &h)) != HD_WIRE_OK)
            rc = reply_fail(rec, "recorder", bad, 0, p->bytes, p->len);
        else if (h.kernel_status != HD_WIRE_SUCCESS)
            rc = reply_fail(rec, "recorder", 0, h.kernel_status, p->bytes, p->len);
        for (uint32_t k = 0; rc == 0 && k < h.count; k++)
            if ((bad = hd_wire_decode_record(p->bytes, p->len, k, &r)) != HD_WIRE_OK) {
                char what[48];
                snprintf(what, sizeof(what), "exit record %" PRIu32 " (from 0) of the", k);
                rc = reply_fail(rec, what, bad, 0, p->bytes, p->len);
            }
        cli_set_line(0);
        if (rc)
            return rc;
    }
    return 0;
}

/* --from: the dump's events as commands, then its replies' records, as the device's would be.
 * The dump holds its own history, so what its last reply counts as lost is all lost. */
static int write_dump(const struct record_dump *d, struct recording *rec)
{
    rec->have_dropped = true; /* dropped_at_start 0 */
    for (uint32_t i = 0; i < d->event_count; i++) {
        const struct record_dump_event *e = &d->events[i];
        uint64_t *tags;
        if (!e->text[0]) {
            fprintf(rec->out, "# event %" PRIu64 " has no command text in the dump: its exits "
                              "name it as event ?\n", HD_EVENT_ID(e->tag));
            continue;
        }
        if (!(tags = realloc(rec->tags, (rec->count + 1) * sizeof(*tags))))
            return cli_fail("memory", "out of memory");
        rec->tags = tags;
        rec->tags[rec->count] = e->tag;
        record_write_command(rec->out, e->text);
        if (!e->enabled)
            fprintf(rec->out, "events d 0n%" PRIu32 "\n", rec->count);
        rec->count++;
    }
    for (uint32_t i = 0; i < d->reply_count; i++) {
        long n;
        cli_set_line(d->replies[i].line);
        n = write_reply(rec, d->replies[i].bytes, d->replies[i].len);
        cli_set_line(0);
        if (n < 0)
            return 1;
    }
    return 0;
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
    struct record_dump dump;
    const char *path = NULL, *nr_reg;
    bool follow = false, stop = false, device_named = false;
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
        else if (c == OPT_FROM)
            rec.from = optarg;
        else if (c == OPT_TIMEOUT) {
            if (hd_command_number(optarg, strlen(optarg), 86400000u, &n) != HD_OK)
                return cli_usage_error("--timeout %s: milliseconds, 0 to 0n86400000, hex "
                                       "unless prefixed 0n", optarg);
            timeout_ms = (long)n;
        } else if (!dev_common_option(c, &o))
            return g.status;
        device_named |= c == 'd';
    }
    if (optind < argc)
        return cli_usage_error("takes no operand: '%s' (the scenario goes to -o FILE or "
                               "stdout)", argv[optind]);
    if (timeout_ms >= 0 && !follow)
        return cli_usage_error("--timeout goes with --follow");
    if (rec.from && (follow || stop || device_named))
        return cli_usage_error("--from reads a dump, not the device: it takes no %s",
                               device_named ? "-d" : follow ? "--follow" : "--stop");
    if (path && !strcmp(path, "-"))
        path = NULL;
    if (rec.from) {
        const char *from = rec.from;
        rec.from = strcmp(from, "-") ? from : "stdin";
        if (record_dump_read(from, &dump))
            return 1; /* read and checked whole before -o FILE is made: a bad dump leaves none */
        if (check_dump(&dump, &rec)) {
            record_dump_free(&dump);
            return 1;
        }
    } else if (dev_open(&o, &dev)) {
        return 1;
    }
    rec.dev = dev;
    rec.out = path ? fopen(path, "w") : stdout;
    if (!rec.out) {
        char msg[600];
        snprintf(msg, sizeof(msg), "-o %s: cannot create the file", path);
        if (dev)
            device_close(dev);
        else
            record_dump_free(&dump);
        return cli_fail("io", msg);
    }
    if (follow) {
        signal(SIGINT, on_stop);
        signal(SIGTERM, on_stop);
    }
    nr_reg = rec.from ? NULL : module_nr_reg();
    fprintf(rec.out, "# recorded by hdevent record: replay with hdevent run --cores 0n%" PRIu32
                     "%s%s FILE\n", rec.from ? dump.cores : device_core_count(),
            nr_reg ? " --nr-reg " : "", nr_reg ? nr_reg : "");
    if (rec.from) {
        rc = write_dump(&dump, &rec);
        record_dump_free(&dump);
    } else {
        rc = write_commands(dev, &rec);
        if (rc == 0)
            rc = take_all(dev, follow, timeout_ms, stop, &rec);
    }
    if (rec.out != stdout) {
        bool ok = fflush(rec.out) == 0 && !ferror(rec.out);
        if (fclose(rec.out) != 0 || !ok)
            rc = cli_fail("io", "-o: writing the recording failed");
    }
    if (rc == 0 && path)
        rc = report(&rec, path, o.text);
    if (dev)
        device_close(dev);
    free(rec.tags);
    free(rec.listed);
    return rc;
}
