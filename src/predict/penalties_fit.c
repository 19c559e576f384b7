/* penalties_fit.c — choose the penalty table under which k-NN predicts a
 * repository's own models best (penalties.h describes the search). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exhaust/knn.h"
#include "exhaust/penalties.h"
#include "exhaust/rng.h"
#include "exhaust/targets.h"

#define MAX_FREE_ENTRIES 16
#define IMPROVEMENT 1e-12

void exh_penalties_fit_options_default(exh_penalties_fit_options *o)
{
    o->k = EXH_KNN_DEFAULT_K;
    o->rounds = 4;
    o->max_models = 1000;
    o->seed = 1;
    o->progress = (exh_progress){NULL, NULL};
}

/* A free entry: where it lives, and its mirror for symmetric pairs. */
typedef struct free_entry {
    double *value, *mirror;
} free_entry;

static void add_if_finite(free_entry *out, int *n, double *value, double *mirror)
{
    if (isfinite(*value))
        out[(*n)++] = (free_entry){value, mirror};
}

static int free_entries(exh_penalty_table *t, free_entry *out)
{
    int n = 0;
    switch (t->kind) {
    case EXH_PENALTY_NB201:
        for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
            for (int y = x + 1; y < EXH_NB201_OPERATIONS; y++)
                add_if_finite(out, &n, &t->nb201.replace[x][y], &t->nb201.replace[y][x]);
        add_if_finite(out, &n, &t->nb201.indel, NULL);
        add_if_finite(out, &n, &t->nb201.disconnect, NULL);
        break;
    case EXH_PENALTY_CONVCHAIN:
        add_if_finite(out, &n, &t->convchain.filters, NULL);
        add_if_finite(out, &n, &t->convchain.kernel, NULL);
        add_if_finite(out, &n, &t->convchain.stride, NULL);
        add_if_finite(out, &n, &t->convchain.different_stride_indel, NULL);
        add_if_finite(out, &n, &t->convchain.same_stride_indel, NULL);
        break;
    case EXH_PENALTY_DENSE:
        add_if_finite(out, &n, &t->dense.type, NULL);
        add_if_finite(out, &n, &t->dense.units, NULL);
        add_if_finite(out, &n, &t->dense.activation, NULL);
        add_if_finite(out, &n, &t->dense.skip_source, NULL);
        for (int op = 0; op < EXH_DENSE_OP_COUNT; op++)
            add_if_finite(out, &n, &t->dense.indel[op], NULL);
        break;
    case EXH_PENALTY_GRAPH:
        add_if_finite(out, &n, &t->graph.op, NULL);
        add_if_finite(out, &n, &t->graph.input, NULL);
        add_if_finite(out, &n, &t->graph.indel, NULL);
        break;
    default:
        break;
    }
    return n;
}

/* What the search works on: a copy of (a sample of) the repository and each
 * model's best logged validation value (NaN when it has none). */
typedef struct fit_state {
    exh_knn_repository *models;
    double *target;
    double mean_target;
    int scored;
    int k;
} fit_state;

static int sample_indices(int count, int wanted, exh_rng *g, int *out)
{
    for (int i = 0; i < count; i++)
        out[i] = i;
    if (wanted <= 0 || wanted >= count)
        return count;
    for (int i = 0; i < wanted; i++) {
        int j = i + (int)exh_rng_below(g, (uint32_t)(count - i));
        int swap = out[i];
        out[i] = out[j];
        out[j] = swap;
    }
    /* keep repository order among the chosen, so ties break as they would there */
    for (int i = 1; i < wanted; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int swap = out[j];
            out[j] = out[j - 1];
            out[j - 1] = swap;
        }
    return wanted;
}

static int copy_models(const exh_knn_repository *from, const int *indices, int n, fit_state *s,
                       exh_error *err)
{
    int rc = exh_knn_repository_new(exh_knn_repository_penalties(from),
                                    exh_knn_repository_metric(from), &s->models, err);
    for (int i = 0; i < n && rc == EXH_OK; i++) {
        int count;
        const exh_layer *layers = exh_knn_repository_layers(from, indices[i], &count);
        exh_knn_curve curve = exh_knn_repository_curve(from, indices[i]);
        rc = exh_knn_repository_add(s->models, exh_knn_repository_name(from, indices[i]), layers,
                                    count, &curve, err);
    }
    return rc;
}

