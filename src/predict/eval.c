/* eval.c — the evaluation protocol (see eval.h): repeated 3:1:1 splits,
 * errors and rank correlations per method, top-3 selection under budgets. */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/baseline.h"
#include "exhaust/eval.h"
#include "exhaust/knn_partial.h"
#include "exhaust/targets.h"
#include "predict/eval_internal.h"

static const char *const METHOD_NAMES[] = {"baseline1", "baseline2", "1-NN", "3-NN", "5-NN",
                                           "GP", "5-NN+partial"};
/* After them, with the LSTM: the LSTM, and where partial values exist the
 * LSTM on the residual of a quadratic of the partial value, and that
 * quadratic alone (eval_lstm.c). */
static const char *const LSTM_NAMES[] = {"LSTM", "LSTM+partial", "quadratic of partial"};
static const char *const LSTM_PAPER_NAMES[] = {"LSTM paper", "LSTM paper+partial",
                                               "quadratic of partial"};

void exh_eval_options_default(exh_eval_options *o)
{
    memset(o, 0, sizeof *o);
    o->models = EXH_EVAL_DEFAULT_MODELS;
    o->repeats = EXH_EVAL_DEFAULT_REPEATS;
    o->top3_repeats = EXH_EVAL_DEFAULT_TOP3_REPEATS;
    o->seed = 1;
    o->budgets[0] = o->budgets[1] = NAN;
    o->use_partial = 1;
    o->use_lstm = 1;
}

/* Sample M models, shuffle, cut 3:1:1, and build the repository. */
static int make_split(const exh_eval_dataset *d, int models, const exh_penalty_table *penalties,
                      int fit, uint64_t fit_seed, exh_rng *r, split *out, exh_error *err)
{
    if (models > d->count)
        models = d->count;
    int *order = malloc(sizeof *order * (size_t)d->count);
    if (!order)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; i < d->count; i++)
        order[i] = i;
    exh_rng_sample(r, order, d->count, models);
    int train = models * 3 / 5, validation = models / 5;
    int rc = eval_split_build(d, order, train + validation, train, order + train + validation,
                              models - train - validation, penalties, fit, fit_seed, out, err);
    free(order);
    return rc;
}

static double kendall_tau(const double *x, const double *y, int n)
{
    long concordant = 0, discordant = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double a = (x[i] - x[j]) * (y[i] - y[j]);
            concordant += a > 0;
            discordant += a < 0;
        }
    long pairs = (long)n * (n - 1) / 2;
    return pairs ? (double)(concordant - discordant) / (double)pairs : NAN;
}

void eval_score_ranks(method_scores *score, const double *predicted, const double *truth, int n)
{
    if (n < 3)
        return;
    accumulate(&score->tau, kendall_tau(predicted, truth, n));
    double *work = malloc(sizeof(double) * 2 * (size_t)n);
    if (work)
        accumulate(&score->rho, gsl_stats_spearman(predicted, 1, truth, 1, (size_t)n, work));
    free(work);
}

/* The value a model reaches within `budget` (eval_internal.h). */
double eval_within_budget(const double *validation, const double *seconds, int epochs,
                          double budget, int higher)
{
    double per_epoch, best;
    if (exh_targets_mean_epoch_time(seconds, epochs, &per_epoch, NULL) < 0 ||
        exh_targets_best_within_budget(validation, epochs, per_epoch, budget, higher, &best, NULL,
                                       NULL) < 0)
        return higher ? -INFINITY : INFINITY;
    return best;
}

