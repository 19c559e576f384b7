/* lstm_file.c — saving and loading a model (format in lstm.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/lstm_internal.h"
#include "util/crc32c.h"
#include "util/file.h"

static const char magic[8] = {'E', 'X', 'H', 'L', 'S', 'T', 'M', '\0'};

/* Little-endian writer over a buffer sized in advance. */
typedef struct writer {
    unsigned char *at;
} writer;

static void put_u32(writer *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *w->at++ = (unsigned char)(v >> (8 * i));
}

static void put_u64(writer *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *w->at++ = (unsigned char)(v >> (8 * i));
}

static void put_f64(writer *w, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    put_u64(w, v);
}

static size_t header_size(const exh_lstm_model *m)
{
    size_t vocabulary = (size_t)m->vocabulary_size * (size_t)m->config.layer_width;
    return 8 + 4 + 16 + 4 * (size_t)m->config.period + 16 + 4 * vocabulary + 16 + 8;
}

int exh_lstm_save(const exh_lstm_model *model, const char *path, exh_error *err)
{
    const exh_lstm_config *c = &model->config;
    size_t size = header_size(model) + 4 * model->parameter_count + 4;
    unsigned char *buffer = malloc(size);
    if (!buffer)
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory for %zu bytes", path, size);
    writer w = {buffer};
    memcpy(w.at, magic, sizeof magic);
    w.at += sizeof magic;
    put_u32(&w, EXH_LSTM_FILE_VERSION);
    put_u32(&w, (uint32_t)c->embedding_size);
    put_u32(&w, (uint32_t)c->hidden_size);
    put_u32(&w, (uint32_t)c->dense_size);
    put_u32(&w, (uint32_t)c->period);
    for (int p = 0; p < c->period; p++)
        put_u32(&w, (uint32_t)c->choices[p]);
    put_u32(&w, (uint32_t)c->variant);
    put_u32(&w, (uint32_t)c->layer_width);
    put_u32(&w, (uint32_t)c->wide_size);
    put_u32(&w, (uint32_t)model->vocabulary_size);
    for (size_t i = 0; i < (size_t)model->vocabulary_size * (size_t)c->layer_width; i++)
        put_u32(&w, (uint32_t)model->vocabulary[i]);
    put_f64(&w, model->target_mean);
    put_f64(&w, model->target_deviation);
    put_u64(&w, model->parameter_count);
    for (size_t i = 0; i < model->parameter_count; i++) {
        uint32_t bits;
        memcpy(&bits, &model->parameters[i], sizeof bits);
        put_u32(&w, bits);
    }
    put_u32(&w, crc32c(buffer, size - 4));
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buffer, 1, size, f) == size;
    ok = (f && fclose(f) == 0) && ok;
    free(buffer);
    if (!ok)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot write the model", path);
    return EXH_OK;
}

/* Bounds-checked little-endian reader that remembers where it is, so an
 * error can name the byte offset. */
typedef struct reader {
    const unsigned char *data;
    size_t size, at;
    const char *path;
} reader;

static int need(reader *r, size_t n, const char *what, exh_error *err)
{
    if (r->size - r->at < n)
        return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: file ends inside the %s", r->path,
                             r->at, what);
    return EXH_OK;
}

static int get_u32(reader *r, const char *what, uint32_t *out, exh_error *err)
{
    int rc = need(r, 4, what, err);
    if (rc < 0)
        return rc;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)r->data[r->at + i] << (8 * i);
    r->at += 4;
    *out = v;
    return EXH_OK;
}

static int get_u64(reader *r, const char *what, uint64_t *out, exh_error *err)
{
    uint32_t low, high;
    int rc = get_u32(r, what, &low, err);
    if (rc < 0 || (rc = get_u32(r, what, &high, err)) < 0)
        return rc;
    *out = (uint64_t)high << 32 | low;
    return EXH_OK;
}

/* A u32 size field that must lie in [low, high]. */
static int get_size(reader *r, const char *what, uint32_t low, uint32_t high, int *out,
                    exh_error *err)
{
    size_t at = r->at;
    uint32_t v;
    int rc = get_u32(r, what, &v, err);
    if (rc < 0)
        return rc;
    if (v < low || v > high)
        return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: %s %u is outside %u..%u", r->path,
                             at, what, v, low, high);
    *out = (int)v;
    return EXH_OK;
}

