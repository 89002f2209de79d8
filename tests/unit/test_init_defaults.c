/* SPDX-License-Identifier: MIT */
/*
 * The rule for every struct a caller fills in (docs/c-api.md, "Structs you fill in"): an init
 * function sets every member to its default, and a zero member means that same default
 * wherever zero is not a value of its own — so a config with one designated member is
 * complete. The exceptions (pid, core, stage, enabled, immediate, size/version) are pinned
 * too: a zeroed descriptor is not a default one.
 */
#include "helpers.h"

/* ---- hd_host_config -------------------------------------------------------------------- */

static uint32_t host_cores(const struct hd_host_config *config)
{
    struct hd_host *host;
    struct hd_engine *engine;
    uint32_t cores;

    assert_int_equal(hd_host_create(config, &host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(host), NULL, &engine), HD_OK);
    cores = hd_engine_core_count(engine);
    hd_engine_destroy(engine);
    hd_host_destroy(host);
    return cores;
}

static void host_config_with_one_member_is_complete(void **state)
{
    const struct hd_host_config only_log = {.log_to_stderr = true};
    const struct hd_host_config zero = {0};

    (void)state;
    /* The case: this was HD_ERR_INVALID_ARGUMENT (cores 0) before the rule. */
    assert_int_equal(host_cores(&only_log), HD_HOST_CORES_DEFAULT);
    assert_int_equal(host_cores(&zero), HD_HOST_CORES_DEFAULT);
    assert_int_equal(host_cores(NULL), HD_HOST_CORES_DEFAULT);
}

static void host_config_init_sets_the_defaults(void **state)
{
    struct hd_host_config c;

    (void)state;
    memset(&c, 0xA5, sizeof(c));
    hd_host_config_init(&c);
    assert_int_equal(c.cores, 4);
    assert_int_equal(c.cores, HD_HOST_CORES_DEFAULT);
    assert_false(c.log_to_stderr);
    assert_null(c.on_action);
    assert_null(c.action_user);
    assert_int_equal(host_cores(&c), 4);
    c.cores = 7; /* a member set after init is taken as given */
    assert_int_equal(host_cores(&c), 7);
}

/* ---- hd_engine_config ------------------------------------------------------------------ */

static void *send_buffer(struct hd_hook *hook)
{
    return hook->buffer; /* the whole buffer is one message (S18) */
}

/* Messages core 0's queue holds under @p config: 70 exits, each sending one message. */
static uint32_t queue_slots(const struct hd_engine_config *config, uint64_t *dropped)
{
    struct hd_host *host;
    struct hd_engine *engine;
    struct hd_action_desc a;
    struct hd_event_desc d;
    struct hd_message_stats stats;
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;

    assert_int_equal(hd_host_create(NULL, &host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(host), config, &engine), HD_OK);
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = send_buffer;
    a.buffer_size = 8;
    hd_event_desc_init(&d);
    d.actions = &a;
    d.action_count = 1;
    assert_int_equal(hd_event_register(engine, &d, NULL), HD_OK);
    for (int i = 0; i < 70; i++) {
        hd_host_vcpu_init(&vcpu, &regs, 0, 0x490);
        assert_int_equal(hd_host_vmcall(host, engine, &vcpu, NULL), HD_OK);
    }
    assert_int_equal(hd_message_stats(engine, 0, &stats), HD_OK);
    *dropped = stats.dropped;
    hd_engine_destroy(engine);
    hd_host_destroy(host);
    return stats.queued;
}

static void engine_config_zero_member_is_the_default(void **state)
{
    const struct hd_engine_config zero = {0};
    const struct hd_engine_config only_budget = {.max_events = 10};
    const struct hd_engine_config eight = {.message_slots = 8};
    struct hd_engine_config init;
    uint64_t dropped;

    (void)state;
    hd_engine_config_init(&init);
    assert_int_equal(queue_slots(NULL, &dropped), HD_MESSAGE_SLOTS_DEFAULT);
    assert_int_equal(dropped, 70 - HD_MESSAGE_SLOTS_DEFAULT);
    assert_int_equal(queue_slots(&zero, &dropped), HD_MESSAGE_SLOTS_DEFAULT);
    assert_int_equal(queue_slots(&init, &dropped), HD_MESSAGE_SLOTS_DEFAULT);
    assert_int_equal(queue_slots(&only_budget, &dropped), HD_MESSAGE_SLOTS_DEFAULT);
    assert_int_equal(queue_slots(&eight, &dropped), 8);
    assert_int_equal(dropped, 62);
}

