/*
 * targets.h — the numbers a learning curve (logged or predicted) is judged
 * by: best validation value, degree of overfitting, mean epoch time, and the
 * best validation value reachable within a training-time budget.
 *
 * Curves are plain arrays, one value per epoch (index e = epoch e + 1), as
 * knn_curve and knn_prediction hold them. `higher_is_better` says whether
 * the metric is an accuracy (1: best = largest) or a loss (0: best =
 * smallest; NAS-Bench-NLP logs only losses).
 *
 * Missing values. A NaN epoch is skipped by every target: it neither counts
 * as best nor as an epoch time. It still takes its place in the budget
 * count (the epoch was trained, only its value was not logged). A target
 * with no value to compute from is EXH_ERR_INVALID with a message saying
 * which curve was empty.
 */
#ifndef EXHAUST_TARGETS_H
#define EXHAUST_TARGETS_H

#include <stddef.h>

#include "exhaust/error.h"

/* The best present value and its 0-based index (the first one on ties);
 * best_epoch may be NULL. */
int targets_best(const double *values, int epochs, int higher_is_better, double *best,
                 int *best_epoch, exh_error *err);

/* Degree of overfitting: for accuracies, best train accuracy minus best
 * validation accuracy; for losses, best validation loss minus best train
 * loss. Both are "how much better the model does on what it trained on";
 * positive means overfitting. The two curves may differ in length
 * (train_epochs, validation_epochs). */
int targets_overfitting(const double *train, int train_epochs, const double *validation,
                        int validation_epochs, int higher_is_better, double *out,
                        exh_error *err);

/* Mean over the present (non-NaN) epoch times. */
int targets_mean_epoch_time(const double *seconds, int epochs, double *out, exh_error *err);

/* The best validation value among the epochs that fit in `budget_seconds`
 * at `epoch_seconds` per epoch: the first floor(budget / epoch_seconds)
 * epochs (a relative tolerance of 1e-9 lets 0.3 s hold three 0.1 s epochs),
 * or all of them when more would fit. epochs_fit (may be NULL) receives how
 * many epochs were considered. A budget smaller than one epoch is
 * EXH_ERR_INVALID ("budget 5 s is less than one epoch (12.5 s)"), as are
 * epoch_seconds <= 0 or NaN, and a budget that is negative or NaN; an
 * infinite budget takes the whole curve. */
int targets_best_within_budget(const double *validation, int epochs, double epoch_seconds,
                               double budget_seconds, int higher_is_better, double *best,
                               int *epochs_fit, exh_error *err);

/* All of the above that the data allows, NaN for the rest (a missing train
 * curve gives NaN overfitting, not an error). */
typedef struct targets_summary {
    double best_validation;   /* NaN when the validation curve has no value */
    int best_epoch;           /* 0-based; -1 when best_validation is NaN */
    double overfitting;
    double mean_epoch_seconds;
} targets_summary;

void targets_summarize(const double *validation, const double *train, const double *seconds,
                       int epochs, int higher_is_better, targets_summary *out);

/* A target by name, as the command line gives it: "best", "overfit",
 * "epoch-time" or "budget=SECONDS". */
typedef enum targets_kind {
    TARGETS_BEST,
    TARGETS_OVERFITTING,
    TARGETS_EPOCH_TIME,
    TARGETS_BUDGET,
} targets_kind;

typedef struct targets_spec {
    targets_kind kind;
    double budget_seconds;    /* TARGETS_BUDGET only */
} targets_spec;

/* Parse a target name; anything else is EXH_ERR_INVALID naming the choices. */
int targets_parse(const char *text, targets_spec *out, exh_error *err);
/* Its name back ("budget=3600"). */
void targets_format(const targets_spec *spec, char *out, size_t size);
/* Whether a smaller value of the target is the better one: overfitting and
 * epoch time always, best and budget for losses. */
int targets_lower_is_better(const targets_spec *spec, int higher_is_better);
/* The target's value of one curve (validation, train and seconds arrays of
 * `epochs` values; train or seconds may be NULL when not needed). The
 * budget uses the curve's mean epoch time. */
int targets_compute(const targets_spec *spec, const double *validation, const double *train,
                    const double *seconds, int epochs, int higher_is_better, double *out,
                    exh_error *err);

#endif
