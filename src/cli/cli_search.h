/* cli_search.h — what exhaust search's option parsing (cli_search.c) and its
 * trace settings (cli_search_settings.c: the sidecar written, and --resume
 * checked against it) share. Internal to the command-line tool. */
#ifndef EXHAUST_CLI_SEARCH_H
#define EXHAUST_CLI_SEARCH_H

#include <stddef.h>

#include "exhaust/search.h"
#include "exhaust/trace.h"

/* Options the user gave (not defaults): a resume checks these against the
 * trace's sidecar and takes the others from it. */
enum {
    GIVEN_POPULATION = 1 << 0, GIVEN_SAMPLE = 1 << 1, GIVEN_SEED = 1 << 2,
    GIVEN_SPACE = 1 << 3, GIVEN_EVALUATOR = 1 << 4, GIVEN_DATASET = 1 << 5,
    GIVEN_CANDIDATES = 1 << 6, GIVEN_WORKERS = 1 << 7, GIVEN_CLOCK = 1 << 8,
    GIVEN_TRANSFER = 1 << 9, GIVEN_EXPONENT = 1 << 10, GIVEN_MUTATE_AFTER = 1 << 11,
    GIVEN_SCREEN = 1 << 12, GIVEN_K = 1 << 13,
};

typedef struct search_cli_options {
    exh_search_options search;
    const char *space, *evaluator, *table, *dataset, *trace, *command, *resume;
    const char *store, *search_name, *logs;
    int k;
    double timeout;
    int simulated, mpi, no_fsync, quiet, keep_population;
    unsigned given;            /* GIVEN_* */
} search_cli_options;

/* --transfer-from WORD (or a trace's recorded one): 0, or -1 for another word. */
int cli_search_set_transfer(search_cli_options *o, const char *word);

/* The one-line description of the search that the store's run records. */
void cli_search_describe(const search_cli_options *o, char *parameters, size_t size);

/* The settings the trace's sidecar records for these options. */
void cli_search_fill_settings(const search_cli_options *o, exh_trace_settings *t);

/* --resume: options given must match the trace's settings; the others are
 * taken from them (CLI_OK, or a CLI_* failure already printed). `recorded`
 * keeps the strings o points into; *found says whether settings were read. */
int cli_search_adopt_settings(search_cli_options *o, exh_trace_settings *recorded, int *found);

#endif
