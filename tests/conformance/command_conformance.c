/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_conformance.c — runs every row of command_cases.c through
 * hd_command_parse(), one cmocka test per row.
 *
 * An accepted row: every field the row names (and the defaults of those it does not), the
 * actions in order with their bytes, immediate and buffer; event.command is the text; the
 * bodies' columns point at their keywords; hd_command_check_supported() says what the row
 * says. Then the round trip: hd_command_format() prints the row's canonical text exactly (and
 * refuses a buffer one byte short), parsing that text gives the same command (command_same.h),
 * which prints the same text again. Nothing stays allocated after hd_command_free().
 *
 * A refused row: HD_ERR_INVALID_ARGUMENT, the exact message, column, token and length; the
 * first line of hd_command_error_format() and, for a one-line text, its caret line; the output
 * left zeroed and not one allocation left live (with and without an error struct).
 *
 * Also run here: a check that every error form of the parser has a refused row, and the API
 * checks of command_api.c (NULL arguments, hd_command_format's length limit, numbers).
 *
 * Allocations are counted by wrapping malloc/calloc/realloc/free at link time
 * (-Wl,--wrap=..., tests/CMakeLists.txt): the counting works the same in the plain, ASan and
 * TSan builds, and the sanitizers still see every block (the wrappers call the real ones).
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
#include "command_cases.h"
#include "command_same.h"

/* ---- allocation counting and failing: link-time wrappers (tests/alloc_wrap.h) ------- */

#include "../alloc_wrap.h"

/* ---- expanding `<<N*UNIT>>` and reading expected bytes ---------------------------------- */

/* @p t with every `<<N*UNIT>>` expanded (NULL stays NULL). Free with free(). */
static char *expand(const char *t)
{
    size_t cap = 64, n = 0;
    char *out;

    if (!t)
        return NULL;
    out = malloc(cap);
    assert_non_null(out);
    while (*t) {
        const char *unit, *end;
        unsigned long count = 0, rep = 1;
        size_t ulen = 1;
        if (t[0] == '<' && t[1] == '<' && t[2] >= '0' && t[2] <= '9') {
            count = strtoul(t + 2, (char **)&unit, 10);
            assert_true(*unit == '*');
            unit++;
            end = strstr(unit, ">>");
            assert_non_null(end);
            ulen = (size_t)(end - unit);
            rep = count;
        } else {
            unit = t;
            end = t + 1;
        }
        if (n + ulen * rep + 1 > cap) {
            while (n + ulen * rep + 1 > cap)
                cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        for (unsigned long i = 0; i < rep; i++, n += ulen)
            memcpy(out + n, unit, ulen);
        t = unit == t ? t + 1 : end + 2;
    }
    out[n] = '\0';
    return out;
}

/* Spaced hex ("90 C3", after expansion) into a fresh buffer; *size gets the count. */
static uint8_t *hex_bytes(const char *spaced, uint32_t *size)
{
    char *s = expand(spaced);
    size_t len = strlen(s);
    uint8_t *b = malloc(len / 2 + 1);
    uint32_t n = 0;
    assert_non_null(b);
    for (const char *p = s; *p;) {
        unsigned v;
        int used;
        if (*p == ' ') {
            p++;
            continue;
        }
        assert_int_equal(sscanf(p, "%2x%n", &v, &used), 1);
        assert_int_equal(used, 2);
        b[n++] = (uint8_t)v;
        p += used;
    }
    free(s);
    *size = n;
    return b;
}

static void bytes_are(const char *what, const uint8_t *got, uint32_t got_size, const char *want)
{
    uint32_t n;
    uint8_t *w = hex_bytes(want, &n);
    if (!got || got_size != n || memcmp(got, w, n) != 0)
        fail_msg("%s: %u bytes (first %02X), expected %u bytes", what, got_size,
                 got && got_size ? got[0] : 0, n);
    free(w);
}

/* ---- one accepted command --------------------------------------------------------------- */

static bool starts_with_ci(const char *p, const char *kw)
{
    for (; *kw; p++, kw++)
        if (*p == '\0' || (*p | 0x20) != *kw)
            return false;
    return true;
}

static void body_is(const char *what, const struct hd_command_body *b, const char *want,
                    const char *text, const char *keyword)
{
    char *w = expand(want);
    if (!w) {
        assert_null(b->text);
        assert_int_equal(b->length, 0);
        assert_int_equal(b->column, 0);
        return;
    }
    if (!b->text || strcmp(b->text, w) != 0)
        fail_msg("%s: got '%s', expected '%s'", what, b->text ? b->text : "(null)", w);
    assert_int_equal(b->length, strlen(w));
    assert_true(b->column >= 1 && b->column <= strlen(text));
    if (!starts_with_ci(text + b->column - 1, keyword))
        fail_msg("%s: column %u does not point at '%s' in '%s'", what, b->column, keyword, text);
    free(w);
}

static void outputs_are(const struct hd_command *cmd, const char *want)
{
    char *w = expand(want);
    uint32_t n = 0;
    for (char *name = w, *next; name; name = next, n++) {
        next = strchr(name, ',');
        if (next)
            *next++ = '\0';
        assert_true(n < cmd->output_count);
        assert_string_equal(cmd->outputs[n], name);
    }
    assert_int_equal(cmd->output_count, n);
    free(w);
}

/* Every field of @p cmd, parsed from @p text, against row @p c. */
/* The event's actions: @want's types in order, each with the row's bytes or the compiled
 * script, nothing else set. */
static void actions_are(const struct command_case *c, const struct hd_command *cmd,
                        const enum hd_action_type *want)
{
    const struct hd_event_desc *e = &cmd->event;
    uint32_t n = !want[0] && c->actions == CC_NONE ? 0 : want[1] ? 2 : 1;
    assert_non_null(e->actions);
    assert_int_equal(e->action_count, n);
    for (uint32_t i = 0; i < n; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        assert_int_equal(a->type, want[i]);
        assert_int_equal(a->immediate, !c->imm_no);
        assert_int_equal(a->buffer_size, a->type == HD_ACTION_BREAK ? 0 : c->buffer);
        assert_null(a->fn);
        assert_null(a->user);
        if (a->type == HD_ACTION_CODE) { /* hex, or assembled (asm code) */
            bytes_are("code", a->code, a->code_size, c->code);
        } else {
            assert_null(a->code);
            assert_int_equal(a->code_size, 0);
        }
        if (a->type == HD_ACTION_SCRIPT && (c->flags & HD_COMMAND_SCRIPT_FILE)) {
            assert_null(a->script); /* the parser reads no file: hd_command_load_script() */
            assert_int_equal(a->script_size, 0);
        } else if (a->type == HD_ACTION_SCRIPT) { /* the bytecode the parser compiled */
            assert_non_null(cmd->script_program.code);
            assert_ptr_equal(a->script, cmd->script_program.code);
            assert_int_equal(a->script_size, cmd->script_program.size);
            assert_int_equal(hd_script_verify(a->script, a->script_size, NULL), HD_OK);
        } else {
            assert_null(a->script);
            assert_int_equal(a->script_size, 0);
        }
    }
}

static void check_fields(const struct command_case *c, const struct hd_command *cmd,
                         const char *text)
{
    static const enum hd_action_type lists[][2] = {
        [CC_BREAK] = {HD_ACTION_BREAK}, [CC_CODE] = {HD_ACTION_CODE},
        [CC_SCRIPT] = {HD_ACTION_SCRIPT}, [CC_CODE_SCRIPT] = {HD_ACTION_CODE, HD_ACTION_SCRIPT},
        [CC_SCRIPT_CODE] = {HD_ACTION_SCRIPT, HD_ACTION_CODE}, [CC_NONE] = {0},
    };
    const struct hd_event_desc *e = &cmd->event;

    assert_int_equal(cmd->kind, c->kind);
    assert_int_equal(cmd->flags, c->flags);
    body_is("asm_condition", &cmd->asm_condition, c->asm_condition, text, "asm");
    body_is("asm_code", &cmd->asm_code, c->asm_code, text, "asm");
    body_is("script", &cmd->script, c->script, text, "script");
    if (c->outputs)
        outputs_are(cmd, c->outputs);
    else
        assert_int_equal(cmd->output_count, 0);
    assert_int_equal(cmd->id, c->id);
    assert_int_equal(cmd->tag, c->tag);
    assert_int_equal(cmd->sc_on, c->sc_on);

    if (c->kind != HD_COMMAND_VMCALL) {
        static const struct hd_event_desc zero;
        assert_memory_equal(e, &zero, sizeof(zero));
        assert_false(cmd->immediate);
        assert_int_equal(cmd->buffer_size, 0);
        return;
    }
    assert_int_equal(e->pid, c->pid ? (uint32_t)c->pid : HD_ALL);
    assert_int_equal(e->core, c->core ? (uint32_t)c->core : HD_ALL);
    assert_int_equal(e->stage, c->stage ? c->stage : HD_STAGE_PRE);
    assert_int_equal(e->short_circuit, c->sc);
    assert_true(e->enabled);
    assert_int_equal(e->tag, 0);
    assert_non_null(e->command);
    assert_string_equal(e->command, text);
    assert_int_equal(cmd->immediate, !c->imm_no);
    assert_int_equal(cmd->buffer_size, c->buffer);
    assert_int_equal(cmd->steps, c->steps);
    assert_int_equal(cmd->event.script_steps, c->steps);

    assert_null(e->condition.fn);
    assert_null(e->condition.user);
    if (c->condition) { /* hex, or assembled (asm condition) */
        assert_int_equal(e->condition.kind, HD_CONDITION_RAW);
        bytes_are("condition", e->condition.code, e->condition.code_size, c->condition);
    } else {
        assert_int_equal(e->condition.kind, HD_CONDITION_NONE);
        assert_null(e->condition.code);
        assert_int_equal(e->condition.code_size, 0);
    }

    /* hdevent's extension */
    assert_int_equal(e->nr_filter, c->nr_first != 0);
    assert_int_equal(e->nr_first, c->nr_first ? (uint32_t)c->nr_first : 0);
    assert_int_equal(e->nr_last, c->nr_last ? c->nr_last : c->nr_first ? (uint32_t)c->nr_first : 0);
    assert_int_equal(e->deny, c->deny);
    assert_int_equal(e->deny_rax, c->deny_rax);
    assert_int_equal(e->max_hits, c->max_hits);

    actions_are(c, cmd, lists[c->actions ? c->actions : CC_BREAK]);
    if (c->actions == CC_BREAK || c->actions == 0)
        assert_null(c->code); /* the row is consistent: no bytes to expect */
    if (c->flags & HD_COMMAND_ASM_CONDITION)
        assert_non_null(c->condition); /* an assembled condition has bytes to check */
}

static void check_supported(const struct command_case *c, const struct hd_command *cmd)
{
    struct hd_command_error err;
    memset(&err, 0x5A, sizeof(err));
    enum hd_status st = hd_command_check_supported(cmd, &err);
    assert_int_equal(st, c->supported);
    if (st == HD_OK)
        return;
    /* Only a script file not read yet (asm bodies are assembled): the token is the keyword,
     * the column the body's. */
    assert_int_equal(err.column, cmd->script.column);
    assert_string_equal(err.token, "script");
    assert_non_null(strstr(err.message, "hd_command_load_script()"));
    assert_int_equal(hd_command_check_supported(cmd, NULL), st);
}

static void parse_ok(const char *text, struct hd_command *cmd)
{
    struct hd_command_error err;
    memset(&err, 0, sizeof(err));
    enum hd_status st = hd_command_parse(text, cmd, &err);
    if (st != HD_OK)
        fail_msg("'%.200s' did not parse (%s): column %u: '%s': %s", text, hd_status_name(st),
                 err.column, err.token, err.message);
}

/* hd_command_format() of @p cmd into a fresh string; checks a buffer one byte short fails. */
static char *format(const struct hd_command *cmd)
{
    size_t cap = 4096;
    char *out;
    enum hd_status st;
    for (;;) {
        out = malloc(cap);
        assert_non_null(out);
        st = hd_command_format(cmd, out, cap);
        if (st != HD_ERR_BUFFER_TOO_SMALL)
            break;
        assert_string_equal(out, "");
        free(out);
        cap *= 4;
        assert_true(cap <= 64u * 1024 * 1024);
    }
    assert_int_equal(st, HD_OK);
    size_t len = strlen(out);
    char *short_out = malloc(len ? len : 1);
    assert_non_null(short_out);
    memset(short_out, 'X', len ? len : 1);
    assert_int_equal(hd_command_format(cmd, short_out, len ? len : 1),
                     len ? HD_ERR_BUFFER_TOO_SMALL : HD_OK);
    assert_int_equal(short_out[0], '\0');
    free(short_out);
    return out;
}

static void run_accepted(const struct command_case *c, const char *text)
{
    struct hd_command cmd, again;
    long live = alloc_wrap_live; /* before anything of this row is allocated */
    char *canonical = expand(c->canonical), *printed, *reprinted;
    const char *diff;

    assert_non_null(canonical);
    parse_ok(text, &cmd);
    check_fields(c, &cmd, text);
    check_supported(c, &cmd);

    printed = format(&cmd);
    if (strcmp(printed, canonical) != 0)
        fail_msg("hd_command_format: got '%.300s', expected '%.300s'", printed, canonical);
    parse_ok(printed, &again);
    if ((diff = cs_command_diff(&cmd, &again)) != NULL)
        fail_msg("the canonical text '%.300s' parses to another command: %s differs", printed,
                 diff);
    check_fields(c, &again, printed);
    reprinted = format(&again);
    assert_string_equal(reprinted, printed);

    hd_command_free(&cmd);
    hd_command_free(&again);
    hd_command_free(&cmd); /* a freed command is zeroed: freeing it again is a no-op */
    free(printed);
    free(reprinted);
    free(canonical);
    assert_int_equal(alloc_wrap_live, live); /* hd_command_free released everything */
}

/* ---- one refused command ---------------------------------------------------------------- */

static bool is_zero(const struct hd_command *cmd)
{
    static const struct hd_command zero;
    return memcmp(cmd, &zero, sizeof(zero)) == 0;
}

static void check_error_format(const struct command_case *c, const char *text,
                               const struct hd_command_error *err, const char *token)
{
    char line[1024], out[2048];
    size_t n;

    if (err->column)
        n = (size_t)snprintf(line, sizeof(line), "column %u: ", err->column);
    else
        n = 0;
    if (token[0])
        n += (size_t)snprintf(line + n, sizeof(line) - n, "'%s': ", token);
    snprintf(line + n, sizeof(line) - n, "%s", c->message);
    hd_command_error_format(err, text, out, sizeof(out));
    n = strcspn(out, "\n");
    if (strlen(line) != n || memcmp(out, line, n) != 0)
        fail_msg("hd_command_error_format: got '%.*s', expected '%s'", (int)n, out, line);

    /* One plain line: the text, then carets under the token (cut at the end of the line). */
    size_t len = strlen(text);
    if (!err->column || len > 200 || strpbrk(text, "\n\r\t\v\f"))
        return;
    size_t off = err->column - 1, carets = err->length ? err->length : 1;
    if (off + carets > len)
        carets = len > off ? len - off : 1;
    snprintf(line, sizeof(line), "%s\n%*s", text, (int)off, "");
    memset(line + strlen(line), '^', carets);
    line[len + 1 + off + carets] = '\0';
    if (strcmp(out + n + 1, line) != 0)
        fail_msg("caret lines: got\n%s\nexpected\n%s", out + n + 1, line);
}

static void run_refused(const struct command_case *c, const char *text)
{
    struct hd_command cmd;
    struct hd_command_error err;
    char *token = expand(c->token);
    long live = alloc_wrap_live; /* token stays allocated until the end */
    enum hd_status st;

    memset(&cmd, 0xA5, sizeof(cmd)); /* garbage in: the parser must zero it */
    memset(&err, 0x5A, sizeof(err));
    st = hd_command_parse(text, &cmd, &err);
    if (st == HD_OK)
        hd_command_free(&cmd);
    if (st != (c->error ? c->error : HD_ERR_INVALID_ARGUMENT))
        fail_msg("expected %s, got %s",
                 hd_status_name(c->error ? c->error : HD_ERR_INVALID_ARGUMENT),
                 hd_status_name(st));
    assert_true(is_zero(&cmd));
    assert_int_equal(alloc_wrap_live, live); /* nothing allocated remains */

    if (strcmp(err.message, c->message) != 0 || err.column != c->column ||
        strcmp(err.token, token) != 0)
        fail_msg("got column %u token '%s' message '%s'\nexpected column %u token '%s' message "
                 "'%s'",
                 err.column, err.token, err.message, c->column, token, c->message);
    assert_int_equal(err.length, c->length ? c->length : strlen(token));
    check_error_format(c, text, &err, token);

    /* Without an error struct: the same status, the same nothing left behind. */
    memset(&cmd, 0xA5, sizeof(cmd));
    assert_int_equal(hd_command_parse(text, &cmd, NULL),
                     c->error ? c->error : HD_ERR_INVALID_ARGUMENT);
    assert_true(is_zero(&cmd));
    assert_int_equal(alloc_wrap_live, live);
    free(token);
}

static void run_row(void **state)
{
    const struct command_case *c = *state;
    char *text = expand(c->text);
    if (c->message)
        run_refused(c, text);
    else
        run_accepted(c, text);
    free(text);
}

/* ---- checks of the table and the API around it ----------------------------------------- */

/* Every error the parser can give (each hd__cmd_fail in libhdevent/user/command*.c) is some
 * refused row's message, or starts it. */
static void table_covers_every_error_form(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "command longer than", "empty command: ", "unknown command: expected",
        "unknown command: the event command is !vmcall", "unterminated string: ",
        "unterminated '{'", "unmatched '}'", "a {...} body is not a number: a pid",
        "a {...} body is not a number: a core", "a {...} body is not a number: a buffer",
        "a {...} body is not a number: an event ID", "no digits: a pid", "no digits: a core",
        "no digits: a buffer", "no digits: an event ID", "too large, the most is 0xFFFFFFFF: a pid",
        "too large, the most is 0xFFFFFFFF: a core", "too large, the most is 0x100000: a buffer",
        "too large, the most is 0xFFFFFFFFFEFFFFFE: an event ID", "a pid is a hex number",
        "a core is a hex number", "a buffer size is a hex number", "an event ID is a hex number",
        "a '0x' or '\\x' prefix without hex digits: code",
        "a '0x' or '\\x' prefix without hex digits: condition", "not hex bytes: code",
        "not hex bytes: condition", "empty body: code", "empty body: condition",
        "too long: code", "too long: condition", "empty body: asm code",
        "empty body: asm condition", "empty script: ", "no path after 'file:': ",
        "empty output list: ", "empty output name: ", "an output name is one word",
        "output name longer than 63", "more than 5 output names", "output name listed twice",
        "expected a {...} body: condition", "expected a {...} body: code",
        "expected a {...} body: asm condition", "expected a {...} body: asm code",
        "expected a {...} body: script", "expected a {...} body: output", "imm takes",
        "sc takes", "stage takes", "'sc on' needs stage pre", "'imm no' cannot be used with output",
        "missing 'condition' or 'code': ", "'asm' applies to condition or code",
        "unknown option: ", "a {...} body must follow", "pid given twice", "core given twice",
        "imm given twice", "sc given twice", "stage given twice", "buffer given twice",
        "condition given twice", "code given twice", "script given twice", "output given twice",
        "missing value: a pid", "missing value: a core", "missing value: imm",
        "missing value: sc", "missing value: stage", "missing value: a buffer",
        "missing value: condition", "missing value: code", "missing value: asm condition",
        "missing value: asm code", "missing value: script", "missing value: output",
        "asm code: ", "asm condition: ",
        "unknown events action: ", "missing event ID: ", "missing value: events sc",
        "events sc takes", "unexpected text after the command: events sc",
        "unexpected text after the command: events e|d|c",
        "steps limits the instructions", "a step budget of 0", "a step budget is",
        "no digits: a step budget", "too large, the most is 0x1000000: a step budget",
        "a {...} body is not a number: a step budget", "missing value: a step budget",
        "steps given twice", "script line ",
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        bool found = false;
        for (unsigned i = 0; i < command_case_count && !found; i++)
            found = command_cases[i].message &&
                    strncmp(command_cases[i].message, forms[f], strlen(forms[f])) == 0;
        if (!found)
            fail_msg("no refused row for the error \"%s\"", forms[f]);
    }
    for (unsigned i = 0; i < command_case_count; i++) {
        const struct command_case *c = &command_cases[i];
        assert_non_null(c->name);
        assert_non_null(c->text);
        assert_true(c->message ? c->canonical == NULL : c->canonical != NULL);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(command_cases[j].name, c->name) == 0)
                fail_msg("two rows are named %s", c->name);
    }
}

