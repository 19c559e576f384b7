/*
 * space_dense.h — the "dense:FILE" space: DeepHyper-style dense networks with
 * skip connections, described by a JSON file (CANDLE-ATTN and the like).
 *
 * The file lists *variable nodes*, in network order; each node lists its
 * choices, and an architecture picks one choice per node. The architecture is
 * DeepHyper's arch_seq: token i is the index of node i's choice, so the
 * space has exactly one position per node.
 *
 * Schema:
 *     {
 *       "name": "tiny",                         optional, informative
 *       "description": "...",                   optional, ignored
 *       "nodes": [                              1..EXH_ARCH_MAX_TOKENS nodes
 *         {"name": "dense_0",                   optional; default "node_<i>"
 *          "description": "...",                optional, ignored
 *          "choices": [                         1..EXH_DENSE_MAX_CHOICES in all
 *            {"type": "identity"},
 *            {"type": "dense", "units": [64, 32], "activation": ["relu", "tanh"]},
 *            {"type": "dropout", "rate": [0.1, 0.5]}
 *          ]},
 *         {"name": "skip_0",
 *          "choices": [{"type": "identity"},
 *                      {"type": "skip", "from": ["input", "dense_0"]}]}
 *       ]
 *     }
 *
 * Choice types:
 *   identity   pass the previous node's output on unchanged. As a skip
 *              node's choice it means "no connection".
 *   dense      a fully connected layer. "units": a positive integer;
 *              "activation": a name from exh_dense_activation_name (default
 *              "linear", i.e. none).
 *   dropout    "rate": a number in [0, 1).
 *   skip       add a connection from an earlier point to the previous node's
 *              output (DeepHyper's ConnectMixer / AddByProjecting). "from":
 *              "input" (the network's input), the name of an earlier node,
 *              or an earlier node's 0-based index.
 * Any of units, activation, rate and from may be a list: the choice then
 * stands for every combination, expanded in place with the first key in the
 * order above varying slowest ("units": [64, 32], "activation": ["relu",
 * "tanh"] gives 64 relu, 64 tanh, 32 relu, 32 tanh). Unknown keys, repeated
 * choices within a node and duplicate node names are errors; messages name
 * the file and the JSON path ("tiny.json: nodes[1].choices[0].units[2]: ...",
 * or file:line:column for JSON syntax errors).
 *
 * Text form: the arch_seq in brackets, "[1, 0, 3]"; exh_space_parse also takes it
 * without brackets and with commas or blanks between the numbers. The length
 * must equal the number of nodes.
 *
 * Sampling is uniform per position (so uniform over the space). Mutation is
 * the generic one: one position changes to a different choice. The space is
 * enumerable when the product of the nodes' choice counts fits in int64:
 * index = mixed-radix number of the tokens, position 0 most significant
 * (index = ((t0 * n1 + t1) * n2 + t2) ...); otherwise exh_space_size is -1.
 *
 * Layers (exh_space_layers): one per node, from its chosen choice: op = a
 * exh_dense_op id; units and activation for dense; for skip, input_count 1 and
 * inputs[0] = the source as a value position: 0 = the network input, 1 + k =
 * node k (the numbering the graph space uses: sources first, then nodes). The
 * dropout rate is not part of the layer view.
 *
 * Examples ship in examples/spaces/: candle_attn.json (CANDLE-ATTN-like,
 * 23 nodes, not enumerable) and tiny.json (used by the tests).
 */
#ifndef EXHAUST_SPACE_DENSE_H
#define EXHAUST_SPACE_DENSE_H

#include "exhaust/export.h"

/* The most choices one node may have after expanding lists. Real DeepHyper
 * spaces list every unit count of a layer, so positions with tens of
 * thousands of choices occur (traces hold values above 21,000); the bound
 * only stops a runaway expansion (a dense_choice is 32 bytes). */
#define EXH_DENSE_MAX_CHOICES (1 << 20)

typedef enum exh_dense_op {
    EXH_DENSE_OP_IDENTITY = 0,
    EXH_DENSE_OP_DENSE,
    EXH_DENSE_OP_DROPOUT,
    EXH_DENSE_OP_SKIP,
    EXH_DENSE_OP_COUNT
} exh_dense_op;

/* Activation ids; 0 is "linear" (no activation), which is also what a layer
 * that is not dense reports. */
typedef enum exh_dense_activation {
    EXH_DENSE_ACTIVATION_LINEAR = 0,
    EXH_DENSE_ACTIVATION_RELU,
    EXH_DENSE_ACTIVATION_TANH,
    EXH_DENSE_ACTIVATION_SIGMOID,
    EXH_DENSE_ACTIVATION_SOFTMAX,
    EXH_DENSE_ACTIVATION_ELU,
    EXH_DENSE_ACTIVATION_SELU,
    EXH_DENSE_ACTIVATION_SOFTPLUS,
    EXH_DENSE_ACTIVATION_SWISH,
    EXH_DENSE_ACTIVATION_GELU,
    EXH_DENSE_ACTIVATION_COUNT
} exh_dense_activation;

/* "identity", "dense", "dropout", "skip"; "?" out of range. */
EXH_API const char *exh_dense_op_name(int op);
/* "linear", "relu", "tanh", "sigmoid", ...; "?" out of range. */
EXH_API const char *exh_dense_activation_name(int activation);

#endif
