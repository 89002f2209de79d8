/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder and the two-call form (recorder.h): the pre pass starts the exit's
 * record and leaves it open; the call that ends the exit — the post pass, or
 * hd_dispatch_vmcall_end() — closes it with the registers after the handling. An exit that
 * nothing ended is published when the core's next exit starts, marked after-unknown; an
 * abandoned one is not published at all. Only closed records reach the reader.
 */
#include "helpers.h"

#include <hdevent/dispatch.h>
#include <hdevent/recorder.h>

static void *set_rbx(struct hd_hook *h)
{
    h->regs->rbx = (uint64_t)(uintptr_t)h->user;
    return NULL;
}

/* The pre pass of a two-call exit on @core (pid 0x77), asserting HD_OK. */
static struct hd_verdict pre(struct fx *f, struct hd_vcpu *vcpu, struct hd_guest_regs *regs,
                             uint32_t core)
{
    struct hd_verdict v;

    hd_host_vcpu_init(vcpu, regs, core, 0x77);
    assert_int_equal(hd_dispatch_vmcall(f->engine, vcpu, NULL, &v), HD_OK);
    return v;
}

static void a_post_pass_closes_the_record(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(set_rbx, (void *)(uintptr_t)0xB0);
    struct hd_action_desc b = act_native(set_rbx, (void *)(uintptr_t)0xB1);
    uint64_t t_pre = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint64_t t_post = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &b, 1);
    struct hd_guest_regs regs = {.rax = 1, .rbx = 2};
    struct hd_exit_record r;
    struct hd_verdict v;
    struct hd_vcpu vcpu;

    v = pre(f, &vcpu, &regs, 2);
    assert_true(v.flags & HD_VERDICT_POST);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY); /* still open */
    regs.rax = 0xAA; /* the backend's own handling */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.rax, 1);
    assert_int_equal(r.before.rbx, 2);
    assert_int_equal(r.after.rax, 0xAA);
    assert_int_equal(r.after.rbx, 0xB1); /* the post pass's hook ran last */
    assert_int_equal(r.core, 2);
    assert_int_equal(r.pid, 0x77);
    assert_int_equal(r.sequence, 0);
    assert_int_equal(r.fired_count, 2);
    assert_int_equal(r.fired[0], t_pre);
    assert_int_equal(r.fired[1], t_post);
    assert_int_equal(r.flags, HD_RECORD_POST_RAN | HD_RECORD_DEFAULT_HANDLED);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
}

static void end_closes_an_exit_without_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(set_rbx, (void *)(uintptr_t)0xB0);
    uint64_t tag = reg_event(f, 1, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    struct hd_guest_regs regs = {.rax = 1};
    struct hd_exit_record r;
    struct hd_verdict v;
    struct hd_vcpu vcpu;

    v = pre(f, &vcpu, &regs, 1);
    assert_false(v.flags & HD_VERDICT_POST);
    regs.rax = 0xAA;
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &vcpu), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.after.rax, 0xAA);
    assert_int_equal(r.after.rbx, 0xB0);
    assert_int_equal(r.fired_count, 1);
    assert_int_equal(r.fired[0], tag);
    assert_int_equal(r.flags, HD_RECORD_DEFAULT_HANDLED);
    /* a second end has nothing to close */
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &vcpu), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);

    /* the error path: a pre pass that asked for a post pass, ended without it */
    reg_logged(f, 1, HD_ALL, HD_STAGE_POST, 2);
    regs.rax = 3;
    v = pre(f, &vcpu, &regs, 1);
    assert_true(v.flags & HD_VERDICT_POST);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &vcpu), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.after.rax, 3);
    assert_int_equal(r.sequence, 1);
    assert_int_equal(r.flags, HD_RECORD_DEFAULT_HANDLED); /* no POST_RAN */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_ERR_NO_PRE_PASS);
}