/* Version 2's variant fields (version 1 is the default variant). */
static int read_variant(reader *r, exh_lstm_config *c, exh_error *err)
{
    int rc;
    if ((rc = get_size(r, "variant", 0, EXH_LSTM_VARIANT_PAPER, &c->variant, err)) < 0 ||
        (rc = get_size(r, "layer width", 0, EXH_LSTM_MAX_LAYER_WIDTH, &c->layer_width, err)) < 0 ||
        (rc = get_size(r, "wide size", 0, EXH_LSTM_MAX_LAYER_SIZE, &c->wide_size, err)) < 0)
        return rc;
    return EXH_OK;
}

static int read_config(reader *r, uint32_t version, exh_lstm_config *c, exh_error *err)
{
    int rc;
    if ((rc = get_size(r, "embedding size", 1, EXH_LSTM_MAX_LAYER_SIZE, &c->embedding_size, err)) <
            0 ||
        (rc = get_size(r, "hidden size", 1, EXH_LSTM_MAX_LAYER_SIZE, &c->hidden_size, err)) < 0 ||
        (rc = get_size(r, "dense size", 1, EXH_LSTM_MAX_LAYER_SIZE, &c->dense_size, err)) < 0 ||
        (rc = get_size(r, "period", 1, EXH_LSTM_MAX_PERIOD, &c->period, err)) < 0)
        return rc;
    for (int p = 0; p < c->period; p++)
        if ((rc = get_size(r, "choices", 1, EXH_LSTM_MAX_CHOICES, &c->choices[p], err)) < 0)
            return rc;
    if (version >= 2 && (rc = read_variant(r, c, err)) < 0)
        return rc;
    exh_error check;
    if (exh_lstm_config_check(c, &check) < 0)
        return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: %s", r->path, r->at, check.message);
    return EXH_OK;
}

static int read_scale(reader *r, double *mean, double *deviation, exh_error *err)
{
    size_t at = r->at;
    uint64_t bits[2];
    int rc;
    if ((rc = get_u64(r, "target scale", &bits[0], err)) < 0 ||
        (rc = get_u64(r, "target scale", &bits[1], err)) < 0)
        return rc;
    memcpy(mean, &bits[0], sizeof *mean);
    memcpy(deviation, &bits[1], sizeof *deviation);
    if (!isfinite(*mean) || !isfinite(*deviation) || *deviation <= 0)
        return exh_error_set(err, EXH_ERR_CORRUPT,
                             "%s: byte %zu: target mean %g, deviation %g (need finite, deviation > 0)",
                             r->path, at, *mean, *deviation);
    return EXH_OK;
}

static int read_parameters(reader *r, exh_lstm_model *m, exh_error *err)
{
    size_t at = r->at;
    uint64_t count;
    int rc = get_u64(r, "parameter count", &count, err);
    if (rc < 0)
        return rc;
    if (count != m->parameter_count)
        return exh_error_set(err, EXH_ERR_CORRUPT,
                             "%s: byte %zu: %llu parameters, but the sizes imply %zu", r->path, at,
                             (unsigned long long)count, m->parameter_count);
    if ((rc = need(r, 4 * (size_t)count, "parameters", err)) < 0)
        return rc;
    for (size_t i = 0; i < m->parameter_count; i++) {
        uint32_t bits;
        get_u32(r, "parameters", &bits, err);
        memcpy(&m->parameters[i], &bits, sizeof bits);
        if (!isfinite(m->parameters[i]))
            return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: parameter %zu is not finite",
                                 r->path, r->at - 4, i);
    }
    return EXH_OK;
}

/* The vocabulary: `count` layers of the config's width, strictly
 * increasing (the lookup is a binary search), no token below -1. */
