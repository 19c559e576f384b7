/*
 * time_sort.h — sorting by time in O(n): a stable LSD radix sort on the bits
 * of the times (16 bits a pass; a pass whose digit is the same for every
 * item is skipped). Analyses of million-record traces sort by time often
 * (records by start, the cache replay's events), so it matters.
 *
 * Items are (key, value) pairs: the key a time turned into bits that order
 * like the times (time_sort_key), the value whatever the caller needs back.
 */
#ifndef EXHAUST_ANALYZE_TIME_SORT_H
#define EXHAUST_ANALYZE_TIME_SORT_H

#include <stdint.h>

#include "exhaust/trace.h"

typedef struct time_sort_item {
    uint64_t key;    /* time_sort_key(time) */
    int64_t value;
} time_sort_item;

/* A time's bits ordered as unsigned integers like the times are (-0 is 0,
 * NaN after everything), and back. */
uint64_t time_sort_key(double time);
double time_sort_time(uint64_t key);

/* Sort n items stably by key. *items may be replaced by another malloc'd
 * array (the old one is freed). Returns 0 or EXH_ERR_NOMEM (then *items is
 * unchanged). */
int time_sort(time_sort_item **items, int64_t n);

/* Pointers to the records by start time; ties keep their trace order;
 * records without a start time (NaN) come last. A malloc'd array of
 * `count` pointers, or NULL when out of memory. Traces list records as they
 * finished, so locality, quanta and popularity need this order. */
const exh_trace_record **start_order(const exh_trace_record *records, int64_t count);

#endif
