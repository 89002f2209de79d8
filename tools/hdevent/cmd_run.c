/*
 * hdevent run [--text] [--strict] [--cores N] [--time-limit MS] [--no-filter] [SCENARIO|-]:
 * the host simulator (docs/cli.md).
 *
 * A scenario holds HyperDbg commands and exit lines. Commands travel the route a kernel's
 * would: parsed and validated here (cli_command_load), encoded to HyperDbg's IOCTL buffers,
 * then handed to hd_wire_ioctl(), which decodes, validates and registers them as a kernel
 * backend does. Exit lines go through the host backend's simulated exit: hd_dispatch_vmcall
 * (pre), the default handling (host-backend.md), the post pass, rip += 3. `memory ADDRESS
 * BYTES…` lines give scripts simulated guest memory (run_memory.c). A bad line prints an error
 * naming the line and the run goes on; the exit status says whether any line failed.
 * A hook that faults or runs past the time limit is stopped by the host backend: its line
 * gets an error (run_fault.c) and an abandoned exit, and the run goes on. The scenario's code
 * runs under a seccomp filter once setup is done (run_filter.c).
 */
#define _POSIX_C_SOURCE 200809L /* strdup, strtok_r, strnlen */
#include "cli.h"
#include "run.h"

#include <hdevent/command.h>
#include <hdevent/host.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCENARIO_MAX (16u * 1024u * 1024u)
#define FIRED_MAX 64u

struct sim {
    struct hd_host *host;
    struct hd_engine *engine;
    bool text, strict;
    bool narrating; /* the last line was a "##" line (text mode) */
    bool no_filter;
    uint32_t cores;
    uint32_t time_limit_ms; /* hd_host_config's: 0 is the default */
    uint64_t next_tag;
    /* Command text per event ID: user mode keeps it, as HyperDbg's does (the wire carries
     * no text). */
    char **commands;
    uint64_t command_count;
    /* Events whose actions ran in this exit, in order, once per pass. */
    uint64_t fired[FIRED_MAX];
    uint32_t fired_count;
    uint64_t fired_more;
};

static const char *action_kind(uint32_t type)
{
    switch (type) {
    case HD_ACTION_BREAK:
        return "break";
    case HD_ACTION_CODE:
        return "code";
    case HD_ACTION_SCRIPT:
        return "script";
    default:
        return "callback"; /* HD_ACTION_NATIVE: a C hook */
    }
}

/* Dispatch-path trace (hd_host_config.on_action): print it and note the firing event. */
static void on_action(void *user, const struct hd_action_info *info)
{
    struct sim *s = user;
    const char *stage = info->stage == HD_STAGE_POST ? "post" : "pre";

    if (s->text)
        printf("  event %" PRIu64 ": %s action %" PRIu32 " ran (%s)\n", HD_EVENT_ID(info->tag),
               action_kind(info->type), info->index, stage);
    else
        printf("{\"type\":\"action\",\"event\":%" PRIu64 ",\"index\":%" PRIu32
               ",\"kind\":\"%s\",\"stage\":\"%s\"}\n",
               HD_EVENT_ID(info->tag), info->index, action_kind(info->type), stage);
    if (info->index == 0) { /* an event's first action: it fired in this pass */
        if (s->fired_count < FIRED_MAX)
            s->fired[s->fired_count++] = info->tag;
        else
            s->fired_more++;
    }
}

/* ---- commands ------------------------------------------------------------------------- */

/* Send one IOCTL; on a rejection print the wire code and return false. */
static bool send(struct sim *s, uint32_t code, const void *in, size_t len, uint8_t *out,
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
    cli_fail(hd_wire_error_name(wire), msg);
    return false;
}

static void print_event(struct sim *s, uint64_t tag, const char *text)
{
    struct hd_event_info info;

    if (hd_event_query(s->engine, tag, &info) != HD_OK)
        return;
    if (s->text) {
        printf("event %" PRIu64 " registered (tag 0x%" PRIx64 ", %s): %s\n", HD_EVENT_ID(tag),
               tag, info.enabled ? "enabled" : "disabled", text);
        return;
    }
    printf("{\"type\":\"event\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\",\"pid\":\"0x%" PRIx32
           "\",\"core\":\"0x%" PRIx32 "\",\"stage\":\"%s\",\"short_circuit\":%s,\"enabled\":%s,"
           "\"actions\":%" PRIu32 ",\"command\":",
           HD_EVENT_ID(tag), tag, info.pid, info.core, cli_stage_name(info.stage),
           info.short_circuit ? "true" : "false", info.enabled ? "true" : "false",
           info.action_count);
    cli_json_string(stdout, text);
    printf("}\n");
}

