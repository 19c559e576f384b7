/* targets.c — best value, overfitting, epoch time and budgeted best of a
 * curve (targets.h). */
#include "exhaust/targets.h"

#include <math.h>

static int better(double a, double b, int higher_is_better)
{
    return higher_is_better ? a > b : a < b;
}

int targets_best(const double *values, int epochs, int higher_is_better, double *best,
                 int *best_epoch, exh_error *err)
{
    int at = -1;
    for (int e = 0; e < epochs && values; e++)
        if (!isnan(values[e]) && (at < 0 || better(values[e], values[at], higher_is_better)))
            at = e;
    if (best_epoch)
        *best_epoch = at;
    if (at < 0) {
        *best = NAN;
        return error_set(err, EXH_ERR_INVALID,
                         "the curve has no value (%d epochs, all missing)", epochs);
    }
    *best = values[at];
    return EXH_OK;
}

int targets_overfitting(const double *train, int train_epochs, const double *validation,
                        int validation_epochs, int higher_is_better, double *out,
                        exh_error *err)
{
    double best_train, best_validation;
    *out = NAN;
    if (targets_best(train, train_epochs, higher_is_better, &best_train, NULL, err) < 0)
        return error_prefix(err, "overfitting: train curve");
    if (targets_best(validation, validation_epochs, higher_is_better, &best_validation, NULL,
                     err) < 0)
        return error_prefix(err, "overfitting: validation curve");
    *out = higher_is_better ? best_train - best_validation : best_validation - best_train;
    return EXH_OK;
}

int targets_mean_epoch_time(const double *seconds, int epochs, double *out, exh_error *err)
{
    double sum = 0.0;
    int present = 0;
    for (int e = 0; e < epochs && seconds; e++) {
        if (!isnan(seconds[e])) {
            sum += seconds[e];
            present++;
        }
    }
    *out = present ? sum / present : NAN;
    if (!present)
        return error_set(err, EXH_ERR_INVALID,
                         "mean epoch time: no epoch time logged (%d epochs)", epochs);
    return EXH_OK;
}

int targets_best_within_budget(const double *validation, int epochs, double epoch_seconds,
                               double budget_seconds, int higher_is_better, double *best,
                               int *epochs_fit, exh_error *err)
{
    *best = NAN;
    if (epochs_fit)
        *epochs_fit = 0;
    if (!(epoch_seconds > 0) || isinf(epoch_seconds))
        return error_set(err, EXH_ERR_INVALID,
                         "budget: epoch time %g s is not a positive number", epoch_seconds);
    if (!(budget_seconds >= 0))
        return error_set(err, EXH_ERR_INVALID, "budget: %g s is not a number >= 0",
                         budget_seconds);
    double fit = floor(budget_seconds / epoch_seconds * (1.0 + 1e-9));
    if (fit < 1)
        return error_set(err, EXH_ERR_INVALID, "budget %g s is less than one epoch (%g s)",
                         budget_seconds, epoch_seconds);
    int considered = fit < epochs ? (int)fit : epochs;
    if (epochs_fit)
        *epochs_fit = considered;
    int rc = targets_best(validation, considered, higher_is_better, best, NULL, err);
    if (rc < 0)
        error_prefix(err, "budget %g s (%d epochs)", budget_seconds, considered);
    return rc;
}

void targets_summarize(const double *validation, const double *train, const double *seconds,
                       int epochs, int higher_is_better, targets_summary *out)
{
    targets_best(validation, epochs, higher_is_better, &out->best_validation, &out->best_epoch,
                 NULL);
    targets_overfitting(train, epochs, validation, epochs, higher_is_better, &out->overfitting,
                        NULL);
    targets_mean_epoch_time(seconds, epochs, &out->mean_epoch_seconds, NULL);
}
