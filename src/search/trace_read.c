/* trace_read.c — reading traces back: exhaust's own and DeepHyper's
 * results.csv (columns job_id, p:arch_seq, objective, and any of the m:
 * columns trace.h lists). Leading '#' lines (older traces kept the search's
 * settings there; now they are in TRACE.json) are skipped. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/trace.h"
#include "util/csv.h"
#include "util/file.h"
#include "util/huge.h"

enum {
    COLUMN_JOB, COLUMN_ARCH, COLUMN_OBJECTIVE, COLUMN_SUBMIT, COLUMN_START, COLUMN_END,
    COLUMN_WORKER, COLUMN_PARENT, COLUMN_DONOR, COLUMN_PREFIX, COLUMN_MUTATED, COLUMN_STATUS,
    COLUMN_COST, COLUMN_DONOR_RUN, COLUMN_SCREENED, COLUMN_PREDICTED, COLUMN_RUN_END,
    COLUMN_REPO_HITS, COLUMN_REPO_READS, COLUMN_REPO_FAST_BYTES, COLUMN_REPO_STORE_BYTES,
    COLUMN_REPO_WRITE_BYTES, COLUMN_REPO_SECONDS, COLUMN_REPO_ERROR, COLUMN_COUNT
};

static const char *const COLUMN_NAMES[COLUMN_COUNT] = {
    "job_id",    "p:arch_seq",  "objective",   "m:timestamp_submit", "m:timestamp_start",
    "m:timestamp_gather", "m:worker", "m:parent_id", "m:donor_id", "m:prefix_len",
    "m:mutated_position", "m:status", "m:cost", "m:donor_run_id", "m:screened", "m:predicted",
    "m:timestamp_end",
    "m:repo_fast_hits", "m:repo_store_reads", "m:repo_read_bytes_fast", "m:repo_read_bytes_store",
    "m:repo_write_bytes", "m:repo_seconds", "m:repo_error",
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

/* An integer column, or fallback when empty; 1 when the value is past
 * +-limit (m:worker=1e300: casting it would be undefined behaviour). */
static int whole_or(const char *text, double fallback, double limit, int64_t *out)
{
    double value = number_or(text, fallback);
    *out = fabs(value) <= limit ? (int64_t)value : 0;
    return !(fabs(value) <= limit);
}

/* The m:repo_* columns (trace.h); empty (or absent) m:repo_fast_hits: none. */
static int read_repo_columns(const csv_reader *reader, const int *columns, exh_trace_record *r,
                             const char *path, exh_error *err)
{
    int64_t *counts[] = {&r->repo_fast_hits, &r->repo_store_reads, &r->repo_fast_bytes,
                         &r->repo_store_bytes, &r->repo_write_bytes};
    int64_t error;
    for (int i = 0; i < 5; i++)
        if (whole_or(field(reader, columns, COLUMN_REPO_HITS + i), -1, 9e15, counts[i]))
            return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: %s '%.30s' is out of range",
                                 path, reader->line, COLUMN_NAMES[COLUMN_REPO_HITS + i],
                                 field(reader, columns, COLUMN_REPO_HITS + i));
    if (whole_or(field(reader, columns, COLUMN_REPO_ERROR), 0, 1e9, &error))
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: m:repo_error '%.30s' is out of "
                             "range", path, reader->line, field(reader, columns, COLUMN_REPO_ERROR));
    r->repo_error = (int)error;
    r->repo_seconds = number_or(field(reader, columns, COLUMN_REPO_SECONDS), NAN);
    return EXH_OK;
}

/* The tokens of one range's records, in order; a record's arch_token holds
 * its offset here until exh_trace_read moves them behind the records. */
typedef struct token_store {
    int32_t *token;
    int64_t count, capacity;
} token_store;

