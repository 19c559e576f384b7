/* transfer.c — tensor keys for transfer learning (see transfer.h). */
#include "exhaust/transfer.h"
#include "util/hash.h"

uint64_t exh_transfer_tensor_key(const exh_arch *a, int position)
{
    /* The position and the prefix it closes. */
    int closed = position + 1 < a->length ? position + 1 : a->length;
    return hash_tokens(hash_add(HASH_START, (uint64_t)position), a->token, closed);
}

int exh_transfer_received_count(const exh_arch *child, int prefix_length)
{
    if (prefix_length < 0)
        return 0;
    return prefix_length < child->length ? prefix_length : child->length;
}

int exh_transfer_received_keys(const exh_arch *child, int prefix_length, uint64_t *keys, int max)
{
    int count = exh_transfer_received_count(child, prefix_length);
    for (int i = 0; i < count && i < max; i++)
        keys[i] = exh_transfer_tensor_key(child, i);
    return count;
}
