/* analyze_infer.c — what a DeepHyper results.csv lacks (start times on the
 * search's clock, workers, parents), inferred in place and accounted for
 * (see analyze_inference in analyze.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analyze.h"

static int out_of_memory(exh_error *err)
{
    return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
}

/* ---- times ---- */

/* DeepHyper's @profile times on the wall clock, submit/gather from the
 * search's start: a start after its end gives it away. */
static void align_clock(exh_trace_record *r, int64_t n, exh_analyze_inference *out)
{
    int misaligned = 0, submits = 1;
    for (int64_t i = 0; i < n; i++) {
        misaligned |= r[i].start_time > r[i].end_time;
        submits &= isfinite(r[i].submit_time);
    }
    if (!misaligned)
        return;
    double offset = INFINITY;
    for (int64_t i = 0; i < n; i++) {
        /* the job that waited least is taken to have waited 0; without
         * submit times, the one that ran longest-after-its-end is made to
         * end when it starts (no record ends before it starts) */
        double d = submits ? r[i].start_time - r[i].submit_time : r[i].start_time - r[i].end_time;
        if (submits ? d < offset : (offset == INFINITY || d > offset))
            offset = d;
    }
    for (int64_t i = 0; i < n; i++) {
        double start = r[i].start_time - offset;
        if (submits && start < r[i].submit_time)
            start = r[i].submit_time;
        r[i].start_time = start > r[i].end_time ? r[i].end_time : start;
        /* m:timestamp_end is on the wall clock too: the same shift, kept
         * between the (moved) start and the gather */
        double run_end = fmin(fmax(r[i].run_end_time - offset, r[i].start_time), r[i].end_time);
        r[i].run_end_time = r[i].run_end_known ? run_end : r[i].run_end_time;
    }
    out->clock_aligned = 1;
    out->clock_offset = offset;
}

static void fill_starts(exh_trace_record *r, int64_t n, int workers, exh_analyze_inference *out)
{
    int64_t with_start = 0;
    for (int64_t i = 0; i < n; i++)
        with_start += isfinite(r[i].start_time);
    if (out->times == EXH_ANALYZE_TIMES_ORDER || with_start == n || with_start > 0) {
        for (int64_t i = 0; i < n; i++) /* a record without one starts when it ends */
            if (!isfinite(r[i].start_time))
                r[i].start_time = r[i].end_time;
        if (out->times != EXH_ANALYZE_TIMES_ORDER)
            align_clock(r, n, out);
        return;
    }
    if (workers > 0) { /* one submission per completion: i starts when i-W ends */
        out->times = EXH_ANALYZE_TIMES_INFERRED;
        for (int64_t i = 0; i < n; i++)
            r[i].start_time = i >= workers ? r[i - workers].end_time : 0.0;
        return;
    }
    out->times = EXH_ANALYZE_TIMES_END_ONLY;
    for (int64_t i = 0; i < n; i++)
        r[i].start_time = r[i].end_time;
}

/* ---- workers ---- */

typedef struct event {
    double time;
    int kind;                  /* 0 end, 1 start, 2 end of a zero-length record */
    int64_t record;
} event;

static int compare_events(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return (x->record > y->record) - (x->record < y->record);
}

/* The most intervals open at once; each start takes the worker freed last. */
static int estimate_workers(exh_trace_record *r, int64_t n, exh_analyze_inference *out,
                            exh_error *err)
{
    event *events = malloc(sizeof *events * (size_t)(2 * n + 1));
    int *free_workers = malloc(sizeof *free_workers * (size_t)(n + 1));
    if (!events || !free_workers) {
        free(events);
        free(free_workers);
        return out_of_memory(err);
    }
    double busy = 0, first = INFINITY, last = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double end = exh_trace_run_end(&r[i]);
        int zero = !(end > r[i].start_time);
        events[2 * i] = (event){r[i].start_time, 1, i};
        events[2 * i + 1] = (event){end, zero ? 2 : 0, i};
        busy += end - r[i].start_time;
        first = r[i].start_time < first ? r[i].start_time : first;
        last = end > last ? end : last;
    }
    qsort(events, (size_t)(2 * n), sizeof *events, compare_events);
    int free_count = 0, created = 0, running = 0, most = 0;
    for (int64_t e = 0; e < 2 * n; e++) {
        exh_trace_record *x = &r[events[e].record];
        if (events[e].kind == 1) {
            x->worker = free_count > 0 ? free_workers[--free_count] : created++;
            most = ++running > most ? running : most;
        } else {
            free_workers[free_count++] = x->worker;
            running--;
        }
    }
    free(events);
    free(free_workers);
    out->workers = most;
    out->workers_source = EXH_ANALYZE_WORKERS_OVERLAP;
    out->mean_concurrency = last > first ? busy / (last - first) : NAN;
    return EXH_OK;
}

