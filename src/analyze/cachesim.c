/* cachesim.c — replay a trace's tensor reads and writes against caches
 * (see cachesim.h for the model). */
#include "exhaust/cachesim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/cachesim_cache.h"
#include "repo/tier_window.h"
#include "analyze/cachesim_trace.h"
#include "exhaust/space_nb201.h"

/* ---- names, defaults, tensor sizes ---- */

static const char *const POLICY_NAMES[EXH_CACHESIM_POLICY_COUNT] = {
    "lru", "lfu", "tier", "threshold", "prefetch",
};
static const char *const SCOPE_NAMES[EXH_CACHESIM_SCOPE_COUNT] = {"shared", "per-worker"};

const char *exh_cachesim_policy_name(exh_cachesim_policy p)
{
    return (unsigned)p < EXH_CACHESIM_POLICY_COUNT ? POLICY_NAMES[p] : "?";
}

int exh_cachesim_policy_parse(const char *name, exh_cachesim_policy *out, exh_error *err)
{
    for (int i = 0; i < EXH_CACHESIM_POLICY_COUNT; i++)
        if (strcmp(name, POLICY_NAMES[i]) == 0) {
            *out = (exh_cachesim_policy)i;
            return EXH_OK;
        }
    return exh_error_set(err, EXH_ERR_INVALID,
                         "unknown cache policy '%s' (known: lru, lfu, tier, threshold, prefetch)",
                         name);
}

const char *exh_cachesim_scope_name(exh_cachesim_scope s)
{
    return (unsigned)s < EXH_CACHESIM_SCOPE_COUNT ? SCOPE_NAMES[s] : "?";
}

int exh_cachesim_scope_parse(const char *name, exh_cachesim_scope *out, exh_error *err)
{
    for (int i = 0; i < EXH_CACHESIM_SCOPE_COUNT; i++)
        if (strcmp(name, SCOPE_NAMES[i]) == 0) {
            *out = (exh_cachesim_scope)i;
            return EXH_OK;
        }
    return exh_error_set(err, EXH_ERR_INVALID,
                         "unknown cache scope '%s' (known: shared, per-worker)", name);
}

void exh_cachesim_options_default(exh_cachesim_options *o)
{
    memset(o, 0, sizeof *o);
    o->policy = EXH_CACHESIM_LRU;
    o->scope = EXH_CACHESIM_SHARED;
    o->capacity_bytes = 0;
    o->window = EXH_CACHESIM_DEFAULT_WINDOW;
    o->tier_donations = EXH_CACHESIM_DEFAULT_TIER_DONATIONS;
}

int64_t exh_cachesim_nb201_tensor_bytes(const exh_arch *a, int position, void *context)
{
    (void)context;
    return exh_nb201_tensor_bytes(a, position); /* the space's table */
}

int64_t exh_cachesim_uniform_tensor_bytes(const exh_arch *a, int position, void *context)
{
    (void)a;
    (void)position;
    return context ? *(const int64_t *)context : 1;
}

/* ---- the replay state ---- */

typedef struct replay {
    const exh_cachesim_trace *t;
    const exh_cachesim_options *o;
    exh_cachesim_result *result;
    exh_error *err;
    tensor_cache *caches;
    int64_t cache_count;
    int per_worker;
    uint64_t stamp;            /* clock of cache uses */
    int64_t stored;            /* bytes held by all caches */
    double best;               /* prefetch: best quality so far */
    int have_best;
    tier_window tier;          /* tier: reads by the last `window` records to start */
} replay;

static int out_of_memory(replay *rp)
{
    return exh_error_set(rp->err, EXH_ERR_NOMEM, "cachesim: out of memory");
}

