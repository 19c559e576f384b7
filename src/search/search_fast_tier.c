/* search_fast_tier.c — the live fast tier across processes (exhaust search
 * --repo-fast-dir DIR --repo-cache-bytes B --repo-cache-policy P): the
 * coordinator runs the replay's policies and caches (repo/cache_policy.c,
 * the code exhaust analyze's replay runs) on the replay's events and keeps
 * DIR holding exactly the cached blobs, which the training processes' loads
 * read first (repo.h options.fast_dir).
 *
 * Events: a job's READ of each tensor of its donor's prefix when it is
 * dispatched (before its command runs: a hit is a file already in DIR when
 * the trainer asks; a miss does not fill); its WRITE of each tensor it
 * saved when its result is gathered (if it succeeded). The replay orders
 * the same events by the trace's times (READ at start, WRITE at end); the
 * coordinator takes both times and applies both events under the search's
 * lock, so its cache sees the replay's order with any number of workers.
 * What a trainer measures can still differ by true races: between its
 * dispatch and its load, another job's WRITE may evict a blob it was
 * counted a hit for (it reads the store) or admit one it was counted a
 * miss for (it finds the file).
 *
 * The one cache is shared (the replay's shared scope): every worker's
 * trainer reads the same DIR. Threshold: a job joining the population at a
 * rank whose parent estimate is below epsilon is not stored (the rank
 * among the population before it joins, as exhaust analyze computes it).
 *
 * Blobs are numbered densely as the coordinator meets them (the policy's
 * ids); DIR/<first 16 hex digits of the SHA-256> is written as
 * DIR/.tmp-<key>-pid, then renamed: a reader never sees a partial file; an
 * evicted file is unlinked (a reader that opened it keeps its mapping). The
 * folder is emptied of such files when the search starts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/cache_policy.h"
#include "repo/repo_internal.h" /* repo_blob_key: the fast tier's key of a blob */
#include "search/search_internal.h"

typedef struct blob_name {
    char sha256[65];
} blob_name;

struct search_fast_tier {
    cache_policy policy;
    exh_cachesim_result counts;
    keymap ids;              /* blob key -> policy id */
    blob_name *names;        /* per id */
    int64_t *sizes;          /* per id: bytes */
    int64_t id_count, id_capacity;
    int32_t scratch[EXH_ARCH_MAX_TOKENS * 8]; /* one event's ids */
    int threshold_rank;      /* threshold: the cut (cache_policy_threshold_rank) */
    const char *dir, *repo;
    exh_search_result *result; /* the counts (fast_*) go there */
};

static void blob_file(const search_fast_tier *f, int32_t id, char *path, size_t size)
{
    snprintf(path, size, "%s/%.16s", f->dir, f->names[id].sha256);
}

static void on_evict(void *context, uint64_t id)
{
    search_fast_tier *f = context;
    char path[4096];
    blob_file(f, (int32_t)id, path, sizeof path);
    unlink(path);
}

