/* ingest_csv.c — exhaust's own long CSV: one row per run x epoch.
 *
 *   key,space,arch,dataset,seed,status,epoch,val_accuracy,train_loss,param:lr
 *   r1,nb201,302141,cifar10,1,ok,1,50.2,1.9,0.1
 *   r1,nb201,302141,cifar10,1,ok,2,61.0,1.4,0.1
 *
 * Required columns: key (or run) and epoch. Optional: space, arch, dataset,
 * seed, status, the seven metric names of run.h, and param:NAME columns
 * (hyperparameters). Rows of one key are one run; they are normally
 * contiguous, and a key that comes back later is merged into the same run.
 */
#include <stdio.h>
#include <string.h>

#include "logs/epoch_index.h"
#include "logs/ingest_internal.h"
#include "util/csv.h"

enum { COLUMN_KEY, COLUMN_SPACE, COLUMN_ARCH, COLUMN_DATASET, COLUMN_SEED, COLUMN_STATUS,
       COLUMN_EPOCH, IDENTITY_COLUMNS };

typedef struct long_csv_header {
    int identity[IDENTITY_COLUMNS];      /* column index or -1 */
    int metric[EXH_EPOCH_METRIC_COUNT];      /* column index or -1 */
    int param_count;
    int param_column[64];
    char param_name[64][64];
} long_csv_header;

static int read_header(const csv_reader *reader, long_csv_header *h)
{
    static const char *const names[IDENTITY_COLUMNS] = {"key",  "space",  "arch", "dataset",
                                                        "seed", "status", "epoch"};
    for (int i = 0; i < IDENTITY_COLUMNS; i++)
        h->identity[i] = csv_column(reader, names[i]);
    if (h->identity[COLUMN_KEY] < 0)
        h->identity[COLUMN_KEY] = csv_column(reader, "run");
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
        h->metric[m] = csv_column(reader, exh_epoch_metric_names[m]);
    h->param_count = 0;
    for (int i = 0; i < reader->field_count && h->param_count < 64; i++)
        if (strncmp(reader->fields[i], "param:", 6) == 0) {
            h->param_column[h->param_count] = i;
            snprintf(h->param_name[h->param_count++], sizeof h->param_name[0], "%s",
                     reader->fields[i] + 6);
        }
    return h->identity[COLUMN_KEY] >= 0 && h->identity[COLUMN_EPOCH] >= 0 ? 0 : -1;
}

static const char *field(const csv_reader *reader, int column)
{
    return column >= 0 && column < reader->field_count ? reader->fields[column] : "";
}

/* Start a run from the identity columns of the row. */
static int begin_run(const csv_reader *reader, const long_csv_header *h, exh_run *r,
                     const char *path, char *why, size_t size)
{
    const int text_columns[] = {COLUMN_SPACE, COLUMN_ARCH, COLUMN_DATASET, COLUMN_STATUS};
    char **fields[] = {&r->space, &r->arch, &r->dataset, &r->status};
    char source[512];
    snprintf(source, sizeof source, "%s:%ld", path, reader->line);
    int rc = exh_run_set(&r->key, field(reader, h->identity[COLUMN_KEY])) |
             exh_run_set(&r->source, source);
    for (int i = 0; i < 4; i++) {
        const char *text = field(reader, h->identity[text_columns[i]]);
        if (*text)
            rc |= exh_run_set(fields[i], text);
    }
    const char *seed = field(reader, h->identity[COLUMN_SEED]);
    long long value;
    if (*seed) {
        if (csv_parse_long(seed, &value) < 0) {
            snprintf(why, size, "seed '%.40s' is not an integer", seed);
            return -1;
        }
        r->has_seed = 1;
        r->seed = value;
    }
    for (int i = 0; i < h->param_count; i++)
        rc |= exh_run_add_param(r, h->param_name[i], field(reader, h->param_column[i]));
    if (rc)
        snprintf(why, size, "out of memory");
    return rc ? -1 : 0;
}

