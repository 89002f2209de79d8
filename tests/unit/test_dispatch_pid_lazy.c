/* SPDX-License-Identifier: MIT */
/*
 * HD_VCPU_PID_LAZY (vcpu.h): a record that leaves the pid to the dispatcher gets it from the
 * backend's current_pid once, and only when some event's key filters on a pid; the pid and
 * the flag in the record say so afterwards. Every form of set the lookup knows — a direct
 * list keyed or not, one key shape in a table, (core, pid) keys, several shapes merged,
 * `nr` alone or with other events, post lists — and both entry forms (the two-call pre pass,
 * the one-call exit) take the same exits. The events are raw custom code, as HyperDbg's
 * commands make (a native hook sees the record, so its event asks whatever its key): each
 * appends its id to the guest's rbx as a decimal digit.
 */
#include "helpers.h"

#define OS_PID 0x4242u       /* what the "OS" says runs */
#define RECORD_PID 0xDEADu   /* what the record holds before the dispatcher asks */

static unsigned g_asked;
static uint32_t g_os_pid;

static uint32_t counting_pid(void *user)
{
    (void)user;
    g_asked++;
    return g_os_pid;
}

static uint64_t reg_marker(struct fx *f, uint32_t core, uint32_t pid, uint8_t id, uint64_t nr)
{
    return reg_marker_event(f, core, pid, HD_STAGE_PRE, false, id, nr);
}

static int setup(void **state)
{
    struct hd_backend_ops ops;
    struct fx *f;

    if (fx_setup(state))
        return -1;
    f = *state;
    ops = *hd_host_ops(f->host);
    ops.current_pid = counting_pid;
    fx_recreate(f, &ops, NULL);
    return 0;
}

/* What one exit did. */
struct lazy_result {
    unsigned ids;     /* the ids of the events that ran, in order, as decimal digits */
    unsigned asked;   /* how often the dispatcher asked for the pid */
    bool sc;          /* the pre pass's verdict short-circuited */
    bool handled;     /* the one-call form ran the default handling */
};

/* One exit on @core with the pid left to the dispatcher (the OS says @os_pid) and @nr in rcx,
 * by @form (the two-call form runs its post pass when asked). */
static struct lazy_result lazy_exit(struct fx *f, enum exit_form form, uint32_t core,
                                    uint32_t os_pid, uint64_t nr)
{
    struct lazy_result r = {0, 0, false, false};
    struct hd_guest_regs regs;
    struct form_result by;
    struct hd_vcpu v;

    memset(&regs, 0, sizeof(regs));
    regs.rcx = nr;
    hd_host_vcpu_init(&v, &regs, core, RECORD_PID);
    v.flags |= HD_VCPU_PID_LAZY;
    g_os_pid = os_pid;
    g_asked = 0;
    by = exit_by_form(f, form, &v);
    r.sc = (by.pre_flags & HD_VERDICT_SHORT_CIRCUIT) != 0;
    r.handled = by.handled;
    if (form == FORM_EXIT) /* the default handling's answer exactly when it ran (S12) */
        assert_int_equal(regs.rax, r.handled ? HD_VMCALL_ENOSYS : 0);
    r.asked = g_asked;
    if (g_asked) { /* the record holds the answer, and says it does */
        assert_int_equal(v.pid, os_pid);
        assert_false(v.flags & HD_VCPU_PID_LAZY);
    } else {
        assert_int_equal(v.pid, RECORD_PID);
        assert_true(v.flags & HD_VCPU_PID_LAZY);
    }
    r.ids = (unsigned)regs.rbx;
    return r;
}

/* Exits by both forms that must run the events @want, ask for the pid @want_asked times and
 * short-circuit when @want_sc (the one-call form then skips the handling). */
static void expect_sc(struct fx *f, uint32_t core, uint32_t os_pid, uint64_t nr, unsigned want,
                      unsigned want_asked, bool want_sc)
{
    struct lazy_result pre = lazy_exit(f, FORM_PRE, core, os_pid, nr);
    struct lazy_result one = lazy_exit(f, FORM_EXIT, core, os_pid, nr);

    assert_int_equal(pre.ids, want);
    assert_int_equal(one.ids, want);
    assert_int_equal(pre.asked, want_asked);
    assert_int_equal(one.asked, want_asked);
    assert_int_equal(pre.sc, want_sc);
    assert_int_equal(one.sc, want_sc);
    assert_int_equal(one.handled, !want_sc);
}

static void expect(struct fx *f, uint32_t core, uint32_t os_pid, uint64_t nr, unsigned want,
                   unsigned want_asked)
{
    expect_sc(f, core, os_pid, nr, want, want_asked, false);
}

static void one_pid_event_asks_once(void **state) /* a direct list with a pid in its key */
{
    struct fx *f = *state;
    reg_marker(f, HD_ALL, OS_PID, 1, 0);
    expect(f, 0, OS_PID, 0, 1, 1);
    expect(f, 3, OS_PID + 1, 0, 0, 1);
}

static void one_core_and_pid_event_asks_once(void **state) /* a direct list, both filters */
{
    struct fx *f = *state;
    reg_marker(f, 2, OS_PID, 1, 0);
    expect(f, 2, OS_PID, 0, 1, 1);
    expect(f, 2, OS_PID + 1, 0, 0, 1);
    expect(f, 1, OS_PID, 0, 0, 0); /* hd_core.may_match: no event on core 1, no lookup */
}

