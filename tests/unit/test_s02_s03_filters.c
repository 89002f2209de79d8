/* SPDX-License-Identifier: MIT */
/*
 * S2: an event with core C fires only on core C; 0xFFFFFFFF = every core.
 * S3: an event with pid P fires only when the current pid is P; 0xFFFFFFFF = every pid.
 * The dispatcher looks events up under four keys: (core, pid), (core, all), (all, pid),
 * (all, all); every combination must find exactly the events that match.
 */
#include "helpers.h"

/* Ids of the logged actions that ran, in order, as a bitmask (ids 1..63). */
static uint64_t ran_mask(void)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < tlog_count(); i++)
        m |= 1ull << tlog_at(i)->id;
    return m;
}

static void s02_core_filter_fires_only_on_that_core(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 1);

    for (uint32_t core = 0; core < 4; core++) {
        struct hd_exit x;
        tlog_reset();
        x = run_exit(f, core, 0x490, 0, NULL);
        assert_int_equal(tlog_count(), core == 1 ? 1 : 0);
        assert_int_equal(x.pre.fired, core == 1 ? 1 : 0);
        if (core == 1)
            assert_int_equal(tlog_at(0)->core, 1);
    }
}

static void s02_core_all_fires_on_every_core(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    for (uint32_t core = 0; core < 4; core++)
        run_exit(f, core, 0x490, 0, NULL);
    assert_int_equal(tlog_count(), 4);
    for (uint32_t core = 0; core < 4; core++)
        assert_int_equal(tlog_at(core)->core, core);
}

static void s02_last_core_is_a_valid_filter(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 3, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 2, 1, 0, NULL);
    assert_int_equal(tlog_count(), 0);
    run_exit(f, 3, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1);
}

static void s03_pid_filter_fires_only_for_that_pid(void **state)
{
    struct fx *f = *state;
    const uint32_t pids[] = {0, 1, 0x48F, 0x490, 0x491, 0x490 + 0x10000, 0xFFFFFFFEu};
    reg_logged(f, HD_ALL, 0x490, HD_STAGE_PRE, 1);

    for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
        tlog_reset();
        run_exit(f, 0, pids[i], 0, NULL);
        assert_int_equal(tlog_count(), pids[i] == 0x490 ? 1 : 0);
    }
}

static void s03_pid_all_fires_for_every_pid(void **state)
{
    struct fx *f = *state;
    const uint32_t pids[] = {0, 1, 4, 0x490, 0x7FFFFFFF, 0xFFFFFFFEu};
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
        run_exit(f, 2, pids[i], 0, NULL);
    assert_int_equal(tlog_count(), sizeof(pids) / sizeof(pids[0]));
    for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
        assert_int_equal(tlog_at(i)->pid, pids[i]);
}

static void s02_s03_core_and_pid_both_must_match(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 2, 0x490, HD_STAGE_PRE, 1);

    run_exit(f, 2, 0x491, 0, NULL); /* right core, wrong pid */
    run_exit(f, 1, 0x490, 0, NULL); /* wrong core, right pid */
    run_exit(f, 0, 0x1, 0, NULL);   /* both wrong */
    assert_int_equal(tlog_count(), 0);
    run_exit(f, 2, 0x490, 0, NULL);
    assert_int_equal(tlog_count(), 1);
}

/* One event under each of the four index keys; each exit finds exactly the matching ones. */
static void s02_s03_four_index_keys_each_combination(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 1, 5, HD_STAGE_PRE, 1);            /* (core, pid)  */
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 2);       /* (core, all)  */
    reg_logged(f, HD_ALL, 5, HD_STAGE_PRE, 3);       /* (all, pid)   */
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 4);  /* (all, all)   */

    static const struct {
        uint32_t core, pid;
        uint64_t expect;
    } cases[] = {
        {1, 5, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4},
        {1, 6, 1u << 2 | 1u << 4},
        {0, 5, 1u << 3 | 1u << 4},
        {0, 6, 1u << 4},
        {3, 5, 1u << 3 | 1u << 4},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_exit x;
        tlog_reset();
        x = run_exit(f, cases[i].core, cases[i].pid, 0, NULL);
        assert_int_equal(ran_mask(), cases[i].expect);
        assert_int_equal(x.pre.fired, __builtin_popcountll(cases[i].expect));
        assert_int_equal(tlog_count(), __builtin_popcountll(cases[i].expect)); /* each once */
    }
}

/* An exit whose pid happens to be 0xFFFFFFFF: (core, pid) and (core, all) are the same key. */
static void s03_exit_with_pid_all_runs_each_event_once(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, HD_ALL, 5, HD_STAGE_PRE, 3);

    run_exit(f, 1, HD_ALL, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(1)->id, 2);
}

/* Many events that cannot match do not run and do not disturb the one that does. */
static void s02_s03_many_non_matching_events_are_not_run(void **state)
{
    struct fx *f = *state;
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t core = i % 5 == 4 ? HD_ALL : i % 4;
        uint32_t pid = 0x1000 + i; /* never the exit's pid */
        if (core == 2)
            pid = i % 2 ? 0x2000 + i : 0x3000 + i;
        reg_logged(f, core, pid, HD_STAGE_ALL, 10);
    }
    for (uint32_t i = 0; i < 50; i++)
        reg_logged(f, i % 2 ? 0 : 3, HD_ALL, HD_STAGE_ALL, 11); /* other cores, any pid */
    uint64_t match = reg_logged(f, 2, 0x490, HD_STAGE_PRE, 1);
    for (uint32_t i = 0; i < 50; i++)
        reg_logged(f, 1, 0x490, HD_STAGE_ALL, 12); /* right pid, other core */

    struct hd_exit x = run_exit(f, 2, 0x490, 0, NULL);
    assert_int_equal(x.pre.fired, 1);
    assert_false(x.post_ran); /* no post/all event matches (core 2, pid 0x490) */
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->tag, match);
    assert_int_equal(tlog_at(0)->id, 1);
}

