/*
 * cache_policy.h — the cache policies of cachesim.h (lru, lfu, tier,
 * threshold, prefetch) over one or more tensor caches, driven by a record's
 * two events: its READ (when it starts) and its WRITE (when it ends). One
 * implementation for the replay of a trace (analyze/cachesim.c) and the
 * search's live fast tier (search/search_fast_tier.c): each feeds it the
 * same events, the replay from a sorted trace, the coordinator as jobs are
 * dispatched and gathered, so both count the same hits and evictions.
 *
 * Tensors are dense ids 0.. (the replay interns transfer keys, the live tier
 * blob hashes); `sizes` maps an id to its bytes (> 0). The caches key on
 * the id. The caller decides the threshold policy's skip (the
 * hypergeometric estimate: cache_policy_threshold_rank) and the cache
 * (worker) of each event; counts go to `result` (cachesim.h).
 */
#ifndef EXHAUST_REPO_CACHE_POLICY_H
#define EXHAUST_REPO_CACHE_POLICY_H

#include <stdint.h>

#include "exhaust/cachesim.h"
#include "repo/cachesim_cache.h"
#include "repo/tier_window.h"

typedef struct cache_policy {
    exh_cachesim_policy policy;
    int tier_donations;
    tensor_cache *caches;
    int64_t cache_count;
    tier_window tier;        /* tier: reads by the last `window` records to start */
    uint64_t stamp;          /* clock of cache uses */
    int64_t stored;          /* bytes held by all caches */
    double best;             /* prefetch: the best quality so far */
    int have_best;
    exh_cachesim_result *result;
    /* Told each tensor stored in cache `cache` (NULL: nobody): the live tier
     * copies the blob in; evictions go to each cache's on_evict. */
    void (*on_insert)(void *context, int64_t cache, int32_t id);
    void *insert_context;
} cache_policy;

/* `caches` caches of o->capacity_bytes under o->policy (tier: a window of
 * `window` records, sized for about `ids` ids). Returns 0 or EXH_ERR_NOMEM
 * (then cache_policy_free). */
int cache_policy_init(cache_policy *p, const exh_cachesim_options *o, int64_t caches,
                      int64_t window, int64_t ids, exh_cachesim_result *result);
void cache_policy_free(cache_policy *p);
/* When the ids are exactly 0..ids-1 (the replay's interned tensors), index
 * each (empty) cache by id: in an array when the caches' arrays fit in
 * CACHE_POLICY_DENSE_CELLS entries (a load instead of a hash lookup per
 * use), else (many per-worker caches) in a compact idmap instead of a
 * keymap. Same results either way. Returns 0 or EXH_ERR_NOMEM. */
#define CACHE_POLICY_DENSE_CELLS ((int64_t)1 << 22)
int cache_policy_index_dense(cache_policy *p, int64_t ids);

/* READ: a record starts and reads ids[0..count) from cache `cache` (tier:
 * it enters the window, whatever it reads). Returns 0 or EXH_ERR_NOMEM. */
int cache_policy_read(cache_policy *p, int64_t cache, const int32_t *ids, int count,
                      const int64_t *sizes);
/* WRITE: a record that succeeded with `quality` offers ids[0..count) to
 * cache `cache` (unless `skip` under threshold; tier: ids popular enough);
 * under prefetch a new best is pushed into every cache. Returns 0 or
 * EXH_ERR_NOMEM. */
int cache_policy_write(cache_policy *p, int64_t cache, const int32_t *ids, int count,
                       const int64_t *sizes, double quality, int skip);

/* The threshold policy's cut: the smallest rank r in 1..population whose
 * parent estimate (exh_analyze_parent_bound: one model at rank r, among
 * `population`, wins at least one of `population` tournaments of `sample`)
 * is below epsilon (the estimate falls with the rank); population + 1
 * when none. A model joining the population at rank >= the cut is "never
 * transferred, do not store". */
double cache_policy_parent_bound(int population, int sample, int rank);
int cache_policy_threshold_rank(int population, int sample, double epsilon);

#endif
