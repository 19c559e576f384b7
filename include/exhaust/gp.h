/*
 * gp.h — a Gaussian process on the edit distance: a prediction with an
 * uncertainty for an untrained architecture, from logged models.
 *
 * k-NN averages a few neighbours; a Gaussian process weighs every logged
 * model by how alike it is to the query *and* discounts logged models that
 * are alike to each other (two near-copies do not count twice), which is
 * what k-NN cannot do. It needs no vector encoding of an architecture: only
 * the edit distances (editdist.h, exh_knn_distances) between models, so it
 * serves every space.
 *
 * Model. For logged models with targets y_i and pairwise edit distances
 * D_ij, the targets are a constant mean plus a zero-mean process with
 * covariance
 *
 *     cov(y_i, y_j) = s2 * (exp(-D_ij / l) + noise * [i == j])
 *
 * (an infinite distance gives covariance 0). exp(-d/l) is the Laplace
 * kernel; on a general edit distance it need not be positive definite, so
 * a hyperparameter pair whose matrix is not (Cholesky fails) is skipped.
 *
 * Hyperparameters by marginal likelihood. The length l is searched over a
 * grid of multiples of the median finite pairwise distance, the noise ratio
 * over a fixed grid; for each pair the constant mean is its generalized
 * least-squares estimate and the scale s2 its maximum-likelihood value
 * (both closed form), and the pair of the highest log marginal likelihood
 * wins (the first on ties: the grids go from short to long, low to high).
 *
 * Prediction for a query with distances d_i to the logged models:
 *     k_i  = exp(-d_i / l)
 *     mean = m + k' K^-1 (y - m)          K = exp(-D/l) + noise I
 *     sd   = sqrt(s2 * (1 + noise - k' K^-1 k))   (of a new observation)
 * A query infinitely far from every logged model gets the mean m and the
 * prior's sd.
 *
 *     exh_gp_model *g;
 *     exh_gp_fit(pair_distances, best_values, n, NULL, &g, &err);
 *     exh_gp_predict(g, query_distances, &mean, &sd);
 *     exh_gp_free(g);
 */
#ifndef EXHAUST_GP_H
#define EXHAUST_GP_H

#include "exhaust/export.h"

#include "exhaust/error.h"

#define EXH_GP_MAX_GRID 16

typedef struct exh_gp_options {
    /* Length scales as multiples of the median finite pairwise distance. */
    double length_factors[EXH_GP_MAX_GRID];
    int length_count;
    /* Noise variance as a share of the signal variance s2. */
    double noise_ratios[EXH_GP_MAX_GRID];
    int noise_count;
} exh_gp_options;

/* Lengths 0.125, 0.25, 0.5, 1, 2, 4 (x the median distance); noise ratios
 * 0.001, 0.01, 0.03, 0.1, 0.3, 1. */
EXH_API void exh_gp_options_default(exh_gp_options *o);

typedef struct exh_gp_model exh_gp_model;

/* Fit on n logged models: `pair_distances` is n x n (row i: from model i;
 * symmetric, zero diagonal), `targets` n values. Models with a NaN target
 * are left out. EXH_ERR_INVALID when fewer than 2 models remain or no grid
 * pair gives a positive definite matrix; `options` may be NULL (defaults). */
EXH_API int exh_gp_fit(const double *pair_distances, const double *targets, int n,
                       const exh_gp_options *options, exh_gp_model **out, exh_error *err);

/* Predict from the query's distances to the n models exh_gp_fit was given (in
 * the same order; left-out models' entries are ignored). `sd` may be NULL. */
/* Uses scratch memory inside the model: one thread per model at a time. */
EXH_API void exh_gp_predict(const exh_gp_model *g, const double *query_distances, double *mean, double *sd);

/* The chosen hyperparameters and the log marginal likelihood. */
typedef struct exh_gp_hyperparameters {
    double length, noise_ratio, scale, mean, log_likelihood;
    int used;   /* models fitted (those with a target) */
} exh_gp_hyperparameters;

EXH_API void exh_gp_describe(const exh_gp_model *g, exh_gp_hyperparameters *out);
EXH_API void exh_gp_free(exh_gp_model *g);

#endif