static void several_pids_ask_once(void **state) /* one key shape, in a table */
{
    struct fx *f = *state;
    reg_marker(f, HD_ALL, OS_PID, 1, 0);
    reg_marker(f, HD_ALL, OS_PID + 1, 2, 0);
    reg_marker(f, HD_ALL, OS_PID + 2, 3, 0);
    expect(f, 1, OS_PID + 1, 0, 2, 1);
    expect(f, 1, OS_PID + 2, 0, 3, 1);
    expect(f, 1, OS_PID + 3, 0, 0, 1);
}

static void core_and_pid_keys_ask_once(void **state)
{
    struct fx *f = *state;
    reg_marker(f, 1, OS_PID, 1, 0);
    reg_marker(f, 2, OS_PID, 2, 0);
    expect(f, 2, OS_PID, 0, 2, 1);
    expect(f, 1, OS_PID, 0, 1, 1);
    expect(f, 3, OS_PID, 0, 0, 1);
    expect(f, 1, OS_PID + 1, 0, 0, 1);
}

static void merged_shapes_ask_once(void **state) /* S8: merged in registration order */
{
    struct fx *f = *state;
    reg_marker(f, HD_ALL, HD_ALL, 1, 0);
    reg_marker(f, HD_ALL, OS_PID, 2, 0);
    reg_marker(f, 0, HD_ALL, 3, 0);
    expect(f, 0, OS_PID, 0, 123, 1);
    expect(f, 1, OS_PID, 0, 12, 1);
    expect(f, 0, OS_PID + 1, 0, 13, 1);
}

static void keys_without_a_pid_never_ask(void **state)
{
    struct fx *f = *state;
    uint64_t all = reg_marker(f, HD_ALL, HD_ALL, 1, 0); /* the direct list of every exit */
    uint64_t one;

    expect(f, 2, OS_PID, 0, 1, 0);
    assert_int_equal(hd_event_clear(f->engine, all), HD_OK);
    one = reg_marker(f, 1, HD_ALL, 1, 0); /* a direct list keyed on a core */
    expect(f, 1, OS_PID, 0, 1, 0);
    expect(f, 2, OS_PID, 0, 0, 0);
    assert_int_equal(hd_event_clear(f->engine, one), HD_OK);
    reg_marker(f, 1, HD_ALL, 1, 0); /* core keys, in a table */
    reg_marker(f, 2, HD_ALL, 2, 0);
    expect(f, 2, OS_PID, 0, 2, 0);
    expect(f, 0, OS_PID, 0, 0, 0);
}

static void post_events_on_a_pid_ask_once(void **state) /* S9, S10: the post pass too */
{
    struct fx *f = *state;
    reg_marker_event(f, HD_ALL, OS_PID, HD_STAGE_PRE, false, 1, 0);
    reg_marker_event(f, HD_ALL, OS_PID, HD_STAGE_POST, false, 2, 0);
    reg_marker_event(f, HD_ALL, OS_PID + 1, HD_STAGE_POST, false, 3, 0);
    expect(f, 0, OS_PID, 0, 12, 1);
    expect(f, 0, OS_PID + 1, 0, 3, 1);
    expect(f, 0, OS_PID + 2, 0, 0, 1);
}

static void a_keyed_short_circuit_skips_the_handling(void **state) /* S12 */
{
    struct fx *f = *state;
    reg_marker_event(f, HD_ALL, OS_PID, HD_STAGE_PRE, true, 1, 0);
    expect_sc(f, 3, OS_PID, 0, 1, 1, true);
    expect(f, 3, OS_PID + 1, 0, 0, 1);
}

static void nr_events_ask_only_for_a_pid_key(void **state) /* S21 */
{
    struct fx *f = *state;
    reg_marker(f, HD_ALL, HD_ALL, 1, 0x10);
    expect(f, 0, OS_PID, 0x10, 1, 0); /* the number's plain list */
    expect(f, 0, OS_PID, 0x11, 0, 0);
    reg_marker(f, HD_ALL, OS_PID, 2, 0x20);
    expect(f, 0, OS_PID, 0x10, 1, 0);
    expect(f, 0, OS_PID, 0x20, 2, 1);
    expect(f, 0, OS_PID + 1, 0x20, 0, 1);
}

static void nr_beside_a_pid_event_asks_once(void **state) /* S21, S8 */
{
    struct fx *f = *state;
    reg_marker(f, HD_ALL, HD_ALL, 1, 0x10);
    reg_marker(f, HD_ALL, OS_PID, 2, 0); /* no `nr`: every number */
    expect(f, 0, OS_PID, 0x10, 12, 1);
    expect(f, 0, OS_PID, 0x11, 2, 1);
    expect(f, 0, OS_PID + 1, 0x10, 1, 1);
    expect(f, 0, OS_PID + 1, 0x11, 0, 1);
}

static void a_native_hook_asks_whatever_its_key(void **state) /* it can see the record */
{
    struct fx *f = *state;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    expect(f, 0, OS_PID, 0, 0, 1); /* logs, but marks nothing in rbx */
    assert_int_equal(tlog_count(), 2);
    assert_int_equal(tlog_at(0)->pid, OS_PID);
    assert_int_equal(tlog_at(1)->pid, OS_PID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_pid_event_asks_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(one_core_and_pid_event_asks_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(several_pids_ask_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(core_and_pid_keys_ask_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(merged_shapes_ask_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(keys_without_a_pid_never_ask, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(post_events_on_a_pid_ask_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_keyed_short_circuit_skips_the_handling, setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(nr_events_ask_only_for_a_pid_key, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(nr_beside_a_pid_event_asks_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_native_hook_asks_whatever_its_key, setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
