/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure at every allocation of every writer call and of hd_engine_create.
 *
 * The contract (engine.h, registry.c): "a failed writer call changes nothing: no tag is used
 * up and nothing registered is lost" — and nothing leaked. For each operation the test fails
 * allocation n = 0, 1, 2, … (hd_host_fail_allocation) until the call succeeds without reaching
 * the injected failure. After every failed attempt it checks:
 *   - the status is HD_ERR_NO_MEMORY;
 *   - hd_host_live_allocations() is what it was before the call;
 *   - the registry (walked with hd_event_next) is identical: tags, enabled flags, action
 *     counts, filters, stage, condition kind, command text;
 *   - one simulated exit runs exactly the same hooks, in the same order, with the same
 *     messages, breaks and verdicts as before;
 * and after the successful call, that the number of failure points equals the number of
 * allocations the successful call made (every allocation, the snapshot last, was failed once)
 * and that the next registration gets the next tag in sequence (S19).
 */
#include <stdio.h>

#include "alloc_failure/alloc_failure.h" /* the fixture, the records and the failure loop */

/* ---- tests ------------------------------------------------------------------------------ */

/* The richest register, enabled: its snapshot is the last allocation. */
static void register_rich_enabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};
    static struct fire_record fr_;
    struct fire_record *fr = &fr_;
    uint64_t made;

    populate(f);
    rich_desc(&d, a, true, 42);
    made = fail_every_allocation(f, op_register, &r, "register rich (enabled)");
    /* At least: event, command, condition (tmp + exec), action array, code action (action,
     * buffers, tmp, exec), native action, break action, snapshot, and a block of counters
     * when none has a free slot (not here: see below). The exact number
     * is the engine's business; what matters is that each one was failed once. */
    assert_true(made >= 13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;

    /* It fires, in both passes: raw condition, raw code message, native action, break. */
    fire(f, fr);
    {
        unsigned native42 = 0;
        for (unsigned i = 0; i < fr->log_n; i++)
            native42 += fr->log[i].tag == r.tag && fr->log[i].id == 42;
        assert_int_equal(native42, 2);
        unsigned msgs = 0;
        for (unsigned i = 0; i < fr->msg_n; i++)
            if (fr->msg_tag[i] == r.tag) {
                assert_int_equal(fr->msg_word[i], 0x1313131313131313ull);
                msgs++;
            }
        assert_int_equal(msgs, 2);
        unsigned brk = 0;
        for (uint32_t i = 0; i < fr->breaks && i < 8; i++)
            brk += fr->brk[i].tag == r.tag;
        assert_int_equal(brk, 2);
    }
    assert_next_tag(f);
}

/*
 * The richest register, disabled: no snapshot is built. With populate()'s 7 events and 8
 * more the block of counters (16 events) has one free slot, so the first register takes it
 * and the second opens a block: two allocations more, failed once like the others — the
 * block, and the registry's array, which the 17th event grows from 16 to 32.
 */
static void register_rich_disabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};
    uint64_t in_a_free_slot, in_a_new_block;

    populate(f);
    for (uint32_t i = 0; i < 8; i++)
        reg_plain(f, HD_ALL, 0x600 + i, HD_STAGE_PRE, true, 100 + i);
    rich_desc(&d, a, false, 43);
    in_a_free_slot = fail_every_allocation(f, op_register, &r, "register rich (disabled)");
    assert_true(in_a_free_slot >= 11);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_enabled(f, r.tag, false);
    in_a_new_block = fail_every_allocation(f, op_register, &r,
                                           "register rich (disabled, new counter block)");
    assert_int_equal(in_a_new_block, in_a_free_slot + 2);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_enabled(f, r.tag, false);
    assert_next_tag(f);
}

