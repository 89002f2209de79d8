/*
 * hdevent-bench: hdevent's VMCALL dispatch beside a re-creation of HyperDbg's (hdbg_sim.c),
 * same inputs, same machine code, interleaved in one process. Prints one line per
 * measurement and a summary of the goals in docs/performance.md. Nothing is asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "timing.h"

#ifndef HDBENCH_CFLAGS
#define HDBENCH_CFLAGS "?"
#endif
#ifndef HDBENCH_LIB_CFLAGS
#define HDBENCH_LIB_CFLAGS "?"
#endif

const char *const bench_cache_names[CACHE_COUNT] = {"warm", "l3", "dram"};

static const char *const known[] = {
    "P0_none",  "P0_armed_nomatch", "P1_bare",  "P1_cond_code",  "P1_cond_false", "PN_core",
    "PN_pid",   "PK_allmatch",      "MC_scale", "MC_churn",      "W_churn",       "S_bare",
    "S_filter", "S_filter_miss",    "S_empty",  "S_printf",
};

/* TSC ticks per nanosecond (the script goals are in nanoseconds). */
static double tsc_per_ns = 1.0;

#define MAX_RESULTS 256
static struct bench_result results[MAX_RESULTS];
static unsigned result_count;

void bench_report(const char *scenario, const char *impl, enum bench_cache cache, uint32_t n,
                  uint64_t *samples, uint64_t count, uint32_t exits)
{
    double p50 = (double)bench_percentile(samples, count, 50) / exits;
    double p99 = (double)bench_percentile(samples, count, 99) / exits;
    printf("%s %s %s %u %.1f %.1f\n", scenario, impl, bench_cache_names[cache], n, p50, p99);
    fflush(stdout);
    if (result_count < MAX_RESULTS)
        results[result_count++] = (struct bench_result){scenario, impl, bench_cache_names[cache],
                                                        n, p50, p99};
}

const struct bench_result *bench_find(const char *scenario, const char *impl, const char *cache,
                                      uint32_t n)
{
    for (unsigned i = 0; i < result_count; i++)
        if (!strcmp(results[i].scenario, scenario) && !strcmp(results[i].impl, impl) &&
            !strcmp(results[i].cache, cache) && results[i].n == n)
            return &results[i];
    return NULL;
}

bool bench_selected(const struct bench_options *o, const char *name)
{
    if (!o->only)
        return true;
    for (uint32_t i = 0; i < o->only_count; i++)
        if (!strcmp(o->only[i], name))
            return true;
    return false;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hdevent-bench [--quick] [--scenario NAME[,NAME...]] [--cache STATE[,STATE...]]\n"
            "                     [--seed N] [--samples-scale X]\n"
            "\n"
            "Times hdevent's hd_dispatch_vmcall beside a re-creation of HyperDbg's dispatch,\n"
            "interleaved in one process: hd (host backend: grace periods by per-core counters),\n"
            "hd_ipi (run_on_every_core, as kernel backends: no fence), hdbg (nodes in allocation\n"
            "order), hdbg_shuf (nodes in shuffled order). One line per measurement:\n"
            "  <scenario> <impl> <cache> <N> <median_cycles> <p99_cycles>\n"
            "then a summary of the goals (docs/performance.md). Cycles are TSC ticks with the\n"
            "calibrated cost of an empty timed region subtracted.\n"
            "\n"
            "  --quick             fewer samples: the whole run in under a minute\n"
            "  --scenario LIST     run only these (PN_core, PN_pid, PK_allmatch name all their N):\n"
            "                      P0_none P0_armed_nomatch P1_bare P1_cond_code P1_cond_false\n"
            "                      PN_core PN_pid PK_allmatch MC_scale MC_churn W_churn\n"
            "                      S_bare S_filter S_filter_miss S_empty S_printf (script\n"
            "                      actions; any of them brings S_bare, the reference)\n"
            "  --cache LIST        cache states of the single-thread scenarios: warm, l3 (L1/L2\n"
            "                      evicted by sweeping 2x L2), dram (structures clflushed);\n"
            "                      default all three. MC_* are always warm\n"
            "  --seed N            seed of the shuffled node order (default 1)\n"
            "  --samples-scale X   multiply every sample count by X (0.01..100)\n"
            "  --help              this text\n");
}

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "hdevent-bench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try --help)\n");
    return 2;
}

