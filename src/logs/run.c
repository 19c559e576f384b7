#include "exhaust/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

const char *const exh_epoch_metric_names[EXH_EPOCH_METRIC_COUNT] = {
    "train_accuracy", "train_loss", "val_accuracy", "val_loss",
    "test_accuracy",  "test_loss",  "epoch_seconds",
};

void exh_run_init(exh_run *r)
{
    memset(r, 0, sizeof *r);
}

void exh_run_clear(exh_run *r)
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
    exh_run_init(r);
}

int exh_run_set(char **field, const char *value)
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

int exh_run_add_param(exh_run *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return exh_run_set(&r->params[i].value, value ? value : "");
    if (r->param_count == r->param_capacity) {
        size_t capacity = r->param_capacity ? r->param_capacity * 2 : 8;
        exh_run_param *grown = realloc(r->params, sizeof *grown * capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        r->params = grown;
        r->param_capacity = capacity;
    }
    exh_run_param *p = &r->params[r->param_count];
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

const char *exh_run_param_value(const exh_run *r, const char *key)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

int exh_run_add_epoch(exh_run *r, const exh_epoch_record *row)
{
    if (r->epoch_count == r->epoch_capacity) {
        size_t capacity = r->epoch_capacity ? r->epoch_capacity * 2 : 16;
        exh_epoch_record *grown = realloc(r->epochs, sizeof *grown * capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        r->epochs = grown;
        r->epoch_capacity = capacity;
    }
    r->epochs[r->epoch_count++] = *row;
    return EXH_OK;
}

exh_epoch_record *exh_run_epoch(exh_run *r, int epoch)
{
    /* Rows usually arrive in order: look from the end. */
    for (size_t i = r->epoch_count; i > 0; i--)
        if (r->epochs[i - 1].epoch == epoch)
            return &r->epochs[i - 1];
    exh_epoch_record row = exh_epoch_record_empty(epoch);
    if (exh_run_add_epoch(r, &row) < 0)
        return NULL;
    return &r->epochs[r->epoch_count - 1];
}

exh_epoch_record exh_epoch_record_empty(int epoch)
{
    exh_epoch_record row;
    row.epoch = epoch;
    row.train_accuracy = row.train_loss = NAN;
    row.val_accuracy = row.val_loss = NAN;
    row.test_accuracy = row.test_loss = NAN;
    row.epoch_seconds = NAN;
    return row;
}

int exh_metric_present(double value)
{
    return !isnan(value);
}

double *exh_epoch_metric(exh_epoch_record *row, const char *name)
{
    if (!name)
        return NULL;
    double *fields[EXH_EPOCH_METRIC_COUNT] = {
        &row->train_accuracy, &row->train_loss, &row->val_accuracy, &row->val_loss,
        &row->test_accuracy,  &row->test_loss,  &row->epoch_seconds,
    };
    for (int i = 0; i < EXH_EPOCH_METRIC_COUNT; i++)
        if (strcmp(name, exh_epoch_metric_names[i]) == 0)
            return fields[i];
    return NULL;
}
