/* store_internal.h — what store.c and store_query.c share. */
#ifndef EXHAUST_STORE_INTERNAL_H
#define EXHAUST_STORE_INTERNAL_H

#include <sqlite3.h>

#include "exhaust/store.h"

typedef enum store_statement_id {
    STATEMENT_DELETE_RUN,
    STATEMENT_INSERT_RUN,
    STATEMENT_INSERT_PARAM,
    STATEMENT_INSERT_EPOCH,
    STATEMENT_RUN_BY_ID,
    STATEMENT_RUN_BY_KEY,
    STATEMENT_PARAMS_OF_RUN,
    STATEMENT_EPOCHS_OF_RUN,
    STATEMENT_SAVEPOINT,
    STATEMENT_RELEASE,
    STATEMENT_ROLLBACK_TO,
    STORE_STATEMENT_COUNT
} store_statement_id;

/* The run columns every query selects, in the order store_read_run expects. */
#define STORE_RUN_COLUMNS "id, key, space, arch, arch_sequence, dataset, seed, status, source"

struct exh_store {
    sqlite3 *db;
    char *path;
    /* Prepared once, reused: an ingest stores ~150,000 runs. */
    sqlite3_stmt *statements[STORE_STATEMENT_COUNT];
};

int store_sqlite_error(exh_store *s, exh_error *err, const char *what);
/* The cached statement, reset and with bindings cleared; NULL on error. */
sqlite3_stmt *store_statement(exh_store *s, store_statement_id id, exh_error *err);

#endif
