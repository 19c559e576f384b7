#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_read_all(const char *path, char **data, size_t *size, exh_error *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, errno == ENOENT ? EXH_ERR_NOT_FOUND : EXH_ERR_IO, "%s: %s", path,
                         strerror(errno));
    size_t capacity = 1 << 16, used = 0;
    char *buffer = malloc(capacity + 1);
    while (buffer) {
        size_t n = fread(buffer + used, 1, capacity - used, f);
        used += n;
        if (used < capacity)
            break;
        capacity *= 2;
        char *grown = realloc(buffer, capacity + 1);
        if (!grown) {
            free(buffer);
            buffer = NULL;
        } else {
            buffer = grown;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (!buffer)
        return error_set(err, EXH_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (failed) {
        free(buffer);
        return error_set(err, EXH_ERR_IO, "%s: read error", path);
    }
    buffer[used] = '\0';
    *data = buffer;
    *size = used;
    return EXH_OK;
}

int file_directory(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    const char *source = slash ? path : ".";
    if (slash == path)
        n = 1; /* "/x" lives in "/" */
    if (n + 1 > size)
        return EXH_ERR_INVALID;
    memcpy(out, source, n);
    out[n] = '\0';
    return EXH_OK;
}

const char *file_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
