/* ingest_nb201_epochs.c — NATS-Bench per-epoch records of fully logged cells
 * (nats-3cells-epochs.csv): one run per (cell, schedule, dataset, seed),
 * keyed nats/DATASET/HP/IDX/sSEED.
 *
 * The file counts epochs from 0; exhaust stores epoch + 1, so the last epoch of
 * a 200-epoch run is epoch 200, as in archs.csv. epoch_seconds is the file's
 * train_epoch_time_s, which the benchmark logs as the run's total training
 * time divided by its epochs (constant within a run). params_MB, flops_M,
 * latency_s and val_eval_time_s are constant per run and stored as
 * hyperparameters (the first row's text); a row that disagrees is a bad record.
 *
 * A run's rows need not be next to each other: rows are grouped by key in a
 * hash table and the runs handed on, in order of first appearance, once the
 * whole file is read. A bad row skips its whole run (reported once), since a
 * curve with a hole or a changed cell would mislead more than no curve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_nb201.h"
#include "logs/ingest_internal.h"
#include "util/csv.h"
#include "util/hash.h"

enum { C_INDEX, C_ARCH, C_HP, C_DATASET, C_SEED, C_EPOCH, C_TRAIN_ACC, C_TRAIN_LOSS, C_TIME,
       C_VAL_ACC, C_VAL_LOSS, C_TEST_ACC, C_TEST_LOSS, C_EVAL_TIME, C_PARAMS, C_FLOPS, C_LATENCY,
       C_COUNT };

static const char *const COLUMNS[C_COUNT] = {
    "arch_index", "arch_str", "hp", "dataset", "seed", "epoch", "train_acc", "train_loss",
    "train_epoch_time_s", "val_acc", "val_loss", "test_acc", "test_loss", "val_eval_time_s",
    "params_MB", "flops_M", "latency_s",
};

/* Columns whose value is one per run, kept as hyperparameters. */
#define CONSTANT_COUNT 4
static const int CONSTANTS[CONSTANT_COUNT] = {C_PARAMS, C_FLOPS, C_LATENCY, C_EVAL_TIME};

#define MAX_SCHEDULE 10000 /* NATS-Bench trains 1 to 200 epochs */

typedef struct nats_run {
    exh_run run;
    long first_line;
    long long schedule;
    double constants[CONSTANT_COUNT];
    unsigned char *seen; /* a bit per epoch of the schedule */
    int bad;             /* reported already; its other rows are ignored */
} nats_run;

typedef struct nats_parse {
    exh_ingest_parser_context *context;
    exh_space *cells;
    int column[C_COUNT], widest_column;
    nats_run *runs; /* in order of first appearance */
    size_t run_count, run_capacity;
    size_t *slots; /* open addressing: index + 1 into runs, 0 = empty */
    size_t slot_capacity;
} nats_parse;

static size_t *find_slot(const nats_parse *p, const char *key)
{
    size_t i = (size_t)hash_text(key) & (p->slot_capacity - 1);
    while (p->slots[i] && strcmp(p->runs[p->slots[i] - 1].run.key, key) != 0)
        i = (i + 1) & (p->slot_capacity - 1);
    return &p->slots[i];
}

/* Room for one more run in both the array and the table (kept at most half full). */
static int reserve_run(nats_parse *p)
{
    if (p->run_count == p->run_capacity) {
        size_t capacity = p->run_capacity ? 2 * p->run_capacity : 64;
        nats_run *grown = realloc(p->runs, capacity * sizeof *grown);
        if (!grown)
            return EXH_ERR_NOMEM;
        p->runs = grown;
        p->run_capacity = capacity;
    }
    if (2 * (p->run_count + 1) <= p->slot_capacity)
        return EXH_OK;
    size_t *old = p->slots, old_capacity = p->slot_capacity;
    p->slot_capacity = old_capacity ? 2 * old_capacity : 128;
    p->slots = calloc(p->slot_capacity, sizeof *p->slots);
    if (!p->slots) {
        p->slots = old;
        p->slot_capacity = old_capacity;
        return EXH_ERR_NOMEM;
    }
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i])
            *find_slot(p, p->runs[old[i] - 1].run.key) = old[i];
    free(old);
    return EXH_OK;
}

static const char *field(const nats_parse *p, const csv_reader *reader, int column)
{
    return reader->fields[p->column[column]];
}

