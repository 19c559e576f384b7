/* test_knn.c — k-NN prediction: a repository small enough to predict by
 * hand, exact matches, ties, curves of different lengths and NaN, infinite
 * distances, bad K and empty repositories, runs as input, and agreement of
 * the NB201 kernels with the plain edit distance. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "exhaust/knn.h"
#include "exhaust/rng.h"
#include "exhaust/space_dense.h"
#include "exhaust/space_graph.h"
#include "predict/knn_internal.h"
#include "testutil.h"

static exh_penalty_table table_for(const char *kind)
{
    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_default(kind, &t, &err), 0);
    return t;
}

static void nb201_cell(const char *digits, exh_layer *out)
{
    static const int source[6] = {0, 0, 1, 0, 1, 2}, target[6] = {1, 2, 2, 3, 3, 3};
    for (int e = 0; e < 6; e++) {
        memset(&out[e], 0, sizeof out[e]);
        out[e].op = digits[e] - '0';
        out[e].input_count = 2;
        out[e].inputs[0] = source[e];
        out[e].inputs[1] = target[e];
        out[e].inputs[2] = out[e].inputs[3] = -1;
    }
}

static exh_knn_repository *new_repository(const char *kind)
{
    exh_penalty_table t = table_for(kind);
    exh_knn_repository *r;
    exh_error err;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &r, &err), 0);
    return r;
}

/* Add an NB201 cell with a validation curve of n values. */
static void add_cell(exh_knn_repository *r, const char *digits, const double *validation, int n)
{
    exh_layer cell[6];
    nb201_cell(digits, cell);
    exh_knn_curve curve = {.epochs = n, .channel = {validation}};
    exh_error err;
    if (exh_knn_repository_add(r, digits, cell, 6, &curve, &err) < 0)
        fail_msg("%s", err.message);
}

static void predict_cell(const exh_knn_repository *r, const char *digits, int k, exh_knn_prediction *p)
{
    exh_layer cell[6];
    nb201_cell(digits, cell);
    exh_error err;
    if (exh_knn_predict(r, cell, 6, k, p, &err) < 0)
        fail_msg("%s", err.message);
}

static void assert_close(double got, double expected)
{
    if (!(fabs(got - expected) <= 1e-12 * (1 + fabs(expected))))
        fail_msg("got %.17g, expected %.17g", got, expected);
}

/* Query 333333. Model 0: 233333 (distance 1: conv3x3 -> conv1x1), model 1:
 * 133333 (distance 2: conv3x3 -> skip), model 2: 000000 (6 * 3 + 10 for the
 * disconnected cell = 28). */
