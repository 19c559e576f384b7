/* trace_read.c — reading traces back: exhaust's own and DeepHyper's
 * results.csv (columns job_id, p:arch_seq, objective, and any of the m:
 * columns trace.h lists). Leading '#' lines are the search's parameters. */
#define _DEFAULT_SOURCE /* madvise and MADV_HUGEPAGE */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exhaust/trace.h"
#include "util/csv.h"
#include "util/file.h"

enum {
    COLUMN_JOB, COLUMN_ARCH, COLUMN_OBJECTIVE, COLUMN_SUBMIT, COLUMN_START, COLUMN_END,
    COLUMN_WORKER, COLUMN_PARENT, COLUMN_DONOR, COLUMN_PREFIX, COLUMN_MUTATED, COLUMN_STATUS,
    COLUMN_COST, COLUMN_DONOR_RUN, COLUMN_COUNT
};

static const char *const COLUMN_NAMES[COLUMN_COUNT] = {
    "job_id",    "p:arch_seq",  "objective",   "m:timestamp_submit", "m:timestamp_start",
    "m:timestamp_gather", "m:worker", "m:parent_id", "m:donor_id", "m:prefix_len",
    "m:mutated_position", "m:status", "m:cost", "m:donor_run_id",
};

static const char *field(const csv_reader *reader, const int *columns, int which)
{
    int c = columns[which];
    return c >= 0 && c < reader->field_count ? reader->fields[c] : "";
}

static double number_or(const char *text, double fallback)
{
    double value;
    return *text && csv_parse_double(text, &value) == 0 && !isnan(value) ? value : fallback;
}

static int read_record(const csv_reader *reader, const int *columns, const space *s,
                       trace_record *r, const char *path, exh_error *err)
{
    long long job;
    if (csv_parse_long(field(reader, columns, COLUMN_JOB), &job) < 0 || job < 0)
        return error_set(err, EXH_ERR_PARSE, "%s: line %ld: job_id '%.30s' is not a job number",
                         path, reader->line, field(reader, columns, COLUMN_JOB));
    if (space_parse_sequence(s, field(reader, columns, COLUMN_ARCH), &r->architecture, err) < 0)
        return error_prefix(err, "%s: line %ld: p:arch_seq", path, reader->line);
    const char *objective = field(reader, columns, COLUMN_OBJECTIVE);
    const char *status = field(reader, columns, COLUMN_STATUS);
    r->job_id = job;
    r->quality = strcmp(objective, "F") == 0 ? NAN : number_or(objective, NAN);
    r->status = strcmp(status, "timeout") == 0 ? 2
                : (strcmp(status, "failed") == 0 || isnan(r->quality)) ? 1
                                                                       : 0;
    r->submit_time = number_or(field(reader, columns, COLUMN_SUBMIT), NAN);
    r->start_time = number_or(field(reader, columns, COLUMN_START), r->submit_time);
    r->end_time = number_or(field(reader, columns, COLUMN_END), NAN);
    r->worker = (int)number_or(field(reader, columns, COLUMN_WORKER), -1);
    r->parent_id = (int64_t)number_or(field(reader, columns, COLUMN_PARENT), -1);
    r->donor_id = (int64_t)number_or(field(reader, columns, COLUMN_DONOR), (double)r->parent_id);
    r->prefix_length = (int)number_or(field(reader, columns, COLUMN_PREFIX), 0);
    r->mutated_position = (int)number_or(field(reader, columns, COLUMN_MUTATED), -1);
    r->cost_seconds = number_or(field(reader, columns, COLUMN_COST), NAN);
    r->donor_run_id = (int64_t)number_or(field(reader, columns, COLUMN_DONOR_RUN), -1);
    return EXH_OK;
}

/* Skip the '#' parameter lines; returns the offset of the header. */
static size_t skip_comments(const char *data, size_t size, long *lines)
{
    size_t offset = 0;
    *lines = 0;
    while (offset < size && data[offset] == '#') {
        const char *newline = memchr(data + offset, '\n', size - offset);
        offset = newline ? (size_t)(newline - data) + 1 : size;
        (*lines)++;
    }
    return offset;
}

