/* idmap.c — int32 id -> int32 hash map in 8-byte slots (see idmap.h). */
#include "repo/idmap.h"

#include <stdlib.h>

#include "exhaust/error.h"

/* Interned ids are 0, 1, 2, ...: a multiplicative (Fibonacci) hash's high
 * bits spread them. */
static uint32_t home(const idmap *m, uint32_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & m->mask;
}

static int allocate(idmap *m, uint32_t capacity)
{
    m->slots = calloc(capacity, sizeof *m->slots);
    if (!m->slots)
        return EXH_ERR_NOMEM;
    m->mask = capacity - 1;
    m->count = 0;
    return EXH_OK;
}

int idmap_init(idmap *m)
{
    return allocate(m, 16);
}

void idmap_free(idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}

int32_t idmap_get(const idmap *m, int32_t id)
{
    uint32_t key = (uint32_t)id + 1;
    for (uint32_t i = home(m, key);; i = (i + 1) & m->mask) {
        if (m->slots[i].key == key)
            return m->slots[i].value;
        if (!m->slots[i].key)
            return -1;
    }
}

static void place(idmap *m, uint32_t key, int32_t value)
{
    uint32_t i = home(m, key);
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    m->count += !m->slots[i].key;
    m->slots[i] = (idmap_slot){key, value};
}

static int grow(idmap *m)
{
    if (m->mask >= UINT32_MAX / 4)
        return EXH_ERR_NOMEM;
    idmap old = *m;
    if (allocate(m, (old.mask + 1) * 2) < 0) {
        *m = old;
        return EXH_ERR_NOMEM;
    }
    for (uint32_t i = 0; i <= old.mask; i++)
        if (old.slots[i].key)
            place(m, old.slots[i].key, old.slots[i].value);
    free(old.slots);
    return EXH_OK;
}

int idmap_put(idmap *m, int32_t id, int32_t value)
{
    /* Keep the load at most 1/2: probe runs stay short. */
    if ((m->count + 1) * 2 > m->mask + 1 && grow(m) < 0)
        return EXH_ERR_NOMEM;
    place(m, (uint32_t)id + 1, value);
    return EXH_OK;
}

void idmap_remove(idmap *m, int32_t id)
{
    uint32_t key = (uint32_t)id + 1, hole = home(m, key);
    while (m->slots[hole].key && m->slots[hole].key != key)
        hole = (hole + 1) & m->mask;
    if (!m->slots[hole].key)
        return;
    m->slots[hole].key = 0;
    m->count--;
    /* Backward shift (keymap.c): members of the run whose home lies
     * cyclically outside (hole, at] move into the hole. */
    for (uint32_t at = (hole + 1) & m->mask; m->slots[at].key; at = (at + 1) & m->mask) {
        uint32_t h = home(m, m->slots[at].key);
        int stays = h <= at ? (h <= hole && hole < at) == 0 : (h <= hole || hole < at) == 0;
        if (stays)
            continue;
        m->slots[hole] = m->slots[at];
        m->slots[at].key = 0;
        hole = at;
    }
}
