/* report_buf.c — the report's append-only buffer and its escapers. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

/* Make room for n more bytes plus a NUL; 0 or -1 (and b->failed). */
static int buf_reserve(report_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->size + n + 1 <= b->capacity)
        return 0;
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->size + n + 1) {
        if (capacity > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        capacity *= 2;
    }
    char *grown = realloc(b->data, capacity);
    if (!grown) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->capacity = capacity;
    return 0;
}

void buf_put(report_buf *b, const char *s, size_t n)
{
    if (n == 0 || buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->size, s, n);
    b->size += n;
    b->data[b->size] = '\0';
}

void buf_puts(report_buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_printf(report_buf *b, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n > 0 && buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->size, (size_t)n + 1, format, again);
        b->size += (size_t)n;
    }
    va_end(again);
}

void buf_html(report_buf *b, const char *text)
{
    const char *run = text; /* bytes not yet copied, to copy plain runs at once */
    for (const char *p = text; *p; p++) {
        const char *entity = NULL;
        switch (*p) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        buf_put(b, run, (size_t)(p - run));
        buf_puts(b, entity);
        run = p + 1;
    }
    buf_puts(b, run);
}

void buf_json_string(report_buf *b, const char *text)
{
    buf_put(b, "\"", 1);
    const char *run = text;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char escape[8];
        if (*p == '"' || *p == '\\')
            snprintf(escape, sizeof escape, "\\%c", *p);
        else if (*p < 0x20 || *p == '<')
            snprintf(escape, sizeof escape, "\\u%04x", *p);
        else
            continue;
        buf_put(b, run, (size_t)((const char *)p - run));
        buf_puts(b, escape);
        run = (const char *)p + 1;
    }
    buf_puts(b, run);
    buf_put(b, "\"", 1);
}

void buf_json_number(report_buf *b, double value)
{
    if (!isfinite(value))
        buf_puts(b, "null");
    else
        buf_printf(b, "%.9g", value);
}

void buf_free(report_buf *b)
{
    free(b->data);
    *b = (report_buf){0};
}
