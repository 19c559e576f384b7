/* evaluator_nb201.c — the NAS-Bench-201 table evaluator and its cost model
 * (see evaluator.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/evaluator.h"
#include "exhaust/space_nb201.h"
#include "util/csv.h"
#include "util/file.h"

#define NB201_CELLS 15625
#define NB201_SEEDS 3
#define NB201_EPOCHS 200

typedef struct nb201_table {
    /* by base-5 code of the 6 tokens: the logged seeds' values first, then NaN */
    double quality[NB201_CELLS][NB201_SEEDS];
    int logged[NB201_CELLS];                  /* how many seeds were logged (>= 0) */
    double mean[NB201_CELLS];                 /* over the logged seeds; NaN if none */
    double cost[NB201_CELLS];                 /* seconds for 200 epochs, by code */
    double best_mean;
    double cost_intercept, cost_slope;        /* epoch seconds = a + b * MFLOPs */
    char description[512];
} nb201_table;

double exh_nb201_flops(const exh_arch *a)
{
    /* Multiply-adds (millions) in the CIFAR network: stem 3x3 conv (3->16,
     * 32x32), two residual reduction blocks, the classifier: 7.78304 M. A 1x1
     * conv edge costs H*W*C*C = 2^18 in every one of the 15 cells whatever the
     * stage (32x32x16, 16x16x32, 8x8x64), a 3x3 nine times that; pooling and
     * skips are free at this precision. */
    const double skeleton = 7.78304, conv1x1 = 15 * 262144 / 1e6, conv3x3 = 9 * conv1x1;
    double flops = skeleton;
    for (int i = 0; i < 6 && i < a->length; i++)
        flops += a->token[i] == 2 ? conv1x1 : a->token[i] == 3 ? conv3x3 : 0.0;
    return flops;
}

static int column(const csv_reader *reader, const char *name, const char *path, exh_error *err)
{
    int c = csv_column(reader, name);
    if (c < 0)
        exh_error_set(err, EXH_ERR_PARSE, "%s: line 1: no column '%s'", path, name);
    return c;
}

/* Fit epoch seconds = a + b * MFLOPs on the fully logged cells' rows for the
 * dataset (one point per cell: the per-epoch time is constant in a run). */
static int fit_cost_model(nb201_table *t, const exh_space *s, const char *epochs_csv,
                          const char *dataset, exh_error *err)
{
    char *data;
    size_t size;
    int rc = file_read_all(epochs_csv, &data, &size, err);
    if (rc < 0)
        return rc;
    csv_reader reader;
    csv_open(&reader, data, size);
    double x[16], y[16];
    int n = 0, last_index = -1;
    int c_arch = -1, c_index = -1, c_dataset = -1, c_time = -1, c_hp = -1;
    /* An empty file has no header: say so (err was left unset). */
    exh_error_set(err, EXH_ERR_PARSE, "%s: empty file, no header", epochs_csv);
    if (csv_next(&reader, err) > 0) {
        c_arch = column(&reader, "arch_str", epochs_csv, err);
        c_index = column(&reader, "arch_index", epochs_csv, err);
        c_dataset = column(&reader, "dataset", epochs_csv, err);
        c_time = column(&reader, "train_epoch_time_s", epochs_csv, err);
        c_hp = column(&reader, "hp", epochs_csv, err);
    }
    rc = c_arch < 0 || c_index < 0 || c_dataset < 0 || c_time < 0 || c_hp < 0 ? EXH_ERR_PARSE : 0;
    while (rc == 0 && n < 16 && csv_next(&reader, err) > 0) {
        int index = atoi(reader.fields[c_index]);
        if (reader.field_count <= c_time || strcmp(reader.fields[c_dataset], dataset) != 0 ||
            strcmp(reader.fields[c_hp], "200") != 0 || index == last_index)
            continue;
        exh_arch a;
        if (exh_space_parse(s, reader.fields[c_arch], &a, err) < 0 ||
            csv_parse_double(reader.fields[c_time], &y[n]) < 0) {
            rc = exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: bad cell or time", epochs_csv,
                               reader.line);
            break;
        }
        x[n++] = exh_nb201_flops(&a);
        last_index = index;
    }
    csv_close(&reader);
    free(data);
    if (rc < 0)
        return rc;
    if (n < 2)
        return exh_error_set(err, EXH_ERR_INVALID, "%s: fewer than two logged cells for '%s'",
                             epochs_csv, dataset);
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i] / n;
        my += y[i] / n;
    }
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    t->cost_slope = sxx > 0 ? sxy / sxx : 0.0;
    t->cost_intercept = my - t->cost_slope * mx;
    snprintf(t->description, sizeof t->description,
             "cost model: epoch seconds = %.4g + %.4g * MFLOPs (least squares on %d fully "
             "logged cells of %s), %d epochs per evaluation",
             t->cost_intercept, t->cost_slope, n, dataset, NB201_EPOCHS);
    return EXH_OK;
}

