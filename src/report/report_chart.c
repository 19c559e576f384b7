/* report_chart.c — charts: a <canvas> plus a JSON config that the page's
 * script (report_assets.c) hands to Chart.js; long series are downsampled
 * here, in C, so the file stays small and the picture deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

/* Which points of a series are written. */
typedef struct point_choice {
    int64_t *index; /* kept indices, increasing; NULL when all are kept */
    int64_t kept;
    int64_t stride; /* k of "every k-th"; 0 for "every step change", 1 for all */
} point_choice;

static const char *style_name(exh_report_style style)
{
    switch (style) {
    case EXH_REPORT_LINE: return "line";
    case EXH_REPORT_POINTS: return "points";
    case EXH_REPORT_STEPS: return "steps";
    case EXH_REPORT_BARS: return "bars";
    }
    return "line";
}

static int same_value(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* A step function drawn with horizontal-then-vertical segments looks the
 * same through only its first point, last point and the points where y
 * changes. Returns how many there are (counting only, when index is NULL). */
static int64_t step_changes(const exh_report_series *s, int64_t *index)
{
    int64_t kept = 0;
    for (int64_t i = 0; i < s->count; i++) {
        if (i == 0 || i == s->count - 1 || !same_value(s->y[i], s->y[i - 1])) {
            if (index)
                index[kept] = i;
            kept++;
        }
    }
    return kept;
}

/* Every k-th point from the first, plus the last, with k as small as keeps
 * the total within REPORT_MAX_CHART_POINTS. */
static int64_t every_kth(int64_t count, int64_t k, int64_t *index)
{
    int64_t kept = 0;
    for (int64_t i = 0; i < count; i += k)
        index[kept++] = i;
    if (index[kept - 1] != count - 1)
        index[kept++] = count - 1;
    return kept;
}

static int choose_points(const exh_report_series *s, point_choice *choice)
{
    *choice = (point_choice){.kept = s->count, .stride = 1};
    const int64_t cap = EXH_REPORT_MAX_CHART_POINTS;
    if (s->count <= cap)
        return EXH_OK;
    int steps = s->style == EXH_REPORT_STEPS && step_changes(s, NULL) <= cap;
    choice->index = malloc((size_t)cap * sizeof *choice->index);
    if (!choice->index)
        return EXH_ERR_NOMEM;
    if (steps) {
        choice->stride = 0;
        choice->kept = step_changes(s, choice->index);
    } else {
        /* floor((count - 1) / k) + 2 <= cap keeps the first, the k-th... and the last. */
        choice->stride = (s->count - 1 + cap - 3) / (cap - 2);
        choice->kept = every_kth(s->count, choice->stride, choice->index);
    }
    return EXH_OK;
}

/* A coordinate for JSON: null where the chart cannot place it. */
static void put_coordinate(report_buf *b, double value, int log_axis, int64_t *dropped)
{
    if (log_axis && isfinite(value) && value <= 0) {
        (*dropped)++;
        value = NAN;
    }
    buf_json_number(b, value);
}

static void put_series_json(report_buf *b, const exh_report_chart_spec *c, const exh_report_series *s,
                            const point_choice *choice, int64_t *dropped)
{
    buf_puts(b, "{\"label\":");
    buf_json_string(b, s->label ? s->label : "");
    buf_printf(b, ",\"style\":\"%s\",\"data\":[", style_name(s->style));
    for (int64_t j = 0; j < choice->kept; j++) {
        int64_t i = choice->index ? choice->index[j] : j;
        buf_puts(b, j ? ",[" : "[");
        put_coordinate(b, s->x ? s->x[i] : (double)i, c->x_log, dropped);
        buf_puts(b, ",");
        put_coordinate(b, s->y[i], c->y_log, dropped);
        buf_puts(b, "]");
        if (j % 8 == 7)
            buf_puts(b, "\n"); /* short lines keep the file friendly to diff and grep */
    }
    buf_puts(b, "]}");
}

static const char *ordinal_suffix(int64_t k)
{
    if (k % 100 >= 11 && k % 100 <= 13)
        return "th";
    switch (k % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

/* The line under a chart that says what was left out, so nobody reads a
 * downsampled curve as complete. */
static void put_sampling_note(report_buf *b, const exh_report_series *s, const point_choice *choice)
{
    if (choice->stride == 1)
        return;
    buf_puts(b, "<p class=\"chart-note\">");
    if (s->label && *s->label) {
        buf_html(b, s->label);
        buf_puts(b, ": ");
    }
    if (choice->stride == 0)
        buf_printf(b, "(%lld of %lld points shown: the first, the last and every step change)",
                   (long long)choice->kept, (long long)s->count);
    else
        buf_printf(b, "(every %lld%s of %lld points shown)", (long long)choice->stride,
                   ordinal_suffix(choice->stride), (long long)s->count);
    buf_puts(b, "</p>\n");
}

static int check_spec(exh_report *r, const exh_report_chart_spec *c, exh_error *err)
{
    if (!c || !c->series || c->series_count < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: chart '%s' has no series", r->path,
                             c && c->id ? c->id : "");
    for (int i = 0; i < c->series_count; i++) {
        const exh_report_series *s = &c->series[i];
        if (s->count < 0 || (s->count > 0 && !s->y))
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "%s: chart '%s' series %d: needs count >= 0 and y values", r->path,
                                 c->id ? c->id : "", i);
    }
    return report_claim_id(r, c->id, err);
}

static void put_title_fields(report_buf *b, const exh_report_chart_spec *c)
{
    buf_puts(b, "{\"title\":");
    buf_json_string(b, c->title ? c->title : "");
    buf_puts(b, ",\"xLabel\":");
    buf_json_string(b, c->x_label ? c->x_label : "");
    buf_puts(b, ",\"yLabel\":");
    buf_json_string(b, c->y_label ? c->y_label : "");
    buf_printf(b, ",\"xLog\":%s,\"yLog\":%s,\"series\":[\n", c->x_log ? "true" : "false",
               c->y_log ? "true" : "false");
}

/* Whether some series has a point the chart can place (finite, and > 0 on
 * a logarithmic axis). */
static int has_points(const exh_report_chart_spec *c)
{
    for (int i = 0; i < c->series_count; i++) {
        const exh_report_series *s = &c->series[i];
        for (int64_t k = 0; k < s->count; k++) {
            double x = s->x ? s->x[k] : (double)k, y = s->y[k];
            if (isfinite(x) && isfinite(y) && (!c->x_log || x > 0) && (!c->y_log || y > 0))
                return 1;
        }
    }
    return 0;
}

int exh_report_chart(exh_report *r, const exh_report_chart_spec *c, exh_error *err)
{
    int rc = report_failed(r, err);
    if (rc != EXH_OK || (rc = check_spec(r, c, err)) != EXH_OK)
        return rc;
    if (!has_points(c)) { /* a sentence, not an empty frame */
        char text[512];
        snprintf(text, sizeof text, "%s: nothing to draw, the trace gives no value for it.",
                 c->title ? c->title : c->id);
        exh_report_text(r, text);
        return report_failed(r, err);
    }
    report_end_notes(r);
    report_buf json = {0}, notes = {0};
    put_title_fields(&json, c);
    int64_t dropped = 0;
    for (int i = 0; i < c->series_count && rc == EXH_OK; i++) {
        point_choice choice;
        if (choose_points(&c->series[i], &choice) != EXH_OK) {
            rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", r->path);
            break;
        }
        if (i > 0)
            buf_puts(&json, ",\n");
        put_series_json(&json, c, &c->series[i], &choice, &dropped);
        put_sampling_note(&notes, &c->series[i], &choice);
        free(choice.index);
    }
    buf_puts(&json, "]}");
    if (dropped > 0)
        buf_printf(&notes, "<p class=\"chart-note\">(%lld %s &le; 0 left out: a logarithmic "
                           "axis cannot show %s)</p>\n", (long long)dropped,
                   dropped == 1 ? "value" : "values", dropped == 1 ? "it" : "them");
    if (rc == EXH_OK && (json.failed || notes.failed))
        rc = exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory", r->path);
    if (rc == EXH_OK) {
        report_buf *b = &r->body;
        buf_printf(b, "<figure class=\"chart\" id=\"%s\">\n<div class=\"chart-box\"><canvas>"
                      "</canvas></div>\n", c->id);
        buf_put(b, notes.data, notes.size);
        buf_puts(b, "<script type=\"application/json\" class=\"chart-config\">\n");
        buf_put(b, json.data, json.size);
        buf_puts(b, "\n</script>\n</figure>\n");
        r->chart_count++;
        rc = report_check_memory(r, err);
    }
    buf_free(&json);
    buf_free(&notes);
    return rc;
}
