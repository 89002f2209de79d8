/* SPDX-License-Identifier: MIT */
/* The hd side of the benchmark (see hd_side.h). */
#include "hd_side.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

static size_t slot_of(const struct hd_side *s, const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (s->capacity - 1);
}

static void put(struct hd_side *s, const void *p, size_t size)
{
    size_t i;
    if ((s->count + 1) * 2 > s->capacity) {
        size_t old_cap = s->capacity, ncap = old_cap ? old_cap * 2 : 1024;
        struct hd_region *old = s->regions, *n = calloc(ncap, sizeof(*n));
        if (!n) {
            s->tracking_failed = true;
            return;
        }
        s->regions = n;
        s->capacity = ncap;
        s->count = 0;
        for (size_t k = 0; k < old_cap; k++)
            if (old[k].p)
                put(s, old[k].p, old[k].size);
        free(old);
    }
    for (i = slot_of(s, p); s->regions[i].p; i = (i + 1) & (s->capacity - 1))
        ;
    s->regions[i].p = p;
    s->regions[i].size = size;
    s->count++;
}

/* Linear-probing delete: shift later members of the cluster back into the hole. */
static void drop(struct hd_side *s, const void *p)
{
    size_t i, j, mask = s->capacity - 1;
    if (!s->capacity)
        return;
    for (i = slot_of(s, p); s->regions[i].p != p; i = (i + 1) & mask)
        if (!s->regions[i].p)
            return;
    s->regions[i].p = NULL;
    s->count--;
    for (j = (i + 1) & mask; s->regions[j].p; j = (j + 1) & mask) {
        size_t home = slot_of(s, s->regions[j].p);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->regions[i] = s->regions[j];
            s->regions[j].p = NULL;
            i = j;
        }
    }
}

static void *t_alloc(void *user, size_t size)
{
    struct hd_side *s = user;
    void *p = s->inner->alloc(s->inner->user, size);
    if (p)
        put(s, p, size);
    return p;
}

static void t_free(void *user, void *p)
{
    struct hd_side *s = user;
    if (p)
        drop(s, p);
    s->inner->free(s->inner->user, p);
}

static bool t_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    struct hd_side *s = user;
    if (!s->inner->exec_alloc(s->inner->user, code, size, out))
        return false;
    put(s, *out, size);
    return true;
}

static void t_exec_free(void *user, void *code, size_t size)
{
    struct hd_side *s = user;
    drop(s, code);
    s->inner->exec_free(s->inner->user, code, size);
}

static uint32_t t_core_count(void *user)
{
    struct hd_side *s = user;
    return s->inner->core_count(s->inner->user);
}

static void t_lock(void *user)
{
    struct hd_side *s = user;
    s->inner->lock(s->inner->user);
}

static void t_unlock(void *user)
{
    struct hd_side *s = user;
    s->inner->unlock(s->inner->user);
}

static void t_log(void *user, enum hd_log_level level, const char *message)
{
    struct hd_side *s = user;
    s->inner->log(s->inner->user, level, message);
}

/* The exit's pid, when the dispatcher asks (HD_VCPU_PID_LAZY): the same "OS" call hdbg makes. */
static uint32_t t_current_pid(void *user)
{
    (void)user;
    return bench_os_pid();
}

static void t_on_break(void *user, const struct hd_break_info *info)
{
    struct hd_side *s = user;
    s->inner->on_break(s->inner->user, info);
}

static bool fail(const char *what, enum hd_status st)
{
    fprintf(stderr, "hdevent-bench: %s: %s\n", what, hd_status_str(st));
    return false;
}

static void t_run_on_every_core(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    struct hd_side *s = user;
    s->ipi(s->ipi_user, fn, arg);
}

/* Worlds of up to 100,000 events (W_churn): past a small machine's default budget. */
static const struct hd_engine_config budget = {.max_events = 1u << 20, .max_actions = 1u << 22};

bool hd_side_build(const struct world *w, hd_side_ipi_fn ipi, void *ipi_user,
                   struct hd_side *out)
{
    /* membarrier: exits without a fence, as a host that allows the call would run them. */
    struct hd_host_config cfg = {.cores = w->cores, .log_to_stderr = true, .membarrier = true};
    enum hd_status st;

