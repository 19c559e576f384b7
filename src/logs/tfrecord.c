#include "logs/tfrecord.h"

#include "util/crc32c.h"

void tfrecord_open(tfrecord_reader *reader, const void *data, size_t size)
{
    reader->data = data;
    reader->size = size;
    reader->offset = 0;
    reader->record = 0;
}

static uint64_t read_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t read_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int tfrecord_next(tfrecord_reader *reader, const unsigned char **record, size_t *length,
                  exh_error *err)
{
    size_t start = reader->offset, left = reader->size - start;
    const unsigned char *p = reader->data + start;
    if (left == 0)
        return 0;
    if (left < 12)
        return exh_error_set(err, EXH_ERR_CORRUPT, "byte %zu: record %ld: truncated header (%zu of "
                             "12 bytes)", start, reader->record + 1, left);
    if (crc32c_masked(p, 8) != read_u32(p + 8))
        return exh_error_set(err, EXH_ERR_CORRUPT, "byte %zu: record %ld: length CRC mismatch",
                             start, reader->record + 1);
    uint64_t n = read_u64(p);
    if (n > left - 12 || left - 12 - n < 4)
        return exh_error_set(err, EXH_ERR_CORRUPT,
                             "byte %zu: record %ld: truncated data (%llu bytes announced, %zu left)",
                             start, reader->record + 1, (unsigned long long)n, left - 12);
    if (crc32c_masked(p + 12, (size_t)n) != read_u32(p + 12 + n))
        return exh_error_set(err, EXH_ERR_CORRUPT, "byte %zu: record %ld: data CRC mismatch", start,
                             reader->record + 1);
    *record = p + 12;
    *length = (size_t)n;
    reader->offset = start + 16 + (size_t)n;
    reader->record++;
    return 1;
}
