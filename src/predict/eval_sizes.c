/* eval_sizes.c — ranking quality against the number of logged models (the
 * training-size table of eval.h): each method predicts a held-out test set
 * from the first n of the other models, for growing n. */
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/eval.h"
#include "predict/eval_internal.h"

/* The first six are the error table's methods of the same names. */
static const char *const NAMES[EXH_EVAL_SIZE_METHODS] = {"baseline1", "baseline2", "1-NN", "3-NN",
                                                     "5-NN",      "GP",        "LSTM", "ensemble"};
enum { SIZE_TABLE_METHODS = EVAL_METHOD_GP + 1, SIZE_LSTM = 6, SIZE_ENSEMBLE = 7 };
enum { ENSEMBLE_KNN, ENSEMBLE_GP, ENSEMBLE_LSTM, ENSEMBLE_MEMBERS };
#define TOP_K 10
#define WEIGHT_STEPS 10 /* the simplex grid's step is 1/10 */

void exh_eval_size_options_default(exh_eval_size_options *o)
{
    static const int sizes[] = {10, 20, 40, 73, 150, 300};
    memset(o, 0, sizeof *o);
    o->size_count = (int)(sizeof sizes / sizeof *sizes);
    memcpy(o->sizes, sizes, sizeof sizes);
    o->repeats = 10;
    o->seed = 1;
    o->use_lstm = 1;
}

/* Share of the true top k of n values found in the predicted top k. */
static double precision_at_k(const double *predicted, const double *truth, int n, int higher,
                             size_t *order_p, size_t *order_t)
{
    int k = n < TOP_K ? n : TOP_K;
    gsl_sort_index(order_p, predicted, 1, (size_t)n);
    gsl_sort_index(order_t, truth, 1, (size_t)n);
    int found = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            size_t a = higher ? order_p[n - 1 - i] : order_p[i];
            size_t b = higher ? order_t[n - 1 - j] : order_t[j];
            found += a == b;
        }
    return k ? (double)found / k : NAN;
}

/* The scores of one method at one size, over repeats. */
typedef struct size_scores {
    method_scores ranks; /* best_error (MAE), tau, rho */
    accumulator precision;
} size_scores;

typedef struct size_run {
    const exh_eval_dataset *d;
    const exh_eval_size_options *o;
    int higher, test_count;
    const int *test;
    double *truth;                          /* per test model */
    double *guess[EXH_EVAL_SIZE_METHODS];       /* per test model */
    double *held_out[ENSEMBLE_MEMBERS];     /* per held-out (validation) model */
    double *predicted, *scored_truth;       /* scratch per test model */
    size_t *order_p, *order_t;
    size_scores (*scores)[EXH_EVAL_MAX_SIZES];  /* [method][size] */
    accumulator weights[ENSEMBLE_MEMBERS][EXH_EVAL_MAX_SIZES];
    exh_rng *r, *lstm_stream;
} size_run;

/* Best-value guesses for `s`'s test models by the table methods < count
 * (methods[i] into guesses[i]); NaN where a method has none. */
static int table_guesses(const size_run *x, const split *s, const int *methods, int count,
                         double *const *guesses, exh_error *err)
{
    split_methods prepared;
    int rc = eval_split_methods_prepare(x->d, s, SIZE_TABLE_METHODS, &prepared, err);
    if (rc < 0)
        return rc;
    for (int i = 0; rc == 0 && i < count; i++)
        for (int t = 0; rc == 0 && t < s->test_count; t++) {
            exh_targets_summary guess;
            rc = eval_estimate(x->d, s, &prepared, methods[i], &x->d->models[s->test[t]], x->r,
                               &guess, err);
            guesses[i][t] = guess.best_validation;
        }
    eval_split_methods_free(&prepared);
    return rc;
}

/* The LSTM on the first `train` of `models`, stopped early on the next
 * `validation`: its guesses for the test models and for those held out. */
static int lstm_guesses(size_run *x, const int *models, int train, int validation,
                        exh_error *err)
{
    int total = train + validation + x->test_count;
    exh_arch *archs = malloc(sizeof *archs * (size_t)total);
    double *targets = malloc(sizeof *targets * (size_t)total);
    int rc = archs && targets ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < total; i++) {
        int model = i < train + validation ? models[i] : x->test[i - train - validation];
        archs[i] = x->d->models[model].architecture;
        targets[i] = eval_model_target(x->d, &x->d->models[model], EVAL_TARGET_BEST);
    }
    exh_lstm_train_options options; /* one training per size and repeat: keep it short */
    exh_lstm_train_options_default(&options);
    options.max_epochs = 60;
    options.patience = 5;
    exh_lstm_grid_point defaults = {options.dropout, options.adam.weight_decay,
                                options.adam.learning_rate, 0, 0, 0};
    if (rc == 0)
        rc = eval_lstm_fit_predict(x->d, x->o->lstm_variant, archs, targets, train, validation,
                                   x->test_count, &options, x->lstm_stream, &defaults,
                                   x->guess[SIZE_LSTM], x->held_out[ENSEMBLE_LSTM], err);
    free(archs);
    free(targets);
    return rc;
}

