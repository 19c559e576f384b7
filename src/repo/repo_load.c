/* repo_load.c — loading a prefix into the caller's memory
 * (exh_repo_prefix_info, exh_repo_load_into). Blobs are read with read(),
 * not mapped: on this kind of machine (a VM, where every page-table change
 * and TLB flush is expensive) mapping and unmapping 3 MB costs more than
 * copying it. A blob is checked first by reading it through a small bounce
 * buffer that stays in L2 while it is hashed, then read again into its
 * destination, so a corrupt blob is found before anything is written. */
#include "repo/repo_internal.h"

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

/* Where one tensor of a load comes from. */
typedef struct source {
    const repo_entry *entry;
    repo_cached *cached; /* the fast tier's copy, or NULL */
    int fd;              /* the open blob, or -1 */
    int from_fast_dir;
    char path[REPO_PATH_MAX];
} source;

/* The entries of m below prefix_length, in manifest order (its count). */
static int select_prefix(const repo_manifest *m, int prefix_length, const repo_entry **out)
{
    int count = 0;
    for (int i = 0; i < m->count; i++)
        if (m->entries[i].position < prefix_length)
            out[count++] = &m->entries[i];
    return count;
}

int exh_repo_prefix_info(exh_repo *r, int64_t model, int prefix_length, exh_repo_tensors *info,
                         exh_error *err)
{
    memset(info, 0, sizeof *info);
    if (model < 0)
        return EXH_OK;
    const repo_manifest *m;
    int rc = repo_manifest_get(r, model, &m, err);
    if (rc < 0)
        return rc;
    info->tensors = calloc((size_t)m->count + 1, sizeof *info->tensors);
    if (!info->tensors)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory describing model %lld",
                             (long long)model);
    for (int i = 0; i < m->count; i++)
        if (m->entries[i].position < prefix_length)
            repo_describe(&info->tensors[info->count++], &m->entries[i]);
    return EXH_OK;
}