static int token_store_add(token_store *t, const exh_arch *a, exh_trace_record *r)
{
    if (t->count + a->length > t->capacity) {
        int64_t capacity = t->capacity ? 2 * t->capacity : 4096;
        while (capacity < t->count + a->length)
            capacity *= 2;
        int32_t *grown = realloc(t->token, sizeof *grown * (size_t)capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        t->token = grown;
        t->capacity = capacity;
    }
    memcpy(t->token + t->count, a->token, sizeof *a->token * (size_t)a->length);
    r->arch_length = a->length;
    r->arch_token = (const int32_t *)(uintptr_t)t->count; /* an offset, for now */
    t->count += a->length;
    return EXH_OK;
}

static int read_record(const csv_reader *reader, const int *columns, const exh_space *s,
                       exh_trace_record *r, token_store *tokens, const char *path,
                       exh_error *err)
{
    long long job;
    if (csv_parse_long(field(reader, columns, COLUMN_JOB), &job) < 0 || job < 0)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: job_id '%.30s' is not a job number",
                             path, reader->line, field(reader, columns, COLUMN_JOB));
    exh_arch arch;
    if (exh_space_parse_sequence(s, field(reader, columns, COLUMN_ARCH), &arch, err) < 0)
        return exh_error_prefix(err, "%s: line %ld: p:arch_seq", path, reader->line);
    if (token_store_add(tokens, &arch, r) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: line %ld: out of memory", path,
                             reader->line);
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
    r->run_end_time = number_or(field(reader, columns, COLUMN_RUN_END), NAN);
    r->run_end_known = isfinite(r->run_end_time);
    int64_t worker, prefix, mutated, screened;
    const double small = 1e9, id = 9e15; /* int columns; ids exact in a double */
    int bad = whole_or(field(reader, columns, COLUMN_WORKER), -1, small, &worker) ? COLUMN_WORKER
            : whole_or(field(reader, columns, COLUMN_PARENT), -1, id, &r->parent_id) ? COLUMN_PARENT
            : whole_or(field(reader, columns, COLUMN_DONOR), (double)r->parent_id, id, &r->donor_id)
                ? COLUMN_DONOR
            : whole_or(field(reader, columns, COLUMN_PREFIX), 0, small, &prefix) ? COLUMN_PREFIX
            : whole_or(field(reader, columns, COLUMN_MUTATED), -1, small, &mutated) ? COLUMN_MUTATED
            : whole_or(field(reader, columns, COLUMN_DONOR_RUN), -1, id, &r->donor_run_id)
                ? COLUMN_DONOR_RUN
            : whole_or(field(reader, columns, COLUMN_SCREENED), 0, small, &screened)
                ? COLUMN_SCREENED
                : -1;
    if (bad >= 0)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: %s '%.30s' is out of range", path,
                             reader->line, COLUMN_NAMES[bad], field(reader, columns, bad));
    r->worker = (int)worker;
    r->prefix_length = (int)prefix;
    r->mutated_position = (int)mutated;
    r->cost_seconds = number_or(field(reader, columns, COLUMN_COST), NAN);
    r->screened = (int)screened;
    r->predicted = number_or(field(reader, columns, COLUMN_PREDICTED), NAN);
    return read_repo_columns(reader, columns, r, path, err);
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
        return exh_error_set(err, EXH_ERR_PARSE, "%s: no header line", path);
    for (int i = 0; i < COLUMN_COUNT; i++)
        columns[i] = csv_column(reader, COLUMN_NAMES[i]);
    for (int i = 0; i < 3; i++)
        if (columns[i] < 0)
            return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: the trace has no '%s' column",
                                 path, reader->line + skipped, COLUMN_NAMES[i]);
    return EXH_OK;
}

/* Ten million records are about two gigabytes: size the array once from the
 * line count instead of growing it by copies. */

static int64_t count_lines(const char *data, size_t size);

static exh_trace_record *allocate_records(const char *data, size_t size, int64_t *capacity)
{
    int64_t lines = count_lines(data, size) + 1;
    *capacity = lines;
    return huge_alloc(sizeof(exh_trace_record) * (size_t)lines);
}