static double weighted(const double *w, double *const *members, int i, int count)
{
    double sum = 0;
    for (int m = 0; m < count; m++)
        sum += w[m] * members[m][i];
    return sum;
}

/* The simplex weights (steps of 1/WEIGHT_STEPS) with the smallest absolute
 * error on the held-out models; the first found on ties. */
static void choose_weights(double *const *held_out, const double *truth, int n, int members,
                           double *best)
{
    double best_error = INFINITY;
    for (int a = 0; a <= WEIGHT_STEPS; a++)
        for (int b = 0; a + b <= WEIGHT_STEPS; b++) {
            int c = WEIGHT_STEPS - a - b;
            if (members < 3 && c > 0)
                continue;
            double w[3] = {(double)a / WEIGHT_STEPS, (double)b / WEIGHT_STEPS,
                           (double)c / WEIGHT_STEPS};
            double error = 0;
            for (int i = 0; i < n; i++)
                error += fabs(weighted(w, held_out, i, members) - truth[i]);
            if (error < best_error) {
                best_error = error;
                memcpy(best, w, sizeof w);
            }
        }
}

/* The ensemble: 5-NN and the GP fitted on the first `train` models predict
 * the held-out ones; with the LSTM's guesses for them, the weights. */
static int ensemble_guesses(size_run *x, const int *models, int train, int validation, int size,
                            exh_error *err)
{
    split part;
    int rc = eval_split_build(x->d, models, train, train, models + train, validation,
                              x->o->penalties, 0, 0, &part, err);
    if (rc < 0)
        return rc;
    const int methods[2] = {EVAL_METHOD_5NN, EVAL_METHOD_GP};
    rc = table_guesses(x, &part, methods, 2, x->held_out, err);
    eval_split_free(&part);
    double *truth = malloc(sizeof *truth * (size_t)(validation > 0 ? validation : 1));
    if (rc == 0 && !truth)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int members = x->o->use_lstm ? 3 : 2;
    double w[3] = {0.5, 0.5, 0};
    if (rc == 0) {
        for (int i = 0; i < validation; i++)
            truth[i] = eval_model_target(x->d, &x->d->models[models[train + i]], EVAL_TARGET_BEST);
        choose_weights(x->held_out, truth, validation, members, w);
        double *test_members[3] = {x->guess[EVAL_METHOD_5NN], x->guess[EVAL_METHOD_GP],
                                   x->guess[SIZE_LSTM]};
        for (int t = 0; t < x->test_count; t++)
            x->guess[SIZE_ENSEMBLE][t] = weighted(w, test_members, t, members);
        for (int m = 0; m < ENSEMBLE_MEMBERS; m++)
            accumulate(&x->weights[m][size], w[m]);
    }
    free(truth);
    return rc;
}

static void score(size_run *x, int method, int size)
{
    size_scores *s = &x->scores[method][size];
    double *guess = x->guess[method];
    double *predicted = x->predicted, *truth = x->scored_truth;
    int n = 0;
    accumulator error = {0};
    for (int t = 0; t < x->test_count; t++)
        if (!isnan(guess[t])) {
            predicted[n] = guess[t];
            truth[n++] = x->truth[t];
            accumulate(&error, fabs(guess[t] - x->truth[t]));
        }
    accumulate(&s->ranks.best_error, mean_of(&error));
    eval_score_ranks(&s->ranks, predicted, truth, n);
    if (n >= TOP_K)
        accumulate(&s->precision, precision_at_k(predicted, truth, n, x->higher, x->order_p,
                                                 x->order_t));
}

/* One training size of one repeat: every method on the first n models. */
static int run_size(size_run *x, const int *models, int n, int size, exh_error *err)
{
    int validation = n / 4, train = n - validation;
    split full;
    int rc = eval_split_build(x->d, models, n, train, x->test, x->test_count, x->o->penalties, 0,
                              0, &full, err);
    if (rc < 0)
        return rc;
    const int methods[SIZE_TABLE_METHODS] = {0, 1, 2, 3, 4, 5};
    rc = table_guesses(x, &full, methods, SIZE_TABLE_METHODS, x->guess, err);
    eval_split_free(&full);
    for (int t = 0; t < x->test_count; t++)
        x->guess[SIZE_LSTM][t] = x->guess[SIZE_ENSEMBLE][t] = NAN;
    if (rc == 0 && x->o->use_lstm && validation > 0)
        rc = lstm_guesses(x, models, train, validation, err);
    if (rc == 0 && validation > 0)
        rc = ensemble_guesses(x, models, train, validation, size, err);
    for (int m = 0; rc == 0 && m < EXH_EVAL_SIZE_METHODS; m++)
        score(x, m, size);
    return rc;
}

/* The models with a best value, shuffled: the test set is their last T. */
static int *shuffled_models(const exh_eval_dataset *d, exh_rng *r, int *count)
{
    int *models = malloc(sizeof *models * (size_t)(d->count > 0 ? d->count : 1));
    if (!models)
        return NULL;
    *count = 0;
    for (int i = 0; i < d->count; i++)
        if (!isnan(eval_model_target(d, &d->models[i], EVAL_TARGET_BEST)))
            models[(*count)++] = i;
    exh_rng_sample(r, models, *count, *count);
    return models;
}

