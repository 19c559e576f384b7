/* lstm_fit.c — the LSTM trained for one target on a store's logged models,
 * saved and loaded with its description (lstm_fit.h). */
#include "exhaust/lstm_fit.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exh_lstm_fit_options_default(exh_lstm_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->target.kind = EXH_TARGETS_BEST;
    o->target.budget_seconds = NAN;
    o->max_models = EXH_LSTM_FIT_DEFAULT_MODELS;
    o->seed = 1;
    o->grid = 1;
}

/* The models with a value of the target, shuffled, at most `limit`. */
static int fit_rows(const exh_eval_dataset *d, const exh_targets_spec *target, int limit,
                    exh_rng *r, exh_arch *archs, double *targets, int *skipped)
{
    int *order = malloc(sizeof *order * (size_t)d->count);
    if (!order)
        return -1;
    for (int i = 0; i < d->count; i++)
        order[i] = i;
    exh_rng_sample(r, order, d->count, d->count);
    int n = 0;
    *skipped = 0;
    for (int i = 0; i < d->count && n < limit; i++) {
        const exh_eval_model *m = &d->models[order[i]];
        if (exh_targets_compute(target, m->validation, m->train, m->seconds, m->epochs,
                                d->metric == EXH_KNN_ACCURACY, &targets[n], NULL) == 0)
            archs[n++] = m->architecture;
        else
            ++*skipped;
    }
    free(order);
    return n;
}

static int validation_error(exh_lstm_model *m, const exh_lstm_dataset *validation, double *out,
                            exh_error *err)
{
    double *guess = malloc(sizeof *guess * (size_t)validation->count), sum = 0;
    if (!guess)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = exh_lstm_predict(m, validation->archs, validation->count, guess, err);
    for (int i = 0; rc == 0 && i < validation->count; i++)
        sum += fabs(guess[i] - validation->targets[i]);
    *out = sum / validation->count;
    free(guess);
    return rc;
}

static void fit_describe_target(const exh_eval_dataset *d, const char *dataset,
                                const exh_lstm_fit_options *o, exh_lstm_fit_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->space, sizeof info->space, "%s", exh_space_name(d->space));
    snprintf(info->dataset, sizeof info->dataset, "%s", dataset ? dataset : "");
    exh_targets_format(&o->target, info->target, sizeof info->target);
    info->lower_is_better = exh_targets_lower_is_better(&o->target, d->metric == EXH_KNN_ACCURACY);
}

int exh_lstm_fit(const exh_eval_dataset *d, const char *dataset, const exh_lstm_fit_options *o,
                 exh_lstm_model **out, exh_lstm_fit_info *info, exh_error *err)
{
    *out = NULL;
    fit_describe_target(d, dataset, o, info);
    exh_arch *archs = malloc(sizeof *archs * (size_t)(d->count + 1));
    double *targets = malloc(sizeof *targets * (size_t)(d->count + 1));
    exh_rng *r = exh_rng_new(o->seed);
    int rc = archs && targets && r ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int n = rc == 0 ? fit_rows(d, &o->target, o->max_models > 0 ? o->max_models : d->count, r,
                               archs, targets, &info->skipped)
                    : 0;
    if (rc == 0 && n < 0)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    else if (rc == 0 && n < 4)
        rc = exh_error_set(err, EXH_ERR_INVALID,
                           "the LSTM needs at least 4 logged models with a value of target %s "
                           "(%s: %d; %d without one)",
                           info->target, d->description, n, info->skipped);
    info->variant = o->variant;
    info->train_count = n - n / 4;
    info->validation_count = n / 4;
    exh_lstm_dataset train = {info->train_count, archs, targets};
    exh_lstm_dataset validation = {info->validation_count, archs + train.count,
                               targets + train.count};
    exh_lstm_config config;
    exh_lstm_config_default(&config);
    if (o->variant == EXH_LSTM_VARIANT_PAPER)
        exh_lstm_config_paper(&config, exh_lstm_layer_width_for_space(d->space));
    if (rc == 0)
        rc = exh_lstm_config_from_archs(&config, exh_lstm_period_for_space(d->space, &archs[0]),
                                        archs, n, err);
    exh_lstm_train_options base;
    exh_lstm_train_options_default(&base);
    base.progress = o->progress;
    exh_lstm_grid grid; /* the search's grid, or one point at the training defaults */
    if (o->grid)
        exh_lstm_grid_default(&grid);
    else
        exh_lstm_grid_single(&grid, base.dropout, base.adam.weight_decay, base.adam.learning_rate);
    exh_lstm_grid_result *result = malloc(sizeof *result);
    if (rc == 0 && !result)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = exh_lstm_grid_search(&config, &train, &validation, &grid, &base, r, out, result, err);
    if (rc == 0) {
        const exh_lstm_grid_point *best = &result->points[result->best];
        info->dropout = best->dropout;
        info->weight_decay = best->weight_decay;
        info->learning_rate = best->learning_rate;
        rc = validation_error(*out, &validation, &info->validation_error, err);
    }
    if (rc < 0) {
        exh_lstm_free(*out);
        *out = NULL;
    }
    free(result);
    exh_rng_free(r);
    free(archs);
    free(targets);
    return rc;
}

void exh_lstm_fit_describe(const exh_lstm_fit_info *info, char *out, size_t size)
{
    snprintf(out, size,
             "LSTM%s for %s: %d train + %d validation models, dropout %g, L2 %g, learning rate "
             "%g, validation error %.4g",
             info->variant == EXH_LSTM_VARIANT_PAPER ? " (paper variant)" : "", info->target,
             info->train_count, info->validation_count, info->dropout,
             info->weight_decay, info->learning_rate, info->validation_error);
}

