/* SPDX-License-Identifier: MIT */
/*
 * The script language (docs/script.md), construct by construct, compiled and run on the host
 * backend: statements and blocks, if / elsif / else, while, do-while, for, break, continue,
 * comments, numbers in every base, locals (zero at the start of every run), .globals (one
 * value for every core, run and event), registers and their views, and the pseudo-registers.
 * Every test prints with printf and compares the exact text.
 */
#include "script_helpers.h"

/* ---- statements ---------------------------------------------------------------------------- */

static void statements_and_blocks(void **state)
{
    expect_output(*state, "x = 1; { y = 2; { z = x + y; } } ; printf(\"%llx %llx %llx\\n\", x, y, z);",
                  "1 2 3\n");
}

static void if_elsif_else_take_the_first_true_branch(void **state)
{
    static const char *const fmt =
        "x = %s; if (x == 1) { printf(\"one\"); } elsif (x == 2) { printf(\"two\"); } "
        "elsif (x == 2) { printf(\"again\"); } else { printf(\"other\"); } printf(\".\");";
    static const char *const values[][2] = {{"1", "one."}, {"2", "two."}, {"3", "other."}};
    char text[512];
    for (unsigned i = 0; i < 3; i++) {
        snprintf(text, sizeof(text), fmt, values[i][0]);
        expect_output(*state, text, values[i][1]);
    }
    expect_output(*state, "if (0) { printf(\"no\"); } printf(\"end\");", "end");
    expect_output(*state, "if (1) { printf(\"yes\"); } else { printf(\"no\"); }", "yes");
}

static void while_loops_until_false(void **state)
{
    expect_output(*state, "i = 0; while (i < 5) { printf(\"%llx\", i); i = i + 1; }", "01234");
    expect_output(*state, "i = 9; while (i < 5) { printf(\"never\"); } printf(\"%llx\", i);",
                  "9");
}

static void do_while_runs_its_body_once_at_least(void **state)
{
    expect_output(*state, "i = 9; do { printf(\"%llx\", i); i++; } while (i < 5);", "9");
    expect_output(*state, "i = 0; do { printf(\"%llx\", i); i++; } while (i < 3);", "012");
}

static void for_has_init_condition_and_step(void **state)
{
    expect_output(*state, "for (i = 0; i < 4; i++) { printf(\"%llx\", i); }", "0123");
    expect_output(*state, "for (i = 0n10; i > 0n7; i -= 1) { printf(\"%llu,\", i); }",
                  "10,9,8,");
    /* Every part may be left out; break leaves the loop. */
    expect_output(*state, "i = 0; for (;;) { i += 2; if (i > 5) { break; } } printf(\"%llx\", i);",
                  "6");
    /* The step runs after the body, though it is written before it. */
    expect_output(*state, "for (i = 0; i < 2; printf(\"s%llx \", i)) { printf(\"b%llx \", i); i++; }",
                  "b0 s1 b1 s2 ");
}

static void break_and_continue_in_every_loop(void **state)
{
    expect_output(*state,
                  "for (i = 0; i < 6; i++) { if (i == 1) { continue; } if (i == 4) { break; } "
                  "printf(\"%llx\", i); }",
                  "023");
    expect_output(*state,
                  "i = 0; while (1) { i++; if (i == 2) { continue; } if (i > 3) { break; } "
                  "printf(\"%llx\", i); }",
                  "13");
    expect_output(*state,
                  "i = 0; do { i++; if (i == 2) { continue; } printf(\"%llx\", i); } "
                  "while (i < 4);",
                  "134");
    /* break leaves the inner loop only. */
    expect_output(*state,
                  "for (i = 0; i < 2; i++) { for (j = 0; j < 9; j++) { if (j == 2) { break; } "
                  "printf(\"%llx%llx \", i, j); } }",
                  "00 01 10 11 ");
}

static void comments_are_blanks(void **state)
{
    expect_output(*state,
                  "// a line comment } printf(\"no\");\n"
                  "x = /* inside */ 5; /* a block\n over lines */ printf(\"%llx\", x); // end",
                  "5");
}

/* ---- numbers --------------------------------------------------------------------------------- */

static void numbers_are_hex_by_default(void **state)
{
    expect_output(*state,
                  "printf(\"%llu %llu %llu %llu %llu %llu\\n\", 1f, 0x1f, 0X1F, 0n31, 0o37, "
                  "0y11111);",
                  "31 31 31 31 31 31\n");
    /* Backticks are ignored, as in HyperDbg's addresses; all 64 bits. */
    expect_output(*state, "printf(\"%llx %llx\", fffff800`4ed6f010, ffffffffffffffff);",
                  "fffff8004ed6f010 ffffffffffffffff");
    /* A word of hex digits is a number, even db or dd when no '(' follows. */
    expect_output(*state, "printf(\"%llx %llx\", dd, abc);", "dd abc");
}

/* ---- locals and globals ------------------------------------------------------------------- */

