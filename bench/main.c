/* SPDX-License-Identifier: MIT */
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
    "PN_pid",   "PN_nr",            "PK_allmatch", "MC_scale",   "MC_churn",      "W_churn",
    "S_bare",   "S_filter",         "S_filter_miss", "S_empty",  "S_printf",
};

/* TSC ticks per nanosecond (the script goals are in nanoseconds). */
double bench_tsc_per_ns = 1.0;

#define MAX_RESULTS 1024 /* a full run prints about 270 lines; the summary needs them all */
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

bool bench_one_call; /* world.h */

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
            "                     [--seed N] [--samples-scale X] [--entry pre|exit]\n"
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
            "                      PN_core PN_pid PN_nr PK_allmatch MC_scale MC_churn W_churn\n"
            "                      S_bare S_filter S_filter_miss S_empty S_printf (script\n"
            "                      actions; any of them brings S_bare, the reference)\n"
            "  --cache LIST        cache states of the single-thread scenarios: warm, l3 (L1/L2\n"
            "                      evicted by sweeping 2x L2), dram (structures clflushed);\n"
            "                      default all three. MC_* are always warm\n"
            "  --seed N            seed of the shuffled node order (default 1)\n"
            "  --samples-scale X   multiply every sample count by X (0.01..100)\n"
            "  --entry FORM        pre (default): hd_dispatch_vmcall's pre pass beside hdbg's\n"
            "                      trigger; exit: hd_dispatch_vmcall_exit, the one-call form the\n"
            "                      in-tree backends use, with the default handling, beside hdbg's\n"
            "                      trigger followed by the same handling (P0, P1, PN, PK, S)\n"
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
        } else if (is_option(a, "--entry")) {
            if (!(v = option_value(argc, argv, &i, "--entry")) || !*v)
                return bad("%s needs pre or exit", "--entry");
            if (strcmp(v, "pre") && strcmp(v, "exit"))
                return bad("--entry '%s': pre or exit", v);
            bench_one_call = !strcmp(v, "exit");
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
                               "P1_cond_code P1_cond_false PN_core PN_pid PN_nr PK_allmatch "
                               "MC_scale MC_churn W_churn S_bare S_filter S_filter_miss S_empty S_printf",
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
    bench_tsc_per_ns = hz > 0 ? hz / 1e9 : 1.0;

    printf("# hdevent-bench: hd = %s on the host backend (hd_ipi: with "
           "run_on_every_core, as kernel backends); hdbg = HyperDbg's dispatch re-created "
           "(hdbg_shuf: nodes in shuffled order)%s\n",
           bench_one_call ? "hd_dispatch_vmcall_exit (one-call form, default handling)"
                          : "hd_dispatch_vmcall (the pre pass)",
           bench_one_call ? "; then the default handling unless short-circuited" : "");
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
        bench_summary();
    bench_sweep_free();
    for (int i = 0; i < 32; i++)
        free(lists[i]);
    return rc ? 1 : 0;
}