/* The registry's tag array is full (16 events): the register grows it first. */
static void register_grows_registry(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};

    populate(f); /* 7 */
    for (unsigned i = 0; i < 9; i++)
        reg_plain(f, HD_ALL, 0x1000 + i, HD_STAGE_PRE, (i & 1) != 0, 10 + i);
    rich_desc(&d, a, true, 44);
    /* The grown tag array is the first allocation, so failure 0 hits it. */
    assert_true(fail_every_allocation(f, op_register, &r, "register rich (registry grows)") >=
                13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_next_tag(f);
}

/*
 * The first registration in a fresh engine: the registry's tag array does not exist yet and
 * is the first allocation. A later failure must not leave it behind either.
 */
static void register_first_in_engine(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};

    rich_desc(&d, a, true, 45);
    assert_true(fail_every_allocation(f, op_register, &r, "register rich (first event)") >= 13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_next_tag(f);
}

static void action_add_code_with_buffer(struct fx *f, bool enabled, uint64_t at_least)
{
    struct hd_action_desc act;
    struct add_arg arg;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = reg_plain(f, 1, 0x490, HD_STAGE_PRE, enabled, 50);
    hd_action_desc_init(&act, HD_ACTION_CODE);
    act.code = RAW_CODE_R13;
    act.code_size = sizeof(RAW_CODE_R13);
    act.buffer_size = 32;
    arg.tag = tag;
    arg.action = &act;
    assert_true(fail_every_allocation(f, op_add, &arg,
                                      enabled ? "add code action (enabled event)"
                                              : "add code action (disabled event)") >= at_least);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.action_count, 2);
    assert_int_equal(info.enabled, enabled);
    assert_next_tag(f);
}

/* at least: action, buffers, tmp, exec, snapshot */
static void action_add_enabled(void **state)
{
    action_add_code_with_buffer(*state, true, 5);
}

/* at least: action, buffers, tmp, exec (a disabled event needs no new snapshot) */
static void action_add_disabled(void **state)
{
    action_add_code_with_buffer(*state, false, 4);
}

/* Native and break actions on an enabled event; the fourth fills the array, the fifth grows it. */
static void action_add_native_and_grow(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc act;
    struct add_arg arg = {.action = &act};
    uint64_t tag;

    populate(f);
    tag = reg_plain(f, HD_ALL, HD_ALL, HD_STAGE_ALL, true, 60); /* capacity 4, 1 used */
    arg.tag = tag;
    hd_action_desc_init(&act, HD_ACTION_BREAK);
    assert_true(fail_every_allocation(f, op_add, &arg, "add break action") >= 2);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = native_action;
    act.user = (void *)61;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action") >= 2);
    act.user = (void *)62;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action (fills array)") >= 2);
    act.user = (void *)63;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action (grows array)") >= 2);
    hd_action_desc_init(&act, HD_ACTION_CODE);
    act.code = RAW_CODE_NULL; /* ends in RET: no temporary copy */
    act.code_size = sizeof(RAW_CODE_NULL);
    assert_true(fail_every_allocation(f, op_add, &arg, "add code action (no buffer, RET)") >= 3);
    assert_next_tag(f);
}

/*
 * An event registered with no action has no action array: hd_action_add allocates the first
 * one. A later failure (the action itself, its snapshot) must not leave that array behind.
 */
static void action_add_first_action(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc act;
    struct add_arg arg = {.action = &act};

    populate(f);
    hd_event_desc_init(&d);
    d.core = 1;
    arg.tag = reg_ok(f, &d);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = native_action;
    act.user = (void *)70;
    assert_true(fail_every_allocation(f, op_add, &arg, "add first action to an event") >= 2);
    assert_next_tag(f);
}

/* Clearing an enabled event allocates the new path to its lists and a retire batch: each of
 * those failing changes nothing. */
static void clear_enabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = tag_of(2); /* enabled, fires on the probe exit */
    assert_enabled(f, tag, true);
    assert_true(fail_every_allocation(f, op_clear, &tag, "clear enabled event (snapshot)") >= 2);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_ERR_NO_SUCH_EVENT);
    tag = tag_of(6); /* the rich event */
    assert_true(fail_every_allocation(f, op_clear, &tag, "clear enabled rich event") >= 2);
    assert_next_tag(f);
}

