/* ingest_keras.c — Keras CSVLogger files: one run per file.
 *
 *   epoch,accuracy,loss,val_accuracy,val_loss
 *   0,0.8123,0.61,0.9012,0.33
 *
 * Keras counts epochs from 0 and accuracies as fractions; exhaust stores
 * epoch + 1 and accuracies in percent (x100), so every format agrees. Columns
 * read: accuracy|acc, loss, val_accuracy|val_acc, val_loss, test_accuracy,
 * test_loss, epoch_seconds|time; others (lr, custom metrics) are ignored.
 *
 * What was trained comes from a sidecar JSON file beside the log, FILE.json
 * or FILE.meta.json ({"key", "space", "arch", "dataset", "seed", "params"}),
 * and then from the command line (--space, --arch, --dataset, --run-key) for
 * what the sidecar does not say. The key defaults to the file's path.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "logs/epoch_index.h"
#include "logs/ingest_internal.h"
#include "util/csv.h"

typedef struct keras_column {
    const char *names[3]; /* accepted header names */
    const char *metric;
    double scale;
} keras_column;

static const keras_column KERAS_COLUMNS[] = {
    {{"accuracy", "acc", NULL}, "train_accuracy", 100.0},
    {{"loss", NULL, NULL}, "train_loss", 1.0},
    {{"val_accuracy", "val_acc", NULL}, "val_accuracy", 100.0},
    {{"val_loss", NULL, NULL}, "val_loss", 1.0},
    {{"test_accuracy", "test_acc", NULL}, "test_accuracy", 100.0},
    {{"test_loss", NULL, NULL}, "test_loss", 1.0},
    {{"epoch_seconds", "time", NULL}, "epoch_seconds", 1.0},
};
#define KERAS_COLUMN_COUNT (int)(sizeof KERAS_COLUMNS / sizeof KERAS_COLUMNS[0])

static int set_if_missing(char **field, const char *value)
{
    return !*field && value ? exh_run_set(field, value) : 0;
}

/* Read FILE.json or FILE.meta.json into r, if one exists. */
static int read_sidecar(const char *path, exh_run *r, char *why, size_t size)
{
    const char *suffixes[] = {".json", ".meta.json"};
    for (int i = 0; i < 2; i++) {
        char sidecar[4096];
        struct stat st;
        snprintf(sidecar, sizeof sidecar, "%s%s", path, suffixes[i]);
        if (stat(sidecar, &st) != 0)
            continue;
        json_error_t json_error;
        json_t *root = json_load_file(sidecar, JSON_REJECT_DUPLICATES, &json_error);
        if (!json_is_object(root)) {
            snprintf(why, size, "sidecar %.300s: line %d: %s", sidecar, json_error.line,
                     root ? "must hold a JSON object" : json_error.text);
            json_decref(root);
            return -1;
        }
        const char *names[] = {"key", "space", "arch", "dataset"};
        char **fields[] = {&r->key, &r->space, &r->arch, &r->dataset};
        for (int k = 0; k < 4; k++)
            set_if_missing(fields[k], json_string_value(json_object_get(root, names[k])));
        json_t *seed = json_object_get(root, "seed");
        if (json_is_integer(seed)) {
            r->has_seed = 1;
            r->seed = json_integer_value(seed);
        }
        const char *name;
        json_t *value;
        json_object_foreach(json_object_get(root, "params"), name, value)
            if (json_is_string(value))
                exh_run_add_param(r, name, json_string_value(value));
        json_decref(root);
        return 0;
    }
    return 0;
}

static int describe_run(exh_ingest_parser_context *context, exh_run *r, char *why, size_t size)
{
    if (read_sidecar(context->path, r, why, size) < 0)
        return -1;
    const exh_ingest_options *o = context->options;
    int rc = set_if_missing(&r->key, o ? o->run_key : NULL) |
             set_if_missing(&r->key, context->path) |
             set_if_missing(&r->space, o ? o->space : NULL) |
             set_if_missing(&r->arch, o ? o->arch : NULL) |
             set_if_missing(&r->dataset, o ? o->dataset : NULL) |
             exh_run_set(&r->source, context->path);
    if (rc)
        snprintf(why, size, "out of memory");
    return rc ? -1 : 0;
}

static void find_columns(const csv_reader *reader, int *columns)
{
    for (int c = 0; c < KERAS_COLUMN_COUNT; c++) {
        columns[c] = -1;
        for (int n = 0; n < 3 && KERAS_COLUMNS[c].names[n] && columns[c] < 0; n++)
            columns[c] = csv_column(reader, KERAS_COLUMNS[c].names[n]);
    }
}

static int read_row(const csv_reader *reader, int epoch_column, const int *columns, exh_run *r,
                    epoch_index *seen, char *why, size_t size)
{
    long long epoch;
    if (epoch_column >= reader->field_count ||
        csv_parse_long(reader->fields[epoch_column], &epoch) < 0 || epoch < 0 ||
        epoch >= 1000000) {
        snprintf(why, size, "line %ld: epoch is not a non-negative integer", reader->line);
        return -1;
    }
    exh_epoch_record row = exh_epoch_record_empty((int)epoch + 1);
    for (int c = 0; c < KERAS_COLUMN_COUNT; c++) {
        if (columns[c] < 0)
            continue;
        double *value = exh_epoch_metric(&row, KERAS_COLUMNS[c].metric);
        const char *text = columns[c] < reader->field_count ? reader->fields[columns[c]] : "";
        if (csv_parse_double(text, value) < 0) {
            snprintf(why, size, "line %ld: %s '%.40s' is not a number", reader->line,
                     KERAS_COLUMNS[c].names[0], text);
            return -1;
        }
        *value *= KERAS_COLUMNS[c].scale;
    }
    long earlier = epoch_index_find(seen, r, row.epoch);
    if (earlier >= 0) {
        snprintf(why, size, "line %ld: epoch %lld appears twice", reader->line, epoch);
        return -1;
    }
    return earlier < -1 || exh_run_add_epoch(r, &row) < 0 ? -1 : 0;
}

int ingest_parse_keras_csv(const char *data, size_t size, exh_ingest_parser_context *context,
                           exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    exh_error csv_err;
    int rc = csv_next(&reader, &csv_err);
    int epoch_column = rc > 0 ? csv_column(&reader, "epoch") : -1;
    if (epoch_column < 0) {
        csv_close(&reader);
        return exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                     "line 1: a Keras CSVLogger header starts with 'epoch'");
    }
    int columns[KERAS_COLUMN_COUNT];
    find_columns(&reader, columns);
    exh_run r;
    exh_run_init(&r);
    char why[512] = "";
    epoch_index seen = EPOCH_INDEX_INIT;
    rc = describe_run(context, &r, why, sizeof why);
    while (rc == 0 && (rc = csv_next(&reader, &csv_err)) > 0)
        rc = read_row(&reader, epoch_column, columns, &r, &seen, why, sizeof why) < 0 ? -1 : 0;
    epoch_index_reset(&seen);
    if (rc < 0 && why[0] == '\0')
        snprintf(why, sizeof why, "%s", csv_err.message);
    csv_close(&reader);
    if (rc < 0) {
        rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "%s (run skipped)", why);
        exh_run_clear(&r);
        return rc;
    }
    rc = context->sink(&r, context->sink_context, err);
    exh_run_clear(&r);
    return rc;
}
