/* knn.c — the repository of logged models: adding models (from layers or
 * from runs) and reading them back. Prediction is in knn_predict.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "predict/knn_internal.h"

static const char *const CHANNEL_NAMES[EXH_KNN_CHANNEL_COUNT] = {"validation", "train",
                                                             "epoch_seconds"};

const char *exh_knn_channel_name(int channel)
{
    return channel >= 0 && channel < EXH_KNN_CHANNEL_COUNT ? CHANNEL_NAMES[channel] : "?";
}

int exh_knn_metric_higher_is_better(exh_knn_metric metric)
{
    return metric == EXH_KNN_ACCURACY;
}

int exh_knn_repository_new(const exh_penalty_table *penalties, exh_knn_metric metric,
                           exh_knn_repository **out, exh_error *err)
{
    *out = NULL;
    if (exh_penalties_validate(penalties, err) < 0)
        return EXH_ERR_INVALID;
    if (metric != EXH_KNN_ACCURACY && metric != EXH_KNN_LOSS)
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN repository: unknown metric %d",
                             (int)metric);
    exh_knn_repository *r = calloc(1, sizeof *r);
    if (!r)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN repository: out of memory");
    r->penalties = *penalties;
    r->metric = metric;
    r->nb201.usable = penalties->kind == EXH_PENALTY_NB201;
    int rc = knn_nb201_rebuild(r, err);
    if (rc < 0) {
        exh_knn_repository_free(r);
        return rc;
    }
    *out = r;
    return EXH_OK;
}

void exh_knn_repository_free(exh_knn_repository *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->count; i++)
        free(r->names[i]);
    free(r->names);
    free(r->layer_start);
    free(r->layer_count);
    free(r->layers);
    free(r->epochs);
    free(r->curve_start);
    free(r->curve_values);
    free(r->connected);
    knn_tokens_free(r);
    knn_nb201_free(&r->nb201);
    free(r);
}

/* Grow *array (of `size`-byte elements) to hold at least `needed`. */
static int grow(void **array, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return 0;
    size_t wanted = *capacity ? *capacity : 16;
    while (wanted < needed)
        wanted *= 2;
    void *grown = realloc(*array, wanted * size);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = wanted;
    return 0;
}

static int resize(void **array, size_t count, size_t size)
{
    void *resized = realloc(*array, count * size);
    if (!resized)
        return -1;
    *array = resized;
    return 0;
}

/* The per-model arrays all have r->capacity entries. */
static int reserve_models(exh_knn_repository *r, int needed)
{
    if (needed <= r->capacity)
        return 0;
    size_t wanted = (size_t)(r->capacity ? r->capacity : 16);
    while (wanted < (size_t)needed)
        wanted *= 2;
    if (resize((void **)&r->layer_start, wanted, sizeof(int)) < 0 ||
        resize((void **)&r->layer_count, wanted, sizeof(int)) < 0 ||
        resize((void **)&r->epochs, wanted, sizeof(int)) < 0 ||
        resize((void **)&r->curve_start, wanted, sizeof(size_t)) < 0 ||
        resize((void **)&r->names, wanted, sizeof(char *)) < 0 ||
        resize((void **)&r->connected, wanted, sizeof(uint8_t)) < 0)
        return -1; /* the arrays resized so far are merely larger than needed */
    r->capacity = (int)wanted;
    return 0;
}

static int check_model(const exh_layer *layers, int layer_count, const exh_knn_curve *curve,
                       exh_error *err)
{
    if (layer_count < 0 || layer_count > EXH_EDITDIST_MAX_LAYERS || (layer_count > 0 && !layers))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN repository: a model has %d layers (allowed 0..%d)", layer_count,
                             EXH_EDITDIST_MAX_LAYERS);
    if (!curve || curve->epochs < 0 || curve->epochs > EXH_KNN_MAX_EPOCHS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN repository: a curve has %d epochs (allowed 0..%d)",
                             curve ? curve->epochs : -1, EXH_KNN_MAX_EPOCHS);
    return EXH_OK;
}

