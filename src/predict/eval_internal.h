/* eval_internal.h — what the evaluation protocol's files share (eval.c runs
 * the protocol, eval_lstm.c trains and scores the LSTMs); not public API. */
#ifndef EXHAUST_EVAL_INTERNAL_H
#define EXHAUST_EVAL_INTERNAL_H

#include <math.h>

#include "exhaust/eval.h"
#include "exhaust/gp.h"
#include "exhaust/knn_partial.h"
#include "exhaust/lstm.h"
#include "exhaust/rng.h"
#include "exhaust/targets.h"

/* One split: which models train the repository and which are tested. */
typedef struct split {
    int *repository, repository_count; /* model indices, train + validation */
    int train_count;                   /* the first train_count of repository */
    int *test, test_count;
    exh_knn_repository *knn;
} split;

/* The error table's methods, in the table's order (eval.c names them). */
enum { EVAL_METHOD_BASELINE1, EVAL_METHOD_BASELINE2, EVAL_METHOD_1NN, EVAL_METHOD_3NN,
       EVAL_METHOD_5NN, EVAL_METHOD_GP, EVAL_METHOD_5NN_PARTIAL };

/* A split of the given models (indices into d->models; the first
 * train_count of the repository are its train models) with its k-NN
 * repository comparing by `penalties` (NULL: the space's defaults); with
 * `fit`, penalties fitted on the repository instead (eval.h). */
int eval_split_build(const exh_eval_dataset *d, const int *repository, int repository_count,
                     int train_count, const int *test, int test_count,
                     const exh_penalty_table *penalties, int fit, uint64_t fit_seed, split *out,
                     exh_error *err);
void eval_split_free(split *s);

/* The edit distances between a split's repository models: count x count,
 * row i from repository model i (in the split's repository order). */
typedef struct split_distances {
    int count;
    double *pairs;
} split_distances;

int split_distances_compute(const split *s, split_distances *out, exh_error *err);
void split_distances_free(split_distances *sd);

/* What a model is scored on: its best validation value, or its degree of
 * overfitting (train minus validation, targets.h); NaN where its log has
 * no such value. */
enum { EVAL_TARGET_BEST, EVAL_TARGET_OVERFITTING };
double eval_model_target(const exh_eval_dataset *d, const exh_eval_model *m, int kind);

/* Running sums for a mean and standard deviation over repeats. */
typedef struct accumulator {
    double sum, squares;
    int count;
} accumulator;

static inline void accumulate(accumulator *a, double x)
{
    if (isnan(x))
        return;
    a->sum += x;
    a->squares += x * x;
    a->count++;
}

static inline double mean_of(const accumulator *a)
{
    return a->count ? a->sum / a->count : NAN;
}

static inline double sd_of(const accumulator *a)
{
    if (a->count < 2)
        return a->count ? 0.0 : NAN;
    double m = a->sum / a->count;
    double v = (a->squares - a->count * m * m) / (a->count - 1);
    return v > 0 ? sqrt(v) : 0.0;
}

typedef struct method_scores {
    accumulator best_error, overfit_error, tau, rho;
    accumulator lambda; /* the partial method's choice per split */
} method_scores;

/* Kendall's tau and Spearman's rho of one split's predictions, added to the
 * method's scores (n >= 3). */
void eval_score_ranks(method_scores *score, const double *predicted, const double *truth, int n);

/* The value a model reaches within `budget`: best validation value over the
 * epochs that fit; a model that cannot finish one epoch ranks last (-inf
 * for accuracies, +inf for losses). */
double eval_within_budget(const double *validation, const double *seconds, int epochs,
                          double budget, int higher);

/* The value within `budget` of models[from, to) (indices into d->models),
 * written to targets; a model that cannot finish one epoch in the budget
 * gets the worst value of the others, since a regression needs a number (0
 * when none finishes). Returns to - from. */
int eval_budget_targets(const exh_eval_dataset *d, const int *models, int from, int to,
                        double budget, double *targets);

/* The Gaussian-process row (eval_gp.c): processes on the best validation
 * value and on the degree of overfitting, fitted on the split's repository;
 * either is NULL when the repository has too few such targets. */
typedef struct eval_gp {
    exh_gp_model *best, *overfit;
} eval_gp;

int eval_gp_prepare(const exh_eval_dataset *d, const split *s, const split_distances *sd,
                    eval_gp *out, exh_error *err);
/* GP guesses of the value within `budget` for the split's test models
 * (top-3 selection): a process fitted on the repository's values within
 * the budget (eval_budget_targets). */
