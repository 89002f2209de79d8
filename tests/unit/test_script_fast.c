/* SPDX-License-Identifier: MIT */
/*
 * The fast path (libhdevent/core/script_fast.c), white box: which filters are recognised at
 * registration, and that a run through the filter is the same run as through the VM alone —
 * same output, same slots, same step charge — for every operator, the sign boundaries and
 * random values. The twin of each program has its filter switched off (fast_count = 0).
 * Filters that are the whole program (every way out an END or event_sc(k): fast_only) run in
 * dispatch as hd__script_filter(): the same answer, and the S12/S14 rules on event_sc.
 */
#include "script_helpers.h"

#include "internal/engine.h"

static struct hd_script *load(struct fx *f, const char *text, uint32_t steps)
{
    struct hd_script_program p = compile_ok(text);
    struct hd_script *s = NULL;
    assert_int_equal(hd__script_load(f->engine, p.code, p.size, steps, &s), HD_OK);
    hd_script_program_free(&p);
    return s;
}

static void unload(struct fx *f, struct hd_script *s)
{
    hd__script_free(f->engine, s);
    hd__script_state_settle(f->engine, true);
}

static void filters_that_are_recognised(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *text;
        uint32_t terms;
    } cases[] = {
        {"if (@rax == 1234 && $pid == 4) { event_sc(1); }", 2},
        {"if (@rax == 1 || @rbx != 2 || $core == 3) { event_sc(1); }", 3},
        {"if ((@rax < 5 && @rcx >= 7) || @r15 > 0) { printf(\"x\"); }", 3},
        {"if (!(@rdx <= 9)) { printf(\"x\"); }", 1},
        {"if (1234 == @rax) { printf(\"x\"); } else { printf(\"y\"); }", 1}, /* moved right */
        {"while (@rax == 5) { @rax = 6; }", 1},
        /* Not a filter: something before it, a view, two registers, $tid, a local. */
        {"x = 0; if (@rax == 1) { printf(\"x\"); }", 0},
        {"if (@eax == 1) { printf(\"x\"); }", 0},
        {"if (@rax == @rbx) { printf(\"x\"); }", 0},
        {"if ($tid == 1) { printf(\"x\"); }", 0},
        {"printf(\"x\");", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_script *s = load(f, cases[i].text, 0);
        if (s->fast_count != cases[i].terms)
            fail_msg("'%s': %u fast terms, expected %u", cases[i].text, s->fast_count,
                     cases[i].terms);
        unload(f, s);
    }
    /* A budget too small for the chain and the END after it: the VM alone keeps it exact. */
    {
        struct hd_script *s = load(f, "if (@rax == 1) { printf(\"x\"); }", 3);
        assert_int_equal(s->fast_count, 0);
        unload(f, s);
        s = load(f, "if (@rax == 1) { printf(\"x\"); }", 4);
        assert_int_equal(s->fast_count, 1);
        unload(f, s);
    }
}

/* One run of @s on core 0 with @regs and @pid: what it printed into @out, its slots into
 * @slots, and whether it asked to short-circuit. */