static int size_run_alloc(size_run *x, int pool, exh_error *err)
{
    size_t t = (size_t)x->test_count + 1, v = (size_t)pool / 4 + 1;
    x->truth = malloc(sizeof(double) * (t * (EXH_EVAL_SIZE_METHODS + 3) + v * ENSEMBLE_MEMBERS));
    x->order_p = malloc(sizeof(size_t) * t * 2);
    x->scores = calloc(EXH_EVAL_SIZE_METHODS, sizeof *x->scores);
    if (!x->truth || !x->order_p || !x->scores)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    x->order_t = x->order_p + t;
    double *next = x->truth + t;
    for (int m = 0; m < EXH_EVAL_SIZE_METHODS; m++, next += t)
        x->guess[m] = next;
    x->predicted = next;
    x->scored_truth = next + t;
    next += 2 * t;
    for (int m = 0; m < ENSEMBLE_MEMBERS; m++, next += v)
        x->held_out[m] = next;
    return EXH_OK;
}

static void size_run_free(size_run *x)
{
    free(x->truth);
    free(x->order_p);
    free(x->scores);
    exh_rng_free(x->r);
    exh_rng_free(x->lstm_stream);
}

static void collect(const size_run *x, const exh_eval_size_options *o, exh_eval_size_result *out)
{
    for (int m = 0; m < EXH_EVAL_SIZE_METHODS; m++) {
        snprintf(out->names[m], sizeof out->names[m], "%s", NAMES[m]);
        for (int z = 0; z < o->size_count; z++) {
            const size_scores *s = &x->scores[m][z];
            out->tau[m][z] = mean_of(&s->ranks.tau);
            out->spearman[m][z] = mean_of(&s->ranks.rho);
            out->precision10[m][z] = mean_of(&s->precision);
            out->mae[m][z] = mean_of(&s->ranks.best_error);
        }
    }
    for (int k = 0; k < ENSEMBLE_MEMBERS; k++)
        for (int z = 0; z < o->size_count; z++)
            out->ensemble_weights[k][z] = mean_of(&x->weights[k][z]);
}

int exh_eval_train_sizes(const exh_eval_dataset *d, const exh_eval_size_options *o, exh_eval_size_result *out,
                         exh_error *err)
{
    memset(out, 0, sizeof *out);
    if (o->size_count < 1 || o->size_count > EXH_EVAL_MAX_SIZES || o->repeats < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "training sizes: 1 to %d sizes and 1 or more "
                                               "repeats", EXH_EVAL_MAX_SIZES);
    for (int z = 0; z < o->size_count; z++)
        if (o->sizes[z] < 2 || (z > 0 && o->sizes[z] <= o->sizes[z - 1]))
            return exh_error_set(err, EXH_ERR_INVALID, "training sizes must increase from 2 or more");
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_run x = {.d = d, .o = o, .higher = d->metric == EXH_KNN_ACCURACY};
    x.r = exh_rng_new(o->seed);
    x.lstm_stream = exh_rng_new(o->seed * 7919u + 17u);
    int count = 0, *models = x.r ? shuffled_models(d, x.r, &count) : NULL;
    int rc = models && x.lstm_stream ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int limit = o->test_models > 0 ? o->test_models : count / 4 < 200 ? count / 4 : 200;
    x.test_count = limit < count ? limit : count;
    int pool = count - x.test_count;
    if (rc == 0 && x.test_count < 3) /* rank correlations need 3 */
        rc = exh_error_set(err, EXH_ERR_INVALID, "training sizes: %d models with a best value "
                                             "leave too few to test", count);
    if (rc == 0)
        rc = size_run_alloc(&x, pool, err);
    for (int repeat = 0; rc == 0 && repeat < o->repeats; repeat++) {
        if (repeat > 0)
            exh_rng_sample(x.r, models, count, count);
        x.test = models + pool;
        for (int t = 0; t < x.test_count; t++)
            x.truth[t] = eval_model_target(d, &d->models[x.test[t]], EVAL_TARGET_BEST);
        for (int z = 0; rc == 0 && z < o->size_count && o->sizes[z] <= pool; z++)
            rc = run_size(&x, models, o->sizes[z], z, err);
        exh_progress_report(&o->progress, "repeats", repeat + 1, o->repeats);
    }
    if (rc == 0) {
        out->size_count = o->size_count;
        out->method_count = EXH_EVAL_SIZE_METHODS;
        out->lstm_used = o->use_lstm;
        out->test_models = x.test_count;
        out->repeats = o->repeats;
        for (int z = 0; z < o->size_count; z++) {
            out->sizes[z] = o->sizes[z];
            out->available[z] = o->sizes[z] <= pool;
        }
        collect(&x, o, out);
    }
    free(models);
    size_run_free(&x);
    clock_gettime(CLOCK_MONOTONIC, &end);
    out->seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    return rc;
}
