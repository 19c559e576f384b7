/* penalties_json.c — penalty tables to and from their JSON form
 * (penalties.h documents the format). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exhaust/penalties.h"
#include "util/file.h"

/* ---- reading ---------------------------------------------------------- */

typedef struct reader {
    const char *name; /* file name for messages, or "penalties" */
    exh_error *err;
} reader;

static int read_cost(const reader *r, json_t *value, const char *path, double *out)
{
    if (json_is_number(value)) {
        *out = json_number_value(value);
        if (*out >= 0)
            return EXH_OK;
    } else if (json_is_string(value)) {
        const char *text = json_string_value(value);
        if (strcasecmp(text, "inf") == 0 || strcasecmp(text, "infinity") == 0) {
            *out = INFINITY;
            return EXH_OK;
        }
    }
    return exh_error_set(r->err, EXH_ERR_PARSE, "%s: %s: expected a number >= 0 or \"inf\"",
                         r->name, path);
}

static int read_nb201_operations(const reader *r, json_t *value)
{
    if (!json_is_array(value) || json_array_size(value) != EXH_NB201_OPERATIONS)
        return exh_error_set(r->err, EXH_ERR_PARSE,
                             "%s: operations: expected the %d NB201 operation names", r->name,
                             EXH_NB201_OPERATIONS);
    for (int op = 0; op < EXH_NB201_OPERATIONS; op++) {
        const char *text = json_string_value(json_array_get(value, (size_t)op));
        if (!text || strcmp(text, exh_nb201_operation_name(op)) != 0)
            return exh_error_set(r->err, EXH_ERR_PARSE,
                                 "%s: operations[%d]: expected \"%s\" (rows and columns follow "
                                 "NB201's order)",
                                 r->name, op, exh_nb201_operation_name(op));
    }
    return EXH_OK;
}

static int read_nb201_replace(const reader *r, json_t *value, exh_penalty_table *t)
{
    if (!json_is_array(value) || json_array_size(value) != EXH_NB201_OPERATIONS)
        return exh_error_set(r->err, EXH_ERR_PARSE, "%s: replace: expected %d rows of %d numbers",
                             r->name, EXH_NB201_OPERATIONS, EXH_NB201_OPERATIONS);
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++) {
        json_t *row = json_array_get(value, (size_t)x);
        if (!json_is_array(row) || json_array_size(row) != EXH_NB201_OPERATIONS)
            return exh_error_set(r->err, EXH_ERR_PARSE, "%s: replace[%d]: expected %d numbers",
                                 r->name, x, EXH_NB201_OPERATIONS);
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++) {
            char path[32];
            snprintf(path, sizeof path, "replace[%d][%d]", x, y);
            if (read_cost(r, json_array_get(row, (size_t)y), path, &t->nb201.replace[x][y]) < 0)
                return EXH_ERR_PARSE;
        }
    }
    return EXH_OK;
}

static int read_dense_indel(const reader *r, json_t *value, exh_penalty_table *t)
{
    if (!json_is_object(value))
        return exh_error_set(r->err, EXH_ERR_PARSE,
                             "%s: indel: expected an object of costs by layer type", r->name);
    const char *key;
    json_t *cost;
    json_object_foreach(value, key, cost) {
        int op = 0;
        while (op < EXH_DENSE_OP_COUNT && strcmp(key, exh_dense_op_name(op)) != 0)
            op++;
        char path[96];
        snprintf(path, sizeof path, "indel.%s", key);
        if (op == EXH_DENSE_OP_COUNT)
            return exh_error_set(r->err, EXH_ERR_PARSE,
                                 "%s: %s: unknown layer type (identity, dense, dropout, skip)",
                                 r->name, path);
        if (read_cost(r, cost, path, &t->dense.indel[op]) < 0)
            return EXH_ERR_PARSE;
    }
    return EXH_OK;
}

/* A plain cost entry of the selected kind: its name and where it lives. */
typedef struct named_cost {
    const char *name;
    double *value;
} named_cost;

static int plain_costs(exh_penalty_table *t, named_cost *out)
{
    int n = 0;
    switch (t->kind) {
    case EXH_PENALTY_NB201:
        out[n++] = (named_cost){"indel", &t->nb201.indel};
        out[n++] = (named_cost){"disconnect", &t->nb201.disconnect};
        break;
    case EXH_PENALTY_CONVCHAIN:
        out[n++] = (named_cost){"filters", &t->convchain.filters};
        out[n++] = (named_cost){"kernel", &t->convchain.kernel};
        out[n++] = (named_cost){"stride", &t->convchain.stride};
        out[n++] = (named_cost){"different_stride_indel", &t->convchain.different_stride_indel};
        out[n++] = (named_cost){"same_stride_indel", &t->convchain.same_stride_indel};
        break;
    case EXH_PENALTY_DENSE:
        out[n++] = (named_cost){"type", &t->dense.type};
        out[n++] = (named_cost){"units", &t->dense.units};
        out[n++] = (named_cost){"activation", &t->dense.activation};
        out[n++] = (named_cost){"skip_source", &t->dense.skip_source};
        break;
    case EXH_PENALTY_GRAPH:
        out[n++] = (named_cost){"op", &t->graph.op};
        out[n++] = (named_cost){"input", &t->graph.input};
        out[n++] = (named_cost){"indel", &t->graph.indel};
        break;
    default:
        break;
    }
    return n;
}

