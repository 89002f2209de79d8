/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure in the command parser: "on failure *out is zeroed, with nothing
 * allocated" (command.h) must hold when malloc itself fails, at every allocation.
 *
 * For each command the test makes the n-th allocation call fail, n = 0, 1, 2, …, until a
 * parse runs without reaching the injected failure. After every failed attempt:
 *   - the status is HD_ERR_NO_MEMORY and the error says so, with no column and no token;
 *   - the parser stopped at once (the failing call was its last allocation call);
 *   - *out is all zero and no block it allocated is still live;
 * and at the end, the number of failure points equals the allocations the command needs (so
 * every one was failed once), and the parse gives what an undisturbed parse gives. Commands
 * that are refused after allocating (a bad value after a code body, a cross-check) must free
 * what they had either way.
 *
 * malloc/calloc/realloc/free are wrapped at link time (-Wl,--wrap=…, tests/CMakeLists.txt):
 * the wrappers only count and fail, then call the real functions, so the ASan and TSan builds
 * still check every block. No hook in the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hdevent/command.h>

#include "../conformance/command_same.h"

/* ---- allocation counting and failing: link-time wrappers (tests/alloc_wrap.h) ------- */

#include "../alloc_wrap.h"

/* ---- the commands ----------------------------------------------------------------------- */

struct alloc_case {
    const char *name;
    const char *text;
    /** Allocation calls a successful (or, for a refused command, complete) parse makes. */
    unsigned long allocs;
    /** HD_OK, or HD_ERR_INVALID_ARGUMENT for a command refused after allocating. */
    enum hd_status status;
};

static const struct alloc_case cases[] = {
    /* actions + the command text */
    {"bare_vmcall", "!vmcall", 2, HD_OK},
    /* + condition bytes + code bytes */
    {"condition_and_code", "!vmcall pid 490 core 2 condition {90 90} code {48 31 C0}", 4, HD_OK},
    /* + two asm texts, and per body the assembler's statements, bytes and lines, and the
     * bytes with the RET */
    {"asm_condition_and_asm_code", "!vmcall asm condition {nop} asm code {nop; nop}", 12, HD_OK},
    /* + labels, data and the label index */
    {"asm_labels_and_data", "!vmcall asm code {l: nop; jmp l; db 1}", 10, HD_OK},
    /* + the script text, and its compilation: the compiler's state, its node arena, code,
     * strings (here; constants and locals when it has some), and the bytecode */
    {"script", "!vmcall script { printf(\"%llx\\n\", $context); }", 8, HD_OK},
    {"script_file_and_output", "!vmcall script {file:/tmp/x.ds} output {a, b}", 3, HD_OK},
    {"everything", "!vmcall pid 490 imm yes buffer 40 stage pre sc on condition {90} code {90} "
                   "script {x = 1;} output {a,b,c,d,e}", 11, HD_OK},
    {"asm_condition_code_script", "!vmcall code {90} asm condition {nop} script {y = 2;}", 15,
     HD_OK},
    /* events commands allocate nothing */
    {"events_list", "events", 0, HD_OK},
    {"events_enable", "events e 1", 0, HD_OK},
    {"events_sc", "events sc on", 0, HD_OK},
    /* refused after allocating: what was allocated is freed whichever way it ends */
    {"bad_pid_after_bodies", "!vmcall code {90} script {x = 1;} pid 490x", 8,
     HD_ERR_INVALID_ARGUMENT},
    {"cross_check_after_condition", "!vmcall condition {90} stage post sc on", 1,
     HD_ERR_INVALID_ARGUMENT},
    {"duplicate_after_asm", "!vmcall asm code {nop} code {90}", 1, HD_ERR_INVALID_ARGUMENT},
    {"assembly_error", "!vmcall asm code {nop; movx}", 2, HD_ERR_INVALID_ARGUMENT},
    {"unterminated_after_code", "!vmcall code {90} condition {90", 1, HD_ERR_INVALID_ARGUMENT},
};

static bool is_zero(const struct hd_command *cmd)
{
    static const struct hd_command zero;
    return memcmp(cmd, &zero, sizeof(zero)) == 0;
}

/* One attempt with allocation call @p fail_at failing; returns the calls it made. */
static unsigned long attempt(const char *text, unsigned long fail_at, struct hd_command *out,
                             struct hd_command_error *err, enum hd_status *st)
{
    unsigned long calls;
    memset(out, 0xA5, sizeof(*out)); /* garbage in: the parser must zero it on failure */
    if (err)
        memset(err, 0x5A, sizeof(*err));
    alloc_wrap_calls = 0;
    alloc_wrap_fail_at = fail_at;
    *st = hd_command_parse(text, out, err);
    calls = alloc_wrap_calls;
    alloc_wrap_fail_at = ALLOC_WRAP_NEVER;
    return calls;
}

