/* space.c — opening spaces by name and the parts every space shares. */
#include "space/space_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exh_space {
    const space_ops *ops;
    void *data;
    char name[256];
};

static const space_ops *const all_spaces[] = {
    &nb201_space_ops, &convchain_space_ops, &dense_space_ops, &graph_space_ops,
};

int exh_space_open(const char *name, exh_space **out, exh_error *err)
{
    *out = NULL;
    if (!name || !*name)
        return exh_error_set(err, EXH_ERR_INVALID, "no space name given");
    const char *colon = strchr(name, ':');
    size_t kind_length = colon ? (size_t)(colon - name) : strlen(name);
    const space_ops *ops = NULL;
    for (size_t i = 0; i < sizeof all_spaces / sizeof all_spaces[0]; i++)
        if (strlen(all_spaces[i]->kind) == kind_length &&
            strncmp(all_spaces[i]->kind, name, kind_length) == 0)
            ops = all_spaces[i];
    if (!ops)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "unknown space '%s' (known: nb201, convchain, dense:FILE, graph)",
                             name);
    exh_space *s = calloc(1, sizeof *s);
    if (!s)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening space '%s'", name);
    s->ops = ops;
    snprintf(s->name, sizeof s->name, "%s", name);
    if (ops->open) {
        int rc = ops->open(colon ? colon + 1 : NULL, &s->data, err);
        if (rc < 0) {
            free(s);
            return rc;
        }
    } else if (colon) {
        free(s);
        return exh_error_set(err, EXH_ERR_INVALID, "space '%s' takes no argument", ops->kind);
    }
    *out = s;
    return EXH_OK;
}

void exh_space_free(exh_space *s)
{
    if (!s)
        return;
    if (s->ops->free)
        s->ops->free(s->data);
    free(s);
}

const char *exh_space_name(const exh_space *s) { return s->name; }
const char *exh_space_kind(const exh_space *s) { return s->ops->kind; }

int exh_space_parse(const exh_space *s, const char *text, exh_arch *out, exh_error *err)
{
    if (!text)
        return exh_error_set(err, EXH_ERR_PARSE, "no architecture text");
    if (!s->ops->parse)
        return exh_error_set(err, EXH_ERR_INVALID, "space '%s' cannot parse yet", s->name);
    return s->ops->parse(s->data, text, out, err);
}

int exh_space_format(const exh_space *s, const exh_arch *a, char *buf, size_t size)
{
    return s->ops->format(s->data, a, buf, size);
}

int exh_space_parse_sequence(const exh_space *s, const char *text, exh_arch *out, exh_error *err)
{
    exh_arch a;
    int rc = space_tokens_parse(text, &a, err);
    if (rc == 0 && s) /* without a space: any non-negative tokens */
        rc = exh_space_validate(s, &a, err);
    if (rc < 0)
        return rc;
    *out = a;
    return EXH_OK;
}

int exh_space_format_sequence(const exh_arch *a, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return EXH_ERR_INVALID;
    buf[0] = '\0';
    for (int i = 0; i < a->length; i++) {
        int n = snprintf(buf + used, size - used, i ? ",%d" : "%d", a->token[i]);
        if (n < 0 || (size_t)n >= size - used)
            return EXH_ERR_INVALID;
        used += (size_t)n;
    }
    return (int)used;
}

int exh_space_arity(const exh_space *s, const exh_arch *a, int position)
{
    if (position < 0 || position >= a->length)
        return 0;
    return s->ops->arity(s->data, a, position);
}

int exh_space_validate(const exh_space *s, const exh_arch *a, exh_error *err)
{
    if (s->ops->validate)
        return s->ops->validate(s->data, a, err);
    if (a->length <= 0 || a->length > EXH_ARCH_MAX_TOKENS)
        return exh_error_set(err, EXH_ERR_INVALID, "architecture has %d positions", a->length);
    for (int i = 0; i < a->length; i++) {
        int n = s->ops->arity(s->data, a, i);
        if (a->token[i] < 0 || a->token[i] >= n)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "position %d holds %d but has only %d choices (0..%d)", i,
                                 a->token[i], n, n - 1);
    }
    return EXH_OK;
}

int exh_space_sample(const exh_space *s, exh_rng *r, exh_arch *out, exh_error *err)
{
    return s->ops->sample(s->data, r, out, err);
}

