/* test_baseline.c — the random and closest-size baselines: determinism for a
 * seed, leaving a model out, the closest-size rule, bad input; and, on the
 * real NAS-Bench-201 table, k-NN against both baselines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/baseline.h"
#include "exhaust/ingest.h"
#include "exhaust/store.h"
#include "exhaust/targets.h"
#include "util/csv.h"
#include "util/file.h"
#include "testutil.h"

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
    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_default(kind, &t, &err), 0);
    exh_knn_repository *r;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &r, &err), 0);
    return r;
}

/* Cells with validation curve {index}: the prediction names its model. */
static exh_knn_repository *cells(const char *const *digits, int n)
{
    exh_knn_repository *r = new_repository("nb201");
    for (int i = 0; i < n; i++) {
        exh_layer cell[6];
        nb201_cell(digits[i], cell);
        double value = i;
        exh_knn_curve curve = {.epochs = 1, .channel = {&value}};
        exh_error err;
        assert_int_equal(exh_knn_repository_add(r, digits[i], cell, 6, &curve, &err), 0);
    }
    return r;
}

static void test_model_size(void **state)
{
    (void)state;
    exh_layer cell[6];
    nb201_cell("301040", cell);
    assert_int_equal(exh_baseline_model_size(EXH_PENALTY_NB201, cell, 6), 3);
    assert_int_equal(exh_baseline_model_size(EXH_PENALTY_CONVCHAIN, cell, 6), 6);
    assert_int_equal(exh_baseline_model_size(EXH_PENALTY_GRAPH, cell, 0), 0);
}

static void test_random_is_seeded_and_uniform(void **state)
{
    (void)state;
    const char *const digits[4] = {"111111", "222222", "333333", "444444"};
    exh_knn_repository *r = cells(digits, 4);
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_error err;
    int first[50], counts[4] = {0};
    exh_rng *g = exh_rng_new(3);
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(exh_baseline_random(r, g, -1, &p, &err), 0);
        assert_int_equal(p.neighbour_count, 1);
        assert_true(p.neighbours[0].weight == 1.0 && isnan(p.neighbours[0].distance));
        int index = p.neighbours[0].index;
        assert_true(p.channel[EXH_KNN_VALIDATION][0] == index); /* its curve as is */
        if (i < 50)
            first[i] = index;
        counts[index]++;
    }
    for (int m = 0; m < 4; m++)
        assert_true(counts[m] > 400); /* 500 expected each */
    exh_rng_seed(g, 3);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(exh_baseline_random(r, g, -1, &p, &err), 0);
        assert_int_equal(p.neighbours[0].index, first[i]);
    }
    /* leaving a model out */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(exh_baseline_random(r, g, 2, &p, &err), 0);
        assert_int_not_equal(p.neighbours[0].index, 2);
    }
    exh_rng_free(g);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_size_picks_among_closest(void **state)
{
    (void)state;
    /* sizes: 6, 2, 3, 3, 5 */
    const char *const digits[5] = {"123412", "100001", "010203", "404400", "012341"};
    exh_knn_repository *r = cells(digits, 5);
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_error err;
    exh_rng *g = exh_rng_new(9);
    exh_layer query[6];
    nb201_cell("110010", query); /* size 3: models 2 and 3 */
    int seen[5] = {0};
    for (int i = 0; i < 400; i++) {
        assert_int_equal(exh_baseline_size(r, g, query, 6, -1, &p, &err), 0);
        seen[p.neighbours[0].index]++;
    }
    assert_true(seen[2] > 100 && seen[3] > 100 && seen[2] + seen[3] == 400);
    /* leaving model 2 out leaves model 3 */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(exh_baseline_size(r, g, query, 6, 2, &p, &err), 0);
        assert_int_equal(p.neighbours[0].index, 3);
    }
    nb201_cell("440000", query); /* size 2: model 1 only */
    assert_int_equal(exh_baseline_size(r, g, query, 6, -1, &p, &err), 0);
    assert_int_equal(p.neighbours[0].index, 1);
    nb201_cell("000000", query); /* size 0: closest is 2 */
    assert_int_equal(exh_baseline_size(r, g, query, 6, -1, &p, &err), 0);
    assert_int_equal(p.neighbours[0].index, 1);
    nb201_cell("444444", query); /* size 6 */
    assert_int_equal(exh_baseline_size(r, g, query, 6, -1, &p, &err), 0);
    assert_int_equal(p.neighbours[0].index, 0);
    /* the same seed, the same draws */
    int draws[30];
    exh_rng_seed(g, 77);
    nb201_cell("110010", query);
    for (int i = 0; i < 30; i++) {
        exh_baseline_size(r, g, query, 6, -1, &p, &err);
        draws[i] = p.neighbours[0].index;
    }
    exh_rng_seed(g, 77);
    for (int i = 0; i < 30; i++) {
        exh_baseline_size(r, g, query, 6, -1, &p, &err);
        assert_int_equal(p.neighbours[0].index, draws[i]);
    }
    exh_rng_free(g);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

