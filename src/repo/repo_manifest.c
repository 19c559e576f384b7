/* repo_manifest.c — manifests/ID.json: one model's description and its
 * tensors, written and read with jansson. */
#include "repo/repo_internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#define MANIFEST_FORMAT "exhaust-model"
#define MANIFEST_LIMIT (64 << 20) /* a manifest larger than this is not one */

void repo_manifest_init(repo_manifest *m)
{
    memset(m, 0, sizeof *m);
}

void repo_manifest_free(repo_manifest *m)
{
    free(m->entries);
    repo_manifest_init(m);
}

int repo_manifest_add(repo_manifest *m, const repo_entry *e, exh_error *err)
{
    if (m->count == m->capacity) {
        int capacity = m->capacity ? m->capacity * 2 : 16;
        repo_entry *grown = realloc(m->entries, sizeof *grown * (size_t)capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading a manifest");
        m->entries = grown;
        m->capacity = capacity;
    }
    m->entries[m->count++] = *e;
    return EXH_OK;
}

int repo_manifest_encode(const repo_manifest *m, char **text, exh_error *err)
{
    const exh_repo_model *d = &m->model;
    char sequence[EXH_SPACE_TEXT_MAX];
    exh_space_format_sequence(&d->architecture, sequence, sizeof sequence);
    json_t *root = json_object(), *tensors = json_array();
    json_object_set_new(root, "format", json_string(MANIFEST_FORMAT));
    json_object_set_new(root, "id", json_integer(d->id));
    json_object_set_new(root, "space", json_string(d->space));
    json_object_set_new(root, "arch", json_string(d->arch_text[0] ? d->arch_text : sequence));
    json_object_set_new(root, "arch_sequence", json_string(sequence));
    json_object_set_new(root, "quality",
                        isfinite(d->quality) ? json_real(d->quality) : json_null());
    json_object_set_new(root, "parent", json_integer(d->parent_id));
    json_object_set_new(root, "donor", json_integer(d->donor_id));
    json_object_set_new(root, "prefix_len", json_integer(d->prefix_length));
    for (int i = 0; i < m->count; i++) {
        const repo_entry *e = &m->entries[i];
        json_t *shape = json_array();
        for (int k = 0; k < e->ndim; k++)
            json_array_append_new(shape, json_integer(e->shape[k]));
        json_array_append_new(tensors,
                              json_pack("{s:i, s:s, s:s, s:o, s:I, s:s, s:s}", "position",
                                        e->position, "name", e->name, "dtype",
                                        exh_repo_dtype_name(e->dtype), "shape", shape, "bytes",
                                        (json_int_t)e->bytes, "sha256", e->sha256, "xxh3",
                                        e->xxh3));
    }
    json_object_set_new(root, "tensors", tensors);
    if (m->has_traffic) {
        const exh_repo_traffic *t = &m->traffic;
        json_object_set_new(root, "traffic",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:i}", "loads",
                                      (json_int_t)t->loads, "fast_hits", (json_int_t)t->fast_hits,
                                      "store_reads", (json_int_t)t->fast_misses, "fast_bytes",
                                      (json_int_t)t->fast_bytes, "store_bytes",
                                      (json_int_t)t->store_bytes, "write_bytes",
                                      (json_int_t)t->written_bytes, "dedup_bytes",
                                      (json_int_t)t->dedup_bytes, "seconds", t->io_seconds,
                                      "error", m->load_error));
    }
    *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    return *text ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory writing a manifest");
}

static int text_field(json_t *root, const char *key, char *out, size_t size)
{
    const char *text = json_string_value(json_object_get(root, key));
    if (!text || strlen(text) >= size)
        return -1;
    strcpy(out, text);
    return 0;
}

static int integer_field(json_t *root, const char *key, int64_t *out)
{
    json_t *value = json_object_get(root, key);
    if (!json_is_integer(value))
        return -1;
    *out = json_integer_value(value);
    return 0;
}

