/* repo_check.c — keeping a repository small and sound: sizes, garbage
 * collection and the consistency check. */
#include "repo/repo_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/digest.h"

/* ---- walking the folders ---- */

typedef int (*blob_fn)(exh_repo *r, const char *sha256, const char *path, int64_t bytes,
                       void *context, exh_error *err);

/* Call fn for every file under blobs/XX/ (sha256: XX + its name, which may
 * not be a hash: the callbacks judge). */
static int walk_blobs(exh_repo *r, blob_fn fn, void *context, exh_error *err)
{
    char folder[REPO_PATH_MAX];
    snprintf(folder, sizeof folder, "%s/blobs", r->path);
    DIR *top = opendir(folder);
    if (!top)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot list: %s", folder, strerror(errno));
    int rc = EXH_OK;
    struct dirent *d;
    while (rc == EXH_OK && (d = readdir(top))) {
        if (d->d_name[0] == '.' || strlen(d->d_name) != 2)
            continue;
        char sub[REPO_PATH_MAX + 8];
        snprintf(sub, sizeof sub, "%s/%s", folder, d->d_name);
        DIR *dir = opendir(sub);
        struct dirent *f;
        while (dir && rc == EXH_OK && (f = readdir(dir))) {
            char path[REPO_PATH_MAX + 80], sha256[EXH_REPO_HASH_HEX + 8];
            struct stat st;
            if (f->d_name[0] == '.' || strlen(f->d_name) > 62)
                continue;
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            snprintf(sha256, sizeof sha256, "%s%s", d->d_name, f->d_name);
            if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
                rc = fn(r, sha256, path, (int64_t)st.st_size, context, err);
        }
        if (dir)
            closedir(dir);
    }
    closedir(top);
    return rc;
}

/* Count (and with `remove`, delete) the files in tmp/. */
static int64_t temp_files(const exh_repo *r, int remove)
{
    char folder[REPO_PATH_MAX];
    snprintf(folder, sizeof folder, "%s/tmp", r->path);
    DIR *dir = opendir(folder);
    int64_t count = 0;
    struct dirent *d;
    while (dir && (d = readdir(dir))) {
        if (d->d_name[0] == '.')
            continue;
        char path[REPO_PATH_MAX + 260];
        snprintf(path, sizeof path, "%s/%s", folder, d->d_name);
        count++;
        if (remove)
            unlink(path);
    }
    if (dir)
        closedir(dir);
    return count;
}

/* ---- stats ---- */

static int count_blob(exh_repo *r, const char *sha256, const char *path, int64_t bytes,
                      void *context, exh_error *err)
{
    exh_repo_stats *s = context;
    s->blobs++;
    s->bytes_stored += bytes;
    return EXH_OK;
}

static int count_model(exh_repo *r, const repo_manifest *m, void *context, exh_error *err)
{
    exh_repo_stats *s = context;
    s->models++;
    s->tensors += m->model.tensor_count;
    s->bytes_per_model += m->model.tensor_bytes;
    return EXH_OK;
}

int exh_repo_stats_get(exh_repo *r, exh_repo_stats *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = repo_each_manifest(r, count_model, out, err);
    if (rc == EXH_OK)
        rc = walk_blobs(r, count_blob, out, err);
    out->temp_files = temp_files(r, 0);
    return rc;
}

/* ---- gc ---- */

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Delete the manifest (then index row) of model `id`. */
static int remove_model(exh_repo *r, int64_t id, exh_repo_gc_result *out, exh_error *err)
{
    char path[REPO_PATH_MAX];
    if (id < 0) /* listed by a caller: no model has such an id */
        return EXH_OK;
    if (repo_manifest_path(r, id, path, sizeof path) < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: path too long", r->path);
    /* The manifest's removal is the deletion; the index follows. */
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return EXH_OK;
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    }
    int rc = r->db ? repo_index_delete(r, id, err) : EXH_OK;
    out->models_removed += rc == EXH_OK;
    return rc;
}

/* Delete the models not kept (sorted keep set), or those listed. */
static int remove_models(exh_repo *r, const int64_t *sorted, int64_t sorted_count,
                         int listed, exh_repo_gc_result *out, exh_error *err)
{
    if (listed) { /* the ids are given: no need to list the manifests */
        int rc = EXH_OK;
        for (int64_t i = 0; rc == EXH_OK && i < sorted_count; i++)
            if (i == 0 || sorted[i] != sorted[i - 1])
                rc = remove_model(r, sorted[i], out, err);
        return rc;
    }
    int64_t *ids = NULL;
    int64_t count = repo_manifest_ids(r, &ids, err);
    int rc = count < 0 ? (int)count : EXH_OK;
    for (int64_t i = 0; rc == EXH_OK && i < count; i++) {
        if (!bsearch(&ids[i], sorted, (size_t)sorted_count, sizeof *sorted, compare_ids))
            rc = remove_model(r, ids[i], out, err);
    }
    free(ids);
    return rc;
}