/* The wrappers see the parser's allocations: otherwise the leak checks above prove nothing. */
static void allocation_counting_is_active(void **state)
{
    (void)state;
    struct hd_command cmd;
    unsigned long calls = alloc_wrap_calls;
    long live = alloc_wrap_live;
    assert_int_equal(hd_command_parse("!vmcall code {90}", &cmd, NULL), HD_OK);
    assert_true(alloc_wrap_calls > calls);
    assert_true(alloc_wrap_live > live);
    hd_command_free(&cmd);
    assert_int_equal(alloc_wrap_live, live);
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void **);
    } extra[] = {
        {"table_covers_every_error_form", table_covers_every_error_form},
        {"allocation_counting_is_active", allocation_counting_is_active},
        {"api_null_arguments", command_api_null_arguments},
        {"format_stays_within_the_text_limit", command_api_format_stays_within_the_text_limit},
        {"number_forms", command_api_number_forms},
    };
    const size_t n_extra = sizeof(extra) / sizeof(extra[0]);
    struct CMUnitTest *tests = calloc(command_case_count + n_extra, sizeof(*tests));
    int failed;

    if (!tests)
        return 1;
    for (size_t i = 0; i < n_extra; i++) {
        tests[i].name = extra[i].name;
        tests[i].test_func = extra[i].fn;
    }
    for (unsigned i = 0; i < command_case_count; i++) {
        tests[n_extra + i].name = command_cases[i].name;
        tests[n_extra + i].test_func = run_row;
        tests[n_extra + i].initial_state = (void *)&command_cases[i];
    }
    failed = _cmocka_run_group_tests("command_conformance", tests, command_case_count + n_extra,
                                     NULL, NULL);
    free(tests);
    return failed;
}
