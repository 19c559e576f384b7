/* cli_analyze.c — exhaust analyze: what a search did, as a report. */
#define _DEFAULT_SOURCE /* mallopt */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli/cli.h"
#include "exhaust/analysis.h"
#include "exhaust/report_analysis.h"
#include "exhaust/search.h"
#include "util/file.h"

static const char HELP[] =
    "usage: exhaust analyze TRACE --out DIR [--space S] [options]\n\n"
    "Analyse a search trace (exhaust's, or DeepHyper's results.csv) and write a\n"
    "report, DIR/index.html (self-contained: opens offline), with the numbers as\n"
    "CSV and JSON beside it. Each part puts the theory next to the observation:\n"
    "  RQ1 structure    prefix trie (trie.svg via Graphviz), mutation positions,\n"
    "                   transferred prefix lengths vs the (L-1)/2 expectation\n"
    "  RQ2 locality     the most read tensors by time and worker, reuse distances,\n"
    "                   broadcast groups, scheduling quanta vs order statistics\n"
    "  RQ3 quality      best quality over time, parent ranks vs the hypergeometric\n"
    "                   estimate, a 'do not store' threshold and its false skips\n"
    "  RQ4 popularity   prefix windows and tiers, donors again, delay before a new\n"
    "                   best is used (geometric), stage-1 duplicates (birthday)\n"
    "  caches           LRU, LFU, tier, threshold and prefetch policies, shared and\n"
    "                   per-worker, at several capacities: hit rate and bytes\n\n"
    "  --out DIR             where to write (created if missing)\n"
    "  --space S             parse architectures in space S (nb201 gives operation\n"
    "                        names, tensor sizes and the space size; default: any\n"
    "                        token sequence, one byte per tensor)\n"
    "  --population P        the search's population: the sidecar TRACE.json's\n"
    "                        \"population\" when it exists, else P, else a '#\n"
    "                        population=' line of the trace, else 100 (the paper's)\n"
    "  --sample S            its tournament size, likewise (\"sample\"; default 5)\n"
    "  --epsilon E           'do not store' threshold on the parent estimate (default 0.01)\n"
    "  --min-share X         draw trie nodes holding at least X of the models (default 0.01)\n"
    "  --window N            popularity window in records (default: the population)\n"
    "  --prefix-length L     prefix length for popularity (default 3)\n"
    "  --points K            popularity histograms at K points (default 5)\n"
    "  --tier1-share X       tier 1: at least X of the window (default 0.30)\n"
    "  --tier2-count N       tier 2: more than N models (default 3)\n"
    "  --donor-times D       donors again after D donations in the window (default 5)\n"
    "  --top-tensors K       most read tensors to follow (default 5, at most 16)\n"
    "  --broadcast-window T  seconds (default: a tenth of the median training time)\n"
    "  --workers W           the search's workers (default: the trace's m:worker, else\n"
    "                        the most evaluations running at once). A trace with only\n"
    "                        end times needs it for durations: record i then starts\n"
    "                        when record i-W ended (inferred; without W, no\n"
    "                        durations and an unknown worker count)\n"
    "  --cache-mib LIST      cache capacities in MiB, comma-separated (default 1,4,16;\n"
    "                        4 alone for traces over 100,000 records, to stay fast)\n"
    "  --threads N           threads for the cache replays, one of them this\n"
    "                        one after the other analyses (default 2; at most 64)\n"
    "  --quiet               no progress line on stderr (parts done, time left)\n\n"
    "A trace without parents (DeepHyper's results.csv) gets them inferred: a member\n"
    "of the population one mutation away (analyze.h); the page labels every figure\n"
    "built on inferred parents, workers or durations as inferred.\n\n"
    "example: exhaust analyze out/search-nb201.csv --space nb201 --out out/analysis\n";

#define LARGE_TRACE 100000 /* records */

typedef struct analyze_cli {
    const char *trace, *out, *space;
    int capacities_given, quiet;
    exh_analysis_options analysis;
} analyze_cli;

/* P, S and the mutation exponent the search ran with
 * (exh_report_search_parameters: the sidecar wins over a disagreeing option,
 * named on stderr, as it records the search; an option over an older
 * trace's '#' line; else the paper's defaults). *stated: P came from the
 * trace or an option, not a default (it is then checked against the
 * trace's size). */
