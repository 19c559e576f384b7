/* sha256.h — SHA-256 (FIPS 180-4), self-written so the model repository
 * (src/repo/) names its blobs by a real cryptographic content hash without a
 * new dependency. Tested against the FIPS/NIST vectors in tests/test_repo.c. */
#ifndef EXHAUST_SHA256_H
#define EXHAUST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

typedef struct sha256_state {
    uint32_t h[8];
    uint64_t length;        /* bytes hashed so far */
    unsigned char block[64];
    size_t filled;          /* bytes waiting in block */
} sha256_state;

void sha256_init(sha256_state *s);
void sha256_update(sha256_state *s, const void *data, size_t size);
void sha256_final(sha256_state *s, unsigned char digest[SHA256_BYTES]);

/* The digest of data[0..size) as 64 lowercase hex digits. */
void sha256_hex(const void *data, size_t size, char hex[SHA256_HEX_SIZE]);
void sha256_to_hex(const unsigned char digest[SHA256_BYTES], char hex[SHA256_HEX_SIZE]);

#endif