static void test_three_models_by_hand(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    const double m0[3] = {10, 20, 30}, m1[2] = {40, 50}, m2[1] = {90};
    add_cell(r, "233333", m0, 3);
    add_cell(r, "133333", m1, 2);
    add_cell(r, "000000", m2, 1);
    assert_int_equal(exh_knn_repository_count(r), 3);
    assert_string_equal(exh_knn_repository_name(r, 1), "133333");

    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    predict_cell(r, "333333", 2, &p);
    assert_int_equal(p.neighbour_count, 2);
    assert_int_equal(p.neighbours[0].index, 0);
    assert_int_equal(p.neighbours[1].index, 1);
    assert_true(p.neighbours[0].distance == 1.0 && p.neighbours[1].distance == 2.0);
    /* weights 1/1 : 1/2, normalized: 2/3 and 1/3 */
    assert_close(p.neighbours[0].weight, 2.0 / 3.0);
    assert_close(p.neighbours[1].weight, 1.0 / 3.0);
    assert_int_equal(p.epochs, 3);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], 2.0 / 3 * 10 + 1.0 / 3 * 40); /* 20 */
    assert_close(p.channel[EXH_KNN_VALIDATION][1], 2.0 / 3 * 20 + 1.0 / 3 * 50); /* 30 */
    assert_close(p.channel[EXH_KNN_VALIDATION][2], 30); /* only model 0 reaches epoch 3 */
    /* channels not given are missing */
    assert_true(isnan(p.channel[EXH_KNN_TRAIN][0]) && isnan(p.channel[EXH_KNN_EPOCH_SECONDS][2]));

    predict_cell(r, "333333", 3, &p);
    assert_int_equal(p.neighbours[2].index, 2);
    assert_true(p.neighbours[2].distance == 28.0);
    double w0 = 1.0, w1 = 0.5, w2 = 1.0 / 28, sum = w0 + w1 + w2;
    assert_close(p.neighbours[2].weight, w2 / sum);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], (w0 * 10 + w1 * 40 + w2 * 90) / sum);
    assert_close(p.channel[EXH_KNN_VALIDATION][1], (w0 * 20 + w1 * 50) / (w0 + w1));

    /* leave-one-out: model 0 predicted from models 1 and 2 */
    exh_error err;
    assert_int_equal(exh_knn_predict_leave_out(r, 0, 2, &p, &err), 0);
    assert_int_equal(p.neighbours[0].index, 1);
    assert_int_equal(p.neighbours[1].index, 2);
    assert_int_equal(exh_knn_predict_leave_out(r, 0, 3, &p, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_predict_leave_out(r, 3, 1, &p, &err), EXH_ERR_INVALID);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_exact_matches_take_all_weight(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    const double a[1] = {10}, b[2] = {30, 70}, c[1] = {99};
    add_cell(r, "233333", c, 1);
    add_cell(r, "333333", a, 1);
    add_cell(r, "333333", b, 2);
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    predict_cell(r, "333333", 3, &p);
    assert_int_equal(p.neighbours[0].index, 1); /* the tie at 0 in index order */
    assert_int_equal(p.neighbours[1].index, 2);
    assert_true(p.neighbours[0].weight == 0.5 && p.neighbours[1].weight == 0.5);
    assert_true(p.neighbours[2].weight == 0.0);
    assert_int_equal(p.epochs, 2);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], 20);
    assert_close(p.channel[EXH_KNN_VALIDATION][1], 70);
    /* K = 1 takes the first exact match only */
    predict_cell(r, "333333", 1, &p);
    assert_int_equal(p.neighbours[0].index, 1);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], 10);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_ties_break_by_index(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    const double v[1] = {1};
    add_cell(r, "333334", v, 1); /* distance 2 from 333333 */
    add_cell(r, "333332", v, 1); /* distance 1 */
    add_cell(r, "333323", v, 1); /* distance 1 */
    add_cell(r, "333233", v, 1); /* distance 1 */
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    predict_cell(r, "333333", 2, &p);
    assert_int_equal(p.neighbours[0].index, 1);
    assert_int_equal(p.neighbours[1].index, 2);
    predict_cell(r, "333333", 4, &p);
    assert_int_equal(p.neighbours[2].index, 3);
    assert_int_equal(p.neighbours[3].index, 0);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_nan_epochs_are_skipped(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    const double a[3] = {10, NAN, 30}, b[3] = {40, 50, NAN};
    add_cell(r, "233333", a, 3); /* distance 1, weight 2/3 */
    add_cell(r, "133333", b, 3); /* distance 2, weight 1/3 */
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    predict_cell(r, "333333", 2, &p);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], 20);
    assert_close(p.channel[EXH_KNN_VALIDATION][1], 50); /* only b has epoch 2 */
    assert_close(p.channel[EXH_KNN_VALIDATION][2], 30); /* only a has epoch 3 */
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);

    r = new_repository("nb201");
    const double none[2] = {NAN, NAN};
    add_cell(r, "233333", none, 2);
    exh_knn_prediction_init(&p);
    predict_cell(r, "333333", 1, &p);
    assert_int_equal(p.epochs, 2);
    assert_true(isnan(p.channel[EXH_KNN_VALIDATION][0]) && isnan(p.channel[EXH_KNN_VALIDATION][1]));
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_bad_k_and_empty_repository(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_layer cell[6];
    nb201_cell("123401", cell);
    exh_error err;
    assert_int_equal(exh_knn_predict(r, cell, 6, 1, &p, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "empty"));
    const double v[1] = {5};
    add_cell(r, "111111", v, 1);
    add_cell(r, "222222", v, 1);
    assert_int_equal(exh_knn_predict(r, cell, 6, 3, &p, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "K = 3"));
    assert_int_equal(exh_knn_predict(r, cell, 6, 0, &p, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_predict(r, cell, -1, 1, &p, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_predict(r, cell, EXH_EDITDIST_MAX_LAYERS + 1, 1, &p, &err),
                     EXH_ERR_INVALID);
    assert_int_equal(exh_knn_predict(r, cell, 6, 2, &p, &err), 0);

    /* bad models are refused and leave the repository as it was */
    exh_knn_curve curve = {.epochs = -1};
    assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, &curve, &err), EXH_ERR_INVALID);
    curve.epochs = EXH_KNN_MAX_EPOCHS + 1;
    assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, &curve, &err), EXH_ERR_INVALID);
    curve.epochs = 0;
    assert_int_equal(exh_knn_repository_add(r, NULL, cell, -2, &curve, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, NULL, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_repository_count(r), 2);
    /* a model with an empty curve is a valid neighbour with nothing to say */
    assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, &curve, &err), 0);
    assert_int_equal(exh_knn_predict(r, cell, 6, 1, &p, &err), 0);
    assert_int_equal(p.epochs, 0);

    exh_penalty_table t = table_for("nb201");
    t.nb201.disconnect = -1;
    exh_knn_repository *bad;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &bad, &err), EXH_ERR_INVALID);
    assert_null(bad);
    t = table_for("nb201");
    assert_int_equal(exh_knn_repository_new(&t, (exh_knn_metric)7, &bad, &err), EXH_ERR_INVALID);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static exh_layer conv(int filters, int stride)
{
    exh_layer l = {.filters = filters, .kernel_h = 3, .kernel_w = 3, .stride = stride};
    for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
        l.inputs[j] = -1;
    return l;
}

