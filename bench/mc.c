/* SPDX-License-Identifier: MIT */
/*
 * Multi-core scenarios. One dispatch thread per online CPU (pinned; simulated core = CPU), all
 * in one process (one pid), each timing its own exits on a shared world of 1,000 mixed
 * events. Phases run in rounds, every thread on the same implementation at a time:
 *   MC_scale hd, hd_ipi, hdbg; MC_churn hd, hd_ipi (as MC_scale, plus one writer thread
 *   that registers and clears an event continuously, publishing a new snapshot each time).
 * hdbg has no churn phase: the description of HyperDbg's dispatch gives no way to unlink a
 * node while other cores walk the list, so there is nothing faithful to measure.
 *
 * hd_ipi's run_on_every_core is a simulated IPI: the writer posts a request to every dispatch
 * thread and waits until each has run it between two exits, as a kernel's IPI runs only where
 * interrupts are on, never inside an exit. Threads poll for requests between samples and while
 * they wait between phases.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "hd_side.h"
#include "hdbg_sim.h"
#include "timing.h"

#define MC_N 1000u

enum phase { PHASE_HD, PHASE_HD_IPI, PHASE_HDBG, PHASE_CHURN_HD, PHASE_CHURN_HD_IPI,
             PHASE_COUNT, PHASE_STOP = PHASE_COUNT };
static const char *const phase_scenario[PHASE_COUNT] = {"MC_scale", "MC_scale", "MC_scale",
                                                        "MC_churn", "MC_churn"};
static const char *const phase_impl[PHASE_COUNT] = {"hd", "hd_ipi", "hdbg", "hd", "hd_ipi"};

/* One simulated IPI slot per dispatch thread, on its own line. */
struct ipi_slot {
    _Alignas(64) _Atomic uint64_t request;
    _Atomic uint64_t done;
    void (*fn)(void *arg, uint32_t core);
    void *arg;
};

struct mc {
    const struct bench_options *o;
    struct hd_side hd[2];   /* host grace periods, simulated-IPI grace periods */
    struct hdbg_set hdbg;
    uint32_t threads, cores;
    uint32_t per;           /* samples per thread per phase and round */
    uint32_t rounds;
    _Atomic uint32_t round;
    _Atomic int phase;
    _Atomic uint32_t arrived;   /* spin barrier */
    _Atomic uint32_t generation;
    _Atomic int churn;      /* writer: 1 + engine index while churning, 0 idle, -1 exit */
    _Atomic uint64_t churn_ops[2];
    struct ipi_slot *ipi;   /* [threads] */
    bool threads_live;      /* dispatch threads exist and answer IPIs (set by main) */
    uint64_t *samples[PHASE_COUNT]; /* [threads * rounds * per] */
};

struct worker {
    struct mc *mc;
    uint32_t index;
};

/* Between exits: run what the writer asked for (the simulated IPI's handler). */
static void ipi_poll(struct mc *mc, uint32_t t)
{
    struct ipi_slot *s = &mc->ipi[t];
    uint64_t r = atomic_load_explicit(&s->request, memory_order_acquire);
    if (r != atomic_load_explicit(&s->done, memory_order_relaxed)) {
        s->fn(s->arg, t);
        atomic_store_explicit(&s->done, r, memory_order_release);
    }
}

/* run_on_every_core for hd_ipi: cores without a thread run fn at once, as idle cores would. */
static void ipi_broadcast(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    struct mc *mc = user;
    uint64_t want[256];
    if (!mc->threads_live) { /* setup: no thread dispatches yet */
        for (uint32_t c = 0; c < mc->cores; c++)
            fn(arg, c);
        return;
    }
    for (uint32_t t = 0; t < mc->threads; t++) {
        struct ipi_slot *s = &mc->ipi[t];
        s->fn = fn;
        s->arg = arg;
        want[t] = atomic_load(&s->request) + 1;
        atomic_store_explicit(&s->request, want[t], memory_order_release);
    }
    for (uint32_t c = mc->threads; c < mc->cores; c++)
        fn(arg, c);
    for (uint32_t t = 0; t < mc->threads; t++)
        while (atomic_load_explicit(&mc->ipi[t].done, memory_order_acquire) != want[t])
            sched_yield();
}

