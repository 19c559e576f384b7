/* report_html.c — index.html of an analysis: the page, RQ1 (structure) and
 * RQ3 (quality); the other sections are in report_html_locality.c and
 * report_html_popularity.c. Every section puts the theory beside what the
 * trace shows. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report_html.h"

void html_cells_init(html_cells *c, int columns)
{
    memset(c, 0, sizeof *c);
    c->columns = columns;
}

void html_cell(html_cells *c, const char *format, ...)
{
    if (c->failed)
        return;
    if (c->count == c->capacity) {
        int64_t capacity = c->capacity ? 2 * c->capacity : 64;
        void *grown = realloc(c->text, sizeof *c->text * (size_t)capacity);
        if (!grown) {
            c->failed = 1;
            return;
        }
        c->text = grown;
        c->capacity = capacity;
    }
    va_list args;
    va_start(args, format);
    vsnprintf(c->text[c->count++], HTML_CELL, format, args);
    va_end(args);
}

int html_table(exh_report *r, const char *caption, const char *const *header, html_cells *c,
               exh_error *err)
{
    const char **cells = malloc(sizeof *cells * (size_t)(c->count + 1));
    int rc = cells && !c->failed ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < c->count; i++)
        cells[i] = c->text[i];
    if (rc == 0)
        rc = exh_report_table(r, caption, c->columns, header, c->count / c->columns, cells, err);
    free(cells);
    free(c->text);
    memset(c, 0, sizeof *c);
    return rc;
}

void html_bytes(double bytes, char *buf, size_t size)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (fabs(bytes) >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.3g %s" : "%.0f %s", bytes, units[u]);
}

const char *html_title(const exh_analysis *a, const char *title, int uses, char *buf, size_t size)
{
    const exh_analyze_inference *i = &a->options.inference;
    const char *parts[3];
    int n = 0;
    if ((uses & HTML_USES_PARENTS) && i->parents_inferred)
        parts[n++] = "parents";
    if ((uses & HTML_USES_WORKERS) && i->workers_source != EXH_ANALYZE_WORKERS_LOGGED &&
        i->workers_source != EXH_ANALYZE_WORKERS_UNKNOWN)
        parts[n++] = "workers";
    if ((uses & HTML_USES_TIMES) && (i->times == EXH_ANALYZE_TIMES_INFERRED || i->clock_aligned))
        parts[n++] = "start times";
    if (n == 0)
        snprintf(buf, size, "%s", title);
    else if (n == 1)
        snprintf(buf, size, "%s (inferred %s)", title, parts[0]);
    else if (n == 2)
        snprintf(buf, size, "%s (inferred %s and %s)", title, parts[0], parts[1]);
    else
        snprintf(buf, size, "%s (inferred %s, %s and %s)", title, parts[0], parts[1], parts[2]);
    return buf;
}

/* ---- RQ1: structure ---- */

static int structure_charts(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_structure *s = &a->structure;
    double x[EXH_ARCH_MAX_TOKENS + 1], positions[EXH_ARCH_MAX_TOKENS + 1];
    double lengths[EXH_ARCH_MAX_TOKENS + 1];
    for (int i = 0; i <= s->max_length; i++) {
        x[i] = i;
        positions[i] = i < s->max_length ? (double)s->mutation_positions[i] : 0;
        lengths[i] = (double)s->prefix_lengths[i];
    }
    exh_report_series mutated = {"children mutated at the position", x, positions, s->max_length,
                             EXH_REPORT_BARS};
    char t1[160], t2[160];
    exh_report_chart_spec chart = {"mutation-positions",
                               html_title(a, "Where children were mutated", HTML_USES_PARENTS,
                                          t1, sizeof t1),
                               "position", "children", 0, 0, &mutated, 1};
    int rc = exh_report_chart(r, &chart, err);
    exh_report_series kept = {"children by transferred prefix length", x, lengths,
                          s->max_length + 1, EXH_REPORT_BARS};
    exh_report_chart_spec chart2 = {"prefix-lengths",
                                html_title(a, "How much of the donor each child received",
                                           HTML_USES_PARENTS, t2, sizeof t2),
                                "transferred prefix length (positions)", "children", 0, 0,
                                &kept, 1};
    return rc == 0 ? exh_report_chart(r, &chart2, err) : rc;
}

