/* search_threads.c — regularized evolution with real worker threads.
 *
 * Each worker loops: take the lock, propose the next job, let go; evaluate
 * (the long part, in parallel); take the lock again to append the result to
 * the trace and the population. All population updates happen under one
 * mutex, so they are atomic. Times are wall seconds since the search began. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search/search_internal.h"

typedef struct thread_search {
    search_state state;
    pthread_mutex_t lock;
    exh_search_result *result;
    double start;
    int failed;           /* set when a worker hit an error that stops the search */
    exh_error error;
    int64_t finished;
} thread_search;

typedef struct worker_context {
    thread_search *search;
    int worker;
    exh_rng *random;          /* the evaluator's stream for this worker */
} worker_context;

static double wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int stop_submitting(const thread_search *t)
{
    const exh_search_options *o = t->state.options;
    int out_of_time = o->time_budget_seconds > 0 &&
                      wall_seconds() - t->start >= o->time_budget_seconds;
    return t->failed || t->state.submitted >= o->candidates || out_of_time;
}

/* Under the lock: the next job, or -1 when the search is done. */
static int64_t take_job(thread_search *t, int worker)
{
    search_state *s = &t->state;
    if (stop_submitting(t))
        return -1;
    exh_trace_record *record = search_running_slot(s, worker);
    if (search_propose(s, record, &t->error) < 0) {
        t->failed = 1;
        return -1;
    }
    search_choose_donor(s, record);
    int64_t job = search_next_job(s);
    record->job_id = job;
    record->worker = worker;
    record->submit_time = record->start_time = wall_seconds() - t->start;
    search_dispatched(s, record); /* before its command runs */
    return job;
}

/* Under the lock: record a finished job. */
static void finish_job(thread_search *t, int worker, const exh_evaluation *result)
{
    search_state *s = &t->state;
    exh_trace_record *record = &s->running[worker];
    int64_t job = record->job_id;
    record->end_time = wall_seconds() - t->start;
    record->quality = result->status == EXH_EVALUATION_OK ? result->quality : NAN;
    record->cost_seconds = result->cost_seconds;
    record->status = (int)result->status;
    s->quality[job] = record->quality;
    int rc = search_record_finished(s, record, t->result, &t->error);
    if (rc < 0)
        t->failed = 1;
}

static void *worker_main(void *argument)
{
    worker_context *w = argument;
    thread_search *t = w->search;
    for (;;) {
        pthread_mutex_lock(&t->lock);
        int64_t job = take_job(t, w->worker);
        exh_evaluation_request request;
        exh_arch arch; /* the evaluator reads a whole exh_arch */
        if (job >= 0) {
            const exh_trace_record *record = &t->state.running[w->worker];
            request = (exh_evaluation_request){exh_trace_record_arch(record, &arch), job,
                                               record->donor_id, record->prefix_length};
        }
        pthread_mutex_unlock(&t->lock);
        if (job < 0)
            break;
        exh_evaluation result;
        exh_error err;
        int rc = t->state.evaluator->evaluate(t->state.evaluator->state, &request, w->random,
                                              &result, &err);
        pthread_mutex_lock(&t->lock);
        if (rc < 0) {
            t->failed = 1;
            t->error = err;
        } else {
            finish_job(t, w->worker, &result);
        }
        pthread_mutex_unlock(&t->lock);
    }
    return NULL;
}

int exh_search_run_threads(const exh_space *sp, exh_evaluator *e, const exh_search_options *o,
                           exh_trace_writer *trace, exh_search_result *result, exh_error *err)
{
    int rc = search_validate_options(o, err);
    if (rc < 0)
        return rc;
    thread_search *t = calloc(1, sizeof *t);
    worker_context *workers = calloc((size_t)o->workers, sizeof *workers);
    pthread_t *threads = calloc((size_t)o->workers, sizeof *threads);
    if (!t || !workers || !threads) {
        free(t);
        free(workers);
        free(threads);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for %d workers", o->workers);
    }
    rc = search_state_init(&t->state, sp, e, o, trace, result, err);
    t->result = result;
    pthread_mutex_init(&t->lock, NULL);
    t->start = wall_seconds() - search_resume_time(o); /* resumed times go on */
    int started = 0;
    for (int w = 0; rc == 0 && w < o->workers; w++) {
        workers[w] = (worker_context){t, w, exh_rng_new(o->seed * 1000003u + (uint64_t)w + 1)};
        if (!workers[w].random || pthread_create(&threads[w], NULL, worker_main, &workers[w]))
            rc = exh_error_set(err, EXH_ERR_NOMEM, "cannot start worker %d", w);
        else
            started++;
    }
    if (rc < 0) { /* let the started workers drain */
        pthread_mutex_lock(&t->lock);
        t->failed = 1;
        pthread_mutex_unlock(&t->lock);
    }
    for (int w = 0; w < started; w++)
        pthread_join(threads[w], NULL);
    for (int w = 0; w < o->workers; w++)
        exh_rng_free(workers[w].random);
    if (rc == 0 && t->failed) {
        if (err)
            *err = t->error;
        rc = t->error.code ? t->error.code : EXH_ERR_INVALID;
    }
    pthread_mutex_destroy(&t->lock);
    search_state_free(&t->state);
    free(t);
    free(workers);
    free(threads);
    return rc;
}
