/* cachesim_cache.c — one tensor cache: LRU list or LFU heap (see
 * cachesim_cache.h). */
#include "repo/cachesim_cache.h"

#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

int tcache_init(tensor_cache *c, int64_t capacity_bytes, int lfu)
{
    memset(c, 0, sizeof *c);
    c->free_entry = c->newest = c->oldest = -1;
    c->capacity_bytes = capacity_bytes;
    c->lfu = lfu;
    return keymap_init(&c->index, 0);
}

void tcache_free(tensor_cache *c)
{
    keymap_free(&c->index);
    free(c->dense);
    idmap_free(&c->ids);
    free(c->entries);
    free(c->heap);
    memset(c, 0, sizeof *c);
}

int tcache_index_dense(tensor_cache *c, int64_t keys)
{
    if (keys < 1 || keys > INT32_MAX)
        return EXH_ERR_INVALID;
    c->dense = malloc(sizeof *c->dense * (size_t)keys);
    if (!c->dense)
        return EXH_ERR_NOMEM;
    memset(c->dense, 0xff, sizeof *c->dense * (size_t)keys); /* all -1 */
    c->dense_keys = keys;
    return EXH_OK;
}

int tcache_index_ids(tensor_cache *c, int64_t keys)
{
    if (keys < 1 || keys > INT32_MAX)
        return EXH_ERR_INVALID;
    if (idmap_init(&c->ids) < 0)
        return EXH_ERR_NOMEM;
    keymap_free(&c->index); /* not used: a keymap per cache is what costs */
    c->dense_keys = keys;
    return EXH_OK;
}

/* The entry holding `key`, or -1. */
static int64_t entry_of(const tensor_cache *c, uint64_t key)
{
    if (c->dense_keys && key >= (uint64_t)c->dense_keys)
        return -1;
    if (c->dense)
        return c->dense[key];
    if (c->ids.slots)
        return idmap_get(&c->ids, (int32_t)key);
    const int64_t *found = keymap_find(&c->index, key);
    return found ? *found : -1;
}

/* Remember that `key` is in entry e (-1: no longer held). Returns 0 or
 * EXH_ERR_NOMEM. */
static int set_entry(tensor_cache *c, uint64_t key, int64_t e)
{
    if (c->dense) {
        c->dense[key] = (int32_t)e;
        return EXH_OK;
    }
    if (c->ids.slots) {
        if (e < 0) {
            idmap_remove(&c->ids, (int32_t)key);
            return EXH_OK;
        }
        return idmap_put(&c->ids, (int32_t)key, (int32_t)e);
    }
    if (e < 0) {
        keymap_remove(&c->index, key);
        return EXH_OK;
    }
    return keymap_upsert(&c->index, key, e, NULL) ? EXH_OK : EXH_ERR_NOMEM;
}

/* ---- LRU list: newest at one end, oldest (the victim) at the other ---- */

static void list_unlink(tensor_cache *c, int64_t e)
{
    cache_entry *x = &c->entries[e];
    if (x->older >= 0)
        c->entries[x->older].newer = x->newer;
    else
        c->oldest = x->newer;
    if (x->newer >= 0)
        c->entries[x->newer].older = x->older;
    else
        c->newest = x->older;
}

