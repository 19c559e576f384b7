/* report_html_popularity.c — the RQ4 section of index.html (windows, tiers,
 * donors again, the delay before a new best is used, stage-1 duplicates)
 * and the cache simulation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_html.h"

static int tiers_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    int64_t n = p->tier_count;
    double *x = malloc(sizeof *x * (size_t)(4 * n + 1));
    int rc = x ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    exh_report_series series[3];
    const char *labels[3] = {"tier 1", "tier 2", "tier 3"};
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        const exh_popularity_tier_row *row = &p->tiers[i];
        int size = row->members[1] + row->members[2] + row->members[3];
        x[i] = (double)row->record;
        for (int t = 1; t <= 3; t++)
            x[t * n + i] = size ? (double)row->members[t] / size : NAN;
    }
    for (int t = 1; t <= 3 && rc == 0; t++)
        series[t - 1] = (exh_report_series){labels[t - 1], x, x + t * n, n, EXH_REPORT_LINE};
    exh_report_chart_spec chart = {"tiers", "Share of the window whose prefix is in each tier",
                               "record (the window ends here)", "share of the window", 0, 0,
                               series, 3};
    if (rc == 0)
        rc = exh_report_chart(r, &chart, err);
    free(x);
    return rc;
}

static int windows_table(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    html_cells c;
    html_cells_init(&c, 5);
    int shown = 0, point = -1;
    for (int64_t i = 0; i < p->entry_count; i++) {
        const exh_popularity_entry *e = &p->entries[i];
        if (e->point != point) {
            point = e->point;
            shown = 0;
        }
        if (shown++ >= 8)
            continue; /* the eight most popular per point; popularity_windows.csv has all */
        char text[160];
        exh_report_format_prefix(a, &e->prefix, text, sizeof text);
        html_cell(&c, "%lld", (long long)p->point_record[e->point]);
        html_cell(&c, "%s", text);
        html_cell(&c, "%d", e->count);
        html_cell(&c, "%.1f%%", 100 * e->share);
        html_cell(&c, "%d", e->tier);
    }
    const char *header[] = {"window ends at record", "prefix", "models", "share", "tier"};
    return html_table(r, "The most popular prefixes in the window at points of the search",
                      header, &c, err);
}

static int donors_chart(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    int n = p->max_donor_count;
    double *x = malloc(sizeof *x * (size_t)(2 * n + 1));
    int rc = x ? EXH_OK : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int c = 1; rc == 0 && c <= n; c++) {
        x[c - 1] = c;
        x[n + c - 1] = p->donor_pairs[c] ? (double)p->donor_again[c] / (double)p->donor_pairs[c]
                                         : NAN;
    }
    exh_report_series series = {"P(donor in the next window)", x, x + n, n, EXH_REPORT_POINTS};
    char title[160];
    exh_report_chart_spec chart = {"donors-again",
                               html_title(a, "Is a frequent donor a donor again?",
                                          HTML_USES_PARENTS, title, sizeof title),
                               "donations in the last window", "probability", 0, 0, &series, 1};
    if (rc == 0 && n > 0)
        rc = exh_report_chart(r, &chart, err);
    free(x);
    return rc;
}

static void delays_notes(exh_report *r, const exh_analysis *a)
{
    const exh_popularity *p = &a->popularity;
    char text[768], per_second[160] = "";
    int64_t used = 0;
    exh_report_text(r, "How soon is a new best used as a parent?");
    for (int64_t i = 0; i < p->best_delay_count; i++)
        used += p->best_delays[i].proposals > 0;
    if (isfinite(p->mean_seconds_per_proposal) && p->mean_seconds_per_proposal > 0)
        snprintf(per_second, sizeof per_second,
                 " (about %.4g s at the trace's %.4g s between proposals)",
                 p->expected_best_delay * p->mean_seconds_per_proposal,
                 p->mean_seconds_per_proposal);
    snprintf(text, sizeof text,
             "A new best wins every tournament it is drawn into, and is drawn with probability "
             "S/P per proposal: the wait for its first child is geometric, P/S = %.3g proposals "
             "on average%s.",
             p->expected_best_delay, per_second);
    exh_report_note(r, "Theory:", text);
    if (used > 0)
        snprintf(text, sizeof text,
                 "%lld new bests; %lld became %sparents, after %.4g proposals on average "
                 "(counting from their end; proposals already running when a best finishes "
                 "could not pick it, so asynchronous workers lengthen the wait). "
                 "best_delays.csv lists each.",
                 (long long)p->best_delay_count, (long long)used,
                 a->options.inference.parents_inferred ? "(inferred) " : "", p->mean_best_delay);
    else
        snprintf(text, sizeof text,
                 "%lld new bests; none became a parent that the trace names or that could be "
                 "inferred, so the wait cannot be measured.",
                 (long long)p->best_delay_count);
    exh_report_note(r, "Observed:", text);
}

