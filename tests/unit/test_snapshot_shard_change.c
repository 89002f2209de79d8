/* SPDX-License-Identifier: MIT */
/*
 * A change to one key copies its shard (libhdevent/core/snapshot.c, shard_with): while the
 * shard keeps its size the copy is the old buckets with that one key put in or taken out,
 * and taking a key out of a linear-probing table must move the keys after it in its run
 * back (backward-shift deletion) — a plain hole would hide every key whose probe passes
 * through it, and the dispatcher would miss their events (S2/S3). Checked through the
 * snapshot itself: after every change every registered key is found, every cleared key is
 * not, and every bucket's key lies on an unbroken run from its home bucket.
 */
#include "helpers.h"

#include "internal/engine.h"
#include "internal/snapshot.h"
#include "internal/snapshot_nodes.h"

/* The buckets of one shard: each key found by the probe where it sits; their count. */
static uint32_t shard_check(const struct hd_engine *e, uintptr_t shard)
{
    const struct hd_snap_bucket *b = hd_snap_node(shard);
    uint32_t n = 1u << hd_snap_log2(shard), used = 0;

    for (uint32_t i = 0; i < n; i++) {
        if (!b[i].pre && !b[i].post)
            continue;
        used++;
        assert_ptr_equal(hd_snap_probe(shard, hd_snap_hash(e->hash_mult, b[i].key), b[i].key,
                                       NULL),
                         &b[i]);
    }
    if (used) /* not the shared empty shard, which has no node: the copy path sets it by hand */
        assert_int_equal(hd__node_of(b)->entries, used);
    return used;
}

/* Every shard of the current tree checked; the keys it holds. */
static uint32_t tree_check(const struct hd_engine *e)
{
    uintptr_t word = e->tree_word;
    uint32_t keys = 0;

    if (!(word & HD_SNAP_ROOT))
        return shard_check(e, word);
    for (uint32_t i = 0; i < 1u << hd_snap_log2(word); i++) {
        uintptr_t shard = ((const uintptr_t *)hd_snap_node(word))[i];
        if (i == 0 || shard != ((const uintptr_t *)hd_snap_node(word))[i - 1])
            keys += shard_check(e, shard);
    }
    return keys;
}

static bool key_found(const struct hd_engine *e, uint32_t pid)
{
    return hd_snap_find(e->tree_word, e->hash_mult, hd_snap_key(HD_ALL, pid), NULL) != NULL;
}

/* The home bucket of (all cores, @pid) in a single shard of 2^@log2 buckets. */
static uint32_t home_of(const struct hd_engine *e, uint32_t pid, uint32_t log2)
{
    return hd_snap_hash(e->hash_mult, hd_snap_key(HD_ALL, pid)) & ((1u << log2) - 1u);
}

#define RUN 10u  /* keys per home bucket */
#define KEYS 44u /* a shard of 128 buckets from 33 to 64 keys (load factor <= 1/2) */

/*
 * Two runs that meet across the end of the table: RUN keys whose home is its last bucket
 * (their run wraps to bucket 0 and on) and RUN keys whose home is bucket 0, among others.
 * Clearing keys from the front, the middle and the end of the runs, one at a time, must
 * leave every other key findable while the shard keeps its 128 buckets (the copy path).
 */
static void clearing_keys_of_a_wrapped_run_keeps_the_rest_findable(void **state)
{
    struct fx *f = *state;
    const uint32_t log2 = 7;
    uint32_t pids[KEYS], last = 0, first = 0, other = 0;
    uint64_t tags[KEYS];
    bool gone[KEYS] = {false};
    /* positions in pids[]: the last-bucket run is 0..RUN-1, the bucket-0 run RUN..2*RUN-1 */
    static const uint32_t order[] = {0, 5, RUN, RUN + 4, RUN - 1, 2 * RUN - 1, 2, RUN + 1};

    for (uint32_t pid = 1; last + first + other < KEYS; pid++) {
        uint32_t home = home_of(f->engine, pid, log2);
        if (home == (1u << log2) - 1 && last < RUN)
            pids[last++] = pid;
        else if (home == 0 && first < RUN)
            pids[RUN + first++] = pid;
        else if (home > 0 && home < 100 && other < KEYS - 2 * RUN)
            pids[2 * RUN + other++] = pid;
    }
    for (uint32_t i = 0; i < KEYS; i++)
        tags[i] = reg_logged(f, HD_ALL, pids[i], HD_STAGE_PRE, i + 1);
    assert_false(f->engine->tree_word & HD_SNAP_ROOT);
    assert_int_equal(hd_snap_log2(f->engine->tree_word), log2);
    assert_int_equal(tree_check(f->engine), KEYS);

    for (uint32_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        assert_int_equal(hd_event_clear(f->engine, tags[order[k]]), HD_OK);
        gone[order[k]] = true;
        assert_int_equal(hd_snap_log2(f->engine->tree_word), log2); /* still the copy path */
        assert_int_equal(tree_check(f->engine), KEYS - k - 1);
        for (uint32_t i = 0; i < KEYS; i++)
            assert_true(key_found(f->engine, pids[i]) == !gone[i]);
    }
    /* And the exits find what is left, each its own event. */
    for (uint32_t i = 0; i < KEYS; i++) {
        tlog_reset();
        run_exit(f, 0, pids[i], 0, NULL);
        assert_int_equal(tlog()->n, gone[i] ? 0 : 1);
        if (!gone[i])
            assert_int_equal(tlog()->e[0].id, i + 1);
    }
}

/* xorshift64: the same changes on every run. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define POOL 1000u   /* pids: enough keys for a root of shards at times */
#define CHANGES 4000u

/*
 * Random registrations and clears over a pool of pids, some keys holding two events (a clear
 * then changes the key's list, not its bucket): after each change the tree holds exactly the
 * keys with an event, each findable, and every bucket sits on its probe's run.
 */
static void random_changes_keep_every_key_findable(void **state)
{
    struct fx *f = *state;
    static uint64_t tag_of[POOL][2];
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    uint32_t live_keys = 0;
    bool rooted = false, single = false;

    memset(tag_of, 0, sizeof(tag_of));
    for (uint32_t c = 0; c < CHANGES; c++) {
        uint32_t i = (uint32_t)(next_random(&seed) % POOL);
        uint32_t slot = (uint32_t)(next_random(&seed) & 1);
        bool had = tag_of[i][0] || tag_of[i][1];

        if (tag_of[i][slot]) {
            assert_int_equal(hd_event_clear(f->engine, tag_of[i][slot]), HD_OK);
            tag_of[i][slot] = 0;
        } else {
            tag_of[i][slot] = reg_logged(f, HD_ALL, 0x1000u + i, HD_STAGE_PRE, i + 1);
        }
        live_keys += (uint32_t)(tag_of[i][0] || tag_of[i][1]) - (uint32_t)had;
        assert_int_equal(tree_check(f->engine), live_keys);
        for (uint32_t p = 0; p < POOL; p += 7)
            assert_true(key_found(f->engine, 0x1000u + p) == (tag_of[p][0] || tag_of[p][1]));
        assert_true(key_found(f->engine, 0x1000u + i) == (tag_of[i][0] || tag_of[i][1]));
        rooted |= (f->engine->tree_word & HD_SNAP_ROOT) != 0;
        single |= !(f->engine->tree_word & HD_SNAP_ROOT) && live_keys > 64;
    }
    /* Both geometries were changed in place: one shard, and a root of shards. */
    assert_true(single);
    assert_true(rooted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clearing_keys_of_a_wrapped_run_keeps_the_rest_findable,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(random_changes_keep_every_key_findable, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
