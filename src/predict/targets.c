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

int exh_targets_best(const double *values, int epochs, int higher_is_better, double *best,
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
        return exh_error_set(err, EXH_ERR_INVALID,
                             "the curve has no value (%d epochs, all missing)", epochs);
    }
    *best = values[at];
    return EXH_OK;
}

int exh_targets_overfitting(const double *train, int train_epochs, const double *validation,
                            int validation_epochs, int higher_is_better, double *out,
                            exh_error *err)
{
    double best_train, best_validation;
    *out = NAN;
    if (exh_targets_best(train, train_epochs, higher_is_better, &best_train, NULL, err) < 0)
        return exh_error_prefix(err, "overfitting: train curve");
    if (exh_targets_best(validation, validation_epochs, higher_is_better, &best_validation, NULL,
                         err) < 0)
        return exh_error_prefix(err, "overfitting: validation curve");
    *out = higher_is_better ? best_train - best_validation : best_validation - best_train;
    return EXH_OK;
}

int exh_targets_mean_epoch_time(const double *seconds, int epochs, double *out, exh_error *err)
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
        return exh_error_set(err, EXH_ERR_INVALID,
                             "mean epoch time: no epoch time logged (%d epochs)", epochs);
    return EXH_OK;
}

int exh_targets_best_within_budget(const double *validation, int epochs, double epoch_seconds,
                                   double budget_seconds, int higher_is_better, double *best,
                                   int *epochs_fit, exh_error *err)
{
    *best = NAN;
    if (epochs_fit)
        *epochs_fit = 0;
    if (!(epoch_seconds > 0) || isinf(epoch_seconds))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "budget: epoch time %g s is not a positive number", epoch_seconds);
    if (!(budget_seconds >= 0))
        return exh_error_set(err, EXH_ERR_INVALID, "budget: %g s is not a number >= 0",
                             budget_seconds);
    double fit = floor(budget_seconds / epoch_seconds * (1.0 + 1e-9));
    if (fit < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "budget %g s is less than one epoch (%g s)",
                             budget_seconds, epoch_seconds);
    int considered = fit < epochs ? (int)fit : epochs;
    if (epochs_fit)
        *epochs_fit = considered;
    int rc = exh_targets_best(validation, considered, higher_is_better, best, NULL, err);
    if (rc < 0)
        exh_error_prefix(err, "budget %g s (%d epochs)", budget_seconds, considered);
    return rc;
}

void exh_targets_summarize(const double *validation, const double *train, const double *seconds,
                           int epochs, int higher_is_better, exh_targets_summary *out)
{
    exh_targets_best(validation, epochs, higher_is_better, &out->best_validation, &out->best_epoch,
                     NULL);
    exh_targets_overfitting(train, epochs, validation, epochs, higher_is_better, &out->overfitting,
                            NULL);
    exh_targets_mean_epoch_time(seconds, epochs, &out->mean_epoch_seconds, NULL);
}

int exh_targets_parse(const char *text, exh_targets_spec *out, exh_error *err)
{
    out->budget_seconds = NAN;
    if (strcmp(text, "best") == 0)
        out->kind = EXH_TARGETS_BEST;
    else if (strcmp(text, "overfit") == 0)
        out->kind = EXH_TARGETS_OVERFITTING;
    else if (strcmp(text, "epoch-time") == 0)
        out->kind = EXH_TARGETS_EPOCH_TIME;
    else if (strncmp(text, "budget=", 7) == 0) {
        char *end;
        out->kind = EXH_TARGETS_BUDGET;
        out->budget_seconds = strtod(text + 7, &end);
        if (*end || end == text + 7 || !(out->budget_seconds > 0))
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "target '%s': budget=SECONDS needs a number of seconds > 0", text);
    } else
        return exh_error_set(err, EXH_ERR_INVALID,
                             "unknown target '%s' (best, overfit, epoch-time, budget=SECONDS)", text);
    return EXH_OK;
}

void exh_targets_format(const exh_targets_spec *spec, char *out, size_t size)
{
    switch (spec->kind) {
    case EXH_TARGETS_BEST: snprintf(out, size, "best"); break;
    case EXH_TARGETS_OVERFITTING: snprintf(out, size, "overfit"); break;
    case EXH_TARGETS_EPOCH_TIME: snprintf(out, size, "epoch-time"); break;
    case EXH_TARGETS_BUDGET: snprintf(out, size, "budget=%.17g", spec->budget_seconds); break;
    }
}

int exh_targets_lower_is_better(const exh_targets_spec *spec, int higher_is_better)
{
    return spec->kind == EXH_TARGETS_OVERFITTING || spec->kind == EXH_TARGETS_EPOCH_TIME ||
           !higher_is_better;
}

int exh_targets_compute(const exh_targets_spec *spec, const double *validation, const double *train,
                        const double *seconds, int epochs, int higher_is_better, double *out,
                        exh_error *err)
{
    double per_epoch;
    switch (spec->kind) {
    case EXH_TARGETS_BEST: return exh_targets_best(validation, epochs, higher_is_better, out, NULL, err);
    case EXH_TARGETS_OVERFITTING:
        return exh_targets_overfitting(train, epochs, validation, epochs, higher_is_better, out, err);
    case EXH_TARGETS_EPOCH_TIME: return exh_targets_mean_epoch_time(seconds, epochs, out, err);
    case EXH_TARGETS_BUDGET:
        *out = NAN;
        if (exh_targets_mean_epoch_time(seconds, epochs, &per_epoch, err) < 0)
            return exh_error_prefix(err, "a budget needs epoch times (log each epoch's wall "
                                     "seconds: column epoch_seconds in exhaust's CSV and JSONL, "
                                     "epoch_seconds or time in a Keras CSV)");
        return exh_targets_best_within_budget(validation, epochs, per_epoch, spec->budget_seconds,
                                              higher_is_better, out, NULL, err);
    }
    return exh_error_set(err, EXH_ERR_INVALID, "unknown target kind %d", (int)spec->kind);
}
