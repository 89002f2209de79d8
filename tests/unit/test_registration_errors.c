/* SPDX-License-Identifier: MIT */
/*
 * Every error of hd_event_register() / hd_action_add() listed in engine.h. After each failure
 * nothing changed: no tag was used up (the next successful registration gets the next tag), no
 * event appeared or changed, and the host's live allocation count is what it was. Each refusal
 * is logged through the backend.
 *
 * Neighbours: hd_engine_create()'s errors are in test_engine_create_errors.c; what a successful
 * registration does to raw code (RET appended, bytes copied) in test_registration_code.c.
 */
#include "helpers.h"

#include "internal/engine.h" /* only for HD_ERR_TAGS_EXHAUSTED: the registry's next tag */

/* What a failed call must leave as it was. */
struct mark {
    uint64_t live;
    unsigned events;
    uint64_t next_tag; /* what the next successful registration must get */
};

static struct mark mark_now(struct fx *f, uint64_t next_tag)
{
    struct mark m = {hd_host_live_allocations(f->host), event_count(f), next_tag};
    return m;
}

static void assert_unchanged(struct fx *f, const struct mark *m)
{
    assert_int_equal(hd_host_live_allocations(f->host), m->live);
    assert_int_equal(event_count(f), m->events);
}

/* The next registration gets m->next_tag: nothing was used up by the failures. */
static void assert_next_tag(struct fx *f, const struct mark *m)
{
    assert_unchanged(f, m);
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(t, m->next_tag);
}

/* Register @d expecting @want; the tag out-parameter must stay untouched. */
static void expect_register(struct fx *f, const struct hd_event_desc *d, enum hd_status want,
                            const struct mark *m)
{
    uint64_t tag = 0x5A5A;
    assert_int_equal(hd_event_register(f->engine, d, &tag), want);
    assert_int_equal(tag, 0x5A5A);
    assert_unchanged(f, m);
}

static void expect_register_action(struct fx *f, const struct hd_action_desc *a,
                                   enum hd_status want, const struct mark *m)
{
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, a, 1);
    expect_register(f, &d, want, m);
}

static void expect_add(struct fx *f, uint64_t tag, const struct hd_action_desc *a,
                       enum hd_status want, const struct mark *m)
{
    struct hd_event_info before, after;
    assert_int_equal(hd_event_query(f->engine, tag, &before), HD_OK);
    assert_int_equal(hd_action_add(f->engine, tag, a), want);
    assert_int_equal(hd_event_query(f->engine, tag, &after), HD_OK);
    assert_int_equal(after.action_count, before.action_count);
    assert_unchanged(f, m);
}

/* A first event, so that later checks have something that must stay as it is. */
static uint64_t first_event(struct fx *f)
{
    return reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
}

/* ---- hd_event_register --------------------------------------------------------------- */

static void reg_null_arguments_are_invalid_argument(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 2);
    uint64_t tag = 0x5A5A;

    assert_int_equal(hd_event_register(NULL, &d, &tag), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_register(f->engine, NULL, &tag), HD_ERR_INVALID_ARGUMENT);
    expect_register(f, &d, HD_ERR_INVALID_ARGUMENT, &m); /* 2 actions, NULL array */
    assert_next_tag(f, &m);
}

static void reg_bad_stage_is_invalid_stage(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    const uint32_t bad[] = {0, 4, 5, 0xFFFFFFFFu};
    for (unsigned i = 0; i < 4; i++) {
        struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, (enum hd_stage)bad[i], false, NULL, 0);
        expect_register(f, &d, HD_ERR_INVALID_STAGE, &m);
    }
    assert_next_tag(f, &m);
}

static void reg_sc_with_post_or_all_is_sc_with_post(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_POST, true, NULL, 0);
    expect_register(f, &d, HD_ERR_SC_WITH_POST, &m);
    d.stage = HD_STAGE_ALL;
    expect_register(f, &d, HD_ERR_SC_WITH_POST, &m);
    assert_next_tag(f, &m);
}

static void reg_core_not_below_core_count_is_invalid_core(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    const uint32_t bad[] = {4, 5, 0x7FFFFFFFu, 0xFFFFFFFEu};
    for (unsigned i = 0; i < 4; i++) {
        struct hd_event_desc d = ev_desc(bad[i], HD_ALL, HD_STAGE_PRE, false, NULL, 0);
        expect_register(f, &d, HD_ERR_INVALID_CORE, &m);
    }
    assert_next_tag(f, &m);
    assert_int_equal(reg_event(f, 3, HD_ALL, HD_STAGE_PRE, false, NULL, 0), t0 + 2);
}

