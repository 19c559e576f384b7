/* test_eval.c — the evaluation protocol on a store of synthetic NB201 logs
 * whose accuracy is a known function of the cell, so that what k-NN must
 * beat, and what the noise floor is, can be reasoned about. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/eval.h"
#include "exhaust/space_nb201.h"
#include "testutil.h"

/* Accuracy grows with 3x3 convolutions and collapses without a path. */
static double synthetic_accuracy(const exh_arch *a)
{
    if (!exh_nb201_is_connected(a))
        return 10.0;
    double acc = 60.0;
    for (int i = 0; i < 6; i++)
        acc += a->token[i] == EXH_NB201_CONV3X3 ? 5.0 : a->token[i] == EXH_NB201_CONV1X1 ? 2.0 : 0.0;
    return acc;
}

static void add_run(exh_store *s, const exh_space *sp, const exh_arch *a, const char *key, int seed,
                    int schedule, double value, double seconds)
{
    exh_run r;
    exh_run_init(&r);
    char text[EXH_SPACE_TEXT_MAX], number[16];
    exh_space_format(sp, a, text, sizeof text);
    exh_run_set(&r.key, key);
    exh_run_set(&r.space, "nb201");
    exh_run_set(&r.arch, text);
    exh_run_set(&r.dataset, "synthetic");
    r.has_seed = seed > 0;
    r.seed = seed;
    snprintf(number, sizeof number, "%d", schedule);
    exh_run_add_param(&r, "schedule_epochs", number);
    for (int e = 1; e <= 4; e++) { /* a short curve rising to `value` */
        exh_epoch_record row = exh_epoch_record_empty(e * schedule / 4);
        row.val_accuracy = value - (4 - e);
        row.train_accuracy = value + 2;
        row.epoch_seconds = seconds;
        exh_run_add_epoch(&r, &row);
    }
    exh_error err;
    if (exh_store_put_run(s, &r, &err) < 0)
        fail_msg("%s", err.message);
    exh_run_clear(&r);
}

static exh_store *synthetic_store(int with_noise)
{
    char *path = test_temp_path(with_noise ? "noisy.db" : "exact.db");
    remove(path);
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_space *sp;
    assert_int_equal(exh_space_open("nb201", &sp, &err), 0);
    exh_rng *r = exh_rng_new(99);
    exh_store_begin(s, &err);
    for (int i = 0; i < 400; i++) {
        exh_arch a;
        assert_int_equal(exh_space_enumerate(sp, (i * 7919) % 15625, &a, &err), 0);
        double acc = synthetic_accuracy(&a);
        char key[64];
        snprintf(key, sizeof key, "cell%d/s1", i);
        add_run(s, sp, &a, key, 1, 200, acc, 10 + a.token[0]);
        snprintf(key, sizeof key, "cell%d/s2", i);
        add_run(s, sp, &a, key, 2, 200, acc + (with_noise ? exh_rng_uniform(r) - 0.5 : 0), 10);
        snprintf(key, sizeof key, "cell%d/12", i);
        add_run(s, sp, &a, key, 0, 12, acc - 20, 10);
    }
    exh_store_commit(s, &err);
    exh_rng_free(r);
    exh_space_free(sp);
    return s;
}

/* The synthetic store's "synthetic" data set (its store in *store, closed
 * by the caller after the data set is freed). */
static exh_eval_dataset *synthetic_dataset(int with_noise, exh_store **store)
{
    *store = synthetic_store(with_noise);
    exh_eval_dataset *d;
    exh_error err;
    if (exh_eval_dataset_load(*store, "nb201", "synthetic", &d, &err) < 0)
        fail_msg("%s", err.message);
    return d;
}

/* The row of a method by name (the table's order changes as methods join). */
static const exh_eval_method_result *row(const exh_eval_result *r, const char *name)
{
    for (int m = 0; m < r->method_count; m++)
        if (strcmp(r->methods[m].name, name) == 0)
            return &r->methods[m];
    fail_msg("no row '%s'", name);
    return NULL;
}

