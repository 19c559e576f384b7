/* gp.c — a Gaussian process on the edit distance (see gp.h). */
#include "exhaust/gp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define TWO_PI 6.28318530717958647692

struct exh_gp_model {
    int n;            /* models given to gp_fit */
    int used;         /* with a target */
    int *index;       /* used -> given */
    double *chol;     /* used x used, lower Cholesky factor of K */
    double *alpha;    /* K^-1 (y - mean) */
    double *work;     /* used: scratch for gp_predict's solve */
    exh_gp_hyperparameters h;
};

void exh_gp_options_default(exh_gp_options *o)
{
    static const double lengths[] = {0.125, 0.25, 0.5, 1, 2, 4};
    static const double noises[] = {0.001, 0.01, 0.03, 0.1, 0.3, 1};
    memset(o, 0, sizeof *o);
    o->length_count = (int)(sizeof lengths / sizeof *lengths);
    o->noise_count = (int)(sizeof noises / sizeof *noises);
    memcpy(o->length_factors, lengths, sizeof lengths);
    memcpy(o->noise_ratios, noises, sizeof noises);
}

/* In-place lower Cholesky factor of the n x n row-major a; 0 if a is not
 * positive definite. Written here rather than GSL's because GSL reports a
 * matrix that is not positive definite through its error handler, which
 * aborts the process unless the caller changes a global setting — and
 * failing here is an expected outcome (gp.h), not an error. */
static int cholesky(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double *row_j = a + (size_t)j * n;
        double diagonal = row_j[j];
        for (int k = 0; k < j; k++)
            diagonal -= row_j[k] * row_j[k];
        if (!(diagonal > 0))
            return 0;
        row_j[j] = sqrt(diagonal);
        for (int i = j + 1; i < n; i++) {
            double *row_i = a + (size_t)i * n, sum = row_i[j];
            for (int k = 0; k < j; k++)
                sum -= row_i[k] * row_j[k];
            row_i[j] = sum / row_j[j];
        }
    }
    return 1;
}

/* x = L^-1 b (forward substitution), in place. */
static void solve_lower(const double *l, int n, double *x)
{
    for (int i = 0; i < n; i++) {
        const double *row = l + (size_t)i * n;
        double sum = x[i];
        for (int k = 0; k < i; k++)
            sum -= row[k] * x[k];
        x[i] = sum / row[i];
    }
}

/* x = L^-T b (back substitution), in place. */
static void solve_upper(const double *l, int n, double *x)
{
    for (int i = n - 1; i >= 0; i--) {
        double sum = x[i];
        for (int k = i + 1; k < n; k++)
            sum -= l[(size_t)k * n + i] * x[k];
        x[i] = sum / l[(size_t)i * n + i];
    }
}

static double kernel(double distance, double length)
{
    return isinf(distance) ? 0.0 : exp(-distance / length);
}

/* The median of the finite off-diagonal distances among the used models
 * (the length grid's unit); 1 when there are none or it is 0. */
static double median_distance(const double *d, int n, const int *index, int used)
{
    double *values = malloc(sizeof *values * (size_t)used * (size_t)used + sizeof *values);
    if (!values)
        return 1.0;
    size_t count = 0;
    for (int i = 0; i < used; i++)
        for (int j = i + 1; j < used; j++) {
            double v = d[(size_t)index[i] * n + index[j]];
            if (isfinite(v))
                values[count++] = v;
        }
    double median = 1.0;
    if (count > 0) {
        gsl_sort(values, 1, count);
        median = gsl_stats_median_from_sorted_data(values, 1, count);
    }
    free(values);
    return median > 0 ? median : 1.0;
}

/* Factor K for (length, noise) into chol and fill alpha and the
 * hyperparameters' mean, scale and likelihood; 0 if K is not positive
 * definite. `ones` is scratch of `used` values. */
