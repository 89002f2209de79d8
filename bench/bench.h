/* SPDX-License-Identifier: MIT */
/*
 * hdevent-bench: options, the result table and the scenario runners shared by main.c,
 * single.c (single-thread scenarios) and mc.c (multi-core scenarios).
 */
#ifndef HDEVENT_BENCH_BENCH_H
#define HDEVENT_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "world.h"

enum bench_cache { CACHE_WARM, CACHE_L3, CACHE_DRAM, CACHE_COUNT };

struct bench_options {
    bool quick;
    uint32_t caches;      /* bit per enum bench_cache */
    const char **only;    /* scenario names (or families: PN_core) to run; NULL = all */
    uint32_t only_count;
    uint64_t seed;
    uint64_t calib;       /* empty-region cost, subtracted from every sample */
    double scale;         /* sample-count multiplier (--samples-scale) */
};

/* One printed measurement, kept for the summary. */
struct bench_result {
    const char *scenario;
    const char *impl;
    const char *cache;
    uint32_t n;
    double p50, p99; /* cycles per exit */
};

extern const char *const bench_cache_names[CACHE_COUNT];
/* TSC ticks per nanosecond, measured at start (the script goals are in nanoseconds). */
extern double bench_tsc_per_ns;

/* The summary: one line per goal of docs/performance.md (summary.c). */
void bench_summary(void);

/*
 * Print one measurement line and keep it for the summary. Each sample timed @exits
 * back-to-back exits (the TSC may tick in steps of many cycles: AMD's counts at 100 MHz).
 */
void bench_report(const char *scenario, const char *impl, enum bench_cache cache, uint32_t n,
                  uint64_t *samples, uint64_t count, uint32_t exits);

/* Exits per sample in the warm state. */
#define BENCH_WARM_EXITS 16u

/* A kept result, or NULL. */
const struct bench_result *bench_find(const char *scenario, const char *impl,
                                      const char *cache, uint32_t n);

/* Is the scenario named @name (family @family) selected? */
bool bench_selected(const struct bench_options *o, const char *name);

/* The single-thread scenarios (P0_*, P1_*, PN_*, PK_*): 0 or -1 on a setup failure. */
int bench_run_single(const struct bench_options *o);
/*
 * Measure one world on core @w->exit_core as process @w->exit_pid, for hd, hd_ipi, hdbg and
 * hdbg_shuf in every selected cache state, reported as scenario @name, N @n (single.c).
 * 0 or -1 on a setup failure.
 */
int bench_measure_world(const struct bench_options *o, const char *name, uint32_t n,
                        const struct world *w);
/* Several worlds measured together: every round takes one batch of each world and
 * implementation, so drift on a shared machine hits them all alike (@names[j] for @w[j]). */
#define BENCH_WORLDS_MAX 8u
int bench_measure_worlds(const struct bench_options *o, const char *const *names, uint32_t n,
                         const struct world *w, uint32_t count);
/* The script scenarios S_filter, S_filter_miss, S_empty, S_printf (script.c): 0 or -1. */
int bench_run_script(const struct bench_options *o);
/* MC_scale and MC_churn: 0 or -1. */
int bench_run_mc(const struct bench_options *o);
/* W_churn (writers.c): the cost of one register + clear beside N events on other keys. */
int bench_run_writers(const struct bench_options *o);

#endif /* HDEVENT_BENCH_BENCH_H */
