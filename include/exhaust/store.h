/*
 * store.h — the log store: runs and their epochs in one SQLite file.
 *
 * The schema is versioned (PRAGMA user_version): a new or empty file gets the
 * schema, a store from a newer exhaust is refused. The store runs in WAL mode
 * with foreign keys on. Writers
 * wrap their work in exh_store_begin / exh_store_commit so that a failure half-way
 * (exh_store_rollback) leaves the file exactly as before.
 *
 * Runs are unique by `key`: storing a run whose key exists replaces it (and its
 * epochs and parameters), so ingesting the same file twice changes nothing.
 *
 * Tables: runs(id, key, space, arch, arch_sequence, dataset, seed, status,
 * source), run_params(run_id, position, key, value) and epochs(run_id, epoch,
 * the seven metrics of run.h); a missing metric or seed is NULL. Metrics read
 * back bit for bit, except that -0.0 reads back as 0.0 (SQLite keeps no sign
 * of zero).
 */
#ifndef EXHAUST_STORE_H
#define EXHAUST_STORE_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/run.h"

#define EXH_STORE_DEFAULT_PATH "exhaust.db"
#define EXH_STORE_SCHEMA_VERSION 1

typedef struct exh_store exh_store;

EXH_API int exh_store_open(const char *path, exh_store **out, exh_error *err);
/* Open an existing store for reading only (SQLITE_OPEN_READONLY): no schema
 * is created, the journal mode is left as it is (no switch to WAL), and a
 * store in a read-only folder can be read. Writing through it fails. */
EXH_API int exh_store_open_readonly(const char *path, exh_store **out, exh_error *err);
EXH_API void exh_store_close(exh_store *s);

EXH_API int exh_store_begin(exh_store *s, exh_error *err);
EXH_API int exh_store_commit(exh_store *s, exh_error *err);
EXH_API int exh_store_rollback(exh_store *s);

/* Insert or replace the run with r->key; sets r->id. Outside a transaction
 * the replacement is all-or-nothing; inside exh_store_begin a failure leaves the
 * transaction for the caller to exh_store_rollback. */
EXH_API int exh_store_put_run(exh_store *s, exh_run *r, exh_error *err);

/* Load one run with its params and epochs (sorted by epoch). `name` is the
 * numeric id or the key. out must be exh_run_init'ed; the caller exh_run_clear's it. */
EXH_API int exh_store_get_run(exh_store *s, const char *name, exh_run *out, exh_error *err);

typedef struct exh_run_filter {
    const char *space;   /* NULL: any */
    const char *dataset; /* NULL: any */
    const char *arch;    /* canonical text; NULL: any */
    const char *status;  /* NULL: any */
    int with_epochs;     /* load params and epochs too (slower) */
    int64_t limit;       /* 0: no limit */
} exh_run_filter;

/* Call visit for each matching run in id order; a non-zero return from visit
 * stops the walk and is returned. The run passed is valid only during the call. */
typedef int (*exh_run_visitor)(const exh_run *r, void *context);
EXH_API int exh_store_each_run(exh_store *s, const exh_run_filter *filter, exh_run_visitor visit, void *context,
                               exh_error *err);
EXH_API int exh_store_count_runs(exh_store *s, const exh_run_filter *filter, int64_t *count, exh_error *err);

/* Counts grouped by space, dataset and status, for summaries, sorted by
 * those three. The strings are NULL where the runs do not say; free the array
 * with exh_store_summary_free. */
typedef struct exh_store_group_count {
    char *space, *dataset, *status;
    int64_t runs, epochs;
} exh_store_group_count;
EXH_API int exh_store_summary(exh_store *s, exh_store_group_count **groups, int *group_count, exh_error *err);
EXH_API void exh_store_summary_free(exh_store_group_count *groups, int group_count);

/* The underlying connection, for modules (search traces, predict) that add
 * their own tables. */
EXH_API struct sqlite3 *exh_store_database(exh_store *s);

#endif
