/* eval_data.c — reading an evaluation data set from the store: one model per
 * architecture (see eval.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/eval.h"
#include "exhaust/targets.h"
#include "util/hash.h"
#include <stdio.h>

typedef struct loader {
    exh_eval_dataset *d;
    /* open-addressing index arch -> model */
    int *slots;
    int slot_count;
    exh_error *err;
    int failed;
} loader;

static uint64_t arch_hash(const exh_arch *a)
{
    return hash_tokens(HASH_START, a->token, a->length);
}

static int *slot_of(loader *l, const exh_arch *a)
{
    size_t i = arch_hash(a) & (size_t)(l->slot_count - 1);
    while (l->slots[i] >= 0 && !exh_arch_equal(&l->d->models[l->slots[i]].architecture, a))
        i = (i + 1) & (size_t)(l->slot_count - 1);
    return &l->slots[i];
}

static int grow_index(loader *l)
{
    int count = l->slot_count ? l->slot_count * 2 : 1 << 12;
    int *slots = malloc(sizeof *slots * (size_t)count);
    if (!slots)
        return EXH_ERR_NOMEM;
    for (int i = 0; i < count; i++)
        slots[i] = -1;
    int *old = l->slots;
    l->slots = slots;
    l->slot_count = count;
    for (int m = 0; m < l->d->count; m++)
        *slot_of(l, &l->d->models[m].architecture) = m;
    free(old);
    return EXH_OK;
}

static double *copy_channel(const exh_run *r, const char *metric, int epochs, int *present)
{
    double *values = malloc(sizeof *values * (size_t)(epochs > 0 ? epochs : 1));
    if (!values)
        return NULL;
    for (int e = 0; e < epochs; e++)
        values[e] = NAN;
    for (size_t i = 0; i < r->epoch_count; i++) {
        exh_epoch_record row = r->epochs[i];
        double v = *exh_epoch_metric(&row, metric);
        if (row.epoch >= 1 && row.epoch <= epochs) {
            values[row.epoch - 1] = v;
            *present |= exh_metric_present(v);
        }
    }
    return values;
}

/* The model's log is run r: its name, curves and what they hold. */
static int load_curves(exh_eval_dataset *d, exh_eval_model *m, const exh_run *r)
{
    free(m->name);
    free(m->validation);
    free(m->train);
    free(m->seconds);
    m->name = strdup(r->key);
    int epochs = 0;
    for (size_t i = 0; i < r->epoch_count; i++)
        if (r->epochs[i].epoch > epochs)
            epochs = r->epochs[i].epoch;
    m->epochs = epochs;
    const char *metric = d->metric == EXH_KNN_ACCURACY ? "val_accuracy" : "val_loss";
    const char *train = d->metric == EXH_KNN_ACCURACY ? "train_accuracy" : "train_loss";
    int present = 0, train_present = 0, time_present = 0;
    m->validation = copy_channel(r, metric, epochs, &present);
    m->train = copy_channel(r, train, epochs, &train_present);
    m->seconds = copy_channel(r, "epoch_seconds", epochs, &time_present);
    if (!m->name || !m->validation || !m->train || !m->seconds)
        return EXH_ERR_NOMEM;
    m->has_train = train_present;
    m->has_times = time_present;
    return EXH_OK;
}