static int prepare(const exh_knn_repository *from, const exh_penalties_fit_options *o, exh_rng *g,
                   fit_state *s, exh_error *err)
{
    int count = exh_knn_repository_count(from);
    int *indices = malloc(sizeof(int) * (size_t)(count > 0 ? count : 1));
    s->target = malloc(sizeof(double) * (size_t)(count > 0 ? count : 1));
    if (!indices || !s->target) {
        free(indices);
        return exh_error_set(err, EXH_ERR_NOMEM, "fit penalties: out of memory");
    }
    int n = sample_indices(count, o->max_models, g, indices);
    int rc = copy_models(from, indices, n, s, err);
    free(indices);
    if (rc < 0)
        return rc;
    int higher = exh_knn_metric_higher_is_better(exh_knn_repository_metric(from));
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        exh_knn_curve curve = exh_knn_repository_curve(s->models, i);
        exh_targets_best(curve.channel[EXH_KNN_VALIDATION], curve.epochs, higher, &s->target[i],
                         NULL, NULL);
        if (!isnan(s->target[i])) {
            sum += s->target[i];
            s->scored++;
        }
    }
    if (s->scored < o->k + 1 || n < o->k + 1)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "fit penalties: %d of %d models have a validation value; K = %d needs "
                             "at least %d",
                             s->scored, n, o->k, o->k + 1);
    s->mean_target = sum / s->scored;
    return EXH_OK;
}

/* Leave-one-out absolute errors of models [from, to) into errors[] (NaN
 * for models without a target); one thread's share of score(). */
typedef struct score_share {
    const fit_state *s;
    int from, to, higher;
    double *errors;
    int rc, failed_at; /* the first failure: code and model */
    exh_error err;
} score_share;

static void *score_range(void *argument)
{
    score_share *w = argument;
    const fit_state *s = w->s;
    exh_knn_prediction prediction;
    exh_knn_prediction_init(&prediction);
    w->rc = EXH_OK;
    for (int i = w->from; i < w->to; i++) {
        w->errors[i] = NAN;
        if (isnan(s->target[i]))
            continue;
        double predicted = NAN;
        int rc = exh_knn_predict_leave_out(s->models, i, s->k, &prediction, &w->err);
        if (rc == EXH_OK)
            exh_targets_best(prediction.channel[EXH_KNN_VALIDATION], prediction.epochs, w->higher,
                             &predicted, NULL, NULL);
        else if (rc != EXH_ERR_NOT_FOUND) {
            w->rc = rc;
            w->failed_at = i;
            break;
        }
        if (isnan(predicted))
            predicted = s->mean_target;
        w->errors[i] = fabs(predicted - s->target[i]);
    }
    exh_knn_prediction_clear(&prediction);
    return NULL;
}

/* Threads for the leave-one-out predictions: the machine's cores, at most
 * SCORE_MAX_THREADS, one per SCORE_MODELS_PER_THREAD models at least. */
#define SCORE_MAX_THREADS 8
#define SCORE_MODELS_PER_THREAD 64

static int score_threads(int n)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores > 0 ? (int)cores : 1;
    if (threads > SCORE_MAX_THREADS)
        threads = SCORE_MAX_THREADS;
    if (threads > n / SCORE_MODELS_PER_THREAD)
        threads = n / SCORE_MODELS_PER_THREAD;
    return threads < 1 ? 1 : threads;
}

/* Leave-one-out mean absolute error of the best validation value. The
 * models are split among threads (each prediction reads the repository
 * only); the errors are summed in model order afterwards, so the result
 * does not depend on the number of threads. */
static int score(fit_state *s, const exh_penalty_table *t, double *error, exh_error *err)
{
    int rc = exh_knn_repository_set_penalties(s->models, t, err);
    if (rc < 0)
        return rc;
    int n = exh_knn_repository_count(s->models);
    double *errors = malloc((size_t)(n > 0 ? n : 1) * sizeof *errors);
    if (!errors)
        return exh_error_set(err, EXH_ERR_NOMEM, "fit penalties: out of memory");
    int threads = score_threads(n);
    score_share shares[SCORE_MAX_THREADS];
    pthread_t ids[SCORE_MAX_THREADS];
    int started[SCORE_MAX_THREADS] = {0};
    int higher = exh_knn_metric_higher_is_better(exh_knn_repository_metric(s->models));
    for (int w = 0; w < threads; w++) {
        shares[w] = (score_share){s, (int)((long)n * w / threads),
                                  (int)((long)n * (w + 1) / threads), higher, errors,
                                  EXH_OK, -1, {0}};
        if (w > 0)
            started[w] = pthread_create(&ids[w], NULL, score_range, &shares[w]) == 0;
        if (w > 0 && !started[w])
            score_range(&shares[w]); /* no thread: do its share here */
    }
    score_range(&shares[0]);
    for (int w = 1; w < threads; w++)
        if (started[w])
            pthread_join(ids[w], NULL);
    for (int w = 0; w < threads; w++)
        if (shares[w].rc < 0) { /* the first failing model's error */
            *err = shares[w].err;
            rc = shares[w].rc;
            free(errors);
            return rc;
        }
    double total = 0.0;
    for (int i = 0; i < n; i++)
        if (!isnan(s->target[i]))
            total += errors[i];
    free(errors);
    *error = total / s->scored;
    return EXH_OK;
}

