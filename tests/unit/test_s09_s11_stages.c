/* SPDX-License-Identifier: MIT */
/*
 * S9: stage pre (the default) runs before the backend's default VMCALL handling and never in
 *     the post pass.
 * S10: stage post runs after the default handling, on the VMCALL list (HyperDbg walks the
 *      CPUID list there, so its VMCALL post events never fire).
 * S11: stage all runs in both passes; hook->stage says which (PRE, then POST).
 * HD_VERDICT_POST is set only when a post/all event matches the exit.
 */
#include "helpers.h"

#define GUEST_RAX 0x77ull

static void s09_pre_runs_before_default_handling(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = GUEST_RAX};
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->rax, GUEST_RAX); /* the default handling has not run yet */
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

static void s09_pre_only_event_never_runs_in_post_pass(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_false(x.post_ran);
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);
    assert_int_equal(tlog_count(), 1);
}

static void s09_pre_event_does_not_run_when_post_pass_runs_for_another(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_true(x.post_ran);
    assert_int_equal(x.post.fired, 1);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_int_equal(tlog_at(1)->id, 2);
    assert_int_equal(tlog_at(1)->stage, HD_STAGE_POST);
}

static void s10_post_runs_after_default_handling(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = GUEST_RAX};
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_true(x.default_handled);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    assert_int_equal(x.pre.fired, 0); /* nothing ran in the pre pass */
    assert_true(x.post_ran);
    assert_int_equal(x.post.fired, 1);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(0)->rax, HD_VMCALL_ENOSYS);
}

static void *set_rax_0x99(struct hd_hook *h)
{
    h->regs->rax = 0x99;
    return NULL;
}

static void s10_post_hook_can_change_the_result(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = GUEST_RAX};
    struct hd_action_desc a = act_native(set_rax_0x99, NULL);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.rax, 0x99); /* the post pass wrote after the default handling */
}

struct seen_by_default {
    uint64_t rcx;
    unsigned calls;
};

static void recording_default(void *user, struct hd_vcpu *vcpu)
{
    struct seen_by_default *s = user;
    s->rcx = vcpu->regs->rcx;
    s->calls++;
    hd_vmcall_default(NULL, vcpu);
}

static void *set_rcx_0x42(struct hd_hook *h)
{
    h->regs->rcx = 0x42;
    return NULL;
}

static void s09_default_handling_sees_pre_hook_writes(void **state)
{
    struct fx *f = *state;
    struct seen_by_default seen = {0};
    struct hd_guest_regs regs = {.rcx = 1};
    struct hd_action_desc a = act_native(set_rcx_0x42, NULL);
    hd_host_set_vmcall_handler(f->host, recording_default, &seen);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, &regs);
    hd_host_set_vmcall_handler(f->host, NULL, NULL);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.rcx, 0x42);
}

static void s10_post_only_event_never_runs_in_pre_pass(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    struct hd_verdict v;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);

    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(tlog_count(), 0);
    assert_int_equal(v.flags, HD_VERDICT_POST);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(v.fired, 1);
}

static void s11_all_runs_in_both_passes_pre_then_post(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = GUEST_RAX};
    uint64_t t = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    struct hd_exit x = run_exit(f, 2, 1, 0, &regs);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(x.post.fired, 1);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_int_equal(tlog_at(0)->rax, GUEST_RAX);
    assert_int_equal(tlog_at(1)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(1)->rax, HD_VMCALL_ENOSYS);
    assert_int_equal(tlog_at(0)->tag, t);
    assert_int_equal(tlog_at(1)->tag, t);
}

static void s11_mixed_stages_run_in_pass_then_registration_order(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 2);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 4);
    run_exit(f, 0, 1, 0, NULL);

    static const struct {
        uintptr_t id;
        uint32_t stage;
    } expect[] = {{2, HD_STAGE_PRE},  {3, HD_STAGE_PRE},  {4, HD_STAGE_PRE},
                  {1, HD_STAGE_POST}, {2, HD_STAGE_POST}, {4, HD_STAGE_POST}};
    assert_int_equal(tlog_count(), 6);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(tlog_at(i)->id, expect[i].id);
        assert_int_equal(tlog_at(i)->stage, expect[i].stage);
    }
}

static void s11_stage_all_condition_sees_the_stage(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_true;
    reg_desc(f, &d);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 4);
    assert_true(tlog_at(0)->is_condition);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_int_equal(tlog_at(1)->stage, HD_STAGE_PRE);
    assert_true(tlog_at(2)->is_condition);
    assert_int_equal(tlog_at(2)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(3)->stage, HD_STAGE_POST);
}

static void s10_verdict_post_only_when_a_post_or_all_event_matches(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);

    reg_logged(f, 2, HD_ALL, HD_STAGE_POST, 2); /* other core */
    reg_logged(f, HD_ALL, 9, HD_STAGE_ALL, 3);  /* other pid */
    x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);
    assert_false(x.post_ran);

    x = run_exit(f, 2, 1, 0, NULL);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    assert_true(x.post_ran);
    x = run_exit(f, 0, 9, 0, NULL);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    assert_true(x.post_ran);
}

static void s10_disabled_post_event_does_not_ask_for_post_pass(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t p = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    assert_int_equal(hd_event_disable(f->engine, p), HD_OK);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);
    assert_false(x.post_ran);
}

static void s10_post_event_with_false_condition_still_asks_for_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_false;
    reg_desc(f, &d);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_true(x.post_ran);          /* the condition is evaluated in the post pass */
    assert_int_equal(x.post.fired, 0);
    assert_int_equal(tlog_count(), 1);
    assert_true(tlog_at(0)->is_condition);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_POST);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s09_pre_runs_before_default_handling),
        T(s09_pre_only_event_never_runs_in_post_pass),
        T(s09_pre_event_does_not_run_when_post_pass_runs_for_another),
        T(s09_default_handling_sees_pre_hook_writes),
        T(s10_post_runs_after_default_handling),
        T(s10_post_hook_can_change_the_result),
        T(s10_post_only_event_never_runs_in_pre_pass),
        T(s10_verdict_post_only_when_a_post_or_all_event_matches),
        T(s10_disabled_post_event_does_not_ask_for_post_pass),
        T(s10_post_event_with_false_condition_still_asks_for_post_pass),
        T(s11_all_runs_in_both_passes_pre_then_post),
        T(s11_mixed_stages_run_in_pass_then_registration_order),
        T(s11_stage_all_condition_sees_the_stage),
    };
#undef T
    return cmocka_run_group_tests_name("S9-S11 stages pre, post, all", tests, NULL, NULL);
}
