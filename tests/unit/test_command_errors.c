/* SPDX-License-Identifier: MIT */
/*
 * Errors of the command parser (issue item 2): each names the token, its 1-based column and
 * the expected form; a pid error says pids are hex and 0n makes decimal; a failed parse
 * leaves nothing allocated (the ASan build checks every path below for leaks); and
 * hd_command_error_format() prints the error with the command and a caret under the token.
 */
#include "command_helpers.h"

struct err_case {
    const char *text;
    uint32_t column;
    const char *token;
    const char *words; /* a part of the message */
};

static void run_cases(const struct err_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        parse_fails(cases[i].text, cases[i].column, cases[i].token, cases[i].words);
}

#define RUN_CASES(cases) run_cases((cases), sizeof(cases) / sizeof((cases)[0]))

static void commands(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"", 1, "", "empty command: expected !vmcall [options] or events"},
        {"   \t", 5, "", "empty command"},
        {"!monitor rw", 1, "!monitor", "unknown command: expected !vmcall [options] or events"},
        {"vmcall pid 1", 1, "vmcall", "unknown command: the event command is !vmcall"},
        {"{!vmcall}", 1, "{!vmcall}", "unknown command"},
        {"  !vmcall2", 3, "!vmcall2", "unknown command"},
    };
    RUN_CASES(cases);
}

static void unknown_options_and_stray_bodies(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall foo 1", 9, "foo",
         "unknown option: !vmcall takes pid, core, imm, sc, stage, buffer, steps, condition, "
         "code, asm condition, asm code, script, output, nr, deny and max_hits"},
        {"!vmcall pid 1 2", 15, "2", "unknown option"},
        {"!vmcall process 4", 9, "process", "unknown option"},
        {"!vmcall {90}", 9, "{90}",
         "a {...} body must follow condition, code, asm condition, asm code, script or output"},
        {"!vmcall code {90} {91}", 19, "{91}", "a {...} body must follow"},
    };
    RUN_CASES(cases);
}

static void missing_values_point_at_the_keyword(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall pid", 9, "pid",
         "missing value: a pid is a hex number (prefix 0n for decimal) or 'all'"},
        {"!vmcall pid 1 core", 15, "core",
         "missing value: a core is a hex number (prefix 0n for decimal) or 'all'"},
        {"!vmcall imm", 9, "imm", "missing value: imm takes 'yes' or 'no'"},
        {"!vmcall sc", 9, "sc", "missing value: sc takes 'on' or 'off'"},
        {"!vmcall stage", 9, "stage", "missing value: stage takes 'pre', 'post' or 'all'"},
        {"!vmcall buffer", 9, "buffer", "missing value: a buffer size is a hex number of bytes"},
        {"!vmcall condition", 9, "condition",
         "missing value: condition takes hex bytes in braces, such as condition {90 90 90}"},
        {"!vmcall code", 9, "code",
         "missing value: code takes hex bytes in braces, such as code {90 90 90}"},
        {"!vmcall asm code", 9, "asm code", "missing value: asm code takes assembly in braces"},
        {"!vmcall asm  condition", 9, "asm  condition",
         "missing value: asm condition takes assembly in braces"},
        {"!vmcall script", 9, "script",
         "missing value: script takes a script or a file in braces: script {...} or "
         "script {file:PATH}"},
        {"!vmcall output", 9, "output",
         "missing value: output takes 1 to 5 output names in braces"},
        {"!vmcall asm", 9, "asm",
         "missing 'condition' or 'code': 'asm' applies to condition or code"},
    };
    RUN_CASES(cases);
}

