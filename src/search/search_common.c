/* search_common.c — what every clock shares: options, results, and the
 * bookkeeping when an evaluation finishes. */
#include <math.h>
#include <string.h>

#include "search/search_internal.h"

void exh_search_options_default(exh_search_options *o)
{
    memset(o, 0, sizeof *o);
    o->population = EXH_SEARCH_DEFAULT_POPULATION;
    o->sample = EXH_SEARCH_DEFAULT_SAMPLE;
    o->candidates = EXH_SEARCH_DEFAULT_CANDIDATES;
    o->workers = 1;
    o->seed = 1;
    o->repo_cache_window = 100;   /* cachesim.h's defaults, as exhaust analyze's */
    o->repo_cache_donations = 5;
    o->repo_cache_epsilon = 0.01;
}

int search_validate_options(const exh_search_options *o, exh_error *err)
{
    if (o->population < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "population must be at least 1 (got %d)",
                             o->population);
    if (o->sample < 1 || o->sample > o->population)
        return exh_error_set(err, EXH_ERR_INVALID, "sample must be between 1 and the population %d "
                             "(got %d)", o->population, o->sample);
    if (o->candidates < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "candidates must be at least 1");
    if (o->workers < 1 || o->workers > SEARCH_MAX_WORKERS)
        return exh_error_set(err, EXH_ERR_INVALID, "workers must be between 1 and %d (got %d)",
                             SEARCH_MAX_WORKERS, o->workers);
    if (o->screen < 0 || o->screen > EXH_SEARCH_MAX_SCREEN || o->screen_k < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "screen must be between 0 and %d and its k "
                             "at least 0 (got %d, %d)", EXH_SEARCH_MAX_SCREEN, o->screen,
                             o->screen_k);
    if (o->screen_logged_count > 0 && (!o->screen_logged_archs || !o->screen_logged_quality))
        return exh_error_set(err, EXH_ERR_INVALID, "screen: %lld logged models but no arrays",
                             (long long)o->screen_logged_count);
    return EXH_OK;
}

void search_result_init(exh_search_result *result)
{
    memset(result, 0, sizeof *result);
    result->workers = 1;
    result->best_job_id = -1;
    result->best_quality = -INFINITY;
}

int search_record_finished(search_state *s, exh_trace_record *record, exh_search_result *result,
                           exh_error *err)
{
    int64_t job = record->job_id;
    search_repo_traffic(s->options->repo_path, record);
    search_fast_tier_write(s, record);
    search_keep_gathered(s, record);
    if (s->trace) {
        int rc = exh_trace_append(s->trace, record, err);
        if (rc < 0)
            return rc;
    }
    result->evaluations++;
    result->end_time = record->end_time;
    if (record->status != EXH_EVALUATION_OK) {
        result->failures++; /* a failed child never joins the population */
        search_retry_later(s, record);
        if (s->options->progress)
            s->options->progress(result, s->options->candidates, s->options->progress_context);
        return EXH_OK;
    }
    search_keep_left(s, search_population_add(s, job));
    int rc = search_donor_add(s, job, err);
    if (rc == 0)
        rc = search_screen_learn(s, record, err);
    if (rc < 0)
        return rc;
    if (result->best_job_id < 0 || record->quality > result->best_quality) {
        result->best_job_id = job;
        result->best_quality = record->quality;
        exh_trace_record_arch(record, &result->best_architecture);
    }
    if (s->options->progress)
        s->options->progress(result, s->options->candidates, s->options->progress_context);
    return EXH_OK;
}