static int check_options(const exh_cachesim_options *o, exh_error *err)
{
    if (!o)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: no options");
    if ((unsigned)o->policy >= EXH_CACHESIM_POLICY_COUNT)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: unknown policy %d", (int)o->policy);
    if ((unsigned)o->scope >= EXH_CACHESIM_SCOPE_COUNT)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: unknown scope %d", (int)o->scope);
    if (o->capacity_bytes < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: capacity %lld bytes is negative",
                             (long long)o->capacity_bytes);
    if (o->window < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: window %d must be at least 1 record",
                             o->window);
    if (o->tier_donations < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: tier donations %d is negative",
                             o->tier_donations);
    return EXH_OK;
}

static tensor_cache *cache_of(const replay *rp, const cachesim_item *x)
{
    return &rp->caches[rp->per_worker ? x->worker : 0];
}

/* ---- setup and teardown ---- */

static int setup(replay *rp)
{
    rp->per_worker = rp->o->scope == EXH_CACHESIM_PER_WORKER;
    rp->cache_count = rp->per_worker && rp->t->workers > 0 ? rp->t->workers : 1;
    rp->caches = calloc((size_t)rp->cache_count, sizeof *rp->caches);
    if (!rp->caches)
        return out_of_memory(rp);
    int lfu = rp->o->policy == EXH_CACHESIM_LFU;
    for (int64_t c = 0; c < rp->cache_count; c++)
        if (tcache_init(&rp->caches[c], rp->o->capacity_bytes, lfu) < 0)
            return out_of_memory(rp);
    if (rp->o->policy == EXH_CACHESIM_TIER) {
        int64_t count = rp->t->count;
        if (tier_window_init(&rp->tier, rp->o->window < count ? rp->o->window : count,
                             rp->t->distinct) < 0)
            return out_of_memory(rp);
    }
    return EXH_OK;
}

static void teardown(replay *rp)
{
    if (rp->caches)
        for (int64_t c = 0; c < rp->cache_count; c++)
            tcache_free(&rp->caches[c]);
    free(rp->caches);
    tier_window_free(&rp->tier);
}

/* The k-th tensor of the trace's records (cachesim_trace.ids). */
static cachesim_tensor tensor_at(const replay *rp, int64_t k)
{
    int32_t id = rp->t->ids[k];
    return (cachesim_tensor){(uint64_t)id, rp->t->sizes[id]};
}

/* ---- tier: donations in a sliding window of records (tier_window.c) ---- */

static int tier_admits(const replay *rp, uint64_t id)
{
    return rp->o->policy != EXH_CACHESIM_TIER ||
           tier_window_donations(&rp->tier, (int32_t)id) >= rp->o->tier_donations;
}

/* ---- events ---- */

static int replay_read(replay *rp, int64_t i)
{
    const cachesim_item *x = &rp->t->items[i];
    if (rp->o->policy == EXH_CACHESIM_TIER &&
        tier_window_enter(&rp->tier, &rp->t->ids[x->first], x->reads) < 0)
        return out_of_memory(rp);
    tensor_cache *cache = cache_of(rp, x);
    exh_cachesim_result *out = rp->result;
    out->accesses += x->reads;
    for (int k = 0; k < x->reads; k++) {
        cachesim_tensor t = tensor_at(rp, x->first + k);
        if (tcache_use(cache, t.id, ++rp->stamp))
            out->hits++;
        else
            out->bytes_read_missed += t.bytes;
    }
    return EXH_OK;
}

/* Put a tensor into cache c (a use if held). Returns 1 when it was inserted,
 * 0 when already held (*held) or too large, or a negative error. */
static int offer(replay *rp, tensor_cache *c, const cachesim_tensor *t, int *held)
{
    int64_t before = c->stored_bytes;
    int rc = tcache_offer(c, t->id, t->bytes, ++rp->stamp, &rp->result->evictions, held);
    if (rc < 0)
        return out_of_memory(rp);
    rp->stored += c->stored_bytes - before;
    return rc;
}

