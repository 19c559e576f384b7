/* trace.c — the CSV trace writer (columns documented in trace.h). */
#include "exhaust/trace.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct trace_writer {
    FILE *file;              /* NULL: no CSV, only the store */
    int durable;
    trace_store *store;      /* NULL: no store */
    char path[];
};

static const char TRACE_HEADER[] =
    "job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_start,m:timestamp_gather,"
    "m:worker,m:parent_id,m:donor_id,m:prefix_len,m:mutated_position,m:status,m:cost,"
    "m:donor_run_id\n";

static const char *const STATUS_NAMES[] = {"ok", "failed", "timeout"};

int trace_open(const char *path, const char *const *header_lines, int header_count,
               trace_writer **out, exh_error *err)
{
    *out = NULL;
    trace_writer *t = calloc(1, sizeof *t + (path ? strlen(path) : 0) + 1);
    if (!t)
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    t->durable = 1;
    if (!path) {
        *out = t;
        return EXH_OK;
    }
    strcpy(t->path, path);
    t->file = fopen(path, "we"); /* e: O_CLOEXEC, training commands must not inherit it */
    if (!t->file) {
        int rc = error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
        free(t);
        return rc;
    }
    for (int i = 0; i < header_count; i++)
        fprintf(t->file, "# %s\n", header_lines[i]);
    fputs(TRACE_HEADER, t->file);
    *out = t;
    return EXH_OK;
}

int trace_open_append(const char *path, trace_writer **out, exh_error *err)
{
    *out = NULL;
    trace_writer *t = calloc(1, sizeof *t + strlen(path) + 1);
    if (!t)
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    strcpy(t->path, path);
    t->durable = 1;
    t->file = fopen(path, "r+e");
    if (!t->file || fseek(t->file, 0, SEEK_END) != 0) {
        int rc = error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
        if (t->file)
            fclose(t->file);
        free(t);
        return rc;
    }
    /* Cut a torn last line (a record the killed writer never finished). */
    long end = ftell(t->file);
    long keep = end;
    while (keep > 0) {
        fseek(t->file, keep - 1, SEEK_SET);
        if (fgetc(t->file) == '\n')
            break;
        keep--;
    }
    if (keep < end && ftruncate(fileno(t->file), keep) != 0) {
        fclose(t->file);
        free(t);
        return error_set(err, EXH_ERR_IO, "%s: cannot cut its torn last line", path);
    }
    fseek(t->file, 0, SEEK_END);
    *out = t;
    return EXH_OK;
}

void trace_set_durable(trace_writer *t, int durable)
{
    t->durable = durable;
}

void trace_attach_store(trace_writer *t, trace_store *store)
{
    t->store = store;
}

static int append_csv(trace_writer *t, const trace_record *r, exh_error *err)
{
    /* arch_seq as DeepHyper writes it: a quoted Python list. */
    fprintf(t->file, "%lld,\"[", (long long)r->job_id);
    for (int i = 0; i < r->architecture.length; i++)
        fprintf(t->file, i ? ", %d" : "%d", r->architecture.token[i]);
    fputs("]\",", t->file);
    if (!isnan(r->quality))
        fprintf(t->file, "%.17g", r->quality);
    else
        fputs("F", t->file); /* DeepHyper's marker for a failed objective */
    int status = r->status >= 0 && r->status < 3 ? r->status : 1;
    fprintf(t->file, ",%.17g,%.17g,%.17g,%d,%lld,%lld,%d,%d,%s,%.17g,%lld\n", r->submit_time,
            r->start_time, r->end_time, r->worker, (long long)r->parent_id,
            (long long)r->donor_id, r->prefix_length,
            r->mutated_position, STATUS_NAMES[status], r->cost_seconds,
            (long long)r->donor_run_id);
    if (t->durable && (fflush(t->file) != 0 || fsync(fileno(t->file)) != 0))
        return error_set(err, EXH_ERR_IO, "%s: cannot write the trace: %s", t->path,
                         strerror(errno));
    return ferror(t->file) ? error_set(err, EXH_ERR_IO, "%s: write error", t->path) : EXH_OK;
}

int trace_append(trace_writer *t, const trace_record *r, exh_error *err)
{
    /* The CSV first: it is what --resume reads; a resume backfills the store. */
    if (t->file) {
        int rc = append_csv(t, r, err);
        if (rc < 0)
            return rc;
    }
    return t->store ? trace_store_append(t->store, r, err) : EXH_OK;
}

int trace_close(trace_writer *t, exh_error *err)
{
    if (!t)
        return EXH_OK;
    int failed = t->file && fclose(t->file) != 0;
    int rc = failed ? error_set(err, EXH_ERR_IO, "%s: cannot close the trace", t->path) : EXH_OK;
    free(t);
    return rc;
}
