/* SPDX-License-Identifier: MIT */
/*
 * The compiler's errors (every one says what and where: line, column, the token's offset and
 * length) and its output: the bytecode listing of hd_script_disasm(), the fast-path shape of
 * a condition, and what a failed compile leaves (nothing).
 */
#include "script_helpers.h"

static void unknown_functions_are_named(void **state)
{
    (void)state;
    compile_err("x = strlen(1);", 1, 5, "unknown function 'strlen': a script may call printf, "
                                        "print, event_sc, event_enable, event_disable, "
                                        "event_clear, poi, db, dw, dd, dq, eb, ed, eq, "
                                        "check_address, interlocked_* and rdtsc");
    compile_err("\n\n  hi(5);", 3, 3, "unknown function 'hi'");
    compile_err("disassemble_len(1);", 1, 1, "unknown function 'disassemble_len'");
}

static void names_and_numbers(void **state)
{
    (void)state;
    compile_err("y = x;", 1, 5, "unknown name 'x': a local is made by assigning to it first");
    compile_err("x += 1;", 1, 1, "unknown name 'x': a local is made by assigning to it (x = ...;)");
    compile_err("abc = 1;", 1, 1, "'abc' is a number (hex digits)");
    compile_err("x = 12g;", 1, 5, "'12g' is not a number");
    compile_err("x = 0x1g;", 1, 5, "'0x1g' is not a number");
    compile_err("x = 0o8;", 1, 5, "'0o8' is not a number");
    compile_err("x = 0y2;", 1, 5, "'0y2' is not a number");
    compile_err("x = 0t17;", 1, 5, "'0t17' is not a number"); /* HyperDbg's docs' 0t: no */
    compile_err("x = 0x;", 1, 5, "'0x' has no digits after its prefix");
    compile_err("x = 10000000000000000;", 1, 5, "does not fit in 64 bits");
    compile_err("x = 0n18446744073709551616;", 1, 5, "does not fit in 64 bits");
    compile_err("x_`y = 1;", 1, 1, "'x_`y' is neither a number nor a name");
    compile_err("z = x_`y;", 1, 5, "'x_`y' is neither a number nor a name");
}

static void registers_and_pseudo_registers(void **state)
{
    (void)state;
    compile_err("x = @foo;", 1, 5, "unknown register '@foo'");
    compile_err("x = @r8h;", 1, 5, "unknown register '@r8h'");
    compile_err("@eax = 1;", 1, 1, "'@eax' is read-only: write the whole register");
    compile_err("@al += 1;", 1, 1, "'@al' is read-only");
    compile_err("@rip = 0;", 1, 1, "@rip is read-only");
    compile_err("$pid = 4;", 1, 1, "'$pid' is read-only");
    compile_err("x = $proc;", 1, 5, "unknown pseudo-register '$proc'");
    compile_err("x = @;", 1, 5, "'@' must be followed by a name");
    compile_err("x = .;", 1, 5, "'.' must be followed by a name");
    compile_err(".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1;", 1, 1, "global name longer than 31");
}

static void syntax(void **state)
{
    (void)state;
    compile_err("x = 1", 1, 6, "expected ';' before the end of the script");
    compile_err("x = 1 y = 2;", 1, 7, "expected ';' here");
    compile_err("x = (1 + 2;", 1, 11, "expected ')' here");
    compile_err("x = ;", 1, 5, "expected a value");
    compile_err("x = 1 +", 1, 8, "expected a value before the end of the script");
    compile_err("x = 1; x;", 1, 9, "expected an assignment after 'x'");
    compile_err("y;", 1, 1, "unknown name 'y': a local is made by assigning to it (y = ...;)");
    compile_err("1 = x;", 1, 1, "'1' is a number");
    compile_err("if (1) x = 1;", 1, 8, "if takes a block in braces");
    compile_err("if 1 { }", 1, 4, "if takes a condition in parentheses");
    compile_err("if (1) { } else if (1) { }", 1, 17, "write 'elsif (...) {...}', not 'else if'");
    compile_err("else { }", 1, 1, "'else' without an if before it");
    compile_err("while (1) { ", 1, 13, "expected '}' before the end of the script");
    compile_err("}", 1, 1, "unmatched '}'");
    compile_err("do { } (1);", 1, 8, "do {...} ends with while (...);");
    compile_err("for (i = 0; i < 1; i++ { }", 1, 24, "expected ')' here");
    compile_err("for (i = 0; i < 1 { }", 1, 19, "expected ';' here");
    compile_err("break;", 1, 1, "break outside a loop");
    compile_err("if (1) { continue; }", 1, 10, "continue outside a loop");
    compile_err("x = 1; # comment", 1, 8, "unexpected character '#'");
    compile_err("x = 1; /* open", 1, 8, "unterminated comment");
    compile_err("x = \"s\";", 1, 5, "a string is only a printf format");
}

