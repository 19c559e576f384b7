/* arch_arena.h — architectures stored at their real length.
 *
 * A trace record points at its tokens (trace.h: arch_length, arch_token)
 * instead of holding a whole exh_arch (1 KB for NB201's 6 tokens). The
 * search keeps them here: blocks that never move, so a pointer handed out
 * stays valid until arch_arena_free, and that grow geometrically, so ten
 * million records cost a few dozen allocations. */
#ifndef EXHAUST_SEARCH_ARCH_ARENA_H
#define EXHAUST_SEARCH_ARCH_ARENA_H

#include <stdint.h>

#define ARCH_ARENA_FIRST_BLOCK 1024         /* tokens */
#define ARCH_ARENA_LARGEST_BLOCK (1 << 22)  /* tokens (16 MiB): growth stops doubling here */

typedef struct arch_arena {
    int32_t **block;
    int block_count, block_capacity;
    int64_t used, size;        /* tokens used of the last block, and its size */
    int64_t tokens;            /* tokens stored in all */
} arch_arena;

/* An empty arena (allocates nothing until the first add). */
void arch_arena_init(arch_arena *a);
/* A copy of tokens[0..length) in the arena, or NULL when out of memory.
 * length 0 gives a valid pointer to no tokens. */
const int32_t *arch_arena_add(arch_arena *a, const int32_t *tokens, int length);
void arch_arena_free(arch_arena *a);

#endif
