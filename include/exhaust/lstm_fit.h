/*
 * lstm_fit.h — the LSTM regressor (lstm.h) trained for one target on the
 * logged models of a store: the predictor behind `exhaust predict --method
 * lstm` and `exhaust rank --method lstm`.
 *
 * The logged models of an exh_eval_dataset that have a value of the target
 * (best validation value, degree of overfitting, mean epoch time, best value
 * within a budget: targets.h) are shuffled with the seed, at most
 * max_models of them kept, and split train:validation = 3:1. The LSTM
 * learns the target from the architecture alone; its dropout, L2 and
 * learning rate are chosen on the validation models by exh_lstm_grid_search
 * (or, with grid = 0, the defaults, stopped early on validation: about 18
 * times faster). Models without a value of the target (no train curve for
 * overfitting, no epoch times, a budget shorter than one epoch) are left
 * out and counted.
 *
 * A fitted model travels with a description: exh_lstm_fit_save writes the model
 * to PATH (exh_lstm_save's format) and the description to PATH.json (space,
 * dataset, target, models used, hyperparameters, validation error), so that
 * exh_lstm_fit_load can refuse to answer for a space or a target the model was
 * not trained on.
 *
 *     exh_lstm_fit_options o;  exh_lstm_fit_options_default(&o);
 *     exh_targets_parse("best", &o.target, &err);
 *     exh_lstm_model *m;  exh_lstm_fit_info info;
 *     exh_lstm_fit(dataset, "cifar10-valid", &o, &m, &info, &err);
 *     exh_lstm_predict(m, archs, count, predictions, &err);
 *     exh_lstm_fit_save(m, &info, "best.lstm", &err);  exh_lstm_free(m);
 */
#ifndef EXHAUST_LSTM_FIT_H
#define EXHAUST_LSTM_FIT_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/eval.h"
#include "exhaust/lstm.h"
#include "exhaust/targets.h"

#define EXH_LSTM_FIT_DEFAULT_MODELS 1000

typedef struct exh_lstm_fit_options {
    exh_targets_spec target;     /* best */
    int max_models;          /* EXH_LSTM_FIT_DEFAULT_MODELS */
    uint64_t seed;           /* 1 */
    int grid;                /* 1: grid search (default); 0: default hyperparameters */
    int variant;             /* enum exh_lstm_variant: default (0) or the paper's (lstm.h) */
    exh_progress progress;   /* "epochs" over every grid point's max_epochs (progress.h) */
} exh_lstm_fit_options;

EXH_API void exh_lstm_fit_options_default(exh_lstm_fit_options *options);

typedef struct exh_lstm_fit_info {
    char space[64], dataset[128], target[64];
    int lower_is_better;     /* of the target */
    int train_count, validation_count;
    int skipped;             /* logged models without a value of the target */
    float dropout, weight_decay, learning_rate;
    double validation_error; /* mean absolute error on the validation models,
                                in the target's units */
    int variant;             /* enum exh_lstm_variant; PATH.json's "lstm_variant"
                                ("default" or "paper"), read back from the model */
} exh_lstm_fit_info;

/* Train as described above. Fewer than 4 models with a value of the target
 * is EXH_ERR_INVALID, saying how many there were. */
EXH_API int exh_lstm_fit(const exh_eval_dataset *d, const char *dataset,
                         const exh_lstm_fit_options *options, exh_lstm_model **out,
                         exh_lstm_fit_info *info, exh_error *err);

/* One line for people: "LSTM for best: 750 train + 250 validation models,
 * dropout 0.1, L2 1e-05, learning rate 0.001, validation error 1.23"
 * ("LSTM (paper variant) for best: ..." for the paper's variant). */
EXH_API void exh_lstm_fit_describe(const exh_lstm_fit_info *info, char *out, size_t size);

EXH_API int exh_lstm_fit_save(const exh_lstm_model *model, const exh_lstm_fit_info *info,
                              const char *path, exh_error *err);
/* Load PATH and PATH.json. A missing or malformed description is an error
 * naming the file. */
EXH_API int exh_lstm_fit_load(const char *path, exh_lstm_model **out, exh_lstm_fit_info *info,
                              exh_error *err);
/* EXH_ERR_INVALID unless the model was trained for this space and target. */
EXH_API int exh_lstm_fit_check(const exh_lstm_fit_info *info, const char *path,
                               const char *wanted_space, const exh_targets_spec *target,
                               exh_error *err);

#endif
