/* eval_lstm.c — the LSTM rows of the evaluation protocol (eval.h): the
 * LSTM on the best value, the LSTM on what the architecture adds to a
 * quadratic of the partial value, that quadratic alone, and the LSTM of
 * top-3 selection. */
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdlib.h>

#include "exhaust/lstm.h"
#include "exhaust/targets.h"
#include "predict/eval_internal.h"

/* The LSTM's rows: architectures, targets, partial values and the model
 * (index into the data set) of each row. */
typedef struct rows {
    exh_arch *archs;
    double *targets, *partials;
    int *models;
} rows;

static rows rows_at(const rows *r, int offset)
{
    return (rows){r->archs + offset, r->targets + offset, r->partials + offset,
                  r->models + offset};
}

/* Models [from, to) of `models` with the target (and, with need_partial,
 * a partial value), as LSTM rows written at `out`. */
static int lstm_rows(const exh_eval_dataset *d, const int *models, int from, int to, int kind,
                     int need_partial, rows out)
{
    exh_arch *archs = out.archs;
    double *targets = out.targets, *partials = out.partials;
    int n = 0;
    for (int i = from; i < to; i++) {
        const exh_eval_model *m = &d->models[models[i]];
        targets[n] = eval_model_target(d, m, kind);
        if ((need_partial && isnan(m->partial)) || isnan(targets[n]))
            continue;
        partials[n] = m->partial;
        out.models[n] = models[i];
        archs[n++] = m->architecture;
    }
    return n;
}

int eval_lstm_fit_predict(const exh_eval_dataset *d, int variant, const exh_arch *archs,
                          const double *targets, int train, int validation, int test,
                          const exh_lstm_train_options *base, exh_rng *r,
                          exh_lstm_grid_point *chosen, double *predicted,
                          double *validation_predicted, exh_error *err)
{
    exh_lstm_config config;
    exh_lstm_config_default(&config);
    if (variant == EXH_LSTM_VARIANT_PAPER)
        exh_lstm_config_paper(&config, exh_lstm_layer_width_for_space(d->space));
    int rc = exh_lstm_config_from_archs(&config, exh_lstm_period_for_space(d->space, &archs[0]), archs,
                                        train + validation, err);
    exh_lstm_dataset train_set = {train, archs, targets};
    exh_lstm_dataset validation_set = {validation, archs + train, targets + train};
    exh_lstm_grid grid;
    if (chosen->learning_rate > 0)
        exh_lstm_grid_single(&grid, chosen->dropout, chosen->weight_decay, chosen->learning_rate);
    else
        exh_lstm_grid_default(&grid);
    exh_lstm_train_options defaults;
    exh_lstm_train_options_default(&defaults);
    exh_lstm_model *model = NULL;
    exh_lstm_grid_result *result = malloc(sizeof *result);
    if (rc == 0 && !result)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = exh_lstm_grid_search(&config, &train_set, &validation_set, &grid,
                                  base ? base : &defaults, r, &model, result, err);
    if (rc == 0)
        *chosen = result->points[result->best];
    if (rc == 0)
        rc = exh_lstm_predict(model, archs + train + validation, test, predicted, err);
    if (rc == 0 && validation_predicted)
        rc = exh_lstm_predict(model, archs + train, validation, validation_predicted, err);
    exh_lstm_free(model);
    free(result);
    return rc;
}

static double mean_absolute_error(const double *predicted, const double *truth, int n)
{
    accumulator error = {0};
    for (int i = 0; i < n; i++)
        accumulate(&error, fabs(predicted[i] - truth[i]));
    return mean_of(&error);
}

static void score_best(method_scores *score, const double *predicted, const double *truth, int n)
{
    accumulate(&score->best_error, mean_absolute_error(predicted, truth, n));
    eval_score_ranks(score, predicted, truth, n);
}

