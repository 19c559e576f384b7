/* repo_index.c — index.db, the SQLite index of the manifests: which models
 * exist and their fields, for listing, donor lookup and sizes without
 * reading every manifest. The manifests are the truth; the index follows. */
#include "repo/repo_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_VERSION 2 /* 2: tensors.xxh3 */

static const char *const SCHEMA =
    "CREATE TABLE IF NOT EXISTS models ("
    "  id INTEGER PRIMARY KEY, space TEXT NOT NULL, arch TEXT NOT NULL,"
    "  arch_sequence TEXT NOT NULL, quality REAL, parent INTEGER NOT NULL,"
    "  donor INTEGER NOT NULL, prefix_len INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tensors ("
    "  model INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, name TEXT NOT NULL, dtype TEXT NOT NULL,"
    "  shape TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, xxh3 TEXT NOT NULL,"
    "  PRIMARY KEY (model, name)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS tensors_by_blob ON tensors(sha256);";

static int sql_error(exh_repo *r, exh_error *err, const char *what)
{
    return exh_error_set(err, EXH_ERR_STORE, "%s/index.db: %s: %s", r->path, what,
                         sqlite3_errmsg(r->db));
}

static int index_version(exh_repo *r)
{
    sqlite3_stmt *s = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return version;
}

