/*
 * dense_internal.h — the dense space's loaded form, shared by
 *   dense_schema.c  reading and checking the JSON file (schema: space_dense.h)
 *   space_dense.c   the space_ops table
 */
#ifndef EXHAUST_DENSE_INTERNAL_H
#define EXHAUST_DENSE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/space.h"
#include "exhaust/space_dense.h"

#define DENSE_NAME_MAX 64
#define DENSE_UNITS_MAX 1000000000 /* a sanity bound, far above any real layer */

/* One expanded choice; fields its op does not use are 0. */
typedef struct dense_choice {
    int op;         /* dense_op */
    int units;      /* dense */
    int activation; /* dense: dense_activation */
    double rate;    /* dropout */
    int source;     /* skip: 0 = the network input, 1 + k = node k */
} dense_choice;

typedef struct dense_node {
    char name[DENSE_NAME_MAX];
    int first_choice; /* index into dense_space.choice */
    int choice_count;
} dense_node;

typedef struct dense_space {
    char path[256];
    int node_count;
    dense_node node[EXH_ARCH_MAX_TOKENS];
    dense_choice *choice; /* all nodes' choices, node by node */
    int choice_count, choice_capacity;
    int64_t size; /* product of choice counts, -1 when it overflows int64 */
} dense_space;

/* Read and check the JSON file at path (schema: space_dense.h). */
int dense_space_load(const char *path, dense_space **out, exh_error *err);
void dense_space_free(dense_space *dense);

/* Node `node`'s chosen choice for token `token` (both must be in range). */
const dense_choice *dense_space_choice(const dense_space *dense, int node, int token);
/* "dense(64, relu)", "dropout(0.5)", "skip(from input)", "identity". */
void dense_choice_describe(const dense_space *dense, const dense_choice *choice, char *buf,
                           size_t size);

#endif