static bool remember(struct sim *s, uint64_t tag, const char *text)
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
static bool add_vmcall(struct sim *s, const struct hd_command *cmd, const char *text)
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

static void list_events(struct sim *s)
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
            printf("%" PRIu64 " (%s) %s\n", id, info.enabled ? "enabled" : "disabled", text);
            continue;
        }
        printf("{\"type\":\"listed\",\"id\":%" PRIu64 ",\"tag\":\"0x%" PRIx64 "\",\"enabled\":%s,"
               "\"command\":",
               id, info.tag, info.enabled ? "true" : "false");
        cli_json_string(stdout, text);
        printf("}\n");
    }
    if (s->text && n == 0)
        printf("no events\n");
}

static bool modify(struct sim *s, const struct hd_command *cmd)
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
        printf("{\"type\":\"modify\",\"action\":\"%s\",", how[cmd->kind].verb);
        if (cmd->tag == HD_TAG_ALL)
            printf("\"id\":\"all\"}\n");
        else
            printf("\"id\":%" PRIu64 "}\n", cmd->id);
    }
    return true;
}

static bool run_command(struct sim *s, const char *text)
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

/* ---- exits ---------------------------------------------------------------------------- */

static bool run_exit(struct sim *s, char *args)
{
    struct hd_vcpu vcpu;
    struct hd_guest_regs regs, before;
    struct hd_exit exit;
    enum hd_status st;

    if (!run_parse_exit(args, s->cores, &vcpu, &regs))
        return false;
    before = regs;
    s->fired_count = 0;
    s->fired_more = 0;
    st = hd_host_vmcall(s->host, s->engine, &vcpu, &exit);
    cli_run_messages(s->engine, s->text);
    bool abandoned = st == HD_ERR_HOOK_FAULTED || st == HD_ERR_HOOK_TIMEOUT;
    if (abandoned) /* the line fails; its exit record says what the passes had done */
        run_fault_report(s->host, vcpu.core, st,
                         s->time_limit_ms ? s->time_limit_ms : HD_HOST_DEFAULT_TIME_LIMIT_MS,
                         s->text);
    else if (st != HD_OK)
        return cli_fail(hd_status_name(st), hd_status_str(st)), false;

    bool sc = exit.pre.flags & HD_VERDICT_SHORT_CIRCUIT;
    bool prot = exit.pre.flags & HD_VERDICT_PROTECTED;
    if (s->text) {
        printf("exit core %" PRIu32 " pid 0x%" PRIx32 " cpl %u: fired [", vcpu.core, vcpu.pid,
               vcpu.cpl);
        for (uint32_t i = 0; i < s->fired_count; i++)
            printf("%s%" PRIu64, i ? ", " : "", HD_EVENT_ID(s->fired[i]));
        if (s->fired_more)
            printf(", and %" PRIu64 " more", s->fired_more);
        printf("]%s%s%s%s\n", abandoned ? ", abandoned" : "", sc ? ", short-circuited" : "",
               prot ? ", protected" : "", exit.default_handled ? ", default handling ran" : "");
        for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
            uint64_t a = *hd_guest_reg(&before, i), b = *hd_guest_reg(&regs, i);
            if (a != b)
                printf("  %s: 0x%" PRIx64 " -> 0x%" PRIx64 "\n", hd_guest_reg_name(i), a, b);
        }
        return !abandoned;
    }
    printf("{\"type\":\"exit\",\"core\":%" PRIu32 ",\"pid\":%" PRIu32 ",\"cpl\":%u,\"fired\":[",
           vcpu.core, vcpu.pid, vcpu.cpl);
    for (uint32_t i = 0; i < s->fired_count; i++)
        printf("%s%" PRIu64, i ? "," : "", HD_EVENT_ID(s->fired[i]));
    printf("]");
    if (s->fired_more)
        printf(",\"fired_more\":%" PRIu64, s->fired_more);
    if (abandoned)
        printf(",\"abandoned\":true");
    printf(",\"short_circuit\":%s,\"protected\":%s,\"default_handled\":%s,\"regs\":{",
           sc ? "true" : "false", prot ? "true" : "false",
           exit.default_handled ? "true" : "false");
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        printf("%s\"%s\":\"0x%" PRIx64 "\"", i ? "," : "", hd_guest_reg_name(i),
               *hd_guest_reg(&regs, i));
    printf("},\"rip\":\"0x%" PRIx64 "\"}\n", vcpu.rip);
    return !abandoned;
}

