/* SPDX-License-Identifier: MIT */
/*
 * Hash flooding (libhdevent/core/internal/snapshot.h, hd_snap_hash): whoever registers events
 * chooses their pids. With one fixed multiplier known to everybody they could pick pids that
 * all land in one bucket, and every exit's probe for any of them — or for any pid hashing
 * there — would walk them all. The multiplier is the engine's own (hash_seed, or the TSC),
 * so keys built to collide under the old fixed one spread out. Probes are counted, not timed.
 */
#include "helpers.h"

#include <stdio.h>

#include "internal/engine.h"
#include "internal/snapshot.h"

#define FIBONACCI 0x9E3779B97F4A7C15ull /* the multiplier every engine used to share */
#define FLOOD 300u                      /* below one shard's worth of keys: one probe table */

/* @count pids whose keys (any core) share the low 16 bits of the fixed multiplier's hash:
 * one bucket in any shard of up to 65536 buckets. */
static void colliding_pids(uint32_t *pids, uint32_t count)
{
    uint32_t target = hd_snap_hash(FIBONACCI, hd_snap_key(HD_ALL, 1)) & 0xFFFFu, n = 0;
    for (uint32_t pid = 1; n < count; pid++)
        if ((hd_snap_hash(FIBONACCI, hd_snap_key(HD_ALL, pid)) & 0xFFFFu) == target)
            pids[n++] = pid;
}

static void colliding_pids_keep_probes_short(void **state)
{
    struct fx *f = *state;
    static uint32_t pids[FLOOD + 1];
    uint32_t max = 0, total = 0, mask, fixed_bucket;

    colliding_pids(pids, FLOOD + 1); /* the last one stays unregistered */
    for (uint32_t i = 0; i < FLOOD; i++)
        reg_logged(f, HD_ALL, pids[i], HD_STAGE_PRE, i + 1);

    /* The control: under the fixed multiplier all of them are one bucket of this table. */
    assert_false(f->engine->tree_word & HD_SNAP_ROOT);
    mask = (1u << hd_snap_log2(f->engine->tree_word)) - 1u;
    assert_true(mask + 1 >= 2 * FLOOD);
    fixed_bucket = hd_snap_hash(FIBONACCI, hd_snap_key(HD_ALL, pids[0])) & mask;
    for (uint32_t i = 0; i <= FLOOD; i++)
        assert_int_equal(hd_snap_hash(FIBONACCI, hd_snap_key(HD_ALL, pids[i])) & mask,
                         fixed_bucket);
    assert_true((f->engine->hash_mult & 1u) && f->engine->hash_mult != FIBONACCI);

    for (uint32_t i = 0; i <= FLOOD; i++) {
        uint32_t steps = 0;
        const struct hd_snap_bucket *b = hd_snap_find(
            f->engine->tree_word, f->engine->hash_mult, hd_snap_key(HD_ALL, pids[i]), &steps);
        assert_true(i < FLOOD ? b != NULL : b == NULL);
        total += steps;
        if (steps > max)
            max = steps;
    }
    printf("  %u keys built to share one bucket: longest probe %u, mean %.2f buckets "
           "(the fixed multiplier: up to %u)\n",
           FLOOD, max, (double)total / (FLOOD + 1), FLOOD + 1);
    /* Random keys at a load of at most 1/2: a mean under 2 and no run anywhere near FLOOD. */
    assert_true(max <= 32);
    assert_true(total <= 3 * (FLOOD + 1));

    /* And the exits still find their events. */
    for (uint32_t i = 0; i < FLOOD; i += 37) {
        tlog_reset();
        run_exit(f, 0, pids[i], 0, NULL);
        assert_int_equal(tlog()->n, 1);
        assert_int_equal(tlog()->e[0].id, i + 1);
    }
}

/* The key comes from the backend when it has randomness to give (hash_seed). */
static uint64_t g_seed;

static uint64_t fixed_seed(void *user)
{
    (void)user; /* the host's: its other ops need it */
    return g_seed;
}

static uint64_t mult_for_seed(const struct fx *f, uint64_t seed)
{
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_engine *e;
    uint64_t mult;

    ops.hash_seed = fixed_seed;
    g_seed = seed;
    assert_int_equal(hd_engine_create(&ops, NULL, &e), HD_OK);
    mult = e->hash_mult;
    hd_engine_destroy(e);
    return mult;
}

static void the_backend_seed_sets_the_key(void **state)
{
    const struct fx *f = *state;
    uint64_t a = mult_for_seed(f, 42), b = mult_for_seed(f, 42), c = mult_for_seed(f, 43);

    assert_true(a & 1u);
    assert_true(a == b); /* from the seed alone, */
    assert_true(a != c); /* and each seed its own */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(colliding_pids_keep_probes_short, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_backend_seed_sets_the_key, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
