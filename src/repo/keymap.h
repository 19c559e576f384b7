/*
 * keymap.h — a hash map from uint64 keys (tensor keys, prefix keys,
 * job ids) to int64 values, for the trace analyses (cachesim.c,
 * popularity.c) that must stay O(1) per record on million-record traces.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so a cache that inserts and evicts forever keeps short probe
 * runs). Keys are mixed before use, so sequential job ids spread as well as
 * FNV hashes do.
 */
#ifndef EXHAUST_REPO_KEYMAP_H
#define EXHAUST_REPO_KEYMAP_H

#include <stdint.h>

typedef struct keymap_slot {
    uint64_t key;
    int64_t value;
    int used;
} keymap_slot;

typedef struct keymap {
    keymap_slot *slots;
    uint64_t mask;  /* capacity - 1 (a power of two) */
    int64_t count;
} keymap;

/* An empty map sized for about `expected` keys (it grows past that).
 * Returns 0, or EXH_ERR_NOMEM. */
int keymap_init(keymap *m, int64_t expected);
void keymap_free(keymap *m);

/* A pointer to the value of `key`, or NULL when absent. Valid until the
 * next insertion or removal. */
int64_t *keymap_find(const keymap *m, uint64_t key);
/* The value of `key`, inserted with `initial` when absent; NULL when out of
 * memory. *inserted (may be NULL) says whether it was absent. */
int64_t *keymap_upsert(keymap *m, uint64_t key, int64_t initial, int *inserted);
/* Remove `key` if present; returns whether it was. */
int keymap_remove(keymap *m, uint64_t key);

#endif
