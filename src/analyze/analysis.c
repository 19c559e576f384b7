/* analysis.c — every analysis of a trace, in one call (see analysis.h). The
 * cache replays are independent, so they share the machine's cores. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/analysis.h"
#include "exhaust/space_nb201.h"

void analysis_options_default(analysis_options *o)
{
    memset(o, 0, sizeof *o);
    o->population = 100;
    o->sample = 5;
    o->epsilon = 0.01;
    o->min_share = ANALYZE_DEFAULT_MIN_SHARE;
    o->threads = 2;
    popularity_options_default(&o->popularity);
    locality_options_default(&o->locality);
    o->cache_window = CACHESIM_DEFAULT_WINDOW;
    o->cache_donations = CACHESIM_DEFAULT_TIER_DONATIONS;
    o->cache_capacities = 3; /* per cache: about 1, 4 and 16 of NB201's 3x3 convolutions */
    o->cache_bytes[0] = 1 << 20;
    o->cache_bytes[1] = 4 << 20;
    o->cache_bytes[2] = 16 << 20;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- caches ---- */

typedef struct cache_job {
    const analysis *a;
    const cachesim_trace *trace;
    const unsigned char *skip;
    int first, step;            /* rows first, first + step, ... */
    int rc;
    exh_error err;
} cache_job;

static void *run_cache_rows(void *argument)
{
    cache_job *job = argument;
    const analysis *a = job->a;
    for (int i = job->first; job->rc == 0 && i < a->cache_rows; i += job->step) {
        analysis_cache_row *row = &a->cache[i];
        cachesim_options o;
        cachesim_options_default(&o);
        o.policy = row->policy;
        o.scope = row->scope;
        o.capacity_bytes = row->capacity_bytes;
        o.window = a->options.cache_window;
        o.tier_donations = a->options.cache_donations;
        o.skip_store = job->skip;
        job->rc = cachesim_trace_run(job->trace, &o, &row->result, &job->err);
    }
    return NULL;
}

/* "Never transferred, do not store": models that joined at a rank whose
 * parent estimate is below epsilon. */
static unsigned char *skip_flags(const analysis *a)
{
    unsigned char *skip = calloc((size_t)a->count + 1, 1);
    for (int64_t i = 0; skip && i < a->count; i++)
        skip[i] = a->parents.join_rank[i] >= a->parents.threshold_rank;
    return skip;
}

static int run_caches(analysis *a, exh_error *err)
{
    const analysis_options *o = &a->options;
    a->cache_rows = o->cache_capacities * CACHESIM_SCOPE_COUNT * CACHESIM_POLICY_COUNT;
    a->cache = calloc((size_t)a->cache_rows + 1, sizeof *a->cache);
    unsigned char *skip = skip_flags(a);
    if (!a->cache || !skip) {
        free(skip);
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    /* Events and tensor sizes once; every policy replays the same events. */
    int nb201 = o->space && strcmp(space_name(o->space), "nb201") == 0;
    cachesim_trace *trace = NULL;
    int rc = cachesim_trace_prepare(a->records, a->count,
                                    nb201 ? cachesim_nb201_tensor_bytes : NULL, NULL, &trace,
                                    err);
    if (rc < 0) {
        free(skip);
        return rc;
    }
    int i = 0;
    for (int c = 0; c < o->cache_capacities; c++)
        for (int s = 0; s < CACHESIM_SCOPE_COUNT; s++)
            for (int p = 0; p < CACHESIM_POLICY_COUNT; p++, i++)
                a->cache[i] = (analysis_cache_row){p, s, o->cache_bytes[c], {0}};
    enum { MAX_THREADS = 16 };
    int threads = o->threads < 1 ? 1 : o->threads > MAX_THREADS ? MAX_THREADS : o->threads;
    cache_job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (cache_job){.a = a, .trace = trace, .skip = skip, .first = t, .step = threads};
        if (t > 0 && pthread_create(&ids[t], NULL, run_cache_rows, &jobs[t]) == 0)
            started = t;
        else if (t > 0) /* no thread: do its share here */
            run_cache_rows(&jobs[t]);
    }
    run_cache_rows(&jobs[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(ids[t], NULL);
    free(skip);
    cachesim_trace_free(trace);
    for (int t = 0; t < threads; t++)
        if (jobs[t].rc < 0) {
            if (err)
                *err = jobs[t].err;
            return jobs[t].rc;
        }
    return EXH_OK;
}

/* ---- all of it ---- */

int analysis_run(const trace_record *records, int64_t count, const analysis_options *o,
                 analysis *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->options = *o;
    out->records = records;
    out->count = count;
    if (o->cache_capacities < 0 || o->cache_capacities > ANALYSIS_MAX_CAPACITIES)
        return error_set(err, EXH_ERR_INVALID, "at most %d cache capacities",
                         ANALYSIS_MAX_CAPACITIES);
    out->options.popularity.population = o->population;
    out->options.popularity.sample = o->sample;
    if (o->space && out->options.popularity.space_size <= 0)
        out->options.popularity.space_size = space_size(o->space) > 0 ? space_size(o->space) : 0;
    double t = seconds_now();
    int rc = analyze_structure_build(records, count, &out->structure, err);
    out->seconds[ANALYSIS_STRUCTURE] = seconds_now() - t;
    t = seconds_now();
    if (rc == 0)
        rc = locality_build(records, count, &out->options.locality, &out->locality, err);
    if (rc == 0)
        rc = quanta_build(records, count, o->workers, NULL, 0, &out->quanta, err);
    out->seconds[ANALYSIS_LOCALITY] = seconds_now() - t;
    t = seconds_now();
    if (rc == 0)
        rc = analyze_quality_build(records, count, &out->quality, err);
    if (rc == 0)
        rc = analyze_parents_build(records, count, o->population, o->sample, o->epsilon,
                                   &out->parents, err);
    out->seconds[ANALYSIS_QUALITY] = seconds_now() - t;
    t = seconds_now();
    if (rc == 0)
        rc = popularity_build(records, count, &out->options.popularity, &out->popularity, err);
    out->seconds[ANALYSIS_POPULARITY] = seconds_now() - t;
    t = seconds_now();
    if (rc == 0)
        rc = run_caches(out, err);
    out->seconds[ANALYSIS_CACHES] = seconds_now() - t;
    if (rc < 0)
        analysis_free(out);
    return rc;
}

void analysis_free(analysis *a)
{
    analyze_structure_free(&a->structure);
    analyze_quality_free(&a->quality);
    analyze_parents_free(&a->parents);
    popularity_free(&a->popularity);
    locality_free(&a->locality);
    quanta_free(&a->quanta);
    free(a->cache);
    memset(a, 0, sizeof *a);
}
