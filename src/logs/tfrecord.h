/*
 * tfrecord.h — TFRecord framing over a buffer:
 *   uint64 length (little endian) | uint32 masked CRC-32C of those 8 bytes |
 *   length bytes of data | uint32 masked CRC-32C of the data
 * Every check names the byte offset of the record that failed it.
 */
#ifndef EXHAUST_TFRECORD_H
#define EXHAUST_TFRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"

typedef struct tfrecord_reader {
    const unsigned char *data;
    size_t size, offset;
    long record;            /* records read so far */
} tfrecord_reader;

void tfrecord_open(tfrecord_reader *reader, const void *data, size_t size);

/* Next record: 1 and (*record, *length) pointing into the buffer, 0 at a
 * clean end, or EXH_ERR_CORRUPT when the framing is truncated or a CRC does
 * not match (err says which, at which byte). After an error the rest of the
 * buffer cannot be trusted. */
int tfrecord_next(tfrecord_reader *reader, const unsigned char **record, size_t *length,
                  exh_error *err);

#endif
