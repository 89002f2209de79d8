/* SPDX-License-Identifier: MIT */
/*
 * Single-thread scenarios: one world per scenario, measured on core 0 for hd, hdbg (nodes in
 * allocation order) and hdbg_shuf (nodes in shuffled order), interleaved A/B/C in rounds so
 * that drifts of a shared machine hit all three alike.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hd_side.h"
#include "hdbg_sim.h"
#include "timing.h"

enum shape { SHAPE_NONE, SHAPE_NOMATCH, SHAPE_BARE, SHAPE_COND_CODE, SHAPE_COND_FALSE,
             SHAPE_CORE, SHAPE_PID, SHAPE_ALLMATCH, SHAPE_NR };

struct scenario {
    const char *name;
    enum shape shape;
    uint32_t n;
};

static const struct scenario scenarios[] = {
    {"P0_none", SHAPE_NONE, 0},
    {"P0_armed_nomatch", SHAPE_NOMATCH, 1},
    {"P1_bare", SHAPE_BARE, 1},
    {"P1_cond_code", SHAPE_COND_CODE, 1},
    {"P1_cond_false", SHAPE_COND_FALSE, 1},
    {"PN_core", SHAPE_CORE, 10},
    {"PN_core", SHAPE_CORE, 100},
    {"PN_core", SHAPE_CORE, 1000},
    {"PN_core", SHAPE_CORE, 10000},
    {"PN_pid", SHAPE_PID, 10},
    {"PN_pid", SHAPE_PID, 100},
    {"PN_pid", SHAPE_PID, 1000},
    {"PN_pid", SHAPE_PID, 10000},
    {"PN_nr", SHAPE_NR, 1000},
    {"PK_allmatch", SHAPE_ALLMATCH, 1},
    {"PK_allmatch", SHAPE_ALLMATCH, 10},
    {"PK_allmatch", SHAPE_ALLMATCH, 100},
};

static const struct bench_event match = {.core = BENCH_ALL, .pid = BENCH_ALL,
                                         .cond = BENCH_COND_TRUE, .action = BENCH_ACTION_CODE};

/* Fill @w for @sc; the matching event of PN_* is registered first, so hdbg meets it last. */
static void make_world(const struct scenario *sc, struct world *w, struct bench_event *ev)
{
    memset(w, 0, sizeof(*w));
    w->events = ev;
    w->count = sc->n;
    w->cores = BENCH_CORES;
    w->exit_core = 0;
    w->exit_pid = BENCH_PID;
    w->exit_rcx = sc->shape == SHAPE_NR ? BENCH_NR : 0;
    for (uint32_t i = 0; i < sc->n; i++) {
        ev[i] = match;
        switch (sc->shape) {
        case SHAPE_NONE:
            break;
        case SHAPE_NOMATCH:
            ev[i].core = 1; /* another core */
            break;
        case SHAPE_BARE:
            ev[i].cond = BENCH_COND_NONE;
            break;
        case SHAPE_COND_CODE:
        case SHAPE_ALLMATCH:
            break;
        case SHAPE_COND_FALSE:
            ev[i].cond = BENCH_COND_FALSE;
            break;
        case SHAPE_CORE:
            if (i == 0) {
                ev[i].core = 0;
            } else { /* the other cores, HyperDbg's default break action */
                ev[i].core = 1 + i % (BENCH_CORES - 1);
                ev[i].cond = BENCH_COND_NONE;
                ev[i].action = BENCH_ACTION_BREAK;
            }
            break;
        case SHAPE_NR: /* `nr`: the match on the exit's number, the rest on others */
            ev[i].has_nr = 1;
            ev[i].nr = i == 0 ? BENCH_NR : BENCH_NR + 1 + i;
            if (i) {
                ev[i].cond = BENCH_COND_NONE;
                ev[i].action = BENCH_ACTION_BREAK;
            }
            break;
        case SHAPE_PID:
            if (i == 0) {
                ev[i].pid = BENCH_PID;
            } else {
                ev[i].pid = 0x10000 + i; /* processes that are not running here */
                ev[i].cond = BENCH_COND_NONE;
                ev[i].action = BENCH_ACTION_BREAK;
            }
            break;
        }
    }
}

/* Events of @w that run their actions on the measured exit (to check both sides agree). */
static uint32_t expected_fired(const struct world *w)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->count; i++) {
        const struct bench_event *e = &w->events[i];
        n += (e->core == BENCH_ALL || e->core == w->exit_core) &&
             (e->pid == BENCH_ALL || e->pid == w->exit_pid) && e->cond != BENCH_COND_FALSE &&
             (!e->has_nr || e->nr == w->exit_rcx);
    }
    return n;
}

