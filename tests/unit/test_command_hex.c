/* SPDX-License-Identifier: MIT */
/*
 * `condition {hex}` / `code {hex}` bodies: HyperDbg's `9090`, `0x9090`, `\x90\x90`, and the
 * spaced `90 90 90` of its own docs (which HyperDbg refuses); blanks and newlines between
 * bytes; odd digit counts get a leading 0 per group; a RET (0xC3) is appended when missing.
 */
#include "command_helpers.h"

/* Parse `!vmcall code {body}` and return the code action's bytes in a fresh command. */
static struct hd_command code_of(const char *body)
{
    static char text[200000];
    snprintf(text, sizeof(text), "!vmcall code {%s}", body);
    struct hd_command c = parse_ok(text);
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_CODE);
    return c;
}

#define BODY_IS(body, ...)                                                                      \
    do {                                                                                        \
        struct hd_command c_ = code_of(body);                                                   \
        CODE_IS(c_.event.actions[0].code, c_.event.actions[0].code_size, __VA_ARGS__);          \
        hd_command_free(&c_);                                                                   \
    } while (0)

static void hyperdbg_forms(void **state)
{
    (void)state;
    BODY_IS("9090", 0x90, 0x90, 0xC3);
    BODY_IS("0x9090", 0x90, 0x90, 0xC3);
    BODY_IS("0X9090", 0x90, 0x90, 0xC3);
    BODY_IS("\\x90\\x90", 0x90, 0x90, 0xC3);
    BODY_IS("\\X90\\X90", 0x90, 0x90, 0xC3);
}

static void spaced_forms(void **state)
{
    (void)state;
    BODY_IS("90 90 90", 0x90, 0x90, 0x90, 0xC3);
    BODY_IS("  90\t90\n90\r\n", 0x90, 0x90, 0x90, 0xC3);
    BODY_IS("0x90 0x91 0x92", 0x90, 0x91, 0x92, 0xC3);
    BODY_IS("\\x90 \\x91\\x92", 0x90, 0x91, 0x92, 0xC3);
    BODY_IS("9091 9293", 0x90, 0x91, 0x92, 0x93, 0xC3);
    BODY_IS("0x90\\x91", 0x90, 0x91, 0xC3); /* one word: 0x group, then a \x group */
    BODY_IS("ab Cd eF", 0xAB, 0xCD, 0xEF, 0xC3);
}

static void odd_digit_counts_get_a_leading_zero_per_group(void **state)
{
    (void)state;
    BODY_IS("9", 0x09, 0xC3);
    BODY_IS("123", 0x01, 0x23, 0xC3);
    BODY_IS("0x123", 0x01, 0x23, 0xC3);
    BODY_IS("90 9 90", 0x90, 0x09, 0x90, 0xC3);
    BODY_IS("\\x9\\x90", 0x09, 0x90, 0xC3);
    BODY_IS("\\x90\\x9", 0x90, 0x09, 0xC3);
    BODY_IS("c3 3", 0xC3, 0x03, 0xC3);
    BODY_IS("0", 0x00, 0xC3);
}

static void ret_is_appended_only_when_missing(void **state)
{
    (void)state;
    BODY_IS("c3", 0xC3);
    BODY_IS("90 C3", 0x90, 0xC3);
    BODY_IS("C3 90", 0xC3, 0x90, 0xC3);
    BODY_IS("c2", 0xC2, 0xC3); /* only 0xC3 counts as the last byte */
}

static void conditions_take_the_same_forms(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall condition {\\x48\\x31\\xC0} code {0x90}");
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x48, 0x31, 0xC0, 0xC3);
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0xC3);
    hd_command_free(&c);
    c = parse_ok("!vmcall condition {48 31 C0\n C3}");
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x48, 0x31, 0xC0, 0xC3);
    hd_command_free(&c);
}

