/* SPDX-License-Identifier: MIT */
/*
 * hd_engine_create()'s errors: bad backend ops, bad arguments and configurations, and a failed
 * allocation. A failed creation leaves *out NULL and the host's live allocation count as it
 * was; the smallest ops a backend may pass (version 1, no exec memory, no lock) are accepted.
 * (Registration errors: test_registration_errors.c.)
 */
#include "helpers.h"

static uint32_t zero_cores(void *user)
{
    (void)user;
    return 0;
}

static uint32_t too_many_cores(void *user)
{
    (void)user;
    return HD_CORES_MAX + 1;
}

static void lock_noop(void *user)
{
    (void)user;
}

static void expect_create(struct fx *f, const struct hd_backend_ops *ops,
                          const struct hd_engine_config *cfg, enum hd_status want)
{
    struct hd_engine *e = (struct hd_engine *)(uintptr_t)0x1;
    uint64_t live = hd_host_live_allocations(f->host);
    assert_int_equal(hd_engine_create(ops, cfg, &e), want);
    assert_null(e);
    assert_int_equal(hd_host_live_allocations(f->host), live);
}

static void create_with_bad_ops_is_bad_ops(void **state)
{
    struct fx *f = *state;
    const struct hd_backend_ops good = *hd_host_ops(f->host);
    struct hd_backend_ops ops;

    expect_create(f, NULL, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.size = HD_BACKEND_OPS_V1_SIZE - 1;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops.size = 0;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.version = 0;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.alloc = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.free = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.core_count = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.core_count = zero_cores;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops.core_count = too_many_cores;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.exec_free = NULL; /* exec_alloc without exec_free */
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.exec_alloc = NULL;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.unlock = NULL; /* lock without unlock */
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
    ops = good;
    ops.lock = NULL;
    ops.unlock = lock_noop;
    expect_create(f, &ops, NULL, HD_ERR_BAD_OPS);
}

static void create_accepts_minimal_ops(void **state)
{
    struct fx *f = *state;
    const struct hd_backend_ops *good = hd_host_ops(f->host);
    struct hd_backend_ops ops;
    hd_backend_ops_init(&ops);
    assert_int_equal(ops.size, sizeof(ops));
    assert_int_equal(ops.version, HD_BACKEND_OPS_VERSION);
    ops.user = good->user;
    ops.alloc = good->alloc;
    ops.free = good->free;
    ops.core_count = good->core_count;
    ops.size = (uint32_t)HD_BACKEND_OPS_V1_SIZE;
    fx_recreate(f, &ops, NULL);
    assert_int_equal(hd_engine_core_count(f->engine), 4);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 1);
}

static void create_argument_errors(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = HD_MESSAGE_SLOTS_MAX + 1};
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, NULL),
                     HD_ERR_INVALID_ARGUMENT);
    expect_create(f, hd_host_ops(f->host), &cfg, HD_ERR_INVALID_ARGUMENT);
    cfg = (struct hd_engine_config){.message_max_bytes = HD_MESSAGE_BYTES_MAX + 1};
    expect_create(f, hd_host_ops(f->host), &cfg, HD_ERR_INVALID_ARGUMENT);
    /* the maxima themselves are accepted */
    cfg = (struct hd_engine_config){.message_slots = HD_MESSAGE_SLOTS_MAX, .message_max_bytes = 8};
    fx_recreate(f, hd_host_ops(f->host), &cfg);
}

static void create_allocation_failure_is_no_memory(void **state)
{
    struct fx *f = *state;
    for (int64_t n = 0; n < 3; n++) { /* engine, cores, rings (the empty snapshot is static) */
        hd_host_fail_allocation(f->host, n);
        expect_create(f, hd_host_ops(f->host), NULL, HD_ERR_NO_MEMORY);
    }
    hd_host_fail_allocation(f->host, -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(create_with_bad_ops_is_bad_ops),
        T(create_accepts_minimal_ops),
        T(create_argument_errors),
        T(create_allocation_failure_is_no_memory),
    };
#undef T
    return cmocka_run_group_tests_name("engine creation errors", tests, NULL, NULL);
}