static int read_qualities(nb201_table *t, const exh_space *s, const char *archs_csv,
                          const char *prefix, exh_error *err)
{
    char *data;
    size_t size;
    int rc = file_read_all(archs_csv, &data, &size, err);
    if (rc < 0)
        return rc;
    csv_reader reader;
    csv_open(&reader, data, size);
    int seeds[NB201_SEEDS] = {-1, -1, -1}, c_arch = -1, rows = 0;
    static const char *const seed_names[NB201_SEEDS] = {"777", "888", "999"};
    /* An empty file has no header: say so (err was left unset). */
    exh_error_set(err, EXH_ERR_PARSE, "%s: empty file, no header", archs_csv);
    if (csv_next(&reader, err) > 0) {
        c_arch = column(&reader, "arch_str", archs_csv, err);
        for (int k = 0; k < NB201_SEEDS; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s_val200_s%s", prefix, seed_names[k]);
            seeds[k] = column(&reader, name, archs_csv, err);
        }
    }
    rc = c_arch < 0 || seeds[0] < 0 || seeds[1] < 0 || seeds[2] < 0 ? EXH_ERR_PARSE : 0;
    for (int i = 0; i < NB201_CELLS; i++)
        t->mean[i] = NAN;
    while (rc == 0 && csv_next(&reader, err) > 0) {
        exh_arch a;
        if (reader.field_count <= seeds[2] || exh_space_parse(s, reader.fields[c_arch], &a, err) < 0) {
            rc = exh_error_set(err, EXH_ERR_PARSE, "%s: line %ld: bad row", archs_csv, reader.line);
            break;
        }
        int code = exh_nb201_code(&a), logged = 0;
        double sum = 0, value;
        /* An empty field is a seed that was not logged: it is never drawn. */
        for (int k = 0; k < NB201_SEEDS; k++)
            if (csv_parse_double(reader.fields[seeds[k]], &value) == 0 && !isnan(value)) {
                t->quality[code][logged++] = value;
                sum += value;
            }
        for (int k = logged; k < NB201_SEEDS; k++)
            t->quality[code][k] = NAN;
        t->logged[code] = logged;
        t->mean[code] = logged ? sum / logged : NAN;
        rows++;
    }
    csv_close(&reader);
    free(data);
    if (rc == 0 && rows != NB201_CELLS)
        rc = exh_error_set(err, EXH_ERR_INVALID, "%s: %d cells, expected %d", archs_csv, rows,
                           NB201_CELLS);
    return rc;
}

static int nb201_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                          exh_evaluation *out, exh_error *err)
{
    const nb201_table *t = state;
    int code = exh_nb201_code(request->architecture);
    /* One of the cell's logged seeds at random; a cell with none fails. */
    int logged = t->logged[code];
    out->quality = logged ? t->quality[code][exh_rng_below(r, (uint32_t)logged)] : NAN;
    out->cost_seconds = t->cost[code];
    out->status = isnan(out->quality) ? EXH_EVALUATION_FAILED : EXH_EVALUATION_OK;
    (void)err;
    return EXH_OK;
}

static const char *nb201_describe(void *state)
{
    return ((nb201_table *)state)->description;
}

int exh_evaluator_nb201_open(const char *archs_csv, const char *dataset, exh_evaluator **out,
                             exh_error *err)
{
    *out = NULL;
    const char *prefix = strcmp(dataset, "cifar10-valid") == 0 ? "c10valid"
                         : strcmp(dataset, "cifar100") == 0    ? "c100"
                                                               : NULL;
    if (!prefix)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "the NB201 table has cifar10-valid and cifar100, not '%s'", dataset);
    nb201_table *t = calloc(1, sizeof *t);
    exh_evaluator *e = calloc(1, sizeof *e);
    exh_space *s = NULL;
    int rc = !t || !e ? exh_error_set(err, EXH_ERR_NOMEM, "out of memory") : 0;
    if (rc == 0)
        rc = exh_space_open("nb201", &s, err);
    if (rc == 0)
        rc = read_qualities(t, s, archs_csv, prefix, err);
    char epochs_csv[4096], folder[3072];
    if (rc == 0 && file_directory(archs_csv, folder, sizeof folder) == 0) {
        snprintf(epochs_csv, sizeof epochs_csv, "%s/nats-3cells-epochs.csv", folder);
        rc = fit_cost_model(t, s, epochs_csv, dataset, err);
    }
    exh_space_free(s);
    if (rc < 0) {
        free(t);
        free(e);
        return rc;
    }
    t->best_mean = -INFINITY;
    for (int code = 0; code < NB201_CELLS; code++) {
        exh_arch a = {.length = 6};
        for (int i = 5, c = code; i >= 0; i--, c /= 5)
            a.token[i] = c % 5;
        t->cost[code] = NB201_EPOCHS * (t->cost_intercept + t->cost_slope * exh_nb201_flops(&a));
    }
    for (int i = 0; i < NB201_CELLS; i++)
        if (t->mean[i] > t->best_mean)
            t->best_mean = t->mean[i];
    e->name = "table:nb201";
    e->state = t;
    e->evaluate = nb201_evaluate;
    e->describe = nb201_describe;
    e->free = free;
    *out = e;
    return EXH_OK;
}

double exh_evaluator_nb201_mean_quality(const exh_evaluator *e, const exh_arch *a)
{
    return ((const nb201_table *)e->state)->mean[exh_nb201_code(a)];
}

double exh_evaluator_nb201_best_mean_quality(const exh_evaluator *e)
{
    return ((const nb201_table *)e->state)->best_mean;
}

void exh_evaluator_free(exh_evaluator *e)
{
    if (!e)
        return;
    if (e->free)
        e->free(e->state);
    free(e);
}
