/* evaluator_predictor.c — evaluate by prediction: the k-NN estimate of the
 * best validation value, from logged models (screening without training). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exhaust/evaluator.h"
#include "exhaust/targets.h"

typedef struct predictor_state {
    const knn_repository *repository;
    const space *space;
    int k, higher_is_better;
    char description[256];
} predictor_state;

static int predictor_evaluate(void *state, const evaluation_request *request, rng *r,
                              evaluation *out, exh_error *err)
{
    (void)r;
    predictor_state *p = state;
    knn_prediction prediction;
    knn_prediction_init(&prediction);
    out->quality = NAN;
    out->cost_seconds = 0;
    out->status = EVALUATION_FAILED;
    int rc = knn_predict_arch(p->repository, p->space, request->architecture, p->k, &prediction,
                              err);
    double best, seconds = 0;
    if (rc == 0 && targets_best(prediction.channel[KNN_VALIDATION], prediction.epochs,
                                p->higher_is_better, &best, NULL, NULL) == 0) {
        /* Losses are better low; the search maximises: negate them. */
        out->quality = p->higher_is_better ? best : -best;
        out->status = EVALUATION_OK;
        for (int e = 0; e < prediction.epochs; e++)
            if (!isnan(prediction.channel[KNN_EPOCH_SECONDS][e]))
                seconds += prediction.channel[KNN_EPOCH_SECONDS][e];
        out->cost_seconds = seconds; /* the predicted training time, 0 when not logged */
    }
    knn_prediction_clear(&prediction);
    /* A query no neighbour can reach is a failed evaluation, not a failed search. */
    return rc < 0 && rc != EXH_ERR_NOT_FOUND ? rc : EXH_OK;
}

static const char *predictor_describe(void *state)
{
    return ((predictor_state *)state)->description;
}

int evaluator_predictor_open(const knn_repository *repository, const space *s, int k,
                             evaluator **out, exh_error *err)
{
    *out = NULL;
    if (k < 1 || k > knn_repository_count(repository))
        return error_set(err, EXH_ERR_INVALID, "k = %d, but the repository holds %d models", k,
                         knn_repository_count(repository));
    predictor_state *p = calloc(1, sizeof *p);
    evaluator *e = calloc(1, sizeof *e);
    if (!p || !e) {
        free(p);
        free(e);
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    p->repository = repository;
    p->space = s;
    p->k = k;
    p->higher_is_better = knn_metric_higher_is_better(knn_repository_metric(repository));
    snprintf(p->description, sizeof p->description,
             "predictor evaluator: quality = %d-NN predicted best validation %s over %d logged "
             "models; cost = predicted training time",
             k, p->higher_is_better ? "accuracy" : "loss (negated)",
             knn_repository_count(repository));
    e->name = "predictor";
    e->state = p;
    e->evaluate = predictor_evaluate;
    e->describe = predictor_describe;
    e->free = free;
    *out = e;
    return EXH_OK;
}
