/*
 * predictor.h — many predictions in one call, for bindings (the Python
 * package) and programs that predict in bulk: what `exhaust predict ARCH...`
 * does for k-NN and the baselines, with plain arrays in and out.
 *
 * exh_predictor_open loads the store's logged models of one space and
 * dataset (exh_eval_dataset_load: runs whose status is ok) into a k-NN
 * repository (knn.h) once; exh_predictor_run then predicts any number of
 * architectures against it. For each architecture i it fills:
 *   values[i]                  the target (targets.h) of the predicted curve
 *   texts                      the architectures in the space's canonical text,
 *                              one after the other, each ending in '\0'
 *   index/distance/weight[i * neighbours + j]   its j-th neighbour (nearest
 *                              first): repository index (exh_predictor_name
 *                              gives the run key), edit distance, weight;
 *                              slots past the prediction's neighbours get
 *                              -1, NaN and 0.
 * Any output array may be NULL. The baselines draw from one generator seeded
 * with `seed` and used in architecture order, as the command does, so the
 * same call gives the same result as `exhaust predict --seed`.
 *
 * An architecture that does not parse, or a prediction that fails, stops the
 * run: EXH_ERR_PARSE / EXH_ERR_INVALID / EXH_ERR_NOT_FOUND with the message
 * naming the architecture, and *failed (when not NULL) set to its index.
 *
 *     exh_predictor *p;  exh_predictor_open("runs.db", "nb201", "cifar10-valid", NULL, &p, &err);
 *     exh_predictor_output out = {values, NULL, 0, 0, 5, index, distance, weight, 0};
 *     exh_predictor_run(p, "knn", "best", 5, 1, archs, n, &out, NULL, &err);
 *     exh_predictor_free(p);
 */
#ifndef EXHAUST_PREDICTOR_H
#define EXHAUST_PREDICTOR_H

#include "exhaust/export.h"

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"

typedef struct exh_predictor exh_predictor;

/* Open the store read-only and load its models of `space` and `dataset`.
 * penalties_path: edit-distance penalties as JSON (exhaust fit-penalties);
 * NULL for the space's defaults. Fewer than ten models there is
 * EXH_ERR_INVALID, as for exh_eval_dataset_load. */
EXH_API int exh_predictor_open(const char *store_path, const char *space, const char *dataset,
                               const char *penalties_path, exh_predictor **out, exh_error *err);
EXH_API void exh_predictor_free(exh_predictor *p);

/* The logged models: how many, and model `index`'s run key ("" when out of range). */
EXH_API int exh_predictor_count(const exh_predictor *p);
EXH_API const char *exh_predictor_name(const exh_predictor *p, int index);
/* 1 when the models' metric is accuracy (higher is better), 0 for losses. */
EXH_API int exh_predictor_higher_is_better(const exh_predictor *p);

typedef struct exh_predictor_output {
    double *values; /* [count] */
    char *texts; /* [text_size]: the canonical texts, packed (see above) */
    size_t text_size;
    size_t text_used; /* set by the run: bytes the texts need; when more than
                           text_size, the texts that did not fit (and every one
                           after them) are not written: run again with more */
    int neighbours; /* slots per architecture in index, distance, weight */
    int *index; /* [count * neighbours] */
    double *distance, *weight;
    int lower_is_better; /* set by the run: the target's direction */
} exh_predictor_output;

/* method: "knn", "baseline1" or "baseline2"; target: as exh_targets_parse
 * ("best", "overfit", "epoch-time", "budget=SECONDS"); k: neighbours for
 * knn, 1..exh_predictor_count. Bad names are EXH_ERR_INVALID. */
EXH_API int exh_predictor_run(const exh_predictor *p, const char *method, const char *target, int k,
                              uint64_t seed, const char *const *archs, int count,
                              exh_predictor_output *out, int *failed, exh_error *err);

#endif
