/*
 * space_internal.h — what a space implementation provides to space.c.
 *
 * space.c owns the generic parts (opening by name, sequence text, mutation,
 * validation via arity); each space fills a space_ops table. Any entry may be
 * NULL where the generic behaviour is right (noted below).
 */
#ifndef EXHAUST_SPACE_INTERNAL_H
#define EXHAUST_SPACE_INTERNAL_H

#include "exhaust/space.h"

typedef struct space_ops {
    const char *kind;
    /* > 0 when every position of every architecture has this many choices
     * (nb201: 5): lets the generic mutation skip the per-position calls. */
    int uniform_arity;
    /* Build the space's private data from the text after "kind:" (NULL when
     * none was given). May be NULL when the space has no data. */
    int (*open)(const char *argument, void **data, exh_error *err);
    void (*free)(void *data);
    int (*parse)(const void *data, const char *text, exh_arch *out, exh_error *err);
    int (*format)(const void *data, const exh_arch *a, char *buf, size_t size);
    int (*arity)(const void *data, const exh_arch *a, int position);
    /* NULL: every position valid iff 0 <= token < arity, plus length check. */
    int (*validate)(const void *data, const exh_arch *a, exh_error *err);
    int (*sample)(const void *data, exh_rng *r, exh_arch *out, exh_error *err);
    /* NULL: generic one-position mutation using arity. A space whose later
     * positions depend on earlier ones provides its own to keep `out` valid. */
    int (*mutate)(const void *data, exh_rng *r, const exh_arch *in, exh_arch *out, int *position,
                  const double *weights, exh_error *err);
    int64_t (*size)(const void *data);                   /* NULL: -1 */
    int (*enumerate)(const void *data, int64_t index, exh_arch *out, exh_error *err);
    int64_t (*index)(const void *data, const exh_arch *a);
    int (*layers)(const void *data, const exh_arch *a, exh_layer *out, int max);
    const char *(*op_name)(const void *data, int op);
    /* The name of choice `token` at `position`, for reports; NULL (the
     * member or its result): the space names no choices. */
    const char *(*choice_name)(const void *data, int position, int token);
    /* Bytes of the trained tensors a position holds (exh_space_tensor_bytes);
     * NULL: the space does not know its sizes. */
    int64_t (*tensor_bytes)(const void *data, const exh_arch *a, int position);
} space_ops;

/* Read a list of non-negative integers separated by commas and/or blanks,
 * optionally in brackets ("[1, 0, 3]", "1,0,3", "1 0 3") into out->token and
 * out->length, checking nothing about any space (space_tokens.c). */
int space_tokens_parse(const char *text, exh_arch *out, exh_error *err);

extern const space_ops nb201_space_ops;
extern const space_ops convchain_space_ops;
extern const space_ops dense_space_ops;
extern const space_ops graph_space_ops;

#endif