/* Split a comma list in place into @out (at most @max items). Returns the count or -1. */
static int split(char *s, const char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            return -1;
        out[n++] = tok;
    }
    return n;
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (!strncmp(argv[*i], name, len) && argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (!strcmp(argv[*i], name)) {
        if (*i + 1 >= argc)
            return NULL;
        return argv[++*i];
    }
    return NULL;
}

static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return !strncmp(arg, name, len) && (arg[len] == '\0' || arg[len] == '=');
}

static int parse(int argc, char **argv, struct bench_options *o, char **lists)
{
    static const char *names[32];
    o->caches = (1u << CACHE_COUNT) - 1;
    o->seed = 1;
    o->scale = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--quick")) {
            o->quick = true;
        } else if (is_option(a, "--scenario")) {
            int n;
            if (!(v = option_value(argc, argv, &i, "--scenario")) || !*v)
                return bad("%s needs a scenario name", "--scenario");
            *lists = strdup(v);
            n = *lists ? split(*lists++, names + o->only_count, 32 - (int)o->only_count) : -1;
            if (n <= 0)
                return bad("--scenario '%s': empty or too many names", v);
            for (int k = 0; k < n; k++) {
                bool ok = false;
                for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
                    ok = ok || !strcmp(names[o->only_count + k], known[j]);
                if (!ok)
                    return bad("unknown scenario '%s'; known: P0_none P0_armed_nomatch P1_bare "
                               "P1_cond_code P1_cond_false PN_core PN_pid PK_allmatch MC_scale "
                               "MC_churn W_churn S_bare S_filter S_filter_miss S_empty S_printf",
                               names[o->only_count + k]);
            }
            o->only = names;
            o->only_count += (uint32_t)n;
        } else if (is_option(a, "--cache")) {
            const char *items[8];
            char *copy;
            int n;
            if (!(v = option_value(argc, argv, &i, "--cache")) || !*v)
                return bad("%s needs warm, l3 or dram", "--cache");
            copy = strdup(v);
            n = copy ? split(copy, items, 8) : -1;
            if (n <= 0) {
                free(copy);
                return bad("--cache '%s': give warm, l3 and/or dram, comma-separated", v);
            }
            o->caches = 0;
            for (int k = 0; k < n; k++) {
                int c = -1;
                for (int j = 0; j < CACHE_COUNT; j++)
                    if (!strcmp(items[k], bench_cache_names[j]))
                        c = j;
                if (c < 0) {
                    int rc = bad("--cache: unknown state '%s'; use warm, l3 or dram", items[k]);
                    free(copy);
                    return rc;
                }
                o->caches |= 1u << c;
            }
            free(copy);
        } else if (is_option(a, "--seed")) {
            char *end;
            if (!(v = option_value(argc, argv, &i, "--seed")) || !*v)
                return bad("%s needs a number", "--seed");
            errno = 0;
            o->seed = strtoull(v, &end, 0);
            if (*end || errno)
                return bad("--seed: '%s' is not a 64-bit number", v);
        } else if (is_option(a, "--samples-scale")) {
            char *end;
            if (!(v = option_value(argc, argv, &i, "--samples-scale")) || !*v)
                return bad("%s needs a number", "--samples-scale");
            o->scale = strtod(v, &end);
            if (*end || !(o->scale >= 0.01 && o->scale <= 100))
                return bad("--samples-scale: '%s' is not a number from 0.01 to 100", v);
        } else {
            return bad("unknown argument '%s'", a);
        }
    }
    return 0;
}