/* The most shared prefixes (trie nodes), deepest first among equals. */
static int structure_table(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_structure *s = &a->structure;
    int shown = 0;
    html_cells c;
    html_cells_init(&c, 5);
    for (int depth = 1; depth <= 3 && depth <= s->max_length; depth++)
        for (int i = 1; i < s->node_count && shown < 40; i++) {
            const exh_analyze_prefix_node *n = &s->nodes[i];
            double share = (double)n->models / (double)s->total;
            if (n->depth != depth || share < 0.05)
                continue;
            exh_arch prefix = {.length = depth};
            for (int k = i, d = depth; d > 0; k = s->nodes[k].parent, d--)
                prefix.token[d - 1] = s->nodes[k].token;
            char text[160];
            exh_report_format_prefix(a, &prefix, text, sizeof text);
            html_cell(&c, "%d", depth);
            html_cell(&c, "%s", text);
            html_cell(&c, "%lld", (long long)n->models);
            html_cell(&c, "%.1f%%", 100 * share);
            html_cell(&c, "%lld", (long long)n->transfers);
            shown++;
        }
    const char *header[] = {"length", "prefix", "models", "share", "transfers through it"};
    return html_table(r, "Prefixes of length 1 to 3 held by at least 5% of the models", header,
                      &c, err);
}

int html_structure(exh_report *r, const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_analyze_structure *s = &a->structure;
    char text[512], svg[4096];
    exh_report_section(r, "structure", "RQ1 Structure: prefixes and what children receive");
    exh_report_text(r, "Each node of the trie is a prefix of the evaluated architectures, with the "
                   "share of models that contain it and how many children received the "
                   "tensors up to it from their donor. Nodes below 1% of the models are not "
                   "drawn (structure.csv has them all).");
    snprintf(svg, sizeof svg, "%s/trie.svg", dir);
    int rc = EXH_OK;
    if (access(svg, R_OK) == 0)
        rc = exh_report_svg(r, "The prefix trie (darker: a larger share of the models)", svg, err);
    else
        exh_report_text(r, "Graphviz was not available to draw the trie: see trie.dot.");
    if (s->children == 0)
        snprintf(text, sizeof text, "A child mutated at one uniformly chosen position of L "
                                    "keeps the positions before it: (L-1)/2 on average.");
    else if (s->mutation_exponent == 0.0)
        snprintf(text, sizeof text,
                 "A child mutated at one uniformly chosen position of L keeps the positions "
                 "before it: (L-1)/2 on average, here %.2f of %.2f positions.",
                 s->expected_mean_prefix, s->mean_length);
    else /* --mutation-exponent x: the search's own expectation */
        snprintf(text, sizeof text,
                 "A child mutated at one position i of L, drawn with weight (i+1)^%g, keeps "
                 "the positions before it: E[i] on average, here %.2f of %.2f positions.",
                 s->mutation_exponent, s->expected_mean_prefix, s->mean_length);
    exh_report_note(r, "Theory:", text);
    if (s->children == 0) {
        exh_report_note(r, "Observed:", "No record names a donor, and none could be inferred: "
                                    "nothing was transferred, so there are no mutation "
                                    "positions or prefix lengths to show.");
        return rc == 0 ? structure_table(r, a, err) : rc;
    }
    snprintf(text, sizeof text,
             "%lld children received on average %.2f positions from their %sdonor (%.0f%% of "
             "their length).",
             (long long)s->children, s->mean_prefix,
             a->options.inference.parents_inferred ? "inferred " : "",
             100 * s->mean_prefix / s->mean_length);
    exh_report_note(r, a->options.inference.parents_inferred ? "Observed (inferred parents):"
                                                         : "Observed:", text);
    if (rc == 0)
        rc = structure_charts(r, a, err);
    return rc == 0 ? structure_table(r, a, err) : rc;
}

/* ---- RQ3: quality ---- */

