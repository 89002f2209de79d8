/*
 * The subcommands that talk to a loaded kernel backend (docs/cli.md, docs/backends/linux.md):
 *
 *   hdevent add [--strict] '<!vmcall command>'      register an event and its actions
 *   hdevent events [e|d|c ID|all]                    list, enable, disable, clear
 *   hdevent read [--follow] [--timeout MS]           take queued messages
 *   hdevent selftest-vmcall core=N [pid=N] [cpl=N] [rip=N] [len=N] [rax=N ... r15=N]
 *                                                    a synthetic VMCALL exit on core N
 *
 * Each takes --device PATH (default device_default_path()) and --text. Buffers are built by
 * the library's encoders and read through wire.h's layouts; the OS is reached only through
 * device.h, so this file is the same on Linux and Windows.
 *
 * Tags: the kernel accepts a new event only with a tag above every tag it has given out
 * (HyperDbg's numbering, S19). `add` asks HD_IOCTL_LIST_EVENTS for next_tag and registers with
 * it; when another client registered in between, the kernel answers HD_WIRE_ERR_TAG_IN_USE
 * and `add` asks again (a few times). The event is registered disabled and enabled only after
 * its last action is in, so no exit ever runs it with half of its actions; if an action is
 * refused, the event is cleared again and nothing stays behind.
 */
#include "cli.h"
#include "device.h"

#include <hdevent/command.h>
#include <hdevent/dispatch.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define ADD_ATTEMPTS 8
#define READ_BYTES (64u * 1024u)

static bool text_out; /* --text of the running subcommand */

struct opts {
    const char *device;
    bool text;
    bool strict;
    bool follow;
    long timeout_ms; /* --follow: stop after this long without a message; -1 = never */
    int argc;        /* what is left after the options */
    char *argv[32];
};

/* Split the common options from the words; @return 0, or 2 for a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->device = device_default_path();
    o->timeout_ms = -1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            o->device = argv[++i];
        else if (!strcmp(argv[i], "--text"))
            o->text = true;
        else if (!strcmp(argv[i], "--strict"))
            o->strict = true;
        else if (!strcmp(argv[i], "--follow"))
            o->follow = true;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            char *end;
            o->timeout_ms = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || o->timeout_ms < 0 || o->timeout_ms > INT_MAX)
                return cli_fail("usage", "--timeout takes milliseconds (decimal, 0 or more)"), 2;
        }
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage();
        else if (o->argc < (int)(sizeof(o->argv) / sizeof(o->argv[0])))
            o->argv[o->argc++] = argv[i];
        else
            return cli_usage();
    }
    cli_set_text(o->text);
    text_out = o->text;
    return 0;
}

static int open_device(const struct opts *o, struct cli_device **dev)
{
    char err[512];
    if (device_open(o->device, dev, err, sizeof(err)) != 0)
        return cli_fail("device", err);
    return 0;
}

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const uint8_t *b)
{
    return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

/* A wire rejection: {"type":"error","error":"0xC...","name":...,"request":...,"message":...}. */
static int wire_fail(const char *request, uint32_t code)
{
    char what[256];
    snprintf(what, sizeof(what), "%s: %s (0x%08" PRIX32 ")", request, hd_wire_error_str(code),
             code);
    if (text_out) {
        printf("error: %s\n", what);
        return 1;
    }
    printf("{\"type\":\"error\",\"error\":\"0x%08" PRIX32 "\",\"name\":\"%s\",\"request\":",
           code, hd_wire_error_name(code));
    cli_json_string(stdout, request);
    printf(",\"message\":");
    cli_json_string(stdout, what);
    printf("}\n");
    return 1;
}

