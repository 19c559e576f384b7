/*
 * tier_window.h — the tier policy's admission rule, for the replay
 * (analyze/cachesim.c) and the repository's live fast tier (repo_read.c):
 * a tensor is admitted when the last `size` records to start read it at
 * least a given number of times (the population: what is popular now is
 * what will be donated next).
 *
 * Tensors are dense ids 0.. (the replay's interned ids; the live tier
 * numbers blob keys as it meets them). Each record's reads are kept in a
 * ring of `size` records, so the oldest one's reads leave when a new one
 * enters: O(reads) per record.
 */
#ifndef EXHAUST_REPO_TIER_WINDOW_H
#define EXHAUST_REPO_TIER_WINDOW_H

#include <stdint.h>

typedef struct tier_record {
    int32_t *ids;
    int count, capacity;
} tier_record;

typedef struct tier_window {
    int64_t *donations;     /* per id: reads by the records in the window */
    int64_t id_capacity;
    tier_record *records;   /* ring */
    int64_t size, filled, head;
} tier_window;

/* An empty window of `size` >= 1 records, sized for about `ids` ids (it
 * grows). Returns 0 or EXH_ERR_NOMEM. */
int tier_window_init(tier_window *w, int64_t size, int64_t ids);
void tier_window_free(tier_window *w);
/* A record starts, reading ids[0..count) (ids >= 0): it enters the window,
 * and the oldest leaves a full one. Returns 0 or EXH_ERR_NOMEM. */
int tier_window_enter(tier_window *w, const int32_t *ids, int count);
/* Reads of `id` by the records in the window (inline: the replay asks once
 * per write). */
static inline int64_t tier_window_donations(const tier_window *w, int32_t id)
{
    return id >= 0 && id < w->id_capacity ? w->donations[id] : 0;
}

#endif