/* Copy blob `id` from the store into the fast directory. */
static void copy_in(void *context, int64_t cache, int32_t id)
{
    (void)cache;
    search_fast_tier *f = context;
    const char *sha256 = f->names[id].sha256;
    int64_t bytes = f->sizes[id];
    char from[4096], temp[4096], to[4096];
    snprintf(from, sizeof from, "%s/blobs/%.2s/%s", f->repo, sha256, sha256 + 2);
    blob_file(f, id, to, sizeof to);
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

static int start_policy(search_fast_tier *f, const exh_search_options *o)
{
    exh_cachesim_options c;
    exh_cachesim_options_default(&c);
    c.policy = (exh_cachesim_policy)o->repo_cache_policy;
    c.capacity_bytes = o->repo_cache_bytes;
    c.tier_donations = o->repo_cache_donations;
    if (keymap_init(&f->ids, 1024) < 0 ||
        cache_policy_init(&f->policy, &c, 1, o->repo_cache_window, 1024, &f->counts) < 0)
        return EXH_ERR_NOMEM;
    f->policy.caches[0].on_evict = on_evict;
    f->policy.caches[0].evict_context = f;
    f->policy.on_insert = copy_in;
    f->policy.insert_context = f;
    f->threshold_rank = cache_policy_threshold_rank(o->population, o->sample,
                                                    o->repo_cache_epsilon);
    return EXH_OK;
}

int search_fast_tier_open(search_state *s, exh_search_result *result, exh_error *err)
{
    const exh_search_options *o = s->options;
    if (!o->repo_fast_dir || !o->repo_path)
        return EXH_OK;
    if (o->repo_cache_bytes <= 0)
        return exh_error_set(err, EXH_ERR_INVALID, "--repo-fast-dir %s needs a capacity > 0",
                             o->repo_fast_dir);
    if ((unsigned)o->repo_cache_policy >= EXH_CACHESIM_POLICY_COUNT ||
        o->repo_cache_window < 1 || o->repo_cache_donations < 0 || !(o->repo_cache_epsilon >= 0))
        return exh_error_set(err, EXH_ERR_INVALID, "fast tier: policy %d, window %d, donations "
                             "%d or epsilon %g out of range", o->repo_cache_policy,
                             o->repo_cache_window, o->repo_cache_donations,
                             o->repo_cache_epsilon);
    if (mkdir(o->repo_fast_dir, 0755) != 0 && errno != EEXIST)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", o->repo_fast_dir, strerror(errno));
    empty_folder(o->repo_fast_dir);
    search_fast_tier *f = calloc(1, sizeof *f);
    s->fast = f;
    if (!f || start_policy(f, o) < 0) {
        search_fast_tier_free(s);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for the fast tier");
    }
    f->dir = o->repo_fast_dir;
    f->repo = o->repo_path;
    f->result = result;
    return EXH_OK;
}

void search_fast_tier_free(search_state *s)
{
    search_fast_tier *f = s->fast;
    if (!f)
        return;
    cache_policy_free(&f->policy);
    if (f->ids.slots)
        keymap_free(&f->ids);
    free(f->names);
    free(f->sizes);
    free(f);
    s->fast = NULL;
}

/* The policy's id of blob `sha256` (a new one the first time). */
static int32_t blob_id(search_fast_tier *f, const char *sha256, int64_t bytes)
{
    int inserted = 0;
    int64_t *slot = keymap_upsert(&f->ids, repo_blob_key(sha256), f->id_count, &inserted);
    if (!slot || f->id_count >= INT32_MAX)
        return -1;
    if (!inserted)
        return (int32_t)*slot;
    if (f->id_count == f->id_capacity) {
        int64_t capacity = f->id_capacity ? 2 * f->id_capacity : 1024;
        blob_name *names = realloc(f->names, sizeof *names * (size_t)capacity);
        if (names)
            f->names = names;
        int64_t *sizes = realloc(f->sizes, sizeof *sizes * (size_t)capacity);
        if (sizes)
            f->sizes = sizes;
        if (!names || !sizes) {
            keymap_remove(&f->ids, repo_blob_key(sha256));
            return -1;
        }
        f->id_capacity = capacity;
    }
    snprintf(f->names[f->id_count].sha256, sizeof f->names[0].sha256, "%s", sha256);
    f->sizes[f->id_count] = bytes;
    return (int32_t)f->id_count++;
}

/* The ids of job `id`'s saved tensors at positions < limit (bytes > 0), in
 * the manifest's (position) order, into f->scratch; their count. A job
 * that saved nothing has none. */
static int manifest_ids(search_fast_tier *f, int64_t id, int limit)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/manifests/%lld.json", f->repo, (long long)id);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *tensors = json_object_get(root, "tensors");
    int count = 0;
    int most = (int)(sizeof f->scratch / sizeof f->scratch[0]);
    for (size_t i = 0; i < json_array_size(tensors) && count < most; i++) {
        json_t *t = json_array_get(tensors, i);
        const char *sha = json_string_value(json_object_get(t, "sha256"));
        json_int_t position = json_integer_value(json_object_get(t, "position"));
        json_int_t bytes = json_integer_value(json_object_get(t, "bytes"));
        if (!sha || !repo_is_hash(sha) || position >= limit || bytes <= 0)
            continue;
        int32_t blob = blob_id(f, sha, bytes);
        if (blob >= 0)
            f->scratch[count++] = blob;
    }
    json_decref(root);
    return count;
}

static void publish(search_fast_tier *f)
{
    f->result->fast_hits = f->counts.hits;
    f->result->fast_misses = f->counts.accesses - f->counts.hits;
    f->result->fast_evictions = f->counts.evictions;
}

void search_fast_tier_read(search_state *s, const exh_trace_record *r)
{
    search_fast_tier *f = s->fast;
    if (!f)
        return;
    int count = r->donor_id >= 0 && r->prefix_length > 0
                    ? manifest_ids(f, r->donor_id, r->prefix_length)
                    : 0;
    /* Out of memory loses this event: the tier is an optimization. */
    (void)cache_policy_read(&f->policy, 0, f->scratch, count, f->sizes);
    publish(f);
}

/* The rank job `job` joins the population at (as exhaust analyze ranks it:
 * 1 + the members better than it, before the oldest retires). */
static int join_rank(const search_state *s, double quality)
{
    int rank = 1, capacity = s->options->population;
    for (int k = 0; k < s->population_size; k++)
        rank += s->quality[s->population[(s->population_start + k) % capacity]] > quality;
    return rank > capacity ? capacity : rank;
}

void search_fast_tier_write(search_state *s, const exh_trace_record *r)
{
    search_fast_tier *f = s->fast;
    if (!f || r->status != EXH_EVALUATION_OK)
        return;
    int count = manifest_ids(f, r->job_id, EXH_ARCH_MAX_TOKENS + 1);
    int skip = join_rank(s, r->quality) >= f->threshold_rank;
    (void)cache_policy_write(&f->policy, 0, f->scratch, count, f->sizes, r->quality, skip);
    publish(f);
}
