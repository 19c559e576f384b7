/* ingest_tfevents.c — TensorBoard event files (events.out.tfevents.*).
 *
 * Records are TFRecord-framed Event protobufs (tfrecord.h). Scalars come from
 * Summary values, either `simple_value` (TF1, PyTorch's SummaryWriter) or a
 * scalar TensorProto (TF2 / Keras: float or double, in float_val/double_val
 * or tensor_content). Tags map to metrics through a table (below), which
 * --tag-map ("metric=tag1|tag2,...") extends in front.
 *
 * Conventions, shared with the Keras CSV parser:
 *  - Keras's epoch_* scalars have step = epoch counted from 0: epoch = step + 1.
 *  - Accuracies are stored in percent: an accuracy metric whose values in a
 *    file are all <= 1 is multiplied by 100.
 *  - Keras writes RUN/train/ and RUN/validation/ files with the same tags; in
 *    a file under validation/ (or val/, eval/) the plain tags (epoch_accuracy,
 *    epoch_loss, ...) are validation metrics. Both files get the key RUN, and
 *    the ingest merges them into one run.
 * A damaged file (truncated, CRC mismatch) keeps what was read before the
 * damage and reports it, with its byte offset, as a bad record. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/epoch_index.h"
#include "logs/ingest_internal.h"
#include "logs/tfrecord.h"
#include "tensorboard.pb-c.h"
#include "util/file.h"

#define TAG_MAP_MAX 64

typedef struct tag_rule {
    char tag[96];
    int metric;       /* index into EPOCH_METRIC_NAMES */
} tag_rule;

typedef struct tag_map {
    tag_rule rules[TAG_MAP_MAX];
    int count;
} tag_map;

enum { TRAIN_ACCURACY, TRAIN_LOSS, VAL_ACCURACY, VAL_LOSS, TEST_ACCURACY, TEST_LOSS,
       EPOCH_SECONDS };

static const struct { const char *tag; int train_metric, validation_metric; } DEFAULT_TAGS[] = {
    {"epoch_accuracy", TRAIN_ACCURACY, VAL_ACCURACY}, {"accuracy", TRAIN_ACCURACY, VAL_ACCURACY},
    {"acc", TRAIN_ACCURACY, VAL_ACCURACY},            {"epoch_acc", TRAIN_ACCURACY, VAL_ACCURACY},
    {"train_accuracy", TRAIN_ACCURACY, TRAIN_ACCURACY},
    {"train/accuracy", TRAIN_ACCURACY, TRAIN_ACCURACY},
    {"epoch_loss", TRAIN_LOSS, VAL_LOSS},             {"loss", TRAIN_LOSS, VAL_LOSS},
    {"train_loss", TRAIN_LOSS, TRAIN_LOSS},           {"train/loss", TRAIN_LOSS, TRAIN_LOSS},
    {"val_accuracy", VAL_ACCURACY, VAL_ACCURACY},     {"epoch_val_accuracy", VAL_ACCURACY, VAL_ACCURACY},
    {"val_acc", VAL_ACCURACY, VAL_ACCURACY},          {"validation/accuracy", VAL_ACCURACY, VAL_ACCURACY},
    {"val_loss", VAL_LOSS, VAL_LOSS},                 {"epoch_val_loss", VAL_LOSS, VAL_LOSS},
    {"validation/loss", VAL_LOSS, VAL_LOSS},
    {"test_accuracy", TEST_ACCURACY, TEST_ACCURACY},  {"test_acc", TEST_ACCURACY, TEST_ACCURACY},
    {"test_loss", TEST_LOSS, TEST_LOSS},
    {"epoch_time", EPOCH_SECONDS, EPOCH_SECONDS},     {"epoch_seconds", EPOCH_SECONDS, EPOCH_SECONDS},
};

static int metric_index(const char *name, size_t length)
{
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
        if (strlen(exh_epoch_metric_names[m]) == length &&
            strncmp(exh_epoch_metric_names[m], name, length) == 0)
            return m;
    return -1;
}

static void add_rule(tag_map *map, const char *tag, size_t length, int metric)
{
    if (map->count == TAG_MAP_MAX || length >= sizeof map->rules[0].tag)
        return;
    memcpy(map->rules[map->count].tag, tag, length);
    map->rules[map->count].tag[length] = '\0';
    map->rules[map->count++].metric = metric;
}