static void birthday_notes(exh_report *r, const exh_analysis *a)
{
    const exh_popularity *p = &a->popularity;
    int L = p->options.prefix_length;
    char text[900];
    exh_report_text(r, "Duplicates among the random architectures of stage 1:");
    if (p->options.space_size > 0)
        snprintf(text, sizeof text,
                 "Stage 1 draws its architectures uniformly, so their prefixes of length L = %d "
                 "are %d uniform draws from the space's %lld such prefixes: some prefix is "
                 "drawn at least twice with probability %.3g, three times %.3g, four times "
                 "%.3g (generalized birthday problem, 1 - exp(-C(n,k)/N^(k-1))); the largest k "
                 "expected (probability at least one half) is %d.",
                 L, p->stage1_records, (long long)p->options.space_size, p->birthday_p[2],
                 p->birthday_p[3], p->birthday_p[4], p->birthday_expected_max);
    else
        snprintf(text, sizeof text,
                 "The number of length-%d prefixes of the space is unknown (give --space): no "
                 "bound.", L);
    exh_report_note(r, "Theory:", text);
    snprintf(text, sizeof text,
             "The most times one length-%d prefix was drawn among the %d random architectures "
             "(%s): %d.",
             L, p->stage1_records,
             p->options.stage1_first > 0 ? "the first P by job id, as the trace names no "
                                           "parents"
                                         : "the records without a parent",
             p->stage1_max_duplicates);
    exh_report_note(r, "Observed:", text);
}

/* The headline donor-again figure with its bootstrap interval, or why not. */
static void donors_notes(exh_report *r, const exh_analysis *a)
{
    const exh_popularity *p = &a->popularity;
    char text[1024], interval[256] = "";
    const char *label = a->options.inference.parents_inferred ? "Observed (inferred donors):"
                                                              : "Observed:";
    if (!isfinite(p->donor_again_at_least_d)) {
        snprintf(text, sizeof text,
                 "No model donated d = %d times within one window (with a next window inside "
                 "the trace): whether a frequent donor donates again cannot be computed here.",
                 p->options.donor_times);
        exh_report_note(r, label, text);
        return;
    }
    if (isfinite(p->donor_again_low))
        snprintf(interval, sizeof interval,
                 " (95%% interval %.3f to %.3f over %d block-bootstrap resamples of the "
                 "trace's %d windows: the figure moves between seeds, so read it with the "
                 "interval, or analyse several seeds' traces and compare)",
                 p->donor_again_low, p->donor_again_high, EXH_POPULARITY_BOOTSTRAP,
                 p->donor_blocks);
    else
        snprintf(interval, sizeof interval,
                 " (too few windows for an interval: one seed's figure, which moves between "
                 "seeds; analyse several seeds' traces and compare)");
    if (isfinite(p->donor_again_below_d))
        snprintf(text, sizeof text,
                 "A model that donated at least d = %d times in the last window donates again "
                 "in the next window with probability %.3f%s; one that donated fewer times "
                 "(but at least once), %.3f.",
                 p->options.donor_times, p->donor_again_at_least_d, interval,
                 p->donor_again_below_d);
    else
        snprintf(text, sizeof text,
                 "A model that donated at least d = %d times in the last window donates again "
                 "in the next window with probability %.3f%s.",
                 p->options.donor_times, p->donor_again_at_least_d, interval);
    exh_report_note(r, label, text);
    if (isfinite(p->donor_again_low) && isfinite(p->donor_again_below_d) &&
        p->donor_again_low <= p->donor_again_below_d &&
        p->donor_again_below_d <= p->donor_again_high)
        exh_report_note(r, "So:", "the interval holds the figure for fewer donations too: this "
                              "trace cannot tell whether a frequent donor is likelier to "
                              "donate again than a rarer one.");
}

