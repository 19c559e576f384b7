/* ingest_nb201.c — NAS-Bench-201's archs.csv: per cell, the 200-epoch
 * validation accuracy of each training seed on cifar10-valid and cifar100,
 * and the 12-epoch schedule's accuracies (means over the benchmark's seeds).
 *
 * Runs made from one row (IDX = arch_index):
 *   nb201/cifar10-valid/200/IDX/sSEED   epoch 200: val_accuracy   (seeds 777, 888, 999)
 *   nb201/cifar100/200/IDX/sSEED        epoch 200: val_accuracy
 *   nb201/cifar10-valid/12/IDX          epoch 12:  val_accuracy   (c10valid_val12)
 *   nb201/cifar10/12/IDX                epoch 12:  test_accuracy  (c10_test12)
 *   nb201/cifar100/12/IDX               epoch 12:  val_accuracy, test_accuracy
 * A cell whose value is empty gets no run for it (nothing was logged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/ingest_internal.h"
#include "util/csv.h"

#define NB201_RUN_KINDS 9

typedef struct nb201_run_kind {
    const char *dataset;
    int schedule;
    const char *seed;            /* NULL: a mean over seeds */
    const char *val_column;      /* may be NULL */
    const char *test_column;     /* may be NULL */
} nb201_run_kind;

static const nb201_run_kind RUN_KINDS[NB201_RUN_KINDS] = {
    {"cifar10-valid", 200, "777", "c10valid_val200_s777", NULL},
    {"cifar10-valid", 200, "888", "c10valid_val200_s888", NULL},
    {"cifar10-valid", 200, "999", "c10valid_val200_s999", NULL},
    {"cifar100", 200, "777", "c100_val200_s777", NULL},
    {"cifar100", 200, "888", "c100_val200_s888", NULL},
    {"cifar100", 200, "999", "c100_val200_s999", NULL},
    {"cifar10-valid", 12, NULL, "c10valid_val12", NULL},
    {"cifar10", 12, NULL, NULL, "c10_test12"},
    {"cifar100", 12, NULL, "c100_val12", "c100_test12"},
};

typedef struct nb201_columns {
    int index, arch;
    int val[NB201_RUN_KINDS], test[NB201_RUN_KINDS];
} nb201_columns;

static int find_columns(const csv_reader *reader, nb201_columns *c, exh_error *err,
                        const char *path)
{
    c->index = csv_column(reader, "arch_index");
    c->arch = csv_column(reader, "arch_str");
    if (c->index < 0 || c->arch < 0)
        return error_set(err, EXH_ERR_PARSE, "%s: line 1: needs arch_index and arch_str", path);
    for (int k = 0; k < NB201_RUN_KINDS; k++) {
        const nb201_run_kind *kind = &RUN_KINDS[k];
        c->val[k] = kind->val_column ? csv_column(reader, kind->val_column) : -1;
        c->test[k] = kind->test_column ? csv_column(reader, kind->test_column) : -1;
        if ((kind->val_column && c->val[k] < 0) || (kind->test_column && c->test[k] < 0))
            return error_set(err, EXH_ERR_PARSE, "%s: line 1: no column '%s'", path,
                             kind->val_column && c->val[k] < 0 ? kind->val_column
                                                               : kind->test_column);
    }
    return EXH_OK;
}

/* Read column `column` of the row into *value; "" stays missing (NAN). */
static int read_value(const csv_reader *reader, int column, double *value)
{
    if (column < 0)
        return 0;
    return column < reader->field_count ? csv_parse_double(reader->fields[column], value) : -1;
}

static int emit_run(const csv_reader *reader, const nb201_columns *c, int k, long long index,
                    ingest_parser_context *context, exh_error *err)
{
    const nb201_run_kind *kind = &RUN_KINDS[k];
    epoch_record row = epoch_record_empty(kind->schedule);
    if (read_value(reader, c->val[k], &row.val_accuracy) < 0 ||
        read_value(reader, c->test[k], &row.test_accuracy) < 0)
        return ingest_bad_record(context, err, EXH_ERR_PARSE,
                                 "line %ld: a %s value of cell %lld is not a number",
                                 reader->line, kind->dataset, index);
    if (!metric_present(row.val_accuracy) && !metric_present(row.test_accuracy))
        return EXH_OK; /* not logged */
    char key[128], source[1024], number[32];
    if (kind->seed)
        snprintf(key, sizeof key, "nb201/%s/%d/%lld/s%s", kind->dataset, kind->schedule, index,
                 kind->seed);
    else
        snprintf(key, sizeof key, "nb201/%s/%d/%lld", kind->dataset, kind->schedule, index);
    snprintf(source, sizeof source, "%s:%ld", context->path, reader->line);
    run r;
    run_init(&r);
    int rc = run_set(&r.key, key) | run_set(&r.space, "nb201") |
             run_set(&r.arch, reader->fields[c->arch]) | run_set(&r.dataset, kind->dataset) |
             run_set(&r.source, source) | run_add_epoch(&r, &row);
    snprintf(number, sizeof number, "%lld", index);
    rc |= run_add_param(&r, "arch_index", number);
    snprintf(number, sizeof number, "%d", kind->schedule);
    rc |= run_add_param(&r, "schedule_epochs", number);
    if (kind->seed) {
        r.has_seed = 1;
        r.seed = strtoll(kind->seed, NULL, 10);
    } else {
        rc |= run_add_param(&r, "seed_aggregate", "mean");
    }
    if (rc == 0)
        rc = context->sink(&r, context->sink_context, err);
    else
        rc = error_set(err, EXH_ERR_NOMEM, "out of memory");
    run_clear(&r);
    return rc;
}

int ingest_parse_nb201(const char *data, size_t size, ingest_parser_context *context,
                       exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    nb201_columns columns = {0};
    int rc = csv_next(&reader, err);
    if (rc <= 0)
        rc = rc < 0 ? error_prefix(err, "%s", context->path)
                    : error_set(err, EXH_ERR_PARSE, "%s: empty file", context->path);
    else
        rc = find_columns(&reader, &columns, err, context->path);
    while (rc == 0) {
        exh_error csv_err;
        rc = csv_next(&reader, &csv_err);
        if (rc <= 0) {
            if (rc < 0)
                rc = ingest_bad_record(context, err, csv_err.code, "%s", csv_err.message);
            break;
        }
        rc = 0;
        long long index;
        if (reader.field_count <= columns.arch ||
            csv_parse_long(reader.fields[columns.index], &index) < 0 || index < 0) {
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE,
                                   "line %ld: arch_index is not a cell number", reader.line);
            continue;
        }
        for (int k = 0; rc == 0 && k < NB201_RUN_KINDS; k++)
            rc = emit_run(&reader, &columns, k, index, context, err);
    }
    csv_close(&reader);
    return rc < 0 ? rc : EXH_OK;
}