static void test_infinitely_far_neighbours(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("convchain");
    exh_layer deep[3] = {conv(16, 1), conv(16, 1), conv(16, 1)};
    exh_layer near[2] = {conv(32, 1), conv(32, 1)};
    const double v1[1] = {70}, v2[1] = {10};
    exh_knn_curve c1 = {.epochs = 1, .channel = {v1}}, c2 = {.epochs = 1, .channel = {v2}};
    exh_error err;
    assert_int_equal(exh_knn_repository_add(r, "deep", deep, 3, &c1, &err), 0);
    assert_int_equal(exh_knn_repository_add(r, "other", near, 2, &c2, &err), 0);
    assert_string_equal(exh_knn_repository_kernel(r), "generic");
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_layer query[2] = {conv(16, 1), conv(16, 1)};
    /* "deep" is one same-stride layer away (infinite), "other" two filter changes (2) */
    assert_int_equal(exh_knn_predict(r, query, 2, 2, &p, &err), 0);
    assert_int_equal(p.neighbours[0].index, 1);
    assert_true(p.neighbours[0].distance == 2.0 && p.neighbours[0].weight == 1.0);
    assert_true(isinf(p.neighbours[1].distance) && p.neighbours[1].weight == 0.0);
    assert_close(p.channel[EXH_KNN_VALIDATION][0], 10);
    /* with K = 1 and only an infinite choice there is nothing to average */
    exh_layer lone[1] = {conv(16, 1)};
    exh_knn_repository *only = new_repository("convchain");
    assert_int_equal(exh_knn_repository_add(only, "deep", deep, 3, &c1, &err), 0);
    assert_int_equal(exh_knn_predict(only, lone, 1, 1, &p, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "infinitely far"));
    assert_int_equal(p.neighbour_count, 1); /* still reported */
    assert_true(isinf(p.neighbours[0].distance));
    /* a finite same_stride_indel makes it reachable */
    exh_penalty_table t = table_for("convchain");
    t.convchain.same_stride_indel = 1.0;
    assert_int_equal(exh_knn_repository_set_penalties(only, &t, &err), 0);
    assert_int_equal(exh_knn_predict(only, lone, 1, 1, &p, &err), 0);
    assert_true(p.neighbours[0].distance == 2.0);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(only);
    exh_knn_repository_free(r);
}