/* Least squares best = c0 + c1 p + c2 p^2 over n rows (GSL). */
static int fit_quadratic(const double *partials, const double *targets, int n, double c[3],
                         exh_error *err)
{
    if (n < 4)
        return exh_error_set(err, EXH_ERR_INVALID, "quadratic of partial: %d models (need 4)", n);
    gsl_matrix *x = gsl_matrix_alloc((size_t)n, 3), *covariance = gsl_matrix_alloc(3, 3);
    gsl_vector *y = gsl_vector_alloc((size_t)n), *coefficients = gsl_vector_alloc(3);
    gsl_multifit_linear_workspace *work = gsl_multifit_linear_alloc((size_t)n, 3);
    int rc = x && covariance && y && coefficients && work
                 ? 0
                 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    double chi_squared;
    for (int i = 0; rc == 0 && i < n; i++) {
        gsl_matrix_set(x, (size_t)i, 0, 1.0);
        gsl_matrix_set(x, (size_t)i, 1, partials[i]);
        gsl_matrix_set(x, (size_t)i, 2, partials[i] * partials[i]);
        gsl_vector_set(y, (size_t)i, targets[i]);
    }
    if (rc == 0 && gsl_multifit_linear(x, y, coefficients, covariance, &chi_squared, work) != 0)
        rc = exh_error_set(err, EXH_ERR_INVALID, "quadratic of partial: the fit failed");
    for (int k = 0; rc == 0 && k < 3; k++)
        c[k] = gsl_vector_get(coefficients, (size_t)k);
    gsl_multifit_linear_free(work);
    gsl_vector_free(coefficients);
    gsl_vector_free(y);
    gsl_matrix_free(covariance);
    gsl_matrix_free(x);
    return rc;
}

/* The split's train, validation and test rows, one after the other. */
static void split_rows(const exh_eval_dataset *d, const split *s, int kind, int need_partial,
                       const rows *out, int counts[3])
{
    counts[0] = lstm_rows(d, s->repository, 0, s->train_count, kind, need_partial, *out);
    int at = counts[0];
    counts[1] = lstm_rows(d, s->repository, s->train_count, s->repository_count, kind,
                          need_partial, rows_at(out, at));
    at += counts[1];
    counts[2] = lstm_rows(d, s->test, 0, s->test_count, kind, need_partial, rows_at(out, at));
}

/* Record the test rows' predictions of one target (kind) by `method`. */
static int record_rows(const eval_recorder *rec, const rows *r, const int n[3], int method,
                       int kind, const double *predicted, exh_error *err)
{
    int rc = 0, first = n[0] + n[1];
    for (int t = 0; rec && rc == 0 && t < n[2]; t++) {
        double guess = predicted[t], truth = r->targets[first + t];
        rc = kind == EVAL_TARGET_BEST
                 ? eval_record(rec, r->models[first + t], method, guess, truth, NAN, NAN, err)
                 : eval_record(rec, r->models[first + t], method, NAN, NAN, guess, truth, err);
    }
    return rc;
}

/* LSTM+partial and the quadratic alone: the quadratic fitted on the train
 * models, the LSTM trained on its residuals (what the architecture adds),
 * with the hyperparameters the plain LSTM's grid search chose on this split
 * (a second grid search would double the evaluation's time). */
static int score_partial(const exh_eval_dataset *d, int variant, const rows *x, const int n[3],
                         exh_rng *r, exh_lstm_grid_point *chosen, method_scores *scores,
                         double *predicted, const eval_recorder *rec, int first_method,
                         exh_error *err)
{
    exh_arch *archs = x->archs;
    double *targets = x->targets, *partials = x->partials;
    int train = n[0], validation = n[1], test = n[2];
    double c[3], *truth = targets + train + validation;
    int rc = fit_quadratic(partials, targets, train, c, err);
    double *curve = predicted + test; /* the quadratic at every row */
    for (int i = 0; rc == 0 && i < train + validation + test; i++)
        curve[i] = c[0] + c[1] * partials[i] + c[2] * partials[i] * partials[i];
    if (rc == 0) {
        score_best(&scores[2], curve + train + validation, truth, test);
        rc = record_rows(rec, x, n, first_method + 2, EVAL_TARGET_BEST,
                         curve + train + validation, err);
    }
    double *residual = curve + train + validation + test;
    for (int i = 0; rc == 0 && i < train + validation; i++)
        residual[i] = targets[i] - curve[i];
    if (rc == 0)
        rc = eval_lstm_fit_predict(d, variant, archs, residual, train, validation, test, NULL, r,
                                   chosen, predicted, NULL, err);
    for (int i = 0; rc == 0 && i < test; i++)
        predicted[i] += curve[train + validation + i];
    if (rc == 0) {
        score_best(&scores[1], predicted, truth, test);
        rc = record_rows(rec, x, n, first_method + 1, EVAL_TARGET_BEST, predicted, err);
    }
    return rc;
}

/* The LSTM on the degree of overfitting, with the hyperparameters the
 * best-value grid search chose on this split; too few models with train
 * curves (fewer than 2 to train on, 1 to stop on, 1 to test) score nothing. */
