/* SPDX-License-Identifier: MIT */
/*
 * S5, S16: an exit's event set stays alive from its pre pass to the end of its post pass,
 * across the default handling, in both grace-period modes (per-core counters, and IPI
 * broadcasts as the kernel backends configure it), whether the backend uses the one-call
 * exit or the two-call form with interrupts on in between. And how often writers interrupt
 * the cores to prove it: once per batch with IPIs, once per call with counters.
 *
 * The IPI is modelled exactly: each simulated core has a mutex held while it is "inside an
 * exit with interrupts off", and the broadcast runs fn for core c while holding c's mutex, so
 * it waits for that core's exit to end as a real IPI does. An exit that runs a cleared
 * event's hook after its memory was freed is what ASan/UBSan builds report here.
 */
#include "helpers.h"

#include <pthread.h>
#include <sched.h>

#include "internal/engine.h"

#define CORES 4u

static pthread_mutex_t g_irq_off[CORES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER,
};
static volatile int g_broadcasting; /* a writer is inside the broadcast */
static unsigned g_broadcasts;

static void run_everywhere(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    __atomic_store_n(&g_broadcasting, 1, __ATOMIC_SEQ_CST);
    for (uint32_t c = 0; c < CORES; c++) {
        pthread_mutex_lock(&g_irq_off[c]); /* the IPI is taken once c enables interrupts */
        fn(arg, c);
        pthread_mutex_unlock(&g_irq_off[c]);
    }
    g_broadcasts++;
    __atomic_store_n(&g_broadcasting, 0, __ATOMIC_SEQ_CST);
}

/* Counter grace periods without the exits' fence (HD_GRACE_BARRIER): the writer's barrier. */
static bool g_use_barrier;
static unsigned g_barriers;
static unsigned g_barrier_word;

static void barrier_everywhere(void *user)
{
    (void)user;
    /* A full barrier (a locked RMW: one TSan also sees; it refuses bare fences). The
     * simulated cores are this thread's peers, which the racer's thread synchronises with. */
    __atomic_fetch_add(&g_barrier_word, 1, __ATOMIC_SEQ_CST);
    g_barriers++;
}

static void use_ipi(struct fx *f, bool ipi)
{
    static struct hd_backend_ops ops;
    ops = *hd_host_ops(f->host);
    if (ipi)
        ops.run_on_every_core = run_everywhere;
    else if (g_use_barrier)
        ops.barrier_every_core = barrier_everywhere;
    fx_recreate(f, &ops, NULL);
    /* One register/clear cycle, so what the registry keeps is in the tests' baselines. */
    {
        struct hd_action_desc a = act_log(9);
        reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
        assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
        assert_int_equal(hd_engine_reclaim(f->engine), 0);
    }
    g_broadcasts = 0;
}

/* ---- the two-call form: pre pass, clear, post pass ----------------------------------- */

static void two_call_clear_between_passes(struct fx *f, bool ipi)
{
    struct hd_action_desc a = act_log(1);
    struct hd_guest_regs regs = {0};
    struct hd_verdict pre, post;
    struct hd_vcpu v;
    uint64_t tag, live_before;

    use_ipi(f, ipi);
    live_before = hd_host_live_allocations(f->host);
    tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    hd_host_vcpu_init(&v, &regs, 1, 0x10);

    /* Core 1 with interrupts off for the pre pass only: the caller's default handling runs
     * with them on, so a broadcast may land on core 1 between the passes. */
    pthread_mutex_lock(&g_irq_off[1]);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &v, NULL, &pre), HD_OK);
    pthread_mutex_unlock(&g_irq_off[1]);
    assert_true(pre.flags & HD_VERDICT_POST);

    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    g_broadcasts = 0;
    assert_true(hd_engine_reclaim(f->engine) > 0); /* core 1 still holds the old set */
    assert_int_equal(g_broadcasts, ipi ? 1u : 0u); /* in IPI mode reclaim asked the cores */

    pthread_mutex_lock(&g_irq_off[1]);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &v, NULL, &post), HD_OK);
    pthread_mutex_unlock(&g_irq_off[1]);
    assert_int_equal(post.fired, 1); /* the cleared event's hook ran on live memory */
    assert_int_equal(tlog_count(), 2);

    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live_before);
}

static void two_call_counter_grace(void **state)
{
    two_call_clear_between_passes(*state, false);
}

static void two_call_ipi_grace(void **state)
{
    two_call_clear_between_passes(*state, true);
}

/* The two-call error path ends the hold in IPI mode too. */
static void two_call_end_releases_the_set_ipi_grace(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_guest_regs regs = {0};
    struct hd_verdict pre;
    struct hd_vcpu v;
    uint64_t tag;

    use_ipi(f, true);
    tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    hd_host_vcpu_init(&v, &regs, 2, 0x10);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &v, NULL, &pre), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    assert_true(hd_engine_reclaim(f->engine) > 0);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &v), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

/* ---- the one-call exit: a writer clears during the default handling -------------------- */

struct racer {
    struct fx *f;
    uint64_t tag;
    pthread_t thread;
    enum hd_status status;
};

/* Clear, then ask for the grace period at once (in IPI mode one clear alone would not
 * broadcast: batches wait for more), so the free races the exit's post pass. */
static void *clear_thread(void *arg)
{
    struct racer *r = arg;
    r->status = hd_event_clear(r->f->engine, r->tag);
    if (r->status == HD_OK)
        (void)hd_engine_reclaim(r->f->engine);
    return NULL;
}

/* The default handling: start a writer on another thread and let it publish before the post
 * pass runs; with IPI grace its broadcast then waits for this exit (core 0's mutex). */