static int decode_entry(json_t *t, repo_entry *e)
{
    int64_t position, bytes;
    json_t *shape = json_object_get(t, "shape");
    if (integer_field(t, "position", &position) < 0 || integer_field(t, "bytes", &bytes) < 0 ||
        text_field(t, "name", e->name, sizeof e->name) < 0 ||
        text_field(t, "sha256", e->sha256, sizeof e->sha256) < 0 || !repo_is_hash(e->sha256) ||
        !json_is_array(shape) || json_array_size(shape) > EXH_REPO_MAX_DIMS || position < 0 ||
        position >= EXH_ARCH_MAX_TOKENS || bytes < 0)
        return -1;
    /* Optional (older manifests): without it a read is checked by the SHA-256. */
    if (json_object_get(t, "xxh3") && (text_field(t, "xxh3", e->xxh3, sizeof e->xxh3) < 0 ||
                                       strspn(e->xxh3, "0123456789abcdef") != 16))
        return -1;
    e->position = (int)position;
    e->bytes = bytes;
    e->dtype = exh_repo_dtype_parse(json_string_value(json_object_get(t, "dtype")));
    e->ndim = (int)json_array_size(shape);
    for (int k = 0; k < e->ndim; k++) {
        json_t *dim = json_array_get(shape, (size_t)k);
        if (!json_is_integer(dim))
            return -1;
        e->shape[k] = json_integer_value(dim);
    }
    return e->dtype < 0 ? -1 : 0;
}

/* Fill m from the parsed manifest; -1 on a missing or malformed field. */
static int decode(json_t *root, repo_manifest *m, exh_error *err)
{
    exh_repo_model *d = &m->model;
    char sequence[EXH_SPACE_TEXT_MAX];
    int64_t prefix;
    json_t *quality = json_object_get(root, "quality"), *tensors = json_object_get(root, "tensors");
    if (integer_field(root, "id", &d->id) < 0 || integer_field(root, "parent", &d->parent_id) < 0 ||
        integer_field(root, "donor", &d->donor_id) < 0 ||
        integer_field(root, "prefix_len", &prefix) < 0 || prefix < 0 || prefix > INT32_MAX ||
        text_field(root, "space", d->space, sizeof d->space) < 0 ||
        text_field(root, "arch", d->arch_text, sizeof d->arch_text) < 0 ||
        text_field(root, "arch_sequence", sequence, sizeof sequence) < 0 ||
        exh_space_parse_sequence(NULL, sequence, &d->architecture, NULL) < 0 ||
        !(json_is_number(quality) || json_is_null(quality)) || !json_is_array(tensors))
        return -1;
    d->prefix_length = (int)prefix;
    d->quality = json_is_null(quality) ? NAN : json_number_value(quality);
    for (size_t i = 0; i < json_array_size(tensors); i++) {
        repo_entry e = {0};
        if (decode_entry(json_array_get(tensors, i), &e) < 0)
            return -1;
        int rc = repo_manifest_add(m, &e, err);
        if (rc < 0)
            return rc;
        d->tensor_count++;
        d->tensor_bytes += e.bytes;
    }
    return 0;
}

/* The text of manifests/ID.json (malloc'd, NUL after it). */
static int read_text(const exh_repo *r, int64_t id, char *path, char **text, size_t *size,
                     exh_error *err)
{
    repo_manifest_path(r, id, path, REPO_PATH_MAX);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return exh_error_set(err, errno == ENOENT ? EXH_ERR_NOT_FOUND : EXH_ERR_IO,
                             "%s: model %lld: %s", path, (long long)id,
                             errno == ENOENT ? "not stored" : strerror(errno));
    fclose(probe);
    return file_read_limited(path, MANIFEST_LIMIT, text, size, err);
}

static int parse_text(const char *path, int64_t id, const char *text, size_t size,
                      repo_manifest *m, exh_error *err)
{
    repo_manifest_init(m);
    json_error_t parse_error;
    json_t *root = json_loadb(text, size, 0, &parse_error);
    if (!root)
        return exh_error_set(err, EXH_ERR_PARSE, "%s:%d: %s", path, parse_error.line,
                             parse_error.text);
    int rc = decode(root, m, err);
    json_decref(root);
    if (rc == -1 || (rc == 0 && m->model.id != id))
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: not a model manifest (a field is missing, "
                           "malformed or names another id)", path);
    if (rc < 0)
        repo_manifest_free(m);
    return rc;
}

int repo_manifest_read(const exh_repo *r, int64_t id, repo_manifest *m, exh_error *err)
{
    char path[REPO_PATH_MAX], *text = NULL;
    size_t size;
    repo_manifest_init(m);
    int rc = read_text(r, id, path, &text, &size, err);
    if (rc == EXH_OK)
        rc = parse_text(path, id, text, size, m, err);
    free(text);
    return rc;
}

