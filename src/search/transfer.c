/* transfer.c — tensor keys for transfer learning (see transfer.h). */
#include "exhaust/transfer.h"
#include "util/hash.h"

uint64_t transfer_tensor_key(const arch *a, int position)
{
    /* The position and the prefix it closes. */
    int closed = position + 1 < a->length ? position + 1 : a->length;
    return hash_tokens(hash_add(HASH_START, (uint64_t)position), a->token, closed);
}

int transfer_received_count(const arch *child, int prefix_length)
{
    if (prefix_length < 0)
        return 0;
    return prefix_length < child->length ? prefix_length : child->length;
}

int transfer_received_keys(const arch *child, int prefix_length, uint64_t *keys, int max)
{
    int count = transfer_received_count(child, prefix_length);
    for (int i = 0; i < count && i < max; i++)
        keys[i] = transfer_tensor_key(child, i);
    return count;
}
