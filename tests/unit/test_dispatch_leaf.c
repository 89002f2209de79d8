/* SPDX-License-Identifier: MIT */
/*
 * The walk of leaf events (dispatch_leaf.c): a list whose first event is raw code that needs
 * no trampoline, no buffer, runs there; events of other kinds in the same list run out of
 * line. Whatever runs them, an exit must do what S6 (counters, conditions), S7/S8 (order),
 * S12 (short-circuit: any event that fired) and S18 (buffers) say, by both entry forms.
 */
#include "helpers.h"
#include "script_helpers.h"

#include "internal/engine.h"

/* Custom code: rdx = the guest's registers. inc qword [rdx + off]; ret — a leaf. */
#define INC_AT(off) {0x48, 0xFF, 0x42, (off), 0xC3}
static const uint8_t inc_rbx[] = INC_AT(0x18);
static const uint8_t inc_rsi[] = INC_AT(0x30);
static const uint8_t inc_rdi[] = INC_AT(0x38);
static const uint8_t inc_r13[] = INC_AT(0x68);
/* inc qword [rdx + 0x28] (rbp); push rbx; pop rbx; ret — touches rsp: the trampoline. */
static const uint8_t inc_rbp_stack[] = {0x48, 0xFF, 0x42, 0x28, 0x53, 0x5B, 0xC3};
/* Conditions: rcx = the guest's registers. mov eax, 1; ret / xor eax, eax; ret — leaves. */
static const uint8_t cond_true[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};
static const uint8_t cond_false[] = {0x31, 0xC0, 0xC3};

static uint64_t reg_code(struct fx *f, const uint8_t *code, uint32_t size, const uint8_t *cond,
                         uint32_t cond_size, bool sc)
{
    struct hd_action_desc a = act_code(code, size, 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, sc, &a, 1);
    if (cond) {
        d.condition.kind = HD_CONDITION_RAW;
        d.condition.code = cond;
        d.condition.code_size = cond_size;
    }
    return reg_desc(f, &d);
}

/* The same exit by the one-call form (@two false) or the two-call form. */
static struct hd_verdict exit_on(struct fx *f, struct hd_guest_regs *regs, bool two)
{
    struct hd_vcpu v;
    struct hd_verdict verdict;
    hd_host_vcpu_init(&v, regs, 2, 0x490);
    if (two) {
        assert_int_equal(hd_dispatch_vmcall(f->engine, &v, NULL, &verdict), HD_OK);
    } else {
        struct hd_exit x;
        assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &v, NULL, NULL, NULL, &x), HD_OK);
        assert_int_equal(x.default_handled, !(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT));
        verdict = x.pre;
    }
    return verdict;
}

static void counters_are(struct fx *f, uint64_t tag, uint64_t hits, uint64_t cond_false)
{
    struct hd_event_counters c;
    assert_int_equal(hd_event_counters(f->engine, tag, 2, &c), HD_OK);
    assert_int_equal(c.hits, hits);
    assert_int_equal(c.condition_false, cond_false);
}

/*
 * Leaves first, then a native action, a false leaf condition, short-circuiting code through
 * the trampoline and one more leaf: each runs once per exit, in order, and is counted.
 */
