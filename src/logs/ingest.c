/* ingest.c — format names and detection, the bad-record policy, dispatch to
 * the parsers. Walking paths and storing runs is in ingest_store.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "logs/ingest_internal.h"
#include "util/file.h"

static const char *const FORMAT_NAMES[] = {
    [EXH_INGEST_AUTO] = "auto",
    [EXH_INGEST_JSONL] = "jsonl",
    [EXH_INGEST_CSV] = "csv",
    [EXH_INGEST_KERAS_CSV] = "keras-csv",
    [EXH_INGEST_TFEVENTS] = "tfevents",
    [EXH_INGEST_NB201] = "nb201",
    [EXH_INGEST_NB201_EPOCHS] = "nb201-epochs",
    [EXH_INGEST_NLP] = "nlp",
};
#define FORMAT_COUNT (int)(sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0])

const char *exh_ingest_format_name(exh_ingest_format f)
{
    return (int)f >= 0 && (int)f < FORMAT_COUNT ? FORMAT_NAMES[f] : "?";
}

int exh_ingest_format_parse(const char *name, exh_ingest_format *out, exh_error *err)
{
    for (int i = 0; i < FORMAT_COUNT; i++)
        if (strcmp(name, FORMAT_NAMES[i]) == 0) {
            *out = (exh_ingest_format)i;
            return EXH_OK;
        }
    return exh_error_set(err, EXH_ERR_INVALID,
                         "unknown format '%s' (known: auto, jsonl, csv, keras-csv, tfevents, nb201, "
                         "nb201-epochs, nlp)",
                         name);
}

/* The first line of head, copied into line (truncated to size). */
static void first_line(const char *head, size_t head_size, char *line, size_t size)
{
    size_t n = 0;
    if (head_size >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) {
        head += 3;
        head_size -= 3;
    }
    while (n < head_size && n + 1 < size && head[n] != '\n' && head[n] != '\r' && head[n])
        n++;
    memcpy(line, head, n);
    line[n] = '\0';
}

/* Whether the comma-separated header has a column named exactly `name`. */
static int header_has(const char *header, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = header; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (*p == '"')
            p++;
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '"'))
            return 1;
    }
    return 0;
}

static int header_starts(const char *header, const char *prefix)
{
    return strncmp(header, prefix, strlen(prefix)) == 0;
}

static int detect_csv(const char *header, exh_ingest_format *out)
{
    if (header_starts(header, "arch_index,arch_str,hp,dataset,seed,epoch"))
        *out = EXH_INGEST_NB201_EPOCHS;
    else if (header_starts(header, "arch_index,arch_str,") && header_has(header, "c10valid_val200_s777"))
        *out = EXH_INGEST_NB201;
    else if (header_has(header, "recipe_id") && header_has(header, "recipe_json"))
        *out = EXH_INGEST_NLP;
    else if (header_starts(header, "recipe_id,experiment_id,epoch"))
        return INGEST_DETECT_COMPANION;
    else if ((header_has(header, "key") || header_has(header, "run")) && header_has(header, "epoch"))
        *out = EXH_INGEST_CSV;
    else if (header_starts(header, "epoch,") &&
             (header_has(header, "loss") || header_has(header, "accuracy") ||
              header_has(header, "acc") || header_has(header, "val_loss")))
        *out = EXH_INGEST_KERAS_CSV;
    else
        return EXH_ERR_INVALID;
    return EXH_OK;
}

/* Whether path is FILE.json or FILE.meta.json beside a FILE that is there:
 * a Keras log's description (ingest_keras.c reads it with the log), not a
 * run of its own. The log's path goes to `log`. */
static int keras_sidecar_of(const char *path, char *log, size_t size)
{
    static const char *const suffixes[] = {".meta.json", ".json"};
    size_t length = strlen(path);
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(suffixes[i]);
        struct stat st;
        if (length > n && length - n < size && strcmp(path + length - n, suffixes[i]) == 0) {
            snprintf(log, size, "%.*s", (int)(length - n), path);
            if (stat(log, &st) == 0 && S_ISREG(st.st_mode))
                return 1;
        }
    }
    return 0;
}

