/* SPDX-License-Identifier: MIT */
/*
 * hd_dispatch_vmcall_abandon() and hd_event_code_owner(): a backend that stops a hook which
 * never returns (the host backend contains faults and time limits that way) leaves the exit's
 * frames behind. The core must then end the exit's hold on its snapshot — the sequence back to
 * even under counter grace periods, a pending two-call post pass ended — or writers could never
 * free what they retire and the next exit would hold with the parity inverted.
 *
 * The hooks here leave by longjmp, as a contained fault does after the host's signal handler;
 * the exits call the core directly, so these tests pin the core alone (the host backend's own
 * containment is test_host_contain.c's).
 */
#include "helpers.h"

#include <hdevent/dispatch.h>

#include "internal/engine.h"

static jmp_buf g_out;

/* A native action that never returns to the dispatcher. */
static void *leave(struct hd_hook *h)
{
    (void)h;
    longjmp(g_out, 1);
}

/* One exit on @core through the one-call form whose hook leaves; true if it left. */
static bool exit_that_leaves(struct fx *f, uint32_t core)
{
    static struct hd_guest_regs regs;
    static struct hd_vcpu vcpu;
    static struct hd_exit x;

    hd_host_vcpu_init(&vcpu, &regs, core, 0x10);
    if (setjmp(g_out))
        return true;
    hd_dispatch_vmcall_exit(f->engine, &vcpu, NULL, NULL, NULL, &x);
    return false;
}

static uint64_t seq(struct fx *f, uint32_t core)
{
    return f->engine->cores[core].seq;
}

static void a_left_exit_holds_until_abandoned(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(leave, NULL);
    uint64_t tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    assert_true(exit_that_leaves(f, 1));
    assert_int_equal(seq(f, 1) & 1, 1); /* the exit's frames are gone, its hold is not */
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    assert_true(hd_engine_reclaim(f->engine) > 0); /* core 1 might still read the event */

    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 1), HD_OK);
    assert_int_equal(seq(f, 1) & 1, 0);
    assert_int_equal(hd_engine_reclaim(f->engine), 0); /* now everything is freed */

    /* The next exits on the core hold and release with the right parity. */
    reg_logged(f, 1, HD_ALL, HD_STAGE_PRE, 7);
    uint64_t before = seq(f, 1);
    run_exit(f, 1, 0x10, 0, NULL);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(seq(f, 1), before + 2);
}

static void abandon_is_harmless_when_nothing_is_held(void **state)
{
    struct fx *f = *state;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 0x10, 0, NULL);
    uint64_t before = seq(f, 0);
    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 0), HD_OK);
    assert_int_equal(seq(f, 0), before);
    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 4), HD_ERR_INVALID_CORE);
    assert_int_equal(hd_dispatch_vmcall_abandon(NULL, 0), HD_ERR_INVALID_ARGUMENT);
}

static void abandon_ends_a_pending_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    struct hd_verdict v;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    hd_host_vcpu_init(&vcpu, &regs, 2, 0x10);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_true(v.flags & HD_VERDICT_POST);
    assert_int_equal(seq(f, 2) & 1, 1);

    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 2), HD_OK);
    assert_int_equal(seq(f, 2) & 1, 0);
    assert_false(f->engine->cores[2].post_pending);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &v), HD_ERR_NO_PRE_PASS);
}

/* ---- IPI grace periods: a one-call exit makes no mark, a pending post pass does ---------- */

static void run_everywhere(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    for (uint32_t c = 0; c < 4; c++)
        fn(arg, c);
}

static void under_ipi_grace_only_a_pending_post_pass_is_held(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_action_desc a = act_native(leave, NULL);
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;
    struct hd_verdict v;

    ops.run_on_every_core = run_everywhere;
    fx_recreate(f, &ops, NULL);
    reg_event(f, 0, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    assert_true(exit_that_leaves(f, 0));
    assert_int_equal(seq(f, 0), 0);
    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 0), HD_OK);
    assert_int_equal(seq(f, 0), 0);

    reg_logged(f, 3, HD_ALL, HD_STAGE_POST, 2);
    hd_host_vcpu_init(&vcpu, &regs, 3, 0x10);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &v), HD_OK);
    assert_int_equal(seq(f, 3), 1);
    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 3), HD_OK);
    assert_int_equal(seq(f, 3), 2);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

/* ---- naming the code ----------------------------------------------------------------------- */

static const struct hd_event *registered(struct fx *f, uint32_t i)
{
    return hd__registry_event(&f->engine->registry, i);
}

static void the_owner_of_an_address_is_its_event_and_buffer(void **state)
{
    struct fx *f = *state;
    static const uint8_t cond[] = {0x48, 0x31, 0xC0, 0xC3}, code[] = {0x90, 0x90};
    struct hd_action_desc acts[3] = {act_log(1), act_code(code, sizeof(code), 0),
                                     act_code(code, sizeof(code), 0)};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 3);
    struct hd_code_owner o;
    uint64_t tag;

    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1); /* an event without raw code first */
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = cond;
    d.condition.code_size = sizeof(cond);
    tag = reg_desc(f, &d);
    const struct hd_event *ev = registered(f, 1);
    const uint8_t *c = ev->condition_code.exec;
    const uint8_t *a2 = hd__event_action(ev, 2)->code.exec;

    assert_int_equal(hd_event_code_owner(f->engine, c + 3, &o), HD_OK);
    assert_int_equal(o.tag, tag);
    assert_int_equal(o.action, -1);
    assert_int_equal(o.offset, 3);
    assert_int_equal(o.size, 4);
    assert_int_equal(hd_event_code_owner(f->engine, a2 + 2, &o), HD_OK);
    assert_int_equal(o.action, 2);
    assert_int_equal(o.offset, 2);
    assert_int_equal(o.size, 3); /* the appended RET */
    assert_int_equal(hd_event_code_owner(f->engine, a2 + 3, &o), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_code_owner(f->engine, &o, &o), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_code_owner(NULL, c, &o), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_code_owner(f->engine, c, NULL), HD_ERR_INVALID_ARGUMENT);
}

static void a_cleared_event_is_named_while_an_exit_holds_it(void **state)
{
    struct fx *f = *state;
    static const uint8_t code[] = {0x90, 0xC3};
    struct hd_action_desc acts[2] = {act_code(code, sizeof(code), 0), act_native(leave, NULL)};
    struct hd_code_owner o;
    uint64_t tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    const uint8_t *exec = hd__event_action(registered(f, 0), 0)->code.exec;

    assert_true(exit_that_leaves(f, 0)); /* holds the set that holds the event */
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    assert_int_equal(event_count(f), 0);
    assert_int_equal(hd_event_code_owner(f->engine, exec + 1, &o), HD_OK);
    assert_int_equal(o.tag, tag);
    assert_int_equal(o.action, 0);
    assert_int_equal(o.offset, 1);

    assert_int_equal(hd_dispatch_vmcall_abandon(f->engine, 0), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_event_code_owner(f->engine, exec + 1, &o), HD_ERR_NO_SUCH_EVENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_left_exit_holds_until_abandoned, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(abandon_is_harmless_when_nothing_is_held, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(abandon_ends_a_pending_post_pass, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(under_ipi_grace_only_a_pending_post_pass_is_held,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_owner_of_an_address_is_its_event_and_buffer,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_cleared_event_is_named_while_an_exit_holds_it,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
