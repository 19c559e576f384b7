/*
 * report.h — a self-contained HTML report: text, tables, charts and SVG
 * figures in one file that opens offline.
 *
 * A report is written in order, top to bottom:
 *
 *     exh_report *r;
 *     if (exh_report_open("out/index.html", "Search analysis", &r, &err) != 0) ...
 *     exh_report_text(r, "Generated 2024-05-01 12:00 from trace.csv");
 *     exh_report_section(r, "quality", "Quality over time");
 *     exh_report_note(r, "Theory:", "...");      consecutive notes sit side by side
 *     exh_report_note(r, "Observed:", "...");
 *     exh_report_chart(r, &chart, &err);
 *     exh_report_table(r, "Best models", 3, header, rows, cells, &err);
 *     exh_report_svg(r, "Prefix trie", "out/trie.svg", &err);
 *     if (exh_report_close(r, &err) != 0) ...    always frees r
 *
 * The file holds everything it needs: inline CSS, the Chart.js library
 * (embedded in libexhaust at build time from third_party/chartjs/), one JSON
 * block per chart and a small script that draws them. A Content-Security-Policy
 * forbids any network or file load, so a report that works once works offline.
 *
 * Output is byte-reproducible: the library writes no timestamps, host names
 * or random ids; a caller that wants a "generated at" line passes it as text.
 *
 * All text arguments are UTF-8 and are HTML-escaped (or JSON-escaped inside
 * chart configs); callers never pass markup. Ids (section and chart) must be
 * non-empty, at most EXH_REPORT_MAX_ID bytes of [A-Za-z0-9_-], and unique within a
 * report; they become anchors ("index.html#quality").
 *
 * Errors: int functions return EXH_OK or a negative EXH_ERR_* code and fill
 * err. The void functions cannot fail loudly; a failure there (out of memory,
 * a bad id) is kept in the report, later calls do nothing, and exh_report_close
 * returns it. The page body is built in memory and the file is written by
 * exh_report_close, so write errors (disk full, ...) surface there, with the path.
 * Numbers are printed with printf, so the caller must leave LC_NUMERIC as "C"
 * (the default) for the JSON to stay valid.
 *
 * What the page exposes for checkers (tests/browser_check.py): after the
 * charts are drawn, <body data-charts-rendered="N">; JavaScript errors are
 * listed in #report-errors, whose data-count attribute counts them ("0" when
 * all is well).
 */
#ifndef EXHAUST_REPORT_H
#define EXHAUST_REPORT_H

#include "exhaust/export.h"

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"

/* Tables longer than this show their first EXH_REPORT_MAX_TABLE_ROWS rows and a
 * line saying how many there were: a browser chokes on huge tables, and the
 * full data belongs in CSV anyway. */
#define EXH_REPORT_MAX_TABLE_ROWS 1000
/* Series longer than this are downsampled (see exh_report_chart). */
#define EXH_REPORT_MAX_CHART_POINTS 4000
/* Longest section or chart id. */
#define EXH_REPORT_MAX_ID 64

typedef struct exh_report exh_report;

/* Create (truncate) the HTML file at path, titled `title` (in <title> and the
 * top <h1>). The file is opened now, so an unwritable path fails here with
 * EXH_ERR_IO and the path in the message; the content is written by
 * exh_report_close. */
EXH_API int exh_report_open(const char *path, const char *title, exh_report **out, exh_error *err);

/* Start a section: an <h2> with anchor `id`, listed in the table of contents
 * at the top of the page (the contents are written at close, so sections may
 * be added in any number). */
EXH_API void exh_report_section(exh_report *r, const char *id, const char *title);

/* A paragraph of plain text (escaped; newlines are kept as line breaks). */
EXH_API void exh_report_text(exh_report *r, const char *text);

/* A labelled callout, e.g. exh_report_note(r, "Theory:", "...") followed by
 * exh_report_note(r, "Observed:", "..."): consecutive notes are laid out side by
 * side (wrapping on narrow screens) so a prediction and a measurement can be
 * read together. label may be NULL. */