static void handle_while_clearing(void *user, struct hd_vcpu *vcpu)
{
    struct racer *r = user;
    bool ipi = r->f->engine->grace == HD_GRACE_IPI;

    vcpu->regs->rax = 0x77;
    assert_int_equal(pthread_create(&r->thread, NULL, clear_thread, r), 0);
    if (ipi) {
        while (!__atomic_load_n(&g_broadcasting, __ATOMIC_SEQ_CST))
            sched_yield();
    } else {
        assert_int_equal(pthread_join(r->thread, NULL), 0); /* it cannot free: we are inside */
        r->thread = 0;
    }
}

static void one_call_clear_during_handling(struct fx *f, bool ipi)
{
    struct hd_action_desc a = act_log(1);
    struct hd_guest_regs regs = {0};
    struct racer r = {f, 0, 0, HD_ERR_INVALID_ARGUMENT};
    struct hd_vcpu v;
    struct hd_exit x;
    uint64_t live_before;

    use_ipi(f, ipi);
    live_before = hd_host_live_allocations(f->host);
    r.tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    hd_host_vcpu_init(&v, &regs, 0, 0x10);

    pthread_mutex_lock(&g_irq_off[0]); /* the whole exit runs with interrupts off */
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, handle_while_clearing, &r, &x),
                     HD_OK);
    pthread_mutex_unlock(&g_irq_off[0]);
    if (r.thread)
        assert_int_equal(pthread_join(r.thread, NULL), 0);

    assert_int_equal(r.status, HD_OK);
    assert_true(x.default_handled && x.post_ran);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(x.post.fired, 1); /* the post pass ran the cleared event, on live memory */
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(1)->rax, 0x77);

    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live_before);
}

static void one_call_counter_grace(void **state)
{
    one_call_clear_during_handling(*state, false);
}

static void one_call_ipi_grace(void **state)
{
    one_call_clear_during_handling(*state, true);
}

/* The same with barrier_every_core: the clear still waits for the exit (and did call it). */
static void one_call_barrier_grace(void **state)
{
    g_use_barrier = true;
    g_barriers = 0;
    one_call_clear_during_handling(*state, false);
    g_use_barrier = false;
    assert_int_equal(((struct fx *)*state)->engine->grace, HD_GRACE_BARRIER);
    assert_true(g_barriers > 0);
}

/* The one-call exit leaves nothing on the core: the next two-call post pass has no pre pass. */
static void one_call_leaves_no_pending_post(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_guest_regs regs = {0};
    struct hd_verdict post;
    struct hd_vcpu v;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    run_exit(f, 3, 0x10, 0, NULL);
    hd_host_vcpu_init(&v, &regs, 3, 0x10);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &v, NULL, &post), HD_ERR_NO_PRE_PASS);
    assert_int_equal(f->engine->cores[3].seq % 2, 0);
}

/* ---- how often a writer interrupts the cores ---------------------------------------- */

/* @n register/clear pairs of an event no exit meets: every clear retires its list. */
static void churn(struct fx *f, unsigned n)
{
    struct hd_action_desc a = act_log(1);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(hd_event_clear(f->engine, reg_event(f, 2, 0x20, HD_STAGE_PRE, false,
                                                             &a, 1)),
                         HD_OK);
}

/*
 * With IPI grace periods a broadcast interrupts every core, so writers make one per batch of
 * retired memory (snapshot_retire.c: 64 writer calls, 1 MiB, or hd_engine_reclaim()): ten
 * clears make none and keep their memory, reclaim makes one and frees it, a hundred more
 * pairs (200 writer calls) a few.
 */
static void ipi_seals_in_batches(void **state)
{
    struct fx *f = *state;
    uint64_t live_before;

    use_ipi(f, true);
    live_before = hd_host_live_allocations(f->host);
    g_broadcasts = 0;
    churn(f, 10);
    assert_int_equal(g_broadcasts, 0);
    assert_true(hd_host_live_allocations(f->host) > live_before); /* waiting for the seal */
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(g_broadcasts, 1);
    assert_int_equal(hd_host_live_allocations(f->host), live_before);
    churn(f, 100);
    assert_in_range(g_broadcasts, 2, 4); /* 200 writer calls: one each 64, not one each */
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live_before);
}

/* Counter grace periods seal every writer call that retires something (with
 * barrier_every_core, one barrier each), and memory no exit holds is back at once. */
static void counters_seal_every_call(void **state)
{
    struct fx *f = *state;
    uint64_t live_before;

    g_use_barrier = false;
    use_ipi(f, false);
    assert_int_equal(f->engine->grace, HD_GRACE_FENCE);
    live_before = hd_host_live_allocations(f->host);
    churn(f, 10);
    assert_int_equal(hd_host_live_allocations(f->host), live_before);

    g_use_barrier = true; /* until fx_recreate: the engine copies the ops */
    use_ipi(f, false);
    g_use_barrier = false;
    assert_int_equal(f->engine->grace, HD_GRACE_BARRIER);
    live_before = hd_host_live_allocations(f->host);
    g_barriers = 0;
    churn(f, 10);
    assert_in_range(g_barriers, 10, 20); /* the ten clears, and registrations that retire */
    assert_int_equal(hd_host_live_allocations(f->host), live_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_call_counter_grace, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(two_call_ipi_grace, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(two_call_end_releases_the_set_ipi_grace, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(one_call_counter_grace, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(one_call_ipi_grace, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(one_call_barrier_grace, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(one_call_leaves_no_pending_post, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(ipi_seals_in_batches, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(counters_seal_every_call, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
