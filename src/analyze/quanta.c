/* quanta.c — the cost of handing out work in quanta of s free workers:
 * the order-statistic estimate next to a replay of the trace's training
 * times (see locality.h). */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/time_sort.h"
#include "exhaust/locality.h"

#define PI 3.14159265358979323846

double exh_quanta_order_statistic(int r, int w)
{
    return gsl_cdf_ugaussian_Pinv((r - PI / 8) / (w - PI / 4 + 1));
}

/* A min-heap of the running jobs' end times. */
typedef struct running {
    double *end;
    int count;
} running;

static void heap_push(running *h, double end)
{
    int i = h->count++;
    for (; i > 0 && h->end[(i - 1) / 2] > end; i = (i - 1) / 2)
        h->end[i] = h->end[(i - 1) / 2];
    h->end[i] = end;
}

static double heap_pop(running *h)
{
    double top = h->end[0], last = h->end[--h->count];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= h->count)
            break;
        if (child + 1 < h->count && h->end[child + 1] < h->end[child])
            child++;
        if (h->end[child] >= last)
            break;
        h->end[i] = h->end[child];
        i = child;
    }
    h->end[i] = last;
    return top;
}

/* Replay `durations` (in start order) on w workers, handing out work only
 * when min(s, jobs left) workers are free. idle[] holds the free workers'
 * free-since times. */
static void replay(const double *durations, int64_t n, int w, int s, double *idle,
                   running *busy, exh_quanta_row *row)
{
    int idle_count = w;
    for (int k = 0; k < w; k++)
        idle[k] = 0;
    busy->count = 0;
    double now = 0, wait_sum = 0, first_wait_sum = 0, makespan = 0;
    int64_t next = 0, handouts = 0;
    while (next < n) {
        int64_t left = n - next;
        while (idle_count < (left < s ? left : s)) {
            now = heap_pop(busy);
            idle[idle_count++] = now;
        }
        double longest = 0;
        for (; idle_count > 0 && next < n; next++) {
            double waited = now - idle[--idle_count];
            wait_sum += waited;
            longest = waited > longest ? waited : longest;
            double end = now + durations[next];
            makespan = end > makespan ? end : makespan;
            heap_push(busy, end);
        }
        first_wait_sum += longest;
        handouts++;
    }
    row->measured_mean_wait = n ? wait_sum / (double)n : NAN;
    row->measured_first_wait = handouts ? first_wait_sum / (double)handouts : NAN;
    row->makespan = makespan;
}

static void theory(int s, int w, double sigma, exh_quanta_row *row)
{
    double e_s = exh_quanta_order_statistic(s, w), mean = 0;
    for (int r = 1; r <= s; r++)
        mean += exh_quanta_order_statistic(r, w);
    mean /= s;
    row->theory_first_wait = sigma * (e_s - exh_quanta_order_statistic(1, w));
    row->theory_mean_wait = sigma * (e_s - mean);
    row->theory_barrier_saving = sigma * (exh_quanta_order_statistic(w, w) - e_s);
}

/* Training times in start order, and their mean and standard deviation. */
static double *durations_in_start_order(const exh_trace_record *records, int64_t count, int64_t *n,
                                        exh_quanta *out)
{
    const exh_trace_record **order = start_order(records, count);
    double *d = malloc(sizeof *d * (size_t)(count + 1));
    if (!order || !d) {
        free((void *)order);
        free(d);
        return NULL;
    }
    double sum = 0, squares = 0;
    *n = 0;
    for (int64_t i = 0; i < count; i++) {
        double x = exh_trace_run_end(order[i]) - order[i]->start_time;
        if (!isfinite(x))
            continue;
        d[*n] = x > 0 ? x : 0;
        sum += d[*n];
        squares += d[*n] * d[*n];
        (*n)++;
    }
    free((void *)order);
    out->mean_duration = *n ? sum / (double)*n : NAN;
    out->sigma = *n > 1 ? sqrt(fmax(0, (squares - sum * sum / (double)*n) / (double)(*n - 1)))
                        : 0;
    return d;
}

static int distinct_workers(const exh_trace_record *records, int64_t count)
{
    int max = -1;
    for (int64_t i = 0; i < count; i++)
        max = records[i].worker > max ? records[i].worker : max;
    if (max < 0)
        return 1;
    unsigned char *seen = calloc((size_t)max + 1, 1);
    int distinct = 0;
    for (int64_t i = 0; seen && i < count; i++)
        if (records[i].worker >= 0 && !seen[records[i].worker]) {
            seen[records[i].worker] = 1; /* not ++: the byte wrapped after 255 reads,
                                            counting a busy worker again */
            distinct++;
        }
    free(seen);
    return distinct > 0 ? distinct : 1;
}

static int default_quanta(int w, int *list)
{
    int n = 0, step = w > 128 ? 4 : 2; /* at most 8 quanta */
    for (int s = 1; s < w && n < 7; s *= step)
        list[n++] = s;
    list[n++] = w;
    return n;
}

int exh_quanta_build(const exh_trace_record *records, int64_t count, int workers,
                     const int *quanta_list, int quanta_count, exh_quanta *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->workers = workers > 0 ? workers : distinct_workers(records, count);
    int defaults[16];
    if (!quanta_list) {
        quanta_count = default_quanta(out->workers, defaults);
        quanta_list = defaults;
    }
    for (int k = 0; k < quanta_count; k++)
        if (quanta_list[k] < 1 || quanta_list[k] > out->workers)
            return exh_error_set(err, EXH_ERR_INVALID, "quantum %d: must be 1 to %d (the workers)",
                                 quanta_list[k], out->workers);
    int64_t n = 0;
    double *durations = durations_in_start_order(records, count, &n, out);
    double *idle = malloc(sizeof *idle * (size_t)out->workers);
    running busy = {malloc(sizeof(double) * (size_t)out->workers), 0};
    out->rows = calloc((size_t)quanta_count, sizeof *out->rows);
    if (!durations || !idle || !busy.end || !out->rows) {
        free(durations);
        free(idle);
        free(busy.end);
        exh_quanta_free(out);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < quanta_count; k++) {
        exh_quanta_row *row = &out->rows[out->row_count++];
        row->quantum = quanta_list[k];
        theory(row->quantum, out->workers, out->sigma, row);
        replay(durations, n, out->workers, row->quantum, idle, &busy, row);
    }
    free(durations);
    free(idle);
    free(busy.end);
    return EXH_OK;
}

void exh_quanta_free(exh_quanta *q)
{
    free(q->rows);
    memset(q, 0, sizeof *q);
}
