/*
 * penalties.h — what each edit costs when the edit distance turns one
 * architecture's layer sequence into another's.
 *
 * The edit distance (editdist.h) is the cheapest way to turn one sequence of
 * layers (exh_space_layers) into another by replacing, inserting and deleting
 * layers. A exh_penalty_table says what each of those edits costs; its entries
 * depend on the space kind, because what makes two layers alike does:
 *
 * nb201 (one layer per cell edge; op = the edge's operation)
 *   replace[x][y]  cost of turning operation x into y on the same edge, in
 *                  NB201's order none, skip_connect, nor_conv_1x1,
 *                  nor_conv_3x3, avg_pool_3x3. Defaults (symmetric, and a
 *                  metric: every triangle holds):
 *                      conv_1x1 <-> conv_3x3       1  both learned convolutions
 *                      skip     <-> avg_pool       1  both parameter-free
 *                      conv     <-> skip/avg_pool  2  learned vs parameter-free
 *                      none     <-> anything       3  the edge disappears
 *                  The diagonal must be 0.
 *   indel          cost of inserting or deleting an edge. Default infinity:
 *                  edges are fixed positions, so only replacements align.
 *   disconnect     added once when exactly one of the two cells has no path
 *                  from input to output that avoids `none` (such a cell
 *                  outputs zeros and trains to chance). Default 10.
 *
 * convchain (one layer per conv layer) — the published table:
 *   replace  = filters * [filters differ] + kernel * [kernel_h or kernel_w
 *              differ] + stride * [stride differs];
 *              defaults filters 1, kernel 1, stride infinity.
 *   indel    = different_stride_indel (default 2) when the inserted or
 *              deleted layer's stride differs from the stride of the layer it
 *              is aligned against in the other sequence, and
 *              same_stride_indel (default infinity) when they are equal.
 *              "Aligned against" (see editdist.h for the DP cell): deleting
 *              a[i-1] at cell (i, j) compares with b[j-1], or with b[0] when
 *              j = 0; inserting b[j-1] compares with a[i-1], or with a[0]
 *              when i = 0. When the other sequence is empty there is no layer
 *              to compare with and different_stride_indel applies.
 *   Consequence of the defaults: a layer can only be inserted or deleted
 *   where it sits against a layer of another stride, so two chains of
 *   different depth whose extra layers all have the stride of the layers
 *   around them are infinitely far apart (k-NN gives such neighbours no
 *   weight). Give same_stride_indel a finite value (exhaust predict, rank
 *   and eval take --same-stride-indel X) to compare such models.
 *   Skip connections are not part of the published table and cost nothing.
 *
 * dense (one layer per DeepHyper variable node; op = a exh_dense_op)
 *   replace  = type when the ops differ; otherwise, for two dense layers,
 *              units * |log2(units_a / units_b)| + activation * [activation
 *              differs]; for two skips, skip_source * [source differs];
 *              identity/identity and dropout/dropout cost 0 (the dropout
 *              rate is not in the layer view).
 *              Defaults type 1, units 0.5 (per doubling), activation 0.5,
 *              skip_source 0.5.
 *   indel    = indel[op] of the inserted or deleted layer: identity 0.5,
 *              dense 1, dropout 0.5, skip 0.5.
 *
 * graph (one layer per canonical node; op = a exh_graph_op)
 *   replace  = op * [ops differ] + input * (number of input slots 1..3 whose
 *              value differs, an unused slot being a value of its own).
 *              Inputs are compared as value positions (sources 0..3 mean the
 *              same in every cell; node k is 4 + k in canonical order).
 *              Defaults op 1, input 0.5.
 *   indel    = indel (default 2) per node.
 *
 * Every entry is >= 0 (infinity allowed, NaN not). Infinite distances are
 * exact: they never turn into NaN or overflow.
 *
 * JSON form (exh_penalties_load / exh_penalties_save). "kind" is required; every
 * other key is optional and defaults as above; unknown keys are errors.
 * Infinity is written as the string "inf".
 *     {"kind": "nb201",
 *      "operations": ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"],
 *      "replace": [[0, 3, 3, 3, 3], [3, 0, 2, 2, 1], ...],
 *      "indel": "inf", "disconnect": 10}
 *     {"kind": "convchain", "filters": 1, "kernel": 1, "stride": "inf",
 *      "different_stride_indel": 2, "same_stride_indel": "inf"}
 *     {"kind": "dense", "type": 1, "units": 0.5, "activation": 0.5, "skip_source": 0.5,
 *      "indel": {"identity": 0.5, "dense": 1, "dropout": 0.5, "skip": 0.5}}
 *     {"kind": "graph", "op": 1, "input": 0.5, "indel": 2}
 * "operations", when present, must list NB201's operations in that order (it
 * is there so that a reader of the file knows the rows and columns).
 * Errors name the file and the JSON path ("p.json: replace[2][3]: ...").
 */
#ifndef EXHAUST_PENALTIES_H
#define EXHAUST_PENALTIES_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/progress.h"
#include "exhaust/space.h"
#include "exhaust/space_dense.h"
#include "exhaust/space_nb201.h"

typedef enum exh_penalty_kind {
    EXH_PENALTY_NB201 = 0,
    EXH_PENALTY_CONVCHAIN,
    EXH_PENALTY_DENSE,
    EXH_PENALTY_GRAPH,
    EXH_PENALTY_KIND_COUNT
} exh_penalty_kind;

