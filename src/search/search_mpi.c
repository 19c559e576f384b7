/* search_mpi.c — regularized evolution past one machine, with Open MPI.
 *
 * Rank 0 holds the population and the trace; ranks 1..K-1 evaluate. A worker
 * says it is ready, then loops: receive a job (architecture, donor, prefix),
 * evaluate it, send the result back, which is also its request for more.
 * Rank 0 records each result (population, donors, trace) and answers with
 * the next job, or with "stop" once N jobs are out. Times are wall seconds
 * since the search began, on rank 0's clock. */
#include <math.h>
#include <string.h>

#include "search/search_internal.h"

#ifdef EXHAUST_WITH_MPI
#include <mpi.h>

enum { TAG_RESULT = 1, TAG_JOB = 2, TAG_STOP = 3 };

typedef struct mpi_job {
    int64_t job_id, donor_id;
    int32_t prefix_length, length;
    int32_t token[EXH_ARCH_MAX_TOKENS];
} mpi_job;

typedef struct mpi_result {
    int64_t job_id;        /* -1: "ready", no result yet */
    double quality, cost_seconds;
    int32_t status;
} mpi_result;

int exh_search_mpi_rank(void)
{
    int initialized, rank;
    MPI_Initialized(&initialized);
    if (!initialized)
        MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

void exh_search_mpi_finalize(void)
{
    int finalized;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

static void worker_loop(exh_evaluator *e, const exh_search_options *o, int rank)
{
    exh_rng *r = exh_rng_new(o->seed * 1000003u + (uint64_t)rank);
    mpi_result result = {.job_id = -1};
    mpi_job job;
    for (;;) {
        MPI_Send(&result, (int)sizeof result, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        MPI_Status status;
        MPI_Recv(&job, (int)sizeof job, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
        if (status.MPI_TAG == TAG_STOP)
            break;
        exh_arch a = {.length = job.length};
        memcpy(a.token, job.token, sizeof a.token[0] * (size_t)job.length);
        exh_evaluation_request request = {&a, job.job_id, job.donor_id, job.prefix_length};
        exh_evaluation out;
        exh_error err;
        if (e->evaluate(e->state, &request, r, &out, &err) < 0)
            out = (exh_evaluation){NAN, 0.0, EXH_EVALUATION_FAILED};
        result = (mpi_result){job.job_id, out.quality, out.cost_seconds, (int32_t)out.status};
    }
    exh_rng_free(r);
}

/* Rank 0: record a result, then answer its sender. Returns 1 when the
 * sender was told to stop. */
static int serve(search_state *s, const mpi_result *result, int source, double start,
                 exh_search_result *summary, exh_error *err, int *rc)
{
    if (result->job_id >= 0 && *rc == 0) {
        exh_trace_record *record = &s->running[source]; /* its job is result->job_id */
        record->end_time = MPI_Wtime() - start;
        record->status = result->status;
        record->quality = result->status == EXH_EVALUATION_OK ? result->quality : NAN;
        record->cost_seconds = result->cost_seconds;
        s->quality[result->job_id] = record->quality;
        *rc = search_record_finished(s, record, summary, err);
    }
    const exh_search_options *o = s->options;
    int out_of_time = o->time_budget_seconds > 0 &&
                      MPI_Wtime() - start >= o->time_budget_seconds;
    if (*rc < 0 || s->submitted >= o->candidates || out_of_time) {
        MPI_Send(NULL, 0, MPI_BYTE, source, TAG_STOP, MPI_COMM_WORLD);
        return 1;
    }
    exh_trace_record *record = search_running_slot(s, source);
    if ((*rc = search_propose(s, record, err)) < 0) {
        MPI_Send(NULL, 0, MPI_BYTE, source, TAG_STOP, MPI_COMM_WORLD);
        return 1;
    }
    search_choose_donor(s, record);
    int64_t id = search_next_job(s);
    record->job_id = id;
    record->worker = source;
    record->submit_time = record->start_time = MPI_Wtime() - start;
    search_dispatched(s, record); /* before its command runs */
    mpi_job job = {id, record->donor_id, record->prefix_length, record->arch_length, {0}};
    memcpy(job.token, record->arch_token, sizeof job.token[0] * (size_t)record->arch_length);
    MPI_Send(&job, (int)sizeof job, MPI_BYTE, source, TAG_JOB, MPI_COMM_WORLD);
    return 0;
}

int exh_search_run_mpi(const exh_space *sp, exh_evaluator *e, const exh_search_options *o, exh_trace_writer *trace,
                       exh_search_result *result, exh_error *err)
{
    int rank = exh_search_mpi_rank(), size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "an MPI search needs at least 2 ranks (rank 0 coordinates)");
    exh_search_options workers = *o;
    workers.workers = size - 1;
    int rc = search_validate_options(&workers, err);
    if (rc < 0)
        return rc;
    if (rank != 0) {
        worker_loop(e, o, rank);
        search_result_init(result);
        return EXH_OK;
    }
    search_state s;
    rc = search_state_init(&s, sp, e, &workers, trace, result, err);
    if (rc < 0) { /* still answer every worker, with "stop", so all ranks end */
        for (int w = 1; w < size; w++) {
            mpi_result message;
            MPI_Status status;
            MPI_Recv(&message, (int)sizeof message, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT,
                     MPI_COMM_WORLD, &status);
            MPI_Send(NULL, 0, MPI_BYTE, status.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
        }
        return rc;
    }
    double start = MPI_Wtime() - search_resume_time(o);
    for (int active = size - 1; active > 0;) {
        mpi_result message;
        MPI_Status status;
        MPI_Recv(&message, (int)sizeof message, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT,
                 MPI_COMM_WORLD, &status);
        active -= serve(&s, &message, status.MPI_SOURCE, start, result, err, &rc);
    }
    search_state_free(&s);
    return rc;
}

#else

int exh_search_mpi_rank(void)
{
    return -1;
}

void exh_search_mpi_finalize(void)
{
}

int exh_search_run_mpi(const exh_space *sp, exh_evaluator *e, const exh_search_options *o, exh_trace_writer *trace,
                       exh_search_result *result, exh_error *err)
{
    (void)sp;
    (void)e;
    (void)o;
    (void)trace;
    (void)result;
    return exh_error_set(err, EXH_ERR_INVALID, "this exhaust was built without MPI "
                                           "(install libopenmpi-dev and rebuild)");
}

#endif
