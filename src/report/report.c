/* report.c — the HTML report: page skeleton, sections, text, notes, tables,
 * inlined SVG, and writing the file at close. Charts are in report_chart.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/report_internal.h"
#include "util/file.h"

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

int report_failed(exh_report *r, exh_error *err)
{
    if (r->error.code == EXH_OK)
        return EXH_OK;
    if (err)
        *err = r->error;
    return r->error.code;
}

int report_check_memory(exh_report *r, exh_error *err)
{
    if ((r->body.failed || r->toc.failed) && r->error.code == EXH_OK)
        exh_error_set(&r->error, EXH_ERR_NOMEM, "%s: out of memory building the report", r->path);
    return report_failed(r, err);
}

/* For the void functions: keep the first failure for report_close. */
static void remember(exh_report *r, const exh_error *failure)
{
    if (r->error.code == EXH_OK)
        r->error = *failure;
}

void report_end_notes(exh_report *r)
{
    if (r->in_notes)
        buf_puts(&r->body, "</div>\n");
    r->in_notes = 0;
}

int report_claim_id(exh_report *r, const char *id, exh_error *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > EXH_REPORT_MAX_ID || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                  "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s: id '%s' must be 1 to %d characters of A-Z a-z 0-9 _ -", r->path,
                             id ? id : "(null)", EXH_REPORT_MAX_ID);
    for (int i = 0; i < r->id_count; i++)
        if (strcmp(r->ids[i], id) == 0)
            return exh_error_set(err, EXH_ERR_INVALID, "%s: id '%s' is used twice", r->path, id);
    if (r->id_count == r->id_capacity) {
        int capacity = r->id_capacity ? 2 * r->id_capacity : 16;
        char **grown = realloc(r->ids, (size_t)capacity * sizeof *grown);
        if (!grown)
            return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", r->path);
        r->ids = grown;
        r->id_capacity = capacity;
    }
    if (!(r->ids[r->id_count] = copy_string(id)))
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", r->path);
    r->id_count++;
    return EXH_OK;
}

/* Remove a failed report's file, but only a regular file: the path may be a
 * device (/dev/stdout, /dev/full) that must survive. */
static void remove_output(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        remove(path);
}

static void report_free(exh_report *r)
{
    if (r->file)
        fclose(r->file);
    for (int i = 0; i < r->id_count; i++)
        free(r->ids[i]);
    free(r->ids);
    buf_free(&r->body);
    buf_free(&r->toc);
    free(r->title);
    free(r->path);
    free(r);
}

int exh_report_open(const char *path, const char *title, exh_report **out, exh_error *err)
{
    *out = NULL;
    if (!path || !title)
        return exh_error_set(err, EXH_ERR_INVALID, "report_open: path and title are required");
    exh_report *r = calloc(1, sizeof *r);
    if (!r || !(r->path = copy_string(path)) || !(r->title = copy_string(title))) {
        if (r)
            report_free(r);
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", path);
    }
    /* Opened now (written at close) so a bad path fails before any work. */
    r->file = file_create(path, "wb"); /* never through a link planted at path */
    if (!r->file) {
        int code = exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
        report_free(r);
        return code;
    }
    *out = r;
    return EXH_OK;
}

void exh_report_section(exh_report *r, const char *id, const char *title)
{
    exh_error failure;
    if (report_failed(r, NULL))
        return;
    if (report_claim_id(r, id, &failure) != EXH_OK) {
        remember(r, &failure);
        return;
    }
    report_end_notes(r);
    buf_printf(&r->body, "<h2 id=\"%s\"><a class=\"anchor\" href=\"#%s\">#</a> ", id, id);
    buf_html(&r->body, title ? title : id);
    buf_puts(&r->body, "</h2>\n");
    buf_printf(&r->toc, "<li><a href=\"#%s\">", id);
    buf_html(&r->toc, title ? title : id);
    buf_puts(&r->toc, "</a></li>\n");
    report_check_memory(r, NULL);
}

/* Escaped text with newlines as <br>, so multi-line messages keep their shape. */
static void put_lines(report_buf *b, const char *text)
{
    const char *line = text;
    for (const char *newline; (newline = strchr(line, '\n')); line = newline + 1) {
        size_t n = (size_t)(newline - line);
        char *piece = malloc(n + 1);
        if (!piece) {
            b->failed = 1;
            return;
        }
        memcpy(piece, line, n);
        piece[n] = '\0';
        buf_html(b, piece);
        buf_puts(b, "<br>\n");
        free(piece);
    }
    buf_html(b, line);
}

void exh_report_text(exh_report *r, const char *text)
{
    if (report_failed(r, NULL) || !text)
        return;
    report_end_notes(r);
    buf_puts(&r->body, "<p>");
    put_lines(&r->body, text);
    buf_puts(&r->body, "</p>\n");
    report_check_memory(r, NULL);
}

void exh_report_note(exh_report *r, const char *label, const char *text)
{
    if (report_failed(r, NULL) || !text)
        return;
    if (!r->in_notes)
        buf_puts(&r->body, "<div class=\"notes\">\n");
    r->in_notes = 1;
    buf_puts(&r->body, "<aside class=\"note\">");
    if (label && *label) {
        buf_puts(&r->body, "<strong class=\"note-label\">");
        buf_html(&r->body, label);
        buf_puts(&r->body, "</strong> ");
    }
    put_lines(&r->body, text);
    buf_puts(&r->body, "</aside>\n");
    report_check_memory(r, NULL);
}

/* A cell that reads as a number (optionally with a trailing %) is
 * right-aligned, so digits line up; everything else stays left. */
static int looks_numeric(const char *cell)
{
    if (!cell || !*cell)
        return 0;
    char *end;
    strtod(cell, &end);
    if (end == cell)
        return 0;
    if (*end == '%')
        end++;
    return *end == '\0';
}

