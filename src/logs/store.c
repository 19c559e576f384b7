/* store.c — opening the SQLite log store, its schema, transactions, writes. */
#include "logs/store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SCHEMA =
    "CREATE TABLE IF NOT EXISTS runs ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  space TEXT, arch TEXT, arch_sequence TEXT, dataset TEXT,"
    "  seed INTEGER, status TEXT NOT NULL DEFAULT 'ok', source TEXT);"
    "CREATE TABLE IF NOT EXISTS run_params ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, position));"
    "CREATE TABLE IF NOT EXISTS epochs ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  epoch INTEGER NOT NULL,"
    "  train_accuracy REAL, train_loss REAL, val_accuracy REAL, val_loss REAL,"
    "  test_accuracy REAL, test_loss REAL, epoch_seconds REAL,"
    "  PRIMARY KEY (run_id, epoch)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS runs_by_arch ON runs(space, arch);"
    "CREATE INDEX IF NOT EXISTS runs_by_sequence ON runs(space, arch_sequence);"
    "CREATE INDEX IF NOT EXISTS runs_by_dataset ON runs(dataset, space);";

int store_sqlite_error(exh_store *s, exh_error *err, const char *what)
{
    return exh_error_set(err, EXH_ERR_STORE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int create_or_check_schema(exh_store *s, exh_error *err)
{
    sqlite3_stmt *statement = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &statement, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "not an exhaust store (cannot read its version)");
    if (sqlite3_step(statement) == SQLITE_ROW)
        version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    if (version > EXH_STORE_SCHEMA_VERSION)
        return exh_error_set(err, EXH_ERR_STORE,
                             "%s: store schema version %d is newer than this exhaust (%d); "
                             "upgrade exhaust",
                             s->path, version, EXH_STORE_SCHEMA_VERSION);
    if (version == EXH_STORE_SCHEMA_VERSION)
        return EXH_OK;
    /* Version 0 is a new (or foreign) file: create the schema in one go. */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", EXH_STORE_SCHEMA_VERSION);
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = store_sqlite_error(s, err, "cannot create the schema");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot create the schema");
    return EXH_OK;
}

int exh_store_open(const char *path, exh_store **out, exh_error *err)
{
    *out = NULL;
    exh_store *s = calloc(1, sizeof *s + strlen(path) + 1);
    if (!s)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening %s", path);
    s->path = (char *)(s + 1);
    strcpy(s->path, path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        int rc = store_sqlite_error(s, err, "cannot open");
        exh_store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* journal_mode is the first statement that reads the file: a file that is
     * not SQLite fails here with "file is not a database". */
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", NULL, NULL,
                     NULL) != SQLITE_OK) {
        int rc = store_sqlite_error(s, err, "cannot use as a store");
        exh_store_close(s);
        return rc;
    }
    int rc = create_or_check_schema(s, err);
    if (rc < 0) {
        exh_store_close(s);
        return rc;
    }
    *out = s;
    return EXH_OK;
}

/* The schema version, or -1 when the file cannot be read as SQLite. */
static int read_version(exh_store *s)
{
    sqlite3_stmt *statement = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &statement, NULL) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
        version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    return version;
}

