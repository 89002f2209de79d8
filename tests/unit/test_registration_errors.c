/*
 * Every error of hd_event_register() / hd_action_add() listed in engine.h, and the engine's
 * creation errors. After each failure nothing changed: no tag was used up (the next successful
 * registration gets the next tag), no event appeared or changed, and the host's live
 * allocation count is what it was.
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

static void reg_script_action_is_script_not_supported(void **state)
{
    struct fx *f = *state;
    static const uint8_t script[] = {1, 2, 3, 4};
    uint64_t t0 = first_event(f);
    struct mark m = mark_now(f, t0 + 1);
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = script;
    a.script_size = sizeof(script);
    expect_register_action(f, &a, HD_ERR_SCRIPT_NOT_SUPPORTED, &m);
    a.script = NULL;
    a.script_size = 0;
    expect_register_action(f, &a, HD_ERR_SCRIPT_NOT_SUPPORTED, &m);
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
    /* Jump the registry to the last tag there is (white-box: 2^64 registrations otherwise). */
    f->engine->registry.next_tag = HD_TAG_ALL - 1;
    uint64_t last = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(last, HD_TAG_ALL - 1);
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
    expect_add(f, t0, &a, HD_ERR_SCRIPT_NOT_SUPPORTED, &m);

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

/* ---- RET appended -------------------------------------------------------------------- */

static void ret_is_appended_to_custom_code_without_ret(void **state)
{
    struct fx *f = *state;
    static const uint8_t mov_rax_5[] = {0x48, 0xC7, 0xC0, 0x05, 0x00, 0x00, 0x00}; /* mov rax, 5 */
    struct hd_action_desc acts[2] = {act_code(mov_rax_5, sizeof(mov_rax_5), 0), act_log(1)};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    struct hd_exit x = run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(x.pre.fired, 1);
    assert_int_equal(tlog_count(), 1); /* the code returned and the next action ran */
}

static void ret_is_appended_to_a_condition_without_ret(void **state)
{
    struct fx *f = *state;
    static const uint8_t mov_rax_5[] = {0x48, 0xC7, 0xC0, 0x05, 0x00, 0x00, 0x00}; /* mov rax, 5 */
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = mov_rax_5;
    d.condition.code_size = sizeof(mov_rax_5);
    reg_desc(f, &d);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1); /* returned 5: true */
}

static void ret_is_appended_and_code_writes_registers(void **state)
{
    struct fx *f = *state;
    /* mov qword [rdx], 5  (guest rax = 5), no RET */
    static const uint8_t set_rax_5[] = {0x48, 0xC7, 0x02, 0x05, 0x00, 0x00, 0x00};
    struct hd_guest_regs regs = {.rax = 1};
    struct hd_action_desc a = act_code(set_rax_5, sizeof(set_rax_5), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1); /* sc: keep what it wrote */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.rax, 5);
}

static void registration_copies_code_so_the_caller_may_reuse_it(void **state)
{
    struct fx *f = *state;
    uint8_t code[9] = {0x48, 0xC7, 0x42, 0x40, 0x34, 0x12, 0x00, 0x00, 0xC3}; /* r8 = 0x1234 */
    struct hd_guest_regs regs = {0};
    struct hd_action_desc a = act_code(code, sizeof(code), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    memset(code, 0xCC, sizeof(code)); /* int3 everywhere: would trap if it were used */
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.r8, 0x1234);
}

/* ---- hd_engine_create ---------------------------------------------------------------- */

static uint32_t zero_cores(void *user)
{
    (void)user;
    return 0;
}

static uint32_t too_many_cores(void *user)
{
    (void)user;
    return HD_CORES_MAX + 1;
}

static void lock_noop(void *user)
{
    (void)user;
}

static void expect_create(struct fx *f, const struct hd_backend_ops *ops,
                          const struct hd_engine_config *cfg, enum hd_status want)
{
    struct hd_engine *e = (struct hd_engine *)(uintptr_t)0x1;
    uint64_t live = hd_host_live_allocations(f->host);
    assert_int_equal(hd_engine_create(ops, cfg, &e), want);
    assert_null(e);
    assert_int_equal(hd_host_live_allocations(f->host), live);
}

static void create_with_bad_ops_is_bad_ops(void **state)
{
    struct fx *f = *state;
    const struct hd_backend_ops good = *hd_host_ops(f->host);
    struct hd_backend_ops ops;

    expect_create(f, NULL, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.size = HD_BACKEND_OPS_V1_SIZE - 1;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops.size = 0;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.version = 0;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.alloc = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.free = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.core_count = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.core_count = zero_cores;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops.core_count = too_many_cores;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.exec_free = NULL; /* exec_alloc without exec_free */
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.exec_alloc = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.unlock = NULL; /* lock without unlock */
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.lock = NULL;
    ops.unlock = lock_noop;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
}

static void create_accepts_minimal_ops(void **state)
{
    struct fx *f = *state;
    const struct hd_backend_ops *good = hd_host_ops(f->host);
    struct hd_backend_ops ops;
    hd_backend_ops_init(&ops);
    assert_int_equal(ops.size, sizeof(ops));
    assert_int_equal(ops.version, HD_BACKEND_OPS_VERSION);
    ops.user = good->user;
    ops.alloc = good->alloc;
    ops.free = good->free;
    ops.core_count = good->core_count;
    ops.size = (uint32_t)HD_BACKEND_OPS_V1_SIZE;
    fx_recreate(f, &ops, NULL);
    assert_int_equal(hd_engine_core_count(f->engine), 4);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1);
}

static void create_argument_errors(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = HD_MESSAGE_SLOTS_MAX + 1};
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, NULL),
                     HD_ERR_INVALID_ARGUMENT);
    expect_create(f, hd_host_ops(f->host), &cfg, HD_ERR_INVALID_ARGUMENT);
    cfg = (struct hd_engine_config){.message_max_bytes = HD_MESSAGE_BYTES_MAX + 1};
    expect_create(f, hd_host_ops(f->host), &cfg, HD_ERR_INVALID_ARGUMENT);
    /* the maxima themselves are accepted */
    cfg = (struct hd_engine_config){.message_slots = HD_MESSAGE_SLOTS_MAX, .message_max_bytes = 8};
    fx_recreate(f, hd_host_ops(f->host), &cfg);
}

static void create_allocation_failure_is_no_memory(void **state)
{
    struct fx *f = *state;
    for (int64_t n = 0; n < 3; n++) { /* engine, cores, rings (the empty snapshot is static) */
        hd_host_fail_allocation(f->host, n);
        expect_create(f, hd_host_ops(f->host), NULL, HD_ERR_NO_MEMORY);
    }
    hd_host_fail_allocation(f->host, -1);
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
        T(reg_script_action_is_script_not_supported),
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
        T(ret_is_appended_to_custom_code_without_ret),
        T(ret_is_appended_to_a_condition_without_ret),
        T(ret_is_appended_and_code_writes_registers),
        T(registration_copies_code_so_the_caller_may_reuse_it),
        T(create_with_bad_ops_is_bad_ops),
        T(create_accepts_minimal_ops),
        T(create_argument_errors),
        T(create_allocation_failure_is_no_memory),
    };
#undef T
    return cmocka_run_group_tests_name("registration and engine creation errors", tests, NULL,
                                       NULL);
}
