/* cli_analyze.c — exhaust analyze: what a search did, as tables and a trie. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "exhaust/analyze.h"

static const char HELP[] =
    "usage: exhaust analyze TRACE --out DIR [--space S] [--population P] [--sample S]\n"
    "                       [--epsilon E] [--min-share X]\n\n"
    "Analyse a search trace (exhaust's, or DeepHyper's results.csv) and write\n"
    "what it shows into DIR, each with the theory that predicts it:\n"
    "  structure.csv          the prefix trie: share of models and transfers per prefix\n"
    "  trie.dot (+ trie.svg)  the trie for Graphviz, pruned below --min-share\n"
    "  positions.csv          mutation positions; prefix_lengths.csv: transferred prefixes\n"
    "  quality_steps.csv      the steps of the best quality over time\n"
    "  parents.csv            per rank at joining: models, ever chosen as parent, and the\n"
    "                         hypergeometric estimate\n"
    "  summary.json           the key numbers\n\n"
    "  --out DIR        where to write (created if missing)\n"
    "  --space S        parse architectures in space S (default: any token sequence)\n"
    "  --population P   the search's population (default: from the trace header, else 100)\n"
    "  --sample S       its tournament size (default: from the trace header, else 5)\n"
    "  --epsilon E      'never transferred, do not store' threshold on the estimate\n"
    "                   (default 0.01)\n"
    "  --min-share X    prune trie nodes holding less than X of the models (default 0.01)\n\n"
    "example: exhaust analyze out/search-nb201.csv --space nb201 --out out/analysis\n";

typedef struct analyze_options {
    const char *trace, *out, *space;
    int population, sample;
    double epsilon, min_share;
} analyze_options;

/* population=... and sample=... from the trace's "# exhaust search:" line. */
static void header_parameters(const char *path, int *population, int *sample)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f) && line[0] == '#') {
        const char *p = strstr(line, "population="), *s = strstr(line, "sample=");
        if (p && *population <= 0)
            *population = atoi(p + 11);
        if (s && *sample <= 0)
            *sample = atoi(s + 7);
    }
    if (f)
        fclose(f);
    if (*population <= 0)
        *population = 100;
    if (*sample <= 0)
        *sample = 5;
}

static FILE *open_output(const analyze_options *o, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->out, name);
    FILE *f = fopen(path, "w");
    if (!f)
        cli_error("analyze", "%s: %s", path, strerror(errno));
    return f;
}

static int write_structure(const analyze_options *o, const analyze_structure *s, const space *sp)
{
    FILE *f = open_output(o, "structure.csv");
    if (!f)
        return CLI_FAILED;
    fprintf(f, "node,parent,depth,token,models,share,transfers\n");
    for (int i = 0; i < trie_node_count(s->prefixes); i++) {
        trie_node_info n = trie_node(s->prefixes, i);
        fprintf(f, "%d,%d,%d,%d,%lld,%.6g,%lld\n", i, n.parent, n.depth, n.token,
                (long long)n.count, (double)n.count / (double)s->total,
                (long long)s->transfers[i]);
    }
    fclose(f);
    if (!(f = open_output(o, "trie.dot")))
        return CLI_FAILED;
    analyze_trie_dot(s, sp, o->min_share, f);
    fclose(f);
    char command[8400];
    snprintf(command, sizeof command,
             "command -v dot >/dev/null 2>&1 && dot -Tsvg '%s/trie.dot' -o '%s/trie.svg'", o->out,
             o->out);
    if (system(command) != 0)
        fprintf(stderr, "exhaust analyze: Graphviz 'dot' not found: wrote trie.dot only\n");
    if (!(f = open_output(o, "positions.csv")))
        return CLI_FAILED;
    fprintf(f, "position,mutations\n");
    for (int i = 0; i < s->max_length; i++)
        fprintf(f, "%d,%lld\n", i, (long long)s->mutation_positions[i]);
    fclose(f);
    if (!(f = open_output(o, "prefix_lengths.csv")))
        return CLI_FAILED;
    fprintf(f, "prefix_length,children\n");
    for (int i = 0; i <= s->max_length; i++)
        fprintf(f, "%d,%lld\n", i, (long long)s->prefix_lengths[i]);
    fclose(f);
    return CLI_OK;
}

static int write_quality(const analyze_options *o, const analyze_quality *q,
                         const analyze_parents *p)
{
    FILE *f = open_output(o, "quality_steps.csv");
    if (!f)
        return CLI_FAILED;
    fprintf(f, "record,time,quality,gain\n");
    for (int64_t i = 0; i < q->step_count; i++)
        fprintf(f, "%lld,%.17g,%.17g,%.17g\n", (long long)q->steps[i].record, q->steps[i].time,
                q->steps[i].quality, q->steps[i].gain);
    fclose(f);
    if (!(f = open_output(o, "parents.csv")))
        return CLI_FAILED;
    fprintf(f, "rank,models,chosen,observed,estimate\n");
    for (int r = 1; r <= p->population; r++)
        fprintf(f, "%d,%lld,%lld,%.6g,%.6g\n", r, (long long)p->joined[r],
                (long long)p->chosen[r],
                p->joined[r] ? (double)p->chosen[r] / (double)p->joined[r] : NAN, p->bound[r]);
    fclose(f);
    return CLI_OK;
}