EXH_API void exh_report_note(exh_report *r, const char *label, const char *text);

/* A table of `rows` rows of `columns` cells each; cells is row-major
 * (cells[row * columns + column]). header has `columns` entries, or is NULL for
 * no header row; caption may be NULL; a NULL cell is empty. Cells that read as
 * numbers ("3", "-1.5e3", "42%") are right-aligned. Only the first
 * EXH_REPORT_MAX_TABLE_ROWS rows are shown, followed by a line saying so.
 * EXH_ERR_INVALID for columns < 1, rows < 0, or cells NULL with rows > 0. */
EXH_API int exh_report_table(exh_report *r, const char *caption, int columns, const char *const *header,
                             int64_t rows, const char *const *cells, exh_error *err);

typedef enum {
    EXH_REPORT_LINE,   /* points joined by straight lines, no markers */
    EXH_REPORT_POINTS, /* markers only (a scatter plot) */
    EXH_REPORT_STEPS,  /* a step function: y[i] holds from x[i] until x[i + 1] */
    EXH_REPORT_BARS,   /* a bar at each x (histograms, counts) */
} exh_report_style;

typedef struct exh_report_series {
    const char *label;  /* legend entry; NULL or "" for none */
    const double *x;    /* count values, or NULL for 0, 1, 2, ... */
    const double *y;    /* count values */
    int64_t count;
    exh_report_style style;
} exh_report_series;

/* (Named _spec because exh_report_chart is the function that draws one.) */
typedef struct exh_report_chart_spec {
    const char *id;               /* anchor and canvas id, see the ids rule above */
    const char *title;            /* drawn above the chart; may be NULL */
    const char *x_label, *y_label; /* axis titles; may be NULL */
    int x_log, y_log;             /* nonzero: logarithmic axis */
    const exh_report_series *series;
    int series_count;
} exh_report_chart_spec;

/* A chart: a <canvas> drawn by Chart.js from a JSON config kept next to it.
 *
 * NaN and infinite values are written as null (a gap, not a point); on a
 * logarithmic axis, values <= 0 are null too (they have no place on it) and
 * the chart says how many were left out. A series longer than
 * EXH_REPORT_MAX_CHART_POINTS is downsampled deterministically: every k-th point
 * plus the first and the last, and the chart says "(every k-th of N points
 * shown)". A EXH_REPORT_STEPS series instead keeps exactly its first and last
 * points and every step change (where y differs from the previous y), which
 * draws the same picture, as long as those fit under the cap; otherwise it
 * falls back to every k-th point.
 * A chart with no point it could place (every value missing) is not drawn:
 * the page gets one sentence naming it instead of an empty frame.
 * EXH_ERR_INVALID for a bad id, series_count < 1, a negative count, or a NULL
 * y with count > 0. */
EXH_API int exh_report_chart(exh_report *r, const exh_report_chart_spec *chart, exh_error *err);

/* Inline an SVG file (e.g. Graphviz output) as a figure with an optional
 * caption. Everything before "<svg" (XML prolog, doctype, comments) is
 * dropped, since those are not allowed in HTML. The SVG is trusted: it is
 * inserted as markup, not escaped. EXH_ERR_NOT_FOUND / EXH_ERR_IO when the file
 * cannot be read, EXH_ERR_PARSE when it has no <svg> element; both name
 * svg_path. */
EXH_API int exh_report_svg(exh_report *r, const char *caption, const char *svg_path, exh_error *err);

/* Write the page (head, contents, body, Chart.js, the drawing script), close
 * the file and free r. Returns the first error the report met (including a
 * sticky one from a void function) or a write/close error naming the path;
 * on any error the incomplete file is removed (when it is a regular file, not
 * a device such as /dev/stdout) rather than left looking like a report.
 * r may be NULL (returns EXH_OK). */
EXH_API int exh_report_close(exh_report *r, exh_error *err);

/* Give up on a report: close and remove the file and free r (for a caller
 * that failed half way). r may be NULL. */
EXH_API void exh_report_discard(exh_report *r);

#endif
