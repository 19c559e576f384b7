/* report_html.h — what the files that lay out index.html share: one
 * function per section, and a builder for table cells. */
#ifndef EXHAUST_REPORT_HTML_H
#define EXHAUST_REPORT_HTML_H

#include "exhaust/report.h"
#include "exhaust/report_analysis.h"

#define HTML_CELL 192 /* bytes per table cell, prefixes included */

/* Table cells, filled row by row with html_cell(), then html_table(). */
typedef struct html_cells {
    char (*text)[HTML_CELL];
    int columns;
    int64_t count, capacity;
    int failed;
} html_cells;

void html_cells_init(html_cells *c, int columns);
/* printf into the next cell. */
void html_cell(html_cells *c, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* The table (and free the cells). */
int html_table(exh_report *r, const char *caption, const char *const *header, html_cells *c,
               exh_error *err);

/* A chart title with what of it is inferred (analyze_inference) named after
 * it: "Where children were mutated (inferred parents)". `uses` says what the
 * chart is built on. Returns buf. */
enum { HTML_USES_PARENTS = 1, HTML_USES_WORKERS = 2, HTML_USES_TIMES = 4 };
const char *html_title(const exh_analysis *a, const char *title, int uses, char *buf, size_t size);

/* Bytes as "972 KiB", "1.5 GiB". */
void html_bytes(double bytes, char *buf, size_t size);

/* The sections, in page order (report_html.c, report_html_locality.c,
 * report_html_popularity.c). `dir` holds trie.svg when Graphviz drew it. */
int html_structure(exh_report *r, const exh_analysis *a, const char *dir, exh_error *err);
int html_locality(exh_report *r, const exh_analysis *a, exh_error *err);
int html_quality(exh_report *r, const exh_analysis *a, exh_error *err);
int html_popularity(exh_report *r, const exh_analysis *a, exh_error *err);
int html_caches(exh_report *r, const exh_analysis *a, exh_error *err);
/* The live fast tier: measured beside its replay (report_html_live.c);
 * nothing when the trace has no m:repo_* figures. */
int html_caches_live(exh_report *r, const exh_analysis *a, exh_error *err);

#endif
