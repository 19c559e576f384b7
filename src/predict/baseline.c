/* baseline.c — random-model and closest-size baselines (baseline.h). */
#include "exhaust/baseline.h"

#include <stdlib.h>

#include "predict/knn_internal.h"

int exh_baseline_model_size(exh_penalty_kind kind, const exh_layer *layers, int count)
{
    if (kind != EXH_PENALTY_NB201)
        return count;
    int size = 0;
    for (int e = 0; e < count; e++)
        size += layers[e].op != EXH_NB201_NONE;
    return size;
}

static int check_candidates(const exh_knn_repository *r, int exclude, const char *which,
                            exh_error *err)
{
    int candidates = r->count - (exclude >= 0 && exclude < r->count);
    if (candidates < 1)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s baseline: no logged model to draw from (%d in the repository)",
                             which, r->count);
    return EXH_OK;
}

int exh_baseline_random(const exh_knn_repository *r, exh_rng *g, int exclude, exh_knn_prediction *out,
                        exh_error *err)
{
    int rc = check_candidates(r, exclude, "random", err);
    if (rc < 0)
        return rc;
    int excluded = exclude >= 0 && exclude < r->count;
    int pick = (int)exh_rng_below(g, (uint32_t)(r->count - excluded));
    if (excluded && pick >= exclude)
        pick++;
    return knn_prediction_from_model(r, pick, out, err);
}

int exh_baseline_size(const exh_knn_repository *r, exh_rng *g, const exh_layer *layers, int count, int exclude,
                      exh_knn_prediction *out, exh_error *err)
{
    int rc = check_candidates(r, exclude, "size", err);
    if (rc < 0)
        return rc;
    exh_penalty_kind kind = r->penalties.kind;
    int size = exh_baseline_model_size(kind, layers, count);
    int closest = -1, ties = 0;
    for (int m = 0; m < r->count; m++) {
        if (m == exclude)
            continue;
        int gap = abs(exh_baseline_model_size(kind, r->layers + r->layer_start[m], r->layer_count[m]) -
                      size);
        if (closest < 0 || gap < closest) {
            closest = gap;
            ties = 0;
        }
        ties += gap == closest;
    }
    int pick = (int)exh_rng_below(g, (uint32_t)ties);
    for (int m = 0; m < r->count; m++) {
        if (m == exclude)
            continue;
        int gap = abs(exh_baseline_model_size(kind, r->layers + r->layer_start[m], r->layer_count[m]) -
                      size);
        if (gap == closest && pick-- == 0)
            return knn_prediction_from_model(r, m, out, err);
    }
    return exh_error_set(err, EXH_ERR_INVALID, "size baseline: internal error (no model drawn)");
}