static int store_model(exh_knn_repository *r, const char *name, const exh_layer *layers,
                       int layer_count, const exh_knn_curve *curve)
{
    size_t values = (size_t)curve->epochs * EXH_KNN_CHANNEL_COUNT;
    size_t layer_capacity = (size_t)r->layers_capacity;
    char *copy = name && name[0] ? strdup(name) : NULL;
    if (reserve_models(r, r->count + 1) < 0 || (name && name[0] && !copy) ||
        grow((void **)&r->layers, &layer_capacity, (size_t)(r->layers_used + layer_count),
             sizeof(exh_layer)) < 0 ||
        grow((void **)&r->curve_values, &r->values_capacity, r->values_used + values,
             sizeof(double)) < 0) {
        free(copy);
        return -1;
    }
    r->layers_capacity = (int)layer_capacity;
    int i = r->count;
    r->names[i] = copy;
    r->layer_start[i] = r->layers_used;
    r->layer_count[i] = layer_count;
    if (layer_count > 0)
        memcpy(r->layers + r->layers_used, layers, (size_t)layer_count * sizeof(exh_layer));
    r->layers_used += layer_count;
    r->epochs[i] = curve->epochs;
    r->curve_start[i] = r->values_used;
    /* No epochs yet anywhere: curve_values is still NULL, and NULL + 0 is UB. */
    for (int c = 0; values > 0 && c < EXH_KNN_CHANNEL_COUNT; c++) {
        double *to = r->curve_values + r->values_used + (size_t)c * (size_t)curve->epochs;
        for (int e = 0; e < curve->epochs; e++)
            to[e] = curve->channel[c] ? curve->channel[c][e] : NAN;
    }
    r->values_used += values;
    r->connected[i] = (uint8_t)exh_editdist_connected(layers, layer_count);
    if (knn_tokens_add(r, i) < 0) {
        r->layers_used -= layer_count;
        r->values_used -= values;
        free(copy);
        return -1;
    }
    r->count++;
    return 0;
}

int exh_knn_repository_add(exh_knn_repository *r, const char *name, const exh_layer *layers,
                           int layer_count, const exh_knn_curve *curve, exh_error *err)
{
    int rc = check_model(layers, layer_count, curve, err);
    if (rc < 0)
        return rc;
    int fits_nb201 = r->nb201.usable && knn_is_nb201_cell(layers, layer_count);
    if (fits_nb201 && knn_nb201_reserve(r, r->count + 1, err) < 0)
        return EXH_ERR_NOMEM;
    if (store_model(r, name, layers, layer_count, curve) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN repository: out of memory adding model %d",
                             r->count);
    if (fits_nb201)
        knn_nb201_set_column(r, r->count - 1);
    else
        r->nb201.usable = 0;
    return EXH_OK;
}

/* The run's epochs as a curve of the repository's metric; the three
 * channels are allocated in one block (*block, freed by the caller). */
static int curve_from_run(const exh_knn_repository *r, const exh_run *logged, exh_knn_curve *curve,
                          double **block, exh_error *err)
{
    int epochs = 0;
    for (size_t i = 0; i < logged->epoch_count; i++) {
        int e = logged->epochs[i].epoch;
        if (e > EXH_KNN_MAX_EPOCHS)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "k-NN repository: run %s logs epoch %d (at most %d)",
                                 logged->key ? logged->key : "?", e, EXH_KNN_MAX_EPOCHS);
        if (e > epochs)
            epochs = e;
    }
    *block = malloc(sizeof(double) * (size_t)(epochs > 0 ? epochs : 1) * EXH_KNN_CHANNEL_COUNT);
    if (!*block)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN repository: out of memory");
    for (int i = 0; i < epochs * EXH_KNN_CHANNEL_COUNT; i++)
        (*block)[i] = NAN;
    int accuracy = r->metric == EXH_KNN_ACCURACY;
    for (size_t i = 0; i < logged->epoch_count; i++) {
        const exh_epoch_record *row = &logged->epochs[i];
        if (row->epoch < 1)
            continue;
        size_t e = (size_t)row->epoch - 1;
        (*block)[e] = accuracy ? row->val_accuracy : row->val_loss;
        (*block)[(size_t)epochs + e] = accuracy ? row->train_accuracy : row->train_loss;
        (*block)[2 * (size_t)epochs + e] = row->epoch_seconds;
    }
    curve->epochs = epochs;
    for (int c = 0; c < EXH_KNN_CHANNEL_COUNT; c++)
        curve->channel[c] = *block + (size_t)c * (size_t)epochs;
    return EXH_OK;
}

