/* hash.h — the project's one hash: FNV-1a (64-bit), for open-addressing
 * tables and tensor keys. Text is hashed byte by byte; integers (tokens,
 * positions) each as one unit, which keeps a token sequence's hash cheap. */
#ifndef EXHAUST_HASH_H
#define EXHAUST_HASH_H

#include <stdint.h>

#define HASH_START 14695981039346656037ULL /* FNV-1a offset basis */
#define HASH_PRIME 1099511628211ULL

static inline uint64_t hash_add(uint64_t h, uint64_t value)
{
    return (h ^ value) * HASH_PRIME;
}

static inline uint64_t hash_text(const char *text)
{
    uint64_t h = HASH_START;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        h = hash_add(h, *c);
    return h;
}

/* Continue h over tokens[0..count). */
static inline uint64_t hash_tokens(uint64_t h, const int32_t *tokens, int count)
{
    for (int i = 0; i < count; i++)
        h = hash_add(h, (uint32_t)tokens[i]);
    return h;
}

#endif
