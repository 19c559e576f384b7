/* ingest_nlp.c — NAS-Bench-NLP: runs.csv (one row per run, the cell as a
 * recipe JSON) with epochs.csv beside it (one row per run x epoch).
 *
 * A run: key nlp/RECIPE_ID/EXPERIMENT_ID, space "graph" (the recipe is
 * canonicalized by the graph space at ingest), dataset "wikitext-2", status
 * "ok" for OK and "failed: <status>" otherwise (e.g. "failed: loss is nan!"),
 * hyperparameters lr, batch_size, emsize, nhid, nlayers, num_params,
 * epochs_logged, total_wall_time_s, init_time, recipe_id, experiment_id.
 * Epochs (already 1-based): train_loss, val_loss, test_loss, and
 * epoch_seconds = epoch_wall_time_s, the measured wall time of that epoch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/ingest_internal.h"
#include "util/csv.h"
#include "util/file.h"

typedef struct nlp_epoch {
    long long recipe, experiment;
    epoch_record row;
    long line;
    int used;
} nlp_epoch;

typedef struct nlp_epochs {
    nlp_epoch *rows;
    size_t count;
} nlp_epochs;

static int compare_epochs(const void *a, const void *b)
{
    const nlp_epoch *x = a, *y = b;
    if (x->recipe != y->recipe)
        return x->recipe < y->recipe ? -1 : 1;
    if (x->experiment != y->experiment)
        return x->experiment < y->experiment ? -1 : 1;
    return (x->row.epoch > y->row.epoch) - (x->row.epoch < y->row.epoch);
}

static int parse_epoch_row(const csv_reader *reader, const int *c, nlp_epoch *out)
{
    long long epoch;
    for (int i = 0; i < 7; i++)
        if (c[i] >= reader->field_count)
            return -1;
    out->row = epoch_record_empty(0);
    if (csv_parse_long(reader->fields[c[0]], &out->recipe) < 0 ||
        csv_parse_long(reader->fields[c[1]], &out->experiment) < 0 ||
        csv_parse_long(reader->fields[c[2]], &epoch) < 0 || epoch < 0 || epoch > 100000 ||
        csv_parse_double(reader->fields[c[3]], &out->row.train_loss) < 0 ||
        csv_parse_double(reader->fields[c[4]], &out->row.val_loss) < 0 ||
        csv_parse_double(reader->fields[c[5]], &out->row.test_loss) < 0 ||
        csv_parse_double(reader->fields[c[6]], &out->row.epoch_seconds) < 0)
        return -1;
    out->row.epoch = (int)epoch;
    out->line = reader->line;
    out->used = 0;
    return 0;
}

/* Read all of epochs.csv, sorted by (recipe, experiment, epoch). */
static int read_epochs(const char *data, size_t size, const char *path, nlp_epochs *out,
                       ingest_parser_context *context, exh_error *err)
{
    static const char *const names[7] = {"recipe_id", "experiment_id", "epoch", "train_loss",
                                         "val_loss", "test_loss", "epoch_wall_time_s"};
    csv_reader reader;
    csv_open(&reader, data, size);
    int c[7], rc = csv_next(&reader, err) > 0 ? 0 : error_set(err, EXH_ERR_PARSE,
                                                              "%s: no header", path);
    for (int i = 0; rc == 0 && i < 7; i++)
        if ((c[i] = csv_column(&reader, names[i])) < 0)
            rc = error_set(err, EXH_ERR_PARSE, "%s: line 1: no column '%s'", path, names[i]);
    size_t capacity = 0;
    while (rc == 0 && (rc = csv_next(&reader, err)) > 0) {
        rc = 0;
        if (out->count == capacity) {
            capacity = capacity ? capacity * 2 : 1024;
            nlp_epoch *grown = realloc(out->rows, sizeof *grown * capacity);
            if (!grown) {
                rc = error_set(err, EXH_ERR_NOMEM, "out of memory");
                break;
            }
            out->rows = grown;
        }
        if (parse_epoch_row(&reader, c, &out->rows[out->count]) == 0)
            out->count++;
        else
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   "%s: line %ld: malformed epoch row", path, reader.line);
    }
    if (rc < 0 && err && !strstr(err->message, path))
        error_prefix(err, "%s", path);
    csv_close(&reader);
    qsort(out->rows, out->count, sizeof *out->rows, compare_epochs);
    return rc < 0 ? rc : EXH_OK;
}

