/* SPDX-License-Identifier: MIT */
/*
 * S21: `nr N` / `nr N-M` (hdevent's extension): an event runs only on exits whose hypercall
 *      number — the register hd_backend_ops.nr_register names, rcx by default — lies in its
 *      range; its core and pid filters still apply; events without nr run as before, merged
 *      with the nr events in registration order (S8); the post pass uses the number the pre
 *      pass saw, whatever the default handling wrote.
 * S22: ranges that overlap: every event whose range covers the number runs, once, oldest
 *      first; ranges up to 2^64 - 1 work.
 */
#include "helpers.h"

static struct hd_event_desc nr_desc(uint64_t first, uint64_t last, uint32_t core, uint32_t pid,
                                    enum hd_stage stage, const struct hd_action_desc *a)
{
    struct hd_event_desc d = ev_desc(core, pid, stage, false, a, 1);
    d.nr_filter = true;
    d.nr_first = first;
    d.nr_last = last;
    return d;
}

/* Register an `nr` event with one logging action @id. */
static uint64_t reg_nr(struct fx *f, uint64_t first, uint64_t last, uint32_t core, uint32_t pid,
                       enum hd_stage stage, uintptr_t id)
{
    struct hd_action_desc a = act_log(id);
    struct hd_event_desc d = nr_desc(first, last, core, pid, stage, &a);
    return reg_desc(f, &d);
}

/* One exit on (core, pid) with the number @nr in rcx; @return the logged ids, in order, as
 * decimal digits (ids below 10), e.g. 213. */
static unsigned exit_ids(struct fx *f, uint32_t core, uint32_t pid, uint64_t nr)
{
    struct hd_guest_regs regs;
    unsigned ids = 0, before = tlog_count();

    memset(&regs, 0, sizeof(regs));
    regs.rcx = nr;
    run_exit(f, core, pid, 0, &regs);
    for (unsigned i = before; i < tlog_count(); i++)
        ids = ids * 10 + (unsigned)tlog_at(i)->id;
    return ids;
}

static void s21_nr_event_runs_only_on_its_number(void **state)
{
    struct fx *f = *state;
    reg_nr(f, 0x10, 0x10, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, 0x20, 0x2F, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    assert_int_equal(exit_ids(f, 0, 1, 0x10), 1);
    assert_int_equal(exit_ids(f, 0, 1, 0x11), 0);
    assert_int_equal(exit_ids(f, 0, 1, 0x0F), 0);
    assert_int_equal(exit_ids(f, 1, 1, 0x20), 2);
    assert_int_equal(exit_ids(f, 1, 1, 0x2F), 2);
    assert_int_equal(exit_ids(f, 1, 1, 0x30), 0);
    assert_int_equal(exit_ids(f, 1, 1, 0x1F), 0);
}

static void s21_events_without_nr_merge_in_registration_order(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, 5, 5, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, 2, HD_ALL, HD_STAGE_PRE, 3);
    reg_nr(f, 5, 6, 2, HD_ALL, HD_STAGE_PRE, 4);
    assert_int_equal(exit_ids(f, 2, 7, 5), 1234);
    assert_int_equal(exit_ids(f, 2, 7, 6), 134);
    assert_int_equal(exit_ids(f, 1, 7, 5), 12);
    assert_int_equal(exit_ids(f, 1, 7, 9), 1);
}

static void s21_core_and_pid_filters_still_apply(void **state)
{
    struct fx *f = *state;
    reg_nr(f, 7, 7, 1, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, 7, 7, HD_ALL, 0x490, HD_STAGE_PRE, 2);
    reg_nr(f, 7, 7, 1, 0x490, HD_STAGE_PRE, 3);
    assert_int_equal(exit_ids(f, 1, 0x490, 7), 123);
    assert_int_equal(exit_ids(f, 1, 0x491, 7), 1);
    assert_int_equal(exit_ids(f, 2, 0x490, 7), 2);
    assert_int_equal(exit_ids(f, 2, 0x491, 7), 0);
    assert_int_equal(exit_ids(f, 1, 0x490, 8), 0);
}

static void s21_one_filtered_event_alone(void **state)
{
    struct fx *f = *state; /* the short way: one bucket, no other event */
    reg_nr(f, 3, 3, 2, 0x44, HD_STAGE_PRE, 1);
    assert_int_equal(exit_ids(f, 2, 0x44, 3), 1);
    assert_int_equal(exit_ids(f, 1, 0x44, 3), 0);
    assert_int_equal(exit_ids(f, 2, 0x45, 3), 0);
}

static void s21_register_comes_from_the_backend(void **state)
{
    struct fx *f = *state;
    struct hd_host_config hc = {.cores = 4, .nr_register = HD_NR_REGISTER(HD_GUEST_REG_RAX)};
    struct hd_host *host;
    struct hd_guest_regs regs;

    assert_int_equal(hd_host_create(&hc, &host), HD_OK);
    fx_recreate(f, hd_host_ops(host), NULL);
    reg_nr(f, 0x42, 0x42, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    memset(&regs, 0, sizeof(regs));
    regs.rcx = 0x42; /* not the number any more */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 0);
    regs.rax = 0x42;
    regs.rcx = 0;
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 1);
    hd_engine_destroy(f->engine);
    f->engine = NULL;
    hd_host_destroy(host);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
}

