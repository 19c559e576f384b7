/* test_search_screen.c — screening (search.h, --screen M): M = 1 is the
 * search without it, byte for byte; with a predictor the test knows, each
 * screened job is the predicted best of the M mutations drawn; same seed,
 * same trace. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/knn.h"
#include "exhaust/search.h"
#include "testutil.h"
#include "trace_record_make.h"

/* quality = sum of tokens (ties are common: the tie rule is exercised). */
static double token_sum(const exh_arch *a)
{
    double sum = 0;
    for (int i = 0; i < a->length; i++)
        sum += a->token[i];
    return sum;
}

static int sum_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                        exh_evaluation *out, exh_error *err)
{
    (void)state;
    (void)r;
    (void)err;
    out->quality = token_sum(request->architecture);
    out->cost_seconds = 10.0 + (double)(request->job_id % 7); /* finishes out of order */
    out->status = EXH_EVALUATION_OK;
    return 0;
}

static exh_evaluator sum_evaluator = {"sum", NULL, sum_evaluate, NULL, NULL};

static exh_space *nb201; /* every test searches it */

static int open_space(void **state)
{
    (void)state;
    exh_error err;
    return exh_space_open("nb201", &nb201, &err);
}

static int close_space(void **state)
{
    (void)state;
    exh_space_free(nb201);
    return 0;
}

/* Run a simulated search into trace `name` (settings carry the screen, so
 * a screening trace has its columns). */
static void run_search(const exh_space *s, const exh_search_options *o, const char *name)
{
    exh_error err;
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    settings.screen = o->screen > 1 ? o->screen : 1;
    exh_trace_writer *trace;
    assert_int_equal(exh_trace_open(test_temp_path(name), &settings, &trace, &err), 0);
    exh_trace_set_durable(trace, 0);
    exh_search_result r;
    if (exh_search_run_simulated(s, &sum_evaluator, o, trace, &r, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(exh_trace_close(trace, &err), 0);
}

/* run_search, then its trace read back (the caller frees *records). */
static int64_t run_and_read(const exh_space *s, const exh_search_options *o, const char *name,
                            exh_trace_record **records)
{
    run_search(s, o, name);
    exh_error err;
    int64_t n = 0;
    *records = NULL;
    if (exh_trace_read(test_temp_path(name), s, 0, records, &n, &err) < 0)
        fail_msg("%s", err.message);
    return n;
}

static char *slurp(const char *name)
{
    FILE *f = fopen(test_temp_path(name), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

static void test_screen_one_is_no_screen(void **state)
{
    (void)state;
    static const struct { int workers, allow_duplicates, transfer_any; } cases[] = {
        {1, 0, 0}, {4, 0, 1}, {16, 1, 0},
    };
    const exh_space *s = nb201;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = 20;
        o.candidates = 300;
        o.workers = cases[c].workers;
        o.allow_duplicates = cases[c].allow_duplicates;
        o.transfer_from_any = cases[c].transfer_any;
        run_search(s, &o, "plain.csv");
        o.screen = 1;
        run_search(s, &o, "one.csv");
        char *plain = slurp("plain.csv"), *one = slurp("one.csv");
        assert_string_equal(plain, one);
        assert_null(strstr(one, "m:screened"));
        free(plain);
        free(one);
    }
}

/* The test's own k-NN over what it is told: logged models first, then
 * (own = 1) every job the trace shows finished before job `job` was
 * submitted. With one worker that is every earlier job. */
static exh_knn_repository *known_models(const exh_space *s, const exh_arch *logged,
                                        int logged_count, const exh_trace_record *r, int64_t job)
{
    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_default("nb201", &t, &err), 0);
    exh_knn_repository *k;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &k, &err), 0);
    for (int64_t i = 0; i < logged_count + job; i++) {
        const exh_arch *a = i < logged_count ? &logged[i] : RECORD_ARCH(&r[i - logged_count]);
        double quality = token_sum(a);
        exh_knn_curve curve = {1, {&quality, NULL, NULL}};
        exh_layer layers[EXH_ARCH_MAX_TOKENS];
        int count = exh_space_layers(s, a, layers, EXH_ARCH_MAX_TOKENS);
        assert_int_equal(exh_knn_repository_add(k, NULL, layers, count, &curve, &err), 0);
    }
    return k;
}