/* Note the blob keys of a remaining manifest in the keymap `context`. */
static int hold_blobs(exh_repo *r, const repo_manifest *m, void *context, exh_error *err)
{
    for (int k = 0; k < m->count; k++)
        if (!keymap_upsert(context, repo_blob_key(m->entries[k].sha256), 0, NULL))
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    return EXH_OK;
}

typedef struct gc_walk {
    keymap *held;
    exh_repo_gc_result *out;
} gc_walk;

static int remove_unreferenced(exh_repo *r, const char *sha256, const char *path, int64_t bytes,
                               void *context, exh_error *err)
{
    gc_walk *w = context;
    /* Keys are 64 of the 256 bits: a collision keeps a blob, never drops one. */
    if (repo_is_hash(sha256) && keymap_find(w->held, repo_blob_key(sha256)))
        return EXH_OK;
    if (unlink(path) < 0)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    w->out->blobs_removed++;
    w->out->bytes_removed += bytes;
    return EXH_OK;
}

int repo_gc_lock(const exh_repo *r, int exclusive)
{
    char path[REPO_PATH_MAX];
    snprintf(path, sizeof path, "%s/lock", r->path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    while (fd >= 0 && flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        if (errno != EINTR) { /* no locks here: go on unlocked (see repo.h) */
            close(fd);
            return -1;
        }
    }
    return fd;
}

void repo_gc_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing releases the flock */
}

/* Under the exclusive lock: no save is between begin and commit, so every
 * blob a save holds is named by a manifest (see exh_repo_remove in repo.h). */