int eval_record(const eval_recorder *rec, int model, int method, double predicted_best,
                double true_best, double predicted_overfit, double true_overfit,
                exh_error *err)
{
    exh_eval_result *r = rec->result;
    for (int64_t i = r->prediction_count - 1; i >= 0; i--) {
        exh_eval_prediction *p = &r->predictions[i];
        if (p->repeat != rec->repeat)
            break; /* records of one repeat are together */
        if (p->model == model && p->method == method) {
            if (!isnan(predicted_best))
                p->predicted_best = predicted_best, p->true_best = true_best;
            if (!isnan(predicted_overfit))
                p->predicted_overfit = predicted_overfit, p->true_overfit = true_overfit;
            return EXH_OK;
        }
    }
    if (r->prediction_count == r->prediction_capacity) {
        int64_t capacity = r->prediction_capacity ? 2 * r->prediction_capacity : 1024;
        exh_eval_prediction *grown = realloc(r->predictions, sizeof *grown * (size_t)capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        r->predictions = grown;
        r->prediction_capacity = capacity;
    }
    r->predictions[r->prediction_count++] = (exh_eval_prediction){
        rec->repeat, model, method, predicted_best, true_best, predicted_overfit, true_overfit};
    return EXH_OK;
}

void exh_eval_result_clear(exh_eval_result *r)
{
    free(r->predictions);
    r->predictions = NULL;
    r->prediction_count = r->prediction_capacity = 0;
    for (int i = 0; i < r->example_count; i++) {
        free(r->examples[i].logged);
        free(r->examples[i].predicted);
    }
    r->example_count = 0;
}

static double *copy_curve(const double *values, int epochs)
{
    double *copy = malloc(sizeof *copy * (size_t)(epochs > 0 ? epochs : 1));
    if (copy && epochs > 0)
        memcpy(copy, values, sizeof *copy * (size_t)epochs);
    return copy;
}

/* Keep model m's logged curve and 5-NN's prediction of it (the first
 * split's first test models: the paper's Fig. 4 on this data). */
static int keep_example(exh_eval_result *r, int model, const exh_eval_model *m,
                        const exh_knn_prediction *p, exh_error *err)
{
    if (r->example_count == EXH_EVAL_CURVE_EXAMPLES)
        return EXH_OK;
    exh_eval_curve_example *x = &r->examples[r->example_count];
    *x = (exh_eval_curve_example){model, m->epochs, p->epochs, copy_curve(m->validation, m->epochs),
                              copy_curve(p->channel[EXH_KNN_VALIDATION], p->epochs)};
    r->example_count++; /* counted even when a copy failed, so clear frees it */
    return x->logged && x->predicted ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
}

/* One repeat of the error protocol for every method; with rec, every
 * prediction is recorded too. */
static int score_split(const exh_eval_dataset *d, const split *s, int methods, exh_rng *r,
                       method_scores *scores, accumulator *noise, const eval_recorder *rec,
                       exh_error *err)
{
    int higher = d->metric == EXH_KNN_ACCURACY;
    double *predicted = malloc(sizeof(double) * (size_t)s->test_count * 2 + 1);
    double *truth = predicted + s->test_count;
    split_methods x;
    int rc = predicted ? eval_split_methods_prepare(d, s, methods, &x, err)
                       : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc < 0) {
        free(predicted);
        return rc;
    }
    if (methods > EVAL_METHOD_5NN_PARTIAL)
        accumulate(&scores[EVAL_METHOD_5NN_PARTIAL].lambda, x.partial.lambda);
    for (int method = 0; rc == 0 && method < methods; method++) {
        accumulator best = {0}, overfit = {0};
        int n = 0;
        for (int t = 0; rc == 0 && t < s->test_count; t++) {
            const exh_eval_model *m = &d->models[s->test[t]];
            exh_targets_summary real, guess;
            exh_targets_summarize(m->validation, m->train, m->seconds, m->epochs, higher, &real);
            rc = eval_estimate(d, s, &x, method, m, r, &guess, err);
            if (rc == 0 && rec)
                rc = eval_record(rec, s->test[t], method, guess.best_validation,
                                 real.best_validation, guess.overfitting, real.overfitting, err);
            if (rc == 0 && rec && rec->repeat == 0 && method == EVAL_METHOD_5NN &&
                x.prediction.epochs > 0)
                rc = keep_example(rec->result, s->test[t], m, &x.prediction, err);
            if (rc < 0 || isnan(guess.best_validation) || isnan(real.best_validation))
                continue;
            accumulate(&best, fabs(guess.best_validation - real.best_validation));
            if (!isnan(guess.overfitting) && !isnan(real.overfitting))
                accumulate(&overfit, fabs(guess.overfitting - real.overfitting));
            predicted[n] = guess.best_validation;
            truth[n++] = real.best_validation;
            if (method == 0 && !isnan(m->other_seed_best))
                accumulate(noise, fabs(m->other_seed_best - real.best_validation));
        }
        accumulate(&scores[method].best_error, mean_of(&best));
        accumulate(&scores[method].overfit_error, mean_of(&overfit));
        eval_score_ranks(&scores[method], predicted, truth, n);
    }
    eval_split_methods_free(&x);
    free(predicted);
    return rc;
}

/* Indices of the 3 best values (ties to the lower index). */
static void top3(const double *values, int n, int higher, int *out)
{
    for (int k = 0; k < 3; k++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            int taken = 0;
            for (int j = 0; j < k; j++)
                taken |= out[j] == i;
            if (!taken &&
                (best < 0 || (higher ? values[i] > values[best] : values[i] < values[best])))
                best = i;
        }
        out[k] = best;
    }
}

