/* SPDX-License-Identifier: MIT */
/*
 * S16 (single-threaded): one exit sees one event set from its pre pass to the end of its post
 * pass, whatever writers do in between; memory of a cleared event (and of the retired set)
 * is freed only after the exit ends — by the next writer call or hd_engine_reclaim().
 * Also: a post pass without a pre pass is refused (HD_ERR_NO_PRE_PASS), and a post pass the
 * backend skipped is tolerated by the next pre pass.
 *
 * The passes are driven with hd_dispatch_vmcall() / hd_dispatch_vmcall_post() directly, so the
 * test can act between them.
 */
#include "helpers.h"

struct exit_ctx {
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_verdict pre, post;
};

static void pre_pass(struct fx *f, struct exit_ctx *x, uint32_t core)
{
    memset(x, 0, sizeof(*x));
    hd_host_vcpu_init(&x->vcpu, &x->regs, core, 0x490);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &x->vcpu, NULL, &x->pre), HD_OK);
}

static void post_pass(struct fx *f, struct exit_ctx *x)
{
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x->vcpu, NULL, &x->post), HD_OK);
}

static void s16_post_pass_still_sees_an_event_cleared_after_the_pre_pass(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);

    pre_pass(f, &x, 0);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    post_pass(f, &x);

    assert_int_equal(tlog_count(), 3);
    assert_int_equal(tlog_at(0)->id, 1);
    assert_int_equal(tlog_at(0)->stage, HD_STAGE_PRE);
    assert_int_equal(tlog_at(1)->id, 2);
    assert_int_equal(tlog_at(1)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(2)->id, 1); /* the cleared event, from the pre pass's set */
    assert_int_equal(tlog_at(2)->stage, HD_STAGE_POST);
    assert_int_equal(tlog_at(2)->tag, a);
    assert_int_equal(x.post.fired, 2);

    /* the next exit has the new set */
    tlog_reset();
    run_exit(f, 0, 0x490, 0, NULL);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->id, 2);
}

static void s16_event_registered_between_passes_waits_for_the_next_exit(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);

    pre_pass(f, &x, 0);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 3);
    post_pass(f, &x);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->id, 1);

    tlog_reset();
    run_exit(f, 0, 0x490, 0, NULL);
    assert_int_equal(tlog_count(), 4); /* 3 pre, then 1, 2, 3 post */
    assert_int_equal(tlog_at(0)->id, 3);
    assert_int_equal(tlog_at(1)->id, 1);
    assert_int_equal(tlog_at(2)->id, 2);
    assert_int_equal(tlog_at(3)->id, 3);
}

static void s16_cleared_event_memory_lives_until_the_exit_ends_and_reclaim(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    uint64_t live_b = hd_host_live_allocations(f->host);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    uint64_t live_ab = hd_host_live_allocations(f->host);
    assert_true(live_ab > live_b);

    pre_pass(f, &x, 1);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    /* A new set was published; the old one and the event wait for core 1. */
    assert_true(hd_host_live_allocations(f->host) > live_ab);
    assert_true(hd_engine_reclaim(f->engine) > 0);
    assert_true(hd_host_live_allocations(f->host) > live_ab);

    post_pass(f, &x); /* runs the cleared event: ASan would report a use after free */
    assert_int_equal(tlog_count(), 3);
    /* dispatch itself never frees */
    assert_true(hd_host_live_allocations(f->host) > live_ab);

    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live_b);
}

static void s16_next_writer_call_frees_what_the_ended_exit_held(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    uint64_t b = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    uint64_t live_b = hd_host_live_allocations(f->host);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);

    pre_pass(f, &x, 2);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    post_pass(f, &x);
    assert_true(hd_host_live_allocations(f->host) > live_b);

    /* Any writer call reclaims: disabling b publishes an empty set (which needs no memory)
     * and frees what the ended exit held and the cleared event; enabling b again gives the
     * snapshot live_b was taken with. */
    assert_int_equal(hd_event_disable(f->engine, b), HD_OK);
    assert_true(hd_host_live_allocations(f->host) < live_b);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_event_enable(f->engine, b), HD_OK);
    assert_int_equal(hd_host_live_allocations(f->host), live_b);
}

static void s16_other_cores_see_the_new_set_while_one_core_is_inside(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);

    pre_pass(f, &x, 0);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    tlog_reset();
    run_exit(f, 3, 0x490, 0, NULL); /* another core, a full exit */
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(tlog_at(0)->id, 2);
    assert_true(hd_engine_reclaim(f->engine) > 0); /* core 0 still holds the old set */
    tlog_reset();
    post_pass(f, &x);
    assert_int_equal(tlog_count(), 2); /* 2, then the cleared 1 */
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
}

static void s16_clear_all_between_passes(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    /* One register/clear-all cycle first, so whatever the registry keeps is in live0. */
    reg_logged(f, 1, 1, HD_STAGE_PRE, 9);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    uint64_t live0 = hd_host_live_allocations(f->host);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 2);

    pre_pass(f, &x, 0);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_true(hd_engine_reclaim(f->engine) > 0);
    post_pass(f, &x);
    assert_int_equal(tlog_count(), 3);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live0);
}

