/* repo_read.c — reading the repository: models, donor lookup, serving a
 * prefix (mapped blobs, verified), the fast tier in front of the store, and
 * lineage. */
#define _GNU_SOURCE /* MAP_POPULATE */
#include "repo/repo_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exhaust/trie.h"
#include "util/digest.h"

/* ---- the fast tier: the replay's cache (cachesim_cache.c) holding copies ---- */

void repo_cached_release(repo_cached *c)
{
    if (c && --c->references == 0)
        free(c);
}

static void evicted(void *context, uint64_t key)
{
    exh_repo *r = context;
    int64_t *slot = keymap_find(&r->cached, key);
    if (slot) {
        repo_cached_release((repo_cached *)(intptr_t)*slot);
        keymap_remove(&r->cached, key);
    }
    r->evicted++;
}

int repo_cache_init(exh_repo *r, exh_error *err)
{
    r->fast_tier = r->options.cache_bytes > 0;
    if (!r->fast_tier)
        return EXH_OK;
    const exh_repo_options *o = &r->options;
    if ((unsigned)o->cache_policy > EXH_REPO_CACHE_TIER || o->tier_window < 1 ||
        o->tier_donations < 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s: fast tier: unknown policy %d, or window %d < 1, or donations "
                             "%d < 0", r->path, (int)o->cache_policy, o->tier_window,
                             o->tier_donations);
    int lfu = o->cache_policy == EXH_REPO_CACHE_LFU;
    r->tier = o->cache_policy == EXH_REPO_CACHE_TIER;
    if (tcache_init(&r->cache, o->cache_bytes, lfu) < 0 || keymap_init(&r->cached, 0) < 0 ||
        keymap_init(&r->tier_ids, 0) < 0 || tier_window_init(&r->window, o->tier_window, 0) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for the fast tier of %s", r->path);
    r->cache.on_evict = evicted;
    r->cache.evict_context = r;
    return EXH_OK;
}

void repo_cache_free(exh_repo *r)
{
    if (!r->fast_tier)
        return;
    for (uint64_t i = 0; r->cached.slots && i <= r->cached.mask; i++)
        if (r->cached.slots[i].used)
            repo_cached_release((repo_cached *)(intptr_t)r->cached.slots[i].value);
    keymap_free(&r->cached);
    keymap_free(&r->tier_ids);
    tier_window_free(&r->window);
    tcache_free(&r->cache);
    r->fast_tier = 0;
}

int repo_cache_offer(exh_repo *r, const char *sha256, const void *data, int64_t bytes,
                     exh_error *err)
{
    if (!r->fast_tier || bytes <= 0)
        return EXH_OK; /* zero bytes: not a tensor to cache (as in the replay) */
    uint64_t key = repo_blob_key(sha256);
    if (r->tier) {
        int64_t *id = keymap_find(&r->tier_ids, key);
        if (tier_window_donations(&r->window, id ? (int32_t)*id : -1) < r->options.tier_donations)
            return EXH_OK; /* not donated enough lately: not admitted */
    }
    int held;
    int64_t evictions = 0;
    int rc = tcache_offer(&r->cache, key, bytes, ++r->stamp, &evictions, &held);
    if (rc < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory in the fast tier");
    if (rc == 0)
        return EXH_OK; /* held already (same content), or larger than the tier */
    repo_cached *copy = malloc(sizeof *copy + (size_t)bytes);
    int64_t *slot = copy ? keymap_upsert(&r->cached, key, (int64_t)(intptr_t)copy, NULL) : NULL;
    if (!slot) {
        free(copy);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory copying a tensor to the fast tier");
    }
    copy->references = 1;
    copy->bytes = bytes;
    memcpy(copy->data, data, (size_t)bytes);
    return EXH_OK;
}

/* The fast tier's copy of a blob (one more reference), or NULL (a miss). */
repo_cached *repo_cache_lookup(exh_repo *r, const repo_entry *e)
{
    uint64_t key = repo_blob_key(e->sha256);
    if (!tcache_use(&r->cache, key, ++r->stamp))
        return NULL;
    int64_t *slot = keymap_find(&r->cached, key);
    repo_cached *c = slot ? (repo_cached *)(intptr_t)*slot : NULL;
    if (!c || c->bytes != e->bytes)
        return NULL;
    c->references++;
    return c;
}

/* The tier policy: a load (a record starting) enters the window with the
 * tensors it read (bytes > 0, numbered as met). */
int repo_tier_enter(exh_repo *r, const exh_repo_tensors *t, exh_error *err)
{
    if (!r->fast_tier || !r->tier)
        return EXH_OK;
    int32_t *ids = malloc(sizeof *ids * (size_t)(t->count + 1));
    int count = 0, rc = ids ? EXH_OK : EXH_ERR_NOMEM;
    for (int i = 0; rc == EXH_OK && i < t->count; i++) {
        if (t->tensors[i].bytes <= 0)
            continue;
        int64_t *id = keymap_upsert(&r->tier_ids, repo_blob_key(t->tensors[i].sha256),
                                    (int64_t)r->tier_ids.count, NULL);
        if (!id)
            rc = EXH_ERR_NOMEM;
        else
            ids[count++] = (int32_t)*id;
    }
    if (rc == EXH_OK)
        rc = tier_window_enter(&r->window, ids, count);
    free(ids);
    return rc < 0 ? exh_error_set(err, rc, "out of memory in the fast tier") : EXH_OK;
}

/* ---- models ---- */

int exh_repo_model_get(exh_repo *r, int64_t id, exh_repo_model *out, exh_error *err)
{
    const repo_manifest *m;
    int rc = repo_manifest_get(r, id, &m, err);
    if (rc == EXH_OK)
        *out = m->model;
    return rc;
}

int64_t exh_repo_list(exh_repo *r, int64_t *ids, int64_t max, exh_error *err)
{
    int64_t *all = NULL;
    int64_t count = r->db ? repo_index_ids(r, &all, err) : repo_manifest_ids(r, &all, err);
    for (int64_t i = 0; i < count && i < max; i++)
        ids[i] = all[i];
    free(all);
    return count;
}

/* Quality order for donors: NAN is worst; equal qualities go to the later id. */
static int better(double q, int64_t id, double best_q, int64_t best_id)
{
    if (isnan(q) != isnan(best_q))
        return isnan(best_q);
    if (!isnan(q) && q != best_q)
        return q > best_q;
    return id > best_id;
}

typedef struct candidates {
    repo_candidate *models;
    int64_t count, capacity;
} candidates;

static int add_candidate(exh_repo *r, const repo_manifest *m, void *context, exh_error *err)
{
    candidates *c = context;
    if (c->count == c->capacity) {
        int64_t capacity = c->capacity ? c->capacity * 2 : 64;
        repo_candidate *grown = realloc(c->models, sizeof *grown * (size_t)capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        c->models = grown;
        c->capacity = capacity;
    }
    c->models[c->count++] = (repo_candidate){m->model.id, m->model.quality, m->model.architecture};
    return EXH_OK;
}

/* Every stored model's id, architecture and quality: from the index in one
 * query, else from the manifests. */
static int64_t load_candidates(exh_repo *r, repo_candidate **out, exh_error *err)
{
    if (r->db)
        return repo_index_candidates(r, out, err);
    candidates c = {0};
    int rc = repo_each_manifest(r, add_candidate, &c, err);
    if (rc < 0)
        free(c.models);
    *out = rc < 0 ? NULL : c.models;
    return rc < 0 ? rc : c.count;
}

int exh_repo_donor(exh_repo *r, const exh_arch *a, int64_t *model, int *prefix_length,
                   exh_error *err)
{
    *model = -1;
    *prefix_length = 0;
    repo_candidate *models = NULL;
    int64_t count = load_candidates(r, &models, err), unused;
    if (count < 0)
        return (int)count;
    exh_trie *trie = exh_trie_new();
    int rc = trie ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; rc == EXH_OK && i < count; i++)
        rc = exh_trie_insert(trie, &models[i].architecture, models[i].id, err);
    /* The trie gives the prefix length (the search's rule); quality picks
     * among the models that share it. */
    int length = rc == EXH_OK && count ? exh_trie_longest_prefix(trie, a, &unused) : 0;
    double best_quality = NAN;
    for (int64_t i = 0; rc == EXH_OK && i < count; i++) {
        const repo_candidate *m = &models[i];
        if (exh_arch_common_prefix(&m->architecture, a) < length)
            continue;
        if (*model < 0 || better(m->quality, m->id, best_quality, *model)) {
            *model = m->id;
            best_quality = m->quality;
        }
    }
    *prefix_length = *model >= 0 ? length : 0;
    free(models);
    exh_trie_free(trie);
    return rc;
}

/* ---- serving a prefix ---- */

/* What a load holds: per tensor a mapping of its blob or a fast-tier copy. */
typedef struct load_owner {
    int count;
    struct held {
        void *map;
        size_t size;
        repo_cached *cached;
        int from_fast_dir;  /* mapped from options.fast_dir, not the store */
    } held[];
} load_owner;

void exh_repo_tensors_release(exh_repo_tensors *t)
{
    load_owner *o = t->owner;
    for (int i = 0; o && i < o->count; i++) {
        if (o->held[i].map)
            munmap(o->held[i].map, o->held[i].size);
        repo_cached_release(o->held[i].cached);
    }
    free(o);
    free(t->tensors);
    memset(t, 0, sizeof *t);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int repo_digest_compare(int64_t model, const repo_entry *e, const char *path, int full,
                        const char *actual, exh_error *err)
{
    if (strcmp(actual, full ? e->sha256 : e->xxh3) == 0)
        return EXH_OK;
    return exh_error_set(err, EXH_ERR_CORRUPT,
                         "%s: blob of model %lld, tensor '%s' is corrupt: its %s is %s", path,
                         (long long)model, e->name, full ? "SHA-256" : "XXH3-64", actual);
}

int repo_verify_full(const exh_repo *r, const repo_entry *e)
{
    return r->options.verify == EXH_REPO_VERIFY_FULL || !e->xxh3[0];
}

int repo_verify_bytes(const exh_repo *r, int64_t model, const repo_entry *e, const void *data,
                      const char *path, exh_error *err)
{
    int full = repo_verify_full(r, e);
    char actual[SHA256_HEX_SIZE];
    if (full && sha256_hex(data, (size_t)e->bytes, actual) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: cannot compute its SHA-256", path);
    if (!full)
        xxh3_hex(data, (size_t)e->bytes, actual);
    return repo_digest_compare(model, e, path, full, actual, err);
}

int repo_open_served(exh_repo *r, int64_t model, const repo_entry *e, int *from_fast_dir,
                     char *path, size_t size, exh_error *err)
{
    int fd = -1;
    /* The fast directory first: a file there is complete (renamed in) */
    if (r->fast_dir && e->bytes > 0 &&
        snprintf(path, size, "%s/%.16s", r->fast_dir, e->sha256) < (int)size)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    *from_fast_dir = fd >= 0;
    if (fd < 0)
        fd = repo_blob_open(r, e->sha256);
    if (fd >= 0 && *from_fast_dir)
        return fd;
    int saved = errno;
    repo_blob_path(r, e->sha256, path, size); /* for the messages */
    if (fd >= 0)
        return fd;
    return exh_error_set(err, saved == ENOENT ? EXH_ERR_NOT_FOUND : EXH_ERR_IO,
                         "%s: blob of model %lld, tensor '%s': %s", path, (long long)model,
                         e->name, saved == ENOENT ? "missing" : strerror(saved));
}

int repo_check_size(int fd, int64_t model, const repo_entry *e, const char *path, exh_error *err)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    if (fstat(fd, &st) == 0 && st.st_size == e->bytes)
        return EXH_OK;
    return exh_error_set(err, EXH_ERR_CORRUPT,
                         "%s: blob of model %lld, tensor '%s' is corrupt: %lld bytes, the "
                         "manifest says %lld", path, (long long)model, e->name,
                         (long long)st.st_size, (long long)e->bytes);
}

/* Map blob e of `model` read-only and check it; the error names both. */
static int map_blob(exh_repo *r, int64_t model, const repo_entry *e, struct held *h,
                    exh_error *err)
{
    static const unsigned char empty[1];
    char path[REPO_PATH_MAX];
    int fd = repo_open_served(r, model, e, &h->from_fast_dir, path, sizeof path, err);
    if (fd < 0)
        return fd;
    int rc = repo_check_size(fd, model, e, path, err);
    if (rc == EXH_OK && e->bytes > 0) {
        h->size = (size_t)e->bytes;
        /* MAP_POPULATE: the caller will touch every byte (and so does the
         * check); mapping the pages in one call beats a fault per page. */
        h->map = mmap(NULL, h->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (h->map == MAP_FAILED) {
            h->map = NULL;
            rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        }
    }
    close(fd);
    if (rc == EXH_OK && r->options.verify != EXH_REPO_VERIFY_NONE)
        rc = repo_verify_bytes(r, model, e, h->map ? h->map : empty, path, err);
    return rc;
}

void repo_describe(exh_repo_tensor *t, const repo_entry *e)
{
    t->position = e->position;
    strcpy(t->name, e->name);
    t->dtype = e->dtype;
    t->ndim = e->ndim;
    memcpy(t->shape, e->shape, sizeof t->shape);
    t->bytes = e->bytes;
    strcpy(t->sha256, e->sha256);
}

void repo_count_served(exh_repo *r, const repo_entry *e, int fast)
{
    if (fast) {
        r->last.fast_hits++;
        r->last.fast_bytes += e->bytes;
    } else {
        r->last.store_bytes += e->bytes;
    }
}

static int serve(exh_repo *r, int64_t model, const repo_entry *e, exh_repo_tensor *t,
                 struct held *h, exh_error *err)
{
    static const unsigned char empty[1];
    repo_describe(t, e);
    r->last.tensors++;
    if (r->fast_tier && e->bytes > 0) {
        h->cached = repo_cache_lookup(r, e);
        if (h->cached) {
            t->data = h->cached->data;
            t->from_fast_tier = 1;
            repo_count_served(r, e, 1);
            return EXH_OK;
        }
        r->last.fast_misses++;
    }
    int rc = map_blob(r, model, e, h, err);
    t->data = h->map ? h->map : empty;
    t->from_fast_tier = h->from_fast_dir; /* the coordinator's fast directory served it */
    repo_count_served(r, e, h->from_fast_dir);
    return rc;
}

void repo_traffic_start(exh_repo *r, exh_repo_traffic *t, double *start, int64_t *evicted)
{
    memset(t, 0, sizeof *t);
    *start = seconds_now();
    *evicted = r->evicted;
}

void repo_traffic_finish(exh_repo *r, const exh_repo_traffic *t, double start, int64_t evicted)
{
    exh_repo_traffic *total = &r->total;
    r->last = *t;
    r->last.io_seconds = seconds_now() - start;
    r->last.evictions = r->evicted - evicted;
    total->loads += t->loads;
    total->saves += t->saves;
    total->tensors += t->tensors;
    total->fast_hits += t->fast_hits;
    total->fast_misses += t->fast_misses;
    total->fast_bytes += t->fast_bytes;
    total->store_bytes += t->store_bytes;
    total->written_bytes += t->written_bytes;
    total->dedup_bytes += t->dedup_bytes;
    total->evictions = r->evicted;
    total->io_seconds += r->last.io_seconds;
}

int exh_repo_load_prefix(exh_repo *r, int64_t model, int prefix_length, exh_repo_tensors *out,
                         exh_error *err)
{
    memset(out, 0, sizeof *out);
    exh_repo_traffic traffic;
    double start;
    int64_t evicted;
    repo_traffic_start(r, &traffic, &start, &evicted);
    traffic.loads = 1;
    r->last = traffic; /* serve() counts into r->last */
    if (model < 0) { /* no donor: nothing to serve, but a record for the window */
        int rc = repo_tier_enter(r, out, err);
        repo_traffic_finish(r, &traffic, start, evicted);
        return rc;
    }
    const repo_manifest *m;
    int rc = repo_manifest_get(r, model, &m, err);
    if (rc < 0) {
        if (!r->load_error)
            r->load_error = rc;
        repo_traffic_finish(r, &traffic, start, evicted);
        return rc;
    }
    int count = 0;
    for (int i = 0; i < m->count; i++)
        count += m->entries[i].position < prefix_length;
    load_owner *o = calloc(1, sizeof *o + sizeof o->held[0] * (size_t)count);
    out->tensors = calloc((size_t)count + 1, sizeof *out->tensors);
    out->owner = o;
    if (!o || !out->tensors)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory loading model %lld",
                           (long long)model);
    for (int i = 0; rc == EXH_OK && i < m->count; i++) {
        if (m->entries[i].position >= prefix_length)
            continue;
        rc = serve(r, model, &m->entries[i], &out->tensors[o->count], &o->held[o->count], err);
        o->count++;
        out->count = o->count;
    }
    if (rc == EXH_OK)
        rc = repo_tier_enter(r, out, err);
    if (rc < 0)
        exh_repo_tensors_release(out);
    traffic = r->last;
    if (rc < 0 && !r->load_error)
        r->load_error = rc;
    repo_traffic_finish(r, &traffic, start, evicted);
    return rc;
}

void exh_repo_traffic_get(const exh_repo *r, exh_repo_traffic *last, exh_repo_traffic *total)
{
    if (last)
        *last = r->last;
    if (total)
        *total = r->total;
}

/* ---- provenance ---- */

int exh_repo_lineage(exh_repo *r, int64_t model, exh_repo_lineage_step *steps, int max,
                     exh_error *err)
{
    int count = 0;
    for (int64_t id = model; id >= 0 && count < max;) {
        exh_repo_model m;
        int rc = exh_repo_model_get(r, id, &m, err);
        if (rc == EXH_ERR_NOT_FOUND && count > 0)
            break; /* an ancestor gc removed: the chain ends here */
        if (rc < 0)
            return rc;
        steps[count++] = (exh_repo_lineage_step){m.id, m.parent_id, m.donor_id, m.prefix_length,
                                                 m.quality};
        /* A parent is an earlier job: a cycle means a broken repository. */
        id = m.parent_id < id ? m.parent_id : -1;
    }
    return count;
}
