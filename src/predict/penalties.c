/* penalties.c — default penalty tables, their validation, and the cost of
 * one edit under a table. */
#include "exhaust/penalties.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/space_graph.h"

static const char *const KIND_NAMES[PENALTY_KIND_COUNT] = {"nb201", "convchain", "dense",
                                                           "graph"};

const char *penalties_kind_name(penalty_kind kind)
{
    return kind >= 0 && kind < PENALTY_KIND_COUNT ? KIND_NAMES[kind] : "?";
}

/* Rows and columns in NB201's order: none, skip, conv1x1, conv3x3, avg_pool. */
static const double NB201_DEFAULT_REPLACE[NB201_OPERATIONS][NB201_OPERATIONS] = {
    {0, 3, 3, 3, 3},
    {3, 0, 2, 2, 1},
    {3, 2, 0, 1, 2},
    {3, 2, 1, 0, 2},
    {3, 1, 2, 2, 0},
};

static void fill_defaults(penalty_table *t)
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
    t->dense.indel[DENSE_OP_IDENTITY] = 0.5;
    t->dense.indel[DENSE_OP_DENSE] = 1.0;
    t->dense.indel[DENSE_OP_DROPOUT] = 0.5;
    t->dense.indel[DENSE_OP_SKIP] = 0.5;
    t->graph.op = 1.0;
    t->graph.input = 0.5;
    t->graph.indel = 2.0;
}

int penalties_default(const char *space_kind, penalty_table *out, exh_error *err)
{
    for (int k = 0; k < PENALTY_KIND_COUNT; k++) {
        if (space_kind && strcmp(space_kind, KIND_NAMES[k]) == 0) {
            fill_defaults(out);
            out->kind = (penalty_kind)k;
            return EXH_OK;
        }
    }
    return error_set(err, EXH_ERR_INVALID,
                     "no penalty table for space kind '%s' (nb201, convchain, dense, graph)",
                     space_kind ? space_kind : "(null)");
}

int penalties_for_space(const space *s, penalty_table *out, exh_error *err)
{
    return penalties_default(space_kind(s), out, err);
}

static int check_entry(double value, const char *name, exh_error *err)
{
    if (isnan(value) || value < 0)
        return error_set(err, EXH_ERR_INVALID,
                         "penalty %s is %g; penalties must be >= 0 (infinity allowed)", name,
                         value);
    return EXH_OK;
}

static int validate_nb201(const penalty_table *t, exh_error *err)
{
    char name[32];
    for (int x = 0; x < NB201_OPERATIONS; x++) {
        for (int y = 0; y < NB201_OPERATIONS; y++) {
            snprintf(name, sizeof name, "replace[%d][%d]", x, y);
            if (check_entry(t->nb201.replace[x][y], name, err) < 0)
                return EXH_ERR_INVALID;
        }
        if (t->nb201.replace[x][x] != 0)
            return error_set(err, EXH_ERR_INVALID,
                             "penalty replace[%d][%d] is %g; replacing an operation by "
                             "itself must cost 0",
                             x, x, t->nb201.replace[x][x]);
    }
    if (check_entry(t->nb201.indel, "indel", err) < 0 ||
        check_entry(t->nb201.disconnect, "disconnect", err) < 0)
        return EXH_ERR_INVALID;
    return EXH_OK;
}

static int validate_dense(const penalty_table *t, exh_error *err)
{
    if (check_entry(t->dense.type, "type", err) < 0 ||
        check_entry(t->dense.units, "units", err) < 0 ||
        check_entry(t->dense.activation, "activation", err) < 0 ||
        check_entry(t->dense.skip_source, "skip_source", err) < 0)
        return EXH_ERR_INVALID;
    for (int op = 0; op < DENSE_OP_COUNT; op++) {
        char name[48];
        snprintf(name, sizeof name, "indel.%s", dense_op_name(op));
        if (check_entry(t->dense.indel[op], name, err) < 0)
            return EXH_ERR_INVALID;
    }
    return EXH_OK;
}