static void cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, size, "unknown");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            colon += 2;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(out, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

/* One goal: value vs limit; @higher: the value must be at least the limit. */
static void goal(const char *name, const char *what, double value, bool have, bool higher,
                 double limit)
{
    if (!have) {
        printf("summary %-22s %-50s n/a (not measured)\n", name, what);
        return;
    }
    printf("summary %-22s %-50s %10.2f %s %-6g %s\n", name, what, value, higher ? ">=" : "<=",
           limit, (higher ? value >= limit : value <= limit) ? "PASS" : "MISS");
}

static double ratio(const struct bench_result *a, const struct bench_result *b, bool p99)
{
    double x = p99 ? a->p99 : a->p50, y = p99 ? b->p99 : b->p50;
    return x / (y < 0.1 ? 0.1 : y); /* a cost below 0.1 cycle counts as 0.1 */
}

/* Print a ratio that no goal is stated for (cold one-event costs). */
static void info(const char *what, const struct bench_result *a, const struct bench_result *b)
{
    if (a && b)
        printf("summary %-22s %-50s %10.2f (no goal)\n", "info", what, ratio(a, b, false));
}

/* The goals of docs/performance.md for one hd configuration. */
static void summary_for(const char *hd)
{
    static const char *const fam[2] = {"PN_core", "PN_pid"};
    static const char *const base[2] = {"hdbg", "hdbg_shuf"};
    const struct bench_result *a, *b;
    char what[128];

    a = bench_find("P0_none", hd, "warm", 0);
    snprintf(what, sizeof(what), "%s P0_none warm (cycles)", hd);
    goal("no_event", what, a ? a->p50 : 0, a, false, 10);
    a = bench_find("P1_cond_code", hd, "warm", 1);
    b = bench_find("P1_cond_code", "hdbg", "warm", 1);
    snprintf(what, sizeof(what), "%s/hdbg P1_cond_code warm", hd);
    goal("one_event_vs_hdbg", what, a && b ? ratio(a, b, false) : 0, a && b, false, 0.5);
    for (int c = CACHE_L3; c < CACHE_COUNT; c++) {
        snprintf(what, sizeof(what), "%s/hdbg P1_cond_code %s", hd, bench_cache_names[c]);
        info(what, bench_find("P1_cond_code", hd, bench_cache_names[c], 1),
             bench_find("P1_cond_code", "hdbg", bench_cache_names[c], 1));
    }
    for (int f = 0; f < 2; f++) {
        a = bench_find(fam[f], hd, "warm", 1000);
        b = bench_find("P1_cond_code", hd, "warm", 1);
        snprintf(what, sizeof(what), "%s %s N=1000 / %s P1_cond_code warm", hd, fam[f], hd);
        goal("n1000_vs_n1", what, a && b ? ratio(a, b, false) : 0, a && b, false, 1.5);
    }
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < CACHE_COUNT; c++) {
                a = bench_find(fam[f], base[k], bench_cache_names[c], 1000);
                b = bench_find(fam[f], hd, bench_cache_names[c], 1000);
                snprintf(what, sizeof(what), "%s/%s %s N=1000 %s", base[k], hd, fam[f],
                         bench_cache_names[c]);
                goal(c == CACHE_WARM ? "n1000_speedup_warm" : "n1000_speedup_cold", what,
                     a && b ? ratio(a, b, false) : 0, a && b, true, c == CACHE_WARM ? 100 : 50);
            }
    a = bench_find("MC_churn", hd, "warm", 1000);
    b = bench_find("MC_scale", hd, "warm", 1000);
    snprintf(what, sizeof(what), "%s MC_churn p99 / %s MC_scale p99", hd, hd);
    goal("churn_vs_scale_p99", what, a && b ? ratio(a, b, true) : 0, a && b, false, 1.2);
    /* A writer's cost does not grow with the events on other keys (issue 13). */
    a = bench_find("W_churn", hd, "warm", 100000);
    b = bench_find("W_churn", hd, "warm", 10);
    snprintf(what, sizeof(what), "%s W_churn N=100000 / N=10", hd);
    goal("writer_flat", what, a && b ? ratio(a, b, false) : 0, a && b, false, 2);
}

/* Issue 14's goals for script actions, for one hd configuration. S_bare (the same event with
 * custom code `ret`: P1_bare's) was measured in the same rounds as the script scenarios. */
