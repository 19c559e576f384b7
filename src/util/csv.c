#include "util/csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void csv_open(csv_reader *reader, const char *data, size_t size)
{
    memset(reader, 0, sizeof *reader);
    reader->data = data;
    reader->size = size;
    reader->next_line = 1;
    /* Skip a UTF-8 byte order mark: spreadsheet exports often start with one. */
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        reader->offset = 3;
}

void csv_close(csv_reader *reader)
{
    free(reader->buffer);
    free(reader->fields);
    free(reader->field_lengths);
    memset(reader, 0, sizeof *reader);
}

static int buffer_push(csv_reader *reader, size_t *used, char c)
{
    if (*used + 1 >= reader->buffer_capacity) {
        size_t capacity = reader->buffer_capacity ? reader->buffer_capacity * 2 : 1024;
        char *grown = realloc(reader->buffer, capacity);
        if (!grown)
            return EXH_ERR_NOMEM;
        reader->buffer = grown;
        reader->buffer_capacity = capacity;
    }
    reader->buffer[(*used)++] = c;
    return 0;
}

/* Field starts are recorded as offsets first: the buffer may move while the
 * record is read, so pointers are fixed up at the end. */
static int field_start(csv_reader *reader, size_t offset)
{
    if (reader->field_count == reader->field_capacity) {
        int capacity = reader->field_capacity ? reader->field_capacity * 2 : 16;
        char **fields = realloc(reader->fields, sizeof *fields * (size_t)capacity);
        if (!fields)
            return EXH_ERR_NOMEM;
        reader->fields = fields;
        size_t *lengths = realloc(reader->field_lengths, sizeof *lengths * (size_t)capacity);
        if (!lengths)
            return EXH_ERR_NOMEM;
        reader->field_lengths = lengths;
        reader->field_capacity = capacity;
    }
    reader->field_lengths[reader->field_count++] = offset; /* start, for now */
    return 0;
}

static void fix_fields(csv_reader *reader, size_t used)
{
    /* Each field ends with a NUL; turn starts into pointers and lengths (a
     * field's length is where the next one starts, less its terminator). */
    for (int i = 0; i < reader->field_count; i++) {
        size_t start = reader->field_lengths[i];
        size_t end = i + 1 < reader->field_count ? reader->field_lengths[i + 1] : used;
        reader->fields[i] = reader->buffer + start;
        reader->field_lengths[i] = end - start - 1;
    }
}

static int read_record(csv_reader *reader, exh_error *err)
{
    size_t used = 0;
    int in_quotes = 0, nul_field = 0;
    reader->field_count = 0;
    reader->line = reader->next_line;
    if (field_start(reader, 0) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading CSV");
    while (reader->offset < reader->size) {
        char c = reader->data[reader->offset++];
        int rc = 0;
        if (c == '\0' && !nul_field)
            nul_field = reader->field_count; /* 1-based: the field being read */
        if (in_quotes) {
            if (c == '"') {
                if (reader->offset < reader->size && reader->data[reader->offset] == '"') {
                    reader->offset++;
                    rc = buffer_push(reader, &used, '"');
                } else {
                    in_quotes = 0;
                }
            } else {
                if (c == '\n')
                    reader->next_line++;
                rc = buffer_push(reader, &used, c);
            }
        } else if (c == '"') {
            in_quotes = 1;
        } else if (c == ',') {
            rc = buffer_push(reader, &used, '\0');
            if (rc == 0)
                rc = field_start(reader, used);
        } else if (c == '\n') {
            reader->next_line++;
            break;
        } else if (c == '\r' && reader->offset < reader->size &&
                   reader->data[reader->offset] == '\n') {
            continue;
        } else {
            rc = buffer_push(reader, &used, c);
        }
        if (rc < 0)
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading CSV");
    }
    if (in_quotes) {
        reader->resumable = 0;
        return exh_error_set(err, EXH_ERR_PARSE,
                             "line %ld: quoted field never closed (the rest of the file, to line "
                             "%ld, is unreadable)",
                             reader->line, reader->next_line);
    }
    if (nul_field) {
        reader->resumable = 1;
        return exh_error_set(err, EXH_ERR_PARSE, "line %ld: field %d holds a NUL byte",
                             reader->line, nul_field);
    }
    if (buffer_push(reader, &used, '\0') < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory reading CSV");
    fix_fields(reader, used);
    return 1;
}

int csv_next(csv_reader *reader, exh_error *err)
{
    while (reader->offset < reader->size) {
        int rc = read_record(reader, err);
        if (rc < 0)
            return rc;
        if (reader->field_count == 1 && reader->field_lengths[0] == 0)
            continue; /* blank line */
        return 1;
    }
    return 0;
}

int csv_column(const csv_reader *reader, const char *name)
{
    for (int i = 0; i < reader->field_count; i++) {
        const char *field = reader->fields[i];
        while (isspace((unsigned char)*field))
            field++;
        size_t n = strlen(field);
        while (n > 0 && isspace((unsigned char)field[n - 1]))
            n--;
        if (n == strlen(name) && strncmp(field, name, n) == 0)
            return i;
    }
    return -1;
}

static int is_blank_tail(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return *p == '\0';
}

int csv_parse_double(const char *text, double *out)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    static const char *const missing[] = {"", "nan", "na", "null", "none", "-nan"};
    char word[8];
    size_t n = 0;
    while (p[n] && !isspace((unsigned char)p[n]) && n < sizeof word - 1) {
        word[n] = p[n];
        n++;
    }
    word[n] = '\0';
    if (is_blank_tail(p + n)) {
        for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
            if (strcasecmp(word, missing[i]) == 0) {
                *out = NAN;
                return 0;
            }
    }
    char *end;
    double value = strtod(p, &end);
    /* isinf: "inf" and "infinity" parse without ERANGE, and an overflow
     * gives HUGE_VAL; NaN spellings other than the missing-value words above
     * ("nan(0x1)") are refused too. An underflow (ERANGE with a subnormal or
     * zero, e.g. "5e-324" that a writer printed) is the nearest double: kept. */
    if (end == p || !is_blank_tail(end) || isinf(value) || isnan(value))
        return EXH_ERR_PARSE;
    *out = value;
    return 0;
}

int csv_parse_long(const char *text, long long *out)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE || !is_blank_tail(end))
        return EXH_ERR_PARSE;
    *out = value;
    return 0;
}

void csv_write_field(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}