/* ---- the scenario ------------------------------------------------------------------------ */

static char *trim(char *p)
{
    char *end = p + strlen(p);
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = 0;
    return p;
}

static const char *trim_start(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static bool is_word(const char *p, const char *w)
{
    size_t n = strlen(w);
    return !strncmp(p, w, n) && (p[n] == 0 || p[n] == ' ' || p[n] == '\t');
}

/* Handle one logical line (first physical line @p line_no). @return false if it failed. */
static bool run_line(struct sim *s, char *line, uint32_t line_no)
{
    char *p = trim(line);

    if (*p == '#' && p[1] == '#' && s->text) { /* "## ..." narrates a scenario for people */
        printf(s->narrating ? "%s\n" : "\n%s\n", p);
        s->narrating = true;
        return true;
    }
    s->narrating = false;
    if (*p == 0 || *p == '#')
        return true;
    cli_set_line(line_no);
    if (is_word(p, "vmcall"))
        return run_exit(s, p + 6);
    if (is_word(p, "memory"))
        return run_memory(s->host, p + 6, s->text);
    if (p[0] == '!' || is_word(p, "events"))
        return run_command(s, p);
    return !run_line_error("'%.40s' is neither a command (!vmcall, events), an exit line "
                       "(vmcall core=... pid=...) nor a memory line (memory <address> <bytes>)",
                       p);
}

/* Does the line at @p p start a command, an exit or a comment? Then no open body swallows
 * it: a missing '}' costs one line, not the rest of the scenario. */
static bool starts_line_of_its_own(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '!' || *p == '#' || is_word(p, "vmcall") || is_word(p, "events") ||
           is_word(p, "memory");
}

/* A scenario cut into logical lines, each NUL-terminated in place. */
struct scenario {
    char **lines;
    uint32_t *first;   /* the physical line each logical line starts on */
    size_t count;
    uint32_t physical; /* physical lines in all */
};

/*
 * Cut @p text into logical lines. A logical line ends at a newline outside braces: a {...}
 * body of a command may span lines, and keeps its newlines (the parser takes them as blanks).
 * A comment never continues, and an unclosed body stops before the next command, exit or
 * comment: the parser then reports the unterminated '{' on its line. @return false when out
 * of memory.
 */
static bool scenario_split(char *text, struct scenario *sc)
{
    size_t cap = 0;
    char *p = text;

    memset(sc, 0, sizeof(*sc));
    while (*p) {
        char *start = p;
        uint32_t first = sc->physical + 1;
        bool comment = *trim_start(p) == '#';
        int depth = 0;

        for (;;) {
            char *nl = strchr(p, '\n');
            char *end = nl ? nl : p + strlen(p);
            sc->physical++;
            for (char *q = p; q < end && !comment; q++)
                depth += *q == '{' ? 1 : (*q == '}' && depth > 0) ? -1 : 0;
            if (!nl) {
                p = end;
                break;
            }
            p = nl + 1;
            if (depth <= 0 || !*p || starts_line_of_its_own(p)) {
                *nl = 0;
                break;
            }
        }
        if (sc->count == cap) {
            size_t n = cap ? cap * 2 : 256;
            char **lines = realloc(sc->lines, n * sizeof(*lines));
            uint32_t *firsts = lines ? realloc(sc->first, n * sizeof(*firsts)) : NULL;
            if (lines)
                sc->lines = lines;
            if (!firsts)
                return false;
            sc->first = firsts;
            cap = n;
        }
        sc->lines[sc->count] = start;
        sc->first[sc->count++] = first;
    }
    return true;
}

static void scenario_free(struct scenario *sc)
{
    free(sc->lines);
    free(sc->first);
}

static int run_scenario(struct sim *s, const struct scenario *sc)
{
    uint32_t failed = 0;

    for (size_t i = 0; i < sc->count; i++) {
        if (!run_line(s, sc->lines[i], sc->first[i]))
            failed++;
        fflush(stdout);
    }
    cli_set_line(0);
    if (s->text)
        printf("%" PRIu32 " line(s) failed\n", failed);
    else
        printf("{\"type\":\"summary\",\"lines\":%" PRIu32 ",\"failed\":%" PRIu32 "}\n",
               sc->physical, failed);
    return failed ? 1 : 0;
}

/*
 * The simulator is not a kernel: its engine may hold a million events (a scenario that
 * measures writers at scale needs more than a small machine's default budget, engine.h).
 */
static const struct hd_engine_config run_budget = {.max_events = 1u << 20,
                                                   .max_actions = 1u << 22};

/* The options; @return -1 to go on, else the exit status (usage). */
static int options(struct sim *s, int argc, char **argv, const char **path)
{
    bool have_path = false;

    for (int i = 0; i < argc; i++) {
        uint64_t n;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--text")) {
            s->text = true;
            cli_set_text(true);
        } else if (!strcmp(argv[i], "--strict")) {
            s->strict = true;
        } else if (!strcmp(argv[i], "--no-filter")) {
            s->no_filter = true;
        } else if (!strcmp(argv[i], "--cores") && v && ++i) {
            if (hd_command_number(v, strlen(v), HD_CORES_MAX, &n) != HD_OK || n == 0)
                return cli_fail("usage", "--cores takes the number of simulated cores, 1 to "
                                         "0n4096 (hex by default, 0n for decimal)");
            s->cores = (uint32_t)n;
        } else if (!strcmp(argv[i], "--time-limit") && v && ++i) {
            if (hd_command_number(v, strlen(v), HD_HOST_NO_TIME_LIMIT - 1, &n) != HD_OK)
                return cli_fail("usage", "--time-limit takes the milliseconds an exit's hooks "
                                         "may run (hex by default, 0n for decimal; 0: 0n1000)");
            s->time_limit_ms = (uint32_t)n;
        } else if (!have_path && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            *path = argv[i];
            have_path = true;
        } else {
            return cli_usage();
        }
    }
    return -1;
}