static void list_push_newest(tensor_cache *c, int64_t e)
{
    cache_entry *x = &c->entries[e];
    x->older = c->newest;
    x->newer = -1;
    if (c->newest >= 0)
        c->entries[c->newest].newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

/* ---- LFU heap: the root is the fewest uses, then the least recent ---- */

static int heap_less(const tensor_cache *c, int64_t a, int64_t b)
{
    const cache_entry *x = &c->entries[a], *y = &c->entries[b];
    if (x->uses != y->uses)
        return x->uses < y->uses;
    return x->last_use < y->last_use;
}

static void heap_place(tensor_cache *c, int64_t at, int64_t e)
{
    c->heap[at] = e;
    c->entries[e].heap_position = at;
}

static void heap_sift_up(tensor_cache *c, int64_t at)
{
    int64_t e = c->heap[at];
    while (at > 0) {
        int64_t parent = (at - 1) / 2;
        if (!heap_less(c, e, c->heap[parent]))
            break;
        heap_place(c, at, c->heap[parent]);
        at = parent;
    }
    heap_place(c, at, e);
}

static void heap_sift_down(tensor_cache *c, int64_t at)
{
    int64_t e = c->heap[at];
    for (;;) {
        int64_t child = 2 * at + 1;
        if (child >= c->heap_size)
            break;
        if (child + 1 < c->heap_size && heap_less(c, c->heap[child + 1], c->heap[child]))
            child++;
        if (!heap_less(c, c->heap[child], e))
            break;
        heap_place(c, at, c->heap[child]);
        at = child;
    }
    heap_place(c, at, e);
}

static void heap_push(tensor_cache *c, int64_t e)
{
    heap_place(c, c->heap_size++, e);
    heap_sift_up(c, c->heap_size - 1);
}

static void heap_pop_root(tensor_cache *c)
{
    int64_t last = c->heap[--c->heap_size];
    if (c->heap_size > 0) {
        heap_place(c, 0, last);
        heap_sift_down(c, 0);
    }
}

/* ---- entries ---- */

int tcache_use(tensor_cache *c, uint64_t key, uint64_t stamp)
{
    int64_t e = entry_of(c, key);
    if (e < 0)
        return 0;
    cache_entry *x = &c->entries[e];
    x->uses++;
    x->last_use = stamp;
    if (c->lfu) {
        heap_sift_down(c, x->heap_position); /* its key only grew */
    } else {
        list_unlink(c, e);
        list_push_newest(c, e);
    }
    return 1;
}

static void evict_one(tensor_cache *c)
{
    int64_t e = c->lfu ? c->heap[0] : c->oldest;
    if (c->lfu)
        heap_pop_root(c);
    else
        list_unlink(c, e);
    cache_entry *x = &c->entries[e];
    set_entry(c, x->key, -1);
    c->stored_bytes -= x->bytes;
    if (c->on_evict)
        c->on_evict(c->evict_context, x->key);
    x->older = c->free_entry;
    c->free_entry = e;
}

static int grow_entries(tensor_cache *c)
{
    int64_t capacity = c->entry_capacity ? c->entry_capacity * 2 : 64;
    cache_entry *entries = realloc(c->entries, sizeof *entries * (size_t)capacity);
    if (!entries)
        return EXH_ERR_NOMEM;
    c->entries = entries;
    if (c->lfu) {
        int64_t *heap = realloc(c->heap, sizeof *heap * (size_t)capacity);
        if (!heap)
            return EXH_ERR_NOMEM;
        c->heap = heap;
    }
    c->entry_capacity = capacity;
    return EXH_OK;
}

/* A free entry number, or a negative error. */
static int64_t new_entry(tensor_cache *c)
{
    if (c->free_entry >= 0) {
        int64_t e = c->free_entry;
        c->free_entry = c->entries[e].older;
        return e;
    }
    if (c->entry_count == c->entry_capacity && grow_entries(c) < 0)
        return EXH_ERR_NOMEM;
    return c->entry_count++;
}

int tcache_insert(tensor_cache *c, uint64_t key, int64_t bytes, uint64_t stamp,
                  int64_t *evictions)
{
    if (c->dense_keys && key >= (uint64_t)c->dense_keys)
        return EXH_ERR_INVALID; /* a caller's bug: keys were promised below dense_keys */
    if (bytes > c->capacity_bytes)
        return 0;
    while (c->stored_bytes + bytes > c->capacity_bytes) {
        evict_one(c);
        (*evictions)++;
    }
    int64_t e = new_entry(c);
    if (e < 0)
        return (int)e;
    if (set_entry(c, key, e) < 0) {
        c->entries[e].older = c->free_entry;
        c->free_entry = e;
        return EXH_ERR_NOMEM;
    }
    c->entries[e] = (cache_entry){.key = key, .bytes = bytes, .uses = 1, .last_use = stamp};
    c->stored_bytes += bytes;
    if (c->lfu)
        heap_push(c, e);
    else
        list_push_newest(c, e);
    return 1;
}

int tcache_offer(tensor_cache *c, uint64_t key, int64_t bytes, uint64_t stamp,
                 int64_t *evictions, int *held)
{
    *held = tcache_use(c, key, stamp);
    return *held ? 0 : tcache_insert(c, key, bytes, stamp, evictions);
}