static int read_vocabulary(reader *r, const exh_lstm_config *c, int32_t **out, int *count,
                           exh_error *err)
{
    *out = NULL;
    uint32_t high = c->variant == EXH_LSTM_VARIANT_PAPER ? (uint32_t)c->choices[0] : 0;
    int rc = get_size(r, "vocabulary size", 0, high, count, err);
    size_t W = (size_t)c->layer_width, n = (size_t)*count * W;
    if (rc < 0 || n == 0 || (rc = need(r, 4 * n, "vocabulary", err)) < 0)
        return rc;
    int32_t *layers = malloc(n * sizeof *layers);
    if (!layers)
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory for the vocabulary", r->path);
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        get_u32(r, "vocabulary", &bits, err);
        layers[i] = (int32_t)bits;
        if (layers[i] < -1) {
            rc = exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: vocabulary token %d", r->path,
                               r->at - 4, (int)layers[i]);
            free(layers);
            return rc;
        }
    }
    for (size_t l = 1; l < (size_t)*count; l++) {
        const int32_t *a = layers + (l - 1) * W, *b = layers + l * W;
        size_t j = 0;
        while (j < W && a[j] == b[j])
            j++;
        if (j == W || a[j] > b[j]) {
            free(layers);
            return exh_error_set(err, EXH_ERR_CORRUPT,
                                 "%s: vocabulary layer %zu is not after layer %zu", r->path, l,
                                 l - 1);
        }
    }
    *out = layers;
    return EXH_OK;
}

static int check_frame(reader *r, uint32_t *version, exh_error *err)
{
    if (r->size < sizeof magic || memcmp(r->data, magic, sizeof magic) != 0)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: byte 0: not an exhaust LSTM model (bad magic)",
                             r->path);
    r->at = sizeof magic;
    int rc = get_u32(r, "version", version, err);
    if (rc < 0)
        return rc;
    if (*version < 1 || *version > EXH_LSTM_FILE_VERSION)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: byte 8: version %u, this build reads 1..%d",
                             r->path, *version, EXH_LSTM_FILE_VERSION);
    if (r->size < r->at + 4)
        return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: file ends inside the header",
                             r->path, r->at);
    reader tail = {r->data, r->size, r->size - 4, r->path};
    uint32_t stored;
    get_u32(&tail, "checksum", &stored, err);
    if (stored != crc32c(r->data, r->size - 4))
        return exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: checksum mismatch", r->path,
                             r->size - 4);
    r->size -= 4; /* the fields end where the checksum starts */
    return EXH_OK;
}

static int read_model(reader *r, exh_lstm_model **out, exh_error *err)
{
    exh_lstm_config config;
    memset(&config, 0, sizeof config);
    double mean, deviation;
    uint32_t version;
    int32_t *vocabulary = NULL;
    int vocabulary_size = 0, rc;
    if ((rc = check_frame(r, &version, err)) < 0 ||
        (rc = read_config(r, version, &config, err)) < 0 ||
        (version >= 2 &&
         (rc = read_vocabulary(r, &config, &vocabulary, &vocabulary_size, err)) < 0) ||
        (rc = read_scale(r, &mean, &deviation, err)) < 0) {
        free(vocabulary);
        return rc;
    }
    exh_lstm_model *m;
    if ((rc = exh_lstm_new(&config, &m, err)) < 0) {
        free(vocabulary);
        return exh_error_prefix(err, "%s", r->path);
    }
    m->vocabulary = vocabulary; /* sorted and bounded by read_vocabulary */
    m->vocabulary_size = vocabulary_size;
    m->target_mean = mean;
    m->target_deviation = deviation;
    if ((rc = read_parameters(r, m, err)) == EXH_OK && r->at != r->size)
        rc = exh_error_set(err, EXH_ERR_CORRUPT, "%s: byte %zu: %zu unexpected bytes before the checksum",
                           r->path, r->at, r->size - r->at);
    if (rc < 0) {
        exh_lstm_free(m);
        return rc;
    }
    *out = m;
    return EXH_OK;
}

int exh_lstm_load(const char *path, exh_lstm_model **out, exh_error *err)
{
    *out = NULL;
    char *data;
    size_t size;
    int rc = file_read_all(path, &data, &size, err);
    if (rc < 0)
        return rc;
    reader r = {(const unsigned char *)data, size, 0, path};
    rc = read_model(&r, out, err);
    free(data);
    return rc;
}
