/* SPDX-License-Identifier: MIT */
/*
 * A script action at run time (docs/script.md, "Runs"): the step budget (default, `steps N`
 * per event), a stopped or faulting run ending its action only — the event's other actions
 * and the VMCALL's handling go on —, the hypervisor's own hypercalls (S14), the message ring
 * (S20: full and truncated), and registration: allocation failures, the engine's table of
 * globals, the budget. Order among an event's actions is S7's (test_s07_s08_order.c).
 */
#include "script_helpers.h"

/* ---- the step budget ------------------------------------------------------------------------- */

static void a_runaway_loop_stops_at_the_default_budget(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[64];

    reg_script(f, "i = 0; while (1) { i++; }", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    /* ldk, then 100000 more: the loop is add, jmp; the budget runs out on an add or a jmp. */
    assert_non_null(strstr(script_errors(), "HD_ERR_SCRIPT_STEPS: step budget used up (instruction "));
    assert_int_equal(HD_SCRIPT_STEPS_DEFAULT, 100000);
}

static void steps_n_counts_every_instruction(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[64];

    /* ldk l0; ldk l1; ldk l2; end: exactly 4 instructions. */
    reg_script(f, "x = 1; y = 2; z = 3;", 4, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(script_errors(), "");
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    reg_script(f, "x = 1; y = 2; z = 3;", 3, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(script_errors(),
                        "HD_ERR_SCRIPT_STEPS: step budget used up (instruction 3)");
}

static void the_budget_is_per_run(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[64];

    reg_script(f, "for (i = 0; i < 0n30; i++) { } printf(\"done\");", 200, 0);
    for (int k = 0; k < 3; k++) { /* each run starts with its whole budget */
        script_output(f, k, 4, &regs, out, sizeof(out));
        assert_string_equal(out, "done");
        assert_string_equal(script_errors(), "");
    }
}

/* ---- what a stopped run does not stop -------------------------------------------------------- */

static void a_fault_ends_its_action_only(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_script_program p = compile_ok("event_sc(1); @rbx = 7; x = 1 / (@rax - @rax);");
    struct hd_action_desc acts[2];
    struct hd_event_desc d;
    struct hd_exit x;
    char out[64];

    hd_action_desc_init(&acts[0], HD_ACTION_SCRIPT);
    acts[0].script = p.code;
    acts[0].script_size = p.size;
    acts[1] = act_log(2);
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    reg_desc(f, &d);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3); /* a later event */
    hd_script_program_free(&p);

    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_non_null(strstr(script_errors(), "HD_ERR_SCRIPT_DIVIDE_BY_ZERO"));
    assert_int_equal(tlog_count(), 2); /* the event's next action and the next event ran */
    assert_int_equal(tlog_at(0)->id, 2);
    assert_int_equal(tlog_at(1)->id, 3);
    assert_int_equal(regs.rbx, 7);          /* what it did before the fault stays done */
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT); /* but event_sc is dropped: */
    assert_true(x.default_handled);         /* the VMCALL is handled as usual */
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    assert_int_equal(x.pre.fired, 2);
}

/* S14: on the hypervisor's own hypercall a script sees the real registers, its writes are
 * discarded and event_sc is refused. */
static void own_hypercalls_are_protected_from_scripts(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_exit x;
    char out[64];

    reg_script(f, "printf(\"%llx\", @rbx); @rbx = 0; @r15 = 1; event_sc(1);", 0, 0);
    reg_script(f, "printf(\" %llx\", @rbx);", 0, 0); /* sees the real value, not 0 */
    set_hyperdbg_magic(&regs);
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "8000000000000005 8000000000000005");
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_int_equal(regs.rbx, SX_RBX);
    assert_int_equal(regs.r15, 0xF0F);
    assert_int_equal(regs.rax, 0); /* the host's answer to its own hypercall */
}

/* ---- messages ------------------------------------------------------------------------------ */