int repo_index_open(exh_repo *r, exh_error *err)
{
    char path[REPO_PATH_MAX];
    snprintf(path, sizeof path, "%s/index.db", r->path);
    int flags = r->options.read_only ? SQLITE_OPEN_READONLY
                                     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &r->db, flags, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot open");
    sqlite3_busy_timeout(r->db, 10000);
    if (r->options.read_only)
        return EXH_OK;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", INDEX_VERSION);
    /* The index only mirrors the manifests: one of an older layout is dropped
     * and rebuilt from them (the reconcile that follows every open). */
    if (index_version(r) != INDEX_VERSION &&
        sqlite3_exec(r->db, "DROP TABLE IF EXISTS tensors; DROP TABLE IF EXISTS models;", NULL,
                     NULL, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot drop an index of an older layout");
    if (sqlite3_exec(r->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(r->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(r->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot create the schema");
    return EXH_OK;
}

static int insert_rows(exh_repo *r, const repo_manifest *m, exh_error *err)
{
    const exh_repo_model *d = &m->model;
    char sequence[EXH_SPACE_TEXT_MAX], shape[EXH_REPO_MAX_DIMS * 24];
    exh_space_format_sequence(&d->architecture, sequence, sizeof sequence);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO models VALUES (?,?,?,?,?,?,?,?)", -1, &s,
                           NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot index a model");
    sqlite3_bind_int64(s, 1, d->id);
    sqlite3_bind_text(s, 2, d->space, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, d->arch_text[0] ? d->arch_text : sequence, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, sequence, -1, SQLITE_STATIC);
    if (isfinite(d->quality))
        sqlite3_bind_double(s, 5, d->quality);
    sqlite3_bind_int64(s, 6, d->parent_id);
    sqlite3_bind_int64(s, 7, d->donor_id);
    sqlite3_bind_int(s, 8, d->prefix_length);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE ||
        sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO tensors VALUES (?,?,?,?,?,?,?,?)", -1, &s,
                           NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot index a model");
    for (int i = 0; i < m->count && rc != SQLITE_ERROR; i++) {
        const repo_entry *e = &m->entries[i];
        exh_repo_format_shape(e->ndim, e->shape, shape, sizeof shape);
        sqlite3_bind_int64(s, 1, d->id);
        sqlite3_bind_int(s, 2, e->position);
        sqlite3_bind_text(s, 3, e->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, exh_repo_dtype_name(e->dtype), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, shape, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 6, e->bytes);
        sqlite3_bind_text(s, 7, e->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, e->xxh3, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ERROR ? sql_error(r, err, "cannot index a tensor") : EXH_OK;
}

int repo_index_insert(exh_repo *r, const repo_manifest *m, exh_error *err)
{
    if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot begin");
    int rc = insert_rows(r, m, err);
    if (rc == EXH_OK && sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = sql_error(r, err, "cannot commit");
    if (rc < 0)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int repo_index_delete(exh_repo *r, int64_t id, exh_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db, "DELETE FROM models WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot delete a model");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? EXH_OK : sql_error(r, err, "cannot delete a model");
}

int64_t repo_index_ids(exh_repo *r, int64_t **ids, exh_error *err)
{
    *ids = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT id FROM models ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot list the models");
    int64_t count = 0, capacity = 0;
    int step = SQLITE_DONE, rc = EXH_OK;
    while (rc == EXH_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
        if (repo_ids_push(ids, &count, &capacity, sqlite3_column_int64(s, 0)) < 0)
            rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory listing models");
    if (rc == EXH_OK && step != SQLITE_DONE)
        rc = sql_error(r, err, "cannot list the models");
    sqlite3_finalize(s);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        return rc;
    }
    return count;
}

int64_t repo_index_candidates(exh_repo *r, repo_candidate **out, exh_error *err)
{
    *out = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT id, quality, arch_sequence FROM models ORDER BY id", -1,
                           &s, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot list the models");
    int64_t count = 0, capacity = 0;
    int rc = EXH_OK, step = SQLITE_DONE;
    while (rc == EXH_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            repo_candidate *grown = realloc(*out, sizeof *grown * (size_t)capacity);
            if (!grown) {
                rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory listing models");
                break;
            }
            *out = grown;
        }
        repo_candidate *c = &(*out)[count++];
        c->id = sqlite3_column_int64(s, 0);
        c->quality = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 1);
        const char *sequence = (const char *)sqlite3_column_text(s, 2);
        rc = exh_space_parse_sequence(NULL, sequence ? sequence : "", &c->architecture, err);
    }
    if (rc == EXH_OK && step != SQLITE_DONE)
        rc = sql_error(r, err, "cannot list the models");
    sqlite3_finalize(s);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    return count;
}

static void column_text(sqlite3_stmt *s, int column, char *out, size_t size)
{
    const unsigned char *text = sqlite3_column_text(s, column);
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

static int read_entries(exh_repo *r, int64_t id, repo_manifest *m, exh_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT position, name, dtype, shape, bytes, sha256, xxh3 FROM tensors "
                           "WHERE model = ? ORDER BY position, name",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot read tensors");
    sqlite3_bind_int64(s, 1, id);
    int rc = EXH_OK;
    while (rc == EXH_OK && sqlite3_step(s) == SQLITE_ROW) {
        repo_entry e = {.position = sqlite3_column_int(s, 0), .bytes = sqlite3_column_int64(s, 4)};
        char dtype[32], shape[EXH_REPO_MAX_DIMS * 24];
        column_text(s, 1, e.name, sizeof e.name);
        column_text(s, 2, dtype, sizeof dtype);
        column_text(s, 3, shape, sizeof shape);
        column_text(s, 5, e.sha256, sizeof e.sha256);
        column_text(s, 6, e.xxh3, sizeof e.xxh3);
        e.dtype = exh_repo_dtype_parse(dtype);
        for (char *p = shape; *p && e.ndim < EXH_REPO_MAX_DIMS; e.ndim++) {
            e.shape[e.ndim] = strtoll(p, &p, 10);
            if (*p == ',')
                p++;
        }
        rc = repo_manifest_add(m, &e, err);
        m->model.tensor_count++;
        m->model.tensor_bytes += e.bytes;
    }
    sqlite3_finalize(s);
    return rc;
}

int repo_index_read(exh_repo *r, int64_t id, repo_manifest *m, exh_error *err)
{
    repo_manifest_init(m);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT space, arch, arch_sequence, quality, parent, donor, prefix_len "
                           "FROM models WHERE id = ?",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_error(r, err, "cannot read a model");
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return exh_error_set(err, EXH_ERR_NOT_FOUND, "%s/index.db: model %lld is not indexed",
                             r->path, (long long)id);
    }
    exh_repo_model *d = &m->model;
    char sequence[EXH_SPACE_TEXT_MAX];
    d->id = id;
    column_text(s, 0, d->space, sizeof d->space);
    column_text(s, 1, d->arch_text, sizeof d->arch_text);
    column_text(s, 2, sequence, sizeof sequence);
    d->quality = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3);
    d->parent_id = sqlite3_column_int64(s, 4);
    d->donor_id = sqlite3_column_int64(s, 5);
    d->prefix_length = sqlite3_column_int(s, 6);
    sqlite3_finalize(s);
    int rc = exh_space_parse_sequence(NULL, sequence, &d->architecture, err);
    if (rc == EXH_OK)
        rc = read_entries(r, id, m, err);
    if (rc < 0)
        repo_manifest_free(m);
    return rc;
}

/* Walk the two sorted id lists: index what only the manifests have, drop
 * what only the index has. */
int repo_index_reconcile(exh_repo *r, int64_t *changed, exh_error *err)
{
    int64_t *files = NULL, *indexed = NULL;
    int64_t file_count = repo_manifest_ids(r, &files, err), index_count = 0;
    if (file_count >= 0)
        index_count = repo_index_ids(r, &indexed, err);
    int rc = file_count < 0 ? (int)file_count : index_count < 0 ? (int)index_count : EXH_OK;
    *changed = 0;
    for (int64_t i = 0, j = 0; rc == EXH_OK && (i < file_count || j < index_count);) {
        if (j == index_count || (i < file_count && files[i] < indexed[j])) {
            repo_manifest m;
            rc = repo_manifest_read(r, files[i++], &m, err);
            if (rc == EXH_OK) {
                rc = repo_index_insert(r, &m, err);
                repo_manifest_free(&m);
            } else if (rc == EXH_ERR_PARSE || rc == EXH_ERR_NOT_FOUND) {
                rc = EXH_OK; /* a broken or vanished manifest: check reports it */
            }
            (*changed)++;
        } else if (i == file_count || indexed[j] < files[i]) {
            rc = repo_index_delete(r, indexed[j++], err);
            (*changed)++;
        } else {
            i++, j++;
        }
    }
    free(files);
    free(indexed);
    return rc;
}