static int overlap(const int *a, const int *b)
{
    int shared = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            shared += a[i] >= 0 && a[i] == b[j];
    return shared;
}

/* One repeat of top-3 selection, the guesses of every method but the LSTM
 * for both budgets: truth[b * n + t] and guess[(method * 2 + b) * n + t]. */
static int select_guesses(const exh_eval_dataset *d, const split *s, int methods,
                          const double *budgets, exh_rng *r, double *truth, double *guess,
                          exh_error *err)
{
    int higher = d->metric == EXH_KNN_ACCURACY, n = s->test_count, rc = 0;
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    for (int t = 0; rc == 0 && t < n; t++) {
        const exh_eval_model *m = &d->models[s->test[t]];
        for (int b = 0; b < 2; b++)
            truth[b * n + t] =
                eval_within_budget(m->validation, m->seconds, m->epochs, budgets[b], higher);
        for (int method = 0; rc == 0 && method < methods; method++) {
            /* 5-NN+partial predicts the best value, not a curve; the GP
             * predicts the value within the budget directly (below). */
            if (method == EVAL_METHOD_5NN_PARTIAL || method == EVAL_METHOD_GP)
                continue;
            rc = eval_predict_curve(d, s, method, m, r, &p, err);
            int known = rc == 0;
            rc = rc == EXH_ERR_NOT_FOUND ? 0 : rc;
            for (int b = 0; b < 2; b++)
                guess[(method * 2 + b) * n + t] =
                    known ? eval_within_budget(p.channel[EXH_KNN_VALIDATION],
                                               p.channel[EXH_KNN_EPOCH_SECONDS], p.epochs,
                                               budgets[b], higher)
                          : (higher ? -INFINITY : INFINITY);
        }
    }
    split_distances sd = {0};
    if (rc == 0)
        rc = split_distances_compute(s, &sd, err);
    for (int b = 0; rc == 0 && b < 2; b++)
        rc = eval_gp_budget_guesses(d, s, &sd, budgets[b], guess + (EVAL_METHOD_GP * 2 + b) * n,
                                    err);
    split_distances_free(&sd);
    exh_knn_prediction_clear(&p);
    return rc;
}

/* Score one repeat's guesses (`scored` methods, the LSTM last when there). */
static void select_score(const exh_eval_dataset *d, int n, int methods, int scored,
                         const double *truth, const double *guess, accumulator any[][2],
                         accumulator shared[][2])
{
    int higher = d->metric == EXH_KNN_ACCURACY;
    for (int b = 0; b < 2; b++) {
        int real[3], chosen[3];
        top3(truth + b * n, n, higher, real);
        for (int method = 0; method < scored; method++) {
            if (method < methods && method == EVAL_METHOD_5NN_PARTIAL)
                continue;
            top3(guess + (method * 2 + b) * n, n, higher, chosen);
            int k = overlap(real, chosen);
            accumulate(&any[method][b], k > 0 ? 1.0 : 0.0);
            accumulate(&shared[method][b], k);
        }
    }
}

/* A model's whole training time: its mean logged epoch time times its
 * epochs, so that a curve logged only at some epochs is not undercounted. */
static double total_seconds(const exh_eval_model *m)
{
    double per_epoch;
    if (exh_targets_mean_epoch_time(m->seconds, m->epochs, &per_epoch, NULL) < 0)
        return NAN;
    return per_epoch * m->epochs;
}

/* Default budgets: the 30th and 60th percentiles of total training time. */
static void default_budgets(const exh_eval_dataset *d, const exh_eval_options *o, double *budgets)
{
    budgets[0] = o->budgets[0];
    budgets[1] = o->budgets[1];
    double *totals = malloc(sizeof *totals * (size_t)d->count);
    if (!totals)
        return;
    size_t n = 0;
    for (int i = 0; i < d->count; i++)
        if (isfinite(totals[n] = total_seconds(&d->models[i])))
            n++;
    gsl_sort(totals, 1, n);
    const double fractions[2] = {0.3, 0.6};
    for (int b = 0; b < 2; b++)
        if (isnan(budgets[b]) && n > 0)
            budgets[b] = gsl_stats_quantile_from_sorted_data(totals, 1, n, fractions[b]);
    free(totals);
}

/* One split of either table, kept until its LSTM job has run: the error
 * table's LSTM scores and records (this repeat's, merged in repeat order),
 * or top-3 selection's truth and guesses. */
