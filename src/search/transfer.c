/* transfer.c — tensor keys for transfer learning (see transfer.h). */
#include "exhaust/transfer.h"

uint64_t transfer_tensor_key(const arch *a, int position)
{
    /* FNV-1a over the position and the prefix it closes. */
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (uint64_t)position) * 1099511628211ULL;
    for (int i = 0; i <= position && i < a->length; i++)
        h = (h ^ (uint32_t)a->token[i]) * 1099511628211ULL;
    return h;
}

int transfer_received_keys(const arch *child, int prefix_length, uint64_t *keys, int max)
{
    if (prefix_length > child->length)
        prefix_length = child->length;
    for (int i = 0; i < prefix_length && i < max; i++)
        keys[i] = transfer_tensor_key(child, i);
    return prefix_length < 0 ? 0 : prefix_length;
}
