/*
 * eval.h — how good are the predictions? The evaluation protocol.
 *
 * A data set is a set of logged models read from the store: one per
 * architecture, its curve taken from the first run logged for it (another
 * seed's run, when there is one, gives the noise floor; NB201's 12-epoch run
 * gives a cheap partial log). Then, R times with different seeds:
 *   sample M models; split them train:validation:test = 3:1:1; the k-NN and
 *   baselines use train+validation as their repository; predict every test
 *   model and compare with its log: absolute error of the best validation
 *   value and of the degree of overfitting (where train curves exist), and
 *   Kendall's tau and Spearman's rho between predicted and logged best.
 * Top-3 selection (where epoch times exist), over its own R splits: rank the
 * test models by the best validation value predicted within a training-time
 * budget, and count how often the predicted top 3 shares a model with the
 * true top 3 (and how many on average). Budgets default to the 30th and
 * 60th percentiles of the sampled models' total training time.
 * The noise floor row is the error of predicting one seed's result by
 * another seed's for the same architecture.
 *
 * Methods: baseline1 (a random logged model), baseline2 (a random model of
 * the closest size), 1-NN, 3-NN, 5-NN, GP (a Gaussian process on the edit
 * distance, gp.h, fitted on the repository), and where 12-epoch partial logs
 * exist, "5-NN+partial": the model's own partial value plus the neighbours'
 * weighted gain from their partial to their best value, neighbours found by
 * edit distance plus lambda times the difference of partial values, lambda
 * chosen per split by leave-one-out on the repository (knn_partial.h); and the LSTM
 * (lstm.h), which predicts the best value directly: trained on the train
 * models, with dropout, L2 and learning rate chosen on the validation models.
 * Everything is deterministic for a seed.
 */
#ifndef EXHAUST_EVAL_H
#define EXHAUST_EVAL_H

#include "exhaust/export.h"

#include <stdint.h>
#include <stdio.h>

#include "exhaust/knn.h"
#include "exhaust/progress.h"
#include "exhaust/space.h"
#include "exhaust/store.h"

#define EXH_EVAL_DEFAULT_MODELS 122
#define EXH_EVAL_DEFAULT_REPEATS 10
#define EXH_EVAL_DEFAULT_TOP3_REPEATS 50
#define EXH_EVAL_MAX_METHODS 10

typedef struct exh_eval_model {
    char *name;
    exh_arch architecture;
    int epochs;
    double *validation, *train, *seconds; /* epochs values each; NaN = missing */
    double partial;          /* the 12-epoch validation value, NaN when none */
    double other_seed_best;  /* another seed's best validation value, NaN when none */
    int has_train, has_times; /* the log has a train curve, epoch times */
} exh_eval_model;

typedef struct exh_eval_dataset {
    exh_space *space;
    exh_knn_metric metric;       /* accuracy (NB201) or loss (NAS-Bench-NLP) */
    exh_eval_model *models;
    int count, capacity;
    /* Whether most models' logs (at least half) have train curves, epoch
     * times; a few fully logged models among table entries are not enough
     * to score overfitting or select under a time budget. */
    int has_train, has_times, has_partial;
    int train_models, timed_models; /* how many have them */
    char description[256];
} exh_eval_dataset;

/* Load the models of one space and dataset from a store ("nb201" +
 * "cifar10-valid", "graph" + "wikitext-2"). Runs whose status is not ok are
 * left out. The metric is accuracy when runs log val_accuracy, else loss. */
EXH_API int exh_eval_dataset_load(exh_store *s, const char *space_name, const char *dataset,
                                  exh_eval_dataset **out, exh_error *err);
EXH_API void exh_eval_dataset_free(exh_eval_dataset *d);
/* Give every model a partial log from its own curve: the best validation
 * value over its first `epochs` epochs (NaN when it logged fewer), for logs
 * with whole curves and no separate partial run (NAS-Bench-NLP). It replaces
 * any partial log the data set had and says so in the description. The
 * methods that use partial logs then predict what a model trained for
 * `epochs` epochs will reach; the others are unchanged. epochs < 1 is
 * EXH_ERR_INVALID. */