/* One stretch of the file's records, parsed into records[0..capacity). */
typedef struct parse_range {
    const char *path, *data;
    size_t size;
    long first_line;           /* line number of data[0] (1-based, after comments) */
    long skipped;              /* comment lines before, for messages */
    const int *columns;
    const exh_space *space;
    int allow_torn_tail, torn;
    exh_trace_record *records;
    int64_t capacity, count;
    token_store tokens;
    int rc;
    exh_error err;
} parse_range;

static int append_tokens(token_store *first, parse_range *second);

static void parse_records(parse_range *p)
{
    csv_reader reader;
    csv_open(&reader, p->data, p->size);
    reader.next_line = p->first_line + p->skipped; /* lines as the file counts them */
    exh_error *err = &p->err;
    int rc = 0;
    while (rc == 0) {
        rc = csv_next(&reader, err);
        if (rc < 0 && p->torn && p->allow_torn_tail) {
            rc = 0; /* an unclosed quote on the torn last line */
            break;
        }
        if (rc <= 0)
            break;
        if (p->count == p->capacity) { /* a quoted field held newlines: can't happen, but be safe */
            rc = exh_error_set(err, EXH_ERR_INVALID, "%s: more records than lines", p->path);
            break;
        }
        exh_trace_record *r = &p->records[p->count];
        memset(r, 0, sizeof *r);
        int64_t tokens_before = p->tokens.count;
        rc = read_record(&reader, p->columns, p->space, r, &p->tokens, p->path, err);
        if (rc < 0)
            p->tokens.count = tokens_before;
        if (rc < 0 && p->torn && p->allow_torn_tail && reader.offset >= reader.size) {
            rc = 0; /* drop the torn last line: it was never durably written */
            break;
        }
        if (rc == 0)
            p->count++;
    }
    if (rc < 0 && reader.line > 0 && !strstr(err->message, p->path))
        exh_error_prefix(err, "%s: line %ld", p->path, reader.line);
    csv_close(&reader);
    p->rc = rc;
}

static void *parse_records_thread(void *argument)
{
    parse_records(argument);
    return NULL;
}

static int64_t count_lines(const char *data, size_t size)
{
    int64_t lines = 0;
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + size - p))); p++)
        lines++;
    return lines;
}

/* Big traces are parsed in two halves at once (the second starting after a
 * newline near the middle); if either half fails, the caller parses it all
 * again in one piece, so messages and a quoted field with a newline inside
 * come out exactly as in a sequential read. Returns 0 when it worked. */
static int parse_in_halves(parse_range *whole)
{
    enum { HALVES_FROM = 8 << 20 }; /* bytes: below this, threads cost more than they save */
    if (whole->size < HALVES_FROM)
        return -1;
    const char *middle = memchr(whole->data + whole->size / 2, '\n', whole->size / 2);
    if (!middle || middle + 1 >= whole->data + whole->size)
        return -1;
    parse_range first = *whole, second = *whole; /* (their token stores are empty) */
    first.size = (size_t)(middle + 1 - whole->data);
    first.torn = 0;
    int64_t first_lines = count_lines(first.data, first.size);
    first.capacity = first_lines;
    second.data = middle + 1;
    second.size = whole->size - first.size;
    second.first_line = whole->first_line + (long)first_lines;
    second.records = whole->records + first_lines;
    second.capacity = whole->capacity - first_lines;
    pthread_t thread;
    if (pthread_create(&thread, NULL, parse_records_thread, &second) != 0)
        return -1;
    parse_records(&first);
    pthread_join(thread, NULL);
    if (first.rc < 0 || second.rc < 0 || append_tokens(&first.tokens, &second) < 0) {
        free(first.tokens.token);
        free(second.tokens.token);
        return -1;
    }
    free(second.tokens.token);
    if (first.count < first_lines) /* blank lines: close the gap */
        memmove(whole->records + first.count, second.records,
                sizeof *second.records * (size_t)second.count);
    whole->count = first.count + second.count;
    whole->tokens = first.tokens;
    whole->rc = 0;
    return 0;
}

