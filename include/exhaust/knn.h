/*
 * knn.h — predict how an untrained architecture would train, from the logged
 * models nearest to it by edit distance.
 *
 * A repository holds logged models: each one's layer sequence (exh_space_layers)
 * and its curve — per epoch, the validation metric, the train metric and the
 * epoch's wall time (exh_knn_curve; NaN = not logged). exh_knn_predict finds the K
 * models nearest to a query architecture by edit distance (editdist.h, with
 * the repository's penalty table) and averages their curves:
 *
 *   Neighbours. The K smallest distances editdist(query, model); ties go to
 *   the lower repository index, so the result is deterministic.
 *   Weights. If some neighbours are at distance 0 (exact matches), they share
 *   all the weight equally and the others get none. Otherwise weight_i is
 *   proportional to 1 / distance_i; neighbours infinitely far get weight 0.
 *   If all K are infinitely far there is nothing to average:
 *   EXH_ERR_NOT_FOUND (the neighbours are still reported).
 *   Curves of different lengths. Each channel is averaged epoch by epoch over
 *   the neighbours with positive weight that have a value at that epoch,
 *   their weights renormalized to sum to 1 there. The predicted curve is as
 *   long as the longest such neighbour's; an epoch where none of them has a
 *   value is NaN. (So the tail of a prediction may rest on fewer neighbours
 *   than its start.)
 *
 * exh_knn_predict_leave_out predicts a repository model from all the others
 * (leave-one-out: other models with the same architecture stay in).
 *
 * Metrics. A repository holds accuracy curves (higher is better; runs
 * contribute val_accuracy and train_accuracy, in percent) or loss curves
 * (lower is better; val_loss and train_loss), chosen at creation.
 *
 * Speed. Each model's layers are copied in once. For nb201 tables where every
 * model (and the query) is a 6-edge cell, the distances to all models are
 * computed together, the models side by side in SIMD lanes. When every
 * finite cost is a multiple of 1/256 and, so scaled, the longest path's sum
 * plus the disconnect term stays below 255 (or 32767), the programme runs
 * exactly in saturating 8-bit (16-bit) integers with AVX2 (8-bit: AVX-512
 * where the CPU has it), otherwise in doubles. Where the penalties make the
 * programme degenerate (exh_editdist_nb201_diagonal_only: NB201's default
 * infinite indel) the kernels add the six diagonal costs instead. Every
 * other space (and nb201 models that are not 6-edge cells) goes through
 * cost tables — graph and convchain: 16 entries indexed by which features
 * differ; dense and nb201: per query and distinct layer — with 8 models of
 * one length side by side (AVX-512, AVX2 or plain C). Every path gives
 * bit-identical distances and the same neighbours (tests/test_knn.c
 * compares them with the whole programme run per model); bench/bench_knn.c
 * measures them. A repository is read-only during predictions: several
 * threads may predict at once, each with its own exh_knn_prediction.
 *
 * Typical use:
 *     exh_penalty_table t;  exh_penalties_default("nb201", &t, &err);
 *     exh_knn_repository *r;  exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &r, &err);
 *     for each logged run: exh_knn_repository_add_run(r, s, &run, &err);
 *     exh_knn_prediction p;  exh_knn_prediction_init(&p);
 *     exh_knn_predict_arch(r, s, &query, 5, &p, &err);
 *     p.channel[EXH_KNN_VALIDATION][e] ... p.neighbours[i].index, .distance, .weight
 *     exh_knn_prediction_clear(&p);  exh_knn_repository_free(r);
 */
#ifndef EXHAUST_KNN_H
#define EXHAUST_KNN_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/penalties.h"
#include "exhaust/run.h"
#include "exhaust/space.h"

#define EXH_KNN_DEFAULT_K 5
/* Longest curve a repository accepts (epochs), to refuse absurd epoch
 * numbers from a damaged log instead of allocating for them. */
#define EXH_KNN_MAX_EPOCHS 100000

enum exh_knn_channel { EXH_KNN_VALIDATION = 0, EXH_KNN_TRAIN, EXH_KNN_EPOCH_SECONDS, EXH_KNN_CHANNEL_COUNT };

typedef enum exh_knn_metric { EXH_KNN_ACCURACY = 0, EXH_KNN_LOSS } exh_knn_metric;

/* "validation", "train", "epoch_seconds". */
EXH_API const char *exh_knn_channel_name(int channel);
/* 1 for EXH_KNN_ACCURACY, 0 for EXH_KNN_LOSS. */
EXH_API int exh_knn_metric_higher_is_better(exh_knn_metric metric);