/* The run's identity from a row: checked numbers, so " 12" and "12" agree. */
static int row_key(const nats_parse *p, const csv_reader *reader, char *key, size_t size,
                   long long *schedule, char *why, size_t why_size)
{
    long long index, seed;
    const char *dataset = field(p, reader, C_DATASET);
    if (csv_parse_long(field(p, reader, C_INDEX), &index) < 0 || index < 0 || index >= EXH_NB201_SIZE)
        snprintf(why, why_size, "column arch_index: '%.40s' is not a cell number (0..%d)",
                 field(p, reader, C_INDEX), EXH_NB201_SIZE - 1);
    else if (csv_parse_long(field(p, reader, C_HP), schedule) < 0 || *schedule < 1 ||
             *schedule > MAX_SCHEDULE)
        snprintf(why, why_size, "column hp: '%.40s' is not a number of epochs",
                 field(p, reader, C_HP));
    else if (csv_parse_long(field(p, reader, C_SEED), &seed) < 0)
        snprintf(why, why_size, "column seed: '%.40s' is not an integer", field(p, reader, C_SEED));
    else if (!dataset[0] || strlen(dataset) > 64 || strchr(dataset, '/'))
        snprintf(why, why_size, "column dataset: '%.40s' is not a dataset name", dataset);
    else {
        snprintf(key, size, "nats/%s/%lld/%lld/s%lld", dataset, *schedule, index, seed);
        return 0;
    }
    return -1;
}

/* A new run from the identity and constant columns of its first row; on a
 * fault the run is made anyway (so later rows find it) but marked bad. */
static int begin_run(nats_parse *p, const csv_reader *reader, const char *key,
                     long long schedule, char *why, size_t why_size)
{
    nats_run *n = &p->runs[p->run_count++];
    memset(n, 0, sizeof *n);
    exh_run_init(&n->run);
    n->first_line = reader->line;
    n->schedule = schedule;
    char source[1024];
    snprintf(source, sizeof source, "%s:%ld", p->context->path, reader->line);
    long long seed = 0;
    csv_parse_long(field(p, reader, C_SEED), &seed); /* checked by row_key */
    n->run.has_seed = 1;
    n->run.seed = seed;
    int rc = exh_run_set(&n->run.key, key) | exh_run_set(&n->run.space, "nb201") |
             exh_run_set(&n->run.arch, field(p, reader, C_ARCH)) |
             exh_run_set(&n->run.dataset, field(p, reader, C_DATASET)) |
             exh_run_set(&n->run.source, source) |
             exh_run_add_param(&n->run, "arch_index", field(p, reader, C_INDEX)) |
             exh_run_add_param(&n->run, "schedule_epochs", field(p, reader, C_HP));
    for (int i = 0; i < CONSTANT_COUNT; i++)
        rc |= exh_run_add_param(&n->run, COLUMNS[CONSTANTS[i]], field(p, reader, CONSTANTS[i]));
    n->seen = calloc((size_t)(schedule + 7) / 8, 1);
    if (rc || !n->seen)
        return EXH_ERR_NOMEM;
    *find_slot(p, key) = p->run_count;
    exh_arch cell;
    exh_error cell_err;
    for (int i = 0; i < CONSTANT_COUNT; i++)
        if (csv_parse_double(field(p, reader, CONSTANTS[i]), &n->constants[i]) < 0) {
            snprintf(why, why_size, "column %s: '%.40s' is not a number", COLUMNS[CONSTANTS[i]],
                     field(p, reader, CONSTANTS[i]));
            return 1;
        }
    if (exh_space_parse(p->cells, n->run.arch, &cell, &cell_err) < 0) {
        snprintf(why, why_size, "column arch_str: %.300s", cell_err.message);
        return 1;
    }
    return 0;
}

static int same_number(double a, double b)
{
    return a == b || (!exh_metric_present(a) && !exh_metric_present(b));
}

/* Check that a later row of the run repeats its cell and constants. */
static int check_same_run(const nats_parse *p, const csv_reader *reader, const nats_run *n,
                          char *why, size_t why_size)
{
    if (strcmp(field(p, reader, C_ARCH), n->run.arch) != 0) {
        snprintf(why, why_size, "column arch_str differs from the run's first row (line %ld)",
                 n->first_line);
        return 1;
    }
    for (int i = 0; i < CONSTANT_COUNT; i++) {
        double value;
        const char *text = field(p, reader, CONSTANTS[i]);
        if (csv_parse_double(text, &value) < 0 || !same_number(value, n->constants[i])) {
            snprintf(why, why_size,
                     "column %s: '%.40s' differs from the run's first row (line %ld), but is "
                     "one value per run",
                     COLUMNS[CONSTANTS[i]], text, n->first_line);
            return 1;
        }
    }
    return 0;
}

