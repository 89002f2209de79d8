/* SPDX-License-Identifier: MIT */
/*
 * S2, S5, S8, S12, S14, S16 for the per-core copies (hd_core.word, snapshot.c:
 * publish_cores()): when every enabled event is bound to a core and takes any pid —
 * `!vmcall core 2 …`, the usual per-core hooks — each core's exits read a direct list of
 * that core's events alone, as one event's would, however many events the other cores
 * have. These tests pin what a demanding user relies on:
 *   - exits on each core run exactly that core's events, in registration order, by both
 *     entry forms; a core with no event runs nothing and leaves before the lookup;
 *   - a change on one core leaves the other cores' lists as they were (no copy, no store);
 *   - every other form of set — an event on every core, a pid filter, a post event, `nr`
 *     events — sends the cores to the engine's word, and back when it goes;
 *   - a copy that cannot be allocated costs nothing but time;
 *   - a core's short-circuit, own hypercalls and the recorder behave as without copies;
 *   - a core's list replaced while that core runs it is freed only after the exit (S5), and
 *     every core sees a whole set while a writer churns the lists (S16).
 * The events are raw custom code that appends its id to the guest's rbx as a decimal digit,
 * or native logging actions where a hook must act.
 */
#include "helpers.h"

#include <pthread.h>
#include <sched.h>

#include "internal/engine.h"

#define PID 0x490u

/* An event on (@core, @pid) in @stage whose code marks @id, on the number @nr unless 0. */
static uint64_t reg_marker_full(struct fx *f, uint32_t core, uint32_t pid, enum hd_stage stage,
                                uint8_t id, uint64_t nr)
{
    return reg_marker_event(f, core, pid, stage, false, id, nr);
}

static uint64_t reg_marker(struct fx *f, uint32_t core, uint8_t id)
{
    return reg_marker_full(f, core, HD_ALL, HD_STAGE_PRE, id, 0);
}

/* The ids the events of one exit on @core (pid PID, @nr in rcx) marked, by @form. */
static unsigned exit_ids(struct fx *f, enum exit_form form, uint32_t core, uint64_t nr)
{
    struct hd_guest_regs regs;
    struct hd_vcpu v;

    memset(&regs, 0, sizeof(regs));
    regs.rcx = nr;
    hd_host_vcpu_init(&v, &regs, core, PID);
    if (form == FORM_EXIT) /* no event here short-circuits */
        assert_true(exit_by_form(f, form, &v).handled);
    else
        exit_by_form(f, form, &v);
    return (unsigned)regs.rbx;
}

/* Exits on @core by both forms mark @want. */
static void expect_nr(struct fx *f, uint32_t core, uint64_t nr, unsigned want)
{
    assert_int_equal(exit_ids(f, FORM_PRE, core, nr), want);
    assert_int_equal(exit_ids(f, FORM_EXIT, core, nr), want);
}

static void expect(struct fx *f, uint32_t core, unsigned want)
{
    expect_nr(f, core, 0, want);
}

/* Core @c's own direct list (0: none, its exits read the engine's word). */
static uintptr_t word_of(struct fx *f, uint32_t c)
{
    return f->engine->cores[c].word;
}

/* Core @c reads a direct list of its own, of the key (c, any pid). */
static void assert_own(struct fx *f, uint32_t c)
{
    uintptr_t w = word_of(f, c);
    assert_true(hd_snap_is_direct(w));
    assert_true(w != f->engine->current_word);
    assert_true(((const struct hd_snap_direct *)hd_snap_node(w))->key ==
                hd_snap_key(c, HD_ALL));
    assert_int_equal(f->engine->cores[c].may_match, 1);
}

/* No core has a list of its own (each reads the engine's word) and each may find an event. */
static void assert_engine_everywhere(struct fx *f)
{
    for (uint32_t c = 0; c < 4; c++) {
        assert_true(word_of(f, c) == 0);
        assert_int_equal(f->engine->cores[c].may_match, 1);
    }
}

static void each_core_runs_its_own_events(void **state) /* S2, S8 */
{
    struct fx *f = *state;
    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    reg_marker(f, 2, 3);
    reg_marker(f, 1, 4); /* a second event on core 1: after the first (S8) */
    for (uint32_t c = 0; c < 3; c++)
        assert_own(f, c);
    assert_int_equal(f->engine->cores[3].may_match, 0); /* no event: leaves at once */
    expect(f, 0, 1);
    expect(f, 1, 24);
    expect(f, 2, 3);
    expect(f, 3, 0);
}

