/* SPDX-License-Identifier: MIT */
/*
 * S23: `deny` (hdevent's extension): an event that fires gives a verdict after its actions —
 *      deny rax=V sets rax, skips the default handling and advances RIP; deny ud sets
 *      HD_VERDICT_DENY_UD, skips the handling and leaves RIP on the VMCALL. Like sc on it ends
 *      the exit: no post pass, so post-stage events of that exit do not run; it needs stage
 *      pre; a false condition gives no verdict; the hypervisor's own hypercall is never denied.
 * S24: `max_hits N`: the event runs exactly N times, counted across all cores (here on one
 *      thread; test_s24_max_hits_concurrent.c with every core at once), then is spent: no
 *      condition false counts against it, the Nth run queues a "max_hits N reached" message,
 *      hd_event_query reports runs and spent.
 */
#include "helpers.h"

static uint64_t reg_deny(struct fx *f, enum hd_deny deny, uint64_t rax, enum hd_stage stage,
                         const struct hd_action_desc *a, uint32_t n, enum hd_status want)
{
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, stage, false, a, n);
    uint64_t tag = 0;
    d.deny = deny;
    d.deny_rax = rax;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), want);
    return tag;
}

static void s23_deny_rax_sets_rax_skips_handling_advances_rip(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_action_desc a = act_log(1);
    struct hd_vcpu vcpu;

    reg_deny(f, HD_DENY_RAX, 0xDEAD, HD_STAGE_PRE, &a, 1, HD_OK);
    memset(&regs, 0, sizeof(regs));
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    struct hd_exit x = run_vcpu(f, &vcpu);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x.pre.flags & HD_VERDICT_DENY_UD);
    assert_false(x.default_handled);
    assert_int_equal(regs.rax, 0xDEAD);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP + 3);
    assert_int_equal(tlog_count(), 1); /* the actions ran first */
}

static void s23_deny_ud_leaves_rip_on_the_vmcall(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;

    reg_deny(f, HD_DENY_UD, 0, HD_STAGE_PRE, NULL, 0, HD_OK);
    memset(&regs, 0, sizeof(regs));
    regs.rax = 0x55;
    hd_host_vcpu_init(&vcpu, &regs, 2, 1);
    struct hd_exit x = run_vcpu(f, &vcpu);
    assert_true(x.pre.flags & HD_VERDICT_DENY_UD);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x.default_handled);
    assert_int_equal(regs.rax, 0x55);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP);
}

static void s23_deny_ends_the_exit_before_post_stage_events(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 2);
    reg_deny(f, HD_DENY_RAX, 1, HD_STAGE_PRE, NULL, 0, HD_OK);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_false(x.post_ran);
    assert_false(x.pre.flags & HD_VERDICT_POST);
    assert_int_equal(tlog_count(), 1); /* event 2's pre run only */
    assert_int_equal(tlog_at(0)->id, 2);
}

static void s23_deny_needs_stage_pre(void **state)
{
    struct fx *f = *state;
    reg_deny(f, HD_DENY_UD, 0, HD_STAGE_POST, NULL, 0, HD_ERR_SC_WITH_POST);
    reg_deny(f, HD_DENY_RAX, 0, HD_STAGE_ALL, NULL, 0, HD_ERR_SC_WITH_POST);
    reg_deny(f, (enum hd_deny)3, 0, HD_STAGE_PRE, NULL, 0, HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(event_count(f), 0);
}

static void s23_false_condition_gives_no_verdict(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = log_condition_false;
    d.deny = HD_DENY_UD;
    reg_desc(f, &d);
    memset(&regs, 0, sizeof(regs));
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(x.pre.flags & (HD_VERDICT_DENY_UD | HD_VERDICT_SHORT_CIRCUIT), 0);
    assert_true(x.default_handled);
}

static void s23_own_hypercall_is_never_denied(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_action_desc a = act_log(1);
    reg_deny(f, HD_DENY_UD, 0, HD_STAGE_PRE, &a, 1, HD_OK);
    reg_deny(f, HD_DENY_RAX, 0x99, HD_STAGE_PRE, NULL, 0, HD_OK);
    memset(&regs, 0, sizeof(regs));
    set_hyperdbg_magic(&regs);
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_int_equal(x.pre.flags & (HD_VERDICT_DENY_UD | HD_VERDICT_SHORT_CIRCUIT), 0);
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, 0); /* the default handling's answer, not 0x99 */
    assert_int_equal(tlog_count(), 1); /* the hooks still ran (S14) */
}