static void bad_values(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall pid 490x", 13, "490x", "a pid is a hex number (prefix 0n for decimal) or 'all'"},
        {"!vmcall pid {490}", 13, "{490}",
         "a {...} body is not a number: a pid is a hex number (prefix 0n for decimal)"},
        {"!vmcall core two", 14, "two", "a core is a hex number (prefix 0n for decimal) or 'all'"},
        {"!vmcall imm on", 13, "on", "imm takes 'yes' or 'no'"},
        {"!vmcall sc yes", 12, "yes", "sc takes 'on' or 'off'"},
        {"!vmcall stage both", 15, "both", "stage takes 'pre', 'post' or 'all'"},
        {"!vmcall stage {pre}", 15, "{pre}", "stage takes"},
        {"!vmcall buffer all", 16, "all", "a buffer size is a hex number of bytes"},
        {"!vmcall asm script {x}", 13, "script",
         "'asm' applies to condition or code: asm condition {...} or asm code {...}"},
        {"!vmcall asm {nop}", 13, "{nop}", "'asm' applies to condition or code"},
        {"!vmcall asm code nop", 18, "nop",
         "expected a {...} body: asm code takes assembly in braces"},
        {"!vmcall asm code {  }", 18, "{  }", "empty body: asm code takes assembly"},
        {"!vmcall script x", 16, "x", "expected a {...} body: script takes"},
        {"!vmcall script {\n}", 16, "{ }", "empty script: script takes a script or a file"},
        {"!vmcall script {file:}", 16, "{file:}", "no path after 'file:'"},
        {"!vmcall script { file:   }", 16, "{ file:   }", "no path after 'file:'"},
        {"!vmcall output a", 16, "a", "expected a {...} body: output takes 1 to 5 output names"},
    };
    RUN_CASES(cases);
}

static void output_lists(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall output {}", 16, "{}", "empty output list"},
        {"!vmcall output { }", 16, "{ }", "empty output list"},
        {"!vmcall output {a,,b}", 19, ",", "empty output name"},
        {"!vmcall output {a, }", 20, "}", "empty output name"},
        {"!vmcall output {,a}", 17, ",", "empty output name"},
        {"!vmcall output {a b}", 17, "a b", "an output name is one word; separate names with commas"},
        {"!vmcall output {a, \"b\"}", 20, "\"", "'\"' in output name: names are 1 to 63 "
         "letters, digits, '_', '.' and '-'"},
        {"!vmcall output {a, {b}}", 20, "{", "'{' in output name"},
        {"!vmcall output {log.1, a/b}", 25, "/", "'/' in output name"},
        {"!vmcall output {a, b, a}", 23, "a", "output name listed twice"},
        {"!vmcall output {a,b,c,d,e,f}", 27, "f",
         "more than 5 output names: events forward to at most 5 output sources"},
        {"!vmcall output {a, b, c, d, e, f, g}", 32, "f", "more than 5 output names"},
        {"!vmcall output {x123456789012345678901234567890123456789012345678901234567890123}", 17,
         "x12345678901234567890123456789012345678901234567890123456789...",
         "output name longer than 63 characters"},
    };
    RUN_CASES(cases);

    /* 63 characters is the longest name. */
    struct hd_command c =
        parse_ok("!vmcall output {x12345678901234567890123456789012345678901234567890123456789012}");
    assert_int_equal(strlen(c.outputs[0]), 63);
    hd_command_free(&c);
}

static void duplicate_options_are_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall pid 1 pid 2", 15, "pid", "pid given twice (first at column 9): give each option once"},
        {"!vmcall core 1 PID 2 Core 1", 22, "Core", "core given twice (first at column 9)"},
        {"!vmcall imm yes imm yes", 17, "imm", "imm given twice"},
        {"!vmcall sc off sc on", 16, "sc", "sc given twice"},
        {"!vmcall stage pre stage pre", 19, "stage", "stage given twice"},
        {"!vmcall buffer 1 buffer 2", 18, "buffer", "buffer given twice"},
        {"!vmcall condition {90} condition {91}", 24, "condition", "condition given twice"},
        {"!vmcall code {90} asm code {nop}", 19, "asm code",
         "code given twice (first at column 9)"},
        {"!vmcall asm condition {nop} condition {90}", 29, "condition",
         "condition given twice (first at column 9)"},
        {"!vmcall script {x=1;} script {b}", 23, "script", "script given twice"},
        {"!vmcall output {a} output {b}", 20, "output", "output given twice"},
    };
    RUN_CASES(cases);
}