static int quality_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_quality *q = &a->quality;
    int64_t n = a->count;
    double *x = malloc(sizeof *x * (size_t)(n + 1)), *y = malloc(sizeof *y * (size_t)(n + 1));
    double *sx = malloc(sizeof *sx * (size_t)(q->step_count + 2));
    double *sy = malloc(sizeof *sy * (size_t)(q->step_count + 2));
    int rc = x && y && sx && sy ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        x[i] = a->records[i].end_time;
        y[i] = a->records[i].quality;
    }
    int64_t steps = 0;
    for (int64_t i = 0; rc == 0 && i < q->step_count; i++, steps++) {
        sx[steps] = q->steps[i].time;
        sy[steps] = q->steps[i].quality;
    }
    if (rc == 0 && steps > 0) { /* hold the last best to the end of the trace */
        sx[steps] = q->last_time;
        sy[steps] = sy[steps - 1];
        steps++;
    }
    exh_report_series series[2] = {{"evaluations", x, y, n, EXH_REPORT_POINTS},
                               {"best so far", sx, sy, steps, EXH_REPORT_STEPS}};
    exh_report_chart_spec chart = {"quality-time", "Quality over time", "end time (s)", "quality",
                               0, 0, series, 2};
    if (rc == 0)
        rc = exh_report_chart(r, &chart, err);
    free(x);
    free(y);
    free(sx);
    free(sy);
    return rc;
}

static int parents_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_parents *p = &a->parents;
    int P = p->population;
    double *x = malloc(sizeof *x * (size_t)P), *observed = malloc(sizeof *x * (size_t)P);
    double *bound = malloc(sizeof *x * (size_t)P);
    int rc = x && observed && bound ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int k = 0; rc == 0 && k < P; k++) {
        x[k] = k + 1;
        observed[k] = p->joined[k + 1] ? (double)p->chosen[k + 1] / (double)p->joined[k + 1]
                                       : NAN;
        bound[k] = p->bound[k + 1];
    }
    exh_report_series series[2] = {{a->options.inference.parents_inferred
                                    ? "observed (inferred parents): share ever chosen"
                                    : "observed: share ever chosen as parent",
                                x, observed, P, EXH_REPORT_POINTS},
                               {"estimate (hypergeometric, rank kept)", x, bound, P,
                                EXH_REPORT_LINE}};
    char title[160];
    exh_report_chart_spec chart = {"parent-ranks",
                               html_title(a, "Who becomes a parent, by rank when joining",
                                          HTML_USES_PARENTS, title, sizeof title),
                               "rank in the population when it joined (1 = best)",
                               "probability of ever being a parent", 0, 0, series, 2};
    if (rc == 0)
        rc = exh_report_chart(r, &chart, err);
    free(x);
    free(observed);
    free(bound);
    return rc;
}

static int steps_table(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_quality *q = &a->quality;
    html_cells c;
    html_cells_init(&c, 4);
    for (int64_t i = 0; i < q->step_count; i++) {
        const exh_analyze_step *s = &q->steps[i];
        html_cell(&c, "%lld", (long long)a->records[s->record].job_id);
        html_cell(&c, "%.6g", s->time);
        html_cell(&c, "%.6g", s->quality);
        html_cell(&c, "%.4g", s->gain);
    }
    const char *header[] = {"job", "end time (s)", "quality", "gain"};
    return html_table(r, "The steps of the best quality", header, &c, err);
}

