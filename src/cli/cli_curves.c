/* cli_curves.c — predicted curves beside the curves they come from: the rows
 * of `exhaust predict --curve` (one per architecture, series and epoch, for
 * pandas) and the page of `--out DIR` (a chart per architecture with its
 * neighbours' curves, distances and weights). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/report.h"
#include "util/file.h"

static const char *const COLUMNS[] = {"arch", "series", "model", "distance", "weight",
                                      "epoch", "validation", "train"};
#define COLUMN_COUNT ((int)(sizeof COLUMNS / sizeof *COLUMNS))

struct curve_output {
    output_table *rows;  /* stdout with --curve; NULL otherwise */
    output_table *csv;   /* DIR/curves.csv with --out */
    FILE *csv_file;
    exh_report *page;        /* DIR/index.html with --out */
    int charts;
};

static void put_series(output_table *t, const char *arch_text, const char *series,
                       const char *model, double distance, double weight, int epochs,
                       const double *validation, const double *train)
{
    if (!t)
        return;
    for (int e = 0; e < epochs; e++) {
        if (isnan(validation[e]) && (!train || isnan(train[e])))
            continue; /* an epoch nobody logged: no row */
        output_text(t, arch_text);
        output_text(t, series);
        output_text(t, model);
        output_number(t, distance);
        output_number(t, weight);
        output_integer(t, e + 1);
        output_number(t, validation[e]);
        output_number(t, train ? train[e] : NAN);
        output_end_row(t);
    }
}

int curve_output_open(const char *command, output_format format, int rows, const char *out_dir,
                      curve_output **out)
{
    curve_output *c = calloc(1, sizeof *c);
    if (!c) {
        cli_error(command, "out of memory");
        return CLI_FAILED;
    }
    if (rows)
        c->rows = output_begin(stdout, format, COLUMN_COUNT, COLUMNS);
    if (out_dir) {
        char path[4096];
        exh_error err;
        if (cli_make_directory(command, out_dir) != CLI_OK) {
            curve_output_close(command, c, 1);
            return CLI_FAILED;
        }
        snprintf(path, sizeof path, "%s/curves.csv", out_dir);
        c->csv_file = file_create(path, "w");
        if (c->csv_file)
            c->csv = output_begin(c->csv_file, OUTPUT_CSV, COLUMN_COUNT, COLUMNS);
        snprintf(path, sizeof path, "%s/index.html", out_dir);
        if (!c->csv_file || exh_report_open(path, "Predicted curves", &c->page, &err) != 0) {
            cli_error(command, "%s: %s", c->csv_file ? path : "curves.csv",
                      c->csv_file ? err.message : "cannot write");
            curve_output_close(command, c, 1);
            return CLI_FAILED;
        }
        exh_report_text(c->page, "Each chart shows the predicted validation curve of an untrained "
                             "architecture (the weighted average of its neighbours' curves) "
                             "with the logged curves it comes from; the table gives each "
                             "neighbour's edit distance and weight. The same numbers are in "
                             "curves.csv.");
    }
    *out = c;
    return CLI_OK;
}

/* The neighbours' table under a chart: name, distance, weight, best. */
static int neighbour_table(exh_report *page, const exh_knn_repository *r, const exh_knn_prediction *p,
                           int higher, exh_error *err)
{
    int n = p->neighbour_count;
    char (*text)[64] = calloc((size_t)n * 4 + 1, sizeof *text);
    const char **cells = calloc((size_t)n * 4 + 1, sizeof *cells);
    int rc = text && cells ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        const exh_knn_neighbour *x = &p->neighbours[i];
        exh_knn_curve curve = exh_knn_repository_curve(r, x->index);
        double best = NAN;
        for (int e = 0; e < curve.epochs; e++) {
            double v = curve.channel[EXH_KNN_VALIDATION][e];
            if (!isnan(v) && (isnan(best) || (higher ? v > best : v < best)))
                best = v;
        }
        snprintf(text[4 * i], sizeof text[0], "%s", exh_knn_repository_name(r, x->index));
        snprintf(text[4 * i + 1], sizeof text[0], "%.4g", x->distance);
        snprintf(text[4 * i + 2], sizeof text[0], "%.3f", x->weight);
        snprintf(text[4 * i + 3], sizeof text[0], "%.4g", best);
        for (int k = 0; k < 4; k++)
            cells[4 * i + k] = text[4 * i + k];
    }
    static const char *const header[] = {"neighbour", "edit distance", "weight", "best value"};
    if (rc == 0)
        rc = exh_report_table(page, NULL, 4, header, n, cells, err);
    free(text);
    free(cells);
    return rc;
}

