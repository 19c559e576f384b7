/* bench_analyze.c — `exhaust analyze` at scale.
 *
 * Writes a synthetic NB201 regularized-evolution trace (seeded: aging
 * population, tournaments, one-position mutations, asynchronous workers
 * with training times that grow with the cell's convolutions), then times
 * everything `exhaust analyze --space nb201` does — read the trace, every
 * analysis, the CSV/JSON tables, the Graphviz trie, index.html — as the
 * median of several runs:
 *   1. 1,000,000 records on 4096 workers (the target: under 5 s);
 *   2. 100,000 records, next to bench_analyze.py: plain Python doing a
 *      subset of the same work on the same file (trie counts, position and
 *      prefix histograms, popularity windows and tiers, one shared LRU
 *      cache, the quanta replay), and the ratio.
 *
 * usage (from the repository root): build/bench_analyze [RECORDS] [REPEATS]
 *        (default 1000000 3)
 */
#define _DEFAULT_SOURCE /* mallopt, as the CLI sets it */
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_common.h"
#include "exhaust/analysis.h"
#include "exhaust/report_analysis.h"
#include "exhaust/rng.h"

enum { POSITIONS = 6, OPERATIONS = 5, POPULATION = 100, SAMPLE = 5 };

static double synthetic_quality(const exh_arch *a, exh_rng *r)
{
    double q = 70;
    for (int i = 0; i < a->length; i++)
        q += a->token[i] == 3 ? 3.0 : a->token[i] == 2 ? 1.5 : a->token[i] == 0 ? -2.0 : 0.0;
    return q + exh_rng_gaussian(r);
}

static double synthetic_seconds(const exh_arch *a, exh_rng *r)
{
    double s = 600;
    for (int i = 0; i < a->length; i++)
        s += a->token[i] == 3 ? 400.0 : a->token[i] == 2 ? 60.0 : 0.0;
    return s * (0.9 + 0.2 * exh_rng_uniform(r));
}

/* Workers by the time they are free: a binary min-heap of (time, worker). */
typedef struct free_worker {
    double at;
    int worker;
} free_worker;

static void sift_down(free_worker *h, int n, int i)
{
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && (h[c + 1].at < h[c].at ||
                          (h[c + 1].at == h[c].at && h[c + 1].worker < h[c].worker)))
            c++;
        if (h[i].at < h[c].at || (h[i].at == h[c].at && h[i].worker < h[c].worker))
            return;
        free_worker t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

/* Stage 1 random; then the best of S members sampled from the P jobs
 * submitted just before the W still running (an aging population),
 * mutated at one position. Each job starts on the earliest free worker. */
static void generate(exh_trace_record *records, int32_t (*tokens)[POSITIONS], int64_t count,
                     int workers, exh_rng *r)
{
    free_worker *heap = malloc(sizeof *heap * (size_t)workers);
    for (int k = 0; k < workers; k++)
        heap[k] = (free_worker){0, k};
    for (int64_t j = 0; j < count; j++) {
        exh_trace_record *x = &records[j];
        memset(x, 0, sizeof *x);
        int w = heap[0].worker; /* the earliest free */
        x->job_id = j;
        x->worker = w;
        int32_t *token = tokens[j];
        x->arch_length = POSITIONS;
        x->arch_token = token;
        x->parent_id = x->donor_id = x->donor_run_id = -1;
        x->mutated_position = -1;
        int64_t oldest = j - workers - POPULATION;
        if (oldest < 0) {
            for (int i = 0; i < POSITIONS; i++)
                token[i] = (int32_t)exh_rng_below(r, OPERATIONS);
        } else {
            int64_t best = oldest + exh_rng_below(r, POPULATION);
            for (int s = 1; s < SAMPLE; s++) {
                int64_t c = oldest + exh_rng_below(r, POPULATION);
                best = records[c].quality > records[best].quality ? c : best;
            }
            int position = (int)exh_rng_below(r, POSITIONS);
            memcpy(token, tokens[best], sizeof tokens[best]);
            token[position] =
                (token[position] + 1 + (int32_t)exh_rng_below(r, OPERATIONS - 1)) % OPERATIONS;
            x->parent_id = x->donor_id = best;
            x->prefix_length = x->mutated_position = position;
        }
        exh_arch a;
        exh_trace_record_arch(x, &a);
        x->quality = synthetic_quality(&a, r);
        x->submit_time = x->start_time = heap[0].at;
        x->cost_seconds = synthetic_seconds(&a, r);
        x->end_time = heap[0].at = x->start_time + x->cost_seconds;
        sift_down(heap, workers, 0);
    }
    free(heap);
}

static int compare_ends(const void *a, const void *b)
{
    const exh_trace_record *x = *(const exh_trace_record *const *)a;
    const exh_trace_record *y = *(const exh_trace_record *const *)b;
    if (x->end_time != y->end_time)
        return x->end_time < y->end_time ? -1 : 1;
    return (x->job_id > y->job_id) - (x->job_id < y->job_id);
}