int exh_knn_repository_add_run(exh_knn_repository *r, const exh_space *s, const exh_run *logged, exh_error *err)
{
    const char *key = logged->key ? logged->key : "(unnamed run)";
    if (strcmp(exh_space_kind(s), exh_penalties_kind_name(r->penalties.kind)) != 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN repository: run %s is in a %s space but the penalties are for %s",
                             key, exh_space_kind(s), exh_penalties_kind_name(r->penalties.kind));
    if (!logged->arch)
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN repository: run %s has no architecture",
                             key);
    exh_arch a;
    int rc = exh_space_parse(s, logged->arch, &a, err);
    if (rc < 0) {
        exh_error_prefix(err, "k-NN repository: run %s", key);
        return rc;
    }
    exh_layer layers[EXH_EDITDIST_MAX_LAYERS];
    int count = exh_space_layers(s, &a, layers, EXH_EDITDIST_MAX_LAYERS);
    if (count < 0 || count > EXH_EDITDIST_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN repository: run %s: no layer view of its architecture", key);
    exh_knn_curve curve;
    double *block = NULL;
    rc = curve_from_run(r, logged, &curve, &block, err);
    if (rc == EXH_OK)
        rc = exh_knn_repository_add(r, logged->key, layers, count, &curve, err);
    free(block);
    return rc;
}

int exh_knn_repository_set_penalties(exh_knn_repository *r, const exh_penalty_table *penalties,
                                     exh_error *err)
{
    if (exh_penalties_validate(penalties, err) < 0)
        return EXH_ERR_INVALID;
    r->penalties = *penalties;
    r->nb201.usable = penalties->kind == EXH_PENALTY_NB201;
    for (int i = 0; i < r->count && r->nb201.usable; i++)
        r->nb201.usable = knn_is_nb201_cell(r->layers + r->layer_start[i], r->layer_count[i]);
    return knn_nb201_rebuild(r, err);
}

int exh_knn_repository_count(const exh_knn_repository *r)
{
    return r->count;
}

const exh_penalty_table *exh_knn_repository_penalties(const exh_knn_repository *r)
{
    return &r->penalties;
}

exh_knn_metric exh_knn_repository_metric(const exh_knn_repository *r)
{
    return r->metric;
}

const char *exh_knn_repository_name(const exh_knn_repository *r, int index)
{
    return r->names[index] ? r->names[index] : "";
}

const exh_layer *exh_knn_repository_layers(const exh_knn_repository *r, int index, int *count)
{
    *count = r->layer_count[index];
    return r->layers ? r->layers + r->layer_start[index] : NULL; /* NULL + 0 is UB */
}

exh_knn_curve exh_knn_repository_curve(const exh_knn_repository *r, int index)
{
    exh_knn_curve curve = {.epochs = r->epochs[index]};
    for (int c = 0; r->curve_values && c < EXH_KNN_CHANNEL_COUNT; c++) /* NULL + 0 is UB */
        curve.channel[c] =
            r->curve_values + r->curve_start[index] + (size_t)c * (size_t)r->epochs[index];
    return curve;
}

void knn_repository_force_full_programme(exh_knn_repository *r, int full) { r->force_full = full; }

void knn_repository_force_kernel(exh_knn_repository *r, knn_kernel kernel)
{
    r->forced_kernel = kernel;
}

const char *exh_knn_repository_kernel(const exh_knn_repository *r)
{
    static const exh_layer cell[EXH_NB201_EDGES]; /* any cell: only the shape matters */
    switch (knn_kernel_for(r, cell, EXH_NB201_EDGES)) {
    case KNN_KERNEL_EXACT8:
        return "nb201 int8 avx2";
    case KNN_KERNEL_EXACT16:
        return "nb201 int16 avx2";
    case KNN_KERNEL_LANES:
        return "nb201 double lanes";
    default:
        return "generic";
    }
}
