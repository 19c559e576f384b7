/* crc32c.h — CRC-32C (Castagnoli), as TFRecord files use it. */
#ifndef EXHAUST_CRC32C_H
#define EXHAUST_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(const void *data, size_t size);

/* TFRecord stores CRCs "masked" so that a CRC of data holding CRCs is safe:
 * rotate right by 15 bits and add 0xa282ead8. */
uint32_t crc32c_masked(const void *data, size_t size);

#endif