/* One IOCTL whose result is DEBUGGER_EVENT_AND_ACTION_RESULT: @return its code, or -1 (OS). */
static int64_t send_result(struct cli_device *dev, uint32_t code, const void *in, size_t len)
{
    uint8_t out[HD_WIRE_RESULT_SIZE];
    size_t got = 0;
    char err[512];

    if (device_ioctl(dev, code, in, len, out, sizeof(out), &got, err, sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if (got < HD_WIRE_RESULT_SIZE)
        return cli_fail("device", "the kernel returned a short result"), -1;
    return rd32(out + 4);
}

/* Modify request: @return its KernelStatus, or -1 (OS error, printed). */
static int64_t send_modify(struct cli_device *dev, uint64_t tag, uint32_t type, bool *enabled)
{
    uint8_t m[HD_WIRE_MODIFY_SIZE];
    size_t got = 0;
    char err[512];

    hd_wire_encode_modify(tag, type, m);
    if (device_ioctl(dev, HD_IOCTL_MODIFY_EVENTS, m, sizeof(m), m, sizeof(m), &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if (got < HD_WIRE_MODIFY_SIZE)
        return cli_fail("device", "the kernel returned a short modify result"), -1;
    if (enabled)
        *enabled = m[20] != 0;
    return (int64_t)(uint32_t)rd64(m + 8);
}

/* LIST_EVENTS after @after into @out; @return bytes, or -1 (printed). */
static long list_page(struct cli_device *dev, uint64_t after, uint8_t *out, size_t out_len)
{
    struct hd_wire_list_request rq = {.after_tag = after};
    size_t got = 0;
    char err[512];

    if (device_ioctl(dev, HD_IOCTL_LIST_EVENTS, &rq, sizeof(rq), out, out_len, &got, err,
                     sizeof(err)) != 0)
        return cli_fail("device", err), -1;
    if (got < HD_WIRE_LIST_HEADER_SIZE || rd32(out) != HD_WIRE_SUCCESS ||
        got < HD_WIRE_LIST_HEADER_SIZE + (size_t)rd32(out + 4) * HD_WIRE_LIST_ENTRY_SIZE)
        return got >= 4 ? wire_fail("list events", rd32(out)) : cli_fail("device", "short list"),
               -1;
    return (long)got;
}

/* ---- add ----------------------------------------------------------------------------------- */

/* Register the event disabled, with the next free tag; @return the tag, 0 on failure (printed). */
static uint64_t register_event(struct cli_device *dev, struct hd_event_desc *event)
{
    uint8_t page[HD_WIRE_LIST_HEADER_SIZE];
    bool enabled = event->enabled;
    uint64_t result = 0;
    int attempt;

    event->enabled = false; /* enabled once every action is in */
    for (attempt = 0; attempt < ADD_ATTEMPTS; attempt++) {
        uint8_t *buf;
        size_t len;
        int64_t code;
        uint64_t tag;
        enum hd_status st;

        if (list_page(dev, HD_TAG_ALL, page, sizeof(page)) < 0)
            break;
        tag = rd64(page + 8);
        st = hd_wire_encode_event(event, tag, &buf, &len);
        if (st != HD_OK) {
            cli_fail(hd_status_name(st), hd_status_str(st));
            break;
        }
        code = send_result(dev, HD_IOCTL_REGISTER_EVENT, buf, len);
        free(buf);
        if (code == HD_WIRE_ERR_TAG_IN_USE)
            continue; /* another client took it: ask again */
        if (code == HD_WIRE_OK)
            result = tag;
        else if (code >= 0)
            wire_fail("register event", (uint32_t)code);
        break;
    }
    if (attempt == ADD_ATTEMPTS)
        cli_fail("busy", "other clients kept taking the next tag; nothing was registered, "
                         "try again");
    event->enabled = enabled;
    return result;
}

static int add_actions(struct cli_device *dev, const struct hd_event_desc *event, uint64_t tag)
{
    for (uint32_t i = 0; i < event->action_count; i++) {
        uint8_t *buf;
        size_t len;
        int64_t code;
        enum hd_status st = hd_wire_encode_action(&event->actions[i], tag, &buf, &len);

        if (st != HD_OK)
            return cli_fail(hd_status_name(st), hd_status_str(st));
        code = send_result(dev, HD_IOCTL_ADD_ACTION, buf, len);
        free(buf);
        if (code < 0)
            return 1;
        if (code != HD_WIRE_OK)
            return wire_fail("add action", (uint32_t)code);
    }
    return 0;
}

int cmd_add(int argc, char **argv)
{
    struct opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    uint64_t tag;
    int rc = parse_opts(argc, argv, &o);

    if (rc || o.argc != 1)
        return rc ? rc : cli_usage();
    if (cli_command_load(o.argv[0], o.strict, o.text, &cmd) != 0)
        return 1;
    if (cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return cli_fail("usage", "add takes a !vmcall command; use `hdevent events ...` for "
                                 "events commands");
    }
    if (open_device(&o, &dev)) {
        hd_command_free(&cmd);
        return 1;
    }
    tag = register_event(dev, &cmd.event);
    rc = tag ? add_actions(dev, &cmd.event, tag) : 1;
    if (tag && rc == 0 && cmd.event.enabled &&
        send_modify(dev, tag, HD_WIRE_MODIFY_ENABLE, NULL) != HD_WIRE_SUCCESS)
        rc = cli_fail("device", "the event was registered but could not be enabled");
    if (tag && rc != 0)
        send_modify(dev, tag, HD_WIRE_MODIFY_CLEAR, NULL); /* leave nothing half-made behind */
    else if (tag && o.text)
        printf("event %" PRIu64 " added (tag 0x%" PRIx64 ", %" PRIu32 " action%s)\n",
               HD_EVENT_ID(tag), tag, cmd.event.action_count,
               cmd.event.action_count == 1 ? "" : "s");
    else if (tag)
        printf("{\"type\":\"added\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
               "\",\"actions\":%" PRIu32 ",\"enabled\":%s}\n",
               HD_EVENT_ID(tag), tag, cmd.event.action_count,
               cmd.event.enabled ? "true" : "false");
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}

/* ---- events -------------------------------------------------------------------------------- */

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
        long got = list_page(dev, after, page, sizeof(page));
        if (got < 0)
            return 1;
        for (uint32_t i = 0; i < rd32(page + 4); i++, n++) {
            const uint8_t *e = page + HD_WIRE_LIST_HEADER_SIZE + i * HD_WIRE_LIST_ENTRY_SIZE;
            uint64_t tag = rd64(e);
            if (text) {
                printf("%" PRIu64 " (%s) core 0x%" PRIx32 " pid 0x%" PRIx32 " stage %s sc %s "
                       "condition %s actions %" PRIu32 " hits %" PRIu64 "\n",
                       HD_EVENT_ID(tag), e[20] ? "enabled" : "disabled", rd32(e + 8),
                       rd32(e + 12), cli_stage_name((enum hd_stage)rd32(e + 16)),
                       e[21] ? "on" : "off", condition_name(e[22]), rd32(e + 24), rd64(e + 32));
                continue;
            }
            printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
                   "\",\"enabled\":%s,\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32
                   "\",\"stage\":\"%s\",\"short_circuit\":%s,\"condition\":\"%s\","
                   "\"actions\":%" PRIu32 ",\"hits\":%" PRIu64 "}\n",
                   HD_EVENT_ID(tag), tag, e[20] ? "true" : "false", rd32(e + 8), rd32(e + 12),
                   cli_stage_name((enum hd_stage)rd32(e + 16)), e[21] ? "true" : "false",
                   condition_name(e[22]), rd32(e + 24), rd64(e + 32));
        }
        if (!rd32(page + 24))
            break;
        after = rd64(page + 16);
    }
    if (text && n == 0)
        printf("no events\n");
    return 0;
}

int cmd_events(int argc, char **argv)
{
    static const char *verbs[] = {"query", "enable", "disable", "clear"};
    static const char *done[] = {"queried", "enabled", "disabled", "cleared"};
    struct opts o;
    struct cli_device *dev = NULL;
    struct hd_command cmd;
    char text[128];
    uint32_t type;
    int64_t code;
    int rc = parse_opts(argc, argv, &o);

    if (rc || o.argc > 2)
        return rc ? rc : cli_usage();
    /* The parser knows `events e|d|c ID|all` and its errors: hand it the same words. */
    snprintf(text, sizeof(text), "events%s%s%s%s", o.argc ? " " : "", o.argc ? o.argv[0] : "",
             o.argc > 1 ? " " : "", o.argc > 1 ? o.argv[1] : "");
    if (cli_command_load(text, false, o.text, &cmd) != 0)
        return 1;
    switch (cmd.kind) {
    case HD_COMMAND_EVENTS_LIST:
        type = HD_WIRE_MODIFY_QUERY;
        break;
    case HD_COMMAND_EVENTS_ENABLE:
        type = HD_WIRE_MODIFY_ENABLE;
        break;
    case HD_COMMAND_EVENTS_DISABLE:
        type = HD_WIRE_MODIFY_DISABLE;
        break;
    case HD_COMMAND_EVENTS_CLEAR:
        type = HD_WIRE_MODIFY_CLEAR;
        break;
    default:
        hd_command_free(&cmd);
        return cli_fail("usage", "events sc on|off changes the event a debugger is paused in; "
                                 "use sc on in the !vmcall command");
    }
    if (open_device(&o, &dev)) {
        hd_command_free(&cmd);
        return 1;
    }
    if (type == HD_WIRE_MODIFY_QUERY) {
        rc = list_all(dev, o.text);
    } else {
        code = send_modify(dev, cmd.tag, type, NULL);
        rc = code == HD_WIRE_SUCCESS ? 0 : 1;
        if (code >= 0 && code != HD_WIRE_SUCCESS)
            wire_fail(verbs[type], (uint32_t)code);
        else if (code == HD_WIRE_SUCCESS && o.text && cmd.tag == HD_TAG_ALL)
            printf("%s every event\n", done[type]);
        else if (code == HD_WIRE_SUCCESS && o.text)
            printf("%s event %" PRIu64 "\n", done[type], cmd.id);
        else if (code == HD_WIRE_SUCCESS && cmd.tag == HD_TAG_ALL)
            printf("{\"type\":\"modified\",\"action\":\"%s\",\"id\":\"all\"}\n", verbs[type]);
        else if (code == HD_WIRE_SUCCESS)
            printf("{\"type\":\"modified\",\"action\":\"%s\",\"id\":%" PRIu64 "}\n",
                   verbs[type], cmd.id);
    }
    device_close(dev);
    hd_command_free(&cmd);
    return rc;
}

/* ---- read ---------------------------------------------------------------------------------- */

/* Bytes before the first NUL in the first @p max bytes (strnlen is POSIX, not C11). */
static size_t text_length(const uint8_t *p, size_t max)
{
    const uint8_t *nul = memchr(p, 0, max);
    return nul ? (size_t)(nul - p) : max;
}

/* Print the records in @p b; @return messages printed, or -1 for a malformed record. */
static long print_records(const uint8_t *b, size_t n, bool text)
{
    long count = 0;

    for (size_t off = 0; off < n; count++) {
        uint64_t tag;
        uint32_t core, size, length, flags;
        size_t rec, text_len;

        if (n - off < HD_WIRE_MESSAGE_HEADER_SIZE)
            return -1;
        tag = rd64(b + off);
        core = rd32(b + off + 8);
        size = rd32(b + off + 12);
        length = rd32(b + off + 16);
        flags = rd32(b + off + 20);
        rec = HD_WIRE_MESSAGE_HEADER_SIZE + (((size_t)length + 7) & ~(size_t)7);
        if (length > n - off - HD_WIRE_MESSAGE_HEADER_SIZE || rec > n - off)
            return -1;
        /* Custom code hands back a buffer; what people read is the C string at its start. */
        text_len = text_length(b + off + HD_WIRE_MESSAGE_HEADER_SIZE, length);
        if (text) {
            printf("message from event %" PRIu64 " on core %" PRIu32 ": \"%.*s\"%s\n",
                   HD_EVENT_ID(tag), core, (int)text_len,
                   (const char *)b + off + HD_WIRE_MESSAGE_HEADER_SIZE,
                   (flags & HD_WIRE_MESSAGE_TRUNCATED) ? " (truncated)" : "");
        } else {
            printf("{\"type\":\"message\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
                   "\",\"core\":%" PRIu32 ",\"text\":",
                   HD_EVENT_ID(tag), tag, core);
            cli_json_bytes(stdout, b + off + HD_WIRE_MESSAGE_HEADER_SIZE, text_len);
            printf(",\"bytes\":%" PRIu32 ",\"immediate\":%s,\"truncated\":%s}\n", size,
                   (flags & HD_WIRE_MESSAGE_IMMEDIATE) ? "true" : "false",
                   (flags & HD_WIRE_MESSAGE_TRUNCATED) ? "true" : "false");
        }
        off += rec;
    }
    fflush(stdout);
    return count;
}

int cmd_read(int argc, char **argv)
{
    struct opts o;
    struct cli_device *dev = NULL;
    uint8_t *buf;
    long total = 0;
    char err[512];
    int rc = parse_opts(argc, argv, &o);

    if (rc || o.argc)
        return rc ? rc : cli_usage();
    buf = malloc(READ_BYTES);
    if (!buf)
        return cli_fail("memory", "out of memory");
    if (open_device(&o, &dev)) {
        free(buf);
        return 1;
    }
    for (;;) {
        size_t got = 0;
        long n;
        int w;

        if (device_read(dev, buf, READ_BYTES, &got, err, sizeof(err)) != 0) {
            rc = cli_fail("device", err);
            break;
        }
        n = print_records(buf, got, o.text);
        if (n < 0) {
            rc = cli_fail("device", "the kernel returned a malformed message record");
            break;
        }
        total += n;
        if (got)
            continue; /* drain before waiting */
        if (!o.follow)
            break;
        w = device_wait(dev, o.timeout_ms < 0 ? -1 : (int)o.timeout_ms, err, sizeof(err));
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

/* ---- selftest-vmcall --------------------------------------------------------------------- */

/* key=value words into @p in; @return 0, or 1 (printed). */
static int parse_exit_words(const struct opts *o, struct hd_wire_selftest *in)
{
    uint32_t seen = 0;

    memset(in, 0, sizeof(*in));
    in->core = HD_ALL;
    for (int i = 0; i < o->argc; i++) {
        char *w = o->argv[i], *eq = strchr(w, '=');
        unsigned key = 99;
        uint64_t v, max = UINT64_MAX;
        char what[160];
        size_t klen = eq ? (size_t)(eq - w) : 0;
        static const char *const extra[] = {"core", "pid", "cpl", "rip", "len"};
        static const uint64_t extra_max[] = {HD_ALL - 1u, UINT32_MAX, 3, UINT64_MAX, 15};

        if (!eq || !klen)
            return snprintf(what, sizeof(what), "'%s': exit words are key=value (core=, pid=, "
                            "cpl=, rip=, len=, rax= ... r15=)", w), cli_fail("usage", what);
        for (unsigned k = 0; k < HD_GUEST_REG_COUNT && key == 99; k++)
            if (strlen(hd_guest_reg_name(k)) == klen && !strncmp(w, hd_guest_reg_name(k), klen))
                key = k;
        for (unsigned k = 0; k < 5 && key == 99; k++)
            if (strlen(extra[k]) == klen && !strncmp(w, extra[k], klen))
                key = 16 + k, max = extra_max[k];
        if (key == 99)
            return snprintf(what, sizeof(what), "unknown exit word '%.*s': use core=, pid=, "
                            "cpl=, rip=, len= or a register rax= ... r15=", (int)klen, w),
                   cli_fail("usage", what);
        if (seen & (1u << key))
            return snprintf(what, sizeof(what), "'%.*s' given twice", (int)klen, w),
                   cli_fail("usage", what);
        seen |= 1u << key;
        if (hd_command_number(eq + 1, strlen(eq + 1), max, &v) != HD_OK)
            return snprintf(what, sizeof(what), "%s: not a number up to 0x%" PRIx64 " (hex by "
                            "default, prefix 0n for decimal)", w, max), cli_fail("usage", what);
        if (key < 16)
            *hd_guest_reg(&in->regs, key) = v;
        else if (key == 16)
            in->core = (uint32_t)v;
        else if (key == 17)
            in->pid = (uint32_t)v, in->flags |= HD_WIRE_SELFTEST_PID_GIVEN;
        else if (key == 18)
            in->cpl = (uint8_t)v;
        else if (key == 19)
            in->rip = v;
        else
            in->insn_len = (uint32_t)v;
    }
    if (!(seen & (1u << 16)))
        return cli_fail("usage", "selftest-vmcall needs core=<hex>: the core the exit runs on");
    return 0;
}

static void print_exit(const struct hd_wire_selftest *in, const struct hd_wire_selftest_result *r,
                       bool text)
{
    bool sc = r->verdict & HD_VERDICT_SHORT_CIRCUIT, prot = r->verdict & HD_VERDICT_PROTECTED;
    bool brk = r->verdict & HD_VERDICT_BREAK;
    bool dflt = r->result_flags & HD_WIRE_SELFTEST_DEFAULT_RAN;
    bool post = r->result_flags & HD_WIRE_SELFTEST_POST_RAN;

    if (text) {
        printf("exit core %" PRIu32 " pid 0x%" PRIx32 " cpl %u: fired %" PRIu32 " pre, %" PRIu32
               " post%s%s%s%s\n",
               r->core, r->pid, in->cpl, r->fired_pre, r->fired_post,
               sc ? ", short-circuited" : "", prot ? ", protected" : "",
               brk ? ", break" : "", dflt ? ", default handling ran" : "");
        for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
            uint64_t a = *hd_guest_reg((struct hd_guest_regs *)&in->regs, i);
            uint64_t b = *hd_guest_reg((struct hd_guest_regs *)&r->regs, i);
            if (a != b)
                printf("  %s: 0x%" PRIx64 " -> 0x%" PRIx64 "\n", hd_guest_reg_name(i), a, b);
        }
        return;
    }
    printf("{\"type\":\"exit\",\"core\":%" PRIu32 ",\"pid\":%" PRIu32 ",\"cpl\":%u,"
           "\"fired\":%" PRIu32 ",\"fired_post\":%" PRIu32 ",\"short_circuit\":%s,"
           "\"protected\":%s,\"break\":%s,\"default_handled\":%s,\"post_ran\":%s,\"regs\":{",
           r->core, r->pid, in->cpl, r->fired_pre, r->fired_post, sc ? "true" : "false",
           prot ? "true" : "false", brk ? "true" : "false", dflt ? "true" : "false",
           post ? "true" : "false");
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        printf("%s\"%s\":\"0x%" PRIx64 "\"", i ? "," : "", hd_guest_reg_name(i),
               *hd_guest_reg((struct hd_guest_regs *)&r->regs, i));
    printf("},\"rip\":\"0x%" PRIx64 "\"}\n", r->rip);
}

int cmd_selftest_vmcall(int argc, char **argv)
{
    struct opts o;
    struct cli_device *dev = NULL;
    struct hd_wire_selftest in;
    struct hd_wire_selftest_result r;
    size_t got = 0;
    char err[512];
    int rc = parse_opts(argc, argv, &o);

    if (rc)
        return rc;
    if (parse_exit_words(&o, &in))
        return 1;
    if (device_pin_core(in.core, err, sizeof(err)) != 0)
        return cli_fail("core", err);
    if (open_device(&o, &dev))
        return 1;
    memset(&r, 0, sizeof(r));
    if (device_ioctl(dev, HD_IOCTL_SELFTEST_VMCALL, &in, sizeof(in), &r, sizeof(r), &got, err,
                     sizeof(err)) != 0)
        rc = cli_fail("device", err);
    else if (got < sizeof(r))
        rc = cli_fail("device", "the kernel returned a short self-test result");
    else if (r.status != HD_WIRE_SUCCESS)
        rc = wire_fail("self-test VMCALL", r.status);
    else
        print_exit(&in, &r, o.text);
    device_close(dev);
    return rc;
}
