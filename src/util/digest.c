/* digest.c — the repository's content digests (see digest.h). */
#include "util/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <xxhash.h>

static void to_hex(const unsigned char *bytes, size_t count, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < count; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * count] = '\0';
}

int sha256_hex(const void *data, size_t size, char hex[SHA256_HEX_SIZE])
{
    static const unsigned char empty[1];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(size ? data : empty, size, digest, &length, EVP_sha256(), NULL) ||
        length != 32) {
        hex[0] = '\0';
        return -1;
    }
    to_hex(digest, 32, hex);
    return 0;
}

void xxh3_hex(const void *data, size_t size, char hex[XXH3_HEX_SIZE])
{
    static const unsigned char empty[1];
    snprintf(hex, XXH3_HEX_SIZE, "%016llx",
             (unsigned long long)XXH3_64bits(size ? data : empty, size));
}
