/* search_fast_tier.c — the live fast tier across processes (exhaust search
 * --repo-fast-dir DIR --repo-cache-bytes B --repo-cache-policy lru|lfu): the
 * coordinator runs the replay's cache (src/repo/cachesim_cache.c) on the
 * replay's events and keeps DIR holding exactly the cached blobs, which the
 * training processes' loads read first (repo.h options.fast_dir).
 *
 * Events, per finished job in finishing order: a READ of each tensor of its
 * donor's prefix (a use when held; a miss does not fill), then, if it
 * succeeded, a WRITE of each tensor it saved (admitted, evicting as needed).
 * The replay applies a job's READ at its start; here it is applied when the
 * job is recorded, which is the same order with one worker (every job
 * starts after the previous one finished) and membership, the only thing a
 * reader sees, changes only on WRITEs either way.
 *
 * DIR/<first 16 hex digits of the SHA-256> is written as DIR/.tmp-<key>-pid,
 * then renamed: a reader never sees a partial file; an evicted file is
 * unlinked (a reader that opened it keeps its mapping). The folder is
 * emptied of such files when the search starts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/cachesim_cache.h"
#include "repo/repo_internal.h" /* repo_blob_key: the fast tier's key of a blob */
#include "search/search_internal.h"

struct search_fast_tier {
    tensor_cache cache;
    uint64_t stamp;
    const char *dir, *repo;
    exh_search_result *result; /* the counts (fast_*) go there */
};

static void on_evict(void *context, uint64_t key)
{
    search_fast_tier *f = context;
    char path[4096];
    snprintf(path, sizeof path, "%s/%016llx", f->dir, (unsigned long long)key);
    unlink(path);
    f->result->fast_evictions++;
}

/* A folder left by an earlier search holds blobs this cache does not: remove
 * them (and torn temp files), or readers would count hits it never had. */
static void empty_folder(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    while (d && (entry = readdir(d))) {
        size_t n = strlen(entry->d_name);
        int ours = strncmp(entry->d_name, ".tmp-", 5) == 0 ||
                   (n == 16 && strspn(entry->d_name, "0123456789abcdef") == 16);
        char path[4096];
        if (ours && snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) < (int)sizeof path)
            unlink(path);
    }
    if (d)
        closedir(d);
}

int search_fast_tier_open(search_state *s, exh_error *err)
{
    const exh_search_options *o = s->options;
    if (!o->repo_fast_dir || !o->repo_path)
        return EXH_OK;
    if (o->repo_cache_bytes <= 0)
        return exh_error_set(err, EXH_ERR_INVALID, "--repo-fast-dir %s needs a capacity > 0",
                             o->repo_fast_dir);
    if (mkdir(o->repo_fast_dir, 0755) != 0 && errno != EEXIST)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", o->repo_fast_dir, strerror(errno));
    empty_folder(o->repo_fast_dir);
    search_fast_tier *f = calloc(1, sizeof *f);
    if (!f || tcache_init(&f->cache, o->repo_cache_bytes, o->repo_cache_lfu) < 0) {
        free(f);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for the fast tier");
    }
    f->dir = o->repo_fast_dir;
    f->repo = o->repo_path;
    f->cache.on_evict = on_evict;
    f->cache.evict_context = f;
    s->fast = f;
    return EXH_OK;
}

void search_fast_tier_free(search_state *s)
{
    if (s->fast) {
        tcache_free(&s->fast->cache);
        free(s->fast);
        s->fast = NULL;
    }
}

/* Copy blob `sha256` (bytes long) from the store into the fast directory. */
static void copy_in(search_fast_tier *f, const char *sha256, int64_t bytes)
{
    char from[4096], temp[4096], to[4096];
    snprintf(from, sizeof from, "%s/blobs/%.2s/%s", f->repo, sha256, sha256 + 2);
    snprintf(to, sizeof to, "%s/%.16s", f->dir, sha256);
    snprintf(temp, sizeof temp, "%s/.tmp-%.16s-%ld", f->dir, sha256, (long)getpid());
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char buffer[1 << 16];
    int64_t copied = 0;
    ssize_t n = 0;
    while (in >= 0 && out >= 0 && (n = read(in, buffer, sizeof buffer)) > 0 &&
           write(out, buffer, (size_t)n) == n)
        copied += n;
    int ok = in >= 0 && out >= 0 && n == 0 && copied == bytes;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        ok = 0;
    /* A failed copy is left out: readers then miss and read the store. */
    if (!ok || rename(temp, to) != 0)
        unlink(temp);
    else
        f->result->fast_bytes_copied += bytes;
}

/* The tensors of job `id`'s manifest at positions < limit: READ or WRITE each. */
static void each_tensor(search_fast_tier *f, int64_t id, int limit, int write)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/manifests/%lld.json", f->repo, (long long)id);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *tensors = json_object_get(root, "tensors");
    for (size_t i = 0; i < json_array_size(tensors); i++) {
        json_t *t = json_array_get(tensors, i);
        const char *sha = json_string_value(json_object_get(t, "sha256"));
        json_int_t position = json_integer_value(json_object_get(t, "position"));
        json_int_t bytes = json_integer_value(json_object_get(t, "bytes"));
        if (!sha || !repo_is_hash(sha) || position >= limit || bytes <= 0)
            continue;
        uint64_t key = repo_blob_key(sha);
        if (!write) {
            int hit = tcache_use(&f->cache, key, ++f->stamp);
            f->result->fast_hits += hit;
            f->result->fast_misses += !hit;
            continue;
        }
        int64_t evictions = 0;
        int held = 0;
        if (tcache_offer(&f->cache, key, bytes, ++f->stamp, &evictions, &held) == 1)
            copy_in(f, sha, bytes);
    }
    json_decref(root);
}

void search_fast_tier_job(search_state *s, const exh_trace_record *r, exh_search_result *result)
{
    search_fast_tier *f = s->fast;
    if (!f)
        return;
    f->result = result;
    if (r->donor_id >= 0 && r->prefix_length > 0)
        each_tensor(f, r->donor_id, r->prefix_length, 0);
    if (r->status == EXH_EVALUATION_OK)
        each_tensor(f, r->job_id, EXH_ARCH_MAX_TOKENS + 1, 1);
}
