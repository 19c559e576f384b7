/*
 * graph_internal.h — the graph space's working form, shared by its files:
 *   graph_cell.c    cells <-> tokens, canonical order, validation
 *   graph_recipe.c  named recipes: resolving names, recipe JSON in and out
 *   graph_text.c    the text form in and out, and which form a text is in
 *   graph_random.c  sampling and one-token mutation
 *   space_graph.c   the space_ops table
 */
#ifndef EXHAUST_GRAPH_INTERNAL_H
#define EXHAUST_GRAPH_INTERNAL_H

#include "exhaust/space_graph.h"
#include "exhaust/rng.h"

#define GRAPH_NO_OUTPUT (-1)

/* One node. Inputs are value positions: 0..GRAPH_SOURCE_COUNT-1 the sources,
 * GRAPH_SOURCE_COUNT + j node j of the same cell. */
typedef struct graph_node {
    int op;
    int input_count;
    int inputs[EXH_GRAPH_MAX_INPUTS];
    int output; /* k when the node is h_new_k, else GRAPH_NO_OUTPUT */
} graph_node;

/* A cell whose nodes may be in any order (as parsed) or canonical. */
typedef struct graph_cell {
    int node_count;
    graph_node node[EXH_GRAPH_MAX_NODES];
} graph_cell;

/* Number of choices of token `position` (it depends only on the node the
 * position belongs to); 0 past the longest cell. */
int graph_position_arity(int position);
/* Whether `op` takes `count` inputs. */
int graph_op_accepts(int op, int count);
/* The op named `name`, or -1. */
int graph_op_lookup(const char *name, size_t length);
/* Source names: "x", "h_prev_0", ...; the position of a source name, or -1. */
const char *graph_source_name(int source);
int graph_source_lookup(const char *name);

/* Check ops, input counts, input positions and outputs of a cell in any
 * order; `names` (may be NULL) names the nodes in messages. */
int graph_cell_check(const graph_cell *cell, const char *const *names, exh_error *err);
/* Renumber a checked cell into canonical order (see space_graph.h), dropping
 * nodes no output reaches; fails on a cycle. */
int graph_cell_canonicalize(const graph_cell *in, graph_cell *out, const char *const *names,
                            exh_error *err);
/* Tokens <-> canonical cell. graph_cell_from_tokens validates completely
 * (ranges, op input counts, outputs, canonical order). */
int graph_cell_from_tokens(const exh_arch *a, graph_cell *out, exh_error *err);
void graph_cell_to_tokens(const graph_cell *cell, exh_arch *out);

/* A cell as written, with names: what the recipe JSON and text parsers
 * produce before names are resolved to positions. */
#define GRAPH_NAME_MAX 64
typedef struct graph_named_node {
    char name[GRAPH_NAME_MAX];
    int op;
    int input_count;
    char inputs[EXH_GRAPH_MAX_INPUTS][GRAPH_NAME_MAX];
} graph_named_node;

typedef struct graph_recipe {
    int node_count;
    graph_named_node node[EXH_GRAPH_MAX_NODES];
} graph_recipe;

/* Resolve names (sources, nodes, outputs h_new_K), check, canonicalize. */
int graph_recipe_resolve(const graph_recipe *recipe, graph_cell *out, exh_error *err);
int graph_recipe_from_json(const char *text, graph_recipe *out, exh_error *err);
int graph_recipe_from_text(const char *text, graph_recipe *out, exh_error *err);

/* Parse recipe JSON, the text form or a token sequence into a canonical cell. */
int graph_parse_text(const char *text, graph_cell *out, exh_error *err);
/* The text form's name of value position `position` of a canonical cell. */
void graph_value_name(const graph_cell *cell, int position, char *buf, size_t size);
/* Write the canonical text form; returns its length or a negative code when
 * buf is too small. */
int graph_format_cell(const graph_cell *cell, char *buf, size_t size);

int graph_sample_cell(exh_rng *r, graph_cell *out, exh_error *err);
int graph_mutate_tokens(exh_rng *r, const exh_arch *in, exh_arch *out, int *position,
                        const double *weights, exh_error *err);

#endif
