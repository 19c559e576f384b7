/* ingest_nlp.c — NAS-Bench-NLP: runs.csv (one row per run, the cell as a
 * recipe JSON) with epochs.csv beside it (one row per run x epoch).
 *
 * A run: key nlp/RECIPE_ID/EXPERIMENT_ID, space "graph" (the recipe is
 * canonicalized by the graph space in the store's sink), dataset
 * "wikitext-2", status "ok" for OK and "failed: <status>" otherwise (e.g.
 * "failed: loss is nan!"), hyperparameters lr, batch_size, emsize, nhid,
 * nlayers, num_params, epochs_logged, total_wall_time_s, init_time,
 * recipe_id, experiment_id (as the file writes them). Epochs (already
 * 1-based): train_loss, val_loss, test_loss, and epoch_seconds =
 * epoch_wall_time_s, the measured wall time of that epoch.
 *
 * Bad records: a malformed row of either file, a run whose epochs_logged is
 * not the number of its (good) rows in epochs.csv (the run is skipped: its
 * curve is not the one its summary describes), a run listed twice, an epoch
 * listed twice (the later row is dropped), and rows of epochs.csv for runs
 * that runs.csv lacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/ingest_internal.h"
#include "util/csv.h"
#include "util/file.h"

#define MAX_EPOCH 100000

typedef struct nlp_epoch {
    long long recipe, experiment;
    exh_epoch_record row;
    long line;
    long taken_by;  /* line in runs.csv of the run that took it; 0 if none */
    int duplicate;  /* a second row for the same epoch: reported, never taken */
} nlp_epoch;

typedef struct nlp_epochs {
    const char *path;
    nlp_epoch *rows;
    size_t count, capacity;
} nlp_epochs;

enum { E_RECIPE, E_EXPERIMENT, E_EPOCH, E_TRAIN_LOSS, E_VAL_LOSS, E_TEST_LOSS, E_TIME, E_COUNT };
static const char *const EPOCH_COLUMNS[E_COUNT] = {
    "recipe_id", "experiment_id", "epoch", "train_loss", "val_loss", "test_loss",
    "epoch_wall_time_s",
};

static int compare_epochs(const void *a, const void *b)
{
    const nlp_epoch *x = a, *y = b;
    if (x->recipe != y->recipe)
        return x->recipe < y->recipe ? -1 : 1;
    if (x->experiment != y->experiment)
        return x->experiment < y->experiment ? -1 : 1;
    if (x->row.epoch != y->row.epoch)
        return x->row.epoch < y->row.epoch ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Parse one row of epochs.csv; on a fault write why and return -1. */
static int parse_epoch_row(const csv_reader *reader, const int *c, nlp_epoch *out, char *why,
                           size_t why_size)
{
    long long epoch;
    double *metrics[4] = {&out->row.train_loss, &out->row.val_loss, &out->row.test_loss,
                          &out->row.epoch_seconds};
    out->row = exh_epoch_record_empty(0);
    int bad = -1;
    if (csv_parse_long(reader->fields[c[E_RECIPE]], &out->recipe) < 0)
        bad = E_RECIPE;
    else if (csv_parse_long(reader->fields[c[E_EXPERIMENT]], &out->experiment) < 0)
        bad = E_EXPERIMENT;
    else if (csv_parse_long(reader->fields[c[E_EPOCH]], &epoch) < 0 || epoch < 1 ||
             epoch > MAX_EPOCH)
        bad = E_EPOCH;
    for (int i = 0; bad < 0 && i < 4; i++)
        if (csv_parse_double(reader->fields[c[E_TRAIN_LOSS + i]], metrics[i]) < 0)
            bad = E_TRAIN_LOSS + i;
    if (bad >= 0) {
        snprintf(why, why_size, "column %s: '%.40s' is not %s", EPOCH_COLUMNS[bad],
                 reader->fields[c[bad]], bad == E_EPOCH ? "an epoch (1, 2, ...)"
                                         : bad < E_EPOCH ? "an integer" : "a number");
        return -1;
    }
    out->row.epoch = (int)epoch;
    out->line = reader->line;
    out->taken_by = 0;
    out->duplicate = 0;
    return 0;
}

static int header_columns(const csv_reader *reader, const char *const *names, int count,
                          int *columns, int *widest, const char *path, exh_error *err)
{
    *widest = 0;
    for (int i = 0; i < count; i++) {
        if ((columns[i] = csv_column(reader, names[i])) < 0)
            return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: no column '%s'", path,
                                 reader->line, names[i]);
        if (columns[i] > *widest)
            *widest = columns[i];
    }
    return EXH_OK;
}

