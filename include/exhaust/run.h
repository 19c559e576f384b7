/*
 * run.h — the training-log data model: one run and its per-epoch rows.
 *
 * A run is one training of one architecture: who it is (key), what was
 * trained (space, architecture, dataset, seed, hyperparameters), how it ended
 * (status) and its curve (epochs). Every metric may be missing; a missing
 * metric is NAN (test with exh_metric_present), never 0.
 *
 * Strings are owned by the run (malloc'd); set them with exh_run_set and free
 * everything with exh_run_clear.
 */
#ifndef EXHAUST_RUN_H
#define EXHAUST_RUN_H

#include "exhaust/export.h"

#include <stddef.h>
#include <stdint.h>

#define EXH_RUN_STATUS_OK "ok"

typedef struct exh_epoch_record {
    int epoch;              /* 1-based as logged; NB201's final row is epoch 200 */
    double train_accuracy;  /* percent, 0..100 */
    double train_loss;
    double val_accuracy;    /* percent */
    double val_loss;
    double test_accuracy;   /* percent */
    double test_loss;
    double epoch_seconds;   /* wall time of this epoch */
} exh_epoch_record;

typedef struct exh_run_param {
    char *key;
    char *value;
} exh_run_param;

typedef struct exh_run {
    int64_t id;           /* the store's id; 0 until stored */
    char *key;            /* unique external name, e.g. "nb201/cifar10-valid/e200/123/s777" */
    char *space;          /* space name ("nb201", "graph", ...) or NULL when unknown */
    char *arch;           /* canonical text form of the architecture */
    char *arch_sequence;  /* the same as "i,j,k" (DeepHyper arch_seq); set at ingest */
    char *dataset;
    int has_seed;
    int64_t seed;
    char *status;         /* "ok", or what went wrong ("failed: loss is nan!") */
    char *source;         /* where it came from: "path:line" */
    size_t param_count;
    exh_run_param *params;    /* hyperparameters, in insertion order */
    size_t epoch_count;
    exh_epoch_record *epochs; /* sorted by epoch once stored */
    size_t param_capacity, epoch_capacity;
} exh_run;

EXH_API void exh_run_init(exh_run *r);
EXH_API void exh_run_clear(exh_run *r); /* frees everything and re-initializes */

/* Replace *field (one of the run's strings) with a copy of value (NULL allowed).
 * Returns 0 or EXH_ERR_NOMEM. */
EXH_API int exh_run_set(char **field, const char *value);
EXH_API int exh_run_add_param(exh_run *r, const char *key, const char *value);
EXH_API const char *exh_run_param_value(const exh_run *r, const char *key); /* NULL if absent */
/* Append a row (copied). */
EXH_API int exh_run_add_epoch(exh_run *r, const exh_epoch_record *row);
/* The row for `epoch`, creating an all-missing one if absent (keeps order of
 * creation; the store sorts). NULL only when out of memory. */
EXH_API exh_epoch_record *exh_run_epoch(exh_run *r, int epoch);

/* A row with every metric missing. */
EXH_API exh_epoch_record exh_epoch_record_empty(int epoch);
EXH_API int exh_metric_present(double value);

/* The metric columns by name, for generic readers and writers: "train_accuracy",
 * "train_loss", "val_accuracy", "val_loss", "test_accuracy", "test_loss",
 * "epoch_seconds". Returns a pointer into row, or NULL for an unknown name. */
EXH_API double *exh_epoch_metric(exh_epoch_record *row, const char *name);
EXH_API extern const char *const exh_epoch_metric_names[7];
#define EXH_EPOCH_METRIC_COUNT 7

#endif
