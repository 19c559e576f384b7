/* test_cachesim_cache.c — a tensor cache indexed by an array of dense ids
 * (tcache_index_dense, the replay's shared caches) and by a compact idmap
 * (tcache_index_ids, its many per-worker caches) against the same cache on
 * its keymap (the live tier's): the same seeded random uses and offers must
 * give the same answers, evictions and stored bytes, under LRU and LFU, and
 * a key past the promised bound is refused. */
#include <stdint.h>
#include <stdlib.h>

#include "exhaust/error.h"
#include "exhaust/rng.h"
#include "repo/cachesim_cache.h"
#include "testutil.h"

#define KEYS 97

typedef struct pair_case {
    int lfu;
    int64_t capacity;   /* bytes; keys weigh 1..8 */
    uint64_t seed;
} pair_case;

static const pair_case CASES[] = {
    {0, 40, 1}, {1, 40, 2}, {0, 7, 3}, {1, 7, 4}, {0, 1000, 5}, {1, 1000, 6},
};

enum { HASHED, DENSE, IDS, INDEXES };

static void replay_pair(const pair_case *k)
{
    tensor_cache c[INDEXES];
    for (int x = 0; x < INDEXES; x++)
        assert_int_equal(tcache_init(&c[x], k->capacity, k->lfu), EXH_OK);
    assert_int_equal(tcache_index_dense(&c[DENSE], KEYS), EXH_OK);
    assert_int_equal(tcache_index_ids(&c[IDS], KEYS), EXH_OK);
    exh_rng *g = exh_rng_new(k->seed);
    assert_non_null(g);
    int64_t evicted[INDEXES] = {0}, hits = 0;
    for (uint64_t stamp = 1; stamp <= 20000; stamp++) {
        uint64_t key = exh_rng_below(g, KEYS);
        int64_t bytes = 1 + (int64_t)(key % 8);
        int use = (int)exh_rng_below(g, 2), answer[INDEXES], held[INDEXES] = {0};
        for (int x = 0; x < INDEXES; x++)
            answer[x] = use ? tcache_use(&c[x], key, stamp)
                            : tcache_offer(&c[x], key, bytes, stamp, &evicted[x], &held[x]);
        hits += use && answer[HASHED];
        for (int x = 1; x < INDEXES; x++) {
            assert_int_equal(answer[x], answer[HASHED]);
            assert_int_equal(held[x], held[HASHED]);
            assert_int_equal(evicted[x], evicted[HASHED]);
            assert_int_equal(c[x].stored_bytes, c[HASHED].stored_bytes);
        }
    }
    /* The sequence exercised hits and, when the capacity binds, evictions. */
    assert_true(hits > 0);
    assert_true(k->capacity >= 1000 || evicted[HASHED] > 0);
    exh_rng_free(g);
    for (int x = 0; x < INDEXES; x++)
        tcache_free(&c[x]);
}

static void test_dense_matches_hashed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        replay_pair(&CASES[i]);
}

static void test_dense_bounds(void **state)
{
    (void)state;
    tensor_cache c;
    assert_int_equal(tcache_init(&c, 100, 0), EXH_OK);
    assert_int_equal(tcache_index_dense(&c, 0), EXH_ERR_INVALID);
    assert_int_equal(tcache_index_dense(&c, 4), EXH_OK);
    int64_t evictions = 0;
    assert_int_equal(tcache_insert(&c, 4, 1, 1, &evictions), EXH_ERR_INVALID);
    assert_int_equal(tcache_use(&c, 4, 2), 0);
    assert_int_equal(tcache_insert(&c, 3, 1, 3, &evictions), 1);
    assert_int_equal(tcache_use(&c, 3, 4), 1);
    assert_int_equal(c.stored_bytes, 1);
    tcache_free(&c);
    assert_int_equal(tcache_init(&c, 100, 1), EXH_OK);
    assert_int_equal(tcache_index_ids(&c, (int64_t)INT32_MAX + 1), EXH_ERR_INVALID);
    assert_int_equal(tcache_index_ids(&c, 4), EXH_OK);
    assert_int_equal(tcache_insert(&c, 4, 1, 1, &evictions), EXH_ERR_INVALID);
    assert_int_equal(tcache_insert(&c, 0, 1, 2, &evictions), 1);
    assert_int_equal(tcache_use(&c, 0, 3), 1);
    tcache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_matches_hashed),
        cmocka_unit_test(test_dense_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