static int sweep(exh_repo *r, exh_repo_gc_result *out, exh_error *err)
{
    keymap held;
    if (keymap_init(&held, 0) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int lock = repo_gc_lock(r, 1);
    int rc = repo_each_manifest(r, hold_blobs, &held, err);
    gc_walk w = {&held, out};
    if (rc == EXH_OK)
        rc = walk_blobs(r, remove_unreferenced, &w, err);
    out->temp_files_removed = temp_files(r, 1);
    repo_gc_unlock(lock);
    keymap_free(&held);
    return rc;
}

/* The shared part of gc and remove: checks, the ids sorted, the models
 * removed, the sweep. */
static int collect(exh_repo *r, const int64_t *ids, int64_t count, int listed,
                   exh_repo_gc_result *out, exh_error *err)
{
    exh_repo_gc_result ignored;
    if (!out)
        out = &ignored;
    memset(out, 0, sizeof *out);
    if (r->options.read_only)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: opened read-only: cannot gc", r->path);
    if (count < 0 || (count > 0 && !ids))
        return exh_error_set(err, EXH_ERR_INVALID, "%s: gc: bad set of models", r->path);
    int64_t *sorted = malloc(sizeof *sorted * (size_t)(count + 1));
    if (!sorted)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (count > 0)
        memcpy(sorted, ids, sizeof *sorted * (size_t)count);
    qsort(sorted, (size_t)count, sizeof *sorted, compare_ids);
    int rc = remove_models(r, sorted, count, listed, out, err);
    free(sorted);
    return rc == EXH_OK ? sweep(r, out, err) : rc;
}

int exh_repo_gc(exh_repo *r, const int64_t *keep, int64_t keep_count, exh_repo_gc_result *out,
                exh_error *err)
{
    return collect(r, keep, keep_count, 0, out, err);
}

int exh_repo_remove(exh_repo *r, const int64_t *ids, int64_t count, exh_repo_gc_result *out,
                    exh_error *err)
{
    return collect(r, ids, count, 1, out, err);
}

/* ---- check ---- */

typedef struct checker {
    exh_repo_check_result *out;
    exh_error *first;   /* the first problem's message */
} checker;

static void problem(checker *c, int code, const char *format, const char *a, const char *b)
{
    if (c->out->problems++ == 0)
        exh_error_set(c->first, code, format, a, b);
}

static int check_blob(exh_repo *r, const char *sha256, const char *path, int64_t bytes,
                      void *context, exh_error *err)
{
    checker *c = context;
    c->out->blobs++;
    if (!repo_is_hash(sha256)) {
        problem(c, EXH_ERR_CORRUPT, "%s: not a blob (its name is not a SHA-256)%s", path, "");
        return EXH_OK;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    void *map = fd >= 0 && bytes > 0 ? mmap(NULL, (size_t)bytes, PROT_READ, MAP_PRIVATE, fd, 0)
                                     : NULL;
    if (fd >= 0)
        close(fd);
    if (fd < 0 || map == MAP_FAILED) {
        problem(c, EXH_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        return EXH_OK;
    }
    char actual[SHA256_HEX_SIZE];
    int hashed = sha256_hex(map ? map : "", (size_t)bytes, actual);
    if (map)
        munmap(map, (size_t)bytes);
    if (hashed < 0)
        problem(c, EXH_ERR_NOMEM, "%s: cannot compute its SHA-256%s", path, "");
    else if (strcmp(actual, sha256) != 0)
        problem(c, EXH_ERR_CORRUPT, "%s: corrupt blob: its content hashes to %s", path, actual);
    return EXH_OK;
}

static int same_entry(const repo_entry *a, const repo_entry *b)
{
    if (a->position != b->position || strcmp(a->name, b->name) != 0 || a->dtype != b->dtype ||
        a->ndim != b->ndim || a->bytes != b->bytes || strcmp(a->sha256, b->sha256) != 0 ||
        strcmp(a->xxh3, b->xxh3) != 0)
        return 0;
    for (int k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return 0;
    return 1;
}

static int same_model(const repo_manifest *a, const repo_manifest *b)
{
    const exh_repo_model *x = &a->model, *y = &b->model;
    if (x->parent_id != y->parent_id || x->donor_id != y->donor_id ||
        x->prefix_length != y->prefix_length ||
        !exh_arch_equal(&x->architecture, &y->architecture) ||
        (isnan(x->quality) ? !isnan(y->quality) : x->quality != y->quality) ||
        a->count != b->count ||
        strcmp(x->space, y->space) != 0 || strcmp(x->arch_text, y->arch_text) != 0)
        return 0;
    for (int i = 0; i < a->count; i++)
        if (!same_entry(&a->entries[i], &b->entries[i]))
            return 0;
    return 1;
}

/* One manifest: it parses, its blobs exist with their sizes, the index
 * holds the same. */
static void check_manifest(exh_repo *r, int64_t id, checker *c)
{
    char path[REPO_PATH_MAX], blob[REPO_PATH_MAX];
    repo_manifest m, indexed;
    exh_error why;
    repo_manifest_path(r, id, path, sizeof path);
    c->out->manifests++;
    if (repo_manifest_read(r, id, &m, &why) < 0) {
        problem(c, why.code, "%s%s", why.message, "");
        return;
    }
    for (int k = 0; k < m.count; k++) {
        struct stat st;
        repo_blob_path(r, m.entries[k].sha256, blob, sizeof blob);
        if (stat(blob, &st) < 0 || st.st_size != m.entries[k].bytes)
            problem(c, EXH_ERR_CORRUPT, "%s: blob %s is missing or has the wrong size", path, blob);
    }
    if (r->db) {
        if (repo_index_read(r, id, &indexed, &why) < 0)
            problem(c, EXH_ERR_CORRUPT, "%s: %s", path, why.message);
        else if (!same_model(&m, &indexed))
            problem(c, EXH_ERR_CORRUPT, "%s: the index disagrees with the manifest%s", path, "");
        repo_manifest_free(&indexed);
    }
    repo_manifest_free(&m);
}

int exh_repo_check(exh_repo *r, int repair, exh_repo_check_result *out, exh_error *err)
{
    exh_repo_check_result ignored;
    if (!out)
        out = &ignored;
    memset(out, 0, sizeof *out);
    out->reconciled = r->reconciled;
    exh_error first = {0};
    checker c = {out, &first};
    int64_t *files = NULL, *indexed = NULL, index_count = 0;
    int64_t count = repo_manifest_ids(r, &files, err);
    if (count < 0)
        return (int)count;
    for (int64_t i = 0; i < count; i++)
        check_manifest(r, files[i], &c);
    /* Index rows without a manifest (manifests without rows fail above). */
    if (r->db && (index_count = repo_index_ids(r, &indexed, err)) >= 0)
        for (int64_t i = 0; i < index_count; i++)
            if (!bsearch(&indexed[i], files, (size_t)count, sizeof *files, compare_ids)) {
                char id[32];
                snprintf(id, sizeof id, "%lld", (long long)indexed[i]);
                problem(&c, EXH_ERR_CORRUPT, "%s/index.db: model %s has no manifest", r->path, id);
            }
    free(files);
    free(indexed);
    if (index_count < 0)
        return (int)index_count;
    int rc = walk_blobs(r, check_blob, &c, err);
    if (rc < 0)
        return rc;
    out->temp_files = temp_files(r, repair && !r->options.read_only);
    if (out->problems == 0)
        return EXH_OK;
    return exh_error_set(err, first.code, "%s (%lld problem%s in all)", first.message,
                         (long long)out->problems, out->problems == 1 ? "" : "s");
}
