#include "exhaust/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

const char *const EPOCH_METRIC_NAMES[EPOCH_METRIC_COUNT] = {
    "train_accuracy", "train_loss", "val_accuracy", "val_loss",
    "test_accuracy",  "test_loss",  "epoch_seconds",
};

void run_init(run *r)
{
    memset(r, 0, sizeof *r);
}

void run_clear(run *r)
{
    free(r->key);
    free(r->space);
    free(r->arch);
    free(r->arch_sequence);
    free(r->dataset);
    free(r->status);
    free(r->source);
    for (size_t i = 0; i < r->param_count; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    free(r->epochs);
    run_init(r);
}

int run_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value) {
        copy = strdup(value);
        if (!copy)
            return EXH_ERR_NOMEM;
    }
    free(*field);
    *field = copy;
    return EXH_OK;
}

int run_add_param(run *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return run_set(&r->params[i].value, value ? value : "");
    if (r->param_count == r->param_capacity) {
        size_t capacity = r->param_capacity ? r->param_capacity * 2 : 8;
        run_param *grown = realloc(r->params, sizeof *grown * capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        r->params = grown;
        r->param_capacity = capacity;
    }
    run_param *p = &r->params[r->param_count];
    p->key = strdup(key);
    p->value = strdup(value ? value : "");
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return EXH_ERR_NOMEM;
    }
    r->param_count++;
    return EXH_OK;
}

const char *run_param_value(const run *r, const char *key)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

int run_add_epoch(run *r, const epoch_record *row)
{
    if (r->epoch_count == r->epoch_capacity) {
        size_t capacity = r->epoch_capacity ? r->epoch_capacity * 2 : 16;
        epoch_record *grown = realloc(r->epochs, sizeof *grown * capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        r->epochs = grown;
        r->epoch_capacity = capacity;
    }
    r->epochs[r->epoch_count++] = *row;
    return EXH_OK;
}

epoch_record *run_epoch(run *r, int epoch)
{
    /* Rows usually arrive in order: look from the end. */
    for (size_t i = r->epoch_count; i > 0; i--)
        if (r->epochs[i - 1].epoch == epoch)
            return &r->epochs[i - 1];
    epoch_record row = epoch_record_empty(epoch);
    if (run_add_epoch(r, &row) < 0)
        return NULL;
    return &r->epochs[r->epoch_count - 1];
}

epoch_record epoch_record_empty(int epoch)
{
    epoch_record row;
    row.epoch = epoch;
    row.train_accuracy = row.train_loss = NAN;
    row.val_accuracy = row.val_loss = NAN;
    row.test_accuracy = row.test_loss = NAN;
    row.epoch_seconds = NAN;
    return row;
}

int metric_present(double value)
{
    return !isnan(value);
}

double *epoch_metric(epoch_record *row, const char *name)
{
    if (!name)
        return NULL;
    double *fields[EPOCH_METRIC_COUNT] = {
        &row->train_accuracy, &row->train_loss, &row->val_accuracy, &row->val_loss,
        &row->test_accuracy,  &row->test_loss,  &row->epoch_seconds,
    };
    for (int i = 0; i < EPOCH_METRIC_COUNT; i++)
        if (strcmp(name, EPOCH_METRIC_NAMES[i]) == 0)
            return fields[i];
    return NULL;
}