static void test_add_run(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_knn_repository *r = new_repository("nb201");
    exh_run logged;
    exh_run_init(&logged);
    assert_int_equal(exh_run_set(&logged.key, "nb201/test/1"), 0);
    assert_int_equal(exh_run_set(&logged.arch, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
                                           "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|"),
                     0);
    exh_epoch_record row = exh_epoch_record_empty(3); /* epoch 2 missing, epoch 0 ignored */
    row.val_accuracy = 80;
    row.train_accuracy = 90;
    row.epoch_seconds = 12;
    assert_int_equal(exh_run_add_epoch(&logged, &row), 0);
    row = exh_epoch_record_empty(1);
    row.val_accuracy = 60;
    assert_int_equal(exh_run_add_epoch(&logged, &row), 0);
    row = exh_epoch_record_empty(0);
    row.val_accuracy = 1;
    assert_int_equal(exh_run_add_epoch(&logged, &row), 0);
    assert_int_equal(exh_knn_repository_add_run(r, s, &logged, &err), 0);
    assert_string_equal(exh_knn_repository_name(r, 0), "nb201/test/1");
    exh_knn_curve c = exh_knn_repository_curve(r, 0);
    assert_int_equal(c.epochs, 3);
    assert_true(c.channel[EXH_KNN_VALIDATION][0] == 60 && isnan(c.channel[EXH_KNN_VALIDATION][1]));
    assert_true(c.channel[EXH_KNN_VALIDATION][2] == 80 && c.channel[EXH_KNN_TRAIN][2] == 90);
    assert_true(c.channel[EXH_KNN_EPOCH_SECONDS][2] == 12 && isnan(c.channel[EXH_KNN_TRAIN][0]));
    int count;
    const exh_layer *layers = exh_knn_repository_layers(r, 0, &count);
    assert_int_equal(count, 6);
    assert_int_equal(layers[5].op, EXH_NB201_CONV1X1);

    /* the query by architecture finds it at distance 0 */
    exh_arch a;
    assert_int_equal(exh_space_parse(s, logged.arch, &a, &err), 0);
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    assert_int_equal(exh_knn_predict_arch(r, s, &a, 1, &p, &err), 0);
    assert_true(p.neighbours[0].distance == 0.0);

    /* bad runs */
    exh_run_set(&logged.arch, "|nor_conv_9x9~0|");
    assert_int_equal(exh_knn_repository_add_run(r, s, &logged, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "nb201/test/1"));
    exh_run_set(&logged.arch, NULL);
    assert_int_equal(exh_knn_repository_add_run(r, s, &logged, &err), EXH_ERR_INVALID);
    exh_run_clear(&logged);
    assert_int_equal(exh_run_set(&logged.arch, "333333"), 0);
    row = exh_epoch_record_empty(EXH_KNN_MAX_EPOCHS + 5);
    assert_int_equal(exh_run_add_epoch(&logged, &row), 0);
    assert_int_equal(exh_knn_repository_add_run(r, s, &logged, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_repository_count(r), 1);
    exh_run_clear(&logged);

    /* a space of another kind is refused */
    exh_space *graph;
    assert_int_equal(exh_space_open("graph", &graph, &err), 0);
    assert_int_equal(exh_knn_repository_add_run(r, graph, &logged, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_knn_predict_arch(r, graph, &a, 1, &p, &err), EXH_ERR_INVALID);
    exh_space_free(graph);

    /* loss repositories read the loss columns */
    exh_penalty_table t = table_for("nb201");
    exh_knn_repository *losses;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_LOSS, &losses, &err), 0);
    exh_run_set(&logged.arch, "333333");
    row = exh_epoch_record_empty(1);
    row.val_loss = 2.5;
    row.train_loss = 1.5;
    row.val_accuracy = 50;
    exh_run_add_epoch(&logged, &row);
    assert_int_equal(exh_knn_repository_add_run(losses, s, &logged, &err), 0);
    c = exh_knn_repository_curve(losses, 0);
    assert_true(c.channel[EXH_KNN_VALIDATION][0] == 2.5 && c.channel[EXH_KNN_TRAIN][0] == 1.5);
    assert_false(exh_knn_metric_higher_is_better(exh_knn_repository_metric(losses)));
    exh_run_clear(&logged);
    exh_knn_repository_free(losses);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
    exh_space_free(s);
}

static void assert_same_neighbours(const exh_knn_prediction *a, const exh_knn_prediction *b)
{
    assert_int_equal(a->neighbour_count, b->neighbour_count);
    for (int i = 0; i < a->neighbour_count; i++) {
        assert_int_equal(a->neighbours[i].index, b->neighbours[i].index);
        assert_memory_equal(&a->neighbours[i].distance, &b->neighbours[i].distance, sizeof(double));
        assert_memory_equal(&a->neighbours[i].weight, &b->neighbours[i].weight, sizeof(double));
    }
}

/* Predictions (leave-one-out too) through each path: the same neighbours,
 * distances and weights as through the plain programme. */