static void engine_config_init_sets_the_defaults(void **state)
{
    struct hd_engine_config c;

    (void)state;
    memset(&c, 0xA5, sizeof(c));
    hd_engine_config_init(&c);
    assert_int_equal(c.message_slots, 64);
    assert_int_equal(c.message_max_bytes, 512);
    assert_int_equal(c.message_max_bytes, HD_MESSAGE_BYTES_DEFAULT);
    assert_int_equal(c.max_events, HD_BUDGET_EVENTS_DEFAULT);
    assert_int_equal(c.max_actions, HD_BUDGET_ACTIONS_DEFAULT);
    assert_int_equal(c.max_code_bytes, HD_BUDGET_CODE_BYTES_DEFAULT);
    assert_int_equal(c.max_buffer_bytes, HD_BUDGET_BUFFER_BYTES_DEFAULT);
}

/* ---- descriptors and ops: init gives the defaults; the documented exceptions ------------- */

static void event_desc_init_and_its_zero_exceptions(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;

    memset(&d, 0xA5, sizeof(d));
    hd_event_desc_init(&d);
    assert_int_equal(d.pid, HD_ALL);
    assert_int_equal(d.core, HD_ALL);
    assert_int_equal(d.stage, HD_STAGE_PRE);
    assert_true(d.enabled);
    assert_false(d.short_circuit);
    assert_int_equal(d.condition.kind, HD_CONDITION_NONE);
    assert_null(d.actions);
    assert_int_equal(d.action_count, 0);
    assert_null(d.command);
    assert_int_equal(d.tag, 0);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_OK);

    /* pid 0 and core 0 are real filters, so zero cannot mean "all"; stage 0 is refused. */
    memset(&d, 0, sizeof(d));
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_STAGE);
}

static void action_desc_init_and_its_zero_exception(void **state)
{
    struct hd_action_desc a;

    (void)state;
    memset(&a, 0xA5, sizeof(a));
    hd_action_desc_init(&a, HD_ACTION_CODE);
    assert_int_equal(a.type, HD_ACTION_CODE);
    assert_true(a.immediate); /* the one member whose default is not zero */
    assert_int_equal(a.buffer_size, 0);
    assert_null(a.code);
    assert_int_equal(a.code_size, 0);
    assert_null(a.fn);
    assert_null(a.user);
    assert_null(a.script);
}

static void backend_ops_init_sets_size_and_version(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops;
    struct hd_engine *engine;

    memset(&ops, 0xA5, sizeof(ops));
    hd_backend_ops_init(&ops);
    assert_int_equal(ops.size, sizeof(ops));
    assert_int_equal(ops.version, HD_BACKEND_OPS_VERSION);
    assert_null(ops.user);
    assert_null(ops.alloc);
    assert_null(ops.on_action);
    /* A zeroed ops struct has no size: refused, never guessed at. */
    memset(&ops, 0, sizeof(ops));
    assert_int_equal(hd_engine_create(&ops, NULL, &engine), HD_ERR_BAD_OPS);
    (void)f;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_config_with_one_member_is_complete),
        cmocka_unit_test(host_config_init_sets_the_defaults),
        cmocka_unit_test(engine_config_zero_member_is_the_default),
        cmocka_unit_test(engine_config_init_sets_the_defaults),
        cmocka_unit_test_setup_teardown(event_desc_init_and_its_zero_exceptions, fx_setup,
                                        fx_teardown),
        cmocka_unit_test(action_desc_init_and_its_zero_exception),
        cmocka_unit_test_setup_teardown(backend_ops_init_sets_size_and_version, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests_name("init functions and zero defaults", tests, NULL, NULL);
}
