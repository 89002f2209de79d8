/* SPDX-License-Identifier: MIT */
/*
 * S6: a condition that returns 0 skips every action of its event; the other events are still
 * evaluated. Raw conditions follow HyperDbg's convention (rcx = regs, rdx = context), native
 * ones get a struct hd_hook. Per-core counters: hits (evaluated) and condition_false.
 */
#include "helpers.h"

/* xor eax, eax ; ret  — always false */
static const uint8_t RAW_FALSE[] = {0x31, 0xC0, 0xC3};
/* mov eax, 1 ; ret  — always true */
static const uint8_t RAW_TRUE[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};
/* mov rax, [rcx+0x08] ; ret  — true when the guest's rcx != 0 */
static const uint8_t RAW_RCX[] = {0x48, 0x8B, 0x41, 0x08, 0xC3};

static uint64_t reg_with_condition(struct fx *f, const struct hd_condition_desc *c, uintptr_t id,
                                   uintptr_t id2)
{
    struct hd_action_desc acts[2] = {act_log(id), act_log(id2)};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    d.condition = *c;
    return reg_desc(f, &d);
}

static struct hd_condition_desc raw(const uint8_t *code, uint32_t size)
{
    struct hd_condition_desc c = {.kind = HD_CONDITION_RAW, .code = code, .code_size = size};
    return c;
}

static struct hd_condition_desc native(hd_condition_fn fn, void *user)
{
    struct hd_condition_desc c = {.kind = HD_CONDITION_NATIVE, .fn = fn, .user = user};
    return c;
}

static void s06_raw_condition_false_skips_only_that_events_actions(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = raw(RAW_FALSE, sizeof(RAW_FALSE));
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_with_condition(f, &c, 2, 3);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 4);

    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(1)->id, 4);
    assert_int_equal(x.pre.fired, 2);
}

static void s06_raw_condition_true_runs_all_actions(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = raw(RAW_TRUE, sizeof(RAW_TRUE));
    reg_with_condition(f, &c, 2, 3);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 2);
    assert_int_equal(tlog_at(1)->id, 3);
    assert_int_equal(x.pre.fired, 1);
}

static void s06_raw_condition_reads_guest_registers_through_rcx(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = raw(RAW_RCX, sizeof(RAW_RCX));
    struct hd_guest_regs regs = {0};
    reg_with_condition(f, &c, 1, 2);

    regs.rcx = 0;
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 0);
    regs.rcx = 0x100000000ull; /* only the high half set: a 64-bit result */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(tlog_count(), 2);
}

static void s06_native_condition_false_skips_only_that_events_actions(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = native(log_condition_false, (void *)7);
    uint64_t t = reg_with_condition(f, &c, 2, 3);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 4);

    run_exit(f, 1, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_true(tlog_at(0)->is_condition); /* the condition ran ... */
    assert_int_equal(tlog_at(0)->tag, t);
    assert_int_equal(tlog_at(0)->id, 7);    /* ... with the condition's user pointer */
    assert_false(tlog_at(1)->is_condition); /* ... then the next event's action */
    assert_int_equal(tlog_at(1)->id, 4);
}

static void s06_native_condition_true_runs_actions_after_it(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = native(log_condition_true, (void *)7);
    uint64_t t = reg_with_condition(f, &c, 2, 3);
    run_exit(f, 1, 1, 0, NULL);
    assert_int_equal(tlog_count(), 3);
    assert_true(tlog_at(0)->is_condition);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_int_equal(tlog_at(1)->id, 2);
    assert_int_equal(tlog_at(2)->id, 3);
    assert_int_equal(tlog_at(2)->tag, t);
}

struct cond_seen {
    uint64_t rdx;
    void *context;
    uint32_t core, pid;
    uint8_t cpl;
};

static uint64_t recording_condition(struct hd_hook *h)
{
    struct cond_seen *s = h->user;
    s->rdx = h->regs->rdx;
    s->context = h->context;
    s->core = h->vcpu->core;
    s->pid = h->vcpu->pid;
    s->cpl = h->vcpu->cpl;
    return h->regs->rdx == 0x1000;
}

