/* analysis.c — every analysis of a trace, in one call (see analysis.h). The
 * cache replays are independent, so they share the machine's cores. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/analysis.h"

#include "analyze/analysis_live.h"

void exh_analysis_options_default(exh_analysis_options *o)
{
    memset(o, 0, sizeof *o);
    o->population = 100;
    o->sample = 5;
    o->epsilon = 0.01;
    o->min_share = EXH_ANALYZE_DEFAULT_MIN_SHARE;
    o->threads = 2;
    exh_popularity_options_default(&o->popularity);
    exh_locality_options_default(&o->locality);
    o->cache_window = EXH_CACHESIM_DEFAULT_WINDOW;
    o->cache_donations = EXH_CACHESIM_DEFAULT_TIER_DONATIONS;
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

/* The cache replays (policies x scopes x capacities) are independent: the
 * first helper thread prepares the events, and the helpers replay while the
 * calling thread runs the other analyses, then joins in. Rows are handed
 * out one at a time, so all finish together. */
typedef struct cache_queue {
    pthread_mutex_t lock;
    pthread_cond_t prepared_signal;
    exh_analysis *a;
    const unsigned char *skip;
    exh_cachesim_trace *trace;
    int preparing;             /* a thread has taken the preparation */
    int prepared;              /* 1: trace ready; -1: preparing failed */
    pthread_t helpers[EXH_ANALYSIS_MAX_THREADS];
    int helper_count;
    int next;
    int rc;                    /* the first error, and its message */
    exh_error err;
} cache_queue;

static void queue_fail(cache_queue *q, int rc, const exh_error *err)
{
    if (q->rc == 0) {
        q->rc = rc;
        q->err = *err;
    }
}

/* Replay rows until none are left (or one failed). */
static void run_rows(cache_queue *q)
{
    for (;;) {
        pthread_mutex_lock(&q->lock);
        int i = q->rc == 0 && q->next < q->a->cache_rows ? q->next++ : -1;
        pthread_mutex_unlock(&q->lock);
        if (i < 0)
            return;
        exh_analysis_cache_row *row = &q->a->cache[i];
        exh_cachesim_options o;
        exh_cachesim_options_default(&o);
        o.policy = row->policy;
        o.scope = row->scope;
        o.capacity_bytes = row->capacity_bytes;
        o.window = q->a->options.cache_window;
        o.tier_donations = q->a->options.cache_donations;
        o.skip_store = q->skip;
        exh_error err;
        int rc = exh_cachesim_trace_run(q->trace, &o, &row->result, &err);
        if (rc < 0) {
            pthread_mutex_lock(&q->lock);
            queue_fail(q, rc, &err);
            pthread_mutex_unlock(&q->lock);
        }
    }
}

/* Tensor sizes from the space's table. */
static int64_t space_tensor_bytes(const exh_arch *a, int position, void *space)
{
    return exh_space_tensor_bytes(space, a, position);
}

/* Events and tensor sizes once (the space's, else 1 byte a tensor); every
 * row replays the same events. */
static void prepare_rows(cache_queue *q)
{
    const exh_analysis_options *o = &q->a->options;
    int sized = o->space && exh_space_has_tensor_bytes(o->space);
    exh_error err;
    int rc = exh_cachesim_trace_prepare(q->a->records, q->a->count,
                                        sized ? space_tensor_bytes : NULL, (void *)o->space,
                                        &q->trace, &err);
    pthread_mutex_lock(&q->lock);
    if (rc < 0)
        queue_fail(q, rc, &err);
    q->prepared = rc < 0 ? -1 : 1;
    pthread_cond_broadcast(&q->prepared_signal);
    pthread_mutex_unlock(&q->lock);
}