static int try_hyperparameters(exh_gp_model *g, const double *d, const double *y, double length,
                               double noise, double *ones)
{
    int n = g->n, m = g->used;
    for (int i = 0; i < m; i++)
        for (int j = 0; j <= i; j++) {
            double k = kernel(d[(size_t)g->index[i] * n + g->index[j]], length);
            g->chol[(size_t)i * m + j] = i == j ? 1.0 + noise : k;
        }
    if (!cholesky(g->chol, m))
        return 0;
    /* Generalized least-squares mean: (1' K^-1 y) / (1' K^-1 1). */
    for (int i = 0; i < m; i++) {
        ones[i] = 1.0;
        g->alpha[i] = y[g->index[i]];
    }
    solve_lower(g->chol, m, ones);
    solve_lower(g->chol, m, g->alpha);
    double one_one = 0, one_y = 0;
    for (int i = 0; i < m; i++) {
        one_one += ones[i] * ones[i];
        one_y += ones[i] * g->alpha[i];
    }
    double mean = one_y / one_one;
    for (int i = 0; i < m; i++)
        g->alpha[i] = y[g->index[i]] - mean;
    solve_lower(g->chol, m, g->alpha); /* now L^-1 r: its squared norm is r' K^-1 r */
    double quadratic = 0, log_determinant = 0;
    for (int i = 0; i < m; i++) {
        quadratic += g->alpha[i] * g->alpha[i];
        log_determinant += 2 * log(g->chol[(size_t)i * m + i]);
    }
    solve_upper(g->chol, m, g->alpha); /* K^-1 r */
    double scale = quadratic / m;
    if (!(scale > 0))
        scale = 1e-12; /* every target equal: any tiny scale explains them */
    g->h.length = length;
    g->h.noise_ratio = noise;
    g->h.scale = scale;
    g->h.mean = mean;
    g->h.log_likelihood = -0.5 * m * (log(TWO_PI * scale) + 1.0) - 0.5 * log_determinant;
    return 1;
}

static exh_gp_model *model_new(int n, const double *targets)
{
    exh_gp_model *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->n = n;
    g->index = malloc(sizeof *g->index * (size_t)(n > 0 ? n : 1));
    if (!g->index) {
        free(g);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!isnan(targets[i]))
            g->index[g->used++] = i;
    size_t m = (size_t)(g->used > 0 ? g->used : 1);
    g->chol = malloc(sizeof(double) * m * m);
    g->alpha = malloc(sizeof(double) * m * 2);
    g->work = g->alpha + m;
    if (!g->chol || !g->alpha) {
        exh_gp_free(g);
        return NULL;
    }
    return g;
}

int exh_gp_fit(const double *pair_distances, const double *targets, int n,
               const exh_gp_options *options, exh_gp_model **out, exh_error *err)
{
    *out = NULL;
    exh_gp_options defaults;
    if (!options) {
        exh_gp_options_default(&defaults);
        options = &defaults;
    }
    exh_gp_model *g = model_new(n, targets);
    if (!g)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (g->used < 2) {
        exh_gp_free(g);
        return exh_error_set(err, EXH_ERR_INVALID, "a Gaussian process needs at least 2 models "
                                               "with a target (%d given)", n);
    }
    double unit = median_distance(pair_distances, n, g->index, g->used);
    double best_likelihood = -INFINITY, best_length = NAN, best_noise = NAN;
    double *ones = g->work;
    for (int a = 0; a < options->length_count; a++)
        for (int b = 0; b < options->noise_count; b++) {
            double length = options->length_factors[a] * unit, noise = options->noise_ratios[b];
            if (try_hyperparameters(g, pair_distances, targets, length, noise, ones) &&
                g->h.log_likelihood > best_likelihood) {
                best_likelihood = g->h.log_likelihood;
                best_length = length;
                best_noise = noise;
            }
        }
    if (isnan(best_length)) {
        exh_gp_free(g);
        return exh_error_set(err, EXH_ERR_INVALID, "no length scale and noise of the grid give a "
                                               "positive definite kernel matrix");
    }
    try_hyperparameters(g, pair_distances, targets, best_length, best_noise, ones);
    g->h.used = g->used;
    *out = g;
    return EXH_OK;
}

void exh_gp_predict(const exh_gp_model *g, const double *query_distances, double *mean, double *sd)
{
    int m = g->used;
    double *k = g->work, estimate = g->h.mean;
    for (int i = 0; i < m; i++) {
        k[i] = kernel(query_distances[g->index[i]], g->h.length);
        estimate += k[i] * g->alpha[i];
    }
    *mean = estimate;
    if (!sd)
        return;
    solve_lower(g->chol, m, k);
    double explained = 0;
    for (int i = 0; i < m; i++)
        explained += k[i] * k[i];
    double variance = g->h.scale * (1.0 + g->h.noise_ratio - explained);
    *sd = sqrt(variance > 0 ? variance : 0.0);
}

void exh_gp_describe(const exh_gp_model *g, exh_gp_hyperparameters *out)
{
    *out = g->h;
}

void exh_gp_free(exh_gp_model *g)
{
    if (!g)
        return;
    free(g->index);
    free(g->chol);
    free(g->alpha);
    free(g);
}
