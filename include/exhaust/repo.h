/*
 * repo.h — the model repository: the trained tensors of every evaluated
 * model, stored once by content, so that a child can receive its donor's
 * prefix (transfer.h) from disk or from a fast tier in front of it.
 *
 * On disk a repository is a directory:
 *   blobs/ab/cdef...   one file per distinct tensor, named by the SHA-256 of
 *                      its bytes (64 hex digits, the first two as a folder);
 *                      the file is the raw bytes, so it can be mapped and
 *                      handed out without a copy. A tensor that a child
 *                      received unchanged (a frozen prefix) costs no new bytes.
 *   manifests/ID.json  one per model: id, space, arch (the caller's text),
 *                      arch_sequence (tokens), quality, parent, donor,
 *                      prefix_len (positions received), and tensors: a list of
 *                      {position, name, dtype, shape, bytes, sha256, xxh3}; and
 *                      "traffic" (manifests written before it have none):
 *                      what the saving handle moved since it was opened or
 *                      last saved, so one training process's load of its
 *                      donor's prefix and its save are one record:
 *                      {loads, fast_hits, store_reads (tensors), fast_bytes,
 *                      store_bytes (read), write_bytes (new blobs),
 *                      dedup_bytes, seconds, error (the first failed load's
 *                      EXH_ERR_* code since then; 0: none)}. The search reads
 *                      it into its trace (trace.h, m:repo_*).
 *   index.db           SQLite (WAL, busy timeout): models, tensors and blobs
 *                      tables, rebuilt from the manifests when they disagree.
 *   tmp/               files being written; leftovers of a killed writer are
 *                      reported and removed by exh_repo_gc / check --repair.
 *
 * Hashes: a blob is named by its SHA-256 (OpenSSL's libcrypto, tested
 * against the FIPS vectors), which exh_repo_check recomputes. Every blob is
 * also verified when read (options.verify): by default against the XXH3-64
 * (libxxhash) its manifest recorded at save, which runs at memory speed
 * where SHA-256 runs at about 1.3 GB/s, so a verified load costs about what
 * an unverified one does; EXH_REPO_VERIFY_FULL recomputes the SHA-256
 * instead (as does a manifest without xxh3). Either way a corrupt blob is
 * an EXH_ERR_CORRUPT naming the blob and the model.
 *
 * Atomicity: every file is written to tmp/, fsync'd and renamed into place,
 * so readers never see a partial tensor and need no lock (content-addressed
 * names never change meaning). A model exists once its manifest is renamed
 * into manifests/: that rename is the commit. The index follows the
 * manifests; a writer killed between the two leaves an index that opening
 * the repository read-write reconciles (manifests are the truth), so a
 * killed writer at any moment leaves a consistent repository.
 *
 * Many processes: locally any number of readers and writers may share a
 * repository (SQLite WAL + busy timeout for the index). On a shared
 * filesystem (NFS, Lustre) SQLite locking is not to be trusted: only one
 * process (the search coordinator) should write the index; readers open
 * with options.no_index and resolve models by their manifest paths.
 * exh_repo_gc and exh_repo_remove wait for saves in progress (a lock file,
 * see exh_repo_remove; sound on one machine). A handle is not
 * thread-safe: open one per thread (any number may share the folder).
 *
 * The fast tier: options.cache_bytes > 0 puts a byte-capacity cache in
 * memory in front of the store, run by the same cache code (src/repo/
 * cachesim_cache.c) the trace replay (cachesim.h) uses, with the replay's
 * events: a save offers each tensor (a WRITE: admitted, or a use when held),
 * a load uses each tensor it serves (a READ: a miss does not fill the tier).
 * Policies: lru, lfu and tier (one implementation with the replay's:
 * src/repo/tier_window.c); threshold is lru with model.skip_fast_tier on
 * the saves it skips; prefetch equals lru for one shared tier (as in the
 * replay's shared scope). A child without a donor loads model -1 (nothing):
 * the tier policy's window counts it as the replay counts every record. Loads count fast-tier hits, misses, bytes
 * from each tier and I/O seconds (exh_repo_traffic). Tensors are keyed by
 * content (the first 64 bits of their SHA-256), so a tier never serves
 * another model's weights.
 *
 * Typical use:
 *     exh_repo *r;
 *     if (exh_repo_open("models", NULL, &r, &err) < 0) ...
 *     exh_repo_model m = {.id = job, .parent_id = parent, .donor_id = donor,
 *                         .prefix_length = prefix, .quality = accuracy};
 *     m.architecture = arch;
 *     exh_repo_save *s;
 *     exh_repo_save_begin(r, &m, &s, &err);
 *     exh_repo_save_add_tensor(s, 0, "conv.weight", EXH_DTYPE_F32, 4, shape, data, bytes, &err);
 *     exh_repo_save_commit(s, &err);
 *     ...
 *     int64_t donor; int prefix;
 *     exh_repo_donor(r, &child, &donor, &prefix, &err);
 *     exh_repo_tensors t;
 *     exh_repo_load_prefix(r, donor, prefix, &t, &err);  // t.tensors[i].data ...
 *     exh_repo_tensors_release(&t);
 *     exh_repo_close(r);
 */