static double on_grid(double value)
{
    double rounded = round(value / EXH_PENALTIES_FIT_GRID) * EXH_PENALTIES_FIT_GRID;
    return rounded < EXH_PENALTIES_FIT_MAX ? rounded : EXH_PENALTIES_FIT_MAX;
}

static double positive_mean(exh_penalty_table *t)
{
    free_entry entries[MAX_FREE_ENTRIES];
    int n = free_entries(t, entries), positive = 0;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        if (*entries[i].value > 0) {
            sum += *entries[i].value;
            positive++;
        }
    return positive ? sum / positive : 1.0;
}

/* Try the candidate values of one entry of *best; keep the best one. */
static int improve_entry(fit_state *s, exh_penalty_table *best, int entry, double *best_error,
                         int *evaluations, exh_error *err)
{
    static const double FACTORS[] = {0.0, 0.25, 0.5, 2.0, 4.0};
    static const double FROM_ZERO[] = {0.25, 0.5, 1.0, 2.0, 4.0};
    exh_penalty_table start = *best;
    free_entry entries[MAX_FREE_ENTRIES];
    free_entries(&start, entries);
    double current = *entries[entry].value, scale = positive_mean(&start);
    for (int f = 0; f < 5; f++) {
        double value = on_grid(current > 0 ? current * FACTORS[f] : scale * FROM_ZERO[f]);
        if (value == current)
            continue;
        exh_penalty_table candidate = start;
        free_entry moved[MAX_FREE_ENTRIES];
        free_entries(&candidate, moved);
        *moved[entry].value = value;
        if (moved[entry].mirror)
            *moved[entry].mirror = value;
        double error;
        int rc = score(s, &candidate, &error, err);
        if (rc < 0)
            return rc;
        (*evaluations)++;
        if (error < *best_error - IMPROVEMENT) {
            *best_error = error;
            *best = candidate;
        }
    }
    return EXH_OK;
}

static int search(fit_state *s, const exh_penalties_fit_options *o, exh_rng *g,
                  exh_penalty_table *table, exh_penalties_fit_result *result, exh_error *err)
{
    free_entry entries[MAX_FREE_ENTRIES];
    int n = free_entries(table, entries), order[MAX_FREE_ENTRIES];
    double error;
    int rc = score(s, table, &error, err);
    if (rc < 0)
        return rc;
    result->initial_error = error;
    result->evaluations = 1;
    for (int round = 0; round < o->rounds; round++) {
        double before = error;
        for (int i = 0; i < n; i++)
            order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)exh_rng_below(g, (uint32_t)(i + 1)), swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        for (int i = 0; i < n; i++) {
            if ((rc = improve_entry(s, table, order[i], &error, &result->evaluations, err)) < 0)
                return rc;
            exh_progress_report(&o->progress, "entries", (int64_t)round * n + i + 1,
                                (int64_t)o->rounds * n);
        }
        if (!(error < before - IMPROVEMENT))
            break;
    }
    result->final_error = error;
    result->models = s->scored;
    return EXH_OK;
}

int exh_penalties_fit(const struct exh_knn_repository *repository,
                      const exh_penalties_fit_options *o, exh_penalty_table *table,
                      exh_penalties_fit_result *result, exh_error *err)
{
    exh_penalties_fit_result ignored;
    result = result ? result : &ignored;
    memset(result, 0, sizeof *result);
    if (exh_penalties_validate(table, err) < 0)
        return EXH_ERR_INVALID;
    exh_penalty_kind kind = exh_knn_repository_penalties(repository)->kind;
    if (table->kind != kind)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "fit penalties: the starting table is for %s, the repository for %s",
                             exh_penalties_kind_name(table->kind), exh_penalties_kind_name(kind));
    if (o->k < 1 || o->rounds < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "fit penalties: K = %d, rounds = %d", o->k,
                             o->rounds);
    exh_rng *g = exh_rng_new(o->seed);
    fit_state s = {.k = o->k};
    int rc = g ? prepare(repository, o, g, &s, err)
               : exh_error_set(err, EXH_ERR_NOMEM, "fit penalties: out of memory");
    if (rc == EXH_OK)
        rc = search(&s, o, g, table, result, err);
    exh_knn_repository_free(s.models);
    free(s.target);
    exh_rng_free(g);
    return rc;
}
