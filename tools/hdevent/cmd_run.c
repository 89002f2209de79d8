/* SPDX-License-Identifier: MIT */
/*
 * hdevent run [-t] [-s] [-c N] [--time-limit MS] [--no-filter] [SCENARIO|-]: the host
 * simulator (docs/cli.md).
 *
 * A scenario holds HyperDbg commands and exit lines. Commands travel the route a kernel's
 * would (run_command.c). Exit lines go through the host backend's simulated exit:
 * hd_dispatch_vmcall (pre), the default handling (host-backend.md), the post pass, rip += 3.
 * `memory ADDRESS BYTES…` lines give scripts simulated guest memory (run_memory.c). A bad line
 * prints an error naming the line and the run goes on; the exit status says whether any line
 * failed.
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

#include <ctype.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCENARIO_MAX (16u * 1024u * 1024u)
/* Dispatch-path trace (hd_host_config.on_action): print it and note the firing event. */
static void on_action(void *user, const struct hd_action_info *info)
{
    struct run_sim *s = user;
    const char *stage = info->stage == HD_STAGE_POST ? "post" : "pre";

    if (s->text)
        printf("  event %" PRIu64 ": %s action %" PRIu32 " ran (%s)\n", HD_EVENT_ID(info->tag),
               cli_action_name((enum hd_action_type)info->type), info->index, stage);
    else
        printf("{\"type\":\"action\",\"event\":%" PRIu64 ",\"index\":%" PRIu32
               ",\"kind\":\"%s\",\"stage\":\"%s\"}\n",
               HD_EVENT_ID(info->tag), info->index,
               cli_action_name((enum hd_action_type)info->type), stage);
    if (info->index == 0) { /* an event's first action: it fired in this pass */
        if (s->fired_count < RUN_FIRED_MAX)
            s->fired[s->fired_count++] = info->tag;
        else
            s->fired_more++;
    }
}

/* ---- exits ---------------------------------------------------------------------------- */

static bool run_exit(struct run_sim *s, char *args)
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
    if (hd_recorder_on(s->engine)) /* the record of this exit, for expect and --record */
        run_record_exit(s, &vcpu, &before, st == HD_OK ? &exit : NULL);
    cli_run_messages(s->engine, s->text, &s->sinks);
    bool abandoned = st == HD_ERR_HOOK_FAULTED || st == HD_ERR_HOOK_TIMEOUT;
    if (abandoned) /* the line fails; its exit record says what the passes had done */
        run_fault_report(s->host, vcpu.core, st,
                         s->time_limit_ms ? s->time_limit_ms : HD_HOST_DEFAULT_TIME_LIMIT_MS,
                         s->text);
    else if (st != HD_OK)
        return cli_fail(hd_status_name(st), hd_status_str(st)), false;

    bool sc = exit.pre.flags & HD_VERDICT_SHORT_CIRCUIT;
    bool prot = exit.pre.flags & HD_VERDICT_PROTECTED;
    bool ud = exit.pre.flags & HD_VERDICT_DENY_UD; /* `deny ud`: #UD, RIP stays */
    if (s->text) {
        printf("exit core %" PRIu32 " pid 0x%" PRIx32 " cpl %u: fired [", vcpu.core, vcpu.pid,
               vcpu.cpl);
        for (uint32_t i = 0; i < s->fired_count; i++)
            printf("%s%" PRIu64, i ? ", " : "", HD_EVENT_ID(s->fired[i]));
        if (s->fired_more)
            printf(", and %" PRIu64 " more", s->fired_more);
        printf("]%s%s%s%s%s\n", abandoned ? ", abandoned" : "", sc ? ", short-circuited" : "",
               ud ? ", #UD injected" : "", prot ? ", protected" : "",
               exit.default_handled ? ", default handling ran" : "");
        for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
            uint64_t a = *hd_guest_reg(&before, i), b = *hd_guest_reg(&regs, i);
            if (a != b)
                printf("  %s: 0x%" PRIx64 " -> 0x%" PRIx64 "\n", hd_guest_reg_name(i), a, b);
        }
        return !abandoned;
    }
    printf("{\"type\":\"exit\",\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32
           "\",\"cpl\":%u,\"fired\":[",
           vcpu.core, vcpu.pid, vcpu.cpl);
    for (uint32_t i = 0; i < s->fired_count; i++)
        printf("%s%" PRIu64, i ? "," : "", HD_EVENT_ID(s->fired[i]));
    printf("]");
    if (s->fired_more)
        printf(",\"fired_more\":%" PRIu64, s->fired_more);
    if (abandoned)
        printf(",\"abandoned\":true");
    if (ud)
        printf(",\"deny_ud\":true");
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
static bool run_line(struct run_sim *s, char *line, uint32_t line_no)
{
    char *p = trim(line);

    if (*p == '#' && p[1] == '#' && s->text) { /* "## ..." narrates a scenario for people */
        printf(s->narrating ? "" : "\n");
        cli_text_safe(stdout, p, strlen(p), false); /* the scenario's bytes */
        printf("\n");
        s->narrating = true;
        return true;
    }
    s->narrating = false;
    if (*p == 0 || *p == '#')
        return true;
    cli_set_line(line_no);
    if (is_word(p, "vmcall"))
        return run_exit(s, p + 6);
    if (is_word(p, "expect"))
        return run_expect(s, p + 6);
    if (is_word(p, "memory") || p[0] == '!' || is_word(p, "events")) {
        /* --record copies what succeeded, as written (run_memory cuts its line up) */
        char *copy = s->record_out ? strdup(p) : NULL;
        bool ok = is_word(p, "memory") ? run_memory(s->host, p + 6, s->text) : run_command(s, p);
        if (ok && copy)
            run_record_line(s, copy);
        free(copy);
        return ok;
    }
    return !run_line_error("'%.40s' is neither a command (!vmcall, events), an exit line "
                       "(vmcall core=... pid=...), an expect line nor a memory line (memory "
                       "<address> <bytes>)", p);
}