/* A float as the shortest double that reads back as it (0.1f is written
 * 0.1, not 0.10000000149011612). */
static double shortest(float x)
{
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)x);
        if ((float)strtod(text, NULL) == x)
            break;
    }
    return strtod(text, NULL);
}

int exh_lstm_fit_save(const exh_lstm_model *model, const exh_lstm_fit_info *info, const char *path,
                      exh_error *err)
{
    char description[4096];
    if (snprintf(description, sizeof description, "%s.json", path) >= (int)sizeof description)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: path too long", path);
    json_t *json = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:s}",
                             "space", info->space, "dataset", info->dataset, "target", info->target,
                             "lower_is_better", info->lower_is_better, "train_models",
                             info->train_count, "validation_models", info->validation_count,
                             "skipped_models", info->skipped, "dropout", shortest(info->dropout),
                             "weight_decay", shortest(info->weight_decay), "learning_rate",
                             shortest(info->learning_rate), "validation_error",
                             info->validation_error, "lstm_variant",
                             exh_lstm_variant_name(info->variant));
    if (!json)
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: cannot describe the model", description);
    int rc = exh_lstm_save(model, path, err);
    if (rc == 0 && json_dump_file(json, description,
                                  JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) != 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot write the model's description",
                           description);
    json_decref(json);
    return rc;
}

static void copy_text(json_t *object, const char *key, char *out, size_t size)
{
    snprintf(out, size, "%s", json_string_value(json_object_get(object, key)));
}

/* The description's fields, each checked for its type. */
static int read_description(const char *path, exh_lstm_fit_info *info, exh_error *err)
{
    json_error_t parse;
    json_t *json = json_load_file(path, 0, &parse);
    if (!json && parse.line < 1)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s (the model's description, written beside it "
                             "by --save-model)", path, parse.text);
    if (!json)
        return exh_error_set(err, EXH_ERR_PARSE, "%s:%d: %s", path, parse.line, parse.text);
    static const char *const texts[] = {"space", "dataset", "target"};
    static const char *const numbers[] = {"train_models", "validation_models", "skipped_models",
                                           "dropout", "weight_decay", "learning_rate",
                                           "validation_error"};
    int rc =
        json_is_object(json) ? 0 : exh_error_set(err, EXH_ERR_PARSE, "%s: not a JSON object", path);
    for (size_t i = 0; rc == 0 && i < sizeof texts / sizeof *texts; i++)
        if (!json_is_string(json_object_get(json, texts[i])))
            rc = exh_error_set(err, EXH_ERR_PARSE, "%s: \"%s\" must be a string", path, texts[i]);
    for (size_t i = 0; rc == 0 && i < sizeof numbers / sizeof *numbers; i++)
        if (!json_is_number(json_object_get(json, numbers[i])))
            rc = exh_error_set(err, EXH_ERR_PARSE, "%s: \"%s\" must be a number", path, numbers[i]);
    if (rc == 0 && !json_is_boolean(json_object_get(json, "lower_is_better")))
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: \"lower_is_better\" must be true or false",
                           path);
    if (rc == 0) {
        copy_text(json, "space", info->space, sizeof info->space);
        copy_text(json, "dataset", info->dataset, sizeof info->dataset);
        copy_text(json, "target", info->target, sizeof info->target);
        info->lower_is_better = json_is_true(json_object_get(json, "lower_is_better"));
        info->train_count = (int)json_number_value(json_object_get(json, "train_models"));
        info->validation_count = (int)json_number_value(json_object_get(json, "validation_models"));
        info->skipped = (int)json_number_value(json_object_get(json, "skipped_models"));
        info->dropout = (float)json_number_value(json_object_get(json, "dropout"));
        info->weight_decay = (float)json_number_value(json_object_get(json, "weight_decay"));
        info->learning_rate = (float)json_number_value(json_object_get(json, "learning_rate"));
        info->validation_error = json_number_value(json_object_get(json, "validation_error"));
    }
    json_decref(json);
    return rc;
}

int exh_lstm_fit_load(const char *path, exh_lstm_model **out, exh_lstm_fit_info *info,
                      exh_error *err)
{
    char description[4096];
    memset(info, 0, sizeof *info);
    *out = NULL;
    if (snprintf(description, sizeof description, "%s.json", path) >= (int)sizeof description)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: path too long", path);
    int rc = exh_lstm_load(path, out, err);
    if (rc == 0 && (rc = read_description(description, info, err)) < 0) {
        exh_lstm_free(*out);
        *out = NULL;
    }
    if (rc == 0) /* the model file says which; descriptions before it say nothing */
        info->variant = exh_lstm_model_config(*out)->variant;
    return rc;
}

int exh_lstm_fit_check(const exh_lstm_fit_info *info, const char *path, const char *wanted_space,
                       const exh_targets_spec *target, exh_error *err)
{
    char wanted[64];
    exh_targets_format(target, wanted, sizeof wanted);
    if (strcmp(info->space, wanted_space) != 0)
        return exh_error_set(err, EXH_ERR_INVALID, "%s was trained on space %s, not %s", path,
                             info->space, wanted_space);
    if (strcmp(info->target, wanted) != 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s was trained to predict target %s, not %s (train one with "
                             "--target %s --save-model FILE)",
                             path, info->target, wanted, wanted);
    return EXH_OK;
}
