/*
 * transfer.h — which trained tensors a child receives from its donor.
 *
 * A layer's weights fit a new network only if everything before them is the
 * same, so the tensor at position i is identified by i and the choices at
 * positions 0..i: its key is a hash of (i, token[0..i]). A child with common
 * prefix length L with its donor receives the tensors of positions 0..L-1.
 * A trace records (p:arch_seq, m:donor_id, m:prefix_len), from which these
 * keys follow; caches of transferred tensors (the analysis) are keyed by them.
 */
#ifndef EXHAUST_TRANSFER_H
#define EXHAUST_TRANSFER_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/space.h"

/* The key of the tensor at `position` (0 <= position < a->length). */
EXH_API uint64_t exh_transfer_tensor_key(const exh_arch *a, int position);

/* How many tensors a child with `prefix_length` shared positions receives:
 * the prefix length clamped to 0..child->length (a trace may hold any). */
EXH_API int exh_transfer_received_count(const exh_arch *child, int prefix_length);

/* The keys a child with `prefix_length` shared positions receives, in
 * position order; writes at most `max` and returns how many there are. */
EXH_API int exh_transfer_received_keys(const exh_arch *child, int prefix_length, uint64_t *keys, int max);

#endif
