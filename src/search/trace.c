/* trace.c — the CSV trace writer (columns documented in trace.h). */
#include "exhaust/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/number.h"

/* Doubles already formatted, by their bits: a search writes the same
 * qualities and costs (a table's) and times (a job starts when the one
 * before it on its worker ended, submit and start are one instant) again
 * and again, and number_format was a third of a simulated search's time.
 * Direct-mapped; length 0: an empty entry. */
#define NUMBER_CACHE_BITS 14 /* 2^14 entries of 32 bytes: 512 KiB */
typedef struct cached_number {
    uint64_t bits;
    uint8_t length;
    char text[23];
} cached_number;

struct exh_trace_writer {
    FILE *file;              /* NULL: no CSV, only the store */
    int durable;
    int screen_columns;      /* m:screened, m:predicted (a screening search) */
    int repo_columns;        /* m:repo_* (a search with a model repository) */
    exh_trace_store *store;      /* NULL: no store (or it failed: store_error) */
    char store_error[EXH_ERROR_MESSAGE_SIZE];
    cached_number numbers[1 << NUMBER_CACHE_BITS]; /* calloc'd: all empty */
    char path[];
};

static const char TRACE_HEADER[] =
    "job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_start,m:timestamp_gather,"
    "m:worker,m:parent_id,m:donor_id,m:prefix_len,m:mutated_position,m:status,m:cost,"
    "m:donor_run_id";
/* Only a screening search's trace has them, so other traces stay as they were. */
static const char SCREEN_COLUMNS[] = ",m:screened,m:predicted";
/* Only a search with --repo has these (after the screen columns). */
static const char REPO_COLUMNS[] = ",m:repo_fast_hits,m:repo_store_reads,m:repo_read_bytes_fast,"
                                   "m:repo_read_bytes_store,m:repo_write_bytes,m:repo_seconds,"
                                   "m:repo_error";

static const char *const STATUS_NAMES[] = {"ok", "failed", "timeout"};

/* Lock a trace for the whole search: a second search (a second --resume)
 * on the same file would interleave its records with ours. flock is
 * advisory, released when the file is closed or the process dies, so a
 * killed search never leaves a stale lock behind. */
static int open_locked(const char *path, int create, int *fd_out, exh_error *err)
{
    /* No O_CREAT to resume: a missing trace is an error, not an empty file. */
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        int rc = exh_error_set(err, busy ? EXH_ERR_INVALID : EXH_ERR_IO,
                               busy ? "%s: another search is writing this trace (it holds its lock); "
                                  "wait for it to end, or stop it, before resuming"
                                : "%s: cannot lock: %s",
                               path, strerror(errno));
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return EXH_OK;
}

static exh_trace_writer *writer_new(const char *path)
{
    exh_trace_writer *t = calloc(1, sizeof *t + (path ? strlen(path) : 0) + 1);
    if (t) {
        t->durable = 1;
        if (path)
            strcpy(t->path, path);
    }
    return t;
}

int exh_trace_open(const char *path, const exh_trace_settings *settings, exh_trace_writer **out,
                   exh_error *err)
{
    *out = NULL;
    exh_trace_writer *t = writer_new(path);
    if (!t)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (!path) {
        *out = t;
        return EXH_OK;
    }
    /* Lock before truncating: "w" would empty a trace another search is
     * still writing. The sidecar comes first, so a CSV never exists without
     * the settings that explain it. */
    int fd = -1;
    int rc = open_locked(path, 1, &fd, err);
    if (rc == 0 && settings)
        rc = exh_trace_settings_write(path, settings, err);
    if (rc == 0 && ftruncate(fd, 0) != 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot empty it: %s", path, strerror(errno));
    if (rc == 0 && !(t->file = fdopen(fd, "r+")))
        rc = exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        free(t);
        return rc;
    }
    t->screen_columns = settings && settings->screen > 1;
    t->repo_columns = settings && settings->repo[0];
    fprintf(t->file, "%s%s%s\n", TRACE_HEADER, t->screen_columns ? SCREEN_COLUMNS : "",
            t->repo_columns ? REPO_COLUMNS : "");
    if (fflush(t->file) != 0) {
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot write its header: %s", path, strerror(errno));
        fclose(t->file);
        free(t);
        return rc;
    }
    *out = t;
    return EXH_OK;
}

