/* SPDX-License-Identifier: MIT */
/*
 * S19: tags are handed out from 0x1000000 in registration order; ID = tag - 0x1000000; a tag
 * is never reused while the engine lives (not after a clear, not after clear-all); failed
 * registrations do not use a tag. hd_event_next walks the events in tag order; hd_event_query
 * describes one.
 */
#include "helpers.h"

static void s19_tags_start_at_0x1000000_and_count_up(void **state)
{
    struct fx *f = *state;
    for (uint64_t i = 0; i < 20; i++) {
        uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
        assert_int_equal(t, 0x1000000ull + i);
    }
}

static void s19_event_id_and_tag_macros(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t t1 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(HD_TAG_BASE, 0x1000000ull);
    assert_int_equal(HD_EVENT_ID(t0), 0);
    assert_int_equal(HD_EVENT_ID(t1), 1);
    assert_int_equal(HD_EVENT_TAG(0), t0);
    assert_int_equal(HD_EVENT_TAG(1), t1);
    assert_int_equal(HD_EVENT_TAG(HD_EVENT_ID(0x1234567ull)), 0x1234567ull);
    /* `events d 1` */
    assert_int_equal(hd_event_disable(f->engine, HD_EVENT_TAG(1)), HD_OK);
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, t1, &info), HD_OK);
    assert_false(info.enabled);
}

static void s19_tags_are_not_reused_after_clear(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t b = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_clear(f->engine, b), HD_OK);
    uint64_t c = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(c, b + 1);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, c), HD_OK);
    uint64_t d = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(d, c + 1);
}

/* The wire carries user mode's tag: accepted when above every tag given out, and the
 * engine's own numbering continues after it. */
static void s19_caller_chosen_tag_is_used_and_numbering_continues(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t tag = 0;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0); /* 0x1000000 */
    d.tag = HD_EVENT_TAG(5);
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_int_equal(tag, HD_EVENT_TAG(5));
    assert_int_equal(reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0), HD_EVENT_TAG(6));
}

static void s19_caller_chosen_tag_already_given_out_is_refused(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t a = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t b = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t live;
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    live = hd_host_live_allocations(f->host);
    d.tag = b; /* registered */
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_TAG_IN_USE);
    d.tag = a; /* cleared: never reused */
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_TAG_IN_USE);
    /* Outside the 32-bit numbering, or a jump that would use it up: refused (issue 13). */
    d.tag = HD_TAG_MAX + 1;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_TAG);
    d.tag = HD_TAG_ALL - 1;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_TAG);
    d.tag = b + 1 + HD_TAG_SKIP_MAX + 1;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_TAG);
    d.tag = HD_TAG_BASE - 1;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_TAG);
    d.tag = HD_TAG_ALL;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_TAG);
    assert_int_equal(hd_host_live_allocations(f->host), live);
    assert_int_equal(reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0), b + 1);
}

/* A caller-chosen tag may skip up to HD_TAG_SKIP_MAX tags, and numbering goes on after it. */
static void s19_caller_chosen_tag_may_skip_at_most_the_limit(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    uint64_t t;

    d.tag = HD_TAG_BASE + HD_TAG_SKIP_MAX;
    assert_int_equal(hd_event_register(f->engine, &d, &t), HD_OK);
    assert_int_equal(t, HD_TAG_BASE + HD_TAG_SKIP_MAX);
    assert_int_equal(reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0), t + 1);
}

static void s19_tags_are_not_reused_after_clear_all(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 5; i++)
        reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(t, HD_TAG_BASE + 5);
    assert_int_equal(HD_EVENT_ID(t), 5);
}

static void s19_failed_registrations_do_not_use_a_tag(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    uint64_t tag = 0;
    uint64_t a = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);

    d = ev_desc(HD_ALL, HD_ALL, (enum hd_stage)0, false, NULL, 0);
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_INVALID_STAGE);
    d = ev_desc(9, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_INVALID_CORE);
    hd_host_fail_allocation(f->host, 0);
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_ERR_NO_MEMORY);
    assert_int_equal(tag, 0);

    uint64_t b = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(b, a + 1);
}

