/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/code_conformance.c — runs the code-validation table (code_cases.c): one
 * cmocka test per row, named after it.
 *
 * For each row: hd_code_validate() in the default mode gives exactly the row's findings, in
 * order, and HD_OK unless one is an error; with HD_CODE_STRICT the same findings, every one an
 * error; each finding has an instruction text and a message that names its offset; the report
 * is the same when run twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/code.h>

#include "code_cases.h"

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        unsigned v;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &v) != 1 || n == cap)
            fail_msg("bad hex in row: %s", hex);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* "E name@0xOFF, W name@0xOFF" of a report; every warning as an error when @p all_errors. */
static void describe(const struct hd_code_report *r, bool all_errors, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < r->finding_count && n < cap; i++) {
        const struct hd_code_finding *f = &r->findings[i];
        n += (size_t)snprintf(buf + n, cap - n, "%s%c %s@0x%X", i ? ", " : "",
                              f->error || all_errors ? 'E' : 'W', hd_code_finding_name(f->kind),
                              f->offset);
    }
}

static void check_report(const struct code_case *row, const struct hd_code_report *r,
                         enum hd_status st, const char *want, bool strict)
{
    char got[1024], at[32];

    describe(r, false, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s%s: findings '%s', wanted '%s'", row->name, strict ? " (strict)" : "", got,
                 want);
    assert_int_equal(r->errors + r->warnings, r->finding_count);
    assert_int_equal(st, strchr(want, 'E') && (want[0] == 'E' || strstr(want, ", E"))
                             ? HD_ERR_INVALID_CODE
                             : HD_OK);
    for (uint32_t i = 0; i < r->finding_count; i++) {
        const struct hd_code_finding *f = &r->findings[i];
        snprintf(at, sizeof(at), "0x%X", f->offset);
        assert_true(f->message[0] != 0);
        if (f->kind != HD_CODE_EMPTY)
            assert_true(f->instruction[0] != 0);
        if (f->kind != HD_CODE_EMPTY && !strstr(f->message, at))
            fail_msg("%s: message '%s' does not name offset %s", row->name, f->message, at);
    }
}

static void run_row(void **state)
{
    const struct code_case *row = *state;
    static uint8_t code[4096];
    struct hd_code_report r, again;
    char strict_want[1024];
    size_t n = parse_hex(row->hex, code, sizeof(code));
    enum hd_status st;

    st = hd_code_validate(code, n, 0, &r);
    check_report(row, &r, st, row->findings, false);
    assert_int_equal(hd_code_validate(code, n, 0, &again), st);
    assert_memory_equal(&r, &again, sizeof(r));

    snprintf(strict_want, sizeof(strict_want), "%s", row->findings);
    for (char *p = strict_want; *p; p++)
        if (*p == 'W' && (p == strict_want || p[-1] == ' '))
            *p = 'E';
    st = hd_code_validate(code, n, HD_CODE_STRICT, &r);
    check_report(row, &r, st, strict_want, true);
}

static void rows_have_unique_names(void **state)
{
    (void)state;
    for (unsigned i = 0; i < code_case_count; i++)
        for (unsigned j = 0; j < i; j++)
            if (strcmp(code_cases[i].name, code_cases[j].name) == 0)
                fail_msg("two rows are named %s", code_cases[i].name);
}

/* Every finding kind has a name and at least one row (empty and too-complex are in
 * tests/unit/test_code_validate.c). */
static void every_finding_kind_has_a_row(void **state)
{
    (void)state;
    for (int k = HD_CODE_EMPTY; k <= HD_CODE_TOO_COMPLEX; k++) {
        const char *name = hd_code_finding_name((enum hd_code_finding_kind)k);
        char needle[64];
        bool found = false;

        assert_string_not_equal(name, "unknown");
        if (k == HD_CODE_EMPTY || k == HD_CODE_TOO_COMPLEX)
            continue;
        snprintf(needle, sizeof(needle), " %s@", name);
        for (unsigned i = 0; i < code_case_count && !found; i++)
            found = strstr(code_cases[i].findings, needle) != NULL;
        if (!found)
            fail_msg("no row finds %s", name);
    }
    assert_string_equal(hd_code_finding_name((enum hd_code_finding_kind)(HD_CODE_TOO_COMPLEX + 1)),
                        "unknown");
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void **);
    } extra[] = {
        {"rows_have_unique_names", rows_have_unique_names},
        {"every_finding_kind_has_a_row", every_finding_kind_has_a_row},
    };
    const size_t n_extra = sizeof(extra) / sizeof(extra[0]);
    struct CMUnitTest *tests = calloc(code_case_count + n_extra, sizeof(*tests));
    int failed;

    if (!tests)
        return 1;
    for (size_t i = 0; i < n_extra; i++) {
        tests[i].name = extra[i].name;
        tests[i].test_func = extra[i].fn;
    }
    for (unsigned i = 0; i < code_case_count; i++) {
        tests[n_extra + i].name = code_cases[i].name;
        tests[n_extra + i].test_func = run_row;
        tests[n_extra + i].initial_state = (void *)&code_cases[i];
    }
    failed = _cmocka_run_group_tests("code_conformance", tests, code_case_count + n_extra, NULL,
                                     NULL);
    free(tests);
    return failed;
}