static int add_epoch(const nats_parse *p, const csv_reader *reader, nats_run *n, char *why,
                     size_t why_size)
{
    long long epoch;
    const char *text = field(p, reader, C_EPOCH);
    if (csv_parse_long(text, &epoch) < 0 || epoch < 0 || epoch >= n->schedule) {
        snprintf(why, why_size, "column epoch: '%.40s' is not an epoch of a %lld-epoch schedule "
                 "(0..%lld)", text, n->schedule, n->schedule - 1);
        return 1;
    }
    if (n->seen[epoch / 8] & (1u << (epoch % 8))) {
        snprintf(why, why_size, "column epoch: epoch %lld appears twice", epoch);
        return 1;
    }
    n->seen[epoch / 8] |= (unsigned char)(1u << (epoch % 8));
    exh_epoch_record row = exh_epoch_record_empty((int)epoch + 1);
    struct { int column; double *value; } metrics[] = {
        {C_TRAIN_ACC, &row.train_accuracy}, {C_TRAIN_LOSS, &row.train_loss},
        {C_VAL_ACC, &row.val_accuracy},     {C_VAL_LOSS, &row.val_loss},
        {C_TEST_ACC, &row.test_accuracy},   {C_TEST_LOSS, &row.test_loss},
        {C_TIME, &row.epoch_seconds},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
        text = field(p, reader, metrics[i].column);
        if (csv_parse_double(text, metrics[i].value) < 0) {
            snprintf(why, why_size, "column %s: '%.40s' is not a number",
                     COLUMNS[metrics[i].column], text);
            return 1;
        }
    }
    return exh_run_add_epoch(&n->run, &row) < 0 ? EXH_ERR_NOMEM : 0;
}

/* File the row under its run. Returns < 0 to stop (no memory, strict). */
static int parse_row(nats_parse *p, const csv_reader *reader, exh_error *err)
{
    char key[256], why[512];
    long long schedule;
    if (reader->field_count <= p->widest_column)
        return exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE,
                                     "line %ld: %d columns, the header has at least %d (row skipped)",
                                     reader->line, reader->field_count, p->widest_column + 1);
    if (row_key(p, reader, key, sizeof key, &schedule, why, sizeof why) < 0)
        return exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE, "line %ld: %s (row skipped)",
                                     reader->line, why);
    size_t slot = p->slot_capacity ? *find_slot(p, key) : 0;
    nats_run *n = slot ? &p->runs[slot - 1] : NULL;
    int rc = 0;
    if (!n) {
        if (reserve_run(p) < 0)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        rc = begin_run(p, reader, key, schedule, why, sizeof why);
        n = &p->runs[p->run_count - 1];
    } else if (!n->bad) {
        rc = check_same_run(p, reader, n, why, sizeof why);
    }
    if (rc == 0 && !n->bad)
        rc = add_epoch(p, reader, n, why, sizeof why);
    if (rc == EXH_ERR_NOMEM)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (rc == 0 || n->bad)
        return EXH_OK;
    n->bad = 1;
    return exh_ingest_bad_record(p->context, err, EXH_ERR_PARSE, "line %ld: %s (run %s skipped)",
                                 reader->line, why, key);
}

static int compare_epochs(const void *a, const void *b)
{
    const exh_epoch_record *x = a, *y = b;
    return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

/* Hand on the good runs, each with its epochs in order. */
static int emit_runs(nats_parse *p, exh_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->run_count; i++) {
        nats_run *n = &p->runs[i];
        if (n->bad)
            continue;
        qsort(n->run.epochs, n->run.epoch_count, sizeof *n->run.epochs, compare_epochs);
        rc = p->context->sink(&n->run, p->context->sink_context, err);
    }
    return rc;
}

static int parse_rows(nats_parse *p, csv_reader *reader, exh_error *err)
{
    int rc = csv_next(reader, err);
    if (rc <= 0)
        return rc < 0 ? exh_error_prefix(err, "%s", p->context->path)
                      : exh_error_set(err, EXH_ERR_PARSE, "%s: empty file", p->context->path);
    for (int i = 0; i < C_COUNT; i++) {
        if ((p->column[i] = csv_column(reader, COLUMNS[i])) < 0)
            return exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: no column '%s'",
                                 p->context->path, reader->line, COLUMNS[i]);
        if (p->column[i] > p->widest_column)
            p->widest_column = p->column[i];
    }
    rc = 0;
    while (rc == 0 && (rc = ingest_csv_next(reader, p->context->path, p->context, err)) > 0)
        rc = parse_row(p, reader, err);
    return rc;
}

int ingest_parse_nb201_epochs(const char *data, size_t size, exh_ingest_parser_context *context,
                              exh_error *err)
{
    nats_parse p = {.context = context};
    int rc = exh_space_open("nb201", &p.cells, err);
    if (rc == 0) {
        csv_reader reader;
        csv_open(&reader, data, size);
        rc = parse_rows(&p, &reader, err);
        csv_close(&reader);
    }
    if (rc == 0)
        rc = emit_runs(&p, err);
    for (size_t i = 0; i < p.run_count; i++) {
        exh_run_clear(&p.runs[i].run);
        free(p.runs[i].seen);
    }
    free(p.runs);
    free(p.slots);
    exh_space_free(p.cells);
    return rc < 0 ? rc : EXH_OK;
}
