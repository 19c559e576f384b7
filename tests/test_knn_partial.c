/* test_knn_partial.c — k-NN with the query's partial log, on four logged
 * models whose predictions are worked out by hand. */
#include <math.h>
#include <string.h>

#include "exhaust/knn_partial.h"
#include "testutil.h"

/* Partial and best values: gains 2, 4, 10 and 10. */
static const double partial[4] = {10, 12, 70, 80};
static const double best[4] = {12, 16, 80, 90};
static const exh_knn_partial_set set = {4, partial, best};

static void test_prediction_by_hand(void **state)
{
    (void)state;
    const double edit[4] = {1, 2, 1, 4};
    double out;
    exh_error err;
    /* lambda 0, k 2: the two nearest by edit distance, models 0 and 2 (d = 1
     * each, the tie kept in index order): gains 2 and 10, equal weights. */
    assert_int_equal(exh_knn_partial_predict(&set, edit, 75, 0, 2, -1, &out, &err), 0);
    assert_true(fabs(out - (75 + 6)) < 1e-12);
    /* lambda 1: distances 66, 65, 6, 9; nearest 2 and 3 with weights 1/6
     * and 1/9: gain (10/6 + 10/9) / (1/6 + 1/9) = 10. */
    assert_int_equal(exh_knn_partial_predict(&set, edit, 75, 1, 2, -1, &out, &err), 0);
    assert_true(fabs(out - 85) < 1e-12);
    /* Query partial 11, lambda 1: distances 2, 3, 60, 73; weights 1/2, 1/3:
     * gain (2/2 + 4/3) / (1/2 + 1/3) = 2.8. */
    assert_int_equal(exh_knn_partial_predict(&set, edit, 11, 1, 2, -1, &out, &err), 0);
    assert_true(fabs(out - 13.8) < 1e-12);
    /* An exact match (distance 0) is averaged alone; exclude skips a model. */
    const double same[4] = {0, 2, 1, 4};
    assert_int_equal(exh_knn_partial_predict(&set, same, 10, 0, 3, -1, &out, &err), 0);
    assert_true(out == 12);
    assert_int_equal(exh_knn_partial_predict(&set, same, 10, 0, 1, 0, &out, &err), 0);
    assert_true(out == 20); /* model 2 at distance 1: gain 10 */
}

static void test_bad_input(void **state)
{
    (void)state;
    const double edit[4] = {1, 2, 1, 4};
    double out, nothing[4] = {NAN, NAN, NAN, NAN};
    exh_error err;
    assert_int_equal(exh_knn_partial_predict(&set, edit, NAN, 0, 2, -1, &out, &err),
                     EXH_ERR_INVALID);
    assert_true(isnan(out));
    assert_non_null(strstr(err.message, "no partial value"));
    exh_knn_partial_set empty = {4, nothing, best};
    assert_int_equal(exh_knn_partial_predict(&empty, edit, 5, 0, 2, -1, &out, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_knn_partial_predict(&set, edit, 5, 0, 0, -1, &out, &err), EXH_ERR_INVALID);
}

static void test_choose_by_leave_one_out(void **state)
{
    (void)state;
    /* All four at edit distance 1 from each other: without the partial term
     * every model is predicted from an equal mix; with it, from the model of
     * the closest partial value, whose gain is much closer. */
    double pairs[16];
    for (int i = 0; i < 16; i++)
        pairs[i] = i % 5 == 0 ? 0 : 1;
    const double grid[2] = {0, 1};
    double lambda, error;
    exh_error err;
    assert_int_equal(exh_knn_partial_choose(&set, pairs, 1, grid, 2, &lambda, &error, &err), 0);
    assert_true(lambda == 1);
    /* k = 1, lambda 1: 0 <- 1 (gain 4, error 2), 1 <- 0 (2, error 2),
     * 2 <- 3 (10, 0), 3 <- 2 (10, 0): mean 1. */
    assert_true(fabs(error - 1) < 1e-12);
    exh_knn_partial_set one = {1, partial, best};
    assert_int_equal(exh_knn_partial_choose(&one, pairs, 1, grid, 2, &lambda, &error, &err),
                     EXH_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prediction_by_hand),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_choose_by_leave_one_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
