/* analysis_live.c — what a search's trainers measured of the repository
 * (m:repo_* columns) and the replay of the same trace under the live fast
 * tier's settings, side by side (see exh_analysis_live in analysis.h). */
#include "analyze/analysis_live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/cache_policy.h"

static void sum_measured(exh_analysis_live *l, const exh_trace_record *records, int64_t count)
{
    for (int64_t k = 0; k < count; k++) {
        const exh_trace_record *r = &records[k];
        if (r->repo_fast_hits < 0)
            continue; /* the job saved nothing: no figures */
        l->records++;
        l->fast_hits += r->repo_fast_hits;
        l->store_reads += r->repo_store_reads;
        l->read_bytes_fast += r->repo_fast_bytes;
        l->read_bytes_store += r->repo_store_bytes;
        l->write_bytes += r->repo_write_bytes;
        l->errors += r->repo_error != 0;
        l->seconds += isfinite(r->repo_seconds) ? r->repo_seconds : 0;
    }
    int64_t reads = l->fast_hits + l->store_reads;
    l->tensor_bytes = reads > 0 ? (l->read_bytes_fast + l->read_bytes_store) / reads : 1;
    if (l->tensor_bytes < 1)
        l->tensor_bytes = 1;
}

static int64_t space_bytes(const exh_arch *a, int position, void *space)
{
    return exh_space_tensor_bytes(space, a, position);
}

/* The threshold's skips at the live epsilon: joined at or past the cut. */
static unsigned char *skips(const exh_analysis *a, double epsilon)
{
    unsigned char *skip = calloc((size_t)a->count + 1, 1);
    int cut = cache_policy_threshold_rank(a->options.population, a->options.sample, epsilon);
    for (int64_t i = 0; skip && a->parents.join_rank && i < a->count; i++)
        skip[i] = a->parents.join_rank[i] >= cut;
    return skip;
}

int analysis_live_build(exh_analysis *a, exh_error *err)
{
    exh_analysis_live *l = &a->live;
    const exh_analysis_options *o = &a->options;
    memset(l, 0, sizeof *l);
    sum_measured(l, a->records, a->count);
    if (l->records == 0 || !o->live_policy)
        return EXH_OK;
    exh_cachesim_options c;
    exh_cachesim_options_default(&c);
    int rc = exh_cachesim_policy_parse(o->live_policy, &c.policy, err);
    if (rc < 0)
        return rc;
    c.capacity_bytes = o->live_bytes > 0 ? o->live_bytes : 0;
    c.window = o->live_window > 0 ? o->live_window : EXH_CACHESIM_DEFAULT_WINDOW;
    c.tier_donations = o->live_donations >= 0 ? o->live_donations
                                               : EXH_CACHESIM_DEFAULT_TIER_DONATIONS;
    unsigned char *skip = skips(a, isfinite(o->live_epsilon) ? o->live_epsilon : o->epsilon);
    if (!skip)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    c.skip_store = skip;
    c.tensor_bytes = exh_cachesim_uniform_tensor_bytes;
    c.tensor_context = &l->tensor_bytes;
    rc = exh_cachesim_run(a->records, a->count, &c, &l->replay, err);
    l->replayed = rc == EXH_OK;
    if (rc == EXH_OK && o->space && exh_space_has_tensor_bytes(o->space)) {
        c.tensor_bytes = space_bytes;
        c.tensor_context = (void *)o->space;
        rc = exh_cachesim_run(a->records, a->count, &c, &l->replay_space, err);
        l->space_sized = rc == EXH_OK;
    }
    free(skip);
    return rc;
}
