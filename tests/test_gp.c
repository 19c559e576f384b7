/* test_gp.c — the Gaussian process on the edit distance: a two-model case
 * worked out by hand, the marginal-likelihood choice against every grid
 * pair fitted alone, and bad input. */
#include <math.h>
#include <string.h>

#include "exhaust/gp.h"
#include "testutil.h"

static exh_gp_options single(double length_factor, double noise)
{
    exh_gp_options o = {0};
    o.length_factors[0] = length_factor;
    o.noise_ratios[0] = noise;
    o.length_count = o.noise_count = 1;
    return o;
}

/* Two models at distance d = 2 (so the median distance, the length's unit,
 * is 2), targets 70 and 60, length 1 x 2, noise 0.1: e = exp(-1).
 * K = [[1.1, e], [e, 1.1]]; by symmetry the GLS mean is 65 and the
 * residuals r = (5, -5) lie on K's eigenvector (1, -1) of eigenvalue
 * 1.1 - e, so K^-1 r = r / (1.1 - e) and s2 = r' K^-1 r / 2 = 25 / (1.1 - e).
 * At the first model (distances 0, 2): k = (1, e), mean = 65 + 5 (1 - e) /
 * (1.1 - e); k = a (1,1) + b (1,-1) with a = (1+e)/2, b = (1-e)/2, so
 * k' K^-1 k = 2a^2/(1.1+e) + 2b^2/(1.1-e). */
static void test_two_models_by_hand(void **state)
{
    (void)state;
    const double d[4] = {0, 2, 2, 0}, y[2] = {70, 60};
    exh_gp_options o = single(1, 0.1);
    exh_gp_model *g;
    exh_error err;
    assert_int_equal(exh_gp_fit(d, y, 2, &o, &g, &err), 0);
    double e = exp(-1.0), s2 = 25 / (1.1 - e);
    exh_gp_hyperparameters h;
    exh_gp_describe(g, &h);
    assert_true(fabs(h.mean - 65) < 1e-12);
    assert_true(fabs(h.length - 2) < 1e-12);
    assert_true(fabs(h.scale - s2) < 1e-9);
    double log_det = log(1.1 * 1.1 - e * e);
    assert_true(fabs(h.log_likelihood - (-(log(6.28318530717958647692 * s2) + 1.0) - 0.5 * log_det)) < 1e-9);
    assert_int_equal(h.used, 2);

    const double query[2] = {0, 2};
    double mean, sd;
    exh_gp_predict(g, query, &mean, &sd);
    assert_true(fabs(mean - (65 + 5 * (1 - e) / (1.1 - e))) < 1e-9);
    double a = (1 + e) / 2, b = (1 - e) / 2;
    double explained = 2 * a * a / (1.1 + e) + 2 * b * b / (1.1 - e);
    assert_true(fabs(sd - sqrt(s2 * (1.1 - explained))) < 1e-9);

    /* Infinitely far from both: the mean and the prior's spread. */
    const double far[2] = {INFINITY, INFINITY};
    exh_gp_predict(g, far, &mean, &sd);
    assert_true(fabs(mean - 65) < 1e-12);
    assert_true(fabs(sd - sqrt(s2 * 1.1)) < 1e-9);
    exh_gp_free(g);
}

/* Eight models on a line (|x_i - x_j| makes exp(-d/l) positive definite),
 * targets a smooth function plus a wiggle: the default grid's winner has
 * the highest likelihood of every pair fitted alone. A model with a NaN
 * target is left out and its distances ignored. */
static void test_likelihood_picks_the_best_pair(void **state)
{
    (void)state;
    enum { N = 9 };
    double x[N] = {0, 1, 2, 3.5, 5, 6, 8, 9, 11}, y[N], d[N * N];
    for (int i = 0; i < N; i++) {
        y[i] = 50 + 3 * sin(x[i] / 2) + (i % 3 == 0 ? 0.4 : -0.2);
        for (int j = 0; j < N; j++)
            d[i * N + j] = fabs(x[i] - x[j]);
    }
    y[4] = NAN;
    exh_gp_options defaults;
    exh_gp_options_default(&defaults);
    exh_gp_model *g;
    exh_error err;
    assert_int_equal(exh_gp_fit(d, y, N, NULL, &g, &err), 0);
    exh_gp_hyperparameters best;
    exh_gp_describe(g, &best);
    assert_int_equal(best.used, N - 1);
    for (int a = 0; a < defaults.length_count; a++)
        for (int b = 0; b < defaults.noise_count; b++) {
            exh_gp_options o = single(defaults.length_factors[a], defaults.noise_ratios[b]);
            exh_gp_model *one;
            assert_int_equal(exh_gp_fit(d, y, N, &o, &one, &err), 0);
            exh_gp_hyperparameters h;
            exh_gp_describe(one, &h);
            assert_true(h.log_likelihood <= best.log_likelihood + 1e-12);
            exh_gp_free(one);
        }
    /* A query at a logged model's place is pulled to its target (low noise
     * wins on this smooth data), and the left-out model's entry is unused. */
    double query[N], mean, sd;
    for (int j = 0; j < N; j++)
        query[j] = fabs(x[2] - x[j]);
    query[4] = 0; /* would matter if the NaN model were used */
    exh_gp_predict(g, query, &mean, &sd);
    assert_true(fabs(mean - y[2]) < 0.5);
    assert_true(sd < sqrt(best.scale * (1 + best.noise_ratio))); /* below the prior's */
    exh_gp_free(g);
}

static void test_bad_input(void **state)
{
    (void)state;
    exh_gp_model *g = (exh_gp_model *)&g;
    exh_error err;
    const double d[4] = {0, 1, 1, 0}, one_target[2] = {1, NAN};
    assert_int_equal(exh_gp_fit(d, one_target, 2, NULL, &g, &err), EXH_ERR_INVALID);
    assert_null(g);
    assert_non_null(strstr(err.message, "at least 2"));
    /* Three models where two are the same architecture (distance 0) with a
     * noise ratio of 0: K is singular, and a grid of that pair alone fails. */
    const double twins[9] = {0, 0, 1, 0, 0, 1, 1, 1, 0}, y[3] = {1, 2, 3};
    exh_gp_options o = single(1, 0);
    assert_int_equal(exh_gp_fit(twins, y, 3, &o, &g, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "positive definite"));
    /* With noise the same models fit, and the twins' mean is between them. */
    o = single(1, 0.1);
    assert_int_equal(exh_gp_fit(twins, y, 3, &o, &g, &err), 0);
    const double at_twins[3] = {0, 0, 1};
    double mean;
    exh_gp_predict(g, at_twins, &mean, NULL);
    assert_true(mean > 1 && mean < 3);
    exh_gp_free(g);
    exh_gp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_models_by_hand),
        cmocka_unit_test(test_likelihood_picks_the_best_pair),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
