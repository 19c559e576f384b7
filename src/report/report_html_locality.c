/* report_html_locality.c — the RQ2 section of index.html: the most read
 * tensors across workers and time, reuse distances (and the LRU hit rates
 * they imply), broadcast groups, and scheduling quanta. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_html.h"

static int top_tensor_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_locality *l = &a->locality;
    double *x = malloc(sizeof *x * (size_t)(l->access_count + 1));
    double *y = malloc(sizeof *y * (size_t)(l->access_count + 1));
    exh_report_series series[EXH_LOCALITY_MAX_TOP];
    char labels[EXH_LOCALITY_MAX_TOP][64];
    int rc = x && y ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int64_t at = 0;
    for (int t = 0; rc == 0 && t < l->top_count; t++) {
        int64_t first = at;
        for (int64_t i = 0; i < l->access_count; i++)
            if (l->accesses[i].tensor == t) {
                x[at] = l->accesses[i].time;
                y[at++] = l->accesses[i].worker;
            }
        snprintf(labels[t], sizeof labels[t], "tensor %d (position %d)", t,
                 l->top_position[t]);
        series[t] = (exh_report_series){labels[t], x + first, y + first, at - first, EXH_REPORT_POINTS};
    }
    char title[200];
    exh_report_chart_spec chart = {"top-tensors",
                               html_title(a, "Reads of the most read tensors: when, by which "
                                          "worker", HTML_USES_PARENTS | HTML_USES_WORKERS |
                                          HTML_USES_TIMES, title, sizeof title),
                               "start time of the reading child (s)", "worker", 0, 0, series,
                               l->top_count};
    if (rc == 0 && l->top_count > 0)
        rc = exh_report_chart(r, &chart, err);
    free(x);
    free(y);
    return rc;
}

static int top_tensor_table(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_locality *l = &a->locality;
    html_cells c;
    html_cells_init(&c, 4);
    for (int t = 0; t < l->top_count; t++) {
        exh_arch prefix;
        exh_trace_record_arch(&a->records[l->top_example[t]], &prefix);
        prefix.length = l->top_position[t] + 1;
        char text[160];
        exh_report_format_prefix(a, &prefix, text, sizeof text);
        html_cell(&c, "%d", t);
        html_cell(&c, "%s", text);
        html_cell(&c, "%lld", (long long)l->top_reads[t]);
        html_cell(&c, "%.2f%%", l->reads ? 100.0 * (double)l->top_reads[t] / (double)l->reads : 0);
    }
    const char *header[] = {"tensor", "prefix (the tensor of its last position)", "reads",
                            "of all reads"};
    return html_table(r, "The most read tensors", header, &c, err);
}

/* An LRU cache of c equal tensors hits exactly the reads whose reuse
 * distance is below c. */
static double lru_hits(const int64_t *buckets, int64_t cold, int64_t capacity)
{
    int64_t hits = 0, all = cold;
    for (int b = 0; b < EXH_LOCALITY_BUCKETS; b++) {
        all += buckets[b];
        if (b == 0 || 2 * exh_locality_bucket_floor(b) - 1 < capacity)
            hits += buckets[b];
    }
    return all ? (double)hits / (double)all : NAN;
}

static int reuse_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_locality *l = &a->locality;
    double x[EXH_LOCALITY_BUCKETS], worker[EXH_LOCALITY_BUCKETS], global[EXH_LOCALITY_BUCKETS];
    int n = 0;
    for (int b = 0; b < EXH_LOCALITY_BUCKETS; b++)
        if (l->reuse_worker[b] || l->reuse_global[b])
            n = b + 1;
    for (int b = 0; b < n; b++) {
        x[b] = b;
        worker[b] = (double)l->reuse_worker[b];
        global[b] = (double)l->reuse_global[b];
    }
    exh_report_series series[2] = {{"per worker", x, worker, n, EXH_REPORT_BARS},
                               {"across workers", x, global, n, EXH_REPORT_BARS}};
    char title[200];
    exh_report_chart_spec chart = {"reuse-distances",
                               html_title(a, "Reuse distances of tensor reads",
                                          HTML_USES_PARENTS | HTML_USES_WORKERS, title,
                                          sizeof title),
                               "bucket b: distance 2^(b-1) to 2^b - 1 (b = 0: distance 0)",
                               "reads", 0, 0, series, 2};
    return exh_report_chart(r, &chart, err);
}

