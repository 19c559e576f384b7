/* lstm_grid.c — grid search over dropout, weight decay and learning rate on
 * a validation split (lstm.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "predict/lstm_internal.h"

void lstm_grid_default(lstm_grid *grid)
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

void lstm_grid_single(lstm_grid *grid, float dropout, float weight_decay, float learning_rate)
{
    memset(grid, 0, sizeof *grid);
    grid->dropout_count = grid->weight_decay_count = grid->learning_rate_count = 1;
    grid->dropout[0] = dropout;
    grid->weight_decay[0] = weight_decay;
    grid->learning_rate[0] = learning_rate;
}

static int check_grid(const lstm_grid *g, exh_error *err)
{
    const int counts[3] = {g->dropout_count, g->weight_decay_count, g->learning_rate_count};
    for (int k = 0; k < 3; k++)
        if (counts[k] < 1 || counts[k] > LSTM_GRID_MAX)
            return error_set(err, EXH_ERR_INVALID,
                             "lstm grid: %d values for %s (need 1..%d)", counts[k],
                             k == 0 ? "dropout" : k == 1 ? "weight decay" : "learning rate",
                             LSTM_GRID_MAX);
    return EXH_OK;
}

/* Train one combination from `seed`; a combination whose loss stops being
 * finite (a learning rate too large) scores +inf instead of failing the
 * search. The model is kept in *model (NULL when it failed). */
static int train_point(const lstm_config *config, const lstm_dataset *train,
                       const lstm_dataset *validation, const lstm_train_options *options,
                       uint64_t seed, lstm_grid_point *point, lstm_model **model, exh_error *err)
{
    *model = NULL;
    rng *r = rng_new(seed);
    if (!r)
        return error_set(err, EXH_ERR_NOMEM, "lstm grid: out of memory");
    lstm_model *m;
    int rc = lstm_new(config, &m, err);
    if (rc < 0) {
        rng_free(r);
        return rc;
    }
    lstm_init(m, r);
    lstm_train_report report;
    exh_error local;
    rc = lstm_train(m, train, validation, options, r, &report, &local);
    rng_free(r);
    if (rc == EXH_ERR_INVALID && strstr(local.message, LSTM_DIVERGED)) {
        point->validation_loss = INFINITY;
        lstm_free(m);
        return EXH_OK;
    }
    if (rc < 0) {
        lstm_free(m);
        if (err)
            *err = local;
        return rc;
    }
    point->validation_loss = report.best_validation_loss;
    point->epochs = report.epochs;
    point->best_epoch = report.best_epoch;
    lstm_train_report_clear(&report);
    *model = m;
    return EXH_OK;
}

int lstm_grid_search(const lstm_config *config, const lstm_dataset *train,
                     const lstm_dataset *validation, const lstm_grid *grid,
                     const lstm_train_options *base, rng *r, lstm_model **best,
                     lstm_grid_result *result, exh_error *err)
{
    *best = NULL;
    int rc = check_grid(grid, err);
    if (rc < 0 || (rc = lstm_config_check(config, err)) < 0)
        return rc;
    if (!validation || validation->count < 1)
        return error_set(err, EXH_ERR_INVALID, "lstm grid: needs a non-empty validation set");
    uint64_t seed = ((uint64_t)rng_below(r, UINT32_MAX) << 32) | rng_below(r, UINT32_MAX);
    lstm_grid_result local;
    lstm_grid_result *out = result ? result : &local;
    memset(out, 0, sizeof *out);
    out->best = -1;
    for (int d = 0; d < grid->dropout_count; d++)
        for (int w = 0; w < grid->weight_decay_count; w++)
            for (int l = 0; l < grid->learning_rate_count; l++) {
                lstm_train_options options = *base;
                options.dropout = grid->dropout[d];
                options.adam.weight_decay = grid->weight_decay[w];
                options.adam.learning_rate = grid->learning_rate[l];
                lstm_grid_point *point = &out->points[out->count];
                *point = (lstm_grid_point){options.dropout, options.adam.weight_decay,
                                           options.adam.learning_rate, INFINITY, 0, 0};
                lstm_model *m;
                rc = train_point(config, train, validation, &options, seed, point, &m, err);
                if (rc < 0) {
                    lstm_free(*best);
                    *best = NULL;
                    return error_prefix(err, "lstm grid: dropout %g, weight decay %g, "
                                             "learning rate %g",
                                        options.dropout, options.adam.weight_decay,
                                        options.adam.learning_rate);
                }
                if (m && (out->best < 0 ||
                          point->validation_loss < out->points[out->best].validation_loss)) {
                    lstm_free(*best);
                    *best = m;
                    out->best = out->count;
                } else {
                    lstm_free(m);
                }
                out->count++;
            }
    if (!*best)
        return error_set(err, EXH_ERR_INVALID,
                         "lstm grid: every combination's loss diverged (not finite)");
    return EXH_OK;
}