static int search_parameters(const char *trace, int option_p, int option_s,
                             exh_analysis_options *o, int *stated)
{
    exh_error err;
    if (exh_report_search_parameters(trace, option_p, option_s, o, stated, &err) < 0) {
        cli_error("analyze", "%s", err.message);
        return CLI_FAILED;
    }
    char sidecar[4096];
    snprintf(sidecar, sizeof sidecar, "%s.json", trace);
    if (option_p > 0 && o->population != option_p)
        cli_error("analyze", "--population %d ignored: %s says %d", option_p,
                  file_basename(sidecar), o->population);
    if (option_s > 0 && o->sample != option_s)
        cli_error("analyze", "--sample %d ignored: %s says %d", option_s,
                  file_basename(sidecar), o->sample);
    return CLI_OK;
}

static int parse_capacities(const char *text, exh_analysis_options *o)
{
    o->cache_capacities = 0;
    for (const char *p = text; *p;) {
        char *end;
        double mib = strtod(p, &end);
        if (end == p || !(mib >= 0) || o->cache_capacities == EXH_ANALYSIS_MAX_CAPACITIES)
            return -1;
        o->cache_bytes[o->cache_capacities++] = (int64_t)(mib * (1 << 20));
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return 0;
}

/* A number option: value in [minimum, inf). */
static int number_option(const char *name, const char *text, double minimum, double *value)
{
    char *end;
    *value = strtod(text, &end);
    if (end == text || *end || !(*value >= minimum))
        return cli_usage_error("analyze", "%s needs a number >= %g, not '%s'", name, minimum,
                               text);
    return CLI_OK;
}

static int set_option(int c, const char *name, analyze_cli *o)
{
    exh_analysis_options *a = &o->analysis;
    int v = 0;
    int rc = CLI_OK;
    switch (c) {
    case 'o': o->out = optarg; return CLI_OK;
    case 'p': o->space = optarg; return CLI_OK;
    case 'q': o->quiet = 1; return CLI_OK;
    case 'c':
        o->capacities_given = 1;
        return parse_capacities(optarg, a) == 0
                   ? CLI_OK
                   : cli_usage_error("analyze", "--cache-mib takes up to %d sizes in MiB, "
                                     "e.g. 1,4,16", EXH_ANALYSIS_MAX_CAPACITIES);
    case 'e': return number_option(name, optarg, 0, &a->epsilon);
    case 'm': return number_option(name, optarg, 0, &a->min_share);
    case 't': rc = number_option(name, optarg, 0, &a->popularity.tier1_share); break;
    case 'B': rc = number_option(name, optarg, 0, &a->locality.broadcast_window); break;
    default: rc = cli_parse_int("analyze", name, optarg, c == 'W' ? 0 : 1, 1000000000, &v); break;
    }
    switch (c) {
    case 'P': a->population = v; break;
    case 'S': a->sample = v; break;
    case 'w': a->popularity.window = v; break;
    case 'L': a->popularity.prefix_length = v; break;
    case 'k': a->popularity.points = v; break;
    case 'T': a->popularity.tier2_count = v; break;
    case 'd': a->popularity.donor_times = v; break;
    case 'K': a->locality.top_tensors = v; break;
    case 'W': a->workers = v; break;
    case 'j': a->threads = v; break;
    }
    return rc;
}

static int parse_options(int argc, char **argv, analyze_cli *o)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},          {"space", required_argument, NULL, 'p'},
        {"population", required_argument, NULL, 'P'},   {"sample", required_argument, NULL, 'S'},
        {"epsilon", required_argument, NULL, 'e'},      {"min-share", required_argument, NULL, 'm'},
        {"window", required_argument, NULL, 'w'},
        {"prefix-length", required_argument, NULL, 'L'},
        {"points", required_argument, NULL, 'k'},
        {"tier1-share", required_argument, NULL, 't'},
        {"tier2-count", required_argument, NULL, 'T'},
        {"donor-times", required_argument, NULL, 'd'},
        {"top-tensors", required_argument, NULL, 'K'},
        {"broadcast-window", required_argument, NULL, 'B'},
        {"workers", required_argument, NULL, 'W'},      {"cache-mib", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 'j'},      {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    int index = -1;
    char option_name[64];
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        const char *name = cli_option_name(options, index, argv, option_name, sizeof option_name);
        index = -1;
        if (c == ':')
            return cli_usage_error("analyze", "%s needs a value", name);
        if (c == '?')
            return cli_usage_error("analyze", "unknown option '%s'", name);
        int rc = set_option(c, name, o);
        if (rc != CLI_OK)
            return rc;
    }
    if (optind != argc - 1)
        return cli_usage_error("analyze", "give one TRACE");
    if (!o->out)
        return cli_usage_error("analyze", "give --out DIR");
    o->trace = argv[optind];
    return CLI_OK;
}