EXH_API int exh_eval_dataset_partial_from_epochs(exh_eval_dataset *d, int epochs, exh_error *err);

typedef struct exh_eval_options {
    int models;              /* M */
    int repeats;             /* R for the error table */
    int top3_repeats;        /* R for top-3 selection */
    uint64_t seed;
    double budgets[2];       /* seconds; NaN: the 30th / 60th percentile */
    int use_partial;         /* include the 5-NN+partial method when possible */
    int fit_penalties;       /* fit the penalty table to each split's repository
                                (exh_penalties_fit) instead of the space's default */
    int use_lstm;            /* add the LSTM: in the error table trained on train,
                                tuned on validation (grid search); in top-3 selection
                                trained per budget on the value within it, default
                                hyperparameters, stopped early on validation */
    int lstm_variant;        /* enum exh_lstm_variant (lstm.h): default, or the
                                prediction paper's (rows "LSTM paper", ...) */
    int keep_predictions;    /* record every test model's prediction per method and
                                split, and a few predicted curves (exh_eval_result) */
    const exh_penalty_table *penalties; /* the edit distance's; NULL: the space's defaults */
    exh_progress progress;   /* "splits" done of repeats (+ top3_repeats); progress.h */
    int threads;             /* threads for the LSTM trainings (independent per split
                                and budget); 0: one per core. The results are the
                                same for any number (each split's own seeded
                                generator, gathered in split order) */
} exh_eval_options;

EXH_API void exh_eval_options_default(exh_eval_options *o);

typedef struct exh_eval_method_result {
    char name[32];
    double best_error_mean, best_error_sd;       /* absolute error of the best value */
    double overfit_error_mean, overfit_error_sd; /* NaN when the data has no train curves */
    double kendall_tau, spearman;                /* means over repeats */
    double partial_lambda;                       /* 5-NN+partial: mean lambda chosen
                                                    (knn_partial.h); NaN for the others */
    double top3_any[2], top3_mean_overlap[2];    /* per budget; NaN without times */
} exh_eval_method_result;

/* One test model's prediction by one method in one split (keep_predictions). */
typedef struct exh_eval_prediction {
    int repeat, model, method;   /* model: index into the data set; method: into methods[] */
    double predicted_best, true_best;
    double predicted_overfit, true_overfit; /* NaN where not predicted or not logged */
} exh_eval_prediction;

/* A test model's logged validation curve and 5-NN's predicted curve, from
 * the first split (the prediction paper's Fig. 4, on the data at hand). */
#define EXH_EVAL_CURVE_EXAMPLES 4
typedef struct exh_eval_curve_example {
    int model;
    int epochs, predicted_epochs;
    double *logged, *predicted;
} exh_eval_curve_example;

typedef struct exh_eval_result {
    int method_count;
    exh_eval_method_result methods[EXH_EVAL_MAX_METHODS];
    double noise_floor_mean, noise_floor_sd;     /* NaN without other seeds */
    int noise_floor_pairs;
    double budgets[2];
    int test_models;                             /* per split */
    double seconds;                              /* how long it took */
    /* With keep_predictions (free them with exh_eval_result_clear): */
    exh_eval_prediction *predictions;
    int64_t prediction_count, prediction_capacity;
    exh_eval_curve_example examples[EXH_EVAL_CURVE_EXAMPLES];
    int example_count;
} exh_eval_result;

EXH_API int exh_eval_run(const exh_eval_dataset *d, const exh_eval_options *o, exh_eval_result *out,
                         exh_error *err);
/* Free what keep_predictions recorded (a no-op without it). */
EXH_API void exh_eval_result_clear(exh_eval_result *r);

/* Every recorded prediction as CSV: repeat, model (its run key), method,
 * predicted and true best value, predicted and true overfitting. */
EXH_API void exh_eval_write_predictions_csv(const exh_eval_dataset *d, const exh_eval_result *r,
                                            FILE *out);