static void reg_bad_condition_is_invalid_condition(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret[] = {0xC3};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);

    d.condition.kind = (enum hd_condition_kind)3;
    expect_register(f, &d, HD_ERR_INVALID_CONDITION, &m);
    d.condition.kind = (enum hd_condition_kind)99;
    expect_register(f, &d, HD_ERR_INVALID_CONDITION, &m);
    d.condition = (struct hd_condition_desc){.kind = HD_CONDITION_RAW, .code = NULL,
                                             .code_size = 1};
    expect_register(f, &d, HD_ERR_INVALID_CONDITION, &m);
    d.condition = (struct hd_condition_desc){.kind = HD_CONDITION_RAW, .code = ret,
                                             .code_size = 0};
    expect_register(f, &d, HD_ERR_INVALID_CONDITION, &m);
    d.condition = (struct hd_condition_desc){.kind = HD_CONDITION_NATIVE, .fn = NULL};
    expect_register(f, &d, HD_ERR_INVALID_CONDITION, &m);
    assert_next_tag(f, &m);
}

static void reg_bad_action_type_is_invalid_action_type(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_log(2);
    a.type = (enum hd_action_type)4;
    expect_register_action(f, &a, HD_ERR_INVALID_ACTION_TYPE, &m);
    a.type = (enum hd_action_type)0x7FFFFFFF;
    expect_register_action(f, &a, HD_ERR_INVALID_ACTION_TYPE, &m);
    /* a bad action after good ones refuses the whole event */
    struct hd_action_desc acts[3] = {act_log(2), act_break(), a};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 3);
    expect_register(f, &d, HD_ERR_INVALID_ACTION_TYPE, &m);
    assert_next_tag(f, &m);
}

static void reg_code_action_without_code_is_empty_code(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret[] = {0xC3};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_code(NULL, 3, 0);
    expect_register_action(f, &a, HD_ERR_EMPTY_CODE, &m);
    a = act_code(ret, 0, 0);
    expect_register_action(f, &a, HD_ERR_EMPTY_CODE, &m);
    a = act_native(NULL, NULL);
    expect_register_action(f, &a, HD_ERR_EMPTY_CODE, &m);
    assert_next_tag(f, &m);
}

/* Bytes that are no bytecode are refused by the verifier; no bytes at all are empty code. */
static void reg_script_action_is_verified(void **state)
{
    struct fx *f = *state;
    static const uint8_t script[] = {1, 2, 3, 4};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = script;
    a.script_size = sizeof(script);
    expect_register_action(f, &a, HD_ERR_SCRIPT_HEADER, &m);
    a.script = NULL;
    a.script_size = 0;
    expect_register_action(f, &a, HD_ERR_EMPTY_CODE, &m);
    assert_next_tag(f, &m);
}

static void reg_too_many_actions(void **state)
{
    struct fx *f = *state;
    static struct hd_action_desc acts[HD_EVENT_MAX_ACTIONS + 1];
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    for (unsigned i = 0; i <= HD_EVENT_MAX_ACTIONS; i++)
        acts[i] = act_log(i);
    struct hd_event_desc d =
        ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, HD_EVENT_MAX_ACTIONS + 1);
    expect_register(f, &d, HD_ERR_TOO_MANY_ACTIONS, &m);
    assert_next_tag(f, &m);

    /* exactly the maximum is fine, and then hd_action_add refuses one more */
    d.action_count = HD_EVENT_MAX_ACTIONS;
    uint64_t full = reg_desc(f, &d);
    assert_int_equal(full, t0 + 2);
    struct mark m2 = mark_now(f, full + 1);
    expect_add(f, full, &acts[0], HD_ERR_TOO_MANY_ACTIONS, &m2);
    tlog_reset();
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1 + HD_EVENT_MAX_ACTIONS);
    assert_next_tag(f, &m2);
}

static uint8_t g_big[HD_CODE_MAX_BYTES + 1];

/* @size bytes of nops, the last one @last. */
static const uint8_t *nops(uint32_t size, uint8_t last)
{
    memset(g_big, 0x90, size);
    g_big[size - 1] = last;
    return g_big;
}

