/* lstm_grid.c — grid search over dropout, weight decay and learning rate on
 * a validation split (lstm.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "predict/lstm_internal.h"

void exh_lstm_grid_default(exh_lstm_grid *grid)
{
    memset(grid, 0, sizeof *grid);
    const float dropout[] = {0.0f, 0.1f, 0.3f}, decay[] = {0.0f, 1e-5f, 1e-4f},
                rate[] = {1e-3f, 3e-3f};
    grid->dropout_count = 3;
    grid->weight_decay_count = 3;
    grid->learning_rate_count = 2;
    memcpy(grid->dropout, dropout, sizeof dropout);
    memcpy(grid->weight_decay, decay, sizeof decay);
    memcpy(grid->learning_rate, rate, sizeof rate);
}

void exh_lstm_grid_single(exh_lstm_grid *grid, float dropout, float weight_decay,
                          float learning_rate)
{
    memset(grid, 0, sizeof *grid);
    grid->dropout_count = grid->weight_decay_count = grid->learning_rate_count = 1;
    grid->dropout[0] = dropout;
    grid->weight_decay[0] = weight_decay;
    grid->learning_rate[0] = learning_rate;
}

static int check_grid(const exh_lstm_grid *g, exh_error *err)
{
    const int counts[3] = {g->dropout_count, g->weight_decay_count, g->learning_rate_count};
    for (int k = 0; k < 3; k++)
        if (counts[k] < 1 || counts[k] > EXH_LSTM_GRID_MAX)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "lstm grid: %d values for %s (need 1..%d)", counts[k],
                                 k == 0 ? "dropout" : k == 1 ? "weight decay" : "learning rate",
                                 EXH_LSTM_GRID_MAX);
    return EXH_OK;
}

/* Train one combination from `seed`; a combination whose loss stops being
 * finite (a learning rate too large) scores +inf instead of failing the
 * search. The model is kept in *model (NULL when it failed). */
static int train_point(const exh_lstm_config *config, const exh_lstm_dataset *train,
                       const exh_lstm_dataset *validation, const exh_lstm_train_options *options,
                       uint64_t seed, exh_lstm_grid_point *point, exh_lstm_model **model,
                       exh_error *err)
{
    *model = NULL;
    exh_rng *r = exh_rng_new(seed);
    if (!r)
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm grid: out of memory");
    exh_lstm_model *m;
    int rc = exh_lstm_new(config, &m, err);
    if (rc < 0) {
        exh_rng_free(r);
        return rc;
    }
    exh_lstm_init(m, r);
    exh_lstm_train_report report;
    exh_error local;
    rc = exh_lstm_train(m, train, validation, options, r, &report, &local);
    exh_rng_free(r);
    if (rc == EXH_ERR_INVALID && strstr(local.message, LSTM_DIVERGED)) {
        point->validation_loss = INFINITY;
        exh_lstm_free(m);
        return EXH_OK;
    }
    if (rc < 0) {
        exh_lstm_free(m);
        if (err)
            *err = local;
        return rc;
    }
    point->validation_loss = report.best_validation_loss;
    point->epochs = report.epochs;
    point->best_epoch = report.best_epoch;
    exh_lstm_train_report_clear(&report);
    *model = m;
    return EXH_OK;
}

/* Each point's epochs, told as epochs of the whole grid (early stopping
 * makes the estimate of what is left pessimistic, never optimistic). */
typedef struct grid_progress {
    const exh_progress *outer;
    int64_t point, points;
} grid_progress;

static void grid_epoch(void *context, const char *what, int64_t done, int64_t total)
{
    const grid_progress *g = context;
    exh_progress_report(g->outer, what, g->point * total + done, g->points * total);
}

int exh_lstm_grid_search(const exh_lstm_config *config, const exh_lstm_dataset *train,
                         const exh_lstm_dataset *validation, const exh_lstm_grid *grid,
                         const exh_lstm_train_options *base, exh_rng *r, exh_lstm_model **best,
                         exh_lstm_grid_result *result, exh_error *err)
{
    *best = NULL;
    int rc = check_grid(grid, err);
    if (rc < 0 || (rc = exh_lstm_config_check(config, err)) < 0)
        return rc;
    if (!validation || validation->count < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm grid: needs a non-empty validation set");
    uint64_t seed = ((uint64_t)exh_rng_below(r, UINT32_MAX) << 32) | exh_rng_below(r, UINT32_MAX);
    exh_lstm_grid_result local;
    exh_lstm_grid_result *out = result ? result : &local;
    memset(out, 0, sizeof *out);
    out->best = -1;
    grid_progress progress = {&base->progress, 0,
                              (int64_t)grid->dropout_count * grid->weight_decay_count *
                                  grid->learning_rate_count};
    for (int d = 0; d < grid->dropout_count; d++)
        for (int w = 0; w < grid->weight_decay_count; w++)
            for (int l = 0; l < grid->learning_rate_count; l++) {
                exh_lstm_train_options options = *base;
                options.dropout = grid->dropout[d];
                options.adam.weight_decay = grid->weight_decay[w];
                options.adam.learning_rate = grid->learning_rate[l];
                progress.point = out->count;
                if (base->progress.report)
                    options.progress = (exh_progress){grid_epoch, &progress};
                exh_lstm_grid_point *point = &out->points[out->count];
                *point = (exh_lstm_grid_point){options.dropout, options.adam.weight_decay,
                                           options.adam.learning_rate, INFINITY, 0, 0};
                exh_lstm_model *m;
                rc = train_point(config, train, validation, &options, seed, point, &m, err);
                if (rc < 0) {
                    exh_lstm_free(*best);
                    *best = NULL;
                    return exh_error_prefix(err, "lstm grid: dropout %g, weight decay %g, "
                                             "learning rate %g",
                                            options.dropout, options.adam.weight_decay,
                                            options.adam.learning_rate);
                }
                if (m && (out->best < 0 ||
                          point->validation_loss < out->points[out->best].validation_loss)) {
                    exh_lstm_free(*best);
                    *best = m;
                    out->best = out->count;
                } else {
                    exh_lstm_free(m);
                }
                out->count++;
            }
    if (!*best)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm grid: every combination's loss diverged (not finite)");
    return EXH_OK;
}
