/* SPDX-License-Identifier: MIT */
/*
 * The engine's budget (hd_engine_config: events, actions, code bytes, buffer bytes): a
 * registration or action past it fails with HD_ERR_BUDGET_EXCEEDED and changes nothing (no
 * tag used up, no allocation left); what a cleared event held comes back once it is freed;
 * a zero member means the default; the wire reports 0xC000101E.
 */
#include "helpers.h"

#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

/* mov rax, 1 (no RET: the engine appends one, and that byte counts). */
static const uint8_t code10[] = {0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0x90, 0x90, 0x90};

static void with_budget(struct fx *f, uint32_t events, uint32_t actions, uint64_t code,
                        uint64_t buffers)
{
    struct hd_engine_config c = {.max_events = events, .max_actions = actions,
                                 .max_code_bytes = code, .max_buffer_bytes = buffers};
    fx_recreate(f, hd_host_ops(f->host), &c);
}

static void expect_refused(struct fx *f, const struct hd_event_desc *d)
{
    uint64_t live = hd_host_live_allocations(f->host), tag = 77;
    unsigned events = event_count(f);

    assert_int_equal(hd_event_register(f->engine, d, &tag), HD_ERR_BUDGET_EXCEEDED);
    assert_int_equal(tag, 77);
    assert_int_equal(hd_host_live_allocations(f->host), live);
    assert_int_equal(event_count(f), events);
}

static void events_past_the_budget_are_refused_until_one_is_cleared(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t t[3];

    with_budget(f, 3, 0, 0, 0);
    for (unsigned i = 0; i < 3; i++)
        t[i] = reg_desc(f, &d);
    expect_refused(f, &d);
    assert_int_equal(hd_event_clear(f->engine, t[1]), HD_OK);
    /* No core holds the old snapshot: the registration reclaims it and fits. */
    assert_int_equal(reg_desc(f, &d), t[2] + 1); /* the refusal used up no tag (S19) */
    expect_refused(f, &d);
}

static void actions_count_over_every_event(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a[3] = {act_break(), act_break(), act_break()};
    struct hd_event_desc two = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, a, 2);
    struct hd_event_desc three = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, a, 3);
    uint64_t tag;

    with_budget(f, 0, 3, 0, 0);
    tag = reg_desc(f, &three);
    expect_refused(f, &three);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    tag = reg_desc(f, &two);
    assert_int_equal(hd_action_add(f->engine, tag, &a[2]), HD_OK); /* the third fits */
    assert_int_equal(hd_action_add(f->engine, tag, &a[2]), HD_ERR_BUDGET_EXCEEDED);
    {
        struct hd_event_info info;
        assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
        assert_int_equal(info.action_count, 3);
    }
}

static void code_bytes_count_the_appended_ret(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_code(code10, sizeof(code10), 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    with_budget(f, 0, 0, 2 * sizeof(code10) + 1, 0); /* room for 10 + 1, not for 2 × 11 */
    reg_desc(f, &d);
    expect_refused(f, &d);
    /* A condition counts too: 11 more bytes do not fit, 0 bytes of code do. */
    d.action_count = 0;
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = code10;
    d.condition.code_size = sizeof(code10);
    expect_refused(f, &d);
    d.condition.kind = HD_CONDITION_NONE;
    reg_desc(f, &d);
}

static void buffers_count_once_per_core_in_whole_lines(void **state)
{
    struct fx *f = *state; /* four cores */
    struct hd_action_desc a = act_code(code10, sizeof(code10), 1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    with_budget(f, 0, 0, 0, 2 * 4 * 64); /* one byte takes a line on each of 4 cores */
    reg_desc(f, &d);
    reg_desc(f, &d);
    expect_refused(f, &d);
    a.buffer_size = 0; /* no buffer, no buffer bytes */
    reg_desc(f, &d);
}

static void zero_members_take_the_defaults(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);

    with_budget(f, 1, 0, 0, 0); /* one event; everything else default */
    reg_desc(f, &d);
    expect_refused(f, &d);
    assert_true(HD_BUDGET_EVENTS_DEFAULT >= 1024 && HD_BUDGET_ACTIONS_DEFAULT >= 4096);
}

static void the_wire_reports_the_budget_code(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint8_t *b, out[8];
    size_t n, written;

    with_budget(f, 1, 0, 0, 0);
    reg_desc(f, &d);
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE + 5, &b, &n), HD_OK);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_REGISTER_EVENT, b, n, out, sizeof(out),
                                   &written),
                     HD_OK);
    free(b);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[4] | out[5] << 8 | out[6] << 16 | (uint32_t)out[7] << 24,
                     HD_WIRE_ERR_BUDGET_EXCEEDED);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_BUDGET_EXCEEDED),
                     HD_WIRE_ERR_BUDGET_EXCEEDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            events_past_the_budget_are_refused_until_one_is_cleared, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(actions_count_over_every_event, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(code_bytes_count_the_appended_ret, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(buffers_count_once_per_core_in_whole_lines, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(zero_members_take_the_defaults, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_wire_reports_the_budget_code, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