static int read_key(const reader *r, const char *key, json_t *value, exh_penalty_table *t)
{
    if (strcmp(key, "kind") == 0)
        return EXH_OK;
    if (t->kind == EXH_PENALTY_NB201 && strcmp(key, "operations") == 0)
        return read_nb201_operations(r, value);
    if (t->kind == EXH_PENALTY_NB201 && strcmp(key, "replace") == 0)
        return read_nb201_replace(r, value, t);
    if (t->kind == EXH_PENALTY_DENSE && strcmp(key, "indel") == 0)
        return read_dense_indel(r, value, t);
    named_cost costs[8];
    int n = plain_costs(t, costs);
    for (int i = 0; i < n; i++)
        if (strcmp(key, costs[i].name) == 0)
            return read_cost(r, value, key, costs[i].value);
    return exh_error_set(r->err, EXH_ERR_PARSE, "%s: %s: unknown key for a %s penalty table",
                         r->name, key, exh_penalties_kind_name(t->kind));
}

int exh_penalties_from_json(const char *text, const char *name, exh_penalty_table *out, exh_error *err)
{
    reader r = {name ? name : "penalties", err};
    json_error_t json_error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
    if (!root)
        return exh_error_set(err, EXH_ERR_PARSE, "%s:%d:%d: %s", r.name, json_error.line,
                             json_error.column, json_error.text);
    int rc = EXH_OK;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    if (!json_is_object(root))
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: expected a JSON object", r.name);
    else if (!kind)
        rc = exh_error_set(err, EXH_ERR_PARSE,
                           "%s: kind: missing (\"nb201\", \"convchain\", \"dense\" or \"graph\")",
                           r.name);
    else if ((rc = exh_penalties_default(kind, out, err)) < 0)
        exh_error_prefix(err, "%s: kind", r.name);
    const char *key;
    json_t *value;
    if (rc == EXH_OK) {
        json_object_foreach(root, key, value) {
            if ((rc = read_key(&r, key, value, out)) < 0)
                break;
        }
    }
    if (rc == EXH_OK && (rc = exh_penalties_validate(out, err)) < 0)
        exh_error_prefix(err, "%s", r.name);
    json_decref(root);
    return rc;
}

int exh_penalties_load(const char *path, exh_penalty_table *out, exh_error *err)
{
    char *text;
    size_t size;
    int rc = file_read_all(path, &text, &size, err);
    if (rc < 0)
        return rc;
    if (strlen(text) != size)
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: byte %zu: NUL byte in a JSON file", path,
                           strlen(text));
    else
        rc = exh_penalties_from_json(text, path, out, err);
    free(text);
    return rc;
}

/* ---- writing ----------------------------------------------------------
 * Written by hand rather than with json_dumps so that a matrix row stays
 * on one line: the file is meant to be read and edited. */

/* The shortest of %.15g / %.17g that reads back as the same double. */
static void put_cost(FILE *out, double value)
{
    if (isinf(value)) {
        fputs("\"inf\"", out);
        return;
    }
    char text[40];
    snprintf(text, sizeof text, "%.15g", value);
    if (strtod(text, NULL) != value)
        snprintf(text, sizeof text, "%.17g", value);
    fputs(text, out);
}

static void put_nb201(FILE *out, const exh_penalty_table *t)
{
    fputs(",\n  \"operations\": [", out);
    for (int op = 0; op < EXH_NB201_OPERATIONS; op++)
        fprintf(out, "%s\"%s\"", op ? ", " : "", exh_nb201_operation_name(op));
    fputs("],\n  \"replace\": [", out);
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++) {
        fputs(x ? ",\n    [" : "\n    [", out);
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++) {
            if (y)
                fputs(", ", out);
            put_cost(out, t->nb201.replace[x][y]);
        }
        fputs("]", out);
    }
    fputs("\n  ]", out);
}

static void put_dense_indel(FILE *out, const exh_penalty_table *t)
{
    fputs(",\n  \"indel\": {", out);
    for (int op = 0; op < EXH_DENSE_OP_COUNT; op++) {
        fprintf(out, "%s\"%s\": ", op ? ", " : "", exh_dense_op_name(op));
        put_cost(out, t->dense.indel[op]);
    }
    fputs("}", out);
}

int exh_penalties_to_json(const exh_penalty_table *t, char **json, exh_error *err)
{
    *json = NULL;
    if (exh_penalties_validate(t, err) < 0)
        return EXH_ERR_INVALID;
    size_t size;
    FILE *out = open_memstream(json, &size);
    if (!out)
        return exh_error_set(err, EXH_ERR_NOMEM, "penalties: out of memory writing JSON");
    fprintf(out, "{\n  \"kind\": \"%s\"", exh_penalties_kind_name(t->kind));
    if (t->kind == EXH_PENALTY_NB201)
        put_nb201(out, t);
    exh_penalty_table copy = *t;
    named_cost costs[8];
    int n = plain_costs(&copy, costs);
    for (int i = 0; i < n; i++) {
        fprintf(out, ",\n  \"%s\": ", costs[i].name);
        put_cost(out, *costs[i].value);
    }
    if (t->kind == EXH_PENALTY_DENSE)
        put_dense_indel(out, t);
    fputs("\n}", out);
    if (fclose(out) != 0 || !*json) {
        free(*json);
        *json = NULL;
        return exh_error_set(err, EXH_ERR_NOMEM, "penalties: out of memory writing JSON");
    }
    return EXH_OK;
}

int exh_penalties_save(const char *path, const exh_penalty_table *t, exh_error *err)
{
    char *json;
    int rc = exh_penalties_to_json(t, &json, err);
    if (rc < 0) {
        exh_error_prefix(err, "%s", path);
        return rc;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(json);
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot create the file", path);
    }
    int failed = fputs(json, f) < 0 || fputc('\n', f) == EOF;
    failed |= fclose(f) != 0;
    free(json);
    if (failed)
        return exh_error_set(err, EXH_ERR_IO, "%s: write failed", path);
    return EXH_OK;
}
