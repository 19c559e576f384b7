/*
 * knn_internal.h — the repository's layout, shared by knn.c (models),
 * knn_predict.c (neighbours and averaging), knn_nb201.c (the side-by-side
 * NB201 kernels) and penalties_fit.c.
 */
#ifndef EXHAUST_KNN_INTERNAL_H
#define EXHAUST_KNN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "exhaust/knn.h"

/* Models per kernel block; table columns are padded to a multiple of it. */
#define KNN_BLOCK 128

typedef enum knn_kernel {
    KNN_KERNEL_AUTO = 0, /* the fastest one that applies */
    KNN_KERNEL_GENERIC,  /* editdist per model */
    KNN_KERNEL_LANES,    /* nb201, doubles side by side */
    KNN_KERNEL_EXACT16,  /* nb201, scaled 16-bit integers side by side (AVX2) */
    KNN_KERNEL_EXACT8,   /* nb201, scaled 8-bit integers side by side (AVX2) */
} knn_kernel;

/* The nb201 costs as saturating integers of one width: every finite cost
 * times 2^scale_bits is an integer, the longest path's sum plus the
 * disconnect term stays below `infinity`, and infinite costs are
 * `infinity`, where saturating adds keep them. */
typedef struct knn_exact_costs {
    int fits;          /* whether the table has this form */
    uint16_t infinity; /* INT16_MAX for 16 bits, UINT8_MAX for 8 */
    uint16_t indel;
    void *costs;       /* [query op][edge][capacity] of int16_t or uint8_t */
    void *disconnect;  /* [query connected: 0, 1][capacity]: the term per model */
} knn_exact_costs;

/* The NB201 side-by-side tables: column m is model m. */
typedef struct knn_nb201_tables {
    int usable;     /* every model is a 6-edge cell with operations 0..4 */
    int capacity;   /* columns allocated, a multiple of KNN_BLOCK */
    double *costs;  /* [query op][edge][capacity]: replace(query op, model op) */
    int scale_bits; /* the power of two of the exact forms; -1 when there is none */
    /* editdist_nb201_diagonal_only for 6 edges: the kernels add the six
     * costs of the diagonal instead of running the 49-cell programme */
    int diagonal;
    knn_exact_costs exact8, exact16;
    /* The whole programme in bytes when the indel cost c is finite
     * (knn_nb201_gain.c): gain[query op][edge][capacity] = 2c - min(cost,
     * 2c), scaled as exact8; NULL where exact8 does not fit or c is
     * infinite. gain_total = 12c. */
    uint8_t *gain;
    uint8_t gain_total;
} knn_nb201_tables;

struct exh_knn_repository {
    exh_penalty_table penalties;
    exh_knn_metric metric;
    int count, capacity;
    /* model i: layers[layer_start[i] .. + layer_count[i]) */
    int *layer_start, *layer_count;
    exh_layer *layers;
    int layers_used, layers_capacity;
    /* model i: epochs[i] values per channel at curve_values + curve_start[i],
     * channel after channel */
    int *epochs;
    size_t *curve_start;
    double *curve_values;
    size_t values_used, values_capacity;
    char **names;
    uint8_t *connected; /* editdist_connected, for nb201's disconnect term */
    /* Layers as tokens (knn_generic.c): layer_token[l] numbers the distinct
     * layers (equal in every field) in order of first appearance; tokens[t]
     * is token t. The generic kernel computes each query's costs once per
     * token instead of once per DP cell. */
    int *layer_token;
    exh_layer *tokens;
    int token_count, token_capacity;
    int *token_slots; /* open addressing: token + 1, 0 empty */
    int token_slot_capacity;
    knn_nb201_tables nb201;
    knn_kernel forced_kernel; /* tests force a path; KNN_KERNEL_AUTO otherwise */
    int force_full;           /* tests: run the whole programme, no diagonal shortcut */
};

/* Whether layers form a 6-edge cell with operations 0..4. */
int knn_is_nb201_cell(const exh_layer *layers, int count);

/* The kernel a query of `count` layers would use. */
knn_kernel knn_kernel_for(const exh_knn_repository *r, const exh_layer *layers, int count);

/* (Re)build the NB201 tables for the current penalties and models; called
 * when the penalties change or the capacity grows. */
int knn_nb201_rebuild(exh_knn_repository *r, exh_error *err);
/* Fill column `index` for a model just added (tables already large enough). */
void knn_nb201_set_column(exh_knn_repository *r, int index);
/* Grow the tables to hold at least `count` models. */
int knn_nb201_reserve(exh_knn_repository *r, int count, exh_error *err);
void knn_nb201_free(knn_nb201_tables *tables);