/* All dispatch threads plus the main thread; waiting threads keep answering IPIs. */
static void barrier(struct mc *mc, int32_t thread)
{
    uint32_t gen = atomic_load(&mc->generation);
    if (atomic_fetch_add(&mc->arrived, 1) + 1 == mc->threads + 1) {
        atomic_store(&mc->arrived, 0);
        atomic_fetch_add(&mc->generation, 1);
        return;
    }
    while (atomic_load(&mc->generation) == gen) {
        if (thread >= 0)
            ipi_poll(mc, (uint32_t)thread);
        sched_yield();
    }
}

/* 1,000 events: two match every thread (one by pid, one by its core), the rest never do. */
static void make_world(struct world *w, struct bench_event *ev, uint32_t threads, uint32_t cores)
{
    uint32_t i = 0;
    memset(w, 0, sizeof(*w));
    w->events = ev;
    w->cores = cores;
    w->exit_core = 0;
    w->exit_pid = BENCH_PID;
    ev[i++] = (struct bench_event){.core = BENCH_ALL, .pid = BENCH_PID, .cond = BENCH_COND_TRUE,
                                   .action = BENCH_ACTION_CODE};
    for (uint32_t t = 0; t < threads; t++)
        ev[i++] = (struct bench_event){.core = t, .pid = BENCH_ALL, .cond = BENCH_COND_TRUE,
                                       .action = BENCH_ACTION_CODE};
    for (; i < MC_N; i++) {
        struct bench_event e = {.core = BENCH_ALL, .pid = BENCH_ALL, .cond = BENCH_COND_NONE,
                                .action = BENCH_ACTION_BREAK};
        switch (i % 3) {
        case 0: /* a core nobody dispatches on */
            e.core = threads + i % (cores - threads);
            break;
        case 1: /* another process */
            e.pid = 0x10000 + i;
            break;
        default: /* another process on some core */
            e.core = i % cores;
            e.pid = 0x10000 + i;
            break;
        }
        ev[i] = e;
    }
    w->count = i;
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct mc *mc = wk->mc;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;

    if (bench_pin((int)wk->index) != 0)
        perror("hdevent-bench: pinning an MC thread (continuing unpinned)");
    bench_os_enter(wk->index, BENCH_PID);
    memset(&regs, 0, sizeof(regs));
    for (;;) {
        int phase;
        struct hd_engine *e;
        uint64_t *out;
        barrier(mc, (int32_t)wk->index);
        phase = atomic_load(&mc->phase);
        if (phase == PHASE_STOP)
            break;
        e = mc->hd[phase == PHASE_HD_IPI || phase == PHASE_CHURN_HD_IPI].engine;
        out = mc->samples[phase] +
              ((size_t)wk->index * mc->rounds + atomic_load(&mc->round)) * mc->per;
        for (uint32_t i = 0; i < 64; i++) { /* warm up */
            if (phase == PHASE_HDBG)
                hdbg_vmcall_exit(&regs);
            else
                hd_side_exit(e, &vcpu, &regs);
        }
        for (uint32_t i = 0; i < mc->per; i++) {
            uint64_t t0, t1;
            ipi_poll(mc, wk->index); /* "interrupts on" between exits */
            if (phase == PHASE_HDBG) {
                t0 = bench_tsc_begin();
                hdbg_vmcall_exit(&regs);
                t1 = bench_tsc_end();
            } else {
                t0 = bench_tsc_begin();
                hd_side_exit(e, &vcpu, &regs);
                t1 = bench_tsc_end();
            }
            out[i] = t1 - t0 > mc->o->calib ? t1 - t0 - mc->o->calib : 0;
        }
        barrier(mc, (int32_t)wk->index);
    }
    return NULL;
}

