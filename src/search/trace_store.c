/* trace_store.c — search traces in the SQLite log store (see trace.h). */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/store.h"
#include "exhaust/trace.h"

struct trace_store {
    sqlite3 *db;
    sqlite3_stmt *insert;
    char *search;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS searches (name TEXT PRIMARY KEY, parameters TEXT,"
    "  created TEXT DEFAULT (datetime('now')));"
    "CREATE TABLE IF NOT EXISTS trace_records ("
    "  search TEXT NOT NULL REFERENCES searches(name) ON DELETE CASCADE,"
    "  job_id INTEGER NOT NULL, worker INTEGER, timestamp_submit REAL, timestamp_start REAL,"
    "  timestamp_gather REAL, arch_seq TEXT NOT NULL, objective REAL, cost REAL,"
    "  parent_id INTEGER, donor_id INTEGER, prefix_len INTEGER, mutated_position INTEGER,"
    "  status TEXT NOT NULL, donor_run_id INTEGER, PRIMARY KEY (search, job_id));";

static int fail(trace_store *t, exh_error *err, const char *what)
{
    return error_set(err, EXH_ERR_STORE, "trace store: %s: %s", what, sqlite3_errmsg(t->db));
}

static int begin_search(trace_store *t, const char *parameters, int continuing, exh_error *err)
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

int trace_store_open(store *s, const char *search_name, const char *parameters,
                     int continuing, trace_store **out, exh_error *err)
{
    *out = NULL;
    trace_store *t = calloc(1, sizeof *t);
    if (!t || !(t->search = strdup(search_name))) {
        free(t);
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    t->db = store_database(s);
    int rc = EXH_OK;
    if (sqlite3_exec(t->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(t, err, "cannot create its tables");
    if (rc == 0)
        rc = begin_search(t, parameters, continuing, err);
    if (rc == 0 &&
        sqlite3_prepare_v2(t->db,
                           "INSERT OR REPLACE INTO trace_records VALUES "
                           "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
                           -1, &t->insert, NULL) != SQLITE_OK)
        rc = fail(t, err, "cannot prepare");
    if (rc < 0) {
        trace_store_close(t);
        return rc;
    }
    *out = t;
    return EXH_OK;
}

int trace_store_append(trace_store *t, const trace_record *r, exh_error *err)
{
    static const char *const STATUS[] = {"ok", "failed", "timeout"};
    char sequence[ARCH_MAX_TOKENS * 12];
    space_format_sequence(&r->architecture, sequence, sizeof sequence);
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
    return sqlite3_step(st) == SQLITE_DONE ? EXH_OK : fail(t, err, "cannot append");
}

void trace_store_close(trace_store *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->insert);
    free(t->search);
    free(t);
}
