/* eval_split.c — one split of the evaluation protocol (eval.h) and the
 * methods that predict its test models from its repository: baselines,
 * k-NN, the GP, k-NN with the partial log. Shared by the error table
 * (eval.c) and the training-size table (eval_sizes.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/baseline.h"
#include "exhaust/eval.h"
#include "exhaust/knn_partial.h"
#include "exhaust/targets.h"
#include "predict/eval_internal.h"

void eval_split_free(split *s)
{
    exh_knn_repository_free(s->knn);
    free(s->repository);
    free(s->test);
    memset(s, 0, sizeof *s);
}

static int add_to_repository(const exh_eval_dataset *d, exh_knn_repository *r, int model, exh_error *err)
{
    const exh_eval_model *m = &d->models[model];
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(d->space, &m->architecture, layers, EXH_ARCH_MAX_TOKENS);
    exh_knn_curve curve = {m->epochs, {m->validation, m->train, m->seconds}};
    return exh_knn_repository_add(r, m->name, layers, count, &curve, err);
}

int exh_eval_repository(const exh_eval_dataset *d, const exh_penalty_table *penalties, exh_knn_repository **out,
                        exh_error *err)
{
    exh_penalty_table defaults;
    int rc = penalties ? 0 : exh_penalties_for_space(d->space, &defaults, err);
    if (rc == 0)
        rc = exh_knn_repository_new(penalties ? penalties : &defaults, d->metric, out, err);
    for (int i = 0; rc == 0 && i < d->count; i++)
        rc = add_to_repository(d, *out, i, err);
    if (rc < 0) {
        exh_knn_repository_free(*out);
        *out = NULL;
    }
    return rc;
}

int eval_split_build(const exh_eval_dataset *d, const int *repository, int repository_count,
                     int train_count, const int *test, int test_count,
                     const exh_penalty_table *penalties, int fit, uint64_t fit_seed, split *out,
                     exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->repository_count = repository_count;
    out->train_count = train_count;
    out->test_count = test_count;
    out->repository = malloc(sizeof(int) * (size_t)(repository_count > 0 ? repository_count : 1));
    out->test = malloc(sizeof(int) * (size_t)(test_count > 0 ? test_count : 1));
    if (!out->repository || !out->test) {
        eval_split_free(out);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    memcpy(out->repository, repository, sizeof(int) * (size_t)repository_count);
    memcpy(out->test, test, sizeof(int) * (size_t)test_count);
    exh_penalty_table table;
    int rc = penalties ? 0 : exh_penalties_for_space(d->space, &table, err);
    if (rc == 0)
        rc = exh_knn_repository_new(penalties ? penalties : &table, d->metric, &out->knn, err);
    for (int i = 0; rc == 0 && i < out->repository_count; i++)
        rc = add_to_repository(d, out->knn, out->repository[i], err);
    if (rc == 0 && fit) { /* on train + validation only: the test models stay unseen */
        exh_penalties_fit_options fit_options;
        exh_penalties_fit_options_default(&fit_options);
        fit_options.seed = fit_seed; /* its own stream: the splits stay those of a plain run */
        rc = exh_penalties_fit(out->knn, &fit_options, &table, NULL, err);
        if (rc == 0)
            rc = exh_knn_repository_set_penalties(out->knn, &table, err);
    }
    if (rc < 0)
        eval_split_free(out);
    return rc;
}

static void partial_free(partial_context *c)
{
    free(c->partial);
    memset(c, 0, sizeof *c);
}

static int partial_prepare(const exh_eval_dataset *d, const split *s, const split_distances *sd,
                           partial_context *c, exh_error *err)
{
    size_t n = (size_t)s->repository_count;
    memset(c, 0, sizeof *c);
    c->partial = malloc(sizeof(double) * 3 * n);
    if (!c->partial)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    c->best = c->partial + n;
    c->query_distances = c->best + n;
    for (size_t i = 0; i < n; i++) {
        const exh_eval_model *m = &d->models[s->repository[i]];
        c->partial[i] = m->partial;
        if (exh_targets_best(m->validation, m->epochs, d->metric == EXH_KNN_ACCURACY, &c->best[i], NULL,
                             NULL) < 0)
            c->best[i] = NAN;
    }
    c->set = (exh_knn_partial_set){(int)n, c->partial, c->best};
    int rc = exh_knn_partial_choose(&c->set, sd->pairs, 5, exh_knn_partial_default_grid,
                                    EXH_KNN_PARTIAL_GRID_SIZE, &c->lambda, NULL, err);
    if (rc < 0)
        partial_free(c);
    return rc;
}

int split_distances_compute(const split *s, split_distances *out, exh_error *err)
{
    size_t n = (size_t)s->repository_count;
    out->count = (int)n;
    out->pairs = malloc(sizeof(double) * (n * n > 0 ? n * n : 1));
    if (!out->pairs)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int count;
        const exh_layer *layers = exh_knn_repository_layers(s->knn, (int)i, &count);
        rc = exh_knn_distances(s->knn, layers, count, out->pairs + i * n, err);
    }
    if (rc < 0)
        split_distances_free(out);
    return rc;
}

void split_distances_free(split_distances *sd)
{
    free(sd->pairs);
    memset(sd, 0, sizeof *sd);
}

double eval_model_target(const exh_eval_dataset *d, const exh_eval_model *m, int kind)
{
    exh_targets_summary summary;
    exh_targets_summarize(m->validation, m->train, m->seconds, m->epochs,
                          d->metric == EXH_KNN_ACCURACY, &summary);
    return kind == EVAL_TARGET_BEST ? summary.best_validation : summary.overfitting;
}