static void test_nothing_to_draw(void **state)
{
    (void)state;
    exh_knn_repository *r = new_repository("nb201");
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_error err;
    exh_rng *g = exh_rng_new(1);
    exh_layer query[6];
    nb201_cell("123401", query);
    assert_int_equal(exh_baseline_random(r, g, -1, &p, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "no logged model"));
    assert_int_equal(exh_baseline_size(r, g, query, 6, -1, &p, &err), EXH_ERR_INVALID);
    exh_knn_repository_free(r);
    const char *const one[1] = {"123401"};
    r = cells(one, 1);
    assert_int_equal(exh_baseline_random(r, g, 0, &p, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_baseline_size(r, g, query, 6, 0, &p, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_baseline_random(r, g, 5, &p, &err), 0); /* out of range: nothing left out */
    exh_rng_free(g);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
}

/* ---- real data: NAS-Bench-201, CIFAR-10 validation accuracy ---------------
 * 1000 random cells with their seed-777 accuracy form the repository; 1000
 * other cells are predicted and scored against their seed-888 accuracy (a
 * different training run, as a new model would be). */

typedef struct nb201_row {
    char digits[7];
    double seed777, seed888;
} nb201_row;

static const char *const OPERATION_NAMES[5] = {"none", "skip_connect", "nor_conv_1x1",
                                               "nor_conv_3x3", "avg_pool_3x3"};

static int digits_of(const char *text, char *digits)
{
    int n = 0;
    for (const char *p = text; *p && n < 6;) {
        const char *bar = strchr(p, '|'), *tilde = strchr(p, '~');
        if (!bar || !tilde)
            break;
        p = bar + 1;
        tilde = strchr(p, '~');
        if (!tilde || p[0] == '+')
            continue;
        for (int op = 0; op < 5; op++)
            if ((size_t)(tilde - p) == strlen(OPERATION_NAMES[op]) &&
                strncmp(p, OPERATION_NAMES[op], (size_t)(tilde - p)) == 0)
                digits[n++] = (char)('0' + op);
    }
    digits[n] = '\0';
    return n == 6;
}

static nb201_row *read_table(const char *dir, int *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/nb201/archs.csv", dir);
    char *text;
    size_t size;
    exh_error err;
    if (file_read_all(path, &text, &size, &err) < 0)
        fail_msg("%s", err.message);
    nb201_row *rows = calloc(16000, sizeof *rows);
    csv_reader reader;
    csv_open(&reader, text, size);
    assert_int_equal(csv_next(&reader, &err), 1);
    int c_arch = csv_column(&reader, "arch_str");
    int c777 = csv_column(&reader, "c10valid_val200_s777");
    int c888 = csv_column(&reader, "c10valid_val200_s888");
    assert_true(c_arch >= 0 && c777 >= 0 && c888 >= 0);
    int n = 0;
    while (n < 16000 && csv_next(&reader, &err) > 0) {
        if (!digits_of(reader.fields[c_arch], rows[n].digits) ||
            csv_parse_double(reader.fields[c777], &rows[n].seed777) < 0 ||
            csv_parse_double(reader.fields[c888], &rows[n].seed888) < 0)
            fail_msg("%s:%ld: unexpected row", path, reader.line);
        n++;
    }
    csv_close(&reader);
    free(text);
    *count = n;
    return rows;
}

static void test_knn_beats_baselines_on_nb201(void **state)
{
    (void)state;
    const char *dir = test_data_dir();
    if (!dir) {
        printf("SKIP: real data not found (EXHAUST_DATA); k-NN vs baselines on NB201 skipped\n");
        skip();
    }
    int n;
    nb201_row *rows = read_table(dir, &n);
    assert_int_equal(n, 15625);
    exh_rng *g = exh_rng_new(2024);
    int *order = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 0; i < 2000; i++) {
        int j = i + (int)exh_rng_below(g, (uint32_t)(n - i)), swap = order[i];
        order[i] = order[j];
        order[j] = swap;
    }
    exh_knn_repository *r = new_repository("nb201");
    exh_error err;
    for (int i = 0; i < 1000; i++) {
        exh_layer cell[6];
        nb201_cell(rows[order[i]].digits, cell);
        exh_knn_curve curve = {.epochs = 1, .channel = {&rows[order[i]].seed777}};
        assert_int_equal(exh_knn_repository_add(r, NULL, cell, 6, &curve, &err), 0);
    }
    double knn_error = 0, random_error = 0, size_error = 0;
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    for (int i = 1000; i < 2000; i++) {
        exh_layer cell[6];
        nb201_cell(rows[order[i]].digits, cell);
        double truth = rows[order[i]].seed888;
        assert_int_equal(exh_knn_predict(r, cell, 6, EXH_KNN_DEFAULT_K, &p, &err), 0);
        knn_error += fabs(p.channel[EXH_KNN_VALIDATION][0] - truth);
        assert_int_equal(exh_baseline_random(r, g, -1, &p, &err), 0);
        random_error += fabs(p.channel[EXH_KNN_VALIDATION][0] - truth);
        assert_int_equal(exh_baseline_size(r, g, cell, 6, -1, &p, &err), 0);
        size_error += fabs(p.channel[EXH_KNN_VALIDATION][0] - truth);
    }
    printf("NB201 cifar10-valid, 1000 cells predicted from 1000: mean absolute error "
           "k-NN (K=%d) %.2f, closest-size baseline %.2f, random baseline %.2f points\n",
           EXH_KNN_DEFAULT_K, knn_error / 1000, size_error / 1000, random_error / 1000);
    assert_true(knn_error < size_error && size_error < random_error);
    assert_true(knn_error < 0.5 * random_error);
    exh_knn_prediction_clear(&p);
    exh_knn_repository_free(r);
    free(order);
    free(rows);
    exh_rng_free(g);
}

/* ---- real data: NAS-Bench-NLP through the whole pipeline --------------------
 * runs.csv and epochs.csv ingested into a store, the runs read back into a
 * graph-space repository of loss curves, each model's best validation loss
 * predicted from the others (leave-one-out), against both baselines. */

typedef struct loading {
    exh_knn_repository *repository;
    const exh_space *space;
    int refused;
} loading;

static int add_logged_run(const exh_run *logged, void *context)
{
    loading *l = context;
    exh_error err;
    if (exh_knn_repository_add_run(l->repository, l->space, logged, &err) < 0)
        l->refused++;
    return 0;
}

static double best_loss(const exh_knn_prediction *p)
{
    double best = NAN;
    exh_targets_best(p->channel[EXH_KNN_VALIDATION], p->epochs, 0, &best, NULL, NULL);
    return best;
}

static void test_knn_beats_baselines_on_nlp(void **state)
{
    (void)state;
    const char *dir = test_data_dir();
    if (!dir) {
        printf("SKIP: real data not found (EXHAUST_DATA); k-NN vs baselines on NLP skipped\n");
        skip();
    }
    char runs[1024];
    snprintf(runs, sizeof runs, "%s/nas-bench-nlp/runs.csv", dir);
    exh_store *db;
    exh_error err;
    assert_int_equal(exh_store_open(test_temp_path("nlp.db"), &db, &err), 0);
    const char *paths[1] = {runs};
    exh_ingest_options options = {.format = EXH_INGEST_NLP};
    exh_ingest_stats stats;
    if (exh_ingest_paths(db, paths, 1, &options, &stats, &err) < 0)
        fail_msg("%s", err.message);
    exh_space *graph;
    exh_penalty_table t;
    assert_int_equal(exh_space_open("graph", &graph, &err), 0);
    assert_int_equal(exh_penalties_for_space(graph, &t, &err), 0);
    loading l = {.space = graph};
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_LOSS, &l.repository, &err), 0);
    exh_run_filter filter = {.space = "graph", .status = EXH_RUN_STATUS_OK, .with_epochs = 1};
    assert_int_equal(exh_store_each_run(db, &filter, add_logged_run, &l, &err), 0);
    int n = exh_knn_repository_count(l.repository);
    assert_true(n > 300 && l.refused == 0);

    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_rng *g = exh_rng_new(5);
    double knn_error = 0, random_error = 0, size_error = 0;
    int scored = 0;
    for (int i = 0; i < n; i++) {
        exh_knn_curve logged = exh_knn_repository_curve(l.repository, i);
        double truth;
        if (exh_targets_best(logged.channel[EXH_KNN_VALIDATION], logged.epochs, 0, &truth, NULL, NULL) < 0)
            continue;
        int count;
        const exh_layer *layers = exh_knn_repository_layers(l.repository, i, &count);
        assert_int_equal(exh_knn_predict_leave_out(l.repository, i, EXH_KNN_DEFAULT_K, &p, &err), 0);
        double knn = best_loss(&p);
        assert_int_equal(exh_baseline_random(l.repository, g, i, &p, &err), 0);
        double random = best_loss(&p);
        assert_int_equal(exh_baseline_size(l.repository, g, layers, count, i, &p, &err), 0);
        double size = best_loss(&p);
        if (isnan(knn) || isnan(random) || isnan(size))
            continue;
        knn_error += fabs(knn - truth);
        random_error += fabs(random - truth);
        size_error += fabs(size - truth);
        scored++;
    }
    printf("NAS-Bench-NLP, %d ok runs, leave-one-out: mean absolute error of the best validation "
           "loss: k-NN (K=%d) %.3f, closest-size baseline %.3f, random baseline %.3f\n",
           scored, EXH_KNN_DEFAULT_K, knn_error / scored, size_error / scored, random_error / scored);
    assert_true(scored > 300);
    assert_true(knn_error < random_error);
    exh_knn_prediction_clear(&p);
    exh_rng_free(g);
    exh_knn_repository_free(l.repository);
    exh_space_free(graph);
    exh_store_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_size),
        cmocka_unit_test(test_random_is_seeded_and_uniform),
        cmocka_unit_test(test_size_picks_among_closest),
        cmocka_unit_test(test_nothing_to_draw),
        cmocka_unit_test(test_knn_beats_baselines_on_nb201),
        cmocka_unit_test(test_knn_beats_baselines_on_nlp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