typedef struct exh_penalty_table {
    exh_penalty_kind kind;
    struct {
        double replace[EXH_NB201_OPERATIONS][EXH_NB201_OPERATIONS];
        double indel;
        double disconnect;
    } nb201;
    struct {
        double filters, kernel, stride;
        double different_stride_indel, same_stride_indel;
    } convchain;
    struct {
        double type, units, activation, skip_source;
        double indel[EXH_DENSE_OP_COUNT];
    } dense;
    struct {
        double op, input, indel;
    } graph;
} exh_penalty_table;

/* "nb201", "convchain", "dense", "graph"; "?" out of range. */
EXH_API const char *exh_penalties_kind_name(exh_penalty_kind kind);

/* The default table for a space kind (exh_space_kind(s): "nb201", "convchain",
 * "dense" or "graph"); EXH_ERR_INVALID for another name. All four parts of
 * the table are filled with their defaults; `kind` selects the one used. */
EXH_API int exh_penalties_default(const char *space_kind, exh_penalty_table *out, exh_error *err);
/* The same for an open space. */
EXH_API int exh_penalties_for_space(const exh_space *s, exh_penalty_table *out, exh_error *err);

/* Check the part of the table that `kind` selects: entries >= 0 and not NaN,
 * the nb201 diagonal 0. The message names the entry ("replace[2][3]"). */
EXH_API int exh_penalties_validate(const exh_penalty_table *t, exh_error *err);

/* The cost of replacing layer a by layer b, and of inserting or deleting
 * `l` when it is aligned against `against` (NULL: no layer to compare
 * with). Only convchain looks at `against`. */
EXH_API double exh_penalties_replace(const exh_penalty_table *t, const exh_layer *a,
                                     const exh_layer *b);
EXH_API double exh_penalties_indel(const exh_penalty_table *t, const exh_layer *l,
                                   const exh_layer *against);

/* JSON file <-> table (format above). exh_penalties_load validates. */
EXH_API int exh_penalties_load(const char *path, exh_penalty_table *out, exh_error *err);
EXH_API int exh_penalties_save(const char *path, const exh_penalty_table *t, exh_error *err);
/* The JSON text alone; *json is malloc'd (free it). */
EXH_API int exh_penalties_to_json(const exh_penalty_table *t, char **json, exh_error *err);
/* Parse JSON text; `name` (a file name, or NULL) prefixes error messages. */
EXH_API int exh_penalties_from_json(const char *text, const char *name, exh_penalty_table *out,
                                    exh_error *err);

/* ---- Fitting a table to a repository of logged models ------------------
 *
 * exh_penalties_fit searches the table that makes k-NN predict a repository's
 * own models best: the error of a table is the mean absolute difference, over
 * the repository's models, between a model's best logged validation value
 * (exh_targets_best on its validation curve; models without one are left out)
 * and the best value of its leave-one-out k-NN prediction (the model itself
 * excluded, other models with the same architecture kept). A model whose k
 * nearest others are all infinitely far is predicted by the mean best value
 * of all models.
 *
 * The search is coordinate descent over the table's free entries: the
 * finite entries of the part `kind` selects (infinite ones encode structural
 * rules and stay infinite; nb201 replace entries move in symmetric pairs, the
 * diagonal stays 0). Each round visits the entries in an order drawn from
 * the seeded generator and tries, for each, the values current * {0, 1/4,
 * 1/2, 2, 4} (for an entry that is 0: scale * {1/4, 1/2, 1, 2, 4}, scale
 * being the mean of the positive finite entries, or 1), rounded to a
 * multiple of EXH_PENALTIES_FIT_GRID and capped at EXH_PENALTIES_FIT_MAX; a value is
 * kept when it lowers the error by more than 1e-12. The search stops after
 * `rounds` rounds or a round without improvement. Repositories larger than
 * `max_models` are subsampled (seeded) first. Deterministic for a seed.
 */
#define EXH_PENALTIES_FIT_GRID (1.0 / 16.0)
#define EXH_PENALTIES_FIT_MAX 64.0

struct exh_knn_repository;

typedef struct exh_penalties_fit_options {
    int k;            /* neighbours (default 5) */
    int rounds;       /* coordinate-descent rounds (default 4) */
    int max_models;   /* subsample above this many models (default 1000; 0: all) */
    uint64_t seed;    /* default 1 */
    exh_progress progress; /* "entries" tried of rounds x free entries (progress.h) */
} exh_penalties_fit_options;

typedef struct exh_penalties_fit_result {
    double initial_error; /* of the starting table */
    double final_error;   /* of the table returned */
    int models;           /* models scored */
    int evaluations;      /* tables scored */
} exh_penalties_fit_result;

EXH_API void exh_penalties_fit_options_default(exh_penalties_fit_options *o);

/* `table` is the starting point (its kind must match the repository's) and
 * receives the best table found; `result` may be NULL. The repository is
 * not changed. EXH_ERR_INVALID when fewer than k + 1 models have a
 * validation value. */
EXH_API int exh_penalties_fit(const struct exh_knn_repository *repository,
                              const exh_penalties_fit_options *o, exh_penalty_table *table,
                              exh_penalties_fit_result *result, exh_error *err);

#endif
