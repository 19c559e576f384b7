/* repo.c — the model repository: opening, paths, atomic writes and saving
 * models (see include/exhaust/repo.h). */
#include "repo/repo_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/digest.h"

static const char *const DTYPE_NAMES[EXH_DTYPE_COUNT] = {
    "float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64", "bool",
};
static const int DTYPE_SIZES[EXH_DTYPE_COUNT] = {4, 8, 2, 2, 1, 1, 2, 4, 8, 1};

const char *exh_repo_dtype_name(int dtype)
{
    return dtype >= 0 && dtype < EXH_DTYPE_COUNT ? DTYPE_NAMES[dtype] : "?";
}

int exh_repo_dtype_size(int dtype)
{
    return dtype >= 0 && dtype < EXH_DTYPE_COUNT ? DTYPE_SIZES[dtype] : 0;
}

int exh_repo_dtype_parse(const char *name)
{
    for (int i = 0; name && i < EXH_DTYPE_COUNT; i++)
        if (strcmp(name, DTYPE_NAMES[i]) == 0)
            return i;
    return -1;
}

int exh_repo_format_shape(int ndim, const int64_t *shape, char *out, size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    for (int k = 0; k < ndim; k++) {
        int n = snprintf(used < size ? out + used : NULL, used < size ? size - used : 0,
                         "%s%lld", k ? "," : "", (long long)shape[k]);
        used += n > 0 ? (size_t)n : 0;
    }
    return (int)used;
}

void exh_repo_options_default(exh_repo_options *o)
{
    memset(o, 0, sizeof *o);
    o->verify = EXH_REPO_VERIFY_FAST;
    o->fsync = 1;
    o->cache_policy = EXH_REPO_CACHE_LRU;
    o->tier_window = 100;
    o->tier_donations = 5;
}

/* ---- paths ---- */

int repo_is_hash(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++)
        if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
            return 0;
    return n == 64;
}

uint64_t repo_blob_key(const char *sha256)
{
    uint64_t key = 0;
    for (int i = 0; i < 16; i++)
        key = key << 4 | (uint64_t)(sha256[i] <= '9' ? sha256[i] - '0' : sha256[i] - 'a' + 10);
    return key;
}

int repo_blob_path(const exh_repo *r, const char *sha256, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/blobs/%.2s/%s", r->path, sha256, sha256 + 2);
    return n > 0 && (size_t)n < size ? EXH_OK : EXH_ERR_INVALID;
}

int repo_blob_open(const exh_repo *r, const char *sha256)
{
    char path[REPO_PATH_MAX];
    if (r->blobs_fd < 0) {
        repo_blob_path(r, sha256, path, sizeof path);
        return open(path, O_RDONLY | O_CLOEXEC);
    }
    snprintf(path, sizeof path, "%.2s/%s", sha256, sha256 + 2);
    return openat(r->blobs_fd, path, O_RDONLY | O_CLOEXEC);
}

int repo_manifest_path(const exh_repo *r, int64_t id, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/manifests/%lld.json", r->path, (long long)id);
    return n > 0 && (size_t)n < size ? EXH_OK : EXH_ERR_INVALID;
}

/* Whether the blob at `path` has `bytes` bytes whose XXH3-64 is `xxh3`. The
 * check runs at memory speed, a small cost beside the SHA-256 just computed;
 * read, not mapped (mapping costs more than the copy here). */
static int blob_holds(exh_repo *r, const char *path, int64_t bytes, const char *xxh3)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int holds = fstat(fd, &st) == 0 && st.st_size == bytes;
    char actual[XXH3_HEX_SIZE];
    if (holds && bytes > 0)
        holds = repo_blob_xxh3(r, fd, bytes, actual) == 0 && strcmp(actual, xxh3) == 0;
    close(fd);
    return holds;
}

static int make_directory(const char *path, exh_error *err)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return EXH_OK;
    return exh_error_set(err, EXH_ERR_IO, "%s: cannot create the folder: %s", path,
                         strerror(errno));
}

