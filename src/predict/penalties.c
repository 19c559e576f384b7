/* penalties.c — default penalty tables, their validation, and the cost of
 * one edit under a table. */
#include "exhaust/penalties.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/space_graph.h"

static const char *const KIND_NAMES[EXH_PENALTY_KIND_COUNT] = {"nb201", "convchain", "dense",
                                                           "graph"};

const char *exh_penalties_kind_name(exh_penalty_kind kind)
{
    return kind >= 0 && kind < EXH_PENALTY_KIND_COUNT ? KIND_NAMES[kind] : "?";
}

/* Rows and columns in NB201's order: none, skip, conv1x1, conv3x3, avg_pool. */
static const double NB201_DEFAULT_REPLACE[EXH_NB201_OPERATIONS][EXH_NB201_OPERATIONS] = {
    {0, 3, 3, 3, 3},
    {3, 0, 2, 2, 1},
    {3, 2, 0, 1, 2},
    {3, 2, 1, 0, 2},
    {3, 1, 2, 2, 0},
};

static void fill_defaults(exh_penalty_table *t)
{
    memset(t, 0, sizeof *t);
    memcpy(t->nb201.replace, NB201_DEFAULT_REPLACE, sizeof t->nb201.replace);
    t->nb201.indel = INFINITY;
    t->nb201.disconnect = 10.0;
    t->convchain.filters = 1.0;
    t->convchain.kernel = 1.0;
    t->convchain.stride = INFINITY;
    t->convchain.different_stride_indel = 2.0;
    t->convchain.same_stride_indel = INFINITY;
    t->dense.type = 1.0;
    t->dense.units = 0.5;
    t->dense.activation = 0.5;
    t->dense.skip_source = 0.5;
    t->dense.indel[EXH_DENSE_OP_IDENTITY] = 0.5;
    t->dense.indel[EXH_DENSE_OP_DENSE] = 1.0;
    t->dense.indel[EXH_DENSE_OP_DROPOUT] = 0.5;
    t->dense.indel[EXH_DENSE_OP_SKIP] = 0.5;
    t->graph.op = 1.0;
    t->graph.input = 0.5;
    t->graph.indel = 2.0;
}

int exh_penalties_default(const char *space_kind, exh_penalty_table *out, exh_error *err)
{
    for (int k = 0; k < EXH_PENALTY_KIND_COUNT; k++) {
        if (space_kind && strcmp(space_kind, KIND_NAMES[k]) == 0) {
            fill_defaults(out);
            out->kind = (exh_penalty_kind)k;
            return EXH_OK;
        }
    }
    return exh_error_set(err, EXH_ERR_INVALID,
                         "no penalty table for space kind '%s' (nb201, convchain, dense, graph)",
                         space_kind ? space_kind : "(null)");
}

int exh_penalties_for_space(const exh_space *s, exh_penalty_table *out, exh_error *err)
{
    return exh_penalties_default(exh_space_kind(s), out, err);
}

static int check_entry(double value, const char *name, exh_error *err)
{
    if (isnan(value) || value < 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "penalty %s is %g; penalties must be >= 0 (infinity allowed)", name,
                             value);
    return EXH_OK;
}

static int validate_nb201(const exh_penalty_table *t, exh_error *err)
{
    char name[32];
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++) {
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++) {
            snprintf(name, sizeof name, "replace[%d][%d]", x, y);
            if (check_entry(t->nb201.replace[x][y], name, err) < 0)
                return EXH_ERR_INVALID;
        }
        if (t->nb201.replace[x][x] != 0)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "penalty replace[%d][%d] is %g; replacing an operation by "
                                 "itself must cost 0",
                                 x, x, t->nb201.replace[x][x]);
    }
    if (check_entry(t->nb201.indel, "indel", err) < 0 ||
        check_entry(t->nb201.disconnect, "disconnect", err) < 0)
        return EXH_ERR_INVALID;
    return EXH_OK;
}

static int validate_dense(const exh_penalty_table *t, exh_error *err)
{
    if (check_entry(t->dense.type, "type", err) < 0 ||
        check_entry(t->dense.units, "units", err) < 0 ||
        check_entry(t->dense.activation, "activation", err) < 0 ||
        check_entry(t->dense.skip_source, "skip_source", err) < 0)
        return EXH_ERR_INVALID;
    for (int op = 0; op < EXH_DENSE_OP_COUNT; op++) {
        char name[48];
        snprintf(name, sizeof name, "indel.%s", exh_dense_op_name(op));
        if (check_entry(t->dense.indel[op], name, err) < 0)
            return EXH_ERR_INVALID;
    }
    return EXH_OK;
}