static int open_readonly_as(exh_store *s, const char *name)
{
    sqlite3_close(s->db);
    s->db = NULL;
    if (sqlite3_open_v2(name, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(s->db, 5000);
    return read_version(s);
}

int exh_store_open_readonly(const char *path, exh_store **out, exh_error *err)
{
    *out = NULL;
    exh_store *s = calloc(1, sizeof *s + strlen(path) + 1);
    if (!s)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening %s", path);
    s->path = (char *)(s + 1);
    strcpy(s->path, path);
    /* As a URI so that a name with '?' or '%' stays a name. */
    size_t size = 3 * strlen(path) + 32;
    char *uri = malloc(size);
    if (!uri) {
        free(s);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening %s", path);
    }
    size_t n = (size_t)snprintf(uri, size, "file:");
    for (const char *p = path; *p; p++)
        n += (size_t)(strchr("?#%", *p) ? snprintf(uri + n, size - n, "%%%02X", (unsigned char)*p)
                                        : snprintf(uri + n, size - n, "%c", *p));
    int version = open_readonly_as(s, uri);
    if (version < 0 && sqlite3_errcode(s->db) == SQLITE_CANTOPEN) {
        /* A WAL store in a folder we may not write: SQLite cannot make the
         * -shm file. Nobody can be writing it there; read it as immutable. */
        snprintf(uri + n, size - n, "?immutable=1");
        version = open_readonly_as(s, uri);
    }
    free(uri);
    int rc = EXH_OK;
    if (version < 0)
        rc = store_sqlite_error(s, err, "cannot read as a store");
    else if (version != EXH_STORE_SCHEMA_VERSION)
        rc = exh_error_set(err, EXH_ERR_STORE, "%s: store schema version %d, this exhaust reads %d",
                           path, version, EXH_STORE_SCHEMA_VERSION);
    if (rc < 0) {
        exh_store_close(s);
        return rc;
    }
    *out = s;
    return EXH_OK;
}

void exh_store_close(exh_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STORE_STATEMENT_COUNT; i++)
        sqlite3_finalize(s->statements[i]);
    sqlite3_close(s->db);
    free(s);
}

struct sqlite3 *exh_store_database(exh_store *s)
{
    return s->db;
}

int exh_store_begin(exh_store *s, exh_error *err)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot begin a transaction");
    return EXH_OK;
}

int exh_store_commit(exh_store *s, exh_error *err)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot commit");
    return EXH_OK;
}

int exh_store_rollback(exh_store *s)
{
    return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? EXH_OK
                                                                           : EXH_ERR_STORE;
}

static const char *const STATEMENT_SQL[STORE_STATEMENT_COUNT] = {
    [STATEMENT_DELETE_RUN] = "DELETE FROM runs WHERE key = ?1",
    [STATEMENT_INSERT_RUN] = "INSERT INTO runs(key, space, arch, arch_sequence, dataset, seed, "
                             "status, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [STATEMENT_INSERT_PARAM] =
        "INSERT INTO run_params(run_id, position, key, value) VALUES (?1, ?2, ?3, ?4)",
    [STATEMENT_INSERT_EPOCH] =
        "INSERT OR REPLACE INTO epochs(run_id, epoch, train_accuracy, train_loss, val_accuracy, "
        "val_loss, test_accuracy, test_loss, epoch_seconds) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [STATEMENT_RUN_BY_ID] = "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE id = ?1",
    [STATEMENT_RUN_BY_KEY] = "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE key = ?1",
    [STATEMENT_PARAMS_OF_RUN] =
        "SELECT key, value FROM run_params WHERE run_id = ?1 ORDER BY position",
    [STATEMENT_EPOCHS_OF_RUN] =
        "SELECT epoch, train_accuracy, train_loss, val_accuracy, val_loss, test_accuracy, "
        "test_loss, epoch_seconds FROM epochs WHERE run_id = ?1 ORDER BY epoch",
    [STATEMENT_SAVEPOINT] = "SAVEPOINT put_run",
    [STATEMENT_RELEASE] = "RELEASE put_run",
    [STATEMENT_ROLLBACK_TO] = "ROLLBACK TO put_run",
};

sqlite3_stmt *store_statement(exh_store *s, store_statement_id id, exh_error *err)
{
    if (!s->statements[id] &&
        sqlite3_prepare_v2(s->db, STATEMENT_SQL[id], -1, &s->statements[id], NULL) != SQLITE_OK) {
        store_sqlite_error(s, err, "cannot prepare a statement");
        return NULL;
    }
    sqlite3_reset(s->statements[id]);
    sqlite3_clear_bindings(s->statements[id]);
    return s->statements[id];
}

static void bind_text(sqlite3_stmt *statement, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(statement, index);
}

static void bind_metric(sqlite3_stmt *statement, int index, double value)
{
    if (exh_metric_present(value))
        sqlite3_bind_double(statement, index, value);
    else
        sqlite3_bind_null(statement, index);
}

static int step_done(exh_store *s, sqlite3_stmt *statement, exh_error *err, const char *what)
{
    if (sqlite3_step(statement) != SQLITE_DONE)
        return store_sqlite_error(s, err, what);
    return EXH_OK;
}

