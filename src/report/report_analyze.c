/* report_analyze.c — a trace analysed into a folder in one call
 * (exh_report_analyze): what `exhaust analyze` does, without its printing. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exhaust/report_analysis.h"
#include "exhaust/search.h"

#define LARGE_TRACE 100000 /* records: past it one cache capacity keeps it fast */

/* The search's live fast tier, from the sidecar (none in an older one). */
static void live_tier_options(const exh_trace_settings *recorded, exh_analysis_options *o)
{
    exh_error ignored;
    exh_cachesim_policy policy;
    if (!recorded->repo_cache_policy[0] ||
        exh_cachesim_policy_parse(recorded->repo_cache_policy, &policy, &ignored) < 0)
        return;
    o->live_policy = exh_cachesim_policy_name(policy); /* a static name: it outlives `recorded` */
    o->live_bytes = recorded->repo_cache_bytes;
    o->live_window = recorded->repo_cache_window;
    o->live_donations = recorded->repo_cache_donations;
    o->live_epsilon = recorded->repo_cache_epsilon;
}

int exh_report_search_parameters(const char *trace, int population, int sample,
                                 exh_analysis_options *o, int *stated, exh_error *err)
{
    exh_trace_settings recorded;
    int rc = exh_trace_settings_read(trace, &recorded, err);
    if (rc < 0 && rc != EXH_ERR_NOT_FOUND)
        return rc;
    char sidecar[4096];
    snprintf(sidecar, sizeof sidecar, "%s%s", trace, EXH_TRACE_SIDECAR_SUFFIX);
    int has_sidecar = rc == 0 && access(sidecar, F_OK) == 0;
    int p = rc == 0 && recorded.population > 0 ? recorded.population : 0;
    int s = rc == 0 && recorded.sample > 0 ? recorded.sample : 0;
    if (rc == 0 && !isnan(recorded.mutation_exponent))
        o->mutation_exponent = recorded.mutation_exponent;
    if (rc == 0)
        live_tier_options(&recorded, o);
    const char *from = has_sidecar ? "sidecar" : "the trace header";
    int p_wins = p > 0 && (has_sidecar || population <= 0);
    int s_wins = s > 0 && (has_sidecar || sample <= 0);
    o->population = p_wins ? p : population > 0 ? population : EXH_SEARCH_DEFAULT_POPULATION;
    o->sample = s_wins ? s : sample > 0 ? sample : EXH_SEARCH_DEFAULT_SAMPLE;
    o->population_source = p_wins ? from : population > 0 ? "--population" : "default";
    o->sample_source = s_wins ? from : sample > 0 ? "--sample" : "default";
    *stated = p_wins || population > 0;
    return EXH_OK;
}

static int write_outputs(const exh_analysis *a, const char *trace, const char *dir,
                         const char *generated, exh_error *err)
{
    int rc = exh_report_write_tables(a, dir, err);
    if (rc < 0)
        return rc;
    exh_error dot_err; /* no Graphviz: the page links trie.dot instead */
    exh_report_render_trie(dir, &dot_err);
    const char *source = strrchr(trace, '/') ? strrchr(trace, '/') + 1 : trace;
    return exh_report_write_html(a, dir, source, generated, err);
}

/* The analysis options `exhaust analyze` uses by default, with the search's
 * P and S; the popularity window and tier-aware admission follow P. */
static int analysis_options(const char *trace, int population, int sample, int workers,
                            exh_analysis_options *o, int *stated, exh_error *err)
{
    exh_analysis_options_default(o);
    o->workers = workers > 0 ? workers : 0;
    int rc = exh_report_search_parameters(trace, population, sample, o, stated, err);
    if (rc < 0)
        return rc;
    if (o->sample > o->population)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "tournament size %d (%s) exceeds population %d (%s)", o->sample,
                             o->sample_source, o->population, o->population_source);
    o->popularity.window = o->population;
    o->cache_window = o->popularity.window;
    o->cache_donations = o->popularity.donor_times;
    return EXH_OK;
}

int exh_report_analyze(const char *trace, const char *dir, const char *space, int population,
                       int sample, int workers, const char *generated, exh_error *err)
{
    if (!trace || !dir)
        return exh_error_set(err, EXH_ERR_INVALID, "analyze: a trace and a folder are needed");
    exh_analysis_options o;
    int stated = 0;
    int rc = analysis_options(trace, population, sample, workers, &o, &stated, err);
    if (rc < 0)
        return rc;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", dir, strerror(errno));
    exh_space *sp = NULL;
    exh_trace_record *records = NULL;
    int64_t count = 0;
    exh_analysis a = {0};
    rc = space ? exh_space_open(space, &sp, err) : 0;
    o.space = sp;
    if (rc == 0)
        rc = exh_analyze_load(trace, sp, &records, &count, err);
    if (count > LARGE_TRACE) {
        o.cache_capacities = 1;
        o.cache_bytes[0] = 4 << 20;
    }
    if (rc == 0 && stated && (int64_t)o.population > count)
        rc = exh_error_set(err, EXH_ERR_INVALID,
                           "%s: population %d is more than the trace's %lld records (%s)", trace,
                           o.population, (long long)count, o.population_source);
    if (rc == 0)
        rc = exh_analyze_infer(records, count, o.population, o.workers, &o.inference, err);
    if (rc == 0)
        rc = exh_analysis_run(records, count, &o, &a, err);
    if (rc == 0)
        rc = write_outputs(&a, trace, dir, generated, err);
    exh_analysis_free(&a);
    free(records);
    exh_space_free(sp);
    return rc;
}