#ifndef EXHAUST_REPO_H
#define EXHAUST_REPO_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/space.h"

#define EXH_REPO_MAX_DIMS 8
#define EXH_REPO_NAME_MAX 128  /* a tensor name, NUL included */
#define EXH_REPO_SPACE_MAX 64  /* a space name, NUL included */
#define EXH_REPO_HASH_HEX 65   /* SHA-256 as 64 hex digits and a NUL */
#define EXH_REPO_FAST_DIR_ENV "EXHAUST_REPO_FAST_DIR"

typedef enum exh_repo_dtype {
    EXH_DTYPE_F32, EXH_DTYPE_F64, EXH_DTYPE_F16, EXH_DTYPE_BF16,
    EXH_DTYPE_I8, EXH_DTYPE_U8, EXH_DTYPE_I16, EXH_DTYPE_I32, EXH_DTYPE_I64, EXH_DTYPE_BOOL,
} exh_repo_dtype;
#define EXH_DTYPE_COUNT 10

/* "float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16",
 * "int32", "int64", "bool" (NumPy/PyTorch names); "?" out of range. */
EXH_API const char *exh_repo_dtype_name(int dtype);
/* Bytes of one element (2 for bfloat16); 0 out of range. */
EXH_API int exh_repo_dtype_size(int dtype);
/* The dtype of a name above, or -1. */
EXH_API int exh_repo_dtype_parse(const char *name);
/* A shape as the index stores it and `exhaust repo show` prints it: the
 * sizes joined by commas ("2,3"; "" for a scalar). Truncated to fit `size`;
 * returns the length it needed (as snprintf). */
EXH_API int exh_repo_format_shape(int ndim, const int64_t *shape, char *out, size_t size);

/* The fast tier's policies, as the replay's (cachesim.h) in one shared cache. */
typedef enum exh_repo_cache_policy {
    EXH_REPO_CACHE_LRU,
    EXH_REPO_CACHE_LFU,
    EXH_REPO_CACHE_TIER, /* lru, admitting tensors the last tier_window loads read
                          * at least tier_donations times */
} exh_repo_cache_policy;

/* How a blob is checked when read. */
#define EXH_REPO_VERIFY_NONE 0 /* trust the bytes */
#define EXH_REPO_VERIFY_FAST 1 /* XXH3-64 against the manifest's (SHA-256 without one) */
#define EXH_REPO_VERIFY_FULL 2 /* SHA-256 against the blob's name */

