/* trace_store.c — search traces in the SQLite log store (see trace.h).
 *
 * The CSV trace is the record of truth; the store is a copy. So the store
 * never stops a search: when another process (an ingest) holds the
 * database's write lock, records wait in memory and are written with the
 * next one that gets through, or at trace_store_flush; whatever is still
 * waiting at the end, a --resume of the trace backfills. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/store.h"
#include "exhaust/trace.h"

struct exh_trace_store {
    sqlite3 *db;
    sqlite3_stmt *insert;      /* NULL until the search's rows are set up */
    char *search, *parameters;
    int continuing;
    exh_trace_record *pending;     /* records waiting for the lock, oldest first */
    int64_t pending_count, pending_capacity;
    double next_try;           /* while busy: no new attempt before (monotonic s) */
};

/* While the store is busy, try again at most this often: each try may wait
 * TRACE_STORE_WAIT_MS, so a long ingest costs the search at most 5%. */
#define TRACE_STORE_RETRY_SECONDS 1.0

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* How long one write waits for another process's lock before the record is
 * queued instead: short, so a busy store never slows the search down. */
#define TRACE_STORE_WAIT_MS 50

static int busy(int code)
{
    code &= 0xff; /* extended codes (SQLITE_BUSY_SNAPSHOT, ...) */
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS searches (name TEXT PRIMARY KEY, parameters TEXT,"
    "  created TEXT DEFAULT (datetime('now')));"
    "CREATE TABLE IF NOT EXISTS trace_records ("
    "  search TEXT NOT NULL REFERENCES searches(name) ON DELETE CASCADE,"
    "  job_id INTEGER NOT NULL, worker INTEGER, timestamp_submit REAL, timestamp_start REAL,"
    "  timestamp_gather REAL, arch_seq TEXT NOT NULL, objective REAL, cost REAL,"
    "  parent_id INTEGER, donor_id INTEGER, prefix_len INTEGER, mutated_position INTEGER,"
    "  status TEXT NOT NULL, donor_run_id INTEGER, PRIMARY KEY (search, job_id));";

static int fail(exh_trace_store *t, exh_error *err, const char *what)
{
    return exh_error_set(err, EXH_ERR_STORE, "trace store: %s: %s", what, sqlite3_errmsg(t->db));
}

static int begin_search(exh_trace_store *t, const char *parameters, int continuing, exh_error *err)
{
    if (!continuing) { /* a new search of an old name starts empty */
        sqlite3_stmt *clear;
        if (sqlite3_prepare_v2(t->db, "DELETE FROM trace_records WHERE search = ?1", -1, &clear,
                               NULL) != SQLITE_OK)
            return fail(t, err, "cannot clear an old search");
        sqlite3_bind_text(clear, 1, t->search, -1, SQLITE_STATIC);
        int ok = sqlite3_step(clear) == SQLITE_DONE;
        sqlite3_finalize(clear);
        if (!ok)
            return fail(t, err, "cannot clear an old search");
    }
    sqlite3_stmt *replace;
    if (sqlite3_prepare_v2(t->db, "INSERT INTO searches(name, parameters) VALUES (?1, ?2) "
                                  "ON CONFLICT(name) DO UPDATE SET parameters = excluded.parameters",
                           -1, &replace, NULL) != SQLITE_OK)
        return fail(t, err, "cannot record the search");
    sqlite3_bind_text(replace, 1, t->search, -1, SQLITE_STATIC);
    sqlite3_bind_text(replace, 2, parameters ? parameters : "", -1, SQLITE_STATIC);
    int ok = sqlite3_step(replace) == SQLITE_DONE;
    sqlite3_finalize(replace);
    return ok ? EXH_OK : fail(t, err, "cannot record the search");
}

/* Tables, the search's row and the insert statement. 1 when done, 0 when
 * the store is busy (try again later), negative on a real error. */
static int set_up(exh_trace_store *t, exh_error *err)
{
    if (t->insert)
        return 1;
    int rc = sqlite3_exec(t->db, SCHEMA, NULL, NULL, NULL);
    if (busy(rc))
        return 0;
    if (rc != SQLITE_OK)
        return fail(t, err, "cannot create its tables");
    /* One transaction: a busy store leaves neither half done. */
    rc = sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (busy(rc))
        return 0;
    if (rc != SQLITE_OK)
        return fail(t, err, "cannot begin");
    exh_error local;
    rc = begin_search(t, t->parameters, t->continuing, &local);
    int code = sqlite3_extended_errcode(t->db);
    if (rc == 0 && sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return sqlite3_prepare_v2(t->db,
                                  "INSERT OR REPLACE INTO trace_records VALUES "
                                  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
                                  -1, &t->insert, NULL) == SQLITE_OK
                   ? 1
                   : fail(t, err, "cannot prepare");
    code = rc == 0 ? sqlite3_extended_errcode(t->db) : code;
    sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    if (busy(code))
        return 0;
    if (err)
        *err = local;
    return rc < 0 ? rc : fail(t, err, "cannot commit");
}

int exh_trace_store_open(exh_store *s, const char *search_name, const char *parameters,
                         int continuing, exh_trace_store **out, exh_error *err)
{
    *out = NULL;
    exh_trace_store *t = calloc(1, sizeof *t);
    if (!t || !(t->search = strdup(search_name)) ||
        !(t->parameters = strdup(parameters ? parameters : ""))) {
        if (t)
            free(t->search);
        free(t);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    t->db = exh_store_database(s);
    t->continuing = continuing;
    sqlite3_busy_timeout(t->db, TRACE_STORE_WAIT_MS);
    int rc = set_up(t, err); /* busy now: the first append that gets through does it */
    if (rc < 0) {
        exh_trace_store_close(t);
        return rc;
    }
    *out = t;
    return EXH_OK;
}

/* Write one record; SQLITE_DONE, or SQLite's code. */
static int insert(exh_trace_store *t, const exh_trace_record *r)
{
    static const char *const STATUS[] = {"ok", "failed", "timeout"};
    char sequence[EXH_ARCH_MAX_TOKENS * 12];
    exh_arch arch;
    exh_space_format_sequence(exh_trace_record_arch(r, &arch), sequence, sizeof sequence);
    sqlite3_stmt *st = t->insert;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, t->search, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->job_id);
    sqlite3_bind_int(st, 3, r->worker);
    sqlite3_bind_double(st, 4, r->submit_time);
    sqlite3_bind_double(st, 5, r->start_time);
    sqlite3_bind_double(st, 6, r->end_time);
    sqlite3_bind_text(st, 7, sequence, -1, SQLITE_TRANSIENT);
    if (isnan(r->quality))
        sqlite3_bind_null(st, 8);
    else
        sqlite3_bind_double(st, 8, r->quality);
    sqlite3_bind_double(st, 9, r->cost_seconds);
    sqlite3_bind_int64(st, 10, r->parent_id);
    sqlite3_bind_int64(st, 11, r->donor_id);
    sqlite3_bind_int(st, 12, r->prefix_length);
    sqlite3_bind_int(st, 13, r->mutated_position);
    sqlite3_bind_text(st, 14, STATUS[r->status >= 0 && r->status < 3 ? r->status : 1], -1,
                      SQLITE_STATIC);
    if (r->donor_run_id >= 0)
        sqlite3_bind_int64(st, 15, r->donor_run_id);
    else
        sqlite3_bind_null(st, 15);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

static int queue(exh_trace_store *t, const exh_trace_record *r, exh_error *err)
{
    if (t->pending_count == t->pending_capacity) {
        int64_t capacity = t->pending_capacity ? 2 * t->pending_capacity : 64;
        exh_trace_record *grown = realloc(t->pending, sizeof *grown * (size_t)capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "trace store: out of memory queueing a record");
        t->pending = grown;
        t->pending_capacity = capacity;
    }
    /* The caller's tokens may not outlive the search: the queue keeps a copy. */
    int32_t *tokens = malloc(sizeof *tokens * (size_t)(r->arch_length > 0 ? r->arch_length : 1));
    if (!tokens)
        return exh_error_set(err, EXH_ERR_NOMEM, "trace store: out of memory queueing a record");
    if (r->arch_length > 0)
        memcpy(tokens, r->arch_token, sizeof *tokens * (size_t)r->arch_length);
    t->pending[t->pending_count] = *r;
    t->pending[t->pending_count++].arch_token = tokens;
    return EXH_OK;
}

/* Write the queued records, oldest first, until the store is busy again. */
static int drain(exh_trace_store *t, exh_error *err)
{
    int ready = set_up(t, err);
    if (ready == 0)
        t->next_try = seconds_now() + TRACE_STORE_RETRY_SECONDS;
    if (ready <= 0)
        return ready;
    int64_t done = 0;
    int rc = SQLITE_DONE;
    while (done < t->pending_count) {
        rc = insert(t, &t->pending[done]);
        if (busy(rc)) {
            t->next_try = seconds_now() + TRACE_STORE_RETRY_SECONDS;
            rc = SQLITE_DONE;
            break;
        }
        if (rc != SQLITE_DONE)
            break;
        free((void *)t->pending[done].arch_token); /* queue()'s copy */
        done++;
    }
    memmove(t->pending, t->pending + done, sizeof *t->pending * (size_t)(t->pending_count - done));
    t->pending_count -= done;
    return rc == SQLITE_DONE ? EXH_OK : fail(t, err, "cannot append");
}

int exh_trace_store_append(exh_trace_store *t, const exh_trace_record *r, exh_error *err)
{
    int rc = queue(t, r, err);
    if (rc < 0)
        return rc;
    /* Busy a moment ago: queue without waiting again (order is kept). */
    if (t->pending_count > 1 && seconds_now() < t->next_try)
        return EXH_OK;
    return drain(t, err);
}

int64_t exh_trace_store_pending(const exh_trace_store *t)
{
    return t ? t->pending_count : 0;
}

int exh_trace_store_flush(exh_trace_store *t, double wait_seconds, exh_error *err)
{
    if (!t)
        return EXH_OK;
    /* Give the other process the time it needs, then go back to short waits. */
    sqlite3_busy_timeout(t->db, (int)(wait_seconds * 1000));
    int rc = drain(t, err);
    sqlite3_busy_timeout(t->db, TRACE_STORE_WAIT_MS);
    return rc;
}

void exh_trace_store_close(exh_trace_store *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->insert);
    for (int64_t i = 0; i < t->pending_count; i++)
        free((void *)t->pending[i].arch_token);
    free(t->pending);
    free(t->parameters);
    free(t->search);
    free(t);
}
