/* space_nb201.c — the NAS-Bench-201 cell space (see space_nb201.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_nb201.h"
#include "space/space_internal.h"
#include "util/csv.h"
#include "util/file.h"

static const char *const OPERATION_NAMES[EXH_NB201_OPERATIONS] = {
    "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3",
};

/* Source and target node of each position. */
static const int EDGE_SOURCE[EXH_NB201_EDGES] = {0, 0, 1, 0, 1, 2};
static const int EDGE_TARGET[EXH_NB201_EDGES] = {1, 2, 2, 3, 3, 3};

/* With a benchmark file: its order. Without: the base-5 order. */
typedef struct nb201_data {
    int code_of_index[EXH_NB201_SIZE];
    int index_of_code[EXH_NB201_SIZE];
} nb201_data;

const char *exh_nb201_operation_name(int op)
{
    return op >= 0 && op < EXH_NB201_OPERATIONS ? OPERATION_NAMES[op] : "?";
}

int exh_nb201_code(const exh_arch *a)
{
    int code = 0;
    for (int i = 0; i < EXH_NB201_EDGES; i++)
        code = code * EXH_NB201_OPERATIONS + a->token[i];
    return code;
}

static void from_code(int code, exh_arch *out)
{
    out->length = EXH_NB201_EDGES;
    for (int i = EXH_NB201_EDGES - 1; i >= 0; i--) {
        out->token[i] = code % EXH_NB201_OPERATIONS;
        code /= EXH_NB201_OPERATIONS;
    }
}

int exh_nb201_operation_count(const exh_arch *a)
{
    int count = 0;
    for (int i = 0; i < EXH_NB201_EDGES; i++)
        count += a->token[i] != EXH_NB201_NONE;
    return count;
}

int exh_nb201_is_connected(const exh_arch *a)
{
    int reached[4] = {1, 0, 0, 0};
    for (int i = 0; i < EXH_NB201_EDGES; i++) /* edges are in topological order */
        if (a->token[i] != EXH_NB201_NONE && reached[EDGE_SOURCE[i]])
            reached[EDGE_TARGET[i]] = 1;
    return reached[3];
}

static int parse_digits(const char *text, exh_arch *out, exh_error *err)
{
    out->length = EXH_NB201_EDGES;
    for (int i = 0; i < EXH_NB201_EDGES; i++) {
        if (text[i] < '0' || text[i] > '4')
            return exh_error_set(err, EXH_ERR_PARSE,
                                 "nb201: digit %d of '%.20s' must be 0..4 (none, skip_connect, "
                                 "nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)",
                                 i + 1, text);
        out->token[i] = text[i] - '0';
    }
    return EXH_OK;
}

/* Read one "|op~k" edge at *p for position `edge`. */
static int parse_edge(const char **p, int edge, exh_arch *out, exh_error *err)
{
    if (**p != '|') /* checked first: *p may sit on the terminating NUL */
        return exh_error_set(err, EXH_ERR_PARSE, "nb201: edge %d: expected '|operation~input'",
                             edge + 1);
    const char *start = *p + 1, *tilde = strchr(start, '~');
    if (!tilde)
        return exh_error_set(err, EXH_ERR_PARSE, "nb201: edge %d: expected '|operation~input'",
                             edge + 1);
    int op = -1;
    for (int k = 0; k < EXH_NB201_OPERATIONS; k++)
        if ((size_t)(tilde - start) == strlen(OPERATION_NAMES[k]) &&
            strncmp(start, OPERATION_NAMES[k], (size_t)(tilde - start)) == 0)
            op = k;
    if (op < 0)
        return exh_error_set(err, EXH_ERR_PARSE, "nb201: edge %d: unknown operation '%.*s'",
                             edge + 1, (int)(tilde - start < 40 ? tilde - start : 40), start);
    if (tilde[1] - '0' != EDGE_SOURCE[edge] || tilde[2] != '|')
        return exh_error_set(err, EXH_ERR_PARSE,
                             "nb201: edge %d (%s into node %d) must read from node %d ('~%d|')",
                             edge + 1, OPERATION_NAMES[op], EDGE_TARGET[edge], EDGE_SOURCE[edge],
                             EDGE_SOURCE[edge]);
    out->token[edge] = op;
    *p = tilde + 2;
    return EXH_OK;
}

static int parse_string(const char *text, exh_arch *out, exh_error *err)
{
    const char *p = text;
    out->length = EXH_NB201_EDGES;
    for (int edge = 0; edge < EXH_NB201_EDGES; edge++) {
        int rc = parse_edge(&p, edge, out, err);
        if (rc < 0)
            return rc;
        int node_ends = edge == 0 || edge == 2; /* after nodes 1 and 2 */
        if (node_ends) {
            if (strncmp(p, "|+", 2) != 0)
                return exh_error_set(err, EXH_ERR_PARSE, "nb201: expected '|+' after edge %d",
                                     edge + 1);
            p += 2;
        }
    }
    if (strcmp(p, "|") != 0)
        return exh_error_set(err, EXH_ERR_PARSE, "nb201: expected a final '|' after edge 6, got "
                             "'%.20s'", p);
    return EXH_OK;
}