/* Whether the trace's header (its first line not a '#' one) names the
 * columns `names` begins with: a resumed search writes the same columns. */
static int header_has(FILE *f, const char *names)
{
    char line[4096] = "", first[64];
    rewind(f);
    while (fgets(line, sizeof line, f) && line[0] == '#')
        continue;
    snprintf(first, sizeof first, "%.*s", (int)strcspn(names + 1, ","), names + 1);
    return strstr(line, first) != NULL;
}

int exh_trace_open_append(const char *path, int64_t *torn_bytes, exh_trace_writer **out,
                          exh_error *err)
{
    *out = NULL;
    *torn_bytes = 0;
    exh_trace_writer *t = writer_new(path);
    if (!t)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int fd = -1;
    struct stat st;
    int rc = open_locked(path, 0, &fd, err);
    if (rc == 0 && (fstat(fd, &st) != 0 || !(t->file = fdopen(fd, "r+"))))
        rc = exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc == 0 && st.st_size == 0)
        rc = exh_error_set(err, EXH_ERR_INVALID, "%s: empty: there is no trace to resume", path);
    if (rc < 0) {
        if (t->file)
            fclose(t->file);
        else if (fd >= 0)
            close(fd);
        free(t);
        return rc;
    }
    /* Cut a torn last line: a record is complete only with its newline, so
     * bytes after the last one are a record the killed (or out of space)
     * writer never finished. It is not in the trace; the search proposes
     * that job afresh. */
    long end = (long)st.st_size, keep = end;
    while (keep > 0) {
        fseek(t->file, keep - 1, SEEK_SET);
        if (fgetc(t->file) == '\n')
            break;
        keep--;
    }
    if (keep < end && (ftruncate(fd, keep) != 0 || fsync(fd) != 0)) {
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot cut its torn last line: %s", path,
                           strerror(errno));
        fclose(t->file);
        free(t);
        return rc;
    }
    *torn_bytes = end - keep;
    t->screen_columns = header_has(t->file, SCREEN_COLUMNS);
    t->repo_columns = header_has(t->file, REPO_COLUMNS);
    fseek(t->file, 0, SEEK_END);
    *out = t;
    return EXH_OK;
}

void exh_trace_set_durable(exh_trace_writer *t, int durable)
{
    t->durable = durable;
}

void exh_trace_attach_store(exh_trace_writer *t, exh_trace_store *store)
{
    t->store = store;
}

/* One CSV line, built by hand: fprintf's format parsing was a third of a
 * search's time once the doubles were fast (number_format). */
typedef struct line {
    char text[EXH_ARCH_MAX_TOKENS * 13 + 1024]; /* the tokens, then 22 fields */
    size_t length;
} line;

static void put_text(line *l, const char *text)
{
    size_t n = strlen(text);
    memcpy(l->text + l->length, text, n);
    l->length += n;
}

/* The digits of value, as "%lld" writes them. */
static void put_int(line *l, int64_t value)
{
    char digits[24];
    int n = 0;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        l->text[l->length++] = '-';
    while (n > 0)
        l->text[l->length++] = digits[--n];
}

/* ',' then value (number_format, or its copy in the cache), or ',' then
 * `missing` when it is NaN. */
static void put_number(cached_number *cache, line *l, double value, const char *missing)
{
    l->text[l->length++] = ',';
    if (isnan(value) && missing) {
        put_text(l, missing);
        return;
    }
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    cached_number *c = &cache[(bits * 0x9E3779B97F4A7C15ULL) >> (64 - NUMBER_CACHE_BITS)];
    if (c->length && c->bits == bits) {
        memcpy(l->text + l->length, c->text, c->length);
        l->length += c->length;
        return;
    }
    char *out = l->text + l->length;
    number_format(value, out, 32);
    size_t n = strlen(out);
    if (n <= sizeof c->text) {
        c->bits = bits;
        c->length = (uint8_t)n;
        memcpy(c->text, out, n);
    }
    l->length += n;
}