static bool run_once(struct fx *f, const struct hd_script *s, struct hd_guest_regs *regs,
                     uint32_t pid, char *out, uint64_t *slots)
{
    struct hd_vcpu vcpu;
    struct hd_script_run r;
    bool sc;

    hd_host_vcpu_init(&vcpu, regs, 0, pid);
    r = (struct hd_script_run){.e = f->engine, .core = &f->engine->cores[0], .regs = regs,
                               .vcpu = &vcpu, .tag = HD_TAG_BASE, .core_index = 0,
                               .stage = HD_STAGE_PRE, .immediate = true};
    memset(s->scratch, 0xEE, s->stride); /* stale slots must not matter */
    sc = hd__script_run(s, &r);
    memcpy(slots, s->scratch, s->slot_count * sizeof(uint64_t));
    drain(f, out, 256);
    return sc;
}

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void a_filtered_run_is_the_vm_run(void **state)
{
    struct fx *f = *state;
    static const char *const scripts[] = {
        "if (@rax == 1234 && $pid == 4) { event_sc(1); printf(\"T\"); } else { printf(\"F\"); }",
        "if (@rax < 5 || @rbx > 8000000000000000 || $core != 0) { printf(\"T\"); }",
        "if ((@rcx <= 0 && @rdx >= ffffffffffffffff) || !(@r8 == 7)) { printf(\"T\"); } "
        "printf(\"%llx\", @r8);",
        "if (@rax < 0 || @rax > 7fffffffffffffff || @rax != 1) { printf(\"T\"); }",
        "if (@rax >= 8000000000000000 && @rbx <= 7fffffffffffffff) { printf(\"T\"); }",
    };
    static const uint64_t edges[] = {0, 1, 4, 5, 6, 7, 8, 1233, 1234, 1235,
                                     0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
                                     0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFEull};
    uint64_t seed = 0x9E3779B97F4A7C15ull;

    for (size_t k = 0; k < sizeof(scripts) / sizeof(scripts[0]); k++) {
        struct hd_script *fast = load(f, scripts[k], 0), *slow = load(f, scripts[k], 0);
        assert_true(fast->fast_count > 0);
        slow->fast_count = 0;
        for (unsigned n = 0; n < 2000; n++) {
            struct hd_guest_regs a, b;
            uint64_t sa[HD_SCRIPT_SLOTS_MAX], sb[HD_SCRIPT_SLOTS_MAX];
            char oa[256], ob[256];
            uint32_t pid = n % 3 ? 4 : (uint32_t)next_random(&seed);
            memset(&a, 0, sizeof(a));
            for (unsigned r = 0; r < HD_GUEST_REG_COUNT; r++)
                *hd_guest_reg(&a, r) = n < 500 ? edges[next_random(&seed) % 14]
                                               : next_random(&seed);
            b = a;
            bool sc_a = run_once(f, fast, &a, pid, oa, sa);
            bool sc_b = run_once(f, slow, &b, pid, ob, sb);
            assert_string_equal(oa, ob);
            assert_int_equal(sc_a, sc_b);
            assert_memory_equal(&a, &b, sizeof(a));
            assert_memory_equal(sa, sb, fast->slot_count * sizeof(uint64_t));
        }
        unload(f, fast);
        unload(f, slow);
    }
}

/* Which filters are the whole program: every exit an END, or `event_sc(k)` then END. */
static void filters_that_are_the_whole_program(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *text;
        bool only;
    } cases[] = {
        {"if (@rax == 1234 && $pid == 4) { event_sc(1); }", true},
        {"if (@rax == 1 || @rbx != 2 || $core == 3) { event_sc(0); }", true},
        {"if (@rax == 1) { }", true},
        {"if (@rax == 1) { event_sc(1); printf(\"x\"); }", false},
        {"if (@rax == 1) { event_sc(@rbx); }", false}, /* not a constant */
        {"if (@rax == 1) { event_sc(1); } else { event_sc(0); }", false}, /* a jmp, no end */
        {"if (@rax == 1) { printf(\"x\"); }", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_script *s = load(f, cases[i].text, 0);
        assert_true(s->fast_count > 0);
        if (s->fast_only != cases[i].only)
            fail_msg("'%s': fast_only %d, expected %d", cases[i].text, s->fast_only,
                     cases[i].only);
        unload(f, s);
    }
    /* event_sc(k) after a two-term chain takes 3 more steps than the chain's 6: with 8 the VM
     * would stop before the END, so the tail stays in the VM; with 9 it is the filter's. */
    {
        const char *text = "if (@rax == 1234 && $pid == 4) { event_sc(1); }";
        struct hd_script *s = load(f, text, 8);
        assert_int_equal(s->fast_count, 2);
        assert_false(s->fast_only);
        unload(f, s);
        s = load(f, text, 9);
        assert_true(s->fast_only);
        unload(f, s);
    }
}

/* A fast_only filter gives the VM's answer, through hd__script_filter() (what dispatch runs)
 * and through hd__script_run() (the filter, then the event_sc tail in place of the VM). */