static void print_summary(const analyze_cli *o, const exh_analysis *a)
{
    const exh_analyze_structure *s = &a->structure;
    const exh_analyze_parents *p = &a->parents;
    if (a->quality.step_count > 0)
        printf("%lld evaluations (%lld failed); best quality %.4g, reached in %lld steps\n",
               (long long)a->count, (long long)a->quality.failures, a->quality.best,
               (long long)a->quality.step_count);
    else
        printf("%lld evaluations, all failed: no best quality\n", (long long)a->count);
    if (s->children)
        printf("transferred prefix: %.2f positions on average (expected for %s "
               "one-position mutation: %.2f of %.2f)\n",
               s->mean_prefix, s->mutation_exponent == 0.0 ? "uniform" : "weighted",
               s->expected_mean_prefix, s->mean_length);
    else
        printf("no record names a donor: nothing was transferred\n");
    printf("do not store models joining at rank >= %d (estimate < %g): %lld skipped, %lld of "
           "them later chosen as parents (false-skip rate %.1f%%)\n",
           p->threshold_rank, p->epsilon, (long long)p->skipped, (long long)p->false_skips,
           p->skipped ? 100.0 * (double)p->false_skips / (double)p->skipped : 0.0);
    if (s->children && isfinite(a->popularity.donor_again_at_least_d) &&
        isfinite(a->popularity.mean_best_delay))
        printf("donor again after >= %d donations in the window: %.3f (fewer: %.3f); new best "
           "first used after %.3g proposals (geometric estimate %.3g)\n",
           a->popularity.options.donor_times, a->popularity.donor_again_at_least_d,
           a->popularity.donor_again_below_d, a->popularity.mean_best_delay,
           a->popularity.expected_best_delay);
    printf("report: %s/index.html (numbers: %s/*.csv, summary.json)\n", o->out, o->out);
    /* Timings here, not in the report: the same trace gives the same page. */
    printf("seconds:");
    for (int i = 0; i < EXH_ANALYSIS_PARTS; i++)
        printf("%s %s %.3f", i ? "," : "", exh_analysis_part_name(i), a->seconds[i]);
    printf("\n");
}

static int write_outputs(const analyze_cli *o, const exh_analysis *a, exh_error *err)
{
    int rc = exh_report_write_tables(a, o->out, err);
    if (rc < 0)
        return rc;
    exh_error dot_err;
    if (exh_report_render_trie(o->out, &dot_err) < 0)
        fprintf(stderr, "exhaust analyze: %s\n", dot_err.message);
    char generated[128];
    time_t now = time(NULL);
    strftime(generated, sizeof generated, "Generated %Y-%m-%d %H:%M UTC by exhaust analyze.",
             gmtime(&now));
    const char *source = strrchr(o->trace, '/') ? strrchr(o->trace, '/') + 1 : o->trace;
    return exh_report_write_html(a, o->out, source, generated, err);
}