static double predict(const exh_knn_repository *k, const exh_space *s, const exh_arch *a,
                      int neighbours)
{
    int known = exh_knn_repository_count(k);
    if (known == 0)
        return NAN;
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    exh_error err;
    assert_int_equal(exh_knn_predict_arch(k, s, a, neighbours < known ? neighbours : known, &p,
                                          &err), 0);
    double value = p.channel[EXH_KNN_VALIDATION][0];
    exh_knn_prediction_clear(&p);
    return value;
}

/*
 * Replay a one-worker search with P = S = 1 (the parent is always the last
 * job) and duplicates allowed: job 0 is a random draw, then each job takes
 * one tournament draw and M mutations from the seeded generator. The test
 * predicts each mutation itself and checks the trace chose the first of
 * the highest predictions, and recorded M and that prediction.
 */
static void check_replay(const exh_space *s, const exh_search_options *o, const exh_arch *logged,
                         int logged_count, const exh_trace_record *r, int64_t n)
{
    exh_rng *g = exh_rng_new(o->seed);
    exh_error err;
    exh_arch parent;
    assert_int_equal(exh_space_sample(s, g, &parent, &err), 0);
    assert_true(exh_arch_equal(&parent, RECORD_ARCH(&r[0])));
    assert_int_equal(r[0].screened, 0);
    assert_true(isnan(r[0].predicted));
    for (int64_t job = 1; job < n; job++) {
        exh_knn_repository *k = known_models(s, logged, logged_count, r, job);
        (void)exh_rng_below(g, 1); /* the tournament of one */
        exh_arch best = parent;
        double best_value = NAN;
        for (int m = 0; m < o->screen; m++) {
            exh_arch child;
            int position;
            assert_int_equal(exh_space_mutate(s, g, &parent, &child, &position, NULL, &err), 0);
            double value = predict(k, s, &child, o->screen_k);
            if (m == 0 || value > best_value) {
                best = child;
                best_value = value;
            }
        }
        assert_true(exh_arch_equal(&best, RECORD_ARCH(&r[job])));
        assert_int_equal(r[job].screened, o->screen);
        assert_true(isnan(best_value) ? isnan(r[job].predicted)
                                      : fabs(r[job].predicted - best_value) <= 1e-12);
        assert_int_equal(r[job].parent_id, job - 1);
        parent = best;
        exh_knn_repository_free(k);
    }
    exh_rng_free(g);
}

static void test_screen_chooses_predicted_best(void **state)
{
    (void)state;
    /* logged: 0 = the search's own models only; else that many random
     * architectures known in advance (the screen's --logs). */
    static const struct { int screen, k, logged; } cases[] = {
        {2, 5, 0}, {8, 5, 0}, {8, 1, 40}, {20, 3, 200},
    };
    const exh_space *s = nb201;
    exh_error err;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        exh_arch *logged = malloc(sizeof *logged * (size_t)(cases[c].logged + 1));
        double *quality = malloc(sizeof *quality * (size_t)(cases[c].logged + 1));
        exh_rng *g = exh_rng_new(1000 + c);
        for (int i = 0; i < cases[c].logged; i++) {
            assert_int_equal(exh_space_sample(s, g, &logged[i], &err), 0);
            quality[i] = token_sum(&logged[i]);
        }
        exh_rng_free(g);
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = o.sample = 1;
        o.candidates = 60;
        o.allow_duplicates = 1;
        o.seed = 7 + c;
        o.screen = cases[c].screen;
        o.screen_k = cases[c].k;
        o.screen_logged_archs = logged;
        o.screen_logged_quality = quality;
        o.screen_logged_count = cases[c].logged;
        exh_trace_record *r;
        int64_t n = run_and_read(s, &o, "screened.csv", &r);
        assert_int_equal(n, o.candidates);
        check_replay(s, &o, logged, cases[c].logged, r, n);
        free(r);
        free(logged);
        free(quality);
    }
}

