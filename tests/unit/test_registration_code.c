/* SPDX-License-Identifier: MIT */
/*
 * What registration does with raw code besides checking it (docs/c-api.md): a RET is appended
 * to custom code and to a condition whose last byte is not one, and the bytes are copied into
 * executable memory, so the caller may reuse its buffer at once. Kept apart from the errors
 * (test_registration_errors.c): these registrations succeed and their code runs.
 */
#include "helpers.h"

static void ret_is_appended_to_custom_code_without_ret(void **state)
{
    struct fx *f = *state;
    static const uint8_t mov_rax_5[] = {0x48, 0xC7, 0xC0, 0x05, 0x00, 0x00, 0x00}; /* mov rax, 5 */
    struct hd_action_desc acts[2] = {act_code(mov_rax_5, sizeof(mov_rax_5), 0), act_log(1)};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(tlog_count(), 1); /* the code returned and the next action ran */
}

static void ret_is_appended_to_a_condition_without_ret(void **state)
{
    struct fx *f = *state;
    static const uint8_t mov_rax_5[] = {0x48, 0xC7, 0xC0, 0x05, 0x00, 0x00, 0x00}; /* mov rax, 5 */
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = mov_rax_5;
    d.condition.code_size = sizeof(mov_rax_5);
    reg_desc(f, &d);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1); /* returned 5: true */
}

static void ret_is_appended_and_code_writes_registers(void **state)
{
    struct fx *f = *state;
    /* mov qword [rdx], 5  (guest rax = 5), no RET */
    static const uint8_t set_rax_5[] = {0x48, 0xC7, 0x02, 0x05, 0x00, 0x00, 0x00};
    struct hd_guest_regs regs = {.rax = 1};
    struct hd_action_desc a = act_code(set_rax_5, sizeof(set_rax_5), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1); /* sc: keep what it wrote */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.rax, 5);
}

static void registration_copies_code_so_the_caller_may_reuse_it(void **state)
{
    struct fx *f = *state;
    uint8_t code[9] = {0x48, 0xC7, 0x42, 0x40, 0x34, 0x12, 0x00, 0x00, 0xC3}; /* r8 = 0x1234 */
    struct hd_guest_regs regs = {0};
    struct hd_action_desc a = act_code(code, sizeof(code), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    memset(code, 0xCC, sizeof(code)); /* int3 everywhere: would trap if it were used */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.r8, 0x1234);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(ret_is_appended_to_custom_code_without_ret),
        T(ret_is_appended_to_a_condition_without_ret),
        T(ret_is_appended_and_code_writes_registers),
        T(registration_copies_code_so_the_caller_may_reuse_it),
    };
#undef T
    return cmocka_run_group_tests_name("registration: RET appended, code copied", tests, NULL,
                                       NULL);
}
