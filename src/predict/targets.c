/* targets.c — best value, overfitting, epoch time and budgeted best of a
 * curve (targets.h). */
#include "exhaust/targets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int targets_parse(const char *text, targets_spec *out, exh_error *err)
{
    out->budget_seconds = NAN;
    if (strcmp(text, "best") == 0)
        out->kind = TARGETS_BEST;
    else if (strcmp(text, "overfit") == 0)
        out->kind = TARGETS_OVERFITTING;
    else if (strcmp(text, "epoch-time") == 0)
        out->kind = TARGETS_EPOCH_TIME;
    else if (strncmp(text, "budget=", 7) == 0) {
        char *end;
        out->kind = TARGETS_BUDGET;
        out->budget_seconds = strtod(text + 7, &end);
        if (*end || end == text + 7 || !(out->budget_seconds > 0))
            return error_set(err, EXH_ERR_INVALID,
                             "target '%s': budget=SECONDS needs a number of seconds > 0", text);
    } else
        return error_set(err, EXH_ERR_INVALID,
                         "unknown target '%s' (best, overfit, epoch-time, budget=SECONDS)", text);
    return EXH_OK;
}

void targets_format(const targets_spec *spec, char *out, size_t size)
{
    switch (spec->kind) {
    case TARGETS_BEST: snprintf(out, size, "best"); break;
    case TARGETS_OVERFITTING: snprintf(out, size, "overfit"); break;
    case TARGETS_EPOCH_TIME: snprintf(out, size, "epoch-time"); break;
    case TARGETS_BUDGET: snprintf(out, size, "budget=%.17g", spec->budget_seconds); break;
    }
}

int targets_lower_is_better(const targets_spec *spec, int higher_is_better)
{
    return spec->kind == TARGETS_OVERFITTING || spec->kind == TARGETS_EPOCH_TIME ||
           !higher_is_better;
}

int targets_compute(const targets_spec *spec, const double *validation, const double *train,
                    const double *seconds, int epochs, int higher_is_better, double *out,
                    exh_error *err)
{
    double per_epoch;
    switch (spec->kind) {
    case TARGETS_BEST: return targets_best(validation, epochs, higher_is_better, out, NULL, err);
    case TARGETS_OVERFITTING:
        return targets_overfitting(train, epochs, validation, epochs, higher_is_better, out, err);
    case TARGETS_EPOCH_TIME: return targets_mean_epoch_time(seconds, epochs, out, err);
    case TARGETS_BUDGET:
        *out = NAN;
        if (targets_mean_epoch_time(seconds, epochs, &per_epoch, err) < 0)
            return error_prefix(err, "a budget needs epoch times (log each epoch's wall "
                                     "seconds: column epoch_seconds in exhaust's CSV and JSONL, "
                                     "epoch_seconds or time in a Keras CSV)");
        return targets_best_within_budget(validation, epochs, per_epoch, spec->budget_seconds,
                                          higher_is_better, out, NULL, err);
    }
    return error_set(err, EXH_ERR_INVALID, "unknown target kind %d", (int)spec->kind);
}
