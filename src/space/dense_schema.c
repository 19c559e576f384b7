/* dense_schema.c — reading a dense space's JSON file (schema in
 * space_dense.h). Messages name the file and the JSON path of the element. */
#include "space/dense_internal.h"
#include "util/file.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A description is a few KiB (the largest real one, CANDLE's, is 3 KiB):
 * anything past 1 MiB is not one, and is not read. */
#define DENSE_SPACE_FILE_MAX ((size_t)1 << 20)

static const char *const op_names[EXH_DENSE_OP_COUNT] = {"identity", "dense", "dropout", "skip"};
static const char *const activation_names[EXH_DENSE_ACTIVATION_COUNT] = {
    "linear", "relu", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus", "swish", "gelu",
};

const char *exh_dense_op_name(int op)
{
    return op >= 0 && op < EXH_DENSE_OP_COUNT ? op_names[op] : "?";
}

const char *exh_dense_activation_name(int activation)
{
    return activation >= 0 && activation < EXH_DENSE_ACTIVATION_COUNT ? activation_names[activation]
                                                                   : "?";
}

/* What the loader is working on, for messages. */
typedef struct loader {
    dense_space *dense;
    exh_error *err;
    int node;   /* index of the node being read */
    int choice; /* index in its "choices" array */
} loader;