static void printf_and_calls(void **state)
{
    (void)state;
    compile_err("printf(1);", 1, 8, "printf's first argument is its format");
    compile_err("printf(\"%llx %llx\", 1);", 1, 8, "the format has 2 conversions but 1 argument follows it");
    compile_err("printf(\"x\", 1);", 1, 8, "the format has 0 conversions but 1 argument follows it");
    compile_err("printf(\"%s\", 1);", 1, 9, "unknown printf conversion");
    compile_err("printf(\"%08llx\", 1);", 1, 9, "without flags or widths");
    compile_err("printf(\"a\\qb\");", 1, 10, "unknown escape in a string");
    compile_err("printf(\"open);", 1, 8, "unterminated string");
    compile_err("printf(\"%x%x%x%x%x%x%x%x%x\", 1, 2, 3, 4, 5, 6, 7, 8, 9);", 1, 54,
                "printf takes at most 8 arguments after its format");
    compile_err("x = printf(\"a\");", 1, 5, "printf returns no value: call it as a statement");
    compile_err("x = event_sc(1);", 1, 5, "event_sc returns no value");
    compile_err("poi();", 1, 5, "poi takes 1 argument");
    compile_err("x = eq(1);", 1, 9, "eq takes 2 arguments");
    compile_err("x = poi(1, 2);", 1, 12, "poi takes 1 argument");
    compile_err("x = interlocked_increment(y_);", 1, 27, "unknown name 'y_'");
    compile_err("y = 1; x = interlocked_increment(y);", 1, 34,
                "interlocked_increment works on a global: interlocked_increment(.name)");
    compile_err("x = interlocked_exchange(5, 1);", 1, 26,
                "interlocked_exchange works on a global: interlocked_exchange(.name, ...)");
    compile_err("x = rdtsc;", 1, 5, "unknown name 'rdtsc'");
}

static void limits(void **state)
{
    (void)state;
    char *big = malloc(200000), *p = big;
    assert_non_null(big);
    /* 16384 statements and the END: one instruction too many. */
    for (int i = 0; i < 16384; i++)
        p += sprintf(p, "x=1;");
    strcpy(p, "");
    {
        struct hd_script_error e;
        struct hd_script_program prog;
        assert_int_equal(hd_script_compile(big, &prog, &e), HD_ERR_SCRIPT_COMPILE);
        assert_non_null(strstr(e.message, "more than 16384 instructions"));
    }
    /* Nesting is bounded (the compiler's own stack). */
    memset(big, '(', 300);
    strcpy(big + 300, "");
    {
        struct hd_script_error e;
        struct hd_script_program prog;
        char text[400];
        snprintf(text, sizeof(text), "x = %.*s1;", 250, big);
        assert_int_equal(hd_script_compile(text, &prog, &e), HD_ERR_SCRIPT_COMPILE);
        assert_non_null(strstr(e.message, "nested more than 200 deep"));
    }
    free(big);
}

static void nothing_is_left_after_an_error(void **state)
{
    (void)state;
    struct hd_script_program p;
    struct hd_script_error e;
    memset(&p, 0xA5, sizeof(p));
    assert_int_equal(hd_script_compile("x = 1; y = z;", &p, &e), HD_ERR_SCRIPT_COMPILE);
    assert_null(p.code);
    assert_int_equal(p.size, 0);
    assert_int_equal(e.offset, 11);
    assert_int_equal(e.length, 1);
    assert_int_equal(hd_script_compile(NULL, &p, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_script_compile("x = 1;", NULL, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_script_compile_n("x = 1;\0y = 2;", 13, &p, &e), HD_ERR_SCRIPT_COMPILE);
    assert_non_null(strstr(e.message, "NUL byte"));
    assert_int_equal(hd_script_compile_file("/nonexistent/x.ds", &p, &e), HD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(e.message, "cannot read the script file /nonexistent/x.ds"));
    hd_script_program_free(&p);
    hd_script_program_free(NULL);
}

/* The listing of a small program: exact text, the fast-path shape of its condition. */
static void disassembly_lists_every_instruction(void **state)
{
    (void)state;
    struct hd_script_program p =
        compile_ok("if (@rax == 1234 && $pid == 4) { event_sc(1); } .g = @al; "
                   "printf(\"%llx\\n\", poi(.g)); x = interlocked_compare_exchange(.g, 1, 2);");
    char out[2048];
    size_t len;

    assert_int_equal(hd_script_disasm(p.code, p.size, out, sizeof(out), &len), HD_OK);
    assert_string_equal(out,
                        "; hdsc v1: 17 instructions, 4 constants, 1 global, 8 string bytes, "
                        "3 slots (1 local)\n"
                        "0000  ldr       t0, @rax\n"
                        "0001  eq        t0, t0, #0x1234\n"
                        "0002  jz        t0, 0008\n"
                        "0003  ldp       t0, $pid\n"
                        "0004  eq        t0, t0, #0x4\n"
                        "0005  jz        t0, 0008\n"
                        "0006  ldk       t0, #0x1\n"
                        "0007  evsc      t0\n"
                        "0008  ldr       t0, @al\n"
                        "0009  stg       .g, t0\n"
                        "0010  ldg       t1, .g\n"
                        "0011  rdmem     t0, t1, 8\n"
                        "0012  printf    \"%llx\\n\", t0\n"
                        "0013  ldk       t0, #0x1\n"
                        "0014  ldk       t1, #0x2\n"
                        "0015  xcmpxchg  l0, .g, t0, t1\n" /* computed straight into x */
                        "0016  end\n");
    assert_int_equal(len, strlen(out));
    /* Too small: cut, NUL-terminated, and the full length told. */
    assert_int_equal(hd_script_disasm(p.code, p.size, out, 10, &len), HD_ERR_BUFFER_TOO_SMALL);
    assert_string_equal(out, "; hdsc v1");
    assert_true(len > 500);
    /* Bytes that are not bytecode: the verifier's status, nothing written. */
    p.code[0] ^= 1;
    assert_int_equal(hd_script_disasm(p.code, p.size, out, sizeof(out), &len),
                     HD_ERR_SCRIPT_HEADER);
    hd_script_program_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_functions_are_named),
        cmocka_unit_test(names_and_numbers),
        cmocka_unit_test(registers_and_pseudo_registers),
        cmocka_unit_test(syntax),
        cmocka_unit_test(printf_and_calls),
        cmocka_unit_test(limits),
        cmocka_unit_test(nothing_is_left_after_an_error),
        cmocka_unit_test(disassembly_lists_every_instruction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
