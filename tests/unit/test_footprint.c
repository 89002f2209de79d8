/* SPDX-License-Identifier: MIT */
/*
 * The footprint formula of docs/c-api.md ("Embedding in your hypervisor: memory"), checked
 * against what the engine really asks its backend for: a counting allocator serves each
 * engine, and for every shape below the bytes live after registration must be at most the
 * formula and, from 100 events on, at least 85% of it (a formula that overstates wildly is no
 * help either). The engine's own part must match exactly.
 * Executable memory is counted apart, byte for byte.
 */
#include "helpers.h"

#include <stdio.h>

struct counter {
    size_t live, exec, cores;
};

static void *count_alloc(void *user, size_t size)
{
    struct counter *c = user;
    size_t *p = aligned_alloc(16, (size + 16 + 15) & ~(size_t)15);
    if (!p)
        return NULL;
    p[0] = size;
    c->live += size;
    return p + 2;
}

static void count_free(void *user, void *ptr)
{
    struct counter *c = user;
    size_t *p = (size_t *)ptr - 2;
    c->live -= p[0];
    free(p);
}

static bool count_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    struct counter *c = user;
    *out = malloc(size); /* never executed here: the footprint is what is measured */
    if (!*out)
        return false;
    memcpy(*out, code, size);
    c->exec += size;
    return true;
}

static void count_exec_free(void *user, void *code, size_t size)
{
    struct counter *c = user;
    c->exec -= size;
    free(code);
}

static uint32_t count_cores(void *user)
{
    return (uint32_t)((struct counter *)user)->cores;
}

static void *nop(struct hd_hook *hook)
{
    (void)hook;
    return NULL;
}