static int nb201_parse(const void *data, const char *text, exh_arch *out, exh_error *err)
{
    (void)data;
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    char trimmed[256];
    if (n >= sizeof trimmed)
        return exh_error_set(err, EXH_ERR_PARSE, "nb201: architecture text of %zu characters is "
                             "too long", n);
    memcpy(trimmed, text, n);
    trimmed[n] = '\0';
    exh_arch a; /* *out changes only on success */
    int rc;
    if (n == EXH_NB201_EDGES && isdigit((unsigned char)trimmed[0]))
        rc = parse_digits(trimmed, &a, err);
    else if (trimmed[0] == '|')
        rc = parse_string(trimmed, &a, err);
    else
        rc = exh_error_set(
            err, EXH_ERR_PARSE,
            "nb201: '%.40s' is neither a benchmark string (|op~0|+|...|) nor 6 digits", trimmed);
    if (rc == 0)
        *out = a;
    return rc;
}

static int nb201_validate(const void *data, const exh_arch *a, exh_error *err)
{
    (void)data;
    if (a->length != EXH_NB201_EDGES)
        return exh_error_set(err, EXH_ERR_INVALID, "nb201: an architecture has 6 positions, not %d",
                             a->length);
    for (int i = 0; i < EXH_NB201_EDGES; i++)
        if (a->token[i] < 0 || a->token[i] >= EXH_NB201_OPERATIONS)
            return exh_error_set(err, EXH_ERR_INVALID, "nb201: position %d holds %d, not 0..4", i,
                                 a->token[i]);
    return EXH_OK;
}

static int nb201_format(const void *data, const exh_arch *a, char *buf, size_t size)
{
    if (nb201_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    size_t used = 0;
    for (int i = 0; i < EXH_NB201_EDGES; i++) {
        const char *separator = i == 1 || i == 3 ? "|+" : "";
        int n = snprintf(buf + used, size - used, "%s|%s~%d", separator,
                         exh_nb201_operation_name(a->token[i]), EDGE_SOURCE[i]);
        if (n < 0 || (size_t)n >= size - used)
            return EXH_ERR_INVALID;
        used += (size_t)n;
    }
    if (used + 2 > size)
        return EXH_ERR_INVALID;
    buf[used++] = '|';
    buf[used] = '\0';
    return (int)used;
}

static int nb201_arity(const void *data, const exh_arch *a, int position)
{
    (void)data;
    (void)a;
    return position >= 0 && position < EXH_NB201_EDGES ? EXH_NB201_OPERATIONS : 0;
}

static int nb201_sample(const void *data, exh_rng *r, exh_arch *out, exh_error *err)
{
    (void)data;
    (void)err;
    out->length = EXH_NB201_EDGES;
    for (int i = 0; i < EXH_NB201_EDGES; i++)
        out->token[i] = (int32_t)exh_rng_below(r, EXH_NB201_OPERATIONS);
    return EXH_OK;
}

static int64_t nb201_size(const void *data)
{
    (void)data;
    return EXH_NB201_SIZE;
}

static int nb201_enumerate(const void *data, int64_t index, exh_arch *out, exh_error *err)
{
    if (index < 0 || index >= EXH_NB201_SIZE)
        return exh_error_set(err, EXH_ERR_INVALID, "nb201: index %lld is outside 0..15624",
                             (long long)index);
    const nb201_data *order = data;
    from_code(order ? order->code_of_index[index] : (int)index, out);
    return EXH_OK;
}

static int64_t nb201_index(const void *data, const exh_arch *a)
{
    if (nb201_validate(NULL, a, NULL) < 0)
        return -1;
    const nb201_data *order = data;
    int code = exh_nb201_code(a);
    return order ? order->index_of_code[code] : code;
}

static int nb201_layers(const void *data, const exh_arch *a, exh_layer *out, int max)
{
    if (nb201_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    for (int i = 0; i < EXH_NB201_EDGES && i < max; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].op = a->token[i];
        out[i].input_count = 2;
        out[i].inputs[0] = EDGE_SOURCE[i];
        out[i].inputs[1] = EDGE_TARGET[i];
        out[i].inputs[2] = out[i].inputs[3] = -1;
    }
    return EXH_NB201_EDGES;
}

static const char *nb201_op_name(const void *data, int op)
{
    (void)data;
    return exh_nb201_operation_name(op);
}

/* The network: 3 stages of 5 searched cells with C = 16, 32, 64 channels. */
static int64_t nb201_parameters(int64_t (*per_channel)(int64_t c))
{
    static const int64_t channels[3] = {16, 32, 64};
    int64_t total = 0;
    for (int stage = 0; stage < 3; stage++)
        total += 5 * per_channel(channels[stage]);
    return total;
}

/* ReLU-Conv(k x k, no bias)-BN: k*k*C*C weights + 2*C BN affine. */
static int64_t conv3x3_parameters(int64_t c)
{
    return 9 * c * c + 2 * c;
}

static int64_t conv1x1_parameters(int64_t c)
{
    return c * c + 2 * c;
}

int64_t exh_nb201_tensor_bytes(const exh_arch *a, int position)
{
    if (position < 0 || position >= EXH_NB201_EDGES || position >= a->length)
        return -1;
    switch (a->token[position]) {
    case EXH_NB201_NONE:
    case EXH_NB201_SKIP:
    case EXH_NB201_AVGPOOL:
        return 0;
    case EXH_NB201_CONV1X1:
        return 4 * nb201_parameters(conv1x1_parameters); /* float32 */
    case EXH_NB201_CONV3X3:
        return 4 * nb201_parameters(conv3x3_parameters);
    default:
        return -1;
    }
}

static int64_t nb201_space_tensor_bytes(const void *data, const exh_arch *a, int position)
{
    (void)data;
    return exh_nb201_tensor_bytes(a, position);
}

static const char *nb201_choice_name(const void *data, int position, int token)
{
    (void)data;
    (void)position; /* every edge chooses among the same operations */
    return exh_nb201_operation_name(token);
}

/* Record one archs.csv row (arch_index, arch_str) in the order. */
static int read_order_row(const csv_reader *reader, int c_index, int c_arch, const char *path,
                          nb201_data *order, exh_error *err)
{
    long long index;
    exh_arch a;
    if (reader->field_count <= (c_index > c_arch ? c_index : c_arch))
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: only %d fields", path, reader->line,
                             reader->field_count);
    if (csv_parse_long(reader->fields[c_index], &index) < 0 || index < 0 || index >= EXH_NB201_SIZE)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: arch_index '%.20s' is not 0..15624",
                             path, reader->line, reader->fields[c_index]);
    if (order->code_of_index[index] >= 0)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: arch_index %lld listed twice", path,
                             reader->line, index);
    if (nb201_parse(NULL, reader->fields[c_arch], &a, err) < 0)
        return exh_error_prefix(err, "%s: line %ld", path, reader->line);
    int code = exh_nb201_code(&a);
    if (order->index_of_code[code] >= 0)
        return exh_error_set(err, EXH_ERR_PARSE,
                             "%s: line %ld: cell already listed as arch_index %d", path,
                             reader->line, order->index_of_code[code]);
    order->code_of_index[index] = code;
    order->index_of_code[code] = (int)index;
    return EXH_OK;
}

