/* SPDX-License-Identifier: MIT */
/*
 * Per-core counters, packed (libhdevent/core/counters.c; docs/design-decisions.md,
 * "Counters"): an event's counters on one core are 16 bytes in lines only that core writes;
 * events registered one after another get slots 16 bytes apart on each core, sixteen to a
 * block; a freed event's slot serves the next event only zeroed; events with `max_hits` or
 * `deny` take slots from blocks of their own, which hold a line per event after the runs
 * (read by every core, counted on by max_hits). Counts are read through
 * hd_event_counters(), the layout through the engine's own records.
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

/*
 * A block's events in a row: on every core 16 bytes apart, four to a line; core c's run of
 * lines HD_COUNTER_STRIDE * c bytes after core 0's, so no line holds two cores' counters.
 */
static void events_in_a_row_get_slots_in_a_row(void **state)
{
    struct fx *f = *state;
    uint64_t tags[HD_COUNTER_SLOTS];
    const struct hd_event *ev[HD_COUNTER_SLOTS];

    for (uint32_t i = 0; i < HD_COUNTER_SLOTS; i++) {
        tags[i] = reg_logged(f, HD_ALL, 0x10 + i, HD_STAGE_PRE, i + 1);
        ev[i] = event_of(f, tags[i]);
    }
    for (uint32_t i = 0; i < HD_COUNTER_SLOTS; i++) {
        assert_ptr_equal(ev[i]->counter_block, ev[0]->counter_block);
        for (uint32_t c = 0; c < 4; c++) {
            const uint8_t *k = (const uint8_t *)hd__counters_at(ev[i]->counters, c);
            assert_true(k == (const uint8_t *)ev[0]->counters + (size_t)c * HD_COUNTER_STRIDE +
                                 (size_t)i * sizeof(struct hd_counters));
            assert_int_equal(line_of(k) - line_of(ev[0]->counters),
                             (size_t)c * HD_COUNTER_STRIDE + (size_t)i / 4 * HD_CACHELINE);
        }
    }
    /* The next event opens the next block. */
    assert_ptr_not_equal(event_of(f, reg_logged(f, HD_ALL, 0x80, HD_STAGE_PRE, 99))->counter_block,
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

/*
 * Events with max_hits take slots from blocks of their own, each slot with a line of its own
 * after every core's run: two such events in a row keep separate run counts (S24).
 */
static void events_with_max_hits_have_shared_lines_of_their_own(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a[2] = {act_log(1), act_log(2)};
    struct hd_event_desc d;
    uint64_t plain = reg_logged(f, HD_ALL, 0x11, HD_STAGE_PRE, 9), limited[2];
    const struct hd_event *ev[2];
    unsigned runs[2] = {0, 0};

    for (uint32_t i = 0; i < 2; i++) {
        d = ev_desc(HD_ALL, 0x10, HD_STAGE_PRE, false, &a[i], 1);
        d.max_hits = 2 + i;
        limited[i] = reg_desc(f, &d);
        ev[i] = event_of(f, limited[i]);
    }
    assert_ptr_not_equal(ev[0]->counter_block, event_of(f, plain)->counter_block);
    assert_ptr_equal(ev[1]->counter_block, ev[0]->counter_block);
    for (uint32_t i = 0; i < 2; i++) {
        const uint8_t *sh = (const uint8_t *)hd__event_shared(ev[i]->counters, 4);
        assert_int_equal((uintptr_t)sh % HD_CACHELINE, 0);
        assert_true(sh >= (const uint8_t *)hd__counters_at(ev[1]->counters, 3) + 16);
    }
    assert_true((const uint8_t *)hd__event_shared(ev[1]->counters, 4) ==
                (const uint8_t *)hd__event_shared(ev[0]->counters, 4) + HD_CACHELINE);

    tlog_reset();
    for (uint32_t n = 0; n < 5; n++)
        run_exit(f, 1, 0x10, 0, NULL);
    for (unsigned k = 0; k < tlog()->n; k++)
        runs[tlog()->e[k].id - 1]++;
    assert_int_equal(runs[0], 2); /* each its own max_hits, counted on its own line */
    assert_int_equal(runs[1], 3);
    assert_int_equal(counters(f, limited[0], 1).hits, 5); /* evaluated on every exit */
    assert_int_equal(counters(f, limited[1], 1).hits, 5);
    assert_int_equal(counters(f, limited[1], 1).condition_false, 0);
}

/*
 * A full block of max_hits events on @cores cores: slots from a HD_COUNTER_STRIDE boundary,
 * each event's shared line where hd__event_shared() says — after every core's run, one line
 * per slot, all inside the block — and each event runs its own max_hits times (S24).
 */
static void full_extra_block_on(uint32_t cores)
{
    void *state = NULL;
    struct fx *f;
    struct hd_action_desc a[HD_COUNTER_SLOTS];
    const struct hd_event *ev[HD_COUNTER_SLOTS];
    unsigned runs[HD_COUNTER_SLOTS] = {0};
    const uint8_t *base;

    assert_int_equal(fx_setup_cores(&state, cores), 0);
    f = state;
    for (uint32_t s = 0; s < HD_COUNTER_SLOTS; s++) {
        struct hd_event_desc d;
        a[s] = act_log(s + 1);
        d = ev_desc(HD_ALL, 0x10, HD_STAGE_PRE, false, &a[s], 1);
        d.max_hits = s + 1;
        ev[s] = event_of(f, reg_desc(f, &d));
    }
    base = (const uint8_t *)ev[0]->counters;
    assert_int_equal((uintptr_t)base % HD_COUNTER_STRIDE, 0);
    for (uint32_t s = 0; s < HD_COUNTER_SLOTS; s++) {
        assert_ptr_equal(ev[s]->counter_block, ev[0]->counter_block);
        assert_ptr_equal((const uint8_t *)ev[s]->counters, base + 16u * s);
        assert_ptr_equal((const uint8_t *)hd__event_shared(ev[s]->counters, cores),
                         base + (size_t)cores * HD_COUNTER_STRIDE + (size_t)s * HD_CACHELINE);
    }
    tlog_reset();
    for (uint32_t n = 0; n <= HD_COUNTER_SLOTS; n++)
        run_exit(f, cores - 1, 0x10, 0, NULL);
    for (unsigned k = 0; k < tlog()->n; k++)
        runs[tlog()->e[k].id - 1]++;
    for (uint32_t s = 0; s < HD_COUNTER_SLOTS; s++)
        assert_int_equal(runs[s], s + 1);
    assert_int_equal(fx_teardown(&state), 0);
}

static void a_full_block_of_max_hits_events_on_1_4_and_65_cores(void **state)
{
    (void)state;
    full_extra_block_on(1);
    full_extra_block_on(4);
    full_extra_block_on(65);
}

/*
 * A full block that loses an event goes back among the blocks with a free slot, for either
 * kind: 17 plain and 17 max_hits events fill one block of each and open a second; clearing
 * one event of each first block makes the next event of its kind land in the freed slot.
 */
static void a_freed_slot_in_a_full_block_is_taken_next(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_log(1);
    uint64_t plain[HD_COUNTER_SLOTS + 1], limited[HD_COUNTER_SLOTS + 1];

    for (uint32_t i = 0; i <= HD_COUNTER_SLOTS; i++) {
        struct hd_event_desc d = ev_desc(HD_ALL, 0x20 + i, HD_STAGE_PRE, false, &a, 1);
        plain[i] = reg_logged(f, HD_ALL, 0x10 + i, HD_STAGE_PRE, 1);
        d.max_hits = 5;
        limited[i] = reg_desc(f, &d);
    }
    for (int kind = 0; kind < 2; kind++) {
        const uint64_t *tags = kind ? limited : plain;
        const struct hd_event *old = event_of(f, tags[7]);
        const struct hd_counter_block *full = old->counter_block;
        const struct hd_counters *slot = old->counters;
        const struct hd_event *next;
        struct hd_event_desc d = ev_desc(HD_ALL, 0x300, HD_STAGE_PRE, false, &a, 1);

        assert_ptr_not_equal(event_of(f, tags[HD_COUNTER_SLOTS])->counter_block, full);
        assert_int_equal(hd_event_clear(f->engine, tags[7]), HD_OK);
        assert_int_equal(hd_engine_reclaim(f->engine), 0);
        d.max_hits = kind ? 5 : 0;
        next = event_of(f, reg_desc(f, &d));
        assert_ptr_equal(next->counter_block, full);
        assert_ptr_equal(next->counters, slot);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events_in_a_row_get_slots_in_a_row, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_reused_slot_starts_at_zero, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(events_with_max_hits_have_shared_lines_of_their_own,
                                        fx_setup, fx_teardown),
        cmocka_unit_test(a_full_block_of_max_hits_events_on_1_4_and_65_cores),
        cmocka_unit_test_setup_teardown(a_freed_slot_in_a_full_block_is_taken_next, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
