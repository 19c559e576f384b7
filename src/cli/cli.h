/*
 * cli.h — what the subcommands share: the command table entry, option
 * helpers, error printing and tabular output.
 *
 * Exit status: 0 ok, 1 the work failed, 2 bad usage.
 */
#ifndef EXHAUST_CLI_H
#define EXHAUST_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "exhaust/error.h"
#include "exhaust/knn.h"
#include "exhaust/penalties.h"
#include "exhaust/store.h"
#include "util/progress.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *help; /* full --help text */
    int (*main)(int argc, char **argv);
} cli_command;

extern const cli_command cli_ingest_command;
extern const cli_command cli_runs_command;
extern const cli_command cli_show_command;
extern const cli_command cli_summary_command;
extern const cli_command cli_search_command;
extern const cli_command cli_eval_command;
extern const cli_command cli_predict_command;
extern const cli_command cli_rank_command;
extern const cli_command cli_fit_penalties_command;
extern const cli_command cli_analyze_command;
extern const cli_command cli_repo_command;

/* The option getopt_long just returned, as "--name" in `buf` (index: its
 * longindex, -1 when none): argv[optind - 1] is the option's value, not its
 * name, when the value came as a separate word ("--candidates 0"). */
struct option;
const char *cli_option_name(const struct option *options, int index, char **argv, char *buf,
                            size_t size);

/* Text that came from logs, for a terminal: control bytes (ESC, CR, a
 * newline, DEL) as \xHH, so a run key cannot move the cursor, clear the
 * screen or forge an output line. Truncated to size; returns buf. */
const char *cli_printable(const char *text, char *buf, size_t size);

/* Print "exhaust CMD: message" to stderr (control bytes escaped). */
void cli_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a usage error with a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The store path: --store, else $EXHAUST_STORE, else exhaust.db. */
const char *cli_default_store(void);
/* Open an existing store for reading only (store_open_readonly: nothing is
 * written, not even the journal mode); a missing file is an error (reading
 * commands must not create an empty store by accident). */
int cli_open_existing_store(const char *command, const char *path, exh_store **out);

/* The edit-distance penalties a command compares with: the JSON table of
 * `file` (exhaust fit-penalties writes one), else the defaults of the space
 * named; then a given same_stride_indel (>= 0 or infinity; NaN: not given)
 * replaces the convchain table's, which makes chains of different depths
 * comparable. Says why not and returns CLI_FAILED or CLI_USAGE. */
int cli_penalties(const char *command, const char *space_name, const char *file,
                  double same_stride_indel, exh_penalty_table *out);
/* "--same-stride-indel X": a number >= 0 or "inf"; CLI_USAGE otherwise. */
int cli_parse_indel(const char *command, const char *text, double *out);
/* "--lstm-variant V": default or paper (enum exh_lstm_variant); CLI_USAGE otherwise. */
int cli_parse_lstm_variant(const char *command, const char *text, int *out);

/* Integer options, all through one checked parser: decimal digits with an
 * optional sign and nothing else ("2.5", "3e10", "12x", " 7" and "" are
 * refused, not cut short), within [low, high]. A refusal says "OPTION needs
 * an integer from LOW to HIGH, not 'TEXT'" and returns CLI_USAGE. */
int cli_parse_integer(const char *command, const char *option, const char *text, long long low,
                      long long high, long long *out);
/* The same, for an int. */
int cli_parse_int(const char *command, const char *option, const char *text, int low, int high,
                  int *out);
/* The same, for a seed: any integer from 0 to 2^64 - 1. */
int cli_parse_seed(const char *command, const char *option, const char *text, uint64_t *out);

/* The progress line of a long command (util/progress.h) on stderr, silent
 * with --quiet: redrawn on a terminal, else a plain line every few seconds
 * ($EXHAUST_PROGRESS_INTERVAL seconds when set: tests make it 0). End it
 * with progress_finish before printing results. */
void cli_progress_start(progress_printer *p, const char *command, int quiet);

/* mkdir path (an existing folder is fine); says why not and returns
 * CLI_FAILED when it cannot. */
int cli_make_directory(const char *command, const char *path);

/* Output formats for listing commands. */
typedef enum { OUTPUT_TABLE, OUTPUT_CSV, OUTPUT_JSON } output_format;
int cli_parse_format(const char *command, const char *text, output_format *out);
/* The options of commands that take only --store and --format; positional
 * arguments start at optind afterwards. Returns CLI_OK or CLI_USAGE. */
int cli_parse_store_and_format(const char *command, int argc, char **argv,
                               const char **store_path, output_format *format);

/*
 * A table being written: columns first, then rows of cells. Cells are text,
 * numbers (NaN = missing) or missing. Table output is buffered to align
 * columns; CSV streams; JSON writes an array of objects (numbers as numbers,
 * missing as null).
 */
typedef struct output_table output_table;
output_table *output_begin(FILE *stream, output_format format, int column_count,
                           const char *const *column_names);
void output_text(output_table *t, const char *text);      /* NULL = missing */
void output_number(output_table *t, double value);        /* NAN = missing */
void output_integer(output_table *t, long long value);
void output_end_row(output_table *t);
void output_end(output_table *t); /* flushes and frees */

/*
 * Predicted curves beside their neighbours' (cli_curves.c): rows on stdout
 * (with `rows`, in `format`: arch, series, model, distance, weight, epoch,
 * validation, train) and, with out_dir, DIR/curves.csv and a page
 * DIR/index.html with a chart and a neighbour table per architecture.
 * Close with failed = 1 to drop the page after an error.
 */
typedef struct curve_output curve_output;
int curve_output_open(const char *command, output_format format, int rows, const char *out_dir,
                      curve_output **out);
int curve_output_add(curve_output *c, const char *arch, const exh_knn_repository *r,
                     const exh_knn_prediction *p, int higher, exh_error *err);
int curve_output_close(const char *command, curve_output *c, int failed);

/* exhaust search --repo (cli_search_repo.c): open or create the repository
 * and hand its folder to the command evaluator ({repo}); print its stats. */
struct exh_evaluator;
struct exh_search_result;
struct exh_search_options;
/* Parse --repo (c 'G'), --repo-fast-dir ('H'), --repo-cache-bytes ('I'),
 * --repo-cache-policy ('J'), --repo-cache-window, -donations, -epsilon
 * (CLI_REPO_*), --repo-keep (else); CLI_OK or a usage error. */
enum { CLI_REPO_WINDOW = 1001, CLI_REPO_DONATIONS, CLI_REPO_EPSILON };
int cli_search_repo_option(int c, const char *name, const char *value,
                           struct exh_search_options *o, int *keep_population);
int cli_search_repo_open(const char *repo, const char *fast_dir, struct exh_evaluator *e,
                         exh_error *err);
void cli_search_repo_report(const char *repo, const struct exh_search_result *result);
/* The live fast tier's settings into the trace's sidecar ("repo_cache"). */
struct exh_trace_settings;
void cli_search_repo_settings(const struct exh_search_options *o, struct exh_trace_settings *t);
/* --repo-keep population, when the search ended: gc all but the last
 * `population` successful models of the trace. */
int cli_search_repo_keep_population(const char *repo, const char *trace, int population,
                                    exh_error *err);

#endif
