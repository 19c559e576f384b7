/* ingest_jsonl.c — exhaust's own JSON Lines format: one run per line.
 *
 *   {"key": "r1", "space": "nb201", "arch": "...", "dataset": "cifar10",
 *    "seed": 1, "status": "ok", "params": {"lr": "0.1", "batch": 64},
 *    "epochs": [{"epoch": 1, "val_accuracy": 50.2, "train_loss": null}, ...]}
 *
 * Blank lines and lines starting with '#' are skipped. Without "key" the run
 * is keyed "PATH:LINE". docs/formats.md has the full description.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "logs/ingest_internal.h"
#include "util/number.h"

/* Fill *field from a JSON string member (absent or null: left NULL). */
static int read_text(json_t *object, const char *name, char **field, char *why, size_t size)
{
    json_t *value = json_object_get(object, name);
    if (!value || json_is_null(value))
        return 0;
    if (!json_is_string(value)) {
        snprintf(why, size, "\"%s\" must be a string", name);
        return -1;
    }
    return exh_run_set(field, json_string_value(value)) < 0 ? -1 : 0;
}

static int read_metric(json_t *row, const char *name, double *out, int index, char *why,
                       size_t size)
{
    json_t *value = json_object_get(row, name);
    *out = NAN;
    if (!value || json_is_null(value))
        return 0;
    if (!json_is_number(value)) {
        snprintf(why, size, "epochs[%d].%s is not a number", index, name);
        return -1;
    }
    *out = json_number_value(value);
    return 0;
}

static int read_epochs(json_t *epochs, exh_run *r, char *why, size_t size)
{
    if (!epochs || json_is_null(epochs))
        return 0;
    if (!json_is_array(epochs)) {
        snprintf(why, size, "\"epochs\" must be an array");
        return -1;
    }
    size_t i;
    json_t *row;
    json_array_foreach(epochs, i, row) {
        json_t *epoch = json_object_get(row, "epoch");
        if (!json_is_object(row) || !json_is_integer(epoch)) {
            snprintf(why, size, "epochs[%zu] needs an integer \"epoch\"", i);
            return -1;
        }
        json_int_t number = json_integer_value(epoch);
        if (number < 0 || number > 1000000) {
            snprintf(why, size, "epochs[%zu].epoch %lld is out of range", i, (long long)number);
            return -1;
        }
        for (size_t k = 0; k < r->epoch_count; k++)
            if (r->epochs[k].epoch == (int)number) {
                snprintf(why, size, "epoch %lld appears twice", (long long)number);
                return -1;
            }
        exh_epoch_record record = exh_epoch_record_empty((int)number);
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
            if (read_metric(row, exh_epoch_metric_names[m],
                            exh_epoch_metric(&record, exh_epoch_metric_names[m]), (int)i, why, size) < 0)
                return -1;
        if (exh_run_add_epoch(r, &record) < 0)
            return -1;
    }
    return 0;
}

static int read_params(json_t *params, exh_run *r, char *why, size_t size)
{
    if (!params || json_is_null(params))
        return 0;
    if (!json_is_object(params)) {
        snprintf(why, size, "\"params\" must be an object");
        return -1;
    }
    const char *name;
    json_t *value;
    json_object_foreach(params, name, value) {
        char text[64];
        const char *shown = text;
        if (json_is_string(value))
            shown = json_string_value(value);
        else if (json_is_integer(value))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
        else if (json_is_real(value))
            number_format(json_real_value(value), text, sizeof text);
        else if (json_is_boolean(value))
            shown = json_is_true(value) ? "true" : "false";
        else {
            snprintf(why, size, "params.%s must be a string, number or boolean", name);
            return -1;
        }
        if (exh_run_add_param(r, name, shown) < 0)
            return -1;
    }
    return 0;
}

static int read_seed(json_t *object, exh_run *r, char *why, size_t size)
{
    json_t *seed = json_object_get(object, "seed");
    if (!seed || json_is_null(seed))
        return 0;
    if (!json_is_integer(seed)) {
        snprintf(why, size, "\"seed\" must be an integer");
        return -1;
    }
    r->has_seed = 1;
    r->seed = json_integer_value(seed);
    return 0;
}

/* Turn one parsed line into r; on failure `why` says what is wrong. */
static int read_run(json_t *object, exh_run *r, char *why, size_t size)
{
    if (!json_is_object(object)) {
        snprintf(why, size, "a line must hold one JSON object");
        return -1;
    }
    why[0] = '\0';
    if (read_text(object, "key", &r->key, why, size) < 0 ||
        read_text(object, "space", &r->space, why, size) < 0 ||
        read_text(object, "arch", &r->arch, why, size) < 0 ||
        read_text(object, "dataset", &r->dataset, why, size) < 0 ||
        read_text(object, "status", &r->status, why, size) < 0 ||
        read_seed(object, r, why, size) < 0 ||
        read_params(json_object_get(object, "params"), r, why, size) < 0 ||
        read_epochs(json_object_get(object, "epochs"), r, why, size) < 0) {
        if (!why[0])
            snprintf(why, size, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_line(const char *line, size_t length, long number,
                      exh_ingest_parser_context *context, exh_error *err)
{
    json_error_t json_error;
    json_t *object = json_loadb(line, length, JSON_REJECT_DUPLICATES, &json_error);
    if (!object)
        return exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld, column %d: %s", number,
                                     json_error.column, json_error.text);
    exh_run r;
    exh_run_init(&r);
    char why[256], source[512];
    int rc = read_run(object, &r, why, sizeof why);
    json_decref(object);
    if (rc < 0) {
        exh_run_clear(&r);
        return exh_ingest_bad_record(context, err, EXH_ERR_PARSE, "line %ld: %s", number, why);
    }
    snprintf(source, sizeof source, "%s:%ld", context->path, number);
    if ((!r.key && exh_run_set(&r.key, source) < 0) || exh_run_set(&r.source, source) < 0) {
        exh_run_clear(&r);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    rc = context->sink(&r, context->sink_context, err);
    exh_run_clear(&r);
    return rc;
}

int ingest_parse_jsonl(const char *data, size_t size, exh_ingest_parser_context *context,
                       exh_error *err)
{
    size_t start = 0;
    long number = 0;
    while (start < size) {
        const char *newline = memchr(data + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - data) : size;
        number++;
        size_t first = start;
        while (first < end && (data[first] == ' ' || data[first] == '\t' || data[first] == '\r'))
            first++;
        if (first < end && data[first] != '#') {
            int rc = parse_line(data + first, end - first, number, context, err);
            if (rc < 0)
                return rc;
        }
        start = end + 1;
    }
    return EXH_OK;
}
