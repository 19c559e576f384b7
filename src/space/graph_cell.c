/* graph_cell.c — graph cells: the op vocabulary, checks, canonical order and
 * the token encoding (see space_graph.h for the formats). */
#include "space/graph_internal.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int min_inputs, max_inputs;
} op_table[EXH_GRAPH_OP_COUNT] = {
    [EXH_GRAPH_OP_LINEAR] = {"linear", 1, 3},
    [EXH_GRAPH_OP_ACTIVATION_TANH] = {"activation_tanh", 1, 1},
    [EXH_GRAPH_OP_ACTIVATION_SIGM] = {"activation_sigm", 1, 1},
    [EXH_GRAPH_OP_ACTIVATION_LEAKY_RELU] = {"activation_leaky_relu", 1, 1},
    [EXH_GRAPH_OP_ELEMENTWISE_SUM] = {"elementwise_sum", 2, 2},
    [EXH_GRAPH_OP_ELEMENTWISE_PROD] = {"elementwise_prod", 2, 2},
    [EXH_GRAPH_OP_BLEND] = {"blend", 3, 3},
};

static const char *const source_names[EXH_GRAPH_SOURCE_COUNT] = {"x", "h_prev_0", "h_prev_1",
                                                             "h_prev_2"};

const char *exh_graph_op_name(int op)
{
    return op >= 0 && op < EXH_GRAPH_OP_COUNT ? op_table[op].name : "?";
}

int graph_position_arity(int position)
{
    if (position < 0 || position >= EXH_GRAPH_MAX_NODES * EXH_GRAPH_TOKENS_PER_NODE)
        return 0;
    int node = position / EXH_GRAPH_TOKENS_PER_NODE;
    switch (position % EXH_GRAPH_TOKENS_PER_NODE) {
    case 0: return EXH_GRAPH_OP_COUNT;
    case EXH_GRAPH_TOKENS_PER_NODE - 1: return 1 + EXH_GRAPH_MAX_OUTPUTS;
    default: return 1 + EXH_GRAPH_SOURCE_COUNT + node;
    }
}

int graph_op_accepts(int op, int count)
{
    return op >= 0 && op < EXH_GRAPH_OP_COUNT && count >= op_table[op].min_inputs &&
           count <= op_table[op].max_inputs;
}

int graph_op_lookup(const char *name, size_t length)
{
    for (int op = 0; op < EXH_GRAPH_OP_COUNT; op++)
        if (strlen(op_table[op].name) == length && memcmp(op_table[op].name, name, length) == 0)
            return op;
    return -1;
}

const char *graph_source_name(int source)
{
    return source >= 0 && source < EXH_GRAPH_SOURCE_COUNT ? source_names[source] : "?";
}

int graph_source_lookup(const char *name)
{
    for (int i = 0; i < EXH_GRAPH_SOURCE_COUNT; i++)
        if (strcmp(source_names[i], name) == 0)
            return i;
    return -1;
}

/* "'f'" when names are known, else "node 3", for messages. */
static const char *node_label(const char *const *names, int node, char *buf, size_t size)
{
    if (names)
        snprintf(buf, size, "node '%s'", names[node]);
    else
        snprintf(buf, size, "node %d", node);
    return buf;
}

static int check_node(const graph_cell *cell, int i, const char *const *names, exh_error *err)
{
    const graph_node *node = &cell->node[i];
    char label[96];
    if (node->op < 0 || node->op >= EXH_GRAPH_OP_COUNT)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: unknown op id %d",
                             node_label(names, i, label, sizeof label), node->op);
    if (!graph_op_accepts(node->op, node->input_count)) {
        char expected[16];
        int min = op_table[node->op].min_inputs, max = op_table[node->op].max_inputs;
        if (min == max)
            snprintf(expected, sizeof expected, "%d", min);
        else
            snprintf(expected, sizeof expected, "%d..%d", min, max);
        return exh_error_set(err, EXH_ERR_INVALID, "%s: op '%s' takes %s input%s, got %d",
                             node_label(names, i, label, sizeof label), exh_graph_op_name(node->op),
                             expected, max == 1 ? "" : "s", node->input_count);
    }
    for (int j = 0; j < node->input_count; j++)
        if (node->inputs[j] < 0 || node->inputs[j] >= EXH_GRAPH_SOURCE_COUNT + cell->node_count)
            return exh_error_set(err, EXH_ERR_INVALID, "%s: input %d refers to position %d",
                                 node_label(names, i, label, sizeof label), j + 1, node->inputs[j]);
    if (node->output != GRAPH_NO_OUTPUT && (node->output < 0 || node->output >= EXH_GRAPH_MAX_OUTPUTS))
        return exh_error_set(err, EXH_ERR_INVALID, "%s: output slot %d out of range",
                             node_label(names, i, label, sizeof label), node->output);
    return EXH_OK;
}