static void a_change_on_one_core_keeps_the_others(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = reg_marker(f, 0, 1);
    uintptr_t w1;

    reg_marker(f, 1, 2);
    w1 = word_of(f, 1);
    reg_marker(f, 0, 5); /* core 0's list changes, core 1's copy stays */
    assert_true(word_of(f, 1) == w1);
    assert_own(f, 0);
    expect(f, 0, 15);
    expect(f, 1, 2);

    assert_int_equal(hd_event_disable(f->engine, t0), HD_OK);
    assert_true(word_of(f, 1) == w1);
    expect(f, 0, 5);
    assert_int_equal(hd_event_enable(f->engine, t0), HD_OK);
    expect(f, 0, 15); /* back in tag order (S8) */
    assert_int_equal(hd_event_clear(f->engine, t0), HD_OK);
    expect(f, 0, 5);
    assert_true(word_of(f, 1) == w1);
}

static void a_core_whose_events_go_leaves_at_once(void **state) /* S1 per core */
{
    struct fx *f = *state;
    uint64_t t2 = reg_marker(f, 2, 3);

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    assert_int_equal(hd_event_disable(f->engine, t2), HD_OK);
    assert_int_equal(f->engine->cores[2].may_match, 0);
    expect(f, 2, 0);
    expect(f, 1, 2);
}

static void an_event_on_every_core_sends_each_to_the_engine(void **state) /* S8: merged */
{
    struct fx *f = *state;
    uint64_t all;

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    all = reg_marker(f, HD_ALL, 3);
    assert_engine_everywhere(f);
    expect(f, 0, 13);
    expect(f, 1, 23);
    expect(f, 3, 3);
    assert_int_equal(hd_event_clear(f->engine, all), HD_OK);
    assert_own(f, 0);
    assert_own(f, 1);
    assert_int_equal(f->engine->cores[3].may_match, 0);
    expect(f, 1, 2);
    expect(f, 3, 0);
}

static void a_pid_filter_sends_each_to_the_engine(void **state) /* S3 */
{
    struct fx *f = *state;
    uint64_t pid;

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    pid = reg_marker_full(f, 1, PID, HD_STAGE_PRE, 3, 0);
    reg_marker_full(f, 1, PID + 1, HD_STAGE_PRE, 4, 0);
    assert_engine_everywhere(f);
    expect(f, 1, 23);
    expect(f, 0, 1);
    assert_int_equal(hd_event_clear(f->engine, pid), HD_OK);
    expect(f, 1, 2);
}

static void a_post_event_sends_its_core_to_the_engine(void **state) /* S9, S10 */
{
    struct fx *f = *state;
    uint64_t post;

    reg_marker(f, 0, 1);
    reg_marker(f, 2, 2);
    post = reg_marker_full(f, 2, HD_ALL, HD_STAGE_POST, 3, 0);
    assert_own(f, 0);
    assert_true(word_of(f, 2) == 0); /* two lists: the tree's bucket */
    assert_int_equal(f->engine->cores[2].may_match, 1);
    expect(f, 2, 23);
    expect(f, 0, 1);
    assert_int_equal(hd_event_clear(f->engine, post), HD_OK);
    assert_own(f, 2);
    expect(f, 2, 2);
}

static void nr_events_send_each_to_the_engine(void **state) /* S21 */
{
    struct fx *f = *state;
    uint64_t nr;

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    nr = reg_marker_full(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 3, 0x10);
    assert_engine_everywhere(f);
    expect_nr(f, 1, 0x10, 23);
    expect_nr(f, 1, 0x11, 2);
    assert_int_equal(hd_event_clear(f->engine, nr), HD_OK);
    assert_own(f, 0);
    assert_own(f, 1);
    expect_nr(f, 1, 0x10, 2);
}

/* One key and one key only: the engine's own direct list, on the core it names. */
static void one_key_is_the_engines_direct_list(void **state)
{
    struct fx *f = *state;
    uint64_t t1;

    reg_marker(f, 2, 1);
    assert_true(hd_snap_is_direct(f->engine->current_word));
    assert_true(word_of(f, 2) == 0);
    assert_int_equal(f->engine->cores[0].may_match, 0);
    t1 = reg_marker(f, 3, 2); /* two keys: a tree, each core its own copy */
    assert_own(f, 2);
    assert_own(f, 3);
    assert_int_equal(hd_event_clear(f->engine, t1), HD_OK);
    assert_true(word_of(f, 2) == 0);
    assert_int_equal(f->engine->cores[3].may_match, 0);
    expect(f, 2, 1);
    expect(f, 3, 0);
}