static int write_summary(const analyze_options *o, int64_t records, const analyze_structure *s,
                         const analyze_quality *q, const analyze_parents *p)
{
    FILE *f = open_output(o, "summary.json");
    if (!f)
        return CLI_FAILED;
    fprintf(f, "{\n \"records\": %lld,\n \"failures\": %lld,\n \"best_quality\": %.17g,\n"
               " \"best_steps\": %lld,\n \"children\": %lld,\n \"mean_prefix_length\": %.6g,\n"
               " \"expected_mean_prefix_length\": %.6g,\n \"mean_length\": %.6g,\n"
               " \"population\": %d,\n \"sample\": %d,\n \"epsilon\": %g,\n"
               " \"skip_from_rank\": %d,\n \"skipped\": %lld,\n \"false_skips\": %lld\n}\n",
            (long long)records, (long long)q->failures, q->best, (long long)q->step_count,
            (long long)s->children, s->mean_prefix, s->expected_mean_prefix, s->mean_length,
            p->population, p->sample, p->epsilon, p->threshold_rank, (long long)p->skipped,
            (long long)p->false_skips);
    fclose(f);
    printf("%lld evaluations (%lld failed); best quality %.4g, reached in %lld steps\n",
           (long long)records, (long long)q->failures, q->best, (long long)q->step_count);
    printf("transferred prefix: %.2f positions on average (expected for uniform one-position "
           "mutation: %.2f of %.2f)\n",
           s->mean_prefix, s->expected_mean_prefix, s->mean_length);
    printf("do not store models joining at rank >= %d (estimate < %g): %lld skipped, %lld of "
           "them later chosen as parents (false-skip rate %.1f%%)\n",
           p->threshold_rank, p->epsilon, (long long)p->skipped, (long long)p->false_skips,
           p->skipped ? 100.0 * (double)p->false_skips / (double)p->skipped : 0.0);
    printf("wrote %s/{structure,positions,prefix_lengths,quality_steps,parents}.csv, trie.dot, "
           "summary.json\n", o->out);
    return CLI_OK;
}

static int parse_options(int argc, char **argv, analyze_options *o)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},        {"space", required_argument, NULL, 'p'},
        {"population", required_argument, NULL, 'P'}, {"sample", required_argument, NULL, 'S'},
        {"epsilon", required_argument, NULL, 'e'},    {"min-share", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'p': o->space = optarg; break;
        case 'P': o->population = (int)strtol(optarg, &end, 10); break;
        case 'S': o->sample = (int)strtol(optarg, &end, 10); break;
        case 'e': o->epsilon = strtod(optarg, &end); break;
        case 'm': o->min_share = strtod(optarg, &end); break;
        case ':': return cli_usage_error("analyze", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("analyze", "unknown option '%s'", argv[optind - 1]);
        }
        if (end && (*end || end == optarg))
            return cli_usage_error("analyze", "%s needs a number", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("analyze", "give one TRACE");
    if (!o->out)
        return cli_usage_error("analyze", "give --out DIR");
    o->trace = argv[optind];
    return CLI_OK;
}

static int analyze_main(int argc, char **argv)
{
    analyze_options o = {.epsilon = 0.01, .min_share = ANALYZE_DEFAULT_MIN_SHARE};
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    header_parameters(o.trace, &o.population, &o.sample);
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
        cli_error("analyze", "%s: %s", o.out, strerror(errno));
        return CLI_FAILED;
    }
    exh_error err;
    space *sp = NULL;
    trace_record *records = NULL;
    int64_t count = 0;
    analyze_structure structure = {0};
    analyze_quality quality = {0};
    analyze_parents parents = {0};
    rc = o.space ? space_open(o.space, &sp, &err) : 0;
    if (rc == 0)
        rc = analyze_load(o.trace, sp, &records, &count, &err);
    if (rc == 0)
        rc = analyze_structure_build(records, count, &structure, &err);
    if (rc == 0)
        rc = analyze_quality_build(records, count, &quality, &err);
    if (rc == 0)
        rc = analyze_parents_build(records, count, o.population, o.sample, o.epsilon, &parents,
                                   &err);
    int status = CLI_OK;
    if (rc < 0) {
        cli_error("analyze", "%s", err.message);
        status = CLI_FAILED;
    } else if (write_structure(&o, &structure, sp) != CLI_OK ||
               write_quality(&o, &quality, &parents) != CLI_OK ||
               write_summary(&o, count, &structure, &quality, &parents) != CLI_OK) {
        status = CLI_FAILED;
    }
    analyze_parents_free(&parents);
    analyze_quality_free(&quality);
    analyze_structure_free(&structure);
    free(records);
    space_free(sp);
    return status;
}

const cli_command cli_analyze_command = {"analyze", "analyse a search trace", HELP,
                                         analyze_main};
