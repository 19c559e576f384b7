/*
 * trace.h — one durable record per evaluation of a search.
 *
 * CSV columns use DeepHyper's names where they exist, so pandas code written
 * for DeepHyper's results.csv reads exhaust traces:
 *   job_id, p:arch_seq, objective, m:timestamp_submit, m:timestamp_start,
 *   m:timestamp_gather (the end), m:worker, m:parent_id, m:donor_id,
 *   m:prefix_len, m:mutated_position, m:status, m:cost, m:donor_run_id
 * donor_id is the model whose tensors the child receives (its parent, or
 * with --transfer-from any the finished model with the longest common
 * prefix); prefix_len is the number of leading positions shared with it,
 * whose tensors it receives (keys: transfer.h). With --transfer-from any and
 * logged runs (--logs), the donor can be a logged run instead: then
 * m:donor_id is -1 and m:donor_run_id names the run in the store.
 * The header is preceded by '#' comment lines with the search parameters
 * (pandas: read_csv(path, comment='#')). Each record is flushed and fsync'ed
 * when written, so a killed search loses nothing it finished.
 */
#ifndef EXHAUST_TRACE_H
#define EXHAUST_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "exhaust/error.h"
#include "exhaust/space.h"

typedef struct trace_record {
    int64_t job_id;
    int worker;
    double submit_time, start_time, end_time;
    arch architecture;
    double quality;            /* NAN when the evaluation failed */
    double cost_seconds;
    int64_t parent_id;         /* -1: random (stage 1) */
    int64_t donor_id;          /* transfer source: a job of this search; -1: none */
    int64_t donor_run_id;      /* or a logged run (the store's run id); -1: none */
    int prefix_length;         /* positions shared with the donor */
    int mutated_position;      /* -1: random */
    int status;                /* evaluation_status */
} trace_record;

typedef struct trace_writer trace_writer;
typedef struct trace_store trace_store;

/* Create (truncate) a CSV trace; header_lines are written as "# line".
 * path NULL: no CSV (records go only to an attached store). */
int trace_open(const char *path, const char *const *header_lines, int header_count,
               trace_writer **out, exh_error *err);
/* durable: fsync after every record (default on); off for benchmarks. */
void trace_set_durable(trace_writer *t, int durable);
int trace_append(trace_writer *t, const trace_record *record, exh_error *err);
/* Also write every record to a store (trace_store_open); the writer does not
 * own it. */
void trace_attach_store(trace_writer *t, trace_store *store);
int trace_close(trace_writer *t, exh_error *err);

/* Continue an existing trace (resume): records are appended after it. */
int trace_open_append(const char *path, trace_writer **out, exh_error *err);

/*
 * Read a trace (exhaust's or DeepHyper's results.csv) into a malloc'd array,
 * in file order; architectures are parsed with space `s` from p:arch_seq
 * (s NULL: any token sequence, e.g. a DeepHyper space exhaust does not know).
 * Required columns: job_id, p:arch_seq, objective ("F" = failed); the others
 * default to missing (NAN, -1). With allow_torn_tail, a last line cut short
 * by a killed writer (no final newline, unparsable) is dropped instead of
 * being an error.
 */
int trace_read(const char *path, const space *s, int allow_torn_tail, trace_record **records,
               int64_t *count, exh_error *err);

/*
 * Traces in the SQLite log store: table `searches` (one row per search: name,
 * parameters, created) and `trace_records` (one row per evaluation, the CSV's
 * columns; key (search, job_id)). Each record is its own committed
 * transaction (WAL), so a killed search loses nothing it finished.
 * Re-using a search name replaces that search's records, unless
 * `continuing` (a resumed search adds to them).
 */
struct store;
int trace_store_open(struct store *s, const char *search_name, const char *parameters,
                     int continuing, trace_store **out, exh_error *err);
int trace_store_append(trace_store *t, const trace_record *record, exh_error *err);
void trace_store_close(trace_store *t);

#endif