/* One architecture's chart: the prediction, then each neighbour. */
static int add_chart(curve_output *c, const char *arch_text, const exh_knn_repository *r,
                     const exh_knn_prediction *p, int higher, exh_error *err)
{
    int n = p->neighbour_count;
    int longest = p->epochs;
    for (int i = 0; i < n; i++) {
        int epochs = exh_knn_repository_curve(r, p->neighbours[i].index).epochs;
        longest = epochs > longest ? epochs : longest;
    }
    exh_report_series *series = calloc((size_t)n + 1, sizeof *series);
    char (*labels)[160] = calloc((size_t)n + 1, sizeof *labels);
    double *epoch = malloc(sizeof *epoch * (size_t)(longest + 1)); /* 1, 2, ... */
    int rc = series && labels && epoch ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int e = 0; rc == 0 && e < longest; e++)
        epoch[e] = e + 1;
    if (rc == 0) {
        series[0] = (exh_report_series){"predicted", epoch, p->channel[EXH_KNN_VALIDATION], p->epochs,
                                    EXH_REPORT_LINE};
        for (int i = 0; i < n; i++) {
            const exh_knn_neighbour *x = &p->neighbours[i];
            exh_knn_curve curve = exh_knn_repository_curve(r, x->index);
            snprintf(labels[i + 1], sizeof labels[0], "%s (d=%.3g, w=%.2f)",
                     exh_knn_repository_name(r, x->index), x->distance, x->weight);
            series[i + 1] = (exh_report_series){labels[i + 1], epoch, curve.channel[EXH_KNN_VALIDATION],
                                            curve.epochs, EXH_REPORT_LINE};
        }
        char section[32], id[32];
        snprintf(section, sizeof section, "arch-%d", ++c->charts);
        snprintf(id, sizeof id, "curves-%d", c->charts);
        exh_report_section(c->page, section, arch_text);
        char y_label[64];
        snprintf(y_label, sizeof y_label, "validation %s", higher ? "accuracy" : "loss");
        exh_report_chart_spec spec = {id, NULL, "epoch", y_label, 0, 0, series, n + 1};
        rc = exh_report_chart(c->page, &spec, err);
    }
    if (rc == 0)
        rc = neighbour_table(c->page, r, p, higher, err);
    free(series);
    free(labels);
    free(epoch);
    return rc;
}

int curve_output_add(curve_output *c, const char *arch_text, const exh_knn_repository *r,
                     const exh_knn_prediction *p, int higher, exh_error *err)
{
    output_table *sinks[2] = {c->rows, c->csv};
    for (int s = 0; s < 2; s++) {
        put_series(sinks[s], arch_text, "predicted", NULL, NAN, NAN, p->epochs,
                   p->channel[EXH_KNN_VALIDATION], p->channel[EXH_KNN_TRAIN]);
        for (int i = 0; i < p->neighbour_count; i++) {
            const exh_knn_neighbour *x = &p->neighbours[i];
            exh_knn_curve curve = exh_knn_repository_curve(r, x->index);
            put_series(sinks[s], arch_text, "neighbour", exh_knn_repository_name(r, x->index),
                       x->distance, x->weight, curve.epochs, curve.channel[EXH_KNN_VALIDATION],
                       curve.channel[EXH_KNN_TRAIN]);
        }
    }
    return c->page ? add_chart(c, arch_text, r, p, higher, err) : EXH_OK;
}

int curve_output_close(const char *command, curve_output *c, int failed)
{
    if (!c)
        return CLI_OK;
    if (failed && c->page) { /* no half page that looks like a whole one */
        exh_report_discard(c->page);
        c->page = NULL;
    }
    int rc = CLI_OK;
    if (c->rows)
        output_end(c->rows);
    if (c->csv)
        output_end(c->csv);
    if (c->csv_file && fclose(c->csv_file) != 0) {
        cli_error(command, "curves.csv: write failed");
        rc = CLI_FAILED;
    }
    exh_error err;
    if (c->page && exh_report_close(c->page, &err) != 0) {
        cli_error(command, "%s", err.message);
        rc = CLI_FAILED;
    }
    free(c);
    return rc;
}