static void check_predictions(exh_knn_repository *r, const exh_layer *query, int models)
{
    exh_knn_prediction expected, got;
    exh_knn_prediction_init(&expected);
    exh_knn_prediction_init(&got);
    exh_error err;
    int k = models < 7 ? models - 1 : 7, exclude = models / 2;
    knn_repository_force_kernel(r, KNN_KERNEL_GENERIC);
    int rc = exh_knn_predict(r, query, 6, k, &expected, &err);
    int rc_out = exh_knn_predict_leave_out(r, exclude, k, &got, &err);
    exh_knn_prediction leave_out = got;
    exh_knn_prediction_init(&got);
    const knn_kernel kernels[4] = {KNN_KERNEL_LANES, KNN_KERNEL_EXACT16, KNN_KERNEL_EXACT8,
                                   KNN_KERNEL_AUTO};
    for (int i = 0; i < 4; i++) {
        knn_repository_force_kernel(r, kernels[i]);
        assert_int_equal(exh_knn_predict(r, query, 6, k, &got, &err), rc);
        assert_same_neighbours(&got, &expected);
        assert_int_equal(exh_knn_predict_leave_out(r, exclude, k, &got, &err), rc_out);
        assert_same_neighbours(&got, &leave_out);
        for (int j = 0; j < k; j++)
            assert_int_not_equal(got.neighbours[j].index, exclude);
    }
    knn_repository_force_kernel(r, KNN_KERNEL_AUTO);
    exh_knn_prediction_clear(&leave_out);
    exh_knn_prediction_clear(&expected);
    exh_knn_prediction_clear(&got);
}

/* Every NB201 path gives the same doubles as editdist_distance (a forced
 * path that does not apply falls back to the plain programme). Returns
 * whether the byte kernel ran the gain form (finite indel). */
static int check_kernels(const exh_penalty_table *t, int models, uint64_t seed)
{
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_knn_repository *r;
    assert_int_equal(exh_knn_repository_new(t, EXH_KNN_ACCURACY, &r, &err), 0);
    exh_rng *g = exh_rng_new(seed);
    for (int m = 0; m < models; m++) {
        exh_arch a;
        exh_layer cell[6];
        assert_int_equal(exh_space_sample(s, g, &a, &err), 0);
        assert_int_equal(exh_space_layers(s, &a, cell, 6), 6);
        exh_knn_curve curve = {.epochs = 0};
        assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, &curve, &err), 0);
    }
    static double expected[600], got[600];
    for (int trial = 0; trial < 40; trial++) {
        exh_arch q;
        exh_layer query[6];
        assert_int_equal(exh_space_sample(s, g, &q, &err), 0);
        exh_space_layers(s, &q, query, 6);
        for (int m = 0; m < models; m++) {
            int count;
            const exh_layer *model = exh_knn_repository_layers(r, m, &count);
            assert_int_equal(exh_editdist_distance(t, query, 6, model, count, &expected[m], &err), 0);
            /* the whole programme, no shortcut, gives the same number */
            double full = exh_editdist_alignment_full(t, query, 6, model, count);
            if (exh_editdist_connected(query, 6) != exh_editdist_connected(model, count))
                full += t->nb201.disconnect;
            assert_memory_equal(&full, &expected[m], sizeof(double));
        }
        const knn_kernel kernels[5] = {KNN_KERNEL_GENERIC, KNN_KERNEL_LANES, KNN_KERNEL_EXACT16,
                                       KNN_KERNEL_EXACT8, KNN_KERNEL_AUTO};
        for (int variant = 0; variant < 4; variant++) /* shortcut or not, AVX-512 or not */
            for (int k = 0; k < 5; k++) {
                int full = variant & 1;
                knn_nb201_allow_avx512(variant < 2);
                knn_repository_force_full_programme(r, full);
                knn_repository_force_kernel(r, kernels[k]);
                assert_int_equal(exh_knn_distances(r, query, 6, got, &err), 0);
                for (int m = 0; m < models; m++)
                    if (memcmp(&got[m], &expected[m], sizeof(double)) != 0)
                        fail_msg("kernel %d (%s, full %d), model %d: %.17g instead of %.17g",
                                 k, exh_knn_repository_kernel(r), full, m, got[m], expected[m]);
            }
        knn_nb201_allow_avx512(1);
        knn_repository_force_full_programme(r, 0);
        knn_repository_force_kernel(r, KNN_KERNEL_AUTO);
        check_predictions(r, query, models);
    }
    int gain = r->nb201.gain != NULL;
    exh_rng_free(g);
    exh_knn_repository_free(r);
    exh_space_free(s);
    return gain;
}

