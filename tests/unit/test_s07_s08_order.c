/* SPDX-License-Identifier: MIT */
/*
 * S7: an event's actions run in the order they were given (hd_action_add appends).
 * S8: when several events match, all run, oldest (lowest tag) first — also when they sit in
 * different index buckets ((core, pid), (core, all), (all, pid), (all, all)).
 * HyperDbg runs both newest first; hdevent must not.
 */
#include "helpers.h"

#include <hdevent/script.h>

/* inc qword [rdx] ; ret  — the guest's rax += 1 */
static const uint8_t RAW_INC_RAX[] = {0x48, 0xFF, 0x02, 0xC3};

static void assert_ids(const uintptr_t *ids, unsigned n)
{
    assert_int_equal(tlog_count(), n);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(tlog_at(i)->id, ids[i]);
}

static void s07_actions_run_in_the_order_given(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[5] = {act_log(5), act_log(3), act_log(1), act_log(4), act_log(2)};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 5);
    run_exit(f, 0, 1, 0, NULL);
    const uintptr_t expect[] = {5, 3, 1, 4, 2};
    assert_ids(expect, 5);
}

static void s07_raw_and_native_actions_interleave_in_order(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 10};
    struct hd_action_desc acts[5] = {
        act_log(1), act_code(RAW_INC_RAX, sizeof(RAW_INC_RAX), 0), act_log(2),
        act_code(RAW_INC_RAX, sizeof(RAW_INC_RAX), 0), act_log(3),
    };
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, acts, 5); /* sc: keep rax */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 3);
    assert_int_equal(tlog_at(0)->rax, 10);
    assert_int_equal(tlog_at(1)->rax, 11);
    assert_int_equal(tlog_at(2)->rax, 12);
    assert_int_equal(regs.rax, 12);
}

/*
 * Scripts take their place in the order like any action: HyperDbg runs a script action before
 * a custom-code action of the same event whatever the order given; hdevent keeps the order
 * (the command parser gives code and script actions in the order they are written).
 */
static void s07_script_actions_run_in_the_order_given(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 10};
    struct hd_script_program p;
    struct hd_message_info info;
    char text[32];
    assert_int_equal(hd_script_compile("printf(\"%llu\", @rax); @rax = @rax * 0n10;", &p, NULL),
                     HD_OK);
    struct hd_action_desc acts[5] = {
        act_code(RAW_INC_RAX, sizeof(RAW_INC_RAX), 0), act_log(1), act_log(2), act_log(3),
        act_code(RAW_INC_RAX, sizeof(RAW_INC_RAX), 0),
    };
    hd_action_desc_init(&acts[1], HD_ACTION_SCRIPT);
    acts[1].script = p.code;
    acts[1].script_size = p.size;
    acts[3] = acts[1];
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, acts, 5); /* sc: keep rax */
    hd_script_program_free(&p);
    run_exit(f, 0, 1, 0, &regs);
    /* code (11), script prints 11 and makes 110, native sees 110, script prints 110 and makes
     * 1100, code (1101). */
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->rax, 110);
    assert_int_equal(regs.rax, 1101);
    assert_int_equal(hd_message_read(f->engine, &info, text, sizeof(text)), HD_OK);
    assert_memory_equal(text, "11", 2);
    assert_int_equal(hd_message_read(f->engine, &info, text, sizeof(text)), HD_OK);
    assert_memory_equal(text, "110", 3);
}

static void s07_added_actions_run_after_the_existing_ones(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2] = {act_log(1), act_log(2)};
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    struct hd_action_desc a3 = act_log(3), a4 = act_log(4);
    struct hd_event_info info;

    assert_int_equal(hd_action_add(f->engine, t, &a3), HD_OK);
    assert_int_equal(hd_action_add(f->engine, t, &a4), HD_OK);
    assert_int_equal(hd_event_query(f->engine, t, &info), HD_OK);
    assert_int_equal(info.action_count, 4);
    run_exit(f, 0, 1, 0, NULL);
    const uintptr_t expect[] = {1, 2, 3, 4};
    assert_ids(expect, 4);
}

static void s07_actions_added_to_an_event_without_actions_run_in_order(void **state)
{
    struct fx *f = *state;
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    for (uintptr_t id = 1; id <= 9; id++) { /* grows the action array several times */
        struct hd_action_desc a = act_log(id);
        assert_int_equal(hd_action_add(f->engine, t, &a), HD_OK);
    }
    run_exit(f, 0, 1, 0, NULL);
    const uintptr_t expect[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_ids(expect, 9);
}

static void s07_actions_added_while_disabled_run_after_enable(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a1 = act_log(1), a2 = act_log(2);
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a1, 1);
    assert_int_equal(hd_event_disable(f->engine, t), HD_OK);
    assert_int_equal(hd_action_add(f->engine, t, &a2), HD_OK);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 0);
    assert_int_equal(hd_event_enable(f->engine, t), HD_OK);
    run_exit(f, 0, 1, 0, NULL);
    const uintptr_t expect[] = {1, 2};
    assert_ids(expect, 2);
}