static int fail(const loader *l, int code, const char *key, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* "FILE: nodes[2].choices[1].KEY: message"; the parts not known are left out. */
static int fail(const loader *l, int code, const char *key, const char *format, ...)
{
    char message[EXH_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    char where[160] = "";
    if (l->node >= 0 && l->choice >= 0)
        snprintf(where, sizeof where, "nodes[%d].choices[%d]", l->node, l->choice);
    else if (l->node >= 0)
        snprintf(where, sizeof where, "nodes[%d]", l->node);
    if (key) {
        size_t n = strlen(where);
        snprintf(where + n, sizeof where - n, "%s%.60s", n ? "." : "", key);
    }
    return exh_error_set(l->err, code, "%s: %s%s%s", l->dense->path, where, where[0] ? ": " : "",
                         message);
}

/* Every key of object must be among the NULL-terminated allowed list. */
static int check_keys(const loader *l, json_t *object, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        int known = 0;
        for (int i = 0; allowed[i]; i++)
            known |= strcmp(key, allowed[i]) == 0;
        if (!known)
            return fail(l, EXH_ERR_PARSE, key, "unknown key");
    }
    return EXH_OK;
}

/* A key that may hold one value or a list: element k and how many. */
static size_t list_count(json_t *value)
{
    return json_is_array(value) ? json_array_size(value) : 1;
}

static json_t *list_item(json_t *value, size_t k)
{
    return json_is_array(value) ? json_array_get(value, k) : value;
}

/* "units[2]" for a list, "units" for a single value. */
static const char *item_path(json_t *value, const char *key, size_t k, char *buf, size_t size)
{
    if (json_is_array(value))
        snprintf(buf, size, "%s[%zu]", key, k);
    else
        snprintf(buf, size, "%s", key);
    return buf;
}

static int add_choice(loader *l, const dense_choice *choice)
{
    dense_space *s = l->dense;
    if (s->node[l->node].choice_count == EXH_DENSE_MAX_CHOICES)
        return fail(l, EXH_ERR_INVALID, NULL, "the node has more than %d choices",
                    EXH_DENSE_MAX_CHOICES);
    if (s->choice_count == s->choice_capacity) {
        int capacity = s->choice_capacity ? 2 * s->choice_capacity : 64;
        dense_choice *grown = realloc(s->choice, sizeof *grown * (size_t)capacity);
        if (!grown)
            return fail(l, EXH_ERR_NOMEM, NULL, "out of memory");
        s->choice = grown;
        s->choice_capacity = capacity;
    }
    s->choice[s->choice_count++] = *choice;
    s->node[l->node].choice_count++;
    return EXH_OK;
}

static int read_units(const loader *l, json_t *list, size_t k, int *units)
{
    char path[48];
    json_t *value = list_item(list, k);
    json_int_t n = json_is_integer(value) ? json_integer_value(value) : 0;
    if (n < 1 || n > DENSE_UNITS_MAX)
        return fail(l, EXH_ERR_INVALID, item_path(list, "units", k, path, sizeof path),
                    "expected an integer in 1..%d", DENSE_UNITS_MAX);
    *units = (int)n;
    return EXH_OK;
}

static int read_activation(const loader *l, json_t *list, size_t k, int *activation)
{
    char path[48];
    if (!list) {
        *activation = EXH_DENSE_ACTIVATION_LINEAR;
        return EXH_OK;
    }
    json_t *value = list_item(list, k);
    for (int a = 0; json_is_string(value) && a < EXH_DENSE_ACTIVATION_COUNT; a++)
        if (strcmp(json_string_value(value), activation_names[a]) == 0) {
            *activation = a;
            return EXH_OK;
        }
    return fail(l, EXH_ERR_INVALID, item_path(list, "activation", k, path, sizeof path),
                "expected an activation (linear, relu, tanh, sigmoid, softmax, elu, selu, "
                "softplus, swish, gelu)");
}

/* "input", an earlier node's name, or an earlier node's index. */
static int read_source(const loader *l, json_t *list, size_t k, int *source)
{
    char path[48];
    item_path(list, "from", k, path, sizeof path);
    json_t *value = list_item(list, k);
    int node = -1;
    if (json_is_string(value) && strcmp(json_string_value(value), "input") == 0) {
        *source = 0;
        return EXH_OK;
    } else if (json_is_string(value)) {
        for (int i = 0; i < l->dense->node_count; i++)
            if (strcmp(l->dense->node[i].name, json_string_value(value)) == 0)
                node = i;
        if (node < 0)
            return fail(l, EXH_ERR_INVALID, path, "no node is named '%.60s'",
                        json_string_value(value));
    } else if (json_is_integer(value)) {
        json_int_t index = json_integer_value(value);
        node = index >= 0 && index < l->dense->node_count ? (int)index : l->dense->node_count;
    } else {
        return fail(l, EXH_ERR_INVALID, path,
                    "expected \"input\", a node name or a node index");
    }
    if (node >= l->node)
        return fail(l, EXH_ERR_INVALID, path,
                    "a skip connection must come from an earlier node");
    *source = 1 + node;
    return EXH_OK;
}

/* A key holding a value or a non-empty list; NULL when absent and optional. */
static int get_list(const loader *l, json_t *object, const char *key, int required, json_t **out)
{
    *out = json_object_get(object, key);
    if (!*out && required)
        return fail(l, EXH_ERR_PARSE, key, "missing");
    if (*out && json_is_array(*out) && json_array_size(*out) == 0)
        return fail(l, EXH_ERR_INVALID, key, "empty list");
    return EXH_OK;
}

static int read_dense(loader *l, json_t *object)
{
    static const char *const keys[] = {"type", "units", "activation", NULL};
    json_t *units, *activations;
    int rc = check_keys(l, object, keys);
    if (rc < 0 || (rc = get_list(l, object, "units", 1, &units)) < 0 ||
        (rc = get_list(l, object, "activation", 0, &activations)) < 0)
        return rc;
    for (size_t u = 0; u < list_count(units); u++)
        for (size_t a = 0; a < (activations ? list_count(activations) : 1); a++) {
            dense_choice choice = {.op = EXH_DENSE_OP_DENSE};
            if ((rc = read_units(l, units, u, &choice.units)) < 0 ||
                (rc = read_activation(l, activations, a, &choice.activation)) < 0 ||
                (rc = add_choice(l, &choice)) < 0)
                return rc;
        }
    return EXH_OK;
}

static int read_dropout(loader *l, json_t *object)
{
    static const char *const keys[] = {"type", "rate", NULL};
    json_t *rates;
    int rc = check_keys(l, object, keys);
    if (rc < 0 || (rc = get_list(l, object, "rate", 1, &rates)) < 0)
        return rc;
    for (size_t k = 0; k < list_count(rates); k++) {
        json_t *value = list_item(rates, k);
        double rate = json_is_number(value) ? json_number_value(value) : NAN;
        char path[48];
        if (!(rate >= 0.0 && rate < 1.0))
            return fail(l, EXH_ERR_INVALID, item_path(rates, "rate", k, path, sizeof path),
                        "expected a number in [0, 1)");
        dense_choice choice = {.op = EXH_DENSE_OP_DROPOUT, .rate = rate};
        if ((rc = add_choice(l, &choice)) < 0)
            return rc;
    }
    return EXH_OK;
}

static int read_skip(loader *l, json_t *object)
{
    static const char *const keys[] = {"type", "from", NULL};
    json_t *sources;
    int rc = check_keys(l, object, keys);
    if (rc < 0 || (rc = get_list(l, object, "from", 1, &sources)) < 0)
        return rc;
    for (size_t k = 0; k < list_count(sources); k++) {
        dense_choice choice = {.op = EXH_DENSE_OP_SKIP};
        if ((rc = read_source(l, sources, k, &choice.source)) < 0 ||
            (rc = add_choice(l, &choice)) < 0)
            return rc;
    }
    return EXH_OK;
}

static int read_choice(loader *l, json_t *object)
{
    static const char *const identity_keys[] = {"type", NULL};
    json_t *type = json_is_object(object) ? json_object_get(object, "type") : NULL;
    if (!json_is_object(object))
        return fail(l, EXH_ERR_PARSE, NULL, "expected an object {\"type\": ...}");
    const char *name = json_is_string(type) ? json_string_value(type) : "";
    if (strcmp(name, "identity") == 0) {
        dense_choice choice = {.op = EXH_DENSE_OP_IDENTITY};
        int rc = check_keys(l, object, identity_keys);
        return rc < 0 ? rc : add_choice(l, &choice);
    }
    if (strcmp(name, "dense") == 0)
        return read_dense(l, object);
    if (strcmp(name, "dropout") == 0)
        return read_dropout(l, object);
    if (strcmp(name, "skip") == 0)
        return read_skip(l, object);
    return fail(l, EXH_ERR_INVALID, "type", "expected \"identity\", \"dense\", \"dropout\" or "
                "\"skip\"");
}

static int choices_equal(const dense_choice *a, const dense_choice *b)
{
    return a->op == b->op && a->units == b->units && a->activation == b->activation &&
           a->rate == b->rate && a->source == b->source;
}

/* A choice with its index, ordered by content, then by index, so equal
 * choices sort next to each other with the earliest first. (A copy per
 * entry: qsort has no context argument, and a global would not be
 * thread-safe.) */
typedef struct indexed_choice {
    dense_choice choice;
    int index;
} indexed_choice;

static int compare_indexed(const void *x, const void *y)
{
    const indexed_choice *p = x, *q = y;
    const dense_choice *a = &p->choice, *b = &q->choice;
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    if (a->units != b->units)
        return a->units < b->units ? -1 : 1;
    if (a->activation != b->activation)
        return a->activation < b->activation ? -1 : 1;
    if (a->rate != b->rate)
        return a->rate < b->rate ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    return (p->index > q->index) - (p->index < q->index);
}

/* A repeated choice would skew sampling toward it: most likely a typo. A
 * node may hold tens of thousands of choices (DeepHyper spaces list every
 * unit count), so equal ones are found by sorting, not by comparing every
 * pair; the message names the first choice that repeats an earlier one and
 * the earliest one it repeats, as a pairwise scan would. */
static int check_repeats(loader *l)
{
    const dense_node *node = &l->dense->node[l->node];
    const dense_choice *c = l->dense->choice + node->first_choice;
    int n = node->choice_count;
    indexed_choice *order = malloc(sizeof *order * (size_t)(n > 0 ? n : 1));
    if (!order)
        return fail(l, EXH_ERR_NOMEM, NULL, "out of memory");
    for (int i = 0; i < n; i++)
        order[i] = (indexed_choice){c[i], i};
    qsort(order, (size_t)n, sizeof *order, compare_indexed);
    int repeat = -1, first = -1, group = 0;
    for (int k = 1; k < n; k++) {
        if (!choices_equal(&order[k].choice, &order[k - 1].choice)) {
            group = k;
            continue;
        }
        if (repeat < 0 || order[k].index < repeat) {
            repeat = order[k].index;
            first = order[group].index;
        }
    }
    free(order);
    if (repeat < 0)
        return EXH_OK;
    char text[96];
    dense_choice_describe(l->dense, &c[repeat], text, sizeof text);
    return fail(l, EXH_ERR_INVALID, "choices", "choice %d repeats choice %d (%s)", repeat, first,
                text);
}

static int read_node_choices(loader *l, json_t *node)
{
    static const char *const keys[] = {"name", "description", "choices", NULL};
    json_t *choices = json_object_get(node, "choices");
    int rc = check_keys(l, node, keys);
    if (rc < 0)
        return rc;
    if (!json_is_array(choices) || json_array_size(choices) == 0)
        return fail(l, EXH_ERR_PARSE, "choices", "expected a non-empty list");
    l->dense->node[l->node].first_choice = l->dense->choice_count;
    for (size_t j = 0; j < json_array_size(choices); j++) {
        l->choice = (int)j;
        if ((rc = read_choice(l, json_array_get(choices, j))) < 0)
            return rc;
    }
    l->choice = -1;
    return check_repeats(l);
}

/* Names first, so that skip choices may refer to nodes by name. */
static int read_node_name(loader *l, json_t *node)
{
    dense_node *target = &l->dense->node[l->node];
    if (!json_is_object(node))
        return fail(l, EXH_ERR_PARSE, NULL, "expected an object {\"choices\": [...]}");
    json_t *name = json_object_get(node, "name");
    if (!name) {
        snprintf(target->name, sizeof target->name, "node_%d", l->node);
    } else if (!json_is_string(name) || json_string_length(name) == 0 ||
               json_string_length(name) >= DENSE_NAME_MAX ||
               strcmp(json_string_value(name), "input") == 0) {
        return fail(l, EXH_ERR_INVALID, "name", "expected a string of 1..%d characters other "
                    "than \"input\"", DENSE_NAME_MAX - 1);
    } else {
        snprintf(target->name, sizeof target->name, "%s", json_string_value(name));
    }
    for (int i = 0; i < l->node; i++)
        if (strcmp(l->dense->node[i].name, target->name) == 0)
            return fail(l, EXH_ERR_INVALID, "name", "'%s' is also the name of nodes[%d]",
                        target->name, i);
    return EXH_OK;
}

static int read_nodes(loader *l, json_t *nodes)
{
    size_t count = json_array_size(nodes);
    if (!json_is_array(nodes) || count == 0 || count > EXH_ARCH_MAX_TOKENS)
        return fail(l, EXH_ERR_PARSE, "nodes", "expected a list of 1..%d nodes", EXH_ARCH_MAX_TOKENS);
    l->dense->node_count = (int)count;
    int rc = EXH_OK;
    for (l->node = 0; rc == EXH_OK && l->node < (int)count; l->node++)
        rc = read_node_name(l, json_array_get(nodes, (size_t)l->node));
    for (l->node = 0; rc == EXH_OK && l->node < (int)count; l->node++)
        rc = read_node_choices(l, json_array_get(nodes, (size_t)l->node));
    l->node = -1;
    return rc;
}

static int read_root(loader *l, json_t *root)
{
    static const char *const keys[] = {"name", "description", "nodes", NULL};
    if (!json_is_object(root))
        return fail(l, EXH_ERR_PARSE, NULL, "expected an object {\"nodes\": [...]}");
    int rc = check_keys(l, root, keys);
    return rc < 0 ? rc : read_nodes(l, json_object_get(root, "nodes"));
}

static int64_t space_size_of(const dense_space *s)
{
    int64_t size = 1;
    for (int i = 0; i < s->node_count; i++) {
        if (size > INT64_MAX / s->node[i].choice_count)
            return -1;
        size *= s->node[i].choice_count;
    }
    return size;
}

int dense_space_load(const char *path, dense_space **out, exh_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return exh_error_set(err, EXH_ERR_INVALID, "the dense space needs a file: dense:PATH");
    char *data;
    size_t size;
    int rc = file_read_limited(path, DENSE_SPACE_FILE_MAX, &data, &size, err);
    if (rc < 0)
        return rc;
    json_error_t json_err;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &json_err);
    free(data);
    if (!root) {
        /* jansson's text quotes the bytes it stopped at ("near 'root:x:0'"):
         * the message names the place only, never the file's contents. */
        char *near = strstr(json_err.text, " near ");
        if (near)
            *near = '\0';
        return exh_error_set(err, EXH_ERR_PARSE, "%s:%d:%d: not a dense space description (%s)",
                             path, json_err.line, json_err.column, json_err.text);
    }
    dense_space *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(root);
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    loader l = {.dense = s, .err = err, .node = -1, .choice = -1};
    rc = read_root(&l, root);
    json_decref(root);
    if (rc < 0) {
        dense_space_free(s);
        return rc;
    }
    s->size = space_size_of(s);
    *out = s;
    return EXH_OK;
}

void dense_space_free(dense_space *dense)
{
    if (dense) {
        free(dense->choice);
        free(dense);
    }
}
