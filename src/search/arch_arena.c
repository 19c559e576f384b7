/* arch_arena.c — see arch_arena.h. */
#include "search/arch_arena.h"

#include <stdlib.h>
#include <string.h>

void arch_arena_init(arch_arena *a)
{
    memset(a, 0, sizeof *a);
}

/* A new last block with room for at least `length` tokens. */
static int add_block(arch_arena *a, int length)
{
    if (a->block_count == a->block_capacity) {
        int capacity = a->block_capacity ? 2 * a->block_capacity : 16;
        int32_t **grown = realloc(a->block, sizeof *grown * (size_t)capacity);
        if (!grown)
            return -1;
        a->block = grown;
        a->block_capacity = capacity;
    }
    int64_t size = a->size ? 2 * a->size : ARCH_ARENA_FIRST_BLOCK;
    if (size > ARCH_ARENA_LARGEST_BLOCK)
        size = ARCH_ARENA_LARGEST_BLOCK;
    if (size < length)
        size = length;
    int32_t *block = malloc(sizeof *block * (size_t)size);
    if (!block)
        return -1;
    a->block[a->block_count++] = block;
    a->size = size;
    a->used = 0;
    return 0;
}

const int32_t *arch_arena_add(arch_arena *a, const int32_t *tokens, int length)
{
    if (length < 0)
        return NULL;
    if ((a->block_count == 0 || a->used + length > a->size) && add_block(a, length) < 0)
        return NULL;
    int32_t *out = a->block[a->block_count - 1] + a->used;
    if (length > 0)
        memcpy(out, tokens, sizeof *out * (size_t)length);
    a->used += length;
    a->tokens += length;
    return out;
}

void arch_arena_free(arch_arena *a)
{
    for (int i = 0; i < a->block_count; i++)
        free(a->block[i]);
    free(a->block);
    arch_arena_init(a);
}
