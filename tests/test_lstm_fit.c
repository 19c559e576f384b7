/* test_lstm_fit.c — the LSTM trained for a target on logged models: what it
 * trains on, what it leaves out, how well it learns a known function, and
 * its description saved beside it. The data set is built in memory: NB201
 * cells whose accuracy is a known function of the cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/lstm_fit.h"
#include "exhaust/space_nb201.h"
#include "testutil.h"

/* 60 + 5 per 3x3 convolution + 2 per 1x1 convolution. */
static double known_accuracy(const exh_arch *a)
{
    double acc = 60.0;
    for (int i = 0; i < 6; i++)
        acc += a->token[i] == EXH_NB201_CONV3X3 ? 5.0 : a->token[i] == EXH_NB201_CONV1X1 ? 2.0 : 0.0;
    return acc;
}

/* `count` cells, 3 epochs each rising to the known accuracy; train curves
 * only on the even models, epoch times of 10 s (20 s for odd models). */
static exh_eval_dataset *known_dataset(int count)
{
    exh_eval_dataset *d = calloc(1, sizeof *d);
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &d->space, &err), 0);
    d->metric = EXH_KNN_ACCURACY;
    d->models = calloc((size_t)count, sizeof *d->models);
    d->count = d->capacity = count;
    snprintf(d->description, sizeof d->description, "known cells");
    for (int i = 0; i < count; i++) {
        exh_eval_model *m = &d->models[i];
        assert_int_equal(exh_space_enumerate(d->space, (i * 7919) % 15625, &m->architecture, &err),
                         0);
        m->epochs = 3;
        m->validation = malloc(3 * sizeof(double));
        m->seconds = malloc(3 * sizeof(double));
        m->train = i % 2 == 0 ? malloc(3 * sizeof(double)) : NULL;
        double best = known_accuracy(&m->architecture);
        for (int e = 0; e < 3; e++) {
            m->validation[e] = best - 2 * (2 - e);
            m->seconds[e] = i % 2 ? 20 : 10;
            if (m->train)
                m->train[e] = best + 3;
        }
        m->partial = m->other_seed_best = NAN;
    }
    return d;
}