static void a_full_ring_drops_new_messages_and_counts_them(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 4, .message_max_bytes = 16};
    struct hd_guest_regs regs = sx_regs();
    struct hd_message_stats stats;
    struct hd_message_info info;
    char data[64];

    fx_recreate(f, hd_host_ops(f->host), &cfg);
    reg_script(f, "for (i = 0; i < 6; i++) { printf(\"m%llx\", i); } "
                  "printf(\"a long line of more than sixteen bytes\");",
               0, 0);
    run_exit(f, 0, 4, 0, &regs);
    assert_int_equal(hd_message_stats(f->engine, 0, &stats), HD_OK);
    assert_int_equal(stats.queued, 4);
    assert_int_equal(stats.dropped, 3); /* m4, m5 and the long line */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
        assert_int_equal(info.size, 2);
        assert_int_equal(data[1], '0' + i); /* the oldest kept, nothing overwritten */
    }
    /* A message longer than message_max_bytes is cut and flagged. */
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    reg_script(f, "printf(\"a long line of more than sixteen bytes\");", 0, 0);
    run_exit(f, 0, 4, 0, &regs);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 38);
    assert_true(info.truncated);
    assert_memory_equal(data, "a long line of m", 16);
}

/* ---- registration ------------------------------------------------------------------------ */

/* Every allocation of a script registration may fail: nothing is left, nothing registered. */
static void allocation_failures_leave_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_script_program p = compile_ok(".g1 = .g2 + @rax; printf(\"%llx\", .g1);");
    struct hd_action_desc a;
    struct hd_event_desc d;
    uint64_t live = hd_host_live_allocations(f->host);
    unsigned failures = 0;
    enum hd_status st;

    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    a.buffer_size = 32;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    for (int64_t n = 0;; n++) {
        hd_host_fail_allocation(f->host, n);
        st = hd_event_register(f->engine, &d, NULL);
        hd_host_fail_allocation(f->host, -1);
        if (st == HD_OK)
            break;
        assert_int_equal(st, HD_ERR_NO_MEMORY);
        assert_int_equal(hd_host_live_allocations(f->host), live);
        assert_int_equal(event_count(f), 0);
        failures++;
    }
    assert_true(failures >= 6); /* state, globals, names, queues, script, slots, … */
    {
        struct hd_guest_regs regs = sx_regs();
        char out[64];
        script_output(f, 0, 4, &regs, out, sizeof(out));
        assert_string_equal(out, "1111111111111111"); /* .g2 is 0: the failures bound nothing */
    }
    hd_script_program_free(&p);
}

static void the_engine_holds_a_bounded_number_of_globals(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.script_globals = 2};
    struct hd_script_program p = compile_ok(".a_ = 1; .b_ = 2; .c_ = 3;");
    struct hd_action_desc a;
    struct hd_event_desc d;

    fx_recreate(f, hd_host_ops(f->host), &cfg);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_SCRIPT_GLOBALS);
    hd_script_program_free(&p);
    /* Nothing was bound by the refusal: two other names fit, and a third does not. */
    reg_script(f, ".x_ = 1; .y_ = 2;", 0, 0);
    reg_script(f, ".x_ += .y_;", 0, 0); /* names already bound take no room */
    p = compile_ok(".z_ = 1;");
    a.script = p.code;
    a.script_size = p.size;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_SCRIPT_GLOBALS);
    hd_script_program_free(&p);
    cfg.script_globals = HD_SCRIPT_GLOBALS_LIMIT + 1;
    {
        struct hd_engine *e;
        assert_int_equal(hd_engine_create(hd_host_ops(f->host), &cfg, &e),
                         HD_ERR_INVALID_ARGUMENT);
    }
}

/* Bytecode counts as code bytes, slots (per core) as buffer bytes (hd_engine_config). */
static void scripts_count_against_the_budget(void **state)
{
    struct fx *f = *state;
    struct hd_script_program p = compile_ok("x = 1;");
    struct hd_engine_config cfg = {.max_code_bytes = 2 * p.size - 1};
    struct hd_action_desc a;
    struct hd_event_desc d;

    fx_recreate(f, hd_host_ops(f->host), &cfg);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_OK);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_BUDGET_EXCEEDED);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    hd_engine_reclaim(f->engine);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_OK); /* given back */
    hd_script_program_free(&p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(a_runaway_loop_stops_at_the_default_budget),
        T(steps_n_counts_every_instruction),
        T(the_budget_is_per_run),
        T(a_fault_ends_its_action_only),
        T(own_hypercalls_are_protected_from_scripts),
        T(a_full_ring_drops_new_messages_and_counts_them),
        T(allocation_failures_leave_nothing),
        T(the_engine_holds_a_bounded_number_of_globals),
        T(scripts_count_against_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
