/* repo_internal.h — what the files of the model repository (src/repo/)
 * share: the handle, a manifest in memory, paths, the index and the fast
 * tier. See include/exhaust/repo.h for the format. */
#ifndef EXHAUST_REPO_INTERNAL_H
#define EXHAUST_REPO_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "exhaust/repo.h"
#include "util/digest.h"
#include "repo/cachesim_cache.h"
#include "repo/tier_window.h"

#define REPO_PATH_MAX 4096

/* One tensor of a manifest. */
typedef struct repo_entry {
    int position;
    char name[EXH_REPO_NAME_MAX];
    int dtype, ndim;
    int64_t shape[EXH_REPO_MAX_DIMS];
    int64_t bytes;
    char sha256[EXH_REPO_HASH_HEX];
    char xxh3[XXH3_HEX_SIZE]; /* the fast read check ("" in manifests that predate it) */
} repo_entry;

typedef struct repo_manifest {
    exh_repo_model model;
    repo_entry *entries;
    int count, capacity;
    /* A save's traffic (loads since the handle's previous save, and this
     * save) and the first failed load's error code (0: none), written as
     * "traffic"; has_traffic 0 when read from a manifest without one. */
    int has_traffic;
    exh_repo_traffic traffic; /* fast_misses: tensors read from the store */
    int load_error;
} repo_manifest;

/* A parsed manifest kept in the handle with the text it was parsed from:
 * a committed model never changes, but gc (here or in another process) may
 * remove it and a later save may reuse its id. */
#define REPO_MANIFEST_SLOTS 16
typedef struct repo_manifest_slot {
    int64_t id; /* -1: empty */
    char *text;
    size_t size;
    repo_manifest manifest;
} repo_manifest_slot;

/* A fast-tier copy of a blob; shared by the cache and the loads serving it,
 * freed when both let go. */
typedef struct repo_cached {
    int references;
    int64_t bytes;
    unsigned char data[];
} repo_cached;

struct exh_repo {
    char *path;
    exh_repo_options options;
    sqlite3 *db;              /* NULL with no_index */
    unsigned long temp_counter;
    int64_t reconciled;       /* index rows the open fixed */
    int fast_tier;            /* options.cache_bytes > 0 */
    tensor_cache cache;       /* key: the blob's first 64 hash bits */
    keymap cached;            /* key -> (repo_cached *) as int64 */
    uint64_t stamp;
    int tier;                 /* the tier policy: admission by the window */
    tier_window window;
    keymap tier_ids;          /* blob key -> dense id in the window */
    exh_repo_traffic last, total;
    int64_t evicted;          /* fast-tier evictions since open */
    exh_repo_traffic mark;    /* r->total at the last save: a save records what followed */
    int load_error;           /* the first failed load's code since the last save; 0: none */
    char *fast_dir;           /* options.fast_dir (or the environment's) copied; NULL: none */
    int blobs_fd;             /* blobs/, kept open for openat; -1: use the paths */
    repo_manifest_slot manifests[REPO_MANIFEST_SLOTS];
    int next_slot;            /* the slot a miss replaces (round robin) */
    unsigned char *bounce;    /* REPO_BOUNCE_BYTES for checking a blob before copying it */
};

#define REPO_BOUNCE_BYTES (256 << 10) /* fits in L2: the bytes are hashed while hot */

/* What donor lookup needs of a model. */
typedef struct repo_candidate {
    int64_t id;
    double quality;
    exh_arch architecture;
} repo_candidate;

/* ---- repo.c: paths and atomic writes ---- */
int repo_blob_path(const exh_repo *r, const char *sha256, char *out, size_t size);
/* Open a blob read-only (relative to the kept blobs folder); -1 with errno. */
int repo_blob_open(const exh_repo *r, const char *sha256);
int repo_manifest_path(const exh_repo *r, int64_t id, char *out, size_t size);
/* Write data to `path` through tmp/ (fsync, rename): never partial. */
int repo_write_atomic(exh_repo *r, const char *path, const void *data, size_t size, exh_error *err);
/* Whether `name` is 64 lowercase hex digits. */
int repo_is_hash(const char *name);
/* The fast tier's key of a blob: its first 16 hex digits. */
uint64_t repo_blob_key(const char *sha256);

/* ---- repo_check.c: the lock between saves and the gc sweep ---- */
/* Take REPO/lock shared (a save, from begin to commit or abort) or
 * exclusive (the sweep); a descriptor, or -1 where locks are unavailable
 * (then nothing is locked). */
int repo_gc_lock(const exh_repo *r, int exclusive);
void repo_gc_unlock(int fd);