/* "metric=tag1|tag2,metric=tag3" in front of the defaults. */
static int build_tag_map(const char *custom, int validation, tag_map *map, exh_error *err)
{
    map->count = 0;
    for (const char *p = custom; p && *p;) {
        const char *end = strchr(p, ','), *equals = strchr(p, '=');
        if (!end)
            end = p + strlen(p);
        int metric = equals && equals < end ? metric_index(p, (size_t)(equals - p)) : -1;
        if (metric < 0)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "--tag-map: '%.*s' is not metric=tag|tag (metrics: train_accuracy, "
                                 "train_loss, val_accuracy, val_loss, test_accuracy, test_loss, "
                                 "epoch_seconds)", (int)(end - p), p);
        for (const char *tag = equals + 1; tag < end;) {
            const char *bar = memchr(tag, '|', (size_t)(end - tag));
            const char *tag_end = bar ? bar : end;
            add_rule(map, tag, (size_t)(tag_end - tag), metric);
            tag = tag_end + 1;
        }
        p = *end ? end + 1 : end;
    }
    for (size_t i = 0; i < sizeof DEFAULT_TAGS / sizeof DEFAULT_TAGS[0]; i++)
        add_rule(map, DEFAULT_TAGS[i].tag, strlen(DEFAULT_TAGS[i].tag),
                 validation ? DEFAULT_TAGS[i].validation_metric : DEFAULT_TAGS[i].train_metric);
    return EXH_OK;
}

static int lookup_tag(const tag_map *map, const char *tag)
{
    for (int i = 0; i < map->count; i++)
        if (strcmp(map->rules[i].tag, tag) == 0)
            return map->rules[i].metric;
    return -1;
}

/* The scalar a summary value holds, or NAN when it holds none. */
static double scalar_value(const Tensorboard__Summary__Value *value)
{
    if (value->value_case == TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE)
        return value->simple_value;
    if (value->value_case != TENSORBOARD__SUMMARY__VALUE__VALUE_TENSOR || !value->tensor)
        return NAN;
    const Tensorboard__TensorProto *t = value->tensor;
    if (t->dtype == 1 && t->n_float_val > 0)
        return t->float_val[0];
    if (t->dtype == 2 && t->n_double_val > 0)
        return t->double_val[0];
    if (t->dtype == 1 && t->tensor_content.len == 4) {
        float f;
        memcpy(&f, t->tensor_content.data, 4); /* little endian, as x86 and TF write it */
        return f;
    }
    if (t->dtype == 2 && t->tensor_content.len == 8) {
        double d;
        memcpy(&d, t->tensor_content.data, 8);
        return d;
    }
    return NAN;
}

/* File the event's scalars under its epoch. Returns 0, EXH_ERR_NOMEM, or 1
 * when a value was infinite (the others are kept; the caller reports it: no
 * format stores an infinite metric, as JSON cannot carry one). */
static int record_event(const Tensorboard__Event *event, const tag_map *map, exh_run *r,
                        epoch_index *rows, const char **infinite_tag)
{
    int infinite = 0;
    if (event->what_case != TENSORBOARD__EVENT__WHAT_SUMMARY || !event->summary)
        return 0;
    if (event->step < 0 || event->step > 10000000)
        return 0;
    for (size_t i = 0; i < event->summary->n_value; i++) {
        const Tensorboard__Summary__Value *value = event->summary->value[i];
        int metric = value->tag ? lookup_tag(map, value->tag) : -1;
        double x = scalar_value(value);
        if (metric < 0 || isnan(x))
            continue;
        if (isinf(x)) {
            *infinite_tag = value->tag;
            infinite = 1;
            continue;
        }
        exh_epoch_record *row = epoch_index_row(rows, r, (int)event->step + 1);
        if (!row)
            return EXH_ERR_NOMEM;
        *exh_epoch_metric(row, exh_epoch_metric_names[metric]) = x;
    }
    return infinite;
}