    memset(out, 0, sizeof(*out));
    st = hd_host_create(&cfg, &out->host);
    if (HD_FAILED(st))
        return fail("hd_host_create", st);
    out->inner = hd_host_ops(out->host);
    /* Same services, allocations recorded; everything else stays the host backend's. */
    out->ops = *out->inner;
    out->ops.user = out;
    out->ops.alloc = t_alloc;
    out->ops.free = t_free;
    out->ops.exec_alloc = t_exec_alloc;
    out->ops.exec_free = t_exec_free;
    out->ops.core_count = t_core_count; /* every member that takes `user` is wrapped */
    out->ops.lock = t_lock;
    out->ops.unlock = t_unlock;
    out->ops.log = t_log;
    out->ops.current_pid = t_current_pid;
    out->ops.on_break = out->inner->on_break ? t_on_break : NULL;
    out->ops.read_memory = NULL; /* the benchmark's scripts read and write no guest memory */
    out->ops.write_memory = NULL;
    out->ops.current_tid = NULL;  /* nor $tid (these three would need wrapping for `user`) */
    out->ipi = ipi;
    out->ipi_user = ipi_user;
    out->ops.run_on_every_core = ipi ? t_run_on_every_core : NULL;
    out->ops.is_own_hypercall = NULL;
    out->ops.on_action = NULL; /* tracing off: the benchmark times dispatch alone */
    st = hd_engine_create(&out->ops, &budget, &out->engine);
    if (HD_FAILED(st))
        return fail("hd_engine_create", st);

    for (uint32_t i = 0; i < w->count; i++) {
        const struct bench_event *be = &w->events[i];
        struct hd_event_desc d;
        struct hd_action_desc a;
        hd_event_desc_init(&d);
        d.core = be->core;
        d.pid = be->pid;
        d.nr_filter = be->has_nr != 0;
        d.nr_first = d.nr_last = be->nr;
        d.enabled = false; /* enabled all at once below: one snapshot instead of N */
        if (be->cond != BENCH_COND_NONE) {
            d.condition.kind = HD_CONDITION_RAW;
            d.condition.code = be->cond == BENCH_COND_TRUE ? bench_code_cond_true
                                                           : bench_code_cond_false;
            d.condition.code_size = be->cond == BENCH_COND_TRUE
                                        ? sizeof(bench_code_cond_true)
                                        : sizeof(bench_code_cond_false);
        }
        if (be->action == BENCH_ACTION_CODE) {
            hd_action_desc_init(&a, HD_ACTION_CODE);
            a.code = bench_code_ret;
            a.code_size = sizeof(bench_code_ret);
        } else if (be->action == BENCH_ACTION_SCRIPT && w->script) {
            hd_action_desc_init(&a, HD_ACTION_SCRIPT);
            a.script = w->script->hd_code;
            a.script_size = w->script->hd_size;
        } else {
            hd_action_desc_init(&a, HD_ACTION_BREAK);
        }
        d.actions = &a;
        d.action_count = 1;
        st = hd_event_register(out->engine, &d, NULL);
        if (HD_FAILED(st))
            return fail("hd_event_register", st);
    }
    if (w->count) {
        st = hd_event_enable(out->engine, HD_TAG_ALL);
        if (HD_FAILED(st))
            return fail("hd_event_enable", st);
    }
    hd_engine_reclaim(out->engine);
    return true;
}

void hd_side_destroy(struct hd_side *s)
{
    hd_engine_destroy(s->engine);
    hd_host_destroy(s->host);
    free(s->regions);
    memset(s, 0, sizeof(*s));
}

void hd_side_drain(struct hd_engine *e)
{
    struct hd_message_info info;
    char data[64];
    while (hd_message_read(e, &info, data, sizeof(data)) == HD_OK) {
    }
}

void hd_side_flush(const struct hd_side *s)
{
    for (size_t i = 0; i < s->capacity; i++)
        if (s->regions[i].p)
            bench_flush(s->regions[i].p, s->regions[i].size);
    bench_flush_done();
}
