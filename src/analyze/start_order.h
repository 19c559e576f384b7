/* start_order.h — the records of a trace in the order they started. Traces
 * list records as they finished, so several analyses (locality, quanta,
 * popularity) need this order; a radix sort makes it O(n), which matters on
 * million-record traces. */
#ifndef EXHAUST_ANALYZE_START_ORDER_H
#define EXHAUST_ANALYZE_START_ORDER_H

#include <stdint.h>

#include "exhaust/trace.h"

/* Pointers to the records by start time; ties keep their trace order (the
 * sort is stable); records without a start time (NaN) come last. A malloc'd
 * array of `count` pointers, or NULL when out of memory. */
const trace_record **start_order(const trace_record *records, int64_t count);

#endif