static void cross_checks_point_at_the_later_option(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall sc on stage post", 21, "post",
         "'sc on' needs stage pre: the VMCALL can only be skipped before it is handled (sc on "
         "at column 12, stage post at column 21)"},
        {"!vmcall stage all sc on", 22, "on",
         "'sc on' needs stage pre: the VMCALL can only be skipped before it is handled (sc on "
         "at column 22, stage all at column 15)"},
        {"!vmcall imm no output {a}", 16, "output",
         "'imm no' cannot be used with output: forwarding to output sources needs immediate "
         "messages (imm no at column 13, output at column 16)"},
        {"!vmcall output {a} imm no", 24, "no", "(imm no at column 24, output at column 9)"},
    };
    RUN_CASES(cases);

    /* The allowed neighbours of those combinations. */
    const char *ok[] = {"!vmcall sc on stage pre", "!vmcall sc off stage post",
                        "!vmcall sc off stage all", "!vmcall imm yes output {a}",
                        "!vmcall imm no"};
    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct hd_command c = parse_ok(ok[i]);
        hd_command_free(&c);
    }
}

static void braces_and_strings(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"!vmcall code {90 90", 14, "{90 90", "unterminated '{': a body runs from '{' to its matching '}'"},
        {"!vmcall script {a {b}", 16, "{a {b}", "unterminated '{'"},
        {"!vmcall pid 1 }", 15, "}", "unmatched '}': a '}' only closes a '{' body"},
        {"!vmcall pid 1}", 14, "}", "unmatched '}'"},
        {"!vmcall code {90}}", 18, "}", "unmatched '}'"},
        {"!vmcall script {printf(\"}); }", 24, "\"}); }",
         "unterminated string: a '\"' inside a {...} body needs its closing '\"'"},
        /* A lexing error is reported where the lexer meets it, after earlier good options. */
        {"!vmcall pid 1 code {90", 20, "{90", "unterminated '{'"},
    };
    RUN_CASES(cases);
}

static void every_pid_error_says_pids_are_hex(void **state)
{
    (void)state;
    const char *texts[] = {"!vmcall pid 490x", "!vmcall pid", "!vmcall pid {1}",
                           "!vmcall pid 0n", "!vmcall pid 123456789", "!vmcall pid 0n99999999999",
                           "!vmcall pid 1.0", "!vmcall pid -1"};
    for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct hd_command c;
        struct hd_command_error e;
        assert_int_equal(hd_command_parse(texts[i], &c, &e), HD_ERR_INVALID_ARGUMENT);
        if (!strstr(e.message, "a pid is a hex number (prefix 0n for decimal)"))
            fail_msg("'%s': message '%s' does not say pids are hex", texts[i], e.message);
        assert_true(command_is_zero(&c));
    }
}

static void long_tokens_are_cut_but_length_is_real(void **state)
{
    (void)state;
    char text[300];
    char token[64];
    memcpy(text, "!vmcall pid ", 12);
    memset(text + 12, 'z', 200);
    text[212] = '\0';
    memset(token, 'z', 60);
    memcpy(token + 60, "...", 4);
    struct hd_command_error e = parse_fails(text, 13, token, "a pid is a hex number");
    assert_int_equal(e.length, 200);
}

