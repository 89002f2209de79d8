/* SPDX-License-Identifier: MIT */
/*
 * HyperDbg's documentation examples, unchanged, through the public API:
 *   - the condition (true only when the guest's rdx == 0x1000; clobbers rbx);
 *   - the custom code (r8 'HDBG' 0x47424448 becomes 'HDB2' 0x32424448);
 *   - both in one event, as HyperDbg's docs use them; and the code added with hd_action_add;
 *   - `!vmcall pid 490 code {90 90 90}` (no RET: one is appended) and
 *     `!vmcall pid 490 core 2` (no code: one break action).
 */
#include "helpers.h"

#define HDBG 0x47424448ull
#define HDB2 0x32424448ull

static uint64_t reg_doc_condition(struct fx *f, const struct hd_action_desc *acts, uint32_t n)
{
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, n);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = doc_condition(&d.condition.code_size);
    return reg_desc(f, &d);
}

static void doc_condition_is_true_only_when_rdx_is_0x1000(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    uint64_t t = reg_doc_condition(f, &a, 1);
    static const struct {
        uint64_t rdx;
        bool fires;
    } cases[] = {
        {0x1000, true},
        {0, false},
        {0xFFF, false},
        {0x1001, false},
        {0x100001000ull, false}, /* a 64-bit compare: the high half counts */
        {0xFFFFFFFFFFFFF000ull, false},
        {0x1000, true},
    };
    unsigned fired = 0;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_guest_regs regs = {.rdx = cases[i].rdx, .rbx = 0xB0B};
        tlog_reset();
        struct hd_exit x = run_exit(f, 0, 0x490, 0, &regs);
        assert_int_equal(tlog_count(), cases[i].fires ? 1 : 0);
        assert_int_equal(x.pre.fired, cases[i].fires ? 1 : 0);
        assert_int_equal(regs.rbx, 0xB0B); /* it clobbers the host's rbx, not the guest's */
        assert_int_equal(regs.rdx, cases[i].rdx);
        fired += cases[i].fires;
    }
    struct hd_event_counters k;
    assert_int_equal(hd_event_counters(f->engine, t, 0, &k), HD_OK);
    assert_int_equal(k.hits, 7);
    assert_int_equal(k.condition_false, 7 - fired);
}

static uint64_t run_doc_code_on(struct fx *f, uint64_t r8)
{
    struct hd_guest_regs regs = {.r8 = r8, .rdx = 0x1000, .rbx = 0xB0B};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.rbx, 0xB0B);
    assert_int_equal(regs.rdx, 0x1000);
    return regs.r8;
}

static void doc_code_turns_hdbg_into_hdb2(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a;
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    a = act_code(code, size, 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    assert_int_equal(run_doc_code_on(f, HDBG), HDB2);
}

static void doc_code_leaves_other_values_alone(void **state)
{
    struct fx *f = *state;
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    static const uint64_t others[] = {0, HDB2, HDBG + 1, HDBG - 1, 0x100000000ull | HDBG,
                                      0xFFFFFFFF00000000ull | HDBG};
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(run_doc_code_on(f, others[i]), others[i]);
}

static void doc_condition_and_code_in_one_event(void **state)
{
    struct fx *f = *state;
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    reg_doc_condition(f, &a, 1);

    struct hd_guest_regs regs = {.rdx = 0x1000, .r8 = HDBG};
    run_exit(f, 0, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDB2);

    regs = (struct hd_guest_regs){.rdx = 0x2000, .r8 = HDBG};
    run_exit(f, 0, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDBG); /* condition false: the code did not run */

    regs = (struct hd_guest_regs){.rdx = 0x1000, .r8 = 5};
    run_exit(f, 0, 0x490, 0, &regs);
    assert_int_equal(regs.r8, 5);
}

static void doc_code_added_with_action_add(void **state)
{
    struct fx *f = *state;
    uint64_t t = reg_doc_condition(f, NULL, 0); /* event first, then its action */
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    assert_int_equal(hd_action_add(f->engine, t, &a), HD_OK);

    struct hd_guest_regs regs = {.rdx = 0x1000, .r8 = HDBG};
    run_exit(f, 2, 1, 0, &regs);
    assert_int_equal(regs.r8, HDB2);
    regs = (struct hd_guest_regs){.rdx = 0x1001, .r8 = HDBG};
    run_exit(f, 2, 1, 0, &regs);
    assert_int_equal(regs.r8, HDBG);
}

static void doc_code_runs_in_a_post_pass_after_default_handling(void **state)
{
    struct fx *f = *state;
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    assert_int_equal(run_doc_code_on(f, HDBG), HDB2);
}

static void doc_nop_code_without_ret_runs(void **state)
{
    struct fx *f = *state;
    static const uint8_t nops[] = {0x90, 0x90, 0x90}; /* `code {90 90 90}`: nop; nop; nop */
    struct hd_action_desc acts[2] = {act_code(nops, sizeof(nops), 0), act_log(1)};
    struct hd_event_counters k;
    reg_event(f, HD_ALL, 0x490, HD_STAGE_PRE, false, acts, 2);

    /* `condition {90 90 90}`: its result is whatever rax held, so only check it returns. */
    struct hd_event_desc d = ev_desc(HD_ALL, 0x490, HD_STAGE_PRE, false, NULL, 0);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = nops;
    d.condition.code_size = sizeof(nops);
    d.command = "!vmcall pid 490 condition {90 90 90}";
    uint64_t t = reg_desc(f, &d);

    run_exit(f, 0, 0x490, 0, NULL);
    assert_int_equal(tlog_count(), 1); /* the log action ran after the nop code returned */
    assert_int_equal(hd_event_counters(f->engine, t, HD_ALL, &k), HD_OK);
    assert_int_equal(k.hits, 1); /* the nop condition was evaluated and returned */
}

static void doc_pid_and_core_without_code_breaks(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break(); /* no code, no script: one break action */
    uint64_t t = reg_event(f, 2, 0x490, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 2, 0x490, 0, NULL);
    run_exit(f, 1, 0x490, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 1);
    struct hd_host_break b;
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.tag, t);
    assert_int_equal(b.core, 2);
    assert_int_equal(b.pid, 0x490);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(doc_condition_is_true_only_when_rdx_is_0x1000),
        T(doc_code_turns_hdbg_into_hdb2),
        T(doc_code_leaves_other_values_alone),
        T(doc_condition_and_code_in_one_event),
        T(doc_code_added_with_action_add),
        T(doc_code_runs_in_a_post_pass_after_default_handling),
        T(doc_nop_code_without_ret_runs),
        T(doc_pid_and_core_without_code_breaks),
    };
#undef T
    return cmocka_run_group_tests_name("HyperDbg documentation examples", tests, NULL, NULL);
}
