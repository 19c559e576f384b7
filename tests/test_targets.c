/* test_targets.c — best value, overfitting, epoch time and the budgeted
 * best, on curves small enough to check by eye, with NaN and bad input. */
#include <math.h>
#include <string.h>

#include "exhaust/targets.h"
#include "testutil.h"

static void test_best(void **state)
{
    (void)state;
    const double accuracy[5] = {50, NAN, 72, 72, 61};
    double best;
    int epoch;
    exh_error err;
    assert_int_equal(exh_targets_best(accuracy, 5, 1, &best, &epoch, &err), 0);
    assert_true(best == 72 && epoch == 2); /* the first of equal values */
    const double loss[4] = {NAN, 5.5, 4.25, 4.5};
    assert_int_equal(exh_targets_best(loss, 4, 0, &best, &epoch, &err), 0);
    assert_true(best == 4.25 && epoch == 2);
    assert_int_equal(exh_targets_best(loss, 1, 0, &best, &epoch, &err), EXH_ERR_INVALID);
    assert_true(isnan(best) && epoch == -1);
    assert_non_null(strstr(err.message, "no value"));
    assert_int_equal(exh_targets_best(NULL, 3, 1, &best, NULL, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_targets_best(loss, 0, 1, &best, NULL, NULL), EXH_ERR_INVALID);
}

static void test_overfitting(void **state)
{
    (void)state;
    const double train_accuracy[3] = {60, 95, NAN}, validation_accuracy[4] = {55, 70, 68, NAN};
    double out;
    exh_error err;
    assert_int_equal(
        exh_targets_overfitting(train_accuracy, 3, validation_accuracy, 4, 1, &out, &err), 0);
    assert_true(out == 95 - 70);
    const double train_loss[2] = {1.0, 0.25}, validation_loss[2] = {1.5, 1.25};
    assert_int_equal(exh_targets_overfitting(train_loss, 2, validation_loss, 2, 0, &out, &err), 0);
    assert_true(out == 1.25 - 0.25);
    const double missing[2] = {NAN, NAN};
    assert_int_equal(exh_targets_overfitting(missing, 2, validation_loss, 2, 0, &out, &err),
                     EXH_ERR_INVALID);
    assert_true(isnan(out));
    assert_non_null(strstr(err.message, "train curve"));
    assert_int_equal(exh_targets_overfitting(train_loss, 2, missing, 2, 0, &out, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "validation curve"));
}

static void test_mean_epoch_time(void **state)
{
    (void)state;
    const double seconds[4] = {10, NAN, 14, 12};
    double out;
    exh_error err;
    assert_int_equal(exh_targets_mean_epoch_time(seconds, 4, &out, &err), 0);
    assert_true(out == 12);
    const double none[1] = {NAN};
    assert_int_equal(exh_targets_mean_epoch_time(none, 1, &out, &err), EXH_ERR_INVALID);
    assert_true(isnan(out));
    assert_int_equal(exh_targets_mean_epoch_time(NULL, 0, &out, &err), EXH_ERR_INVALID);
}

static void test_budget(void **state)
{
    (void)state;
    const double accuracy[6] = {40, 55, NAN, 70, 65, 90};
    double best;
    int fit;
    exh_error err;
    /* 35 s at 10 s an epoch: 3 epochs, the NaN one trained but not counted */
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 10, 35, 1, &best, &fit, &err), 0);
    assert_true(best == 55 && fit == 3);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 10, 40, 1, &best, &fit, &err), 0);
    assert_true(best == 70 && fit == 4);
    /* 0.3 / 0.1 is 2.9999999999999996 in doubles: still three epochs */
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 0.1, 0.3, 1, &best, &fit, &err), 0);
    assert_int_equal(fit, 3);
    /* more budget than curve, and an infinite budget: the whole curve */
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 10, 1e6, 1, &best, &fit, &err), 0);
    assert_true(best == 90 && fit == 6);
    assert_int_equal(
        exh_targets_best_within_budget(accuracy, 6, 10, INFINITY, 1, &best, &fit, &err), 0);
    assert_true(best == 90);
    /* losses: lowest wins */
    const double loss[3] = {3, 2, 2.5};
    assert_int_equal(exh_targets_best_within_budget(loss, 3, 5, 15, 0, &best, NULL, &err), 0);
    assert_true(best == 2);

    /* less than one epoch, and nonsense times */
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 12.5, 5, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "less than one epoch"));
    assert_true(isnan(best) && fit == 0);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 0, 5, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, NAN, 5, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, INFINITY, 5, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 10, NAN, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_targets_best_within_budget(accuracy, 6, 10, -1, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    /* only missing values within the budget */
    const double late[3] = {NAN, NAN, 80};
    assert_int_equal(exh_targets_best_within_budget(late, 3, 10, 20, 1, &best, &fit, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "2 epochs"));
}

static void test_summary(void **state)
{
    (void)state;
    const double validation[3] = {60, 75, 70}, train[3] = {65, 85, 90}, seconds[3] = {9, 11, NAN};
    exh_targets_summary s;
    exh_targets_summarize(validation, train, seconds, 3, 1, &s);
    assert_true(s.best_validation == 75 && s.best_epoch == 1);
    assert_true(s.overfitting == 15 && s.mean_epoch_seconds == 10);
    exh_targets_summarize(validation, NULL, NULL, 3, 1, &s);
    assert_true(s.best_validation == 75 && isnan(s.overfitting) && isnan(s.mean_epoch_seconds));
    exh_targets_summarize(NULL, NULL, NULL, 0, 0, &s);
    assert_true(isnan(s.best_validation) && s.best_epoch == -1);
}

static void test_by_name(void **state)
{
    (void)state;
    const double validation[3] = {60, 75, 70}, train[3] = {65, 85, 90}, seconds[3] = {9, 11, NAN};
    const char *const names[] = {"best", "overfit", "epoch-time", "budget=20"};
    const double expected[] = {75, 15, 10, 75}; /* 20 s at 10 s an epoch: the first two */
    exh_error err;
    for (int i = 0; i < 4; i++) {
        exh_targets_spec spec;
        char back[64];
        double value;
        assert_int_equal(exh_targets_parse(names[i], &spec, &err), 0);
        exh_targets_format(&spec, back, sizeof back);
        assert_string_equal(back, names[i]);
        assert_int_equal(exh_targets_compute(&spec, validation, train, seconds, 3, 1, &value, &err), 0);
        assert_true(value == expected[i]);
        /* Lower is better for overfitting and time whatever the metric. */
        assert_int_equal(exh_targets_lower_is_better(&spec, 1), i == 1 || i == 2);
        assert_int_equal(exh_targets_lower_is_better(&spec, 0), 1);
    }
    exh_targets_spec spec;
    double value;
    assert_int_equal(exh_targets_parse("budget=19", &spec, &err), 0);
    assert_int_equal(exh_targets_compute(&spec, validation, train, seconds, 3, 1, &value, &err), 0);
    assert_true(value == 60); /* 19 s: one epoch */
    assert_int_equal(exh_targets_compute(&spec, validation, train, NULL, 3, 1, &value, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "budget needs epoch times"));
    assert_non_null(strstr(err.message, "epoch_seconds")); /* which column to add */
    const char *const bad[] = {"fastest", "budget=", "budget=-3", "budget=10s", "Best", ""};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(exh_targets_parse(bad[i], &spec, &err), EXH_ERR_INVALID);
        assert_non_null(strstr(err.message, bad[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best),
        cmocka_unit_test(test_overfitting),
        cmocka_unit_test(test_mean_epoch_time),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