/* Append the second half's tokens to the first's, shifting its offsets. */
static int append_tokens(token_store *first, parse_range *second)
{
    int64_t shift = first->count, need = first->count + second->tokens.count;
    if (need > first->capacity) {
        int32_t *grown = realloc(first->token, sizeof *grown * (size_t)(need ? need : 1));
        if (!grown)
            return EXH_ERR_NOMEM;
        first->token = grown;
        first->capacity = need;
    }
    if (second->tokens.count > 0)
        memcpy(first->token + shift, second->tokens.token,
               sizeof *first->token * (size_t)second->tokens.count);
    first->count = need;
    for (int64_t i = 0; i < second->count; i++)
        second->records[i].arch_token =
            (const int32_t *)((uintptr_t)second->records[i].arch_token + (uintptr_t)shift);
    return EXH_OK;
}

/* One block: the records, then their tokens (free(records) frees both);
 * the offsets in arch_token become pointers. NULL when out of memory. */
static exh_trace_record *join_tokens(exh_trace_record *records, int64_t count,
                                     const token_store *tokens)
{
    size_t record_bytes = sizeof *records * (size_t)count;
    exh_trace_record *joined =
        realloc(records, record_bytes + sizeof(int32_t) * (size_t)tokens->count + 1);
    if (!joined)
        return NULL;
    int32_t *base = (int32_t *)((char *)joined + record_bytes);
    if (tokens->count > 0)
        memcpy(base, tokens->token, sizeof *base * (size_t)tokens->count);
    for (int64_t i = 0; i < count; i++)
        joined[i].arch_token = base + (uintptr_t)joined[i].arch_token;
    return joined;
}

int exh_trace_read(const char *path, const exh_space *s, int allow_torn_tail,
                   exh_trace_record **records, int64_t *count, exh_error *err)
{
    *records = NULL;
    *count = 0;
    char *data;
    size_t size;
    int rc = file_read_all(path, &data, &size, err);
    if (rc < 0)
        return rc;
    /* A record is complete only with its newline: for a resume, a last line
     * without one was never durably finished, even when it would parse (a
     * record cut right after its closing ']"'), so it is not read. */
    while (allow_torn_tail && size > 0 && data[size - 1] != '\n')
        size--;
    long skipped;
    size_t start = skip_comments(data, size, &skipped);
    csv_reader header;
    csv_open(&header, data + start, size - start);
    int columns[COLUMN_COUNT];
    rc = read_header(&header, columns, path, skipped, err);
    parse_range whole = {.path = path, .data = data + start + header.offset,
                         .size = size - start - header.offset, .first_line = header.next_line,
                         .skipped = skipped, .columns = columns, .space = s,
                         .allow_torn_tail = allow_torn_tail,
                         /* A killed writer can leave a last line without its newline. */
                         .torn = size > start && data[size - 1] != '\n'};
    csv_close(&header);
    if (rc == 0 && !(whole.records = allocate_records(whole.data, whole.size, &whole.capacity)))
        rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", path);
    if (rc == 0 && parse_in_halves(&whole) != 0) {
        whole.count = 0;
        whole.tokens.count = 0;
        parse_records(&whole);
        if (whole.rc < 0 && err)
            *err = whole.err;
        rc = whole.rc;
    }
    free(data);
    exh_trace_record *joined = NULL;
    if (rc == 0 && !(joined = join_tokens(whole.records, whole.count, &whole.tokens)))
        rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", path);
    free(whole.tokens.token);
    if (rc < 0) {
        free(whole.records);
        return rc;
    }
    *records = joined;
    *count = whole.count;
    return EXH_OK;
}