int exh_penalties_validate(const exh_penalty_table *t, exh_error *err)
{
    switch (t->kind) {
    case EXH_PENALTY_NB201:
        return validate_nb201(t, err);
    case EXH_PENALTY_CONVCHAIN:
        if (check_entry(t->convchain.filters, "filters", err) < 0 ||
            check_entry(t->convchain.kernel, "kernel", err) < 0 ||
            check_entry(t->convchain.stride, "stride", err) < 0 ||
            check_entry(t->convchain.different_stride_indel, "different_stride_indel", err) < 0 ||
            check_entry(t->convchain.same_stride_indel, "same_stride_indel", err) < 0)
            return EXH_ERR_INVALID;
        return EXH_OK;
    case EXH_PENALTY_DENSE:
        return validate_dense(t, err);
    case EXH_PENALTY_GRAPH:
        if (check_entry(t->graph.op, "op", err) < 0 ||
            check_entry(t->graph.input, "input", err) < 0 ||
            check_entry(t->graph.indel, "indel", err) < 0)
            return EXH_ERR_INVALID;
        return EXH_OK;
    default:
        return exh_error_set(err, EXH_ERR_INVALID, "penalty table has unknown kind %d",
                             (int)t->kind);
    }
}

/* ---- the cost of one edit ---------------------------------------------
 * Costs are added only when they apply, so that an infinite entry times a
 * zero indicator never becomes NaN. */

static double nb201_replace(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b)
{
    if (a->op == b->op)
        return 0.0;
    if (a->op < 0 || a->op >= EXH_NB201_OPERATIONS || b->op < 0 || b->op >= EXH_NB201_OPERATIONS)
        return INFINITY; /* not an NB201 operation: nothing is alike */
    return t->nb201.replace[a->op][b->op];
}

static double convchain_replace(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b)
{
    double cost = 0.0;
    if (a->filters != b->filters)
        cost += t->convchain.filters;
    if (a->kernel_h != b->kernel_h || a->kernel_w != b->kernel_w)
        cost += t->convchain.kernel;
    if (a->stride != b->stride)
        cost += t->convchain.stride;
    return cost;
}

static double dense_replace(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b)
{
    if (a->op != b->op)
        return t->dense.type;
    double cost = 0.0;
    if (a->op == EXH_DENSE_OP_DENSE) {
        if (a->units != b->units && t->dense.units > 0) {
            if (a->units > 0 && b->units > 0)
                cost += t->dense.units * fabs(log2((double)a->units / (double)b->units));
            else
                cost += t->dense.units;
        }
        if (a->activation != b->activation)
            cost += t->dense.activation;
    } else if (a->op == EXH_DENSE_OP_SKIP) {
        if (a->input_count != b->input_count || a->inputs[0] != b->inputs[0])
            cost += t->dense.skip_source;
    }
    return cost;
}

static int graph_input(const exh_layer *l, int slot)
{
    return slot < l->input_count ? l->inputs[slot] : -1;
}

static double graph_replace(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b)
{
    double cost = 0.0;
    if (a->op != b->op)
        cost += t->graph.op;
    for (int slot = 0; slot < EXH_GRAPH_MAX_INPUTS; slot++)
        if (graph_input(a, slot) != graph_input(b, slot))
            cost += t->graph.input;
    return cost;
}

double exh_penalties_replace(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b)
{
    switch (t->kind) {
    case EXH_PENALTY_NB201:
        return nb201_replace(t, a, b);
    case EXH_PENALTY_CONVCHAIN:
        return convchain_replace(t, a, b);
    case EXH_PENALTY_DENSE:
        return dense_replace(t, a, b);
    case EXH_PENALTY_GRAPH:
        return graph_replace(t, a, b);
    default:
        return INFINITY;
    }
}

double exh_penalties_indel(const exh_penalty_table *t, const exh_layer *l, const exh_layer *against)
{
    switch (t->kind) {
    case EXH_PENALTY_NB201:
        return t->nb201.indel;
    case EXH_PENALTY_CONVCHAIN:
        if (against && against->stride == l->stride)
            return t->convchain.same_stride_indel;
        return t->convchain.different_stride_indel;
    case EXH_PENALTY_DENSE:
        return l->op >= 0 && l->op < EXH_DENSE_OP_COUNT ? t->dense.indel[l->op] : INFINITY;
    case EXH_PENALTY_GRAPH:
        return t->graph.indel;
    default:
        return INFINITY;
    }
}
