/* analyze_trace.c — loading a trace for analysis, refusing what would make
 * the analyses wrong. */
#include <math.h>
#include <stdlib.h>

#include "exhaust/analyze.h"

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int check_unique_ids(const char *path, const exh_trace_record *r, int64_t n, exh_error *err)
{
    int64_t *ids = malloc(sizeof *ids * (size_t)(n ? n : 1));
    if (!ids)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        ids[i] = r[i].job_id;
    qsort(ids, (size_t)n, sizeof *ids, compare_ids);
    int rc = EXH_OK;
    for (int64_t i = 1; i < n && rc == 0; i++)
        if (ids[i] == ids[i - 1])
            rc = exh_error_set(err, EXH_ERR_INVALID, "%s: job_id %lld appears more than once",
                               path, (long long)ids[i]);
    free(ids);
    return rc;
}

int exh_analyze_load(const char *path, const exh_space *s, exh_trace_record **records,
                     int64_t *count, exh_error *err)
{
    int rc = exh_trace_read(path, s, 0, records, count, err);
    if (rc < 0)
        return rc;
    const exh_trace_record *r = *records;
    for (int64_t i = 1; rc == 0 && i < *count; i++)
        if (r[i].end_time < r[i - 1].end_time)
            rc = exh_error_set(err, EXH_ERR_INVALID,
                               "%s: record %lld (job %lld) ends at %g, before the record above it "
                               "(%g): a trace lists evaluations in the order they finished",
                               path, (long long)i + 1, (long long)r[i].job_id, r[i].end_time,
                               r[i - 1].end_time);
    if (rc == 0)
        rc = check_unique_ids(path, r, *count, err);
    if (rc == 0 && *count == 0)
        rc = exh_error_set(err, EXH_ERR_INVALID, "%s: the trace has no records", path);
    if (rc < 0) {
        free(*records);
        *records = NULL;
        *count = 0;
    }
    return rc;
}

int exh_analyze_fill_times(exh_trace_record *records, int64_t count)
{
    int filled = 0;
    for (int64_t i = 0; i < count && !filled; i++)
        if (!isfinite(records[i].end_time))
            filled = EXH_ANALYZE_FILLED_END;
    for (int64_t i = 0; filled && i < count; i++) {
        records[i].end_time = (double)i;
        records[i].run_end_known = 0; /* its clock is gone */
    }
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(records[i].start_time)) {
            records[i].start_time = records[i].end_time;
            filled |= EXH_ANALYZE_FILLED_START;
        }
    return filled;
}
