/*
 * cachesim_trace.h — a trace gathered for replay (cachesim_trace_prepare):
 * what the replay needs of each record, in compact arrays. Records are large
 * (arch holds ARCH_MAX_TOKENS tokens): touching them in event order on every
 * run would cost cache misses on every event, so one pass copies out the
 * tensors (keys and sizes), qualities and workers, and sorts the events once
 * for every policy and scope replayed on it.
 */
#ifndef EXHAUST_ANALYZE_CACHESIM_TRACE_H
#define EXHAUST_ANALYZE_CACHESIM_TRACE_H

#include <stdint.h>

#include "analyze/cachesim_events.h"
#include "exhaust/cachesim.h"

typedef struct cachesim_tensor {
    uint64_t key;              /* transfer_tensor_key */
    int64_t bytes;             /* > 0 */
} cachesim_tensor;

/* 24 bytes: a million-record trace gathers into 24 MB + 16 bytes a tensor. */
typedef struct cachesim_item {
    int64_t first;             /* its first tensor in cachesim_trace.tensors */
    int16_t reads;             /* tensors it receives: the first `reads` */
    int16_t tensors;           /* its tensors (bytes > 0), in position order
                                  (at most ARCH_MAX_TOKENS) */
    int32_t worker;            /* 0.. in order of first appearance */
    double quality;            /* NAN: failed */
} cachesim_item;

struct cachesim_trace {
    int64_t count;
    cachesim_item *items;      /* per record, in the caller's order */
    cachesim_tensor *tensors;
    int64_t tensor_count, tensor_capacity;
    cachesim_event *events;    /* 2 * count, in replay order */
    int64_t workers;           /* distinct worker ids */
};

#endif
