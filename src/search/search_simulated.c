/* search_simulated.c — regularized evolution on a simulated clock.
 *
 * A discrete-event simulation: a heap of running evaluations ordered by end
 * time. When one ends, its child joins the population (the oldest retires)
 * and its worker, now free, is given the next job at that same instant. The
 * evaluation itself is computed when the job is submitted (the table knows
 * the answer at once); only its end is in the future. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/search.h"
#include "search/search_internal.h"

/* The running evaluations, a binary min-heap on (end time, job id): ties
 * end in job order, so the simulation is deterministic. */
static int event_before(const search_event *a, const search_event *b)
{
    return a->end_time < b->end_time || (a->end_time == b->end_time && a->job < b->job);
}

static void heap_push(search_state *s, search_event event)
{
    int64_t i = s->heap_size++;
    while (i > 0 && event_before(&event, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = event;
}

/* The worker whose job ends first, taken off the heap. */
static int heap_pop(search_state *s)
{
    int top = s->heap[0].worker;
    search_event last = s->heap[--s->heap_size];
    int64_t i = 0;
    for (;;) {
        int64_t child = 2 * i + 1;
        if (child >= s->heap_size)
            break;
        if (child + 1 < s->heap_size && event_before(&s->heap[child + 1], &s->heap[child]))
            child++;
        if (!event_before(&s->heap[child], &last))
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    s->heap[i] = last;
    return top;
}

static int submit(search_state *s, int worker, double now, exh_error *err)
{
    exh_trace_record *record = search_running_slot(s, worker);
    int rc = search_propose(s, record, err);
    if (rc < 0)
        return rc;
    search_choose_donor(s, record);
    int64_t job = search_next_job(s);
    record->job_id = job;
    record->worker = worker;
    record->submit_time = record->start_time = now;
    search_dispatched(s, record); /* before its command runs */
    exh_arch arch;
    exh_evaluation_request request = {exh_trace_record_arch(record, &arch), job,
                                      record->donor_id, record->prefix_length};
    exh_evaluation result;
    rc = s->evaluator->evaluate(s->evaluator->state, &request, s->random, &result, err);
    if (rc < 0)
        return rc;
    record->quality = result.status == EXH_EVALUATION_OK ? result.quality : NAN;
    record->cost_seconds = result.cost_seconds;
    record->status = (int)result.status;
    record->end_time = now + (result.cost_seconds > 0 ? result.cost_seconds : 0.0);
    s->quality[job] = record->quality;
    heap_push(s, (search_event){record->end_time, job, worker});
    return EXH_OK;
}

/* A proposal that found nothing new stops the submissions, not the jobs
 * already running: keep its message in `why` and go on finishing them. */
static int keep_running(const search_state *s, int rc, exh_error *why, const exh_error *err)
{
    if (rc >= 0 || !s->exhausted)
        return rc;
    if (err)
        *why = *err;
    else
        why->code = rc;
    return EXH_OK;
}

int exh_search_run_simulated(const exh_space *sp, exh_evaluator *e, const exh_search_options *o,
                             exh_trace_writer *trace, exh_search_result *result, exh_error *err)
{
    int rc = search_validate_options(o, err);
    if (rc < 0)
        return rc;
    search_state s;
    rc = search_state_init(&s, sp, e, o, trace, result, err);
    if (rc < 0)
        return rc;
    double start = search_resume_time(o);
    exh_error why = {0};
    for (int w = 0; rc == 0 && w < o->workers && s.submitted < o->candidates; w++)
        rc = keep_running(&s, submit(&s, w, start, err), &why, err);
    while (rc == 0 && s.heap_size > 0) {
        int worker = heap_pop(&s);
        rc = search_record_finished(&s, &s.running[worker], result, err);
        double now = s.running[worker].end_time; /* before its next job clears the slot */
        int in_budget = o->time_budget_seconds <= 0 || now < o->time_budget_seconds;
        if (rc == 0 && !s.exhausted && s.submitted < o->candidates && in_budget)
            rc = keep_running(&s, submit(&s, worker, now, err), &why, err);
    }
    if (rc == 0 && s.exhausted) { /* every running job is in the trace: now say why */
        if (err)
            *err = why;
        rc = why.code;
    }
    search_state_free(&s);
    return rc;
}
