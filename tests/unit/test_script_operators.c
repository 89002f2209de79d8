/* SPDX-License-Identifier: MIT */
/*
 * Script operators (docs/script.md, "Operators"): C's precedence and left associativity,
 * 64-bit unsigned values, / % >> unsigned, < > <= >= signed (as HyperDbg's evaluator), shift
 * counts mod 64, && || short-circuit, division or modulo by zero a run-time error, and every
 * assignment operator on locals, globals and registers. Each case runs with operands the
 * compiler cannot fold (locals loaded from registers) and with constants it folds: both must
 * give the same value.
 */
#include "script_helpers.h"

/* `printf("%llx", EXPR)` must print @want, folded or not: x = 6, y = 3, m = -1 (all ones),
 * s = 2^63, z = 0 come from registers, so the VM computes them. (Not a and b: a word of hex
 * digits is a number.) */
static void value_is(struct fx *f, const char *expr, const char *want)
{
    char text[512];
    snprintf(text, sizeof(text),
             "x = @rax - 0x111111111111110b; y = @rax - 0x111111111111110e; m = 0 - (@r8 - @r8 + 1); "
             "s = 1 << 0n63; z = @r8 - @r8; printf(\"%%llx\", %s);",
             expr);
    expect_output(f, text, want);
}

/* The same with every name replaced by its value: the compiler folds it. */
static void folded_is(struct fx *f, const char *expr, const char *want)
{
    char text[512];
    snprintf(text, sizeof(text), "printf(\"%%llx\", %s);", expr);
    expect_output(f, text, want);
}

static void arithmetic_is_64_bit_unsigned(void **state)
{
    struct fx *f = *state;
    value_is(f, "x + y", "9");
    value_is(f, "x - y", "3");
    value_is(f, "y - x", "fffffffffffffffd");
    value_is(f, "x * y", "12");
    value_is(f, "x / y", "2");
    value_is(f, "x % 4", "2");
    value_is(f, "m / 2", "7fffffffffffffff"); /* unsigned: -1 / 2 is not 0 */
    value_is(f, "m % 0n10", "5");             /* 18446744073709551615 % 10 */
    value_is(f, "m + 1", "0");                /* wraps */
    value_is(f, "s * 2", "0");
    folded_is(f, "6 + 3", "9");
    folded_is(f, "3 - 6", "fffffffffffffffd");
    folded_is(f, "0 - 1 / 2", "0"); /* 1 / 2 first */
    folded_is(f, "ffffffffffffffff / 2", "7fffffffffffffff");
}

static void shifts_are_logical_and_counts_mod_64(void **state)
{
    struct fx *f = *state;
    value_is(f, "1 << x", "40");
    value_is(f, "s >> 0n63", "1");      /* logical: no sign copy */
    value_is(f, "m >> 0n60", "f");
    value_is(f, "1 << 0n65", "2");      /* 65 mod 64 = 1 */
    value_is(f, "x >> 0n64", "6");      /* 64 mod 64 = 0 */
    folded_is(f, "1 << 0n65", "2");
    folded_is(f, "8000000000000000 >> 0n63", "1");
}

static void bitwise_and_unary(void **state)
{
    struct fx *f = *state;
    value_is(f, "x & y", "2");
    value_is(f, "x | y", "7");
    value_is(f, "x ^ y", "5");
    value_is(f, "~x", "fffffffffffffff9");
    value_is(f, "-x", "fffffffffffffffa");
    value_is(f, "+x", "6");
    value_is(f, "!x", "0");
    value_is(f, "!z", "1");
    value_is(f, "- -x", "6");
    folded_is(f, "~0 & ff", "ff");
    folded_is(f, "-1", "ffffffffffffffff");
    folded_is(f, "!0 + !5", "1");
}

static void compares_are_signed_and_give_0_or_1(void **state)
{
    struct fx *f = *state;
    value_is(f, "m < 0", "1");  /* -1 < 0: signed, as HyperDbg's evaluator compares */
    value_is(f, "m > 1", "0");
    value_is(f, "s < 0", "1");  /* 2^63 is the most negative */
    value_is(f, "x <= 6", "1");
    value_is(f, "x >= 7", "0");
    value_is(f, "y > x", "0");
    value_is(f, "x == 6", "1");
    value_is(f, "x != 6", "0");
    value_is(f, "6 == x", "1"); /* a constant on the left moves right */
    value_is(f, "0 > m", "1");
    folded_is(f, "ffffffffffffffff < 0", "1");
    folded_is(f, "7 >= 7", "1");
}