/* Distances from the 6-operation query to every model with an NB201
 * kernel (LANES, EXACT16 or EXACT8), in doubles. */
void knn_nb201_distances(const exh_knn_repository *r, knn_kernel kernel, const exh_layer *query,
                         double *out);
/* The exact kernels' own result: each distance times 2^scale_bits, the
 * width's `infinity` standing for infinity, into out[0..count). `out` must
 * have room for the count rounded up to a multiple of KNN_BLOCK. */
void knn_nb201_scaled_distances(const exh_knn_repository *r, knn_kernel kernel, const exh_layer *query,
                                uint16_t *out);
/* One such value back as the distance it stands for. */
double knn_nb201_unscale(const exh_knn_repository *r, knn_kernel kernel, uint16_t value);
/* The gain kernel (knn_nb201_gain.c): scaled distances, with the
 * disconnect term, for the KNN_BLOCK models from m into out[0 ..
 * KNN_BLOCK), in AVX-512 (wide) or AVX2; the same numbers as the exact8
 * programme. Only where t->gain is set and the CPU has AVX2. */
void knn_nb201_gain_block(const knn_nb201_tables *t, const int *query, int connected, int m,
                          int wide, uint16_t *out);
/* Benchmarks: 0 runs the int8 D form instead (process-wide). */
void knn_nb201_allow_gain(int allowed);
/* The gain kernel for models [0, count): blocks of up to 3 vectors in
 * AVX-512. `out` has room for count rounded up to a multiple of KNN_BLOCK. */
void knn_nb201_gain_all(const knn_nb201_tables *t, const int *query, int connected, int count,
                        int wide, uint16_t *out);
/* gain[o][e][index] from the exact8 costs of column index. */
void knn_nb201_gain_set_column(knn_nb201_tables *t, int index);

/* Whether the CPU runs the AVX2 kernels. */
int knn_nb201_has_avx2(void);
/* Whether the int8 kernel runs in AVX-512 (BW) here: 64 models a vector
 * instead of 32, the same numbers. knn_nb201_allow_avx512(0) keeps it to
 * AVX2 (tests compare the two; process-wide). */
int knn_nb201_has_avx512(void);
void knn_nb201_allow_avx512(int allowed);

/* The k (>= 1, <= n minus the excluded) nearest of n distances, nearest
 * first, ties to the lower index, model `exclude` (-1: none) left out
 * (knn_select.c). The scaled form takes values in 0..limit (limit < 32768:
 * the width's infinity) and leaves the scaled values in .distance. */
void knn_select_nearest(const double *distances, int n, int k, int exclude, exh_knn_neighbour *out);
void knn_select_nearest_scaled(const uint16_t *scaled, int n, int k, int exclude, int limit,
                               exh_knn_neighbour *out);

/* A prediction that is model `index`'s curve as is: one neighbour, weight 1,
 * distance NaN (baselines). */
int knn_prediction_from_model(const exh_knn_repository *r, int index, exh_knn_prediction *out,
                              exh_error *err);

/* Number the layers of the model just stored (layer_start[index] ..) as
 * tokens; -1 when out of memory (knn_generic.c). */
int knn_tokens_add(exh_knn_repository *r, int index);
void knn_tokens_free(exh_knn_repository *r);
/* Distances (without nb201's disconnect term) from the query to every
 * model through the token tables, models of one length side by side
 * (AVX-512, AVX2 or plain C, chosen at run time; the same numbers as
 * editdist_alignment). EXH_ERR_NOMEM when the tables cannot be allocated. */
int knn_generic_distances(const exh_knn_repository *r, const exh_layer *query, int count, double *out,
                          exh_error *err);
/* The vector width the generic kernel uses: 512, 256 (AVX2) or 0 (plain C). */
int knn_generic_simd(void);
/* Tests and benchmarks: use at most that width (512: the widest there is).
 * Process-wide; not for use while other threads compute distances. */
void knn_generic_force_simd(int level);

/* Tests: force a distance path (KNN_KERNEL_AUTO restores the default). A
 * forced NB201 kernel that does not apply falls back to the generic one. */
void knn_repository_force_kernel(exh_knn_repository *r, knn_kernel kernel);
/* Tests: 1 runs every cell of the programme even where the penalties make it
 * degenerate (editdist_alignment_full, the kernels' whole programme). */
void knn_repository_force_full_programme(exh_knn_repository *r, int full);

#endif