/* The paper's three tiers, or a sentence that they do not all appear. */
static void tiers_note(exh_report *r, const exh_analysis *a)
{
    const exh_popularity *p = &a->popularity;
    char text[512];
    if (p->tier1_full_windows > 0)
        return;
    if (a->count < p->options.window) {
        snprintf(text, sizeof text,
                 "The trace (%lld records) is shorter than one window (%d): whether the "
                 "paper's three tiers appear in full windows cannot be seen here.",
                 (long long)a->count, p->options.window);
        exh_report_note(r, "Observed:", text);
        return;
    }
    snprintf(text, sizeof text,
             "The paper's three tiers do not appear: no prefix ever held %.0f%% of a full "
             "window (the largest share was %.1f%%), so tier 1 stays empty after the first "
             "window fills.",
             100 * p->options.tier1_share, 100 * p->max_full_share);
    exh_report_note(r, "Observed:", text);
}

int html_popularity(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    char text[768];
    exh_report_section(r, "popularity", "RQ4 Popularity: prefixes, tiers and donors over time");
    snprintf(text, sizeof text,
             "Windows of %d records (the population) and prefixes of %d positions. Tier 1: "
             "a prefix held by at least %.0f%% of the window; tier 2: by more than %d models; "
             "tier 3: the rest.",
             p->options.window, p->options.prefix_length, 100 * p->options.tier1_share,
             p->options.tier2_count);
    exh_report_text(r, text);
    int rc = tiers_chart(r, a, err);
    tiers_note(r, a);
    if (rc == 0)
        rc = windows_table(r, a, err);
    donors_notes(r, a);
    if (rc == 0)
        rc = donors_chart(r, a, err);
    delays_notes(r, a);
    birthday_notes(r, a);
    return rc;
}

/* ---- caches ---- */

static int caches_chart(exh_report *r, const exh_analysis *a, exh_cachesim_scope scope, exh_error *err)
{
    int capacities = a->options.cache_capacities;
    double x[EXH_ANALYSIS_MAX_CAPACITIES], y[EXH_CACHESIM_POLICY_COUNT][EXH_ANALYSIS_MAX_CAPACITIES];
    exh_report_series series[EXH_CACHESIM_POLICY_COUNT];
    for (int i = 0; i < a->cache_rows; i++) {
        const exh_analysis_cache_row *row = &a->cache[i];
        if (row->scope != scope)
            continue;
        int c = i / (EXH_CACHESIM_SCOPE_COUNT * EXH_CACHESIM_POLICY_COUNT);
        x[c] = (double)row->capacity_bytes / (1 << 20);
        y[row->policy][c] = 100 * row->result.hit_rate;
    }
    for (int p = 0; p < EXH_CACHESIM_POLICY_COUNT; p++)
        series[p] = (exh_report_series){exh_cachesim_policy_name(p), x, y[p], capacities, EXH_REPORT_LINE};
    char id[32], title[200];
    snprintf(id, sizeof id, "cache-%s", exh_cachesim_scope_name(scope));
    html_title(a, scope == EXH_CACHESIM_SHARED ? "Hit rate of one shared cache"
                                           : "Hit rate of per-worker caches",
               HTML_USES_PARENTS | HTML_USES_TIMES |
                   (scope == EXH_CACHESIM_SHARED ? 0 : HTML_USES_WORKERS),
               title, sizeof title);
    exh_report_chart_spec chart = {id, title, "capacity per cache (MiB)", "hit rate (%)", 1, 0,
                               series, EXH_CACHESIM_POLICY_COUNT};
    return capacities > 0 ? exh_report_chart(r, &chart, err) : EXH_OK;
}

