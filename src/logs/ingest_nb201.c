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
 * A value that is empty (or nan) gets no run: nothing was logged.
 *
 * Bad records: a row whose arch_index or arch_str is wrong (not a cell,
 * repeated) is skipped as one record, since all nine runs would share the
 * fault; a value that is not an accuracy (a number from 0 to 100) skips only
 * the run that needs it. The cell string is checked here, once per row, even
 * though the store's sink canonicalizes it again: otherwise one bad string
 * would be reported nine times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_nb201.h"
#include "logs/ingest_internal.h"
#include "util/csv.h"

#define NB201_RUN_KINDS 9

typedef struct nb201_run_kind {
    const char *dataset;
    int schedule;
    int seed;                /* 0: a mean over the benchmark's seeds */
    const char *val_column;  /* may be NULL */
    const char *test_column; /* may be NULL */
} nb201_run_kind;

static const nb201_run_kind RUN_KINDS[NB201_RUN_KINDS] = {
    {"cifar10-valid", 200, 777, "c10valid_val200_s777", NULL},
    {"cifar10-valid", 200, 888, "c10valid_val200_s888", NULL},
    {"cifar10-valid", 200, 999, "c10valid_val200_s999", NULL},
    {"cifar100", 200, 777, "c100_val200_s777", NULL},
    {"cifar100", 200, 888, "c100_val200_s888", NULL},
    {"cifar100", 200, 999, "c100_val200_s999", NULL},
    {"cifar10-valid", 12, 0, "c10valid_val12", NULL},
    {"cifar10", 12, 0, NULL, "c10_test12"},
    {"cifar100", 12, 0, "c100_val12", "c100_test12"},
};

/* What the parser keeps across rows. */
typedef struct nb201_parse {
    exh_ingest_parser_context *context;
    exh_space *cells;
    int index_column, arch_column, widest_column;
    int val_column[NB201_RUN_KINDS], test_column[NB201_RUN_KINDS];
    long first_line[EXH_NB201_SIZE]; /* where each cell was met, 0 if not yet */
} nb201_parse;

static int header_column(nb201_parse *p, const csv_reader *reader, const char *name,
                         exh_error *err)
{
    int column = csv_column(reader, name);
    if (column < 0)
        return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: no column '%s'", p->context->path,
                             reader->line, name);
    if (column > p->widest_column)
        p->widest_column = column;
    return column;
}

static int find_columns(nb201_parse *p, const csv_reader *reader, exh_error *err)
{
    if ((p->index_column = header_column(p, reader, "arch_index", err)) < 0 ||
        (p->arch_column = header_column(p, reader, "arch_str", err)) < 0)
        return err ? err->code : EXH_ERR_PARSE;
    for (int k = 0; k < NB201_RUN_KINDS; k++) {
        const nb201_run_kind *kind = &RUN_KINDS[k];
        p->val_column[k] = p->test_column[k] = -1;
        if ((kind->val_column &&
             (p->val_column[k] = header_column(p, reader, kind->val_column, err)) < 0) ||
            (kind->test_column &&
             (p->test_column[k] = header_column(p, reader, kind->test_column, err)) < 0))
            return err ? err->code : EXH_ERR_PARSE;
    }
    return EXH_OK;
}

/* Read an accuracy column into *value ("" and nan stay missing); on a bad
 * value report it and return 1 so the caller skips the run. */
static int read_accuracy(nb201_parse *p, const csv_reader *reader, int column, const char *name,
                         double *value, int *rc, exh_error *err)
{
    if (column < 0)
        return 0;
    const char *text = reader->fields[column];
    if (csv_parse_double(text, value) == 0 &&
        (!exh_metric_present(*value) || (*value >= 0 && *value <= 100)))
        return 0;
    *rc = exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE,
                                "line %ld: column %s: '%.40s' is not an accuracy (a number from 0 "
                                "to 100; that run skipped)",
                                reader->line, name, text);
    return 1;
}

static int fill_run(const nb201_run_kind *kind, long long index, const char *cell,
                    const char *source, const exh_epoch_record *row, exh_run *r)
{
    char key[128], number[32];
    if (kind->seed)
        snprintf(key, sizeof key, "nb201/%s/%d/%lld/s%d", kind->dataset, kind->schedule, index,
                 kind->seed);
    else
        snprintf(key, sizeof key, "nb201/%s/%d/%lld", kind->dataset, kind->schedule, index);
    int rc = exh_run_set(&r->key, key) | exh_run_set(&r->space, "nb201") | exh_run_set(&r->arch, cell) |
             exh_run_set(&r->dataset, kind->dataset) | exh_run_set(&r->source, source) |
             exh_run_add_epoch(r, row);
    snprintf(number, sizeof number, "%lld", index);
    rc |= exh_run_add_param(r, "arch_index", number);
    snprintf(number, sizeof number, "%d", kind->schedule);
    rc |= exh_run_add_param(r, "schedule_epochs", number);
    if (kind->seed) {
        r->has_seed = 1;
        r->seed = kind->seed;
    } else {
        rc |= exh_run_add_param(r, "seed_aggregate", "mean");
    }
    return rc;
}