static int add_model(loader *l, const exh_run *r, const exh_arch *a)
{
    exh_eval_dataset *d = l->d;
    if (d->count == d->capacity) {
        int capacity = d->capacity ? d->capacity * 2 : 1024;
        exh_eval_model *grown = realloc(d->models, sizeof *grown * (size_t)capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        d->models = grown;
        d->capacity = capacity;
    }
    if (2 * (d->count + 1) > l->slot_count && grow_index(l) < 0)
        return EXH_ERR_NOMEM;
    exh_eval_model *m = &d->models[d->count];
    memset(m, 0, sizeof *m);
    m->architecture = *a;
    m->partial = m->other_seed_best = NAN;
    if (load_curves(d, m, r) < 0)
        return EXH_ERR_NOMEM;
    *slot_of(l, a) = d->count++;
    return EXH_OK;
}

static double best_of(const exh_run *r, exh_knn_metric metric)
{
    double best = NAN;
    for (size_t i = 0; i < r->epoch_count; i++) {
        double v = metric == EXH_KNN_ACCURACY ? r->epochs[i].val_accuracy : r->epochs[i].val_loss;
        if (exh_metric_present(v) && (isnan(best) || (metric == EXH_KNN_ACCURACY ? v > best : v < best)))
            best = v;
    }
    return best;
}

static int run_has_train(const exh_run *r, exh_knn_metric metric)
{
    for (size_t i = 0; i < r->epoch_count; i++)
        if (exh_metric_present(metric == EXH_KNN_ACCURACY ? r->epochs[i].train_accuracy
                                                  : r->epochs[i].train_loss))
            return 1;
    return 0;
}

static double best_of_model(const exh_eval_model *m, exh_knn_metric metric)
{
    double best;
    return exh_targets_best(m->validation, m->epochs, metric == EXH_KNN_ACCURACY, &best, NULL, NULL) < 0
               ? NAN
               : best;
}

/* A run joins its architecture's model: the first full run is the model's
 * log, a second full run gives the noise floor, a short (partial) run
 * gives the partial value. NB201's 12-epoch runs are the partial logs.
 * A later full run with a train curve replaces a first one without (NB201's
 * fully logged cells also have a table run that logs validation only): the
 * model is scored on overfitting only if its log has both curves. */
static int visit(const exh_run *r, void *context)
{
    loader *l = context;
    exh_eval_dataset *d = l->d;
    if (!r->arch || (r->status && strcmp(r->status, EXH_RUN_STATUS_OK) != 0))
        return 0;
    exh_arch a;
    if (exh_space_parse(d->space, r->arch, &a, l->err) < 0) {
        l->failed = 1;
        return l->err ? l->err->code : EXH_ERR_PARSE;
    }
    const char *schedule = exh_run_param_value(r, "schedule_epochs");
    int partial = schedule && strcmp(schedule, "12") == 0;
    int *slot = l->slot_count ? slot_of(l, &a) : NULL;
    if (partial) {
        if (slot && *slot >= 0) {
            d->models[*slot].partial = best_of(r, d->metric);
            d->has_partial = 1;
        } /* a partial log before its full run is rare (ids follow the file): dropped */
        return 0;
    }
    if (!slot || *slot < 0)
        return add_model(l, r, &a) < 0 ? EXH_ERR_NOMEM : 0;
    exh_eval_model *m = &d->models[*slot];
    double best = best_of(r, d->metric);
    if (!m->has_train && run_has_train(r, d->metric)) {
        double previous = best_of_model(m, d->metric);
        if (load_curves(d, m, r) < 0)
            return EXH_ERR_NOMEM;
        best = previous;
    }
    if (isnan(m->other_seed_best))
        m->other_seed_best = best;
    return 0;
}

/* Whether the dataset logs accuracies (else losses): one run tells. */
static int probe_metric(const exh_run *r, void *context)
{
    int *accuracy = context;
    for (size_t i = 0; i < r->epoch_count; i++)
        if (exh_metric_present(r->epochs[i].val_accuracy))
            *accuracy = 1;
    return 1; /* one run is enough */
}

int exh_eval_dataset_load(exh_store *s, const char *space_name, const char *dataset,
                          exh_eval_dataset **out, exh_error *err)
{
    *out = NULL;
    exh_eval_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = exh_space_open(space_name, &d->space, err);
    exh_run_filter filter = {.space = space_name, .dataset = dataset, .with_epochs = 1,
                         .status = EXH_RUN_STATUS_OK};
    int accuracy = 0;
    if (rc == 0) {
        exh_run_filter first = filter;
        first.limit = 1;
        rc = exh_store_each_run(s, &first, probe_metric, &accuracy, err);
        rc = rc == 1 ? 0 : rc;
    }
    d->metric = accuracy ? EXH_KNN_ACCURACY : EXH_KNN_LOSS;
    loader l = {d, NULL, 0, err, 0};
    if (rc == 0)
        rc = exh_store_each_run(s, &filter, visit, &l, err);
    free(l.slots);
    if (rc == 0 && d->count < 10)
        rc = exh_error_set(err, EXH_ERR_INVALID,
                           "only %d logged models of space '%s' on '%s' in the store; ingest logs "
                           "first (exhaust ingest)",
                           d->count, space_name, dataset);
    if (rc < 0) {
        exh_eval_dataset_free(d);
        return rc;
    }
    for (int i = 0; i < d->count; i++) {
        d->train_models += d->models[i].has_train;
        d->timed_models += d->models[i].has_times;
    }
    d->has_train = 2 * d->train_models >= d->count;
    d->has_times = 2 * d->timed_models >= d->count;
    char train[64] = "", times[64] = "";
    if (d->train_models > 0)
        snprintf(train, sizeof train, ", train curves for %d", d->train_models);
    if (d->timed_models > 0)
        snprintf(times, sizeof times, ", epoch times for %d", d->timed_models);
    snprintf(d->description, sizeof d->description, "%s on %s: %d models (%s%s%s%s)",
             space_name, dataset, d->count, accuracy ? "accuracy" : "loss", train, times,
             d->has_partial ? ", 12-epoch partial logs" : "");
    *out = d;
    return EXH_OK;
}

void exh_eval_dataset_free(exh_eval_dataset *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->count; i++) {
        free(d->models[i].name);
        free(d->models[i].validation);
        free(d->models[i].train);
        free(d->models[i].seconds);
    }
    free(d->models);
    exh_space_free(d->space);
    free(d);
}

int exh_eval_dataset_partial_from_epochs(exh_eval_dataset *d, int epochs, exh_error *err)
{
    if (epochs < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "partial log: %d epochs (need at least 1)", epochs);
    int higher = d->metric == EXH_KNN_ACCURACY, found = 0;
    for (int i = 0; i < d->count; i++) {
        exh_eval_model *m = &d->models[i];
        double best;
        m->partial = NAN;
        if (m->epochs >= epochs && exh_targets_best(m->validation, epochs, higher, &best, NULL,
                                                    NULL) == 0) {
            m->partial = best;
            found++;
        }
    }
    d->has_partial = found > 0;
    size_t used = strlen(d->description);
    if (used > 0 && d->description[used - 1] == ')')
        snprintf(d->description + used - 1, sizeof d->description - (used - 1),
                 "; partial log = best of the first %d epochs, %d models)", epochs, found);
    return EXH_OK;
}
