/*
 * cachesim_cache.h — one byte-capacity cache of tensors, for the replay
 * (analyze/cachesim.c) and the repository's live fast tier (repo_read.c):
 * a keymap from tensor key to entry (or, when the keys are dense ids below a
 * known bound, an array indexed by key: tcache_index_dense), and the eviction order,
 * either a recency list (LRU, O(1) per use) or a min-heap on (uses, last use)
 * (LFU, O(log n) per use; the entry remembers its heap position so a use can
 * sift it in place).
 *
 * `stamp` is the caller's clock of uses: strictly increasing, so that "least
 * recent" never ties and runs are deterministic.
 */
#ifndef EXHAUST_REPO_CACHESIM_CACHE_H
#define EXHAUST_REPO_CACHESIM_CACHE_H

#include <stdint.h>

#include "repo/idmap.h"
#include "repo/keymap.h"

typedef struct cache_entry {
    uint64_t key;
    int64_t bytes;
    int64_t uses;        /* LFU: hits + writes since insertion */
    uint64_t last_use;   /* stamp of the last use */
    int64_t older, newer; /* LRU list links (-1: none); `older` links the free list */
    int64_t heap_position; /* LFU */
} cache_entry;

typedef struct tensor_cache {
    keymap index;          /* key -> entry number (unless dense) */
    int32_t *dense;        /* key -> entry number, -1: absent (NULL: not dense) */
    int64_t dense_keys;    /* dense or ids: keys are 0..dense_keys-1 */
    idmap ids;             /* key -> entry number in 8-byte slots (tcache_index_ids) */
    cache_entry *entries;
    int64_t entry_count, entry_capacity, free_entry;
    int64_t newest, oldest; /* LRU list ends (-1: empty) */
    int64_t *heap;         /* LFU: entry numbers, heap-ordered */
    int64_t heap_size;
    int64_t capacity_bytes, stored_bytes;
    int lfu;
    /* Told each evicted key (NULL: nobody): the live cache (src/repo/)
     * frees its copy of the tensor; the replay only counts. */
    void (*on_evict)(void *context, uint64_t key);
    void *evict_context;
} tensor_cache;

/* An empty cache; returns 0 or EXH_ERR_NOMEM. */
int tcache_init(tensor_cache *c, int64_t capacity_bytes, int lfu);
void tcache_free(tensor_cache *c);
/* Index an empty cache by key in an array of `keys` entries instead of the
 * keymap: every key offered later must be below `keys` (the replay's
 * interned tensor ids). A hash lookup per use becomes one load; 4 bytes per
 * key. Returns 0 or EXH_ERR_NOMEM (the keymap stays in use). */
int tcache_index_dense(tensor_cache *c, int64_t keys);
/* The same promise (keys below `keys` <= INT32_MAX), but a compact hash map
 * (idmap.h) sized by what the cache holds: for many small caches, where an
 * array each would not fit. Returns 0, EXH_ERR_NOMEM or EXH_ERR_INVALID. */
int tcache_index_ids(tensor_cache *c, int64_t keys);

/* If `key` is held, count a use at `stamp` and return 1; else 0. */
int tcache_use(tensor_cache *c, uint64_t key, uint64_t stamp);
/* Store `key` (not held) of `bytes` > 0, evicting until it fits; *evictions
 * is increased by the entries evicted. Returns 1 when stored, 0 when larger
 * than the capacity (nothing evicted), EXH_ERR_NOMEM, or EXH_ERR_INVALID for
 * a key past a dense index. */
int tcache_insert(tensor_cache *c, uint64_t key, int64_t bytes, uint64_t stamp,
                  int64_t *evictions);
/* A write offered to the cache (the replay's WRITE and the live tier's
 * save): a use at `stamp` when `key` is held (*held = 1, returns 0), else
 * tcache_insert. */
int tcache_offer(tensor_cache *c, uint64_t key, int64_t bytes, uint64_t stamp,
                 int64_t *evictions, int *held);

#endif
