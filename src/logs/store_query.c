/* store_query.c — reading runs back: one by name, filtered walks, summaries. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/store_internal.h"

static int set_column_text(char **field, sqlite3_stmt *statement, int column)
{
    return exh_run_set(field, (const char *)sqlite3_column_text(statement, column));
}

/* Fill r's identity fields from a row selected with STORE_RUN_COLUMNS. */
static int read_run_columns(sqlite3_stmt *statement, exh_run *r)
{
    r->id = sqlite3_column_int64(statement, 0);
    int rc = set_column_text(&r->key, statement, 1) | set_column_text(&r->space, statement, 2) |
             set_column_text(&r->arch, statement, 3) |
             set_column_text(&r->arch_sequence, statement, 4) |
             set_column_text(&r->dataset, statement, 5) |
             set_column_text(&r->status, statement, 7) | set_column_text(&r->source, statement, 8);
    r->has_seed = sqlite3_column_type(statement, 6) != SQLITE_NULL;
    r->seed = r->has_seed ? sqlite3_column_int64(statement, 6) : 0;
    return rc ? EXH_ERR_NOMEM : EXH_OK;
}

static double column_metric(sqlite3_stmt *statement, int column)
{
    return sqlite3_column_type(statement, column) == SQLITE_NULL
               ? NAN
               : sqlite3_column_double(statement, column);
}

static int read_params_and_epochs(exh_store *s, exh_run *r, exh_error *err)
{
    sqlite3_stmt *statement = store_statement(s, STATEMENT_PARAMS_OF_RUN, err);
    if (!statement)
        return EXH_ERR_STORE;
    sqlite3_bind_int64(statement, 1, r->id);
    while (sqlite3_step(statement) == SQLITE_ROW)
        if (exh_run_add_param(r, (const char *)sqlite3_column_text(statement, 0),
                              (const char *)sqlite3_column_text(statement, 1)) < 0)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading run %s", r->key);
    statement = store_statement(s, STATEMENT_EPOCHS_OF_RUN, err);
    if (!statement)
        return EXH_ERR_STORE;
    sqlite3_bind_int64(statement, 1, r->id);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        exh_epoch_record row;
        row.epoch = sqlite3_column_int(statement, 0);
        row.train_accuracy = column_metric(statement, 1);
        row.train_loss = column_metric(statement, 2);
        row.val_accuracy = column_metric(statement, 3);
        row.val_loss = column_metric(statement, 4);
        row.test_accuracy = column_metric(statement, 5);
        row.test_loss = column_metric(statement, 6);
        row.epoch_seconds = column_metric(statement, 7);
        if (exh_run_add_epoch(r, &row) < 0)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading run %s", r->key);
    }
    return EXH_OK;
}

