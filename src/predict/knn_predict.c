/* knn_predict.c — the K nearest models and the weighted average of their
 * curves (knn.h states the rules). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "predict/knn_internal.h"

void exh_knn_prediction_init(exh_knn_prediction *p)
{
    memset(p, 0, sizeof *p);
}

void exh_knn_prediction_clear(exh_knn_prediction *p)
{
    free(p->neighbours);
    free(p->values);
    free(p->distances);
    free(p->scaled);
    exh_knn_prediction_init(p);
}

static int reserve(void **array, int *capacity, int needed, size_t size)
{
    if (needed <= *capacity)
        return 0;
    void *grown = realloc(*array, (size_t)needed * size);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = needed;
    return 0;
}

static int reserve_prediction(exh_knn_prediction *p, int neighbours, int epochs, int distances,
                              exh_error *err)
{
    int values = p->epoch_capacity * EXH_KNN_CHANNEL_COUNT;
    if (reserve((void **)&p->neighbours, &p->neighbour_capacity, neighbours,
                sizeof(exh_knn_neighbour)) < 0 ||
        reserve((void **)&p->values, &values, epochs * EXH_KNN_CHANNEL_COUNT, sizeof(double)) < 0 ||
        reserve((void **)&p->distances, &p->distance_capacity, distances, sizeof(double)) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN prediction: out of memory");
    p->epoch_capacity = values / EXH_KNN_CHANNEL_COUNT;
    return EXH_OK;
}

static int check_query(const exh_layer *layers, int count, exh_error *err)
{
    if (count < 0 || count > EXH_EDITDIST_MAX_LAYERS || (count > 0 && !layers))
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN: the query has %d layers (allowed 0..%d)",
                             count, EXH_EDITDIST_MAX_LAYERS);
    return EXH_OK;
}

int exh_knn_distances(const exh_knn_repository *r, const exh_layer *layers, int count, double *out,
                      exh_error *err)
{
    int rc = check_query(layers, count, err);
    if (rc < 0)
        return rc;
    knn_kernel kernel = knn_kernel_for(r, layers, count);
    if (kernel != KNN_KERNEL_GENERIC) {
        knn_nb201_distances(r, kernel, layers, out);
        return EXH_OK;
    }
    int nb201 = r->penalties.kind == EXH_PENALTY_NB201;
    int connected = nb201 && exh_editdist_connected(layers, count);
    if (!r->force_full) {
        if ((rc = knn_generic_distances(r, layers, count, out, err)) < 0)
            return rc;
        for (int m = 0; nb201 && m < r->count; m++)
            if (r->connected[m] != connected)
                out[m] += r->penalties.nb201.disconnect;
        return EXH_OK;
    }
    for (int m = 0; m < r->count; m++) { /* the reference: every cell, one model at a time */
        out[m] = exh_editdist_alignment_full(&r->penalties, layers, count, r->layers + r->layer_start[m],
                           r->layer_count[m]);
        if (nb201 && r->connected[m] != connected)
            out[m] += r->penalties.nb201.disconnect;
    }
    return EXH_OK;
}

/* Exact matches share the weight; otherwise weights go as 1 / distance,
 * computed as nearest / distance so that tiny distances cannot overflow. */
static int assign_weights(exh_knn_neighbour *neighbours, int k, exh_error *err)
{
    int exact = 0;
    for (int i = 0; i < k; i++)
        exact += neighbours[i].distance == 0.0;
    double nearest = neighbours[0].distance, sum = 0.0;
    if (!exact && !(nearest < INFINITY))
        return exh_error_set(err, EXH_ERR_NOT_FOUND,
                             "k-NN: all %d nearest logged models are infinitely far from the query "
                             "(no finite sequence of edits reaches them under these penalties)",
                             k);
    for (int i = 0; i < k; i++) {
        double d = neighbours[i].distance;
        double w = exact ? (d == 0.0 ? 1.0 : 0.0) : (isinf(d) ? 0.0 : nearest / d);
        neighbours[i].weight = w;
        sum += w;
    }
    for (int i = 0; i < k; i++)
        neighbours[i].weight /= sum;
    return EXH_OK;
}

/* Epoch by epoch, the weighted mean over the neighbours that have a value. */
static void average_curves(const exh_knn_repository *r, exh_knn_prediction *p)
{
    for (int c = 0; c < EXH_KNN_CHANNEL_COUNT; c++) {
        for (int e = 0; e < p->epochs; e++) {
            double sum = 0.0, weight = 0.0;
            for (int i = 0; i < p->neighbour_count; i++) {
                const exh_knn_neighbour *n = &p->neighbours[i];
                size_t epochs = (size_t)r->epochs[n->index];
                if (n->weight <= 0.0 || (size_t)e >= epochs)
                    continue;
                double value = r->curve_values[r->curve_start[n->index] + c * epochs + (size_t)e];
                if (isnan(value))
                    continue;
                sum += n->weight * value;
                weight += n->weight;
            }
            p->channel[c][e] = weight > 0.0 ? sum / weight : NAN;
        }
    }
}

