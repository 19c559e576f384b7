/* graph_recipe.c — named recipes: resolving names to positions, and
 * NAS-Bench-NLP's recipe JSON in and out. */
#include "space/graph_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For a name PREFIX<digits>: the number. -1 when the name has another form;
 * -2 for a leading zero ("h_new_01": each slot has one spelling) or more
 * digits than any slot needs. */
static long numbered_name(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || !name[n])
        return -1;
    for (const char *p = name + n; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    if (name[n] == '0' && name[n + 1])
        return -2;
    if (strlen(name + n) > 6)
        return -2;
    return strtol(name + n, NULL, 10);
}

/* A node's own name: not a source, and h_new_K only for a valid slot K. */
static int resolve_node_name(const char *name, int *output, exh_error *err)
{
    long prev = numbered_name(name, "h_prev_");
    if (graph_source_lookup(name) >= 0 || prev != -1)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "node '%s': the name is a source's (sources: x, h_prev_0..h_prev_%d)",
                             name, EXH_GRAPH_SOURCE_COUNT - 2);
    long k = numbered_name(name, "h_new_");
    *output = GRAPH_NO_OUTPUT;
    if (k == -1)
        return EXH_OK;
    if (k < 0 || k >= EXH_GRAPH_MAX_OUTPUTS)
        return exh_error_set(err, EXH_ERR_INVALID, "node '%s': outputs are h_new_0..h_new_%d", name,
                             EXH_GRAPH_MAX_OUTPUTS - 1);
    *output = (int)k;
    return EXH_OK;
}

static int resolve_input(const graph_recipe *recipe, int node, int j, int *position,
                         exh_error *err)
{
    const char *input = recipe->node[node].inputs[j];
    for (int i = 0; i < recipe->node_count; i++)
        if (strcmp(recipe->node[i].name, input) == 0) {
            *position = EXH_GRAPH_SOURCE_COUNT + i;
            return EXH_OK;
        }
    *position = graph_source_lookup(input);
    if (*position >= 0)
        return EXH_OK;
    return exh_error_set(err, EXH_ERR_INVALID,
                         "node '%s': input '%s' is neither a node nor a source "
                         "(x, h_prev_0..h_prev_%d)",
                         recipe->node[node].name, input, EXH_GRAPH_SOURCE_COUNT - 2);
}

int graph_recipe_resolve(const graph_recipe *recipe, graph_cell *out, exh_error *err)
{
    graph_cell cell = {.node_count = recipe->node_count};
    const char *names[EXH_GRAPH_MAX_NODES];
    for (int i = 0; i < recipe->node_count; i++) {
        const graph_named_node *named = &recipe->node[i];
        names[i] = named->name;
        for (int other = 0; other < i; other++)
            if (strcmp(recipe->node[other].name, named->name) == 0)
                return exh_error_set(err, EXH_ERR_INVALID, "node '%s' is defined twice", named->name);
        graph_node *node = &cell.node[i];
        int rc = resolve_node_name(named->name, &node->output, err);
        if (rc < 0)
            return rc;
        node->op = named->op;
        node->input_count = named->input_count;
        for (int j = 0; j < named->input_count; j++)
            if ((rc = resolve_input(recipe, i, j, &node->inputs[j], err)) < 0)
                return rc;
    }
    int rc = graph_cell_check(&cell, names, err);
    if (rc < 0)
        return rc;
    return graph_cell_canonicalize(&cell, out, names, err);
}

static int copy_name(char *dest, const char *name, const char *what, exh_error *err)
{
    size_t n = strlen(name);
    if (n == 0)
        return exh_error_set(err, EXH_ERR_PARSE, "recipe: %s is an empty name", what);
    if (n >= GRAPH_NAME_MAX)
        return exh_error_set(err, EXH_ERR_PARSE, "recipe: %s '%.40s...' is longer than %d characters",
                             what, name, GRAPH_NAME_MAX - 1);
    memcpy(dest, name, n + 1);
    return EXH_OK;
}