typedef struct split_job {
    split s;
    int built;
    method_scores lstm[3];
    exh_eval_result part;
    double *truth, *guess;
} split_job;

typedef struct eval_plan {
    const exh_eval_dataset *d;
    const exh_eval_options *o;
    int methods, repeats, top3;
    const double *budgets;
    split_job *jobs; /* repeats error-table splits, then top3 selection splits */
} eval_plan;

/* The LSTM work of split `job`, on its own stream (seeded by the repeat,
 * as the plain protocol's): independent of every other job. */
static int lstm_job(void *context, int job, exh_error *err)
{
    const eval_plan *p = context;
    const exh_eval_options *o = p->o;
    split_job *j = &p->jobs[job];
    int top3 = job >= p->repeats, repeat = top3 ? job - p->repeats : job, rc = 0;
    if (top3 && j->s.test_count < 3)
        return EXH_OK;
    exh_rng *stream =
        exh_rng_new(o->seed * 7919u + (top3 ? 1000003u : 0u) + (uint64_t)repeat);
    if (!stream)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (!top3) {
        eval_recorder recorder = {&j->part, repeat};
        rc = eval_lstm_score(p->d, o->lstm_variant, &j->s, p->methods > EVAL_METHOD_5NN_PARTIAL,
                             stream, j->lstm, o->keep_predictions ? &recorder : NULL, p->methods,
                             err);
    }
    int n = j->s.test_count;
    for (int b = 0; top3 && rc == 0 && b < 2; b++)
        rc = eval_lstm_budget_guesses(p->d, o->lstm_variant, &j->s, p->budgets[b], stream,
                                      j->guess + (p->methods * 2 + b) * n, err);
    exh_rng_free(stream);
    return rc;
}

/* The non-LSTM work of every split, in order on the one generator r. */
static int plan_splits(eval_plan *p, exh_rng *r, method_scores *scores, accumulator *noise,
                       exh_error *err)
{
    const exh_eval_options *o = p->o;
    int rc = 0;
    for (int job = 0; rc == 0 && job < p->repeats + p->top3; job++) {
        split_job *j = &p->jobs[job];
        int top3 = job >= p->repeats, repeat = top3 ? job - p->repeats : job;
        rc = make_split(p->d, o->models, o->penalties, o->fit_penalties,
                        o->seed + (uint64_t)repeat, r, &j->s, err);
        j->built = rc == 0;
        eval_recorder recorder = {&j->part, repeat};
        if (rc == 0 && !top3)
            rc = score_split(p->d, &j->s, p->methods, r, scores, noise,
                             o->keep_predictions ? &recorder : NULL, err);
        int n = j->s.test_count;
        if (rc == 0 && top3 && n >= 3) {
            j->truth = malloc(sizeof(double) * (size_t)n * (2 + (size_t)p->methods) * 2);
            j->guess = j->truth ? j->truth + 2 * n : NULL;
            rc = j->truth ? select_guesses(p->d, &j->s, p->methods, p->budgets, r, j->truth,
                                           j->guess, err)
                          : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        }
        if (!o->use_lstm)
            exh_progress_report(&o->progress, "splits", job + 1, p->repeats + p->top3);
    }
    return rc;
}

/* Add a job's accumulator: each holds one value or none, so the sums are
 * exactly those of accumulating the value here. */
static void merge_accumulator(accumulator *into, const accumulator *from)
{
    into->sum += from->sum;
    into->squares += from->squares;
    into->count += from->count;
}

static void merge_scores(method_scores *into, const method_scores *from)
{
    merge_accumulator(&into->best_error, &from->best_error);
    merge_accumulator(&into->overfit_error, &from->overfit_error);
    merge_accumulator(&into->tau, &from->tau);
    merge_accumulator(&into->rho, &from->rho);
    merge_accumulator(&into->lambda, &from->lambda);
}

/* Append a repeat's records (and the first repeat's curve examples). */
static int merge_part(exh_eval_result *out, exh_eval_result *part, exh_error *err)
{
    for (int i = 0; i < part->example_count && out->example_count < EXH_EVAL_CURVE_EXAMPLES; i++)
        out->examples[out->example_count++] = part->examples[i];
    part->example_count = 0;
    int64_t need = out->prediction_count + part->prediction_count;
    if (need > out->prediction_capacity) {
        exh_eval_prediction *grown = realloc(out->predictions, sizeof *grown * (size_t)need);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        out->predictions = grown;
        out->prediction_capacity = need;
    }
    if (part->prediction_count)
        memcpy(out->predictions + out->prediction_count, part->predictions,
               sizeof *part->predictions * (size_t)part->prediction_count);
    out->prediction_count = need;
    return EXH_OK;
}