int exh_ingest_detect(const char *path, const char *head, size_t head_size, exh_ingest_format *out,
                      exh_error *err)
{
    const char *name = file_basename(path);
    if (strncmp(name, "events.out.tfevents.", 20) == 0) {
        *out = EXH_INGEST_TFEVENTS;
        return EXH_OK;
    }
    size_t length = strlen(name);
    char log[4096];
    if (keras_sidecar_of(path, log, sizeof log))
        return exh_error_set(err, INGEST_DETECT_COMPANION,
                             "%s: this is the description of the Keras log %s; ingest that log "
                             "(it reads this file beside it)",
                             path, log);
    if (length > 6 && strcmp(name + length - 6, ".jsonl") == 0) {
        *out = EXH_INGEST_JSONL;
        return EXH_OK;
    }
    char header[4096];
    first_line(head, head_size, header, sizeof header);
    if (header[0] == '{') {
        *out = EXH_INGEST_JSONL;
        return EXH_OK;
    }
    int rc = detect_csv(header, out);
    if (rc == INGEST_DETECT_COMPANION)
        return exh_error_set(err, INGEST_DETECT_COMPANION,
                             "%s: this is NAS-Bench-NLP's epochs.csv; ingest runs.csv (it reads "
                             "epochs.csv beside it)",
                             path);
    if (rc < 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s: unknown format (first line '%.80s'); give --format", path, header);
    return EXH_OK;
}

int exh_ingest_parse(exh_ingest_format format, const char *data, size_t size,
                     exh_ingest_parser_context *context, exh_error *err)
{
    switch (format) {
    case EXH_INGEST_JSONL: return ingest_parse_jsonl(data, size, context, err);
    case EXH_INGEST_CSV: return ingest_parse_csv(data, size, context, err);
    case EXH_INGEST_KERAS_CSV: return ingest_parse_keras_csv(data, size, context, err);
    case EXH_INGEST_TFEVENTS: return ingest_parse_tfevents(data, size, context, err);
    case EXH_INGEST_NB201: return ingest_parse_nb201(data, size, context, err);
    case EXH_INGEST_NB201_EPOCHS: return ingest_parse_nb201_epochs(data, size, context, err);
    case EXH_INGEST_NLP: return ingest_parse_nlp(data, size, context, err);
    default:
        return exh_error_set(err, EXH_ERR_INVALID, "%s: no parser for format '%s'", context->path,
                             exh_ingest_format_name(format));
    }
}

int ingest_csv_next(csv_reader *reader, const char *path, exh_ingest_parser_context *context,
                    exh_error *err)
{
    for (;;) {
        exh_error csv_err;
        int got = csv_next(reader, &csv_err);
        if (got >= 0)
            return got;
        if (csv_err.code != EXH_ERR_PARSE)
            return exh_error_set(err, csv_err.code, "%s: %s", path, csv_err.message);
        const char *what = reader->resumable ? " (row skipped)" : "";
        int rc = strcmp(path, context->path) == 0
                     ? exh_ingest_bad_record(context, err, csv_err.code, "%s%s", csv_err.message, what)
                     : exh_ingest_bad_record(context, err, csv_err.code, "%s: %s%s", path,
                                             csv_err.message, what);
        if (rc < 0 || !reader->resumable)
            return rc < 0 ? rc : 0;
    }
}

int exh_ingest_bad_record(exh_ingest_parser_context *context, exh_error *err, int code,
                          const char *format, ...)
{
    char message[EXH_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (context->options && context->options->strict)
        return exh_error_set(err, code, "%.200s: %.300s", context->path, message);
    exh_ingest_stats *stats = context->stats;
    if (stats) {
        if (stats->message_count < EXH_INGEST_MESSAGES_KEPT)
            snprintf(stats->messages[stats->message_count++], sizeof stats->messages[0], "%.200s: %.300s",
                     context->path, message);
        stats->skipped++;
    }
    return EXH_OK;
}
