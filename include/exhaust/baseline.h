/*
 * baseline.h — the two baselines a k-NN prediction must beat.
 *
 *   exh_baseline_random  the curve of a logged model drawn uniformly from the
 *                    repository;
 *   exh_baseline_size    the curve of a logged model drawn uniformly among those
 *                    whose size is closest to the query's size.
 *
 * Size (exh_baseline_model_size): the number of layers, except for nb201 tables,
 * where every cell has 6 edges and the size is the number of edges whose
 * operation is not `none` (exh_nb201_operation_count's notion).
 *
 * Both draw from the generator they are given (rng.h), so a seed fixes the
 * result. `exclude` (-1 for none) leaves one repository model out, for
 * leave-one-out evaluation. The prediction has one neighbour, weight 1,
 * distance NaN (no distance is computed), and that model's curve unchanged.
 * EXH_ERR_INVALID when there is no model to draw from.
 */
#ifndef EXHAUST_BASELINE_H
#define EXHAUST_BASELINE_H

#include "exhaust/export.h"

#include "exhaust/knn.h"
#include "exhaust/rng.h"

EXH_API int exh_baseline_model_size(exh_penalty_kind kind, const exh_layer *layers, int count);

EXH_API int exh_baseline_random(const exh_knn_repository *r, exh_rng *g, int exclude, exh_knn_prediction *out,
                                exh_error *err);
EXH_API int exh_baseline_size(const exh_knn_repository *r, exh_rng *g, const exh_layer *layers, int count, int exclude,
                              exh_knn_prediction *out, exh_error *err);

#endif