static void put_row(report_buf *b, const char *tag, int columns, const char *const *cells)
{
    buf_puts(b, "<tr>");
    for (int c = 0; c < columns; c++) {
        const char *cell = cells[c] ? cells[c] : "";
        buf_printf(b, "<%s%s>", tag, looks_numeric(cell) ? " class=\"num\"" : "");
        buf_html(b, cell);
        buf_printf(b, "</%s>", tag);
    }
    buf_puts(b, "</tr>\n");
}

int exh_report_table(exh_report *r, const char *caption, int columns, const char *const *header,
                     int64_t rows, const char *const *cells, exh_error *err)
{
    int rc = report_failed(r, err);
    if (rc != EXH_OK)
        return rc;
    if (columns < 1 || rows < 0 || (rows > 0 && !cells))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "%s: table '%s': needs columns >= 1, rows >= 0 and cells", r->path,
                             caption ? caption : "");
    report_end_notes(r);
    report_buf *b = &r->body;
    buf_puts(b, "<div class=\"table-wrap\"><table>\n");
    if (caption) {
        buf_puts(b, "<caption>");
        buf_html(b, caption);
        buf_puts(b, "</caption>\n");
    }
    if (header) {
        buf_puts(b, "<thead>");
        put_row(b, "th", columns, header);
        buf_puts(b, "</thead>\n");
    }
    int64_t shown = rows < EXH_REPORT_MAX_TABLE_ROWS ? rows : EXH_REPORT_MAX_TABLE_ROWS;
    buf_puts(b, "<tbody>\n");
    for (int64_t i = 0; i < shown; i++)
        put_row(b, "td", columns, cells + i * columns);
    buf_puts(b, "</tbody>\n</table></div>\n");
    if (shown < rows)
        buf_printf(b, "<p class=\"truncated\">Showing the first %lld of %lld rows.</p>\n",
                   (long long)shown, (long long)rows);
    return report_check_memory(r, err);
}

int exh_report_svg(exh_report *r, const char *caption, const char *svg_path, exh_error *err)
{
    int rc = report_failed(r, err);
    if (rc != EXH_OK)
        return rc;
    char *svg;
    size_t size;
    if ((rc = file_read_all(svg_path, &svg, &size, err)) != EXH_OK)
        return rc;
    /* The XML prolog, doctype and comments before the root are not HTML. */
    const char *start = strstr(svg, "<svg"), *end = NULL;
    for (const char *p = start; p && (p = strstr(p, "</svg>")); p++)
        end = p + strlen("</svg>"); /* the last one: SVGs may nest */
    if (!start || !end) {
        free(svg);
        return exh_error_set(err, EXH_ERR_PARSE, "%s: no <svg> element", svg_path);
    }
    report_end_notes(r);
    buf_puts(&r->body, "<figure class=\"svg\">\n");
    buf_put(&r->body, start, (size_t)(end - start));
    if (caption) {
        buf_puts(&r->body, "\n<figcaption>");
        buf_html(&r->body, caption);
        buf_puts(&r->body, "</figcaption>");
    }
    buf_puts(&r->body, "\n</figure>\n");
    free(svg);
    return report_check_memory(r, err);
}

/* Write the whole page to r->file: head, contents, body, scripts. */
static void write_page(exh_report *r, report_buf *page)
{
    buf_puts(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   /* Inline code only and no loads at all: the page must work offline, and
                    * a stray network reference shows up as a console error in checks. */
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
                   "<title>");
    buf_html(page, r->title);
    buf_printf(page, "</title>\n<style>\n%s</style>\n<script>\n%s</script>\n</head>\n<body>\n",
               report_css, report_error_script);
    buf_puts(page, "<header><h1>");
    buf_html(page, r->title);
    buf_puts(page, "</h1></header>\n"
                   "<div id=\"report-errors\" data-count=\"0\" hidden>"
                   "<strong>Errors while drawing this page:</strong><ul></ul></div>\n");
    if (r->toc.size > 0) {
        buf_puts(page, "<nav class=\"toc\"><h2>Contents</h2>\n<ol>\n");
        buf_put(page, r->toc.data, r->toc.size);
        buf_puts(page, "</ol></nav>\n");
    }
    buf_puts(page, "<main>\n");
    buf_put(page, r->body.data, r->body.size);
    buf_puts(page, "</main>\n");
    if (r->chart_count > 0) {
        buf_puts(page, "<script>\n");
        buf_put(page, report_chartjs_source, report_chartjs_size);
        buf_puts(page, "\n</script>\n");
    }
    buf_printf(page, "<script>\n%s</script>\n</body>\n</html>\n", report_chart_script);
}

int exh_report_close(exh_report *r, exh_error *err)
{
    if (!r)
        return EXH_OK;
    report_end_notes(r);
    int rc = report_check_memory(r, err);
    report_buf page = {0};
    if (rc == EXH_OK) {
        write_page(r, &page);
        if (page.failed)
            rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory writing the report", r->path);
    }
    if (rc == EXH_OK && fwrite(page.data, 1, page.size, r->file) != page.size)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: write failed: %s", r->path, strerror(errno));
    buf_free(&page);
    /* fclose flushes, so a full disk may only show here. */
    int closed = fclose(r->file);
    r->file = NULL;
    if (rc == EXH_OK && closed != 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: close failed: %s", r->path, strerror(errno));
    if (rc != EXH_OK)
        remove_output(r->path); /* half a report would look like a whole one */
    report_free(r);
    return rc;
}

void exh_report_discard(exh_report *r)
{
    if (!r)
        return;
    fclose(r->file);
    r->file = NULL;
    remove_output(r->path);
    report_free(r);
}