static void reg_code_larger_than_max_is_too_large(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_code(nops(HD_CODE_MAX_BYTES + 1, 0xC3),
                                       HD_CODE_MAX_BYTES + 1, 0);
    expect_register_action(f, &a, HD_ERR_TOO_LARGE, &m);
    /* the appended RET would not fit */
    a = act_code(nops(HD_CODE_MAX_BYTES, 0x90), HD_CODE_MAX_BYTES, 0);
    expect_register_action(f, &a, HD_ERR_TOO_LARGE, &m);

    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = nops(HD_CODE_MAX_BYTES + 1, 0xC3);
    d.condition.code_size = HD_CODE_MAX_BYTES + 1;
    expect_register(f, &d, HD_ERR_TOO_LARGE, &m);
    d.condition.code = nops(HD_CODE_MAX_BYTES, 0x90);
    d.condition.code_size = HD_CODE_MAX_BYTES;
    expect_register(f, &d, HD_ERR_TOO_LARGE, &m);
    assert_next_tag(f, &m);
}

static void reg_code_of_exactly_max_bytes_is_accepted_and_runs(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2];
    /* HD_CODE_MAX_BYTES including its RET */
    acts[0] = act_code(nops(HD_CODE_MAX_BYTES, 0xC3), HD_CODE_MAX_BYTES, 0);
    acts[1] = act_log(1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    /* one byte less, without RET: the appended RET makes it HD_CODE_MAX_BYTES */
    acts[0] = act_code(nops(HD_CODE_MAX_BYTES - 1, 0x90), HD_CODE_MAX_BYTES - 1, 0);
    acts[1] = act_log(2);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
}

static void reg_buffer_larger_than_max_is_too_large(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret[] = {0xC3};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_log(2);
    a.buffer_size = HD_BUFFER_MAX_BYTES + 1;
    expect_register_action(f, &a, HD_ERR_TOO_LARGE, &m);
    a = act_code(ret, 1, HD_BUFFER_MAX_BYTES + 1);
    expect_register_action(f, &a, HD_ERR_TOO_LARGE, &m);
    a.buffer_size = 0xFFFFFFFFu;
    expect_register_action(f, &a, HD_ERR_TOO_LARGE, &m);
    assert_next_tag(f, &m);

    /* exactly the maximum is accepted (one buffer per core) */
    a = act_log(3);
    a.buffer_size = HD_BUFFER_MAX_BYTES;
    assert_int_equal(reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1), t0 + 2);
}

static void reg_raw_code_without_exec_alloc_is_not_supported(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret1[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax,1; ret */
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    ops.exec_alloc = NULL;
    ops.exec_free = NULL;
    fx_recreate(f, &ops, NULL);
    uint64_t t0 = first_event(f); /* native hooks still work */
    struct mark m = mark_now(f, t0 + 1);

    struct hd_action_desc a = act_code(ret1, sizeof(ret1), 0);
    expect_register_action(f, &a, HD_ERR_NOT_SUPPORTED, &m);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = ret1;
    d.condition.code_size = sizeof(ret1);
    expect_register(f, &d, HD_ERR_NOT_SUPPORTED, &m);
    expect_add(f, t0, &a, HD_ERR_NOT_SUPPORTED, &m);

    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1);
    assert_next_tag(f, &m);
}

static void reg_allocation_failure_is_no_memory(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_log(2);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    hd_host_fail_allocation(f->host, 0);
    expect_register(f, &d, HD_ERR_NO_MEMORY, &m);
    hd_host_fail_allocation(f->host, 0);
    expect_add(f, t0, &a, HD_ERR_NO_MEMORY, &m);
    hd_host_fail_allocation(f->host, -1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1);
    assert_next_tag(f, &m);
}

