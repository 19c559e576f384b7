/* cache_policy.c — the replay's policies over tensor caches, for the replay
 * and the live fast tier alike (see cache_policy.h). */
#include "repo/cache_policy.h"

#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

int cache_policy_init(cache_policy *p, const exh_cachesim_options *o, int64_t caches,
                      int64_t window, int64_t ids, exh_cachesim_result *result)
{
    memset(p, 0, sizeof *p);
    p->policy = o->policy;
    p->tier_donations = o->tier_donations;
    p->result = result;
    p->cache_count = caches > 0 ? caches : 1;
    p->caches = calloc((size_t)p->cache_count, sizeof *p->caches);
    if (!p->caches)
        return EXH_ERR_NOMEM;
    int lfu = o->policy == EXH_CACHESIM_LFU;
    for (int64_t c = 0; c < p->cache_count; c++)
        if (tcache_init(&p->caches[c], o->capacity_bytes, lfu) < 0)
            return EXH_ERR_NOMEM;
    if (o->policy == EXH_CACHESIM_TIER && tier_window_init(&p->tier, window, ids) < 0)
        return EXH_ERR_NOMEM;
    return EXH_OK;
}

void cache_policy_free(cache_policy *p)
{
    if (p->caches)
        for (int64_t c = 0; c < p->cache_count; c++)
            tcache_free(&p->caches[c]);
    free(p->caches);
    tier_window_free(&p->tier);
    memset(p, 0, sizeof *p);
}

int cache_policy_index_dense(cache_policy *p, int64_t ids)
{
    if (ids < 1 || ids > INT32_MAX)
        return EXH_OK;
    int arrays = ids <= CACHE_POLICY_DENSE_CELLS / p->cache_count;
    for (int64_t c = 0; c < p->cache_count; c++) {
        tensor_cache *cache = &p->caches[c];
        if ((arrays ? tcache_index_dense(cache, ids) : tcache_index_ids(cache, ids)) < 0)
            return EXH_ERR_NOMEM;
    }
    return EXH_OK;
}

int cache_policy_read(cache_policy *p, int64_t cache, const int32_t *ids, int count,
                      const int64_t *sizes)
{
    if (p->policy == EXH_CACHESIM_TIER && tier_window_enter(&p->tier, ids, count) < 0)
        return EXH_ERR_NOMEM;
    tensor_cache *c = &p->caches[cache];
    p->result->accesses += count;
    for (int k = 0; k < count; k++) {
        if (tcache_use(c, (uint64_t)ids[k], ++p->stamp))
            p->result->hits++;
        else
            p->result->bytes_read_missed += sizes[ids[k]];
    }
    return EXH_OK;
}

/* Put tensor `id` into cache c (a use if held). Returns 1 when it was
 * inserted, 0 when already held (*held) or too large, or EXH_ERR_NOMEM. */
static int offer(cache_policy *p, int64_t c, int32_t id, int64_t bytes, int *held)
{
    tensor_cache *cache = &p->caches[c];
    int64_t before = cache->stored_bytes;
    int rc = tcache_offer(cache, (uint64_t)id, bytes, ++p->stamp, &p->result->evictions, held);
    p->stored += cache->stored_bytes - before;
    if (rc == 1 && p->on_insert)
        p->on_insert(p->insert_context, c, id);
    return rc;
}

static int admits(const cache_policy *p, int32_t id)
{
    return p->policy != EXH_CACHESIM_TIER ||
           tier_window_donations(&p->tier, id) >= p->tier_donations;
}

static int write_one(cache_policy *p, int64_t cache, int32_t id, int64_t bytes, int admit,
                     int new_best)
{
    int held, rc;
    if (admit && admits(p, id)) {
        if ((rc = offer(p, cache, id, bytes, &held)) < 0)
            return rc;
        if (rc == 1 || held)
            p->result->bytes_written += bytes;
    }
    for (int64_t c = 0; new_best && c < p->cache_count; c++) {
        if ((rc = offer(p, c, id, bytes, &held)) < 0)
            return rc;
        if (rc == 1)
            p->result->bytes_prefetched += bytes;
    }
    return EXH_OK;
}

static int is_new_best(cache_policy *p, double quality)
{
    if (p->policy != EXH_CACHESIM_PREFETCH || (p->have_best && quality <= p->best))
        return 0;
    p->best = quality;
    p->have_best = 1;
    return 1;
}

int cache_policy_write(cache_policy *p, int64_t cache, const int32_t *ids, int count,
                       const int64_t *sizes, double quality, int skip)
{
    if (isnan(quality))
        return EXH_OK; /* a failed evaluation has nothing to store */
    int admit = !(p->policy == EXH_CACHESIM_THRESHOLD && skip);
    int new_best = is_new_best(p, quality);
    for (int k = 0; k < count; k++) {
        int rc = write_one(p, cache, ids[k], sizes[ids[k]], admit, new_best);
        if (rc < 0)
            return rc;
    }
    return EXH_OK;
}

double cache_policy_parent_bound(int population, int sample, int rank)
{
    if (rank < 1 || rank > population || sample < 1 || sample > population)
        return 0.0;
    /* One tournament: C(P - r, S - 1) / C(P, S), in logs for large P. */
    if (population - rank < sample - 1)
        return 0.0;
    double log_win = gsl_sf_lnchoose((unsigned)(population - rank), (unsigned)(sample - 1)) -
                     gsl_sf_lnchoose((unsigned)population, (unsigned)sample);
    double win = exp(log_win);
    return 1.0 - pow(1.0 - win, population);
}

int cache_policy_threshold_rank(int population, int sample, double epsilon)
{
    int cut = population + 1;
    for (int r = population; r >= 1; r--)
        if (cache_policy_parent_bound(population, sample, r) < epsilon)
            cut = r;
    return cut;
}