/* h_new_0 must exist, each h_new_k must be one node, and there are no gaps. */
static int check_outputs(const graph_cell *cell, exh_error *err)
{
    int owner[EXH_GRAPH_MAX_OUTPUTS];
    for (int k = 0; k < EXH_GRAPH_MAX_OUTPUTS; k++)
        owner[k] = -1;
    for (int i = 0; i < cell->node_count; i++) {
        int k = cell->node[i].output;
        if (k == GRAPH_NO_OUTPUT)
            continue;
        if (owner[k] >= 0)
            return exh_error_set(err, EXH_ERR_INVALID, "nodes %d and %d are both h_new_%d", owner[k],
                                 i, k);
        owner[k] = i;
    }
    if (owner[0] < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "the cell has no output h_new_0");
    for (int k = 1; k < EXH_GRAPH_MAX_OUTPUTS; k++)
        if (owner[k] >= 0 && owner[k - 1] < 0)
            return exh_error_set(err, EXH_ERR_INVALID, "h_new_%d is defined but h_new_%d is not", k,
                                 k - 1);
    return EXH_OK;
}

int graph_cell_check(const graph_cell *cell, const char *const *names, exh_error *err)
{
    if (cell->node_count <= 0)
        return exh_error_set(err, EXH_ERR_INVALID, "the cell has no nodes");
    if (cell->node_count > EXH_GRAPH_MAX_NODES)
        return exh_error_set(err, EXH_ERR_INVALID, "the cell has %d nodes; at most %d are allowed",
                             cell->node_count, EXH_GRAPH_MAX_NODES);
    for (int i = 0; i < cell->node_count; i++) {
        int rc = check_node(cell, i, names, err);
        if (rc < 0)
            return rc;
    }
    return check_outputs(cell, err);
}

enum { UNSEEN, ON_PATH, DONE };

typedef struct walk {
    const graph_cell *cell;
    const char *const *names;
    int state[EXH_GRAPH_MAX_NODES];
    int order[EXH_GRAPH_MAX_NODES]; /* nodes in post-order */
    int count;
} walk;

/* Depth-first post-order from `node`; depth is bounded by GRAPH_MAX_NODES. */
static int walk_from(walk *w, int node, exh_error *err)
{
    if (w->state[node] == DONE)
        return EXH_OK;
    if (w->state[node] == ON_PATH) {
        char label[96];
        return exh_error_set(err, EXH_ERR_INVALID, "the cell has a cycle through %s",
                             node_label(w->names, node, label, sizeof label));
    }
    w->state[node] = ON_PATH;
    const graph_node *n = &w->cell->node[node];
    for (int j = 0; j < n->input_count; j++) {
        if (n->inputs[j] < EXH_GRAPH_SOURCE_COUNT)
            continue;
        int rc = walk_from(w, n->inputs[j] - EXH_GRAPH_SOURCE_COUNT, err);
        if (rc < 0)
            return rc;
    }
    w->state[node] = DONE;
    w->order[w->count++] = node;
    return EXH_OK;
}

/* A cycle among unreachable nodes is still an error: the recipe is wrong. */
static int check_acyclic(const graph_cell *cell, const char *const *names, exh_error *err)
{
    walk w = {.cell = cell, .names = names};
    for (int i = 0; i < cell->node_count; i++) {
        int rc = walk_from(&w, i, err);
        if (rc < 0)
            return rc;
    }
    return EXH_OK;
}

static int output_node(const graph_cell *cell, int k)
{
    for (int i = 0; i < cell->node_count; i++)
        if (cell->node[i].output == k)
            return i;
    return -1;
}

int graph_cell_canonicalize(const graph_cell *in, graph_cell *out, const char *const *names,
                            exh_error *err)
{
    int rc = check_acyclic(in, names, err);
    if (rc < 0)
        return rc;
    walk w = {.cell = in, .names = names};
    for (int k = 0; k < EXH_GRAPH_MAX_OUTPUTS; k++) {
        int node = output_node(in, k);
        if (node >= 0 && (rc = walk_from(&w, node, err)) < 0)
            return rc;
    }
    int new_index[EXH_GRAPH_MAX_NODES];
    for (int i = 0; i < in->node_count; i++)
        new_index[i] = -1;
    for (int i = 0; i < w.count; i++)
        new_index[w.order[i]] = i;
    graph_cell result = {.node_count = w.count};
    for (int i = 0; i < w.count; i++) {
        graph_node node = in->node[w.order[i]];
        for (int j = 0; j < node.input_count; j++) {
            int input_node = node.inputs[j] - EXH_GRAPH_SOURCE_COUNT;
            if (input_node >= 0)
                node.inputs[j] = EXH_GRAPH_SOURCE_COUNT + new_index[input_node];
        }
        for (int j = node.input_count; j < EXH_GRAPH_MAX_INPUTS; j++)
            node.inputs[j] = -1;
        result.node[i] = node;
    }
    *out = result;
    return EXH_OK;
}