/* Screening is not a no-op: with a perfect predictor (every NB201 cell
 * logged with its true quality) the screened search finds the best cell,
 * all 4s, sooner than the plain one. */
static void test_screen_helps_with_a_perfect_predictor(void **state)
{
    (void)state;
    const exh_space *s = nb201;
    exh_error err;
    int64_t size = exh_space_size(s);
    exh_arch *all = malloc(sizeof *all * (size_t)size);
    double *quality = malloc(sizeof *quality * (size_t)size);
    for (int64_t i = 0; i < size; i++) {
        assert_int_equal(exh_space_enumerate(s, i, &all[i], &err), 0);
        quality[i] = token_sum(&all[i]);
    }
    int64_t first_best[2];
    for (int screened = 0; screened < 2; screened++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = 10;
        o.candidates = 40;
        o.seed = 3;
        o.screen = screened ? 10 : 1;
        o.screen_logged_archs = all;
        o.screen_logged_quality = quality;
        o.screen_logged_count = size;
        exh_trace_record *r;
        int64_t n = run_and_read(s, &o, "perfect.csv", &r);
        first_best[screened] = n;
        for (int64_t i = 0; i < n && first_best[screened] == n; i++)
            if (r[i].quality == 24.0)
                first_best[screened] = i;
        for (int64_t i = 0; screened && i < n; i++) /* exact matches: the truth */
            if (r[i].screened)
                assert_true(r[i].predicted == r[i].quality);
        free(r);
    }
    print_message("the best cell: job %lld screened, %lld plain (of 40)\n",
                  (long long)first_best[1], (long long)first_best[0]);
    assert_true(first_best[1] < first_best[0]);
    free(all);
    free(quality);
}

/* Same seed, same trace (many workers finishing out of order); another
 * seed, another; the columns read back. */
static void test_screen_same_seed_same_trace(void **state)
{
    (void)state;
    const exh_space *s = nb201;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 20;
    o.candidates = 300;
    o.workers = 8;
    o.screen = 5;
    o.seed = 11;
    exh_trace_record *r;
    int64_t n = run_and_read(s, &o, "a.csv", &r), screened = 0;
    run_search(s, &o, "b.csv");
    o.seed = 12;
    run_search(s, &o, "c.csv");
    char *a = slurp("a.csv"), *b = slurp("b.csv"), *c = slurp("c.csv");
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_non_null(strstr(a, ",m:donor_run_id,m:screened,m:predicted\n"));
    free(a);
    free(b);
    free(c);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(r[i].screened, r[i].parent_id >= 0 ? 5 : 0);
        assert_true(r[i].screened ? !isnan(r[i].predicted) : isnan(r[i].predicted));
        screened += r[i].screened > 0;
    }
    assert_true(screened > 200);
    free(r);
}

static void test_screen_bad_options(void **state)
{
    (void)state;
    static const struct { int screen, k, logged; } cases[] = {
        {-1, 0, 0}, {EXH_SEARCH_MAX_SCREEN + 1, 0, 0}, {5, -1, 0}, {5, 5, 3},
    };
    const exh_space *s = nb201;
    exh_error err;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.screen = cases[c].screen;
        o.screen_k = cases[c].k;
        o.screen_logged_count = cases[c].logged; /* without the arrays */
        exh_search_result r;
        assert_int_equal(exh_search_run_simulated(s, &sum_evaluator, &o, NULL, &r, &err),
                         EXH_ERR_INVALID);
        assert_non_null(strstr(err.message, "screen"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screen_one_is_no_screen),
        cmocka_unit_test(test_screen_chooses_predicted_best),
        cmocka_unit_test(test_screen_helps_with_a_perfect_predictor),
        cmocka_unit_test(test_screen_same_seed_same_trace),
        cmocka_unit_test(test_screen_bad_options),
    };
    return cmocka_run_group_tests(tests, open_space, close_space);
}