static int score_overfitting(const exh_eval_dataset *d, int variant, const split *s, const rows *x,
                             exh_rng *r, exh_lstm_grid_point *chosen, method_scores *score,
                             double *predicted, const eval_recorder *rec, int method,
                             exh_error *err)
{
    int n[3];
    split_rows(d, s, EVAL_TARGET_OVERFITTING, 0, x, n);
    if (n[0] < 2 || n[1] < 1 || n[2] < 1)
        return EXH_OK;
    int rc = eval_lstm_fit_predict(d, variant, x->archs, x->targets, n[0], n[1], n[2], NULL, r,
                                   chosen, predicted, NULL, err);
    if (rc == 0) {
        accumulate(&score->overfit_error,
                   mean_absolute_error(predicted, x->targets + n[0] + n[1], n[2]));
        rc = record_rows(rec, x, n, method, EVAL_TARGET_OVERFITTING, predicted, err);
    }
    return rc;
}

int eval_lstm_score(const exh_eval_dataset *d, int variant, const split *s, int use_partial,
                    exh_rng *r, method_scores *scores, const eval_recorder *rec, int first_method,
                    exh_error *err)
{
    size_t total = (size_t)(s->repository_count + s->test_count);
    exh_arch *archs = malloc(sizeof *archs * total);
    double *targets = malloc(sizeof *targets * total * 5);
    int *models = malloc(sizeof *models * total);
    if (!archs || !targets || !models) {
        free(archs);
        free(targets);
        free(models);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    rows x = {archs, targets, targets + total, models};
    double *predicted = x.partials + total;
    int n[3];
    split_rows(d, s, EVAL_TARGET_BEST, 0, &x, n);
    exh_lstm_grid_point chosen = {0};
    int rc = eval_lstm_fit_predict(d, variant, archs, targets, n[0], n[1], n[2], NULL, r, &chosen,
                                   predicted, NULL, err);
    if (rc == 0) {
        score_best(&scores[0], predicted, targets + n[0] + n[1], n[2]);
        rc = record_rows(rec, &x, n, first_method, EVAL_TARGET_BEST, predicted, err);
    }
    if (rc == 0 && d->has_train)
        rc = score_overfitting(d, variant, s, &x, r, &chosen, &scores[0], predicted, rec,
                               first_method, err);
    if (rc == 0 && use_partial) {
        split_rows(d, s, EVAL_TARGET_BEST, 1, &x, n);
        rc = score_partial(d, variant, &x, n, r, &chosen, scores, predicted, rec, first_method,
                           err);
    }
    free(archs);
    free(targets);
    free(models);
    return rc;
}

/* The LSTM's rows for top-3 selection: each model's architecture and the
 * value it reaches within the budget (eval_budget_targets). */
static int budget_rows(const exh_eval_dataset *d, const int *models, int from, int to, double budget,
                       exh_arch *archs, double *targets)
{
    for (int i = from; i < to; i++)
        archs[i - from] = d->models[models[i]].architecture;
    return eval_budget_targets(d, models, from, to, budget, targets);
}

/* LSTM guesses of the value within `budget` for the split's test models:
 * trained on the train models, stopped early on the validation models,
 * with the default dropout, L2 and learning rate and at most 60 epochs (a
 * grid search per split and budget would multiply the cost by the grid). */
int eval_lstm_budget_guesses(const exh_eval_dataset *d, int variant, const split *s, double budget,
                             exh_rng *r, double *guesses, exh_error *err)
{
    int total = s->repository_count + s->test_count;
    exh_arch *archs = malloc(sizeof *archs * (size_t)total);
    double *targets = malloc(sizeof *targets * (size_t)total);
    if (!archs || !targets) {
        free(archs);
        free(targets);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    int train = budget_rows(d, s->repository, 0, s->train_count, budget, archs, targets);
    int validation = budget_rows(d, s->repository, s->train_count, s->repository_count, budget,
                                 archs + train, targets + train);
    exh_arch *test = archs + train + validation;
    for (int t = 0; t < s->test_count; t++)
        test[t] = d->models[s->test[t]].architecture;
    exh_lstm_train_options options; /* 100 trainings per evaluation: keep each short */
    exh_lstm_train_options_default(&options);
    options.max_epochs = 60;
    options.patience = 5;
    exh_lstm_grid_point defaults = {options.dropout, options.adam.weight_decay,
                                options.adam.learning_rate, 0, 0, 0};
    int rc = eval_lstm_fit_predict(d, variant, archs, targets, train, validation, s->test_count,
                                   &options, r, &defaults, guesses, NULL, err);
    free(archs);
    free(targets);
    return rc;
}