/* A k-NN repository of all the data set's models (for predicting untrained
 * ones), compared with `penalties` (NULL: the space's defaults). */
EXH_API int exh_eval_repository(const exh_eval_dataset *d, const exh_penalty_table *penalties,
                                exh_knn_repository **out, exh_error *err);

/* The result as markdown tables and as CSV (one row per method). */
EXH_API void exh_eval_write_markdown(const exh_eval_dataset *d, const exh_eval_options *o,
                                     const exh_eval_result *r, FILE *out);
EXH_API void exh_eval_write_csv(const exh_eval_result *r, FILE *out);

/*
 * How ranking quality grows with the number of logged models (the
 * NAS-predictor literature's view, beside the error table). R times: shuffle
 * the models, hold out a test set of T models, and for each training size n
 * (nested: the first n of the rest) predict every test model's best value
 * from the n logged ones; report Kendall's tau, Spearman's rho, precision@10
 * (the share of the true top 10 of the test set that is in the predicted top
 * 10; n/a with fewer than 10 test models) and the mean absolute error,
 * averaged over repeats.
 * Methods: baseline1, baseline2, 1/3/5-NN and the GP on all n; the LSTM
 * trained on 3/4 of them with the default hyperparameters, stopped early on
 * the other 1/4 (a grid search per size and repeat would cost the grid); and
 * an ensemble of 5-NN, GP and LSTM whose weights (a 0.1 grid on the simplex)
 * minimise the absolute error on that 1/4 when 5-NN and the GP are fitted on
 * the 3/4 (the LSTM's own predictions of it are used, though it stopped
 * early on them: a mild advantage, said here).
 * A size larger than the models left after the test set is n/a.
 */
#define EXH_EVAL_MAX_SIZES 8
#define EXH_EVAL_SIZE_METHODS 8

typedef struct exh_eval_size_options {
    int sizes[EXH_EVAL_MAX_SIZES]; /* increasing */
    int size_count;
    int repeats;               /* R */
    int test_models;           /* T; 0: min(200, models / 4) */
    uint64_t seed;
    int use_lstm;              /* the LSTM and its share of the ensemble */
    int lstm_variant;          /* enum exh_lstm_variant (lstm.h) */
    const exh_penalty_table *penalties; /* NULL: the space's defaults */
    exh_progress progress;     /* "repeats" done of R (progress.h) */
} exh_eval_size_options;

/* Sizes 10, 20, 40, 73, 150, 300; 10 repeats; seed 1; with the LSTM. */
EXH_API void exh_eval_size_options_default(exh_eval_size_options *o);

typedef struct exh_eval_size_result {
    int size_count, method_count, test_models, repeats;
    int lstm_used;                   /* 0: the LSTM row is n/a, the ensemble 5-NN + GP */
    int sizes[EXH_EVAL_MAX_SIZES];
    int available[EXH_EVAL_MAX_SIZES];   /* 0: too few models for this size */
    char names[EXH_EVAL_SIZE_METHODS][32];
    /* [method][size]; NaN where not available */
    double tau[EXH_EVAL_SIZE_METHODS][EXH_EVAL_MAX_SIZES];
    double spearman[EXH_EVAL_SIZE_METHODS][EXH_EVAL_MAX_SIZES];
    double precision10[EXH_EVAL_SIZE_METHODS][EXH_EVAL_MAX_SIZES];
    double mae[EXH_EVAL_SIZE_METHODS][EXH_EVAL_MAX_SIZES];
    double ensemble_weights[3][EXH_EVAL_MAX_SIZES];  /* mean 5-NN, GP, LSTM weights */
    double seconds;
} exh_eval_size_result;

EXH_API int exh_eval_train_sizes(const exh_eval_dataset *d, const exh_eval_size_options *o,
                                 exh_eval_size_result *out, exh_error *err);
EXH_API void exh_eval_write_sizes_markdown(const exh_eval_dataset *d, const exh_eval_size_result *r,
                                           FILE *out);
EXH_API void exh_eval_write_sizes_csv(const exh_eval_size_result *r, FILE *out);

#endif
