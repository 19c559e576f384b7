/* test_predictor.c — bulk predictions (predictor.h) against hand-worked
 * values and against exh_knn_predict called one architecture at a time. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/eval.h"
#include "exhaust/ingest.h"
#include "exhaust/predictor.h"
#include "exhaust/space.h"
#include "testutil.h"

/* Ten logged NB201 cells (exh_eval_dataset_load wants at least ten): four
 * with best validation accuracies 70, 80, 60, 90, and six fillers at 41..46. */
static const char RUNS[] = "{\"key\": \"a\", \"space\": \"nb201\", \"arch\": \"302140\", "
                           "\"dataset\": \"toy\", \"epochs\": "
                           "[{\"epoch\": 1, \"val_accuracy\": 50, \"epoch_seconds\": 10}, "
                           "{\"epoch\": 2, \"val_accuracy\": 70, "
                           "\"epoch_seconds\": 12}]}\n"
                           "{\"key\": \"b\", \"space\": \"nb201\", \"arch\": \"302141\", "
                           "\"dataset\": \"toy\", \"epochs\": "
                           "[{\"epoch\": 1, \"val_accuracy\": 80, \"epoch_seconds\": 20}]}\n"
                           "{\"key\": \"c\", \"space\": \"nb201\", \"arch\": \"000000\", "
                           "\"dataset\": \"toy\", \"epochs\": "
                           "[{\"epoch\": 1, \"val_accuracy\": 60}]}\n"
                           "{\"key\": \"d\", \"space\": \"nb201\", \"arch\": \"333333\", "
                           "\"dataset\": \"toy\", \"epochs\": "
                           "[{\"epoch\": 1, \"val_accuracy\": 90}]}\n"
#define FILLER(key, arch, value)                                                                   \
    "{\"key\": \"" key "\", \"space\": \"nb201\", \"arch\": \"" arch "\", \"dataset\": \"toy\", "  \
    "\"epochs\": [{\"epoch\": 1, \"val_accuracy\": " value "}]}\n"
    FILLER("f1", "444440", "41") FILLER("f2", "444441", "42") FILLER("f3", "444442", "43")
        FILLER("f4", "444443", "44") FILLER("f5", "444434", "45") FILLER("f6", "444424", "46");

static const char *fixture_store(void)
{
    static char path[4096];
    if (path[0])
        return path;
    const char *log = test_write_file("runs.jsonl", RUNS);
    snprintf(path, sizeof path, "%s", test_temp_path("runs.db"));
    exh_error err;
    exh_store *s;
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_ingest_options options = {0};
    exh_ingest_stats stats;
    assert_int_equal(exh_ingest_paths(s, &log, 1, &options, &stats, &err), 0);
    assert_int_equal(stats.runs, 10);
    exh_store_close(s);
    return path;
}