int eval_gp_budget_guesses(const exh_eval_dataset *d, const split *s, const split_distances *sd,
                           double budget, double *guesses, exh_error *err);
void eval_gp_free(eval_gp *c);

/* The partial-log method's view of a split (knn_partial.h): the
 * repository's partial and best values, and the lambda chosen on them by
 * leave-one-out. */
typedef struct partial_context {
    double *partial, *best, *query_distances;
    exh_knn_partial_set set;
    double lambda;
} partial_context;

/* What the methods need of one split, prepared once: the repository's
 * pairwise distances, the partial method's lambda (when `methods` includes
 * it), the GP. */
typedef struct split_methods {
    split_distances distances;
    partial_context partial;
    eval_gp gp;
    exh_knn_prediction prediction;
    double *query; /* one test model's distances to the repository */
} split_methods;

int eval_split_methods_prepare(const exh_eval_dataset *d, const split *s, int methods,
                               split_methods *x, exh_error *err);
void eval_split_methods_free(split_methods *x);

/* Model m's predicted curves by a baseline or k-NN method (not the GP or
 * the partial method, which predict values, not curves). */
int eval_predict_curve(const exh_eval_dataset *d, const split *s, int method, const exh_eval_model *m,
                       exh_rng *r, exh_knn_prediction *p, exh_error *err);

/* Model m's best value and overfitting as one method estimates them (NaN
 * where it has no estimate, e.g. every neighbour infinitely far). */
int eval_estimate(const exh_eval_dataset *d, const split *s, split_methods *x, int method,
                  const exh_eval_model *m, exh_rng *r, exh_targets_summary *guess, exh_error *err);

/* Where predictions go when the options keep them (eval.h); NULL: they
 * are not kept. eval_record appends one, or fills in the fields that are
 * not NaN of the record already kept for the same repeat, model and method
 * (the LSTM predicts the best value and overfitting in separate trainings).
 * Returns 0 or EXH_ERR_NOMEM. */
typedef struct eval_recorder {
    exh_eval_result *result;
    int repeat;
} eval_recorder;

int eval_record(const eval_recorder *rec, int model, int method, double predicted_best,
                double true_best, double predicted_overfit, double true_overfit,
                exh_error *err);

/* The LSTM rows of one split of the error table: scores[0] the LSTM;
 * with use_partial, scores[1] "LSTM+partial" and scores[2] "quadratic of
 * partial" (see eval.h); their predictions recorded (rec not NULL) as
 * methods first_method, first_method + 1, first_method + 2. */
int eval_lstm_score(const exh_eval_dataset *d, int variant, const split *s, int use_partial,
                    exh_rng *r, method_scores *scores, const eval_recorder *rec, int first_method,
                    exh_error *err);

/* Train an LSTM on rows [0, train) of archs/targets and predict the `test`
 * rows after the validation rows [train, train + validation) into
 * `predicted` (and, when validation_predicted is not NULL, the validation
 * rows there). With *chosen unset (learning_rate 0), dropout, L2 and
 * learning rate are chosen on the validation rows (lstm_grid_search) and
 * written to *chosen; otherwise the model is trained once with them,
 * stopped early on validation. The other training options come from
 * `base` (NULL: lstm_train_options_default). variant: enum exh_lstm_variant. */
int eval_lstm_fit_predict(const exh_eval_dataset *d, int variant, const exh_arch *archs,
                          const double *targets, int train, int validation, int test,
                          const exh_lstm_train_options *base, exh_rng *r,
                          exh_lstm_grid_point *chosen, double *predicted,
                          double *validation_predicted, exh_error *err);

/* LSTM guesses of the value within `budget` for the split's test models. */
int eval_lstm_budget_guesses(const exh_eval_dataset *d, int variant, const split *s, double budget,
                             exh_rng *r, double *guesses, exh_error *err);

/* Independent jobs on several threads (eval_pool.c): fn(context, job, err)
 * for job 0 .. jobs - 1, each writing only its own output; `threads` 0 means
 * one per core. Each finished job tells `progress` ("splits", base + jobs
 * done so far, total), never two at once. Returns the first failure in job
 * order (its message in err), or EXH_OK. BLAS runs single-threaded meanwhile. */
#define EVAL_MAX_THREADS 64
typedef int (*eval_job_fn)(void *context, int job, exh_error *err);
int eval_pool_run(int threads, int jobs, eval_job_fn fn, void *context,
                  const exh_progress *progress, int64_t progress_base, int64_t progress_total,
                  exh_error *err);
int eval_threads_default(void);

#endif
