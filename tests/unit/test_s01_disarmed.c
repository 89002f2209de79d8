/* SPDX-License-Identifier: MIT */
/*
 * S1: with no VMCALL event registered, or none enabled, dispatch returns at once: no
 * condition, no action, verdict "not handled by hooks" (flags 0, fired 0), and the backend's
 * default handling runs.
 */
#include "helpers.h"

static void assert_untouched_exit(const struct hd_exit *x)
{
    assert_int_equal(x->pre.flags, 0);
    assert_int_equal(x->pre.fired, 0);
    assert_false(x->post_ran);
    assert_int_equal(x->post.flags, 0);
    assert_true(x->default_handled);
}

static void s01_no_event_verdict_is_zero_and_default_handling_runs(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 0x77, .rcx = 0x1};
    struct hd_vcpu vcpu;
    struct hd_exit x;

    hd_host_vcpu_init(&vcpu, &regs, 0, 0x490);
    x = run_vcpu(f, &vcpu);
    assert_untouched_exit(&x);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP + 3);
}

static void s01_direct_dispatch_without_events_returns_ok_and_no_post(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    struct hd_verdict v = {.flags = 0xFFFFFFFFu, .fired = 99};

    hd_host_vcpu_init(&vcpu, &regs, 2, 1);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(v.flags, 0);
    assert_int_equal(v.fired, 0);
    /* Nothing asked for a post pass, so there is none to run. */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_ERR_NO_PRE_PASS);
}

static void s01_only_disabled_events_run_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2] = {act_log(1), act_break()};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, acts, 2);
    struct hd_guest_regs regs = {.rax = 5};
    struct hd_exit x;
    uint64_t t1, t2;

    d.enabled = false;
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_true;
    t1 = reg_desc(f, &d);
    d.stage = HD_STAGE_PRE;
    d.short_circuit = true;
    t2 = reg_desc(f, &d);

    x = run_exit(f, 1, 0x490, 0, &regs);
    assert_untouched_exit(&x);
    assert_int_equal(tlog_count(), 0);          /* neither condition nor action ran */
    assert_int_equal(hd_host_break_count(f->host), 0);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS); /* sc event disabled: not skipped */

    {
        struct hd_event_counters c;
        assert_int_equal(hd_event_counters(f->engine, t1, HD_ALL, &c), HD_OK);
        assert_int_equal(c.hits, 0);
        assert_int_equal(hd_event_counters(f->engine, t2, HD_ALL, &c), HD_OK);
        assert_int_equal(c.hits, 0);
    }
}

static void s01_disable_all_makes_dispatch_run_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(tlog_count(), 2);

    assert_int_equal(hd_event_disable(f->engine, HD_TAG_ALL), HD_OK);
    tlog_reset();
    x = run_exit(f, 0, 1, 0, NULL);
    assert_untouched_exit(&x);
    assert_int_equal(tlog_count(), 0);
}

static void s01_clear_all_makes_dispatch_run_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    x = run_exit(f, 3, 7, 0, NULL);
    assert_untouched_exit(&x);
    assert_int_equal(tlog_count(), 0);
}

static void s01_disabling_the_last_enabled_event_disarms(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);

    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.flags, HD_VERDICT_POST); /* b still there */
    assert_int_equal(hd_event_disable(f->engine, b), HD_OK);
    tlog_reset();
    x = run_exit(f, 0, 1, 0, NULL);
    assert_untouched_exit(&x);
    assert_int_equal(tlog_count(), 0);
}

static void s01_dispatch_rejects_core_out_of_range_and_null_regs(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    struct hd_verdict v = {.flags = 0xFF, .fired = 3};

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    hd_host_vcpu_init(&vcpu, &regs, 4, 1); /* 4 cores: 0..3 */
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_ERR_BAD_VCPU);
    assert_int_equal(v.flags, 0);
    assert_int_equal(v.fired, 0);
    hd_host_vcpu_init(&vcpu, NULL, 0, 1);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_ERR_BAD_VCPU);
    assert_int_equal(tlog_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(s01_no_event_verdict_is_zero_and_default_handling_runs,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(s01_direct_dispatch_without_events_returns_ok_and_no_post,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(s01_only_disabled_events_run_nothing, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(s01_disable_all_makes_dispatch_run_nothing, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(s01_clear_all_makes_dispatch_run_nothing, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(s01_disabling_the_last_enabled_event_disarms, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(s01_dispatch_rejects_core_out_of_range_and_null_regs,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("S1 disarmed dispatch", tests, NULL, NULL);
}
