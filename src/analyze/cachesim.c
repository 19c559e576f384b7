/* cachesim.c — replay a trace's tensor reads and writes against caches
 * (see cachesim.h for the model). */
#include "exhaust/cachesim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/cache_policy.h"
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
    cache_policy policy;       /* the caches and the policy (repo/cache_policy.c) */
    int per_worker;
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

static int64_t cache_of(const replay *rp, const cachesim_item *x)
{
    return rp->per_worker ? x->worker : 0;
}

static int setup(replay *rp)
{
    rp->per_worker = rp->o->scope == EXH_CACHESIM_PER_WORKER;
    int64_t caches = rp->per_worker && rp->t->workers > 0 ? rp->t->workers : 1;
    int64_t count = rp->t->count;
    int64_t window = rp->o->window < count ? rp->o->window : count;
    if (cache_policy_init(&rp->policy, rp->o, caches, window, rp->t->distinct, rp->result) < 0 ||
        cache_policy_index_dense(&rp->policy, rp->t->distinct) < 0)
        return out_of_memory(rp);
    return EXH_OK;
}

/* ---- events ---- */

static int replay_read(replay *rp, int64_t i)
{
    const cachesim_item *x = &rp->t->items[i];
    if (cache_policy_read(&rp->policy, cache_of(rp, x), &rp->t->ids[x->first], x->reads,
                          rp->t->sizes) < 0)
        return out_of_memory(rp);
    return EXH_OK;
}

static int replay_write(replay *rp, int64_t i)
{
    const cachesim_item *x = &rp->t->items[i];
    int skip = rp->o->skip_store && rp->o->skip_store[i];
    if (cache_policy_write(&rp->policy, cache_of(rp, x), &rp->t->ids[x->first], x->tensors,
                           rp->t->sizes, x->quality, skip) < 0)
        return out_of_memory(rp);
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
        area += (double)rp->policy.stored * (time - previous);
        previous = time;
        int64_t i = cachesim_event_record(e);
        int rc = cachesim_event_is_read(e) ? replay_read(rp, i) : replay_write(rp, i);
        if (rc < 0)
            return rc;
        if (rp->policy.stored > out->peak_bytes_stored)
            out->peak_bytes_stored = rp->policy.stored;
        sum_after += (double)rp->policy.stored;
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
    out->caches = rp.policy.cache_count;
    cache_policy_free(&rp.policy);
    out->records = t->count;
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