static void s21_bad_register_is_refused(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_engine *e = NULL;
    ops.nr_register = HD_NR_REGISTER(16);
    assert_int_equal(hd_engine_create(&ops, NULL, &e), HD_ERR_BAD_OPS);
    assert_null(e);
    ops.nr_register = HD_NR_REGISTER(15); /* r15: the last one */
    assert_int_equal(hd_engine_create(&ops, NULL, &e), HD_OK);
    hd_engine_destroy(e);
}

static void s21_post_pass_keeps_the_pre_pass_number(void **state)
{
    struct fx *f = *state;
    struct hd_host_config hc = {.cores = 4, .nr_register = HD_NR_REGISTER(HD_GUEST_REG_RAX)};
    struct hd_host *host;
    struct hd_guest_regs regs;

    assert_int_equal(hd_host_create(&hc, &host), HD_OK);
    fx_recreate(f, hd_host_ops(host), NULL);
    reg_nr(f, 0x42, 0x42, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    memset(&regs, 0, sizeof(regs));
    regs.rax = 0x42; /* the default handling answers rax = HD_VMCALL_ENOSYS */
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_true(x.post_ran);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(1)->stage, HD_STAGE_POST);
    hd_engine_destroy(f->engine);
    f->engine = NULL;
    hd_host_destroy(host);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
}

static void s21_two_call_form_keeps_the_number_too(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_verdict v;

    reg_nr(f, 9, 9, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    memset(&regs, 0, sizeof(regs));
    regs.rcx = 9;
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_true(v.flags & HD_VERDICT_POST);
    regs.rcx = 0; /* the handling changed it */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(tlog_count(), 1);
}

static void s21_disable_enable_clear(void **state)
{
    struct fx *f = *state;
    uint64_t t1 = reg_nr(f, 1, 1, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, 1, 1, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);
    assert_int_equal(exit_ids(f, 0, 1, 1), 123);
    assert_int_equal(hd_event_disable(f->engine, t1), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 23);
    assert_int_equal(hd_event_enable(f->engine, t1), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 123);
    assert_int_equal(hd_event_disable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 0);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 123);
    assert_int_equal(hd_event_clear(f->engine, t1), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 23);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(exit_ids(f, 0, 1, 1), 0);
    assert_false(hd_vmcall_armed(f->engine));
}

/* 1,000 events on numbers @stride apart from @base (a dense table, or the hash), and a range
 * beyond them: each exit finds exactly its own event. */
static void thousand_numbers(struct fx *f, uint64_t base, uint64_t stride)
{
    uint64_t tags[1000], range_tag = reg_nr(f, base + 1000 * stride, ~(uint64_t)0, HD_ALL,
                                            HD_ALL, HD_STAGE_PRE, 9);

    for (uint64_t n = 0; n < 1000; n++) {
        struct hd_action_desc a = act_log(n % 9);
        struct hd_event_desc d =
            nr_desc(base + n * stride, base + n * stride, HD_ALL, HD_ALL, HD_STAGE_PRE, &a);
        tags[n] = reg_desc(f, &d);
    }
    for (uint64_t n = 0; n <= 1000; n++) {
        struct hd_guest_regs regs;
        tlog_reset();
        memset(&regs, 0, sizeof(regs));
        regs.rcx = base + n * stride;
        run_exit(f, (uint32_t)(n % 4), 1, 0, &regs);
        assert_int_equal(tlog_count(), 1);
        assert_int_equal(tlog_at(0)->tag, n < 1000 ? tags[n] : range_tag);
        regs.rcx = base + n * stride - 1; /* between the numbers, below the range */
        run_exit(f, 0, 1, 0, &regs);
        assert_int_equal(tlog_count(), 1);
    }
}

static void s21_a_thousand_close_numbers_each_find_their_own(void **state)
{
    thousand_numbers(*state, 0x1000, 3); /* dense */
}

static void s21_a_thousand_far_numbers_each_find_their_own(void **state)
{
    thousand_numbers(*state, 0x123456789ull, 0x10001); /* the hash */
}