/* Gather the jobs in split order: the same sums, records and top-3 counts
 * as one thread doing one split after another. */
static int gather(const eval_plan *p, method_scores *scores, accumulator any[][2],
                  accumulator shared[][2], exh_eval_result *out, exh_error *err)
{
    int rc = 0, lstm = p->o->use_lstm;
    for (int job = 0; job < p->repeats + p->top3; job++) {
        split_job *j = &p->jobs[job];
        if (job < p->repeats) {
            for (int k = 0; lstm && k < 3; k++)
                merge_scores(&scores[p->methods + k], &j->lstm[k]);
            if (rc == 0)
                rc = merge_part(out, &j->part, err);
            out->test_models = j->s.test_count;
        } else if (j->truth) {
            select_score(p->d, j->s.test_count, p->methods, p->methods + lstm, j->truth, j->guess,
                         any, shared);
        }
    }
    return rc;
}

static void free_jobs(split_job *jobs, int count)
{
    for (int job = 0; jobs && job < count; job++) {
        if (jobs[job].built)
            eval_split_free(&jobs[job].s);
        exh_eval_result_clear(&jobs[job].part);
        free(jobs[job].truth);
    }
    free(jobs);
}

int exh_eval_run(const exh_eval_dataset *d, const exh_eval_options *o, exh_eval_result *out,
                 exh_error *err)
{
    if (o->models < 10 || o->repeats < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "eval needs at least 10 models and 1 repeat");
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    memset(out, 0, sizeof *out);
    int methods =
        d->has_partial && o->use_partial ? EVAL_METHOD_5NN_PARTIAL + 1 : EVAL_METHOD_GP + 1;
    method_scores scores[EXH_EVAL_MAX_METHODS];
    accumulator noise = {0}, any[EXH_EVAL_MAX_METHODS][2], shared[EXH_EVAL_MAX_METHODS][2];
    memset(scores, 0, sizeof scores);
    memset(any, 0, sizeof any);
    memset(shared, 0, sizeof shared);
    default_budgets(d, o, out->budgets);
    eval_plan plan = {d, o, methods, o->repeats, d->has_times ? o->top3_repeats : 0,
                      out->budgets, NULL};
    int jobs = plan.repeats + plan.top3;
    plan.jobs = calloc((size_t)jobs, sizeof *plan.jobs);
    exh_rng *r = exh_rng_new(o->seed);
    int rc = r && plan.jobs ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc == 0) /* everything but the LSTM, in order on r: cheap */
        rc = plan_splits(&plan, r, scores, &noise, err);
    if (rc == 0 && o->use_lstm) /* the trainings, independent: on every core */
        rc = eval_pool_run(o->threads, jobs, lstm_job, &plan, &o->progress, 0, jobs, err);
    if (rc == 0)
        rc = gather(&plan, scores, any, shared, out, err);
    free_jobs(plan.jobs, jobs);
    exh_rng_free(r);
    int lstm_methods = !o->use_lstm ? 0 : methods > EVAL_METHOD_5NN_PARTIAL ? 3 : 1;
    out->method_count = methods + lstm_methods;
    for (int m = 0; m < out->method_count; m++) {
        exh_eval_method_result *x = &out->methods[m];
        snprintf(x->name, sizeof x->name, "%s",
                 m < methods                                  ? METHOD_NAMES[m]
                 : o->lstm_variant == EXH_LSTM_VARIANT_PAPER ? LSTM_PAPER_NAMES[m - methods]
                                                             : LSTM_NAMES[m - methods]);
        x->best_error_mean = mean_of(&scores[m].best_error);
        x->best_error_sd = sd_of(&scores[m].best_error);
        x->overfit_error_mean = mean_of(&scores[m].overfit_error);
        x->overfit_error_sd = sd_of(&scores[m].overfit_error);
        x->kendall_tau = mean_of(&scores[m].tau);
        x->spearman = mean_of(&scores[m].rho);
        x->partial_lambda = mean_of(&scores[m].lambda);
        for (int b = 0; b < 2; b++) {
            x->top3_any[b] = mean_of(&any[m][b]);
            x->top3_mean_overlap[b] = mean_of(&shared[m][b]);
        }
    }
    out->noise_floor_mean = mean_of(&noise);
    out->noise_floor_sd = sd_of(&noise);
    out->noise_floor_pairs = noise.count;
    clock_gettime(CLOCK_MONOTONIC, &end);
    out->seconds =
        (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    return rc;
}