static const nlp_epoch *first_epoch(const nlp_epochs *epochs, long long recipe,
                                    long long experiment)
{
    size_t low = 0, high = epochs->count;
    nlp_epoch key = {.recipe = recipe, .experiment = experiment, .row = {.epoch = -1}};
    while (low < high) { /* the first row not before (recipe, experiment, -1) */
        size_t middle = (low + high) / 2;
        if (compare_epochs(&epochs->rows[middle], &key) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low < epochs->count && epochs->rows[low].recipe == recipe &&
                   epochs->rows[low].experiment == experiment
               ? &epochs->rows[low]
               : NULL;
}

enum { R_RECIPE, R_EXPERIMENT, R_STATUS, R_JSON, R_LOGGED, R_INIT, R_PARAMS, R_WALL, R_LR,
       R_BATCH, R_EMSIZE, R_NHID, R_NLAYERS, R_COUNT };
static const char *const RUN_COLUMNS[R_COUNT] = {
    "recipe_id",         "experiment_id", "status", "recipe_json", "epochs_logged",
    "init_time",         "num_params",    "total_wall_time_s",     "lr",
    "batch_size",        "emsize",        "nhid",   "nlayers",
};

static int describe_run(const csv_reader *reader, const int *c, const char *path, run *r)
{
    char key[128], source[1024], status[256];
    snprintf(key, sizeof key, "nlp/%.40s/%.40s", reader->fields[c[R_RECIPE]],
             reader->fields[c[R_EXPERIMENT]]);
    snprintf(source, sizeof source, "%s:%ld", path, reader->line);
    const char *logged_status = reader->fields[c[R_STATUS]];
    if (strcmp(logged_status, "OK") == 0)
        snprintf(status, sizeof status, "%s", RUN_STATUS_OK);
    else
        snprintf(status, sizeof status, "failed: %.200s", logged_status);
    int rc = run_set(&r->key, key) | run_set(&r->space, "graph") |
             run_set(&r->arch, reader->fields[c[R_JSON]]) | run_set(&r->dataset, "wikitext-2") |
             run_set(&r->status, status) | run_set(&r->source, source);
    const int params[] = {R_LR, R_BATCH, R_EMSIZE, R_NHID, R_NLAYERS, R_PARAMS, R_LOGGED, R_WALL,
                          R_INIT, R_RECIPE, R_EXPERIMENT};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        rc |= run_add_param(r, RUN_COLUMNS[params[i]], reader->fields[c[params[i]]]);
    return rc;
}

/* Attach the run's epochs; returns how many, or -1 when ids are not numbers. */
static int attach_epochs(const csv_reader *reader, const int *c, nlp_epochs *epochs, run *r)
{
    long long recipe, experiment;
    if (csv_parse_long(reader->fields[c[R_RECIPE]], &recipe) < 0 ||
        csv_parse_long(reader->fields[c[R_EXPERIMENT]], &experiment) < 0)
        return -1;
    int count = 0;
    nlp_epoch *e = (nlp_epoch *)first_epoch(epochs, recipe, experiment);
    for (; e && e < epochs->rows + epochs->count && e->recipe == recipe &&
           e->experiment == experiment;
         e++) {
        e->used = 1;
        if (run_add_epoch(r, &e->row) < 0)
            return -1;
        count++;
    }
    return count;
}

static int parse_runs(const char *data, size_t size, nlp_epochs *epochs,
                      ingest_parser_context *context, exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    int c[R_COUNT], widest = 0;
    int rc = csv_next(&reader, err) > 0 ? 0 : error_set(err, EXH_ERR_PARSE, "%s: no header",
                                                        context->path);
    for (int i = 0; rc == 0 && i < R_COUNT; i++) {
        if ((c[i] = csv_column(&reader, RUN_COLUMNS[i])) < 0)
            rc = error_set(err, EXH_ERR_PARSE, "%s: line 1: no column '%s'", context->path,
                           RUN_COLUMNS[i]);
        widest = c[i] > widest ? c[i] : widest;
    }
    while (rc == 0) {
        exh_error csv_err;
        rc = csv_next(&reader, &csv_err);
        if (rc <= 0) {
            if (rc < 0)
                rc = ingest_bad_record(context, err, csv_err.code, "%s", csv_err.message);
            break;
        }
        rc = 0;
        run r;
        run_init(&r);
        long long logged = -1;
        int count = -1;
        if (reader.field_count > widest && describe_run(&reader, c, context->path, &r) == 0)
            count = attach_epochs(&reader, c, epochs, &r);
        if (count >= 0)
            csv_parse_long(reader.fields[c[R_LOGGED]], &logged);
        if (count < 0 || logged != count)
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   count < 0 ? "line %ld: malformed run row"
                                             : "line %ld: epochs_logged says %lld but epochs.csv "
                                               "has %d rows for this run",
                                   reader.line, logged, count);
        else
            rc = context->sink(&r, context->sink_context, err);
        run_clear(&r);
    }
    csv_close(&reader);
    return rc < 0 ? rc : EXH_OK;
}

int ingest_nlp_parse_buffers(const char *runs, size_t runs_size, const char *epochs_data,
                             size_t epochs_size, const char *epochs_path,
                             ingest_parser_context *context, exh_error *err)
{
    nlp_epochs epochs = {0};
    int rc = read_epochs(epochs_data, epochs_size, epochs_path, &epochs, context, err);
    if (rc == 0)
        rc = parse_runs(runs, runs_size, &epochs, context, err);
    for (size_t i = 0; rc == 0 && i < epochs.count; i++)
        if (!epochs.rows[i].used)
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   "%s: line %ld: epoch of run %lld/%lld, which runs.csv lacks",
                                   epochs_path, epochs.rows[i].line, epochs.rows[i].recipe,
                                   epochs.rows[i].experiment);
    free(epochs.rows);
    return rc;
}

int ingest_parse_nlp(const char *data, size_t size, ingest_parser_context *context,
                     exh_error *err)
{
    char folder[3072], epochs_path[4096];
    if (file_directory(context->path, folder, sizeof folder) < 0)
        return error_set(err, EXH_ERR_INVALID, "%s: path too long", context->path);
    snprintf(epochs_path, sizeof epochs_path, "%s/epochs.csv", folder);
    char *epochs;
    size_t epochs_size;
    int rc = file_read_all(epochs_path, &epochs, &epochs_size, err);
    if (rc < 0)
        return error_prefix(err, "%s needs epochs.csv beside it", context->path);
    rc = ingest_nlp_parse_buffers(data, size, epochs, epochs_size, epochs_path, context, err);
    free(epochs);
    return rc;
}