/*
 * Setup is over: from here on the scenario's code runs. Everything the filter would refuse
 * is done first — the exit thread's signal stack and timer, stdout's buffer (stdio would
 * otherwise allocate it, and fstat the descriptor, at the first line).
 */
static bool lock_down(struct sim *s)
{
    static char out[1 << 16];
    char err[256];

    if (!s->no_filter)
        run_filter_catch_own();
    if (hd_host_contain_prepare(s->host) != HD_OK)
        return !cli_fail("HD_ERR_NOT_SUPPORTED", "cannot set up the containment of hooks "
                                                 "(signal stack, timer)");
    setvbuf(stdout, out, isatty(1) ? _IOLBF : _IOFBF, sizeof(out));
    if (s->no_filter || run_filter_install(err, sizeof(err)) != RUN_FILTER_FAILED)
        return true;
    return !cli_fail("seccomp", err);
}

int cmd_run(int argc, char **argv)
{
    struct sim s = {.cores = 4, .next_tag = HD_TAG_BASE};
    const char *path = "-";
    struct hd_host_config hc = {0};
    struct scenario sc;
    uint8_t *text = NULL;
    size_t len;
    char err[512];
    int rc = options(&s, argc, argv, &path);

    if (rc >= 0)
        return rc;
    if (cli_read_file(path, SCENARIO_MAX, &text, &len, err, sizeof(err)) != 0)
        return cli_fail("io", err);
    if (memchr(text, 0, len)) {
        free(text);
        return cli_fail("io", "the scenario holds a NUL byte: it must be text");
    }
    hc.cores = s.cores;
    hc.time_limit_ms = s.time_limit_ms;
    hc.on_action = on_action;
    hc.action_user = &s;
    if (hd_host_create(&hc, &s.host) != HD_OK ||
        hd_engine_create(hd_host_ops(s.host), &run_budget, &s.engine) != HD_OK) {
        hd_host_destroy(s.host);
        free(text);
        return cli_fail("HD_ERR_NO_MEMORY", "cannot create the simulated machine");
    }
    /* Every file the scenario reads is read before lock_down(): the filter refuses open(). */
    if (!scenario_split((char *)text, &sc) || !run_script_files_read(sc.lines, sc.count))
        rc = cli_fail("HD_ERR_NO_MEMORY", "out of memory reading the scenario");
    else
        rc = lock_down(&s) ? run_scenario(&s, &sc) : 1;
    run_script_files_free();
    scenario_free(&sc);
    hd_engine_destroy(s.engine);
    hd_host_destroy(s.host);
    for (uint64_t i = 0; i < s.command_count; i++)
        free(s.commands[i]);
    free(s.commands);
    free(text);
    return run_filter_refused_own() ? 3 : rc; /* stderr said which call: a missing rule */
}