static void test_nb201_kernels_agree(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("nb201");
    check_kernels(&t, 137, 1); /* not a multiple of any block */
    t.nb201.indel = 2.5;       /* finite indels: every path of the programme is live */
    check_kernels(&t, 64, 2);
    t.nb201.replace[2][3] = 0.3; /* not a multiple of 1/256: the double path */
    check_kernels(&t, 200, 3);
    t = table_for("nb201");
    t.nb201.replace[4][1] = INFINITY; /* asymmetric and infinite */
    t.nb201.indel = 0.125;
    check_kernels(&t, 300, 4);
    t = table_for("nb201");
    t.nb201.replace[0][1] = 3000; /* too large for 16 bits */
    check_kernels(&t, 65, 5);
    t = table_for("nb201");
    t.nb201.replace[0][1] = t.nb201.replace[1][0] = 18; /* 12 * 18 + 10 = 226: still 8 bits */
    check_kernels(&t, 129, 6);
    t.nb201.replace[0][1] = 19.5; /* 12 * 39 + 20 at 2^1: 16 bits */
    check_kernels(&t, 128, 7);
    t = table_for("nb201");
    t.nb201.disconnect = INFINITY;
    check_kernels(&t, 90, 8);
    t = table_for("nb201");
    t.nb201.indel = 9; /* 2 * 9 = 6 * 3: finite, yet the programme is degenerate */
    assert_true(exh_editdist_nb201_diagonal_only(&t, 6));
    check_kernels(&t, 140, 9);
    t.nb201.indel = 8.75; /* just short of it: the whole programme */
    assert_false(exh_editdist_nb201_diagonal_only(&t, 6));
    check_kernels(&t, 140, 10);
    t = table_for("nb201");
    t.nb201.replace[3][0] = t.nb201.replace[2][4] = INFINITY; /* degenerate with infinities */
    t.nb201.replace[1][3] = 0.75;
    check_kernels(&t, 260, 11);
}

/* Random penalty tables (seeded): costs in integers or quarters, some
 * infinite, a finite indel (every cell of the programme live: the gain
 * kernel in bytes where the numbers fit) or now and then an infinite one,
 * a finite or infinite disconnect term. Every path must equal the plain
 * programme on random cells. */
static void test_nb201_kernels_agree_random_penalties(void **state)
{
    (void)state;
    exh_rng *g = exh_rng_new(2024);
    int gain = 0;
    for (int table = 0; table < 12; table++) {
        exh_penalty_table t = table_for("nb201");
        int scale = table % 3 == 0 ? 1 : 4; /* integers, or quarters */
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                t.nb201.replace[x][y] = x == y                       ? 0.0
                                        : exh_rng_uniform(g) < 0.08 ? INFINITY
                                        : exh_rng_below(g, 13) / (double)scale;
        t.nb201.indel = table % 6 == 5 ? INFINITY : (1 + exh_rng_below(g, 8)) / (double)scale;
        t.nb201.disconnect = table % 4 == 3 ? INFINITY : exh_rng_below(g, 41) / 4.0;
        gain += check_kernels(&t, 100 + (int)exh_rng_below(g, 200), 100 + (uint64_t)table);
    }
    print_message("%d of 12 random tables ran the gain kernel\n", gain);
    assert_true(gain >= 4);
    exh_rng_free(g);
}

