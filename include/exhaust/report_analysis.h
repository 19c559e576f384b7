/*
 * report_analysis.h — an analysis (analysis.h) as files a person and pandas
 * can read: CSV tables and summary.json for the numbers, trie.dot/trie.svg
 * for the trie, and index.html (report.h) with every figure and table, each
 * observation next to the theory that predicts it.
 *
 * Files written into the output folder:
 *   summary.json                   the headline numbers of every part, and
 *                                  "inference": what was inferred, where P and
 *                                  S came from, the donor-again interval
 *   structure.csv, trie.dot, trie.svg, positions.csv, prefix_lengths.csv    RQ1
 *   locality_top.csv, locality_accesses.csv (the top tensors' reads, at most
 *   20,000 per tensor, evenly thinned: column `every`), reuse_distances.csv,
 *   broadcast.csv, quanta.csv                                               RQ2
 *   quality_steps.csv, parents.csv                                          RQ3
 *   popularity_windows.csv, popularity_tiers.csv, donors_again.csv,
 *   best_delays.csv, birthday.csv                                           RQ4
 *   caches.csv                                          cache simulation
 *   inferred.csv (job_id, start_time, worker, parent_id, mutated_position:
 *   per record, what exh_analyze_infer filled in; only when it filled something)
 *   index.html                                          the report
 */
#ifndef EXHAUST_REPORT_ANALYSIS_H
#define EXHAUST_REPORT_ANALYSIS_H

#include "exhaust/export.h"

#include "exhaust/analysis.h"

/* The CSV and JSON files, and trie.dot. */
EXH_API int exh_report_write_tables(const exh_analysis *a, const char *dir, exh_error *err);

/* trie.svg from trie.dot with Graphviz's dot. Returns EXH_OK, or
 * EXH_ERR_NOT_FOUND when dot is not installed (the report then links the
 * .dot file instead), or EXH_ERR_IO when dot failed. */
EXH_API int exh_report_render_trie(const char *dir, exh_error *err);

/* index.html. `source` names the trace in the title; `generated` (may be
 * NULL) is a line such as the date, kept out of the library so reports stay
 * byte-reproducible. */
EXH_API int exh_report_write_html(const exh_analysis *a, const char *dir, const char *source,
                                  const char *generated, exh_error *err);

/* Everything `exhaust analyze TRACE --out DIR [--space S] [--population P]
 * [--sample S] [--workers W]` does, in one call, for bindings (the Python
 * package) and programs: read and check the trace (exh_analyze_load), infer
 * what it lacks (exh_analyze_infer), run every analysis with the defaults of
 * exh_analysis_options_default (one cache capacity, 4 MiB, past 100,000
 * records, as the command) and write every file listed above into `dir`
 * (created if missing; trie.svg only where Graphviz is installed: the page
 * then links trie.dot). Its numbers are in DIR/summary.json.
 * space: NULL for any token sequences. population, sample: as
 * exh_report_search_parameters. workers <= 0: from the trace (or estimated).
 * `generated` as for exh_report_write_html. A population larger than the
 * trace, or a sample larger than the population, is EXH_ERR_INVALID. */
EXH_API int exh_report_analyze(const char *trace, const char *dir, const char *space,
                               int population, int sample, int workers, const char *generated,
                               exh_error *err);

/* The search's P, S and mutation exponent for analysing `trace`, into o
 * (population, sample, their *_source, mutation_exponent): the trace's
 * sidecar wins over the arguments (it records the search; a caller can
 * compare to say its argument was ignored), an argument (> 0) over an older
 * trace's '#' line, which wins over the defaults (100, 5). Sources read
 * "sidecar", "the trace header", "--population" / "--sample" or "default".
 * *stated: P did not come from a default (the caller checks it against the
 * trace's size). A malformed sidecar is EXH_ERR_PARSE; none is fine. */
EXH_API int exh_report_search_parameters(const char *trace, int population, int sample,
                                         exh_analysis_options *o, int *stated, exh_error *err);

/* An architecture or prefix as text: the space's own form when it has one
 * (a->options.space), else the token sequence. */
EXH_API void exh_report_format_prefix(const exh_analysis *a, const exh_arch *prefix, char *buf, size_t size);

#endif
