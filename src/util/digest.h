/* digest.h — the two content digests of the model repository (src/repo/):
 * SHA-256 names a blob (OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions where it has them), and XXH3-64 (libxxhash) checks a blob
 * on the hot read path at memory speed: a torn or flipped byte changes it,
 * and it is recomputed from the bytes the manifest's SHA-256 named when
 * the model was saved. Both as lowercase hex. */
#ifndef EXHAUST_DIGEST_H
#define EXHAUST_DIGEST_H

#include <stddef.h>

#define SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */
#define XXH3_HEX_SIZE 17   /* 16 hex digits and a NUL */

/* The SHA-256 of data[0..size) as 64 hex digits; 0, or -1 when libcrypto
 * fails (out of memory). */
int sha256_hex(const void *data, size_t size, char hex[SHA256_HEX_SIZE]);
/* The XXH3 64-bit hash (seed 0) of data[0..size) as 16 hex digits. */
void xxh3_hex(const void *data, size_t size, char hex[XXH3_HEX_SIZE]);

#endif
