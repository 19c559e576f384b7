/* report_tables.c — an analysis as CSV files and summary.json (see
 * report_analysis.h). Every file has a header row; numbers are written
 * with 10 significant digits (one snprintf each: the tables of a million-
 * record trace are large), missing values as empty cells (pandas reads NaN). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/file.h"
#include "exhaust/report_analysis.h"

void exh_report_format_prefix(const exh_analysis *a, const exh_arch *prefix, char *buf, size_t size)
{
    const exh_space *sp = a->options.space;
    int named = sp && exh_space_choice_name(sp, 0, 0) != NULL;
    for (int i = 0; named && i < prefix->length; i++)
        named = exh_space_choice_name(sp, i, prefix->token[i]) != NULL;
    if (!named) { /* a space without names for its choices: the numbers */
        exh_space_format_sequence(prefix, buf, size);
        return;
    }
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < prefix->length && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                                 exh_space_choice_name(sp, i, prefix->token[i]));
}

typedef struct table_file {
    FILE *f;
    char path[4096];
} table_file;

static int table_open(table_file *t, const char *dir, const char *name, const char *header,
                      exh_error *err)
{
    snprintf(t->path, sizeof t->path, "%s/%s", dir, name);
    t->f = file_create(t->path, "w"); /* never through a link planted at path */
    if (!t->f)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", t->path, strerror(errno));
    fprintf(t->f, "%s\n", header);
    return EXH_OK;
}

static int table_close(table_file *t, exh_error *err)
{
    int failed = ferror(t->f);
    failed |= fclose(t->f) != 0;
    return failed ? exh_error_set(err, EXH_ERR_IO, "%s: could not write", t->path) : EXH_OK;
}

/* A double as a CSV cell: empty when missing. */
static void cell(FILE *f, double x, const char *after)
{
    if (isfinite(x))
        fprintf(f, "%.10g%s", x, after);
    else
        fprintf(f, "%s", after);
}

/* ---- RQ1 ---- */

static int write_structure(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_analyze_structure *s = &a->structure;
    table_file t;
    if (table_open(&t, dir, "structure.csv", "node,parent,depth,token,models,share,transfers",
                   err) < 0)
        return err ? err->code : EXH_ERR_IO;
    for (int i = 0; i < s->node_count; i++) {
        const exh_analyze_prefix_node *n = &s->nodes[i];
        fprintf(t.f, "%d,%d,%d,%d,%lld,%.6g,%lld\n", i, n->parent, n->depth, n->token,
                (long long)n->models, (double)n->models / (double)s->total,
                (long long)n->transfers);
    }
    int rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "positions.csv", "position,mutations", err);
    for (int i = 0; rc == 0 && i < s->max_length; i++)
        fprintf(t.f, "%d,%lld\n", i, (long long)s->mutation_positions[i]);
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "prefix_lengths.csv", "prefix_length,children", err);
    for (int i = 0; rc == 0 && i <= s->max_length; i++)
        fprintf(t.f, "%d,%lld\n", i, (long long)s->prefix_lengths[i]);
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "trie.dot", "// the prefix trie; dot -Tsvg trie.dot -o trie.svg",
                        err);
    if (rc == 0) {
        exh_analyze_trie_dot(s, a->options.space, a->options.min_share, t.f);
        rc = table_close(&t, err);
    }
    return rc;
}

/* ---- RQ2 ---- */

#define MAX_ACCESS_ROWS 20000

