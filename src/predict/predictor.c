/* predictor.c — bulk predictions with plain arrays (predictor.h): the k-NN
 * and baseline part of `exhaust predict`, for bindings. */
#include "exhaust/predictor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/baseline.h"
#include "exhaust/eval.h"
#include "exhaust/knn.h"
#include "exhaust/rng.h"
#include "exhaust/store.h"
#include "exhaust/targets.h"

struct exh_predictor {
    exh_eval_dataset *data;
    exh_knn_repository *repository;
};

static int load_penalties(const exh_space *s, const char *path, exh_penalty_table *out,
                          exh_error *err)
{
    return path ? exh_penalties_load(path, out, err) : exh_penalties_for_space(s, out, err);
}

int exh_predictor_open(const char *store_path, const char *space, const char *dataset,
                       const char *penalties_path, exh_predictor **out, exh_error *err)
{
    *out = NULL;
    if (!store_path || !space || !dataset)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "predictor: store, space and dataset are needed");
    exh_predictor *p = calloc(1, sizeof *p);
    if (!p)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    exh_store *s = NULL;
    exh_penalty_table table;
    int rc = exh_store_open_readonly(store_path, &s, err);
    if (rc == 0)
        rc = exh_eval_dataset_load(s, space, dataset, &p->data, err);
    exh_store_close(s);
    if (rc == 0)
        rc = load_penalties(p->data->space, penalties_path, &table, err);
    if (rc == 0)
        rc = exh_eval_repository(p->data, &table, &p->repository, err);
    if (rc < 0) {
        exh_predictor_free(p);
        return rc;
    }
    *out = p;
    return EXH_OK;
}

void exh_predictor_free(exh_predictor *p)
{
    if (!p)
        return;
    exh_knn_repository_free(p->repository);
    exh_eval_dataset_free(p->data);
    free(p);
}

int exh_predictor_count(const exh_predictor *p)
{
    return exh_knn_repository_count(p->repository);
}

const char *exh_predictor_name(const exh_predictor *p, int index)
{
    if (index < 0 || index >= exh_predictor_count(p))
        return "";
    return exh_knn_repository_name(p->repository, index);
}

int exh_predictor_higher_is_better(const exh_predictor *p)
{
    return p->data->metric == EXH_KNN_ACCURACY;
}

typedef enum { METHOD_KNN, METHOD_BASELINE1, METHOD_BASELINE2 } method_kind;

static int parse_method(const char *name, method_kind *out, exh_error *err)
{
    static const char *const names[] = {"knn", "baseline1", "baseline2"};
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (method_kind)i;
            return EXH_OK;
        }
    return exh_error_set(err, EXH_ERR_INVALID,
                         "unknown method '%.60s': knn, baseline1 or baseline2",
                         name ? name : "(null)");
}

static int predict_curve(const exh_predictor *p, method_kind m, int k, exh_rng *g,
                         const exh_arch *a, exh_knn_prediction *out, exh_error *err)
{
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(p->data->space, a, layers, EXH_ARCH_MAX_TOKENS);
    if (m == METHOD_BASELINE1)
        return exh_baseline_random(p->repository, g, -1, out, err);
    if (m == METHOD_BASELINE2)
        return exh_baseline_size(p->repository, g, layers, count, -1, out, err);
    return exh_knn_predict(p->repository, layers, count, k, out, err);
}

/* Architecture i's results into the output arrays. */
static void store_result(const exh_predictor *p, const exh_arch *a, const exh_knn_prediction *pred,
                         int i, exh_predictor_output *out)
{
    char text[EXH_SPACE_TEXT_MAX];
    exh_space_format(p->data->space, a, text, sizeof text);
    size_t length = strlen(text) + 1;
    /* Once one text does not fit, none after it is written: the packing stays readable. */
    if (out->texts && out->text_used + length <= out->text_size)
        memcpy(out->texts + out->text_used, text, length);
    out->text_used += length;
    for (int j = 0; j < out->neighbours; j++) {
        size_t slot = (size_t)i * (size_t)out->neighbours + (size_t)j;
        const exh_knn_neighbour *n = j < pred->neighbour_count ? &pred->neighbours[j] : NULL;
        if (out->index)
            out->index[slot] = n ? n->index : -1;
        if (out->distance)
            out->distance[slot] = n ? n->distance : NAN;
        if (out->weight)
            out->weight[slot] = n ? n->weight : 0.0;
    }
}

/* The request's names and sizes, checked before any prediction. */
static int check_request(const exh_predictor *p, const char *method, const char *target, int k,
                         const char *const *archs, int count, const exh_predictor_output *out,
                         method_kind *m, exh_targets_spec *spec, exh_error *err)
{
    int rc = parse_method(method, m, err);
    if (rc == 0)
        rc = exh_targets_parse(target ? target : "", spec, err);
    if (rc < 0)
        return rc;
    int models = exh_predictor_count(p);
    if (*m == METHOD_KNN && (k < 1 || k > models))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "k = %d: it must be within 1..%d (the logged models)", k, models);
    if (count < 0 || (count > 0 && !archs) || !out || out->neighbours < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "predictor: bad architecture list or output");
    return EXH_OK;
}

int exh_predictor_run(const exh_predictor *p, const char *method, const char *target, int k,
                      uint64_t seed, const char *const *archs, int count, exh_predictor_output *out,
                      int *failed, exh_error *err)
{
    method_kind m = METHOD_KNN;
    exh_targets_spec spec;
    if (failed)
        *failed = -1;
    int rc = check_request(p, method, target, k, archs, count, out, &m, &spec, err);
    if (rc < 0)
        return rc;
    int higher = exh_predictor_higher_is_better(p);
    out->lower_is_better = exh_targets_lower_is_better(&spec, higher);
    out->text_used = 0;
    exh_rng *g = exh_rng_new(seed);
    if (!g)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    exh_knn_prediction pred;
    exh_knn_prediction_init(&pred);
    for (int i = 0; rc == 0 && i < count; i++) {
        exh_arch a;
        double value = NAN;
        rc = archs[i] ? exh_space_parse(p->data->space, archs[i], &a, err)
                      : exh_error_set(err, EXH_ERR_INVALID, "architecture %d is missing", i);
        if (rc == 0)
            rc = predict_curve(p, m, k, g, &a, &pred, err);
        if (rc == 0)
            rc = exh_targets_compute(
                &spec, pred.channel[EXH_KNN_VALIDATION], pred.channel[EXH_KNN_TRAIN],
                pred.channel[EXH_KNN_EPOCH_SECONDS], pred.epochs, higher, &value, err);
        if (rc < 0) {
            exh_error_prefix(err, "'%.60s'", archs[i] ? archs[i] : "(null)");
            if (failed)
                *failed = i;
            break;
        }
        if (out->values)
            out->values[i] = value;
        store_result(p, &a, &pred, i, out);
    }
    exh_knn_prediction_clear(&pred);
    exh_rng_free(g);
    return rc;
}