static int add_epoch_row(nlp_epochs *epochs, const csv_reader *reader, const int *c, int widest,
                         exh_ingest_parser_context *context, exh_error *err)
{
    char why[256];
    if (epochs->count == epochs->capacity) {
        size_t capacity = epochs->capacity ? epochs->capacity * 2 : 1024;
        nlp_epoch *grown = realloc(epochs->rows, sizeof *grown * capacity);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        epochs->rows = grown;
        epochs->capacity = capacity;
    }
    if (reader->field_count <= widest)
        snprintf(why, sizeof why, "%d columns, the header has at least %d", reader->field_count,
                 widest + 1);
    else if (parse_epoch_row(reader, c, &epochs->rows[epochs->count], why, sizeof why) == 0) {
        epochs->count++;
        return EXH_OK;
    }
    return exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "%s: line %ld: %s (row skipped)",
                                 epochs->path, reader->line, why);
}

/* Mark every later row of one epoch of one run (sorted by line, so the
 * first row of a group is the earliest and the one kept). */
static int mark_duplicates(nlp_epochs *epochs, exh_ingest_parser_context *context, exh_error *err)
{
    int rc = 0;
    for (size_t i = 1, first = 0; rc == 0 && i < epochs->count; i++) {
        nlp_epoch *e = &epochs->rows[i], *kept = &epochs->rows[first];
        if (e->recipe != kept->recipe || e->experiment != kept->experiment ||
            e->row.epoch != kept->row.epoch) {
            first = i;
            continue;
        }
        e->duplicate = 1;
        rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   "%s: line %ld: epoch %d of run %lld/%lld again (first on line "
                                   "%ld; row skipped)",
                                   epochs->path, e->line, e->row.epoch, e->recipe, e->experiment,
                                   kept->line);
    }
    return rc;
}

/* Read all of epochs.csv, sorted by (recipe, experiment, epoch, line). */
static int read_epochs(const char *data, size_t size, nlp_epochs *epochs,
                       exh_ingest_parser_context *context, exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    int c[E_COUNT], widest = 0;
    int rc = csv_next(&reader, err);
    if (rc <= 0)
        rc = rc < 0 ? exh_error_prefix(err, "%s", epochs->path)
                    : exh_error_set(err, EXH_ERR_PARSE, "%s: empty file", epochs->path);
    else
        rc = header_columns(&reader, EPOCH_COLUMNS, E_COUNT, c, &widest, epochs->path, err);
    while (rc == 0 && (rc = ingest_csv_next(&reader, epochs->path, context, err)) > 0)
        rc = add_epoch_row(epochs, &reader, c, widest, context, err);
    csv_close(&reader);
    if (rc < 0)
        return rc;
    if (epochs->count > 1) /* rows is NULL for a header-only file: qsort(NULL) is UB */
        qsort(epochs->rows, epochs->count, sizeof *epochs->rows, compare_epochs);
    return mark_duplicates(epochs, context, err);
}

/* The first row of run (recipe, experiment), or NULL. */
static nlp_epoch *first_epoch(const nlp_epochs *epochs, long long recipe, long long experiment)
{
    size_t low = 0, high = epochs->count;
    nlp_epoch key = {.recipe = recipe, .experiment = experiment, .row = {.epoch = -1}};
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (compare_epochs(&epochs->rows[middle], &key) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == epochs->count)
        return NULL;
    nlp_epoch *e = &epochs->rows[low];
    return e->recipe == recipe && e->experiment == experiment ? e : NULL;
}