/* fsync a folder so that a rename into it survives a crash. */
static void sync_directory(const char *file_path)
{
    char folder[REPO_PATH_MAX];
    snprintf(folder, sizeof folder, "%s", file_path);
    char *slash = strrchr(folder, '/');
    if (slash)
        *slash = '\0';
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int write_all(int fd, const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

int repo_write_atomic(exh_repo *r, const char *path, const void *data, size_t size, exh_error *err)
{
    char temp[REPO_PATH_MAX];
    /* Unique among processes (pid), handles in one process (address) and
     * writes of one handle (counter). */
    snprintf(temp, sizeof temp, "%s/tmp/%ld-%p-%lu.tmp", r->path, (long)getpid(), (void *)r,
             ++r->temp_counter);
    int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot create: %s", temp, strerror(errno));
    if (write_all(fd, data, size) < 0 || (r->options.fsync && fsync(fd) < 0)) {
        int saved = errno;
        close(fd);
        unlink(temp);
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot write %zu bytes%s: %s", path, size,
                             saved == ENOSPC ? " (the disk is full)" : "", strerror(saved));
    }
    close(fd);
    if (rename(temp, path) < 0) {
        int saved = errno;
        unlink(temp);
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot rename into place: %s", path,
                             strerror(saved));
    }
    if (r->options.fsync)
        sync_directory(path);
    return EXH_OK;
}

/* ---- open and close ---- */

static void open_blobs_folder(exh_repo *r)
{
    char folder[REPO_PATH_MAX];
    snprintf(folder, sizeof folder, "%s/blobs", r->path);
    r->blobs_fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int exh_repo_open(const char *path, const exh_repo_options *o, exh_repo **out, exh_error *err)
{
    *out = NULL;
    exh_repo *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening %s", path);
    }
    r->blobs_fd = -1;
    for (int i = 0; i < REPO_MANIFEST_SLOTS; i++)
        r->manifests[i].id = -1;
    if (o)
        r->options = *o;
    else
        exh_repo_options_default(&r->options);
    const char *fast = r->options.fast_dir ? r->options.fast_dir : getenv(EXH_REPO_FAST_DIR_ENV);
    r->options.fast_dir = NULL; /* r->fast_dir holds the copy */
    int rc = EXH_OK;
    if (fast && *fast && !(r->fast_dir = strdup(fast)))
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory opening %s", path);
    if (rc < 0) {
    } else if (r->options.read_only) {
        struct stat st;
        char manifests[REPO_PATH_MAX];
        snprintf(manifests, sizeof manifests, "%s/manifests", path);
        if (stat(manifests, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = exh_error_set(err, EXH_ERR_NOT_FOUND, "%s: not a model repository (no manifests/)",
                               path);
    } else {
        static const char *const folders[] = {"", "/blobs", "/manifests", "/tmp"};
        for (int i = 0; i < 4 && rc == EXH_OK; i++) {
            char folder[REPO_PATH_MAX];
            snprintf(folder, sizeof folder, "%s%s", path, folders[i]);
            rc = make_directory(folder, err);
        }
    }
    char index[REPO_PATH_MAX];
    snprintf(index, sizeof index, "%s/index.db", path);
    struct stat st;
    /* A reader of a repository written without an index resolves by manifests. */
    if (r->options.read_only && stat(index, &st) < 0)
        r->options.no_index = 1;
    if (rc == EXH_OK && !r->options.no_index)
        rc = repo_index_open(r, err);
    if (rc == EXH_OK && !r->options.no_index && !r->options.read_only)
        rc = repo_index_reconcile(r, &r->reconciled, err);
    if (rc == EXH_OK)
        rc = repo_cache_init(r, err);
    if (rc == EXH_OK) /* loads open blobs relative to it; -1: by path */
        open_blobs_folder(r);
    if (rc < 0) {
        exh_repo_close(r);
        return rc;
    }
    *out = r;
    return EXH_OK;
}

void exh_repo_close(exh_repo *r)
{
    if (!r)
        return;
    repo_cache_free(r);
    repo_manifest_slots_free(r);
    if (r->blobs_fd >= 0)
        close(r->blobs_fd);
    free(r->bounce);
    if (r->db)
        sqlite3_close(r->db);
    free(r->fast_dir);
    free(r->path);
    free(r);
}

const char *exh_repo_path(const exh_repo *r)
{
    return r->path;
}

/* ---- saving ---- */

struct exh_repo_save {
    exh_repo *repo;
    repo_manifest manifest;
    exh_repo_traffic traffic;
    double start;
    int64_t evicted;
    int gc_lock; /* the shared lock against a gc sweep (repo.h exh_repo_remove) */
};

int exh_repo_save_begin(exh_repo *r, const exh_repo_model *m, exh_repo_save **out, exh_error *err)
{
    *out = NULL;
    if (r->options.read_only)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: opened read-only: cannot save model %lld",
                             r->path, (long long)m->id);
    if (m->id < 0 || m->architecture.length < 0 || m->architecture.length > EXH_ARCH_MAX_TOKENS ||
        m->prefix_length < 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s: model %lld: bad id, architecture length or prefix length",
                             r->path, (long long)m->id);
    char path[REPO_PATH_MAX];
    struct stat st;
    if (repo_manifest_path(r, m->id, path, sizeof path) < 0 || stat(path, &st) == 0)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: model %lld is already stored", path,
                             (long long)m->id);
    exh_repo_save *s = calloc(1, sizeof *s);
    if (!s)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory saving model %lld",
                             (long long)m->id);
    s->repo = r;
    s->gc_lock = repo_gc_lock(r, 0);
    repo_traffic_start(r, &s->traffic, &s->start, &s->evicted);
    s->traffic.saves = 1;
    repo_manifest_init(&s->manifest);
    s->manifest.model = *m;
    s->manifest.model.tensor_count = 0;
    s->manifest.model.tensor_bytes = 0;
    s->manifest.model.space[EXH_REPO_SPACE_MAX - 1] = '\0';
    s->manifest.model.arch_text[EXH_SPACE_TEXT_MAX - 1] = '\0';
    *out = s;
    return EXH_OK;
}