/*
 * A copy that cannot be allocated: the core reads the tree, the change itself succeeds, and
 * the exits run the same events. The copy is the change's last allocation (publish_cores()
 * runs after the tree's nodes are made); were it not, the word check below fails.
 */
static void a_copy_that_fails_leaves_the_core_to_the_tree(void **state)
{
    struct fx *f = *state;
    uint64_t before, calls, t;

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    before = hd_host_allocation_calls(f->host);
    t = reg_marker(f, 1, 3);
    calls = hd_host_allocation_calls(f->host) - before;
    assert_int_equal(hd_event_clear(f->engine, t), HD_OK); /* a copy again */
    assert_own(f, 1);

    hd_host_fail_allocation(f->host, (int64_t)calls - 1);
    reg_marker(f, 1, 3);
    hd_host_fail_allocation(f->host, -1);
    assert_true(word_of(f, 1) == 0);
    assert_int_equal(f->engine->cores[1].may_match, 1);
    assert_own(f, 0);
    expect(f, 1, 23);
    expect(f, 0, 1);
    reg_marker(f, 0, 5); /* the next change, on another core, copies core 1 again */
    assert_own(f, 1);
    expect(f, 1, 23);
}

static void a_rebuild_copies_every_core(void **state) /* hd_event_*(HD_TAG_ALL) */
{
    struct fx *f = *state;

    reg_marker(f, 0, 1);
    reg_marker(f, 1, 2);
    reg_marker(f, 1, 3);
    assert_int_equal(hd_event_disable(f->engine, HD_TAG_ALL), HD_OK);
    assert_true(word_of(f, 0) == 0 && word_of(f, 1) == 0);
    assert_int_equal(f->engine->cores[1].may_match, 0);
    expect(f, 1, 0);
    assert_int_equal(hd_event_enable(f->engine, HD_TAG_ALL), HD_OK);
    assert_own(f, 0);
    assert_own(f, 1);
    expect(f, 0, 1);
    expect(f, 1, 23);
}

static void an_added_action_copies_its_core_again(void **state) /* S7 */
{
    struct fx *f = *state;
    uint64_t t1;
    uintptr_t w0, w1;
    struct hd_action_desc log = act_log(9);

    reg_marker(f, 0, 1);
    t1 = reg_marker(f, 1, 2);
    w0 = word_of(f, 0);
    w1 = word_of(f, 1);
    assert_int_equal(hd_action_add(f->engine, t1, &log), HD_OK);
    assert_true(word_of(f, 0) == w0);
    assert_true(word_of(f, 1) != w1);
    assert_own(f, 1);
    tlog_reset();
    expect(f, 1, 2); /* the code, then the added action (by both forms) */
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->id, 9);
    expect(f, 0, 1);
    assert_int_equal(tlog_count(), 2);
}

/* S14: the hypervisor's own call takes the slow way, where the engine's tree is looked up:
 * the core's event runs, on a copy of the registers. */
static void an_own_hypercall_runs_its_cores_event_and_keeps_its_registers(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu v;
    struct form_result r;

    reg_marker(f, 0, 1);
    reg_marker(f, 2, 2);
    for (enum exit_form form = FORM_PRE; form <= FORM_EXIT; form++) {
        memset(&regs, 0, sizeof(regs));
        set_hyperdbg_magic(&regs);
        hd_host_vcpu_init(&v, &regs, 2, PID);
        r = exit_by_form(f, form, &v);
        assert_true(r.pre_flags & HD_VERDICT_PROTECTED);
        assert_int_equal(r.fired, 1);  /* core 2's event ran … */
        assert_int_equal(regs.rbx, 0); /* … on the copy: its mark is discarded */
    }
}

/* S12: a core's copy short-circuits as its list would: no handling, no post pass. */
static void a_short_circuit_on_a_core_skips_the_handling(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu v;
    struct form_result r;

    reg_marker(f, 0, 1);
    reg_marker_event(f, 1, HD_ALL, HD_STAGE_PRE, true, 2, 0);
    assert_own(f, 1);
    for (enum exit_form form = FORM_PRE; form <= FORM_EXIT; form++) {
        memset(&regs, 0, sizeof(regs));
        hd_host_vcpu_init(&v, &regs, 1, PID);
        r = exit_by_form(f, form, &v);
        assert_true(r.pre_flags & HD_VERDICT_SHORT_CIRCUIT);
        assert_false(r.pre_flags & HD_VERDICT_POST);
        assert_false(r.handled);
        assert_int_equal(regs.rbx, 2);
        assert_int_equal(regs.rax, 0); /* the default handling did not answer */
    }
    expect(f, 0, 1); /* core 0's list does not short-circuit */
}

