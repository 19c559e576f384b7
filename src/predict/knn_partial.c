/* knn_partial.c — k-NN with the query's partial log (knn_partial.h). */
#include "exhaust/knn_partial.h"

#include <math.h>
#include <stdlib.h>

const double exh_knn_partial_default_grid[EXH_KNN_PARTIAL_GRID_SIZE] = {0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64};

typedef struct candidate {
    double distance;
    int index;
} candidate;

/* Keep the k smallest distances in `nearest` (sorted, ties to the lower
 * index since models arrive in index order). */
static int insert_nearest(candidate *nearest, int kept, int k, double distance, int index)
{
    if (kept == k && distance >= nearest[k - 1].distance)
        return kept;
    int at = kept < k ? kept++ : k - 1;
    while (at > 0 && nearest[at - 1].distance > distance) {
        nearest[at] = nearest[at - 1];
        at--;
    }
    nearest[at] = (candidate){distance, index};
    return kept;
}

int exh_knn_partial_predict(const exh_knn_partial_set *set, const double *distances,
                            double query_partial, double lambda, int k, int exclude, double *out,
                            exh_error *err)
{
    *out = NAN;
    if (isnan(query_partial))
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN+partial: the query has no partial value");
    if (k < 1 || k > 64)
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN+partial: k = %d (1..64)", k);
    candidate nearest[64];
    int kept = 0;
    for (int i = 0; i < set->count; i++) {
        if (i == exclude || isnan(set->partial[i]) || isnan(set->best[i]) ||
            isnan(distances[i]) || isinf(distances[i]))
            continue;
        double d = distances[i] + lambda * fabs(set->partial[i] - query_partial);
        kept = insert_nearest(nearest, kept, k, d, i);
    }
    if (kept == 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN+partial: no logged model has both a partial and a best value");
    double gain = 0, weight = 0;
    int exact = nearest[0].distance == 0;
    for (int j = 0; j < kept; j++) {
        if (exact && nearest[j].distance > 0)
            break;
        double w = exact ? 1.0 : 1.0 / nearest[j].distance;
        int i = nearest[j].index;
        gain += w * (set->best[i] - set->partial[i]);
        weight += w;
    }
    *out = query_partial + gain / weight;
    return EXH_OK;
}

int exh_knn_partial_choose(const exh_knn_partial_set *set, const double *pair_distances, int k,
                           const double *grid, int grid_size, double *lambda, double *error,
                           exh_error *err)
{
    double best_error = INFINITY;
    *lambda = grid_size > 0 ? grid[0] : 0;
    for (int g = 0; g < grid_size; g++) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < set->count; i++) {
            double guess;
            if (isnan(set->partial[i]) || isnan(set->best[i]) ||
                exh_knn_partial_predict(set, pair_distances + (size_t)i * (size_t)set->count,
                                        set->partial[i], grid[g], k, i, &guess, NULL) < 0)
                continue;
            sum += fabs(guess - set->best[i]);
            n++;
        }
        if (n > 0 && sum / n < best_error) {
            best_error = sum / n;
            *lambda = grid[g];
        }
    }
    if (error)
        *error = best_error;
    if (isinf(best_error))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN+partial: fewer than 2 logged models with both values");
    return EXH_OK;
}