/* What was inferred, on stderr (the page says it too). */
static void explain_inference(const char *trace, const exh_analyze_inference *inf)
{
    if (inf->times == EXH_ANALYZE_TIMES_ORDER)
        fprintf(stderr, "exhaust analyze: %s has no end times (m:timestamp_gather): times are "
                        "the records' order\n", trace);
    if (inf->times == EXH_ANALYZE_TIMES_END_ONLY)
        fprintf(stderr, "exhaust analyze: %s has end times only: no durations, and the worker "
                        "count is unknown (give --workers W to infer starts)\n", trace);
    if (inf->times == EXH_ANALYZE_TIMES_INFERRED)
        fprintf(stderr, "exhaust analyze: %s has end times only: durations inferred from "
                        "--workers %d (record i starts when record i-%d ended)\n",
                trace, inf->workers, inf->workers);
    if (inf->clock_aligned)
        fprintf(stderr, "exhaust analyze: %s: start times on another clock (wall time): "
                        "moved %s by %.3f s onto the submit clock\n", trace,
                inf->clock_offset >= 0 ? "back" : "forward", fabs(inf->clock_offset));
    if (inf->run_ends > 0)
        fprintf(stderr, "exhaust analyze: %s: durations end at m:timestamp_end (the run's end) "
                        "for %lld records, at m:timestamp_gather for the rest\n", trace,
                (long long)inf->run_ends);
    if (inf->workers_source == EXH_ANALYZE_WORKERS_OVERLAP)
        fprintf(stderr, "exhaust analyze: %s names no workers: %d estimated from the "
                        "evaluations running at once\n", trace, inf->workers);
    if (inf->parents_inferred)
        fprintf(stderr, "exhaust analyze: %s names no parents: inferred for %lld children "
                        "(%lld with ties, %lld without a candidate; %lld random)\n",
                trace, (long long)inf->children, (long long)inf->ties,
                (long long)inf->no_candidate, (long long)inf->random_records);
}

/* Analyses of million-record traces allocate and free many arrays of tens
 * of megabytes. By default glibc maps each from the kernel and unmaps it on
 * free, so every pass pays for zeroing fresh pages again (seconds on a
 * virtual machine); keeping freed memory for reuse halves `analyze`. Only
 * here: a long search should give memory back. */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 0x7fffffff);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
}

static int analyze_main(int argc, char **argv)
{
    keep_freed_memory();
    analyze_cli o = {0};
    exh_analysis_options_default(&o.analysis);
    o.analysis.population = o.analysis.sample = 0; /* 0: not given */
    o.analysis.popularity.window = 0;
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    exh_analysis_options *ao = &o.analysis;
    int stated = 0;
    rc = search_parameters(o.trace, ao->population, ao->sample, ao, &stated);
    if (rc != CLI_OK)
        return rc;
    if (ao->sample > ao->population) {
        cli_error("analyze", "tournament size %d (%s) exceeds population %d (%s)", ao->sample,
                  ao->sample_source, ao->population, ao->population_source);
        return CLI_FAILED;
    }
    if (ao->popularity.window <= 0)
        ao->popularity.window = ao->population;
    ao->cache_window = ao->popularity.window;
    ao->cache_donations = ao->popularity.donor_times;
    if (cli_make_directory("analyze", o.out) != CLI_OK)
        return CLI_FAILED;
    exh_error err;
    exh_space *sp = NULL;
    exh_trace_record *records = NULL;
    int64_t count = 0;
    exh_analysis a = {0};
    rc = o.space ? exh_space_open(o.space, &sp, &err) : 0;
    ao->space = sp;
    if (rc == 0)
        rc = exh_analyze_load(o.trace, sp, &records, &count, &err);
    if (!o.capacities_given && count > LARGE_TRACE) { /* one capacity keeps it fast */
        ao->cache_capacities = 1;
        ao->cache_bytes[0] = 4 << 20;
    }
    /* Checked before anything is sized by them: a header saying
     * population=1000000000 made analyze allocate gigabytes. */
    if (rc == 0 && stated && (int64_t)ao->population > count)
        rc = exh_error_set(&err, EXH_ERR_INVALID,
                           "%s: population %d is more than the trace's %lld records (%s)",
                           o.trace, ao->population, (long long)count, ao->population_source);
    if (rc == 0)
        rc = exh_analyze_infer(records, count, ao->population, ao->workers, &ao->inference, &err);
    if (rc == 0)
        explain_inference(o.trace, &ao->inference);
    progress_printer progress;
    cli_progress_start(&progress, "analyze", o.quiet);
    ao->progress = progress_callback(&progress);
    if (rc == 0)
        rc = exh_analysis_run(records, count, ao, &a, &err);
    progress_finish(&progress);
    if (rc == 0)
        rc = write_outputs(&o, &a, &err);
    if (rc == 0)
        print_summary(&o, &a);
    else
        cli_error("analyze", "%s", err.message);
    exh_analysis_free(&a);
    free(records);
    exh_space_free(sp);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_analyze_command = {"analyze", "analyse a search trace and write a report",
                                         HELP, analyze_main};