/* read() exactly `bytes` from offset 0 of fd into data; -1 with errno. */
static int read_exactly(int fd, void *data, int64_t bytes)
{
    unsigned char *p = data;
    for (int64_t done = 0; done < bytes;) {
        ssize_t n = pread(fd, p + done, (size_t)(bytes - done), (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            errno = n == 0 ? EIO : errno; /* shorter than its fstat said */
            return -1;
        }
        done += n;
    }
    return 0;
}

int repo_blob_xxh3(exh_repo *r, int fd, int64_t bytes, char hex[XXH3_HEX_SIZE])
{
    if (!r->bounce && !(r->bounce = malloc(REPO_BOUNCE_BYTES))) {
        errno = ENOMEM;
        return -1;
    }
    XXH3_state_t state;
    XXH3_INITSTATE(&state);
    XXH3_64bits_reset(&state);
    for (int64_t done = 0; done < bytes;) {
        size_t want = bytes - done < REPO_BOUNCE_BYTES ? (size_t)(bytes - done)
                                                       : REPO_BOUNCE_BYTES;
        ssize_t n = pread(fd, r->bounce, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        XXH3_64bits_update(&state, r->bounce, (size_t)n);
        done += n;
    }
    snprintf(hex, XXH3_HEX_SIZE, "%016llx", (unsigned long long)XXH3_64bits_digest(&state));
    return 0;
}

/* Check the open blob against its manifest entry before anything is copied:
 * XXH3 through the bounce buffer, or the full SHA-256 over a mapping (the
 * slow, thorough check: its speed is the hash's). */
static int check_source(exh_repo *r, int64_t model, source *s, exh_error *err)
{
    const repo_entry *e = s->entry;
    int rc = repo_check_size(s->fd, model, e, s->path, err);
    if (rc < 0 || r->options.verify == EXH_REPO_VERIFY_NONE || e->bytes == 0)
        return rc;
    if (repo_verify_full(r, e)) {
        void *map = mmap(NULL, (size_t)e->bytes, PROT_READ, MAP_PRIVATE, s->fd, 0);
        if (map == MAP_FAILED)
            return exh_error_set(err, EXH_ERR_IO, "%s: cannot map: %s", s->path,
                                 strerror(errno));
        rc = repo_verify_bytes(r, model, e, map, s->path, err);
        munmap(map, (size_t)e->bytes);
        return rc;
    }
    char actual[XXH3_HEX_SIZE];
    if (repo_blob_xxh3(r, s->fd, e->bytes, actual) < 0)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot read: %s", s->path, strerror(errno));
    return repo_digest_compare(model, e, s->path, 0, actual, err);
}

/* Find (fast tier) or open and check tensor i's bytes. */
static int prepare_source(exh_repo *r, int64_t model, source *s, exh_error *err)
{
    const repo_entry *e = s->entry;
    r->last.tensors++;
    if (e->bytes == 0)
        return EXH_OK;
    if (r->fast_tier) {
        s->cached = repo_cache_lookup(r, e);
        if (s->cached) {
            repo_count_served(r, e, 1);
            return EXH_OK;
        }
        r->last.fast_misses++;
    }
    s->fd = repo_open_served(r, model, e, &s->from_fast_dir, s->path, sizeof s->path, err);
    if (s->fd < 0)
        return s->fd;
    repo_count_served(r, e, s->from_fast_dir);
    return check_source(r, model, s, err);
}

static int copy_source(const source *s, void *destination, exh_error *err)
{
    if (!destination || s->entry->bytes == 0)
        return EXH_OK;
    if (s->cached) {
        memcpy(destination, s->cached->data, (size_t)s->entry->bytes);
        return EXH_OK;
    }
    if (read_exactly(s->fd, destination, s->entry->bytes) < 0)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot read: %s", s->path, strerror(errno));
    return EXH_OK;
}

/* info must describe exactly the prefix the manifest has now. */
static int same_prefix(int64_t model, const repo_entry *const *entries, int count,
                       const exh_repo_tensors *info, exh_error *err)
{
    int same = info && count == info->count;
    for (int i = 0; same && i < count; i++)
        same = entries[i]->bytes == info->tensors[i].bytes &&
               strcmp(entries[i]->sha256, info->tensors[i].sha256) == 0 &&
               strcmp(entries[i]->name, info->tensors[i].name) == 0;
    return same ? EXH_OK
                : exh_error_set(err, EXH_ERR_INVALID,
                                "model %lld: its tensors are not the ones described (removed "
                                "and saved again since exh_repo_prefix_info?)",
                                (long long)model);
}

/* Check every source, then copy them all: a failed check writes nothing. */
static int load_sources(exh_repo *r, int64_t model, source *sources, int count,
                        void *const *destinations, exh_error *err)
{
    int rc = EXH_OK;
    for (int i = 0; rc == EXH_OK && i < count; i++)
        if (destinations[i])
            rc = prepare_source(r, model, &sources[i], err);
    for (int i = 0; rc == EXH_OK && i < count; i++)
        rc = copy_source(&sources[i], destinations[i], err);
    for (int i = 0; i < count; i++) {
        if (sources[i].fd >= 0)
            close(sources[i].fd);
        repo_cached_release(sources[i].cached);
    }
    return rc;
}

int exh_repo_load_into(exh_repo *r, int64_t model, int prefix_length,
                       const exh_repo_tensors *info, void *const *destinations, exh_error *err)
{
    exh_repo_traffic traffic;
    double start;
    int64_t evicted;
    repo_traffic_start(r, &traffic, &start, &evicted);
    traffic.loads = 1;
    r->last = traffic; /* the sources count into r->last */
    const repo_manifest *m = NULL;
    const repo_entry **entries = NULL;
    source *sources = NULL;
    int count = 0, rc = model < 0 ? EXH_OK : repo_manifest_get(r, model, &m, err);
    if (rc == EXH_OK && m) {
        entries = malloc(sizeof *entries * (size_t)(m->count + 1));
        sources = calloc((size_t)m->count + 1, sizeof *sources);
        rc = entries && sources ? EXH_OK
                                : exh_error_set(err, EXH_ERR_NOMEM, "out of memory loading "
                                                "model %lld", (long long)model);
    }
    if (rc == EXH_OK && m) {
        count = select_prefix(m, prefix_length, entries);
        rc = same_prefix(model, entries, count, info, err);
    }
    if (rc == EXH_OK && count && !destinations)
        rc = exh_error_set(err, EXH_ERR_INVALID, "model %lld: no destinations for %d tensors",
                           (long long)model, count);
    for (int i = 0; i < count; i++)
        sources[i] = (source){.entry = entries[i], .fd = -1};
    if (rc == EXH_OK && count)
        rc = load_sources(r, model, sources, count, destinations, err);
    exh_repo_tensors none = {0};
    if (rc == EXH_OK) /* the tier policy's window sees the load, as exh_repo_load_prefix's */
        rc = repo_tier_enter(r, m ? info : &none, err);
    free(entries);
    free(sources);
    traffic = r->last;
    if (rc < 0 && !r->load_error)
        r->load_error = rc;
    repo_traffic_finish(r, &traffic, start, evicted);
    return rc;
}