/* The first thread here prepares the events; the others wait for them. */
static void prepare_or_wait(cache_queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (!q->preparing) {
        q->preparing = 1;
        pthread_mutex_unlock(&q->lock);
        prepare_rows(q);
        return;
    }
    while (!q->prepared)
        pthread_cond_wait(&q->prepared_signal, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

static void *cache_helper(void *argument)
{
    cache_queue *q = argument;
    prepare_or_wait(q);
    if (q->prepared > 0)
        run_rows(q);
    return NULL;
}

/* "Never transferred, do not store": models that joined at a rank whose
 * parent estimate is below epsilon. */
static unsigned char *skip_flags(const exh_analysis *a)
{
    unsigned char *skip = calloc((size_t)a->count + 1, 1);
    for (int64_t i = 0; skip && i < a->count; i++)
        skip[i] = a->parents.join_rank[i] >= a->parents.threshold_rank;
    return skip;
}

/* threads - 1 helpers replay while this thread runs the other analyses. */
static int start_caches(exh_analysis *a, cache_queue *q, exh_error *err)
{
    const exh_analysis_options *o = &a->options;
    memset(q, 0, sizeof *q);
    a->cache_rows = o->cache_capacities * EXH_CACHESIM_SCOPE_COUNT * EXH_CACHESIM_POLICY_COUNT;
    a->cache = calloc((size_t)a->cache_rows + 1, sizeof *a->cache);
    q->a = a;
    q->skip = skip_flags(a);
    if (!a->cache || !q->skip) {
        free((void *)q->skip);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    int i = 0;
    for (int c = 0; c < o->cache_capacities; c++)
        for (int s = 0; s < EXH_CACHESIM_SCOPE_COUNT; s++)
            for (int p = 0; p < EXH_CACHESIM_POLICY_COUNT; p++, i++)
                a->cache[i] = (exh_analysis_cache_row){p, s, o->cache_bytes[c], {0}};
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->prepared_signal, NULL);
    int helpers =
        o->threads - 1 < EXH_ANALYSIS_MAX_THREADS ? o->threads - 1 : EXH_ANALYSIS_MAX_THREADS;
    while (q->helper_count < helpers &&
           pthread_create(&q->helpers[q->helper_count], NULL, cache_helper, q) == 0)
        q->helper_count++;
    if (q->helper_count == 0)
        prepare_or_wait(q); /* no helper: all of it on this thread, later */
    return EXH_OK;
}

/* Join the replays once the events are prepared, wait for the helper. */
static int finish_caches(cache_queue *q, exh_error *err)
{
    prepare_or_wait(q);
    if (q->prepared > 0)
        run_rows(q);
    for (int i = 0; i < q->helper_count; i++)
        pthread_join(q->helpers[i], NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->prepared_signal);
    exh_cachesim_trace_free(q->trace);
    free((void *)q->skip);
    if (q->rc < 0 && err)
        *err = q->err;
    return q->rc;
}

/* ---- all of it ---- */

/* N_L, the number of length-L prefixes, for the birthday bound: the product
 * of the first L positions' choice counts (after `example`'s prefix, for
 * spaces whose choices depend on it); 0 when it overflows or is unknown. */
static int64_t prefix_space_size(const exh_space *s, const exh_arch *example, int L)
{
    int64_t size = 1;
    for (int k = 0; k < L && k < example->length; k++) {
        int arity = exh_space_arity(s, example, k);
        if (arity < 1 || size > INT64_MAX / arity)
            return 0;
        size *= arity;
    }
    return size;
}

const char *exh_analysis_part_name(int part)
{
    static const char *const names[EXH_ANALYSIS_PARTS] = {
        "structure", "locality and quanta", "quality and parents", "popularity",
        "caches (beside the others, from the start)"};
    return part >= 0 && part < EXH_ANALYSIS_PARTS ? names[part] : "?";
}

int exh_analysis_run(const exh_trace_record *records, int64_t count, const exh_analysis_options *o,
                     exh_analysis *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->options = *o;
    out->records = records;
    out->count = count;
    if (o->cache_capacities < 0 || o->cache_capacities > EXH_ANALYSIS_MAX_CAPACITIES)
        return exh_error_set(err, EXH_ERR_INVALID, "at most %d cache capacities",
                             EXH_ANALYSIS_MAX_CAPACITIES);
    out->options.popularity.population = o->population;
    out->options.popularity.sample = o->sample;
    if (o->inference.parents_inferred) /* stage 1 is the first P, not "no parent found" */
        out->options.popularity.stage1_first = o->population;
    exh_arch first;
    if (o->space && out->options.popularity.space_size <= 0 && count > 0)
        out->options.popularity.space_size =
            prefix_space_size(o->space, exh_trace_record_arch(&records[0], &first),
                              o->popularity.prefix_length);
    double t = seconds_now();
    int rc = exh_analyze_quality_build(records, count, &out->quality, err);
    if (rc == 0)
        rc = exh_analyze_parents_build(records, count, o->population, o->sample, o->epsilon,
                                       &out->parents, err);
    if (rc == 0)
        rc = analysis_live_build(out, err);
    out->seconds[EXH_ANALYSIS_QUALITY] = seconds_now() - t;
    const exh_progress *progress = &o->progress;
    exh_progress_report(progress, "parts", 1, EXH_ANALYSIS_PARTS);
    /* The caches need the parents' ranks (threshold policy); the rest runs
     * beside them. */
    double caches_start = seconds_now();
    cache_queue queue;
    int caches_started = 0;
    if (rc == 0) {
        rc = start_caches(out, &queue, err);
        caches_started = rc == 0;
    }
    t = seconds_now();
    if (rc == 0)
        rc = exh_analyze_structure_build_weighted(records, count, o->mutation_exponent,
                                                  &out->structure, err);
    out->seconds[EXH_ANALYSIS_STRUCTURE] = seconds_now() - t;
    exh_progress_report(progress, "parts", 2, EXH_ANALYSIS_PARTS);
    t = seconds_now();
    if (rc == 0)
        rc = exh_locality_build(records, count, &out->options.locality, &out->locality, err);
    /* Without durations (end times only, no --workers) there is nothing to
     * replay: no quanta, and the report says why. */
    int durations = o->inference.times == EXH_ANALYZE_TIMES_LOGGED ||
                    o->inference.times == EXH_ANALYZE_TIMES_INFERRED;
    int workers = o->workers > 0 ? o->workers : o->inference.workers;
    if (rc == 0 && durations)
        rc = exh_quanta_build(records, count, workers, NULL, 0, &out->quanta, err);
    out->seconds[EXH_ANALYSIS_LOCALITY] = seconds_now() - t;
    exh_progress_report(progress, "parts", 3, EXH_ANALYSIS_PARTS);
    t = seconds_now();
    if (rc == 0)
        rc = exh_popularity_build(records, count, &out->options.popularity, &out->popularity, err);
    out->seconds[EXH_ANALYSIS_POPULARITY] = seconds_now() - t;
    exh_progress_report(progress, "parts", 4, EXH_ANALYSIS_PARTS);
    if (caches_started) {
        exh_error cache_err;
        int cache_rc = finish_caches(&queue, &cache_err);
        if (rc == 0 && cache_rc < 0) {
            rc = cache_rc;
            if (err)
                *err = cache_err;
        }
    }
    out->seconds[EXH_ANALYSIS_CACHES] = seconds_now() - caches_start;
    exh_progress_report(progress, "parts", EXH_ANALYSIS_PARTS, EXH_ANALYSIS_PARTS);
    if (rc < 0)
        exh_analysis_free(out);
    return rc;
}

void exh_analysis_free(exh_analysis *a)
{
    exh_analyze_structure_free(&a->structure);
    exh_analyze_quality_free(&a->quality);
    exh_analyze_parents_free(&a->parents);
    exh_popularity_free(&a->popularity);
    exh_locality_free(&a->locality);
    exh_quanta_free(&a->quanta);
    free(a->cache);
    memset(a, 0, sizeof *a);
}
