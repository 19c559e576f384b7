/* graph_random.c — drawing random cells and mutating one token of a cell
 * (the distributions are documented in space_graph.h). */
#include "space/graph_internal.h"

static void sample_node(exh_rng *r, int index, graph_node *node)
{
    node->op = (int)exh_rng_below(r, EXH_GRAPH_OP_COUNT);
    /* Rejection keeps the count uniform among those the op accepts. */
    do
        node->input_count = 1 + (int)exh_rng_below(r, EXH_GRAPH_MAX_INPUTS);
    while (!graph_op_accepts(node->op, node->input_count));
    int candidates[EXH_GRAPH_SOURCE_COUNT + EXH_GRAPH_MAX_NODES];
    int candidate_count = EXH_GRAPH_SOURCE_COUNT + index;
    for (int i = 0; i < candidate_count; i++)
        candidates[i] = i;
    /* A partial Fisher-Yates shuffle draws distinct inputs. */
    for (int j = 0; j < EXH_GRAPH_MAX_INPUTS; j++) {
        if (j >= node->input_count) {
            node->inputs[j] = -1;
            continue;
        }
        int pick = j + (int)exh_rng_below(r, (uint32_t)(candidate_count - j));
        int chosen = candidates[pick];
        candidates[pick] = candidates[j];
        candidates[j] = chosen;
        node->inputs[j] = chosen;
    }
    node->output = GRAPH_NO_OUTPUT;
}

/* h_new_0 is the last node; h_new_1.. are drawn from the nodes not yet outputs. */
static void assign_outputs(exh_rng *r, graph_cell *cell, int outputs)
{
    cell->node[cell->node_count - 1].output = 0;
    for (int k = 1; k < outputs; k++) {
        int skip = (int)exh_rng_below(r, (uint32_t)(cell->node_count - k));
        for (int i = 0; i < cell->node_count; i++) {
            if (cell->node[i].output != GRAPH_NO_OUTPUT)
                continue;
            if (skip-- == 0) {
                cell->node[i].output = k;
                break;
            }
        }
    }
}

int graph_sample_cell(exh_rng *r, graph_cell *out, exh_error *err)
{
    graph_cell cell = {0};
    int outputs = 1 + (int)exh_rng_below(r, EXH_GRAPH_MAX_OUTPUTS);
    cell.node_count = outputs + (int)exh_rng_below(r, (uint32_t)(EXH_GRAPH_SAMPLE_MAX_NODES - outputs + 1));
    for (int i = 0; i < cell.node_count; i++)
        sample_node(r, i, &cell.node[i]);
    assign_outputs(r, &cell, outputs);
    return graph_cell_canonicalize(&cell, out, NULL, err);
}

/* The values other than the current one that keep `a` a valid graph when
 * put at `position`; returns how many were written to values. */
static int valid_alternatives(const exh_arch *a, int position, int32_t *values)
{
    int count = 0;
    int arity = graph_position_arity(position);
    exh_arch trial = *a;
    for (int v = 0; v < arity; v++) {
        if (v == a->token[position])
            continue;
        trial.token[position] = v;
        graph_cell ignored;
        if (graph_cell_from_tokens(&trial, &ignored, NULL) == EXH_OK)
            values[count++] = v;
    }
    return count;
}

/* Draw a position by weight among those whose weight is still positive. */
static int draw_position(exh_rng *r, const double *weight, int length)
{
    double total = 0.0;
    for (int i = 0; i < length; i++)
        total += weight[i];
    if (total <= 0.0)
        return -1;
    double target = exh_rng_uniform(r) * total;
    int last = -1;
    for (int i = 0; i < length; i++) {
        if (weight[i] <= 0.0)
            continue;
        last = i;
        if (target < weight[i])
            return i;
        target -= weight[i];
    }
    return last; /* rounding left target just past the end */
}

int graph_mutate_tokens(exh_rng *r, const exh_arch *in, exh_arch *out, int *position,
                        const double *weights, exh_error *err)
{
    graph_cell cell;
    int rc = graph_cell_from_tokens(in, &cell, err);
    if (rc < 0)
        return rc;
    double weight[EXH_ARCH_MAX_TOKENS];
    for (int i = 0; i < in->length; i++) {
        double w = weights ? weights[i] : 1.0;
        weight[i] = w > 0.0 ? w : 0.0; /* also turns NaN into 0 */
    }
    /* Drawing by weight and setting aside positions with no valid value
     * draws by weight among the positions that can change. */
    for (;;) {
        int where = draw_position(r, weight, in->length);
        if (where < 0)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "no position of this graph can change (with these weights)");
        int32_t values[EXH_GRAPH_SOURCE_COUNT + EXH_GRAPH_MAX_NODES + 1];
        int count = valid_alternatives(in, where, values);
        if (count == 0) {
            weight[where] = 0.0;
            continue;
        }
        *out = *in;
        out->token[where] = values[exh_rng_below(r, (uint32_t)count)];
        if (position)
            *position = where;
        return EXH_OK;
    }
}