static void test_kernel_choice(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    const double v[1] = {1};
    add_cell(r, "123401", v, 1);
    int avx2 = knn_nb201_has_avx2();
    assert_string_equal(exh_knn_repository_kernel(r), avx2 ? "nb201 int8 avx2" : "nb201 double lanes");
    exh_penalty_table t = table_for("nb201");
    t.nb201.replace[1][2] = 100; /* 12 * 100 does not fit a byte */
    exh_error err;
    assert_int_equal(exh_knn_repository_set_penalties(r, &t, &err), 0);
    assert_string_equal(exh_knn_repository_kernel(r), avx2 ? "nb201 int16 avx2" : "nb201 double lanes");
    t.nb201.disconnect = 0.1; /* not a multiple of 1/256 */
    assert_int_equal(exh_knn_repository_set_penalties(r, &t, &err), 0);
    assert_string_equal(exh_knn_repository_kernel(r), "nb201 double lanes");
    /* a model that is not a 6-edge cell sends everything to the generic path */
    exh_layer odd[6]; /* the first five edges of a cell */
    nb201_cell("123401", odd);
    exh_knn_curve curve = {.epochs = 1, .channel = {v}};
    assert_int_equal(exh_knn_repository_add(r, NULL, odd, 5, &curve, &err), 0);
    assert_string_equal(exh_knn_repository_kernel(r), "generic");
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    predict_cell(r, "123401", 2, &p);
    assert_true(p.neighbours[0].distance == 0.0);
    assert_true(isinf(p.neighbours[1].distance)); /* one edge fewer, indel infinite */
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

/* The scaled-integer selection against the plain one, on small ranges
 * full of ties, with and without a model left out. */
static void test_selection_of_scaled_distances(void **state)
{
    (void)state;
    exh_rng *g = exh_rng_new(31);
    static uint16_t scaled[1200 + KNN_BLOCK];
    static double plain[1200];
    static exh_knn_neighbour expected[1200], got[1200];
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + (int)exh_rng_below(g, 1200);
        int limit = trial % 2 ? UINT8_MAX : INT16_MAX;
        int range = 1 + (int)exh_rng_below(g, trial % 3 ? 12 : (uint32_t)limit);
        for (int m = 0; m < n; m++) {
            int infinite = exh_rng_below(g, 10) == 0;
            scaled[m] = (uint16_t)(infinite ? (uint32_t)limit : exh_rng_below(g, (uint32_t)range));
            plain[m] = scaled[m];
        }
        int exclude = n > 1 && exh_rng_below(g, 2) ? (int)exh_rng_below(g, (uint32_t)n) : -1;
        int candidates = n - (exclude >= 0);
        if (candidates < 1)
            continue;
        int k = 1 + (int)exh_rng_below(g, (uint32_t)(candidates < 40 ? candidates : 40));
        if (trial % 7 == 0)
            k = candidates;
        knn_select_nearest(plain, n, k, exclude, expected);
        knn_select_nearest_scaled(scaled, n, k, exclude, limit, got);
        for (int i = 0; i < k; i++) {
            if (got[i].index != expected[i].index || got[i].distance != expected[i].distance)
                fail_msg("trial %d (n %d, k %d, exclude %d): rank %d is model %d at %g, expected "
                         "%d at %g",
                         trial, n, k, exclude, i, got[i].index, got[i].distance, expected[i].index,
                         expected[i].distance);
        }
    }
    exh_rng_free(g);
}

/* ---- the generic kernel (token tables, models side by side) -------------- */

static exh_layer random_generic_layer(exh_penalty_kind kind, exh_rng *g)
{
    exh_layer l;
    memset(&l, 0, sizeof l);
    for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
        l.inputs[j] = -1;
    switch (kind) {
    case EXH_PENALTY_CONVCHAIN:
        l.filters = 16 << exh_rng_below(g, 3);
        l.kernel_h = l.kernel_w = 1 + 2 * (int)exh_rng_below(g, 2);
        l.stride = 1 + (int)exh_rng_below(g, 2);
        break;
    case EXH_PENALTY_DENSE:
        l.op = (int)exh_rng_below(g, EXH_DENSE_OP_COUNT);
        if (l.op == EXH_DENSE_OP_DENSE) {
            l.units = 8 << exh_rng_below(g, 4);
            l.activation = (int)exh_rng_below(g, 3);
        } else if (l.op == EXH_DENSE_OP_SKIP) {
            l.input_count = 1;
            l.inputs[0] = (int)exh_rng_below(g, 4);
        }
        break;
    case EXH_PENALTY_GRAPH:
        l.op = (int)exh_rng_below(g, EXH_GRAPH_OP_COUNT);
        l.input_count = 1 + (int)exh_rng_below(g, 3);
        for (int j = 0; j < l.input_count; j++)
            l.inputs[j] = (int)exh_rng_below(g, 9);
        break;
    default:
        l.op = (int)exh_rng_below(g, EXH_NB201_OPERATIONS);
        l.input_count = 2;
        l.inputs[0] = (int)exh_rng_below(g, 3);
        l.inputs[1] = l.inputs[0] + 1;
    }
    return l;
}