/* Per scope and capacity: the best policy next to LRU. */
static void caches_verdict(exh_report *r, const exh_analysis *a)
{
    char text[2048];
    size_t used = 0;
    text[0] = 0;
    if (a->cache_rows == 0 || !isfinite(a->cache[0].result.hit_rate))
        return; /* no reads: html_caches said so */
    for (int i = 0; i + EXH_CACHESIM_POLICY_COUNT <= a->cache_rows; i += EXH_CACHESIM_POLICY_COUNT) {
        const exh_analysis_cache_row *lru = &a->cache[i], *best = lru;
        for (int p = 1; p < EXH_CACHESIM_POLICY_COUNT; p++)
            if (a->cache[i + p].result.hit_rate > best->result.hit_rate)
                best = &a->cache[i + p];
        char size[32];
        html_bytes((double)lru->capacity_bytes, size, sizeof size);
        used += (size_t)snprintf(text + used, used < sizeof text ? sizeof text - used : 0,
                                 "%s%s %s: %s %.1f%% vs LRU %.1f%%", used ? "; " : "", size,
                                 exh_cachesim_scope_name(lru->scope),
                                 best == lru ? "LRU is best," : exh_cachesim_policy_name(best->policy),
                                 100 * best->result.hit_rate, 100 * lru->result.hit_rate);
    }
    exh_report_note(r, "Observed (best policy next to LRU, equal capacity):", text);
}

int html_caches(exh_report *r, const exh_analysis *a, exh_error *err)
{
    exh_report_section(r, "caches", "Caching and prefetching transferred tensors");
    exh_report_text(r, "The trace replayed against tensor caches: a child reads its transferred "
                   "tensors when it starts (a hit, or a miss that moves the bytes from "
                   "storage); a model offers its tensors to its worker's cache when it ends. "
                   "Tensor sizes come from the space (NB201: the float32 parameters of the "
                   "operation in all 15 cells; elsewhere one byte per position). Policies: "
                   "lru, lfu, tier (admit a tensor only after it was donated d times in the "
                   "window), threshold (never store models whose parent estimate is below "
                   "epsilon), prefetch (push a new best's tensors to every cache).");
    if (a->options.inference.parents_inferred || a->structure.children == 0)
        exh_report_note(r, a->structure.children ? "Inferred:" : "Not in the trace:",
                        a->structure.children
                        ? "The reads replayed are those of the inferred donors (see the "
                          "introduction); per-worker caches are per inferred worker when the "
                          "trace names none."
                        : "No child received a tensor (no donor named or inferred): every "
                          "cache stays empty, so the hit rates below say nothing.");
    int rc = caches_chart(r, a, EXH_CACHESIM_SHARED, err);
    if (rc == 0)
        rc = caches_chart(r, a, EXH_CACHESIM_PER_WORKER, err);
    caches_verdict(r, a);
    if (rc < 0)
        return rc;
    html_cells c;
    html_cells_init(&c, 7);
    for (int i = 0; i < a->cache_rows; i++) {
        const exh_analysis_cache_row *row = &a->cache[i];
        char capacity[32], moved[32], stored[32];
        html_bytes((double)row->capacity_bytes, capacity, sizeof capacity);
        html_bytes((double)row->result.bytes_moved, moved, sizeof moved);
        html_bytes(row->result.mean_bytes_stored, stored, sizeof stored);
        html_cell(&c, "%s", capacity);
        html_cell(&c, "%s", exh_cachesim_scope_name(row->scope));
        html_cell(&c, "%s", exh_cachesim_policy_name(row->policy));
        if (isfinite(row->result.hit_rate))
            html_cell(&c, "%.2f%%", 100 * row->result.hit_rate);
        else
            html_cell(&c, "no reads");
        html_cell(&c, "%s", moved);
        html_cell(&c, "%s", stored);
        html_cell(&c, "%lld", (long long)row->result.evictions);
    }
    const char *header[] = {"capacity per cache", "scope", "policy", "hit rate", "bytes moved",
                            "bytes stored (mean, all caches)", "evictions"};
    rc = html_table(r, "Every policy, scope and capacity", header, &c, err);
    return rc == 0 ? html_caches_live(r, a, err) : rc;
}