static void s19_register_without_tag_out_still_uses_a_tag(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_OK);
    uint64_t t = reg_desc(f, &d);
    assert_int_equal(t, HD_TAG_BASE + 1);
}

static void s19_event_next_walks_in_tag_order_and_ends_with_empty(void **state)
{
    struct fx *f = *state;
    uint64_t t[6];
    struct hd_event_info info;
    for (int i = 0; i < 6; i++)
        t[i] = reg_event(f, (uint32_t)(i % 4), HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_clear(f->engine, t[0]), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, t[3]), HD_OK);
    assert_int_equal(hd_event_disable(f->engine, t[4]), HD_OK); /* disabled ones are listed */

    const uint64_t expect[] = {t[1], t[2], t[4], t[5]};
    uint64_t after = 0;
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(hd_event_next(f->engine, after, &info), HD_OK);
        assert_int_equal(info.tag, expect[i]);
        after = info.tag;
    }
    assert_int_equal(hd_event_next(f->engine, after, &info), HD_EMPTY);
    /* starting in the middle, including from a cleared tag */
    assert_int_equal(hd_event_next(f->engine, t[3], &info), HD_OK);
    assert_int_equal(info.tag, t[4]);
    assert_int_equal(hd_event_next(f->engine, t[0], &info), HD_OK);
    assert_int_equal(info.tag, t[1]);
    assert_int_equal(hd_event_next(f->engine, HD_TAG_ALL, &info), HD_EMPTY);
}

static void s19_event_next_on_empty_engine_is_empty(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_EMPTY);
    assert_int_equal(hd_event_next(NULL, 0, &info), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_next(f->engine, 0, NULL), HD_ERR_INVALID_ARGUMENT);
}

static void s19_event_query_reports_every_field(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret1[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax,1; ret */
    struct hd_action_desc acts[3] = {act_break(), act_log(1), act_code(ret1, sizeof(ret1), 8)};
    struct hd_event_desc d = ev_desc(2, 0x490, HD_STAGE_PRE, true, acts, 3);
    struct hd_event_info info;
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = ret1;
    d.condition.code_size = sizeof(ret1);
    char command[64];
    strcpy(command, "!vmcall pid 490 core 2 sc on");
    d.command = command;
    uint64_t t = reg_desc(f, &d);
    command[0] = 'X'; /* the engine kept its own copy */

    memset(&info, 0xA5, sizeof(info));
    assert_int_equal(hd_event_query(f->engine, t, &info), HD_OK);
    assert_int_equal(info.tag, t);
    assert_int_equal(info.pid, 0x490);
    assert_int_equal(info.core, 2);
    assert_int_equal(info.stage, HD_STAGE_PRE);
    assert_true(info.short_circuit);
    assert_true(info.enabled);
    assert_int_equal(info.condition, HD_CONDITION_RAW);
    assert_int_equal(info.action_count, 3);
    {
        char command[64], small[8];
        size_t length = 0;
        assert_int_equal(info.command_length, strlen("!vmcall pid 490 core 2 sc on"));
        assert_int_equal(hd_event_command(f->engine, t, command, sizeof(command), &length),
                         HD_OK);
        assert_string_equal(command, "!vmcall pid 490 core 2 sc on");
        assert_int_equal(length, info.command_length);
        /* Cut to the buffer, NUL-terminated; the full length still reported. */
        assert_int_equal(hd_event_command(f->engine, t, small, sizeof(small), &length), HD_OK);
        assert_string_equal(small, "!vmcall");
        assert_int_equal(length, info.command_length);
        /* Size 0 asks for the length alone; a NULL buffer with a size is refused. */
        assert_int_equal(hd_event_command(f->engine, t, NULL, 0, &length), HD_OK);
        assert_int_equal(hd_event_command(f->engine, t, NULL, 4, &length),
                         HD_ERR_INVALID_ARGUMENT);
        assert_int_equal(hd_event_command(f->engine, t + 100, command, sizeof(command), NULL),
                         HD_ERR_NO_SUCH_EVENT);
    }

    /* a second one with the other values */
    struct hd_event_desc d2 = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, NULL, 0);
    d2.enabled = false;
    d2.condition.kind = HD_CONDITION_NATIVE;
    d2.condition.fn = log_condition_true;
    uint64_t t2 = reg_desc(f, &d2);
    assert_int_equal(hd_event_query(f->engine, t2, &info), HD_OK);
    assert_int_equal(info.pid, HD_ALL);
    assert_int_equal(info.core, HD_ALL);
    assert_int_equal(info.stage, HD_STAGE_ALL);
    assert_false(info.short_circuit);
    assert_false(info.enabled);
    assert_int_equal(info.condition, HD_CONDITION_NATIVE);
    assert_int_equal(info.action_count, 0);
    {
        char command[4] = "x";
        assert_int_equal(info.command_length, 0);
        assert_int_equal(hd_event_command(f->engine, t2, command, sizeof(command), NULL), HD_OK);
        assert_string_equal(command, ""); /* no command: empty text */
    }
}