typedef struct exh_repo_options {
    int read_only;        /* open for loads only: no index writes, no reconcile */
    int no_index;         /* resolve models by manifest paths only (shared filesystems) */
    int verify;           /* EXH_REPO_VERIFY_* (default FAST) */
    int fsync;            /* fsync files and folders before renames (default 1) */
    int64_t cache_bytes;  /* the fast tier's capacity; 0: none */
    exh_repo_cache_policy cache_policy;
    int tier_window;      /* tier: loads in the sliding window, >= 1 (default 100) */
    int tier_donations;   /* tier: reads needed for admission, >= 0 (default 5) */
    /* A node-local fast directory (e.g. /dev/shm/X) another process fills:
     * the search's coordinator (exhaust search --repo-fast-dir) copies
     * admitted blobs there as FAST_DIR/<the first 16 hex digits of their
     * SHA-256> (temp + rename: never partial) and unlinks evicted ones.
     * A load looks there first (a fast-tier hit, verified like a blob) and
     * falls back to the store (a miss). NULL: the environment variable
     * EXHAUST_REPO_FAST_DIR (which the search sets for its commands), else
     * none. Copied at open. */
    const char *fast_dir;
} exh_repo_options;

/* read-write, index on, verify, fsync, no fast tier (LRU when one is set,
 * the tier policy's window 100 loads and 5 donations, as the replay's). */
EXH_API void exh_repo_options_default(exh_repo_options *o);

typedef struct exh_repo exh_repo;

/* Open (creating the folder and its index when absent; not when read_only)
 * the repository at `path`; o may be NULL for the defaults. */
EXH_API int exh_repo_open(const char *path, const exh_repo_options *o, exh_repo **out,
                          exh_error *err);
EXH_API void exh_repo_close(exh_repo *r);
EXH_API const char *exh_repo_path(const exh_repo *r);

/* A model as its manifest describes it. */
typedef struct exh_repo_model {
    int64_t id;            /* the job id, >= 0, unique in the repository */
    int64_t parent_id;     /* -1: none */
    int64_t donor_id;      /* -1: none */
    int prefix_length;     /* positions received from the donor (0..) */
    double quality;        /* NAN: unknown */
    exh_arch architecture; /* its tokens: what donor lookup compares */
    char space[EXH_REPO_SPACE_MAX];  /* may be empty */
    char arch_text[EXH_SPACE_TEXT_MAX]; /* the text form; empty: the sequence form is stored */
    int skip_fast_tier;    /* save only: keep its tensors out of the fast tier (the replay's
                            * threshold policy: "never transferred, do not cache"); not stored */
    int tensor_count;      /* filled by the repository */
    int64_t tensor_bytes;  /* filled by the repository: the bytes of all its tensors */
} exh_repo_model;

/* Saving a model: begin, add its tensors (each written to its blob at once,
 * unless an identical one exists), commit (the manifest, then the index).
 * commit and abort free `s`; an abandoned save leaves only blobs that gc
 * removes. */
typedef struct exh_repo_save exh_repo_save;
EXH_API int exh_repo_save_begin(exh_repo *r, const exh_repo_model *m, exh_repo_save **out,
                                exh_error *err);
/* One tensor at `position` (0 <= position < architecture length) named
 * `name` (unique within the model); bytes must equal the product of shape
 * (ndim 0..EXH_REPO_MAX_DIMS) times the dtype's size. */
EXH_API int exh_repo_save_add_tensor(exh_repo_save *s, int position, const char *name,
                                     exh_repo_dtype dtype, int ndim, const int64_t *shape,
                                     const void *data, int64_t bytes, exh_error *err);
EXH_API int exh_repo_save_commit(exh_repo_save *s, exh_error *err);
EXH_API void exh_repo_save_abort(exh_repo_save *s);

/* The manifest of `id`: EXH_ERR_NOT_FOUND when it is not stored. */
EXH_API int exh_repo_model_get(exh_repo *r, int64_t id, exh_repo_model *out, exh_error *err);

/* The ids of the stored models in increasing order: writes at most `max`,
 * returns how many there are (or a negative error). */
EXH_API int64_t exh_repo_list(exh_repo *r, int64_t *ids, int64_t max, exh_error *err);

