/* search_repo.c — a search with a model repository (exhaust search --repo):
 * after each evaluation, the traffic the job's training recorded in the
 * manifest it saved (repo.h "traffic") becomes the trace's m:repo_* columns
 * (trace.h). The manifest is read as JSON here: the search only reads what
 * another process committed (a renamed file is complete), so it needs no
 * repository handle and no index. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

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