static void test_knn_beats_baselines_and_floor_is_exact(void **state)
{
    (void)state;
    exh_store *s;
    exh_eval_dataset *d = synthetic_dataset(0, &s);
    exh_error err;
    assert_int_equal(d->count, 400);
    assert_true(d->has_partial && d->has_times && d->has_train);
    exh_eval_options o;
    exh_eval_options_default(&o);
    o.repeats = 5;
    o.top3_repeats = 10;
    o.use_lstm = 0; /* its own test below */
    exh_eval_result r;
    assert_int_equal(exh_eval_run(d, &o, &r, &err), 0);
    assert_int_equal(r.method_count, 7);
    assert_int_equal(r.test_models, 122 - 73 - 24);
    double baseline2 = row(&r, "baseline2")->best_error_mean;
    double knn5 = row(&r, "5-NN")->best_error_mean;
    assert_true(knn5 < baseline2);
    assert_true(row(&r, "5-NN")->kendall_tau > 0.5);
    /* The GP sees every logged model: on this smooth function of the
     * tokens it ranks at least as well as 5-NN, far better than baseline 2. */
    assert_true(row(&r, "GP")->best_error_mean < baseline2);
    assert_true(row(&r, "GP")->kendall_tau > 0.5);
    /* Seeds identical: the noise floor is exactly 0, and the partial log plus
     * neighbours' gains (always +20 here) is exact too. */
    assert_true(r.noise_floor_mean == 0.0);
    assert_true(row(&r, "5-NN+partial")->best_error_mean < 1e-9);
    /* The train curve is always 2 above: overfitting is predicted exactly,
     * by neighbours' curves and by the GP's constant mean alike. */
    assert_true(row(&r, "5-NN")->overfit_error_mean < 1e-9);
    assert_true(row(&r, "GP")->overfit_error_mean < 1e-9);
    for (int m = 0; m < r.method_count; m++) { /* the partial method predicts no curve */
        int partial = strcmp(r.methods[m].name, "5-NN+partial") == 0;
        assert_true(partial ? isnan(r.methods[m].top3_any[0])
                            : r.methods[m].top3_any[0] >= 0 && r.methods[m].top3_any[0] <= 1);
    }
    assert_true(row(&r, "5-NN+partial")->partial_lambda >= 0 &&
                isnan(row(&r, "5-NN")->partial_lambda));
    /* Same seed, same tables; another seed, other splits. */
    exh_eval_result again;
    assert_int_equal(exh_eval_run(d, &o, &again, &err), 0);
    assert_true(row(&again, "5-NN")->best_error_mean == knn5);
    assert_true(row(&again, "GP")->best_error_mean == row(&r, "GP")->best_error_mean);
    o.seed = 2;
    assert_int_equal(exh_eval_run(d, &o, &again, &err), 0);
    assert_true(row(&again, "5-NN")->best_error_mean != knn5);
    char *path = test_temp_path("eval.md");
    FILE *f = fopen(path, "w");
    exh_eval_write_markdown(d, &o, &r, f);
    exh_eval_write_csv(&r, f);
    fclose(f);
    char text[8192];
    f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "| 5-NN+partial |"));
    assert_non_null(strstr(text, "noise floor"));
    assert_non_null(strstr(text, "method,best_error_mean,"));
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