static int check_tensor(const exh_repo_save *s, const repo_entry *e, int64_t bytes, exh_error *err)
{
    const exh_repo_model *m = &s->manifest.model;
    int size = exh_repo_dtype_size(e->dtype);
    int64_t elements = 1;
    for (int i = 0; i < e->ndim; i++) {
        if (e->shape[i] < 0 || (e->shape[i] > 0 && elements > INT64_MAX / e->shape[i]))
            return exh_error_set(err, EXH_ERR_INVALID, "model %lld, tensor '%s': bad shape",
                                 (long long)m->id, e->name);
        elements *= e->shape[i];
    }
    if (e->position < 0 || e->position >= m->architecture.length)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "model %lld, tensor '%s': position %d outside 0..%d",
                             (long long)m->id, e->name, e->position, m->architecture.length - 1);
    if (size == 0 || elements > INT64_MAX / size || elements * size != bytes)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "model %lld, tensor '%s': %lld bytes do not fit its dtype and shape",
                             (long long)m->id, e->name, (long long)bytes);
    for (int i = 0; i < s->manifest.count; i++)
        if (strcmp(s->manifest.entries[i].name, e->name) == 0)
            return exh_error_set(err, EXH_ERR_INVALID, "model %lld: tensor '%s' added twice",
                                 (long long)m->id, e->name);
    return EXH_OK;
}

