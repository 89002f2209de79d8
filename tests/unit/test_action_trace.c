/* SPDX-License-Identifier: MIT */
/*
 * hd_backend_ops.on_action (version 2): the dispatcher reports every action it ran, in run
 * order (S7, S8), with its stage (S9-S11); nothing for events whose condition failed (S6);
 * and a backend that leaves it NULL (or was built against version 1) is not traced.
 */
#include "helpers.h"

#define TRACE_MAX 32

struct trace {
    struct hd_action_info at[TRACE_MAX];
    unsigned n;
};

static void record(void *user, const struct hd_action_info *info)
{
    struct trace *t = user;
    if (t->n < TRACE_MAX)
        t->at[t->n] = *info;
    t->n++;
}

static void must_not_be_called(void *user, const struct hd_action_info *info)
{
    (void)user;
    (void)info;
    fail_msg("on_action past a version-1 backend's size was called");
}

static void *nop_action(struct hd_hook *h)
{
    (void)h;
    return NULL;
}

static void assert_trace(const struct trace *t, unsigned i, uint64_t tag, uint32_t index,
                         uint32_t type, uint32_t stage)
{
    assert_true(i < t->n);
    assert_int_equal(t->at[i].tag, tag);
    assert_int_equal(t->at[i].index, index);
    assert_int_equal(t->at[i].type, type);
    assert_int_equal(t->at[i].stage, stage);
    assert_non_null(t->at[i].vcpu);
}

static void every_action_is_traced_in_run_order(void **state)
{
    static const uint8_t ret[] = {0xC3};
    struct trace t = {0};
    struct hd_host_config cfg = {.cores = 2, .on_action = record, .action_user = &t};
    struct hd_host *host;
    struct hd_engine *engine;
    struct hd_action_desc a[3] = {act_native(nop_action, NULL), act_code(ret, 1, 0),
                                  act_break()};
    struct hd_event_desc d1 = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, a, 3);
    struct hd_event_desc d2 = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, a, 1);
    struct hd_event_desc d3 = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, a, 1);
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    uint64_t t1, t2;
    (void)state;

    d3.condition.kind = HD_CONDITION_NATIVE;
    d3.condition.fn = log_condition_false; /* S6: its action never runs, never traced */
    assert_int_equal(hd_host_create(&cfg, &host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(host), NULL, &engine), HD_OK);
    assert_int_equal(hd_event_register(engine, &d1, &t1), HD_OK);
    assert_int_equal(hd_event_register(engine, &d2, &t2), HD_OK);
    assert_int_equal(hd_event_register(engine, &d3, NULL), HD_OK);

    hd_host_vcpu_init(&vcpu, &regs, 1, 0x10);
    assert_int_equal(hd_host_vmcall(host, engine, &vcpu, NULL), HD_OK);
    assert_int_equal(t.n, 7);
    assert_trace(&t, 0, t1, 0, HD_ACTION_NATIVE, HD_STAGE_PRE);
    assert_trace(&t, 1, t1, 1, HD_ACTION_CODE, HD_STAGE_PRE);
    assert_trace(&t, 2, t1, 2, HD_ACTION_BREAK, HD_STAGE_PRE);
    assert_trace(&t, 3, t2, 0, HD_ACTION_NATIVE, HD_STAGE_PRE);
    assert_trace(&t, 4, t1, 0, HD_ACTION_NATIVE, HD_STAGE_POST);
    assert_trace(&t, 5, t1, 1, HD_ACTION_CODE, HD_STAGE_POST);
    assert_trace(&t, 6, t1, 2, HD_ACTION_BREAK, HD_STAGE_POST);
    assert_int_equal(t.at[0].vcpu->core, 1);

    hd_engine_destroy(engine);
    hd_host_destroy(host);
}

/*
 * One command alone (`!vmcall code {…}`, with a leaf condition or none) has a frame of its own
 * on the dispatcher's short way, which never traces: an engine with on_action must take the
 * general path, by both entry forms (engine.h: hooked).
 */
static void one_command_is_traced_by_both_forms(void **state)
{
    static const uint8_t ret[] = {0xC3}, cond_true[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};
    struct trace t = {0};
    struct hd_host_config cfg = {.cores = 2, .on_action = record, .action_user = &t};
    struct hd_host *host;
    struct hd_engine *engine;
    struct hd_action_desc a = act_code(ret, 1, 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    (void)state;

    assert_int_equal(hd_host_create(&cfg, &host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(host), NULL, &engine), HD_OK);
    for (int cond = 0; cond < 2; cond++) {
        uint64_t tag;
        if (cond) {
            d.condition.kind = HD_CONDITION_RAW;
            d.condition.code = cond_true;
            d.condition.code_size = sizeof(cond_true);
        }
        assert_int_equal(hd_event_register(engine, &d, &tag), HD_OK);
        for (int two = 0; two < 2; two++) {
            struct hd_guest_regs regs = {0};
            struct hd_vcpu vcpu;
            struct hd_verdict verdict;
            t.n = 0;
            hd_host_vcpu_init(&vcpu, &regs, 1, 0x10);
            if (two)
                assert_int_equal(hd_dispatch_vmcall(engine, &vcpu, NULL, &verdict), HD_OK);
            else
                assert_int_equal(hd_host_vmcall(host, engine, &vcpu, NULL), HD_OK);
            assert_int_equal(t.n, 1);
            assert_trace(&t, 0, tag, 0, HD_ACTION_CODE, HD_STAGE_PRE);
        }
        assert_int_equal(hd_event_clear(engine, tag), HD_OK);
    }
    hd_engine_destroy(engine);
    hd_host_destroy(host);
}

static void ops_without_on_action_are_not_traced(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_action_desc a = act_log(1);

    assert_null(ops.on_action); /* the host sets it only when configured */
    /* A version-1 backend: its struct ends before on_action, whatever follows in memory. */
    ops.size = HD_BACKEND_OPS_V1_SIZE;
    ops.version = 1;
    ops.on_action = must_not_be_called;
    fx_recreate(f, &ops, NULL);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1); /* the action ran */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_action_is_traced_in_run_order),
        cmocka_unit_test(one_command_is_traced_by_both_forms),
        cmocka_unit_test_setup_teardown(ops_without_on_action_are_not_traced, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
