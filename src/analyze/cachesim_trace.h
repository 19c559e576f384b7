/*
 * cachesim_trace.h — a trace gathered for replay (cachesim_trace_prepare):
 * what the replay needs of each record, in compact arrays. Records are large
 * (arch holds ARCH_MAX_TOKENS tokens): touching them in event order on every
 * run would cost cache misses on every event, so one pass copies out the
 * tensors, qualities and workers, and sorts the events once for every
 * policy and scope replayed on it.
 *
 * Tensors are interned: each distinct key (transfer_tensor_key) gets a dense
 * id 0.., so a record's tensors are 4-byte ids (NB201 has 19,530 distinct
 * tensors however long the trace), caches key on ids, and the tier window
 * counts donations in an array indexed by id.
 */
#ifndef EXHAUST_ANALYZE_CACHESIM_TRACE_H
#define EXHAUST_ANALYZE_CACHESIM_TRACE_H

#include <stdint.h>

#include "analyze/cachesim_events.h"
#include "exhaust/cachesim.h"

/* A tensor as the replay offers it. */
typedef struct cachesim_tensor {
    uint64_t id;               /* dense id, the caches' key */
    int64_t bytes;             /* > 0 */
} cachesim_tensor;

/* 24 bytes: a million-record trace gathers into 24 MB + 4 bytes a tensor. */
typedef struct cachesim_item {
    int64_t first;             /* its first tensor in cachesim_trace.ids */
    int16_t reads;             /* tensors it receives: the first `reads` */
    int16_t tensors;           /* its tensors (bytes > 0), in position order
                                  (at most ARCH_MAX_TOKENS) */
    int32_t worker;            /* 0.. in order of first appearance */
    double quality;            /* NAN: failed */
} cachesim_item;

struct exh_cachesim_trace {
    int64_t count;
    cachesim_item *items;      /* per record, in the caller's order */
    int32_t *ids;              /* the records' tensors, record after record */
    int64_t id_count, id_capacity;
    int64_t *sizes;            /* bytes of each distinct tensor, by id */
    int64_t distinct, distinct_capacity;
    cachesim_event *events;    /* 2 * count, in replay order */
    int64_t workers;           /* distinct worker ids */
};

#endif