static int is_number(const char *text)
{
    if (!*text)
        return 0;
    for (const char *p = text; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

int exh_store_get_run(exh_store *s, const char *name, exh_run *out, exh_error *err)
{
    /* A key wins over an id: keys like "17" are possible in user files. */
    sqlite3_stmt *statement = store_statement(s, STATEMENT_RUN_BY_KEY, err);
    if (!statement)
        return EXH_ERR_STORE;
    sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
    int found = sqlite3_step(statement) == SQLITE_ROW;
    if (!found && is_number(name)) {
        statement = store_statement(s, STATEMENT_RUN_BY_ID, err);
        if (!statement)
            return EXH_ERR_STORE;
        sqlite3_bind_int64(statement, 1, strtoll(name, NULL, 10));
        found = sqlite3_step(statement) == SQLITE_ROW;
    }
    if (!found)
        return exh_error_set(err, EXH_ERR_NOT_FOUND, "%s: no run with id or key '%s'", s->path, name);
    int rc = read_run_columns(statement, out);
    sqlite3_reset(statement);
    if (rc < 0)
        return exh_error_set(err, rc, "out of memory reading run '%s'", name);
    return read_params_and_epochs(s, out, err);
}

/* Build "WHERE ..." for a filter; the values are bound in the same order by
 * bind_filter. */
static void filter_sql(const exh_run_filter *filter, char *sql, size_t size, const char *select)
{
    const char *names[4] = {"space", "dataset", "arch", "status"};
    const char *values[4] = {0};
    if (filter) {
        values[0] = filter->space;
        values[1] = filter->dataset;
        values[2] = filter->arch;
        values[3] = filter->status;
    }
    size_t used = (size_t)snprintf(sql, size, "%s", select);
    int first = 1;
    for (int i = 0; i < 4; i++) {
        if (!values[i])
            continue;
        used += (size_t)snprintf(sql + used, size - used, "%s %s = ?", first ? " WHERE" : " AND",
                                 names[i]);
        first = 0;
    }
}

static void bind_filter(sqlite3_stmt *statement, const exh_run_filter *filter)
{
    if (!filter)
        return;
    const char *values[4] = {filter->space, filter->dataset, filter->arch, filter->status};
    int index = 1;
    for (int i = 0; i < 4; i++)
        if (values[i])
            sqlite3_bind_text(statement, index++, values[i], -1, SQLITE_STATIC);
}

int exh_store_each_run(exh_store *s, const exh_run_filter *filter, exh_run_visitor visit, void *context,
                       exh_error *err)
{
    char sql[512];
    filter_sql(filter, sql, sizeof sql, "SELECT " STORE_RUN_COLUMNS " FROM runs");
    size_t used = strlen(sql);
    snprintf(sql + used, sizeof sql - used, " ORDER BY id");
    if (filter && filter->limit > 0) {
        used = strlen(sql);
        snprintf(sql + used, sizeof sql - used, " LIMIT %lld", (long long)filter->limit);
    }
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot list runs");
    bind_filter(statement, filter);
    int rc = EXH_OK;
    exh_run r;
    exh_run_init(&r);
    int step;
    while (rc == 0 && (step = sqlite3_step(statement)) == SQLITE_ROW) {
        rc = read_run_columns(statement, &r);
        if (rc == 0 && filter && filter->with_epochs)
            rc = read_params_and_epochs(s, &r, err);
        if (rc == 0)
            rc = visit(&r, context);
        exh_run_clear(&r);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_error(s, err, "cannot list runs");
    sqlite3_finalize(statement);
    return rc;
}

int exh_store_count_runs(exh_store *s, const exh_run_filter *filter, int64_t *count, exh_error *err)
{
    char sql[512];
    filter_sql(filter, sql, sizeof sql, "SELECT count(*) FROM runs");
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot count runs");
    bind_filter(statement, filter);
    *count = 0;
    int rc = EXH_OK;
    if (sqlite3_step(statement) == SQLITE_ROW)
        *count = sqlite3_column_int64(statement, 0);
    else
        rc = store_sqlite_error(s, err, "cannot count runs");
    sqlite3_finalize(statement);
    return rc;
}

static int copy_column(char **out, sqlite3_stmt *statement, int column)
{
    *out = NULL;
    return exh_run_set(out, (const char *)sqlite3_column_text(statement, column));
}

void exh_store_summary_free(exh_store_group_count *groups, int group_count)
{
    for (int i = 0; i < group_count; i++) {
        free(groups[i].space);
        free(groups[i].dataset);
        free(groups[i].status);
    }
    free(groups);
}

/* Append one zeroed group to *groups; NULL when out of memory. */
static exh_store_group_count *summary_append(exh_store_group_count **groups, int *group_count,
                                             int *capacity)
{
    if (*group_count == *capacity) {
        int grown_capacity = *capacity ? *capacity * 2 : 16;
        exh_store_group_count *grown = realloc(*groups, sizeof *grown * (size_t)grown_capacity);
        if (!grown)
            return NULL;
        *groups = grown;
        *capacity = grown_capacity;
    }
    exh_store_group_count *g = &(*groups)[(*group_count)++];
    memset(g, 0, sizeof *g);
    return g;
}

int exh_store_summary(exh_store *s, exh_store_group_count **groups, int *group_count, exh_error *err)
{
    *groups = NULL;
    *group_count = 0;
    const char *sql =
        "SELECT r.space, r.dataset, r.status, count(*), coalesce(sum(e.rows), 0) FROM runs r "
        "LEFT JOIN (SELECT run_id, count(*) AS rows FROM epochs GROUP BY run_id) e "
        "ON e.run_id = r.id GROUP BY r.space, r.dataset, r.status "
        "ORDER BY r.space, r.dataset, r.status";
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &statement, NULL) != SQLITE_OK)
        return store_sqlite_error(s, err, "cannot summarise");
    int capacity = 0, step = SQLITE_DONE, rc = EXH_OK;
    while (rc == 0 && (step = sqlite3_step(statement)) == SQLITE_ROW) {
        exh_store_group_count *g = summary_append(groups, group_count, &capacity);
        if (!g || copy_column(&g->space, statement, 0) | copy_column(&g->dataset, statement, 1) |
                      copy_column(&g->status, statement, 2)) {
            rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory summarising", s->path);
            break;
        }
        g->runs = sqlite3_column_int64(statement, 3);
        g->epochs = sqlite3_column_int64(statement, 4);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_error(s, err, "cannot summarise");
    sqlite3_finalize(statement);
    if (rc < 0) {
        exh_store_summary_free(*groups, *group_count);
        *groups = NULL;
        *group_count = 0;
    }
    return rc;
}