static int find_workers(exh_trace_record *r, int64_t n, int workers, exh_analyze_inference *out,
                        exh_error *err)
{
    int logged = 0;
    for (int64_t i = 0; i < n && !logged; i++)
        logged = r[i].worker >= 0;
    if (logged) { /* distinct ids, one pass (worker ids are small, dense numbers) */
        int most = 0;
        for (int64_t i = 0; i < n; i++)
            most = r[i].worker > most ? r[i].worker : most;
        unsigned char *seen = calloc((size_t)most + 1, 1);
        if (!seen)
            return out_of_memory(err);
        int distinct = 0;
        for (int64_t i = 0; i < n; i++)
            if (r[i].worker >= 0 && !seen[r[i].worker]) {
                seen[r[i].worker] = 1; /* not ++: a byte would wrap after 255 */
                distinct++;
            }
        free(seen);
        out->workers = distinct;
        out->workers_source = EXH_ANALYZE_WORKERS_LOGGED;
        return EXH_OK;
    }
    if (out->times == EXH_ANALYZE_TIMES_INFERRED) {
        for (int64_t i = 0; i < n; i++)
            r[i].worker = i < workers ? (int)i : r[i - workers].worker;
        out->workers = workers;
        out->workers_source = EXH_ANALYZE_WORKERS_OPTION;
        return EXH_OK;
    }
    double busy = 0;
    for (int64_t i = 0; i < n; i++)
        busy += exh_trace_run_end(&r[i]) - r[i].start_time;
    if (out->times != EXH_ANALYZE_TIMES_LOGGED || !(busy > 0)) {
        out->workers = workers > 0 ? workers : 0;
        out->workers_source =
            workers > 0 ? EXH_ANALYZE_WORKERS_OPTION : EXH_ANALYZE_WORKERS_UNKNOWN;
        return EXH_OK;
    }
    return estimate_workers(r, n, out, err);
}

/* ---- parents ---- */

/* The one position where a and b differ, or -1 (equal, or more than one). */
static int one_mutation(const exh_trace_record *a, const exh_trace_record *b)
{
    if (a->arch_length != b->arch_length)
        return -1;
    int position = -1;
    for (int k = 0; k < a->arch_length; k++)
        if (a->arch_token[k] != b->arch_token[k]) {
            if (position >= 0)
                return -1;
            position = k;
        }
    return position;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Records j < i that ended by `time` (ends go up in trace order). */
static int64_t ended_by(const exh_trace_record *r, int64_t i, double time)
{
    int64_t lo = 0, hi = i;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (r[mid].end_time <= time)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double rank_quality(double q)
{
    return isnan(q) ? -INFINITY : q; /* a failed model wins no tournament */
}

static void infer_parent(exh_trace_record *r, int64_t i, int population, exh_analyze_inference *out)
{
    int64_t known = ended_by(r, i, r[i].start_time);
    /* Inferred starts: record i was submitted when record i-W ended, so it
     * knew exactly records 0..i-W, even when later ones ended in the same
     * (1 s) tick. */
    if (out->times == EXH_ANALYZE_TIMES_INFERRED)
        known = i >= out->workers ? i - out->workers + 1 : 0;
    int64_t best = -1;
    int best_position = -1, candidates = 0;
    for (int64_t j = known > population ? known - population : 0; j < known; j++) {
        int position = one_mutation(&r[j], &r[i]);
        if (position < 0)
            continue;
        candidates++;
        if (best < 0 || rank_quality(r[j].quality) >= rank_quality(r[best].quality)) {
            best = j;
            best_position = position;
        }
    }
    if (best < 0) {
        if (known < population)
            out->random_records++; /* the population was still being filled */
        else
            out->no_candidate++;
        return;
    }
    out->children++;
    out->ties += candidates > 1;
    r[i].parent_id = r[i].donor_id = r[best].job_id;
    r[i].mutated_position = best_position;
    r[i].prefix_length = best_position; /* the positions before the mutated one */
}

static int infer_parents(exh_trace_record *r, int64_t n, int population, exh_analyze_inference *out,
                         exh_error *err)
{
    for (int64_t i = 0; i < n; i++)
        if (r[i].parent_id >= 0 || r[i].donor_id >= 0 || r[i].donor_run_id >= 0)
            return EXH_OK; /* the trace names them */
    if (population < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "inferring parents needs a population >= 1");
    int64_t *ids = malloc(sizeof *ids * (size_t)(n + 1));
    if (!ids)
        return out_of_memory(err);
    for (int64_t i = 0; i < n; i++)
        ids[i] = r[i].job_id;
    qsort(ids, (size_t)n, sizeof *ids, compare_ids);
    int64_t last_random = ids[(population < n ? population : n) - 1];
    free(ids);
    out->parents_inferred = 1;
    for (int64_t i = 0; i < n; i++) {
        if (r[i].job_id <= last_random)
            out->random_records++;
        else
            infer_parent(r, i, population, out);
    }
    return EXH_OK;
}

int exh_analyze_infer(exh_trace_record *records, int64_t count, int population, int workers,
                      exh_analyze_inference *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->population = population;
    out->mean_concurrency = NAN;
    if (count < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "the trace has no records");
    /* No end times: the order clock (0, 1, 2, ...), as analyze_fill_times;
     * starts are left to fill_starts, which must see which are missing. */
    out->times = EXH_ANALYZE_TIMES_LOGGED;
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(records[i].end_time))
            out->times = EXH_ANALYZE_TIMES_ORDER;
    for (int64_t i = 0; out->times == EXH_ANALYZE_TIMES_ORDER && i < count; i++)
        records[i].end_time = (double)i;
    fill_starts(records, count, workers, out);
    /* run ends are on the trace's clock only when its starts are */
    for (int64_t i = 0; i < count; i++) {
        records[i].run_end_known &= out->times == EXH_ANALYZE_TIMES_LOGGED;
        out->run_ends += records[i].run_end_known;
    }
    int rc = find_workers(records, count, workers, out, err);
    return rc < 0 ? rc : infer_parents(records, count, population, out, err);
}