static int read_header(csv_reader *reader, int *columns, const char *path, long skipped,
                       exh_error *err)
{
    if (csv_next(reader, err) <= 0)
        return error_set(err, EXH_ERR_PARSE, "%s: no header line", path);
    for (int i = 0; i < COLUMN_COUNT; i++)
        columns[i] = csv_column(reader, COLUMN_NAMES[i]);
    for (int i = 0; i < 3; i++)
        if (columns[i] < 0)
            return error_set(err, EXH_ERR_PARSE, "%s: line %ld: the trace has no '%s' column",
                             path, reader->line + skipped, COLUMN_NAMES[i]);
    return EXH_OK;
}

/* Records are large (an architecture holds ARCH_MAX_TOKENS tokens), so a
 * million-record trace is about a gigabyte: size the array once from the
 * line count instead of growing it by copies. */
#define HUGE_PAGE ((size_t)2 << 20)

static trace_record *allocate_records(const char *data, size_t size, int64_t *capacity)
{
    int64_t lines = 1;
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + size - p))); p++)
        lines++;
    *capacity = lines;
    size_t bytes = sizeof(trace_record) * (size_t)lines;
#ifdef MADV_HUGEPAGE
    /* Huge pages: a gigabyte in 4 KiB pages costs seconds of page faults
     * on a virtual machine; in 2 MiB pages, milliseconds. */
    if (bytes >= HUGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
            return NULL;
        madvise(p, bytes, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes);
}

int trace_read(const char *path, const space *s, int allow_torn_tail, trace_record **records,
               int64_t *count, exh_error *err)
{
    *records = NULL;
    *count = 0;
    char *data;
    size_t size;
    int rc = file_read_all(path, &data, &size, err);
    if (rc < 0)
        return rc;
    long skipped;
    size_t start = skip_comments(data, size, &skipped);
    /* A killed writer can leave a last line without its newline. */
    int torn = size > start && data[size - 1] != '\n';
    csv_reader reader;
    csv_open(&reader, data + start, size - start);
    int columns[COLUMN_COUNT];
    rc = read_header(&reader, columns, path, skipped, err);
    int64_t capacity = 0;
    if (rc == 0 && !(*records = allocate_records(data + start, size - start, &capacity)))
        rc = error_set(err, EXH_ERR_NOMEM, "%s: out of memory", path);
    while (rc == 0) {
        rc = csv_next(&reader, err);
        if (rc < 0 && torn && allow_torn_tail) {
            rc = 0; /* an unclosed quote on the torn last line */
            break;
        }
        if (rc <= 0)
            break;
        if (*count == capacity) { /* a quoted field held newlines: can't happen, but be safe */
            rc = error_set(err, EXH_ERR_INVALID, "%s: more records than lines", path);
            break;
        }
        trace_record *r = &(*records)[*count];
        /* all but the (large) token array, which the parser fills */
        size_t tokens_end = offsetof(trace_record, architecture) + sizeof(arch);
        memset(r, 0, offsetof(trace_record, architecture));
        memset((char *)r + tokens_end, 0, sizeof *r - tokens_end);
        r->architecture.length = 0;
        rc = read_record(&reader, columns, s, r, path, err);
        if (rc < 0 && torn && allow_torn_tail && reader.offset >= reader.size) {
            rc = 0; /* drop the torn last line: it was never durably written */
            break;
        }
        if (rc == 0)
            (*count)++;
    }
    if (rc < 0 && reader.line > 0 && err && !strstr(err->message, path))
        error_prefix(err, "%s: line %ld", path, reader.line + skipped);
    csv_close(&reader);
    free(data);
    if (rc < 0) {
        free(*records);
        *records = NULL;
        *count = 0;
        return rc;
    }
    return EXH_OK;
}
