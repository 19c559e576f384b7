/* test_cachesim_cache.c — a tensor cache indexed by an array of dense ids
 * (tcache_index_dense, what the replay uses for its shared caches) against
 * the same cache on its hash map (what many per-worker caches and the live
 * tier use): the same seeded random uses and offers must give the same
 * answers, evictions and stored bytes, under LRU and LFU, and a key past the
 * dense bound is refused. */
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

static void replay_pair(const pair_case *k)
{
    tensor_cache hashed, dense;
    assert_int_equal(tcache_init(&hashed, k->capacity, k->lfu), EXH_OK);
    assert_int_equal(tcache_init(&dense, k->capacity, k->lfu), EXH_OK);
    assert_int_equal(tcache_index_dense(&dense, KEYS), EXH_OK);
    exh_rng *g = exh_rng_new(k->seed);
    assert_non_null(g);
    int64_t evicted[2] = {0, 0}, hits = 0;
    for (uint64_t stamp = 1; stamp <= 20000; stamp++) {
        uint64_t key = exh_rng_below(g, KEYS);
        int64_t bytes = 1 + (int64_t)(key % 8);
        if (exh_rng_below(g, 2)) {
            int a = tcache_use(&hashed, key, stamp);
            assert_int_equal(a, tcache_use(&dense, key, stamp));
            hits += a;
        } else {
            int held[2];
            int a = tcache_offer(&hashed, key, bytes, stamp, &evicted[0], &held[0]);
            int b = tcache_offer(&dense, key, bytes, stamp, &evicted[1], &held[1]);
            assert_int_equal(a, b);
            assert_int_equal(held[0], held[1]);
        }
        assert_int_equal(evicted[0], evicted[1]);
        assert_int_equal(hashed.stored_bytes, dense.stored_bytes);
    }
    /* The sequence exercised hits and, when the capacity binds, evictions. */
    assert_true(hits > 0);
    assert_true(k->capacity >= 1000 || evicted[0] > 0);
    exh_rng_free(g);
    tcache_free(&hashed);
    tcache_free(&dense);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_matches_hashed),
        cmocka_unit_test(test_dense_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
