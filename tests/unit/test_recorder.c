/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder (recorder.h): off unless asked, one record per exit of an armed engine
 * with the registers before and after, the exit's identity, the fired tags in order and the
 * verdict; a full ring overwrites its oldest record and counts it.
 */
#include "helpers.h"

#include <hdevent/recorder.h>

static void *set_rax(struct hd_hook *h)
{
    h->regs->rax = (uint64_t)(uintptr_t)h->user;
    return NULL;
}

static void off_by_default_nothing_is_recorded(void **state)
{
    struct fx *f = *state;
    struct hd_exit_record r;
    struct hd_recorder_stats st;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 5, 3, NULL);
    assert_false(hd_recorder_on(f->engine));
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    assert_int_equal(hd_recorder_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.recorded, 0);
}

static void a_record_holds_the_exit_before_and_after(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc first = act_native(set_rax, (void *)(uintptr_t)0x1234);
    struct hd_action_desc second = act_log(2);
    struct hd_event_desc never;
    struct hd_guest_regs regs = {.rax = 5, .rbx = 7, .r15 = 0xF15};
    struct hd_exit_record r;
    uint64_t t1, t3;

    t1 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &first, 1);
    never = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &second, 1);
    never.condition.kind = HD_CONDITION_NATIVE;
    never.condition.fn = log_condition_false;
    reg_desc(f, &never);
    t3 = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);

    assert_true(hd_recorder_on(f->engine));
    run_exit(f, 1, 0x42, 3, &regs);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.rax, 5);
    assert_int_equal(r.before.rbx, 7);
    assert_int_equal(r.after.rax, 0x1234); /* short-circuited: no handler overwrote it */
    assert_int_equal(r.after.r15, 0xF15);
    assert_int_equal(r.core, 1);
    assert_int_equal(r.pid, 0x42);
    assert_int_equal(r.cpl, 3);
    assert_int_equal(r.rip, HD_HOST_VCPU_RIP);
    assert_int_equal(r.insn_len, 3);
    assert_int_equal(r.sequence, 0);
    assert_int_equal(r.fired_count, 2); /* the event whose condition said no did not fire */
    assert_int_equal(r.fired[0], t1);
    assert_int_equal(r.fired[1], t3);
    assert_int_equal(r.flags, HD_RECORD_SHORT_CIRCUIT);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
}

static void raw_code_and_the_handler_are_recorded(void **state)
{
    struct fx *f = *state;
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, false);
    struct hd_guest_regs regs = {.rax = 9, .r8 = 0x47424448}; /* "HDBG" */
    struct hd_exit_record r;
    uint64_t tag = reg_event(f, 2, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    run_exit(f, 2, 7, 0, &regs);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.before.r8, 0x47424448);
    assert_int_equal(r.after.r8, 0x32424448); /* "HDB2": the code ran */
    assert_int_equal(r.before.rax, 9);
    assert_int_equal(r.after.rax, HD_VMCALL_ENOSYS); /* the default handling ran */
    assert_int_equal(r.flags, HD_RECORD_DEFAULT_HANDLED);
    assert_int_equal(r.fired_count, 1);
    assert_int_equal(r.fired[0], tag);

    run_exit(f, 3, 7, 0, NULL); /* no event of core 3, yet an exit of an armed engine */
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
    assert_int_equal(r.core, 3);
    assert_int_equal(r.fired_count, 0);
}

static void a_full_ring_keeps_the_newest(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.record_slots = 3}; /* keeps 3: 4 slots */
    struct hd_recorder_stats st;
    struct hd_exit_record r;

    fx_recreate(f, hd_host_ops(f->host), &cfg);
    assert_true(hd_recorder_on(f->engine));
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    for (uint64_t i = 0; i < 10; i++) {
        struct hd_guest_regs regs = {.rcx = i};
        run_exit(f, 0, 1, 0, &regs);
    }
    assert_int_equal(hd_recorder_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.recorded, 10);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.dropped, 7);
    for (uint32_t i = 7; i < 10; i++) {
        assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK);
        assert_int_equal(r.sequence, i);
        assert_int_equal(r.before.rcx, i);
    }
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    assert_int_equal(hd_recorder_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.dropped, 7);
    assert_int_equal(st.queued, 0);
}

static void switched_off_it_records_no_more(void **state)
{
    struct fx *f = *state;
    struct hd_exit_record r;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_recorder_set(f->engine, false), HD_OK);
    assert_false(hd_recorder_on(f->engine));
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_OK); /* the one before */
    assert_int_equal(hd_recorder_read(f->engine, &r), HD_EMPTY);
    assert_int_equal(tlog_count(), 2); /* the events ran both times */
}

static void bad_arguments_are_refused(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.record_slots = HD_RECORD_SLOTS_MAX + 1};
    struct hd_engine *e = NULL;
    struct hd_recorder_stats st;
    struct hd_exit_record r;

    assert_int_equal(hd_engine_create(hd_host_ops(f->host), &cfg, &e), HD_ERR_INVALID_ARGUMENT);
    assert_null(e);
    assert_int_equal(hd_recorder_set(NULL, true), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_recorder_read(f->engine, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_recorder_read(NULL, &r), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_recorder_stats(f->engine, 4, &st), HD_ERR_INVALID_CORE);
    assert_false(hd_recorder_on(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(off_by_default_nothing_is_recorded, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_record_holds_the_exit_before_and_after,
                                        fx_setup_recording, fx_teardown),
        cmocka_unit_test_setup_teardown(raw_code_and_the_handler_are_recorded,
                                        fx_setup_recording, fx_teardown),
        cmocka_unit_test_setup_teardown(a_full_ring_keeps_the_newest, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(switched_off_it_records_no_more, fx_setup_recording,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_are_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
