/* SPDX-License-Identifier: MIT */
/*
 * `events`, `events e|d|c ID|all`, `events sc on|off` (hyperdbg-facts.md, "events"): the ID is
 * hex like every HyperDbg number and names the tag ID + 0x1000000; `all` is HD_TAG_ALL. The
 * parsed tags drive hd_event_enable/disable/clear on the host backend.
 */
#include "command_helpers.h"

static void events_alone_lists(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("events");
    assert_int_equal(c.kind, HD_COMMAND_EVENTS_LIST);
    hd_command_free(&c);
    c = parse_ok("  EVENTS  ");
    assert_int_equal(c.kind, HD_COMMAND_EVENTS_LIST);
    hd_command_free(&c);
}

static void enable_disable_clear_an_id(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum hd_command_kind kind;
        uint64_t id;
    } cases[] = {
        {"events e 0", HD_COMMAND_EVENTS_ENABLE, 0},
        {"events d 1", HD_COMMAND_EVENTS_DISABLE, 1},
        {"events c 10", HD_COMMAND_EVENTS_CLEAR, 0x10},
        {"events E 0n10", HD_COMMAND_EVENTS_ENABLE, 10},
        {"Events D a", HD_COMMAND_EVENTS_DISABLE, 0xA},
        {"events C 0x1`0", HD_COMMAND_EVENTS_CLEAR, 0x10},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_command c = parse_ok(cases[i].text);
        assert_int_equal(c.kind, cases[i].kind);
        assert_int_equal(c.id, cases[i].id);
        assert_int_equal(c.tag, HD_EVENT_TAG(cases[i].id));
        assert_null(c.event.actions);
        assert_null(c.event.command);
        hd_command_free(&c);
    }
}

static void all_is_the_all_events_tag(void **state)
{
    (void)state;
    const char *texts[] = {"events e all", "events d ALL", "events c All"};
    for (unsigned i = 0; i < 3; i++) {
        struct hd_command c = parse_ok(texts[i]);
        assert_int_equal(c.kind, HD_COMMAND_EVENTS_ENABLE + i);
        assert_int_equal(c.id, HD_TAG_ALL);
        assert_int_equal(c.tag, HD_TAG_ALL);
        hd_command_free(&c);
    }
}

static void sc_on_off(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("events sc on");
    assert_int_equal(c.kind, HD_COMMAND_EVENTS_SC);
    assert_true(c.sc_on);
    hd_command_free(&c);
    c = parse_ok("events SC OFF");
    assert_int_equal(c.kind, HD_COMMAND_EVENTS_SC);
    assert_false(c.sc_on);
    hd_command_free(&c);
}

static void refused_events_commands(void **state)
{
    (void)state;
    parse_fails("events x", 8, "x", "unknown events action: events takes nothing (list)");
    parse_fails("events enable 1", 8, "enable", "e|d|c ID|all, or sc on|off");
    parse_fails("events e", 8, "e", "missing event ID: an event ID is a hex number");
    parse_fails("events e 1 2", 12, "2", "unexpected text after the command");
    parse_fails("events e all x", 14, "x", "takes one event ID or 'all'");
    parse_fails("events e {1}", 10, "{1}", "a {...} body is not a number");
    parse_fails("events e 1z", 10, "1z", "an event ID is a hex number (prefix 0n for decimal)");
    parse_fails("events sc", 8, "sc", "missing value: events sc takes 'on' or 'off'");
    parse_fails("events sc yes", 11, "yes", "events sc takes 'on' or 'off'");
    parse_fails("events sc on off", 14, "off", "unexpected text after the command");
    parse_fails("events {x}", 8, "{x}", "unknown events action");
    parse_fails("events }", 8, "}", "unmatched '}'");
}

/* Apply a parsed events command to the engine, as the CLI will. */
static enum hd_status apply(struct fx *f, const char *text)
{
    struct hd_command c = parse_ok(text);
    enum hd_status st = HD_OK;
    switch (c.kind) {
    case HD_COMMAND_EVENTS_ENABLE:
        st = hd_event_enable(f->engine, c.tag);
        break;
    case HD_COMMAND_EVENTS_DISABLE:
        st = hd_event_disable(f->engine, c.tag);
        break;
    case HD_COMMAND_EVENTS_CLEAR:
        st = hd_event_clear(f->engine, c.tag);
        break;
    case HD_COMMAND_VMCALL:
        st = hd_event_register(f->engine, &c.event, NULL);
        break;
    default:
        fail_msg("unexpected command kind %d", (int)c.kind);
    }
    hd_command_free(&c);
    return st;
}

static bool enabled(struct fx *f, uint64_t id)
{
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, HD_EVENT_TAG(id), &info), HD_OK);
    return info.enabled;
}

static void parsed_ids_name_registered_events(void **state)
{
    struct fx *f = *state;
    assert_int_equal(apply(f, "!vmcall pid 1"), HD_OK);  /* ID 0 */
    assert_int_equal(apply(f, "!vmcall pid 2"), HD_OK);  /* ID 1 */
    assert_int_equal(apply(f, "!vmcall core 3"), HD_OK); /* ID 2 */

    assert_int_equal(apply(f, "events d 1"), HD_OK);
    assert_true(enabled(f, 0));
    assert_false(enabled(f, 1));
    run_exit(f, 0, 2, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 0); /* the pid 2 event is disabled */

    assert_int_equal(apply(f, "events e 0n1"), HD_OK);
    run_exit(f, 0, 2, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 1);

    assert_int_equal(apply(f, "events d all"), HD_OK);
    assert_false(enabled(f, 0) || enabled(f, 1) || enabled(f, 2));
    assert_int_equal(apply(f, "events e all"), HD_OK);
    assert_true(enabled(f, 0) && enabled(f, 1) && enabled(f, 2));

    assert_int_equal(apply(f, "events c 2"), HD_OK);
    assert_int_equal(event_count(f), 2);
    assert_int_equal(apply(f, "events c 2"), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(apply(f, "events e 5"), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(apply(f, "events c all"), HD_OK);
    assert_int_equal(event_count(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_alone_lists),
        cmocka_unit_test(enable_disable_clear_an_id),
        cmocka_unit_test(all_is_the_all_events_tag),
        cmocka_unit_test(sc_on_off),
        cmocka_unit_test(refused_events_commands),
        cmocka_unit_test_setup_teardown(parsed_ids_name_registered_events, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("events commands", tests, NULL, NULL);
}
