/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/script_helpers.h — compile a script, register it on the host backend, take an
 * exit, and read what it printed. Static inline only, like helpers.h (which it includes).
 *
 *   - compile_ok(text): the bytecode (asserting it compiles);
 *   - compile_err(text, line, column, message part): asserting the error;
 *   - reg_script(f, text, steps, buffer): an event on every core and pid with one script action;
 *   - script_output(f, core, pid, regs, out, cap): take an exit, concatenate every printf of
 *     it into out, and return the exit; errors go to a separate log (script_errors);
 *   - expect_output(f, text, expected): one script, one exit with the standard registers,
 *     exactly `expected` printed and no run error; the event is cleared again.
 */
#ifndef HDEVENT_TESTS_UNIT_SCRIPT_HELPERS_H
#define HDEVENT_TESTS_UNIT_SCRIPT_HELPERS_H

#include "helpers.h"

#include <stdio.h>

#include <hdevent/script.h>

/* The registers every expect_output() exit starts with: easy to tell apart. */
#define SX_RAX 0x1111111111111111ull
#define SX_RBX 0x8000000000000005ull
#define SX_RCX 0x00000000FFFFFFFFull
#define SX_RDX 0x123456789ABCDEF0ull

static inline struct hd_guest_regs sx_regs(void)
{
    struct hd_guest_regs r;
    memset(&r, 0, sizeof(r));
    r.rax = SX_RAX;
    r.rbx = SX_RBX;
    r.rcx = SX_RCX;
    r.rdx = SX_RDX;
    for (unsigned i = 4; i < HD_GUEST_REG_COUNT; i++)
        *hd_guest_reg(&r, i) = 0x100 * i + i; /* rsp 0x404, rbp 0x505, …, r15 0xF0F */
    return r;
}

static inline struct hd_script_program compile_ok(const char *text)
{
    struct hd_script_program p;
    struct hd_script_error e;
    enum hd_status st = hd_script_compile(text, &p, &e);
    if (st != HD_OK)
        fail_msg("'%s' did not compile: line %u, column %u: %s", text, e.line, e.column,
                 e.message);
    assert_int_equal(hd_script_verify(p.code, p.size, NULL), HD_OK);
    return p;
}

static inline void compile_err(const char *text, uint32_t line, uint32_t column,
                               const char *part)
{
    struct hd_script_program p;
    struct hd_script_error e;
    enum hd_status st = hd_script_compile(text, &p, &e);
    if (st != HD_ERR_SCRIPT_COMPILE || e.line != line || e.column != column ||
        !strstr(e.message, part))
        fail_msg("'%s': got %s at line %u, column %u: '%s'; expected line %u, column %u with "
                 "'%s'",
                 text, hd_status_name(st), e.line, e.column, e.message, line, column, part);
    assert_null(p.code);
    assert_int_equal(p.size, 0);
}

/* Register an event on every core and pid holding the script @text (and @buffer bytes). */
static inline uint64_t reg_script_on(struct fx *f, const char *text, uint32_t core, uint32_t pid,
                                     uint32_t steps, uint32_t buffer)
{
    struct hd_script_program p = compile_ok(text);
    struct hd_action_desc a;
    struct hd_event_desc d;
    uint64_t tag;

    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    a.buffer_size = buffer;
    d = ev_desc(core, pid, HD_STAGE_PRE, false, &a, 1);
    d.script_steps = steps;
    tag = reg_desc(f, &d);
    hd_script_program_free(&p); /* the engine keeps its own copy */
    return tag;
}

static inline uint64_t reg_script(struct fx *f, const char *text, uint32_t steps, uint32_t buffer)
{
    return reg_script_on(f, text, HD_ALL, HD_ALL, steps, buffer);
}

/* Run errors of the last script_output(), "NAME: what (instruction N)" joined by '|'. */
static inline char *script_errors(void)
{
    static char log[2048];
    return log;
}

/* Take every queued message: printf text into @out, errors into script_errors(). */
static inline unsigned drain(struct fx *f, char *out, size_t cap)
{
    struct hd_message_info info;
    char data[1024];
    size_t n = 0, e = 0;
    unsigned count = 0;

    out[0] = '\0';
    script_errors()[0] = '\0';
    while (hd_message_read(f->engine, &info, data, sizeof(data) - 1) == HD_OK) {
        size_t len = info.size < sizeof(data) - 1 ? info.size : sizeof(data) - 1;
        data[len] = '\0';
        count++;
        if (info.kind == HD_MESSAGE_SCRIPT_ERROR) {
            const char *name = hd_status_name(info.status);
            assert_int_equal(strncmp(data, name, strlen(name)), 0); /* "NAME: what" */
            e += (size_t)snprintf(script_errors() + e, 2048 - e, "%s%s", e ? "|" : "", data);
            continue;
        }
        assert_int_equal(info.kind, HD_MESSAGE_PRINT);
        if (n + len < cap) {
            memcpy(out + n, data, len);
            n += len;
            out[n] = '\0';
        }
    }
    return count;
}

static inline struct hd_exit script_output(struct fx *f, uint32_t core, uint32_t pid,
                                           struct hd_guest_regs *regs, char *out, size_t cap)
{
    struct hd_exit x = run_exit(f, core, pid, 0, regs);
    drain(f, out, cap);
    return x;
}

static inline void expect_output(struct fx *f, const char *text, const char *expected)
{
    struct hd_guest_regs regs = sx_regs();
    char out[4096];
    uint64_t tag = reg_script(f, text, 0, 0);

    script_output(f, 1, 0x490, &regs, out, sizeof(out));
    if (strcmp(out, expected) != 0 || script_errors()[0])
        fail_msg("'%s' printed '%s' (errors: '%s'); expected '%s'", text, out, script_errors(),
                 expected);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
}

#endif /* HDEVENT_TESTS_UNIT_SCRIPT_HELPERS_H */
