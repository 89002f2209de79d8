/* SPDX-License-Identifier: MIT */
/*
 * S4: a disabled event never fires; enabling it again makes it fire.
 * S5: a cleared event never fires again; its memory is freed once no core is inside dispatch
 * (here: no core is, so at once). Tags of the remaining events do not change.
 */
#include "helpers.h"

/* Run one exit on core 0 and return the ids that ran as a bitmask (ids 1..63). */
static uint64_t fire(struct fx *f)
{
    uint64_t m = 0;
    tlog_reset();
    run_exit(f, 0, 0x490, 0, NULL);
    for (unsigned i = 0; i < tlog_count(); i++)
        m |= 1ull << tlog_at(i)->id;
    return m;
}

static void s04_disabled_event_does_not_fire_and_enable_restores_it(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);

    assert_int_equal(fire(f), 1u << 1 | 1u << 2);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    assert_int_equal(fire(f), 1u << 2);
    assert_int_equal(fire(f), 1u << 2);
    assert_int_equal(hd_event_enable(f->engine, a), HD_OK);
    assert_int_equal(fire(f), 1u << 1 | 1u << 2);
}

static void s04_event_registered_disabled_fires_after_enable(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc act = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &act, 1);
    struct hd_event_info info;
    uint64_t tag;

    d.enabled = false;
    tag = reg_desc(f, &d);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_false(info.enabled);
    assert_int_equal(fire(f), 0);
    assert_int_equal(hd_event_enable(f->engine, tag), HD_OK);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_true(info.enabled);
    assert_int_equal(fire(f), 1u << 1);
}

static void s04_disable_all_and_enable_all(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t b;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    b = reg_logged(f, 0, HD_ALL, HD_STAGE_PRE, 2);
    reg_logged(f, HD_ALL, 0x490, HD_STAGE_PRE, 3);

    assert_int_equal(hd_event_disable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 0);
    assert_int_equal(hd_event_query(f->engine, b, &info), HD_OK);
    assert_false(info.enabled);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 1u << 1 | 1u << 2 | 1u << 3);
    assert_int_equal(hd_event_query(f->engine, b, &info), HD_OK);
    assert_true(info.enabled);
}

static void s04_enable_all_enables_individually_disabled_events(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 2);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    assert_int_equal(hd_event_disable(f->engine, b), HD_OK);
    assert_int_equal(fire(f), 0);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 1u << 1 | 1u << 2);
}

static void s04_enable_enabled_and_disable_disabled_are_ok(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    assert_int_equal(hd_event_enable(f->engine, a), HD_OK);
    assert_int_equal(fire(f), 1u << 1);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    assert_int_equal(fire(f), 0);
}

static void s04_enable_disable_unknown_tag_is_no_such_event(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    assert_int_equal(hd_event_enable(f->engine, a + 1), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_disable(f->engine, a + 1), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_disable(f->engine, 0), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(fire(f), 1u << 1); /* the real one is untouched */
}

static void s05_cleared_event_never_fires_others_still_do(void **state)
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 2);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3);

    assert_int_equal(hd_event_clear(f->engine, b), HD_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(fire(f), 1u << 1 | 1u << 3);
    /* enable cannot bring it back */
    assert_int_equal(hd_event_enable(f->engine, b), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 1u << 1 | 1u << 3);
}

static void s05_clear_keeps_the_tags_of_the_remaining_events(void **state)
{
    struct fx *f = *state;
    uint64_t t[4];
    struct hd_event_info info;
    for (int i = 0; i < 4; i++)
        t[i] = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, (uintptr_t)i + 1);
    assert_int_equal(hd_event_clear(f->engine, t[1]), HD_OK);

    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_OK);
    assert_int_equal(info.tag, t[0]);
    assert_int_equal(hd_event_next(f->engine, info.tag, &info), HD_OK);
    assert_int_equal(info.tag, t[2]);
    assert_int_equal(hd_event_next(f->engine, info.tag, &info), HD_OK);
    assert_int_equal(info.tag, t[3]);
    assert_int_equal(hd_event_next(f->engine, info.tag, &info), HD_EMPTY);
    assert_int_equal(hd_event_query(f->engine, t[1], &info), HD_ERR_NO_SUCH_EVENT);

    /* The hooks still report the same tags. */
    fire(f);
    assert_int_equal(tlog_count(), 3);
    assert_int_equal(tlog_at(0)->tag, t[0]);
    assert_int_equal(tlog_at(1)->tag, t[2]);
    assert_int_equal(tlog_at(2)->tag, t[3]);
    /* And they can still be addressed by tag. */
    assert_int_equal(hd_event_disable(f->engine, t[2]), HD_OK);
    assert_int_equal(fire(f), 1u << 1 | 1u << 4);
}