static int add_row(const csv_reader *reader, const long_csv_header *h, exh_run *r,
                   epoch_index *seen, char *why, size_t size)
{
    long long epoch;
    const char *text = field(reader, h->identity[COLUMN_EPOCH]);
    if (csv_parse_long(text, &epoch) < 0 || epoch < 0 || epoch > 1000000) {
        snprintf(why, size, "epoch '%.40s' is not an epoch number", text);
        return -1;
    }
    long earlier = epoch_index_find(seen, r, (int)epoch);
    if (earlier >= 0) {
        snprintf(why, size, "epoch %lld of run '%s' appears twice", epoch, r->key);
        return -1;
    }
    if (earlier < -1) {
        snprintf(why, size, "out of memory");
        return -1;
    }
    exh_epoch_record row = exh_epoch_record_empty((int)epoch);
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++) {
        const char *value = field(reader, h->metric[m]);
        if (csv_parse_double(value, exh_epoch_metric(&row, exh_epoch_metric_names[m])) < 0) {
            snprintf(why, size, "%s '%.40s' is not a number", exh_epoch_metric_names[m], value);
            return -1;
        }
    }
    if (exh_run_add_epoch(r, &row) < 0) {
        snprintf(why, size, "out of memory");
        return -1;
    }
    return 0;
}

/* Hand the run being built to the sink, if there is one. */
static int flush_run(exh_run *r, int *bad, epoch_index *seen, exh_ingest_parser_context *context,
                     exh_error *err)
{
    int rc = 0;
    if (r->key && !*bad)
        rc = context->sink(r, context->sink_context, err);
    exh_run_clear(r);
    epoch_index_reset(seen);
    *bad = 0;
    return rc;
}

int ingest_parse_csv(const char *data, size_t size, exh_ingest_parser_context *context,
                     exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    long_csv_header header;
    int rc = csv_next(&reader, err);
    if (rc <= 0 || read_header(&reader, &header) < 0) {
        csv_close(&reader);
        return rc < 0 ? exh_error_prefix(err, "%s", context->path)
                      : exh_error_set(err, EXH_ERR_PARSE,
                                      "%s: line 1: the header needs 'key' (or 'run') and 'epoch'",
                                      context->path);
    }
    exh_run r;
    exh_run_init(&r);
    int bad = 0; /* the run being built had a bad row: skip all of it */
    epoch_index seen = EPOCH_INDEX_INIT;
    char why[256];
    while (rc >= 0) {
        exh_error csv_err;
        rc = csv_next(&reader, &csv_err);
        if (rc < 0 && csv_err.code != EXH_ERR_PARSE) {
            rc = exh_error_set(err, csv_err.code, "%s: %s", context->path, csv_err.message);
            break;
        }
        if (rc < 0 && reader.resumable) { /* a NUL byte: only this row is lost */
            rc = exh_ingest_bad_record(context, err, csv_err.code, "%s (row skipped)",
                                       csv_err.message);
            continue;
        }
        if (rc < 0) {
            /* An unterminated quote: the rest of the file is unusable, and the
             * run being built may have had rows in it, so it is skipped too -
             * counted and named, not dropped in silence. */
            rc = exh_ingest_bad_record(context, err, csv_err.code, "%s", csv_err.message);
            if (rc == 0 && r.key && !bad)
                rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                           "line %ld: run '%s' skipped: its rows may go on past the "
                                           "unclosed quote",
                                           reader.line, r.key);
            bad = 2;
            break;
        }
        if (rc == 0)
            break;
        const char *key = field(&reader, header.identity[COLUMN_KEY]);
        if (!r.key || strcmp(r.key, key) != 0) {
            rc = flush_run(&r, &bad, &seen, context, err);
            if (rc < 0)
                break;
            if (!*key) {
                rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: empty key",
                                           reader.line);
                continue;
            }
            if (begin_run(&reader, &header, &r, context->path, why, sizeof why) < 0)
                bad = 1;
        }
        if (!bad && add_row(&reader, &header, &r, &seen, why, sizeof why) < 0)
            bad = 1;
        if (bad == 1) {
            bad = 2; /* report once per run */
            rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: %s (run '%s' skipped)",
                                       reader.line, why, r.key ? r.key : key);
        }
    }
    if (rc >= 0)
        rc = flush_run(&r, &bad, &seen, context, err);
    exh_run_clear(&r);
    epoch_index_reset(&seen);
    csv_close(&reader);
    return rc < 0 ? rc : EXH_OK;
}