static void logical_operators_short_circuit(void **state)
{
    struct fx *f = *state;
    value_is(f, "x && y", "1");
    value_is(f, "x && z", "0");
    value_is(f, "z || y", "1");
    value_is(f, "z || z", "0");
    /* The right side runs only when it decides: no division by zero, no increment. */
    value_is(f, "z && (1 / z)", "0");
    value_is(f, "x || (1 / z)", "1");
    expect_output(f, "x = 0; if (1 || interlocked_increment(.g)) { x = 1; } printf(\"%llx %llx\", x, .g);",
                  "1 0");
    expect_output(f, "if (!(@rax == 0) && !0) { printf(\"t\"); }", "t");
}

static void precedence_is_cs(void **state)
{
    struct fx *f = *state;
    value_is(f, "1 + x * y", "13");           /* * before + */
    value_is(f, "(1 + x) * y", "15");
    value_is(f, "1 << y + 1", "10");          /* + before << */
    value_is(f, "x & y == 3", "0");           /* == before &: a & (b == 3) = 6 & 1 */
    value_is(f, "x | y ^ x & y", "7");        /* & then ^ then |: 6 | (3 ^ 2) */
    value_is(f, "x < y == 0", "1");           /* < before == */
    value_is(f, "x > 1 && y > 1 || z", "1");  /* && before || */
    value_is(f, "z && x || y", "1");
    value_is(f, "-x * y", "ffffffffffffffee"); /* unary first */
    folded_is(f, "2 + 3 * 4 - 5", "9");
}

static void binary_operators_are_left_associative(void **state)
{
    struct fx *f = *state;
    value_is(f, "x - y - 1", "2");            /* (6 - 3) - 1 */
    value_is(f, "0n100 / x / y", "5");        /* (100 / 6) / 3 = 16 / 3 */
    value_is(f, "0n100 % 0n30 % 4", "2");     /* (100 % 30) % 4 */
    value_is(f, "1 << 2 << 3", "20");
    folded_is(f, "0n20 - 5 - 3", "c");
}

static void division_by_zero_stops_the_run(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[256];

    reg_script(f, "printf(\"a\"); x = @rax / (@rbx - @rbx); printf(\"b\");", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "a"); /* the run ended at the division */
    assert_string_equal(script_errors(), "HD_ERR_SCRIPT_DIVIDE_BY_ZERO: division by zero "
                                         "(instruction 5)");
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);

    /* A constant divisor of 0 is not folded away: it fails when it runs, like any other. */
    reg_script(f, "if (@rax == 0) { x = 1 % 0; } y = 5 % 0;", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_non_null(strstr(script_errors(), "HD_ERR_SCRIPT_DIVIDE_BY_ZERO: modulo by zero"));
}

static void assignment_operators(void **state)
{
    struct fx *f = *state;
    expect_output(f,
                  "x = 0n100; x += 5; printf(\"%llu \", x); x -= 0n15; printf(\"%llu \", x); "
                  "x *= 2; printf(\"%llu \", x); x /= 3; printf(\"%llu \", x); x %= 7; "
                  "printf(\"%llu \", x); x <<= 4; printf(\"%llu \", x); x >>= 2; "
                  "printf(\"%llu \", x); x &= 6; printf(\"%llu \", x); x ^= 0n12; "
                  "printf(\"%llu \", x); x |= 1; printf(\"%llu \", x); x++; printf(\"%llu \", x); "
                  "x--; x--; printf(\"%llu \", x); ++x; --x; --x; printf(\"%llu\", x);",
                  "105 90 180 60 4 64 16 0 12 13 14 12 11");
    /* On a global and on a register too. */
    expect_output(f, ".g = 5; .g *= 3; .g++; @rbx = 1; @rbx <<= 4; @rbx |= 1; @rbx--; "
                     "printf(\"%llu %llx\", .g, @rbx);",
                  "16 10");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(arithmetic_is_64_bit_unsigned),
        T(shifts_are_logical_and_counts_mod_64),
        T(bitwise_and_unary),
        T(compares_are_signed_and_give_0_or_1),
        T(logical_operators_short_circuit),
        T(precedence_is_cs),
        T(binary_operators_are_left_associative),
        T(division_by_zero_stops_the_run),
        T(assignment_operators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
