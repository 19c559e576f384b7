/* output.c — tables as aligned text, CSV (RFC 4180) or JSON (jansson). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/csv.h"
#include "util/number.h"

struct output_table {
    FILE *stream;
    output_format format;
    int column_count;
    const char *const *names;
    int column;       /* next cell's column in the current row */
    json_t *array;    /* JSON: all rows */
    json_t *object;   /* JSON: the current row */
    char **cells;     /* table: every cell, row-major; NULL = missing */
    size_t cell_count, cell_capacity;
};

output_table *output_begin(FILE *stream, output_format format, int column_count,
                           const char *const *column_names)
{
    output_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->stream = stream;
    t->format = format;
    t->column_count = column_count;
    t->names = column_names;
    if (format == OUTPUT_JSON) {
        t->array = json_array();
    } else if (format == OUTPUT_CSV) {
        for (int i = 0; i < column_count; i++) {
            if (i)
                fputc(',', stream);
            csv_write_field(stream, column_names[i]);
        }
        fputc('\n', stream);
    } else {
        for (int i = 0; i < column_count; i++)
            output_text(t, column_names[i]);
    }
    return t;
}

static void add_cell(output_table *t, const char *text, json_t *json)
{
    if (t->format == OUTPUT_JSON) {
        if (!t->object)
            t->object = json_object();
        json_object_set_new(t->object, t->names[t->column], json ? json : json_null());
    } else {
        json_decref(json);
        if (t->format == OUTPUT_CSV) {
            if (t->column)
                fputc(',', t->stream);
            if (text)
                csv_write_field(t->stream, text);
        } else {
            if (t->cell_count == t->cell_capacity) {
                t->cell_capacity = t->cell_capacity ? t->cell_capacity * 2 : 256;
                char **grown = realloc(t->cells, sizeof *grown * t->cell_capacity);
                if (!grown)
                    abort(); /* the CLI cannot go on without memory */
                t->cells = grown;
            }
            /* Aligned text is for a terminal: no control bytes from logs. */
            char *shown = NULL;
            if (text) {
                size_t size = 4 * strlen(text) + 1;
                shown = malloc(size);
                if (!shown)
                    abort();
                cli_printable(text, shown, size);
            }
            t->cells[t->cell_count++] = shown;
        }
    }
    t->column++;
    if (t->column == t->column_count && t->format == OUTPUT_TABLE)
        t->column = 0; /* table rows end implicitly: cells are row-major */
}

void output_text(output_table *t, const char *text)
{
    add_cell(t, text, text ? json_string(text) : NULL);
}

void output_number(output_table *t, double value)
{
    if (isnan(value)) {
        add_cell(t, NULL, NULL);
        return;
    }
    char buf[40];
    number_format(value, buf, sizeof buf);
    add_cell(t, buf, json_real(value));
}

void output_integer(output_table *t, long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    add_cell(t, buf, json_integer(value));
}

void output_end_row(output_table *t)
{
    if (t->format == OUTPUT_JSON) {
        json_array_append_new(t->array, t->object ? t->object : json_object());
        t->object = NULL;
    } else if (t->format == OUTPUT_CSV) {
        fputc('\n', t->stream);
    }
    t->column = 0;
}

static void write_aligned(output_table *t)
{
    size_t columns = (size_t)t->column_count;
    size_t *width = calloc(columns, sizeof *width);
    if (!width)
        return;
    for (size_t i = 0; i < t->cell_count; i++) {
        size_t n = t->cells[i] ? strlen(t->cells[i]) : 1;
        if (n > width[i % columns])
            width[i % columns] = n;
    }
    for (size_t i = 0; i < t->cell_count; i++) {
        size_t c = i % columns;
        const char *text = t->cells[i] ? t->cells[i] : "-";
        if (c == columns - 1)
            fprintf(t->stream, "%s\n", text);
        else
            fprintf(t->stream, "%-*s  ", (int)width[c], text);
        free(t->cells[i]);
    }
    free(width);
}

void output_end(output_table *t)
{
    if (!t)
        return;
    if (t->format == OUTPUT_JSON) {
        json_dumpf(t->array, t->stream, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
        fputc('\n', t->stream);
        json_decref(t->array);
    } else if (t->format == OUTPUT_TABLE) {
        write_aligned(t);
    }
    free(t->cells);
    free(t);
}
