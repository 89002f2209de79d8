/* SPDX-License-Identifier: MIT */
/*
 * S5, S16 with a backend that has run_on_every_core (the kernel backends): grace periods come
 * from the broadcast, so the dispatcher leaves the per-core sequence alone (no store, no
 * fence on the hot path) and a cleared event is freed only once the broadcast has returned.
 */
#include "helpers.h"

#include "internal/engine.h"

struct ipi {
    const struct hd_backend_ops *host;
    unsigned broadcasts;
    uint64_t live_during; /* live allocations when the last broadcast ran */
    struct hd_host *h;
};

static struct ipi g_ipi;

/* The simulated IPI: cores "run" fn between exits, which is when the test calls writers. */
static void run_everywhere(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    g_ipi.broadcasts++;
    g_ipi.live_during = hd_host_live_allocations(g_ipi.h);
    for (uint32_t c = 0; c < 4; c++)
        fn(arg, c);
}

static void with_ipi(struct fx *f)
{
    static struct hd_backend_ops ops;
    ops = *hd_host_ops(f->host);
    ops.run_on_every_core = run_everywhere;
    memset(&g_ipi, 0, sizeof(g_ipi));
    g_ipi.h = f->host;
    fx_recreate(f, &ops, NULL);
}

static void dispatch_leaves_the_sequence_alone(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);

    with_ipi(f);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1); /* pre and post passes */
    for (uint32_t c = 0; c < 4; c++)
        run_exit(f, c, 0x10, 0, NULL);
    assert_int_equal(tlog_count(), 8);
    for (uint32_t c = 0; c < 4; c++)
        assert_int_equal(f->engine->cores[c].seq, 0);
}

static void without_ipi_the_sequence_moves(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 2, 0x10, 0, NULL);
    assert_int_equal(f->engine->cores[2].seq, 2); /* odd inside, even again after */
}

static void clear_frees_only_after_the_broadcast(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    uint64_t tag, before;

    with_ipi(f);
    tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 1, 0x10, 0, NULL);
    before = hd_host_live_allocations(f->host);
    g_ipi.broadcasts = 0;
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    /* Grace periods are batched: one clear sends no IPI, and frees nothing yet. */
    assert_int_equal(g_ipi.broadcasts, 0);
    assert_true(hd_host_live_allocations(f->host) >= before);
    tlog_reset();
    run_exit(f, 1, 0x10, 0, NULL);
    assert_int_equal(tlog_count(), 0); /* S5: never fires again */
    /* Reclaim broadcasts; the event and the old nodes were still allocated while it ran... */
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(g_ipi.broadcasts, 1);
    assert_true(g_ipi.live_during >= before);
    /* ...and are gone once it returned: nothing waits for a core. */
    assert_true(hd_host_live_allocations(f->host) < before);
}

/* Many writer calls share one broadcast: a kernel does not IPI every core per call. */
static void writers_batch_their_broadcasts(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);

    with_ipi(f);
    g_ipi.broadcasts = 0;
    for (uint32_t i = 0; i < 200; i++) {
        uint64_t tag = reg_event(f, HD_ALL, i, HD_STAGE_PRE, false, &a, 1);
        assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    }
    /* 400 writer calls, each retiring a path: a broadcast per batch of calls, not per call. */
    assert_true(g_ipi.broadcasts >= 1);
    assert_true(g_ipi.broadcasts <= 400 / 32);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dispatch_leaves_the_sequence_alone, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(without_ipi_the_sequence_moves, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(writers_batch_their_broadcasts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_frees_only_after_the_broadcast, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