static exh_predictor *open_fixture(void)
{
    exh_predictor *p = NULL;
    exh_error err;
    int rc = exh_predictor_open(fixture_store(), "nb201", "toy", NULL, &p, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(exh_predictor_count(p), 10);
    assert_true(exh_predictor_higher_is_better(p));
    return p;
}

/* A logged cell is its own only neighbour at distance 0 (weight 1), so the
 * prediction is its own value; the mean epoch time is (10 + 12) / 2. */
static void test_exact_matches(void **state)
{
    (void)state;
    exh_predictor *p = open_fixture();
    static const struct {
        const char *arch, *target, *key;
        double value;
    } cases[] = {
        {"302140", "best", "a", 70},       {"302141", "best", "b", 80},
        {"333333", "best", "d", 90},       {"302140", "epoch-time", "a", 11},
        {"302141", "epoch-time", "b", 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double value;
        int index[3];
        double distance[3], weight[3];
        char text[EXH_SPACE_TEXT_MAX];
        exh_predictor_output out = {&value, text, sizeof text, 0, 3, index, distance, weight, -1};
        exh_error err;
        int rc =
            exh_predictor_run(p, "knn", cases[i].target, 3, 1, &cases[i].arch, 1, &out, NULL, &err);
        if (rc < 0)
            fail_msg("%s: %s", cases[i].arch, err.message);
        assert_float_equal(value, cases[i].value, 1e-12);
        assert_string_equal(exh_predictor_name(p, index[0]), cases[i].key);
        assert_float_equal(distance[0], 0.0, 0.0);
        assert_float_equal(weight[0], 1.0, 0.0);
        assert_float_equal(weight[1], 0.0, 0.0);
        assert_true(text[0] == '|'); /* the canonical form, not the digits */
        assert_int_equal(out.lower_is_better, 0 + (strcmp(cases[i].target, "epoch-time") == 0));
    }
    exh_predictor_free(p);
}

/* Several architectures in one call give what exh_knn_predict gives for
 * each alone; slots past k are padded. */
static void test_batch_matches_single(void **state)
{
    (void)state;
    exh_predictor *p = open_fixture();
    const char *archs[] = {"302100", "111111", "302140", "444444"};
    enum { N = 4, K = 2, SLOTS = 3 };
    double values[N];
    int index[N * SLOTS];
    double distance[N * SLOTS], weight[N * SLOTS];
    char texts[100];
    exh_predictor_output out = {values, texts, sizeof texts, 0, SLOTS, index, distance, weight, 0};
    exh_error err;
    assert_int_equal(exh_predictor_run(p, "knn", "best", K, 1, archs, N, &out, NULL, &err), 0);
    /* Four texts need more than 100 bytes: the first fits, the rest are not written. */
    const char *first = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|";
    assert_string_equal(texts, first);
    exh_store *s;
    exh_eval_dataset *d;
    exh_knn_repository *r;
    assert_int_equal(exh_store_open_readonly(fixture_store(), &s, &err), 0);
    assert_int_equal(exh_eval_dataset_load(s, "nb201", "toy", &d, &err), 0);
    assert_int_equal(exh_eval_repository(d, NULL, &r, &err), 0);
    exh_knn_prediction pred;
    exh_knn_prediction_init(&pred);
    size_t needed = 0;
    for (int i = 0; i < N; i++) {
        exh_arch a;
        assert_int_equal(exh_space_parse(d->space, archs[i], &a, &err), 0);
        char text[EXH_SPACE_TEXT_MAX];
        needed += (size_t)exh_space_format(d->space, &a, text, sizeof text) + 1;
        assert_int_equal(exh_knn_predict_arch(r, d->space, &a, K, &pred, &err), 0);
        double best = -INFINITY;
        for (int e = 0; e < pred.epochs; e++)
            best = fmax(best, pred.channel[EXH_KNN_VALIDATION][e]);
        assert_float_equal(values[i], best, 1e-12);
        for (int j = 0; j < K; j++) {
            assert_int_equal(index[i * SLOTS + j], pred.neighbours[j].index);
            assert_float_equal(distance[i * SLOTS + j], pred.neighbours[j].distance, 0.0);
            assert_float_equal(weight[i * SLOTS + j], pred.neighbours[j].weight, 0.0);
        }
        assert_int_equal(index[i * SLOTS + K], -1);
        assert_true(isnan(distance[i * SLOTS + K]));
    }
    assert_int_equal(out.text_used, needed);
    exh_knn_prediction_clear(&pred);
    exh_knn_repository_free(r);
    exh_eval_dataset_free(d);
    exh_store_close(s);
    exh_predictor_free(p);
}

/* The baselines draw from the seed: the same seed, the same values. */
static void test_baselines_seeded(void **state)
{
    (void)state;
    exh_predictor *p = open_fixture();
    const char *archs[] = {"302100", "111111", "302140", "444444", "000001"};
    double first[5], second[5];
    exh_predictor_output a = {first, NULL, 0, 0, 0, NULL, NULL, NULL, 0};
    exh_predictor_output b = {second, NULL, 0, 0, 0, NULL, NULL, NULL, 0};
    exh_error err;
    assert_int_equal(exh_predictor_run(p, "baseline1", "best", 1, 7, archs, 5, &a, NULL, &err), 0);
    assert_int_equal(exh_predictor_run(p, "baseline1", "best", 1, 7, archs, 5, &b, NULL, &err), 0);
    for (int i = 0; i < 5; i++) {
        assert_float_equal(first[i], second[i], 0.0);
        assert_true(first[i] == 70 || first[i] == 80 || first[i] == 60 || first[i] == 90 ||
                    (first[i] >= 41 && first[i] <= 46));
    }
    assert_int_equal(exh_predictor_run(p, "baseline2", "best", 1, 7, archs, 5, &b, NULL, &err), 0);
    exh_predictor_free(p);
}

static void test_bad_requests(void **state)
{
    (void)state;
    exh_predictor *p = open_fixture();
    static const struct {
        const char *method, *target, *arch;
        int k, code, failed;
        const char *says;
    } cases[] = {
        {"forest", "best", "302140", 2, EXH_ERR_INVALID, -1, "unknown method 'forest'"},
        {NULL, "best", "302140", 2, EXH_ERR_INVALID, -1, "unknown method"},
        {"knn", "worst", "302140", 2, EXH_ERR_INVALID, -1, "worst"},
        {"knn", "best", "302140", 11, EXH_ERR_INVALID, -1, "1..10"},
        {"knn", "best", "302140", 0, EXH_ERR_INVALID, -1, "k = 0"},
        {"knn", "best", "9z", 2, EXH_ERR_PARSE, 1, "'9z'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *archs[] = {"302140", cases[i].arch};
        double values[2];
        exh_predictor_output out = {values, NULL, 0, 0, 0, NULL, NULL, NULL, 0};
        exh_error err;
        int failed = 99;
        int rc = exh_predictor_run(p, cases[i].method, cases[i].target, cases[i].k, 1, archs, 2,
                                   &out, &failed, &err);
        assert_true(rc < 0);
        if (cases[i].code != EXH_ERR_PARSE)
            assert_int_equal(rc, cases[i].code);
        assert_int_equal(failed, cases[i].failed);
        if (!strstr(err.message, cases[i].says))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.message, cases[i].says);
    }
    exh_predictor_free(p);
    exh_error err;
    exh_predictor *q = (exh_predictor *)&err;
    assert_int_equal(
        exh_predictor_open(test_temp_path("missing.db"), "nb201", "toy", NULL, &q, &err) < 0, 1);
    assert_null(q);
    assert_true(exh_predictor_open(fixture_store(), "nb201", "imagenet", NULL, &q, &err) < 0);
    assert_non_null(strstr(err.message, "imagenet"));
    assert_true(exh_predictor_open(fixture_store(), "nb999", "toy", NULL, &q, &err) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_matches),
        cmocka_unit_test(test_batch_matches_single),
        cmocka_unit_test(test_baselines_seeded),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
