#include "logs/epoch_index.h"

#include <stdint.h>
#include <stdlib.h>

#include "exhaust/error.h"

static size_t slot_of(int epoch, size_t capacity)
{
    /* Fibonacci hashing: consecutive epochs spread over the table. */
    return (size_t)(((uint64_t)(uint32_t)epoch * 11400714819323198485ull) >> 20) &
           (capacity - 1);
}

/* Put row i (or leave the earlier row of the same epoch, which wins). */
static void place(epoch_index *ix, const exh_run *r, size_t i)
{
    size_t s = slot_of(r->epochs[i].epoch, ix->capacity);
    while (ix->slots[s]) {
        if (r->epochs[ix->slots[s] - 1].epoch == r->epochs[i].epoch)
            return;
        s = (s + 1) & (ix->capacity - 1);
    }
    ix->slots[s] = i + 1;
}

/* Index every row of r not yet indexed, growing the table to <= 50% load. */
static int sync(epoch_index *ix, const exh_run *r)
{
    if (ix->indexed > r->epoch_count)
        epoch_index_reset(ix); /* the run was cleared behind our back: start over */
    if (ix->indexed == r->epoch_count && ix->capacity)
        return 0;
    if (2 * (r->epoch_count + 1) > ix->capacity) {
        size_t capacity = ix->capacity ? ix->capacity : 64;
        while (2 * (r->epoch_count + 1) > capacity)
            capacity *= 2;
        size_t *slots = calloc(capacity, sizeof *slots);
        if (!slots)
            return EXH_ERR_NOMEM;
        free(ix->slots);
        ix->slots = slots;
        ix->capacity = capacity;
        ix->indexed = 0;
    }
    for (; ix->indexed < r->epoch_count; ix->indexed++)
        place(ix, r, ix->indexed);
    return 0;
}

long epoch_index_find(epoch_index *ix, const exh_run *r, int epoch)
{
    if (sync(ix, r) < 0)
        return EXH_ERR_NOMEM;
    for (size_t s = slot_of(epoch, ix->capacity); ix->slots[s]; s = (s + 1) & (ix->capacity - 1))
        if (r->epochs[ix->slots[s] - 1].epoch == epoch)
            return (long)(ix->slots[s] - 1);
    return -1;
}

exh_epoch_record *epoch_index_row(epoch_index *ix, exh_run *r, int epoch)
{
    long i = epoch_index_find(ix, r, epoch);
    if (i < -1)
        return NULL;
    if (i >= 0)
        return &r->epochs[i];
    exh_epoch_record row = exh_epoch_record_empty(epoch);
    if (exh_run_add_epoch(r, &row) < 0)
        return NULL;
    return &r->epochs[r->epoch_count - 1];
}

void epoch_index_reset(epoch_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->capacity = 0;
    ix->indexed = 0;
}