static int write_top_tensors(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_locality *l = &a->locality;
    table_file t;
    int rc = table_open(&t, dir, "locality_top.csv", "tensor,position,prefix,reads", err);
    for (int k = 0; rc == 0 && k < l->top_count; k++) {
        exh_arch prefix;
        exh_trace_record_arch(&a->records[l->top_example[k]], &prefix);
        prefix.length = l->top_position[k] + 1;
        char text[1024];
        exh_report_format_prefix(a, &prefix, text, sizeof text);
        fprintf(t.f, "%d,%d,\"%s\",%lld\n", k, l->top_position[k], text,
                (long long)l->top_reads[k]);
    }
    if (rc == 0)
        rc = table_close(&t, err);
    /* Every read of each top tensor, thinned evenly to at most
     * MAX_ACCESS_ROWS per tensor (a million-record trace has millions);
     * `every` says the thinning. */
    if (rc == 0)
        rc = table_open(&t, dir, "locality_accesses.csv", "tensor,time,worker,every", err);
    int64_t seen[EXH_LOCALITY_MAX_TOP] = {0};
    for (int64_t i = 0; rc == 0 && i < l->access_count; i++) {
        const exh_locality_access *x = &l->accesses[i];
        int64_t every = (l->top_reads[x->tensor] + MAX_ACCESS_ROWS - 1) / MAX_ACCESS_ROWS;
        if (seen[x->tensor]++ % every == 0)
            fprintf(t.f, "%d,%.10g,%d,%lld\n", x->tensor, x->time, x->worker, (long long)every);
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

static int write_locality(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_locality *l = &a->locality;
    table_file t;
    int rc = write_top_tensors(a, dir, err);
    if (rc == 0)
        rc = table_open(&t, dir, "reuse_distances.csv",
                        "distance_from,distance_to,per_worker,across_workers", err);
    if (rc == 0)
        fprintf(t.f, ",,%lld,%lld\n", (long long)l->cold_worker, (long long)l->cold_global);
    for (int b = 0; rc == 0 && b < EXH_LOCALITY_BUCKETS; b++)
        if (l->reuse_worker[b] || l->reuse_global[b])
            fprintf(t.f, "%lld,%lld,%lld,%lld\n", (long long)exh_locality_bucket_floor(b),
                    (long long)(b ? 2 * exh_locality_bucket_floor(b) - 1 : 0),
                    (long long)l->reuse_worker[b], (long long)l->reuse_global[b]);
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "broadcast.csv", "workers_from,workers_to,groups", err);
    for (int b = 1; rc == 0 && b < EXH_LOCALITY_BUCKETS; b++)
        if (l->group_workers[b])
            fprintf(t.f, "%lld,%lld,%lld\n", (long long)exh_locality_bucket_floor(b),
                    (long long)(2 * exh_locality_bucket_floor(b) - 1),
                    (long long)l->group_workers[b]);
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "quanta.csv",
                        "quantum,workers,theory_first_wait,theory_mean_wait,"
                        "theory_barrier_saving,measured_first_wait,measured_mean_wait,makespan",
                        err);
    for (int k = 0; rc == 0 && k < a->quanta.row_count; k++) {
        const exh_quanta_row *q = &a->quanta.rows[k];
        fprintf(t.f, "%d,%d,", q->quantum, a->quanta.workers);
        cell(t.f, q->theory_first_wait, ",");
        cell(t.f, q->theory_mean_wait, ",");
        cell(t.f, q->theory_barrier_saving, ",");
        cell(t.f, q->measured_first_wait, ",");
        cell(t.f, q->measured_mean_wait, ",");
        cell(t.f, q->makespan, "\n");
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

/* ---- RQ3 ---- */

static int write_quality(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_analyze_quality *q = &a->quality;
    const exh_analyze_parents *p = &a->parents;
    table_file t;
    int rc = table_open(&t, dir, "quality_steps.csv", "record,job_id,time,quality,gain", err);
    for (int64_t i = 0; rc == 0 && i < q->step_count; i++) {
        fprintf(t.f, "%lld,%lld,", (long long)q->steps[i].record,
                (long long)a->records[q->steps[i].record].job_id);
        cell(t.f, q->steps[i].time, ",");
        cell(t.f, q->steps[i].quality, ",");
        cell(t.f, q->steps[i].gain, "\n");
    }
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "parents.csv", "rank,models,chosen,observed,estimate", err);
    for (int r = 1; rc == 0 && r <= p->population; r++) {
        fprintf(t.f, "%d,%lld,%lld,", r, (long long)p->joined[r], (long long)p->chosen[r]);
        cell(t.f, p->joined[r] ? (double)p->chosen[r] / (double)p->joined[r] : NAN, ",");
        cell(t.f, p->bound[r], "\n");
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

/* ---- RQ4 ---- */

static int write_windows(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    table_file t;
    int rc = table_open(&t, dir, "popularity_windows.csv",
                        "point,record,prefix,count,share,tier", err);
    for (int64_t i = 0; rc == 0 && i < p->entry_count; i++) {
        const exh_popularity_entry *e = &p->entries[i];
        char text[1024];
        exh_report_format_prefix(a, &e->prefix, text, sizeof text);
        fprintf(t.f, "%d,%lld,\"%s\",%d,%.6g,%d\n", e->point,
                (long long)p->point_record[e->point], text, e->count, e->share, e->tier);
    }
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "popularity_tiers.csv",
                        "record,tier1_prefixes,tier1_models,tier2_prefixes,tier2_models,"
                        "tier3_prefixes,tier3_models", err);
    for (int64_t i = 0; rc == 0 && i < p->tier_count; i++) {
        const exh_popularity_tier_row *row = &p->tiers[i];
        fprintf(t.f, "%lld,%d,%d,%d,%d,%d,%d\n", (long long)row->record, row->prefixes[1],
                row->members[1], row->prefixes[2], row->members[2], row->prefixes[3],
                row->members[3]);
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

static int write_donors(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_popularity *p = &a->popularity;
    table_file t;
    int rc = table_open(&t, dir, "donors_again.csv",
                        "donations_in_window,models,donor_again,probability", err);
    for (int c = 1; rc == 0 && c <= p->max_donor_count; c++) {
        if (!p->donor_pairs[c])
            continue;
        fprintf(t.f, "%d,%lld,%lld,%.6g\n", c, (long long)p->donor_pairs[c],
                (long long)p->donor_again[c],
                (double)p->donor_again[c] / (double)p->donor_pairs[c]);
    }
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "best_delays.csv",
                        "record,job_id,quality,proposals,seconds,superseded_after", err);
    for (int64_t i = 0; rc == 0 && i < p->best_delay_count; i++) {
        const exh_popularity_best_delay *d = &p->best_delays[i];
        const exh_trace_record *r = &a->records[d->record];
        fprintf(t.f, "%lld,%lld,%.10g,", (long long)d->record, (long long)r->job_id,
                r->quality);
        cell(t.f, d->proposals >= 0 ? (double)d->proposals : NAN, ",");
        cell(t.f, d->seconds, ",");
        cell(t.f, d->superseded >= 0 ? (double)d->superseded : NAN, "\n");
    }
    if (rc == 0)
        rc = table_close(&t, err);
    if (rc == 0)
        rc = table_open(&t, dir, "birthday.csv", "k,probability_some_drawn_k_times", err);
    for (int k = 2; rc == 0 && k < 8; k++)
        fprintf(t.f, "%d,%.6g\n", k, p->birthday_p[k]);
    return rc == 0 ? table_close(&t, err) : rc;
}

/* ---- caches ---- */

static int write_caches(const exh_analysis *a, const char *dir, exh_error *err)
{
    table_file t;
    int rc = table_open(&t, dir, "caches.csv",
                        "capacity_bytes,scope,policy,caches,accesses,hits,hit_rate,bytes_moved,"
                        "bytes_read_missed,bytes_prefetched,bytes_written,peak_bytes_stored,"
                        "mean_bytes_stored,evictions", err);
    for (int i = 0; rc == 0 && i < a->cache_rows; i++) {
        const exh_analysis_cache_row *row = &a->cache[i];
        const exh_cachesim_result *c = &row->result;
        fprintf(t.f, "%lld,%s,%s,%lld,%lld,%lld,", (long long)row->capacity_bytes,
                exh_cachesim_scope_name(row->scope), exh_cachesim_policy_name(row->policy),
                (long long)c->caches, (long long)c->accesses, (long long)c->hits);
        cell(t.f, c->hit_rate, ",");
        fprintf(t.f, "%lld,%lld,%lld,%lld,%lld,", (long long)c->bytes_moved,
                (long long)c->bytes_read_missed, (long long)c->bytes_prefetched,
                (long long)c->bytes_written, (long long)c->peak_bytes_stored);
        cell(t.f, c->mean_bytes_stored, ",");
        fprintf(t.f, "%lld\n", (long long)c->evictions);
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

/* ---- summary.json ---- */

static json_t *number(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *summary(const exh_analysis *a)
{
    const exh_popularity *p = &a->popularity;
    const exh_locality *l = &a->locality;
    return json_pack(
        "{s:I, s:I, s:o, s:I, s:i, s:i, "
        "s:{s:I, s:o, s:o, s:o}, "
        "s:{s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:i, s:o}, "
        "s:{s:o, s:i, s:I, s:I}, "
        "s:{s:i, s:i, s:o, s:o, s:o, s:o, s:i, s:i}}",
        "records", (json_int_t)a->count, "failures", (json_int_t)a->quality.failures,
        "best_quality", number(a->quality.best), "best_steps", (json_int_t)a->quality.step_count,
        "population", a->options.population, "sample", a->options.sample,
        "structure", "children", (json_int_t)a->structure.children, "mean_prefix_length",
        number(a->structure.mean_prefix), "expected_mean_prefix_length",
        number(a->structure.expected_mean_prefix), "mean_length",
        number(a->structure.mean_length),
        "locality", "reads", (json_int_t)l->reads, "distinct_tensors",
        (json_int_t)l->distinct_tensors, "median_reuse_per_worker",
        number(l->median_reuse_worker), "median_reuse_across_workers",
        number(l->median_reuse_global), "broadcast_window_seconds",
        number(l->broadcast_window), "broadcast_groups", (json_int_t)l->broadcast_groups,
        "shared_groups", (json_int_t)l->shared_groups, "workers", a->quanta.workers,
        "training_time_sigma", number(a->quanta.sigma),
        "quality", "epsilon", number(a->options.epsilon), "skip_from_rank",
        a->parents.threshold_rank, "skipped", (json_int_t)a->parents.skipped, "false_skips",
        (json_int_t)a->parents.false_skips,
        "popularity", "window", p->options.window, "prefix_length", p->options.prefix_length,
        "donor_again_at_least_d", number(p->donor_again_at_least_d), "donor_again_below_d",
        number(p->donor_again_below_d), "expected_best_delay_proposals",
        number(p->expected_best_delay), "mean_best_delay_proposals", number(p->mean_best_delay),
        "stage1_max_duplicates", p->stage1_max_duplicates, "birthday_expected_max",
        p->birthday_expected_max);
}

static const char *const TIMES_NAMES[] = {"logged", "inferred from --workers",
                                           "end times only", "record order"};
static const char *const WORKERS_NAMES[] = {"logged", "estimated from the overlap",
                                             "--workers", "unknown"};

/* What analyze_infer filled in, and where P and S came from. */
static json_t *inference_summary(const exh_analysis *a)
{
    const exh_analyze_inference *i = &a->options.inference;
    const exh_popularity *p = &a->popularity;
    return json_pack(
        "{s:s, s:b, s:o, s:s, s:i, s:o, s:b, s:I, s:I, s:I, s:I, s:s?, s:s?, s:o, s:o, s:o, s:s,"
        " s:I}",
        "start_times", TIMES_NAMES[i->times], "clock_aligned", i->clock_aligned,
        "clock_offset_seconds", number(i->clock_aligned ? i->clock_offset : NAN), "workers_from",
        WORKERS_NAMES[i->workers_source], "workers", i->workers, "mean_concurrency",
        number(i->mean_concurrency), "parents_inferred", i->parents_inferred, "random_records",
        (json_int_t)i->random_records, "children_with_inferred_parent",
        (json_int_t)i->children, "ties", (json_int_t)i->ties, "no_candidate",
        (json_int_t)i->no_candidate, "population_from", a->options.population_source,
        "sample_from", a->options.sample_source, "donor_again_at_least_d_low",
        number(p->donor_again_low), "donor_again_at_least_d_high", number(p->donor_again_high),
        "max_share_full_window", number(p->max_full_share), "durations_end",
        i->run_ends > 0 ? "m:timestamp_end" : "m:timestamp_gather", "records_with_run_end",
        (json_int_t)i->run_ends);
}

/* Per record, what analyze_infer filled in: start, worker, parent. */
static int write_inferred(const exh_analysis *a, const char *dir, exh_error *err)
{
    const exh_analyze_inference *i = &a->options.inference;
    if (!i->parents_inferred && i->workers_source == EXH_ANALYZE_WORKERS_LOGGED &&
        i->times == EXH_ANALYZE_TIMES_LOGGED && !i->clock_aligned)
        return EXH_OK;
    table_file t;
    int rc = table_open(&t, dir, "inferred.csv",
                        "job_id,start_time,worker,parent_id,mutated_position", err);
    for (int64_t k = 0; rc == 0 && k < a->count; k++) {
        const exh_trace_record *r = &a->records[k];
        fprintf(t.f, "%lld,", (long long)r->job_id);
        cell(t.f, r->start_time, ",");
        fprintf(t.f, "%d,%lld,%d\n", r->worker, (long long)r->parent_id, r->mutated_position);
    }
    return rc == 0 ? table_close(&t, err) : rc;
}

static json_t *replay_json(const exh_cachesim_result *r, const char *sizes)
{
    return json_pack("{s:s, s:I, s:I, s:o, s:I, s:I, s:I}", "sizes", sizes, "accesses",
                     (json_int_t)r->accesses, "hits", (json_int_t)r->hits, "hit_rate",
                     number(r->hit_rate), "evictions", (json_int_t)r->evictions,
                     "bytes_read_missed", (json_int_t)r->bytes_read_missed, "bytes_written",
                     (json_int_t)r->bytes_written);
}

/* A search with --repo: the repository traffic its trainers measured (the
 * trace's m:repo_* columns, trace.h), summed, and beside it the replay of
 * the trace under the live fast tier's settings; NULL when no record has
 * any figure. */
static json_t *repo_summary(const exh_analysis *a)
{
    const exh_analysis_live *l = &a->live;
    if (l->records == 0)
        return NULL;
    int64_t reads = l->fast_hits + l->store_reads;
    json_t *root = json_pack(
        "{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:f, s:I}", "records", (json_int_t)l->records,
        "fast_hits", (json_int_t)l->fast_hits, "store_reads", (json_int_t)l->store_reads,
        "fast_hit_rate", number(reads > 0 ? (double)l->fast_hits / (double)reads : NAN),
        "read_bytes_fast", (json_int_t)l->read_bytes_fast, "read_bytes_store",
        (json_int_t)l->read_bytes_store, "write_bytes", (json_int_t)l->write_bytes, "seconds",
        l->seconds, "errors", (json_int_t)l->errors);
    if (!root || !l->replayed)
        return root;
    const exh_analysis_options *o = &a->options;
    json_t *replay = json_pack("{s:s, s:I, s:i, s:i, s:o, s:I, s:o, s:o}", "policy",
                               o->live_policy, "capacity_bytes", (json_int_t)o->live_bytes,
                               "window", o->live_window, "donations", o->live_donations,
                               "epsilon", number(o->live_epsilon), "tensor_bytes",
                               (json_int_t)l->tensor_bytes, "measured_sizes",
                               replay_json(&l->replay, "every position the mean measured read"),
                               "space_sizes",
                               l->space_sized ? replay_json(&l->replay_space, "the space's")
                                              : json_null());
    json_object_set_new(root, "simulated", replay ? replay : json_null());
    return root;
}

static int write_summary(const exh_analysis *a, const char *dir, exh_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *root = summary(a);
    if (root)
        json_object_set_new(root, "inference", inference_summary(a));
    json_t *repo = root ? repo_summary(a) : NULL;
    if (repo)
        json_object_set_new(root, "repo_measured", repo);
    if (!root)
        return exh_error_set(err, EXH_ERR_NOMEM, "summary.json: out of memory");
    int failed = json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0;
    json_decref(root);
    return failed ? exh_error_set(err, EXH_ERR_IO, "%s: could not write", path) : EXH_OK;
}

int exh_report_write_tables(const exh_analysis *a, const char *dir, exh_error *err)
{
    int rc = write_structure(a, dir, err);
    if (rc == 0)
        rc = write_locality(a, dir, err);
    if (rc == 0)
        rc = write_quality(a, dir, err);
    if (rc == 0)
        rc = write_windows(a, dir, err);
    if (rc == 0)
        rc = write_donors(a, dir, err);
    if (rc == 0)
        rc = write_caches(a, dir, err);
    if (rc == 0)
        rc = write_inferred(a, dir, err);
    if (rc == 0)
        rc = write_summary(a, dir, err);
    return rc;
}