int html_quality(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analyze_parents *p = &a->parents;
    char text[512];
    exh_report_section(r, "quality", "RQ3 Quality over time, and who becomes a parent");
    if (a->quality.step_count > 0)
        snprintf(text, sizeof text,
                 "Best quality %.6g, reached in %lld steps of the running best; %lld of %lld "
                 "evaluations failed.",
                 a->quality.best, (long long)a->quality.step_count,
                 (long long)a->quality.failures, (long long)a->count);
    else
        snprintf(text, sizeof text, "All %lld evaluations failed: there is no best quality.",
                 (long long)a->count);
    exh_report_text(r, text);
    int rc = quality_chart(r, a, err);
    if (rc == 0)
        rc = steps_table(r, a, err);
    snprintf(text, sizeof text,
             "With population P = %d and tournament size S = %d, the member of rank r wins a "
             "tournament with probability C(P-r, S-1)/C(P, S); kept for P proposals at that "
             "rank, it is ever chosen with probability 1-(1-C(P-r, S-1)/C(P, S))^P. That is "
             "below %g from rank %d on: do not store those models.",
             p->population, p->sample, p->epsilon, p->threshold_rank);
    exh_report_note(r, "Theory:", text);
    int inferred = a->options.inference.parents_inferred;
    if (a->structure.children == 0)
        snprintf(text, sizeof text,
                 "No record names a parent and none could be inferred: which models were "
                 "chosen, and so the false skips, cannot be computed from this trace.");
    else
        snprintf(text, sizeof text,
                 "%lld models joined at rank %d or worse; %lld of them were later chosen as "
                 "%sparents anyway (false-skip rate %.2f%%), because better members retire "
                 "and ranks improve.",
                 (long long)p->skipped, p->threshold_rank, (long long)p->false_skips,
                 inferred ? "(inferred) " : "",
                 p->skipped ? 100.0 * (double)p->false_skips / (double)p->skipped : 0.0);
    exh_report_note(r, inferred ? "Observed (inferred parents):" : "Observed:", text);
    if (a->structure.children == 0)
        return rc;
    return rc == 0 ? parents_chart(r, a, err) : rc;
}

/* ---- the page ---- */

/* "population 100 (default)", "population 30 (from the sidecar)". */
static const char *source_phrase(const char *source, char *buf, size_t size)
{
    if (!source)
        snprintf(buf, size, "%s", "");
    else if (strcmp(source, "default") == 0)
        snprintf(buf, size, " (the default: not in the trace, its sidecar or the options)");
    else if (strcmp(source, "sidecar") == 0)
        snprintf(buf, size, " (from the trace's sidecar .json)");
    else
        snprintf(buf, size, " (from %s)", source);
    return buf;
}

/* How many workers, and how the page knows. */
static void workers_phrase(const exh_analysis *a, char *buf, size_t size)
{
    const exh_analyze_inference *i = &a->options.inference;
    switch (i->workers_source) {
    case EXH_ANALYZE_WORKERS_OVERLAP:
        snprintf(buf, size, "on %d workers, inferred: the trace names none, and at most %d "
                            "evaluations ran at once (%.1f on average over the search)",
                 i->workers, i->workers, i->mean_concurrency);
        break;
    case EXH_ANALYZE_WORKERS_OPTION:
        snprintf(buf, size, "on %d workers (as --workers says; the trace names none)",
                 i->workers);
        break;
    case EXH_ANALYZE_WORKERS_UNKNOWN:
        snprintf(buf, size, "on an unknown number of workers (the trace names none and holds "
                            "only end times; --workers W would tell)");
        break;
    default:
        snprintf(buf, size, "on %d workers", i->workers > 0 ? i->workers : a->quanta.workers);
    }
}