static int emit_run(nb201_parse *p, const csv_reader *reader, int k, long long index,
                    exh_error *err)
{
    const nb201_run_kind *kind = &RUN_KINDS[k];
    exh_epoch_record row = exh_epoch_record_empty(kind->schedule);
    int rc = 0;
    if (read_accuracy(p, reader, p->val_column[k], kind->val_column, &row.val_accuracy, &rc,
                      err) ||
        read_accuracy(p, reader, p->test_column[k], kind->test_column, &row.test_accuracy, &rc,
                      err))
        return rc;
    if (!exh_metric_present(row.val_accuracy) && !exh_metric_present(row.test_accuracy))
        return EXH_OK; /* not logged */
    char source[1024];
    snprintf(source, sizeof source, "%s:%ld", p->context->path, reader->line);
    exh_run r;
    exh_run_init(&r);
    if (fill_run(kind, index, reader->fields[p->arch_column], source, &row, &r) != 0)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    else
        rc = p->context->sink(&r, p->context->sink_context, err);
    exh_run_clear(&r);
    return rc;
}

/* Check what all nine runs of the row share; on a fault report it (once)
 * and return 1. */
static int check_cell(nb201_parse *p, const csv_reader *reader, long long *index, int *rc,
                      exh_error *err)
{
    const char *text = reader->fields[p->index_column];
    exh_arch cell;
    exh_error cell_err;
    if (csv_parse_long(text, index) < 0 || *index < 0 || *index >= EXH_NB201_SIZE)
        *rc = exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE,
                                    "line %ld: column arch_index: '%.40s' is not a cell number "
                                    "(0..%d; row skipped)",
                                    reader->line, text, EXH_NB201_SIZE - 1);
    else if (p->first_line[*index])
        *rc = exh_ingest_bad_record(p->context, err, EXH_ERR_INVALID,
                                    "line %ld: column arch_index: cell %lld appears again (first on "
                                    "line %ld; row skipped)",
                                    reader->line, *index, p->first_line[*index]);
    else if (exh_space_parse(p->cells, reader->fields[p->arch_column], &cell, &cell_err) < 0)
        *rc = exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE,
                                    "line %ld: column arch_str: %.300s (row skipped)", reader->line,
                                    cell_err.message);
    else
        return 0;
    return 1;
}

static int parse_row(nb201_parse *p, const csv_reader *reader, exh_error *err)
{
    if (reader->field_count <= p->widest_column)
        return exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE,
                                     "line %ld: %d columns, the header has at least %d (row skipped)",
                                     reader->line, reader->field_count, p->widest_column + 1);
    long long index;
    int rc = 0;
    if (check_cell(p, reader, &index, &rc, err))
        return rc;
    p->first_line[index] = reader->line;
    for (int k = 0; rc == 0 && k < NB201_RUN_KINDS; k++)
        rc = emit_run(p, reader, k, index, err);
    return rc;
}

static int parse_rows(nb201_parse *p, csv_reader *reader, exh_error *err)
{
    int rc = csv_next(reader, err);
    if (rc <= 0)
        return rc < 0 ? exh_error_prefix(err, "%s", p->context->path)
                      : exh_error_set(err, EXH_ERR_PARSE, "%s: empty file", p->context->path);
    if ((rc = find_columns(p, reader, err)) < 0)
        return rc;
    while (rc == 0 && (rc = ingest_csv_next(reader, p->context->path, p->context, err)) > 0)
        rc = parse_row(p, reader, err);
    return rc;
}

int ingest_parse_nb201(const char *data, size_t size, exh_ingest_parser_context *context,
                       exh_error *err)
{
    nb201_parse *p = calloc(1, sizeof *p);
    if (!p)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    p->context = context;
    int rc = exh_space_open("nb201", &p->cells, err);
    if (rc == 0) {
        csv_reader reader;
        csv_open(&reader, data, size);
        rc = parse_rows(p, &reader, err);
        csv_close(&reader);
    }
    exh_space_free(p->cells);
    free(p);
    return rc < 0 ? rc : EXH_OK;
}