/* The writer: register an event nobody matches, clear it, again, while churn is on. */
static void *writer_main(void *arg)
{
    struct mc *mc = arg;
    uint32_t i = 0;
    if (bench_pin(-1) != 0) /* threads inherit the creator's pinning; the writer roams */
        perror("hdevent-bench: unpinning the writer");
    for (;;) {
        int state = atomic_load(&mc->churn);
        struct hd_engine *e;
        struct hd_event_desc d;
        struct hd_action_desc a;
        uint64_t tag;
        if (state < 0)
            break;
        if (state == 0) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        e = mc->hd[state - 1].engine;
        hd_event_desc_init(&d);
        hd_action_desc_init(&a, HD_ACTION_BREAK);
        d.pid = 0x20000 + (i++ & 0xFFFF);
        d.actions = &a;
        d.action_count = 1;
        if (HD_SUCCESS(hd_event_register(e, &d, &tag)) && HD_SUCCESS(hd_event_clear(e, tag)))
            atomic_fetch_add(&mc->churn_ops[state - 1], 2);
    }
    return NULL;
}

static bool phase_selected(const struct bench_options *o, int p)
{
    return bench_selected(o, phase_scenario[p]);
}

/* What the main thread starts, besides the world the threads share (struct mc). */
struct mc_threads {
    struct worker *wk;      /* [threads] */
    pthread_t *tid;         /* [threads] */
    uint32_t started;       /* dispatch threads running */
    pthread_t writer;
    bool writer_started;
};

/* Sizes from the options and the machine, the IPI slots, the three implementations built on
 * one world (@w, whose events are @ev), one sample array per phase. False: out of memory. */
static bool mc_setup(struct mc *mc, const struct bench_options *o, struct world *w,
                     struct bench_event *ev)
{
    mc->o = o;
    mc->threads = (uint32_t)bench_online_cpus();
    if (mc->threads > 256)
        mc->threads = 256;
    mc->cores = mc->threads + 4 > BENCH_CORES ? mc->threads + 4 : BENCH_CORES;
    mc->rounds = o->quick ? 4 : 10;
    mc->per = (uint32_t)((o->quick ? 2500 : 20000) * o->scale);
    if (!mc->per)
        mc->per = 1;
    mc->ipi = aligned_alloc(64, sizeof(*mc->ipi) * mc->threads);
    if (!mc->ipi)
        return false;
    memset(mc->ipi, 0, sizeof(*mc->ipi) * mc->threads);
    make_world(w, ev, mc->threads, mc->cores);
    if (!hd_side_build(w, NULL, NULL, &mc->hd[0]) ||
        !hd_side_build(w, ipi_broadcast, mc, &mc->hd[1]) ||
        !hdbg_build(w, false, mc->o->seed, &mc->hdbg))
        return false;
    hdbg_activate(&mc->hdbg);
    for (int p = 0; p < PHASE_COUNT; p++) {
        mc->samples[p] = malloc((size_t)mc->threads * mc->rounds * mc->per * sizeof(uint64_t));
        if (!mc->samples[p])
            return false;
    }
    return true;
}

/* One dispatch thread per CPU, and the writer when MC_churn runs. A thread that cannot start
 * ends the process: the ones started wait at a barrier that could never open. */
static bool mc_start_threads(struct mc *mc, struct mc_threads *th, bool churn)
{
    th->wk = calloc(mc->threads, sizeof(*th->wk));
    th->tid = calloc(mc->threads, sizeof(*th->tid));
    if (!th->wk || !th->tid)
        return false;
    for (; th->started < mc->threads; th->started++) {
        th->wk[th->started] = (struct worker){mc, th->started};
        if (pthread_create(&th->tid[th->started], NULL, worker_main, &th->wk[th->started]) != 0) {
            fprintf(stderr, "hdevent-bench: cannot start MC thread %u\n", th->started);
            exit(1);
        }
    }
    mc->threads_live = true;
    if (churn) {
        if (pthread_create(&th->writer, NULL, writer_main, mc) != 0) {
            fprintf(stderr, "hdevent-bench: cannot start the MC writer\n");
            exit(1);
        }
        th->writer_started = true;
    }
    return true;
}

/* Phase @p of round @r: every thread times its exits on the phase's implementation, between
 * two barriers. Returns the phase's wall-clock seconds (the churn writer's time base). */
