/* keymap.c — uint64 -> int64 hash map (see keymap.h). */
#include "repo/keymap.h"

#include <stdlib.h>

#include "exhaust/error.h"

/* splitmix64's finalizer: job ids 0, 1, 2, ... would otherwise fill one run. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int allocate(keymap *m, uint64_t capacity)
{
    m->slots = calloc((size_t)capacity, sizeof *m->slots);
    if (!m->slots)
        return EXH_ERR_NOMEM;
    m->mask = capacity - 1;
    m->count = 0;
    return EXH_OK;
}

int keymap_init(keymap *m, int64_t expected)
{
    uint64_t capacity = 16;
    while (expected > 0 && capacity < (uint64_t)expected * 2)
        capacity *= 2;
    return allocate(m, capacity);
}

void keymap_free(keymap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

static uint64_t home(const keymap *m, uint64_t key)
{
    return mix(key) & m->mask;
}

int64_t *keymap_find(const keymap *m, uint64_t key)
{
    for (uint64_t i = home(m, key);; i = (i + 1) & m->mask) {
        keymap_slot *s = &m->slots[i];
        if (!s->used)
            return NULL;
        if (s->key == key)
            return &s->value;
    }
}

static int grow(keymap *m)
{
    keymap old = *m;
    if (allocate(m, (old.mask + 1) * 2) < 0) {
        *m = old;
        return EXH_ERR_NOMEM;
    }
    for (uint64_t i = 0; i <= old.mask; i++)
        if (old.slots[i].used)
            *keymap_upsert(m, old.slots[i].key, old.slots[i].value, NULL) = old.slots[i].value;
    free(old.slots);
    return EXH_OK;
}

int64_t *keymap_upsert(keymap *m, uint64_t key, int64_t initial, int *inserted)
{
    if (inserted)
        *inserted = 0;
    int64_t *found = keymap_find(m, key);
    if (found)
        return found;
    /* Keep the load at most 1/2: probe runs stay short. */
    if ((uint64_t)(m->count + 1) * 2 > m->mask + 1 && grow(m) < 0)
        return NULL;
    uint64_t i = home(m, key);
    while (m->slots[i].used)
        i = (i + 1) & m->mask;
    m->slots[i] = (keymap_slot){key, initial, 1};
    m->count++;
    if (inserted)
        *inserted = 1;
    return &m->slots[i].value;
}

/* Whether a key whose home is `h` may move to the hole at `hole` from `at`
 * (the hole lies cyclically within [h, at)). */
static int may_fill(uint64_t h, uint64_t hole, uint64_t at)
{
    if (h <= at)
        return h <= hole && hole < at;
    return h <= hole || hole < at;
}

int keymap_remove(keymap *m, uint64_t key)
{
    uint64_t hole = home(m, key);
    while (m->slots[hole].used && m->slots[hole].key != key)
        hole = (hole + 1) & m->mask;
    if (!m->slots[hole].used)
        return 0;
    m->slots[hole].used = 0;
    m->count--;
    /* Backward shift: pull later members of the run into the hole so that
     * lookups never stop early at it. */
    for (uint64_t at = (hole + 1) & m->mask; m->slots[at].used; at = (at + 1) & m->mask) {
        if (!may_fill(home(m, m->slots[at].key), hole, at))
            continue;
        m->slots[hole] = m->slots[at];
        m->slots[at].used = 0;
        hole = at;
    }
    return 1;
}
