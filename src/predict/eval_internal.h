/* eval_internal.h — what the evaluation protocol's files share (eval.c runs
 * the protocol, eval_lstm.c trains and scores the LSTMs); not public API. */
#ifndef EXHAUST_EVAL_INTERNAL_H
#define EXHAUST_EVAL_INTERNAL_H

#include <math.h>

#include "exhaust/eval.h"
#include "exhaust/rng.h"

/* One split: which models train the repository and which are tested. */
typedef struct split {
    int *repository, repository_count; /* model indices, train + validation */
    int train_count;                   /* the first train_count of repository */
    int *test, test_count;
    knn_repository *knn;
} split;

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

/* The LSTM rows of one split of the error table: scores[0] the LSTM;
 * with use_partial, scores[1] "LSTM+partial" and scores[2] "quadratic of
 * partial" (see eval.h). */
int eval_lstm_score(const eval_dataset *d, const split *s, int use_partial, rng *r,
                    method_scores *scores, exh_error *err);

/* LSTM guesses of the value within `budget` for the split's test models. */
int eval_lstm_budget_guesses(const eval_dataset *d, const split *s, double budget, rng *r,
                             double *guesses, exh_error *err);

#endif