static int reuse_section(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_locality *l = &a->locality;
    char text[768];
    snprintf(text, sizeof text,
             "A cache holding the c most recently read tensors hits exactly the reads whose "
             "reuse distance is below c. From the distances: per-worker caches of 4, 16 and "
             "64 tensors would hit %.1f%%, %.1f%% and %.1f%% of the reads; one shared cache of "
             "the same sizes %.1f%%, %.1f%% and %.1f%%.",
             100 * lru_hits(l->reuse_worker, l->cold_worker, 4),
             100 * lru_hits(l->reuse_worker, l->cold_worker, 16),
             100 * lru_hits(l->reuse_worker, l->cold_worker, 64),
             100 * lru_hits(l->reuse_global, l->cold_global, 4),
             100 * lru_hits(l->reuse_global, l->cold_global, 16),
             100 * lru_hits(l->reuse_global, l->cold_global, 64));
    exh_report_note(r, "Theory:", text);
    if (isfinite(l->median_reuse_worker) && isfinite(l->median_reuse_global))
        snprintf(text, sizeof text,
                 "%lld reads of %lld distinct tensors. Median reuse distance %.0f per worker "
                 "and %.0f across workers; %lld reads were a worker's first of that tensor, "
                 "%lld the first anywhere.",
                 (long long)l->reads, (long long)l->distinct_tensors, l->median_reuse_worker,
                 l->median_reuse_global, (long long)l->cold_worker, (long long)l->cold_global);
    else
        snprintf(text, sizeof text,
                 "%lld reads of %lld distinct tensors; %lld were a worker's first of that "
                 "tensor, %lld the first anywhere, so there are too few repeated reads for a "
                 "median reuse distance.",
                 (long long)l->reads, (long long)l->distinct_tensors,
                 (long long)l->cold_worker, (long long)l->cold_global);
    exh_report_note(r, "Observed:", text);
    return reuse_chart(r, a, err);
}

static int broadcast_section(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_locality *l = &a->locality;
    char text[768];
    snprintf(text, sizeof text,
             "Reads of one tensor within %.4g s of each other were grouped (a tenth of the "
             "median training time unless --broadcast-window says otherwise): %lld groups, "
             "%lld of them read by two or more workers, holding %lld reads (%.1f%% of all). "
             "Broadcasting each group once would move %lld instead of %lld tensors.",
             l->broadcast_window, (long long)l->broadcast_groups, (long long)l->shared_groups,
             (long long)l->shared_reads,
             l->reads ? 100.0 * (double)l->shared_reads / (double)l->reads : 0.0,
             (long long)l->broadcast_groups, (long long)l->reads);
    exh_report_note(r, "Broadcast:", text);
    html_cells c;
    html_cells_init(&c, 2);
    for (int b = 1; b < EXH_LOCALITY_BUCKETS; b++) {
        if (!l->group_workers[b])
            continue;
        int64_t lo = exh_locality_bucket_floor(b), hi = 2 * lo - 1;
        if (lo == hi)
            html_cell(&c, "%lld", (long long)lo);
        else
            html_cell(&c, "%lld to %lld", (long long)lo, (long long)hi);
        html_cell(&c, "%lld", (long long)l->group_workers[b]);
    }
    const char *header[] = {"distinct workers in the group", "groups"};
    return html_table(r, "Groups of reads of one tensor, by the workers reading it", header, &c,
                      err);
}

static int quanta_chart(exh_report *r, const exh_analysis *a, const exh_quanta *q, exh_error *err)
{
    double x[64], theory[64], measured[64], theory_mean[64], measured_mean[64];
    int n = q->row_count < 64 ? q->row_count : 64;
    for (int k = 0; k < n; k++) {
        x[k] = q->rows[k].quantum;
        theory[k] = q->rows[k].theory_first_wait;
        measured[k] = q->rows[k].measured_first_wait;
        theory_mean[k] = q->rows[k].theory_mean_wait;
        measured_mean[k] = q->rows[k].measured_mean_wait;
    }
    exh_report_series series[4] = {
        {"first worker's wait: order statistics", x, theory, n, EXH_REPORT_LINE},
        {"first worker's wait: replay", x, measured, n, EXH_REPORT_POINTS},
        {"mean wait: order statistics", x, theory_mean, n, EXH_REPORT_LINE},
        {"mean wait: replay", x, measured_mean, n, EXH_REPORT_POINTS},
    };
    char title[200];
    exh_report_chart_spec chart = {"quanta",
                               html_title(a, "Waiting for s free workers before handing out "
                                          "work", HTML_USES_WORKERS | HTML_USES_TIMES, title,
                                          sizeof title),
                               "quantum s (workers)", "wait (s)", 1, 0, series, 4};
    return exh_report_chart(r, &chart, err);
}

/* Where the replay stays under the synchronized-round estimate, and where
 * it goes over: said from the numbers, not assumed. */