enum { R_RECIPE, R_EXPERIMENT, R_STATUS, R_JSON, R_LOGGED, R_INIT, R_PARAMS, R_WALL, R_LR,
       R_BATCH, R_EMSIZE, R_NHID, R_NLAYERS, R_COUNT };
static const char *const RUN_COLUMNS[R_COUNT] = {
    "recipe_id", "experiment_id", "status", "recipe_json", "epochs_logged", "init_time",
    "num_params", "total_wall_time_s", "lr", "batch_size", "emsize", "nhid", "nlayers",
};

/* The identity of a runs.csv row, checked; on a fault write why and return -1. */
static int run_identity(const csv_reader *reader, const int *c, long long *recipe,
                        long long *experiment, long long *logged, char *why, size_t why_size)
{
    static const int numbers[] = {R_PARAMS, R_WALL, R_LR, R_BATCH, R_EMSIZE, R_NHID, R_NLAYERS};
    int bad = -1;
    double number;
    if (csv_parse_long(reader->fields[c[R_RECIPE]], recipe) < 0)
        bad = R_RECIPE;
    else if (csv_parse_long(reader->fields[c[R_EXPERIMENT]], experiment) < 0)
        bad = R_EXPERIMENT;
    else if (csv_parse_long(reader->fields[c[R_LOGGED]], logged) < 0 || *logged < 0 ||
             *logged > MAX_EPOCH)
        bad = R_LOGGED;
    for (size_t i = 0; bad < 0 && i < sizeof numbers / sizeof numbers[0]; i++)
        if (csv_parse_double(reader->fields[c[numbers[i]]], &number) < 0)
            bad = numbers[i];
    if (bad >= 0) {
        snprintf(why, why_size, "column %s: '%.40s' is not %s", RUN_COLUMNS[bad],
                 reader->fields[c[bad]],
                 bad == R_RECIPE || bad == R_EXPERIMENT ? "an integer"
                 : bad == R_LOGGED                      ? "a number of epochs"
                                                        : "a number");
        return -1;
    }
    if (!reader->fields[c[R_STATUS]][0]) {
        snprintf(why, why_size, "column status is empty");
        return -1;
    }
    return 0;
}

static int describe_run(const csv_reader *reader, const int *c, long long recipe,
                        long long experiment, const char *path, exh_run *r)
{
    char key[128], source[1024], status[256];
    snprintf(key, sizeof key, "nlp/%lld/%lld", recipe, experiment);
    snprintf(source, sizeof source, "%s:%ld", path, reader->line);
    const char *logged_status = reader->fields[c[R_STATUS]];
    if (strcmp(logged_status, "OK") == 0)
        snprintf(status, sizeof status, "%s", EXH_RUN_STATUS_OK);
    else
        snprintf(status, sizeof status, "failed: %.200s", logged_status);
    int rc = exh_run_set(&r->key, key) | exh_run_set(&r->space, "graph") |
             exh_run_set(&r->arch, reader->fields[c[R_JSON]]) | exh_run_set(&r->dataset, "wikitext-2") |
             exh_run_set(&r->status, status) | exh_run_set(&r->source, source);
    static const int params[] = {R_LR,      R_BATCH,  R_EMSIZE, R_NHID,   R_NLAYERS, R_PARAMS,
                                 R_LOGGED,  R_WALL,   R_INIT,   R_RECIPE, R_EXPERIMENT};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        rc |= exh_run_add_param(r, RUN_COLUMNS[params[i]], reader->fields[c[params[i]]]);
    return rc ? EXH_ERR_NOMEM : EXH_OK;
}

/* Attach the run's epochs; returns how many, or < 0 (EXH_ERR_NOMEM). *taken_by
 * is the runs.csv line that took them before, when the run is listed twice. */
static int attach_epochs(nlp_epochs *epochs, long long recipe, long long experiment, long line,
                         exh_run *r, long *taken_by)
{
    int count = 0;
    nlp_epoch *e = first_epoch(epochs, recipe, experiment);
    *taken_by = e ? e->taken_by : 0;
    for (; e && e < epochs->rows + epochs->count && e->recipe == recipe &&
           e->experiment == experiment;
         e++) {
        if (e->duplicate || e->taken_by)
            continue;
        e->taken_by = line;
        if (exh_run_add_epoch(r, &e->row) < 0)
            return EXH_ERR_NOMEM;
        count++;
    }
    return count;
}