static void put_comma_int(line *l, int64_t value)
{
    l->text[l->length++] = ',';
    put_int(l, value);
}

static int append_csv(exh_trace_writer *t, const exh_trace_record *r, exh_error *err)
{
    if (r->arch_length < 0 || r->arch_length > EXH_ARCH_MAX_TOKENS)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: job %lld: architecture length %d", t->path,
                             (long long)r->job_id, r->arch_length);
    line l;
    l.length = 0;
    /* arch_seq as DeepHyper writes it: a quoted Python list. */
    put_int(&l, r->job_id);
    put_text(&l, ",\"[");
    for (int i = 0; i < r->arch_length; i++) {
        if (i)
            put_text(&l, ", ");
        put_int(&l, r->arch_token[i]);
    }
    put_text(&l, "]\"");
    /* Doubles in their shortest exact form: 36.028, not 36.027999999999999;
     * "F" is DeepHyper's marker for a failed objective. */
    put_number(t->numbers, &l, r->quality, "F");
    put_number(t->numbers, &l, r->submit_time, NULL);
    put_number(t->numbers, &l, r->start_time, NULL);
    put_number(t->numbers, &l, r->end_time, NULL);
    int status = r->status >= 0 && r->status < 3 ? r->status : 1;
    int64_t ints[] = {r->worker, r->parent_id, r->donor_id, r->prefix_length,
                      r->mutated_position};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        put_comma_int(&l, ints[i]);
    put_text(&l, ",");
    put_text(&l, STATUS_NAMES[status]);
    put_number(t->numbers, &l, r->cost_seconds, NULL);
    put_comma_int(&l, r->donor_run_id);
    if (t->screen_columns) {
        put_comma_int(&l, r->screened);
        put_number(t->numbers, &l, r->predicted, ""); /* empty: not predicted (pandas reads NaN) */
    }
    if (t->repo_columns && r->repo_fast_hits < 0) {
        put_text(&l, ",,,,,,,"); /* the job saved no manifest: pandas reads NaN */
    } else if (t->repo_columns) {
        int64_t counts[] = {r->repo_fast_hits, r->repo_store_reads, r->repo_fast_bytes,
                            r->repo_store_bytes, r->repo_write_bytes};
        for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
            put_comma_int(&l, counts[i]);
        put_number(t->numbers, &l, r->repo_seconds, NULL);
        put_comma_int(&l, r->repo_error);
    }
    l.text[l.length++] = '\n';
    fwrite(l.text, 1, l.length, t->file);
    if (t->durable && (fflush(t->file) != 0 || fsync(fileno(t->file)) != 0))
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot write the trace: %s", t->path,
                             strerror(errno));
    return ferror(t->file) ? exh_error_set(err, EXH_ERR_IO, "%s: write error", t->path) : EXH_OK;
}

int exh_trace_append(exh_trace_writer *t, const exh_trace_record *r, exh_error *err)
{
    /* The CSV first: it is what --resume reads; a resume backfills the store. */
    if (t->file) {
        int rc = append_csv(t, r, err);
        if (rc < 0)
            return rc;
    }
    if (!t->store)
        return EXH_OK;
    /* The CSV is the record of truth: a store that fails (busy ones only
     * queue, see trace_store.c) is set aside, not the search stopped. */
    exh_error store_err;
    if (exh_trace_store_append(t->store, r, &store_err) < 0) {
        snprintf(t->store_error, sizeof t->store_error, "%s", store_err.message);
        t->store = NULL;
    }
    return EXH_OK;
}

const char *exh_trace_store_error(const exh_trace_writer *t)
{
    return t && t->store_error[0] ? t->store_error : NULL;
}

int exh_trace_close(exh_trace_writer *t, exh_error *err)
{
    if (!t)
        return EXH_OK;
    int failed = t->file && fclose(t->file) != 0;
    int rc = failed ? exh_error_set(err, EXH_ERR_IO, "%s: cannot close the trace", t->path) : EXH_OK;
    free(t);
    return rc;
}