static void reg_tags_exhausted_after_the_last_tag(void **state)
{
    struct fx *f = *state;
    /* Jump the registry to the last tag there is (white-box: 2^32 registrations otherwise). */
    f->engine->registry.next_tag = HD_TAG_MAX;
    uint64_t last = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(last, HD_TAG_MAX);
    struct mark m = mark_now(f, 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    expect_register(f, &d, HD_ERR_TAGS_EXHAUSTED, &m);
    expect_register(f, &d, HD_ERR_TAGS_EXHAUSTED, &m);
    /* the last event is an ordinary event; HD_TAG_ALL still means "all" */
    assert_int_equal(hd_event_disable(f->engine, last), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(event_count(f), 0);
}

/* ---- hd_action_add --------------------------------------------------------------------- */

static void add_errors_leave_the_event_as_it_was(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret[] = {0xC3};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a = act_log(2);

    assert_int_equal(hd_action_add(NULL, t0, &a), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_action_add(f->engine, t0, NULL), HD_ERR_INVALID_ARGUMENT);
    a = act_log(2);
    a.type = (enum hd_action_type)9;
    expect_add(f, t0, &a, HD_ERR_INVALID_ACTION_TYPE, &m);
    a = act_code(NULL, 0, 0);
    expect_add(f, t0, &a, HD_ERR_EMPTY_CODE, &m);
    a = act_native(NULL, NULL);
    expect_add(f, t0, &a, HD_ERR_EMPTY_CODE, &m);
    a = act_code(ret, 1, HD_BUFFER_MAX_BYTES + 1);
    expect_add(f, t0, &a, HD_ERR_TOO_LARGE, &m);
    a = act_code(nops(HD_CODE_MAX_BYTES + 1, 0xC3), HD_CODE_MAX_BYTES + 1, 0);
    expect_add(f, t0, &a, HD_ERR_TOO_LARGE, &m);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    expect_add(f, t0, &a, HD_ERR_EMPTY_CODE, &m);

    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1); /* still exactly its one action */
    assert_next_tag(f, &m);
}

static void add_to_unknown_or_cleared_tag_is_no_such_event(void **state)
{
    struct fx *f = *state;
    first_event(f);
    uint64_t t1 = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    assert_int_equal(hd_event_clear(f->engine, t1), HD_OK);
    struct mark m = mark_now(f, t1 + 1);
    struct hd_action_desc a = act_log(3);
    assert_int_equal(hd_action_add(f->engine, t1, &a), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_action_add(f->engine, t1 + 1, &a), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_action_add(f->engine, HD_TAG_ALL, &a), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_action_add(f->engine, 0, &a), HD_ERR_NO_SUCH_EVENT);
    assert_unchanged(f, &m);
    assert_next_tag(f, &m);
}

/* ---- refusals are logged ------------------------------------------------------------- */

struct log_capture {
    unsigned lines;
    enum hd_log_level level;
    char last[256];
};
static struct log_capture g_log;

static void capture_log(void *user, enum hd_log_level level, const char *message)
{
    (void)user;
    g_log.lines++;
    g_log.level = level;
    strncpy(g_log.last, message, sizeof(g_log.last) - 1);
}

static void refusals_are_logged_through_the_backend(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    ops.log = capture_log;
    memset(&g_log, 0, sizeof(g_log));
    fx_recreate(f, &ops, NULL);

    uint64_t t = first_event(f);
    assert_int_equal(g_log.lines, 0); /* success is quiet */
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_POST, true, NULL, 0);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_SC_WITH_POST);
    assert_int_equal(g_log.lines, 1);
    assert_int_equal(g_log.level, HD_LOG_WARN);
    assert_non_null(strstr(g_log.last, hd_status_str(HD_ERR_SC_WITH_POST)));

    struct hd_action_desc a = act_native(NULL, NULL);
    assert_int_equal(hd_action_add(f->engine, t, &a), HD_ERR_EMPTY_CODE);
    assert_int_equal(g_log.lines, 2);
    assert_non_null(strstr(g_log.last, "0x1000000")); /* the event's tag */
    assert_non_null(strstr(g_log.last, hd_status_str(HD_ERR_EMPTY_CODE)));

    assert_int_equal(hd_event_clear(f->engine, t + 5), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(g_log.lines, 3);
    assert_non_null(strstr(g_log.last, "0x1000005"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(reg_null_arguments_are_invalid_argument),
        T(reg_bad_stage_is_invalid_stage),
        T(reg_sc_with_post_or_all_is_sc_with_post),
        T(reg_core_not_below_core_count_is_invalid_core),
        T(reg_bad_condition_is_invalid_condition),
        T(reg_bad_action_type_is_invalid_action_type),
        T(reg_code_action_without_code_is_empty_code),
        T(reg_script_action_is_verified),
        T(reg_too_many_actions),
        T(reg_code_larger_than_max_is_too_large),
        T(reg_code_of_exactly_max_bytes_is_accepted_and_runs),
        T(reg_buffer_larger_than_max_is_too_large),
        T(reg_raw_code_without_exec_alloc_is_not_supported),
        T(reg_allocation_failure_is_no_memory),
        T(reg_tags_exhausted_after_the_last_tag),
        T(add_errors_leave_the_event_as_it_was),
        T(add_to_unknown_or_cleared_tag_is_no_such_event),
        T(refusals_are_logged_through_the_backend),
    };
#undef T
    return cmocka_run_group_tests_name("registration errors", tests, NULL, NULL);
}