static uint64_t reg_max(struct fx *f, uint64_t max, hd_condition_fn cond, uintptr_t id)
{
    struct hd_action_desc a = act_log(id);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.max_hits = max;
    if (cond) {
        d.condition.kind = HD_CONDITION_NATIVE;
        d.condition.fn = cond;
    }
    return reg_desc(f, &d);
}

static void s24_runs_exactly_n_times_then_is_spent(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    struct hd_message_info mi;
    char text[64];
    uint64_t tag = reg_max(f, 3, NULL, 1);

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    for (uint32_t i = 0; i < 10; i++)
        run_exit(f, i % 4, 1, 0, NULL);
    assert_int_equal(tlog_count(), 13); /* 3 of event 1, 10 of event 2 */
    for (unsigned i = 0; i < tlog_count(); i++) /* 1 2 1 2 1 2, then 2 alone */
        assert_int_equal(tlog_at(i)->id, i < 6 && i % 2 == 0 ? 1 : 2);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.max_hits, 3);
    assert_int_equal(info.runs, 3);
    assert_true(info.spent);
    assert_true(info.enabled); /* spent is not disabled: enabled says what the writer did */
    /* The Nth run's message, once. */
    memset(text, 0, sizeof(text));
    assert_int_equal(hd_message_read(f->engine, &mi, text, sizeof(text) - 1), HD_OK);
    assert_int_equal(mi.kind, HD_MESSAGE_SPENT);
    assert_int_equal(mi.tag, tag);
    assert_string_equal(text, "max_hits 3 reached");
    assert_int_equal(hd_message_read(f->engine, &mi, text, sizeof(text)), HD_EMPTY);
}

static uint64_t every_other(struct hd_hook *h)
{
    return h->regs->rbx & 1;
}

static void s24_false_conditions_do_not_count(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_event_info info;
    uint64_t tag = reg_max(f, 2, every_other, 1);

    for (uint64_t i = 0; i < 8; i++) {
        memset(&regs, 0, sizeof(regs));
        regs.rbx = i;
        run_exit(f, 0, 1, 0, &regs);
    }
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.runs, 2);
    assert_true(info.spent);
}

static void s24_spent_event_gives_no_deny(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.max_hits = 1;
    d.deny = HD_DENY_RAX;
    d.deny_rax = 7;
    reg_desc(f, &d);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    x = run_exit(f, 0, 1, 0, NULL);
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_true(x.default_handled);
}

static void s24_without_max_hits_nothing_is_counted(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.max_hits, 0);
    assert_int_equal(info.runs, 0);
    assert_false(info.spent);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s23_deny_rax_sets_rax_skips_handling_advances_rip),
        T(s23_deny_ud_leaves_rip_on_the_vmcall),
        T(s23_deny_ends_the_exit_before_post_stage_events),
        T(s23_deny_needs_stage_pre),
        T(s23_false_condition_gives_no_verdict),
        T(s23_own_hypercall_is_never_denied),
        T(s24_runs_exactly_n_times_then_is_spent),
        T(s24_false_conditions_do_not_count),
        T(s24_spent_event_gives_no_deny),
        T(s24_without_max_hits_nothing_is_counted),
    };
#undef T
    return cmocka_run_group_tests_name("S23/S24 deny and max_hits", tests, NULL, NULL);
}