static void exits_on_per_core_lists_are_recorded(void **state) /* recorder.h */
{
    struct fx *f = *state;
    struct hd_exit_record rec;
    uint64_t t1;

    assert_int_equal(hd_recorder_set(f->engine, true), HD_OK);
    reg_marker(f, 0, 1);
    t1 = reg_marker(f, 1, 2);
    expect(f, 1, 2);
    for (int i = 0; i < 2; i++) { /* one record per form */
        assert_int_equal(hd_recorder_read(f->engine, &rec), HD_OK);
        assert_int_equal(rec.core, 1);
        assert_int_equal(rec.fired_count, 1);
        assert_int_equal(rec.fired[0], t1);
        assert_int_equal(rec.after.rbx, 2);
    }
    assert_int_equal(hd_recorder_read(f->engine, &rec), HD_EMPTY);
}

/* ---- S5: a core's list replaced while the core runs it ------------------------------- */

static struct fx *g_fx;
static uint64_t g_victim;
static uint64_t g_pending;
static uintptr_t g_old_copy;

/*
 * A native action that clears its own event and asks for the memory back at once: the
 * core's old copy is retired, and must still be there (an ASan build reports the read below,
 * and the rest of the walk, if it were freed).
 */
static void *clear_own_event(struct hd_hook *h)
{
    (void)h;
    assert_int_equal(hd_event_clear(g_fx->engine, g_victim), HD_OK);
    g_pending = hd_engine_reclaim(g_fx->engine); /* this core still holds its old copy */
    assert_true(word_of(g_fx, 0) != g_old_copy);  /* replaced … */
    assert_true(((const struct hd_snap_direct *)hd_snap_node(g_old_copy))->key ==
                hd_snap_key(0, HD_ALL)); /* … and not freed under this exit */
    return NULL;
}

static void a_replaced_copy_outlives_the_exit_that_reads_it(void **state) /* S5, S16 */
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(clear_own_event, NULL);
    unsigned ids;

    g_fx = f;
    reg_marker(f, 1, 2); /* a second key: a tree, so core 0 reads a copy of its own */
    g_victim = reg_event(f, 0, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    reg_marker(f, 0, 7); /* read from core 0's old copy after the hook replaced it */
    assert_own(f, 0);
    g_old_copy = word_of(f, 0);

    g_pending = 0;
    ids = exit_ids(f, FORM_EXIT, 0, 0);
    assert_int_equal(ids, 7);     /* S16: the exit ran the set it found */
    assert_true(g_pending > 0);   /* S5: not freed under the running exit */
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_own(f, 0);
    expect(f, 0, 7);
}

/* ---- S16 under load: writers change per-core lists while every core takes exits ------- */

#define STRESS_CORES 4u
#define STRESS_OPS 20000u

static uint64_t g_perm_runs[STRESS_CORES]; /* each written by its own core's thread only */
static uint64_t g_perm_strays[STRESS_CORES]; /* another core's permanent event ran here */
static int g_stop;

/* The permanent event of the core in @h->user: counted for the core the exit came from. */
static void *perm_run(struct hd_hook *h)
{
    uint32_t core = h->vcpu->core;

    if ((uintptr_t)h->user == core)
        g_perm_runs[core]++;
    else
        g_perm_strays[core]++;
    return NULL;
}

struct stress_core {
    struct fx *f;
    uint32_t core;
    pthread_t thread;
    int started;           /* atomic: one exit taken, so the writer may start */
    uint64_t exits, wrong; /* exits whose permanent event did not run exactly once */
};