static void s21_many_keys_besides_nr_rebuild_the_tree(void **state)
{
    struct fx *f = *state;
    reg_nr(f, 4, 4, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    for (uint32_t pid = 0; pid < 700; pid++) /* past one shard: a rebuild adds a root */
        reg_logged(f, HD_ALL, 0x1000 + pid, HD_STAGE_PRE, 2);
    reg_nr(f, 4, 4, HD_ALL, 0x1005, HD_STAGE_PRE, 3);
    assert_int_equal(exit_ids(f, 0, 0x1005, 4), 123);
    assert_int_equal(exit_ids(f, 0, 0x1005, 5), 2);
    assert_int_equal(exit_ids(f, 0, 1, 4), 1);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
}

static void s21_bad_range_is_refused(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = nr_desc(5, 4, HD_ALL, HD_ALL, HD_STAGE_PRE, &a);
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(event_count(f), 0);
}

static void s22_overlapping_ranges_run_every_covering_event_once(void **state)
{
    struct fx *f = *state;
    reg_nr(f, 0x10, 0x40, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, 0x20, 0x20, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_nr(f, 0x18, 0x60, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);
    reg_nr(f, 0x20, 0x28, HD_ALL, HD_ALL, HD_STAGE_PRE, 4);
    assert_int_equal(exit_ids(f, 0, 1, 0x0F), 0);
    assert_int_equal(exit_ids(f, 0, 1, 0x10), 1);
    assert_int_equal(exit_ids(f, 0, 1, 0x17), 1);
    assert_int_equal(exit_ids(f, 0, 1, 0x18), 13);
    assert_int_equal(exit_ids(f, 0, 1, 0x1F), 13);
    assert_int_equal(exit_ids(f, 0, 1, 0x20), 1234);
    assert_int_equal(exit_ids(f, 0, 1, 0x21), 134);
    assert_int_equal(exit_ids(f, 0, 1, 0x28), 134);
    assert_int_equal(exit_ids(f, 0, 1, 0x29), 13);
    assert_int_equal(exit_ids(f, 0, 1, 0x40), 13);
    assert_int_equal(exit_ids(f, 0, 1, 0x41), 3);
    assert_int_equal(exit_ids(f, 0, 1, 0x60), 3);
    assert_int_equal(exit_ids(f, 0, 1, 0x61), 0);
}

static void s22_ranges_reach_the_last_number(void **state)
{
    struct fx *f = *state;
    const uint64_t top = ~(uint64_t)0;
    reg_nr(f, 0, top, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_nr(f, top, top, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    reg_nr(f, top - 1, top, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);
    assert_int_equal(exit_ids(f, 0, 1, 0), 1);
    assert_int_equal(exit_ids(f, 0, 1, top - 2), 1);
    assert_int_equal(exit_ids(f, 0, 1, top - 1), 13);
    assert_int_equal(exit_ids(f, 0, 1, top), 123);
}

static void s22_overlap_with_filters_and_stages(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    reg_nr(f, 1, 9, 1, HD_ALL, HD_STAGE_ALL, 1);
    reg_nr(f, 5, 5, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    reg_nr(f, 3, 6, HD_ALL, 0x77, HD_STAGE_PRE, 3);
    memset(&regs, 0, sizeof(regs));
    regs.rcx = 5;
    run_exit(f, 1, 0x77, 0, &regs);
    /* pre: 1, 3; post: 1, 2 */
    assert_int_equal(tlog_count(), 4);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(1)->id, 3);
    assert_int_equal(tlog_at(2)->id, 1);
    assert_int_equal(tlog_at(2)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(3)->id, 2);
}

/* k nested ranges make about k * k records: past 64 per event + 65,536 registration is refused
 * (HD_ERR_BUDGET_EXCEEDED) and changes nothing; what was registered still dispatches. */
static void s22_overlap_records_are_capped(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    enum hd_status st = HD_OK;
    uint32_t k = 0;

    while (k < 1000) {
        struct hd_event_desc d = nr_desc(k, 100000 - k, HD_ALL, HD_ALL, HD_STAGE_PRE, &a);
        uint64_t tag = 0;
        st = hd_event_register(f->engine, &d, &tag);
        if (st != HD_OK)
            break;
        k++;
    }
    assert_int_equal(st, HD_ERR_BUDGET_EXCEEDED);
    assert_true(k > 250 && k < 320); /* k * k against 64 k + 65,536 */
    assert_int_equal(event_count(f), k);
    for (uint64_t nr = 0; nr < 2; nr++) {
        struct hd_guest_regs regs;
        tlog_reset();
        memset(&regs, 0, sizeof(regs));
        regs.rcx = nr ? 50000 : k - 1; /* in every range; in all k (the last starts at k - 1) */
        run_exit(f, 0, 1, 0, &regs);
        assert_int_equal(tlog_count(), k);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s21_nr_event_runs_only_on_its_number),
        T(s21_events_without_nr_merge_in_registration_order),
        T(s21_core_and_pid_filters_still_apply),
        T(s21_one_filtered_event_alone),
        T(s21_register_comes_from_the_backend),
        T(s21_bad_register_is_refused),
        T(s21_post_pass_keeps_the_pre_pass_number),
        T(s21_two_call_form_keeps_the_number_too),
        T(s21_disable_enable_clear),
        T(s21_a_thousand_close_numbers_each_find_their_own),
        T(s21_a_thousand_far_numbers_each_find_their_own),
        T(s21_many_keys_besides_nr_rebuild_the_tree),
        T(s21_bad_range_is_refused),
        T(s22_overlapping_ranges_run_every_covering_event_once),
        T(s22_ranges_reach_the_last_number),
        T(s22_overlap_with_filters_and_stages),
        T(s22_overlap_records_are_capped),
    };
#undef T
    return cmocka_run_group_tests_name("S21/S22 hypercall numbers", tests, NULL, NULL);
}