static void s06_native_condition_sees_the_exit(void **state)
{
    struct fx *f = *state;
    struct cond_seen seen = {.context = (void *)1};
    struct hd_condition_desc c = native(recording_condition, &seen);
    struct hd_guest_regs regs = {.rdx = 0x1000};
    reg_with_condition(f, &c, 1, 2);

    run_exit(f, 2, 0x490, 3, &regs);
    assert_int_equal(seen.rdx, 0x1000);
    assert_null(seen.context); /* VMCALL context is NULL */
    assert_int_equal(seen.core, 2);
    assert_int_equal(seen.pid, 0x490);
    assert_int_equal(seen.cpl, 3);
    assert_int_equal(tlog_count(), 2);

    tlog_reset();
    regs.rdx = 0x1001;
    run_exit(f, 2, 0x490, 3, &regs);
    assert_int_equal(seen.rdx, 0x1001);
    assert_int_equal(tlog_count(), 0);
}

static void s06_condition_false_counter_and_hits(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = raw(RAW_RCX, sizeof(RAW_RCX));
    struct hd_guest_regs regs = {0};
    struct hd_event_counters k;
    uint64_t t = reg_with_condition(f, &c, 1, 2);

    regs.rcx = 0; /* false on core 1, twice */
    run_exit(f, 1, 1, 0, &regs);
    run_exit(f, 1, 1, 0, &regs);
    regs.rcx = 1; /* true on core 1 once, on core 3 once */
    run_exit(f, 1, 1, 0, &regs);
    run_exit(f, 3, 1, 0, &regs);

    assert_int_equal(hd_event_counters(f->engine, t, 1, &k), HD_OK);
    assert_int_equal(k.hits, 3);
    assert_int_equal(k.condition_false, 2);
    assert_int_equal(hd_event_counters(f->engine, t, 3, &k), HD_OK);
    assert_int_equal(k.hits, 1);
    assert_int_equal(k.condition_false, 0);
    assert_int_equal(hd_event_counters(f->engine, t, 0, &k), HD_OK);
    assert_int_equal(k.hits, 0);
    assert_int_equal(hd_event_counters(f->engine, t, HD_ALL, &k), HD_OK);
    assert_int_equal(k.hits, 4);
    assert_int_equal(k.condition_false, 2);
    assert_int_equal(tlog_count(), 4); /* 2 actions x 2 true exits */
}

static void s06_counters_of_unconditional_event_count_hits_only(void **state)
{
    struct fx *f = *state;
    struct hd_event_counters k;
    uint64_t t = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_event_counters(f->engine, t, HD_ALL, &k), HD_OK);
    assert_int_equal(k.hits, 2); /* stage all: evaluated in the pre and the post pass */
    assert_int_equal(k.condition_false, 0);
}

static void s06_counters_reject_unknown_tag_and_bad_core(void **state)
{
    struct fx *f = *state;
    struct hd_event_counters k;
    uint64_t t = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    assert_int_equal(hd_event_counters(f->engine, t + 1, HD_ALL, &k), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_counters(f->engine, t, 4, &k), HD_ERR_INVALID_CORE);
}

static void s06_condition_false_event_does_not_count_as_fired(void **state)
{
    struct fx *f = *state;
    struct hd_condition_desc c = native(log_condition_false, NULL);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.condition = c;
    reg_desc(f, &d);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.fired, 0);
    assert_int_equal(x.pre.flags, 0);
    assert_int_equal(tlog_count(), 1); /* the condition itself was evaluated */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s06_raw_condition_false_skips_only_that_events_actions),
        T(s06_raw_condition_true_runs_all_actions),
        T(s06_raw_condition_reads_guest_registers_through_rcx),
        T(s06_native_condition_false_skips_only_that_events_actions),
        T(s06_native_condition_true_runs_actions_after_it),
        T(s06_native_condition_sees_the_exit),
        T(s06_condition_false_counter_and_hits),
        T(s06_counters_of_unconditional_event_count_hits_only),
        T(s06_counters_reject_unknown_tag_and_bad_core),
        T(s06_condition_false_event_does_not_count_as_fired),
    };
#undef T
    return cmocka_run_group_tests_name("S6 conditions", tests, NULL, NULL);
}