static void an_unended_exit_is_published_after_unknown(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(set_rbx, (void *)(uintptr_t)0xB0);
    struct hd_guest_regs regs = {.rax = 1, .rcx = 0xC1}, later = {.rcx = 0xC2};
    struct hd_exit_record r;
    struct hd_vcpu vcpu;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1); /* short-circuits */
    pre(f, &vcpu, &regs, 0);
    pre(f, &vcpu, &later, 0); /* the backend never ended the first */
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.rcx, 0xC1);
    assert_int_equal(r.sequence, 0);
    assert_int_equal(r.flags, HD_RECORD_SHORT_CIRCUIT | HD_RECORD_AFTER_UNKNOWN);
    assert_int_equal(r.after.rbx, 0); /* not known: zero, not the hook's 0xB0 */
    assert_int_equal(r.fired_count, 1);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY); /* the second is open */

    run_exit(f, 0, 0x77, 0, NULL); /* a one-call exit ends it the same way */
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.rcx, 0xC2);
    assert_int_equal(r.sequence, 1);
    assert_true(r.flags & HD_RECORD_AFTER_UNKNOWN);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.sequence, 2);
    assert_false(r.flags & HD_RECORD_AFTER_UNKNOWN);
}

static void an_abandoned_exit_is_not_recorded(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rcx = 0xC1};
    struct hd_exit_record r;
    struct hd_vcpu vcpu;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    pre(f, &vcpu, &regs, 3);
    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 3), HD_OK);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &vcpu), HD_OK); /* nothing to close */
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    run_exit(f, 3, 0x77, 0, NULL);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.sequence, 0); /* the abandoned exit's slot was reused */
    assert_int_equal(r.before.rcx, 0);
    assert_int_equal(r.flags, HD_RECORD_POST_RAN | HD_RECORD_DEFAULT_HANDLED);
}

static void switched_off_between_the_calls_the_record_still_closes(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 1};
    struct hd_exit_record r;
    struct hd_verdict v;
    struct hd_vcpu vcpu;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    pre(f, &vcpu, &regs, 1);
    assert_int_equal(hd_recorder_set(f->engine, false), HD_OK);
    regs.rax = 0xAA;
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK); /* began while on: kept */
    assert_int_equal(r.after.rax, 0xAA);
    assert_int_equal(r.fired_count, 2);
    pre(f, &vcpu, &regs, 1); /* off: not recorded */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    assert_int_equal(tlog_count(), 4); /* the events ran all four passes */
}

/* A record left open while recording was switched off is closed by the core's next exit, not
 * by the next hd_dispatch_vmcall_end(), which would give it another exit's registers. */
static void switched_off_an_unended_record_gets_no_other_exits_registers(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs a = {.rcx = 0xA}, b = {.rcx = 0xB};
    struct hd_exit_record r;
    struct hd_vcpu va, vb;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    pre(f, &va, &a, 2); /* never ended */
    assert_int_equal(hd_recorder_set(f->engine, false), HD_OK);
    pre(f, &vb, &b, 2);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &vb), HD_OK);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.rcx, 0xA);
    assert_int_equal(r.flags & HD_RECORD_AFTER_UNKNOWN, HD_RECORD_AFTER_UNKNOWN);
    assert_int_equal(r.after.rcx, 0);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY); /* b: recording was off */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_post_pass_closes_the_record, fx_setup_recording,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(end_closes_an_exit_without_post_pass,
                                        fx_setup_recording, fx_teardown),
        cmocka_unit_test_setup_teardown(an_unended_exit_is_published_after_unknown,
                                        fx_setup_recording, fx_teardown),
        cmocka_unit_test_setup_teardown(an_abandoned_exit_is_not_recorded, fx_setup_recording,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(switched_off_between_the_calls_the_record_still_closes,
                                        fx_setup_recording, fx_teardown),
        cmocka_unit_test_setup_teardown(
            switched_off_an_unended_record_gets_no_other_exits_registers, fx_setup_recording,
            fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
