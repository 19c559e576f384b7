/* analyze_trace.c — an exhaust library user: analyse a search trace (one
 * that search_and_read_trace.c wrote, or a DeepHyper results.csv) the way
 * `exhaust analyze` does, write the report's tables and page, and print
 * what a reader looks at first: how the best improved, who became a
 * parent, and how a small LRU cache of transferred tensors would fare.
 *
 *     cc analyze_trace.c $(pkg-config --cflags --libs exhaust) -o analyze
 *     ./analyze TRACE.csv OUT_DIR
 */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <exhaust/analysis.h>
#include <exhaust/report_analysis.h>

static void print_summary(const exh_analysis *a)
{
    const exh_analyze_quality *q = &a->quality;
    printf("%lld records, %lld failed; the best improved %lld times, to %.3f\n",
           (long long)a->count, (long long)q->failures, (long long)q->step_count, q->best);
    for (int i = 0; i < a->cache_rows; i++) {
        const exh_analysis_cache_row *row = &a->cache[i];
        if (row->policy == EXH_CACHESIM_LRU && row->scope == EXH_CACHESIM_SHARED) {
            printf("a shared LRU cache of %lld bytes: hit rate %.3f\n",
                   (long long)row->capacity_bytes, row->result.hit_rate);
            break; /* the smallest capacity simulated */
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TRACE OUT_DIR\n", argv[0]);
        return 2;
    }
    exh_error err;
    exh_space *space = NULL;
    exh_trace_record *records = NULL;
    int64_t count = 0;
    exh_analysis analysis = {0};
    int analysed = 0;
    if (mkdir(argv[2], 0777) != 0 && errno != EEXIST) {
        perror(argv[2]);
        return 1;
    }
    int rc = exh_space_open("nb201", &space, &err);
    if (rc == 0)
        rc = exh_analyze_load(argv[1], space, &records, &count, &err);
    if (rc == 0) {
        exh_analysis_options options;
        exh_analysis_options_default(&options);
        options.space = space;
        options.population = 10; /* the search's P and S (search_and_read_trace.c) */
        options.sample = 3;
        rc = exh_analysis_run(records, count, &options, &analysis, &err);
        analysed = rc == 0;
    }
    if (rc == 0)
        rc = exh_report_write_tables(&analysis, argv[2], &err);
    if (rc == 0)
        rc = exh_report_write_html(&analysis, argv[2], argv[1], NULL, &err);
    if (rc == 0)
        print_summary(&analysis);
    else
        fprintf(stderr, "%s\n", err.message);
    if (analysed)
        exh_analysis_free(&analysis);
    free(records);
    exh_space_free(space);
    return rc == 0 ? 0 : 1;
}
