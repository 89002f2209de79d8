/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/command_helpers.h — helpers of the command-parser tests (test_command_*.c).
 *
 *   - parse_ok(text): parse, assert HD_OK, return the command (free it with hd_command_free).
 *   - parse_fails(text, column, token, words): assert the parse fails with HD_ERR_INVALID_ARGUMENT,
 *     that the error has this column and token and that its message holds @p words; also that
 *     the output was left zeroed (nothing allocated). ASan checks nothing leaked.
 *   - code_is(): compare an owned code buffer with expected bytes.
 */
#ifndef HDEVENT_TESTS_UNIT_COMMAND_HELPERS_H
#define HDEVENT_TESTS_UNIT_COMMAND_HELPERS_H

#include "helpers.h"

#include <stdio.h>

#include <hdevent/command.h>

static inline struct hd_command parse_ok(const char *text)
{
    struct hd_command c;
    struct hd_command_error e;
    enum hd_status st;
    memset(&e, 0, sizeof(e));
    st = hd_command_parse(text, &c, &e);
    if (st != HD_OK)
        fail_msg("'%s' did not parse: column %u: '%s': %s", text, e.column, e.token, e.message);
    return c;
}

/** All-zero: what a failed parse must leave behind. */
static inline bool command_is_zero(const struct hd_command *c)
{
    static const struct hd_command zero;
    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static inline struct hd_command_error parse_fails(const char *text, uint32_t column,
                                                  const char *token, const char *words)
{
    struct hd_command c;
    struct hd_command_error e;
    enum hd_status st;
    memset(&c, 0xA5, sizeof(c)); /* garbage in: the parser must zero it */
    memset(&e, 0, sizeof(e));
    st = hd_command_parse(text, &c, &e);
    if (st != HD_ERR_INVALID_ARGUMENT) {
        if (st == HD_OK)
            hd_command_free(&c);
        fail_msg("'%s': expected HD_ERR_INVALID_ARGUMENT, got %s", text, hd_status_name(st));
    }
    assert_true(command_is_zero(&c));
    if (e.column != column || strcmp(e.token, token) != 0 || !strstr(e.message, words))
        fail_msg("'%s': got column %u token '%s' message '%s'; expected column %u token '%s' "
                 "message with '%s'",
                 text, e.column, e.token, e.message, column, token, words);
    assert_true(strlen(e.message) > 0);
    return e;
}

static inline void code_is(const uint8_t *code, uint32_t size, const uint8_t *want,
                           uint32_t want_size)
{
    assert_non_null(code);
    assert_int_equal(size, want_size);
    assert_memory_equal(code, want, want_size);
}

#define CODE_IS(code, size, ...)                                                                \
    do {                                                                                        \
        static const uint8_t want_[] = {__VA_ARGS__};                                           \
        code_is((code), (size), want_, (uint32_t)sizeof(want_));                                \
    } while (0)

#endif /* HDEVENT_TESTS_UNIT_COMMAND_HELPERS_H */