static void quanta_observed(exh_report *r, const exh_quanta *q)
{
    char text[768];
    int under = 0, over = 0;
    char over_list[256] = "";
    size_t used = 0;
    for (int k = 0; k < q->row_count; k++) {
        const exh_quanta_row *row = &q->rows[k];
        if (row->quantum == 1)
            continue;
        if (row->measured_first_wait <= row->theory_first_wait) {
            under++;
        } else {
            over++;
            if (used < sizeof over_list)
                used += (size_t)snprintf(over_list + used, sizeof over_list - used, "%s%d",
                                         used ? ", " : " (s = ", row->quantum);
        }
    }
    const exh_quanta_row *last = q->row_count ? &q->rows[q->row_count - 1] : NULL;
    snprintf(text, sizeof text,
             "The replay runs the trace's training times, in start order, on w workers with "
             "each quantum (its workers drift apart instead of starting together). The first "
             "worker's measured wait is within the estimate for %d of %d quanta above 1, and "
             "above it for %d%s; at s = w the replay waits %.4g s against %.4g s estimated.",
             under, under + over, over, over ? strcat(over_list, ")") : "",
             last ? last->measured_first_wait : NAN,
             last ? last->theory_first_wait : NAN);
    exh_report_note(r, "Observed:", text);
}

static int quanta_section(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_quanta *q = &a->quanta;
    char text[768];
    if (q->row_count == 0) {
        exh_report_note(r, "Scheduling quanta:",
                        "The trace gives no training times (no start times, and no --workers "
                        "to infer them from): there is nothing to replay.");
        return EXH_OK;
    }
    snprintf(text, sizeof text,
             "If w = %d workers started together and their training times were normal with "
             "spread sigma = %.4g s, the r-th to finish would end sigma E(r,w) after the mean, "
             "E(r,w) = Phi^-1((r - pi/8)/(w - pi/4 + 1)). Handing out work when s are free "
             "makes the first wait sigma (E(s,w) - E(1,w)); all s wait sigma (E(s,w) - "
             "mean E(r<=s,w)) on average; and it saves sigma (E(w,w) - E(s,w)) over waiting "
             "for all w.",
             q->workers, q->sigma);
    exh_report_note(r, "Theory:", text);
    quanta_observed(r, q);
    int rc = quanta_chart(r, a, q, err);
    if (rc < 0)
        return rc;
    html_cells c;
    html_cells_init(&c, 6);
    for (int k = 0; k < q->row_count; k++) {
        const exh_quanta_row *row = &q->rows[k];
        html_cell(&c, "%d", row->quantum);
        html_cell(&c, "%.4g", row->theory_first_wait);
        html_cell(&c, "%.4g", row->measured_first_wait);
        html_cell(&c, "%.4g", row->theory_mean_wait);
        html_cell(&c, "%.4g", row->measured_mean_wait);
        html_cell(&c, "%.6g", row->makespan);
    }
    const char *header[] = {"quantum s", "first wait: theory (s)", "first wait: replay (s)",
                            "mean wait: theory (s)", "mean wait: replay (s)",
                            "replay makespan (s)"};
    return html_table(r, "Scheduling quanta", header, &c, err);
}

int html_locality(exh_report *r, const exh_analysis *a, exh_error *err)
{
    exh_report_section(r, "locality", "RQ2 Locality: which workers read which tensors, and when");
    exh_report_text(r, "A child reads the tensors of the prefix it shares with its donor when it "
                   "starts, on its worker. Tensors are identified by their position and the "
                   "choices up to it, so a child reading a tensor at position 1 also reads the "
                   "one at position 0 of the same prefix: their points coincide below.");
    const exh_analyze_inference *inf = &a->options.inference;
    char built[256] = "";
    size_t used = 0;
    if (inf->parents_inferred)
        used += (size_t)snprintf(built + used, sizeof built - used, "inferred donors");
    if (inf->workers_source == EXH_ANALYZE_WORKERS_UNKNOWN)
        used += (size_t)snprintf(built + used, sizeof built - used, "%sone stream (the "
                                 "workers are unknown)", used ? ", " : "");
    else if (inf->workers_source != EXH_ANALYZE_WORKERS_LOGGED)
        used += (size_t)snprintf(built + used, sizeof built - used, "%sinferred workers",
                                 used ? ", " : "");
    if (inf->times == EXH_ANALYZE_TIMES_INFERRED || inf->clock_aligned)
        used += (size_t)snprintf(built + used, sizeof built - used, "%sinferred start times",
                                 used ? ", " : "");
    if (used) {
        char text[400];
        snprintf(text, sizeof text, "Built on %s: see the introduction.", built);
        exh_report_note(r, "Inferred:", text);
    }
    int rc = EXH_OK;
    if (a->locality.reads == 0)
        exh_report_note(r, "Observed:", "No child received a tensor (no record names a donor, "
                                    "and none could be inferred): there are no reads to "
                                    "follow, reuse or broadcast.");
    else {
        rc = top_tensor_chart(r, a, err);
        if (rc == 0)
            rc = top_tensor_table(r, a, err);
        if (rc == 0)
            rc = reuse_section(r, a, err);
        if (rc == 0)
            rc = broadcast_section(r, a, err);
    }
    return rc == 0 ? quanta_section(r, a, err) : rc;
}
