/* space_dense.c — the "dense:FILE" space's space_ops table (schema, text
 * form and index order: space_dense.h). */
#include "space/dense_internal.h"
#include "space/space_internal.h"

#include <stdio.h>
#include <string.h>

const dense_choice *dense_space_choice(const dense_space *dense, int node, int token)
{
    return &dense->choice[dense->node[node].first_choice + token];
}

void dense_choice_describe(const dense_space *dense, const dense_choice *choice, char *buf,
                           size_t size)
{
    switch (choice->op) {
    case EXH_DENSE_OP_DENSE:
        snprintf(buf, size, "dense(%d, %s)", choice->units,
                 exh_dense_activation_name(choice->activation));
        break;
    case EXH_DENSE_OP_DROPOUT:
        snprintf(buf, size, "dropout(%g)", choice->rate);
        break;
    case EXH_DENSE_OP_SKIP:
        snprintf(buf, size, "skip(from %s)",
                 choice->source == 0 ? "input" : dense->node[choice->source - 1].name);
        break;
    default:
        snprintf(buf, size, "%s", exh_dense_op_name(choice->op));
    }
}

static int dense_open(const char *argument, void **data, exh_error *err)
{
    dense_space *dense;
    int rc = dense_space_load(argument, &dense, err);
    *data = dense;
    return rc;
}

static void dense_free(void *data)
{
    dense_space_free(data);
}

static int dense_validate(const void *data, const exh_arch *a, exh_error *err)
{
    const dense_space *dense = data;
    if (a->length != dense->node_count)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: an architecture has %d positions, got %d",
                             dense->path, dense->node_count, a->length);
    for (int i = 0; i < a->length; i++) {
        int n = dense->node[i].choice_count;
        if (a->token[i] < 0 || a->token[i] >= n)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "%s: position %d (node '%s') holds %d but has only %d choices (0..%d)",
                                 dense->path, i, dense->node[i].name, a->token[i], n, n - 1);
    }
    return EXH_OK;
}

static int dense_parse(const void *data, const char *text, exh_arch *out, exh_error *err)
{
    exh_arch a;
    int rc = space_tokens_parse(text, &a, err);
    if (rc < 0 || (rc = dense_validate(data, &a, err)) < 0)
        return rc;
    *out = a;
    return EXH_OK;
}

/* "[1, 0, 3]"; fails rather than truncates when buf is too small. */
static int dense_format(const void *data, const exh_arch *a, char *buf, size_t size)
{
    if (size == 0 || dense_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    size_t used = 0;
    for (int i = 0; i < a->length; i++) {
        int n = snprintf(buf + used, size - used, "%s%d", i ? ", " : "[", a->token[i]);
        if (n < 0 || (size_t)n >= size - used)
            return EXH_ERR_INVALID;
        used += (size_t)n;
    }
    if (used + 2 > size)
        return EXH_ERR_INVALID;
    memcpy(buf + used, "]", 2);
    return (int)(used + 1);
}

static int dense_arity(const void *data, const exh_arch *a, int position)
{
    const dense_space *dense = data;
    return position >= 0 && position < dense->node_count ? dense->node[position].choice_count : 0;
}

static int dense_sample(const void *data, exh_rng *r, exh_arch *out, exh_error *err)
{
    const dense_space *dense = data;
    out->length = dense->node_count;
    for (int i = 0; i < dense->node_count; i++)
        out->token[i] = (int32_t)exh_rng_below(r, (uint32_t)dense->node[i].choice_count);
    return EXH_OK;
}

static int64_t dense_size(const void *data)
{
    return ((const dense_space *)data)->size;
}

/* Mixed radix, position 0 most significant (see space_dense.h). */
static int dense_enumerate(const void *data, int64_t index, exh_arch *out, exh_error *err)
{
    const dense_space *dense = data;
    if (dense->size < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: the space is too large to enumerate",
                             dense->path);
    if (index < 0 || index >= dense->size)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: index %lld is outside 0..%lld", dense->path,
                             (long long)index, (long long)dense->size - 1);
    out->length = dense->node_count;
    for (int i = dense->node_count - 1; i >= 0; i--) {
        int n = dense->node[i].choice_count;
        out->token[i] = (int32_t)(index % n);
        index /= n;
    }
    return EXH_OK;
}

static int64_t dense_index(const void *data, const exh_arch *a)
{
    const dense_space *dense = data;
    if (dense->size < 0 || dense_validate(data, a, NULL) < 0)
        return -1;
    int64_t index = 0;
    for (int i = 0; i < dense->node_count; i++)
        index = index * dense->node[i].choice_count + a->token[i];
    return index;
}

static int dense_layers(const void *data, const exh_arch *a, exh_layer *out, int max)
{
    const dense_space *dense = data;
    if (dense_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    for (int i = 0; i < dense->node_count && i < max; i++) {
        const dense_choice *choice = dense_space_choice(dense, i, a->token[i]);
        exh_layer l = {.op = choice->op, .units = choice->units, .activation = choice->activation};
        for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
            l.inputs[j] = -1;
        if (choice->op == EXH_DENSE_OP_SKIP) {
            l.input_count = 1;
            l.inputs[0] = choice->source;
        }
        out[i] = l;
    }
    return dense->node_count;
}

static const char *dense_space_op_name(const void *data, int op)
{
    return exh_dense_op_name(op);
}

const space_ops dense_space_ops = {
    .kind = "dense",
    .open = dense_open,
    .free = dense_free,
    .parse = dense_parse,
    .format = dense_format,
    .arity = dense_arity,
    .validate = dense_validate,
    .sample = dense_sample,
    .size = dense_size,
    .enumerate = dense_enumerate,
    .index = dense_index,
    .layers = dense_layers,
    .op_name = dense_space_op_name,
};
