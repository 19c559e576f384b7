/* search_repo.c — a search with a model repository (exhaust search --repo):
 * the models that left the population removed as they leave (below); and
 * after each evaluation, the traffic the job's training recorded in the
 * manifest it saved (repo.h "traffic") becomes the trace's m:repo_* columns
 * (trace.h). The manifest is read as JSON here: the search only reads what
 * another process committed (a renamed file is complete), so it needs no
 * repository handle and no index. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exhaust/repo.h"
#include "repo/keymap.h"
#include "search/search_internal.h"

static int64_t count_in(json_t *traffic, const char *key)
{
    json_t *v = json_object_get(traffic, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : 0;
}

void search_repo_traffic(const char *repo, exh_trace_record *r)
{
    r->repo_fast_hits = -1; /* none recorded, unless the manifest says */
    r->repo_error = 0;
    if (!repo || !*repo)
        return;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/manifests/%lld.json", repo, (long long)r->job_id) >=
        (int)sizeof path)
        return;
    json_t *root = json_load_file(path, 0, NULL);
    json_t *traffic = json_object_get(root, "traffic");
    if (json_is_object(traffic)) {
        r->repo_fast_hits = count_in(traffic, "fast_hits");
        r->repo_store_reads = count_in(traffic, "store_reads");
        r->repo_fast_bytes = count_in(traffic, "fast_bytes");
        r->repo_store_bytes = count_in(traffic, "store_bytes");
        r->repo_write_bytes = count_in(traffic, "write_bytes");
        json_t *seconds = json_object_get(traffic, "seconds");
        r->repo_seconds = json_is_number(seconds) ? json_number_value(seconds) : NAN;
        json_t *error = json_object_get(traffic, "error");
        r->repo_error = json_is_integer(error) ? (int)json_integer_value(error) : 0;
    }
    json_decref(root);
}

/* ---- --repo-keep population during the search ----
 *
 * With transfer from the parent, a model that left the population can
 * donate no more: it is removed as it leaves (exh_repo_remove), unless a
 * running job mutates it or receives its prefix; that job's trainer may be
 * loading it now, so it goes when the last such job is gathered. A failed
 * job's model (if it saved one) never joins: it goes when gathered. With
 * transfer from any finished model every model stays a donor (the trie),
 * so nothing goes during the search (the CLI gcs at the end).
 *
 * A removal cannot race a trainer's save: exh_repo_remove sweeps blobs under
 * the exclusive lock that every save holds shared from begin to commit
 * (repo.h), so a blob a save found and deduplicated against, or wrote before
 * its manifest, is never taken from under it. */
struct search_keep {
    exh_repo *repo;
    keymap protect;   /* model id -> running jobs that mutate it or receive from it */
    keymap left;      /* models that left while protected */
    exh_search_result *result;
};

int search_keep_open(search_state *s, exh_search_result *result, exh_error *err)
{
    const exh_search_options *o = s->options;
    if (!o->repo_keep_population || !o->repo_path || o->transfer_from_any)
        return EXH_OK;
    search_keep *k = calloc(1, sizeof *k);
    s->keep = k;
    if (!k || keymap_init(&k->protect, 64) < 0 || keymap_init(&k->left, 64) < 0) {
        search_keep_free(s);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for --repo-keep population");
    }
    k->result = result;
    int rc = exh_repo_open(o->repo_path, NULL, &k->repo, err);
    if (rc < 0)
        search_keep_free(s);
    return rc;
}

void search_keep_free(search_state *s)
{
    search_keep *k = s->keep;
    if (!k)
        return;
    exh_repo_close(k->repo);
    if (k->protect.slots)
        keymap_free(&k->protect);
    if (k->left.slots)
        keymap_free(&k->left);
    free(k);
    s->keep = NULL;
}

static void remove_model(search_keep *k, int64_t id)
{
    exh_repo_gc_result removed;
    exh_error err;
    /* A failure leaves the model for the CLI's gc at the end, which reports. */
    if (exh_repo_remove(k->repo, &id, 1, &removed, &err) == EXH_OK) {
        k->result->repo_models_removed += removed.models_removed;
        k->result->repo_blobs_removed += removed.blobs_removed;
        k->result->repo_bytes_removed += removed.bytes_removed;
    }
}

static void protect(search_keep *k, int64_t id, int64_t delta)
{
    if (id < 0)
        return;
    int64_t *count = keymap_upsert(&k->protect, (uint64_t)id, 0, NULL);
    if (!count)
        return; /* out of memory: unprotected, so it may go early; loads then miss */
    *count += delta;
    if (*count > 0)
        return;
    keymap_remove(&k->protect, (uint64_t)id);
    if (keymap_remove(&k->left, (uint64_t)id))
        remove_model(k, id);
}

void search_dispatched(search_state *s, const exh_trace_record *r)
{
    search_fast_tier_read(s, r);
    if (s->keep) {
        protect(s->keep, r->parent_id, 1);
        protect(s->keep, r->donor_id, 1);
    }
}

void search_keep_gathered(search_state *s, const exh_trace_record *r)
{
    search_keep *k = s->keep;
    if (!k)
        return;
    protect(k, r->parent_id, -1);
    protect(k, r->donor_id, -1);
    if (r->status != EXH_EVALUATION_OK)
        remove_model(k, r->job_id);
}

void search_keep_left(search_state *s, int64_t id)
{
    search_keep *k = s->keep;
    if (!k || id < 0)
        return;
    if (keymap_find(&k->protect, (uint64_t)id))
        keymap_upsert(&k->left, (uint64_t)id, 0, NULL);
    else
        remove_model(k, id);
}