static void s02_core_filter_beyond_core_count_is_rejected(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(4, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_INVALID_CORE);
    assert_int_equal(tag, 0);
    assert_int_equal(event_count(f), 0);
}

static int setup_1_core(void **state)
{
    return fx_setup_cores(state, 1);
}

static int setup_64_cores(void **state)
{
    return fx_setup_cores(state, 64);
}

static void s02_single_core_engine_core_0_and_all(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(3);
    struct hd_event_desc d = ev_desc(1, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_CORE);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(ran_mask(), 1u << 1 | 1u << 2);
}

static void s02_core_filter_on_the_last_of_64_cores(void **state)
{
    struct fx *f = *state;
    assert_int_equal(hd_engine_core_count(f->engine), 64);
    reg_logged(f, 63, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 2);
    for (uint32_t core = 0; core < 64; core++)
        run_exit(f, core, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->core, 0);
    assert_int_equal(tlog_at(0)->id, 2);
    assert_int_equal(tlog_at(1)->core, 63);
    assert_int_equal(tlog_at(1)->id, 1);
}

/* Which of cores 0-3 fire, as a bitmask, by the one-call and the two-call form alike. */
static unsigned firing_cores(struct fx *f)
{
    unsigned one = 0, two = 0;
    for (uint32_t core = 0; core < 4; core++) {
        struct hd_guest_regs regs = {0};
        struct hd_vcpu vcpu;
        struct hd_verdict v;
        if (run_exit(f, core, 0x490, 0, NULL).pre.fired)
            one |= 1u << core;
        hd_host_vcpu_init(&vcpu, &regs, core, 0x490);
        assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
        if (v.fired)
            two |= 1u << core;
    }
    assert_int_equal(one, two);
    return one;
}

/*
 * The entries skip the snapshot on a core no enabled event names (hd_core.may_match, set by
 * the writer at each publication): every change of which cores have events must reach the
 * cores it turns on and off, for each form the published set takes (one key: a direct list;
 * several keys or a post list: a tree; `nr` events).
 */
static void s02_cores_without_events_follow_every_change(void **state)
{
    struct fx *f = *state;
    uint64_t on1 = reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 1), on2, all, post, nr;
    struct hd_action_desc a = act_log(5);
    struct hd_event_desc d = ev_desc(3, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    assert_int_equal(firing_cores(f), 1u << 1);
    assert_int_equal(hd_event_disable(f->engine, on1), HD_OK);
    assert_int_equal(firing_cores(f), 0);
    on2 = reg_logged(f, 2, HD_ALL, HD_STAGE_PRE, 2);
    assert_int_equal(firing_cores(f), 1u << 2);
    assert_int_equal(hd_event_enable(f->engine, on1), HD_OK);
    assert_int_equal(firing_cores(f), 1u << 1 | 1u << 2);
    all = reg_logged(f, HD_ALL, 0x490, HD_STAGE_PRE, 3);
    assert_int_equal(firing_cores(f), 15u);
    assert_int_equal(hd_event_clear(f->engine, all), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, on1), HD_OK);
    assert_int_equal(firing_cores(f), 1u << 2);
    post = reg_logged(f, 0, HD_ALL, HD_STAGE_POST, 4); /* fires in the post pass only */
    assert_int_equal(firing_cores(f), 1u << 2);
    assert_int_equal(run_exit(f, 0, 0x490, 0, NULL).post.fired, 1);
    assert_int_equal(hd_event_clear(f->engine, post), HD_OK);
    d.nr_filter = true;
    d.nr_first = d.nr_last = 0;
    nr = reg_desc(f, &d); /* `nr 0` on core 3: the exits' rcx is 0 */
    assert_int_equal(firing_cores(f), 1u << 2 | 1u << 3);
    assert_int_equal(hd_event_clear(f->engine, nr), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, on2), HD_OK);
    assert_int_equal(firing_cores(f), 0);
    reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 6);
    assert_int_equal(firing_cores(f), 1u << 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s02_core_filter_fires_only_on_that_core),
        T(s02_core_all_fires_on_every_core),
        T(s02_last_core_is_a_valid_filter),
        T(s03_pid_filter_fires_only_for_that_pid),
        T(s03_pid_all_fires_for_every_pid),
        T(s02_s03_core_and_pid_both_must_match),
        T(s02_s03_four_index_keys_each_combination),
        T(s03_exit_with_pid_all_runs_each_event_once),
        T(s02_s03_many_non_matching_events_are_not_run),
        T(s02_core_filter_beyond_core_count_is_rejected),
        T(s02_cores_without_events_follow_every_change),
        cmocka_unit_test_setup_teardown(s02_single_core_engine_core_0_and_all, setup_1_core,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(s02_core_filter_on_the_last_of_64_cores, setup_64_cores,
                                        fx_teardown),
    };
#undef T
    return cmocka_run_group_tests_name("S2/S3 core and pid filters", tests, NULL, NULL);
}
