/* cli_search_repo.c — exhaust search --repo DIR: open (create) the model
 * repository before the search, give the command evaluator its folder
 * ({repo}), and say what it holds afterwards. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "exhaust/evaluator.h"
#include "exhaust/repo.h"
#include "exhaust/search.h"

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
