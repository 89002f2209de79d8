/* SPDX-License-Identifier: MIT */
/*
 * W_churn: the writer's cost. An engine holds N events on other keys (each on its own pid,
 * cores round-robin), and one writer registers an enabled event on core 0 / BENCH_PID and
 * clears it: one sample is that pair, with the reclamation the writer calls do themselves. A
 * writer that rebuilt the snapshot would pay O(N) per sample; path copying pays for the key it
 * changes. hd: grace periods by per-core counters; hd_ipi: run_on_every_core (here every
 * simulated core is idle, so the "IPI" runs at once in the writer, as on idle cores), whose
 * broadcasts are batched: the line after each hd_ipi figure says how many a pair costs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hd_side.h"
#include "timing.h"

static const uint32_t sizes[] = {10, 1000, 100000};

struct ipi_count {
    uint64_t broadcasts;
    uint32_t cores;
};

static void idle_ipi(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    struct ipi_count *c = user;
    c->broadcasts++;
    for (uint32_t core = 0; core < c->cores; core++)
        fn(arg, core);
}

/* Events on other keys: pid 0x10000 + i is never the churned event's pid. */
static struct bench_event *other_keys(uint32_t n)
{
    struct bench_event *ev = calloc(n ? n : 1, sizeof(*ev));
    for (uint32_t i = 0; ev && i < n; i++)
        ev[i] = (struct bench_event){.core = i % BENCH_CORES, .pid = 0x10000u + i,
                                     .cond = BENCH_COND_NONE, .action = BENCH_ACTION_BREAK};
    return ev;
}

/* One sample: register + clear + reclaim, its cycles in *@out. false on failure (reported). */
static bool churn_once(struct hd_engine *e, uint64_t calib, uint64_t *out)
{
    static const uint8_t ret[] = {0xC3};
    struct hd_event_desc d;
    struct hd_action_desc a;
    enum hd_status st;
    uint64_t tag, t0, t1;

    hd_event_desc_init(&d);
    d.core = 0;
    d.pid = BENCH_PID;
    hd_action_desc_init(&a, HD_ACTION_CODE);
    a.code = ret;
    a.code_size = sizeof(ret);
    d.actions = &a;
    d.action_count = 1;
    t0 = bench_tsc_begin();
    st = hd_event_register(e, &d, &tag);
    if (!HD_FAILED(st))
        st = hd_event_clear(e, tag);
    t1 = bench_tsc_end();
    if (HD_FAILED(st)) {
        fprintf(stderr, "hdevent-bench: W_churn: %s\n", hd_status_str(st));
        return false;
    }
    *out = t1 - t0 > calib ? t1 - t0 - calib : 0;
    return true;
}

static int run_one(const struct bench_options *o, uint32_t n, bool ipi)
{
    struct world w = {.count = n, .cores = BENCH_CORES, .exit_core = 0, .exit_pid = BENCH_PID};
    struct ipi_count count = {0, BENCH_CORES};
    struct hd_side side;
    uint32_t samples = (uint32_t)((o->quick ? 2000 : 20000) * o->scale);
    uint64_t *v;
    int rc = 0;

    if (samples < 10)
        samples = 10;
    w.events = other_keys(n);
    v = malloc(samples * sizeof(*v));
    if (!w.events || !v || !hd_side_build(&w, ipi ? idle_ipi : NULL, &count, &side)) {
        free(w.events);
        free(v);
        return -1;
    }
    count.broadcasts = 0;
    for (uint32_t i = 0; i < samples / 10 && rc == 0; i++) /* warm allocator and caches */
        rc = churn_once(side.engine, o->calib, &v[i]) ? 0 : -1;
    count.broadcasts = 0;
    for (uint32_t i = 0; i < samples && rc == 0; i++)
        rc = churn_once(side.engine, o->calib, &v[i]) ? 0 : -1;
    if (rc == 0) {
        bench_report("W_churn", ipi ? "hd_ipi" : "hd", CACHE_WARM, n, v, samples, 1);
        if (ipi)
            printf("# W_churn hd_ipi N=%u: %.3f broadcasts per register+clear\n", n,
                   (double)count.broadcasts / samples);
    }
    hd_side_destroy(&side);
    free(w.events);
    free(v);
    return rc;
}

int bench_run_writers(const struct bench_options *o)
{
    if (!bench_selected(o, "W_churn"))
        return 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int ipi = 0; ipi < 2; ipi++)
            if (run_one(o, sizes[i], ipi != 0) != 0)
                return -1;
    return 0;
}