/* The donor for an architecture: the stored model sharing the longest prefix
 * with `a`, by the trie the search's transfer rule uses (trie.h), so
 * *prefix_length is the search's; among models sharing that prefix, the best
 * quality (NAN counts as worst), then the latest id. *model is -1 and
 * *prefix_length 0 when nothing is stored. `a` itself may be stored (then
 * the prefix is its whole length). */
EXH_API int exh_repo_donor(exh_repo *r, const exh_arch *a, int64_t *model, int *prefix_length,
                           exh_error *err);

/* One served tensor. data points into a read-only mapping of the blob (or
 * the fast tier's copy): valid until exh_repo_tensors_release. */
typedef struct exh_repo_tensor {
    int position;
    char name[EXH_REPO_NAME_MAX];
    int dtype;             /* exh_repo_dtype */
    int ndim;
    int64_t shape[EXH_REPO_MAX_DIMS];
    int64_t bytes;
    const void *data;
    char sha256[EXH_REPO_HASH_HEX];
    int from_fast_tier;    /* 1: served by the cache, 0: by the store */
} exh_repo_tensor;

typedef struct exh_repo_tensors {
    int count;
    exh_repo_tensor *tensors; /* in position order, then name order */
    void *owner;              /* what release frees */
} exh_repo_tensors;

/* The tensors of `model` at positions < prefix_length (all of them when
 * prefix_length >= its length; none when <= 0, or when model is -1: a child
 * without a donor, counted as a load). A blob that is missing or
 * fails its hash is an error naming the blob and the model; nothing is
 * returned then. */
EXH_API int exh_repo_load_prefix(exh_repo *r, int64_t model, int prefix_length,
                                 exh_repo_tensors *out, exh_error *err);
/* Unmap and free; t is emptied. Safe on an emptied or zeroed t. */
EXH_API void exh_repo_tensors_release(exh_repo_tensors *t);

/* Loading into memory the caller owns (a model's parameters, already
 * allocated): the copy a trainer makes anyway, without mapping each blob.
 * Mapping costs page-table work per 4 KiB page on every load and unmap;
 * read() into touched memory does not, so this is the faster way to fill a
 * model (bench/bench_repo.c), while exh_repo_load_prefix serves without a
 * copy.
 *
 * exh_repo_prefix_info: what exh_repo_load_prefix would serve (the same
 * tensors and order), with data NULL and nothing read or counted; release
 * with exh_repo_tensors_release.
 * exh_repo_load_into: the bytes of info->tensors[i] into destinations[i]
 * (info->count pointers, each to info->tensors[i].bytes bytes; a NULL one
 * skips its tensor), info from exh_repo_prefix_info of the same model and
 * prefix_length. Served and counted as exh_repo_load_prefix (fast tier,
 * fast directory, store; verified the same way). Every blob is opened and
 * checked before any byte is copied: when one is missing, of the wrong size
 * or corrupt, no destination was written (only a read failing after the
 * checks, an I/O error, can leave some written). EXH_ERR_INVALID when the
 * model no longer has those tensors (removed and saved again under its id).
 * Blobs are read with read(), checked through a small buffer, then read
 * again into place: two reads and a hash, no mapping. */
EXH_API int exh_repo_prefix_info(exh_repo *r, int64_t model, int prefix_length,
                                 exh_repo_tensors *info, exh_error *err);
EXH_API int exh_repo_load_into(exh_repo *r, int64_t model, int prefix_length,
                               const exh_repo_tensors *info, void *const *destinations,
                               exh_error *err);

/* What loads and saves moved: for the last operation (a load, or a save
 * from begin to commit or abort) and since open, for the search's trace. */