static int random_length(exh_rng *g)
{
    switch (exh_rng_below(g, 8)) {
    case 0:
        return (int)exh_rng_below(g, 3); /* 0..2: empty sequences too */
    case 1:
        return 20 + (int)exh_rng_below(g, 30);
    default:
        return 3 + (int)exh_rng_below(g, 12);
    }
}

/* Every SIMD width of the generic kernel against the whole programme run
 * one model at a time: the same doubles, bit for bit. */
static void check_generic(const exh_penalty_table *t, int models, uint64_t seed)
{
    exh_knn_repository *r;
    exh_error err;
    assert_int_equal(exh_knn_repository_new(t, EXH_KNN_ACCURACY, &r, &err), 0);
    exh_rng *g = exh_rng_new(seed);
    exh_layer layers[64];
    for (int m = 0; m < models; m++) {
        int count = random_length(g);
        for (int k = 0; k < count; k++)
            layers[k] = random_generic_layer(t->kind, g);
        if (m % 7 == 3 && m > 0) { /* repeats: shared tokens, equal models */
            int previous;
            const exh_layer *copy = exh_knn_repository_layers(r, m - 1, &previous);
            memcpy(layers, copy, (size_t)previous * sizeof(exh_layer));
            count = previous;
        }
        exh_knn_curve curve = {.epochs = 0};
        assert_int_equal(exh_knn_repository_add(r, NULL, layers, count, &curve, &err), 0);
    }
    static double expected[700], got[700];
    for (int trial = 0; trial < 12; trial++) {
        int count = random_length(g);
        for (int k = 0; k < count; k++)
            layers[k] = random_generic_layer(t->kind, g);
        knn_repository_force_kernel(r, KNN_KERNEL_GENERIC);
        knn_repository_force_full_programme(r, 1);
        assert_int_equal(exh_knn_distances(r, layers, count, expected, &err), 0);
        knn_repository_force_full_programme(r, 0);
        const int widths[3] = {512, 256, 0};
        for (int w = 0; w < 3; w++) {
            knn_generic_force_simd(widths[w]);
            memset(got, 0xff, sizeof got);
            assert_int_equal(exh_knn_distances(r, layers, count, got, &err), 0);
            for (int m = 0; m < models; m++)
                if (memcmp(&got[m], &expected[m], sizeof(double)) != 0)
                    fail_msg("%s, width %d, query of %d layers, model %d: %.17g instead of "
                             "%.17g",
                             exh_penalties_kind_name(t->kind), widths[w], count, m, got[m],
                             expected[m]);
        }
        knn_generic_force_simd(512);
    }
    knn_repository_force_kernel(r, KNN_KERNEL_AUTO);
    exh_rng_free(g);
    exh_knn_repository_free(r);
}

static void test_generic_kernel_agrees(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("graph");
    check_generic(&t, 301, 31);
    t.graph.input = 0.3; /* not a dyadic fraction: rounding must match too */
    t.graph.indel = 1.7;
    check_generic(&t, 200, 32);
    t = table_for("convchain"); /* infinite stride and same-stride indel */
    check_generic(&t, 333, 33);
    t.convchain.same_stride_indel = 0.75;
    t.convchain.filters = 0.1;
    check_generic(&t, 150, 34);
    t = table_for("dense");
    check_generic(&t, 250, 35);
    t = table_for("nb201"); /* cells of other lengths than 6: the generic path */
    check_generic(&t, 120, 36);
    t.nb201.indel = 0.7;
    t.nb201.replace[2][0] = INFINITY;
    check_generic(&t, 120, 37);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_models_by_hand),
        cmocka_unit_test(test_exact_matches_take_all_weight),
        cmocka_unit_test(test_ties_break_by_index),
        cmocka_unit_test(test_nan_epochs_are_skipped),
        cmocka_unit_test(test_bad_k_and_empty_repository),
        cmocka_unit_test(test_infinitely_far_neighbours),
        cmocka_unit_test(test_add_run),
        cmocka_unit_test(test_nb201_kernels_agree),
        cmocka_unit_test(test_nb201_kernels_agree_random_penalties),
        cmocka_unit_test(test_generic_kernel_agrees),
        cmocka_unit_test(test_kernel_choice),
        cmocka_unit_test(test_selection_of_scaled_distances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
