/* SPDX-License-Identifier: MIT */
/*
 * S12: short-circuit (sc on, or a hook setting hook->short_circuit) by any event that fired:
 *      the default handling is skipped, RIP is still advanced, there is no post pass. The
 *      verdict is the OR over the events that fired (HyperDbg: the last event's flag).
 * S13: sc on with stage post or all is rejected at registration (HD_ERR_SC_WITH_POST) and
 *      nothing is registered.
 */
#include "helpers.h"

#define GUEST_RAX 0x77ull

static void assert_short_circuited(const struct hd_exit *x, const struct hd_vcpu *vcpu,
                                   uint64_t rip0)
{
    assert_true(x->pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x->default_handled);
    assert_false(x->post_ran);
    assert_int_equal(x->pre.flags & HD_VERDICT_POST, 0);
    assert_int_equal(vcpu->rip, rip0 + 3); /* the VMCALL still retires */
    assert_int_equal(vcpu->regs->rax, GUEST_RAX);
}

static struct hd_exit exit_on(struct fx *f, struct hd_vcpu *vcpu,
                                   struct hd_guest_regs *regs, uint32_t core)
{
    regs->rax = GUEST_RAX;
    hd_host_vcpu_init(vcpu, regs, core, 1);
    return run_vcpu(f, vcpu);
}

static void s12_sc_skips_default_handling_and_advances_rip(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_log(1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
    assert_int_equal(tlog_count(), 1);
}

static void s12_sc_event_without_actions_short_circuits(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
}

static void s12_sc_suppresses_the_post_pass_of_matching_post_events(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 2);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
    assert_int_equal(tlog_count(), 1); /* only event 2's pre run */
    assert_int_equal(tlog_at(0)->id, 2);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    /* the core is not left inside an exit: a post pass now is refused */
    struct hd_verdict v;
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_ERR_NO_PRE_PASS);
}

static void s12_sc_then_non_sc_event_still_short_circuits(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a1 = act_log(1), a2 = act_log(2);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a1, 1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a2, 1);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
    assert_int_equal(x.pre.fired, 2);
    assert_int_equal(tlog_count(), 2); /* sc does not stop later events */
}

static void s12_non_sc_then_sc_event_short_circuits(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a1 = act_log(1), a2 = act_log(2);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a1, 1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a2, 1);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
}

static void *hook_sets_sc(struct hd_hook *h)
{
    tlog_append(h, false);
    h->short_circuit = true;
    return NULL;
}

static void s12_native_hook_setting_short_circuit_short_circuits(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(hook_sets_sc, NULL);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_short_circuited(&x, &vcpu, HD_HOST_VCPU_RIP);
    assert_int_equal(tlog_count(), 2);
}

static void s12_hook_short_circuit_in_post_pass_is_ignored(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(hook_sets_sc, NULL);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_true(x.default_handled);
    assert_true(x.post_ran);
    assert_int_equal(x.post.flags & HD_VERDICT_SHORT_CIRCUIT, 0);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

static void s12_sc_with_false_condition_does_not_short_circuit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    static const uint8_t raw_false[] = {0x31, 0xC0, 0xC3}; /* xor eax, eax ; ret */
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = raw_false;
    d.condition.code_size = sizeof(raw_false);
    reg_desc(f, &d);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_false;
    reg_desc(f, &d);

    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_int_equal(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT, 0);
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP + 3);
    assert_int_equal(tlog_count(), 1); /* just the native condition */
}

static void s12_sc_event_on_another_core_does_not_short_circuit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_event(f, 1, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_true(x.default_handled);
    x = exit_on(f, &vcpu, &regs, 1);
    assert_false(x.default_handled);
}

static void s12_disabled_sc_event_does_not_short_circuit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    assert_int_equal(hd_event_disable(f->engine, t), HD_OK);
    struct hd_exit x = exit_on(f, &vcpu, &regs, 0);
    assert_true(x.default_handled);
    assert_int_equal(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT, 0);
}

static void s13_sc_with_stage_post_or_all_is_rejected(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    uint64_t tag = 0xABCD;
    uint64_t first = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 9);
    uint64_t live = hd_host_live_allocations(f->host);

    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_POST, true, &a, 1);
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_SC_WITH_POST);
    d.stage = HD_STAGE_ALL;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_SC_WITH_POST);
    assert_int_equal(tag, 0xABCD); /* not written */
    assert_int_equal(hd_host_live_allocations(f->host), live);
    assert_int_equal(event_count(f), 1);

    /* nothing of it runs */
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_false(x.post_ran);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->id, 9);

    /* the next successful registration gets the next tag in sequence */
    uint64_t next = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    assert_int_equal(next, first + 1);
}

static void s13_sc_off_with_post_and_all_is_accepted(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, NULL, 0);
    uint64_t b = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, NULL, 0);
    assert_int_equal(b, a + 1);
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, a, &info), HD_OK);
    assert_false(info.short_circuit);
    assert_int_equal(info.stage, HD_STAGE_POST);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s12_sc_skips_default_handling_and_advances_rip),
        T(s12_sc_event_without_actions_short_circuits),
        T(s12_sc_suppresses_the_post_pass_of_matching_post_events),
        T(s12_sc_then_non_sc_event_still_short_circuits),
        T(s12_non_sc_then_sc_event_short_circuits),
        T(s12_native_hook_setting_short_circuit_short_circuits),
        T(s12_hook_short_circuit_in_post_pass_is_ignored),
        T(s12_sc_with_false_condition_does_not_short_circuit),
        T(s12_sc_event_on_another_core_does_not_short_circuit),
        T(s12_disabled_sc_event_does_not_short_circuit),
        T(s13_sc_with_stage_post_or_all_is_rejected),
        T(s13_sc_off_with_post_and_all_is_accepted),
    };
#undef T
    return cmocka_run_group_tests_name("S12/S13 short-circuit", tests, NULL, NULL);
}