static void summary_script(const char *hd)
{
    const struct bench_result *f = bench_find("S_filter", hd, "warm", 1);
    const struct bench_result *bare = bench_find("S_bare", hd, "warm", 1);
    const struct bench_result *hf = bench_find("S_filter", "hdbg", "warm", 1);
    const struct bench_result *hbare = bench_find("S_bare", "hdbg", "warm", 1);
    const struct bench_result *miss = bench_find("S_filter_miss", hd, "warm", 1);
    char what[128];

    snprintf(what, sizeof(what), "%s S_filter - %s S_bare warm (ns)", hd, hd);
    goal("script_filter_extra", what, f && bare ? (f->p50 - bare->p50) / tsc_per_ns : 0,
         f && bare, false, 10);
    snprintf(what, sizeof(what), "hdbg/%s S_filter warm", hd);
    goal("script_filter_vs_hdbg", what, f && hf ? ratio(hf, f, false) : 0, f && hf, true, 5);
    /* The filter that says no, against an action that does nothing (custom code `ret`). */
    snprintf(what, sizeof(what), "%s S_filter_miss - %s S_bare warm (ns)", hd, hd);
    goal("script_fast_filter", what, miss && bare ? (miss->p50 - bare->p50) / tsc_per_ns : 0,
         miss && bare, false, 3);
    if (f && bare && hf && hbare) { /* below one cycle of work counts as one */
        snprintf(what, sizeof(what), "hdbg/%s S_filter - S_bare (script work)", hd);
        printf("summary %-22s %-50s %10.2f (no goal)\n", "info", what,
               (hf->p50 - hbare->p50) / (f->p50 - bare->p50 < 1 ? 1 : f->p50 - bare->p50));
    }
    snprintf(what, sizeof(what), "hdbg/%s S_printf warm", hd);
    info(what, bench_find("S_printf", "hdbg", "warm", 1), bench_find("S_printf", hd, "warm", 1));
    snprintf(what, sizeof(what), "hdbg/%s S_empty warm", hd);
    info(what, bench_find("S_empty", "hdbg", "warm", 1), bench_find("S_empty", hd, "warm", 1));
}

static void summary(void)
{
    printf("# summary: <goal> <quantity> <value> <op> <limit> PASS|MISS (medians unless p99 is "
           "named); hd = host backend grace periods, hd_ipi = run_on_every_core (kernel "
           "backends)\n");
    summary_for("hd");
    summary_for("hd_ipi");
    summary_script("hd");
    summary_script("hd_ipi");
}

int main(int argc, char **argv)
{
    struct bench_options o;
    char *lists[32] = {0}, **lp = lists;
    char model[256];
    double hz;
    int rc;

    memset(&o, 0, sizeof(o));
    rc = parse(argc, argv, &o, lp);
    if (rc)
        return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /*
     * Keep freed heap memory mapped: returning it to the kernel (munmap, brk shrink) sends TLB
     * shootdown IPIs to the other dispatch threads, a cost of this process, not of dispatch.
     */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (bench_sweep_init() != 0) {
        fprintf(stderr, "hdevent-bench: cannot allocate the cache sweep buffer\n");
        return 1;
    }
    cpu_model(model, sizeof(model));
    if (bench_pin(0) != 0)
        perror("hdevent-bench: pinning to CPU 0 (continuing unpinned)");
    o.calib = bench_calibrate(o.quick ? 20000 : 200000);
    hz = bench_tsc_hz(o.quick ? 100 : 400);
    tsc_per_ns = hz > 0 ? hz / 1e9 : 1.0;

    printf("# hdevent-bench: hd = hd_dispatch_vmcall on the host backend (hd_ipi: with "
           "run_on_every_core, as kernel backends); hdbg = HyperDbg's dispatch re-created "
           "(hdbg_shuf: nodes in shuffled order)\n");
    printf("# cpu: %s, %d online CPUs, L2 %zu KiB (l3 state sweeps %zu KiB)\n", model,
           bench_online_cpus(), bench_l2_bytes() / 1024, 2 * bench_l2_bytes() / 1024);
    printf("# tsc: %.1f MHz (measured against CLOCK_MONOTONIC_RAW); cycles below are TSC ticks\n",
           hz / 1e6);
    printf("# compiler: gcc %s\n", __VERSION__);
    printf("# flags: bench %s; libhdevent %s\n", HDBENCH_CFLAGS, HDBENCH_LIB_CFLAGS);
    printf("# timing: lfence;rdtsc;lfence ... rdtscp;lfence; empty region %llu cycles "
           "(median, subtracted from every sample)\n",
           (unsigned long long)o.calib);
    printf("# mode: %s, seed %llu; the machine may be shared: compare hd and hdbg within a run\n",
           o.quick ? "quick" : "full", (unsigned long long)o.seed);
    printf("# <scenario> <impl> <cache> <N> <median_cycles> <p99_cycles>\n");

    rc = bench_run_single(&o);
    if (rc == 0)
        rc = bench_run_script(&o);
    if (rc == 0)
        rc = bench_run_mc(&o);
    if (rc == 0)
        rc = bench_run_writers(&o);
    if (rc == 0)
        summary();
    bench_sweep_free();
    for (int i = 0; i < 32; i++)
        free(lists[i]);
    return rc ? 1 : 0;
}