static int insert_params(exh_store *s, const exh_run *r, exh_error *err)
{
    for (size_t i = 0; i < r->param_count; i++) {
        sqlite3_stmt *statement = store_statement(s, STATEMENT_INSERT_PARAM, err);
        if (!statement)
            return EXH_ERR_STORE;
        sqlite3_bind_int64(statement, 1, r->id);
        sqlite3_bind_int64(statement, 2, (sqlite3_int64)i);
        bind_text(statement, 3, r->params[i].key);
        bind_text(statement, 4, r->params[i].value ? r->params[i].value : "");
        int rc = step_done(s, statement, err, "cannot store a parameter");
        if (rc < 0)
            return rc;
    }
    return EXH_OK;
}

static int insert_epochs(exh_store *s, const exh_run *r, exh_error *err)
{
    for (size_t i = 0; i < r->epoch_count; i++) {
        const exh_epoch_record *row = &r->epochs[i];
        sqlite3_stmt *statement = store_statement(s, STATEMENT_INSERT_EPOCH, err);
        if (!statement)
            return EXH_ERR_STORE;
        sqlite3_bind_int64(statement, 1, r->id);
        sqlite3_bind_int(statement, 2, row->epoch);
        const double values[EXH_EPOCH_METRIC_COUNT] = {
            row->train_accuracy, row->train_loss, row->val_accuracy, row->val_loss,
            row->test_accuracy,  row->test_loss,  row->epoch_seconds,
        };
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
            bind_metric(statement, 3 + m, values[m]);
        int rc = step_done(s, statement, err, "cannot store an epoch row");
        if (rc < 0)
            return rc;
    }
    return EXH_OK;
}

/* Delete the run with r->key (its params and epochs go by cascade), then
 * insert r. */
static int replace_run(exh_store *s, exh_run *r, exh_error *err)
{
    sqlite3_stmt *statement = store_statement(s, STATEMENT_DELETE_RUN, err);
    if (!statement)
        return EXH_ERR_STORE;
    bind_text(statement, 1, r->key);
    int rc = step_done(s, statement, err, "cannot replace a run");
    if (rc < 0)
        return rc;
    statement = store_statement(s, STATEMENT_INSERT_RUN, err);
    if (!statement)
        return EXH_ERR_STORE;
    bind_text(statement, 1, r->key);
    bind_text(statement, 2, r->space);
    bind_text(statement, 3, r->arch);
    bind_text(statement, 4, r->arch_sequence);
    bind_text(statement, 5, r->dataset);
    if (r->has_seed)
        sqlite3_bind_int64(statement, 6, r->seed);
    else
        sqlite3_bind_null(statement, 6);
    bind_text(statement, 7, r->status ? r->status : EXH_RUN_STATUS_OK);
    bind_text(statement, 8, r->source);
    rc = step_done(s, statement, err, "cannot store a run");
    if (rc < 0)
        return rc;
    r->id = sqlite3_last_insert_rowid(s->db);
    rc = insert_params(s, r, err);
    if (rc == 0)
        rc = insert_epochs(s, r, err);
    return rc;
}

static int run_statement(exh_store *s, store_statement_id id, exh_error *err, const char *what)
{
    sqlite3_stmt *statement = store_statement(s, id, err);
    if (!statement)
        return EXH_ERR_STORE;
    int rc = step_done(s, statement, err, what);
    sqlite3_reset(statement);
    return rc;
}

int exh_store_put_run(exh_store *s, exh_run *r, exh_error *err)
{
    if (!r->key || !*r->key)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: a run needs a key",
                             r->source ? r->source : "run");
    /* Inside store_begin the caller rolls back on failure, and a savepoint
     * per run would triple an ingest's time (SQLite journals each page it
     * touches again); alone, a savepoint makes the replacement all-or-nothing. */
    if (!sqlite3_get_autocommit(s->db))
        return replace_run(s, r, err);
    int rc = run_statement(s, STATEMENT_SAVEPOINT, err, "cannot start storing a run");
    if (rc < 0)
        return rc;
    rc = replace_run(s, r, err);
    if (rc < 0) {
        run_statement(s, STATEMENT_ROLLBACK_TO, NULL, "cannot undo a half-stored run");
        run_statement(s, STATEMENT_RELEASE, NULL, "cannot undo a half-stored run");
        r->id = 0;
        return rc;
    }
    return run_statement(s, STATEMENT_RELEASE, err, "cannot finish storing a run");
}