/* Does the line at @p p start a command, an exit or a comment? Then no open body swallows
 * it: a missing '}' costs one line, not the rest of the scenario. */
static bool starts_line_of_its_own(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '!' || *p == '#' || is_word(p, "vmcall") || is_word(p, "events") ||
           is_word(p, "memory") || is_word(p, "expect");
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

static int run_scenario(struct run_sim *s, const struct scenario *sc)
{
    uint32_t failed = 0;

    for (size_t i = 0; i < sc->count; i++) {
        if (!run_line(s, sc->lines[i], sc->first[i]))
            failed++;
        fflush(stdout);
        sink_router_tick(&s->sinks); /* --flush-ms: what waited long enough is written */
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

/* Does the scenario check exits (an `expect` line)? Then the engine records them. */
static bool scenario_expects(const struct scenario *sc)
{
    for (size_t i = 0; i < sc->count; i++)
        if (is_word(trim_start(sc->lines[i]), "expect"))
            return true;
    return false;
}

static int run_main(int argc, char **argv);

enum { OPT_TIME_LIMIT = CLI_LONG_ONLY, OPT_NO_FILTER, OPT_SINK, OPT_FLUSH_MS, OPT_RECORD, OPT_NR_REG };

const struct cli_spec cli_run = {
    .name = "run",
    .summary = "the host simulator: commands and VMCALL exits from a scenario",
    .synopsis = "[-t] [-s] [-c N] [--time-limit MS] [--no-filter] [--sink NAME=KIND:TARGET]...\n"
                "       [--flush-ms MS] [--record FILE] [--nr-reg REG] [SCENARIO|-]",
    .description =
        "Build a machine of simulated cores on the host backend and run a scenario (a file,\n"
        "or stdin for - or nothing) line by line: HyperDbg commands (!vmcall ..., events\n"
        "...), VMCALL exits (vmcall core=<hex> pid=<hex> [cpl=<n>] [rax=<hex> ... r15=<hex>]),\n"
        "guest memory (memory <hex address> <hex byte> ...), expect lines that check the exit\n"
        "before them (expect [fired=[0,2]] [short_circuit=true|false] [rax=<hex> ...]) and\n"
        "# comments. Commands travel\n"
        "the real route (encoded to IOCTL buffers, decoded and registered as a kernel does);\n"
        "raw code really runs, in this process, under a seccomp filter. A bad line prints\n"
        "an error naming it and the run goes on; exit status 1 when a line failed.",
    .options = "  -c, --cores N          simulated cores, 1 to 0n4096 (default 4; hex unless\n"
               "                         0n)\n"
               "      --time-limit MS    how long an exit's hooks may run before they are\n"
               "                         stopped (hex unless 0n; default and 0: 0n1000)\n"
               "      --no-filter        no seccomp filter (under valgrind and such tools)\n"
               "      --sink NAME=KIND:TARGET\n"
               "                         send the messages of events with output {NAME} to\n"
               "                         file:PATH, fifo:PATH, unix:PATH, tcp:HOST:PORT or\n"
               "                         module:LIB.so, one JSON line each (repeatable;\n"
               "                         docs/output.md)\n"
               "      --flush-ms MS      let sink messages wait up to MS milliseconds to be\n"
               "                         written together (hex unless 0n; default 0: at once)\n"
               "      --record FILE      write every exit to FILE as a scenario that replays\n"
               "                         and checks it: the commands, then vmcall and expect\n"
               "                         lines (docs/host-backend.md)\n"
               "      --nr-reg REG       the register holding the hypercall number that\n"
               "                         !vmcall nr routes by: rcx (default, as HyperDbg's\n"
               "                         own hypercalls), rax for KVM-style guests, or any\n"
               "                         of rdx ... r15\n"
               "  -t, --text             text for people; diagnostics on stderr\n"
               "  -s, --strict           a validation warning is an error\n",
    .examples = "  hdevent run --text examples/demo.scenario\n"
                "  printf '%s\\n' '!vmcall pid 490 code {90}' 'vmcall core=1 pid=490' | "
                "hdevent run -\n",
    .shortopts = "tsc:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"strict", no_argument, NULL, 's'},
                                        {"cores", required_argument, NULL, 'c'},
                                        {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
                                        {"no-filter", no_argument, NULL, OPT_NO_FILTER},
                                        {"sink", required_argument, NULL, OPT_SINK},
                                        {"flush-ms", required_argument, NULL, OPT_FLUSH_MS},
                                        {"record", required_argument, NULL, OPT_RECORD},
                                        {"nr-reg", required_argument, NULL, OPT_NR_REG},
                                        {0}},
    .main = run_main,
};

/*
 * --nr-reg's register: its index, or -1. The option has always taken any case ("RAX" too) while
 * hd_guest_reg_index() takes the names exactly as hd_guest_reg_name() spells them, in lower
 * case: fold here (the C locale's folding, as strcasecmp did), for this option alone.
 */
static int nr_reg_index(const char *arg)
{
    char lower[4]; /* the longest name is 3 bytes: anything longer is no register */
    size_t len = strlen(arg);

    if (len >= sizeof(lower))
        return -1;
    for (size_t k = 0; k < len; k++)
        lower[k] = (char)tolower((unsigned char)arg[k]);
    return hd_guest_reg_index(lower, len);
}

/* The options; @return -1 to go on, else the exit status (help, usage). */
static int options(struct run_sim *s, int argc, char **argv, const char **path,
                   const char **record)
{
    struct cli_getopt g;
    uint64_t n;
    int c;

    cli_getopt_init(&g, &cli_run, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 't') {
            cli_set_text(s->text = true);
        } else if (c == 's') {
            s->strict = true;
        } else if (c == OPT_RECORD) {
            *record = optarg;
        } else if (c == OPT_NR_REG) {
            int i = nr_reg_index(optarg);
            if (i < 0)
                return cli_usage_error("--nr-reg %s: a register of the guest: rax, rcx, rdx, "
                                       "rbx, rsp, rbp, rsi, rdi, r8 ... r15", optarg);
            s->nr_register = HD_NR_REGISTER(i);
        } else if (c == OPT_NO_FILTER) {
            s->no_filter = true;
        } else if (c == OPT_SINK) {
            char err[600];
            if (!sink_add(&s->sinks, optarg, err, sizeof(err)))
                return cli_usage_error("--sink '%s': %s", optarg, err);
        } else if (c == OPT_FLUSH_MS) {
            if (hd_command_number(optarg, strlen(optarg), 3600000u, &n) != HD_OK)
                return cli_usage_error("--flush-ms %s: milliseconds, 0 to 0n3600000, hex unless "
                                       "prefixed 0n", optarg);
            s->sinks.flush_ms = (uint32_t)n;
        } else if (c == 'c') {
            if (hd_command_number(optarg, strlen(optarg), HD_CORES_MAX, &n) != HD_OK || n == 0)
                return cli_usage_error("--cores %s: the simulated cores are 1 to 0n4096, hex "
                                       "unless prefixed 0n", optarg);
            s->cores = (uint32_t)n;
        } else if (c == OPT_TIME_LIMIT) {
            if (hd_command_number(optarg, strlen(optarg), HD_HOST_NO_TIME_LIMIT - 1, &n) != HD_OK)
                return cli_usage_error("--time-limit %s: the milliseconds an exit's hooks may "
                                       "run, hex unless prefixed 0n (0: 0n1000)", optarg);
            s->time_limit_ms = (uint32_t)n;
        } else {
            return g.status;
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("takes one SCENARIO: '%s' is one too many", argv[optind + 1]);
    if (optind < argc)
        *path = argv[optind];
    return -1;
}

/*
 * Setup is over: from here on the scenario's code runs. Everything the filter would refuse
 * is done first — the exit thread's signal stack and timer, stdout's buffer (stdio would
 * otherwise allocate it, and fstat the descriptor, at the first line).
 */
static bool lock_down(struct run_sim *s)
{
    static char out[1 << 16];
    char err[256];

    int fds[SINK_MAX];
    int record_fd;

    if (!s->no_filter)
        run_filter_catch_own();
    /* The sinks open now, or never: the filter refuses open, socket and connect. A writer
     * to a FIFO or socket whose reader left gets EPIPE, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    s->sinks.can_reopen = false;
    sink_router_open(&s->sinks);
    run_filter_allow_writes(fds, sink_router_fds(&s->sinks, fds, SINK_MAX));
    if (s->record_out && (record_fd = fileno(s->record_out)) >= 0)
        run_filter_allow_writes(&record_fd, 1); /* --record's file, opened before */
    /* Raw code registered under the filter grows the host's code memfd: made now, as the
     * filter refuses memfd_create (without it, raw code fails to register, with NO_MEMORY);
     * where the kernel refuses it, each buffer gets pages of its own, made read+execute. */
    run_filter_allow_exec_fd(hd_host_exec_fd(s->host));
    if (hd_host_exec_own_pages(s->host))
        run_filter_allow_exec_pages();
    if (hd_host_contain_prepare(s->host) != HD_OK)
        return !cli_fail("HD_ERR_NOT_SUPPORTED", "cannot set up the containment of hooks "
                                                 "(signal stack, timer)");
    setvbuf(stdout, out, isatty(1) ? _IOLBF : _IOFBF, sizeof(out));
    if (s->no_filter || run_filter_install(err, sizeof(err)) != RUN_FILTER_FAILED)
        return true;
    return !cli_fail("seccomp", err);
}

static int run_main(int argc, char **argv)
{
    struct run_sim s = {.cores = 4, .next_tag = HD_TAG_BASE};
    const char *path = "-", *record = NULL;
    struct hd_engine_config config = run_budget;
    struct hd_host_config hc = {0};
    struct scenario sc;
    uint8_t *text = NULL;
    size_t len;
    char err[512];
    int rc;

    sink_router_init(&s.sinks);
    rc = options(&s, argc, argv, &path, &record);

    if (rc >= 0)
        return rc;
    if (cli_read_file(path, SCENARIO_MAX, &text, &len, err, sizeof(err)) != 0)
        return cli_fail("io", err);
    const uint8_t *nul = memchr(text, 0, len);
    if (nul) {
        uint32_t line = 1;
        for (const uint8_t *p = text; p < nul; p++)
            line += *p == '\n';
        snprintf(err, sizeof(err), "the scenario holds a NUL byte (line %" PRIu32 ", offset %zu): "
                 "it must be text", line, (size_t)(nul - text));
        free(text);
        return cli_fail("io", err);
    }
    hc.cores = s.cores;
    hc.time_limit_ms = s.time_limit_ms;
    hc.nr_register = s.nr_register;
    hc.on_action = on_action;
    hc.action_user = &s;
    if (!scenario_split((char *)text, &sc)) {
        scenario_free(&sc);
        free(text);
        return cli_fail("HD_ERR_NO_MEMORY", "out of memory reading the scenario");
    }
    /* The recorder keeps one exit at a time: each is read right after it (run_record.c). */
    if (record || scenario_expects(&sc))
        config.record_slots = 4;
    if (hd_host_create(&hc, &s.host) != HD_OK ||
        hd_engine_create(hd_host_ops(s.host), &config, &s.engine) != HD_OK) {
        hd_host_destroy(s.host);
        scenario_free(&sc);
        free(text);
        return cli_fail("HD_ERR_NO_MEMORY", "cannot create the simulated machine");
    }
    /* Every file the scenario reads is read before lock_down(): the filter refuses open(). */
    if (!run_script_files_read(sc.lines, sc.count))
        rc = cli_fail("HD_ERR_NO_MEMORY", "out of memory reading the scenario");
    else if (record && !run_record_open(&s, record))
        rc = 1;
    else
        rc = lock_down(&s) ? run_scenario(&s, &sc) : 1;
    if (!run_record_close(&s))
        rc = 1;
    sink_router_close(&s.sinks); /* written before the counts say what was */
    sink_router_report(&s.sinks, stdout, s.text);
    fflush(stdout);
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