/* Decode node i's tokens, checking each against its range. */
static int decode_node(const exh_arch *a, int i, graph_node *node, exh_error *err)
{
    const int32_t *t = &a->token[i * EXH_GRAPH_TOKENS_PER_NODE];
    int base = i * EXH_GRAPH_TOKENS_PER_NODE;
    if (t[0] < 0 || t[0] >= EXH_GRAPH_OP_COUNT)
        return exh_error_set(err, EXH_ERR_INVALID, "position %d (node %d op) holds %d; ops are 0..%d",
                             base, i, t[0], EXH_GRAPH_OP_COUNT - 1);
    node->op = t[0];
    node->input_count = 0;
    for (int j = 0; j < EXH_GRAPH_MAX_INPUTS; j++) {
        int32_t token = t[1 + j];
        if (token < 0 || token > EXH_GRAPH_SOURCE_COUNT + i)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "position %d (node %d input %d) holds %d; allowed 0..%d", base + 1 + j,
                                 i, j + 1, token, EXH_GRAPH_SOURCE_COUNT + i);
        if (token > 0 && node->input_count < j)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "position %d (node %d input %d) is used after an unused input",
                                 base + 1 + j, i, j + 1);
        node->inputs[j] = token - 1;
        if (token > 0)
            node->input_count++;
    }
    int32_t output = t[EXH_GRAPH_TOKENS_PER_NODE - 1];
    if (output < 0 || output > EXH_GRAPH_MAX_OUTPUTS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "position %d (node %d output) holds %d; allowed 0..%d",
                             base + EXH_GRAPH_TOKENS_PER_NODE - 1, i, output, EXH_GRAPH_MAX_OUTPUTS);
    node->output = output == 0 ? GRAPH_NO_OUTPUT : output - 1;
    return EXH_OK;
}

static int nodes_equal(const graph_node *a, const graph_node *b)
{
    if (a->op != b->op || a->input_count != b->input_count || a->output != b->output)
        return 0;
    for (int j = 0; j < a->input_count; j++)
        if (a->inputs[j] != b->inputs[j])
            return 0;
    return 1;
}

/* The cell must already be what canonicalizing it gives. */
static int check_canonical(const graph_cell *cell, exh_error *err)
{
    graph_cell canonical;
    int rc = graph_cell_canonicalize(cell, &canonical, NULL, err);
    if (rc < 0)
        return rc;
    if (canonical.node_count < cell->node_count)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%d of the %d nodes are not reachable from any output",
                             cell->node_count - canonical.node_count, cell->node_count);
    for (int i = 0; i < cell->node_count; i++)
        if (!nodes_equal(&cell->node[i], &canonical.node[i]))
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "node %d (positions %d..%d) is not in canonical order", i,
                                 i * EXH_GRAPH_TOKENS_PER_NODE, (i + 1) * EXH_GRAPH_TOKENS_PER_NODE - 1);
    return EXH_OK;
}

int graph_cell_from_tokens(const exh_arch *a, graph_cell *out, exh_error *err)
{
    if (a->length <= 0 || a->length > EXH_GRAPH_MAX_NODES * EXH_GRAPH_TOKENS_PER_NODE ||
        a->length % EXH_GRAPH_TOKENS_PER_NODE != 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "a graph has %d positions per node (1..%d nodes); got %d positions",
                             EXH_GRAPH_TOKENS_PER_NODE, EXH_GRAPH_MAX_NODES, a->length);
    graph_cell cell = {.node_count = a->length / EXH_GRAPH_TOKENS_PER_NODE};
    for (int i = 0; i < cell.node_count; i++) {
        int rc = decode_node(a, i, &cell.node[i], err);
        if (rc < 0)
            return rc;
    }
    int rc = graph_cell_check(&cell, NULL, err);
    if (rc < 0 || (rc = check_canonical(&cell, err)) < 0)
        return rc;
    *out = cell;
    return EXH_OK;
}

void graph_cell_to_tokens(const graph_cell *cell, exh_arch *out)
{
    out->length = cell->node_count * EXH_GRAPH_TOKENS_PER_NODE;
    for (int i = 0; i < cell->node_count; i++) {
        const graph_node *node = &cell->node[i];
        int32_t *t = &out->token[i * EXH_GRAPH_TOKENS_PER_NODE];
        t[0] = node->op;
        for (int j = 0; j < EXH_GRAPH_MAX_INPUTS; j++)
            t[1 + j] = j < node->input_count ? node->inputs[j] + 1 : 0;
        t[EXH_GRAPH_TOKENS_PER_NODE - 1] = node->output == GRAPH_NO_OUTPUT ? 0 : node->output + 1;
    }
}
