/*
 * knn_partial.h — k-NN with a cheap partial log of the query: predict a
 * model's best validation value from its own early value (NB201's 12-epoch
 * accuracy) and its neighbours' gains.
 *
 * For a query with partial value q and logged models i with partial p_i,
 * best b_i and edit distance e_i to the query, the distance is
 *
 *     d_i = e_i + lambda * |p_i - q|
 *
 * and the prediction is q plus the inverse-distance-weighted mean gain
 * (b_i - p_i) of the k nearest (models at distance 0, when there are any,
 * are averaged alone). Why the partial term: how much a model still gains
 * after its early epochs depends mostly on how far it already got (a cell
 * at 10% stays there, a good cell at 80% gains about 10 points), so
 * neighbours with a similar early value have similar gains; the edit
 * distance alone finds neighbours of similar shape but not of similar
 * progress. lambda = 0 is the plain edit-distance method.
 *
 * lambda is chosen by leave-one-out over the logged models
 * (exh_knn_partial_choose): each logged model is predicted from the others,
 * for every lambda of a grid, and the lambda of the smallest mean absolute
 * error wins (the first on ties).
 */
#ifndef EXHAUST_KNN_PARTIAL_H
#define EXHAUST_KNN_PARTIAL_H

#include "exhaust/export.h"

#include "exhaust/error.h"

/* The logged models: partial and best value each (NaN = unknown: the model
 * is never a neighbour). */
typedef struct exh_knn_partial_set {
    int count;
    const double *partial;
    const double *best;
} exh_knn_partial_set;

/* Predict from `distances` (edit distance from the query to each logged
 * model), skipping model `exclude` (-1: none). EXH_ERR_INVALID when the
 * query's partial is NaN or no logged model has both values. */
EXH_API int exh_knn_partial_predict(const exh_knn_partial_set *set, const double *distances,
                                    double query_partial, double lambda, int k, int exclude, double *out,
                                    exh_error *err);

/* The default grid of lambda: 0, 0.25, 0.5, 1, ..., 64 (edit-distance units
 * per unit of the metric: accuracy points and losses differ in scale). */
#define EXH_KNN_PARTIAL_GRID_SIZE 10
EXH_API extern const double exh_knn_partial_default_grid[EXH_KNN_PARTIAL_GRID_SIZE];

/* Leave-one-out choice of lambda over the set; pair_distances is the
 * count x count matrix of edit distances between the logged models (row i:
 * from model i). *error (may be NULL) receives the winner's mean absolute
 * error. */
EXH_API int exh_knn_partial_choose(const exh_knn_partial_set *set, const double *pair_distances, int k,
                                   const double *grid, int grid_size, double *lambda, double *error,
                                   exh_error *err);

#endif
