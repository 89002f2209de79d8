/* SPDX-License-Identifier: MIT */
/*
 * Per-core counters, packed (libhdevent/core/counters.c; docs/design-decisions.md,
 * "Counters"): an event's counters on one core are 16 bytes in a line only that core writes,
 * four events registered one after another share each core's line, a freed event's slot
 * serves the next event only zeroed, and events with `max_hits` or `deny` keep lines of their
 * own (the line every core reads follows them). Counts are read through hd_event_counters(),
 * the layout through the engine's own records.
 */
#include "helpers.h"

#include "internal/engine.h"

static const struct hd_event *event_of(const struct fx *f, uint64_t tag)
{
    for (uint32_t i = 0; i < f->engine->registry.events.count; i++) {
        const struct hd_event *ev = hd__registry_event(&f->engine->registry, i);
        if (ev->tag == tag)
            return ev;
    }
    fail_msg("no event %#llx", (unsigned long long)tag);
    return NULL;
}

static uintptr_t line_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(HD_CACHELINE - 1);
}

static struct hd_event_counters counters(const struct fx *f, uint64_t tag, uint32_t core)
{
    struct hd_event_counters k;
    assert_int_equal(hd_event_counters(f->engine, tag, core, &k), HD_OK);
    return k;
}

/* Four events in a row: one line per core for all four, core c's line c lines after core 0's. */
static void four_events_share_each_cores_line(void **state)
{
    struct fx *f = *state;
    uint64_t tags[4];
    const struct hd_event *ev[4];

    for (uint32_t i = 0; i < 4; i++) {
        tags[i] = reg_logged(f, HD_ALL, 0x10 + i, HD_STAGE_PRE, i + 1);
        ev[i] = event_of(f, tags[i]);
    }
    for (uint32_t i = 0; i < 4; i++) {
        assert_ptr_equal(ev[i]->counter_block, ev[0]->counter_block);
        for (uint32_t c = 0; c < 4; c++) {
            const struct hd_counters *k = hd__counters_at(ev[i]->counters, c);
            assert_true(line_of(k) == line_of(ev[0]->counters) + (uintptr_t)c * HD_CACHELINE);
            for (uint32_t j = 0; j < i; j++) /* no two events on one slot */
                assert_ptr_not_equal(k, hd__counters_at(ev[j]->counters, c));
        }
    }
    /* A fifth event opens the next block. */
    assert_ptr_not_equal(event_of(f, reg_logged(f, HD_ALL, 0x20, HD_STAGE_PRE, 5))->counter_block,
                         ev[0]->counter_block);

    /* Each counts its own exits, on the core that ran them, beside its neighbours. */
    for (uint32_t i = 0; i < 4; i++)
        for (uint32_t n = 0; n <= i; n++)
            run_exit(f, i, 0x10 + i, 0, NULL);
    for (uint32_t i = 0; i < 4; i++)
        for (uint32_t c = 0; c < 4; c++)
            assert_int_equal(counters(f, tags[i], c).hits, c == i ? i + 1 : 0);
    assert_int_equal(counters(f, tags[3], HD_ALL).hits, 4);
}

/* A cleared event's slot goes to the next event once the event is freed, and starts at 0;
 * a block whose events are all freed is freed (fx_teardown: nothing is left allocated). */
static void a_reused_slot_starts_at_zero(void **state)
{
    struct fx *f = *state;
    uint64_t first = reg_logged(f, HD_ALL, 0x10, HD_STAGE_PRE, 1), second;
    const struct hd_counters *slot = event_of(f, first)->counters;

    reg_logged(f, HD_ALL, 0x11, HD_STAGE_PRE, 3); /* its neighbour keeps the block */

    for (uint32_t c = 0; c < 4; c++)
        run_exit(f, c, 0x10, 0, NULL);
    assert_int_equal(counters(f, first, HD_ALL).hits, 4);
    assert_int_equal(hd_event_clear(f->engine, first), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0); /* freed: no core holds it */

    second = reg_logged(f, HD_ALL, 0x10, HD_STAGE_PRE, 2);
    assert_ptr_equal(event_of(f, second)->counters, slot); /* the lowest free slot */
    for (uint32_t c = 0; c < 4; c++)
        assert_int_equal(counters(f, second, c).hits, 0);
    run_exit(f, 2, 0x10, 0, NULL);
    assert_int_equal(counters(f, second, HD_ALL).hits, 1);
    assert_int_equal(counters(f, second, 2).hits, 1);
}

/* An event with max_hits: lines of its own, counted the same way. */
static void an_event_with_max_hits_has_lines_of_its_own(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, 0x10, HD_STAGE_PRE, false, &a, 1);
    uint64_t plain = reg_logged(f, HD_ALL, 0x11, HD_STAGE_PRE, 2), limited;
    const struct hd_event *ev;

    d.max_hits = 2;
    limited = reg_desc(f, &d);
    ev = event_of(f, limited);
    assert_null(ev->counter_block);
    assert_int_equal((uintptr_t)ev->counters % HD_CACHELINE, 0);
    assert_true(line_of(ev->counters) != line_of(event_of(f, plain)->counters));
    for (uint32_t n = 0; n < 3; n++)
        run_exit(f, 1, 0x10, 0, NULL);
    assert_int_equal(counters(f, limited, 1).hits, 3); /* evaluated thrice, ran twice (S24) */
    assert_int_equal(counters(f, limited, 1).condition_false, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(four_events_share_each_cores_line, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_reused_slot_starts_at_zero, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(an_event_with_max_hits_has_lines_of_its_own, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
