/* test_rng.c — the seeded generator: same seed, same stream; rng_below is
 * uniform on small ranges (16-bit halves), large ranges and awkward sizes. */
#include <gsl/gsl_cdf.h>
#include <stdlib.h>

#include "exhaust/rng.h"
#include "testutil.h"

static void check_uniform(uint32_t n, int draws_per_bucket)
{
    exh_rng *r = exh_rng_new(n);
    long *counts = calloc(n, sizeof *counts);
    long draws = (long)n * draws_per_bucket;
    for (long i = 0; i < draws; i++) {
        uint32_t x = exh_rng_below(r, n);
        assert_true(x < n);
        counts[x]++;
    }
    double chi = 0;
    for (uint32_t k = 0; k < n; k++)
        chi += (counts[k] - draws_per_bucket) * (double)(counts[k] - draws_per_bucket) /
               draws_per_bucket;
    if (n > 1 && gsl_cdf_chisq_Q(chi, n - 1) < 1e-4)
        fail_msg("rng_below(%u) is not uniform: chi-square %.1f", n, chi);
    free(counts);
    exh_rng_free(r);
}

static void test_uniform_ranges(void **state)
{
    (void)state;
    check_uniform(1, 10);
    check_uniform(2, 20000);
    check_uniform(3, 20000);
    check_uniform(5, 20000);
    check_uniform(100, 2000);
    check_uniform(43691, 20); /* 2^16 / 1.5: the most rejections on 16 bits */
    check_uniform(65536, 20);
    check_uniform(65537, 20); /* the first size drawn from 32 bits */
    check_uniform(1000003, 5);
}

static void test_same_seed_same_stream(void **state)
{
    (void)state;
    exh_rng *a = exh_rng_new(42), *b = exh_rng_new(42), *c = exh_rng_new(43);
    int differs = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = exh_rng_below(a, 1000), y = exh_rng_below(b, 1000), z = exh_rng_below(c, 1000);
        assert_int_equal(x, y);
        differs += x != z;
        assert_true(exh_rng_uniform(a) == exh_rng_uniform(b));
    }
    assert_true(differs > 900);
    exh_rng_seed(a, 7);
    exh_rng_seed(b, 7);
    assert_int_equal(exh_rng_below(a, 1u << 30), exh_rng_below(b, 1u << 30));
    exh_rng_free(a);
    exh_rng_free(b);
    exh_rng_free(c);
}

static void test_sample(void **state)
{
    (void)state;
    /* Each value lands first about equally often (5 values, 20,000 draws),
     * and the array stays a permutation. */
    exh_rng *r = exh_rng_new(11);
    int first_counts[5] = {0};
    for (int t = 0; t < 20000; t++) {
        int values[5] = {0, 1, 2, 3, 4}, seen = 0;
        exh_rng_sample(r, values, 5, 2);
        for (int i = 0; i < 5; i++)
            seen |= 1 << values[i];
        assert_int_equal(seen, 31);
        first_counts[values[0]]++;
    }
    for (int v = 0; v < 5; v++)
        assert_true(first_counts[v] > 3700 && first_counts[v] < 4300);
    int values[3] = {7, 8, 9};
    exh_rng_sample(r, values, 3, 0); /* nothing drawn, nothing moved */
    assert_true(values[0] == 7 && values[1] == 8 && values[2] == 9);
    exh_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_ranges),
        cmocka_unit_test(test_same_seed_same_stream),
        cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
