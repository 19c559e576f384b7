/*
 * editdist.h — the edit distance between two architectures' layer sequences.
 *
 * The distance from a = a[0..p) to b = b[0..q) is the least total penalty of
 * a sequence of edits — replace a layer, delete a layer of a, insert a layer
 * of b — that turns a into b, with costs from a exh_penalty_table
 * (penalties.h). It is the classic dynamic programme
 *     D[0][0] = 0
 *     D[i][j] = min( D[i-1][j-1] + replace(a[i-1], b[j-1]),
 *                    D[i-1][j]   + indel(a[i-1], against: b[j-1], or b[0] when j = 0),
 *                    D[i][j-1]   + indel(b[j-1], against: a[i-1], or a[0] when i = 0) )
 * (terms with i - 1 < 0 or j - 1 < 0 left out; "against" is NULL when the
 * other sequence is empty), distance = D[p][q]. Only convchain's indel looks
 * at the layer it is aligned against (penalties.h explains why).
 *
 * For nb201 tables the distance also adds `disconnect` once when exactly
 * one of the two cells is disconnected (exh_editdist_connected).
 *
 * Cost: O(p * q) time; two rows of min(p, q) + 1 doubles on the stack, no
 * allocation. Sequences longer than EXH_EDITDIST_MAX_LAYERS are refused.
 *
 * Properties (tests/test_editdist.c checks them): d(a, a) = 0; d(a, b) =
 * d(b, a) when replace is symmetric (indel costs are symmetric by
 * construction); the triangle inequality holds when the costs form a metric
 * on layers plus "no layer" — e.g. the nb201 defaults, or convchain with a
 * finite stride cost and same_stride_indel = different_stride_indel >= half
 * the largest replace cost. Infinite costs give an infinite distance, never
 * NaN.
 */
#ifndef EXHAUST_EDITDIST_H
#define EXHAUST_EDITDIST_H

#include "exhaust/export.h"

#include "exhaust/error.h"
#include "exhaust/penalties.h"
#include "exhaust/space.h"

#define EXH_EDITDIST_MAX_LAYERS EXH_ARCH_MAX_TOKENS

/* The distance from a (a_count layers) to b (b_count layers) under t into
 * *distance (>= 0, possibly infinity). EXH_ERR_INVALID when a count is
 * negative or above EXH_EDITDIST_MAX_LAYERS. The table is not validated here
 * (exh_penalties_validate): a table with NaN entries gives NaN. */
EXH_API int exh_editdist_distance(const exh_penalty_table *t, const exh_layer *a, int a_count, const exh_layer *b,
                                  int b_count, double *distance, exh_error *err);

/* The same for two architectures of an open space (exh_space_layers on both). */
EXH_API int exh_editdist_arch(const exh_penalty_table *t, const exh_space *s, const exh_arch *a, const exh_arch *b,
                              double *distance, exh_error *err);

/* The dynamic programme alone, without nb201's disconnect term; counts must
 * be within 0..EXH_EDITDIST_MAX_LAYERS (not checked). Where the penalties make
 * the programme degenerate (exh_editdist_nb201_diagonal_only) it returns the
 * diagonal's sum at once: the same number, bit for bit (tests/test_editdist.c
 * checks it against exh_editdist_alignment_full on random tables and cells). */
EXH_API double exh_editdist_alignment(const exh_penalty_table *t, const exh_layer *a, int a_count, const exh_layer *b,
                                      int b_count);
/* The whole programme, every cell, no shortcut (tests and benchmarks). */
EXH_API double exh_editdist_alignment_full(const exh_penalty_table *t, const exh_layer *a, int a_count,
                                           const exh_layer *b, int b_count);

/* Whether, for an nb201 table, the programme between two sequences of
 * `count` layers each always equals the sum of replace(a[e], b[e]) over e,
 * added left to right (the diagonal path), so that only count of its
 * (count + 1)^2 cells matter. It does when indel is infinite (NB201's
 * default: every other path inserts and deletes), and when every replace
 * cost is finite and count times the largest, added in floating point,
 * is at most 2 * indel (every other path has at least one insertion and
 * one deletion, and rounding is monotone). Between sequences of different
 * lengths an infinite indel makes the distance infinite. */
EXH_API int exh_editdist_nb201_diagonal_only(const exh_penalty_table *t, int count);

/* Whether an NB201-style cell given as edge layers (inputs[0] = source node,
 * inputs[1] = target node, op 0 = none) has a path from node 0 to the
 * highest node that uses no `none` edge. Edges naming nodes outside 0..31
 * are ignored. An empty cell is not connected. */
EXH_API int exh_editdist_connected(const exh_layer *layers, int count);

#endif
