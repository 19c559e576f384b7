/* report_html_live.c — the cache section's last table: what the search's
 * live fast tier measured (the trace's m:repo_* columns) beside the replay
 * of the same trace under its policy and capacity (exh_analysis_live). */
#include <math.h>
#include <stdio.h>

#include "report/report_html.h"

/* One row: where the figures come from, the sizes used, hits of reads,
 * the hit rate, bytes read from the store, evictions (-1: not measured). */
static void row(html_cells *c, const char *source, const char *sizes, int64_t hits,
                int64_t reads, int64_t store_bytes, int64_t evictions)
{
    char bytes[32];
    html_bytes((double)store_bytes, bytes, sizeof bytes);
    html_cell(c, "%s", source);
    html_cell(c, "%s", sizes);
    html_cell(c, "%lld of %lld", (long long)hits, (long long)reads);
    if (reads > 0)
        html_cell(c, "%.2f%%", 100.0 * (double)hits / (double)reads);
    else
        html_cell(c, "no reads");
    html_cell(c, "%s", bytes);
    if (evictions >= 0)
        html_cell(c, "%lld", (long long)evictions);
    else
        html_cell(c, "not measured");
}

static void replay_row(html_cells *c, const char *sizes, const exh_cachesim_result *r)
{
    row(c, "replay (simulated)", sizes, r->hits, r->accesses, r->bytes_read_missed, r->evictions);
}

int html_caches_live(exh_report *r, const exh_analysis *a, exh_error *err)
{
    const exh_analysis_live *l = &a->live;
    if (l->records == 0)
        return EXH_OK;
    const exh_analysis_options *o = &a->options;
    char capacity[32], text[512];
    html_bytes((double)o->live_bytes, capacity, sizeof capacity);
    if (l->replayed)
        snprintf(text, sizeof text, "The search ran a live fast tier: policy %s, %s, shared by "
                 "every worker. Measured: what its %lld trainers' loads found (real blobs, "
                 "their real sizes). Simulated: this trace replayed under the same policy and "
                 "capacity; the replay keys tensors by prefix, so it needs sizes, and each row "
                 "says which it used. They agree when each position is one blob and received "
                 "prefixes stay frozen.", o->live_policy, capacity, (long long)l->records);
    else
        snprintf(text, sizeof text, "The trainers measured their repository traffic (%lld "
                 "records), but the trace's sidecar names no live fast tier (none ran, or an "
                 "older sidecar): nothing to replay beside it.", (long long)l->records);
    exh_report_note(r, "Measured beside simulated:", text);
    html_cells c;
    html_cells_init(&c, 6);
    row(&c, "measured (the trainers)", "the blobs' own", l->fast_hits,
        l->fast_hits + l->store_reads, l->read_bytes_store, -1);
    char sizes[96];
    snprintf(sizes, sizeof sizes, "every position %lld bytes (the measured mean read)",
             (long long)l->tensor_bytes);
    if (l->replayed)
        replay_row(&c, sizes, &l->replay);
    if (l->space_sized)
        replay_row(&c, "the space's modelled sizes", &l->replay_space);
    const char *header[] = {"figures", "tensor sizes", "fast-tier hits of reads", "hit rate",
                            "bytes read from the store", "evictions"};
    return html_table(r, "The live fast tier: measured and simulated", header, &c, err);
}