static size_t align(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static size_t pow2(size_t v)
{
    size_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

/* One shape: N events on `keys` distinct pids (0: all on one key), A actions each with
 * buffers of B bytes, every event in `passes` lists (1: pre or post, 2: stage all); with
 * `by_core`, event n is bound to core n % C instead, with any pid. */
struct shape {
    uint32_t cores, slots, max_bytes;
    uint32_t events, actions, buffer, passes, keys;
    bool by_core;
};

/* docs/c-api.md: engine = 640 + C * (192 + align64(S' * align8(24 + M))) */
static size_t engine_formula(const struct shape *s)
{
    return 640 + (size_t)s->cores * (192 + align(pow2(s->slots) * align(24 + s->max_bytes, 8), 64));
}

/* The direct copy of a list of @n events, when it is one chunk (at most 64 events). */
static size_t direct_copy(const struct shape *s, size_t n)
{
    return s->passes == 1 && n <= 64 ? 1072 + n * (32 + 32 * (size_t)s->actions) : 0;
}

/* event = 168 + (command + 1) + sum over actions (72 + C * align64(buffer))
 *         + passes * (32 + 32A); counters: 320 + 256C per 16 events (a block of slots);
 *         index <= 1536 + (96 + 104 * passes) per distinct key
 *         + while every event is on one key and in the pre pass only, and the key's list is
 *         one chunk (at most 64 events), the direct copy of its list: <= 1072 + (32 + 32A)
 *         per event
 *         + while every event is bound to a core with any pid (more than one key), the same
 *         for each core's list */
static size_t events_formula(const struct shape *s, size_t command_len)
{
    size_t per_event = 168 + command_len + 1 +
                       (size_t)s->actions * (72 + (size_t)s->cores * align(s->buffer, 64)) +
                       (size_t)s->passes * (32 + 32 * (size_t)s->actions);
    size_t keys = s->by_core ? (s->events < s->cores ? s->events : s->cores)
                             : s->keys ? s->keys : 1;
    size_t direct = keys == 1 ? direct_copy(s, s->events) : 0;

    for (uint32_t c = 0; s->by_core && keys > 1 && c < s->cores; c++)
        direct += direct_copy(s, s->events / s->cores + (c < s->events % s->cores));
    size_t counters = ((size_t)s->events + 15) / 16 * (320 + 256 * (size_t)s->cores);
    return (size_t)s->events * per_event + counters + 1536 + (96 + 104 * (size_t)s->passes) * keys +
           direct;
}

static void check_shape(const struct shape *s)
{
    static const uint8_t code[] = {0x90, 0x90, 0x90}; /* + the appended RET: 4 bytes */
    static const char command[] = "!vmcall pid 490";
    struct counter c = {0, 0, s->cores};
    struct hd_backend_ops ops;
    struct hd_engine_config config = {.message_slots = s->slots, .message_max_bytes = s->max_bytes};
    struct hd_engine *e;
    struct hd_action_desc a[8];
    size_t engine_bytes, want, got;
    uint32_t code_actions = 0;

    hd_backend_ops_init(&ops);
    ops.user = &c;
    ops.alloc = count_alloc;
    ops.free = count_free;
    ops.exec_alloc = count_exec_alloc;
    ops.exec_free = count_exec_free;
    ops.core_count = count_cores;
    assert_int_equal(hd_engine_create(&ops, &config, &e), HD_OK);
    engine_bytes = c.live;
    assert_int_equal(engine_bytes, engine_formula(s)); /* exact: no index yet */

    for (uint32_t i = 0; i < s->actions; i++) {
        hd_action_desc_init(&a[i], i % 2 ? HD_ACTION_NATIVE : HD_ACTION_CODE);
        a[i].fn = nop;
        a[i].code = code;
        a[i].code_size = sizeof(code);
        a[i].buffer_size = s->buffer;
        code_actions += !(i % 2);
    }
    for (uint32_t n = 0; n < s->events; n++) {
        struct hd_event_desc d;
        hd_event_desc_init(&d);
        d.pid = s->keys ? n % s->keys : HD_ALL;
        d.core = s->by_core ? n % s->cores : HD_ALL;
        d.stage = s->passes == 2 ? HD_STAGE_ALL : HD_STAGE_PRE;
        d.actions = a;
        d.action_count = s->actions;
        d.command = command;
        assert_int_equal(hd_event_register(e, &d, NULL), HD_OK);
    }
    hd_engine_reclaim(e);
    got = c.live - engine_bytes;
    want = events_formula(s, sizeof(command) - 1);
    printf("  C=%u S=%u M=%u: %u events x %u actions, buffer %u, %u pass(es), %u key(s)%s: "
           "engine %zu (formula %zu), events %zu bytes (formula %zu, %.0f%%), exec %zu\n",
           s->cores, s->slots, s->max_bytes, s->events, s->actions, s->buffer, s->passes,
           s->by_core ? s->cores : s->keys ? s->keys : 1, s->by_core ? " (one per core)" : "",
           engine_bytes, engine_formula(s), got, want,
           100.0 * (double)got / (double)want, c.exec);
    assert_true(got <= want);
    if (s->events >= 100) /* the formula's fixed 1536 bytes dominate a handful of events */
        assert_true(got * 100 >= want * 85);
    assert_int_equal(c.exec, (size_t)s->events * code_actions * (sizeof(code) + 1));
    hd_engine_destroy(e);
    assert_int_equal(c.live, 0);
    assert_int_equal(c.exec, 0);
}

static void footprint_matches_the_formula(void **state)
{
    static const struct shape shapes[] = {
        {4, 64, 512, 1000, 1, 0, 1, 0, false},   /* HyperDbg's usual: code actions, one key */
        {4, 64, 512, 1000, 4, 64, 1, 0, false},  /* several actions with buffers */
        {4, 64, 512, 1000, 1, 0, 2, 0, false},   /* stage all: in both passes' lists */
        {4, 64, 512, 1000, 1, 0, 1, 1000, false}, /* every event on a key of its own */
        {4, 64, 512, 1000, 1, 0, 2, 1000, false},
        {64, 100, 300, 500, 2, 100, 1, 100, false}, /* many cores: counters and buffers per core */
        {1, 8, 64, 3000, 1, 0, 1, 0, false},     /* one core, a small queue, a long list */
        {4, 64, 512, 1, 0, 0, 1, 0, false},      /* one event: the index's fixed part */
        {4, 64, 512, 200, 1, 0, 1, 0, true},     /* bound to cores: a copy of each core's list */
        {64, 64, 512, 1000, 2, 0, 1, 0, true},   /* 64 cores, 15-16 events on each */
        {4, 64, 512, 1000, 1, 0, 1, 0, true},    /* 250 on each core: lists too long to copy */
        {4, 64, 512, 200, 1, 0, 2, 0, true},     /* stage all: nothing copied */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        check_shape(&shapes[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(footprint_matches_the_formula),
    };
    return cmocka_run_group_tests_name("memory footprint", tests, NULL, NULL);
}
