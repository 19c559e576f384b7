/*
 * space_graph.h — the "graph" space: any computational graph of a small
 * operation vocabulary, such as the recurrent cells of NAS-Bench-NLP.
 *
 * A cell reads the sources x, h_prev_0, h_prev_1 and h_prev_2 (the input and
 * the previous hidden states) and defines nodes, each an operation on one to
 * three earlier values. The nodes named h_new_0, h_new_1, h_new_2 are the
 * outputs (h_new_0 is required; h_new_k needs h_new_0..h_new_{k-1}); an
 * output may also feed other nodes.
 *
 * Operations and their input counts:
 *     linear                 1..3   (a learned linear map of each input, summed)
 *     activation_tanh        1
 *     activation_sigm        1
 *     activation_leaky_relu  1
 *     elementwise_sum        2
 *     elementwise_prod       2
 *     blend                  3      (a * b + (1 - a) * c)
 *
 * Recipe JSON (NAS-Bench-NLP's form; exh_space_parse takes it when the text's
 * first non-blank character is '{'):
 *     {"f": {"op": "linear", "input": ["x", "h_prev_0"]},
 *      "h_new_0": {"op": "activation_tanh", "input": ["f"]}}
 * Node names other than h_new_K are free; keys other than "op" and "input"
 * in a node object are ignored. Inputs keep their listed order (blend's
 * order matters).
 *
 * Canonical form. Node names and JSON key order carry no meaning, so parsing
 * renumbers the nodes: depth-first from the outputs h_new_0, h_new_1, ... in
 * that order, visiting each node's inputs in their listed order, a node gets
 * its number after all its inputs (post-order). Nodes no output depends on
 * are dropped (they cannot change what the cell computes). Two recipes that
 * differ only in intermediate names or key order give the same architecture.
 *
 * Positions (the arch tokens): EXH_GRAPH_TOKENS_PER_NODE per node, node by node
 * in canonical order:
 *     [op, input_1, input_2, input_3, output]
 *   op       a exh_graph_op id (7 choices)
 *   input_j  0 = unused, else 1 + a value position: 0..3 are the sources x,
 *            h_prev_0, h_prev_1, h_prev_2; 4 + i is node i. Node i may read
 *            only sources and nodes before it, so this token has 5 + i
 *            choices. Used inputs come first; their count must suit the op.
 *   output   0 = not an output, 1 + k = the node is h_new_k (4 choices).
 * A token sequence is valid only when it is in canonical form (every node
 * reachable from an output, numbered as the depth-first walk above numbers
 * it); exh_space_validate says which node breaks this.
 *
 * Text form (what exh_space_format writes, and exh_space_parse reads): one
 * assignment per node in canonical order, separated by a space; node i is
 * called n<i> unless it is an output, which keeps its h_new_k name:
 *     n0=linear(x,h_prev_0) h_new_0=activation_tanh(n0)
 * exh_space_parse accepts assignments in any order with any names (letters,
 * digits, '_', '.', '-'), blanks around the punctuation and ';' between
 * assignments. A text whose first non-blank character is a digit or '[' is
 * read as the token sequence ("0,1,2,0,0,...", with or without brackets),
 * which must then be canonical.
 *
 * Sampling (exh_space_sample) draws a random DAG and canonicalizes it:
 *   outputs m uniform in 1..EXH_GRAPH_MAX_OUTPUTS, nodes n uniform in
 *   m..EXH_GRAPH_SAMPLE_MAX_NODES; node i gets a uniform op (linear: 1..3 inputs,
 *   uniform) and distinct inputs drawn uniformly from the sources and nodes
 *   before it; node n-1 is h_new_0, and h_new_1..h_new_{m-1} are distinct
 *   nodes drawn uniformly from the others. Nodes no output reaches are
 *   dropped. The space is not enumerable (exh_space_size is -1).
 *
 * Mutation (exh_space_mutate) changes exactly one token so that the result is
 * still a valid canonical graph: a position is drawn (by the weights) among
 * those having at least one valid other value, then the value uniformly
 * among the valid ones. An op can always change to another op with the same
 * input count, so every graph has a mutation.
 *
 * Layers (exh_space_layers): one per node in canonical order: op = exh_graph_op id,
 * input_count, inputs = value positions as above (-1 when unused).
 */
#ifndef EXHAUST_SPACE_GRAPH_H
#define EXHAUST_SPACE_GRAPH_H

#include "exhaust/export.h"

#include "exhaust/error.h"
#include "exhaust/space.h"

#define EXH_GRAPH_SOURCE_COUNT 4    /* x, h_prev_0, h_prev_1, h_prev_2 */
#define EXH_GRAPH_MAX_OUTPUTS 3     /* h_new_0 .. h_new_2 (one per h_prev) */
#define EXH_GRAPH_MAX_INPUTS 3
#define EXH_GRAPH_TOKENS_PER_NODE 5 /* op, 3 inputs, output */
/* The most nodes a cell may define: its tokens must fit an arch (51). */
#define EXH_GRAPH_MAX_NODES (EXH_ARCH_MAX_TOKENS / EXH_GRAPH_TOKENS_PER_NODE)
/* Largest cell exh_space_sample draws (before unreachable nodes are dropped);
 * NAS-Bench-NLP's cells have at most 15 nodes. */
#define EXH_GRAPH_SAMPLE_MAX_NODES 15

typedef enum exh_graph_op {
    EXH_GRAPH_OP_LINEAR = 0,
    EXH_GRAPH_OP_ACTIVATION_TANH,
    EXH_GRAPH_OP_ACTIVATION_SIGM,
    EXH_GRAPH_OP_ACTIVATION_LEAKY_RELU,
    EXH_GRAPH_OP_ELEMENTWISE_SUM,
    EXH_GRAPH_OP_ELEMENTWISE_PROD,
    EXH_GRAPH_OP_BLEND,
    EXH_GRAPH_OP_COUNT
} exh_graph_op;

/* "linear", "activation_tanh", ...; "?" for an id out of range. */
EXH_API const char *exh_graph_op_name(int op);

/* Write a valid graph architecture back as recipe JSON, nodes in canonical
 * order and named as in the text form:
 *     {"n0": {"op": "linear", "input": ["x", "h_prev_0"]},
 *      "h_new_0": {"op": "activation_tanh", "input": ["n0"]}}
 * *json receives a malloc'd string (free it with free). */
EXH_API int exh_graph_recipe_json(const exh_arch *a, char **json, exh_error *err);

#endif