static void test_learns_a_known_function(void **state)
{
    (void)state;
    exh_eval_dataset *d = known_dataset(400);
    exh_lstm_fit_options o;
    exh_lstm_fit_options_default(&o);
    o.grid = 0;
    o.max_models = 300;
    exh_lstm_model *m;
    exh_lstm_fit_info info;
    exh_error err;
    if (exh_lstm_fit(d, "known", &o, &m, &info, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(info.train_count, 225);
    assert_int_equal(info.validation_count, 75);
    assert_string_equal(info.target, "best");
    assert_string_equal(info.space, "nb201");
    assert_false(info.lower_is_better);
    /* Targets spread over 60..90 (sd about 6): a learner of the function is
     * far closer than that, on validation and on cells it never saw. */
    assert_true(info.validation_error < 1.5);
    const char *unseen[] = {"212121", "340340", "323232"}; /* not at the extremes */
    for (int i = 0; i < 3; i++) {
        exh_arch a;
        double guess;
        assert_int_equal(exh_space_parse(d->space, unseen[i], &a, &err), 0);
        for (int j = 0; j < d->count; j++)
            assert_false(memcmp(a.token, d->models[j].architecture.token, 6 * sizeof *a.token) == 0);
        assert_int_equal(exh_lstm_predict(m, &a, 1, &guess, &err), 0);
        print_message("%s: known %.1f, LSTM %.2f\n", unseen[i], known_accuracy(&a), guess);
        assert_true(fabs(guess - known_accuracy(&a)) < 4.0);
    }
    exh_lstm_free(m);
    exh_eval_dataset_free(d);
}

static void test_models_without_a_value_are_left_out(void **state)
{
    (void)state;
    exh_eval_dataset *d = known_dataset(40);
    exh_lstm_fit_options o;
    exh_lstm_fit_options_default(&o);
    o.grid = 0;
    exh_error err;
    exh_lstm_model *m;
    exh_lstm_fit_info info;
    /* Only the even models have train curves. */
    assert_int_equal(exh_targets_parse("overfit", &o.target, &err), 0);
    assert_int_equal(exh_lstm_fit(d, "known", &o, &m, &info, &err), 0);
    assert_int_equal(info.skipped, 20);
    assert_int_equal(info.train_count + info.validation_count, 20);
    assert_true(info.lower_is_better);
    exh_lstm_free(m);
    /* 15 s: one epoch of the even models, none of the odd ones. */
    assert_int_equal(exh_targets_parse("budget=15", &o.target, &err), 0);
    assert_int_equal(exh_lstm_fit(d, "known", &o, &m, &info, &err), 0);
    assert_int_equal(info.skipped, 20);
    exh_lstm_free(m);
    /* 5 s: no model finishes an epoch. */
    assert_int_equal(exh_targets_parse("budget=5", &o.target, &err), 0);
    assert_int_equal(exh_lstm_fit(d, "known", &o, &m, &info, &err), EXH_ERR_INVALID);
    assert_null(m);
    assert_non_null(strstr(err.message, "known cells: 0; 40 without one"));
    exh_eval_dataset_free(d);
}

static void test_saved_with_its_description(void **state)
{
    (void)state;
    exh_eval_dataset *d = known_dataset(60);
    exh_lstm_fit_options o;
    exh_lstm_fit_options_default(&o);
    o.grid = 0;
    o.seed = 5;
    exh_error err;
    exh_lstm_model *m, *again;
    exh_lstm_fit_info info, loaded;
    assert_int_equal(exh_targets_parse("epoch-time", &o.target, &err), 0);
    assert_int_equal(exh_lstm_fit(d, "known", &o, &m, &info, &err), 0);
    char *path = test_temp_path("time.lstm");
    assert_int_equal(exh_lstm_fit_save(m, &info, path, &err), 0);
    assert_int_equal(exh_lstm_fit_load(path, &again, &loaded, &err), 0);
    assert_string_equal(loaded.target, "epoch-time");
    assert_string_equal(loaded.dataset, "known");
    assert_int_equal(loaded.train_count, info.train_count);
    assert_true(loaded.dropout == info.dropout && loaded.learning_rate == info.learning_rate);
    assert_true(fabs(loaded.validation_error - info.validation_error) < 1e-9);
    double before[3], after[3];
    const exh_arch archs[3] = {d->models[0].architecture, d->models[1].architecture,
                           d->models[2].architecture};
    assert_int_equal(exh_lstm_predict(m, archs, 3, before, &err), 0);
    assert_int_equal(exh_lstm_predict(again, archs, 3, after, &err), 0);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(before[i] - after[i]) < 1e-4);
    /* Asked for another target or space, the model refuses. */
    exh_targets_spec best = {EXH_TARGETS_BEST, NAN};
    assert_int_equal(exh_lstm_fit_check(&loaded, path, "nb201", &o.target, &err), 0);
    assert_int_equal(exh_lstm_fit_check(&loaded, path, "nb201", &best, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "target epoch-time, not best"));
    assert_int_equal(exh_lstm_fit_check(&loaded, path, "graph", &o.target, &err), EXH_ERR_INVALID);
    /* A broken description is named. */
    char description[1024];
    snprintf(description, sizeof description, "%s.json", path);
    FILE *f = fopen(description, "w");
    fputs("{\"space\": \"nb201\", \"target\": 3}", f);
    fclose(f);
    exh_lstm_model *broken;
    assert_int_equal(exh_lstm_fit_load(path, &broken, &loaded, &err), EXH_ERR_PARSE);
    assert_null(broken);
    assert_non_null(strstr(err.message, "time.lstm.json"));
    exh_lstm_free(again);
    exh_lstm_free(m);
    exh_eval_dataset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_a_known_function),
        cmocka_unit_test(test_models_without_a_value_are_left_out),
        cmocka_unit_test(test_saved_with_its_description),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
