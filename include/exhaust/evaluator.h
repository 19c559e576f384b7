/*
 * evaluator.h — what a search asks of "training" an architecture.
 *
 * An evaluator turns an architecture into a quality (higher is better) and a
 * cost (seconds of training it took, real or modelled). Three kinds share
 * this interface:
 *   table      look the architecture up in logged results (NAS-Bench-201):
 *              no training, just the logged numbers and a cost model;
 *   predictor  a predictor of the predict module (screening);
 *   command    run a user's training command (real training).
 * The search never knows which one it drives.
 */
#ifndef EXHAUST_EVALUATOR_H
#define EXHAUST_EVALUATOR_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/rng.h"
#include "exhaust/knn.h"
#include "exhaust/space.h"

typedef enum exh_evaluation_status {
    EXH_EVALUATION_OK = 0,
    EXH_EVALUATION_FAILED = 1,   /* the evaluator could not produce a quality */
    EXH_EVALUATION_TIMEOUT = 2,
} exh_evaluation_status;

typedef struct exh_evaluation {
    double quality;           /* higher is better; NAN when not ok */
    double cost_seconds;      /* training time this evaluation stands for */
    exh_evaluation_status status;
} exh_evaluation;

/* What the evaluator may use besides the architecture: the parent it was
 * mutated from and how much of it transfers (for `command`). */
typedef struct exh_evaluation_request {
    const exh_arch *architecture;
    int64_t job_id;
    int64_t parent_id;       /* the transfer donor (the parent by default); -1: none */
    int prefix_length;       /* leading positions shared with it */
} exh_evaluation_request;

typedef struct exh_evaluator {
    const char *name;
    void *state;
    /* Evaluate one architecture. `r` is the search's random stream (a table
     * evaluator picks a logged seed with it). Returns < 0 only when the search
     * must stop; a failed training is an evaluation with status FAILED. */
    int (*evaluate)(void *state, const exh_evaluation_request *request, exh_rng *r,
                    exh_evaluation *out, exh_error *err);
    /* One line for trace headers, e.g. the cost model in use. */
    const char *(*describe)(void *state);
    void (*free)(void *state);
} exh_evaluator;

EXH_API void exh_evaluator_free(exh_evaluator *e);

/*
 * The NAS-Bench-201 table evaluator. Reads the benchmark's archs.csv
 * (../shared/data/nb201/archs.csv) for per-seed 200-epoch validation
 * accuracies, dataset "cifar10-valid" or "cifar100". quality = the validation
 * accuracy of one of the logged seeds, drawn from the search's stream;
 * exh_evaluator_nb201_mean_quality gives the 3-seed mean (the "true" quality used
 * to judge a search).
 *
 * Cost: the 15,625 cells have no logged times, so cost comes from a cost
 * model: epoch seconds = a + b * FLOPs, FLOPs computed by exh_nb201_flops from the
 * cell, a and b fitted by least squares on the three fully logged cells of
 * nats-3cells-epochs.csv (same folder); cost = 200 epochs * epoch seconds.
 */
EXH_API int exh_evaluator_nb201_open(const char *archs_csv, const char *dataset, exh_evaluator **out,
                                     exh_error *err);
EXH_API double exh_evaluator_nb201_mean_quality(const exh_evaluator *e, const exh_arch *a);
/* The best 3-seed mean over the whole table (the search's ceiling). */
EXH_API double exh_evaluator_nb201_best_mean_quality(const exh_evaluator *e);

/* FLOPs (millions) of an NB201 cell in the benchmark's CIFAR network (32x32
 * input, 16/32/64 channels, 5 cells a stage): the fixed skeleton (stem,
 * reduction blocks, classifier: 7.78 M) plus, per edge and cell, 1x1 and 3x3
 * convolutions. Matches the benchmark's logged flops_M for CIFAR-10. */
EXH_API double exh_nb201_flops(const exh_arch *a);

/*
 * The command evaluator: run a user's training command per evaluation, e.g.
 *   python train.py --arch {arch} --transfer-from {parent_id} --prefix {prefix_len}
 * Placeholders ({arch}, {arch_seq}, {job_id}, {parent_id}, {prefix_len},
 * {donor_id}, {repo}) become single-quoted shell words. {parent_id} and
 * {donor_id} are both the model the child receives its prefix from (the
 * parent, or with transfer_from_any the longest-prefix model; -1: none);
 * {repo} is the model repository's folder (exh_evaluator_command_set_repo;
 * '' without one), where the command loads that prefix (repo.h
 * exh_repo_load_prefix, or Python's exhaust.Repo) and saves its model as
 * model {job_id}. The quality is the number on the command's last
 * non-empty stdout line; cost = measured wall seconds. A non-zero exit or an
 * unreadable last line is EXH_EVALUATION_FAILED, running past timeout_seconds
 * (0 = none) is EXH_EVALUATION_TIMEOUT (the process group is killed); neither
 * stops the search. `s` must outlive the evaluator.
 */
EXH_API int exh_evaluator_command_open(const char *command_template, double timeout_seconds,
                                       const exh_space *s, exh_evaluator **out, exh_error *err);
/* Placeholders are replaced by already single-quoted words, so a template
 * must not quote them again: '{arch}' in a template un-quotes the value (the
 * shell sees ''...''), and exh_evaluator_command_open refuses it. */
/* Seconds between TERM and KILL when a command's process group is ended. */
#define EXH_EVALUATOR_COMMAND_GRACE_SECONDS 5.0
/* For signal handlers (async-signal-safe): start no more training commands
 * (evaluations from now on fail with EXH_ERR_INTERRUPTED, which stops the
 * search) and send `sig` to the process group of every command running. A
 * handler calls it with SIGTERM, and with SIGKILL once a grace period is
 * over; each evaluation reaps its own command and ends its group. */
EXH_API void exh_evaluator_command_stop(int sig);
EXH_API int exh_evaluator_command_stopping(void);
/* The command line an evaluation would run (out: 16384 bytes); {repo} is ''. */
EXH_API int exh_evaluator_command_expand(const char *command_template, const exh_space *s,
                                         const exh_evaluation_request *request, char *out, exh_error *err);
/* The same with {repo} the folder `repo` (NULL: ''). */
EXH_API int exh_evaluator_command_expand_repo(const char *command_template, const exh_space *s,
                                              const exh_evaluation_request *request,
                                              const char *repo, char *out, exh_error *err);
/* Give a command evaluator the repository folder {repo} stands for (copied;
 * NULL: none). EXH_ERR_INVALID for another kind of evaluator. */
EXH_API int exh_evaluator_command_set_repo(exh_evaluator *e, const char *repo, exh_error *err);

/*
 * The predictor evaluator, for screening: quality = the k-NN prediction of
 * the best validation value (knn.h) from a repository of logged models
 * (losses are negated so that higher is better); cost = the predicted
 * training time (sum of predicted epoch seconds; 0 when the logs have no
 * times). An architecture no neighbour can reach is a failed evaluation.
 * The repository and space must outlive the evaluator; knn predictions are
 * thread-safe, so it serves worker threads.
 */
struct exh_knn_repository;
EXH_API int exh_evaluator_predictor_open(const struct exh_knn_repository *repository, const exh_space *s, int k,
                                         exh_evaluator **out, exh_error *err);

#endif
