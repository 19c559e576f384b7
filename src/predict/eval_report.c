/* eval_report.c — the evaluation's tables: markdown for people, CSV for
 * pandas. Missing figures print as "n/a" (markdown) or empty (CSV). */
#include <math.h>
#include <stdio.h>

#include "exhaust/eval.h"

static void cell(FILE *out, double mean, double sd, int percent)
{
    if (isnan(mean))
        fprintf(out, " n/a |");
    else if (isnan(sd))
        fprintf(out, percent ? " %.0f%% |" : " %.3f |", percent ? 100 * mean : mean);
    else
        fprintf(out, " %.3f ± %.3f |", mean, sd);
}

/* Say why a cell of the table is n/a: no figure goes unexplained. */
static void explain_missing(const eval_dataset *d, const eval_result *r, FILE *out)
{
    if (!d->has_train) {
        fprintf(out, "Overfitting error: n/a for every method — it needs train and validation "
                     "curves, and %d of the %d models' logs have a train curve.\n\n",
                d->train_models, d->count);
        return;
    }
    int first = 1;
    for (int m = 0; m < r->method_count; m++)
        if (isnan(r->methods[m].overfit_error_mean)) {
            fprintf(out, "%s%s", first ? "Overfitting error: n/a for " : ", ",
                    r->methods[m].name);
            first = 0;
        }
    if (!first)
        fprintf(out, " — these estimate the best validation value only (from the partial "
                     "log), not the curves that overfitting compares.\n\n");
}

void eval_write_markdown(const eval_dataset *d, const eval_options *o, const eval_result *r,
                         FILE *out)
{
    const char *unit = d->metric == KNN_ACCURACY ? "accuracy points" : "loss";
    fprintf(out, "## %s\n\n", d->description);
    fprintf(out, "M = %d models a split (train:validation:test = 3:1:1, %d test models), "
                 "R = %d splits, seed %llu, penalties %s; errors are mean ± sd over splits "
                 "of the mean absolute error (%s).\n\n",
            o->models, r->test_models, o->repeats, (unsigned long long)o->seed,
            o->fit_penalties ? "fitted to each split's train+validation models"
                             : "the space's defaults",
            unit);
    fprintf(out, "| method | best validation error | overfitting error | Kendall tau | "
                 "Spearman |\n|---|---|---|---|---|\n");
    for (int m = 0; m < r->method_count; m++) {
        const eval_method_result *x = &r->methods[m];
        fprintf(out, "| %s |", x->name);
        cell(out, x->best_error_mean, x->best_error_sd, 0);
        cell(out, x->overfit_error_mean, x->overfit_error_sd, 0);
        cell(out, x->kendall_tau, NAN, 0);
        cell(out, x->spearman, NAN, 0);
        fprintf(out, "\n");
    }
    fprintf(out, "| noise floor (another seed, %d pairs) |", r->noise_floor_pairs);
    cell(out, r->noise_floor_mean, r->noise_floor_sd, 0);
    fprintf(out, " | | |\n\n");
    explain_missing(d, r, out);
    for (int m = 0; m < r->method_count; m++)
        if (!isnan(r->methods[m].partial_lambda))
            fprintf(out, "%s: neighbours by edit distance + lambda x |difference of partial "
                         "values|, lambda chosen per split by leave-one-out (mean %.2f).\n\n",
                    r->methods[m].name, r->methods[m].partial_lambda);
    if (o->top3_repeats == 0) {
        fprintf(out, "Top-3 selection: skipped (--top3-repeats 0).\n\n");
        return;
    }
    if (!d->has_times) {
        fprintf(out, "Top-3 selection under a time budget: skipped (%d of the %d models' "
                     "logs have epoch times; it needs them for at least half).\n\n",
                d->timed_models, d->count);
        return;
    }
    fprintf(out, "Top-3 selection over %d splits: how often the predicted top 3 (by best "
                 "validation value within the budget) shares a model with the true top 3, "
                 "and how many on average.\n\n",
            o->top3_repeats);
    fprintf(out, "| method | any overlap, %.0f s | mean overlap, %.0f s | any overlap, %.0f s | "
                 "mean overlap, %.0f s |\n|---|---|---|---|---|\n",
            r->budgets[0], r->budgets[0], r->budgets[1], r->budgets[1]);
    for (int m = 0; m < r->method_count; m++) {
        const eval_method_result *x = &r->methods[m];
        fprintf(out, "| %s |", x->name);
        for (int b = 0; b < 2; b++) {
            cell(out, x->top3_any[b], NAN, 1);
            cell(out, x->top3_mean_overlap[b], NAN, 0);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

static void csv_number(FILE *out, double x)
{
    if (isnan(x))
        fprintf(out, ",");
    else
        fprintf(out, ",%.6g", x);
}

void eval_write_csv(const eval_result *r, FILE *out)
{
    fprintf(out, "method,best_error_mean,best_error_sd,overfit_error_mean,overfit_error_sd,"
                 "kendall_tau,spearman,top3_any_budget1,top3_overlap_budget1,top3_any_budget2,"
                 "top3_overlap_budget2,budget1_seconds,budget2_seconds\n");
    for (int m = 0; m < r->method_count; m++) {
        const eval_method_result *x = &r->methods[m];
        fprintf(out, "%s", x->name);
        const double values[] = {x->best_error_mean, x->best_error_sd, x->overfit_error_mean,
                                 x->overfit_error_sd, x->kendall_tau, x->spearman,
                                 x->top3_any[0], x->top3_mean_overlap[0], x->top3_any[1],
                                 x->top3_mean_overlap[1], r->budgets[0], r->budgets[1]};
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            csv_number(out, values[i]);
        fprintf(out, "\n");
    }
    fprintf(out, "noise floor");
    csv_number(out, r->noise_floor_mean);
    csv_number(out, r->noise_floor_sd);
    fprintf(out, ",,,,,,,,,,\n");
}
