/* report_eval.c — an evaluation's page and files (see report_eval.h). */
#include "exhaust/report_eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/report.h"
#include "util/file.h"

/* A "%.3f" figure, or "n/a". */
static void figure(char *out, size_t size, double value)
{
    if (isnan(value))
        snprintf(out, size, "n/a");
    else
        snprintf(out, size, "%.3f", value);
}

static int error_table(exh_report *page, const exh_eval_result *r, exh_error *err)
{
    enum { COLUMNS = 5 };
    static const char *const header[COLUMNS] = {"method", "best value error",
                                                "overfitting error", "Kendall tau", "Spearman"};
    char (*text)[32] = calloc((size_t)r->method_count * COLUMNS, sizeof *text);
    const char **cells = calloc((size_t)r->method_count * COLUMNS, sizeof *cells);
    int rc = text && cells ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int m = 0; rc == 0 && m < r->method_count; m++) {
        const exh_eval_method_result *x = &r->methods[m];
        char (*row)[32] = text + m * COLUMNS;
        snprintf(row[0], sizeof row[0], "%s", x->name);
        figure(row[1], sizeof row[1], x->best_error_mean);
        figure(row[2], sizeof row[2], x->overfit_error_mean);
        figure(row[3], sizeof row[3], x->kendall_tau);
        figure(row[4], sizeof row[4], x->spearman);
        for (int c = 0; c < COLUMNS; c++)
            cells[m * COLUMNS + c] = row[c];
    }
    if (rc == 0)
        rc = exh_report_table(page, "mean absolute error over splits; rank correlations of the "
                                "best value",
                              COLUMNS, header, r->method_count, cells, err);
    free(text);
    free(cells);
    return rc;
}

/* Predicted against true best value for one method, every split, with the
 * diagonal through the data's range. */
static int scatter(exh_report *page, const exh_eval_dataset *d, const exh_eval_result *r, int method,
                   exh_error *err)
{
    double *x = malloc(sizeof *x * (size_t)(r->prediction_count + 1));
    double *y = malloc(sizeof *y * (size_t)(r->prediction_count + 1));
    int rc = x && y ? 0 : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int64_t n = 0;
    double low = INFINITY, high = -INFINITY;
    for (int64_t i = 0; rc == 0 && i < r->prediction_count; i++) {
        const exh_eval_prediction *p = &r->predictions[i];
        if (p->method != method || isnan(p->predicted_best) || isnan(p->true_best))
            continue;
        x[n] = p->true_best;
        y[n++] = p->predicted_best;
        low = fmin(low, fmin(p->true_best, p->predicted_best));
        high = fmax(high, fmax(p->true_best, p->predicted_best));
    }
    const char *name = r->methods[method].name;
    if (rc == 0 && n == 0) {
        char line[128];
        snprintf(line, sizeof line, "%s: no predictions to draw.", name);
        exh_report_text(page, line);
    } else if (rc == 0) {
        double line_x[2] = {low, high};
        exh_report_series series[2] = {{name, x, y, n, EXH_REPORT_POINTS},
                                   {"predicted = true", line_x, line_x, 2, EXH_REPORT_LINE}};
        char id[48], title[96], axis[2][64];
        const char *metric = d->metric == EXH_KNN_ACCURACY ? "accuracy" : "loss";
        snprintf(id, sizeof id, "scatter-%d", method);
        snprintf(title, sizeof title, "%s: %lld test predictions", name, (long long)n);
        snprintf(axis[0], sizeof axis[0], "true best validation %s", metric);
        snprintf(axis[1], sizeof axis[1], "predicted best validation %s", metric);
        exh_report_chart_spec spec = {id, title, axis[0], axis[1], 0, 0, series, 2};
        rc = exh_report_chart(page, &spec, err);
    }
    free(x);
    free(y);
    return rc;
}

static int example_chart(exh_report *page, const exh_eval_dataset *d, const exh_eval_curve_example *e,
                         int index, exh_error *err)
{
    int longest = e->epochs > e->predicted_epochs ? e->epochs : e->predicted_epochs;
    double *epoch = malloc(sizeof *epoch * (size_t)(longest + 1));
    if (!epoch)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; i < longest; i++)
        epoch[i] = i + 1;
    exh_report_series series[2] = {{"logged", epoch, e->logged, e->epochs, EXH_REPORT_LINE},
                               {"predicted by 5-NN", epoch, e->predicted, e->predicted_epochs,
                                EXH_REPORT_LINE}};
    char id[32];
    snprintf(id, sizeof id, "curve-%d", index);
    exh_report_chart_spec spec = {id, d->models[e->model].name, "epoch",
                              d->metric == EXH_KNN_ACCURACY ? "validation accuracy"
                                                        : "validation loss",
                              0, 0, series, 2};
    int rc = exh_report_chart(page, &spec, err);
    free(epoch);
    return rc;
}

static int write_page(const exh_eval_dataset *d, const exh_eval_options *o, const exh_eval_result *r,
                      const char *dir, exh_error *err)
{
    char path[4096], text[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    exh_report *page;
    int rc = exh_report_open(path, "Predictor evaluation", &page, err);
    if (rc < 0)
        return rc;
    snprintf(text, sizeof text,
             "%s. M = %d models a split (3:1:1), R = %d splits, seed %llu. Every test "
             "prediction is in predictions.csv, the table in eval.csv.",
             d->description, o->models, o->repeats, (unsigned long long)o->seed);
    exh_report_text(page, text);
    exh_report_section(page, "errors", "Errors and rank correlations");
    rc = error_table(page, r, err);
    exh_report_section(page, "scatter", "Predicted against true best value");
    exh_report_text(page, "One point per test model and split; on the diagonal a prediction is "
                      "exact.");
    for (int m = 0; rc == 0 && m < r->method_count; m++)
        rc = scatter(page, d, r, m, err);
    exh_report_section(page, "curves", "Predicted and logged curves");
    exh_report_text(page, r->example_count
                          ? "The first test models of the first split: the logged validation "
                            "curve and the 5-NN prediction (the weighted mean of the "
                            "neighbours' curves)."
                          : "No curves: 5-NN predicted no test model of the first split.");
    for (int i = 0; rc == 0 && i < r->example_count; i++)
        rc = example_chart(page, d, &r->examples[i], i, err);
    if (rc < 0) {
        exh_report_discard(page);
        return rc;
    }
    return exh_report_close(page, err);
}

/* Write one CSV file through `write`. */
static int write_csv(const char *dir, const char *name, const exh_eval_dataset *d,
                     const exh_eval_result *r, int predictions, exh_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = file_create(path, "w");
    if (!f)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
    if (predictions)
        exh_eval_write_predictions_csv(d, r, f);
    else
        exh_eval_write_csv(r, f);
    return fclose(f) == 0 ? EXH_OK : exh_error_set(err, EXH_ERR_IO, "%s: write failed", path);
}

int exh_report_eval_write(const exh_eval_dataset *d, const exh_eval_options *o, const exh_eval_result *r,
                          const char *dir, exh_error *err)
{
    int rc = write_csv(dir, "eval.csv", d, r, 0, err);
    if (rc == 0)
        rc = write_csv(dir, "predictions.csv", d, r, 1, err);
    if (rc == 0)
        rc = write_page(d, o, r, dir, err);
    return rc;
}
