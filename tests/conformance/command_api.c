/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_api.c — the parser's API around the table: NULL arguments,
 * hd_command_format()'s length limit, hd_command_number(). Run by command_conformance.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_api.h"
#include "command_same.h"

static bool is_zero(const struct hd_command *cmd)
{
    static const struct hd_command zero;
    return memcmp(cmd, &zero, sizeof(zero)) == 0;
}

static void parse_ok(const char *text, struct hd_command *cmd)
{
    struct hd_command_error err;
    enum hd_status st = hd_command_parse(text, cmd, &err);
    if (st != HD_OK)
        fail_msg("'%.80s...' did not parse (%s): column %u: %s", text, hd_status_name(st),
                 err.column, err.message);
}

void command_api_null_arguments(void **state)
{
    (void)state;
    struct hd_command cmd;
    struct hd_command_error err;
    char out[16];

    memset(&cmd, 0xA5, sizeof(cmd));
    assert_int_equal(hd_command_parse(NULL, &cmd, &err), HD_ERR_INVALID_ARGUMENT);
    assert_true(is_zero(&cmd));
    assert_string_equal(err.message, "no command text");
    assert_int_equal(err.column, 0);
    assert_string_equal(err.token, "");
    assert_int_equal(hd_command_parse("!vmcall", NULL, &err), HD_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.message, "no struct hd_command to fill");
    assert_int_equal(err.column, 0);
    assert_int_equal(hd_command_check_supported(NULL, &err), HD_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.message, "no command");
    memset(&cmd, 0, sizeof(cmd));
    assert_int_equal(hd_command_format(NULL, out, sizeof(out)), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_command_format(&cmd, NULL, 8), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_command_format(&cmd, out, 0), HD_ERR_INVALID_ARGUMENT);
    cmd.kind = (enum hd_command_kind)99;
    assert_int_equal(hd_command_format(&cmd, out, sizeof(out)), HD_ERR_INVALID_ARGUMENT);
    hd_command_free(NULL);
}

/* A canonical text is never longer than the parser takes: at the limit it prints and parses
 * back; a command that fits only because its hex is packed ({9090}: 2 characters a byte, the
 * canonical form 3) is refused by hd_command_format rather than printed unparseable. */
void command_api_format_stays_within_the_text_limit(void **state)
{
    (void)state;
    const size_t max = HD_COMMAND_TEXT_MAX;
    char *text = malloc(max + 1), *out = malloc(2 * max), *p;
    struct hd_command cmd, again;
    assert_non_null(text);
    assert_non_null(out);

    /* `!vmcall script {//xxx…}`, exactly max bytes (a script that is one comment):
     * canonical is the text itself. */
    p = text + sprintf(text, "!vmcall script {//");
    memset(p, 'x', max - 19);
    strcpy(p + max - 19, "}");
    assert_int_equal(strlen(text), max);
    parse_ok(text, &cmd);
    assert_int_equal(hd_command_format(&cmd, out, 2 * max), HD_OK);
    assert_string_equal(out, text);
    parse_ok(out, &again);
    assert_null(cs_command_diff(&cmd, &again));
    hd_command_free(&again);
    hd_command_free(&cmd);

    /* Two 65535-byte packed bodies and a script filling up to max: +65537 characters each. */
    p = text + sprintf(text, "!vmcall condition {");
    for (int i = 0; i < 65535; i++, p += 2)
        memcpy(p, "90", 2);
    p += sprintf(p, "} code {");
    for (int i = 0; i < 65535; i++, p += 2)
        memcpy(p, "90", 2);
    p += sprintf(p, "} script {//");
    memset(p, 'x', max - (size_t)(p - text) - 1);
    strcpy(text + max - 1, "}");
    assert_int_equal(strlen(text), max);
    parse_ok(text, &cmd);
    memset(out, 'X', 16);
    assert_int_equal(hd_command_format(&cmd, out, 2 * max), HD_ERR_TOO_LARGE);
    assert_string_equal(out, "");
    hd_command_free(&cmd);
    free(text);
    free(out);
}

/* hd_command_number(): the same number rules, for scenario files and the tool's options. */
void command_api_number_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        uint64_t max;
        enum hd_status status;
        uint64_t value;
    } rows[] = {
        {"490", 0, HD_ALL, HD_OK, 0x490},
        {"0x490", 0, HD_ALL, HD_OK, 0x490},
        {"\\X490", 0, HD_ALL, HD_OK, 0x490},
        {"0N1168", 0, HD_ALL, HD_OK, 1168},
        {"\\n1168", 0, HD_ALL, HD_OK, 1168},
        {"n1`168", 0, HD_ALL, HD_OK, 1168},
        {"ffffffff", 0, HD_ALL, HD_OK, 0xFFFFFFFF},
        {"100000000", 0, HD_ALL, HD_ERR_TOO_LARGE, 0},
        {"100000000", 0, UINT64_MAX, HD_OK, 0x100000000ull},
        {"ffffffff`ffffffff", 0, UINT64_MAX, HD_OK, UINT64_MAX},
        {"10000000000000000", 0, UINT64_MAX, HD_ERR_TOO_LARGE, 0},
        {"0n18446744073709551615", 0, UINT64_MAX, HD_OK, UINT64_MAX},
        {"0n18446744073709551616", 0, UINT64_MAX, HD_ERR_TOO_LARGE, 0},
        {"11", 0, 0x10, HD_ERR_TOO_LARGE, 0},
        {"10", 0, 0x10, HD_OK, 0x10},
        {"490zzz", 3, HD_ALL, HD_OK, 0x490}, /* only len bytes are read */
        {"", 0, HD_ALL, HD_ERR_INVALID_ARGUMENT, 0},
        {"0x", 0, HD_ALL, HD_ERR_INVALID_ARGUMENT, 0},
        {"12g", 0, HD_ALL, HD_ERR_INVALID_ARGUMENT, 0},
        {" 1", 0, HD_ALL, HD_ERR_INVALID_ARGUMENT, 0},
        {"all", 0, HD_ALL, HD_ERR_INVALID_ARGUMENT, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint64_t v = 0xDEADBEEF;
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].text);
        enum hd_status st = hd_command_number(rows[i].text, len, rows[i].max, &v);
        if (st != rows[i].status || (st == HD_OK && v != rows[i].value))
            fail_msg("hd_command_number('%s'): %s 0x%llX", rows[i].text, hd_status_name(st),
                     (unsigned long long)v);
        if (st != HD_OK)
            assert_int_equal(v, 0xDEADBEEF); /* untouched on failure */
    }
    uint64_t v;
    assert_int_equal(hd_command_number(NULL, 1, HD_ALL, &v), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_command_number("1", 1, HD_ALL, NULL), HD_ERR_INVALID_ARGUMENT);
}