/* Samples per batch and rounds, by cache state and world size (quick: under a minute total). */
static void plan(const struct bench_options *o, enum bench_cache c, uint32_t n, uint32_t *rounds,
                 uint32_t *batch)
{
    static const uint32_t quick[CACHE_COUNT] = {500, 40, 20};
    static const uint32_t full[CACHE_COUNT] = {4000, 200, 100};
    uint32_t b = o->quick ? quick[c] : full[c];
    if (c == CACHE_WARM && n >= 1000)
        b /= n >= 10000 ? 20 : 4; /* hdbg walks every node: 10,000 take ~50 us per exit */
    else if (c != CACHE_WARM && n >= 10000)
        b /= 4; /* a cold walk of 10,000 nodes takes milliseconds */
    b = (uint32_t)(b * o->scale);
    *batch = b ? b : 1;
    *rounds = o->quick ? 4 : 8;
}

enum impl { IMPL_HD, IMPL_HD_IPI, IMPL_HDBG, IMPL_HDBG_SHUF, IMPL_COUNT };
static const char *const impl_names[IMPL_COUNT] = {"hd", "hd_ipi", "hdbg", "hdbg_shuf"};

struct sides {
    struct hd_side hd[2];    /* host grace periods, IPI grace periods */
    struct hdbg_set hdbg[2]; /* in order, shuffled */
};

/*
 * hd_ipi's run_on_every_core: writers and exits share this one thread, so no core is ever
 * inside an exit when a writer runs and fn may run for each core at once.
 */
static void ipi_direct(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    for (uint32_t c = 0; c < BENCH_CORES; c++)
        fn(arg, c);
}

static void prepare(enum bench_cache c, const struct sides *s, enum impl impl)
{
    if (c == CACHE_L3)
        bench_sweep();
    else if (c == CACHE_DRAM) {
        if (impl <= IMPL_HD_IPI)
            hd_side_flush(&s->hd[impl]);
        else
            hdbg_flush(&s->hdbg[impl - IMPL_HDBG]);
    }
}

/* The measured exit's registers. */
static void exit_regs(const struct world *w, struct hd_guest_regs *regs)
{
    memset(regs, 0, sizeof(*regs));
    regs->rax = w->exit_rax;
    regs->rbx = w->exit_rbx;
    regs->rcx = w->exit_rcx;
}

/* One exit of either side, by the entry --entry names (@handled: exit, a constant). */
static inline __attribute__((always_inline)) void one_exit(struct hd_engine *e,
                                                           struct hd_vcpu *vcpu,
                                                           struct hd_guest_regs *regs,
                                                           bool handled)
{
    if (e && handled)
        hd_side_exit_handled(e, vcpu, regs);
    else if (e)
        hd_side_exit(e, vcpu, regs);
    else if (handled)
        hdbg_vmcall_exit_handled(regs);
    else
        hdbg_vmcall_exit(regs);
}

/*
 * One batch: @count samples of one exit each, the calibrated empty region subtracted.
 * Inlined with @handled a constant, so each entry's timed loop holds only its own calls.
 */
static inline __attribute__((always_inline)) void
batch_as(const struct bench_options *o, enum bench_cache c, struct sides *s,
         const struct world *w, enum impl impl, uint64_t *out, uint32_t count, bool handled)
{
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    bool drain = w->script && w->script->prints;
    exit_regs(w, &regs);
    memset(&vcpu, 0, sizeof(vcpu));

    struct hd_engine *e = impl <= IMPL_HD_IPI ? s->hd[impl].engine : NULL;
    bool hd = e != NULL;

    if (!hd)
        hdbg_activate(&s->hdbg[impl - IMPL_HDBG]);
    for (uint32_t i = 0; i < (c == CACHE_WARM ? 64u : 2u); i++) /* warm the code paths */
        one_exit(e, &vcpu, &regs, handled);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t t0, t1;
        prepare(c, s, impl);
        if (c == CACHE_WARM && hd) {
            t0 = bench_tsc_begin();
            for (uint32_t k = 0; k < BENCH_WARM_EXITS; k++)
                one_exit(e, &vcpu, &regs, handled);
            t1 = bench_tsc_end();
        } else if (c == CACHE_WARM) {
            t0 = bench_tsc_begin();
            for (uint32_t k = 0; k < BENCH_WARM_EXITS; k++)
                one_exit(NULL, &vcpu, &regs, handled);
            t1 = bench_tsc_end();
        } else if (hd) {
            t0 = bench_tsc_begin();
            one_exit(e, &vcpu, &regs, handled);
            t1 = bench_tsc_end();
        } else {
            t0 = bench_tsc_begin();
            one_exit(NULL, &vcpu, &regs, handled);
            t1 = bench_tsc_end();
        }
        out[i] = t1 - t0 > o->calib ? t1 - t0 - o->calib : 0;
        if (drain && hd) /* untimed: the queue never fills (hdbg's ring wraps) */
            hd_side_drain(e);
    }
    if (drain && hd)
        hd_side_drain(e);
}

static void batch(const struct bench_options *o, enum bench_cache c, struct sides *s,
                  const struct world *w, enum impl impl, uint64_t *out, uint32_t count)
{
    if (bench_one_call)
        batch_as(o, c, s, w, impl, out, count, true);
    else
        batch_as(o, c, s, w, impl, out, count, false);
}

