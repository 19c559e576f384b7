/* tier_window.c — donations in a sliding window of records (see
 * tier_window.h). */
#include "repo/tier_window.h"

#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

int tier_window_init(tier_window *w, int64_t size, int64_t ids)
{
    memset(w, 0, sizeof *w);
    w->size = size < 1 ? 1 : size;
    w->id_capacity = ids < 1 ? 1 : ids;
    w->donations = calloc((size_t)w->id_capacity, sizeof *w->donations);
    /* Slots are allocated as records arrive: a large window costs nothing
     * until it fills. */
    return w->donations ? EXH_OK : EXH_ERR_NOMEM;
}

void tier_window_free(tier_window *w)
{
    for (int64_t i = 0; i < w->filled; i++)
        free(w->records[i].ids);
    free(w->records);
    free(w->donations);
    memset(w, 0, sizeof *w);
}

static int grow_ids(tier_window *w, int32_t id)
{
    int64_t capacity = w->id_capacity;
    while (capacity <= id)
        capacity *= 2;
    int64_t *grown = realloc(w->donations, sizeof *grown * (size_t)capacity);
    if (!grown)
        return EXH_ERR_NOMEM;
    memset(grown + w->id_capacity, 0, sizeof *grown * (size_t)(capacity - w->id_capacity));
    w->donations = grown;
    w->id_capacity = capacity;
    return EXH_OK;
}

/* The slot the next record takes: a new one until the ring is full, then
 * the oldest, whose reads leave the window. */
static tier_record *next_slot(tier_window *w)
{
    if (w->filled < w->size) {
        if (w->filled % 64 == 0) {
            int64_t capacity = w->filled + 64 < w->size ? w->filled + 64 : w->size;
            tier_record *grown = realloc(w->records, sizeof *grown * (size_t)capacity);
            if (!grown)
                return NULL;
            w->records = grown;
        }
        tier_record *r = &w->records[w->filled++];
        memset(r, 0, sizeof *r);
        return r;
    }
    tier_record *r = &w->records[w->head];
    for (int k = 0; k < r->count; k++)
        w->donations[r->ids[k]]--;
    r->count = 0;
    w->head = (w->head + 1) % w->size;
    return r;
}

int tier_window_enter(tier_window *w, const int32_t *ids, int count)
{
    for (int k = 0; k < count; k++)
        if (ids[k] >= w->id_capacity && grow_ids(w, ids[k]) < 0)
            return EXH_ERR_NOMEM;
    tier_record *r = next_slot(w);
    if (!r)
        return EXH_ERR_NOMEM;
    if (count > r->capacity) {
        /* At least 8: records read a handful each, so a slot grows once. */
        int capacity = count > 8 ? count : 8;
        int32_t *grown = realloc(r->ids, sizeof *grown * (size_t)capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        r->ids = grown;
        r->capacity = capacity;
    }
    if (count > 0)
        memcpy(r->ids, ids, sizeof *ids * (size_t)count);
    r->count = count;
    for (int k = 0; k < count; k++)
        w->donations[ids[k]]++;
    return EXH_OK;
}