/* Clearing a disabled event allocates nothing: it cannot fail for lack of memory. */
static void clear_disabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = tag_of(3);
    assert_enabled(f, tag, false);
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear disabled event"), 0);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_ERR_NO_SUCH_EVENT);
    assert_next_tag(f);
}

static void clear_all(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag = HD_TAG_ALL;

    populate(f);
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear all"), 1);
    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_EMPTY);
    /* Clearing all of nothing allocates nothing. */
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear all (no event)"), 0);
    assert_next_tag(f);
}

static void enable_disable_all(void **state)
{
    struct fx *f = *state;
    uint64_t tag = HD_TAG_ALL;

    populate(f);
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable all") >= 2);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), true);
    /* An empty snapshot needs no memory: only the retire batch can fail. */
    assert_int_equal(fail_every_allocation(f, op_disable, &tag, "disable all"), 1);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), false);
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable all (from none)") >= 2);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), true);
    assert_next_tag(f);
}

static void enable_disable_single(void **state)
{
    struct fx *f = *state;
    uint64_t tag;

    populate(f);
    tag = tag_of(3); /* disabled, matches the probe exit */
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable single") >= 2);
    assert_enabled(f, tag, true);
    /* Enabling an enabled event changes nothing and allocates nothing. */
    assert_int_equal(fail_every_allocation(f, op_enable, &tag, "enable single (already)"), 0);
    tag = tag_of(6); /* the rich event */
    assert_true(fail_every_allocation(f, op_disable, &tag, "disable single") >= 2);
    assert_enabled(f, tag, false);
    assert_int_equal(fail_every_allocation(f, op_disable, &tag, "disable single (already)"), 0);
    assert_next_tag(f);
}

/* hd_engine_create: every allocation fails once, no leak, *out stays NULL. */
static void engine_create(void **state)
{
    struct hd_host *host;
    const struct hd_engine_config configs[2] = {{0}, {.message_slots = 5, .message_max_bytes = 9}};
    (void)state;

    assert_int_equal(hd_host_create(NULL, &host), HD_OK);
    for (unsigned c = 0; c < 2; c++) {
        int64_t n;
        for (n = 0;; n++) {
            struct hd_engine *engine = (struct hd_engine *)(uintptr_t)1;
            uint64_t calls0 = hd_host_allocation_calls(host), calls;
            enum hd_status st;
            hd_host_fail_allocation(host, n);
            st = hd_engine_create(hd_host_ops(host), c ? &configs[1] : NULL, &engine);
            calls = hd_host_allocation_calls(host) - calls0;
            hd_host_fail_allocation(host, -1);
            if (calls <= (uint64_t)n) {
                assert_int_equal(st, HD_OK);
                assert_non_null(engine);
                assert_int_equal(hd_engine_core_count(engine), 4);
                hd_engine_destroy(engine);
                assert_int_equal(hd_host_live_allocations(host), 0);
                assert_int_equal((uint64_t)n, calls);
                break;
            }
            assert_int_equal(st, HD_ERR_NO_MEMORY);
            assert_null(engine);
            assert_int_equal(hd_host_live_allocations(host), 0);
        }
        /* at least: engine, cores, rings (the empty snapshot is static: no allocation) */
        assert_true(n >= 3);
        printf("[ alloc    ] %-44s %2lld allocations, each failed once\n",
               c ? "engine create (config)" : "engine create", (long long)n);
    }
    hd_host_destroy(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(register_rich_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_rich_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_grows_registry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_first_in_engine, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_native_and_grow, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_first_action, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_all, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(enable_disable_all, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(enable_disable_single, fx_setup, fx_teardown),
        cmocka_unit_test(engine_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