/* Build @w's four sides and check that hd does the work the world says (counts what fired). */
static bool sides_build(const struct bench_options *o, const char *name, uint32_t n,
                        const struct world *w, struct sides *s)
{
    memset(s, 0, sizeof(*s));
    bench_os_enter(w->exit_core, w->exit_pid);
    if (!hd_side_build(w, NULL, NULL, &s->hd[0]) || !hd_side_build(w, ipi_direct, NULL, &s->hd[1]) ||
        !hdbg_build(w, false, o->seed, &s->hdbg[0]) ||
        !hdbg_build(w, true, o->seed ^ n, &s->hdbg[1]))
        return false;
    for (int k = 0; k < 2; k++) {
        struct hd_guest_regs regs;
        struct hd_vcpu vcpu;
        uint32_t fired;
        exit_regs(w, &regs);
        fired = bench_one_call ? hd_side_exit_handled(s->hd[k].engine, &vcpu, &regs)
                               : hd_side_exit(s->hd[k].engine, &vcpu, &regs);
        if (w->script)
            hd_side_drain(s->hd[k].engine);
        if (fired != expected_fired(w)) {
            fprintf(stderr, "hdevent-bench: %s N=%u: hd ran %u events, expected %u\n", name, n,
                    fired, expected_fired(w));
            return false;
        }
    }
    return true;
}

static void sides_destroy(struct sides *s)
{
    hdbg_destroy(&s->hdbg[0]);
    hdbg_destroy(&s->hdbg[1]);
    for (int k = 0; k < 2; k++)
        if (s->hd[k].engine || s->hd[k].host)
            hd_side_destroy(&s->hd[k]);
}

/* One cache state: @rounds rounds, each one batch per world and implementation (who goes
 * first rotates), then one line per world and implementation. False: out of memory. */
static bool measure_cache(const struct bench_options *o, enum bench_cache c,
                          const char *const *names, uint32_t n, const struct world *w,
                          struct sides *s, uint32_t count)
{
    uint32_t rounds, per, slots = count * IMPL_COUNT;
    uint64_t *samples[BENCH_WORLDS_MAX * IMPL_COUNT];
    bool ok = true;

    plan(o, c, n, &rounds, &per);
    for (uint32_t i = 0; i < slots; i++) {
        samples[i] = malloc((size_t)rounds * per * sizeof(uint64_t));
        ok = ok && samples[i];
    }
    for (uint32_t r = 0; ok && r < rounds; r++)
        for (uint32_t k = 0; k < slots; k++) {
            uint32_t i = (r + k) % slots, j = i / IMPL_COUNT;
            bench_os_enter(w[j].exit_core, w[j].exit_pid);
            batch(o, c, &s[j], &w[j], (enum impl)(i % IMPL_COUNT),
                  samples[i] + (size_t)r * per, per);
        }
    for (uint32_t i = 0; ok && i < slots; i++)
        bench_report(names[i / IMPL_COUNT], impl_names[i % IMPL_COUNT], c, n, samples[i],
                     (uint64_t)rounds * per, c == CACHE_WARM ? BENCH_WARM_EXITS : 1);
    for (uint32_t i = 0; i < slots; i++)
        free(samples[i]);
    if (!ok)
        fprintf(stderr, "hdevent-bench: out of memory for samples\n");
    fflush(stdout);
    return ok;
}

int bench_measure_worlds(const struct bench_options *o, const char *const *names, uint32_t n,
                         const struct world *w, uint32_t count)
{
    struct sides s[BENCH_WORLDS_MAX];
    uint32_t built = 0;
    int rc = -1;

    if (count == 0 || count > BENCH_WORLDS_MAX)
        return -1;
    for (; built < count; built++)
        if (!sides_build(o, names[built], n, &w[built], &s[built])) {
            built++; /* partly built: destroyed below */
            goto out;
        }
    for (int c = 0; c < CACHE_COUNT; c++)
        if ((o->caches & (1u << c)) && !measure_cache(o, (enum bench_cache)c, names, n, w, s, count))
            goto out;
    rc = 0;
out:
    for (uint32_t j = 0; j < built; j++)
        sides_destroy(&s[j]);
    return rc;
}

int bench_measure_world(const struct bench_options *o, const char *name, uint32_t n,
                        const struct world *w)
{
    return bench_measure_worlds(o, &name, n, w, 1);
}

static int measure(const struct bench_options *o, const struct scenario *sc)
{
    struct bench_event *ev = calloc(sc->n ? sc->n : 1, sizeof(*ev));
    struct world w;
    int rc;

    if (!ev)
        return -1;
    make_world(sc, &w, ev);
    rc = bench_measure_world(o, sc->name, sc->n, &w);
    free(ev);
    return rc;
}

int bench_run_single(const struct bench_options *o)
{
    if (bench_pin(0) != 0)
        perror("hdevent-bench: pinning to CPU 0 (continuing unpinned)");
    bench_os_enter(0, BENCH_PID);
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (!bench_selected(o, scenarios[i].name))
            continue;
        if (measure(o, &scenarios[i]) != 0)
            return -1;
    }
    return 0;
}