static void s08_matching_events_in_one_bucket_run_oldest_first(void **state)
{
    struct fx *f = *state;
    for (uintptr_t id = 1; id <= 6; id++)
        reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, id);
    run_exit(f, 0, 1, 0, NULL);
    const uintptr_t expect[] = {1, 2, 3, 4, 5, 6};
    assert_ids(expect, 6);
    for (unsigned i = 1; i < 6; i++)
        assert_true(tlog_at(i)->tag > tlog_at(i - 1)->tag);
}

static void s08_matching_events_run_oldest_first_across_buckets(void **state)
{
    struct fx *f = *state;
    /* Interleave the four keys so that registration order != bucket order. */
    reg_logged(f, 1, 5, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 3);
    reg_logged(f, HD_ALL, 5, HD_STAGE_PRE, 4);
    reg_logged(f, HD_ALL, 5, HD_STAGE_PRE, 5);
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 6);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 7);
    reg_logged(f, 1, 5, HD_STAGE_PRE, 8);
    reg_logged(f, 2, 5, HD_STAGE_PRE, 99); /* never matches core 1 */
    reg_logged(f, HD_ALL, 5, HD_STAGE_PRE, 9);
    reg_logged(f, 1, 5, HD_STAGE_PRE, 10);

    run_exit(f, 1, 5, 0, NULL);
    const uintptr_t expect[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_ids(expect, 10);
    for (unsigned i = 1; i < 10; i++)
        assert_true(tlog_at(i)->tag > tlog_at(i - 1)->tag);

    /* A subset of the buckets keeps the same relative order. */
    tlog_reset();
    run_exit(f, 1, 6, 0, NULL); /* (1, all) and (all, all) only */
    const uintptr_t expect2[] = {2, 3, 6, 7};
    assert_ids(expect2, 4);
    tlog_reset();
    run_exit(f, 3, 5, 0, NULL); /* (all, 5) and (all, all) only */
    const uintptr_t expect3[] = {2, 4, 5, 7, 9};
    assert_ids(expect3, 5);
}

static void s08_post_pass_also_runs_oldest_first_across_buckets(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, 5, HD_STAGE_POST, 1);
    reg_logged(f, 1, 5, HD_STAGE_ALL, 2);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 3);
    reg_logged(f, 1, HD_ALL, HD_STAGE_POST, 4);
    reg_logged(f, 1, 5, HD_STAGE_POST, 5);

    run_exit(f, 1, 5, 0, NULL);
    const uintptr_t expect[] = {2, 1, 2, 3, 4, 5}; /* pre: 2; post: all in tag order */
    assert_ids(expect, 6);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    for (unsigned i = 1; i < 6; i++)
        assert_int_equal(tlog_at(i)->stage, HD_STAGE_POST);
}

static void s08_reenabled_event_keeps_its_registration_position(void **state)
{
    struct fx *f = *state;
    uint64_t first = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, HD_ALL, 7, HD_STAGE_PRE, 3);
    assert_int_equal(hd_event_disable(f->engine, first), HD_OK);
    assert_int_equal(hd_event_enable(f->engine, first), HD_OK);
    run_exit(f, 0, 7, 0, NULL);
    const uintptr_t expect[] = {1, 2, 3};
    assert_ids(expect, 3);
}

static void s08_event_registered_after_a_clear_runs_last(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, HD_ALL, 7, HD_STAGE_PRE, 3);
    assert_int_equal(hd_event_clear(f->engine, b), HD_OK);
    reg_logged(f, 0, 7, HD_STAGE_PRE, 4);
    reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 5);
    run_exit(f, 0, 7, 0, NULL);
    const uintptr_t expect[] = {1, 3, 4, 5};
    assert_ids(expect, 4);
}

static void s08_later_event_sees_earlier_events_register_writes(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 0};
    struct hd_action_desc inc = act_code(RAW_INC_RAX, sizeof(RAW_INC_RAX), 0);
    reg_event(f, 1, HD_ALL, HD_STAGE_PRE, true, &inc, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_event(f, HD_ALL, 9, HD_STAGE_PRE, false, &inc, 1);
    reg_logged(f, 1, 9, HD_STAGE_PRE, 2);
    run_exit(f, 1, 9, 0, &regs);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->rax, 1);
    assert_int_equal(tlog_at(1)->rax, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s07_script_actions_run_in_the_order_given),
        T(s07_actions_run_in_the_order_given),
        T(s07_raw_and_native_actions_interleave_in_order),
        T(s07_added_actions_run_after_the_existing_ones),
        T(s07_actions_added_to_an_event_without_actions_run_in_order),
        T(s07_actions_added_while_disabled_run_after_enable),
        T(s08_matching_events_in_one_bucket_run_oldest_first),
        T(s08_matching_events_run_oldest_first_across_buckets),
        T(s08_post_pass_also_runs_oldest_first_across_buckets),
        T(s08_reenabled_event_keeps_its_registration_position),
        T(s08_event_registered_after_a_clear_runs_last),
        T(s08_later_event_sees_earlier_events_register_writes),
    };
#undef T
    return cmocka_run_group_tests_name("S7/S8 action and event order", tests, NULL, NULL);
}