/* A curve: `epochs` values per channel (index e is epoch e + 1); a NULL
 * channel is entirely missing; NaN marks a missing epoch. */
typedef struct exh_knn_curve {
    int epochs;
    const double *channel[EXH_KNN_CHANNEL_COUNT];
} exh_knn_curve;

typedef struct exh_knn_repository exh_knn_repository;

/* A new empty repository comparing with a copy of `penalties` (validated). */
EXH_API int exh_knn_repository_new(const exh_penalty_table *penalties, exh_knn_metric metric,
                                   exh_knn_repository **out, exh_error *err);
EXH_API void exh_knn_repository_free(exh_knn_repository *r);

/* Add a model (everything copied). `name` may be NULL. layer_count must be
 * within 0..EXH_EDITDIST_MAX_LAYERS and curve->epochs within 0..EXH_KNN_MAX_EPOCHS. */
EXH_API int exh_knn_repository_add(exh_knn_repository *r, const char *name, const exh_layer *layers,
                                   int layer_count, const exh_knn_curve *curve, exh_error *err);
/* Add a logged run: its architecture parsed in space s (whose kind must be
 * the table's), named by its key, its epochs as the curve (epoch numbers < 1
 * are ignored; missing epochs are NaN). Runs are taken as given, whatever
 * their status. */
EXH_API int exh_knn_repository_add_run(exh_knn_repository *r, const exh_space *s, const exh_run *logged, exh_error *err);

/* Replace the penalty table (same kind or not); the models stay. */
EXH_API int exh_knn_repository_set_penalties(exh_knn_repository *r, const exh_penalty_table *penalties,
                                             exh_error *err);

EXH_API int exh_knn_repository_count(const exh_knn_repository *r);
EXH_API const exh_penalty_table *exh_knn_repository_penalties(const exh_knn_repository *r);
EXH_API exh_knn_metric exh_knn_repository_metric(const exh_knn_repository *r);
/* Model `index`'s name ("" when added without one), layers and curve
 * (pointers valid until the next add). index must be in range. */
EXH_API const char *exh_knn_repository_name(const exh_knn_repository *r, int index);
EXH_API const exh_layer *exh_knn_repository_layers(const exh_knn_repository *r, int index, int *count);
EXH_API exh_knn_curve exh_knn_repository_curve(const exh_knn_repository *r, int index);
/* How distances are computed now, for reports: "nb201 int8 avx2",
 * "nb201 int16 avx2", "nb201 double lanes", "generic". */
EXH_API const char *exh_knn_repository_kernel(const exh_knn_repository *r);

typedef struct exh_knn_neighbour {
    int index;       /* into the repository */
    double distance; /* editdist(query, model); NaN when not computed (baselines) */
    double weight;   /* share in the average; weights sum to 1 */
} exh_knn_neighbour;

/* A prediction, reusable across calls (buffers grow, never shrink, so a
 * loop of predictions allocates only at first). */
typedef struct exh_knn_prediction {
    int neighbour_count;
    exh_knn_neighbour *neighbours; /* nearest first */
    int epochs;
    double *channel[EXH_KNN_CHANNEL_COUNT]; /* `epochs` values each; NaN = no neighbour value */
    /* private */
    int neighbour_capacity, epoch_capacity, distance_capacity, scaled_capacity;
    double *values, *distances;
    uint16_t *scaled;
} exh_knn_prediction;

EXH_API void exh_knn_prediction_init(exh_knn_prediction *p);
EXH_API void exh_knn_prediction_clear(exh_knn_prediction *p);

/* Predict the query given as layers (count within 0..EXH_EDITDIST_MAX_LAYERS).
 * EXH_ERR_INVALID when the repository is empty or k is not in 1..models. */
EXH_API int exh_knn_predict(const exh_knn_repository *r, const exh_layer *layers, int count, int k,
                            exh_knn_prediction *out, exh_error *err);
EXH_API int exh_knn_predict_arch(const exh_knn_repository *r, const exh_space *s, const exh_arch *a, int k,
                                 exh_knn_prediction *out, exh_error *err);
/* Predict model `index` from the others (k within 1..models - 1). */
EXH_API int exh_knn_predict_leave_out(const exh_knn_repository *r, int index, int k, exh_knn_prediction *out,
                                      exh_error *err);

/* Distances from the query to every model, in repository order, into
 * out[0..exh_knn_repository_count(r)). */
EXH_API int exh_knn_distances(const exh_knn_repository *r, const exh_layer *layers, int count, double *out,
                              exh_error *err);

#endif