/* The slots compare the file's text, not its inode or times: gc and a save
 * reusing the id can give the new file the old one's inode, size and
 * (coarse) mtime. Reading a small file costs a few system calls; parsing it
 * is what the slot saves. */
int repo_manifest_get(exh_repo *r, int64_t id, const repo_manifest **m, exh_error *err)
{
    *m = NULL;
    char path[REPO_PATH_MAX], *text = NULL;
    size_t size;
    int rc = read_text(r, id, path, &text, &size, err);
    if (rc < 0)
        return rc;
    repo_manifest_slot *slot = NULL;
    for (int i = 0; i < REPO_MANIFEST_SLOTS && !slot; i++)
        if (r->manifests[i].id == id)
            slot = &r->manifests[i];
    if (slot && slot->size == size && memcmp(slot->text, text, size) == 0) {
        free(text);
        *m = &slot->manifest;
        return EXH_OK;
    }
    if (!slot) {
        slot = &r->manifests[r->next_slot];
        r->next_slot = (r->next_slot + 1) % REPO_MANIFEST_SLOTS;
    }
    repo_manifest_free(&slot->manifest);
    free(slot->text);
    *slot = (repo_manifest_slot){.id = -1};
    rc = parse_text(path, id, text, size, &slot->manifest, err);
    if (rc < 0) {
        free(text);
        return rc;
    }
    slot->id = id;
    slot->text = text;
    slot->size = size;
    *m = &slot->manifest;
    return EXH_OK;
}

void repo_manifest_slots_free(exh_repo *r)
{
    for (int i = 0; i < REPO_MANIFEST_SLOTS; i++) {
        repo_manifest_free(&r->manifests[i].manifest);
        free(r->manifests[i].text);
        r->manifests[i] = (repo_manifest_slot){.id = -1};
    }
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The id of "123.json", or -1 (temp files and strangers are skipped). */
static int64_t manifest_id(const char *name)
{
    char *end;
    errno = 0;
    long long id = strtoll(name, &end, 10);
    char canonical[32];
    snprintf(canonical, sizeof canonical, "%lld.json", id);
    /* Only the names repo_manifest_path makes ("7.json", not "07.json"). */
    if (end == name || errno || id < 0 || strcmp(canonical, name) != 0)
        return -1;
    return id;
}

int repo_ids_push(int64_t **ids, int64_t *count, int64_t *capacity, int64_t id)
{
    if (*count == *capacity) {
        int64_t grown_capacity = *capacity ? *capacity * 2 : 64;
        int64_t *grown = realloc(*ids, sizeof *grown * (size_t)grown_capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        *ids = grown;
        *capacity = grown_capacity;
    }
    (*ids)[(*count)++] = id;
    return EXH_OK;
}

int64_t repo_manifest_ids(const exh_repo *r, int64_t **ids, exh_error *err)
{
    char folder[REPO_PATH_MAX];
    snprintf(folder, sizeof folder, "%s/manifests", r->path);
    *ids = NULL;
    DIR *dir = opendir(folder);
    if (!dir)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot list: %s", folder, strerror(errno));
    int64_t count = 0, capacity = 0;
    struct dirent *d;
    while ((d = readdir(dir))) {
        int64_t id = manifest_id(d->d_name);
        if (id >= 0 && repo_ids_push(ids, &count, &capacity, id) < 0) {
            closedir(dir);
            free(*ids);
            *ids = NULL;
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory listing %s", folder);
        }
    }
    closedir(dir);
    if (count > 1)
        qsort(*ids, (size_t)count, sizeof **ids, compare_ids);
    return count;
}

int repo_each_manifest(exh_repo *r, repo_manifest_fn fn, void *context, exh_error *err)
{
    int64_t *ids = NULL;
    int64_t count = repo_manifest_ids(r, &ids, err);
    int rc = count < 0 ? (int)count : EXH_OK;
    for (int64_t i = 0; rc == EXH_OK && i < count; i++) {
        repo_manifest m;
        rc = repo_manifest_read(r, ids[i], &m, err);
        if (rc == EXH_OK)
            rc = fn(r, &m, context, err);
        else if (rc == EXH_ERR_NOT_FOUND)
            rc = EXH_OK;
        repo_manifest_free(&m);
    }
    free(ids);
    return rc;
}
