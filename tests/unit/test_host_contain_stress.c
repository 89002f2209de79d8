/* SPDX-License-Identifier: MIT */
/*
 * Stopped hooks under load: one thread takes exits on core 0 whose raw condition faults on
 * every other exit and loops forever now and then (the time limit stops it), while a writer
 * thread registers and clears events on every core and takes exits on core 1. Each stopped
 * exit is abandoned (hd_dispatch_vmcall_abandon), so the writer's retired memory must still
 * be freed once the exits move on, and nothing of it freed while an exit may run it.
 *
 * What catches a bug here: ASan (the writer frees an event an exit on core 0 still runs, or a
 * stopped exit leaks), TSan (the host's fault records, region table or timer racing the
 * writer), exact counts (every exit ends exactly one way; the condition's action ran exactly
 * for the exits that were not stopped), every core's sequence even at the end, and
 * hd_engine_reclaim() freeing everything, then no allocation left after the engine.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>

#include "internal/engine.h"

#define EXITS 2000u
#define LOOP_EVERY 200u  /* one exit in this many spins in jmp $ */
#define WRITER_OPS 1500u  /* at least; more while core 0 runs */

/*
 * The condition: rax = regs->rax; 2 -> jmp $; else rax = [rax] (0 faults, &one holds).
 *   mov rax, [rcx]; cmp rax, 2; je spin; mov rax, [rax]; ret; spin: jmp $
 */
static const uint8_t g_condition[] = {0x48, 0x8B, 0x01, 0x48, 0x83, 0xF8, 0x02, 0x74, 0x04,
                                      0x48, 0x8B, 0x00, 0xC3, 0xEB, 0xFE};
static const uint8_t g_nop[] = {0x90, 0xC3};
static const uint64_t g_one = 1;

struct fx *g_fx;
static atomic_uint g_core0_done; /* the writer churns until core 0 is done */

struct counts {
    unsigned ok, faulted, timed_out, other;
};

static void *counted(struct hd_hook *h)
{
    (*(unsigned *)h->user)++; /* only core 0's exits reach this event's action */
    return NULL;
}

static void *core0(void *arg)
{
    struct counts *c = arg;

    for (uint32_t i = 0; i < EXITS; i++) {
        struct hd_guest_regs regs = {.rax = i % LOOP_EVERY == 7 ? 2
                                            : i % 2             ? (uint64_t)(uintptr_t)&g_one
                                                                : 0};
        struct hd_vcpu vcpu;
        struct hd_exit x;
        hd_host_vcpu_init(&vcpu, &regs, 0, 0x10);
        switch (hd_host_vmcall(g_fx->host, g_fx->engine, &vcpu, &x)) {
        case HD_OK:
            c->ok++;
            break;
        case HD_ERR_HOOK_FAULTED:
            c->faulted++;
            break;
        case HD_ERR_HOOK_TIMEOUT:
            c->timed_out++;
            break;
        default:
            c->other++;
        }
    }
    atomic_store(&g_core0_done, 1);
    return NULL;
}

static void *nothing(struct hd_hook *h)
{
    (void)h;
    return NULL;
}

/* Register, exit on core 1, clear: the events run raw code on core 0's exits too. */
static void *writer(void *arg)
{
    unsigned *errors = arg;

    for (uint32_t i = 0; i < WRITER_OPS || !atomic_load(&g_core0_done); i++) {
        struct hd_action_desc a[2] = {act_code(g_nop, sizeof(g_nop), 16),
                                      act_native(nothing, NULL)};
        struct hd_event_desc d = ev_desc(i % 3 ? HD_ALL : 1, HD_ALL, HD_STAGE_ALL, false, a, 2);
        struct hd_guest_regs regs = {0};
        struct hd_vcpu vcpu;
        uint64_t tag;

        if (hd_event_register(g_fx->engine, &d, &tag) != HD_OK) {
            (*errors)++;
            continue;
        }
        hd_host_vcpu_init(&vcpu, &regs, 1, 0x20);
        if (hd_host_vmcall(g_fx->host, g_fx->engine, &vcpu, NULL) != HD_OK)
            (*errors)++;
        if (hd_event_clear(g_fx->engine, tag) != HD_OK)
            (*errors)++;
        if (i % 64 == 0)
            hd_engine_reclaim(g_fx->engine);
    }
    return NULL;
}

static void stopped_exits_on_one_core_while_writers_churn(void **state)
{
    struct hd_host_config cfg = {.cores = 4, .time_limit_ms = 20};
    struct fx *f = *state;
    unsigned action_runs = 0, writer_errors = 0;
    struct hd_action_desc act = act_native(counted, &action_runs);
    struct hd_event_desc d = ev_desc(0, HD_ALL, HD_STAGE_PRE, false, &act, 1);
    struct counts c = {0};
    struct hd_host_fault fault;
    pthread_t t0, tw;

    hd_engine_destroy(f->engine);
    hd_host_destroy(f->host);
    assert_int_equal(hd_host_create(&cfg, &f->host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
    g_fx = f;
    atomic_store(&g_core0_done, 0);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = g_condition;
    d.condition.code_size = sizeof(g_condition);
    uint64_t tag = reg_desc(f, &d);

    assert_int_equal(pthread_create(&t0, NULL, core0, &c), 0);
    assert_int_equal(pthread_create(&tw, NULL, writer, &writer_errors), 0);
    pthread_join(t0, NULL);
    pthread_join(tw, NULL);

    assert_int_equal(writer_errors, 0);
    assert_int_equal(c.other, 0);
    assert_int_equal(c.timed_out, EXITS / LOOP_EVERY);
    assert_int_equal(c.faulted, EXITS / 2); /* the spinning ones are odd: i = 7 mod 200 */
    assert_int_equal(c.ok, EXITS - c.faulted - c.timed_out);
    assert_int_equal(action_runs, c.ok);
    assert_int_equal(hd_host_fault_count(f->host), c.faulted + c.timed_out);
    assert_true(hd_host_fault_get(f->host, 0, &fault));
    assert_true(fault.named);
    assert_int_equal(fault.owner.tag, tag);
    assert_false(hd_host_fault_get(f->host, 1, &fault));
    for (uint32_t core = 0; core < 4; core++)
        assert_int_equal(f->engine->cores[core].seq & 1, 0);

    /* More exits on the core that was stopped so often: it holds and lets go as before. */
    uint64_t before = f->engine->cores[0].seq;
    struct hd_guest_regs regs = {.rax = (uint64_t)(uintptr_t)&g_one};
    run_exit(f, 0, 0x10, 0, &regs);
    assert_int_equal(action_runs, c.ok + 1);
    assert_int_equal(f->engine->cores[0].seq, before + 2);

    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0); /* everything retired is freed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stopped_exits_on_one_core_while_writers_churn, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
