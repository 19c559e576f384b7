/*
 * targets.h — the numbers a learning curve (logged or predicted) is judged
 * by: best validation value, degree of overfitting, mean epoch time, and the
 * best validation value reachable within a training-time budget.
 *
 * Curves are plain arrays, one value per epoch (index e = epoch e + 1), as
 * exh_knn_curve and exh_knn_prediction hold them. `higher_is_better` says whether
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

#include "exhaust/export.h"

#include <stddef.h>

#include "exhaust/error.h"

/* The best present value and its 0-based index (the first one on ties);
 * best_epoch may be NULL. */
EXH_API int exh_targets_best(const double *values, int epochs, int higher_is_better, double *best,
                             int *best_epoch, exh_error *err);

/* Degree of overfitting: for accuracies, best train accuracy minus best
 * validation accuracy; for losses, best validation loss minus best train
 * loss. Both are "how much better the model does on what it trained on";
 * positive means overfitting. The two curves may differ in length
 * (train_epochs, validation_epochs). */
EXH_API int exh_targets_overfitting(const double *train, int train_epochs, const double *validation,
                                    int validation_epochs, int higher_is_better, double *out,
                                    exh_error *err);

/* Mean over the present (non-NaN) epoch times. */
EXH_API int exh_targets_mean_epoch_time(const double *seconds, int epochs, double *out, exh_error *err);

/* The best validation value among the epochs that fit in `budget_seconds`
 * at `epoch_seconds` per epoch: the first floor(budget / epoch_seconds)
 * epochs (a relative tolerance of 1e-9 lets 0.3 s hold three 0.1 s epochs),
 * or all of them when more would fit. epochs_fit (may be NULL) receives how
 * many epochs were considered. A budget smaller than one epoch is
 * EXH_ERR_INVALID ("budget 5 s is less than one epoch (12.5 s)"), as are
 * epoch_seconds <= 0 or NaN, and a budget that is negative or NaN; an
 * infinite budget takes the whole curve. */
EXH_API int exh_targets_best_within_budget(const double *validation, int epochs, double epoch_seconds,
                                           double budget_seconds, int higher_is_better, double *best,
                                           int *epochs_fit, exh_error *err);

/* All of the above that the data allows, NaN for the rest (a missing train
 * curve gives NaN overfitting, not an error). */
typedef struct exh_targets_summary {
    double best_validation;   /* NaN when the validation curve has no value */
    int best_epoch;           /* 0-based; -1 when best_validation is NaN */
    double overfitting;
    double mean_epoch_seconds;
} exh_targets_summary;

EXH_API void exh_targets_summarize(const double *validation, const double *train, const double *seconds,
                                   int epochs, int higher_is_better, exh_targets_summary *out);

/* A target by name, as the command line gives it: "best", "overfit",
 * "epoch-time" or "budget=SECONDS". */
typedef enum exh_targets_kind {
    EXH_TARGETS_BEST,
    EXH_TARGETS_OVERFITTING,
    EXH_TARGETS_EPOCH_TIME,
    EXH_TARGETS_BUDGET,
} exh_targets_kind;

typedef struct exh_targets_spec {
    exh_targets_kind kind;
    double budget_seconds;    /* EXH_TARGETS_BUDGET only */
} exh_targets_spec;

/* Parse a target name; anything else is EXH_ERR_INVALID naming the choices. */
EXH_API int exh_targets_parse(const char *text, exh_targets_spec *out, exh_error *err);
/* Its name back ("budget=3600"). */
EXH_API void exh_targets_format(const exh_targets_spec *spec, char *out, size_t size);
/* Whether a smaller value of the target is the better one: overfitting and
 * epoch time always, best and budget for losses. */
EXH_API int exh_targets_lower_is_better(const exh_targets_spec *spec, int higher_is_better);
/* The target's value of one curve (validation, train and seconds arrays of
 * `epochs` values; train or seconds may be NULL when not needed). The
 * budget uses the curve's mean epoch time. */
EXH_API int exh_targets_compute(const exh_targets_spec *spec, const double *validation, const double *train,
                                const double *seconds, int epochs, int higher_is_better, double *out,
                                exh_error *err);

#endif
