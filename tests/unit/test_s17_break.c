/* SPDX-License-Identifier: MIT */
/*
 * S17: a break action calls the backend's on_break op with the event and the vCPU; the host
 * backend records tag, core, pid, stage, rip and registers. HD_VERDICT_BREAK is set in the
 * pass where a break action ran. An event with no actions does not break.
 */
#include "helpers.h"

static void s17_break_action_is_recorded_with_the_exit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 0x77, .rcx = 0x1, .rdx = 0x1000, .r15 = 0xF15};
    struct hd_vcpu vcpu;
    struct hd_host_break b;
    struct hd_action_desc a = act_break();
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    hd_host_vcpu_init(&vcpu, &regs, 2, 0x490);
    vcpu.rip = 0xFFFFF80012345678ull;
    struct hd_exit x = run_vcpu(f, &vcpu);

    assert_true(x.pre.flags & HD_VERDICT_BREAK);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(hd_host_break_count(f->host), 1);
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.tag, t);
    assert_int_equal(b.core, 2);
    assert_int_equal(b.pid, 0x490);
    assert_int_equal(b.stage, HD_STAGE_PRE);
    assert_int_equal(b.rip, 0xFFFFF80012345678ull); /* the VMCALL's rip, before the advance */
    assert_int_equal(b.regs.rax, 0x77);              /* before the default handling */
    assert_int_equal(b.regs.rdx, 0x1000);
    assert_int_equal(b.regs.r15, 0xF15);
    assert_false(hd_host_break_get(f->host, 1, &b));
    /* a break does not stop the exit */
    assert_true(x.default_handled);
    assert_int_equal(vcpu.rip, 0xFFFFF80012345678ull + 3);
}

static void s17_break_in_both_passes_of_a_stage_all_event(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 0x77};
    struct hd_host_break b;
    struct hd_action_desc a = act_break();
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    struct hd_exit x = run_exit(f, 1, 5, 0, &regs);

    assert_true(x.pre.flags & HD_VERDICT_BREAK);
    assert_true(x.post.flags & HD_VERDICT_BREAK);
    assert_int_equal(hd_host_break_count(f->host), 2);
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.stage, HD_STAGE_PRE);
    assert_int_equal(b.regs.rax, 0x77);
    assert_true(hd_host_break_get(f->host, 1, &b));
    assert_int_equal(b.stage, HD_STAGE_POST);
    assert_int_equal(b.regs.rax, HD_VMCALL_ENOSYS);
}

static void s17_post_only_break_sets_the_flag_in_the_post_verdict_only(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    struct hd_exit x = run_exit(f, 0, 5, 0, NULL);
    assert_int_equal(x.pre.flags & HD_VERDICT_BREAK, 0);
    assert_true(x.post.flags & HD_VERDICT_BREAK);
    assert_int_equal(hd_host_break_count(f->host), 1);
}

static void s17_event_without_actions_does_not_break(void **state)
{
    struct fx *f = *state;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, NULL, 0);
    struct hd_exit x = run_exit(f, 0, 5, 0, NULL);
    assert_int_equal(x.pre.fired, 1); /* it fired ... */
    assert_int_equal(x.pre.flags & HD_VERDICT_BREAK, 0); /* ... and did not break */
    assert_int_equal(x.post.flags & HD_VERDICT_BREAK, 0);
    assert_int_equal(hd_host_break_count(f->host), 0);
}

static void s17_break_with_false_condition_does_not_break(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_false;
    reg_desc(f, &d);
    struct hd_exit x = run_exit(f, 0, 5, 0, NULL);
    assert_int_equal(x.pre.flags & HD_VERDICT_BREAK, 0);
    assert_int_equal(hd_host_break_count(f->host), 0);
}

static void s17_break_only_for_matching_core_and_pid(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    reg_event(f, 2, 0x490, HD_STAGE_PRE, false, &a, 1); /* `!vmcall pid 490 core 2` */
    run_exit(f, 1, 0x490, 0, NULL);
    run_exit(f, 2, 0x491, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 0);
    run_exit(f, 2, 0x490, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 1);
}

static void s17_breaks_of_several_events_are_recorded_in_order(void **state)
{
    struct fx *f = *state;
    struct hd_host_break b;
    struct hd_action_desc acts[3] = {act_break(), act_log(1), act_break()};
    uint64_t t1 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 3);
    uint64_t t2 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 1);
    run_exit(f, 3, 1, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 3);
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.tag, t1);
    assert_true(hd_host_break_get(f->host, 1, &b));
    assert_int_equal(b.tag, t1);
    assert_true(hd_host_break_get(f->host, 2, &b));
    assert_int_equal(b.tag, t2);
    assert_int_equal(b.core, 3);

    hd_host_break_reset(f->host);
    assert_int_equal(hd_host_break_count(f->host), 0);
    assert_false(hd_host_break_get(f->host, 0, &b));
}

static void s17_break_sees_earlier_action_writes(void **state)
{
    struct fx *f = *state;
    /* mov qword [rdx+0x08], 0x42 ; ret  — the guest's rcx = 0x42 */
    static const uint8_t set_rcx[] = {0x48, 0xC7, 0x42, 0x08, 0x42, 0x00, 0x00, 0x00, 0xC3};
    struct hd_host_break b;
    struct hd_action_desc acts[2] = {act_code(set_rcx, sizeof(set_rcx), 0), act_break()};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    run_exit(f, 0, 1, 0, NULL);
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.regs.rcx, 0x42);
}

static void s17_without_on_break_op_only_the_flag_is_set(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    ops.on_break = NULL;
    fx_recreate(f, &ops, NULL);
    struct hd_action_desc a = act_break();
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_true(x.pre.flags & HD_VERDICT_BREAK);
    assert_int_equal(hd_host_break_count(f->host), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s17_break_action_is_recorded_with_the_exit),
        T(s17_break_in_both_passes_of_a_stage_all_event),
        T(s17_post_only_break_sets_the_flag_in_the_post_verdict_only),
        T(s17_event_without_actions_does_not_break),
        T(s17_break_with_false_condition_does_not_break),
        T(s17_break_only_for_matching_core_and_pid),
        T(s17_breaks_of_several_events_are_recorded_in_order),
        T(s17_break_sees_earlier_action_writes),
        T(s17_without_on_break_op_only_the_flag_is_set),
    };
#undef T
    return cmocka_run_group_tests_name("S17 break actions", tests, NULL, NULL);
}