/* ---- repo_manifest.c: manifests/ID.json ---- */
void repo_manifest_init(repo_manifest *m);
void repo_manifest_free(repo_manifest *m);
int repo_manifest_add(repo_manifest *m, const repo_entry *e, exh_error *err);
/* The manifest as JSON text (malloc'd). */
int repo_manifest_encode(const repo_manifest *m, char **text, exh_error *err);
/* Read manifests/ID.json; EXH_ERR_NOT_FOUND when absent. */
int repo_manifest_read(const exh_repo *r, int64_t id, repo_manifest *m, exh_error *err);
/* The manifest of `id` through the handle's slots: the file is read, and
 * parsed only when its text is not the kept one's.
 * *m stays valid until the next call; EXH_ERR_NOT_FOUND when absent. */
int repo_manifest_get(exh_repo *r, int64_t id, const repo_manifest **m, exh_error *err);
/* Empty the slots (close). */
void repo_manifest_slots_free(exh_repo *r);
/* The ids of manifests/ *.json, sorted (malloc'd in *ids). */
int64_t repo_manifest_ids(const exh_repo *r, int64_t **ids, exh_error *err);
/* Call fn with every manifest, in id order, until it returns < 0; one that
 * vanished since the listing (a concurrent gc) is skipped. */
typedef int (*repo_manifest_fn)(exh_repo *r, const repo_manifest *m, void *context,
                                exh_error *err);
int repo_each_manifest(exh_repo *r, repo_manifest_fn fn, void *context, exh_error *err);
/* Append id to a growing array; EXH_ERR_NOMEM (the array kept) or 0. */
int repo_ids_push(int64_t **ids, int64_t *count, int64_t *capacity, int64_t id);

/* ---- repo_index.c: index.db ---- */
int repo_index_open(exh_repo *r, exh_error *err);
int repo_index_insert(exh_repo *r, const repo_manifest *m, exh_error *err);
int repo_index_delete(exh_repo *r, int64_t id, exh_error *err);
int64_t repo_index_ids(exh_repo *r, int64_t **ids, exh_error *err);
/* The index's copy of a model (same fields as the manifest). */
int repo_index_read(exh_repo *r, int64_t id, repo_manifest *m, exh_error *err);
/* Every indexed model's id, quality and architecture (malloc'd *out). */
int64_t repo_index_candidates(exh_repo *r, repo_candidate **out, exh_error *err);
/* Make the index hold exactly the manifests; *changed counts the fixes. */
int repo_index_reconcile(exh_repo *r, int64_t *changed, exh_error *err);

/* ---- repo_read.c: the fast tier ---- */
int repo_cache_init(exh_repo *r, exh_error *err);
void repo_cache_free(exh_repo *r);
/* An operation's traffic: start it, then fold it into r->last and r->total. */
void repo_traffic_start(exh_repo *r, exh_repo_traffic *t, double *start, int64_t *evicted);
void repo_traffic_finish(exh_repo *r, const exh_repo_traffic *t, double start, int64_t evicted);
/* The fast tier's copy of e's blob (one more reference), or NULL (a miss). */
repo_cached *repo_cache_lookup(exh_repo *r, const repo_entry *e);
void repo_cached_release(repo_cached *c);
/* The tier policy's window: a load enters it with the tensors it served. */
int repo_tier_enter(exh_repo *r, const exh_repo_tensors *t, exh_error *err);
/* Open e's blob: from the fast directory when it holds it (*from_fast_dir
 * 1), else from the store; path gets the file's name for messages. A
 * negative error naming both when neither opens. */
int repo_open_served(exh_repo *r, int64_t model, const repo_entry *e, int *from_fast_dir,
                     char *path, size_t size, exh_error *err);
/* The read check of a blob: the full SHA-256 (asked for, or the manifest
 * predates XXH3), else XXH3-64. compare: EXH_ERR_CORRUPT naming path and the
 * digest unless `actual` (hex) is the manifest's; bytes: compute, compare. */
int repo_verify_full(const exh_repo *r, const repo_entry *e);
int repo_digest_compare(int64_t model, const repo_entry *e, const char *path, int full,
                        const char *actual, exh_error *err);
int repo_verify_bytes(const exh_repo *r, int64_t model, const repo_entry *e, const void *data,
                      const char *path, exh_error *err);
/* The XXH3-64 (hex) of an open blob of `bytes` bytes, read through the
 * handle's bounce buffer (no mapping); -1 with errno. */
int repo_blob_xxh3(exh_repo *r, int fd, int64_t bytes, char hex[XXH3_HEX_SIZE]);
/* A served tensor's fields from its manifest entry (data untouched). */
void repo_describe(exh_repo_tensor *t, const repo_entry *e);
/* Count a served tensor's bytes in r->last: the fast tier's or the store's. */
void repo_count_served(exh_repo *r, const repo_entry *e, int fast);
/* EXH_ERR_CORRUPT (naming path) unless the open blob has e's size. */
int repo_check_size(int fd, int64_t model, const repo_entry *e, const char *path, exh_error *err);
/* Offer a written tensor to the fast tier (a copy): the replay's WRITE. */
int repo_cache_offer(exh_repo *r, const char *sha256, const void *data, int64_t bytes,
                     exh_error *err);

#endif
