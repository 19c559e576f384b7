/*
 * knn.h — predict how an untrained architecture would train, from the logged
 * models nearest to it by edit distance.
 *
 * A repository holds logged models: each one's layer sequence (space_layers)
 * and its curve — per epoch, the validation metric, the train metric and the
 * epoch's wall time (knn_curve; NaN = not logged). knn_predict finds the K
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
 * knn_predict_leave_out predicts a repository model from all the others
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
 * programme degenerate (editdist_nb201_diagonal_only: NB201's default
 * infinite indel) the kernels add the six diagonal costs instead. Every
 * other space (and nb201 models that are not 6-edge cells) goes through
 * cost tables — graph and convchain: 16 entries indexed by which features
 * differ; dense and nb201: per query and distinct layer — with 8 models of
 * one length side by side (AVX-512, AVX2 or plain C). Every path gives
 * bit-identical distances and the same neighbours (tests/test_knn.c
 * compares them with the whole programme run per model); bench/bench_knn.c
 * measures them. A repository is read-only during predictions: several
 * threads may predict at once, each with its own knn_prediction.
 *
 * Typical use:
 *     penalty_table t;  penalties_default("nb201", &t, &err);
 *     knn_repository *r;  knn_repository_new(&t, KNN_ACCURACY, &r, &err);
 *     for each logged run: knn_repository_add_run(r, s, &run, &err);
 *     knn_prediction p;  knn_prediction_init(&p);
 *     knn_predict_arch(r, s, &query, 5, &p, &err);
 *     p.channel[KNN_VALIDATION][e] ... p.neighbours[i].index, .distance, .weight
 *     knn_prediction_clear(&p);  knn_repository_free(r);
 */
#ifndef EXHAUST_KNN_H
#define EXHAUST_KNN_H

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/penalties.h"
#include "exhaust/run.h"
#include "exhaust/space.h"

#define KNN_DEFAULT_K 5
/* Longest curve a repository accepts (epochs), to refuse absurd epoch
 * numbers from a damaged log instead of allocating for them. */
#define KNN_MAX_EPOCHS 100000

enum knn_channel { KNN_VALIDATION = 0, KNN_TRAIN, KNN_EPOCH_SECONDS, KNN_CHANNEL_COUNT };

typedef enum knn_metric { KNN_ACCURACY = 0, KNN_LOSS } knn_metric;

/* "validation", "train", "epoch_seconds". */
const char *knn_channel_name(int channel);
/* 1 for KNN_ACCURACY, 0 for KNN_LOSS. */
int knn_metric_higher_is_better(knn_metric metric);

/* A curve: `epochs` values per channel (index e is epoch e + 1); a NULL
 * channel is entirely missing; NaN marks a missing epoch. */
typedef struct knn_curve {
    int epochs;
    const double *channel[KNN_CHANNEL_COUNT];
} knn_curve;

typedef struct knn_repository knn_repository;

/* A new empty repository comparing with a copy of `penalties` (validated). */
int knn_repository_new(const penalty_table *penalties, knn_metric metric,
                       knn_repository **out, exh_error *err);
void knn_repository_free(knn_repository *r);

/* Add a model (everything copied). `name` may be NULL. layer_count must be
 * within 0..EDITDIST_MAX_LAYERS and curve->epochs within 0..KNN_MAX_EPOCHS. */
int knn_repository_add(knn_repository *r, const char *name, const layer *layers,
                       int layer_count, const knn_curve *curve, exh_error *err);
/* Add a logged run: its architecture parsed in space s (whose kind must be
 * the table's), named by its key, its epochs as the curve (epoch numbers < 1
 * are ignored; missing epochs are NaN). Runs are taken as given, whatever
 * their status. */
int knn_repository_add_run(knn_repository *r, const space *s, const run *logged, exh_error *err);

/* Replace the penalty table (same kind or not); the models stay. */
int knn_repository_set_penalties(knn_repository *r, const penalty_table *penalties,
                                 exh_error *err);

int knn_repository_count(const knn_repository *r);
const penalty_table *knn_repository_penalties(const knn_repository *r);
knn_metric knn_repository_metric(const knn_repository *r);
/* Model `index`'s name ("" when added without one), layers and curve
 * (pointers valid until the next add). index must be in range. */
const char *knn_repository_name(const knn_repository *r, int index);
const layer *knn_repository_layers(const knn_repository *r, int index, int *count);
knn_curve knn_repository_curve(const knn_repository *r, int index);
/* How distances are computed now, for reports: "nb201 int8 avx2",
 * "nb201 int16 avx2", "nb201 double lanes", "generic". */
const char *knn_repository_kernel(const knn_repository *r);

typedef struct knn_neighbour {
    int index;       /* into the repository */
    double distance; /* editdist(query, model); NaN when not computed (baselines) */
    double weight;   /* share in the average; weights sum to 1 */
} knn_neighbour;

/* A prediction, reusable across calls (buffers grow, never shrink, so a
 * loop of predictions allocates only at first). */
typedef struct knn_prediction {
    int neighbour_count;
    knn_neighbour *neighbours; /* nearest first */
    int epochs;
    double *channel[KNN_CHANNEL_COUNT]; /* `epochs` values each; NaN = no neighbour value */
    /* private */
    int neighbour_capacity, epoch_capacity, distance_capacity, scaled_capacity;
    double *values, *distances;
    uint16_t *scaled;
} knn_prediction;

void knn_prediction_init(knn_prediction *p);
void knn_prediction_clear(knn_prediction *p);

/* Predict the query given as layers (count within 0..EDITDIST_MAX_LAYERS).
 * EXH_ERR_INVALID when the repository is empty or k is not in 1..models. */
int knn_predict(const knn_repository *r, const layer *layers, int count, int k,
                knn_prediction *out, exh_error *err);
int knn_predict_arch(const knn_repository *r, const space *s, const arch *a, int k,
                     knn_prediction *out, exh_error *err);
/* Predict model `index` from the others (k within 1..models - 1). */
int knn_predict_leave_out(const knn_repository *r, int index, int k, knn_prediction *out,
                          exh_error *err);

/* Distances from the query to every model, in repository order, into
 * out[0..knn_repository_count(r)). */
int knn_distances(const knn_repository *r, const layer *layers, int count, double *out,
                  exh_error *err);

#endif