static void size_limit_counts_the_ret(void **state)
{
    (void)state;
    static char body[HD_CODE_MAX_BYTES * 3 + 8];
    char *p;
    struct hd_command c;

    /* HD_CODE_MAX_BYTES - 1 bytes + the appended RET: fits exactly. */
    p = body;
    for (uint32_t i = 0; i < HD_CODE_MAX_BYTES - 1; i++, p += 2)
        memcpy(p, "90", 2);
    *p = '\0';
    c = code_of(body);
    assert_int_equal(c.event.actions[0].code_size, HD_CODE_MAX_BYTES);
    hd_command_free(&c);

    /* HD_CODE_MAX_BYTES bytes ending in RET: fits, nothing appended. */
    memcpy(p, "C3", 3);
    c = code_of(body);
    assert_int_equal(c.event.actions[0].code_size, HD_CODE_MAX_BYTES);
    hd_command_free(&c);

    /* HD_CODE_MAX_BYTES bytes without RET: one too many once the RET is added. */
    memcpy(p, "90", 3);
    static char text[sizeof(body) + 32];
    snprintf(text, sizeof(text), "!vmcall code {%s}", body);
    char token[64];
    memcpy(token, text + 13, 60); /* the body, cut with "..." */
    memcpy(token + 60, "...", 4);
    struct hd_command_error e = parse_fails(text, 14, token, "too long");
    assert_int_equal(e.length, strlen(text) - 13);
}

/* ---- refused bodies -------------------------------------------------------------------- */

static void not_hex(void **state)
{
    (void)state;
    parse_fails("!vmcall code {90 zz 90}", 18, "zz",
                "not hex bytes: code {...} takes hex bytes such as {90 90 90}, {0x9090} or "
                "{\\x90\\x90}");
    parse_fails("!vmcall code {nop; nop}", 15, "nop;", "assembly goes in asm code {...}");
    parse_fails("!vmcall condition {90,90}", 20, "90,90", "condition {...} takes hex bytes");
    parse_fails("!vmcall code {0x90x90}", 15, "0x90x90", "not hex bytes");
    parse_fails("!vmcall code {\\x90\\y90}", 15, "\\x90\\y90", "not hex bytes");
    parse_fails("!vmcall code {90 0x\\x90}", 18, "0x\\x90", "not hex bytes");
    parse_fails("!vmcall code {9`0}", 15, "9`0", "not hex bytes"); /* no backticks in bodies */
}

static void prefix_without_digits(void **state)
{
    (void)state;
    parse_fails("!vmcall code {0x}", 15, "0x", "a '0x' or '\\x' prefix without hex digits");
    parse_fails("!vmcall code {90 \\x}", 18, "\\x", "prefix without hex digits");
    parse_fails("!vmcall code {\\x90\\x}", 15, "\\x90\\x", "prefix without hex digits");
}

static void empty_bodies(void **state)
{
    (void)state;
    parse_fails("!vmcall code {}", 14, "{}", "empty body: code {...} takes hex bytes");
    parse_fails("!vmcall condition { \n }", 19, "{   }", "empty body: condition {...}");
}

static void body_must_be_braced(void **state)
{
    (void)state;
    parse_fails("!vmcall code 909090", 14, "909090",
                "expected a {...} body: code takes hex bytes in braces");
    parse_fails("!vmcall condition 90", 19, "90",
                "expected a {...} body: condition takes hex bytes in braces");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hyperdbg_forms),
        cmocka_unit_test(spaced_forms),
        cmocka_unit_test(odd_digit_counts_get_a_leading_zero_per_group),
        cmocka_unit_test(ret_is_appended_only_when_missing),
        cmocka_unit_test(conditions_take_the_same_forms),
        cmocka_unit_test(size_limit_counts_the_ret),
        cmocka_unit_test(not_hex),
        cmocka_unit_test(prefix_without_digits),
        cmocka_unit_test(empty_bodies),
        cmocka_unit_test(body_must_be_braced),
    };
    return cmocka_run_group_tests_name("command hex bodies", tests, NULL, NULL);
}