typedef struct exh_repo_traffic {
    int64_t loads;          /* exh_repo_load_prefix and exh_repo_load_into calls */
    int64_t saves;          /* saves committed or aborted */
    int64_t tensors;        /* tensors served or added */
    int64_t fast_hits, fast_misses; /* tensors served found / not found in the fast tier */
    int64_t fast_bytes;     /* bytes served by the fast tier */
    int64_t store_bytes;    /* bytes read from the store (blobs) */
    int64_t written_bytes;  /* bytes of new blobs written */
    int64_t dedup_bytes;    /* bytes added whose blob existed: not written again */
    int64_t evictions;      /* fast-tier entries evicted (saves fill the tier) */
    double io_seconds;      /* wall time inside the operations (hashing included) */
} exh_repo_traffic;
EXH_API void exh_repo_traffic_get(const exh_repo *r, exh_repo_traffic *last,
                                  exh_repo_traffic *total);

/* Provenance: from `model` back through its parents. Each step is a model,
 * its parent and donor, and how many leading positions the donor passed on.
 * The walk stops at a model without a parent, one no longer stored, or after
 * `max` steps. Returns the steps written (>= 1) or a negative error. */
typedef struct exh_repo_lineage_step {
    int64_t model, parent_id, donor_id;
    int prefix_length;       /* positions 0..prefix_length-1 came from donor_id */
    double quality;
} exh_repo_lineage_step;
EXH_API int exh_repo_lineage(exh_repo *r, int64_t model, exh_repo_lineage_step *steps, int max,
                             exh_error *err);

/* Sizes: what the repository holds, and what one file per model (every
 * model's tensors written out whole) would take: their ratio is the dedup. */
typedef struct exh_repo_stats {
    int64_t models, tensors, blobs;
    int64_t bytes_stored;        /* sum of blob sizes */
    int64_t bytes_per_model;     /* sum over models of their tensors' bytes */
    int64_t temp_files;          /* leftovers in tmp/ */
} exh_repo_stats;
EXH_API int exh_repo_stats_get(exh_repo *r, exh_repo_stats *out, exh_error *err);

/* Delete the manifests of models not in keep[0..keep_count), then every
 * blob no manifest refers to, and leftover temp files. out (may be NULL)
 * says what was removed: models, blobs, bytes, temp_files. */
typedef struct exh_repo_gc_result {
    int64_t models_removed, blobs_removed, bytes_removed, temp_files_removed;
} exh_repo_gc_result;
EXH_API int exh_repo_gc(exh_repo *r, const int64_t *keep, int64_t keep_count,
                        exh_repo_gc_result *out, exh_error *err);
/* The other way round: delete the manifests of ids[0..count) (absent ones
 * are skipped), then every blob no manifest refers to, as exh_repo_gc.
 *
 * Either may run while other processes save (the search removes models as
 * they leave its population while trainers save): a blob goes only when no
 * manifest holds it, and a save in progress holds blobs no manifest names
 * yet (one it wrote, one it found and deduplicated against). So a save
 * holds a shared lock on the file REPO/lock from exh_repo_save_begin until
 * its commit or abort, and the blob sweep (and the removal of temp files)
 * holds the exclusive one: it waits for the saves in progress and new saves
 * wait for it. flock(2) locks: sound among processes of one machine (and
 * of NFSv4 clients); on a shared filesystem without them, gc only when no
 * save runs (exhaust search does it at the end unless every process is on
 * one machine). Removing a model a running process is loading is the
 * caller's to avoid (the search protects running jobs' donors). */
EXH_API int exh_repo_remove(exh_repo *r, const int64_t *ids, int64_t count,
                            exh_repo_gc_result *out, exh_error *err);

/* Verify the repository: every blob's SHA-256 matches its name, every
 * manifest parses and its blobs exist, the index equals the manifests.
 * Leftover temp files are counted (removed when `repair`), not problems.
 * Returns EXH_OK, or EXH_ERR_CORRUPT with the first problem in err (all are
 * counted in out->problems). */
typedef struct exh_repo_check_result {
    int64_t manifests, blobs, problems, temp_files;
    int64_t reconciled; /* index rows a read-write open fixed (a killed writer's) */
} exh_repo_check_result;
EXH_API int exh_repo_check(exh_repo *r, int repair, exh_repo_check_result *out, exh_error *err);

#endif
