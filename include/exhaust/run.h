/*
 * run.h — the training-log data model: one run and its per-epoch rows.
 *
 * A run is one training of one architecture: who it is (key), what was
 * trained (space, architecture, dataset, seed, hyperparameters), how it ended
 * (status) and its curve (epochs). Every metric may be missing; a missing
 * metric is NAN (test with metric_present), never 0.
 *
 * Strings are owned by the run (malloc'd); set them with run_set and free
 * everything with run_clear.
 */
#ifndef EXHAUST_RUN_H
#define EXHAUST_RUN_H

#include <stddef.h>
#include <stdint.h>

#define RUN_STATUS_OK "ok"

typedef struct epoch_record {
    int epoch;              /* 1-based as logged; NB201's final row is epoch 200 */
    double train_accuracy;  /* percent, 0..100 */
    double train_loss;
    double val_accuracy;    /* percent */
    double val_loss;
    double test_accuracy;   /* percent */
    double test_loss;
    double epoch_seconds;   /* wall time of this epoch */
} epoch_record;

typedef struct run_param {
    char *key;
    char *value;
} run_param;

typedef struct run {
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
    run_param *params;    /* hyperparameters, in insertion order */
    size_t epoch_count;
    epoch_record *epochs; /* sorted by epoch once stored */
    size_t param_capacity, epoch_capacity;
} run;

void run_init(run *r);
void run_clear(run *r); /* frees everything and re-initializes */

/* Replace *field (one of the run's strings) with a copy of value (NULL allowed).
 * Returns 0 or EXH_ERR_NOMEM. */
int run_set(char **field, const char *value);
int run_add_param(run *r, const char *key, const char *value);
const char *run_param_value(const run *r, const char *key); /* NULL if absent */
/* Append a row (copied). */
int run_add_epoch(run *r, const epoch_record *row);
/* The row for `epoch`, creating an all-missing one if absent (keeps order of
 * creation; the store sorts). NULL only when out of memory. */
epoch_record *run_epoch(run *r, int epoch);

/* A row with every metric missing. */
epoch_record epoch_record_empty(int epoch);
int metric_present(double value);

/* The metric columns by name, for generic readers and writers: "train_accuracy",
 * "train_loss", "val_accuracy", "val_loss", "test_accuracy", "test_loss",
 * "epoch_seconds". Returns a pointer into row, or NULL for an unknown name. */
double *epoch_metric(epoch_record *row, const char *name);
extern const char *const EPOCH_METRIC_NAMES[7];
#define EPOCH_METRIC_COUNT 7

#endif