/* What was inferred rather than read from the trace (analyze.h). */
static void inference_notes(exh_report *r, const exh_analysis *a)
{
    const exh_analyze_inference *i = &a->options.inference;
    char text[1024];
    if (i->clock_aligned) {
        snprintf(text, sizeof text,
                 "The start times (m:timestamp_start) were on another clock than the submit "
                 "and gather times (DeepHyper's @profile writes wall-clock time): they were "
                 "moved %s by %.3f s, so that the job that waited least after its submission "
                 "waited 0.", i->clock_offset >= 0 ? "back" : "forward", fabs(i->clock_offset));
        exh_report_note(r, "Inferred:", text);
    }
    if (i->run_ends > 0) {
        snprintf(text, sizeof text,
                 "Durations and concurrency run from each start to m:timestamp_end (when the "
                 "run itself ended, %lld of %lld records; the others to m:timestamp_gather), "
                 "not to when its result was gathered.", (long long)i->run_ends,
                 (long long)a->count);
        exh_report_note(r, "Durations:", text);
    }
    if (i->times == EXH_ANALYZE_TIMES_INFERRED) {
        snprintf(text, sizeof text,
                 "The trace holds only end times. Start times and durations are inferred "
                 "from --workers %d: an asynchronous search submits one job per finished one, "
                 "so each record starts when the record %d places above it ended (the first "
                 "%d at 0), and runs on that record's worker.", i->workers, i->workers,
                 i->workers);
        exh_report_note(r, "Inferred:", text);
    } else if (i->times == EXH_ANALYZE_TIMES_END_ONLY) {
        exh_report_note(r, "Not in the trace:",
                        "The trace holds only end times: durations cannot be computed (each "
                        "record is taken to start when it ends) and the worker count is unknown; "
                        "--workers W infers both.");
    } else if (i->times == EXH_ANALYZE_TIMES_ORDER) {
        exh_report_note(r, "Not in the trace:",
                        "The trace holds no times: the records' order is the clock (0, 1, 2, ...) "
                        "and no duration can be computed.");
    }
    if (i->workers_source == EXH_ANALYZE_WORKERS_OVERLAP)
        exh_report_note(r, "Inferred:",
                        "Workers: the trace names none. The count is the most evaluations whose "
                        "[start, end) intervals overlap; each evaluation is put on the worker "
                        "freed last, so per-worker figures are over inferred workers.");
    if (i->parents_inferred) {
        snprintf(text, sizeof text,
                 "Parents: the trace names none, so every figure built on parents, donors or "
                 "transferred prefixes is inferred. As regularized evolution made them, a "
                 "child's parent is a member of the population (the last P = %d evaluations "
                 "finished when it started) one mutation away; of several candidates the "
                 "best. %lld records were random (the first P, and those started before P "
                 "had finished with no candidate); %lld children got a parent, %lld of them "
                 "with more than one candidate (ties); %lld later records had no candidate "
                 "and count as without a parent.",
                 i->population, (long long)i->random_records, (long long)i->children,
                 (long long)i->ties, (long long)i->no_candidate);
        exh_report_note(r, "Inferred:", text);
        if (i->times == EXH_ANALYZE_TIMES_END_ONLY || i->times == EXH_ANALYZE_TIMES_ORDER)
            exh_report_note(r, "Weaker here:",
                            "Without start times a child is taken to start when it ends, so its "
                            "population is the last P finished before its end: with many workers "
                            "its real parent may already have retired from that window, and fewer "
                            "parents come out right. --workers W infers the starts and makes the "
                            "population exact.");
    }
}

static void introduction(exh_report *r, const exh_analysis *a, const char *source,
                         const char *generated)
{
    char text[1400], workers[256], population[128], sample[128];
    if (generated)
        exh_report_text(r, generated);
    workers_phrase(a, workers, sizeof workers);
    snprintf(text, sizeof text,
             "%s: %lld evaluations %s; population %d%s, tournament size %d%s. Theory "
             "and observation are side by side in each section; every number is also in the "
             "CSV files beside this page (summary.json has the headline ones).",
             source, (long long)a->count, workers, a->options.population,
             source_phrase(a->options.population_source, population, sizeof population),
             a->options.sample,
             source_phrase(a->options.sample_source, sample, sizeof sample));
    exh_report_text(r, text);
    inference_notes(r, a);
}

int exh_report_write_html(const exh_analysis *a, const char *dir, const char *source,
                          const char *generated, exh_error *err)
{
    char path[4096], title[1024];
    snprintf(path, sizeof path, "%s/index.html", dir);
    snprintf(title, sizeof title, "exhaust analysis of %s", source);
    exh_report *r;
    int rc = exh_report_open(path, title, &r, err);
    if (rc < 0)
        return rc;
    introduction(r, a, source, generated);
    rc = html_structure(r, a, dir, err);
    if (rc == 0)
        rc = html_locality(r, a, err);
    if (rc == 0)
        rc = html_quality(r, a, err);
    if (rc == 0)
        rc = html_popularity(r, a, err);
    if (rc == 0)
        rc = html_caches(r, a, err);
    if (rc < 0) {
        exh_report_discard(r);
        return rc;
    }
    return exh_report_close(r, err);
}
