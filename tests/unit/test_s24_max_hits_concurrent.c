/* SPDX-License-Identifier: MIT */
/*
 * S24 under load: one dispatcher thread per simulated core takes exits without pause, on the
 * `nr` number of a max_hits N event, while a writer registers and clears other `nr` events
 * (which rebuild the index the dispatchers read) and events without `nr`. Whatever the
 * interleaving, the event runs exactly N times in all: its action counts, hd_event_query's
 * runs and the one "max_hits N reached" message agree. Several rounds, N from 1 to 5000.
 * Under TSan the locked add is the only write every core makes to the same line.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "helpers.h"

#define CORES 4u
#define NR 0x4242u

struct run {
    struct fx *f;
    uint32_t core;
    uint64_t stop_after; /* exits each dispatcher takes */
};

static uint64_t g_runs; /* the action's runs, every core (atomic adds) */

static void *count_run(struct hd_hook *h)
{
    (void)h;
    __atomic_fetch_add(&g_runs, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *dispatcher(void *arg)
{
    const struct run *r = arg;
    for (uint64_t i = 0; i < r->stop_after; i++) {
        struct hd_guest_regs regs;
        struct hd_vcpu vcpu;
        struct hd_exit x;
        memset(&regs, 0, sizeof(regs));
        regs.rcx = NR;
        hd_host_vcpu_init(&vcpu, &regs, r->core, 0x10 + (uint32_t)(i & 3));
        if (hd_host_vmcall(r->f->host, r->f->engine, &vcpu, &x) != HD_OK)
            return (void *)1;
    }
    return NULL;
}

/* Other events come and go while the dispatchers run: `nr` ones rebuild the table. */
static void *writer(void *arg)
{
    const struct run *r = arg;
    for (uint64_t i = 0; i < r->stop_after; i++) {
        struct hd_action_desc a = act_native(count_run, NULL);
        struct hd_event_desc d = ev_desc(HD_ALL, 0x999, HD_STAGE_PRE, false, &a, 0);
        uint64_t tag = 0;
        d.nr_filter = (i & 1) != 0;
        d.nr_first = NR + (i % 3); /* on the number too, now and then: merged */
        d.nr_last = d.nr_first + (i % 5);
        if (hd_event_register(r->f->engine, &d, &tag) != HD_OK ||
            hd_event_clear(r->f->engine, tag) != HD_OK)
            return (void *)1;
    }
    return NULL;
}

static void one_round(struct fx *f, uint64_t max, uint64_t exits)
{
    pthread_t t[CORES + 1];
    struct run r[CORES + 1];
    struct hd_action_desc a = act_native(count_run, NULL);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    struct hd_event_info info;
    struct hd_message_info mi;
    char text[64];
    uint64_t tag;
    uint32_t spent_messages = 0;

    __atomic_store_n(&g_runs, 0, __ATOMIC_RELAXED);
    d.nr_filter = true;
    d.nr_first = d.nr_last = NR;
    d.max_hits = max;
    tag = reg_desc(f, &d);
    for (uint32_t c = 0; c <= CORES; c++) {
        r[c] = (struct run){f, c, c < CORES ? exits : exits / 8};
        assert_int_equal(pthread_create(&t[c], NULL, c < CORES ? dispatcher : writer, &r[c]), 0);
    }
    for (uint32_t c = 0; c <= CORES; c++) {
        void *rv;
        assert_int_equal(pthread_join(t[c], &rv), 0);
        assert_null(rv);
    }
    assert_int_equal(__atomic_load_n(&g_runs, __ATOMIC_RELAXED), max);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.runs, max);
    assert_true(info.spent);
    while (hd_message_read(f->engine, &mi, text, sizeof(text) - 1) == HD_OK)
        spent_messages += mi.kind == HD_MESSAGE_SPENT && mi.tag == tag;
    assert_int_equal(spent_messages, 1);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
}

static void s24_exactly_n_runs_across_cores(void **state)
{
    struct fx *f = *state;
    static const uint64_t max[] = {1, 2, 7, 100, 5000};
    for (size_t i = 0; i < sizeof(max) / sizeof(max[0]); i++)
        one_round(f, max[i], max[i] + 50000);
}

static int setup(void **state)
{
    return fx_setup_cores(state, CORES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(s24_exactly_n_runs_across_cores, setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("S24 max_hits across cores", tests, NULL, NULL);
}