int exh_repo_save_add_tensor(exh_repo_save *s, int position, const char *name, exh_repo_dtype dtype,
                             int ndim, const int64_t *shape, const void *data, int64_t bytes,
                             exh_error *err)
{
    repo_entry e = {.position = position, .dtype = (int)dtype, .ndim = ndim, .bytes = bytes};
    if (!name || !*name || strlen(name) >= EXH_REPO_NAME_MAX || ndim < 0 ||
        ndim > EXH_REPO_MAX_DIMS || (ndim > 0 && !shape) || (bytes > 0 && !data))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "model %lld: tensor name, shape or data missing or too long",
                             (long long)s->manifest.model.id);
    strcpy(e.name, name);
    for (int i = 0; i < ndim; i++)
        e.shape[i] = shape[i];
    int rc = check_tensor(s, &e, bytes, err);
    if (rc < 0)
        return rc;
    if (sha256_hex(data, (size_t)bytes, e.sha256) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "model %lld: tensor '%s': SHA-256 failed",
                             (long long)s->manifest.model.id, name);
    xxh3_hex(data, (size_t)bytes, e.xxh3);
    exh_repo *r = s->repo;
    char path[REPO_PATH_MAX], folder[REPO_PATH_MAX];
    repo_blob_path(r, e.sha256, path, sizeof path);
    snprintf(folder, sizeof folder, "%s/blobs/%.2s", r->path, e.sha256);
    /* Content-addressed: a blob that holds these bytes is this tensor
     * already; a damaged one is replaced (atomically, like any write). */
    if (!blob_holds(r, path, bytes, e.xxh3)) {
        if ((rc = make_directory(folder, err)) < 0 ||
            (rc = repo_write_atomic(r, path, data, (size_t)bytes, err)) < 0)
            return rc;
        s->traffic.written_bytes += bytes;
    } else {
        s->traffic.dedup_bytes += bytes;
    }
    s->traffic.tensors++;
    if (!s->manifest.model.skip_fast_tier &&
        (rc = repo_cache_offer(r, e.sha256, data, bytes, err)) < 0)
        return rc;
    if ((rc = repo_manifest_add(&s->manifest, &e, err)) < 0)
        return rc;
    s->manifest.model.tensor_count++;
    s->manifest.model.tensor_bytes += bytes;
    return EXH_OK;
}

/* Manifests list tensors by position, then name: the order loads serve. */
static int compare_entries(const void *a, const void *b)
{
    const repo_entry *x = a, *y = b;
    if (x->position != y->position)
        return x->position < y->position ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* What the manifest's "traffic" records: the loads this handle made since
 * its previous save (a training process loads its donor's prefix, then
 * saves: one record per job) plus this save's writes. */
static void save_traffic(exh_repo_save *s)
{
    exh_repo *r = s->repo;
    const exh_repo_traffic *t = &r->total, *m = &r->mark;
    exh_repo_traffic *out = &s->manifest.traffic;
    out->loads = t->loads - m->loads;
    out->saves = 1;
    out->tensors = s->traffic.tensors;
    out->fast_hits = t->fast_hits - m->fast_hits;
    /* tensors loads served since the mark, less the hits: read from the store */
    out->fast_misses = t->tensors - m->tensors - (t->fast_hits - m->fast_hits);
    out->fast_bytes = t->fast_bytes - m->fast_bytes;
    out->store_bytes = t->store_bytes - m->store_bytes;
    out->written_bytes = s->traffic.written_bytes;
    out->dedup_bytes = s->traffic.dedup_bytes;
    out->evictions = r->evicted - m->evictions;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    out->io_seconds = t->io_seconds - m->io_seconds +
                      ((double)now.tv_sec + (double)now.tv_nsec / 1e9 - s->start);
    s->manifest.has_traffic = 1;
    s->manifest.load_error = r->load_error;
}

int exh_repo_save_commit(exh_repo_save *s, exh_error *err)
{
    exh_repo *r = s->repo;
    char *text = NULL, path[REPO_PATH_MAX];
    if (s->manifest.count > 1)
        qsort(s->manifest.entries, (size_t)s->manifest.count, sizeof *s->manifest.entries,
              compare_entries);
    save_traffic(s);
    int rc = repo_manifest_encode(&s->manifest, &text, err);
    if (rc == EXH_OK) {
        repo_manifest_path(r, s->manifest.model.id, path, sizeof path);
        rc = repo_write_atomic(r, path, text, strlen(text), err);
    }
    /* The manifest's rename was the commit; the index follows it (a failure
     * here is repaired by the next read-write open). */
    if (rc == EXH_OK && r->db)
        rc = repo_index_insert(r, &s->manifest, err);
    free(text);
    exh_repo_save_abort(s);
    if (rc == EXH_OK) { /* the next save records what follows this one */
        r->mark = r->total;
        r->mark.evictions = r->evicted;
        r->load_error = 0;
    }
    return rc;
}

void exh_repo_save_abort(exh_repo_save *s)
{
    if (s) {
        repo_traffic_finish(s->repo, &s->traffic, s->start, s->evicted);
        repo_gc_unlock(s->gc_lock);
        repo_manifest_free(&s->manifest);
        free(s);
    }
}