static void locals_are_zero_at_the_start_of_every_run(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[256];

    /* y is set only on core 7 (never here), so its value is what the run started with. */
    reg_script(f, "if ($core == 7) { y = 9; } printf(\"%llx \", y); y = 3;", 0, 0);
    script_output(f, 1, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "0 ");
    script_output(f, 1, 4, &regs, out, sizeof(out)); /* not the 3 of the last run */
    assert_string_equal(out, "0 ");
}

static void globals_are_shared_by_runs_cores_and_events(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[256];

    reg_script(f, ".count += 1; printf(\"a%llx \", .count);", 0, 0);
    reg_script(f, "printf(\"b%llx \", .count); .other = .count * 0n10;", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "a1 b1 ");
    script_output(f, 3, 5, &regs, out, sizeof(out));
    assert_string_equal(out, "a2 b2 ");
    /* A new event sees the values: a global lives as long as the engine. */
    reg_script(f, "printf(\"c%llx %llu\", .count, .other);", 0, 0);
    script_output(f, 2, 6, &regs, out, sizeof(out));
    assert_string_equal(out, "a3 b3 c3 30");
}

/* ---- registers and pseudo-registers --------------------------------------------------------- */

static void registers_read_and_write_the_guest(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[256];

    reg_script(f, "@rbx = @rax + 1; @r15 = @r14; @rax = 0; printf(\"%llx\", @rbx);", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "1111111111111112");
    assert_int_equal(regs.rbx, SX_RAX + 1);
    assert_int_equal(regs.r15, 0xE0E);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS); /* the default handling ran after */
}

static void register_views_read_the_low_parts(void **state)
{
    /* rdx = 0x123456789ABCDEF0, r8 = 0x808, rsi 0x606, rdi 0x707, rsp 0x404, rbp 0x505. */
    expect_output(*state,
                  "printf(\"%llx %llx %llx %llx %llx\\n\", @rdx, @edx, @dx, @dl, @dh);",
                  "123456789abcdef0 9abcdef0 def0 f0 de\n");
    expect_output(*state,
                  "printf(\"%llx %llx %llx %llx %llx %llx %llx\\n\", @r8d, @r8w, @r8l, @sil, "
                  "@dil, @spl, @bpl);",
                  "808 808 8 6 7 4 5\n");
    expect_output(*state, "printf(\"%llx %llx %llx %llx\", @eax, @ax, @al, @ah);",
                  "11111111 1111 11 11");
    expect_output(*state, "printf(\"%llx %llx %llx\", @ecx, @cx, @ch);", "ffffffff ffff ff");
    expect_output(*state, "printf(\"%llx %llx\", @r15d, @r12w);", "f0f c0c");
}

static void pseudo_registers_describe_the_exit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[512];
    uint64_t tag;

    tag = reg_script(f,
                     "printf(\"%llx %llx %llx %llx %llx %llx \", $context, $pid, $tid, $core, "
                     "$ip, @rip); printf(\"%llx %llx %llx\", $event_id, $event_tag, "
                     "$event_stage);",
                     0, 0);
    script_output(f, 3, 0x490, &regs, out, sizeof(out));
    {
        char want[256];
        snprintf(want, sizeof(want), "0 490 0 3 401000 401000 %llx %llx 0",
                 (unsigned long long)HD_EVENT_ID(tag), (unsigned long long)tag);
        assert_string_equal(out, want);
    }
}

static void buffer_is_this_cores_buffer_or_zero(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[256];

    reg_script(f, "printf(\"%llx\", $buffer);", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "0"); /* no buffer asked for */
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);

    /* With one, each core has its own: what core 1 wrote, core 2 does not see. */
    reg_script(f, "if (db($buffer) == 0) { eb($buffer, $core + 30); } printf(\"%c\", db($buffer));",
               0, 16);
    script_output(f, 1, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "1");
    script_output(f, 2, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "2");
    script_output(f, 1, 4, &regs, out, sizeof(out)); /* kept between exits, as HyperDbg's */
    assert_string_equal(out, "1");
}

static void event_stage_is_1_in_the_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_script_program p = compile_ok("printf(\"%llx\", $event_stage);");
    struct hd_action_desc a;
    struct hd_event_desc d;
    char out[64];

    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    reg_desc(f, &d);
    hd_script_program_free(&p);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "01"); /* pre, then post */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(statements_and_blocks),
        T(if_elsif_else_take_the_first_true_branch),
        T(while_loops_until_false),
        T(do_while_runs_its_body_once_at_least),
        T(for_has_init_condition_and_step),
        T(break_and_continue_in_every_loop),
        T(comments_are_blanks),
        T(numbers_are_hex_by_default),
        T(locals_are_zero_at_the_start_of_every_run),
        T(globals_are_shared_by_runs_cores_and_events),
        T(registers_read_and_write_the_guest),
        T(register_views_read_the_low_parts),
        T(pseudo_registers_describe_the_exit),
        T(buffer_is_this_cores_buffer_or_zero),
        T(event_stage_is_1_in_the_post_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
