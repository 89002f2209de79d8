/* SPDX-License-Identifier: MIT */
/*
 * Numbers in commands (hyperdbg-facts.md): hex by default; `0x`, `x`, `\x` (hex) and `0n`, `n`,
 * `\n` (decimal) prefixes in either case; backticks ignored anywhere; the whole token is the
 * number; 32-bit fields reject what does not fit. Pinned on pid, core, buffer and event IDs.
 */
#include "command_helpers.h"

static uint32_t pid_of(const char *value)
{
    char text[256];
    snprintf(text, sizeof(text), "!vmcall pid %s", value);
    struct hd_command c = parse_ok(text);
    uint32_t pid = c.event.pid;
    hd_command_free(&c);
    return pid;
}

static void hex_is_the_default(void **state)
{
    (void)state;
    assert_int_equal(pid_of("490"), 0x490);
    assert_int_equal(pid_of("10"), 0x10);
    assert_int_equal(pid_of("0"), 0);
    assert_int_equal(pid_of("a"), 0xA);
    assert_int_equal(pid_of("DeadBeef"), 0xDEADBEEF);
    assert_int_equal(pid_of("000000000000000001"), 1); /* leading zeros are not digits of range */
}

static void every_prefix_in_either_case(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t value;
    } cases[] = {
        {"0x10", 0x10},  {"0X10", 0x10},  {"x10", 0x10},  {"X10", 0x10},
        {"\\x10", 0x10}, {"\\X10", 0x10}, {"0n10", 10},   {"0N10", 10},
        {"n10", 10},     {"N10", 10},     {"\\n10", 10},  {"\\N10", 10},
        {"0n1168", 1168}, {"0x0", 0},     {"0n0", 0},     {"0xffffffff", 0xFFFFFFFF},
        {"0n4294967295", 0xFFFFFFFF},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (pid_of(cases[i].text) != cases[i].value)
            fail_msg("pid %s: expected 0x%x", cases[i].text, cases[i].value);
    }
}

static void backticks_are_ignored_anywhere(void **state)
{
    (void)state;
    assert_int_equal(pid_of("1`0"), 0x10);
    assert_int_equal(pid_of("`490`"), 0x490);
    assert_int_equal(pid_of("0`x`1`0"), 0x10);
    assert_int_equal(pid_of("0x1`0"), 0x10);
    assert_int_equal(pid_of("0n1``0"), 10);
    assert_int_equal(pid_of("\\`x10"), 0x10);
    assert_int_equal(pid_of("ffff`ffff"), 0xFFFFFFFF);
}

static void all_ones_is_all(void **state)
{
    (void)state;
    assert_int_equal(pid_of("all"), HD_ALL);
    assert_int_equal(pid_of("ALL"), HD_ALL);
    assert_int_equal(pid_of("ffffffff"), HD_ALL);
}

static void core_and_buffer_take_the_same_forms(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall core 0n3 buffer x1`00");
    assert_int_equal(c.event.core, 3);
    assert_int_equal(c.buffer_size, 0x100);
    hd_command_free(&c);
    c = parse_ok("!vmcall core \\x1f buffer 0n1048576");
    assert_int_equal(c.event.core, 0x1F);
    assert_int_equal(c.buffer_size, 0x100000); /* HD_BUFFER_MAX_BYTES: the largest */
    hd_command_free(&c);
    c = parse_ok("!vmcall buffer 0");
    assert_int_equal(c.buffer_size, 0);
    hd_command_free(&c);
}

static void event_ids_take_the_same_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t id;
    } cases[] = {
        {"events e 10", 0x10},
        {"events e 0n10", 10},
        {"events e \\x1`0", 0x10},
        {"events e FFFFFFFFFEFFFFFE", 0xFFFFFFFFFEFFFFFEull}, /* the largest: tag = all-ones - 1 */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_command c = parse_ok(cases[i].text);
        assert_int_equal(c.id, cases[i].id);
        assert_int_equal(c.tag, cases[i].id + HD_TAG_BASE);
        hd_command_free(&c);
    }
}

/* ---- refused numbers ------------------------------------------------------------------- */

static void bad_digits_say_pids_are_hex(void **state)
{
    (void)state;
    static const char *const bad[] = {"490x", "0n12a", "12g", "-1", "+1", "0x1.5",
                                      "1_000", "1,000", "0xx1", "\\q10"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "!vmcall pid %s", bad[i]);
        struct hd_command_error e =
            parse_fails(text, 13, bad[i], "a pid is a hex number (prefix 0n for decimal)");
        assert_int_equal(e.length, strlen(bad[i]));
    }
}

static void prefix_without_digits(void **state)
{
    (void)state;
    static const char *const bad[] = {"0x", "x", "\\x", "0n", "n", "\\N", "`", "``", "0x``", "\\"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "!vmcall pid %s", bad[i]);
        parse_fails(text, 13, bad[i], "no digits: a pid is a hex number (prefix 0n for decimal)");
    }
}

static void values_above_32_bits_are_refused(void **state)
{
    (void)state;
    parse_fails("!vmcall pid 100000000", 13, "100000000",
                "too large, the most is 0xFFFFFFFF: a pid is a hex number (prefix 0n for decimal)");
    parse_fails("!vmcall pid 0n4294967296", 13, "0n4294967296", "too large");
    parse_fails("!vmcall core 1`0000`0000", 14, "1`0000`0000",
                "too large, the most is 0xFFFFFFFF: a core is a hex number");
    parse_fails("!vmcall pid ffffffffffffffffffffffff", 13, "ffffffffffffffffffffffff",
                "too large");
    /* A bad digit after an overflow is reported as a bad digit. */
    parse_fails("!vmcall pid 1000000000z", 13, "1000000000z", "a pid is a hex number");
}

static void buffer_is_bounded_by_the_engine_maximum(void **state)
{
    (void)state;
    parse_fails("!vmcall buffer 100001", 16, "100001",
                "too large, the most is 0x100000: a buffer size is a hex number of bytes");
    parse_fails("!vmcall buffer 0n1048577", 16, "0n1048577", "too large");
    parse_fails("!vmcall buffer 4k", 16, "4k", "a buffer size is a hex number");
}

static void event_id_errors(void **state)
{
    (void)state;
    parse_fails("events e 0n1x", 10, "0n1x", "an event ID is a hex number (prefix 0n for decimal)");
    parse_fails("events d FFFFFFFFFEFFFFFF", 10, "FFFFFFFFFEFFFFFF", "too large");
    parse_fails("events c 10000000000000000", 10, "10000000000000000", "too large");
    parse_fails("events c 0x", 10, "0x", "no digits");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_is_the_default),
        cmocka_unit_test(every_prefix_in_either_case),
        cmocka_unit_test(backticks_are_ignored_anywhere),
        cmocka_unit_test(all_ones_is_all),
        cmocka_unit_test(core_and_buffer_take_the_same_forms),
        cmocka_unit_test(event_ids_take_the_same_forms),
        cmocka_unit_test(bad_digits_say_pids_are_hex),
        cmocka_unit_test(prefix_without_digits),
        cmocka_unit_test(values_above_32_bits_are_refused),
        cmocka_unit_test(buffer_is_bounded_by_the_engine_maximum),
        cmocka_unit_test(event_id_errors),
    };
    return cmocka_run_group_tests_name("command numbers", tests, NULL, NULL);
}
