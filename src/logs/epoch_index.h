/*
 * epoch_index.h — find a run's row for an epoch in O(1).
 *
 * Parsers look up "is there a row for epoch e yet?" once per row read; a
 * scan of the run's rows made a 200,000-epoch Keras CSV or event file take
 * half a minute (quadratic). The index is a hash from epoch to row, synced
 * lazily with r->epochs: rows may be appended to the run by any means
 * (run_add_epoch), and the next lookup indexes them. Rows must not be
 * removed or reordered while the index is in use; epoch_index_reset it when
 * the run is cleared or sorted.
 */
#ifndef EXHAUST_EPOCH_INDEX_H
#define EXHAUST_EPOCH_INDEX_H

#include <stddef.h>

#include "exhaust/run.h"

typedef struct epoch_index {
    size_t *slots;     /* row index + 1, 0 = empty; capacity a power of two */
    size_t capacity;
    size_t indexed;    /* rows r->epochs[0 .. indexed) are in the table */
} epoch_index;

#define EPOCH_INDEX_INIT {NULL, 0, 0}

/* The index of r's (first) row for epoch, -1 if none, EXH_ERR_NOMEM (< -1). */
long epoch_index_find(epoch_index *ix, const exh_run *r, int epoch);
/* The row for epoch, appended all-missing if absent; NULL when out of memory. */
exh_epoch_record *epoch_index_row(epoch_index *ix, exh_run *r, int epoch);
void epoch_index_reset(epoch_index *ix);

#endif
