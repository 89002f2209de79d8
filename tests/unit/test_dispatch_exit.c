/* SPDX-License-Identifier: MIT */
/*
 * hd_dispatch_vmcall_exit(): pre pass, default handling unless short-circuited (S12), post pass
 * when asked (S10), and hd_vmcall_default()'s answers (own hypercall 0, else -1000, S14).
 */
#include "helpers.h"

static unsigned g_handled;

static void count_handler(void *user, struct hd_vcpu *v)
{
    (void)user;
    g_handled++;
    v->regs->rax = 0x77;
}

static void handler_runs_between_the_passes(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc pre = act_log(1), post = act_log(2);
    struct hd_guest_regs regs = {0};
    struct hd_vcpu v;
    struct hd_exit x;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &pre, 1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &post, 1);
    hd_host_vcpu_init(&v, &regs, 1, 5);
    g_handled = 0;
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, count_handler, NULL, &x), HD_OK);
    assert_int_equal(g_handled, 1);
    assert_true(x.default_handled && x.post_ran);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(x.post.fired, 1);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(1)->id, 2);
    assert_int_equal(tlog_at(1)->rax, 0x77); /* the post pass sees the handler's result */
    assert_int_equal(v.rip, HD_HOST_VCPU_RIP); /* RIP is the backend's to advance */
}

static void short_circuit_skips_the_handler_and_the_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1), post = act_log(2);
    struct hd_guest_regs regs = {.rax = 5};
    struct hd_vcpu v;
    struct hd_exit x;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &post, 1);
    hd_host_vcpu_init(&v, &regs, 0, 5);
    g_handled = 0;
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, count_handler, NULL, &x), HD_OK);
    assert_int_equal(g_handled, 0);
    assert_false(x.default_handled);
    assert_false(x.post_ran);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_int_equal(regs.rax, 5);
}

static void null_handler_is_the_default(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 5};
    struct hd_vcpu v;
    struct hd_exit x;

    hd_host_vcpu_init(&v, &regs, 2, 5);
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, NULL, NULL, &x), HD_OK);
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);

    set_hyperdbg_magic(&regs); /* S14: the hypervisor's own hypercall succeeds */
    regs.rax = 5;
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, NULL, NULL, &x), HD_OK);
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_int_equal(regs.rax, 0);
}

static void a_refused_exit_runs_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 5};
    struct hd_vcpu v;
    struct hd_exit x;

    hd_host_vcpu_init(&v, &regs, 4, 5); /* core 4 of 4 */
    g_handled = 0;
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, count_handler, NULL, &x),
                     HD_ERR_BAD_VCPU);
    assert_int_equal(g_handled, 0);
    assert_false(x.default_handled || x.post_ran);
    assert_int_equal(regs.rax, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(handler_runs_between_the_passes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(short_circuit_skips_the_handler_and_the_post_pass, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(null_handler_is_the_default, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_refused_exit_runs_nothing, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