static void a_whole_program_filter_is_the_vm_run(void **state)
{
    struct fx *f = *state;
    static const char *const scripts[] = {
        "if (@rax == 1234 && $pid == 4) { event_sc(1); }",
        "if (@rax < 5 || @rbx > 8000000000000000 || $core != 0) { event_sc(1); }",
        "if ((@rcx <= 0 && @rdx >= ffffffffffffffff) || !(@r8 == 7)) { event_sc(1); }",
        "if (@rax >= 8000000000000000 && @rbx <= 7fffffffffffffff) { event_sc(0); }",
    };
    static const uint64_t edges[] = {0, 1, 4, 5, 7, 0x1234, 0x7FFFFFFFFFFFFFFFull,
                                     0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull};
    uint64_t seed = 0x2545F4914F6CDD1Dull;

    for (size_t k = 0; k < sizeof(scripts) / sizeof(scripts[0]); k++) {
        struct hd_script *fast = load(f, scripts[k], 0), *slow = load(f, scripts[k], 0);
        assert_true(fast->fast_only);
        slow->fast_count = 0;
        slow->fast_only = false;
        for (unsigned n = 0; n < 2000; n++) {
            struct hd_guest_regs a, b;
            uint64_t sa[HD_SCRIPT_SLOTS_MAX], sb[HD_SCRIPT_SLOTS_MAX];
            char oa[256], ob[256];
            uint32_t pid = n % 3 ? 4 : (uint32_t)next_random(&seed);
            memset(&a, 0, sizeof(a));
            for (unsigned r = 0; r < HD_GUEST_REG_COUNT; r++)
                *hd_guest_reg(&a, r) = n < 500 ? edges[next_random(&seed) % 9]
                                               : next_random(&seed);
            b = a;
            bool sc_f = hd__script_filter(fast, (const uint64_t *)(const void *)&a, pid, 0);
            bool sc_a = run_once(f, fast, &a, pid, oa, sa);
            bool sc_b = run_once(f, slow, &b, pid, ob, sb);
            assert_int_equal(sc_f, sc_b);
            assert_int_equal(sc_a, sc_b);
            assert_string_equal(oa, ob);
            assert_memory_equal(&a, &b, sizeof(a));
            assert_memory_equal(sa, sb, fast->slot_count * sizeof(uint64_t));
        }
        unload(f, fast);
        unload(f, slow);
    }
}

/* Through dispatch: event_sc from a fast_only filter short-circuits the pre pass only, and
 * never the hypervisor's own hypercall (S12, S14); a false filter changes nothing. */
static void a_whole_program_filter_in_dispatch(void **state)
{
    struct fx *f = *state;
    struct hd_script_program p = compile_ok("if (@rax == 1234 && $pid == 4) { event_sc(1); }");
    struct hd_action_desc a;
    struct hd_event_desc d;
    struct hd_guest_regs regs = {.rax = 0x1234};
    struct hd_exit x;

    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    reg_desc(f, &d);
    hd_script_program_free(&p);

    x = run_exit(f, 0, 4, 0, &regs);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_int_equal(x.pre.fired, 1);
    assert_false(x.default_handled);
    assert_false(x.post_ran); /* short-circuited: no post pass (S12) */

    regs.rax = 0x1234;
    x = run_exit(f, 0, 5, 0, &regs); /* $pid 5: the filter is false */
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_true(x.default_handled);
    assert_true(x.post_ran);
    assert_false(x.post.flags & HD_VERDICT_SHORT_CIRCUIT); /* post: never */

    regs.rax = 0x1234;
    set_hyperdbg_magic(&regs);
    x = run_exit(f, 0, 4, 0, &regs);
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT); /* S14: own hypercall */
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
}

/* The filter charges the VM's steps: a loop guarded by it stops at the same instruction. */
static void the_filter_charges_the_same_steps(void **state)
{
    struct fx *f = *state;
    const char *text = "while (@rax == 5) { }";
    struct hd_script *fast = load(f, text, 50), *slow = load(f, text, 50);
    struct hd_guest_regs a = {.rax = 5}, b = a;
    uint64_t sa[8], sb[8];
    char oa[256], ob[256];

    assert_int_equal(fast->fast_count, 1);
    slow->fast_count = 0;
    run_once(f, fast, &a, 4, oa, sa);
    strcpy(oa, script_errors());
    run_once(f, slow, &b, 4, ob, sb);
    assert_string_equal(oa, script_errors());
    assert_non_null(strstr(oa, "HD_ERR_SCRIPT_STEPS"));
    unload(f, fast);
    unload(f, slow);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(filters_that_are_recognised),
        T(a_filtered_run_is_the_vm_run),
        T(the_filter_charges_the_same_steps),
        T(filters_that_are_the_whole_program),
        T(a_whole_program_filter_is_the_vm_run),
        T(a_whole_program_filter_in_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
