/* ingest_nb201_epochs.c — NATS-Bench per-epoch records of fully logged cells
 * (nats-3cells-epochs.csv): one run per (cell, schedule, dataset, seed),
 * keyed nats/DATASET/HP/IDX/sSEED.
 *
 * The file counts epochs from 0; exhaust stores epoch + 1, so the last epoch of
 * a 200-epoch run is epoch 200, as in archs.csv. epoch_seconds is the file's
 * train_epoch_time_s, which the benchmark logs as the run's total training
 * time divided by its epochs (constant within a run). params_MB, flops_M,
 * latency_s and val_eval_time_s are constant per run and stored as
 * hyperparameters (from the run's first row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/ingest_internal.h"
#include "util/csv.h"

enum { C_INDEX, C_ARCH, C_HP, C_DATASET, C_SEED, C_EPOCH, C_TRAIN_ACC, C_TRAIN_LOSS, C_TIME,
       C_VAL_ACC, C_VAL_LOSS, C_TEST_ACC, C_TEST_LOSS, C_EVAL_TIME, C_PARAMS, C_FLOPS, C_LATENCY,
       C_COUNT };

static const char *const COLUMNS[C_COUNT] = {
    "arch_index", "arch_str", "hp", "dataset", "seed", "epoch", "train_acc", "train_loss",
    "train_epoch_time_s", "val_acc", "val_loss", "test_acc", "test_loss", "val_eval_time_s",
    "params_MB", "flops_M", "latency_s",
};

/* Start a run from the identity columns of its first row. */
static int begin_run(const csv_reader *reader, const int *c, const char *key,
                     ingest_parser_context *context, run *r)
{
    char source[1024];
    snprintf(source, sizeof source, "%s:%ld", context->path, reader->line);
    long long seed;
    int rc = run_set(&r->key, key) | run_set(&r->space, "nb201") |
             run_set(&r->arch, reader->fields[c[C_ARCH]]) |
             run_set(&r->dataset, reader->fields[c[C_DATASET]]) | run_set(&r->source, source) |
             run_add_param(r, "arch_index", reader->fields[c[C_INDEX]]) |
             run_add_param(r, "schedule_epochs", reader->fields[c[C_HP]]);
    const int constants[] = {C_PARAMS, C_FLOPS, C_LATENCY, C_EVAL_TIME};
    for (int i = 0; i < 4; i++)
        rc |= run_add_param(r, COLUMNS[constants[i]], reader->fields[c[constants[i]]]);
    if (csv_parse_long(reader->fields[c[C_SEED]], &seed) == 0) {
        r->has_seed = 1;
        r->seed = seed;
    }
    return rc;
}

static int add_row(const csv_reader *reader, const int *c, run *r, char *why, size_t size)
{
    long long epoch;
    if (csv_parse_long(reader->fields[c[C_EPOCH]], &epoch) < 0 || epoch < 0 || epoch > 100000) {
        snprintf(why, size, "epoch '%.20s' is not an epoch number", reader->fields[c[C_EPOCH]]);
        return -1;
    }
    epoch_record row = epoch_record_empty((int)epoch + 1);
    struct { int column; double *value; } metrics[] = {
        {C_TRAIN_ACC, &row.train_accuracy}, {C_TRAIN_LOSS, &row.train_loss},
        {C_VAL_ACC, &row.val_accuracy},     {C_VAL_LOSS, &row.val_loss},
        {C_TEST_ACC, &row.test_accuracy},   {C_TEST_LOSS, &row.test_loss},
        {C_TIME, &row.epoch_seconds},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        if (csv_parse_double(reader->fields[c[metrics[i].column]], metrics[i].value) < 0) {
            snprintf(why, size, "%s '%.30s' is not a number", COLUMNS[metrics[i].column],
                     reader->fields[c[metrics[i].column]]);
            return -1;
        }
    for (size_t i = 0; i < r->epoch_count; i++)
        if (r->epochs[i].epoch == row.epoch) {
            snprintf(why, size, "epoch %lld appears twice", epoch);
            return -1;
        }
    return run_add_epoch(r, &row) < 0 ? -1 : 0;
}

static int flush(run *r, int bad, ingest_parser_context *context, exh_error *err)
{
    int rc = r->key && !bad ? context->sink(r, context->sink_context, err) : 0;
    run_clear(r);
    return rc;
}

int ingest_parse_nb201_epochs(const char *data, size_t size, ingest_parser_context *context,
                              exh_error *err)
{
    csv_reader reader;
    csv_open(&reader, data, size);
    int c[C_COUNT], rc = csv_next(&reader, err) > 0 ? 0 : EXH_ERR_PARSE, widest = 0;
    for (int i = 0; rc == 0 && i < C_COUNT; i++) {
        c[i] = csv_column(&reader, COLUMNS[i]);
        if (c[i] < 0)
            rc = error_set(err, EXH_ERR_PARSE, "%s: line 1: no column '%s'", context->path,
                           COLUMNS[i]);
        widest = c[i] > widest ? c[i] : widest;
    }
    run r;
    run_init(&r);
    int bad = 0;
    char why[256];
    while (rc == 0) {
        exh_error csv_err;
        rc = csv_next(&reader, &csv_err);
        if (rc <= 0) {
            if (rc < 0)
                rc = ingest_bad_record(context, err, csv_err.code, "%s", csv_err.message);
            break;
        }
        rc = 0;
        if (reader.field_count <= widest) {
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: %d columns, expected %d",
                                   reader.line, reader.field_count, C_COUNT);
            continue;
        }
        char key[256];
        snprintf(key, sizeof key, "nats/%.60s/%.10s/%.20s/s%.20s", reader.fields[c[C_DATASET]],
                 reader.fields[c[C_HP]], reader.fields[c[C_INDEX]], reader.fields[c[C_SEED]]);
        if (!r.key || strcmp(r.key, key) != 0) {
            rc = flush(&r, bad, context, err);
            bad = 0;
            if (rc == 0 && begin_run(&reader, c, key, context, &r) != 0)
                rc = error_set(err, EXH_ERR_NOMEM, "out of memory");
        }
        if (rc == 0 && !bad && add_row(&reader, c, &r, why, sizeof why) < 0) {
            bad = 1;
            rc = ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: %s (run %s skipped)",
                                   reader.line, why, key);
        }
    }
    if (rc == 0)
        rc = flush(&r, bad, context, err);
    run_clear(&r);
    csv_close(&reader);
    return rc < 0 ? rc : EXH_OK;
}