/* Accuracies in [0, 1] become percent. */
static void scale_accuracies(exh_run *r)
{
    const char *accuracies[] = {"train_accuracy", "val_accuracy", "test_accuracy"};
    for (int a = 0; a < 3; a++) {
        int fraction = 1, any = 0;
        for (size_t i = 0; i < r->epoch_count; i++) {
            double v = *exh_epoch_metric(&r->epochs[i], accuracies[a]);
            if (exh_metric_present(v)) {
                any = 1;
                fraction &= v <= 1.0;
            }
        }
        for (size_t i = 0; any && fraction && i < r->epoch_count; i++)
            *exh_epoch_metric(&r->epochs[i], accuracies[a]) *= 100.0;
    }
}

static int is_validation_folder(const char *name, size_t length)
{
    const char *names[] = {"validation", "val", "eval", "valid"};
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == length && strncmp(names[i], name, length) == 0)
            return 1;
    return 0;
}

/* Key = the run folder: the parent folder, or its parent when the parent is
 * Keras's train/ or validation/. Sets *validation. */
static void run_identity(const char *path, char *key, size_t size, int *validation)
{
    char folder[3072];
    /* A path too long for folder: key on the path's own first bytes rather than
     * read an unset buffer (the key is a label; the store keeps it whole). */
    if (file_directory(path, folder, sizeof folder) < 0)
        snprintf(folder, sizeof folder, "%s", path);
    const char *name = file_basename(folder);
    size_t length = strlen(name);
    *validation = is_validation_folder(name, length);
    int role_folder = *validation || strcmp(name, "train") == 0 || strcmp(name, "training") == 0;
    if (role_folder && name != folder)
        snprintf(key, size, "%.*s", (int)(name - folder - 1), folder);
    else
        snprintf(key, size, "%s", folder);
}

static int describe_run(exh_ingest_parser_context *context, const char *key, exh_run *r)
{
    const exh_ingest_options *o = context->options;
    return exh_run_set(&r->key, o && o->run_key ? o->run_key : key) |
           exh_run_set(&r->space, o ? o->space : NULL) | exh_run_set(&r->arch, o ? o->arch : NULL) |
           exh_run_set(&r->dataset, o ? o->dataset : NULL) | exh_run_set(&r->source, context->path);
}

int ingest_parse_tfevents(const char *data, size_t size, exh_ingest_parser_context *context,
                          exh_error *err)
{
    char key[3072];
    int validation;
    run_identity(context->path, key, sizeof key, &validation);
    tag_map *map = malloc(sizeof *map);
    if (!map)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = build_tag_map(context->options ? context->options->tag_map : NULL, validation, map,
                           err);
    exh_run r;
    exh_run_init(&r);
    if (rc == 0 && describe_run(context, key, &r) != 0)
        rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    epoch_index rows = EPOCH_INDEX_INIT;
    tfrecord_reader reader;
    tfrecord_open(&reader, data, size);
    const unsigned char *record;
    size_t length;
    while (rc == 0) {
        exh_error frame_err;
        int got = tfrecord_next(&reader, &record, &length, &frame_err);
        if (got <= 0) {
            if (got < 0) /* the framing is broken: keep what came before */
                rc = exh_ingest_bad_record(context, err, frame_err.code, "%s", frame_err.message);
            break;
        }
        Tensorboard__Event *event = tensorboard__event__unpack(NULL, length, record);
        if (!event) {
            rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                       "byte %zu: record %ld is not an Event protobuf",
                                       reader.offset - length - 16, reader.record);
            continue;
        }
        const char *tag = NULL;
        rc = record_event(event, map, &r, &rows, &tag);
        if (rc == 1)
            rc = exh_ingest_bad_record(context, err, EXH_ERR_PARSE,
                                       "byte %zu: record %ld: step %lld: '%.60s' is infinite (value "
                                       "skipped)",
                                       reader.offset - length - 16, reader.record,
                                       (long long)event->step, tag);
        else if (rc < 0)
            rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        tensorboard__event__free_unpacked(event, NULL);
    }
    if (rc == 0 && r.epoch_count > 0) {
        scale_accuracies(&r);
        rc = context->sink(&r, context->sink_context, err);
    }
    exh_run_clear(&r);
    epoch_index_reset(&rows);
    free(map);
    return rc;
}