static void null_arguments_and_huge_text(void **state)
{
    (void)state;
    struct hd_command c;
    struct hd_command_error e;
    assert_int_equal(hd_command_parse(NULL, &c, &e), HD_ERR_INVALID_ARGUMENT);
    assert_true(command_is_zero(&c));
    assert_int_equal(e.column, 0);
    assert_string_equal(e.message, "no command text");
    assert_int_equal(hd_command_parse("!vmcall", NULL, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.column, 0);
    /* A NULL err is allowed: only the status tells. */
    assert_int_equal(hd_command_parse("!vmcall pid x", &c, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_true(command_is_zero(&c));

    char *big = malloc(HD_COMMAND_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', HD_COMMAND_TEXT_MAX + 1);
    memcpy(big, "!vmcall", 7);
    big[HD_COMMAND_TEXT_MAX + 1] = '\0';
    assert_int_equal(hd_command_parse(big, &c, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.column, 0);
    assert_non_null(strstr(e.message, "command longer than"));
    big[HD_COMMAND_TEXT_MAX] = '\0'; /* exactly the maximum: fine */
    assert_int_equal(hd_command_parse(big, &c, &e), HD_OK);
    hd_command_free(&c);
    free(big);
}

/* ---- hd_command_error_format ----------------------------------------------------------- */

static void format(const char *text, char *out, size_t cap)
{
    struct hd_command c;
    struct hd_command_error e;
    assert_int_equal(hd_command_parse(text, &c, &e), HD_ERR_INVALID_ARGUMENT);
    hd_command_error_format(&e, text, out, cap);
}

static void format_puts_a_caret_under_the_token(void **state)
{
    (void)state;
    char out[512];
    format("!vmcall pid 490x", out, sizeof(out));
    assert_string_equal(out,
                        "column 13: '490x': a pid is a hex number (prefix 0n for decimal) or 'all'\n"
                        "!vmcall pid 490x\n"
                        "            ^^^^");
    format("!vmcall pid 1 code {90 zz}", out, sizeof(out));
    assert_string_equal(out + strcspn(out, "\n"),
                        "\n!vmcall pid 1 code {90 zz}\n"
                        "                       ^^");
    format("", out, sizeof(out));
    assert_string_equal(out, "column 1: empty command: expected !vmcall [options] or events "
                             "[e|d|c ID|all]\n\n^");
}

static void format_shows_the_line_of_a_multiline_command(void **state)
{
    (void)state;
    char out[512];
    format("!vmcall script {\n  x=1;\n} pid\tzz\r\n", out, sizeof(out));
    assert_string_equal(out, "column 31: 'zz': a pid is a hex number (prefix 0n for decimal) or "
                             "'all'\n"
                             "} pid\tzz\n"
                             "     \t^^");
}

static void format_without_text_or_column_is_one_line(void **state)
{
    (void)state;
    char out[512];
    struct hd_command c;
    struct hd_command_error e;
    assert_int_equal(hd_command_parse("!vmcall sc maybe", &c, &e), HD_ERR_INVALID_ARGUMENT);
    hd_command_error_format(&e, NULL, out, sizeof(out));
    assert_string_equal(out, "column 12: 'maybe': sc takes 'on' or 'off'");
    assert_int_equal(hd_command_parse(NULL, &c, &e), HD_ERR_INVALID_ARGUMENT);
    hd_command_error_format(&e, "ignored", out, sizeof(out));
    assert_string_equal(out, "no command text");
}

static void format_cuts_to_the_capacity(void **state)
{
    (void)state;
    char out[16];
    memset(out, 'X', sizeof(out));
    format("!vmcall pid 490x", out, 11);
    assert_string_equal(out, "column 13:");
    assert_int_equal(out[11], 'X'); /* nothing written past the capacity */
    format("!vmcall pid 490x", out, 1);
    assert_string_equal(out, "");
    hd_command_error_format(NULL, "x", out, sizeof(out));
    assert_string_equal(out, "");
    hd_command_error_format(NULL, "x", NULL, 0); /* no crash */
}

static void format_caret_stops_at_the_end_of_the_line(void **state)
{
    (void)state;
    char out[512];
    format("!vmcall code {90\n 90", out, sizeof(out));
    assert_string_equal(out + strcspn(out, "\n"), "\n!vmcall code {90\n             ^^^");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands),
        cmocka_unit_test(unknown_options_and_stray_bodies),
        cmocka_unit_test(missing_values_point_at_the_keyword),
        cmocka_unit_test(bad_values),
        cmocka_unit_test(output_lists),
        cmocka_unit_test(duplicate_options_are_errors),
        cmocka_unit_test(cross_checks_point_at_the_later_option),
        cmocka_unit_test(braces_and_strings),
        cmocka_unit_test(every_pid_error_says_pids_are_hex),
        cmocka_unit_test(long_tokens_are_cut_but_length_is_real),
        cmocka_unit_test(null_arguments_and_huge_text),
        cmocka_unit_test(format_puts_a_caret_under_the_token),
        cmocka_unit_test(format_shows_the_line_of_a_multiline_command),
        cmocka_unit_test(format_without_text_or_column_is_one_line),
        cmocka_unit_test(format_cuts_to_the_capacity),
        cmocka_unit_test(format_caret_stops_at_the_end_of_the_line),
    };
    return cmocka_run_group_tests_name("command errors", tests, NULL, NULL);
}
