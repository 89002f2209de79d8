/* SPDX-License-Identifier: MIT */
/*
 * S5/S16 under load: dispatchers on every simulated core take VMCALL exits without pause
 * while one writer registers, enables, disables, adds actions to and clears events.
 *
 * What catches a bug here:
 *   - ASan: a snapshot, event, action, code page or buffer freed while a core still runs it;
 *   - TSan: a data race between the writer and the dispatch path;
 *   - exact counters: a permanent event (all cores, all pids), registered before the threads
 *     start and never touched by the writer, must be evaluated exactly once per exit and run
 *     its action exactly once per exit on every core — no exit may see a torn or empty set;
 *   - a liveness check in every churned hook: each event's `user` block (owned by the test,
 *     freed only after the threads are joined) records the last state change the writer
 *     completed. A hook that runs for an event whose disable or clear had returned before the
 *     exit began — with no enable since — is a bug (S4, S5);
 *   - exact bookkeeping at the end: break records and messages (pushed + dropped) against the
 *     action runs the hooks counted, hd_event_counters of the survivors against the hooks'
 *     own counts, message contents against the core that produced them (per-core buffers);
 *   - the registry as hd_event_next reports it, compared with the writer's model, and tags
 *     handed out strictly in sequence (S19) while the dispatchers run;
 *   - no allocation left once everything is cleared and the engine destroyed.
 *
 * HDEVENT_STRESS_OPS overrides the number of writer operations (default 100000);
 * HDEVENT_STRESS_MEMBARRIER=1 runs the host with hd_host_config.membarrier (the exits' store
 * then has no fence after it: the writer's membarrier stands in for it);
 * HDEVENT_STRESS_SEED fixes the writer's random seed (printed at start) to replay a run.
 *
 * This file is the test: it starts the threads, joins them and checks the bookkeeping. The
 * hooks, dispatchers and writer are in stress_concurrent/ (stress_concurrent.h says which
 * file holds what).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "stress_concurrent/stress_concurrent.h"

/* ---- shared state (declared in stress_concurrent.h) ------------------------------------- */

struct hd_host *g_host;
struct hd_engine *g_engine;
uint64_t g_perm_tag;
uint64_t g_op;
int g_stop;
struct core_ctx g_ctx[CORES];

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t ops_from_env(void)
{
    const char *s = getenv("HDEVENT_STRESS_OPS");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end == '\0' && v > 0)
            return v;
    }
    return DEFAULT_OPS;
}

/* ---- before the threads ----------------------------------------------------------------- */

/* The engine on CORES simulated cores, and the permanent event: every core, every pid, pre;
 * one native action. Registered before any thread starts and never touched by the writer. */
static void start_engine_with_permanent_event(bool membarrier)
{
    struct hd_host_config config = {.cores = CORES, .membarrier = membarrier};
    struct hd_event_desc d;
    struct hd_action_desc a;

    assert_int_equal(hd_host_create(&config, &g_host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(g_host), NULL, &g_engine), HD_OK);
    assert_int_equal(hd_engine_core_count(g_engine), CORES);

    hd_event_desc_init(&d);
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = perm_action;
    a.user = &g_perm_tag;
    d.actions = &a;
    d.action_count = 1;
    assert_int_equal(hd_event_register(g_engine, &d, &g_perm_tag), HD_OK);
    assert_int_equal(g_perm_tag, HD_TAG_BASE);
}

/* Seed (HDEVENT_STRESS_SEED, else from the clock; printed so a run can be replayed) and size
 * (HDEVENT_STRESS_OPS) the writer. */