static double mc_run_phase(struct mc *mc, uint32_t r, int p)
{
    struct timespec a, b;
    int engine = p == PHASE_CHURN_HD_IPI;
    atomic_store(&mc->round, r);
    atomic_store(&mc->phase, p);
    atomic_store(&mc->churn, p >= PHASE_CHURN_HD ? 1 + engine : 0);
    if (p >= PHASE_CHURN_HD) { /* time exits only once the writer is at work */
        uint64_t before = atomic_load(&mc->churn_ops[engine]);
        while (atomic_load(&mc->churn_ops[engine]) < before + 2)
            sched_yield();
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    barrier(mc, -1);
    barrier(mc, -1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    atomic_store(&mc->churn, 0);
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* Every selected phase, round after round; @t_churn adds up the churn phases' seconds. */
static void mc_run_rounds(struct mc *mc, double t_churn[2])
{
    for (uint32_t r = 0; r < mc->rounds; r++)
        for (int p = 0; p < PHASE_COUNT; p++) {
            double seconds;
            if (!phase_selected(mc->o, p))
                continue;
            seconds = mc_run_phase(mc, r, p);
            if (p >= PHASE_CHURN_HD)
                t_churn[p == PHASE_CHURN_HD_IPI] += seconds;
        }
}

static void mc_stop_threads(struct mc *mc, struct mc_threads *th)
{
    /* The writer first: it may wait for an IPI answer, and threads answer while waiting. */
    atomic_store(&mc->churn, -1);
    if (th->writer_started)
        pthread_join(th->writer, NULL);
    atomic_store(&mc->phase, PHASE_STOP);
    barrier(mc, -1);
    for (uint32_t t = 0; t < th->started; t++)
        pthread_join(th->tid[t], NULL);
    mc->threads_live = false; /* engine teardown below runs its IPIs directly */
}

static void mc_report(struct mc *mc, const struct world *w, bool churn, const double t_churn[2])
{
    uint64_t total = (uint64_t)mc->threads * mc->rounds * mc->per;
    printf("# MC: %u dispatch threads (one per CPU), N=%u events, %llu samples of one exit "
           "per line\n", mc->threads, w->count, (unsigned long long)total);
    if (churn)
        printf("# MC_churn writer: hd %llu publications in %.2f s, hd_ipi %llu in %.2f s\n",
               (unsigned long long)atomic_load(&mc->churn_ops[0]), t_churn[0],
               (unsigned long long)atomic_load(&mc->churn_ops[1]), t_churn[1]);
    for (int p = 0; p < PHASE_COUNT; p++)
        if (phase_selected(mc->o, p))
            bench_report(phase_scenario[p], phase_impl[p], CACHE_WARM, w->count,
                         mc->samples[p], total, 1);
}

/* Frees what mc_setup and mc_start_threads got, however far they came. */
static void mc_free(struct mc *mc, struct mc_threads *th, struct bench_event *ev)
{
    for (int p = 0; p < PHASE_COUNT; p++)
        free(mc->samples[p]);
    free(th->wk);
    free(th->tid);
    hdbg_destroy(&mc->hdbg);
    for (int k = 0; k < 2; k++)
        if (mc->hd[k].engine || mc->hd[k].host)
            hd_side_destroy(&mc->hd[k]);
    free(mc->ipi);
    free(ev);
}

int bench_run_mc(const struct bench_options *o)
{
    bool churn = bench_selected(o, "MC_churn");
    struct mc mc;
    struct mc_threads th;
    struct world w;
    struct bench_event *ev = calloc(MC_N, sizeof(*ev));
    double t_churn[2] = {0, 0};
    int rc = -1;

    memset(&mc, 0, sizeof(mc));
    memset(&th, 0, sizeof(th));
    if (!ev)
        return -1;
    if (!bench_selected(o, "MC_scale") && !churn) {
        free(ev);
        return 0;
    }
    if (mc_setup(&mc, o, &w, ev) && mc_start_threads(&mc, &th, churn)) {
        mc_run_rounds(&mc, t_churn);
        mc_stop_threads(&mc, &th);
        mc_report(&mc, &w, churn, t_churn);
        rc = 0;
    } else {
        fprintf(stderr, "hdevent-bench: MC scenarios could not be set up (out of memory)\n");
    }
    mc_free(&mc, &th, ev);
    return rc;
}