static void check_no_memory(const struct alloc_case *c, unsigned long n)
{
    struct hd_command out;
    struct hd_command_error err;
    enum hd_status st;
    char line[512];
    long live = alloc_wrap_live;
    unsigned long calls = attempt(c->text, n, &out, &err, &st);

    if (st != HD_ERR_NO_MEMORY)
        fail_msg("%s: allocation %lu failed but the parse returned %s", c->name, n,
                 hd_status_name(st));
    if (calls != n + 1)
        fail_msg("%s: allocation %lu failed but the parser went on (%lu calls)", c->name, n,
                 calls);
    assert_true(is_zero(&out));
    assert_int_equal(alloc_wrap_live, live);
    assert_int_equal(err.column, 0);
    assert_int_equal(err.length, 0);
    assert_string_equal(err.token, "");
    assert_string_equal(err.message, "out of memory while parsing the command");
    hd_command_error_format(&err, c->text, line, sizeof(line));
    assert_string_equal(line, "out of memory while parsing the command");

    /* The same failure without an error struct. */
    calls = attempt(c->text, n, &out, NULL, &st);
    assert_int_equal(st, HD_ERR_NO_MEMORY);
    assert_true(is_zero(&out));
    assert_int_equal(alloc_wrap_live, live);
}

static void run_case(void **state)
{
    const struct alloc_case *c = *state;
    struct hd_command ref, out;
    struct hd_command_error ref_err, err;
    enum hd_status ref_st, st;
    long live = alloc_wrap_live;
    unsigned long n, calls;

    /* Undisturbed, for comparison. */
    calls = attempt(c->text, ALLOC_WRAP_NEVER, &ref, &ref_err, &ref_st);
    assert_int_equal(ref_st, c->status);
    assert_int_equal(calls, c->allocs);

    for (n = 0;; n++) {
        assert_true(n <= c->allocs); /* the parse must end once no call fails */
        long before = alloc_wrap_live;
        calls = attempt(c->text, n, &out, &err, &st);
        if (calls > n) { /* the injected failure was reached */
            if (st == HD_OK)
                hd_command_free(&out);
            assert_int_equal(alloc_wrap_live, before);
            check_no_memory(c, n);
            continue;
        }
        /* No failure reached: as undisturbed. */
        assert_int_equal(st, c->status);
        if (st == HD_OK) {
            const char *diff = cs_command_diff(&out, &ref);
            if (diff)
                fail_msg("%s: parse after %lu failure points differs: %s", c->name, n, diff);
            assert_string_equal(out.event.command ? out.event.command : "",
                                ref.event.command ? ref.event.command : "");
            hd_command_free(&out);
        } else {
            assert_true(is_zero(&out));
            assert_int_equal(err.column, ref_err.column);
            assert_string_equal(err.message, ref_err.message);
        }
        assert_int_equal(alloc_wrap_live, before);
        break;
    }
    /* Every allocation was failed once. */
    assert_int_equal(n, c->allocs);
    hd_command_free(&ref);
    assert_int_equal(alloc_wrap_live, live);
}

/* A failure at any single allocation of a long command also leaves nothing: the 65536-byte
 * code body is the largest allocation the parser makes. */
static void large_code_body(void **state)
{
    (void)state;
    static char text[16 + 2 * 65535 + 2];
    struct hd_command out;
    struct hd_command_error err;
    enum hd_status st;
    long live = alloc_wrap_live;

    memcpy(text, "!vmcall code {", 14);
    for (size_t i = 0; i < 65535; i++)
        memcpy(text + 14 + 2 * i, "90", 2);
    memcpy(text + 14 + 2 * 65535, "}", 2);
    for (unsigned long n = 0; n < 3; n++) {
        attempt(text, n, &out, &err, &st);
        assert_int_equal(st, HD_ERR_NO_MEMORY);
        assert_true(is_zero(&out));
        assert_int_equal(alloc_wrap_live, live);
    }
    assert_int_equal(attempt(text, 3, &out, &err, &st), 3);
    assert_int_equal(st, HD_OK);
    assert_int_equal(out.event.actions[0].code_size, 65536);
    hd_command_free(&out);
    assert_int_equal(alloc_wrap_live, live);
}

/* The wrappers are in place: otherwise every check above passes vacuously. */
static void allocator_is_wrapped(void **state)
{
    (void)state;
    struct hd_command out;
    struct hd_command_error err;
    assert_int_equal(hd_command_parse("!vmcall", &out, &err), HD_OK);
    hd_command_free(&out);
    alloc_wrap_calls = 0;
    alloc_wrap_fail_at = 0;
    assert_int_equal(hd_command_parse("!vmcall", &out, &err), HD_ERR_NO_MEMORY);
    alloc_wrap_fail_at = ALLOC_WRAP_NEVER;
    assert_int_equal(alloc_wrap_calls, 1);
}

int main(void)
{
    const size_t n = sizeof(cases) / sizeof(cases[0]);
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 2];
    memset(tests, 0, sizeof(tests));
    tests[0].name = "allocator_is_wrapped";
    tests[0].test_func = allocator_is_wrapped;
    tests[1].name = "large_code_body";
    tests[1].test_func = large_code_body;
    for (size_t i = 0; i < n; i++) {
        tests[i + 2].name = cases[i].name;
        tests[i + 2].test_func = run_case;
        tests[i + 2].initial_state = (void *)&cases[i];
    }
    return _cmocka_run_group_tests("command allocation failure", tests, n + 2, NULL, NULL);
}
