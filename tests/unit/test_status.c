/* SPDX-License-Identifier: MIT */
/*
 * Status strings and names (status.h), the success/failure macros, and the register table
 * (regs.h): hd_guest_reg_name in GUEST_REGS order and hd_guest_reg offsets.
 */
#include "helpers.h"

struct status_row {
    enum hd_status value;
    const char *enumerator;
};

static const struct status_row ROWS[] = {
#define ROW_(name, value, wire, text) {name, #name},
    HD_STATUS_LIST(ROW_)
#undef ROW_
};
#define NROWS (sizeof(ROWS) / sizeof(ROWS[0]))

static void status_list_has_every_status(void **state)
{
    (void)state;
    /* Values are ABI: statuses are appended, never renumbered. */
    assert_true(NROWS >= 24);
    assert_int_equal(HD_OK, 0);
    assert_int_equal(HD_EMPTY, 1);
    assert_int_equal(HD_ERR_NO_MEMORY, -2);
    assert_int_equal(HD_ERR_TOO_MANY_ACTIONS, -17);
    assert_int_equal(HD_ERR_TAG_IN_USE, -18);
    assert_int_equal(HD_ERR_INVALID_TAG, -19);
    assert_int_equal(HD_ERR_BUFFER_TOO_SMALL, -20);
    assert_int_equal(HD_ERR_UNKNOWN_IOCTL, -21);
    assert_int_equal(HD_ERR_NOT_ENCODABLE, -22);
    assert_int_equal(HD_ERR_INVALID_CODE, -23);
}

static void status_values_are_distinct(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NROWS; i++)
        for (unsigned j = i + 1; j < NROWS; j++)
            assert_int_not_equal(ROWS[i].value, ROWS[j].value);
}

static void status_str_is_non_empty_and_distinct(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NROWS; i++) {
        const char *s = hd_status_str(ROWS[i].value);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown status");
        for (unsigned j = i + 1; j < NROWS; j++)
            assert_string_not_equal(s, hd_status_str(ROWS[j].value));
    }
}

static void status_name_is_the_enumerator(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NROWS; i++) {
        const char *n = hd_status_name(ROWS[i].value);
        assert_non_null(n);
        assert_int_equal(strncmp(n, "HD_", 3), 0);
        assert_string_equal(n, ROWS[i].enumerator);
        for (unsigned j = i + 1; j < NROWS; j++)
            assert_string_not_equal(n, hd_status_name(ROWS[j].value));
    }
    assert_string_equal(hd_status_name(HD_ERR_NO_MEMORY), "HD_ERR_NO_MEMORY");
    assert_string_equal(hd_status_name(HD_OK), "HD_OK");
}

static void status_unknown_values(void **state)
{
    (void)state;
    const int unknown[] = {2, 3, 100, -1000, -100000, 0x7FFFFFFF, -0x7FFFFFFF - 1};
    for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(hd_status_str((enum hd_status)unknown[i]), "unknown status");
        assert_string_equal(hd_status_name((enum hd_status)unknown[i]), "HD_UNKNOWN");
    }
}

static void status_success_and_failed_macros(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NROWS; i++) {
        bool err = strncmp(ROWS[i].enumerator, "HD_ERR_", 7) == 0;
        assert_int_equal(HD_FAILED(ROWS[i].value), err);
        assert_int_equal(HD_SUCCESS(ROWS[i].value), !err);
        assert_int_equal((int)ROWS[i].value < 0, err); /* errors are exactly the negatives */
    }
    assert_true(HD_SUCCESS(HD_OK));
    assert_true(HD_SUCCESS(HD_EMPTY)); /* informational, not a failure */
    assert_false(HD_FAILED(HD_EMPTY));
    assert_true(HD_FAILED(HD_ERR_NO_MEMORY));
}

static enum hd_status check_passes(enum hd_status first, int *reached)
{
    HD_CHECK(first);
    *reached = 1;
    return HD_OK;
}

static void status_check_macro_returns_errors_only(void **state)
{
    (void)state;
    int reached = 0;
    assert_int_equal(check_passes(HD_ERR_TOO_LARGE, &reached), HD_ERR_TOO_LARGE);
    assert_int_equal(reached, 0);
    assert_int_equal(check_passes(HD_EMPTY, &reached), HD_OK);
    assert_int_equal(reached, 1);
}

/* ---- registers ------------------------------------------------------------------------- */

static void regs_names_in_guest_regs_order(void **state)
{
    (void)state;
    static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                          "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                          "r12", "r13", "r14", "r15"};
    assert_int_equal(HD_GUEST_REG_COUNT, 16);
    for (unsigned i = 0; i < 16; i++) {
        assert_non_null(hd_guest_reg_name(i));
        assert_string_equal(hd_guest_reg_name(i), names[i]);
    }
    assert_null(hd_guest_reg_name(16));
    assert_null(hd_guest_reg_name(0xFFFFFFFFu));
}

static void regs_accessor_matches_the_fields_and_offsets(void **state)
{
    (void)state;
    struct hd_guest_regs r;
    uint64_t *const fields[16] = {&r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp,
                                  &r.rsi, &r.rdi, &r.r8,  &r.r9,  &r.r10, &r.r11,
                                  &r.r12, &r.r13, &r.r14, &r.r15};
    assert_int_equal(sizeof(r), 128);
    for (unsigned i = 0; i < 16; i++) {
        assert_ptr_equal(hd_guest_reg(&r, i), fields[i]);
        assert_int_equal((uintptr_t)hd_guest_reg(&r, i) - (uintptr_t)&r, 8u * i);
    }
    assert_null(hd_guest_reg(&r, 16));

    for (unsigned i = 0; i < 16; i++)
        *hd_guest_reg(&r, i) = 0x100 + i;
    assert_int_equal(r.rax, 0x100);
    assert_int_equal(r.r8, 0x108);
    assert_int_equal(r.r15, 0x10F);
}

static void regs_hyperdbg_offsets(void **state)
{
    (void)state;
    /* The offsets HyperDbg's raw code uses: [rcx+0x10] is rdx, [rdx+0x40] is r8. */
    assert_int_equal(offsetof(struct hd_guest_regs, rdx), 0x10);
    assert_int_equal(offsetof(struct hd_guest_regs, r8), 0x40);
    assert_int_equal(offsetof(struct hd_guest_regs, r10), 0x50);
    assert_int_equal(offsetof(struct hd_guest_regs, r12), 0x60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_list_has_every_status),
        cmocka_unit_test(status_values_are_distinct),
        cmocka_unit_test(status_str_is_non_empty_and_distinct),
        cmocka_unit_test(status_name_is_the_enumerator),
        cmocka_unit_test(status_unknown_values),
        cmocka_unit_test(status_success_and_failed_macros),
        cmocka_unit_test(status_check_macro_returns_errors_only),
        cmocka_unit_test(regs_names_in_guest_regs_order),
        cmocka_unit_test(regs_accessor_matches_the_fields_and_offsets),
        cmocka_unit_test(regs_hyperdbg_offsets),
    };
    return cmocka_run_group_tests_name("status strings and register table", tests, NULL, NULL);
}