/* Read the benchmark order from archs.csv: every cell exactly once. */
static int read_order(const char *path, nb201_data *order, exh_error *err)
{
    char *text;
    size_t size;
    int rc = file_read_all(path, &text, &size, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < EXH_NB201_SIZE; i++)
        order->code_of_index[i] = order->index_of_code[i] = -1;
    csv_reader reader;
    csv_open(&reader, text, size);
    int c_index = -1, c_arch = -1;
    rc = csv_next(&reader, err);
    if (rc > 0) {
        c_index = csv_column(&reader, "arch_index");
        c_arch = csv_column(&reader, "arch_str");
    }
    if (rc >= 0 && (c_index < 0 || c_arch < 0))
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: line 1: needs columns arch_index and arch_str",
                           path);
    while (rc > 0 && (rc = csv_next(&reader, err)) > 0) {
        int row = read_order_row(&reader, c_index, c_arch, path, order, err);
        rc = row < 0 ? row : 1;
    }
    for (int i = 0; rc == 0 && i < EXH_NB201_SIZE; i++)
        if (order->code_of_index[i] < 0)
            rc = exh_error_set(err, EXH_ERR_PARSE,
                               "%s: arch_index %d is missing (the benchmark has 15,625 cells)",
                               path, i);
    csv_close(&reader);
    free(text);
    return rc;
}

static int nb201_open(const char *argument, void **data, exh_error *err)
{
    *data = NULL;
    if (!argument)
        return EXH_OK;
    nb201_data *order = malloc(sizeof *order);
    if (!order)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = read_order(argument, order, err);
    if (rc < 0) {
        free(order);
        return rc;
    }
    *data = order;
    return EXH_OK;
}

const space_ops nb201_space_ops = {
    .kind = "nb201",
    .uniform_arity = EXH_NB201_OPERATIONS,
    .open = nb201_open,
    .free = free,
    .parse = nb201_parse,
    .format = nb201_format,
    .arity = nb201_arity,
    .validate = nb201_validate,
    .sample = nb201_sample,
    .size = nb201_size,
    .enumerate = nb201_enumerate,
    .index = nb201_index,
    .layers = nb201_layers,
    .op_name = nb201_op_name,
    .choice_name = nb201_choice_name,
    .tensor_bytes = nb201_space_tensor_bytes,
};