static int write_tensor(replay *rp, const cachesim_item *x, const cachesim_tensor *t, int admit,
                        int new_best)
{
    int held, rc;
    if (admit && tier_admits(rp, t->id)) {
        rc = offer(rp, cache_of(rp, x), t, &held);
        if (rc < 0)
            return rc;
        if (rc == 1 || held)
            rp->result->bytes_written += t->bytes;
    }
    for (int64_t c = 0; new_best && c < rp->cache_count; c++) {
        rc = offer(rp, &rp->caches[c], t, &held);
        if (rc < 0)
            return rc;
        if (rc == 1)
            rp->result->bytes_prefetched += t->bytes;
    }
    return EXH_OK;
}

static int is_new_best(replay *rp, double quality)
{
    if (rp->o->policy != EXH_CACHESIM_PREFETCH || (rp->have_best && quality <= rp->best))
        return 0;
    rp->best = quality;
    rp->have_best = 1;
    return 1;
}

static int replay_write(replay *rp, int64_t i)
{
    const cachesim_item *x = &rp->t->items[i];
    if (isnan(x->quality))
        return EXH_OK; /* a failed evaluation has nothing to store */
    int admit = !(rp->o->policy == EXH_CACHESIM_THRESHOLD && rp->o->skip_store &&
                  rp->o->skip_store[i]);
    int new_best = is_new_best(rp, x->quality);
    for (int k = 0; k < x->tensors; k++) {
        cachesim_tensor t = tensor_at(rp, x->first + k);
        int rc = write_tensor(rp, x, &t, admit, new_best);
        if (rc < 0)
            return rc;
    }
    return EXH_OK;
}

/* ---- the run ---- */

static int replay_events(replay *rp)
{
    exh_cachesim_result *out = rp->result;
    int64_t event_count = 2 * rp->t->count;
    const cachesim_event *events = rp->t->events;
    double first = event_count ? time_sort_time(events[0].key) : 0;
    double previous = first, area = 0, sum_after = 0;
    for (int64_t k = 0; k < event_count; k++) {
        const cachesim_event *e = &events[k];
        double time = time_sort_time(e->key);
        area += (double)rp->stored * (time - previous);
        previous = time;
        int64_t i = cachesim_event_record(e);
        int rc = cachesim_event_is_read(e) ? replay_read(rp, i) : replay_write(rp, i);
        if (rc < 0)
            return rc;
        if (rp->stored > out->peak_bytes_stored)
            out->peak_bytes_stored = rp->stored;
        sum_after += (double)rp->stored;
    }
    double span = previous - first;
    if (span > 0)
        out->mean_bytes_stored = area / span;
    else
        out->mean_bytes_stored = event_count ? sum_after / (double)event_count : 0;
    return EXH_OK;
}

int exh_cachesim_trace_run(const exh_cachesim_trace *t, const exh_cachesim_options *o,
                           exh_cachesim_result *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->hit_rate = NAN;
    int rc = check_options(o, err);
    if (rc < 0)
        return rc;
    replay rp = {.t = t, .o = o, .result = out, .err = err};
    rc = setup(&rp);
    if (rc == EXH_OK)
        rc = replay_events(&rp);
    teardown(&rp);
    out->records = t->count;
    out->caches = rp.cache_count;
    out->bytes_moved = out->bytes_read_missed + out->bytes_prefetched;
    if (out->accesses > 0)
        out->hit_rate = (double)out->hits / (double)out->accesses;
    return rc;
}

int exh_cachesim_run(const exh_trace_record *records, int64_t count, const exh_cachesim_options *o,
                     exh_cachesim_result *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->hit_rate = NAN;
    int rc = check_options(o, err);
    if (rc < 0)
        return rc;
    exh_cachesim_trace *t;
    rc = exh_cachesim_trace_prepare(records, count, o->tensor_bytes, o->tensor_context, &t, err);
    if (rc < 0)
        return rc;
    rc = exh_cachesim_trace_run(t, o, out, err);
    exh_cachesim_trace_free(t);
    return rc;
}
