/* space_graph.c — the "graph" space's space_ops table (formats and
 * distributions: space_graph.h). The space has no data of its own. */
#include "space/graph_internal.h"
#include "space/space_internal.h"

static int graph_parse(const void *data, const char *text, exh_arch *out, exh_error *err)
{
    graph_cell cell;
    int rc = graph_parse_text(text, &cell, err);
    if (rc < 0)
        return rc;
    graph_cell_to_tokens(&cell, out);
    return EXH_OK;
}

static int graph_format(const void *data, const exh_arch *a, char *buf, size_t size)
{
    graph_cell cell;
    int rc = graph_cell_from_tokens(a, &cell, NULL);
    return rc < 0 ? rc : graph_format_cell(&cell, buf, size);
}

static int graph_arity(const void *data, const exh_arch *a, int position)
{
    return graph_position_arity(position);
}

static int graph_validate(const void *data, const exh_arch *a, exh_error *err)
{
    graph_cell cell;
    return graph_cell_from_tokens(a, &cell, err);
}

static int graph_sample(const void *data, exh_rng *r, exh_arch *out, exh_error *err)
{
    graph_cell cell;
    int rc = graph_sample_cell(r, &cell, err);
    if (rc < 0)
        return rc;
    graph_cell_to_tokens(&cell, out);
    return EXH_OK;
}

static int graph_mutate(const void *data, exh_rng *r, const exh_arch *in, exh_arch *out, int *position,
                        const double *weights, exh_error *err)
{
    return graph_mutate_tokens(r, in, out, position, weights, err);
}

static int graph_layers(const void *data, const exh_arch *a, exh_layer *out, int max)
{
    graph_cell cell;
    int rc = graph_cell_from_tokens(a, &cell, NULL);
    if (rc < 0)
        return rc;
    for (int i = 0; i < cell.node_count && i < max; i++) {
        const graph_node *node = &cell.node[i];
        exh_layer l = {.op = node->op, .input_count = node->input_count};
        for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
            l.inputs[j] = j < node->input_count ? node->inputs[j] : -1;
        out[i] = l;
    }
    return cell.node_count;
}

static const char *graph_space_op_name(const void *data, int op)
{
    return exh_graph_op_name(op);
}

const space_ops graph_space_ops = {
    .kind = "graph",
    .parse = graph_parse,
    .format = graph_format,
    .arity = graph_arity,
    .validate = graph_validate,
    .sample = graph_sample,
    .mutate = graph_mutate,
    .layers = graph_layers,
    .op_name = graph_space_op_name,
};
