#include "util/file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

int file_read_all(const char *path, char **data, size_t *size, exh_error *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return exh_error_set(err, errno == ENOENT ? EXH_ERR_NOT_FOUND : EXH_ERR_IO, "%s: %s", path,
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
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (failed) {
        free(buffer);
        return exh_error_set(err, EXH_ERR_IO, "%s: read error", path);
    }
    buffer[used] = '\0';
    *data = buffer;
    *size = used;
    return EXH_OK;
}

int file_read_limited(const char *path, size_t limit, char **data, size_t *size,
                      exh_error *err)
{
    *data = NULL;
    *size = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return exh_error_set(err, errno == ENOENT ? EXH_ERR_NOT_FOUND : EXH_ERR_IO, "%s: %s", path,
                             strerror(errno));
    if (!S_ISREG(st.st_mode))
        return exh_error_set(err, EXH_ERR_INVALID, "%s: not a regular file", path);
    if ((uintmax_t)st.st_size > (uintmax_t)limit)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: %jd bytes, more than the %zu allowed", path,
                             (intmax_t)st.st_size, limit);
    int rc = file_read_all(path, data, size, err);
    if (rc == 0 && *size > limit) { /* it grew between the stat and the read */
        free(*data);
        *data = NULL;
        return exh_error_set(err, EXH_ERR_INVALID, "%s: more than the %zu bytes allowed", path, limit);
    }
    return rc;
}

FILE *file_create(const char *path, const char *mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f)
        close(fd);
    return f;
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