/* The curves of the weighted neighbours, averaged into p. */
static int fill_curves(const exh_knn_repository *r, exh_knn_prediction *p, exh_error *err)
{
    int rc, epochs = 0;
    for (int i = 0; i < p->neighbour_count; i++)
        if (p->neighbours[i].weight > 0.0 && r->epochs[p->neighbours[i].index] > epochs)
            epochs = r->epochs[p->neighbours[i].index];
    if ((rc = reserve_prediction(p, 0, epochs, 0, err)) < 0)
        return rc;
    p->epochs = epochs;
    for (int c = 0; c < EXH_KNN_CHANNEL_COUNT; c++) /* no curve at all: values is NULL, NULL + 0 UB */
        p->channel[c] = p->values ? p->values + (size_t)c * (size_t)epochs : NULL;
    average_curves(r, p);
    return EXH_OK;
}

/* The k nearest into out->neighbours: through the exact kernels' integers
 * when they apply (converting only the k chosen), else through doubles. */
static int find_nearest(const exh_knn_repository *r, const exh_layer *layers, int count, int k,
                        int exclude, exh_knn_prediction *out, exh_error *err)
{
    knn_kernel kernel = knn_kernel_for(r, layers, count);
    if (kernel != KNN_KERNEL_EXACT8 && kernel != KNN_KERNEL_EXACT16) {
        int rc = exh_knn_distances(r, layers, count, out->distances, err);
        if (rc == EXH_OK)
            knn_select_nearest(out->distances, r->count, k, exclude, out->neighbours);
        return rc;
    }
    int padded = (r->count + KNN_BLOCK - 1) / KNN_BLOCK * KNN_BLOCK;
    if (reserve((void **)&out->scaled, &out->scaled_capacity, padded, sizeof(uint16_t)) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN prediction: out of memory");
    knn_nb201_scaled_distances(r, kernel, layers, out->scaled);
    int limit =
        kernel == KNN_KERNEL_EXACT8 ? r->nb201.exact8.infinity : r->nb201.exact16.infinity;
    knn_select_nearest_scaled(out->scaled, r->count, k, exclude, limit, out->neighbours);
    for (int i = 0; i < k; i++)
        out->neighbours[i].distance =
            knn_nb201_unscale(r, kernel, (uint16_t)out->neighbours[i].distance);
    return EXH_OK;
}

static int predict(const exh_knn_repository *r, const exh_layer *layers, int count, int k,
                   int exclude, exh_knn_prediction *out, exh_error *err)
{
    int candidates = r->count - (exclude >= 0);
    out->neighbour_count = 0;
    out->epochs = 0;
    if (r->count == 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN: the repository is empty (no logged models to compare with)");
    if (k < 1 || k > candidates)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN: K = %d, but there are %d logged models to choose from "
                             "(K must be 1..%d)",
                             k, candidates, candidates);
    int rc = check_query(layers, count, err);
    if (rc == EXH_OK)
        rc = reserve_prediction(out, k, 0, r->count, err);
    if (rc == EXH_OK)
        rc = find_nearest(r, layers, count, k, exclude, out, err);
    if (rc < 0)
        return rc;
    out->neighbour_count = k;
    if ((rc = assign_weights(out->neighbours, k, err)) < 0)
        return rc;
    return fill_curves(r, out, err);
}

int exh_knn_predict(const exh_knn_repository *r, const exh_layer *layers, int count, int k,
                    exh_knn_prediction *out, exh_error *err)
{
    return predict(r, layers, count, k, -1, out, err);
}

int exh_knn_predict_leave_out(const exh_knn_repository *r, int index, int k, exh_knn_prediction *out,
                              exh_error *err)
{
    if (index < 0 || index >= r->count) {
        out->neighbour_count = out->epochs = 0;
        return exh_error_set(err, EXH_ERR_INVALID, "k-NN: model %d is not in the repository (0..%d)",
                             index, r->count - 1);
    }
    return predict(r, r->layers + r->layer_start[index], r->layer_count[index], k, index, out,
                   err);
}

int exh_knn_predict_arch(const exh_knn_repository *r, const exh_space *s, const exh_arch *a, int k,
                         exh_knn_prediction *out, exh_error *err)
{
    out->neighbour_count = out->epochs = 0;
    if (strcmp(exh_space_kind(s), exh_penalties_kind_name(r->penalties.kind)) != 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN: the query is in a %s space but the penalties are for %s",
                             exh_space_kind(s), exh_penalties_kind_name(r->penalties.kind));
    exh_layer layers[EXH_EDITDIST_MAX_LAYERS];
    int count = exh_space_layers(s, a, layers, EXH_EDITDIST_MAX_LAYERS);
    if (count < 0 || count > EXH_EDITDIST_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k-NN: %s: the query has no layer view (invalid architecture?)",
                             exh_space_name(s));
    return exh_knn_predict(r, layers, count, k, out, err);
}

int knn_prediction_from_model(const exh_knn_repository *r, int index, exh_knn_prediction *out,
                              exh_error *err)
{
    int rc = reserve_prediction(out, 1, 0, 0, err);
    if (rc < 0)
        return rc;
    out->neighbour_count = 1;
    out->neighbours[0] = (exh_knn_neighbour){.index = index, .distance = NAN, .weight = 1.0};
    return fill_curves(r, out, err);
}