static int node_from_json(const char *key, json_t *value, graph_named_node *node, exh_error *err)
{
    int rc = copy_name(node->name, key, "a node", err);
    if (rc < 0)
        return rc;
    json_t *op = json_is_object(value) ? json_object_get(value, "op") : NULL;
    json_t *inputs = json_is_object(value) ? json_object_get(value, "input") : NULL;
    if (!json_is_string(op) || !json_is_array(inputs))
        return exh_error_set(err, EXH_ERR_PARSE,
                             "recipe node '%s': expected {\"op\": \"...\", \"input\": [...]}", key);
    node->op = graph_op_lookup(json_string_value(op), json_string_length(op));
    if (node->op < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "recipe node '%s': unknown op '%.60s'", key,
                             json_string_value(op));
    size_t count = json_array_size(inputs);
    if (count < 1 || count > EXH_GRAPH_MAX_INPUTS)
        return exh_error_set(err, EXH_ERR_INVALID, "recipe node '%s': %zu inputs; a node has 1..%d",
                             key, count, EXH_GRAPH_MAX_INPUTS);
    node->input_count = (int)count;
    for (size_t j = 0; j < count; j++) {
        json_t *input = json_array_get(inputs, j);
        if (!json_is_string(input))
            return exh_error_set(err, EXH_ERR_PARSE, "recipe node '%s': input %zu is not a string",
                                 key, j + 1);
        if ((rc = copy_name(node->inputs[j], json_string_value(input), "an input", err)) < 0)
            return rc;
    }
    return EXH_OK;
}

int graph_recipe_from_json(const char *text, graph_recipe *out, exh_error *err)
{
    json_error_t json_err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &json_err);
    if (!root)
        return exh_error_set(err, EXH_ERR_PARSE, "recipe JSON, line %d column %d: %s", json_err.line,
                             json_err.column, json_err.text);
    int rc = EXH_OK;
    if (!json_is_object(root))
        rc = exh_error_set(err, EXH_ERR_PARSE, "recipe JSON: expected an object of nodes");
    else if (json_object_size(root) > EXH_GRAPH_MAX_NODES)
        rc = exh_error_set(err, EXH_ERR_INVALID, "recipe has %zu nodes; at most %d are allowed",
                           json_object_size(root), EXH_GRAPH_MAX_NODES);
    out->node_count = 0;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (rc < 0)
            break;
        rc = node_from_json(key, value, &out->node[out->node_count++], err);
    }
    json_decref(root);
    return rc;
}

/* {"op": ..., "input": [...]} for canonical node i. */
static json_t *node_to_json(const graph_cell *cell, int i)
{
    const graph_node *node = &cell->node[i];
    json_t *inputs = json_array();
    json_t *object = json_object();
    if (!inputs || !object ||
        json_object_set_new(object, "op", json_string(exh_graph_op_name(node->op))) < 0) {
        json_decref(inputs);
        json_decref(object);
        return NULL;
    }
    for (int j = 0; j < node->input_count; j++) {
        char name[GRAPH_NAME_MAX];
        graph_value_name(cell, node->inputs[j], name, sizeof name);
        if (json_array_append_new(inputs, json_string(name)) < 0) {
            json_decref(inputs);
            json_decref(object);
            return NULL;
        }
    }
    if (json_object_set_new(object, "input", inputs) < 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

int exh_graph_recipe_json(const exh_arch *a, char **json, exh_error *err)
{
    *json = NULL;
    graph_cell cell;
    int rc = graph_cell_from_tokens(a, &cell, err);
    if (rc < 0)
        return rc;
    json_t *root = json_object();
    for (int i = 0; root && i < cell.node_count; i++) {
        char name[GRAPH_NAME_MAX];
        graph_value_name(&cell, EXH_GRAPH_SOURCE_COUNT + i, name, sizeof name);
        json_t *node = node_to_json(&cell, i);
        if (!node || json_object_set_new(root, name, node) < 0) {
            json_decref(root);
            root = NULL;
        }
    }
    *json = root ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!*json)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory writing recipe JSON");
    return EXH_OK;
}