static void s05_clear_all_removes_every_event(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    uint64_t b = reg_logged(f, 1, 2, HD_STAGE_POST, 2);
    assert_int_equal(hd_event_disable(f->engine, b), HD_OK); /* a disabled one too */

    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 0);
    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_EMPTY);
    assert_int_equal(hd_event_query(f->engine, a, &info), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_query(f->engine, b, &info), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 0);
}

static void s05_clear_unknown_tag_is_no_such_event(void **state)
{
    struct fx *f = *state;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    assert_int_equal(hd_event_clear(f->engine, a + 1), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_BASE - 1), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(fire(f), 1u << 1);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, a), HD_ERR_NO_SUCH_EVENT); /* twice */
}

static void s05_clear_all_on_empty_engine_is_ok(void **state)
{
    struct fx *f = *state;
    uint64_t live = hd_host_live_allocations(f->host);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_host_live_allocations(f->host), live);
    /* and after everything was cleared once */
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(fire(f), 0);
}

/* No core is inside dispatch, so clearing gives the event's memory back at once. */
static void s05_cleared_event_memory_is_freed_when_no_core_is_inside(void **state)
{
    struct fx *f = *state;
    static const uint8_t ret1[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax,1; ret */
    /* A first event makes the registry allocate its array, which stays. */
    reg_logged(f, 3, 3, HD_STAGE_PRE, 9);
    uint64_t before = hd_host_live_allocations(f->host);
    struct hd_action_desc acts[2] = {act_log(1), act_code(ret1, sizeof(ret1), 64)};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = ret1;
    d.condition.code_size = sizeof(ret1);
    d.command = "!vmcall code {b8 01 00 00 00 c3}";

    uint64_t tag = reg_desc(f, &d);
    run_exit(f, 0, 1, 0, NULL);
    assert_true(hd_host_live_allocations(f->host) > before);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    assert_int_equal(hd_host_live_allocations(f->host), before);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

static void s05_cleared_disabled_event_memory_is_freed(void **state)
{
    struct fx *f = *state;
    reg_logged(f, 3, 3, HD_STAGE_PRE, 9); /* the registry's array is allocated and stays */
    uint64_t before = hd_host_live_allocations(f->host);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK);
    assert_true(hd_host_live_allocations(f->host) > before);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    assert_int_equal(hd_host_live_allocations(f->host), before);
    assert_int_equal(fire(f), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s04_disabled_event_does_not_fire_and_enable_restores_it),
        T(s04_event_registered_disabled_fires_after_enable),
        T(s04_disable_all_and_enable_all),
        T(s04_enable_all_enables_individually_disabled_events),
        T(s04_enable_enabled_and_disable_disabled_are_ok),
        T(s04_enable_disable_unknown_tag_is_no_such_event),
        T(s05_cleared_event_never_fires_others_still_do),
        T(s05_clear_keeps_the_tags_of_the_remaining_events),
        T(s05_clear_all_removes_every_event),
        T(s05_clear_unknown_tag_is_no_such_event),
        T(s05_clear_all_on_empty_engine_is_ok),
        T(s05_cleared_event_memory_is_freed_when_no_core_is_inside),
        T(s05_cleared_disabled_event_memory_is_freed),
    };
#undef T
    return cmocka_run_group_tests_name("S4/S5 enable, disable, clear", tests, NULL, NULL);
}