static void s16_post_without_pre_is_refused(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    memset(&x, 0, sizeof(x));
    hd_host_vcpu_init(&x.vcpu, &x.regs, 0, 1);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
    assert_int_equal(x.post.flags, 0);
    assert_int_equal(x.post.fired, 0);
    assert_int_equal(tlog_count(), 0);
}

static void s16_second_post_pass_is_refused(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    pre_pass(f, &x, 0);
    post_pass(f, &x);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
    assert_int_equal(tlog_count(), 1);
}

static void s16_post_pass_on_another_core_is_refused(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    pre_pass(f, &x, 0);
    x.vcpu.core = 1;
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
    x.vcpu.core = 4;
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_BAD_VCPU);
    x.vcpu.core = 0;
    post_pass(f, &x);
    assert_int_equal(tlog_count(), 1);
}

static void s16_post_after_pre_that_asked_for_none_is_refused(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    pre_pass(f, &x, 0);
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
}

static void s16_skipped_post_pass_is_tolerated_by_the_next_pre_pass(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);

    pre_pass(f, &x, 0); /* asks for a post pass that never comes */
    assert_true(x.pre.flags & HD_VERDICT_POST);
    pre_pass(f, &x, 0);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    post_pass(f, &x);
    assert_int_equal(tlog_count(), 1); /* one post pass ran, once */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
}

static void s16_skipped_post_pass_ends_at_the_next_pre_pass_for_reclaim(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    uint64_t live0;
    reg_logged(f, 1, 1, HD_STAGE_PRE, 9); /* keeps the registry array allocated */
    live0 = hd_host_live_allocations(f->host);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);

    pre_pass(f, &x, 2); /* post pass skipped */
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    assert_true(hd_engine_reclaim(f->engine) > 0); /* core 2 still counts as inside */
    assert_true(hd_host_live_allocations(f->host) > live0);

    pre_pass(f, &x, 2); /* the next exit on core 2 ends the previous one */
    assert_int_equal(x.pre.flags & HD_VERDICT_POST, 0);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live0);
    assert_int_equal(tlog_count(), 0);
}

/* A backend's error path ends the exit at once with hd_dispatch_vmcall_end(). */
static void s16_dispatch_end_releases_a_skipped_post_pass(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    struct hd_verdict v;
    uint64_t live0;
    reg_logged(f, 1, 1, HD_STAGE_PRE, 9); /* keeps the registry array allocated */
    live0 = hd_host_live_allocations(f->host);
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);

    pre_pass(f, &x, 2);
    assert_true(x.pre.flags & HD_VERDICT_POST);
    assert_int_equal(hd_event_clear(f->engine, a), HD_OK);
    assert_true(hd_engine_reclaim(f->engine) > 0);

    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &x.vcpu), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_host_live_allocations(f->host), live0);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &v), HD_ERR_NO_PRE_PASS);
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &x.vcpu), HD_OK); /* harmless twice */
    x.vcpu.core = 99;
    assert_int_equal(hd_dispatch_vmcall_end(f->engine, &x.vcpu), HD_ERR_BAD_VCPU);
}

static void s16_skipped_post_pass_with_nothing_enabled_still_ends_the_exit(void **state)
{
    struct fx *f = *state;
    struct exit_ctx x;
    uint64_t a = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_POST, 1);
    pre_pass(f, &x, 1);
    assert_int_equal(hd_event_disable(f->engine, a), HD_OK); /* disarms the engine */
    assert_true(hd_engine_reclaim(f->engine) > 0);
    pre_pass(f, &x, 1); /* returns at once (S1) but ends the old exit first */
    assert_int_equal(x.pre.flags, 0);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &x.vcpu, NULL, &x.post),
                     HD_ERR_NO_PRE_PASS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s16_post_pass_still_sees_an_event_cleared_after_the_pre_pass),
        T(s16_event_registered_between_passes_waits_for_the_next_exit),
        T(s16_cleared_event_memory_lives_until_the_exit_ends_and_reclaim),
        T(s16_next_writer_call_frees_what_the_ended_exit_held),
        T(s16_other_cores_see_the_new_set_while_one_core_is_inside),
        T(s16_clear_all_between_passes),
        T(s16_post_without_pre_is_refused),
        T(s16_second_post_pass_is_refused),
        T(s16_post_pass_on_another_core_is_refused),
        T(s16_post_after_pre_that_asked_for_none_is_refused),
        T(s16_skipped_post_pass_is_tolerated_by_the_next_pre_pass),
        T(s16_skipped_post_pass_ends_at_the_next_pre_pass_for_reclaim),
        T(s16_dispatch_end_releases_a_skipped_post_pass),
        T(s16_skipped_post_pass_with_nothing_enabled_still_ends_the_exit),
    };
#undef T
    return cmocka_run_group_tests_name("S16 one event set per exit, deferred free", tests, NULL,
                                       NULL);
}