static int write_trace(const char *path, int64_t count, int workers)
{
    exh_trace_record *records = malloc(sizeof *records * (size_t)count);
    int32_t (*tokens)[POSITIONS] = malloc(sizeof *tokens * (size_t)count);
    const exh_trace_record **by_end = malloc(sizeof *by_end * (size_t)count);
    exh_rng *r = exh_rng_new(1);
    if (!records || !tokens || !by_end || !r)
        return -1;
    generate(records, tokens, count, workers, r);
    for (int64_t i = 0; i < count; i++)
        by_end[i] = &records[i];
    qsort(by_end, (size_t)count, sizeof *by_end, compare_ends);
    char header[128];
    snprintf(header, sizeof header, "exhaust search: space=nb201 population=%d sample=%d "
                                    "(bench_analyze synthetic)", POPULATION, SAMPLE);
    const char *lines[1] = {header};
    exh_trace_writer *t;
    exh_error err;
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    settings.population = POPULATION;
    settings.sample = SAMPLE;
    settings.lines = lines;
    settings.line_count = 1;
    int rc = exh_trace_open(path, &settings, &t, &err);
    if (rc == 0)
        exh_trace_set_durable(t, 0);
    for (int64_t i = 0; rc == 0 && i < count; i++)
        rc = exh_trace_append(t, by_end[i], &err);
    if (rc == 0)
        rc = exh_trace_close(t, &err);
    if (rc < 0)
        fprintf(stderr, "bench_analyze: %s\n", err.message);
    free(records);
    free(tokens);
    free((void *)by_end);
    exh_rng_free(r);
    return rc;
}

/* Everything `exhaust analyze --space nb201 --out DIR` does; seconds. */
static double analyze_once(const char *trace, const char *out, const exh_space *sp)
{
    double start = bench_now();
    exh_error err;
    exh_trace_record *records = NULL;
    int64_t count = 0;
    exh_analysis a = {0};
    exh_analysis_options o;
    exh_analysis_options_default(&o);
    o.space = sp;
    int rc = exh_analyze_load(trace, sp, &records, &count, &err);
    if (rc == 0 && count > 100000) { /* as the CLI does for large traces */
        o.cache_capacities = 1;
        o.cache_bytes[0] = 4 << 20;
    }
    if (rc == 0) /* the bench traces name their workers and parents: one pass */
        rc = exh_analyze_infer(records, count, o.population, 0, &o.inference, &err);
    if (rc == 0)
        rc = exh_analysis_run(records, count, &o, &a, &err);
    mkdir(out, 0777);
    if (rc == 0)
        rc = exh_report_write_tables(&a, out, &err);
    if (rc == 0)
        exh_report_render_trie(out, &err);
    if (rc == 0)
        rc = exh_report_write_html(&a, out, "bench", NULL, &err);
    if (rc < 0)
        fprintf(stderr, "bench_analyze: %s\n", err.message);
    exh_analysis_free(&a);
    free(records);
    return rc < 0 ? NAN : bench_now() - start;
}

static double analyze_median(const char *trace, const char *out, const exh_space *sp, int repeats)
{
    double times[16];
    repeats = repeats < 16 ? repeats : 16;
    for (int i = 0; i < repeats; i++)
        times[i] = analyze_once(trace, out, sp);
    return bench_median(times, repeats);
}

/* bench_analyze.py's median seconds, or NAN when Python is missing. */
static double python_seconds(const char *trace, int repeats)
{
    char command[1024];
    snprintf(command, sizeof command,
             "/usr/bin/python3 bench/bench_analyze.py '%s' --repeats %d 2>/dev/null", trace,
             repeats);
    FILE *p = popen(command, "r");
    double seconds = NAN;
    char line[256];
    while (p && fgets(line, sizeof line, p))
        sscanf(line, "python_seconds_median=%lf", &seconds);
    if (p)
        pclose(p);
    return seconds;
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 0x7fffffff);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
    int64_t records = argc > 1 ? atoll(argv[1]) : 1000000;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    exh_error err;
    exh_space *sp;
    if (exh_space_open("nb201", &sp, &err) < 0)
        return 1;
    const char *big = "/tmp/exhaust-bench-analyze-big.csv";
    const char *small = "/tmp/exhaust-bench-analyze-small.csv";
    double t = bench_now();
    if (write_trace(big, records, 4096) < 0 || write_trace(small, 100000, 256) < 0)
        return 1;
    printf("synthetic traces written in %.1f s (%lld records, 4096 workers; 100,000 records, "
           "256 workers)\n", bench_now() - t, (long long)records);
    double seconds = analyze_median(big, "/tmp/exhaust-bench-analyze-big", sp, repeats);
    printf("analyze %lld records: %.2f s (median of %d; target < 5 s)\n", (long long)records,
           seconds, repeats);
    double c_small = analyze_median(small, "/tmp/exhaust-bench-analyze-small", sp, repeats);
    double py_small = python_seconds(small, repeats);
    printf("analyze 100,000 records: exhaust %.3f s (all of it), plain Python %.2f s (a subset) "
           "-> %.0fx\n", c_small, py_small, py_small / c_small);
    remove(big);
    remove(small);
    exh_space_free(sp);
    return 0;
}