static void test_lstm_row(void **state)
{
    (void)state;
    exh_store *s;
    exh_eval_dataset *d = synthetic_dataset(0, &s);
    exh_error err;
    exh_eval_options o;
    exh_eval_options_default(&o);
    o.repeats = 1;
    o.top3_repeats = 6;
    exh_eval_result r;
    if (exh_eval_run(d, &o, &r, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(r.method_count, 10);
    assert_string_equal(r.methods[7].name, "LSTM");
    assert_string_equal(r.methods[8].name, "LSTM+partial");
    assert_string_equal(r.methods[9].name, "quadratic of partial");
    /* The best value is the partial value + 20 exactly: the quadratic finds
     * it, and the LSTM on its residuals adds (almost) nothing. */
    assert_true(r.methods[9].best_error_mean < 1e-6);
    assert_true(r.methods[8].best_error_mean < 0.5);
    assert_true(isnan(r.methods[8].top3_any[0]));
    /* Accuracy is a simple function of the tokens: the LSTM learns it far
     * better than drawing a random logged model. */
    assert_true(isfinite(r.methods[7].best_error_mean));
    assert_true(r.methods[7].best_error_mean < r.methods[0].best_error_mean);
    /* Trained on the degree of overfitting too: a constant 2 here. */
    print_message("LSTM overfitting error %.4f\n", r.methods[7].overfit_error_mean);
    assert_true(r.methods[7].overfit_error_mean < 0.5);
    /* In top-3 selection too: an overlap rate, and as a learner of the
     * same simple function it picks the true top 3 more often than chance. */
    for (int b = 0; b < 2; b++) {
        assert_true(r.methods[7].top3_any[b] >= 0 && r.methods[7].top3_any[b] <= 1);
        print_message("top-3 any overlap, budget %d: LSTM %.2f, baseline1 %.2f\n", b,
                      r.methods[7].top3_any[b], r.methods[0].top3_any[b]);
    }
    assert_true(r.methods[7].top3_any[0] + r.methods[7].top3_any[1] >
                r.methods[0].top3_any[0] + r.methods[0].top3_any[1]);
    /* Without partial logs the LSTM comes right after 5-NN, and is still
     * in top-3 selection. */
    o.use_partial = 0;
    if (exh_eval_run(d, &o, &r, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(r.method_count, 7);
    assert_string_equal(r.methods[6].name, "LSTM");
    assert_true(r.methods[6].top3_any[0] >= 0 && r.methods[6].top3_any[0] <= 1);
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

/* The LSTM trainings run on a pool of threads; each split has its own
 * generator and the results are gathered in split order, so any number
 * of threads gives the same bytes: every row, every recorded prediction,
 * every curve example. */
static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0; /* NaN equals NaN, bit for bit */
}

static int same_prediction(const exh_eval_prediction *a, const exh_eval_prediction *b)
{
    return a->repeat == b->repeat && a->model == b->model && a->method == b->method &&
           same_double(a->predicted_best, b->predicted_best) &&
           same_double(a->true_best, b->true_best) &&
           same_double(a->predicted_overfit, b->predicted_overfit) &&
           same_double(a->true_overfit, b->true_overfit);
}

static void test_threads_same_results(void **state)
{
    (void)state;
    exh_store *s;
    exh_eval_dataset *d = synthetic_dataset(1, &s);
    exh_error err;
    exh_eval_options o;
    exh_eval_options_default(&o);
    o.repeats = 1;
    o.models = 30; /* small: it runs three times, and under ASan in CI */
    o.top3_repeats = 2; /* 3 jobs: one error-table split, two top-3 splits */
    o.use_partial = 0;
    o.keep_predictions = 1;
    const int threads[] = {1, 3, 0}; /* 0: one per core */
    exh_eval_result r[3];
    for (int i = 0; i < 3; i++) {
        o.threads = threads[i];
        if (exh_eval_run(d, &o, &r[i], &err) < 0)
            fail_msg("%s", err.message);
    }
    assert_int_equal(r[0].method_count, 7);
    assert_true(r[0].prediction_count > 0);
    for (int i = 1; i < 3; i++) {
        assert_memory_equal(r[0].methods, r[i].methods, sizeof r[0].methods);
        assert_int_equal(r[0].prediction_count, r[i].prediction_count);
        for (int64_t k = 0; k < r[0].prediction_count; k++) /* field by field: padding */
            assert_true(same_prediction(&r[0].predictions[k], &r[i].predictions[k]));
        assert_int_equal(r[0].example_count, r[i].example_count);
        for (int k = 0; k < r[0].example_count; k++)
            assert_memory_equal(r[0].examples[k].predicted, r[i].examples[k].predicted,
                                sizeof(double) * (size_t)r[0].examples[k].predicted_epochs);
        assert_int_equal(r[0].test_models, r[i].test_models);
    }
    for (int i = 0; i < 3; i++)
        exh_eval_result_clear(&r[i]);
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

/* The training-size table on the synthetic store (400 models, 100 held out):
 * ranks improve with more logged models, every figure is in range, sizes
 * past the 300 left are n/a, the ensemble's weights are a convex
 * combination, and a seed fixes the table. */
static void test_train_sizes(void **state)
{
    (void)state;
    exh_store *s;
    exh_eval_dataset *d = synthetic_dataset(0, &s);
    exh_error err;
    exh_eval_size_options o;
    exh_eval_size_options_default(&o);
    o.repeats = 2;
    o.sizes[0] = 10, o.sizes[1] = 150, o.sizes[2] = 301;
    o.size_count = 3;
    exh_eval_size_result *r = malloc(sizeof *r), *again = malloc(sizeof *again);
    if (exh_eval_train_sizes(d, &o, r, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(r->test_models, 100);
    assert_int_equal(r->method_count, EXH_EVAL_SIZE_METHODS);
    assert_true(r->available[0] && r->available[1] && !r->available[2]);
    for (int m = 0; m < r->method_count; m++) {
        assert_true(isnan(r->tau[m][2]) && isnan(r->precision10[m][2]));
        for (int z = 0; z < 2; z++) {
            assert_true(r->tau[m][z] >= -1 && r->tau[m][z] <= 1);
            assert_true(r->precision10[m][z] >= 0 && r->precision10[m][z] <= 1);
            assert_true(r->mae[m][z] >= 0);
        }
    }
    const char *learners[] = {"5-NN", "GP", "LSTM", "ensemble"};
    for (size_t i = 0; i < sizeof learners / sizeof *learners; i++) {
        int m = 0;
        while (strcmp(r->names[m], learners[i]) != 0)
            m++;
        print_message("%s: tau %.3f at 10, %.3f at 150\n", learners[i], r->tau[m][0],
                      r->tau[m][1]);
        assert_true(r->tau[m][1] > r->tau[m][0]);
        assert_true(r->tau[m][1] > r->tau[1][1] + 0.2); /* far above baseline2 */
    }
    for (int z = 0; z < 2; z++)
        assert_true(fabs(r->ensemble_weights[0][z] + r->ensemble_weights[1][z] +
                         r->ensemble_weights[2][z] - 1) < 1e-9);
    assert_int_equal(exh_eval_train_sizes(d, &o, again, &err), 0);
    assert_memory_equal(r->tau, again->tau, sizeof r->tau);
    o.sizes[1] = 5; /* not increasing */
    assert_int_equal(exh_eval_train_sizes(d, &o, again, &err), EXH_ERR_INVALID);
    free(r);
    free(again);
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

static void test_noise_floor_sees_noise(void **state)
{
    (void)state;
    exh_store *s;
    exh_eval_dataset *d = synthetic_dataset(1, &s);
    exh_error err;
    exh_eval_options o;
    exh_eval_options_default(&o);
    o.repeats = 3;
    o.top3_repeats = 1;
    o.use_lstm = 0;
    exh_eval_result r;
    assert_int_equal(exh_eval_run(d, &o, &r, &err), 0);
    /* |U(-0.5, 0.5)| has mean 0.25. */
    assert_true(r.noise_floor_mean > 0.1 && r.noise_floor_mean < 0.4);
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

static void test_bad_requests(void **state)
{
    (void)state;
    exh_store *s = synthetic_store(0);
    exh_eval_dataset *d;
    exh_error err;
    assert_int_equal(exh_eval_dataset_load(s, "nb201", "no-such-dataset", &d, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "no-such-dataset"));
    assert_true(exh_eval_dataset_load(s, "nonsense", "synthetic", &d, &err) < 0);
    assert_int_equal(exh_eval_dataset_load(s, "nb201", "synthetic", &d, &err), 0);
    exh_eval_options o;
    exh_eval_options_default(&o);
    o.models = 5;
    exh_eval_result r;
    assert_int_equal(exh_eval_run(d, &o, &r, &err), EXH_ERR_INVALID);
    exh_eval_dataset_free(d);
    exh_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knn_beats_baselines_and_floor_is_exact),
        cmocka_unit_test(test_lstm_row),
        cmocka_unit_test(test_threads_same_results),
        cmocka_unit_test(test_train_sizes),
        cmocka_unit_test(test_noise_floor_sees_noise),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
