/* eval_pool.c — independent jobs of the evaluation protocol (the LSTM
 * trainings of each split) on several threads.
 *
 * Each job owns its output slot and its seeded generator, so the numbers
 * do not depend on which thread ran it or when; the caller gathers the
 * slots in job order afterwards. BLAS stays on one thread for the whole
 * pool: its matrices are small, and OpenBLAS threads under our threads
 * would only spin. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "predict/eval_internal.h"
#include "predict/lstm_internal.h"

typedef struct pool {
    eval_job_fn fn;
    void *context;
    int jobs, next, done;
    int *codes;          /* per job: its return code */
    exh_error *errors;   /* per job: its message */
    const exh_progress *progress;
    int64_t progress_base, progress_total;
    pthread_mutex_t lock;
} pool;

/* Claim jobs until none is left; progress is told under the lock, so the
 * callback is never called twice at once and `done` only grows. */
static void *worker(void *argument)
{
    pool *p = argument;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int job = p->next < p->jobs ? p->next++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (job < 0)
            return NULL;
        p->codes[job] = p->fn(p->context, job, &p->errors[job]);
        pthread_mutex_lock(&p->lock);
        p->done++;
        exh_progress_report(p->progress, "splits", p->progress_base + p->done, p->progress_total);
        pthread_mutex_unlock(&p->lock);
    }
}

int eval_threads_default(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > EVAL_MAX_THREADS ? EVAL_MAX_THREADS : (int)cores;
}

int eval_pool_run(int threads, int jobs, eval_job_fn fn, void *context,
                  const exh_progress *progress, int64_t progress_base, int64_t progress_total,
                  exh_error *err)
{
    if (jobs <= 0)
        return EXH_OK;
    if (threads <= 0)
        threads = eval_threads_default();
    if (threads > jobs)
        threads = jobs;
    pool p = {fn, context, jobs, 0, 0, calloc((size_t)jobs, sizeof(int)),
              calloc((size_t)jobs, sizeof(exh_error)), progress, progress_base, progress_total,
              PTHREAD_MUTEX_INITIALIZER};
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!p.codes || !p.errors || !ids) {
        free(p.codes);
        free(p.errors);
        free(ids);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    lstm_blas_single_enter();
    int started = 0; /* this thread is worker 0; a thread that fails to start is not needed */
    while (started + 1 < threads && pthread_create(&ids[started], NULL, worker, &p) == 0)
        started++;
    worker(&p);
    for (int t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    lstm_blas_single_leave();
    int rc = EXH_OK;
    for (int job = 0; job < jobs && rc == EXH_OK; job++) /* the first failure in job order */
        if (p.codes[job] < 0) {
            rc = p.codes[job];
            if (err)
                *err = p.errors[job];
        }
    pthread_mutex_destroy(&p.lock);
    free(p.codes);
    free(p.errors);
    free(ids);
    return rc;
}
