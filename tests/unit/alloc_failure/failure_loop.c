/* SPDX-License-Identifier: MIT */
/*
 * The failure loop of test_alloc_failure.c, and the writer calls it drives. Each call is an
 * op_fn so that one loop fails every allocation of any of them.
 */
#include <stdio.h>

#include "alloc_failure.h"

/* ---- the failure loop ------------------------------------------------------------------ */

/*
 * Fail allocation n = 0, 1, … of @op until it succeeds without reaching the failure; check
 * that nothing changed after each failure. Returns the number of allocations the successful
 * call made (= the number of failure points exercised).
 */
uint64_t fail_every_allocation(struct fx *f, op_fn op, void *arg, const char *what)
{
    /* Static, not malloc'd: a failing assertion longjmps out of here. */
    static struct registry_record before_, after_;
    static struct fire_record fire_before_, fire_after_;
    struct registry_record *before = &before_, *after = &after_;
    struct fire_record *fire_before = &fire_before_, *fire_after = &fire_after_;
    uint64_t live0, made = 0;
    int64_t n;

    record_registry(f, before);
    fire(f, fire_before);
    live0 = hd_host_live_allocations(f->host);

    for (n = 0;; n++) {
        uint64_t calls0 = hd_host_allocation_calls(f->host);
        enum hd_status st;
        uint64_t calls;

        hd_host_fail_allocation(f->host, n);
        st = op(f, arg);
        calls = hd_host_allocation_calls(f->host) - calls0;
        hd_host_fail_allocation(f->host, -1);
        if (calls <= (uint64_t)n) {
            /* The injected failure was not reached: the call must have succeeded. */
            if (st != HD_OK)
                fail_msg("%s: %s without a failed allocation (%llu calls)", what,
                         hd_status_name(st), (unsigned long long)calls);
            made = calls;
            break;
        }
        if (st != HD_ERR_NO_MEMORY)
            fail_msg("%s: allocation %lld of %llu failed, status %s (want HD_ERR_NO_MEMORY)",
                     what, (long long)n, (unsigned long long)calls, hd_status_name(st));
        if (hd_host_live_allocations(f->host) != live0)
            fail_msg("%s: allocation %lld failed: live allocations %llu, before the call %llu",
                     what, (long long)n,
                     (unsigned long long)hd_host_live_allocations(f->host),
                     (unsigned long long)live0);
        record_registry(f, after);
        assert_same_registry(before, after, what, n);
        fire(f, fire_after);
        assert_same_fire(fire_before, fire_after, what, n);
    }
    /* Every allocation the successful call makes was failed once, the last one included. */
    assert_int_equal((uint64_t)n, made);
    printf("[ alloc    ] %-44s %2llu allocations, each failed once\n", what,
           (unsigned long long)made);
    return made;
}

/* The end of every case: no tag was used up by the failures. */
void assert_next_tag(struct fx *f)
{
    uint64_t tag = reg_plain(f, 3, HD_ALL, HD_STAGE_PRE, false, 99);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    f->done = true; /* every test body ends here */
}

/* ---- operations ------------------------------------------------------------------------ */

enum hd_status op_register(struct fx *f, void *arg)
{
    struct reg_arg *r = arg;
    r->tag = 0;
    return hd_event_register(f->engine, r->desc, &r->tag);
}

enum hd_status op_add(struct fx *f, void *arg)
{
    struct add_arg *a = arg;
    return hd_action_add(f->engine, a->tag, a->action);
}

enum hd_status op_clear(struct fx *f, void *arg)
{
    return hd_event_clear(f->engine, *(uint64_t *)arg);
}

enum hd_status op_enable(struct fx *f, void *arg)
{
    return hd_event_enable(f->engine, *(uint64_t *)arg);
}

enum hd_status op_disable(struct fx *f, void *arg)
{
    return hd_event_disable(f->engine, *(uint64_t *)arg);
}

uint64_t tag_of(uintptr_t index)
{
    return HD_TAG_BASE + index;
}

void assert_enabled(struct fx *f, uint64_t tag, bool enabled)
{
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.enabled, enabled);
}