int eval_budget_targets(const exh_eval_dataset *d, const int *models, int from, int to,
                        double budget, double *targets)
{
    int higher = d->metric == EXH_KNN_ACCURACY, n = to - from;
    double worst = NAN;
    for (int i = 0; i < n; i++) {
        const exh_eval_model *m = &d->models[models[from + i]];
        targets[i] = eval_within_budget(m->validation, m->seconds, m->epochs, budget, higher);
        if (isfinite(targets[i]) && (isnan(worst) || (higher ? targets[i] < worst
                                                             : targets[i] > worst)))
            worst = targets[i];
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(targets[i]))
            targets[i] = isnan(worst) ? 0 : worst;
    return n;
}

/* The partial-log estimate of model m's best value (NaN without one). */
static int partial_estimate(const exh_eval_dataset *d, partial_context *c, const split *s,
                            const exh_eval_model *m, double *out, exh_error *err)
{
    *out = NAN;
    if (isnan(m->partial))
        return EXH_OK;
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(d->space, &m->architecture, layers, EXH_ARCH_MAX_TOKENS);
    int rc = exh_knn_distances(s->knn, layers, count, c->query_distances, err);
    if (rc == 0 && exh_knn_partial_predict(&c->set, c->query_distances, m->partial, c->lambda, 5, -1,
                                           out, NULL) < 0)
        *out = NAN;
    return rc;
}

/* The GP's estimates of model m's best value and overfitting (NaN where
 * the split has no process for them). */
static int gp_estimate(const exh_eval_dataset *d, const split *s, const eval_gp *gp,
                       const exh_eval_model *m, double *query, exh_targets_summary *guess, exh_error *err)
{
    guess->best_validation = guess->overfitting = NAN;
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(d->space, &m->architecture, layers, EXH_ARCH_MAX_TOKENS);
    int rc = exh_knn_distances(s->knn, layers, count, query, err);
    if (rc == 0 && gp->best)
        exh_gp_predict(gp->best, query, &guess->best_validation, NULL);
    if (rc == 0 && gp->overfit)
        exh_gp_predict(gp->overfit, query, &guess->overfitting, NULL);
    return rc;
}

/* Predict model m with a method; fills the prediction. K-NN with fewer
 * logged models than K (small training sizes) uses them all. */
int eval_predict_curve(const exh_eval_dataset *d, const split *s, int method, const exh_eval_model *m,
                       exh_rng *r, exh_knn_prediction *p, exh_error *err)
{
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(d->space, &m->architecture, layers, EXH_ARCH_MAX_TOKENS);
    if (method == EVAL_METHOD_BASELINE1)
        return exh_baseline_random(s->knn, r, -1, p, err);
    if (method == EVAL_METHOD_BASELINE2)
        return exh_baseline_size(s->knn, r, layers, count, -1, p, err);
    int k = method == EVAL_METHOD_1NN ? 1 : method == EVAL_METHOD_3NN ? 3 : 5;
    int logged = exh_knn_repository_count(s->knn);
    return exh_knn_predict(s->knn, layers, count, k < logged ? k : logged, p, err);
}

void eval_split_methods_free(split_methods *x)
{
    partial_free(&x->partial);
    eval_gp_free(&x->gp);
    split_distances_free(&x->distances);
    exh_knn_prediction_clear(&x->prediction);
    free(x->query);
}

int eval_split_methods_prepare(const exh_eval_dataset *d, const split *s, int methods,
                               split_methods *x, exh_error *err)
{
    memset(x, 0, sizeof *x);
    exh_knn_prediction_init(&x->prediction);
    x->query = malloc(sizeof(double) * (size_t)(s->repository_count + 1));
    int rc = x->query ? split_distances_compute(s, &x->distances, err)
                      : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc == 0 && methods > EVAL_METHOD_5NN_PARTIAL)
        rc = partial_prepare(d, s, &x->distances, &x->partial, err);
    if (rc == 0)
        rc = eval_gp_prepare(d, s, &x->distances, &x->gp, err);
    if (rc < 0)
        eval_split_methods_free(x);
    return rc;
}

/* Model m's best value and overfitting as one method estimates them (NaN
 * where it has no estimate, e.g. every neighbour infinitely far). */
int eval_estimate(const exh_eval_dataset *d, const split *s, split_methods *x, int method,
                  const exh_eval_model *m, exh_rng *r, exh_targets_summary *guess, exh_error *err)
{
    guess->best_validation = guess->overfitting = NAN;
    if (method == EVAL_METHOD_GP)
        return gp_estimate(d, s, &x->gp, m, x->query, guess, err);
    exh_knn_prediction *p = &x->prediction;
    int rc = eval_predict_curve(d, s, method, m, r, p, err);
    if (rc == EXH_ERR_NOT_FOUND)
        return EXH_OK;
    if (rc < 0)
        return rc;
    exh_targets_summarize(p->channel[EXH_KNN_VALIDATION], p->channel[EXH_KNN_TRAIN],
                          p->channel[EXH_KNN_EPOCH_SECONDS], p->epochs, d->metric == EXH_KNN_ACCURACY, guess);
    if (method == EVAL_METHOD_5NN_PARTIAL) { /* the best value only: its curve is 5-NN's */
        rc = partial_estimate(d, &x->partial, s, m, &guess->best_validation, err);
        guess->overfitting = NAN;
    }
    return rc;
}