/* Exits on one core, by both forms in turn, until the writer is done. */
static void *stress_dispatcher(void *arg)
{
    struct stress_core *c = arg;

    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        uint64_t before = g_perm_runs[c->core];
        struct hd_guest_regs regs;
        struct hd_vcpu v;

        memset(&regs, 0, sizeof(regs));
        regs.rcx = c->exits & 0x10; /* sometimes the `nr` event's number */
        hd_host_vcpu_init(&v, &regs, c->core, PID);
        if (c->exits & 1) {
            struct hd_exit x;
            if (hd_dispatch_vmcall_exit(c->f->engine, &v, NULL, NULL, NULL, &x) != HD_OK)
                c->wrong++;
        } else {
            struct hd_verdict verdict;
            if (hd_dispatch_vmcall(c->f->engine, &v, NULL, &verdict) != HD_OK)
                c->wrong++;
            else if (verdict.flags & HD_VERDICT_POST)
                hd_dispatch_vmcall_post(c->f->engine, &v, NULL, &verdict);
            else
                hd_dispatch_vmcall_end(c->f->engine, &v);
        }
        c->wrong += g_perm_runs[c->core] - before != 1 || g_perm_strays[c->core];
        c->exits++;
        __atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/*
 * One permanent event per core (core c, any pid) that every exit on c must run exactly once,
 * and a writer that registers, disables, enables and clears core-bound events around them —
 * now and then an event of another form (every core, a pid, a post stage, `nr`) that sends
 * the cores to the engine's word and back. ASan sees a copy freed under a core, TSan a race
 * on the words, the counts a torn or empty set.
 */
static void per_core_lists_change_under_running_cores(void **state)
{
    struct fx *f = *state;
    struct stress_core cores[STRESS_CORES];
    uint64_t tags[16] = {0}, rng = 0x9E3779B97F4A7C15ull;

    for (uint32_t c = 0; c < STRESS_CORES; c++) {
        struct hd_action_desc a = act_native(perm_run, (void *)(uintptr_t)c);
        reg_event(f, c, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    }
    g_stop = 0;
    memset(g_perm_runs, 0, sizeof(g_perm_runs));
    memset(g_perm_strays, 0, sizeof(g_perm_strays));
    for (uint32_t c = 0; c < STRESS_CORES; c++) {
        cores[c] = (struct stress_core){.f = f, .core = c};
        assert_int_equal(pthread_create(&cores[c].thread, NULL, stress_dispatcher, &cores[c]), 0);
    }
    for (uint32_t c = 0; c < STRESS_CORES; c++) /* every core is dispatching before it starts */
        while (!__atomic_load_n(&cores[c].started, __ATOMIC_ACQUIRE))
            sched_yield();
    for (uint32_t op = 0; op < STRESS_OPS; op++) {
        uint32_t slot, kind;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        slot = (uint32_t)(rng % 16);
        kind = (uint32_t)(rng >> 8) % 64;
        if (tags[slot] && kind < 40) {
            assert_int_equal(hd_event_clear(f->engine, tags[slot]), HD_OK);
            tags[slot] = 0;
        } else if (tags[slot] && kind < 52) {
            assert_int_equal(hd_event_disable(f->engine, tags[slot]), HD_OK);
            assert_int_equal(hd_event_enable(f->engine, tags[slot]), HD_OK);
        } else if (!tags[slot] && kind == 63) { /* another form, now and then */
            static const uint32_t form_core[4] = {HD_ALL, 1, 2, HD_ALL};
            static const uint32_t form_pid[4] = {HD_ALL, PID, HD_ALL, HD_ALL};
            uint32_t form = (uint32_t)(rng >> 20) & 3;
            tags[slot] = reg_marker_full(f, form_core[form], form_pid[form],
                                         form == 2 ? HD_STAGE_POST : HD_STAGE_PRE, 9,
                                         form == 3 ? 0x10 : 0);
        } else if (!tags[slot]) {
            tags[slot] = reg_marker(f, (uint32_t)(rng >> 16) % STRESS_CORES,
                                    (uint8_t)(1 + slot % 8));
        }
        if (op % 256 == 0)
            (void)hd_engine_reclaim(f->engine);
    }
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (uint32_t c = 0; c < STRESS_CORES; c++) {
        assert_int_equal(pthread_join(cores[c].thread, NULL), 0);
        assert_int_equal(cores[c].wrong, 0);
        assert_true(cores[c].exits > 0);
    }
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_core_runs_its_own_events, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_change_on_one_core_keeps_the_others, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_core_whose_events_go_leaves_at_once, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(an_event_on_every_core_sends_each_to_the_engine,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_pid_filter_sends_each_to_the_engine, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_post_event_sends_its_core_to_the_engine, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(nr_events_send_each_to_the_engine, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(one_key_is_the_engines_direct_list, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_copy_that_fails_leaves_the_core_to_the_tree, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_rebuild_copies_every_core, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(an_added_action_copies_its_core_again, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(
            an_own_hypercall_runs_its_cores_event_and_keeps_its_registers, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(a_short_circuit_on_a_core_skips_the_handling, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(exits_on_per_core_lists_are_recorded, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(a_replaced_copy_outlives_the_exit_that_reads_it,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(per_core_lists_change_under_running_cores, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
