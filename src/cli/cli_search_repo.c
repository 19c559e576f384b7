/* cli_search_repo.c — exhaust search --repo DIR: open (create) the model
 * repository before the search, give the command evaluator its folder
 * ({repo}), and say what it holds afterwards. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/cachesim.h"
#include "exhaust/evaluator.h"
#include "exhaust/repo.h"
#include "exhaust/search.h"
#include "exhaust/trace.h"

int cli_search_repo_option(int c, const char *name, const char *value, exh_search_options *o,
                           int *keep_population)
{
    char *end = NULL;
    switch (c) {
    case 'G': o->repo_path = value; return CLI_OK;
    case 'H': o->repo_fast_dir = value; return CLI_OK;
    case 'I':
        errno = 0;
        o->repo_cache_bytes = strtoll(value, &end, 10);
        if (errno || end == value || *end || o->repo_cache_bytes < 1)
            return cli_usage_error("search", "%s needs a whole number of bytes >= 1, not '%s'",
                                   name, value);
        return CLI_OK;
    case CLI_REPO_WINDOW:
    case CLI_REPO_DONATIONS: {
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || end == value || *end || n < (c == CLI_REPO_WINDOW) || n > INT_MAX)
            return cli_usage_error("search", "%s needs a whole number >= %d, not '%s'", name,
                                   c == CLI_REPO_WINDOW, value);
        *(c == CLI_REPO_WINDOW ? &o->repo_cache_window : &o->repo_cache_donations) = (int)n;
        return CLI_OK;
    }
    case CLI_REPO_EPSILON:
        o->repo_cache_epsilon = strtod(value, &end);
        if (end == value || *end || !(o->repo_cache_epsilon >= 0 && o->repo_cache_epsilon <= 1))
            return cli_usage_error("search", "%s needs a number in [0, 1], not '%s'", name,
                                   value);
        return CLI_OK;
    case 'J': {
        exh_cachesim_policy policy;
        exh_error err;
        if (exh_cachesim_policy_parse(value, &policy, &err) < 0)
            return cli_usage_error("search", "--repo-cache-policy: %s", err.message);
        o->repo_cache_policy = (int)policy;
        return CLI_OK;
    }
    default:
        if (strcmp(value, "all") != 0 && strcmp(value, "population") != 0)
            return cli_usage_error("search", "--repo-keep is all or population");
        *keep_population = strcmp(value, "population") == 0;
        o->repo_keep_population = *keep_population; /* as models leave (search.h) */
        return CLI_OK;
    }
}

void cli_search_repo_settings(const exh_search_options *o, exh_trace_settings *t)
{
    if (!o->repo_fast_dir || !o->repo_path)
        return; /* no live fast tier: "repo_cache" stays null */
    snprintf(t->repo_cache_policy, sizeof t->repo_cache_policy, "%s",
             exh_cachesim_policy_name((exh_cachesim_policy)o->repo_cache_policy));
    t->repo_cache_bytes = o->repo_cache_bytes;
    t->repo_cache_window = o->repo_cache_window;
    t->repo_cache_donations = o->repo_cache_donations;
    t->repo_cache_epsilon = o->repo_cache_epsilon;
}

int cli_search_repo_open(const char *repo, const char *fast_dir, exh_evaluator *e,
                         exh_error *err)
{
    /* Before any thread or command starts: every command inherits it. */
    if (fast_dir && setenv(EXH_REPO_FAST_DIR_ENV, fast_dir, 1) != 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "cannot set %s", EXH_REPO_FAST_DIR_ENV);
    exh_repo *r = NULL;
    /* Created here, once: the training commands then open an existing one. */
    int rc = exh_repo_open(repo, NULL, &r, err);
    exh_repo_close(r);
    if (rc == EXH_OK)
        rc = exh_evaluator_command_set_repo(e, repo, err);
    return rc;
}

void cli_search_repo_report(const char *repo, const exh_search_result *result)
{
    if (getenv(EXH_REPO_FAST_DIR_ENV))
        printf("fast tier: the coordinator's cache: %lld hits, %lld misses, %lld evictions, "
               "%lld bytes copied in\n", (long long)result->fast_hits,
               (long long)result->fast_misses, (long long)result->fast_evictions,
               (long long)result->fast_bytes_copied);
    if (result->repo_models_removed > 0)
        printf("repository: removed as they left the population: %lld models, %lld blobs, "
               "%lld bytes\n", (long long)result->repo_models_removed,
               (long long)result->repo_blobs_removed, (long long)result->repo_bytes_removed);
    exh_repo_options options;
    exh_repo_options_default(&options);
    options.read_only = 1;
    exh_repo *r = NULL;
    exh_repo_stats st;
    exh_error err;
    if (exh_repo_open(repo, &options, &r, &err) < 0 || exh_repo_stats_get(r, &st, &err) < 0) {
        cli_error("search", "%s", err.message);
    } else {
        double ratio = st.bytes_stored > 0 ? (double)st.bytes_per_model / (double)st.bytes_stored
                                           : 0;
        printf("repository: %s: %lld models, %lld blobs, %lld bytes stored (%lld as one file "
               "per model: %.2fx)\n",
               repo, (long long)st.models, (long long)st.blobs, (long long)st.bytes_stored,
               (long long)st.bytes_per_model, ratio);
    }
    exh_repo_close(r);
}

/* --repo-keep population: the models of the final population are the last
 * `population` evaluations that succeeded, in the trace's (finishing)
 * order: aging evolution retires the oldest. Everything else goes (gc). */
int cli_search_repo_keep_population(const char *repo, const char *trace, int population,
                                    exh_error *err)
{
    exh_trace_record *records = NULL;
    int64_t count = 0;
    int rc = exh_trace_read(trace, NULL, 1, &records, &count, err);
    int64_t *keep = rc == 0 ? calloc((size_t)population + 1, sizeof *keep) : NULL;
    int64_t kept = 0;
    if (rc == 0 && !keep)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = count - 1; rc == 0 && i >= 0 && kept < population; i--)
        if (records[i].status == 0 && !isnan(records[i].quality))
            keep[kept++] = records[i].job_id;
    free(records);
    exh_repo *r = NULL;
    exh_repo_gc_result removed = {0};
    if (rc == 0)
        rc = exh_repo_open(repo, NULL, &r, err);
    if (rc == 0)
        rc = exh_repo_gc(r, keep, kept, &removed, err);
    if (rc == 0)
        printf("repository: kept the population's %lld models; removed %lld models, %lld "
               "blobs, %lld bytes\n", (long long)kept, (long long)removed.models_removed,
               (long long)removed.blobs_removed, (long long)removed.bytes_removed);
    exh_repo_close(r);
    free(keep);
    return rc;
}