static void mixed_list_runs_every_event_in_order(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc log = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &log, 1);
    uint64_t a = reg_code(f, inc_rbx, sizeof(inc_rbx), cond_true, sizeof(cond_true), false);
    uint64_t b = reg_desc(f, &d);
    uint64_t c = reg_code(f, inc_rsi, sizeof(inc_rsi), cond_false, sizeof(cond_false), false);
    uint64_t t = reg_code(f, inc_rbp_stack, sizeof(inc_rbp_stack), NULL, 0, true);
    uint64_t s = reg_code(f, inc_rdi, sizeof(inc_rdi), NULL, 0, false);

    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {.rax = 0x1234};
        struct hd_verdict v;
        tlog_reset();
        v = exit_on(f, &regs, two);
        assert_int_equal(v.fired, 4); /* all but the false condition's */
        assert_true(v.flags & HD_VERDICT_SHORT_CIRCUIT);
        assert_int_equal(regs.rbx, 1);
        assert_int_equal(regs.rsi, 0);
        assert_int_equal(regs.rbp, 1);
        assert_int_equal(regs.rdi, 1);
        assert_int_equal(tlog_count(), 1);
        assert_int_equal(tlog_at(0)->tag, b);
        assert_int_equal(tlog_at(0)->rax, 0x1234);
    }
    counters_are(f, a, 2, 0);
    counters_are(f, b, 2, 0);
    counters_are(f, c, 2, 2);
    counters_are(f, t, 2, 0);
    counters_are(f, s, 2, 0);
}

/* One leaf event alone (the benchmark's P1_bare, P1_cond_false) and two actions of it. */
static void one_leaf_event(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2] = {act_code(inc_rbx, sizeof(inc_rbx), 0),
                                     act_code(inc_r13, sizeof(inc_r13), 0)};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    uint64_t tag = reg_desc(f, &d);

    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {0};
        struct hd_verdict v = exit_on(f, &regs, two);
        assert_int_equal(v.fired, 1);
        assert_int_equal(v.flags, 0);
        assert_int_equal(regs.rbx, 1);
        assert_int_equal(regs.r13, 1);
    }
    counters_are(f, tag, 2, 0);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    tag = reg_code(f, inc_rbx, sizeof(inc_rbx), cond_false, sizeof(cond_false), true);
    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {0};
        struct hd_verdict v = exit_on(f, &regs, two);
        assert_int_equal(v.fired, 0);
        assert_int_equal(v.flags, 0); /* S12: only an event that fired short-circuits */
        assert_int_equal(regs.rbx, 0);
    }
    counters_are(f, tag, 2, 2);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    reg_code(f, inc_rbx, sizeof(inc_rbx), cond_true, sizeof(cond_true), true);
    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {0};
        struct hd_verdict v = exit_on(f, &regs, two); /* one-call: the handler is skipped */
        assert_int_equal(v.fired, 1);
        assert_int_equal(v.flags, HD_VERDICT_SHORT_CIRCUIT);
        assert_int_equal(regs.rbx, 1);
        assert_int_equal(regs.rax, 0); /* no default handling wrote -1000 */
    }
}

/* A simulated IPI for the engine of one_command_events_end_their_hold(): nothing to run. */
static void ipi_everywhere(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    for (uint32_t c = 0; c < 4; c++)
        fn(arg, c);
}

/*
 * What one `!vmcall … code {…}` makes — one leaf event with one action, without a condition
 * or with one — runs in a frame of its own (dispatch_leaf.c: hd__dispatch_command_pre,
 * _command_cond_pre and the one-call form's two): the verdict, both counters, the code's
 * effect, and the end of the hold (the core's sequence even again, under counter grace
 * periods; untouched under IPI ones), by both entries, each shape replacing the last.
 */
static void one_command_events_end_their_hold(void **state)
{
    struct fx *f = *state;

    for (int ipi = 0; ipi < 2; ipi++) {
        static struct hd_backend_ops ops;
        uint64_t tag = 0;
        if (ipi) {
            ops = *hd_host_ops(f->host);
            ops.run_on_every_core = ipi_everywhere;
            fx_recreate(f, &ops, NULL);
        }
        for (int shape = 0; shape < 4; shape++) {
            /* no condition; true; false; no condition and short-circuit */
            const uint8_t *cond = shape == 1 ? cond_true : shape == 2 ? cond_false : NULL;
            uint32_t cond_size = shape == 1 ? sizeof(cond_true) : sizeof(cond_false);
            bool sc = shape == 3, fires = shape != 2;
            if (tag)
                assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
            tag = reg_code(f, inc_rbx, sizeof(inc_rbx), cond, cond_size, sc);
            for (int two = 0; two < 2; two++) {
                struct hd_guest_regs regs = {0};
                uint64_t seq = f->engine->cores[2].seq;
                struct hd_verdict v = exit_on(f, &regs, two);
                assert_int_equal(v.fired, fires);
                assert_int_equal(v.flags, sc ? HD_VERDICT_SHORT_CIRCUIT : 0);
                assert_int_equal(regs.rbx, fires);
                assert_int_equal(f->engine->cores[2].seq % 2, 0);
                assert_int_equal(f->engine->cores[2].seq, ipi ? seq : seq + 2);
            }
            counters_are(f, tag, 2, shape == 2 ? 2 : 0);
        }
    }
}