static void prepare_writer(struct writer *w)
{
    memset(w, 0, sizeof(*w));
    w->rng = getenv("HDEVENT_STRESS_SEED") ? strtoull(getenv("HDEVENT_STRESS_SEED"), NULL, 0)
                                           : 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
    if (w->rng == 0)
        w->rng = 1;
    w->ops_target = ops_from_env();
    w->next_tag = g_perm_tag + 1;
    printf("[ stress   ] seed %#llx, %llu writer ops, %u dispatcher threads\n",
           (unsigned long long)w->rng, (unsigned long long)w->ops_target, CORES);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Dispatchers on every core, the writer until its ops are done, then stop and join the
 * dispatchers. Returns the seconds it took; *writer_result is the writer thread's result. */
static double run_threads(struct writer *w, void **writer_result)
{
    pthread_t threads[CORES], writer;
    double t0 = now_seconds();

    for (uint32_t c = 0; c < CORES; c++) {
        g_ctx[c].core = c;
        g_ctx[c].rng = 0x2545F4914F6CDD1Dull * (c + 1);
        assert_int_equal(pthread_create(&threads[c], NULL, dispatcher, &g_ctx[c]), 0);
    }
    assert_int_equal(pthread_create(&writer, NULL, writer_thread, w), 0);
    assert_int_equal(pthread_join(writer, writer_result), 0);
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (uint32_t c = 0; c < CORES; c++)
        assert_int_equal(pthread_join(threads[c], NULL), 0);
    return now_seconds() - t0;
}

static void print_summary(const struct writer *w, double elapsed)
{
    uint64_t total_exits = 0;
    for (uint32_t c = 0; c < CORES; c++) {
        printf("[ stress   ] core %u: %llu exits (%llu own hypercalls)\n", c,
               (unsigned long long)g_ctx[c].exits, (unsigned long long)g_ctx[c].protected_exits);
        total_exits += g_ctx[c].exits;
    }
    printf("[ stress   ] writer: %llu ops (%llu register, %llu enable, %llu disable, %llu clear "
           "in %llu clear-alls too, %llu add-action, %llu enable-all, %llu rejected), "
           "%llu registry walks, %llu counter reads, %llu messages read\n",
           (unsigned long long)w->ops, (unsigned long long)w->registers,
           (unsigned long long)w->enables, (unsigned long long)w->disables,
           (unsigned long long)w->clears, (unsigned long long)w->clear_alls,
           (unsigned long long)w->adds, (unsigned long long)w->enable_alls,
           (unsigned long long)w->rejects, (unsigned long long)w->walks,
           (unsigned long long)w->counter_reads, (unsigned long long)w->messages);
    printf("[ stress   ] %llu exits, %.2f s\n", (unsigned long long)total_exits, elapsed);
}

/* ---- after the join: no dispatcher is left ---------------------------------------------- */

/* What the threads recorded while they ran: the writer's first failed check, each core's. */
static void assert_threads_saw_no_error(const struct writer *w, void *writer_result)
{
    if (writer_result != NULL)
        fail_msg("writer: %s", w->error);
    for (uint32_t c = 0; c < CORES; c++)
        if (g_ctx[c].errors)
            fail_msg("core %u: %llu errors, first: %s", c, (unsigned long long)g_ctx[c].errors,
                     g_ctx[c].first_error);
    assert_true(w->ops >= w->ops_target);
    assert_int_equal(w->bad_messages, 0);
}

/* The permanent event: exactly one evaluation and one action per exit, per core. */
static void assert_permanent_event_ran_once_per_exit(void)
{
    for (uint32_t c = 0; c < CORES; c++) {
        struct hd_event_counters k;
        assert_true(g_ctx[c].exits > 0);
        assert_int_equal(hd_event_counters(g_engine, g_perm_tag, c, &k), HD_OK);
        if (k.hits != g_ctx[c].exits || g_ctx[c].perm_actions != g_ctx[c].exits)
            fail_msg("core %u: %llu exits, permanent event hits %llu, action runs %llu", c,
                     (unsigned long long)g_ctx[c].exits, (unsigned long long)k.hits,
                     (unsigned long long)g_ctx[c].perm_actions);
        assert_int_equal(k.condition_false, 0);
    }
}

/* Survivors: the engine's counters agree with what their hooks saw, per core. */
static void assert_survivor_counters_match_hooks(const struct writer *w)
{
    for (uint32_t i = 0; i < w->count; i++) {
        const struct block *b = w->ev[i].block;
        for (uint32_t c = 0; c < CORES; c++) {
            struct hd_event_counters k;
            assert_int_equal(hd_event_counters(g_engine, w->ev[i].tag, c, &k), HD_OK);
            if (k.hits != b->cond_calls[c] || k.hits - k.condition_false != b->act_runs[c])
                fail_msg("event %#llx core %u: hits %llu condition_false %llu, hooks saw %llu "
                         "conditions and %llu actions",
                         (unsigned long long)w->ev[i].tag, c, (unsigned long long)k.hits,
                         (unsigned long long)k.condition_false,
                         (unsigned long long)b->cond_calls[c],
                         (unsigned long long)b->act_runs[c]);
            assert_true(b->added_runs[c] <= (uint64_t)b->native_adds * b->act_runs[c]);
        }
    }
}

/* Every event ever registered: breaks and messages match the action runs exactly. Actions
 * run in order and all of them run when the condition holds, so each run of the native
 * action is followed by one run of the raw code (a message: queued, read or dropped)
 * and, where there is one, of the break action. */
static void assert_breaks_and_messages_match_action_runs(struct writer *w)
{
    uint64_t expect_breaks = 0, expect_messages = 0, dropped = 0;
    for (size_t i = 0; i < g_block_count; i++) {
        const struct block *b = g_blocks[i];
        for (uint32_t c = 0; c < CORES; c++) {
            if (b->has_break)
                expect_breaks += b->act_runs[c];
            if (b->buffered_code)
                expect_messages += b->act_runs[c];
        }
    }
    read_messages(w, UINT32_MAX);
    assert_int_equal(w->bad_messages, 0);
    for (uint32_t c = 0; c < CORES; c++) {
        struct hd_message_stats ms;
        assert_int_equal(hd_message_stats(g_engine, c, &ms), HD_OK);
        assert_int_equal(ms.queued, 0);
        dropped += ms.dropped;
    }
    printf("[ stress   ] %llu breaks, %llu messages read + %llu dropped\n",
           (unsigned long long)hd_host_break_count(g_host), (unsigned long long)w->messages,
           (unsigned long long)dropped);
    assert_int_equal(hd_host_break_count(g_host), expect_breaks);
    assert_int_equal(w->messages + dropped, expect_messages);
}

/* Tear down: nothing may be left allocated. Only then may the user blocks go: the engine can
 * no longer run a hook. */
static void destroy_engine_then_free_blocks(void)
{
    struct hd_event_info info;

    assert_int_equal(hd_event_clear(g_engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_event_next(g_engine, 0, &info), HD_EMPTY);
    hd_engine_destroy(g_engine);
    g_engine = NULL;
    assert_int_equal(hd_host_live_allocations(g_host), 0);
    hd_host_destroy(g_host);
    g_host = NULL;

    for (size_t i = 0; i < g_block_count; i++) {
        assert_int_equal(g_blocks[i]->magic, MAGIC);
        free(g_blocks[i]);
    }
    free(g_blocks);
    g_blocks = NULL;
    g_block_count = g_block_capacity = 0;
}

/* ---- the test ---------------------------------------------------------------------------- */

/* @membarrier: grace periods by counters without the exits' fence (hd_host_config). */
static void stress(bool membarrier)
{
    static struct writer writer_state; /* static: a failing assertion longjmps out */
    struct writer *w = &writer_state;
    void *writer_result;
    double elapsed;

    start_engine_with_permanent_event(membarrier);
    prepare_writer(w);
    elapsed = run_threads(w, &writer_result);

    /* Everything below runs with no dispatcher left. */
    print_summary(w, elapsed);
    assert_threads_saw_no_error(w, writer_result);
    assert_permanent_event_ran_once_per_exit();
    assert_survivor_counters_match_hooks(w);
    assert_breaks_and_messages_match_action_runs(w);
    destroy_engine_then_free_blocks();
}

/* HDEVENT_STRESS_MEMBARRIER=1 (ctest unit.test_stress_concurrent_membarrier): the host's
 * grace periods use membarrier instead of a fence in each exit (hd_host_config). */
static void stress_register_clear_while_dispatching(void **state)
{
    const char *m = getenv("HDEVENT_STRESS_MEMBARRIER");
    (void)state;
    stress(m && !strcmp(m, "1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress_register_clear_while_dispatching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