int penalties_validate(const penalty_table *t, exh_error *err)
{
    switch (t->kind) {
    case PENALTY_NB201:
        return validate_nb201(t, err);
    case PENALTY_CONVCHAIN:
        if (check_entry(t->convchain.filters, "filters", err) < 0 ||
            check_entry(t->convchain.kernel, "kernel", err) < 0 ||
            check_entry(t->convchain.stride, "stride", err) < 0 ||
            check_entry(t->convchain.different_stride_indel, "different_stride_indel", err) < 0 ||
            check_entry(t->convchain.same_stride_indel, "same_stride_indel", err) < 0)
            return EXH_ERR_INVALID;
        return EXH_OK;
    case PENALTY_DENSE:
        return validate_dense(t, err);
    case PENALTY_GRAPH:
        if (check_entry(t->graph.op, "op", err) < 0 ||
            check_entry(t->graph.input, "input", err) < 0 ||
            check_entry(t->graph.indel, "indel", err) < 0)
            return EXH_ERR_INVALID;
        return EXH_OK;
    default:
        return error_set(err, EXH_ERR_INVALID, "penalty table has unknown kind %d",
                         (int)t->kind);
    }
}

/* ---- the cost of one edit ---------------------------------------------
 * Costs are added only when they apply, so that an infinite entry times a
 * zero indicator never becomes NaN. */

static double nb201_replace(const penalty_table *t, const layer *a, const layer *b)
{
    if (a->op == b->op)
        return 0.0;
    if (a->op < 0 || a->op >= NB201_OPERATIONS || b->op < 0 || b->op >= NB201_OPERATIONS)
        return INFINITY; /* not an NB201 operation: nothing is alike */
    return t->nb201.replace[a->op][b->op];
}

static double convchain_replace(const penalty_table *t, const layer *a, const layer *b)
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

static double dense_replace(const penalty_table *t, const layer *a, const layer *b)
{
    if (a->op != b->op)
        return t->dense.type;
    double cost = 0.0;
    if (a->op == DENSE_OP_DENSE) {
        if (a->units != b->units && t->dense.units > 0) {
            if (a->units > 0 && b->units > 0)
                cost += t->dense.units * fabs(log2((double)a->units / (double)b->units));
            else
                cost += t->dense.units;
        }
        if (a->activation != b->activation)
            cost += t->dense.activation;
    } else if (a->op == DENSE_OP_SKIP) {
        if (a->input_count != b->input_count || a->inputs[0] != b->inputs[0])
            cost += t->dense.skip_source;
    }
    return cost;
}

static int graph_input(const layer *l, int slot)
{
    return slot < l->input_count ? l->inputs[slot] : -1;
}

static double graph_replace(const penalty_table *t, const layer *a, const layer *b)
{
    double cost = 0.0;
    if (a->op != b->op)
        cost += t->graph.op;
    for (int slot = 0; slot < GRAPH_MAX_INPUTS; slot++)
        if (graph_input(a, slot) != graph_input(b, slot))
            cost += t->graph.input;
    return cost;
}

double penalties_replace(const penalty_table *t, const layer *a, const layer *b)
{
    switch (t->kind) {
    case PENALTY_NB201:
        return nb201_replace(t, a, b);
    case PENALTY_CONVCHAIN:
        return convchain_replace(t, a, b);
    case PENALTY_DENSE:
        return dense_replace(t, a, b);
    case PENALTY_GRAPH:
        return graph_replace(t, a, b);
    default:
        return INFINITY;
    }
}

double penalties_indel(const penalty_table *t, const layer *l, const layer *against)
{
    switch (t->kind) {
    case PENALTY_NB201:
        return t->nb201.indel;
    case PENALTY_CONVCHAIN:
        if (against && against->stride == l->stride)
            return t->convchain.same_stride_indel;
        return t->convchain.different_stride_indel;
    case PENALTY_DENSE:
        return l->op >= 0 && l->op < DENSE_OP_COUNT ? t->dense.indel[l->op] : INFINITY;
    case PENALTY_GRAPH:
        return t->graph.indel;
    default:
        return INFINITY;
    }
}
