/*
 * baseline.h — the two baselines a k-NN prediction must beat.
 *
 *   baseline_random  the curve of a logged model drawn uniformly from the
 *                    repository;
 *   baseline_size    the curve of a logged model drawn uniformly among those
 *                    whose size is closest to the query's size.
 *
 * Size (baseline_model_size): the number of layers, except for nb201 tables,
 * where every cell has 6 edges and the size is the number of edges whose
 * operation is not `none` (nb201_operation_count's notion).
 *
 * Both draw from the generator they are given (rng.h), so a seed fixes the
 * result. `exclude` (-1 for none) leaves one repository model out, for
 * leave-one-out evaluation. The prediction has one neighbour, weight 1,
 * distance NaN (no distance is computed), and that model's curve unchanged.
 * EXH_ERR_INVALID when there is no model to draw from.
 */
#ifndef EXHAUST_BASELINE_H
#define EXHAUST_BASELINE_H

#include "exhaust/knn.h"
#include "exhaust/rng.h"

int baseline_model_size(penalty_kind kind, const layer *layers, int count);

int baseline_random(const knn_repository *r, rng *g, int exclude, knn_prediction *out,
                    exh_error *err);
int baseline_size(const knn_repository *r, rng *g, const layer *layers, int count, int exclude,
                  knn_prediction *out, exh_error *err);

#endif