static void s19_query_follows_enable_and_action_add(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, NULL, 0);
    struct hd_action_desc a = act_log(1);
    assert_int_equal(hd_action_add(f->engine, t, &a), HD_OK);
    assert_int_equal(hd_action_add(f->engine, t, &a), HD_OK);
    assert_int_equal(hd_event_disable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_event_query(f->engine, t, &info), HD_OK);
    assert_int_equal(info.action_count, 2);
    assert_false(info.enabled);
    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_OK);
    assert_int_equal(info.action_count, 2);
    assert_false(info.enabled);
}

static void s19_query_unknown_tag_is_no_such_event(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, HD_TAG_BASE, &info), HD_ERR_NO_SUCH_EVENT);
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    assert_int_equal(hd_event_query(f->engine, t + 1, &info), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_query(f->engine, 0, &info), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_query(f->engine, HD_TAG_ALL, &info), HD_ERR_NO_SUCH_EVENT);
}

static void s19_long_command_text_is_kept_up_to_the_maximum(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    static char text[HD_COMMAND_MAX_BYTES + 100];
    memset(text, 'c', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    d.command = text;
    uint64_t t = reg_desc(f, &d);
    static char kept[HD_COMMAND_MAX_BYTES + 100];
    assert_int_equal(hd_event_query(f->engine, t, &info), HD_OK);
    assert_int_equal(info.command_length, HD_COMMAND_MAX_BYTES);
    assert_int_equal(hd_event_command(f->engine, t, kept, sizeof(kept), NULL), HD_OK);
    assert_int_equal(strlen(kept), HD_COMMAND_MAX_BYTES);
    assert_int_equal(kept[0], 'c');
}

static void s19_hooks_see_their_events_tag(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->tag, a);
    assert_int_equal(tlog_at(1)->tag, b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s19_tags_start_at_0x1000000_and_count_up),
        T(s19_event_id_and_tag_macros),
        T(s19_tags_are_not_reused_after_clear),
        T(s19_tags_are_not_reused_after_clear_all),
        T(s19_caller_chosen_tag_is_used_and_numbering_continues),
        T(s19_caller_chosen_tag_already_given_out_is_refused),
        T(s19_caller_chosen_tag_may_skip_at_most_the_limit),
        T(s19_failed_registrations_do_not_use_a_tag),
        T(s19_register_without_tag_out_still_uses_a_tag),
        T(s19_event_next_walks_in_tag_order_and_ends_with_empty),
        T(s19_event_next_on_empty_engine_is_empty),
        T(s19_event_query_reports_every_field),
        T(s19_query_follows_enable_and_action_add),
        T(s19_query_unknown_tag_is_no_such_event),
        T(s19_long_command_text_is_kept_up_to_the_maximum),
        T(s19_hooks_see_their_events_tag),
    };
#undef T
    return cmocka_run_group_tests_name("S19 tags, IDs and listing", tests, NULL, NULL);
}
