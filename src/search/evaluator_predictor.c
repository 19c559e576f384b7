/* evaluator_predictor.c — evaluate by prediction: the k-NN estimate of the
 * best validation value, from logged models (screening without training). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exhaust/evaluator.h"
#include "exhaust/targets.h"

typedef struct predictor_state {
    const exh_knn_repository *repository;
    const exh_space *space;
    int k, higher_is_better;
    char description[256];
} predictor_state;

static int predictor_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                              exh_evaluation *out, exh_error *err)
{
    (void)r;
    predictor_state *p = state;
    exh_knn_prediction prediction;
    exh_knn_prediction_init(&prediction);
    out->quality = NAN;
    out->cost_seconds = 0;
    out->status = EXH_EVALUATION_FAILED;
    int rc = exh_knn_predict_arch(p->repository, p->space, request->architecture, p->k, &prediction,
                                  err);
    double best, seconds = 0;
    if (rc == 0 && exh_targets_best(prediction.channel[EXH_KNN_VALIDATION], prediction.epochs,
                                    p->higher_is_better, &best, NULL, NULL) == 0) {
        /* Losses are better low; the search maximises: negate them. */
        out->quality = p->higher_is_better ? best : -best;
        out->status = EXH_EVALUATION_OK;
        for (int e = 0; e < prediction.epochs; e++)
            if (!isnan(prediction.channel[EXH_KNN_EPOCH_SECONDS][e]))
                seconds += prediction.channel[EXH_KNN_EPOCH_SECONDS][e];
        out->cost_seconds = seconds; /* the predicted training time, 0 when not logged */
    }
    exh_knn_prediction_clear(&prediction);
    /* A query no neighbour can reach is a failed evaluation, not a failed search. */
    return rc < 0 && rc != EXH_ERR_NOT_FOUND ? rc : EXH_OK;
}

static const char *predictor_describe(void *state)
{
    return ((predictor_state *)state)->description;
}

int exh_evaluator_predictor_open(const exh_knn_repository *repository, const exh_space *s, int k,
                                 exh_evaluator **out, exh_error *err)
{
    *out = NULL;
    if (k < 1 || k > exh_knn_repository_count(repository))
        return exh_error_set(err, EXH_ERR_INVALID, "k = %d, but the repository holds %d models", k,
                             exh_knn_repository_count(repository));
    predictor_state *p = calloc(1, sizeof *p);
    exh_evaluator *e = calloc(1, sizeof *e);
    if (!p || !e) {
        free(p);
        free(e);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    p->repository = repository;
    p->space = s;
    p->k = k;
    p->higher_is_better = exh_knn_metric_higher_is_better(exh_knn_repository_metric(repository));
    snprintf(p->description, sizeof p->description,
             "predictor evaluator: quality = %d-NN predicted best validation %s over %d logged "
             "models; cost = predicted training time",
             k, p->higher_is_better ? "accuracy" : "loss (negated)",
             exh_knn_repository_count(repository));
    e->name = "predictor";
    e->state = p;
    e->evaluate = predictor_evaluate;
    e->describe = predictor_describe;
    e->free = free;
    *out = e;
    return EXH_OK;
}