/* Pick a position among those with at least two choices, with probability
 * proportional to its weight (uniform when weights is NULL). */
static int pick_mutable_position(const exh_space *s, exh_rng *r, const exh_arch *a,
                                 const double *weights)
{
    if (!weights && s->ops->uniform_arity > 1 && a->length > 0) /* the hot path of a search */
        return (int)exh_rng_below(r, (uint32_t)a->length);
    double weight[EXH_ARCH_MAX_TOKENS];
    double total = 0.0;
    for (int i = 0; i < a->length; i++) {
        weight[i] = s->ops->arity(s->data, a, i) > 1 ? (weights ? weights[i] : 1.0) : 0.0;
        if (weight[i] < 0.0)
            weight[i] = 0.0;
        total += weight[i];
    }
    if (total <= 0.0)
        return -1;
    if (!weights) { /* uniform: one integer draw among the mutable positions */
        int k = (int)exh_rng_below(r, (uint32_t)total);
        for (int i = 0; i < a->length; i++)
            if (weight[i] > 0.0 && k-- == 0)
                return i;
    }
    double target = exh_rng_uniform(r) * total;
    int last = -1;
    for (int i = 0; i < a->length; i++) {
        if (weight[i] <= 0.0)
            continue;
        last = i;
        if (target < weight[i])
            return i;
        target -= weight[i];
    }
    return last; /* rounding left target just past the end */
}

int exh_space_mutate(const exh_space *s, exh_rng *r, const exh_arch *in, exh_arch *out,
                     int *position, const double *weights, exh_error *err)
{
    if (s->ops->mutate)
        return s->ops->mutate(s->data, r, in, out, position, weights, err);
    int where = pick_mutable_position(s, r, in, weights);
    if (where < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "no position of this architecture can change");
    int n = s->ops->uniform_arity > 0 ? s->ops->uniform_arity : exh_space_arity(s, in, where);
    /* Draw among the n-1 other values so the result always differs. */
    int value = (int)exh_rng_below(r, (uint32_t)(n - 1));
    if (value >= in->token[where])
        value++;
    if (out != in) /* copy only the used tokens: an arch holds ARCH_MAX_TOKENS */
        memcpy(out->token, in->token, sizeof in->token[0] * (size_t)in->length);
    out->length = in->length;
    out->token[where] = value;
    if (position)
        *position = where;
    return EXH_OK;
}

int64_t exh_space_size(const exh_space *s)
{
    return s->ops->size ? s->ops->size(s->data) : -1;
}

int exh_space_enumerate(const exh_space *s, int64_t index, exh_arch *out, exh_error *err)
{
    if (!s->ops->enumerate)
        return exh_error_set(err, EXH_ERR_INVALID, "space '%s' cannot be enumerated", s->name);
    return s->ops->enumerate(s->data, index, out, err);
}

int64_t exh_space_index(const exh_space *s, const exh_arch *a)
{
    return s->ops->index ? s->ops->index(s->data, a) : -1;
}

int exh_space_layers(const exh_space *s, const exh_arch *a, exh_layer *out, int max)
{
    return s->ops->layers(s->data, a, out, max);
}

const char *exh_space_op_name(const exh_space *s, int op)
{
    return s->ops->op_name ? s->ops->op_name(s->data, op) : "?";
}

const char *exh_space_choice_name(const exh_space *s, int position, int token)
{
    return s->ops->choice_name ? s->ops->choice_name(s->data, position, token) : NULL;
}

int exh_space_has_tensor_bytes(const exh_space *s)
{
    return s->ops->tensor_bytes != NULL;
}

int64_t exh_space_tensor_bytes(const exh_space *s, const exh_arch *a, int position)
{
    return s->ops->tensor_bytes ? s->ops->tensor_bytes(s->data, a, position) : -1;
}

int exh_arch_equal(const exh_arch *a, const exh_arch *b)
{
    return a->length == b->length &&
           memcmp(a->token, b->token, sizeof a->token[0] * (size_t)a->length) == 0;
}

int exh_arch_common_prefix(const exh_arch *a, const exh_arch *b)
{
    int n = a->length < b->length ? a->length : b->length;
    int i = 0;
    while (i < n && a->token[i] == b->token[i])
        i++;
    return i;
}