/*
 * One command whose action is a script that is a fast-path filter (`!vmcall script {…}`)
 * runs alone as well: the filter's event_sc(1) short-circuits (S12) only on the exit it holds
 * for, the event fires on each, and a false leaf condition stops it before the filter (S6).
 */
static void one_filter_command(void **state)
{
    struct fx *f = *state;
    const char *filter = "if (@rax == 0x1234 && $pid == 0x490) { event_sc(1); }";
    uint64_t tag = reg_script(f, filter, 0, 0);

    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {.rax = 0x1234};
        struct hd_verdict v = exit_on(f, &regs, two); /* pid 0x490: short-circuited */
        assert_int_equal(v.fired, 1);
        assert_int_equal(v.flags, HD_VERDICT_SHORT_CIRCUIT);
        regs.rax = 0x1235;
        v = exit_on(f, &regs, two);
        assert_int_equal(v.fired, 1);
        assert_int_equal(v.flags, 0);
        assert_int_equal(f->engine->cores[2].seq % 2, 0);
    }
    counters_are(f, tag, 4, 0);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);

    {
        struct hd_script_program p = compile_ok(filter);
        struct hd_action_desc a;
        struct hd_event_desc d;
        hd_action_desc_init(&a, HD_ACTION_SCRIPT);
        a.script = p.code;
        a.script_size = p.size;
        d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
        d.condition.kind = HD_CONDITION_RAW;
        d.condition.code = cond_false;
        d.condition.code_size = sizeof(cond_false);
        tag = reg_desc(f, &d);
        hd_script_program_free(&p);
    }
    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {.rax = 0x1234};
        struct hd_verdict v = exit_on(f, &regs, two);
        assert_int_equal(v.fired, 0);
        assert_int_equal(v.flags, 0);
    }
    counters_are(f, tag, 2, 2);
}

/*
 * A leaf action with a buffer is not walked as a leaf: its returned pointer into the buffer
 * must still become a message (S18). lea rax, [rcx + 8]; mov qword [rcx + 8], 0x41; ret.
 */
static void leaf_code_with_a_buffer_still_delivers(void **state)
{
    struct fx *f = *state;
    static const uint8_t code[] = {0x48, 0x8D, 0x41, 0x08, 0x48, 0xC7, 0x41,
                                   0x08, 0x41, 0x00, 0x00, 0x00, 0xC3};
    struct hd_action_desc a = act_code(code, sizeof(code), 16);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint8_t data[64];
    struct hd_message_info info;

    reg_code(f, inc_rbx, sizeof(inc_rbx), NULL, 0, false); /* the list starts with a leaf */
    reg_desc(f, &d);
    for (int two = 0; two < 2; two++) {
        struct hd_guest_regs regs = {0};
        assert_int_equal(exit_on(f, &regs, two).fired, 2);
        assert_int_equal(regs.rbx, 1);
        assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
        assert_int_equal(info.size, 8);
        assert_int_equal(data[0], 0x41);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(mixed_list_runs_every_event_in_order),
        T(one_leaf_event),
        T(one_command_events_end_their_hold),
        T(one_filter_command),
        T(leaf_code_with_a_buffer_still_delivers),
    };
#undef T
    return cmocka_run_group_tests_name("leaf walk", tests, NULL, NULL);
}
