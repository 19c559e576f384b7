/*
 * idmap.h — a hash map from dense int32 ids (0..INT32_MAX-1) to int32
 * values in 8-byte slots, for the replay's per-worker tensor caches
 * (cachesim_cache.c): thousands of small caches, each touched cold by a
 * random worker's event, so what costs is the cache lines a lookup reads.
 * A keymap slot is 24 bytes; this one is 8, so the caches' indexes take a
 * third of the memory and most lookups one line.
 *
 * Open addressing, linear probing, backward-shift deletion, load <= 1/2
 * (as keymap.h). Slot key 0 means empty; id k is stored as k + 1.
 */
#ifndef EXHAUST_REPO_IDMAP_H
#define EXHAUST_REPO_IDMAP_H

#include <stdint.h>

typedef struct idmap_slot {
    uint32_t key;          /* id + 1; 0: empty */
    int32_t value;
} idmap_slot;

typedef struct idmap {
    idmap_slot *slots;
    uint32_t mask;         /* capacity - 1 (a power of two) */
    uint32_t count;
} idmap;

/* An empty map of 16 slots (it grows). Returns 0 or EXH_ERR_NOMEM. */
int idmap_init(idmap *m);
void idmap_free(idmap *m);
/* The value of `id`, or -1 when absent. */
int32_t idmap_get(const idmap *m, int32_t id);
/* Set `id` (absent or present) to `value`. Returns 0 or EXH_ERR_NOMEM. */
int idmap_put(idmap *m, int32_t id, int32_t value);
/* Remove `id` if present. */
void idmap_remove(idmap *m, int32_t id);

#endif