/* Build one run from its row and epochs and hand it on. */
static int parse_run_row(const csv_reader *reader, const int *c, int widest, nlp_epochs *epochs,
                         exh_ingest_parser_context *context, exh_error *err)
{
    char why[256];
    long long recipe, experiment, logged;
    if (reader->field_count <= widest)
        return exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                     "line %ld: %d columns, the header has at least %d (row skipped)",
                                     reader->line, reader->field_count, widest + 1);
    if (run_identity(reader, c, &recipe, &experiment, &logged, why, sizeof why) < 0)
        return exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: %s (row skipped)",
                                     reader->line, why);
    exh_run r;
    exh_run_init(&r);
    long taken_by = 0;
    int rc = describe_run(reader, c, recipe, experiment, context->path, &r);
    int count = rc < 0 ? rc : attach_epochs(epochs, recipe, experiment, reader->line, &r, &taken_by);
    if (count < 0)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    else if (taken_by)
        rc = exh_ingest_bad_record(context, err, EXH_ERR_INVALID,
                                   "line %ld: run %lld/%lld again (first on line %ld; row skipped)",
                                   reader->line, recipe, experiment, taken_by);
    else if (count != logged)
        rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   "line %ld: column epochs_logged says %lld, but %s has %d good rows "
                                   "for run %lld/%lld (run skipped)",
                                   reader->line, logged, epochs->path, count, recipe, experiment);
    else
        rc = context->sink(&r, context->sink_context, err);
    exh_run_clear(&r);
    return rc;
}

static int parse_runs(const char *data, size_t size, nlp_epochs *epochs,
                      exh_ingest_parser_context *context, exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    int c[R_COUNT], widest = 0;
    int rc = csv_next(&reader, err);
    if (rc <= 0)
        rc = rc < 0 ? exh_error_prefix(err, "%s", context->path)
                    : exh_error_set(err, EXH_ERR_PARSE, "%s: empty file", context->path);
    else
        rc = header_columns(&reader, RUN_COLUMNS, R_COUNT, c, &widest, context->path, err);
    while (rc == 0 && (rc = ingest_csv_next(&reader, context->path, context, err)) > 0)
        rc = parse_run_row(&reader, c, widest, epochs, context, err);
    csv_close(&reader);
    return rc < 0 ? rc : EXH_OK;
}

int ingest_nlp_parse_buffers(const char *runs, size_t runs_size, const char *epochs_data,
                             size_t epochs_size, const char *epochs_path,
                             exh_ingest_parser_context *context, exh_error *err)
{
    nlp_epochs epochs = {.path = epochs_path};
    int rc = read_epochs(epochs_data, epochs_size, &epochs, context, err);
    if (rc == 0)
        rc = parse_runs(runs, runs_size, &epochs, context, err);
    for (size_t i = 0; rc == 0 && i < epochs.count; i++)
        if (!epochs.rows[i].taken_by && !epochs.rows[i].duplicate)
            rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                       "%s: line %ld: epoch of run %lld/%lld, which runs.csv lacks "
                                       "(row skipped)",
                                       epochs_path, epochs.rows[i].line, epochs.rows[i].recipe,
                                       epochs.rows[i].experiment);
    free(epochs.rows);
    return rc;
}

int ingest_parse_nlp(const char *data, size_t size, exh_ingest_parser_context *context,
                     exh_error *err)
{
    char folder[3072], epochs_path[4096];
    if (file_directory(context->path, folder, sizeof folder) < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: path too long", context->path);
    snprintf(epochs_path, sizeof epochs_path, "%s/epochs.csv", folder);
    char *epochs;
    size_t epochs_size;
    int rc = file_read_all(epochs_path, &epochs, &epochs_size, err);
    if (rc < 0)
        return exh_error_prefix(err, "%s needs epochs.csv beside it", context->path);
    rc = ingest_nlp_parse_buffers(data, size, epochs, epochs_size, epochs_path, context, err);
    free(epochs);
    return rc;
}
