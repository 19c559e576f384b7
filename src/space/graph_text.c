/* graph_text.c — the graph space's text form
 * ("n0=linear(x,h_prev_0) h_new_0=activation_tanh(n0)") in and out, and
 * telling it from recipe JSON and token sequences. */
#include "space/graph_internal.h"
#include "space/space_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct text_reader {
    const char *text;
    const char *p;
} text_reader;

static void skip_blanks(text_reader *r)
{
    while (isspace((unsigned char)*r->p))
        r->p++;
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* Read a name into dest; empty names are an error. */
static int read_name(text_reader *r, char *dest, const char *what, exh_error *err)
{
    skip_blanks(r);
    const char *start = r->p;
    while (is_name_char(*r->p))
        r->p++;
    size_t n = (size_t)(r->p - start);
    if (n == 0)
        return exh_error_set(err, EXH_ERR_PARSE, "graph text, offset %td: expected %s, found '%.20s'",
                             start - r->text, what, start);
    if (n >= GRAPH_NAME_MAX)
        return exh_error_set(err, EXH_ERR_PARSE, "graph text, offset %td: %s longer than %d characters",
                             start - r->text, what, GRAPH_NAME_MAX - 1);
    memcpy(dest, start, n);
    dest[n] = '\0';
    return EXH_OK;
}

static int expect_char(text_reader *r, char c, const char *after, exh_error *err)
{
    skip_blanks(r);
    if (*r->p != c)
        return exh_error_set(err, EXH_ERR_PARSE, "graph text, offset %td: expected '%c' after %s",
                             r->p - r->text, c, after);
    r->p++;
    return EXH_OK;
}

static int read_inputs(text_reader *r, graph_named_node *node, exh_error *err)
{
    int rc = expect_char(r, '(', "the op", err);
    node->input_count = 0;
    while (rc == EXH_OK) {
        if (node->input_count == EXH_GRAPH_MAX_INPUTS)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "graph text, offset %td: node '%s' has more than %d inputs",
                                 r->p - r->text, node->name, EXH_GRAPH_MAX_INPUTS);
        rc = read_name(r, node->inputs[node->input_count++], "an input name", err);
        skip_blanks(r);
        if (rc == EXH_OK && *r->p == ')') {
            r->p++;
            return EXH_OK;
        }
        if (rc == EXH_OK)
            rc = expect_char(r, ',', "an input", err);
    }
    return rc;
}

static int read_assignment(text_reader *r, graph_named_node *node, exh_error *err)
{
    int rc = read_name(r, node->name, "a node name", err);
    if (rc < 0 || (rc = expect_char(r, '=', "the node name", err)) < 0)
        return rc;
    skip_blanks(r);
    const char *op = r->p;
    while (is_name_char(*r->p))
        r->p++;
    node->op = graph_op_lookup(op, (size_t)(r->p - op));
    if (node->op < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "graph text, offset %td: unknown op '%.*s'",
                             op - r->text, (int)(r->p - op < 60 ? r->p - op : 60), op);
    return read_inputs(r, node, err);
}

int graph_recipe_from_text(const char *text, graph_recipe *out, exh_error *err)
{
    text_reader r = {.text = text, .p = text};
    out->node_count = 0;
    for (;;) {
        while (isspace((unsigned char)*r.p) || *r.p == ';')
            r.p++;
        if (!*r.p)
            return EXH_OK;
        if (out->node_count == EXH_GRAPH_MAX_NODES)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "graph text, offset %td: more than %d nodes", r.p - text,
                                 EXH_GRAPH_MAX_NODES);
        int rc = read_assignment(&r, &out->node[out->node_count++], err);
        if (rc < 0)
            return rc;
    }
}

static int first_non_blank(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    return (unsigned char)*text;
}

int graph_parse_text(const char *text, graph_cell *out, exh_error *err)
{
    int first = first_non_blank(text);
    if (first == '[' || isdigit(first)) {
        exh_arch a;
        int rc = space_tokens_parse(text, &a, err);
        return rc < 0 ? rc : graph_cell_from_tokens(&a, out, err);
    }
    graph_recipe recipe; /* about 13 KB: fine on the stack */
    int rc = first == '{' ? graph_recipe_from_json(text, &recipe, err)
                          : graph_recipe_from_text(text, &recipe, err);
    return rc < 0 ? rc : graph_recipe_resolve(&recipe, out, err);
}

void graph_value_name(const graph_cell *cell, int position, char *buf, size_t size)
{
    if (position < EXH_GRAPH_SOURCE_COUNT) {
        snprintf(buf, size, "%s", graph_source_name(position));
        return;
    }
    int node = position - EXH_GRAPH_SOURCE_COUNT;
    if (node < cell->node_count && cell->node[node].output != GRAPH_NO_OUTPUT)
        snprintf(buf, size, "h_new_%d", cell->node[node].output);
    else
        snprintf(buf, size, "n%d", node);
}

/* Append printf output at *used; fails when it does not fit. */
static int append(char *buf, size_t size, size_t *used, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t *used, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf + *used, size - *used, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= size - *used)
        return EXH_ERR_INVALID;
    *used += (size_t)n;
    return EXH_OK;
}

static int format_node(const graph_cell *cell, int i, char *buf, size_t size, size_t *used)
{
    const graph_node *node = &cell->node[i];
    char name[GRAPH_NAME_MAX];
    graph_value_name(cell, EXH_GRAPH_SOURCE_COUNT + i, name, sizeof name);
    int rc = append(buf, size, used, "%s%s=%s(", i ? " " : "", name, exh_graph_op_name(node->op));
    for (int j = 0; rc == EXH_OK && j < node->input_count; j++) {
        graph_value_name(cell, node->inputs[j], name, sizeof name);
        rc = append(buf, size, used, "%s%s", j ? "," : "", name);
    }
    return rc < 0 ? rc : append(buf, size, used, ")");
}

int graph_format_cell(const graph_cell *cell, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return EXH_ERR_INVALID;
    buf[0] = '\0';
    for (int i = 0; i < cell->node_count; i++) {
        int rc = format_node(cell, i, buf, size, &used);
        if (rc < 0)
            return rc;
    }
    return (int)used;
}
